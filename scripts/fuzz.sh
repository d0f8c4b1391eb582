#!/bin/sh
# Runs each libFuzzer target for SECONDS on its seed corpus
# (tests/fuzz/corpus/<target>, read-only) plus a working corpus in
# BUILD/corpus/<target>, then prints executions and crashes per target and
# in total. Crash inputs land in BUILD/artifacts/; the exit status is 1
# when any target found one.
#
#   scripts/fuzz.sh build-fuzz 60 fuzz_csv fuzz_baskets fuzz_model fuzz_lua
set -u
build=$1
secs=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
mkdir -p "$build/artifacts"
total=0
crashes=0
summary=""
for t in "$@"; do
  work="$build/corpus/$t"
  seeds="tests/fuzz/corpus/$t"
  mkdir -p "$work" "$seeds"
  log="$build/$t.log"
  # -rss_limit_mb: a target may use what the core's budget allows and no more
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$build/fuzz/$t" -max_total_time="$secs" -timeout=20 -rss_limit_mb=3072 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$t-" "$work" "$seeds" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  execs=${execs:-0}
  found=0
  if [ "$rc" -ne 0 ]; then
    found=1
    echo "fuzz: $t stopped with status $rc; the end of its log ($log):" >&2
    tail -n 40 "$log" >&2
  fi
  total=$((total + execs))
  crashes=$((crashes + found))
  summary="$summary$(printf '%-14s %12d executions  %d crash(es)' "$t" "$execs" "$found")
"
done
printf '%s' "$summary"
printf '%-14s %12d executions  %d crash(es)\n' total "$total" "$crashes"
[ "$crashes" -eq 0 ]
