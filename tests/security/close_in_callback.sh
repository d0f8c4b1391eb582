#!/bin/sh
# Closing, or dropping and collecting, an object while a core call that
# holds it runs Lua (a search objective, bound or compatible predicate, a
# demand function, minimize's f, a metamethod of an argument), and using
# Itemsets, Rules and SearchResults after their Baskets or Catalog is
# closed: close_in_callback.lua runs every case, plain and in --sandbox.
# Each case must end in a clean Lua error naming the object and the call
# (or succeed, where closing a parent only drops its handle); a
# use-after-free crashes here, or aborts the sanitizer build.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
cat > "$T/items.csv" <<'CSV'
item,price,cost,cat
1,10,4,a
2,8,3,b
3,12,5,a
4,6,2,c
5,9,4,b
6,7,3,c
CSV
printf '1 2 3\n1 2\n2 3 4\n1 3 5\n4 5 6\n1 2 6\n2 3\n1 2 3 4\n3 5\n1 6\n' > "$T/baskets.txt"

case_script "$here/close_in_callback.lua" 200 "DIR = '$T'" "DIR = '$T'"
finish
