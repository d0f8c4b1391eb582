#!/bin/sh
# Finalisers run with hooks off (no time limit) and, at the latest, when
# the sandbox's state is closed: the sandbox's setmetatable refuses any
# metatable with a __gc field, and adding __gc later marks nothing.
. "$(dirname "$0")/lib.sh"
cat > "$T/gc.lua" <<'LUA'
local loop = function() while true do end end
print("direct", pcall(setmetatable, {}, { __gc = loop }))
print("placeholder", pcall(setmetatable, {}, { __gc = false }))
print("through rawset", pcall(function() local mt = {} rawset(mt, "__gc", loop) return setmetatable({}, mt) end))
-- a metatable given __gc after setmetatable: Lua never marks the object
local mt = {}
local t = setmetatable({}, mt)
mt.__gc = loop
t = nil
collectgarbage() collectgarbage()
-- a metatable with __gc inherited through __index does not count either
setmetatable({}, setmetatable({}, { __index = { __gc = loop } }))
collectgarbage()
print("done")
LUA
run --sandbox --timeout 1 "$T/gc.lua"
expect_rc 0 "--sandbox: the script ends"
within 2 "  ... within timeout + 1 s"
n=$(grep -c "false	.*__gc metamethods are not allowed" "$T/out")
[ "$n" -eq 3 ] && ok "  ... setmetatable refused all three __gc metatables" || { bad "  ... refused $n of 3"; cat "$T/out"; }
has "$T/out" "done" "  ... and the rest ran"

cat > "$T/host.lua" <<LUA
local sb = require("bundle").sandbox
local code = io.open("$T/gc.lua"):read("a")
print(pcall(sb.run, code, { timeout = 1 }))
print("host goes on")
LUA
run --timeout 10 "$T/host.lua"
expect_rc 0 "sandbox.run: the host goes on after the state is closed"
within 3 "  ... promptly"
has "$T/out" "host goes on" "  ... to its end"
finish
