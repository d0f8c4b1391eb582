-- synthetic_report.lua: the launch brief on a second data set, the
-- planted synthetic shop of scripts/results/world.lua (120 items, a year of
-- visits, weekly price moves, known unit costs). Its items have codes but
-- no names and its prices no currency, so the report shows the codes and
-- says the currency is not known.
--
--   bundlerun examples/synthetic_report.lua [--out DIR]      (default out/synthetic)
--   scripts/render-report out/synthetic/report.html docs/img/report-synthetic.png
local bundle = require "bundle"

local here = arg and arg[0] and arg[0]:match("^(.*)/[^/]*$") or "."
local out = "out/synthetic"
if arg and arg[1] == "--out" and arg[2] then
  out = arg[2]
elseif arg and arg[1] then
  error("synthetic_report.lua: unknown argument '" .. arg[1] .. "' (--out DIR)", 0)
end

package.path = here .. "/../scripts/results/?.lua;" .. package.path
local datasets = require "datasets"
-- the world's orders are written under build/results (rebuilt in about a second)
local ds = datasets.synthetic{ visits = 20000 }
local data = datasets.pipeline_data(ds, { margin_rate = ds.margin_rate })

local t0 = bundle.clock()
local ctx = bundle.pipeline{ data = data, start = ds.start, period_days = 45, label_days = 30, rounds = 2, seed = 1 }
local paths = bundle.pipeline.write(ctx, out)
print(("bundlerun %s: %d rounds on the synthetic shop in %.1f s; wrote %s"):format(bundle.version, ctx.rounds,
  bundle.clock() - t0, paths.report))
