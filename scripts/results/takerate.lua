-- The take-rate candidates on each results data set: every model's
-- validation and held-out binomial log-loss (per touching basket) and
-- RMSE of the rate, beside the constant and popularity-only models.
--
--   build/bundlerun scripts/results/takerate.lua [online_retail|instacart|synthetic ...]
--
-- Windows (bundle.takerate.windows, days = 60 before the cut, Instacart
-- 30): train = features before cut - 2 days, labels the next `days`, and
-- two more such windows each days/2 earlier (stack = 3); valid = features
-- before cut - days, labels the last `days` before the cut; held-out test =
-- features before the cut, labels the data set's test period after it
-- (never used to choose: every choice -- settings on the newest training
-- window, training set and model on valid -- is made before it is scored).
-- Candidates: the frequent pairs and triples of the validation features
-- window (bundle.candidates). "oracle" is each bundle's own rate in the
-- label window: the lowest log-loss any per-bundle prediction can reach,
-- printed to show how much of the log-loss is binomial noise.
package.path = "scripts/results/?.lua;" .. package.path
local bundle = require "bundle"
local datasets = require "datasets"

-- Baskets and a catalogue; categories where the data has them (Instacart's
-- departments, the synthetic world's categories), none for Online Retail.
local function load(ds)
  local p = bundle.orders.prepare(datasets.pipeline_data(ds))
  local sales = p.sales
  local spec = { basket = "basket", item = "item", time = "time" }
  for _, n in ipairs(sales:names()) do if n == "user" then spec.user = "user" end end
  local baskets = bundle.baskets(sales, spec)
  local items = sales:group_by("item"):agg{ price = { "mean", "price" } }
  local opts = { item = "item", price = "price", margin = 0.4 }
  if ds.name == "instacart" then
    local products = bundle.read_csv(datasets.data_dir .. "/instacart_sample/products.csv",
      { types = { product_id = "i64", department_id = "str" }, columns = { "product_id", "department_id" } })
    items = items:join(products:with_column("item", products:col("product_id")), { on = "item", how = "left" })
    opts.category = "department_id"
  elseif ds.catalog then
    items = bundle.read_csv(ds.catalog)
    opts = { item = "item", price = "price", cost = "cost", category = "category" }
  end
  return baskets, bundle.catalog(items, opts)
end

local function oracle(list, baskets)
  local bt = bundle.eval.backtest(list, baskets, { metrics = { "attach_rate" } }).bundles
  local ll, w = 0, 0
  for i = 1, #list do
    local c, n = bt[i].complete, bt[i].touched
    if c > 0 and c < n then ll = ll - (c * math.log(c / n) + (n - c) * math.log(1 - c / n)) end
    w = w + n
  end
  return ll / w
end

local function run(ds, days)
  local t0 = bundle.clock()
  local baskets, cat = load(ds)
  local train, valid, test = bundle.takerate.windows(baskets, ds.start, { days = days, recent_days = 30, stack = 3,
                                                                        step = days // 2, test_days = ds.period_days })
  local c = bundle.candidates(valid.features, { sizes = { 2, 3 }, want = { 300, 100 } })
  local list = {}
  for _, s in c.itemsets:iter() do list[#list + 1] = s.items end
  local tr = bundle.takerate.fit{ bundles = list, catalog = cat, train = train, valid = valid, seed = 1 }
  -- held out: scored once the choice is made
  tr:score(list, test)
  print(("\n## %s: %d candidate bundles, windows of %d days before %s (3 training windows, %d rows), test %d days (%.1f s)")
    :format(ds.name, #list, days, ds.start, tr.report.training_rows, ds.period_days, bundle.clock() - t0))
  print("features dropped as constant: " .. (#tr.report.dropped > 0 and table.concat(tr.report.dropped, ", ") or "none"))
  print(("%-11s %10s %10s %10s %10s %9s  %-18s %s"):format("model", "valid ll", "valid rmse", "test ll", "test rmse",
    "bundles", "training", "settings"))
  local best_trivial, chosen
  for _, e in ipairs(tr.report.candidates) do
    if e.valid then
      print(("%-11s %10.5f %10.5f %10.5f %10.5f %9d  %-18s %s"):format(e.name, e.valid.logloss, e.valid.rmse,
        e.test.logloss, e.test.rmse, e.test.bundles, e.training, e.settings and bundle.json.encode(e.settings) or ""))
      if e.trivial and (not best_trivial or e.valid.logloss < best_trivial.valid.logloss) then best_trivial = e end
      if e.name == tr.chosen then chosen = e end
    else
      print(("%-11s %s"):format(e.name, e.error))
    end
  end
  local ov, ot = oracle(list, valid.labels), oracle(list, test.labels)
  print(("%-11s %10.5f %10s %10.5f"):format("oracle", ov, "", ot))
  print("chosen: " .. tr.chosen .. " — " .. (tr.report.note or ""))
  local function gain(a, b) return 100 * (a - b) / a end
  print(("held out: chosen %.5f vs best trivial on validation (%s) %.5f: %.1f%% lower log-loss; the oracle is %.1f%% lower")
    :format(chosen.test.logloss, best_trivial.name, best_trivial.test.logloss,
            gain(best_trivial.test.logloss, chosen.test.logloss), gain(best_trivial.test.logloss, ot)))
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
