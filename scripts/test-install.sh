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

# 3. the C library through pkg-config
cat >"$prefix/embed.c" <<'C'
#include <bundle/bundle.h>
#include <stdio.h>
int main(void) {
  int64_t shape[2] = {2, 2};
  br_tensor *a = NULL, *c = NULL;
  if (br_tensor_full(&a, 2, shape, 2.0) != BR_OK || br_tensor_matmul(&c, a, a) != BR_OK) {
    fprintf(stderr, "%s\n", br_last_error());
    return 1;
  }
  printf("%s %g\n", br_version(), br_tensor_get2(c, 1, 1));
  br_tensor_free(c);
  br_tensor_free(a);
  return 0;
}
C
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cc -o "$prefix/embed" "$prefix/embed.c" $(pkg-config --cflags --libs bundle)
out=$(LD_LIBRARY_PATH="$prefix/lib" "$prefix/embed")
[ "$out" = "0.1.0 8" ] || { echo "embedded C printed '$out', expected '0.1.0 8'"; exit 1; }
echo "install test: bundlerun, lua5.4 require and pkg-config all work from $prefix"
