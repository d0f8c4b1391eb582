-- One timed run of the distributed count:
-- `mpirun -n N bundlerun count.lua PATH [MIN_SUPPORT] [CSV_THREADS]` (threads per rank, default 1).
-- Each rank reads its share of PATH (cut at order changes), makes baskets
-- with the shared item dictionary, and mines frequent itemsets across ranks
-- (item counts by one allreduce, larger sets by PFP groups). Rank 0 prints
-- one line: ranks lines baskets itemsets, wall seconds (total, read,
-- baskets, the shared dictionary, mine; a barrier closes every phase, so each is the slowest
-- rank's), and the largest CPU seconds of a rank (os.clock: this process's
-- threads), which a shared machine's load does not inflate.
local bundle = require "bundle"
local mpi = bundle.mpi
local path = arg[1] or error("usage: count.lua PATH [MIN_SUPPORT]")
local min_support = tonumber(arg[2] or "0.005")
mpi.barrier()
local c0 = os.clock()
local t0 = bundle.clock()
local threads = math.tointeger(tonumber(arg[3] or "1"))
local f, rep = mpi.read_csv(path, { key = "order", threads = threads, types = { order = "i64", item = "str", quantity = "i64" } })
mpi.barrier()
local t1 = bundle.clock()
local own = bundle.baskets(f, { basket = "order", item = "item" })
f:close()
mpi.barrier()
local t1b = bundle.clock()
local b = mpi.baskets(own) -- the item dictionary shared by all ranks
own:close()
mpi.barrier()
local t2 = bundle.clock()
local sets = b:frequent{ min_support = min_support }
mpi.barrier()
local t3 = bundle.clock()
local cpu = mpi.allreduce(os.clock() - c0, "max")
local lines, baskets = mpi.allreduce(rep.rows), mpi.allreduce(b:size())
if mpi.rank() == 0 then
  print(("%d %d %d %d %.4f %.4f %.4f %.4f %.4f %.4f"):format(mpi.size(), lines, baskets, #sets, t3 - t0, t1 - t0,
    t1b - t1, t2 - t1b, t3 - t2, cpu))
end
