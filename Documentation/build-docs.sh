#!/usr/bin/env bash
# Builds the ScoreSDE documentation site into .build/docs and fails on any warning.
#
#   Documentation/build-docs.sh            # then open .build/docs/index.html through a web server,
#                                          # e.g. python3 -m http.server -d .build/docs, and go to
#                                          # /documentation/scoresde and /tutorials/scoresde
#
# Steps:
#  1. The tutorials' code in the catalog must equal its compiled source (sync-snippets.py --check).
#  2. Symbol graphs of every module, from a build in its own scratch folder (.build/docs-scratch)
#     so the symbol-graph flags never invalidate the ordinary debug build.
#  3. Every public symbol has a doc comment (check-doc-comments.py on those graphs).
#  4. One DocC archive: the catalog Documentation/ScoreSDE.docc (landing page, articles,
#     tutorials) with the symbol graph of the umbrella module ScoreSDE, which holds every
#     re-exported public symbol of the six library modules. One archive rather than one per
#     module so that links between modules (a ScoreMatching doc comment naming `GaussianSDE`,
#     a tutorial naming `Trainer`) resolve and are checked: DocC resolves symbol links only
#     inside one archive. `--warnings-as-errors` turns a broken link, an unknown parameter or a
#     bad directive into a failure; the output is transformed for static hosting.
set -euo pipefail
cd "$(dirname "$0")/.."

out=.build/docs
scratch=.build/docs-scratch
# Inside the scratch folder: a build that finds nothing to do emits no graphs, so the last
# ones (those of the current sources) must stay.
graphs=$scratch/symbol-graphs

echo "== tutorial snippets"
python3 Documentation/sync-snippets.py --check

echo "== symbol graphs"
rm -rf "$graphs/ScoreSDE"
mkdir -p "$graphs/all" "$graphs/ScoreSDE"
swift build --scratch-path "$scratch" --target ScoreSDE \
  -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$PWD/$graphs/all" 2>&1 \
  | grep -vE '^\[[0-9]+/[0-9]+\]' || true
test -f "$graphs/all/ScoreSDE.symbols.json" || { echo "no symbol graph for ScoreSDE" >&2; exit 1; }
cp "$graphs/all"/ScoreSDE.symbols.json "$graphs/all"/ScoreSDE@*.symbols.json "$graphs/ScoreSDE/"

echo "== doc comments"
python3 Documentation/check-doc-comments.py "$graphs/all"

echo "== docc convert"
docc=$(command -v docc || xcrun --find docc)
rm -rf "$out"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
"$docc" convert Documentation/ScoreSDE.docc \
  --additional-symbol-graph-dir "$graphs/ScoreSDE" \
  --fallback-display-name ScoreSDE --fallback-bundle-identifier org.scoresde.ScoreSDE \
  --transform-for-static-hosting --warnings-as-errors \
  --output-path "$out" >"$log" 2>&1 || status=$?
if [ "$status" -ne 0 ] || grep -qE '(warning|error):' "$log"; then
  cat "$log" >&2
  echo "docc convert failed (status $status) or reported warnings" >&2
  exit 1
fi
echo "documentation site written to $out ($(find "$out" -name '*.json' -path '*/data/*' | wc -l) pages)"
