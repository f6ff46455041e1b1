"""Debian's nc (netcat-openbsd), which answers no telnet option: it gets the login after the
negotiation timeout, creates a character, talks with a scripted player both ways and quits.
Its output is raw (IAC bytes included); the text must still read right.
Usage: test_debian_nc.py WEFT_MUD"""
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

from mudclient import Client, Server

binary = sys.argv[1]
if not shutil.which("nc"):
    sys.exit("nc is not installed (Debian package netcat-openbsd; make deps)")
with tempfile.TemporaryDirectory() as data:
    srv = Server(binary, data + "/d")
    nc = None
    try:
        watcher = Client(srv.port)
        watcher.create("Watcher")
        nc = subprocess.Popen(["nc", "-N", "127.0.0.1", str(srv.port)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out = b""

        def wait_for(text, timeout=10):
            global out
            end = time.time() + timeout
            while text.encode() not in out:
                if time.time() > end:
                    raise AssertionError("nc: expected %r; got %r" % (text, out[-800:]))
                r, _, _ = select.select([nc.stdout], [], [], 0.1)
                if r:
                    chunk = os.read(nc.stdout.fileno(), 65536)
                    if not chunk:
                        raise AssertionError("nc: the connection closed before %r; got %r" % (text, out[-800:]))
                    out += chunk

        def send(line):
            nc.stdin.write(line.encode() + b"\n")  # nc sends bare LF line ends
            nc.stdin.flush()

        wait_for("known? ", timeout=8)
        send("Netty")
        wait_for("(yes/no) ")
        send("yes")
        wait_for("Choose a password")
        send("hunter22x")
        wait_for("Type it again: ")
        send("hunter22x")
        wait_for("Welcome to the Royal Mile, Netty")
        wait_for("The Mercat Cross")
        watcher.expect("Netty has entered the game")
        send("say plain bytes")
        wait_for('You say, "plain bytes"')
        watcher.expect('Netty says, "plain bytes"')
        watcher.command("say hello nc")
        wait_for('Watcher says, "hello nc"')
        send("quit")
        wait_for("Goodbye!")
        watcher.expect("Netty has left the game")
        nc.stdin.close()  # nc ends once its input is done and the server has closed
        assert nc.wait(timeout=10) == 0, nc.stderr.read()
    finally:
        if nc and nc.poll() is None:
            nc.kill()
        srv.stop()
print("test_debian_nc: ok")
