#!/bin/sh
# Huge option values through the Lua entry points. Options read as C ints
# were cast: depth = 2^63 - 1 became -1 (and then the default), 2^32 + 5
# became 5. A sketch width of 2^63 - 1 looped for ever in the core's
# power-of-two rounding, and annealing with 2^63 iterations over a small
# pool never polled the deadline (a move that scores nothing skipped the
# check), so sandbox.run, which has no watchdog, never returned. Each must
# end in a clear error or at the time limit, in-process.
. "$(dirname "$0")/lib.sh"
printf 'basket,item\n1,a\n1,b\n2,a\n2,c\n3,b\n3,c\n' >"$T/o.csv"
printf 'item,price,cost\na,1,0.5\nb,2,1\nc,3,1\n' >"$T/cat.csv"
cat >"$T/attack.lua" <<LUA
local b = require 'bundle'
local M = math.maxinteger
local function try(name, f, ...) print(name, pcall(f, ...)) end
try("depth", b.counts, { mode = "sketch", decay = 1, depth = M })
try("width", b.counts, { mode = "sketch", decay = 1, width = M })
try("wrap", b.counts, { max_size = 2^32 + 2 })
local bk = b.baskets(b.read_csv("$T/o.csv"), { basket = "basket", item = "item" })
local cat = b.catalog(b.read_csv("$T/cat.csv"), { item = "item", price = "price", cost = "cost" })
try("anneal", b.search, { catalog = cat, baskets = bk, size = { 2, 3 }, method = "anneal", iterations = M, objective = "support" })
LUA
run --timeout 20 -e "local b = require 'bundle'
print('host', pcall(b.sandbox.run, assert(io.open('$T/attack.lua')):read('a'), { read = { '$T' }, timeout = 1 }))"
expect_rc 0 "sandbox.run: every huge value ends, with no watchdog to kill it"
within 6 "  ... in time"
has "$T/out" "depth	false	counts: option 'depth' is out of range (9223372036854775807; it must fit in" "  ... depth = 2^63 - 1 is out of range, not -1"
has "$T/out" "width	false	counts: width must be at most 2^32 counters a row" "  ... width = 2^63 - 1 is refused, not looped on"
has "$T/out" "wrap	false	counts: option 'max_size' is out of range (4294967298;" "  ... 2^32 + 2 does not wrap to 2"
has "$T/out" "host	false	sandbox.run: timeout: the script ran past its limit of 1.0 s (search stopped: the time limit passed" \
  "  ... annealing 2^63 iterations stops at the deadline (the script cannot go on past it)"
finish
