#!/usr/bin/env bash
# The hook's figures.
# - hook.redis_get ops/s: 100 clients doing hiredis GET against a private Redis
#   (tests/hook_clients/servers.sh), as 100 tasklets on one thread with weft::hook, beside
#   threads.redis_get: 100 pthreads with plain hiredis. Both clients run pinned to CPU 0,
#   Redis to CPU 1; rounds alternate between the two and the best round of each is kept.
#   Beside: each client's CPU time per GET (…_cpu ns, which a loaded machine distorts least),
#   peak RSS of each (…_rss KiB), and what each client added to it
#   (…_rss_per_client KiB: the peak less the RSS before any client existed, ÷ clients).
# - hook.recv_ready ns with its peers (bench/hook/recv_ready.cpp, which prints them all and
#   its ratio to weft's socket), and its ratio to libc's recv.
#   bash bench/run_hook.sh <build-dir>
# Environment: WEFT_BENCH_SECONDS (per run, default 5), WEFT_BENCH_ROUNDS (default 3),
# WEFT_BENCH_CLIENTS (default 100).
set -uo pipefail

build=$(cd "${1:?usage: run_hook.sh <build-dir>}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
bin=$build/bench
source "$here/common.sh"

seconds=${WEFT_BENCH_SECONDS:-5}
rounds=${WEFT_BENCH_ROUNDS:-3}
clients=${WEFT_BENCH_CLIENTS:-100}
command -v taskset >/dev/null || { say "taskset not found (util-linux)"; exit 1; }
command -v redis-cli >/dev/null || { say "redis-cli not found (make deps installs redis-tools)"; exit 1; }
for p in redis_get_tasklets redis_get_threads; do
  [ -x "$bin/$p" ] || { say "$bin/$p is not built (needs libhiredis-dev and the hook)"; exit 1; }
done

state=$(mktemp -d)
servers="$here/../tests/hook_clients/servers.sh"
cleanup() {
  bash "$servers" stop "$state"
  rm -rf "$state"
}
trap cleanup EXIT
bash "$servers" start "$state" redis || { say "the private servers did not start"; exit 1; }
port=$(cat "$state/redis.port")
redis_pid=$(cat "$(cat "$state/root")/redis/redis.pid" 2>/dev/null)
[ -n "$redis_pid" ] && taskset -pc 1 "$redis_pid" >/dev/null
redis-cli -p "$port" SET weft:bench:key "$(printf 'v%.0s' $(seq 64))" >/dev/null

declare -A best_ops best_rss best_client best_cpu
for r in $(seq "$rounds"); do
  for side in tasklets threads; do
    out=$(timeout $((seconds + 30)) taskset -c 0 "$bin/redis_get_$side" --port "$port" --clients "$clients" --seconds "$seconds") ||
      { say "round $r: redis_get_$side failed"; continue; }
    ops=$(awk '$1 ~ /\.redis_get$/ { print $2 }' <<<"$out")
    rss=$(awk '$1 ~ /\.redis_get_rss$/ { print $2 }' <<<"$out")
    client=$(awk '$1 ~ /\.redis_get_rss_per_client$/ { print $2 }' <<<"$out")
    cpu=$(awk '$1 ~ /\.redis_get_cpu$/ { print $2 }' <<<"$out")
    say "round $r: $side $ops ops/s, $cpu ns CPU/GET, peak RSS $rss KiB ($client KiB per client)"
    awk -v v="$cpu" -v b="${best_cpu[$side]:-0}" 'BEGIN { exit !(b == 0 || v < b) }' && best_cpu[$side]=$cpu
    awk -v v="$ops" -v b="${best_ops[$side]:-0}" 'BEGIN { exit !(v > b) }' &&
      { best_ops[$side]=$ops; best_rss[$side]=$rss; best_client[$side]=$client; }
  done
done
[ -n "${best_ops[tasklets]:-}" ] && record hook.redis_get "${best_ops[tasklets]}" ops/s
[ -n "${best_ops[threads]:-}" ] && record threads.redis_get "${best_ops[threads]}" ops/s
[ -n "${best_cpu[tasklets]:-}" ] && record hook.redis_get_cpu "${best_cpu[tasklets]}" ns
[ -n "${best_cpu[threads]:-}" ] && record threads.redis_get_cpu "${best_cpu[threads]}" ns
[ -n "${best_rss[tasklets]:-}" ] && record hook.redis_get_rss "${best_rss[tasklets]}" KiB
[ -n "${best_rss[threads]:-}" ] && record threads.redis_get_rss "${best_rss[threads]}" KiB
[ -n "${best_client[tasklets]:-}" ] && record hook.redis_get_rss_per_client "${best_client[tasklets]}" KiB
[ -n "${best_client[threads]:-}" ] && record threads.redis_get_rss_per_client "${best_client[threads]}" KiB
ratio hook.redis_get_vs_threads hook.redis_get threads.redis_get
ratio hook.redis_get_cpu_vs_threads hook.redis_get_cpu threads.redis_get_cpu
ratio hook.redis_get_rss_vs_threads hook.redis_get_rss threads.redis_get_rss
ratio hook.redis_get_rss_per_client_vs_threads hook.redis_get_rss_per_client threads.redis_get_rss_per_client

# The interposed recv on a ready socket, with its peers (the program prints them all).
recv_ready=$(find "$bin" -maxdepth 2 -type f -perm -u+x -name '*recv_ready' | head -1)
if [ -n "$recv_ready" ]; then
  run_figures taskset -c 0 "$recv_ready"
  ratio hook.recv_ready_vs_libc hook.recv_ready hook.recv_ready.libc_nonblocking
else
  say "no recv_ready program under $bin: hook.recv_ready not measured"
fi
exit 0
