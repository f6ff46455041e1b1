"""Nobody sees a change before it is committed. With a slow disk (--test-commit-delay-ms), a
player's get, move and drop are still in flight while an onlooker looks: the onlooker sees
the old state (what is on disk), then the new one once the actor has been told. A SIGKILL
while a drop is in flight leaves the disk in the state the onlooker saw.
Usage: test_onlooker.py WEFT_MUD"""
import sys
import tempfile
import time

from mudclient import Client, Server

binary = sys.argv[1]
DELAY_MS = 1500
with tempfile.TemporaryDirectory() as data:
    srv = Server(binary, data + "/d", "--test-commit-delay-ms", str(DELAY_MS))
    try:
        ada = Client(srv.port)
        ada.create("Ada")
        bob = Client(srv.port)
        bob.create("Bob")
        ada.expect("Bob has entered the game")
        out = bob.command("look")
        assert "a brass token (x5)" in out, out

        # get: while it is committed the token is still on the floor, and nobody else may take it
        t0 = time.time()
        ada.send("get token")
        time.sleep(0.2)
        out = bob.command("look")
        assert time.time() - t0 < DELAY_MS / 1000, "look waited for the commit"
        assert "a brass token (x5)" in out, "the onlooker saw an uncommitted get:\n" + out
        out = bob.command("look ada")
        assert "carries" not in out, "the onlooker saw an uncommitted get:\n" + out
        ada.expect("You get a brass token")
        bob.expect("Ada gets a brass token")
        out = bob.command("look")
        assert "a brass token (x4)" in out, out
        out = bob.command("look ada")
        assert "brass token" in out, out

        # move: Ada is still here until the move is durable
        ada.expect("> ")
        ada.send("east")
        time.sleep(0.2)
        out = bob.command("look")
        assert "Ada is here" in out, "the onlooker saw an uncommitted move:\n" + out
        bob.expect("Ada leaves east")
        out = bob.command("look")
        assert "Ada is here" not in out, out
        ada.expect("The Tron Kirk")
        ada.expect("> ")
        ada.command("west", until="Mercat Cross")
        bob.expect("Ada arrives from the east")
        ada.expect("> ")

        # drop, killed in flight: the onlooker saw the token carried, and so it stays
        ada.send("drop token")
        time.sleep(0.2)
        out = bob.command("look")
        assert "a brass token (x4)" in out, "the onlooker saw an uncommitted drop:\n" + out
        out = bob.command("look ada")
        assert "brass token" in out, out
        srv.kill()
        assert "You drop" not in ada.text, "Ada was told before the commit"
    finally:
        srv.stop()

    srv = Server(binary, data + "/d")
    try:
        ada = Client(srv.port)
        ada.login("Ada")
        out = ada.command("look")
        assert "a brass token (x4)" in out, out
        out = ada.command("inventory")
        assert "a brass token" in out, out
    finally:
        rc = srv.stop()
    assert rc == 0, "server exit status %r" % rc
print("test_onlooker: ok")
