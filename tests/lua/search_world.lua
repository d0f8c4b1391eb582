-- Random small worlds for the search specs: baskets (read from a FIMI
-- file), a catalogue of n items (price, cost, category, stock), and
-- brute-force counting and objectives to check the engine against.
local bundle = require "bundle"

local M = {}

-- Baskets from FIMI lines ("3 7 12"), through a temporary file.
function M.baskets_of(lines)
  local path = os.tmpname()
  local fh = io.open(path, "w")
  fh:write(table.concat(lines, "\n"), "\n")
  fh:close()
  local bk = bundle.read_baskets(path)
  os.remove(path)
  return bk
end

-- A frame from CSV lines (a header first), its item column read as text.
function M.frame_of(rows)
  local path = os.tmpname()
  local fh = io.open(path, "w")
  fh:write(table.concat(rows, "\n"), "\n")
  fh:close()
  local f = bundle.read_csv(path, { types = { item = "str" } })
  os.remove(path)
  return f
end

-- world(seed [, nitems [, nbaskets [, maxlen]]]) -> data (list of sets), baskets, catalog, info
function M.world(seed, nitems, nbaskets, maxlen)
  nitems = nitems or 8
  math.randomseed(seed)
  local data = {}
  for k = 1, nbaskets or math.random(30, 60) do
    local b = {}
    for _ = 1, math.random(1, maxlen or 5) do b[math.random(1, nitems)] = true end
    if math.random() < 0.3 then b[1], b[2] = true, true end
    data[k] = b
  end
  local lines = {}
  for k, b in ipairs(data) do
    local line = {}
    for i = 1, nitems do if b[i] then line[#line + 1] = tostring(i) end end
    lines[k] = table.concat(line, " ")
  end
  local bk = M.baskets_of(lines)
  local rows = { "item,price,cost,cat,stock" }
  local info = {}
  for i = 1, nitems do
    local p, c = math.random(1, 20), math.random(0, 5)
    info[i] = { price = p, cost = c, cat = "c" .. (i % 3), stock = math.random(0, 10) }
    rows[#rows + 1] = ("%d,%d,%d,%s,%d"):format(i, p, c, info[i].cat, info[i].stock)
  end
  local cat = bundle.catalog(M.frame_of(rows),
    { item = "item", price = "price", cost = "cost", category = "cat", stock = "stock" })
  return data, bk, cat, info
end

function M.count(data, items)
  local c = 0
  for _, b in ipairs(data) do
    local all = true
    for _, i in ipairs(items) do if not b[i] then all = false end end
    if all then c = c + 1 end
  end
  return c
end

-- Every subset of 1..n with lo to hi items, in a fixed order.
function M.subsets(n, lo, hi)
  n, lo, hi = n or 8, lo or 2, hi or 4
  local out = {}
  for mask = 1, (1 << n) - 1 do
    local s = {}
    for i = 1, n do if mask & (1 << (i - 1)) ~= 0 then s[#s + 1] = i end end
    if #s >= lo and #s <= hi then out[#out + 1] = s end
  end
  return out
end

function M.labels(s) local t = {} for i, v in ipairs(s) do t[i] = tostring(v) end return t end
function M.numbers(items) local t = {} for i, l in ipairs(items) do t[i] = tonumber(l) end return t end

local count = M.count
M.objectives = {
  support = function(data, info, s) return count(data, s) / #data end,
  lift = function(data, info, s)
    local e = 1
    for _, i in ipairs(s) do e = e * count(data, {i}) / #data end
    return e > 0 and (count(data, s) / #data) / e or 0
  end,
  min_pair_lift = function(data, info, s)
    local worst = math.huge
    for a = 1, #s do for b = a + 1, #s do
      local ca, cb = count(data, {s[a]}), count(data, {s[b]})
      local l = (ca > 0 and cb > 0) and count(data, {s[a], s[b]}) * #data / (ca * cb) or 0
      worst = math.min(worst, l)
    end end
    return worst
  end,
  revenue = function(data, info, s) local v = 0 for _, i in ipairs(s) do v = v + info[i].price end return v end,
  margin = function(data, info, s) local v = 0 for _, i in ipairs(s) do v = v + info[i].price - info[i].cost end return v end,
  expected_profit = function(data, info, s)
    local v = 0 for _, i in ipairs(s) do v = v + info[i].price - info[i].cost end
    return v * count(data, s) / #data
  end,
  inventory = function(data, info, s) local v = 0 for _, i in ipairs(s) do v = v + info[i].stock * info[i].cost end return v end,
}

function M.err(fn) local ok, e = pcall(fn); assert(not ok, "expected an error"); return (tostring(e):gsub("^[^:]*:%d+: ", "", 1)) end

return M
