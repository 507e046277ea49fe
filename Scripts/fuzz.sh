#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ (with the address sanitizer) and runs each for a bounded
# time on a copy of its seed corpus. Exits non-zero when a target crashes; the crashing input is
# left in Fuzz/.build/artifacts/<target>/ (turn it into a regression test in Tests/ReliabilityTests).
#
# Usage: Scripts/fuzz.sh [seconds per target, default 60] [target ...]
#   FUZZ_NO_BUILD=1  skip the build
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(FuzzNumPy FuzzCSV FuzzSafeTensors FuzzModelFile); fi

flags=(-c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
if [ -z "${FUZZ_NO_BUILD:-}" ]; then
  swift build --package-path Fuzz "${flags[@]}"
fi
bin="$(swift build --package-path Fuzz "${flags[@]}" --show-bin-path)"

# A leak inside Foundation (see the file) would end every run that reads an empty file.
export LSAN_OPTIONS="suppressions=$PWD/Scripts/lsan-suppressions.txt ${LSAN_OPTIONS:-}"

status=0
for t in "${targets[@]}"; do
  work="Fuzz/.build/corpus/$t"
  artifacts="Fuzz/.build/artifacts/$t/"
  mkdir -p "$work" "$artifacts"
  echo "== $t: ${seconds}s"
  # New inputs go to the first directory (a scratch copy); the seeds in Fuzz/Corpus stay as committed.
  # -malloc_limit_mb makes an allocation of an absurd claimed size a crash too.
  set +e
  "$bin/$t" "$work" "Fuzz/Corpus/$t" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
    -malloc_limit_mb=512 -timeout=10 -artifact_prefix="$artifacts" -print_final_stats=1 >"Fuzz/.build/$t.log" 2>&1
  rc=$?
  set -e
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb|ERROR|SUMMARY|Test unit written" "Fuzz/.build/$t.log" || true
  if [ "$rc" -ne 0 ]; then
    echo "!! $t crashed (exit $rc); see Fuzz/.build/$t.log and $artifacts"
    status=1
  fi
done
exit $status
