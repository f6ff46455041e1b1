#!/usr/bin/env python3
"""weft-fetch end to end against tests/httpc/server.py on 127.0.0.1 (plain and TLS).

Checks: files byte-identical to the served ones; the plain-line output when stdout is not a
terminal; a bar per file and a total redrawn with ANSI when it is (run under script(1));
a failed URL exits non-zero, names the URL, and leaves neither its file nor a temporary
one, nor does SIGINT mid-download; --compare prints seed 000's serial and parallel blocks; https with --cacert, and
refused without it.
Usage: fetch_test.py WEFT_FETCH SERVER_PY
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

FETCH, SERVER = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def start_server(*args):
    p = subprocess.Popen([sys.executable, SERVER, *args], stdout=subprocess.PIPE, text=True)
    port = p.stdout.readline().strip()
    if not port:
        sys.exit("server.py did not start")
    return p, port


def fetch(*args, timeout=60):
    return subprocess.run([FETCH, *args], capture_output=True, text=True, timeout=timeout)


def main():
    tmp = tempfile.mkdtemp(prefix="weft-fetch-test-")
    root = os.path.join(tmp, "root")
    os.mkdir(root)
    files = {"big.bin": os.urandom(5 * 1024 * 1024 + 17), "small.txt": b"hello\n", "empty": b"",
             "sp ace.txt": b"a name with a space\n"}
    for name, data in files.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
    server, port = start_server("--root", root)
    base = "http://127.0.0.1:%s/" % port
    try:
        # 1. Everything downloads, byte for byte; stdout is a pipe, so plain lines.
        out = os.path.join(tmp, "out")
        urls = [base + "big.bin", base + "small.txt", base + "empty", base + "sp%20ace.txt"]
        r = fetch(*urls, "--parallel", "3", "-o", out)
        check(r.returncode == 0, "exit 0 on success, got %d: %s" % (r.returncode, r.stderr))
        for name, data in files.items():
            path = os.path.join(out, name)
            check(os.path.exists(path) and open(path, "rb").read() == data, "%s is byte-identical" % name)
        lines = r.stdout.splitlines()
        check("\x1b" not in r.stdout, "no ANSI escapes when stdout is not a terminal")
        check(len(lines) == 5, "one line per file and a total: %r" % lines)
        for u in urls:
            check(any(re.fullmatch(r"downloaded %s -> .+ \(\d+ bytes\) in \d+\.\d\d s" % re.escape(u), l)
                      for l in lines), "a 'downloaded' line for " + u)
        check(re.fullmatch(r"total: 4 of 4 files, %d bytes in \d+\.\d\d s" % sum(map(len, files.values())),
                           lines[-1] if lines else "") is not None, "the total line: %r" % lines[-1:])

        # 2. A 404 and a refused connection: non-zero exit naming each URL, no file, no
        #    temporary file; the good URL beside them still arrives.
        out2 = os.path.join(tmp, "out2")
        bad404, refused = base + "missing.bin", "http://127.0.0.1:1/nothing.bin"
        r = fetch(base + "small.txt", bad404, refused, "-o", out2)
        check(r.returncode == 1, "exit 1 when a download fails, got %d" % r.returncode)
        check("weft-fetch: GET %s: HTTP 404 File not found" % bad404 in r.stderr, "stderr names the 404: " + r.stderr)
        check("weft-fetch: GET %s: connect to 127.0.0.1:1: Connection refused" % refused in r.stderr,
              "stderr names the refused URL: " + r.stderr)
        check(sorted(os.listdir(out2)) == ["small.txt"], "only the good file is left: %r" % os.listdir(out2))

        # 3. A body cut short (Content-Length 100, 10 bytes, close) leaves nothing either.
        out3 = os.path.join(tmp, "out3")
        r = fetch(base + "truncated", "-o", out3)
        check(r.returncode == 1 and "connection closed in the middle of the body" in r.stderr,
              "a truncated body fails: " + r.stderr)
        check(os.listdir(out3) == [], "no partial file: %r" % os.listdir(out3))

        # 3b. Interrupted (SIGINT) mid-download: the temporary files go too.
        out3b = os.path.join(tmp, "out3b")
        p = subprocess.Popen([FETCH, base + "slow/5000", base + "small.txt", base + "slow/4000", "-o", out3b],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 10

        def settled():  # small.txt published, the two slow ones still in their temporary files
            names = os.listdir(out3b) if os.path.isdir(out3b) else []
            return "small.txt" in names and len([f for f in names if ".part-" in f]) == 2

        while time.time() < deadline and not settled():
            time.sleep(0.05)
        check(len([f for f in os.listdir(out3b) if ".part-" in f]) == 2, "two temporary files while waiting: %r"
              % os.listdir(out3b))
        p.send_signal(signal.SIGINT)
        p.wait(timeout=10)
        check(p.returncode == -signal.SIGINT, "died of SIGINT: %r" % p.returncode)
        check(os.listdir(out3b) == ["small.txt"], "only the finished file stays: %r" % os.listdir(out3b))

        # 4. On a terminal: bars redrawn in place, then the total.
        cmd = " ".join("'%s'" % a for a in [FETCH, base + "big.bin", base + "slow/300", "-o", os.path.join(tmp, "out4")])
        r = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "terminal run exits 0: %r" % r.stdout[-300:])
        check("\x1b[3A" in r.stdout, "frames move the cursor up over 2 bars + total")
        check(re.search(r"big\.bin +\[#{30}\] 100%", r.stdout) is not None, "a full bar for big.bin")
        check("total: 2 of 2 files" in r.stdout, "the summary on a terminal")

        # 4b. More files than rows on a small terminal: frames never taller than the screen
        #     (moving up past its top would garble them), lines never wider (no wrapping).
        urls = " ".join("'%sslow/%d'" % (base, 20 * i) for i in range(1, 21))
        cmd = "stty rows 10 cols 60; '%s' %s '%s' -o '%s'" % (FETCH, urls, base + "big.bin", os.path.join(tmp, "out4b"))
        r = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, timeout=60)
        out = r.stdout.decode("utf-8", "replace")
        ups = [int(n) for n in re.findall(r"\x1b\[(\d+)A", out)]
        lines = re.findall(r"\r\x1b\[2K([^\r\n]*)", out)
        check(r.returncode == 0 and "total: 21 of 21 files" in out, "21 files on a 10-row terminal")
        check(ups and max(ups) <= 9, "frames at most 9 lines on 10 rows: %r" % sorted(set(ups)))
        check(lines and max(map(len, lines)) <= 59, "lines at most 59 columns on 60")

        # 5. --compare: seed 000's two blocks, parallel faster than serial.
        r = fetch("--compare", *[base + "slow/300"] * 4, "-o", os.path.join(tmp, "out5"))
        times = [float(t) for t in re.findall(r" ---> (\d+\.\d+)", r.stdout)]
        check(r.stdout.startswith(" === Serial === \n") and " === Parallel === \n" in r.stdout, "compare blocks")
        check(r.stdout.count("Downloaded ") == 8, "8 'Downloaded' lines")
        check(len(times) == 2 and times[0] >= 1.2 and times[1] < times[0] / 2,
              "serial >= 4 x 0.3 s, parallel under half of it: %r" % times)
    finally:
        server.terminate()
        server.wait()

    # 6. https: refused with the system trust store, fine with the self-signed cert as CA.
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    server, port = start_server("--root", root, "--tls", cert, key)
    try:
        url = "https://localhost:%s/big.bin" % port
        out6 = os.path.join(tmp, "out6")
        r = fetch(url, "-o", out6)
        check(r.returncode == 1 and "certificate verify failed" in r.stderr and url in r.stderr,
              "untrusted certificate refused: " + r.stderr)
        check(os.listdir(out6) == [], "nothing written for the refused https URL")
        r = fetch(url, "--cacert", cert, "-o", out6)
        check(r.returncode == 0, "https with --cacert: " + r.stderr)
        check(open(os.path.join(out6, "big.bin"), "rb").read() == files["big.bin"], "https file byte-identical")
    finally:
        server.terminate()
        server.wait()

    subprocess.run(["rm", "-rf", tmp])
    if failures:
        sys.exit("%d checks failed" % len(failures))
    print("weft-fetch: all checks passed")


if __name__ == "__main__":
    main()
