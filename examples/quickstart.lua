-- quickstart.lua: a short tour of bundle's tensors, as a data script would
-- use them. Run it with `make run` or `build/bundlerun examples/quickstart.lua`.
--
-- The story: five products and four weeks of units sold. We turn that into
-- co-purchase-like scores with a matrix product, standardise features, and
-- fit a least-squares line through the normal equations, timing each step.
local bundle = require "bundle"
local T = bundle.tensor

print(("bundle %s"):format(bundle.version))

-- Units sold per week (rows) and product (columns).
local sales = T.from{
  {12,  3,  7,  0,  5},
  {15,  4,  9,  1,  6},
  { 9,  2,  6,  0,  4},
  {20,  6, 11,  2,  8},
}
print("\nweekly sales", sales)

-- Totals per product (sum over weeks, dimension 1) and per week.
print("\nunits per product", sales:sum(1))
print("units per week   ", sales:sum(2))

-- Product x product co-movement: S^T S. The transpose is a view handed to
-- BLAS as a flag, not a copy.
local co = sales:t():matmul(sales)
print("\nco-movement S^T S", co)
-- The strongest pair of distinct products: zero the diagonal with a mask.
local off_diagonal = co * (1 - T.eye(5))
local i, j = off_diagonal:argmax()
print(("strongest pair: products %d and %d (%d)"):format(i, j, co:get(i, j)))

-- Standardise columns: broadcasting a 1 x 5 row over a 4 x 5 matrix.
local mean = sales:mean(1, {keepdim = true})
local std = sales:std(1, {keepdim = true}):clamp(1e-9)
local z = (sales - mean) / std
print("\nstandardised (column means ~0)", z:mean(1))

-- Least squares y = X b for "units of product 1" from products 2..5,
-- via the normal equations on a small ridge (a real solver arrives with
-- bundle.model.linear).
local X = sales:narrow(2, 2, 4)
local y = sales:select(2, 1)
local XtX = X:t():matmul(X) + T.eye(4) * 1e-6
local Xty = X:t():matmul(y)
-- Gauss-Jordan on the 4x4 system, in Lua, to keep the example self-contained.
local A = XtX:totable()
local b = Xty:totable()
for c = 1, 4 do
  local p = A[c][c]
  for k = 1, 4 do A[c][k] = A[c][k] / p end
  b[c] = b[c] / p
  for r = 1, 4 do
    if r ~= c then
      local f = A[r][c]
      for k = 1, 4 do A[r][k] = A[r][k] - f * A[c][k] end
      b[r] = b[r] - f * b[c]
    end
  end
end
local coef = T.from(b)
local fitted = X:matmul(coef)
print("\ncoefficients", coef)
print("fitted vs actual", T.from{fitted:totable(), y:totable()})

-- Timing: a 512 x 512 product, as a script would time its own stage.
local a = T.randn(512, 512, {seed = 1})
local t0 = bundle.clock()
local c = a:matmul(a)
local dt = bundle.clock() - t0
print(("\n512x512 matmul: %.2f ms, %.1f GFLOP/s (checksum %.6f)"):format(
  dt * 1e3, 2 * 512 ^ 3 / dt / 1e9, c:sum()))

-- ---------------------------------------------------------------------
-- Frames: real order lines (UCI Online Retail, July-December 2011).
local here = arg and arg[0] and arg[0]:match("^(.*)/[^/]*$") or "."
local t1 = bundle.clock()
local orders = bundle.read_csv(here .. "/data/online_retail_2011h2.csv.gz")
print(("\nread %d order lines x %d columns in %.2f s"):format(orders:nrows(), orders:ncols(), bundle.clock() - t1))
print(orders:head(5))

-- Sales only: no cancellations (InvoiceNo "C..."), positive quantity and price.
local sale = orders:col("Quantity"):gt(0)
  :and_(orders:col("UnitPrice"):gt(0))
  :and_(orders:col("InvoiceNo"):lt("C"))
local sales = orders:filter(sale)
sales = sales:with_column("amount", sales:col("Quantity"):tensor() * sales:col("UnitPrice"):tensor())
print(("%d sale lines, revenue %.0f"):format(sales:nrows(), sales:col("amount"):tensor():sum()))

-- Revenue and basket size per invoice, then the biggest baskets.
local per_invoice = sales:group_by("InvoiceNo"):agg{
  lines = "count", revenue = {"sum", "amount"}, customer = {"first", "CustomerID"} }
print("\nlargest invoices by revenue")
print(per_invoice:sort("revenue", {desc = true}):head(5))

-- Most sold items, named through a join with the item table.
local items = bundle.read_csv(here .. "/data/online_retail_items.csv", { columns = {"StockCode", "description"} })
local top = sales:group_by("StockCode"):agg{ units = {"sum", "Quantity"}, invoices = {"nunique", "InvoiceNo"} }
  :sort("invoices", {desc = true}):head(5):join(items, { on = "StockCode", how = "left" })
print("items in the most invoices")
print(top)

-- A time split for backtests: train before October, test from then on.
local train, test = sales:split_by_time("InvoiceDate", "2011-10-01")
print(("train %d lines, test %d lines"):format(train:nrows(), test:nrows()))
