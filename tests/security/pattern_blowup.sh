#!/bin/sh
# A backtracking Lua pattern is one long C call; the sandbox's own
# string.find/match/gmatch/gsub check the deadline as they backtrack, so
# the script stops itself (the timeout error, not the watchdog's kill).
. "$(dirname "$0")/lib.sh"
bomb='("a"):rep(40):find(("a*"):rep(40) .. "b")'
run --sandbox --timeout 1 -e "print($bomb)"
expect_rc 3 "--sandbox --timeout 1: string.find blow-up stops"
within 2 "  ... within timeout + 1 s"
has "$T/err" "timeout: the script ran past its limit of 1 s" "  ... stopped by the deadline check inside the matcher"
lacks "$T/err" "process was killed" "  ... not by the watchdog"

cat > "$T/host.lua" <<'LUA'
local sb = require("bundle").sandbox
local s, p = '("a"):rep(40)', '(("a*"):rep(40) .. "b")'
for _, code in ipairs{
  "return " .. s .. ":find(" .. p .. ")",
  "return string.match(" .. s .. ", " .. p .. ")",
  "for m in string.gmatch(" .. s .. ", " .. p .. ") do end",
  "return (" .. s .. "):gsub(" .. p .. ", 'x')",
  "return pcall(string.find, " .. s .. ", " .. p .. ")", -- pcall cannot keep it going
} do
  local t0 = os.time()
  local ok, e = pcall(sb.run, code, { timeout = 0.3 })
  print(ok, e)
end
-- ordinary patterns still behave as Lua's
print(sb.run([[return ("key = value"):match("^(%w+)%s*=%s*(.-)$"), ("a,b,,c"):gsub(",", ";"),
                 ("THE (quick) fox"):find("%((%a+)%)"), ("hello"):find("l", 1, true), ("x"):rep(3, "-")]]))
LUA
run --timeout 10 "$T/host.lua"
expect_rc 0 "sandbox.run: five blow-ups returned"
within 4 "  ... each within its 0.3 s limit (+ start-up)"
n=$(grep -c "^false	sandbox.run: timeout: the script ran past its limit of 0.3 s" "$T/out")
[ "$n" -eq 5 ] && ok "  ... all five as timeouts" || { bad "  ... $n of 5 were timeouts"; cat "$T/out"; }
has "$T/out" "key	a;b;;c	5	3	x-x-x" "ordinary patterns give Lua's results"
finish
