-- Synthetic order lines for the MPI benchmark: `lua5.4 gen.lua LINES PATH [SEED]`.
-- order,item,quantity; orders numbered in file order (each order's lines
-- together, as a shop's export writes them), 1 to 19 lines each (mean 10),
-- items I1..I20000 drawn with Zipf(1) popularity (I1 the most popular),
-- quantity 1..3. Deterministic for a seed (its own LCG, not math.random,
-- so every Lua gives the same file).
local lines = math.tointeger(tonumber(arg[1])) or error("usage: gen.lua LINES PATH [SEED]")
local path = arg[2] or error("usage: gen.lua LINES PATH [SEED]")
local seed = math.tointeger(tonumber(arg[3] or "1"))
local NITEMS = 20000
local state = seed
local function rnd() -- 31-bit LCG (glibc's constants), a fraction in [0, 1)
  state = (state * 1103515245 + 12345) % 2147483648
  return state / 2147483648
end
-- inverse CDF of Zipf(1) on a 65536-step grid: item = cdf_at[floor(u * 65536)]
local H = 0
for i = 1, NITEMS do H = H + 1 / i end
local grid, STEPS = {}, 65536
local acc, item = 0, 1
for s = 0, STEPS - 1 do
  local u = (s + 0.5) / STEPS
  while item < NITEMS and acc + 1 / (item * H) < u do
    acc = acc + 1 / (item * H)
    item = item + 1
  end
  grid[s] = item
end
local f = assert(io.open(path, "w"))
f:write("order,item,quantity\n")
local buf, n, written, order = {}, 0, 0, 0
while written < lines do
  order = order + 1
  local k = 1 + math.floor(rnd() * 19)
  for _ = 1, k do
    if written == lines then break end
    local u = rnd()
    local it = grid[math.floor(u * STEPS)]
    if it >= 200 then it = it + math.floor(rnd() * 200) end -- spread the long tail over the grid's steps
    if it > NITEMS then it = NITEMS end
    n = n + 1
    buf[n] = order .. ",I" .. it .. "," .. (1 + math.floor(rnd() * 3)) .. "\n"
    written = written + 1
    if n == 4096 then
      f:write(table.concat(buf))
      buf, n = {}, 0
    end
  end
end
f:write(table.concat(buf, "", 1, n))
f:close()
io.stderr:write(("gen: %d lines, %d orders -> %s\n"):format(written, order, path))
