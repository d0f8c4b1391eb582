#!/bin/sh
# Lua library calls that run for seconds in one C call with no allocation
# for the time limit to refuse and no instruction for the hook:
# string.format's %q of 128 MB of control bytes (13.6 s: a sprintf per
# byte, and the last third of the output written with no allocation) and
# string.unpack / packsize over a 256 MB format of "x" (2.3 s of CPU). The
# sandbox quotes a long %q argument in pieces with the time limit checked
# between them (the text is Lua's), and refuses pack formats over 64 KiB.
. "$(dirname "$0")/lib.sh"
run_box "local s = ('\1'):rep(2^26) while true do local q = ('%q'):format(s) end" "{ timeout = 1.5, memory = 1500 }"
expect_rc 0 "sandbox.run: %q of 64 MB of control bytes in a loop"
has "$T/out" "host	false	sandbox.run: timeout: the script ran past its limit of 1.5 s" "  ... stops as the timeout"
within 2.5 "  ... within timeout + 1 s"

# numbers turned into text, a microsecond each: table.concat of 2M floats,
# format with 2^19 arguments of '%99.99f'
run_box "local t = {} for i = 1, 2^21 do t[i] = i + 0.5 end while true do local s = table.concat(t, ',') end" \
  "{ timeout = 1.5, memory = 1500 }"
has "$T/out" "host	false	sandbox.run: timeout: the script ran past its limit of 1.5 s" "sandbox.run: table.concat of 2M floats in a loop stops as the timeout"
within 2.5 "  ... within timeout + 1 s"
run_box "local t = {} for i = 1, 2^19 do t[i] = 1e308 end
local f = ('%99.99f'):rep(2^19) while true do local s = f:format(table.unpack(t)) end" "{ timeout = 1.5, memory = 1500 }"
has "$T/out" "host	false	sandbox.run: timeout: the script ran past its limit of 1.5 s" "sandbox.run: format of 2^19 '%99.99f' in a loop stops as the timeout"
within 2.5 "  ... within timeout + 1 s"

# load with a reader function: the lexer works through each piece it is
# given in one C call (a 256 MB comment: 0.3 s of CPU); long pieces go in
# 1 MiB at a time
run_box "local c = '--[[' .. ('x'):rep(2^27) .. ']] return 1'
while true do local given = false load(function() if given then return nil end given = true return c end) end" \
  "{ timeout = 1.5, memory = 1500 }"
has "$T/out" "host	false	sandbox.run: timeout: the script ran past its limit of 1.5 s" "sandbox.run: load of 128 MB pieces in a loop stops as the timeout"
within 2.5 "  ... within timeout + 1 s"
run_box "local c = '--[[' .. ('x'):rep(2^22) .. ']] return ...'
local given = false
local f = assert(load(function() if given then return nil end given = true return c end))
local src = 'local t = {} ' .. ('t[#t+1] = 1 '):rep(2^18) .. ' return #t'
local k = 0
local g = assert(load(function() k = k + 1 return k == 1 and src or nil end))
local j = 0
local e = select(2, load(function() j = j + 1 return j == 1 and ('x'):rep(2^21) .. ' +' or nil end))
return f(42), g(), e" "{ timeout = 30 }"
has "$T/out" "host	true	42	262144	(load):1: syntax error near '+'" "load of long pieces from a reader: Lua's chunks and errors"

# cut in pieces, the results and errors are Lua's
same=$(dirname "$0")/slow_c_calls_same.lua
run --timeout 60 "$same"
sed 's/^\(false,\)[^ ]*:[0-9]*: /\1/' "$T/out" >"$T/plain"
run --timeout 60 -e "local b = require 'bundle'
assert(b.sandbox.run('$same', { timeout = 50, read = { '$(dirname "$same")' } }))"
sed 's/^\(false,\)[^ ]*:[0-9]*: /\1/' "$T/out" >"$T/boxed"
if [ -s "$T/plain" ] && cmp -s "$T/plain" "$T/boxed"; then ok "table.concat and format in pieces: $(wc -l <"$T/plain") results and errors as Lua's"; else
  bad "table.concat and format in pieces differ from Lua's"
  diff "$T/plain" "$T/boxed" | head -n 10
fi

# the same text as Lua's own %q, with pieces cut next to digits after
# control bytes (Lua writes "\0" before a non-digit, "\000" before a digit)
run --timeout 60 -e "local b = require 'bundle'
local gen = [[
  local parts = { '\0', '1', '\1', '9', 'a', '\"', '\\\\', '\n', '\r', '\255', '\127', 'x', '0\0' }
  local t, x = {}, 7
  for i = 1, 3 * 2^20 + 17 do x = (x * 1103515245 + 12345) % 2^31 t[i] = parts[x % #parts + 1] end
  return table.concat(t)
]]
local s = load(gen)()
local fmt = '<%q|%5.1f|%q|%%|%s|%q>'
local mine = b.sandbox.run(gen .. ':gsub(\"^\", \"\")', {}) -- the same s, made in the sandbox
assert(mine == s)
local want = fmt:format(s, 1.25, s:sub(1, 10), 'end', 42)
local got = b.sandbox.run('local s = ... return (' .. ('%q'):format(fmt) .. '):format(s, 1.25, s:sub(1, 10), \"end\", 42)', { args = { s } })
print('same', #got, got == want, load('return ' .. got:sub(2, #got - 1):match('^(.-)|'))() == s)"
has "$T/out" "same" "sandbox's %q of a 3 MB string: ran"
has "$T/out" "true	true" "  ... the same text as Lua's %q, and it reads back as the string"

run_box "local ok, e = pcall(string.unpack, ('x'):rep(2^16 + 1), '')
return ok, e, #string.pack(('x'):rep(2^16)), string.packsize('i4i8')" "{ timeout = 5 }"
has "$T/out" "host	true	false	bad argument #1 to 'string.unpack' (format of 65537 bytes; the sandbox allows at most 65536)	65536	12" \
  "pack formats over 64 KiB are refused, with the reason; shorter ones are Lua's"
finish
