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

  it("split_items decodes one field and names what is wrong", function()
    assert.are.same({ "a", 'b, "c"', "\n" }, bundle.split_items([==[ [ "a" , "b, \"c\"","\u000a"] ]==]))
    assert.are.same({}, bundle.split_items("[]"))
    assert.has_error(function() bundle.split_items("a,b") end, "split_items: expected '[' at offset 1 of 'a,b'")
    assert.has_error(function() bundle.split_items('["a"') end)
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
