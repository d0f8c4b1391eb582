-- Frames: read_csv on the fixture corpus (tests/data/csv, each file with
-- its asserted outcome), columns, masks, and every table operation.
local bundle = require "bundle"
local DIR = "tests/data/csv/"

local function read(name, opts) return bundle.read_csv(DIR .. name, opts) end

local function col(f, name) return f:col(name):totable() end

-- The error message without the "spec.lua:N: " position prefix.
local function err_of(fn, ...)
  local ok, e = pcall(fn, ...)
  assert.is_false(ok, "expected an error")
  return (tostring(e):gsub("^[^:]*:%d+: ", "", 1))
end

describe("read_csv on well-formed files", function()
  it("infers i64, f64, str, bool and datetime", function()
    local f, rep = read("basic.csv")
    assert.are.same({id = "i64", price = "f64", name = "str", active = "bool", day = "datetime"}, f:types())
    assert.are.same({"id", "price", "name", "active", "day"}, f:names())
    assert.are.equal(3, f:nrows()); assert.are.equal(5, f:ncols()); assert.are.equal(3, rep.rows)
    assert.are.same({2.5, 3, -1.25}, col(f, "price"))
    assert.are.same({true, false, true}, col(f, "active"))
    assert.are.equal(1293926400, f:col("day"):get(1, { seconds = true })) -- 2011-01-02 00:00:00 UTC
    assert.are.equal("2011-01-02", f:col("day"):get(1)) -- a date by default, as Frame:row gives it
  end)

  it("takes ; tab and | as separators", function()
    assert.are.same({"x,y", "z"}, col(read("semicolon.csv", {sep = ";"}), "b"))
    assert.are.same({"hello world", "  padded  "}, col(read("tab.tsv", {sep = "\t"}), "b"))
    assert.are.same({2, 4}, col(read("pipe.csv", {sep = "|"}), "b"))
  end)

  it("drops a UTF-8 BOM and handles CRLF", function()
    local f = read("bom_crlf.csv")
    assert.are.same({"id", "name"}, f:names())
    assert.are.same({"one", "two"}, col(f, "name"))
  end)

  it("reads quoted separators, doubled quotes and newlines inside fields", function()
    local f = read("quoted.csv")
    assert.are.same({"a, b", 'say "hi"', "line one\nline two", "plain"}, col(f, "text"))
  end)

  it("marks \"\", NA and NULL as nulls, or only what na lists", function()
    local f = read("nulls.csv")
    assert.are.same({1, nil, 3}, col(f, "a"))
    assert.are.equal(1, f:col("a"):nulls())
    assert.are.equal(3, f:col("c"):nulls())
    assert.is_true(f:col("b"):isnull(1))
    local g = read("nulls.csv", {na = {""}})
    assert.are.same({"NA", "NULL"}, {g:col("c"):get(1), g:col("c"):get(2)})
  end)

  it("reads dates and datetimes, and keeps impossible dates as text", function()
    local f = read("dates.csv")
    assert.are.same({d = "datetime", t = "datetime", bad = "str"}, f:types())
    assert.are.equal(1330473600, f:col("d"):get(2, { seconds = true })) -- 2012-02-29, a leap day
    assert.are.equal(1293870360, f:col("t"):get(1, { seconds = true })) -- 2011-01-01 08:26:00
    assert.are.equal("2012-02-29", f:col("d"):get(2))
    assert.are.equal("2011-01-01 08:26:00", f:col("t"):get(1)) -- the time of day when not midnight
    assert.are.equal(f:row(1).t, f:col("t"):get(1))
    assert.are.equal(f:row(1, { seconds = true }).t, f:col("t"):get(1, { seconds = true }))
    assert.are.equal("2011-02-30", f:col("bad"):get(1, { seconds = true })) -- no effect on other types
    assert.truthy(err_of(function() return f:col("t"):get(1, { second = true }) end):find("get: unknown option 'second'", 1, true))
  end)

  it("widens i64 to f64, and numbers mixed with text to str", function()
    local f = read("mixed.csv")
    assert.are.same({n = "f64", inv = "str"}, f:types())
    assert.are.same({"536365", "536366", "C536379"}, col(f, "inv"))
  end)

  it("reads a last row without a newline, and skips blank lines", function()
    assert.are.same({2, 4}, col(read("no_newline.csv"), "b"))
    assert.are.same({1, 3}, col(read("blank_lines.csv"), "a"))
  end)

  it("names an unnamed header column", function()
    assert.are.same({"column1", "value"}, read("unnamed.csv"):names())
  end)

  it("passes invalid UTF-8 through as bytes", function()
    assert.are.same({"caf\xe9", "\xff\xfe"}, col(read("invalid_utf8.csv"), "name"))
  end)

  it("keeps int64 extremes exact and widens past them", function()
    local f = read("big_ints.csv")
    assert.are.same({a = "i64", b = "f64"}, f:types())
    assert.are.equal(math.maxinteger, f:col("a"):get(1))
    assert.are.equal(math.mininteger, f:col("a"):get(2))
  end)

  it("trims spaces around numbers but keeps them in text", function()
    local f = read("spaces.csv")
    assert.are.same({12, 7}, col(f, "n"))
    assert.are.equal(" text ", f:col("s"):get(1))
  end)

  it("reads quoted numbers as numbers (like pandas)", function()
    local f = read("quoted_numbers.csv")
    assert.are.same({id = "i64", qty = "i64"}, f:types())
    assert.is_nil(f:col("id"):get(2))
  end)

  it("reads .gz files directly", function()
    assert.are.same({"x", "y"}, col(read("small.csv.gz"), "b"))
  end)

  it("loads a subset of columns, a limited number of rows, and forced types", function()
    local f = read("basic.csv", {columns = {"name", "id"}, limit = 2, types = {id = "f64"}})
    assert.are.same({"name", "id"}, f:names())
    assert.are.equal(2, f:nrows())
    assert.are.equal("f64", f:types().id)
    assert.are.equal("str", read("bad_number.csv", {types = {price = "str"}}):types().price)
  end)
end)

describe("read_csv on malformed files", function()
  it("names a missing, empty or header-only file", function()
    assert.are.equal(DIR .. "missing.csv: cannot open: No such file or directory", err_of(read, "missing.csv"))
    assert.are.equal(DIR .. "empty.csv: the file is empty (expected a header row)", err_of(read, "empty.csv"))
    assert.are.equal(DIR .. "header_only.csv: has a header but no data rows", err_of(read, "header_only.csv"))
  end)

  it("names the line of a ragged row", function()
    assert.are.equal(DIR .. "ragged.csv:4: 3 fields, header has 2", err_of(read, "ragged.csv"))
  end)

  it("skips ragged rows on request and reports them", function()
    local f, rep = read("ragged.csv", {on_bad_row = "skip"})
    assert.are.same({1, 3, 8}, col(f, "a"))
    assert.are.equal(2, rep.skipped)
    assert.are.same({4, 6}, rep.skipped_lines)
  end)

  it("names file, line, column and value for a bad forced type", function()
    assert.are.equal(DIR .. "bad_number.csv:3: column 'price': 'abc' is not a number (use types = { price = \"str\" } to keep it as text)",
      err_of(read, "bad_number.csv", {types = {price = "f64"}}))
    assert.truthy(err_of(read, "bad_date.csv", {types = {when = "datetime"}}):find(
      "bad_date.csv:3: column 'when': '2011-13-01' is not a date", 1, true))
    assert.truthy(err_of(read, "bad_bool.csv", {types = {flag = "bool"}}):find(
      "bad_bool.csv:3: column 'flag': 'maybe' is not true or false", 1, true))
  end)

  it("rejects duplicate column names", function()
    assert.are.equal(DIR .. "dup_columns.csv:1: column name 'a' appears twice (columns 1 and 3)",
      err_of(read, "dup_columns.csv"))
  end)

  it("rejects a quote left open at the end of the file", function()
    assert.are.equal(DIR .. "unterminated.csv:2: a quoted field on this row is not closed by the end of the file",
      err_of(read, "unterminated.csv"))
  end)

  it("stops at a field longer than max_field", function()
    assert.are.equal(DIR .. "long_field.csv:2: field 2 is 5000 bytes, longer than the limit of 1000 (max_field)",
      err_of(read, "long_field.csv", {max_field = 1000}))
    assert.are.equal(1, read("long_field.csv"):nrows())
  end)

  it("reports corrupt and truncated gzip data", function()
    assert.truthy(err_of(read, "corrupt.csv.gz"):find("corrupt.csv.gz: cannot decompress: invalid", 1, true))
    assert.truthy(err_of(read, "truncated.csv.gz"):find("truncated.csv.gz: cannot decompress: unexpected end of file", 1, true))
  end)

  it("rejects bad options by name", function()
    assert.are.equal("read_csv: unknown option 'seperator'", err_of(read, "basic.csv", {seperator = ";"}))
    assert.are.equal(DIR .. "basic.csv: columns: no column 'nope' in the header (columns: id, price, name, active, day)", err_of(read, "basic.csv", {columns = {"nope"}}))
    assert.truthy(err_of(read, "basic.csv", {types = {id = "int"}}):find("unknown type 'int'", 1, true))
    assert.truthy(err_of(read, "basic.csv", {sep = ";;"}):find("must be one character", 1, true))
    assert.truthy(err_of(read, "basic.csv", {on_bad_row = "ignore"}):find("read_csv: unknown on_bad_row 'ignore' (error, skip)", 1, true))
    assert.has_error(function() bundle.read_csv(42) end)
  end)
end)

describe("columns", function()
  local f = read("basic.csv")

  it("convert to tensors, codes and levels", function()
    assert.are.same({1, 2, 3}, f:col("id"):tensor():totable())
    local g = bundle.read_csv(DIR .. "mixed.csv")
    assert.are.same({1, 2, 3}, g:col("inv"):codes():totable())
    assert.are.same({"536365", "536366", "C536379"}, g:col("inv"):levels())
    assert.has_error(function() f:col("name"):tensor() end)
  end)

  it("compare into 0/1 masks that combine", function()
    assert.are.same({0, 1, 0}, f:col("name"):eq("pear"):totable())
    assert.are.same({1, 1, 0}, f:col("price"):gt(0):totable())
    assert.are.same({0, 1, 0}, f:col("price"):gt(0):and_(f:col("id"):ge(2)):totable())
    assert.are.same({1, 1, 1}, f:col("price"):lt(0):or_(f:col("id"):le(2)):totable())
    assert.are.same({0, 0, 1}, f:col("price"):gt(0):not_():totable())
    assert.are.same({1, 0, 1}, f:col("name"):isin{"apple", "fig", "kiwi"}:totable())
    -- numbers: by sorted search; repeats, order and NaN (equal to nothing) as ==
    assert.are.same({1, 0, 1}, f:col("id"):isin{3, 1, 0 / 0, 1, 99}:totable())
    assert.are.same({0, 0, 0}, f:col("id"):isin{}:totable())
    assert.are.same({0, 0, 0}, f:col("id"):isin{0 / 0}:totable())
    assert.truthy(err_of(function() return f:col("id"):isin{1, "x"} end):find("isin: value 2 is a string", 1, true))
    assert.are.same({0, 1, 1}, f:col("day"):ge("2011-01-03"):totable())
    assert.are.same({1, 0, 1}, read("nulls.csv"):col("a"):notnull():totable())
    assert.truthy(err_of(function() return f:col("name"):eq(1) end):find("compare it with a string", 1, true))
  end)

  it("give unique values and value counts", function()
    local v = bundle.read_csv(DIR .. "ragged.csv", {on_bad_row = "skip"})
    local w = v:with_column("k", {"x", "y", "x"})
    assert.are.same({"x", "y"}, w:col("k"):unique():totable())
    local vc = w:col("k"):value_counts()
    assert.are.same({"x", "y"}, col(vc, "k")); assert.are.same({2, 1}, col(vc, "count"))
  end)

  it("name a missing column and list the ones there are", function()
    assert.are.equal("col: no column 'nmae' (columns: id, price, name, active, day)",
      err_of(function() return f:col("nmae") end))
  end)
end)

describe("frame operations", function()
  local f = bundle.read_csv(DIR .. "basic.csv")

  it("filter by a mask, select, head and sort", function()
    assert.are.same({"apple", "fig"}, col(f:filter(f:col("name"):ne("pear")), "name"))
    assert.are.same({"name"}, f:select{"name"}:names())
    assert.are.equal(2, f:head(2):nrows())
    assert.are.same({"pear", "apple", "fig"}, col(f:sort("price", {desc = true}), "name"))
    assert.are.same({"apple", "fig", "pear"}, col(f:sort("name"), "name"))
    assert.truthy(err_of(function() return f:filter(bundle.tensor.ones(2)) end):find("one per row", 1, true))
  end)

  it("sorts stably by several keys, nulls last", function()
    local g = bundle.read_csv(DIR .. "nulls.csv"):with_column("k", {1, 1, 0})
    assert.are.same({3, 1, nil}, col(g:sort{"k", "a"}, "a"))
  end)

  it("adds columns from tensors and tables", function()
    local g = f:with_column("twice", f:col("price"):tensor() * 2):with_column("tag", {"a", nil, "c"})
    assert.are.same({5, 6, -2.5}, col(g, "twice"))
    assert.are.same({"a", nil, "c"}, col(g, "tag"))
    assert.are.equal("str", g:types().tag)
    assert.has_error(function() f:with_column("x", {1, 2, 3, 4}) end)
  end)

  it("makes an n x d tensor of numeric columns", function()
    local t = f:tensor{"id", "price"}
    assert.are.same({{1, 2.5}, {2, 3}, {3, -1.25}}, t:totable())
    assert.are.same({3, 4}, f:tensor():shape()) -- id, price, active, day
    assert.truthy(err_of(function() return f:tensor{"name"} end):find("'name' is str", 1, true))
  end)

  it("groups and aggregates", function()
    local g = f:with_column("grp", {"a", "b", "a"})
    local r = g:group_by("grp"):agg{ n = "count", total = {"sum", "id"}, avg = {"mean", "price"},
                                     lo = {"min", "price"}, hi = {"max", "day"}, k = {"nunique", "name"},
                                     one = {"first", "name"} }
    assert.are.same({"grp", "avg", "hi", "k", "lo", "n", "one", "total"}, r:names())
    assert.are.same({"a", "b"}, col(r, "grp"))
    assert.are.same({2, 1}, col(r, "n"))
    assert.are.same({4, 2}, col(r, "total"))
    assert.are.same({0.625, 3}, col(r, "avg"))
    assert.are.same({-1.25, 3}, col(r, "lo"))
    assert.are.same({2, 1}, col(r, "k"))
    assert.are.same({"apple", "pear"}, col(r, "one"))
    assert.are.equal("datetime", r:types().hi)
    assert.truthy(err_of(function() return g:group_by("grp"):agg{ x = {"sum", "name"} } end):find("needs numbers", 1, true))
    assert.truthy(err_of(function() return g:group_by("grp"):agg{ x = "median" } end):find("unknown aggregation 'median'", 1, true))
  end)

  it("joins on string keys across dictionaries, inner and left", function()
    local prices = bundle.read_csv(DIR .. "basic.csv", {columns = {"name", "price"}})
    local extra = f:select{"id", "name"}:with_column("name", {"fig", "kiwi", "apple"})
    local inner = extra:join(prices, {on = "name"})
    assert.are.same({1, 3}, col(inner, "id"))
    assert.are.same({-1.25, 2.5}, col(inner, "price"))
    local left = extra:join(prices, {on = "name", how = "left"})
    assert.are.same({-1.25, nil, 2.5}, col(left, "price"))
    assert.are.same({"id", "name", "price"}, left:names())
    local self = f:join(f, {on = "id"})
    assert.truthy(self:names()[6] == "price_right")
    assert.truthy(err_of(function() return f:join(prices, {on = "id"}) end):find("join (right): no column 'id'", 1, true))
    assert.truthy(err_of(function() return f:join(f, {on = "id", how = "outer"}) end):find("join: unknown how 'outer' (inner, left)", 1, true))
  end)

  it("splits by time", function()
    local train, test = f:split_by_time("day", "2011-01-03")
    assert.are.same({1}, col(train, "id"))
    assert.are.same({2, 3}, col(test, "id"))
    assert.truthy(err_of(function() return f:split_by_time("day", "2011-1-3") end):find("is not a date", 1, true))
  end)

  it("writes CSV that reads back as the same frame", function()
    local path = os.tmpname()
    for _, src in ipairs{
      bundle.read_csv(DIR .. "quoted.csv"):with_column("x", {0.1, 1 / 3, nil, 1e300}),
      bundle.read_csv(DIR .. "basic.csv"),
      (bundle.read_csv(DIR .. "dates.csv")), -- parenthesised: read_csv also returns a report
    } do
      src:write_csv(path)
      local back = bundle.read_csv(path)
      assert.are.same(src:names(), back:names())
      assert.are.same(src:types(), back:types())
      for _, n in ipairs(src:names()) do assert.are.same(col(src, n), col(back, n)) end
    end
    os.remove(path)
  end)

  it("leaves the previous file intact when a write fails", function()
    local path = os.tmpname()
    local fh = io.open(path, "w"); fh:write("keep me\n"); fh:close()
    assert.has_error(function() f:write_csv("/nonexistent-dir/out.csv") end)
    assert.has_error(function() f:write_csv(path, {sep = '"'}) end)
    fh = io.open(path); assert.are.equal("keep me\n", fh:read("a")); fh:close()
    os.remove(path)
  end)

  it("prints a preview with names and types", function()
    local s = tostring(f)
    assert.truthy(s:find("bundle.Frame 3 rows x 5 columns", 1, true))
    assert.truthy(s:find("datetime", 1, true))
    assert.truthy(s:find("2011-01-02", 1, true)) -- every day at midnight: dates, as get gives them
    assert.falsy(s:find("00:00:00", 1, true))
    local d = read("dates.csv")
    assert.are.equal(table.concat({
      "bundle.Frame 2 rows x 3 columns",
      "d           t                    bad       ",
      "datetime    datetime             str       ",
      "2011-01-01  2011-01-01 08:26:00  2011-02-30",
      "2012-02-29  2011-12-31 23:59:59  2011-02-28", "" }, "\n"), tostring(d))
    assert.are.equal('bundle.Column \'t\' datetime, 2 rows, 0 nulls\n[2011-01-01 08:26:00, 2011-12-31 23:59:59]', tostring(d:col("t")))
    assert.are.equal(3, #f)
  end)
end)

describe("read_csv in parallel", function()
  -- About 6 MB, past the size where the data is split between threads.
  local function big(rows_fn)
    local path = os.tmpname()
    local fh = assert(io.open(path, "w"))
    fh:write("id,qty,price,name,day\n")
    for i = 1, 120000 do fh:write(rows_fn(i)) end
    fh:close()
    return path
  end
  local function plain(i)
    return ("%d,%d,%.2f,item number %d with some words,2011-%02d-%02d 10:%02d:00\n"):format(
      i, i % 17, (i % 1000) / 7, i % 333, i % 12 + 1, i % 28 + 1, i % 60)
  end
  local function same(a, b)
    assert.are.same(a:names(), b:names())
    assert.are.same(a:types(), b:types())
    for _, n in ipairs(a:names()) do
      local x, y = a:col(n), b:col(n)
      for _, i in ipairs{1, 2, 59999, 60000, 60001, a:nrows()} do assert.are.equal(x:get(i), y:get(i)) end
    end
    assert.are.equal(a:col("qty"):tensor():sum(), b:col("qty"):tensor():sum())
    assert.are.equal(a:col("price"):tensor():sum(), b:col("price"):tensor():sum())
  end

  it("gives the same frame as one thread", function()
    local path = big(plain)
    local one = bundle.read_csv(path, {threads = 1})
    local two = bundle.read_csv(path, {threads = 2})
    local four = bundle.read_csv(path, {threads = 4})
    assert.are.equal(120000, two:nrows())
    same(one, two); same(one, four)
    os.remove(path)
  end)

  it("names the right line of a bad row deep in the file", function()
    local path = big(function(i) return i == 100000 and "1,2,3\n" or plain(i) end)
    local ok, e = pcall(bundle.read_csv, path, {threads = 2})
    assert.is_false(ok)
    assert.truthy(e:find(path .. ":100001: 3 fields, header has 5", 1, true))
    os.remove(path)
  end)

  it("numbers skipped rows across chunks like one thread does", function()
    local path = big(function(i) return (i == 10 or i == 70000 or i == 119999) and "x\n" or plain(i) end)
    local a, ra = bundle.read_csv(path, {threads = 1, on_bad_row = "skip"})
    local b, rb = bundle.read_csv(path, {threads = 2, on_bad_row = "skip"})
    assert.are.same({11, 70001, 120000}, ra.skipped_lines)
    assert.are.same(ra.skipped_lines, rb.skipped_lines)
    same(a, b)
    os.remove(path)
  end)

  it("reads quoted line breaks that straddle a split", function()
    -- Every row from 55,000 to 65,000 has a quoted field spanning three
    -- lines, so the midpoint split lands inside one.
    local path = big(function(i)
      if i >= 55000 and i <= 65000 then
        return ('%d,1,1.5,"first line\nsecond, line\nthird",2011-01-01\n'):format(i)
      end
      return plain(i)
    end)
    local a = bundle.read_csv(path, {threads = 1})
    local b = bundle.read_csv(path, {threads = 2})
    assert.are.equal(120000, b:nrows())
    assert.are.equal("first line\nsecond, line\nthird", b:col("name"):get(60000))
    same(a, b)
    os.remove(path)
  end)
end)

describe("read_csv dates in a shop's own format", function()
  local files = require "spec_files"
  local dir = files.tmpdir()
  local path = dir .. "/visits.csv"
  files.write(path, "member,date,when,iso\n"
    .. "1,03/01/2024,3-Jan-24 10:05,2024-01-03\n"
    .. "2,4/1/2024,04-jan-24 7:00,2024-01-04\n")
  local DAY = 86400
  local JAN3 = 1704240000 -- 2024-01-03 00:00:00

  it("reads day-first dates with day_first = true, and ISO columns as before", function()
    local f = bundle.read_csv(path, { day_first = true })
    assert.are.same({ member = "i64", date = "datetime", when = "str", iso = "datetime" }, f:types())
    assert.are.same({ JAN3, JAN3 + DAY }, f:col("date"):totable())
    assert.are.same(f:col("iso"):totable(), f:col("date"):totable())
  end)

  it("reads a strptime-style time_format with month names and times", function()
    local f = bundle.read_csv(path, { time_format = "%d-%b-%y %H:%M" })
    assert.are.equal("datetime", f:types().when)
    assert.are.same({ JAN3 + 10 * 3600 + 5 * 60, JAN3 + DAY + 7 * 3600 }, f:col("when"):totable())
    assert.are.equal("str", f:types().date) -- does not match: stays text
  end)

  it("leaves day-first text as str by default", function()
    assert.are.equal("str", bundle.read_csv(path):types().date)
  end)

  it("names the file, line, column and format of a value that does not match", function()
    local ok, e = pcall(bundle.read_csv, path, { types = { date = "datetime" }, time_format = "%d/%m/%Y %H:%M" })
    assert.is_false(ok)
    assert.truthy(e:find(path .. ":2: column 'date': '03/01/2024' is not a date in the time_format '%d/%m/%Y %H:%M'", 1, true), e)
    ok, e = pcall(bundle.read_csv, path, { types = { when = "datetime" }, day_first = true })
    assert.truthy(e:find(path .. ":2: column 'when': '3-Jan-24 10:05' is not a day-first date", 1, true), e)
  end)

  it("rejects a bad format, both options, and a non-boolean day_first by name", function()
    assert.has_error(function() bundle.read_csv(path, { time_format = "%d/%m/%Q" }) end,
      "read_csv: time_format '%d/%m/%Q': unknown directive '%Q' (supported: %Y %y %m %b %d %H %M %S %f %z %%)")
    assert.has_error(function() bundle.read_csv(path, { time_format = "%d/%m/%Y", day_first = true }) end,
      "read_csv: time_format and day_first cannot both be given (the format already says the order)")
    local ok, e = pcall(bundle.read_csv, path, { day_first = "yes" })
    assert.is_false(ok)
    assert.truthy(e:find("day_first", 1, true))
  end)

  it("parses a text column of a frame with Column:to_datetime", function()
    local f = bundle.read_csv(path)
    assert.are.same({ JAN3, JAN3 + DAY }, f:col("date"):to_datetime{ day_first = true }:totable())
    assert.are.equal("datetime", f:col("date"):to_datetime{ time_format = "%d/%m/%Y" }:type())
    assert.has_error(function() f:col("date"):to_datetime() end,
      "to_datetime: row 1: '03/01/2024' is not a date (YYYY-MM-DD, optionally with HH:MM[:SS[.fff]] and Z or +hh:mm) (column 'date')")
    assert.has_error(function() f:col("member"):to_datetime() end,
      "to_datetime: the column is i64; it needs text (str) to parse (column 'member')")
    assert.has_error(function() f:col("date"):to_datetime{ dayfirst = true } end, "to_datetime: unknown option 'dayfirst'")
  end)

  it("combines key columns into one text column, and tests prefixes", function()
    local f = bundle.read_csv(path, { day_first = true })
    local k = f:combine{ "member", "date" }
    assert.are.equal("member|date", k:name())
    assert.are.same({ "1|2024-01-03", "2|2024-01-04" }, k:totable())
    assert.are.same({ "1 / 2024-01-03", "2 / 2024-01-04" }, f:combine({ "member", "date" }, { sep = " / " }):totable())
    assert.has_error(function() f:combine{ "member", "day" } end, "combine: no column 'day' (columns: member, date, when, iso)")
    assert.are.same({ 1, 0 }, f:col("when"):startswith("3-"):totable())
    assert.are.same({ 0, 1 }, f:col("member"):startswith("2"):totable())
  end)
end)
