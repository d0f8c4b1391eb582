#!/bin/sh
# Bundle objects cross sandbox.run's boundary as fresh deep copies owned by
# the receiving state, both ways (issue 18, item 1): each class's copy
# equals its original, closing either side leaves the other whole (ASan
# builds catch any sharing), a derived object's copy keeps a copy of its
# parent, a closed object fails with its place named, a copy past the
# run's memory limit fails, and the classes that cannot be copied are
# refused with their name.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/d"
printf 'order,sku,price,cost\n1,a,1,0.5\n1,b,2,1\n2,a,1,0.5\n2,b,2,1\n2,c,3,1\n3,a,1,0.5\n3,c,3,1\n4,b,2,1\n4,c,3,1\n5,a,1,0.5\n5,b,2,1\n5,c,3,1\n' > "$T/d/o.csv"
printf 'sku,price,cost\na,1,0.5\nb,2,1\nc,3,1\n' > "$T/d/cat.csv"
cat > "$T/host.lua" <<LUA
local b = require "bundle"
local sb = b.sandbox
local T = b.tensor
local D = "$T/d"
local function check(cond, what) print((cond and "held: " or "BROKEN: ") .. what) end
local function fails(code, opts)
  local ok, e = pcall(sb.run, code, opts)
  if ok then return "(ran)" end
  return e
end
-- a value's rows as one string, for comparing a copy with its original
local function rows(x)
  local out = {}
  for _, r in x:iter() do
    local t = {}
    for k, v in pairs(r) do
      if type(v) == "table" then
        local parts = {}
        for kk, vv in pairs(v) do parts[#parts + 1] = tostring(kk) .. "=" .. tostring(vv) end
        table.sort(parts)
        v = "{" .. table.concat(parts, ",") .. "}"
      end
      t[#t + 1] = k .. ":" .. tostring(v)
    end
    table.sort(t)
    out[#out + 1] = table.concat(t, " ")
  end
  return table.concat(out, "\n")
end
local function same_numbers(a, b)
  local x, y = a:totable(), b:totable()
  if #x ~= #y then return false end
  for i = 1, #x do if x[i] ~= y[i] then return false end end
  return true
end

local fr = b.read_csv(D .. "/o.csv")
local spec = { basket = "order", item = "sku" }

-- Baskets: in, out, and each side's close
local bk = b.baskets(fr, spec)
local want = tostring(bk)
local n, items = sb.run("local bk = ... return bk:size(), table.concat(bk:items(2), ',')", { args = { bk } })
check(n == 5 and items == "a,b,c", "Baskets in: the copy inside has the baskets (" .. tostring(n) .. ", " .. tostring(items) .. ")")
sb.run("local bk = ... bk:close() return true", { args = { bk } })
check(tostring(bk) == want, "Baskets in: closing the copy inside leaves the host's whole")
local bk2 = sb.run("return ...", { args = { bk } })
check(bk2 ~= bk and tostring(bk2) == want, "Baskets out: the copy equals the original")
bk:close()
check(tostring(bk2) == want and bk2:size() == 5, "Baskets: closing the original leaves the copy whole")
bk = b.baskets(fr, spec)
local one, same, t1, t2 = sb.run("local bk, t = ... return bk, bk, t, t", { args = { bk, T.ones(3) } })
check(rawequal(one, same) and rawequal(t1, t2) and t1:sum() == 3, "an object met twice in one call is copied once")
local bk3 = sb.run("local fr, spec = ... return require('bundle').baskets(fr, spec)", { args = { fr, spec } })
check(tostring(bk3) == want, "Baskets made inside come back equal (the sandbox's state is closed by now)")

-- Itemsets and Rules: the copy brings a copy of its baskets
local sets = bk:frequent{ min_count = 2 }
local rules = bk:rules{ min_count = 2, min_confidence = 0.1 }
local sets_rows, rules_rows = rows(sets), rows(rules)
local s2, r2, bk4 = sb.run("local s, r, bk = ... return s, r, bk", { args = { sets, rules, bk } })
check(rows(s2) == sets_rows and #s2 == #sets, "Itemsets: the copy equals the original (" .. #s2 .. " itemsets)")
check(rows(r2) == rules_rows and #r2 == #rules, "Rules: the copy equals the original (" .. #r2 .. " rules)")
sets:close() rules:close() bk:close()
bk4:close()
check(rows(s2) == sets_rows and rows(r2) == rules_rows, "Itemsets and Rules: their copies work after the originals and the returned Baskets are closed")
check(tostring(s2:to_frame():col("items"):totable()[4]) == "a,b", "Itemsets copy: labels read from its own baskets' copy")
local again = sb.run([[
  local fr, spec = ...
  local bk = require('bundle').baskets(fr, spec)
  return bk:frequent{ min_count = 2 }, bk:rules{ min_count = 2, min_confidence = 0.1 }
]], { args = { fr, spec } })
check(rows(again) == sets_rows, "Itemsets mined inside come back equal")
local inner = sb.run([[
  local s = ...
  local n = 0
  for _ in s:iter() do n = n + 1 end
  return n, s:to_frame():col("items"):totable()[4]
]], { args = { s2 } })
check(inner == #s2, "Itemsets in: the copy inside iterates (" .. tostring(inner) .. ")")

-- Catalog and SearchResult: the result's copy brings a copy of its catalogue
bk = b.baskets(fr, spec)
local cat = b.catalog(b.read_csv(D .. "/cat.csv"), { item = "sku", price = "price", cost = "cost" })
local res = b.search{ catalog = cat, baskets = bk, size = { 2, 2 }, top = 3, objective = "support" }
local multi = b.search{ catalog = cat, baskets = bk, size = { 2, 3 }, top = 4, objectives = { s = "support", m = "margin" } }
local res_rows, multi_rows, cat_text = rows(res), rows(multi), tostring(cat)
local c2, res2, multi2 = sb.run("return ...", { args = { cat, res, multi } })
check(tostring(c2) == cat_text and c2:size() == 3, "Catalog: the copy equals the original")
check(rows(res2) == res_rows and #res2 == #res, "SearchResult: the copy equals the original (" .. #res2 .. " bundles)")
check(rows(multi2) == multi_rows, "SearchResult with several objectives: scores by name equal")
check(#multi2:pareto{ "s", "m" } == #multi:pareto{ "s", "m" }, "SearchResult copy: its Pareto front equals the original's")
cat:close() res:close() multi:close() c2:close()
check(rows(res2) == res_rows and rows(multi2) == multi_rows, "SearchResult: its copy works after the original and both Catalogs are closed")
local found = sb.run([[
  local b = require('bundle')
  local fr, cf, spec = ...
  local cat = b.catalog(cf, { item = "sku", price = "price", cost = "cost" })
  return b.search{ catalog = cat, baskets = b.baskets(fr, spec), size = { 2, 2 }, top = 3, objective = "support" }
]], { args = { fr, b.read_csv(D .. "/cat.csv"), spec } })
check(rows(found) == res_rows, "SearchResult made inside comes back equal")

-- Models: predictions equal, and each side's close leaves the other whole
local X = T.from({ { 0, 1 }, { 1, 0 }, { 1, 1 }, { 2, 1 }, { 0, 3 }, { 3, 2 } })
local y = T.from({ 1, 2, 3, 4, 3, 6 })
local yb = T.from({ 0, 0, 1, 1, 0, 1 })
local models = {
  linear = b.model.linear(), logistic = b.model.logistic(),
  mlp = b.model.mlp{ layers = { 4 }, epochs = 5, seed = 1 },
}
models.linear:fit(X, y) models.logistic:fit(X, yb) models.mlp:fit(X, y, { warn = false })
models.unfitted = b.model.linear()
if b.model.gbdt_available then
  models.gbdt = b.model.gbdt{ trees = 5, depth = 2, objective = "reg:squarederror" }
  models.gbdt:fit(X, y)
  models.gbdt_unfitted = b.model.gbdt{ trees = 7 }
end
for name, m in pairs(models) do
  local copy, inside = sb.run([[
    local m, X = ...
    local ok, p = pcall(m.predict, m, X)
    return m, ok and p or "unfitted"
  ]], { args = { m, X } })
  local fitted = pcall(m.predict, m, X)
  if fitted then
    local p = m:predict(X)
    check(same_numbers(copy:predict(X), p) and same_numbers(inside, p), "Model " .. name .. ": the copies' predictions equal the original's")
    if m.close then m:close() else models[name] = nil m = nil collectgarbage() collectgarbage() end -- a GBDT has no close
    check(same_numbers(copy:predict(X), p), "Model " .. name .. ": closing the original leaves the copy whole")
  else
    check(inside == "unfitted" and not pcall(copy.predict, copy, X), "Model " .. name .. ": an unfitted model's copy is unfitted")
    if name:find("gbdt") then copy:fit(X, yb) else copy:fit(X, y, { warn = false }) end
    check(#copy:predict(X):totable() == 6, "Model " .. name .. ": the copy of an unfitted model fits")
  end
end
if models.gbdt_unfitted then
  check(models.gbdt_unfitted:options().trees == 7, "GBDT: the original's options stay")
end
local mlp = b.model.mlp{ layers = { 3 }, epochs = 4, seed = 2 }
mlp:fit(X, y, { warn = false })
local mlp2 = sb.run("return ...", { args = { mlp } })
local h2 = mlp2:fit(X, y, { warn = false })
local h1 = mlp:fit(X, y, { warn = false })
check(#h2.loss == 4 and h1.loss[4] == h2.loss[4], "MLP: the copy trains on from the same state as the original (loss " .. tostring(h2.loss[4]) .. ")")

-- Counts: exact, windowed, sketch, and a store loaded from its file
bk = b.baskets(fr, spec)
local stores = {
  exact = b.counts{ max_size = 3 }, window = b.counts{ window = 7 },
  sketch = b.counts{ mode = "sketch", capacity = 64, width = 256, decay = 30 },
}
for _, s in pairs(stores) do s:append(bk, { time = 86400 * 3 }) s:add({ "a", "c" }, 86400 * 4) end
stores.exact:save(D .. "/store.bin")
stores.loaded = b.load_counts(D .. "/store.bin")
stores.loaded:add({ "a", "b" }, 86400 * 5)
for name, s in pairs(stores) do
  local want_ab, want_ac = s:count{ "a", "b" }, s:count{ "a", "c" }
  local freq = s:frequent{ min_count = 1 }:col("count"):totable()
  local copy, inside = sb.run("local s = ... return s, s:count{ 'a', 'b' }", { args = { s } })
  check(copy:count{ "a", "b" } == want_ab and copy:count{ "a", "c" } == want_ac and inside == want_ab,
        "Counts " .. name .. ": the copies count as the original (" .. tostring(want_ab) .. ")")
  local cfreq = copy:frequent{ min_count = 1 }:col("count"):totable()
  check(copy:info().baskets == s:info().baskets and copy:info().items == s:info().items and #cfreq == #freq
        and table.concat(cfreq, ",") == table.concat(freq, ","), "Counts " .. name .. ": baskets, items and frequent itemsets equal")
  s:close()
  copy:add({ "a", "b" }, 86400 * 6)
  check(copy:count{ "a", "b" } == want_ab + 1 or name == "sketch", "Counts " .. name .. ": the copy lives on, and counts, after the original's close")
end

-- Column
local col = fr:col("sku")
local col2 = sb.run("local c = ... return c, #c:totable()", { args = { col } })
check(table.concat(col2:totable(), ",") == table.concat(col:totable(), ","), "Column: the copy equals the original")
col:close()
check(#col2:totable() == 12, "Column: closing the original leaves the copy whole")

-- closed objects fail with their place
local closed = b.baskets(fr, spec)
local kids = closed:frequent{ min_count = 2 }
kids:close()
local e = fails("return 1", { args = { { x = { kids } } } })
check(e:find("args[1].x[1] is a closed Itemsets", 1, true), "a closed Itemsets argument, by path: " .. e)
local m = b.model.linear() m:close()
e = fails("return 1", { args = { m } })
check(e:find("args[1] is a closed Model", 1, true), "a closed Model argument: " .. e)
e = fails("local bk = ... bk:close() return { bk = bk }", { args = { closed } })
check(e:find("result[1].bk is a closed Baskets", 1, true), "a closed Baskets result: " .. e)
e = fails("local c = ... c:close() return c", { args = { b.catalog(b.read_csv(D .. "/cat.csv"), { item = "sku", price = "price", cost = "cost" }) } })
check(e:find("result[1] is a closed Catalog", 1, true), "a closed Catalog result: " .. e)
e = fails("local c = ... c:close() return c", { args = { b.counts{} } })
check(e:find("result[1] is a closed Counts", 1, true), "a closed Counts result: " .. e)

-- refused classes, named
e = fails([[
  local b = require('bundle')
  local fr, cf, spec = ...
  local view
  b.search{ catalog = b.catalog(cf, { item = "sku", price = "price", cost = "cost" }), size = { 2, 2 },
            objective = function(v) view = v return 1 end }
  return view
]], { args = { fr, b.read_csv(D .. "/cat.csv"), spec } })
check(e:find("result[1] is a Bundle view", 1, true), "a Bundle view is refused: " .. e)
e = fails("return 1", { args = { b.preprocess.standardize() } })
check(e:find("args[1] has a metatable", 1, true), "an object made in Lua (a scaler) does not cross: " .. e)
local spread = b.mpi.baskets(b.baskets(fr, spec))
e = fails("return 1", { args = { spread } })
check(e:find("args[1] is a Baskets spread over MPI ranks", 1, true), "Baskets spread over MPI ranks are refused: " .. e)
local chunks = b.read_csv_chunks(D .. "/o.csv", { rows = 4 })
e = fails("return 1", { args = { chunks } })
check(e:find("args[1] is a CsvChunks iterator", 1, true) and e:find("cannot be copied", 1, true), "a CsvChunks iterator is refused: " .. e)
e = fails("return require('bundle').read_csv_chunks(...)", { args = { D .. "/o.csv" }, read = { D } })
check(e:find("result[1] is a CsvChunks iterator", 1, true), "a CsvChunks made inside is refused: " .. e)

-- a copy past the memory limit fails: in, against the run's budget; out,
-- against the run's limit (a 4 KB string returned 2,000 times costs 8 MB)
local fh = assert(io.open(D .. "/big.txt", "w"))
for i = 1, 400000 do fh:write(i % 1000, " ", (i + 1) % 1000, " ", (i + 7) % 1000, "\n") end
fh:close()
local big = b.read_baskets(D .. "/big.txt", { items = "integers" })
e = fails("return 1", { args = { big }, memory = 4 })
check(e:find("args[1] could not be copied", 1, true) and e:find("memory", 1, true), "Baskets past the run's memory going in: " .. e)
e = fails("local bk = ... local s = ('x'):rep(4096) local t = {} for i = 1, 2000 do t[i] = s end return t, bk",
          { args = { big }, memory = 14 })
check(e:find("result[2] is past the run's memory limit of 14 MB", 1, true), "Baskets past the run's memory coming out: " .. e)
local fine = sb.run("return ...", { args = { big }, memory = 14 })
check(fine:size() == 400000, "the same Baskets alone come back within the limit")
-- derived objects of one parent share one copy of it: four Itemsets of
-- the 8 MB Baskets cross in and back out within 20 MB only so (four
-- copies of the Baskets: 32 MB)
local mined = {}
for k, n in ipairs{ 1200, 1100, 1000, 900 } do mined[k] = big:frequent{ min_count = n } end
local okb, back = pcall(function() return { sb.run("return ...", { args = mined, memory = 20 }) } end)
if not okb then print("    | " .. tostring(back)) back = {} end
local same_sets = #back == 4
for k = 1, 4 do same_sets = same_sets and back[k] and rows(back[k]) == rows(mined[k]) end
check(same_sets, "four Itemsets of one Baskets cross both ways sharing one copy of it (" .. #mined[1] .. " to " .. #mined[4] .. " itemsets)")
print("cases: done")
LUA
run --timeout 120 "$T/host.lua"
expect_rc 0 "the host script finished"
cat "$T/out"
lacks "$T/out" "BROKEN" "every check held"
has "$T/out" "cases: done" "the checks ran to the end"
lacks "$T/err" "AddressSanitizer" "no sanitizer report"
finish
