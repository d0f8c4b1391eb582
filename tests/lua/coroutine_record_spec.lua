-- bundle's coroutine.resume, wrap and close (src/lua/lcoroutine.c): once
-- require "bundle" has run in a trusted state they record which thread
-- resumes which, for the close checks, and must behave exactly as Lua's
-- own. bundlerun installs them before the script runs. The probe below prints results, error values and statuses of the
-- corner cases; its output with bundle loaded must equal its output
-- without (thread addresses aside).
local BUNDLERUN = os.getenv("BUNDLERUN") or "build/bundlerun"

local probe = [==[
if WITH then require "bundle" end
local function show(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]):gsub("0x%x+", "ADDR") end
  print(table.concat(t, " | "))
end
local co = coroutine.create(function(a, b) local c = coroutine.yield(a + b) error("boom " .. c) end)
show(coroutine.resume(co, 1, 2)); show(coroutine.status(co))
show(coroutine.resume(co, "x")); show(coroutine.status(co)); show(coroutine.resume(co))
show(pcall(coroutine.resume, 42)); show(pcall(coroutine.resume))
show(pcall(function() return coroutine.resume(nil) end))
local w = coroutine.wrap(function(...) coroutine.yield(...) return "done" end)
show(w(1, 2, 3)); show(w()); show(pcall(w))
show(pcall(coroutine.wrap(function() error("werr") end)))
show(pcall(coroutine.wrap(function() error({}) end)))
show(pcall(coroutine.wrap(function() error("nolevel", 0) end)))
show(pcall(coroutine.wrap(function()
  local x <close> = setmetatable({}, { __close = function() error("in close") end })
  error("first")
end)))
show(pcall(coroutine.wrap, 1)); show(pcall(coroutine.close, coroutine.running()))
show(pcall(coroutine.close, 5))
local c5 = coroutine.create(function()
  local x <close> = setmetatable({}, { __close = function() print("closed") end })
  coroutine.yield()
end)
coroutine.resume(c5); show(coroutine.close(c5)); show(coroutine.status(c5)); show(coroutine.resume(c5))
local c6 = coroutine.create(function()
  local x <close> = setmetatable({}, { __close = function() error("cerr", 0) end })
  coroutine.yield()
end)
coroutine.resume(c6); show(coroutine.close(c6))
show(coroutine.close(coroutine.create(print)))
local outer = coroutine.create(function()
  local me = coroutine.running()
  local c = coroutine.create(function()
    return coroutine.status(me), coroutine.isyieldable(), pcall(coroutine.close, me), pcall(coroutine.resume, me)
  end)
  return coroutine.resume(c)
end)
show(coroutine.resume(outer))
show(coroutine.isyieldable(), select(2, coroutine.running()))
show(coroutine.resume(coroutine.running()))
show(type(coroutine.wrap(function() return coroutine.running() end)()))
local selfw; selfw = coroutine.wrap(function() return selfw() end)
show(pcall(selfw))
local dead = coroutine.wrap(function() end); dead(); show(pcall(dead))
show(coroutine.resume(coroutine.create(function(...) return select("#", ...) end), table.unpack({}, 1, 200)))
local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
show(gen(), gen(), gen(), select("#", gen()))
local depth = 0
local function rec() depth = depth + 1 return coroutine.wrap(rec)() end
local ok, e = pcall(rec)
show(ok, #tostring(e) > 0, depth > 100) -- the depth itself differs between interpreters
]==]

local probe_file = os.tmpname() -- one file for both runs: error values name it
do
  local f = assert(io.open(probe_file, "w"))
  f:write(probe)
  f:close()
end

-- without bundle: plain lua5.4 (bundlerun installs bundle's functions
-- from the start); with: bundlerun and require "bundle"
local function run(with)
  local p = assert(io.popen((with and BUNDLERUN .. " -e 'WITH = true' " or "lua5.4 ") .. probe_file .. " 2>&1"))
  local out = p:read("a")
  p:close()
  return out
end

describe("bundle's coroutine.resume, wrap and close", function()
  it("give the same results, errors and statuses as Lua's", function()
    local plain, with = run(false), run(true)
    assert.truthy(plain:find("cannot resume dead coroutine", 1, true))
    assert.truthy(plain:find("bad argument #1 to 'coroutine.resume'", 1, true))
    assert.are.equal(plain, with)
    os.remove(probe_file)
  end)

  it("record the chain, so a close three threads down from a running call is refused", function()
    local bundle = require "bundle"
    local x = bundle.tensor.from { 3, 1, 2 }
    local refused
    local list = setmetatable({}, { __len = function()
      coroutine.wrap(function()
        local co = coroutine.create(function() local ok, e = pcall(x.close, x) refused = not ok and e end)
        assert(coroutine.resume(co))
      end)()
      return 2
    end, __index = function(_, k) return k end })
    local got = coroutine.wrap(function() return x:index(list) end)()
    assert.truthy(tostring(refused):find("close: the Tensor is in use by a running call", 1, true))
    assert.are.same({ 3, 1 }, got:totable())
    x:close()
    package.loaded["bundle.core"] = nil -- a second open keeps the installed functions
    local resume = coroutine.resume
    require "bundle.core"
    assert.are.equal(resume, coroutine.resume)
  end)

  it("are bundlerun's from the start, and leave a resume the script replaced alone", function()
    local early = io.popen(BUNDLERUN .. [[ -e 'local r = coroutine.resume
      require "bundle"
      print(r == coroutine.resume, debug.getinfo(r, "S").what)' 2>&1]]):read("a")
    assert.are.equal("true\tC\n", early)
    local out = io.popen(BUNDLERUN .. [[ -e 'local mine = function(...) return "mine" end
      coroutine.resume = mine
      require "bundle"
      print(coroutine.resume == mine, coroutine.resume())' 2>&1]]):read("a")
    assert.are.equal("true\tmine\n", out)
  end)
end)
