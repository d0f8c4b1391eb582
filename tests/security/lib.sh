# Shared by tests/security/*.sh, one script per class of attack on the
# sandbox. Each prints "ok: ..." or "FAILED: ..." per assertion and exits
# non-zero when any failed. Environment: BUNDLERUN (the runtime under
# test), BUNDLE_BUILD (its build directory, for jail_probe).
set -u
BUNDLERUN=${BUNDLERUN:-build/bundlerun}
BUILD=${BUNDLE_BUILD:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0

ok() { echo "ok: $*"; }
bad() {
  echo "FAILED: $*"
  fails=$((fails + 1))
}
now() { date +%s.%N; }

# run ARGS...: runs the runtime; stdout in $T/out, stderr in $T/err, the
# exit status in $rc and the wall time in $secs.
run() {
  t0=$(now)
  "$BUNDLERUN" "$@" >"$T/out" 2>"$T/err" </dev/null
  rc=$?
  secs=$(awk "BEGIN { printf \"%.2f\", $(now) - $t0 }")
}

show_err() { sed 's/^/    | /' "$T/err" | head -n 8; }

# expect_rc STATUS LABEL
expect_rc() {
  if [ "$rc" -eq "$1" ]; then ok "$2 (exit $rc)"; else
    bad "$2: exit $rc, wanted $1"
    show_err
  fi
}

# within SECONDS LABEL: the last run took at most SECONDS
within() {
  if awk "BEGIN { exit !($secs <= $1) }"; then ok "$2 (${secs} s)"; else bad "$2: took ${secs} s, limit $1 s"; fi
}

# has FILE TEXT LABEL / lacks FILE TEXT LABEL: fixed-string search
has() {
  if grep -qF -- "$2" "$1"; then ok "$3"; else
    bad "$3: no '$2' in $(basename "$1")"
    show_err
  fi
}
lacks() {
  if grep -qF -- "$2" "$1"; then bad "$3: found '$2' in $(basename "$1")"; else ok "$3"; fi
}

# case_script SCRIPT MIN PLAIN_E SANDBOX_E: runs a Lua script of "ok:" /
# "FAILED:" cases plainly (with -e PLAIN_E) and under --sandbox (reading
# $T and the script's folder, with -e SANDBOX_E); each run must exit 0 with
# at least MIN cases passed, none failed, and no sanitizer report.
case_script() {
  for mode in plain sandbox; do
    if [ "$mode" = sandbox ]; then
      run --sandbox --allow-read "$T" --allow-read "$(dirname "$1")" --timeout 60 -e "$4" "$1"
    else
      run --timeout 60 -e "$3" "$1"
    fi
    expect_rc 0 "$mode: every case ends cleanly"
    n=$(grep -c '^ok: ' "$T/out")
    f=$(grep -c '^FAILED: ' "$T/out")
    if [ "$f" -eq 0 ] && [ "$n" -ge "$2" ]; then ok "  ... $n cases passed"; else
      bad "  ... $f of $((n + f)) cases failed"
      grep '^FAILED: ' "$T/out" | head -n 20
    fi
    has "$T/out" "cases: " "  ... and the script reached its end"
    lacks "$T/err" "AddressSanitizer" "  ... no sanitizer report"
  done
}

finish() { [ "$fails" -eq 0 ]; exit $?; }

# run_rss ARGS...: run, measuring the peak RSS (kB, in $peak) of the
# runtime and the children it waited for (the --sandbox child), through
# /usr/bin/time or, without it, python3's getrusage of children. $peak is
# empty when neither exists; ASan builds leave it empty too, as shadow
# memory and the quarantine are not the program's.
run_rss() {
  peak=
  case "$BUILD" in *asan*) run "$@"; return ;; esac
  t0=$(now)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%M" -o "$T/rss" "$BUNDLERUN" "$@" >"$T/out" 2>"$T/err" </dev/null
    rc=$?
    peak=$(tail -n 1 "$T/rss")
  elif command -v python3 >/dev/null; then
    python3 -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(rc)' "$T/rss" "$BUNDLERUN" "$@" >"$T/out" 2>"$T/err" </dev/null
    rc=$?
    peak=$(cat "$T/rss")
  else
    "$BUNDLERUN" "$@" >"$T/out" 2>"$T/err" </dev/null
    rc=$?
  fi
  secs=$(awk "BEGIN { printf \"%.2f\", $(now) - $t0 }")
}

# peak_within MB LABEL: the last run_rss peaked at most MB megabytes
peak_within() {
  if [ -z "$peak" ]; then ok "$2 (peak RSS not measured: ASan build or no /usr/bin/time)"
  elif [ "$peak" -le $(($1 * 1024)) ]; then ok "$2 (peak RSS $((peak / 1024)) MB <= $1 MB)"
  else bad "$2: peak RSS $((peak / 1024)) MB > $1 MB"; fi
}

# run_box CODE OPTS: runs bundle.sandbox.run(CODE, OPTS) from a trusted
# script (no watchdog: the limits hold in process); its pcall'd result is
# the line "host<TAB>..." of $T/out and $secs is the time the call took
# (the process's start, slow under ASan, is not its to answer for).
run_box() {
  run --timeout 30 -e "local b = require 'bundle'
local t0 = b.clock()
print('host', pcall(b.sandbox.run, [==[$1]==], $2))
print(('elapsed %.2f'):format(b.clock() - t0))"
  secs=$(sed -n 's/^elapsed //p' "$T/out")
  secs=${secs:-99}
}
