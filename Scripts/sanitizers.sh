#!/usr/bin/env bash
# Runs the test suite once under the thread sanitizer and once under the address sanitizer, each
# in its own scratch directory (.build-tsan, .build-asan) so that the normal .build stays as is.
# Exits non-zero when either run fails or a sanitizer reports anything.
#
# Usage: Scripts/sanitizers.sh [thread|address ...] [-- swift test arguments, e.g. --filter ReliabilityTests]
#   The full suite takes a long time on 2 cores; pass a --filter to restrict it.
set -uo pipefail
cd "$(dirname "$0")/.."
kinds=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do kinds+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ ${#kinds[@]} -eq 0 ] && kinds=(thread address)

# No suppressions: OpenBLAS's thread pool gave no reports in these runs (its library is not
# instrumented, so TSan sees only the calls into it).
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
# Leak checking stays on, with the toolchain's own leaks suppressed (see the file).
export ASAN_OPTIONS="detect_leaks=1 halt_on_error=1 ${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$PWD/Scripts/lsan-suppressions.txt ${LSAN_OPTIONS:-}"
status=0
for kind in "${kinds[@]}"; do
  scratch=".build-${kind:0:1}san"
  [ "$kind" = thread ] && scratch=.build-tsan
  [ "$kind" = address ] && scratch=.build-asan
  echo "== swift test --sanitize=$kind --scratch-path $scratch $*"
  # Outside the scratch directory, which SwiftPM may clean.
  log="${TMPDIR:-/tmp}/score-sde-$kind-sanitizer.log"
  swift test --sanitize="$kind" --scratch-path "$scratch" "$@" >"$log" 2>&1
  rc=$?
  grep -E "WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|SUMMARY:|Test run with|error:" "$log" | head -40
  if [ $rc -ne 0 ] || grep -qE "WARNING: ThreadSanitizer|ERROR: (Address|Leak)Sanitizer" "$log"; then
    echo "!! $kind sanitizer run failed (exit $rc); full log in $log"
    status=1
  fi
done
exit $status
