-- bundle.read_csv_chunks: a CSV read a chunk of rows at a time, with
-- read_csv's options, types and errors; and the functions that take a
-- frame of orders taking the chunks instead.
local bundle = require "bundle"
local files = require "spec_files"

local dir = files.tmpdir()

local function err_of(fn, ...)
  local ok, e = pcall(fn, ...)
  assert.is_false(ok)
  return (tostring(e):gsub("^[^\n]-%.lua:%d+: ", "", 1))
end

local function chunks(path, opts)
  local out = {}
  for f in bundle.read_csv_chunks(path, opts) do out[#out + 1] = f end
  return out
end

-- Every cell of a frame, row by row, as text (types included).
local function cells(f)
  local out = {}
  for _, name in ipairs(f:names()) do
    local c = f:col(name)
    out[#out + 1] = name .. ":" .. c:type()
    for i = 1, f:nrows() do out[#out + 1] = tostring(c:get(i)) end
  end
  return table.concat(out, "|")
end

-- Orders of 1..n lines, each order's lines together.
local ORDERS = dir .. "/orders.csv"
do
  local lines, rng = { "order,item,qty,price,day" }, 7
  for o = 1, 300 do
    rng = (rng * 1103515245 + 12345) % 2147483648
    for k = 1, rng % 5 + 1 do
      lines[#lines + 1] = ("%d,item%d,%d,%.2f,2024-01-%02d"):format(1000 + o, (o * 7 + k * 13) % 40, k, k * 1.25,
        o % 28 + 1)
    end
  end
  files.write(ORDERS, table.concat(lines, "\n") .. "\n")
end

describe("read_csv_chunks", function()
  it("gives read_csv's rows and types, chunk after chunk", function()
    local whole = bundle.read_csv(ORDERS)
    local parts = chunks(ORDERS, { rows = 97 })
    assert.are.equal(math.ceil(whole:nrows() / 97), #parts)
    for i = 1, #parts - 1 do assert.are.equal(97, parts[i]:nrows()) end
    assert.are.equal(cells(whole), cells(bundle.concat_frames(parts)))
    assert.are.same({ "i64", "str", "i64", "f64", "datetime" },
      { parts[2]:col("order"):type(), parts[2]:col("item"):type(), parts[2]:col("qty"):type(),
        parts[2]:col("price"):type(), parts[2]:col("day"):type() })
  end)

  it("keeps each key's run of lines in one chunk", function()
    local parts = chunks(ORDERS, { rows = 50, key = "order" })
    local seen, total = {}, 0
    for i, f in ipairs(parts) do
      total = total + f:nrows()
      assert.is_true(f:nrows() >= 50 or i == #parts)
      local col = f:col("order")
      local last
      for r = 1, f:nrows() do
        local v = col:get(r)
        if v ~= last then
          assert.is_nil(seen[v]) -- a run never continues in a later chunk
          seen[v] = i
          last = v
        end
      end
    end
    assert.are.equal(bundle.read_csv(ORDERS):nrows(), total)
  end)

  it("reads gzip, columns, types and limit like read_csv", function()
    local gz = dir .. "/orders.csv.gz"
    assert(os.execute("gzip -c " .. ORDERS .. " > " .. gz))
    local opts = { columns = { "item", "order" }, types = { order = "str" }, limit = 130 }
    local whole = bundle.read_csv(ORDERS, opts)
    local parts = chunks(gz, { columns = { "item", "order" }, types = { order = "str" }, limit = 130, rows = 60 })
    assert.are.same({ 60, 60, 10 }, { parts[1]:nrows(), parts[2]:nrows(), parts[3]:nrows() })
    assert.are.equal(cells(whole), cells(bundle.concat_frames(parts)))
    assert.are.same({ "item", "order" }, parts[1]:names())
  end)

  it("fixes types from the first chunk: a later value that breaks one names its line and column", function()
    local p = dir .. "/drift.csv"
    files.write(p, "a,b\n1,x\n2,y\n3,z\n4,v\n4.5,w\n")
    local it = bundle.read_csv_chunks(p, { rows = 2 })
    assert.are.equal("i64", it():col("a"):type())
    assert.are.equal("i64", it():col("a"):type()) -- lines 4 and 5 hold
    assert.are.equal(p .. ":6: column 'a': '4.5' is not an integer (use types = { a = \"str\" } to keep it as text)",
      err_of(it))
    -- given as an option, the type holds from the start
    local parts = chunks(p, { rows = 2, types = { a = "f64" } })
    assert.are.equal(4.5, parts[3]:col("a"):get(1))
  end)

  it("fails as read_csv fails, naming the same line", function()
    local p = dir .. "/ragged.csv"
    files.write(p, "a,b\n1,2\n3,4\n5\n6,7\n")
    local expected = err_of(bundle.read_csv, p)
    assert.are.equal(p .. ":4: 1 field, header has 2", expected)
    local it = bundle.read_csv_chunks(p, { rows = 1 })
    it()
    it()
    assert.are.equal(expected, err_of(it))
    local skip = bundle.read_csv_chunks(p, { rows = 10, on_bad_row = "skip" })
    assert.are.equal(3, skip():nrows())
    assert.are.same({ rows = 3, skipped = 1, skipped_lines = { 4 } }, skip:report())
    files.write(dir .. "/empty.csv", "")
    assert.are.equal(dir .. "/empty.csv: the file is empty (expected a header row)",
      err_of(bundle.read_csv_chunks, dir .. "/empty.csv"))
    files.write(dir .. "/header.csv", "a,b\n")
    assert.are.equal(dir .. "/header.csv: has a header but no data rows", err_of(bundle.read_csv_chunks(dir .. "/header.csv")))
    assert.are.equal("read_csv_chunks: unknown option 'row'", err_of(bundle.read_csv_chunks, ORDERS, { row = 3 }):match("^[^(]*[^ (]"))
    assert.are.equal(ORDERS .. ": key: no column 'orders' in the header",
      err_of(bundle.read_csv_chunks, ORDERS, { key = "orders" }))
  end)

  it("gives a last line without a line break, and nothing after the end", function()
    local p = dir .. "/nonl.csv"
    files.write(p, "a,b\n1,2\n3,4")
    local it = bundle.read_csv_chunks(p, { rows = 1 })
    assert.are.equal(1, it():col("a"):get(1))
    assert.are.equal(3, it():col("a"):get(1))
    assert.is_nil(it())
    assert.is_nil(it())
  end)
end)

describe("functions that take a frame of orders take the chunks", function()
  it("baskets", function()
    local whole = bundle.baskets(bundle.read_csv(ORDERS), { basket = "order", item = "item" })
    local streamed = bundle.baskets(bundle.read_csv_chunks(ORDERS, { rows = 64 }), { basket = "order", item = "item" })
    assert.are.equal(whole:size(), streamed:size())
    for k = 1, whole:size() do assert.are.same(whole:items(k), streamed:items(k)) end
  end)

  it("orders.prepare", function()
    local spec = { basket = "order", item = "item", time = "day", quantity = "qty", price = "price" }
    spec.orders = bundle.read_csv(ORDERS)
    local whole = bundle.orders.prepare(spec)
    spec.orders = bundle.read_csv_chunks(ORDERS, { rows = 100 })
    local streamed = bundle.orders.prepare(spec)
    assert.are.equal(cells(whole.sales), cells(streamed.sales))
  end)

  it("concat_frames refuses frames that do not line up", function()
    local a = bundle.read_csv(ORDERS, { columns = { "order" } })
    local b = bundle.read_csv(ORDERS, { columns = { "order" }, types = { order = "str" } })
    assert.are.equal("concat_frames: concat: column 'order' is i64 in frame 1 but str in frame 2",
      err_of(bundle.concat_frames, { a, b }))
    assert.are.equal("concat_frames: expected a Frame, a list of Frames or an iterator of Frames (read_csv_chunks), got number",
      err_of(bundle.concat_frames, 3))
  end)

  -- an iterator that never ends and gives no frame (a table whose __call
  -- returns 1) was called for ever, its values piling up, before the check
  it("stops at the first chunk that is not a Frame, even from an endless iterator", function()
    local calls = 0
    local endless = setmetatable({}, { __call = function() calls = calls + 1 return 1 end })
    assert.are.equal("baskets: chunk 1 is not a live Frame (got number)",
      err_of(bundle.baskets, endless, { basket = "order", item = "item" }))
    assert.are.equal(1, calls)
    local a = bundle.read_csv(ORDERS, { columns = { "order" } })
    local n = 0
    assert.are.equal("concat_frames: chunk 2 is not a live Frame (got string)",
      err_of(bundle.concat_frames, function() n = n + 1 return n == 1 and a or "x" end))
  end)
end)
