"""The world's own tasklets, on a fast clock (--game-hour-ms 250): the ticker announces the
hours to everyone (the One O'Clock Gun, nightfall, dawn) and tells the creature over a
channel; Greyfriars Bobby, whose tasklet waits on that channel and a timer at once, goes to
his master's grave at nightfall and sleeps there until dawn, then wanders again.
Usage: test_world_tasks.py WEFT_MUD"""
import re
import sys
import tempfile
import time

from mudclient import Client, Server

binary = sys.argv[1]
ACTS = "Greyfriars Bobby (trots off|wags|sniffs|barks|sits)"
with tempfile.TemporaryDirectory() as data:
    srv = Server(binary, data + "/d", "--game-hour-ms", "250")  # the day starts at 8
    try:
        w = Client(srv.port)
        w.create("Walker")
        for d in ("w", "w", "s", "s", "w"):
            w.command(d)
        out = w.command("look")
        assert "Greyfriars Kirkyard" in out, out
        w.expect("BOOM! The One O'Clock Gun", timeout=10)
        w.expect("Night falls over the Old Town", timeout=10)
        time.sleep(0.3)
        out = w.command("look")
        assert "Greyfriars Bobby is here" in out, "Bobby is not at the grave at night:\n" + out
        # asleep: he stays, and does nothing, through the night (ten game hours, 2.5 s)
        mark = w.pos
        time.sleep(1.5)
        out = w.command("look")
        assert "Greyfriars Bobby is here" in out, "Bobby left the grave at night:\n" + out
        assert not re.search(ACTS, w.text[mark:w.pos]), "Bobby did something in his sleep: " + w.text[mark:w.pos]
        w.expect("Dawn breaks over Arthur's Seat", timeout=10)
        w.expect(ACTS, timeout=10)
    finally:
        assert srv.stop() == 0
print("test_world_tasks: ok")
