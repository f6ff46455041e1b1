#!/usr/bin/env python3
"""Runs examples/parallel_curl (five downloads through libcurl, each answered after 200 ms)
and checks its report: every download done in each phase, and the parallel phase well below
the serial one (under half; about a fifth when curl blocks only its tasklet).
    check_parallel_curl.py PARALLEL_CURL
"""
import re
import subprocess
import sys

run = subprocess.run([sys.argv[1]], capture_output=True, text=True, timeout=50)
print(run.stdout, end="")
print(run.stderr, end="", file=sys.stderr)
if run.returncode != 0:
    sys.exit(f"parallel_curl exited with {run.returncode}")
downloads = re.findall(r"^Downloaded http://127\.0\.0\.1:\d+/(\d) \((\d+) bytes\)", run.stdout, re.M)
totals = [float(t) for t in re.findall(r"^ ---> ([\d.]+)$", run.stdout, re.M)]
if len(totals) != 2:
    sys.exit(f"expected a serial and a parallel total, got {totals}")
if sorted(downloads) != sorted([(str(i), "16396") for i in range(5)] * 2):
    sys.exit(f"expected each of the 5 downloads twice, 16396 bytes each: {downloads}")
serial, parallel = totals
if not serial >= 5 * 0.2:
    sys.exit(f"serial {serial:.2f} s is below 5 x 200 ms: the server did not wait")
if not parallel < serial / 2:
    sys.exit(f"parallel {parallel:.2f} s is not well below serial {serial:.2f} s: curl blocked the thread")
print(f"serial {serial:.2f} s, parallel {parallel:.2f} s")
