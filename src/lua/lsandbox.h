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

/* Bundle objects across the sandbox boundary (lsandbox_copy.c). The
 * value copier (lsandbox.c, copy_value) hands each userdata it meets to
 * lbr_copy_object, which pushes onto x->to a fresh deep copy owned by that
 * state, or refuses the class with a reason. */
typedef struct lbr_copy_ctx {
  lua_State *from, *to;
  /* results copied out of a run with a memory limit: their cost, and the
   * limit it must stay within (0: none; arguments going in are charged to
   * the run's own budget by the core's allocator instead) */
  double mem_limit, mem_cost;
  int memo;      /* registry ref in `to` of { source core object -> its copy }, > 0 once made */
  char why[200]; /* after a refusal: what is wrong ("is a closed Itemsets") */
} lbr_copy_ctx;

/* Pushes onto x->to a copy of the userdata at idx in x->from: 1, or 0 with
 * x->why set and nothing pushed. Objects met twice in one call, and the
 * Baskets or Catalog that several derived objects share, are copied once. */
int lbr_copy_object(lbr_copy_ctx *x, int idx) __attribute__((visibility("hidden")));
/* Drops the call's memo (after the last lbr_copy_object of a call). */
void lbr_copy_done(lbr_copy_ctx *x) __attribute__((visibility("hidden")));

/* lbr_limits_check (ldriver.h) raises the timeout error when a deadline in
 * force has passed, for C code that runs long without Lua instructions. */

/* Sets string.find, match, gmatch and gsub in the table on the stack top to
 * versions that call lbr_limits_check as they backtrack (lpattern.c). */
void lbr_pattern_open(lua_State *L) __attribute__((visibility("hidden")));

#endif
