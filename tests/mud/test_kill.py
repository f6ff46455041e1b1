"""The hard way: bots trade things (give, drop, get) as fast as the server answers, while the
server is SIGKILLed at random moments and restarted. After every kill, the database holds
every thing exactly once, and every change a bot was told about ("You give ...") is there;
a change that was asked for but not yet confirmed may or may not be.
Usage: test_kill.py WEFT_MUD [ROUNDS]"""
import os
import random
import re
import signal
import sqlite3
import sys
import tempfile
import time

from mudclient import Client, Server

binary = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
world = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conservation_world.txt")
BOTS = ["Ann", "Ben", "Cat", "Dan"]
FLOOR = "floor"
rng = random.Random(int(os.environ.get("SEED", time.time())))


def db_state(data):
    con = sqlite3.connect(os.path.join(data, "mud.sqlite3"))
    rows = con.execute("SELECT id, room, owner FROM objects").fetchall()
    con.close()
    return {i: (owner if owner else FLOOR) for i, room, owner in rows}


REPLY = re.compile(r"You (give|drop|get) a brass token[^\n]*\.|You (?:have no|see no) #\d+[^\n]*\.")

with tempfile.TemporaryDirectory() as tmp:
    data = tmp + "/d"
    # Round 0: create the bots.
    srv = Server(binary, data, "--command-rate", "1000", world=world)
    for b in BOTS:
        c = Client(srv.port)
        c.create(b)
        c.close()
    srv.stop()
    state = db_state(data)
    assert len(state) == 40
    total_confirmed = 0
    for rnd in range(rounds):
        srv = Server(binary, data, "--command-rate", "1000", world=world)
        bots = {}
        for b in BOTS:
            c = Client(srv.port, gmcp=False)
            c.login(b)
            bots[b] = c
        pending = {b: None for b in BOTS}  # (kind, id, holder after it)
        kill_at = time.time() + rng.uniform(0.1, 1.5)
        confirmed = 0
        while time.time() < kill_at:
            for b, c in bots.items():
                if pending[b] is None:
                    mine = [i for i, h in state.items() if h == b]
                    floor = [i for i, h in state.items() if h == FLOOR]
                    roll = rng.random()
                    if floor and (roll < 0.3 or not mine):
                        i = rng.choice(floor)
                        pending[b] = ("get", i, b)
                        c.send("get #%d" % i)
                    elif mine and roll < 0.4:
                        i = rng.choice(mine)
                        pending[b] = ("drop", i, FLOOR)
                        c.send("drop #%d" % i)
                    elif mine:
                        i = rng.choice(mine)
                        to = rng.choice([x for x in BOTS if x != b])
                        pending[b] = ("give", i, to)
                        c.send("give #%d to %s" % (i, to.lower()))
                c.pump(0.001)
                m = REPLY.search(c.text, c.pos)
                if m:
                    c.pos = m.end()
                    kind, i, after = pending[b]
                    if m.group(1):
                        assert m.group(1) == kind, (b, m.group(0), pending[b])
                        state[i] = after  # the bot was told: this must survive any kill
                        confirmed += 1
                    else:
                        assert kind == "get", ("a bot lost track of its own thing", b, m.group(0))
                    pending[b] = None
        srv.kill(signal.SIGKILL)
        for c in bots.values():
            c.close()
        disk = db_state(data)
        assert sorted(disk) == sorted(state), "things appeared or vanished: %r vs %r" % (disk, state)
        for i, h in disk.items():
            maybe = {state[i]} | {p[2] for p in pending.values() if p and p[1] == i}
            assert h in maybe, "thing #%d: disk says %s, bots were told %s (pending %r)" % (i, h, state[i], pending)
            assert h == FLOOR or h in BOTS
        state = disk
        total_confirmed += confirmed
        print("round %d: %d confirmed changes, killed; disk consistent" % (rnd + 1, confirmed))
    assert total_confirmed > rounds, "too few changes to prove anything"
print("test_kill: ok, %d rounds, %d confirmed changes, 40 things conserved" % (rounds, total_confirmed))
