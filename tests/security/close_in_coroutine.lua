-- Driven by close_in_coroutine.sh (plain and --sandbox): a close, or a
-- drop and collect, from a coroutine resumed inside a call that holds the
-- object (an objective, a metamethod of an argument). The holding C frame
-- is then on another thread's stack than the close. Each close must be
-- refused with the "in use" error (or the call must fail cleanly); a
-- use-after-free crashes, or trips the sanitizer build.
-- NESTED (set with -e): also run the calls themselves inside coroutines,
-- with the close two coroutines down (the sandbox's resume records which
-- thread resumed which, and so does bundle's in a trusted state).
-- DIR (set with -e) holds items.csv.
local bundle = require "bundle"
local T = bundle.tensor

local cases, failed = 0, 0
local function report(ok, name, why)
  cases = cases + 1
  if ok then print("ok: " .. name) else failed = failed + 1; print("FAILED: " .. name .. ": " .. why) end
end

-- the ways a coroutine can close x
local closers = {
  { "close()", function(x) x:close() end },
  { "<close>", function(x) local c <close> = x end },
  { "drop and collect", function() collectgarbage() collectgarbage() end },
}

-- run(body): plain, inside a coroutine, or inside a coroutine inside a coroutine
local runners = { { "directly", function(body) return body() end } }
if NESTED then
  runners[#runners + 1] = { "in a coroutine", function(body)
    local co = coroutine.create(body)
    local ok, a, b = coroutine.resume(co)
    if not ok then error(a, 0) end
    return a, b
  end }
  runners[#runners + 1] = { "in a wrap in a coroutine", function(body)
    local co = coroutine.create(function() return coroutine.wrap(body)() end)
    local ok, a, b = coroutine.resume(co)
    if not ok then error(a, 0) end
    return a, b
  end }
end

-- in_co(x, how): close x from a new coroutine, itself resumed from a
-- second one (the close is two threads away from the call); returns the
-- close's error, or nil when it went through
local function in_co(x, how)
  local err
  local outer = coroutine.create(function()
    local inner = coroutine.wrap(function()
      local ok, e = pcall(how, x)
      if not ok then err = e end
    end)
    inner()
  end)
  local ok, e = coroutine.resume(outer)
  assert(ok, e)
  return err
end

local f0 = bundle.read_csv(DIR .. "/items.csv", { types = { item = "str" } })
local makers = {
  Frame = function() return f0:select { "item", "price", "cost" } end,
  Tensor = function() return T.from { 3, 1, 2 } end,
}
-- each call takes the object and a hook to run from a metamethod/callback
local calls = {
  { "Frame", "Frame:select's list __len", function(x, hit)
    return x:select(setmetatable({}, { __len = function() hit() return 2 end,
                                       __index = function(_, k) return ({ "item", "price" })[k] end })):nrows()
  end },
  { "Frame", "Frame:sort's options __index", function(x, hit)
    return x:sort("price", setmetatable({}, { __index = function() hit() end })):nrows()
  end },
  { "Frame", "bundle.catalog's options __index", function(x, hit)
    return bundle.catalog(x, setmetatable({ item = "item", price = "price" },
                                          { __index = function(_, k) hit() return k == "margin" and 0.3 or nil end }))
  end },
  { "Frame", "Frame:with_column's values __len", function(x, hit)
    return x:with_column("z", setmetatable({}, { __len = function() hit() return 3 end,
                                                 __index = function(_, k) return k end })):nrows()
  end },
  { "Tensor", "Tensor:index's list __len", function(x, hit)
    return x:index(setmetatable({}, { __len = function() hit() return 2 end, __index = function(_, k) return k end }))
  end },
}

for _, run in ipairs(runners) do
  for _, c in ipairs(calls) do
    for _, cl in ipairs(closers) do
      local name = ("%s, %s: a coroutine closes the %s by %s"):format(c[2], run[1], c[1], cl[1])
      local x = makers[c[1]]()
      local refused
      local ok, e = pcall(run[2], function()
        return c[3](x, function()
          if cl[1] == "drop and collect" then
            local keep = x
            x = nil
            in_co(nil, cl[2])
            x = keep
          else
            refused = in_co(x, cl[2])
          end
        end)
      end)
      if cl[1] == "drop and collect" then
        report(ok or not tostring(e):find("closed", 1, true), name, tostring(e))
      else
        -- refused, with the object named; the call then goes on or fails cleanly
        report(refused ~= nil and tostring(refused):find("close: the " .. c[1] .. " is in use", 1, true) ~= nil,
               name, "close was not refused: " .. tostring(refused) .. " / call: " .. tostring(ok) .. " " .. tostring(e))
      end
      pcall(function() x:close() end) -- afterwards a close is allowed
    end
  end
end

-- a wrap function called with another thread as its argument: the
-- resumer recorded is the wrap's own thread, not the argument
if NESTED then
  local x = makers.Frame()
  local refused
  local decoy = coroutine.create(function() end)
  local ok, e = pcall(function()
    return coroutine.wrap(function()
      return x:select(setmetatable({}, { __len = function()
        local inner = coroutine.wrap(function() local ok2, e2 = pcall(x.close, x) if not ok2 then refused = e2 end end)
        inner(decoy)
        return 2
      end, __index = function(_, k) return ({ "item", "price" })[k] end })):nrows()
    end)(decoy)
  end)
  report(refused ~= nil and tostring(refused):find("close: the Frame is in use", 1, true) ~= nil,
         "a wrap called with a decoy thread: the close two down is still refused", tostring(refused) .. " / " .. tostring(e))
end

-- coroutine.close of a suspended coroutine runs its pending __close
-- handlers on that coroutine: one that closes the frame a running call
-- (on another coroutine) holds must be refused too
if NESTED then
  local x = makers.Frame()
  local refused
  local co = coroutine.create(function()
    local guard <close> = setmetatable({}, { __close = function()
      local ok, e = pcall(x.close, x)
      if not ok then refused = e end
    end })
    coroutine.yield()
  end)
  coroutine.resume(co) -- from the main thread: the last resumer on record
  local ok, e = pcall(coroutine.wrap(function()
    return x:select(setmetatable({}, { __len = function() coroutine.close(co) return 2 end,
                                       __index = function(_, k) return ({ "item", "price" })[k] end })):nrows()
  end))
  report(ok and refused ~= nil and tostring(refused):find("close: the Frame is in use", 1, true) ~= nil,
         "coroutine.close runs a __close that closes the Frame a select on another coroutine holds",
         tostring(refused) .. " / " .. tostring(ok) .. " " .. tostring(e))
end

-- Column:to_datetime, get and isin pin their column for the same reason
-- (fuzz_lua found to_datetime reading a closed column's NULL pointer when
-- its options' __index closed it from a coroutine two down)
for _, c in ipairs{
  { "to_datetime", function(x, hit) return x:to_datetime(setmetatable({}, { __index = function() hit() end })) end },
  { "get", function(x, hit) return x:get(1, setmetatable({}, { __index = function() hit() end })) end },
  { "isin", function(x, hit)
    return x:isin(setmetatable({}, { __len = function() hit() return 1 end, __index = function() return "a" end }))
  end },
} do
  local x = f0:select { "item", "price" }:col("item")
  local refused
  local ok, e = pcall(coroutine.wrap(function()
    return c[2](x, function() refused = in_co(x, closers[1][2]) end)
  end))
  report(refused ~= nil and tostring(refused):find("close: the Column is in use by a running Column:" .. c[1], 1, true) ~= nil
           and (ok or not tostring(e):find("closed", 1, true)),
         "Column:" .. c[1] .. " in a coroutine: a coroutine two down closes the Column",
         tostring(refused) .. " / " .. tostring(ok) .. " " .. tostring(e))
  pcall(function() x:close() end)
end

-- Frame:with_column pins its frame, so the close is refused even in a
-- trusted state, where no resumer is recorded and the call itself runs in
-- a coroutine (fuzz_lua found a heap-use-after-free in
-- br_frame_with_column this way)
do
  local x = makers.Frame()
  local refused
  local ok, e = pcall(coroutine.wrap(function()
    return x:with_column("z", setmetatable({}, {
      __len = function() refused = in_co(x, closers[1][2]) return 3 end,
      __index = function(_, k) return k end })):nrows()
  end))
  report(ok and e == 3 and refused ~= nil
           and tostring(refused):find("close: the Frame is in use by a running Frame:with_column", 1, true) ~= nil,
         "Frame:with_column in a coroutine: a coroutine two down closes the Frame",
         tostring(refused) .. " / " .. tostring(ok) .. " " .. tostring(e))
  x:close()
end

-- a search objective that closes the catalogue from a coroutine two down:
-- the catalogue is pinned by the search, whatever the thread
local function new_catalog() return bundle.catalog(f0, { item = "item", price = "price", cost = "cost" }) end
for _, run in ipairs(runners) do
  local cat = new_catalog()
  local refused
  local ok = pcall(run[2], function()
    return bundle.search { catalog = cat, pool = { { "1", "2" }, { "2", "3" } }, size = { 2, 2 },
                           objective = function(b) refused = refused or in_co(cat, closers[1][2]) return b:price() end }
  end)
  report(ok and refused and tostring(refused):find("in use by a running search", 1, true) ~= nil,
         "search objective, " .. run[1] .. ": a coroutine two down closes the Catalog",
         tostring(ok) .. " " .. tostring(refused))
end

-- Bindings that pin nothing: they hold their object's pointer while an
-- options table or a list runs a metamethod, and only the stack check
-- over the chain of resumers refuses the close. In a trusted state the
-- chain is recorded by bundle's coroutine.resume/wrap/close (lcoroutine.c),
-- so these run plainly too. The call runs in coroutine A; its metamethod
-- resumes B, which closes (depth 2), or resumes C, which closes (depth 3);
-- resumes and wraps both, and a coroutine that first ran (and yielded)
-- from another thread. Without the recording every one of these closes
-- went through and the call read freed memory.
local bk0 = bundle.baskets(bundle.read_csv(DIR .. "/baskets.csv", { types = { basket = "str", item = "str" } }),
                           { basket = "basket", item = "item" })
local function opts(hit, extra)
  return setmetatable(extra or {}, { __index = function() hit() end })
end
local function list(hit, items)
  return setmetatable({}, { __len = function() hit() return #items end, __index = function(_, k) return items[k] end })
end
local unpinned = {
  { "Baskets", "Baskets:cooccurrence's options __index",
    function() return bk0:filter(T.ones(bk0:size())) end,
    function(x, hit) return x:cooccurrence(opts(hit)):nrows() end },
  { "Rules", "Rules:sort's options __index",
    function() return bk0:rules { min_count = 1, min_confidence = 0.1 } end,
    function(x, hit) return #x:sort(opts(hit)) end },
  { "Rules", "Rules:lhs_has's options __index",
    function() return bk0:rules { min_count = 1, min_confidence = 0.1 } end,
    function(x, hit) return #x:lhs_has({ "a" }, opts(hit)) end },
  { "Counts", "Counts:frequent's options __index",
    function() local c = bundle.counts {} c:add({ "a", "b" }, 0) c:add({ "a", "b" }, 1) return c end,
    function(x, hit) return x:frequent(opts(hit, { min_count = 1 })):nrows() end },
  { "Counts", "Counts:count's list __len",
    function() local c = bundle.counts {} c:add({ "a", "b" }, 0) return c end,
    function(x, hit) return x:count(list(hit, { "a", "b" })) end },
  { "Tensor", "Model:fit's options __index (closing X)",
    function() return T.from({ { 1 }, { 2 }, { 3 }, { 4 } }) end,
    function(x, hit) return bundle.model.linear {}:fit(x, T.from { 1, 2, 3, 4 }, opts(hit)).iterations end },
  { "Frame", "Frame:sort's options __index",
    makers.Frame,
    function(x, hit) return x:sort("price", opts(hit)):nrows() end },
  { "Tensor", "Tensor:index's list __len",
    makers.Tensor,
    function(x, hit) return x:index(list(hit, { 1, 2 })) end },
}
-- close_down(depth, how, x): from the running call, resume a coroutine
-- that closes x (depth 2) or that resumes one that does (depth 3); how is
-- "resume", "wrap" or "later" (the closing coroutine first ran and yielded
-- from the main thread, and is now resumed from here)
local parked = {}
local function close_down(depth, how, x)
  local err
  local function closer() local ok, e = pcall(x.close, x) if not ok then err = e end end
  local body = closer
  if depth == 3 then
    body = function()
      local co = coroutine.create(closer)
      local ok, e = coroutine.resume(co)
      assert(ok, e)
    end
  end
  if how == "resume" then
    local ok, e = coroutine.resume(coroutine.create(body))
    assert(ok, e)
  elseif how == "wrap" then
    coroutine.wrap(body)()
  else
    local co = parked[1]
    table.remove(parked, 1)
    local ok, e = coroutine.resume(co, body)
    assert(ok, e)
  end
  return err
end
local function park()
  local co = coroutine.create(function() local body = coroutine.yield() body() end)
  coroutine.resume(co) -- first run from the main thread
  parked[#parked + 1] = co
end
for _, c in ipairs(unpinned) do
  for _, depth in ipairs { 2, 3 } do
    for _, how in ipairs { "resume", "wrap", "later" } do
      local name = ("%s, depth %d (%s): a coroutine closes the %s"):format(c[2], depth, how, c[1])
      if not ONLY or name:find(ONLY, 1, true) then
        local x = c[3]()
        if how == "later" then park() end
        local refused
        local ok, e = pcall(coroutine.wrap(function()
          return c[4](x, function() refused = refused or close_down(depth, how, x) end)
        end))
        report(refused ~= nil and tostring(refused):find("close: the " .. c[1] .. " is in use", 1, true) ~= nil
                 and (ok or not tostring(e):find("closed", 1, true)),
               name, tostring(refused) .. " / call: " .. tostring(ok) .. " " .. tostring(e))
        pcall(function() x:close() end)
      end
    end
  end
end

-- A resume that fails at once (of a coroutine that is running, "normal")
-- must leave that coroutine's note alone: here main resumes A, whose call
-- holds the frame; its metamethod resumes H, H resumes B, and B first
-- tries coroutine.resume(H) (which fails), then closes the frame. The
-- chain B -> H -> A must still reach A.
do
  local x = makers.Frame()
  local refused, failed_resume
  local H
  H = coroutine.create(function()
    local B = coroutine.create(function()
      local ok, e = coroutine.resume(H)
      failed_resume = not ok and e
      local ok2, e2 = pcall(x.close, x)
      if not ok2 then refused = e2 end
    end)
    assert(coroutine.resume(B))
  end)
  local A = coroutine.create(function()
    return x:select(setmetatable({}, { __len = function() assert(coroutine.resume(H)) return 2 end,
                                       __index = function(_, k) return ({ "item", "price" })[k] end })):nrows()
  end)
  local ok, n = coroutine.resume(A)
  report(ok and n == 3 and failed_resume == "cannot resume non-suspended coroutine" and refused ~= nil
           and tostring(refused):find("close: the Frame is in use", 1, true) ~= nil,
         "a failed resume of a running coroutine keeps its resumer on record",
         tostring(failed_resume) .. " / " .. tostring(refused) .. " / " .. tostring(ok) .. " " .. tostring(n))
  pcall(function() x:close() end)
end

-- error handlers: xpcall's handler runs before the stack unwinds, so the
-- call is still below it, on this thread or two coroutines up
for _, where in ipairs { "on the call's thread", "in a coroutine two down" } do
  local x = makers.Frame()
  local refused
  local function handler() local ok, e = pcall(x.close, x) if not ok then refused = e end return "handled" end
  local ok, e = pcall(coroutine.wrap(function()
    return x:select(setmetatable({}, { __len = function()
      if where == "on the call's thread" then
        xpcall(error, handler, "boom")
      else
        coroutine.wrap(function() local co = coroutine.create(function() xpcall(error, handler, "boom") end) coroutine.resume(co) end)()
      end
      return 1
    end, __index = function() return "item" end })):nrows()
  end))
  report(ok and e == 3 and refused ~= nil and tostring(refused):find("close: the Frame is in use", 1, true) ~= nil,
         "an xpcall handler " .. where .. " closes the Frame a select holds",
         tostring(refused) .. " / " .. tostring(ok) .. " " .. tostring(e))
  pcall(function() x:close() end)
end

print(("cases: %d, failed: %d"):format(cases, failed))
if failed > 0 then os.exit(1) end
