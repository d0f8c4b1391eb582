-- Allreduce cost on this machine (loopback, shared memory between ranks):
-- `mpirun -n N bundlerun allreduce.lua REPS ITEMS_CSV` (ITEMS_CSV: order,item
-- lines naming 20,000 items, for the label union timed at the end). For 1 value and for
-- 20,001 values (a level-1 item count vector of the benchmark: 20,000
-- items and the basket count), REPS timed calls after a barrier; rank 0
-- prints: ranks values median_seconds_per_call.
local bundle = require "bundle"
local mpi = bundle.mpi
local reps = tonumber(arg[1] or "200")
for _, n in ipairs{ 1, 20001 } do
  local t = bundle.tensor.ones(n)
  mpi.allreduce(t) -- warm up the connection
  local times = {}
  for r = 1, reps do
    mpi.barrier()
    local t0 = bundle.clock()
    mpi.allreduce(t)
    times[r] = bundle.clock() - t0
  end
  local worst = mpi.allreduce(times, "max") -- per call, the slowest rank
  table.sort(worst)
  if mpi.rank() == 0 then print(("%d %d %.3e"):format(mpi.size(), n, worst[(reps + 1) // 2])) end
end
-- the label union of mpi.baskets: every rank's 20,000 labels gathered and
-- sorted on every rank (rank 0 prints: ranks "union" median_seconds)
local f = bundle.read_csv(arg[2] or error("allreduce.lua: the items file"), { types = { item = "str" } })
local own = bundle.baskets(f, { basket = "order", item = "item" })
local times = {}
for r = 1, 9 do
  mpi.barrier()
  local t0 = bundle.clock()
  mpi.baskets(own):close()
  times[r] = bundle.clock() - t0
end
local worst = mpi.allreduce(times, "max")
table.sort(worst)
if mpi.rank() == 0 then print(("%d union %.3e"):format(mpi.size(), worst[5])) end
