-- The bundle search engine against a brute-force enumerator on random
-- small catalogues and baskets, constraints included, plus its errors.
local bundle = require "bundle"
local T = bundle.tensor

local W = require "search_world"
local world, count, subsets, labels, objectives, err = W.world, W.count, W.subsets, W.labels, W.objectives, W.err

describe("search against brute force", function()
  it("finds the same top bundles for every built-in objective, with constraints", function()
    local names = {"support", "lift", "revenue", "margin", "expected_profit", "inventory"}
    for seed = 1, 36 do
      local data, bk, cat, info = world(seed)
      local name = names[seed % #names + 1]
      local pool = subsets()
      local max_price = 15 + seed % 20
      local must = seed % 4 == 0 and 1 or nil
      -- brute force: filter, score, sort (stable: pool order breaks ties)
      local kept = {}
      for k, s in ipairs(pool) do
        local price, cats, ok = 0, {}, true
        for _, i in ipairs(s) do
          price = price + info[i].price
          cats[info[i].cat] = (cats[info[i].cat] or 0) + 1
        end
        for _, n in pairs(cats) do if n > 2 then ok = false end end
        if price > max_price then ok = false end
        if must then local has = false for _, i in ipairs(s) do if i == must then has = true end end ok = ok and has end
        if ok then kept[#kept + 1] = { k = k, s = s, v = objectives[name](data, info, s) } end
      end
      table.sort(kept, function(a, b) if a.v ~= b.v then return a.v > b.v end return a.k < b.k end)
      local lpool = {}
      for k, s in ipairs(pool) do lpool[k] = labels(s) end
      local spec = { catalog = cat, baskets = bk, pool = lpool, size = {2, 4}, top = 10, objective = name,
        constraints = { max_price = max_price, max_per_category = 2, must_include = must and {tostring(must)} or nil } }
      if #kept == 0 then -- nothing qualifies: the engine must say so, not return nothing
        assert.truthy(err(function() bundle.search(spec) end):find("no bundle satisfies the constraints", 1, true))
        goto continue
      end
      local res = bundle.search(spec)
      assert.are.equal(math.min(10, #kept), #res, ("seed %d %s"):format(seed, name))
      for rank, b in res:iter() do
        local want = kept[rank]
        assert.is_true(math.abs(b.score - want.v) <= 1e-9 * math.max(1, math.abs(want.v)),
          ("seed %d %s rank %d: %s vs %s"):format(seed, name, rank, b.score, want.v))
        -- equal scores may come out in either order (C and Lua round the last
        -- bit differently), so check the bundle's own score, not its position
        local own = {}
        for i, l in ipairs(b.items) do own[i] = tonumber(l) end
        local v = objectives[name](data, info, own)
        assert.is_true(math.abs(b.score - v) <= 1e-9 * math.max(1, math.abs(v)), ("seed %d %s rank %d"):format(seed, name, rank))
      end
      ::continue::
    end
  end)

  it("keeps returned bundles within max_overlap of each other", function()
    local data, bk, cat = world(99)
    local lpool = {}
    for k, s in ipairs(subsets()) do lpool[k] = labels(s) end
    local res = bundle.search{ catalog = cat, baskets = bk, pool = lpool, top = 5, objective = "revenue", max_overlap = 1 }
    local got = {}
    for _, b in res:iter() do got[#got + 1] = b.items end
    for i = 1, #got do
      for j = i + 1, #got do
        local shared = 0
        for _, x in ipairs(got[i]) do for _, y in ipairs(got[j]) do if x == y then shared = shared + 1 end end end
        assert.is_true(shared <= 1)
      end
    end
  end)

  it("mines an item pool with support pruning, and scores Lua objectives", function()
    local data, bk, cat, info = world(5)
    local res = bundle.search{ catalog = cat, baskets = bk, pool = {"1", "2", "3", "4", "5", "6", "7", "8"},
      min_support = 0.05, size = {2, 3}, top = 50, objective = function(b) return b:support() * 100 + b:size() end }
    for _, b in res:iter() do
      local s = {}
      for i, l in ipairs(b.items) do s[i] = tonumber(l) end
      assert.is_true(count(data, s) >= 0.05 * #data)
      assert.is_true(math.abs(b.score - (count(data, s) / #data * 100 + #s)) < 1e-9)
    end
  end)
end)

describe("search errors", function()
  local data, bk, cat = world(3)
  local pool = {{"1", "2"}, {"3", "4"}}
  it("name the problem", function()
    assert.truthy(err(function() bundle.search{ catalog = cat, baskets = bk, pool = pool, constraints = { max_price = 0.5 } } end)
      :find("search: no bundle satisfies the constraints (2 candidates; max_price removed 2)", 1, true))
    assert.truthy(err(function() bundle.search{ catalog = cat, baskets = bk, pool = pool, size = {2, 9} } end)
      :find("bundles hold at most 8 items", 1, true))
    assert.truthy(err(function() bundle.search{ catalog = cat, baskets = bk, pool = pool, objective = function() return 0 / 0 end } end)
      :find("search: the objective gave NaN for bundle {1, 2}", 1, true))
    assert.truthy(err(function() bundle.search{ catalog = cat, baskets = bk, pool = pool, objective = function() return "x" end } end)
      :find("search: the objective returned a string for bundle {1, 2}, not a number", 1, true))
    assert.truthy(err(function() bundle.search{ catalog = cat, baskets = bk, pool = pool, objective = "profit" } end)
      :find("unknown objective 'profit'", 1, true))
    assert.truthy(err(function() bundle.search{ catalog = cat, pool = pool, objective = "lift" } end)
      :find("search: objective 'lift' needs baskets", 1, true))
    assert.truthy(err(function() bundle.search{ catalog = cat, baskets = bk, pool = pool, constrains = {} } end)
      :find("search: unknown option 'constrains'", 1, true))
    local ok, e = pcall(bundle.search, { catalog = cat, baskets = bk, pool = pool, objective = function() error("inside") end })
    assert.is_false(ok); assert.truthy(tostring(e):find("inside", 1, true))
  end)

  it("reject a catalogue that does not cover the baskets", function()
    local csv = os.tmpname()
    local fh = io.open(csv, "w"); fh:write("item,price\n1,2\n2,3\n"); fh:close()
    local small = bundle.catalog(bundle.read_csv(csv, { types = { item = "str" } }), { item = "item", price = "price", margin = 0.4 })
    os.remove(csv)
    assert.truthy(err(function() bundle.search{ catalog = small, baskets = bk, pool = {{"1", "2"}} } end)
      :find("items of the baskets are not in the catalogue", 1, true))
    assert.truthy(err(function() bundle.catalog(bundle.read_csv("tests/data/csv/basic.csv"), { item = "name", price = "price" }) end)
      :find("give either cost = column or margin = rate", 1, true))
  end)
end)

describe("pareto tools", function()
  local function brute_front(pts)
    local keep = {}
    for i, p in ipairs(pts) do
      local dominated = false
      for j, q in ipairs(pts) do
        if j ~= i then
          local ge, gt = true, false
          for k = 1, #p do
            if q[k] < p[k] then ge = false end
            if q[k] > p[k] then gt = true end
          end
          -- dominated, or an equal point earlier in the list (kept once)
          local equal = ge and not gt
          if (ge and gt) or (equal and j < i) then dominated = true end
        end
      end
      if not dominated then keep[#keep + 1] = i end
    end
    return keep
  end

  it("gives the exact non-dominated set in 2-d and 3-d", function()
    for seed = 1, 30 do
      math.randomseed(seed)
      local d = seed % 2 == 0 and 2 or 3
      local pts = {}
      for i = 1, math.random(1, 40) do
        local p = {}
        for k = 1, d do p[k] = math.random(0, 9) end -- small range: ties and duplicates
        pts[i] = p
      end
      local got = bundle.pareto.front(pts)
      table.sort(got)
      local want = brute_front(pts)
      assert.are.equal(#want, #got, "seed " .. seed)
      -- same points (duplicates may be represented by either copy)
      local function keyset(list) local s = {} for _, i in ipairs(list) do s[table.concat(pts[i], ",")] = true end return s end
      assert.are.same(keyset(want), keyset(got))
    end
  end)

  it("computes crowding distances with infinite extremes", function()
    local idx, dist = bundle.pareto.front{{1, 3}, {2, 2}, {3, 1}}
    assert.are.same({3, 2, 1}, idx)
    assert.are.equal(math.huge, dist[1]); assert.are.equal(math.huge, dist[3])
    assert.is_true(math.abs(dist[2] - 2) < 1e-12) -- (3-1)/(3-1) + (3-1)/(3-1)
  end)

  it("gives hand-computed hypervolumes", function()
    assert.are.equal(6, bundle.pareto.hypervolume({{1, 3}, {2, 2}, {3, 1}}, {0, 0}))
    assert.are.equal(1, bundle.pareto.hypervolume({{1, 1, 1}}, {0, 0, 0}))
    assert.are.equal(3, bundle.pareto.hypervolume({{2, 1, 1}, {1, 2, 1}}, {0, 0, 0}))
    assert.are.equal(0, bundle.pareto.hypervolume({{-1, 5}}, {0, 0}))
    assert.are.equal(6, bundle.pareto.hypervolume(T.from{{1, 3}, {2, 2}, {3, 1}, {1, 1}}, {0, 0}))
  end)

  it("agrees with counting unit cells on random integer fronts", function()
    for seed = 1, 20 do
      math.randomseed(100 + seed)
      local d = seed % 2 == 0 and 2 or 3
      local pts = {}
      for i = 1, math.random(1, 12) do
        local p = {}
        for k = 1, d do p[k] = math.random(0, 6) end
        pts[i] = p
      end
      local cells = 0
      for x = 0, 5 do for y = 0, 5 do for z = 0, (d == 3 and 5 or 0) do
        for _, p in ipairs(pts) do
          if p[1] > x and p[2] > y and (d == 2 or p[3] > z) then cells = cells + 1; break end
        end
      end end end
      local ref = d == 2 and {0, 0} or {0, 0, 0}
      assert.are.equal(cells, bundle.pareto.hypervolume(pts, ref), "seed " .. seed)
    end
  end)

  it("rejects malformed points", function()
    assert.truthy(err(function() bundle.pareto.front{{1, 2}, {3}} end):find("point 2 must be a list of 2 scores", 1, true))
    assert.truthy(err(function() bundle.pareto.hypervolume({{1, 2, 3, 4}}, {0, 0, 0, 0}) end):find("exact for 2 or 3 objectives", 1, true))
    assert.truthy(err(function() bundle.pareto.hypervolume({{1, 2}}, {0, 0, 0}) end):find("ref has 3 scores", 1, true))
  end)
end)

describe("multi-objective search", function()
  it("scores vectors, ranks by weights, and gives the exact Pareto front of all scored bundles", function()
    for seed = 1, 12 do
      local data, bk, cat, info = world(200 + seed)
      local pool = {}
      for k, s in ipairs(subsets()) do pool[k] = labels(s) end
      local res = bundle.search{ catalog = cat, baskets = bk, pool = pool, top = 5,
        objectives = { profit = "expected_profit", reach = "support" }, weights = { profit = 1, reach = 10 },
        constraints = { max_price = 30 } }
      for _, b in res:iter() do
        assert.is_true(math.abs(b.score - (b.scores.profit + 10 * b.scores.reach)) < 1e-9)
      end
      local f = res:to_frame()
      assert.are.same({"rank", "items", "size", "score", "profit", "reach"}, f:names())
      local i = 0
      for _, b in res:iter() do
        i = i + 1
        assert.are.equal(b.scores.profit, f:col("profit"):get(i))
        assert.are.equal(b.scores.reach, f:col("reach"):get(i))
      end
      -- brute-force front over every candidate that meets max_price
      local pts = {}
      for _, s in ipairs(subsets()) do
        local price = 0
        for _, i in ipairs(s) do price = price + info[i].price end
        if price <= 30 then
          pts[#pts + 1] = { s = s, p = objectives.expected_profit(data, info, s), r = objectives.support(data, info, s) }
        end
      end
      local want = {}
      for i, a in ipairs(pts) do
        local dominated = false
        for j, b in ipairs(pts) do
          if j ~= i and b.p >= a.p - 1e-12 and b.r >= a.r - 1e-12 and (b.p > a.p + 1e-12 or b.r > a.r + 1e-12) then dominated = true end
        end
        if not dominated then want[("%.9f,%.9f"):format(a.p, a.r)] = true end
      end
      local front = res:pareto{ "profit", "reach" }
      local got = {}
      for _, f in ipairs(front) do
        got[("%.9f,%.9f"):format(f.scores.profit, f.scores.reach)] = true
        assert.is_true(f.crowding >= 0)
      end
      assert.are.same(want, got, "seed " .. seed)
    end
  end)

  it("mixes Lua functions and built-ins, and names mistakes", function()
    local data, bk, cat = world(7)
    local pool = {{"1", "2"}, {"2", "3"}, {"3", "4"}}
    local res = bundle.search{ catalog = cat, baskets = bk, pool = pool,
      objectives = { size = function(b) return b:size() end, lift = "lift" } }
    assert.are.equal(2, res:iter()(res, 0) and 2 or 0)
    assert.truthy(err(function() return res:pareto{ "size", "nope" } end):find("no objective 'nope'", 1, true))
    assert.truthy(err(function() bundle.search{ catalog = cat, baskets = bk, pool = pool, objective = "lift", objectives = { a = "lift" } } end)
      :find("give objective or objectives, not both", 1, true))
    local single = bundle.search{ catalog = cat, baskets = bk, pool = pool, objective = "lift" }
    assert.truthy(err(function() return single:pareto{ "a", "b" } end):find("the search had one objective", 1, true))
  end)
end)
