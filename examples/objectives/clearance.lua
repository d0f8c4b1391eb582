-- clearance.lua: clearance-weighted profit. Slow movers (items bought in
-- few baskets) weigh more, so the bundles pair a popular item that
-- carries the take rate with stock that needs to move. An objective gets
-- the Bundle view b, attach(b) (the take-rate model's prediction, nil
-- without a model) and value(b) (the default: expected incremental profit
-- per visitor at the bundle's best discount under the training window's
-- demand model).
--   bundlerun examples/pipeline.lua --objective examples/objectives/clearance.lua
local bundle = require "bundle"
local names = {}
for i, n in ipairs(bundle.search_features) do names[n] = i end
local f = {}
return function(b, _, value)
  b:features(f)
  local slowest = f[names.min_item_support]
  local clearance = 1 + 1 / (1 + 100 * slowest) -- 2 for items almost nobody buys, ~1 for best sellers
  local v = value(b)
  return v > 0 and v * clearance or v -- a bundle expected to lose money stays out
end
