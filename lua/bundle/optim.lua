-- bundle.optim: Torch's optim pattern over the core's pure step functions.
--   local opt = bundle.optim.adam{ lr = 1e-2 }
--   opt:step(params, grads)            -- updates params in place
--   local x, info = bundle.optim.minimize(f, x0, { method = "lbfgs" })   -- f(x) -> value, grad
local core = require "bundle.core"
local T = core.tensor
local C = core.optim_core

local M = {}

local function check_options(fn, opts, allowed)
  if opts == nil then return {} end
  if type(opts) ~= "table" then error(("%s: options must be a table, got %s"):format(fn, type(opts)), 3) end
  for k in pairs(opts) do
    if not allowed[k] then error(("%s: unknown option '%s'"):format(fn, tostring(k)), 3) end
  end
  return opts
end

-- Per-parameter state (moments), keyed weakly by the parameter tensor.
local function state_for(self, params)
  local s = self.state[params]
  if not s then
    local shape = params:shape()
    s = { m = T.zeros(shape), v = T.zeros(shape), t = 0 }
    self.state[params] = s
  end
  return s
end

local Adam = {}
Adam.__index = Adam

function M.adam(opts)
  opts = check_options("adam", opts, { lr = true, beta1 = true, beta2 = true, eps = true })
  return setmetatable({ lr = opts.lr or 1e-3, beta1 = opts.beta1 or 0.9, beta2 = opts.beta2 or 0.999,
                        eps = opts.eps or 1e-8, state = setmetatable({}, { __mode = "k" }) }, Adam)
end

function Adam:step(params, grads)
  local s = state_for(self, params)
  s.t = s.t + 1
  C.adam_step(params, grads, s.m, s.v, s.t, self.lr, self.beta1, self.beta2, self.eps)
  return params
end

local SGD = {}
SGD.__index = SGD

function M.sgd(opts)
  opts = check_options("sgd", opts, { lr = true, momentum = true, weight_decay = true })
  return setmetatable({ lr = opts.lr or 1e-2, momentum = opts.momentum or 0, weight_decay = opts.weight_decay or 0,
                        state = setmetatable({}, { __mode = "k" }) }, SGD)
end

function SGD:step(params, grads)
  local s = state_for(self, params)
  C.sgd_step(params, grads, s.v, self.lr, self.momentum, self.weight_decay)
  return params
end

-- minimize(f, x0, { method = "lbfgs", max_iter =, tol =, history = }) -> x, info
function M.minimize(f, x0, opts)
  if type(f) ~= "function" then error("minimize: f must be a function returning a value and a gradient", 2) end
  opts = opts or {}
  local method = opts.method or "lbfgs"
  if method ~= "lbfgs" then error(("minimize: unknown method '%s' (lbfgs)"):format(tostring(method)), 2) end
  local o = {}
  for k, v in pairs(opts) do if k ~= "method" then o[k] = v end end
  return C.lbfgs(f, x0, o)
end

return M
