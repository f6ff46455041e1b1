"""State survives restarts: a graceful SIGTERM (players are told, exit 0; the database is
checkpointed and closed, so no -wal/-shm file is left) and a SIGKILL right after a change the
player was told about. Usage: test_restart.py WEFT_MUD"""
import os
import signal
import sys
import tempfile

from mudclient import Client, Server

binary = sys.argv[1]


def assert_closed_cleanly(data):
    left = sorted(f for f in os.listdir(data) if f.endswith(("-wal", "-shm", "-journal")))
    assert not left, "a graceful stop left %s in %s" % (left, data)

with tempfile.TemporaryDirectory() as tmp:
    data = tmp + "/d"
    srv = Server(binary, data)
    ada = Client(srv.port)
    ada.create("Ada")
    ada.command("get token")
    ada.command("e")
    bob = Client(srv.port)
    bob.create("Bob")
    bob.command("get token")
    rc = srv.stop()  # SIGTERM
    bob.expect("server is shutting down")
    assert rc == 0, srv.proc.stderr.read()
    assert_closed_cleanly(data)

    srv = Server(binary, data)
    ada = Client(srv.port)
    ada.login("Ada")
    assert "The Tron Kirk" in ada.text[-600:], ada.text[-600:]  # where she was
    out = ada.command("i")
    assert "brass token" in out, out
    ada.command("w")
    bob = Client(srv.port)
    bob.login("Bob")
    out = bob.command("give token to ada")
    assert "You give a brass token to Ada" in out, out
    srv.kill(signal.SIGKILL)  # right after Bob was told

    srv = Server(binary, data)
    ada = Client(srv.port)
    ada.login("Ada")
    out = ada.command("i")
    assert "(x2)" in out, out
    bob = Client(srv.port)
    bob.login("Bob")
    out = bob.command("i")
    assert "carrying nothing" in out, out
    out = bob.command("look")
    assert "brass token (x3)" in out, out  # 5 in the world: 2 with Ada, 3 on the ground
    # kill -QUIT prints the tasklet dump and the server goes on
    srv.proc.send_signal(signal.SIGQUIT)
    out = bob.command("look")
    assert "Mercat Cross" in out, out
    rc = srv.stop()
    err = srv.proc.stderr.read()
    assert rc == 0, err
    assert_closed_cleanly(data)
    assert "weft:" in err and "committer" in err and "telnet accept" in err, err

    # SIGINT (Ctrl-C) with players connected, and @shutdown, close as cleanly
    for how in ("SIGINT", "@shutdown"):
        srv = Server(binary, data)
        ada = Client(srv.port)
        ada.login("Ada")
        ada.command("drop token")
        if how == "SIGINT":
            srv.proc.send_signal(signal.SIGINT)
        else:
            ada.send("@shutdown")
        ada.expect("server is shutting down")
        assert srv.proc.wait(timeout=15) == 0, srv.proc.stderr.read()
        assert_closed_cleanly(data)
print("test_restart: ok")
