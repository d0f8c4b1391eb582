-- bundlerun side of scripts/bench/matmul: a:matmul(b) from Lua, result
-- allocated per call as a script would. Prints "n best_gflops median_gflops reps".
local bundle = require "bundle"
local T = bundle.tensor
local n, reps = tonumber(arg[1]), tonumber(arg[2])
local a = T.rand(n, n, {seed = 1}) - 0.5
local b = T.rand(n, n, {seed = 2}) - 0.5
for _ = 1, 5 do local _ = a:matmul(b) end -- warm-up, as the C peer does
local times = {}
for r = 1, reps do
  local t0 = bundle.clock()
  local c = a:matmul(b)
  times[r] = bundle.clock() - t0
  c = nil
end
table.sort(times)
local flop = 2 * n ^ 3
print(("%d %.2f %.2f %d"):format(n, flop / times[1] / 1e9, flop / times[reps // 2 + 1] / 1e9, reps))
