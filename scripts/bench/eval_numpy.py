"""The numpy half of scripts/bench/eval: the same computations on the
inputs eval_bundle.lua wrote, the way an analyst writes them in numpy.

  backtest: a dense basket x item 0/1 matrix times the item x bundle
            incidence (BLAS), then complete = count == size,
            touched = count > 0 (the vectorised form; a per-bundle loop
            is also timed and the faster is reported);
  topk:     argpartition then a sort of the 20 (as BGCN's and CrossCBR's
            evaluation does with torch.topk);
  rank:     Recall/NDCG@20 from a dense relevance matrix;
  als:      Hu-Koren-Volinsky implicit ALS, one exact solve per row
            (the reference form of implicit's CPU solver).
Prints "name seconds" lines, best of REPS."""
import sys, time
import numpy as np

d, youshu, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])

def best_of(f):
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter(); out = f(); best = min(best, time.perf_counter() - t0)
    return best, out

baskets = [line.split() for line in open(f"{d}/baskets.txt")]
bundles = [line.split() for line in open(f"{d}/bundles.txt")]
ids = {}
for b in baskets + bundles:
    for it in b: ids.setdefault(it, len(ids))
B = np.zeros((len(baskets), len(ids)), dtype=np.float32)
for k, b in enumerate(baskets): B[k, [ids[i] for i in b]] = 1
inc = np.zeros((len(ids), len(bundles)), dtype=np.float32)
for j, b in enumerate(bundles): inc[[ids[i] for i in b], j] = 1
size = inc.sum(0)
bidx = [np.array([ids[i] for i in b]) for b in bundles]

def backtest_matmul():
    cnt = B @ inc
    complete = cnt == size
    touched = cnt > 0
    return complete.any(1).mean(), complete.sum() / touched.sum()

def backtest_loop():
    hit = np.zeros(len(baskets), dtype=bool); c = t = 0
    for ix in bidx:
        sub = B[:, ix]
        allm = sub.all(1); c += allm.sum(); t += sub.any(1).sum(); hit |= allm
    return hit.mean(), c / t

t1, r1 = best_of(backtest_matmul)
t2, r2 = best_of(backtest_loop)
print(f"backtest {min(t1, t2):.6f}")
print(f"backtest_forms matmul {t1:.6f} loop {t2:.6f}")
print(f"backtest_check {len(bundles)} {r1[0]:.6f} {r1[1]:.6f}")

U = np.loadtxt(f"{d}/users.txt"); V = np.loadtxt(f"{d}/items.txt")
S = U @ V.T
def topk():
    part = np.argpartition(-S, 20, axis=1)[:, :20]
    order = np.argsort(-np.take_along_axis(S, part, 1), axis=1, kind="stable")
    return np.take_along_axis(part, order, 1)
t, top = best_of(topk)
print(f"topk {t:.6f}")
rel = [[int(x) - 1 for x in line.split()] for line in open(f"{d}/relevant.txt")]
R = np.zeros(S.shape, dtype=bool)
for u, r in enumerate(rel): R[u, r] = True
nrel = R.sum(1)
disc = 1 / np.log2(np.arange(2, 22))
idcg = np.array([disc[:min(n, 20)].sum() for n in range(21)])
def rank():
    hits = np.take_along_axis(R, top, 1)
    recall = (hits.sum(1) / nrel).mean()
    ndcg = ((hits * disc).sum(1) / idcg[np.minimum(nrel, 20)]).mean()
    return recall, ndcg
t, (rc, nd) = best_of(rank)
print(f"rank {t:.6f}")
print(f"rank_check {rc:.6f} {nd:.6f}")

pairs = np.loadtxt(f"{youshu}/user_bundle_train.txt", dtype=np.int64)
nu, nb, f, l2, alpha = 8039, 4771, 64, 1.0, 20.0
rows_u = [[] for _ in range(nu)]; rows_b = [[] for _ in range(nb)]
for u, b in pairs: rows_u[u].append(b); rows_b[b].append(u)
rows_u = [np.array(r, dtype=np.int64) for r in rows_u]; rows_b = [np.array(r, dtype=np.int64) for r in rows_b]

def sweep(X, Y, rows):
    YtY = Y.T @ Y + l2 * np.eye(f)
    for u, idx in enumerate(rows):
        if len(idx) == 0: X[u] = 0; continue
        Yu = Y[idx]
        A = YtY + alpha * Yu.T @ Yu  # (C_u - I) = alpha on observed entries
        X[u] = np.linalg.solve(A, (1 + alpha) * Yu.sum(0))

def als():
    rng = np.random.default_rng(1)
    X = rng.normal(0, 0.01, (nu, f)); Y = rng.normal(0, 0.01, (nb, f))
    for _ in range(10):
        sweep(X, Y, rows_u); sweep(Y, X, rows_b)
    return X, Y
t, (X, Y) = best_of(als)
print(f"als {t:.6f}")
P = X @ Y.T; C = np.ones_like(P); Pr = np.zeros_like(P)
C[pairs[:, 0], pairs[:, 1]] = 1 + alpha; Pr[pairs[:, 0], pairs[:, 1]] = 1
loss = (C * (Pr - P) ** 2).sum() + l2 * ((X ** 2).sum() + (Y ** 2).sum())
print(f"als_check {len(pairs)} {loss:.6f}")
