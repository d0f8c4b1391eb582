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
M.read_csv_chunks = core.read_csv_chunks -- CSV -> an iterator of Frames, { rows = 1e6, key = "order", ... }
M.concat_frames = core.concat_frames     -- a list or iterator of Frames -> one Frame
M.counts = core.counts                   -- counts{ window = days | decay = half_life, mode = "exact" | "sketch", max_size }
M.load_counts = core.load_counts         -- a Counts store saved by Counts:save
M.baskets = core.baskets   -- Frame -> Baskets (basket (a column or a list: a composite key), item, user, time, quantity, price)
M.read_baskets = core.read_baskets -- one-basket-per-line (FIMI) file -> Baskets
M.is_baskets = core.is_baskets -- true for live Baskets
local rules_io = require "bundle.rules_io"
M.read_itemsets = rules_io.read_itemsets -- Itemsets:write_csv's file -> records
M.read_rules = rules_io.read_rules       -- Rules:write_csv's file -> Rules
M.split_items = rules_io.split_items     -- one list field (JSON or to_frame's) -> labels
M.catalog = core.catalog   -- Frame -> Catalog (item, price, cost | margin, category, stock)
M.search = core.search     -- the bundle search engine
M.search_features = core.search_features -- names of the bundle features (b:features(), model objectives)
M.pareto = core.pareto     -- front(points) -> indices, crowding; hypervolume(points, ref)
M.price = core.price       -- optimize(bundles, {demand =, discount = {0, 0.4}, ...}), baseline(bundles, {discount = 0.1})
M.model = core.model       -- linear{l2=, intercept=}, logistic{l2=, intercept=, max_iter=, tol=}
M.optim = require "bundle.optim"         -- adam, sgd, minimize
M.metrics = require "bundle.metrics"     -- mse, rmse, mae, r2, accuracy, logloss, auc
M.preprocess = require "bundle.preprocess" -- standardize
M.als = core.als           -- implicit-feedback ALS: als(rows, cols, {factors=, ...}) -> U, V, losses
M.mpi = core.mpi           -- one script per rank under mpirun: rank, size, allreduce, gather, bcast, read_csv, baskets (docs/API.md)
M.json = require "bundle.json"           -- encode, write (atomic)
M.eval = require "bundle.eval"           -- backtest, rank, topk, completion, simulate, baselines, bandit
M.features = require "bundle.features"   -- customers (RFM, category affinity), bundles (C feature vectors)
M.recommend = require "bundle.recommend" -- fit(baskets, {bundles=}) and recommend(rec, user, {k=})
M.report = require "bundle.report"       -- html(path, ctx)
M.plot = require "bundle.plot"           -- scatter, lines, bars, heatmap, graph, rules: SVG charts
M.orders = require "bundle.orders"       -- prepare{ orders =, basket =, item =, time =, ... } -> { sales, warnings, report }
M.takerate = require "bundle.takerate"     -- fit{ bundles, catalog, train, valid, test? }: take rates, model chosen on a later window
M.candidates = require "bundle.candidates" -- candidates(baskets, { sizes, want, min_count }): the support floor from the data
M.select = require "bundle.select"         -- select(scored, { top, max_per_item, min_lift, min_attach }): diverse launch list
M.referee = require "bundle.referee"       -- one judge for every method: model, price, score, judge, ratios, calibration
M.pipeline = require "bundle.pipeline"   -- pipeline{ data =, stages =, rounds =, seed = }; write(ctx, dir)
M.progress = require "bundle.progress"   -- progress(label, total): a bar (terminal) or lines (--progress) on stderr
M.sandbox = require "bundle.sandbox"     -- run(code_or_path, { timeout =, memory =, read =, write = }), env()

-- split(X, y, { test = 0.2, seed = 1 }) -> X_train, X_test, y_train, y_test
-- Rows are shuffled by the seeded generator, so the same seed gives the same split.
function M.split(X, y, opts)
  local T = core.tensor
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "test" and k ~= "seed" then error(("split: unknown option '%s'"):format(tostring(k)), 2) end
  end
  if not T.is(X) or X:dim() < 1 then error("split: X must be a tensor", 2) end
  local n = X:size(1)
  if not T.is(y) or y:size(1) ~= n then error(("split: y must have %d rows, like X"):format(n), 2) end
  local test = opts.test or 0.2
  if type(test) ~= "number" or test <= 0 or test >= 1 then error("split: test must be a fraction in (0, 1)", 2) end
  local keys = T.rand(n, { seed = opts.seed or 0 }):totable()
  local order = {}
  for i = 1, n do order[i] = i end
  table.sort(order, function(a, b) return keys[a] < keys[b] end)
  local nt = math.floor(n * test + 0.5)
  local tr, te = {}, {}
  for i = 1, n do if i <= nt then te[#te + 1] = order[i] else tr[#tr + 1] = order[i] end end
  return X:index(tr), X:index(te), y:index(tr), y:index(te)
end

return M
