#!/bin/sh
# A search asked for every bundle it finds (a huge `top`) keeps millions of
# results. The collector, the result and the search's scratch are taken
# from the memory budget, and the top-k store grows as bundles come rather
# than to `top` at once, so under --max-memory 100 the run stops as out of
# memory (exit 4) at a peak RSS of at most the limit + 32 MB, while the
# same search with a modest top finishes within the limit. (Before, 5.8M
# results under a 200 MB cap peaked at 774 MB.)
. "$(dirname "$0")/lib.sh"
awk 'BEGIN { print "item,price,cost"; for (i = 1; i <= 120; i++) print i "," (1 + i % 17) "," (i % 5) }' >"$T/cat.csv"
# 4000 baskets of 12 items out of 120: 1.8 million bundles of 2 to 4 items seen together
awk 'BEGIN { srand(3); for (k = 0; k < 4000; k++) { l = ""; for (j = 0; j < 12; j++) l = l " " int(1 + rand() * 120); print l } }' >"$T/b.dat"
search() {
  echo "local bundle = require 'bundle'
local cat = bundle.catalog(bundle.read_csv('$T/cat.csv'), { item = 'item', price = 'price', cost = 'cost' })
local b = bundle.read_baskets('$T/b.dat')
local r = bundle.search{ catalog = cat, baskets = b, size = {2, 4}, top = $1, objective = 'support', min_count = 1 }
print('finished', #r)"
}

run_rss --sandbox --allow-read "$T" --max-memory 100 -e "$(search 1e8)"
expect_rc 4 "--sandbox --max-memory 100: a search keeping every bundle stops as out of memory"
within 20 "  ... in time"
lacks "$T/out" "finished" "  ... before it finished"
has "$T/err" "memory limit of 100 MB reached" "  ... and says why"
peak_within 132 "  ... within the limit + 32 MB"

run_rss --max-memory 100 -e "$(search 1e8)"
expect_rc 4 "--max-memory 100 without --sandbox: the same"
has "$T/err" "search: out of memory keeping the best" "  ... and says where"
peak_within 132 "  ... within the limit + 32 MB"

# a large top is not memory taken up front: 300k of the 1.8M fit
run_rss --sandbox --allow-read "$T" --max-memory 100 -e "$(search 3e5)"
expect_rc 0 "--max-memory 100: the same search with top = 300000 finishes"
has "$T/out" "finished	300000" "  ... with 300000 bundles"
peak_within 132 "  ... within the limit + 32 MB"
finish
