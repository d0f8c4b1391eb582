-- bundle.takerate: binomial take-rate models chosen on a later window.
-- A planted world where each pair keeps its own take rate from window to
-- window (so the current take rate predicts the next) and every pair is
-- touched equally often (so popularity predicts nothing); then pure noise,
-- where the trivial model must be kept.
local bundle = require "bundle"

-- a frame from CSV text
local function frame_of(text)
  local path = os.tmpname()
  local fh = assert(io.open(path, "w"))
  fh:write(text)
  fh:close()
  local f = bundle.read_csv(path)
  os.remove(path)
  return f
end

local function err(fn) local ok, e = pcall(fn); assert.is_false(ok); return (tostring(e):gsub("^[^:]*:%d+: ", "", 1)) end

-- pairs p1a+p1b .. p30a+p30b; in each of three 60-day windows before the
-- cut (2024-07-01) every pair is touched by 40 baskets, completed with
-- probability rate(k) (planted) or 0.3 for every pair (noise)
local function world(rate)
  local path = os.tmpname()
  local fh = assert(io.open(path, "w"))
  fh:write("basket,item,time,price,category\n")
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
          -- odd pairs: both items in one category; even pairs: two
          local category = (side == "b" and k % 2 == 0) and "d" .. k or "c" .. k
          fh:write(("%d,p%d%s,%s 10:00:00,%d,%s\n"):format(id, k, side, day, 5 + k % 3, category))
        end
      end
    end
  end
  fh:close()
  local f = bundle.read_csv(path)
  os.remove(path)
  local bk = bundle.baskets(f, { basket = "basket", item = "item", time = "time" })
  local cat = bundle.catalog(f:group_by("item"):agg{ price = { "mean", "price" }, category = { "first", "category" } },
                             { item = "item", price = "price", margin = 0.3, category = "category" })
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
    assert.truthy(ex[1][1].feature:find("^attach_") and ex[1][1].text:find("complete it", 1, true), ex[1][1].text)
  end)

  it("draws learning curves: each candidate refitted on growing shares of its training rows", function()
    local bk, cat, list = world(function(k) return 0.05 + 0.9 * ((k - 1) % 10) / 9 end)
    local train, valid = bundle.takerate.windows(bk, "2024-07-01", { days = 60 })
    local tr = bundle.takerate.fit{ bundles = list, catalog = cat, train = train, valid = valid,
                                    models = { "constant", "popularity", "logistic" }, curve = true }
    local by = {}
    for _, e in ipairs(tr.report.candidates) do by[e.name] = e end
    local c = by.logistic.curve
    -- 30 training rows: 20, 40, 60, 80 and 100% of them
    assert.are.same({ 6, 12, 18, 24, 30 }, c.rows)
    assert.are.same({ 0.2, 0.4, 0.6, 0.8, 1 }, c.shares)
    -- the last point is the fit itself
    assert.equal(by.logistic.valid.logloss, c.valid[5])
    assert.equal(by.logistic.train.logloss, c.train[5])
    -- more rows: a better validation loss than on a fifth of them
    assert.is_true(c.valid[5] < c.valid[1], c.valid[1] .. " " .. c.valid[5])
    for i = 1, 5 do assert.is_true(c.train[i] > 0 and c.valid[i] > 0 and c.valid[i] < 5) end
    -- the constant learns nothing from more rows of the same rates: flat to within noise
    assert.equal(5, #by.constant.curve.rows)
    assert.is_true(math.abs(by.constant.curve.valid[1] - by.constant.curve.valid[5]) < 0.1)
    -- shares of one's own choosing; off by default
    local tr2 = bundle.takerate.fit{ bundles = list, catalog = cat, train = train, valid = valid,
                                     models = { "logistic" }, curve = { 0.5, 1 } }
    assert.are.same({ 15, 30 }, tr2.report.candidates[1].curve.rows)
    local tr3 = bundle.takerate.fit{ bundles = list, catalog = cat, train = train, valid = valid, models = { "logistic" } }
    assert.is_nil(tr3.report.candidates[1].curve)
    assert.truthy(err(function() bundle.takerate.fit{ bundles = list, catalog = cat, train = train, valid = valid,
                                                      curve = { 0.5, 1.5 } } end)
                  :find("takerate.fit: option 'curve'[2] must be a share in (0, 1], got 1.5", 1, true))
    assert.truthy(err(function() bundle.takerate.fit{ bundles = list, catalog = cat, train = train, valid = valid,
                                                      curve = "yes" } end)
                  :find("option 'curve' must be true or a list of shares", 1, true))
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

  -- In the first window every pair completes at 0.3; from the second on,
  -- pairs whose items share a category complete at 0.7, the others at
  -- 0.1. Trained on window 1 -> 2, only category_match predicts: the take
  -- rate seen in window 1 is noise.
  local function planted(k, w) if w == 1 then return 0.3 end return k % 2 == 1 and 0.7 or 0.1 end

  for _, model in ipairs{ "logistic", "gbdt", "mlp" } do
    if model ~= "gbdt" or bundle.model.gbdt_available then
      it("recovers a planted rule with its feature as the top contribution (" .. model .. ")", function()
        local bk, cat, list = world(planted)
        local train, valid = bundle.takerate.windows(bk, "2024-07-01", { days = 60 })
        local tr = bundle.takerate.fit{ bundles = list, catalog = cat, train = train, valid = valid,
                                        models = { "constant", "popularity", model } }
        assert.equal(model, tr.chosen)
        if model == "mlp" then -- its training-loss curve, per epoch, for the report's learning-curve chart
          local h
          for _, e in ipairs(tr.report.candidates) do if e.name == "mlp" then h = e.history end end
          assert.equal(40, #h.loss)
          assert.is_true(h.loss[40] < h.loss[1])
          -- and the loss on the fifth of the bundles held out of the fit, per epoch
          assert.equal(40, #h.val_loss)
          for e = 1, 40 do assert.is_true(h.val_loss[e] > 0 and h.val_loss[e] < 10) end
          assert.is_true(h.val_loss[40] < h.val_loss[1])
        end
        local p = tr:predict({ list[1], list[2] }, valid)
        -- planted 0.7 against 0.1 (the MLP, 30 rows unweighted, is shrunk)
        assert.is_true(p[1] > p[2] + 0.25, p[1] .. " " .. p[2])
        -- explained on the training window's rows: in the later window the
        -- rule also shows through the take rate seen and the basket sizes
        -- (the pairs' baskets), values the models never saw in training
        local ex = tr:explain({ list[1], list[3], list[5] }, train, 2)
        -- every model's contributions add up to its log-odds
        local C = tr:contributions({ list[1], list[2] }, train)
        local q = tr:predict({ list[1], list[2] }, train)
        assert.equal(#C.features, #C.values[1])
        for i = 1, 2 do
          local z = C.base[i]
          for _, v in ipairs(C.values[i]) do z = z + v end
          -- XGBoost sums in float32; the MLP's integral has 8 steps
          assert.near(math.log(q[i] / (1 - q[i])), z, model == "mlp" and 0.05 or 1e-4)
        end
        for i = 1, 3 do
          assert.equal("category_match", ex[i][1].feature)
          assert.equal(1, ex[i][1].value)
          assert.is_true(ex[i][1].contribution > 0.5)
          assert.equal("its items are in one category", ex[i][1].text)
        end
      end)
    end
  end

  it("keeps the trivial model with every candidate when the labels are noise", function()
    local bk, cat, list = world(function() return 0.3 end)
    local train, valid = bundle.takerate.windows(bk, "2024-07-01", { days = 60 })
    local tr = bundle.takerate.fit{ bundles = list, catalog = cat, train = train, valid = valid }
    assert.is_true(tr.chosen == "constant" or tr.chosen == "popularity", tr.chosen)
    assert.is_false(tr.report.learned_won)
    for _, e in ipairs(tr.report.candidates) do
      if not e.error then assert.is_true(e.valid.logloss > 0.5 and e.valid.logloss < 0.75) end
    end
    -- the constant column (every item costs alike within a pair) is dropped
    assert.truthy(table.concat(tr.report.dropped, ","):find("price_ratio", 1, true))
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

  it("stacks several training windows and tunes settings on the newest", function()
    local bk, cat, list = world(function(k) return 0.05 + 0.9 * ((k - 1) % 10) / 9 end)
    local train, valid = bundle.takerate.windows(bk, "2024-07-01", { days = 60, stack = 2, step = 20 })
    assert.equal(2, #train)
    local tr = bundle.takerate.fit{ bundles = list, catalog = cat, train = train, valid = valid,
                                    models = { "constant", "popularity", "logistic" }, refit = true }
    assert.equal(2, tr.report.training_windows)
    assert.equal(60, tr.report.training_rows)
    local by = {}
    for _, e in ipairs(tr.report.candidates) do by[e.name] = e end
    assert.equal("logistic", tr.chosen)
    assert.truthy(by.logistic.training == "newest window" or by.logistic.training == "2 windows stacked")
    assert.is_number(by.logistic.settings.l2)
    assert.equal("coefficient x standardised value", by.logistic.contributions)
    assert.is_true(by.logistic.refit)
    -- the refit (validation pair added) moves the predictions
    local again = bundle.takerate.fit{ bundles = list, catalog = cat, train = train, valid = valid,
                                       models = { "constant", "popularity", "logistic" } }
    assert.is_nil(again.report.candidates[3].refit) -- off by default
    assert.equal(by.logistic.valid.logloss, again.report.candidates[3].valid.logloss)
    assert.are_not.equal(tr:predict({ list[5] }, valid)[1], again:predict({ list[5] }, valid)[1])
    -- older windows than the data: left out, not an error
    local deep = bundle.takerate.windows(bk, "2024-07-01", { days = 60, stack = 3, step = 60 })
    assert.equal(0, deep[2].features:size())
    local short = bundle.takerate.fit{ bundles = list, catalog = cat, train = deep, valid = valid, models = { "constant" } }
    assert.equal(1, short.report.training_windows)
    assert.equal("takerate.windows: option 'stack' must be an integer >= 1",
      err(function() bundle.takerate.windows(bk, "2024-07-01", { stack = 0 }) end))
  end)

  it("adds price ratio, category match and basket-size context by name (features.table)", function()
    -- baskets: {a,b}, {a,b,c,d}, {c}, {d}; sizes 2, 4, 1, 1 (mean 2)
    local bk = bundle.baskets(frame_of("basket,item\n1,a\n1,b\n2,a\n2,b\n2,c\n2,d\n3,c\n4,d\n"),
                              { basket = "basket", item = "item" })
    local cat = bundle.catalog(frame_of("item,price,category\na,2,x\nb,8,x\nc,3,y\nd,3,z\n"),
                               { item = "item", price = "price", margin = 0.5, category = "category" })
    local t = bundle.features.table({ { "a", "b" }, { "c", "d" }, { "a", "b", "c" } }, { catalog = cat, baskets = bk })
    assert.equal(3, t.nrows)
    assert.same(bundle.features.context_names, { t.names[#t.names - 2], t.names[#t.names - 1], t.names[#t.names] })
    assert.near(math.log(4), t.columns.price_ratio[1], 1e-12)
    assert.near(0, t.columns.price_ratio[2], 1e-12)
    assert.same({ 1, 0, 1 / 3 }, t.columns.category_match)
    -- a and b: each in the baskets of sizes 2 and 4 -> mean 3 over 2
    assert.near(math.log(3 / 2), t.columns.basket_size[1], 1e-12)
    -- c and d: each in a basket of 4 and one of 1 -> 2.5 over 2
    assert.near(math.log(2.5 / 2), t.columns.basket_size[2], 1e-12)
    assert.equal(2, t.columns.size[1])
    assert.equal(3, t.columns.size[3])
  end)

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
