-- Reading back what Itemsets:write_csv and Rules:write_csv write. Their
-- item fields are JSON lists of strings (["salt","fine, oil"]), so any
-- label, with commas, quotes, spaces or newlines, comes back as it was;
-- split_items decodes one field. It also splits the fields of to_frame
-- (labels joined by ",", a backslash before a ',' or '\' in a label and
-- before a '[' that would start the field), so a to_frame written with
-- Frame:write_csv and read back with read_csv splits back exactly too.
local core = require "bundle.core"

local M = {}

local simple = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

-- to_frame's escaped list: 'salt\, fine,oil' -> { "salt, fine", "oil" }
local function split_escaped(field)
  local out, parts, i, n = {}, {}, 1, #field
  while i <= n do
    local j = field:find("[,\\]", i)
    if not j then parts[#parts + 1] = field:sub(i); break end
    parts[#parts + 1] = field:sub(i, j - 1)
    if field:sub(j, j) == "," then
      out[#out + 1] = table.concat(parts)
      parts = {}
    else
      -- a backslash keeps the next character as it is (a trailing one stays)
      parts[#parts + 1] = j < n and field:sub(j + 1, j + 1) or "\\"
      j = j + 1
    end
    i = j + 1
  end
  out[#out + 1] = table.concat(parts)
  return out
end

-- split_items('["a","b, c"]') -> { "a", "b, c" }; split_items('a\, b,c')
-- -> { "a, b", "c" }. Errors name the field and the offset, for a file
-- edited by hand.
function M.split_items(field)
  if type(field) ~= "string" then error("split_items: expected a string, got " .. type(field), 2) end
  local out, i, n = {}, 1, #field
  local function fail(what) error(("split_items: %s at offset %d of '%s'"):format(what, i, field), 3) end
  local function skip() i = field:find("[^ \t]", i) or n + 1 end
  skip()
  if field:sub(i, i) ~= "[" then return split_escaped(field) end
  i = i + 1
  skip()
  if field:sub(i, i) == "]" then return out end
  while true do
    if field:sub(i, i) ~= '"' then fail("expected '\"'") end
    i = i + 1
    local parts = {}
    while true do
      local j = field:find('["\\]', i)
      if not j then fail("unterminated string") end
      parts[#parts + 1] = field:sub(i, j - 1)
      if field:sub(j, j) == '"' then i = j + 1; break end
      local e = field:sub(j + 1, j + 1)
      if simple[e] then
        parts[#parts + 1] = simple[e]
        i = j + 2
      elseif e == "u" and field:sub(j + 2, j + 5):match("^%x%x%x%x$") then
        parts[#parts + 1] = utf8.char(tonumber(field:sub(j + 2, j + 5), 16))
        i = j + 6
      else
        i = j
        fail("bad escape")
      end
    end
    out[#out + 1] = table.concat(parts)
    skip()
    local c = field:sub(i, i)
    i = i + 1
    if c == "]" then break end
    if c ~= "," then i = i - 1; fail("expected ',' or ']'") end
    skip()
  end
  return out
end

-- The columns that hold item lists: labels, and names where the baskets had them.
local LISTS = { lhs = true, rhs = true, items = true, names = true, lhs_names = true, rhs_names = true }

-- The rows of a CSV file as records, the list columns decoded.
local function read(path, fn, lists)
  if type(path) ~= "string" then error(fn .. ": path must be a string", 3) end
  -- the header first (limit = 1), so that only list columns the file has are typed
  local ok, frame = pcall(core.read_csv, path, { limit = 1 })
  local types = {}
  if ok then
    for _, name in ipairs(frame:names()) do if LISTS[name] then types[name] = "str" end end
    ok, frame = pcall(core.read_csv, path, { types = types })
  end
  if not ok then error(fn .. ": " .. tostring(frame), 3) end
  local names, cols = frame:names(), {}
  local have = {}
  for _, name in ipairs(names) do have[name] = true; cols[name] = frame:col(name):totable() end
  for _, c in ipairs(lists) do
    if not have[c] then error(("%s: %s has no column '%s' (columns: %s)"):format(fn, path, c, table.concat(names, ", ")), 3) end
  end
  local out = {}
  for r = 1, frame:nrows() do
    local rec = {}
    for _, name in ipairs(names) do
      local v = cols[name][r]
      if v ~= nil and LISTS[name] then
        local okd, items = pcall(M.split_items, v)
        if not okd then error(("%s: %s: row %d: %s"):format(fn, path, r, items), 3) end
        v = items
      elseif name == "count" or name == "size" then
        v = math.tointeger(v) or v
      end
      rec[name] = v
    end
    out[r] = rec
  end
  return out
end

-- read_itemsets(path) -> { { items = {...}, size, count, support [, weight] }, ... }
-- (the parentheses keep these from being tail calls: read's errors name the caller's line)
function M.read_itemsets(path) return (read(path, "read_itemsets", { "items" })) end

-- read_rules(path) -> Rules, as mined: sort, head, filter, lhs_has,
-- match, printing and write_csv work on them. Their baskets hold only the
-- labels (and names, from lhs_names / rhs_names), and count the baskets
-- the measures came from (count / support); the measures are the file's.
function M.read_rules(path)
  local recs = read(path, "read_rules", { "lhs", "rhs" })
  local labels, index, names, named = {}, {}, {}, false
  local function side(items, descs)
    local out = {}
    for j, label in ipairs(items or {}) do
      local i = index[label]
      if not i then
        i = #labels + 1
        labels[i], index[label], names[i] = label, i, false
      end
      local name = descs and descs[j]
      if type(name) == "string" and not names[i] then names[i], named = name, true end
      out[j] = i
    end
    return out
  end
  local lhs, rhs, nb = {}, {}, 0
  for k, r in ipairs(recs) do
    lhs[k], rhs[k] = side(r.lhs, r.lhs_names), side(r.rhs, r.rhs_names)
    if nb == 0 and type(r.count) == "number" and type(r.support) == "number" and r.support > 0 then
      nb = math.floor(r.count / r.support + 0.5)
    end
  end
  -- Each side is kept sorted by item id, so the ids must follow the order
  -- the file lists the sides in (the mined ids did): items ordered by
  -- those precedences (Kahn's, ties by first appearance), and renumbered.
  local after, need = {}, {}
  for i = 1, #labels do after[i], need[i] = {}, 0 end
  for _, list in ipairs{ lhs, rhs } do
    for _, items in ipairs(list) do
      for j = 2, #items do
        local a, b = items[j - 1], items[j]
        if not after[a][b] then after[a][b] = true; need[b] = need[b] + 1 end
      end
    end
  end
  -- ready ids in a binary min-heap: the smallest (first seen) goes first
  local heap, order = {}, {}
  local function push(v)
    local k = #heap + 1
    heap[k] = v
    while k > 1 and heap[k // 2] > heap[k] do heap[k], heap[k // 2] = heap[k // 2], heap[k]; k = k // 2 end
  end
  local function pop()
    local top, last = heap[1], table.remove(heap)
    if #heap > 0 then
      heap[1] = last
      local k = 1
      while true do
        local c = 2 * k
        if c + 1 <= #heap and heap[c + 1] < heap[c] then c = c + 1 end
        if c > #heap or heap[k] <= heap[c] then break end
        heap[k], heap[c] = heap[c], heap[k]
        k = c
      end
    end
    return top
  end
  for i = 1, #labels do if need[i] == 0 then push(i) end end
  while #heap > 0 do
    local i = pop()
    order[#order + 1] = i
    for b in pairs(after[i]) do
      need[b] = need[b] - 1
      if need[b] == 0 then push(b) end
    end
  end
  if #order == #labels then -- else a hand-edited file contradicts itself: first appearance
    local new, l2, n2 = {}, {}, {}
    for k, i in ipairs(order) do new[i], l2[k], n2[k] = k, labels[i], names[i] end
    for _, list in ipairs{ lhs, rhs } do
      for _, items in ipairs(list) do for j, i in ipairs(items) do items[j] = new[i] end end
    end
    labels, names = l2, n2
  end
  local ok, rules = pcall(core._rules_from, { labels = labels, names = named and names or nil, baskets = nb,
                                              lhs = lhs, rhs = rhs, measures = recs })
  if not ok then error(("read_rules: %s: %s"):format(path, tostring(rules):gsub("^rules_from: ", "")), 2) end
  return rules
end

return M
