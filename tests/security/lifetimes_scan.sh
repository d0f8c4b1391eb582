#!/bin/sh
# A random adversary against lifetimes (lifetimes_scan.lua): every method
# of every class called with hostile arguments that close objects, from
# metamethods, callbacks and coroutines, plainly and under --sandbox. Every
# run must reach its end with no crash and no sanitizer report. Found a
# hang (an endless iterator of non-frames) when first run; see
# docs/RELIABILITY.md, lifetimes.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
printf 'basket,item,price,cost,g\n1,a,10,4,x\n1,b,8,3,x\n2,a,10,4,y\n2,b,8,3,y\n3,a,10,4,x\n3,c,12,5,y\n' > "$T/data.csv"
printf 'item,price,cost\na,10,4\nb,8,3\nc,12,5\n' > "$T/items.csv"

run -e "DIR = '$T'; PRINT_METHODS = true" "$here/lifetimes_scan.lua"
expect_rc 0 "the classes' methods listed"
methods=$(cat "$T/out")
# the run's last line says how many methods it called: all of them (100+)
over_methods() {
  m=$(sed -n 's/.*methods: \([0-9]*\).*/\1/p' "$T/out")
  if [ "${m:-0}" -ge 100 ]; then ok "  ... over the methods of every class ($m)"; else bad "  ... only ${m:-no} methods called"; fi
}
for seed in 1 2; do
  run --timeout 120 -e "DIR = '$T'; SEED = $seed; N = 12" "$here/lifetimes_scan.lua"
  expect_rc 0 "plain, seed $seed: every hostile call ends cleanly"
  over_methods
  lacks "$T/err" "AddressSanitizer" "  ... no sanitizer report"
  run --sandbox --allow-read "$T" --allow-read "$here" --timeout 120 -e "DIR = '$T'; SEED = $seed; N = 12; $methods" \
    "$here/lifetimes_scan.lua"
  expect_rc 0 "--sandbox, seed $seed: every hostile call ends cleanly"
  over_methods
  lacks "$T/err" "AddressSanitizer" "  ... no sanitizer report"
done
finish
