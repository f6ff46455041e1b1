"""Two players over real telnet connections: they see each other's speech, movement and
actions; hostile input is cleaned; limits and takeover behave. Usage: test_play.py WEFT_MUD"""
import sys
import tempfile
import time

from mudclient import Client, Server

binary = sys.argv[1]
with tempfile.TemporaryDirectory() as data:
    srv = Server(binary, data + "/d", "--command-rate", "10")
    try:
        ada = Client(srv.port)
        ada.create("Ada")
        bob = Client(srv.port)
        bob.create("Bob")
        ada.expect("Bob has entered the game")

        # speech both ways, with the unambiguous prefix "sa" and the ' shorthand
        bob.command("sa Hello from Bob")
        ada.expect('Bob says, "Hello from Bob"')
        ada.command("'hi Bob")
        bob.expect('Ada says, "hi Bob"')
        ada.command(":waves cheerfully")
        bob.expect("Ada waves cheerfully")

        # movement: departures and arrivals, seen from the other side
        ada.command("e")
        bob.expect("Ada leaves east")
        out = ada.command("w")
        assert "The Mercat Cross" in out, out
        bob.expect("Ada arrives from the east")
        out = bob.command("look")
        assert "Ada is here" in out, out

        # an ambiguous prefix is explained; unknown commands too
        out = ada.command("t")
        assert "could be" in out and "take" in out and "tell" in out, out
        out = ada.command("frobnicate")
        assert "Unknown command" in out, out

        # things change hands, and both sides (and the room) are told
        ada.command("get token")
        bob.expect("Ada gets a brass token")
        out = ada.command("give token to bob")
        assert "You give a brass token to Bob" in out, out
        bob.expect("Ada gives you a brass token")
        out = bob.command("i")
        assert "brass token" in out, out

        # shout reaches everyone; examine names the thing's number; help lists and explains
        ada.command("shout anyone about?")
        bob.expect('Ada shouts, "anyone about\\?"')
        out = bob.command("examine token")
        assert "a brass token (#" in out, out
        out = bob.command("help")
        assert "Moving:" in out and "Admin:" not in out, out
        out = bob.command("help give", until="1> ")
        assert "give <thing> [to] <player>" in out, out

        # tell and who
        ada.command("tell bob a secret")
        bob.expect('Ada tells you, "a secret"')
        out = bob.command("who")
        assert "Ada" in out and "Bob" in out and "2 players" in out, out

        # admin commands (Ada is the first character: the administrator); Bob may not
        out = ada.command("@tasklets")
        assert "committer" in out and "(Ada)" in out and "(Bob)" in out and "blocked on" in out, out
        assert "creature bobby" in out and "ticker" in out, out
        out = ada.command("@lag")
        assert "p50" in out and "p99" in out, out
        out = " ".join(ada.command("@who").split())
        assert "Ada 127.0.0.1:" in out and "client pytest 1.0" in out and "ttype XTERM-256COLOR" in out, out
        out = bob.command("@lag")
        assert "Unknown command" in out, out

        # control and escape sequences never reach the other player
        ada.send("say red\x1b[31malert\x07 bell\x9b2J done")
        m = bob.expect('Ada says, "(.*?)"')
        assert "\x1b" not in m.group(1) and "\x07" not in m.group(1), repr(m.group(1))
        ada.expect("> ")

        # backspace and DEL remove a whole UTF-8 character; CR NUL, bare LF, bare CR end lines
        ada.send("say caf\u00e9\x7fe ok", end=b"\r\x00")
        bob.expect('Ada says, "cafe ok"')
        ada.expect("> ")
        ada.send("say lf only", end=b"\n")
        bob.expect('Ada says, "lf only"')
        ada.expect("> ")
        ada.send("say cr only", end=b"\r")
        bob.expect('Ada says, "cr only"')
        ada.expect("> ")

        # colour toggles off and on
        out = ada.command("colour off")
        assert "Colour is off" in out
        out = ada.command("look")
        after = ada.full.split("Colour is off")[-1]
        assert "Mercat" in after and "\x1b[" not in after, repr(after)
        ada.command("colour on")

        # an over-long line is truncated with a message
        out = ada.command("say " + "x" * 2000)
        assert "truncated" in out, out

        # command rate: a burst past the bucket is refused with a message
        ada.settle(2.5)
        ada.send("\r\n".join(["look"] * 30))
        ada.expect("typing too fast", timeout=5)
        ada.settle(2.5)

        # second login takes the character over; both ends are told, the old one is closed
        ada2 = Client(srv.port)
        ada2.login("Ada")
        assert "take over your character" in ada2.text, ada2.text[-300:]
        ada.expect("taken over by a new connection")
        deadline = time.time() + 5
        while ada.pump(0.2) and time.time() < deadline:
            pass
        assert ada.closed, "old connection still open after takeover"
        ada2.command("say still here")
        bob.expect('Ada says, "still here"')

        # wrong passwords: three attempts, then a count shown at the next login
        mal = Client(srv.port)
        mal.expect("known\\? ")
        mal.send("Bob")
        for _ in range(3):
            mal.expect("Password: ")
            mal.send("wrong-password")
        mal.expect("Three wrong passwords")
        bob.command("quit", until="Goodbye")
        bob2 = Client(srv.port)
        bob2.login("Bob")
        assert "3 failed logins since your last visit" in bob2.text, bob2.text[-500:]

        # forbidden and malformed names
        eve = Client(srv.port)
        eve.expect("known\\? ")
        eve.send("admin")
        eve.expect("reserved")
        eve.send("x1")
        eve.expect("3 to 16 letters|letters only")

        # failed logins are limited per address: 3 more wrong passwords (5 in 5 minutes)...
        mal2 = Client(srv.port)
        mal2.expect("known\\? ")
        mal2.send("Bob")
        mal2.expect("Password: ")
        mal2.send("wrong-again")
        mal2.expect("Password: ")
        mal2.send("wrong-again")
        mal2.expect("Too many failed logins from your address")
        # ...and then even the right password is refused from that address for a while
        mal3 = Client(srv.port)
        mal3.expect("Too many failed logins from your address")

    finally:
        rc = srv.stop()
    assert rc == 0, "server exit status %r: %s" % (rc, srv.proc.stderr.read())

    # idle: a warning, then the connection is closed (idle timeout 4 s here)
    srv = Server(binary, data + "/d", "--idle-timeout", "4")
    try:
        idle = Client(srv.port)
        idle.login("Ada")
        idle.expect("idle a long time", timeout=8)
        idle.expect("Disconnected for being idle", timeout=8)
    finally:
        srv.stop()

    # a slow password hash (scrypt 2^16, 64 MiB) runs off the scheduler thread: while a new
    # character's hash is computed, another player's commands are answered
    srv = Server(binary, data + "/d", "--kdf-cost", "16", "--command-rate", "100000")
    try:
        ada = Client(srv.port)
        ada.login("Ada")  # her hash has the cost it was made with (4): quick
        zed = Client(srv.port)
        zed.expect("known\\? ")
        zed.send("Zed")
        zed.expect("yes/no")
        zed.send("yes")
        zed.expect("Choose a password")
        zed.send("secret123")
        zed.expect("again")
        zed.send("secret123")
        zed.expect("Creating Zed")
        t0 = time.time()
        answered = 0
        while "Welcome" not in zed.text[zed.pos:]:
            ada.command("look", until="1> ")
            answered += 1
            zed.pump(0)
            assert time.time() - t0 < 30, "the hash took over 30 s"
        hashing = time.time() - t0
        assert answered >= 3, "only %d commands answered during a %.2f s hash" % (answered, hashing)
        print("scrypt 2^16 took %.2f s; %d commands answered meanwhile" % (hashing, answered))
    finally:
        srv.stop()

    # new characters per address are limited (2 in 10 minutes here); logging in is not
    srv = Server(binary, data + "/d", "--creation-limit", "2")
    try:
        for name in ("Cara", "Dora"):
            Client(srv.port).create(name)
        edna = Client(srv.port)
        edna.expect("known\\? ")
        edna.send("Edna")
        edna.expect("Too many new characters from your address")
        edna.expect("known\\? ")
        edna.send("Cara")
        edna.expect("Password: ")
        edna.send("secret123")
        edna.expect("> ")
    finally:
        srv.stop()
print("test_play: ok")
