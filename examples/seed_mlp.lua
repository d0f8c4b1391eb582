-- seed_mlp.lua: the seed document's model, reproduced.
--
-- The seed predicts how a product combination sells from three features,
-- with a Keras network: Dense(64, relu) -> Dense(1), Adam, MSE, 100 epochs,
-- batch 32, on standardised features, trained on three rows:
--   (10, 20, 30) -> 500, (15, 25, 35) -> 600, (20, 30, 40) -> 700
-- and asked about (5, 10, 15). Run: build/bundlerun examples/seed_mlp.lua
local bundle = require "bundle"
local T = bundle.tensor

local X = T.from{{10, 20, 30}, {15, 25, 35}, {20, 30, 40}}
local y = T.from{500, 600, 700}
local query = T.from{{5, 10, 15}}

local scaler = bundle.preprocess.standardize()
local Xs = scaler:fit_transform(X)

local net = bundle.model.mlp{ layers = {64}, activation = "relu", loss = "mse",
                              optimizer = "adam", lr = 1e-3, epochs = 100, batch = 32, seed = 1 }
local t0 = bundle.clock()
local history = net:fit(Xs, y)
print(("mlp: 100 epochs in %.1f ms; loss %.1f -> %.1f"):format((bundle.clock() - t0) * 1e3,
  history.loss[1], history.loss[#history.loss]))
print(("mlp predicts %.2f for (5, 10, 15)"):format(net:predict(scaler:transform(query)):get(1)))
-- As in Keras, 100 epochs of Adam at lr 1e-3 on one batch of three rows
-- barely moves the targets' scale (hundreds): the network is far from
-- fitted. fit says so (a warning on stderr, history.converged = false and
-- history.convergence in words); here is the warning and what to do.
if not history.converged then
  print("mlp did not converge: " .. history.convergence)
  -- the fix: the targets on the features' scale, a larger step, more epochs
  local ys = T.from{ -1, 0, 1 } -- (y - 600) / 100
  local net2 = bundle.model.mlp{ layers = {64}, activation = "relu", loss = "mse",
                                 optimizer = "adam", lr = 1e-2, epochs = 500, batch = 32, seed = 1 }
  local h2 = net2:fit(Xs, ys)
  print(("standardised y, lr 1e-2, 500 epochs: converged %s; loss %.3g -> %.3g; mlp predicts %.2f for (5, 10, 15)")
    :format(h2.converged, h2.loss[1], h2.loss[#h2.loss], net2:predict(scaler:transform(query)):get(1) * 100 + 600))
end

-- The same data is exactly linear, and its three features are collinear
-- (each is the first plus a constant), so ordinary least squares is rank
-- deficient; a tiny ridge gives the minimum-norm line.
local ok, why = pcall(function() return bundle.model.linear{}:fit(X, y) end)
print("linear without a penalty: " .. (ok and "fitted" or why:gsub("^[^:]*:%d+: ", "")))
local lin = bundle.model.linear{ l2 = 1e-6 }
lin:fit(X, y)
local w, b = lin:coef()
print(("linear (l2 = 1e-6): coefficients %s, intercept %.4f"):format(
  table.concat((function() local t = {} for i, v in ipairs(w:totable()) do t[i] = ("%.4f"):format(v) end return t end)(), ", "), b))
print(("linear predicts %.2f for (5, 10, 15)"):format(lin:predict(query):get(1)))
