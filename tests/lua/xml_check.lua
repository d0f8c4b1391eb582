-- A small XML well-formedness check for the specs of bundle.plot and
-- bundle.report: every tag closes in order, attributes are quoted, and the
-- text holds no bare '<' or '&'. Returns the elements found, each
-- { name, attrs = { k = v }, text = "" }, in document order.
local M = {}

local VOID = { meta = true, br = true, hr = true, img = true, link = true, input = true }

function M.parse(s, opts)
  opts = opts or {}
  local elements, stack = {}, {}
  local pos = 1
  local function fail(msg) error(("xml: %s at offset %d: %s"):format(msg, pos, s:sub(pos, pos + 60)), 2) end
  while pos <= #s do
    local lt = s:find("<", pos, true)
    local textpart = s:sub(pos, (lt or #s + 1) - 1)
    if textpart:find("&") then
      for ent in textpart:gmatch("&([^;%s]*);?") do
        if not (ent:match("^#%d+$") or ent:match("^#x%x+$") or ent == "amp" or ent == "lt" or ent == "gt"
                or ent == "quot" or ent == "apos" or ent == "nbsp" or ent == "middot" or ent == "rarr") then
          fail("bad entity &" .. ent)
        end
      end
    end
    if #stack > 0 then stack[#stack].text = stack[#stack].text .. textpart end
    if not lt then break end
    pos = lt
    if s:sub(pos, pos + 3) == "<!--" then
      local e = s:find("-->", pos, true) or fail("comment not closed")
      pos = e + 3
    elseif s:sub(pos, pos + 1) == "<!" then
      pos = (s:find(">", pos, true) or fail("declaration not closed")) + 1
    elseif s:sub(pos, pos + 1) == "</" then
      local name, e = s:match("^</([%w:_%-]+)%s*>()", pos)
      if not name then fail("bad end tag") end
      local top = table.remove(stack)
      if not top or top.name ~= name then fail(("</%s> closes <%s>"):format(name, top and top.name or "nothing")) end
      pos = e
      if name == "style" or name == "script" then end
    else
      local name, rest = s:match("^<([%w:_%-]+)()", pos)
      if not name then fail("bad tag") end
      local el = { name = name, attrs = {}, text = "" }
      local p = rest
      while true do
        local ws, p2 = s:match("^(%s*)()", p)
        p = p2
        if s:sub(p, p + 1) == "/>" then p = p + 2; el.closed = true; break end
        if s:sub(p, p) == ">" then p = p + 1; break end
        if #ws == 0 then fail("attributes need spaces between them") end
        local k, q, p3 = s:match('^([%w:_%-]+)=(["\'])()', p)
        if not k then fail("attribute without a quoted value") end
        local e = s:find(q, p3, true) or fail("attribute value not closed")
        local v = s:sub(p3, e - 1)
        if v:find("<", 1, true) then fail("'<' in an attribute") end
        el.attrs[k] = v
        p = e + 1
      end
      elements[#elements + 1] = el
      pos = p
      if not el.closed and not (opts.html and VOID[name]) then
        if opts.html and name == "style" then
          local e = s:find("</style>", pos, true) or fail("style not closed")
          el.text = s:sub(pos, e - 1)
          pos = e + #"</style>"
        else
          stack[#stack + 1] = el
        end
      end
    end
  end
  if #stack > 0 then error("xml: <" .. stack[#stack].name .. "> is never closed", 2) end
  return elements
end

-- the elements named name (and, when given, with attribute k containing v)
function M.find(elements, name, k, v)
  local out = {}
  for _, e in ipairs(elements) do
    if e.name == name and (not k or (e.attrs[k] and e.attrs[k]:find(v, 1, true))) then out[#out + 1] = e end
  end
  return out
end

-- true when step is 1, 2 or 5 times a power of ten
function M.is_125(step)
  if not (step > 0) then return false end
  local m = step / 10 ^ math.floor(math.log(step, 10) + 1e-9)
  for _, c in ipairs{ 1, 2, 5, 10 } do
    if math.abs(m - c) < 1e-6 * c then return true end
  end
  return false
end

return M
