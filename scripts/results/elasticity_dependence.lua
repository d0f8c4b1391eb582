-- The report's "Own elasticities" figure for one run of the default
-- pipeline (seed 1): the chosen list's expected incremental profit per
-- visitor under the training model with each item's own elasticity and
-- with every item at the pooled slope (bundle.pipeline.elasticity_dependence).
--
--   build/bundlerun scripts/results/elasticity_dependence.lua online_retail_validation | world1 | world2 | world1_optimal | world2_optimal
--
-- Online Retail's validation window (test from 2011-09-23, the suite's
-- validation cut) and the development worlds only: not the test windows.
package.path = "scripts/results/?.lua;" .. package.path
local bundle = require "bundle"
local datasets = require "datasets"
local which = arg[1] or "online_retail_validation"
local ds
if which == "online_retail_validation" then
  ds = datasets.all{}.online_retail
  ds.start = "2011-09-23"
else
  local ws = tonumber(which:match("^world(%d)"))
  if ws ~= 1 and ws ~= 2 then error("elasticity_dependence: online_retail_validation, world1 or world2 (_optimal)", 0) end
  ds = datasets.synthetic{ world_seed = ws, orders_seed = ws + 1, pricing = which:match("optimal") and "optimal" or nil,
                           dir = "build/results/probe" }
end
local ctx = bundle.pipeline{ data = datasets.pipeline_data(ds, { margin_rate = ds.margin_rate }), start = ds.start,
                             period_days = ds.period_days, rounds = 1, seed = 1, progress = false, warnings = false }
local d = ctx.elasticity_dependence
if not d then
  print(which .. ": every item has one elasticity (" .. tostring(ctx.elasticity.source) .. "): nothing to measure")
else
  print(("%s: the list %.4f per visitor with each item's own elasticity, %.4f at the pooled slope %.2f (%.0f%%); " ..
         "%d of its %d items above it; lambda %s; the report's flag %s"):format(which, d.list, d.pooled_elasticity, d.pooled,
    100 * d.pooled_elasticity / d.list, d.items_above, d.items, d.lambda and ("%.2f"):format(d.lambda) or "-",
    d.pooled_elasticity < 0.5 * d.list and "fires" or "does not fire"))
end
