# python3-xgboost's side of scripts/bench/gbdt: the same data and
# parameters as gbdt_bundle.lua; prints "name seconds logloss p1 p2 p3".
import math, time
import numpy as np
import xgboost as xgb

n, d = 100000, 20
i = np.arange(n, dtype=np.int64)[:, None]
j = np.arange(d, dtype=np.int64)[None, :]
X = ((i * 7919 + j * 104729 + 17) * 2654435761 % 4294967296) / 4294967296
z = 3 * X[:, 0] - 2 * X[:, 1] + np.where(X[:, 2] > 0.5, 1.5, -1.5) * X[:, 3] + X[:, 4] * X[:, 5] * 2 - 1.2
u99 = ((np.arange(n, dtype=np.int64) * 7919 + 99 * 104729 + 17) * 2654435761 % 4294967296) / 4294967296
y = (u99 < 1 / (1 + np.exp(-z))).astype(np.float64)
t0 = time.perf_counter()
dm = xgb.DMatrix(X.astype(np.float32), label=y, nthread=1)
params = {"max_depth": 6, "eta": 0.1, "objective": "binary:logistic", "nthread": 1, "seed": 0,
          "tree_method": "hist", "subsample": 1, "colsample_bytree": 1, "min_child_weight": 1, "lambda": 1,
          "verbosity": 0}
b = xgb.train(params, dm, num_boost_round=100)
p = b.predict(xgb.DMatrix(X.astype(np.float32), nthread=1))
sec = time.perf_counter() - t0
q = np.clip(p, 1e-15, 1 - 1e-15)
ll = float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))
print("xgboost_py %.4f %.6f %.9g %.9g %.9g" % (sec, ll, p[0], p[1], p[2]))
