-- Run under `mpirun -n N bundlerun tests/mpi/check.lua` (N = 1, 2, 4; see
-- tests/mpi/run.sh). Every rank does the distributed work; rank 0 also
-- redoes it alone and asserts that itemsets, rules and backtest figures
-- are identical, and checks the collectives against closed forms.
-- Prints "mpi check ok: N ranks" on rank 0 when all holds.
local bundle = require "bundle"
local mpi = bundle.mpi
local rank, size = mpi.rank(), mpi.size()
local dir = arg[1] or "/tmp"
local failures = 0
local function check(ok, what)
  if not ok then
    failures = failures + 1
    io.stderr:write(("rank %d of %d: FAILED: %s\n"):format(rank, size, what))
  end
end

-- ---- collectives ----
check(mpi.allreduce(rank + 1) == size * (size + 1) // 2, "allreduce sum of integers")
check(math.type(mpi.allreduce(rank)) == "integer", "integer sums stay integers")
check(mpi.allreduce(rank + 0.5, "max") == size - 0.5, "allreduce max of floats")
check(mpi.allreduce(-rank, "min") == -(size - 1), "allreduce min")
local rec = mpi.allreduce({ a = 1, b = rank })
check(rec.a == size and rec.b == size * (size - 1) // 2, "allreduce of a record")
local list = mpi.allreduce({ 1, 2, rank })
check(list[1] == size and list[2] == 2 * size and list[3] == size * (size - 1) // 2, "allreduce of a list")
local t = mpi.allreduce(bundle.tensor.full({ 2, 3 }, rank + 1), "sum")
check(t:sum() == 6 * size * (size + 1) // 2, "allreduce of a tensor")
local g = mpi.gather({ r = rank, name = "rank" .. rank }, 0)
if rank == 0 then
  check(#g == size, "gather gives one value per rank")
  for r = 0, size - 1 do check(g[r + 1].r == r and g[r + 1].name == "rank" .. r, "gather in rank order") end
else
  check(g == nil, "gather gives nil off the root")
end
local ag = mpi.allgather(rank * 10)
check(#ag == size and ag[size] == (size - 1) * 10, "allgather")
local b = mpi.bcast(rank == size - 1 and { msg = "from last", v = bundle.tensor.ones(4) } or nil, size - 1)
check(b.msg == "from last" and b.v:sum() == 4, "bcast from the last rank")
local y = bundle.tensor.full({ 3, 2 }, rank + 1)
local gram = mpi.gram(y)
local want = 0
for r = 1, size do want = want + 3 * r * r end
check(gram:get(1, 2) == want, "gram matrix sums Y'Y over ranks")
mpi.barrier()

-- ---- data: a synthetic order file (rank 0 writes it) and real Online Retail lines ----
local synth = dir .. "/bundlerun_mpi_synth.csv"
local retail = dir .. "/bundlerun_mpi_retail.csv"
if rank == 0 then
  local f = assert(io.open(synth, "w"))
  f:write("order,item,qty\n")
  local seed = 12345
  local function rnd(n) seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n end
  for o = 1, 3000 do
    local k = 1 + rnd(6)
    for _ = 1, k do
      local it = rnd(40)
      if rnd(3) == 0 then it = rnd(6) end -- a few popular items
      -- some items quoted, one with the separator inside
      local label = it == 7 and '"salt, fine"' or ("I" .. it)
      f:write(("o%d,%s,%d\r\n"):format(o, label, 1 + rnd(3)))
    end
  end
  f:close()
  local r = bundle.read_csv("examples/data/online_retail_2011h2.csv.gz", { limit = 60000, types = { InvoiceNo = "str", StockCode = "str" } })
  r:write_csv(retail)
end
mpi.barrier()

local function canon_sets(sets)
  local out = {}
  for _, s in sets:iter() do
    local items = {}
    for i, l in ipairs(s.items) do items[i] = l end
    table.sort(items)
    out[#out + 1] = table.concat(items, "\1") .. "=" .. s.count
  end
  table.sort(out)
  return out
end

local function canon_rules(rules)
  local out = {}
  for _, r in rules:iter() do
    local l, h = {}, {}
    for i, x in ipairs(r.lhs) do l[i] = x end
    for i, x in ipairs(r.rhs) do h[i] = x end
    table.sort(l)
    table.sort(h)
    out[#out + 1] = ("%s>%s|%d|%.17g|%.17g|%.17g"):format(table.concat(l, "\1"), table.concat(h, "\1"), r.count,
      r.confidence, r.lift, r.support)
  end
  table.sort(out)
  return out
end

local function same(a, b, what)
  local ok = #a == #b
  for i = 1, #a do if a[i] ~= b[i] then ok = false break end end
  check(ok, what .. (ok and "" or (" (%d vs %d)"):format(#a, #b)))
end

local function run_case(path, spec, min_support, bundles)
  local f, rep = mpi.read_csv(path, { key = spec.basket, types = { [spec.basket] = "str", [spec.item] = "str" } })
  check(rep.begin <= rep["end"], "a rank's byte range is ordered")
  local ranges = mpi.allgather({ rep.begin, rep["end"], rep.rows })
  for r = 2, size do check(ranges[r][1] == ranges[r - 1][2], "byte ranges tile the file") end
  local rows = mpi.allreduce(rep.rows)
  local bk = mpi.baskets(f, spec)
  local nb = mpi.allreduce(bk:size())
  local sets = bk:frequent{ min_support = min_support }
  local rules = bk:rules{ min_support = min_support, min_confidence = 0.3 }
  local bt = bundle.eval.backtest(bundles, bk, { price = { 10, 5, 3 }, cost = { 6, 2, 1 } })
  if rank == 0 then
    local f1, rep1 = bundle.read_csv(path, { types = { [spec.basket] = "str", [spec.item] = "str" } })
    local b1 = bundle.baskets(f1, spec)
    check(rows == rep1.rows, path .. ": every line read once")
    check(nb == b1:size(), path .. ": baskets kept whole (" .. nb .. " vs " .. b1:size() .. ")")
    local s1 = canon_sets(b1:frequent{ min_support = min_support })
    local r1 = canon_rules(b1:rules{ min_support = min_support, min_confidence = 0.3 })
    check(#s1 > 10 and #r1 > 0, path .. ": the case finds itemsets and rules")
    same(canon_sets(sets), s1, path .. ": itemsets identical to one process")
    same(canon_rules(rules), r1, path .. ": rules identical to one process")
    local bt1 = bundle.eval.backtest(bundles, b1, { price = { 10, 5, 3 }, cost = { 6, 2, 1 } })
    for _, k in ipairs{ "baskets", "hits", "touched", "hit_rate", "attach_rate", "mean_attach_rate", "coverage",
                        "item_coverage", "revenue", "margin", "diversity" } do
      check(bt[k] == bt1[k], ("%s: backtest %s %s vs %s"):format(path, k, tostring(bt[k]), tostring(bt1[k])))
    end
    for i = 1, #bundles do
      check(bt.bundles[i].complete == bt1.bundles[i].complete and bt.bundles[i].touched == bt1.bundles[i].touched,
        path .. ": per-bundle backtest counts")
    end
  end
end

run_case(synth, { basket = "order", item = "item" }, 0.01, { { "I1", "I2" }, { "I3", "salt, fine" }, { "I0", "I5", "I4" } })
run_case(retail, { basket = "InvoiceNo", item = "StockCode" }, 0.01, { { "85123A", "71053" }, { "22423", "22697" }, { "20725", "20727", "22383" } })

local bad = mpi.allreduce(failures)
if rank == 0 then
  if bad == 0 then print(("mpi check ok: %d ranks"):format(size)) end
  os.remove(synth)
  os.remove(retail)
end
if bad > 0 then error(("%d check(s) failed"):format(bad)) end
