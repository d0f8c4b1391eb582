-- bundle.report: the launch brief's structure on a small shop whose order
-- lines carry product names and a currency. Sections come in order, the
-- recommendation names products (not codes), quotes list and bundle prices
-- with the currency and profit per 1,000 visitors, flags are raised in
-- words, every term used is defined in the glossary, chart ticks fall on
-- 1-2-5 steps and colour has a legend.
local bundle = require "bundle"
local xml = require "xml_check"
local files = require "spec_files"

-- Three months of a tea shop: 30 products with skewed popularity, two
-- planted pairs (tea + biscuits, jam + scones), codes "SKU-0nn" and names.
local NAMES = { ["SKU-001"] = "EARL GREY TEA", ["SKU-002"] = "Shortbread biscuits", ["SKU-003"] = "Strawberry jam",
                ["SKU-004"] = "Fruit scones" }
local function name_of(code) return NAMES[code] or ("Product number " .. code:sub(-2)) end

local function orders_csv()
  local s = 7
  local function rand(n) s = (s * 1103515245 + 12345) % 2147483648; return s % n end
  local out = { "order,customer,when,code,description,qty,price" }
  for order = 1, 1500 do
    local month, day = 1 + (order - 1) // 500, 1 + rand(27)
    local items = {}
    if rand(8) == 0 then items["SKU-001"], items["SKU-002"] = true, true end
    if rand(9) == 0 then items["SKU-003"], items["SKU-004"] = true, true end
    for _ = 1, 1 + rand(4) do items[("SKU-%03d"):format(5 + math.min(rand(26), rand(26)))] = true end
    local keys = {}
    for it in pairs(items) do keys[#keys + 1] = it end
    table.sort(keys)
    for _, it in ipairs(keys) do
      local base = 2 + tonumber(it:sub(-2)) % 7
      out[#out + 1] = ('%d,c%d,2012-%02d-%02d 10:00:00,%s,"%s",%d,%.2f'):format(order, rand(200), month, day, it, name_of(it),
        1 + rand(2), base * (0.9 + 0.05 * (day // 7)))
    end
  end
  local path = files.tmpdir() .. "/orders.csv"
  files.write(path, table.concat(out, "\n") .. "\n")
  return path
end

local PATH = orders_csv()

local function run(data_extra)
  local data = { orders = PATH, basket = "order", item = "code", time = "when", user = "customer", quantity = "qty",
                 price = "price", name = "description" }
  for k, v in pairs(data_extra or {}) do data[k] = v end
  return bundle.pipeline{ data = data, start = "2012-03-01", rounds = 1, seed = 3, progress = false, warnings = false,
                          config = { model = "linear", top = 4, reserve = 2, customers = 1000 } }
end

local function body_text(el) return (el.text:gsub("%s+", " ")) end

-- the text of the HTML between two ids' sections
local function section(html, id)
  local s = html:find('<section id="' .. id .. '"', 1, true)
  assert.truthy(s, "no section " .. id)
  local _, e = html:find("</section>", s, true)
  return html:sub(s, e)
end

describe("report", function()
  local ctx = run{ currency = "£" }
  local html = bundle.report.render(ctx)
  local els = xml.parse(html, { html = true })

  it("is one self-contained, well-formed HTML file", function()
    assert.is_nil(html:find("<script", 1, true))
    assert.is_nil(html:find("https?://[^\"]-%.[a-z]", 1) and html:match('src="http') or nil)
    assert.is_nil(html:find('href="http', 1, true))
    assert.is_nil(html:find("<img", 1, true))
    assert.are.equal("html", els[1].name)
  end)

  it("puts the sections in the decision's order", function()
    local order = {}
    for _, e in ipairs(xml.find(els, "section")) do order[#order + 1] = e.attrs.id end
    assert.are.same({ "recommendation", "flags", "evidence", "comparison", "charts", "details", "glossary" }, order)
    local h2 = {}
    for _, e in ipairs(xml.find(els, "h2")) do h2[#h2 + 1] = body_text(e) end
    assert.is_truthy(h2[1]:match("^1%. Recommendation: launch these %d+ bundles$")
                     or h2[1] == "1. Recommendation: launch this bundle"
                     or h2[1]:match("^1%. Recommendation: do not launch; [%a ]+ did better$")
                     or h2[1]:match("^1%. Recommendation: do not launch; level with [%a ]+$")
                     or h2[1]:match("^1%. Recommendation: launch none; "), h2[1])
    assert.are.equal("2. Flags", h2[2])
    assert.are.equal("3. Evidence per bundle", h2[3])
    assert.are.equal("4. Comparison with the baselines", h2[4])
    assert.are.equal("5. Charts", h2[5])
    assert.are.equal("Glossary", h2[#h2])
  end)

  it("names products, not codes, with prices in the currency and profit per 1,000 visitors", function()
    local rec = section(html, "recommendation")
    local lines = xml.find(xml.parse(rec, { html = true }), "li")
    assert.is_true(#lines >= 1)
    for _, li in ipairs(lines) do
      local names = xml.find({ li }, "li")[1]
      assert.is_nil(li.text:find("SKU%-%d"), li.text)
    end
    -- the planted pairs are named (capitals in the data read in sentence case) where they appear; they are
    -- bought together already, so at their best price (the list price) they offer nothing and are not
    -- launched: every launched bundle is at least 1% off
    assert.truthy(html:find("Strawberry jam", 1, true) and html:find("Fruit scones", 1, true))
    for off in rec:gmatch("%((%d+)%% off%)") do assert.is_true(tonumber(off) >= 1, rec) end
    assert.is_nil(rec:find("SKU-", 1, true))
    assert.truthy(rec:find("£%d+%.%d%d → <b>£%d+%.%d%d</b>"), rec)
    assert.truthy(rec:find("per 1,000 visitors", 1, true))
    -- the evidence and the charts name them too
    assert.is_nil(section(html, "evidence"):find("SKU-", 1, true))
    local heat = html:match('<svg[^>]-id="lift%-heatmap".-</svg>')
    assert.truthy(heat)
    assert.is_nil(heat:find(">SKU-", 1, true))
    -- each line says why, in a sentence
    for _, span in ipairs(xml.find(xml.parse(rec, { html = true }), "span", "class", "why")) do
      assert.matches("^%u.*%.$", span.text)
    end
  end)

  it("states when no currency is known, and uses the config's over the data's", function()
    local plain = bundle.report.render(run())
    assert.truthy(plain:find("no currency was given", 1, true))
    assert.is_nil(section(plain, "recommendation"):find("£", 1, true))
    local eur = run{ currency = "£" }
    eur.currency = nil
    eur.config.currency = "€"
    assert.truthy(section(bundle.report.render(eur), "recommendation"):find("€", 1, true))
    local ok, err = pcall(bundle.pipeline, { data = { orders = PATH, basket = "order", item = "code", time = "when" },
                                             start = "2012-03-01", config = { currency = 3 } })
    assert.is_false(ok)
    assert.matches("config.currency must be", err)
  end)

  it("flags in words: lift below 1, negative profit, few observations, model estimates with the calibration", function()
    local f = section(html, "flags")
    assert.truthy(f:find("model estimates", 1, true))
    assert.truthy(f:find('id="calibration"', 1, true)) -- the calibration chart beside the caveat
    assert.truthy(f:find("predicted / observed joint purchases", 1, true))
    -- a context with a bad bundle: it is flagged and held back from the launch list
    local bad = {}
    for k, v in pairs(ctx) do bad[k] = v end
    bad.bundles = {}
    for i, b in ipairs(ctx.bundles) do
      local c = {}
      for k, v in pairs(b) do c[k] = v end
      bad.bundles[i] = c
    end
    -- one the normal report launches: the referee does not find it losing in the test window
    local b1
    for _, b in ipairs(bad.bundles) do
      if not b1 and not (b.test_incremental_profit and b.test_incremental_profit < 0) then b1 = b end
    end
    assert.truthy(b1, "no launched bundle to spoil")
    b1.incremental_profit = -0.002
    b1.reasons = { lift = 0.8, support = 0.01, contributions = {} }
    bad.model_report = { chosen = "constant", learned_won = false, note = "no learned model beat constant" }
    local h = bundle.report.render(bad)
    local fl = section(h, "flags")
    assert.truthy(fl:find('class="flag flag-lift"', 1, true))
    assert.truthy(fl:find("less</i> often than chance", 1, true))
    assert.truthy(fl:find('class="flag flag-negative"', 1, true))
    assert.truthy(fl:find("−£2.00 per 1,000 visitors", 1, true), fl)
    assert.truthy(fl:find('class="flag flag-model"', 1, true))
    local rec = section(h, "recommendation")
    assert.truthy(rec:find("not recommended", 1, true))
    local n = tonumber(rec:match("launch these (%d+) bundles")) or (rec:find("launch this bundle", 1, true) and 1)
      or (rec:find("Launch none", 1, true) and 0)
    local before = tonumber(section(html, "recommendation"):match("launch these (%d+) bundles")) or 1
    assert.are.equal(before - 1, n)
    -- fewer than 20 observations: the small shop's pairs are seen more often than that, a 4-item bundle is not
    local few = {}
    for k, v in pairs(ctx) do few[k] = v end
    few.bundles = { { items = { "SKU-001", "SKU-002", "SKU-003", "SKU-004" }, price = 10, list_price = 12, discount = 0.17,
                      incremental_profit = 0.001, reasons = { lift = 5 } } }
    assert.truthy(section(bundle.report.render(few), "flags"):find('class="flag flag-few"', 1, true))
  end)

  it("shows the evidence per bundle: lift, the share of one item's buyers, trend, contributions", function()
    local ev = section(html, "evidence")
    local rows = xml.find(xml.parse(ev, { html = true }), "tr")
    assert.are.equal(#ctx.bundles + 1, #rows)
    assert.truthy(ev:find("× more than chance", 1, true))
    assert.truthy(ev:find("%d+%% of [^<]- buyers"))
    assert.truthy(ev:find("in the last 30 days", 1, true) or ev:find("steady", 1, true))
  end)

  it("compares ours with every baseline, at the optimised prices and at list price", function()
    local cmp = section(html, "comparison")
    for _, m in ipairs{ "bundlerun (ours)", "most popular pairs", "highest-lift pairs", "highest-confidence pairs",
                        "random pairs" } do
      assert.truthy(cmp:find(m, 1, true), m)
    end
    assert.truthy(cmp:find("the same at", 1, true))
    assert.truthy(cmp:find('id="backtest"', 1, true))
  end)

  it("defines every term it uses, once", function()
    local defined, used = {}, {}
    for _, dt in ipairs(xml.find(els, "dt")) do
      assert.is_nil(defined[dt.attrs.id], "defined twice: " .. tostring(dt.attrs.id))
      defined[dt.attrs.id] = true
    end
    for _, dd in ipairs(xml.find(els, "dd")) do assert.is_true(#dd.text > 20) end
    for _, a in ipairs(xml.find(els, "a", "class", "term")) do
      local id = a.attrs.href:match("^#(.*)$")
      assert.is_true(defined[id] == true, "undefined term " .. tostring(id))
      used[id] = true
    end
    -- and the words a reader meets are all there
    for _, key in ipairs{ "profit-per-1000", "take-rate", "attach", "incremental", "lift", "confidence", "calibration",
                          "simulated", "trend", "baseline", "list-price", "bundle-price" } do
      assert.is_true(defined["g-" .. key], key)
    end
    -- and the jargon of the details and the charts
    for _, key in ipairs{ "reward", "static-plan", "thompson", "log-odds", "elasticity", "epoch", "referee",
                          "training-model", "validation", "overlap", "negligible", "calibration-share", "best-fixed" } do
      assert.is_true(defined["g-" .. key], key)
    end
    for id in pairs(defined) do
      -- (epoch: the learning curve's, used only when the MLP is the chosen model; analysts-list: the attach
      -- guard's warning's, used only when the guard cannot be met)
      if id ~= "g-take-rate" and id ~= "g-support" and id ~= "g-discount" and id ~= "g-epoch"
         and id ~= "g-analysts-list" then
        assert.is_true(used[id] == true, "defined but never used: " .. id)
      end
    end
  end)

  it("draws every chart with 1-2-5 ticks and a legend where colour carries meaning", function()
    local ids = {}
    for _, s in ipairs(xml.find(els, "svg")) do ids[#ids + 1] = s.attrs.id end
    for _, want in ipairs{ "pareto-front", "top-bundles", "calibration", "lift-heatmap", "learning-curves", "rounds",
                           "backtest" } do
      local found = false
      for _, id in ipairs(ids) do found = found or id == want end
      assert.is_true(found, want)
    end
    for svg in html:gmatch('<svg.-</svg>') do
      local id = svg:match('id="([^"]+)"')
      local e = xml.parse(svg)
      local xs, ys = {}, {}
      for _, t in ipairs(xml.find(e, "text", "class", "tick")) do
        local v = tonumber((t.text:gsub(",", "")))
        if v and t.attrs["text-anchor"] == "end" then ys[#ys + 1] = v end
        if v and t.attrs["text-anchor"] == "middle" then xs[#xs + 1] = v end
      end
      for _, axis in ipairs{ xs, ys } do
        if #axis >= 2 and id ~= "calibration" then -- calibration: log axes, checked below
          local step = axis[2] - axis[1]
          assert.is_true(xml.is_125(step), id .. ": tick step " .. step)
          for i = 2, #axis do assert.is_near(step, axis[i] - axis[i - 1], step * 1e-6) end
        end
      end
      if id == "calibration" and #ys >= 2 then
        for _, v in ipairs(ys) do
          assert.is_true(xml.is_125(v), "log tick " .. v)
        end
      end
      -- colour carries meaning where the marks have more than one colour (or a scale: the heat map)
      local colours, n = {}, 0
      for _, m in ipairs(e) do
        local c = (m.name == "rect" and m.attrs.class == "bar" or m.name == "circle" and m.attrs.class ~= "item")
                  and m.attrs.fill or (m.name == "polyline" and m.attrs.stroke) or (m.attrs.class == "cell" and m.attrs.fill)
        if c and not colours[c] then colours[c] = true; n = n + 1 end
      end
      if n > 1 then assert.is_true(#xml.find(e, "g", "class", "legend") >= 1, id .. " has no legend") end
    end
  end)


  -- a copy of ctx with fields replaced (bundles and evaluation deep enough to edit)
  local function variant(fields)
    local c = {}
    for k, v in pairs(ctx) do c[k] = v end
    local ev = {}
    for m, e in pairs(ctx.evaluation) do
      local x = {}
      for k, v in pairs(e) do x[k] = v end
      ev[m] = x
    end
    c.evaluation = ev
    for k, v in pairs(fields) do c[k] = v end
    return c
  end

  it("heads the brief with the referee's verdict: launch only when ours beats the best baseline", function()
    local visits = ctx.test_baskets:size()
    local win = variant{}
    for m, e in pairs(win.evaluation) do
      e.simulated_incremental_profit = m == "bundlerun" and 0.02 * visits or 0.001 * visits
    end
    local h = section(bundle.report.render(win), "recommendation")
    assert.truthy(h:find("<h2>1. Recommendation: launch th", 1, true), h)
    assert.is_nil(h:find("Do not launch", 1, true))
    -- the referee's figures behind the launch, against the best baseline
    assert.truthy(h:find("our list adds <b>£20.00</b> per 1,000 visitors, against £1.00 for the best", 1, true), h)
    assert.truthy(h:find("20.00× as much", 1, true), h)
    local lose = variant{}
    for m, e in pairs(lose.evaluation) do
      e.simulated_incremental_profit = m == "popular_pairs" and 0.02 * visits or 0.001 * visits
    end
    h = section(bundle.report.render(lose), "recommendation")
    assert.truthy(h:find("<h2>1. Recommendation: do not launch; popular pairs did better</h2>", 1, true), h)
    -- the figures behind it, in the currency, per 1,000 visitors
    assert.truthy(h:find("the most popular pairs list is expected to add <b>£20.00</b> per 1,000 visitors, ours only £1.00", 1, true), h)
    -- a lead inside the simulation's noise (5%) is level, not a launch
    local level = variant{}
    for m, e in pairs(level.evaluation) do
      e.simulated_incremental_profit = (m == "bundlerun" and 0.0203 or m == "popular_pairs" and 0.02 or 0.001) * visits
    end
    h = section(bundle.report.render(level), "recommendation")
    assert.truthy(h:find("<h2>1. Recommendation: do not launch; level with popular pairs</h2>", 1, true), h)
    assert.truthy(h:find("within 5% of each other", 1, true), h)
    -- every list loses money: launch none, and say that the baselines lose too
    local none = variant{}
    for m, e in pairs(none.evaluation) do
      e.simulated_incremental_profit = (m == "bundlerun" and -0.009 or m == "top_confidence" and -0.0002 or -0.004) * visits
    end
    h = section(bundle.report.render(none), "recommendation")
    assert.truthy(h:find("<h2>1. Recommendation: launch none; no list adds profit</h2>", 1, true), h)
    assert.truthy(h:find("ours (−£9.00 per 1,000 visitors)", 1, true), h)
    assert.truthy(h:find("(the best, highest-confidence pairs: ", 1, true), h)
    -- without prices the discounts are assumptions, said at the top of the decision and in the header
    local noprice = variant{ has_price = false }
    local full = bundle.report.render(noprice)
    h = section(full, "recommendation")
    assert.truthy(h:find("<b>This data has no prices.</b>", 1, true), h)
    assert.truthy(h:find("of 2.5 and a margin of 40%", 1, true), h)
    assert.truthy(full:find("prices in units (the data has no prices: every item is priced 1)", 1, true))
    assert.is_nil(section(bundle.report.render(win), "recommendation"):find("This data has no prices", 1, true))
  end)

  it("says which model each profit comes from and reconciles the two", function()
    local rec = section(html, "recommendation")
    local visits = ctx.test_baskets:size()
    local t = 0
    for _, b in ipairs(ctx.bundles) do t = t + b.incremental_profit end
    local e = ctx.evaluation.bundlerun
    local sentence = rec:match('<p class="reconcile">(.-)</p>')
    assert.truthy(sentence, rec)
    assert.truthy(sentence:find("training model", 1, true))
    assert.truthy(sentence:find("referee", 1, true))
    -- training model alone -> referee alone -> referee together (section 4's figure)
    assert.truthy(sentence:find(("<b>£%.2f</b> per 1,000 visitors"):format(1000 * t), 1, true), sentence)
    -- money as the report writes it: a minus sign before the currency, none on a figure that rounds to zero
    local function money(v)
      local txt = ("%.2f"):format(math.abs(v))
      return ((v < 0 and txt ~= "0.00") and "−£" or "£") .. txt
    end
    local joint = money(1000 * e.simulated_incremental_profit / visits)
    if #ctx.bundles > 1 then
      assert.truthy(sentence:find(money(1000 * e.separate_incremental_profit / visits) .. " on their own", 1, true), sentence)
      assert.truthy(sentence:find("<b>" .. joint .. "</b> offered together", 1, true), sentence)
    else
      assert.truthy(sentence:find("<b>" .. joint .. "</b>, the figure section 4 compares", 1, true), sentence)
    end
    assert.truthy(section(html, "comparison"):find("<td>" .. joint .. "</td>", 1, true))
    -- each launch line gives the referee's figure beside the training model's
    local lis = #xml.find(xml.parse(rec, { html = true }), "li")
    local n = 0
    for _ in rec:gmatch('per 1,000 visitors</span> <span class="referee">%(referee: [^£<]*£%d+%.%d%d%)</span>') do n = n + 1 end
    assert.are.equal(lis, n, rec)
  end)

  it("words the why sentence by the lift: no '1.0x more often than chance'", function()
    local rec = section(html, "recommendation")
    local whys = 0
    for why in rec:gmatch('<span class="why">(.-)</span>') do
      whys = whys + 1
      assert.is_nil(why:find("1%.0× more often"), why)
      assert.truthy(why:find("more often than chance", 1, true) or why:find("about as often as chance", 1, true)
                    or why:find("less often than chance", 1, true), why)
    end
    assert.is_true(whys > 0)
  end)

  it("says 'checked: none found' for each check that does not fire, and flags the new ones", function()
    local f = section(html, "flags")
    local kinds = {}
    for kind in f:gmatch('data%-check="([%a%-]+)">[^\n]-checked: none found%.</li>') do kinds[kind] = true end
    -- the tea shop's list: a lift below 1 flagged exactly when a bundle's basket lift is; an overlap exactly
    -- when two bundles share an item; a loss is flagged exactly when the referee finds one
    local below = false
    for _, b in ipairs(ctx.bundles) do below = below or b.reasons.lift < 1 end
    assert.are.equal(not below, kinds.lift == true, f)
    local shared, seen = false, {}
    for _, b in ipairs(ctx.bundles) do
      for _, it in ipairs(b.items) do shared = shared or seen[it] ~= nil end
      for _, it in ipairs(b.items) do seen[it] = true end
    end
    assert.are.equal(not shared, kinds.overlap == true, f)
    local losing = 0
    for _, b in ipairs(ctx.bundles) do
      if (b.test_incremental_profit or 0) * 1000 / ctx.test_baskets:size() <= -0.005 then losing = losing + 1 end
    end
    local flagged = 0
    for _ in f:gmatch('class="flag flag%-negative"') do flagged = flagged + 1 end
    assert.are.equal(losing, flagged, f)
    assert.are.equal(losing == 0, kinds.negative == true)
    -- a bundle the referee values below zero is flagged in words, though the training model's figure is positive
    local bs = {}
    for i, b in ipairs(ctx.bundles) do bs[i] = setmetatable({}, { __index = b }) end
    bs[1].incremental_profit, bs[1].test_incremental_profit = 0.004, -0.05 * ctx.test_baskets:size() / 1000
    local neg = section(bundle.report.render(variant{ bundles = bs }), "flags")
    assert.truthy(neg:find('class="flag flag-negative"', 1, true), neg)
    assert.truthy(neg:find("gives it −£0.05 per 1,000 visitors", 1, true), neg)
    assert.is_nil(neg:find('data-check="negative"', 1, true))
    -- the run's warnings read as findings: no stage prefix, the pipeline's terms linked to the glossary
    local w = section(bundle.report.render(variant{ warnings = {
      "generate: the attach floor 0.107 is not met: raising attach further would take the set's expected " ..
      "incremental profit below 1.5 x the best analysts' list" } }), "flags")
    assert.truthy(w:find("From the run</span> — The ", 1, true), w)
    assert.truthy(w:find('href="#g-attach-floor"', 1, true) and w:find('href="#g-analysts-list"', 1, true), w)
    assert.is_nil(w:find("generate:", 1, true))
    -- a near-trivial learned model, a poor calibration share
    local c = variant{ model_report = { kind = "logistic", chosen = "logistic", learned_won = true, logloss = 0.3000,
                                        popularity_logloss = 0.3010, constant_logloss = 0.32, candidates = 10 },
                       calibration = { median_ratio = 1.1, within = 0.25, bundles = 40, unobserved = 0, points = {} } }
    local fl = section(bundle.report.render(c), "flags")
    assert.truthy(fl:find('class="flag flag-near-trivial"', 1, true), fl)
    assert.truthy(fl:find("barely better than", 1, true))
    assert.truthy(fl:find("0.3000 against 0.3010, 0.3% lower", 1, true), fl)
    assert.truthy(fl:find('class="flag flag-calibration"', 1, true))
    assert.truthy(fl:find("Only an estimated 25% of the 40 bundles checked", 1, true), fl)
    assert.is_nil(fl:find('data-check="calibration"', 1, true))
    -- a learned model well ahead: checked, none found
    c = variant{ model_report = { kind = "logistic", chosen = "logistic", learned_won = true, logloss = 0.25,
                                  popularity_logloss = 0.30, constant_logloss = 0.32, candidates = 10 } }
    assert.truthy(section(bundle.report.render(c), "flags"):find('data-check="model">', 1, true))
    -- a list that earns only at its items' own elasticities: said, with both figures and the carry-over share
    c = variant{ elasticity_dependence = { list = 0.0005, pooled_elasticity = 0.0001, pooled = 2.03, lambda = 0.79,
                                           items = 20, items_above = 17 } }
    fl = section(bundle.report.render(c), "flags")
    assert.truthy(fl:find('class="flag flag-elasticity"', 1, true), fl)
    assert.truthy(fl:find("£0.50 per 1,000 visitors, falls to £0.10", 1, true), fl)
    assert.truthy(fl:find("of 2.03): 17 of its 20 items", 1, true), fl)
    assert.truthy(fl:find("79% of it in the training window's validation", 1, true), fl)
    -- half or more kept at the average elasticity: checked, none found
    c = variant{ elasticity_dependence = { list = 0.0005, pooled_elasticity = 0.0003, pooled = 2.03, items = 20,
                                           items_above = 10 } }
    assert.truthy(section(bundle.report.render(c), "flags"):find('data-check="elasticity">', 1, true))
  end)

  it("flags an item whose sales fell lately, overlapping bundles and negligible ones", function()
    -- SKU-050 (no name in the data) sells only in January: falling by the training window's last 30 days (February)
    local lines = { "order,when,code" }
    for o = 1, 300 do
      local month = o <= 150 and 1 or 2
      lines[#lines + 1] = ("%d,2012-%02d-%02d 10:00:00,SKU-004"):format(o, month, 1 + o % 27)
      if o <= 150 and o % 3 == 0 then lines[#lines + 1] = ("%d,2012-01-%02d 10:00:00,SKU-050"):format(o, 1 + o % 27) end
      if o % 2 == 0 then lines[#lines + 1] = ("%d,2012-%02d-%02d 10:00:00,SKU-003"):format(o, month, 1 + o % 27) end
    end
    local small = files.tmpdir() .. "/falling.csv"
    files.write(small, table.concat(lines, "\n") .. "\n")
    local bk = bundle.baskets(bundle.read_csv(small), { basket = "order", item = "code", time = "when" })
    local c = variant{ train_baskets = bk, bundles = {
      { items = { "SKU-003", "SKU-004" }, price = 9, list_price = 10, discount = 0.1, incremental_profit = 0.01,
        reasons = { lift = 5 } },
      { items = { "SKU-004", "SKU-050" }, price = 9, list_price = 10, discount = 0.1, incremental_profit = 0.00001,
        reasons = { lift = 2 } } } }
    local h = bundle.report.render(c)
    local fl = section(h, "flags")
    assert.truthy(fl:find('class="flag flag-falling"', 1, true), fl)
    assert.truthy(fl:find("<b>SKU%-050</b> %(bundle 2%): its sales fell 9%d%% in the last 30 days"), fl)
    assert.truthy(fl:find("Bundles 1 and 2 share <b>Fruit scones</b>", 1, true), fl)
    assert.truthy(fl:find('class="flag flag-negligible"', 1, true), fl)
    local rec = section(h, "recommendation")
    assert.truthy(rec:find("overlaps</a> bundle 2 (shares Fruit scones)", 1, true), rec)
    assert.truthy(rec:find("negligible</a>: under 1% of the list's expected profit", 1, true), rec)
  end)

  it("shows a non-zero list-price column: the bundles' margin at list price, not the zero incremental", function()
    local cmp = section(html, "comparison")
    local row = cmp:match("<tr><td><b>bundlerun %(ours%)</b></td>(.-)</tr>")
    assert.truthy(row, cmp)
    local cells = {}
    for c in row:gmatch("<td>(.-)</td>") do cells[#cells + 1] = c end
    -- bundles, incremental, margin at optimised prices, margin at list price, ...
    local at_list = tonumber((cells[4]:gsub("£", "")))
    assert.truthy(at_list and at_list > 0, cells[4])
    assert.truthy(cmp:find("zero by construction", 1, true))
  end)

  it("draws the take-rate candidates' learning curves against the training rows they were refitted on", function()
    local mr = ctx.model_report
    assert.truthy(mr, "the run fitted no take-rate model")
    local lc = html:match('<svg[^>]-id="learning%-curves".-</svg>')
    assert.truthy(lc)
    local e = xml.parse(lc)
    -- a validation line per candidate with a curve, and the chosen one's training line
    local want = 1
    for _, m in ipairs(mr.models) do
      if m.curve and #m.curve.rows > 1 then
        want = want + 1
        assert.are.same({ 0.2, 0.4, 0.6, 0.8, 1 }, m.curve.shares, m.name)
        for i = 2, #m.curve.rows do assert.is_true(m.curve.rows[i] > m.curve.rows[i - 1]) end
      end
    end
    assert.is_true(want >= 3)
    assert.are.equal(want, #xml.find(e, "polyline"))
    assert.truthy(lc:find("training rows (labelled bundles) refitted on", 1, true))
    assert.truthy(lc:find(mr.chosen .. "[^<]*, training ✓"), mr.chosen)
    assert.truthy(lc:find(mr.chosen .. "[^<]*, validation ✓"), mr.chosen)
    assert.truthy(section(html, "charts"):find("learning curves", 1, true))
    -- no epoch chart unless the neural network was chosen
    assert.is_nil(html:find('id="epoch-curves"', 1, true))
    local c = variant{ model_report = { kind = "mlp", chosen = "mlp", learned_won = true, logloss = 0.2, candidates = 10,
                                        models = { { name = "mlp", curve = { shares = { 0.5, 1 }, rows = { 10, 20 },
                                                                             train = { 0.3, 0.25 }, valid = { 0.4, 0.3 } } } },
                                        history = { loss = { 0.9, 0.6, 0.5 }, val_loss = { 0.95, 0.7, 0.62 } } } }
    local h = bundle.report.render(c)
    assert.truthy(h:find('id="epoch-curves"', 1, true))
    assert.truthy(section(h, "charts"):find('href="#g-epoch"', 1, true))
  end)

  it("draws the MLP's learning curve with its validation loss, and labels the Pareto front in full with the currency", function()
    local c = variant{ model_report = { kind = "mlp", chosen = "mlp", learned_won = true, logloss = 0.2, popularity_logloss = 0.3,
                                        constant_logloss = 0.3, candidates = 10,
                                        history = { loss = { 0.9, 0.6, 0.5, 0.45 }, val_loss = { 0.95, 0.7, 0.62, 0.61 } } } }
    local h = bundle.report.render(c)
    local lc = h:match('<svg[^>]-id="learning%-curves".-</svg>')
    assert.truthy(lc)
    local e = xml.parse(lc)
    assert.are.equal(2, #xml.find(e, "polyline"))
    assert.truthy(lc:find(">validation<", 1, true) and lc:find(">training<", 1, true))
    assert.truthy(section(h, "charts"):find('href="#g-epoch"', 1, true))
    local pf = html:match('<svg[^>]-id="pareto%-front".-</svg>')
    assert.truthy(pf:find("incremental profit per 1,000 visitors (£)", 1, true))
    -- the launch list's names whole, by their points or in the key under the chart
    for _, b in ipairs(ctx.bundles) do
      local names = {}
      for i, it in ipairs(b.items) do
        local n = name_of(it)
        names[i] = n:find("%l") and n or (n:sub(1, 1) .. n:sub(2):lower())
      end
      local full = table.concat(names, " + ")
      assert.truthy(pf:find(full, 1, true), full)
    end
  end)

  it("writes the basket lift first in bundles.csv's reasons, then the lift among visits the rule read", function()
    assert.are.equal("support 0.0100; lift 0.63; lift among visits 0.99 (up to 1.05)",
                     bundle.report.reasons_text{ reasons = { support = 0.01, lift = 0.63, visit_lift = 0.99, lift_upper = 1.05 } })
    assert.are.equal("support 0.0200; lift 1.50", bundle.report.reasons_text{ reasons = { support = 0.02, lift = 1.5 } })
  end)

  it("names the bad argument", function()
    assert.has_error(function() bundle.report.html(1, ctx) end, "report.html: path must be a string")
    assert.has_error(function() bundle.report.html("x.html", {}) end,
                     "report.html: ctx must be a pipeline context with bundles")
    assert.has_error(function() bundle.report.render(nil) end, "report.render: ctx must be a pipeline context with bundles")
  end)

  it("writes the file atomically where asked", function()
    local dir = files.tmpdir()
    local p = bundle.report.html(dir .. "/r.html", ctx)
    assert.are.equal(html, files.slurp(p))
    os.remove(p)
    os.remove(dir)
  end)
end)
