-- bundle.json: a small JSON encoder for summaries and reports (keys sorted,
-- so the same data always gives the same text). Tables with only keys
-- 1..n are arrays; NaN and infinities, which JSON lacks, become null.
local M = {}

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
                  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or ("\\u%04x"):format(c:byte())
  end) .. '"'
end

local function is_array(t)
  local n = #t
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
  end
  return true
end

local function encode(v, out, indent, depth, seen)
  local t = type(v)
  if v == nil then out[#out + 1] = "null"
  elseif t == "boolean" then out[#out + 1] = tostring(v)
  elseif t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then out[#out + 1] = "null"
    elseif math.type(v) == "integer" then out[#out + 1] = tostring(v)
    else out[#out + 1] = ("%.10g"):format(v) end
  elseif t == "string" then out[#out + 1] = quote(v)
  elseif t == "table" then
    if seen[v] then error("json: a table refers to itself", depth + 2) end
    seen[v] = true
    local pad = indent and ("\n" .. (" "):rep(indent * (depth + 1))) or ""
    local close = indent and ("\n" .. (" "):rep(indent * depth)) or ""
    if is_array(v) then
      if #v == 0 then out[#out + 1] = "[]" else
        out[#out + 1] = "["
        for i = 1, #v do
          out[#out + 1] = (i > 1 and "," or "") .. pad
          encode(v[i], out, indent, depth + 1, seen)
        end
        out[#out + 1] = close .. "]"
      end
    else
      local keys = {}
      for k in pairs(v) do
        if type(k) ~= "string" and type(k) ~= "number" then
          error(("json: a key of type %s cannot be written"):format(type(k)), depth + 2)
        end
        keys[#keys + 1] = tostring(k)
      end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        local val = v[k]
        if val == nil then val = v[tonumber(k)] end
        out[#out + 1] = (i > 1 and "," or "") .. pad .. quote(k) .. (indent and ": " or ":")
        encode(val, out, indent, depth + 1, seen)
      end
      out[#out + 1] = close .. "}"
    end
    seen[v] = nil
  else
    error(("json: a %s cannot be written"):format(t), 0)
  end
end

-- encode(value [, { indent = 2 }]) -> text
function M.encode(v, opts)
  local out = {}
  -- errors come from deep in the value; report them at the caller's line
  local ok, err = pcall(encode, v, out, opts and opts.indent, 0, {})
  if not ok then error(err, 2) end
  return table.concat(out)
end

-- write(path, value [, opts]): encodes and writes atomically.
function M.write(path, v, opts)
  if type(path) ~= "string" then error("json.write: path must be a string", 2) end
  local ok, text = pcall(M.encode, v, opts or { indent = 2 })
  if not ok then error(text, 2) end
  require("bundle.core").write_file(path, text .. "\n")
end

return M
