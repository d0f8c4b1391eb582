#!/bin/sh
# The MPI tests: tests/mpi/check.lua under mpirun -n 1, 2 and 4 (identical
# itemsets, rules and backtest figures to one process; the collectives);
# build/tests/test_dist_ranks under -n 2 and 4 when built (make test builds it); a
# rank that fails ends the job instead of leaving the others waiting;
# --sandbox and --timeout under mpirun.
# Skips (exit 0, one line saying why) when mpirun is missing or bundlerun
# was built without MPI. Prints "mpi: N passed, M failed".
#
#   sh tests/mpi/run.sh [build-dir]
set -u
build=${1:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
bin="$top/$build/bundlerun"
if ! command -v mpirun >/dev/null 2>&1; then
  echo "mpi: skipped (no mpirun: apt-get install openmpi-bin libopenmpi-dev)"
  exit 0
fi
if ! "$bin" -e 'os.exit(require("bundle").mpi.built and 0 or 1)'; then
  echo "mpi: skipped ($bin was built without MPI)"
  exit 0
fi
# we may run as root (CI containers); oversubscribe: more ranks than cores
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
# OpenMPI's own allocations are not ours to report under ASan
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
# result OK NAME: counts one test; a failure shows the run's output
result() {
  if [ "$1" -eq 1 ]; then
    echo "ok - $2"
    passed=$((passed + 1))
  else
    cat "$tmp/log"
    echo "not ok - $2"
    failed=$((failed + 1))
  fi
}
for n in 1 2 4; do
  ok=0
  timeout 120 mpirun -n "$n" --oversubscribe "$bin" tests/mpi/check.lua "$tmp" >"$tmp/log" 2>&1 &&
    grep -q "mpi check ok: $n ranks" "$tmp/log" && ok=1
  result $ok "mpirun -n $n: identical itemsets, rules and backtest figures to one process"
done
# the C tests of the dist module on real ranks: levels and parallel
# FP-growth (its all-to-all) equal to one process, the collectives' bytes
# right and charged to the budget (tests/c/test_dist_ranks.c)
if [ -x "$top/$build/tests/test_dist_ranks" ]; then
  for n in 2 4; do
    ok=0
    timeout 120 mpirun -n "$n" --oversubscribe "$top/$build/tests/test_dist_ranks" >"$tmp/log" 2>&1 &&
      [ "$(grep -c '^\[  PASSED  \] 2 test' "$tmp/log")" -eq "$n" ] && ok=1
    result $ok "mpirun -n $n test_dist_ranks: levels and PFP equal one process, collectives charged"
  done
fi
# rank 1 fails while rank 0 waits in a barrier: the job must end, non-zero
timeout 60 mpirun -n 2 --oversubscribe "$bin" -e \
  'local m = require("bundle").mpi; if m.rank() == 1 then error("rank 1 fails") end; m.barrier()' \
  >"$tmp/log" 2>&1
rc=$?
ok=0
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "rank 1 fails" "$tmp/log" && ok=1
result $ok "a failing rank ends the job (status $rc; 124 would be a hang)"
# --sandbox forbids MPI's sockets: a clear error, not a crash; --timeout's
# child process starts MPI itself
timeout 60 mpirun -n 2 --oversubscribe "$bin" --sandbox -e 'print(pcall(require("bundle").mpi.rank))' >"$tmp/log" 2>&1
ok=0
[ "$(grep -c 'false	mpi.rank: mpi: not available under --sandbox' "$tmp/log")" -eq 2 ] && ok=1
result $ok "--sandbox under mpirun: mpi says it is not available"
timeout 60 mpirun -n 2 --oversubscribe "$bin" --timeout 30 -e 'print("sum", require("bundle").mpi.allreduce(1))' \
  >"$tmp/log" 2>&1
ok=0
[ "$(grep -c '^sum	2$' "$tmp/log")" -eq 2 ] && ok=1
result $ok "--timeout under mpirun: the watched child joins the world"
echo "mpi: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
