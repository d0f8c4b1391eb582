/* libFuzzer target: a Lua API driver that calls random bundle functions and
 * methods with random arguments (fuzz_lua_driver.lua reads the bytes). The
 * state and the driver's masters are made once; every file access is refused (the sandbox's path
 * limit with nothing allowed) and memory is capped, so the fuzzer cannot
 * write into the tree or exhaust the machine. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>

#include "bundle/bundle.h"

int luaopen_bundle_core(lua_State *L);
lua_State *lbr_limits_newstate(void);
void lbr_limits_limit_paths(int on);

#ifndef FUZZ_TOP
#error "build with -DFUZZ_TOP=\"/path/to/the/repository\""
#endif

static lua_State *L;

#define FUZZ_INPUT_MEM ((int64_t)8 << 20)

static void setup(void) {
  L = lbr_limits_newstate();
  luaL_openlibs(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_bundle_core);
  lua_setfield(L, -2, "bundle.core");
  lua_pop(L, 1);
  lua_getglobal(L, "package");
  lua_pushstring(L, FUZZ_TOP "/lua/?.lua;" FUZZ_TOP "/lua/?/init.lua");
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  if (luaL_dofile(L, FUZZ_TOP "/tests/fuzz/fuzz_lua_driver.lua") != LUA_OK) {
    fprintf(stderr, "fuzz_lua: %s\n", lua_tostring(L, -1));
    abort();
  }
  lbr_limits_limit_paths(1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!L) setup();
  if (size > 4096) return 0;
  /* each input may use a few MB more than the state holds now (garbage of
   * earlier inputs included): the objects are tiny, and larger asks would
   * only spend time in ASan's memset and page faults before failing */
  br_mem_set_limit(br_mem_used() + FUZZ_INPUT_MEM);
  lua_getglobal(L, "drive");
  lua_pushlstring(L, (const char *)data, size);
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) lua_pop(L, 1); /* the driver's own errors (memory) are not findings */
  /* a step per input keeps the heap bounded; a full collection (which
   * runs every pending __gc) only now and then, as it costs far more than
   * an input does */
  static unsigned n;
  if (++n % 512 == 0) lua_gc(L, LUA_GCCOLLECT);
  else lua_gc(L, LUA_GCSTEP, 0);
  br_mem_clear_limit_hit();
  return 0;
}
