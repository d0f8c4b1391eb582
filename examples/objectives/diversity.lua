-- diversity.lua: a diversity-seeking objective. Online Retail stock codes
-- share their first three digits within a product family (22726, 22727,
-- 22728 are one alarm clock in three colours); bundles across families
-- score higher, so the list is not ten colour variants of one product.
--   bundlerun examples/pipeline.lua --objective examples/objectives/diversity.lua
-- (value(b): the default objective, expected incremental profit per visitor)
return function(b, _, value)
  local families, n = {}, 0
  for _, it in ipairs(b.items) do
    local fam = it:sub(1, 3)
    if not families[fam] then families[fam] = true; n = n + 1 end
  end
  local spread = n / b:size()  -- 1 when every item is from another family
  local v = value(b)
  return v > 0 and v * spread ^ 2 or v
end
