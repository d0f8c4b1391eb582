-- bundle.sandbox: running objective scripts written by other people.
--
--   local score = bundle.sandbox.run("objectives/theirs.lua", { timeout = 2, memory = 64,
--                                                               read = { "data" } })
--
-- The script runs in a Lua state of its own (src/lua/lsandbox.c), created
-- for the run and closed after it: its own globals, registry and
-- metatables, and a `require` that loads only bundle's modules compiled
-- into the program (never a file). It sees an allow-list of globals
-- (below), never io, os.execute, os.remove, os.rename, os.exit, os.getenv,
-- package, debug, dofile, loadfile, C modules or binary chunks; `require`
-- gives bundle and its Lua modules as read-only views. bundle's loaders
-- read and write only under the directories in `read` and `write` (none by
-- default). A time limit cannot be caught by the script's own pcall, in any
-- coroutine, and stops Lua patterns too; a memory limit counts Lua's
-- allocations and everything the core allocates (tensors, frames, itemsets, ...).
-- Arguments and results cross as deep copies of plain data: numbers,
-- strings, booleans and tables of those without metatables (at most 64
-- levels deep and 1e6 values); anything else is an error naming its place
-- ("result[1].x[3] is a function; ...").
-- Errors come back as "sandbox.run: timeout: ...", "sandbox.run: memory: ..."
-- or "sandbox.run: <the script's error>".
local core = require "bundle.core"

local M = {}

-- Globals and library functions a sandboxed script may use.
M.allowed = {
  globals = { "assert", "error", "ipairs", "next", "pairs", "pcall", "print", "rawequal", "rawget", "rawlen",
              "rawset", "select", "tonumber", "tostring", "type", "xpcall", "_VERSION" },
  libraries = { "string", "table", "math", "utf8", "coroutine" },
  os = { "clock", "time", "date", "difftime" },
}

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

-- A read-only view of a module table: fields read through (tables as views
-- too, cached, so the same field gives the same view), writes are errors.
local function readonly(t, cache)
  cache = cache or setmetatable({}, { __mode = "k" })
  if cache[t] then return cache[t] end
  local view = setmetatable({}, {
    __index = function(_, k)
      local v = t[k]
      if type(v) == "table" then return readonly(v, cache) end
      return v
    end,
    __newindex = function(_, k) error(("sandbox: bundle is read-only (cannot set '%s')"):format(tostring(k)), 2) end,
    __call = getmetatable(t) and getmetatable(t).__call and function(_, ...) return t(...) end or nil,
    __pairs = function() return function(_, k)
      local nk, v = next(t, k)
      if type(v) == "table" then v = readonly(v, cache) end
      return nk, v
    end, nil, nil end,
    __len = function() return #t end,
    __metatable = false,
  })
  cache[t] = view
  return view
end

-- env() -> a fresh global table for one sandboxed script.
function M.env()
  local env = {}
  for _, name in ipairs(M.allowed.globals) do env[name] = _G[name] end
  for _, name in ipairs(M.allowed.libraries) do env[name] = copy(_G[name]) end
  env.os = {}
  for _, name in ipairs(M.allowed.os) do env.os[name] = os[name] end
  env._G = env
  -- text chunks only, in this sandbox unless another table is given
  env.load = function(chunk, name, mode, e)
    if mode ~= nil and mode ~= "t" then error("sandbox: load accepts text chunks only (mode \"t\")", 2) end
    return load(chunk, name, "t", e or env)
  end
  -- metatables of strings and userdata are shared with trusted code: hidden
  env.getmetatable = function(v)
    if type(v) ~= "table" then return nil end
    return getmetatable(v)
  end
  -- a finaliser would run later, inside trusted code and outside the limits
  env.setmetatable = function(t, mt)
    if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
      error("sandbox: __gc metamethods are not allowed", 2)
    end
    return setmetatable(t, mt)
  end
  env.collectgarbage = function(opt, ...)
    if opt == nil or opt == "collect" or opt == "count" or opt == "step" then return collectgarbage(opt, ...) end
    error(("sandbox: collectgarbage(\"%s\") is not allowed"):format(tostring(opt)), 2)
  end
  local views = setmetatable({}, { __mode = "k" })
  env.require = function(name)
    if type(name) ~= "string" or not (name == "bundle" or name:match("^bundle%.[%w_]+$")) or name == "bundle.core" then
      error(("sandbox: require '%s' is not allowed (only bundle and its Lua modules)"):format(tostring(name)), 2)
    end
    local mod = require(name)
    if type(mod) == "table" then return readonly(mod, views) end
    return mod
  end
  return env
end

local function read_source(code_or_path)
  -- a path: one line naming an existing .lua file; anything else is code
  if not code_or_path:find("\n", 1, true) and code_or_path:match("%.lua$") then
    -- through bundle's reader: inside a sandbox, its path allow-list applies
    local ok, text = pcall(core.read_file, code_or_path)
    if not ok then error(("sandbox.run: cannot open %s"):format(tostring(text):gsub("^[^:\n]*:%d+: ", "")), 3) end
    return text, "@" .. code_or_path
  end
  return code_or_path, "=(sandbox)"
end

-- run(code_or_path, { timeout = seconds, memory = MB, read = {dirs}, write = {dirs}, args = {...} })
-- -> copies of the script's results. Raises "sandbox.run: ..." when the
-- script fails, runs out of time or memory, or returns what cannot cross.
function M.run(code_or_path, opts)
  if type(code_or_path) ~= "string" then
    error(("sandbox.run: expects Lua code or a path to a .lua file, got a %s"):format(type(code_or_path)), 2)
  end
  opts = opts or {}
  if type(opts) ~= "table" then error("sandbox.run: options must be a table", 2) end
  local limits = {}
  for k, v in pairs(opts) do
    if k == "args" then
      if type(v) ~= "table" then error("sandbox.run: option 'args' must be a list", 2) end
    elseif k == "timeout" or k == "memory" or k == "read" or k == "write" then limits[k] = v
    else error(("sandbox.run: unknown option '%s'"):format(tostring(k)), 2) end
  end
  local text, chunkname = read_source(code_or_path)
  if text:sub(1, 4) == "\27Lua" then error("sandbox.run: binary chunks are not allowed", 2) end
  local args = opts.args or {}
  local res = table.pack(core.sandbox_exec(text, chunkname, limits, table.unpack(args, 1, args.n or #args)))
  if not res[1] then error("sandbox.run: " .. res[2], 2) end
  return table.unpack(res, 2, res.n)
end

-- used() -> bytes counted against the memory budget now
M.memory_used = core.memory_used

return M
