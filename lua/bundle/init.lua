-- bundle: the Lua face of bundlerun. The heavy work lives in the C module
-- bundle.core (preloaded inside `bundlerun`, or bundle/core.so on LUA_CPATH);
-- this file composes it and adds what is better written in Lua.
local core = require "bundle.core"

local M = {}

M.version = core.version   -- "0.1.0"
M.clock = core.clock       -- monotonic wall-clock seconds, for timing stages
M.seed = core.seed         -- reseeds the generator used when a call gives no seed
M.tensor = core.tensor     -- constructors: zeros, ones, full, eye, arange, linspace, rand, randn, from, is
M.read_csv = core.read_csv -- CSV (or .csv.gz) -> Frame, report
M.baskets = core.baskets   -- Frame -> Baskets (basket, item, user, time, quantity, price columns)
M.read_baskets = core.read_baskets -- one-basket-per-line (FIMI) file -> Baskets

return M
