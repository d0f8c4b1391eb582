-- bundle.takerate: binomial take-rate models chosen on a later window.
-- A planted world where each pair keeps its own take rate from window to
-- window (so the current take rate predicts the next) and every pair is
-- touched equally often (so popularity predicts nothing); then pure noise,
-- where the trivial model must be kept.
local bundle = require "bundle"

local function err(fn) local ok, e = pcall(fn); assert.is_false(ok); return (tostring(e):gsub("^[^:]*:%d+: ", "", 1)) end

-- pairs p1a+p1b .. p30a+p30b; in each of three 60-day windows before the
-- cut (2024-07-01) every pair is touched by 40 baskets, completed with
-- probability rate(k) (planted) or 0.3 for every pair (noise)
local function world(rate)
  local path = os.tmpname()
  local fh = assert(io.open(path, "w"))
  fh:write("basket,item,time,price\n")
  local seed, id = 12345, 0
  local function rnd() seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 end
  for w, first in ipairs{ os.time{ year = 2024, month = 1, day = 3, hour = 12 }, os.time{ year = 2024, month = 3, day = 5, hour = 12 },
                          os.time{ year = 2024, month = 5, day = 4, hour = 12 } } do
    for k = 1, 30 do
      for j = 1, 40 do
        id = id + 1
        local day = os.date("%Y-%m-%d", first + ((j * 7 + k) % 55) * 86400)
        local both = rnd() < rate(k, w)
        local one = rnd() < 0.5 and "a" or "b"
        for _, side in ipairs(both and { "a", "b" } or { one }) do
          fh:write(("%d,p%d%s,%s 10:00:00,%d\n"):format(id, k, side, day, 5 + k % 3))
        end
      end
    end
  end
  fh:close()
  local f = bundle.read_csv(path)
  os.remove(path)
  local bk = bundle.baskets(f, { basket = "basket", item = "item", time = "time" })
  local cat = bundle.catalog(f:group_by("item"):agg{ price = { "mean", "price" } }, { item = "item", price = "price", margin = 0.3 })
  local list = {}
  for k = 1, 30 do list[k] = { "p" .. k .. "a", "p" .. k .. "b" } end
  return bk, cat, list
end

describe("bundle.takerate", function()
  it("prefers a learned model when the current take rate predicts the next", function()
    local bk, cat, list = world(function(k) return 0.05 + 0.9 * ((k - 1) % 10) / 9 end)
    local train, valid = bundle.takerate.windows(bk, "2024-07-01", { days = 60 })
    local tr = bundle.takerate.fit{ bundles = list, catalog = cat, train = train, valid = valid,
                                    models = { "constant", "popularity", "logistic" } }
    assert.equal("logistic", tr.chosen)
    assert.is_true(tr.report.learned_won)
    local by = {}
    for _, e in ipairs(tr.report.candidates) do by[e.name] = e end
    -- every pair is touched 40 times in each window
    assert.equal(30 * 40, by.constant.valid.baskets)
    assert.is_true(by.logistic.valid.logloss < by.constant.valid.logloss - 0.1)
    assert.is_true(by.logistic.valid.rmse < 0.1 and by.constant.valid.rmse > 0.25)
    -- predictions track the planted rates; explanations quote the current take rate
    local p = tr:predict({ list[1], list[10] }, valid)
    assert.is_true(p[1] < 0.25 and p[2] > 0.75)
    local ex = tr:explain({ list[10] }, valid, 2)
    assert.truthy(ex[1][1].text:find("already complete it", 1, true))
  end)

  it("keeps the trivial model, and says so, when nothing predicts", function()
    local bk, cat, list = world(function() return 0.3 end)
    local train, valid = bundle.takerate.windows(bk, "2024-07-01", { days = 60 })
    local tr = bundle.takerate.fit{ bundles = list, catalog = cat, train = train, valid = valid,
                                    models = { "constant", "popularity", "logistic" } }
    assert.is_true(tr.chosen == "constant" or tr.chosen == "popularity")
    assert.is_false(tr.report.learned_won)
    assert.truthy(tr.report.note:find("no learned model beat", 1, true))
  end)

  if bundle.model.gbdt_available then
    it("fits GBDT on shares weighted by touching baskets and explains with its contributions", function()
      local bk, cat, list = world(function(k) return 0.05 + 0.9 * ((k - 1) % 10) / 9 end)
      local train, valid = bundle.takerate.windows(bk, "2024-07-01", { days = 60 })
      local tr = bundle.takerate.fit{ bundles = list, catalog = cat, train = train, valid = valid, models = { "constant", "gbdt" } }
      assert.equal("gbdt", tr.chosen)
      local ex = tr:explain({ list[10] }, valid, 1)
      -- in this world every completion-count feature carries the same
      -- signal (touches are equal), so any of them may lead; price may not
      local f = ex[1][1].feature
      assert.is_true(f ~= "price" and f ~= "size" and f ~= "margin_rate", f)
      assert.is_true(ex[1][1].contribution > 0)
    end)
  end

  it("names bad options", function()
    local bk, cat, list = world(function() return 0.3 end)
    local train, valid = bundle.takerate.windows(bk, "2024-07-01", { days = 60 })
    assert.equal("takerate.fit: unknown option 'valdi'",
      err(function() bundle.takerate.fit{ bundles = list, catalog = cat, train = train, valdi = valid } end))
    assert.equal("takerate.fit: unknown model 'forest' (constant, popularity, logistic, mlp, gbdt)",
      err(function() bundle.takerate.fit{ bundles = list, catalog = cat, train = train, valid = valid, models = { "forest" } } end))
    assert.truthy(err(function() bundle.takerate.fit{ bundles = list, catalog = cat, train = train } end)
      :find("option 'valid' must be", 1, true))
  end)
end)
