"""Debian's MUD clients against the real server: tintin++ (tt++) or TinyFugue (tf), each run
in a terminal (tmux), create a character with hidden passwords, see the room, talk with a
scripted player in the same room both ways, move, quit, then connect again and log in.
A missing client fails the test. Usage: test_mud_client.py WEFT_MUD tintin|tf"""
import os
import shutil
import sys
import tempfile

from mudclient import Client, Server
from tmux_terminal import Terminal

binary, which = sys.argv[1], sys.argv[2]
CLIENTS = {
    # tt++: no greeting screen; #session opens the connection.
    "tintin": {"program": "/usr/games/tt++", "package": "tintin++", "name": "Tinman",
               "argv": lambda port: ["/usr/games/tt++", "-G", "-e", "#session mud 127.0.0.1 %d" % port]},
    # tf: -f skips the user's ~/.tfrc, -v keeps it out of visual (split-screen) mode;
    # host and port connect at once.
    "tf": {"program": "/usr/bin/tf", "package": "tf", "name": "Fugue",
           "argv": lambda port: ["/usr/bin/tf", "-f", "-v", "127.0.0.1", str(port)]},
}
client = CLIENTS[which]
if not shutil.which(client["program"]):
    sys.exit("%s is not installed (Debian package %s; make deps)" % (client["program"], client["package"]))
name = client["name"]
password = "hunter22x"

with tempfile.TemporaryDirectory() as data:
    srv = Server(binary, data + "/d")
    term = None
    try:
        watcher = Client(srv.port)
        watcher.create("Watcher")

        home = os.path.join(data, "home")
        os.mkdir(home)  # no user configuration from the machine's $HOME
        term = Terminal(data, client["argv"](srv.port), env={"HOME": home})
        at = term.wait_for("By what name are you known?")
        term.type(name)
        at = term.wait_for("Create a new character? (yes/no)", after=at)
        term.type("yes")
        at = term.wait_for("Choose a password", after=at)
        term.type(password)
        at = term.wait_for("Type it again", after=at)
        term.type(password)
        at = term.wait_for("Welcome to the Royal Mile, %s!" % name, after=at)
        at = term.wait_for("The Mercat Cross", after=at)
        assert password not in term.screen(), "the password was shown:\n" + term.screen()
        watcher.expect("%s has entered the game" % name)

        # speech both ways
        term.type("say Hello from %s" % which)
        at = term.wait_for('You say, "Hello from %s"' % which, after=at)
        watcher.expect('%s says, "Hello from %s"' % (name, which))
        watcher.command("say Welcome, %s" % name)
        at = term.wait_for('Watcher says, "Welcome, %s"' % name, after=at)

        # movement, seen from both sides
        term.type("east")
        at = term.wait_for("Exits:", after=term.wait_for("The Tron Kirk", after=at))
        watcher.expect("%s leaves east" % name)
        term.type("w")
        at = term.wait_for("The Mercat Cross", after=at)
        watcher.expect("%s arrives from the east" % name)
        at = term.wait_for("Watcher is here", after=at)

        term.type("quit")
        at = term.wait_for("Goodbye!", after=at)
        watcher.expect("%s has left the game" % name)
        term.close()

        # a second visit: log in with the password (hidden), back where the character was
        term = Terminal(data, client["argv"](srv.port), env={"HOME": home})
        at = term.wait_for("By what name are you known?")
        term.type(name)
        at = term.wait_for("Password:", after=at)
        term.type(password)
        at = term.wait_for("The Mercat Cross", after=at)
        assert password not in term.screen(), "the password was shown:\n" + term.screen()
        watcher.expect("%s has entered the game" % name)
        term.type("say back again")
        watcher.expect('%s says, "back again"' % name)
        term.type("quit")
        term.wait_for("Goodbye!", after=at)
        assert term.exit_status() in (None, 0), "the client crashed: status %s" % term.exit_status()
    finally:
        if term:
            term.close()
        srv.stop()
print("test_mud_client %s: ok" % which)
