-- bundlerun side of scripts/bench/csv. Prints "load group join peak_kb load_cpu"
-- (load_cpu: the process's CPU seconds while loading, all threads).
-- THREADS (optional third argument): read_csv's threads (default: one per core).
local bundle = require "bundle"
local path, items_path, threads = arg[1], arg[2], tonumber(arg[3])
local t0, c0 = bundle.clock(), os.clock()
local f = bundle.read_csv(path, threads and { threads = threads } or nil)
local load, load_cpu = bundle.clock() - t0, os.clock() - c0
local items = bundle.read_csv(items_path)
f = f:with_column("amount", f:col("Quantity"):tensor() * f:col("UnitPrice"):tensor())
t0 = bundle.clock()
local g = f:group_by("InvoiceNo"):agg{ revenue = {"sum", "amount"} }
local group = bundle.clock() - t0
t0 = bundle.clock()
local j = f:join(items, { on = "StockCode", how = "left" })
local join = bundle.clock() - t0
assert(g:nrows() == 25900 and j:nrows() == f:nrows())
local peak = io.open("/proc/self/status"):read("a"):match("VmHWM:%s*(%d+)")
print(("%.4f %.4f %.4f %s %.4f"):format(load, group, join, peak, load_cpu))
