#!/bin/sh
# A header of 200,000 columns (1.9 MB) is read, or its duplicate name
# reported, in well under 2 s: the duplicate check is a hash table, not a
# pairwise comparison (65 s before), and a column's buffer starts small
# (64 KiB a column was 860 MB here).
. "$(dirname "$0")/lib.sh"
awk 'BEGIN { for (i = 1; i <= 200000; i++) printf "%sc%d", (i > 1 ? "," : ""), i; printf "\n";
             for (i = 1; i <= 200000; i++) printf "%s%d", (i > 1 ? "," : ""), i % 10; printf "\n" }' >"$T/wide.csv"
awk 'BEGIN { for (i = 1; i <= 200000; i++) printf "%sc%d", (i > 1 ? "," : ""), i; printf ",c7\n";
             for (i = 1; i <= 200001; i++) printf "%s1", (i > 1 ? "," : ""); printf "\n" }' >"$T/dup.csv"

# ASan makes every allocation (200,000 columns: a few each) 2-3x slower
# Linear is the point (the quadratic check took 63 s); the limits leave room
# for a loaded machine, ASan most of all.
case "$BUILD" in *asan*) limit=10 ;; *) limit=4 ;; esac
run --timeout 20 -e "local f = require('bundle').read_csv('$T/wide.csv') print(f:ncols(), f:nrows())"
expect_rc 0 "200,000 distinct columns are read"
within $limit "  ... in under $limit s (start-up and exit included)"
has "$T/out" "200000	1" "  ... all of them, one row"

run --timeout 20 -e "require('bundle').read_csv('$T/dup.csv')"
expect_rc 1 "a duplicate name at the end of 200,000 is an error"
within $limit "  ... found in under $limit s"
has "$T/err" "column name 'c7' appears twice (columns 7 and 200001)" "  ... naming the column and both places"
# every frame made from a wide one checks its names the same way: select of
# all 200,000 names compared every pair (and scanned the names once per
# lookup), minutes in one call; now linear (H33)
run --timeout 20 -e "local f = require('bundle').read_csv('$T/wide.csv')
local g = f:select(f:names()) print(g:ncols(), g:names()[200000])
print(pcall(f.select, f, { 'c1', 'c2', 'c1' }))"
expect_rc 0 "select of all 200,000 columns"
within $limit "  ... in under $limit s"
has "$T/out" "200000	c200000" "  ... all of them, in order"
has "$T/out" "false	frame: column name 'c1' appears twice" "  ... and a name selected twice is still an error"
# concat_frames looked each column up by a scan in every frame: 200 frames
# of 5,000 columns were 24 s in one call; now the column at the same place
# is taken when it has the name (H33)
awk 'BEGIN { for (i = 1; i <= 5000; i++) printf "%sc%d", (i > 1 ? "," : ""), i; printf "\n";
             for (i = 1; i <= 5000; i++) printf "%s%d", (i > 1 ? "," : ""), i % 10; printf "\n" }' >"$T/w5k.csv"
run --timeout 20 -e "local b = require 'bundle'
local f = b.read_csv('$T/w5k.csv')
local g, list = f, {}
for i = 1, 200 do list[i] = g end
local c = b.concat_frames(list) print(c:nrows(), c:ncols(), c:col('c4999'):get(200))
local h = f:select({ 'c2', 'c1' }) local k = b.concat_frames({ f:select({ 'c1', 'c2' }), h })
print(k:col('c1'):get(2), k:col('c2'):get(2))"
expect_rc 0 "concat_frames of 200 frames of 5,000 columns"
within $limit "  ... in under $limit s"
has "$T/out" "200	5000	9" "  ... all rows and columns"
has "$T/out" "1	2" "  ... and columns in another order still matched by name"
finish
