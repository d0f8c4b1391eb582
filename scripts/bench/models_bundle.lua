-- bundlerun side of scripts/bench/models: the same data and models.
-- Prints lines like the peers: "name seconds metric [coefficients...]".
local bundle = require "bundle"
local dir, epochs = arg[1], tonumber(arg[2])
local X = bundle.read_csv(dir .. "/X.csv"):tensor()
local Y = bundle.read_csv(dir .. "/y.csv")
local y, yl = Y:col("y"):tensor(), Y:col("yl"):tensor()
local clock = bundle.clock

local t = clock(); local lin = bundle.model.linear{}; lin:fit(X, y); local dt = clock() - t
local w, b = lin:coef()
print("br_linear", dt, bundle.metrics.mse(y, lin:predict(X)), table.concat(w:totable(), " "), b)
t = clock(); local lg = bundle.model.logistic{ l2 = 1, tol = 1e-8, max_iter = 1000 }; lg:fit(X, yl); dt = clock() - t
w, b = lg:coef()
print("br_logistic", dt, bundle.metrics.accuracy(yl, lg:predict(X)), table.concat(w:totable(), " "), b)
for _, batch in ipairs{32, 1024} do
  local net = bundle.model.mlp{ layers = {64}, activation = "relu", loss = "mse", optimizer = "adam",
                                lr = 1e-3, epochs = epochs, batch = batch, seed = 1 }
  t = clock(); net:fit(X, y); dt = clock() - t
  print("br_mlp" .. batch, dt / epochs, bundle.metrics.mse(y, net:predict(X)))
end
