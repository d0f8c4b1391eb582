-- The cost of one Lua objective call in bundle.search, in the caller's
-- (trusted) state and in a sandboxed script's own state (bundle.sandbox.run,
-- with its count hook for the time limit): the same code runs in both.
--   bundlerun scripts/bench/search_objective.lua online_retail.csv.gz
local path = arg[1]
local sandbox = require("bundle").sandbox

-- Run as a chunk in either state; returns ns per call for each objective.
local MEASURE = [==[
local path = ...
local bundle = require "bundle"
-- CPU time, not wall time: on a shared machine a run of a few ms is
-- nearly always preempted somewhere, and the best of a few wall times
-- still carries that
local clock = os.clock or bundle.clock
local f = bundle.read_csv(path, { columns = { "InvoiceNo", "StockCode", "Quantity", "UnitPrice" } })
local sale = f:col("Quantity"):gt(0):and_(f:col("UnitPrice"):gt(0)):and_(f:col("InvoiceNo"):lt("C"))
local s = f:filter(sale)
local bk = bundle.baskets(s, { basket = "InvoiceNo", item = "StockCode" })
local items = s:group_by("StockCode"):agg{ price = { "mean", "UnitPrice" } }
local cat = bundle.catalog(items, { item = "StockCode", price = "price", margin = 0.4 })
-- as search.lua: the difference between all candidates and the better
-- half (the same set-up) over the extra candidates is the cost of one
local sets = bk:frequent{ min_support = 0.005, min_size = 2, max_size = 4 }
local half = sets:top(#sets // 2)
local function best_time(pool, objective)
  local best = math.huge
  for _ = 1, 25 do
    local t = clock()
    bundle.search{ catalog = cat, pool = pool, size = { 2, 4 }, top = 20, objective = objective }
    best = math.min(best, clock() - t)
  end
  return best
end
local function per_eval(objective)
  return (best_time(sets, objective) - best_time(half, objective)) / (#sets - #half) * 1e9
end
return { candidates = #sets, empty = per_eval(function() return 1 end), price = per_eval(function(b) return b:price() end) }
]==]

local trusted = assert(load(MEASURE, "=measure"))(path)
local dir = path:match("^(.*)/[^/]*$") or "."
local sandboxed = sandbox.run(MEASURE, { args = { path }, read = { dir }, timeout = 600, memory = 4096 })
print(("objective call cost over %d candidates, ns per call: trusted state vs sandboxed state (bundle.sandbox.run)")
  :format(trusted.candidates))
print(("  Lua objective, empty (return 1): %6.0f ns   sandboxed %6.0f ns"):format(trusted.empty, sandboxed.empty))
print(("  Lua objective, b:price():        %6.0f ns   sandboxed %6.0f ns"):format(trusted.price, sandboxed.price))
