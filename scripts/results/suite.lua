-- The "any shop" suite: the DEFAULT pipeline, with the same defaults for
-- every data set, on
--   * full UCI Online Retail, time split;
--   * the Instacart sample, split on each user's last order (no prices);
--   * a synthetic world with a planted demand model, whose profit-optimal
--     bundles are known;
-- and one table per data set: per method, observed attach and realised
-- margin at list price in the test baskets, incremental simulated profit
-- with every method priced by the same optimiser, and ratios to the best
-- baseline; then the demand model's calibration on the held-out window.
--
-- Protocol: nothing is tuned here. The defaults were fixed before any of
-- these runs. A validation round (cut `period_days` before the test cut,
-- on data truncated at the test cut) runs first and is printed as such;
-- the test window is then run once per seed (3 seeds: the simulated
-- customers, the MLP and the random baseline change with it).
--
--   build/bundlerun scripts/results/suite.lua [names...] [--seeds 3] [--sensitivity] [--world 2]
package.path = "scripts/results/?.lua;" .. package.path
local bundle = require "bundle"
local datasets = require "datasets"

-- The synthetic worlds are drawn afresh (world seed 3, orders seed 4): the
-- pipeline's design was settled while looking at world seed 1, and world
-- seed 2 (the suite's world until 2026-12-01) was looked at when the
-- anti-complement rule, the elasticity choice and the referee's
-- elasticity changed, so neither would be a fair test.
local world_seed, orders_seed = 3, 4
local want, seeds, sensitivity, quick, or_start = {}, 3, false, false, nil
local i = 1
while arg and arg[i] do
  local a = arg[i]
  if a == "--seeds" then seeds = tonumber(arg[i + 1]); i = i + 2
  elseif a == "--sensitivity" then sensitivity = true; i = i + 1
  elseif a == "--quick" then quick = true; i = i + 1
  elseif a == "--world" then world_seed, orders_seed = tonumber(arg[i + 1]), tonumber(arg[i + 1]) + 1; i = i + 2
  elseif a == "--or-start" then
    -- a fresh Online Retail split (test window of the same length from this day; data after it unused)
    or_start = arg[i + 1]
    if not (or_start and or_start:match("^%d%d%d%d%-%d%d%-%d%d$")) then error("suite.lua: --or-start needs YYYY-MM-DD", 0) end
    i = i + 2
  elseif a:sub(1, 2) == "--" then
    error("suite.lua: unknown flag " .. a .. " (--seeds N, --sensitivity, --world SEED, --or-start YYYY-MM-DD)", 0)
  else want[#want + 1] = a; i = i + 1 end
end

local METHODS = { "bundlerun", "popular_pairs", "top_lift", "top_confidence", "random_pairs", "one_bundle" }

local function spec_for(ds, seed, extra)
  local data = { orders = ds.orders }
  for k, v in pairs(ds.mapping) do data[k] = v end
  if ds.margin_rate then data.margin_rate = ds.margin_rate end
  local spec = { data = data, start = ds.start, period_days = ds.period_days, rounds = 1, seed = seed,
                 progress = false, warnings = false, config = {} }
  for k, v in pairs(extra or {}) do spec.config[k] = v end
  return spec
end

local function fmt(v, f)
  if type(v) ~= "number" or v ~= v then return "-" end
  if v == math.huge then return "inf" end
  return (f or "%.3g"):format(v)
end

local function mean_sd(xs)
  local n, s, ss = #xs, 0, 0
  for _, x in ipairs(xs) do s = s + x end
  local m = s / math.max(n, 1)
  for _, x in ipairs(xs) do ss = ss + (x - m) ^ 2 end
  return m, n > 1 and math.sqrt(ss / (n - 1)) or 0
end

local function print_table(ds, runs)
  print(("\n### %s: test %s + %d days, %d seeds"):format(ds.name, ds.start, ds.period_days, #runs))
  print("| method | attach (list price) | realised margin (list price) | incremental simulated profit | profit ratio | attach ratio |")
  print("|---|---|---|---|---|---|")
  for _, m in ipairs(METHODS) do
    local inc, att, mar = {}, {}, {}
    for _, ctx in ipairs(runs) do
      local e = ctx.evaluation[m]
      inc[#inc + 1], att[#att + 1], mar[#mar + 1] = e.simulated_incremental_profit, e.attach_rate, e.realised_margin
    end
    local mi, si = mean_sd(inc)
    local ma = mean_sd(att)
    local mm = mean_sd(mar)
    local pr, ar = "", ""
    if m == "bundlerun" then
      local r1, r2 = {}, {}
      for _, ctx in ipairs(runs) do r1[#r1 + 1] = ctx.ratios.incremental_profit.ratio; r2[#r2 + 1] = ctx.ratios.attach_rate.ratio end
      local a, sa = mean_sd(r1)
      local b, sb = mean_sd(r2)
      pr, ar = ("**%s ± %s** (vs %s)"):format(fmt(a, "%.2f"), fmt(sa, "%.2f"), runs[1].ratios.incremental_profit.best_baseline),
               ("**%s ± %s** (vs %s)"):format(fmt(b, "%.2f"), fmt(sb, "%.2f"), runs[1].ratios.attach_rate.best_baseline)
    end
    print(("| %s | %s | %s | %s ± %s | %s | %s |"):format(m, fmt(ma, "%.3f"), fmt(mm, "%.4g"), fmt(mi, "%.4g"),
                                                         fmt(si, "%.2g"), pr, ar))
  end
  local cal, pooled, seen = {}, {}, {}
  for _, ctx in ipairs(runs) do
    cal[#cal + 1] = ctx.calibration.median_ratio or 0 / 0
    pooled[#pooled + 1] = ctx.calibration.pooled_ratio or 0 / 0
    seen[#seen + 1] = ctx.calibration.median_seen or 0 / 0
  end
  local c = runs[1]
  print(("\ncalibration (predicted / observed joint-purchase share at list price, %d candidate bundles, %d never " ..
         "bought whole in the test window): median ratio %s (seeds: %s; Poisson-lognormal fit over every bundle, " ..
         "log-scale sd %s); share within [0.8, 1.25]: %s; the plain median over the bundles seen %s (share within %s); " ..
         "pooled ratio (sum predicted / sum observed, every bundle) %s"):format(
    c.calibration.bundles, c.calibration.unobserved, fmt(mean_sd(cal), "%.2f"),
    table.concat((function() local t = {} for k, v in ipairs(cal) do t[k] = fmt(v, "%.2f") end return t end)(), ", "),
    fmt(c.calibration.ratio_sd, "%.2f"), fmt(c.calibration.within, "%.2f"), fmt(mean_sd(seen), "%.2f"),
    fmt(c.calibration.within_seen, "%.2f"), fmt(mean_sd(pooled), "%.2f")))
  local cand = c.candidates
  print(("candidates: support floor %d baskets (%.4g, %s); %s"):format(cand.min_count, cand.min_support, cand.chosen or "-",
    (function()
      local t = {}
      for s = 2, 4 do if cand.counts[s] then t[#t + 1] = ("%d of size %d"):format(cand.counts[s], s) end end
      return table.concat(t, ", ")
    end)()))
  print(("elasticity: %s%s; attach floor %s"):format(c.elasticity.source,
    c.elasticity.pooled and (" (pooled %.2f over %d items)"):format(c.elasticity.pooled, c.elasticity.items or 0) or "",
    fmt(c.min_attach, "%.3f")))
  if c.elasticity.choice then print("elasticity choice: " .. c.elasticity.choice.source) end
  local sizes = {}
  for _, b in ipairs(c.bundles) do sizes[#b.items] = (sizes[#b.items] or 0) + 1 end
  local st = {}
  for s = 2, 8 do if sizes[s] then st[#st + 1] = ("%d of %d items"):format(sizes[s], s) end end
  print(("bundles (seed %d): %s"):format(c.seed, table.concat(st, ", ")))
  for r, b in ipairs(c.bundles) do
    print(("  %2d. %-40s %4.0f%% off, expected incremental %.4f per visitor, test attach %s"):format(r,
      table.concat(b.items, " + "), (b.discount or 0) * 100, b.incremental_profit or 0, fmt(b.test_attach_rate, "%.3f")))
  end
  for _, w in ipairs(c.warnings or {}) do print("  warning: " .. w) end
end

local total0 = bundle.clock()
-- the synthetic world twice: as planted (some list prices above the
-- item's own optimum, so a discount can pay without any bundling) and with
-- every list price at its single-item optimum (only bundling can pay)
local all = datasets.all{ quick = quick, optimal = true, world_seed = world_seed, orders_seed = orders_seed }
if or_start then all.online_retail.start = or_start end
for _, ds in ipairs(all) do
  local skip = #want > 0
  for _, w in ipairs(want) do if w == ds.name then skip = false end end
  if not skip then
    local t0 = bundle.clock()
    -- validation: the same defaults, one period earlier, on data that ends at the test cut
    local val
    if ds.period_days >= 7 then
      local vds = {}
      for k, v in pairs(ds) do vds[k] = v end
      vds.start = os.date("!%Y-%m-%d", bundle.pipeline.parse_day(ds.start) - ds.period_days * 86400)
      val = bundle.pipeline(spec_for(vds, 1))
    end
    if val then
      print(("\n## %s\nvalidation (cut %s, data truncated at %s): incremental profit x%s best baseline, attach x%s, calibration %s")
        :format(ds.name, val.history[1].cut, ds.start, fmt(val.ratios.incremental_profit.ratio, "%.2f"),
                fmt(val.ratios.attach_rate.ratio, "%.2f"), fmt(val.calibration.median_ratio, "%.2f")))
    end
    local runs = {}
    for s = 1, seeds do runs[s] = bundle.pipeline(spec_for(ds, s)) end
    print_table(ds, runs)
    if ds.world then
      -- the planted truth: the optimum (best set of k offers under the item
      -- cap, found by branch and bound on each offer's own profit) and every
      -- method's offers, all judged TOGETHER by the true demand (w:portfolio)
      local fr = {}
      local opt = ds.world:optimum{ k = runs[1].config.top, max_per_item = runs[1].config.max_per_item,
                                    sizes = { 2, math.min(3, runs[1].config.size[2]) },
                                    discount = runs[1].config.discount }
      local opt_joint = ds.world:portfolio(opt.offers).total
      for s, ctx in ipairs(runs) do
        local function truth_of(list)
          local offs = {}
          for k, b in ipairs(list or {}) do offs[k] = { items = b.items, discount = b.discount } end
          return #offs > 0 and ds.world:portfolio(offs).total or 0
        end
        local ours = truth_of(ctx.bundles)
        fr[s] = ours / opt_joint
        local base = {}
        for _, m in ipairs(METHODS) do
          if m ~= "bundlerun" then base[#base + 1] = ("%s %.3g"):format(m, truth_of(ctx.evaluation[m].per_bundle)) end
        end
        print(("truth (seed %d, per 1000 visitors, offers judged together): ours %.4g, the optimum's set %.4g " ..
               "(%.1f%%); %s"):format(s, ours, opt_joint, 100 * fr[s], table.concat(base, ", ")))
      end
      local m, sd = mean_sd(fr)
      print(("share of the optimum's profit: %.1f%% +- %.1f%% (the optimum judged alone, offer by offer: %.4g; " ..
             "upper bound ignoring the item cap: %.4g)"):format(100 * m, 100 * sd, opt.total, opt.upper_bound))
      -- The bar's ceiling: the optimum's own set (its items; priced by the
      -- same optimiser as every list, on the training model) judged by the
      -- same referee and counted in the same test baskets. If the optimum
      -- itself falls short of 1.2x the best baseline's profit or 0.8x its
      -- attach, no method can meet that part of the bar on this world, and
      -- the shortfall is the referee's or the bar's, not the method's.
      local items = {}
      for k, o in ipairs(opt.offers) do items[k] = o.items end
      local referee = require "bundle.referee"
      local pr, at, ptruth = {}, {}, {}
      for s, ctx in ipairs(runs) do
        local j = referee.judge({ { "optimum", items } }, { train = ctx.demand, test = ctx.world,
                                  test_baskets = ctx.test_baskets, discount = ctx.config.discount }).optimum
        local bp, ba, bt = -math.huge, 0, -math.huge
        for _, name in ipairs(METHODS) do
          if name ~= "bundlerun" and ctx.evaluation[name].bundles > 0 then
            local e = ctx.evaluation[name]
            bp, ba = math.max(bp, e.simulated_incremental_profit), math.max(ba, e.attach_rate)
            local offs = {}
            for k, b in ipairs(e.per_bundle) do offs[k] = { items = b.items, discount = b.discount } end
            bt = math.max(bt, ds.world:portfolio(offs).total)
          end
        end
        pr[s] = bp > 0 and j.incremental_profit / bp or 0 / 0
        at[s] = ba > 0 and j.attach_rate / ba or 0 / 0
        ptruth[s] = bt > 0 and opt_joint / bt or 0 / 0
      end
      local pm, psd = mean_sd(pr)
      local am = mean_sd(at)
      local tm = mean_sd(ptruth)
      print(("the bar's ceiling: the optimum's set, priced and judged like every list: incremental profit x%.2f +- %.2f " ..
             "the best baseline (the truth: x%.2f), attach x%.2f"):format(pm, psd, tm, am))
    end
    if sensitivity then
      local off = bundle.pipeline(spec_for(ds, 1, { min_attach = false }))
      print(("sensitivity: without the attach guard -> incremental profit x%s best baseline (%s), attach x%s")
        :format(fmt(off.ratios.incremental_profit.ratio, "%.2f"), off.ratios.incremental_profit.best_baseline,
                fmt(off.ratios.attach_rate.ratio, "%.2f")))
      if ds.world then
        local offs = {}
        for k, b in ipairs(off.bundles) do offs[k] = { items = b.items, discount = b.discount } end
        print(("  truth without the guard: %.4g per 1000 visitors"):format(ds.world:portfolio(offs).total))
      end
      for _, e in ipairs{ 1.5, 4 } do
        local ctx = bundle.pipeline(spec_for(ds, 1, { elasticity = e, referee_elasticity = e }))
        print(("sensitivity: elasticity %.1f for every item -> incremental profit x%s best baseline (%s), attach x%s")
          :format(e, fmt(ctx.ratios.incremental_profit.ratio, "%.2f"), ctx.ratios.incremental_profit.best_baseline,
                  fmt(ctx.ratios.attach_rate.ratio, "%.2f")))
      end
    end
    print(("(%s: %.0f s)"):format(ds.name, bundle.clock() - t0))
  end
end
print(("\nsuite: %.0f s"):format(bundle.clock() - total0))
