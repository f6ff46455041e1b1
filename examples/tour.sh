#!/usr/bin/env bash
# `make run`: a short tour of the examples, each run against servers on 127.0.0.1 only.
set -euo pipefail
build=${1:-build}
ex="$build/examples"
step() { printf '\n== %s\n' "$*"; }

step "tasklets and channels (examples/hello_tasklets.cpp)"
"$ex/hello_tasklets"

if [ -x "$ex/seed_connect_read" ]; then
  step "connect and read, plain blocking code (examples/seed_connect_read.cpp)"
  "$ex/seed_connect_read"
fi
if [ -x "$ex/parallel_downloads" ]; then
  step "serial versus parallel downloads (examples/parallel_downloads.cpp)"
  "$ex/parallel_downloads"
fi
if [ -x "$ex/echo_server" ]; then
  step "echo server: one tasklet per connection, one thread (examples/echo_server.cpp)"
  port=$((20000 + RANDOM % 20000))
  "$ex/echo_server" --port "$port" &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  exec 3<>/dev/tcp/127.0.0.1/$port
  printf 'hello, weft\n' >&3
  read -r -t 5 reply <&3
  echo "sent 'hello, weft', echoed: '$reply'"
  exec 3<&-
  kill $pid
  wait $pid 2>/dev/null || true
  trap - EXIT
fi
