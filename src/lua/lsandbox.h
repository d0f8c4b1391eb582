/* The sandbox's own Lua state (lsandbox.c) and what it is built from:
 * bundle's Lua modules embedded at build time (scripts/embed-lua.sh) and
 * pattern functions that a deadline can stop (lpattern.c). */
#ifndef BUNDLE_LSANDBOX_H
#define BUNDLE_LSANDBOX_H

#include <stddef.h>

#include <lua.h>

/* One Lua module of lua/bundle, compiled into the program. */
typedef struct lbr_embedded_module {
  const char *name;      /* "bundle", "bundle.eval", ... */
  const char *chunkname; /* "@lua/bundle/eval.lua" */
  const char *src;
  size_t len;
} lbr_embedded_module;

/* Ends with a { NULL } entry. Generated into $(BUILD)/gen/bundle_lua.c. */
extern const lbr_embedded_module lbr_embedded_modules[]
    __attribute__((visibility("hidden")));

/* A fresh state for untrusted code: base (without dofile/loadfile, with a
 * text-only load and a setmetatable that refuses __gc), string (bounded
 * patterns), table, math, utf8, coroutine (hooked), the time functions of
 * os, and a require that loads only bundle's embedded modules and
 * bundle.core. Its allocations are charged to the core's memory budget.
 * NULL when memory runs out. */
lua_State *lbr_sandbox_newstate(void) __attribute__((visibility("hidden")));

/* lbr_limits_check (ldriver.h) raises the timeout error when a deadline in
 * force has passed, for C code that runs long without Lua instructions. */

/* Sets string.find, match, gmatch and gsub in the table on the stack top to
 * versions that call lbr_limits_check as they backtrack (lpattern.c). */
void lbr_pattern_open(lua_State *L) __attribute__((visibility("hidden")));

#endif
