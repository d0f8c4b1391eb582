-- bundlerun's search engine on Online Retail: the 1,000 most frequent
-- items, bundles of 2 to 4, top 20. Prints what it measures.
local bundle = require "bundle"
local path = arg[1]
local f = bundle.read_csv(path, { columns = {"InvoiceNo", "StockCode", "Quantity", "UnitPrice", "InvoiceDate"} })
local sale = f:col("Quantity"):gt(0):and_(f:col("UnitPrice"):gt(0)):and_(f:col("InvoiceNo"):lt("C"))
local s = f:filter(sale)
local bk = bundle.baskets(s, { basket = "InvoiceNo", item = "StockCode" })
local items = s:group_by("StockCode"):agg{ price = {"mean", "UnitPrice"} }
local cat = bundle.catalog(items, { item = "StockCode", price = "price", margin = 0.4 })
local sup = bk:item_support():sort("count", { desc = true }):head(1000)
local pool = sup:col("item"):totable()
local clock = bundle.clock

local function run(spec)
  local t = clock()
  spec.catalog, spec.baskets, spec.pool, spec.size, spec.top = cat, bk, pool, spec.size or {2, 4}, spec.top or 20
  local res = bundle.search(spec)
  return clock() - t, res
end
local function best_of(res) local _, b = res:iter()(res, 0) return b end
local function keys(res) local k = {} for _, b in res:iter() do k[table.concat(b.items, "+")] = true end return k end
local function shared(a, b) local n = 0 for k in pairs(keys(a)) do if keys(b)[k] then n = n + 1 end end return n end

-- exact: every bundle of the 1,000 items bought together in >= 0.5% of baskets
local t_exact, res = run{ objective = "lift", min_support = 0.005 }
local st = res:stats()
print(("exact lift, top 20 of the 1,000-item pool (min_support 0.005): %.3f s (%d bundles visited, %d subtrees pruned by bound)")
  :format(t_exact, st.visited, st.pruned))
print(("  best: %s (lift %.1f)"):format(table.concat(best_of(res).items, "+"), best_of(res).score))
-- branch and bound where the bound bites: expected profit, every co-occurring bundle (min_count 1)
local t_ep, ep = run{ objective = "expected_profit" }
st = ep:stats()
print(("exact expected_profit, top 20, no support floor: %.3f s (%d visited, %d pruned)"):format(t_ep, st.visited, st.pruned))
-- heuristics against exact (lift, min_support 0.005)
for _, m in ipairs{ {"beam", { beam_width = 100 }}, {"greedy", {}}, {"anneal", { seed = 1 }}, {"nsga2", { seed = 1 }} } do
  local spec = { objective = "lift", min_support = 0.005, method = m[1] }
  for k, v in pairs(m[2]) do spec[k] = v end
  local t, r = run(spec)
  print(("%-6s lift top 20: %.3f s, best %.1f (exact %.1f), %d of exact's top 20"):format(m[1], t, best_of(r).score,
    best_of(res).score, shared(r, res)))
end
-- NSGA-II on two objectives over every co-occurring bundle of the pool (too many for exact)
local t_ga, ga = run{ objectives = { profit = "expected_profit", lift = "lift" }, method = "nsga2", seed = 1,
  population = 100, generations = 50 }
print(("nsga2 {expected_profit, lift}, population 100 x 50 generations: %.3f s, %d bundles scored, front of %d")
  :format(t_ga, ga:stats().scored, #ga:pareto{ "profit", "lift" }))
local ok, e = pcall(run, { objectives = { profit = "expected_profit", lift = "lift" } })
print(("exact on the same problem: %s"):format(ok and "finished" or e:match("the pool is too large[^;]*")))

-- per-evaluation costs on a fixed candidate set (the pool's pairs and triples at 0.005)
-- A search has a fixed set-up (joining labels, counting items, caching
-- pair counts for the items in play); the cost of one evaluation is the
-- difference between the whole pool and its better half, which pay about
-- the same set-up, divided by the extra candidates.
local sets = bk:frequent{ min_support = 0.005, min_size = 2, max_size = 4 }
local one = sets:top(1)
local half = sets:top(#sets // 2)
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
  return (best_time(sets, objective) - best_time(half, objective)) / (n - #half) * 1e9
end
print(("candidates: %d; fixed set-up of a search: %.1f ms"):format(n, best_time(one, "revenue") * 1e3))
print(("built-in revenue: %.0f ns a bundle (scoring, constraint checks, ranking)"):format(per_eval("revenue")))
print(("built-in lift (mined counts reused): %.0f ns a bundle"):format(per_eval("lift")))
print(("built-in min_pair_lift (pair intersections): %.0f ns a bundle"):format(per_eval("min_pair_lift")))
print(("Lua objective, empty (return 1): %.0f ns a bundle"):format(per_eval(function(b) return 1 end)))
print(("Lua objective, b:price(): %.0f ns a bundle"):format(per_eval(function(b) return b:price() end)))

-- pricing: elasticities from the data's weekly price variation, then the
-- reservation-price model (Gaussian copula) on the top 20 by expected profit
local t = clock()
local el = bundle.price.elasticity(s, { item = "StockCode", price = "UnitPrice", quantity = "Quantity", time = "InvoiceDate",
                                        catalog = cat })
print(("price.elasticity, weekly over %d periods: %.3f s; %d items estimated, pooled %.2f"):format(el.periods, clock() - t,
  el.items, el.pooled or 0 / 0))
t = clock()
local priced = bundle.price.optimize(ep, { baskets = bk, elasticity = el.by_item })
local dt = clock() - t
local gain = 0
local base = bundle.price.baseline(ep, { baskets = bk, elasticity = el.by_item, discount = 0.1 })
for i, p in ipairs(priced) do gain = gain + p.profit - base[i].profit end
print(("price.optimize, 20 bundles x 20,000 simulated customers: %.3f s; profit per customer %+.4f against a flat 10%% discount")
  :format(dt, gain))
-- the top 10 priced bundles judged together (they share hub items): one
-- draw per item per customer, greedy by gain over non-overlapping offers
local ten = {}
for i = 1, 10 do ten[i] = priced[i] end
local popts = { catalog = cat, baskets = bk, elasticity = el.by_item, customers = 20000 }
local pf = bundle.price.portfolio(ten, popts)
t = clock()
for _ = 1, 20 do bundle.price.portfolio(ten, popts) end
local sum = 0
for i = 1, 10 do sum = sum + priced[i].profit end
print(("price.portfolio, 10 offers (%d items, %d groups) x 20,000 customers: %.1f ms; profit %.4f per customer against %.4f summed alone")
  :format(pf.items, pf.groups, (clock() - t) / 20 * 1000, pf.profit, sum))
-- a pool the size a pipeline prices: 1,000 pairs and 1,000 triples of the 1,000-item pool
local many = {}
for i = 1, 1000 do
  many[#many + 1] = { pool[i], pool[i % 1000 + 1] }
  many[#many + 1] = { pool[i], pool[(i + 6) % 1000 + 1], pool[(i + 13) % 1000 + 1] }
end
t = clock()
bundle.price.optimize(many, { catalog = cat, baskets = bk, customers = 2000, elasticity = el.by_item })
print(("price.optimize, 2,000 bundles x 2,000 simulated customers: %.3f s"):format(clock() - t))
