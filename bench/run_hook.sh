#!/usr/bin/env bash
# The hook's figures.
# - hook.redis_get ops/s: 100 clients doing hiredis GET against a private Redis
#   (tests/hook_clients/servers.sh), as 100 tasklets on one thread with weft::hook, beside
#   threads.redis_get: 100 pthreads with plain hiredis. Both clients run pinned to CPU 0,
#   Redis to CPU 1; rounds alternate between the two and the best round of each is kept.
#   Beside: each client's CPU time per GET (…_cpu ns, which a loaded machine distorts least),
#   how busy Redis was in the kept round (…_server_busy, %: near 100 means Redis set the
#   pace, and the ops/s ratio then measures how cheaply each client lets Redis serve it,
#   not the client's own speed), and the memory, per side:
#   …_rss KiB            peak RSS of the process;
#   …_rss_per_client KiB what one more client adds to the peak RSS: (peak with N clients −
#                        peak with 1) ÷ (N − 1), so what a run pays once (code pages, the
#                        io_uring rings, the stall monitor's thread) is left out;
#   …_kernel_stack_per_client, …_kernel_task_per_client KiB: what the clients added to the
#                        kernel's thread stacks (KernelStack, /proc/meminfo) and task_structs
#                        (/proc/slabinfo), which no RSS shows; the median of the rounds (other
#                        processes move these system-wide figures);
#   …_memory_per_client KiB: the three per-client figures added up.
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

# field NAME_SUFFIX OUTPUT: the value of the figure whose name ends in NAME_SUFFIX.
field() { awk -v f="$1" '{ n = length($1) - length(f) } n > 0 && substr($1, n + 1) == f { print $2 }' <<<"$2"; }
# median VALUES...
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

# redis_ticks: Redis's CPU time so far (user + system, in clock ticks).
hz=$(getconf CLK_TCK)
redis_ticks() { awk '{ print $14 + $15 }' "/proc/$redis_pid/stat" 2>/dev/null || echo 0; }

declare -A best_ops best_rss best_cpu best_busy one_rss kstack ktask
for side in tasklets threads; do
  out=$(timeout 60 taskset -c 0 "$bin/redis_get_$side" --port "$port" --clients 1 --seconds 1) ||
    { say "redis_get_$side with one client failed"; continue; }
  one_rss[$side]=$(field .redis_get_rss "$out")
done
for r in $(seq "$rounds"); do
  for side in tasklets threads; do
    t0=$(date +%s.%N)
    r0=$(redis_ticks)
    out=$(timeout $((seconds + 30)) taskset -c 0 "$bin/redis_get_$side" --port "$port" --clients "$clients" --seconds "$seconds") ||
      { say "round $r: redis_get_$side failed"; continue; }
    # How busy Redis was over the whole run (the clients' warm-up and set-up included, so a
    # little low): near 100 % means the server, not the client, set the pace.
    busy=$(awk -v a="$r0" -v b="$(redis_ticks)" -v t0="$t0" -v t1="$(date +%s.%N)" -v hz="$hz" \
      'BEGIN { printf "%.1f", 100 * (b - a) / hz / (t1 - t0) }')
    ops=$(field .redis_get "$out")
    rss=$(field .redis_get_rss "$out")
    cpu=$(field .redis_get_cpu "$out")
    ks=$(field .redis_get_kernel_stack_per_client "$out")
    kb=$(field .redis_get_kernel_task_per_client "$out")
    kstack[$side]+=" $ks"
    ktask[$side]+=" $kb"
    say "round $r: $side $ops ops/s, $cpu ns CPU/GET, Redis busy $busy %, peak RSS $rss KiB, kernel per client: stack $ks KiB, task_struct $kb KiB"
    awk -v v="$cpu" -v b="${best_cpu[$side]:-0}" 'BEGIN { exit !(b == 0 || v < b) }' && best_cpu[$side]=$cpu
    awk -v v="$ops" -v b="${best_ops[$side]:-0}" 'BEGIN { exit !(v > b) }' &&
      { best_ops[$side]=$ops; best_rss[$side]=$rss; best_busy[$side]=$busy; }
  done
done
for side in tasklets threads; do
  p=$([ "$side" = tasklets ] && echo hook || echo threads)
  [ -n "${best_ops[$side]:-}" ] || continue
  record "$p.redis_get" "${best_ops[$side]}" ops/s
  record "$p.redis_get_cpu" "${best_cpu[$side]}" ns
  record "$p.redis_get_rss" "${best_rss[$side]}" KiB
  [ -n "$redis_pid" ] && record "$p.redis_get_server_busy" "${best_busy[$side]}" %
  if [ -n "${one_rss[$side]:-}" ] && [ "$clients" -gt 1 ]; then
    record "$p.redis_get_rss_per_client" \
      "$(awk -v a="${best_rss[$side]}" -v b="${one_rss[$side]}" -v n="$clients" 'BEGIN { printf "%.1f", (a - b) / (n - 1) }')" KiB
  fi
  # shellcheck disable=SC2086 # the lists are words on purpose
  record "$p.redis_get_kernel_stack_per_client" "$(median ${kstack[$side]})" KiB
  # shellcheck disable=SC2086
  [ -n "${ktask[$side]// /}" ] && record "$p.redis_get_kernel_task_per_client" "$(median ${ktask[$side]})" KiB
  if [ -n "${figures[$p.redis_get_rss_per_client]:-}" ]; then
    record "$p.redis_get_memory_per_client" "$(awk -v a="${figures[$p.redis_get_rss_per_client]}" \
      -v b="${figures[$p.redis_get_kernel_stack_per_client]}" -v c="${figures[$p.redis_get_kernel_task_per_client]:-0}" \
      'BEGIN { printf "%.1f", a + b + c }')" KiB
  fi
done
ratio hook.redis_get_vs_threads hook.redis_get threads.redis_get
ratio hook.redis_get_cpu_vs_threads hook.redis_get_cpu threads.redis_get_cpu
ratio hook.redis_get_rss_vs_threads hook.redis_get_rss threads.redis_get_rss
ratio hook.redis_get_rss_per_client_vs_threads hook.redis_get_rss_per_client threads.redis_get_rss_per_client
ratio hook.redis_get_memory_per_client_vs_threads hook.redis_get_memory_per_client threads.redis_get_memory_per_client

# The interposed recv on a ready socket, with its peers (the program prints them all).
recv_ready=$(find "$bin" -maxdepth 2 -type f -perm -u+x -name '*recv_ready' | head -1)
if [ -n "$recv_ready" ]; then
  run_figures taskset -c 0 "$recv_ready"
  ratio hook.recv_ready_vs_libc hook.recv_ready hook.recv_ready.libc_nonblocking
else
  say "no recv_ready program under $bin: hook.recv_ready not measured"
fi
exit 0
