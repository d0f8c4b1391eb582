-- Frame:tail, Frame:row and Frame:describe on a small hand-checked file.
local bundle = require "bundle"
local files = require "spec_files"

local function frame()
  local path = os.tmpname()
  files.write(path, "id,name,price,day\n1,a,2.5,2024-01-03\n2,b,,2024-01-05\n3,a,4.5,\n4,,1.0,2024-02-01\n")
  local f = bundle.read_csv(path)
  os.remove(path)
  return f
end

describe("Frame:tail", function()
  it("keeps the last rows in order", function()
    local t = frame():tail(2)
    assert.are.same({ 3, 4 }, t:col("id"):totable())
    assert.are.equal(4, frame():tail(10):nrows())
    assert.are.equal(0, frame():tail(0):nrows())
  end)
end)

describe("Frame:row", function()
  it("gives a row as a table, dates as ISO text or seconds, nulls absent", function()
    local f = frame()
    assert.are.same({ id = 1, name = "a", price = 2.5, day = "2024-01-03" }, f:row(1))
    assert.are.same({ id = 3, name = "a", price = 4.5 }, f:row(3))
    assert.are.equal(1704240000, f:row(1, { seconds = true }).day) -- 2024-01-03 00:00:00 UTC
    assert.has_error(function() f:row(5) end, "row: 5 out of range for 4 rows")
  end)
end)

describe("Frame:describe", function()
  it("counts, nulls, mean and sd, min and max, distinct strings, first and last dates", function()
    local d = frame():describe()
    assert.are.same({ "id", "name", "price", "day" }, d:col("column"):totable())
    local id, name, price, day = d:row(1), d:row(2), d:row(3), d:row(4)
    assert.are.same({ column = "id", type = "i64", count = 4, nulls = 0, mean = 2.5, min = 1, max = 4,
                      sd = math.sqrt(5 / 3) }, id) -- sd of 1..4: sqrt(((1.5^2 + 0.5^2) * 2) / 3)
    assert.are.same({ column = "name", type = "str", count = 3, nulls = 1, distinct = 2 }, name)
    assert.are.equal(3, price.count); assert.are.equal(1, price.nulls)
    assert.is_true(math.abs(price.mean - 8 / 3) < 1e-12)
    assert.are.equal(1, price.min); assert.are.equal(4.5, price.max)
    assert.are.same({ column = "day", type = "datetime", count = 3, nulls = 1, first = "2024-01-03", last = "2024-02-01" }, day)
  end)
end)
