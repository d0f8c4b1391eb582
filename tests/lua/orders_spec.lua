-- bundle.orders.prepare: shops that look nothing like Online Retail, read
-- end to end into baskets; every error path by its message; and Online
-- Retail's sample through examples/online_retail.lua, its counts computed
-- here line by line without the library's masks.
local bundle = require "bundle"
local files = require "spec_files"

local dir = files.tmpdir()

-- A club shop: members, day-first dates, no quantity, no price.
local CLUB = dir .. "/club.csv"
files.write(CLUB, "member,date,product\n"
  .. "17,03/01/2024,milk\n17,03/01/2024,bread\n42,3/1/2024,milk\n"
  .. "17,04/01/2024,eggs\n42,04/01/2024,tea\n42,4/1/2024,milk\n17,04/01/2024,eggs\n")

-- A web shop: ';'-separated, month names, a status flag and negative quantities.
local WEB = dir .. "/web.csv"
files.write(WEB, "order_id;customer;sku;qty;unit_price;status;ordered_at\n"
  .. "1001;c1;A-1;2;3.50;complete;1 Mar 2024 10:00\n"
  .. "1001;c1;B-2;1;12.00;complete;1 Mar 2024 10:00\n"
  .. "1002;c2;A-1;1;3.50;cancelled;1 Mar 2024 11:30\n"
  .. "1002;c2;C-3;1;7.25;cancelled;1 Mar 2024 11:30\n"
  .. "1003;c1;B-2;-1;12.00;complete;2 Mar 2024 09:15\n"
  .. "1004;c3;A-1;3;0;complete;2 Mar 2024 12:00\n"
  .. "1005;c3;C-3;1;7.25;returned;3 Mar 2024 08:00\n"
  .. "1006;c2;A-1;1;3.50;complete;3 Mar 2024 08:05\n"
  .. "1006;c2;C-3;0;7.25;complete;3 Mar 2024 08:05\n"
  .. "1006;c2;SHIP;1;4.95;complete;3 Mar 2024 08:05\n")

local JAN3 = 1704240000 -- 2024-01-03 00:00:00
local MAR1 = 1709251200 -- 2024-03-01 00:00:00

local function web(extra)
  local spec = { orders = WEB, basket = "order_id", item = "sku", time = "ordered_at", user = "customer",
                 quantity = "qty", price = "unit_price", time_format = "%d %b %Y %H:%M", read = { sep = ";" } }
  for k, v in pairs(extra or {}) do spec[k] = v end
  return spec
end

local function club(extra)
  local spec = { orders = CLUB, basket = { "member", "date" }, item = "product", time = "date", day_first = true }
  for k, v in pairs(extra or {}) do spec[k] = v end
  return spec
end

-- The message of the error fn raises, without the "file.lua:N: " position.
local function err_of(fn, ...)
  local ok, e = pcall(fn, ...)
  assert.is_false(ok, "expected an error")
  return (tostring(e):gsub("^[^:]*:%d+: ", "", 1))
end

describe("orders.prepare on a club shop (member + day baskets, no quantity or price)", function()
  local prep = bundle.orders.prepare(club{ user = "member" })

  it("gives canonical columns, quantity and price filled with 1, and says so", function()
    local s = prep.sales
    assert.are.same({ "basket", "item", "time", "quantity", "price", "user" }, s:names())
    assert.are.same({ basket = "str", item = "str", time = "datetime", quantity = "i64", price = "f64", user = "i64" },
                    s:types())
    assert.are.equal(7, s:nrows())
    assert.are.same({ "17|2024-01-03", "17|2024-01-03", "42|2024-01-03", "17|2024-01-04", "42|2024-01-04",
                      "42|2024-01-04", "17|2024-01-04" }, s:col("basket"):totable())
    assert.are.same({ JAN3, JAN3, JAN3, JAN3 + 86400, JAN3 + 86400, JAN3 + 86400, JAN3 + 86400 }, s:col("time"):totable())
    assert.are.same({ 1, 1, 1, 1, 1, 1, 1 }, s:col("quantity"):totable())
    assert.are.same({ 1, 1, 1, 1, 1, 1, 1 }, s:col("price"):totable())
    -- every day of the club's dates is 3 or 4: day-first is the caller's word, unchecked by the data
    assert.are.same({ "day_first: no day in column 'date' is over 12, so the data cannot tell day-first from "
                      .. "month-first dates: check that they are day-first",
                      "no quantity column: every line counts as 1 (quantity = 1)",
                      "no price column: every item is priced 1, so revenue and profit are in units of list price" },
                    prep.warnings)
    assert.are.same({ quantity = true, price = true }, prep.report.assumed)
  end)

  it("reports what it read and removed", function()
    local r = prep.report
    assert.are.equal(7, r.rows_in)
    assert.are.equal(7, r.rows_kept)
    assert.are.same({ missing = 0, cancelled = 0, nonpositive_quantity = 0, nonpositive_price = 0, filtered = 0 }, r.removed)
    assert.are.equal(4, r.baskets)
    assert.are.equal(4, r.items)
    assert.are.equal(JAN3, r.first_time)
    assert.are.equal(JAN3 + 86400, r.last_time)
    assert.are.equal("none", r.cancelled)
    assert.are.equal(CLUB, r.source)
  end)

  it("makes 4 baskets of 2 members x 2 days with the right items", function()
    local bk = bundle.baskets(prep.sales, { basket = "basket", item = "item", time = "time", user = "user",
                                            quantity = "quantity", price = "price" })
    assert.are.equal(4, bk:size())
    assert.are.same({ { "milk", "bread" }, { "milk" }, { "eggs" }, { "milk", "tea" } },
                    { bk:items(1), bk:items(2), bk:items(3), bk:items(4) })
    assert.are.same({ "17", "42", "17", "42" }, { bk:user(1), bk:user(2), bk:user(3), bk:user(4) })
  end)

  it("accepts a frame whose time column is text, parsed with day_first", function()
    local f = bundle.read_csv(CLUB)
    assert.are.equal("str", f:types().date)
    local p = bundle.orders.prepare(club{ orders = f })
    assert.are.same(prep.sales:col("basket"):totable(), p.sales:col("basket"):totable())
    assert.are.equal("datetime", p.sales:types().time)
    assert.are.equal("frame", p.report.source)
    assert.is_nil(p.sales:types().user)
  end)

  it("takes a time_format instead of day_first", function()
    local p = bundle.orders.prepare(club{ day_first = false, time_format = "%d/%m/%Y" })
    assert.are.same(prep.sales:col("time"):totable(), p.sales:col("time"):totable())
  end)
end)

describe("orders.prepare on a web shop (status flag, negative quantities)", function()
  it("removes flagged, non-positive and filtered lines, counting each step", function()
    local prep = bundle.orders.prepare(web{ cancelled = { column = "status", values = { "cancelled", "returned" } },
                                            item_filter = "^%u%-%d" })
    local r = prep.report
    assert.are.equal(10, r.rows_in)
    assert.are.same({ missing = 0, cancelled = 3, nonpositive_quantity = 2, nonpositive_price = 1, filtered = 1 }, r.removed)
    assert.are.equal(3, r.rows_kept)
    assert.are.same({}, prep.warnings)
    local s = prep.sales
    assert.are.same({ 1001, 1001, 1006 }, s:col("basket"):totable())
    assert.are.same({ "A-1", "B-2", "A-1" }, s:col("item"):totable())
    assert.are.same({ 2, 1, 1 }, s:col("quantity"):totable())
    assert.are.same({ 3.5, 12, 3.5 }, s:col("price"):totable())
    assert.are.same({ "c1", "c1", "c2" }, s:col("user"):totable())
    assert.are.same({ MAR1 + 36000, MAR1 + 36000, MAR1 + 2 * 86400 + 8 * 3600 + 300 }, s:col("time"):totable())
    local bk = bundle.baskets(s, { basket = "basket", item = "item", quantity = "quantity", price = "price" })
    assert.are.equal(2, bk:size())
    assert.are.same({ "A-1", "B-2" }, bk:items(1))
    assert.are.equal("status is one of cancelled, returned", r.cancelled)
  end)

  it("treats negative quantities as cancellations by default", function()
    local r = bundle.orders.prepare(web()).report
    assert.are.same({ missing = 0, cancelled = 1, nonpositive_quantity = 1, nonpositive_price = 1, filtered = 0 }, r.removed)
    assert.are.equal(7, r.rows_kept)
    assert.are.equal("negative_quantity (lines with quantity < 0)", r.cancelled)
  end)

  it("filters items with a function of the label", function()
    local r = bundle.orders.prepare(web{ item_filter = function(label) return label ~= "SHIP" end }).report
    assert.are.equal(1, r.removed.filtered)
    assert.are.equal(6, r.rows_kept)
  end)

  it("applies a prefix rule only when asked", function()
    local r = bundle.orders.prepare(web{ cancelled = { column = "sku", prefix = "C-" } }).report
    assert.are.equal(3, r.removed.cancelled) -- the three C-3 lines
    assert.are.equal("sku starts with 'C-'", r.cancelled)
  end)
end)

describe("orders.prepare on numeric codes", function()
  local NUM = dir .. "/tills.csv"
  files.write(NUM, "ticket,sku,qty,void,at\n1,101,2,0,2024-05-01 09:00:00\n1,205,1,0,2024-05-01 09:00:00\n"
    .. "2,101,1,1,2024-05-01 10:00:00\n3,999,1,0,2024-05-02 11:00:00\n3,205,n/a,0,2024-05-02 11:00:00\n")

  it("flags by number, filters integer items by their text, and reads markers as missing", function()
    local prep = bundle.orders.prepare{ orders = NUM, basket = "ticket", item = "sku", time = "at", quantity = "qty",
                                        cancelled = { column = "void", values = { 1 } }, item_filter = "^[12]",
                                        read = { na = { "", "n/a" } } }
    assert.are.same({ missing = 0, cancelled = 1, nonpositive_quantity = 1, nonpositive_price = 0, filtered = 1 },
                    prep.report.removed)
    assert.are.same({ 101, 205 }, prep.sales:col("item"):totable())
    assert.are.same({ 2, 1 }, prep.sales:col("quantity"):totable())
  end)

  it("says when a quantity column is text, or a flag value has the wrong type", function()
    assert.are.equal("orders.prepare: quantity column 'qty' is str, not numbers (it holds 'n/a'; list such markers in read.na "
      .. "to read them as missing)",
      err_of(bundle.orders.prepare, { orders = NUM, basket = "ticket", item = "sku", time = "at", quantity = "qty" }))
    assert.are.equal("orders.prepare: cancelled.values[1] is a string but column 'void' is i64",
      err_of(bundle.orders.prepare, { orders = NUM, basket = "ticket", item = "sku", time = "at",
                                      cancelled = { column = "void", values = { "1" } } }))
  end)
end)

describe("orders.prepare errors", function()
  it("names an unknown key, suggests the nearest and lists the valid ones", function()
    assert.are.equal("orders.prepare: unknown key 'quantiy' in the spec (did you mean 'quantity'?); the valid keys are "
      .. "basket, cancelled, category, cost, currency, day_first, item, item_filter, name, orders, price, quantity, read, time, "
      .. "time_format, user",
      err_of(bundle.orders.prepare, web{ quantiy = "qty" }))
    assert.are.equal("orders.prepare: unknown key 'value' in cancelled (did you mean 'values'?); the valid keys are "
      .. "column, prefix, values", err_of(bundle.orders.prepare, web{ cancelled = { column = "status", value = { "x" } } }))
    assert.are.equal("orders.prepare: unknown key 'seperator' in read; the valid keys are "
      .. "decimal, limit, max_field, na, on_bad_row, quote, sep, threads, types",
      err_of(bundle.orders.prepare, web{ read = { seperator = ";" } }))
  end)

  it("names a required key that is missing, and values of the wrong kind", function()
    assert.are.equal("orders.prepare: 'time' is required: the column with each line's date",
      err_of(bundle.orders.prepare, { orders = CLUB, basket = "member", item = "product" }))
    assert.are.equal("orders.prepare: 'orders' must be a CSV path or a Frame, got number",
      err_of(bundle.orders.prepare, club{ orders = 5 }))
    assert.are.equal("orders.prepare: cancelled = \"negative_quantity\" needs a quantity column (quantity = ...)",
      err_of(bundle.orders.prepare, club{ cancelled = "negative_quantity" }))
    assert.are.equal("orders.prepare: cancelled needs values = { ... } (a flag column) or prefix = \"...\" (a key's prefix), one of them",
      err_of(bundle.orders.prepare, web{ cancelled = { column = "status" } }))
    assert.are.equal("orders.prepare: 'cancelled' must be \"negative_quantity\", \"none\", { column =, values = } or "
      .. "{ column =, prefix = }, got 'C'", err_of(bundle.orders.prepare, web{ cancelled = "C" }))
    assert.are.equal("orders.prepare: 'read' applies only when orders is a CSV path, not a Frame",
      err_of(bundle.orders.prepare, club{ orders = bundle.read_csv(CLUB), read = { sep = "," } }))
    assert.are.equal("orders.prepare: give time_format or day_first, not both (the format already says the order)",
      err_of(bundle.orders.prepare, club{ time_format = "%d/%m/%Y" }))
  end)

  it("names a column missing from the file or frame, and lists the columns there are", function()
    assert.are.equal("orders.prepare: quantity: no column 'Quantity' in " .. CLUB .. " (its columns: member, date, product)",
      err_of(bundle.orders.prepare, club{ quantity = "Quantity" }))
    assert.are.equal("orders.prepare: basket[2]: no column 'day' in " .. CLUB .. " (its columns: member, date, product)",
      err_of(bundle.orders.prepare, club{ basket = { "member", "day" } }))
    assert.are.equal("orders.prepare: cancelled.column: no column 'state' in the orders frame (its columns: member, date, product)",
      err_of(bundle.orders.prepare, club{ orders = bundle.read_csv(CLUB), cancelled = { column = "state", values = { "x" } } }))
    assert.are.equal("orders.prepare: read.types: no column 'Price' in " .. CLUB .. " (its columns: member, date, product)",
      err_of(bundle.orders.prepare, club{ read = { types = { Price = "f64" } } }))
  end)

  it("names the file, line, column and format of a bad date", function()
    assert.are.equal("orders.prepare: " .. CLUB .. ":2: column 'date': '03/01/2024' is not a date in the time_format "
      .. "'%d/%m/%Y %H:%M' (use types = { date = \"str\" } to keep it as text)",
      err_of(bundle.orders.prepare, club{ day_first = false, time_format = "%d/%m/%Y %H:%M" }))
    assert.are.equal("orders.prepare: time column 'date' is text that is not an ISO date (row 1: '03/01/2024' is not a date "
      .. "(YYYY-MM-DD, optionally with HH:MM[:SS[.fff]] and Z or +hh:mm)); pass time_format (e.g. \"%d/%m/%Y %H:%M\") or day_first = true",
      err_of(bundle.orders.prepare, club{ day_first = false }))
    local f = bundle.read_csv(CLUB)
    assert.are.equal("orders.prepare: time column 'date': row 1: '03/01/2024' is not a date in the time_format '%m-%d-%Y'",
      err_of(bundle.orders.prepare, club{ orders = f, day_first = false, time_format = "%m-%d-%Y" }))
  end)

  it("says which step removed the last lines", function()
    assert.are.equal("orders.prepare: no sales left: item_filter '^Z' removed the last 7 of 7 lines "
      .. "(removed so far: missing 0, cancelled 0, nonpositive_quantity 0, nonpositive_price 0, filtered 7)",
      err_of(bundle.orders.prepare, club{ item_filter = "^Z" }))
    assert.are.equal("orders.prepare: no sales left: the cancelled rule (status is one of complete, cancelled, returned) "
      .. "removed the last 10 of 10 lines (removed so far: missing 0, cancelled 10)",
      err_of(bundle.orders.prepare, web{ cancelled = { column = "status", values = { "complete", "cancelled", "returned" } } }))
    assert.are.equal("orders.prepare: item_filter '[' is not a Lua pattern: malformed pattern (missing ']')",
      err_of(bundle.orders.prepare, club{ item_filter = "[" }))
  end)
end)

describe("orders.prepare on Online Retail's sample with examples/online_retail.lua", function()
  local SAMPLE = "examples/data/online_retail_2011h2.csv.gz"

  it("keeps and removes exactly the lines a hand count finds", function()
    local spec = dofile("examples/online_retail.lua")
    assert.is_nil(spec.orders) -- a mapping, not a file
    spec.orders = SAMPLE
    local prep = bundle.orders.prepare(spec)
    -- the hand count: one pass over the raw columns, rule by rule
    local f = bundle.read_csv(SAMPLE)
    local inv, code = f:col("InvoiceNo"):totable(), f:col("StockCode"):totable()
    local qty, price, day = f:col("Quantity"):totable(), f:col("UnitPrice"):totable(), f:col("InvoiceDate"):totable()
    local n = f:nrows()
    local want = { missing = 0, cancelled = 0, nonpositive_quantity = 0, nonpositive_price = 0, filtered = 0 }
    local kept, invoices, ninvoices = 0, {}, 0
    for i = 1, n do
      local step
      if inv[i] == nil or code[i] == nil or day[i] == nil then step = "missing"
      elseif tostring(inv[i]):sub(1, 1) == "C" then step = "cancelled"
      elseif not (qty[i] and qty[i] > 0) then step = "nonpositive_quantity"
      elseif not (price[i] and price[i] > 0) then step = "nonpositive_price"
      elseif not tostring(code[i]):match("^%d%d%d") then step = "filtered" end
      if step then
        want[step] = want[step] + 1
      else
        kept = kept + 1
        if not invoices[inv[i]] then invoices[inv[i]], ninvoices = true, ninvoices + 1 end
      end
    end
    assert.are.equal(296006, n)
    assert.are.equal(n, prep.report.rows_in)
    assert.are.same(want, prep.report.removed)
    assert.are.equal(kept, prep.report.rows_kept)
    assert.are.equal(kept, prep.sales:nrows())
    assert.are.equal(ninvoices, prep.report.baskets)
    assert.is_true(want.cancelled > 0 and want.filtered > 0 and want.nonpositive_price > 0)
    assert.are.same({}, prep.warnings)
    assert.are.same({ "basket", "item", "time", "quantity", "price", "user", "name" }, prep.sales:names())
    -- the mapping's product names and currency, for the report
    assert.are.equal("£", prep.report.currency)
    assert.are.equal("ZINC METAL HEART DECORATION", prep.sales:col("name"):get(1))
    assert.are.equal(ninvoices, bundle.baskets(prep.sales, { basket = "basket", item = "item" }):size())
  end)
end)
