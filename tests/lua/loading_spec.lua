-- Loading a shop's files as they come (issue 15's first-time user): the ISO
-- timestamps real exports write, %z and %f in time_format, decimal-comma
-- prices, and what bundle.orders.prepare says about them.
local bundle = require "bundle"
local files = require "spec_files"

local dir = files.tmpdir()
local AT = 1704121380 -- 2024-01-01 15:03:00 UTC

local function csv(name, text)
  local path = dir .. "/" .. name
  files.write(path, text)
  return path
end

describe("ISO timestamps as exports write them", function()
  it("are inferred as datetimes, offsets taken off to give UTC", function()
    local path = csv("iso.csv", "id,a,b,c,d,e\n"
      .. "1,2024-01-01 15:03,2024-01-01T15:03:00Z,2024-01-01 15:03:00+01:00,2024-01-01 15:03:00 +0100,2024-01-01T15:03:00.123\n"
      .. "2,2024-01-02 00:00,2024-01-01T23:59:59Z,2024-01-01 15:03:00-05:30,2024-01-01 15:03:00+0000,2024-01-01T15:03:59.999\n")
    local f = bundle.read_csv(path)
    for _, c in ipairs{ "a", "b", "c", "d", "e" } do assert.are.equal("datetime", f:types()[c], c) end
    assert.are.same({ AT, AT + 9 * 3600 - 3 * 60 }, f:col("a"):totable())
    assert.are.same({ AT, AT + 8 * 3600 + 56 * 60 + 59 }, f:col("b"):totable())
    assert.are.same({ AT - 3600, AT + 5 * 3600 + 1800 }, f:col("c"):totable())
    assert.are.same({ AT - 3600, AT }, f:col("d"):totable())
    assert.are.same({ AT, AT + 59 }, f:col("e"):totable()) -- fractions dropped: whole seconds
  end)

  it("parse with %z and %f in time_format", function()
    local path = csv("fmt.csv", "t\n01/01/2024 15:03:00.250 +01:00\n01/01/2024 16:03:00.0 Z\n")
    local f = bundle.read_csv(path, { time_format = "%d/%m/%Y %H:%M:%S.%f %z" })
    assert.are.same({ AT - 3600, AT + 3600 }, f:col("t"):totable())
    local g = bundle.read_csv(path)
    assert.are.same({ AT - 3600, AT + 3600 },
      g:col("t"):to_datetime{ time_format = "%d/%m/%Y %H:%M:%S.%f %z" }:totable())
  end)

  it("name the column, line and text of an impossible date or hour", function()
    local path = csv("bad.csv", "id,t\n1,2024-02-28 10:00\n2,2024-02-30 10:00\n")
    local ok, e = pcall(bundle.read_csv, path, { types = { t = "datetime" } })
    assert.is_false(ok)
    assert.truthy(e:find(path .. ":3: column 't': '2024-02-30 10:00' is not a date", 1, true), e)
    path = csv("bad2.csv", "id,t\n1,2024-02-28 10:00\n2,2024-02-28 25:00\n")
    ok, e = pcall(bundle.read_csv, path, { types = { t = "datetime" } })
    assert.truthy(e:find(path .. ":3: column 't': '2024-02-28 25:00' is not a date", 1, true), e)
    -- inferred: the column stays text, and to_datetime names the row
    local f = bundle.read_csv(path)
    assert.are.equal("str", f:types().t)
    assert.has_error(function() f:col("t"):to_datetime() end,
      "to_datetime: row 2: '2024-02-28 25:00' is not a date (YYYY-MM-DD, optionally with HH:MM[:SS[.fff]] "
      .. "and Z or +hh:mm) (column 't')")
  end)
end)

describe("decimal commas", function()
  local PRICES = "order;sku;qty;price\n1;A;1;3,49\n1;B;2;1.234,50\n2;A;1;3,49\n3;C;1;NA\n"

  it("read as numbers with read_csv{ decimal = \",\" }", function()
    local f = bundle.read_csv(csv("p.csv", PRICES), { sep = ";", decimal = "," })
    assert.are.equal("f64", f:types().price)
    assert.are.equal("i64", f:types().qty)
    assert.are.same({ 3.49, 1234.5, 3.49 }, { f:col("price"):totable()[1], f:col("price"):totable()[2],
                                              f:col("price"):totable()[3] })
    assert.is_nil(f:col("price"):totable()[4])
    -- without it the prices are text
    assert.are.equal("str", bundle.read_csv(csv("p.csv", PRICES), { sep = ";" }):types().price)
  end)

  it("read the same in chunks", function()
    local path = csv("p.csv", PRICES)
    local got = {}
    for frame in bundle.read_csv_chunks(path, { sep = ";", decimal = ",", rows = 2 }) do
      assert.are.equal("f64", frame:types().price)
      for _, v in ipairs(frame:col("price"):totable()) do got[#got + 1] = v end
    end
    assert.are.same({ 3.49, 1234.5, 3.49 }, got)
  end)

  it("convert a text column with Column:to_number", function()
    local f = bundle.read_csv(csv("p.csv", PRICES), { sep = ";" })
    local n = f:col("price"):to_number{ decimal = "," }
    assert.are.equal("f64", n:type())
    assert.are.equal("price", n:name())
    assert.are.same(3.49, n:totable()[1])
    assert.are.same(1234.5, n:totable()[2])
    assert.has_error(function() f:col("price"):to_number() end, "to_number: row 1: '3,49' is not a number (column 'price')")
    assert.has_error(function() f:col("sku"):to_number{ decimal = "," } end,
      "to_number: row 1: 'A' is not a number with a decimal comma (such as 3,49 or 1.234,56) (column 'sku')")
    assert.has_error(function() f:col("price"):to_number{ decimal = ";" } end,
      "to_number: option 'decimal' must be \".\" or \",\"")
    assert.has_error(function() f:col("price"):to_number{ decmal = "," } end, "to_number: unknown option 'decmal'")
    assert.are.same({ 1, 2, 1, 1 }, f:col("qty"):to_number():totable())
  end)

  it("reject a decimal mark other than '.' and ','", function()
    assert.has_error(function() bundle.read_csv(csv("p.csv", PRICES), { sep = ";", decimal = ";" }) end,
      "read_csv: option 'decimal' must be \".\" or \",\" (the mark before a number's fraction)")
  end)
end)
