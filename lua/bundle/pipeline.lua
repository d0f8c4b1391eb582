-- bundle.pipeline: the closed loop, round after round:
--
--     collect -> analyse -> generate -> evaluate -> adjust -> (collect ...)
--
-- Each stage is a function(ctx) on one shared context; ctx.state carries
-- from round to round. The default stages (bundle.pipeline.stages) run the
-- whole loop on any shop's order lines; a script replaces any of them by
-- name and keeps the rest. Round r decides on everything before its cut
-- and is judged on the `period_days` after it; the cut moves one period
-- each round.
--
-- Nothing after the cut reaches a decision: the catalogue's list prices,
-- the supports, the elasticities, the demand model and the features all
-- come from the training window. The referee (bundle.referee) has its own
-- catalogue and demand model, fitted on the test window.
--
--   local ctx = bundle.pipeline{
--     data = { orders = "orders.csv", basket = { "member", "date" }, item = "product", time = "date",
--              time_format = "%d-%m-%Y" },
--     start = "2015-10-01", period_days = 30, rounds = 2, seed = 1 }
local core = require "bundle.core"
local T = core.tensor
local eval = require "bundle.eval"
local features = require "bundle.features"
local orders_mod = require "bundle.orders"
local candidates = require "bundle.candidates"
local select_mod = require "bundle.select"
local referee = require "bundle.referee"
local progress = require "bundle.progress"

-- the data keys bundle.orders.prepare reads (the column mapping)
local prepare_keys = orders_mod.spec_keys()

local M = {}

M.order = { "collect", "analyse", "generate", "evaluate", "adjust" }

local DAY = 86400

local function note(ctx, fmt, ...)
  if ctx.bar then ctx.bar:say(("[round %d/%d] "):format(ctx.round, ctx.rounds) .. fmt:format(...)) end
end

-- A warning is kept in ctx.warnings (and summary.json) and printed on
-- stderr once, whatever the progress setting: it changes what the output means.
local function warn(ctx, msg)
  ctx.warnings = ctx.warnings or {}
  for _, w in ipairs(ctx.warnings) do if w == msg then return end end
  ctx.warnings[#ctx.warnings + 1] = msg
  if ctx.print_warnings ~= false then io.stderr:write("bundlerun: warning: ", msg, "\n") end
end
M.warn = warn

local function parse_day(s, what)
  local y, m, d = tostring(s):match("^(%d%d%d%d)-(%d%d)-(%d%d)$")
  if not y then error(("pipeline: %s must be a date YYYY-MM-DD, got %s"):format(what, tostring(s)), 3) end
  -- days since the epoch (UTC), as the frame's datetime columns count seconds
  local a = (14 - tonumber(m)) // 12
  local yy, mm = tonumber(y) + 4800 - a, tonumber(m) + 12 * a - 3
  local jdn = tonumber(d) + (153 * mm + 2) // 5 + 365 * yy + yy // 4 - yy // 100 + yy // 400 - 32045
  return (jdn - 2440588) * DAY
end
M.parse_day = parse_day

local function day_text(t) return os.date("!%Y-%m-%d", t) end

-- A bundle's key whatever the order of its items.
local function set_key(items)
  local s = {}
  for i, it in ipairs(items) do s[i] = tostring(it) end
  table.sort(s)
  return table.concat(s, "\0")
end

-- ---------------------------------------------------------------- collect

-- The catalogue of a window: each item's mean unit price there, its cost
-- from the margin rate, its category when the data has one. `price_of`
-- (item -> price), when given, overrides the window's price item by item.
local function window_catalog(sales, d, has_category, price_of)
  local has_cost = false
  for _, n in ipairs(sales:names()) do if n == "cost" then has_cost = true end end
  local agg = { price = { "mean", "price" } }
  if has_category then agg.category = { "first", "category" } end
  if has_cost then agg.cost = { "mean", "cost" } end
  local items = sales:group_by("item"):agg(agg)
  local il, ip = items:col("item"):totable(), items:col("price"):totable()
  if price_of then
    for i = 1, #il do ip[i] = price_of[il[i]] or ip[i] end
    items = items:with_column("price", ip)
  end
  -- known unit costs where the data has them, else the margin rate
  local cat = core.catalog(items, { item = "item", price = "price", cost = has_cost and "cost" or nil,
                                    margin = not has_cost and d.margin_rate or nil,
                                    category = has_category and "category" or nil })
  local prices, costs, cats = {}, {}, {}
  local ic = has_category and items:col("category"):totable() or {}
  local icost = has_cost and items:col("cost"):totable() or {}
  for i = 1, #il do
    prices[il[i]] = ip[i]
    costs[il[i]] = icost[i] or ip[i] * (1 - d.margin_rate)
    cats[il[i]] = ic[i]
  end
  return cat, prices, costs, cats
end

-- Own-price elasticity at list price: estimated from the window's own price
-- variation where it has any, else the stated prior (2.5: near the
-- meta-analytic mean of Bijmolt, van Heerde and Pieters 2005, and the
-- Lerner elasticity 1/0.4 of the default margin, so a shop's list prices
-- are its single-item optimum). "pooled" (the default) gives every item
-- the pooled within-item slope: per-item slopes are noisy, and a search
-- over thousands of bundles finds the items whose noise says "very
-- elastic", where any discount looks profitable (a winner's curse). Per
-- item estimates are still reported, and "per_item" uses them.
-- an elasticity held to the configured bounds (nil stays nil)
local function clamp_elasticity(cfg, e)
  return e and math.min(cfg.max_elasticity, math.max(cfg.min_elasticity, e))
end

local function window_elasticity(ctx, sales, prices, mode)
  local cfg = ctx.config
  mode = mode or ctx.elasticity_mode or cfg.elasticity
  if type(mode) == "number" or not ctx.has_price then
    local prior = type(mode) == "number" and mode or cfg.elasticity_prior
    return prior, { source = type(mode) == "number" and "given" or "prior (the data has no prices)",
                    prior = prior, used = prior }
  end
  -- weekly periods, or shorter ones in a window under 8 weeks (a test
  -- window of a month): 8 periods are what an item needs for a slope of
  -- its own, and a short window that still has daily price variation
  -- should be read, not replaced by the prior
  local t = sales:col("time"):tensor()
  local span = sales:nrows() > 0 and (t:max() - t:min()) / DAY or 0
  local period_days = span >= 8 * 7 and 7 or math.max(1, math.floor(span / 8))
  local est = core.price.elasticity(sales, { item = "item", price = "price", quantity = "quantity", time = "time",
                                             prior = cfg.elasticity_prior, min_elasticity = cfg.min_elasticity,
                                             max_elasticity = cfg.max_elasticity, period_days = period_days })
  local report = { items = est.items, pooled = est.pooled, prior = cfg.elasticity_prior, note = est.note,
                   periods = est.periods, period_days = period_days }
  if mode == "pooled" then
    local e = clamp_elasticity(cfg, est.pooled)
    report.source = e and "estimated (pooled)" or "prior (no price variation)"
    report.used = e or cfg.elasticity_prior
    return report.used, report
  end
  local fallback = est.pooled or cfg.elasticity_prior
  local by = {}
  -- "estimated": the pooled slope plus the validated share of each item's
  -- own (shrunk) departure from it (M.choose_elasticity); "per_item": all of it
  local lambda = mode == "estimated" and (ctx.elasticity_lambda or 0) or 1
  local pooled = clamp_elasticity(cfg, est.pooled)
  for it in pairs(prices) do
    local e = est.by_item[it]
    if e and pooled then e = clamp_elasticity(cfg, pooled + lambda * (e - pooled)) end
    by[it] = e or fallback
  end
  report.source = mode == "estimated" and ("estimated (pooled + %.2f x each item's own departure)"):format(lambda)
    or "estimated (per item)"
  report.lambda = lambda
  return by, report
end

-- config.elasticity = "auto": which elasticities predict a later window's
-- own price response best, chosen on training data alone. The training
-- window is split so that its last part (the validation window) holds
-- 2 x 8 weekly periods; the estimates are fitted on the part before it
-- and scored against the items' own slopes in the validation window by
-- their precision-weighted squared error, sum (own_i - e_i)^2 / se_i^2
-- (a slope's sampling noise adds the same to every candidate's score, so
-- the one nearest the true slopes wins on average).
--
-- The candidates are the stated prior for every item, and the pooled
-- slope plus a share lambda of each item's own departure from it
-- (empirical-Bayes shrunk): lambda = 0 is the pooled slope, 1 the per-item
-- estimates, and the best lambda in [0, 1] is the precision-weighted
-- regression of the validation window's departures on the earlier ones.
-- Why a lambda and not just "pooled or per item": empirical Bayes shrinks
-- for sampling noise only; observational slopes also drift and carry
-- confounding (quantity tiers, promotions) that persists in-window and not
-- beyond, and how much of an item's own slope survives into the next
-- months is what the validation measures. On a shop with exogenous price
-- tests lambda is near 1; where prices follow demand it falls toward 0.
-- Too short a history, or fewer than 5 items with a slope of their own
-- in the validation window, and the pooled slope stands (lambda 0).
local ELASTICITY_PERIODS, ELASTICITY_MIN_ITEMS = 8, 5
function M.choose_elasticity(ctx, train)
  local cfg = ctx.config
  local span = ELASTICITY_PERIODS * 2 * 7 * DAY
  local t = train:col("time"):tensor()
  local first = t:min()
  if not (first == first) or ctx.cut - first < 2 * span then
    return "pooled", { source = "pooled (the training window is too short to validate elasticities)", lambda = 0 }
  end
  local early, late = train:split_by_time("time", day_text(ctx.cut - span))
  local opts = { item = "item", price = "price", quantity = "quantity", time = "time", prior = cfg.elasticity_prior,
                 min_elasticity = cfg.min_elasticity, max_elasticity = cfg.max_elasticity, fallback = "pooled" }
  local fit, held = core.price.elasticity(early, opts), core.price.elasticity(late, opts)
  local function clamp(e) return clamp_elasticity(cfg, e) end
  local pooled = fit.pooled and clamp(fit.pooled)
  local obs = {}
  for it, own in pairs(held.own) do
    local se = held.own_se[it]
    if se and se > 0 then obs[#obs + 1] = { own = own, w = 1 / (se * se), d = (fit.by_item[it] or pooled or 0) - (pooled or 0) } end
  end
  local n = #obs
  if n < ELASTICITY_MIN_ITEMS or not pooled then
    return "pooled", { source = ("pooled (%d items with their own slope in the validation window; %d needed)")
      :format(n, ELASTICITY_MIN_ITEMS), items = n, lambda = 0 }
  end
  -- lambda: weighted least squares of (own - pooled) on d, through 0, kept in [0, 1]
  local sdd, sdr = 0, 0
  for _, o in ipairs(obs) do sdd, sdr = sdd + o.w * o.d * o.d, sdr + o.w * o.d * (o.own - pooled) end
  local lambda = sdd > 0 and math.max(0, math.min(1, sdr / sdd)) or 0
  local function score(e_of)
    local sum = 0
    for _, o in ipairs(obs) do sum = sum + o.w * (o.own - e_of(o)) ^ 2 end
    return sum / n
  end
  local scores = { prior = score(function() return cfg.elasticity_prior end),
                   pooled = score(function() return pooled end),
                   per_item = score(function(o) return clamp(pooled + o.d) end),
                   shrunk = score(function(o) return clamp(pooled + lambda * o.d) end) }
  local mode = scores.prior < scores.shrunk and "prior" or "estimated"
  return mode, { source = ("%s (chosen on the validation window from %s over %d items: precision-weighted squared " ..
    "error per item, prior %.3g, pooled %.3g, per item %.3g, pooled + %.2f x each item's own departure %.3g)"):format(
    mode == "prior" and "the prior" or ("the pooled slope + %.2f x each item's own departure"):format(lambda),
    day_text(ctx.cut - span), n, scores.prior, scores.pooled, scores.per_item, lambda, scores.shrunk),
    scores = scores, items = n, lambda = lambda }
end

-- A window's demand model. Its simulated customers are visitors, the
-- visits that bought nothing included (config.visit_share: "auto" estimates
-- their share from the window's baskets, see M.visit_share; 1 treats every
-- visitor as a buyer).
local function demand_model(ctx, cat, baskets, prices, costs, elasticity)
  local cfg = ctx.config
  local vs = cfg.visit_share == "auto" and M.visit_share(baskets) or cfg.visit_share
  return referee.model{ catalog = cat, baskets = baskets, elasticity = elasticity, market = cfg.market,
                        customers = cfg.customers, seed = ctx.seed, max_elasticity = cfg.max_elasticity,
                        min_elasticity = cfg.min_elasticity, prices = prices, costs = costs, visit_share = vs,
                        pair_prior = ctx.pair_prior or (type(cfg.pair_prior) == "number" and cfg.pair_prior) or 0 }
end

-- The share s of visits that buy anything. An orders table never shows the
-- visits that bought nothing, so supports and lifts measured on baskets are
-- conditional on a purchase, and two items bought independently show a
-- basket lift of s < 1 (Berkson's bias): on a shop whose baskets hold two
-- or three items, plain independent pairs look like anti-complements.
-- Under independence the share of empty visits is prod(1 - q_i), q_i = f_i s
-- the share of visits buying item i (f_i its share of baskets), so s solves
-- s = 1 - prod(1 - f_i s); the iteration from s = 1 falls monotonically to
-- that root. Positive dependence between purchases only adds empty visits,
-- so this s is an upper bound and lift / s^(k-1) a conservative (low)
-- visit-level lift. Where baskets are large (mean size 10 or more) s is 1
-- to many digits and nothing changes. Bounded below by 0.05 (baskets of
-- one item each, where s cannot be told).
function M.visit_share(baskets)
  local sup = baskets:item_support():col("support"):totable()
  local s = 1
  for _ = 1, 1000 do
    local logp = 0
    for _, f in ipairs(sup) do logp = logp + math.log(1 - math.min(f * s, 1 - 1e-12)) end
    local nxt = 1 - math.exp(logp)
    local done = math.abs(nxt - s) < 1e-10
    s = nxt
    if done or s < 0.05 then break end
  end
  return math.max(0.05, math.min(1, s))
end

-- item_names(sales) -> { [item] = its most frequent name }, or nil when the
-- sales have no name column (bundle.orders.prepare's `name`)
function M.item_names(sales)
  local has = false
  for _, n in ipairs(sales:names()) do has = has or n == "name" end
  if not has then return nil end
  local g = sales:filter(sales:col("name"):notnull()):group_by{ "item", "name" }:agg{ n = "count" }
  local it, nm, c = g:col("item"):totable(), g:col("name"):totable(), g:col("n"):totable()
  local out, best = {}, {}
  for i = 1, #it do
    if not best[it[i]] or c[i] > best[it[i]] then out[it[i]], best[it[i]] = nm[i], c[i] end
  end
  return out
end

-- data.counts = "store.bin": the orders are only the new ones. They are
-- appended to the count store in that file (made with data.counts_options,
-- e.g. { window = 365, max_size = 3 }, when it does not exist yet), the
-- window expired at the latest time seen, and the store saved back
-- atomically, once per run; ctx.counts is the store, whose frequent{} and
-- rules{} cover the whole history while this run reads only the day.
local function update_counts(ctx, sales)
  local d = ctx.data
  local f = io.open(d.counts, "rb")
  local store
  if f then
    f:close()
    store = core.load_counts(d.counts)
  else
    store = core.counts(d.counts_options)
  end
  local t0 = core.clock()
  store:append(core.baskets(sales, { basket = "basket", item = "item", time = "time" }))
  local info = store:info()
  if info.now and info.window then store:expire(info.now) end
  store:save(d.counts)
  ctx.counts = store
  ctx.state.counts = store
  note(ctx, "collect: counted %d new lines into %s (%.0f baskets in the store, %.2f s)", sales:nrows(), d.counts,
       store:info().baskets, core.clock() - t0)
end

-- Reads the orders once (bundle.orders.prepare: sale lines in canonical
-- columns), then cuts this round's windows and builds the training world:
-- catalogue, elasticities and demand model from the training window only.
function M.collect(ctx)
  local d, cfg = ctx.data, ctx.config
  if not ctx.state.sales then
    local spec = {}
    for k, v in pairs(d) do if prepare_keys[k] then spec[k] = v end end
    local prep = orders_mod.prepare(spec)
    for _, w in ipairs(prep.warnings or {}) do warn(ctx, w) end
    -- baskets that span days, lines left out: said aloud, not only counted in the report
    for _, w in ipairs(orders_mod.findings(prep.report)) do warn(ctx, "collect: " .. w) end
    ctx.state.sales, ctx.state.prepare = prep.sales, prep.report
    ctx.state.item_name = M.item_names(prep.sales)
    if d.counts then update_counts(ctx, prep.sales) end
  end
  ctx.counts = ctx.state.counts
  -- what the report shows: product names where the data has them, the currency when known
  ctx.item_name = ctx.state.item_name
  ctx.currency = cfg.currency or (ctx.state.prepare and ctx.state.prepare.currency) or nil
  local sales = ctx.state.sales
  local names = {}
  for _, n in ipairs(sales:names()) do names[n] = true end
  ctx.has_price = d.price ~= nil
  ctx.has_category = names.category == true
  ctx.has_cost = names.cost == true
  local cut = ctx.start + (ctx.round - 1) * ctx.period
  local spec = { basket = "basket", item = "item", time = "time", user = names.user and "user" or nil,
                 quantity = names.quantity and "quantity" or nil, price = names.price and "price" or nil }
  local train, rest = sales:split_by_time("time", day_text(cut))
  local test = rest:split_by_time("time", day_text(cut + ctx.period))
  if train:nrows() == 0 then
    error(("pipeline: no sales before %s (round %d's cut); give a later start"):format(day_text(cut), ctx.round), 0)
  end
  if test:nrows() == 0 then
    error(("pipeline: no sales from %s to %s (round %d's test window); give an earlier start or fewer rounds")
      :format(day_text(cut), day_text(cut + ctx.period), ctx.round), 0)
  end
  local label_cut = cut - ctx.label_days * DAY
  local early, late = train:split_by_time("time", day_text(label_cut))
  ctx.cut, ctx.train, ctx.test = cut, train, test
  ctx.train_baskets = core.baskets(train, spec)
  ctx.test_baskets = core.baskets(test, spec)
  ctx.visit_share = M.visit_share(ctx.train_baskets)
  ctx.early_baskets = early:nrows() > 0 and core.baskets(early, spec) or nil
  ctx.late_baskets = late:nrows() > 0 and core.baskets(late, spec) or nil
  -- the training world: list prices, costs and elasticities of the train window only
  local cat, prices, costs, cats = window_catalog(train, d, ctx.has_category)
  ctx.catalog, ctx.item_price, ctx.item_cost, ctx.item_category = cat, prices, costs, cats
  ctx.state.item_price = prices
  local mode, choice = ctx.config.elasticity, nil
  if mode == "auto" then
    if ctx.has_price then mode, choice = M.choose_elasticity(ctx, train) else mode = "pooled" end
    if mode == "prior" then mode = ctx.config.elasticity_prior end
    ctx.elasticity_lambda = choice and choice.lambda or 0
  end
  ctx.elasticity_mode = mode
  local el, el_report = window_elasticity(ctx, train, prices, mode)
  el_report.choice = choice
  ctx.elasticity = el_report
  ctx.demand = demand_model(ctx, cat, ctx.train_baskets, prices, costs, el)
  note(ctx, "collect: train %d baskets before %s, test %d baskets to %s", ctx.train_baskets:size(), day_text(cut),
       ctx.test_baskets:size(), day_text(cut + ctx.period))
end

-- ---------------------------------------------------------------- analyse
local function itemset_list(sets, min_size)
  local out = {}
  for _, s in sets:iter() do
    if #s.items >= (min_size or 2) then out[#out + 1] = s.items end
  end
  return out
end

-- The take-rate model (bundle.takerate): labels are completions out of the
-- baskets that touch a bundle in the next window, fitted as binomial; the
-- candidates (constant, popularity only, logistic, MLP, GBDT) are fitted
-- on the pair of windows ending label_days before the cut and scored on
-- the pair ending at the cut; the best on validation log-loss is kept,
-- and a trivial one when no learned model beats it. It is reported, and
-- custom objectives may use it; the default objective does not (expected
-- incremental profit under the demand model decides). config.model =
-- "linear" or "mlp" (or "auto") runs the comparison; false skips it.
local function fit_take_rate_model(ctx, floor)
  local cfg = ctx.config
  ctx.takerate = nil -- a round without a model must not reuse the last round's
  if not cfg.model then return end
  local kind = cfg.model
  if kind ~= "linear" and kind ~= "mlp" and kind ~= "auto" then
    error(("pipeline: config.model must be \"linear\", \"mlp\", \"auto\" or false, got %s"):format(tostring(kind)), 0)
  end
  if not ctx.early_baskets or not ctx.late_baskets then
    warn(ctx, "analyse: no take-rate model: the training window is shorter than label_days")
    return
  end
  local c = math.max(2, math.floor(floor * ctx.early_baskets:size() + 0.5))
  local sets = ctx.early_baskets:frequent{ min_count = c, min_size = 2, max_size = cfg.size[2],
                                           max_itemsets = 200000 }
  local cand = itemset_list(sets)
  if #cand < 10 then
    warn(ctx, ("analyse: no take-rate model: only %d labelled candidate bundles before %s"):format(#cand,
      day_text(ctx.cut - ctx.label_days * DAY)))
    return
  end
  local takerate = require "bundle.takerate"
  -- three training windows, each half a label window earlier (stacked
  -- where that helps on validation; see bundle.takerate)
  local ok, train, valid = pcall(takerate.windows, ctx.train_baskets, ctx.cut,
                                 { days = ctx.label_days, stack = 3, step = math.max(1, ctx.label_days // 2) })
  local tr
  if ok then
    ok, tr = pcall(takerate.fit, { bundles = cand, catalog = ctx.catalog, train = train, valid = valid, seed = ctx.seed,
                                    curve = true }) -- learning curves for the report
  else
    tr = train
  end
  if not ok then
    warn(ctx, "analyse: no take-rate model: " .. tostring(tr):gsub("^[^:\n]*:%d+: ", ""))
    return
  end
  -- Predictions come from the latest window: every basket before the cut,
  -- its last 30 days for the trend. They are made once for the whole pool
  -- (the search asks per bundle, and a window's statistics are batch work).
  local now = { features = ctx.train_baskets, recent = select(2, ctx.train_baskets:split_by_time(ctx.cut - 30 * DAY)) }
  local pool = ctx.pool and itemset_list(ctx.pool) or {}
  -- generate() reads them by the bundle's key (set_key)
  local rates = {}
  if #pool > 0 then
    local p = tr:predict(pool, now)
    for i, b in ipairs(pool) do rates[set_key(b)] = p[i] end
  end
  ctx.takerate = { model = tr, window = now, rates = rates, bundles = cand }
  local by = {}
  for _, e in ipairs(tr.report.candidates) do by[e.name] = e end
  local chosen = by[tr.chosen]
  local function v(name, field) return by[name] and by[name].valid and by[name].valid[field] end
  ctx.model_report = { kind = tr.chosen, requested = kind, candidates = #cand, chosen = tr.chosen,
                       learned_won = tr.report.learned_won, note = tr.report.note,
                       rmse = chosen.valid.rmse, logloss = chosen.valid.logloss,
                       popularity_rmse = v("popularity", "rmse"), constant_rmse = v("constant", "rmse"),
                       popularity_logloss = v("popularity", "logloss"), constant_logloss = v("constant", "logloss"),
                       models = tr.report.candidates,
                       -- the chosen model's learning curve (only the MLP trains by epochs)
                       history = tr.chosen == "mlp" and by.mlp and by.mlp.history or nil }
end

-- pair_prior = "auto": how far each pair's joint count is shrunk toward
-- independence (the demand model's prior weight k, posterior mean lift
-- (c + k) / (E + k)) is chosen on the validation window carved from
-- training. Each candidate pair's count in the window before it, c, with
-- the count independence predicts there, E, forecasts its count in the
-- validation window as E' (c + k) / (E + k), E' the independence count
-- there (the marginals are the model's other part); the k of the grid
-- with the least Poisson deviance wins. Where pairs keep their lift from
-- one window to the next (a grocer's regulars) little shrinkage wins;
-- where a pair met the support floor by a chance run of co-purchases,
-- much. The pool was mined on the whole training window, so its pairs'
-- validation counts lean high, which favours less shrinkage: the choice
-- errs toward the raw counts.
M.pair_prior_grid = { 0, 0.5, 1, 2, 5, 10, 20, 50 }
function M.choose_pair_prior(ctx)
  local early, late = ctx.early_baskets, ctx.late_baskets
  local fallback = 2
  if not early or not late then
    return fallback, { source = "fallback (no validation window)", k = fallback }
  end
  local pairs = {}
  for _, s in ctx.pool:iter() do
    if #s.items == 2 then pairs[#pairs + 1] = s.items end
  end
  if #pairs < 10 then
    return fallback, { source = ("fallback (%d candidate pairs)"):format(#pairs), k = fallback }
  end
  local function window(b)
    local f = b:item_support()
    local items, sup = f:col("item"):totable(), f:col("support"):totable()
    local by = {}
    for i, it in ipairs(items) do by[tostring(it)] = sup[i] end
    local bt = eval.backtest(pairs, b, { metrics = { "attach_rate" } })
    local n, vs = b:size(), M.visit_share(b)
    local c, e = {}, {}
    for i, p in ipairs(pairs) do
      c[i] = bt.bundles[i].complete or 0
      e[i] = n * (by[tostring(p[1])] or 0) * (by[tostring(p[2])] or 0) * vs
    end
    return c, e
  end
  local ce, ee = window(early)
  local cl, el = window(late)
  local best, best_dev, devs = nil, math.huge, {}
  for _, k in ipairs(M.pair_prior_grid) do
    local dev = 0
    for i = 1, #pairs do
      if ee[i] > 0 and el[i] > 0 then
        local pred = el[i] * (ce[i] + k) / (ee[i] + k)
        if pred <= 0 then
          dev = cl[i] > 0 and math.huge or dev
        else
          dev = dev + 2 * ((cl[i] > 0 and cl[i] * math.log(cl[i] / pred) or 0) - (cl[i] - pred))
        end
      end
    end
    devs[#devs + 1] = { k = k, deviance = dev }
    if dev < best_dev then best, best_dev = k, dev end
  end
  if not best then return fallback, { source = "fallback (no pair with support in both windows)", k = fallback } end
  return best, { source = "chosen on the validation window", k = best, pairs = #pairs, deviance = devs }
end

-- Chooses the candidate bundles (bundle.candidates: the support floor from
-- the data, sizes 2..4 where the data has them), the rules behind the
-- reasons, and the take-rate model.
function M.analyse(ctx)
  local cfg = ctx.config
  local c = candidates(ctx.train_baskets, { sizes = cfg.size, min_count = cfg.min_count, want = cfg.want,
                                            min_support = cfg.min_support ~= "auto" and cfg.min_support or nil })
  for _, w in ipairs(c.warnings) do warn(ctx, w) end
  ctx.pool = c.itemsets
  if cfg.pair_prior == "auto" then
    local k, report = M.choose_pair_prior(ctx)
    ctx.pair_prior, ctx.pair_prior_report = k, report
    ctx.demand.pair_prior = k
  end
  ctx.candidates = { min_count = c.min_count, min_support = c.min_support, chosen = c.chosen, counts = c.counts,
                     baskets = c.baskets, cap = c.cap }
  ctx.takerate, ctx.model_report = nil, nil
  fit_take_rate_model(ctx, c.min_support)
  ctx.rules = ctx.train_baskets:rules{ min_count = c.min_count, max_size = cfg.size[2], min_confidence = 0.05,
                                       max_itemsets = 500000 }
  local n = {}
  for s = cfg.size[1], cfg.size[2] do n[#n + 1] = ("%d of %d items"):format(c.counts[s] or 0, s) end
  note(ctx, "analyse: support floor %d baskets (%.4g, %s): %s%s", c.min_count, c.min_support, c.chosen or "given",
       table.concat(n, ", "), ctx.model_report and ("; take rate: %s, validation log-loss %.4f (popularity only %.4f)"):format(
         ctx.model_report.kind, ctx.model_report.logloss, ctx.model_report.popularity_logloss or 0 / 0) or "")
end

-- ---------------------------------------------------------------- generate

-- The predicted attach rate of a bundle view (features on the train
-- window), or nil without a model.
local function predictor(ctx)
  if not ctx.takerate then return function() return nil end end
  local rates = ctx.takerate.rates
  return function(b) return rates[set_key(b.items)] end
end

-- The largest contributions to a bundle's predicted take rate, in words:
-- XGBoost's exact contributions (gbdt) or coefficient x standardised value
-- (logistic, popularity) or integrated gradients (MLP) on the log-odds
-- scale; none for the constant.
local function contributions(ctx, items)
  if not ctx.takerate then return {} end
  local ex = ctx.takerate.model:explain({ items }, ctx.takerate.window, 3)[1]
  local out = {}
  for i, e in ipairs(ex) do out[i] = { name = e.feature, value = e.value, effect = e.contribution, text = e.text } end
  return out
end

-- The rules behind a bundle: the train rules made of its items, best lift first.
local function rules_for(ctx, items)
  local inb = {}
  for _, it in ipairs(items) do inb[it] = true end
  local out = {}
  for _, r in ctx.rules:iter() do
    local ok = true
    for _, it in ipairs(r.lhs) do ok = ok and inb[it] end
    for _, it in ipairs(r.rhs) do ok = ok and inb[it] end
    if ok then
      out[#out + 1] = ("%s => %s (conf %.2f, lift %.1f)"):format(table.concat(r.lhs, "+"), table.concat(r.rhs, "+"),
                                                              r.confidence, r.lift)
      if #out == 2 then break end
    end
  end
  return out
end

-- The analysts' lists on this round's training baskets, made once: the
-- attach guard's profit yardstick (generate) and the referee (evaluate)
-- judge the same lists.
function M.train_baselines(ctx)
  local cfg = ctx.config
  if ctx.train_baselines_of ~= ctx.train_baskets then
    ctx.train_baselines = eval.baselines(ctx.train_baskets, { k = cfg.top, min_count = cfg.baseline_min_count,
                                                              seed = ctx.seed })
    ctx.train_baselines_of = ctx.train_baskets
  end
  return ctx.train_baselines
end

-- The expected incremental profit per visitor of the best analysts' list
-- (eval.baselines on the training baskets, each priced by the same
-- optimiser as ours), its offers judged together by the training model:
-- the yardstick of the profit goal in generate. -inf without any list.
function M.baseline_value(ctx)
  local cfg = ctx.config
  local base = M.train_baselines(ctx)
  local popts = referee.price_opts(ctx.demand)
  local best = -math.huge
  for _, name in ipairs(eval.baseline_names) do
    if #base[name] > 0 then
      local offers = {}
      for k, p in ipairs(referee.price(base[name], ctx.demand, cfg.discount)) do
        offers[k] = { items = p.items, discount = p.discount }
      end
      best = math.max(best, core.price.portfolio(offers, popts).incremental_profit)
    end
  end
  return best
end

-- Scores every candidate by its expected incremental profit per visitor at
-- its best discount under the training window's demand model (or
-- config.objective), then picks the launch list with diversity enforced
-- (bundle.select): an item in at most max_per_item bundles, one bundle per
-- category signature, no anti-complements. Bundles an earlier round
-- retired are not offered again.
local MIN_OFFER_DISCOUNT = 0.01
function M.generate(ctx)
  local cfg = ctx.config
  local retired = ctx.state.retired or {}
  local pool, seen = {}, {}
  for _, s in ctx.pool:iter() do
    local key = set_key(s.items)
    if not retired[key] and not seen[key] then seen[key] = true; pool[#pool + 1] = s.items end
  end
  if #pool == 0 then error("pipeline: no candidate bundles to choose from", 0) end
  local priced = referee.price(pool, ctx.demand, cfg.discount)
  local by_key = {}
  for i, p in ipairs(priced) do by_key[set_key(pool[i])] = p end
  local function value(b) return by_key[set_key(b.items)].incremental_profit end
  local attach = predictor(ctx)
  local objective = cfg.objective
  if type(objective) == "table" then objective = objective.score end
  local info = {}
  local nb_train = ctx.train_baskets:size()
  local function scored(b)
    local key = set_key(b.items)
    -- lift among visitors, not baskets (see M.visit_share): what "bought
    -- together less often than chance" means for the anti-complement rule.
    -- Hub pairs in small baskets read a basket lift of 0.6-0.8 and are still
    -- what customers take and what earns (a first-time user's bakery and
    -- grocer, 2026-12-01: a basket-lift rule cut attach 0.38x -> 0.10x and
    -- profit 1.0x -> 0.23x of the best baseline), so the rule stays on the
    -- visit lift's credible upper bound; the basket lift, the figure a
    -- merchandiser can check in the orders, is what the report states.
    local vlift = b:lift() / ctx.visit_share ^ (#b.items - 1)
    local count = b:support() * nb_train
    info[key] = { lift = vlift, basket_lift = b:lift(),
                  lift_upper = vlift > 0 and select_mod.lift_upper(count, count / vlift, ctx.demand.pair_prior or 0) or 0,
                  categories = ctx.has_category and b:categories() or nil }
    if objective then return objective(b, attach, value) end
    return value(b)
  end
  local res = core.search{ catalog = ctx.catalog, baskets = ctx.train_baskets, pool = pool, size = cfg.size,
                           top = #pool, objective = scored, constraints = { max_price = cfg.max_price } }
  local list = {}
  for _, b in res:iter() do
    local i = info[set_key(b.items)]
    list[#list + 1] = { items = b.items, score = b.score, lift = i.lift, lift_upper = i.lift_upper,
                        basket_lift = i.basket_lift, discount = by_key[set_key(b.items)].discount,
                        categories = i.categories }
  end
  -- The attach guard: the chosen set must complete at least attach_ratio x
  -- as often as the best of the analysts' lists does. Both are measured
  -- out of sample on the validation window carved from training (the last
  -- label_days before the cut): the analysts' lists are built on the
  -- window before it, as they would be, and our candidates' attach is
  -- counted there. Pooled over the set (as backtest's attach rate is), a
  -- set-level constraint met by the smallest Lagrange weight on
  -- (completions - floor x touches) per visitor that satisfies it.
  --
  -- Profit keeps priority: the two goals conflict where money comes from
  -- popular items, whose bundles many baskets touch and few complete. The
  -- weight stops rising where the set's expected incremental profit (the
  -- training model, offers judged together) would fall below
  -- profit_ratio x that of the best analysts' list, priced by the same
  -- optimiser and valued by the same model (an epsilon-constraint: attach
  -- is raised only as far as the profit goal allows).
  local min_attach = cfg.min_attach
  local guard = ctx.late_baskets or ctx.train_baskets
  local popts = referee.price_opts(ctx.demand)
  local function set_value(set)
    if #set == 0 then return 0 end
    local offers = {}
    for k, b in ipairs(set) do offers[k] = { items = b.items, discount = by_key[set_key(b.items)].discount } end
    return core.price.portfolio(offers, popts).incremental_profit
  end
  if min_attach == "auto" then
    local from = ctx.late_baskets and ctx.early_baskets or ctx.train_baskets
    local base = eval.baselines(from, { k = cfg.top, min_count = cfg.baseline_min_count, seed = ctx.seed })
    local best = 0
    for _, name in ipairs(eval.baseline_names) do
      if #base[name] > 0 then
        best = math.max(best, eval.backtest(base[name], guard, { metrics = { "attach_rate" } }).attach_rate)
      end
    end
    min_attach = cfg.attach_ratio * best
  end
  -- a bundle whose best discount is under 1% is not an offer (its gain is
  -- the simulation's noise); custom objectives rank on their own terms
  local sel_opts = { top = cfg.top, reserve = cfg.reserve, max_per_item = cfg.max_per_item,
                     min_lift = cfg.allow_anticomplements and -math.huge or 1,
                     min_discount = not objective and MIN_OFFER_DISCOUNT or nil }
  local top, reserve, sel = select_mod(list, sel_opts)
  local lambda, guard_warned = 0, false
  if min_attach and min_attach > 0 then
    local items = {}
    for i, b in ipairs(list) do items[i] = b.items end
    local bt = eval.backtest(items, guard, { metrics = { "attach_rate" } })
    local nb = guard:size()
    for i, b in ipairs(list) do
      b.base_score, b.gain, b.attach = b.score, b.score, bt.bundles[i].attach_rate
      b.slack = (bt.bundles[i].complete - min_attach * bt.bundles[i].touched) / nb
    end
    local function attach_of(set)
      local c, t = 0, 0
      for _, b in ipairs(set) do c, t = c + b.slack, t + 1 end
      return c >= 0 or t == 0
    end
    local function pick(l)
      for _, b in ipairs(list) do b.score = b.base_score + l * b.slack end
      return select_mod(list, sel_opts)
    end
    -- the log-scale bisection of the smallest weight for which ok(weight) holds (nil: none up to 1e6)
    local function smallest(ok)
      local lo, hi = 0, 1e-3
      while hi < 1e6 and not ok(hi) do hi = hi * 4 end
      if not ok(hi) then return nil end
      for _ = 1, 30 do
        local mid = math.sqrt(math.max(lo, hi * 1e-6) * hi)
        if ok(mid) then hi = mid else lo = mid end
      end
      return hi
    end
    if not attach_of(top) then
      local floor = cfg.profit_ratio and cfg.profit_ratio * math.max(0, M.baseline_value(ctx, set_value)) or nil
      ctx.profit_floor = floor
      local hi = smallest(function(l) return attach_of((pick(l))) end)
      local capped = false
      if floor and set_value(pick(hi or 1e6)) < floor then
        -- the largest weight that keeps the profit goal (nil: even none does)
        local over = smallest(function(l) return set_value((pick(l))) < floor end)
        hi, capped = over and over / 1.01 or 1e6, true
        if set_value(pick(0)) < floor then hi = 0 end
      end
      lambda = hi or 1e6
      top, reserve, sel = pick(lambda)
      ctx.attach_lambda = lambda
      if not attach_of(top) then
        guard_warned = true
        warn(ctx, capped and ("generate: the attach floor %.3g is not met: raising attach further would take the " ..
          "set's expected incremental profit below %.3g x the best analysts' list"):format(min_attach, cfg.profit_ratio)
          or ("generate: no set of %d bundles meets the attach floor %.3g; the closest was kept"):format(cfg.top,
                                                                                                     min_attach))
      end
    end
  end
  ctx.min_attach = min_attach or nil
  -- Offers that share items compete for the same customers: the list is
  -- built again one bundle at a time by its marginal expected incremental
  -- profit when offered together with the ones already chosen (the
  -- training model's joint simulation), the attach guard's weight kept.
  -- (a custom objective ranks on its own terms: the joint pass is the
  -- default objective's)
  if cfg.joint and not objective and #top > 0 then
    local jtop, jreserve, jsel = select_mod.joint(list, set_value, { top = cfg.top, reserve = cfg.reserve,
      max_per_item = cfg.max_per_item, min_lift = sel_opts.min_lift, min_discount = sel_opts.min_discount })
    -- a floor out of reach makes every bundle's Lagrange term negative, and
    -- the joint pass would then add none: the closest set found above stays
    if #jtop > 0 then top, reserve, sel = jtop, jreserve, jsel end
    if min_attach and min_attach > 0 and not guard_warned then
      local slack = 0
      for _, b in ipairs(top) do slack = slack + (b.slack or 0) end
      if slack < 0 then
        warn(ctx, ("generate: the chosen set attaches below the floor %.3g on the validation window"):format(min_attach))
      end
    end
    for _, b in ipairs(list) do b.score = b.base_score or b.score end
  elseif min_attach and min_attach > 0 then
    for _, b in ipairs(list) do b.score = b.base_score or b.score end
  end
  for _, w in ipairs(sel.warnings) do warn(ctx, "generate: " .. w) end
  if #top == 0 then error("pipeline: no bundle passed the selection rules; see the warnings", 0) end
  local chosen = {}
  local X = features.bundles(top, { catalog = ctx.catalog, baskets = ctx.train_baskets })
  local xs = X:totable()
  local sup, lift_col
  for j, name in ipairs(features.names) do
    if name == "support" then sup = j elseif name == "log_lift" then lift_col = j end
  end
  for i, b in ipairs(top) do
    local p = by_key[set_key(b.items)]
    local rec = {}
    for k, v in pairs(p) do rec[k] = v end
    rec.items = b.items
    rec.score = b.score
    rec.predicted_attach = ctx.takerate and ctx.takerate.rates[set_key(b.items)]
      or nil
    -- lift: the basket lift (the orders' own figure); visit_lift and its
    -- credible upper bound lift_upper are what the selection rule read
    rec.reasons = { support = sup and xs[i][sup], lift = b.basket_lift or (lift_col and math.exp(xs[i][lift_col])),
                    visit_lift = b.lift, lift_upper = b.lift_upper,
                    rules = rules_for(ctx, b.items), contributions = contributions(ctx, b.items) }
    chosen[i] = rec
  end
  -- the Pareto front of the pool on (support in the train window, expected incremental profit)
  local points, keys = {}, {}
  for _, b in ipairs(list) do
    local s = 0
    local p = by_key[set_key(b.items)]
    if p then
      s = p.take_rate
      points[#points + 1] = { s, p.incremental_profit }
      keys[#keys + 1] = b.items
    end
  end
  local front = {}
  if #points > 0 then
    local idx = core.pareto.front(points)
    for _, k in ipairs(idx) do
      front[#front + 1] = { attach = points[k][1], profit = points[k][2], items = table.concat(keys[k], "+") }
    end
  end
  ctx.front = front
  ctx.scored_pool = list
  ctx.bundles, ctx.reserve, ctx.search = chosen, reserve, res:stats()
  ctx.elasticity_dependence = M.elasticity_dependence(ctx)
  note(ctx, "generate: %d bundles chosen of %d candidates (%d in reserve), front of %d", #chosen, #pool, #reserve,
       #front)
end

-- How much of the chosen list's expected profit rests on its items' own
-- price response: the training model's value of the list (the offers
-- together, at their discounts) beside the same with every item at the
-- window's pooled elasticity. Where a list earns only because its items
-- measured more elastic than the shop's average, the report says so: an
-- item's own slope carries into later months only in part (lambda, as
-- validated), and a change of season can break even that (on Online
-- Retail's Christmas window a quarter of it carried over, against 0.6 at
-- three earlier cuts; docs/RESULTS.md). Training data only; nil when
-- every item already has one elasticity or nothing was chosen.
function M.elasticity_dependence(ctx)
  local el, pooled = ctx.demand and ctx.demand.elasticity, ctx.elasticity and ctx.elasticity.pooled
  if type(el) ~= "table" or type(pooled) ~= "number" or not ctx.bundles or #ctx.bundles == 0 then return nil end
  local offers, above, items, seen = {}, 0, 0, {}
  for k, b in ipairs(ctx.bundles) do
    offers[k] = { items = b.items, discount = b.discount or 0 }
    for _, it in ipairs(b.items) do
      if not seen[it] then
        seen[it], items = true, items + 1
        if (el[it] or pooled) > pooled then above = above + 1 end
      end
    end
  end
  local flat = {}
  for it in pairs(el) do flat[it] = pooled end
  local own = core.price.portfolio(offers, referee.price_opts(ctx.demand))
  local avg = core.price.portfolio(offers, referee.price_opts(ctx.demand, { elasticity = flat }))
  return { list = own.incremental_profit, pooled_elasticity = avg.incremental_profit, pooled = pooled,
           lambda = ctx.elasticity.lambda, items = items, items_above = above }
end

-- ---------------------------------------------------------------- evaluate

-- The referee's world: the test window's catalogue (its own mean prices;
-- the training price for an item the test window does not sell), supports
-- and elasticities. Built only here, after every decision is made.
local function test_world(ctx)
  local d = ctx.data
  local _, test_prices = window_catalog(ctx.test, d, false)
  local window = ctx.state.sales:split_by_time("time", day_text(ctx.cut + ctx.period)) -- train and test windows
  local cat, prices, costs = window_catalog(window, d, ctx.has_category, test_prices)
  -- the referee's own setting, not the decision's: changing how decisions
  -- estimate elasticity must not change the judge
  local mode = ctx.config.referee_elasticity
  if mode == "auto" then mode = ctx.elasticity_mode end
  local el = window_elasticity(ctx, ctx.test, prices, mode)
  local world = demand_model(ctx, cat, ctx.test_baskets, prices, costs, el)
  -- The referee describes the test window; it does not forecast from it.
  -- Shrinking a pair's joint count toward independence (pair_prior) is a
  -- forecast's device: a count that earned a pair its place on a list
  -- regresses in a later window. The lists were fixed before this window,
  -- so their counts here carry no selection, and shrinking them would only
  -- bias the judge against pairs whose lift is real (on development world
  -- 2 the referee put top-lift pairs' joint share at list price at 0.25 of
  -- what the test baskets hold, popular pairs' at 1.0). So the referee's
  -- pairs reproduce their own window's joint support, as the issue's model
  -- states (lift reproduced by construction).
  world.pair_prior = 0
  return world
end
M.test_world = test_world

-- Judges our bundles and every baseline with one referee: each list priced
-- by the same optimiser on the training model, scored by the test
-- window's model at that price and at list price, and counted in the test
-- baskets. The headline is incremental simulated profit.
function M.evaluate(ctx)
  local cfg = ctx.config
  local base = M.train_baselines(ctx)
  local ours = {}
  for i, b in ipairs(ctx.bundles) do ours[i] = { items = b.items } end
  local methods = { { "bundlerun", ours } }
  for _, name in ipairs(eval.baseline_names) do methods[#methods + 1] = { name, base[name] } end
  local world = test_world(ctx)
  local judged = referee.judge(methods, { train = ctx.demand, test = world, test_baskets = ctx.test_baskets,
                                          discount = cfg.discount })
  local results = {}
  for _, name in ipairs(judged.order) do
    local j = judged[name]
    results[name] = { attach_rate = j.attach_rate, hit_rate = j.hit_rate, coverage = j.coverage,
                      realised_margin = j.realised_margin, margin = j.realised_margin,
                      simulated_incremental_profit = j.incremental_profit, simulated_profit = j.profit,
                      list_incremental_profit = j.list_incremental_profit, mean_discount = j.mean_discount,
                      separate_incremental_profit = j.separate_incremental_profit,
                      bundles = j.bundles, per_bundle = j.per_bundle }
  end
  results.no_bundles = { hit_rate = 0, attach_rate = 0, coverage = 0, simulated_profit = 0,
                         simulated_incremental_profit = 0, margin = 0, realised_margin = 0, bundles = 0 }
  for i, p in ipairs(ctx.bundles) do
    local pb = judged.bundlerun.per_bundle[i]
    p.test_complete, p.test_attach_rate = pb.complete, pb.attach_rate
    p.test_incremental_profit = pb.incremental_profit
  end
  ctx.ratios = referee.ratios(judged, "bundlerun", { "incremental_profit", "attach_rate", "realised_margin" })
  -- the take-rate candidates' held-out scores (test), beside their
  -- validation ones in ctx.model_report.models; the choice is not revisited
  if ctx.takerate then
    local t = ctx.takerate
    t.model:score(t.bundles, { features = t.window.features, recent = t.window.recent, labels = ctx.test_baskets })
  end
  -- calibration: the candidates' predicted joint share at list price (the
  -- training model) against their share of the test baskets
  local cal_list = {}
  local step = math.max(1, #ctx.scored_pool // cfg.calibration_bundles)
  for i = 1, #ctx.scored_pool, step do cal_list[#cal_list + 1] = ctx.scored_pool[i].items end
  ctx.calibration = referee.calibration(cal_list, ctx.demand, ctx.test_baskets)
  ctx.baselines = base
  ctx.evaluation = results
  ctx.world = world
  local r = results.bundlerun
  -- a ratio to a baseline that loses money says nothing: then the baseline's own figure
  local ip = ctx.ratios.incremental_profit
  local vs = (ip.baseline or 0) > 0 and ("x%.2f best baseline"):format(ip.ratio or 0)
    or ("best baseline %s: %.0f"):format(ip.best_baseline or "-", ip.baseline or 0)
  note(ctx, "evaluate: incremental profit %.0f (%s), attach %.3f (x%.2f); calibration median %s",
       r.simulated_incremental_profit, vs, r.attach_rate,
       ctx.ratios.attach_rate.ratio or 0, ctx.calibration.median_ratio and ("%.2f"):format(ctx.calibration.median_ratio)
       or "-")
end

-- ---------------------------------------------------------------- adjust
-- Replays the test window through a Thompson-sampling bandit over the
-- offered bundles (reward: margin at the offered price when the basket
-- completes the bundle), retiring the weakest each sub-round and promoting
-- from the selection's reserve. Retired bundles stay out of later rounds.
function M.adjust(ctx)
  local cfg = ctx.config
  local reserve, next_reserve = ctx.reserve, 1
  local function promote(_, n)
    local out = {}
    while #out < n and next_reserve <= #reserve do
      local b = reserve[next_reserve]
      next_reserve = next_reserve + 1
      local p = referee.price({ b }, ctx.demand, cfg.discount)[1]
      out[#out + 1] = { items = b.items, price = p.price, cost = p.cost }
    end
    return out
  end
  local res = eval.bandit{ arms = ctx.bundles, baskets = ctx.test_baskets, policy = cfg.policy,
                           rounds = cfg.bandit_rounds, value = "margin", seed = ctx.seed, retire = cfg.retire,
                           promote = promote }
  ctx.bandit = res
  ctx.state.retired = ctx.state.retired or {}
  for _, r in ipairs(res.rounds) do
    for _, items in ipairs(r.retired) do ctx.state.retired[set_key(items)] = true end
  end
  note(ctx, "adjust: %s reward %.0f, static plan %.0f, best fixed bundle %.0f", res.policy, res.reward,
       res.static_reward, res.best_fixed_reward)
end

M.stages = { collect = M.collect, analyse = M.analyse, generate = M.generate, evaluate = M.evaluate,
             adjust = M.adjust }

-- The library holds no data set's names or conventions: the columns are
-- the caller's (bundle.orders.prepare's keys), plus the pipeline's own.
local data_defaults = { margin_rate = 0.4 }
local data_own = { margin_rate = 1, counts = 1, counts_options = 1 }

local config_defaults = {
  top = 10, reserve = 10, size = { 2, 4 },
  min_support = "auto", min_count = 5, want = { 200, 60, 20 },
  objective = false, max_per_item = 2, allow_anticomplements = false, max_price = false,
  min_attach = "auto", attach_ratio = 0.8, profit_ratio = 1.5, joint = true, visit_share = "auto", pair_prior = "auto",
  discount = { 0, 0.3 }, elasticity = "auto", referee_elasticity = "auto", elasticity_prior = 2.5, min_elasticity = 0.5,
  max_elasticity = 5, market = 2, customers = 20000, calibration_bundles = 300,
  model = "mlp", epochs = 60,
  policy = "thompson", bandit_rounds = 4, retire = 0.2, baseline_min_count = 5,
  currency = false, -- the report's currency label; default the data's (orders.prepare's `currency`)
}

local top_options = { data = 1, config = 1, stages = 1, rounds = 1, seed = 1, start = 1, period_days = 1,
                      label_days = 1, progress = 1, on_round = 1, warnings = 1 }

local function sorted_keys(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out)
  return table.concat(out, ", ")
end

local function check_config(cfg)
  local out = {}
  for k, v in pairs(config_defaults) do out[k] = v end
  for k, v in pairs(cfg or {}) do
    if config_defaults[k] == nil then
      error(("pipeline: unknown config option '%s' (%s)"):format(tostring(k), sorted_keys(config_defaults)), 3)
    end
    out[k] = v
  end
  if out.objective == false then out.objective = nil end
  if out.max_price == false then out.max_price = nil end
  local s = out.size
  if type(s) ~= "table" or math.type(s[1]) ~= "integer" or math.type(s[2]) ~= "integer" or s[1] < 2 or s[2] < s[1] then
    error("pipeline: config.size must be { min, max } item counts with 2 <= min <= max", 3)
  end
  if out.min_support ~= "auto" and not (type(out.min_support) == "number" and out.min_support > 0
                                        and out.min_support <= 1) then
    error("pipeline: config.min_support must be \"auto\" or a share in (0, 1]", 3)
  end
  if out.min_attach ~= "auto" and out.min_attach ~= false and not (type(out.min_attach) == "number"
                                                                  and out.min_attach >= 0 and out.min_attach <= 1) then
    error("pipeline: config.min_attach must be \"auto\", false or a share in [0, 1]", 3)
  end
  if out.visit_share ~= "auto" and not (type(out.visit_share) == "number" and out.visit_share > 0
                                        and out.visit_share <= 1) then
    error("pipeline: config.visit_share must be \"auto\" or a share in (0, 1]", 3)
  end
  if out.pair_prior ~= "auto" and not (type(out.pair_prior) == "number" and out.pair_prior >= 0
                                       and out.pair_prior < math.huge) then
    error("pipeline: config.pair_prior must be \"auto\" or a number >= 0", 3)
  end
  if out.profit_ratio ~= false and not (type(out.profit_ratio) == "number" and out.profit_ratio >= 0
                                         and out.profit_ratio < math.huge) then
    error("pipeline: config.profit_ratio must be false or a ratio >= 0", 3)
  end
  for _, key in ipairs{ "elasticity", "referee_elasticity" } do
    local v = out[key]
    if v ~= "auto" and v ~= "pooled" and v ~= "per_item" and not (type(v) == "number" and v > 0 and v < math.huge) then
      error(("pipeline: config.%s must be \"auto\", \"pooled\", \"per_item\" or a positive number"):format(key), 3)
    end
  end
  for _, k in ipairs{ "top", "reserve", "max_per_item", "min_count", "customers", "calibration_bundles" } do
    if math.type(out[k]) ~= "integer" or out[k] < (k == "reserve" and 0 or 1) then
      error(("pipeline: config.%s must be a positive integer, got %s"):format(k, tostring(out[k])), 3)
    end
  end
  if type(out.discount) ~= "table" or type(out.discount[1]) ~= "number" or type(out.discount[2]) ~= "number" then
    error("pipeline: config.discount must be { min, max }", 3)
  end
  if out.currency ~= false and (type(out.currency) ~= "string" or out.currency == "") then
    error("pipeline: config.currency must be the prices' currency as text (\"£\", \"EUR\") or false", 3)
  end
  if out.currency == false then out.currency = nil end
  return out
end

local function check_data(data)
  if type(data) ~= "table" then error("pipeline: data must be a table { orders =, basket =, item =, time =, ... }", 3) end
  local out = {}
  for k, v in pairs(data_defaults) do out[k] = v end
  for k, v in pairs(data) do
    if not prepare_keys[k] and not data_own[k] then
      local all = {}
      for n in pairs(prepare_keys) do all[n] = 1 end
      for n in pairs(data_own) do all[n] = 1 end
      error(("pipeline: unknown data option '%s' (%s)"):format(tostring(k), sorted_keys(all)), 3)
    end
    out[k] = v
  end
  if not (type(out.margin_rate) == "number" and out.margin_rate > 0 and out.margin_rate < 1) then
    error("pipeline: data.margin_rate must be in (0, 1)", 3)
  end
  return out
end

-- Runs one stage. A default stage's error is raised again at the line
-- that called the pipeline (level 3: run_stage <- run <- the caller), not
-- at the library line it came from: the script's line is the one to fix.
-- A stage the script gave keeps its own message and line.
local function run_stage(f, ctx, own)
  if own then return f(ctx) end
  local ok, err = pcall(f, ctx)
  if ok then return end
  if ctx.bar then ctx.bar:finish() end -- the message on a line of its own
  if type(err) ~= "string" then error(err, 0) end
  error((err:gsub("^[^\n]-lua/bundle/[%w_]+%.lua:%d+: ", "", 1)), 3)
end

-- run(spec) -> ctx with ctx.history (one entry per round: timings, model,
-- evaluation, bandit), ctx.bundles (the last round's), ctx.timing,
-- ctx.warnings.
function M.run(spec)
  if type(spec) ~= "table" then error("pipeline: expects a table { data =, stages =, rounds =, seed = }", 2) end
  for k in pairs(spec) do
    if not top_options[k] then
      error(("pipeline: unknown option '%s' (%s)"):format(tostring(k), sorted_keys(top_options)), 2)
    end
  end
  local stages = {}
  for name, f in pairs(spec.stages or {}) do
    if not M.stages[name] then
      error(("pipeline: unknown stage '%s' (collect, analyse, generate, evaluate, adjust)"):format(tostring(name)), 2)
    end
    if type(f) ~= "function" then error(("pipeline: stage '%s' must be a function(ctx)"):format(name), 2) end
    stages[name] = f
  end
  for name, f in pairs(M.stages) do stages[name] = stages[name] or f end
  local rounds = spec.rounds or 1
  if math.type(rounds) ~= "integer" or rounds < 1 then error("pipeline: rounds must be a positive integer", 2) end
  local seed = spec.seed or 1
  if math.type(seed) ~= "integer" then error("pipeline: seed must be an integer", 2) end
  if not (spec.progress == nil or type(spec.progress) == "boolean" or spec.progress == "bar" or spec.progress == "lines") then
    error(("pipeline: progress must be true, false, \"bar\" or \"lines\", got %s"):format(tostring(spec.progress)), 2)
  end
  if spec.data == nil and (spec.stages or {}).collect == nil then
    error("pipeline: give data = { orders =, basket =, item =, time = } (or replace the collect stage)", 2)
  end
  local data = check_data(spec.data or {})
  if stages.collect == M.collect and data.orders == nil then
    error("pipeline: data.orders must be a frame or a CSV path (or replace the collect stage)", 2)
  end
  local ctx = {
    data = data, config = check_config(spec.config), rounds = rounds, seed = seed,
    start = spec.start and parse_day(spec.start, "start") or nil, period = (spec.period_days or 30) * DAY,
    label_days = spec.label_days or 30, state = {}, history = {}, timing = {},
    progress = spec.progress, warnings = {}, print_warnings = spec.warnings ~= false,
  }
  -- progress (bundle.progress): a bar on a terminal, lines with --progress, else nothing
  local bar = progress.new("pipeline", rounds * #M.order, { mode = ctx.progress })
  ctx.progress = bar.mode ~= false
  ctx.bar = ctx.progress and bar or nil
  if not ctx.start and stages.collect == M.collect then
    error("pipeline: give start = \"YYYY-MM-DD\", the first test period's first day", 2)
  end
  core.seed(seed)
  for r = 1, rounds do
    ctx.round = r
    local times = {}
    for _, name in ipairs(M.order) do
      local t0 = core.clock()
      bar:start(("round %d/%d %s"):format(r, rounds, name))
      run_stage(stages[name], ctx, stages[name] ~= M.stages[name])
      bar:done()
      times[name] = core.clock() - t0
      ctx.timing[name] = (ctx.timing[name] or 0) + times[name]
    end
    local keep = { round = r, cut = ctx.cut and day_text(ctx.cut), timing = times, model = ctx.model_report,
                   evaluation = ctx.evaluation, bundles = ctx.bundles, front = ctx.front, ratios = ctx.ratios,
                   calibration = ctx.calibration and { median_ratio = ctx.calibration.median_ratio,
                                                       pooled_ratio = ctx.calibration.pooled_ratio,
                                                       within = ctx.calibration.within,
                                                       ratio_sd = ctx.calibration.ratio_sd,
                                                       median_seen = ctx.calibration.median_seen,
                                                       within_seen = ctx.calibration.within_seen,
                                                       bundles = ctx.calibration.bundles,
                                                       unobserved = ctx.calibration.unobserved },
                   candidates = ctx.candidates, elasticity = ctx.elasticity,
                   elasticity_dependence = ctx.elasticity_dependence }
    if ctx.bandit then
      keep.bandit = { reward = ctx.bandit.reward, static_reward = ctx.bandit.static_reward,
                      best_fixed_reward = ctx.bandit.best_fixed_reward, rounds = ctx.bandit.rounds }
    end
    ctx.history[r] = keep
    if spec.on_round then spec.on_round(ctx) end
  end
  bar:finish()
  return ctx
end

local function csv_field(v)
  local s = tostring(v == nil and "" or v)
  if s:find('[,"\n\r]') then s = '"' .. s:gsub('"', '""') .. '"' end
  return s
end

local function round_number(v) return type(v) == "number" and tonumber(("%.6g"):format(v)) or v end

-- write(ctx, dir) -> paths: out/bundles.csv, out/summary.json and
-- out/report.html, all or nothing: they are written into a new directory
-- beside dir ("out.new.XXXXXX"), which then replaces dir with one rename
-- (the old one is removed after; its other files stay), so a full disk or
-- a kill never leaves a new bundles.csv beside an old summary.json. When
-- no directory can be made beside dir (a sandbox that may write only in
-- dir), each file is still replaced atomically, one by one.
function M.write(ctx, dir)
  -- checked here so that a call with its arguments swapped names the
  -- argument, not a line inside this file
  if type(ctx) ~= "table" or type(ctx.bundles) ~= "table" then
    error(("pipeline.write: argument 1 must be a pipeline context (the table bundle.pipeline returns), got a %s")
      :format(type(ctx)), 2)
  end
  if dir ~= nil and type(dir) ~= "string" then
    error(("pipeline.write: argument 2 must be a directory path (a string), got a %s"):format(type(dir)), 2)
  end
  dir = (dir or "out"):gsub("(.)/+$", "%1")
  local made, tmp
  local ok, err = pcall(function()
    core.mkdir(dir)
    made, tmp = pcall(core.dir_temp_beside, dir)
    local into = made and tmp or dir
    local head = { "rank", "items", "price", "list_price", "discount", "take_rate", "predicted_attach", "profit",
                   "incremental_profit", "test_attach_rate", "test_incremental_profit", "support", "lift", "reasons" }
    local lines = { table.concat(head, ",") }
    local report = require "bundle.report"
    for i, b in ipairs(ctx.bundles) do
      local r = b.reasons or {}
      local row = { i, table.concat(b.items, "+"), b.price, b.list_price, b.discount, b.take_rate, b.predicted_attach,
                    b.profit, b.incremental_profit, b.test_attach_rate, b.test_incremental_profit, r.support, r.lift,
                    report.reasons_text(b) }
      for k = 1, #head do row[k] = csv_field(round_number(row[k])) end
      lines[#lines + 1] = table.concat(row, ",")
    end
    local paths = { bundles = into .. "/bundles.csv", summary = into .. "/summary.json",
                    report = into .. "/report.html" }
    core.write_file(paths.bundles, table.concat(lines, "\n") .. "\n")
    local rounds = {}
    for r, h in ipairs(ctx.history) do
      local ev = {}
      for name, e in pairs(h.evaluation or {}) do
        ev[name] = { attach_rate = e.attach_rate, hit_rate = e.hit_rate, coverage = e.coverage,
                     simulated_profit = e.simulated_profit,
                     simulated_incremental_profit = e.simulated_incremental_profit,
                     list_incremental_profit = e.list_incremental_profit, realised_margin = e.realised_margin,
                     mean_discount = e.mean_discount, bundles = e.bundles }
      end
      local m = h.model or {}
      rounds[r] = { cut = h.cut, timing = h.timing, evaluation = ev, ratios = h.ratios, calibration = h.calibration,
                    candidates = h.candidates and { min_count = h.candidates.min_count,
                                                    min_support = h.candidates.min_support,
                                                    chosen = h.candidates.chosen, counts = h.candidates.counts },
                    elasticity = h.elasticity and { source = h.elasticity.source, items = h.elasticity.items,
                                                    pooled = h.elasticity.pooled, prior = h.elasticity.prior },
                    -- the list's expected profit per visitor with each item's own elasticity and with the pooled one
                    elasticity_dependence = h.elasticity_dependence,
                    bandit = h.bandit and {
                      reward = h.bandit.reward, static_reward = h.bandit.static_reward,
                      best_fixed_reward = h.bandit.best_fixed_reward },
                    model = { kind = m.kind, rmse = m.rmse, popularity_rmse = m.popularity_rmse,
                              constant_rmse = m.constant_rmse, candidates = m.candidates, models = m.models } }
    end
    local top = {}
    for i, b in ipairs(ctx.bundles) do
      top[i] = { items = b.items, price = b.price, list_price = b.list_price, discount = b.discount,
                 take_rate = b.take_rate, profit = b.profit, incremental_profit = b.incremental_profit,
                 predicted_attach = b.predicted_attach, reasons = report.reasons_text(b) }
    end
    require("bundle.json").write(paths.summary, { version = core.version, seed = ctx.seed, rounds = rounds,
                                                  bundles = top, timing = ctx.timing, warnings = ctx.warnings })
    report.html(paths.report, ctx)
    if made then core.dir_replace(tmp, dir) end
  end)
  if not ok then
    if made then pcall(core.dir_discard, tmp) end
    -- the message names the file as the caller knows it, at the caller's line
    err = tostring(err):gsub("^[^\n]-%.lua:%d+: ", "", 1)
    if made then
      local at = err:find(tmp, 1, true)
      if at then err = err:sub(1, at - 1) .. dir .. err:sub(at + #tmp) end
    end
    error(err, 2)
  end
  return { bundles = dir .. "/bundles.csv", summary = dir .. "/summary.json", report = dir .. "/report.html" }
end

return setmetatable(M, { __call = function(_, spec) return M.run(spec) end })
