-- The data sets of the results suite, each as
--   { name, orders = path to a CSV of order lines, mapping = { basket, item,
--     time, user, quantity, price, cancelled, item_filter, time_format }
--     (the keys of bundle.orders.prepare's spec, so the mapping passes to it
--     and to bundle.pipeline's data as it is; quantity and price absent when
--     the data has none), item_name = the column naming items, start = first
--     day of the test window (YYYY-MM-DD), period_days = its length, notes,
--     ... }
-- Derived CSVs are written (atomically) under a cache directory, build/results
-- by default, and rebuilt on every call: both take about a second.
--
--   package.path = "scripts/results/?.lua;" .. package.path
--   local datasets = require "datasets"
--   for _, ds in ipairs(datasets.all()) do ... end     -- also all().instacart
--   local syn = datasets.synthetic()                   -- syn.world:truth{...}
--
-- Paths are relative to the repository root (where `make test` runs);
-- opts.data_dir (default ../shared/data) and opts.dir (default build/results)
-- change them.
local bundle = require "bundle"

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local world = dofile(here .. "/world.lua")

local M = {}
M.data_dir = "../shared/data"
M.dir = "build/results"

local function mkdir(d)
  assert(os.execute("mkdir -p '" .. d:gsub("'", "'\\''") .. "'"), "datasets: cannot create " .. d)
  return d
end

-- writes lines to path through a temporary file and a rename, so that a
-- reader never sees half a file
local function write_lines(path, lines)
  local tmp = path .. ".tmp"
  local fh = assert(io.open(tmp, "w"))
  fh:write(table.concat(lines, "\n"), "\n")
  assert(fh:close())
  assert(os.rename(tmp, path))
  return path
end

local function csv_field(s)
  s = tostring(s)
  if s:find('[,"\n\r]') then return '"' .. s:gsub('"', '""') .. '"' end
  return s
end
M.csv_field = csv_field

-- ------------------------------------------------------------ Online Retail
-- The UCI file as it is: the mapping tells the suite which columns mean
-- what, which lines are cancellations and which stock codes are products.
function M.online_retail(opts)
  opts = opts or {}
  local path = (opts.data_dir or M.data_dir) .. "/online_retail/online_retail.csv.gz"
  return {
    name = "online_retail",
    orders = path,
    mapping = { basket = "InvoiceNo", item = "StockCode", time = "InvoiceDate", user = "CustomerID",
                quantity = "Quantity", price = "UnitPrice", cancelled = { column = "InvoiceNo", prefix = "C" },
                item_filter = "^%d%d%d", time_format = "%Y-%m-%d %H:%M:%S" },
    item_name = "Description",
    -- The pipeline's design (pooled elasticity, the attach guard on a
    -- validation window) was settled while looking at October 2011 on the
    -- shipped sample, so the results are judged on a window never looked
    -- at: November 2011 to the end of the file.
    start = "2011-11-01",
    period_days = 39, -- 2011-11-01 .. 2011-12-09 inclusive
    notes = "UCI Online Retail (Chen 2012), 541,909 invoice lines 2010-12-01 .. 2011-12-09; sales are lines "
      .. "with Quantity > 0 and UnitPrice > 0 whose InvoiceNo does not start with C; products are stock codes "
      .. "starting with three digits (postage, fees and manual lines are not); CustomerID is blank on 135,080 "
      .. "lines; no costs. Test window: 2011-11-01 .. 2011-12-09 (39 days).",
  }
end

-- ------------------------------------------------------------ Instacart
local DAY = 86400

-- Instacart orders carry no dates, only each user's order_number and the
-- days since that user's previous order (capped at 30 in the source). Each
-- order gets a synthetic date: T0 minus the days between it and the user's
-- last order, at the order's hour of day, so that every user's last order
-- falls on T0 and a test window of one day from T0 holds exactly the users'
-- last orders (the classic "predict the next basket" split).
-- The "last order" is a user's last order that has lines: eval_set "test"
-- orders (27 of the sample's 64 users) have none in the public data, so for
-- those users it is their last prior order. A user whose last order came 0
-- days after the one before (3 users in the sample) would put two orders on
-- T0: that one gap counts as 1 day.
function M.instacart(opts)
  opts = opts or {}
  local src = (opts.data_dir or M.data_dir) .. "/instacart_sample"
  local dir = mkdir(opts.dir or M.dir)
  local t0_day = opts.t0 or "2017-06-01"
  local t0 = world.utc_day(t0_day)

  local orders = bundle.read_csv(src .. "/orders.csv",
    { types = { order_id = "i64", user_id = "i64", eval_set = "str", order_number = "i64",
                order_hour_of_day = "i64", days_since_prior_order = "f64" } })
  local lines = {}
  for _, f in ipairs{ "order_products__prior.csv", "order_products__train.csv" } do
    local fr = bundle.read_csv(src .. "/" .. f, { types = { order_id = "i64", product_id = "i64" } })
    local oid, pid = fr:col("order_id"):totable(), fr:col("product_id"):totable()
    for k = 1, #oid do lines[#lines + 1] = { oid[k], pid[k] } end
  end
  local has_lines = {}
  for _, l in ipairs(lines) do has_lines[l[1]] = true end
  local products = bundle.read_csv(src .. "/products.csv",
    { types = { product_id = "i64", product_name = "str" }, columns = { "product_id", "product_name" } })
  local pname = {}
  do
    local ids, names = products:col("product_id"):totable(), products:col("product_name"):totable()
    for k = 1, #ids do pname[ids[k]] = names[k] end
  end

  -- each user's orders with lines, by order_number
  local by_user = {}
  local oid, uid = orders:col("order_id"):totable(), orders:col("user_id"):totable()
  local num, hour = orders:col("order_number"):totable(), orders:col("order_hour_of_day"):totable()
  local gap = orders:col("days_since_prior_order"):totable() -- nil on a user's first order
  for k = 1, #oid do
    if has_lines[oid[k]] then
      local u = by_user[uid[k]]
      if not u then u = {}; by_user[uid[k]] = u end
      u[#u + 1] = { id = oid[k], num = num[k], hour = hour[k], gap = gap[k] }
    end
  end
  local when, user_of, last_of = {}, {}, {}
  local users = 0
  for u, list in pairs(by_user) do
    users = users + 1
    table.sort(list, function(a, b) return a.num < b.num end)
    -- walk back from the last order; a gap from an order without lines
    -- (none in this sample: only the final test orders lack lines) would
    -- be lost, so gaps are summed over order numbers, not list positions
    local gaps = {}
    for k = 1, #oid do
      if uid[k] == u then gaps[num[k]] = gap[k] or 0 end
    end
    local day = 0
    for k = #list, 1, -1 do
      local o = list[k]
      when[o.id] = t0 - day * DAY + o.hour * 3600
      user_of[o.id] = u
      if k > 1 then
        local d = 0
        for n = list[k - 1].num + 1, o.num do d = d + gaps[n] end
        if k == #list then d = math.max(d, 1) end
        day = day + d
      end
    end
    last_of[u] = list[#list].id
  end

  local out = { "order_id,user_id,date,product_id,product_name" }
  for _, l in ipairs(lines) do
    local o, p = l[1], l[2]
    if when[o] then
      out[#out + 1] = ("%d,%d,%s,%d,%s"):format(o, user_of[o], os.date("!%Y-%m-%d %H:%M:%S", when[o]), p,
                                                 csv_field(pname[p] or ""))
    end
  end
  local path = write_lines(dir .. "/instacart_orders.csv", out)
  local last_lines = 0
  for _, l in ipairs(lines) do
    if last_of[user_of[l[1]] or -1] == l[1] then last_lines = last_lines + 1 end
  end
  return {
    name = "instacart",
    orders = path,
    mapping = { basket = "order_id", item = "product_id", time = "date", user = "user_id",
                time_format = "%Y-%m-%d %H:%M:%S" },
    item_name = "product_name",
    start = t0_day,
    period_days = 1,
    users = users,
    lines = #out - 1,
    test_orders = users,
    test_lines = last_lines,
    notes = "Instacart 2017 sample (64 users, 973 orders with lines, 8,976 lines, no prices or quantities: a "
      .. "pipeline falls back to price 1). Dates are synthetic: every user's last order with lines is on "
      .. t0_day .. " at its hour of day, earlier orders are placed back by days_since_prior_order (capped at 30 "
      .. "in the source), so the one-day test window from " .. t0_day .. " holds exactly each user's last order. "
      .. "The 27 eval_set=test orders have no lines in the public data; for those users the last prior order "
      .. "is the test order. Non-commercial use only (Instacart's terms).",
  }
end

-- ------------------------------------------------------------ synthetic
-- The planted world (scripts/results/world.lua) with fixed seeds: a year
-- of visits, the test window the last 91 days. ds.world is the world object
-- (truth, optimum); ds.catalog a CSV of its list prices and costs.
-- opts: dir, items (120), world_seed (1), orders_seed (2), visits (30000),
-- pricing ("planted", or "optimal": list prices at each item's single-item
-- optimum, see world.new).
function M.synthetic(opts)
  opts = opts or {}
  local dir = mkdir(opts.dir or M.dir)
  local w = world.new{ items = opts.items or 120, seed = opts.world_seed or 1, pricing = opts.pricing }
  local days, first = 365, "2023-01-01"
  local name = opts.pricing == "optimal" and "synthetic_optimal" or "synthetic"
  local stats = w:orders{ path = dir .. "/" .. name .. "_orders.csv", visits = opts.visits or 30000, days = days,
                          start = first, price_variation = 0.1, seed = opts.orders_seed or 2 }
  local test_days = 91
  local start = os.date("!%Y-%m-%d", world.utc_day(first) + (days - test_days) * DAY)
  local test_visits = 0
  for d = days - test_days + 1, days do test_visits = test_visits + (stats.visits_by_day[d] or 0) end
  return {
    name = name,
    orders = stats.path,
    catalog = w:write_catalog(dir .. "/" .. name .. "_catalog.csv"),
    mapping = { basket = "order_id", item = "product", time = "date", user = "customer_id",
                quantity = "quantity", price = "unit_price", cost = "unit_cost", time_format = "%Y-%m-%d %H:%M:%S" },
    start = start,
    period_days = test_days,
    world = w,
    stats = stats,
    margin_rate = 0.4, -- the planted margins are uniform on 30-50%; true costs are in the catalog
    test_visits = test_visits,
    notes = ("Planted world (world.lua: %d items, seed %d, pricing %s): %d visits over %s .. +%d days, %d non-empty "
      .. "baskets, %d lines; weekly prices +-10%% around list; costs give 30-50%% margins (see catalog). "
      .. "Test window: the last %d days from %s, %d visits including empty ones; w:truth and w:optimum "
      .. "report money per 1000 visitors (empty visits included)."):format(w.n, w.seed, w.pricing, stats.visits, first,
      days, stats.baskets, stats.lines, test_days, start, test_visits),
  }
end

-- The `data` table of bundle.pipeline (bundle.orders.prepare's spec plus
-- margin_rate) for a data set: its orders and mapping, and `extra` (e.g.
-- { margin_rate = 0.4 }) on top. A data set without quantity or price
-- leaves them out, and the pipeline falls back to price 1.
function M.pipeline_data(ds, extra)
  local d = { orders = ds.orders }
  for k, v in pairs(ds.mapping) do d[k] = v end
  for k, v in pairs(extra or {}) do d[k] = v end
  return d
end

-- every data set, in a list that is also keyed by name
function M.all(opts)
  local list = { M.online_retail(opts), M.instacart(opts), M.synthetic(opts) }
  if opts and opts.optimal then
    local o = {}
    for k, v in pairs(opts) do o[k] = v end
    o.pricing = "optimal"
    list[#list + 1] = M.synthetic(o)
  end
  for _, ds in ipairs(list) do list[ds.name] = ds end
  return list
end

return M
