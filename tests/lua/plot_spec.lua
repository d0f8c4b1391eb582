-- bundle.plot: every chart parses as XML with the elements it promises,
-- ticks fall on 1-2-5 steps, colour that carries meaning has a legend,
-- and bad input is an error naming the argument.
local bundle = require "bundle"
local plot = require "bundle.plot"
local xml = require "xml_check"
local files = require "spec_files"

local function ticks_of(svg)
  local out = {}
  for _, e in ipairs(xml.find(xml.parse(svg), "text", "class", "tick")) do out[#out + 1] = e.text end
  return out
end

-- the numeric x (anchor middle, under the axis) and y (anchor end) tick values
local function axis_ticks(svg)
  local xs, ys = {}, {}
  for _, e in ipairs(xml.find(xml.parse(svg), "text", "class", "tick")) do
    local v = tonumber((e.text:gsub(",", "")))
    if v then
      if e.attrs["text-anchor"] == "end" then ys[#ys + 1] = v elseif e.attrs["text-anchor"] == "middle" then xs[#xs + 1] = v end
    end
  end
  return xs, ys
end

local function assert_125(values)
  assert.is_true(#values >= 2, "at least two ticks")
  local step = values[2] - values[1]
  assert.is_true(xml.is_125(math.abs(step)), "step " .. step .. " is not 1-2-5")
  for i = 2, #values do assert.is_near(step, values[i] - values[i - 1], math.abs(step) * 1e-6) end
end

local function small_rules()
  local path = os.tmpname()
  files.write(path, "1 2 3\n1 2\n1 2 4\n2 3\n1 3 4\n1 2 3 4\n2 4\n1 2\n")
  local bk = bundle.read_baskets(path)
  os.remove(path)
  return bk:rules{ min_count = 2, min_confidence = 0.3 }
end

describe("bundle.plot", function()
  it("is reachable as bundle.plot and require 'bundle.plot'", function()
    assert.are.equal(plot, bundle.plot)
  end)

  describe("ticks", function()
    it("falls on 1-2-5 steps that cover the range", function()
      for _, r in ipairs{ { 0, 0.981 }, { 15.8, 60 }, { 0.327, 0.981 }, { -3.2, 0.4 }, { 0, 1234567 }, { 1e-5, 3e-5 },
                          { 5, 5 }, { -10, -9.99 } } do
        local t, step = plot.ticks(r[1], r[2])
        assert.is_true(xml.is_125(step), ("step %g for %g..%g"):format(step, r[1], r[2]))
        assert.is_true(t[1] <= math.min(r[1], r[2]) + 1e-12 and t[#t] >= math.max(r[1], r[2]) - 1e-12)
        assert.is_true(#t >= 2 and #t <= 12)
        assert_125(t)
      end
      assert.are.same({ 0, 0.2, 0.4, 0.6, 0.8, 1 }, (plot.ticks(0, 0.981)))
      assert.are.same({ 0, 20, 40, 60 }, (plot.ticks(1, 60)))
    end)

    it("prints a tick with the decimals its step needs", function()
      assert.are.equal("0.05", plot.tick_text(0.05, 0.05))
      assert.are.equal("0.30", plot.tick_text(0.30000000000000004, 0.05))
      assert.are.equal("12,000", plot.tick_text(12000, 2000))
      -- one axis, one style: 8,000 beside 10,000, not 8000
      assert.are.equal("8,000", plot.tick_text(8000, 2000))
      assert.are.equal("-2,000", plot.tick_text(-2000, 2000))
      assert.are.equal("500", plot.tick_text(500, 100))
      assert.are.equal("0", plot.tick_text(1e-17, 0.1))
    end)

    it("puts log ticks on 1, 2, 5 times powers of ten", function()
      assert.are.same({ 0.001, 0.01, 0.1, 1 }, plot.log_ticks(-3, 0))
      local t = plot.log_ticks(-2, -1)
      assert.are.equal(4, #t)
      assert.is_near(0.02, t[2], 1e-12)
      assert.is_near(0.05, t[3], 1e-12)
    end)

    it("bounds log ticks over a huge range: every k-th power, at most ~10 labelled decades", function()
      local t = plot.log_ticks(-300, 300)
      assert.are.equal(11, #t) -- 1e-300, 1e-240, ..., 1e300: one power in 60
      assert.is_near(-300, math.log(t[1], 10), 1e-9)
      assert.is_near(-240, math.log(t[2], 10), 1e-9)
      assert.is_near(300, math.log(t[11], 10), 1e-9)
      -- past what a double holds: the ticks that exist, no loop over 2e300 decades
      local far = plot.log_ticks(-1e300, 1e300)
      assert.is_true(#far <= 11)
      for _, v in ipairs(far) do assert.is_true(v > 0 and v < math.huge) end
      -- a reversed range is the same range
      assert.are.same(plot.log_ticks(-3, 0), plot.log_ticks(0, -3))
      -- twelve decades: every second power
      local twelve = plot.log_ticks(-6, 6)
      assert.are.equal(7, #twelve)
      assert.is_near(0.01, twelve[3], 1e-15)
    end)

    it("names nan and infinite log-tick ranges", function()
      local msg = "plot.log_ticks: lo and hi must be finite numbers"
      assert.has_error(function() plot.log_ticks(0 / 0, 1) end)
      local ok, err = pcall(plot.log_ticks, -math.huge, 1)
      assert.is_false(ok)
      assert.truthy(err:find(msg, 1, true))
      ok, err = pcall(plot.log_ticks, 0, math.huge)
      assert.truthy(err:find(msg, 1, true))
      ok, err = pcall(plot.log_ticks, "1", 2)
      assert.truthy(err:find(msg, 1, true))
    end)

    it("names bad input", function()
      assert.has_error(function() plot.ticks(0 / 0, 1) end, "plot.ticks: lo and hi must be finite numbers")
      assert.has_error(function() plot.ticks(0, 1, 0) end, "plot.ticks: n must be a positive integer")
    end)
  end)

  describe("scatter", function()
    local svg = plot.scatter{ x = { 0.1, 0.2, 0.35, 0.5 }, y = { 3, 1.5, 7, 2 }, labels = { "a", "b", "c", "d" },
                              color = { 1, 2, 3, 4 }, color_label = "lift", title = "t", xlabel = "support",
                              ylabel = "confidence", id = "sc" }
    local els = xml.parse(svg)

    it("is one svg with a point per value, labels and a colour bar", function()
      assert.are.equal("svg", els[1].name)
      assert.are.equal("sc", els[1].attrs.id)
      assert.are.equal(4, #xml.find(els, "g", "class", "points") > 0 and #xml.find(els, "circle") or 0)
      local labels = {}
      for _, e in ipairs(xml.find(els, "text", "class", "point-label")) do labels[#labels + 1] = e.text end
      table.sort(labels)
      assert.are.same({ "a", "b", "c", "d" }, labels)
      assert.are.equal(1, #xml.find(els, "g", "class", "legend"))
      assert.are.equal(1, #xml.find(els, "linearGradient"))
      local legend_title = false
      for _, e in ipairs(xml.find(els, "text", "class", "label")) do legend_title = legend_title or e.text == "lift" end
      assert.is_true(legend_title)
    end)

    it("has 1-2-5 ticks on both axes", function()
      local xs, ys = axis_ticks(svg)
      assert_125(xs)
      assert_125(ys)
      assert.are.same({ "0.0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6" }, (function()
        local t = {}
        for i, v in ipairs(xs) do t[i] = ("%.1f"):format(v) end
        return t
      end)())
    end)

    it("numbers the labels that do not fit and lists them under the chart", function()
      local n = 40
      local x, y, l = {}, {}, {}
      for i = 1, n do x[i], y[i], l[i] = 1 + i * 1e-3, 1 + i * 1e-3, "A LONG PRODUCT NAME " .. i end
      local s = plot.scatter{ x = x, y = y, labels = l }
      local e = xml.parse(s)
      local keyed = xml.find(e, "text", "class", "key")
      assert.is_true(#keyed > 0)
      local key = xml.find(e, "g", "class", "label-key")
      assert.are.equal(1, #key)
      -- every label is somewhere: beside its point or in the key
      local seen = 0
      for _, t in ipairs(xml.find(e, "text")) do
        if t.text:find("A LONG PRODUCT NAME", 1, true) then seen = seen + 1 end
      end
      assert.are.equal(n, seen)
    end)

    it("keeps placed labels from overlapping", function()
      local x, y, l = {}, {}, {}
      for i = 1, 30 do x[i], y[i], l[i] = (i % 5) * 0.01, (i % 7) * 0.01, "label " .. i end
      local e = xml.parse(plot.scatter{ x = x, y = y, labels = l })
      local boxes = {}
      for _, t in ipairs(xml.find(e, "text", "class", "point-label")) do
        local tx, ty, w = tonumber(t.attrs.x), tonumber(t.attrs.y), plot.text_width(t.text, 10)
        local a = t.attrs["text-anchor"]
        local x0 = a == "end" and tx - w or a == "middle" and tx - w / 2 or tx
        boxes[#boxes + 1] = { x0, x0 + w, ty - 9, ty + 1 }
      end
      for i = 1, #boxes do
        for j = i + 1, #boxes do
          local a, b = boxes[i], boxes[j]
          local overlap = a[1] < b[2] and b[1] < a[2] and a[3] < b[4] and b[3] < a[4]
          assert.is_false(overlap)
        end
      end
    end)

    it("groups get a colour key", function()
      local e = xml.parse(plot.scatter{ x = { 1, 2, 3 }, y = { 1, 2, 3 }, groups = { "ours", "baseline", "ours" } })
      local keys = {}
      for _, t in ipairs(xml.find(e, "g", "class", "legend")) do keys[#keys + 1] = t end
      assert.are.equal(1, #keys)
      local names = {}
      for _, t in ipairs(xml.find(e, "text")) do names[t.text] = true end
      assert.is_true(names.ours and names.baseline)
    end)

    it("names bad input", function()
      assert.has_error(function() plot.scatter{ x = { 1, 2 }, y = { 1, "a" } } end,
                       "plot.scatter: 'y'[2] must be a number, got string")
      assert.has_error(function() plot.scatter{ x = { 1, 2 }, y = { 1 } } end,
                       "plot.scatter: 'y' has 1 values; it must have 2, like the others")
      assert.has_error(function() plot.scatter{ x = 3, y = { 1 } } end,
                       "plot.scatter: 'x' must be a list of numbers, got number")
      local ok, err = pcall(plot.scatter, { x = {}, y = {}, colour = {} })
      assert.is_false(ok)
      assert.matches("plot.scatter: unknown option 'colour'", err, 1, true)
      assert.has_error(function() plot.scatter("x") end, "plot.scatter: expects a table of options, got string")
    end)
  end)

  describe("lines", function()
    it("draws one polyline per series, a legend for two or more, integer ticks when asked", function()
      local x = {}
      local a, b = {}, {}
      for i = 1, 60 do x[i], a[i], b[i] = i, 1 / i, 1.2 / i end
      local svg = plot.lines{ series = { { name = "train", x = x, y = a }, { name = "validation", x = x, y = b } },
                              integer_x = true, xlabel = "epoch", ylabel = "loss" }
      local e = xml.parse(svg)
      assert.are.equal(2, #xml.find(e, "polyline", "class", "series"))
      assert.are.equal(1, #xml.find(e, "g", "class", "legend"))
      local xs, ys = axis_ticks(svg)
      assert_125(xs)
      assert_125(ys)
      for _, v in ipairs(xs) do assert.are.equal(math.floor(v), v) end
      local one = xml.parse(plot.lines{ series = { { name = "r", x = { 1, 2 }, y = { 1, 2 } } }, integer_x = true })
      assert.are.equal(0, #xml.find(one, "g", "class", "legend"))
      local xs2 = axis_ticks(plot.lines{ series = { { name = "r", x = { 1, 2 }, y = { 1, 2 } } }, integer_x = true })
      assert.are.same({ 1, 2 }, xs2)
    end)

    it("names bad input", function()
      assert.has_error(function() plot.lines{ series = {} } end,
                       "plot.lines: 'series' must be a non-empty list of { name, x, y }")
      assert.has_error(function() plot.lines{ series = { { x = { 1 }, y = { true } } } } end,
                       "plot.lines: 'series[1].y'[1] must be a number, got boolean")
    end)
  end)

  describe("bars", function()
    it("draws a bar per value from zero, a legend for grouped series", function()
      local svg = plot.bars{ labels = { "a", "b", "c" }, values = { 3, -1, 2 }, ylabel = "profit" }
      local e = xml.parse(svg)
      assert.are.equal(3, #xml.find(e, "rect", "class", "bar"))
      local _, ys = axis_ticks(svg)
      assert_125(ys)
      assert.is_true(ys[1] <= -1 and ys[#ys] >= 3)
      local g = xml.parse(plot.bars{ labels = { "attach", "hit" },
                                     series = { { name = "ours", values = { 0.1, 0.2 } }, { name = "theirs", values = { 0.05, 0.3 } } } })
      assert.are.equal(4, #xml.find(g, "rect", "class", "bar"))
      assert.are.equal(1, #xml.find(g, "g", "class", "legend"))
    end)

    it("numbers long category labels and lists them", function()
      local e = xml.parse(plot.bars{ labels = { "A VERY LONG PRODUCT NAME ONE", "A VERY LONG PRODUCT NAME TWO" },
                                     values = { 1, 2 }, width = 200 })
      assert.are.equal(1, #xml.find(e, "g", "class", "label-key"))
    end)

    it("names bad input", function()
      assert.has_error(function() plot.bars{ labels = { "a" }, values = { 1, 2 } } end,
                       "plot.bars: 'values' has 2 values; it must have 1, like the others")
      assert.has_error(function() plot.bars{ labels = { "a" } } end, "plot.bars: 'values' or 'series' is required")
      assert.has_error(function() plot.bars{ labels = { {} }, values = { 1 } } end,
                       "plot.bars: 'labels'[1] must be a string, got table")
    end)
  end)

  describe("heatmap", function()
    it("has a cell per value, row and column labels and a colour legend", function()
      local svg = plot.heatmap{ rows = { "jam", "tea", "cup" }, values = { { nil, 3, 1.5 }, { 3, nil, 0.5 }, { 1.5, 0.5, nil } },
                                legend = "lift", log = true, title = "Lift" }
      local e = xml.parse(svg)
      assert.are.equal(9, #xml.find(e, "rect", "class", "cell"))
      assert.are.equal(3, #xml.find(e, "text", "class", "row-label"))
      assert.are.equal(3, #xml.find(e, "text", "class", "col-label"))
      assert.are.equal(1, #xml.find(e, "g", "class", "legend"))
      assert.are.equal(6, #xml.find(e, "text", "class", "cell-value"))
      local n = xml.parse(plot.heatmap{ rows = { "a", "b" }, values = { { 1, 2 }, { 2, 1 } }, number_cols = true })
      local heads = {}
      for _, t in ipairs(xml.find(n, "text", "class", "col-label")) do heads[#heads + 1] = t.text end
      assert.are.same({ "1", "2" }, heads)
    end)

    it("names bad input", function()
      assert.has_error(function() plot.heatmap{ rows = { "a" }, values = { { "x" } } } end,
                       "plot.heatmap: values[1][1] must be a number, got string")
      assert.has_error(function() plot.heatmap{ rows = { "a", "b" }, values = { { 1 } } } end,
                       "plot.heatmap: 'values' must be a list of 2 rows (one per label in rows)")
    end)
  end)

  describe("tooltips and labels", function()
    it("print numbers without float noise (0.1 + 0.2 reads 0.3)", function()
      local noisy = 0.1 + 0.2
      local svgs = {
        plot.scatter{ x = { 1, 2 }, y = { 1, 2 }, tooltips = { noisy, 7 }, labels = { noisy, 1 / 3 } },
        plot.bars{ labels = { noisy, 2 }, values = { 1, 2 } },
        plot.heatmap{ rows = { noisy, 2 }, values = { { 1, 2 }, { 2, 1 } } },
      }
      for _, svg in ipairs(svgs) do
        assert.is_nil(svg:find("0.30000000000000004", 1, true))
        assert.is_nil(svg:find("%d%.%d%d%d%d%d%d%d"), svg)
      end
      assert.truthy(svgs[1]:find("<title>0.3</title>", 1, true))
      assert.truthy(svgs[1]:find("<title>7</title>", 1, true))
      assert.truthy(svgs[1]:find(">0.333333<", 1, true))
      assert.truthy(svgs[2]:find("<title>0.3: 1</title>", 1, true))
      assert.truthy(svgs[3]:find(">0.3<", 1, true))
    end)
  end)

  describe("rules", function()
    it("rules:plot draws support vs confidence coloured by lift and writes the file", function()
      local rules = small_rules()
      assert.is_true(#rules > 3)
      local path = os.tmpname()
      local svg = rules:plot(path)
      local e = xml.parse(svg)
      assert.are.equal(#rules, #xml.find(e, "circle"))
      assert.are.equal(1, #xml.find(e, "linearGradient"))
      local labels = {}
      for _, t in ipairs(xml.find(e, "text", "class", "label")) do labels[t.text] = true end
      assert.is_true(labels.support and labels.confidence and labels.lift)
      assert.are.equal(svg .. "\n", files.slurp(path))
      os.remove(path)
      -- the same through the module, from rule records
      local recs = {}
      for i, r in rules:iter() do recs[i] = r end
      assert.are.equal(svg, plot.rules(recs))
    end)

    it("method = graph draws items, rule nodes and arrows", function()
      local rules = small_rules()
      local e = xml.parse(rules:plot({ method = "graph", top = 5 }))
      assert.are.equal(5, #xml.find(e, "circle", "class", "rule"))
      assert.is_true(#xml.find(e, "circle", "class", "item") >= 2)
      assert.is_true(#xml.find(e, "line", "marker-end", "arrow") >= 5)
      assert.are.equal(1, #xml.find(e, "g", "class", "legend"))
    end)

    it("names bad input", function()
      local rules = small_rules()
      assert.has_error(function() rules:plot(42) end, "plot.rules: 'path' must be a file name, got number")
      assert.has_error(function() rules:plot{ method = "pie" } end,
                       "plot.rules: 'method' must be \"scatter\" or \"graph\", got pie")
      assert.has_error(function() plot.rules("x") end,
                       "plot.rules: 'rules' must be Rules or a list of { lhs, rhs, support, confidence, lift }, got string")
      assert.has_error(function() plot.graph{ rules = { { lhs = { 1 }, rhs = { 2 }, support = 0.1, confidence = "x", lift = 1 } } } end,
                       "plot.graph: rules[1].confidence must be a number")
      assert.has_error(function() plot.write(nil, "<svg/>") end, "plot.write: 'path' must be a file name")
    end)
  end)

  it("points its errors at the caller's line, however deep the check", function()
    local function line_of(f)
      local ok, e = pcall(f)
      assert.is_false(ok)
      return e
    end
    local here = debug.getinfo(1, "S").short_src
    local e = line_of(function() return plot.scatter{ x = { 1, 2 }, y = { 1, 2 }, colour = 1 } end)
    assert.are.equal(here, e:match("^(.-):%d+: plot%.scatter: unknown option 'colour'"), e)
    e = line_of(function() return plot.scatter{ x = { 1, 2 }, y = { 1 } } end)
    assert.are.equal(here, e:match("^(.-):%d+: plot%.scatter: 'y' has 1 values"), e)
    e = line_of(function() return plot.bars{ values = { "x" } } end)
    assert.are.equal(here, e:match("^(.-):%d+: plot%.bars: "), e)
  end)

  it("labels the item-rule graph with item names where the baskets have them", function()
    local path = os.tmpname()
    local fh = io.open(path, "w")
    fh:write('basket,item,desc\n1,A1,"salt, fine"\n1,B2,oil\n2,A1,"salt, fine"\n2,B2,oil\n3,A1,"salt, fine"\n')
    fh:close()
    local bk = bundle.baskets(bundle.read_csv(path), { basket = "basket", item = "item", name = "desc" })
    os.remove(path)
    local svg = bk:rules{ min_count = 1, min_confidence = 0.1 }:plot{ method = "graph" }
    assert.truthy(svg:find(">salt, fine<", 1, true), svg)
    assert.truthy(svg:find(">oil<", 1, true), svg)
    assert.is_nil(svg:find(">A1<", 1, true))
  end)

  it("works inside the sandbox, and from the modules embedded in bundlerun", function()
    local code = [[
      local plot = require "bundle.plot"
      local b = require "bundle"
      return #plot.lines{ series = { { name = "a", x = { 1, 2 }, y = { 1, 2 } } } } > 100 and b.plot == plot
    ]]
    assert.is_true(bundle.sandbox.run(code))
    local build = os.getenv("BUNDLE_BUILD") or "build"
    local path = os.tmpname()
    files.write(path, "assert((function() " .. code .. " end)())\nprint('plot ok')\n")
    local p = io.popen(build .. "/bundlerun --sandbox " .. path .. " 2>&1")
    local out = p:read("a")
    p:close()
    os.remove(path)
    assert.truthy(out:find("plot ok", 1, true), out)
  end)
end)
