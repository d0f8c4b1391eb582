-- Reading back what Itemsets:write_csv and Rules:write_csv write. Their
-- item fields are JSON lists of strings (["salt","fine, oil"]), so any
-- label, with commas, quotes, spaces or newlines, comes back as it was;
-- split_items decodes one field.
local core = require "bundle.core"

local M = {}

local simple = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

-- split_items('["a","b, c"]') -> { "a", "b, c" }. Errors name the field and
-- the offset, for a file edited by hand.
function M.split_items(field)
  if type(field) ~= "string" then error("split_items: expected a string, got " .. type(field), 2) end
  local out, i, n = {}, 1, #field
  local function fail(what) error(("split_items: %s at offset %d of '%s'"):format(what, i, field), 3) end
  local function skip() i = field:find("[^ \t]", i) or n + 1 end
  skip()
  if field:sub(i, i) ~= "[" then fail("expected '['") end
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

-- The rows of a CSV file as records, the list columns decoded.
local function read(path, fn, lists)
  if type(path) ~= "string" then error(fn .. ": path must be a string", 3) end
  local types = {}
  for _, c in ipairs(lists) do types[c] = "str" end
  local ok, frame = pcall(core.read_csv, path, { types = types })
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
      if v ~= nil and (name == "lhs" or name == "rhs" or name == "items") then
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

-- read_rules(path) -> { { lhs = {...}, rhs = {...}, support, confidence, lift, ... }, ... }
function M.read_rules(path) return (read(path, "read_rules", { "lhs", "rhs" })) end

return M
