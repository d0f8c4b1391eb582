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
# sandbox.run's results are copied into the caller after the run: copies
# are not shared, so 60,000 references to one 4 KB string (1 MB in the
# script) were 231 MB in the caller from a run limited to 16 MB, and a
# table that holds itself twice, 20 levels deep, a million tables. The
# copy's estimated size must fit in the run's memory limit too.
cat >"$T/amp.lua" <<'LUA'
local sb = require("bundle").sandbox
print("strings", pcall(sb.run, [[ local s = ("x"):rep(4000) local t = {} for i = 1, 60000 do t[i] = s end return t ]], { memory = 16 }))
print("tables", pcall(sb.run, [[ local t = {} for i = 1, 20 do t = { t, t } end return t ]], { memory = 16 }))
print("fits", pcall(sb.run, [[ local s = ("x"):rep(4000) local t = {} for i = 1, 1000 do t[i] = s end return #t ]], { memory = 16 }))
LUA
run_rss --timeout 20 "$T/amp.lua"
expect_rc 0 "sandbox.run: results larger than the run's memory limit"
has "$T/out" "strings	false	sandbox.run: result[1][" "  ... shared strings fail to cross"
has "$T/out" "is past the run's memory limit of 16 MB" "  ... naming the limit"
has "$T/out" "tables	false	sandbox.run: result[1]" "  ... shared tables fail to cross"
has "$T/out" "fits	true	1000" "  ... a result within the limit crosses"
peak_within 120 "  ... and the caller stays small"
# XGBoost allocates with its own malloc: a GBDT fit on 1e6 x 10 held
# 160 MB there unseen, 272 MB peak RSS under --max-memory 150 and exit 0.
# Its blocks are now reserved from the budget for the call (gbdt.c).
if "$BUNDLERUN" -e 'os.exit(require("bundle").model.gbdt_available and 0 or 1)'; then
  gb='local b = require "bundle"
local X, y = b.tensor.rand(1000000, 10, { seed = 1 }), b.tensor.rand(1000000, { seed = 2 })
b.model.gbdt{ trees = 5, depth = 6 }:fit(X, y) print("finished")'
  run_rss --sandbox --timeout 60 --max-memory 150 -e "$gb"
  expect_rc 4 "--sandbox --max-memory 150: a GBDT fit whose XGBoost blocks pass the limit"
  has "$T/err" "gbdt: fit" "  ... naming the fit"
  peak_within 182 "  ... within the limit + 32 MB"
else ok "gbdt: skipped (no XGBoost in this build)"; fi
finish
