-- Lifetimes (docs/API.md): a close while a running call uses the object is
-- refused with an error naming both; Itemsets, Rules and SearchResults
-- keep working after their Baskets or Catalog is closed. The exhaustive
-- cases (every search method and callback, pricing, eval, sandbox) are in
-- tests/security/close_in_callback.lua.
local bundle = require "bundle"
local W = require "search_world"

local function err(f, ...)
  local ok, e = pcall(f, ...)
  assert(not ok, "expected an error")
  return tostring(e)
end

describe("lifetimes", function()
  it("refuses closing the catalogue, baskets or model from an objective, and closes nothing", function()
    local _, bk, cat = W.world(3)
    local e = err(bundle.search, { catalog = cat, baskets = bk, size = { 2, 2 },
                                   objective = function(b) cat:close() return 1 end })
    assert.truthy(e:find("close: the Catalog is in use by a running search; close it after the call returns", 1, true))
    e = err(bundle.search, { catalog = cat, baskets = bk, size = { 2, 2 },
                             objective = function(b) local x <close> = bk return 1 end })
    assert.truthy(e:find("close: the Baskets is in use by a running search", 1, true))
    assert.are.equal(8, cat:size())
    assert.truthy(bk:size() > 0)
  end)

  it("refuses closing minimize's x from f", function()
    local T = bundle.tensor
    local e = err(bundle.optim.minimize, function(x) x:close() return 0, T.zeros(2) end, T.zeros(2))
    assert.truthy(e:find("close: the Tensor is in use by a running minimize", 1, true))
  end)

  it("keeps Itemsets, Rules and SearchResults working after their parent's close", function()
    local _, bk, cat = W.world(5)
    local its = bk:frequent { min_count = 2 }
    local rules = bk:rules { min_count = 2, min_confidence = 0.1 }
    local res = bundle.search { catalog = cat, baskets = bk, size = { 2, 3 }, objective = "lift", top = 3 }
    bk:close()
    cat:close()
    assert.truthy(err(bk.size, bk):find("baskets have been closed", 1, true))
    assert.truthy(err(cat.size, cat):find("catalog has been closed", 1, true))
    assert.truthy(#its:get(1).items > 0)
    assert.are.equal(#its, its:to_frame():nrows())
    assert.truthy(rules:get(1).lhs[1])
    for _, b in res:iter() do assert.truthy(b.items[1]) end
    its:close()
    assert.truthy(err(its.get, its, 1):find("itemsets have been closed", 1, true))
  end)
  -- Rules index by integer through a C __index closure; their methods were
  -- not among the functions a close looks for, so Rules:match's list could
  -- close the Rules it was matching (the close went through)
  it("refuses closing Rules from Rules:match's list or Rules:filter's function", function()
    local _, bk = W.world(3)
    local r = bk:rules { min_count = 1, min_confidence = 0.01 }
    local n = #r
    assert.truthy(n > 0)
    local list = setmetatable({}, { __len = function() r:close() return 1 end, __index = function() return "x" end })
    assert.truthy(err(r.match, r, list):find("close: the Rules is in use by a running call", 1, true))
    assert.truthy(err(r.filter, r, function() r:close() return true end)
                    :find("close: the Rules is in use by a running call", 1, true))
    assert.are.equal(n, #r) -- nothing was closed
    r:close()
  end)

  it("says a GroupBy's frame was closed, naming agg", function()
    local f = W.frame_of { "item,price", "a,1", "b,2", "a,3" }
    local g = f:group_by("item")
    f:close()
    assert.are.equal("agg: the GroupBy's frame has been closed (or is not a Frame)",
                     err(g.agg, g, { n = "count" }):gsub("^.-:%d+: ", ""))
  end)
end)
