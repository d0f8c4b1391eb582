#!/bin/sh
# Lua's string.rep, upper, lower and reverse are single C loops over every
# byte, after one allocation: the count hook never fires inside them, and
# the time limit's refusal of large blocks never comes. With a large
# memory budget, sandbox.run (which has no watchdog) ran past its limit by
# the length of the string: a 1 GiB rep + 100 upper/lower rounds under
# timeout = 0.5 took 24.8 s. The sandbox's versions check the limit every
# MiB (rep now fills by doubling), so the run ends within timeout + 1 s,
# with Lua's results.
. "$(dirname "$0")/lib.sh"
for op in "s:upper():lower()" "s:reverse()" "s .. ('y'):rep(2^28, ',')"; do
  run --timeout 30 -e "local b = require 'bundle'
local code = [[ local s = ('x'):rep(2^28) for i = 1, 200 do s = ($op):sub(1, 2^28) end return #s ]]
local t0 = b.clock()
print('host', pcall(b.sandbox.run, code, { timeout = 0.5, memory = 1500 }))
print(('elapsed %.2f'):format(b.clock() - t0))"
  expect_rc 0 "sandbox.run: 256 MB strings, $op in a loop"
  has "$T/out" "host	false	sandbox.run: timeout: the script ran past its limit of 0.5 s" "  ... stops at the limit"
  # the time sandbox.run took (the process's start, slow under ASan, is not its to answer for)
  secs=$(sed -n 's/^elapsed //p' "$T/out")
  secs=${secs:-99}
  within 1.5 "  ... within timeout + 1 s"
done
run -e "local b = require 'bundle'
print(b.sandbox.run([[
  local a = ('ab'):rep(3 * 2^20, ',')
  local c = ('xyz'):rep(2^21)
  return #a, a:sub(1, 8), a:sub(-5), #c, c:sub(-4), c:upper():sub(-3), c:upper():lower() == c,
    ('abc'):rep(2^21):reverse():sub(1, 4), ('ab'):rep(3, '-'), ('x'):rep(0), ('x'):rep(1, 's')
]]))"
has "$T/out" "9437183	ab,ab,ab	ab,ab	6291456	zxyz	XYZ	true	cbac	ab-ab-ab		x" "long rep, upper, lower, reverse give Lua's results"
finish
