"""A full-screen program (a MUD client) in a detached tmux session on a private socket: the
test types with send-keys and reads the screen and its scrollback with capture-pane."""
import os
import shutil
import subprocess
import tempfile
import time


class Terminal:
    def __init__(self, workdir, argv, cols=120, rows=40, env=None):
        if not shutil.which("tmux"):
            raise SystemExit("tmux is not installed (Debian package tmux; make deps)")
        # A directory (and so a tmux server) of its own: a second Terminal right after the
        # first one's kill-server must not meet the old server's socket.
        own = tempfile.mkdtemp(dir=workdir, prefix="tmux-")
        self.socket = os.path.join(own, "tmux.sock")
        conf = os.path.join(own, "tmux.conf")
        with open(conf, "w") as f:
            # Keep the pane after the program exits, so a crash shows its status.
            f.write("set -g history-limit 20000\nset -g remain-on-exit on\n")
        full_env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8", **(env or {}))
        self._tmux("-f", conf, "new-session", "-d", "-s", "t", "-x", str(cols), "-y", str(rows), *argv,
                   env=full_env)
        self.seen = ""

    def _tmux(self, *args, env=None):
        r = subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True, text=True, env=env)
        if r.returncode != 0:
            raise RuntimeError("tmux %s failed (%d): %s" % (args[0] if args[0] != "-f" else args[2], r.returncode,
                                                            r.stderr.strip()))
        return r.stdout

    def type(self, text, enter=True):
        self._tmux("send-keys", "-t", "t", "-l", text)
        if enter:
            self._tmux("send-keys", "-t", "t", "Enter")

    def screen(self):
        """Everything in the pane and its scrollback, wrapped lines joined."""
        return self._tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "t")

    def exit_status(self):
        """None while the program runs, else its exit status."""
        out = self._tmux("display-message", "-p", "-t", "t", "#{pane_dead} #{pane_dead_status}").split()
        return int(out[1]) if out and out[0] == "1" else None

    def wait_for(self, text, timeout=15, after=0):
        """Waits until `text` is on the screen (past offset `after`); returns the offset after it."""
        end = time.time() + timeout
        while True:
            s = self.screen()
            at = s.find(text, after)
            if at >= 0:
                return at + len(text)
            status = self.exit_status()
            if status is not None or time.time() > end:
                raise AssertionError("expected %r on the screen%s; it shows:\n%s" % (
                    text, "" if status is None else " (the client exited with status %d)" % status, s[-3000:]))
            time.sleep(0.1)

    def close(self):
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True)
