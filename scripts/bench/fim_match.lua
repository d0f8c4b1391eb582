-- rules:match on a batch of 20,000 live baskets (retail.dat's first 20,000
-- as the live traffic, rules mined from all of it). Prints "rules matches seconds".
local bundle = require "bundle"
local bk = bundle.read_baskets(arg[1])
local rules = bk:rules{ min_support = 0.0005, min_confidence = 0.3 }
local batch = {}
for k = 1, 20000 do batch[k] = bk:items(k) end
local t0 = bundle.clock()
local matches = 0
for k = 1, #batch do matches = matches + #rules:match(batch[k], 10) end
print(("%d %d %.4f"):format(#rules, matches, bundle.clock() - t0))
