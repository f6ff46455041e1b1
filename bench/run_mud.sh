#!/usr/bin/env bash
# make bench-mud: weft-mud under load. The server runs pinned to one core; the load generator
# (apps/weft-mud/load/mud_load.cpp, weft tasklets, a separate process) on the other, over
# loopback. MUD_PLAYERS players log in (default 10000), MUD_ACTIVE of them (default 2000) send
# one command a second for MUD_SECONDS (default 20). Bounded to about a minute.
# Usage: bench/run_mud.sh [build-dir]
set -euo pipefail
build=${1:-build-release}
players=${MUD_PLAYERS:-10000}
active=${MUD_ACTIVE:-2000}
seconds=${MUD_SECONDS:-20}
server=$build/apps/weft-mud/weft-mud
load=$build/apps/weft-mud/mud_load
for f in "$server" "$load"; do [ -x "$f" ] || { echo "missing $f (build it first)" >&2; exit 1; }; done

tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
# A 25 x 20 grid of streets, every one a start room, so players spread out as in a real game
# (a single room holding 10,000 players would make every "say" 10,000 lines).
{
  echo "area Bench Grid"
  printf 'start'
  for y in $(seq 0 19); do for x in $(seq 0 24); do printf ' r%d_%d' "$x" "$y"; done; done
  echo
  for y in $(seq 0 19); do for x in $(seq 0 24); do
    echo "room r${x}_${y}"
    echo "name Street $x,$y"
    ex=""
    [ "$y" -gt 0 ] && ex="$ex n=r${x}_$((y-1))"
    [ "$y" -lt 19 ] && ex="$ex s=r${x}_$((y+1))"
    [ "$x" -lt 24 ] && ex="$ex e=r$((x+1))_${y}"
    [ "$x" -gt 0 ] && ex="$ex w=r$((x-1))_${y}"
    echo "exits$ex"
    printf 'desc\n  A cobbled street between tall grey houses.\n.\nend\n'
  done; done
  printf 'object coin\nname a copper coin\nkeywords coin\ndesc\n  A coin.\n.\nin r0_0 50\nend\n'
} > "$tmp/grid.txt"

ulimit -n "$(ulimit -Hn)"
# MUD_PIN=0 lets the kernel place both processes (useful on a busy machine).
pin_server="taskset -c 0"
pin_load="taskset -c 1"
if [ "${MUD_PIN:-1}" = 0 ]; then pin_server=""; pin_load=""; fi
kdf=4
echo "# the bots' characters use --kdf-cost $kdf (scrypt N=2^$kdf) instead of the default 14"
$pin_server "$server" --telnet-port 0 --http-port -1 --data "$tmp/d" --kdf-cost $kdf --creation-limit 0 \
  --world "$tmp/grid.txt" > "$tmp/server.out" 2> "$tmp/server.err" &
pid=$!
for _ in $(seq 100); do grep -q "telnet " "$tmp/server.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*telnet [0-9.]* \([0-9]*\)$/\1/p' "$tmp/server.out")
[ -n "$port" ] || { echo "weft-mud did not start:"; cat "$tmp/server.err"; exit 1; }
echo "# weft-mud pid $pid (pinned: ${MUD_PIN:-1}), port $port; $players players, $active active, ${seconds}s measured"
echo "# $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
status=0
$pin_load timeout 120 "$load" --port "$port" --server-pid "$pid" --players "$players" \
  --active "$active" --seconds "$seconds" --move-percent "${MUD_MOVES:-30}" || status=$?
echo "# peer (published, not this machine): evennia_commands_per_second 75 cmd/s at 80% of a core (evennia#620)"
kill -TERM "$pid"; wait "$pid" || true
exit $status
