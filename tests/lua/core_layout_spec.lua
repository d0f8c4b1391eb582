-- Layout rules of the C core, checked on its sources (busted runs from the
-- top directory): basket_internal.h stays the basket module's own (other
-- modules make and read baskets through basket_build.h and
-- bundle/basket.h), and the core never includes Lua.

-- The files of src/core matching a shell pattern, each { name, text }.
local function core_files(pattern)
  local out = {}
  local ls = assert(io.popen("ls src/core/" .. pattern))
  for path in ls:lines() do
    local f = assert(io.open(path, "rb"))
    out[#out + 1] = { name = path:match("[^/]+$"), text = f:read("a") }
    f:close()
  end
  ls:close()
  assert.is_true(#out > 10, "no sources found under src/core (run from the top directory)")
  return out
end

-- The names of the files whose text has an #include of a header matching `header` (a Lua pattern).
local function includers(files, header)
  local found = {}
  for _, f in ipairs(files) do
    for line in f.text:gmatch("[^\n]+") do
      local h = line:match('^%s*#%s*include%s*["<]([^">]+)[">]')
      if h and h:match(header) then
        found[#found + 1] = f.name
        break
      end
    end
  end
  table.sort(found)
  return found
end

describe("the core's layout", function()
  it("includes basket_internal.h only in the basket module's own files", function()
    local users = includers(core_files("*.c"), "^basket_internal%.h$")
    for _, name in ipairs(users) do
      assert.is_truthy(name:match("^basket[%w_]*%.c$"), name .. " includes basket_internal.h (use basket_build.h)")
    end
    assert.is_true(#users >= 4) -- basket.c, basket_fim.c, basket_rules.c, basket_build.c
    -- nor through another header
    local headers = includers(core_files("*.h"), "^basket_internal%.h$")
    assert.are.same({}, headers)
  end)

  it("never includes Lua", function()
    local files = core_files("*.[ch]")
    for _, h in ipairs({ "lua", "lauxlib", "lualib", "luaconf" }) do
      assert.are.same({}, includers(files, "^" .. h .. "%.h$"), h .. ".h")
    end
    assert.are.same({}, includers(files, "lua5%.4/"))
  end)
end)
