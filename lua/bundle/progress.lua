-- bundle.progress: progress on stderr for work that takes a while.
--
--   local bar = bundle.progress("fit", 3)        -- a label and the number of steps
--   for _, name in ipairs{ "a", "b", "c" } do
--     bar:start(name) ... bar:done()
--   end
--   bar:finish()
--
-- What shows depends on where stderr goes (bundle.core.progress_mode: set by
-- `bundlerun --progress`, or BUNDLE_PROGRESS=1 / 0):
--   "bar"   stderr is a terminal: one line redrawn in place, drawn only
--           once the work has run for a second (short work shows nothing);
--   "lines" --progress with stderr not a terminal (a pipe, a log): one line
--           when a step starts and one when it ends, with its time;
--   false   neither: nothing (a pipe without --progress stays quiet).
-- The mode can be forced with opts.mode: false, true (the forced mode for
-- this stderr), "bar" or "lines".
local core = require "bundle.core"

local M = {}
local Bar = {}
Bar.__index = Bar

M.delay = 1      -- seconds before a bar is drawn
M.width = 24     -- cells in the bar

local function pick_mode(mode)
  if mode == nil then return core.progress_mode() end
  if mode == true then return core.progress_mode(true) end
  if mode == false or mode == "bar" or mode == "lines" then return mode end
  error(("progress: mode must be true, false, \"bar\" or \"lines\", got %s"):format(tostring(mode)), 3)
end

-- new(label, total [, { mode = }]) -> bar
function M.new(label, total, opts)
  if type(label) ~= "string" then error("progress: label must be a string", 2) end
  if math.type(total) ~= "integer" or total < 1 then error("progress: total must be a positive integer", 2) end
  if opts ~= nil and type(opts) ~= "table" then error("progress: options must be a table", 2) end
  for k in pairs(opts or {}) do
    if k ~= "mode" then error(("progress: unknown option '%s' (mode)"):format(tostring(k)), 2) end
  end
  local mode = pick_mode((opts or {}).mode)
  return setmetatable({ label = label, total = total, count = 0, mode = mode, t0 = core.clock(),
                        drawn = false, last_draw = -1, what = nil, step_t0 = nil }, Bar)
end

local function write(s) io.stderr:write(s) end

local function clock_text(s)
  if s < 60 then return ("%.1f s"):format(s) end
  return ("%dm%02ds"):format(s // 60, math.floor(s % 60))
end

-- The bar's one line: label, cells, percent, step count, the step; then
-- the elapsed time (bar_line).
local function bar_head(self)
  local share = self.count / self.total
  local full = math.floor(share * M.width + 0.5)
  return ("%s [%s%s] %3d%% %d/%d%s"):format(self.label, ("#"):rep(full), ("-"):rep(M.width - full),
    math.floor(share * 100 + 0.5), self.count, self.total, self.what and (" " .. self.what) or "")
end

local function bar_line(self, now) return "\r\27[K" .. bar_head(self) .. "  " .. clock_text(now - self.t0) end

function Bar:draw(force)
  if self.mode ~= "bar" then return end
  local now = core.clock()
  if now - self.t0 < M.delay then return end
  if not force and now - self.last_draw < 0.1 then return end
  self.last_draw, self.drawn = now, true
  write(bar_line(self, now))
  -- inside a long C call no Lua runs: the core's deadline polls redraw the clock
  if core.progress_tick then core.progress_tick(bar_head(self), self.t0) end
end

-- start(what): a step begins (shown as its name)
function Bar:start(what)
  self.what, self.step_t0 = what and tostring(what) or nil, core.clock()
  if self.mode == "lines" then
    write(("%s [%d/%d] %s ...\n"):format(self.label, self.count + 1, self.total, self.what or "step"))
  end
  self:draw(true)
end

-- done([n]): the current step ends; the count moves on by n (default 1)
function Bar:done(n)
  local now = core.clock()
  self.count = math.min(self.total, self.count + (n or 1))
  if self.mode == "lines" then
    write(("%s [%d/%d] %s done in %s\n"):format(self.label, self.count, self.total, self.what or "step",
      clock_text(now - (self.step_t0 or now))))
  end
  self:draw(true)
end

-- say(text): a line of its own, above the bar (the bar is drawn again after)
function Bar:say(text)
  if self.mode == false then return end
  if self.drawn then write("\r\27[K") end
  write(text .. "\n")
  if self.drawn then write(bar_line(self, core.clock())) end
end

-- finish(): ends the bar, where it stands (a drawn bar ends its line;
-- "lines" says the count and the total time). Call it on an error too.
function Bar:finish()
  local now = core.clock()
  if self.mode == "lines" then
    write(("%s %s %d/%d in %s\n"):format(self.label, self.count == self.total and "finished" or "stopped at",
      self.count, self.total, clock_text(now - self.t0)))
  elseif self.drawn then
    if core.progress_tick then core.progress_tick(nil) end
    if self.count == self.total then self.what = nil end
    write(bar_line(self, now) .. "\n")
    self.drawn = false
  end
end

return setmetatable(M, { __call = function(_, label, total, opts) return M.new(label, total, opts) end })
