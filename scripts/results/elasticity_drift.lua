-- Do the items' own price elasticities carry from the training window into
-- the test window? And how much of a list's judged profit rests on them?
--
--   build/bundlerun scripts/results/elasticity_drift.lua [YYYY-MM-DD test start] [--swap]
--
-- Online Retail, time split at the given day (default: the suite's,
-- 2011-11-01; give an earlier one, e.g. the suite's validation cut
-- 2011-09-23, to see a window that is not the test). Prints, per window,
-- the pooled slope, the between-item spread tau and how many items have a
-- slope of their own; then over the items with a slope in both windows
-- (1) the regression of the test window's own slopes on the training
-- window's shrunk departures from the pooled slope, weighted by precision:
-- the share of an item's departure that carries over, the same regression
-- bundle.pipeline's elasticity = "auto" runs on the training window's last
-- 16 weeks to choose lambda; (2) the mean of (own_train - own_test)^2 /
-- (se_train^2 + se_test^2): 1 if the items' slopes were the same in both
-- windows and only sampling noise told them apart.
--
-- --swap also runs the default pipeline once (seed 1) and judges ours and
-- popular pairs by the training model and by the referee, each with the
-- other's elasticities swapped in: the swap that moves a list's figure
-- names what carries it. Reading the test window this way is diagnosis
-- after the fact, not a choice: nothing here feeds the pipeline.
package.path = "scripts/results/?.lua;" .. package.path
local bundle = require "bundle"
local core = require "bundle.core"
local referee = require "bundle.referee"
local datasets = require "datasets"

local start, swap = nil, false
for _, a in ipairs(arg or {}) do
  if a == "--swap" then swap = true
  elseif a:match("^%d%d%d%d%-%d%d%-%d%d$") then start = a
  else error("elasticity_drift: arguments are [YYYY-MM-DD] [--swap], got " .. a, 0) end
end
local ds = datasets.all{}.online_retail
ds.start = start or ds.start
local data = datasets.pipeline_data(ds)
local noop = function() end
local spec = { data = data, start = ds.start, period_days = ds.period_days, rounds = 1, seed = 1, progress = false,
               warnings = false }
if not swap then spec.stages = { analyse = noop, generate = noop, evaluate = noop, adjust = noop } end
local ctx = bundle.pipeline(spec)

-- each window estimated as the pipeline does (weekly periods, or 8 in a short window), unclamped
local function fit(sales)
  local t = sales:col("time"):tensor()
  local span = (t:max() - t:min()) / 86400
  local pd = span >= 56 and 7 or math.max(1, math.floor(span / 8))
  return core.price.elasticity(sales, { item = "item", price = "price", quantity = "quantity", time = "time",
                                        period_days = pd, min_elasticity = 0.01, max_elasticity = 100 }), pd
end
local a, pa = fit(ctx.train)
local b, pb = fit(ctx.test)
print(("Online Retail, test from %s (%d days)"):format(ds.start, ds.period_days))
print(("training window: %d-day periods, pooled %.2f, tau %.2f, %d items with a slope of their own"):format(pa, a.pooled, a.tau, a.items))
print(("test window:     %d-day periods, pooled %.2f, tau %.2f, %d items with a slope of their own"):format(pb, b.pooled, b.tau, b.items))
local sdd, sdr, z2, n = 0, 0, 0, 0
for it, own in pairs(b.own) do
  local se, se_a = b.own_se[it], a.own_se[it]
  if se and se > 0 and se_a and a.own[it] then
    local d, w = a.by_item[it] - a.pooled, 1 / (se * se)
    sdd, sdr = sdd + w * d * d, sdr + w * d * (own - a.pooled)
    z2, n = z2 + (a.own[it] - own) ^ 2 / (se_a ^ 2 + se ^ 2), n + 1
  end
end
print(("%d items in both: share of a training departure that carries into the test window %.2f; " ..
       "mean squared difference over its noise %.2f (1 if unchanged)"):format(n, sdr / sdd, z2 / n))
if ctx.elasticity and ctx.elasticity.lambda then
  print(("the pipeline's decision used lambda %.2f (%s)"):format(ctx.elasticity.lambda, ctx.elasticity.source))
end

if swap then
  local visits = ctx.test_baskets:size()
  local function with(m, over)
    local v = {}
    for k, x in pairs(m) do v[k] = x end
    for k, x in pairs(over) do v[k] = x end
    return v
  end
  local D, W = ctx.demand, ctx.world
  -- one model's elasticities on the other's catalogue (an item only one
  -- window sells keeps its own model's value)
  local function onto(m, from)
    local out = {}
    for it in pairs(m.prices) do
      local e = type(from.elasticity) == "table" and from.elasticity[it] or nil
      out[it] = e or (type(m.elasticity) == "table" and m.elasticity[it]) or m.elasticity
    end
    return out
  end
  local models = { { "training model", D }, { "training model, the referee's elasticities", with(D, { elasticity = onto(D, W) }) },
                   { "referee", W }, { "referee, the training elasticities", with(W, { elasticity = onto(W, D) }) } }
  for _, m in ipairs{ "bundlerun", "popular_pairs", "one_bundle" } do
    local offs = {}
    for k, r in ipairs(ctx.evaluation[m].per_bundle) do offs[k] = { items = r.items, discount = r.discount } end
    local t = {}
    for _, mm in ipairs(models) do
      t[#t + 1] = ("%s %.0f"):format(mm[1], core.price.portfolio(offs, referee.price_opts(mm[2])).incremental_profit * visits)
    end
    print(("%s (incremental profit over the test window, offers together): %s"):format(m, table.concat(t, "; ")))
  end
  local function el(m, it) return type(m.elasticity) == "table" and m.elasticity[it] or m.elasticity end
  local t = {}
  for _, r in ipairs(ctx.evaluation.bundlerun.per_bundle) do
    for _, it in ipairs(r.items) do t[#t + 1] = ("%s %.1f/%.1f"):format(it, el(D, it), el(W, it)) end
  end
  print("ours' items, elasticity training/referee: " .. table.concat(t, ", "))
end
