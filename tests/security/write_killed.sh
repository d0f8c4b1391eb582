#!/bin/sh
# A writer killed with SIGKILL in the middle of a big CSV write leaves the
# target whole (old or new, never a part) and no temporary file: the
# temporary is an O_TMPFILE one, with no name until the commit links it.
# A file-size limit (RLIMIT_FSIZE) fails the write with its cause, and
# the previous file stays.
. "$(dirname "$0")/lib.sh"
mkdir "$T/w"
awk 'BEGIN { print "id,name,price"; for (i = 1; i <= 400000; i++) printf "%d,item %d,%d.5\n", i, i % 977, i % 50 }' >"$T/in.csv"
echo old >"$T/w/out.csv"
cat >"$T/writer.lua" <<LUA
local f = require("bundle").read_csv("$T/in.csv")
print("read") io.stdout:flush()
while true do f:write_csv("$T/w/out.csv") end
LUA
"$BUNDLERUN" "$T/writer.lua" >"$T/out" 2>"$T/err" </dev/null &
pid=$!
# wait until the writer holds its unnamed temporary in $T/w ("#N (deleted)"),
# or a named one where the filesystem has no O_TMPFILE
caught=
i=0
while [ $i -lt 1000 ] && kill -0 $pid 2>/dev/null; do
  i=$((i + 1))
  # after one whole write, so the kill interrupts a replacement of new by new
  if [ "$(head -c 3 "$T/w/out.csv")" != "id," ]; then sleep 0.02; continue; fi
  fds=$(ls -l /proc/$pid/fd 2>/dev/null)
  case "$fds" in
    *"$T/w/#"*) caught=unnamed ;;
    *"$T/w/out.csv.tmp."*) caught=named ;;
  esac
  if [ -n "$caught" ]; then
    kill -9 $pid
    break
  fi
  sleep 0.02
done
wait $pid 2>/dev/null
left=$(ls -A "$T/w")
case "$caught" in
  unnamed)
    ok "killed while it held an unnamed temporary"
    [ "$left" = "out.csv" ] && ok "  ... nothing but out.csv is left" || bad "  ... left: $left" ;;
  named)
    # the fallback: its temporary stays until a write a minute later
    # (tests/c/test_atomic.c checks that cleanup)
    ok "killed while it held a named temporary (no O_TMPFILE in $T)" ;;
  *) bad "never saw the writer's temporary"; show_err ;;
esac
n=$(wc -l <"$T/w/out.csv")
[ "$n" -eq 400001 ] && ok "  ... out.csv is whole ($n lines)" || bad "  ... out.csv has $n lines"

# RLIMIT_FSIZE: the kernel refuses the write (EFBIG; SIGXFSZ ignored, as a
# server would), the message says so, out.csv is untouched
echo old >"$T/w/out.csv"
rm -f "$T/w"/out.csv.tmp.* # the fallback's, from the kill above
( ulimit -f 64; trap '' XFSZ; exec "$BUNDLERUN" -e "require('bundle').read_csv('$T/in.csv'):write_csv('$T/w/out.csv')" ) \
  >"$T/out" 2>"$T/err" </dev/null
rc=$?
expect_rc 1 "a write past the file-size limit fails"
has "$T/err" "$T/w/out.csv: write failed: File too large; the previous file is untouched" "  ... naming the cause"
[ "$(cat "$T/w/out.csv")" = old ] && ok "  ... the previous file is untouched" || bad "  ... out.csv changed"
[ "$(ls -A "$T/w")" = "out.csv" ] && ok "  ... and no temporary is left" || bad "  ... left: $(ls -A "$T/w")"
finish
