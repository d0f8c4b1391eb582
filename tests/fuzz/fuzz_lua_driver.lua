-- The Lua half of fuzz_lua: reads the fuzzer's bytes as a program of calls
-- into bundle (functions of every module, methods of every object it has
-- made) with arguments from a pool of awkward values, each under pcall.
-- Errors are fine; a crash, a sanitizer report or a hang is a finding.
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
local frame = bundle.read_csv(tmp)
os.remove(tmp)
local baskets = bundle.baskets(frame, { basket = "basket", item = "item", user = "user" })
local itemsets = baskets:frequent{ min_support = 0.1 }
local items = frame:group_by("item"):agg{ price = { "mean", "price" } }
local catalog = bundle.catalog(items, { item = "item", price = "price", margin = 0.3 })
local model = bundle.model.linear{}
model:fit(T.from{ { 1, 0 }, { 0, 1 }, { 1, 1 } }, T.from{ 1, 2, 3 })
local function base_pool()
  return {
    0, 1, -1, 2, 3, 0.5, -2.5, 1e308, -1e308, 0 / 0, math.huge, math.maxinteger, math.mininteger, 2 ^ 53,
    "", "a", "x", "price", "10001", "mlp", "thompson", "2011-01-01", ("z"):rep(300), "\0", true, false,
    {}, { 1, 2, 3 }, { { 1, 2 }, { 3, 4 } }, { "a", "b" }, { { "a", "b" }, { "b", "c" } },
    { items = { "a", "b" } }, { 0 / 0 }, { k = 2 }, { seed = 1 }, { size = { 2, 3 } },
    T.zeros(2, 2), T.ones(3), T.from{ { 1, 2 }, { 3, 4 }, { 5, 6 } }, T.eye(3), T.zeros(0),
    function() return 1 end, function() error("boom") end, function(b) return b:support() end,
    frame, baskets, itemsets, items, catalog, model, frame:col("item"), frame:col("price"),
    { catalog = catalog, baskets = baskets }, { catalog = catalog, baskets = baskets, objective = "support" },
  }
end

local function byte_at(s, i) return s:byte((i - 1) % #s + 1) end

function drive(bytes)
  if #bytes < 2 then return end
  local pool = base_pool()
  local i = 1
  local steps = 0
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
end
