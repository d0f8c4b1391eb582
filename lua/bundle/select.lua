-- bundle.select: picks the bundles to launch from a scored list, best
-- first, with diversity enforced:
--   * each item in at most `max_per_item` chosen bundles (default 2), so one
--     hub item (milk, coffee) cannot sit in every bundle;
--   * at most one bundle per category signature (the sorted categories of
--     its items) when categories are given, so five colour variants of one
--     product pair do not fill the list;
--   * bundles whose items sell together less often than chance (lift < 1,
--     anti-complements) are left out unless `min_lift` says otherwise; a
--     record's `lift_upper` (a credible upper bound, see M.lift_upper) is
--     what the rule reads when given, so a pair whose lift is below 1 only
--     by the noise of a few baskets is not called an anti-complement;
--   * bundles whose score is not positive are left out: launching an offer
--     expected to lose money is not a recommendation;
--   * with `min_discount`, bundles whose `discount` is below it are left
--     out: a bundle whose best price is its list price offers nothing, and
--     any gain it shows is simulation noise;
--   * a bundle whose items hold, or are held by, a chosen bundle's is left
--     out unless `allow_nested`: "A + B" beside "A + B + C" (or three pairs
--     of one triple) offers one deal twice to the same customers;
--   * with `min_attach`, bundles whose `attach` (the share of baskets that
--     touch the bundle and hold all of it) is below it are left out: a
--     bundle customers rarely complete is not one they "actually buy".
--
--   local chosen, reserve, report = bundle.select(scored, { top = 10, reserve = 10 })
--
-- scored: a list of { items = {...}, score = number, lift = number,
-- lift_upper = number (optional), gain = number (optional: the expected gain when the ranking score is not
-- it), attach = number (optional), discount = number (optional), categories = {...} (optional) }. Returns the chosen records, the next
-- `reserve` that pass the same rules (for a bandit to promote), and
-- { skipped = { rule = count }, warnings = { ... } }.
local M = {}

local known = { top = 1, reserve = 1, max_per_item = 1, min_lift = 1, min_attach = 1, keep_nonpositive = 1,
                min_discount = 1, allow_nested = 1 }
local option_list = "allow_nested, keep_nonpositive, max_per_item, min_attach, min_discount, min_lift, reserve, top"

local function signature(cats)
  if not cats or #cats == 0 then return nil end
  local s = {}
  for i, c in ipairs(cats) do s[i] = tostring(c) end
  table.sort(s)
  return table.concat(s, "\0")
end

-- true when one of the two item lists holds every item of the other
local function nested(a, b)
  local small, big = a, b
  if #small > #big then small, big = b, a end
  local has = {}
  for _, it in ipairs(big) do has[it] = true end
  for _, it in ipairs(small) do if not has[it] then return false end end
  return true
end

local function nests_any(b, chosen)
  for _, c in ipairs(chosen) do if nested(b.items, c.items) then return true end end
  return false
end

-- "3 with no expected gain, 7 best at list price (...)": why bundles were left out
local function left_out(skipped, o)
  local parts = {}
  for _, k in ipairs{ "nonpositive", "at_list", "anticomplement", "low_attach", "item_cap", "category", "nested" } do
    if (skipped[k] or 0) > 0 then parts[#parts + 1] = ("%d %s"):format(skipped[k], ({
      nonpositive = "with no expected gain", at_list = "best at list price (nothing to offer)",
      nested = "holding or held by a chosen bundle",
      anticomplement = "with lift below " .. tostring(o.min_lift),
      low_attach = ("attaching below %.3g"):format(o.min_attach or 0),
      item_cap = "over the per-item cap of " .. tostring(o.cap), category = "repeating a category signature" })[k]) end
  end
  return table.concat(parts, ", ")
end

function M.diverse(scored, opts)
  opts = opts or {}
  if type(scored) ~= "table" then error(("select: expects a list of scored bundles, got a %s"):format(type(scored)), 2) end
  for k in pairs(opts) do
    if not known[k] then
      error(("select: unknown option '%s' (%s)"):format(tostring(k), option_list), 2)
    end
  end
  local top, reserve_n = opts.top or 10, opts.reserve or 0
  local cap = opts.max_per_item or 2
  local min_lift = opts.min_lift or 1
  if math.type(top) ~= "integer" or top < 1 then error("select: top must be a positive integer", 2) end
  if math.type(cap) ~= "integer" or cap < 1 then error("select: max_per_item must be a positive integer", 2) end
  local order = {}
  for i, b in ipairs(scored) do
    if type(b) ~= "table" or type(b.items) ~= "table" or type(b.score) ~= "number" then
      error(("select: entry %d must be { items = {...}, score = number }"):format(i), 2)
    end
    order[i] = i
  end
  table.sort(order, function(a, b)
    local sa, sb = scored[a].score, scored[b].score
    if sa ~= sb then return sa > sb end
    return a < b
  end)
  local uses, sigs, chosen, reserve = {}, {}, {}, {}
  local min_attach = opts.min_attach
  local skipped = { nonpositive = 0, at_list = 0, anticomplement = 0, low_attach = 0, item_cap = 0, category = 0,
                    nested = 0 }
  local min_discount = opts.min_discount
  if min_discount ~= nil and type(min_discount) ~= "number" then error("select: min_discount must be a number", 2) end
  for _, i in ipairs(order) do
    if #chosen >= top and #reserve >= reserve_n then break end
    local b = scored[i]
    local why
    -- the gain itself must be positive, whatever else (a constraint's
    -- Lagrange term, say) the ranking score carries
    if not opts.keep_nonpositive and not ((b.gain or b.score) > 0) then why = "nonpositive"
    elseif min_discount and (b.discount or 0) < min_discount then why = "at_list"
    elseif (b.lift_upper or b.lift) and (b.lift_upper or b.lift) < min_lift then why = "anticomplement"
    elseif min_attach and (b.attach or 0) < min_attach then why = "low_attach"
    else
      for _, it in ipairs(b.items) do
        if (uses[it] or 0) >= cap then why = "item_cap"; break end
      end
      local sig = signature(b.categories)
      if not why and sig and sigs[sig] then why = "category" end
      if not why and not opts.allow_nested and nests_any(b, chosen) then why = "nested" end
    end
    if why then skipped[why] = skipped[why] + 1
    elseif #chosen < top then
      chosen[#chosen + 1] = b
      for _, it in ipairs(b.items) do uses[it] = (uses[it] or 0) + 1 end
      local sig = signature(b.categories)
      if sig then sigs[sig] = true end
    else
      reserve[#reserve + 1] = b
    end
  end
  local warnings = {}
  if #chosen < top then
    local left = left_out(skipped, { min_lift = min_lift, min_attach = min_attach, cap = cap })
    warnings[1] = ("select: %d bundles chosen of the %d asked, from %d candidates%s"):format(#chosen, top, #scored,
      left ~= "" and (" (left out: " .. left .. ")") or "")
  end
  return chosen, reserve, { skipped = skipped, warnings = warnings }
end

-- lift_upper(count, expected, prior, z) -> the upper credible bound of a
-- bundle's lift: its baskets holding all items (`count`) against the count
-- independence predicts (`expected`), with the rate ratio's posterior
-- Gamma(count + prior, expected + prior) (the pair prior shrinks toward
-- independence, lift 1) and its upper quantile at the normal deviate z
-- (default 1.645, one-sided 95%) by the Wilson-Hilferty cube-root
-- approximation, accurate to a few percent from shape 1 up. Why: the
-- anti-complement rule exists to drop pairs customers demonstrably avoid
-- combining; a point lift of 0.9 from 12 baskets is not evidence of that,
-- and independent items are where bundling earns most (Schmalensee 1984).
function M.lift_upper(count, expected, prior, z)
  if type(count) ~= "number" or count < 0 or type(expected) ~= "number" or not (expected > 0) then
    error("select.lift_upper: count must be >= 0 and expected > 0", 2)
  end
  prior, z = prior or 0, z or 1.645
  if type(prior) ~= "number" or prior < 0 then error("select.lift_upper: prior must be >= 0", 2) end
  local a = count + prior
  if a <= 0 then return math.huge end
  local t = 1 - 1 / (9 * a) + z / (3 * math.sqrt(a))
  return a * t * t * t / (expected + prior)
end

-- joint(scored, set_value, opts) -> chosen, reserve, report: the same
-- rules as diverse, but bundles are added one at a time by their MARGINAL
-- value to the set chosen so far, as set_value(list of records) reports it
-- (a joint simulation, say, where two offers sharing a hub item compete
-- for the same customers instead of each being credited with them). Each
-- step looks at the `window` best-scored bundles that the rules still
-- allow (default 30) and stops early when none adds value. A record's
-- score less its gain (a constraint's Lagrange term) is added to its
-- marginal value, so a constraint priced into the scores still binds.
function M.joint(scored, set_value, opts)
  opts = opts or {}
  if type(set_value) ~= "function" then error("select.joint: set_value must be a function(list) -> number", 2) end
  local window = opts.window or 30
  local rest = {}
  for k, v in pairs(opts) do if k ~= "window" then rest[k] = v end end
  -- the rules alone (no cap, no category, no count) decide who is eligible at all
  local all, _, first = M.diverse(scored, { top = #scored > 0 and #scored or 1, max_per_item = 1 << 30,
                                            min_lift = rest.min_lift, min_attach = rest.min_attach,
                                            keep_nonpositive = rest.keep_nonpositive, min_discount = rest.min_discount,
                                            allow_nested = true })
  local top, cap = rest.top or 10, rest.max_per_item or 2
  local uses, sigs, chosen, value = {}, {}, {}, 0
  local taken = {}
  local function allowed(b)
    for _, it in ipairs(b.items) do if (uses[it] or 0) >= cap then return false end end
    local sig = signature(b.categories)
    if sig and sigs[sig] then return false end
    return rest.allow_nested or not nests_any(b, chosen)
  end
  local skipped_cap = 0
  while #chosen < top do
    local best, best_m, best_v, seen = nil, 0, nil, 0
    for i, b in ipairs(all) do
      if not taken[i] and allowed(b) then
        seen = seen + 1
        local trial = { table.unpack(chosen) }
        trial[#trial + 1] = b
        local v = set_value(trial)
        local m = v - value + (b.score - (b.gain or b.score))
        if m > best_m then best, best_m, best_v = i, m, v end
        if seen >= window then break end
      end
    end
    if not best then break end
    local b = all[best]
    taken[best] = true
    chosen[#chosen + 1] = b
    value = best_v
    for _, it in ipairs(b.items) do uses[it] = (uses[it] or 0) + 1 end
    local sig = signature(b.categories)
    if sig then sigs[sig] = true end
  end
  local reserve = {}
  for i, b in ipairs(all) do
    if #reserve >= (rest.reserve or 0) then break end
    if not taken[i] then
      if allowed(b) then reserve[#reserve + 1] = b else skipped_cap = skipped_cap + 1 end
    end
  end
  local warnings = {}
  if #chosen < top then
    local left = left_out(first.skipped, { min_lift = rest.min_lift or 1, min_attach = rest.min_attach, cap = cap })
    warnings[1] = ("select: %d bundles chosen of the %d asked, from %d candidates (%d passed the rules%s; no other " ..
      "allowed one adds value to the set)"):format(#chosen, top, #scored, #all, left ~= "" and (", left out: " .. left) or "")
  end
  return chosen, reserve, { skipped = first.skipped, warnings = warnings, value = value }
end

return setmetatable(M, { __call = function(_, scored, opts) return M.diverse(scored, opts) end })
