-- Per bundle, the referee's figures against the planted truth's, each offer
-- judged alone at the same discount, both per 1000 visitors: take rate,
-- profit, displaced (replaced) margin, incremental profit; then the same
-- offer in core.price.simulate with the referee's parameters and one at a
-- time swapped for the planted ones (q: shares, e: elasticities, rho: the
-- pair's latent correlation; "all": every one, with the true list price;
-- "nocap": and no market cap), and the parameters side by side
-- (model / truth). The swap that closes the gap names the quantity that
-- carries the referee's error.
--
--   build/bundlerun scripts/results/referee_diag.lua [world_seed=2] [planted|optimal]
--
-- Development worlds only (1 and 2).
package.path = "scripts/results/?.lua;" .. package.path
local bundle = require "bundle"
local core = require "bundle.core"
local datasets = require "datasets"
local referee = require "bundle.referee"
local ws = tonumber(arg[1]) or 2
if ws ~= 1 and ws ~= 2 then error("referee_diag: development worlds are 1 and 2", 0) end
local pricing = arg[2] == "optimal" and "optimal" or nil
local ds = datasets.synthetic{ world_seed = ws, orders_seed = ws + 1, pricing = pricing, dir = "build/results/probe" }
local w = ds.world
local ctx = bundle.pipeline{ data = datasets.pipeline_data(ds, { margin_rate = ds.margin_rate }), start = ds.start,
  period_days = ds.period_days, rounds = 1, seed = 1, progress = false, warnings = false }
local world = ctx.world
local opt = w:optimum{ k = ctx.config.top, max_per_item = ctx.config.max_per_item, sizes = { 2, 3 }, discount = ctx.config.discount }
local oitems = {}
for k, o in ipairs(opt.offers) do oitems[k] = o.items end
local judged = referee.judge({ { "optimum", oitems } }, { train = ctx.demand, test = world, test_baskets = ctx.test_baskets, discount = ctx.config.discount })
local sets = { { "optimum", judged.optimum.per_bundle } }
for _, m in ipairs{ "bundlerun", "popular_pairs", "top_lift", "top_confidence", "random_pairs", "one_bundle" } do
  sets[#sets + 1] = { m, ctx.evaluation[m].per_bundle }
end
local vs = world.visit_share
local sup = {}
do
  local s = ctx.test_baskets:item_support()
  local it, f = s:col("item"):totable(), s:col("support"):totable()
  for i = 1, #it do sup[it[i]] = f[i] end
end
local function el(it)
  local e = world.elasticity
  e = type(e) == "table" and e[it] or e
  return math.min(ctx.config.max_elasticity, math.max(ctx.config.min_elasticity, e))
end
print(("world %d %s: model visit_share %.4f, truth basket share %.4f; elasticity %s"):format(ws, w.pricing, vs,
  w:basket_share{}, type(world.elasticity) == "table" and "per item" or ("%.3f"):format(world.elasticity)))
local function jopts()
  local o = referee.price_opts(world)
  o.market = nil
  return o
end
local function sim(items, d, src)
  local price, cost, share, e = {}, {}, {}, {}
  local n = #items
  for k, it in ipairs(items) do
    local ti = w.items[w.index[it]]
    price[k] = src.price and ti.price or world.prices[it]
    cost[k] = ti.cost
    share[k] = src.q and ti.q or math.max(vs * (sup[it] or 0), 1e-6)
    e[k] = src.e and ti.elasticity or el(it)
  end
  local corr = {}
  local js = (not src.rho) and core.price.joint_share({ items }, jopts()) or nil
  for a = 1, n do
    corr[a] = {}
    for b = 1, n do
      if a == b then corr[a][b] = 1
      elseif src.rho or n > 2 then corr[a][b] = w:rho(items[a], items[b])
      else corr[a][b] = js[1].rho end
    end
  end
  return core.price.simulate{ price = price, cost = cost, share = share, elasticity = e, corr = corr, discount = d,
                              market = src.market == false and 0 or ctx.config.market, customers = 50000, seed = 7 }
end
local rows = {}
local tot = {}
for _, s in ipairs(sets) do
  local name, per = s[1], s[2]
  local offers = {}
  for k, b in ipairs(per) do offers[k] = { items = b.items, discount = b.discount } end
  if #offers > 0 then
    local tr = w:truth(offers)
    local sc = referee.score(offers, world)
    local T = { ref = 0, tru = 0, mq = 0, me = 0, mr = 0, mall = 0, mnocap = 0, mbase = 0 }
    print(("\n== %s"):format(name))
    print(("%-16s %5s | %7s %7s | %6s %6s | %6s %6s | %7s %7s | %s"):format("items", "disc", "take_m", "take_t", "prof_m",
      "prof_t", "repl_m", "repl_t", "inc_m", "inc_t", "swap: base q e rho all nocap  | q_m/q_t e_m/e_t rho_m/rho_t"))
    for k, o in ipairs(offers) do
      local m, t = sc[k], tr.bundles[k]
      local base = sim(o.items, o.discount, {})
      local sq = sim(o.items, o.discount, { q = true })
      local se = sim(o.items, o.discount, { e = true })
      local sr = sim(o.items, o.discount, { rho = true })
      local sa = sim(o.items, o.discount, { q = true, e = true, rho = true, price = true })
      local sn = sim(o.items, o.discount, { q = true, e = true, rho = true, price = true, market = false })
      local par = {}
      for _, it in ipairs(o.items) do
        local ti = w.items[w.index[it]]
        par[#par + 1] = ("%.3f/%.3f %.2f/%.2f"):format(vs * (sup[it] or 0), ti.q, el(it), ti.elasticity)
      end
      local rr = ""
      if #o.items == 2 then
        local js = core.price.joint_share({ o.items }, jopts())
        rr = ("rho %.2f/%.2f"):format(js[1].rho, w:rho(o.items[1], o.items[2]))
      end
      print(("%-16s %5.2f | %7.4f %7.4f | %6.1f %6.1f | %6.1f %6.1f | %7.2f %7.2f | %6.2f %6.2f %6.2f %6.2f %6.2f %6.2f | %s %s"):format(
        table.concat(o.items, "+"), o.discount, m.take_rate, t.take_rate, 1000 * m.profit, t.profit,
        1000 * m.cannibalised_profit, t.replaced, 1000 * m.incremental_profit, t.incremental_profit,
        1000 * base.incremental_profit, 1000 * sq.incremental_profit, 1000 * se.incremental_profit,
        1000 * sr.incremental_profit, 1000 * sa.incremental_profit, 1000 * sn.incremental_profit,
        table.concat(par, " "), rr))
      T.ref, T.tru = T.ref + 1000 * m.incremental_profit, T.tru + t.incremental_profit
      T.mbase, T.mq, T.me = T.mbase + 1000 * base.incremental_profit, T.mq + 1000 * sq.incremental_profit, T.me + 1000 * se.incremental_profit
      T.mr, T.mall, T.mnocap = T.mr + 1000 * sr.incremental_profit, T.mall + 1000 * sa.incremental_profit, T.mnocap + 1000 * sn.incremental_profit
    end
    print(("sum: referee %.1f truth %.1f ratio %.2f | sim base %.1f, truth q %.1f, truth e %.1f, truth rho %.1f, all truth %.1f, all truth no cap %.1f"):format(
      T.ref, T.tru, T.ref / T.tru, T.mbase, T.mq, T.me, T.mr, T.mall, T.mnocap))
    tot[name] = T
  end
end
