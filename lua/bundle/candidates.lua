-- bundle.candidates: the candidate bundles of a basket window, with the
-- support floor chosen from the data rather than from one data set's habit.
--
--   local c = bundle.candidates(train_baskets, { sizes = { 2, 4 } })
--   c.itemsets   -- Itemsets at the chosen floor, sizes 2..4
--   c.min_count  -- the floor (baskets), c.min_support the same as a share
--   c.counts     -- candidates of each size at that floor
--   c.warnings   -- why a size has fewer candidates than wanted, if it has
--
-- The floor walks down a ladder (each step about 0.7x the last, in whole
-- baskets) from a high support and stops at the first floor where every
-- size has its wanted number of candidates, or at the cap: a bundle bought
-- whole in fewer than `min_count` baskets is too little evidence to price
-- or to judge. A floor that would mine more than `max_itemsets` itemsets
-- (large baskets, low support) stops the walk one step earlier.
local core = require "bundle.core"

local M = {}

local defaults = { sizes = { 2, 4 }, want = { 200, 60, 20 }, min_count = 5, start_support = 0.05,
                   max_itemsets = 500000, min_support = false }

local function check_options(opts)
  if opts == nil then return {} end
  if type(opts) ~= "table" then error(("candidates: options must be a table, got a %s"):format(type(opts)), 3) end
  for k in pairs(opts) do
    if defaults[k] == nil then
      local names = {}
      for n in pairs(defaults) do names[#names + 1] = n end
      table.sort(names)
      error(("candidates: unknown option '%s' (%s)"):format(tostring(k), table.concat(names, ", ")), 3)
    end
  end
  return opts
end

-- counts per size of an Itemsets object
local function size_counts(sets, lo, hi)
  local n = {}
  for s = lo, hi do n[s] = 0 end
  for _, x in sets:iter() do
    local k = #x.items
    if n[k] then n[k] = n[k] + 1 end
  end
  return n
end

-- mines at a floor of c baskets; nil and the message when the floor would
-- yield more than max_itemsets itemsets
local function mine(baskets, c, lo, hi, max_itemsets)
  local ok, sets = pcall(baskets.frequent, baskets, { min_count = c, min_size = lo, max_size = hi,
                                                      max_itemsets = max_itemsets })
  if ok then return sets end
  if tostring(sets):find("more than", 1, true) then return nil, sets end
  error(sets, 0)
end

function M.choose(baskets, opts)
  opts = check_options(opts)
  if not core.is_baskets(baskets) then
    error(("candidates: expects bundle.baskets(...), got a %s"):format(type(baskets)), 2)
  end
  local sizes = opts.sizes or defaults.sizes
  if type(sizes) ~= "table" or math.type(sizes[1]) ~= "integer" or math.type(sizes[2]) ~= "integer"
     or sizes[1] < 2 or sizes[2] < sizes[1] or sizes[2] > 8 then
    error("candidates: sizes must be { min, max } with 2 <= min <= max <= 8", 2)
  end
  local lo, hi = sizes[1], sizes[2]
  local want = opts.want or defaults.want
  if type(want) == "number" then want = { want } end
  local function wanted(s) return want[s - 1] or want[#want] end
  local cap = opts.min_count or defaults.min_count
  if math.type(cap) ~= "integer" or cap < 1 then error("candidates: min_count must be an integer >= 1", 2) end
  local maxi = opts.max_itemsets or defaults.max_itemsets
  local nb = baskets:size()
  if nb == 0 then error("candidates: the baskets are empty", 2) end
  local out = { warnings = {}, sizes = { lo, hi }, baskets = nb, cap = cap, ladder = {} }

  if opts.min_support then -- a floor given by hand: no walk
    local s = opts.min_support
    if type(s) ~= "number" or not (s > 0 and s <= 1) then error("candidates: min_support must be in (0, 1]", 2) end
    local c = math.max(1, math.ceil(s * nb - 1e-9))
    local sets, err = mine(baskets, c, lo, hi, maxi)
    if not sets then error("candidates: " .. err, 2) end
    out.itemsets, out.min_count, out.chosen = sets, c, "given"
  else
    local c = math.max(cap, math.ceil((opts.start_support or defaults.start_support) * nb))
    local best
    while true do
      local sets, err = mine(baskets, c, lo, hi, maxi)
      if not sets then
        out.warnings[#out.warnings + 1] = ("candidates: stopped lowering the floor at %d baskets: %s"):format(c, err)
        break
      end
      local n = size_counts(sets, lo, hi)
      out.ladder[#out.ladder + 1] = { min_count = c, counts = n }
      best = { sets = sets, c = c, counts = n }
      local enough = true
      for s = lo, hi do if n[s] < wanted(s) then enough = false end end
      if enough then out.chosen = "enough"; break end
      if c <= cap then out.chosen = "cap"; break end
      c = math.max(cap, math.min(c - 1, math.floor(c * 0.7)))
    end
    if not best then error("candidates: even the highest floor mines too many itemsets; lower max_itemsets' load " ..
                           "by a smaller sizes range", 2) end
    out.itemsets, out.min_count = best.sets, best.c
  end
  out.min_support = out.min_count / nb
  out.counts = size_counts(out.itemsets, lo, hi)
  for s = lo, hi do
    if out.counts[s] < wanted(s) then
      out.warnings[#out.warnings + 1] = ("candidates: only %d bundles of %d items are bought whole in at least %d " ..
        "of %d baskets (wanted %d)"):format(out.counts[s], s, out.min_count, nb, wanted(s))
    end
  end
  return out
end

return setmetatable(M, { __call = function(_, baskets, opts) return M.choose(baskets, opts) end })
