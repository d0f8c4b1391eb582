-- The full UCI Online Retail file from ../shared/data, read as shipped
-- (.csv.gz). Reference figures were computed by pandas 1.5.3 read_csv on the
-- same file: df.Quantity.sum(), df.UnitPrice.sum(), df.InvoiceNo.nunique().
local bundle = require "bundle"
local PATH = "../shared/data/online_retail/online_retail.csv.gz"
local have = io.open(PATH) ~= nil

describe("Online Retail (full file)", function()
  if not have then
    pending("../shared/data is not here; the shipped sample is tested in frame_spec")
    return
  end
  local f = bundle.read_csv(PATH)

  it("loads 541,909 rows of 8 columns with sensible types", function()
    assert.are.equal(541909, f:nrows())
    assert.are.equal(8, f:ncols())
    assert.are.same({InvoiceNo = "str", StockCode = "str", Description = "str", Quantity = "i64",
                     InvoiceDate = "datetime", UnitPrice = "f64", CustomerID = "i64", Country = "str"},
                    f:types())
    assert.are.equal(135080, f:col("CustomerID"):nulls())
  end)

  it("sums and counts exactly what pandas computes", function()
    assert.are.equal(5176450, f:col("Quantity"):tensor():sum())
    assert.are.equal(2498803.974, f:col("UnitPrice"):tensor():sum())
    assert.are.equal(25900, #f:col("InvoiceNo"):unique())
    assert.are.equal(4070, #f:col("StockCode"):levels())
  end)

  it("finds the 530,104 sale lines the data README describes", function()
    local sale = f:col("Quantity"):gt(0):and_(f:col("UnitPrice"):gt(0)):and_(f:col("InvoiceNo"):lt("C"))
    local s = f:filter(sale)
    assert.are.equal(530104, s:nrows())
    assert.are.equal(19960, #s:col("InvoiceNo"):unique())
    local per = s:group_by("InvoiceNo"):agg{ lines = "count" }
    assert.are.equal(19960, per:nrows())
    assert.are.equal(530104, per:col("lines"):tensor():sum())
  end)
end)
