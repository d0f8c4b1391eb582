-- One shop of the development set (scripts/results/shops/run.sh runs all four): the DEFAULT
-- pipeline with the data mapping only.  cd DIR_WITH_THE_CSVS && bundlerun run.lua SHOP CUT PERIOD_DAYS [OUT]
-- Only the data mapping, start and period_days are given; config is left at defaults.
local bundle = require "bundle"
local shop, cut, period, out = arg[1], arg[2], tonumber(arg[3]), arg[4] or ("out_" .. arg[1])
local maps = {
  bakery = { orders = "bakery.csv", basket = "Transaction", item = "Item", time = "date_time",
             time_format = "%d-%m-%Y %H:%M" },
  grocer = { orders = "grocer.csv", basket = { "Member_number", "Date" }, item = "itemDescription", time = "Date",
             user = "Member_number", day_first = true },
  pricegrocer = { orders = os.getenv("PG_FILE") or "pricegrocer.csv", basket = "order_id", item = "sku", time = "ts", user = "customer",
                  quantity = "qty", price = "unit_price", currency = "EUR", read = { sep = ";" } },
  awkward = { orders = "awkward.csv", basket = "Order ID", item = "Product", time = "Order Date", user = "Customer",
              quantity = "Qty", price = "Price", currency = "£" },
}
local data = assert(maps[shop], "unknown shop " .. tostring(shop))
if os.getenv("MAPLUA") then  -- override/extra keys for probing, e.g. MAPLUA='time_format="%Y-%m-%d %H:%M"'
  for k, v in pairs(assert(load("return {" .. os.getenv("MAPLUA") .. "}"))()) do data[k] = v end
end
-- H27 workarounds a user has to find (set by env so the failing default run stays reproducible):
if os.getenv("DECIMAL_COMMA") then  -- no decimal-comma option: read as text, convert in Lua, pass the Frame
  local f = bundle.read_csv(data.orders, { sep = ";", types = { unit_price = "str" } })
  local v = f:col("unit_price"):totable()
  for i, x in ipairs(v) do v[i] = tonumber((x:gsub(",", "."))) end
  data.orders = f:with_column("unit_price", v); data.read = nil
end
local t0 = bundle.clock()
local ctx = bundle.pipeline{ data = data, start = cut, period_days = period, seed = tonumber(os.getenv("SEED") or "1"),
  config = os.getenv("CONFIGLUA") and assert(load("return {" .. os.getenv("CONFIGLUA") .. "}"))() or nil }
print("visit_share", ctx.visit_share)
local dt = bundle.clock() - t0
local paths = bundle.pipeline.write(ctx, out)
print(("== %s: cut %s, test %d days, %.1f s"):format(shop, cut, period, dt))
print("bundles:")
for r, b in ipairs(ctx.bundles) do
  print(("%2d  %-55s size %d  price %.2f list %.2f disc %3.0f%%  incr/visitor %.5f"):format(r,
    table.concat(b.items, " + "), #b.items, b.price or 0/0, b.list_price or 0/0, (b.discount or 0) * 100,
    b.incremental_profit or 0/0))
end
print("warnings:") for _, w in ipairs(ctx.warnings or {}) do print("  - " .. w) end
local m = ctx.model_report
if m then print(("model %s: rmse %.4f popularity %.4f constant %.4f; note: %s"):format(m.kind, m.rmse or 0/0,
  m.popularity_rmse or 0/0, m.constant_rmse or 0/0, tostring(m.note))) end
print("evaluation (attach, hit, realised margin, incr. sim profit; list-price attach if present):")
for name, e in pairs(ctx.evaluation or {}) do
  if type(e) == "table" then
    print(("  %-16s %8.4f %8.4f %12.2f %12.2f"):format(name, e.attach_rate or 0/0, e.hit_rate or 0/0,
      e.realised_margin or 0/0, e.simulated_incremental_profit or 0/0))
  end
end
print("ratios:", bundle.json.encode(ctx.ratios or {}))
local c = ctx.calibration or {}
print(("calibration: median %s over %s bundles (unobserved %s)"):format(tostring(c.median_ratio), tostring(c.bundles),
  tostring(c.unobserved)))
print("elasticity:", ctx.elasticity and bundle.json.encode(ctx.elasticity.choice or ctx.elasticity.report or {}) or "-")
print("timing:", bundle.json.encode(ctx.timing or {}))
print("wrote", paths.bundles, paths.summary, paths.report)
if os.getenv("DUMP_POOL") then  -- the scored pool: why did a bundle win or lose?
  local l = {}
  for _, b in ipairs(ctx.scored_pool or {}) do l[#l + 1] = b end
  table.sort(l, function(a, b) return (a.base_score or a.score) > (b.base_score or b.score) end)
  local f = assert(io.open(out .. "/pool.tsv", "w"))
  f:write("rank\titems\tscore\tvisit_lift\tbasket_lift\tlift_upper\n")
  for i, b in ipairs(l) do
    f:write(("%d\t%s\t%.6g\t%.3f\t%.3f\t%.3f\n"):format(i, table.concat(b.items, "+"), b.base_score or b.score,
      b.lift or 0/0, b.basket_lift or 0/0, b.lift_upper or 0/0))
  end
  f:close()
end
