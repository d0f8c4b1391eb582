-- bundle.recommend: personalised bundles. A recommender fitted on past
-- baskets holds item embeddings from implicit-feedback ALS (in C, on BLAS)
-- and item-item similarity from co-occurrence; a customer's score for a
-- bundle is the mean over its items of
--     u . v_item  +  cooc_weight * mean over the customer's items h of cos(h, item)
-- where cos is the basket co-occurrence cosine count(h, i) / sqrt(count(h) count(i)).
--
--   local rec = bundle.recommend.fit(train_baskets, { bundles = candidates, factors = 32 })
--   for _, r in ipairs(bundle.recommend(rec, "17850", { k = 10 })) do print(r.items, r.score) end
local core = require "bundle.core"
local T = core.tensor

local M = {}
local Rec = {}
Rec.__index = Rec

local fit_options = { bundles = 1, factors = 1, l2 = 1, alpha = 1, iterations = 1, seed = 1, cooc_weight = 1,
                      min_count = 1 }

function M.fit(baskets, opts)
  opts = opts or {}
  for k in pairs(opts) do
    if not fit_options[k] then error(("recommend.fit: unknown option '%s'"):format(tostring(k)), 2) end
  end
  if not core.is_baskets(baskets) then
    error("recommend.fit: baskets must be bundle.baskets(...) with a user column", 2)
  end
  if type(opts.bundles) ~= "table" and type(opts.bundles) ~= "userdata" then
    error("recommend.fit: option 'bundles' must list the candidate bundles", 2)
  end
  local bundles = require("bundle.eval").bundles(opts.bundles, "recommend.fit", 3)
  -- users and items as dense 1-based ids; one observation per (user, item, basket)
  local user_id, users, item_id, items = {}, {}, {}, {}
  local rows, cols = {}, {}
  local history = {}
  for k = 1, baskets:size() do
    local u = baskets:user(k)
    if u and u ~= "" then
      local uid = user_id[u]
      if not uid then uid = #users + 1; users[uid] = u; user_id[u] = uid; history[uid] = {} end
      local h = history[uid]
      for _, it in ipairs(baskets:items(k)) do
        local iid = item_id[it]
        if not iid then iid = #items + 1; items[iid] = it; item_id[it] = iid end
        rows[#rows + 1] = uid; cols[#cols + 1] = iid
        h[iid] = (h[iid] or 0) + 1
      end
    end
  end
  if #users == 0 then error("recommend.fit: the baskets have no users (make them with a user column)", 2) end
  local U, V, loss = core.als(T.from(rows), T.from(cols), { factors = opts.factors or 32, l2 = opts.l2 or 1,
    alpha = opts.alpha or 2, iterations = opts.iterations or 10, seed = opts.seed or 1,
    nrows = #users, ncols = #items })
  -- co-occurrence cosine between every item and the items of the bundles
  local item_count = {}
  local sup = baskets:item_support()
  local sl, sc = sup:col("item"):totable(), sup:col("count"):totable()
  for i = 1, #sl do item_count[sl[i]] = sc[i] end
  local in_bundle = {}
  for _, b in ipairs(bundles) do for _, it in ipairs(b.items) do in_bundle[it] = true end end
  local sim = {} -- sim[bundle item][other item] = cosine
  for it in pairs(in_bundle) do sim[it] = {} end
  local co = baskets:cooccurrence{ min_count = opts.min_count or 2 }
  local a, b, c = co:col("a"):totable(), co:col("b"):totable(), co:col("count"):totable()
  for i = 1, #a do
    local x, y = a[i], b[i]
    if in_bundle[x] or in_bundle[y] then
      local cos = c[i] / math.sqrt(item_count[x] * item_count[y])
      if in_bundle[x] then sim[x][y] = cos end
      if in_bundle[y] then sim[y][x] = cos end
    end
  end
  -- built once: the bundles x items incidence (1/size per item, for the
  -- ALS part) and each item's mean cosine to a bundle's items (for the
  -- co-occurrence part), both items x bundles, so scoring is two matmuls
  local M, Cos = T.zeros(#items, #bundles), T.zeros(#items, #bundles)
  for j, bd in ipairs(bundles) do
    local n = #bd.items
    for _, it in ipairs(bd.items) do
      local iid = item_id[it]
      if iid then M:set(iid, j, M:get(iid, j) + 1 / n) end
      for other, cos in pairs(sim[it] or {}) do
        local oid = item_id[other]
        if oid then Cos:set(oid, j, Cos:get(oid, j) + cos / n) end
      end
    end
  end
  return setmetatable({ U = U, V = V, loss = loss, users = users, user_id = user_id, items = items,
                        item_id = item_id, history = history, bundles = bundles, sim = sim, incidence = M,
                        cosine = Cos, cooc_weight = opts.cooc_weight or 1 }, Rec)
end

-- scores(user_ids) -> #user_ids x #bundles tensor (one row per listed user id):
-- the user's ALS item scores averaged over each bundle's items, plus
-- cooc_weight x the mean cosine between the user's items and the bundle's.
function Rec:scores(uids)
  local out = self.U:index(uids):matmul(self.V:t()):matmul(self.incidence)
  if self.cooc_weight ~= 0 then
    local H = T.zeros(#uids, #self.items) -- each user's distinct items, 1/count so rows average
    for r, uid in ipairs(uids) do
      local h, nh = self.history[uid], 0
      for _ in pairs(h) do nh = nh + 1 end
      for iid in pairs(h) do H:set(r, iid, 1 / nh) end
    end
    out = out + H:matmul(self.cosine) * self.cooc_weight
  end
  return out
end

-- bought(uid): the bundles (ids) this user already bought whole
function Rec:bought(uid)
  local h, out = self.history[uid], {}
  for j, b in ipairs(self.bundles) do
    local all = true
    for _, it in ipairs(b.items) do
      local iid = self.item_id[it]
      if not iid or not h[iid] then all = false; break end
    end
    if all then out[#out + 1] = j end
  end
  return out
end

-- recommend(rec, user, { k = 10, exclude_bought = true }) -> ranked list of
-- { items, score, reasons = { als =, cooccurrence = } }; an unknown user
-- gets the bundles in their given order (the cold-start answer).
local function recommend(rec, user, opts)
  if getmetatable(rec) ~= Rec then error("recommend: expects a recommender from bundle.recommend.fit(...)", 2) end
  opts = opts or {}
  local k = opts.k or 10
  if math.type(k) ~= "integer" or k < 1 then error("recommend: k must be a positive integer", 2) end
  local uid = rec.user_id[tostring(user)]
  local out = {}
  if not uid then
    for j = 1, math.min(k, #rec.bundles) do out[j] = { items = rec.bundles[j].items, score = 0, cold_start = true } end
    return out
  end
  local s = rec:scores({ uid }):totable()[1]
  local skip = {}
  if opts.exclude_bought ~= false then for _, j in ipairs(rec:bought(uid)) do skip[j] = true end end
  local order = {}
  for j = 1, #rec.bundles do if not skip[j] then order[#order + 1] = j end end
  table.sort(order, function(a, b) return s[a] > s[b] or (s[a] == s[b] and a < b) end)
  for r = 1, math.min(k, #order) do
    local j = order[r]
    out[r] = { items = rec.bundles[j].items, score = s[j], bundle = j }
  end
  return out
end

M.Recommender = Rec
return setmetatable(M, { __call = function(_, ...) return recommend(...) end })
