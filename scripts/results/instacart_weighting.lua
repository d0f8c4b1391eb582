-- Why the demand model over-predicts joint purchases on the Instacart
-- sample: the training window counts every order of every user, so a heavy
-- user's habitual pair counts once per order; the test window holds one
-- order per user (each user's last). This runs the default pipeline once
-- and sums, over the calibration's candidate bundles, the joint share the
-- model predicts at list price, the share of training baskets holding the
-- bundle whole (each basket counted once, as the model does), the same
-- with each basket weighted by 1 / its user's number of orders (each user
-- counted once, as the test window does), and the share observed in the
-- test window. Diagnosis after the fact: nothing here feeds the pipeline.
--
--   build/bundlerun scripts/results/instacart_weighting.lua
package.path = "scripts/results/?.lua;" .. package.path
local bundle = require "bundle"
local datasets = require "datasets"

local ds = datasets.instacart{}
local ctx = bundle.pipeline{ data = datasets.pipeline_data(ds), start = ds.start, period_days = ds.period_days, rounds = 1,
                             seed = 1, progress = false, warnings = false }
local tr = ctx.train
local users, baskets, items = tr:col("user"):totable(), tr:col("basket"):totable(), tr:col("item"):totable()
local user_of, contents, orders_of = {}, {}, {}
for i = 1, #items do
  local b = baskets[i]
  if not contents[b] then
    contents[b] = {}
    user_of[b] = users[i]
    orders_of[users[i]] = (orders_of[users[i]] or 0) + 1
  end
  contents[b][tostring(items[i])] = true
end
local nbaskets, nusers = 0, 0
for _ in pairs(contents) do nbaskets = nbaskets + 1 end
for _ in pairs(orders_of) do nusers = nusers + 1 end
local pred, by_basket, by_user, obs = 0, 0, 0, 0
for _, p in ipairs(ctx.calibration.points) do
  for b, s in pairs(contents) do
    local whole = true
    for _, it in ipairs(p.items) do
      if not s[tostring(it)] then whole = false break end
    end
    if whole then by_basket, by_user = by_basket + 1 / nbaskets, by_user + 1 / orders_of[user_of[b]] / nusers end
  end
  pred, obs = pred + p.predicted, obs + p.observed
end
print(("Instacart sample: %d training baskets of %d users, %d test baskets; %d candidate bundles"):format(nbaskets, nusers,
  ctx.test_baskets:size(), #ctx.calibration.points))
print(("summed joint share: predicted %.3f; training baskets %.3f; training, each user once %.3f; test %.3f"):format(pred,
  by_basket, by_user, obs))
print(("ratios to the test: predicted %.2f, training baskets %.2f, each user once %.2f"):format(pred / obs, by_basket / obs,
  by_user / obs))
