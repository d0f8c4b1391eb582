-- The bundlerun half of scripts/bench/eval. Writes the inputs the numpy
-- half reads (so both measure the same data), then times:
--   backtest: hit/attach/coverage of N bundles over the test baskets;
--   topk:     the top 20 of every row of a users x bundles score matrix;
--   rank:     Recall/NDCG@20 of those lists;
--   als:      implicit ALS on Youshu's user-bundle training pairs.
-- Prints "name seconds" lines; the inputs go to the directory in arg[1].
local bundle = require "bundle"
local T = bundle.tensor
local E = require("bundle.core").eval_core
local dir, orders_path, youshu = arg[1], arg[2], arg[3]
local reps = tonumber(arg[4] or 5)

local function best_of(f)
  local best = math.huge
  for _ = 1, reps do
    local t0 = bundle.clock()
    f()
    best = math.min(best, bundle.clock() - t0)
  end
  return best
end

-- baskets and bundles from Online Retail: train before 2011-09-01, test after
local sales = bundle.read_csv(orders_path)
sales = sales:filter(sales:col("Quantity"):gt(0))
local train, test = sales:split_by_time("InvoiceDate", "2011-09-01")
local spec = { basket = "InvoiceNo", item = "StockCode" }
local tb, sb = bundle.baskets(train, spec), bundle.baskets(test, spec)
local sets = tb:frequent{ min_support = 0.002, min_size = 2, max_size = 3 }
sets:sort()
local list = {}
for _, s in sets:iter() do
  list[#list + 1] = s.items
  if #list == 1000 then break end
end
local f = assert(io.open(dir .. "/baskets.txt", "w"))
for k = 1, sb:size() do f:write(table.concat(sb:items(k), " "), "\n") end
f:close()
f = assert(io.open(dir .. "/bundles.txt", "w"))
for _, items in ipairs(list) do f:write(table.concat(items, " "), "\n") end
f:close()
local res
print(("backtest %.6f"):format(best_of(function() res = E.backtest(sb, list, {}) end)))
print(("backtest_check %d %.6f %.6f"):format(#list, res.hit_rate, res.attach_rate))

-- ranking on Youshu-sized scores: 8039 users x 4771 bundles, a rank-4
-- product of LCG factors (written out, so numpy builds the same matrix)
local nu, nb = 8039, 4771
local state = 3
local function lcg() state = (state * 1103515245 + 12345) % 2147483648; return state / 2147483648 - 0.5 end
local function factors(n, name)
  local rows = {}
  f = assert(io.open(dir .. "/" .. name, "w"))
  for i = 1, n do
    rows[i] = { lcg(), lcg(), lcg(), lcg() }
    f:write(("%.17g %.17g %.17g %.17g\n"):format(table.unpack(rows[i])))
  end
  f:close()
  return T.from(rows)
end
local S = factors(nu, "users.txt"):matmul(factors(nb, "items.txt"):t())
local top
print(("topk %.6f"):format(best_of(function() top = E.topk(S, 20) end)))
-- relevant: 3 bundles per user from a fixed LCG
local rel = {}
for u = 1, nu do
  local r, seen = {}, {}
  while #r < 3 do -- three distinct bundles
    state = (state * 1103515245 + 12345) % 2147483648
    local b = state % nb + 1
    if not seen[b] then seen[b] = true; r[#r + 1] = b end
  end
  rel[u] = r
end
f = assert(io.open(dir .. "/relevant.txt", "w"))
for u = 1, nu do f:write(table.concat(rel[u], " "), "\n") end
f:close()
local m
print(("rank %.6f"):format(best_of(function() m = E.rank(top, rel, 20) end)))
print(("rank_check %.6f %.6f"):format(m.recall, m.ndcg))

-- ALS: Youshu user-bundle training pairs, 64 factors, 10 sweeps
local r, c = {}, {}
for line in io.lines(youshu .. "/user_bundle_train.txt") do
  local a, b = line:match("^(%d+)%s+(%d+)")
  if a then r[#r + 1] = tonumber(a) + 1; c[#c + 1] = tonumber(b) + 1 end
end
local R, C = T.from(r), T.from(c)
local opts = { nrows = 8039, ncols = 4771, factors = 64, l2 = 1, alpha = 20, iterations = 10, seed = 1 }
local U, V, loss
local t = best_of(function() U, V, loss = bundle.als(R, C, opts) end)
print(("als %.6f"):format(t))
print(("als_check %d %.6f"):format(#r, type(loss) == "table" and loss[#loss] or (loss and loss:get(loss:size(1)) or 0)))
