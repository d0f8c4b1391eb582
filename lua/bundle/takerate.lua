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
-- Training may stack several earlier pairs of windows (windows{ stack });
-- settings (ridge, GBDT depth and shrinkage) are chosen on the newest of
-- them, never on validation or test. With refit = true, every candidate
-- is then fitted again with the validation pair as its newest training
-- window; off by default, since nothing checks the refitted model.
--
-- Features are named (takerate.feature_names) and travel as tables of
-- named columns: bundle.features.table's columns, picked by name, plus
-- window statistics computed here; explanations name them.
local core = require "bundle.core"
local features = require "bundle.features"
local eval = require "bundle.eval"

local T = core.tensor
local M = {}

local DAY = 86400

-- ---------------------------------------------------------------- features

-- Columns of bundle.features.table the model reads, by name (the column
-- order of the C vector is not part of the contract, the names are).
-- "categories" (a count) is left out: category_match says the same for
-- pairs, scaled for larger bundles, and two copies split the credit.
local BASE = { "size", "support", "log_lift", "log_min_pair_lift", "log_mean_pair_lift", "price", "margin_rate",
               "min_item_support", "confidence", "customer_overlap", "price_ratio", "category_match",
               "basket_size" }

-- Window statistics: the take rate already seen over the whole features
-- window (attach_now) and in its last recent_days (attach_recent),
-- confidence both ways (the best and the worst "buyers of one item also
-- take the rest"), and the trend of the bundle's sales (last recent_days
-- vs the whole window, log ratio of rates).
local EXTRA = { "attach_now", "attach_recent", "log_touch_share", "confidence_max", "confidence_min", "trend" }

M.feature_names = {}
for _, n in ipairs(BASE) do M.feature_names[#M.feature_names + 1] = n end
for _, n in ipairs(EXTRA) do M.feature_names[#M.feature_names + 1] = n end

local function item_counts(baskets)
  local f = baskets:item_support()
  local items, counts = f:col("item"):totable(), f:col("count"):totable()
  local out = {}
  for i, it in ipairs(items) do out[tostring(it)] = counts[i] end
  return out
end

-- The features of `list` on one window { features = Baskets, recent =
-- Baskets or nil }: a table of named columns ({ names, columns = { name =
-- values }, nrows }, as bundle.features.table) and, per bundle, the facts
-- the explanations quote.
local function window_features(list, window, catalog)
  local tbl = features.table(list, { catalog = catalog, baskets = window.features })
  local out = { names = M.feature_names, columns = {}, nrows = #list }
  for _, n in ipairs(BASE) do out.columns[n] = tbl.columns[n] end
  local bt = eval.backtest(list, window.features, { metrics = { "attach_rate" } }).bundles
  local nb = math.max(1, window.features:size())
  local rbt, nr
  if window.recent then
    rbt = eval.backtest(list, window.recent, { metrics = { "attach_rate" } }).bundles
    nr = math.max(1, window.recent:size())
  end
  local counts = item_counts(window.features)
  local cols = {}
  for _, n in ipairs(EXTRA) do cols[n] = {}; out.columns[n] = cols[n] end
  out.columns.log_touched = {} -- popularity's count variant, not a model feature
  local facts = {}
  for i, b in ipairs(list) do
    local items = b.items or b
    local c, n = bt[i].complete, bt[i].touched
    -- smoothed towards 0 with one pseudo-basket so that a bundle touched
    -- once is not "always taken"
    local attach = c / (n + 1)
    local cmax, cmin, amax, amin = 0, 1, nil, nil
    for _, it in ipairs(items) do
      local ci = counts[tostring(it)] or 0
      local conf = ci > 0 and c / ci or 0
      if conf >= cmax then cmax, amax = conf, it end
      if conf <= cmin then cmin, amin = conf, it end
    end
    local trend, recent = 0, attach
    if rbt then
      -- log of (recent rate / window rate), both with half a basket added,
      -- so a bundle unseen recently reads as falling, not as -inf
      trend = math.log(((rbt[i].complete + 0.5) / nr) / ((c + 0.5) / nb))
      recent = rbt[i].complete / (rbt[i].touched + 1)
    end
    cols.attach_now[i], cols.attach_recent[i], cols.log_touch_share[i] = attach, recent, math.log((n + 1) / (nb + 1))
    out.columns.log_touched[i] = math.log(1 + n)
    cols.confidence_max[i], cols.confidence_min[i], cols.trend[i] = cmax, cmin, trend
    facts[i] = { items = items, complete = c, touched = n, best_item = amax, worst_item = amin,
                 confidence_max = cmax, trend = trend, attach = attach,
                 recent_complete = rbt and rbt[i].complete, recent_touched = rbt and rbt[i].touched }
  end
  return out, facts
end

-- Labels on the label window: completions and touching baskets.
local function labels(list, baskets)
  local bt = eval.backtest(list, baskets, { metrics = { "attach_rate" } }).bundles
  local c, n = {}, {}
  for i = 1, #list do c[i], n[i] = bt[i].complete, bt[i].touched end
  return c, n
end

-- The rows of a feature table restricted to `names`, in that order.
local function rows_of(tbl, names)
  local out = {}
  for i = 1, tbl.nrows do
    local r = {}
    for k, name in ipairs(names) do r[k] = tbl.columns[name][i] end
    out[i] = r
  end
  return out
end

-- Several labelled windows stacked into one training set: columns
-- appended, labels likewise.
local function stack(parts)
  local out = { names = M.feature_names, columns = { log_touched = {} }, nrows = 0 }
  for _, n in ipairs(M.feature_names) do out.columns[n] = {} end
  local c, n = {}, {}
  for _, p in ipairs(parts) do
    for name in pairs(out.columns) do
      local dst, src = out.columns[name], p.X.columns[name]
      for i = 1, p.X.nrows do dst[out.nrows + i] = src[i] end
    end
    for i = 1, p.X.nrows do c[out.nrows + i], n[out.nrows + i] = p.c[i], p.n[i] end
    out.nrows = out.nrows + p.X.nrows
  end
  return out, c, n
end

-- The features that vary over the training rows (a constant column, such
-- as category_match without categories or margin_rate under one margin,
-- carries nothing and is dropped), and the dropped ones.
local function varying(tbl)
  local used, dropped = {}, {}
  for _, name in ipairs(M.feature_names) do
    local v, lo, hi = tbl.columns[name], math.huge, -math.huge
    for i = 1, tbl.nrows do lo, hi = math.min(lo, v[i]), math.max(hi, v[i]) end
    if hi - lo > 1e-12 * (1 + math.abs(hi)) then used[#used + 1] = name else dropped[#dropped + 1] = name end
  end
  return used, dropped
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

local function rates(c, n)
  local y, w = {}, {}
  for i = 1, #c do y[i] = n[i] > 0 and c[i] / n[i] or 0; w[i] = n[i] end
  return y, w
end

local function sigmoid(z) return 1 / (1 + math.exp(-z)) end

-- Each builder fits on (tbl, c, n, seed, names, tune) -- a feature table,
-- the labels, the seed, the features to use and, when several training
-- windows are stacked, tune = { X, c, n (the older windows), vX, vc, vn
-- (the newest) } to choose settings on -- and returns { features = names,
-- predict = f(tbl) -> rates, contributions = f(tbl) -> per row a list of
-- per-feature log-odds aligned with features, and per row the log-odds
-- they start from (nil for constant),
-- contributions_method = text, settings = the chosen settings }.
local builders = {}

builders.constant = function(_, c, n)
  local C, N = 0, 0
  for i = 1, #c do C, N = C + c[i], N + n[i] end
  local p = N > 0 and C / N or 0
  return { features = {}, predict = function(tbl)
    local out = {}
    for i = 1, tbl.nrows do out[i] = p end
    return out
  end }
end

local function linear_fit(tbl, c, n, names, l2)
  local sub = rows_of(tbl, names)
  local std = standardiser(sub)
  local w, b = fit_binomial(std(sub), c, n, l2)
  local function margins(t)
    local Z, out, parts = std(rows_of(t, names)), {}, {}
    for i, z in ipairs(Z) do
      local s, part = b, {}
      for j = 1, #w do part[j] = w[j] * z[j]; s = s + part[j] end
      out[i], parts[i] = s, part
    end
    return out, parts
  end
  return { features = names, weights = w, intercept = b, settings = { l2 = l2 },
           predict = function(t)
             local m = margins(t)
             for i = 1, #m do m[i] = sigmoid(m[i]) end
             return m
           end,
           -- coefficient x standardised value: each feature's push on the
           -- log-odds away from an average bundle
           contributions = function(t)
             local _, parts = margins(t)
             local base = {}
             for i = 1, #parts do base[i] = b end
             return parts, base
           end,
           contributions_method = "coefficient x standardised value" }
end

-- Settings are chosen on the newest training window (tune.v*), fitted on
-- the older ones; the winner is then fitted on every training window.
local function tuned(grid, tune, fit)
  if tune and tune.fixed then return tune.fixed end -- a refit keeps the choice
  if not tune or #grid == 1 then return grid[1] end
  local best, best_ll
  for _, g in ipairs(grid) do
    local ok, m = pcall(fit, tune.X, tune.c, tune.n, g)
    if ok then
      local ll = scores(m.predict(tune.vX), tune.vc, tune.vn).logloss
      if ll == ll and (not best_ll or ll < best_ll) then best, best_ll = g, ll end
    end
  end
  return best or grid[1]
end

-- popularity only: logistic on the log share of baskets that touch the
-- bundle, or on the log count (the two differ when the prediction window
-- is longer than the training one); the better on validation is kept
builders.popularity = function(tbl, c, n, _, _, _, variant)
  return linear_fit(tbl, c, n, { variant }, 1e-2)
end
local VARIANTS = { popularity = { "log_touch_share", "log_touched" } }

builders.logistic = function(tbl, c, n, _, names, tune)
  if tune and tune.fixed then tune = { fixed = tune.fixed.l2 } end
  local l2 = tuned({ 1, 1e-2, 10, 100 }, tune, function(X, cc, nn, g) return linear_fit(X, cc, nn, names, g) end)
  return linear_fit(tbl, c, n, names, l2)
end

-- Integrated gradients of the MLP's log-odds (Sundararajan et al. 2017)
-- from the average bundle (standardised 0) to the bundle, along the
-- straight path: a midpoint sum of STEPS central differences per feature.
-- The contributions add up to the bundle's log-odds minus the average
-- bundle's, to the error of the sum, like TreeSHAP's for trees.
local IG_STEPS, IG_H = 8, 1e-3
local function integrated_gradients(logit, Z)
  local d = #Z[1]
  local probe = {}
  for _, z in ipairs(Z) do
    for s = 1, IG_STEPS do
      local a = (s - 0.5) / IG_STEPS
      for j = 1, d do
        for _, h in ipairs{ IG_H, -IG_H } do
          local r = {}
          for q = 1, d do r[q] = a * z[q] end
          r[j] = r[j] + h
          probe[#probe + 1] = r
        end
      end
    end
  end
  local f = logit(probe)
  local out, k = {}, 0
  for i, z in ipairs(Z) do
    local part = {}
    for j = 1, d do part[j] = 0 end
    for _ = 1, IG_STEPS do
      for j = 1, d do
        part[j] = part[j] + (f[k + 1] - f[k + 2]) / (2 * IG_H) * z[j] / IG_STEPS
        k = k + 2
      end
    end
    out[i] = part
  end
  return out
end

builders.mlp = function(tbl, c, n, seed, names)
  local rows = rows_of(tbl, names)
  local std = standardiser(rows)
  local y = rates(c, n)
  -- bce on the rates; the core MLP has no sample weights, so a bundle
  -- counts once, and bundles touched fewer than 5 times (rates of 0 or 1
  -- from a basket or two, which an unweighted fit chases) are left out
  local X, Y = {}, {}
  local Z = std(rows)
  for i = 1, #Z do if n[i] >= 5 then X[#X + 1] = Z[i]; Y[#Y + 1] = y[i] end end
  if #X < 10 then error("fewer than 10 bundles touched 5 times in the label window", 0) end
  -- a random fifth of the bundles held out of the fit, so the report's
  -- learning curve has a validation loss per epoch beside the training
  -- one; the model is still judged on a later window, not by this curve
  local m = core.model.mlp{ layers = { 16 }, activation = "tanh", output = "sigmoid", loss = "bce", lr = 3e-3,
                            weight_decay = 1e-3, epochs = 40, batch = 32, seed = seed, validation = 0.2 }
  local hist = m:fit(T.from(X), T.from(Y), { warn = false })
  -- predict_proba: an MLP with a sigmoid output predicts 0/1 classes
  local function proba(Zs) return m:predict_proba(T.from(Zs)):reshape(-1):totable() end
  local function logit(Zs)
    local p = proba(Zs)
    for i = 1, #p do local q = clamp(p[i]); p[i] = math.log(q / (1 - q)) end
    return p
  end
  return { features = names,
           predict = function(t) return proba(std(rows_of(t, names))) end,
           contributions = function(t)
             local Z = std(rows_of(t, names))
             local zero = {}
             for j = 1, #names do zero[j] = 0 end
             local b0, base = logit({ zero })[1], {}
             for i = 1, #Z do base[i] = b0 end
             return integrated_gradients(logit, Z), base
           end,
           contributions_method = "integrated gradients of the log-odds from the average bundle",
           history = { loss = hist.loss, val_loss = hist.val_loss, converged = hist.converged } }
end

-- Regularised settings, from shallow and strongly shrunk to deeper.
local GBDT_GRID = {
  { trees = 150, depth = 3, eta = 0.05, min_child_weight = 5, lambda = 1 },
  { trees = 200, depth = 2, eta = 0.05, min_child_weight = 20, lambda = 10 },
  { trees = 300, depth = 3, eta = 0.03, min_child_weight = 50, lambda = 10 },
  { trees = 300, depth = 4, eta = 0.03, min_child_weight = 20, lambda = 10 },
  { trees = 100, depth = 5, eta = 0.05, min_child_weight = 50, lambda = 30 },
  { trees = 200, depth = 6, eta = 0.03, min_child_weight = 100, lambda = 30 },
}

local function gbdt_fit(tbl, c, n, names, g, seed)
  local y, w = rates(c, n)
  local m = core.model.gbdt{ trees = g.trees, depth = g.depth, eta = g.eta, min_child_weight = g.min_child_weight,
                             lambda = g.lambda, subsample = 0.8, seed = seed }
  m:fit(T.from(rows_of(tbl, names)), T.from(y), { weight = T.from(w), feature_names = names })
  return { features = names, model = m, settings = g,
           predict = function(t) return m:predict(T.from(rows_of(t, names))):totable() end,
           contributions = function(t)
             local C = m:contributions(T.from(rows_of(t, names)))
             local out, base = {}, {}
             for i = 1, t.nrows do
               local part = {}
               for j = 1, #names do part[j] = C:get(i, j) end
               out[i], base[i] = part, C:get(i, #names + 1) -- the last column: the bias
             end
             return out, base
           end,
           contributions_method = "XGBoost's exact contributions (TreeSHAP)" }
end

builders.gbdt = function(tbl, c, n, seed, names, tune)
  if not core.model.gbdt_available then return nil end
  local g = tuned(GBDT_GRID, tune, function(X, cc, nn, gg) return gbdt_fit(X, cc, nn, names, gg, seed) end)
  return gbdt_fit(tbl, c, n, names, g, seed)
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

local known = { bundles = true, catalog = true, train = true, valid = true, test = true, models = true, seed = true,
                refit = true, curve = true }

-- A labelled window's features and labels.
local function labelled(list, w, catalog)
  local X, facts = window_features(list, w, catalog)
  local c, n = labels(list, w.labels)
  return { X = X, c = c, n = n, facts = facts }
end

-- Learning curves: each candidate refitted with its chosen settings,
-- training set and variant on the first share of its training rows (one
-- shuffle per fit, so each share holds the smaller ones), scored on those
-- rows and on validation. The full share is the fit itself, not refitted.
M.curve_shares = { 0.2, 0.4, 0.6, 0.8, 1 }

-- 1..n in an order fixed by the seed (Fisher-Yates on a 31-bit LCG).
local function shuffled(n, seed)
  local idx, x = {}, (math.tointeger(seed) or 1) % 2147483648
  for i = 1, n do idx[i] = i end
  for i = n, 2, -1 do
    x = (x * 1103515245 + 12345) % 2147483648
    local j = x % i + 1
    idx[i], idx[j] = idx[j], idx[i]
  end
  return idx
end

-- The first k rows of idx from a feature table and its labels.
local function take_rows(X, c, n, idx, k)
  local out, cc, nn = { names = X.names, columns = {}, nrows = k }, {}, {}
  for name, col in pairs(X.columns) do
    local dst = {}
    for i = 1, k do dst[i] = col[idx[i]] end
    out.columns[name] = dst
  end
  for i = 1, k do cc[i], nn[i] = c[idx[i]], n[idx[i]] end
  return out, cc, nn
end

-- { shares, rows, train, valid } (log-loss per touching basket) for one
-- candidate; a share too small to fit on (the MLP wants 10 bundles touched
-- 5 times) is left out.
local function learning_curve(name, entry, set, va, seed, used, shares)
  local idx = shuffled(set.X.nrows, seed)
  local curve = { shares = {}, rows = {}, train = {}, valid = {} }
  for _, share in ipairs(shares) do
    local k = math.floor(share * set.X.nrows + 0.5)
    local tr, vl
    if k >= set.X.nrows then
      k, tr, vl = set.X.nrows, entry.train.logloss, entry.valid.logloss
    elseif k >= 2 then
      local X, c, n = take_rows(set.X, set.c, set.n, idx, k)
      local ok, m = pcall(builders[name], X, c, n, seed, used, { fixed = entry.settings }, entry.variant)
      if ok and m then
        tr, vl = scores(m.predict(X), c, n).logloss, scores(m.predict(va.X), va.c, va.n).logloss
      end
    end
    if tr == tr and vl == vl and tr and vl then
      local j = #curve.shares + 1
      curve.shares[j], curve.rows[j], curve.train[j], curve.valid[j] = share, k, tr, vl
    end
  end
  return curve
end

local function check_shares(v)
  if v == nil or v == false then return nil end
  if v == true then return M.curve_shares end
  if type(v) ~= "table" or #v == 0 then error("takerate.fit: option 'curve' must be true or a list of shares in (0, 1]", 3) end
  for i, x in ipairs(v) do
    if type(x) ~= "number" or not (x > 0 and x <= 1) then
      error(("takerate.fit: option 'curve'[%d] must be a share in (0, 1], got %s"):format(i, tostring(x)), 3)
    end
  end
  return v
end

-- fit{ bundles =, catalog =, train = window or { windows, newest first },
--      valid = window, test = window?, models = { names }?, seed = 1,
--      refit = false, curve = false (true or a list of shares: learning
--      curves, see M.curve_shares) }
-- -> a fitted take-rate model
-- where window = { features = Baskets, labels = Baskets, recent = Baskets? }
function M.fit(o)
  if type(o) ~= "table" then error("takerate.fit: expects { bundles =, catalog =, train =, valid = }", 2) end
  for k in pairs(o) do
    if not known[k] then error(("takerate.fit: unknown option '%s'"):format(tostring(k)), 2) end
  end
  if type(o.bundles) ~= "table" or #o.bundles < 2 then error("takerate.fit: option 'bundles' must list at least 2 bundles", 2) end
  local trains = o.train
  if type(trains) == "table" and trains.features == nil and #trains > 0 then
    for k, w in ipairs(trains) do check_window(w, "train[" .. k .. "]", true) end
  else
    check_window(trains, "train", true)
    trains = { trains }
  end
  check_window(o.valid, "valid", true)
  if o.test then check_window(o.test, "test", true) end
  local names = o.models or M.candidates
  for _, name in ipairs(names) do
    if not builders[name] then error(("takerate.fit: unknown model '%s' (%s)"):format(tostring(name), table.concat(M.candidates, ", ")), 2) end
  end
  local seed = o.seed or 1
  local shares = check_shares(o.curve)
  local list = o.bundles
  local parts = {}
  -- the older windows are extras: one with no baskets (data shorter than
  -- the stack) is left out, and the stack ends there
  parts[1] = labelled(list, trains[1], o.catalog)
  for k = 2, #trains do
    local w = trains[k]
    if w.features:size() == 0 or w.labels:size() == 0 then break end
    local ok, p = pcall(labelled, list, w, o.catalog)
    if not ok then break end
    parts[k] = p
  end
  local Xtr, ctr, ntr = stack(parts)
  local used, dropped = varying(Xtr)
  -- settings are tuned on the newest training window, fitted on the older
  local tune
  if #parts >= 2 then
    local older = {}
    for k = 2, #parts do older[#older + 1] = parts[k] end
    local X, c, n = stack(older)
    tune = { X = X, c = c, n = n, vX = parts[1].X, vc = parts[1].c, vn = parts[1].n }
  end
  local va = labelled(list, o.valid, o.catalog)
  local refit = o.refit == true
  local Xall, call, nall
  if refit then
    -- the validated design moved one window on: as many windows as were
    -- stacked, the validation pair newest and the oldest left out. Off by
    -- default: no window is left to check the refitted model on, and on
    -- the pipeline example's test window it made the logistic (chosen)
    -- worse than popularity only
    local all = { va }
    for k = 1, #parts - 1 do all[#all + 1] = parts[k] end
    Xall, call, nall = stack(all)
  end
  local te = o.test and labelled(list, o.test, o.catalog)
  local report = { candidates = {}, bundles = #list, training_windows = #parts, training_rows = Xtr.nrows,
                   features = used, dropped = dropped }
  local fitted = {}
  -- Each candidate is fitted on the newest training window alone and,
  -- with several, on all of them stacked; the one better on validation is
  -- kept (a relation that drifts, such as popularity's, can do better on
  -- the newest window alone, and the trivial bar must be its best).
  local sets = { { X = parts[1].X, c = parts[1].c, n = parts[1].n, what = "newest window" } }
  if #parts > 1 then sets[2] = { X = Xtr, c = ctr, n = ntr, what = #parts .. " windows stacked" } end
  for _, name in ipairs(names) do
    local entry = { name = name, trivial = TRIVIAL[name] or false }
    local err, entry_set
    local trials = {}
    for _, set in ipairs(sets) do
      for _, variant in ipairs(VARIANTS[name] or { false }) do trials[#trials + 1] = { set = set, variant = variant } end
    end
    for _, t in ipairs(trials) do
      local set = t.set
      local ok, m = pcall(builders[name], set.X, set.c, set.n, seed, used, tune, t.variant)
      if ok and m then
        local v = scores(m.predict(va.X), va.c, va.n)
        if not entry.valid or v.logloss < entry.valid.logloss then
          fitted[name] = m
          entry.features, entry.settings, entry.contributions = m.features, m.settings, m.contributions_method
          entry.history = m.history
          entry.training, entry.variant, entry_set = set.what, t.variant or nil, set
          entry.train = scores(m.predict(set.X), set.c, set.n)
          entry.valid = v
        end
      else
        err = ok and "not available in this build" or tostring(m)
      end
    end
    if entry.valid and shares then entry.curve = learning_curve(name, entry, entry_set, va, seed, used, shares) end
    if entry.valid and refit then
      -- the choices frozen, fitted again with the validation pair as the
      -- newest training window: the test and the predictions use these
      local set = entry.training == "newest window" and { X = va.X, c = va.c, n = va.n } or { X = Xall, c = call, n = nall }
      local ok, m = pcall(builders[name], set.X, set.c, set.n, seed, used, { fixed = entry.settings }, entry.variant)
      if ok and m then fitted[name], entry.refit = m, true end
    end
    if entry.valid then
      if te then entry.test = scores(fitted[name].predict(te.X), te.c, te.n) end
    else
      entry.error = err
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

-- score(bundles, window) -> the report's candidates with `test` = scores
-- on a labelled window after the choice (held out: it changes nothing).
function M.Model:score(list, window)
  check_window(window, "window", true)
  local te = labelled(list, window, self.catalog)
  for _, e in ipairs(self.report.candidates) do
    local m = self.models[e.name]
    if m then e.test = scores(m.predict(te.X), te.c, te.n) end
  end
  return self.report.candidates
end

local function pct(x) return math.floor(100 * x + 0.5) end

local function words(name, value, fact)
  local function label(it) return it and tostring(it) or "one item" end
  if name == "log_lift" or name == "log_mean_pair_lift" or name == "log_min_pair_lift" then
    return ("bought together %.1fx more often than chance"):format(math.exp(value))
  elseif name == "confidence_max" or name == "confidence" then
    return ("%d%% of baskets with %s also hold the rest"):format(pct(fact.confidence_max), label(fact.best_item))
  elseif name == "confidence_min" then
    return ("even from %s, %d%% of its baskets hold the rest"):format(label(fact.worst_item), pct(value))
  elseif name == "trend" then
    local p = pct(math.exp(value) - 1)
    return p >= 0 and ("sales up %d%% in the last 30 days"):format(p) or ("sales down %d%% in the last 30 days"):format(-p)
  elseif name == "attach_now" then
    return ("%d%% of baskets that touch it already complete it"):format(pct(value))
  elseif name == "attach_recent" then
    return ("%d%% of the last 30 days' baskets that touch it complete it"):format(pct(value))
  elseif name == "log_touched" then
    return ("%d baskets touch it"):format(fact.touched)
  elseif name == "log_touch_share" then
    return ("%d baskets touch it (%.1f%% of all)"):format(fact.touched, 100 * math.exp(value))
  elseif name == "support" then
    return ("%.1f%% of baskets hold all of it"):format(100 * value)
  elseif name == "customer_overlap" then
    return ("%d%% of the customers who bought any of its items bought all of them"):format(pct(value))
  elseif name == "min_item_support" then
    return ("its least-bought item is in %.1f%% of baskets"):format(100 * value)
  elseif name == "categories" then
    return value <= 1 and "its items share a category" or ("its items span %d categories"):format(math.floor(value + 0.5))
  elseif name == "category_match" then
    return value >= 1 and "its items are in one category" or ("%d%% of its item pairs share a category"):format(pct(value))
  elseif name == "price_ratio" then
    return ("its dearest item costs %.1fx its cheapest"):format(math.exp(value))
  elseif name == "basket_size" then
    return ("baskets holding its items are %.1fx the average size"):format(math.exp(value))
  end
  return ("%s = %.4g"):format(name, value)
end

-- contributions(bundles, window) -> { features = names, values = per
-- bundle the list of per-feature log-odds (aligned with features), base =
-- per bundle the log-odds they start from }: base + the sum of values is
-- the predicted log-odds (exactly for trees and linear models, to the
-- integration error for the MLP). nil for the constant.
function M.Model:contributions(list, window)
  check_window(window, "window", false)
  if not self.model.contributions then return nil end
  local values, base = self.model.contributions((window_features(list, window, self.catalog)))
  return { features = self.model.features, values = values, base = base }
end

-- explain(bundles, window, k = 3) -> per bundle a list of up to k
-- { feature =, value =, contribution = (log-odds), text = } with the
-- largest positive contributions first; an empty list for the constant.
function M.Model:explain(list, window, k)
  check_window(window, "window", false)
  k = k or 3
  local tbl, facts = window_features(list, window, self.catalog)
  local out = {}
  if not self.model.contributions then
    for i = 1, #list do out[i] = {} end
    return out
  end
  local parts = self.model.contributions(tbl)
  local names = self.model.features
  for i = 1, #list do
    local idx = {}
    for j = 1, #names do idx[j] = j end
    table.sort(idx, function(a, b) return parts[i][a] > parts[i][b] end)
    local top = {}
    for r = 1, math.min(k, #idx) do
      local j = idx[r]
      if parts[i][j] <= 0 then break end
      local v = tbl.columns[names[j]][i]
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

-- windows(baskets, cut, { days = 60, recent_days = 30, stack = 1, step = 30,
-- test_days }) -> train, valid, test?
-- Consecutive label windows of `days` before the cut: train's features
-- are the baskets before cut - 2 days and its labels the next `days`;
-- valid is shifted by `days` (features: everything before cut - days,
-- labels: the last `days` before the cut). With stack = k > 1, train is a
-- list of k windows, newest first, each `step` days earlier than the one
-- before (more training rows; their labels all end before valid's
-- start). With test_days, test takes the features before the cut and
-- labels after it (held out).
function M.windows(baskets, cut, o)
  o = o or {}
  local days, recent = (o.days or 60) * DAY, (o.recent_days or 30) * DAY
  local k, step = o.stack or 1, (o.step or 30) * DAY
  if math.type(k) ~= "integer" or k < 1 then error("takerate.windows: option 'stack' must be an integer >= 1", 2) end
  local c = seconds(cut, "takerate.windows")
  local function upto(t) return (baskets:split_by_time(t)) end
  local function between(a, b) return (select(2, upto(b):split_by_time(a))) end
  local function window(f_end, l_end)
    return { features = upto(f_end), recent = between(f_end - recent, f_end), labels = between(f_end, l_end) }
  end
  local train = window(c - 2 * days, c - days)
  if k > 1 then
    local list = { train }
    for j = 2, k do
      local shift = (j - 1) * step
      list[j] = window(c - 2 * days - shift, c - days - shift)
    end
    train = list
  end
  local valid = window(c - days, c)
  local test = o.test_days and window(c, c + o.test_days * DAY) or nil
  return train, valid, test
end

return M
