-- bundle.eval: backtests of bundles on later baskets, ranking metrics,
-- offer simulation through the demand model, the baselines analysts use
-- today, and a bandit that adjusts the offered bundles round by round.
-- Counting runs in C (bundle.core.eval_core); this file composes.
local core = require "bundle.core"
local E = core.eval_core

local M = {}

-- an unknown option is an error naming it and the valid ones
local function check_options(fn, opts, known)
  for k in pairs(opts) do
    if not known[k] then
      local names = {}
      for n in pairs(known) do names[#names + 1] = n end
      table.sort(names)
      error(("%s: unknown option '%s' (%s)"):format(fn, tostring(k), table.concat(names, ", ")), 3)
    end
  end
end

local function check_baskets(b, fn, what)
  if not core.is_baskets(b) then
    error(("%s: %s must be bundle.baskets(...), got a %s"):format(fn, what, type(b)), 3)
  end
end

-- A list of bundle records { items = {...}, price =, cost =, ... } from a
-- search result, a list of label lists, or a list of records.
-- level: where errors point, counted as error() does from here (2: our
-- caller, when called by a script; 3: our caller's caller, for the
-- library's functions that pass their caller's argument on).
function M.bundles(list, fn, level)
  fn, level = fn or "eval", level or 2
  local out = {}
  if type(list) == "userdata" and list.iter then
    for _, b in list:iter() do out[#out + 1] = { items = b.items, score = b.score } end
    return out
  end
  if type(list) ~= "table" then
    error(("%s: bundles must be a search result or a list of bundles, got a %s"):format(fn, type(list)), level)
  end
  for k, b in ipairs(list) do
    if type(b) ~= "table" then error(("%s: bundle %d must be a table"):format(fn, k), level) end
    if type(b.items) == "table" then out[k] = b else out[k] = { items = b } end
    if #out[k].items == 0 then error(("%s: bundle %d has no items"):format(fn, k), level) end
  end
  return out
end

local all_metrics = { "hit_rate", "attach_rate", "mean_attach_rate", "coverage", "item_coverage", "revenue",
                      "margin", "diversity" }
local known = {}
for _, m in ipairs(all_metrics) do known[m] = true end

-- backtest(bundles, test_baskets, { metrics = {...}, price = {...}, cost = {...} })
-- Prices and costs come from the options, else from each record's price and
-- cost fields (as bundle.price.optimize returns them).
function M.backtest(bundles, test, opts)
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "metrics" and k ~= "price" and k ~= "cost" then
      error(("backtest: unknown option '%s'"):format(tostring(k)), 2)
    end
  end
  check_baskets(test, "backtest", "test_baskets")
  local list = M.bundles(bundles, "backtest", 3)
  local items, price, cost = {}, opts.price, opts.cost
  local priced = price == nil and #list > 0 and list[1].price ~= nil
  if priced then price, cost = {}, {} end
  for k, b in ipairs(list) do
    items[k] = b.items
    if priced then
      price[k] = b.price or 0
      cost[k] = b.cost or 0
    end
  end
  local total, per = E.backtest(test, items, { price = price, cost = cost })
  local out = { bundles = per, baskets = total.baskets, hits = total.hits, touched = total.touched }
  local wanted = opts.metrics or all_metrics
  for _, m in ipairs(wanted) do
    if not known[m] then
      error(("backtest: unknown metric '%s' (%s)"):format(tostring(m), table.concat(all_metrics, ", ")), 2)
    end
    out[m] = total[m]
  end
  return out
end

-- rank(ranked, relevant, k) -> { precision, recall, ndcg, mrr, hit, lists }
M.rank = E.rank
-- topk(scores, k [, exclude]) -> rows x k tensor of column ids
M.topk = E.topk

-- completion(bundles, test, { k = 10, seed = 1, max_baskets = 2000 }):
-- leave-one-out basket completion. One item of each test basket is hidden;
-- the bundles that share items with the rest suggest the missing items
-- (each bundle's items count by how much of it the basket holds, earlier
-- bundles first on ties); a hit is the hidden item among the top k.
function M.completion(bundles, test, opts)
  opts = opts or {}
  check_options("completion", opts, { k = 1, seed = 1, max_baskets = 1 })
  check_baskets(test, "completion", "test")
  local list = M.bundles(bundles, "completion", 3)
  local k = opts.k or 10
  local rng_seed = opts.seed or 1
  local by_item = {}
  for r, b in ipairs(list) do
    for _, it in ipairs(b.items) do
      local l = by_item[it]
      if not l then l = {}; by_item[it] = l end
      l[#l + 1] = r
    end
  end
  local n = test:size()
  local maxb = math.min(n, opts.max_baskets or 2000)
  local step = n / maxb
  local ranked, relevant = {}, {}
  local state = rng_seed
  for j = 0, maxb - 1 do
    local items = test:items(math.floor(j * step) + 1)
    if #items >= 2 then
      state = (state * 1103515245 + 12345) % 2147483648 -- a fixed LCG: same seed, same hidden items
      local hide = state % #items + 1
      local hidden, have = items[hide], {}
      for i, it in ipairs(items) do if i ~= hide then have[it] = true end end
      local score = {}
      for it in pairs(have) do
        for _, r in ipairs(by_item[it] or {}) do
          local b = list[r]
          for _, x in ipairs(b.items) do
            if not have[x] then score[x] = (score[x] or 0) + 1 / #b.items + 1e-6 / r end
          end
        end
      end
      local cand = {}
      for x, s in pairs(score) do cand[#cand + 1] = { x, s } end
      table.sort(cand, function(a, b) return a[2] > b[2] or (a[2] == b[2] and a[1] < b[1]) end)
      local ids = {}
      for i = 1, math.min(k, #cand) do ids[i] = cand[i][1] == hidden and 1 or 0 end
      ranked[#ranked + 1] = ids
      relevant[#relevant + 1] = { 1 }
    end
  end
  -- ids are 1 for the hidden item and 0 otherwise, so "relevant = {1}"
  local m = E.rank(ranked, relevant, k)
  m.baskets = #ranked
  return m
end

-- simulate(priced, test, { catalog =, elasticity =, min_elasticity =, max_elasticity =, market =, customers =, seed = }):
-- offers each priced bundle at its own discount to the test period's
-- customers through the reservation-price demand (item supports and pairs'
-- joint supports calibrated on the test baskets; elasticity a prior number
-- or a table label -> number, as bundle.price.optimize takes it), and sums
-- profit and incremental profit over the period: each
-- test basket is one customer visit, so a bundle's simulated profit is
-- take rate x profit per take x test baskets.
function M.simulate(priced, test, opts)
  opts = opts or {}
  check_options("simulate", opts, { catalog = 1, customers = 1, seed = 1, elasticity = 1, min_elasticity = 1,
                                    max_elasticity = 1, market = 1 })
  check_baskets(test, "simulate", "test")
  if not opts.catalog then error("simulate: option 'catalog' is required", 2) end
  local list = M.bundles(priced, "simulate", 3)
  local total = { profit = 0, incremental_profit = 0, revenue = 0, take = 0, bundles = {} }
  for k, b in ipairs(list) do
    local p = core.price.baseline({ b.items }, { catalog = opts.catalog, baskets = test, discount = b.discount or 0,
      customers = opts.customers, seed = opts.seed, elasticity = opts.elasticity, min_elasticity = opts.min_elasticity,
      max_elasticity = opts.max_elasticity, market = opts.market })[1]
    local visits = test:size()
    total.profit = total.profit + p.profit * visits
    total.incremental_profit = total.incremental_profit + (p.incremental_profit or p.profit) * visits
    total.revenue = total.revenue + p.price * p.take_rate * test:size()
    total.take = total.take + p.take_rate
    total.bundles[k] = p
  end
  return total
end

-- baselines(train, { k = 20, min_count = 5, seed = 1, keep = function(a, b) })
-- -> { popular_pairs =, top_lift =, top_confidence =, random_pairs =, one_bundle = }
-- The lists analysts build today, all pairs seen together in at least
-- min_count training baskets: the k bought together most often; the k of
-- highest lift; the k of highest confidence (either direction); k drawn at
-- random (seeded) from all such pairs; and component pricing plus the one
-- most popular pair. They carry no prices: a fair comparison prices every
-- list with the same optimiser (bundle.referee).
M.baseline_names = { "popular_pairs", "top_lift", "top_confidence", "random_pairs", "one_bundle" }

-- The k pairs of highest lift, or of highest confidence (the pair's better
-- direction, c / min(n_a, n_b)), among the co-occurrence frame's pairs;
-- ties by co-purchase count, then the frame's order. Computed from the
-- frame with one C sort: mining both rules of every pair and sorting them
-- (2M rules on a year of Online Retail) took 6 s per list, and the attach
-- guard and the referee ask for these lists every round. The measures are
-- the rules' own expressions (nxy n / (nx ny), nxy / nx), so the order is
-- the rules' order up to exact ties.
local function top_pairs_by(train, co, k, by, keep)
  local n = train:size()
  local f = train:item_support()
  local its, cnt = f:col("item"):totable(), f:col("count"):totable()
  local sup = {}
  for i = 1, #its do sup[its[i]] = cnt[i] end
  local a, b, c = co:col("a"):totable(), co:col("b"):totable(), co:col("count"):totable()
  local m = {}
  for i = 1, #a do
    local sa, sb = sup[a[i]], sup[b[i]]
    m[i] = by == "lift" and c[i] * n / (sa * sb) or c[i] / math.min(sa, sb)
  end
  if #a == 0 then return {} end
  local sorted = co:with_column("measure", m):sort({ "measure", "count" }, { desc = { true, true } })
  local sa, sb = sorted:col("a"):totable(), sorted:col("b"):totable()
  local out = {}
  for i = 1, #sa do
    local x, y = sa[i], sb[i]
    if x > y then x, y = y, x end
    if keep(x, y) then
      out[#out + 1] = { items = { x, y }, discount = 0 }
      if #out == k then break end
    end
  end
  return out
end

function M.baselines(train, opts)
  opts = opts or {}
  for key in pairs(opts) do
    if not ({ k = 1, min_count = 1, seed = 1, keep = 1 })[key] then
      error(("baselines: unknown option '%s' (k, keep, min_count, seed)"):format(tostring(key)), 2)
    end
  end
  check_baskets(train, "baselines", "train")
  local k, min_count = opts.k or 20, opts.min_count or 5
  if math.type(k) ~= "integer" or k < 1 then error("baselines: k must be a positive integer", 2) end
  -- most co-purchased first, ties in the frame's order: the frame's own
  -- sort is stable and in C (a Lua table.sort with a closure over the
  -- million pairs of a year of Online Retail took 30 s of a 54 s stage)
  local co = train:cooccurrence{ min_count = min_count }:sort("count", { desc = true })
  local a, b = co:col("a"):totable(), co:col("b"):totable()
  local keep = opts.keep or function() return true end
  local order = {}
  for i = 1, #a do if keep(a[i], b[i]) then order[#order + 1] = i end end
  local popular = {}
  for i = 1, math.min(k, #order) do popular[i] = { items = { a[order[i]], b[order[i]] }, discount = 0 } end
  -- a seeded partial Fisher-Yates over the eligible pairs (in count order,
  -- so the draw does not depend on the frame's row order)
  local state = (opts.seed or 1) % 2147483647
  if state <= 0 then state = state + 2147483646 end
  local pick = {}
  for i = 1, #order do pick[i] = order[i] end
  local random = {}
  for i = 1, math.min(k, #pick) do
    state = state * 48271 % 2147483647 -- Park-Miller: the same draw on every platform
    local j = i + state % (#pick - i + 1)
    pick[i], pick[j] = pick[j], pick[i]
    random[i] = { items = { a[pick[i]], b[pick[i]] }, discount = 0 }
  end
  return { popular_pairs = popular, top_lift = top_pairs_by(train, co, k, "lift", keep),
           top_confidence = top_pairs_by(train, co, k, "confidence", keep),
           random_pairs = random, one_bundle = { popular[1] } }
end

-- bandit{ arms = bundles, baskets = test, policy = "thompson" | "ucb" | "static",
--         rounds = 4, value = "margin" | "accept" | function(b), seed = 1,
--         retire = 0.25, promote = function(round, n, arms) -> new bundles }
-- Replays the time-ordered test baskets in `rounds` equal parts. After each
-- round the worst `retire` share of live arms (by posterior mean reward)
-- is retired and promote() (when given) supplies that many new candidates.
-- Reports cumulative reward against a static plan (the first arms offered
-- in turn throughout) and against the best single arm in hindsight.
function M.bandit(opts)
  if type(opts) ~= "table" then error("bandit: expects a table of options", 2) end
  for key in pairs(opts) do
    if not ({ arms = 1, baskets = 1, policy = 1, rounds = 1, value = 1, seed = 1, retire = 1, promote = 1 })[key] then
      error(("bandit: unknown option '%s'"):format(tostring(key)), 2)
    end
  end
  check_baskets(opts.baskets, "bandit", "option 'baskets'")
  if not (opts.value == nil or opts.value == "accept" or opts.value == "margin" or type(opts.value) == "function") then
    error(("bandit: value must be \"accept\", \"margin\" or a function, got %s"):format(tostring(opts.value)), 2)
  end
  local list = M.bundles(opts.arms, "bandit", 3)
  if #list == 0 then error("bandit: no arms to offer", 2) end
  local policy = opts.policy or "thompson"
  local rounds = opts.rounds or 4
  if math.type(rounds) ~= "integer" or rounds < 1 then error("bandit: rounds must be a positive integer", 2) end
  local retire = opts.retire or 0.25
  local value = opts.value or "accept"
  local function value_of(b)
    if type(value) == "function" then return value(b) end
    if value == "margin" then return (b.price or 0) - (b.cost or 0) end
    if value == "accept" then return 1 end
    error(("bandit: value must be \"accept\", \"margin\" or a function, got %s"):format(tostring(value)), 3)
  end
  local function arm(b) return { items = b.items, bundle = b, value = value_of(b), offers = 0, accepts = 0,
                                 reward = 0, hindsight = 0, hindsight_accepts = 0 } end
  local live, every, static = {}, {}, {}
  for i, b in ipairs(list) do
    live[i] = arm(b); every[i] = live[i]; static[i] = arm(b)
  end
  local n = opts.baskets:size()
  local seed = opts.seed or 1
  local out = { rounds = {}, policy = policy, reward = 0, static_reward = 0 }
  for r = 1, rounds do
    local from, to = math.floor((r - 1) * n / rounds) + 1, math.floor(r * n / rounds)
    if to >= from then
      local got = E.bandit_replay(opts.baskets, live, { policy = policy, from = from, to = to, seed = seed + r })
      local st = E.bandit_replay(opts.baskets, static, { policy = "static", from = from, to = to, seed = seed + r })
      out.reward = out.reward + got
      out.static_reward = out.static_reward + st
      local retired, promoted = {}, {}
      if r < rounds and retire > 0 and #live > 1 then
        table.sort(live, function(a, b)
          local ma = (a.accepts + 1) / (a.offers + 2) * a.value
          local mb = (b.accepts + 1) / (b.offers + 2) * b.value
          return ma > mb
        end)
        local drop = math.max(1, math.floor(#live * retire))
        for _ = 1, drop do retired[#retired + 1] = table.remove(live).items end
        if opts.promote then
          local fresh = M.bundles(opts.promote(r, drop, live) or {}, "bandit promote")
          for _, b in ipairs(fresh) do
            local a = arm(b)
            live[#live + 1] = a; every[#every + 1] = a
            promoted[#promoted + 1] = b.items
          end
        end
      end
      out.rounds[r] = { reward = out.reward, static_reward = out.static_reward, baskets = to - from + 1,
                        arms = #live, retired = retired, promoted = promoted }
    end
  end
  -- hindsight over every basket, for every arm ever live (retired and
  -- promoted arms were not replayed throughout)
  local best, best_reward = nil, -math.huge
  for _, a in ipairs(every) do
    local c = arm(a.bundle)
    E.bandit_replay(opts.baskets, { c }, { policy = "static", from = 1, to = n, seed = seed })
    a.hindsight = c.hindsight
    if c.hindsight > best_reward then best, best_reward = a, c.hindsight end
  end
  out.best_fixed_reward = best_reward
  out.best_fixed = best.items
  out.arms = live
  return out
end

return M
