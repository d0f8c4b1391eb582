-- The pipeline's elasticity choice (config.elasticity = "auto"): fitted on
-- the training window less its last 16 weeks, scored against the items'
-- own slopes in those weeks. Items whose true slopes differ (1 to 4) keep
-- most of their own departure from the pooled slope (lambda near 1); a
-- slope that drifts away after the first window is not kept (lambda near
-- 0); a short history or too few items with their own slope leave the
-- pooled slope, with the reason.
local bundle = require "bundle"
local W = require "search_world"

local DAY = 86400

-- weeks of order lines for `n` items: each item's price moves weekly (log sd
-- 0.15) and it sells exp(a + season - slope_i log p) units; a season moves
-- every item at once
local function sales(seed, weeks, slopes)
  math.randomseed(seed)
  local function normal() return math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random()) end
  local rows = { "item,price,quantity,time" }
  for w = 0, weeks - 1 do
    local season = 0.4 * math.sin(2 * math.pi * w / 52)
    for i, slope in ipairs(slopes) do
      local lp = 0.15 * normal()
      local units = math.exp(5 + season - slope * lp + 0.1 * normal())
      local day = os.date("!%Y-%m-%d", 1672617600 + (w * 7 + 2) * DAY)
      rows[#rows + 1] = ("I%02d,%.4f,%.3f,%s"):format(i, 10 * math.exp(lp), units, day)
    end
  end
  return W.frame_of(rows), 1672617600 + weeks * 7 * DAY
end

local function ctx_for(cut)
  return { cut = cut, config = { elasticity_prior = 2.5, min_elasticity = 0.5, max_elasticity = 5 } }
end

describe("pipeline.choose_elasticity", function()
  it("chooses per-item slopes when the items' true slopes differ", function()
    local slopes = {}
    for i = 1, 12 do slopes[i] = 1 + 3 * (i - 1) / 11 end
    local f, cut = sales(3, 60, slopes)
    local mode, rep = bundle.pipeline.choose_elasticity(ctx_for(cut), f)
    assert.are.equal("estimated", mode)
    assert.are.equal(12, rep.items)
    -- the items' own departures from the pooled slope carry over: most of each is kept
    assert.is_true(rep.lambda > 0.7, "lambda " .. rep.lambda)
    assert.is_true(rep.scores.per_item < rep.scores.pooled)
    assert.is_true(rep.scores.shrunk <= rep.scores.per_item + 1e-12)
    assert.truthy(rep.source:find("chosen on the validation window", 1, true))
  end)

  it("prefers one estimated slope over a wrong prior when every item shares it", function()
    local slopes = {}
    for i = 1, 12 do slopes[i] = 1.2 end
    local f, cut = sales(5, 60, slopes)
    local mode, rep = bundle.pipeline.choose_elasticity(ctx_for(cut), f)
    assert.are.equal("estimated", mode) -- the prior 2.5 is far from 1.2
    assert.is_true(rep.scores.pooled < rep.scores.prior)
    assert.is_true(rep.scores.shrunk <= rep.scores.pooled + 1e-12)
  end)

  it("keeps little of an item's own slope when it does not carry into the next months", function()
    -- each item's slope is redrawn for the last 16 weeks: the early departures predict nothing
    local a, b = {}, {}
    for i = 1, 12 do a[i] = 1 + 3 * ((i * 7) % 12) / 11; b[i] = 1 + 3 * ((i * 5 + 3) % 12) / 11 end
    local f1 = sales(9, 44, a)
    local f2, cut = sales(10, 60, b)
    local rows = { "item,price,quantity,time" }
    local function add(f, from, to)
      local it, pr, q, tm = f:col("item"):totable(), f:col("price"):totable(), f:col("quantity"):totable(),
        f:col("time"):totable()
      for r = 1, #it do
        if tm[r] >= from and tm[r] < to then
          rows[#rows + 1] = ("%s,%.4f,%.3f,%s"):format(it[r], pr[r], q[r], os.date("!%Y-%m-%d", tm[r]))
        end
      end
    end
    add(f1, 0, cut - 16 * 7 * DAY)
    add(f2, cut - 16 * 7 * DAY, math.huge)
    local mode, rep = bundle.pipeline.choose_elasticity(ctx_for(cut), W.frame_of(rows))
    assert.are.equal("estimated", mode)
    assert.is_true(rep.lambda < 0.5, "lambda " .. rep.lambda)
    assert.is_true(rep.scores.shrunk < rep.scores.per_item)
  end)

  it("keeps the pooled default, and says why, without enough history or items", function()
    local f, cut = sales(7, 20, { 1, 2, 3, 4, 1, 2 })
    local mode, rep = bundle.pipeline.choose_elasticity(ctx_for(cut), f)
    assert.are.equal("pooled", mode)
    assert.truthy(rep.source:find("too short", 1, true))
    local g, cut2 = sales(7, 60, { 1, 3, 2 })
    local mode2, rep2 = bundle.pipeline.choose_elasticity(ctx_for(cut2), g)
    assert.are.equal("pooled", mode2)
    assert.truthy(rep2.source:find("3 items with their own slope", 1, true))
  end)
end)
