#!/usr/bin/env bash
# Runs every libFuzzer target of a build for a while: fuzz_<area>_<name> starts from the
# seeds in fuzz/<area>/corpus/<name> and keeps what it finds in <build>/fuzz/corpus/.
#   bash fuzz/run.sh <build-dir> [seconds per target, default 300]
set -euo pipefail
build=$(cd "${1:?usage: run.sh <build-dir> [seconds]}" && pwd)
seconds=${2:-300}
here=$(cd "$(dirname "$0")" && pwd)
status=0
cd "$build/fuzz"
for f in fuzz_*; do
  [ -x "$f" ] || continue
  rest=${f#fuzz_}
  area=${rest%%_*}
  name=${rest#*_}
  mkdir -p "corpus/${area}_$name"
  echo "== $f for ${seconds}s"
  rc=0
  "./$f" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "corpus/${area}_$name" "$here/$area/corpus/$name" >"$f.log" 2>&1 || rc=$?
  grep -E '^(stat::number_of_executed_units|stat::new_units_added|==[0-9]+==ERROR|SUMMARY)' "$f.log" || true
  [ "$rc" = 0 ] || { echo "$f FAILED (see $build/fuzz/$f.log and the crash-* input there)"; status=1; }
done
exit $status
