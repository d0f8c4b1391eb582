-- The referee against the planted truth, on a development synthetic world.
--
--   build/bundlerun scripts/results/referee_vs_truth.lua [world_seed=2] [planted|optimal]
--
-- Runs the default pipeline on world `world_seed` (orders seed + 1, as
-- scripts/results/probe_opt_attach.lua does), then for every method's list
-- (and the truth's own optimum, priced by the same optimiser) prints the
-- referee's incremental profit (the whole list offered together, per test
-- window, as ctx.evaluation reports it) beside the planted truth's
-- (w:portfolio, per 1000 visitors, the same offers at the same discounts).
-- The units differ, so what matters is the RATIO referee / truth, which an
-- unbiased referee keeps the same for every method; the Spearman rank
-- correlation of the two over the methods and the optimum says whether the
-- referee orders them as the truth does. Also: the training model's
-- calibration median and the referee's pooled elasticity against the
-- planted mean. Use development worlds only (1 and 2).
package.path = "scripts/results/?.lua;" .. package.path
local bundle = require "bundle"
local datasets = require "datasets"
local referee = require "bundle.referee"

local ws = tonumber(arg[1]) or 2
local pricing = arg[2] == "optimal" and "optimal" or nil
if ws ~= 1 and ws ~= 2 then error("referee_vs_truth: development worlds are 1 and 2", 0) end
local ds = datasets.synthetic{ world_seed = ws, orders_seed = ws + 1, pricing = pricing, dir = "build/results/probe" }
local w = ds.world
local ctx = bundle.pipeline{ data = datasets.pipeline_data(ds, { margin_rate = ds.margin_rate }), start = ds.start,
  period_days = ds.period_days, rounds = 1, seed = 1, progress = false, warnings = false }
local opt = w:optimum{ k = ctx.config.top, max_per_item = ctx.config.max_per_item, sizes = { 2, 3 },
                       discount = ctx.config.discount }
local oitems = {}
for k, o in ipairs(opt.offers) do oitems[k] = o.items end

-- the referee's elasticities: as the pipeline fits them ("model"), each
-- item's own unshrunk slope in the test window ("own"), or the planted ones
-- ("truth", an oracle)
local variant = arg[3] or "model"
local world = ctx.world
if variant ~= "model" then
  local cfg = ctx.config
  local e = {}
  if variant == "own" then
    local est = bundle.price.elasticity(ctx.test, { item = "item", price = "price", quantity = "quantity", time = "time",
                                                    prior = cfg.elasticity_prior, min_elasticity = cfg.min_elasticity,
                                                    max_elasticity = cfg.max_elasticity })
    for it in pairs(world.prices) do
      local o = est.own[it] or est.pooled or cfg.elasticity_prior
      e[it] = math.min(cfg.max_elasticity, math.max(cfg.min_elasticity, o))
    end
  elseif variant == "truth" then
    for it in pairs(world.prices) do e[it] = w.items[w.index[it]] and w.items[w.index[it]].elasticity or 2.5 end
  else
    error("referee_vs_truth: the variant is model, own or truth", 0)
  end
  local m = {}
  for k, v in pairs(world) do m[k] = v end
  m.elasticity = e
  world = referee.model(m)
end
local lists = {}
for _, name in ipairs{ "bundlerun", "popular_pairs", "top_lift", "top_confidence", "random_pairs", "one_bundle" } do
  local l = {}
  for k, b in ipairs(ctx.evaluation[name].per_bundle) do l[k] = b.items end
  lists[#lists + 1] = { name, l }
end
lists[#lists + 1] = { "optimum", oitems }
local judged = referee.judge(lists, { train = ctx.demand, test = world, test_baskets = ctx.test_baskets,
                                      discount = ctx.config.discount })

local rows = {}
local function add(name, j)
  local offers = {}
  for k, b in ipairs(j.per_bundle) do offers[k] = { items = b.items, discount = b.discount } end
  local truth = #offers > 0 and w:portfolio(offers).total or 0
  rows[#rows + 1] = { name = name, referee = j.incremental_profit, truth = truth }
end
for _, l in ipairs(lists) do add(l[1], judged[l[1]]) end

-- average ranks (ties share their mean rank), then Pearson on the ranks
local function ranks(v)
  local idx = {}
  for i = 1, #v do idx[i] = i end
  table.sort(idx, function(a, b) return v[a] < v[b] end)
  local r, i = {}, 1
  while i <= #idx do
    local j = i
    while j < #idx and v[idx[j + 1]] == v[idx[i]] do j = j + 1 end
    for k = i, j do r[idx[k]] = (i + j) / 2 end
    i = j + 1
  end
  return r
end
local function spearman(a, b)
  local ra, rb = ranks(a), ranks(b)
  local n, ma, mb = #a, 0, 0
  for i = 1, n do ma, mb = ma + ra[i] / n, mb + rb[i] / n end
  local sab, saa, sbb = 0, 0, 0
  for i = 1, n do
    sab = sab + (ra[i] - ma) * (rb[i] - mb)
    saa, sbb = saa + (ra[i] - ma) ^ 2, sbb + (rb[i] - mb) ^ 2
  end
  return sab / math.sqrt(saa * sbb)
end

local el = ctx.elasticity or {}
local mean_e = 0
for _, it in ipairs(w.items) do mean_e = mean_e + it.elasticity / w.n end
print(("world %d (%s), referee elasticities: %s"):format(ws, w.pricing, variant))
print(("world %d (%s): the referee's incremental profit against the planted truth's (w:portfolio, per 1000 visitors)")
  :format(ws, w.pricing))
print(("%-15s %10s %10s %8s %10s"):format("method", "referee", "truth", "ratio", "ratio/opt"))
local ref, tru = {}, {}
local opt_ratio = rows[#rows].truth ~= 0 and rows[#rows].referee / rows[#rows].truth or 0 / 0
for k, r in ipairs(rows) do
  ref[k], tru[k] = r.referee, r.truth
  local ratio = r.truth ~= 0 and r.referee / r.truth or 0 / 0
  print(("%-15s %10.1f %10.1f %8.2f %10.2f"):format(r.name, r.referee, r.truth, ratio, ratio / opt_ratio))
end
-- joint share at list price, predicted against observed in the test
-- baskets, per list: the training model (held out) and the referee (its own
-- window, calibrated on it by construction)
print("joint share at list price / observed in the test baskets (median over each list's bundles seen whole; pooled):")
for _, l in ipairs(lists) do
  if #l[2] > 0 then
    local tr = referee.calibration(l[2], ctx.demand, ctx.test_baskets)
    local te = referee.calibration(l[2], world, ctx.test_baskets)
    local function f(x) return x and ("%.2f"):format(x) or "-" end
    print(("  %-15s training model %s (pooled %s), referee %s (pooled %s), %d of %d unseen"):format(l[1],
      f(tr.median_ratio), f(tr.pooled_ratio), f(te.median_ratio), f(te.pooled_ratio), tr.unobserved, tr.bundles))
  end
end
local pp
for _, r in ipairs(rows) do if r.name == "popular_pairs" then pp = r end end
print(("spearman(referee, truth) over %d lists: %.3f"):format(#rows, spearman(ref, tru)))
print(("referee: popular_pairs / optimum %.2f; truth: %.2f"):format(pp.referee / rows[#rows].referee,
                                                                   pp.truth / rows[#rows].truth))
print(("training model's calibration: median ratio %s, pooled %s (%d bundles)"):format(
  ctx.calibration.median_ratio and ("%.3f"):format(ctx.calibration.median_ratio) or "-",
  ctx.calibration.pooled_ratio and ("%.3f"):format(ctx.calibration.pooled_ratio) or "-", ctx.calibration.bundles or 0))
print(("training elasticity: %s, pooled %s; planted mean %.2f"):format(tostring(el.source),
  el.pooled and ("%.2f"):format(el.pooled) or "-", mean_e))
