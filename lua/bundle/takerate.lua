-- bundle.takerate: the next window's take rate of candidate bundles, as a
-- binomial target, with the model chosen on a later window.
--
-- A bundle's label is c completions out of n baskets that touch it in the
-- label window (eval.backtest's complete and touched). Every candidate model
-- is fitted on a training pair of windows (features from one, labels from
-- the next) and scored on a later validation pair by log-loss weighted by
-- n (the binomial deviance per touching basket) and by the RMSE of the
-- rate. The best on validation is kept; when no learned model beats the
-- best trivial one (constant, popularity only), the trivial one is used and
-- the report says so. Learned models have to earn their place.
--
-- Features are named (takerate.feature_names): bundle.features.bundles'
-- columns, picked by name, plus window statistics computed here.
local core = require "bundle.core"
local features = require "bundle.features"
local eval = require "bundle.eval"

local T = core.tensor
local M = {}

local DAY = 86400

-- ---------------------------------------------------------------- features

-- Columns of bundle.features.bundles the model reads, by name (the column
-- order of that tensor is not part of the contract, the names are).
local BASE = { "size", "support", "log_lift", "log_min_pair_lift", "log_mean_pair_lift", "price", "margin_rate",
               "min_item_support", "categories", "confidence", "customer_overlap" }

-- Window statistics: the take rate already seen (attach_now), confidence
-- both ways (the best and the worst "buyers of one item also take the
-- rest"), and the trend of the bundle's sales (last recent_days vs the
-- whole window, log ratio of rates).
local EXTRA = { "attach_now", "log_touched", "confidence_max", "confidence_min", "trend" }

M.feature_names = {}
for _, n in ipairs(BASE) do M.feature_names[#M.feature_names + 1] = n end
for _, n in ipairs(EXTRA) do M.feature_names[#M.feature_names + 1] = n end

local function column_of(name)
  for j, n in ipairs(features.names) do if n == name then return j end end
  error("takerate: bundle.features has no column '" .. name .. "'", 0)
end

local function item_counts(baskets)
  local f = baskets:item_support()
  local items, counts = f:col("item"):totable(), f:col("count"):totable()
  local out = {}
  for i, it in ipairs(items) do out[tostring(it)] = counts[i] end
  return out
end

-- The feature rows of `list` on one window { features = Baskets, recent =
-- Baskets or nil }: a list of rows (tables by position in feature_names)
-- and, per bundle, the facts the explanations quote.
local function window_features(list, window, catalog)
  local X = features.bundles(list, { catalog = catalog, baskets = window.features })
  local cols = {}
  for k, n in ipairs(BASE) do cols[k] = column_of(n) end
  local bt = eval.backtest(list, window.features, { metrics = { "attach_rate" } }).bundles
  local nb = math.max(1, window.features:size())
  local rbt, nr
  if window.recent then
    rbt = eval.backtest(list, window.recent, { metrics = { "attach_rate" } }).bundles
    nr = math.max(1, window.recent:size())
  end
  local counts = item_counts(window.features)
  local rows, facts = {}, {}
  for i, b in ipairs(list) do
    local items = b.items or b
    local row = {}
    for k, j in ipairs(cols) do row[k] = X:get(i, j) end
    local c, n = bt[i].complete, bt[i].touched
    -- attach_now: smoothed towards 0 with one pseudo-basket so that a
    -- bundle touched once is not "always taken"
    local attach = c / (n + 1)
    local cmax, cmin, amax, amin = 0, 1, nil, nil
    for _, it in ipairs(items) do
      local ci = counts[tostring(it)] or 0
      local conf = ci > 0 and c / ci or 0
      if conf >= cmax then cmax, amax = conf, it end
      if conf <= cmin then cmin, amin = conf, it end
    end
    local trend = 0
    if rbt then
      -- log of (recent rate / window rate), both with half a basket added,
      -- so a bundle unseen recently reads as falling, not as -inf
      trend = math.log(((rbt[i].complete + 0.5) / nr) / ((c + 0.5) / nb))
    end
    local extra = { attach, math.log(1 + n), cmax, cmin, trend }
    for k, v in ipairs(extra) do row[#BASE + k] = v end
    rows[i] = row
    facts[i] = { items = items, complete = c, touched = n, best_item = amax, worst_item = amin,
                 lift = math.exp(row[3]), confidence_max = cmax, trend = trend, attach = attach }
  end
  return rows, facts
end

-- Labels on the label window: completions and touching baskets.
local function labels(list, baskets)
  local bt = eval.backtest(list, baskets, { metrics = { "attach_rate" } }).bundles
  local c, n = {}, {}
  for i = 1, #list do c[i], n[i] = bt[i].complete, bt[i].touched end
  return c, n
end

-- ---------------------------------------------------------------- scores

local EPS = 1e-6
local function clamp(p) return math.min(1 - EPS, math.max(EPS, p)) end

-- Binomial log-loss per touching basket, and the RMSE of the rate over the
-- bundles that were touched (those have a rate).
local function scores(p, c, n)
  local ll, w, se, m = 0, 0, 0, 0
  for i = 1, #p do
    if n[i] > 0 then
      local q = clamp(p[i])
      ll = ll - (c[i] * math.log(q) + (n[i] - c[i]) * math.log(1 - q))
      w = w + n[i]
      se = se + (c[i] / n[i] - p[i]) ^ 2
      m = m + 1
    end
  end
  return { logloss = w > 0 and ll / w or 0 / 0, rmse = m > 0 and math.sqrt(se / m) or 0 / 0, bundles = m, baskets = w }
end

-- ---------------------------------------------------------------- binomial logistic

-- Weighted binomial logistic regression by Newton's method (IRLS) with a
-- small ridge on the weights (not the intercept): exact, and small enough
-- here (tens of features) to solve in Lua. Rows with n = 0 weigh nothing.
-- Each Newton step is halved until the penalised deviance falls: nearly
-- collinear features (support, item supports) and thousands of baskets per
-- bundle made the plain step overshoot to weights of 1e5 on the
-- synthetic world.
local function cholesky_solve(A, b, d)
  local L = {}
  for i = 1, d do
    L[i] = {}
    for j = 1, i do
      local s = A[i][j]
      for k = 1, j - 1 do s = s - L[i][k] * L[j][k] end
      if i == j then
        if s <= 0 then return nil end
        L[i][i] = math.sqrt(s)
      else
        L[i][j] = s / L[j][j]
      end
    end
  end
  local y = {}
  for i = 1, d do
    local s = b[i]
    for k = 1, i - 1 do s = s - L[i][k] * y[k] end
    y[i] = s / L[i][i]
  end
  local x = {}
  for i = d, 1, -1 do
    local s = y[i]
    for k = i + 1, d do s = s - L[k][i] * x[k] end
    x[i] = s / L[i][i]
  end
  return x
end

local function fit_binomial(Z, c, n, l2)
  local d = #Z[1] + 1 -- intercept last
  local beta = {}
  for j = 1, d do beta[j] = 0 end
  local C, N = 0, 0
  for i = 1, #Z do C, N = C + c[i], N + n[i] end
  beta[d] = math.log(clamp(C / math.max(N, 1)) / (1 - clamp(C / math.max(N, 1))))
  local function objective(b)
    local f = 0
    for i = 1, #Z do
      if n[i] > 0 then
        local z = b[d]
        for j = 1, d - 1 do z = z + b[j] * Z[i][j] end
        -- n log(1 + e^z) - c z, written to stay finite for large |z|
        local softplus = z > 0 and z + math.log(1 + math.exp(-z)) or math.log(1 + math.exp(z))
        f = f + n[i] * softplus - c[i] * z
      end
    end
    for j = 1, d - 1 do f = f + 0.5 * l2 * b[j] ^ 2 end
    return f
  end
  local fcur = objective(beta)
  for _ = 1, 50 do
    local H, g = {}, {}
    for j = 1, d do H[j] = {}; for k = 1, d do H[j][k] = 0 end; g[j] = 0 end
    for i = 1, #Z do
      if n[i] > 0 then
        local z = beta[d]
        local row = Z[i]
        for j = 1, d - 1 do z = z + beta[j] * row[j] end
        local p = 1 / (1 + math.exp(-z))
        local r, w = c[i] - n[i] * p, n[i] * p * (1 - p)
        for j = 1, d do
          local xj = j < d and row[j] or 1
          g[j] = g[j] + r * xj
          local Hj = H[j]
          for k = 1, j do Hj[k] = Hj[k] + w * xj * (k < d and row[k] or 1) end
        end
      end
    end
    for j = 1, d do
      for k = j + 1, d do H[j][k] = H[k][j] end
      if j < d then H[j][j] = H[j][j] + l2; g[j] = g[j] - l2 * beta[j] end
      H[j][j] = H[j][j] + 1e-9 -- keeps an all-zero column solvable
    end
    local step = cholesky_solve(H, g, d)
    if not step then break end
    local t, trial, ftrial = 1, {}, nil
    for _ = 1, 40 do
      for j = 1, d do trial[j] = beta[j] + t * step[j] end
      ftrial = objective(trial)
      if ftrial <= fcur then break end
      t = t / 2
    end
    if not (ftrial <= fcur) then break end -- no descent left: at the optimum to rounding
    local big = 0
    for j = 1, d do big = math.max(big, math.abs(trial[j] - beta[j])); beta[j] = trial[j] end
    local done = fcur - ftrial < 1e-10 * (1 + math.abs(fcur))
    fcur = ftrial
    if big < 1e-8 or done then break end
  end
  local w = {}
  for j = 1, d - 1 do w[j] = beta[j] end
  return w, beta[d]
end

-- ---------------------------------------------------------------- candidates

local function standardiser(rows)
  local d, n = #rows[1], #rows
  local mu, sd = {}, {}
  for j = 1, d do
    local s, s2 = 0, 0
    for i = 1, n do s = s + rows[i][j]; s2 = s2 + rows[i][j] ^ 2 end
    mu[j] = s / n
    local v = s2 / n - mu[j] ^ 2
    sd[j] = v > 1e-24 and math.sqrt(v) or 1 -- a constant column keeps scale 1
  end
  return function(rs)
    local out = {}
    for i, r in ipairs(rs) do
      local z = {}
      for j = 1, d do z[j] = (r[j] - mu[j]) / sd[j] end
      out[i] = z
    end
    return out
  end
end

local function pick(rows, names)
  local idx = {}
  for k, name in ipairs(names) do
    for j, n in ipairs(M.feature_names) do if n == name then idx[k] = j end end
  end
  local out = {}
  for i, r in ipairs(rows) do
    local z = {}
    for k, j in ipairs(idx) do z[k] = r[j] end
    out[i] = z
  end
  return out
end

local function rates(c, n)
  local y, w = {}, {}
  for i = 1, #c do y[i] = n[i] > 0 and c[i] / n[i] or 0; w[i] = n[i] end
  return y, w
end

local function sigmoid(z) return 1 / (1 + math.exp(-z)) end

-- Each builder fits on (rows, c, n) and returns { predict = f(rows) ->
-- rates, contributions = f(rows) -> per row a list of per-feature log-odds
-- (or nil), features = names }.
local builders = {}

builders.constant = function(_, c, n)
  local C, N = 0, 0
  for i = 1, #c do C, N = C + c[i], N + n[i] end
  local p = N > 0 and C / N or 0
  return { features = {}, predict = function(rows)
    local out = {}
    for i = 1, #rows do out[i] = p end
    return out
  end }
end

local function linear_model(names)
  return function(rows, c, n)
    local sub = pick(rows, names)
    local std = standardiser(sub)
    local w, b = fit_binomial(std(sub), c, n, 1e-2)
    local function margins(rs)
      local Z, out, parts = std(pick(rs, names)), {}, {}
      for i, z in ipairs(Z) do
        local s, part = b, {}
        for j = 1, #w do part[j] = w[j] * z[j]; s = s + part[j] end
        out[i], parts[i] = s, part
      end
      return out, parts
    end
    return { features = names, weights = w, intercept = b,
             predict = function(rs)
               local m = margins(rs)
               for i = 1, #m do m[i] = sigmoid(m[i]) end
               return m
             end,
             -- coefficient x standardised value: each feature's push on the
             -- log-odds away from an average bundle
             contributions = function(rs) return select(2, margins(rs)) end }
  end
end

-- popularity only: logistic on log support
builders.popularity = function(rows, c, n)
  local m = linear_model({ "log_touched" })(rows, c, n)
  m.features = { "log_touched" }
  return m
end

builders.logistic = function(rows, c, n) return linear_model(M.feature_names)(rows, c, n) end

builders.mlp = function(rows, c, n, seed)
  local std = standardiser(rows)
  local y = rates(c, n)
  -- bce on the rates; the core MLP has no sample weights, so a bundle
  -- counts once, and bundles touched fewer than 5 times (rates of 0 or 1
  -- from a basket or two, which an unweighted fit chases) are left out
  local X, Y = {}, {}
  local Z = std(rows)
  for i = 1, #Z do if n[i] >= 5 then X[#X + 1] = Z[i]; Y[#Y + 1] = y[i] end end
  if #X < 10 then error("fewer than 10 bundles touched 5 times in the label window", 0) end
  local m = core.model.mlp{ layers = { 16 }, activation = "tanh", output = "sigmoid", loss = "bce", lr = 3e-3,
                            weight_decay = 1e-3, epochs = 40, batch = 32, seed = seed }
  m:fit(T.from(X), T.from(Y), { warn = false }) -- judged on a later window, not by its loss curve
  return { features = M.feature_names, -- predict_proba: an MLP with a sigmoid output predicts 0/1 classes
           predict = function(rs) return m:predict_proba(T.from(std(rs))):reshape(-1):totable() end }
end

builders.gbdt = function(rows, c, n, seed)
  if not core.model.gbdt_available then return nil end
  local y, w = rates(c, n)
  local m = core.model.gbdt{ trees = 150, depth = 3, eta = 0.05, min_child_weight = 5, subsample = 0.8, seed = seed }
  m:fit(T.from(rows), T.from(y), { weight = T.from(w), feature_names = M.feature_names })
  return { features = M.feature_names, model = m,
           predict = function(rs) return m:predict(T.from(rs)):totable() end,
           contributions = function(rs)
             local C = m:contributions(T.from(rs))
             local out = {}
             for i = 1, #rs do
               local part = {}
               for j = 1, #M.feature_names do part[j] = C:get(i, j) end
               out[i] = part
             end
             return out
           end }
end

M.candidates = { "constant", "popularity", "logistic", "mlp", "gbdt" }
local TRIVIAL = { constant = true, popularity = true }

-- ---------------------------------------------------------------- fit

local function check_window(w, what, need_labels)
  if type(w) ~= "table" or type(w.features) ~= "userdata" then
    error(("takerate.fit: option '%s' must be { features = Baskets, labels = Baskets, recent = Baskets }"):format(what), 3)
  end
  if need_labels and type(w.labels) ~= "userdata" then
    error(("takerate.fit: option '%s' needs labels = Baskets (the next window)"):format(what), 3)
  end
end

local known = { bundles = true, catalog = true, train = true, valid = true, test = true, models = true, seed = true }

-- fit{ bundles =, catalog =, train = window, valid = window, test = window?,
--      models = { names }?, seed = 1 } -> a fitted take-rate model
-- where window = { features = Baskets, labels = Baskets, recent = Baskets? }
function M.fit(o)
  if type(o) ~= "table" then error("takerate.fit: expects { bundles =, catalog =, train =, valid = }", 2) end
  for k in pairs(o) do
    if not known[k] then error(("takerate.fit: unknown option '%s'"):format(tostring(k)), 2) end
  end
  if type(o.bundles) ~= "table" or #o.bundles < 2 then error("takerate.fit: option 'bundles' must list at least 2 bundles", 2) end
  check_window(o.train, "train", true)
  check_window(o.valid, "valid", true)
  if o.test then check_window(o.test, "test", true) end
  local names = o.models or M.candidates
  for _, name in ipairs(names) do
    if not builders[name] then error(("takerate.fit: unknown model '%s' (%s)"):format(tostring(name), table.concat(M.candidates, ", ")), 2) end
  end
  local seed = o.seed or 1
  local list = o.bundles
  local Xtr = window_features(list, o.train, o.catalog)
  local ctr, ntr = labels(list, o.train.labels)
  local Xva = window_features(list, o.valid, o.catalog)
  local cva, nva = labels(list, o.valid.labels)
  local Xte, cte, nte
  if o.test then
    Xte = window_features(list, o.test, o.catalog)
    cte, nte = labels(list, o.test.labels)
  end
  local report = { candidates = {}, bundles = #list }
  local fitted = {}
  for _, name in ipairs(names) do
    local ok, m = pcall(builders[name], Xtr, ctr, ntr, seed)
    local entry = { name = name, trivial = TRIVIAL[name] or false }
    if ok and m then
      fitted[name] = m
      entry.train = scores(m.predict(Xtr), ctr, ntr)
      entry.valid = scores(m.predict(Xva), cva, nva)
      if Xte then entry.test = scores(m.predict(Xte), cte, nte) end
    else
      entry.error = ok and "not available in this build" or tostring(m)
    end
    report.candidates[#report.candidates + 1] = entry
  end
  -- choose on validation log-loss; the best trivial one is the bar
  local best, best_trivial
  for _, e in ipairs(report.candidates) do
    if e.valid and e.valid.logloss == e.valid.logloss then
      if not best or e.valid.logloss < best.valid.logloss then best = e end
      if e.trivial and (not best_trivial or e.valid.logloss < best_trivial.valid.logloss) then best_trivial = e end
    end
  end
  if not best then error("takerate.fit: no candidate could be scored (no bundle is touched in the validation window)", 2) end
  report.chosen = best.name
  if best.trivial then
    report.note = best_trivial and ("no learned model beat %s on validation log-loss; %s is used"):format(
      best_trivial.name, best.name) or nil
    report.learned_won = false
  else
    report.learned_won = true
    report.note = ("%s beat the best trivial model (%s) on validation log-loss: %.5f vs %.5f"):format(
      best.name, best_trivial and best_trivial.name or "none", best.valid.logloss,
      best_trivial and best_trivial.valid.logloss or 0 / 0)
  end
  local self = { chosen = best.name, report = report, feature_names = M.feature_names, catalog = o.catalog,
                 models = fitted, model = fitted[best.name] }
  return setmetatable(self, { __index = M.Model })
end

-- ---------------------------------------------------------------- use

M.Model = {}

-- predict(bundles, window) -> list of predicted take rates, window = {
-- features = Baskets (the latest window), recent = Baskets? }
function M.Model:predict(list, window)
  check_window(window, "window", false)
  return self.model.predict((window_features(list, window, self.catalog)))
end

local function words(name, value, fact)
  local function label(it) return it and tostring(it) or "one item" end
  if name == "log_lift" or name == "log_mean_pair_lift" or name == "log_min_pair_lift" then
    return ("bought together %.1fx more often than chance"):format(math.exp(value))
  elseif name == "confidence_max" or name == "confidence" then
    return ("%d%% of baskets with %s also hold the rest"):format(math.floor(100 * fact.confidence_max + 0.5), label(fact.best_item))
  elseif name == "confidence_min" then
    return ("even from %s, %d%% of its baskets hold the rest"):format(label(fact.worst_item), math.floor(100 * value + 0.5))
  elseif name == "trend" then
    local pct = math.floor(100 * (math.exp(value) - 1) + 0.5)
    return pct >= 0 and ("sales up %d%% in the last 30 days"):format(pct) or ("sales down %d%% in the last 30 days"):format(-pct)
  elseif name == "attach_now" then
    return ("%d%% of baskets that touch it already complete it"):format(math.floor(100 * value + 0.5))
  elseif name == "log_touched" or name == "support" then
    return ("%d baskets touch it"):format(fact.touched)
  elseif name == "customer_overlap" then
    return ("%d%% customer overlap between its items"):format(math.floor(100 * value + 0.5))
  elseif name == "categories" then
    return value <= 1 and "its items share a category" or ("its items span %d categories"):format(math.floor(value + 0.5))
  end
  return ("%s = %.4g"):format(name, value)
end

-- explain(bundles, window, k = 3) -> per bundle a list of up to k
-- { feature =, value =, contribution = (log-odds), text = } with the
-- largest positive contributions first; an empty list for models without
-- contributions (constant, mlp).
function M.Model:explain(list, window, k)
  check_window(window, "window", false)
  k = k or 3
  local rows, facts = window_features(list, window, self.catalog)
  local out = {}
  if not self.model.contributions then
    for i = 1, #list do out[i] = {} end
    return out
  end
  local parts = self.model.contributions(rows)
  local names = self.model.features
  for i = 1, #list do
    local idx = {}
    for j = 1, #names do idx[j] = j end
    table.sort(idx, function(a, b) return parts[i][a] > parts[i][b] end)
    local top = {}
    for r = 1, math.min(k, #idx) do
      local j = idx[r]
      if parts[i][j] <= 0 then break end
      local fj
      for q, n in ipairs(M.feature_names) do if n == names[j] then fj = q end end
      local v = rows[i][fj]
      top[#top + 1] = { feature = names[j], value = v, contribution = parts[i][j], text = words(names[j], v, facts[i]) }
    end
    out[i] = top
  end
  return out
end

-- ---------------------------------------------------------------- windows

local function seconds(t, fn)
  if type(t) == "number" then return t end
  local y, m, d = tostring(t):match("^(%d%d%d%d)-(%d%d)-(%d%d)$")
  if not y then error(fn .. ": a time must be seconds or YYYY-MM-DD", 3) end
  -- days since the epoch in UTC, without the local time zone
  local days = os.time{ year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 12 } // DAY
  return days * DAY
end

-- windows(baskets, cut, { days = 60, recent_days = 30 }) -> train, valid, test?
-- Three consecutive label windows of `days` before the cut: train's
-- features are the baskets before cut - 2 days and its labels the next
-- `days`; valid is shifted by `days` (features: everything before cut -
-- days, labels: the last `days` before the cut). With test_days, test
-- takes the features before the cut and labels after it (held out).
function M.windows(baskets, cut, o)
  o = o or {}
  local days, recent = (o.days or 60) * DAY, (o.recent_days or 30) * DAY
  local c = seconds(cut, "takerate.windows")
  local function upto(t) return (baskets:split_by_time(t)) end
  local function between(a, b) return (select(2, upto(b):split_by_time(a))) end
  local function window(f_end, l_end)
    return { features = upto(f_end), recent = between(f_end - recent, f_end), labels = between(f_end, l_end) }
  end
  local train = window(c - 2 * days, c - days)
  local valid = window(c - days, c)
  local test = o.test_days and window(c, c + o.test_days * DAY) or nil
  return train, valid, test
end

return M
