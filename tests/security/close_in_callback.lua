-- Driven by close_in_callback.sh (plain and --sandbox): every way a script
-- can close or drop an object while a core call that holds it runs Lua
-- (callbacks, metamethods of arguments), and every derived object used
-- after its parent's close. Each case must end in a clean Lua error with
-- the expected message (or succeed, where the lifetime rules allow it);
-- a use-after-free would crash, or trip the sanitizer build.
-- DIR (set with -e) holds items.csv and baskets.txt.
local bundle = require "bundle"
local T = bundle.tensor
-- the C half, for the eval primitives the Lua wrappers copy arguments
-- for; a sandbox does not give it out, and those cases are skipped there
local has_core, core = pcall(require, "bundle.core")
local E = has_core and core.eval_core or nil

local cases, failed = 0, 0
local function report(ok, name, why)
  cases = cases + 1
  if ok then print("ok: " .. name) else failed = failed + 1; print("FAILED: " .. name .. ": " .. why) end
end
-- expect(name, text, fn): fn must raise an error containing text (text ==
-- true: fn must succeed).
local function expect(name, text, fn)
  local ok, e = pcall(fn)
  if text == true then return report(ok, name, tostring(e)) end
  report(not ok and tostring(e):find(text, 1, true) ~= nil, name, ok and "no error" or tostring(e))
end
local function in_use(what, by) return ("close: the %s is in use by %s; close it after the call returns"):format(what, by) end

local f = bundle.read_csv(DIR .. "/items.csv", { types = { item = "str" } })
local function new_catalog() return bundle.catalog(f, { item = "item", price = "price", cost = "cost", category = "cat" }) end
local function new_baskets() return bundle.read_baskets(DIR .. "/baskets.txt") end
local function new_model(cat, bk)
  local X = bundle.features.bundles({ { "1", "2" }, { "2", "3" }, { "1", "3" }, { "4", "5" }, { "2", "6" } },
                                  { catalog = cat, baskets = bk })
  local m = bundle.model.linear { l2 = 1 }
  m:fit(X, T.from({ 1, 2, 3, 4, 5 }))
  return m
end

-- the ways to close x (a sandbox hides userdata metatables: there only
-- close() and <close> reach the metamethods)
local closers = {
  { "close()", function(x) x:close() end },
  { "<close>", function(x) local c <close> = x end },
}
if getmetatable(f) then
  closers[#closers + 1] = { "__close", function(x) getmetatable(x).__close(x) end }
  closers[#closers + 1] = { "__gc", function(x) getmetatable(x).__gc(x) end }
end

-- ---- bundle.search: every method, every callback, every object it holds ----
local methods = {
  exact = {},
  beam = { beam_width = 3 },
  greedy = {},
  anneal = { iterations = 40 },
  nsga2 = { population = 8, generations = 2 },
}
local method_names = { "exact", "beam", "greedy", "anneal", "nsga2" }

-- a search spec with method m whose Lua callback `where` (objective,
-- bound, compatible) runs hit(); objects from env
local function spec_for(m, where, env, hit)
  local s = { catalog = env.cat, baskets = env.bk, size = { 2, 3 }, top = 3, method = m, seed = 1 }
  for k, v in pairs(methods[m]) do s[k] = v end
  local fn = function(b) if where == "objective" or where == "pool" then hit() end return b:price() + b:support() end
  if m == "nsga2" then s.objectives = { a = fn, b = "revenue" } else s.objective = fn end
  if where == "bound" and m == "exact" then s.bound = function(b, slots) hit() return 1e9 end end
  if where == "compatible" then s.constraints = { compatible = function(a, b) hit() return true end } end
  if where == "model" then -- a model objective next to a Lua one, which closes the model
    s.objective = nil
    s.objectives = { f = function(b) hit() return b:price() end, m = env.model }
  end
  if where == "pool" then s.pool = env.its; s.baskets = nil end
  return s
end

for _, m in ipairs(method_names) do
  for _, where in ipairs({ "objective", "bound", "compatible", "model", "pool" }) do
    -- bounds serve the exact search; a pool of bundles (itemsets) is scored exactly
    if (where == "bound" or where == "pool") and m ~= "exact" then goto next_where end
    for _, victim in ipairs({ "Catalog", "Baskets", "Model", "Itemsets" }) do
      if victim == "Model" and where ~= "model" then goto next_victim end
      if victim == "Itemsets" and where ~= "pool" then goto next_victim end
      for _, c in ipairs(closers) do
        local env = { cat = new_catalog(), bk = new_baskets() }
        env.model = new_model(env.cat, env.bk)
        env.its = env.bk:frequent { min_count = 1, min_size = 2, max_size = 3 }
        local target = ({ Catalog = env.cat, Baskets = env.bk, Model = env.model, Itemsets = env.its })[victim]
        -- with a pool of itemsets the search reads the baskets those hold,
        -- not the Baskets handle: closing the handle is allowed and harmless
        local want = (where == "pool" and victim == "Baskets") or in_use(victim, "a running search")
        expect(("search %s: %s closes the %s by %s"):format(m, where, victim, c[1]), want,
               function() assert(#bundle.search(spec_for(m, where, env, function() c[2](target) end)) > 0) end)
        -- and the object is whole afterwards: the refused close closed nothing
        expect(("  ... the %s still works after the search"):format(victim), true, function()
          if victim == "Catalog" then assert(env.cat:size() == 6)
          elseif victim == "Baskets" then assert(want == true or env.bk:size() == 10)
          elseif victim == "Model" then assert(env.model:kind())
          else assert(#env.its > 0) end
          target:close() -- and now it closes
        end)
      end
      ::next_victim::
    end
    ::next_where::
  end
  -- dropping every reference and collecting inside the callback frees nothing in use
  local spec
  spec = spec_for(m, "objective", { cat = new_catalog(), bk = new_baskets() }, function()
    spec.catalog, spec.baskets = nil, nil
    collectgarbage() collectgarbage()
  end)
  expect(("search %s: the callback drops the catalogue and baskets and collects"):format(m), true, function()
    local r = bundle.search(spec)
    spec = nil
    collectgarbage() collectgarbage()
    assert(#r > 0 and r:to_frame():nrows() == #r)
  end)
end

-- ---- coroutines inside and around callbacks ----
do
  local cat, bk = new_catalog(), new_baskets()
  expect("a coroutine inside the objective closes the catalogue: refused inside the coroutine", true, function()
    local r = bundle.search { catalog = cat, baskets = bk, size = { 2, 2 }, objective = function(b)
      local ok, e = coroutine.resume(coroutine.create(function() cat:close() end))
      assert(not ok and e:find(in_use("Catalog", "a running search"), 1, true), e)
      return b:price()
    end }
    assert(#r > 0)
  end)
  expect("a search inside a coroutine whose objective closes the catalogue", in_use("Catalog", "a running search"),
    function()
      local co = coroutine.wrap(function()
        return bundle.search { catalog = cat, baskets = bk, size = { 2, 2 }, objective = function() cat:close() end }
      end)
      co()
    end)
  expect("an objective that yields", "attempt to yield across a C-call boundary", function()
    local co = coroutine.wrap(function()
      return bundle.search { catalog = cat, baskets = bk, size = { 2, 2 },
                             objective = function() coroutine.yield(1) return 1 end }
    end)
    co()
  end)
  expect("  ... and the catalogue closes afterwards", true, function() cat:close() bk:close() end)
  expect("  ... once: a second close is harmless", true, function() cat:close() bk:close() end)
end

-- ---- pricing: the demand function and the bundles' metamethods ----
for _, c in ipairs(closers) do
  local cat, bk = new_catalog(), new_baskets()
  local res = bundle.search { catalog = cat, baskets = bk, size = { 2, 2 }, objective = "revenue", top = 3 }
  local function demand(victim) return function(price, b, d) c[2](victim) return 0.5 end end
  expect("price.optimize: demand closes the Catalog by " .. c[1], in_use("Catalog", "a running price.optimize"),
    function() bundle.price.optimize({ { "1", "2" } }, { catalog = cat, baskets = bk, demand = demand(cat) }) end)
  expect("price.optimize: demand closes the Baskets by " .. c[1], in_use("Baskets", "a running price.optimize"),
    function() bundle.price.optimize({ { "1", "2" } }, { catalog = cat, baskets = bk, demand = demand(bk) }) end)
  expect("price.baseline: demand closes the SearchResult it prices by " .. c[1],
    in_use("SearchResult", "a running price.baseline"),
    function() bundle.price.baseline(res, { baskets = bk, demand = demand(res) }) end)
  local model = new_model(cat, bk)
  local bundles = setmetatable({}, { __len = function() return 1 end,
                                     __index = function(_, k) c[2](cat) return { "1", "2" } end })
  expect("price.optimize: the bundles' metamethod closes the Catalog by " .. c[1],
    in_use("Catalog", "a running price.optimize"),
    function() bundle.price.optimize(bundles, { catalog = cat, baskets = bk, demand = model }) end)
  local mb = setmetatable({}, { __len = function() return 1 end,
                                __index = function(_, k) c[2](model) return { "1", "2" } end })
  -- the bundles are read before the demand: the model is closed by then, and refused as closed
  expect("price.optimize: a metamethod closes the demand Model by " .. c[1], "or a trained model",
    function() bundle.price.optimize(mb, { catalog = cat, baskets = bk, demand = model }) end)
  for _, fn in ipairs({ "price.joint_share", "bundle_features" }) do
    local bb = setmetatable({}, { __len = function() return 1 end,
                                  __index = function(_, k) c[2](bk) return { "1", "2" } end })
    local call = fn == "bundle_features" and bundle.features.bundles or bundle.price.joint_share
    expect(("%s: the bundles' metamethod closes the Baskets by %s"):format(fn, c[1]),
      in_use("Baskets", "a running " .. fn), function() call(bb, { catalog = cat, baskets = bk }) end)
  end
  local offers = setmetatable({}, { __len = function() return 1 end,
                                    __index = function(_, k) c[2](cat) return { items = { "1", "2" }, discount = 0.1 } end })
  expect("price.portfolio: the offers' metamethod closes the Catalog by " .. c[1],
    in_use("Catalog", "a running price.portfolio"),
    function() bundle.price.portfolio(offers, { catalog = cat, baskets = bk }) end)
  local opts = setmetatable({ item = "item", price = "price", time = "price" },
                            { __index = function(_, k) c[2](f) end })
  expect("price.elasticity: the options' metamethod closes the Frame by " .. c[1],
    in_use("Frame", "a running price.elasticity"), function() bundle.price.elasticity(f, opts) end)
end

-- ---- minimize: f closes the tensor it is given ----
for _, c in ipairs(closers) do
  expect("minimize: f closes its x by " .. c[1], in_use("Tensor", "a running minimize"), function()
    bundle.optim.minimize(function(x) c[2](x) return 0, T.zeros(2) end, T.zeros(2))
  end)
end
expect("minimize: f keeps x and uses it after the call", "tensor has been closed", function()
  local kept
  bundle.optim.minimize(function(x) kept = x return (x * x):sum(), x * 2 end, T.from({ 1, 2 }), { max_iter = 3 })
  assert(kept:sum()) -- still valid: the call is over, the tensor is the script's
  kept:close()
  kept:sum()
end)

-- ---- eval: bundles, arms and exclude lists with metamethods; bandit's promote ----
for _, c in ipairs(closers) do
  local bk = new_baskets()
  local list = setmetatable({}, { __len = function() return 1 end,
                                  __index = function(_, k) c[2](bk) return { "1", "2" } end })
  if E then
    expect("backtest: the bundles' metamethod closes the Baskets by " .. c[1], in_use("Baskets", "a running backtest"),
      function() E.backtest(bk, list, {}) end)
    local arms = setmetatable({}, { __len = function() return 1 end,
                                    __index = function(_, k) c[2](bk) return { items = { "1", "2" } } end })
    expect("bandit replay: the arms' metamethod closes the Baskets by " .. c[1],
      in_use("Baskets", "a running bandit replay"), function() E.bandit_replay(bk, arms, {}) end)
  end
  local s = T.rand(3, 4)
  local excl = setmetatable({}, { __index = function(_, k) c[2](s) return nil end })
  expect("topk: the exclude list's metamethod closes the scores by " .. c[1], in_use("Tensor", "a running topk"),
    function() bundle.eval.topk(s, 2, excl) end)
  expect("bandit: promote closes the test baskets by " .. c[1], "baskets have been closed", function()
    bundle.eval.bandit { arms = { { "1", "2" }, { "2", "3" }, { "1", "3" } }, baskets = bk, rounds = 3, retire = 0.5,
                         promote = function() c[2](bk) return { { "3", "4" } } end }
  end)
end

-- ---- frames: GroupBy:agg with keys whose metamethods close the frame ----
for _, c in ipairs(closers) do
  local g = bundle.read_csv(DIR .. "/items.csv", { types = { item = "str" } })
  local gb = g:group_by("cat")
  gb.keys = setmetatable({}, { __len = function() return 1 end, __index = function() c[2](g) return "cat" end })
  expect("GroupBy:agg: the keys' metamethod closes the Frame by " .. c[1], in_use("Frame", "a running GroupBy:agg"),
    function() gb:agg { n = "count" } end)
  expect("  ... table.sort replaced by the script is not called", true, function()
    local sort = table.sort
    table.sort = function() g:close() end
    local ok, r = pcall(function() return g:group_by("cat"):agg { n = "count", total = { "sum", "price" } } end)
    table.sort = sort
    assert(ok, r)
    assert(r:nrows() == 3)
  end)
end

-- ---- mining: options whose metamethods close the baskets ----
for _, c in ipairs(closers) do
  local bk = new_baskets()
  expect("frequent: the options' metamethod closes the Baskets by " .. c[1], in_use("Baskets", "a running Baskets:frequent"),
    function() bk:frequent(setmetatable({ min_count = 2 }, { __index = function() c[2](bk) end })) end)
  expect("rules: the options' metamethod closes the Baskets by " .. c[1], in_use("Baskets", "a running Baskets:rules"),
    function() bk:rules(setmetatable({ min_count = 2 }, { __index = function() c[2](bk) end })) end)
end

-- ---- any method: a metamethod of another argument closes self ----
-- (no explicit pin: the close sees the method below it on the stack)
for _, c in ipairs(closers) do
  local t = T.from({ { 1, 2 }, { 3, 4 } })
  expect("Tensor:sum: the options' __index closes the tensor by " .. c[1], "close: the Tensor is in use by a running call (",
    function() t:sum(setmetatable({}, { __index = function() c[2](t) end })) end)
  expect("Tensor:index: the ids' __len closes the tensor by " .. c[1], "close: the Tensor is in use by a running call (",
    function() t:index(setmetatable({}, { __len = function() c[2](t) return 1 end, __index = function() return 1 end })) end)
  expect("  ... the tensor is whole and closes afterwards", true, function() assert(t:sum() == 10) t:close() end)
  local g = bundle.read_csv(DIR .. "/items.csv", { types = { item = "str" } })
  expect("Frame:select: the names' __index closes the frame by " .. c[1], "close: the Frame is in use by a running call (",
    function()
      g:select(setmetatable({}, { __len = function() return 1 end, __index = function() c[2](g) return "price" end }))
    end)
  local col = g:col("cat")
  expect("Column:isin: the list's __index closes the column by " .. c[1], "close: the Column is in use by a running Column:isin",
    function() col:isin(setmetatable({}, { __len = function() return 1 end, __index = function() c[2](col) return "a" end })) end)
  expect("  ... a Column outlives its Frame's close", true, function() g:close() assert(col:get(1) == "a") end)
end

-- ---- derived objects after their parent's close ----
for _, c in ipairs(closers) do
  local cat, bk = new_catalog(), new_baskets()
  local its = bk:frequent { min_count = 2 }
  local rules = bk:rules { min_count = 2, min_confidence = 0.1 }
  local res = bundle.search { catalog = cat, baskets = bk, size = { 2, 3 }, objective = "lift", top = 3 }
  local multi = bundle.search { catalog = cat, baskets = bk, size = { 2, 2 }, objectives = { a = "lift", b = "revenue" } }
  c[2](bk)
  c[2](cat)
  expect("Baskets used after close (" .. c[1] .. ")", "baskets have been closed", function() return bk:size() end)
  expect("Catalog used after close (" .. c[1] .. ")", "catalog has been closed", function() return cat:size() end)
  expect("Itemsets after their Baskets' close (" .. c[1] .. "): labels, frame, sort, top", true, function()
    assert(#its > 0 and #its:get(1).items > 0)
    assert(its:to_frame():nrows() == #its)
    assert(#its:sort("size"):get(1).items > 0 and its:top(2):get(1).count > 0)
    for _, s in its:iter() do assert(s.items[1]) end
  end)
  expect("Rules after their Baskets' close (" .. c[1] .. "): labels, match, frame", true, function()
    assert(#rules > 0 and rules:get(1).lhs[1])
    local m = rules:match({ "1", "2" }) -- Rules (it was a plain list): usable after the Baskets' close
    assert(m:to_frame():nrows() == #m)
    assert(rules:to_frame():nrows() == #rules)
  end)
  expect("SearchResult after its Catalog's close (" .. c[1] .. "): labels, frame, pareto", true, function()
    for _, b in res:iter() do assert(b.items[1]) end
    assert(res:to_frame():nrows() == #res)
    assert(#multi:pareto { "a", "b" } > 0)
  end)
  expect("search over Itemsets whose Baskets were closed (" .. c[1] .. ")", true, function()
    assert(#bundle.search { catalog = new_catalog(), pool = its, size = { 2, 3 }, objective = "support", top = 2 } > 0)
  end)
  expect("pricing a SearchResult whose Catalog was closed (" .. c[1] .. ")", true, function()
    assert(#bundle.price.optimize(res, { baskets = new_baskets() }) == #res)
  end)
  -- the children go: collected, or closed, then used
  its:close()
  expect("Itemsets used after close", "itemsets have been closed", function() return its:get(1) end)
  rules:close()
  expect("Rules used after close", "rules have been closed", function() return rules:get(1) end)
  res:close()
  expect("SearchResult used after close", "result has been closed", function() return res:to_frame() end)
  expect("a closed SearchResult as price.optimize's bundles", "option 'catalog' must be", function()
    bundle.price.optimize(res, { baskets = new_baskets() })
  end)
  multi = nil
  collectgarbage() collectgarbage()
end

print(("cases: %d, failed: %d"):format(cases, failed))
if failed > 0 then os.exit(1) end
