#!/usr/bin/env bash
# HTTP figures: examples/http_hello against nginx (Debian's, one process, access_log off)
# and Go's net/http (GOMAXPROCS=1), each answering GET / with "hello world\n", driven by
# `wrk -t1 -c100`. Servers run pinned to CPU 0 and wrk to CPU 1, round after round
# alternating between servers; the best round of each is kept. Per server: requests/s and
# server CPU time per request (utime+stime from /proc/<pid>/stat over the run). Then
# http_hello --threads 2 (on CPUs 0 and 1; wrk shares CPU 1) against itself on one thread.
#   bash bench/run_http.sh <build-dir>
# Environment: WEFT_BENCH_SECONDS (per run, default 10), WEFT_BENCH_ROUNDS (default 3).
set -uo pipefail

build=$(cd "${1:?usage: run_http.sh <build-dir>}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
bin=$build/bench
go_dir=$bin/go
source "$here/common.sh"

seconds=${WEFT_BENCH_SECONDS:-10}
rounds=${WEFT_BENCH_ROUNDS:-3}
tick_ns=$((1000000000 / $(getconf CLK_TCK)))
for tool in wrk nginx taskset; do
  command -v "$tool" >/dev/null || { say "$tool not found (make deps installs it)"; exit 1; }
done
[ -x "$build/examples/http_hello" ] || { say "$build/examples/http_hello is not built"; exit 1; }

tmp=$(mktemp -d)
declare -A server_cmd server_cpus server_pid server_port
servers=(weft nginx go weft_threads2)
server_cmd[weft]="$build/examples/http_hello --port"
server_cpus[weft]=0
server_cmd[weft_threads2]="$build/examples/http_hello --threads 2 --port"
server_cpus[weft_threads2]=0,1
server_cmd[nginx]="nginx_run"
server_cpus[nginx]=0
server_cmd[go]="$go_dir/http_hello --port"
server_cpus[go]=0
if ! go_build "$go_dir/http_hello" "$here/peers/http_hello.go"; then
  servers=(weft nginx weft_threads2)
fi

# nginx_run PORT: Debian's nginx in the foreground from a config in $tmp, never the system
# service: one process (master_process off, so it is the worker), no access log, keep-alive
# without a request cap.
nginx_run() {
  local dir=$tmp/nginx-$1
  mkdir -p "$dir/logs"
  cat >"$dir/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  server {
    listen 127.0.0.1:$1;
    location = / { default_type "text/plain; charset=utf-8"; return 200 "hello world\n"; }
  }
}
CONF
  exec nginx -p "$dir" -c "$dir/nginx.conf"
}

cleanup() {
  local pid
  for pid in "${server_pid[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

start() {
  local name=$1 port pid
  port=$(free_port) || { say "no free port"; return 1; }
  if [ "$name" = nginx ]; then
    (taskset -c "${server_cpus[$name]}" bash -c "$(declare -f nginx_run); tmp=$tmp; nginx_run $port") >/dev/null 2>&1 &
  else
    # shellcheck disable=SC2086
    taskset -c "${server_cpus[$name]}" env GOMAXPROCS=1 ${server_cmd[$name]} "$port" >/dev/null 2>&1 &
  fi
  pid=$!
  for _ in $(seq 100); do
    listening "$port" && break
    kill -0 "$pid" 2>/dev/null || { say "$name server exited at start"; return 1; }
    sleep 0.05
  done
  listening "$port" || { say "$name does not listen on $port"; kill "$pid"; return 1; }
  server_pid[$name]=$pid
  server_port[$name]=$port
}

declare -A best_rate best_cpu
for s in "${servers[@]}"; do start "$s" || say "$s not measured"; done
for r in $(seq "$rounds"); do
  for s in "${servers[@]}"; do
    pid=${server_pid[$s]:-}
    [ -n "$pid" ] || continue
    before=$(cpu_ticks "$pid")
    out=$(taskset -c 1 wrk -t1 -c100 -d"${seconds}s" "http://127.0.0.1:${server_port[$s]}/" 2>&1)
    after=$(cpu_ticks "$pid")
    rate=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    total=$(awk '/requests in/ { print $1 }' <<<"$out")
    errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out")
    [ -n "$errors" ] && say "round $r, $s: $errors"
    if [ -z "$rate" ] || [ -z "$total" ] || [ "$total" = 0 ]; then
      say "round $r: $s: wrk failed: $out"
      continue
    fi
    cpu=$(awk -v t=$((after - before)) -v n="$total" -v k="$tick_ns" 'BEGIN { printf "%.0f", t * k / n }')
    say "round $r: $s $rate req/s, $cpu ns CPU/request"
    awk -v v="$rate" -v b="${best_rate[$s]:-0}" 'BEGIN { exit !(v > b) }' && best_rate[$s]=$rate
    awk -v v="$cpu" -v b="${best_cpu[$s]:-0}" 'BEGIN { exit !(b == 0 || v < b) }' && best_cpu[$s]=$cpu
  done
done

for s in "${servers[@]}"; do
  [ -n "${best_rate[$s]:-}" ] && record "$s.http_hello" "${best_rate[$s]}" req/s
  [ -n "${best_cpu[$s]:-}" ] && record "$s.http_hello_cpu" "${best_cpu[$s]}" ns
done
ratio weft.http_hello_vs_nginx weft.http_hello nginx.http_hello
ratio weft.http_hello_vs_go weft.http_hello go.http_hello
ratio weft.http_hello_cpu_vs_nginx weft.http_hello_cpu nginx.http_hello_cpu
ratio weft.http_hello_cpu_vs_go weft.http_hello_cpu go.http_hello_cpu
ratio weft_threads2.http_hello_vs_1 weft_threads2.http_hello weft.http_hello
exit 0
