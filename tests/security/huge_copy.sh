#!/bin/sh
# One Lua instruction or C call that copies hundreds of MB (s .. s,
# table.concat, string.format("%s"), s:sub(2), a binding's
# lua_pushlstring) cannot be stopped half way, and in a loop of them
# bundle.sandbox.run (no watchdog) ran 1-2 s past its limit: on a VM,
# faulting in the fresh pages of a 512 MB result took 1.6-2.7 s, the copy
# 0.1 s. Under a deadline the allocator now faults a big block in itself,
# a MiB at a time with the clock read between, and past the deadline
# refuses it: the run ends as the timeout (never as memory) within
# timeout + 1 s. A refusal by the memory cap that Lua's emergency
# collection made good no longer counts as the cap reached (a loop that
# finished exited 4).
. "$(dirname "$0")/lib.sh"
for op in "s .. s .. s .. s" "table.concat({ s, s, s, s })" "('%s%s%s%s'):format(s, s, s, s)" "(s .. s .. s .. s):sub(2)"; do
  run_box "local s = ('x'):rep(2^27) while true do local t = $op end" "{ timeout = 1.5, memory = 1500 }"
  expect_rc 0 "sandbox.run: 512 MB results, $op in a loop"
  has "$T/out" "host	false	sandbox.run: timeout: the script ran past its limit of 1.5 s" "  ... stops as the timeout"
  within 2.5 "  ... within timeout + 1 s"
done

# the host's own cap (no cap of the run's): the timeout is still the run's
# result, and the host, which caught it, ends cleanly
run --timeout 30 --max-memory 1000 -e "local b = require 'bundle'
print('host', pcall(b.sandbox.run, [[ local s = ('x'):rep(2^27) while true do local t = s .. s end ]], { timeout = 0.5 }))"
expect_rc 0 "sandbox.run under --max-memory 1000: the host ends cleanly"
has "$T/out" "host	false	sandbox.run: timeout: the script ran past its limit of 0.5 s" "  ... and the run's result is the timeout"

# in process under --max-memory (a counting state): exit 3, not 4
run_rss --timeout 1 --max-memory 600 -e "local s = ('x'):rep(2^27) while true do local t = s .. s end"
expect_rc 3 "--timeout 1 --max-memory 600: a loop of 256 MB concatenations"
# the whole process's time: ASan's start and teardown (its shadow memory) take seconds more
case "$BUILD" in *asan*) slack=4 ;; *) slack=2.5 ;; esac
within $slack "  ... within timeout + 1 s (+ the start)"
peak_within 632 "  ... under the cap"

# a loop that the emergency collection keeps under the cap finishes: exit 0
run --max-memory 100 -e "local s = ('x'):rep(2^24) for i = 1, 4 do local t = s .. s .. s .. s .. s end print('done')"
expect_rc 0 "--max-memory 100: 80 MB results, collected as they go"
has "$T/out" "done" "  ... the script reached its end"
lacks "$T/err" "was reached" "  ... and no cap reached is reported"

# results copied out past the run's deadline: six 64 MB tensors built just
# inside the limit and returned took the caller 0.7 s more of page faults
# (eight 128 MB ones, 5 s); the copy now stops at the run's deadline too
run_box "local B = require('bundle') local st = B.clock() local t = {}
for i = 1, 6 do t[i] = B.tensor.ones(2^23) end
while B.clock() - st < 1.9 do end
return table.unpack(t)" "{ timeout = 2 }"
expect_rc 0 "sandbox.run: 384 MB of tensors returned at the deadline"
has "$T/out" "host	false	sandbox.run: timeout: the script ran past its limit of 2" "  ... ends as the timeout"
case "$BUILD" in *asan*) ;; *) has "$T/out" "while its results were copied out" "  ... named as the copy's" ;; esac
within 3 "  ... within timeout + 1 s"

# one 256 MB tensor returned at the deadline: its clone polls the run's
# deadline, which is the core's again while the results are copied out
run_box "local B = require('bundle') local st = B.clock() local t = B.tensor.ones(2^25)
while B.clock() - st < 1.9 do end
return t" "{ timeout = 2 }"
expect_rc 0 "sandbox.run: one 256 MB tensor returned at the deadline"
has "$T/out" "host	false	sandbox.run: timeout: the script ran past its limit of 2" "  ... ends as the timeout"
within 3 "  ... within timeout + 1 s"
finish
