#!/usr/bin/env python3
"""Merges the coverage files the client-library tests wrote (`library call count` lines, one
file per test) into a markdown table: one row per interposed call, one column per library,
with the largest count one test saw. Fails if a library's tests saw no interposed call at all,
or if one of the expected libraries wrote no file (its tests did not run to the end).
    coverage_matrix.py COVERAGE_DIR OUT.md [LIBRARY...]
"""
import collections
import pathlib
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    folder, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    expected = sys.argv[3:]
    seen = collections.defaultdict(dict)  # call -> library -> count
    libraries = set()
    for f in sorted(folder.glob("*.txt")):
        libraries.add(f.name.split(".")[0])
        for line in f.read_text().splitlines():
            library, call, count = line.split()
            seen[call][library] = max(seen[call].get(library, 0), int(count))
    problems = [f"{lib}: no coverage file (did its tests run?)" for lib in expected if lib not in libraries]
    for lib in sorted(libraries):
        if not any(lib in per_lib for per_lib in seen.values()):
            problems.append(f"{lib}: its tests saw no interposed call")
    columns = expected + sorted(libraries - set(expected))
    lines = ["| call | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for call in sorted(seen):
        cells = [f"✓ ({seen[call][lib]})" if lib in seen[call] else "" for lib in columns]
        lines.append(f"| `{call}` | " + " | ".join(cells) + " |")
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    if problems:
        sys.exit("coverage_matrix.py: " + "; ".join(problems))


if __name__ == "__main__":
    main()
