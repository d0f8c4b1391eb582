#!/bin/sh
# A memory refusal the script catches. Under --max-memory 64, a script ran
# pcall(string.rep, "x", 300 MB), was refused, carried on and exited 0:
# the cap held, but the exit status said nothing of it (H33, 2026-12-01).
# As with the deadline (a timeout caught by pcall still exits 3), reaching
# the cap now ends the run with exit 4, in and out of the sandbox. A
# sandbox.run whose own, smaller cap is reached reports that through its
# result, and leaves the host's status alone.
. "$(dirname "$0")/lib.sh"
run --max-memory 64 -e 'print(pcall(string.rep, "x", 300 * 2^20)); print("went on")'
expect_rc 4 "--max-memory 64: a refusal caught by pcall still exits 4"
has "$T/out" "went on" "  ... the script itself ran to its end"
has "$T/err" "--max-memory 64 (MB) was reached" "  ... and stderr says the cap was reached"
run --sandbox --max-memory 64 -e 'print(pcall(string.rep, "x", 300 * 2^20)); print("went on")'
expect_rc 4 "--sandbox --max-memory 64: the same"
run --max-memory 200 -e "local b = require 'bundle'
print(pcall(b.sandbox.run, 'return string.rep(\"x\", 100 * 2^20)', { memory = 16 }))"
expect_rc 0 "sandbox.run's own cap of 16 MB reached: its result says so, the host's cap was not reached"
has "$T/out" "went past its limit of 16.0 MB" "  ... the run's error names its cap"
run --max-memory 100 -e "local b = require 'bundle'
print(pcall(b.sandbox.run, 'return string.rep(\"x\", 300 * 2^20)', { memory = 1000 }))"
expect_rc 4 "a sandbox.run whose request reaches the host's own cap (100 MB, below the run's 1000): exit 4"
has "$T/out" "went past the caller's memory limit" "  ... and its error names the caller's cap, not the run's 1000 MB"
run --max-memory 64 -e 'local t = {} for i = 1, 10 do t[i] = ("x"):rep(2^20) end print(#t)'
expect_rc 0 "--max-memory 64: a script that stays under the cap exits 0"
finish
