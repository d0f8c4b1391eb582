-- Rules operations (sort, head, filter, lhs_has, rhs_has, prune_redundant,
-- match) against brute force over the rule tables on random small data,
-- and the printed form of Rules, Itemsets, Baskets, Catalog and
-- SearchResult on hand-checkable values.
local bundle = require "bundle"

local NITEMS = 7

local function random_baskets(seed)
  math.randomseed(seed)
  local path = os.tmpname()
  local fh = assert(io.open(path, "w"))
  for _ = 1, math.random(20, 50) do
    local b, line = {}, {}
    for _ = 1, math.random(1, 5) do b[math.random(1, NITEMS)] = true end
    if math.random() < 0.4 then b[1] = true; b[2] = true end
    for i = 1, NITEMS do if b[i] then line[#line + 1] = tostring(i) end end
    fh:write(table.concat(line, " "), "\n")
  end
  fh:close()
  local bk = bundle.read_baskets(path)
  os.remove(path)
  return bk
end

local function rows(rules)
  local out = {}
  for _, r in rules:iter() do out[#out + 1] = r end
  return out
end

local function key(r) return table.concat(r.lhs, ",") .. "=>" .. table.concat(r.rhs, ",") end
local function keys(list)
  local out = {}
  for i, r in ipairs(list) do out[i] = key(r) end
  return out
end

local function set(list)
  local s = {}
  for _, x in ipairs(list) do s[x] = true end
  return s
end

local function subset(a, b) -- a proper subset of b (label lists)
  if #a >= #b then return false end
  local sb = set(b)
  for _, x in ipairs(a) do if not sb[x] then return false end end
  return true
end

describe("Rules operations", function()
  it("sort by every measure, both ways, stably, like a sort of the rows", function()
    for seed = 1, 8 do
      local rules = random_baskets(seed):rules{ min_count = 2, min_confidence = 0.1 }
      local all = rows(rules)
      for _, by in ipairs{ "lift", "confidence", "support", "count", "leverage", "conviction" } do
        for _, dec in ipairs{ true, false } do
          local want = {}
          for i, r in ipairs(all) do want[i] = { r = r, i = i } end
          table.sort(want, function(x, y)
            local a, b = x.r[by], y.r[by]
            if a ~= b then if dec then return a > b else return a < b end end
            return x.i < y.i
          end)
          for i, w in ipairs(want) do want[i] = w.r end
          local got = rules:sort{ by = by, decreasing = dec }
          assert.are.same(keys(want), keys(rows(got)), by .. " seed " .. seed)
        end
      end
    end
  end)

  it("head, filter, lhs_has and rhs_has keep the rules a loop over the rows keeps", function()
    for seed = 11, 18 do
      local rules = random_baskets(seed):rules{ min_count = 2, min_confidence = 0.1 }
      local all = rows(rules)
      local h = {}
      for i = 1, math.min(3, #all) do h[i] = all[i] end
      assert.are.same(keys(h), keys(rows(rules:head(3))))
      local strong = {}
      for _, r in ipairs(all) do if r.lift > 1 then strong[#strong + 1] = r end end
      assert.are.same(keys(strong), keys(rows(rules:filter(function(r) return r.lift > 1 end))))
      local q = { "1", "3" }
      for _, side in ipairs{ "lhs", "rhs" } do
        for _, all_of in ipairs{ false, true } do
          local want = {}
          for _, r in ipairs(all) do
            local s, hits = set(r[side]), 0
            for _, x in ipairs(q) do if s[x] then hits = hits + 1 end end
            if (all_of and hits == #q) or (not all_of and hits > 0) then want[#want + 1] = r end
          end
          local got = rules[side .. "_has"](rules, q, { all = all_of })
          assert.are.same(keys(want), keys(rows(got)), side .. " seed " .. seed)
        end
      end
    end
  end)

  it("prune_redundant drops a rule when a more general one with its rhs is as confident", function()
    for seed = 21, 28 do
      local rules = random_baskets(seed):rules{ min_count = 1, min_confidence = 0.05 }
      local all = rows(rules)
      local want = {}
      for _, r in ipairs(all) do
        local redundant = false
        for _, g in ipairs(all) do
          if key{ lhs = {}, rhs = g.rhs } == key{ lhs = {}, rhs = r.rhs } and subset(g.lhs, r.lhs)
             and g.confidence >= r.confidence then redundant = true end
        end
        if not redundant then want[#want + 1] = r end
      end
      assert.is_true(#want < #all, "seed " .. seed .. " has something to prune")
      assert.are.same(keys(want), keys(rows(rules:prune_redundant())))
    end
  end)

  it("chain: results are Rules, match among them", function()
    local rules = random_baskets(31):rules{ min_count = 2, min_confidence = 0.1 }
    local m = rules:sort{ by = "confidence" }:head(5):match{ "1", "2", "3" }
    assert.is_true(getmetatable(m) == getmetatable(rules))
    for i, r in m:iter() do assert.are.same(r, m[i]) end
    assert.is_nil(m[#m + 1])
    assert.are.equal(#m, #rows(m))
  end)

  it("checks its options", function()
    local rules = random_baskets(41):rules{ min_count = 2 }
    assert.has_error(function() rules:sort{ by = "lfit" } end)
    assert.has_error(function() rules:sort{ bye = "lift" } end, "sort: unknown option 'bye'")
    assert.has_error(function() rules:lhs_has({ "1" }, { every = true }) end)
  end)
end)

describe("printing", function()
  local function fixture()
    local tmp = os.tmpname()
    local fh = assert(io.open(tmp, "w"))
    fh:write("basket,item,price\n1,salt,2\n1,oil,3\n2,salt,2\n2,oil,3\n3,pepper,5\n3,salt,2\n4,salt,1\n4,oil,1\n4,pepper,1\n")
    fh:close()
    local lines = bundle.read_csv(tmp)
    os.remove(tmp)
    return lines, bundle.baskets(lines, { basket = "basket", item = "item" })
  end

  it("shows rules like arules' inspect: labels and the main measures", function()
    local _, bk = fixture()
    local text = tostring(bk:rules{ min_count = 3, min_confidence = 0.5 })
    -- oil is in 3 baskets, all with salt: confidence 1, support 3/4, lift 1
    assert.are.equal("bundle.Rules: 2 rules over 4 baskets\n"
      .. "{oil} => {salt}  support 0.75  confidence 1  lift 1  count 3\n"
      .. "{salt} => {oil}  support 0.75  confidence 0.75  lift 1  count 3", text)
  end)

  it("shows itemsets, baskets, a catalogue and a search result", function()
    local lines, bk = fixture()
    assert.are.equal("bundle.Itemsets: 2 itemsets over 4 baskets\n{salt}  support 1  count 4\n"
      .. "{oil}  support 0.75  count 3", tostring(bk:frequent{ min_count = 3, max_size = 1 }))
    assert.matches("^bundle.Baskets: 4 baskets, 3 items, 2.25 items a basket\n%[1%] {", tostring(bk))
    local cat = bundle.catalog(lines:group_by("item"):agg{ price = { "mean", "price" } },
                               { item = "item", price = "price", margin = 0.5 })
    assert.matches("^bundle.Catalog: 3 items\n", tostring(cat))
    assert.matches("\noil  price 2.33  cost 1.17", tostring(cat))
    local res = bundle.search{ catalog = cat, baskets = bk, pool = { { "salt", "oil" } }, size = { 2, 2 }, top = 1,
                               objective = "support" }
    assert.are.equal("bundle.SearchResult: 1 bundles\n1. {salt, oil}  score 0.75", tostring(res))
    assert.are.equal(1, res:size())
  end)

  it("shows item names where the baskets and the catalogue have them (name options)", function()
    local tmp = os.tmpname()
    local fh = assert(io.open(tmp, "w"))
    fh:write('basket,item,price,desc\n1,S1,2,"salt, fine"\n1,O2,3,olive oil\n2,S1,2,"salt, fine"\n2,O2,3,olive oil\n'
             .. '3,P3,5,\n3,S1,2,"salt, fine"\n4,S1,1,"salt, fine"\n4,O2,1,olive oil\n4,P3,1,\n')
    fh:close()
    local lines = bundle.read_csv(tmp)
    os.remove(tmp)
    local bk = bundle.baskets(lines, { basket = "basket", item = "item", name = "desc" })
    -- P3 has no description: its code stands in
    assert.are.equal("bundle.Rules: 2 rules over 4 baskets\n"
      .. '{olive oil} => {"salt, fine"}  support 0.75  confidence 1  lift 1  count 3\n'
      .. '{"salt, fine"} => {olive oil}  support 0.75  confidence 0.75  lift 1  count 3',
      tostring(bk:rules{ min_count = 3, min_confidence = 0.5 }))
    assert.truthy(tostring(bk:frequent{ min_count = 1, max_size = 3 }):find("{\"salt, fine\", olive oil, P3}", 1, true))
    assert.truthy(tostring(bk):find('[3] {"salt, fine", P3}', 1, true), tostring(bk))
    -- filtered baskets keep them
    assert.are.equal('bundle.Baskets: 2 baskets, 3 items, 2.5 items a basket\n[1] {"salt, fine", P3}\n'
      .. '[2] {"salt, fine", olive oil, P3}', tostring(bk:filter(bundle.tensor.from{ 0, 0, 1, 1 })))
    local cat = bundle.catalog(lines:group_by("item"):agg{ price = { "mean", "price" }, desc = { "first", "desc" } },
                               { item = "item", price = "price", margin = 0.5, name = "desc" })
    assert.truthy(tostring(cat):find('\nO2  olive oil  price 2.33  cost 1.17', 1, true), tostring(cat))
    local res = bundle.search{ catalog = cat, baskets = bk, pool = { { "S1", "O2" } }, size = { 2, 2 }, top = 1,
                               objective = "support" }
    assert.are.equal('bundle.SearchResult: 1 bundles\n1. {salt, fine, olive oil}  score 0.75', tostring(res))
    local rec = select(2, res:iter()(res, 0))
    assert.are.same({ "S1", "O2" }, rec.items)
    assert.are.same({ "salt, fine", "olive oil" }, rec.names)
    assert.has_error(function() bundle.catalog(lines:group_by("item"):agg{ price = { "mean", "price" } },
                                               { item = "item", price = "price", margin = 0.5, name = "nope" }) end,
                     "catalog: no column 'nope' for name")
  end)

  it("stops at 10 rows and says how many more", function()
    local path = os.tmpname()
    local fh = assert(io.open(path, "w"))
    for i = 1, 25 do fh:write(i, " ", i + 100, "\n") end
    fh:close()
    local bk = bundle.read_baskets(path)
    os.remove(path)
    local text = tostring(bk)
    assert.matches("\n… 15 more$", text)
    local _, lines = text:gsub("\n", "")
    assert.are.equal(11, lines)
  end)
end)
