#!/bin/sh
# The second wall: the kernel's limits on bundlerun --sandbox's child
# process. jail_probe applies the same jail to a C program and tries what
# no script can express (exec, fork, sockets, opening paths outside the
# allowed directories, through a symlink or ".."); then bundlerun's own
# child is inspected from outside while it runs.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/r" "$T/w" "$T/outside"
ln -s "$T/outside" "$T/w/link"
"$BUILD/tests/jail_probe" "$T/r" "$T/w" "$T/outside" >"$T/probe" 2>&1
rc=$?
sed 's/^/    /' "$T/probe"
expect_rc 0 "jail_probe: every check held"
# (victim.txt: the probe's own file outside, made before its jail, which it
# then tries to link, move, truncate and reopen from inside)
[ "$(ls "$T/outside")" = victim.txt ] && ok "nothing was written outside --allow-write" || bad "files outside: $(ls "$T/outside")"
[ -z "$(ls "$T/w" | grep -v -e '^link$' -e '^ok.txt$')" ] && ok "  ... and nothing was linked or moved into it" || bad "moved or linked in: $(ls "$T/w")"
rm -f "$T/outside/victim.txt" # the checks below want the directory empty

# bundlerun's child: Seccomp 2, no new privileges, the rlimits in force
# (a generous wall-clock limit: on a loaded machine, or under ASan, 1.5 s of
# CPU can take several seconds of wall time, and this test is not about time)
"$BUNDLERUN" --sandbox --timeout 30 --max-memory 100 -e 'local t = os.clock() while os.clock() - t < 1.5 do end' \
  >"$T/o" 2>"$T/e" </dev/null &
parent=$!
child=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
  sleep 0.1
  child=$(cat /proc/$parent/task/$parent/children 2>/dev/null | tr -d ' ')
  [ -n "$child" ] || child=$(ps -o pid= --ppid "$parent" 2>/dev/null | tr -d ' ') # kernels without CONFIG_PROC_CHILDREN
  [ -n "$child" ] && break
done
sleep 0.3 # past the jail: the script is running
if [ -n "$child" ] && [ -r "/proc/$child/status" ]; then
  if grep -q "skipped: seccomp" "$T/probe"; then ok "(seccomp not built in: Seccomp line not checked)"
  else has "/proc/$child/status" "Seccomp:	2" "the script's process runs under a seccomp filter (Seccomp: 2)"; fi
  has "/proc/$child/status" "NoNewPrivs:	1" "  ... with no new privileges"
  has "/proc/$child/limits" "Max cpu time              32" "  ... RLIMIT_CPU from --timeout"
  case "$BUILD" in
    *asan*) ok "  (ASan build: no RLIMIT_AS, the sanitizer's shadow memory needs terabytes)" ;;
    *) if grep "Max address space" "/proc/$child/limits" | grep -q unlimited; then bad "  ... no RLIMIT_AS"; else ok "  ... RLIMIT_AS from --max-memory"; fi ;;
  esac
else
  bad "could not find the script's process under $parent"
fi
wait $parent
rc=$?
expect_rc 0 "the watched script ends normally"

# threads are allowed (jail_probe starts one): a BLAS product with two
# OpenBLAS threads and bundle's CSV reader work inside the jail
printf 'x,y\n1,2\n3,4\n' > "$T/r/a.csv"
OPENBLAS_NUM_THREADS=2 run --sandbox --timeout 20 --max-memory 256 --allow-read "$T/r" -e \
  "local b = require 'bundle' local a = b.tensor.ones(600, 600) print(a:matmul(a):sum(), b.read_csv('$T/r/a.csv', { threads = 2 }):nrows())"
expect_rc 0 "a 600^2 matmul with OPENBLAS_NUM_THREADS=2 and a CSV read run in the jail"
has "$T/out" "216000000" "  ... with the right product"

# RLIMIT_AS behind the budget: the core does not charge mined itemsets to
# --max-memory, so mining all 2^26 subsets of two equal baskets once ran
# to gigabytes; the address-space limit ends it with exit 4
line=$(seq 1 26 | tr '\n' ' ')
printf '%s\n%s\n' "$line" "$line" > "$T/fimi.txt"
case "$BUILD" in
  *asan*) ok "(ASan build: no RLIMIT_AS, so no uncharged-allocation run)" ;;
  *)
    run --sandbox --timeout 10 --max-memory 64 --allow-read "$T" -e \
      "local bs = require('bundle').read_baskets('$T/fimi.txt') print(#bs:frequent{ min_count = 1, max_itemsets = 1e9 })"
    expect_rc 4 "--sandbox --max-memory 64: uncharged itemsets stopped by RLIMIT_AS"
    within 8 "  ... long before the timeout"
    ;;
esac

# through bundlerun: writes outside --allow-write are refused, by name or by link
cat > "$T/s.lua" <<LUA
local b = require "bundle"
for _, p in ipairs{ "$T/outside/a.json", "$T/w/link/b.json", "$T/w/../outside/c.json" } do
  print(pcall(b.json.write, p, { 1 }))
end
b.json.write("$T/w/ok.json", { 1 })
print("wrote inside")
LUA
run --sandbox --allow-write "$T/w" "$T/s.lua"
expect_rc 0 "--sandbox --allow-write: the script ran"
n=$(grep -c "^false	.*is not allowed" "$T/out")
[ "$n" -eq 3 ] && ok "  ... three writes outside refused" || { bad "  ... $n of 3 refused"; cat "$T/out"; }
has "$T/out" "wrote inside" "  ... the write inside worked"
[ -z "$(ls "$T/outside")" ] && ok "  ... nothing appeared outside" || bad "  ... files outside: $(ls "$T/outside")"

if grep -q "skipped: Landlock" "$T/probe"; then
  run --sandbox --require-landlock -e 'print(1)'
  expect_rc 1 "--require-landlock on a kernel without Landlock fails"
else
  run --sandbox --require-landlock -e 'print(1)'
  expect_rc 0 "--require-landlock on a kernel with Landlock runs"
fi
finish
