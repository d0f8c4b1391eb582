-- bundle.mpi in a world of one rank (busted is not started by mpirun):
-- the same script as under mpirun, with every collective giving back its
-- input. tests/mpi runs the real ranks.
local bundle = require "bundle"
local mpi = bundle.mpi

describe("bundle.mpi in one process", function()
  it("is rank 0 of 1 and says whether MPI is built in", function()
    assert.are.equal(0, mpi.rank())
    assert.are.equal(1, mpi.size())
    assert.is_false(mpi.launched())
    assert.are.equal("boolean", type(mpi.built))
    mpi.barrier()
  end)

  it("allreduce gives back numbers, tables and tensors", function()
    assert.are.equal(7, mpi.allreduce(7))
    assert.are.equal("integer", math.type(mpi.allreduce(7)))
    assert.are.equal(2.5, mpi.allreduce(2.5, "max"))
    assert.are.same({ 1, 2, 3 }, mpi.allreduce({ 1, 2, 3 }, "min"))
    assert.are.same({ a = 1, b = 2.5 }, mpi.allreduce({ a = 1, b = 2.5 }))
    local t = mpi.allreduce(bundle.tensor.from({ { 1, 2 }, { 3, 4 } }))
    assert.are.equal(10, t:sum())
    assert.are.same({ 2, 2 }, t:shape())
  end)

  it("allreduce names a bad reduction or value", function()
    assert.has_error(function() mpi.allreduce(1, "avg") end, "mpi.allreduce: unknown reduction 'avg' (use sum, max or min)")
    assert.has_error(function() mpi.allreduce({ 1, "x" }) end, "mpi.allreduce: value 2 of the table is a string, not a number")
    assert.has_error(function() mpi.allreduce({ [true] = 1 }) end, "mpi.allreduce: a table must be a list of numbers or map names to numbers")
  end)

  it("gather, allgather and bcast copy nested values and tensors", function()
    local v = { name = "x", list = { 1, 2.5, true }, t = bundle.tensor.ones(3) }
    local g = mpi.gather(v)
    assert.are.equal(1, #g)
    assert.are.equal("x", g[1].name)
    assert.are.same({ 1, 2.5, true }, g[1].list)
    assert.are.equal(3, g[1].t:sum())
    assert.are.same({ 42 }, mpi.allgather(42))
    local b = mpi.bcast(v)
    assert.are.equal("x", b.name)
    assert.are_not.equal(v, b) -- a copy
    assert.has_error(function() mpi.gather(print) end)
    assert.has_error(function() mpi.bcast(1, 1) end)
    local cyc = {}
    cyc.self = cyc
    assert.has_error(function() mpi.gather(cyc) end, "mpi.gather: tables nested deeper than 64 (a cycle?)")
  end)

  it("read_csv reads the whole file for one rank; spread baskets mine as one process", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write("order,item\n")
    for o = 1, 50 do
      for j = 0, o % 4 do f:write(("o%d,i%d\n"):format(o, (o + j * 5) % 7)) end
    end
    f:close()
    local fr, rep = mpi.read_csv(path, { key = "order" })
    assert.are.equal(125, fr:nrows())
    assert.are.equal(rep.rows, 125)
    assert.are.equal(11, rep.begin) -- just after "order,item\n"
    local b = mpi.baskets(fr, { basket = "order", item = "item" })
    local b1 = bundle.baskets(fr, { basket = "order", item = "item" })
    assert.are.equal(50, b:size())
    local s, s1 = b:frequent{ min_support = 0.1 }, b1:frequent{ min_support = 0.1 }
    assert.are.equal(#s1, #s)
    assert.are.equal(s1:get(1).count, s:get(1).count)
    assert.are.equal(#b1:rules{ min_support = 0.1, min_confidence = 0.3 }, #b:rules{ min_support = 0.1, min_confidence = 0.3 })
    assert.has_error(function() b:frequent{ min_support = 0.1, top = 2 } end,
      "dist frequent: option 'top' is not supported across ranks")
    assert.has_error(function() mpi.read_csv(path, { key = "basket" }) end)
    assert.has_error(function() mpi.read_csv(path, { range = { 0, 5 } }) end,
      "mpi.read_csv: option 'range' is chosen per rank (leave it out)")
    local part = bundle.read_csv(path, { range = { 11, 29 } })
    assert.are.equal(3, part:nrows()) -- "o1,i1\n", "o1,i6\n", "o2,i2\n" end at byte 29
    assert.has_error(function() bundle.read_csv(path, { range = { 5, 30 } }) end)
    os.remove(path)
  end)

  it("gram sums Y'Y", function()
    local g = mpi.gram(bundle.tensor.from({ { 1, 2 }, { 3, 4 } }))
    assert.are.equal(10, g:get(1, 1))
    assert.are.equal(14, g:get(1, 2))
    assert.are.equal(20, g:get(2, 2))
  end)
end)
