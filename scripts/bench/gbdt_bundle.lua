-- bundle.model.gbdt's side of scripts/bench/gbdt: the same data as
-- gbdt_xgboost.py (integer hashing, identical in both languages), the same
-- parameters; prints "name seconds logloss p1 p2 p3".
local bundle = require "bundle"
local T = bundle.tensor
local n, d = 100000, 20

local function u(i, j) return ((i * 7919 + j * 104729 + 17) * 2654435761 % 4294967296) / 4294967296 end
local X, y = {}, {}
for i = 0, n - 1 do
  local row = {}
  for j = 0, d - 1 do row[j + 1] = u(i, j) end
  X[i + 1] = row
  local z = 3 * row[1] - 2 * row[2] + (row[3] > 0.5 and 1.5 or -1.5) * row[4] + row[5] * row[6] * 2 - 1.2
  y[i + 1] = (u(i, 99) < 1 / (1 + math.exp(-z))) and 1 or 0
end
local Xt, yt = T.from(X), T.from(y)
local t0 = bundle.clock()
local m = bundle.model.gbdt{ trees = 100, depth = 6, eta = 0.1, threads = 1, seed = 0 }
m:fit(Xt, yt)
local p = m:predict(Xt)
local sec = bundle.clock() - t0
local ll = 0
for i = 1, n do
  local q = math.min(1 - 1e-15, math.max(1e-15, p:get(i)))
  ll = ll - (y[i] * math.log(q) + (1 - y[i]) * math.log(1 - q))
end
print(("bundlerun %.4f %.6f %.9g %.9g %.9g"):format(sec, ll / n, p:get(1), p:get(2), p:get(3)))
