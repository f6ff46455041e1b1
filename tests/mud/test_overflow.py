"""A client that sends commands but never reads its output is dropped once its queued output
passes the cap, and the server keeps serving everyone else: over telnet, and over the
browser's WebSocket (a bare client written here: the handshake and masked BINARY frames).
Usage: test_overflow.py WEFT_MUD"""
import os
import socket
import sys
import tempfile
import time

from mudclient import Client, Server

binary = sys.argv[1]
with tempfile.TemporaryDirectory() as data:
    srv = Server(binary, data + "/d", "--command-rate", "100000")
    try:
        hog = Client(srv.port)
        hog.create("Hog")
        hog.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        ok = Client(srv.port)
        ok.create("Fine")
        # ~600 bytes of output per look; never read a byte of it.
        hog.sock.settimeout(0.5)
        sent = 0
        dropped = False
        deadline = time.time() + 30
        while time.time() < deadline and not dropped:
            try:
                hog.sock.sendall(b"look\r\n" * 500)
                sent += 500
            except (BrokenPipeError, ConnectionResetError):
                dropped = True
            except socket.timeout:
                # our send buffer is full: the server stopped reading us; is it gone?
                time.sleep(0.2)
                try:
                    hog.sock.send(b"\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    dropped = True
                except socket.timeout:
                    pass
        # Either way the other player still gets answers at once.
        t0 = time.time()
        out = ok.command("look")
        assert "Mercat Cross" in out and time.time() - t0 < 2, out
        assert dropped, "the server still reads a client that never reads (sent %d looks)" % sent

        # The same over WebSocket: log in, then send looks and never read.
        ws = socket.create_connection(("127.0.0.1", srv.http_port), timeout=5)
        ws.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        ws.sendall(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    "Sec-WebSocket-Protocol: terminal.mudstandards.org\r\n\r\n" % srv.http_port).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += ws.recv(1)
        assert head.startswith(b"HTTP/1.1 101"), head

        def frame(line):
            mask = os.urandom(4)
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(line.encode()))
            return bytes([0x82, 0x80 | len(data)]) + mask + data

        ws.sendall(b"".join(frame(l) for l in ("Wshog", "yes", "secret123", "secret123")))
        ws.settimeout(0.5)
        ws_dropped = False
        deadline = time.time() + 30
        while time.time() < deadline and not ws_dropped:
            try:
                ws.sendall(frame("look") * 200)
            except (BrokenPipeError, ConnectionResetError):
                ws_dropped = True  # the server closed the connection
            except socket.timeout:
                # the server stopped reading us: is it gone?
                time.sleep(0.2)
                try:
                    ws.send(frame("look"))
                except (BrokenPipeError, ConnectionResetError):
                    ws_dropped = True
                except socket.timeout:
                    pass
        assert ws_dropped, "the server still reads a page that never reads"
        t0 = time.time()
        out = ok.command("look")
        assert "Mercat Cross" in out and time.time() - t0 < 2, out
        srv.stop()
        err = srv.proc.stderr.read()
        assert "output overflow, dropped" in err, "the non-reading client was not dropped (sent %d looks): %s" % (sent, err)
        assert "output overflow, websocket dropped" in err, "the non-reading page was not dropped: " + err
    finally:
        srv.stop()
print("test_overflow: ok")
