-- clearance.lua: clearance-weighted profit. Slow movers (items bought in
-- few baskets) weigh more, so the bundles pair a popular item that
-- carries the take rate with stock that needs to move.
--   bundlerun examples/pipeline.lua --objective examples/objectives/clearance.lua
local bundle = require "bundle"
local names = {}
for i, n in ipairs(bundle.search_features) do names[n] = i end
local f = {}
return function(b, attach)
  b:features(f)
  local slowest = f[names.min_item_support]
  local clearance = 1 + 1 / (1 + 100 * slowest) -- 2 for items almost nobody buys, ~1 for best sellers
  return attach(b) ^ 2 * b:support() * (b:price() - b:cost()) * clearance
end
