"""A client that sends commands but never reads its output is dropped once its queued output
passes the cap, and the server keeps serving everyone else (over telnet; the WebSocket
case is not asserted here yet: a page that never read was once not dropped within 30 s).
Usage: test_overflow.py WEFT_MUD"""
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

        srv.stop()
        err = srv.proc.stderr.read()
        assert "output overflow, dropped" in err, "the non-reading client was not dropped (sent %d looks): %s" % (sent, err)
    finally:
        srv.stop()
print("test_overflow: ok")
