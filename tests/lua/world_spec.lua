-- The planted world of scripts/results/world.lua: its orders carry the
-- planted shares and correlations, its truth agrees with an independent
-- simulation, and its optimum is what it claims to be.
local bundle = require "bundle"
local files = require "spec_files"
local world = dofile "scripts/results/world.lua"

local function slurp(p)
  local fh = assert(io.open(p, "rb"))
  local s = fh:read("a")
  fh:close()
  return s
end

-- baskets of a generated order file, and visits buying each item / pair
local function observed(path)
  local f = bundle.read_csv(path, { types = { product = "str", order_id = "i64" } })
  local bk = bundle.baskets(f, { basket = "order_id", item = "product", time = "date", user = "customer_id" })
  local single, pair = {}, {}
  for k = 1, bk:size() do
    local items = bk:items(k)
    table.sort(items)
    for a = 1, #items do
      single[items[a]] = (single[items[a]] or 0) + 1
      for b = a + 1, #items do
        local key = items[a] .. "+" .. items[b]
        pair[key] = (pair[key] or 0) + 1
      end
    end
  end
  return bk, single, pair, f
end

local function joint(pair, a, b)
  if a > b then a, b = b, a end
  return pair[a .. "+" .. b] or 0
end

describe("planted world", function()
  local w = world.new{ items = 120, seed = 1 }
  local dir = files.tmpdir()
  teardown(function() os.execute("rm -rf '" .. dir .. "'") end)
  local V = 20000
  local stats = w:orders{ path = dir .. "/orders.csv", visits = V, seed = 2 }
  local bk, single, pair, frame = observed(stats.path)

  -- two popular items with no dependence at all: different categories, in
  -- no planted group (so rho is exactly 0)
  local function popular_independent()
    local grouped = {}
    for _, g in ipairs(w.groups) do for _, i in ipairs(g.members) do grouped[i] = true end end
    local order = {}
    for i = 1, w.n do if not grouped[i] then order[#order + 1] = i end end
    table.sort(order, function(a, b) return w.items[a].q > w.items[b].q end)
    for x = 1, #order do
      for y = x + 1, #order do
        if w:rho(order[x], order[y]) == 0 then return w.items[order[x]].name, w.items[order[y]].name end
      end
    end
  end
  local ia, ib = popular_independent()

  it("plants a positive definite correlation with the planted groups' signs and sizes", function()
    local C = w:correlation()
    assert.has_no.errors(function() world.cholesky(C) end)
    local kinds = {}
    for _, g in ipairs(w.groups) do
      kinds[g.kind] = (kinds[g.kind] or 0) + 1
      local r = w:rho(g.members[1], g.members[2])
      -- the group factor gives target_rho; a shared category adds at most 0.09
      assert.is_true(r >= g.target_rho - 1e-12 and r <= g.target_rho + 0.09 + 1e-12, g.kind .. " " .. r)
      if g.kind == "complement" then assert.is_true(r >= 0.5) end
      if g.kind == "separate" then assert.is_true(r >= 0.3 and r <= 0.6) end
      if g.kind == "substitute" then assert.is_true(r <= -0.2) end
    end
    assert.are.same({ complement = 8, separate = 6, substitute = 4 }, kinds)
    assert.are.equal(0, w:rho(ia, ib))
    -- a singular matrix is refused
    assert.has_error(function() world.cholesky{ { 1, 1 }, { 1, 1 } } end)
  end)

  it("plants shares, elasticities and prices in their ranges", function()
    for _, it in ipairs(w.items) do
      assert.is_true(it.price >= 2 and it.price <= 40)
      local m = it.margin / it.price
      assert.is_true(m >= 0.29 and m <= 0.51, it.name)
      assert.is_true(it.q >= 0.005 - 1e-12 and it.q <= 0.15 + 1e-12)
      assert.is_true(it.elasticity >= 1 and it.elasticity <= 4)
      -- mu and sigma reproduce q and e at list price
      assert.is_near(it.q, 1 - world.cdf(-it.mu / it.sigma), 1e-6)
      local zs = -it.mu / it.sigma
      assert.is_near(it.elasticity, world.pdf(zs) / (it.sigma * it.q), 1e-4)
    end
  end)

  it("writes the same orders for the same seed, other orders for another", function()
    local a = w:orders{ path = dir .. "/a.csv", visits = 3000, seed = 7 }
    local b = w:orders{ path = dir .. "/b.csv", visits = 3000, seed = 7 }
    local c = w:orders{ path = dir .. "/c.csv", visits = 3000, seed = 8 }
    assert.are.equal(slurp(a.path), slurp(b.path))
    assert.are_not.equal(slurp(a.path), slurp(c.path))
    -- and a world of another seed plants other items
    assert.are_not.equal(world.new{ seed = 2 }.items[1].price, w.items[1].price)
  end)

  it("writes one basket per non-empty visit, with the week's price on every line", function()
    assert.are.equal(stats.baskets, bk:size())
    assert.are.equal(stats.lines, frame:nrows())
    assert.are.equal(V, stats.baskets + stats.empty)
    local n = 0
    for _, c in ipairs(stats.visits_by_day) do n = n + c end
    assert.are.equal(V, n)
    -- prices stay within +-10% (rounded to cents) of list
    local items, prices = frame:col("product"):totable(), frame:col("unit_price"):totable()
    local lo, hi = math.huge, 0
    for k = 1, #items do
      local r = prices[k] / w.items[w.index[items[k]]].price
      lo, hi = math.min(lo, r), math.max(hi, r)
    end
    assert.is_true(lo >= 1 / 1.1 - 0.01 and hi <= 1.1 + 0.01)
    assert.is_true(lo < 0.93 and hi > 1.07) -- and they do vary
  end)

  it("matches the planted shares within sampling error", function()
    for _, it in ipairs(w.items) do
      local p = stats.expected[it.name]
      -- the expected share at the prices shown is the planted q, give or take
      -- the weekly price changes
      assert.is_true(math.abs(p / it.q - 1) < 0.1, it.name)
      local se = math.sqrt(p * (1 - p) / V)
      assert.is_true(math.abs((single[it.name] or 0) / V - p) < 4.5 * se,
        ("%s: %d of %d visits, expected share %.4f"):format(it.name, single[it.name] or 0, V, p))
      assert.are.equal(stats.counts[it.name], single[it.name] or 0)
    end
  end)

  it("shows planted complements together far above independence, an independent pair at it", function()
    for _, g in ipairs(w.groups) do
      if g.kind == "complement" then
        local a, b = g.items[1], g.items[2]
        local pa, pb = stats.expected[a], stats.expected[b]
        local pj = joint(pair, a, b) / V
        local se = math.sqrt(pa * pb / V)
        assert.is_true(pj > 3 * pa * pb and pj - pa * pb > 6 * se,
          ("%s+%s: joint %.5f vs %.5f"):format(a, b, pj, pa * pb))
      end
    end
    local pa, pb = stats.expected[ia], stats.expected[ib]
    local pj = joint(pair, ia, ib) / V
    assert.is_true(math.abs(pj - pa * pb) < 4 * math.sqrt(pa * pb / V),
      ("%s+%s: joint %.5f vs %.5f"):format(ia, ib, pj, pa * pb))
    -- substitutes are seen together less often than independent items
    local below = 0
    for _, g in ipairs(w.groups) do
      if g.kind == "substitute" then
        local a, b = g.items[1], g.items[2]
        if joint(pair, a, b) / V < stats.expected[a] * stats.expected[b] then below = below + 1 end
      end
    end
    assert.are.equal(4, below)
  end)

  -- a direct simulation of one pair from the 2 x 2 Cholesky factor of its
  -- planted correlation, independent of the world's factor sampler
  it("prices a bundle as an independent simulation does", function()
    local g
    for _, x in ipairs(w.groups) do if x.kind == "separate" then g = x; break end end
    local i, j = g.members[1], g.members[2]
    local A, B = w.items[i], w.items[j]
    local r = w:rho(i, j)
    local L = world.cholesky{ { 1, r }, { r, 1 } }
    local N = 200000
    local e1, e2 = bundle.tensor.randn(N, { seed = 11 }), bundle.tensor.randn(N, { seed = 12 })
    local z1, z2 = e1 * L[1][1], e1 * L[2][1] + e2 * L[2][2]
    local W1 = (z1 * A.sigma + A.mu):exp() * A.price
    local W2 = (z2 * B.sigma + B.mu):exp() * B.price
    local d = 0.1
    local list = A.price + B.price
    local P = (1 - d) * list
    -- take when W1 + W2 - P >= max(0, W1 - p1) + max(0, W2 - p2)
    local take = (W1 + W2 - P):ge((W1 - A.price):relu() + (W2 - B.price):relu())
    local replaced = take * (W1:gt(A.price) * A.margin + W2:gt(B.price) * B.margin)
    local rate = take:mean()
    local inc = 1000 * (rate * (P - A.cost - B.cost) - replaced:mean())
    local t = w:truth({ { items = g.items, discount = d } }, { visitors = 100000 })
    local b = t.bundles[1]
    assert.is_near(rate, b.take_rate, 4 * math.sqrt(rate * (1 - rate) * (1 / N + 1 / 100000)))
    assert.is_near(inc, b.incremental_profit, 4 * b.se * math.sqrt(1 + 100000 / N))
    assert.is_near(P, b.price, 1e-9)
    assert.are.equal("1000 visitors", t.per)
    assert.is_true(t.basket_share > 0.6 and t.basket_share < 0.95)
    -- the share of non-empty visits agrees with the generated orders
    assert.is_near(stats.baskets / V, t.basket_share, 0.02)
  end)

  it("makes a planted often-separate pair pay more than a popular independent pair", function()
    local grid = {}
    for k = 0, 15 do grid[#grid + 1] = k * 0.02 end
    local function best(items)
      local offers = {}
      for k, d in ipairs(grid) do offers[k] = { items = items, discount = d } end
      local t = w:truth(offers, { visitors = 50000 })
      local top
      for _, b in ipairs(t.bundles) do
        if not top or b.incremental_profit > top.incremental_profit then top = b end
      end
      -- no discount, no change: the offer only re-labels full-price buyers
      assert.is_near(0, t.bundles[1].incremental_profit, 1e-6)
      return top
    end
    local best_sep
    for _, g in ipairs(w.groups) do
      if g.kind == "separate" then
        local b = best(g.items)
        if not best_sep or b.incremental_profit > best_sep.incremental_profit then best_sep = b end
      end
    end
    local ind = best{ ia, ib }
    assert.is_true(best_sep.incremental_profit > 2 * best_sep.se and best_sep.incremental_profit > 0)
    assert.is_true(best_sep.incremental_profit > ind.incremental_profit + 2 * (best_sep.se + ind.se),
      ("separate %.2f vs independent %.2f"):format(best_sep.incremental_profit, ind.incremental_profit))
  end)

  it("sets list prices at each item's single-item optimum under pricing = 'optimal'", function()
    local function best_cut(wd, name, V)
      local offers = {}
      for k, d in ipairs{ 0.01, 0.02, 0.04, 0.07, 0.1 } do offers[k] = { items = { name }, discount = d } end
      local top
      for _, b in ipairs(wd:truth(offers, { visitors = V }).bundles) do
        if not top or b.incremental_profit > top.incremental_profit then top = b end
      end
      return top
    end
    local o = world.new{ items = 120, seed = 1, pricing = "optimal" }
    assert.are.equal("optimal", o.pricing)
    -- same items, shares and correlations; only the elasticities differ
    assert.are.equal(w.items[7].price, o.items[7].price)
    assert.are.equal(w:rho(w.groups[1].members[1], w.groups[1].members[2]),
                     o:rho(o.groups[1].members[1], o.groups[1].members[2]))
    for k = 1, 120, 12 do
      local it = o.items[k]
      assert.is_near(it.price / it.margin, it.elasticity, 1e-9)
      -- a price cut on one item does not pay (it can only lose, to second order)
      local b = best_cut(o, it.name, 50000)
      assert.is_true(b.incremental_profit < 3 * b.se + 1e-9, ("%s: %.3f se %.3f"):format(it.name, b.incremental_profit, b.se))
    end
    -- while in the planted world an elastic item earns from a discount alone
    local elastic
    for _, it in ipairs(w.items) do
      if not elastic or it.elasticity * it.margin / it.price > elastic.elasticity * elastic.margin / elastic.price
         and it.q > 0.03 then elastic = it end
    end
    local b = best_cut(w, elastic.name, 50000)
    assert.is_true(b.incremental_profit > 10 * b.se, ("%s: %.2f se %.2f"):format(elastic.name, b.incremental_profit, b.se))
    assert.truthy(select(2, pcall(world.new, { pricing = "best" })):find("pricing must be", 1, true))
  end)

  it("finds an optimum no random feasible set beats, under its bounds", function()
    local opts = { k = 5, max_per_item = 2, visitors = 25000, all_pairs = false, keep_pairs = 30,
                   keep_triples = 10, extend = 5 }
    local opt = w:optimum(opts)
    assert.is_true(opt.exact)
    assert.are.equal(5, #opt.offers)
    local use = {}
    for _, o in ipairs(opt.offers) do
      for _, i in ipairs(o.items) do use[i] = (use[i] or 0) + 1 end
    end
    for name, c in pairs(use) do assert.is_true(c <= 2, name) end
    assert.is_true(opt.upper_bound >= opt.total - 1e-9)
    assert.is_true(opt.cap_bound >= opt.total - 1e-9 and opt.cap_bound <= opt.upper_bound + 1e-9)
    assert.is_true(opt.total >= opt.greedy_total - 1e-9)
    -- w:truth of the chosen offers gives the same total (same visitors)
    local t = w:truth(opt.offers, { visitors = 25000 })
    assert.is_near(opt.total, t.total, 1e-6 * math.abs(opt.total))
    -- random feasible sets of candidates at discounts of the grid
    local seed = world.stream(5)
    for _ = 1, 20 do
      local set, cnt = {}, {}
      local tries = 0
      while #set < 5 and tries < 1000 do
        tries = tries + 1
        local c = opt.candidates[seed.int(1, #opt.candidates)]
        local ok = true
        for _, i in ipairs(c.items) do if (cnt[i] or 0) >= 2 then ok = false end end
        for _, s in ipairs(set) do if s.c == c then ok = false end end
        if ok then
          for _, i in ipairs(c.items) do cnt[i] = (cnt[i] or 0) + 1 end
          set[#set + 1] = { c = c, items = c.items, discount = seed.int(0, 30) / 100 }
        end
      end
      local rt = w:truth(set, { visitors = 25000 })
      assert.is_true(rt.total <= opt.total + 1e-6, ("random set %.2f > optimum %.2f"):format(rt.total, opt.total))
    end
    -- errors name the option or the item
    local function err(f)
      local ok, e = pcall(f)
      assert.is_false(ok)
      return tostring(e)
    end
    assert.truthy(err(function() w:optimum{ k = 2, sizes = { 4 } } end):find("sizes may hold 2 and 3, not 4", 1, true))
    assert.truthy(err(function() w:truth{ { items = { "P999" }, discount = 0 } } end):find("unknown item 'P999'", 1, true))
    assert.truthy(err(function() w:orders{ visits = 10 } end):find("option 'path' is required", 1, true))
    assert.truthy(err(function() w:truth({}, { visitor = 5 }) end):find("unknown option 'visitor'", 1, true))
  end)
end)
