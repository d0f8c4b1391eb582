-- bundle.features: feature engineering for the take-rate model and for
-- people. Customers: recency, frequency, monetary value and category
-- affinity from order lines (frame group-bys in C). Bundles: the feature
-- vectors the model objective reads, built in C (bundle.search_features).
local core = require "bundle.core"

local M = {}

M.names = core.search_features

-- bundles(list, { catalog =, baskets = }) -> n x #names tensor
function M.bundles(list, opts)
  if type(opts) ~= "table" then error("features.bundles: expects (bundles, { catalog =, baskets = })", 2) end
  local ok, X = pcall(core.bundle_features, list, opts)
  if not ok then error(tostring(X):gsub("^[^:\n]*:%d+: ", ""), 2) end -- at the caller's line, not ours
  return X
end

-- ---------------------------------------------------------------- named bundle features

-- Features the C vector does not have, computed here from the catalogue
-- (read through single items and pairs, since the Catalog exposes no
-- per-item lookup) and the baskets.
M.context_names = { "price_ratio", "category_match", "basket_size" }

-- Per Baskets object: each item's count and the summed size of the
-- baskets that hold it, and the mean basket size. Weak keys: a window's
-- Baskets are asked many times (predict, then explain per bundle) and
-- this is one pass over every basket.
local size_cache = setmetatable({}, { __mode = "k" })
local function basket_sizes(baskets)
  local s = size_cache[baskets]
  if s then return s end
  local count, sum, lines = {}, {}, 0
  local nb = baskets:size()
  for k = 1, nb do
    local items = baskets:items(k)
    local m = #items
    lines = lines + m
    for _, it in ipairs(items) do
      local key = tostring(it)
      count[key] = (count[key] or 0) + 1
      sum[key] = (sum[key] or 0) + m
    end
  end
  s = { count = count, sum = sum, mean = nb > 0 and lines / nb or 0 }
  size_cache[baskets] = s
  return s
end

local function pair_key(a, b) return a < b and a .. "\0" .. b or b .. "\0" .. a end

local function col_index(name)
  for j, n in ipairs(M.names) do if n == name then return j end end
  error("features: bundle.search_features has no '" .. name .. "'", 0)
end

-- table(list, { catalog =, baskets = }) -> { names = {...}, columns =
-- { name = list of n values }, nrows = n }: every bundle.search_features
-- column by name, then
--   price_ratio: log of the dearest item's list price over the cheapest's
--     (0 when every item costs the same, or a price is 0);
--   category_match: the share of the bundle's item pairs whose items share
--     a category (0 for every bundle when the catalogue has no categories,
--     a constant the model drops);
--   basket_size: log of the mean size of the baskets that hold its items
--     (each item's baskets pooled) over the mean size of all baskets: big
--     stock-up baskets touch a bundle often without completing it.
function M.table(list, opts)
  if type(list) ~= "table" then error("features.table: expects (bundles, { catalog =, baskets = })", 2) end
  local X = M.bundles(list, opts)
  local out = { names = {}, columns = {}, nrows = #list }
  for j, name in ipairs(M.names) do
    local v = {}
    for i = 1, #list do v[i] = X:get(i, j) end
    out.names[j], out.columns[name] = name, v
  end
  -- each item once: its price and whether it has a category
  local single, seen = {}, {}
  local pairs_list, pair_seen = {}, {}
  for _, b in ipairs(list) do
    local items = b.items or b
    for a = 1, #items do
      local ka = tostring(items[a])
      if not seen[ka] then seen[ka] = #single + 1; single[#single + 1] = { items[a] } end
      for c = a + 1, #items do
        local kc = tostring(items[c])
        local key = pair_key(ka, kc)
        if not pair_seen[key] then pair_seen[key] = #pairs_list + 1; pairs_list[#pairs_list + 1] = { items[a], items[c] } end
      end
    end
  end
  local jp, jc = col_index("price"), col_index("categories")
  local S = M.bundles(single, opts)
  local P = #pairs_list > 0 and M.bundles(pairs_list, opts) or nil
  local sizes = basket_sizes(opts.baskets)
  local ratio, match, bsize = {}, {}, {}
  for i, b in ipairs(list) do
    local items = b.items or b
    local lo, hi, npairs, same, cnt, sum = math.huge, 0, 0, 0, 0, 0
    for a = 1, #items do
      local ka = tostring(items[a])
      local pa = S:get(seen[ka], jp)
      lo, hi = math.min(lo, pa), math.max(hi, pa)
      cnt, sum = cnt + (sizes.count[ka] or 0), sum + (sizes.sum[ka] or 0)
      for c = a + 1, #items do
        local kc = tostring(items[c])
        local key = pair_key(ka, kc)
        npairs = npairs + 1
        -- one category between two items that both have one
        if P:get(pair_seen[key], jc) == 1 and S:get(seen[ka], jc) == 1 and S:get(seen[kc], jc) == 1 then
          same = same + 1
        end
      end
    end
    ratio[i] = lo > 0 and math.log(hi / lo) or 0
    match[i] = npairs > 0 and same / npairs or 0
    bsize[i] = (cnt > 0 and sizes.mean > 0) and math.log(sum / cnt / sizes.mean) or 0
  end
  for _, pair in ipairs{ { "price_ratio", ratio }, { "category_match", match }, { "basket_size", bsize } } do
    out.names[#out.names + 1], out.columns[pair[1]] = pair[1], pair[2]
  end
  return out
end

local function need(f, name, fn)
  local ok = pcall(f.col, f, name)
  if not ok then error(("%s: the orders have no column '%s'"):format(fn, tostring(name)), 3) end
end

-- customers(orders, { user =, time =, amount = | quantity = & price =, basket =,
--                     category =, now = "YYYY-MM-DD" })
-- -> frame: user, recency_days, frequency (baskets), monetary (sum of
-- amount), lines, and with `category` one share column per category
-- (affinity_<category>, the share of the customer's lines in it).
function M.customers(orders, o)
  local fn = "features.customers"
  if type(o) ~= "table" then error(fn .. ": expects (orders, { user =, time =, ... })", 2) end
  for _, key in ipairs{ "user", "time", "basket" } do
    if type(o[key]) ~= "string" then error(("%s: option '%s' must name a column"):format(fn, key), 2) end
    need(orders, o[key], fn)
  end
  local f = orders:filter(orders:col(o.user):notnull())
  local amount = o.amount
  if not amount then
    if not (o.quantity and o.price) then error(fn .. ": give 'amount', or 'quantity' and 'price'", 2) end
    need(f, o.quantity, fn); need(f, o.price, fn)
    f = f:with_column("_amount", f:col(o.quantity):tensor() * f:col(o.price):tensor())
    amount = "_amount"
  else
    need(f, amount, fn)
  end
  local g = f:group_by(o.user):agg{ last = { "max", o.time }, frequency = { "nunique", o.basket },
                                    monetary = { "sum", amount }, lines = "count" }
  local last = g:col("last"):tensor()
  local now = o.now
  local ref
  if now then
    local y, m, d = tostring(now):match("^(%d%d%d%d)-(%d%d)-(%d%d)")
    if not y then error(fn .. ": option 'now' must be a date YYYY-MM-DD", 2) end
    ref = os.time{ year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 0 } -- local midnight
    ref = ref + (os.time() - os.time(os.date("!*t"))) -- as UTC seconds, like the frame's times
  else
    ref = last:max()
  end
  -- times are seconds since the epoch (UTC) in datetime columns
  local recency = (last * -1 + ref) / 86400
  local out = g:with_column("recency_days", recency)
  if o.category then
    need(f, o.category, fn)
    local ct = f:group_by{ o.user, o.category }:agg{ n = "count" }
    local users, cats, counts = ct:col(o.user):totable(), ct:col(o.category):totable(), ct:col("n"):totable()
    local levels, seen = {}, {}
    for _, c in ipairs(cats) do
      if c ~= nil and not seen[c] then seen[c] = true; levels[#levels + 1] = c end
    end
    table.sort(levels, function(a, b) return tostring(a) < tostring(b) end)
    local row = {}
    for i, u in ipairs(out:col(o.user):totable()) do row[u] = i end
    local lines = out:col("lines"):totable()
    for _, c in ipairs(levels) do
      local v = {}
      for i = 1, out:nrows() do v[i] = 0 end
      for i = 1, #users do
        if cats[i] == c then v[row[users[i]]] = counts[i] / lines[row[users[i]]] end
      end
      out = out:with_column("affinity_" .. tostring(c), v)
    end
  end
  return out
end

return M
