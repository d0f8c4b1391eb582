-- The Lua half of fuzz_lua: reads the fuzzer's bytes as a short program of
-- calls into bundle (functions of every module, methods of every object it
-- has made) with arguments from a pool of awkward values, each under pcall.
-- Errors are fine; a crash, a sanitizer report or a hang is a finding.
--
-- Speed: everything costly (the master frame, its per-item table, the
-- function list) is built once. Per input, the bundle objects of the pool
-- (frame, baskets, itemsets, rules, catalogue, model, search result,
-- columns, tensors) are made only when the program first touches them,
-- from the tiny masters, so an input that uses two objects pays for two.
-- They are not shared across inputs: an input may change an object, not
-- only close it, and a crash must reproduce from its bytes alone.
-- The state is never fully collected per input (the harness steps the
-- collector). Each input's work is capped: 256 calls of the pool's
-- callbacks here, and in fuzz_lua.c 10,000 Lua instructions (a count hook,
-- in every coroutine too) and 1 MB of memory above what the state holds,
-- so no input spends seconds in one loop or in ASan's page faults.
--
-- Lifetimes are the point: the pool holds hostile callbacks (objectives,
-- bounds, predicates, demand functions, minimize's f, metamethods of
-- option tables and lists) that close pool objects, close their own
-- arguments, drop references and collect, call back into bundle, and do
-- all of that from coroutines resumed inside the callback; and programs
-- keep using objects after they were closed.
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
    -- whole-pipeline and file functions are slow or refused (no paths
    -- are allowed) and would only dilute the calls under test; plot.ticks
    -- is pure Lua arithmetic whose cost is libc printing 300-digit numbers
    -- (a third of all time once the budget below was in); plot.log_ticks
    -- loops once per power of ten between its arguments, so a corpus
    -- input that reached it with -1e9, 1e9 ran for an hour. log_ticks is
    -- bounded now (at most 11 ticks, plot_spec); it stays out so that the
    -- kept corpus's inputs still call the functions they were grown on
    -- (an input picks its function by position in this list)
    if type(v) == "function" and not prefix:find("pipeline", 1, true) and not prefix:find("report", 1, true)
      and prefix .. k ~= "bundle.plot.ticks" and prefix .. k ~= "bundle.plot.log_ticks" then
      fns[#fns + 1] = { name = prefix .. k, f = v }
    elseif type(v) == "table" then walk(v, prefix .. k .. ".", depth + 1) end
  end
end
walk(bundle, "bundle.", 0)

-- FUZZ_PROFILE=1 in the environment: CPU seconds per called function and
-- per object made, and Lua instructions per input (in thousands), printed
-- to stderr every 5,000 inputs; how the driver's costs were found.
PROF = os.getenv("FUZZ_PROFILE") and {}
local function profile(name, t0)
  local e = PROF[name] or { 0, 0, 0 }
  PROF[name] = e
  local dt = os.clock() - t0
  e[1], e[2], e[3] = e[1] + dt, e[2] + 1, math.max(e[3], dt)
end

local T = bundle.tensor
-- the masters, made once (before the harness turns file access off) and
-- never in the pool, so no input can close them
local tmp = os.tmpname()
local f = assert(io.open(tmp, "w"))
f:write("basket,item,user,time,quantity,price\n")
for b = 1, 12 do
  for _, it in ipairs{ "a", "b", b % 3 == 0 and "c" or "d" } do
    f:write(("%d,%s,u%d,2011-01-%02d 10:00,%d,%.2f\n"):format(b, it, b % 5, b % 28 + 1, b % 4 + 1, 1 + b % 7))
  end
end
f:close()
local master = bundle.read_csv(tmp)
os.remove(tmp)
local names = master:names()
local master_items = master:group_by("item"):agg{ price = { "mean", "price" } }
local X = T.from{ { 1, 0 }, { 0, 1 }, { 1, 1 } }
local y = T.from{ 1, 2, 3 }

-- the methods of each class, by metatable, sorted once
local methods_of = setmetatable({}, { __mode = "k" })
local function methods(obj)
  local mt = getmetatable(obj)
  if type(mt) ~= "table" then return nil end
  local m = methods_of[mt]
  if m == nil then
    local index = rawget(mt, "__index")
    m = false
    if type(index) == "table" then
      local list = {}
      for k, v in pairs(index) do if type(v) == "function" then list[#list + 1] = k end end
      table.sort(list)
      if #list > 0 then m = { index = index, names = list } end
    end
    methods_of[mt] = m
  end
  return m or nil
end

-- per-input state
local bytes, cur, budget, made
local pool -- slot -> value, or (for LAZY slots) made on first use
local function pick()
  cur = cur + 1
  return bytes:byte((cur - 1) % #bytes + 1)
end

local makers = {} -- name -> function making a fresh object for this input
local function obj(name)
  local v = made[name]
  if v == nil then
    local t0 = PROF and os.clock()
    local ok, r = pcall(makers[name])
    if PROF then profile("make " .. name, t0) end
    v = ok and r or false
    made[name] = v
  end
  return v
end
makers.frame = function() return master:select(names) end
makers.items = function() return master_items:select{ "item", "price" } end
makers.baskets = function() return bundle.baskets(master, { basket = "basket", item = "item", user = "user" }) end
makers.itemsets = function() return obj("baskets"):frequent{ min_support = 0.2 } end
makers.rules = function() return obj("baskets"):rules{ min_support = 0.2, min_confidence = 0.2 } end
makers.catalog = function() return bundle.catalog(master_items, { item = "item", price = "price", margin = 0.3 }) end
makers.model = function()
  local m = bundle.model.linear{}
  m:fit(X, y)
  return m
end
makers.result = function()
  return bundle.search{ catalog = obj("catalog"), baskets = obj("baskets"), size = { 2, 2 }, objective = "support" }
end
makers.column = function() return obj("frame"):col("price") end
makers.tensor = function() return T.from{ { 1, 2 }, { 3, 4 }, { 5, 6 } } end
makers.view = function() return obj("tensor"):row(1) end
makers.groupby = function() return obj("frame"):group_by("item") end

local objects = { "frame", "items", "baskets", "itemsets", "rules", "catalog", "model", "result", "column", "tensor",
  "view", "groupby" }

local function closable(v) return type(v) == "userdata" and type(v.close) == "function" end
local value -- forward: a pool value by index

-- Every callback of the pool counts its calls, and past CALLS in one input
-- raises: a C loop that calls a callback until it says stop (an iterator
-- of frames that never gives nil) ends there, instead of running until the
-- memory cap.
local used = { calls = 0 } -- what this input has spent
local function spend()
  used.calls = used.calls + 1
  if used.calls > 256 then error("fuzz: callback budget spent", 0) end
end

-- What a hostile callback does, chosen by the next byte. A budget per
-- input: a callback runs once per scored bundle.
local function mischief(...)
  spend()
  if budget == 0 then return end
  budget = budget - 1
  local what = pick() % 10
  if what == 0 then -- close one object
    local v = value(pick())
    if closable(v) then pcall(v.close, v) end
  elseif what == 1 then -- close every object made so far
    for _, n in ipairs(objects) do
      local v = made[n]
      if closable(v) then pcall(v.close, v) end
    end
  elseif what == 2 then -- close the arguments (minimize's x, a bundle, ...)
    for _, v in ipairs({ ... }) do if closable(v) then pcall(v.close, v) end end
  elseif what == 3 then -- <close> on an object
    pcall(function() local v <close> = obj(objects[pick() % #objects + 1]) end)
  elseif what == 4 then -- drop the only references and collect
    local n = objects[pick() % #objects + 1]
    local keep = made[n]
    made[n] = false
    collectgarbage()
    made[n] = keep
  elseif what == 5 or what == 6 then -- close, or use, from a coroutine resumed here
    local co = coroutine.create(function(a)
      local v = value(a)
      if closable(v) then
        if what == 5 then v:close() else pcall(v.close, v) end
      end
      coroutine.yield()
      local m = methods(v)
      if m then pcall(m.index[m.names[a % #m.names + 1]], v) end
    end)
    coroutine.resume(co, pick())
    coroutine.resume(co)
  elseif what == 7 then -- call back into bundle with pool values
    local fn = fns[pick() % #fns + 1].f
    pcall(fn, value(pick()), value(pick()))
  elseif what == 8 then -- a method of an object, from inside the callback
    local v = value(pick())
    local m = methods(v)
    if m then pcall(m.index[m.names[pick() % #m.names + 1]], v, value(pick())) end
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
local hostile_opts = setmetatable({ min_support = 0.2 }, { __index = function() mischief() end })
local hostile_close = setmetatable({}, { __close = function() mischief() end, __index = function() mischief() end })

-- Fixed values first, then LAZY entries: an object name, or a function of
-- the input's objects (option tables that hold them).
local fixed = {
  0, 1, -1, 2, 3, 0.5, -2.5, 1e308, -1e308, 0 / 0, math.huge, math.maxinteger, math.mininteger, 2 ^ 53,
  "", "a", "x", "price", "item", "101", "mlp", "thompson", "support", "lift", "2011-01-01", ("z"):rep(300), "\0",
  true, false, {}, { 1, 2, 3 }, { { 1, 2 }, { 3, 4 } }, { "a", "b" }, { { "a", "b" }, { "b", "c" } },
  { items = { "a", "b" } }, { 0 / 0 }, { k = 2 }, { seed = 1 }, { size = { 2, 3 } }, { "price" },
  function() spend() return 1 end, function() spend() error("boom") end, function(b) spend() return b:support() end,
  function() error(setmetatable({}, { __tostring = function() mischief() return "obj" end })) end,
  hostile, hostile_fg, hostile_list, hostile_opts, hostile_close,
}
local lazy = {}
for _, n in ipairs(objects) do lazy[#lazy + 1] = n end
local function L(f_) lazy[#lazy + 1] = f_ end
L(function() return { catalog = obj("catalog"), baskets = obj("baskets") } end)
L(function() return { catalog = obj("catalog"), baskets = obj("baskets"), objective = "support" } end)
L(function() return { catalog = obj("catalog"), baskets = obj("baskets"), objective = hostile, size = { 2, 3 } } end)
L(function()
  return { catalog = obj("catalog"), baskets = obj("baskets"), objectives = { a = hostile, m = obj("model") },
    method = "nsga2", size = { 2, 3 }, generations = 2, population = 8 }
end)
L(function()
  return { catalog = obj("catalog"), baskets = obj("baskets"), objective = hostile, bound = hostile, size = { 2, 3 },
    method = "exact" }
end)
L(function()
  return { catalog = obj("catalog"), baskets = obj("baskets"), objective = hostile, method = "beam", size = { 2, 3 } }
end)
L(function()
  return { catalog = obj("catalog"), baskets = obj("baskets"), constraints = { compatible = hostile }, method = "greedy" }
end)
L(function() return { catalog = obj("catalog"), pool = obj("itemsets"), objective = hostile } end)
L(function() return { catalog = obj("catalog"), pool = obj("itemsets"), objective = obj("model") } end)
L(function() return { catalog = obj("catalog"), baskets = obj("baskets"), demand = hostile } end)
L(function() return { catalog = obj("catalog"), baskets = setmetatable({}, { __index = function() mischief() end }) } end)
-- objects across sandbox.run, both ways (fresh deep copies owned by the
-- receiving state): copies of derived objects with their parents, an object
-- derived inside the run from a copied argument whose copy is then closed
-- there, and the copies used, closed and reused like every pool object
for _, n in ipairs{ "itemsets", "rules", "result", "model", "catalog", "column" } do
  L(function() return bundle.sandbox.run("return ...", { args = { obj(n) } }) end)
end
L(function()
  return bundle.sandbox.run("local b = ...; local s = b:frequent{ min_count = 1 }; b:close(); return s",
    { args = { obj("baskets") } })
end)
L(function()
  return bundle.sandbox.run("local r, c = ...; return r, c", { args = { obj("result"), obj("catalog") } })
end)

local nfixed = #fixed
local npool = nfixed + #lazy
value = function(k)
  k = k % npool + 1
  local v = pool[k]
  if v ~= nil then return v end
  if k <= nfixed then return fixed[k] end
  local l = lazy[k - nfixed]
  if type(l) == "string" then v = obj(l)
  else
    local ok, r = pcall(l)
    v = ok and r or false
  end
  pool[k] = v
  return v
end

local results = {} -- what the calls returned, usable by later calls

local function step(op, a, args, n)
  local fn, self_
  if op % 3 ~= 2 then
    fn = fns[(op * 256 + a) % #fns + 1].f
  else -- a method of a pool object or an earlier result
    local o = (a >= 192 and #results > 0) and results[a % #results + 1] or value(a)
    local m = type(o) == "userdata" and methods(o)
    if m then fn = m.index[m.names[op // 3 % #m.names + 1]]; self_ = o end
  end
  if not fn then return end
  local ok, r
  local t0 = PROF and os.clock()
  if self_ ~= nil then ok, r = pcall(fn, self_, table.unpack(args, 1, n))
  else ok, r = pcall(fn, table.unpack(args, 1, n)) end
  if PROF then
    local m = self_ ~= nil and methods(self_)
    profile(m and ("%s:%s"):format(getmetatable(self_).__name, m.names[op // 3 % #m.names + 1])
      or fns[(op * 256 + a) % #fns + 1].name, t0)
  end
  if ok and r ~= nil and #results < 8 then results[#results + 1] = r end
end

local function close_all()
  for _, n in ipairs(objects) do
    local v = made[n]
    if closable(v) then pcall(v.close, v) end
  end
  for _, r in ipairs(results) do if closable(r) then pcall(r.close, r) end end
end

local nin, TICKS, t_in, t_out, t_last = 0, {}, 0, 0, nil
function fuzz_report() -- called by fuzz_lua.c before each input, outside its budget
  nin = nin + 1
  local t = os.clock()
  if t_last then t_out = t_out + (t - t_last) end -- since the last input's end: GC, libFuzzer
  local k = fuzz_ticks and fuzz_ticks() or 0 -- fuzz_lua.c's count of the last input
  TICKS[k] = (TICKS[k] or 0) + 1
  if nin % 5000 ~= 0 then return end
  local l, tl = {}, {}
  for k, v in pairs(PROF) do l[#l + 1] = { k, v } end
  table.sort(l, function(x, y) return x[2][1] > y[2][1] end)
  for k, v in pairs(TICKS) do tl[#tl + 1] = k .. "k:" .. v end
  table.sort(tl)
  io.stderr:write(("profile after %d inputs: %.2f s inside drive, %.2f s between inputs; inputs by Lua instructions: %s\n")
    :format(nin, t_in, t_out, table.concat(tl, " ")))
  for j = 1, math.min(30, #l) do
    io.stderr:write(("  %-44s %8.3f s %7d calls, slowest %.4f s\n"):format(l[j][1], l[j][2][1], l[j][2][2], l[j][2][3]))
  end
end

function drive(data)
  used.calls = 0
  if #data < 2 then return end
  if PROF then t_in = t_in - os.clock() end -- plus the end time, below
  bytes, cur, budget, made, pool, results = data, 0, 6, {}, {}, {}
  local i = 2
  local steps = 0
  -- the first byte: run the program plainly, inside a coroutine, or with
  -- every made object closed half way (the later calls see them closed)
  local mode = data:byte(1) % 3
  local body = function()
    while i + 2 <= #data and steps < 8 do
      steps = steps + 1
      local op, a, n = data:byte(i), data:byte(i + 1), data:byte(i + 2) % 4
      i = i + 3
      local args = {}
      for j = 1, n do
        local b = data:byte(i + j - 1) or 0
        -- args above 224 pick an earlier call's result (a derived object)
        args[j] = (b >= 224 and #results > 0) and results[b % #results + 1] or value(b)
      end
      i = i + n
      cur = i -- mischief reads the bytes after the program's position
      step(op, a, args, n)
      if mode == 2 and steps == 4 then close_all() end -- the rest runs on closed objects
    end
  end
  if mode == 1 then
    local co = coroutine.wrap(body)
    pcall(co)
  else
    pcall(body)
  end
  bytes, made, pool, results = nil, nil, nil, nil
  if PROF then t_last = os.clock(); t_in = t_in + t_last end
end
