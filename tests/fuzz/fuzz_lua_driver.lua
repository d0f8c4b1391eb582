-- The Lua half of fuzz_lua: reads the fuzzer's bytes as a program of calls
-- into bundle (functions of every module, methods of every object it has
-- made) with arguments from a pool of awkward values, each under pcall.
-- Errors are fine; a crash, a sanitizer report or a hang is a finding.
-- Lifetimes are under test too: each input gets fresh objects, and the
-- pool holds hostile callbacks (objectives, demand functions, minimize's f,
-- metamethods of argument tables) that close pool objects, close their own
-- arguments, collect, call back into bundle, and do so from coroutines.
local bundle = require "bundle"

local fns = {}   -- every function reachable from bundle, by walking its tables
local seen = {}
local function walk(t, prefix, depth)
  if seen[t] or depth > 3 then return end
  seen[t] = true
  local keys = {}
  for k in pairs(t) do if type(k) == "string" then keys[#keys + 1] = k end end
  table.sort(keys) -- a fixed order: the same bytes call the same functions
  for _, k in ipairs(keys) do
    local v = t[k]
    if type(v) == "function" then fns[#fns + 1] = { name = prefix .. k, f = v }
    elseif type(v) == "table" then walk(v, prefix .. k .. ".", depth + 1) end
  end
end
walk(bundle, "bundle.", 0)

local T = bundle.tensor
-- a frame, baskets, itemsets, a catalogue and a model, made once (before
-- the harness turns file access off) so their methods get fuzzed too
local tmp = os.tmpname()
local f = assert(io.open(tmp, "w"))
f:write("basket,item,user,time,quantity,price\n")
for b = 1, 30 do
  for _, it in ipairs{ "a", "b", b % 3 == 0 and "c" or "d" } do
    f:write(("%d,%s,u%d,2011-01-%02d 10:00,%d,%.2f\n"):format(b, it, b % 5, b % 28 + 1, b % 4 + 1, 1 + b % 7))
  end
end
f:close()
local master = bundle.read_csv(tmp) -- never in the pool: inputs copy it
os.remove(tmp)
local names = master:names()
local function byte_at(s, i) return s:byte((i - 1) % #s + 1) end

-- Objects made afresh for every input (without files: the harness refuses
-- them), since an input may close any of them; then the pool of values.
local function base_pool(bytes)
  local frame = master:select(names)
  local baskets = bundle.baskets(frame, { basket = "basket", item = "item", user = "user" })
  local itemsets = baskets:frequent{ min_support = 0.1 }
  local rules = baskets:rules{ min_support = 0.1, min_confidence = 0.1 }
  local items = frame:group_by("item"):agg{ price = { "mean", "price" } }
  local catalog = bundle.catalog(items, { item = "item", price = "price", margin = 0.3 })
  local model = bundle.model.linear{}
  model:fit(T.from{ { 1, 0 }, { 0, 1 }, { 1, 1 } }, T.from{ 1, 2, 3 })
  local result = bundle.search{ catalog = catalog, baskets = baskets, size = { 2, 2 }, objective = "support" }
  local pool
  local cur = 0
  local function pick() cur = cur + 1 return byte_at(bytes, cur) end
  -- what a hostile callback does, chosen by the next byte
  local function closable(v) return type(v) == "userdata" and type(v.close) == "function" end
  -- a budget per input: a callback runs once per scored bundle, and full
  -- collections in every one of them would make an input take seconds
  local budget = 6
  local function mischief(...)
    if budget == 0 then return end
    budget = budget - 1
    local what = pick() % 8
    if what == 0 then -- close one pool object
      local v = pool[pick() % #pool + 1]
      if closable(v) then pcall(v.close, v) end
    elseif what == 1 then -- close every pool object
      for _, v in ipairs(pool) do if closable(v) then pcall(v.close, v) end end
    elseif what == 2 then -- close the arguments (minimize's x, a result, ...)
      for _, v in ipairs({ ... }) do if closable(v) then pcall(v.close, v) end end
    elseif what == 3 then -- <close> on a pool object
      pcall(function() local v <close> = pool[pick() % #pool + 1] end)
    elseif what == 4 then -- drop what the pool holds and collect
      local k = pick() % #pool + 1
      local keep = pool[k]
      pool[k] = false
      collectgarbage() collectgarbage()
      pool[k] = keep
    elseif what == 5 then -- close from a coroutine
      local co = coroutine.create(function()
        local v = pool[pick() % #pool + 1]
        if closable(v) then v:close() end
        coroutine.yield()
      end)
      coroutine.resume(co)
      coroutine.resume(co)
    elseif what == 6 then -- call back into bundle with pool values
      local fn = fns[pick() % #fns + 1].f
      pcall(fn, pool[pick() % #pool + 1], pool[pick() % #pool + 1])
    else -- yield across the C call (an error), or raise
      if pick() % 2 == 0 then coroutine.yield(1) else error("mischief") end
    end
  end
  local function hostile(...) mischief(...) return 1 end
  local function hostile_fg(x) mischief(x) return 0, T.zeros(x and T.is(x) and #x or 1) end
  local hostile_list = setmetatable({}, {
    __len = function() mischief() return 2 end,
    -- two entries, as __len says (ipairs must end)
    __index = function(_, k) mischief() return k == 1 and { "a", "b" } or k == 2 and { "b", "c" } or nil end,
  })
  local hostile_opts = setmetatable({ min_support = 0.1 }, { __index = function() mischief() end })
  pool = {
    0, 1, -1, 2, 3, 0.5, -2.5, 1e308, -1e308, 0 / 0, math.huge, math.maxinteger, math.mininteger, 2 ^ 53,
    "", "a", "x", "price", "10001", "mlp", "thompson", "2011-01-01", ("z"):rep(300), "\0", true, false,
    {}, { 1, 2, 3 }, { { 1, 2 }, { 3, 4 } }, { "a", "b" }, { { "a", "b" }, { "b", "c" } },
    { items = { "a", "b" } }, { 0 / 0 }, { k = 2 }, { seed = 1 }, { size = { 2, 3 } },
    T.zeros(2, 2), T.ones(3), T.from{ { 1, 2 }, { 3, 4 }, { 5, 6 } }, T.eye(3), T.zeros(0),
    function() return 1 end, function() error("boom") end, function(b) return b:support() end,
    frame, baskets, itemsets, rules, items, catalog, model, result, frame:col("item"), frame:col("price"),
    { catalog = catalog, baskets = baskets }, { catalog = catalog, baskets = baskets, objective = "support" },
    hostile, hostile_fg, hostile_list, hostile_opts,
    { catalog = catalog, baskets = baskets, objective = hostile, size = { 2, 3 } },
    { catalog = catalog, baskets = baskets, objectives = { a = hostile, m = model }, method = "nsga2", size = { 2, 3 } },
    { catalog = catalog, baskets = baskets, objective = hostile, bound = hostile, size = { 2, 3 } },
    { catalog = catalog, baskets = baskets, constraints = { compatible = hostile }, method = "greedy" },
    { catalog = catalog, pool = itemsets, objective = hostile },
    { catalog = catalog, baskets = baskets, demand = hostile },
  }
  return pool
end

function drive(bytes)
  if #bytes < 2 then return end
  local pool = base_pool(bytes)
  local i = 1
  local steps = 0
  -- an odd first byte runs the program inside a coroutine
  local run = function(body) body() end
  if bytes:byte(1) % 2 == 1 then run = function(body) local co = coroutine.wrap(body) pcall(co) end end
  run(function()
  while i + 3 <= #bytes and steps < 16 do
    steps = steps + 1
    local op, a, n = bytes:byte(i), bytes:byte(i + 1), bytes:byte(i + 2) % 4
    i = i + 3
    local args = {}
    for j = 1, n do args[j] = pool[byte_at(bytes, i + j - 1) % #pool + 1] end
    i = i + n
    local f, self_
    if op % 2 == 0 then
      f = fns[(op // 2 * 256 + a) % #fns + 1].f
    else -- a method of a bundle object in the pool (userdata: not strings,
      -- whose methods are Lua's own string library, which is not under test)
      local obj = pool[a % #pool + 1]
      local mt = type(obj) == "userdata" and getmetatable(obj)
      local index = type(mt) == "table" and rawget(mt, "__index")
      if type(index) == "table" then
        local names = {}
        for k, v in pairs(index) do if type(v) == "function" then names[#names + 1] = k end end
        table.sort(names)
        if #names > 0 then f = index[names[op // 2 % #names + 1]]; self_ = obj end
      end
    end
    if f then
      local ok, r
      if self_ ~= nil then ok, r = pcall(f, self_, table.unpack(args, 1, n))
      else ok, r = pcall(f, table.unpack(args, 1, n)) end
      if ok and r ~= nil then pool[#pool + 1] = r end
    end
  end
  end)
end
