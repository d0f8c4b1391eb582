#!/bin/sh
# A close (or a drop and collect) from a coroutine resumed inside a call
# that holds the object: the holding C frame is on another thread's stack.
# close_in_coroutine.lua runs every case plainly and in --sandbox, where the
# calls also run inside coroutines (NESTED): the sandbox's resume records
# which thread resumed which. Every close must be refused; a use-after-free
# crashes here, or aborts the sanitizer build.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
printf 'item,price,cost\n1,10,4\n2,8,3\n3,12,5\n' > "$T/items.csv"

case_script "$here/close_in_coroutine.lua" 13 "DIR = '$T'" "DIR = '$T'; NESTED = true"
finish
