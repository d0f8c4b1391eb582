#!/bin/sh
# A deadline hit inside a coroutine comes back to the resumer as an error
# value; the run must still end with the timeout status, and the resumer
# must not carry on.
. "$(dirname "$0")/lib.sh"
for code in \
  'local co = coroutine.create(function() while true do end end) print("escaped", coroutine.resume(co))' \
  'local f = coroutine.wrap(function() while true do end end) print("escaped", pcall(f))' \
  'local f = coroutine.wrap(function() while true do pcall(function() while true do end end) end end) print("escaped", pcall(f))' \
  'print("escaped", pcall(coroutine.wrap(function() local co = coroutine.create(function() while true do end end) while true do coroutine.resume(co) end end)))'; do
  run --sandbox --timeout 0.5 -e "$code"
  expect_rc 3 "--sandbox: $code"
  within 1.5 "  ... within timeout + 1 s"
  lacks "$T/out" "escaped" "  ... and the resumer did not go on"
done
cat > "$T/host.lua" <<'LUA'
local sb = require("bundle").sandbox
print(pcall(sb.run, [[
  local co = coroutine.create(function() while true do end end)
  local ok = coroutine.resume(co)
  return "escaped"
]], { timeout = 0.3 }))
LUA
run --timeout 10 "$T/host.lua"
has "$T/out" "false	sandbox.run: timeout: the script ran past its limit of 0.3 s" "sandbox.run: a timeout inside a coroutine is the run's timeout"
lacks "$T/out" "escaped" "  ... and no result came back"
finish
