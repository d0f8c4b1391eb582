#!/bin/sh
# require must never load a file: a script that may write ./bundle/evil.lua
# (with --allow-write . or sandbox.run's write = { "." }) used to require
# it and run it with the real globals.
. "$(dirname "$0")/lib.sh"
BUNDLERUN=$(cd "$(dirname "$BUNDLERUN")" && pwd)/$(basename "$BUNDLERUN")
cd "$T" || exit 1
mkdir -p bundle lib
# what a script could have written there (through bundle's CSV or JSON
# writers); LUA_PATH and LUA_CPATH point at more of the same
cat > bundle/evil.lua <<'LUA'
local f = io.open("PWNED", "w") f:write("x") f:close()
print("ESCAPED")
return {}
LUA
cp bundle/evil.lua lib/evil.lua
export LUA_PATH="$T/lib/?.lua;$T/?.lua;;" LUA_CPATH="$T/lib/?.so;;"

# 1. bundlerun --sandbox --allow-write .
cat > attack.lua <<'LUA'
local b = require "bundle"
b.json.write("bundle/written.json", { "os.execute('touch PWNED')" })
for _, name in ipairs{ "bundle.evil", "bundle.written", "evil", "bundle.core.evil" } do
  print(name, pcall(require, name))
end
print(pcall(require, "bundle.core"))
return 0
LUA
run --sandbox --allow-write . --allow-read . attack.lua
expect_rc 0 "--sandbox: the script ran and its requires failed"
has "$T/out" "module 'bundle.evil' not found (the sandbox loads only bundle's own modules)" "--sandbox: require 'bundle.evil' is not found"
has "$T/out" "require 'evil' is not allowed" "--sandbox: require 'evil' is refused"
has "$T/out" "require 'bundle.core' is not allowed" "--sandbox: require 'bundle.core' is refused"
lacks "$T/out" "ESCAPED" "--sandbox: the planted module never ran"
[ ! -e PWNED ] && ok "--sandbox: nothing written outside" || bad "--sandbox: PWNED exists"

# 2. bundle.sandbox.run(..., { write = { "." } }) from a trusted script
cat > host.lua <<'LUA'
local b = require "bundle"
local ok, e = pcall(b.sandbox.run, [[
  require("bundle").json.write("bundle/evil2.json", { 1 })
  return require "bundle.evil"
]], { read = { "." }, write = { "." } })
print(ok, e)
local ok2, e2 = pcall(b.sandbox.run, "return require 'evil'", { read = { "." }, write = { "." } })
print(ok2, e2)
LUA
run --timeout 20 host.lua
expect_rc 0 "sandbox.run: the host went on"
has "$T/out" "false	sandbox.run: " "sandbox.run: the run failed"
has "$T/out" "module 'bundle.evil' not found" "sandbox.run: require 'bundle.evil' is not found"
lacks "$T/out" "ESCAPED" "sandbox.run: the planted module never ran"
[ ! -e PWNED ] && ok "sandbox.run: nothing written" || bad "sandbox.run: PWNED exists"
finish
