#!/bin/sh
# Lua's own C loops, which the count hook cannot interrupt and memory does
# not bound: table.move over 10^11 slots, table.sort of a million values
# with the default order (each must end as the sandbox's timeout within
# timeout + 1 s in bundle.sandbox.run, which has no watchdog process), and
# string.rep of "" 2^53 times (the sandbox's answers "" at once). Past
# the limit the sandbox's allocator refuses large blocks, which stops the
# parser of a 20 MB chunk and string.upper/lower/reverse of 20 MB strings
# at their next allocation. The
# sandbox's versions must give Lua's results (overlapping moves both ways,
# rep, sort, their errors).
. "$(dirname "$0")/lib.sh"

cat >"$T/host.lua" <<'LUA'
local sb = require("bundle").sandbox
local clock = require("bundle").clock
local code = {
  move = [[ local a = {} table.move(a, 1, 1e11, 1, a) return "finished" ]],
  move_back = [[ local a = { 1 } table.move(a, 1, 1e11, 2) return "finished" ]],
  rep = [[ return "finished " .. #(""):rep(2^53) .. #string.rep("", 2^62, "") ]],
  load = [[ local f = load(("a=1 "):rep(5e6)) return "finished" ]], -- a 20 MB chunk: seconds of parsing
  strings = [[ local s = ("x"):rep(2e7) for i = 1, 1000 do s = s:upper():lower():reverse() end return "finished" ]],
  -- each == of two equal 16 MB strings is a memcmp in one instruction:
  -- 1,900 of them fit between two turns of the count hook (every 10,000
  -- instructions), seconds past the limit; the deadline's alarm
  -- (lalarm.c) stops the loop at its next instruction, in a coroutine too
  eq = [[ local s, t = ("x"):rep(2^24), ("x"):rep(2^24) local n = 0
          for i = 1, 1900 do if s == t then n = n + 1 end end return "finished" ]],
  eq_co = [[ local s, t = ("x"):rep(2^24), ("x"):rep(2^24) local n = 0
             coroutine.wrap(function() for i = 1, 1900 do if s == t then n = n + 1 end end end)() return "finished" ]],
  -- utf8.len, and load's lexer skipping blanks, are one C loop over a
  -- string: 4.5 s per 512 MB call on a loaded machine; the
  -- sandbox's versions work in 1 MiB pieces with the limit checked between
  utf8len = [[ local s = ("x"):rep(2^26) for i = 1, 160 do local n = utf8.len(s) end return "finished" ]],
  load_blank = [[ local s = (" "):rep(2^26) for i = 1, 160 do local f = load(s) end return "finished" ]],
  sort = [[ local t = {} for i = 1, 2e5 do t[i] = tostring(i * 7919 % 1000003) end
            local big = {} for k = 1, 8 do table.move(t, 1, #t, #big + 1, big) end
            table.sort(big) table.sort(big) table.sort(big) return "finished" ]],
}
local case = arg[1]
if case == "same" then
  print(sb.run([[
    local N = 200000
    local a = {} for i = 1, N do a[i] = i end
    table.move(a, 1, N, 3)                 -- overlapping, moved backwards
    assert(a[1] == 1 and a[2] == 2 and a[3] == 1 and a[N + 2] == N)
    local b = {} for i = 1, N do b[i] = i end
    table.move(b, 3, N, 1)                 -- overlapping, moved forwards
    assert(b[1] == 3 and b[N - 2] == N and b[N] == N)
    local c = table.move(b, 1, N, 1, {})   -- returns the destination
    assert(#c == N and c[1] == 3)
    assert(not pcall(table.move, {}, 1, math.maxinteger, 2)) -- Lua's wrap-around check
    assert(("ab"):rep(3, ",") == "ab,ab,ab" and (""):rep(5) == "" and ("x"):rep(0) == "" and ("x"):rep(3) == "xxx")
    assert(not pcall(string.rep, "x", 2^62)) -- too large, as Lua says
    local t = {} for i = 1, 100000 do t[i] = (i * 7919) % 100003 end
    table.sort(t)
    for i = 2, #t do assert(t[i - 1] <= t[i]) end
    local u = {} for i = 1, 100000 do u[i] = i end
    table.sort(u, function(x, y) return x > y end)
    assert(u[1] == 100000)
    local w = {} for i = 1, 70000 do w[i] = i % 2 == 0 and i or "x" end
    local ok, e = pcall(table.sort, w)
    assert(not ok and e:find("attempt to compare", 1, true))
    return "same as Lua"
  ]], { timeout = 60 }))
  return
end
local t0 = clock()
print(pcall(sb.run, code[case], { timeout = tonumber(arg[2]) or 0.5, memory = 1000 }))
print(("elapsed %.2f"):format(clock() - t0))
LUA

run "$T/host.lua" same
has "$T/out" "same as Lua" "move, rep and sort give Lua's results"
run "$T/host.lua" rep
has "$T/out" "true	finished 00" "rep of an empty string: \"\" at once"
secs=$(sed -n 's/^elapsed //p' "$T/out")
within 1.5 "  ... within 1.5 s"
for c in move move_back sort load strings eq eq_co; do
  run "$T/host.lua" "$c"
  has "$T/out" "false	sandbox.run: timeout: the script ran past its limit of 0.5 s" "$c: the timeout error"
  secs=$(sed -n 's/^elapsed //p' "$T/out")
  secs=${secs:-99}
  within 1.5 "  ... within timeout + 1 s"
  lacks "$T/out" "finished" "  ... before it finished"
done
# a long limit, so that making the 64 MB string (0.8 s on a loaded
# machine) is not what the limit stops
for c in utf8len load_blank; do
  run "$T/host.lua" "$c" 3
  has "$T/out" "false	sandbox.run: timeout: the script ran past its limit of 3.0 s" "$c: the timeout error"
  secs=$(sed -n 's/^elapsed //p' "$T/out")
  secs=${secs:-99}
  within 4 "  ... within timeout + 1 s"
done
# and Lua's answers: counts, invalid bytes, positions, errors, chunk names
cat >"$T/same.lua" <<'LUA'
local s = ("x"):rep(2^23) .. "\xe2\x82\xac" .. ("y"):rep(2^23) .. "\xf0\x9f\x98\x80" .. ("z"):rep(2^20)
local bad = s .. "\xff" .. "x"
local f = load("return " .. ("1 + "):rep(2^21) .. "1")
local t = { utf8.len(s), utf8.len(s, 5, -3), (utf8.len(s, 2^23 + 2)) }
t[#t + 1] = select(2, utf8.len(s, 2^23 + 2))
t[#t + 1] = select(2, utf8.len(bad))
t[#t + 1] = utf8.len(s, -2^20, -1, true)
t[#t + 1] = f()
t[#t + 1] = select(2, load(("x"):rep(2^22) .. " = "))
t[#t + 1] = select(2, pcall(utf8.len, s, 0))
t[#t + 1] = select(2, pcall(utf8.len, s, 1, #s + 1))
t[#t + 1] = utf8.len(s, #s + 1)
t[#t + 1] = load("return ...", nil, "t", {})(7)
for i = 1, #t do t[i] = tostring(t[i]) end
return table.concat(t, " | ")
LUA
run -e "print(dofile('$T/same.lua'))"
cp "$T/out" "$T/plain.out"
run -e "print(require('bundle').sandbox.run(io.open('$T/same.lua'):read('a'), { timeout = 100 }))"
if cmp -s "$T/out" "$T/plain.out" && grep -q "17825794 | 17825788 | 8388610 | 17825800 | 1048576" "$T/out"; then ok "long utf8.len and load give Lua's answers"; else
  bad "long utf8.len and load differ from Lua's"
  cat "$T/plain.out" "$T/out"
fi
finish
