-- The bundlerun command: lua-compatible arguments, -e, stdin, errors with
-- tracebacks and exit statuses, and require "bundle" with no environment.
local BUNDLERUN = os.getenv("BUNDLERUN") or "build/bundlerun"

local function tmpfile(content)
  local name = os.tmpname()
  local f = assert(io.open(name, "w"))
  f:write(content)
  f:close()
  return name
end

-- Runs a shell command; returns stdout, stderr, exit status.
local function run(cmd, stdin)
  local out, err = os.tmpname(), os.tmpname()
  local full = cmd .. " >" .. out .. " 2>" .. err
  if stdin then
    local inp = tmpfile(stdin)
    full = full .. " <" .. inp
  end
  local _, _, code = os.execute(full)
  local function slurp(n)
    local f = io.open(n)
    local s = f:read("a")
    f:close()
    os.remove(n)
    return s
  end
  return slurp(out), slurp(err), code
end

describe("bundlerun", function()
  it("passes arg and ... to the script as lua does", function()
    local script = tmpfile([[
      print(arg[0] ~= nil, arg[1], arg[2], select("#", ...), (...))
      print(arg[-1] ~= nil)
    ]])
    local out, _, code = run(BUNDLERUN .. " " .. script .. " alpha beta")
    assert.are.equal(0, code)
    assert.are.equal("true\talpha\tbeta\t2\talpha\ntrue\n", out)
    os.remove(script)
  end)

  it("runs -e code, then reads a script from stdin with -", function()
    local out, _, code = run(BUNDLERUN .. " -e 'x = 40' -", "print(x + 2)")
    assert.are.equal(0, code)
    assert.are.equal("42\n", out)
  end)

  it("runs stdin when given no arguments and stdin is not a terminal", function()
    local out, _, code = run(BUNDLERUN, "print(require('bundle').version)")
    assert.are.equal(0, code)
    assert.are.equal("0.1.0\n", out)
  end)

  it("finds require 'bundle' with no LUA_PATH or LUA_CPATH", function()
    local out, _, code = run("env -u LUA_PATH -u LUA_CPATH " .. BUNDLERUN ..
      " -e 'local T = require(\"bundle\").tensor; print(T.eye(3):matmul(T.ones(3, 2)):sum())'")
    assert.are.equal(0, code)
    assert.are.equal("6.0\n", out)
  end)

  it("reports a runtime error with file:line, a traceback and status 1", function()
    local script = tmpfile("local x = 1\n\nerror('boom')\n")
    local _, err, code = run(BUNDLERUN .. " " .. script)
    assert.are.equal(1, code)
    assert.truthy(err:find(script .. ":3: boom", 1, true))
    assert.truthy(err:find("stack traceback:", 1, true))
    os.remove(script)
  end)

  it("reports an error raised by the library at the script's line", function()
    local script = tmpfile("local T = require('bundle').tensor\nlocal a = T.ones(3, 4)\nlocal c = a:matmul(T.ones(5, 2))\n")
    local _, err, code = run(BUNDLERUN .. " " .. script)
    assert.are.equal(1, code)
    assert.truthy(err:find(script .. ":3: matmul: shapes {3,4} and {5,2} do not match", 1, true))
    os.remove(script)
  end)

  it("names the file and line of a syntax error", function()
    local script = tmpfile("local a = 1\nlocal = 2\n")
    local _, err, code = run(BUNDLERUN .. " " .. script)
    assert.are.equal(1, code)
    assert.truthy(err:find(script .. ":2:", 1, true))
    os.remove(script)
  end)

  it("fails cleanly on a missing script and an unknown option", function()
    local _, err, code = run(BUNDLERUN .. " /nonexistent/script.lua")
    assert.are.equal(1, code)
    assert.truthy(err:find("cannot open /nonexistent/script.lua", 1, true))
    _, err, code = run(BUNDLERUN .. " --frobnicate")
    assert.are.equal(1, code)
    assert.truthy(err:find("unrecognized option '--frobnicate'", 1, true))
  end)

  it("passes os.exit statuses through and prints non-string errors", function()
    local _, _, code = run(BUNDLERUN .. " -e 'os.exit(3)'")
    assert.are.equal(3, code)
    local _, err, code2 = run(BUNDLERUN .. " -e 'error({})'")
    assert.are.equal(1, code2)
    assert.truthy(err:find("(error object is a table value)", 1, true))
  end)

  it("prints --version and --help", function()
    local out, _, code = run(BUNDLERUN .. " --version")
    assert.are.equal(0, code)
    assert.truthy(out:find("^bundlerun 0%.1%.0 %(Lua 5%.4"))
    out, _, code = run(BUNDLERUN .. " --help")
    assert.are.equal(0, code)
    assert.truthy(out:find("usage:", 1, true))
  end)

  it("runs an interactive prompt with -i, printing expression values", function()
    local out, err, code = run(BUNDLERUN .. " -i", "1 + 1\nlocal t = {\n}\nprint('done')\nerror('x')\n")
    assert.are.equal(0, code)
    assert.truthy(out:find("2\n", 1, true))
    assert.truthy(out:find("done\n", 1, true))
    assert.truthy(err:find("stdin:1: x", 1, true))
  end)

  it("shortens OpenBLAS's idle polling unless the user chose a value", function()
    -- the re-execution keeps argv as given: arg[0] is still the path we ran
    local out = run("env -u OPENBLAS_THREAD_TIMEOUT " .. BUNDLERUN .. " -e 'print(os.getenv(\"OPENBLAS_THREAD_TIMEOUT\"), arg[0])'")
    assert.are.equal("22\t" .. BUNDLERUN .. "\n", out)
    out = run("OPENBLAS_THREAD_TIMEOUT=28 " .. BUNDLERUN .. " -e 'print(os.getenv(\"OPENBLAS_THREAD_TIMEOUT\"))'")
    assert.are.equal("28\n", out)
  end)

  it("runs the seed example: the network, the rank-deficient fit and the ridge line", function()
    local out, err, code = run(BUNDLERUN .. " examples/seed_mlp.lua")
    assert.are.equal(0, code, err)
    assert.truthy(out:find("mlp predicts [%-%d%.]+ for %(5, 10, 15%)"))
    assert.truthy(out:find("rank deficient (rank 1 of 3 columns)", 1, true))
    assert.truthy(out:find("linear predicts 300.00 for (5, 10, 15)", 1, true))
    -- the seed's network has not converged: a warning, and the fix that converges
    assert.truthy(err:find("bundlerun: warning: mlp: fit did not converge: the training loss was still falling", 1, true), err)
    assert.truthy(out:find("mlp did not converge: the training loss was still falling", 1, true), out)
    assert.truthy(out:find("standardised y, lr 1e-2, 500 epochs: converged true", 1, true), out)
    assert.truthy(out:find("predicts 30[0-9]%.%d%d for %(5, 10, 15%)"), out)
  end)
end)
