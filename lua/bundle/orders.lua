-- bundle.orders: any shop's order lines in, canonical sales out.
--
--   local prep = bundle.orders.prepare{
--     orders = "shop.csv", basket = { "member", "date" }, item = "product", time = "date",
--     day_first = true,
--   }
--   local bk = bundle.baskets(prep.sales, { basket = "basket", item = "item", time = "time" })
--
-- The library holds no data set's conventions: which column is what, which
-- lines are cancellations and which items are products are all the
-- caller's to say (examples/online_retail.lua says them for UCI Online
-- Retail). What is not said is assumed out loud, in `warnings`.
local core = require "bundle.core"
local T = core.tensor

local M = {}

local FN = "orders.prepare"

local SPEC_KEYS = { "orders", "basket", "item", "time", "user", "quantity", "price", "cost", "category", "cancelled",
                    "item_filter", "time_format", "day_first", "read", "name", "currency" }
-- spec_keys() -> the spec's keys as a set, for callers that pass a mapping
-- through (bundle.pipeline)
function M.spec_keys()
  local set = {}
  for _, k in ipairs(SPEC_KEYS) do set[k] = true end
  return set
end

local CANCELLED_KEYS = { "column", "values", "prefix" }
-- read_csv's options, less those prepare sets itself (columns, time_format, day_first)
local READ_KEYS = { "sep", "quote", "na", "types", "on_bad_row", "max_field", "threads", "limit", "decimal" }

-- The steps that remove lines, in the order they run, and what each removes.
local STEPS = {
  { "missing", "lines with no basket key, item or time" },
  { "cancelled", "the cancelled rule" },
  { "nonpositive_quantity", "lines whose quantity is missing or <= 0" },
  { "nonpositive_price", "lines whose price is missing or <= 0" },
  { "filtered", "item_filter" },
}

-- Errors are tables until prepare re-raises them at its caller's line.
local function fail(fmt, ...) error({ message = FN .. ": " .. fmt:format(...) }, 0) end

-- A message without the "file.lua:N: " where a Lua caller of the core put it.
local function bare(msg) return (tostring(msg):gsub("^[^\n]-%.lua:%d+: ", "", 1)) end

local function is_frame(x)
  local mt = type(x) == "userdata" and getmetatable(x)
  return type(mt) == "table" and mt.__name == "bundle.Frame"
end

local function sorted(list)
  local out = table.move(list, 1, #list, 1, {})
  table.sort(out)
  return out
end

-- Levenshtein distance, for "did you mean".
local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end

-- Every key of t must be one of valid; `where` names the table in messages.
local function check_keys(t, valid, where)
  local set = {}
  for _, k in ipairs(valid) do set[k] = true end
  local bad = {}
  for k in pairs(t) do
    if not set[k] then bad[#bad + 1] = tostring(k) end
  end
  if #bad == 0 then return end
  table.sort(bad)
  local k, hint, best = bad[1], "", 3
  for _, v in ipairs(valid) do
    local d = distance(k, v)
    if d < best then best, hint = d, (" (did you mean '%s'?)"):format(v) end
  end
  fail("unknown key '%s' in %s%s; the valid keys are %s", k, where, hint, table.concat(sorted(valid), ", "))
end

local function check_name(spec, key, required, what)
  local v = spec[key]
  if v == nil then
    if required then fail("'%s' is required: %s", key, what) end
    return nil
  end
  if type(v) ~= "string" or v == "" then fail("'%s' must be a column name, got %s", key, type(v)) end
  return v
end

-- The spec, checked; returns the normalised fields.
local function check_spec(spec)
  if type(spec) ~= "table" then fail("expects a table { orders =, basket =, item =, time =, ... }, got %s", type(spec)) end
  check_keys(spec, SPEC_KEYS, "the spec")
  local s = {}
  if spec.orders == nil then fail("'orders' is required: a CSV path or a Frame of order lines") end
  local orders = spec.orders
  if type(orders) ~= "string" and not is_frame(orders) and (type(orders) == "function"
      or (getmetatable(orders) or {}).__call) then
    orders = core.concat_frames(orders) -- read_csv_chunks' chunks, made whole
  end
  if type(orders) ~= "string" and not is_frame(orders) then
    fail("'orders' must be a CSV path or a Frame, got %s", type(orders))
  end
  s.orders = orders
  local b = spec.basket
  if b == nil then fail("'basket' is required: the column (or list of columns) that keys a basket") end
  if type(b) == "string" and b ~= "" then
    s.basket = { b }
  elseif type(b) == "table" then
    if #b == 0 then fail("'basket' is an empty list; give a column or a list of columns") end
    for k in pairs(b) do
      if math.type(k) ~= "integer" or k < 1 or k > #b then
        fail("'basket' must be a list of column names; it has the key '%s'", tostring(k))
      end
    end
    for i, c in ipairs(b) do
      if type(c) ~= "string" or c == "" then fail("basket[%d] must be a column name, got %s", i, type(c)) end
    end
    s.basket = table.move(b, 1, #b, 1, {})
  else
    fail("'basket' must be a column name or a list of column names, got %s", type(b))
  end
  s.item = check_name(spec, "item", true, "the column naming the product of each line")
  s.time = check_name(spec, "time", true, "the column with each line's date")
  s.user = check_name(spec, "user")
  s.quantity = check_name(spec, "quantity")
  s.category = check_name(spec, "category")
  s.cost = check_name(spec, "cost")
  s.price = check_name(spec, "price")
  s.name = check_name(spec, "name")
  if spec.currency ~= nil and (type(spec.currency) ~= "string" or spec.currency == "") then
    fail("'currency' must be the prices' currency as text, such as \"£\" or \"EUR\", got %s", type(spec.currency))
  end
  s.currency = spec.currency
  if spec.time_format ~= nil and type(spec.time_format) ~= "string" then
    fail("'time_format' must be a string such as \"%%d/%%m/%%Y %%H:%%M\", got %s", type(spec.time_format))
  end
  if spec.day_first ~= nil and type(spec.day_first) ~= "boolean" then
    fail("'day_first' must be true or false, got %s", type(spec.day_first))
  end
  if spec.time_format and spec.day_first then
    fail("give time_format or day_first, not both (the format already says the order)")
  end
  s.time_format, s.day_first = spec.time_format, spec.day_first or nil
  -- cancellations: an explicit rule, never guessed from the text of a key
  local c = spec.cancelled
  if c == nil then
    s.cancelled = s.quantity and { kind = "negative_quantity" } or { kind = "none" }
  elseif c == "negative_quantity" then
    if not s.quantity then fail("cancelled = \"negative_quantity\" needs a quantity column (quantity = ...)") end
    s.cancelled = { kind = "negative_quantity" }
  elseif c == "none" then
    s.cancelled = { kind = "none" }
  elseif type(c) == "table" then
    check_keys(c, CANCELLED_KEYS, "cancelled")
    if type(c.column) ~= "string" or c.column == "" then
      fail("cancelled.column must be the column that marks cancellations, got %s", type(c.column))
    end
    if (c.values == nil) == (c.prefix == nil) then
      fail("cancelled needs values = { ... } (a flag column) or prefix = \"...\" (a key's prefix), one of them")
    end
    if c.values ~= nil then
      if type(c.values) ~= "table" or #c.values == 0 then
        fail("cancelled.values must be a non-empty list of the values that mark a cancelled line")
      end
      for i, v in ipairs(c.values) do
        if type(v) ~= "string" and type(v) ~= "number" then
          fail("cancelled.values[%d] must be a string or a number, got %s", i, type(v))
        end
      end
      s.cancelled = { kind = "values", column = c.column, values = c.values }
    else
      if type(c.prefix) ~= "string" or c.prefix == "" then fail("cancelled.prefix must be a non-empty string") end
      s.cancelled = { kind = "prefix", column = c.column, prefix = c.prefix }
    end
  else
    fail("'cancelled' must be \"negative_quantity\", \"none\", { column =, values = } or { column =, prefix = }, got %s",
         type(c) == "string" and ("'" .. c .. "'") or type(c))
  end
  local f = spec.item_filter
  if f ~= nil then
    if type(f) == "string" then
      local ok, err = pcall(string.find, "", f)
      if not ok then fail("item_filter '%s' is not a Lua pattern: %s", f, tostring(err):gsub("^.-:%d+: ", "")) end
    elseif type(f) ~= "function" then
      fail("'item_filter' must be a Lua pattern or a function(label) -> boolean, got %s", type(f))
    end
  end
  s.item_filter = f
  if spec.read ~= nil then
    if type(spec.read) ~= "table" then fail("'read' must be a table of read_csv options, got %s", type(spec.read)) end
    if is_frame(spec.orders) then fail("'read' applies only when orders is a CSV path, not a Frame") end
    check_keys(spec.read, READ_KEYS, "read")
    if spec.read.types ~= nil and type(spec.read.types) ~= "table" then
      fail("read.types must be a table { column = \"type\" }")
    end
  end
  s.read = spec.read or {}
  return s
end

-- The columns the spec names, each once, with the key that names it.
local function named_columns(s)
  local out, seen = {}, {}
  local function add(col, key)
    if col and not seen[col] then
      seen[col] = true
      out[#out + 1] = { col, key }
    end
  end
  for i, c in ipairs(s.basket) do add(c, #s.basket > 1 and ("basket[" .. i .. "]") or "basket") end
  add(s.item, "item")
  add(s.time, "time")
  add(s.user, "user")
  add(s.quantity, "quantity")
  add(s.price, "price")
  add(s.category, "category")
  add(s.cost, "cost")
  add(s.name, "name")
  if s.cancelled.column then add(s.cancelled.column, "cancelled.column") end
  return out
end

local function require_columns(have, wanted, where)
  local set = {}
  for _, n in ipairs(have) do set[n] = true end
  for _, w in ipairs(wanted) do
    if not set[w[1]] then
      fail("%s: no column '%s' in %s (its columns: %s)", w[2], w[1], where, table.concat(have, ", "))
    end
  end
end

-- The orders as a frame of the named columns, with a datetime time column.
local function load(s, report)
  local wanted = named_columns(s)
  local frame
  local formatted = s.time_format ~= nil or s.day_first ~= nil
  if type(s.orders) == "string" then
    local path = s.orders
    local opts, cols, types, key_of = {}, {}, {}, {}
    for k, v in pairs(s.read) do opts[k] = v end
    for _, w in ipairs(wanted) do
      cols[#cols + 1] = w[1]
      key_of[w[1]] = w[2]
    end
    for col, ty in pairs(s.read.types or {}) do
      if type(col) ~= "string" then fail("read.types must map column names to type names") end
      types[col] = ty
      if not key_of[col] then -- loaded too, so a typo is caught, but not in sales
        cols[#cols + 1] = col
        key_of[col] = "read.types"
      end
    end
    -- a format given: the time column must be dates, so a bad one is an
    -- error naming its line; none given: inferred, and checked below
    if formatted and types[s.time] == nil then types[s.time] = "datetime" end
    opts.columns, opts.types = cols, types
    opts.time_format, opts.day_first = s.time_format, s.day_first
    local ok, f, rep = pcall(core.read_csv, path, opts)
    if not ok then
      local col, have = bare(f):match(": columns: no column '(.-)' in the header %(columns: (.*)%)$")
      if col then fail("%s: no column '%s' in %s (its columns: %s)", key_of[col] or "?", col, path, have) end
      error(bare(f), 0)
    end
    frame = f
    report.source = path
    report.read = rep
    if rep.skipped > 0 then
      report.warnings[#report.warnings + 1] = ("read_csv skipped %d bad row%s of %s (lines %s%s)"):format(
        rep.skipped, rep.skipped == 1 and "" or "s", path, table.concat(rep.skipped_lines, ", "),
        rep.skipped > #rep.skipped_lines and ", ..." or "")
    end
    for _, col in ipairs(rep.day_first_unchecked or {}) do
      report.warnings[#report.warnings + 1] = ("day_first: no day in column '%s' is over 12, so the data cannot "
        .. "tell day-first from month-first dates: check that they are day-first"):format(col)
    end
  else
    frame = s.orders
    require_columns(frame:names(), wanted, "the orders frame")
    report.source = "frame"
  end
  local types = frame:types()
  local tt = types[s.time]
  if tt == "str" then
    local ok, res = pcall(function()
      return frame:col(s.time):to_datetime{ time_format = s.time_format, day_first = s.day_first }
    end)
    if not ok then
      local msg = bare(res):gsub("^to_datetime: ", ""):gsub(" %(column '[^']*'%)$", "")
      if formatted then fail("time column '%s': %s", s.time, msg) end
      local row, text = msg:match("^row (%d+): '(.-)' is not")
      if text and text:find("^%s*%d%d%d%d%-%d%d%-%d%d") then -- ISO in shape: a day or hour that does not exist
        fail("time column '%s', row %s: '%s' is not a real date and time (no such day, hour or minute; or a "
          .. "malformed time or offset)", s.time, row, text)
      end
      fail("time column '%s' is text that is not an ISO date (%s); pass time_format (e.g. \"%%d/%%m/%%Y %%H:%%M\") "
        .. "or day_first = true", s.time, msg)
    end
    frame = frame:with_column(s.time, res)
  elseif tt ~= "datetime" then
    fail("time column '%s' holds %s values, not dates; for digits such as 20240103 pass time_format = \"%%Y%%m%%d\"",
         s.time, tt)
  end
  for _, key in ipairs{ "quantity", "price" } do
    local col = s[key]
    if col and types[col] ~= "i64" and types[col] ~= "f64" then
      local example = types[col] == "str" and frame:col(col):levels() or {}
      local bad, comma
      for _, v in ipairs(example) do
        if not tonumber(v) then bad = bad or v end
        if not comma and v:find("^%s*[+-]?%d[%d. ]*,%d+%s*$") then comma = v end
      end
      if comma then
        local row = 0
        for i, v in ipairs(frame:col(col):totable()) do
          if v == comma then row = i; break end
        end
        fail("%s column '%s' is %s, not numbers: it looks like decimal commas (e.g. '%s' in row %d); read with "
          .. "read_csv{ decimal = \",\" }%s", key, col, types[col], comma, row,
          report.source ~= "frame" and " (in this spec: read = { decimal = \",\" })" or " or convert with Column:to_number{ decimal = \",\" }")
      end
      fail("%s column '%s' is %s, not numbers%s", key, col, types[col],
           bad and (" (it holds '" .. bad .. "'" .. (report.source ~= "frame"
             and "; list such markers in read.na to read them as missing" or "") .. ")") or "")
    end
  end
  return frame
end

local function count(mask)
  return math.tointeger(math.floor(mask:sum() + 0.5))
end

-- The labels that pass item_filter, as values of the item column.
local function items_kept(col, filter)
  local values = col:type() == "str" and col:levels() or col:unique():totable()
  local keep = {}
  for _, v in ipairs(values) do
    local label = type(v) == "number" and (math.tointeger(v) and ("%d"):format(v) or tostring(v)) or tostring(v)
    local ok
    if type(filter) == "string" then
      ok = label:find(filter) ~= nil
    else
      ok = filter(label)
      if type(ok) ~= "boolean" then
        fail("item_filter returned %s for item '%s'; it must return true or false", type(ok), label)
      end
    end
    if ok then keep[#keep + 1] = v end
  end
  return keep
end

local function describe_cancelled(c)
  if c.kind == "negative_quantity" then return "negative_quantity (lines with quantity < 0)" end
  if c.kind == "values" then
    local v = {}
    for i, x in ipairs(c.values) do v[i] = tostring(x) end
    return ("%s is one of %s"):format(c.column, table.concat(v, ", "))
  end
  if c.kind == "prefix" then return ("%s starts with '%s'"):format(c.column, c.prefix) end
  return "none"
end

local function prepare(spec)
  local s = check_spec(spec)
  local report = { warnings = {}, removed = {} }
  local f = load(s, report)
  local n = f:nrows()
  report.rows_in = n
  if n == 0 then fail("the orders have no lines") end

  -- Each step narrows `keep`; its count is what it removed of what was left.
  local keep = T.ones(n)
  local function step(name, mask_keep)
    local before = count(keep)
    keep = keep:and_(mask_keep)
    local left = count(keep)
    report.removed[name] = before - left
    if left == 0 then
      local what = name
      for _, st in ipairs(STEPS) do
        if st[1] == name then what = st[2] end
      end
      if name == "cancelled" then what = what .. " (" .. describe_cancelled(s.cancelled) .. ")" end
      if name == "filtered" and type(s.item_filter) == "string" then what = what .. " '" .. s.item_filter .. "'" end
      fail("no sales left: %s removed the last %d of %d lines (removed so far: %s)", what, before, n,
           (function()
             local parts = {}
             for _, st in ipairs(STEPS) do
               if report.removed[st[1]] then parts[#parts + 1] = st[1] .. " " .. report.removed[st[1]] end
             end
             return table.concat(parts, ", ")
           end)())
    end
  end

  local present = f:col(s.item):notnull():and_(f:col(s.time):notnull())
  for _, b in ipairs(s.basket) do present = present:and_(f:col(b):notnull()) end
  step("missing", present)

  local c = s.cancelled
  if c.kind == "negative_quantity" then
    step("cancelled", f:col(s.quantity):lt(0):not_())
  elseif c.kind == "values" then
    local col = f:col(c.column)
    local want = col:type() == "str" and "string" or "number"
    for i, v in ipairs(c.values) do
      if type(v) ~= want then
        fail("cancelled.values[%d] is a %s but column '%s' is %s", i, type(v), c.column, col:type())
      end
    end
    step("cancelled", col:isin(c.values):not_())
  elseif c.kind == "prefix" then
    step("cancelled", f:col(c.column):startswith(c.prefix):not_())
  else
    report.removed.cancelled = 0
  end

  if s.quantity then step("nonpositive_quantity", f:col(s.quantity):gt(0)) else report.removed.nonpositive_quantity = 0 end
  if s.price then step("nonpositive_price", f:col(s.price):gt(0)) else report.removed.nonpositive_price = 0 end
  if s.item_filter then
    step("filtered", f:col(s.item):isin(items_kept(f:col(s.item), s.item_filter)))
  else
    report.removed.filtered = 0
  end

  local kept = f:filter(keep)
  local m = kept:nrows()
  local sales = kept:select({})
  sales = sales:with_column("basket", #s.basket == 1 and kept:col(s.basket[1]) or kept:combine(s.basket))
  sales = sales:with_column("item", kept:col(s.item))
  sales = sales:with_column("time", kept:col(s.time))
  if s.quantity then
    sales = sales:with_column("quantity", kept:col(s.quantity))
  else
    local ones = {}
    for i = 1, m do ones[i] = 1 end
    sales = sales:with_column("quantity", ones)
    report.warnings[#report.warnings + 1] = "no quantity column: every line counts as 1 (quantity = 1)"
  end
  if s.price then
    sales = sales:with_column("price", kept:col(s.price))
  else
    sales = sales:with_column("price", T.ones(m))
    report.warnings[#report.warnings + 1] =
      "no price column: every item is priced 1, so revenue and profit are in units of list price"
  end
  if s.user then sales = sales:with_column("user", kept:col(s.user)) end
  if s.category then sales = sales:with_column("category", kept:col(s.category)) end
  if s.cost then sales = sales:with_column("cost", kept:col(s.cost)) end
  if s.name then sales = sales:with_column("name", kept:col(s.name)) end

  local times = sales:col("time"):tensor()
  report.rows_kept = m
  report.baskets = #sales:col("basket"):unique()
  report.items = #sales:col("item"):unique()
  report.first_time, report.last_time = math.tointeger(times:min()), math.tointeger(times:max())
  report.basket_span = M.basket_span(sales)
  report.cancelled = describe_cancelled(c)
  report.assumed = { quantity = s.quantity == nil, price = s.price == nil }
  report.columns = { basket = #s.basket == 1 and s.basket[1] or table.move(s.basket, 1, #s.basket, 1, {}),
                     item = s.item, time = s.time, user = s.user, quantity = s.quantity, price = s.price,
                     category = s.category, cost = s.cost, name = s.name }
  report.currency = s.currency
  local warnings = report.warnings
  report.warnings = nil
  return { sales = sales, warnings = warnings, report = report }
end

-- basket_span(sales[, basket, time]) -> { median_days =, p90_days =, baskets = }: how long a
-- basket's lines span (its last time less its first), in days. A basket key
-- that is really a customer spans months, and is no one order.
function M.basket_span(sales, basket, time)
  basket, time = basket or "basket", time or "time"
  local g = sales:group_by(basket):agg{ lo = { "min", time }, hi = { "max", time } }
  local n = g:nrows()
  if n == 0 then return { median_days = 0, p90_days = 0, baskets = 0 } end
  local span = g:select({}):with_column("span", (g:col("hi"):tensor() - g:col("lo"):tensor()) / 86400):sort("span")
  local col = span:col("span")
  return { median_days = col:get(math.ceil(0.5 * n)), p90_days = col:get(math.ceil(0.9 * n)), baskets = n }
end

local function share(k, n)
  local p = 100 * k / n
  return p >= 0.1 and ("%.1f%%"):format(p) or ("%.2g%%"):format(p)
end

-- findings(report) -> { strings }: what a run on these orders should say
-- aloud, from prepare's report: baskets that span days (a customer key,
-- not an order), and the lines left out of the baskets, with their shares.
function M.findings(report)
  local out = {}
  local sp = report.basket_span
  if sp and sp.median_days > 1 then
    local b = report.columns and report.columns.basket
    local key = type(b) == "table" and ("{ '" .. table.concat(b, "', '") .. "' }") or ("'" .. tostring(b) .. "'")
    out[#out + 1] = ("baskets span a median of %s days (basket = %s): is that one order? a grocery basket is usually "
      .. "member + day: basket = { 'member', 'date' }"):format(sp.median_days >= 10 and ("%.0f"):format(sp.median_days)
      or ("%.1f"):format(sp.median_days), key)
  end
  local r, n, parts = report.removed or {}, report.rows_in or 0, {}
  local returns = (report.cancelled or ""):find("^negative_quantity") and "return lines" or "cancelled lines"
  for _, p in ipairs{ { "missing", "lines without a basket key, item or time" }, { "cancelled", returns },
                      { "nonpositive_quantity", "lines without a positive quantity" },
                      { "nonpositive_price", "lines without a price" } } do
    local k = r[p[1]] or 0
    if k > 0 and n > 0 then parts[#parts + 1] = ("%d %s (%s)"):format(k, p[2], share(k, n)) end
  end
  if #parts > 0 then
    local last = table.remove(parts)
    out[#out + 1] = (#parts > 0 and (table.concat(parts, ", ") .. " and " .. last) or last)
      .. " left out of the baskets"
  end
  return out
end

-- prepare(spec) -> { sales = Frame, warnings = { ... }, report = { ... } }
function M.prepare(spec)
  local ok, res = pcall(prepare, spec)
  if ok then return res end
  if type(res) == "table" and res.message then error(res.message, 2) end
  local msg = bare(res)
  if msg:sub(1, #FN + 1) ~= FN .. ":" then msg = FN .. ": " .. msg end
  error(msg, 2)
end

return M
