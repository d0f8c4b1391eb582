-- docs/API.md covers every function the bundle module exports and every
-- method of the objects it returns: a new export without an entry fails
-- here. And the other way: every bundle.name and Class:method it documents
-- exists, so a renamed or removed function cannot stay on the page.
local bundle = require "bundle"
local T = bundle.tensor

local f = assert(io.open("docs/API.md"))
local doc = f:read("a")
f:close()

local function documented(name) return doc:find(name, 1, true) ~= nil end

-- bundle.x, bundle.mod.fn, bundle.mod.Class.method, and callable modules
local function exports()
  local out, seen = {}, {}
  local function walk(t, prefix, depth)
    if seen[t] then return end
    seen[t] = true
    for k, v in pairs(t) do
      if type(k) == "string" and k:sub(1, 1) ~= "_" then
        local name = prefix .. k
        if type(v) == "function" then out[#out + 1] = name
        elseif type(v) == "table" and depth < 3 and k ~= "allowed" then walk(v, name .. ".", depth + 1)
        elseif type(v) ~= "table" then out[#out + 1] = name end
      end
    end
    local mt = getmetatable(t)
    if type(mt) == "table" and mt.__call then out[#out + 1] = prefix:sub(1, -2) .. "(" end
  end
  walk(bundle, "bundle.", 0)
  table.sort(out)
  return out
end

local function methods(class, obj)
  local out = {}
  local index = getmetatable(obj).__index
  if type(index) == "function" then -- a closure over its methods table (Bundle views)
    index = select(2, debug.getupvalue(index, 1))
  end
  for k, v in pairs(index) do
    if type(v) == "function" and k:sub(1, 2) ~= "__" then out[#out + 1] = class .. ":" .. k end
  end
  table.sort(out)
  return out
end

describe("docs/API.md", function()
  it("lists every exported function and value", function()
    local missing = {}
    local names = exports()
    for _, name in ipairs(names) do
      -- the Recommender's methods are documented as Recommender.name
      local short = name:gsub("^bundle%.recommend%.Recommender%.", "Recommender.")
      if not documented(name) and not documented(short) then missing[#missing + 1] = name end
    end
    assert.is_true(#names > 70)
    assert.are.same({}, missing)
  end)

  it("documents only functions and methods that exist", function()
    local missing, count = {}, 0
    for name in doc:gmatch("`(bundle%.[%a_][%w_%.]*)") do
      local v = bundle
      for part in name:gmatch("[^.]+", #"bundle." + 1) do
        if type(v) ~= "table" then v = nil; break end
        v = v[part]
      end
      count = count + 1
      -- bundle.core is the C module's name for require, not a field
      if v == nil and name ~= "bundle.core" then missing[#missing + 1] = name end
    end
    assert.is_true(count > 70)
    assert.are.same({}, missing)
  end)

  it("lists every method of every object", function()
    local orders = bundle.read_csv("tests/data/csv/basic.csv")
    local tmp = os.tmpname()
    local fh = assert(io.open(tmp, "w"))
    fh:write("basket,item,price\n1,a,2\n1,b,3\n2,a,2\n2,b,3\n3,c,5\n")
    fh:close()
    local lines = bundle.read_csv(tmp)
    local chunks = bundle.read_csv_chunks(tmp, { rows = 2 })
    os.remove(tmp)
    local bk = bundle.baskets(lines, { basket = "basket", item = "item" })
    local cat = bundle.catalog(lines:group_by("item"):agg{ price = { "mean", "price" } },
                               { item = "item", price = "price", margin = 0.3 })
    local res = bundle.search{ catalog = cat, baskets = bk, pool = { { "a", "b" } }, size = { 2, 2 }, top = 1,
                               objective = "expected_profit" }
    local view
    bundle.search{ catalog = cat, baskets = bk, pool = { { "a", "b" } }, size = { 2, 2 }, top = 1,
                   objective = function(b) view = view or b; return 1 end }
    local objects = {
      Tensor = T.ones(2), Frame = orders, Column = orders:col("id"), GroupBy = orders:group_by("name"), Baskets = bk,
      Itemsets = bk:frequent{ min_support = 0.1 }, Rules = bk:rules{ min_support = 0.1 }, Model = bundle.model.linear{},
      Catalog = cat, SearchResult = res, Bundle = view, Counts = bundle.counts{}, CsvChunks = chunks,
    }
    if bundle.model.gbdt_available then objects.GBDT = bundle.model.gbdt{} end
    local missing, count = {}, 0
    for class, obj in pairs(objects) do
      for _, m in ipairs(methods(class, obj)) do
        count = count + 1
        if not documented(m) then missing[#missing + 1] = m end
      end
    end
    table.sort(missing)
    assert.is_true(count > 120)
    assert.are.same({}, missing)
    -- the other way: each Class:method on the page is a method of a live object
    local absent, seen = {}, {}
    for class, method in doc:gmatch("`(%u%a+):([%a_][%w_]*)") do
      local obj = objects[class]
      if obj and not seen[class .. ":" .. method] then
        seen[class .. ":" .. method] = true
        if type(obj[method]) ~= "function" then absent[#absent + 1] = class .. ":" .. method end
      end
    end
    table.sort(absent)
    assert.is_true(next(seen) ~= nil)
    assert.are.same({}, absent)
  end)
end)
