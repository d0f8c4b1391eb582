#!/bin/sh
# A long C call runs no Lua instructions, so the hook cannot stop it. The
# core's own deadline (bundle/deadline.h, set from --timeout) stops the
# long loops it knows; the watchdog process kills the script at the
# deadline plus a grace for anything else (a C call with no checks), and a
# call that returns after the deadline still ends the run as a timeout.
. "$(dirname "$0")/lib.sh"
mm='local b = require "bundle" local a = b.tensor.ones(4000, 4000) local c = a:matmul(a) print("finished")'
run --sandbox --timeout 1 -e "$mm"
expect_rc 3 "--sandbox --timeout 1: a 4000^2 matmul"
within 2.2 "  ... stopped within timeout + 1 s"
lacks "$T/out" "finished" "  ... before it finished"
has "$T/err" "stopped by --timeout 1" "  ... and says so"
run --timeout 1 -e "$mm"
expect_rc 3 "--timeout 1 without --sandbox: the same"
within 2.2 "  ... stopped within timeout + 1 s"

# in process: sandbox.run has no watchdog; the core's deadline stops the
# call (or, for a call with no checks, the run checks the deadline when it
# returns) and reports the timeout rather than the result
# (long_c_call_inprocess.sh: each kind of long call)
cat > "$T/host.lua" <<'LUA'
local sb = require("bundle").sandbox
print(pcall(sb.run, [[
  local b = require "bundle"
  local a = b.tensor.ones(1200, 1200)
  for i = 1, 3 do a:matmul(a) end
  return "finished"
]], { timeout = 0.01 }))
LUA
run --timeout 20 "$T/host.lua"
has "$T/out" "false	sandbox.run: timeout: the script ran past its limit of 0.01 s" "sandbox.run: a C call past the deadline ends as a timeout"

# memory: the budget (exit 4), and the kernel's RLIMIT_AS behind it
run --sandbox --max-memory 64 -e 'local x = require("bundle").tensor.zeros(10000, 10000)'
expect_rc 4 "--sandbox --max-memory 64: an 800 MB tensor"
run --sandbox --max-memory 64 -e 'local s = string.rep("x", 300 * 1024 * 1024)'
expect_rc 4 "--sandbox --max-memory 64: a 300 MB string"
finish
