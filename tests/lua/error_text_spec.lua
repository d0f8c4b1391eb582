-- Error messages keep what they are given and say where: text after a NUL
-- (written \0), the cause of a failed write (strerror), a callback's own
-- message, and the caller's line for errors the Lua modules raise.
local bundle = require "bundle"
local W = require "search_world"
local files = require "spec_files"

local here = debug.getinfo(1, "S").short_src
local _, bk, cat = W.world(3)

local function err(f)
  local ok, e = pcall(f)
  assert.is_false(ok, "expected an error")
  return tostring(e)
end

describe("error text", function()
  it("keeps the text after a NUL, written \\0", function()
    local e = err(function()
      bundle.search{ catalog = cat, baskets = bk, size = { 2, 3 }, objective = function() error("before\0after") end }
    end)
    assert.truthy(e:find("before\\0after", 1, true), e)
    local dir = files.tmpdir()
    files.write(dir .. "/nul.csv", "a\0x,a\0y\n1,2\n")
    assert.are.same({ "a\\0x", "a\\0y" }, bundle.read_csv(dir .. "/nul.csv"):names()) -- two names, not one 'a' twice
    files.write(dir .. "/nul2.csv", "a\0x,a\0x\n1,2\n")
    assert.truthy(err(function() bundle.read_csv(dir .. "/nul2.csv") end):find("column name 'a\\0x' appears twice", 1, true))
    -- the runtime prints a script's message whole
    local h = io.popen(os.getenv("BUNDLERUN") .. [[ -e 'error("one\0two")' 2>&1]])
    local out = h:read("a")
    h:close()
    assert.truthy(out:find("one\\0two", 1, true), out)
    os.execute("rm -rf " .. dir)
  end)

  it("carries the cause of a failed write", function()
    local f = bundle.read_csv("tests/data/csv/basic.csv")
    local m = bundle.model.linear{}
    m:fit(bundle.tensor.from{ { 1 }, { 2 }, { 3 } }, bundle.tensor.from{ 1, 2, 3 })
    for what, write in pairs{
      write_csv = function() f:write_csv("/dev/full") end,
      model_save = function() m:save("/dev/full") end,
      json_write = function() bundle.json.write("/dev/full", { a = 1 }) end,
    } do
      local e = err(write)
      assert.truthy(e:find("/dev/full: write failed: No space left on device", 1, true), what .. ": " .. e)
    end
  end)

  it("keeps a search callback's own message", function()
    local spec = { catalog = cat, baskets = bk, size = { 2, 3 } }
    local function with(k, v)
      local s = {}
      for a, b in pairs(spec) do s[a] = b end
      s[k] = v
      return s
    end
    local e = err(function() bundle.search(with("objective", function() error("the shelf is empty") end)) end)
    assert.truthy(e:find(here .. ":%d+: the shelf is empty"), e)
    local obj = setmetatable({}, { __tostring = function() return "an error object's own words" end })
    e = err(function() bundle.search(with("objective", function() error(obj) end)) end)
    assert.truthy(e:find("an error object's own words", 1, true), e)
    e = err(function() bundle.search(with("objective", function() error({ code = 7 }) end)) end)
    assert.truthy(e:find("a search callback raised an error (a table value)", 1, true), e)
    e = err(function() bundle.search(with("objective", function() error(42) end)) end)
    assert.truthy(e:find("42", 1, true), e)
    e = err(function()
      bundle.search(with("objective", function() error(setmetatable({}, { __tostring = function() error("no") end })) end))
    end)
    assert.truthy(e:find("a search callback raised an error (a table value)", 1, true), e)
    e = err(function()
      bundle.search(with("constraints", { compatible = function() error(setmetatable({}, { __tostring = function()
        return "incompatible, says the callback" end })) end }))
    end)
    assert.truthy(e:find("incompatible, says the callback", 1, true), e)
    e = err(function()
      bundle.price.optimize({ { "1", "2" } }, { catalog = cat, demand = function() error({}) end })
    end)
    assert.truthy(e:find("the demand function raised an error (a table value)", 1, true), e)
  end)

  it("points at the caller's line for errors of the Lua modules", function()
    local cases = {
      { "eval.bundles", function() bundle.eval.bundles(5) end },
      { "eval.bundles item", function() bundle.eval.bundles({ 5 }) end },
      { "eval.backtest", function() bundle.eval.backtest(5, bk) end },
      { "eval.bandit value", function()
        bundle.eval.bandit{ arms = { { items = { "1", "2" } } }, baskets = bk, value = "zz" } end },
      { "recommend.fit", function() bundle.recommend.fit(5) end },
      { "referee.model", function() bundle.referee.model(5) end },
      { "features.bundles", function() bundle.features.bundles({ { "1", "2" } }, {}) end },
      { "metrics.mse", function() bundle.metrics.mse(5, 5) end },
      { "optim.adam", function() bundle.optim.adam{ zz = 1 } end },
      { "select", function() bundle.select({}, { zz = 1 }) end },
      { "candidates", function() bundle.candidates(bk, { zz = 1 }) end },
      { "json.encode", function() bundle.json.encode({ f = print }) end },
      { "orders.prepare", function() bundle.orders.prepare{ quantiy = 1 } end },
      { "sandbox.run", function() bundle.sandbox.run(5) end },
    }
    local dir = files.tmpdir()
    files.write(dir .. "/rules.csv", 'lhs,rhs\n"[""a""]","[""b\n')
    local more = {
      { "read_rules", function() bundle.read_rules(dir .. "/none.csv") end },
      { "read_rules list", function() bundle.read_rules(dir .. "/rules.csv") end },
      { "read_itemsets", function() bundle.read_itemsets(5) end },
      { "split", function() bundle.split(5, 5) end },
      { "json.write", function() bundle.json.write(5, {}) end },
      { "takerate.fit", function() bundle.takerate.fit{ bundles = { { "a", "b" }, { "a", "c" } }, train = 5 } end },
      { "select.joint", function() bundle.select.joint({}, 5) end },
      { "report.html", function() bundle.report.html(dir .. "/r.html", {}) end },
      { "optim.minimize", function() bundle.optim.minimize(5) end },
      { "preprocess", function() bundle.preprocess.standardize():fit(5) end },
      -- arguments swapped: once "attempt to call a nil value (method 'gsub')" inside pipeline.lua
      { "pipeline.write swapped", function() bundle.pipeline.write(dir .. "/out", {}) end },
      { "pipeline.write dir", function() bundle.pipeline.write({ bundles = {} }, 5) end },
    }
    for _, c in ipairs(more) do cases[#cases + 1] = c end
    for _, c in ipairs(cases) do
      local e = err(c[2])
      assert.truthy(e:find(here .. ":%d+: ") == 1, c[1] .. ": " .. e)
    end
    os.execute("rm -rf " .. dir)
  end)

  it("points at the line that called the pipeline for errors inside its stages", function()
    local dir = files.tmpdir()
    local lines = { "order,product,day" }
    for i = 1, 40 do lines[#lines + 1] = ("%d,p%d,2024-01-%02d"):format(i, i % 3, 1 + i % 28) end
    files.write(dir .. "/shop.csv", table.concat(lines, "\n") .. "\n")
    local data = { orders = dir .. "/shop.csv", basket = "order", item = "product", time = "day" }
    local function line_of(f)
      local e = err(f)
      local line = e:match("^" .. here:gsub("%p", "%%%0") .. ":(%d+): ")
      assert.truthy(line, e)
      return tonumber(line), e:gsub("^[^:]*:%d+: ", "")
    end
    -- the collect stage's bundle.orders.prepare: a column the file lacks
    local want = debug.getinfo(1, "l").currentline + 1
    local line, msg = line_of(function() bundle.pipeline{ warnings = false, data = { orders = data.orders, basket = "invoice", item = "product", time = "day" }, start = "2024-01-20" } end)
    assert.are.equal(want, line)
    assert.truthy(msg:find("^orders.prepare: basket: no column 'invoice'"), msg)
    -- an error the stage raises with no position at all (level 0): no sales before the cut
    want = debug.getinfo(1, "l").currentline + 1
    line, msg = line_of(function() bundle.pipeline{ warnings = false, data = data, start = "2023-01-01" } end)
    assert.are.equal(want, line)
    assert.truthy(msg:find("^pipeline: no sales before 2023%-01%-01"), msg)
    -- a config value checked inside a stage; and through pipeline.run
    want = debug.getinfo(1, "l").currentline + 1
    line, msg = line_of(function() bundle.pipeline.run{ warnings = false, data = data, start = "2024-01-20", config = { model = "zz" } } end)
    assert.are.equal(want, line)
    assert.truthy(msg:find("config.model must be", 1, true), msg)
    -- a stage the script gives keeps its own line
    want = debug.getinfo(1, "l").currentline + 1
    local function analyse() error("my analysis failed") end
    line, msg = line_of(function() bundle.pipeline{ warnings = false, data = data, start = "2024-01-20", stages = { analyse = analyse } } end)
    assert.are.equal(want, line)
    assert.are.equal("my analysis failed", msg)
    os.execute("rm -rf " .. dir)
  end)
end)
