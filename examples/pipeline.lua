-- pipeline.lua: the whole closed loop on the shipped real sample (UCI
-- Online Retail, July-December 2011): collect -> analyse -> generate ->
-- evaluate -> adjust, two monthly rounds, then the report.
--
--   bundlerun examples/pipeline.lua [--objective FILE] [--rounds N] [--out DIR]
--
-- An objective file returns function(b, attach, value) -> score, where b is
-- the Bundle view, attach(b) the take-rate model's prediction and value(b)
-- the default objective (expected incremental profit per visitor).
local bundle = require "bundle"

local here = arg and arg[0] and arg[0]:match("^(.*)/[^/]*$") or "."
local opts = { rounds = 2, out = "out", data = here .. "/data/online_retail_2011h2.csv.gz" }
local i = 1
while arg and arg[i] do
  local a = arg[i]
  if a == "--objective" or a == "--rounds" or a == "--out" or a == "--data" then
    if not arg[i + 1] then error(("pipeline.lua: %s needs a value"):format(a), 0) end
    opts[a:sub(3)] = arg[i + 1]
    i = i + 2
  else
    error(("pipeline.lua: unknown argument '%s' (--objective FILE, --rounds N, --out DIR, --data CSV)"):format(a), 0)
  end
end

local config = {}
if opts.objective then
  local chunk = assert(loadfile(opts.objective, "t"))
  local score = chunk()
  if type(score) ~= "function" then error(opts.objective .. ": must return function(b, attach, value)", 0) end
  config.objective = score
end

-- The library holds no data set's conventions: Online Retail's column
-- names, its cancellation rule and its product-code filter are here.
local data = dofile(here .. "/online_retail.lua")
data.orders = opts.data

local t0 = bundle.clock()
local ctx = bundle.pipeline{
  data = data,
  start = "2011-10-01", period_days = 30, label_days = 30,
  rounds = tonumber(opts.rounds), seed = 1, config = config,
}
local paths = bundle.pipeline.write(ctx, opts.out)

print(("bundlerun %s: %d rounds on %s in %.1f s"):format(bundle.version, ctx.rounds, opts.data, bundle.clock() - t0))
local last = ctx.history[#ctx.history]
print(("\ntop bundles (decided on orders before %s; priced for expected incremental profit under the " ..
       "training window's demand model)"):format(last.cut))
-- items by their description where the data has one (ctx.item_name), as the report shows them
local cur = ctx.currency or ""
local function label(items)
  local t = {}
  for i, it in ipairs(items) do
    local n = ctx.item_name and ctx.item_name[it]
    local cut = n and utf8.len(n) and utf8.len(n) > 24 and utf8.offset(n, 24)
    t[i] = n and (cut and n:sub(1, cut - 1) .. "…" or n) or tostring(it)
  end
  return table.concat(t, " + ")
end
-- padded by characters, not bytes ("£" and "…" are two and three bytes)
local function pad(s, w, right)
  local fill = (" "):rep(math.max(0, w - (utf8.len(s) or #s)))
  return right and fill .. s or s .. fill
end
print(("%-4s %s %s %s %8s %14s"):format("rank", pad("items", 58), pad("price", 9, true), pad("list", 9, true),
                                         "discount", "incr./visitor"))
for r, b in ipairs(ctx.bundles) do
  print(("%-4d %s %s %s %7.0f%% %14.4f"):format(r, pad(label(b.items), 58), pad(cur .. ("%.2f"):format(b.price), 9, true),
                                                pad(cur .. ("%.2f"):format(b.list_price), 9, true), b.discount * 100,
                                                b.incremental_profit))
end
local m = ctx.model_report
if m then print(("\ntake-rate model (%s): held-out RMSE %.4f, popularity-only %.4f, constant %.4f"):format(m.kind,
  m.rmse, m.popularity_rmse, m.constant_rmse)) end
print(("\njudged on %s + %d days: every list priced by the same optimiser, scored by the test window's demand model"):format(
  last.cut, 30))
print(("%-15s %9s %9s %16s %18s"):format("method", "attach", "hit", "realised margin", "incr. sim. profit"))
for _, name in ipairs{ "bundlerun", "popular_pairs", "top_lift", "top_confidence", "random_pairs", "one_bundle" } do
  local e = ctx.evaluation[name]
  print(("%-15s %9.4f %9.4f %16.0f %18.0f"):format(name, e.attach_rate, e.hit_rate, e.realised_margin,
                                                 e.simulated_incremental_profit))
end
local cal = ctx.calibration
print(("\ncalibration on the test window: predicted / observed joint-purchase share, median %.2f over %d bundles"):format(
  cal.median_ratio or 0 / 0, cal.bundles - cal.unobserved))
local b = ctx.bandit
print(("\nbandit (%s): reward %.0f vs static plan %.0f; best fixed bundle in hindsight %.0f"):format(
  b.policy, b.reward, b.static_reward, b.best_fixed_reward))
print(("\nwrote %s, %s and %s"):format(paths.bundles, paths.summary, paths.report))
