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
