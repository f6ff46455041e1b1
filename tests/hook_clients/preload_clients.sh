#!/usr/bin/env bash
# Debian's redis-cli, psql and curl, unmodified, under LD_PRELOAD=libweft_preload.so against
# the private Redis and PostgreSQL (servers.sh) and the delay endpoint (delay_server): each
# command's stdout, stderr and exit status must be byte-identical to a plain run, and each
# client must really have the library mapped while it waits at its server.
#   preload_clients.sh LIBWEFT_PRELOAD_SO DELAY_SERVER STATE_DIR [RUNTIME_TO_PRELOAD_FIRST]
# In the sanitizer build the shared ASan runtime is preloaded first (the clients are not
# instrumented), without leak checks (those would be the clients' own).
set -uo pipefail

lib=${1:?usage: preload_clients.sh LIBWEFT_PRELOAD_SO DELAY_SERVER STATE_DIR [RUNTIME]}
delay_server=${2:?}
state=${3:?}
first=${4:-}
preload=$lib
[ -n "$first" ] && preload="$first:$lib"
hooked_env=(LD_PRELOAD="$preload" ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0:detect_leaks=0")
failures=0

say() { echo "preload_clients.sh: $*" >&2; }
fail() { say "FAIL: $*"; failures=$((failures + 1)); }

[ -f "$lib" ] || { say "$lib does not exist (target weft_preload, src/hook/)"; exit 1; }
for tool in redis-cli psql curl; do
  command -v "$tool" >/dev/null || { say "$tool not found: install redis-tools, postgresql-client, curl (make deps)"; exit 1; }
done
pg_port=$(cat "$state/pg.port" 2>/dev/null) || { say "no private PostgreSQL ($state/pg.port): the fixture hook_clients.servers_start starts it"; exit 1; }
redis_port=$(cat "$state/redis.port" 2>/dev/null) || { say "no private Redis ($state/redis.port)"; exit 1; }

tmp=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

"$delay_server" >"$tmp/http.port" 2>"$tmp/http.err" &
server_pid=$!
for _ in $(seq 100); do [ -s "$tmp/http.port" ] && break; sleep 0.05; done
http_port=$(head -1 "$tmp/http.port")
[ -n "$http_port" ] || { say "delay_server did not start: $(cat "$tmp/http.err")"; exit 1; }

# same NAME STDIN_FILE CMD...: runs CMD plainly and under the preload library with the same
# input; stdout, stderr and the exit status must be identical.
same() {
  local name=$1 input=$2
  shift 2
  "$@" <"$input" >"$tmp/$name.plain.out" 2>"$tmp/$name.plain.err"
  echo $? >"$tmp/$name.plain.rc"
  env "${hooked_env[@]}" "$@" <"$input" >"$tmp/$name.hooked.out" 2>"$tmp/$name.hooked.err"
  echo $? >"$tmp/$name.hooked.rc"
  local what
  for what in out err rc; do
    if ! cmp -s "$tmp/$name.plain.$what" "$tmp/$name.hooked.$what"; then
      fail "$name: std$what differs from the plain run:"
      diff "$tmp/$name.plain.$what" "$tmp/$name.hooked.$what" | head -20 >&2
    fi
  done
  [ -s "$tmp/$name.plain.out" ] || [ -s "$tmp/$name.plain.err" ] || fail "$name: no output at all"
  say "$name: $(wc -c <"$tmp/$name.plain.out") bytes out, exit $(cat "$tmp/$name.plain.rc"), identical under the hook"
}

# mapped NAME CMD...: starts CMD (a call that waits about a second at its server) under the
# preload library and checks that the library is in the client's memory map while it waits.
mapped() {
  local name=$1 pid found=no
  shift
  env "${hooked_env[@]}" "$@" >/dev/null 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 40); do
    grep -q "$(basename "$lib")" "/proc/$pid/maps" 2>/dev/null && { found=yes; break; }
    sleep 0.025
  done
  wait "$pid"
  [ "$found" = yes ] || fail "$name: $(basename "$lib") not mapped into the client"
}

no_input=/dev/null

# redis-cli: replies of each type, a 2,000-element array, BLPOP timing out, an error reply.
{
  echo "DEL weft:preload:k weft:preload:list"
  echo "SET weft:preload:k hello"
  echo "GET weft:preload:k"
  echo "RPUSH weft:preload:list $(seq -s ' ' 1 2000)"
  echo "LRANGE weft:preload:list 0 -1"
  echo "BLPOP weft:preload:empty 0.2"
  echo "INCR weft:preload:k"
  echo "DEL weft:preload:k weft:preload:list"
} >"$tmp/redis.in"
same redis_cli "$tmp/redis.in" redis-cli -h 127.0.0.1 -p "$redis_port"
same redis_cli_formatted "$tmp/redis.in" redis-cli --no-raw -h 127.0.0.1 -p "$redis_port"
mapped redis_cli redis-cli -h 127.0.0.1 -p "$redis_port" BLPOP weft:preload:empty 1

# psql: a 5,000-row result, pg_sleep, and an error with its exit status.
psql_cmd=(psql -X -q -h 127.0.0.1 -p "$pg_port" -U weft -d postgres)
same psql_rows $no_input "${psql_cmd[@]}" -A -c "SELECT g, md5(g::text) FROM generate_series(1, 5000) g"
same psql_sleep $no_input "${psql_cmd[@]}" -c "SELECT pg_sleep(0.2), 'slept' AS result"
same psql_error $no_input "${psql_cmd[@]}" -v ON_ERROR_STOP=1 -c "SELECT 1/0"
printf 'CREATE TEMP TABLE t (n int);\nINSERT INTO t SELECT generate_series(1, 100);\nSELECT sum(n) FROM t;\n' >"$tmp/psql.in"
same psql_script "$tmp/psql.in" "${psql_cmd[@]}" -A
mapped psql "${psql_cmd[@]}" -c "SELECT pg_sleep(1)"

# curl: a delayed answer, several URLs on one connection, and a 404.
base=http://127.0.0.1:$http_port
same curl_delay $no_input curl -sS "$base/delay/200/first"
same curl_reuse $no_input curl -sS "$base/delay/10/a" "$base/delay/10/b" "$base/delay/10/c"
same curl_404 $no_input curl -sS -w '%{http_code}\n' "$base/nothing"
same curl_fail $no_input curl -sS --fail "$base/nothing"
mapped curl curl -sS "$base/delay/1000/slow"

if [ "$failures" -gt 0 ]; then
  say "$failures failure(s)"
  exit 1
fi
say "redis-cli, psql and curl: identical under $(basename "$lib")"
