-- The results suite's data sets (scripts/results/datasets.lua): each
-- loader's CSV reads back with bundle.read_csv, with the right rows, and
-- its test window holds what the loader says it holds.
local bundle = require "bundle"
local files = require "spec_files"
package.path = "scripts/results/?.lua;" .. package.path
local datasets = require "datasets"
local world = dofile "scripts/results/world.lua"

local data = datasets.data_dir
local have = io.open(data .. "/instacart_sample/orders.csv") ~= nil
  and io.open(data .. "/online_retail/online_retail.csv.gz") ~= nil

-- the rows of a plain CSV, split on commas outside quotes
local function rows_of(path)
  local out = {}
  for line in io.lines(path) do
    local row, field, quoted, k = {}, {}, false, 1
    while k <= #line do
      local ch = line:sub(k, k)
      if quoted then
        if ch == '"' and line:sub(k + 1, k + 1) == '"' then field[#field + 1] = '"'; k = k + 1
        elseif ch == '"' then quoted = false
        else field[#field + 1] = ch end
      elseif ch == '"' then quoted = true
      elseif ch == "," then row[#row + 1] = table.concat(field); field = {}
      else field[#field + 1] = ch end
      k = k + 1
    end
    row[#row + 1] = table.concat(field)
    out[#out + 1] = row
  end
  local head = table.remove(out, 1)
  local recs = {}
  for i, r in ipairs(out) do
    recs[i] = {}
    for c, name in ipairs(head) do recs[i][name] = r[c] end
  end
  return recs
end

local function check_shape(ds)
  assert.is_string(ds.name)
  assert.is_string(ds.orders)
  assert.truthy(ds.start:match("^%d%d%d%d%-%d%d%-%d%d$"))
  assert.is_true(math.type(ds.period_days) == "integer" and ds.period_days >= 1)
  assert.is_string(ds.notes)
  for _, k in ipairs{ "basket", "item", "time", "user" } do assert.is_string(ds.mapping[k]) end
end

describe("results data sets", function()
  local dir = files.tmpdir()
  teardown(function() os.execute("rm -rf '" .. dir .. "'") end)

  it("synthetic: the world's year of orders, its last 91 days the test window", function()
    local ds = datasets.synthetic{ dir = dir, visits = 6000 }
    check_shape(ds)
    local f = bundle.read_csv(ds.orders)
    assert.are.equal(ds.stats.lines, f:nrows())
    for _, k in ipairs{ "basket", "item", "time", "user", "quantity", "price" } do
      assert.has_no.errors(function() f:col(ds.mapping[k]) end)
    end
    assert.are.equal("datetime", f:types()[ds.mapping.time])
    assert.are.equal("2023-10-02", ds.start)
    assert.are.equal(91, ds.period_days)
    -- the window runs to the last generated day, 2023-12-31
    local before, window = f:split_by_time(ds.mapping.time, ds.start)
    local _, after = window:split_by_time(ds.mapping.time, "2024-01-01")
    assert.are.equal(0, after:nrows())
    assert.is_true(window:nrows() > 0)
    assert.are.equal(f:nrows(), before:nrows() + window:nrows())
    local bk = bundle.baskets(window, { basket = ds.mapping.basket, item = ds.mapping.item })
    -- about a quarter of the visits, a share basket_share of them non-empty
    assert.is_true(ds.test_visits > 0.2 * 6000 and ds.test_visits < 0.3 * 6000)
    assert.is_true(bk:size() < ds.test_visits and bk:size() > 0.6 * ds.test_visits)
    -- the world is there to judge offers; the catalogue holds its list prices
    assert.is_function(ds.world.truth)
    local cat = bundle.read_csv(ds.catalog, { types = { item = "str" } })
    assert.are.equal(ds.world.n, cat:nrows())
    assert.are.equal(ds.world.items[1].price, cat:col("price"):get(1))
  end)

  it("instacart: every user's last order on T0, nothing else, every order line kept", function()
    if not have then pending("no ../shared/data") return end
    local ds = datasets.instacart{ dir = dir }
    check_shape(ds)
    assert.is_nil(ds.mapping.price)
    assert.is_nil(ds.mapping.quantity)
    local f = bundle.read_csv(ds.orders, { types = { product_name = "str" } })
    -- the prior and train files' lines (8,538 + 438), all of the sample's orders
    local src = data .. "/instacart_sample/"
    local prior = bundle.read_csv(src .. "order_products__prior.csv"):nrows()
    local train = bundle.read_csv(src .. "order_products__train.csv"):nrows()
    assert.are.equal(prior + train, f:nrows())
    assert.are.equal(8976, f:nrows())
    -- each user's last order with lines, from the source files
    local orders = rows_of(src .. "orders.csv")
    local has = {}
    for _, r in ipairs(rows_of(src .. "order_products__prior.csv")) do has[r.order_id] = true end
    for _, r in ipairs(rows_of(src .. "order_products__train.csv")) do has[r.order_id] = true end
    local last = {}
    for _, o in ipairs(orders) do
      if has[o.order_id] then
        local l = last[o.user_id]
        if not l or tonumber(o.order_number) > tonumber(l.order_number) then last[o.user_id] = o end
      end
    end
    local want, users = {}, 0
    for _, o in pairs(last) do want[o.order_id] = true; users = users + 1 end
    assert.are.equal(64, users)
    -- the test window [T0, T0 + 1 day) holds exactly those orders
    local t0 = world.utc_day(ds.start)
    local _, rest = f:split_by_time(ds.mapping.time, ds.start)
    local window = rest:split_by_time(ds.mapping.time, os.date("!%Y-%m-%d", t0 + ds.period_days * 86400))
    local seen, n = {}, 0
    for _, id in ipairs(window:col(ds.mapping.basket):totable()) do
      assert.is_true(want[tostring(id)], "order " .. id .. " is in the window but is no user's last")
      if not seen[id] then seen[id] = true; n = n + 1 end
    end
    assert.are.equal(users, n)
    assert.are.equal(ds.test_lines, window:nrows())
    -- nothing after the window; each order keeps one date and one user
    assert.are.equal(window:nrows(), rest:nrows())
    local date_of, user_of = {}, {}
    local ids, dates, us = f:col("order_id"):totable(), f:col("date"):totable(), f:col("user_id"):totable()
    for k = 1, #ids do
      assert.is_true(date_of[ids[k]] == nil or date_of[ids[k]] == dates[k])
      assert.is_true(user_of[ids[k]] == nil or user_of[ids[k]] == us[k])
      date_of[ids[k]], user_of[ids[k]] = dates[k], us[k]
    end
    -- gaps between a user's orders are the source's days_since_prior_order
    -- (the 0-day gap into a last order counts as 1)
    local by_id = {}
    for _, o in ipairs(orders) do by_id[o.order_id] = o end
    local checked = 0
    for id, t in pairs(date_of) do
      local o = by_id[tostring(id)]
      local prev
      for _, p in ipairs(orders) do
        if p.user_id == o.user_id and tonumber(p.order_number) == tonumber(o.order_number) - 1 then prev = p end
      end
      if prev and date_of[tonumber(prev.order_id)] then
        local days = (t // 86400) - (date_of[tonumber(prev.order_id)] // 86400)
        local g = tonumber(o.days_since_prior_order)
        if want[o.order_id] and g == 0 then g = 1 end
        assert.are.equal(g, days)
        checked = checked + 1
      end
    end
    assert.are.equal(973 - 64, checked)
    -- names are joined, quotes and commas intact
    local names = {}
    for _, r in ipairs(rows_of(src .. "products.csv")) do names[r.product_id] = r.product_name end
    local pid, pname = f:col("product_id"):totable(), f:col("product_name"):totable()
    for k = 1, #pid do assert.are.equal(names[tostring(pid[k])], pname[k]) end
  end)

  it("online_retail: the UCI file, its mapping and a test window from 2011-11-01 to the end of the file", function()
    if not have then pending("no ../shared/data") return end
    local ds = datasets.online_retail()
    check_shape(ds)
    local f = bundle.read_csv(ds.orders)
    assert.are.equal(541909, f:nrows())
    for _, k in ipairs{ "basket", "item", "time", "user", "quantity", "price" } do
      assert.has_no.errors(function() f:col(ds.mapping[k]) end)
    end
    assert.are.equal("C", ds.mapping.cancelled.prefix)
    local _, test = f:split_by_time(ds.mapping.time, ds.start)
    local t_end = world.utc_day(ds.start) + ds.period_days * 86400
    assert.are.equal("2011-12-10", os.date("!%Y-%m-%d", t_end))
    assert.are.equal(test:nrows(), test:split_by_time(ds.mapping.time, "2011-12-10"):nrows())
    assert.is_true(test:nrows() > 0.15 * f:nrows() and test:nrows() < 0.3 * f:nrows())
    -- the filter keeps product stock codes and drops postage and fees
    assert.truthy(("85123A"):match(ds.mapping.item_filter))
    assert.falsy(("POST"):match(ds.mapping.item_filter))
  end)

  it("gives mappings that bundle.orders.prepare (and the pipeline's data) accept", function()
    -- bundle.orders.prepare's spec keys
    local keys = {}
    keys = bundle.orders.spec_keys()
    local sets = { datasets.online_retail(), datasets.synthetic{ dir = dir, visits = 2000 } }
    if have then sets[#sets + 1] = datasets.instacart{ dir = dir } end
    for _, ds in ipairs(sets) do
      local d = datasets.pipeline_data(ds, { margin_rate = 0.4 })
      for k in pairs(d) do assert.is_true(keys[k] or k == "margin_rate", ds.name .. ": " .. k) end
      assert.are.equal(ds.orders, d.orders)
      assert.are.equal(ds.mapping.item, d.item)
      assert.are.equal(0.4, d.margin_rate)
    end
    assert.are.same({ column = "InvoiceNo", prefix = "C" }, datasets.pipeline_data(sets[1]).cancelled)
    assert.is_nil(datasets.pipeline_data(sets[2]).cancelled)
  end)

  it("lists all three, keyed by name too", function()
    if not have then pending("no ../shared/data") return end
    local all = datasets.all{ dir = dir, visits = 3000 }
    assert.are.equal(3, #all)
    for _, name in ipairs{ "online_retail", "instacart", "synthetic" } do assert.is_table(all[name]) end
  end)
end)
