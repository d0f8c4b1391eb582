# Peers for scripts/bench/models: writes the shared synthetic data (100,000
# x 20, seeded) and runs scikit-learn and PyTorch on it. Prints one line per
# result: "name seconds metric [coefficients...]".
import sys, time
import numpy as np

out_dir, epochs = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(2026)
n, d = 100_000, 20
X = rng.normal(size=(n, d))
w = rng.normal(size=d)
y = X @ w + 0.5 * np.sin(3 * X[:, 0]) + 0.1 * rng.normal(size=n)   # mostly linear, a little not
yl = (X @ w + rng.normal(size=n) > 0).astype(float)
Xs = (X - X.mean(0)) / X.std(0)
ys = (y - y.mean()) / y.std()
header = ",".join(f"x{i}" for i in range(d))
np.savetxt(f"{out_dir}/X.csv", Xs, delimiter=",", header=header, comments="", fmt="%.17g")
np.savetxt(f"{out_dir}/y.csv", np.c_[ys, yl], delimiter=",", header="y,yl", comments="", fmt="%.17g")
if sys.argv[3:] == ["data-only"]:
    sys.exit(0)

from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neural_network import MLPRegressor
import warnings
warnings.filterwarnings("ignore")

t = time.perf_counter(); lr = LinearRegression().fit(Xs, ys); dt = time.perf_counter() - t
print("sk_linear", dt, np.mean((lr.predict(Xs) - ys) ** 2), *lr.coef_, lr.intercept_)
t = time.perf_counter(); lg = LogisticRegression(C=1.0, solver="lbfgs", tol=1e-8, max_iter=1000).fit(Xs, yl); dt = time.perf_counter() - t
print("sk_logistic", dt, lg.score(Xs, yl), *lg.coef_[0], lg.intercept_[0])
t = time.perf_counter()
mlp = MLPRegressor(hidden_layer_sizes=(64,), activation="relu", solver="adam", learning_rate_init=1e-3,
                   batch_size=32, max_iter=epochs, alpha=0.0, shuffle=True, tol=0, n_iter_no_change=10**9,
                   random_state=1).fit(Xs, ys)
dt = time.perf_counter() - t
print("sk_mlp32", dt / epochs, np.mean((mlp.predict(Xs) - ys) ** 2))

import torch
torch.manual_seed(1)
Xt, yt = torch.tensor(Xs, dtype=torch.float32), torch.tensor(ys, dtype=torch.float32).unsqueeze(1)
for batch in (32, 1024):
    net = torch.nn.Sequential(torch.nn.Linear(d, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    lossf = torch.nn.MSELoss()
    t = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(n)
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = lossf(net(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    dt = time.perf_counter() - t
    with torch.no_grad():
        mse = lossf(net(Xt), yt).item()
    print(f"torch_mlp{batch}", dt / epochs, mse)
