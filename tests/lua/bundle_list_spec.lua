-- The one reader of bundle lists (src/lua/lbundle_list.c): every binding
-- that takes bundles or item labels reads them with the same rules and
-- names the argument, the bundle and the item in its errors.
local bundle = require "bundle"
local T = bundle.tensor

local function err(fn, ...)
  local ok, e = pcall(fn, ...)
  assert.is_false(ok)
  return (tostring(e):gsub("^[^:]*:%d+: ", "", 1))
end

local f = bundle.read_csv("tests/data/csv/basic.csv")
local pos = f:filter(f:col("price"):gt(0))
local bk = bundle.baskets(pos, { basket = "id", item = "name" })
local cat = bundle.catalog(pos, { item = "name", price = "price", margin = 0.3 })
local pcat = bundle.catalog(pos, { item = "id", price = "price", margin = 0.3 })

-- a list whose __len counts how often it is asked
local function counted(items)
  local calls = { n = 0 }
  local t = setmetatable({}, { __len = function() calls.n = calls.n + 1; return #items end,
                               __index = function(_, i) return items[i] end })
  return t, calls
end

describe("the bundle list reader", function()
  it("asks each list's length once", function()
    local b1, c1 = counted({ "apple", "pear" })
    local outer, c0 = counted({ b1 })
    local r = bundle.search{ catalog = cat, baskets = bk, pool = outer, objective = "lift" }
    assert.are.equal(1, #r)
    assert.are.equal(1, c0.n)
    assert.are.equal(1, c1.n)
    local b2, c2 = counted({ "apple", "pear" })
    bundle.price.baseline({ b2 }, { catalog = cat, baskets = bk })
    assert.are.equal(1, c2.n)
  end)

  it("caps a length before allocating for it", function()
    local huge = setmetatable({}, { __len = function() return 1 << 40 end, __index = function() return { "apple" } end })
    assert.are.equal("search: option 'pool' holds 1099511627776 bundles; at most 16777216",
                     err(bundle.search, { catalog = cat, baskets = bk, pool = huge }))
    local nine = { "apple", "pear", "apple", "pear", "apple", "pear", "apple", "pear", "apple" }
    assert.are.equal("price.baseline: bundles (argument #1): bundle 1 holds 9 items; at most 8",
                     err(bundle.price.baseline, { nine }, { catalog = cat, baskets = bk }))
  end)

  -- regression: the growing items buffer once took the offsets' stack slot, so a
  -- collection during the read freed the offsets while they were written
  it("keeps its buffers alive through a collection while it reads", function()
    local n = 3000
    local many = setmetatable({}, { __len = function() return n end,
                                    __index = function(_, k)
                                      if k > n then return nil end
                                      if k % 100 == 0 then collectgarbage() end
                                      return { "apple", k % 2 == 0 and "pear" or "fig" } end })
    local r = bundle.eval.backtest(many, bk)
    assert.are.equal(n, #r.bundles)
    assert.are.equal(r.bundles[2].complete, r.bundles[n].complete)
  end)

  it("a length that shrinks under the reader reads nils, named", function()
    local liar = setmetatable({}, { __len = function() return 3 end, __index = function(_, i) return i == 1 and "apple" or nil end })
    assert.are.equal("search: option 'pool': bundle 1 item 2 must be an item label (a string or an integer), got nil",
                     err(bundle.search, { catalog = cat, baskets = bk, pool = { liar } }))
  end)

  it("names the argument, the bundle and the item", function()
    assert.are.equal("price.optimize: bundles (argument #1): bundle 2 must be a list of item labels, got number",
                     err(bundle.price.optimize, { { "apple" }, 7 }, { catalog = cat, baskets = bk }))
    assert.are.equal("price.optimize: bundles (argument #1): bundle 1 item 2 must be an item label (a string or an integer), got boolean",
                     err(bundle.price.optimize, { { "apple", true } }, { catalog = cat, baskets = bk }))
    assert.are.equal("price.optimize: bundles (argument #1): bundle 1 item 2 must be an item label (a string or an integer), got a fraction",
                     err(bundle.price.optimize, { { "apple", 1.5 } }, { catalog = cat, baskets = bk }))
    assert.are.equal("price.optimize: bundles (argument #1): bundle 1 item 2: no item 'plum' in the catalogue",
                     err(bundle.price.optimize, { { "apple", "plum" } }, { catalog = cat, baskets = bk }))
    assert.are.equal("search: option 'pool': bundle 1 lists 'pear' twice",
                     err(bundle.search, { catalog = cat, baskets = bk, pool = { { "pear", "apple", "pear" } } }))
    assert.are.equal("search: option 'constraints.exclude': item 1: no item 'plum' in the catalogue",
                     err(bundle.search, { catalog = cat, baskets = bk, constraints = { exclude = { "plum" } } }))
    assert.are.equal("lhs_has: items (argument #2) must be a list of item labels, got string",
                     err(function() return bk:rules{ min_support = 0.1 }:lhs_has("apple") end))
    assert.are.equal("rank: relevant: row 2 must be a list of ids, got string",
                     err(bundle.eval.rank, { { 1 }, { 2 } }, { { 1 }, "x" }, 1))
    assert.are.equal("rank: relevant: row 1 item 2 must be an integer id, got boolean",
                     err(bundle.eval.rank, { { 1 } }, { { 1, true } }, 1))
    -- ranked lists go through the same reader (they were read by hand, and
    -- a string or a fraction silently became id 0)
    assert.are.equal("rank: ranked: row 2 must be a list of ids, got string",
                     err(bundle.eval.rank, { { 1 }, "x" }, { { 1 }, { 2 } }, 1))
    assert.are.equal("rank: ranked: row 1 item 1 must be an integer id, got a fraction",
                     err(bundle.eval.rank, { { 1.5 } }, { { 1 } }, 1))
    local lens = 0
    local ranked = setmetatable({}, { __len = function() lens = lens + 1; return 2 end,
                                      __index = function(_, i) return { i, 9 } end })
    assert.are.equal(1, bundle.eval.rank(ranked, { { 1 }, { 2 } }, 1).hit)
    assert.are.equal(1, lens) -- the list's length is asked once
    assert.are.equal("topk: exclude: row 1 item 1 must be an integer id, got a fraction",
                     err(bundle.eval.topk, T.from{ { 1, 2 } }, 1, { { 1.5 } }))
  end)

  it("takes records and integer labels alike everywhere", function()
    local a = bundle.price.baseline({ { items = { "pear", "apple" } } }, { catalog = cat, baskets = bk })
    local b = bundle.price.baseline({ { "apple", "pear" } }, { catalog = cat, baskets = bk })
    assert.are.same(a[1].items, b[1].items)
    assert.are.equal(a[1].price, b[1].price)
    -- items of an integer column are labelled by their decimal text: 1 and "1" are one item
    local pbk = bundle.baskets(pos, { basket = "name", item = "id" })
    local c = bundle.price.baseline({ { 1, 2 } }, { catalog = pcat, baskets = pbk })
    local d = bundle.price.baseline({ { "1", "2" } }, { catalog = pcat, baskets = pbk })
    assert.are.same({ "1", "2" }, c[1].items)
    assert.are.equal(d[1].price, c[1].price)
    local r = bundle.search{ catalog = cat, baskets = bk, pool = { { items = { "apple", "pear" } } } }
    assert.are.equal(1, #r)
  end)

  it("keeps or drops labels the baskets never saw, as the function says", function()
    local r = bundle.eval.backtest({ { "apple", "plum" } }, bk)
    assert.are.equal(0, r.bundles[1].complete) -- kept as an item no basket holds
    local rules = bk:rules{ min_support = 0.1, min_confidence = 0.1 }
    assert.are.equal(0, #rules:lhs_has({ "plum" }))
  end)
end)
