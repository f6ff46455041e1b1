"""Scripted telnet clients and a server launcher for the weft-mud tests (real sockets on 127.0.0.1)."""
import os
import re
import select
import signal
import socket
import subprocess
import time
import zlib

IAC, DONT, DO, WONT, WILL, SB, GA, SE, EOR = 255, 254, 253, 252, 251, 250, 249, 240, 239
ECHO, SGA, TTYPE, OPT_EOR, NAWS, CHARSET, MSSP, MCCP2, GMCP = 1, 3, 24, 25, 31, 42, 70, 86, 201


ANSI = re.compile(r"\x1b\[[0-9;?]*[@-~]")


class Server:
    """weft-mud in a child process; telnet port parsed from its banner. Tests create many
    characters from 127.0.0.1: no creation limit unless `extra` sets one."""

    def __init__(self, binary, data_dir, *extra, world=None):
        args = [binary, "--telnet-port", "0", "--http-port", "0", "--data", data_dir, "--kdf-cost", "4",
                "--creation-limit", "0"]
        if world:
            args += ["--world", world]
        args += list(extra)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.port = None
        self.http_port = None
        self.banner = []
        deadline = time.time() + 20
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("weft-mud exited: " + self.proc.stderr.read())
            self.banner.append(line)
            m = re.search(r"telnet (\S+) (\d+)", line)
            if m:
                self.port = int(m.group(2))
            m = re.search(r"http://[^:]+:(\d+)/", line)
            if m:
                self.http_port = int(m.group(1))
            if line.startswith("Ctrl-C"):
                break
        if not self.port:
            raise RuntimeError("no telnet port in banner: %r" % self.banner)

    def kill(self, sig=signal.SIGKILL):
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=15)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class Client:
    """A telnet client. policy: 'accept' (a MUD client: agrees to everything useful),
    'refuse' (answers every offer with DONT/WONT), 'silent' (never answers, like nc)."""

    def __init__(self, port, policy="accept", ttype=("TESTCLIENT", "XTERM-256COLOR", "MTTS 137"),
                 naws=(100, 40), mccp=False, gmcp=True, source=None):
        # source: another loopback address to come from ("127.0.0.2"), for per-address rules
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10,
                                             source_address=(source, 0) if source else None)
        self.policy = policy
        self.ttypes = list(ttype)
        self.ttype_i = 0
        self.naws = naws
        self.want_mccp = mccp
        self.want_gmcp = gmcp
        self.raw = b""          # undecoded wire bytes (for inspection)
        self.full = ""          # data with telnet commands removed
        self.text = ""          # the same without ANSI sequences (what expect() searches)
        self.pos = 0            # how far expect() has consumed self.text
        self.negotiations = []  # (verb, opt) received
        self.subnegs = []       # (opt, payload) received
        self.gmcp = []          # (package, json text)
        self.prompt_marks = 0   # EOR/GA received
        self.zs = None          # inflater once MCCP2 started
        self.pending = b""      # wire bytes not parsed yet
        self.closed = False
        self.echo_off = False

    # ---- wire ----
    def _send(self, data):
        self.sock.sendall(data)

    def send(self, line, end=b"\r\n"):
        self._send(line.encode() + end)

    def _answer(self, verb, opt):
        if self.policy == "silent":
            return
        if self.policy == "refuse":
            if verb in (DO, DONT):
                self._send(bytes([IAC, WONT, opt]))
            else:
                self._send(bytes([IAC, DONT, opt]))
            return
        if verb == DO:
            if opt in (TTYPE, NAWS):
                self._send(bytes([IAC, WILL, opt]))
                if opt == NAWS:
                    w, h = self.naws
                    self._send(bytes([IAC, SB, NAWS, w >> 8, w & 255, h >> 8, h & 255, IAC, SE]))
            else:
                self._send(bytes([IAC, WONT, opt]))
        elif verb == WILL:
            ok = opt in (OPT_EOR, CHARSET, MSSP, ECHO) or (opt == GMCP and self.want_gmcp) or (opt == MCCP2 and self.want_mccp)
            self._send(bytes([IAC, DO if ok else DONT, opt]))
            if opt == ECHO:
                self.echo_off = True
            if opt == GMCP and self.want_gmcp:
                self._send(bytes([IAC, SB, GMCP]) + b'Core.Hello {"client":"pytest","version":"1.0"}' + bytes([IAC, SE]))
        elif verb == WONT and opt == ECHO:
            self.echo_off = False

    def _subneg(self, opt, payload):
        self.subnegs.append((opt, payload))
        if opt == TTYPE and payload[:1] == b"\x01" and self.policy == "accept":
            t = self.ttypes[min(self.ttype_i, len(self.ttypes) - 1)]
            self.ttype_i += 1
            self._send(bytes([IAC, SB, TTYPE, 0]) + t.encode() + bytes([IAC, SE]))
        elif opt == CHARSET and payload[:1] == b"\x01" and self.policy == "accept":
            self._send(bytes([IAC, SB, CHARSET, 2]) + b"UTF-8" + bytes([IAC, SE]))
        elif opt == GMCP:
            s = payload.decode("utf-8", "replace")
            pkg, _, js = s.partition(" ")
            self.gmcp.append((pkg, js))
        elif opt == MCCP2:
            self.zs = zlib.decompressobj()
            return True  # the rest of the buffer is compressed
        return False

    def _parse(self, data):
        buf = self.pending + data
        self.pending = b""
        out = bytearray()
        i = 0
        while i < len(buf):
            b = buf[i]
            if b != IAC:
                out.append(b)
                i += 1
                continue
            if i + 1 >= len(buf):
                self.pending = buf[i:]
                break
            c = buf[i + 1]
            if c == IAC:
                out.append(IAC)
                i += 2
            elif c in (DO, DONT, WILL, WONT):
                if i + 2 >= len(buf):
                    self.pending = buf[i:]
                    break
                self.negotiations.append((c, buf[i + 2]))
                self._answer(c, buf[i + 2])
                i += 3
            elif c == SB:
                end = buf.find(bytes([IAC, SE]), i + 2)
                if end < 0:
                    self.pending = buf[i:]
                    break
                opt = buf[i + 2]
                payload = buf[i + 3:end].replace(bytes([IAC, IAC]), bytes([IAC]))
                i = end + 2
                if self._subneg(opt, payload):
                    rest = buf[i:]
                    self._add(out)
                    self._feed_compressed(rest)
                    return
            else:
                if c in (GA, EOR):
                    self.prompt_marks += 1
                i += 2
        self._add(out)

    def _add(self, data):
        self.full += data.decode("utf-8", "replace")
        self.text = ANSI.sub("", self.full)

    def _feed_compressed(self, data):
        if data:
            self._parse(self.zs.decompress(data))

    def pump(self, timeout):
        """Reads whatever arrives within `timeout`; False once the server closed."""
        if self.closed:
            return False
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return True
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, OSError):
            data = b""
        if not data:
            self.closed = True
            return False
        self.raw += data
        if self.zs:
            self._feed_compressed(data)
        else:
            self._parse(data)
        return True

    def expect(self, pattern, timeout=10):
        """Waits for `pattern` (regex) in the text after the last match; returns the match."""
        deadline = time.time() + timeout
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.text, self.pos)
            if m:
                self.pos = m.end()
                return m
            left = deadline - time.time()
            if left <= 0 or (not self.pump(min(left, 0.2)) and not rx.search(self.text, self.pos)):
                if rx.search(self.text, self.pos):
                    continue
                raise AssertionError("expected %r; got after pos %d: %r" % (pattern, self.pos, self.text[self.pos:][-2000:]))

    def settle(self, seconds=0.3):
        end = time.time() + seconds
        while time.time() < end and self.pump(end - time.time()):
            pass

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # ---- accounts ----
    def _name_prompt(self):
        if not self.text[:self.pos].endswith("known? "):
            self.expect("known\\? ")

    def create(self, name, password="secret123"):
        self._name_prompt()
        self.send(name)
        self.expect("Create a new character\\?")
        self.send("yes")
        self.expect("Choose a password")
        self.send(password)
        self.expect("again")
        self.send(password)
        self.expect("Welcome")
        self.expect("> ")

    def login(self, name, password="secret123"):
        self._name_prompt()
        self.send(name)
        self.expect("Password: ")
        self.send(password)
        self.expect("> ")

    def command(self, line, until="> ", timeout=10):
        self.send(line)
        m = self.expect("(?s)(.*?)" + until, timeout)
        return m.group(1)
