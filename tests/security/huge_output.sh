#!/bin/sh
# Arrays the core hands back to its caller (co-occurrence pairs, rule
# matches, a Pareto front, ALS factors, a tensor's text) are charged to the
# memory budget while held (bundle/memory.h, br_alloc_out and br_free_out).
# Before, each block was only checked alone, so 4.5M pairs under
# --max-memory 100 grew three uncounted arrays to 128 MB and peaked at
# 147 MB RSS before failing with a bare "not enough memory"; now the run
# stops at the limit (exit 4) naming the call, within the limit + 32 MB,
# while a smaller output under the same limit finishes.
. "$(dirname "$0")/lib.sh"
# every pair of 3000 items, in 6 baskets: 4.5 million pairs
awk 'BEGIN { for (k = 0; k < 6; k++) { l = ""; for (j = 1; j <= 3000; j++) l = l " " j; print l } }' >"$T/big.dat"
awk 'BEGIN { for (k = 0; k < 6; k++) { l = ""; for (j = 1; j <= 600; j++) l = l " " j; print l } }' >"$T/small.dat"
pairs() {
  echo "local bundle = require 'bundle'
local f = bundle.read_baskets('$T/$1.dat'):cooccurrence{ min_count = 1 }
print('finished', f:nrows())"
}

run_rss --sandbox --allow-read "$T" --max-memory 100 -e "$(pairs big)"
expect_rc 4 "--sandbox --max-memory 100: 4.5M co-occurring pairs stop as out of memory"
lacks "$T/out" "finished" "  ... before they were all made"
has "$T/err" "cooccurrence: out of memory: baskets: memory limit of 100 MB reached" "  ... naming the call and the limit"
peak_within 132 "  ... within the limit + 32 MB"

run_rss --max-memory 100 -e "$(pairs big)"
expect_rc 4 "--max-memory 100 without --sandbox: the same"
peak_within 132 "  ... within the limit + 32 MB"

run_rss --sandbox --allow-read "$T" --max-memory 100 -e "$(pairs small)"
expect_rc 0 "--max-memory 100: 180k pairs finish"
has "$T/out" "finished	179700" "  ... all of them"
finish
