#!/bin/sh
# Runs every cmocka test binary of BUILD/tests under valgrind memcheck:
# invalid reads and writes, uninitialised values, and definite or indirect
# leaks fail the run. OpenBLAS keeps its thread pool (and buffers) for the
# life of the process; those blocks are "still reachable" and not errors.
#
#   scripts/valgrind.sh build-valgrind
set -u
build=${1:-build-valgrind}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
mkdir -p build # the tests write scratch files under build/
failed=0
n=0
for t in "$build"/tests/test_*; do
  [ -x "$t" ] || continue
  n=$((n + 1))
  log="$build/$(basename "$t").valgrind.log"
  OPENBLAS_NUM_THREADS=1 valgrind --quiet --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
    --track-origins=yes --log-file="$log" "$t" >"$log.out" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "valgrind: $t: status $rc" >&2
    cat "$log" >&2
    tail -n 20 "$log.out" >&2
    failed=$((failed + 1))
  else
    echo "valgrind: $t: clean"
  fi
done
[ "$n" -gt 0 ] || { echo "valgrind: no test binaries in $build/tests" >&2; exit 1; }
echo "valgrind: $n test programs, $failed with errors"
[ "$failed" -eq 0 ]
