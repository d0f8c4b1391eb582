-- One timed run of the distributed count:
-- `mpirun -n N bundlerun count.lua PATH [MIN_SUPPORT] [CSV_THREADS]` (threads per rank, default 1).
-- Each rank reads its share of PATH (cut at order changes), makes baskets
-- with the shared item dictionary, and mines frequent itemsets across ranks
-- (item counts by one allreduce, larger sets by PFP groups). Rank 0 prints
-- one line: ranks lines baskets itemsets, wall seconds (total, read,
-- baskets, the shared dictionary, mine; a barrier closes every phase, so each is the slowest
-- rank's), and the largest CPU seconds of a rank's own work (os.clock,
-- barrier waits left out), which a shared machine's load does not inflate.
local bundle = require "bundle"
local mpi = bundle.mpi
local path = arg[1] or error("usage: count.lua PATH [MIN_SUPPORT]")
local min_support = tonumber(arg[2] or "0.005")
-- CPU seconds of this rank's own work: os.clock read before and after
-- each closing barrier, so a rank spinning there for a descheduled peer
-- (OpenMPI polls) does not count; spins inside the collectives still do
local cpu, mark = 0, 0
local function close_phase()
  cpu = cpu + os.clock() - mark
  mpi.barrier()
  mark = os.clock()
  return bundle.clock()
end
mpi.barrier()
mark = os.clock()
local t0 = bundle.clock()
local threads = math.tointeger(tonumber(arg[3] or "1"))
local f, rep = mpi.read_csv(path, { key = "order", threads = threads, types = { order = "i64", item = "str", quantity = "i64" } })
local t1 = close_phase()
local own = bundle.baskets(f, { basket = "order", item = "item" })
f:close()
local t1b = close_phase()
local b = mpi.baskets(own) -- the item dictionary shared by all ranks
own:close()
local t2 = close_phase()
local sets = b:frequent{ min_support = min_support }
local t3 = close_phase()
cpu = mpi.allreduce(cpu, "max")
local lines, baskets = mpi.allreduce(rep.rows), mpi.allreduce(b:size())
if mpi.rank() == 0 then
  print(("%d %d %d %d %.4f %.4f %.4f %.4f %.4f %.4f"):format(mpi.size(), lines, baskets, #sets, t3 - t0, t1 - t0,
    t1b - t1, t2 - t1b, t3 - t2, cpu))
end
