-- bundle.pipeline: the closed loop, round after round:
--
--     collect -> analyse -> generate -> evaluate -> adjust -> (collect ...)
--
-- Each stage is a function(ctx) on one shared context; ctx.state carries
-- from round to round. The default stages (bundle.pipeline.stages) run the
-- whole loop on order lines; a script replaces any of them by name and
-- keeps the rest. Round r trains on everything before its cut and tests on
-- the `period_days` after it; the cut moves one period each round.
--
--   local ctx = bundle.pipeline{ data = { orders = "orders.csv.gz" }, rounds = 3, seed = 1,
--                                stages = { generate = my_generate } }
local core = require "bundle.core"
local T = core.tensor
local eval = require "bundle.eval"
local features = require "bundle.features"

local M = {}

M.order = { "collect", "analyse", "generate", "evaluate", "adjust" }

local DAY = 86400

local function note(ctx, fmt, ...)
  if ctx.progress then io.stderr:write(("[round %d/%d] "):format(ctx.round, ctx.rounds) .. fmt:format(...) .. "\n") end
end

local function parse_day(s, what)
  local y, m, d = tostring(s):match("^(%d%d%d%d)-(%d%d)-(%d%d)$")
  if not y then error(("pipeline: %s must be a date YYYY-MM-DD, got %s"):format(what, tostring(s)), 4) end
  -- days since the epoch (UTC), as the frame's datetime columns count seconds
  local a = (14 - tonumber(m)) // 12
  local yy, mm = tonumber(y) + 4800 - a, tonumber(m) + 12 * a - 3
  local jdn = tonumber(d) + (153 * mm + 2) // 5 + 365 * yy + yy // 4 - yy // 100 + yy // 400 - 32045
  return (jdn - 2440588) * DAY
end
M.parse_day = parse_day

local function day_text(t) return os.date("!%Y-%m-%d", t) end

-- ---------------------------------------------------------------- collect
-- Reads the orders once; keeps sale lines (no cancellations, quantity and
-- price > 0); builds the catalogue (median... here mean unit price, cost
-- from margin_rate) over every item; then cuts this round's windows.
function M.collect(ctx)
  local d = ctx.data
  if not ctx.state.sales then
    local orders = d.orders
    if type(orders) == "string" then orders = core.read_csv(orders) end
    local sale = orders:col(d.quantity):gt(0):and_(orders:col(d.unit_price):gt(0))
    if d.cancelled_prefix then sale = sale:and_(orders:col(d.basket):lt(d.cancelled_prefix)) end
    local sales = orders:filter(sale)
    if d.item_pattern then -- e.g. stock codes of products, not postage or fees
      local keep = {}
      for _, v in ipairs(sales:col(d.item):unique():totable()) do
        if tostring(v):match(d.item_pattern) then keep[#keep + 1] = v end
      end
      sales = sales:filter(sales:col(d.item):isin(keep))
    end
    local items = sales:group_by(d.item):agg{ price = { "mean", d.unit_price } }
    ctx.state.sales = sales
    ctx.state.catalog = core.catalog(items, { item = d.item, price = "price", margin = d.margin_rate })
    ctx.state.item_price = {}
    local il, ip = items:col(d.item):totable(), items:col("price"):totable()
    for i = 1, #il do ctx.state.item_price[tostring(il[i])] = ip[i] end
    local times = sales:col(d.time):tensor()
    ctx.state.first_time, ctx.state.last_time = times:min(), times:max()
  end
  local sales = ctx.state.sales
  local cut = ctx.start + (ctx.round - 1) * ctx.period
  local spec = { basket = d.basket, item = d.item, user = d.user, time = d.time, quantity = d.quantity,
                 price = d.unit_price }
  local train, rest = sales:split_by_time(d.time, day_text(cut))
  local test = rest:split_by_time(d.time, day_text(cut + ctx.period))
  local label_cut = cut - ctx.label_days * DAY
  local early, late = train:split_by_time(d.time, day_text(label_cut))
  ctx.cut, ctx.train, ctx.test = cut, train, test
  ctx.train_baskets = core.baskets(train, spec)
  ctx.test_baskets = core.baskets(test, spec)
  ctx.early_baskets = core.baskets(early, spec)
  ctx.late_baskets = core.baskets(late, spec)
  ctx.catalog = ctx.state.catalog
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

-- the single prediction of a 1-row input (models return n or n x 1)
local function first(t) return t:dim() == 1 and t:get(1) or t:get(1, 1) end

local function rmse(a, b)
  local s = 0
  for i = 1, #a do s = s + (a[i] - b[i]) ^ 2 end
  return math.sqrt(s / math.max(1, #a))
end

-- A model of the next window's attach rate from the bundle features: the
-- candidates are the frequent itemsets of the early window, the labels
-- their attach rate in the late window (the last label_days before the
-- cut). 80% train the model, 20% measure it beside a popularity-only
-- predictor (a line through the bundle's support).
function M.analyse(ctx)
  local cfg = ctx.config
  local sets = ctx.early_baskets:frequent{ min_support = cfg.min_support, min_size = 2, max_size = cfg.size[2] }
  local cand = itemset_list(sets)
  if #cand < 10 then error(("pipeline: only %d candidate bundles before %s; lower min_support"):format(
    #cand, day_text(ctx.cut - ctx.label_days * DAY)), 0) end
  local X = features.bundles(cand, { catalog = ctx.catalog, baskets = ctx.early_baskets })
  local bt = eval.backtest(cand, ctx.late_baskets, { metrics = { "attach_rate" } })
  local y = {}
  for i, b in ipairs(bt.bundles) do y[i] = b.attach_rate end
  local Y = T.from(y)
  local Xtr, Xte, ytr, yte = require("bundle").split(X, Y, { test = 0.2, seed = ctx.seed })
  -- standardised inputs; a constant feature (no categories, say) keeps scale 1
  local mu, sd = Xtr:mean(1, { keepdim = true }), Xtr:std(1, { keepdim = true })
  sd = sd + sd:eq(0)
  local sc = { transform = function(_, X) return (X - mu) / sd end }
  local Ztr = sc:transform(Xtr)
  local kind = cfg.model
  local model
  if kind == "linear" then model = core.model.linear{ l2 = 1e-3 }
  elseif kind == "mlp" then
    model = core.model.mlp{ layers = { 32 }, activation = "relu", loss = "mse", optimizer = "adam", lr = 3e-3,
                            epochs = cfg.epochs, batch = 32, seed = ctx.seed, validation = 0.2 }
  else error(("pipeline: model must be \"linear\" or \"mlp\", got %s"):format(tostring(kind)), 0) end
  local history = model:fit(Ztr, ytr)
  local pred = model:predict(sc:transform(Xte)):reshape(-1):totable()
  -- popularity only: a least-squares line through support (feature 2)
  local pop = core.model.linear{}
  pop:fit(Xtr:narrow(2, 2, 1), ytr)
  local ppred = pop:predict(Xte:narrow(2, 2, 1)):reshape(-1):totable()
  local truth = yte:totable()
  local mean = ytr:mean()
  local const = {}
  for i = 1, #truth do const[i] = mean end
  ctx.model, ctx.scaler = model, sc
  ctx.model_report = { kind = kind, candidates = #cand, train = Xtr:size(1), test = Xte:size(1),
                       rmse = rmse(pred, truth), popularity_rmse = rmse(ppred, truth),
                       constant_rmse = rmse(const, truth), history = history }
  ctx.rules = ctx.train_baskets:rules{ min_support = cfg.min_support, max_size = cfg.size[2],
                                       min_confidence = 0.1 }
  ctx.pool = ctx.train_baskets:frequent{ min_support = cfg.min_support, min_size = 2, max_size = cfg.size[2] }
  note(ctx, "analyse: %d labelled candidates; %s rmse %.4f (popularity only %.4f)", #cand, kind,
       ctx.model_report.rmse, ctx.model_report.popularity_rmse)
end

-- ---------------------------------------------------------------- generate
-- A bundle's key whatever the order of its items.
local function set_key(items)
  local s = {}
  for i, it in ipairs(items) do s[i] = tostring(it) end
  table.sort(s)
  return table.concat(s, "\0")
end

-- The predicted attach rate of a bundle view (features on the train window).
local function predictor(ctx)
  local row = T.zeros(1, #features.names)
  local model, sc = ctx.model, ctx.scaler
  return function(b)
    b:features(row)
    local p = first(model:predict(sc:transform(row)))
    return p > 0 and p or 0
  end
end

-- The largest contributions to a bundle's prediction: for a linear model,
-- coefficient x standardised feature; for others, the change when the
-- feature is set to its mean (one at a time).
local function contributions(ctx, x)
  local sc, model = ctx.scaler, ctx.model
  local z = sc:transform(T.from{ x })
  local base = first(model:predict(z))
  local out = {}
  for j, name in ipairs(features.names) do
    local zz = z:clone()
    zz:set(1, j, 0)
    out[#out + 1] = { name = name, value = x[j], effect = base - first(model:predict(zz)) }
  end
  table.sort(out, function(a, b) return math.abs(a.effect) > math.abs(b.effect) end)
  return { out[1], out[2], out[3] }
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

-- Searches the train window's frequent itemsets for the bundles that
-- maximise predicted attach rate x expected profit (or config.objective),
-- never offering a bundle an earlier round retired; prices them; records
-- the Pareto front of (predicted attach, expected profit) and each
-- bundle's reasons.
function M.generate(ctx)
  local cfg = ctx.config
  local attach = predictor(ctx)
  local retired = ctx.state.retired or {}
  -- the pool: the train window's frequent itemsets, plus (pair_min_count)
  -- the highest-lift pairs seen in at least that many baskets, which is
  -- where the analysts' top-lift list comes from; less retired bundles
  local pool, seen = {}, {}
  local function add(items)
    local key = table.concat(items, "+")
    if not retired[key] and not seen[key] then seen[key] = true; pool[#pool + 1] = items end
  end
  for _, s in ctx.pool:iter() do add(s.items) end
  if cfg.pair_min_count then
    local rules = ctx.train_baskets:rules{ min_count = cfg.pair_min_count, max_size = 2, min_confidence = 1e-9 }
    local added = 0
    for _, r in rules:iter() do -- best lift first
      local x, y = r.lhs[1], r.rhs[1]
      if x > y then x, y = y, x end
      if not seen[x .. "+" .. y] and not seen[y .. "+" .. x] then add{ x, y }; added = added + 1 end
      if added == cfg.pair_pool then break end
    end
  end
  -- what one offer earns: "margin" is support x margin x ln(lift)^lift_weight
  -- (ln(lift) rewards complementary items); "demand" is the profit per
  -- visit at the best discount under the reservation-price demand of the
  -- train window, the model the evaluation simulates the offers with
  local lw, value = cfg.lift_weight, cfg.value
  local demand
  if value == "demand" then
    demand = {}
    local priced = core.price.optimize(pool, { catalog = ctx.catalog, baskets = ctx.train_baskets,
                                               discount = cfg.discount, customers = 2000, seed = ctx.seed,
                                               max_elasticity = cfg.max_elasticity })
    for i, p in ipairs(priced) do demand[set_key(pool[i])] = p.profit end
  elseif value ~= "margin" then
    error(("pipeline: config.value must be \"margin\" or \"demand\", got %s"):format(tostring(value)), 0)
  end
  local objective = cfg.objective or function(b, attach_of)
    local a = attach_of(b) ^ cfg.attach_weight
    if demand then return a * (demand[set_key(b.items)] or 0) end
    local s = a * b:support() * (b:price() - b:cost())
    if lw ~= 0 then s = s * math.log(math.max(b:lift(), 1 + 1e-9)) ^ lw end
    return s
  end
  if type(objective) == "table" then objective = objective.score end
  local res = core.search{ catalog = ctx.catalog, baskets = ctx.train_baskets, pool = pool,
                           size = cfg.size, top = cfg.top + cfg.reserve,
                           objective = function(b) return objective(b, attach) end,
                           constraints = { max_price = cfg.max_price }, max_overlap = cfg.max_overlap }
  local list = {}
  for _, b in res:iter() do list[#list + 1] = { items = b.items, score = b.score } end
  local top, reserve = {}, {}
  for i, b in ipairs(list) do
    if i <= cfg.top then top[#top + 1] = b else reserve[#reserve + 1] = b end
  end
  if #top == 0 then error("pipeline: the search found no bundles", 0) end
  -- prices from the reservation-price demand on the train window
  local priced = core.price.optimize(top, { catalog = ctx.catalog, baskets = ctx.train_baskets,
    discount = cfg.discount, seed = ctx.seed, max_elasticity = cfg.max_elasticity })
  local X = features.bundles(top, { catalog = ctx.catalog, baskets = ctx.train_baskets })
  local xs = X:totable()
  local sup = X:select(2, 2):totable()
  local lift = X:select(2, 3):exp():totable()
  for i, p in ipairs(priced) do
    local row = T.from{ xs[i] }
    p.score = top[i].score
    p.predicted_attach = math.max(0, first(ctx.model:predict(ctx.scaler:transform(row))))
    p.reasons = { support = sup[i], lift = lift[i], rules = rules_for(ctx, p.items),
                  contributions = contributions(ctx, xs[i]) }
  end
  -- the Pareto front of the pool on (predicted attach, expected profit)
  local pr = core.search{ catalog = ctx.catalog, baskets = ctx.train_baskets, pool = pool, size = cfg.size,
    top = 1, objectives = { attach = function(b) return attach(b) end, profit = "expected_profit" } }
  local front = {}
  for _, b in ipairs(pr:pareto{ "attach", "profit" }) do
    front[#front + 1] = { attach = b.scores.attach, profit = b.scores.profit, items = table.concat(b.items, "+") }
  end
  ctx.front = front
  ctx.bundles, ctx.reserve, ctx.search = priced, reserve, res:stats()
  note(ctx, "generate: %d bundles priced, %d in reserve, front of %d", #priced, #reserve, #front)
end

-- ---------------------------------------------------------------- evaluate
-- Backtests our bundles and the baselines on the test window; simulates
-- the priced offers through the demand model on the test customers.
function M.evaluate(ctx)
  local cfg = ctx.config
  local base = eval.baselines(ctx.train_baskets, { k = cfg.top, min_count = cfg.baseline_min_count })
  -- baselines sell at component prices (no discount): price and cost per bundle
  for _, key in ipairs{ "popular_pairs", "top_lift", "one_bundle" } do
    if #base[key] > 0 then
      base[key] = core.price.baseline(base[key], { catalog = ctx.catalog, baskets = ctx.train_baskets, discount = 0,
                                                   max_elasticity = cfg.max_elasticity })
    end
  end
  local methods = { { "bundlerun", ctx.bundles }, { "popular_pairs", base.popular_pairs },
                    { "top_lift", base.top_lift }, { "one_bundle", base.one_bundle } }
  local results = {}
  for _, m in ipairs(methods) do
    local name, list = m[1], m[2]
    local bt = eval.backtest(list, ctx.test_baskets)
    local sim = eval.simulate(list, ctx.test_baskets, { catalog = ctx.catalog, seed = ctx.seed,
                                                        max_elasticity = cfg.max_elasticity })
    local comp = eval.completion(list, ctx.test_baskets, { k = 10, seed = ctx.seed })
    results[name] = { hit_rate = bt.hit_rate, attach_rate = bt.attach_rate, coverage = bt.coverage,
                      item_coverage = bt.item_coverage, diversity = bt.diversity, revenue = bt.revenue,
                      margin = bt.margin, simulated_profit = sim.profit,
                      simulated_incremental_profit = sim.incremental_profit, completion_hit = comp.hit,
                      completion_ndcg = comp.ndcg, bundles = #list, per_bundle = bt.bundles }
  end
  results.no_bundles = { hit_rate = 0, attach_rate = 0, coverage = 0, simulated_profit = 0,
                         simulated_incremental_profit = 0, margin = 0, revenue = 0, bundles = 0 }
  for i, p in ipairs(ctx.bundles) do
    local pb = results.bundlerun.per_bundle[i]
    p.test_complete, p.test_attach_rate = pb.complete, pb.attach_rate
  end
  ctx.baselines = base
  ctx.evaluation = results
  local r = results.bundlerun
  note(ctx, "evaluate: attach %.3f (popular %.3f, top-lift %.3f); simulated profit %.0f (popular %.0f, top-lift %.0f)",
       r.attach_rate, results.popular_pairs.attach_rate, results.top_lift.attach_rate, r.simulated_profit,
       results.popular_pairs.simulated_profit, results.top_lift.simulated_profit)
end

-- ---------------------------------------------------------------- adjust
-- Replays the test window through a Thompson-sampling bandit over the
-- offered bundles (reward: margin at the offered price when the basket
-- completes the bundle), retiring the weakest each sub-round and promoting
-- from the search's reserve. Retired bundles stay out of later rounds.
function M.adjust(ctx)
  local cfg = ctx.config
  local reserve, next_reserve = ctx.reserve, 1
  local function promote(_, n)
    local out = {}
    while #out < n and next_reserve <= #reserve do
      local b = reserve[next_reserve]
      next_reserve = next_reserve + 1
      local p = 0
      for _, it in ipairs(b.items) do p = p + (ctx.state.item_price[it] or 0) end
      out[#out + 1] = { items = b.items, price = p * (1 - 0.1), cost = p * (1 - ctx.data.margin_rate) }
    end
    return out
  end
  local res = eval.bandit{ arms = ctx.bundles, baskets = ctx.test_baskets, policy = cfg.policy,
                           rounds = cfg.bandit_rounds, value = "margin", seed = ctx.seed, retire = cfg.retire,
                           promote = promote }
  ctx.bandit = res
  ctx.state.retired = ctx.state.retired or {}
  for _, r in ipairs(res.rounds) do
    for _, items in ipairs(r.retired) do ctx.state.retired[table.concat(items, "+")] = true end
  end
  note(ctx, "adjust: %s reward %.0f, static plan %.0f, best fixed bundle %.0f", res.policy, res.reward,
       res.static_reward, res.best_fixed_reward)
end

M.stages = { collect = M.collect, analyse = M.analyse, generate = M.generate, evaluate = M.evaluate,
             adjust = M.adjust }

local defaults = {
  data = { basket = "InvoiceNo", item = "StockCode", user = "CustomerID", time = "InvoiceDate",
           quantity = "Quantity", unit_price = "UnitPrice", margin_rate = 0.4, cancelled_prefix = "C",
           item_pattern = "^%d%d%d" },
  config = { top = 10, reserve = 10, size = { 2, 3 }, min_support = 0.01, model = "mlp", epochs = 60, attach_weight = 2, lift_weight = 0,
             value = "margin", pair_min_count = false, pair_pool = 500,
             discount = { 0, 0.3 }, max_overlap = 1, policy = "thompson", bandit_rounds = 4, retire = 0.2,
             baseline_min_count = 5 },
}

local top_options = { data = 1, config = 1, stages = 1, rounds = 1, seed = 1, start = 1, period_days = 1,
                      label_days = 1, progress = 1, on_round = 1 }

local function merge(into, from, what)
  local out = {}
  for k, v in pairs(into) do out[k] = v end
  for k, v in pairs(from or {}) do
    if into[k] == nil and what ~= "data" and what ~= "config" then
      error(("pipeline: unknown %s option '%s'"):format(what, tostring(k)), 3)
    end
    out[k] = v
  end
  return out
end

-- run(spec) -> ctx with ctx.history (one entry per round: timings, model,
-- evaluation, bandit), ctx.bundles (the last round's), ctx.timing.
function M.run(spec)
  if type(spec) ~= "table" then error("pipeline: expects a table { data =, stages =, rounds =, seed = }", 2) end
  for k in pairs(spec) do
    if not top_options[k] then error(("pipeline: unknown option '%s'"):format(tostring(k)), 2) end
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
  local data = merge(defaults.data, spec.data, "data")
  if spec.data and spec.data.orders == nil and (spec.stages or {}).collect == nil then
    error("pipeline: data.orders must be a frame or a CSV path (or replace the collect stage)", 2)
  end
  local ctx = {
    data = data, config = merge(defaults.config, spec.config, "config"), rounds = rounds, seed = seed,
    start = spec.start and parse_day(spec.start, "start") or nil, period = (spec.period_days or 30) * DAY,
    label_days = spec.label_days or 30, state = {}, history = {}, timing = {},
    progress = spec.progress,
  }
  if ctx.progress == nil then
    -- progress on stderr only when it is a terminal (no isatty in plain Lua: ask test(1))
    ctx.progress = os.getenv("TERM") ~= nil and os.execute("test -t 2") == true
  end
  if not ctx.start and stages.collect == M.collect then
    error("pipeline: give start = \"YYYY-MM-DD\", the first test period's first day", 2)
  end
  core.seed(seed)
  for r = 1, rounds do
    ctx.round = r
    local times = {}
    for _, name in ipairs(M.order) do
      local t0 = core.clock()
      stages[name](ctx)
      times[name] = core.clock() - t0
      ctx.timing[name] = (ctx.timing[name] or 0) + times[name]
    end
    local keep = { round = r, cut = ctx.cut and day_text(ctx.cut), timing = times, model = ctx.model_report,
                   evaluation = ctx.evaluation, bundles = ctx.bundles, front = ctx.front }
    if ctx.bandit then
      keep.bandit = { reward = ctx.bandit.reward, static_reward = ctx.bandit.static_reward,
                      best_fixed_reward = ctx.bandit.best_fixed_reward, rounds = ctx.bandit.rounds }
    end
    ctx.history[r] = keep
    if spec.on_round then spec.on_round(ctx) end
  end
  return ctx
end

local function csv_field(v)
  local s = tostring(v == nil and "" or v)
  if s:find('[,"\n\r]') then s = '"' .. s:gsub('"', '""') .. '"' end
  return s
end

local function round_number(v) return type(v) == "number" and tonumber(("%.6g"):format(v)) or v end

-- write(ctx, dir) -> paths: out/bundles.csv, out/summary.json and
-- out/report.html, each written atomically (temporary file, fsync, rename).
function M.write(ctx, dir)
  dir = dir or "out"
  core.mkdir(dir)
  local head = { "rank", "items", "price", "list_price", "discount", "take_rate", "predicted_attach", "profit",
                 "incremental_profit", "test_attach_rate", "support", "lift", "reasons" }
  local lines = { table.concat(head, ",") }
  local report = require "bundle.report"
  for i, b in ipairs(ctx.bundles) do
    local r = b.reasons or {}
    local row = { i, table.concat(b.items, "+"), b.price, b.list_price, b.discount, b.take_rate, b.predicted_attach,
                  b.profit, b.incremental_profit, b.test_attach_rate, r.support, r.lift, report.reasons_text(b) }
    for k, v in ipairs(row) do row[k] = csv_field(round_number(v)) end
    lines[#lines + 1] = table.concat(row, ",")
  end
  local paths = { bundles = dir .. "/bundles.csv", summary = dir .. "/summary.json", report = dir .. "/report.html" }
  core.write_file(paths.bundles, table.concat(lines, "\n") .. "\n")
  local rounds = {}
  for r, h in ipairs(ctx.history) do
    local ev = {}
    for name, e in pairs(h.evaluation or {}) do
      ev[name] = { attach_rate = e.attach_rate, hit_rate = e.hit_rate, coverage = e.coverage,
                   simulated_profit = e.simulated_profit, margin = e.margin, diversity = e.diversity,
                   completion_hit = e.completion_hit }
    end
    local m = h.model or {}
    rounds[r] = { cut = h.cut, timing = h.timing, evaluation = ev, bandit = h.bandit and {
                    reward = h.bandit.reward, static_reward = h.bandit.static_reward,
                    best_fixed_reward = h.bandit.best_fixed_reward },
                  model = { kind = m.kind, rmse = m.rmse, popularity_rmse = m.popularity_rmse,
                            constant_rmse = m.constant_rmse, candidates = m.candidates } }
  end
  local top = {}
  for i, b in ipairs(ctx.bundles) do
    top[i] = { items = b.items, price = b.price, discount = b.discount, take_rate = b.take_rate, profit = b.profit,
               predicted_attach = b.predicted_attach, reasons = report.reasons_text(b) }
  end
  require("bundle.json").write(paths.summary, { version = core.version, seed = ctx.seed, rounds = rounds,
                                                bundles = top, timing = ctx.timing })
  report.html(paths.report, ctx)
  return paths
end

return setmetatable(M, { __call = function(_, spec) return M.run(spec) end })
