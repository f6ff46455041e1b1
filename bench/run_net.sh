#!/usr/bin/env bash
# Net figures: one echo server four ways (weft's examples/echo_server with the io_uring and with
# the epoll reactor, a plain epoll server in C, Go goroutine-per-connection), each pinned to
# CPU 0 and driven from CPU 1 by echo_load over 127.0.0.1, at 100 and at 10,000 connections,
# followed by weft/peer ratios. Throughput is req/s; _cpu is the server's CPU ns per echo; _load_busy
# is the load generator's own CPU use in the kept round (near 100 %: the load, not the server,
# may have set the pace, and servers faster than that ceiling cannot show it).
#   bash bench/run_net.sh <build-dir>
# Environment: WEFT_BENCH_SECONDS (measured seconds per run, default 2) and
# WEFT_BENCH_ROUNDS (default 3): the runs are interleaved round by round and the best round
# of each server is kept, so a noisy neighbour hurts no server in particular.
set -uo pipefail

build=$(cd "${1:?usage: run_net.sh <build-dir>}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
bin=$build/bench
go_dir=$bin/go
source "$here/common.sh"

seconds=${WEFT_BENCH_SECONDS:-2}
rounds=${WEFT_BENCH_ROUNDS:-3}
idle_conns=10000

# Each side of 10,000 connections needs 10,000 fds; the servers and the load are separate
# processes, so the soft limit only has to reach a little over that.
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -ge 20000 ]; then ulimit -n 20000; else ulimit -n "$hard"; fi
[ "$(ulimit -n)" -gt $((idle_conns + 100)) ] || say "RLIMIT_NOFILE is $(ulimit -n): the 10000-connection runs will fail"

# --- the servers -------------------------------------------------------------------------

# server_cmd holds a command line without --port, after `env` (so it may start with VAR=value
# assignments; split on spaces: keep paths plain).
declare -A server_cmd server_pid server_port
servers=()
idle_only=()  # variants measured for idle memory only, to keep the run short
# weft once per reactor backend (WEFT_REACTOR, docs/reactor.md).
if [ -x "$build/examples/echo_server" ]; then
  servers+=(weft_uring weft_epoll)
  server_cmd[weft_uring]="WEFT_REACTOR=uring $build/examples/echo_server"
  server_cmd[weft_epoll]="WEFT_REACTOR=epoll $build/examples/echo_server"
  idle_only+=(weft_dense)
  server_cmd[weft_dense]="$build/examples/echo_server --dense"
else
  say "$build/examples/echo_server not found (not written or not built yet): the weft.* lines are skipped"
fi
if [ -x "$bin/epoll_echo" ]; then
  servers+=(epoll_c)
  server_cmd[epoll_c]=$bin/epoll_echo
else
  say "$bin/epoll_echo is not built: the epoll_c.* lines are skipped"
fi
if go_build "$go_dir/echo" "$here/peers/echo.go"; then
  servers+=(go)
  server_cmd[go]=$go_dir/echo
fi
if [ ! -x "$bin/echo_load" ]; then
  say "$bin/echo_load is not built: nothing to measure with"
  exit 1
fi

holder=""
cleanup() {
  local pid
  [ -n "$holder" ] && kill "$holder" 2>/dev/null
  for pid in "${server_pid[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
}
trap cleanup EXIT

# start NAME: starts the server on CPU 0 and waits until it listens.
start() {
  local name=$1 port pid
  port=$(free_port) || { say "no free port"; return 1; }
  # shellcheck disable=SC2086
  taskset -c 0 env GOMAXPROCS=1 ${server_cmd[$name]} --port "$port" >/dev/null &
  pid=$!
  for _ in $(seq 100); do
    listening "$port" && break
    kill -0 "$pid" 2>/dev/null || { say "$name server exited at start"; return 1; }
    sleep 0.05
  done
  listening "$port" || { say "$name server does not listen on $port"; kill "$pid"; return 1; }
  server_pid[$name]=$pid
  server_port[$name]=$port
}

stop() {
  local name=$1
  kill "${server_pid[$name]}" 2>/dev/null
  wait "${server_pid[$name]}" 2>/dev/null
  unset "server_pid[$name]"
}

fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# wait_fds PID COND COUNT: waits up to 60 s until the fd count of PID is -ge/-le COUNT.
wait_fds() {
  for _ in $(seq 600); do
    [ "$(fds "$1")" "$2" "$3" ] && return 0
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# --- RSS per idle connection, each server fresh -------------------------------------------

# idle NAME: RSS growth of a fresh server while 10,000 connections that send nothing are open.
idle() {
  local name=$1 pid base_fds before after
  start "$name" || return
  pid=${server_pid[$name]}
  sleep 0.2
  base_fds=$(fds "$pid")
  before=$(rss_kb "$pid")
  taskset -c 1 "$bin/echo_load" --port "${server_port[$name]}" --conns $idle_conns --idle --seconds 120 2>/dev/null &
  holder=$!
  if wait_fds "$pid" -ge $((base_fds + idle_conns)); then
    sleep 1  # let the server start serving each one (a tasklet or goroutine blocked in read)
    after=$(rss_kb "$pid")
    record "$name.idle_conn" "$(((after - before) * 1024 / idle_conns))" bytes
  else
    say "$name server never held $idle_conns connections (it has $(fds "$pid") fds)"
  fi
  kill "$holder" 2>/dev/null
  wait "$holder" 2>/dev/null
  holder=""
  stop "$name"
}

for s in "${servers[@]}" "${idle_only[@]}"; do idle "$s"; done

# --- closed-loop echo throughput ------------------------------------------------------------

declare -A best_rate best_cpu best_busy best_round
for s in "${servers[@]}"; do start "$s"; done
for r in $(seq "$rounds"); do
  for conns in 100 10000; do
    for s in "${servers[@]}"; do
      [ -n "${server_pid[$s]:-}" ] || continue
      key=$s.echo_$conns
      while read -r name value _; do
        if [ "$name" = "$key" ]; then
          awk -v v="$value" -v b="${best_rate[$key]:-0}" 'BEGIN { exit !(v > b) }' && { best_rate[$key]=$value; best_round[$key]=1; } || best_round[$key]=0
        elif [ "$name" = "${key}_load_busy" ]; then
          [ "${best_round[$key]}" = 1 ] && best_busy[$key]=$value
        elif [ "$name" = "${key}_cpu" ]; then
          awk -v v="$value" -v b="${best_cpu[$key]:-0}" 'BEGIN { exit !(b == 0 || v < b) }' && best_cpu[$key]=$value
        fi
      done < <(taskset -c 1 "$bin/echo_load" --port "${server_port[$s]}" --conns "$conns" --size 64 \
                 --seconds "$seconds" --warmup 0.5 --name "$key" --server-pid "${server_pid[$s]}" 2>/dev/null ||
               say "round $r: $key failed")
      # The closed connections leave the server before the next run starts.
      wait_fds "${server_pid[$s]}" -le 64 || say "$s server still holds $(fds "${server_pid[$s]}") fds"
    done
  done
done
for s in "${servers[@]}"; do stop "$s"; done

for conns in 100 10000; do
  for s in "${servers[@]}"; do
    key=$s.echo_$conns
    [ -n "${best_rate[$key]:-}" ] && record "$key" "${best_rate[$key]}" req/s
    [ -n "${best_cpu[$key]:-}" ] && record "${key}_cpu" "${best_cpu[$key]}" ns
    [ -n "${best_busy[$key]:-}" ] && record "${key}_load_busy" "${best_busy[$key]}" %
  done
done

for conns in 100 10000; do
  for w in weft_uring weft_epoll; do
    for peer in epoll_c go; do
      ratio "$w.echo_${conns}_vs_$peer" "$w.echo_$conns" "$peer.echo_$conns"
      ratio "$w.echo_${conns}_cpu_vs_$peer" "$w.echo_${conns}_cpu" "$peer.echo_${conns}_cpu"
    done
  done
done
for w in weft_uring weft_epoll weft_dense; do ratio "$w.idle_conn_vs_go" "$w.idle_conn" go.idle_conn; done
exit 0
