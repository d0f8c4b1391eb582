/* luaopen_bundle_core: the C half of `require "bundle"`. It builds the table
 * that lua/bundle/init.lua re-exports: version, clock, seed and the tensor
 * constructors. bundlerun registers this same opener in package.preload. */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lbundle.h"

#define RNG_KEY "bundle.default_rng"

int lbr_errorf(lua_State *L, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return luaL_error(L, "%s", msg);
}

int lbr_error(lua_State *L) { return luaL_error(L, "%s", br_last_error()); }

static int tostring_of(lua_State *L) {
  luaL_tolstring(L, 1, NULL);
  return 1;
}

void lbr_callback_error(lua_State *L, const char *who) {
  int t = lua_type(L, -1);
  if (!lua_checkstack(L, 3)) {
    br_error_set(BR_ERR_ARG, "%s raised an error (a %s value; no stack room to read it)", who, lua_typename(L, t));
    return;
  }
  if (t == LUA_TSTRING || t == LUA_TNUMBER || luaL_getmetafield(L, -1, "__tostring") != LUA_TNIL) {
    if (t != LUA_TSTRING && t != LUA_TNUMBER) lua_pop(L, 1); /* the metafield */
    /* a copy converted under pcall: __tostring may fail, and converting a
     * number allocates */
    lua_pushcfunction(L, tostring_of);
    lua_pushvalue(L, -2);
    if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TSTRING) {
      size_t len;
      const char *m = lua_tolstring(L, -1, &len);
      br_error_set_text(BR_ERR_ARG, m, len);
      lua_pop(L, 1);
      return;
    }
    lua_pop(L, 1);
  }
  br_error_set(BR_ERR_ARG, "%s raised an error (a %s value)", who, lua_typename(L, t));
}

void lbr_check_options(lua_State *L, int idx, const char *fn, const char *const *allowed) {
  if (lua_isnoneornil(L, idx)) return;
  luaL_checktype(L, idx, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) { /* [... key value] */
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "%s: option keys must be names, got a %s", fn, luaL_typename(L, -1));
    const char *k = lua_tostring(L, -1);
    int known = 0;
    for (const char *const *a = allowed; *a && !known; a++) known = strcmp(*a, k) == 0;
    if (!known) luaL_error(L, "%s: unknown option '%s'", fn, k);
  }
}

lua_Integer lbr_opt_integer(lua_State *L, int idx, const char *fn, const char *key,
                            lua_Integer dflt) {
  if (lua_isnoneornil(L, idx)) return dflt;
  lua_getfield(L, idx, key);
  lua_Integer v = dflt;
  if (!lua_isnil(L, -1)) {
    int ok;
    v = lua_tointegerx(L, -1, &ok);
    if (!ok) luaL_error(L, "%s: option '%s' must be an integer, got %s", fn, key,
                        lua_type(L, -1) == LUA_TNUMBER ? "a fraction" : luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  return v;
}

int lbr_opt_int(lua_State *L, int idx, const char *fn, const char *key, int dflt) {
  lua_Integer v = lbr_opt_integer(L, idx, fn, key, dflt);
  if (v < INT_MIN || v > INT_MAX) /* a cast would wrap 2^32 + 5 to 5, or 2^63 - 1 to -1 */
    luaL_error(L, "%s: option '%s' is out of range (%I; it must fit in %d..%d)", fn, key, (LUAI_UACINT)v, INT_MIN, INT_MAX);
  return (int)v;
}

double lbr_opt_number(lua_State *L, int idx, const char *fn, const char *key, double dflt) {
  if (lua_isnoneornil(L, idx)) return dflt;
  lua_getfield(L, idx, key);
  double v = dflt;
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TNUMBER) luaL_error(L, "%s: option '%s' must be a number, got %s", fn, key, luaL_typename(L, -1));
    v = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

int lbr_opt_boolean(lua_State *L, int idx, const char *fn, const char *key, int dflt) {
  if (lua_isnoneornil(L, idx)) return dflt;
  lua_getfield(L, idx, key);
  int v = dflt;
  if (!lua_isnil(L, -1)) {
    if (!lua_isboolean(L, -1))
      luaL_error(L, "%s: option '%s' must be a boolean, got %s", fn, key, luaL_typename(L, -1));
    v = lua_toboolean(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

void **lbr_push_slot(lua_State *L, const char *mt) {
  void **slot = lua_newuserdatauv(L, sizeof *slot, 0);
  *slot = NULL;
  luaL_setmetatable(L, mt);
  return slot;
}

void lbr_new_class(lua_State *L, const char *name, const luaL_Reg *methods, const luaL_Reg *meta) {
  if (luaL_newmetatable(L, name)) {
    if (meta) luaL_setfuncs(L, meta, 0);
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
}

int lbr_write_csv_via(lua_State *L, lua_CFunction to_frame) {
  luaL_checkstring(L, 2);
  lua_pushcfunction(L, to_frame);
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1); /* [obj path frame] */
  lua_getfield(L, -1, "write_csv");
  lua_pushvalue(L, -2);
  lua_pushvalue(L, 2);
  lua_call(L, 2, 0);
  lua_settop(L, 1);
  return 1;
}

void lbr_push_labels(lua_State *L, lbr_label_fn label, const void *owner, const int32_t *items, int n) {
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    size_t len;
    const char *s = label(owner, items[i], &len);
    lua_pushlstring(L, s, len);
    lua_rawseti(L, -2, i + 1);
  }
}

void lbr_push_joined(lua_State *L, lbr_label_fn label, const void *owner, const int32_t *items, int n,
                     char sep) {
  luaL_Buffer buf;
  luaL_buffinit(L, &buf);
  for (int i = 0; i < n; i++) {
    size_t len;
    const char *s = label(owner, items[i], &len);
    if (i) luaL_addchar(&buf, sep);
    luaL_addlstring(&buf, s, len);
  }
  luaL_pushresult(&buf);
}

void lbr_push_list_field(lua_State *L, lbr_label_fn label, const void *owner, const int32_t *items, int n) {
  luaL_Buffer buf;
  luaL_buffinit(L, &buf);
  int lead = 1; /* still in the field's leading blanks */
  for (int i = 0; i < n; i++) {
    size_t len;
    const char *s = label(owner, items[i], &len);
    if (i) luaL_addchar(&buf, ',');
    for (size_t j = 0; j < len; j++) {
      if (s[j] == ',' || s[j] == '\\' || (s[j] == '[' && lead)) luaL_addchar(&buf, '\\');
      lead = lead && i == 0 && (s[j] == ' ' || s[j] == '\t');
      luaL_addchar(&buf, s[j]);
    }
    lead = 0;
  }
  luaL_pushresult(&buf);
}

/* ---- pins ----
 * The registry table at &pins_key maps a pinned userdata to a pin_count
 * userdata. It is the only place the count lives, so the classes need no
 * field of their own: close/__gc look the value up, and only values that
 * are pinned right now are in the table (an entry goes with its last pin). */
static char pins_key;
#define PIN_GUARD_MT "bundle.pin_guard"

typedef struct pin_count {
  int n;
  const char *by; /* the outermost call that pinned it */
} pin_count;

typedef struct pin_guard {
  int active; /* 0 once its pin was dropped */
} pin_guard;

/* The pins table (pushed). */
static void push_pins(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &pins_key) == LUA_TTABLE) return;
  lua_pop(L, 1);
  lua_newtable(L);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &pins_key);
}

/* __close of a guard: drops its pin once (a guard closed twice, or
 * collected after closing, does nothing more). */
static int pin_guard_close(lua_State *L) {
  pin_guard *g = luaL_checkudata(L, 1, PIN_GUARD_MT);
  if (!g->active) return 0;
  g->active = 0;
  push_pins(L);                 /* [g ... pins] */
  lua_getiuservalue(L, 1, 1);   /* the pinned value */
  lua_pushvalue(L, -1);
  pin_count *c = lua_rawget(L, -3) == LUA_TUSERDATA ? lua_touserdata(L, -1) : NULL;
  lua_pop(L, 1);                /* [g ... pins value] */
  if (c && --c->n == 0) {
    lua_pushnil(L);
    lua_rawset(L, -3);
  } else {
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return 0;
}

void lbr_pin(lua_State *L, int idx, const char *by) {
  idx = lua_absindex(L, idx);
  luaL_checkstack(L, 4, "pin");
  if (luaL_newmetatable(L, PIN_GUARD_MT)) {
    lua_pushcfunction(L, pin_guard_close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, pin_guard_close); /* a guard is never collected before its close; belt and braces */
    lua_setfield(L, -2, "__gc");
    lua_pushliteral(L, "bundle.pin_guard");
    lua_setfield(L, -2, "__metatable"); /* the script cannot reach the metamethods through the guard */
  }
  lua_pop(L, 1);
  /* the guard first (inactive), then the count: if an allocation fails
   * part way, nothing is counted and nothing stays anchored */
  pin_guard *g = lua_newuserdatauv(L, sizeof *g, 1);
  g->active = 0;
  luaL_setmetatable(L, PIN_GUARD_MT);
  lua_pushvalue(L, idx);
  lua_setiuservalue(L, -2, 1); /* anchors the value while the guard lives */
  push_pins(L);                /* [guard pins] */
  lua_pushvalue(L, idx);
  pin_count *c = lua_rawget(L, -2) == LUA_TUSERDATA ? lua_touserdata(L, -1) : NULL;
  lua_pop(L, 1);
  if (!c) {
    c = lua_newuserdatauv(L, sizeof *c, 0);
    *c = (pin_count){0, by};
    lua_pushvalue(L, idx);
    lua_insert(L, -2);
    lua_rawset(L, -3);
  }
  lua_pop(L, 1); /* [guard] */
  c->n++;
  g->active = 1;
  lua_toclose(L, -1); /* cannot fail: the stack has room (checked above) */
}

/* ---- the module's own C functions ----
 * A binding that reads an argument's pointer and then reads an options
 * table or a list may run the script's metamethods (__index, __len) before
 * it is done with the pointer. Rather than pin in every such function, a
 * close looks down the calling thread's stack: a C function of this module
 * that has the value among its stack slots may hold its pointer, and the
 * close is refused. The registry table at &ours_key holds those functions
 * (light userdata of their addresses), filled once by luaopen_bundle_core. */
static char ours_key;

static void *fn_key(lua_CFunction f) { return (void *)(uintptr_t)f; }

/* Adds every C function in the table at idx (and its tables, to depth 4). */
static void collect_ours(lua_State *L, int idx, int ours, int depth) {
  idx = lua_absindex(L, idx);
  luaL_checkstack(L, 6, "bundle functions");
  for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
    lua_CFunction f = lua_tocfunction(L, -1);
    if (f) {
      lua_pushboolean(L, 1);
      lua_rawsetp(L, ours, fn_key(f));
    } else if (lua_type(L, -1) == LUA_TTABLE && depth < 4) {
      collect_ours(L, -1, ours, depth + 1);
    }
  }
}

void lbr_register_ours(lua_State *L, int module) {
  module = lua_absindex(L, module);
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ours_key) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &ours_key);
  }
  int ours = lua_gettop(L);
  collect_ours(L, module, ours, 0);
  /* the classes' metatables: metamethods and their __index method tables,
   * also when __index is a C closure over the methods table (Rules index by
   * integer too, Bundle views look up with one rawget): without this, no
   * Rules or Bundle method was looked at by a close */
  for (lua_pushnil(L); lua_next(L, LUA_REGISTRYINDEX); lua_pop(L, 1)) {
    if (lua_type(L, -2) == LUA_TSTRING && strncmp(lua_tostring(L, -2), "bundle.", 7) == 0 &&
        lua_type(L, -1) == LUA_TTABLE) {
      collect_ours(L, -1, ours, 0);
      if (lua_getfield(L, -1, "__index") == LUA_TFUNCTION && lua_tocfunction(L, -1)) {
        for (int up = 1; lua_getupvalue(L, -1, up); up++) {
          if (lua_type(L, -1) == LUA_TTABLE) collect_ours(L, -1, ours, 1);
          lua_pop(L, 1);
        }
      }
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
}

/* ---- threads that resumed others ----
 * A close can run in a coroutine resumed from inside the call that holds
 * the value (an objective or a metamethod resumes it): the holding C frame
 * is then on another thread's stack. The registry table at &resumers_key
 * (weak both ways) maps a coroutine to the thread resuming it now, kept by
 * bundle's coroutine.resume, wrap and close (lcoroutine.c; also under the
 * sandbox's wrappers); the main thread is always looked at too. */
static char resumers_key;

void lbr_push_resumers(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &resumers_key) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "kv");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &resumers_key);
  }
}

/* The thread resuming T now (by a recording resume), or NULL. */
static lua_State *resumer_of(lua_State *L, lua_State *T) {
  lua_State *r = NULL;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &resumers_key) == LUA_TTABLE) {
    if (!lua_checkstack(T, 1)) {
      lua_pop(L, 1);
      return NULL;
    }
    lua_pushthread(T);
    lua_xmove(T, L, 1);
    if (lua_rawget(L, -2) == LUA_TTHREAD) r = lua_tothread(L, -1);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return r;
}

/* Raises when a C function of this module on thread T's stack (below the
 * close, when T is the closing thread) has the value at idx (on L's stack)
 * in one of its slots. Lua frames are skipped: they hold values, never
 * pointers. Values are read on T and moved to L to compare, as the debug
 * library reads other threads. */
static void check_thread(lua_State *L, lua_State *T, int ours, int idx, const char *what) {
  lua_Debug ar;
  for (int level = T == L ? 1 : 0; lua_getstack(T, level, &ar); level++) {
    if (!lua_checkstack(T, 2) || !lua_getinfo(T, "Sf", &ar)) continue;
    lua_xmove(T, L, 1);
    lua_CFunction f = lua_tocfunction(L, -1);
    lua_pop(L, 1);
    if (!f || ar.what[0] != 'C') continue;
    int mine = lua_rawgetp(L, ours, fn_key(f)) != LUA_TNIL;
    lua_pop(L, 1);
    if (!mine) continue;
    for (int n = 1;; n++) {
      if (!lua_checkstack(T, 1) || !lua_getlocal(T, &ar, n)) break;
      lua_xmove(T, L, 1);
      int same = lua_rawequal(L, -1, idx);
      lua_pop(L, 1);
      if (same) {
        lua_getinfo(T, "n", &ar);
        luaL_error(L, "close: the %s is in use by a running call (%s); close it after the call returns", what,
                   ar.name ? ar.name : "a bundle function");
      }
    }
  }
}

/* Raises when a C function of this module that may hold the value at idx
 * is running: on this thread below the close, on the threads that resumed
 * it (as far as recorded), or on the main thread. */
static void check_not_held(lua_State *L, int idx, const char *what) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ours_key) != LUA_TTABLE) {
    lua_pop(L, 1);
    return;
  }
  int ours = lua_gettop(L);
  luaL_checkstack(L, 6, "close");
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  lua_State *main = lua_tothread(L, -1);
  lua_pop(L, 1);
  int saw_main = 0, hops = 0;
  for (lua_State *T = L; T && hops < 256; T = resumer_of(L, T), hops++) {
    check_thread(L, T, ours, idx, what);
    saw_main |= T == main;
    if (T == main) break;
  }
  if (main && !saw_main) check_thread(L, main, ours, idx, what);
  lua_pop(L, 1);
}

void lbr_check_unpinned(lua_State *L, int idx, const char *what) {
  if (lua_type(L, idx) != LUA_TUSERDATA) return;
  idx = lua_absindex(L, idx);
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &pins_key) == LUA_TTABLE) {
    lua_pushvalue(L, idx);
    pin_count *c = lua_rawget(L, -2) == LUA_TUSERDATA ? lua_touserdata(L, -1) : NULL;
    lua_pop(L, 2);
    if (c && c->n > 0) luaL_error(L, "close: the %s is in use by %s; close it after the call returns", what, c->by);
  } else {
    lua_pop(L, 1);
  }
  check_not_held(L, idx, what);
}

void lbr_sort_strings(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
  for (lua_Integer i = 2; i <= n; i++) { /* option lists are short: insertion sort */
    lua_rawgeti(L, idx, i);
    size_t lx;
    const char *x = lua_tolstring(L, -1, &lx);
    lua_Integer j = i;
    for (; j > 1; j--) {
      lua_rawgeti(L, idx, j - 1);
      size_t ly;
      const char *y = lua_tolstring(L, -1, &ly);
      size_t m = lx < ly ? lx : ly;
      int c = memcmp(y, x, m);
      int greater = c > 0 || (c == 0 && ly > lx);
      if (!greater) {
        lua_pop(L, 1);
        break;
      }
      lua_rawseti(L, idx, j); /* shift y up */
    }
    lua_rawseti(L, idx, j); /* x */
  }
}

br_rng *lbr_default_rng(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, RNG_KEY);
  br_rng *r = lua_touserdata(L, -1);
  lua_pop(L, 1); /* the registry keeps it alive */
  return r;
}

static int bundle_clock(lua_State *L) {
  lua_pushnumber(L, br_clock_now());
  return 1;
}

/* bundle.seed(n): reseeds the generator used by calls that take no seed. */
static int bundle_seed(lua_State *L) {
  lua_Integer seed = luaL_checkinteger(L, 1);
  br_rng_seed(lbr_default_rng(L), (uint64_t)seed);
  return 0;
}

/* progress_mode([forced]) -> "bar" | "lines" | false: how bundle.progress
 * shows work on stderr. A terminal gets a bar; otherwise lines, but only
 * when asked (forced, or BUNDLE_PROGRESS set, as `bundlerun --progress`
 * does), so a pipe stays quiet. BUNDLE_PROGRESS=0 turns it off. */
static int bundle_progress_mode(lua_State *L) {
  const char *env = getenv("BUNDLE_PROGRESS");
  int tty = isatty(STDERR_FILENO);
  int asked = lua_toboolean(L, 1) || (env && env[0] && strcmp(env, "0") != 0);
  if (!lua_toboolean(L, 1) && env && strcmp(env, "0") == 0) lua_pushboolean(L, 0);
  else if (tty) lua_pushliteral(L, "bar");
  else if (asked) lua_pushliteral(L, "lines");
  else lua_pushboolean(L, 0);
  return 1;
}

/* The progress bar's line while a long C call runs: the Lua side draws
 * the bar between calls; inside one, the core's deadline polls tick here
 * and the bar's clock is redrawn from C (no Lua runs in a C call). */
static struct {
  char line[512];
  double t0;
} ticking;

static void progress_tick(void *ctx) {
  (void)ctx;
  double s = br_clock_now() - ticking.t0;
  if (s < 60) fprintf(stderr, "\r\033[K%s  %.1f s", ticking.line, s);
  else fprintf(stderr, "\r\033[K%s  %dm%02ds", ticking.line, (int)(s / 60), (int)s % 60);
  fflush(stderr);
}

/* progress_tick(line, t0): while long C calls run, redraw "line  <time
 * since t0>" on stderr every 0.2 s; progress_tick(nil) stops. */
static int bundle_progress_tick(lua_State *L) {
  if (lua_isnoneornil(L, 1)) {
    br_deadline_on_tick(NULL, NULL, 0);
    return 0;
  }
  snprintf(ticking.line, sizeof ticking.line, "%s", luaL_checkstring(L, 1));
  ticking.t0 = luaL_checknumber(L, 2);
  br_deadline_on_tick(progress_tick, NULL, 0.2);
  return 0;
}

LBR_EXPORT int luaopen_bundle_core(lua_State *L) {
  luaL_checkversion(L);
  /* One default generator per Lua state, created on first open. */
  lua_getfield(L, LUA_REGISTRYINDEX, RNG_KEY);
  if (lua_isnil(L, -1)) {
    br_rng *r = lua_newuserdatauv(L, sizeof *r, 0);
    br_rng_seed(r, 0);
    lua_setfield(L, LUA_REGISTRYINDEX, RNG_KEY);
  }
  lua_pop(L, 1);

  static const luaL_Reg funcs[] = {
      {"clock", bundle_clock},
      {"seed", bundle_seed},
      {"progress_mode", bundle_progress_mode},
      {"progress_tick", bundle_progress_tick},
      {NULL, NULL},
  };
  luaL_newlib(L, funcs);
  lua_pushstring(L, br_version());
  lua_setfield(L, -2, "version");
  lbr_tensor_open(L);
  lua_setfield(L, -2, "tensor");
  lbr_frame_open(L);
  lbr_frame_more_open(L);
  lbr_basket_open(L);
  lbr_model_open(L);
  lbr_search_open(L);
  lbr_rules_open(L);
  lbr_pareto_open(L);
  lbr_price_open(L);
  lbr_eval_open(L);
  lbr_sandbox_open(L);
  lbr_chunks_open(L);
  lbr_counts_open(L);
  lbr_mpi_open(L);
  lbr_register_ours(L, -1);
  lbr_record_resumes(L);
  return 1;
}
