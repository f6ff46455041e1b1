#!/usr/bin/env python3
"""The HTTP client tests' peer: Python's http.server (HTTP/1.1, keep-alive) on 127.0.0.1.

Prints its port on the first line of stdout, then serves until killed.
Usage: server.py [--tls CERT KEY] [--root DIR]
Routes: /count (connections accepted so far), /echo (method, path, headers and body as
JSON), /redirect/<code>/<n>, /loop, /relative, /chunked, /close (body ends with the
connection), /slow/<ms>, /status/<n>, /big/<n>, /not-modified, /truncated, /garbage; with --root, any
other GET serves files from DIR (http.server's SimpleHTTPRequestHandler).
"""
import json
import ssl
import sys
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

connections = 0
lock = threading.Lock()


class Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        global connections
        with lock:
            connections += 1
        super().setup()

    def log_message(self, *args):
        pass

    def send_body(self, code, body, ctype="text/plain", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def route(self):
        parts = [p for p in self.path.split("?")[0].split("/") if p]
        body = self.read_body()
        if parts == ["count"]:
            return self.send_body(200, str(connections).encode())
        if parts and parts[0] == "echo":
            info = {"method": self.command, "path": self.path, "body": body.decode("latin-1"),
                    "headers": {k.lower(): v for k, v in self.headers.items()}}
            return self.send_body(200, json.dumps(info).encode(), "application/json")
        if len(parts) == 3 and parts[0] == "redirect":
            code, n = int(parts[1]), int(parts[2])
            where = "/echo" if n <= 1 else "/redirect/%d/%d" % (code, n - 1)
            return self.send_body(code, b"moved\n", extra=[("Location", where)])
        if parts == ["loop"]:
            return self.send_body(302, b"", extra=[("Location", "/loop")])
        if parts == ["relative"]:
            return self.send_body(302, b"", extra=[("Location", "echo?from=relative")])
        if parts == ["chunked"]:
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in [b"hello ", b"chunked ", b"x" * 5000, b" world\n"]:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            return
        if parts == ["close"]:
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"until the end\n")
            self.close_connection = True
            return
        if len(parts) == 2 and parts[0] == "slow":
            time.sleep(int(parts[1]) / 1000)
            return self.send_body(200, b"slow\n")
        if len(parts) == 2 and parts[0] == "status":
            return self.send_body(int(parts[1]), b"status %s\n" % parts[1].encode())
        if len(parts) == 2 and parts[0] == "big":
            n = int(parts[1])
            return self.send_body(200, bytes(i * 7 % 251 for i in range(n)), "application/octet-stream")
        if parts == ["truncated"]:
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"only ten..")
            self.close_connection = True
            return
        if parts == ["not-modified"]:
            # Content-Length describes the representation: no body follows a 304.
            self.send_response(304)
            self.send_header("ETag", '"v1"')
            self.send_header("Content-Length", "1000")
            self.end_headers()
            return
        if parts == ["garbage"]:
            self.wfile.write(b"NOT HTTP AT ALL\r\n\r\n")
            self.close_connection = True
            return
        if self.command in ("GET", "HEAD") and self.server.root:
            return super().do_GET() if self.command == "GET" else super().do_HEAD()
        return self.send_body(404, b"no such route\n")

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = route


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Clients that go away mid-response (the tests kill some on purpose) are not news.
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):
            super().handle_error(request, client_address)


def main():
    args = sys.argv[1:]
    root = None
    cert = None
    if "--root" in args:
        root = args[args.index("--root") + 1]
    if "--tls" in args:
        i = args.index("--tls")
        cert, key = args[i + 1], args[i + 2]
    server = Server(("127.0.0.1", 0), partial(Handler, directory=root or "."))
    server.root = root
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
