#!/bin/sh
# Installs into a temporary prefix and checks the three ways in from there:
# the bundlerun binary, require "bundle" from plain lua5.4, and the C library
# through pkg-config.
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
make -s -C "$top" install BUILD="$build" PREFIX="$prefix" >/dev/null

# 1. the runtime, from the prefix, with no environment variables
out=$(env -u LUA_PATH -u LUA_CPATH "$prefix/bin/bundlerun" -e '
  local T = require("bundle").tensor
  print(T.from{{1,2},{3,4}}:matmul(T.from{{5,6},{7,8}}):sum())')
[ "$out" = "134.0" ] || { echo "installed bundlerun printed '$out', expected 134.0"; exit 1; }

# 2. plain lua5.4 with LUA_PATH/LUA_CPATH pointing at the prefix
out=$(LUA_PATH="$prefix/share/lua/5.4/?.lua;$prefix/share/lua/5.4/?/init.lua;;" \
      LUA_CPATH="$prefix/lib/lua/5.4/?.so;;" lua5.4 -e '
  local bundle = require "bundle"
  local T = bundle.tensor
  local c = T.from{{1,2},{3,4}}:matmul(T.from{{5,6},{7,8}})
  print(bundle.version, c:get(1,1), c:get(2,2))')
[ "$out" = "0.1.0	19.0	50.0" ] || { echo "lua5.4 printed '$out'"; exit 1; }

# 3. the C library through pkg-config: examples/embed.c, built against the prefix
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# No LD_LIBRARY_PATH: the program finds libbundle.so through the rpath
# that bundle.pc's Libs carries, as a user's program would.
cc -o "$prefix/embed" "$top/examples/embed.c" $(pkg-config --cflags --libs bundle)
out=$(cd "$top" && env -u LD_LIBRARY_PATH "$prefix/embed" | head -n 1)
[ "$out" = "13105 baskets, 3500 items, 69 frequent pairs" ] || { echo "embedded C printed '$out'"; exit 1; }

# 4. the licence beside the sources, as the rockspec declares
[ -f "$top/LICENSE" ] && grep -q "MIT License" "$top/LICENSE" || { echo "no MIT LICENSE file"; exit 1; }

# 5. the man page
[ -f "$prefix/share/man/man1/bundlerun.1" ] || { echo "no man page in $prefix/share/man/man1"; exit 1; }
echo "install test: bundlerun, lua5.4 require and pkg-config all work from $prefix"
