-- Progress on stderr: a pipeline run with `bundlerun --progress` through a
-- pipe prints a line per stage start and end with its time; without it,
-- nothing. bundle.progress draws a bar in place (terminal mode) only once
-- the work has run past its delay.
local bundle = require "bundle"
local files = require "spec_files"

local BUNDLERUN = os.getenv("BUNDLERUN") or "build/bundlerun"

local function run(cmd)
  local dir = files.tmpdir()
  local _, _, code = os.execute(cmd .. " >" .. dir .. "/out 2>" .. dir .. "/err")
  local out, err = files.slurp(dir .. "/out"), files.slurp(dir .. "/err")
  os.execute("rm -rf " .. dir)
  return out, err, code
end

-- stderr replaced by a recorder while f runs
local function captured(f)
  local real, got = io.stderr, {}
  io.stderr = { write = function(self, ...) for _, s in ipairs{ ... } do got[#got + 1] = s end return self end }
  local ok, e = pcall(f)
  io.stderr = real
  assert(ok, e)
  return table.concat(got)
end

describe("progress", function()
  it("prints a line per pipeline stage with --progress through a pipe, and nothing without", function()
    local dir = files.tmpdir()
    local lines = { "order,product,day" }
    for i = 1, 300 do lines[#lines + 1] = ("%d,p%d,2024-%02d-%02d"):format(i // 3, (i * 7) % 11, 1 + (i // 60) % 5, 1 + i % 28) end
    files.write(dir .. "/shop.csv", table.concat(lines, "\n") .. "\n")
    files.write(dir .. "/run.lua", ([[
      local bundle = require "bundle"
      local ctx = bundle.pipeline{ data = { orders = %q, basket = "order", item = "product", time = "day" },
        start = "2024-04-01", rounds = 1, warnings = false,
        config = { model = false, customers = 300, calibration_bundles = 20, bandit_rounds = 1 } }
      print(#ctx.bundles > 0)]]):format(dir .. "/shop.csv"))
    local out, err, code = run(BUNDLERUN .. " --progress " .. dir .. "/run.lua")
    assert.are.equal(0, code, err)
    assert.are.equal("true\n", out)
    for k, stage in ipairs{ "collect", "analyse", "generate", "evaluate", "adjust" } do
      assert.truthy(err:find(("pipeline [%d/5] round 1/1 %s ...\n"):format(k, stage), 1, true), err)
      assert.truthy(err:find(("pipeline %%[%d/5%%] round 1/1 %s done in %%d+%%.%%d s\n"):format(k, stage)), err)
    end
    assert.truthy(err:find("[round 1/1] collect: train ", 1, true), err) -- the stages' own notes too
    assert.truthy(err:find("pipeline finished 5/5 in [%d.]+ s\n$"), err)
    -- no flag, stderr not a terminal: quiet
    out, err, code = run(BUNDLERUN .. " " .. dir .. "/run.lua")
    assert.are.equal(0, code, err)
    assert.are.equal("true\n", out)
    assert.are.equal("", err)
    -- the flag reaches a sandboxed script too
    out = run(BUNDLERUN .. " --sandbox --progress -e 'print(require(\"bundle\").progress(\"x\", 1).mode)'")
    assert.are.equal("lines\n", out)
    out = run("BUNDLE_PROGRESS=0 " .. BUNDLERUN .. " -e 'print(require(\"bundle\").progress(\"x\", 1).mode)'")
    assert.are.equal("false\n", out)
    os.execute("rm -rf " .. dir)
  end)

  it("draws a bar in place past its delay, and none before", function()
    local delay = bundle.progress.delay
    -- quick work: nothing drawn
    local text = captured(function()
      local bar = bundle.progress("fit", 2, { mode = "bar" })
      bar:start("a"); bar:done(); bar:start("b"); bar:done(); bar:finish()
    end)
    assert.are.equal("", text)
    bundle.progress.delay = 0
    text = captured(function()
      local bar = bundle.progress("fit", 4, { mode = "bar" })
      bar:start("one"); bar:done()
      bar:say("a note")
      bar:start("two"); bar:done(); bar:done(2)
      bar:finish()
    end)
    bundle.progress.delay = delay
    assert.truthy(text:find("\r\27[Kfit [------------------------]   0% 0/4 one  0.0 s", 1, true), text)
    assert.truthy(text:find("\r\27[Kfit [######------------------]  25% 1/4 one  0.0 s", 1, true), text)
    assert.truthy(text:find("\r\27[Ka note\n\r\27[Kfit [######", 1, true), text)
    local tail = "\r\27[Kfit [########################] 100% 4/4  0.0 s\n"
    assert.are.equal(tail, text:sub(-#tail))
  end)

  it("redraws the bar's clock from inside a long C call, until told to stop", function()
    -- the core's deadline polls call the tick: a 9M-value fill polls every 2^18 values
    local dir = files.tmpdir()
    files.write(dir .. "/tick.lua", [[
      local core = require "bundle.core"
      core.progress_tick("fit [---] 0/3 step", core.clock())
      local a = core.tensor.ones(3000, 3000)
      core.progress_tick(nil)
      io.stderr:write("|stopped|")
      a = core.tensor.ones(3000, 3000)]])
    local _, err, code = run(BUNDLERUN .. " " .. dir .. "/tick.lua")
    assert.are.equal(0, code, err)
    local head = "\r\27[Kfit [---] 0/3 step  0.0 s"
    assert.are.equal(head, err:sub(1, #head))
    assert.are.equal("|stopped|", err:sub(-9)) -- nothing after the stop
    os.execute("rm -rf " .. dir)
  end)

  it("says nothing when off, and checks its arguments", function()
    assert.are.equal("", captured(function()
      local bar = bundle.progress("x", 1, { mode = false })
      bar:start("a"); bar:say("hidden"); bar:done(); bar:finish()
    end))
    local here = debug.getinfo(1, "S").short_src
    for _, c in ipairs{
      { function() bundle.progress(5, 1) end, "progress: label must be a string" },
      { function() bundle.progress("x", 0) end, "progress: total must be a positive integer" },
      { function() bundle.progress("x", 1, { mode = "loud" }) end, "progress: mode must be true, false, \"bar\" or \"lines\", got loud" },
      { function() bundle.progress("x", 1, { colour = 1 }) end, "progress: unknown option 'colour' (mode)" },
      { function() bundle.pipeline{ data = {}, progress = "loud" } end, "pipeline: progress must be true, false, \"bar\" or \"lines\", got loud" },
    } do
      local ok, e = pcall(c[1])
      assert.is_false(ok)
      assert.are.equal(here, e:match("^(.-):%d+: "), e)
      assert.truthy(e:find(c[2], 1, true), e)
    end
  end)
end)
