-- Driven by slow_c_calls.sh: table.concat and string.format on inputs long
-- enough for the sandbox to cut them in pieces (more than 4096 values or
-- arguments), with separators, ranges, metamethods, %% and %q next to the
-- cuts, and errors in later pieces. Prints one digest line per call; run
-- plainly (Lua's own functions) and in sandbox.run, the lines must match.
local out = {}
local function add(...) local t = table.pack(pcall(...)) for i = 1, t.n do t[i] = tostring(t[i]) end out[#out+1] = table.concat(t, ",", 1, t.n) end
local function h(s) if type(s) ~= "string" then return tostring(s) end local x = 0 for i = 1, #s, 997 do x = (x * 31 + s:byte(i)) % 2^32 end return #s .. ":" .. x .. ":" .. s:sub(1, 30) .. s:sub(-30) end
local function addh(f, ...) local t = table.pack(pcall(f, ...)) out[#out+1] = tostring(t[1]) .. "," .. h(t[2]) end
local nums = {} for i = 1, 10000 do nums[i] = i % 7 == 0 and i + 0.25 or i end
addh(table.concat, nums)
addh(table.concat, nums, ", ")
addh(table.concat, nums, "--", 3, 9000)
addh(table.concat, nums, "--", 4097, 8193)
addh(table.concat, nums, "", 1, 4097)
addh(table.concat, nums, "x", 9000, 10)
local bad = {} for i = 1, 9000 do bad[i] = "a" end bad[8500] = {}
add(table.concat, bad)
add(table.concat, nums, ",", 1, 10001)
local prox = setmetatable({}, { __index = function(_, k) return "k" .. k end, __len = function() return 9999 end })
addh(table.concat, prox, ";")
local f = ("%d|%5.2f|%%|%s %%%q "):rep(3000)
local args = {} for i = 1, 12000 do local m = i % 4 args[i] = m == 1 and i or m == 2 and i / 3 or m == 3 and ("s" .. i) or i end
addh(string.format, f, table.unpack(args))
add(string.format, f, table.unpack(args, 1, 11000))
local args2 = { table.unpack(args) } args2[9001] = "notnum"
add(string.format, f, table.unpack(args2))
addh(string.format, ("%g"):rep(5000) .. "tail%%", table.unpack(nums, 1, 5000))
addh(function(...) return ("%s,"):rep(5000):format(...) end, table.unpack(nums, 1, 5000))
add(function(...) return ("%d,"):rep(5000):format(...) end, table.unpack(args2, 8000, 13000))
addh(string.format, ("%5s%%"):rep(4100) .. "%", table.unpack(nums, 1, 4100))
-- utf8.offset walking more than 2^20 characters of a string of 4 MiB or more
local u = ("a\u{e9}\u{20ac}\u{1f600}"):rep(2^20) -- 10 MiB, 4M characters of 1 to 4 bytes
for _, a in ipairs({ { 3000001 }, { 4194304 }, { 4194305 }, { 4194306 }, { -3000000 }, { -4194304 }, { -4194305 },
                     { 2000000, 11 }, { -2000000, 5000001 }, { -2000000, 5000000 }, { 2000000, 3 }, { 2 ^ 21, #u + 2 },
                     { 1048577 }, { 1048578 }, { -1048576 }, { -1048577 } }) do
  add(utf8.offset, u, table.unpack(a))
end
for _, l in ipairs(out) do print(l) end
