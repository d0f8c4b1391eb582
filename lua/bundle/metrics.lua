-- bundle.metrics: model metrics over tensors (y and yhat of equal length).
local core = require "bundle.core"
local T = core.tensor

local M = {}

local function pair(fn, y, yhat)
  if not (T.is(y) and T.is(yhat)) then error(fn .. ": y and yhat must be tensors", 3) end
  if y:numel() ~= yhat:numel() then
    error(("%s: y has %d values, yhat %d"):format(fn, y:numel(), yhat:numel()), 3)
  end
  if y:numel() == 0 then error(fn .. ": no values", 3) end
  return y:reshape(-1), yhat:reshape(-1)
end

function M.mse(y, yhat) y, yhat = pair("mse", y, yhat); return ((y - yhat) ^ 2):mean() end
function M.rmse(y, yhat) y, yhat = pair("rmse", y, yhat); return math.sqrt(((y - yhat) ^ 2):mean()) end
function M.mae(y, yhat) y, yhat = pair("mae", y, yhat); return (y - yhat):abs():mean() end

function M.r2(y, yhat)
  y, yhat = pair("r2", y, yhat)
  local ss_res = ((y - yhat) ^ 2):sum()
  local ss_tot = ((y - y:mean()) ^ 2):sum()
  if ss_tot == 0 then return ss_res == 0 and 1 or -math.huge end
  return 1 - ss_res / ss_tot
end

-- Share of equal labels (yhat holds classes, e.g. from predict).
function M.accuracy(y, yhat) y, yhat = pair("accuracy", y, yhat); return y:eq(yhat):mean() end

-- Mean log-loss of probabilities p for 0/1 labels; p is clipped to [1e-15, 1 - 1e-15].
function M.logloss(y, p)
  y, p = pair("logloss", y, p)
  p = p:clamp(1e-15, 1 - 1e-15)
  return -(y * p:log() + (1 - y) * (1 - p):log()):mean()
end

-- Area under the ROC curve: the chance a random positive scores above a
-- random negative (ties count one half), by ranks.
function M.auc(y, score)
  y, score = pair("auc", y, score)
  local n = y:numel()
  local ys, ss = y:totable(), score:totable()
  local idx = {}
  for i = 1, n do idx[i] = i end
  table.sort(idx, function(a, b) return ss[a] < ss[b] end)
  local rank_sum, pos, i = 0, 0, 1
  while i <= n do
    local j = i
    while j < n and ss[idx[j + 1]] == ss[idx[i]] do j = j + 1 end
    local r = (i + j) / 2 -- average rank of the tie group
    for k = i, j do if ys[idx[k]] == 1 then rank_sum = rank_sum + r; pos = pos + 1 end end
    i = j + 1
  end
  local neg = n - pos
  if pos == 0 or neg == 0 then error("auc: needs both positive and negative labels", 2) end
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)
end

return M
