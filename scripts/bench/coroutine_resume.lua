-- Benchmark: the cost of bundle's recording coroutine.resume and wrap
-- (src/lua/lcoroutine.c) against Lua's own, in one process: Lua's are
-- saved before require "bundle" replaces them. Run by lua5.4, not
-- bundlerun, which installs bundle's before any script runs:
--   LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="build/?.so;;" lua5.4 scripts/bench/coroutine_resume.lua [calls]
local n = tonumber(arg and arg[1]) or 2000000
local lua_resume, lua_wrap = coroutine.resume, coroutine.wrap
require "bundle"
local our_resume, our_wrap = coroutine.resume, coroutine.wrap
assert(our_resume ~= lua_resume, "run by lua5.4: under bundlerun both are bundle's")

local function body() while true do coroutine.yield() end end
local function per_call(f)
  local best = math.huge
  for _ = 1, 3 do -- best of three: the machine is shared
    local t0 = os.clock()
    f()
    best = math.min(best, os.clock() - t0)
  end
  return best / n * 1e9
end
local function resumes(resume)
  return function()
    local co = coroutine.create(body)
    for _ = 1, n do resume(co) end
  end
end
local function wraps(wrap)
  return function()
    local w = wrap(body)
    for _ = 1, n do w() end
  end
end
print(("coroutine round trips (resume + yield), ns per call, best of 3 x %d: Lua's vs bundle's"):format(n))
print(("  coroutine.resume: %6.0f ns   bundle %6.0f ns"):format(per_call(resumes(lua_resume)), per_call(resumes(our_resume))))
print(("  coroutine.wrap:   %6.0f ns   bundle %6.0f ns"):format(per_call(wraps(lua_wrap)), per_call(wraps(our_wrap))))
