-- bundlerun side of scripts/bench/fim. Prints "itemsets read_s mine_s peak_kb".
-- For a .dat file, reading is read_baskets; for Online Retail it is
-- read_csv, the sales filter and bundle.baskets together.
local bundle = require "bundle"
local path, support = arg[1], tonumber(arg[2])
local t0 = bundle.clock()
local bk
if path:match("%.dat$") then
  bk = bundle.read_baskets(path)
else
  local f = bundle.read_csv(path, { columns = {"InvoiceNo", "StockCode", "Quantity", "UnitPrice"} })
  local sale = f:col("Quantity"):gt(0):and_(f:col("UnitPrice"):gt(0)):and_(f:col("InvoiceNo"):lt("C"))
  bk = bundle.baskets(f:filter(sale), { basket = "InvoiceNo", item = "StockCode" })
end
local t1 = bundle.clock()
local sets = bk:frequent{ min_support = support }
local t2 = bundle.clock()
local peak = io.open("/proc/self/status"):read("a"):match("VmHWM:%s*(%d+)")
print(("%d %.4f %.4f %s"):format(#sets, t1 - t0, t2 - t1, peak))
