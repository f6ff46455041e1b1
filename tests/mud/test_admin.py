"""The administrator's @boot and @ban (by name and by address, kept across a restart) and
@unban; players who are not administrators cannot use them. Connections come from several
loopback addresses (127.0.0.2, 127.0.0.3) so that an address ban can hit one and not the
administrator. Usage: test_admin.py WEFT_MUD"""
import sys
import tempfile
import time

from mudclient import Client, Server

binary = sys.argv[1]


def wait_closed(c, what):
    deadline = time.time() + 5
    while c.pump(0.2) and time.time() < deadline:
        pass
    assert c.closed, what + ": the connection is still open"


with tempfile.TemporaryDirectory() as data:
    srv = Server(binary, data + "/d")
    try:
        ada = Client(srv.port)
        ada.create("Ada")  # the first character: the administrator
        bob = Client(srv.port, source="127.0.0.2")
        bob.create("Bob")
        ada.expect("Bob has entered the game")
        out = bob.command("@boot ada")
        assert "Unknown command" in out, out
        out = bob.command("@ban 127.0.0.1")
        assert "Unknown command" in out, out

        # @boot: Bob is told and disconnected, the room sees him go; he may come back
        out = ada.command("@boot bob spamming")
        assert "Bob has been booted" in out, out
        bob.expect("disconnected by Ada: spamming")
        wait_closed(bob, "@boot")
        ada.expect("Bob has left the game")
        out = ada.command("@boot nobody")
        assert "No one called nobody is playing" in out, out
        bob = Client(srv.port, source="127.0.0.2")
        bob.login("Bob")

        # @ban by name: Bob goes now and cannot log in again
        out = ada.command("@ban bob")
        assert "Banned Bob (1 connection closed)" in out, out
        bob.expect("banned by Ada")
        wait_closed(bob, "@ban bob")
        bob = Client(srv.port, source="127.0.0.3")
        bob.expect("known\\? ")
        bob.send("Bob")
        bob.expect("Bob is banned")
        wait_closed(bob, "a banned name")
        out = ada.command("@ban ada")
        assert "cannot ban yourself" in out, out

        # @ban by address: a player from it goes, new connections from it are refused, others not
        mal = Client(srv.port, source="127.0.0.2")
        mal.create("Mal")
        out = ada.command("@ban 127.0.0.1")
        assert "your own address" in out, out
        out = ada.command("@ban 127.0.0.*")
        assert "your own address" in out, out
        out = ada.command("@ban 127.0.0.2")
        assert "Banned address 127.0.0.2 (1 connection closed)" in out, out
        mal.expect("banned by Ada")
        wait_closed(mal, "@ban 127.0.0.2")
        again = Client(srv.port, source="127.0.0.2")
        again.expect("Your address is banned")
        wait_closed(again, "a banned address")
        ok = Client(srv.port, source="127.0.0.3")
        ok.login("Mal")
        ok.command("quit", until="Goodbye")
        out = ada.command("@ban")
        assert "name    Bob" in out and "address 127.0.0.2" in out, out
    finally:
        assert srv.stop() == 0

    # the bans are in the database: still there after a restart; @unban lifts them
    srv = Server(binary, data + "/d")
    try:
        bob = Client(srv.port, source="127.0.0.3")
        bob.expect("known\\? ")
        bob.send("Bob")
        bob.expect("Bob is banned")
        Client(srv.port, source="127.0.0.2").expect("Your address is banned")
        ada = Client(srv.port)
        ada.login("Ada")
        out = ada.command("@unban bob")
        assert "Bob is no longer banned" in out, out
        out = ada.command("@unban 127.0.0.2")
        assert "127.0.0.2 is no longer banned" in out, out
        out = ada.command("@unban carol")
        assert "No ban on carol" in out, out
        bob = Client(srv.port, source="127.0.0.2")
        bob.login("Bob")
        bob.command("say free again")
    finally:
        assert srv.stop() == 0
print("test_admin: ok")
