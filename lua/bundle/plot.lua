-- bundle.plot: charts as SVG text, for reports and scripts. No scripts, no
-- fonts, no network: each chart is one <svg> element that a browser shows
-- inline in HTML or as a file.
--
--   local plot = require "bundle.plot"
--   local svg = plot.scatter{ x = xs, y = ys, labels = names, title = "..." }
--   plot.write("chart.svg", svg)
--   rules:plot("rules.svg")   -- support vs confidence, coloured by lift
--
-- Axis ticks fall on 1-2-5 steps (plot.ticks); colour that carries meaning
-- gets a legend; labels that would overlap are moved, or numbered and
-- listed under the chart.
local M = {}

local PALETTE = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f" }
M.palette = PALETTE

local function esc(s)
  return (tostring(s):gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;",
                                         ["'"] = "&#39;" }))
end

local function finite(v) return type(v) == "number" and v == v and v > -math.huge and v < math.huge end

-- the text width of s at font size px (sans-serif), a generous estimate:
-- capitals and digits are wider than lower case
local function text_width(s, px)
  local w = 0
  for c in tostring(s):gmatch("[%z\1-\127\194-\244][\128-\191]*") do
    w = w + (c:match("[A-Z%dmwMW@%%]") and 0.68 or c:match("[ il.,:;'|!]") and 0.3 or 0.56)
  end
  return w * px
end
M.text_width = text_width

-- ---------------------------------------------------------------- checks
-- The error points at the first Lua caller outside this file (a script's
-- line), however deep the checks sit: a chart's options are checked by
-- helpers, and rules:plot arrives through a C method (whose frame has no
-- line). Where the debug library is absent, the caller of the checker.
local debug_info = debug and debug.getinfo
local THIS = debug_info and debug_info(1, "S").source
local function fail(fn, fmt, ...)
  local level = 3
  if debug_info then
    level = 2
    while true do
      local info = debug_info(level, "S")
      if not info then level = 3; break end
      if info.source ~= THIS and info.what ~= "C" then break end
      level = level + 1
    end
  end
  error(("plot.%s: " .. fmt):format(fn, ...), level)
end

local function check_spec(fn, spec, valid)
  if type(spec) ~= "table" then fail(fn, "expects a table of options, got %s", type(spec)) end
  for k in pairs(spec) do
    if not valid[k] then
      local names = {}
      for n in pairs(valid) do names[#names + 1] = n end
      table.sort(names)
      fail(fn, "unknown option '%s' (%s)", tostring(k), table.concat(names, ", "))
    end
  end
end

local function check_numbers(fn, name, v, n, allow_nan)
  if type(v) ~= "table" then fail(fn, "'%s' must be a list of numbers, got %s", name, type(v)) end
  if n and #v ~= n then fail(fn, "'%s' has %d values; it must have %d, like the others", name, #v, n) end
  for i = 1, #v do
    if type(v[i]) ~= "number" or (not allow_nan and v[i] ~= v[i]) then
      fail(fn, "'%s'[%d] must be a number, got %s", name, i, type(v[i]) == "number" and "NaN" or type(v[i]))
    end
  end
  return v
end

-- A number given as a label or tooltip, as text without float noise
-- (0.1 + 0.2 reads "0.3", not "0.30000000000000004").
local function label_text(v)
  if type(v) ~= "number" then return v end
  if math.type(v) == "integer" or (v == math.floor(v) and math.abs(v) < 2 ^ 53) then return ("%d"):format(v) end
  return ("%.6g"):format(v)
end

-- checks a list of labels; returns it with any numbers as text
local function check_strings(fn, name, v, n)
  if type(v) ~= "table" then fail(fn, "'%s' must be a list of labels, got %s", name, type(v)) end
  if n and #v ~= n then fail(fn, "'%s' has %d labels; it must have %d", name, #v, n) end
  local out = {}
  for i = 1, #v do
    if type(v[i]) ~= "string" and type(v[i]) ~= "number" then
      fail(fn, "'%s'[%d] must be a string, got %s", name, i, type(v[i]))
    end
    out[i] = label_text(v[i])
  end
  return out
end

-- ---------------------------------------------------------------- ticks

-- ticks(lo, hi, n) -> values, step: about n ticks on a 1-2-5 step (1, 2, 5,
-- 10, 20, ...) covering [lo, hi]; lo and hi are widened to the ticks.
function M.ticks(lo, hi, n)
  if not finite(lo) or not finite(hi) then error("plot.ticks: lo and hi must be finite numbers", 2) end
  n = n or 5
  if math.type(n) ~= "integer" or n < 1 then error("plot.ticks: n must be a positive integer", 2) end
  if lo > hi then lo, hi = hi, lo end
  -- a range that is all rounding error (1e-13 around 0) is one value
  if hi - lo <= 1e-9 * math.max(math.abs(lo), math.abs(hi)) or hi - lo < 1e-300 then hi = lo end
  if lo == hi then
    local d = lo == 0 and 1 or math.abs(lo) * 0.1
    lo, hi = lo - d, hi + d
  end
  local raw = (hi - lo) / n
  local mag = 10 ^ math.floor(math.log(raw, 10))
  local step
  for _, m in ipairs{ 1, 2, 5, 10 } do
    if m * mag >= raw * (1 - 1e-9) then step = m * mag; break end
  end
  local first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
  local out = {}
  for k = first, last do
    local v = k * step
    -- the nearest value printable with the step's decimals (no 0.30000000000000004)
    local dec = math.max(0, -math.floor(math.log(step, 10) + 1e-9))
    out[#out + 1] = tonumber(("%." .. dec .. "f"):format(v))
  end
  return out, step
end

-- A tick's text: as many decimals as the step needs.
local function tick_text(v, step)
  if math.abs(v) < step * 1e-6 then return "0" end
  local dec = math.max(0, -math.floor(math.log(step, 10) + 1e-9))
  local a = math.abs(v)
  if a >= 1e6 then return ("%gM"):format(v / 1e6) end
  if dec == 0 then
    local s = ("%d"):format(math.floor(v + 0.5))
    -- from 1,000 up, so one axis never mixes "8000" and "10,000"
    if a >= 1000 then s = s:reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^(-?),", "%1") end
    return s
  end
  return ("%." .. dec .. "f"):format(v)
end
M.tick_text = tick_text

-- Ticks of a log10 axis between 10^lo and 10^hi (lo, hi in log10): the
-- powers of ten, with 2 and 5 between them when the range is short. A
-- range wider than MAX_DECADES decades labels every k-th power only, so
-- the count of ticks (and the loop) is bounded whatever the range.
local MAX_DECADES = 10
local function log_ticks(lo, hi)
  if not finite(lo) or not finite(hi) then
    error(("plot.log_ticks: lo and hi must be finite numbers (the axis ends' log10), got %s and %s")
      :format(tostring(lo), tostring(hi)), 2)
  end
  if lo > hi then lo, hi = hi, lo end
  local out = {}
  local a, b = math.floor(lo), math.ceil(hi)
  local every = math.max(1, math.ceil((b - a) / MAX_DECADES))
  a = every * math.floor(a / every) -- thinned powers fall on multiples of the stride (1e-20, 1e-10, 1)
  local mult = (hi - lo) <= 2.2 and { 1, 2, 5 } or { 1 }
  for e = a, b, every do
    for _, m in ipairs(mult) do
      -- 10^e under- or overflows past about 1e-308 and 1e308: no tick there
      local v = m * 10 ^ e
      if v > 0 and v < math.huge then
        local l = math.log(v, 10)
        if l >= lo - 1e-9 and l <= hi + 1e-9 then out[#out + 1] = v end
      end
    end
  end
  return out
end
M.log_ticks = log_ticks

local function log_text(v)
  if v >= 1 then return tick_text(v, 1) end
  local dec = -math.floor(math.log(v, 10) + 1e-9)
  return ("%." .. dec .. "f"):format(v)
end

-- ---------------------------------------------------------------- colour
-- A sequential scale (pale yellow to dark red) for a value in [0, 1].
local RAMP = { { 255, 247, 188 }, { 254, 196, 79 }, { 236, 112, 20 }, { 204, 76, 2 }, { 140, 45, 4 } }
local function ramp(t)
  t = math.max(0, math.min(1, t == t and t or 0)) * (#RAMP - 1)
  local i = math.min(#RAMP - 2, math.floor(t))
  local f = t - i
  local a, b = RAMP[i + 1], RAMP[i + 2]
  return ("rgb(%d,%d,%d)"):format(math.floor(a[1] + (b[1] - a[1]) * f + 0.5), math.floor(a[2] + (b[2] - a[2]) * f + 0.5),
                                  math.floor(a[3] + (b[3] - a[3]) * f + 0.5))
end
M.ramp = ramp

-- ---------------------------------------------------------------- frame
-- The SVG being built: a list of strings.
local function open_svg(id, w, h, title)
  return { ('<svg%s xmlns="http://www.w3.org/2000/svg" class="chart" width="%d" height="%d" viewBox="0 0 %d %d" '
             .. 'font-family="sans-serif" font-size="10">'):format(id and (' id="' .. esc(id) .. '"') or "", w, h, w, h),
           ("<title>%s</title>"):format(esc(title or "chart")),
           ('<rect x="0" y="0" width="%d" height="%d" fill="#fff"/>'):format(w, h) }
end

local function text(out, x, y, s, opts)
  opts = opts or {}
  out[#out + 1] = ('<text x="%.1f" y="%.1f"%s%s%s%s>%s</text>'):format(x, y,
    opts.anchor and (' text-anchor="' .. opts.anchor .. '"') or "",
    opts.class and (' class="' .. opts.class .. '"') or "",
    opts.size and (' font-size="' .. opts.size .. '"') or "",
    opts.rotate and (' transform="rotate(%d %.1f %.1f)"'):format(opts.rotate, x, y) or "", esc(s))
end

-- Legend entries { name, colour }, in a column at (x, y); returns its height.
local function legend_keys(out, entries, x, y)
  out[#out + 1] = '<g class="legend">'
  for i, e in ipairs(entries) do
    local yy = y + (i - 1) * 14
    out[#out + 1] = ('<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/>'):format(x, yy, e[2])
    text(out, x + 14, yy + 9, e[1])
  end
  out[#out + 1] = "</g>"
  return #entries * 14
end

-- A colour bar for a numeric scale, vertical at (x, y), h tall, with ticks.
local function legend_bar(out, name, lo, hi, x, y, h, log)
  local id = ("g%d"):format(math.floor((lo * 7919 + hi * 104729 + x + y) % 1e6))
  out[#out + 1] = '<g class="legend">'
  out[#out + 1] = ('<defs><linearGradient id="%s" x1="0" y1="1" x2="0" y2="0">'):format(id)
  for k = 0, 4 do
    out[#out + 1] = ('<stop offset="%d%%" stop-color="%s"/>'):format(k * 25, ramp(k / 4))
  end
  out[#out + 1] = "</linearGradient></defs>"
  text(out, x, y - 6, name, { class = "label" })
  out[#out + 1] = ('<rect x="%.1f" y="%.1f" width="12" height="%.1f" fill="url(#%s)" stroke="#999"/>'):format(x, y, h, id)
  local tv, step
  if log then
    tv = log_ticks(math.log(lo, 10), math.log(hi, 10))
    if #tv < 2 then -- a short range: its ends, to two figures
      tv = { lo, hi }
    end
  else
    tv, step = M.ticks(lo, hi, 4)
  end
  local last_y
  for _, v in ipairs(tv) do
    local p = log and (math.log(v, 10) - math.log(lo, 10)) / math.max(1e-12, math.log(hi, 10) - math.log(lo, 10))
              or (v - lo) / math.max(1e-12, hi - lo)
    local yy = y + h - p * h
    -- a tick too close to the last one drawn is left out (no overlapping text)
    if p >= -1e-9 and p <= 1 + 1e-9 and (not last_y or math.abs(yy - last_y) >= 12) then
      last_y = yy
      out[#out + 1] = ('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#555"/>'):format(x + 12, yy, x + 16, yy)
      text(out, x + 18, yy + 3.5, log and (v >= 1 and ("%.3g"):format(v) or log_text(v)) or tick_text(v, step),
           { class = "tick" })
    end
  end
  out[#out + 1] = "</g>"
end

-- An axis scale: domain [lo, hi] (widened to ticks) onto pixels [a, b].
local function scale(values, a, b, o)
  o = o or {}
  local lo, hi = math.huge, -math.huge
  for _, v in ipairs(values) do
    if finite(v) and (not o.log or v > 0) then lo, hi = math.min(lo, v), math.max(hi, v) end
  end
  for _, v in ipairs(o.include or {}) do lo, hi = math.min(lo, v), math.max(hi, v) end
  if lo > hi then lo, hi = 0, 1 end
  if o.exact then -- categories: the domain as given, no ticks
    local s = { ticks = {}, lo = lo, hi = hi, text = tostring }
    function s.map(v) return a + (v - lo) / (hi - lo) * (b - a) end
    return s
  end
  if o.pad and hi > lo and not o.log then -- points must not sit on the axis lines
    local d = (hi - lo) * o.pad
    lo, hi = lo - d, hi + d
  end
  local s = { log = o.log }
  if o.log then
    local l0, l1 = math.log(lo, 10), math.log(hi, 10)
    if l1 - l0 < 1e-9 then l0, l1 = l0 - 0.5, l1 + 0.5 end
    l0, l1 = math.floor(l0 * 2) / 2, math.ceil(l1 * 2) / 2 -- half decades
    s.ticks = log_ticks(l0, l1)
    s.text = log_text
    s.lo, s.hi = l0, l1
    function s.map(v) return a + (math.log(v, 10) - l0) / (l1 - l0) * (b - a) end
  else
    local tv, step = M.ticks(lo, hi, o.n or 5)
    if o.integer and step < 1 then tv, step = {}, 1 end
    if o.integer and #tv == 0 then
      for v = math.floor(lo), math.ceil(hi) do tv[#tv + 1] = v end
    end
    s.ticks, s.step = tv, step
    s.lo, s.hi = tv[1], tv[#tv]
    if s.hi - s.lo < 1e-12 then s.hi = s.lo + 1 end
    function s.text(v) return tick_text(v, step) end
    function s.map(v) return a + (v - s.lo) / (s.hi - s.lo) * (b - a) end
  end
  return s
end

-- Axes with ticks and labels around the plot area; returns sx, sy and the
-- area { x0, x1, y0, y1 } (pixels; y0 is the top).
local function axes(out, o, xs, ys, w, h, right)
  local ysc0 = scale(ys, 0, 1, { log = o.log_y, include = o.y_include, integer = o.integer_y, pad = o.pad })
  local tickw = 0
  for _, v in ipairs(ysc0.ticks) do tickw = math.max(tickw, text_width(ysc0.text(v), 10)) end
  local left = 8 + 14 + 6 + tickw + 6 -- y label (rotated), gap, tick text, gap
  local top, bottom = 30, 40 + (o.bottom_extra or 0)
  local area = { x0 = left, x1 = w - (right or 16), y0 = top, y1 = h - bottom }
  local sxs = scale(xs, area.x0, area.x1, { log = o.log_x, include = o.x_include, integer = o.integer_x,
                                           exact = o.categorical_x, pad = o.pad })
  local sys = scale(ys, area.y1, area.y0, { log = o.log_y, include = o.y_include, integer = o.integer_y, pad = o.pad })
  text(out, 8, 18, o.title or "", { class = "title", size = 13 })
  out[#out + 1] = '<g class="axis">'
  out[#out + 1] = ('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#555"/>'):format(area.x0, area.y1, area.x1,
                                                                                       area.y1)
  out[#out + 1] = ('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#555"/>'):format(area.x0, area.y0, area.x0,
                                                                                       area.y1)
  if not o.categorical_x then
    for _, v in ipairs(sxs.ticks) do
      local x = sxs.map(v)
      out[#out + 1] = ('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#555"/>'):format(x, area.y1, x, area.y1 + 4)
      text(out, x, area.y1 + 15, sxs.text(v), { anchor = "middle", class = "tick" })
    end
  end
  for _, v in ipairs(sys.ticks) do
    local y = sys.map(v)
    out[#out + 1] = ('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/>'):format(area.x0 + 1, y, area.x1, y)
    out[#out + 1] = ('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#555"/>'):format(area.x0 - 4, y, area.x0, y)
    text(out, area.x0 - 6, y + 3.5, sys.text(v), { anchor = "end", class = "tick" })
  end
  out[#out + 1] = "</g>"
  text(out, (area.x0 + area.x1) / 2, area.y1 + 32 + (o.bottom_extra or 0), o.xlabel or "", { anchor = "middle", class = "label", size = 11 })
  text(out, 16, (area.y0 + area.y1) / 2, o.ylabel or "", { anchor = "middle", class = "label", size = 11, rotate = -90 })
  return sxs.map, sys.map, area, sxs, sys
end

-- ---------------------------------------------------------------- labels
-- Places point labels without overlap: each label tries eight spots around
-- its point; one that fits nowhere is replaced by a number, listed in a key.
local function overlaps(a, b)
  return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1
end

local function place_labels(points, labels, area, reserved)
  local boxes = {}
  for _, r in ipairs(reserved or {}) do boxes[#boxes + 1] = r end
  for _, p in ipairs(points) do boxes[#boxes + 1] = { x0 = p[1] - 3, x1 = p[1] + 3, y0 = p[2] - 3, y1 = p[2] + 3 } end
  local placed, keyed = {}, {}
  local function try(i, s)
    local p = points[i]
    local w, hh = text_width(s, 10), 10
    local spots = { { 6, 3.5, "start" }, { -6, 3.5, "end" }, { 0, -7, "middle" }, { 0, 14, "middle" },
                    { 6, -6, "start" }, { -6, -6, "end" }, { 6, 12, "start" }, { -6, 12, "end" } }
    for _, sp in ipairs(spots) do
      local x = p[1] + sp[1]
      local x0 = sp[3] == "start" and x or sp[3] == "end" and x - w or x - w / 2
      local box = { x0 = x0 - 1, x1 = x0 + w + 1, y0 = p[2] + sp[2] - hh + 1, y1 = p[2] + sp[2] + 2 }
      local ok = box.x0 >= area.x0 and box.x1 <= area.x1 + 12 and box.y0 >= area.y0 - 12 and box.y1 <= area.y1
      if ok then
        for _, b in ipairs(boxes) do
          if overlaps(box, b) then ok = false; break end
        end
      end
      if ok then
        boxes[#boxes + 1] = box
        return { x = x, y = p[2] + sp[2], anchor = sp[3], text = s }
      end
    end
  end
  for i = 1, #points do
    if labels[i] and labels[i] ~= "" then
      local spot = try(i, tostring(labels[i]))
      if not spot then
        keyed[#keyed + 1] = i
        spot = try(i, tostring(#keyed))
        if not spot then spot = { x = points[i][1] + 4, y = points[i][2] - 4, anchor = "start", text = tostring(#keyed) } end
        spot.key = #keyed
      end
      placed[i] = spot
    end
  end
  return placed, keyed
end

-- the key of numbered labels under a chart: its lines (at most `rows`)
local function key_lines(keyed, labels, max_chars)
  local lines = {}
  for k, i in ipairs(keyed) do
    local s = ("%d = %s"):format(k, labels[i])
    if #s > max_chars then s = s:sub(1, max_chars - 1) .. "…" end
    lines[#lines + 1] = s
  end
  return lines
end

-- ---------------------------------------------------------------- scatter
local SCATTER_OPTS = { x = 1, y = 1, labels = 1, color = 1, color_label = 1, groups = 1, title = 1, xlabel = 1,
                       ylabel = 1, width = 1, height = 1, id = 1, log_x = 1, log_y = 1, lines = 1, tooltips = 1,
                       size = 1, highlight = 1, legend = 1, x_include = 1, y_include = 1 }

-- scatter{ x, y, labels?, color? (numbers: a colour scale with a bar
-- legend named color_label), groups? (names: one colour per group, with a
-- key), highlight? (booleans: drawn larger, outlined), lines? ({ { x0, y0,
-- x1, y1, dash = bool, label = } } drawn under the points), log_x, log_y,
-- tooltips?, title, xlabel, ylabel, width = 640, height = 380, id } -> svg
function M.scatter(o)
  check_spec("scatter", o, SCATTER_OPTS)
  local xs = check_numbers("scatter", "x", o.x, nil, true)
  local ys = check_numbers("scatter", "y", o.y, #xs, true)
  local labels = o.labels and check_strings("scatter", "labels", o.labels, #xs)
  local tooltips = o.tooltips and check_strings("scatter", "tooltips", o.tooltips)
  if o.color then check_numbers("scatter", "color", o.color, #xs, true) end
  local groups = o.groups and check_strings("scatter", "groups", o.groups, #xs)
  local w, h = o.width or 640, o.height or 380
  local out = open_svg(o.id, w, h, o.title)
  -- the key of numbered labels is sized after placing them; reserve room
  -- for a few lines first, then grow the picture if needed
  local legend_w = 0
  local group_names, group_color = {}, {}
  if o.groups then
    for _, g in ipairs(groups) do
      if not group_color[g] then
        group_names[#group_names + 1] = g
        group_color[g] = PALETTE[(#group_names - 1) % #PALETTE + 1]
      end
    end
    for _, g in ipairs(group_names) do legend_w = math.max(legend_w, text_width(g, 10) + 24) end
  end
  if o.color then legend_w = math.max(legend_w, 60 + text_width(o.color_label or "", 10) / 2) end
  for _, l in ipairs(o.lines or {}) do
    if l.label then legend_w = math.max(legend_w, text_width(l.label, 10) + 24) end
  end
  local body = {}
  local sx, sy, area = axes(body, { title = o.title, xlabel = o.xlabel, ylabel = o.ylabel, log_x = o.log_x,
                                    log_y = o.log_y, x_include = o.x_include, y_include = o.y_include, pad = 0.03 },
                            xs, ys, w, h,
                            16 + legend_w)
  for _, l in ipairs(o.lines or {}) do
    body[#body + 1] = ('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="%s"/>'):format(
      sx(l[1]), sy(l[2]), sx(l[3]), sy(l[4]), l.color or (l.dash and "#aaa" or "#555"), l.dash and "4 3" or "none")
  end
  local clo, chi = math.huge, -math.huge
  if o.color then
    for _, c in ipairs(o.color) do if finite(c) then clo, chi = math.min(clo, c), math.max(chi, c) end end
    if clo > chi then clo, chi = 0, 1 end
    if clo == chi then chi = clo + 1 end
  end
  local pts, idx = {}, {}
  for i = 1, #xs do
    local ok = finite(xs[i]) and finite(ys[i]) and (not o.log_x or xs[i] > 0) and (not o.log_y or ys[i] > 0)
    if ok then
      pts[#pts + 1] = { sx(xs[i]), sy(ys[i]) }
      idx[#pts] = i
    end
  end
  body[#body + 1] = '<g class="points">'
  for k, p in ipairs(pts) do
    local i = idx[k]
    local fill = o.color and ramp((o.color[i] - clo) / (chi - clo)) or groups and group_color[groups[i]]
                 or PALETTE[1]
    local big = o.highlight and o.highlight[i]
    local tip = tooltips and tooltips[i] or labels and labels[i]
    body[#body + 1] = ('<circle cx="%.1f" cy="%.1f" r="%s" fill="%s" fill-opacity="%s"%s>%s</circle>'):format(p[1], p[2],
      big and "5" or (o.size or "3.5"), fill, big and "1" or "0.8", (o.color or big) and ' stroke="#333" stroke-width="0.6"' or "",
      tip and ("<title>" .. esc(tip) .. "</title>") or "")
  end
  body[#body + 1] = "</g>"
  local keyed, lines = {}, {}
  if labels then
    local shown = {}
    for k in ipairs(pts) do shown[k] = labels[idx[k]] end
    local placed
    placed, keyed = place_labels(pts, shown, area, {})
    body[#body + 1] = '<g class="labels">'
    for k in ipairs(pts) do
      local s = placed[k]
      if s then text(body, s.x, s.y, s.text, { anchor = s.anchor, class = s.key and "key" or "point-label" }) end
    end
    body[#body + 1] = "</g>"
    lines = key_lines(keyed, shown, math.floor((w - 16) / 6))
  end
  if #lines > 0 then -- grow the picture for the key under the x label
    h = h + 8 + 13 * #lines
    out = open_svg(o.id, w, h, o.title)
  end
  for _, s in ipairs(body) do out[#out + 1] = s end
  if #lines > 0 then
    out[#out + 1] = '<g class="label-key">'
    for k, s in ipairs(lines) do text(out, 8, area.y1 + 40 + 8 + 13 * k - 3, s) end
    out[#out + 1] = "</g>"
  end
  local lx = area.x1 + 14
  local ly = area.y0
  if o.groups and (o.legend ~= false) then
    local e = {}
    for _, g in ipairs(group_names) do e[#e + 1] = { g, group_color[g] } end
    ly = ly + legend_keys(out, e, lx, area.y0) + 6
  end
  local named = {}
  for _, l in ipairs(o.lines or {}) do if l.label then named[#named + 1] = l end end
  if #named > 0 then -- lines with a meaning: a swatch of each
    out[#out + 1] = '<g class="legend">'
    for k, l in ipairs(named) do
      local yy = ly + (k - 1) * 14
      out[#out + 1] = ('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="%s"/>'):format(lx,
        yy + 5, lx + 12, yy + 5, l.color or (l.dash and "#aaa" or "#555"), l.dash and "4 3" or "none")
      text(out, lx + 16, yy + 9, l.label)
    end
    out[#out + 1] = "</g>"
    ly = ly + 14 * #named + 6
  end
  if o.color then legend_bar(out, o.color_label or "colour", clo, chi, lx, ly + 14, math.min(140, area.y1 - ly - 20)) end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n")
end

-- ---------------------------------------------------------------- lines
local LINES_OPTS = { series = 1, title = 1, xlabel = 1, ylabel = 1, width = 1, height = 1, id = 1, integer_x = 1,
                     log_y = 1, y_from_zero = 1, markers = 1 }

-- lines{ series = { { name, x, y }, ... }, integer_x, log_y, y_from_zero,
-- markers, title, xlabel, ylabel, width, height, id } -> svg; a legend
-- names the series when there are two or more.
function M.lines(o)
  check_spec("lines", o, LINES_OPTS)
  if type(o.series) ~= "table" or #o.series == 0 then fail("lines", "'series' must be a non-empty list of { name, x, y }") end
  local xs, ys = {}, {}
  for k, s in ipairs(o.series) do
    if type(s) ~= "table" then fail("lines", "series[%d] must be a table { name, x, y }", k) end
    check_numbers("lines", ("series[%d].x"):format(k), s.x, nil, true)
    check_numbers("lines", ("series[%d].y"):format(k), s.y, #s.x, true)
    for i = 1, #s.x do xs[#xs + 1], ys[#ys + 1] = s.x[i], s.y[i] end
  end
  local w, h = o.width or 640, o.height or 340
  local out = open_svg(o.id, w, h, o.title)
  local lw = 0
  if #o.series > 1 then
    for _, s in ipairs(o.series) do lw = math.max(lw, text_width(s.name or "", 10) + 30) end
  end
  local sx, sy, area = axes(out, { title = o.title, xlabel = o.xlabel, ylabel = o.ylabel, integer_x = o.integer_x,
                                   log_y = o.log_y, y_include = o.y_from_zero and { 0 } or nil }, xs, ys, w, h, 16 + lw)
  for k, s in ipairs(o.series) do
    local color = s.color or PALETTE[(k - 1) % #PALETTE + 1]
    local pts = {}
    for i = 1, #s.x do
      if finite(s.x[i]) and finite(s.y[i]) and (not o.log_y or s.y[i] > 0) then
        pts[#pts + 1] = ("%.1f,%.1f"):format(sx(s.x[i]), sy(s.y[i]))
        if o.markers or #s.x <= 12 then
          out[#out + 1] = ('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>'):format(sx(s.x[i]), sy(s.y[i]), color)
        end
      end
    end
    out[#out + 1] = ('<polyline class="series" points="%s" fill="none" stroke="%s" stroke-width="2"%s/>'):format(
      table.concat(pts, " "), color, s.dash and ' stroke-dasharray="5 3"' or "")
  end
  if #o.series > 1 then
    local e = {}
    for k, s in ipairs(o.series) do e[k] = { s.name or ("series " .. k), s.color or PALETTE[(k - 1) % #PALETTE + 1] } end
    legend_keys(out, e, area.x1 + 12, area.y0)
  end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n")
end

-- ---------------------------------------------------------------- bars
local BARS_OPTS = { labels = 1, values = 1, series = 1, title = 1, xlabel = 1, ylabel = 1, width = 1, height = 1,
                    id = 1, colors = 1, horizontal = 1, value_text = 1 }

-- bars{ labels = { category names }, values = { numbers } | series = {
-- { name, values }, ... } (grouped, with a legend), value_text (show the
-- value on each bar), title, xlabel, ylabel, width, height, id } -> svg.
-- Bars start at zero; category labels that do not fit are numbered and
-- listed under the chart.
function M.bars(o)
  check_spec("bars", o, BARS_OPTS)
  local labels = check_strings("bars", "labels", o.labels)
  local n = #labels
  local series = o.series
  if o.values then
    if series then fail("bars", "give 'values' or 'series', not both") end
    check_numbers("bars", "values", o.values, n, true)
    series = { { name = o.ylabel or "value", values = o.values } }
  end
  if type(series) ~= "table" or #series == 0 then fail("bars", "'values' or 'series' is required") end
  local ys = { 0 }
  for k, s in ipairs(series) do
    if type(s) ~= "table" then fail("bars", "series[%d] must be a table { name, values }", k) end
    check_numbers("bars", ("series[%d].values"):format(k), s.values, n, true)
    for _, v in ipairs(s.values) do ys[#ys + 1] = v end
  end
  local w, h = o.width or 640, o.height or 340
  local lw = 0
  if #series > 1 then
    for _, s in ipairs(series) do lw = math.max(lw, text_width(s.name or "", 10) + 30) end
  end
  -- category labels: under the bars when they fit, else numbered with a key
  local slot = (w - 90 - lw) / math.max(1, n)
  -- each label on one line, or two split at a space, or (when neither
  -- fits) numbered and listed under the chart
  local lines_of = {}
  local fits = true
  for i, l in ipairs(labels) do
    l = tostring(l)
    if text_width(l, 10) <= slot - 4 then
      lines_of[i] = { l }
    else
      local best
      for at in l:gmatch("() ") do
        local a, b = l:sub(1, at - 1), l:sub(at + 1)
        local wmax = math.max(text_width(a, 10), text_width(b, 10))
        if wmax <= slot - 4 and (not best or wmax < best[3]) then best = { a, b, wmax } end
      end
      if best then lines_of[i] = { best[1], best[2] } else fits = false end
    end
  end
  local two = false
  for _, t in pairs(lines_of) do two = two or #t == 2 end
  local key = {}
  if not fits then
    for i, l in ipairs(labels) do key[i] = ("%d = %s"):format(i, l) end
  end
  local extra = #key > 0 and (8 + 13 * #key) or 0
  if fits and two then extra = 12 end
  local out = open_svg(o.id, w, h + extra, o.title)
  local xs = { 0.5, n + 0.5 }
  local sx, sy, area = axes(out, { title = o.title, xlabel = o.xlabel, ylabel = o.ylabel, categorical_x = true,
                                   y_include = { 0 }, bottom_extra = (fits and two) and 12 or 0 }, xs, ys, w,
                           h + ((fits and two) and 12 or 0), 16 + lw)
  local group = (sx(2) - sx(1)) * 0.8
  local bw = group / #series
  for i = 1, n do
    for k, s in ipairs(series) do
      local v = s.values[i]
      if finite(v) then
        local y0, y1 = sy(math.max(0, v)), sy(math.min(0, v))
        local color = o.colors and o.colors[i] or s.color or PALETTE[(k - 1) % #PALETTE + 1]
        out[#out + 1] = ('<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %s</title></rect>')
          :format(sx(i) - group / 2 + (k - 1) * bw, y0, math.max(1, bw - 1), math.max(0.5, y1 - y0), color,
                  esc(labels[i] .. (#series > 1 and (", " .. (s.name or "")) or "")), esc(("%.4g"):format(v)))
        if o.value_text then
          text(out, sx(i) - group / 2 + (k - 0.5) * bw, v >= 0 and y0 - 3 or y1 + 10, o.value_text(v, i, k),
               { anchor = "middle", class = "value" })
        end
      end
    end
    if fits then
      for k, line in ipairs(lines_of[i]) do
        text(out, sx(i), area.y1 + 15 + 12 * (k - 1), line, { anchor = "middle", class = "category" })
      end
    else
      text(out, sx(i), area.y1 + 15, tostring(i), { anchor = "middle", class = "category" })
    end
  end
  if sy(0) > area.y0 and sy(0) < area.y1 then
    out[#out + 1] = ('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#555"/>'):format(area.x0, sy(0), area.x1, sy(0))
  end
  if #series > 1 then
    local e = {}
    for k, s in ipairs(series) do e[k] = { s.name or ("series " .. k), s.color or PALETTE[(k - 1) % #PALETTE + 1] } end
    legend_keys(out, e, area.x1 + 12, area.y0)
  end
  if #key > 0 then
    out[#out + 1] = '<g class="label-key">'
    for i, line in ipairs(key) do text(out, 8, h + 13 * i - 3, line) end
    out[#out + 1] = "</g>"
  end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n")
end

-- ---------------------------------------------------------------- heat map
local HEAT_OPTS = { rows = 1, cols = 1, values = 1, title = 1, id = 1, legend = 1, log = 1, cell = 1, format = 1,
                    number_cols = 1 }

-- heatmap{ rows = { labels }, cols = { labels } (default rows), values =
-- { { row 1 }, ... } (nil or NaN: blank), legend = "name of the value",
-- log (a log colour scale, for ratios such as lift), cell = 26, format =
-- "%.1f" (the value in each cell; false for none), number_cols (columns
-- headed 1..n, the rows numbered to match: for long labels) } -> svg
function M.heatmap(o)
  check_spec("heatmap", o, HEAT_OPTS)
  local rows = check_strings("heatmap", "rows", o.rows)
  local cols = o.cols or rows
  cols = check_strings("heatmap", "cols", cols)
  if type(o.values) ~= "table" or #o.values ~= #rows then
    fail("heatmap", "'values' must be a list of %d rows (one per label in rows)", #rows)
  end
  local lo, hi = math.huge, -math.huge
  for i, r in ipairs(o.values) do
    if type(r) ~= "table" then fail("heatmap", "values[%d] must be a list of numbers", i) end
    for j = 1, #cols do
      local v = r[j]
      if v ~= nil and type(v) ~= "number" then fail("heatmap", "values[%d][%d] must be a number, got %s", i, j, type(v)) end
      if finite(v) and (not o.log or v > 0) then lo, hi = math.min(lo, v), math.max(hi, v) end
    end
  end
  if lo > hi then lo, hi = 1, 2 end
  if lo == hi then hi = lo * 2 + (lo == 0 and 1 or 0) end
  local n, m = #rows, #cols
  local cell = o.cell or 26
  local numbered = o.number_cols
  local rowtext = {}
  local rw = 0
  for i, r in ipairs(rows) do
    rowtext[i] = numbered and ("%d  %s"):format(i, r) or tostring(r)
    rw = math.max(rw, text_width(rowtext[i], 10))
  end
  local colh = 0
  if not numbered then for _, c in ipairs(cols) do colh = math.max(colh, text_width(c, 10)) end end
  local x0 = 8 + rw + 8
  local top = 30 + (numbered and 16 or math.min(120, colh * 0.72 + 10))
  -- (titles are bold: about 15% wider than the estimate)
  local w = math.floor(math.max(x0 + m * cell + 90, text_width(o.title or "", 13) * 1.15 + 24))
  local h = math.floor(math.max(top + n * cell + 16, top + 170))
  local out = open_svg(o.id, w, h, o.title)
  text(out, 8, 18, o.title or "", { class = "title", size = 13 })
  local function t(v)
    if o.log then return (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo)) end
    return (v - lo) / (hi - lo)
  end
  for j, c in ipairs(cols) do
    local cx = x0 + (j - 0.5) * cell
    if numbered then
      text(out, cx, top - 5, tostring(j), { anchor = "middle", class = "col-label" })
    else
      text(out, cx + 3, top - 5, c, { anchor = "start", class = "col-label", rotate = -45 })
    end
  end
  for i = 1, n do
    local y = top + (i - 1) * cell
    text(out, x0 - 6, y + cell / 2 + 3.5, rowtext[i], { anchor = "end", class = "row-label" })
    for j = 1, m do
      local v = o.values[i][j]
      local ok = finite(v) and (not o.log or v > 0)
      out[#out + 1] = ('<rect class="cell" x="%.1f" y="%.1f" width="%d" height="%d" fill="%s" stroke="#fff">%s</rect>')
        :format(x0 + (j - 1) * cell, y, cell, cell, ok and ramp(t(v)) or "#f3f3f3",
                ok and ("<title>%s / %s: %s</title>"):format(esc(rows[i]), esc(cols[j]), esc(("%.3g"):format(v))) or "")
      if ok and o.format ~= false and cell >= 20 then
        text(out, x0 + (j - 0.5) * cell, y + cell / 2 + 3.5, (o.format or "%.1f"):format(v),
             { anchor = "middle", size = 9, class = "cell-value" })
      end
    end
  end
  -- dark cells get white text
  for k = #out, 1, -1 do
    local s = out[k]
    if s:find('class="cell%-value"') then
      local prev = out[k - 1]
      local r, g = prev:match('fill="rgb%((%d+),(%d+),')
      if r and (tonumber(r) + tonumber(g)) < 300 then out[k] = s:gsub("<text ", '<text fill="#fff" ', 1) end
    end
  end
  legend_bar(out, o.legend or "value", lo, hi, x0 + m * cell + 18, top + 14, math.min(140, math.max(60, n * cell - 14)), o.log)
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n")
end

-- ---------------------------------------------------------------- graph
local GRAPH_OPTS = { rules = 1, title = 1, id = 1, width = 1, height = 1, top = 1 }

local function rule_list(fn, rules, top)
  local list = {}
  if type(rules) == "userdata" then
    local mt = getmetatable(rules)
    if type(mt) ~= "table" or mt.__name ~= "bundle.Rules" then
      fail(fn, "'rules' must be Rules or a list of { lhs, rhs, support, confidence, lift }")
    end
    for _, r in rules:iter() do list[#list + 1] = r end
  elseif type(rules) == "table" then
    for i, r in ipairs(rules) do
      if type(r) ~= "table" or type(r.lhs) ~= "table" or type(r.rhs) ~= "table" then
        fail(fn, "rules[%d] must be a table { lhs, rhs, support, confidence, lift }", i)
      end
      for _, k in ipairs{ "support", "confidence", "lift" } do
        if type(r[k]) ~= "number" then fail(fn, "rules[%d].%s must be a number", i, k) end
      end
      list[#list + 1] = r
    end
  else
    fail(fn, "'rules' must be Rules or a list of { lhs, rhs, support, confidence, lift }, got %s", type(rules))
  end
  if top and #list > top then
    table.sort(list, function(a, b) return a.lift > b.lift end)
    for i = #list, top + 1, -1 do list[i] = nil end
  end
  return list
end

-- graph{ rules, top = 20, title, width = 720, height = 560, id } -> svg:
-- arulesViz's item-rule graph. Items sit on an outer circle, each rule is
-- a node on an inner circle sized by support and coloured by lift, with
-- arrows from its left-side items and to its right-side items.
function M.graph(o)
  check_spec("graph", o, GRAPH_OPTS)
  local top = o.top or 20
  if math.type(top) ~= "integer" or top < 1 then fail("graph", "'top' must be a positive integer") end
  local list = rule_list("graph", o.rules, top)
  -- nodes are keyed by item; labelled by the item's name where the rules
  -- carry one (baskets made with a name column: lhs_names, rhs_names)
  local items, index, label = {}, {}, {}
  for _, r in ipairs(list) do
    for si, side in ipairs{ r.lhs, r.rhs } do
      local nm = si == 1 and r.lhs_names or r.rhs_names
      for j, it in ipairs(side) do
        local s = tostring(it)
        if not index[s] then items[#items + 1] = s; index[s] = #items end
        if type(nm) == "table" and nm[j] ~= nil and label[s] == nil then label[s] = tostring(nm[j]) end
      end
    end
  end
  local function shown(s) return label[s] or s end
  local lw = 0
  for _, s in ipairs(items) do lw = math.max(lw, text_width(shown(s), 10)) end
  local w = o.width or math.floor(math.max(560, 2 * lw + 420))
  local h = o.height or math.floor(math.max(460, 2 * lw + 300))
  local out = open_svg(o.id, w, h, o.title)
  text(out, 8, 18, o.title or ("Item-rule graph: %d rules, %d items"):format(#list, #items), { class = "title", size = 13 })
  local cx, cy = (w - 90) / 2, (h + 20) / 2
  local R = math.min(cx - lw - 20, cy - 40 - 10)
  local r_in = R * 0.55
  local lo, hi, smax = math.huge, -math.huge, 0
  for _, r in ipairs(list) do
    lo, hi, smax = math.min(lo, r.lift), math.max(hi, r.lift), math.max(smax, r.support)
  end
  if lo > hi then lo, hi = 1, 2 end
  if lo == hi then hi = lo + 1 end
  local ipos, rpos = {}, {}
  for k = 1, #items do
    local a = 2 * math.pi * (k - 1) / math.max(1, #items) - math.pi / 2
    ipos[k] = { cx + R * math.cos(a), cy + R * math.sin(a), a }
  end
  for k = 1, #list do
    local a = 2 * math.pi * (k - 0.5) / math.max(1, #list) - math.pi / 2
    rpos[k] = { cx + r_in * math.cos(a), cy + r_in * math.sin(a) }
  end
  out[#out + 1] = '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" '
                  .. 'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#999"/></marker></defs>'
  out[#out + 1] = '<g class="edges">'
  for k, r in ipairs(list) do
    for _, it in ipairs(r.lhs) do
      local p = ipos[index[tostring(it)]]
      out[#out + 1] = ('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#bbb"/>'):format(p[1], p[2], rpos[k][1], rpos[k][2])
    end
    for _, it in ipairs(r.rhs) do
      local p = ipos[index[tostring(it)]]
      local dx, dy = p[1] - rpos[k][1], p[2] - rpos[k][2]
      local d = math.sqrt(dx * dx + dy * dy)
      local f = d > 0 and (d - 5) / d or 1
      out[#out + 1] = ('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999" marker-end="url(#arrow)"/>'):format(
        rpos[k][1], rpos[k][2], rpos[k][1] + dx * f, rpos[k][2] + dy * f)
    end
  end
  out[#out + 1] = "</g>"
  out[#out + 1] = '<g class="rules">'
  for k, r in ipairs(list) do
    local rad = 3 + 7 * math.sqrt(r.support / math.max(smax, 1e-12))
    local lhs, rhs = {}, {}
    for i, it in ipairs(r.lhs) do lhs[i] = shown(tostring(it)) end
    for i, it in ipairs(r.rhs) do rhs[i] = shown(tostring(it)) end
    out[#out + 1] = ('<circle class="rule" cx="%.1f" cy="%.1f" r="%.1f" fill="%s" stroke="#333" stroke-width="0.6">'
                     .. "<title>{%s} =&gt; {%s}: support %.3g, confidence %.3g, lift %.3g</title></circle>"):format(
      rpos[k][1], rpos[k][2], rad, ramp((r.lift - lo) / (hi - lo)), esc(table.concat(lhs, ", ")),
      esc(table.concat(rhs, ", ")), r.support, r.confidence, r.lift)
  end
  out[#out + 1] = "</g>"
  out[#out + 1] = '<g class="items">'
  for k, s in ipairs(items) do
    local p = ipos[k]
    out[#out + 1] = ('<circle class="item" cx="%.1f" cy="%.1f" r="3" fill="#555"/>'):format(p[1], p[2])
    local right = math.cos(p[3]) >= -1e-9
    text(out, p[1] + (right and 6 or -6), p[2] + 3.5 + (math.abs(math.cos(p[3])) < 0.2 and (math.sin(p[3]) > 0 and 8 or -6) or 0),
         shown(s), { anchor = math.abs(math.cos(p[3])) < 0.2 and "middle" or (right and "start" or "end"), class = "item-label" })
  end
  out[#out + 1] = "</g>"
  legend_bar(out, "lift", lo, hi, w - 70, 50, 120)
  text(out, w - 70, 196, "size: support", { class = "label" })
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n")
end

-- ---------------------------------------------------------------- rules
local RULES_OPTS = { method = 1, top = 1, title = 1, width = 1, height = 1, id = 1, labels = 1 }

-- rules(rules, path?, opts?) -> svg: arulesViz's default plot, support
-- (x) against confidence (y) coloured by lift, with a lift colour bar;
-- method = "graph" draws plot.graph instead. top = 1000 (the highest lift;
-- 20 for the graph); labels = true labels the points with their rules.
-- With a path, the SVG is also written there (atomically).
function M.rules(rules, path, opts)
  if type(path) == "table" and opts == nil then path, opts = nil, path end
  if path ~= nil and type(path) ~= "string" then fail("rules", "'path' must be a file name, got %s", type(path)) end
  opts = opts or {}
  check_spec("rules", opts, RULES_OPTS)
  local method = opts.method or "scatter"
  if method ~= "scatter" and method ~= "graph" then
    fail("rules", "'method' must be \"scatter\" or \"graph\", got %s", tostring(method))
  end
  local svg
  if method == "graph" then
    svg = M.graph{ rules = rules, top = opts.top, title = opts.title, width = opts.width, height = opts.height, id = opts.id }
  else
    local top = opts.top or 1000
    if math.type(top) ~= "integer" or top < 1 then fail("rules", "'top' must be a positive integer") end
    local list = rule_list("rules", rules, top)
    local xs, ys, cs, labels = {}, {}, {}, {}
    for i, r in ipairs(list) do
      xs[i], ys[i], cs[i] = r.support, r.confidence, r.lift
      local lhs, rhs = {}, {}
      for k, it in ipairs(r.lhs) do lhs[k] = tostring(it) end
      for k, it in ipairs(r.rhs) do rhs[k] = tostring(it) end
      labels[i] = ("{%s} => {%s}"):format(table.concat(lhs, ", "), table.concat(rhs, ", "))
    end
    svg = M.scatter{ x = xs, y = ys, color = cs, color_label = "lift", tooltips = labels,
                     labels = opts.labels and labels or nil, title = opts.title or ("Scatter plot for %d rules"):format(#list),
                     xlabel = "support", ylabel = "confidence", width = opts.width, height = opts.height, id = opts.id }
  end
  if path then M.write(path, svg) end
  return svg
end

-- write(path, svg): the SVG (or any text) to a file, atomically.
function M.write(path, svg)
  if type(path) ~= "string" or path == "" then error("plot.write: 'path' must be a file name", 2) end
  if type(svg) ~= "string" then error("plot.write: 'svg' must be the text of a chart, got " .. type(svg), 2) end
  local ok, err = pcall(require("bundle.core").write_file, path, svg:sub(-1) == "\n" and svg or svg .. "\n")
  if not ok then error("plot.write: " .. tostring(err):gsub("^[^\n]-%.lua:%d+: ", ""), 2) end
  return path
end

M.escape = esc
return M
