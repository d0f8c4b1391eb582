-- The Lua API driver's corpus, including every input the fuzzer found a
-- crash with (regress-*), replayed through the normal (and, under make
-- sanitize, the instrumented) bundlerun: it must finish cleanly.
local BUNDLERUN = os.getenv("BUNDLERUN") or "build/bundlerun"

describe("fuzz_lua corpus", function()
  it("replays every input without a crash", function()
    local top = io.popen("pwd"):read("l")
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
    local cmd = ("cd %s && %s %s/tests/fuzz/replay_lua.lua %s/tests/fuzz/fuzz_lua_driver.lua %s/tests/fuzz/corpus/fuzz_lua 2>&1")
      :format(dir, BUNDLERUN:sub(1, 1) == "/" and BUNDLERUN or top .. "/" .. BUNDLERUN, top, top, top)
    local p = io.popen(cmd)
    local out = p:read("a")
    local ok = p:close()
    os.execute("rm -rf " .. dir)
    assert.is_true(ok, out)
    assert.truthy(out:find("replayed %d+ inputs"), out)
    local n = tonumber(out:match("replayed (%d+) inputs"))
    assert.is_true(n >= 8, out)
  end)
end)
