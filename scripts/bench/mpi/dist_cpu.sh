#!/bin/sh
# The dist module's CPU cost on one rank (dist_cpu.c) in this tree against
# a peer build (the tree before a change, e.g. a worktree of the previous
# commit built with make): the two alternate ROUNDS times, each taking the
# least of REPS repetitions per stage, so a shared machine's load shows as
# spread rather than as a difference.
#
#   scripts/bench/mpi/dist_cpu.sh PEER_DIR [LINES] [MIN_SUPPORT] [ROUNDS] [REPS]
#   (defaults 1000000 0.001 3 5; PEER_DIR holds include/ and build/libbundle.a)
set -eu
top=$(cd "$(dirname "$0")/../../.." && pwd)
peer=$(cd "$1" && pwd)
lines=${2:-1000000}
support=${3:-0.001}
rounds=${4:-3}
reps=${5:-5}
dir=${BENCH_DIR:-/tmp/bundlerun-bench-mpi}
mkdir -p "$dir"
data="$dir/orders_$lines.csv"
[ -s "$data" ] || nice -n 10 lua5.4 "$top/scripts/bench/mpi/gen.lua" "$lines" "$data" 1
libs="$(pkg-config --libs openblas) $(nm "$top/build/libbundle.a" 2>/dev/null | grep -q XGBoosterCreate && echo -lxgboost)"
command -v mpicc >/dev/null && libs="$libs $(mpicc --showme:link)"
for t in this peer; do
  src=$top
  [ "$t" = peer ] && src=$peer
  cc -O2 -I"$top/include" "$top/scripts/bench/mpi/dist_cpu.c" "$src/build/libbundle.a" $libs -lcsv -lz -lm -pthread \
    -o "$dir/dist_cpu_$t"
done
echo "dist_cpu: $lines lines, min_support $support, least CPU seconds of $reps per stage, $rounds rounds; load $(cut -d' ' -f1-3 /proc/loadavg)"
i=0
while [ $i -lt "$rounds" ]; do
  nice -n 10 "$dir/dist_cpu_peer" "$data" "$support" "$reps" peer
  nice -n 10 "$dir/dist_cpu_this" "$data" "$support" "$reps" this
  i=$((i + 1))
done
