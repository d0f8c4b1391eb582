-- bundle.candidates (the support floor from the data), bundle.select (the
-- launch list's rules, one at a time and jointly) and bundle.referee's
-- ratios, each on small inputs whose answer is known by hand.
local bundle = require "bundle"
local files = require "spec_files"

-- baskets from a list of item lists (one order each)
local function baskets_of(lists)
  local out = { "order,item" }
  for o, items in ipairs(lists) do
    for _, it in ipairs(items) do out[#out + 1] = ("%d,%s"):format(o, it) end
  end
  local path = files.tmpdir() .. "/b.csv"
  files.write(path, table.concat(out, "\n") .. "\n")
  return bundle.baskets(bundle.read_csv(path, { types = { item = "str" } }), { basket = "order", item = "item" })
end

describe("candidates", function()
  -- 300 orders: a,b together in 60; c,d,e together in 12; the rest noise
  local lists = {}
  for o = 1, 300 do
    local l = { "x" .. (o % 17), "y" .. (o % 23) }
    if o % 5 == 0 then l[#l + 1] = "a"; l[#l + 1] = "b" end
    if o % 25 == 0 then l[#l + 1] = "c"; l[#l + 1] = "d"; l[#l + 1] = "e" end
    lists[o] = l
  end
  local b = baskets_of(lists)

  it("lowers the floor until every size has what it wants, and reports the choice", function()
    local c = bundle.candidates(b, { sizes = { 2, 3 }, want = { 5, 1 } })
    assert.are.equal("enough", c.chosen)
    assert.is_true(c.counts[2] >= 5 and c.counts[3] >= 1)
    assert.are.equal(c.min_count / 300, c.min_support)
    -- one step higher (the walk's previous floor) would not have had enough
    assert.is_true(#c.ladder >= 2)
    local before = c.ladder[#c.ladder - 1].counts
    assert.is_true(before[2] < 5 or before[3] < 1)
  end)

  it("stops at the cap and warns when the data has too few of a size", function()
    local c = bundle.candidates(b, { sizes = { 2, 4 }, want = { 5, 1, 50 }, min_count = 10 })
    assert.are.equal("cap", c.chosen)
    assert.are.equal(10, c.min_count)
    local warned = false
    for _, w in ipairs(c.warnings) do if w:find("of 4 items", 1, true) then warned = true end end
    assert.is_true(warned)
  end)

  it("takes a floor by hand and checks its options", function()
    local c = bundle.candidates(b, { min_support = 0.2, sizes = { 2, 2 } })
    assert.are.equal(60, c.min_count)
    assert.are.equal(1, c.counts[2]) -- only a+b is in 60 baskets
    assert.has_error(function() bundle.candidates(b, { min_suport = 0.1 }) end)
    local ok, e = pcall(bundle.candidates, b, { sizes = { 1, 3 } })
    assert.is_false(ok)
    assert.truthy(e:find("sizes must be", 1, true))
    ok, e = pcall(bundle.candidates, {}, {})
    assert.truthy(e:find("expects bundle.baskets", 1, true))
  end)
end)

describe("select", function()
  local scored = {
    { items = { "hub", "a" }, score = 10, lift = 2 },
    { items = { "hub", "b" }, score = 9, lift = 2 },
    { items = { "hub", "c" }, score = 8, lift = 2 },
    { items = { "d", "e" }, score = 7, lift = 0.8 },   -- an anti-complement
    { items = { "f", "g" }, score = 6, lift = 1.5, attach = 0.01 },
    { items = { "h", "i" }, score = -1, lift = 3 },    -- no expected gain
    { items = { "j", "k" }, score = 5, lift = 1.2 },
  }

  it("reads an anti-complement from the lift's credible upper bound when given", function()
    local list = {
      { items = { "a", "b" }, score = 3, lift = 0.9, lift_upper = 1.4 }, -- below 1 by noise: kept
      { items = { "c", "d" }, score = 2, lift = 0.5, lift_upper = 0.56 }, -- credibly below 1: dropped
      { items = { "e", "f" }, score = 1, lift = 0.8 },                    -- no bound: the point lift decides
    }
    local chosen, _, rep = bundle.select(list, { top = 3 })
    assert.are.equal(1, #chosen)
    assert.are.same({ "a", "b" }, chosen[1].items)
    assert.are.equal(2, rep.skipped.anticomplement)
  end)

  it("bounds a lift by the Gamma posterior's upper quantile", function()
    local up = bundle.select.lift_upper
    -- Gamma(10, 10): the 95% quantile is chi-square(20) 31.41 / 2 / 10 = 1.5705
    assert.is_true(math.abs(up(10, 10) - 1.5705) < 0.005)
    -- 12 baskets where 13.3 were expected: lift 0.9, not evidence of avoidance
    assert.is_true(up(12, 12 / 0.9) > 1)
    -- 200 where 400 were expected: lift 0.5, bounded well below 1
    local u = up(200, 400)
    assert.is_true(u > 0.5 and u < 0.6)
    -- the pair prior adds pseudo-baskets at lift 1: never seen together in
    -- 10 expected, prior 5 -> Gamma(5, 15), upper bound about 0.61
    assert.is_true(math.abs(up(0, 10, 5) - 0.6098) < 0.01)
    assert.are.equal(math.huge, up(0, 10, 0))
    assert.has_error(function() up(1, 0) end, "select.lift_upper: count must be >= 0 and expected > 0")
    assert.has_error(function() up(1, 2, -1) end, "select.lift_upper: prior must be >= 0")
  end)

  it("caps each item, drops anti-complements and bundles with no gain, and says why it has fewer", function()
    local chosen, reserve, rep = bundle.select(scored, { top = 6, reserve = 2, max_per_item = 2 })
    local names = {}
    for i, b in ipairs(chosen) do names[i] = table.concat(b.items, "+") end
    assert.are.same({ "hub+a", "hub+b", "f+g", "j+k" }, names)
    assert.are.same({}, reserve)
    assert.are.equal(1, rep.skipped.item_cap)
    assert.are.equal(1, rep.skipped.anticomplement)
    assert.are.equal(1, rep.skipped.nonpositive)
    assert.truthy(rep.warnings[1]:find("4 bundles chosen of the 6 asked", 1, true))
  end)

  it("leaves out a bundle at list price (min_discount) and one nested in a chosen bundle", function()
    local s = {
      { items = { "a", "b", "c" }, score = 5, discount = 0.2 },
      { items = { "a", "b" }, score = 4, discount = 0.15 },      -- held by a+b+c: the same deal twice
      { items = { "d", "e" }, score = 3, discount = 0.004 },     -- best at list price: no offer
      { items = { "c", "f" }, score = 2, discount = 0.1 },       -- shares c only: not nested
      { items = { "b", "c", "g" }, score = 1, discount = 0.1 },  -- shares b and c, holds neither whole: kept
    }
    local chosen, _, rep = bundle.select(s, { top = 5, min_discount = 0.01, max_per_item = 3 })
    local names = {}
    for i, b in ipairs(chosen) do names[i] = table.concat(b.items, "+") end
    assert.are.same({ "a+b+c", "c+f", "b+c+g" }, names)
    assert.are.equal(1, rep.skipped.nested)
    assert.are.equal(1, rep.skipped.at_list)
    assert.truthy(rep.warnings[1]:find("1 best at list price (nothing to offer)", 1, true), rep.warnings[1])
    assert.truthy(rep.warnings[1]:find("1 holding or held by a chosen bundle", 1, true), rep.warnings[1])
    -- the superset after its subset is left out the same way, and allow_nested keeps both
    chosen = bundle.select({ s[2], s[1] }, { top = 2 })
    assert.are.equal(1, #chosen)
    chosen = bundle.select({ s[2], s[1] }, { top = 2, allow_nested = true })
    assert.are.equal(2, #chosen)
    -- the joint pass keeps the same rules
    local function set_value(set) local v = 0 for _, b in ipairs(set) do v = v + b.score end return v end
    chosen = bundle.select.joint(s, set_value, { top = 5, min_discount = 0.01, max_per_item = 3 })
    names = {}
    for i, b in ipairs(chosen) do names[i] = table.concat(b.items, "+") end
    assert.are.same({ "a+b+c", "c+f", "b+c+g" }, names)
    local _, _, jrep = bundle.select.joint(s, set_value, { top = 5, min_discount = 0.01, max_per_item = 3 })
    assert.truthy(jrep.warnings[1]:find("left out: 1 best at list price (nothing to offer)", 1, true), jrep.warnings[1])
    assert.has_error(function() bundle.select(s, { min_discount = "x" }) end, "select: min_discount must be a number")
  end)

  it("keeps one bundle per category signature and honours min_attach", function()
    local s = {
      { items = { "a", "b" }, score = 3, categories = { "tea", "cake" } },
      { items = { "c", "d" }, score = 2, categories = { "cake", "tea" } },
      { items = { "e", "f" }, score = 1, categories = { "tea", "milk" }, attach = 0.5 },
    }
    local chosen = bundle.select(s, { top = 3 })
    assert.are.equal(2, #chosen)
    assert.are.same({ "e", "f" }, chosen[2].items)
    chosen = bundle.select(s, { top = 3, min_attach = 0.2 })
    assert.are.equal(1, #chosen)
    assert.are.same({ "e", "f" }, chosen[1].items)
  end)

  it("builds the list jointly: a second bundle on the same hub adds only what the set gains", function()
    -- a set's value: each bundle's score, but a hub's customers are counted once
    local function set_value(set)
      local v, hub = 0, false
      for _, b in ipairs(set) do
        if b.items[1] == "hub" then
          v = v + (hub and 1 or b.score)
          hub = true
        else
          v = v + b.score
        end
      end
      return v
    end
    local chosen = bundle.select.joint(scored, set_value, { top = 3, max_per_item = 2 })
    local names = {}
    for i, b in ipairs(chosen) do names[i] = table.concat(b.items, "+") end
    -- hub+a first (10), then f+g (6) and j+k (5) beat hub+b's marginal 1
    assert.are.same({ "hub+a", "f+g", "j+k" }, names)
    local ok, e = pcall(bundle.select.joint, scored, nil, {})
    assert.is_false(ok)
    assert.truthy(e:find("set_value must be a function", 1, true))
  end)
end)

describe("referee.ratios", function()
  it("divides by the best other method on each measure", function()
    local judged = { order = { "ours", "p", "q" },
                     ours = { bundles = 3, incremental_profit = 12, attach_rate = 0.2 },
                     p = { bundles = 3, incremental_profit = 10, attach_rate = 0.1 },
                     q = { bundles = 3, incremental_profit = 4, attach_rate = 0.25 } }
    local r = bundle.referee.ratios(judged, "ours", { "incremental_profit", "attach_rate" })
    assert.are.equal("p", r.incremental_profit.best_baseline)
    assert.are.equal(1.2, r.incremental_profit.ratio)
    assert.are.equal("q", r.attach_rate.best_baseline)
    assert.is_true(math.abs(r.attach_rate.ratio - 0.8) < 1e-12)
  end)
end)

describe("referee.ratio_fit", function()
  local referee = require "bundle.referee"
  -- bundles with a known log-normal ratio (predicted / observed), counts
  -- drawn Poisson in a small window: most bundles are seen 0-2 times
  local function draw(seed, median, sd, mean_count, k, n)
    math.randomseed(seed)
    local function normal()
      return math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random())
    end
    local function poisson(l)
      local L, c, p = math.exp(-l), 0, 1
      repeat c = c + 1; p = p * math.random() until p <= L
      return c - 1
    end
    local points = {}
    for i = 1, k do
      local pred = mean_count * math.exp(0.5 * normal()) / n
      local r = median * math.exp(sd * normal())
      points[i] = { predicted = pred, observed = poisson(n * pred / r) / n }
    end
    return points
  end

  it("recovers the median ratio of sparse counts where the median over the bundles seen is biased", function()
    local n = 10000
    local points = draw(7, 1.5, 0.4, 0.6, 800, n)
    local fit = referee.ratio_fit(points, n)
    assert.is_true(math.abs(fit.median / 1.5 - 1) < 0.15, tostring(fit.median))
    assert.is_true(math.abs(fit.sd - 0.4) < 0.25, tostring(fit.sd))
    -- the plain median over the bundles seen: far below the truth
    local r = {}
    for _, p in ipairs(points) do if p.observed > 0 then r[#r + 1] = p.predicted / p.observed end end
    table.sort(r)
    assert.is_true(r[#r // 2 + 1] < 0.9, tostring(r[#r // 2 + 1]))
    -- a calibrated model on plenty of data: about 1, and most within 0.8-1.25
    local fit2 = referee.ratio_fit(draw(11, 1.0, 0.05, 200, 300, n), n)
    assert.is_true(math.abs(fit2.median - 1) < 0.05, tostring(fit2.median))
    assert.is_true(fit2.within > 0.9, tostring(fit2.within))
  end)

  it("gives nothing when no bundle was seen, or too few were checked", function()
    assert.is_nil(referee.ratio_fit({ { predicted = 0.01, observed = 0 }, { predicted = 0.02, observed = 0 } }, 100))
    assert.is_nil(referee.ratio_fit({ { predicted = 0.01, observed = 0.01 } }, 100))
    assert.is_nil(referee.ratio_fit({}, 100))
  end)
end)
