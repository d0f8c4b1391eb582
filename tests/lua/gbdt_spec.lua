-- bundle.model.gbdt: XGBoost's trees. A planted rule is recovered and its
-- feature is the top contribution; save/load round-trips exactly; errors
-- name the option or say the build has no XGBoost.
local bundle = require "bundle"
local T = bundle.tensor

local function err(fn) local ok, e = pcall(fn); assert.is_false(ok); return (tostring(e):gsub("^[^:]*:%d+: ", "", 1)) end

-- completion of a bundle driven by one feature ("lift"), beside two noise
-- columns: completed when lift > 2
local function planted(n)
  local X, y = {}, {}
  for i = 1, n do
    local noise1, lift, noise2 = (i * 37 % 101) / 101, 1 + 3 * ((i * 53 % 97) / 97), (i * 71 % 89) / 89
    X[i] = {noise1, lift, noise2}
    y[i] = lift > 2 and 1 or 0
  end
  return T.from(X), T.from(y)
end

local available = bundle.model.gbdt_available

describe("bundle.model.gbdt", function()
  if not available then
    it("says how to get XGBoost in a build without it", function()
      assert.equal("gbdt: this build has no XGBoost (install libxgboost-dev and rebuild)", err(function() bundle.model.gbdt{} end))
    end)
    return
  end

  it("recovers a planted rule and credits its feature first", function()
    local X, y = planted(600)
    local m = bundle.model.gbdt{ trees = 40, depth = 2, eta = 0.3, seed = 1 }
    m:fit(X, y, { feature_names = {"noise1", "lift", "noise2"} })
    assert.same({"noise1", "lift", "noise2"}, m:feature_names())
    local p = m:predict(X)
    for i = 1, 600 do assert.is_true(math.abs(p:get(i) - y:get(i)) < 0.1) end
    local c = m:contributions(X)
    assert.same({600, 4}, c:shape())
    local total = {0, 0, 0}
    for i = 1, 600 do for j = 1, 3 do total[j] = total[j] + math.abs(c:get(i, j)) end end
    assert.is_true(total[2] > 10 * total[1] and total[2] > 10 * total[3])
    -- a row's contributions and bias sum to its log-odds
    local z = c:get(1, 1) + c:get(1, 2) + c:get(1, 3) + c:get(1, 4)
    assert.is_true(math.abs(1 / (1 + math.exp(-z)) - p:get(1)) < 1e-5)
  end)

  it("fits shares with weights (a binomial target)", function()
    local m = bundle.model.gbdt{ trees = 200, eta = 0.3, min_child_weight = 0, lambda = 0 }
    m:fit(T.from{{0}, {1}}, T.from{0.75, 0.25}, { weight = T.from{4, 4} })
    local p = m:predict(T.from{{0}, {1}})
    assert.is_true(math.abs(p:get(1) - 0.75) < 1e-3 and math.abs(p:get(2) - 0.25) < 1e-3)
  end)

  it("round-trips through save and bundle.model.load with identical predictions", function()
    local X, y = planted(200)
    local m = bundle.model.gbdt{ trees = 15, objective = "reg:squarederror", subsample = 0.8, seed = 5 }
    m:fit(X, y, { feature_names = {"a", "b", "c"} })
    local path = os.tmpname()
    m:save(path)
    local l = bundle.model.load(path)
    os.remove(path)
    assert.equal("gbdt", l:kind())
    assert.same({"a", "b", "c"}, l:feature_names())
    assert.equal("reg:squarederror", l:options().objective)
    local p, q = m:predict(X), l:predict(X)
    for i = 1, 200 do assert.equal(p:get(i), q:get(i)) end
  end)

  it("names every bad option and argument", function()
    assert.equal("gbdt: unknown option 'tree'", err(function() bundle.model.gbdt{ tree = 3 } end))
    assert.equal("gbdt: depth 0 must be in 1..30", err(function() bundle.model.gbdt{ depth = 0 } end))
    assert.equal("gbdt: eta 2 must be in (0, 1]", err(function() bundle.model.gbdt{ eta = 2 } end))
    assert.truthy(err(function() bundle.model.gbdt{ objective = "poisson" } end):find("unknown objective 'poisson'", 1, true))
    local m = bundle.model.gbdt{ trees = 2 }
    assert.truthy(err(function() m:predict(T.ones(2, 2)) end):find("not fitted", 1, true))
    assert.equal("gbdt: fit: unknown option 'weights'", err(function() m:fit(T.ones(2, 2), T.ones(2), { weights = T.ones(2) }) end))
    assert.truthy(err(function() m:fit(T.ones(2, 2), T.from{0, 2}) end):find("labels in [0, 1]", 1, true))
    assert.truthy(err(function() m:fit(T.ones(2, 2), T.ones(2), { feature_names = {"a"} }) end)
      :find("feature_names has 1 names, X has 2 columns", 1, true))
    m:fit(T.ones(2, 2), T.ones(2))
    assert.truthy(err(function() m:predict(T.ones(2, 3)) end):find("3 columns, the model was fitted on 2", 1, true))
  end)
end)
