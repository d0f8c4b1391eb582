-- bundlerun side of scripts/bench/scale. One measurement per process:
--   stream PATH MODE [SUPPORT]   read_csv_chunks -> counts (MODE exact|sketch) -> frequent, rules
--   batch PATH [SUPPORT]         read_csv -> baskets -> frequent, rules (today's one-batch path)
--   build PATH STORE [MODE]      stream PATH into a store (exact or sketch) saved at STORE
--   daily STORE DAY [SUPPORT]    load STORE, append DAY's lines, save, frequent, rules
--   series PATH DAY...           the reference of a daily series: PATH streamed, then each
--                                DAY appended in turn in one process, "day d itemsets rules digest" after each
-- Prints "seconds peak_rss_kb itemsets rules digest": digest is a checksum
-- of the frequent itemsets and their counts (labels sorted inside each), so
-- two ways of counting the same lines can be compared exactly.
local bundle = require "bundle"
local what = arg[1]
local SPEC = { basket = "order", item = "item", time = "time" }

local function peak()
  return io.open("/proc/self/status"):read("a"):match("VmHWM:%s*(%d+)")
end

-- A checksum of (itemset, count) pairs that does not depend on order.
local function digest(f)
  local items, count = f:col("items"), f:col("count")
  local h = 0
  for i = 1, f:nrows() do
    local l = {}
    for x in items:get(i):gmatch("[^,]+") do l[#l + 1] = x end
    table.sort(l)
    local s = table.concat(l, ",") .. "=" .. tostring(math.tointeger(count:get(i)) or count:get(i))
    local v = 0
    for k = 1, #s do v = (v * 31 + s:byte(k)) % 4294967291 end
    h = (h + v) % 4294967291
  end
  return h
end

local function report(t0, sets, rules)
  print(("%.3f %s %d %d %d"):format(bundle.clock() - t0, peak(), sets:nrows(), rules:nrows(), digest(sets)))
end

local function stream_into(store, path)
  store:append(bundle.read_csv_chunks(path, { rows = 1000000, key = "order" }), SPEC)
end

local t0 = bundle.clock()
if what == "stream" then
  local support = tonumber(arg[4] or "0.0005")
  local store = bundle.counts{ mode = arg[3], max_size = 2, capacity = 200000, width = 1 << 18 }
  stream_into(store, arg[2])
  report(t0, store:frequent{ min_support = support }, store:rules{ min_support = support, min_confidence = 0.01 })
elseif what == "batch" then
  local support = tonumber(arg[3] or "0.0005")
  local bk = bundle.baskets(bundle.read_csv(arg[2]), SPEC)
  local sets = bk:frequent{ min_support = support, max_size = 2 }
  local rules = bk:rules{ min_support = support, max_size = 2, min_confidence = 0.01 }
  report(t0, sets:to_frame(), rules:to_frame())
elseif what == "build" then
  local store = bundle.counts{ mode = arg[4] or "exact", max_size = 2, capacity = 200000, width = 1 << 18 }
  stream_into(store, arg[2])
  store:save(arg[3])
  print(("%.3f %s"):format(bundle.clock() - t0, peak()))
elseif what == "daily" then
  local support = tonumber(arg[4] or "0.0005")
  local store = bundle.load_counts(arg[2])
  stream_into(store, arg[3])
  store:save(arg[2])
  report(t0, store:frequent{ min_support = support }, store:rules{ min_support = support, min_confidence = 0.01 })
elseif what == "series" then -- the reference for a series of days: PATH, then each DAY appended in turn
  local support = 0.0005
  local store = bundle.counts{ mode = "exact", max_size = 2 }
  stream_into(store, arg[2])
  for d = 3, #arg do
    stream_into(store, arg[d])
    local sets = store:frequent{ min_support = support }
    local rules = store:rules{ min_support = support, min_confidence = 0.01 }
    print(("day %d %d %d %d"):format(d - 2, sets:nrows(), rules:nrows(), digest(sets)))
  end
else
  error("usage: stream.lua stream|batch|build|daily|series ...")
end
