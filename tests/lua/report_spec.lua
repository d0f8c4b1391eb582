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
                     or h2[1] == "1. Recommendation: launch this bundle", h2[1])
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
    -- the planted pairs are found and named (capitals in the data read in sentence case)
    assert.truthy(rec:find("Earl grey tea + Shortbread biscuits", 1, true) or rec:find("Shortbread biscuits + Earl grey tea", 1, true)
                  or rec:find("Strawberry jam + Fruit scones", 1, true) or rec:find("Fruit scones + Strawberry jam", 1, true), rec)
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
    local b1 = bad.bundles[1]
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
    for id in pairs(defined) do
      if id ~= "g-take-rate" and id ~= "g-support" and id ~= "g-discount" then
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
