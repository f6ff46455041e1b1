#!/usr/bin/env bash
# A private PostgreSQL and a private Redis on 127.0.0.1, for the hook's client tests and
# bench/run_hook.sh; never the system services.
#   servers.sh start STATE_DIR [pg|redis]   starts both (or the one named); writes
#                                STATE_DIR/pg.port and STATE_DIR/redis.port
#   servers.sh stop STATE_DIR    stops both and removes their data (safe to repeat)
# Their data lives in a temporary directory under /tmp (STATE_DIR/root names it), because
# PostgreSQL refuses to run as root: as root it runs as the unprivileged user `postgres`
# (Debian's package creates it; `nobody` otherwise), which must be able to reach its files.
# A watchdog stops both after WEFT_SERVERS_MAX_SECONDS (default 1800) in case stop never comes.
# Missing binaries fail the start with a message saying which package installs them.
set -euo pipefail

cmd=${1:?usage: servers.sh start|stop STATE_DIR}
state=${2:?usage: servers.sh start|stop STATE_DIR}
only=${3:-}
pg_bin=${WEFT_PG_BIN:-/usr/lib/postgresql/15/bin}

# as_db_user CMD...: runs CMD as the unprivileged database user when we are root.
as_db_user() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u "$db_user" -- "$@"
  else
    "$@"
  fi
}

# listening PORT, free_port (below the ephemeral range, so no client socket holds it)
source "$(dirname "$0")/../../bench/common.sh"
say() { echo "servers.sh: $*" >&2; }

stop() {
  local root pid
  [ -f "$state/watchdog.pid" ] && kill -- "-$(cat "$state/watchdog.pid")" 2>/dev/null || true
  root=$(cat "$state/root" 2>/dev/null) || return 0
  [ -n "$root" ] && [ -d "$root" ] || return 0
  if [ -f "$root/redis/redis.pid" ]; then
    pid=$(cat "$root/redis/redis.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  fi
  if [ -f "$root/pg/data/postmaster.pid" ]; then
    db_user=$(cat "$root/db_user")
    as_db_user "$pg_bin/pg_ctl" -D "$root/pg/data" -m immediate -w -t 10 stop >/dev/null 2>&1 ||
      kill -9 "$(head -1 "$root/pg/data/postmaster.pid")" 2>/dev/null || true
  fi
  rm -rf "$root"
  rm -f "$state/root" "$state/pg.port" "$state/redis.port" "$state/watchdog.pid"
}

start_postgres() {
  local port
  for tool in initdb pg_ctl postgres; do
    [ -x "$pg_bin/$tool" ] || { say "$pg_bin/$tool not found: install postgresql (make deps)"; return 1; }
  done
  mkdir -p "$root/pg"
  [ "$(id -u)" = 0 ] && chown "$db_user" "$root/pg"
  as_db_user "$pg_bin/initdb" -D "$root/pg/data" -U weft --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$root/pg/initdb.log" 2>&1 || { say "initdb failed:"; cat "$root/pg/initdb.log" >&2; return 1; }
  # Enough connections for every test at once; a backend whose client went away (a killed
  # tasklet's connection) notices within 100 ms instead of finishing its pg_sleep.
  for attempt in 1 2 3; do
    port=$(free_port) || { say "no free port"; return 1; }
    if as_db_user "$pg_bin/pg_ctl" -D "$root/pg/data" -l "$root/pg/server.log" -w -t 30 start \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $root/pg -c max_connections=300 \
          -c client_connection_check_interval=100ms -c fsync=off -c shared_buffers=16MB" >/dev/null; then
      echo "$port" >"$state/pg.port"
      return 0
    fi
    say "PostgreSQL did not start on port $port (attempt $attempt):"
    tail -5 "$root/pg/server.log" >&2 || true
  done
  return 1
}

start_redis() {
  local port
  command -v redis-server >/dev/null || { say "redis-server not found: install redis-server (make deps)"; return 1; }
  mkdir -p "$root/redis"
  for attempt in 1 2 3; do
    port=$(free_port) || { say "no free port"; return 1; }
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$root/redis" \
      --daemonize yes --pidfile "$root/redis/redis.pid" --logfile "$root/redis/redis.log" --maxclients 2000
    for _ in $(seq 100); do
      listening "$port" && { echo "$port" >"$state/redis.port"; return 0; }
      sleep 0.05
    done
    say "Redis did not start on port $port (attempt $attempt):"
    tail -5 "$root/redis/redis.log" >&2 || true
    [ -f "$root/redis/redis.pid" ] && kill "$(cat "$root/redis/redis.pid")" 2>/dev/null || true
  done
  return 1
}

case $cmd in
  start)
    mkdir -p "$state"
    stop  # leftovers of an earlier run
    db_user=postgres
    getent passwd postgres >/dev/null || db_user=nobody
    root=$(mktemp -d /tmp/weft-servers.XXXXXX)
    chmod 755 "$root"
    echo "$root" >"$state/root"
    echo "$db_user" >"$root/db_user"
    if ! { { [ "$only" = redis ] || start_postgres; } && { [ "$only" = pg ] || start_redis; }; }; then
      stop
      exit 1
    fi
    max=${WEFT_SERVERS_MAX_SECONDS:-1800}
    setsid bash -c "sleep $max; exec bash '$0' stop '$state'" </dev/null >/dev/null 2>&1 &
    echo $! >"$state/watchdog.pid"
    say "PostgreSQL on 127.0.0.1:$(cat "$state/pg.port" 2>/dev/null || echo -), Redis on 127.0.0.1:$(cat "$state/redis.port" 2>/dev/null || echo -)"
    ;;
  stop) stop ;;
  *) say "unknown command $cmd"; exit 2 ;;
esac
