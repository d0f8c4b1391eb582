-- Replays the Lua driver's corpus (seeds and regress-* inputs) outside
-- libFuzzer: bundlerun tests/fuzz/replay_lua.lua DRIVER CORPUS_DIR
-- Run it from a scratch directory: random calls may write files there.
local driver, dir = arg[1], arg[2]
dofile(driver)
local p = io.popen('ls -1 "' .. dir .. '"')
local n = 0
for name in p:lines() do
  local f = assert(io.open(dir .. "/" .. name, "rb"))
  local bytes = f:read("a")
  f:close()
  drive(bytes)
  collectgarbage()
  n = n + 1
end
p:close()
print(("replayed %d inputs"):format(n))
