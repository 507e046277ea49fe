#!/usr/bin/env python3
"""Copies the tutorials' code from the compiled sources into the DocC catalog.

The code a tutorial shows has one source of truth: a region of a file that CI compiles and
runs (Tests/TutorialTests/*.swift, the Examples/ packages), marked

    // snippet: NAME
    ...
    // end-snippet

Each region, dedented, becomes Documentation/ScoreSDE.docc/Resources/NAME.swift (or the
extension given in the name, e.g. `// snippet: getting-started-package.swift`), which a
tutorial's `@Code(file: "NAME.swift")` shows. Several regions of one name in one file are
concatenated, so a test's assertions can sit inside the tutorial's code without showing.

    python3 Documentation/sync-snippets.py           # write the copies
    python3 Documentation/sync-snippets.py --check   # fail when a copy is stale or missing,
                                                     # or a tutorial shows a file no region makes
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CATALOG = ROOT / "Documentation" / "ScoreSDE.docc"
RESOURCES = CATALOG / "Resources"
SOURCES = sorted(ROOT.glob("Tests/TutorialTests/*.swift")) + sorted(
    p for p in ROOT.glob("Examples/**/*.swift") if ".build" not in p.parts
)
# Resources that are not Swift and so are not compiled (shown as they are).
STATIC = {".py", ".svg", ".png", ".txt", ".sh"}

BEGIN = re.compile(r"^\s*// snippet: ([A-Za-z0-9_.-]+)\s*$")
END = re.compile(r"^\s*// end-snippet\s*$")


def dedent(lines):
    indents = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return [line[cut:] if line.strip() else "" for line in lines]


def extract():
    pieces, owners = {}, {}
    problems = []
    for path in SOURCES:
        name, body = None, []
        for number, line in enumerate(path.read_text().splitlines(), 1):
            where = f"{path.relative_to(ROOT)}:{number}"
            if m := BEGIN.match(line):
                if name:
                    problems.append(f"{where}: snippet '{m.group(1)}' starts inside '{name}'")
                name, body = m.group(1), []
            elif END.match(line):
                if not name:
                    problems.append(f"{where}: end-snippet without a snippet")
                    continue
                file = name if "." in name else name + ".swift"
                if file in owners and owners[file] != path:
                    problems.append(f"{where}: snippet '{name}' is also defined in {owners[file]}")
                owners[file] = path
                # Regions of one name in one file are parts of one snippet (the lines between
                # them, such as a test's assertions, are left out of the tutorial).
                pieces.setdefault(file, []).extend(body)
                name = None
            elif name:
                body.append(line)
        if name:
            problems.append(f"{path.relative_to(ROOT)}: snippet '{name}' has no end-snippet")
    snippets = {file: "\n".join(dedent(body)).strip("\n") + "\n" for file, body in pieces.items()}
    return snippets, problems


def referenced_files():
    refs = set()
    for page in CATALOG.rglob("*.tutorial"):
        refs.update(re.findall(r'@Code\([^)]*file:\s*"([^"]+)"', page.read_text()))
    return refs


def main():
    check = "--check" in sys.argv[1:]
    snippets, problems = extract()
    for file, text in sorted(snippets.items()):
        target = RESOURCES / file
        current = target.read_text() if target.exists() else None
        if current == text:
            continue
        if check:
            problems.append(f"{target.relative_to(ROOT)} is {'stale' if current else 'missing'}")
        else:
            RESOURCES.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            print(f"wrote {target.relative_to(ROOT)}")
    for file in sorted(referenced_files()):
        if file not in snippets and pathlib.Path(file).suffix not in STATIC:
            problems.append(f"a tutorial shows {file}, which no snippet region produces")
    for stray in sorted(RESOURCES.glob("*.swift")):
        if stray.name not in snippets:
            problems.append(f"{stray.relative_to(ROOT)} comes from no snippet region (delete it)")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        if check:
            print("run: python3 Documentation/sync-snippets.py", file=sys.stderr)
        sys.exit(1)
    print(f"{len(snippets)} snippets {'up to date' if check else 'synced'}")


if __name__ == "__main__":
    main()
