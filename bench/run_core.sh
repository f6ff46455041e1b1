#!/usr/bin/env bash
# Core figures: switch, channel round trip, spawn and idle memory, weft beside Go,
# Boost.Fiber and bare Boost.Context, each pinned to CPU 0, followed by weft/peer ratios.
#   bash bench/run_core.sh <build-dir>     (a Release build; the programs are in <build-dir>/bench)
set -uo pipefail

build=$(cd "${1:?usage: run_core.sh <build-dir>}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
bin=$build/bench
go_dir=$bin/go
source "$here/common.sh"

# pinned PROG ARGS...: runs <build>/bench/PROG on CPU 0, or says it was not built.
pinned() {
  local prog=$1
  shift
  if [ -x "$bin/$prog" ]; then
    run_figures taskset -c 0 env GOMAXPROCS=1 "$bin/$prog" "$@"
  else
    say "$bin/$prog is not built, its figure is skipped"
  fi
}

have_go=1
for p in yield pingpong spawn idle; do
  go_build "$go_dir/$p" "$here/peers/go/$p.go" "$here/peers/go/figure.go" || { have_go=0; break; }
done

pinned boost_context_jump

pinned weft_yield
[ $have_go = 1 ] && pinned go/yield
pinned boost_fiber_yield

pinned weft_pingpong
[ $have_go = 1 ] && pinned go/pingpong
pinned boost_fiber_pingpong

pinned weft_spawn
[ $have_go = 1 ] && pinned go/spawn
pinned boost_fiber_spawn
pinned boost_fiber_spawn --pooled --reps 15

pinned weft_idle --stack dense --count 1000000
pinned weft_idle --stack guarded --count 20000
[ $have_go = 1 ] && pinned go/idle --count 1000000

ratio weft.yield_vs_boost_context weft.yield boost_context.jump
ratio weft.yield_vs_go weft.yield go.yield
ratio weft.yield_vs_boost_fiber weft.yield boost_fiber.yield
ratio weft.pingpong_vs_go weft.pingpong go.pingpong
ratio weft.pingpong_vs_boost_fiber weft.pingpong boost_fiber.pingpong
ratio weft.spawn_vs_go weft.spawn go.spawn
ratio weft.spawn_vs_boost_fiber weft.spawn boost_fiber.spawn
ratio weft.spawn_vs_boost_fiber_pooled weft.spawn boost_fiber.spawn_pooled
ratio weft.idle_dense_vs_go weft.idle_dense go.idle
ratio weft.idle_guarded_vs_go weft.idle_guarded go.idle
exit 0
