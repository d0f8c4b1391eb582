#!/bin/sh
# An xpcall message handler that loops. The timeout is raised from inside
# the deadline's hook, where Lua runs no hooks, and a message handler runs
# before the error unwinds, so inside the hook: in a loop of
# xpcall(f, function() while true do end end), bundle.sandbox.run (no
# watchdog) never returned, and --sandbox's child was killed by the
# watchdog instead of stopping itself. The sandbox's xpcall now skips the
# script's handler once a deadline has passed; otherwise it is Lua's.
. "$(dirname "$0")/lib.sh"
loop="local function h(e) while true do end end
while true do xpcall(function() while true do end end, h) end"
run_box "$loop" "{ timeout = 0.5 }"
expect_rc 0 "sandbox.run: a looping message handler"
has "$T/out" "host	false	sandbox.run: timeout: the script ran past its limit of 0.5 s" "  ... stops as the timeout"
within 1.5 "  ... within timeout + 1 s"

run_box "local n = 0
local function h(e) n = n + 1 if n < 3 then error('again') end return 'handled ' .. n end
return xpcall(function() error('first') end, h)" "{ timeout = 30 }"
has "$T/out" "host	true	false	handled 3" "before the deadline the script's handler runs (and handles its own errors)"

run --sandbox --timeout 1 -e "$loop"
expect_rc 3 "--sandbox: a looping message handler"
lacks "$T/err" "was killed" "  ... the script stops itself, not the watchdog"

# Lua's xpcall otherwise: a yield across it, its results, its argument error
run_box "local co = coroutine.wrap(function(a)
  return xpcall(function(x) local y = coroutine.yield(x + 1) error({ y }) end, function(e) return e[1] * 2 end, a)
end)
local r1 = co(1)
local ok, e = co(20)
return r1, ok, e, select('#', xpcall(function() return 1, 2, 3 end, print)), pcall(xpcall, 1)" "{ timeout = 5 }"
has "$T/out" "host	true	2	false	40	4	false	bad argument #2 to 'xpcall' (function expected, got no value)" \
  "the sandbox's xpcall gives Lua's results"
finish
