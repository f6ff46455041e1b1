"""Debian's telnet (netkit) on a pseudo-terminal: account creation with both password
questions hidden (this once failed: a WONT/WILL ECHO pair sent quickly made the client show
the second password), speech, UTF-8 backspace, quit. Usage: test_debian_telnet.py WEFT_MUD"""
import os
import pty
import select
import shutil
import sys
import tempfile
import termios
import time

from mudclient import Server

binary = sys.argv[1]
if not shutil.which("telnet"):
    sys.exit("telnet is not installed (Debian package telnet; make deps)")
with tempfile.TemporaryDirectory() as data:
    srv = Server(binary, data + "/d")
    try:
        pid, fd = pty.fork()
        if pid == 0:
            # A UTF-8 terminal: the line discipline erases whole characters (IUTF8).
            attrs = termios.tcgetattr(0)
            attrs[0] |= getattr(termios, "IUTF8", 0o40000)
            termios.tcsetattr(0, termios.TCSANOW, attrs)
            os.execvp("telnet", ["telnet", "127.0.0.1", str(srv.port)])
        out = b""

        def wait_for(text, timeout=10):
            global out
            end = time.time() + timeout
            while text.encode() not in out:
                if time.time() > end:
                    raise AssertionError("expected %r; screen: %r" % (text, out[-800:]))
                r, _, _ = select.select([fd], [], [], 0.1)
                if r:
                    try:
                        out += os.read(fd, 65536)
                    except OSError:
                        break

        def send(s):
            os.write(fd, s.encode())

        wait_for("known? ")
        send("Teller\r")
        wait_for("(yes/no) ")
        send("yes\r")
        wait_for("Choose a password")
        time.sleep(0.3)
        send("hunter22\r")
        wait_for("Type it again: ")
        time.sleep(0.3)
        send("hunter22\r")
        wait_for("Welcome to the Royal Mile, Teller")
        wait_for("> ")
        assert b"hunter22" not in out, "a password was echoed: %r" % out
        send("say caf\u00e9\x7fe ok\r")
        wait_for('You say, "cafe ok"')
        send("quit\r")
        wait_for("Connection closed by foreign host")
        os.waitpid(pid, 0)
    finally:
        srv.stop()
print("test_debian_telnet: ok")
