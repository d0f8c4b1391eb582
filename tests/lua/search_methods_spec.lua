-- Searching a pool of items: exact enumeration with branch and bound
-- against brute force, the heuristics (beam, greedy, anneal, NSGA-II)
-- against exact, seeds, features and model objectives, and errors.
local bundle = require "bundle"
local W = require "search_world"
local world, count, subsets, labels, numbers, objectives, err = W.world, W.count, W.subsets, W.labels, W.numbers, W.objectives, W.err

local NAMES = {"support", "lift", "min_pair_lift", "revenue", "margin", "expected_profit", "inventory"}

-- Random constraints for a world of n items (item labels "1".."n").
local function random_spec(seed, n, info)
  math.randomseed(1000 + seed)
  local c, spec = {}, { size = {2, math.random(2, 4) + (seed % 3 == 0 and 1 or 0)}, top = math.random(1, 12) }
  if math.random() < 0.5 then c.max_price = math.random(15, 45) end
  if math.random() < 0.4 then c.max_per_category = math.random(1, 2) end
  if math.random() < 0.2 then c.min_categories = 2 end
  if math.random() < 0.25 then c.must_include = { tostring(math.random(1, 3)) } end
  if math.random() < 0.3 then c.exclude = { tostring(math.random(4, n)) } end
  if math.random() < 0.3 then c.min_margin = math.random(5, 25) end
  if math.random() < 0.2 then c.min_stock = math.random(1, 4) end
  if math.random() < 0.3 then spec.min_support = math.random(1, 4) / 50 end
  if math.random() < 0.3 then local m = math.random(3, 7) c.compatible = function(a, b) return (tonumber(a) + tonumber(b)) % m ~= 0 end end
  if math.random() < 0.3 then spec.graph = { min_count = math.random(1, 3), min_lift = math.random() < 0.5 and 1.0 or nil } end
  spec.constraints = c
  return spec
end

-- Every bundle of 1..n the spec allows, with its score.
local function brute(data, info, n, spec, score)
  local c, nb = spec.constraints, #data
  local need = 1
  if spec.min_support then need = math.max(need, math.ceil(spec.min_support * nb - 1e-9)) end
  local kept = {}
  for _, s in ipairs(subsets(n, spec.size[1], spec.size[2])) do
    local ok = count(data, s) >= need
    local price, margin, cats, distinct = 0, 0, {}, 0
    for _, i in ipairs(s) do
      price, margin = price + info[i].price, margin + info[i].price - info[i].cost
      if not cats[info[i].cat] then distinct = distinct + 1 end
      cats[info[i].cat] = (cats[info[i].cat] or 0) + 1
      if c.exclude and tostring(i) == c.exclude[1] then ok = false end
      if c.min_stock and info[i].stock < c.min_stock then ok = false end
    end
    if c.max_price and price > c.max_price then ok = false end
    if c.min_margin and margin < c.min_margin then ok = false end
    if c.max_per_category then for _, k in pairs(cats) do if k > c.max_per_category then ok = false end end end
    if c.min_categories and distinct < c.min_categories then ok = false end
    if c.must_include then
      local has = false
      for _, i in ipairs(s) do if tostring(i) == c.must_include[1] then has = true end end
      ok = ok and has
    end
    for a = 1, #s do for b = a + 1, #s do
      if c.compatible and not c.compatible(tostring(s[a]), tostring(s[b])) then ok = false end
      if spec.graph then
        local cab = count(data, {s[a], s[b]})
        if cab < spec.graph.min_count then ok = false end
        local ca, cb = count(data, {s[a]}), count(data, {s[b]})
        if spec.graph.min_lift and cab * nb / (ca * cb) < spec.graph.min_lift then ok = false end
      end
    end end
    if ok then kept[#kept + 1] = { s = s, v = score(s) } end
  end
  table.sort(kept, function(a, b) return a.v > b.v end)
  return kept
end

local function close(a, b) return math.abs(a - b) <= 1e-9 * math.max(1, math.abs(a), math.abs(b)) end

-- The result's scores equal brute force's top ones, and every bundle it
-- returns is one brute force allows, with its own score.
local function check_against(res, kept, top, score, what)
  local allowed = {}
  for _, k in ipairs(kept) do allowed[table.concat(k.s, ",")] = k.v end
  assert.are.equal(math.min(top, #kept), #res, what)
  for rank, b in res:iter() do
    local key = table.concat(numbers(b.items), ",")
    assert.is_not_nil(allowed[key], what .. ": returned a bundle the constraints forbid: " .. key)
    assert.is_true(close(b.score, kept[rank].v), ("%s rank %d: %s vs %s"):format(what, rank, b.score, kept[rank].v))
    assert.is_true(close(b.score, score(numbers(b.items))), what)
  end
end

describe("exact search of an item pool", function()
  it("equals brute force for every built-in objective under random constraints, pruning by bound", function()
    local pruned, runs = 0, 0
    for seed = 1, 70 do
      local n = 8 + seed % 5
      local data, bk, cat, info = world(seed, n, 40 + seed % 30)
      local name = NAMES[seed % #NAMES + 1]
      local spec = random_spec(seed, n, info)
      local kept = brute(data, info, n, spec, function(s) return objectives[name](data, info, s) end)
      spec.catalog, spec.baskets, spec.objective = cat, bk, name
      local what = ("seed %d %s"):format(seed, name)
      if #kept == 0 then
        assert.truthy(err(function() bundle.search(spec) end):find("no bundle satisfies", 1, true), what)
      else
        local res = bundle.search(spec)
        check_against(res, kept, spec.top, function(s) return objectives[name](data, info, s) end, what)
        pruned, runs = pruned + res:stats().pruned, runs + 1
      end
    end
    assert.is_true(runs > 40)
    assert.is_true(pruned > 0, "branch and bound never pruned")
  end)

  it("equals brute force on dense worlds, where deep bundles compete for the top", function()
    for seed = 1, 14 do
      local data, bk, cat, info = world(800 + seed, 10, 60, 8)
      local name = NAMES[seed % #NAMES + 1]
      local spec = { size = {2, 4}, top = 25, constraints = {} }
      local kept = brute(data, info, 10, spec, function(s) return objectives[name](data, info, s) end)
      local res = bundle.search{ catalog = cat, baskets = bk, size = {2, 4}, top = 25, objective = name }
      check_against(res, kept, 25, function(s) return objectives[name](data, info, s) end, ("seed %d %s"):format(seed, name))
    end
  end)

  it("prunes with a Lua bound and still equals brute force", function()
    for seed = 1, 15 do
      local data, bk, cat, info = world(300 + seed, 12, 60)
      local maxp = 0
      for i = 1, 12 do maxp = math.max(maxp, info[i].price) end
      local score = function(s) local v = 0 for _, i in ipairs(s) do v = v + info[i].price end return v - 3 * #s end
      local spec = { size = {2, 4}, top = 3, constraints = {} }
      local kept = brute(data, info, 12, spec, score)
      local res = bundle.search{ catalog = cat, baskets = bk, size = {2, 4}, top = 3,
        objective = function(b) return b:price() - 3 * b:size() end,
        bound = function(b, slots) return b:price() - 3 * b:size() + slots * math.max(0, maxp - 3) end }
      check_against(res, kept, 3, score, "seed " .. seed)
    end
  end)

  it("returns what scoring every candidate of a mined list returns", function()
    local data, bk, cat = world(41, 12, 80)
    local sets = bk:frequent{ min_count = 1, min_size = 2, max_size = 4 }
    for _, name in ipairs(NAMES) do
      local a = bundle.search{ catalog = cat, pool = sets, size = {2, 4}, top = 15, objective = name }
      local b = bundle.search{ catalog = cat, baskets = bk, size = {2, 4}, top = 15, objective = name }
      local sa, sb = {}, {}
      for _, x in a:iter() do sa[#sa + 1] = x.score end
      for _, x in b:iter() do sb[#sb + 1] = x.score end
      assert.are.equal(#sa, #sb)
      for i = 1, #sa do assert.is_true(close(sa[i], sb[i]), name) end
    end
  end)

  it("says when a pool is too large to enumerate, and what to do", function()
    local data, bk, cat = world(2, 12, 80)
    local e = err(function() bundle.search{ catalog = cat, baskets = bk, size = {2, 5}, objective = "lift", max_evaluations = 50 } end)
    assert.truthy(e:find("the pool is too large for exact search", 1, true))
    assert.truthy(e:find('use method = "beam" or "nsga2"', 1, true))
  end)
end)

describe("heuristic search", function()
  it("beam with a beam as wide as the pool finds the exact top bundles", function()
    for seed = 1, 20 do
      local n = 9 + seed % 4
      local data, bk, cat, info = world(400 + seed, n, 50)
      local name = NAMES[seed % #NAMES + 1]
      local spec = random_spec(seed, n, info)
      spec.constraints.min_categories = nil -- any constraint works; keep brute force simple
      local kept = brute(data, info, n, spec, function(s) return objectives[name](data, info, s) end)
      if #kept > 0 then
        spec.catalog, spec.baskets, spec.objective, spec.method, spec.beam_width = cat, bk, name, "beam", 100000
        check_against(bundle.search(spec), kept, spec.top, function(s) return objectives[name](data, info, s) end, "seed " .. seed)
      end
    end
  end)

  it("greedy, anneal and nsga2 return valid bundles with true scores, and the same seed gives the same result", function()
    for _, method in ipairs{"greedy", "anneal", "nsga2", "beam"} do
      for seed = 1, 8 do
        local n = 12
        local data, bk, cat, info = world(500 + seed, n, 60)
        local name = NAMES[seed % #NAMES + 1]
        local spec = random_spec(seed, n, info)
        local kept = brute(data, info, n, spec, function(s) return objectives[name](data, info, s) end)
        local allowed = {}
        for _, k in ipairs(kept) do allowed[table.concat(k.s, ",")] = true end
        spec.catalog, spec.baskets, spec.objective, spec.method, spec.seed = cat, bk, name, method, seed
        spec.iterations, spec.restarts, spec.population, spec.generations, spec.beam_width = 300, 3, 12, 8, 5
        local ok, res = pcall(bundle.search, spec)
        if not ok then
          assert.truthy(tostring(res):find("no bundle satisfies", 1, true), method .. ": " .. tostring(res))
        else
          local first = {}
          for _, b in res:iter() do
            local s = numbers(b.items)
            assert.is_true(allowed[table.concat(s, ",")] ~= nil, method .. " returned a forbidden bundle")
            assert.is_true(close(b.score, objectives[name](data, info, s)))
            first[#first + 1] = table.concat(b.items, "+") .. "=" .. b.score
          end
          local again = {}
          for _, b in bundle.search(spec):iter() do again[#again + 1] = table.concat(b.items, "+") .. "=" .. b.score end
          assert.are.same(first, again, method .. " seed " .. seed)
        end
      end
    end
  end)

  it("anneal and greedy reach the optimum of small worlds", function()
    for seed = 1, 10 do
      local data, bk, cat, info = world(600 + seed, 10, 60)
      local kept = brute(data, info, 10, { size = {2, 4}, constraints = {} }, function(s) return objectives.expected_profit(data, info, s) end)
      local a = bundle.search{ catalog = cat, baskets = bk, objective = "expected_profit", method = "anneal", seed = seed, top = 1 }
      local best = select(2, a:iter()(a, 0)).score
      assert.is_true(close(best, kept[1].v), ("seed %d: anneal %g, optimum %g"):format(seed, best, kept[1].v))
    end
  end)

  it("nsga2 approaches the exact Pareto front", function()
    for seed = 1, 4 do
      local data, bk, cat = world(700 + seed, 14, 80)
      local objs = { profit = "expected_profit", reach = "support" }
      local exact = bundle.search{ catalog = cat, baskets = bk, objectives = objs }
      local ga = bundle.search{ catalog = cat, baskets = bk, objectives = objs, method = "nsga2", seed = seed,
        population = 30, generations = 30 }
      local function hv(res)
        local pts = {}
        for i, f in ipairs(res:pareto{ "profit", "reach" }) do pts[i] = { f.scores.profit, f.scores.reach } end
        return bundle.pareto.hypervolume(pts, {0, 0})
      end
      local he, hg = hv(exact), hv(ga)
      assert.is_true(hg <= he * (1 + 1e-12))
      assert.is_true(hg >= 0.9 * he, ("seed %d: hypervolume %g of %g"):format(seed, hg, he))
    end
  end)
end)

describe("bundle features and model objectives", function()
  it("builds features in C that match their definitions", function()
    local data, bk, cat, info = world(9, 8, 50)
    local got
    bundle.search{ catalog = cat, baskets = bk, pool = {{"1", "2", "3"}}, size = {2, 3},
      objective = function(b) got = b:features() return 0 end }
    local names = bundle.search_features
    local f = {}
    for i, name in ipairs(names) do f[name] = got[i] end
    local nb, s = #data, {1, 2, 3}
    assert.are.equal(3, f.size)
    assert.is_true(close(f.support, count(data, s) / nb))
    assert.is_true(close(f.price, info[1].price + info[2].price + info[3].price))
    assert.is_true(close(f.cost, info[1].cost + info[2].cost + info[3].cost))
    assert.is_true(close(f.margin, f.price - f.cost))
    local le = 0
    for _, i in ipairs(s) do le = le + math.log((count(data, {i}) + 0.5) / (nb + 0.5)) end
    assert.is_true(close(f.log_lift, math.log((count(data, s) + 0.5) / (nb + 0.5)) - le))
    local cats = {}
    for _, i in ipairs(s) do cats[info[i].cat] = true end
    local nc = 0 for _ in pairs(cats) do nc = nc + 1 end
    assert.are.equal(nc, f.categories)
  end)

  it("scores bundles with a trained model over those features", function()
    local data, bk, cat, info = world(10, 10, 60)
    -- a linear model that weighs price 1 and margin 2 gives price + 2 margin
    local X, y = {}, {}
    math.randomseed(3)
    for i = 1, 40 do
      local row = {}
      for k = 1, #bundle.search_features do row[k] = math.random() * 10 end
      X[i], y[i] = row, row[5] + 2 * row[7]
    end
    local m = bundle.model.linear()
    m:fit(bundle.tensor.from(X), bundle.tensor.from(y))
    local res = bundle.search{ catalog = cat, baskets = bk, objective = m, top = 5 }
    for _, b in res:iter() do
      local s = numbers(b.items)
      local want = objectives.revenue(data, info, s) + 2 * objectives.margin(data, info, s)
      assert.is_true(math.abs(b.score - want) < 1e-6)
    end
    local wrong = bundle.model.linear()
    wrong:fit(bundle.tensor.from{{1, 2}, {2, 1}, {3, 5}}, bundle.tensor.from{1, 2, 3})
    assert.truthy(err(function() bundle.search{ catalog = cat, baskets = bk, objective = wrong } end)
      :find("the model objective cannot score bundle features", 1, true))
  end)
end)

describe("pool search errors", function()
  local data, bk, cat = world(3)
  it("name the problem", function()
    assert.truthy(err(function() bundle.search{ catalog = cat, baskets = bk, method = "tabu" } end)
      :find("unknown search method 'tabu' (exact, beam, greedy, anneal, nsga2)", 1, true))
    assert.truthy(err(function() bundle.search{ catalog = cat, baskets = bk, pool = {{"1", "2"}}, method = "beam" } end)
      :find("method 'beam' walks a pool of items", 1, true))
    assert.truthy(err(function() bundle.search{ catalog = cat, baskets = bk, constraints = { must_include = {"1", "2", "3", "4", "5"} } } end)
      :find("no bundle satisfies must_include", 1, true))
    assert.truthy(err(function() bundle.search{ catalog = cat, baskets = bk, constraints = { compatible = function() error("bad pair") end } } end)
      :find("bad pair", 1, true))
    assert.truthy(err(function() bundle.search{ catalog = cat, baskets = bk, constraints = { compatible = 3 } } end)
      :find("constraint 'compatible' must be a function", 1, true))
    assert.truthy(err(function() bundle.search{ catalog = cat, baskets = bk, objective = function(b) return b:price() end, bound = function() return "x" end } end)
      :find("the bound returned a string", 1, true))
    assert.truthy(err(function() bundle.search{ catalog = cat, baskets = bk, objective = "lift", bound = function() return 1 end } end)
      :find("bound serves an objective function", 1, true))
    assert.truthy(err(function() bundle.search{ catalog = cat, baskets = bk, pool = {"1", true} } end)
      :find("search: option 'pool': item 2 must be an item label (a string or an integer), got boolean", 1, true))
    assert.truthy(err(function() bundle.search{ catalog = cat, baskets = bk, constraints = { exclude = {"1", "2", "3", "4", "5", "6", "7"} } } end)
      :find("the pool has 1 usable item", 1, true))
    assert.truthy(err(function() bundle.search{ catalog = cat, baskets = bk, min_support = 2 } end)
      :find("min_support must be in [0, 1]", 1, true))
    assert.truthy(err(function() bundle.search{ catalog = cat, baskets = bk, method = "nsga2", population = 2 } end)
      :find("option 'population' must be at least 4", 1, true))
    assert.truthy(err(function() bundle.search{ catalog = cat, baskets = bk, graph = { min_lift = "high" } } end)
      :find("option 'min_lift' must be a number", 1, true))
  end)
end)
