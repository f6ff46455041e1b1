#!/bin/bash
# Runs an unmodified C program plainly and under LD_PRELOAD=libweft_preload.so: the preloaded
# run must see the hook and print exactly what the plain run prints, with the same exit status.
# usage: preload_test.sh PROGRAM PRELOAD_LIB [RUNTIME_TO_PRELOAD_FIRST]
set -u
program=$1
lib=$2
first=${3:-}
preload=$lib
[ -n "$first" ] && preload="$first:$lib"
[ -x "$program" ] || { echo "FAIL: $program is missing"; exit 1; }
[ -f "$lib" ] || { echo "FAIL: $lib is missing"; exit 1; }

plain=$(timeout 30 "$program"); plain_rc=$?
hooked=$(ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0:detect_leaks=0 LD_PRELOAD=$preload timeout 30 "$program"); hooked_rc=$?

echo "--- plain (exit $plain_rc)"; echo "$plain"
echo "--- preloaded (exit $hooked_rc)"; echo "$hooked"
fail=0
[ "$(head -1 <<<"$plain")" = "hooked: no" ] || { echo "FAIL: the plain run sees a hook"; fail=1; }
[ "$(head -1 <<<"$hooked")" = "hooked: yes" ] || { echo "FAIL: the preloaded run does not see the hook"; fail=1; }
if [ "$(tail -n +2 <<<"$plain")" != "$(tail -n +2 <<<"$hooked")" ]; then
  echo "FAIL: the outputs differ:"; diff <(tail -n +2 <<<"$plain") <(tail -n +2 <<<"$hooked"); fail=1
fi
[ "$plain_rc" = "$hooked_rc" ] || { echo "FAIL: exit status $plain_rc plain, $hooked_rc preloaded"; fail=1; }
[ "$plain_rc" = 3 ] || { echo "FAIL: the program did not finish (exit $plain_rc)"; fail=1; }
[ $fail = 0 ] && echo "PASS"
exit $fail
