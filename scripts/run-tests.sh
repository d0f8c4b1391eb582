#!/bin/sh
# Runs every cmocka test binary in BUILD/tests, every busted spec in
# tests/lua and every script in tests/security, then prints one closing line "tests: N passed, M failed".
# Exits non-zero when anything failed or when no test ran at all.
#
#   scripts/run-tests.sh --build build --lua "lua5.4 /usr/bin/busted" [--install-test]
set -u
build=build
lua="lua5.4 /usr/bin/busted"
install_test=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --lua) lua=$2; shift 2 ;;
    --install-test) install_test=1; shift ;;
    *) echo "run-tests: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)...".
for t in "$build"/tests/test_*; do
  [ -x "$t" ] || continue
  echo "== $t"
  "$t" >"$log" 2>&1
  rc=$?
  cat "$log"
  p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
  f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  # A crash or a failure outside any test still counts as a failure.
  if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
    echo "run-tests: $t exited with status $rc" >&2
    failed=$((failed + 1))
  fi
done

# busted with TAP output: "ok N - ..." / "not ok N - ...".
echo "== busted tests/lua ($lua)"
LUA_PATH="$top/lua/?.lua;$top/lua/?/init.lua;$top/tests/lua/?.lua;;" \
LUA_CPATH="$top/$build/?.so;;" \
BUNDLERUN="$top/$build/bundlerun" BUNDLE_BUILD="$top/$build" \
  $lua --output=TAP tests/lua >"$log" 2>&1
rc=$?
cat "$log"
p=$(grep -c '^ok ' "$log")
f=$(grep -c '^not ok ' "$log")
passed=$((passed + p))
failed=$((failed + f))
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
  echo "run-tests: busted exited with status $rc" >&2
  failed=$((failed + 1))
fi

# tests/security: one shell script per class of attack on the sandbox,
# each one test (lib.sh is their shared helpers).
for t in tests/security/*.sh; do
  [ "$(basename "$t")" = lib.sh ] && continue
  echo "== $t"
  BUNDLERUN="$top/$build/bundlerun" BUNDLE_BUILD="$top/$build" sh "$t" >"$log" 2>&1
  rc=$?
  cat "$log"
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
  else
    echo "run-tests: $t failed" >&2
    failed=$((failed + 1))
  fi
done

# tests/mpi: under mpirun -n 1, 2, 4 when OpenMPI is present (it says when it skips)
echo "== tests/mpi"
sh tests/mpi/run.sh "$build" >"$log" 2>&1
rc=$?
cat "$log"
p=$(sed -n 's/^mpi: \([0-9]*\) passed.*/\1/p' "$log")
f=$(sed -n 's/^mpi: [0-9]* passed, \([0-9]*\) failed/\1/p' "$log")
passed=$((passed + ${p:-0}))
failed=$((failed + ${f:-0}))
if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
  echo "run-tests: tests/mpi exited with status $rc" >&2
  failed=$((failed + 1))
fi

if [ "$install_test" -eq 1 ]; then
  echo "== install test"
  if scripts/test-install.sh "$build" >"$log" 2>&1; then
    cat "$log"
    passed=$((passed + 1))
  else
    cat "$log"
    echo "run-tests: install test failed" >&2
    failed=$((failed + 1))
  fi
fi

echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
