/* libFuzzer target: a Lua API driver that calls random bundle functions and
 * methods with random arguments (fuzz_lua_driver.lua reads the bytes). The
 * state and the driver's masters are made once; every file access is refused (the sandbox's path
 * limit with nothing allowed), and each input's memory and Lua instructions
 * are capped, so the fuzzer cannot write into the tree, exhaust the machine
 * or spend seconds on one input. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>

#include "bundle/bundle.h"

#include "../../src/lua/ldriver.h" /* the bindings' driver calls: per-state limits */

#ifndef FUZZ_TOP
#error "build with -DFUZZ_TOP=\"/path/to/the/repository\""
#endif

static lua_State *L;

/* Each input may allocate 1 MB more than the state holds when it starts
 * (garbage of earlier inputs included). The driver's objects take a few
 * KB; a larger ask (a million-element linspace) only spends time in ASan's
 * memset and page faults before it fails, and at 8 MB that was half of all
 * time. */
#define FUZZ_INPUT_MEM ((int64_t)1 << 20)

/* Each input may run FUZZ_TICKS x 1,000 Lua instructions. A C count hook,
 * unlike debug.sethook's, passes to every coroutine made after it is set,
 * so code the driver runs in coroutines is capped too. Past the budget the
 * hook raises at every firing, wherever the input is (a callback, a
 * coroutine, the driver), until the input ends. Typical inputs run under
 * 3,000 instructions; without the cap a few ran a Lua loop over 2^53 for
 * minutes (plot.log_ticks from a coroutine). */
#define FUZZ_TICKS 10
static int ticks;

static void tick(lua_State *S, lua_Debug *ar) {
  (void)ar;
  if (++ticks > FUZZ_TICKS) luaL_error(S, "fuzz: instruction budget spent");
}

/* fuzz_ticks() -> the thousands of instructions the last input ran (the
 * driver's FUZZ_PROFILE report) */
static int fuzz_ticks(lua_State *S) {
  lua_pushinteger(S, ticks);
  return 1;
}

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
  lua_register(L, "fuzz_ticks", fuzz_ticks);
  lbr_limits_check_paths(L, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!L) setup();
  if (size > 4096) return 0;
  /* each input may use a few MB more than the state holds now (garbage of
   * earlier inputs included): the objects are tiny, and larger asks would
   * only spend time in ASan's memset and page faults before failing */
  br_mem_set_limit(br_mem_used() + FUZZ_INPUT_MEM);
  static int profiling = -1;
  if (profiling < 0) profiling = getenv("FUZZ_PROFILE") != NULL;
  if (profiling) { /* the driver's report of the last input, outside the budget */
    lua_getglobal(L, "fuzz_report");
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) lua_pop(L, 1);
  }
  lua_getglobal(L, "drive");
  lua_pushlstring(L, (const char *)data, size);
  ticks = 0;
  lua_sethook(L, tick, LUA_MASKCOUNT, 1000);
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) lua_pop(L, 1); /* the driver's own errors (memory, budget) are not findings */
  lua_sethook(L, NULL, 0, 0);
  /* a step per input keeps the heap bounded; a full collection (which
   * runs every pending __gc) only now and then, as it costs far more than
   * an input does */
  static unsigned n;
  if (++n % 512 == 0) lua_gc(L, LUA_GCCOLLECT);
  else lua_gc(L, LUA_GCSTEP, 0);
  br_mem_clear_limit_hit();
  return 0;
}
