-- Personalised bundles on Youshu (BGCN's user -> bundle split): implicit
-- ALS on the training user-bundle pairs, plus the users' item factors
-- (ALS on user-item pairs) averaged over each bundle's items; every
-- bundle a user did not take in training is ranked. Recall@20 and NDCG@20
-- as BGCN and CrossCBR compute them.
--   build/bundlerun scripts/results/youshu.lua [../shared/data/youshu]
local bundle = require "bundle"
local T = bundle.tensor
local dir = arg[1] or "../shared/data/youshu"

local function pairs_of(name)
  local r, c = {}, {}
  for line in io.lines(dir .. "/" .. name) do
    local a, b = line:match("^(%d+)%s+(%d+)")
    if a then r[#r + 1] = tonumber(a) + 1; c[#c + 1] = tonumber(b) + 1 end
  end
  return r, c
end

local size = io.open(dir .. "/Youshu_data_size.txt"):read("l")
local nu, nb, ni = size:match("(%d+)%s+(%d+)%s+(%d+)")
nu, nb, ni = tonumber(nu), tonumber(nb), tonumber(ni)
local t0 = bundle.clock()
local tr_u, tr_b = pairs_of("user_bundle_train.txt")
local te_u, te_b = pairs_of("user_bundle_test.txt")
local ui_u, ui_i = pairs_of("user_item.txt")
local bi_b, bi_i = pairs_of("bundle_item.txt")
local f = tonumber(os.getenv("FACTORS") or 64)
local U, V = bundle.als(T.from(tr_u), T.from(tr_b), { nrows = nu, ncols = nb, factors = f, l2 = 1, alpha = 20,
                                                      iterations = 15, seed = 1 })
local S = U:matmul(V:t())
-- item level: users' item factors, each bundle the mean of its items
local Ui, Vi = bundle.als(T.from(ui_u), T.from(ui_i), { nrows = nu, ncols = ni, factors = f, l2 = 1, alpha = 20,
                                                        iterations = 15, seed = 1 })
local vi = Vi:totable()
local vb, cnt = {}, {}
for b = 1, nb do vb[b] = {}; cnt[b] = 0; for k = 1, f do vb[b][k] = 0 end end
for k = 1, #bi_b do
  local b, row = bi_b[k], vi[bi_i[k]]
  cnt[b] = cnt[b] + 1
  local acc = vb[b]
  for j = 1, f do acc[j] = acc[j] + row[j] end
end
for b = 1, nb do if cnt[b] > 0 then for j = 1, f do vb[b][j] = vb[b][j] / cnt[b] end end end
local w = tonumber(os.getenv("ITEM_WEIGHT") or 0.5)
S = S + Ui:matmul(T.from(vb):t()) * w
local fit_time = bundle.clock() - t0
-- exclusions (training bundles) and relevant (test bundles) per test user
local excl, rel = {}, {}
for k = 1, #tr_u do local u = tr_u[k]; excl[u] = excl[u] or {}; table.insert(excl[u], tr_b[k]) end
for k = 1, #te_u do local u = te_u[k]; rel[u] = rel[u] or {}; table.insert(rel[u], te_b[k]) end
local users = {}
for u in pairs(rel) do users[#users + 1] = u end
table.sort(users)
local rows = S:index(users)
local ex, rl = {}, {}
for i, u in ipairs(users) do ex[i] = excl[u] or {}; rl[i] = rel[u] end
local top = bundle.eval.topk(rows, 20, ex)
local m = bundle.eval.rank(top, rl, 20)
-- popularity: bundles by training count, same for everyone
local count = {}
for b = 1, nb do count[b] = 0 end
for _, b in ipairs(tr_b) do count[b] = count[b] + 1 end
local P = T.zeros(1, nb)
for b = 1, nb do P:set(1, b, count[b]) end
local ptop = bundle.eval.topk(P:index(T.ones(#users):totable()), 20, ex)
local p = bundle.eval.rank(ptop, rl, 20)
print(("youshu: %d users, %d bundles, %d items; %d test users; factors %d; fit %.1f s, total %.1f s"):format(
  nu, nb, ni, #users, f, fit_time, bundle.clock() - t0))
print(("bundlerun ALS (bundle + item level): Recall@20 %.4f NDCG@20 %.4f"):format(m.recall, m.ndcg))
print(("popularity:                           Recall@20 %.4f NDCG@20 %.4f"):format(p.recall, p.ndcg))
