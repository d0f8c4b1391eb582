-- bundle.pipeline on a shop's orders that look nothing like Online Retail:
-- its own column names, no data set conventions. Checks that nothing after
-- the cut reaches a decision, that every option is checked, that the
-- selection enforces diversity, that every method is judged by one
-- referee, and that the outputs are written whole.
local bundle = require "bundle"
local files = require "spec_files"
local tmpdir = files.tmpdir

-- Four months of a shop's order lines (order, member, when, product, qty,
-- unit_price): 40 products with skewed popularity, a planted pair bought
-- together in a tenth of the orders and often apart, weekly price moves.
local function shop_lines(seed)
  local state = seed
  local function rand(n) state = (state * 1103515245 + 12345) % 2147483648; return state % n end
  local lines = {}
  local order = 0
  for month = 1, 4 do
    for _ = 1, 500 do
      order = order + 1
      local day = 1 + rand(27)
      local member = "m" .. (100 + rand(150))
      local items = {}
      if rand(10) == 0 then items["tea"] = true; items["biscuits"] = true end
      if rand(6) == 0 then items["tea"] = true end
      if rand(7) == 0 then items["biscuits"] = true end
      for _ = 1, 1 + rand(4) do
        local it = "p" .. (10 + math.min(rand(37), rand(37)))   -- lower codes more popular
        items[it] = true
      end
      local keys = {}
      for it in pairs(items) do keys[#keys + 1] = it end
      table.sort(keys)
      for _, it in ipairs(keys) do
        local base = (it == "tea" or it == "biscuits") and 6 or 1 + (#it % 5) * 0.7
        local week = (month * 4 + day // 7) % 5
        local price = base * (0.9 + 0.05 * week)
        lines[#lines + 1] = { when = ("2011-%02d-%02d %02d:00:00"):format(month, day, 8 + rand(10)), order = 700000 + order,
                              member = member, product = it, qty = 1 + rand(3), unit_price = price }
      end
    end
  end
  table.sort(lines, function(a, b) return a.when < b.when or (a.when == b.when and a.order < b.order) end)
  return lines
end

local function write_lines(lines)
  local out = { "order,member,when,product,qty,unit_price" }
  for _, l in ipairs(lines) do
    out[#out + 1] = ("%d,%s,%s,%s,%d,%.2f"):format(l.order, l.member, l.when, l.product, l.qty, l.unit_price)
  end
  local path = tmpdir() .. "/orders.csv"
  files.write(path, table.concat(out, "\n") .. "\n")
  return path
end

local LINES = shop_lines(42)
local PATH = write_lines(LINES)
local MAPPING = { basket = "order", item = "product", time = "when", user = "member", quantity = "qty",
                  price = "unit_price" }

local function run(extra, path)
  local data = { orders = path or PATH }
  for k, v in pairs(MAPPING) do data[k] = v end
  local spec = { data = data, start = "2011-04-01", rounds = 1, seed = 5, progress = false, warnings = false,
                 config = { model = "linear", top = 5, reserve = 5, customers = 1000 } }
  for k, v in pairs(extra or {}) do
    if k == "config" or k == "data" then for kk, vv in pairs(v) do spec[k][kk] = vv end else spec[k] = v end
  end
  return bundle.pipeline(spec)
end

local function decisions(ctx)
  local out = {}
  for i, b in ipairs(ctx.bundles) do
    out[i] = { items = table.concat(b.items, "+"), price = b.price, discount = b.discount, list = b.list_price,
               value = b.incremental_profit }
  end
  return out
end

describe("pipeline", function()
  local ctx = run()

  it("chooses bundles from the candidates with the support floor chosen and reported", function()
    assert.is_true(#ctx.bundles >= 1)
    local c = ctx.candidates
    assert.is_true(c.min_count >= 5)
    assert.is_true(c.counts[2] > 0)
    for _, b in ipairs(ctx.bundles) do
      assert.is_true(b.discount >= 0 and b.discount <= 0.3)
      assert.is_true(b.incremental_profit > 0)
      assert.is_true(b.price > 0 and b.price <= b.list_price + 1e-9)
      -- no chosen bundle is credibly an anti-complement (upper 95% bound of its lift among visits below 1);
      -- the visit lift (lift / s^(k-1), s <= 1) and the basket lift are both reported; each is an offer
      -- (at least 1% off)
      assert.is_true(b.reasons.lift_upper >= 1)
      assert.is_true(b.reasons.visit_lift >= b.reasons.lift - 1e-12)
      assert.is_true(b.discount >= 0.01)
      -- the basket lift is the one the training baskets show
      local tb = ctx.train_baskets
      local n = tb:size()
      local all = bundle.eval.backtest({ b.items }, tb, { metrics = { "attach_rate" } }).bundles[1].complete / n
      local sup = {}
      local isup = tb:item_support()
      local its, ss = isup:col("item"):totable(), isup:col("support"):totable()
      for k = 1, #its do sup[its[k]] = ss[k] end
      local e = 1
      for _, it in ipairs(b.items) do e = e * sup[it] end
      assert.is_true(math.abs(all / e - b.reasons.lift) < 1e-6 * b.reasons.lift, ("%g vs %g"):format(all / e, b.reasons.lift))
      -- the upper bound lies above the visit lift's posterior mean, (count + k) / (expected + k):
      -- the pair prior k shrinks toward 1, so with k > 0 a high lift's bound can sit below the raw lift
      local count, k = all * n, ctx.demand.pair_prior
      local mean = (count + k) / (count / b.reasons.visit_lift + k)
      assert.is_true(b.reasons.lift_upper >= mean, ("bound %g, posterior mean %g"):format(b.reasons.lift_upper, mean))
      if k == 0 then assert.is_true(b.reasons.lift_upper >= b.reasons.visit_lift) end
    end
  end)

  it("measures how much of the list's profit rests on its items' own elasticities", function()
    -- per-item elasticities on this file (weekly prices move): the list's value with them and with the pooled one
    local el = ctx.demand.elasticity
    local pooled = ctx.elasticity.pooled
    local probe = setmetatable({ demand = setmetatable({}, { __index = ctx.demand }) }, { __index = ctx })
    -- every item at the pooled slope: the two figures are one
    local flat = {}
    for it in pairs(ctx.item_price) do flat[it] = pooled end
    probe.demand.elasticity = flat
    local d = bundle.pipeline.elasticity_dependence(probe)
    assert.are.equal(d.list, d.pooled_elasticity)
    assert.are.equal(0, d.items_above)
    -- the chosen items twice as price-sensitive: a discount draws more, so the list is worth more with them
    local steep = {}
    for it in pairs(ctx.item_price) do steep[it] = pooled end
    for _, b in ipairs(ctx.bundles) do for _, it in ipairs(b.items) do steep[it] = 2 * pooled end end
    probe.demand.elasticity = steep
    d = bundle.pipeline.elasticity_dependence(probe)
    assert.is_true(d.list > d.pooled_elasticity, ("%g vs %g"):format(d.list, d.pooled_elasticity))
    assert.are.equal(d.items, d.items_above)
    -- the run's own figure, when its elasticities are per item, is in the round's history
    if type(el) == "table" then
      assert.are.same(ctx.elasticity_dependence, ctx.history[1].elasticity_dependence)
      assert.is_true(ctx.elasticity_dependence.list > 0)
    else
      assert.is_nil(ctx.elasticity_dependence)
    end
  end)

  it("reports the take-rate model chosen on validation, every candidate scored, or says why there is none", function()
    local mr = ctx.model_report
    if not mr then
      local said = false
      for _, w in ipairs(ctx.warnings) do said = said or tostring(w):find("no take-rate model", 1, true) ~= nil end
      assert.is_true(said)
      return
    end
    local names = {}
    for _, e in ipairs(mr.models) do
      names[e.name] = true
      if e.valid then
        assert.is_true(e.valid.logloss >= 0 and e.valid.rmse >= 0)
        -- held out: scored on the test window after the evaluation
        assert.is_true(e.test.logloss >= 0 and e.test.bundles >= 0, e.name)
      end
    end
    assert.is_true(names.constant and names.popularity and names.logistic)
    assert.is_true(names[mr.chosen])
    assert.is_string(mr.note)
  end)

  it("lets nothing after the cut reach a decision: prices, new items and lost rows there change nothing", function()
    local changed = {}
    for _, l in ipairs(LINES) do
      if l.when >= "2011-04-01" then
        if l.order % 3 ~= 0 then -- drop a third of the later rows
          local c = {}
          for k, v in pairs(l) do c[k] = v end
          c.unit_price = l.unit_price * 3
          if l.order % 5 == 0 then c.product = "brand_new_" .. l.product end
          changed[#changed + 1] = c
        end
      else
        changed[#changed + 1] = l
      end
    end
    local other = run(nil, write_lines(changed))
    assert.are.same(decisions(ctx), decisions(other))
    -- while the referee did see the new window
    assert.are_not.equal(ctx.evaluation.bundlerun.realised_margin, other.evaluation.bundlerun.realised_margin)
  end)

  it("gives the same decisions for the same seed", function()
    assert.are.same(decisions(ctx), decisions(run()))
  end)

  it("enforces diversity: an item in at most max_per_item bundles, no anti-complements", function()
    local wide = run{ config = { top = 12, max_per_item = 1 } }
    local uses = {}
    for _, b in ipairs(wide.bundles) do
      assert.is_true(b.reasons.lift_upper >= 1)
      for _, it in ipairs(b.items) do
        uses[it] = (uses[it] or 0) + 1
        assert.is_true(uses[it] <= 1, it)
      end
    end
  end)

  it("judges every method with one referee and the same optimiser", function()
    local ev = ctx.evaluation
    for _, name in ipairs{ "bundlerun", "popular_pairs", "top_lift", "top_confidence", "random_pairs", "one_bundle" } do
      local e = ev[name]
      assert.truthy(e, name)
      assert.is_true(e.bundles >= 1, name)
      assert.is_number(e.simulated_incremental_profit, name)
      assert.is_number(e.list_incremental_profit, name)
      assert.is_true(e.attach_rate >= 0 and e.attach_rate <= 1, name)
      for _, b in ipairs(e.per_bundle) do assert.is_true(b.discount >= 0 and b.discount <= 0.3, name) end
    end
    -- the same list priced by the referee's optimiser gets the same discounts as ours did
    local again = bundle.referee.price(ctx.bundles, ctx.demand, ctx.config.discount)
    for i, b in ipairs(ctx.bundles) do assert.are.equal(b.discount, again[i].discount) end
    assert.is_number(ctx.ratios.incremental_profit.ratio)
    assert.is_number(ctx.calibration.median_ratio)
    -- the referee describes its own window: the top-lift pairs' joint
    -- share at list price is their test baskets' (median ratio 0.97 here),
    -- where the training window's shrinkage toward independence (k = 50 on
    -- this data) would put it at 0.56 (pipeline.test_world)
    assert.equals(0, ctx.world.pair_prior)
    local listed = {}
    for _, b in ipairs(ctx.evaluation.top_lift.per_bundle) do listed[#listed + 1] = b.items end
    -- (the plain median over the pairs bought whole there: with 5 pairs the
    -- fitted median is close to the pooled ratio, one pair's weight)
    local own = bundle.referee.calibration(listed, ctx.world, ctx.test_baskets)
    assert.is_true(own.median_seen > 0.8 and own.median_seen < 1.25, "referee's own median ratio " .. own.median_seen)
    local shrunk = {}
    for k, v in pairs(ctx.world) do shrunk[k] = v end
    shrunk.pair_prior = 50
    local sc = bundle.referee.calibration(listed, shrunk, ctx.test_baskets)
    assert.is_true(sc.median_seen < 0.8, tostring(sc.median_seen))
    -- shrinking predicts fewer joint purchases, pooled too
    assert.is_true(sc.pooled_ratio < own.pooled_ratio)
  end)

  it("warns, naming the reason, when it returns fewer bundles than asked", function()
    local few = run{ config = { top = 40, reserve = 0 } }
    assert.is_true(#few.bundles < 40)
    local found = false
    for _, w in ipairs(few.warnings) do if w:find("bundles chosen of the 40 asked", 1, true) then found = true end end
    assert.is_true(found)
  end)

  it("rejects unknown data and config keys, stages and options with their names", function()
    local ok, e = pcall(run, { data = { quantitiy = "qty" } })
    assert.is_false(ok)
    assert.truthy(tostring(e):find("unknown data option 'quantitiy'", 1, true))
    ok, e = pcall(run, { config = { min_suport = 0.1 } })
    assert.is_false(ok)
    assert.truthy(tostring(e):find("unknown config option 'min_suport'", 1, true))
    ok, e = pcall(run, { stages = { analyze = function() end } })
    assert.truthy(tostring(e):find("unknown stage 'analyze'", 1, true))
    ok, e = pcall(bundle.pipeline, { data = { orders = PATH }, round = 2 })
    assert.truthy(tostring(e):find("unknown option 'round'", 1, true))
    ok, e = pcall(run, { config = { size = { 1, 3 } } })
    assert.truthy(tostring(e):find("config.size", 1, true))
  end)

  it("rejects bad values of the demand model's options, naming them", function()
    for key, bad in pairs{ profit_ratio = -1, visit_share = 0, pair_prior = "strong" } do
      local ok, e = pcall(run, { config = { [key] = bad } })
      assert.is_false(ok)
      assert.truthy(tostring(e):find("config." .. key, 1, true))
    end
    local ok, e = pcall(bundle.price.optimize, { { "tea", "biscuits" } },
                        { catalog = ctx.catalog, baskets = ctx.train_baskets, visit_share = 1.5 })
    assert.is_false(ok)
    assert.truthy(tostring(e):find("visit_share must be in (0, 1]", 1, true))
    ok, e = pcall(bundle.price.optimize, { { "tea", "biscuits" } },
                  { catalog = ctx.catalog, baskets = ctx.train_baskets, pair_prior = -2 })
    assert.truthy(tostring(e):find("pair_prior must be a finite number >= 0", 1, true))
  end)

  it("estimates the share of visits that buy anything from the baskets alone", function()
    -- 6 items each bought by 15% of visitors independently, empty visits
    -- dropped: 1 - 0.85^6 = 0.623 of the visits are baskets
    local state = 7
    local function u() state = (state * 1103515245 + 12345) % 2147483648; return state / 2147483648 end
    local rows = {}
    for _ = 1, 6000 do
      local b = {}
      for i = 1, 6 do if u() < 0.15 then b[#b + 1] = tostring(i) end end
      if #b > 0 then rows[#rows + 1] = table.concat(b, " ") end
    end
    local path = tmpdir() .. "/visits.dat"
    files.write(path, table.concat(rows, "\n") .. "\n")
    local s = bundle.pipeline.visit_share(bundle.read_baskets(path))
    assert.is_true(math.abs(s - #rows / 6000) < 0.03, ("visit share %.3f, true %.3f"):format(s, #rows / 6000))
    -- the pair prior is chosen on the validation window, from the grid
    local r = ctx.pair_prior_report
    assert.equals("chosen on the validation window", r.source)
    local in_grid = false
    for _, k in ipairs(bundle.pipeline.pair_prior_grid) do in_grid = in_grid or k == ctx.pair_prior end
    assert.is_true(in_grid)
    assert.equals(ctx.pair_prior, ctx.demand.pair_prior)
    local best = math.huge
    for _, d in ipairs(r.deviance) do best = math.min(best, d.deviance) end
    for _, d in ipairs(r.deviance) do if d.k == r.k then assert.equals(best, d.deviance) end end
    -- baskets of 20 items out of 50: nearly every visit is a basket
    rows = {}
    for _ = 1, 300 do
      local b = {}
      for i = 1, 50 do if u() < 0.4 then b[#b + 1] = tostring(i) end end
      rows[#rows + 1] = table.concat(b, " ")
    end
    files.write(path, table.concat(rows, "\n") .. "\n")
    assert.is_true(bundle.pipeline.visit_share(bundle.read_baskets(path)) > 0.9999)
    assert.is_true(ctx.visit_share > 0.05 and ctx.visit_share <= 1)
  end)

  it("raises attach only as far as the profit goal allows (an epsilon-constraint)", function()
    -- a profit floor no set can meet: the guard does not move the set at all
    local strict = run{ config = { min_attach = 0.9, profit_ratio = 1e9 } }
    assert.equals(0, strict.attach_lambda)
    local said = false
    for _, w in ipairs(strict.warnings) do
      if w:find("would take the set's expected incremental profit below", 1, true) then said = true end
    end
    assert.is_true(said)
    local free = run{ config = { min_attach = false } }
    assert.same(decisions(free), decisions(strict))
    -- without a profit floor the guard raises attach as far as it can
    local loose = run{ config = { min_attach = 0.9, profit_ratio = false } }
    assert.is_true(loose.attach_lambda > 0)
    assert.is_true(#loose.bundles >= 1)
  end)

  it("runs on a grocer's file: baskets keyed on member + day, day-first dates, no price or quantity", function()
    local out = { "member;date;product" }
    for _, l in ipairs(LINES) do
      local y, m, d = l.when:match("^(%d+)-(%d+)-(%d+)")
      out[#out + 1] = ("%s;%s/%s/%s;%s"):format(l.member, d, m, y, l.product)
    end
    local path = tmpdir() .. "/grocer.csv"
    files.write(path, table.concat(out, "\n") .. "\n")
    local g = bundle.pipeline{ data = { orders = path, basket = { "member", "date" }, item = "product", time = "date",
                                        day_first = true, read = { sep = ";" } },
                               start = "2011-04-01", seed = 1, progress = false, warnings = false,
                               config = { model = false, top = 3, reserve = 0, customers = 1000 } }
    assert.is_true(#g.bundles >= 1)
    local said = table.concat(g.warnings, "\n")
    assert.truthy(said:find("no price column", 1, true))
    assert.truthy(said:find("no quantity column", 1, true))
    assert.truthy(g.elasticity.source:find("prior", 1, true))
    -- the same member on the same day is one basket: fewer baskets than orders
    assert.is_true(g.train_baskets:size() < ctx.train_baskets:size())
    for _, b in ipairs(g.bundles) do assert.are.equal(b.list_price, #b.items) end -- every item priced 1
  end)

  it("carries state across rounds and keeps the other stages when one is replaced", function()
    local calls = {}
    local two = run{ rounds = 2, start = "2011-03-01", stages = {
      generate = function(c)
        calls[#calls + 1] = c.round
        c.state.seen = (c.state.seen or 0) + 1
        c.bundles = { { items = { "tea", "biscuits" }, price = 10, cost = 5, discount = 0.1 } }
        c.reserve = { { items = { "p10", "p11" } } }
        c.scored_pool = { { items = { "tea", "biscuits" } } }
      end } }
    assert.are.same({ 1, 2 }, calls)
    assert.are.equal(2, two.state.seen)
    assert.are.equal(2, #two.history)
    assert.is_true(two.evaluation.bundlerun.bundles == 1) -- default evaluate ran on our bundles
    assert.truthy(two.history[2].cut == "2011-03-31")
  end)

  it("writes bundles.csv, summary.json and a report whose charts are all there", function()
    local dir = tmpdir()
    local paths = bundle.pipeline.write(ctx, dir)
    local csv = bundle.read_csv(paths.bundles)
    assert.are.equal(#ctx.bundles, csv:nrows())
    assert.are.equal("rank", csv:names()[1])
    local summary = files.slurp(paths.summary)
    assert.truthy(summary:find('"simulated_incremental_profit"', 1, true))
    if ctx.model_report then -- every take-rate candidate's validation and held-out scores
      assert.truthy(summary:find('"models"', 1, true) and summary:find('"valid"', 1, true)
                    and summary:find('"test"', 1, true))
    end
    assert.truthy(summary:find('"version": "' .. bundle.version .. '"', 1, true))
    local html = files.slurp(paths.report)
    for _, id in ipairs{ "pareto-front", "top-bundles", "lift-heatmap", "rounds", "backtest" } do
      assert.truthy(html:find('<svg id="' .. id .. '"', 1, true), id)
    end
    assert.is_nil(html:find("<script", 1, true))
    local stack = {}
    for close, name, selfclose in html:gmatch("<(/?)([%a][%w%-]*)[^>]-(/?)>") do
      if close == "/" then
        assert.are.equal(name, table.remove(stack))
      elseif selfclose ~= "/" and name ~= "meta" then
        stack[#stack + 1] = name
      end
    end
    assert.are.same({}, stack)
    for _, p in pairs(paths) do os.remove(p) end
    os.remove(dir)
  end)

  -- write is all or nothing: a new directory beside the target, swapped in
  local function listing(d)
    local h = io.popen("cd " .. d .. " && ls -A")
    local s = h:read("a")
    h:close()
    return s
  end

  it("replaces the whole directory in one swap, keeping the files it does not write", function()
    local parent = tmpdir()
    local dir = parent .. "/out"
    bundle.pipeline.write(ctx, dir)
    files.write(dir .. "/report.png", "a person's render\n") -- not pipeline's: it stays
    os.execute("mkdir " .. dir .. "/notes && echo n > " .. dir .. "/notes/n.txt")
    local first = files.slurp(dir .. "/summary.json")
    -- a killed writer's directory from long ago goes; a fresh one may be live
    os.execute("mkdir " .. parent .. "/out.new.AAAAAA " .. parent .. "/out.new.BBBBBB && touch -d '1 hour ago' " ..
               parent .. "/out.new.AAAAAA")
    local paths = bundle.pipeline.write(ctx, dir .. "/")
    assert.are.equal(dir .. "/summary.json", paths.summary)
    assert.are.equal(first, files.slurp(dir .. "/summary.json"))
    assert.are.equal("a person's render\n", files.slurp(dir .. "/report.png"))
    assert.are.equal("n\n", files.slurp(dir .. "/notes/n.txt"))
    assert.are.equal("bundles.csv\nnotes\nreport.html\nreport.png\nsummary.json\n", listing(dir))
    assert.are.equal("out\nout.new.BBBBBB\n", listing(parent))
    os.execute("rm -rf " .. parent)
  end)

  it("leaves the old directory intact when a write fails midway", function()
    local parent = tmpdir()
    local dir = parent .. "/out"
    bundle.pipeline.write(ctx, dir)
    local before = {}
    for _, f in ipairs{ "bundles.csv", "summary.json", "report.html" } do before[f] = files.slurp(dir .. "/" .. f) end
    -- a different set of bundles, and the report (written last) fails
    local other = setmetatable({ bundles = { ctx.bundles[1] } }, { __index = ctx })
    local report = require "bundle.report"
    local html = report.html
    report.html = function() error("report.html: No space left on device (injected)", 2) end
    local ok, err = pcall(bundle.pipeline.write, other, dir)
    report.html = html
    assert.is_false(ok)
    assert.truthy(err:find("No space left on device (injected)", 1, true), err)
    for f, text in pairs(before) do assert.are.equal(text, files.slurp(dir .. "/" .. f), f) end
    assert.are.equal("out\n", listing(parent)) -- the new directory is gone too
    -- a real failure names the file as the caller gave it, at the caller's line
    files.write(parent .. "/file", "not a directory\n")
    ok, err = pcall(function() bundle.pipeline.write(ctx, parent .. "/file/out") end)
    assert.is_false(ok)
    assert.truthy(err:find("^[^\n]*pipeline_spec%.lua:%d+: "), err)
    os.execute("rm -rf " .. parent)
  end)

  it("writes through a symbolic link to a directory, which stays a link", function()
    local parent = tmpdir()
    os.execute("mkdir " .. parent .. "/real && ln -s real " .. parent .. "/out")
    bundle.pipeline.write(ctx, parent .. "/out")
    assert.is_true(os.execute("test -L " .. parent .. "/out"))
    assert.truthy(files.slurp(parent .. "/real/bundles.csv"))
    assert.are.equal("out\nreal\n", listing(parent))
    os.execute("rm -rf " .. parent)
  end)
end)
