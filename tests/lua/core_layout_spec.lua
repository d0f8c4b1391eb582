-- Layout rules of the C core, checked on its sources (busted runs from the
-- top directory): basket_internal.h stays the basket module's own (other
-- modules make and read baskets through basket_build.h and
-- bundle/basket.h); the core never includes Lua; and every allocation goes
-- through the one allocator (memory_alloc.c), with no `n ? n : 1` guard and
-- no size product computed outside its overflow check.

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

-- Each line of the core's C files outside memory_alloc.c (the allocator
-- itself) that matches `pattern`, comments left out, as "file:line: text".
local function lines_matching(pattern)
  local hits = {}
  for _, f in ipairs(core_files("*.c")) do
    if f.name ~= "memory_alloc.c" then
      local n = 0
      local text = f.text:gsub("/%*.-%*/", function(c) return (c:gsub("[^\n]", " ")) end)
      for line in (text .. "\n"):gmatch("([^\n]*)\n") do
        n = n + 1
        local code = line:gsub("//.*", "")
        if code:match(pattern) then hits[#hits + 1] = ("%s:%d: %s"):format(f.name, n, code) end
      end
    end
  end
  return hits
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

  -- the guard `(n > 0 ? n : 1)` on a line that allocates (br_alloc and
  -- family, arena_alloc): br_alloc is zero-safe, the guard is never needed
  it("has no `n ? n : 1` guard in an allocation", function()
    local guarded = {}
    for _, hit in ipairs(lines_matching("alloc[%w_]*%(.*%?.-:%s*1%s*%)")) do guarded[#guarded + 1] = hit end
    assert.are.same({}, guarded)
  end)

  -- br_alloc(what, 1, n * sizeof x) multiplies outside the check: give
  -- count and size apart, and mem_mul for a count of more factors
  it("computes no size product outside the allocator's check", function()
    assert.are.same({}, lines_matching('alloc[%w_]*%(%s*"[^"]*",%s*1,%s*[^;]*[%w%)] %* '))
    assert.are.same({}, lines_matching('alloc[%w_]*%(%s*"[^"]*",%s*%(size_t%)[%w_>%-]+ %* '))
  end)

  -- plain malloc, calloc and realloc bypass the budget; XGBoost's own
  -- allocations (gbdt.c) are inside the library and charged by estimate.
  -- The one exception: a tensor's data block (tensor.c), aligned for BLAS
  -- (br_alloc's header would break that) and reserved from the budget by
  -- the byte just before, as its comment says.
  local allowed = { ["tensor.c"] = "aligned_alloc" }
  it("allocates only through the one allocator", function()
    local plain = {}
    for _, fn in ipairs({ "malloc", "calloc", "realloc", "strdup", "strndup", "aligned_alloc", "posix_memalign" }) do
      for _, hit in ipairs(lines_matching("%f[%w_]" .. fn .. "%(")) do
        if allowed[hit:match("^[^:]+")] ~= fn then plain[#plain + 1] = hit end
      end
    end
    assert.are.same({}, plain)
    assert.are.equal(1, #lines_matching("%f[%w_]aligned_alloc%("), "tensor.c's one aligned_alloc")
  end)
end)
