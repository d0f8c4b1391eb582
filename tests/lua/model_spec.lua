-- Models, optimisers, metrics and preprocessing: values checked by hand or
-- against closed forms, and every error path the issue names.
local bundle = require "bundle"
local T = bundle.tensor

local function close(a, b, tol) return math.abs(a - b) <= (tol or 1e-9) * math.max(1, math.abs(b)) end
local function err(fn) local ok, e = pcall(fn); assert.is_false(ok); return (tostring(e):gsub("^[^:]*:%d+: ", "", 1)) end

describe("linear regression", function()
  it("recovers an exact line and a noisy plane's least-squares fit", function()
    local m = bundle.model.linear{}
    m:fit(T.from{{0}, {1}, {2}, {3}}, T.from{1, 3, 5, 7})
    local w, b = m:coef()
    assert.is_true(close(w:get(1), 2)); assert.is_true(close(b, 1))
    assert.is_true(close(m:predict(T.from{{10}}):get(1), 21))
    -- least squares in closed form: w = (X'X)^-1 X'y for two centred features
    local X = T.randn(50, 2, {seed = 3})
    local y = X:matmul(T.from{1.5, -0.5}) + T.randn(50, {seed = 4}) * 0.1 + 2
    local fit = bundle.model.linear{}
    fit:fit(X, y)
    local Xc = X - X:mean(1, {keepdim = true})
    local yc = y - y:mean()
    local A, r = Xc:t():matmul(Xc), Xc:t():matmul(yc)
    local a, bb, c, d = A:get(1, 1), A:get(1, 2), A:get(2, 1), A:get(2, 2)
    local det = a * d - bb * c
    local w1, w2 = (d * r:get(1) - bb * r:get(2)) / det, (a * r:get(2) - c * r:get(1)) / det
    local got = fit:coef()
    assert.is_true(close(got:get(1), w1, 1e-10)); assert.is_true(close(got:get(2), w2, 1e-10))
  end)

  it("adds the ridge penalty to the weights but not the intercept", function()
    local X, y = T.from{{1}, {2}, {3}}, T.from{2, 4, 6}
    local m = bundle.model.linear{ l2 = 2 }
    m:fit(X, y)
    -- centred: x = {-1,0,1}, y = {-2,0,2}: w = sum(xy) / (sum(x^2) + l2) = 4 / 4
    local w, b = m:coef()
    assert.is_true(close(w:get(1), 1)); assert.is_true(close(b, 4 - 1 * 2))
  end)

  it("reports rank deficiency instead of returning garbage (the seed's table)", function()
    local X = T.from{{10, 20, 30}, {15, 25, 35}, {20, 30, 40}}
    assert.truthy(err(function() bundle.model.linear{}:fit(X, T.from{500, 600, 700}) end)
      :find("linear: X is rank deficient (rank 1 of 3 columns)", 1, true))
    local m = bundle.model.linear{ l2 = 1e-6 }
    m:fit(X, T.from{500, 600, 700})
    assert.is_true(close(m:predict(T.from{{5, 10, 15}}):get(1), 300, 1e-6))
  end)
end)

describe("logistic regression", function()
  it("finds the hand-derived optimum w = 2 / (1 + e^w)", function()
    -- x = -1, y = 0 and x = 1, y = 1, l2 = 1, no intercept: the objective is
    -- 2 softplus(-w) + w^2 / 2, stationary where w = 2 / (1 + e^w)
    local m = bundle.model.logistic{ l2 = 1, intercept = false, tol = 1e-12 }
    m:fit(T.from{{-1}, {1}}, T.from{0, 1})
    local w = m:coef():get(1)
    assert.is_true(math.abs(w - 2 / (1 + math.exp(w))) < 1e-10)
    assert.is_true(close(w, 0.6748, 1e-3))
    assert.are.same({0, 1}, m:predict(T.from{{-1}, {1}}):totable())
    local p = m:predict_proba(T.from{{1}}):get(1)
    assert.is_true(close(p, 1 / (1 + math.exp(-w))))
  end)

  it("separates a learnable problem with high accuracy", function()
    local X = T.randn(400, 3, {seed = 7})
    local y = (X:matmul(T.from{3, -2, 0}) + T.randn(400, {seed = 8}) * 0.3):gt(0)
    local m = bundle.model.logistic{ l2 = 0.1 }
    local h = m:fit(X, y)
    assert.is_true(h.iterations > 0)
    assert.is_true(bundle.metrics.accuracy(y, m:predict(X)) > 0.95)
    assert.is_true(bundle.metrics.auc(y, m:predict_proba(X)) > 0.98)
  end)
end)

describe("model input errors", function()
  local m = bundle.model.linear{}
  it("name the argument and the problem", function()
    assert.are.equal("linear: fit: y must hold 3 values (one per row of X), got 2",
      err(function() m:fit(T.ones(3, 2), T.ones(2)) end))
    assert.are.equal("linear: fit: X holds NaN at row 2, column 1",
      err(function() m:fit(T.from{{1}, {0 / 0}, {3}}, T.ones(3)) end))
    assert.are.equal("linear: fit: y holds Inf at row 1", err(function() m:fit(T.ones(2, 1), T.from{math.huge, 1}) end))
    assert.are.equal("linear: predict: the model is not fitted (call fit first)", err(function() m:predict(T.ones(2, 1)) end))
    assert.are.equal("linear: unknown option 'l1'", err(function() bundle.model.linear{ l1 = 1 } end))
    assert.are.equal("logistic: y must be 0 or 1 (row 2 is 2)",
      err(function() bundle.model.logistic{}:fit(T.ones(2, 1), T.from{1, 2}) end))
    assert.are.equal("linear: predict_proba is for classifiers (logistic)", err(function() m:predict_proba(T.ones(1, 1)) end))
    local f = bundle.model.linear{}
    f:fit(T.ones(3, 2) + T.from{{0, 0}, {1, 0}, {0, 1}}, T.ones(3))
    assert.are.equal("linear: predict: X has 3 columns, the model was fitted on 2", err(function() f:predict(T.ones(1, 3)) end))
  end)
end)

describe("optimisers", function()
  it("adam and sgd minimise a quadratic", function()
    for _, opt in ipairs{ bundle.optim.adam{ lr = 0.05 }, bundle.optim.sgd{ lr = 0.1, momentum = 0.5 } } do
      local x = T.from{3, -4}
      for _ = 1, 500 do opt:step(x, (x - T.from{1, 2}) * 2) end -- grad of |x - c|^2
      assert.is_true(close(x:get(1), 1, 1e-3)); assert.is_true(close(x:get(2), 2, 1e-3))
    end
  end)

  it("minimize finds the Rosenbrock minimum with L-BFGS", function()
    local function rosen(x)
      local a, b = x:get(1), x:get(2)
      return (1 - a) ^ 2 + 100 * (b - a * a) ^ 2, T.from{-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)}
    end
    local x, info = bundle.optim.minimize(rosen, T.from{-1.2, 1}, { method = "lbfgs", max_iter = 200 })
    assert.is_true(info.converged)
    assert.is_true(close(x:get(1), 1, 1e-6)); assert.is_true(close(x:get(2), 1, 1e-6))
  end)

  it("passes an objective's own error through, and names bad returns", function()
    local ok, e = pcall(bundle.optim.minimize, function() error("boom in objective") end, T.ones(2))
    assert.is_false(ok); assert.truthy(tostring(e):find("boom in objective", 1, true))
    assert.truthy(err(function() bundle.optim.minimize(function() return "x" end, T.ones(2)) end)
      :find("minimize: the objective must return a number and a gradient tensor", 1, true))
    assert.truthy(err(function() bundle.optim.minimize(function(x) return 1, T.ones(3) end, T.ones(2)) end)
      :find("one value per parameter", 1, true))
    assert.truthy(err(function() bundle.optim.minimize(function() end, T.ones(2), { method = "newton" }) end)
      :find("unknown method 'newton'", 1, true))
    assert.truthy(err(function() bundle.optim.adam{ rate = 1 } end):find("adam: unknown option 'rate'", 1, true))
  end)
end)

describe("metrics", function()
  local y, yhat = T.from{1, 2, 3}, T.from{1, 2, 5}
  it("match hand-computed values", function()
    assert.is_true(close(bundle.metrics.mse(y, yhat), 4 / 3))
    assert.is_true(close(bundle.metrics.rmse(y, yhat), math.sqrt(4 / 3)))
    assert.is_true(close(bundle.metrics.mae(y, yhat), 2 / 3))
    assert.is_true(close(bundle.metrics.r2(y, yhat), 1 - 4 / 2))
    assert.is_true(close(bundle.metrics.accuracy(T.from{1, 0, 1, 1}, T.from{1, 1, 1, 0}), 0.5))
    assert.is_true(close(bundle.metrics.logloss(T.from{1, 0}, T.from{0.8, 0.4}), -(math.log(0.8) + math.log(0.6)) / 2))
    -- positives score 0.35 and 0.8; negatives 0.1 and 0.4: 3 of 4 pairs ordered
    assert.is_true(close(bundle.metrics.auc(T.from{0, 0, 1, 1}, T.from{0.1, 0.4, 0.35, 0.8}), 0.75))
    assert.is_true(close(bundle.metrics.auc(T.from{0, 1}, T.from{0.5, 0.5}), 0.5)) -- a tie counts half
    assert.truthy(err(function() bundle.metrics.mse(T.ones(2), T.ones(3)) end):find("mse: y has 2 values, yhat 3", 1, true))
  end)
end)

describe("preprocessing and splits", function()
  it("standardize centres and scales, and leaves a constant column alone", function()
    local X = T.from{{1, 5}, {3, 5}, {5, 5}}
    local sc = bundle.preprocess.standardize()
    local Z = sc:fit_transform(X)
    assert.is_true(close(Z:select(2, 1):mean(), 0)); assert.is_true(close(Z:select(2, 1):std(), 1))
    assert.are.same({0, 0, 0}, Z:select(2, 2):totable()) -- zero variance: no division by zero
    local path = os.tmpname()
    sc:save(path)
    local back = bundle.preprocess.load_standardize(path)
    assert.are.same(Z:totable(), back:transform(X):totable())
    os.remove(path)
  end)

  it("split is reproducible by seed and covers every row once", function()
    local X, y = T.arange(10):reshape(10, 1), T.arange(10)
    local a, b, c, d = bundle.split(X, y, { test = 0.3, seed = 5 })
    assert.are.equal(7, a:size(1)); assert.are.equal(3, b:size(1))
    local a2 = bundle.split(X, y, { test = 0.3, seed = 5 })
    assert.are.same(a:totable(), a2:totable())
    assert.are.equal(45, c:sum() + d:sum())
    assert.are.same(a:reshape(-1):totable(), c:totable())
  end)
end)

describe("mlp", function()
  local X = T.randn(512, 4, {seed = 21})
  local y = X:select(2, 1) * 2 - X:select(2, 2) + (X:select(2, 3) * X:select(2, 4)) * 0.5

  it("learns a synthetic task to below a fixed loss", function()
    local net = bundle.model.mlp{ layers = {32}, activation = "tanh", lr = 1e-2, epochs = 60, batch = 32, seed = 1 }
    local h = net:fit(X, y)
    assert.are.equal(60, h.epochs)
    assert.is_true(h.loss[60] < 0.05, "final loss " .. h.loss[60])
    assert.is_true(h.loss[60] < h.loss[1] / 20)
    assert.is_true(bundle.metrics.mse(y, net:predict(X)) < 0.05)
    local p = net:params()
    assert.are.equal(4, #p)
    assert.are.same({4, 32}, p[1]:shape()); assert.are.same({32}, p[2]:shape()); assert.are.same({32, 1}, p[3]:shape())
  end)

  it("gives the same model for the same seed", function()
    local function run(seed)
      local net = bundle.model.mlp{ layers = {8}, epochs = 3, seed = seed }
      net:fit(X, y)
      return net:predict(X:narrow(1, 1, 5)):totable()
    end
    assert.are.same(run(4), run(4))
    assert.are_not.same(run(4), run(5))
  end)

  it("reports validation loss and stops early, keeping the best weights", function()
    local net = bundle.model.mlp{ layers = {16}, epochs = 200, lr = 5e-2, validation = 0.25, patience = 3, seed = 2 }
    local h = net:fit(X, y)
    assert.are.equal(h.epochs, #h.val_loss)
    assert.is_true(h.epochs < 200)
  end)

  it("classifies with a sigmoid output and bce", function()
    local labels = X:select(2, 1):gt(0)
    local net = bundle.model.mlp{ layers = {8}, output = "sigmoid", loss = "bce", lr = 1e-2, epochs = 30, seed = 3 }
    net:fit(X, labels)
    local p = net:predict_proba(X)
    assert.is_true(p:min() >= 0 and p:max() <= 1)
    assert.is_true(bundle.metrics.accuracy(labels, net:predict(X)) > 0.95)
  end)

  it("says when a fit has not converged, and not when it has", function()
    -- the seed's three rows at the seed's settings: the loss falls 0.9% in
    -- 100 epochs at a steady pace, still falling at the end
    local X3 = bundle.preprocess.standardize():fit_transform(T.from{ { 10, 20, 30 }, { 15, 25, 35 }, { 20, 30, 40 } })
    local net = bundle.model.mlp{ layers = {64}, lr = 1e-3, epochs = 100, seed = 1 }
    local h = net:fit(X3, T.from{ 500, 600, 700 }, { warn = false })
    assert.is_false(h.converged)
    assert.truthy(h.convergence:find("^the training loss was still falling: 364141 %-> 363700 over the last 10 of 100 epochs"),
                  h.convergence)
    assert.truthy(h.convergence:find("give more epochs or a larger lr", 1, true))
    -- the same rows with y on the features' scale, lr 1e-2 and 500 epochs converge
    h = bundle.model.mlp{ layers = {64}, lr = 1e-2, epochs = 500, seed = 1 }:fit(X3, T.from{ -1, 0, 1 })
    assert.is_true(h.converged)
    assert.is_nil(h.convergence)
    assert.is_true(h.loss[500] < 1e-10)
    -- a noisy line in minibatches flattens onto its noise: converged
    local xs, ys = {}, {}
    for i = 1, 200 do xs[i] = { (i - 100) / 50 }; ys[i] = 2 * xs[i][1] + 1 + 0.1 * math.sin(i) end
    h = bundle.model.mlp{ layers = {16}, lr = 1e-2, epochs = 200, seed = 1 }:fit(T.from(xs), T.from(ys))
    assert.is_true(h.converged, h.convergence)
    -- the synthetic task stopped at 60 epochs still gains 2.8% in its last 6: not converged
    h = bundle.model.mlp{ layers = {32}, activation = "tanh", lr = 1e-2, epochs = 60, batch = 32, seed = 1 }:fit(X, y, { warn = false })
    assert.is_false(h.converged)
    -- a large tol does not hide a steady fall
    h = bundle.model.mlp{ layers = {64}, lr = 1e-3, epochs = 100, seed = 1, tol = 0.5 }:fit(X3, T.from{ 500, 600, 700 }, { warn = false })
    assert.is_false(h.converged)
    -- early stopping ends a fit that has stopped gaining: converged
    h = bundle.model.mlp{ layers = {16}, epochs = 200, lr = 5e-2, validation = 0.25, patience = 3, seed = 2 }:fit(X, y)
    assert.is_true(h.epochs < 200 and h.converged)
    assert.truthy(err(function() bundle.model.mlp{ tol = -1 } end):find("mlp: tol must be >= 0", 1, true))
    assert.truthy(err(function() net:fit(X3, T.from{ 1, 2, 3 }, { quiet = true }) end):find("mlp: fit: unknown option 'quiet'", 1, true))
  end)

  it("warns on stderr when a fit ends unconverged, unless warn = false", function()
    local bin = os.getenv("BUNDLERUN") or "build/bundlerun"
    local code = [[local b = require "bundle"; local T = b.tensor
      local X = T.from{ { -1 }, { 0 }, { 1 } }
      b.model.mlp{ layers = {4}, epochs = 20 }:fit(X, T.from{ 500, 600, 700 }, { warn = WARN })
      b.model.logistic{ max_iter = 1 }:fit(T.from{ { -2 }, { -1 }, { 1 }, { 2 }, { 3 } }, T.from{ 0, 1, 0, 1, 1 }, { warn = WARN })
      b.model.linear{}:fit(X, T.from{ 1, 2, 3 })]]
    local function stderr_of(warn)
      local h = io.popen(bin .. " -e 'WARN = " .. warn .. "' -e '" .. code .. "' 2>&1 >/dev/null")
      local out = h:read("a")
      h:close()
      return out
    end
    local out = stderr_of("true")
    assert.truthy(out:find("bundlerun: warning: mlp: fit did not converge: the training loss was still falling", 1, true), out)
    assert.truthy(out:find("bundlerun: warning: logistic: fit did not converge: L-BFGS stopped at max_iter (1 iterations)", 1, true), out)
    assert.are.equal(2, select(2, out:gsub("\n", "")), out) -- linear: solved exactly, no warning
    assert.are.equal("", stderr_of("false"))
  end)

  it("rejects bad options and inputs by name", function()
    assert.truthy(err(function() bundle.model.mlp{ activation = "gelu" } end):find("mlp: unknown activation 'gelu' (relu, tanh, sigmoid, linear)", 1, true))
    assert.truthy(err(function() bundle.model.mlp{ loss = "hinge" } end):find("unknown loss 'hinge'", 1, true))
    assert.truthy(err(function() bundle.model.mlp{ optimizer = "rmsprop" } end):find("unknown optimizer 'rmsprop'", 1, true))
    assert.truthy(err(function() bundle.model.mlp{ loss = "bce" } end):find("bce needs output", 1, true))
    assert.truthy(err(function() bundle.model.mlp{ epoch = 3 } end):find("mlp: unknown option 'epoch'", 1, true))
    assert.truthy(err(function() bundle.model.mlp{}:predict(X) end):find("mlp: predict: the model is not fitted", 1, true))
    assert.truthy(err(function() bundle.model.mlp{ epochs = 1 }:fit(X, T.ones(3)) end):find("y must hold 512 values", 1, true))
    assert.truthy(err(function() bundle.model.mlp{ optimizer = "sgd", lr = 100, epochs = 5 }:fit(X, y) end)
      :find("mlp: fit: the loss became NaN at epoch 1; lower lr", 1, true))
    assert.truthy(err(function() bundle.model.mlp{ epochs = 1 }:fit(X, y * 1e39) end):find("beyond float32 range", 1, true))
  end)
end)

describe("saving and loading models", function()
  local X = T.randn(64, 3, {seed = 31})
  local y = X:matmul(T.from{1, -1, 2}) + 0.5
  local labels = X:select(2, 1):gt(0)

  it("round-trips linear, logistic and mlp models exactly", function()
    local path = os.tmpname()
    local lin = bundle.model.linear{ l2 = 0.1 }; lin:fit(X, y)
    local lg = bundle.model.logistic{}; lg:fit(X, labels)
    local net = bundle.model.mlp{ layers = {8, 4}, activation = "tanh", epochs = 5, seed = 2 }; net:fit(X, y)
    for _, m in ipairs{ lin, lg, net } do
      m:save(path)
      local back = bundle.model.load(path)
      assert.are.equal(m:kind(), back:kind())
      assert.are.same(m:predict(X):totable(), back:predict(X):totable())
    end
    assert.are.same(lg:predict_proba(X):totable(), (function() lg:save(path); return bundle.model.load(path):predict_proba(X):totable() end)())
    os.remove(path)
  end)

  it("names what is wrong with a bad file", function()
    local path = os.tmpname()
    local lin = bundle.model.linear{}; lin:fit(X, y); lin:save(path)
    local fh = io.open(path, "rb"); local data = fh:read("a"); fh:close()
    local function write(bytes) local f = io.open(path, "wb"); f:write(bytes); f:close() end
    write(data:sub(1, #data - 10))
    assert.truthy(err(function() bundle.model.load(path) end):find("truncated", 1, true))
    write(data:sub(1, 40) .. string.char((data:byte(41) + 1) % 256) .. data:sub(42))
    assert.truthy(err(function() bundle.model.load(path) end):find("checksum mismatch: the file is corrupt", 1, true))
    write("id,price\n1,2\n")
    assert.truthy(err(function() bundle.model.load(path) end):find("not a bundlerun model file", 1, true))
    write(data:sub(1, 8) .. string.pack("<I4", 99) .. data:sub(13))
    assert.truthy(err(function() bundle.model.load(path) end):find("written in model format 99", 1, true))
    write("")
    assert.truthy(err(function() bundle.model.load(path) end):find("not a bundlerun model file", 1, true))
    assert.truthy(err(function() bundle.model.load("/nonexistent/model.bin") end):find("cannot open", 1, true))
    assert.truthy(err(function() bundle.model.linear{}:save(path) end):find("save: the model is not fitted", 1, true))
    -- a failed save leaves the previous file as it was
    write("previous")
    assert.has_error(function() lin:save("/nonexistent-dir/model.bin") end)
    fh = io.open(path, "rb"); assert.are.equal("previous", fh:read("a")); fh:close()
    os.remove(path)
  end)
end)
