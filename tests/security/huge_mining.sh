#!/bin/sh
# Mining with a tiny support on dense baskets finds billions of itemsets.
# Every itemset the core keeps (counts, items, offsets, the miner's arena)
# is taken from the memory budget, so under --max-memory 100 the run stops
# as out of memory (exit 4), fast, with a message naming the limit, at a
# peak RSS of at most the limit + 32 MB. (Before, the budget saw 251 KB of
# a 652 MB peak.)
. "$(dirname "$0")/lib.sh"
# 3000 baskets of 22 items out of 30: every basket holds 4 million subsets
awk 'BEGIN { srand(5); for (k = 0; k < 3000; k++) { l = ""; for (j = 0; j < 22; j++) l = l " " int(1 + rand() * 30); print l } }' >"$T/dense.dat"
mine="local b = require('bundle').read_baskets('$T/dense.dat')
local s = b:frequent({ min_count = 1, max_itemsets = 1e9 })
print('finished', #s)"

run_rss --sandbox --allow-read "$T" --max-memory 100 -e "$mine"
expect_rc 4 "--sandbox --max-memory 100: mining billions of itemsets stops as out of memory"
within 20 "  ... in time"
lacks "$T/out" "finished" "  ... before it finished"
has "$T/err" "memory limit of 100 MB reached" "  ... and says why"
peak_within 132 "  ... within the limit + 32 MB"

run_rss --max-memory 100 -e "$mine"
expect_rc 4 "--max-memory 100 without --sandbox: the same"
has "$T/err" "memory limit of 100 MB reached" "  ... and says why"
peak_within 132 "  ... within the limit + 32 MB"

# in process: sandbox.run's memory limit, caught as an error by the host
run --timeout 20 -e "print(pcall(require('bundle').sandbox.run, [[$mine]], { read = { '$T' }, memory = 100 }))"
has "$T/out" "sandbox.run: memory:" "sandbox.run with memory = 100: a memory error"
finish
