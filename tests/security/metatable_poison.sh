#!/bin/sh
# Nothing a sandboxed script does can leave code in the host: it has its
# own state (its own metatables), and only plain data comes back.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/d"
printf 'TOPSECRET,1\n2,3\n' > "$T/d/secret.csv"
cat > "$T/host.lua" <<LUA
local b = require "bundle"
local sb = b.sandbox
local function fails(code, opts)
  local ok, e = pcall(sb.run, code, opts)
  assert(not ok, "ran: " .. code)
  return e
end
local function check(cond, what) print((cond and "held: " or "BROKEN: ") .. what) end

-- metatable poisoning: the sandbox's standardize is not ours
local scaler = b.preprocess.standardize()
local mt = getmetatable(scaler)
local before = {}
for k, v in pairs(mt) do before[k] = v end
local ok = pcall(sb.run, [[
  local b = require "bundle"
  local mt = getmetatable(b.preprocess.standardize())
  for k in pairs(mt) do mt[k] = function() PWNED = true; while true do end end end
  mt.transform = function() PWNED = true end
  string.rep = function() while true do end end
  return true
]])
check(ok, "the poisoning script itself ran")
local same = true
for k, v in pairs(mt) do same = same and before[k] == v end
for k, v in pairs(before) do same = same and mt[k] == v end
check(same, "the host's Standardize metatable is unchanged")
check(("x"):rep(3) == "xxx" and string.rep("y", 2) == "yy", "the host's string.rep is unchanged")
check(PWNED == nil, "no global set in the host")

-- values that could run code in the host never cross
local e = fails("return setmetatable({}, { __index = function() while true do end end })")
check(e:find("result[1] has a metatable", 1, true), "a table with a metatable: " .. e)
e = fails("return { x = { 1, 2, function() end } }")
check(e:find("result[1].x[3] is a function", 1, true), "a nested function, named by path: " .. e)
e = fails("return 1, coroutine.create(print)")
check(e:find("result[2] is a thread", 1, true), "a thread: " .. e)
-- bundle's value objects cross as fresh handles owned by the host: a
-- tensor's numbers and a frame's rows are copied; the copy has the host's
-- own metatable (the sandbox's getmetatable shows it none), and closing
-- it leaves the host's other values alone
local tt = sb.run([[
  local T = require('bundle').tensor
  local t = T.ones(2)
  assert(getmetatable(t) == nil)
  return { t = t, u = t * 3 }, t
]])
check(getmetatable(tt.t) == getmetatable(require('bundle').tensor.ones(1)), "a returned tensor gets the host's Tensor metatable")
check(tt.t:sum() == 2 and tt.u:sum() == 6 and PWNED == nil, "a returned tensor is a copy with its numbers: " .. tostring(tt.t))
tt.t:close()
check(tt.u:sum() == 6, "closing one returned tensor leaves the others")
local host_t = require('bundle').tensor.ones(3)
local back = sb.run("local t = ... ; local s = t:sum(); t:close() return s", { args = { host_t } })
check(back == 3 and host_t:sum() == 3, "an argument tensor crosses as a copy: closing it inside leaves the host's")
local host_f = require('bundle').tensor.from({ { 1, 2 }, { 3, 4 } })
local fr = sb.run("local t = ... ; return require('bundle').split and t", { args = { host_f } })
check(fr:sum() == 10, "a tensor argument returned comes back as a second copy")
local csv = "$T/d/plain.csv"
local fh = assert(io.open(csv, "w")) fh:write("a,b\n1,x\n2,y\n") fh:close()
local got = sb.run(("return require('bundle').read_csv(%q)"):format(csv), { read = { "$T/d" } })
check(got:nrows() == 2 and got:col("b"):totable()[2] == "y", "a frame crosses as a copy of its rows")
e = fails("return require('bundle').tensor.ones(4e6)", { memory = 16 })
check(e:find("memory", 1, true), "a big tensor result within a small memory limit fails: " .. e)
e = fails("local t = require('bundle').tensor.ones(2) t:close() return t")
check(e:find("result[1] is a closed Tensor", 1, true), "a closed tensor: " .. e)
e = fails("return { b = require('bundle').catalog }")
check(e:find("result[1].b is a function", 1, true), "a function of bundle's: " .. e)
e = fails("local t = {} t.t = t return t")
check(e:find("deeper than 64 levels", 1, true), "a cycle: " .. e)
e = fails("return { [{}] = 1 }")
check(e:find("key that is not", 1, true), "a table key: " .. e)
e = fails("return 1", { args = { { f = print } } })
check(e:find("args[1].f is a function", 1, true), "a function argument: " .. e)
-- error objects: copied as strings, never through __tostring
e = fails("error(setmetatable({}, { __tostring = function() while true do end end }))")
check(e:find("error object is a table value", 1, true), "an error object with __tostring: " .. e)
-- plain data does cross, deep-copied
local r = sb.run("local t = ... ; t.x[1] = 99 return { a = { 1, 'two', true, { 3.5 } } }", { args = { { x = { 1 } } } })
check(r.a[2] == "two" and r.a[4][1] == 3.5 and getmetatable(r) == nil, "plain tables come back")

-- load_standardize's message names the place, not the file's text
e = fails(("return require('bundle').preprocess.load_standardize(%q)"):format("$T/d/secret.csv"), { read = { "$T/d" } })
check(not e:find("TOPSECRET", 1, true), "a bad file's text is not echoed: " .. e)
LUA
run --timeout 20 "$T/host.lua"
expect_rc 0 "the host script finished"
cat "$T/out"
lacks "$T/out" "BROKEN" "every check held"
has "$T/out" "held: plain tables come back" "the checks ran to the end"
finish
