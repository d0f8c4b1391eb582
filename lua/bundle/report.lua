-- bundle.report: the launch brief of a pipeline run, as one self-contained
-- HTML file (inline SVG and CSS, no scripts, no network), written
-- atomically.
--
--   bundle.report.html("out/report.html", ctx)
--
-- It is built around the decision, from the top: (1) the recommendation,
-- one line per bundle (product names, list -> bundle price, expected
-- incremental profit per 1,000 visitors, why); (2) the flags, in words;
-- (3) the evidence per bundle; (4) the comparison with every baseline;
-- (5) the charts (bundle.plot); a glossary defines every term used.
-- Each section has a stable id (recommendation, flags, evidence,
-- comparison, charts, details, glossary), and so does each chart
-- (pareto-front, calibration, lift-heatmap, learning-curves, rounds,
-- bundle-profit, comparison-chart).
local core = require "bundle.core"
local plot = require "bundle.plot"
local eval = require "bundle.eval"
local referee = require "bundle.referee"

local M = {}

local DAY = 86400

local function esc(s)
  return (tostring(s):gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;",
                                         ["'"] = "&#39;" }))
end
M.escape = esc

local function finite(v) return type(v) == "number" and v == v and v > -math.huge and v < math.huge end

local function num(v, fmt)
  if not finite(v) then return "–" end
  return (fmt or "%.3g"):format(v)
end

-- ---------------------------------------------------------------- glossary
-- Every term the brief uses, defined once; term(key) links a use to it.
local GLOSSARY = {
  { "profit-per-1000", "profit per 1,000 visitors",
    "The money a change is expected to add for every 1,000 shop visitors, after costs. Visitors include the visits that bought nothing, which the orders never show: the demand model estimates their share from the baskets (see demand model). Per 1,000 so that small figures read as whole amounts." },
  { "incremental", "incremental profit",
    "Profit with the bundle on offer minus profit without it: the bundle's own margin, net of the single-item sales it replaces (customers who would have bought the items anyway, now at a discount). It can be negative." },
  { "attach-floor", "attach floor",
    "The attach rate the launch list should reach: 0.8× that of the best analysts' list on the validation window (the last 30 days before the test). The pipeline raises attach toward it only while the list's expected incremental profit stays at least 1.5× the analysts' list's." },
  { "analysts-list", "the best analysts' list",
    "The best of the lists an analyst would build by hand from the training window (popular pairs, top lift, top confidence, random frequent pairs, one bundle), priced and valued by the same model as ours: the yardstick of the attach floor." },
  { "bundle-margin", "margin through the bundles",
    "The margin (price less cost) on what customers buy as bundles at the offered prices, before the single-item sales the bundles replace are taken off; incremental profit is this less those lost sales." },
  { "list-price", "list price",
    "The sum of the items' usual prices in the training window (each item's mean unit price there)." },
  { "bundle-price", "bundle price",
    "The price of the items bought together, after the bundle's discount. The items stay on sale separately at list price." },
  { "discount", "discount", "How much less the bundle price is than the list price, as a share of the list price." },
  { "take-rate", "take rate",
    "The share of visitors expected to buy the bundle at its price, under the demand model." },
  { "attach", "attach rate",
    "Of the baskets holding at least one of a bundle's items, the share holding all of them: how often a customer who starts the bundle completes it. Counted in real baskets." },
  { "hit-rate", "hit rate", "The share of baskets that complete at least one of a list's bundles." },
  { "lift", "lift",
    "How many times more often the items are bought together than if customers chose them independently. 1 means no link; below 1 means they are bought together less than by chance (they substitute for each other)." },
  { "confidence", "confidence",
    "The share of baskets with one item that also hold the rest of the bundle (\"of those who buy A, 40% also buy B\")." },
  { "support", "support", "The share of all baskets that hold every item of a bundle." },
  { "observations", "observations", "Baskets in the training window that hold every item of the bundle. Below 20, its figures rest on very few purchases." },
  { "trend", "trend",
    "The bundle's purchase rate in the last 30 days of the training window against the whole window: up means it is being bought more lately." },
  { "demand-model", "demand model",
    "A simulation of how many visitors buy each item and bundle at a given price, fitted on the window's sales, prices and price sensitivity (elasticity). Profit figures come from it." },
  { "simulated", "simulated figures",
    "Profits from the demand model, not from sales that happened: no bundle was offered in the data. They are estimates, as good as the model's calibration." },
  { "calibration", "calibration",
    "How close the demand model's predicted share of baskets buying a bundle's items together is to the share actually seen in the later test window. A ratio of 1.00 is perfect; above 1 the model over-predicts." },
  { "take-rate-model", "take-rate model",
    "A learned model that predicts how often a bundle will be completed from its purchase history: logistic regression (\"logistic\"), a small neural network (\"mlp\") or boosted trees (\"gbdt\"), chosen on a later validation window against the trivial models (\"constant\", \"popularity\"). It explains bundles; it does not choose them." },
  { "trivial", "trivial model",
    "A model that ignores the bundle's features: a constant rate, or popularity alone. A learned model is worth its complexity only if it beats them." },
  { "log-loss", "log-loss",
    "How wrong a model's predicted probabilities are on held-out data (lower is better)." },
  { "contribution", "contribution",
    "How much one fact about a bundle pushed the take-rate model's prediction up (on the log-odds scale)." },
  { "baseline", "baseline",
    "A simple way an analyst would pick bundles without this tool (most popular pairs, highest-lift pairs, ...), priced and judged exactly like ours." },
  { "realised-margin", "realised margin",
    "The margin at list price of the bundles actually completed in the test window's real baskets: money that was really made, with no model." },
  { "pareto", "Pareto front",
    "The candidate bundles no other candidate beats on both take rate and incremental profit: each is a best trade-off between selling often and earning much." },
  { "training-window", "training window",
    "Every order before the cut: all decisions (prices, supports, models) use only these." },
  { "test-window", "test window",
    "The orders after the cut, kept out of every decision and used only to judge them." },
  { "bandit", "bandit",
    "A replay of the test window in which the weakest offers are retired and replaced from a reserve, as a live shop would adjust." },
  { "thompson", "Thompson sampling",
    "The bandit's rule for which offers to keep: each offer's completion rate is drawn from what has been seen of it so far, and the offers with the weakest draws are retired. Offers seen little keep a chance; offers that keep failing go." },
  { "reward", "reward",
    "The money the bandit's offers brought in the test window's real baskets: the margin at the offered price of every basket that completed an offered bundle." },
  { "static-plan", "static plan",
    "The same offers kept for the whole test window, none retired or replaced: the bandit's yardstick. A reward above the static plan's means adjusting paid." },
  { "best-fixed", "best fixed bundle in hindsight",
    "The reward of the single offer that did best in the test window, had it been chosen alone from the start: known only afterwards." },
  { "log-odds", "log-odds",
    "The logarithm of p / (1 − p) for a probability p. Models add contributions on this scale; +0.7 roughly doubles the odds of a completion." },
  { "elasticity", "elasticity",
    "How strongly demand answers price: an elasticity of 2 means a 1% lower price sells about 2% more. Estimated from the window's own price changes." },
  { "epoch", "epoch",
    "One pass of a neural network's training over all its training rows. Its loss-per-epoch chart shows the loss after each." },
  { "validation", "validation",
    "Data held out of a model's fitting, to judge it: for the take-rate models, a later window (their learning curves refit each model on a growing share of its training rows and score it there); for the neural network's loss per epoch, a random fifth of its training bundles. A validation loss that stops falling while the training loss still falls means the model has begun to learn noise; one still falling at all the rows means more data would help. The training and validation windows are different months, so a training loss above the validation one says the later month was easier to predict, not that the model is wrong." },
  { "referee", "referee",
    "The demand model fitted on the test window, after every decision: it judges ours and every baseline on the same terms. Its figures differ from the training model's, which set the prices." },
  { "training-model", "training model",
    "The demand model fitted on the training window: it set the prices, and the per-bundle figures of the recommendation are its." },
  { "overlap", "overlapping bundles",
    "Bundles that share an item. Offered together they compete for that item's buyers, so their profits do not add up in full." },
  { "negligible", "negligible bundle",
    "A bundle expected to add under 1% of the launch list's expected profit: harmless, but not worth a shelf on its own." },
  { "candidate", "candidate bundle",
    "A set of items bought together often enough in the training window to be judged: the pool the bundles are chosen from." },
  { "round", "round",
    "One pass of the loop: decide on the training window, judge on the test window after it. Each further round moves the cut on by the test window's length, with the bandit's retired bundles left out." },
  { "seed", "seed",
    "The number that starts the simulations' random draws: the same data, settings and seed give the same brief." },
  { "calibration-share", "calibration share",
    "The share of bundles whose predicted joint purchases are within 0.8× to 1.25× of those observed in the test window, estimated with each bundle's few purchases there allowed for as chance. Below half, the profit figures deserve less trust." },
}
local GLOSS = {}
for _, g in ipairs(GLOSSARY) do GLOSS[g[1]] = g end

-- a term's use, linked to its definition: term("lift") or term("lift", "lifts")
local function term(key, shown)
  local g = GLOSS[key] or error("report: no glossary entry '" .. key .. "'", 2)
  return ('<a class="term" href="#g-%s">%s</a>'):format(key, esc(shown or g[2]))
end
M.glossary = GLOSSARY

-- ---------------------------------------------------------------- names and money

-- A readable product name: the data's name column where it has one (in
-- sentence case when the data shouts in capitals), else the item's label.
local function namer(ctx)
  local names = ctx.item_name
  return function(it)
    local n = names and names[it]
    if type(n) ~= "string" or n:match("^%s*$") then return tostring(it) end
    n = n:gsub("^%s+", ""):gsub("%s+$", ""):gsub("%s+", " ")
    if not n:find("%l") then n = n:sub(1, 1) .. n:sub(2):lower() end
    return n
  end
end

local function short(s, n)
  n = n or 26
  if utf8.len(s) and utf8.len(s) > n then return s:sub(1, utf8.offset(s, n)) .. "…" end
  return s
end

local function money_fmt(currency)
  return function(v, fmt)
    if not finite(v) then return "–" end
    local s = (fmt or "%.2f"):format(math.abs(v))
    -- no "−£0.00": a figure that rounds to zero has no sign
    local neg = v < 0 and s:find("[1-9]") ~= nil
    return (neg and "−" or "") .. (currency or "") .. s
  end
end

local function pct(v) return finite(v) and ("%d%%"):format(math.floor(100 * v + 0.5)) or "–" end

local function times(v)
  if not finite(v) then return "–" end
  return v >= 10 and ("%.0f×"):format(v) or ("%.1f×"):format(v)
end

-- ---------------------------------------------------------------- facts
-- The purchase facts of each bundle in the training window: baskets that
-- hold it whole (observations), the item whose buyers most often take the
-- rest, and the trend (last 30 days against the whole window).
local function bundle_facts(ctx, bundles)
  local facts = {}
  for i, b in ipairs(bundles) do
    -- lift: the orders' basket lift; lift_upper: the selection rule's
    -- credible upper bound on the lift among visits (see pipeline.generate)
    facts[i] = { lift = b.reasons and b.reasons.lift, support = b.reasons and b.reasons.support,
                 lift_upper = b.reasons and b.reasons.lift_upper }
  end
  local bk = ctx.train_baskets
  if not bk or #bundles == 0 then return facts end
  local list = {}
  for i, b in ipairs(bundles) do list[i] = b.items end
  local ok, bt = pcall(eval.backtest, list, bk, { metrics = { "attach_rate" } })
  if not ok then return facts end
  local counts = {}
  local sf = bk:item_support()
  local it, ct = sf:col("item"):totable(), sf:col("count"):totable()
  for k = 1, #it do counts[tostring(it[k])] = ct[k] end
  local recent
  if ctx.cut then
    local okr, _, late = pcall(bk.split_by_time, bk, ctx.cut - 30 * DAY)
    if okr and late and late:size() > 0 then
      local okb, rb = pcall(eval.backtest, list, late, { metrics = { "attach_rate" } })
      if okb then
        recent = { bt = rb, n = late:size(), counts = {} }
        local ls = late:item_support()
        local li, lc = ls:col("item"):totable(), ls:col("count"):totable()
        for k = 1, #li do recent.counts[tostring(li[k])] = lc[k] end
      end
    end
  end
  local n = bk:size()
  for i, b in ipairs(bundles) do
    local f = facts[i]
    local c = bt.bundles[i].complete or 0
    f.observations, f.touched, f.attach = c, bt.bundles[i].touched, bt.bundles[i].attach_rate
    local best, best_item = -1, nil
    for _, x in ipairs(b.items) do
      local ci = counts[tostring(x)] or 0
      local share = ci > 0 and c / ci or 0
      if share > best then best, best_item = share, x end
    end
    f.confidence, f.confidence_item = best, best_item
    if recent then
      -- smoothed by half a basket so a bundle unseen lately reads as falling, not -inf
      local r = ((recent.bt.bundles[i].complete or 0) + 0.5) / recent.n
      f.trend = r / ((c + 0.5) / n) - 1
      -- each item's own trend, the same way; only items bought often
      -- enough for a fall to be told from chance (20 baskets in the window)
      f.item_trends = {}
      for _, x in ipairs(b.items) do
        local ci = counts[tostring(x)] or 0
        if ci >= 20 then
          local ri = ((recent.counts[tostring(x)] or 0) + 0.5) / recent.n
          f.item_trends[#f.item_trends + 1] = { item = x, trend = ri / ((ci + 0.5) / n) - 1 }
        end
      end
    end
    if not finite(f.support) then f.support = c / math.max(1, n) end
  end
  return facts
end

local function trend_text(t)
  if not finite(t) then return "–" end
  local p = math.floor(100 * math.abs(t) + 0.5)
  if p < 10 then return "steady" end
  return (t > 0 and "up %d%%" or "down %d%%"):format(p) .. " in the last 30 days"
end

-- ---------------------------------------------------------------- html helpers
local function table_html(headers, rows, class)
  local out = { ("<table%s><thead><tr>"):format(class and (' class="' .. class .. '"') or "") }
  for _, h in ipairs(headers) do out[#out + 1] = "<th>" .. h .. "</th>" end
  out[#out + 1] = "</tr></thead><tbody>"
  for _, r in ipairs(rows) do
    out[#out + 1] = "<tr>"
    for _, c in ipairs(r) do out[#out + 1] = "<td>" .. c .. "</td>" end
    out[#out + 1] = "</tr>"
  end
  out[#out + 1] = "</tbody></table>"
  return table.concat(out)
end

-- reasons as one line of text (also used for out/bundles.csv)
function M.reasons_text(b)
  local r = b.reasons or {}
  -- the basket lift first (the orders' figure), then the lift among visits
  -- and its credible upper bound, which the selection rule read
  local parts = { ("support %.4f"):format(r.support or 0), ("lift %.2f"):format(r.lift or 0) }
  if finite(r.visit_lift) then
    parts[#parts + 1] = ("lift among visits %.2f (up to %.2f)"):format(r.visit_lift, r.lift_upper or r.visit_lift)
  end
  for _, rule in ipairs(r.rules or {}) do parts[#parts + 1] = rule end
  for _, c in ipairs(r.contributions or {}) do
    -- take-rate contributions come in words (bundle.takerate); the log-odds
    -- push is kept beside them so the words can be checked
    parts[#parts + 1] = c.text and ("%s (%s %+.3f)"):format(c.text, c.name, c.effect)
                        or ("%s %+.3f"):format(c.name, c.effect)
  end
  return table.concat(parts, "; ")
end

local METHODS = { "bundlerun", "popular_pairs", "top_lift", "top_confidence", "random_pairs", "one_bundle" }
local METHOD_SHORT = { bundlerun = "ours", popular_pairs = "popular pairs", top_lift = "top lift",
                       top_confidence = "top confidence", random_pairs = "random pairs", one_bundle = "one bundle" }
local METHOD_NAMES = { bundlerun = "bundlerun (ours)", popular_pairs = "most popular pairs",
                       top_lift = "highest-lift pairs", top_confidence = "highest-confidence pairs",
                       random_pairs = "random pairs", one_bundle = "one bundle (the most popular pair)" }

-- ---------------------------------------------------------------- sections

-- the item names of a bundle, joined
local function bundle_name(items, name)
  local t = {}
  for i, it in ipairs(items) do t[i] = name(it) end
  return table.concat(t, " + ")
end

local function why_sentence(b, f, name, money)
  local parts = {}
  if finite(f.lift) then
    -- within 10% of chance is no link to speak of: say so, and that such
    -- items (often bought separately) are where a bundle can add sales
    if f.lift >= 1.1 then
      parts[#parts + 1] = ("customers already buy these together %s more often than chance"):format(times(f.lift))
    elseif f.lift > 0.9 then
      parts[#parts + 1] = "customers buy these together about as often as chance would have it, so a bundle can bring in buyers of one who would not have bought the other"
    elseif finite(f.lift_upper) and f.lift_upper >= 1 then
      -- kept by the selection rule: independent items show a basket lift
      -- under 1 once the visits that buy nothing are counted
      parts[#parts + 1] = ("in the orders these are bought together %s as often as chance, which is what items bought independently show when many visits buy one thing or nothing; a bundle here has to bring buyers of one to the other"):format(times(f.lift))
    else
      parts[#parts + 1] = ("customers buy these together %s less often than chance"):format(times(1 / f.lift))
    end
  end
  if finite(f.confidence) and f.confidence_item ~= nil then
    parts[#parts + 1] = ("%s of %s buyers also take the rest"):format(pct(f.confidence), name(f.confidence_item))
  end
  local s = #parts > 0 and (table.concat(parts, ", and ") .. "; ") or ""
  local d = b.discount or 0
  if d > 0.005 then
    s = s .. ("%s off is the price with the most expected extra profit"):format(pct(d))
  else
    s = s .. "offering them together at list price earns the most expected extra profit"
  end
  s = s:sub(1, 1):upper() .. s:sub(2) .. "."
  return s
end

local VERDICT_TIE = 0.05

-- The referee's verdict on the last round: ours against the best baseline,
-- expected incremental profit per 1,000 visitors with the whole list
-- offered together (section 4's headline). nil without an evaluation.
local function referee_verdict(ctx)
  local ev = ctx.evaluation
  local visits = ctx.test_baskets and ctx.test_baskets:size() or 0
  if type(ev) ~= "table" or not ev.bundlerun or visits <= 0 then return nil end
  local function per(v) return finite(v) and 1000 * v / visits or nil end
  local v = { ours = per(ev.bundlerun.simulated_incremental_profit) }
  for _, m in ipairs(METHODS) do
    local e = ev[m]
    if m ~= "bundlerun" and e and (e.bundles or 0) > 0 then
      local x = per(e.simulated_incremental_profit)
      if x and (not v.best or x > v.best) then v.best, v.best_method = x, m end
    end
  end
  if not v.ours then return nil end
  -- launch only when ours adds profit and beats the best baseline on the
  -- referee by more than the simulation's noise: a verdict that turns on
  -- 0.01 per 1,000 visitors flips with the seed (a first-time user's
  -- bakery, 2026-12-01), so a lead under VERDICT_TIE of the larger figure
  -- is called level, and level is not a reason to launch
  local scale = math.max(math.abs(v.ours), math.abs(v.best or 0))
  v.all_negative = v.ours <= 0 and (not v.best or v.best <= 0)
  v.tie = v.best ~= nil and not v.all_negative and math.abs(v.ours - v.best) <= VERDICT_TIE * scale
  v.launch = v.ours > 0 and not v.tie and (not v.best or v.ours > v.best)
  return v
end

-- Per bundle (in the brief's order): the other bundles it shares an item
-- with, and whether its expected profit is under 1% of the launch list's.
local function bundle_notes(bundles, launch, name)
  local notes = {}
  local total = 0
  for _, i in ipairs(launch) do total = total + math.max(0, bundles[i].incremental_profit or 0) end
  for i, b in ipairs(bundles) do
    local n = { overlaps = {} }
    local mine = {}
    for _, it in ipairs(b.items) do mine[tostring(it)] = it end
    for j, o in ipairs(bundles) do
      if j ~= i then
        for _, it in ipairs(o.items) do
          if mine[tostring(it)] ~= nil then n.overlaps[#n.overlaps + 1] = { j = j, item = it }; break end
        end
      end
    end
    local p = b.incremental_profit
    n.negligible = total > 0 and finite(p) and p >= 0 and p < 0.01 * total
    notes[i] = n
  end
  return notes
end

local function notes_html(n, name)
  local t = {}
  for _, o in ipairs(n.overlaps) do
    t[#t + 1] = ("%s bundle %d (shares %s)"):format(term("overlap", "overlaps"), o.j, esc(name(o.item)))
  end
  if n.negligible then t[#t + 1] = term("negligible", "negligible") .. ": under 1% of the list's expected profit" end
  return #t > 0 and (' <span class="note">[' .. table.concat(t, "; ") .. "]</span>") or ""
end

local function recommendation(ctx, bundles, facts, name, money, launch, held, notes, verdict, visits)
  local out = { '<section id="recommendation">' }
  local beaten = verdict and not verdict.launch
  if beaten and verdict.all_negative then
    out[#out + 1] = "<h2>1. Recommendation: launch none; no list adds profit</h2>"
    out[#out + 1] = ("<p><b>Launch no bundle.</b> On the %s no list, ours (%s per 1,000 visitors) or any %s's%s, is expected to add profit: "
                     .. "every discount here gives away more margin than the extra sales bring. Our bundles are below for reference only.</p>"):format(
      term("referee"), money(verdict.ours), term("baseline"),
      verdict.best and (" (the best, %s: %s)"):format(esc(METHOD_NAMES[verdict.best_method] or verdict.best_method), money(verdict.best)) or "")
  elseif beaten and verdict.tie then
    local other = METHOD_SHORT[verdict.best_method] or verdict.best_method
    out[#out + 1] = ("<h2>1. Recommendation: do not launch; level with %s</h2>"):format(esc(other))
    out[#out + 1] = ("<p><b>Do not launch this list yet.</b> On the %s ours adds %s per 1,000 visitors and the %s list %s: within %d%% of each other, "
                     .. "which is inside the simulation's noise, so the data do not say ours is better than a simple choice. Our bundles are below for reference.</p>"):format(
      term("referee"), money(verdict.ours), esc(METHOD_NAMES[verdict.best_method] or verdict.best_method), money(verdict.best),
      math.floor(VERDICT_TIE * 100 + 0.5))
  elseif beaten and not verdict.best_method then
    out[#out + 1] = "<h2>1. Recommendation: launch none; our list adds no profit</h2>"
    out[#out + 1] = ("<p><b>Launch no bundle.</b> On the %s our list is expected to add %s per 1,000 visitors.</p>"):format(
      term("referee"), money(verdict.ours))
  elseif beaten then
    local other = METHOD_SHORT[verdict.best_method] or verdict.best_method
    out[#out + 1] = ("<h2>1. Recommendation: do not launch; %s did better</h2>"):format(esc(other))
    out[#out + 1] = ("<p><b>Do not launch this list.</b> On the %s, the %s list is expected to add <b>%s</b> per 1,000 visitors, ours only %s "
                     .. "(section 4): here our choice does not beat a simple one. Our bundles are below for reference only.</p>"):format(
      term("referee"), esc(METHOD_NAMES[verdict.best_method] or verdict.best_method), money(verdict.best), money(verdict.ours))
  elseif #launch == 1 then
    out[#out + 1] = "<h2>1. Recommendation: launch this bundle</h2>"
  else
    out[#out + 1] = ("<h2>1. Recommendation: launch these %d bundles</h2>"):format(#launch)
  end
  if ctx.has_price == false then
    -- said where the decision is read, not only among the flags: without
    -- prices every discount below is the assumed elasticity's and margin's
    local cfg, d = ctx.config or {}, ctx.data or {}
    out[#out + 1] = ('<p class="assumption"><b>This data has no prices.</b> Every item is priced 1 unit, so the discounts and '
                     .. 'profits below rest on assumptions, not on this shop\'s customers: an %s of %s and a margin of %s. Read the '
                     .. 'choice of bundles; set the discounts from your own prices and margins.</p>'):format(
      term("elasticity"), tostring(cfg.elasticity_prior or "?"), pct(d.margin_rate or 0.4))
  end
  if verdict and verdict.launch and verdict.best then
    -- why launching: the referee's figures, and a caveat where a baseline made more real money
    local ev = ctx.evaluation or {}
    local ours_m, more = ev.bundlerun and ev.bundlerun.realised_margin, {}
    for _, m in ipairs(METHODS) do
      local e = ev[m]
      if m ~= "bundlerun" and e and finite(e.realised_margin) and finite(ours_m) and e.realised_margin > ours_m * 1.05 then
        more[#more + 1] = esc(METHOD_NAMES[m] or m)
      end
    end
    out[#out + 1] = ('<p class="verdict">On the %s our list adds <b>%s</b> per 1,000 visitors, against %s for the best %s (%s)%s.%s</p>'):format(
      term("referee"), money(verdict.ours), money(verdict.best), term("baseline"),
      esc(METHOD_NAMES[verdict.best_method] or verdict.best_method),
      verdict.best > 0 and (", %.2f× as much"):format(verdict.ours / verdict.best) or "",
      #more > 0 and (" But the %s list%s captured more %s in the test baskets (see the flags): ours earn more per offer, theirs sell more often."):format(
        table.concat(more, ", "), #more > 1 and "s" or "", term("realised-margin")) or "")
  end
  if #launch == 0 then
    out[#out + 1] = "<p><b>Launch none.</b> No chosen bundle is expected to add profit with lift of at least 1; see the flags.</p>"
  else
    out[#out + 1] = ("<p>Ordered by expected %s %s under the %s; the %s's figure for the same bundle beside it. Prices are the %s → the %s.</p>"):format(
      term("incremental"), term("profit-per-1000", "per 1,000 visitors"), term("training-model"), term("referee"),
      term("list-price"), term("bundle-price"))
    out[#out + 1] = '<ol class="launch">'
    for _, i in ipairs(launch) do
      local b, f = bundles[i], facts[i]
      local p = b.incremental_profit or 0
      local test = visits and visits > 0 and finite(b.test_incremental_profit) and 1000 * b.test_incremental_profit / visits or nil
      out[#out + 1] = ('<li><span class="names">%s</span> — <span class="price">%s → <b>%s</b></span> (%s off) · '
                       .. '<span class="profit"><b>%s</b> per 1,000 visitors</span>%s%s · <span class="why">%s</span></li>'):format(
        esc(bundle_name(b.items, name)), money(b.list_price), money(b.price), pct(b.discount or 0),
        p >= 0 and ("+" .. money(1000 * p)) or money(1000 * p),
        test and (' <span class="referee">(referee: %s)</span>'):format(money(test)) or "",
        notes_html(notes[i], name), esc(why_sentence(b, f, name, money)))
    end
    out[#out + 1] = "</ol>"
  end
  -- the two sets of figures, reconciled: training model alone -> referee alone -> referee together
  local ev = ctx.evaluation and ctx.evaluation.bundlerun
  if ev and visits and visits > 0 and #bundles > 0 then
    local t = 0
    for _, b in ipairs(bundles) do t = t + (finite(b.incremental_profit) and b.incremental_profit or 0) end
    local alone = finite(ev.separate_incremental_profit) and 1000 * ev.separate_incremental_profit / visits or nil
    local joint = finite(ev.simulated_incremental_profit) and 1000 * ev.simulated_incremental_profit / visits or nil
    local head = ('<p class="reconcile">Two figures, two models: the per-bundle profits above come from the %s, each bundle offered on its own'):format(
      term("training-model"))
    if #bundles == 1 then
      out[#out + 1] = ("%s: <b>%s</b> per 1,000 visitors; the %s, fitted on the %s, gives the same bundle <b>%s</b>, the figure section 4 compares.</p>"):format(
        head, money(1000 * t), term("referee"), term("test-window"), money(joint))
    else
      out[#out + 1] = ("%s, and over all %d chosen bundles sum to <b>%s</b> per 1,000 visitors; the %s, fitted on the %s, gives the same bundles %s on their own "
                       .. "and <b>%s</b> offered together (bundles sharing an item split its buyers), the figure section 4 compares.</p>"):format(
        head, #bundles, money(1000 * t), term("referee"), term("test-window"), money(alone), money(joint))
    end
  end
  if #held > 0 then
    out[#out + 1] = "<p>Chosen by the pipeline but <b>not recommended</b> (see the flags): "
    local t = {}
    for _, i in ipairs(held) do t[#t + 1] = esc(bundle_name(bundles[i].items, name)) .. notes_html(notes[i], name) end
    out[#out + 1] = table.concat(t, "; ") .. ".</p>"
  end
  out[#out + 1] = "</section>"
  return table.concat(out, "\n")
end

-- The flags: a fixed list of checks, each either firing (one line per
-- finding) or saying "checked: none found", so a reader can tell a check
-- that passed from one that was never made.
local NEAR_TRIVIAL = 0.02 -- a learned model under 2% lower validation log-loss than the best trivial one
local CALIBRATION_SHARE = 0.5 -- under half the bundles within 0.8-1.25x: a poor calibration
local FALLING = 0.3 -- an item bought 30% less lately than over the window
local ELASTICITY_DEPENDENCE = 0.5 -- under half the list's profit left at the pooled elasticity

local function flags(ctx, bundles, facts, name, money, visits, notes)
  local items = {}
  local function add(kind, html) items[#items + 1] = ('<li class="flag flag-%s">%s</li>'):format(kind, html) end
  local checks, found = {}, {}
  local function check(kind, title, short_name)
    checks[#checks + 1] = { kind = kind, title = title, short = short_name }
    found[kind] = {}
  end
  local function fire(kind, flag_kind, html) local t = found[kind]; t[#t + 1] = { flag_kind or kind, html } end
  check("lift", ("%s below 1"):format(term("lift", "Lift")), "Lift below 1")
  check("negative", ("Negative %s, under the training model or the referee"):format(term("incremental")), "Negative profit")
  check("few", ("Fewer than 20 %s"):format(term("observations")), "Few observations")
  check("falling", "Items whose sales are falling", "Falling sales")
  check("overlap", term("overlap", "Bundles sharing an item"), "Overlap")
  check("negligible", term("negligible", "Negligible bundles"), "Negligible")
  check("model", ("A %s no better, or barely better, than a %s"):format(term("take-rate-model"), term("trivial")),
        "Take-rate model")
  check("calibration", ("A low %s"):format(term("calibration-share")), "Calibration")
  check("baseline", ("A %s that captured more %s"):format(term("baseline"), term("realised-margin")), "Real margin")
  check("elasticity", ("Profit that rests on the items' own %s"):format(term("elasticity")), "Own elasticities")
  local told_overlap = {}
  for i, b in ipairs(bundles) do
    local f = facts[i]
    local bn = esc(bundle_name(b.items, name))
    if finite(f.lift) and f.lift < 1 then
      if finite(f.lift_upper) and f.lift_upper >= 1 then
        fire("lift", nil, ("<b>%s</b>: %s %.2f in the orders: bought together <i>less</i> often than chance. Kept because the visits that buy nothing are not in the orders; counting them, independent items show this much (lift among visits up to %.2f). Its take-up rests on new buyers, not on customers who already combine them."):format(
          bn, term("lift"), f.lift, f.lift_upper))
      else
        fire("lift", nil, ("<b>%s</b>: %s %.2f: bought together <i>less</i> often than chance; its items compete rather than complement."):format(
          bn, term("lift"), f.lift))
      end
    end
    if finite(b.incremental_profit) and b.incremental_profit < 0 then
      fire("negative", nil, ("<b>%s</b>: negative expected %s (%s per 1,000 visitors): the discount gives away more margin than the extra sales bring."):format(
        bn, term("incremental"), money(1000 * b.incremental_profit)))
    else
      -- the training model prices each bundle for its own best profit, so its
      -- figure is never below zero; the referee's (the test window's demand)
      -- is the one that can say a discount loses margin
      local test = visits and visits > 0 and finite(b.test_incremental_profit) and 1000 * b.test_incremental_profit / visits or nil
      if test and test < 0 and money(test):find("^−") then
        fire("negative", nil, ("<b>%s</b>: the %s gives it %s per 1,000 visitors (the %s expected %s): at this discount the test window's customers would not have made up the margin it gives away."):format(
          bn, term("referee"), money(test), term("training-model"), money(1000 * (b.incremental_profit or 0))))
      end
    end
    if f.observations and f.observations < 20 then
      fire("few", nil, ("<b>%s</b>: only %d %s (baskets holding every item) in the training window: its figures rest on few purchases."):format(
        bn, f.observations, term("observations")))
    end
    for _, t in ipairs(f.item_trends or {}) do
      if t.trend <= -FALLING then
        fire("falling", nil, ("<b>%s</b> (bundle %d): its sales fell %s in the last 30 days of the training window against the whole window; the bundle may fade with it."):format(
          esc(name(t.item)), i, pct(-t.trend)))
      end
    end
    for _, o in ipairs(notes[i].overlaps) do
      local key = math.min(i, o.j) .. "-" .. math.max(i, o.j)
      if not told_overlap[key] then
        told_overlap[key] = true
        fire("overlap", nil, ("Bundles %d and %d share <b>%s</b>: offered together they compete for its buyers (the referee counts this; the per-bundle figures do not)."):format(
          math.min(i, o.j), math.max(i, o.j), esc(name(o.item))))
      end
    end
    if notes[i].negligible then
      fire("negligible", nil, ("<b>%s</b> (bundle %d): %s per 1,000 visitors, under 1%% of the list's expected profit."):format(
        bn, i, money(1000 * (b.incremental_profit or 0))))
    end
  end
  local mr = ctx.model_report
  if not mr then
    fire("model", nil, ("No %s was fitted this round (config.model = false, or see the warnings): the bundles' explanations are purchase facts only."):format(
      term("take-rate-model")))
  elseif mr.learned_won == false or mr.chosen == "constant" or mr.chosen == "popularity" then
    fire("model", nil, ("The %s is no better than a %s (%s): its predictions add nothing to the bundles' purchase history."):format(
      term("take-rate-model"), term("trivial"), esc(mr.note or mr.chosen or "")))
  else
    local bar = math.min(finite(mr.popularity_logloss) and mr.popularity_logloss or math.huge,
                         finite(mr.constant_logloss) and mr.constant_logloss or math.huge)
    if finite(mr.logloss) and finite(bar) and bar > 0 and (bar - mr.logloss) / bar < NEAR_TRIVIAL then
      fire("model", "near-trivial", ("The %s (%s) is barely better than a %s: validation %s %s against %s, %s lower (under %s). Read its contributions as hints, not findings."):format(
        term("take-rate-model"), esc(mr.chosen or mr.kind or "?"), term("trivial"), term("log-loss"), num(mr.logloss, "%.4f"),
        num(bar, "%.4f"), ("%.1f%%"):format(100 * (bar - mr.logloss) / bar), pct(NEAR_TRIVIAL)))
    end
  end
  local cal = ctx.calibration
  if cal and finite(cal.within) and (cal.bundles or 0) - (cal.unobserved or 0) > 0 then
    if cal.within < CALIBRATION_SHARE then
      fire("calibration", nil, ("Only an estimated %s of the %d bundles checked in the %s are within 0.8–1.25× of the %s's prediction, a low %s (under %s): treat the profit figures as rough."):format(
        pct(cal.within), cal.bundles or 0, term("test-window"), term("demand-model"), term("calibration-share"),
        pct(CALIBRATION_SHARE)))
    end
  else
    fire("calibration", nil, "The calibration could not be measured (no bundle seen in the test window): the profit figures are unchecked.")
  end
  -- a list that earns only because its items measured more price-sensitive
  -- than the shop's average: their own slopes carry into later months only
  -- in part, so the figure depends on them (pipeline.elasticity_dependence)
  local dep = ctx.elasticity_dependence
  if dep and finite(dep.list) and dep.list > 0 and finite(dep.pooled_elasticity)
     and dep.pooled_elasticity < ELASTICITY_DEPENDENCE * dep.list then
    fire("elasticity", nil, ("The list's expected %s, %s per 1,000 visitors, falls to %s if every item answered price like the shop's average (an %s of %.2f): %d of its %d items measured more price-sensitive than that, and the discounts rest on it. Only part of an item's own measured response carries into later months%s, and a change of season can break it. Before a launch in a new season, test the discounts on a few bundles first."):format(
      term("incremental"), money(1000 * dep.list), money(1000 * dep.pooled_elasticity), term("elasticity"), dep.pooled,
      dep.items_above or 0, dep.items or 0,
      finite(dep.lambda) and (" (%s of it in the training window's validation)"):format(pct(dep.lambda)) or ""))
  end
  -- real money in the test baskets: a baseline that captured more is worth saying
  local ev = ctx.evaluation or {}
  local ours = ev.bundlerun
  if ours and visits and visits > 0 then
    for _, m in ipairs(METHODS) do
      local e = ev[m]
      if m ~= "bundlerun" and e and finite(e.realised_margin) and finite(ours.realised_margin)
         and e.realised_margin > ours.realised_margin * 1.05 then
        fire("baseline", nil, ("The %s %s captured more %s in the test window's real baskets than ours (%s vs %s per 1,000 visitors): popular bundles sell more often, ours are chosen for extra profit per offer."):format(
          esc(METHOD_NAMES[m] or m), term("baseline"), term("realised-margin"), money(1000 * e.realised_margin / visits),
          money(1000 * ours.realised_margin / visits)))
      end
    end
  end
  add("simulated", ("Profit figures are %s: estimates from the %s (with its price %s), not sales. Its %s on the %s: predicted / observed joint purchases %s (the median over %d bundles, each bundle's few purchases in the window allowed for as chance%s). "
      .. "See the calibration chart beside."):format(term("simulated", "model estimates"), term("demand-model"),
    term("elasticity"), term("calibration"), term("test-window"),
    cal and cal.median_ratio and ("<b>" .. num(cal.median_ratio, "%.2f") .. "×</b>") or "not measured",
    cal and cal.bundles or 0,
    cal and cal.within and ("; an estimated " .. pct(cal.within) .. " within 0.8–1.25×") or ""))
  for _, c in ipairs(checks) do
    if #found[c.kind] == 0 then
      items[#items + 1] = ('<li class="flag flag-ok" data-check="%s">%s: checked: none found.</li>'):format(c.kind, c.title)
    else
      for _, x in ipairs(found[c.kind]) do add(x[1], ('<span class="check">%s</span> — %s'):format(c.short, x[2])) end
    end
  end
  -- the run's own warnings, in the analyst's words: the stage prefix off
  -- (it names code, not a finding) and the pipeline's terms linked to the glossary
  for _, w in ipairs(ctx.warnings or {}) do
    local t = esc((w:gsub("^%a+: ", "")))
    t = t:gsub("attach floor", term("attach-floor")):gsub("the best analysts&#39; list", term("analysts-list"))
    add("warning", '<span class="check">From the run</span> — ' .. t:sub(1, 1):upper() .. t:sub(2))
  end
  local calsvg = M.calibration_chart(ctx.calibration, { width = 420, height = 320, name = name })
  return table.concat({ '<section id="flags">', "<h2>2. Flags</h2>", '<div class="row"><ul class="flags">',
                        table.concat(items, "\n"), "</ul>", '<div class="beside">', calsvg, "</div></div>", "</section>" },
                      "\n")
end

-- When the chosen take-rate model gives no contributions (an MLP, a
-- constant), the best learned model that does (on validation log-loss)
-- explains the bundles instead, and the brief says which one.
local function fallback_explainer(ctx)
  local tk = ctx.takerate
  local tr = tk and tk.model
  if not (tr and type(tr.models) == "table" and tr.report and tk.window) then return nil end
  if tr.model and tr.model.contributions then return nil end
  local best
  for _, e in ipairs(tr.report.candidates or {}) do
    local m = tr.models[e.name]
    if m and m.contributions and not e.trivial and e.valid and finite(e.valid.logloss)
       and (not best or e.valid.logloss < best.valid.logloss) then best = e end
  end
  if not best then return nil end
  local view = setmetatable({ model = tr.models[best.name], catalog = tr.catalog }, getmetatable(tr))
  return function(items)
    local ok, ex = pcall(view.explain, view, { items }, tk.window, 3)
    return ok and ex[1] or {}
  end, best.name, tr.chosen
end

-- A contribution's words for a merchandiser: item codes replaced by
-- product names, a raw "feature = value" made readable, repeats dropped.
local function contribution_words(list, items, name, seen, money)
  local out = {}
  for _, c in ipairs(list) do
    local t = c.text
    if type(t) == "string" then
      for _, it in ipairs(items) do
        local code = tostring(it)
        local n = name(it)
        if n ~= code then
          t = t:gsub("%f[%w]" .. code:gsub("%p", "%%%0") .. "%f[^%w]", (n:gsub("%%", "%%%%")))
        end
      end
      local f, v = t:match("^([%a_][%w_]*) = (.+)$")
      if f == "size" then
        t = nil -- every bundle has a size: it says nothing about this one
      elseif f == "price" and tonumber(v) then
        t = ("its list price, %s"):format(money(tonumber(v)))
      elseif f then
        t = ("%s %s"):format(f:gsub("_", " "), tonumber(v) and ("%.3g"):format(tonumber(v)) or v)
      end
    end
    if t then
      t = t:gsub("(%d)x ", "%1× ")
      if not seen[t] then seen[t] = true; out[#out + 1] = esc(t) end
    end
  end
  return out
end

local function evidence(ctx, bundles, facts, name, money)
  local rows = {}
  local explain, by, chosen = fallback_explainer(ctx)
  local borrowed = false
  for i, b in ipairs(bundles) do
    local f = facts[i]
    local seen = {}
    local words = contribution_words(b.reasons and b.reasons.contributions or {}, b.items, name, seen, money)
    if #words == 0 and explain then
      words = contribution_words(explain(b.items), b.items, name, seen, money)
      borrowed = borrowed or #words > 0
    end
    rows[i] = { tostring(i), esc(bundle_name(b.items, name)),
                finite(f.lift) and (times(f.lift) .. " more than chance") or "–",
                f.confidence_item ~= nil and (("%s of %s buyers"):format(pct(f.confidence), esc(name(f.confidence_item)))) or "–",
                f.observations and tostring(f.observations) or "–",
                esc(trend_text(f.trend)),
                #words > 0 and table.concat(words, "; ") or "<i>the model gives no contributions</i>",
                pct(b.test_attach_rate) }
  end
  return table.concat({ '<section id="evidence">', "<h2>3. Evidence per bundle</h2>",
    ("<p>From the %s's real baskets. The last column is counted in the %s, after the decision.%s</p>"):format(
      term("training-window"), term("test-window"), borrowed and (" The contributions come from the %s model, the best "
        .. "learned one that gives them: the chosen %s does not."):format(esc(by), esc(chosen or "model")) or ""),
    table_html({ "#", "bundle", "bought together (" .. term("lift") .. ")",
                 "share of one item's buyers who also bought the rest (" .. term("confidence") .. ")",
                 term("observations"), term("trend"), "the " .. term("take-rate-model") .. "'s top " .. term("contribution", "contributions")
                   .. " (pushes on the " .. term("log-odds") .. " scale)",
                 term("attach") .. " in the test window" }, rows, "evidence"), "</section>" }, "\n")
end

-- The margin the bundles' buyers bring with the whole list offered at
-- list price, per visitor, under the referee (the model's counterpart of
-- the realised margin). Incremental profit at list price is zero by
-- construction (a bundle at list price changes no one's purchase), so it
-- says nothing; this does. nil when the referee's world is not at hand.
local function list_margin(ctx, e)
  if not (ctx.world and type(e.per_bundle) == "table" and #e.per_bundle > 0) then return nil end
  local offers = {}
  for i, p in ipairs(e.per_bundle) do offers[i] = { items = p.items, discount = 0 } end
  local ok, r = pcall(core.price.portfolio, offers, referee.price_opts(ctx.world))
  return ok and finite(r.profit) and r.profit or nil
end

local function comparison(ctx, money, visits)
  local ev = ctx.evaluation or {}
  local rows, names, at_price = {}, {}, {}
  local per = function(v) return finite(v) and visits and visits > 0 and 1000 * v / visits or nil end
  for _, m in ipairs(METHODS) do
    local e = ev[m]
    if e then
      local lm = list_margin(ctx, e)
      rows[#rows + 1] = { (m == "bundlerun" and "<b>%s</b>" or "%s"):format(esc(METHOD_NAMES[m] or m)),
                          tostring(e.bundles or 0), money(per(e.simulated_incremental_profit)),
                          money(per(e.simulated_profit)), money(lm and 1000 * lm or nil),
                          pct(e.attach_rate), pct(e.hit_rate), money(per(e.realised_margin)) }
      names[#names + 1] = METHOD_NAMES[m] or m
      at_price[#at_price + 1] = per(e.simulated_incremental_profit) or 0 / 0
    end
  end
  local cur = ctx.currency or (ctx.config and ctx.config.currency) or nil
  local chart = #names > 0 and plot.bars{ id = "backtest", labels = names, values = at_price,
    title = "Expected incremental profit per 1,000 visitors, on the referee (optimised prices)",
    ylabel = "per 1,000 visitors" .. (cur and (" (" .. cur .. ")") or ""), width = 900, height = 320 } or ""
  return table.concat({ '<section id="comparison">', "<h2>4. Comparison with the baselines</h2>",
    ("<p>Every list (ours and each %s) is priced by the same optimiser on the %s's %s, then judged by the %s, a demand model fitted on the %s. "
     .. "The headline is the incremental profit at those prices. At %s a bundle changes no one's purchase, so its incremental profit is zero by construction; "
     .. "the list-price column shows instead the margin the bundles' buyers bring at list price, the model's counterpart of the %s. %s and %s are counted in the test window's real baskets.</p>"):format(
      term("baseline"), term("training-window"), term("demand-model"), term("referee"), term("test-window"), term("list-price"),
      term("realised-margin"), term("attach", "Attach rate"), term("hit-rate", "hit rate")),
    table_html({ "method", "bundles", term("profit-per-1000", "incremental profit per 1,000 visitors") .. ", optimised prices",
                 term("bundle-margin") .. " per 1,000 visitors, optimised prices", "the same at " .. term("list-price"),
                 term("attach"), term("hit-rate"), term("realised-margin") .. " per 1,000 visitors" }, rows, "comparison"),
    chart, "</section>" }, "\n")
end

-- ---------------------------------------------------------------- charts

-- The demand model's calibration on the held-out window: each candidate's
-- predicted share of baskets holding all its items at list price against
-- the share observed, on log axes, with the diagonal and the 0.8x / 1.25x lines.
function M.calibration_chart(cal, o)
  o = o or {}
  local xs, ys, tips = {}, {}, {}
  for _, p in ipairs(cal and cal.points or {}) do
    if p.observed > 0 and p.predicted and p.predicted > 0 then
      xs[#xs + 1], ys[#ys + 1] = p.observed, p.predicted
      local names = {}
      for i, it in ipairs(p.items) do names[i] = o.name and o.name(it) or tostring(it) end
      tips[#tips + 1] = ("%s: predicted %.4f, observed %.4f"):format(table.concat(names, " + "), p.predicted, p.observed)
    end
  end
  local lo, hi = math.huge, -math.huge
  for i = 1, #xs do lo, hi = math.min(lo, xs[i], ys[i]), math.max(hi, xs[i], ys[i]) end
  if lo > hi then lo, hi = 1e-3, 1 end
  local groups = {}
  for i = 1, #xs do groups[i] = "candidate bundle" end
  return plot.scatter{ id = "calibration", x = xs, y = ys, tooltips = tips, log_x = true, log_y = true,
    groups = groups, x_include = { lo, hi }, y_include = { lo, hi }, size = 2.5,
    lines = { { lo, lo, hi, hi, color = "#333", label = "perfect (predicted = observed)" },
              { lo, lo * 1.25, hi / 1.25, hi, dash = true, label = "1.25× and 0.8×" },
              { lo * 1.25, lo, hi, hi / 1.25, dash = true } },
    title = ("Calibration: median predicted / observed %s"):format(cal and cal.median_ratio and num(cal.median_ratio, "%.2f") .. "×" or "–"),
    xlabel = "observed share of test baskets (log)", ylabel = "predicted share (log)",
    width = o.width or 560, height = o.height or 380 }
end

local function pareto_chart(ctx, bundles, name, currency)
  local xs, ys, labels, groups, high = {}, {}, {}, {}, {}
  local chosen = {}
  for _, b in ipairs(bundles) do
    local k = {}
    for i, it in ipairs(b.items) do k[i] = tostring(it) end
    table.sort(k)
    chosen[table.concat(k, "+")] = b
  end
  local seen = {}
  local function add(items, attach, profit, launched)
    local k = {}
    for i, it in ipairs(items) do k[i] = tostring(it) end
    table.sort(k)
    local key = table.concat(k, "+")
    if seen[key] then return end
    seen[key] = true
    local parts = {}
    -- whole names (up to 40 characters each): a label that does not fit by
    -- its point is numbered and listed in full under the chart
    for i, it in ipairs(items) do parts[i] = short(name(it), 40) end
    xs[#xs + 1], ys[#ys + 1] = attach, 1000 * profit
    labels[#labels + 1] = table.concat(parts, " + ")
    groups[#groups + 1] = launched and "chosen for launch" or "on the front"
    high[#high + 1] = launched
  end
  for _, p in ipairs(ctx.front or {}) do
    local items = {}
    for it in tostring(p.items):gmatch("[^+]+") do items[#items + 1] = it end
    add(items, p.attach, p.profit, chosen[(function()
      local k = table.move(items, 1, #items, 1, {})
      table.sort(k)
      return table.concat(k, "+")
    end)()] ~= nil)
  end
  for _, b in ipairs(bundles) do
    if finite(b.take_rate) and finite(b.incremental_profit) then add(b.items, b.take_rate, b.incremental_profit, true) end
  end
  -- the front's other points first, so each group keeps its colour from
  -- one brief to the next (scatter colours groups in order of appearance)
  local order = {}
  for i = 1, #xs do order[i] = i end
  table.sort(order, function(a, b)
    if high[a] ~= high[b] then return not high[a] end
    return a < b
  end)
  local function permute(t)
    local out = {}
    for k, i in ipairs(order) do out[k] = t[i] end
    return out
  end
  xs, ys, labels, groups, high = permute(xs), permute(ys), permute(labels), permute(groups), permute(high)
  return plot.scatter{ id = "pareto-front", x = xs, y = ys, labels = labels, groups = groups, highlight = high,
    title = "Pareto front: take rate against expected incremental profit (training model)",
    xlabel = "take rate (share of visitors buying the bundle)",
    ylabel = "incremental profit per 1,000 visitors" .. (currency and (" (" .. currency .. ")") or ""),
    width = 900, height = 440 }
end

-- At most LIFT_MAP_ITEMS rows: every item of a ten-bundle list of pairs
-- and triples fits; past that the title says how many were left out.
local LIFT_MAP_ITEMS = 30
local function lift_map(ctx, bundles, name)
  local items, seen, total = {}, {}, 0
  for _, b in ipairs(bundles) do
    for _, it in ipairs(b.items) do
      if not seen[it] then
        seen[it] = true
        total = total + 1
        if #items < LIFT_MAP_ITEMS then items[#items + 1] = it end
      end
    end
  end
  if #items < 2 or not (ctx.catalog and ctx.train_baskets) then return "" end
  local lift = {}
  for i = 1, #items do lift[i] = {} end
  local pairs_, where = {}, {}
  for i = 1, #items do
    for j = i + 1, #items do pairs_[#pairs_ + 1] = { items[i], items[j] }; where[#pairs_] = { i, j } end
  end
  local ok, X = pcall(core.bundle_features, pairs_, { catalog = ctx.catalog, baskets = ctx.train_baskets })
  if not ok then return ('<p class="note">The lift map could not be drawn: %s</p>'):format(esc(tostring(X))) end
  local col = 3
  for j, n in ipairs(core.search_features) do if n == "log_lift" then col = j end end
  local ll = X:select(2, col):exp():totable()
  for k, w in ipairs(where) do
    -- a pair never bought together has lift 0: left blank on a log scale
    local v = ll[k] > 0 and ll[k] or nil
    lift[w[1]][w[2]] = v; lift[w[2]][w[1]] = v
  end
  local rows = {}
  for i, it in ipairs(items) do rows[i] = short(name(it), 44) end
  return plot.heatmap{ id = "lift-heatmap", rows = rows, values = lift, legend = "lift", log = true, number_cols = true,
                       title = "Lift among the launch list's items (training window)"
                         .. (total > #items and (": the first %d of %d items"):format(#items, total) or "") }
end

-- The MLP's loss per epoch (training, and the fifth of its bundles held
-- out), when it is the chosen model.
local function epoch_chart(mr, id)
  local h = mr.history
  if not (h and type(h.loss) == "table" and #h.loss > 1) then return "" end
  local x, series = {}, {}
  for i = 1, #h.loss do x[i] = i end
  series[1] = { name = "training", x = x, y = h.loss }
  if type(h.val_loss) == "table" and #h.val_loss > 0 then
    local xv = {}
    for i = 1, #h.val_loss do xv[i] = i end
    series[2] = { name = "validation", x = xv, y = h.val_loss }
  end
  return plot.lines{ id = id, series = series, integer_x = true, title = "Take-rate model (neural network): loss per epoch",
                     xlabel = "epoch", ylabel = "loss", width = 560, height = 320 }
end

-- The candidates' learning curves (bundle.takerate's curve): log-loss on
-- validation against the training rows each was refitted on, and the
-- chosen one's training loss beside it; nil when the run has none.
local function size_curves(mr)
  local series = {}
  for _, m in ipairs(mr.models or {}) do
    local c = m.curve
    if type(c) == "table" and type(c.rows) == "table" and #c.rows > 1 then
      local label = m.name .. (m.trivial and " (trivial)" or "")
      local chosen = m.name == mr.chosen
      series[#series + 1] = { name = label .. (chosen and ", validation ✓" or ", validation"), x = c.rows, y = c.valid }
      if chosen then
        table.insert(series, 1, { name = label .. ", training ✓", x = c.rows, y = c.train, dash = true })
      end
    end
  end
  if #series == 0 then return nil end
  return plot.lines{ id = "learning-curves", series = series, integer_x = true, markers = true,
                     title = "Take-rate models: learning curves (✓ chosen)",
                     xlabel = "training rows (labelled bundles) refitted on", ylabel = "log-loss (lower is better)",
                     width = 640, height = 340 }
end

-- What the charts' paragraph says of learning_chart's picture.
local function learning_text(mr)
  local curves = false
  for _, m in ipairs(mr.models or {}) do curves = curves or (type(m.curve) == "table" and #(m.curve.rows or {}) > 1) end
  local epochs = mr.history and type(mr.history.loss) == "table" and #mr.history.loss > 1
  if curves then
    return ("the %ss' learning curves (%s on the %s against the training rows each was refitted on: a curve still falling wants more data, a gap to the training loss that stays wide means it learns noise)%s"):format(
      term("take-rate-model"), term("log-loss"), term("validation", "validation window"),
      (epochs and mr.chosen == "mlp") and (" and the neural network's loss per %s"):format(term("epoch")) or "")
  elseif epochs then
    return ("the %s's learning curve (training and %s per %s)"):format(term("take-rate-model"), term("validation", "validation loss"), term("epoch"))
  end
  return ("the %ss' %s on their training and %s windows"):format(term("take-rate-model"), term("log-loss"), term("validation"))
end

local function learning_chart(mr)
  if not mr then return "" end
  local sized = size_curves(mr)
  if sized then return sized .. (mr.chosen == "mlp" and epoch_chart(mr, "epoch-curves") or "") end
  local epochs = epoch_chart(mr, "learning-curves")
  if epochs ~= "" then return epochs end
  -- a run without curves: each candidate's log-loss on its training and validation windows
  local names, tr, va = {}, {}, {}
  for _, m in ipairs(mr.models or {}) do
    if m.valid and finite(m.valid.logloss) then
      names[#names + 1] = m.name .. (m.trivial and " (trivial)" or "") .. (m.name == mr.chosen and " ✓" or "")
      tr[#tr + 1] = m.train and m.train.logloss or 0 / 0
      va[#va + 1] = m.valid.logloss
    end
  end
  if #names == 0 then return "" end
  return plot.bars{ id = "learning-curves", labels = names,
    series = { { name = "training window", values = tr }, { name = "validation window", values = va } },
    title = "Take-rate models: log-loss, training vs validation (✓ chosen)", ylabel = "log-loss (lower is better)",
    width = 560, height = 320 }
end

local function rounds_chart(history)
  if #history == 0 then return "" end
  if #history == 1 then -- one round: no line to draw, the methods side by side
    local names, vals = {}, {}
    for _, m in ipairs(METHODS) do
      local e = history[1].evaluation and history[1].evaluation[m]
      if e then names[#names + 1], vals[#vals + 1] = METHOD_SHORT[m] or m, e.attach_rate or 0 / 0 end
    end
    return plot.bars{ id = "rounds", labels = names, values = vals, ylabel = "attach rate",
                      title = "Attach rate in the test window (one round)", width = 560, height = 320 }
  end
  local series = {}
  for k, m in ipairs(METHODS) do
    local x, y = {}, {}
    for r, h in ipairs(history) do
      x[r] = r
      y[r] = h.evaluation and h.evaluation[m] and h.evaluation[m].attach_rate or 0 / 0
    end
    series[k] = { name = METHOD_NAMES[m] or m, x = x, y = y, dash = m ~= "bundlerun" and k > 4 or nil }
  end
  return plot.lines{ id = "rounds", series = series, integer_x = true, y_from_zero = true, markers = true,
                     title = "Attach rate in each round's test window", xlabel = "round", ylabel = "attach rate",
                     width = 560, height = 320 }
end

local function profit_chart(bundles, name, visits, currency)
  if #bundles == 0 then return "" end
  local labels, train, test = {}, {}, {}
  for i, b in ipairs(bundles) do
    labels[i] = short(bundle_name(b.items, name), 120)
    train[i] = 1000 * (b.incremental_profit or 0 / 0)
    test[i] = visits and visits > 0 and finite(b.test_incremental_profit) and 1000 * b.test_incremental_profit / visits or 0 / 0
  end
  return plot.bars{ id = "top-bundles", labels = labels,
    series = { { name = "training model", values = train }, { name = "referee (test window)", values = test } },
    title = "Expected incremental profit per 1,000 visitors, by bundle (in the brief's order)",
    ylabel = "per 1,000 visitors" .. (currency and (" (" .. currency .. ")") or ""), width = 900, height = 320 }
end

local CSS = [[
body{font-family:sans-serif;margin:24px auto;max-width:1180px;color:#222;line-height:1.4;padding:0 16px}
h1{margin-bottom:4px}h2{margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555;font-size:13px}
table{border-collapse:collapse;font-size:13px;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f6f6f6}
ol.launch li{margin:6px 0}.launch .names{font-weight:bold}.launch .why{color:#444}
.row{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}.flags{flex:1 1 520px;margin:0;padding-left:20px}
.flags li{margin:4px 0}.flags .check{font-weight:bold;color:#555}.flag-simulated{background:#fff8e1}.flag-negative,.flag-lift{color:#a00}
.beside{flex:0 0 auto}
.chart{border:1px solid #eee;margin:8px 8px 16px 0;max-width:100%;height:auto}
.charts{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start}
a.term{color:inherit;text-decoration:underline dotted}
dl.glossary dt{font-weight:bold;margin-top:8px}dl.glossary dd{margin-left:16px}
.tick{fill:#444}.title{font-weight:bold}
]]

-- html(path, ctx): ctx as bundle.pipeline returns it (bundles, front,
-- model_report, evaluation, calibration, history, bandit, catalog,
-- train_baskets, test_baskets, item_name, currency).
function M.html(path, ctx)
  if type(path) ~= "string" then error("report.html: path must be a string", 2) end
  if type(ctx) ~= "table" or type(ctx.bundles) ~= "table" then
    error("report.html: ctx must be a pipeline context with bundles", 2)
  end
  core.write_file(path, M.render(ctx))
  return path
end

-- render(ctx) -> the HTML text (html writes it)
function M.render(ctx)
  if type(ctx) ~= "table" or type(ctx.bundles) ~= "table" then
    error("report.render: ctx must be a pipeline context with bundles", 2)
  end
  local bundles = ctx.bundles
  local name = namer(ctx)
  local currency = ctx.currency or (ctx.config and ctx.config.currency) or nil
  local money = money_fmt(currency)
  local visits = ctx.test_baskets and ctx.test_baskets:size() or nil
  local facts = bundle_facts(ctx, bundles)
  -- the launch list: positive expected incremental profit, lift at least 1,
  -- and not a loss on the referee
  local launch, held = {}, {}
  for i, b in ipairs(bundles) do
    local f = facts[i]
    -- held back by the selection's own rule (the credible bound where the
    -- pipeline gave one), so the brief and bundles.csv agree
    local anti = finite(f.lift_upper) and f.lift_upper < 1 or (not finite(f.lift_upper) and finite(f.lift) and f.lift < 1)
    -- a bundle the referee values below zero is flagged as a loss: it is not
    -- recommended either, so the top of the brief never says "launch" what
    -- its flags say loses money (the same threshold as the flag's)
    local loses = visits and visits > 0 and finite(b.test_incremental_profit)
      and b.test_incremental_profit < 0 and money(1000 * b.test_incremental_profit / visits):find("^−") ~= nil
    if (b.incremental_profit or 0) > 0 and not anti and not loses then launch[#launch + 1] = i
    else held[#held + 1] = i end
  end
  table.sort(launch, function(a, b) return (bundles[a].incremental_profit or 0) > (bundles[b].incremental_profit or 0) end)
  -- every section lists the bundles in the brief's order: the launch list
  -- by expected profit, then the ones held back
  do
    local ob, of, nl, nh = {}, {}, {}, {}
    for _, i in ipairs(launch) do ob[#ob + 1], of[#of + 1] = bundles[i], facts[i]; nl[#nl + 1] = #ob end
    for _, i in ipairs(held) do ob[#ob + 1], of[#of + 1] = bundles[i], facts[i]; nh[#nh + 1] = #ob end
    bundles, facts, launch, held = ob, of, nl, nh
  end
  local notes = bundle_notes(bundles, launch, name)
  local verdict = referee_verdict(ctx)
  local last = ctx.history and ctx.history[#ctx.history] or {}
  local mr = ctx.model_report or {}
  local bandit = ctx.bandit or {}
  local period = ctx.period and math.floor(ctx.period / DAY + 0.5) or nil
  local glossary = { '<section id="glossary">', "<h2>Glossary</h2>", '<dl class="glossary">' }
  for _, g in ipairs(GLOSSARY) do
    glossary[#glossary + 1] = ('<dt id="g-%s">%s</dt><dd>%s</dd>'):format(g[1], esc(g[2]), esc(g[3]))
  end
  glossary[#glossary + 1] = "</dl></section>"
  local html = {
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8"/><title>Bundle launch brief</title>',
    "<style>" .. CSS .. "</style></head><body>",
    "<h1>Bundle launch brief</h1>",
    ('<p class="meta">Decided on the orders before %s (the %s), judged on the %s days after it (the %s) · %d %s · '
     .. "bundle %s · %s %s · prices in %s</p>"):format(
      esc(last.cut or "?"), term("training-window"), period or "?", term("test-window"), #(ctx.history or {}),
      term("round", #(ctx.history or {}) == 1 and "round" or "rounds"), esc(core.version), term("seed"), esc(ctx.seed or "?"),
      ctx.has_price == false and "units (the data has no prices: every item is priced 1)"
      or currency and esc(currency) or "the data's own units (no currency was given: set the data's <code>currency</code> or config.currency)"),
    recommendation(ctx, bundles, facts, name, money, launch, held, notes, verdict, visits),
    flags(ctx, bundles, facts, name, money, visits, notes),
    evidence(ctx, bundles, facts, name, money),
    comparison(ctx, money, visits),
    '<section id="charts">',
    "<h2>5. Charts</h2>",
    ('<p>The %s of the %s (points labelled by their products; a number refers to the list under the chart); each bundle\'s profit under the %s and the %s; the %s of the %s; %s among the launch list\'s items; %s; each round\'s %s.</p>'):format(
      term("pareto"), term("candidate", "candidates"), term("training-model"), term("referee"), term("calibration"), term("demand-model"), term("lift"),
      learning_text(mr),
      term("attach")),
    '<div class="charts">',
    pareto_chart(ctx, bundles, name, currency),
    profit_chart(bundles, name, visits, currency),
    M.calibration_chart(ctx.calibration, { name = name }),
    lift_map(ctx, bundles, name),
    learning_chart(ctx.model_report),
    rounds_chart(ctx.history or {}),
    "</div></section>",
    '<section id="details">',
    "<h2>Details</h2>",
    ctx.model_report and ("<p>%s: %s chosen among %d labelled candidates; %s %s (the %s: popularity only %s, constant %s). %s.</p>"):format(
      term("take-rate-model", "Take-rate model"), esc(mr.kind or "?"), mr.candidates or 0, term("validation") .. " " .. term("log-loss"),
      num(mr.logloss, "%.4f"), term("trivial", "trivial models"), num(mr.popularity_logloss, "%.4f"), num(mr.constant_logloss, "%.4f"),
      esc(mr.note or "")) or "",
    ("<p>Adjustment (%s, %s): %s %s in the test window; the %s %s; the %s %s.</p>"):format(
      term("bandit"), bandit.policy == "thompson" and term("thompson") or esc(bandit.policy or "?"), term("reward"),
      money(bandit.reward, "%.0f"), term("static-plan"), money(bandit.static_reward, "%.0f"), term("best-fixed"),
      money(bandit.best_fixed_reward, "%.0f")),
    "</section>",
    table.concat(glossary, "\n"),
    "</body></html>\n",
  }
  return table.concat(html, "\n")
end

return M
