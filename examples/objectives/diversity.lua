-- diversity.lua: a diversity-seeking objective. Online Retail stock codes
-- share their first three digits within a product family (22726, 22727,
-- 22728 are one alarm clock in three colours); bundles across families
-- score higher, so the list is not ten colour variants of one product.
--   bundlerun examples/pipeline.lua --objective examples/objectives/diversity.lua
return function(b, attach)
  local families, n = {}, 0
  for _, it in ipairs(b.items) do
    local fam = it:sub(1, 3)
    if not families[fam] then families[fam] = true; n = n + 1 end
  end
  local spread = n / b:size()  -- 1 when every item is from another family
  return attach(b) ^ 2 * b:support() * (b:price() - b:cost()) * spread ^ 2
end
