-- bundlerun's search engine on Online Retail: the 1,000 most frequent
-- items, bundles of 2 to 4, top 20. Prints what it measures.
local bundle = require "bundle"
local path = arg[1]
local f = bundle.read_csv(path, { columns = {"InvoiceNo", "StockCode", "Quantity", "UnitPrice"} })
local sale = f:col("Quantity"):gt(0):and_(f:col("UnitPrice"):gt(0)):and_(f:col("InvoiceNo"):lt("C"))
local s = f:filter(sale)
local bk = bundle.baskets(s, { basket = "InvoiceNo", item = "StockCode" })
local items = s:group_by("StockCode"):agg{ price = {"mean", "UnitPrice"} }
local cat = bundle.catalog(items, { item = "StockCode", price = "price", margin = 0.4 })
local sup = bk:item_support():sort("count", { desc = true }):head(1000)
local pool = sup:col("item"):totable()
local clock = bundle.clock

local function run(objective, min_support)
  local t = clock()
  local res = bundle.search{ catalog = cat, baskets = bk, pool = pool, size = {2, 4}, top = 20,
                             objective = objective, min_support = min_support }
  return clock() - t, res
end

-- exact: every bundle of the 1,000 items bought together in >= 0.5% of baskets
local t_exact, res = run("lift", 0.005)
print(("exact lift, top 20 of the 1,000-item pool (min_support 0.005): %.3f s"):format(t_exact))
print(("  best: %s (lift %.1f)"):format(table.concat(res:iter()(res, 0) and select(2, res:iter()(res, 0)).items or {}, "+"),
  select(2, res:iter()(res, 0)).score))

-- per-evaluation costs on a fixed candidate set (the pool's pairs and triples at 0.005)
-- A search has a fixed set-up (joining labels, counting items); the cost
-- of one evaluation is the difference against a one-candidate pool, which
-- pays the same set-up, divided by the extra candidates.
local sets = bk:frequent{ min_support = 0.005, min_size = 2, max_size = 4 }
local one = sets:top(1)
local n = #sets
local function best_time(pool, objective)
  local best = math.huge
  for _ = 1, 7 do
    local t = clock()
    bundle.search{ catalog = cat, pool = pool, size = {2, 4}, top = 20, objective = objective }
    best = math.min(best, clock() - t)
  end
  return best
end
local function per_eval(objective)
  return (best_time(sets, objective) - best_time(one, objective)) / (n - 1) * 1e9
end
print(("candidates: %d; fixed set-up of a search: %.1f ms"):format(n, best_time(one, "revenue") * 1e3))
print(("built-in revenue: %.0f ns a bundle (scoring, constraint checks, ranking)"):format(per_eval("revenue")))
print(("built-in lift (mined counts reused): %.0f ns a bundle"):format(per_eval("lift")))
print(("built-in min_pair_lift (pair intersections): %.0f ns a bundle"):format(per_eval("min_pair_lift")))
print(("Lua objective, empty (return 1): %.0f ns a bundle"):format(per_eval(function(b) return 1 end)))
print(("Lua objective, b:price(): %.0f ns a bundle"):format(per_eval(function(b) return b:price() end)))
