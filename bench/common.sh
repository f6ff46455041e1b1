# Shared by run_core.sh and run_net.sh: building the Go peers, recording figures, ratios.
# Every figure line is `name value unit` on stdout; everything else goes to stderr.

declare -A figures  # name -> value, for the ratios printed at the end

say() { echo "$(basename "$0"): $*" >&2; }

# record NAME VALUE UNIT: prints the figure and remembers it.
record() {
  figures[$1]=$2
  echo "$1 $2 $3"
}

# run_figures CMD...: runs a benchmark program and records each line it prints.
run_figures() {
  local name value unit
  while read -r name value unit; do
    [ -n "$name" ] && record "$name" "$value" "$unit"
  done < <("$@" || say "failed: $*")
}

# ratio NAME A B: prints `NAME <A/B> x` when both figures exist (always the plain quotient:
# for ns and bytes below 1 favours A, for req/s above 1 does).
ratio() {
  local a=${figures[$2]:-} b=${figures[$3]:-}
  [ -n "$a" ] && [ -n "$b" ] || return 0
  awk -v n="$1" -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%s %.3g x\n", n, a / b }'
}

# go_build OUT SRC...: builds a Go peer without modules or network, caches under the build
# dir. Returns non-zero (after saying why) if Go is missing or the build fails.
go_build() {
  local out=$1
  shift
  if ! command -v go >/dev/null; then
    say "go not found, the go.* peers are skipped"
    return 1
  fi
  mkdir -p "$(dirname "$out")"
  GO111MODULE=off GOFLAGS= CGO_ENABLED=0 GOCACHE="$go_dir/cache" GOPATH="$go_dir/path" \
    go build -o "$out" "$@" || { say "go build $* failed"; return 1; }
}

# listening PORT: something listens on 127.0.0.1:PORT.
listening() { ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; }

# A free port below the ephemeral range, so no client socket can hold it.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 10000))
    listening "$p" || { echo "$p"; return; }
  done
  return 1
}

# cpu_ticks PID: user + system CPU time of a process so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
