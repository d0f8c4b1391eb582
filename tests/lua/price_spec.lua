-- Bundle pricing: the reservation-price model's exact optimum against a
-- dense grid, its calibration (item supports, pairs' joint supports through
-- the Gaussian copula), elasticity bounds and estimation, the stated
-- market, the parameter-explicit simulate, golden/grid optimisation of a
-- demand curve against a dense grid, seeds, cannibalisation, and errors.
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
      local p = bundle.price.baseline({{tostring(i)}}, { catalog = cat, baskets = bk, discount = 0, customers = K })[1]
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

  it("gives the same prices for the same seed, and reads per-item elasticities", function()
    local opts = { catalog = cat, baskets = bk, customers = 2000, seed = 7 }
    assert.are.same(bundle.price.optimize(bundles, opts), bundle.price.optimize(bundles, opts))
    opts.seed = 8
    local other = bundle.price.optimize(bundles, opts)
    opts.seed = 7
    assert.are_not.same(bundle.price.optimize(bundles, opts), other)
    -- a 10% cut draws more takers from more elastic items
    local function take(e)
      return bundle.price.baseline({{"1", "2"}}, { catalog = cat, baskets = bk, customers = 20000, discount = 0.1, elasticity = e })[1].take_rate
    end
    assert.is_true(take{ ["1"] = 4, ["2"] = 4 } > take{ ["1"] = 1, ["2"] = 1 })
    -- a number is the prior for every item; a table leaves the rest at the prior
    assert.are.equal(take(2.5), take{ ["1"] = 2.5 })
    assert.are_not.equal(take(2.5), take{ ["1"] = 4 })
    -- one spread for every item overrides the elasticity
    local s1 = bundle.price.baseline({{"1", "2"}}, { catalog = cat, baskets = bk, customers = 2000, sigma = 0.3, elasticity = 1 })[1]
    local s2 = bundle.price.baseline({{"1", "2"}}, { catalog = cat, baskets = bk, customers = 2000, sigma = 0.3, elasticity = 4 })[1]
    assert.are.same(s1, s2)
  end)

  it("reports the market share and never sells beyond the stated market", function()
    for _, m in ipairs{ 1, 2 } do
      local p = bundle.price.baseline(bundles, { catalog = cat, baskets = bk, customers = 3000, discount = 0.39, market = m })
      for i = 1, #bundles do
        assert.is_true(p[i].market_share > 0 and p[i].market_share <= 1)
        assert.is_true(p[i].take_rate <= m * p[i].market_share + 1e-12)
      end
    end
  end)

  it("prices the bundles of a search result", function()
    local res = bundle.search{ catalog = cat, baskets = bk, objective = "expected_profit", top = 3 }
    local p = bundle.price.optimize(res, { baskets = bk, customers = 1000 })
    assert.are.equal(3, #p)
    local i = 0
    for _, b in res:iter() do i = i + 1 assert.are.same(b.items, p[i].items) end
  end)
end)

describe("the reservation-price model's elasticities and the copula", function()
  -- 5,000 baskets of common items 1..12 (each in 15%, independently); two
  -- rare items A = 101 and B = 102 (20 baskets, always together); 1 and 2
  -- also sell together in 10% of baskets
  local n, common = 5000, 12
  local lines = {}
  math.randomseed(31)
  for k = 1, n do
    local line, has = {}, {}
    for i = 1, common do if math.random() < 0.15 then has[i] = true end end
    if math.random() < 0.1 then has[1], has[2] = true, true end
    for i = 1, common do if has[i] then line[#line + 1] = tostring(i) end end
    if k % 250 == 0 then line[#line + 1] = "101"; line[#line + 1] = "102" end
    if #line == 0 then line[1] = "3" end
    lines[k] = table.concat(line, " ")
  end
  local bk = W.baskets_of(lines)
  local rows = { "item,price,cost", "101,12,7", "102,9,5" }
  for i = 1, common do rows[#rows + 1] = ("%d,%d,1"):format(i, 2 + i % 5) end
  local cat = bundle.catalog(W.frame_of(rows), { item = "item", price = "price", cost = "cost" })
  local support = 20 / n
  local function offer(items, discount, extra)
    local o = { catalog = cat, baskets = bk, discount = discount, customers = 20000 }
    for k, v in pairs(extra or {}) do o[k] = v end
    return bundle.price.baseline({ items }, o)[1]
  end

  it("keeps a rare, always-together pair's take rate at its support (regression: 0.99 of all visitors)", function()
    local at = offer({ "101", "102" }, 0)
    assert.is_true(math.abs(at.take_rate - support) < 4 * math.sqrt(support / 20000), ("take %g against support %g"):format(at.take_rate, support))
    -- a 10% cut adds buyers, but only from the stated market
    local cut = offer({ "101", "102" }, 0.1)
    assert.is_true(cut.take_rate > at.take_rate and cut.take_rate <= 2 * cut.market_share + 1e-12)
  end)

  it("gives each item the elasticity it is told, clamped into [min, max]", function()
    for _, e in ipairs{ 1, 2.5, 4 } do
      local at = offer({ "3" }, 0, { elasticity = e, customers = 200000 })
      local cut = offer({ "3" }, 0.02, { elasticity = e, customers = 200000 })
      local measured = math.log(cut.take_rate / at.take_rate) / -math.log(0.98)
      assert.is_true(math.abs(measured - e) < 0.15 * e, ("e %g: measured %g"):format(e, measured))
    end
    assert.are.same(offer({ "3", "5" }, 0.1, { elasticity = 50 }), offer({ "3", "5" }, 0.1, { elasticity = 5 }))
    assert.are.same(offer({ "3", "5" }, 0.1, { elasticity = 0.1 }), offer({ "3", "5" }, 0.1, { elasticity = 0.5 }))
    assert.are.same(offer({ "3", "5" }, 0.1, { elasticity = 3, max_elasticity = 2 }), offer({ "3", "5" }, 0.1, { elasticity = 2 }))
    assert.are_not.same(offer({ "3", "5" }, 0.1, { elasticity = 50, max_elasticity = 0 }), offer({ "3", "5" }, 0.1, { elasticity = 5 }))
  end)

  it("reproduces a pair's joint support, and a triple's is a prediction below its pairs'", function()
    local js = bundle.price.joint_share({ { "1", "2" }, { "4", "7" }, { "101", "102" }, { "1", "2", "4" } },
      { catalog = cat, baskets = bk, customers = 100000 })
    for i = 1, 3 do
      local s = js[i].observed
      assert.is_true(math.abs(js[i].share - s) < 4 * math.sqrt(s * (1 - s) / 100000),
        ("%s: simulated %g, observed %g"):format(table.concat(js[i].items, "+"), js[i].share, s))
    end
    assert.is_true(js[4].share < js[1].share and js[4].share > 0)
    assert.is_nil(js[4].rho)
    -- bought together more than chance: a higher latent correlation than an independent pair
    assert.is_true(js[1].rho > 0.2, "rho of 1+2: " .. js[1].rho)
    assert.is_true(math.abs(js[2].rho) < 0.1, "rho of 4+7: " .. js[2].rho)
    assert.is_true(js[3].rho > 0.99)
  end)

  it("names bad bounds and bad per-item tables", function()
    assert.truthy(err(function() offer({ "101", "102" }, 0, { max_elasticity = -1 }) end):find("max_elasticity must be 0 (no bound) or in [0.1, 1e6]", 1, true))
    assert.truthy(err(function() offer({ "101", "102" }, 0, { max_elasticity = "high" }) end):find("max_elasticity must be a number", 1, true))
    assert.truthy(err(function() offer({ "101", "102" }, 0, { min_elasticity = 3, max_elasticity = 2 }) end)
      :find("min_elasticity must be in [0.1, 1e6] and at most max_elasticity", 1, true))
    assert.truthy(err(function() offer({ "101", "102" }, 0, { elasticity = { nope = 2 } }) end)
      :find("price.baseline: elasticity: no item 'nope' in the catalogue", 1, true))
    assert.truthy(err(function() offer({ "101", "102" }, 0, { elasticity = { ["101"] = -2 } }) end)
      :find("elasticity of item '101' must be a number > 0", 1, true))
    assert.truthy(err(function() offer({ "101", "102" }, 0, { market = 0.5 }) end):find("market must be 0 (no cap) or in [1, 1e6]", 1, true))
    assert.truthy(err(function() offer({ "101", "102" }, 0, { complementarity = 0.1 }) end):find("unknown option 'complementarity'", 1, true))
    assert.truthy(err(function() bundle.price.joint_share({ { "1", "2" } }, { catalog = cat }) end)
      :find("price.joint_share: option 'baskets' must be bundle.baskets", 1, true))
  end)
end)

describe("bundle.price.simulate", function()
  local base = { price = { 10, 6 }, cost = { 4, 2 }, share = { 0.3, 0.2 }, elasticity = { 2, 3 },
                 corr = { { 1, 0.4 }, { 0.4, 1 } }, customers = 4000, seed = 3 }
  local function with(extra)
    local o = {}
    for k, v in pairs(base) do o[k] = v end
    for k, v in pairs(extra or {}) do o[k] = v end
    return o
  end

  it("optimises exactly over a range and evaluates one discount", function()
    local best = bundle.price.simulate(with{ discount = { 0, 0.5 } })
    assert.is_true(close(best.list_price, 16) and close(best.cost, 6))
    assert.is_true(close(best.profit, best.take_rate * (best.price - best.cost)))
    for k = 0, 100 do
      local at = bundle.price.simulate(with{ discount = 0.5 * k / 100 })
      assert.is_true(close(at.discount, 0.5 * k / 100))
      assert.is_true(at.profit <= best.profit + 1e-12)
    end
    assert.is_true(best.market_share > 0.3 and best.market_share < 0.5) -- 1 - P(neither) under positive dependence
    local inc = bundle.price.simulate(with{ discount = { 0, 0.5 }, goal = "incremental" })
    assert.is_true(inc.incremental_profit >= best.incremental_profit - 1e-12)
  end)

  it("draws correlated customers: more dependence, fewer customers buy either item", function()
    local lo = bundle.price.simulate(with{ corr = { { 1, -0.5 }, { -0.5, 1 } }, discount = 0 })
    local hi = bundle.price.simulate(with{ corr = { { 1, 0.9 }, { 0.9, 1 } }, discount = 0 })
    assert.is_true(hi.market_share < lo.market_share)
    -- at list price the bundle sells to those above list price for both items
    assert.is_true(hi.take_rate > lo.take_rate)
  end)

  it("names bad input", function()
    assert.truthy(err(function() bundle.price.simulate(with{ share = { 0.3 } }) end):find("share must hold 2 numbers (one per item), got 1", 1, true))
    assert.truthy(err(function() bundle.price.simulate(with{ share = { 0.3, 0 / 0 } }) end):find("item 2 has share", 1, true))
    assert.truthy(err(function() bundle.price.simulate(with{ elasticity = { 2, -1 } }) end):find("item 2 has elasticity -1", 1, true))
    assert.truthy(err(function() bundle.price.simulate(with{ corr = { { 1, 0.4 } } }) end):find("corr must be a 2 x 2 list of rows", 1, true))
    assert.truthy(err(function() bundle.price.simulate(with{ corr = { { 1, 0.4 }, { 0.3, 1 } } }) end):find("must be symmetric", 1, true))
    assert.truthy(err(function() bundle.price.simulate(with{ discount = { 0.5, 0.1 } }) end):find("discount must be {min, max}", 1, true))
    assert.truthy(err(function() bundle.price.simulate(with{ shares = { 0.3, 0.2 } }) end):find("price.simulate: unknown option 'shares'", 1, true))
    assert.truthy(err(function() bundle.price.simulate{ share = { 0.3 } } end):find("option 'price' is required", 1, true))
  end)
end)

describe("bundle.price.elasticity", function()
  -- 52 weeks of order lines: items a..d change price weekly (log sd 0.25)
  -- and sell units = A x price^-2 x noise; items k and l never change price
  local function orders(seed)
    math.randomseed(seed)
    local rows, base = { "item,price,qty,day" }, { a = 3, b = 7, c = 12, d = 5, k = 4, l = 9 }
    local function normal() return math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random()) end
    for week = 0, 51 do
      for _, it in ipairs{ "a", "b", "c", "d", "k", "l" } do
        local p = base[it]
        if it < "k" then p = p * math.exp(0.25 * normal()) end
        local units = 4000 * p ^ -2 * math.exp(0.15 * normal())
        for line = 0, 2 do rows[#rows + 1] = ("%s,%.4f,%.4f,%d"):format(it, p, units / 3, week * 7 + line * 2) end
      end
    end
    return W.frame_of(rows)
  end
  local rows = { "item,price,cost" }
  for _, it in ipairs{ "a", "b", "c", "d", "k", "l", "z" } do rows[#rows + 1] = it .. ",5,2" end
  local cat = bundle.catalog(W.frame_of(rows), { item = "item", price = "price", cost = "cost" })

  it("recovers a planted elasticity from weekly price variation, and gives constant-price items the prior", function()
    local f = orders(11)
    local e = bundle.price.elasticity(f, { item = "item", price = "price", quantity = "qty", time = "day", catalog = cat })
    assert.are.equal(4, e.items)
    assert.are.equal(52, e.periods)
    assert.is_true(math.abs(e.pooled - 2) < 0.5, "pooled " .. e.pooled)
    for _, it in ipairs{ "a", "b", "c", "d" } do
      assert.is_true(math.abs(e.by_item[it] - 2) < 0.5, it .. ": " .. e.by_item[it])
    end
    assert.are.equal(2.5, e.by_item.k)
    assert.are.equal(2.5, e.by_item.l)
    assert.are.equal(2.5, e.by_item.z) -- in the catalogue, never sold
    assert.are.same({ a = true, b = true, c = true, d = true }, e.estimated)
    assert.truthy(e.note:find("the other 3 get the prior", 1, true))
    -- each estimated item's own slope before shrinkage, with its standard error
    for _, it in ipairs{ "a", "b", "c", "d" } do
      assert.is_true(math.abs(e.own[it] - 2) < 0.6, it .. ": own " .. e.own[it])
      assert.is_true(e.own_se[it] > 0 and e.own_se[it] < 0.5, it .. ": se " .. e.own_se[it])
    end
    assert.is_nil(e.own.k)
    assert.is_nil(e.own_se.z)
    -- a stated prior and bounds; the pooled estimate for the rest on request
    local p = bundle.price.elasticity(f, { item = "item", price = "price", quantity = "qty", time = "day", catalog = cat,
                                          prior = 1.5, max_elasticity = 1.8, fallback = "pooled" })
    assert.are.equal(1.8, p.by_item.a)
    assert.are.equal(p.pooled, p.by_item.k)
    assert.truthy(p.note:find("get the pooled estimate", 1, true))
    -- without a catalogue the item column's values are the items
    local q = bundle.price.elasticity(f, { item = "item", price = "price", quantity = "qty", time = "day" })
    assert.is_nil(q.by_item.z)
    assert.are.equal(e.by_item.a, q.by_item.a)
    -- the table feeds optimize's elasticity option
    local bk = bundle.baskets(W.frame_of{ "id,item", "1,a", "1,b", "2,a", "2,c", "3,b", "4,a", "4,b", "4,k", "5,k", "6,c" },
                              { basket = "id", item = "item" })
    local priced = bundle.price.optimize({ { "a", "b" } }, { catalog = cat, baskets = bk, elasticity = e.by_item, customers = 500 })
    assert.is_true(priced[1].take_rate > 0)
  end)

  it("needs enough periods with sales", function()
    local e = bundle.price.elasticity(orders(12), { item = "item", price = "price", quantity = "qty", time = "day", min_periods = 60 })
    assert.are.equal(0, e.items)
    assert.is_nil(e.pooled)
    assert.are.equal(2.5, e.by_item.a)
  end)

  it("names bad input", function()
    local f = orders(13)
    assert.truthy(err(function() bundle.price.elasticity(f, { item = "item", price = "cost", quantity = "qty", time = "day" }) end)
      :find("price.elasticity: the orders have no column 'cost' (option price)", 1, true))
    assert.truthy(err(function() bundle.price.elasticity(f, { item = "item", price = "price", quantity = "qty", time = "day", period = 7 }) end)
      :find("unknown option 'period'", 1, true))
    assert.truthy(err(function() bundle.price.elasticity(f, { item = "item", price = "price", quantity = "qty", time = "day", period_days = 0 }) end)
      :find("the period must be > 0", 1, true))
    assert.truthy(err(function() bundle.price.elasticity(1, {}) end):find("orders must be a frame", 1, true))
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

describe("bundle.price.portfolio", function()
  local data, bk, cat = world(21, 10, 300, 6)
  local opts = { catalog = cat, baskets = bk, customers = 4000 }

  it("judges one offer as price.baseline does, customer for customer", function()
    for _, b in ipairs{ {"1", "2"}, {"4", "7", "3"}, {"5"} } do
      local base = bundle.price.baseline({b}, { catalog = cat, baskets = bk, customers = 4000, discount = 0.15 })[1]
      local pf = bundle.price.portfolio({ { items = b, discount = 0.15 } }, opts)
      local o = pf.bundles[1]
      assert.are.same(base.items, o.items) -- sorted as baseline sorts them
      for _, k in ipairs{ "price", "list_price", "cost", "discount", "take_rate", "profit", "market_share" } do
        assert.are.equal(base[k], o[k])
      end
      for _, k in ipairs{ "cannibalised_profit", "incremental_profit", "component_profit" } do
        assert.is_true(close(base[k], o[k], 1e-12))
      end
      assert.are.equal(o.profit, pf.profit)
      assert.is_true(close(pf.component_profit, base.component_profit, 1e-12))
      assert.are.equal(1, pf.groups)
    end
  end)

  it("counts a hub item's customers once: overlapping offers earn less than their sum", function()
    local offers = { { items = {"1", "2"}, discount = 0.2 }, { items = {"1", "3"}, discount = 0.2 },
                     { items = {"1", "4"}, discount = 0.2 } }
    local pf = bundle.price.portfolio(offers, opts)
    local sum, take = 0, 0
    for i, o in ipairs(offers) do
      local single = bundle.price.baseline({o.items}, { catalog = cat, baskets = bk, customers = 4000, discount = 0.2 })[1]
      sum = sum + single.profit
      take = take + pf.bundles[i].take_rate
      assert.is_true(close(pf.bundles[i].incremental_profit, pf.bundles[i].profit - pf.bundles[i].cannibalised_profit))
    end
    assert.is_true(pf.profit < sum)
    assert.is_true(close(pf.take_rate, take)) -- every offer holds "1": nobody takes two
    assert.is_true(close(pf.incremental_profit, pf.profit - pf.cannibalised_profit))
    assert.are.equal(1, pf.groups)
    assert.are.equal(4, pf.items)
  end)

  it("takes price.optimize's records back, and the same seed gives the same figures", function()
    local priced = bundle.price.optimize({ {"1", "2"}, {"6", "7"} }, opts)
    local a = bundle.price.portfolio(priced, opts)
    assert.are.same(a, bundle.price.portfolio(priced, opts))
    assert.are.equal(2, a.groups)
    for i = 1, 2 do assert.is_true(close(a.bundles[i].profit, priced[i].profit, 1e-12)) end
  end)

  it("names an unknown option and a bad offer by its index", function()
    local ok = { items = {"1", "2"}, discount = 0.1 }
    local function perr(offers, o) return err(function() return bundle.price.portfolio(offers, o) end) end
    assert.matches("price.portfolio: unknown option 'discount'", perr({ok}, { catalog = cat, baskets = bk, discount = 0.1 }), 1, true)
    assert.matches("price.portfolio: offers (argument #1): offer 2 item 2: no item 'nope' in the catalogue",
                   perr({ ok, { items = {"1", "nope"}, discount = 0.1 } }, opts), 1, true)
    assert.matches("price.portfolio: offer 3 has discount 1 (must be in [0, 1))",
                   perr({ ok, ok, { items = {"3"}, discount = 1 } }, opts), 1, true)
    assert.matches("price.portfolio: offer 2: discount must be a number",
                   perr({ ok, { items = {"3"} } }, opts), 1, true)
    assert.matches("price.portfolio: offer 2 lists item '3' twice",
                   perr({ ok, { items = {"3", "3"}, discount = 0 } }, opts), 1, true)
    assert.matches("price.portfolio: offer 1 has 0 items",
                   perr({ { items = {}, discount = 0 } }, opts), 1, true)
    assert.matches("price.portfolio: offers (argument #1) has no offers (at least 1)", perr({}, opts), 1, true)
    assert.matches("option 'baskets' must be", perr({ok}, { catalog = cat }), 1, true)
    assert.matches("price.portfolio: market must be 0 (no cap) or in [1, 1e6]",
                   perr({ok}, { catalog = cat, baskets = bk, market = 0.5 }), 1, true)
  end)
end)
