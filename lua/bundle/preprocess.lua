-- bundle.preprocess: feature scaling.
--   local sc = bundle.preprocess.standardize()
--   local Z = sc:fit_transform(X)        -- columns to mean 0, standard deviation 1
local core = require "bundle.core"
local T = core.tensor

local M = {}

local Standardize = {}
Standardize.__index = Standardize

function M.standardize() return setmetatable({}, Standardize) end

-- A zero-variance column is kept as it is (scale 1) with a warning, never
-- divided by zero.
function Standardize:fit(X)
  if not T.is(X) or X:dim() ~= 2 then error("standardize: X must be a 2-d tensor", 2) end
  if X:size(1) == 0 then error("standardize: X has no rows", 2) end
  self.mean = X:mean(1, { keepdim = true })
  local sd = X:std(1, { keepdim = true })
  local scale = sd:totable()[1]
  for j, s in ipairs(scale) do
    if s == 0 then
      io.stderr:write(("standardize: column %d has zero variance; left unscaled\n"):format(j))
      scale[j] = 1
    end
  end
  self.scale = T.from{ scale }
  return self
end

function Standardize:transform(X)
  if not self.mean then error("standardize: transform before fit", 2) end
  if not T.is(X) or X:dim() ~= 2 or X:size(2) ~= self.mean:size(2) then
    error(("standardize: X must be n x %d"):format(self.mean:size(2)), 2)
  end
  return (X - self.mean) / self.scale
end

function Standardize:fit_transform(X) return self:fit(X):transform(X) end

-- save(path): mean and scale as a two-row CSV, written atomically.
function Standardize:save(path)
  if not self.mean then error("standardize: save before fit", 2) end
  if type(path) ~= "string" then error("standardize: save: path must be a string", 2) end
  local lines = {}
  for _, row in ipairs{ self.mean:totable()[1], self.scale:totable()[1] } do
    local t = {}
    for j, v in ipairs(row) do t[j] = ("%.17g"):format(v) end
    lines[#lines + 1] = table.concat(t, ",")
  end
  require("bundle.core").write_file(path, table.concat(lines, "\n") .. "\n") -- atomic, sandbox-checked
  return self
end

function M.load_standardize(path)
  if type(path) ~= "string" then error("load_standardize: path must be a string", 2) end
  local ok, text = pcall(require("bundle.core").read_file, path) -- sandbox-checked
  if not ok then error("load_standardize: " .. tostring(text):gsub("^[^:\n]*:%d+: ", ""), 2) end
  local rows = {}
  for line in text:gmatch("[^\n]+") do
    local r = {}
    -- the message names the place, never the text: the file may be one a
    -- sandboxed script may not read, and the message goes back to it
    for v in line:gmatch("[^,]+") do
      r[#r + 1] = tonumber(v) or error(("load_standardize: %s: field %d of line %d is not a number"):format(path, #r + 1, #rows + 1), 2)
    end
    rows[#rows + 1] = r
  end
  if #rows ~= 2 or #rows[1] ~= #rows[2] then error("load_standardize: " .. path .. ": expected two rows of equal length", 2) end
  return setmetatable({ mean = T.from{ rows[1] }, scale = T.from{ rows[2] } }, Standardize)
end

return M
