-- Bundle pricing: the reservation-price model's exact optimum against a
-- dense grid, its calibration, golden/grid optimisation of a demand curve
-- against a dense grid, seeds, cannibalisation, and errors.
local bundle = require "bundle"
local W = require "search_world"
local world, count, err = W.world, W.count, W.err

local function close(a, b, tol) return math.abs(a - b) <= (tol or 1e-9) * math.max(1, math.abs(a), math.abs(b)) end

describe("the reservation-price model", function()
  local data, bk, cat, info = world(21, 10, 200, 6)
  local bundles = {{"1", "2"}, {"1", "2", "3"}, {"4", "7"}, {"2", "5", "6", "8"}}

  it("finds the exact best discount: no point of a dense grid beats it", function()
    local opt = bundle.price.optimize(bundles, { catalog = cat, baskets = bk, discount = {0, 0.5}, customers = 3000 })
    for i, b in ipairs(bundles) do
      local o = opt[i]
      assert.is_true(o.discount >= 0 and o.discount <= 0.5)
      assert.is_true(close(o.price, (1 - o.discount) * o.list_price))
      assert.is_true(close(o.profit, o.take_rate * (o.price - o.cost)))
      local best = -math.huge
      for k = 0, 1000 do
        local at = bundle.price.baseline({b}, { catalog = cat, baskets = bk, discount = 0.5 * k / 1000, customers = 3000 })[1]
        best = math.max(best, at.profit)
      end
      assert.is_true(o.profit >= best - 1e-12, ("bundle %d: optimum %g, grid %g"):format(i, o.profit, best))
      assert.is_true(o.profit <= best * 1.01 + 1e-12, ("bundle %d: optimum %g far above grid %g"):format(i, o.profit, best))
      -- the same price evaluated directly gives the same figures
      local again = bundle.price.baseline({b}, { catalog = cat, baskets = bk, discount = o.discount, customers = 3000 })[1]
      assert.is_true(close(again.profit, o.profit, 1e-6))
    end
  end)

  it("is calibrated: at list price a one-item offer sells to the item's support", function()
    for _, i in ipairs{1, 3, 5} do
      local q = count(data, {i}) / #data
      local K = 20000
      local p = bundle.price.baseline({{tostring(i)}}, { catalog = cat, baskets = bk, discount = 0, complementarity = 0, customers = K })[1]
      assert.is_true(math.abs(p.take_rate - q) < 4 * math.sqrt(q * (1 - q) / K), ("item %d: take %g, support %g"):format(i, p.take_rate, q))
      -- a one-item "bundle" at list price replaces exactly the sales it makes
      assert.is_true(close(p.cannibalised_units, p.take_rate, 1e-12))
    end
  end)

  it("accounts for cannibalised item sales, and can maximise profit net of them", function()
    local a = bundle.price.optimize(bundles, { catalog = cat, baskets = bk, customers = 4000 })
    local b = bundle.price.optimize(bundles, { catalog = cat, baskets = bk, customers = 4000, goal = "incremental" })
    for i = 1, #bundles do
      assert.is_true(close(a[i].incremental_profit, a[i].profit - a[i].cannibalised_profit))
      assert.is_true(b[i].incremental_profit >= a[i].incremental_profit - 1e-12)
      assert.is_true(a[i].profit >= b[i].profit - 1e-12)
      assert.is_true(a[i].cannibalised_units <= a[i].take_rate * #bundles[i] + 1e-12)
      assert.is_true(close(a[i].component_profit, b[i].component_profit))
    end
  end)

  it("gives the same prices for the same seed, and uses the observed price spread", function()
    local opts = { catalog = cat, baskets = bk, customers = 2000, seed = 7 }
    assert.are.same(bundle.price.optimize(bundles, opts), bundle.price.optimize(bundles, opts))
    opts.seed = 8
    local other = bundle.price.optimize(bundles, opts)
    opts.seed = 7
    assert.are_not.same(bundle.price.optimize(bundles, opts), other)
    -- orders where items 1 and 2 sell at widely varying prices: wider WTP
    local csv = os.tmpname()
    local fh = io.open(csv, "w")
    fh:write("item,unit_price\n")
    for k = 1, 50 do fh:write(("1,%g\n2,%g\n3,%g\n"):format(info[1].price * math.exp((k % 7 - 3) * 0.3), info[2].price * math.exp((k % 5 - 2) * 0.4), info[3].price)) end
    fh:close()
    local orders = bundle.read_csv(csv, { types = { item = "str" } })
    os.remove(csv)
    local wide = bundle.price.optimize({{"1", "2"}}, { catalog = cat, baskets = bk, customers = 2000, orders = orders, item = "item", unit_price = "unit_price" })
    local narrow = bundle.price.optimize({{"1", "2"}}, { catalog = cat, baskets = bk, customers = 2000, sigma = 0.02 })
    assert.are_not.equal(wide[1].take_rate, narrow[1].take_rate)
  end)

  it("prices the bundles of a search result", function()
    local res = bundle.search{ catalog = cat, baskets = bk, objective = "expected_profit", top = 3 }
    local p = bundle.price.optimize(res, { baskets = bk, customers = 1000 })
    assert.are.equal(3, #p)
    local i = 0
    for _, b in res:iter() do i = i + 1 assert.are.same(b.items, p[i].items) end
  end)
end)

describe("the reservation-price model's elasticity bound", function()
  -- 5,000 baskets of common items 1..12; two rare items A = 101 and
  -- B = 102 (20 baskets, always together) whose prices barely vary (log
  -- sd 0.017), as for the colour variants in Online Retail
  local n, common = 5000, 12
  local lines = {}
  math.randomseed(31)
  for k = 1, n do
    local line = {}
    for i = 1, common do if math.random() < 0.15 then line[#line + 1] = tostring(i) end end
    if k % 250 == 0 then line[#line + 1] = "101"; line[#line + 1] = "102" end
    if #line == 0 then line[1] = "1" end
    lines[k] = table.concat(line, " ")
  end
  local bk = W.baskets_of(lines)
  local rows = { "item,price,cost", "101,12,7", "102,9,5" }
  for i = 1, common do rows[#rows + 1] = ("%d,%d,1"):format(i, 2 + i % 5) end
  local cat = bundle.catalog(W.frame_of(rows), { item = "item", price = "price", cost = "cost" })
  rows = { "item,unit_price" }
  for k = 1, 30 do rows[#rows + 1] = ("101,%g\n102,%g"):format(k % 2 == 0 and 12 or 12.4, k % 2 == 0 and 9 or 9.3) end
  for i = 1, common do rows[#rows + 1] = ("%d,%d\n%d,%g"):format(i, 2 + i % 5, i, (2 + i % 5) * 2.5) end
  local orders = W.frame_of(rows)
  local support = 20 / n
  local function offer(items, discount, max_e, extra)
    local o = { catalog = cat, baskets = bk, discount = discount, orders = orders, item = "item", unit_price = "unit_price",
                customers = 20000, max_elasticity = max_e }
    for k, v in pairs(extra or {}) do o[k] = v end
    return bundle.price.baseline({ items }, o)[1]
  end

  it("keeps a rare, high-lift pair's take rate near its support (regression: 0.99 of all visitors)", function()
    -- unbounded, the narrow spread puts everyone just below list price and
    -- complementarity x ln(lift 250) lifts nearly all of them over it
    local unbounded = offer({ "101", "102" }, 0, 0)
    assert.is_true(unbounded.take_rate > 0.9, "the artefact this bound removes: take " .. unbounded.take_rate)
    local bounded = offer({ "101", "102" }, 0, nil)
    assert.is_true(bounded.take_rate > support and bounded.take_rate < 5 * support,
      ("take %g against support %g"):format(bounded.take_rate, support))
  end)

  it("bounds each item's elasticity at list price, and leaves calibration alone", function()
    for _, max_e in ipairs{ 2, 5 } do
      local at = offer({ "101" }, 0, max_e, { complementarity = 0 })
      local cut = offer({ "101" }, 0.05, max_e, { complementarity = 0, customers = 100000 })
      assert.is_true(math.abs(at.take_rate - support) < 4 * math.sqrt(support / 20000), ("max %g: take %g, support %g"):format(max_e, at.take_rate, support))
      -- a 5% cut raises the share by about 5 x max_e percent; unbounded
      -- (log sd 0.017) it would multiply it many times
      at = offer({ "101" }, 0, max_e, { complementarity = 0, customers = 100000 })
      local e = math.log(cut.take_rate / at.take_rate) / -math.log(0.95)
      assert.is_true(e < max_e * 1.6 and e > max_e * 0.4, ("max %g: elasticity %g"):format(max_e, e))
    end
    local free = offer({ "101" }, 0.05, 0, { complementarity = 0 })
    assert.is_true(free.take_rate > 20 * support, "unbounded: take " .. free.take_rate)
    -- a widely priced common item keeps its observed spread: the bound only widens
    local wide = offer({ "3" }, 0.1, 5, { complementarity = 0 })
    local none = offer({ "3" }, 0.1, 0, { complementarity = 0 })
    assert.is_true(math.abs(wide.take_rate - none.take_rate) < 1e-12)
  end)

  it("names a bad bound", function()
    assert.truthy(err(function() offer({ "101", "102" }, 0, -1) end):find("max_elasticity must be 0 (no bound) or in [0.1, 1e6]", 1, true))
    assert.truthy(err(function() offer({ "101", "102" }, 0, "high") end):find("max_elasticity must be a number", 1, true))
  end)
end)

describe("pricing any demand curve", function()
  local data, bk, cat = world(22, 8, 80)
  -- a logistic take rate: smooth and unimodal profit
  local function demand(price, b, d) return 1 / (1 + math.exp((price - 0.8 * b:price()) / (0.1 * b:price()))) end

  it("golden and auto match a dense grid", function()
    for _, items in ipairs{{"1", "2"}, {"3", "5", "7"}} do
      local dense = bundle.price.optimize({items}, { catalog = cat, demand = demand, discount = {0, 0.6}, method = "grid", grid = 100001 })[1]
      for _, m in ipairs{"golden", "auto"} do
        local p = bundle.price.optimize({items}, { catalog = cat, demand = demand, discount = {0, 0.6}, method = m })[1]
        assert.is_true(math.abs(p.discount - dense.discount) < 2e-5, m .. ": " .. p.discount .. " vs " .. dense.discount)
        assert.is_true(p.profit >= dense.profit - 1e-9)
      end
      assert.is_nil(dense.cannibalised_units) -- a demand curve says nothing of item sales
    end
  end)

  it("takes a trained model over bundle features and the discount", function()
    local X, y = {}, {}
    math.randomseed(5)
    for i = 1, 200 do
      local row = {}
      for k = 1, #bundle.search_features + 1 do row[k] = math.random() end
      X[i], y[i] = row, (row[#row] + 0.2 * math.random() > 0.6) and 1 or 0 -- more discount, more takers
    end
    local m = bundle.model.logistic()
    m:fit(bundle.tensor.from(X), bundle.tensor.from(y))
    local p = bundle.price.optimize({{"1", "2"}}, { catalog = cat, baskets = bk, demand = m })[1]
    assert.is_true(p.take_rate > 0 and p.take_rate < 1)
    assert.is_true(close(p.profit, p.take_rate * (p.price - p.cost)))
  end)

  it("names bad input", function()
    local opts = { catalog = cat, baskets = bk }
    assert.truthy(err(function() bundle.price.optimize({{"1", "2"}}, { catalog = cat, baskets = bk, discount = {0.5, 0.2} }) end)
      :find("discount must be {min, max} with 0 <= min <= max < 1", 1, true))
    assert.truthy(err(function() bundle.price.optimize({{"1", "2"}}, { catalog = cat, demand = function() return 2 end }) end)
      :find("take rates are in [0, 1]", 1, true))
    assert.truthy(err(function() bundle.price.optimize({{"1", "2"}}, { catalog = cat, demand = function() return "many" end }) end)
      :find("returned a string at price", 1, true))
    assert.truthy(err(function() bundle.price.optimize({{"1", "nope"}}, opts) end)
      :find("bundle 1 item 2: no item 'nope' in the catalogue", 1, true))
    assert.truthy(err(function() bundle.price.optimize({{"1", "2"}}, { catalog = cat }) end)
      :find("needs baskets", 1, true))
    assert.truthy(err(function() bundle.price.optimize({{"1", "2"}}, { catalog = cat, baskets = bk, method = "newton" }) end)
      :find("unknown method 'newton'", 1, true))
    assert.truthy(err(function() bundle.price.optimize({}, opts) end):find("no bundles to price", 1, true))
    assert.truthy(err(function() bundle.price.optimize({{"1", "2"}}, { catalog = cat, baskets = bk, price = 3 }) end)
      :find("unknown option 'price'", 1, true))
  end)
end)
