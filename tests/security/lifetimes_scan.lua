-- Driven by lifetimes_scan.sh (plain and --sandbox): a random adversary
-- against the lifetimes of every class. Each method of Frame, Column,
-- Tensor, Baskets, Itemsets, Rules, Catalog, SearchResult, Model and Counts
-- is called with random arguments: plain values, live objects, and hostile
-- tables and functions whose __index, __len, __tostring, __eq, __lt, __le
-- and __call (or body) close one or all live objects, the called one
-- included, on the call's thread or from coroutines one or two down, with
-- or without a collection; the call itself runs plainly or in a coroutine.
-- Errors are expected; a crash, or a sanitizer report, is the failure.
-- SEED and N (calls per method) and DIR (data.csv, items.csv) are set with
-- -e; METHODS (class -> method names) too under --sandbox, whose
-- getmetatable does not show the classes' methods. PRINT_METHODS prints
-- that table as Lua code and stops.
local b = require "bundle"
local T = b.tensor
local SEED = tonumber(SEED or 1)
local N = tonumber(N or 60)
local rnd = (function(s) return function(n) s = (s * 1103515245 + 12345) % 2147483648 return s % n + 1 end end)(SEED)
local f0 = b.read_csv(DIR .. "/data.csv", { types = { basket = "str", item = "str", g = "str" } })
local items = b.read_csv(DIR .. "/items.csv", { types = { item = "str" } })
local function bk() return b.baskets(f0, { basket = "basket", item = "item", time = "price" }) end
local makers = {
  Frame = function() return f0:select { "basket", "item", "price", "cost", "g" } end,
  Column = function() return f0:select { "price", "item" }:col(rnd(2) == 1 and "price" or "item") end,
  Tensor = function() return rnd(2) == 1 and T.from { { 1, 2 }, { 3, 4 }, { 5, 6 } } or T.from { 1, 0, 1, 1, 0, 1 } end,
  Baskets = function() return bk() end,
  Itemsets = function() return bk():frequent { min_count = 1 } end,
  Rules = function() return bk():rules { min_count = 1, min_confidence = 0.1 } end,
  Catalog = function() return b.catalog(items, { item = "item", price = "price", cost = "cost" }) end,
  SearchResult = function()
    local cat = b.catalog(items, { item = "item", price = "price", cost = "cost" })
    return b.search { catalog = cat, pool = { { "a", "b" }, { "b", "c" } }, size = { 2, 2 },
                      objectives = { p = function(v) return v:price() end, q = function(v) return -v:cost() end } }
  end,
  Model = function()
    local m = rnd(2) == 1 and b.model.linear {} or b.model.logistic {}
    m:fit(T.from { { 1 }, { 2 }, { 3 }, { 4 } }, T.from { 0, 1, 0, 1 })
    return m
  end,
  Counts = function() local c = b.counts {} c:add({ "a", "b" }, 0) c:add({ "a", "c" }, 86400) return c end,
}
local order = { "Frame", "Column", "Tensor", "Baskets", "Itemsets", "Rules", "Catalog", "SearchResult", "Model", "Counts" }
local skip = { close = true, write_csv = true, save = true, plot = true, write = true }
METHODS = METHODS or {}
local function methods(cname, obj)
  if METHODS[cname] then return METHODS[cname] end
  local mt = getmetatable(obj)
  local idx = type(mt) == "table" and rawget(mt, "__index")
  if type(idx) == "function" and debug then local _, up = debug.getupvalue(idx, 1) idx = up end
  local out = {}
  if type(idx) == "table" then for k, v in pairs(idx) do if type(v) == "function" and not skip[k] then out[#out + 1] = k end end end
  table.sort(out)
  return out
end

local live = {}
local function closer(depth)
  return function()
    local function doit()
      local victim = live[rnd(#live)]
      if rnd(3) == 1 then for _, v in ipairs(live) do pcall(function() v:close() end) end
      else pcall(function() victim:close() end) end
      if rnd(2) == 1 then collectgarbage() end
    end
    if depth == 0 then doit()
    elseif depth == 1 then coroutine.wrap(doit)()
    else coroutine.wrap(function() local co = coroutine.create(doit) coroutine.resume(co) end)() end
  end
end
local function hostile(base)
  local hit = closer(rnd(3) - 1)
  return setmetatable(base or {}, {
    __index = function(t, k) hit() if type(k) == "number" and k <= 2 then return ({ "a", "b" })[k] end return nil end,
    __len = function() hit() return 2 end,
    __tostring = function() hit() return "a" end,
    __eq = function() hit() return false end, __lt = function() hit() return false end, __le = function() hit() return false end,
    __call = function() hit() return 1 end,
  })
end
local function value()
  local k = rnd(14)
  if k == 1 then return 1 elseif k == 2 then return 2 elseif k == 3 then return "a"
  elseif k == 4 then return ({ "price", "item", "basket", "cost", "g", "lift" })[rnd(6)]
  elseif k == 5 then return { "a", "b" } elseif k == 6 then return { 1, 2 }
  elseif k == 7 then return hostile() elseif k == 8 then return hostile({ "a", "b" })
  elseif k == 9 then local h = closer(rnd(3) - 1) return function(...) h() return true end
  elseif k == 10 then return hostile({ min_count = 1 })
  elseif k == 11 or k == 12 then local o = makers[order[rnd(#order)]]() live[#live + 1] = o return o
  elseif k == 13 then return { by = "lift", n = { "count", "price" } }
  else return nil end
end

if PRINT_METHODS then
  local out = {}
  for _, c in ipairs(order) do
    local ms = methods(c, makers[c]())
    for i, m in ipairs(ms) do ms[i] = ("%q"):format(m) end
    out[#out + 1] = ("%s = { %s }"):format(c, table.concat(ms, ", "))
  end
  print("METHODS = { " .. table.concat(out, ", ") .. " }")
  return
end

local calls, errs = 0, 0
for _, cname in ipairs(order) do
  local ms = methods(cname, makers[cname]())
  for _, m in ipairs(ms) do
    for _ = 1, N do
      live = {}
      local obj = makers[cname]()
      live[1] = obj
      local a1, a2, a3 = value(), value(), value()
      local function go() return obj[m](obj, a1, a2, a3) end
      local ok, e
      if rnd(2) == 1 then ok, e = pcall(coroutine.wrap(go)) else ok, e = pcall(go) end
      calls = calls + 1
      if not ok then errs = errs + 1 end
      if type(e) == "userdata" then pcall(function() return tostring(e), #e end) end
      pcall(function() return tostring(obj) end)
      for _, o in ipairs(live) do pcall(function() o:close() end) end
    end
  end
end
print(("calls: %d, errors: %d, methods: %d"):format(calls, errs, calls // N))
