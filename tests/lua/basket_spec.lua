-- Baskets, frequent itemsets and rules, checked against a brute-force
-- enumerator on many random small datasets (every subset of 8 items is
-- counted directly), plus hand cases and the bad-input errors.
local bundle = require "bundle"

local NITEMS = 8

-- A random dataset: a list of baskets, each a set of item numbers 1..8.
local function random_baskets(seed)
  math.randomseed(seed)
  local n = math.random(20, 60)
  local data = {}
  for k = 1, n do
    local b = {}
    local size = math.random(0, 6)
    for _ = 1, size do b[math.random(1, NITEMS)] = true end
    -- skew: item 1 and 2 often together, so there are real patterns
    if math.random() < 0.4 then b[1] = true; b[2] = true end
    data[k] = b
  end
  return data
end

local function write_fimi(data)
  local path = os.tmpname()
  local fh = assert(io.open(path, "w"))
  for _, b in ipairs(data) do
    local line = {}
    for i = 1, NITEMS do if b[i] then line[#line + 1] = tostring(i) end end
    fh:write(table.concat(line, " "), "\n")
  end
  fh:close()
  return path
end

-- Every non-empty subset of 1..8 as a sorted list, with its count.
local function brute_counts(data, weights)
  local out = {}
  for mask = 1, (1 << NITEMS) - 1 do
    local items = {}
    for i = 1, NITEMS do if mask & (1 << (i - 1)) ~= 0 then items[#items + 1] = i end end
    local c, w = 0, 0
    for k, b in ipairs(data) do
      local all = true
      for _, i in ipairs(items) do if not b[i] then all = false; break end end
      if all then c = c + 1; w = w + (weights and weights[k] or 0) end
    end
    out[mask] = {items = items, count = c, weight = w, mask = mask}
  end
  return out
end

-- Baskets object for a dataset, through a FIMI file.
local function baskets_of(data)
  local path = write_fimi(data)
  local bk = bundle.read_baskets(path)
  os.remove(path)
  return bk
end

local function key(items)
  local t = {}
  for i, v in ipairs(items) do t[i] = tostring(v) end
  table.sort(t)
  return table.concat(t, ",")
end

local function mined(sets)
  local got = {}
  for _, s in sets:iter() do got[key(s.items)] = s end
  return got
end

local function count_keys(t) local n = 0; for _ in pairs(t) do n = n + 1 end; return n end

describe("frequent itemsets against brute force", function()
  it("match exactly on 40 random datasets, sizes and thresholds", function()
    for seed = 1, 40 do
      local data = random_baskets(seed)
      local bk = baskets_of(data)
      local n = #data
      local support = ({0.05, 0.1, 0.2, 0.3})[seed % 4 + 1]
      local max_size = ({0, 2, 3})[seed % 3 + 1]
      local minc = math.ceil(support * n - 1e-12)
      while minc < support * n do minc = minc + 1 end
      local brute = brute_counts(data)
      local expect = {}
      for _, e in pairs(brute) do
        if e.count >= support * n and e.count > 0 and (max_size == 0 or #e.items <= max_size) then
          expect[key(e.items)] = e.count
        end
      end
      local got = mined(bk:frequent{ min_support = support, max_size = max_size > 0 and max_size or nil })
      assert.are.equal(count_keys(expect), count_keys(got), "seed " .. seed)
      for k, c in pairs(expect) do
        assert.is_not_nil(got[k], "seed " .. seed .. " missing " .. k)
        assert.are.equal(c, got[k].count, "seed " .. seed .. " " .. k)
        assert.are.equal(c / n, got[k].support)
      end
    end
  end)

  it("give closed and maximal sets exactly", function()
    for seed = 41, 60 do
      local data = random_baskets(seed)
      local bk = baskets_of(data)
      local minc = 3
      local brute = brute_counts(data)
      local closed, maximal = {}, {}
      for mask, e in pairs(brute) do
        if e.count >= minc then
          local is_closed, is_max = true, true
          for i = 1, NITEMS do
            local bit = 1 << (i - 1)
            if mask & bit == 0 then
              local sup = brute[mask | bit].count
              if sup == e.count then is_closed = false end
              if sup >= minc then is_max = false end
            end
          end
          if is_closed then closed[key(e.items)] = e.count end
          if is_max then maximal[key(e.items)] = e.count end
        end
      end
      local gc = mined(bk:frequent{ min_count = minc, closed = true })
      local gm = mined(bk:frequent{ min_count = minc, maximal = true })
      assert.are.equal(count_keys(closed), count_keys(gc), "closed, seed " .. seed)
      for k, c in pairs(closed) do assert.are.equal(c, gc[k] and gc[k].count, "closed " .. k) end
      assert.are.equal(count_keys(maximal), count_keys(gm), "maximal, seed " .. seed)
      for k, c in pairs(maximal) do assert.are.equal(c, gm[k] and gm[k].count, "maximal " .. k) end
    end
  end)

  it("keep the top k counts, honour min_size, include, exclude and weights", function()
    for seed = 61, 80 do
      local data = random_baskets(seed)
      local bk = baskets_of(data)
      local weights = {}
      for k = 1, #data do weights[k] = (k % 5) + 0.5 end
      local brute = brute_counts(data, weights)
      -- top 10: the 10 best counts among all frequent itemsets
      local counts = {}
      for _, e in pairs(brute) do if e.count >= 2 then counts[#counts + 1] = e.count end end
      table.sort(counts, function(a, b) return a > b end)
      local top = bk:frequent{ min_count = 2, top = 10 }
      local got = {}
      for _, s in top:iter() do got[#got + 1] = s.count end
      assert.are.same({table.unpack(counts, 1, math.min(10, #counts))}, got, "top, seed " .. seed)
      -- min_size 2, exclude item 3, include item 1, weights
      local sets = mined(bk:frequent{ min_count = 2, min_size = 2, exclude = {"3"}, include = {"1"},
                                      weights = bundle.tensor.from(weights) })
      local expect = 0
      for mask, e in pairs(brute) do
        local ok = e.count >= 2 and #e.items >= 2 and mask & 1 ~= 0 and mask & 4 == 0
        if ok then
          expect = expect + 1
          local s = sets[key(e.items)]
          assert.is_not_nil(s, "seed " .. seed .. " missing " .. key(e.items))
          assert.are.equal(e.count, s.count)
          assert.is_true(math.abs(e.weight - s.weight) < 1e-9)
        end
      end
      assert.are.equal(expect, count_keys(sets), "include/exclude, seed " .. seed)
      -- per-item weights: the weight is the count times the items' weight sum
      local iw = {}
      for i = 1, NITEMS do iw[tostring(i)] = i * 0.25 end
      for _, s in bk:frequent{ min_count = 2, item_weights = iw }:iter() do
        local per = 0
        for _, lab in ipairs(s.items) do per = per + iw[lab] end
        assert.is_true(math.abs(s.weight - s.count * per) < 1e-9, "item weights, seed " .. seed)
      end
    end
  end)
end)

-- Brute-force measures from counts, written out independently of the C.
-- P(K >= nxy) for K hypergeometric (n baskets, ny with Y, nx drawn), summed
-- term by term from log-factorials (the C uses lgamma and a term ratio).
local function hyper_tail(n, nx, ny, nxy)
  local function logfact(m) local s = 0; for i = 2, m do s = s + math.log(i) end; return s end
  local function lc(a, b) return logfact(a) - logfact(b) - logfact(a - b) end
  local p = 0
  for k = nxy, math.min(nx, ny) do
    if nx - k <= n - ny then p = p + math.exp(lc(ny, k) + lc(n - ny, nx - k) - lc(n, nx)) end
  end
  return math.min(p, 1)
end

describe("rules against brute force", function()
  it("give every rule and every measure on 30 random datasets", function()
    for seed = 101, 130 do
      local data = random_baskets(seed)
      local bk = baskets_of(data)
      local n = #data
      local brute = brute_counts(data)
      local rules = bk:rules{ min_count = 3, min_confidence = 1e-9 }
      local got = {}
      for _, r in rules:iter() do got[key(r.lhs) .. "=>" .. key(r.rhs)] = r end
      local expect = 0
      for mask, z in pairs(brute) do
        if z.count >= 3 and #z.items >= 2 then
          for _, y in ipairs(z.items) do
            local ybit = 1 << (y - 1)
            local nx, ny, nxy = brute[mask & ~ybit].count, brute[ybit].count, z.count
            local lhs = brute[mask & ~ybit].items
            local r = got[key(lhs) .. "=>" .. tostring(y)]
            expect = expect + 1
            assert.is_not_nil(r, "seed " .. seed .. " missing rule")
            local conf = nxy / nx
            local a, b, c, d = nxy, nx - nxy, ny - nxy, n - nx - ny + nxy
            local den = (a + b) * (c + d) * (a + c) * (b + d)
            local want = {
              support = nxy / n, count = nxy, coverage = nx / n, confidence = conf,
              lift = conf / (ny / n), leverage = nxy / n - (nx / n) * (ny / n),
              conviction = conf >= 1 and math.huge or (1 - ny / n) / (1 - conf),
              jaccard = nxy / (nx + ny - nxy), cosine = nxy / math.sqrt(nx * ny),
              kulczynski = (nxy / nx + nxy / ny) / 2, all_confidence = nxy / math.max(nx, ny),
              chi_squared = den > 0 and n * (a * d - b * c) ^ 2 / den or 0,
              fisher_p = hyper_tail(n, nx, ny, nxy),
            }
            for name, v in pairs(want) do
              local g = r[name]
              assert.is_true(g == v or math.abs(g - v) <= 1e-9 * math.max(1, math.abs(v)),
                ("seed %d %s: %s = %s, want %s"):format(seed, key(lhs) .. "=>" .. y, name, g, v))
            end
          end
        end
      end
      assert.are.equal(expect, #rules, "seed " .. seed)
    end
  end)

  it("rank by the chosen measure, keep the top and filter by confidence and lift", function()
    local data = random_baskets(7)
    local bk = baskets_of(data)
    local all = bk:rules{ min_count = 2, min_confidence = 0.3, by = "confidence" }
    local prev = math.huge
    for _, r in all:iter() do
      assert.is_true(r.confidence <= prev + 1e-15); prev = r.confidence
      assert.is_true(r.confidence >= 0.3)
    end
    local top = bk:rules{ min_count = 2, min_confidence = 0.3, by = "confidence", top = 3 }
    assert.are.equal(math.min(3, #all), #top)
    for _, r in bk:rules{ min_count = 2, min_confidence = 0.1, min_lift = 1.2 }:iter() do assert.is_true(r.lift >= 1.2) end
  end)

  it("match rules whose antecedent a basket holds, best first", function()
    for seed = 201, 210 do
      local data = random_baskets(seed)
      local bk = baskets_of(data)
      local rules = bk:rules{ min_count = 2, min_confidence = 0.2 }
      local basket = {"1", "3", "5", "6"}
      local inb = {["1"] = true, ["3"] = true, ["5"] = true, ["6"] = true}
      local want = {}
      for i, r in rules:iter() do
        local ok = true
        for _, x in ipairs(r.lhs) do if not inb[x] then ok = false end end
        if ok and not inb[r.rhs[1]] then want[#want + 1] = i end
      end
      local got = rules:match(basket)
      assert.are.equal(#want, #got, "seed " .. seed)
      for j, i in ipairs(want) do
        local r = rules:get(i)
        assert.are.same(r.lhs, got[j].lhs)
        assert.are.same(r.rhs, got[j].rhs)
      end
    end
  end)
end)

describe("the support threshold", function()
  it("is count >= min_support x n with no rounding (regression: 0.05 x 40 is 2)", function()
    local data = {}
    for k = 1, 40 do data[k] = (k <= 2) and {[1] = true, [2] = true} or {[3] = true} end
    local bk = baskets_of(data)
    assert.is_not_nil(mined(bk:frequent{ min_support = 0.05 })["1,2"])      -- count 2 >= 2
    assert.is_nil(mined(bk:frequent{ min_support = 0.0501 })["1,2"])       -- 2 < 2.004
  end)
end)

describe("baskets", function()
  it("read FIMI files and build from frames alike", function()
    local path = write_fimi({{[1] = true, [2] = true}, {[2] = true}, {}, {[3] = true, [1] = true}})
    local bk = bundle.read_baskets(path)
    assert.are.equal(4, bk:size()); assert.are.equal(3, bk:nitems()); assert.are.equal(4, #bk)
    assert.are.same({"1", "2"}, bk:items(1))
    assert.are.same({}, bk:items(3))
    os.remove(path)
    local csv = os.tmpname()
    local fh = io.open(csv, "w")
    fh:write("order,sku,qty,price,when,who\n")
    fh:write("A,x,2,1.5,2011-01-01,u1\nA,y,1,3,2011-01-01,u1\nA,x,1,1.5,2011-01-01,u1\n")
    fh:write("B,y,4,3,2011-02-01,u2\nC,z,1,10,2011-03-01,\n")
    fh:close()
    local f = bundle.read_csv(csv)
    os.remove(csv)
    local b2 = bundle.baskets(f, { basket = "order", item = "sku", quantity = "qty", price = "price", time = "when", user = "who" })
    assert.are.equal(3, b2:size())
    assert.are.same({"x", "y"}, b2:items(1)) -- repeated x counted once
    local sup = b2:item_support()
    assert.are.same({"x", "y", "z"}, sup:col("item"):totable())
    assert.are.same({1, 2, 1}, sup:col("count"):totable())
    local before, after = b2:split_by_time("2011-02-01")
    assert.are.equal(1, before:size()); assert.are.equal(2, after:size())
    local w = b2:frequent{ min_count = 1, weights = "revenue" }
    local byk = mined(w)
    assert.are.equal(7.5, byk["x"].weight) -- basket A: 2*1.5 + 3 + 1.5
    assert.are.equal(19.5, byk["y"].weight) -- A 7.5 + B 12
    -- per-item weights (unit margins): x 0.5, y 1 -> {x,y} is in basket A only: 1.5
    local iw = mined(b2:frequent{ min_count = 1, item_weights = { x = 0.5, y = 1 } })
    assert.are.equal(1.5, iw["x,y"].weight)
    assert.are.equal(2, iw["y"].weight) -- two baskets hold y
    assert.are.equal(0, iw["z"].weight)
    local kept = b2:filter(bundle.tensor.from{1, 0, 1}) -- baskets A and C
    assert.are.equal(2, kept:size())
    assert.are.same({"z"}, kept:items(2))
  end)

  it("count co-occurring pairs exactly", function()
    for seed = 301, 310 do
      local data = random_baskets(seed)
      local bk = baskets_of(data)
      local co = bk:cooccurrence{ min_count = 2 }
      local brute = brute_counts(data)
      local want = 0
      for mask, e in pairs(brute) do if #e.items == 2 and e.count >= 2 then want = want + 1 end end
      assert.are.equal(want, co:nrows(), "seed " .. seed)
      local a, b, c = co:col("a"), co:col("b"), co:col("count")
      for i = 1, co:nrows() do
        local mask = (1 << (tonumber(a:get(i)) - 1)) | (1 << (tonumber(b:get(i)) - 1))
        assert.are.equal(brute[mask].count, c:get(i))
      end
    end
  end)

  it("say clearly what is wrong with bad input", function()
    local function err(fn) local ok, e = pcall(fn); assert.is_false(ok); return (tostring(e):gsub("^[^:]*:%d+: ", "", 1)) end
    local empty = os.tmpname()
    assert.are.equal(empty .. ": no items (the file is empty)", err(function() return bundle.read_baskets(empty) end))
    local bad = os.tmpname()
    local fh = io.open(bad, "w"); fh:write("1 2 3\n4 five 6\n"); fh:close()
    assert.are.equal(bad .. ":2: item 'five' is not an integer",
                     err(function() return bundle.read_baskets(bad, { items = "integers" }) end))
    assert.are.same({ "4", "five", "6" }, bundle.read_baskets(bad):items(2)) -- by default, a name like any other
    os.remove(empty); os.remove(bad)
    local bk = baskets_of(random_baskets(1))
    assert.are.equal("frequent: min_support 1.5 is not in (0, 1]", err(function() return bk:frequent{ min_support = 1.5 } end))
    assert.are.equal("frequent: min_support 0 is not in (0, 1]", err(function() return bk:frequent{ min_support = 0 } end))
    assert.are.equal("frequent: unknown option 'min_suport'", err(function() return bk:frequent{ min_suport = 0.1 } end))
    assert.are.equal("frequent: give min_support (a fraction) or min_count", err(function() return bk:frequent{} end))
    assert.are.equal("rules: min_confidence 2 is not in (0, 1]", err(function() return bk:rules{ min_support = 0.1, min_confidence = 2 } end))
    assert.truthy(err(function() return bk:rules{ min_support = 0.1, by = "lyft" } end):find("unknown measure 'lyft'", 1, true))
    assert.are.equal("frequent: option 'include': item 1: no item 'zz' in the baskets", err(function() return bk:frequent{ min_count = 1, include = {"zz"} } end))
    assert.truthy(err(function() return bk:frequent{ min_count = 1, max_itemsets = 5 } end):find("more than 5 itemsets", 1, true))
    assert.truthy(err(function() return bundle.baskets(bundle.read_csv("tests/data/csv/basic.csv"), { basket = "id", item = "nope" }) end)
      :find("no column 'nope'", 1, true))
  end)
end)

describe("itemset and rule objects", function()
  it("sort, take the top, and become frames and CSV files", function()
    local bk = baskets_of(random_baskets(5))
    local sets = bk:frequent{ min_count = 2 }
    local top = sets:top(4)
    assert.are.equal(4, #top)
    for i = 1, 4 do assert.are.equal(sets:get(i).count, top:get(i).count) end
    local by_size = sets:sort("size")
    assert.is_true(#by_size:get(1).items >= #by_size:get(#by_size).items)
    assert.are.equal(#sets, #by_size)
    local f = sets:to_frame()
    assert.are.same({"items", "size", "count", "support"}, f:names())
    assert.are.equal(#sets, f:nrows())
    local out = os.tmpname()
    sets:write_csv(out)
    assert.are.equal(#sets, bundle.read_csv(out, { types = { items = "str" } }):nrows())
    local rules = bk:rules{ min_count = 2, min_confidence = 0.5 }
    local rf = rules:to_frame()
    assert.are.equal(#rules, rf:nrows())
    assert.are.equal(15, rf:ncols()) -- lhs, rhs and 13 measures
    rules:write_csv(out)
    os.remove(out)
    assert.truthy(select(2, pcall(function() return sets:sort("lift") end)):find("sort: unknown order 'lift' (count, support, size, weight)", 1, true))
  end)
end)

describe("Online Retail baskets (the huge-basket path)", function()
  local PATH = "../shared/data/online_retail/online_retail.csv.gz"
  if not io.open(PATH) then pending("../shared/data is not here"); return end

  it("builds 19,960 sale baskets and mines them", function()
    local f = bundle.read_csv(PATH)
    local sale = f:col("Quantity"):gt(0):and_(f:col("UnitPrice"):gt(0)):and_(f:col("InvoiceNo"):lt("C"))
    local bk = bundle.baskets(f:filter(sale), { basket = "InvoiceNo", item = "StockCode", time = "InvoiceDate" })
    assert.are.equal(19960, bk:size())
    assert.are.equal(3922, bk:nitems())
    local biggest = 0
    for k = 1, bk:size() do biggest = math.max(biggest, #bk:items(k)) end
    assert.is_true(biggest >= 1000) -- baskets of over a thousand distinct items
    local sets = bk:frequent{ min_support = 0.01 }
    assert.is_true(#sets > 500)
    local co = bk:cooccurrence{ min_count = 200 }
    assert.is_true(co:nrows() > 100)
    -- every pair count agrees with the miner's pair itemsets
    local pairs2 = {}
    for _, s in bk:frequent{ min_count = 200, min_size = 2, max_size = 2 }:iter() do pairs2[key(s.items)] = s.count end
    assert.are.equal(count_keys(pairs2), co:nrows())
    for i = 1, co:nrows() do
      assert.are.equal(pairs2[key{co:col("a"):get(i), co:col("b"):get(i)}], co:col("count"):get(i))
    end
  end)
end)

describe("baskets on a composite key", function()
  it("makes one basket per member and day (2 members x 2 days -> 4), items right", function()
    local files = require "spec_files"
    local path = files.tmpdir() .. "/visits.csv"
    files.write(path, "member,date,product\n"
      .. "ann,03/01/2024,milk\nbob,03/01/2024,milk\nann,3/1/2024,bread\n"
      .. "ann,04/01/2024,eggs\nbob,04/01/2024,tea\nbob,4/1/2024,milk\nann,04/01/2024,eggs\n")
    local f = bundle.read_csv(path, { day_first = true })
    local bk = bundle.baskets(f, { basket = { "member", "date" }, item = "product", time = "date" })
    assert.are.equal(4, bk:size())
    assert.are.same({ { "milk", "bread" }, { "milk" }, { "eggs" }, { "milk", "tea" } }, -- items in order of first sight
      { bk:items(1), bk:items(2), bk:items(3), bk:items(4) })
    -- one key column in a list is the plain key
    assert.are.equal(2, bundle.baskets(f, { basket = { "member" }, item = "product" }):size())
    assert.has_error(function() bundle.baskets(f, { basket = { "member", "day" }, item = "product" }) end,
      "baskets: no column 'day' (columns: member, date, product)")
    assert.has_error(function() bundle.baskets(f, { basket = {}, item = "product" }) end,
      "baskets: option 'basket' is an empty list; give a column or a list of columns")
  end)
end)
