-- The take-rate candidates on each results data set: every model's
-- validation and held-out binomial log-loss (per touching basket) and
-- RMSE of the rate, beside the constant and popularity-only models.
--
--   build/bundlerun scripts/results/takerate.lua [online_retail|instacart|synthetic ...]
--
-- Windows (bundle.takerate.windows, days = 60 before the cut): train =
-- features before cut - 120 d, labels the next 60 d; valid = features
-- before cut - 60 d, labels the last 60 d before the cut; held-out test =
-- features before the cut, labels the data set's test period after it
-- (never used to choose). Candidates: the frequent pairs and triples of the
-- baskets before the cut (bundle.candidates).
package.path = "scripts/results/?.lua;" .. package.path
local bundle = require "bundle"
local datasets = require "datasets"

local function load(ds)
  local p = bundle.orders.prepare(datasets.pipeline_data(ds))
  local sales = p.sales
  local spec = { basket = "basket", item = "item", time = "time" }
  for _, n in ipairs(sales:names()) do if n == "user" then spec.user = "user" end end
  local baskets = bundle.baskets(sales, spec)
  local cat = bundle.catalog(sales:group_by("item"):agg{ price = { "mean", "price" } },
                             { item = "item", price = "price", margin = 0.4 })
  return baskets, cat
end

local function run(ds, days)
  local t0 = os.clock()
  local baskets, cat = load(ds)
  local train, valid, test = bundle.takerate.windows(baskets, ds.start, { days = days, recent_days = 30,
                                                                        test_days = ds.period_days })
  local c = bundle.candidates(valid.features, { sizes = { 2, 3 }, want = { 300, 100 } })
  local list = {}
  for _, s in c.itemsets:iter() do list[#list + 1] = s.items end
  local tr = bundle.takerate.fit{ bundles = list, catalog = cat, train = train, valid = valid, test = test, seed = 1 }
  print(("\n## %s: %d candidate bundles, windows of %d days before %s, test %d days (%.1f s)"):format(ds.name, #list,
    days, ds.start, ds.period_days, os.clock() - t0))
  print(("%-11s %12s %10s %12s %10s %9s"):format("model", "valid ll", "valid rmse", "test ll", "test rmse", "bundles"))
  for _, e in ipairs(tr.report.candidates) do
    if e.valid then
      print(("%-11s %12.5f %10.5f %12.5f %10.5f %9d"):format(e.name, e.valid.logloss, e.valid.rmse,
        e.test.logloss, e.test.rmse, e.test.bundles))
    else
      print(("%-11s %s"):format(e.name, e.error))
    end
  end
  print("chosen: " .. tr.chosen .. " — " .. (tr.report.note or ""))
  local ex = tr:explain({ list[1], list[2], list[3] }, test, 3)
  for i = 1, 3 do
    local t = {}
    for _, r in ipairs(ex[i]) do t[#t + 1] = r.text end
    print(("  %s: %s"):format(table.concat(list[i], " + "), table.concat(t, "; ")))
  end
end

local want = { ... }
if #want == 0 then want = { "online_retail", "instacart", "synthetic" } end
for _, name in ipairs(want) do
  local ds = datasets[name]()
  run(ds, name == "instacart" and 30 or 60)
end
