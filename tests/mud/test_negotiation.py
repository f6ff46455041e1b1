"""Telnet negotiation as clients do it: a client refusing every option, one that never
answers (nc), and a full MUD client (TTYPE/MTTS, NAWS, CHARSET, GMCP, EOR, MCCP2, MSSP,
ECHO for passwords). Usage: test_negotiation.py WEFT_MUD"""
import json
import sys
import tempfile
import time

from mudclient import (CHARSET, DO, ECHO, GA, GMCP, IAC, MCCP2, MSSP, NAWS, OPT_EOR, SB, SE, SGA, TTYPE,
                       WILL, WONT, Client, Server)

binary = sys.argv[1]
with tempfile.TemporaryDirectory() as data:
    srv = Server(binary, data + "/d")
    try:
        # Refuses everything: no wait for a timeout, the game works in plain text.
        t0 = time.time()
        r = Client(srv.port, policy="refuse")
        r.expect("known\\? ")
        took = time.time() - t0
        assert took < 1.0, "refusing client waited %.2fs" % took
        r.create("Refuser")
        out = r.command("look")
        assert "Mercat Cross" in out, out
        assert r.gmcp == [], r.gmcp
        assert r.raw.endswith(bytes([IAC, GA])), "no EOR agreed: prompts end in GA: %r" % r.raw[-20:]

        # Never answers (nc): the banner comes after the 2 s negotiation timeout.
        t0 = time.time()
        s = Client(srv.port, policy="silent")
        s.expect("known\\? ", timeout=6)
        took = time.time() - t0
        assert 1.8 <= took <= 4.0, "silent client got the prompt after %.2fs" % took
        s.create("Silent")
        out = s.command("say hello")
        assert 'You say, "hello"' in out, out
        # a client that asks for SGA (and does not take it back) gets WILL SGA, and no more GA
        assert s.raw.endswith(bytes([IAC, GA])), s.raw[-20:]
        s.sock.sendall(bytes([IAC, DO, SGA]))
        s.settle(0.3)
        assert (WILL, SGA) in s.negotiations, s.negotiations
        s.command("look")
        s.settle(0.3)
        assert s.raw.endswith(b"1> "), "GA after the prompt with SGA agreed: %r" % s.raw[-20:]

        # A full MUD client with a 40-column window and compression.
        m = Client(srv.port, policy="accept", naws=(40, 20), mccp=True,
                   ttype=("TINTIN++", "XTERM-256COLOR", "MTTS 2825"))
        t0 = time.time()
        m.expect("known\\? ")
        assert time.time() - t0 < 1.0
        offered = set(m.negotiations)
        for opt in (OPT_EOR, GMCP, MCCP2, MSSP, CHARSET):
            assert (WILL, opt) in offered, (opt, offered)
        for opt in (TTYPE, NAWS):
            assert (DO, opt) in offered, (opt, offered)
        assert m.zs is not None, "MCCP2 did not start"
        # the zlib header's CINFO names the window: 2^(CINFO+8) bytes, reduced from zlib's 32 KiB
        start = m.raw.index(bytes([IAC, SB, MCCP2, IAC, SE])) + 5
        window_bits = (m.raw[start] >> 4) + 8
        assert m.raw[start] & 0x0F == 8 and window_bits <= 12, "MCCP2 window 2^%d" % window_bits
        assert any(o == MSSP and b"\x01PLAYERS\x02" in p for o, p in m.subnegs), "no MSSP variables"
        assert any(o == CHARSET and p.startswith(b"\x01") and b"UTF-8" in p for o, p in m.subnegs)
        assert m.prompt_marks >= 1, "no EOR after the prompt"
        # password entry: WILL ECHO before, WONT ECHO after
        m.send("Mudder")
        m.expect("Create a new character")
        m.send("yes")
        m.expect("Choose a password")
        assert m.echo_off, "server did not take over echo for the password"
        m.send("secret123")
        m.expect("again")
        m.send("secret123")
        m.expect("Welcome")
        m.expect("> ")
        assert not m.echo_off, "echo not given back after the password"
        assert (WONT, ECHO) in m.negotiations
        # wrapped to the 40-column window
        out = m.command("look")
        lines = [l for l in out.split("\r\n") if l]
        assert all(len(l) <= 40 for l in lines), lines
        assert len(lines) > 5, lines
        # GMCP: Room.Info on arrival and on moving, Comm.Channel on speech, Char.Vitals at login
        m.command("n")
        rooms = [json.loads(j) for p, j in m.gmcp if p == "Room.Info"]
        assert rooms and rooms[-1]["name"] == "Advocate's Close", rooms
        assert "s" in rooms[-1]["exits"], rooms[-1]
        assert any(p == "Char.Vitals" for p, _ in m.gmcp)
        m.command("s")
        s.command("say over here")
        m.settle(0.5)
        chans = [json.loads(j) for p, j in m.gmcp if p == "Comm.Channel"]
        assert any(c["talker"] == "Silent" and c["text"] == "over here" for c in chans), chans
        # what the server learnt shows in @who (Refuser is the first account: admin)
        out = " ".join(r.command("@who").split())
        assert "ttype XTERM-256COLOR" in out and "mtts 2825" in out and "mccp2" in out, out
        assert "client pytest 1.0" in out, out  # GMCP Core.Hello wins over the TTYPE name
        # compressed output really was compressed: the wire carries far fewer bytes than the text
        assert len(m.raw) < len(m.full.encode()) * 0.9, (len(m.raw), len(m.full))
    finally:
        rc = srv.stop()
    assert rc == 0, "exit %r: %s" % (rc, srv.proc.stderr.read())
print("test_negotiation: ok")
