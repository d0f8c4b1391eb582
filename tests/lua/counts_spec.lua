-- bundle.counts: a store of item, pair and triple counts appended to as
-- baskets come. Exact mode equals a batch recount after any sequence of
-- appends and expiries (a property checked on random streams, against a
-- recount here in Lua and against Baskets:frequent / Baskets:rules);
-- sketch mode keeps its stated error bound in fixed memory.
local bundle = require "bundle"
local files = require "spec_files"

local dir = files.tmpdir()
local DAY = 86400
local T0 = 1704067200 -- 2024-01-01

local function err_of(fn, ...)
  local ok, e = pcall(fn, ...)
  assert.is_false(ok)
  return (tostring(e):gsub("^[^\n]-%.lua:%d+: ", "", 1))
end

-- A small generator, so the streams are the same on every run.
local function lcg(seed)
  local s = seed
  return function(n)
    s = (s * 1103515245 + 12345) % 2147483648
    return s % n + 1
  end
end

-- A basket of 1..6 items drawn with a skew towards the first ones.
local function basket(rand, nitems)
  local b, seen = {}, {}
  for _ = 1, rand(6) do
    local i = math.min(rand(nitems), rand(nitems))
    if not seen[i] then
      seen[i] = true
      b[#b + 1] = "i" .. i
    end
  end
  return b
end

-- { ["a,b"] = count } of every itemset of 1..max items in the baskets.
local function recount(baskets, max)
  local out = {}
  for _, b in ipairs(baskets) do
    local s = {}
    for _, x in ipairs(b.items) do s[#s + 1] = x end
    table.sort(s)
    local n = #s
    for i = 1, n do
      local k1 = s[i]
      out[k1] = (out[k1] or 0) + b.w
      for j = i + 1, max >= 2 and n or 0 do
        local k2 = k1 .. "," .. s[j]
        out[k2] = (out[k2] or 0) + b.w
        for k = j + 1, max >= 3 and n or 0 do
          local k3 = k2 .. "," .. s[k]
          out[k3] = (out[k3] or 0) + b.w
        end
      end
    end
  end
  return out
end

-- The store's frequent itemsets as { ["a,b"] = count }.
local function stored(store, q)
  local f = store:frequent(q or { min_count = 1e-300 })
  local items, count, out = f:col("items"), f:col("count"), {}
  for i = 1, f:nrows() do out[items:get(i)] = count:get(i) end
  return out, f
end

-- The part of a { ["a,b"] = count } at or above floor.
local function at_floor_of(sets, floor)
  local out = {}
  for k, v in pairs(sets) do
    if v >= floor then out[k] = v end
  end
  return out
end

-- Baskets' frequent itemsets with labels sorted inside each, as the store writes them.
local function batch_sets(b, min_count, max)
  local f = b:frequent{ min_count = min_count, max_size = max }:to_frame()
  local items, count, out = f:col("items"), f:col("count"), {}
  for i = 1, f:nrows() do
    local l = {}
    for x in items:get(i):gmatch("[^,]+") do l[#l + 1] = x end
    table.sort(l)
    out[table.concat(l, ",")] = count:get(i)
  end
  return out
end

local function write_orders(path, baskets)
  local lines = { "order,item,at" }
  for k, b in ipairs(baskets) do
    for _, x in ipairs(b.items) do lines[#lines + 1] = ("%d,%s,%d"):format(k, x, b.t) end
  end
  files.write(path, table.concat(lines, "\n") .. "\n")
end

-- Adds n random baskets to store and to all, with times up to `back` days
-- before now; the latest time seen.
local function add_random(rand, store, all, now, n, back)
  for _ = 1, n do
    local t = now + rand(DAY) - rand(back * DAY)
    local b = { items = basket(rand, 12), t = t, w = 1 }
    all[#all + 1] = b
    store:add(b.items, t)
    now = math.max(now, t)
  end
  return now
end

-- The store equals a recount of every basket whose day is not before the horizon.
local function assert_recount(store, all, horizon, max)
  local kept = {}
  for _, b in ipairs(all) do
    if b.t // DAY >= horizon then kept[#kept + 1] = b end
  end
  assert.are.same(recount(kept, max), (stored(store)))
  assert.are.equal(#kept, store:info().baskets)
end

describe("counts, exact", function()
  it("equals a batch recount after any sequence of appends and expiries (random streams)", function()
    for seed = 1, 12 do
      local rand = lcg(seed)
      local window, max = rand(5), seed % 3 + 1
      local store = bundle.counts{ window = window, max_size = max }
      local all, now, horizon = {}, T0, -math.huge
      for _ = 1, 30 do
        if rand(4) == 1 then
          now = now + rand(3) * DAY - rand(DAY)
          now = math.max(now, store:info().now or now)
          store:expire(now)
          horizon = math.max(horizon, now // DAY - window + 1)
        else
          -- times up to two days back, so some land in expired days
          now = add_random(rand, store, all, now, rand(8), 3)
        end
        assert_recount(store, all, horizon, max)
      end
    end
  end)

  it("gives Baskets:frequent's itemsets and Baskets:rules' rules for the same baskets", function()
    local rand, bs = lcg(99), {}
    for k = 1, 400 do bs[k] = { items = basket(rand, 15), t = T0 + k * 600, w = 1 } end
    local path = dir .. "/orders.csv"
    write_orders(path, bs)
    local spec = { basket = "order", item = "item", time = "at" }
    local b = bundle.baskets(bundle.read_csv(path), spec)
    local store = bundle.counts{ max_size = 3 }
    store:append(bundle.read_csv(path), spec)
    assert.are.same(batch_sets(b, 4, 3), (stored(store, { min_count = 4 })))
    -- rules: same pairs of (lhs, rhs) with the same lift and confidence
    local function rules_of(f)
      local out = {}
      for i = 1, f:nrows() do
        local l = {}
        for x in f:col("lhs"):get(i):gmatch("[^,]+") do l[#l + 1] = x end
        table.sort(l)
        out[table.concat(l, ",") .. "=>" .. f:col("rhs"):get(i)] =
          ("%.12g %.12g %d"):format(f:col("lift"):get(i), f:col("confidence"):get(i), f:col("count"):get(i))
      end
      return out
    end
    for _, conf in ipairs({ 0.1, 0.5 }) do
      local batch = rules_of(b:rules{ min_count = 4, max_size = 3, min_confidence = conf }:to_frame())
      assert.is_true(next(batch) ~= nil)
      assert.are.same(batch, rules_of(store:rules{ min_count = 4, min_confidence = conf }))
    end
    -- arules' default confidence floor, 0.8, as Baskets:rules has it
    assert.are.same(rules_of(b:rules{ min_count = 4, max_size = 3 }:to_frame()), rules_of(store:rules{ min_count = 4 }))
    -- chunks of the file, each order's lines kept together, count the same
    local chunked = bundle.counts{ max_size = 3 }
    chunked:append(bundle.read_csv_chunks(path, { rows = 37, key = "order" }), spec)
    assert.are.same((stored(store)), (stored(chunked)))
    -- and Baskets directly
    local direct = bundle.counts{ max_size = 3 }
    direct:append(b)
    assert.are.same((stored(store)), (stored(direct)))
  end)

  it("weighs baskets by their age under decay", function()
    local store = bundle.counts{ decay = 2 }
    store:add({ "a", "b" }, T0)
    store:add({ "a" }, T0 + 2 * DAY)
    store:add({ "b", "a" }, T0 + 4 * DAY)
    local now = T0 + 4 * DAY
    assert.is_true(math.abs(store:count{ "a" } - (0.25 + 0.5 + 1)) < 1e-12)
    assert.is_true(math.abs(store:count{ "a", "b" } - 1.25) < 1e-12)
    store:expire(now + 2 * DAY) -- reading two days later halves everything
    assert.is_true(math.abs(store:count{ "b", "a" } - 0.625) < 1e-12)
    assert.is_true(math.abs(store:info().baskets - 0.875) < 1e-12)
    -- a long stream rescales without losing precision
    local long = bundle.counts{ decay = 1 }
    for d = 0, 2000 do long:add({ "x", "y" }, T0 + d * DAY) end
    assert.is_true(math.abs(long:count{ "x", "y" } - 2) < 1e-9) -- 1 + 1/2 + 1/4 + ...
  end)

  it("saves and loads atomically, and refuses a damaged file by name", function()
    local store = bundle.counts{ window = 3, max_size = 3 }
    local rand = lcg(5)
    for k = 1, 200 do store:add(basket(rand, 10), T0 + k * 1800) end
    store:expire(T0 + 200 * 1800)
    local path = dir .. "/store.bin"
    store:save(path)
    local back = bundle.load_counts(path)
    assert.are.same((stored(store)), (stored(back)))
    -- the loaded store goes on as the original would
    store:add({ "i1", "i2" }, T0 + 5 * DAY)
    back:add({ "i1", "i2" }, T0 + 5 * DAY)
    store:expire(T0 + 5 * DAY)
    back:expire(T0 + 5 * DAY)
    assert.are.same((stored(store)), (stored(back)))
    local bytes = files.slurp(path)
    for _, cut in ipairs({ 1, 5, 200, #bytes - 20 }) do -- cut anywhere: a clear error, never a crash
      files.write(dir .. "/cut.bin", bytes:sub(1, #bytes - cut))
      local e = err_of(bundle.load_counts, dir .. "/cut.bin")
      assert.truthy(e:find("cut.bin: not a whole counts store", 1, true) or e:find("cut.bin: damaged counts store", 1, true), e)
    end
    -- a damaged itemset: the total's table is checked as it is read (a large
    -- store loads without reading every slot), so the error may come then
    files.write(dir .. "/flip.bin", bytes:sub(1, 200) .. "\255\255\255\127" .. bytes:sub(205))
    local ok, flipped = pcall(bundle.load_counts, dir .. "/flip.bin")
    local e = ok and err_of(flipped.frequent, flipped, { min_count = 1 }) or tostring(flipped)
    assert.truthy(e:find("flip.bin: damaged counts store", 1, true), e)
    files.write(dir .. "/other.bin", "hello world, not a store")
    assert.are.equal(dir .. "/other.bin: not a counts store (no BRCOUNTS header)", err_of(bundle.load_counts, dir .. "/other.bin"))
    assert.are.equal(dir .. "/none.bin: cannot open: No such file or directory", err_of(bundle.load_counts, dir .. "/none.bin"))
  end)

  it("equals a batch recount after any sequence of appends, expiries, saves (delta records or whole) and loads", function()
    for seed = 21, 32 do
      local rand = lcg(seed)
      local window, max = seed % 2 == 0 and rand(4) or nil, seed % 3 + 1
      local path = ("%s/seq%d.bin"):format(dir, seed)
      local store = bundle.counts{ window = window, max_size = max }
      local all, now, horizon, deltas, saved = {}, T0, -math.huge, 0, nil
      for _ = 1, 40 do
        local r = rand(10)
        if r == 1 and window then
          now = now + rand(2) * DAY
          store:expire(now)
          horizon = math.max(horizon, now // DAY - window + 1)
        elseif r <= 3 then
          store:save(path, { compact = rand(5) == 1 })
          if files.slurp(path .. ".delta") then deltas = deltas + 1 end
          saved = { all = { table.unpack(all) }, now = now, horizon = horizon }
        elseif r == 4 and saved then -- back to what was saved last
          store = bundle.load_counts(path)
          all, now, horizon = { table.unpack(saved.all) }, saved.now, saved.horizon
        else
          now = add_random(rand, store, all, now, rand(6), 2)
        end
        assert_recount(store, all, horizon, max)
      end
      assert.is_true(deltas > 0, "seed " .. seed .. " never saved a delta record")
    end
  end)

  it("a compaction whose additions outgrow the saved table rehashes into a larger one and equals a batch recount", function()
    local path = dir .. "/outgrow.bin"
    local rand = lcg(5)
    local store = bundle.counts{ max_size = 2 }
    local all, now = {}, T0
    now = add_random(rand, store, all, now, 40, 1) -- at most 12 items: a small table
    store:save(path, { compact = true })
    local small = #files.slurp(path)
    local loaded = bundle.load_counts(path)
    for k = 1, 60 do -- itemsets of up to 80 items: many new ones
      local b = { items = {}, t = now + k, w = 1 }
      local seen = {}
      for _ = 1, 1 + rand(5) do
        local i = rand(80)
        if not seen[i] then
          seen[i] = true
          b.items[#b.items + 1] = "i" .. i
        end
      end
      all[#all + 1] = b
      loaded:add(b.items, b.t)
    end
    loaded:save(path, { compact = true })
    assert.is_true(#files.slurp(path) > 2 * small, "the table did not grow")
    assert_recount(loaded, all, -math.huge, 2)
    assert_recount(bundle.load_counts(path), all, -math.huge, 2)
  end)

  it("a save killed midway leaves the previous state loadable; a stale delta file is ignored", function()
    local path = dir .. "/crash.bin"
    local rand = lcg(77)
    local store = bundle.counts{ window = 5, max_size = 3 }
    for k = 1, 100 do store:add(basket(rand, 10), T0 + k * 1800) end
    store:save(path) -- whole: a new store
    assert.is_nil(files.slurp(path .. ".delta"))
    store = bundle.load_counts(path)
    for k = 1, 30 do store:add(basket(rand, 10), T0 + 3 * DAY + k * 600) end
    store:expire(T0 + 3 * DAY + 30 * 600)
    store:save(path) -- the first delta record
    local one, s1 = files.slurp(path .. ".delta"), stored(store)
    for k = 1, 30 do store:add(basket(rand, 14), T0 + 4 * DAY + k * 600) end
    store:save(path) -- the second
    local two, s2 = files.slurp(path .. ".delta"), stored(store)
    assert.is_true(#two > #one)
    assert.are_not.same(s1, s2)
    assert.are.same(s2, (stored(bundle.load_counts(path))))
    -- killed while writing the second record: any prefix of it, or its bytes zeroed
    for _, cut in ipairs({ #one + 1, #one + 8, #one + 24, #one + 25, (#one + #two) // 2, #two - 8, #two - 1 }) do
      files.write(path .. ".delta", two:sub(1, cut))
      assert.are.same(s1, (stored(bundle.load_counts(path))), "cut at " .. cut)
    end
    files.write(path .. ".delta", one .. ("\0"):rep(#two - #one))
    assert.are.same(s1, (stored(bundle.load_counts(path))))
    -- the next save writes over the cut record
    files.write(path .. ".delta", two:sub(1, #two - 3))
    local again = bundle.load_counts(path)
    again:add({ "i1", "i2" }, T0 + 5 * DAY)
    again:save(path)
    local want = stored(again)
    assert.are.equal(1 + (s1["i1,i2"] or 0), want["i1,i2"])
    assert.are.same(want, (stored(bundle.load_counts(path))))
    -- damage before the last record is an error, not a silent loss
    local d = files.slurp(path .. ".delta")
    files.write(path .. ".delta", d:sub(1, 60) .. "\255" .. d:sub(62))
    assert.truthy(err_of(bundle.load_counts, path):find("crash.bin.delta: damaged delta file", 1, true))
    files.write(path .. ".delta", d)
    -- a whole save killed before it removed the old delta file: that file names the old store and is ignored
    local s = bundle.load_counts(path)
    s:save(path, { compact = true })
    assert.is_nil(files.slurp(path .. ".delta"))
    files.write(path .. ".delta", d)
    assert.are.same(want, (stored(bundle.load_counts(path))))
    -- and the next save replaces it
    local s3 = bundle.load_counts(path)
    s3:add({ "i3" }, T0 + 5 * DAY)
    s3:save(path)
    assert.are.same(stored(s3), (stored(bundle.load_counts(path))))
    assert.truthy(err_of(s3.save, s3, path, { x = 1 }):find("save: unknown option 'x'", 1, true))
  end)

  it("never crashes on a damaged store or delta file: each read either works or names the file", function()
    local path = dir .. "/flips.bin"
    local rand = lcg(13)
    local store = bundle.counts{ window = 4, max_size = 3 }
    for k = 1, 60 do store:add(basket(rand, 9), T0 + k * 3000) end
    store:save(path)
    store = bundle.load_counts(path)
    for k = 1, 20 do store:add(basket(rand, 11), T0 + 3 * DAY + k * 600) end
    store:save(path)
    local base, delta = files.slurp(path), files.slurp(path .. ".delta")
    assert.truthy(base and delta)
    local p = dir .. "/flipped.bin"
    local function try(name, bytes, save) -- (a save syncs: only now and then)
      files.write(p .. (name == "base" and "" or ".delta"), bytes)
      local ok, s = pcall(bundle.load_counts, p)
      if ok then
        local loaded = s
        ok, s = pcall(function()
          loaded:frequent{ min_count = 1 }
          loaded:rules{ min_count = 1, min_confidence = 0 }
          loaded:add({ "i1", "i2" }, T0 + 5 * DAY)
          loaded:expire(T0 + 5 * DAY)
          if save then loaded:save(p, { compact = save == 2 }) end
        end)
        loaded:close() -- its mapping of the file, before the next write truncates it
      end
      if not ok then assert.truthy(tostring(s):find("flipped.bin", 1, true), tostring(s)) end
    end
    -- every 37th byte of the store and 11th of the delta file (both prime to
    -- 8, so every offset in a record's words is hit somewhere)
    for i = 1, #base, 37 do
      files.write(p .. ".delta", delta)
      try("base", base:sub(1, i - 1) .. string.char(base:byte(i) ~ 0x5a) .. base:sub(i + 1), i % 10 == 1 and 2 or nil)
    end
    for i = 1, #delta, 11 do
      files.write(p, base) -- (a save may have rewritten it)
      try("delta", delta:sub(1, i - 1) .. string.char(delta:byte(i) ~ 0x5a) .. delta:sub(i + 1), i % 10 == 1 and 1 or nil)
    end
  end)

  -- The level file (<store>.level): the delta records merged into a
  -- mapped table now and then (a store without a window).
  local function at_floor(all, max, floor)
    local out = {}
    for k, v in pairs(recount(all, max)) do
      if v >= floor then out[k] = v end
    end
    return out
  end

  it("keeps a level of merged delta records and equals a batch recount at every floor after any sequence of saves and loads", function()
    for seed = 41, 48 do
      local rand = lcg(seed)
      local max = seed % 2 + 2
      local path = ("%s/level%d.bin"):format(dir, seed)
      local store = bundle.counts{ max_size = max, decay = seed == 48 and 30 or nil }
      local all, now, saved, levels = {}, T0, nil, 0
      now = add_random(rand, store, all, now, 30, 2)
      store:save(path)
      for step = 1, 30 do
        local r = rand(10)
        if r <= 4 then
          store:save(path, { compact = rand(12) == 1 })
          if files.slurp(path .. ".level") then levels = levels + 1 end
          saved = { all = { table.unpack(all) }, now = now }
        elseif r == 5 and saved then -- back to what was saved last
          store = bundle.load_counts(path)
          all, now = { table.unpack(saved.all) }, saved.now
        else
          now = add_random(rand, store, all, now, rand(8), 1)
        end
        if seed ~= 48 then
          for _, floor in ipairs({ 1, 2, 3, 5, 8 }) do
            assert.are.same(at_floor(all, max, floor), (stored(store, { min_count = floor })), "seed " .. seed .. " floor " .. floor .. " op " .. r .. " step " .. step)
          end
        end
      end
      assert.is_true(levels > 0, "seed " .. seed .. " never wrote a level")
      store:save(path)
      local loaded = bundle.load_counts(path)
      local a, b = stored(store, { min_count = 2 }), stored(loaded, { min_count = 2 })
      for k, v in pairs(a) do -- decayed weights are summed in another order: equal to rounding
        assert.is_true(b[k] ~= nil and math.abs(b[k] - v) <= 1e-9 * v, "seed " .. seed .. " " .. k)
      end
      for k in pairs(b) do assert.is_true(a[k] ~= nil or b[k] < 2 + 1e-9, "seed " .. seed .. " " .. k) end
    end
  end)

  -- A store file, its level and a record after it; the state, and the bytes of each.
  local function leveled(name)
    local path = dir .. "/" .. name
    local rand = lcg(99)
    local store = bundle.counts{ max_size = 2 }
    for k = 1, 80 do store:add(basket(rand, 16), T0 + k * 600) end
    store:save(path) -- whole
    for day = 1, 6 do -- records, merged into the level now and then
      store = bundle.load_counts(path)
      for k = 1, 40 do store:add(basket(rand, 20 + day), T0 + day * DAY + k * 600) end
      store:save(path)
    end
    store:close()
    return path, rand
  end

  it("a level cut short, zero-filled or missing loads the same state from the delta records; one of an older store is ignored", function()
    local path, rand = leveled("lvcrash.bin")
    local want = stored(bundle.load_counts(path))
    local level, delta = files.slurp(path .. ".level"), files.slurp(path .. ".delta")
    assert.truthy(level and delta, "no level file")
    local function same(what)
      local s = bundle.load_counts(path)
      assert.are.same(want, (stored(s)), what)
      assert.are.same(stored(s, { min_count = 3 }), at_floor_of(want, 3), what)
      s:close()
    end
    for _, cut in ipairs({ 0, 1, 8, 71, 72, 100, #level // 3, #level // 2, #level - 24, #level - 1 }) do
      files.write(path .. ".level", level:sub(1, cut))
      same("level cut at " .. cut)
      files.write(path .. ".level", level:sub(1, cut) .. ("\0"):rep(#level - cut))
      same("level zero-filled from " .. cut)
    end
    os.remove(path .. ".level")
    same("no level")
    -- a save over a damaged level writes a whole new one
    files.write(path .. ".level", level:sub(1, #level // 2))
    local s = bundle.load_counts(path)
    s:add({ "i1", "i2" }, T0 + 9 * DAY)
    s:save(path)
    local want2 = stored(s)
    s:close()
    assert.are.same(want2, (stored(bundle.load_counts(path))))
    -- a whole save killed before it removed the old level: that level names the old store file and is ignored
    local old = files.slurp(path .. ".level")
    s = bundle.load_counts(path)
    s:save(path, { compact = true })
    s:close()
    assert.is_nil(files.slurp(path .. ".level"))
    files.write(path .. ".level", old)
    assert.are.same(want2, (stored(bundle.load_counts(path))))
    -- a level of another version is a clear error naming it
    local lv = files.slurp(path .. ".level")
    files.write(path .. ".level", lv:sub(1, 8) .. string.pack("=I4", 9) .. lv:sub(13))
    local e = err_of(bundle.load_counts, path)
    assert.truthy(e:find("lvcrash.bin.level: a level file of another version", 1, true), e)
    os.remove(path .. ".level")
  end)

  it("a record after the level cut short loads the previous state; a delta file cut inside the level's records loads the level's", function()
    local path, rand = leveled("lvrec.bin")
    local s = bundle.load_counts(path)
    local before = stored(s)
    for k = 1, 5 do s:add(basket(rand, 30), T0 + 8 * DAY + k * 60) end
    s:save(path) -- one small record after the level
    local after, delta = stored(s), files.slurp(path .. ".delta")
    s:close()
    assert.are_not.same(before, after)
    assert.are.same(after, (stored(bundle.load_counts(path))))
    local l = bundle.load_counts(path)
    l:close()
    -- the record after the level, cut anywhere
    local full = #delta
    for _, back in ipairs({ 1, 8, 23, 24, 40 }) do
      files.write(path .. ".delta", delta:sub(1, full - back))
      local got = bundle.load_counts(path)
      local st = stored(got)
      got:close()
      assert.are.same(before, st, "cut " .. back .. " bytes from the end")
    end
    -- the delta file cut inside the records the level holds: the level's state loads, and the next save is whole
    files.write(path .. ".delta", delta:sub(1, 100))
    local got = bundle.load_counts(path)
    assert.are.same(before, (stored(got)))
    got:add({ "i1", "i2" }, T0 + 10 * DAY)
    got:save(path)
    local want = stored(got)
    got:close()
    assert.is_nil(files.slurp(path .. ".level"), "the save after it was not whole")
    assert.are.same(want, (stored(bundle.load_counts(path))))
  end)

  it("never crashes on a damaged level file: each read either works or names the file", function()
    local path = leveled("lvflips.bin")
    local base, level, delta = files.slurp(path), files.slurp(path .. ".level"), files.slurp(path .. ".delta")
    local p = dir .. "/lvflipped.bin"
    for i = 1, #level, 13 do
      files.write(p, base)
      files.write(p .. ".delta", delta)
      files.write(p .. ".level", level:sub(1, i - 1) .. string.char(level:byte(i) ~ 0x5a) .. level:sub(i + 1))
      os.remove(p .. ".level.spare")
      local ok, s = pcall(bundle.load_counts, p)
      if ok then
        local loaded = s
        ok, s = pcall(function()
          loaded:frequent{ min_count = 1 }
          loaded:frequent{ min_count = 4 }
          loaded:rules{ min_count = 2, min_confidence = 0 }
          loaded:add({ "i1", "i2" }, T0 + 9 * DAY)
          if i % 5 == 1 then loaded:save(p, { compact = i % 2 == 0 }) end
        end)
        loaded:close()
      end
      if not ok then assert.truthy(tostring(s):find("lvflipped.bin", 1, true), tostring(s)) end
    end
  end)

  it("a merge never writes over the level another store still reads", function()
    local path, rand = leveled("lvshare.bin")
    local reader = bundle.load_counts(path) -- maps the level, holding its lock
    local want = stored(reader, { min_count = 2 })
    for day = 1, 4 do -- each save merges into the spare, or a fresh file while the spare is the reader's
      local w = bundle.load_counts(path)
      for k = 1, 60 do w:add(basket(rand, 40), T0 + (20 + day) * DAY + k * 60) end
      w:save(path)
      w:close()
      assert.are.same(want, (stored(reader, { min_count = 2 })), "day " .. day)
    end
    reader:close()
  end)

  it("says what is wrong with its options", function()
    assert.are.equal("counts: give window or decay, not both", err_of(bundle.counts, { window = 3, decay = 2 }))
    assert.truthy(err_of(bundle.counts, { mode = "sketch", window = 3 }):find("a sketch cannot forget a day", 1, true))
    assert.are.equal("counts: max_size must be 1, 2 or 3, got 4", err_of(bundle.counts, { max_size = 4 }))
    assert.are.equal("counts: window must be a whole number of days >= 1, got 0.5", err_of(bundle.counts, { window = 0.5 }))
    assert.are.equal("counts: mode must be \"exact\" or \"sketch\"", err_of(bundle.counts, { mode = "fast" }))
    local s = bundle.counts{ window = 2 }
    s:add({ "a" }, T0 + DAY)
    assert.are.equal(("counts: expire: now (%d) is before the latest time seen (%d)"):format(T0, T0 + DAY),
      err_of(s.expire, s, T0))
    assert.are.equal("counts: max_size 3 is above the store's max_size 2", err_of(s.frequent, s, { max_size = 3 }))
    assert.truthy(err_of(s.append, s, 42):find("append: expected Baskets, a Frame or an iterator of Frames", 1, true))
  end)
end)

describe("counts, sketch", function()
  -- A long Zipf-like stream over 60 items: many distinct pairs, few heavy.
  local function stream(n, seed)
    local rand, out = lcg(seed), {}
    for k = 1, n do
      local b, seen = {}, {}
      for _ = 1, rand(5) + 1 do
        local i = math.floor(60 / rand(60)) -- ~ 1/x popularity
        if not seen[i] then
          seen[i] = true
          b[#b + 1] = "p" .. i
        end
      end
      out[k] = { items = b, t = T0 + k, w = 1 }
    end
    return out
  end

  it("over-counts by at most N/capacity and keeps every itemset above it", function()
    local bs = stream(4000, 3)
    local cap = 60
    local sk = bundle.counts{ mode = "sketch", capacity = cap, width = 1024, depth = 4 }
    for _, b in ipairs(bs) do sk:add(b.items, b.t) end
    local truth = recount(bs, 2)
    local info = sk:info()
    local N, npairs = 0, 0
    for k, v in pairs(truth) do
      if k:find(",", 1, true) then N, npairs = N + v, npairs + 1 end
    end
    assert.are.equal(N, info.total)
    assert.is_true(npairs > cap) -- the sketch really had to forget
    local bound = N / cap
    assert.are.equal(bound, info.bound)
    for k, v in pairs(truth) do
      local l = {}
      for x in k:gmatch("[^,]+") do l[#l + 1] = x end
      local est = sk:count(l)
      assert.is_true(est >= v and est <= v + bound, k .. ": " .. est .. " vs " .. v)
      if #l == 1 then assert.are.equal(v, est) end -- items are exact
    end
    local kept = stored(sk, { min_count = bound, min_size = 2 })
    for k, v in pairs(truth) do
      if k:find(",", 1, true) and v > bound then assert.is_not_nil(kept[k], k) end
    end
  end)

  it("holds its memory fixed as the stream grows", function()
    local sk = bundle.counts{ mode = "sketch", capacity = 200, width = 4096 }
    local exact = bundle.counts{}
    local bs = stream(20000, 11)
    local sizes, grew = {}, {}
    for k, b in ipairs(bs) do
      sk:add(b.items, b.t)
      exact:add(b.items, b.t)
      if k == 2000 or k == 20000 then
        sizes[#sizes + 1] = sk:info().memory
        grew[#grew + 1] = exact:info().memory
      end
    end
    assert.are.equal(sizes[1], sizes[2])
    assert.is_true(grew[2] >= grew[1])
    -- and it saves and loads whole
    local path = dir .. "/sketch.bin"
    sk:save(path)
    local back = bundle.load_counts(path)
    assert.are.same((stored(sk)), (stored(back)))
    back:add({ "p1", "p2" }, T0 + 30000)
    sk:add({ "p1", "p2" }, T0 + 30000)
    assert.are.same((stored(sk)), (stored(back)))
  end)
end)

describe("the pipeline's collect stage with a count store", function()
  it("appends only the new orders to the store on disk, which then counts the whole history", function()
    local rand = lcg(17)
    local function lines(from_day, days, first_order)
      local out, order = { "order,when,product,qty,unit_price" }, first_order
      for day = from_day, from_day + days - 1 do
        for _ = 1, 40 do
          order = order + 1
          for _, it in ipairs(basket(rand, 12)) do
            out[#out + 1] = ("%d,2024-01-%02d 10:00:00,%s,1,2.50"):format(order, day, it)
          end
        end
      end
      return table.concat(out, "\n") .. "\n", order
    end
    local old_text, last = lines(1, 10, 0)
    local new_text = lines(11, 2, last)
    files.write(dir .. "/old.csv", old_text)
    files.write(dir .. "/new.csv", new_text)
    local store = dir .. "/daily.bin"
    local quiet = function() end
    local function run(path, start)
      return bundle.pipeline{ data = { orders = path, basket = "order", item = "product", time = "when",
                                       quantity = "qty", price = "unit_price", counts = store,
                                       counts_options = { window = 30, max_size = 3 } },
                              start = start, progress = false, warnings = false,
                              stages = { analyse = quiet, generate = quiet, evaluate = quiet, adjust = quiet } }
    end
    run(dir .. "/old.csv", "2024-01-05")
    local ctx = run(dir .. "/new.csv", "2024-01-12")
    assert.are.equal(80, ctx.train_baskets:size() + ctx.test_baskets:size()) -- this run read only the new days
    local whole = bundle.counts{ window = 30, max_size = 3 }
    for _, p in ipairs({ "old.csv", "new.csv" }) do
      local prep = bundle.orders.prepare{ orders = dir .. "/" .. p, basket = "order", item = "product", time = "when",
                                          quantity = "qty", price = "unit_price" }
      whole:append(prep.sales, { basket = "basket", item = "item", time = "time" })
    end
    assert.are.equal(480, whole:info().baskets)
    assert.are.same((stored(whole)), (stored(bundle.load_counts(store))))
    assert.are.same((stored(whole)), (stored(ctx.counts)))
  end)
end)
