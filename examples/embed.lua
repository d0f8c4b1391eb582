-- Using bundle from plain lua5.4 (or any Lua 5.4 host) with require:
--
--   LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="build/?.so;;" lua5.4 examples/embed.lua
--
-- (after `make install`, LUA_PATH and LUA_CPATH point at the prefix's
-- share/lua/5.4 and lib/lua/5.4, or at LuaRocks' tree). It reads the
-- shipped sample, mines the frequent pairs and prices the best three.
local bundle = require "bundle"
local path = arg and arg[1] or "examples/data/online_retail_2011h2.csv.gz"

local orders = bundle.read_csv(path)
local sales = orders:filter(orders:col("Quantity"):gt(0):and_(orders:col("UnitPrice"):gt(0)))
local baskets = bundle.baskets(sales, { basket = "InvoiceNo", item = "StockCode" })
local items = sales:group_by("StockCode"):agg{ price = { "mean", "UnitPrice" } }
local catalog = bundle.catalog(items, { item = "StockCode", price = "price", margin = 0.4 })

local pairs_ = baskets:frequent{ min_support = 0.02, min_size = 2, max_size = 2 }
pairs_:sort()
local top = {}
for _, s in pairs_:iter() do
  top[#top + 1] = s.items
  if #top == 3 then break end
end
local priced = bundle.price.optimize(top, { catalog = catalog, baskets = baskets, discount = { 0, 0.3 }, seed = 1 })
print(("bundle %s (lua %s): %d baskets, %d frequent pairs"):format(bundle.version, _VERSION, baskets:size(), #pairs_))
for i, p in ipairs(priced) do
  print(("%d. %-16s price %6.2f (list %6.2f, %2.0f%% off), take rate %.3f"):format(i, table.concat(p.items, "+"),
    p.price, p.list_price, 100 * p.discount, p.take_rate))
end
