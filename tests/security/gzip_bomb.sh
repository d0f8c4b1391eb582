#!/bin/sh
# A 3 MB .csv.gz that inflates to 3 GiB: the inflate buffer is taken from
# the memory budget as it grows, so under --max-memory 100 (and in the
# sandbox, whose RLIMIT_AS stands behind the budget) the read fails fast
# with exit 4 and a message naming the file, at a peak RSS of at most the
# limit + 32 MB. And model.load reads a model's 24-byte header first: a
# huge file that is not a model, or whose declared payload the file cannot
# hold, is refused before it is read.
. "$(dirname "$0")/lib.sh"
# gzip members concatenate: a header member, then one of 16 MiB of "0,0"
# lines (16 KB compressed) 192 times over
printf 'a,b\n' | gzip >"$T/bomb.csv.gz"
yes 0,0 | head -c 16777216 | gzip -9 >"$T/m1.gz"
cat "$T/m1.gz" "$T/m1.gz" "$T/m1.gz" "$T/m1.gz" >"$T/m4.gz"
cat "$T/m4.gz" "$T/m4.gz" "$T/m4.gz" "$T/m4.gz" "$T/m4.gz" "$T/m4.gz" "$T/m4.gz" "$T/m4.gz" >"$T/m32.gz"
for i in 1 2 3 4 5 6; do cat "$T/m32.gz"; done >>"$T/bomb.csv.gz"
echo "bomb: $(wc -c <"$T/bomb.csv.gz") bytes, $((192 * 16)) MiB inflated"

# peak RSS from inside (VmHWM), as the process sees it
cat >"$T/bomb.lua" <<LUA
local ok, e = pcall(require("bundle").read_csv, "$T/bomb.csv.gz")
for l in io.lines("/proc/self/status") do
  local kb = l:match("^VmHWM:%s*(%d+)") if kb then print("peak_kb", kb) end
end
error(e, 0)
LUA
case "$BUILD" in
  *asan*) asan=1 ;; # the sanitizer's shadow memory and quarantine: RSS is not the program's
  *) asan=0 ;;
esac
run --max-memory 100 "$T/bomb.lua"
expect_rc 4 "--max-memory 100: a gzip bomb stops the run as out of memory"
within 5 "  ... fast"
has "$T/err" "bomb.csv.gz: cannot decompress: the data inflates past the memory limit of 100 MB" "  ... and says why"
peak=$(sed -n 's/^peak_kb	//p' "$T/out")
if [ "$asan" -eq 1 ]; then ok "  (ASan build: peak RSS not checked)"
elif [ -n "$peak" ] && [ "$peak" -le $(((100 + 32) * 1024)) ]; then ok "  ... peak RSS $((peak / 1024)) MB <= 132 MB"
else bad "  ... peak RSS ${peak:-?} kB > 132 MB"; fi

run --sandbox --allow-read "$T" --max-memory 100 -e "require('bundle').read_csv('$T/bomb.csv.gz')"
expect_rc 4 "--sandbox --max-memory 100: the same"
within 5 "  ... fast"
has "$T/err" "cannot decompress: the data inflates past the memory limit of 100 MB" "  ... and says why"
if [ "$asan" -eq 0 ] && [ -x /usr/bin/time ]; then
  /usr/bin/time -f "%M" -o "$T/rss" "$BUNDLERUN" --sandbox --allow-read "$T" --max-memory 100 \
    -e "require('bundle').read_csv('$T/bomb.csv.gz')" >/dev/null 2>&1
  peak=$(tail -n 1 "$T/rss")
  [ "$peak" -le $(((100 + 32) * 1024)) ] && ok "  ... peak RSS $((peak / 1024)) MB <= 132 MB" || bad "  ... peak RSS $peak kB > 132 MB"
fi

run --timeout 20 -e "print(pcall(require('bundle').sandbox.run, \"return require('bundle').read_csv('$T/bomb.csv.gz')\", { read = { '$T' }, memory = 100 }))"
has "$T/out" "sandbox.run: memory:" "sandbox.run with memory = 100: a memory error"

# model.load: 1 GiB (sparse) that is not a model; a header that promises
# a 1 TB payload in a 28-byte file
truncate -s 1G "$T/huge.model"
run --max-memory 50 -e "print(pcall(require('bundle').model.load, '$T/huge.model'))"
expect_rc 0 "model.load of a 1 GiB non-model"
within 1 "  ... refused without reading it"
has "$T/out" "not a bundlerun model file (no BRMODEL header)" "  ... as not a model"
printf 'BRMODEL\000\001\000\000\000\001\000\000\000\000\020\245\324\350\000\000\000\000\000\000\000' >"$T/liar.model"
run --max-memory 50 -e "print(pcall(require('bundle').model.load, '$T/liar.model'))"
has "$T/out" "truncated: 28 bytes, the header promises a 1000000000000-byte payload" "a header promising 1 TB in 28 bytes is refused"
finish
