-- bundle.report: a self-contained HTML report of a pipeline run (inline
-- SVG, inline CSS, no scripts and no network), written atomically.
--
--   bundle.report.html("out/report.html", ctx)
--
-- Charts (each an <svg> with a stable id): pareto-front, top-bundles,
-- lift-heatmap, training-curves, rounds, backtest.
local core = require "bundle.core"

local M = {}

local function esc(s)
  return (tostring(s):gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;",
                                         ["'"] = "&#39;" }))
end
M.escape = esc

local function num(v, fmt)
  if type(v) ~= "number" or v ~= v then return "–" end
  return (fmt or "%.3g"):format(v)
end

local W, H, PAD = 560, 300, 48
local COLORS = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b" }

local function range(values)
  local lo, hi = math.huge, -math.huge
  for _, v in ipairs(values) do
    if v == v and v > -math.huge and v < math.huge then lo, hi = math.min(lo, v), math.max(hi, v) end
  end
  if lo > hi then return 0, 1 end
  if lo == hi then return lo - 1, hi + 1 end
  return lo, hi
end

-- an <svg> frame with axes, labels and a title; body(sx, sy) draws inside
local function plot(id, title, xlabel, ylabel, xs, ys, body, opts)
  opts = opts or {}
  local x0, x1 = range(xs)
  local y0, y1 = range(ys)
  if opts.y_from_zero and y0 > 0 then y0 = 0 end
  local function sx(x) return PAD + (x - x0) / (x1 - x0) * (W - 2 * PAD) end
  local function sy(y) return H - PAD - (y - y0) / (y1 - y0) * (H - 2 * PAD) end
  local out = { ('<svg id="%s" class="chart" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">')
                :format(id, W, H, W, H),
                ("<title>%s</title>"):format(esc(title)),
                ('<text x="%d" y="18" class="title">%s</text>'):format(PAD, esc(title)),
                ('<line x1="%d" y1="%d" x2="%d" y2="%d" class="axis"/>'):format(PAD, H - PAD, W - PAD, H - PAD),
                ('<line x1="%d" y1="%d" x2="%d" y2="%d" class="axis"/>'):format(PAD, PAD, PAD, H - PAD) }
  for i = 0, 4 do
    local yv = y0 + (y1 - y0) * i / 4
    out[#out + 1] = ('<text x="%d" y="%.1f" class="tick" text-anchor="end">%s</text>'):format(PAD - 4, sy(yv) + 4,
                                                                                           num(yv))
    if not opts.categorical_x and not opts.integer_x then
      local xv = x0 + (x1 - x0) * i / 4
      out[#out + 1] = ('<text x="%.1f" y="%d" class="tick" text-anchor="middle">%s</text>'):format(sx(xv),
                                                                                              H - PAD + 14, num(xv))
    end
  end
  if opts.integer_x then -- rounds: whole-number ticks, at most about 10
    local step = math.max(1, math.ceil((math.floor(x1) - math.ceil(x0)) / 10))
    for xv = math.ceil(x0), math.floor(x1), step do
      out[#out + 1] = ('<text x="%.1f" y="%d" class="tick" text-anchor="middle">%d</text>'):format(sx(xv), H - PAD + 14, xv)
    end
  end
  out[#out + 1] = ('<text x="%d" y="%d" class="label" text-anchor="middle">%s</text>'):format(W // 2, H - 8,
                                                                                             esc(xlabel))
  out[#out + 1] = ('<text x="12" y="%d" class="label" transform="rotate(-90 12 %d)" text-anchor="middle">%s</text>')
                  :format(H // 2, H // 2, esc(ylabel))
  body(out, sx, sy)
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n")
end

local function legend(out, names, x, y)
  for i, n in ipairs(names) do
    out[#out + 1] = ('<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" class="tick">%s</text>')
                    :format(x, y + (i - 1) * 14, COLORS[(i - 1) % #COLORS + 1], x + 14, y + (i - 1) * 14 + 9, esc(n))
  end
end

local function polyline(xs, ys, sx, sy, color)
  local pts = {}
  for i = 1, #xs do
    if ys[i] == ys[i] then pts[#pts + 1] = ("%.1f,%.1f"):format(sx(xs[i]), sy(ys[i])) end
  end
  return ('<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>'):format(table.concat(pts, " "), color)
end

-- The Pareto front of (predicted attach, expected profit).
local function pareto_chart(front)
  local xs, ys = {}, {}
  for i, p in ipairs(front or {}) do xs[i], ys[i] = p.attach, p.profit end
  return plot("pareto-front", "Pareto front: take rate vs expected incremental profit (training model)", "take rate",
              "expected incremental profit per visitor", xs, ys, function(out, sx, sy)
    for i, p in ipairs(front or {}) do
      out[#out + 1] = ('<circle cx="%.1f" cy="%.1f" r="4" fill="%s"><title>%s</title></circle>'):format(
        sx(xs[i]), sy(ys[i]), COLORS[1], esc(p.items))
    end
  end)
end

-- The demand model's calibration on the held-out window: each candidate's
-- predicted share of visitors buying all its items at list price against
-- the share of held-out baskets holding them all, on log10 axes, with the
-- diagonal (a perfect model) and the 0.8x and 1.25x lines.
local function calibration_chart(cal)
  local xs, ys, pts = {}, {}, {}
  for _, p in ipairs(cal and cal.points or {}) do
    if p.observed > 0 and p.predicted and p.predicted > 0 then
      pts[#pts + 1] = p
      xs[#xs + 1], ys[#ys + 1] = math.log(p.observed, 10), math.log(p.predicted, 10)
    end
  end
  local lo, hi = math.huge, -math.huge
  for i = 1, #xs do lo, hi = math.min(lo, xs[i], ys[i]), math.max(hi, xs[i], ys[i]) end
  if lo > hi then lo, hi = -3, 0 end
  return plot("calibration", ("Calibration: predicted vs observed joint-purchase share (median ratio %s)"):format(
                num(cal and cal.median_ratio, "%.2f")), "observed share in the held-out baskets (log10)",
              "predicted share (log10)", { lo, hi }, { lo, hi }, function(out, sx, sy)
    for k, f in ipairs{ 1, 0.8, 1.25 } do
      local d = math.log(f, 10)
      out[#out + 1] = ('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="%s"/>'):format(
        sx(lo), sy(lo + d), sx(hi), sy(hi + d), k == 1 and "#555" or "#aaa", k == 1 and "none" or "4 3")
    end
    for i, p in ipairs(pts) do
      out[#out + 1] = ('<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s" fill-opacity="0.6"><title>%s: predicted %.4f, observed %.4f</title></circle>')
        :format(sx(xs[i]), sy(ys[i]), COLORS[1], esc(table.concat(p.items, "+")), p.predicted, p.observed)
    end
    legend(out, { "candidate bundles" }, PAD + 8, PAD)
  end)
end

-- Bars of profit per bundle, labelled with price, discount and take rate.
local function bundles_chart(bundles)
  local xs, ys = {}, {}
  for i, b in ipairs(bundles) do xs[i], ys[i] = i, b.incremental_profit or b.profit or 0 end
  return plot("top-bundles", "Top bundles: expected incremental profit per visitor at the optimised price",
              "bundle rank", "incremental profit per visitor", { 0.5, #bundles + 0.5 }, ys, function(out, sx, sy)
    local bw = (W - 2 * PAD) / math.max(1, #bundles) * 0.7
    for i, b in ipairs(bundles) do
      out[#out + 1] = ('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: price %.2f, discount %.0f%%, take %.3f</title></rect>')
        :format(sx(i) - bw / 2, sy(ys[i]), bw, sy(0) - sy(ys[i]), COLORS[2], esc(table.concat(b.items, "+")),
                b.price or 0, (b.discount or 0) * 100, b.take_rate or 0)
      out[#out + 1] = ('<text x="%.1f" y="%d" class="tick" text-anchor="middle">%d</text>'):format(sx(i), H - PAD + 14, i)
    end
  end, { y_from_zero = true, categorical_x = true })
end

-- Pairwise lift among the top bundles' items (log scale colour).
local function heatmap(items, lift)
  local n = #items
  local cell = math.min(28, math.floor((H - 60) / math.max(1, n)))
  local w, h = 150 + n * cell + 20, 60 + n * cell + 20
  local out = { ('<svg id="lift-heatmap" class="chart" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">')
                :format(w, h, w, h), "<title>Lift heat-map of the top items</title>",
                '<text x="8" y="18" class="title">Lift heat-map of the top items (train window)</text>' }
  local maxl = 1
  for i = 1, n do for j = 1, n do if i ~= j then maxl = math.max(maxl, lift[i][j]) end end end
  for i = 1, n do
    out[#out + 1] = ('<text x="%d" y="%d" class="tick" text-anchor="end">%s</text>'):format(146, 60 + (i - 1) * cell + cell // 2 + 4, esc(items[i]))
    for j = 1, n do
      local l = lift[i][j]
      local t = i == j and 0 or math.max(0, math.log(math.max(l, 1)) / math.log(maxl + 1e-9))
      local r, g, b = math.floor(255 - 200 * t), math.floor(255 - 120 * t), 255
      out[#out + 1] = ('<rect x="%d" y="%d" width="%d" height="%d" fill="rgb(%d,%d,%d)" stroke="#fff"><title>%s + %s: lift %.2f</title></rect>')
        :format(150 + (j - 1) * cell, 60 + (i - 1) * cell, cell, cell, r, g, b, esc(items[i]), esc(items[j]), l)
    end
  end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n")
end

local function curves_chart(history)
  local loss = history and history.loss or {}
  local val = history and history.val_loss or {}
  local xs, ys = {}, {}
  for i, v in ipairs(loss) do xs[#xs + 1] = i; ys[#ys + 1] = v end
  for _, v in ipairs(val) do ys[#ys + 1] = v end
  return plot("training-curves", "Take-rate model: training curves", "epoch", "mean squared error", xs, ys,
              function(out, sx, sy)
    local e1, e2 = {}, {}
    for i = 1, #loss do e1[i] = i end
    for i = 1, #val do e2[i] = i end
    if #loss > 0 then out[#out + 1] = polyline(e1, loss, sx, sy, COLORS[1]) end
    if #val > 0 then out[#out + 1] = polyline(e2, val, sx, sy, COLORS[2]) end
    legend(out, { "train", "validation" }, W - 140, PAD)
  end)
end

local METHODS = { "bundlerun", "popular_pairs", "top_lift", "top_confidence", "random_pairs", "one_bundle" }

local function rounds_chart(history)
  local xs, ys = {}, {}
  for r, h in ipairs(history) do
    xs[#xs + 1] = r
    for _, m in ipairs(METHODS) do ys[#ys + 1] = h.evaluation and h.evaluation[m] and h.evaluation[m].attach_rate or 0 end
  end
  if #xs == 1 then xs[2] = 1.0001 end
  return plot("rounds", "Attach rate in each round's test window", "round", "attach rate", xs, ys,
              function(out, sx, sy)
    for k, m in ipairs(METHODS) do
      local rx, ry = {}, {}
      for r, h in ipairs(history) do
        rx[r] = r
        ry[r] = h.evaluation and h.evaluation[m] and h.evaluation[m].attach_rate or 0
        out[#out + 1] = ('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>'):format(sx(r), sy(ry[r]), COLORS[k])
      end
      out[#out + 1] = polyline(rx, ry, sx, sy, COLORS[k])
    end
    -- lower right: attach rates sit well above zero, so the lines rarely pass there
    legend(out, METHODS, W - 150, H - PAD - 14 * #METHODS - 6)
  end, { y_from_zero = true, integer_x = true })
end

local function backtest_chart(ev)
  local metrics = { { "attach_rate", "attach rate" }, { "hit_rate", "hit rate" } }
  local ys = {}
  for _, m in ipairs(METHODS) do for _, k in ipairs(metrics) do ys[#ys + 1] = ev[m] and ev[m][k[1]] or 0 end end
  return plot("backtest", "Backtest on the last test window: bundlerun vs baselines", "metric", "share of baskets",
              { 0.5, #metrics + 0.5 }, ys, function(out, sx, sy)
    local group = (W - 2 * PAD) / #metrics * 0.8
    local bw = group / #METHODS
    for g, k in ipairs(metrics) do
      for i, m in ipairs(METHODS) do
        local v = ev[m] and ev[m][k[1]] or 0
        out[#out + 1] = ('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %.4f</title></rect>')
          :format(sx(g) - group / 2 + (i - 1) * bw, sy(v), bw - 2, sy(0) - sy(v), COLORS[i], m, k[2], v)
      end
      out[#out + 1] = ('<text x="%.1f" y="%d" class="tick" text-anchor="middle">%s</text>'):format(sx(g), H - PAD + 14, k[2])
    end
    legend(out, METHODS, W - 150, PAD)
  end, { y_from_zero = true, categorical_x = true })
end

local function table_html(headers, rows)
  local out = { "<table><thead><tr>" }
  for _, h in ipairs(headers) do out[#out + 1] = "<th>" .. esc(h) .. "</th>" end
  out[#out + 1] = "</tr></thead><tbody>"
  for _, r in ipairs(rows) do
    out[#out + 1] = "<tr>"
    for _, c in ipairs(r) do out[#out + 1] = "<td>" .. esc(c) .. "</td>" end
    out[#out + 1] = "</tr>"
  end
  out[#out + 1] = "</tbody></table>"
  return table.concat(out)
end

-- reasons as one line of text (also used for out/bundles.csv)
function M.reasons_text(b)
  local r = b.reasons or {}
  local parts = { ("support %.4f"):format(r.support or 0), ("lift %.1f"):format(r.lift or 0) }
  for _, rule in ipairs(r.rules or {}) do parts[#parts + 1] = rule end
  for _, c in ipairs(r.contributions or {}) do
    -- take-rate contributions come in words (bundle.takerate); the log-odds
    -- push is kept beside them so the words can be checked
    parts[#parts + 1] = c.text and ("%s (%s %+.3f)"):format(c.text, c.name, c.effect)
                        or ("%s %+.3f"):format(c.name, c.effect)
  end
  return table.concat(parts, "; ")
end

-- html(path, ctx): ctx as bundle.pipeline returns it (history, bundles,
-- front, model_report, evaluation, bandit, catalog, train_baskets).
function M.html(path, ctx)
  if type(path) ~= "string" then error("report.html: path must be a string", 2) end
  if type(ctx) ~= "table" or type(ctx.bundles) ~= "table" then
    error("report.html: ctx must be a pipeline context with bundles", 2)
  end
  local bundles = ctx.bundles
  -- lift among the first items of the top bundles
  local items, seen = {}, {}
  for _, b in ipairs(bundles) do
    for _, it in ipairs(b.items) do
      if not seen[it] and #items < 12 then seen[it] = true; items[#items + 1] = it end
    end
  end
  local lift = {}
  for i = 1, #items do lift[i] = {} end
  if ctx.catalog and ctx.train_baskets and #items > 1 then
    local pairs_, where = {}, {}
    for i = 1, #items do
      for j = i + 1, #items do pairs_[#pairs_ + 1] = { items[i], items[j] }; where[#pairs_] = { i, j } end
    end
    local X = core.bundle_features(pairs_, { catalog = ctx.catalog, baskets = ctx.train_baskets })
    local ll = X:select(2, 3):exp():totable()
    for k, w in ipairs(where) do lift[w[1]][w[2]] = ll[k]; lift[w[2]][w[1]] = ll[k] end
  end
  for i = 1, #items do lift[i][i] = 1 end
  local ev = ctx.evaluation or {}
  local rows = {}
  for i, b in ipairs(bundles) do
    rows[i] = { i, table.concat(b.items, " + "), num(b.list_price, "%.2f") .. " → " .. num(b.price, "%.2f"),
                num((b.discount or 0) * 100, "%.0f%%"), num(b.take_rate, "%.4f"), num(b.incremental_profit, "%.4f"),
                num(b.predicted_attach, "%.3f"), num(b.test_attach_rate, "%.3f"), M.reasons_text(b) }
  end
  local brows = {}
  for _, m in ipairs(METHODS) do
    local e = ev[m]
    if e then
      brows[#brows + 1] = { m, e.bundles, num(e.attach_rate, "%.4f"), num(e.hit_rate, "%.4f"), num(e.coverage, "%.3f"),
                            num(e.realised_margin, "%.0f"), num(e.mean_discount and e.mean_discount * 100, "%.0f%%"),
                            num(e.simulated_incremental_profit, "%.0f"), num(e.list_incremental_profit, "%.0f") }
    end
  end
  local mr = ctx.model_report or {}
  local bandit = ctx.bandit or {}
  local html = {
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8"/><title>bundlerun report</title>',
    "<style>body{font-family:sans-serif;margin:24px;max-width:1200px;color:#222}"
    .. "table{border-collapse:collapse;font-size:13px;margin:8px 0 24px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}"
    .. ".chart{border:1px solid #eee;margin:8px 8px 16px 0}.axis{stroke:#555}.tick{font-size:10px;fill:#444}"
    .. ".label{font-size:11px;fill:#222}.title{font-size:13px;font-weight:bold;fill:#222}</style></head><body>",
    ("<h1>bundlerun report</h1><p>bundle %s · %d round%s · last cut %s · seed %s</p>"):format(
      esc(core.version), #(ctx.history or {}), #(ctx.history or {}) == 1 and "" or "s",
      esc(ctx.history and ctx.history[#ctx.history] and ctx.history[#ctx.history].cut or "?"), esc(ctx.seed or "?")),
    "<h2>Top bundles</h2>",
    table_html({ "rank", "items", "list → bundle price", "discount", "take rate", "incremental profit / visitor",
                 "predicted attach", "test attach", "reasons" }, rows),
    bundles_chart(bundles),
    pareto_chart(ctx.front),
    "<h2>Behaviour</h2>",
    heatmap(items, lift),
    "<h2>Take-rate model</h2>",
    ctx.model_report and ("<p>%s on %d candidates: held-out RMSE %s; popularity-only predictor %s; constant %s. %s"
      .. "It does not choose the bundles: expected incremental profit under the demand model does.</p>"):format(
      esc(mr.kind or "?"), mr.candidates or 0, num(mr.rmse, "%.4f"), num(mr.popularity_rmse, "%.4f"),
      num(mr.constant_rmse, "%.4f"), mr.note and (esc(mr.note) .. ". ") or "") or "<p>No take-rate model was fitted (see the warnings).</p>",
    curves_chart(mr.history),
    "<h2>Every method judged alike</h2>",
    "<p>Each list is priced by the same optimiser on the training window's demand model, then scored by a demand "
    .. "model fitted on the test window. Attach, hit rate and realised margin are counted in the test baskets at list "
    .. "price; incremental simulated profit is net of the item sales a bundle displaces.</p>",
    table_html({ "method", "bundles", "attach rate", "hit rate", "coverage", "realised margin (list price)",
                 "mean discount", "incremental simulated profit", "the same at list price" }, brows),
    calibration_chart(ctx.calibration),
    ctx.calibration and ("<p>Demand-model calibration on the test window: predicted / observed joint-purchase share "
      .. "at list price, median %s over %d bundles (%d never bought whole there).</p>"):format(
      num(ctx.calibration.median_ratio, "%.2f"), ctx.calibration.bundles or 0, ctx.calibration.unobserved or 0) or "",
    backtest_chart(ev),
    rounds_chart(ctx.history or {}),
    #(ctx.warnings or {}) > 0 and ("<h2>Warnings</h2><ul><li>" .. table.concat((function()
      local t = {}
      for i, w in ipairs(ctx.warnings) do t[i] = esc(w) end
      return t
    end)(), "</li><li>") .. "</li></ul>") or "",
    "<h2>Adjustment (bandit)</h2>",
    ("<p>%s: cumulative reward %s; static plan %s; best fixed bundle in hindsight %s.</p>"):format(
      esc(bandit.policy or "?"), num(bandit.reward, "%.0f"), num(bandit.static_reward, "%.0f"),
      num(bandit.best_fixed_reward, "%.0f")),
    "</body></html>\n",
  }
  core.write_file(path, table.concat(html, "\n"))
  return path
end

return M
