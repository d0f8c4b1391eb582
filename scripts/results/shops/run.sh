#!/bin/sh
# The "first-time user's four shops" development set (issue 15): four
# synthetic shop files shaped unlike Online Retail and Instacart (a bakery
# with item names and a hub item, a grocer keyed on member + day, a grocer
# with semicolons, decimal commas and weekly promotions, an awkward export
# with a BOM, CRLF, quoted commas, returns and missing prices), each with
# planted complements that are not the popular pairs (planted.json). The
# default pipeline runs on each with the mapping only (run.lua; seeds 1-3
# on the bakery), and analyse.py judges each list against plain basket
# counts: top-20 pairs, the hub item, test lift < 1, planted missions.
# Used to develop selection and the brief's verdict; the suite
# (scripts/results/suite.lua) is the test. About 10 min on 2 shared cores.
#
#   sh scripts/results/shops/run.sh [build/bundlerun]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$(dirname "${1:-build/bundlerun}")" && pwd)/$(basename "${1:-build/bundlerun}")
out=build/results/shops
mkdir -p "$out"
out=$(cd "$out" && pwd)
export SHOPS_DIR="$out"
python3 "$here/gen.py"
cp "$here/run.lua" "$out/"
cd "$out"
run() { # shop cut days outdir [env...]
  shop=$1 cut=$2 days=$3 dir=$4; shift 4
  env "$@" "$bin" run.lua "$shop" "$cut" "$days" "out_$dir" > "$dir.log" 2>&1 || { echo "$dir: failed, see $out/$dir.log"; return 0; }
  python3 "$here/analyse.py" "$shop" "$cut" "$days" "out_$dir" | grep '^SUMMARY'
  grep '^ratios' "$dir.log"
}
run bakery 2017-02-18 49 bakery
run bakery 2017-02-18 49 bakery_s2 SEED=2
run bakery 2017-02-18 49 bakery_s3 SEED=3
run grocer 2015-05-09 237 grocer
run pricegrocer 2023-08-31 123 pricegrocer 'MAPLUA=read={sep=";",decimal=","}'
run awkward 2024-06-10 93 awkward
