-- Untrusted scripts: bundle.sandbox.run and bundlerun --sandbox, --timeout
-- and --max-memory, with their exit statuses (3: timeout, 4: memory).
local bundle = require "bundle"
local files = require "spec_files"
local slurp, tmpdir, write = files.slurp, files.tmpdir, files.write
local BUNDLERUN = os.getenv("BUNDLERUN") or "build/bundlerun"

-- Runs bundlerun with args and a script body; returns stdout, stderr, status.
local function run(args, script)
  local dir = tmpdir()
  write(dir .. "/s.lua", script)
  local _, _, code = os.execute(("%s %s %s/s.lua >%s/out 2>%s/err"):format(BUNDLERUN, args, dir, dir, dir))
  local out, err = slurp(dir .. "/out"), slurp(dir .. "/err")
  os.execute("rm -rf " .. dir)
  return out, err, code
end

local function fails(f, ...)
  local ok, e = pcall(f, ...)
  assert.is_false(ok)
  return tostring(e)
end

describe("bundle.sandbox.run", function()
  local sb = bundle.sandbox

  it("runs code and returns its results, with arguments", function()
    assert.are.same({ 3, "x" }, { sb.run("return 1 + 2, 'x'") })
    assert.are.equal(42, sb.run("return (...) * 2", { args = { 21 } }))
    assert.are.equal(6, sb.run("local b = require 'bundle'; return b.tensor.ones(2, 3):sum()"))
  end)

  it("hides io, os.execute, package, debug, dofile and C loaders", function()
    for _, name in ipairs{ "io", "package", "debug", "dofile", "loadfile" } do
      assert.are.equal("nil", sb.run(("return type(%s)"):format(name)), name)
    end
    for _, name in ipairs{ "execute", "remove", "rename", "exit", "getenv" } do
      assert.are.equal("nil", sb.run(("return type(os.%s)"):format(name)), name)
    end
    assert.are.equal("number", sb.run("return type(os.clock())"))
    assert.truthy(fails(sb.run, "return require 'io'"):find("require 'io' is not allowed", 1, true))
    assert.truthy(fails(sb.run, "return require 'bundle.core'"):find("require 'bundle.core' is not allowed", 1, true))
    assert.truthy(fails(sb.run, "return load('x', 'x', 'b')"):find("text chunks only", 1, true))
    assert.truthy(fails(sb.run, string.dump(function() return 1 end)):find("binary chunks are not allowed", 1, true))
    assert.is_nil(sb.run("return getmetatable('')"))        -- the real string table stays out of reach
    assert.truthy(fails(sb.run, "setmetatable({}, { __gc = function() end })"):find("__gc", 1, true))
    -- library tables are copies: changing them does not reach trusted code
    sb.run("string.rep = nil; math.floor = nil")
    assert.are.equal("xx", string.rep("x", 2))
    assert.truthy(fails(sb.run, "require('bundle').eval.backtest = nil"):find("read-only", 1, true))
    assert.are.equal("function", type(bundle.eval.backtest))
  end)

  it("stops a loop that catches its own errors, on time", function()
    local t0 = bundle.clock()
    local e = fails(sb.run, "while true do pcall(function() while true do end end) end", { timeout = 0.2 })
    assert.truthy(e:find("sandbox.run: timeout: the script ran past its limit of 0.2 s", 1, true))
    assert.is_true(bundle.clock() - t0 < 2)
    assert.are.equal(5, sb.run("return 5", { timeout = 1 })) -- no timeout left behind
  end)

  it("stops a string bomb, a giant table and a giant tensor at the memory limit", function()
    local cases = {
      "local s = string.rep('x', 200 * 1024 * 1024) return #s",
      "local t = {} for i = 1, 1e8 do t[i] = { i } end",
      "return require('bundle').tensor.zeros(8000, 8000)",
    }
    for _, code in ipairs(cases) do
      local e = fails(sb.run, code, { memory = 16 })
      assert.truthy(e:find("sandbox.run: memory: the script went past its limit of 16", 1, true), e)
    end
    collectgarbage()
    assert.are.equal(1e6, bundle.tensor.zeros(1000, 1000):numel()) -- the limit is gone afterwards
  end)

  it("lets bundle's loaders read and write only the allowed directories", function()
    local dir = tmpdir()
    write(dir .. "/a.csv", "x,y\n1,2\n3,4\n")
    local code = ("local b = require 'bundle'; local f = b.read_csv(%q); f:write_csv(%q); return f:nrows()")
      :format(dir .. "/a.csv", dir .. "/b.csv")
    assert.truthy(fails(sb.run, code):find("read_csv: sandbox: reading '" .. dir .. "/a.csv' is not allowed", 1, true))
    assert.truthy(fails(sb.run, code, { read = { dir } }):find("write_csv: sandbox: writing", 1, true))
    assert.are.equal(2, sb.run(code, { read = { dir }, write = { dir } }))
    assert.truthy(slurp(dir .. "/b.csv"):find("3,4", 1, true))
    -- ".." does not climb out of an allowed directory
    local esc = ("return require('bundle').read_csv(%q)"):format(dir .. "/../" .. dir:match("[^/]+$") .. "/../../etc/passwd")
    assert.truthy(fails(sb.run, esc, { read = { dir } }):find("is not allowed", 1, true))
    -- bundle's Lua-side readers and writers obey the same lists (regression:
    -- standardize's save/load and sandbox.run's path reading used io directly)
    write(dir .. "/sc.csv", "0,1\n1,2\n")
    local load_sc = ("return require('bundle').preprocess.load_standardize(%q).mean:get(1, 2)"):format(dir .. "/sc.csv")
    assert.truthy(fails(sb.run, load_sc):find("read_file: sandbox: reading", 1, true))
    assert.are.equal(1, sb.run(load_sc, { read = { dir } }))
    write(dir .. "/inner.lua", "return 7")
    local run_path = ("return require('bundle').sandbox.run(%q)"):format(dir .. "/inner.lua")
    assert.truthy(fails(sb.run, run_path):find("is not allowed", 1, true))
    assert.are.equal(7, sb.run(run_path, { read = { dir } }))
    -- a nested run cannot widen what its sandbox may read
    local nested = "return require('bundle').sandbox.run('return 1', { read = { '/' } })"
    assert.truthy(fails(sb.run, nested, { read = { dir } }):find("outside what this sandbox may read", 1, true))
    -- each run's limits are its own (llimits.c): an inner run with a short
    -- deadline and a narrower list neither stops nor narrows the outer one,
    -- and the host, with no limits, reads anything afterwards
    local sub = tmpdir()
    write(sub .. "/c.csv", "x\n1\n")
    local two = ([[
      local b = require 'bundle'
      local ok, e = pcall(b.sandbox.run, 'while true do end', { timeout = 0.05, read = { %q } })
      local inner_read = b.sandbox.run('return require("bundle").read_csv(%q):nrows()', { read = { %q } })
      local ok2, e2 = pcall(b.sandbox.run, 'return require("bundle").read_csv(%q)', { read = { %q } })
      local t0 = os.clock(); while os.clock() - t0 < 0.15 do end -- past the inner deadline
      return ok, e, inner_read, ok2, e2, b.read_csv(%q):nrows()
    ]]):format(sub, sub .. "/c.csv", sub, dir .. "/a.csv", sub, dir .. "/a.csv")
    local ok, e, inner_read, ok2, e2, outer_rows = sb.run(two, { timeout = 5, read = { dir, sub } })
    assert.is_false(ok)
    assert.truthy(e:find("timeout: the script ran past its limit of 0.05 s", 1, true), e)
    assert.are.equal(1, inner_read)
    assert.is_false(ok2)
    assert.truthy(e2:find("read_csv: sandbox: reading '" .. dir .. "/a.csv' is not allowed", 1, true), e2)
    assert.are.equal(2, outer_rows)
    assert.are.equal(2, bundle.read_csv(dir .. "/a.csv"):nrows())
    os.execute("rm -rf " .. sub)
    os.execute("rm -rf " .. dir)
  end)

  it("matches Lua patterns exactly as Lua's string library does", function()
    -- the sandbox's find/match/gmatch/gsub are its own (lpattern.c, stoppable
    -- by the deadline); every case here gives the same results or error
    local cases = {
      { "find", "hello world", "o w" }, { "find", "hello", "l+" }, { "find", "hello", "l", 1, true },
      { "find", "a.b", ".", 1, true }, { "find", "abc", "c", 10 }, { "find", "abc", "c", -10 }, { "find", "", "" },
      { "find", "THE (quick) fox", "%((%a+)%)" }, { "find", "THE (quick) fox", "%f[%a]%a+", 5 },
      { "find", "a\0b", "%z" }, { "find", "a\0b", "\0" }, { "find", "[x]", "[]]" }, { "find", "x^y", "^x" },
      { "match", "key = value", "^(%w+)%s*=%s*(.-)$" }, { "match", "2024-01-05", "(%d+)-(%d+)-(%d+)" },
      { "match", "hello", "()ll()" }, { "match", "  x", "^%s*()" }, { "match", "f(a(b)c)", "%b()" },
      { "match", "a-b", "[a%-]+" }, { "match", "aaab", "a-b" }, { "match", "aaa", "a-b" }, { "match", "x", "x?x?x" },
      { "match", "abcabc", "(abc)%1" }, { "match", "end$", "d$" }, { "match", "a$b", "a$b" }, { "match", "ÄB", "[^%w]+" },
      { "match", "hello", "h.-o$" }, { "match", "12ab", "^[%d]+[^%d]" }, { "match", "x", "[%a-z]" },
      { "gsub", "hello world", "o", "0" }, { "gsub", "abc", "", "-" }, { "gsub", "abc", "%w", "%0%0" },
      { "gsub", "hello world", "(%w+)", "<%1>", 1 }, { "gsub", "abc", "%w", "%%" }, { "gsub", "x = 1", "%s*=%s*", "=" },
      { "gsub", "abc", "^a", "A" }, { "gsub", "aaa", "a*", "-" }, { "gsub", "hello", "l", { l = "L" } },
      { "gsub", "abc", ".", { a = 1, b = false } },
      { "find", "a", "[a" }, { "find", "a", "%" }, { "gsub", "a", "a", "%2" }, { "find", "a", "(a" }, { "find", "a", "a)" },
      { "find", "a", "%b" }, { "find", "a", "%f" }, { "gsub", "abc", ".", "%x" }, { "match", "a", "%1" },
    }
    local function outcome(f, ...) return table.pack(pcall(f, ...)) end
    for i, c in ipairs(cases) do
      local fn, args = c[1], { table.unpack(c, 2) }
      local want = outcome(string[fn], table.unpack(args))
      if not want[1] then want[2] = tostring(want[2]):gsub("^.-:%d+: ", "") end
      local got = sb.run("local fn, args = ... local r = table.pack(pcall(string[fn], table.unpack(args)))"
                         .. " if not r[1] then r[2] = tostring(r[2]):gsub('^.-:%d+: ', '') end return r",
                         { args = { fn, args } })
      assert.are.same(want, got, ("case %d: string.%s(%s)"):format(i, fn, table.concat((function()
        local t = {} for j, a in ipairs(args) do t[j] = ("%q"):format(tostring(a)) end return t end)(), ", ")))
    end
    assert.are.same({ "aBc", 1 }, { sb.run("return ('abc'):gsub('(b)', function(c) return c:upper() end)") })
    local words = {}
    for k, v in string.gmatch("a=1, b=2", "(%w+)=(%w+)") do words[#words + 1] = k .. v end
    assert.are.same(words, sb.run([[local t = {} for k, v in string.gmatch("a=1, b=2", "(%w+)=(%w+)") do t[#t + 1] = k .. v end return t]]))
    assert.are.same({ "b", "c" }, sb.run([[local t = {} for c in ("abc"):gmatch(".", 2) do t[#t + 1] = c end return t]]))
  end)

  it("agrees with Lua's patterns on 2000 random patterns and subjects", function()
    -- seeded, so a failure repeats; random patterns are mostly malformed,
    -- which checks the errors as much as the matches
    local atoms = { "a", "b", ".", "%a", "%d", "%s", "%w", "%A", "[ab]", "[^a]", "[a-c]", "[%d_]", "(", ")", "()",
                    "%b()", "%f[%w]", "%1", "%2", "^", "$", "*", "+", "-", "?", "%", "[", "]", "%.", "[]]", "[^]]" }
    local chars = { "a", "b", "c", "(", ")", " ", "1", "_", "x", "\0", ".", "]" }
    local seed = 20261130
    local function rand(n) seed = (seed * 1103515245 + 12345) % 2147483648 return seed % n + 1 end
    local function pick(t, n) local r = {} for _ = 1, rand(n + 1) - 1 do r[#r + 1] = t[rand(#t)] end return table.concat(r) end
    local cases = {}
    for i = 1, 2000 do
      cases[i] = { ({ "find", "match", "gmatch", "gsub" })[rand(4)], pick(chars, 20), pick(atoms, 8), rand(10) - 4,
                   ({ "%0-", "%1", "<%%>", "x" })[rand(4)] }
    end
    local apply = [[
      local function apply(c)
        local fn, s, p, init, repl = c[1], c[2], c[3], c[4], c[5]
        local r
        if fn == "gmatch" then
          r = table.pack(pcall(function()
            local out, it = {}, string.gmatch(s, p, init)
            for _ = 1, 50 do
              local v = table.pack(it())
              if v[1] == nil then break end
              for j = 1, v.n do out[#out + 1] = tostring(v[j]) end
              out[#out + 1] = ";"
            end
            return table.concat(out, "|")
          end))
        elseif fn == "gsub" then r = table.pack(pcall(string.gsub, s, p, repl))
        else r = table.pack(pcall(string[fn], s, p, init)) end
        if not r[1] then r[2] = tostring(r[2]):gsub("^.-:%d+: ", "") end
        for j = 1, r.n do if r[j] == nil then r[j] = "nil" end end
        return r
      end
      local out = {}
      for i, c in ipairs(...) do out[i] = apply(c) end
      return out
    ]]
    local native = load(apply)(cases)
    local sandboxed = sb.run(apply, { args = { cases } })
    for i = 1, #cases do
      assert.are.same(native[i], sandboxed[i], ("string.%s(%q, %q, %d)"):format(table.unpack(cases[i], 1, 4)))
    end
  end)

  it("names bad arguments", function()
    assert.truthy(fails(sb.run, 42):find("expects Lua code or a path", 1, true))
    assert.truthy(fails(sb.run, "return 1", { time = 1 }):find("unknown option 'time'", 1, true))
    assert.truthy(fails(sb.run, "return 1", { timeout = -1 }):find("'timeout' must be a number of seconds > 0", 1, true))
    assert.truthy(fails(sb.run, "return 1", { memory = "lots" }):find("'memory' must be a number", 1, true))
    assert.truthy(fails(sb.run, "return 1", { read = { "/no/such/dir" } }):find("must be an existing directory", 1, true))
    assert.truthy(fails(sb.run, "/no/such/file.lua"):find("cannot open", 1, true))
    assert.truthy(fails(sb.run, "return +"):find("sandbox.run: ", 1, true))
  end)
end)

describe("bundlerun limits", function()
  it("exits 3 on --timeout, even when the script catches errors", function()
    local _, err, code = run("--timeout 0.3", "while true do pcall(function() while true do end end) end")
    assert.are.equal(3, code)
    assert.truthy(err:find("timeout: the script ran past its limit of 0.3 s", 1, true))
    assert.truthy(err:find("stopped by --timeout", 1, true))
  end)

  it("exits 4 on --max-memory for strings, tables and tensors", function()
    for _, script in ipairs{ "local s = string.rep('x', 300 * 1024 * 1024)",
                             "local t = {} for i = 1, 1e8 do t[i] = i end",
                             "local b = require 'bundle'; local x = b.tensor.zeros(10000, 10000)" } do
      local _, err, code = run("--max-memory 64", script)
      assert.are.equal(4, code, script)
      assert.truthy(err:find("stopped by --max-memory 64", 1, true), err)
    end
  end)

  it("runs a script with --sandbox: no io, and exit 1 on its errors", function()
    local out, _, code = run("--sandbox", "print(type(io), type(os.execute), type(require('bundle').tensor))")
    assert.are.equal(0, code)
    assert.are.equal("nil\tnil\ttable\n", out)
    local _, err, code2 = run("--sandbox", "io.write('x')")
    assert.are.equal(1, code2)
    assert.truthy(err:find("attempt to index a nil value (global 'io')", 1, true))
    local _, err3, code3 = run("--sandbox -l os", "")
    assert.are.equal(1, code3)
    assert.truthy(err3:find("cannot be combined with -l", 1, true))
  end)

  it("rejects bad limit values", function()
    local _, err, code = run("--timeout soon", "")
    assert.are.equal(1, code)
    assert.truthy(err:find("--timeout needs a positive number, got 'soon'", 1, true))
    _, err, code = run("--allow-read /no/such/dir --sandbox", "")
    assert.are.equal(1, code)
    assert.truthy(err:find("--allow-read /no/such/dir", 1, true))
  end)
end)

-- A script's error text crosses to its host (sandbox.run's caller, or
-- bundlerun's report under --sandbox) cut to 4 KiB, with the number of
-- bytes cut: a script could otherwise make its host copy a gigabyte.
describe("a sandboxed script's error text", function()
  local cut_marker = "\u{2026} %((%d+) bytes cut%)$"

  it("is kept whole up to 4096 bytes", function()
    local e = fails(bundle.sandbox.run, "error(('x'):rep(4096), 0)")
    assert.are.equal("sandbox.run: " .. ("x"):rep(4096), e)
  end)

  it("is cut past 4096 bytes, saying how much was cut", function()
    local e = fails(bundle.sandbox.run, "error(('y'):rep(50 * 1024 * 1024), 0)")
    assert.are.equal(#"sandbox.run: " + 4096 + #" (52424704 bytes cut)" + 3, #e)
    assert.are.equal("sandbox.run: " .. ("y"):rep(4096), e:sub(1, #"sandbox.run: " + 4096))
    assert.are.equal("52424704", e:match(cut_marker))
  end)

  it("is cut at a character boundary", function()
    -- 'é' is 2 bytes: byte 4096 is the first byte of the 2049th, so the cut
    -- keeps 4096 bytes; shifted by one byte, it backs off to 4095
    local e = fails(bundle.sandbox.run, "error(('\u{e9}'):rep(3000), 0)")
    assert.are.equal(("\u{e9}"):rep(2048), e:sub(#"sandbox.run: " + 1, #"sandbox.run: " + 4096))
    assert.are.equal("1904", e:match(cut_marker))
    e = fails(bundle.sandbox.run, "error('a' .. ('\u{e9}'):rep(3000), 0)")
    assert.are.equal("a" .. ("\u{e9}"):rep(2047), e:sub(#"sandbox.run: " + 1, #"sandbox.run: " + 4095))
    assert.are.equal("1906", e:match(cut_marker))
    assert.is_not_nil(utf8.len(e))
  end)

  it("is cut under bundlerun --sandbox, before the traceback", function()
    local out, err, code = run("--sandbox", "error(('z'):rep(10 * 1024 * 1024), 0)")
    assert.are.equal(1, code)
    assert.are.equal("", out)
    assert.truthy(#err < 6000, #err)
    assert.truthy(err:find("\u{2026} (10481664 bytes cut)", 1, true), err:sub(-300))
    assert.truthy(err:find("stack traceback", 1, true))
  end)
end)
