#!/bin/sh
# A close (or a drop and collect) from a coroutine resumed inside a call
# that holds the object: the holding C frame is on another thread's stack.
# close_in_coroutine.lua runs every case plainly and in --sandbox, the calls
# also inside coroutines (NESTED): bundle's coroutine.resume/wrap/close
# (lcoroutine.c, trusted states) and the sandbox's own record which thread
# resumed which. Every close must be refused; a use-after-free crashes here,
# or aborts the sanitizer build.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
printf 'item,price,cost\n1,10,4\n2,8,3\n3,12,5\n' > "$T/items.csv"
printf 'basket,item\n1,a\n1,b\n2,a\n2,b\n3,a\n3,c\n' > "$T/baskets.csv"

case_script "$here/close_in_coroutine.lua" 105 "DIR = '$T'; NESTED = true" "DIR = '$T'; NESTED = true"
finish
