#!/usr/bin/env python3
"""weft-serve driven by curl and raw sockets: listings, MIME types, ranges, ETag and
If-Modified-Since (304), sendfile for a large file, the log line, and refused traversal
(.., %2e%2e, %2f, NUL, symlinks out of the root).
Usage: test_weft_serve.py <path to weft-serve>"""
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from checks import check, finish

SERVE = sys.argv[1]




def curl(*args):
    r = subprocess.run(["curl", "-sS", *args], capture_output=True, timeout=30)
    return r.stdout


def raw(port, target):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    return out


def start(root, *extra):
    p = subprocess.Popen([SERVE, root, "--port", "0", *extra], stderr=subprocess.PIPE)
    line = p.stderr.readline().decode()
    m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    return p, int(m.group(1))


def main():
    top = tempfile.mkdtemp()
    root = os.path.join(top, "root")
    os.makedirs(os.path.join(root, "sub"))
    os.makedirs(os.path.join(root, "site"))
    with open(os.path.join(top, "secret"), "w") as f:
        f.write("top secret\n")
    with open(os.path.join(root, "hello.txt"), "w") as f:
        f.write("hello, file\n")
    with open(os.path.join(root, "sub", "page.html"), "w") as f:
        f.write("<p>page</p>\n")
    with open(os.path.join(root, "a <b>&c.txt"), "w") as f:
        f.write("odd name\n")
    with open(os.path.join(root, "site", "index.html"), "w") as f:
        f.write("<h1>index</h1>\n")
    big = os.urandom(5 << 20)
    with open(os.path.join(root, "big.bin"), "wb") as f:
        f.write(big)
    os.symlink(os.path.join(top, "secret"), os.path.join(root, "escape"))
    os.symlink("..", os.path.join(root, "sub", "up"))
    os.symlink(os.path.join(root, "hello.txt"), os.path.join(root, "inner-link"))

    p, port = start(root)
    u = lambda path: "http://127.0.0.1:%d%s" % (port, path)
    try:
        out = curl("-i", u("/"))
        check("listing: HTML with entries", out.startswith(b"HTTP/1.1 200") and b"text/html" in out and
              b'href="hello.txt"' in out and b'href="sub/"' in out, out[:400])
        check("listing: names escaped", b"a &lt;b&gt;&amp;c.txt" in out and b'href="a%20%3Cb%3E%26c.txt"' in out, out)
        out = curl("-i", u("/sub"))
        check("directory without slash -> 301", out.startswith(b"HTTP/1.1 301") and b"Location: /sub/\r\n" in out, out)
        check("index.html served for its directory", curl(u("/site/")) == b"<h1>index</h1>\n")
        out = curl("-i", u("/hello.txt"))
        check("file + text/plain", out.endswith(b"\r\n\r\nhello, file\n") and
              b"Content-Type: text/plain; charset=utf-8" in out, out)
        out = curl("-i", u("/sub/page.html"))
        check("html MIME", b"Content-Type: text/html; charset=utf-8" in out, out)
        check("odd file name", curl(u("/a%20%3Cb%3E%26c.txt")) == b"odd name\n")
        out = curl(u("/big.bin"))
        check("5 MiB file (sendfile) intact", hashlib.sha256(out).digest() == hashlib.sha256(big).digest(), len(out))
        out = curl("-I", u("/big.bin"))
        check("HEAD: length, no body", b"Content-Length: %d" % len(big) in out, out)

        out = curl("-i", "-r", "0-4", u("/hello.txt"))
        check("Range 0-4 -> 206", out.startswith(b"HTTP/1.1 206") and b"Content-Range: bytes 0-4/12" in out and
              out.endswith(b"\r\n\r\nhello"), out)
        out = curl("-i", "-H", "Range: bytes=-5", u("/hello.txt"))
        check("suffix range", out.endswith(b"\r\n\r\nfile\n") and b"bytes 7-11/12" in out, out)
        out = curl("-i", "-H", "Range: bytes=7-", u("/hello.txt"))
        check("open range", out.endswith(b"\r\n\r\nfile\n") and b"bytes 7-11/12" in out, out)
        out = curl("-r", "1000000-2000000", u("/big.bin"))
        check("range of the big file", out == big[1000000:2000001], len(out))
        out = curl("-i", "-H", "Range: bytes=100-", u("/hello.txt"))
        check("unsatisfiable -> 416", out.startswith(b"HTTP/1.1 416") and b"Content-Range: bytes */12" in out, out)
        out = curl("-i", "-H", "Range: bytes=0-1,3-4", u("/hello.txt"))
        check("several ranges -> whole file", out.startswith(b"HTTP/1.1 200"), out)

        out = curl("-i", u("/hello.txt"))
        etag = re.search(rb"ETag: (\"[^\"]+\")", out).group(1)
        lm = re.search(rb"Last-Modified: ([^\r]+)", out).group(1)
        out = curl("-i", "-H", b"If-None-Match: " + etag, u("/hello.txt"))
        check("If-None-Match -> 304", out.startswith(b"HTTP/1.1 304") and b"hello" not in out, out)
        out = curl("-i", "-H", "If-None-Match: \"other\"", u("/hello.txt"))
        check("other ETag -> 200", out.startswith(b"HTTP/1.1 200"), out)
        out = curl("-i", "-H", b"If-Modified-Since: " + lm, u("/hello.txt"))
        check("If-Modified-Since -> 304", out.startswith(b"HTTP/1.1 304"), out)
        out = curl("-i", "-H", "If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT", u("/hello.txt"))
        check("old If-Modified-Since -> 200", out.startswith(b"HTTP/1.1 200"), out)
        out = curl("-i", "-H", "If-Range: \"stale\"", "-r", "0-1", u("/hello.txt"))
        check("stale If-Range -> whole file", out.startswith(b"HTTP/1.1 200"), out)

        for target in [b"/../secret", b"/%2e%2e/secret", b"/%2E%2E/secret", b"/sub/..%2f..%2fsecret",
                       b"/sub/%2e%2e/%2e%2e/secret", b"/..%2fsecret", b"/sub/up/../secret"]:
            out = raw(port, target)
            check("traversal refused: %s" % target.decode(), out.startswith(b"HTTP/1.1 403") and
                  b"top secret" not in out, out[:200])
        out = raw(port, b"/hello.txt%00.html")
        check("NUL refused", out.startswith(b"HTTP/1.1 400") and b"hello" not in out, out[:200])
        out = raw(port, b"/escape")
        check("symlink out of the root refused", out.startswith(b"HTTP/1.1 403") and b"secret" not in out, out[:200])
        out = raw(port, b"/sub/up/hello.txt")
        check("symlink inside the root followed", out.endswith(b"hello, file\n"), out[:200])
        check("link to a file inside", curl(u("/inner-link")) == b"hello, file\n")
        out = curl("-i", u("/nope"))
        check("missing -> 404", out.startswith(b"HTTP/1.1 404"), out)
        out = curl("-i", "-X", "POST", u("/hello.txt"))
        check("POST -> 405", out.startswith(b"HTTP/1.1 405") and b"Allow: GET, HEAD" in out, out)
    finally:
        p.terminate()
        log = p.communicate(timeout=10)[1]
    check("log line per request", re.search(rb'127\.0\.0\.1:\d+ "GET /hello.txt HTTP/1.1" 200 12\n', log) is not None and
          b'"GET /nope HTTP/1.1" 404' in log, log[-500:])

    p, port = start(root, "--threads", "2")
    try:
        ok = all(curl("http://127.0.0.1:%d/hello.txt" % port) == b"hello, file\n" for _ in range(20))
        check("--threads 2 serves", ok)
    finally:
        p.kill()
        p.wait()
        shutil.rmtree(top)
    finish()


main()
