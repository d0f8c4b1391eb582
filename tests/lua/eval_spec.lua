-- bundle.eval, bundle.features, bundle.recommend, bundle.json: exact
-- values on small hand-made baskets, and behaviour on synthetic ones.
local bundle = require "bundle"
local T = bundle.tensor

local function write(text)
  local path = os.tmpname()
  local f = assert(io.open(path, "w")); f:write(text); f:close()
  return path
end

-- baskets from rows { basket, item, user, day }
local function baskets_of(rows)
  local lines = { "basket,item,user,time,price,qty" }
  for _, r in ipairs(rows) do
    lines[#lines + 1] = ("%s,%s,%s,2011-01-%02d,%s,1"):format(r[1], r[2], r[3] or "u" .. r[1], r[4] or 1, r[5] or 2)
  end
  local path = write(table.concat(lines, "\n") .. "\n")
  local f = bundle.read_csv(path, { types = { item = "str", user = "str", basket = "str" } })
  os.remove(path)
  return bundle.baskets(f, { basket = "basket", item = "item", user = "user", time = "time" }), f
end

local function err(f, ...)
  local ok, e = pcall(f, ...)
  assert.is_false(ok)
  return tostring(e)
end

-- 1:{a,b,c} 2:{a,b} 3:{a} 4:{c,d} 5:{d}
local small = {
  { 1, "a" }, { 1, "b" }, { 1, "c" }, { 2, "a" }, { 2, "b" }, { 3, "a" }, { 4, "c" }, { 4, "d" }, { 5, "d" } }

describe("eval.backtest", function()
  local bk = baskets_of(small)

  it("counts completions, touches, hit rate, attach rate, coverage and diversity exactly", function()
    local r = bundle.eval.backtest({ { "a", "b" }, { "c", "d" } }, bk, { price = { 10, 4 }, cost = { 6, 1 } })
    -- {a,b}: complete in 1,2; touched 1,2,3.  {c,d}: complete in 4; touched 1,4,5
    assert.are.equal(2, r.bundles[1].complete)
    assert.are.equal(3, r.bundles[1].touched)
    assert.are.equal(1, r.bundles[2].complete)
    assert.are.equal(3, r.bundles[2].touched)
    assert.are.equal(3 / 5, r.hit_rate)              -- baskets 1, 2, 4
    assert.are.equal(3 / 6, r.attach_rate)           -- (2 + 1) / (3 + 3)
    assert.near((2 / 3 + 1 / 3) / 2, r.mean_attach_rate, 1e-12)
    assert.are.equal(1, r.coverage)                  -- every basket holds a bundle item
    assert.are.equal(1, r.item_coverage)
    assert.are.equal(1, r.diversity)                 -- disjoint bundles
    assert.are.equal(2 * 10 + 1 * 4, r.revenue)
    assert.are.equal(2 * 4 + 1 * 3, r.margin)
  end)

  it("takes prices from priced records and measures overlap as diversity", function()
    local r = bundle.eval.backtest({ { items = { "a", "b" }, price = 5, cost = 1 }, { items = { "a", "c" }, price = 3, cost = 2 } }, bk)
    assert.are.equal(2 * 5 + 1 * 3, r.revenue)
    assert.near(1 - 1 / 3, r.diversity, 1e-12)       -- Jaccard {a,b} vs {a,c}
  end)

  it("treats items the test baskets never saw as never completing", function()
    local r = bundle.eval.backtest({ { "a", "zz" } }, bk)
    assert.are.equal(0, r.bundles[1].complete)
    assert.are.equal(3, r.bundles[1].touched)
    assert.are.equal(0, r.hit_rate)
  end)

  it("names bad arguments", function()
    assert.truthy(err(bundle.eval.backtest, { {} }, bk):find("bundle 1 has no items", 1, true))
    assert.truthy(err(bundle.eval.backtest, { { "a" } }, "x"):find("test_baskets must be bundle.baskets", 1, true))
    -- a table that prints like Baskets is still not Baskets (regression: the check read tostring)
    local fake = setmetatable({}, { __tostring = function() return "bundle.Baskets (3 baskets)" end })
    assert.truthy(err(bundle.eval.backtest, { { "a" } }, fake):find("test_baskets must be bundle.baskets", 1, true))
    assert.is_true(bundle.is_baskets(bk))
    assert.is_false(bundle.is_baskets(fake))
    assert.truthy(err(bundle.eval.backtest, { { "a" } }, bk, { metrics = { "nope" } }):find("unknown metric 'nope'", 1, true))
    assert.truthy(err(bundle.eval.backtest, { { "a" } }, bk, { price = { 1, 2 } }):find("one per bundle", 1, true))
  end)
end)

describe("eval.rank and eval.topk", function()
  it("gives precision, recall, NDCG and MRR at K", function()
    local m = bundle.eval.rank({ { 3, 1, 2 }, { 5, 6, 7 } }, { { 1, 2 }, { 9 } }, 2)
    -- list 1: hit at rank 2 only -> P 1/2, R 1/2, NDCG (1/log2 3)/(1 + 1/log2 3), MRR 1/2; list 2: nothing
    assert.are.equal(2, m.lists)
    assert.near((0.5 + 0) / 2, m.precision, 1e-12)
    assert.near((0.5 + 0) / 2, m.recall, 1e-12)
    local nd = (1 / math.log(3, 2)) / (1 + 1 / math.log(3, 2))
    assert.near(nd / 2, m.ndcg, 1e-12)
    assert.near(0.25, m.mrr, 1e-12)
    assert.near(0.5, m.hit, 1e-12)
  end)

  it("skips lists with nothing relevant", function()
    local m = bundle.eval.rank({ { 1 }, { 2 } }, { {}, { 2 } }, 1)
    assert.are.equal(1, m.lists)
    assert.are.equal(1, m.recall)
    -- every list empty (fuzz_lua: clang's UBSan saw NULL + 0 in the list reader)
    m = bundle.eval.rank({ { 1 }, { 2 } }, { {}, {} }, 1)
    assert.are.equal(0, m.lists)
  end)

  it("ranks columns per row, best first, skipping excluded ones", function()
    local S = T.from{ { 0.1, 0.9, 0.5, 0.7 }, { 3, 2, 1, 0 } }
    local top = bundle.eval.topk(S, 2, { { 2 }, {} }):totable()
    assert.are.same({ { 4, 3 }, { 1, 2 } }, top)
    assert.truthy(err(bundle.eval.topk, S, 9):find("k must be between 1", 1, true))
  end)
end)

describe("eval.bandit", function()
  -- 400 baskets over time; {x,y} completes in 1 of 2, {p,q} in 1 of 10
  local rows = {}
  for k = 1, 400 do
    rows[#rows + 1] = { k, "x", nil, 1 + k % 28 }
    if k % 2 == 0 then rows[#rows + 1] = { k, "y", nil, 1 + k % 28 } end
    rows[#rows + 1] = { k, "p", nil, 1 + k % 28 }
    if k % 10 == 0 then rows[#rows + 1] = { k, "q", nil, 1 + k % 28 } end
  end
  local bk = baskets_of(rows)
  local arms = { { items = { "p", "q" } }, { items = { "x", "y" } } }

  it("learns to offer the better bundle and beats the static plan", function()
    for _, policy in ipairs{ "thompson", "ucb" } do
      local r = bundle.eval.bandit{ arms = arms, baskets = bk, policy = policy, rounds = 1, seed = 3 }
      assert.is_true(r.reward > r.static_reward, policy)
      assert.are.equal(200, r.best_fixed_reward)     -- {x,y} completes in 200 baskets
      assert.are.same({ "x", "y" }, r.best_fixed)
      local best
      for _, a in ipairs(r.arms) do if a.items[1] == "x" then best = a end end
      assert.is_true(best.offers > 300, policy)
    end
  end)

  it("is reproducible for a seed, retires and promotes between rounds", function()
    local promoted = 0
    local function run()
      return bundle.eval.bandit{ arms = arms, baskets = bk, rounds = 3, seed = 7, retire = 0.5,
        promote = function(round, n) promoted = promoted + n; return { { items = { "x", "p" } } } end }
    end
    local a, b = run(), run()
    assert.are.equal(a.reward, b.reward)
    assert.are.same({ "p", "q" }, a.rounds[1].retired[1])
    assert.are.same({ "x", "p" }, a.rounds[1].promoted[1])
    assert.is_true(promoted >= 2)
    assert.truthy(err(bundle.eval.bandit, { arms = arms, baskets = bk, policy = "greedy" }):find("thompson", 1, true))
  end)
end)

describe("features", function()
  it("computes confidence, pair lifts and customer overlap for bundles", function()
    -- users: u1 buys a,b in one basket; u2 buys a then b in two baskets; u3 buys a
    local bk = baskets_of{ { 1, "a", "u1" }, { 1, "b", "u1" }, { 2, "a", "u2" }, { 3, "b", "u2" }, { 4, "a", "u3" } }
    local items = bundle.read_csv(write("item,price\na,2\nb,3\n"))
    local cat = bundle.catalog(items, { item = "item", price = "price", margin = 0.5 })
    local X = bundle.features.bundles({ { "a", "b" } }, { catalog = cat, baskets = bk }):totable()[1]
    local at = {}
    for i, n in ipairs(bundle.features.names) do at[n] = X[i] end
    assert.are.equal(2, at.size)
    assert.are.equal(1 / 4, at.support)
    assert.are.equal(1 / 2, at.confidence)           -- count(ab)=1 over count(b)=2 (best of 1/3, 1/2)
    assert.near(2 / 3, at.customer_overlap, 1e-12)   -- u1, u2 bought both; u1, u2, u3 bought one
    assert.are.equal(5, at.price)
    assert.near(at.log_min_pair_lift, at.log_mean_pair_lift, 1e-12) -- one pair
  end)

  it("computes recency, frequency, monetary value and category affinity per customer", function()
    local path = write("order,user,day,amount,cat\n1,u1,2011-01-01,10,toys\n1,u1,2011-01-01,5,food\n" ..
                       "2,u1,2011-01-11,5,toys\n3,u2,2011-01-21,7,food\n")
    local f = bundle.read_csv(path, { types = { user = "str", order = "str" } })
    local c = bundle.features.customers(f, { user = "user", time = "day", basket = "order", amount = "amount",
                                             category = "cat", now = "2011-01-31" })
    local row = {}
    for i, u in ipairs(c:col("user"):totable()) do row[u] = i end
    local get = function(col, u) return c:col(col):totable()[row[u]] end
    assert.are.equal(2, get("frequency", "u1"))
    assert.are.equal(20, get("monetary", "u1"))
    assert.near(20, get("recency_days", "u1"), 1e-9)
    assert.near(10, get("recency_days", "u2"), 1e-9)
    assert.near(2 / 3, get("affinity_toys", "u1"), 1e-12)
    assert.near(1, get("affinity_food", "u2"), 1e-12)
    assert.truthy(err(bundle.features.customers, f, { user = "who", time = "day", basket = "order" })
                  :find("no column 'who'", 1, true))
  end)
end)

describe("ALS and recommend", function()
  -- two groups of users with disjoint tastes: group A buys a1..a4, group B b1..b4
  local rows = {}
  local b = 0
  for u = 1, 40 do
    local g = u <= 20 and "a" or "b"
    for rep = 1, 3 do
      b = b + 1
      for i = 1, 4 do
        if (u + rep + i) % 4 ~= 0 then rows[#rows + 1] = { b, g .. i, "user" .. u, 1 + rep } end
      end
    end
  end
  local bk = baskets_of(rows)

  it("factors an implicit matrix so that each user's own items score highest", function()
    local r, c = {}, {}
    for u = 1, 6 do for i = 1, 3 do r[#r + 1] = u; c[#c + 1] = (u <= 3) and i or i + 3 end end
    local U, V, loss = bundle.als(T.from(r), T.from(c), { factors = 4, l2 = 0.1, iterations = 8, seed = 2 })
    assert.are.same({ 6, 4 }, U:shape())
    assert.are.same({ 6, 4 }, V:shape())
    local S = U:matmul(V:t()):totable()
    for u = 1, 6 do
      local own, other = 0, 0
      for i = 1, 6 do if (u <= 3) == (i <= 3) then own = own + S[u][i] else other = other + S[u][i] end end
      assert.is_true(own / 3 > 0.5 and other / 3 < 0.2)
    end
    for i = 2, #loss do assert.is_true(loss[i] <= loss[i - 1] * (1 + 1e-9)) end -- ALS never raises its loss
    assert.truthy(err(bundle.als, T.from{ 1 }, T.from{ 0 }):find("ids must be integers >= 1", 1, true))
  end)

  it("recommends bundles from the customer's own group first", function()
    local rec = bundle.recommend.fit(bk, { bundles = { { "b1", "b2" }, { "a1", "a2" }, { "a3", "b3" } }, factors = 4,
                                          seed = 1 })
    local ra = bundle.recommend(rec, "user3", { k = 3, exclude_bought = false })
    assert.are.same({ "a1", "a2" }, ra[1].items)
    local rb = bundle.recommend(rec, "user30", { k = 3, exclude_bought = false })
    assert.are.same({ "b1", "b2" }, rb[1].items)
    local cold = bundle.recommend(rec, "nobody", { k = 2 })
    assert.is_true(cold[1].cold_start)
    assert.truthy(err(bundle.recommend, {}, "user1"):find("expects a recommender", 1, true))
  end)
end)

describe("json", function()
  it("encodes with sorted keys, escapes, arrays and null for non-finite numbers", function()
    assert.are.equal('{"a":[1,2.5,null],"b":"x\\"y\\n","c":{}}',
                     bundle.json.encode{ b = 'x"y\n', a = { 1, 2.5, 0 / 0 }, c = setmetatable({}, {}) }:gsub("%[%]", "{}"))
    local t = {}; t.self = t
    assert.truthy(err(bundle.json.encode, t):find("refers to itself", 1, true))
  end)
end)

describe("eval.baselines", function()
  -- the rules' own ranking (both rules of every pair, sorted by the measure, then count), the way the lists
  -- were made before they came from the co-occurrence frame: the oracle the fast path must match
  local function by_rules(bk, k, min_count, by, keep)
    local out, seen = {}, {}
    for _, r in bk:rules{ min_count = min_count, max_size = 2, min_confidence = 1e-9, by = by }:iter() do
      local x, y = r.lhs[1], r.rhs[1]
      if x > y then x, y = y, x end
      if not seen[x .. "\0" .. y] and keep(x, y) then
        seen[x .. "\0" .. y] = true
        out[#out + 1] = x .. "+" .. y
        if #out == k then break end
      end
    end
    return out
  end
  local function names(list)
    local out = {}
    for i, p in ipairs(list) do out[i] = table.concat(p.items, "+") end
    return out
  end

  it("ranks hand-made pairs by count, lift and confidence", function()
    -- 1:{a,b,c} 2:{a,b} 3:{a,b} 4:{c,d} 5:{c,d} 6:{a} 7:{e,f}
    local bk = baskets_of{ { 1, "a" }, { 1, "b" }, { 1, "c" }, { 2, "a" }, { 2, "b" }, { 3, "a" }, { 3, "b" },
                           { 4, "c" }, { 4, "d" }, { 5, "c" }, { 5, "d" }, { 6, "a" }, { 7, "e" }, { 7, "f" } }
    local b = bundle.eval.baselines(bk, { k = 3, min_count = 1 })
    -- counts: a+b 3, c+d 2, then a+c, b+c, e+f 1 each in the frame's order
    assert.are.equal("a+b", names(b.popular_pairs)[1])
    assert.are.equal("c+d", names(b.popular_pairs)[2])
    -- lift: e+f 7 (each in one basket of 7), c+d 7 * 2 / (3 * 2) = 2.33, a+b 7 * 3 / (4 * 3) = 1.75
    assert.are.same({ "e+f", "c+d", "a+b" }, names(b.top_lift))
    -- confidence (the better direction): c+d 2/2, e+f 1/1, a+b 3/3: ties by count (a+b 3, c+d 2, e+f 1)
    assert.are.same({ "a+b", "c+d", "e+f" }, names(b.top_confidence))
    assert.are.same({ "a+b" }, names(b.one_bundle))
    -- keep filters every list
    local nob = bundle.eval.baselines(bk, { k = 2, min_count = 1, keep = function(x, y) return x ~= "a" and y ~= "a" end })
    assert.are.same({ "c+d", "b+c" }, names(nob.popular_pairs))
    assert.are.same({ "e+f", "c+d" }, names(nob.top_lift))
  end)

  it("gives the rules' own ranking on random baskets", function()
    local rows, state = {}, 7
    local function rand(m) state = state * 48271 % 2147483647; return state % m end
    for bkt = 1, 400 do
      local size = 1 + rand(5)
      for _ = 1, size do rows[#rows + 1] = { bkt, "i" .. (rand(12) + rand(12)) } end
    end
    local seen, uniq = {}, {}
    for _, r in ipairs(rows) do
      local key = r[1] .. "/" .. r[2]
      if not seen[key] then seen[key] = true; uniq[#uniq + 1] = r end
    end
    local bk = baskets_of(uniq)
    local keep = function(x, y) return x ~= "i3" end
    for _, min_count in ipairs{ 1, 3, 8 } do
      local b = bundle.eval.baselines(bk, { k = 15, min_count = min_count, keep = keep })
      assert.are.same(by_rules(bk, 15, min_count, "lift", keep), names(b.top_lift))
      assert.are.same(by_rules(bk, 15, min_count, "confidence", keep), names(b.top_confidence))
    end
  end)
end)
