-- Itemsets and rules written to CSV read back equal, whatever their item
-- names hold: commas, quotes, spaces, backslashes, brackets, separators.
local bundle = require "bundle"
local files = require "spec_files"

local NAMES = { 'salt, fine', 'say "hi"', '  spaced  out ', [[back\slash]], '[1,2]', 'a|b;c', 'plain', 'ünïcode' }

local function csv_field(s) return '"' .. s:gsub('"', '""') .. '"' end

local function baskets()
  local dir = files.tmpdir()
  local lines = { "basket,item" }
  math.randomseed(7)
  for b = 1, 30 do
    for i, name in ipairs(NAMES) do
      if math.random() < 0.5 or (i <= 2 and b % 3 == 0) then lines[#lines + 1] = b .. "," .. csv_field(name) end
    end
  end
  files.write(dir .. "/lines.csv", table.concat(lines, "\n") .. "\n")
  local frame = bundle.read_csv(dir .. "/lines.csv", { types = { item = "str" } })
  return bundle.baskets(frame, { basket = "basket", item = "item" }), dir
end

describe("CSV round trip", function()
  it("itemsets: every name and count comes back", function()
    local bk, dir = baskets()
    local sets = bk:frequent{ min_count = 3, max_size = 3 }
    assert.is_true(#sets > 20)
    sets:write_csv(dir .. "/sets.csv")
    local back = bundle.read_itemsets(dir .. "/sets.csv")
    assert.are.equal(#sets, #back)
    for k, s in sets:iter() do
      assert.are.same(s.items, back[k].items)
      assert.are.equal(s.count, back[k].count)
      assert.are.equal(#s.items, back[k].size)
      assert.are.equal(s.support, back[k].support)
    end
    os.execute("rm -rf " .. dir)
  end)

  it("rules: both sides and the measures come back", function()
    local bk, dir = baskets()
    local rules = bk:rules{ min_count = 3, min_confidence = 0.3, max_size = 3 }
    assert.is_true(#rules > 20)
    rules:write_csv(dir .. "/rules.csv")
    local back = bundle.read_rules(dir .. "/rules.csv")
    assert.are.equal(#rules, #back)
    local seen = {}
    for k, r in rules:iter() do
      assert.are.same(r.lhs, back[k].lhs)
      assert.are.same(r.rhs, back[k].rhs)
      assert.are.equal(r.confidence, back[k].confidence)
      assert.are.equal(r.lift, back[k].lift)
      assert.are.equal(r.count, back[k].count)
      for _, x in ipairs(r.lhs) do seen[x] = true end
    end
    assert.is_true(seen['salt, fine'] and seen['say "hi"'] and seen['  spaced  out '] and seen[ [[back\slash]] ])
    os.execute("rm -rf " .. dir)
  end)

  it("read_rules gives Rules back: sort, head, filter, lhs_has, match and printing work after the trip", function()
    local bk, dir = baskets()
    local rules = bk:rules{ min_count = 3, min_confidence = 0.3, max_size = 3 }
    rules:write_csv(dir .. "/rules.csv")
    local back = bundle.read_rules(dir .. "/rules.csv")
    assert.is_true(bundle.is_rules == nil or bundle.is_rules(back))
    assert.are.equal(#rules, #back)
    assert.are.equal(tostring(rules), tostring(back))
    local a, b = rules:sort{ by = "confidence" }:head(5), back:sort{ by = "confidence" }:head(5)
    assert.are.equal(5, #b)
    for k = 1, 5 do
      assert.are.same(a:get(k).lhs, b:get(k).lhs)
      assert.are.same(a:get(k).rhs, b:get(k).rhs)
      assert.are.equal(a:get(k).confidence, b:get(k).confidence)
    end
    local fa = rules:filter(function(r) return r.lift > 1.2 end)
    local fb = back:filter(function(r) return r.lift > 1.2 end)
    assert.are.equal(#fa, #fb)
    assert.are.equal(#rules:lhs_has{ "salt, fine" }, #back:lhs_has{ "salt, fine" })
    assert.is_true(#back:lhs_has{ "salt, fine" } > 0)
    assert.are.equal(#rules:match{ "salt, fine", "plain" }, #back:match{ "salt, fine", "plain" })
    assert.are.equal(#rules:prune_redundant(), #back:prune_redundant())
    -- written again, the file is the same
    back:write_csv(dir .. "/again.csv")
    assert.are.equal(files.slurp(dir .. "/rules.csv"), files.slurp(dir .. "/again.csv"))
    os.execute("rm -rf " .. dir)
  end)

  it("read_rules takes a hand-made file: missing measures are NaN, a bad rule is an error naming it", function()
    local dir = files.tmpdir()
    files.write(dir .. "/hand.csv", 'lhs,rhs,lift\n"salt\\, fine,oil",pepper,2.5\n')
    local r = bundle.read_rules(dir .. "/hand.csv")
    assert.are.equal(1, #r)
    local rec = r:get(1)
    assert.are.same({ "salt, fine", "oil" }, rec.lhs)
    assert.are.equal(2.5, rec.lift)
    assert.is_true(rec.count ~= rec.count and rec.confidence ~= rec.confidence)
    assert.are.equal('bundle.Rules: 1 rules over 0 baskets\n{"salt, fine", oil} => {pepper}  support nan  confidence nan'
      .. '  lift 2.5  count nan', tostring(r))
    files.write(dir .. "/bad.csv", 'lhs,rhs\n"[]","[""a""]"\n')
    local ok, e = pcall(bundle.read_rules, dir .. "/bad.csv")
    assert.is_false(ok)
    assert.truthy(tostring(e):find("read_rules: " .. dir .. "/bad.csv: rules: rule 1 has an empty side", 1, true), e)
    os.execute("rm -rf " .. dir)
  end)

  it("split_items decodes one field and names what is wrong", function()
    assert.are.same({ "a", 'b, "c"', "\n" }, bundle.split_items([==[ [ "a" , "b, \"c\"","\u000a"] ]==]))
    assert.are.same({}, bundle.split_items("[]"))
    assert.has_error(function() bundle.split_items('["a"') end)
    assert.has_error(function() bundle.split_items('["a" "b"]') end, [[split_items: expected ',' or ']' at offset 6 of '["a" "b"]']])
    -- to_frame's escaped list: a backslash before ',' and '\' in a label, and before a '[' starting the field
    assert.are.same({ "a", "b" }, bundle.split_items("a,b"))
    assert.are.same({ "salt, fine", "oil" }, bundle.split_items([[salt\, fine,oil]]))
    assert.are.same({ [[back\slash]], "[1,2]", "  x " }, bundle.split_items([[back\\slash,[1\,2],  x ]]))
    assert.are.same({ "[1,2]" }, bundle.split_items("\\[1\\,2]"))
    assert.are.same({ "" }, bundle.split_items(""))
  end)

  it("to_frame's lists split back exactly after Frame:write_csv and read_csv", function()
    local bk, dir = baskets()
    local rules = bk:rules{ min_count = 3, min_confidence = 0.3, max_size = 3 }
    rules:to_frame():write_csv(dir .. "/frame.csv")
    local f = bundle.read_csv(dir .. "/frame.csv", { types = { lhs = "str", rhs = "str" } })
    local lhs, rhs = f:col("lhs"):totable(), f:col("rhs"):totable()
    local seen = {}
    for k, r in rules:iter() do
      assert.are.same(r.lhs, bundle.split_items(lhs[k]))
      assert.are.same(r.rhs, bundle.split_items(rhs[k]))
      for _, x in ipairs(r.lhs) do seen[x] = true end
    end
    -- every awkward name went through, the JSON-looking one included
    for _, name in ipairs(NAMES) do assert.is_true(seen[name] == true, name) end
    -- and read_rules reads such a file as it reads write_csv's
    local back = bundle.read_rules(dir .. "/frame.csv")
    assert.are.same(rules:get(1).lhs, back:get(1).lhs)
    local sets = bk:frequent{ min_count = 3, max_size = 3 }
    sets:to_frame():write_csv(dir .. "/sets.csv")
    local items = bundle.read_csv(dir .. "/sets.csv", { types = { items = "str" } }):col("items"):totable()
    for k, s in sets:iter() do assert.are.same(s.items, bundle.split_items(items[k])) end
    os.execute("rm -rf " .. dir)
  end)
end)

describe("item names (bundle.baskets' name option)", function()
  -- codes with descriptions: names holding commas, quotes and the separator
  local DESC = { A1 = 'salt, fine', B2 = 'say "hi"', C3 = [[back\slash]], D4 = "[1,2] tins", E5 = "plain" }
  local function named()
    local dir = files.tmpdir()
    local lines = { "basket,code,description" }
    local codes = { "A1", "B2", "C3", "D4", "E5" }
    for b = 1, 24 do
      for i, c in ipairs(codes) do
        if (b + i) % 3 ~= 0 or i <= 2 then lines[#lines + 1] = ("%d,%s,%s"):format(b, c, csv_field(DESC[c])) end
      end
    end
    files.write(dir .. "/lines.csv", table.concat(lines, "\n") .. "\n")
    local frame = bundle.read_csv(dir .. "/lines.csv")
    return bundle.baskets(frame, { basket = "basket", item = "code", name = "description" }), dir
  end

  it("prints descriptions instead of codes, and keeps codes as the items", function()
    local bk, dir = named()
    assert.truthy(tostring(bk):find('{"salt, fine", "say ""hi"""', 1, true), tostring(bk))
    assert.is_nil(tostring(bk):find("A1", 1, true))
    local sets = bk:frequent{ min_count = 3, max_size = 2 }
    assert.truthy(tostring(sets):find('"salt, fine"', 1, true))
    local rules = bk:rules{ min_count = 3, min_confidence = 0.1, max_size = 2 }
    local text = tostring(rules)
    assert.truthy(text:find(" => ", 1, true) and text:find('"salt, fine"', 1, true), text)
    assert.is_nil(text:find("A1", 1, true))
    -- the items themselves stay the codes; records carry the names beside them
    local r = rules:get(1)
    assert.truthy(DESC[r.lhs[1]], r.lhs[1])
    for k, rule in rules:iter() do
      for i, c in ipairs(rule.lhs) do assert.are.equal(DESC[c], rule.lhs_names[i]) end
      for i, c in ipairs(rule.rhs) do assert.are.equal(DESC[c], rule.rhs_names[i]) end
    end
    for _, set in sets:iter() do
      for i, c in ipairs(set.items) do assert.are.equal(DESC[c], set.names[i]) end
    end
    -- and filter's function sees them
    assert.is_true(#rules:filter(function(rule) return rule.rhs_names[1] == "salt, fine" end) > 0)
    -- the time split and other filters keep the names
    os.execute("rm -rf " .. dir)
  end)

  it("adds name columns to to_frame, which split back exactly and read back", function()
    local bk, dir = named()
    local sets = bk:frequent{ min_count = 3, max_size = 3 }
    local f = sets:to_frame()
    assert.are.same({ "items", "size", "count", "support", "names" }, f:names())
    local items, names = f:col("items"):totable(), f:col("names"):totable()
    for k = 1, #items do
      local codes, descs = bundle.split_items(items[k]), bundle.split_items(names[k])
      assert.are.equal(#codes, #descs)
      for i, c in ipairs(codes) do assert.are.equal(DESC[c], descs[i]) end
    end
    local rules = bk:rules{ min_count = 3, min_confidence = 0.1, max_size = 3 }
    local rf = rules:to_frame()
    local cols = rf:names()
    assert.are.same({ "lhs_names", "rhs_names" }, { cols[#cols - 1], cols[#cols] })
    rules:write_csv(dir .. "/rules.csv")
    local back = bundle.read_rules(dir .. "/rules.csv")
    for k, r in rules:iter() do
      local rec = back:get(k)
      assert.are.same(r.lhs, rec.lhs)
      assert.are.same(r.rhs, rec.rhs)
    end
    -- the names came back with the rules: printed as before the trip
    assert.are.equal(tostring(rules), tostring(back))
    assert.truthy(tostring(back):find('"salt, fine"', 1, true))
    -- a baskets' name column must exist
    local frame = bundle.read_csv(dir .. "/rules.csv")
    assert.has_error(function() bundle.baskets(frame, { basket = "lhs", item = "rhs", name = "nope" }) end)
    os.execute("rm -rf " .. dir)
  end)
end)

describe("read_baskets", function()
  local function file(text)
    local path = os.tmpname()
    files.write(path, text)
    return path
  end

  it("reads item names, quoted or not, with any separator, and keeps them", function()
    local path = file('salt, "fine, oil"\n"say ""hi""",  a b ,\n\n007\n')
    local bk = bundle.read_baskets(path, { sep = "," })
    assert.are.equal(4, bk:size())
    assert.are.same({ "fine, oil", "salt" }, (function() local t = bk:items(1); table.sort(t); return t end)())
    local two = bk:items(2); table.sort(two)
    assert.are.same({ "a b", 'say "hi"' }, two)
    assert.are.same({}, bk:items(3))
    assert.are.same({ "007" }, bk:items(4)) -- names stay text; integers would be "7"
    assert.are.equal('bundle.Baskets: 4 baskets, 5 items, 1.25 items a basket\n[1] {salt, "fine, oil"}\n'
      .. '[2] {"say ""hi""", a b}\n[3] {}\n[4] {007}', tostring(bk))
    os.remove(path)
  end)

  it("detects names or integers, and takes items = to say which", function()
    local names = file("salt pepper\noil salt\n")
    local ints = file("1 2\n007 1\n")
    assert.are.same({ "pepper", "salt" }, (function() local t = bundle.read_baskets(names):items(1); table.sort(t); return t end)())
    assert.are.same({ "1", "7" }, bundle.read_baskets(ints):items(2))
    assert.are.same({ "1", "007" }, bundle.read_baskets(ints, { items = "names" }):items(2)) -- ids by first appearance
    assert.has_error(function() bundle.read_baskets(names, { items = "integers" }) end,
                     names .. ":1: item 'salt' is not an integer")
    assert.has_error(function() bundle.read_baskets(names, { items = "words" }) end,
                     "read_baskets: unknown items 'words' (auto, names, integers)")
    local bad = file('a "b\n')
    assert.has_error(function() bundle.read_baskets(bad) end, bad .. ":1: a quoted name is not closed on its line")
    os.remove(names); os.remove(ints); os.remove(bad)
  end)
end)
