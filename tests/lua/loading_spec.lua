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
    -- an ISO-typed column holding another order of day, month and year names the options that read it
    local p2 = os.tmpname()
    local fh = io.open(p2, "w")
    fh:write("d,x\n21-07-2015,1\n")
    fh:close()
    local ok2, e2 = pcall(bundle.read_csv, p2, { types = { d = "datetime" } })
    os.remove(p2)
    assert.is_false(ok2)
    assert.truthy(e2:find("give time_format = \"%d-%m-%Y\" or day_first = true; or use types = { d = \"str\" }", 1, true), e2)
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
    -- typed f64 without it: the error says which option reads them
    local ok, e = pcall(bundle.read_csv, csv("p.csv", PRICES), { sep = ";", types = { price = "f64" } })
    assert.is_false(ok)
    assert.truthy(e:find("p.csv:2: column 'price': '3,49' is not a number (a decimal comma: read with decimal = \",\"; "
      .. "or use types = { price = \"str\" } to keep it as text)", 1, true), e)
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

describe("day_first that the data cannot check", function()
  it("is said once per column, in read_csv's report and by orders.prepare", function()
    local us = csv("us.csv", "id,t,u\n1,03/05/2024,13/05/2024\n2,12/11/2024,03/05/2024\n3,12/11/2024,2024-05-04\n")
    local f, rep = bundle.read_csv(us, { day_first = true })
    assert.are.equal("datetime", f:types().t)
    assert.are.same({ "t" }, rep.day_first_unchecked) -- u has a 13th: its order is checked
    local _, rep2 = bundle.read_csv(us)
    assert.are.same({}, rep2.day_first_unchecked)
    local p = bundle.orders.prepare{ orders = us, basket = "id", item = "u", time = "t", day_first = true }
    local n = 0
    for _, w in ipairs(p.warnings) do
      if w:find("day_first", 1, true) then
        n = n + 1
        assert.are.equal("day_first: no day in column 't' is over 12, so the data cannot tell day-first from "
          .. "month-first dates: check that they are day-first", w)
      end
    end
    assert.are.equal(1, n)
    local q = bundle.orders.prepare{ orders = us, basket = "id", item = "id", time = "u", day_first = true }
    for _, w in ipairs(q.warnings) do assert.is_nil(w:find("day_first", 1, true), w) end
  end)
end)

describe("orders.prepare on shop files", function()
  local EU = "order;ts;sku;qty;unit_price\n"
    .. "1;2024-01-01 10:00:00+01:00;A;1;3,84\n1;2024-01-01 10:00:00+01:00;B;2;1.234,50\n"
    .. "2;2024-01-02T09:30Z;A;-1;3,84\n3;2024-01-03 12:15;C;1;NA\n3;2024-01-03 12:15;A;1;3,84\n"

  it("says a text price column looks like decimal commas, naming a row, and reads it with read.decimal", function()
    local path = csv("eu.csv", EU)
    local spec = { orders = path, basket = "order", item = "sku", time = "ts", quantity = "qty", price = "unit_price",
                   read = { sep = ";" } }
    assert.has_error(function() bundle.orders.prepare(spec) end,
      "orders.prepare: price column 'unit_price' is str, not numbers: it looks like decimal commas (e.g. '3,84' in "
      .. "row 1); read with read_csv{ decimal = \",\" } (in this spec: read = { decimal = \",\" })")
    local frame = bundle.read_csv(path, { sep = ";" })
    local ok, e = pcall(bundle.orders.prepare, { orders = frame, basket = "order", item = "sku", time = "ts",
                                                 quantity = "qty", price = "unit_price" })
    assert.is_false(ok)
    assert.truthy(e:find("or convert with Column:to_number{ decimal = \",\" }", 1, true), e)
    spec.read.decimal = ","
    local p = bundle.orders.prepare(spec)
    assert.are.same({ 3.84, 1234.5, 3.84 }, p.sales:col("price"):totable())
    -- times: the offset taken off, Z, and no seconds
    assert.are.same({ 1704099600, 1704099600, 1704284100 }, p.sales:col("time"):totable())
    assert.are.same({ missing = 0, cancelled = 1, nonpositive_quantity = 0, nonpositive_price = 1, filtered = 0 },
      p.report.removed)
    assert.are.same({ "1 return lines (20.0%) and 1 lines without a price (20.0%) left out of the baskets" },
      bundle.orders.findings(p.report))
  end)

  it("names the row and text of an ISO-shaped date that does not exist", function()
    local path = csv("bad.csv", "o,t,i\n1,2024-02-28 10:00,a\n2,2024-02-30 10:00,b\n")
    assert.has_error(function() bundle.orders.prepare{ orders = path, basket = "o", item = "i", time = "t" } end,
      "orders.prepare: time column 't', row 2: '2024-02-30 10:00' is not a real date and time (no such day, hour or "
      .. "minute; or a malformed time or offset)")
  end)

  it("reports how long baskets span, and a customer key spanning months is a finding", function()
    local lines = { "member,date,item" }
    -- member m buys on days m, m + 10 and m + 40: a member basket spans 40 days, a member-day basket 0
    for m = 1, 9 do
      for _, d in ipairs{ 0, 10, 40 } do
        lines[#lines + 1] = ("%d,%s,x%d"):format(m, os.date("!%Y-%m-%d", 1704067200 + (m + d) * 86400), d)
      end
    end
    local path = csv("members.csv", table.concat(lines, "\n") .. "\n")
    local p = bundle.orders.prepare{ orders = path, basket = "member", item = "item", time = "date" }
    assert.are.same({ median_days = 40, p90_days = 40, baskets = 9 }, p.report.basket_span)
    assert.are.same({ "baskets span a median of 40 days (basket = 'member'): is that one order? a grocery basket is "
      .. "usually member + day: basket = { 'member', 'date' }" }, bundle.orders.findings(p.report))
    local q = bundle.orders.prepare{ orders = path, basket = { "member", "date" }, item = "item", time = "date" }
    assert.are.same({ median_days = 0, p90_days = 0, baskets = 27 }, q.report.basket_span)
    assert.are.same({}, bundle.orders.findings(q.report))
    -- the span of any frame's baskets, by column names
    local s = bundle.orders.basket_span(bundle.read_csv(path), "member", "date")
    assert.are.equal(40, s.median_days)
  end)

  it("lets the pipeline warn about spans and left-out lines", function()
    local lines = { "order,member,ts,sku,qty,price" }
    local id = 0
    for day = 0, 59 do
      for k = 1, 4 do
        id = id + 1
        local t = os.date("!%Y-%m-%d %H:%M", 1704067200 + day * 86400 + k * 3600)
        lines[#lines + 1] = ("%d,m%d,%s,A,1,2.5"):format(id, k, t)
        lines[#lines + 1] = ("%d,m%d,%s,B,1,4.0"):format(id, k, t)
        if (day + k) % 3 == 0 then lines[#lines + 1] = ("%d,m%d,%s,C,1,1.5"):format(id, k, t) end
        if day % 20 == 0 and k == 1 then lines[#lines + 1] = ("%d,m%d,%s,C,-1,1.5"):format(id, k, t) end
      end
    end
    local path = csv("shop.csv", table.concat(lines, "\n") .. "\n")
    local ctx = { data = { orders = path, basket = "member", item = "sku", time = "ts", quantity = "qty",
                           price = "price" }, config = {}, state = {}, round = 1, start = 1704067200 + 45 * 86400,
                  period = 15 * 86400, label_days = 7, print_warnings = false }
    local pipeline = bundle.pipeline
    ctx.start = 1704067200 + 45 * 86400
    pcall(pipeline.collect, ctx) -- later steps may need more data; the warnings come first
    local found = {}
    for _, w in ipairs(ctx.warnings or {}) do
      if w:find("^collect: baskets span") then found.span = w end
      if w:find("left out of the baskets") then found.left = w end
    end
    assert.truthy(found.span and found.span:find("median of 59 days (basket = 'member')", 1, true), found.span)
    local n = #lines - 1
    assert.are.equal(("collect: 3 return lines (%.1f%%) left out of the baskets"):format(300 / n), found.left)
  end)
end)
