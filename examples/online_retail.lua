-- UCI Online Retail's conventions, as a bundle.orders.prepare mapping. The
-- library itself knows nothing of this data set: these are its column
-- names and its rules, written down once here.
--
--   local bundle = require "bundle"
--   local spec = dofile("examples/online_retail.lua")
--   spec.orders = "examples/data/online_retail_2011h2.csv.gz"
--   local prep = bundle.orders.prepare(spec)
--   print(prep.report.rows_kept, table.concat(prep.warnings, "\n"))
return {
  basket = "InvoiceNo",
  item = "StockCode",
  time = "InvoiceDate",   -- "2011-07-01 08:16:00": ISO, no time_format needed
  user = "CustomerID",    -- blank on some lines: those sales keep a null user
  quantity = "Quantity",
  price = "UnitPrice",
  name = "Description",   -- the product's name, for the report (stock codes stay the keys)
  currency = "£",         -- a UK shop: unit prices are in pounds sterling
  -- A cancelled invoice's number starts with "C" (its lines also have
  -- negative quantities, which are removed either way as non-positive).
  cancelled = { column = "InvoiceNo", prefix = "C" },
  -- Product stock codes start with three digits; postage (POST, DOT), fees,
  -- samples and manual lines (M, AMAZONFEE, BANK CHARGES, ...) do not.
  item_filter = "^%d%d%d",
}
