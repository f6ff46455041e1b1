#!/usr/bin/env python3
"""Drives http_test_server from outside: curl (every feature), raw sockets and http.client
(pipelining, requests sent byte by byte, malformed and hostile input). After each hostile
case the server must still answer a fresh client.
Usage: test_server.py <path to http_test_server>"""
import http.client
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

from checks import check, finish

SERVER = sys.argv[1]
OPTS = ["--header-timeout-ms", "2000", "--idle-timeout-ms", "1500", "--write-timeout-ms", "1000",
        "--max-body", "100000", "--max-line", "1000", "--max-header-bytes", "4000", "--max-headers", "20"]
port = 0




def curl(*args, timeout=20):
    r = subprocess.run(["curl", "-sS", *args], capture_output=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr.decode(errors="replace")


def url(path):
    return "http://127.0.0.1:%d%s" % (port, path)


def connect():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s


def read_all(s, limit=30.0):
    """Everything until the server closes (or `limit` seconds)."""
    s.settimeout(limit)
    out = b""
    end = time.time() + limit
    try:
        while time.time() < end:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except (socket.timeout, ConnectionResetError):
        pass
    return out


def raw(data, byte_by_byte=False, delay=0.0):
    s = connect()
    if byte_by_byte:
        for b in data:
            s.sendall(bytes([b]))
            if delay:
                time.sleep(delay)
    else:
        s.sendall(data)
    out = read_all(s)
    s.close()
    return out


def statuses(resp):
    return [int(m) for m in re.findall(rb"HTTP/1\.[01] (\d{3}) ", resp)]


def still_serving(name):
    code, out, err = curl(url("/"))
    check(name + ": server still serves", code == 0 and out == b"hello world\n", (code, out, err))


def start(*extra):
    global port
    proc = subprocess.Popen([SERVER, *OPTS, "--file", SERVER, *extra], stdout=subprocess.PIPE)
    line = proc.stdout.readline().decode()
    port = int(line.strip().rsplit(":", 1)[1])
    return proc


def main():
    proc = start()
    try:
        run_all()
    finally:
        proc.kill()
        proc.wait()
    with tempfile.TemporaryDirectory() as d:
        cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-subj", "/CN=localhost", "-days", "1"], check=True, capture_output=True)
        proc = start("--cert", cert, "--key", key)
        try:
            run_tls()
        finally:
            proc.kill()
            proc.wait()
    finish()


def run_tls():
    tls = "https://127.0.0.1:%d" % port
    code, out, err = curl("-k", tls + "/")
    check("TLS: GET /", out == b"hello world\n", (code, out, err))
    body = os.urandom(30000)
    with tempfile.NamedTemporaryFile() as f:
        f.write(body)
        f.flush()
        code, out, err = curl("-k", "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + f.name, tls + "/stream-echo")
        check("TLS: chunked body in and out", out == body, (len(out), err))
    code, out, err = curl("-k", tls + "/file")
    with open(SERVER, "rb") as f:
        check("TLS: send_file falls back to read and write", out == f.read(), (len(out), err))
    code, out, err = curl("-k", "-v", tls + "/", tls + "/users/3")
    check("TLS: keep-alive", out == b"hello world\nuser 3\n" and "Re-using existing connection" in err, err[-500:])


def run_all():
    # ---- curl: the features ----
    code, out, err = curl("-i", url("/"))
    check("GET / hello world", code == 0 and out.endswith(b"\r\n\r\nhello world\n"), out)
    check("GET / text/plain", b"Content-Type: text/plain" in out and b"Content-Length: 12" in out, out)
    check("GET / has Date", re.search(rb"Date: \w{3}, \d\d \w{3} \d{4}", out) is not None, out)
    code, out, _ = curl(url("/users/42"))
    check("route param", out == b"user 42\n", out)
    code, out, _ = curl(url("/files/a/b/c.txt"))
    check("route star", out == b"rest=a/b/c.txt\n", out)
    code, out, _ = curl(url("/path/x"))
    code, out, _ = curl("-w", "%{http_code}", "-o", "/dev/null", url("/nowhere"))
    check("404", out == b"404", out)
    code, out, _ = curl("-i", "-X", "POST", url("/users/7"))
    check("405 with Allow", out.startswith(b"HTTP/1.1 405") and b"Allow: GET, HEAD, PUT\r\n" in out, out)
    code, out, _ = curl("-X", "PUT", url("/users/7"))
    check("PUT route", out == b"put 7\n", out)
    code, out, _ = curl(url("/path?x=1&y=%20"))
    check("query kept raw", out == b"/path|x=1&y=%20\n", out)
    code, out, _ = curl("--path-as-is", url("/files/a%20b"))
    check("path percent-decoded", out == b"rest=a b\n", out)
    code, out, _ = curl("-I", url("/"))
    check("HEAD: length, no body", out.startswith(b"HTTP/1.1 200") and b"Content-Length: 12" in out, out)
    code, out, _ = curl("-i", url("/throw"))
    check("handler exception -> 500", out.startswith(b"HTTP/1.1 500"), out)

    body = os.urandom(50000)
    with tempfile.NamedTemporaryFile() as f:
        f.write(body)
        f.flush()
        code, out, _ = curl("--data-binary", "@" + f.name, url("/echo"))
        check("POST Content-Length body echoed", out == body, len(out))
        code, out, err = curl("-H", "Transfer-Encoding: chunked", "--data-binary", "@" + f.name, url("/echo"))
        check("POST chunked request body", out == body, (len(out), err))
        code, out, err = curl("-v", "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + f.name,
                              url("/stream-echo"))
        check("streamed body -> chunked response", out == body and "transfer-encoding: chunked" in err.lower(),
              (len(out), err[-400:]))
        code, out, err = curl("-v", "-H", "Expect: 100-continue", "--data-binary", "@" + f.name, url("/echo"))
        check("Expect: 100-continue", out == body and "HTTP/1.1 100 Continue" in err, err[-600:])
        code, out, err = curl("-v", "-H", "Expect: 100-continue", "--data-binary", "@" + f.name, url("/ignore"))
        check("Expect, body never read: answered, connection closed",
              out == b"ignored\n" and "100 Continue" not in err and "Connection: close" in err, (out, err[-800:]))
    code, out, err = curl("-v", url("/"), url("/users/1"), url("/"))
    check("keep-alive: curl reuses the connection",
          out == b"hello world\nuser 1\nhello world\n" and err.count("Re-using existing connection") == 2,
          err[-600:])
    code, out, err = curl("-v", "--http1.0", "-H", "Connection: keep-alive", url("/"), url("/"))
    check("HTTP/1.0 keep-alive", out == b"hello world\n" * 2 and "Connection: keep-alive" in err, err[-600:])
    code, out, _ = curl("-i", "--http1.0", url("/stream"))
    check("HTTP/1.0 streamed body ends by close", out.endswith(b"piece 0\npiece 1\npiece 2\n") and
          b"Connection: close" in out and b"chunked" not in out, out)
    with tempfile.NamedTemporaryFile() as f:
        f.write(b"x" * 200000)
        f.flush()
        code, out, _ = curl("-w", "%{http_code}", "-o", "/dev/null", "--data-binary", "@" + f.name, url("/echo"))
        check("Content-Length over max_body -> 413", out == b"413", out)
        code, out, _ = curl("-w", "%{http_code}", "-o", "/dev/null", "-H", "Transfer-Encoding: chunked",
                            "--data-binary", "@" + f.name, url("/echo"))
        check("chunked body over max_body -> 413", out == b"413", out)
    code, out, _ = curl("-w", "%{http_code}", "-o", "/dev/null", url("/" + "a" * 2000))
    check("long target -> 414", out == b"414", out)
    code, out, _ = curl("-w", "%{http_code}", "-o", "/dev/null", "-H", "X-Big: " + "b" * 5000, url("/"))
    check("big header -> 431", out == b"431", out)
    hs = []
    for i in range(30):
        hs += ["-H", "X-H%d: v" % i]
    code, out, _ = curl("-w", "%{http_code}", "-o", "/dev/null", *hs, url("/"))
    check("too many headers -> 431", out == b"431", out)

    code, out, _ = curl(url("/file"))
    with open(SERVER, "rb") as f:
        check("send_file (sendfile) sends the file", out == f.read(), len(out))

    # Streaming: the pieces arrive as they are written, not at the end.
    s = connect()
    s.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
    t0 = time.time()
    first = s.recv(65536)
    t_first = time.time() - t0
    rest = b""
    while b"0\r\n\r\n" not in first + rest:
        rest += s.recv(65536)
    s.close()
    check("streamed response: first piece before the handler ends",
          b"piece 0" in first and b"piece 2" not in first and t_first < 0.25, (first, t_first))

    # A handler that blocks does not hold up other connections.
    t0 = time.time()
    slow = threading.Thread(target=lambda: curl(url("/sleep?800")))
    slow.start()
    time.sleep(0.1)
    code, out, _ = curl(url("/"))
    fast = time.time() - t0
    slow.join()
    check("blocking handler: others served meanwhile", out == b"hello world\n" and fast < 0.7, fast)

    # ---- pipelining and byte-by-byte ----
    reqs = (b"GET /users/1 HTTP/1.1\r\nHost: x\r\n\r\n"
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde"
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nfoo\r\n0\r\n\r\n"
            b"GET /users/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    out = raw(reqs)
    check("pipelined: 4 answers in order", statuses(out) == [200] * 4 and
          out.index(b"user 1") < out.index(b"abcde") < out.index(b"foo") < out.index(b"user 2"), out)
    out = raw(reqs, byte_by_byte=True)
    check("pipelined, sent byte by byte", statuses(out) == [200] * 4 and out.endswith(b"user 2\n"), out)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    ok = True
    for i in range(20):
        c.request("GET", "/users/%d" % i)
        r = c.getresponse()
        ok = ok and r.status == 200 and r.read() == b"user %d\n" % i
    c.request("POST", "/echo", body=b"x" * 1000)
    r = c.getresponse()
    ok = ok and r.read() == b"x" * 1000
    c.close()
    check("http.client: 21 requests on one connection", ok)

    # ---- malformed input: each answered, the connection closed, the server fine ----
    bad = [
        ("garbage request line", b"GARBAGE\r\n\r\n", 400),
        ("bad version", b"GET / HTTP/9.x\r\nHost: x\r\n\r\n", 400),
        ("no Host in HTTP/1.1", b"GET / HTTP/1.1\r\n\r\n", 400),
        ("two Host fields", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("bad header name", b"GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", 400),
        ("bad Content-Length", b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 12a\r\n\r\n", 400),
        ("negative Content-Length", b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
        ("two Content-Lengths", b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400),
        ("Content-Length and Transfer-Encoding",
         b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
         b"GET /users/smuggled HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("Transfer-Encoding not chunked", b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
        ("unknown coding before chunked", b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
        ("Transfer-Encoding in HTTP/1.0", b"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("bad chunk size", b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400),
        ("bad percent-encoding", b"GET /files/%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("encoded NUL", b"GET /files/a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("unknown expectation", b"POST /echo HTTP/1.1\r\nHost: x\r\nExpect: magic\r\nContent-Length: 1\r\n\r\na", 417),
        ("request line over max", b"GET /" + b"a" * 3000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        ("header section over max", b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: " + b"v" * 5000 + b"\r\n\r\n", 431),
        ("too many fields", b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(40)) + b"\r\n", 431),
        ("whitespace flood", b"GET / HTTP/1.1\r\nHost: x\r\nX-A:" + b" " * 20000 + b"v\r\n\r\n", 431),
        ("Content-Length over max", b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n", 413),
    ]
    for name, data, want in bad:
        out = raw(data)
        check("malformed: %s -> %d, closed" % (name, want), statuses(out) == [want] and b"Connection: close" in out, out[:300])
    for name, data, want in bad[:6] + bad[8:10]:
        out = raw(data, byte_by_byte=True)
        check("malformed byte by byte: %s -> %d" % (name, want), statuses(out) == [want], out[:300])
    out = raw(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
              b"GET /users/smuggled HTTP/1.1\r\nHost: x\r\n\r\n")
    check("smuggling attempt: no second response", b"smuggled" not in out and len(statuses(out)) == 1, out)
    still_serving("after malformed input")

    # ---- hostile clients ----
    # Slowloris: one byte a second. The 2 s header timeout ends it with 408, while a normal
    # client is served meanwhile.
    s = connect()
    t0 = time.time()
    got = b""
    served_meanwhile = False
    s.settimeout(0.05)
    for b in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"y" * 20:
        try:
            s.sendall(bytes([b]))
        except (BrokenPipeError, ConnectionResetError):
            break
        if not served_meanwhile:
            code, out, _ = curl(url("/"))
            served_meanwhile = out == b"hello world\n"
        deadline = time.time() + 1.0
        while time.time() < deadline:
            try:
                d = s.recv(4096)
            except socket.timeout:
                continue
            except ConnectionResetError:
                d = b""
            got += d
            if not d or got:
                break
        if got or time.time() - t0 > 6:
            break
    elapsed = time.time() - t0
    s.close()
    check("slowloris: 408 at the header timeout", statuses(got) == [408] and 1.8 < elapsed < 4.5, (got, elapsed))
    check("slowloris: others served meanwhile", served_meanwhile)

    # Idle keep-alive connection: closed after the idle timeout (1.5 s).
    s = connect()
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    first = s.recv(4096)
    t0 = time.time()
    s.settimeout(5)
    rest = s.recv(4096)
    idle = time.time() - t0
    s.close()
    check("idle keep-alive closed after idle_timeout", first.endswith(b"hello world\n") and rest == b"" and 1.3 < idle < 3.0,
          (rest, idle))

    # A client that asks for 32 MiB and never reads: dropped after the write timeout (1 s).
    s = connect()
    s.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)
    still_serving("while a client does not read")
    time.sleep(2.0)
    total = len(read_all(s, limit=5))
    s.close()
    check("non-reading client dropped at the write timeout", total < (32 << 20), total)

    # Abrupt resets: mid-head, mid-body, and while a response is being written.
    for name, data in [("mid-head", b"GET / HTTP/1.1\r\nHo"),
                       ("mid-body", b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"),
                       ("mid-response", b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")]:
        s = connect()
        s.sendall(data)
        time.sleep(0.1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    time.sleep(0.2)
    still_serving("after abrupt resets")

    # Many connections at once, each answered.
    results = []

    def one():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/sleep?200")
        results.append(c.getresponse().read())
        c.close()
    ts = [threading.Thread(target=one) for _ in range(50)]
    t0 = time.time()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    check("50 concurrent blocking handlers", results == [b"slept\n"] * 50 and time.time() - t0 < 5, time.time() - t0)

    # Upgrade: 101, then the handler owns the connection; bytes sent with the request reach it.
    s = connect()
    s.sendall(b"GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nfirst\n")
    buf = b""
    s.settimeout(5)
    while b"echo: first\n" not in buf:
        d = s.recv(4096)
        if not d:
            break
        buf += d
    s.sendall(b"second\nbye\n")
    buf += read_all(s, limit=5)
    s.close()
    check("upgrade: 101 and the stream", buf.startswith(b"HTTP/1.1 101 Switching Protocols\r\n") and
          b"Upgrade: echo\r\n" in buf and b"echo: first\necho: second\n" in buf, buf)
    still_serving("at the end")


main()
