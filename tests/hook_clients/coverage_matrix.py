#!/usr/bin/env python3
"""Merges the coverage files the client-library tests wrote (`library call count` lines, one
file per test) into docs/hook-coverage.md's page: a markdown table with one row per
interposed call, one column per library, and the largest count one test saw. Fails if a library's tests saw no interposed call at all,
or if one of the expected libraries wrote no file (its tests did not run to the end).
    coverage_matrix.py COVERAGE_DIR OUT.md [LIBRARY...]
"""
import collections
import pathlib
import sys


PAGE = """# weft::hook: coverage matrix

Which libc calls of each unmodified Debian client library were seen interposed (handled by
weft, the calling tasklet suspended or ready to be) while the library ran in 50 tasklets on
one thread, from `weft::hook::counts()`. A mark with the largest count one test saw; an empty
cell means the library did not make that call through the hook in these tests (it may use
another call for the same purpose, e.g. libpq waits in `poll`, hiredis reads a blocking socket).

Made by the tests in `tests/hook_clients/` (label `hook_clients`): each test writes its part
to `<build>/tests/hook_clients/state/coverage/`, and the test `hook_clients.coverage_matrix`
merges them into `<build>/tests/hook_clients/hook-coverage.md`, which is this page. To refresh
it: `ctest --test-dir build -L hook_clients` and copy that file here.

- **libpq** (`libpq-dev`): `PQconnectdb` and `PQexec("SELECT pg_sleep(0.2), i")`, and
  `PQexec("SELECT pg_sleep(10)")` killed after 300 ms, against a private PostgreSQL.
- **hiredis** (`libhiredis-dev`): `redisConnect` and `redisCommand("BLPOP <empty> 0.2")`, then
  `ECHO`, and a `BLPOP` of 10 s killed after 300 ms, against a private Redis.
- **libcurl** (`libcurl4-openssl-dev`): `curl_easy_perform` of a GET that a weft HTTP server
  answers after 200 ms, by address and by the name `localhost` (resolved on curl's own
  resolver thread, where calls are libc's), and one of 10 s killed after 300 ms.

{table}"""


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
        if not any(per_lib.get(lib, 0) > 0 for per_lib in seen.values()):
            problems.append(f"{lib}: its tests saw no interposed call")
    columns = expected + sorted(libraries - set(expected))
    lines = ["| call | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for call in sorted(seen):
        cells = [f"✓ ({seen[call][lib]})" if seen[call].get(lib, 0) > 0 else "" for lib in columns]
        lines.append(f"| `{call}` | " + " | ".join(cells) + " |")
    table = "\n".join(lines) + "\n"
    out.write_text(PAGE.format(table=table))
    print(table, end="")
    if problems:
        sys.exit("coverage_matrix.py: " + "; ".join(problems))


if __name__ == "__main__":
    main()
