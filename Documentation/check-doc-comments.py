#!/usr/bin/env python3
"""Fails when a public symbol has no doc comment.

Reads the symbol graphs in the directory given (as written by `swift build -Xswiftc
-emit-symbol-graph …`) and lists every public symbol without a `docComment`. Symbols with no
source location are the compiler's (synthesised `Hashable`, `Codable`, `RawRepresentable`
members) and are skipped, as are symbols of other packages (swift-numerics' RealModule).

    python3 Documentation/check-doc-comments.py DIR
"""

import json
import pathlib
import sys

OURS = ("LinearAlgebra", "DiffusionProcesses", "ScoreNetworks", "Datasets", "Samplers", "ScoreMatching", "Thermodynamics", "ScoreSDE")


def main():
    directory = pathlib.Path(sys.argv[1])
    missing = set()
    total = 0
    for graph in sorted(directory.glob("*.symbols.json")):
        if graph.name.split("@")[0].split(".")[0] not in OURS:
            continue
        for symbol in json.loads(graph.read_text())["symbols"]:
            if symbol.get("accessLevel") not in ("public", "open") or "location" not in symbol:
                continue
            total += 1
            if "docComment" not in symbol:
                where = symbol["location"]
                path = where["uri"].split("/Sources/")[-1]
                line = where["position"]["line"] + 1
                missing.add(f"Sources/{path}:{line}: {'.'.join(symbol['pathComponents'])}")
    if missing:
        print("public symbols without a doc comment:", *sorted(missing), sep="\n  ", file=sys.stderr)
        sys.exit(1)
    print(f"every public symbol has a doc comment ({total} checked)")


if __name__ == "__main__":
    main()
