-- Figures for docs/RESULTS.md on the full UCI Online Retail data: train
-- before 2011-09-01, test from then on (to 2011-12-09).
--   build/bundlerun scripts/results/online_retail.lua [../shared/data/online_retail/online_retail.csv.gz]
local bundle = require "bundle"
local path = arg[1] or "../shared/data/online_retail/online_retail.csv.gz"
local t0 = bundle.clock()
local orders = bundle.read_csv(path)

local function run(start, days, cfg, max_e)
  return bundle.pipeline{ data = { orders = orders }, start = start, period_days = days, label_days = 30,
                          rounds = 1, seed = 1, progress = false,
                          config = { top = 20, reserve = 10, min_support = cfg.min_support, value = cfg.value,
                                     lift_weight = cfg.lift_weight, max_elasticity = max_e } }
end

-- The objective's lift weight and the support floor are chosen on a
-- validation window that ends where the test starts (train before
-- 2011-06-01, validate 2011-06-01 to 2011-09-01): the configuration whose
-- worst ratio to the stronger baseline, over attach rate and simulated
-- profit, is highest. The test window is used once per demand model.
local grid = {}
for _, ms in ipairs{ 0.01, 0.005 } do
  for _, lw in ipairs{ 0, 1, 2 } do grid[#grid + 1] = { min_support = ms, value = "margin", lift_weight = lw } end
  grid[#grid + 1] = { min_support = ms, value = "demand", lift_weight = 0 }
end
local function choose(max_e, quiet)
  local best, best_ratio, best_ctx
  for _, g in ipairs(grid) do
    local v = run("2011-06-01", 92, g, max_e)
    local e = v.evaluation
    local a = e.bundlerun.attach_rate / math.max(e.popular_pairs.attach_rate, e.top_lift.attach_rate)
    local p = e.bundlerun.simulated_profit / math.max(e.popular_pairs.simulated_profit, e.top_lift.simulated_profit)
    local ratio = math.min(a, p)
    if not quiet then
      print(("  min_support %.3f value %-6s lift_weight %d: attach %.4f (x%.2f of the best baseline), profit %.0f (x%.2f)")
        :format(g.min_support, g.value, g.lift_weight, e.bundlerun.attach_rate, a, e.bundlerun.simulated_profit, p))
    end
    if not best_ratio or ratio > best_ratio then best, best_ratio, best_ctx = g, ratio, v end
  end
  return best, best_ctx
end

-- The demand model's calibration on the validation window: each baseline
-- pair offered at list price, its simulated take rate against the share
-- of validation baskets that hold the whole pair. Judges the simulator
-- without looking at who wins.
local function calibration(ctx, max_e)
  local ratios = {}
  for _, key in ipairs{ "popular_pairs", "top_lift" } do
    local list = {}
    for i, b in ipairs(ctx.baselines[key]) do list[i] = { items = b.items } end
    local bt = bundle.eval.backtest(list, ctx.test_baskets)
    local sim = bundle.eval.simulate(list, ctx.test_baskets, { catalog = ctx.catalog, seed = ctx.seed,
      max_elasticity = max_e })
    for i, p in ipairs(sim.bundles) do
      local seen = bt.bundles[i].complete / ctx.test_baskets:size()
      if seen > 0 then ratios[#ratios + 1] = p.take_rate / seen end
    end
  end
  table.sort(ratios)
  return ratios[(#ratios + 1) // 2], ratios[#ratios], #ratios
end

local function show(ctx)
  print(("%-14s %8s %8s %9s %18s %18s"):format("method", "attach", "hit", "coverage", "simulated profit", "margin captured"))
  for _, name in ipairs{ "bundlerun", "popular_pairs", "top_lift", "one_bundle", "no_bundles" } do
    local e = ctx.evaluation[name]
    print(("%-14s %8.4f %8.4f %9.4f %18.0f %18.0f"):format(name, e.attach_rate, e.hit_rate, e.coverage,
                                                          e.simulated_profit, e.margin))
  end
end

print("validation (train before 2011-06-01, test 2011-06-01 to 2011-09-01), default demand model (max_elasticity 5):")
local best, vctx = choose(nil)
print(("chosen: min_support %.3f, value %s, lift_weight %d"):format(best.min_support, best.value, best.lift_weight))
local ctx = run("2011-09-01", 100, best, nil)
print(("validation and test pipelines: %.1f s"):format(bundle.clock() - t0))
show(ctx)
local m = ctx.model_report
print(("model %s: held-out RMSE %.4f, popularity-only %.4f, constant %.4f (%d candidates)"):format(m.kind, m.rmse,
  m.popularity_rmse, m.constant_rmse, m.candidates))
local b = ctx.bandit
print(("bandit %s: reward %.0f, static %.0f, best fixed %.0f"):format(b.policy, b.reward, b.static_reward,
  b.best_fixed_reward))

-- The demand model's elasticity bound: calibration on validation, and the
-- whole choose-then-test procedure again under other bounds (0: none, the
-- model before the bound existed).
print("demand model sensitivity (validation calibration: simulated take at list / observed share, over the baseline pairs):")
print(("%-15s %12s %12s | %-26s %8s %8s %8s | %10s %10s %10s"):format("max_elasticity", "median ratio", "max ratio",
  "chosen on validation", "attach", "popular", "top-lift", "profit", "popular", "top-lift"))
for _, max_e in ipairs{ 0, 3, 5, 8 } do
  local chosen, v = best, vctx
  if max_e ~= 5 then chosen, v = choose(max_e, true) end
  local med, worst = calibration(v, max_e)
  local c = max_e == 5 and ctx or run("2011-09-01", 100, chosen, max_e)
  local e = c.evaluation
  print(("%-15s %12.2f %12.1f | %-26s %8.4f %8.4f %8.4f | %10.0f %10.0f %10.0f"):format(
    max_e == 0 and "0 (no bound)" or tostring(max_e), med, worst,
    ("%.3f %s lw %d"):format(chosen.min_support, chosen.value, chosen.lift_weight),
    e.bundlerun.attach_rate, e.popular_pairs.attach_rate, e.top_lift.attach_rate,
    e.bundlerun.simulated_profit, e.popular_pairs.simulated_profit, e.top_lift.simulated_profit))
end
print(("with the sensitivity runs: %.1f s"):format(bundle.clock() - t0))

-- personalised bundles: per-customer time split over 200 candidate bundles
local cand = {}
local sets = ctx.train_baskets:frequent{ min_support = 0.005, min_size = 2, max_size = 3 }
sets:sort()
for _, s in sets:iter() do
  cand[#cand + 1] = { items = s.items }
  if #cand == 200 then break end
end
local t1 = bundle.clock()
local rec = bundle.recommend.fit(ctx.train_baskets, { bundles = cand, factors = 32, seed = 1 })
-- each test customer's items, then the candidates they bought whole
local bought = {}
for k = 1, ctx.test_baskets:size() do
  local u = ctx.test_baskets:user(k)
  if u and rec.user_id[u] then
    local s = bought[u] or {}
    for _, it in ipairs(ctx.test_baskets:items(k)) do s[it] = true end
    bought[u] = s
  end
end
local uids, relevant = {}, {}
for u, s in pairs(bought) do
  local rel = {}
  for j, c in ipairs(cand) do
    local all = true
    for _, it in ipairs(c.items) do all = all and s[it] end
    if all then rel[#rel + 1] = j end
  end
  if #rel > 0 then uids[#uids + 1] = rec.user_id[u]; relevant[#relevant + 1] = rel end
end
local S = rec:scores(uids)
local top = bundle.eval.topk(S, 20)
local ours = bundle.eval.rank(top, relevant, 20)
local pop = {}
for r = 1, #uids do pop[r] = {} for j = 1, 20 do pop[r][j] = j end end -- candidates are in count order
local base = bundle.eval.rank(pop, relevant, 20)
print(("personalised (%d customers, 200 candidates, %.1f s): Recall@20 %.4f NDCG@20 %.4f; popularity Recall@20 %.4f NDCG@20 %.4f")
  :format(#uids, bundle.clock() - t1, ours.recall, ours.ndcg, base.recall, base.ndcg))
