-- The error corpus: malformed CSV, FIMI and model files, and wrong Lua
-- arguments to the public functions. Each case asserts the shape of its
-- message: the file and line (or the file and what is wrong with it), or
-- the function and the argument. None may crash.
local bundle = require "bundle"
local T = bundle.tensor
local CSV = "tests/data/csv/"

local scratch = os.tmpname()
local function file(bytes)
  local f = assert(io.open(scratch, "wb"))
  f:write(bytes)
  f:close()
  return scratch
end

-- a saved model's bytes, to truncate and corrupt
local model_bytes
do
  local m = bundle.model.linear{}
  m:fit(T.from{ { 1 }, { 2 }, { 3 } }, T.from{ 1, 2, 3 })
  m:save(scratch)
  local f = assert(io.open(scratch, "rb"))
  model_bytes = f:read("a")
  f:close()
end

local function frame() return bundle.read_csv(CSV .. "basic.csv") end

-- { name, function that must fail, plain substrings its message must hold }
local cases = {
  -- CSV files: file:line and the column
  { "csv: a non-number in a number column", function() bundle.read_csv(CSV .. "bad_number.csv", { types = { price = "f64" } }) end,
    { "bad_number.csv:3:", "column 'price'", "'abc' is not a number" } },
  { "csv: a bad date", function() bundle.read_csv(CSV .. "bad_date.csv", { types = { when = "datetime" } }) end,
    { "bad_date.csv:3:", "'2011-13-01' is not a date" } },
  { "csv: a bad boolean", function() bundle.read_csv(CSV .. "bad_bool.csv", { types = { flag = "bool" } }) end,
    { "bad_bool.csv:3:", "'maybe' is not true or false" } },
  { "csv: a ragged row", function() bundle.read_csv(CSV .. "ragged.csv") end, { "ragged.csv:4:", "3 fields, header has 2" } },
  { "csv: a duplicated column", function() bundle.read_csv(CSV .. "dup_columns.csv") end,
    { "dup_columns.csv:1:", "column name 'a' appears twice" } },
  { "csv: an unterminated quote", function() bundle.read_csv(CSV .. "unterminated.csv") end,
    { "unterminated.csv:2:", "not closed by the end of the file" } },
  { "csv: an empty file", function() bundle.read_csv(CSV .. "empty.csv") end, { "empty.csv:", "the file is empty" } },
  { "csv: a header and no rows", function() bundle.read_csv(CSV .. "header_only.csv") end,
    { "header_only.csv:", "no data rows" } },
  { "csv: a truncated gzip", function() bundle.read_csv(CSV .. "truncated.csv.gz") end,
    { "truncated.csv.gz:", "cannot decompress" } },
  { "csv: a corrupt gzip", function() bundle.read_csv(CSV .. "corrupt.csv.gz") end, { "corrupt.csv.gz:", "cannot decompress" } },
  { "csv: a missing file", function() bundle.read_csv("/no/such/orders.csv") end,
    { "/no/such/orders.csv:", "cannot open" } },
  { "csv: an unknown type", function() bundle.read_csv(CSV .. "basic.csv", { types = { id = "int" } }) end,
    { "read_csv:", "types.id", "unknown type 'int'" } },
  { "csv: a two-character separator", function() bundle.read_csv(CSV .. "basic.csv", { sep = ",," }) end,
    { "read_csv:", "option 'sep' must be one character" } },
  { "csv: an unknown option", function() bundle.read_csv(CSV .. "basic.csv", { seperator = ";" }) end,
    { "read_csv:", "unknown option 'seperator'" } },
  -- FIMI basket files: file:line and the item (items = "integers": by
  -- default a file with a non-integer token reads as names)
  { "fimi: a non-integer item", function() bundle.read_baskets(file("1 2\n3 4x\n"), { items = "integers" }) end, { scratch .. ":2:", "item '4x'" } },
  { "fimi: an item past 64 bits", function() bundle.read_baskets(file("1 99999999999999999999\n"), { items = "integers" }) end,
    { scratch .. ":1:", "item '99999999999999999999' is not an integer" } },
  { "fimi: an empty file", function() bundle.read_baskets(file("")) end, { scratch .. ":", "no items (the file is empty)" } },
  { "baskets of names: an unclosed quote", function() bundle.read_baskets(file('salt "fine\n')) end,
    { scratch .. ":1:", "a quoted name is not closed on its line" } },
  { "fimi: a missing file", function() bundle.read_baskets("/no/such/retail.dat") end, { "/no/such/retail.dat:", "cannot open" } },
  -- model files: truncated, corrupted, foreign
  { "model: truncated in the header", function() bundle.model.load(file(model_bytes:sub(1, 20))) end,
    { "load:", scratch, "truncated: 20 bytes" } },
  { "model: truncated in the payload", function() bundle.model.load(file(model_bytes:sub(1, #model_bytes - 3))) end,
    { "load:", scratch, "truncated" } },
  { "model: a flipped byte", function()
      bundle.model.load(file(model_bytes:sub(1, 30) .. string.char((model_bytes:byte(31) + 1) % 256) .. model_bytes:sub(32)))
    end, { "load:", scratch, "checksum mismatch" } },
  { "model: a future format", function() bundle.model.load(file("BRMODEL\0" .. string.rep("\255", 40))) end,
    { "load:", scratch, "model format", "upgrade" } },
  { "model: not a model at all", function() bundle.model.load(CSV .. "basic.csv") end,
    { "load:", "basic.csv", "not a bundlerun model file" } },
  { "model: a missing file", function() bundle.model.load("/no/such.model") end, { "load:", "/no/such.model", "cannot open" } },
  -- wrong Lua arguments: the function and the argument
  { "tensor.zeros(-1)", function() T.zeros(-1) end, { "bad argument #1 to 'zeros'", "must not be negative" } },
  { "tensor.from ragged types", function() T.from{ 1, "a" } end, { "from:", "is a string, expected a number" } },
  { "matmul shapes", function() T.ones(2):matmul(T.ones(3)) end, { "matmul:", "{2} and {3}" } },
  { "get out of range", function() T.ones(2, 2):get(3, 1) end, { "get:", "index 3 out of range" } },
  { "add shapes", function() local _ = T.ones(2) + T.ones(3) end, { "add:", "do not broadcast" } },
  { "reshape", function() T.ones(2):reshape(3) end, { "reshape:", "cannot view {2}" } },
  { "model.linear{ l2 = -1 }", function() bundle.model.linear{ l2 = -1 } end, { "linear:", "l2 -1" } },
  { "model.mlp{ layers = 'x' }", function() bundle.model.mlp{ layers = "x" } end, { "mlp:", "layers must be a list" } },
  { "predict before fit", function() bundle.model.linear{}:predict(T.ones(2, 2)) end, { "predict:", "not fitted" } },
  { "fit with mismatched y", function() bundle.model.linear{}:fit(T.ones(2, 2), T.ones(3)) end,
    { "fit:", "y must hold 2 values" } },
  { "baskets(1)", function() bundle.baskets(1) end, { "bad argument #1", "bundle.Frame expected, got number" } },
  { "catalog with a missing column", function() bundle.catalog(frame(), { item = "nope" }) end,
    { "catalog:", "no column 'nope'" } },
  { "frame:col('nope')", function() frame():col("nope") end, { "col:", "no column 'nope'", "columns: id, price" } },
  { "frame:filter(1)", function() frame():filter(1) end, { "bad argument #1 to 'filter'", "bundle.Tensor expected" } },
  { "frame:sort('nope')", function() frame():sort("nope") end, { "sort:", "no column 'nope'" } },
  { "search without a catalogue", function() bundle.search{ catalog = 1 } end,
    { "search:", "option 'catalog' must be a bundle.catalog" } },
  { "price.optimize without a catalogue", function() bundle.price.optimize({ { "a" } }, {}) end,
    { "price.optimize:", "option 'catalog'" } },
  { "pareto.front ragged", function() bundle.pareto.front{ { 1, 2 }, { 1 } } end, { "front:", "point 2 must be a list of 2" } },
  { "eval.backtest(x, 1)", function() bundle.eval.backtest({ { "a" } }, 1) end,
    { "backtest:", "test_baskets must be bundle.baskets" } },
  { "eval.topk(1)", function() bundle.eval.topk(1, 2) end, { "bad argument #1 to 'topk'", "bundle.Tensor expected" } },
  { "eval.completion(x, 1)", function() bundle.eval.completion({ { "a" } }, 1) end, { "completion:", "must be bundle.baskets" } },
  { "eval.bandit(1)", function() bundle.eval.bandit(1) end, { "bandit:", "expects a table of options" } },
  { "als with mismatched ids", function() bundle.als(T.from{ 1, 2 }, T.from{ 1 }, { nrows = 2, ncols = 2 }) end,
    { "als:", "same length" } },
  { "split with mismatched y", function() bundle.split(T.ones(3, 2), T.ones(2)) end, { "split:", "y must have 3 rows" } },
  { "metrics.rmse lengths", function() bundle.metrics.rmse(T.ones(2), T.ones(3)) end, { "rmse:", "y has 2 values, yhat 3" } },
  { "optim.minimize(1)", function() bundle.optim.minimize(1) end, { "minimize:", "f must be a function" } },
  { "json.write(1)", function() bundle.json.write(1, {}) end, { "json.write:", "path must be a string" } },
  { "json.encode(function)", function() bundle.json.encode{ f = function() end } end, { "json:", "a function cannot be written" } },
  { "features.bundles without a catalogue", function() bundle.features.bundles({ { "a" } }, {}) end,
    { "features", "option 'catalog'" } },
  { "recommend(1)", function() bundle.recommend(1, "u") end, { "recommend:", "expects a recommender" } },
  { "pipeline{ rounds = 0 }", function() bundle.pipeline{ rounds = 0 } end, { "pipeline:", "rounds must be a positive integer" } },
  -- regression (found by fuzz_lua): an infinite time was cast to an integer
  { "split_by_time(math.huge)", function() frame():split_by_time("day", math.huge) end,
    { "split_by_time:", "time inf is not a date" } },
  -- regression (found by fuzz_lua): the product of the sizes overflowed
  { "reshape(2^53, 2^53)", function() T.ones(2):reshape(2 ^ 53, 2 ^ 53) end, { "reshape:", "cannot view {2}" } },
  -- regression (found by fuzz_model): a payload length near 2^63 overflowed the message's sum
  { "model: a payload length near 2^63", function()
      bundle.model.load(file("BRMODEL\0" .. string.pack("<I4I4i8", 1, 1, math.maxinteger) .. ("\0"):rep(16)))
    end, { "load:", "truncated", "9223372036854775807-byte payload" } },
  -- regression: a bundle whose __len grew between the binding's two passes wrote past its buffer;
  -- the one reader asks each length once, and caps it before allocating
  { "a bundle whose __len reports 2^40 items", function()
      local huge = setmetatable({ "a" }, { __len = function() return 1 << 40 end, __index = function() return "a" end })
      local bk = bundle.baskets(frame(), { basket = "id", item = "name" })
      bundle.eval.backtest({ huge }, bk)
    end, { "backtest: bundles: bundle 1 holds 1099511627776 items; at most 16777216" } },
  -- enumerated options: one reader (lbr_opt_enum), every choice named
  { "join with an unknown how", function() frame():join(frame(), { on = "id", how = "outer" }) end,
    { "join: unknown how 'outer' (inner, left)" } },
  { "price.simulate with a goal that is not a name", function()
      bundle.price.simulate{ price = { 3 }, share = { 0.2 }, goal = 7 }
    end, { "price.simulate: unknown goal (a number) (profit, incremental)" } },
  -- regression (found by fuzz_lua): points with no scores made the core read past the buffer
  { "pareto.front of empty points", function() bundle.pareto.front{ {}, {}, {} } end, { "front:", "point 1 has no scores" } },
  -- regression (found by fuzz_lua): strides of an empty tensor with huge other sizes overflowed
  { "ones(0, 2^63 - 1, 2^63 - 1)", function() T.ones(0, math.maxinteger, math.maxinteger) end,
    { "shape is too large" } },
  -- regression (found by fuzz_lua): the same through an n x 0 tensor, which the first fix missed
  { "pareto.front of an n x 0 tensor", function() bundle.pareto.front(T.zeros(5, 0)) end, { "front:", "no scores" } },
  -- regression: a bundle that is not a table popped the wrong stack slot in price's reader
  { "price.optimize with a number for a bundle", function()
      local f = frame()
      f = f:filter(f:col("price"):gt(0))
      local cat = bundle.catalog(f, { item = "name", price = "price", margin = 0.3 })
      bundle.price.optimize({ 5 }, { catalog = cat, baskets = bundle.baskets(f, { basket = "id", item = "name" }) })
    end, { "price.optimize", "bundle 1 must be a list of item labels" } },
  { "price.baseline with an elasticity bound too small to draw from", function()
      local f = frame()
      f = f:filter(f:col("price"):gt(0))
      local cat = bundle.catalog(f, { item = "name", price = "price", margin = 0.3 })
      local items = f:col("name"):totable()
      bundle.price.baseline({ { items[1], items[2] } }, { catalog = cat, max_elasticity = 0.01,
        baskets = bundle.baskets(f, { basket = "id", item = "name" }) })
    end, { "price:", "max_elasticity must be 0 (no bound) or in [0.1, 1e6], got 0.01" } },
  -- dates in a shop's own format, and order lines through bundle.orders
  { "csv: a date that does not match time_format", function()
      bundle.read_csv(file("id,day\n1,03/01/2024\n2,2024-13-01\n"), { types = { day = "datetime" }, time_format = "%d/%m/%Y" })
    end, { scratch .. ":3:", "column 'day'", "'2024-13-01' is not a date in the time_format '%d/%m/%Y'" } },
  { "csv: an unknown time_format directive", function() bundle.read_csv(CSV .. "basic.csv", { time_format = "%d/%m/%J" }) end,
    { "read_csv:", "unknown directive '%J'" } },
  { "to_datetime of a bad day-first date", function()
      bundle.read_csv(file("id,day\n1,31/02/2024\n")):col("day"):to_datetime{ day_first = true }
    end, { "to_datetime:", "row 1", "'31/02/2024' is not a day-first date", "column 'day'" } },
  { "baskets on a composite key with a missing column", function()
      bundle.baskets(frame(), { basket = { "id", "nope" }, item = "name" })
    end, { "baskets:", "no column 'nope'", "columns: id, price" } },
  { "orders.prepare with a typo", function() bundle.orders.prepare{ orders = CSV .. "basic.csv", baskett = "id" } end,
    { "orders.prepare:", "unknown key 'baskett'", "did you mean 'basket'", "the valid keys are" } },
  { "orders.prepare with a missing column", function()
      bundle.orders.prepare{ orders = CSV .. "basic.csv", basket = "id", item = "name", time = "day", quantity = "Quantity" }
    end, { "orders.prepare:", "quantity: no column 'Quantity'", "basic.csv", "its columns: id, price" } },
  { "orders.prepare that removes every line", function()
      bundle.orders.prepare{ orders = CSV .. "basic.csv", basket = "id", item = "name", time = "day", item_filter = "^%d" }
    end, { "orders.prepare:", "no sales left", "item_filter '^%d' removed the last" } },
  { "price.optimize with an elasticity table naming no catalogue item", function()
      local f = frame()
      f = f:filter(f:col("price"):gt(0))
      local cat = bundle.catalog(f, { item = "name", price = "price", margin = 0.3 })
      local items = f:col("name"):totable()
      bundle.price.optimize({ { items[1], items[2] } }, { catalog = cat, elasticity = { nope = 2 },
        baskets = bundle.baskets(f, { basket = "id", item = "name" }) })
    end, { "price.optimize:", "elasticity: no item 'nope' in the catalogue" } },
  { "price.simulate without prices", function() bundle.price.simulate{ share = { 0.2 } } end,
    { "price.simulate:", "option 'price' is required" } },
  { "price.simulate with a short share list", function()
      bundle.price.simulate{ price = { 3, 4 }, share = { 0.2 } }
    end, { "price.simulate:", "share must hold 2 numbers (one per item), got 1" } },
  { "price.elasticity with a missing column", function() bundle.price.elasticity(frame(), { item = "name" }) end,
    { "price.elasticity:", "the orders have no column 'quantity' (option quantity)" } },
  { "eval.simulate with a typo", function()
      bundle.eval.simulate({}, bundle.baskets(frame(), { basket = "id", item = "name" }), { catalogue = 1 })
    end, { "simulate:", "unknown option 'catalogue'", "catalog, customers" } },
  { "eval.completion with a typo", function()
      bundle.eval.completion({}, bundle.baskets(frame(), { basket = "id", item = "name" }), { top = 5 })
    end, { "completion:", "unknown option 'top'", "k, max_baskets, seed" } },
  { "pipeline with a typo in data", function()
      bundle.pipeline{ data = { orders = CSV .. "basic.csv", basket = "id", item = "name", time = "day", quantiy = "q" },
                       start = "2020-01-01" }
    end, { "pipeline:", "unknown data option 'quantiy'" } },
  { "sandbox.run(1)", function() bundle.sandbox.run(1) end, { "sandbox.run:", "expects Lua code or a path" } },
  { "seed('x')", function() bundle.seed("x") end, { "bad argument #1", "number expected, got string" } },
}

describe("the error corpus", function()
  it("has at least 30 cases", function() assert.is_true(#cases >= 30) end)
  for _, c in ipairs(cases) do
    it(c[1], function()
      local ok, err = pcall(c[2])
      assert.is_false(ok, c[1] .. " did not fail")
      err = tostring(err)
      for _, want in ipairs(c[3]) do
        assert.truthy(err:find(want, 1, true), ("%s: message %q lacks %q"):format(c[1], err, want))
      end
    end)
  end
end)

os.remove(scratch)
