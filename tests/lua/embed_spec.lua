-- The two embedding examples run and print what the sample holds:
-- examples/embed.c (the C library, no Lua) and examples/embed.lua
-- (require "bundle" from plain lua5.4).
local BUILD = os.getenv("BUNDLE_BUILD") or "build"

local function run(cmd)
  local p = io.popen(cmd .. " 2>&1")
  local out = p:read("a")
  local ok, _, code = p:close()
  return out, ok and 0 or code
end

describe("examples", function()
  it("embed.c reads the sample and lists its frequent pairs", function()
    local out, code = run(BUILD .. "/examples/embed")
    assert.are.equal(0, code, out)
    assert.truthy(out:find("13105 baskets, 3500 items, 69 frequent pairs", 1, true), out)
    assert.truthy(out:find("22910 + 22086  support 0.0353", 1, true), out)
    local err, code2 = run(BUILD .. "/examples/embed /no/such.csv")
    assert.are.equal(1, code2)
    assert.truthy(err:find("embed: read: /no/such.csv: cannot open", 1, true))
  end)

  it("embed.lua runs under plain lua5.4 with require \"bundle\"", function()
    local out, code = run(("LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='%s/?.so;;' lua5.4 examples/embed.lua")
      :format(BUILD))
    if BUILD:find("asan", 1, true) then return end -- lua5.4 cannot load an ASan-built core.so
    assert.are.equal(0, code, out)
    assert.truthy(out:find("10301 baskets, 164 frequent pairs", 1, true), out)
    assert.truthy(out:find("1. 22910+22086", 1, true), out)
  end)
end)
