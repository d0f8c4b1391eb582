-- LuaRocks users elsewhere: `luarocks make` in a checkout builds the C core
-- and the Lua module with the project's Makefile and installs them into the
-- rocks tree (bundle.core into LIBDIR, the Lua half into LUADIR).
-- Needs, from the system: Lua 5.4 headers, OpenBLAS, libcsv and zlib
-- (Debian: liblua5.4-dev libopenblas-dev libcsv-dev zlib1g-dev pkg-config).
rockspec_format = "3.0"
package = "bundle"
version = "scm-1"
source = {
  url = "git+https://github.com/bundlerun/bundlerun.git",
  branch = "main",
}
description = {
  summary = "Lua-scriptable optimisation runtime for product bundling",
  detailed = [[
    bundle: tensors on OpenBLAS, CSV frames, baskets, frequent itemsets and
    association rules, linear/logistic/MLP models, a multi-objective bundle
    search, reservation-price pricing, backtests, bandits, personalised
    bundles and a closed-loop pipeline, with a C core and a Lua face.
  ]],
  homepage = "https://github.com/bundlerun/bundlerun",
  license = "MIT",
  labels = { "ecommerce", "optimisation", "recommendation", "blas" },
}
dependencies = {
  "lua >= 5.4, < 5.5",
}
external_dependencies = {
  OPENBLAS = { library = "openblas" }, -- its headers live under a multiarch directory; pkg-config finds them
  CSV = { header = "csv.h", library = "csv" },
  Z = { header = "zlib.h", library = "z" },
}
build = {
  type = "make",
  build_target = "all",
  build_variables = {
    CFLAGS = "$(CFLAGS)",
    LUA = "$(LUA)",
  },
  install_target = "install",
  install_variables = {
    PREFIX = "$(PREFIX)",
    LUA_CMOD_DIR = "$(LIBDIR)",
    LUA_LMOD_DIR = "$(LUADIR)",
  },
  copy_directories = { "docs", "examples" },
}
test = {
  type = "command",
  command = "make check",
}
