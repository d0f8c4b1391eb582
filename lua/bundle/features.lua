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
