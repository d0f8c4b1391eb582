#!/bin/sh
# sandbox.run inside sandbox.run inside ...: each level is a fresh Lua
# state, whose count of C calls starts at zero, so Lua's own C-stack limit
# never saw the chain, and a script recursing 100000 levels deep
# overflowed the C stack: the host died of SIGSEGV (plain bundlerun and
# lua5.4 alike). Nesting is now capped, with an error the script sees.
. "$(dirname "$0")/lib.sh"
cat >"$T/nest.lua" <<'LUA'
local code = [[
local depth, code = ...
if depth > 100000 then return depth end
local ok, e = pcall(require('bundle').sandbox.run, code, { args = { depth + 1, code } })
if not ok then error(depth .. ": " .. tostring(e):sub(-60), 0) end
return e
]]
local ok, e = pcall(require('bundle').sandbox.run, code, { args = { 1, code } })
print("nest", ok, e)
-- a few levels are fine
print("three", require('bundle').sandbox.run([[
  local sb = require('bundle').sandbox
  return sb.run("return require('bundle').sandbox.run('return 3')")
]]))
LUA
run --max-memory 2000 "$T/nest.lua"
expect_rc 0 "in-process: 100000 nested sandbox.run calls end in an error, not a crash"
has "$T/out" "sandbox.run: sandboxes nest at most 16 deep" "  ... at the 17th level, saying why"
has "$T/out" "three	3" "  ... while three levels run"
run --sandbox --timeout 30 "$T/nest.lua"
expect_rc 0 "--sandbox: the same"
has "$T/out" "sandboxes nest at most 16 deep" "  ... with the same error"
finish
