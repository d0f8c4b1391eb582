-- bundle.referee: one judge for every method.
--
-- A decision may see only the training window; the referee is the world of
-- the test window. Each method's bundles (ours and every baseline) are
-- priced by the same optimiser on the training window's demand model, then
-- scored by a demand model fitted on the test window (its own catalogue,
-- supports, joint supports and elasticities), so no method wins through
-- how it was priced. The same bundles are also judged at list price, and
-- in the test baskets themselves (observed attach, realised margin).
--
--   local model = referee.model{ catalog =, baskets =, elasticity =, market =, customers =, seed = }
--   local judged = referee.judge({ { "ours", list }, { "popular_pairs", list2 } },
--                                { train = model, test = world, test_baskets =, discount = { 0, 0.3 } })
local core = require "bundle.core"
local eval = require "bundle.eval"
local optim = require "bundle.optim"

local M = {}

local model_keys = { catalog = 1, baskets = 1, elasticity = 1, market = 1, customers = 1, seed = 1, visit_share = 1, pair_prior = 1,
                     max_elasticity = 1, min_elasticity = 1, prices = 1, costs = 1 }

-- A demand model: what bundle.price needs to price or score an offer, plus
-- the item -> list price and cost maps of its catalogue.
function M.model(m)
  if type(m) ~= "table" then error(("referee.model: expects a table of fields, got a %s"):format(type(m)), 2) end
  for k in pairs(m) do
    if not model_keys[k] then error(("referee.model: unknown field '%s'"):format(tostring(k)), 2) end
  end
  if not m.catalog or not core.is_baskets(m.baskets) then
    error("referee.model: needs catalog = bundle.catalog(...) and baskets = bundle.baskets(...)", 2)
  end
  return m
end

-- the options of bundle.price.* for a model, plus extra fields
local function price_opts(m, extra)
  local o = { catalog = m.catalog, baskets = m.baskets, elasticity = m.elasticity, market = m.market,
              customers = m.customers, seed = m.seed, max_elasticity = m.max_elasticity,
              min_elasticity = m.min_elasticity, visit_share = m.visit_share,
              pair_prior = m.pair_prior }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end
M.price_opts = price_opts

local function items_of(list)
  local out = {}
  for i, b in ipairs(list) do out[i] = b.items or b end
  return out
end

-- Prices a list by the training model's optimiser (expected incremental
-- profit per visitor over the discount range). Returns the priced records.
function M.price(list, train, discount)
  if #list == 0 then return {} end
  return core.price.optimize(items_of(list), price_opts(train, { discount = discount, goal = "incremental" }))
end

-- Scores offers (items + discount) in a world: per-visitor figures, each
-- offer judged on its own, as the bundles are separate offers.
function M.score(offers, world, discount_of)
  local out = {}
  for i, b in ipairs(offers) do
    local d = discount_of and discount_of(b) or b.discount or 0
    out[i] = core.price.baseline({ b.items }, price_opts(world, { discount = d }))[1]
  end
  return out
end

local function sum(list, field)
  local s = 0
  for _, r in ipairs(list) do
    local v = r[field]
    if type(v) == "number" and v == v then s = s + v end
  end
  return s
end

-- judge(methods, { train =, test =, test_baskets =, discount = }) ->
-- { [name] = { ... }, order = { names } }. methods: a list of { name, list }.
-- Every list is priced by M.price on `train`, then scored on `test` at
-- that price and at list price, the whole list offered together
-- (bundle.price.portfolio; each offer alone is kept beside it as
-- separate_incremental_profit); observed attach and realised margin (at
-- the test window's list prices) come from the test baskets.
function M.judge(methods, opts)
  local train, world, tb = opts.train, opts.test, opts.test_baskets
  local visits = tb:size()
  local out = { order = {}, visits = visits }
  for _, m in ipairs(methods) do
    local name, list = m[1], m[2]
    out.order[#out.order + 1] = name
    local priced = M.price(list, train, opts.discount)
    local at_price = M.score(priced, world)
    local at_list = M.score(priced, world, function() return 0 end)
    local prices, costs = {}, {}
    for i, b in ipairs(priced) do
      local p, c = 0, 0
      for _, it in ipairs(b.items) do
        p = p + (world.prices[it] or 0)
        c = c + (world.costs[it] or 0)
      end
      prices[i], costs[i] = p, c
    end
    local bt = #priced > 0 and eval.backtest(items_of(priced), tb, { price = prices, cost = costs })
      or { attach_rate = 0, hit_rate = 0, margin = 0, coverage = 0, bundles = {} }
    -- the headline: the whole list offered together (offers that share an
    -- item compete for its customers), at its prices and at list price
    local joint, joint_list = { incremental_profit = 0, profit = 0, bundles = {} }, { incremental_profit = 0 }
    if #priced > 0 then
      local offers, at_list = {}, {}
      for i, b in ipairs(priced) do
        offers[i] = { items = b.items, discount = b.discount }
        at_list[i] = { items = b.items, discount = 0 }
      end
      joint = core.price.portfolio(offers, price_opts(world))
      joint_list = core.price.portfolio(at_list, price_opts(world))
    end
    local per = {}
    for i, b in ipairs(priced) do
      per[i] = { items = b.items, discount = b.discount, price = b.price, list_price = b.list_price,
                 train_incremental = b.incremental_profit,
                 incremental_profit = at_price[i].incremental_profit * visits,
                 profit = at_price[i].profit * visits, take_rate = at_price[i].take_rate,
                 list_incremental_profit = at_list[i].incremental_profit * visits,
                 joint_incremental_profit = joint.bundles[i] and joint.bundles[i].incremental_profit * visits,
                 attach_rate = bt.bundles[i] and bt.bundles[i].attach_rate, complete = bt.bundles[i] and bt.bundles[i].complete }
    end
    out[name] = {
      bundles = #priced, priced = priced, per_bundle = per,
      incremental_profit = joint.incremental_profit * visits, profit = joint.profit * visits,
      list_incremental_profit = joint_list.incremental_profit * visits,
      separate_incremental_profit = sum(per, "incremental_profit"),
      attach_rate = bt.attach_rate, hit_rate = bt.hit_rate, coverage = bt.coverage,
      realised_margin = bt.margin, mean_discount = #priced > 0 and sum(priced, "discount") / #priced or 0,
    }
  end
  return out
end

-- ratios of `name`'s figures to the best of the others on each measure
function M.ratios(judged, name, measures)
  local out = {}
  for _, f in ipairs(measures) do
    local best, best_name = -math.huge, nil
    for _, other in ipairs(judged.order) do
      if other ~= name and judged[other].bundles > 0 and judged[other][f] > best then
        best, best_name = judged[other][f], other
      end
    end
    local mine = judged[name][f]
    out[f] = { best_baseline = best_name, baseline = best,
               ratio = best_name and (best > 0 and mine / best or (mine >= best and math.huge or 0)) or nil }
  end
  return out
end

-- ratio_fit(points, n) -> { median, sd, within, bundles, loglik } or nil:
-- the distribution of predicted / observed joint-purchase share across
-- bundles, fitted with each bundle's sampling noise accounted for. Why:
-- in a small held-out window most bundles are bought whole 0, 1 or 2
-- times, so the ratio of a bundle seen once is mostly noise, a bundle
-- never seen has no ratio at all, and the median over the bundles seen is
-- biased low (being seen at all selects the lucky ones). Model: bundle i's
-- count c_i is Poisson with mean n * predicted_i / r_i, and log r_i is
-- Normal(m, s^2) across bundles (a Poisson-lognormal mixture); m and s
-- are fitted by maximum likelihood over every bundle, zeros included
-- (the normal integrated on a fixed grid; bundle.optim's L-BFGS on
-- (m, log s) with the exact gradient).
-- median = exp(m); within = the fitted share with r in [0.8, 1.25].
-- points: { predicted = share, observed = share }; n: the window's baskets.
local LOG_FACT = setmetatable({}, { __index = function(t, c)
  local v = 0
  for k = 2, c do v = v + math.log(k) end
  t[c] = v
  return v
end })
local GRID = {}
do
  local tot = 0
  for k = -60, 60 do
    local z = k / 10
    local w = math.exp(-0.5 * z * z)
    GRID[#GRID + 1] = { z = z, w = w }
    tot = tot + w
  end
  for _, g in ipairs(GRID) do g.lw = math.log(g.w / tot) end
end

local function normal_cdf(x)
  -- Abramowitz-Stegun 7.1.26 on erf, absolute error under 1.5e-7
  local t = 1 / (1 + 0.3275911 * math.abs(x) / math.sqrt(2))
  local y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
    * math.exp(-x * x / 2)
  return x >= 0 and 0.5 * (1 + y) or 0.5 * (1 - y)
end

function M.ratio_fit(points, n)
  local mu, cnt = {}, {}
  local sum_mu, sum_c = 0, 0
  for _, p in ipairs(points) do
    if p.predicted and p.predicted > 0 then
      local c = math.floor((p.observed or 0) * n + 0.5)
      mu[#mu + 1], cnt[#cnt + 1] = p.predicted * n, c
      sum_mu, sum_c = sum_mu + p.predicted * n, sum_c + c
    end
  end
  -- no bundle seen: the data cannot place the ratio
  if #mu < 2 or sum_c == 0 then return nil end
  -- the negative log-likelihood of (m, log s) and its gradient: with
  -- lambda = mu e^-(m + s z), d/dm of a grid point's log term is
  -- lambda - c, and d/d(log s) is s z (lambda - c); each bundle's share of
  -- them is its posterior weight over the grid
  local function negll(x)
    local m, ls = x:get(1), x:get(2)
    local s = math.exp(ls)
    local ll, gm, gls = 0, 0, 0
    local terms, lams = {}, {}
    for i = 1, #mu do
      local c, best = cnt[i], -math.huge
      for k, g in ipairs(GRID) do
        local lam = mu[i] * math.exp(-(m + s * g.z))
        local t = g.lw + c * math.log(lam) - lam - LOG_FACT[c]
        terms[k], lams[k] = t, lam
        if t > best then best = t end
      end
      local acc, dm, dls = 0, 0, 0
      for k, t in ipairs(terms) do
        local w = math.exp(t - best)
        acc = acc + w
        dm = dm + w * (lams[k] - c)
        dls = dls + w * s * GRID[k].z * (lams[k] - c)
      end
      ll = ll + best + math.log(acc)
      gm, gls = gm + dm / acc, gls + dls / acc
    end
    -- far from the data (a huge m or s) the terms overflow: a large value
    -- sends the line search back
    if ll ~= ll or ll == -math.huge or gm ~= gm or gls ~= gls then return 1e300, core.tensor.from{ 0, 0 } end
    return -ll, core.tensor.from{ -gm, -gls }
  end
  -- bundle.optim.minimize's L-BFGS, from the pooled ratio and a moderate spread
  local ok, sol = pcall(optim.minimize, negll, core.tensor.from{ math.log(sum_mu / sum_c), math.log(0.5) },
                        { method = "lbfgs", max_iter = 200 })
  if not ok then return nil end
  local x = { sol:get(1), math.max(math.log(0.01), math.min(math.log(5), sol:get(2))) }
  local f = negll(core.tensor.from(x))
  if f >= 1e300 then return nil end
  local m, s = x[1], math.exp(x[2])
  return { median = math.exp(m), sd = s, bundles = #mu, loglik = -f,
           within = normal_cdf((math.log(1.25) - m) / s) - normal_cdf((math.log(0.8) - m) / s) }
end

-- Calibration on a held-out window: for each bundle, the share of visitors
-- the training model predicts buy all its items at list price, against
-- the share of held-out baskets that hold them all. median_ratio and
-- within come from M.ratio_fit over every bundle (sampling noise
-- accounted for); median_seen and within_seen are the plain median and
-- share over the bundles bought whole at least once (the rest counted in
-- `unobserved`); pooled_ratio is the sum of predictions over the sum of
-- observations.
function M.calibration(list, train, held_out)
  local items = items_of(list)
  if #items == 0 then return { points = {}, median_ratio = nil, unobserved = 0 } end
  local o = price_opts(train)
  o.market = nil -- the market caps takers of an offer; a joint share at list price has none
  local pred = core.price.joint_share(items, o)
  local bt = eval.backtest(items, held_out, { metrics = { "attach_rate" } })
  local n = held_out:size()
  local points, ratios, unobserved = {}, {}, 0
  local sum_pred, sum_obs = 0, 0
  for i, b in ipairs(items) do
    local obs = (bt.bundles[i].complete or 0) / n
    sum_pred, sum_obs = sum_pred + pred[i].share, sum_obs + obs
    points[i] = { items = b, predicted = pred[i].share, observed = obs }
    if obs > 0 then ratios[#ratios + 1] = pred[i].share / obs else unobserved = unobserved + 1 end
  end
  table.sort(ratios)
  local k = #ratios
  local med = k == 0 and nil or (k % 2 == 1 and ratios[(k + 1) // 2] or 0.5 * (ratios[k // 2] + ratios[k // 2 + 1]))
  local within_seen
  if k > 0 then
    local w = 0
    for _, r in ipairs(ratios) do if r >= 0.8 and r <= 1.25 then w = w + 1 end end
    within_seen = w / k
  end
  local fit = M.ratio_fit(points, n)
  return { points = points, median_ratio = fit and fit.median, within = fit and fit.within,
           ratio_sd = fit and fit.sd, median_seen = med, within_seen = within_seen,
           unobserved = unobserved, bundles = #items, pooled_ratio = sum_obs > 0 and sum_pred / sum_obs or nil }
end

return M
