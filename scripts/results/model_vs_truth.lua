-- How well the training window's demand model ranks candidate bundles, judged
-- by the planted truth of the synthetic world, and which part of the model
-- closes the gap. The default pipeline runs once (no attach guard, lift not
-- filtered, so the pool is scored as is); every candidate is then priced by
-- each variant of the training model, and for each variant we print the
-- Spearman correlation of its values with the truth's (at the variant's own
-- discounts) and the truth of its greedy top 10 (item cap 2), the offers
-- judged together.
--
--   build/bundlerun scripts/results/model_vs_truth.lua [world_seed] [planted|optimal]
--
-- The development world is seed 1; the suite's fresh world is seed 2.
package.path = "scripts/results/?.lua;" .. package.path
local bundle = require "bundle"
local referee = require "bundle.referee"
local datasets = require "datasets"

local world_seed = tonumber(arg and arg[1]) or 1
local pricing = arg and arg[2] == "optimal" and "optimal" or nil
local ds = datasets.synthetic{ world_seed = world_seed, orders_seed = world_seed + 1, pricing = pricing,
                               dir = "build/results/model_vs_truth" }
local w = ds.world
local ctx = bundle.pipeline{ data = datasets.pipeline_data(ds, { margin_rate = ds.margin_rate }), start = ds.start,
                             period_days = ds.period_days, rounds = 1, seed = 1, progress = false, warnings = false,
                             config = { min_attach = false, allow_anticomplements = true, model = false } }
local pool = {}
for _, b in ipairs(ctx.scored_pool) do pool[#pool + 1] = b.items end
local truth_e = {}
for _, it in ipairs(w.items) do truth_e[it.name] = it.elasticity end

local function ranks(v)
  local idx = {}
  for i = 1, #v do idx[i] = i end
  table.sort(idx, function(a, b) return v[a] < v[b] end)
  local r = {}
  for k, i in ipairs(idx) do r[i] = k end
  return r
end
local function spearman(x, y)
  local rx, ry, n, s = ranks(x), ranks(y), #x, 0
  for i = 1, n do s = s + (rx[i] - ry[i]) ^ 2 end
  return 1 - 6 * s / (n * (n * n - 1))
end

local variants = {
  { "baskets as visitors, raw pair counts (the old model)", { visit_share = 1, pair_prior = 0 } },
  { "visit share", { pair_prior = 0 } },
  { ("visit share + pair prior %g (the default)"):format(ctx.pair_prior or 0), {} },
  { "... + per-item elasticity estimates", { elasticity = "per_item" } },
  { "... + the true elasticities (oracle)", { elasticity = truth_e } },
  { "the true visit share (oracle)", { visit_share = w:basket_share{} } },
  { "the true visit share and elasticities (oracle)", { visit_share = w:basket_share{}, elasticity = truth_e } },
}
local only = arg and arg[3] and tonumber(arg[3])
if only then variants = { table.unpack(variants, only) } end
print(("world %d (%s prices), %d candidates, pooled elasticity %.2f, visit share %.3f (true %.3f)"):format(
  world_seed, pricing or "planted", #pool, ctx.elasticity.pooled or 0 / 0, ctx.demand.visit_share,
  w:basket_share{}))
for _, v in ipairs(variants) do
  local m = {}
  for k, x in pairs(ctx.demand) do m[k] = x end
  for k, x in pairs(v[2]) do m[k] = x end
  if m.elasticity == "per_item" then
    local est = bundle.price.elasticity(ctx.train, { item = "item", price = "price", quantity = "quantity",
                                                     time = "time" })
    local by = {}
    for it in pairs(ctx.item_price) do by[it] = est.by_item[it] or est.pooled end
    m.elasticity = by
  end
  local priced = referee.price(pool, m, ctx.config.discount)
  local offers = {}
  for i, p in ipairs(priced) do offers[i] = { items = p.items, discount = p.discount } end
  local tr = w:truth(offers, { visitors = 60000 })
  local xs, ys = {}, {}
  for i = 1, #priced do xs[i], ys[i] = priced[i].incremental_profit, tr.bundles[i].incremental_profit end
  local order = {}
  for i = 1, #priced do order[i] = i end
  table.sort(order, function(a, b) return xs[a] > xs[b] end)
  local uses, chosen = {}, {}
  for _, i in ipairs(order) do
    if #chosen >= 10 or xs[i] <= 0 then break end
    local ok = true
    for _, it in ipairs(priced[i].items) do if (uses[it] or 0) >= 2 then ok = false end end
    if ok then
      chosen[#chosen + 1] = offers[i]
      for _, it in ipairs(priced[i].items) do uses[it] = (uses[it] or 0) + 1 end
    end
  end
  print(("%-55s Spearman %.3f   greedy top 10 in truth %.1f per 1000 visitors"):format(v[1], spearman(xs, ys),
    #chosen > 0 and w:portfolio(chosen, { visitors = 100000 }).total or 0))
end
local pp = {}
for k, b in ipairs(ctx.evaluation.popular_pairs.per_bundle) do pp[k] = { items = b.items, discount = b.discount } end
print(("popular pairs in truth %.1f; the optimum %.1f"):format(w:portfolio(pp, { visitors = 100000 }).total,
  w:portfolio(w:optimum{ k = 10, max_per_item = 2, sizes = { 2, 3 }, discount = ctx.config.discount }.offers,
              { visitors = 100000 }).total))
