/* Limits for scripts we do not trust, after Redis's Lua scripting, and the
 * separate Lua state they run in.
 *
 * A sandboxed script (bundle.sandbox.run, bundlerun --sandbox) gets a
 * lua_State of its own: its own globals, registry and metatables, and a
 * `require` that loads only bundle's modules compiled into the program, so
 * nothing it changes or leaves behind is reachable from trusted code, and
 * the state is closed when the run ends. Values cross between states only
 * as deep copies: plain data here, bundle's objects as fresh copies owned
 * by the receiving state (lsandbox_copy.c). Inside, a count hook enforces time (pcall
 * cannot swallow it), an allocator charges every byte to the budget shared
 * with the core's tensors and frames (bundle/memory.h), and bundle's
 * loaders check a path allow-list. The script-facing globals are built in
 * Lua (bundle/sandbox.lua, env()); this file is what Lua cannot do. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lualib.h>

#include "lbundle.h"
#include "llimits.h"
#include "lsandbox.h"

LBR_EXPORT int luaopen_bundle_core(lua_State *L);

/* ---- the sandbox's own state ---- */

/* require(name) inside the sandbox: bundle.core, built in, or one of
 * bundle's Lua modules embedded in the program (lbr_embedded_modules).
 * It never searches the filesystem and never loads other C code, so files
 * a script writes can never become code. */
static int sandbox_require(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  lua_settop(L, 1);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE); /* [name loaded] */
  if (lua_getfield(L, 2, name) != LUA_TNIL) return 1;
  lua_pop(L, 1);
  if (strcmp(name, "bundle.core") == 0) {
    lua_pushcfunction(L, luaopen_bundle_core);
  } else {
    const lbr_embedded_module *m = lbr_embedded_modules;
    while (m->name && strcmp(m->name, name) != 0) m++;
    if (!m->name)
      return luaL_error(L, "sandbox: module '%s' not found (the sandbox loads only bundle's own modules)", name);
    if (luaL_loadbufferx(L, m->src, m->len, m->chunkname, "t") != LUA_OK) return lua_error(L);
  }
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, 2, name);
  return 1;
}

/* Calls upvalue 1 (the library's own function that a sandbox version
 * wraps) with the arguments, keeping nres results (LUA_MULTRET: all). */
static int call_lua_own(lua_State *L, int nres) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, nres);
  return lua_gettop(L);
}

#define STR_CHUNK ((size_t)1 << 20) /* bytes between time checks */

/* A reader for load: the string at upvalue 1 in STR_CHUNK pieces from the
 * offset at upvalue 2, the time limit checked before each. */
static int load_piece(lua_State *L) {
  size_t len;
  const char *s = lua_tolstring(L, lua_upvalueindex(1), &len);
  size_t at = (size_t)lua_tointeger(L, lua_upvalueindex(2));
  lbr_limits_check(L);
  if (at >= len) return 0;
  size_t n = len - at < STR_CHUNK ? len - at : STR_CHUNK;
  lua_pushinteger(L, (lua_Integer)(at + n));
  lua_replace(L, lua_upvalueindex(2));
  lua_pushlstring(L, s + at, n);
  return 1;
}

/* load(chunk [, name [, mode [, env]]]) for text chunks only: binary chunks
 * are not verified by Lua and can crash it. A long string chunk is handed
 * to Lua's load as a reader of pieces: the lexer skips a 512 MB comment or
 * run of blanks without allocating, which neither the hook nor the
 * allocator's time check reaches (0.9 s past the limit per 512 MB). */
static int sandbox_load(lua_State *L) {
  if (lua_type(L, 1) == LUA_TSTRING && lua_rawlen(L, 1) >= 4 * STR_CHUNK) {
    if (lua_gettop(L) < 2) lua_settop(L, 2);
    if (lua_isnil(L, 2)) { /* Lua names a string chunk by its text */
      lua_pushvalue(L, 1);
      lua_replace(L, 2);
    }
    lua_pushvalue(L, 1);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, load_piece, 2);
    lua_replace(L, 1);
  }
  int n = lua_gettop(L);
  if (n >= 3 && !lua_isnil(L, 3) && !(lua_type(L, 3) == LUA_TSTRING && strcmp(lua_tostring(L, 3), "t") == 0))
    return luaL_error(L, "sandbox: load accepts text chunks only (mode \"t\")");
  if (n < 3) lua_settop(L, n = 3); /* an absent env stays absent: only up to mode is filled */
  lua_pushliteral(L, "t");
  lua_replace(L, 3);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  return lua_gettop(L);
}

/* setmetatable refusing __gc: a finaliser runs with hooks off (no time
 * limit) and, at the latest, when the state is closed after the run. Lua
 * marks an object for finalisation only when setmetatable is given a
 * metatable that has __gc at that moment (lgc.c, luaC_checkfinalizer);
 * adding __gc to the metatable later marks nothing. So refusing any
 * metatable with a __gc field, even false, is enough: a placeholder
 * cannot be swapped for a function afterwards. */
static int sandbox_setmetatable(lua_State *L) {
  if (lua_type(L, 2) == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    int has_gc = lua_rawget(L, 2) != LUA_TNIL;
    lua_pop(L, 1);
    if (has_gc) return luaL_error(L, "sandbox: __gc metamethods are not allowed");
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

/* collectgarbage without "stop", "incremental", "generational" or the
 * tuning options: a script must not switch the collector off. */
static int sandbox_collectgarbage(lua_State *L) {
  static const char *const ok[] = {"collect", "count", "step", "isrunning", NULL};
  if (!lua_isnoneornil(L, 1)) {
    const char *opt = luaL_checkstring(L, 1);
    int i = 0;
    while (ok[i] && strcmp(ok[i], opt) != 0) i++;
    if (!ok[i]) return luaL_error(L, "sandbox: collectgarbage(\"%s\") is not allowed", opt);
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

/* Gives thread co the calling thread's hook. lua_newthread already copies
 * it; doing it here as well keeps the time limit on every coroutine even if
 * that ever changes. */
static void hook_like(lua_State *L, lua_State *co) {
  if (lua_gethook(L)) lua_sethook(co, lua_gethook(L), lua_gethookmask(L), lua_gethookcount(L));
}

static int sandbox_cocreate(lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  if (lua_type(L, -1) == LUA_TTHREAD) hook_like(L, lua_tothread(L, -1));
  return 1;
}

/* Calls upvalue 1 with the arguments, then checks the deadline: a
 * coroutine stopped by the deadline returns to its resumer as an error
 * value (resume's false, or a pcall around a wrap function), and the
 * resumer must not go on. */
static int call_then_check(lua_State *L) {
  /* the function called is bundle's recording resume, wrap function or
   * close (lcoroutine.c, installed below the wrappers), which notes which
   * thread runs which */
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  lbr_limits_check(L);
  return lua_gettop(L);
}

/* coroutine.wrap's function keeps its thread as its only upvalue. */
static int sandbox_cowrap(lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  if (lua_getupvalue(L, -1, 1) && lua_type(L, -1) == LUA_TTHREAD) hook_like(L, lua_tothread(L, -1));
  lua_settop(L, 1);
  lua_pushcclosure(L, call_then_check, 1);
  return 1;
}

/* bundle's modules warn on io.stderr; the sandbox's io has only that. */
static int stderr_write(lua_State *L) {
  for (int i = 2; i <= lua_gettop(L); i++) {
    size_t len;
    const char *s = luaL_checklstring(L, i, &len);
    fwrite(s, 1, len, stderr);
  }
  lua_settop(L, 1);
  return 1;
}

/* The sandbox has no environment variables (pipeline asks for TERM). */
static int no_getenv(lua_State *L) {
  luaL_checkstring(L, 1);
  lua_pushnil(L);
  return 1;
}

/* Lua's C loops that the count hook cannot interrupt and that memory does
 * not bound either: the sandbox's versions check the time limit as they go.
 *
 * string.rep: Lua's copies the string n times one piece at a time (a
 * 1 GiB rep("x", 2^30) is 2^30 memcpy calls, seconds with no check); this
 * one fills the result by doubling what is written (log2 n copies), with
 * the time limit checked between them. An empty string with an empty
 * separator is "" at once (Lua's loops n times, n may be 2^62). */
static int sandbox_strrep(lua_State *L) {
  size_t l, lsep = 0;
  const char *s = luaL_checklstring(L, 1, &l);
  lua_Integer n = luaL_checkinteger(L, 2);
  const char *sep = luaL_optlstring(L, 3, "", &lsep);
  if ((l == 0 && lsep == 0) || n <= 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  size_t unit = l + lsep;
  /* Lua's string library makes no string of INT_MAX bytes or more (its
   * MAXSIZE): those go to Lua's rep for its "resulting string too large" */
  if (n == 1 || unit < l || unit >= (size_t)INT_MAX / (size_t)n || unit * (size_t)n < 4 * STR_CHUNK) {
    lua_pushvalue(L, lua_upvalueindex(1)); /* small, or too large: Lua's own, with its errors */
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
  }
  size_t total = unit * (size_t)n - lsep; /* n >= 2: total >= unit */
  luaL_Buffer b;
  char *p = luaL_buffinitsize(L, &b, total);
  memcpy(p, s, l);
  memcpy(p + l, sep, lsep);
  for (size_t filled = unit; filled < total;) {
    size_t c = filled < total - filled ? filled : total - filled;
    memcpy(p + filled, p, c); /* the prefix repeats with period `unit` */
    filled += c;
    lbr_limits_check(L);
  }
  luaL_pushresultsize(&b, total);
  return 1;
}

/* string.upper, lower and reverse of a long string: one C loop over every
 * byte after a single allocation, so the time limit's refusal of large
 * blocks never comes. Here the loop checks the limit every STR_CHUNK
 * bytes. Upvalue 2 says which (0 upper, 1 lower, 2 reverse). */
static int sandbox_strmap(lua_State *L) {
  size_t l;
  const char *s = luaL_checklstring(L, 1, &l);
  if (l < 4 * STR_CHUNK) {
    return call_lua_own(L, 1);
  }
  lua_Integer kind = lua_tointeger(L, lua_upvalueindex(2));
  luaL_Buffer b;
  char *p = luaL_buffinitsize(L, &b, l);
  for (size_t i = 0; i < l; i++) {
    if ((i & (STR_CHUNK - 1)) == 0) lbr_limits_check(L);
    unsigned char c = (unsigned char)(kind == 2 ? s[l - 1 - i] : s[i]);
    p[i] = (char)(kind == 0 ? toupper(c) : kind == 1 ? tolower(c) : c);
  }
  luaL_pushresultsize(&b, l);
  return 1;
}

/* utf8.len(s [, i [, j [, lax]]]) of a long string: one C loop over every
 * byte (13 s for 1 GiB on a loaded machine). Here Lua's own counts pieces
 * of about STR_CHUNK bytes, each ending before a character's first byte,
 * with the time limit checked between them; the answer, and the position
 * of an invalid byte, are Lua's. */
static lua_Integer u_posrelat(lua_Integer pos, size_t len) {
  if (pos >= 0) return pos;
  if (0u - (size_t)pos > len) return 0;
  return (lua_Integer)len + pos + 1;
}

static int sandbox_utf8len(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  if (len < 4 * STR_CHUNK) {
    return call_lua_own(L, LUA_MULTRET);
  }
  lua_Integer posi = u_posrelat(luaL_optinteger(L, 2, 1), len);
  lua_Integer posj = u_posrelat(luaL_optinteger(L, 3, -1), len);
  int lax = lua_toboolean(L, 4);
  luaL_argcheck(L, 1 <= posi && posi - 1 <= (lua_Integer)len, 2, "initial position out of bounds");
  luaL_argcheck(L, posj - 1 < (lua_Integer)len, 3, "final position out of bounds");
  lua_Integer count = 0;
  while (posi <= posj) {
    lua_Integer end = posj - posi < (lua_Integer)STR_CHUNK ? posj : posi + (lua_Integer)STR_CHUNK - 1;
    /* the piece ends before a character's first byte (a valid one has at
     * most 5 continuation bytes, even lax) */
    for (int k = 0; k < 5 && end < posj && ((unsigned char)s[end] & 0xC0) == 0x80; k++) end--;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushinteger(L, posi);
    lua_pushinteger(L, end);
    lua_pushboolean(L, lax);
    lua_call(L, 4, 2);
    if (!lua_isinteger(L, -2)) return 2; /* fail and the position of the invalid byte */
    count += lua_tointeger(L, -2);
    lua_pop(L, 2);
    posi = end + 1;
    lbr_limits_check(L);
  }
  lua_pushinteger(L, count);
  return 1;
}

static void wrap_strmap(lua_State *L, const char *name, int kind) {
  lua_getfield(L, -1, name);
  lua_pushinteger(L, kind);
  lua_pushcclosure(L, sandbox_strmap, 2);
  lua_setfield(L, -2, name);
}

/* table.move(a1, f, e, t [, a2]) over a range of 10^11 slots of a plain
 * table is a C loop of 10^11 steps: moved in chunks, with the time limit
 * checked between them, in the order Lua's own move uses (backwards when
 * the ranges overlap with t inside (f, e] of the same table). */
#define MOVE_CHUNK ((lua_Integer)1 << 16)
static int sandbox_tmove(lua_State *L) {
  lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3), t = luaL_checkinteger(L, 4);
  int tt = lua_isnoneornil(L, 5) ? 1 : 5;
  /* short or invalid ranges: Lua's move, with its own checks and errors */
  if (e < f || !(f > 0 || e < LUA_MAXINTEGER + f) || e - f < MOVE_CHUNK || t > LUA_MAXINTEGER - (e - f)) {
    return call_lua_own(L, 1);
  }
  luaL_checktype(L, 1, LUA_TTABLE); /* as Lua's: tables (or values with __index/__newindex) */
  luaL_checktype(L, tt, LUA_TTABLE);
  lua_Integer n = e - f; /* the last offset */
  int forward = t > e || t <= f || (tt != 1 && !lua_compare(L, 1, tt, LUA_OPEQ));
  for (lua_Integer done = 0; done <= n; done += MOVE_CHUNK) {
    lua_Integer len = n - done < MOVE_CHUNK ? n - done + 1 : MOVE_CHUNK;
    lua_Integer off = forward ? done : n - done - len + 1; /* backwards: the last chunk first */
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushinteger(L, f + off);
    lua_pushinteger(L, f + off + len - 1);
    lua_pushinteger(L, t + off);
    lua_pushvalue(L, tt);
    lua_call(L, 5, 0);
    lbr_limits_check(L);
  }
  lua_pushvalue(L, tt);
  return 1;
}

/* table.sort of millions of values with Lua's own order is one C call of
 * seconds (3M strings: 5 s): above SORT_PLAIN values the sandbox's sort
 * passes a comparator of its own, which orders as Lua's default (<) and
 * checks the time limit every 4096 comparisons. A script's comparator
 * is Lua, and the count hook reaches it. */
#define SORT_PLAIN 65536
static int sort_less(lua_State *L) {
  lua_Integer n = lua_tointeger(L, lua_upvalueindex(1)) + 1;
  lua_pushinteger(L, n);
  lua_replace(L, lua_upvalueindex(1));
  if ((n & 4095) == 0) lbr_limits_check(L);
  lua_pushboolean(L, lua_compare(L, 1, 2, LUA_OPLT));
  return 1;
}

static int sandbox_tsort(lua_State *L) {
  if (lua_isnoneornil(L, 2) && lua_type(L, 1) == LUA_TTABLE && lua_rawlen(L, 1) > SORT_PLAIN) {
    lua_settop(L, 1);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, sort_less, 1);
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 0);
  return 0;
}

/* Replaces field `name` of the table on the stack top by f, with the old
 * value as f's upvalue. */
static void wrap_field(lua_State *L, const char *name, lua_CFunction f) {
  lua_getfield(L, -1, name);
  lua_pushcclosure(L, f, 1);
  lua_setfield(L, -2, name);
}

static int sandbox_setup(lua_State *L) {
  static const luaL_Reg libs[] = {
      {LUA_GNAME, luaopen_base},         {LUA_COLIBNAME, luaopen_coroutine}, {LUA_TABLIBNAME, luaopen_table},
      {LUA_OSLIBNAME, luaopen_os},       {LUA_STRLIBNAME, luaopen_string},   {LUA_MATHLIBNAME, luaopen_math},
      {LUA_UTF8LIBNAME, luaopen_utf8},   {NULL, NULL},
  };
  for (const luaL_Reg *lib = libs; lib->func; lib++) {
    luaL_requiref(L, lib->name, lib->func, 1);
    lua_pop(L, 1);
  }
  lua_pushglobaltable(L);
  lua_pushnil(L), lua_setfield(L, -2, "dofile");
  lua_pushnil(L), lua_setfield(L, -2, "loadfile");
  wrap_field(L, "load", sandbox_load);
  wrap_field(L, "setmetatable", sandbox_setmetatable);
  wrap_field(L, "collectgarbage", sandbox_collectgarbage);
  lbr_limits_guard_xpcall(L);
  lua_pushcfunction(L, sandbox_require);
  lua_setfield(L, -2, "require");
  lua_createtable(L, 0, 1); /* io */
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, stderr_write);
  lua_setfield(L, -2, "write");
  lua_setfield(L, -2, "stderr");
  lua_setfield(L, -2, "io");

  lua_getfield(L, -1, "os");
  static const char *const os_out[] = {"execute", "exit", "remove", "rename", "tmpname", "setlocale", NULL};
  for (const char *const *n = os_out; *n; n++) lua_pushnil(L), lua_setfield(L, -2, *n);
  lua_pushcfunction(L, no_getenv);
  lua_setfield(L, -2, "getenv");
  lua_pop(L, 1);

  lbr_record_resumes(L); /* bundle's recording resume, wrap and close, under the wrappers below */
  lua_getfield(L, -1, "coroutine");
  wrap_field(L, "create", sandbox_cocreate);
  wrap_field(L, "wrap", sandbox_cowrap);
  wrap_field(L, "resume", call_then_check);
  wrap_field(L, "close", call_then_check); /* runs the thread's pending __close handlers: a resume of sorts */
  lua_pop(L, 1);

  lua_getfield(L, -1, "utf8");
  wrap_field(L, "len", sandbox_utf8len);
  lua_pop(L, 1);

  lua_getfield(L, -1, "table");
  wrap_field(L, "move", sandbox_tmove);
  wrap_field(L, "sort", sandbox_tsort);
  lua_pop(L, 1);

  lua_getfield(L, -1, "string"); /* also the strings' __index */
  wrap_field(L, "rep", sandbox_strrep);
  wrap_strmap(L, "upper", 0);
  wrap_strmap(L, "lower", 1);
  wrap_strmap(L, "reverse", 2);
  lbr_limits_guard_strings(L);
  lbr_pattern_open(L);
  lua_pop(L, 2);
  return 0;
}

/* A sandbox state owning lim (its limits: llimits.h); NULL on no memory. */
static lua_State *sandbox_newstate_with(lbr_limits *lim) {
  lua_State *L = lbr_limits_newstate_with(lim);
  if (!L) return NULL;
  lua_pushcfunction(L, sandbox_setup);
  if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
    lbr_limits_close(L);
    return NULL;
  }
  return L;
}

lua_State *lbr_sandbox_newstate(void) { return sandbox_newstate_with(lbr_limits_new()); }

/* ---- values across the boundary ---- */

/* Only data crosses between the sandbox and its caller: numbers, strings,
 * booleans, nil and tables of those without metatables, deep copied, and
 * bundle's objects (Tensor, Frame, Column, Baskets, Itemsets, Rules,
 * Catalog, SearchResult, Model, GBDT, Counts) as fresh deep copies owned
 * by the receiving state (lsandbox_copy.c dispatches on the class; the
 * core's br_*_clone copies). A function, other userdata or thread could
 * run code or reach objects of the other state, and a metatable could run
 * code on the first touch; a Bundle view, a CsvChunks iterator (an open
 * file) and a sandbox's own state are refused, named. */
#define COPY_MAX_DEPTH 64
#define COPY_MAX_VALUES 1000000
#define COPY_MAX_BYTES ((size_t)256 << 20)

/* What a copy costs the receiving state, roughly (Lua 5.4 on 64 bits):
 * a table header, and a slot per value */
#define COPY_TABLE_COST 56
#define COPY_VALUE_COST 16

typedef struct copier {
  lua_State *from, *to;
  int64_t values;
  size_t bytes;
  /* results of a run with a memory limit: their copy's estimated size must
   * fit in it too, or a 16 MB script returning 60,000 references to one
   * 4 KB string makes the caller allocate 231 MB (copies are not shared) */
  double mem_limit, mem_cost;
  /* results: the run's limits. Copying them out is part of the run, so it
   * stops at the run's deadline too: a script that builds eight 128 MB
   * tensors just inside its time and returns them would otherwise hold its
   * caller for seconds of page faults past it (8.3 s under timeout = 3) */
  const lbr_limits *lim;
  int timed_out;
  lbr_copy_ctx x; /* bundle objects' copier: its memo lives for one call */
  size_t plen;
  char path[512];
  char err[768];
} copier;

static void path_push(copier *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void path_push(copier *c, const char *fmt, ...) {
  if (c->plen >= sizeof c->path - 1) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(c->path + c->plen, sizeof c->path - c->plen, fmt, ap);
  va_end(ap);
  if (n > 0) c->plen += (size_t)n < sizeof c->path - c->plen ? (size_t)n : sizeof c->path - c->plen - 1;
}

/* Appends key (at idx in c->from) to the path: .name, ["text"], [3]. */
static void path_key(copier *c, int idx) {
  lua_State *L = c->from;
  if (lua_type(L, idx) == LUA_TSTRING) {
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    int ident = len > 0 && len < 64 && !(s[0] >= '0' && s[0] <= '9');
    for (size_t i = 0; ident && i < len; i++)
      ident = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_';
    if (ident) path_push(c, ".%s", s);
    else path_push(c, "[\"%.40s%s\"]", s, len > 40 ? "..." : "");
  } else if (lua_isinteger(L, idx)) {
    path_push(c, "[%lld]", (long long)lua_tointeger(L, idx));
  } else if (lua_type(L, idx) == LUA_TNUMBER) {
    path_push(c, "[%.17g]", lua_tonumber(L, idx));
  } else if (lua_type(L, idx) == LUA_TBOOLEAN) {
    path_push(c, "[%s]", lua_toboolean(L, idx) ? "true" : "false");
  } else {
    path_push(c, "[<%s>]", luaL_typename(L, idx));
  }
}

static int copy_fail(copier *c, const char *what) {
  snprintf(c->err, sizeof c->err, "%.*s %s; only numbers, strings, booleans, tables of those and bundle's data objects cross the sandbox boundary",
           (int)c->plen, c->path, what);
  return 0;
}

/* A bundle object: a fresh deep copy owned by the receiving state, or a
 * refusal naming the class and why (lsandbox_copy.c). */
static int copy_object(copier *c, int idx) {
  c->x.from = c->from;
  c->x.to = c->to;
  c->x.mem_limit = c->mem_limit;
  c->x.mem_cost = c->mem_cost;
  int ok = lbr_copy_object(&c->x, idx);
  c->mem_cost = c->x.mem_cost;
  return ok ? 1 : copy_fail(c, c->x.why);
}

/* Pushes onto c->to a copy of the value at idx in c->from; 0 (nothing
 * pushed, c->err set) when it may not cross. Never runs a metamethod. */
static int copy_value(copier *c, int idx, int depth) {
  lua_State *from = c->from, *to = c->to;
  idx = lua_absindex(from, idx);
  if (++c->values > COPY_MAX_VALUES) return copy_fail(c, "is past the limit of 1000000 values");
  if (c->lim && lbr_limits_passed(c->lim) > 0) { /* checked per value: a clock read, tens of ns */
    c->timed_out = 1;
    snprintf(c->err, sizeof c->err, "%.*s and what follows were not copied", (int)c->plen, c->path);
    return 0;
  }
  c->mem_cost += COPY_VALUE_COST + (lua_type(from, idx) == LUA_TTABLE ? COPY_TABLE_COST : 0) +
                 (lua_type(from, idx) == LUA_TSTRING ? (double)lua_rawlen(from, idx) : 0);
  if (c->mem_limit > 0 && c->mem_cost > c->mem_limit) {
    char what[96];
    snprintf(what, sizeof what, "is past the run's memory limit of %g MB (its results are copied out within it)",
             c->mem_limit / 1048576.0);
    return copy_fail(c, what);
  }
  switch (lua_type(from, idx)) {
  case LUA_TNIL:
    lua_pushnil(to);
    return 1;
  case LUA_TBOOLEAN:
    lua_pushboolean(to, lua_toboolean(from, idx));
    return 1;
  case LUA_TNUMBER:
    if (lua_isinteger(from, idx)) lua_pushinteger(to, lua_tointeger(from, idx));
    else lua_pushnumber(to, lua_tonumber(from, idx));
    return 1;
  case LUA_TSTRING: {
    size_t len;
    const char *s = lua_tolstring(from, idx, &len);
    if ((c->bytes += len) > COPY_MAX_BYTES) return copy_fail(c, "is past the limit of 256 MB of strings");
    lua_pushlstring(to, s, len);
    return 1;
  }
  case LUA_TTABLE:
    break;
  case LUA_TUSERDATA:
    return copy_object(c, idx);
  default: {
    char what[64];
    snprintf(what, sizeof what, "is a %s", luaL_typename(from, idx));
    return copy_fail(c, what);
  }
  }
  if (depth >= COPY_MAX_DEPTH) return copy_fail(c, "nests tables deeper than 64 levels (a cycle?)");
  if (lua_getmetatable(from, idx)) {
    lua_pop(from, 1);
    return copy_fail(c, "has a metatable");
  }
  if (!lua_checkstack(from, 4) || !lua_checkstack(to, 4)) return copy_fail(c, "nests too deep for the Lua stack");
  lua_newtable(to);
  size_t mark = c->plen;
  lua_pushnil(from);
  while (lua_next(from, idx)) { /* [... key value] */
    path_key(c, -2);
    int kt = lua_type(from, -2);
    if (kt != LUA_TSTRING && kt != LUA_TNUMBER && kt != LUA_TBOOLEAN) {
      lua_pop(from, 2);
      lua_pop(to, 1);
      return copy_fail(c, "has a key that is not a number, string or boolean");
    }
    if (!copy_value(c, -2, depth + 1)) { /* key: plain, so this only counts it */
      lua_pop(from, 2);
      lua_pop(to, 1);
      return 0;
    }
    if (!copy_value(c, -1, depth + 1)) {
      lua_pop(from, 2);
      lua_pop(to, 2);
      return 0;
    }
    lua_rawset(to, -3);
    lua_pop(from, 1);
    c->plen = mark;
    c->path[mark] = '\0';
  }
  return 1;
}

/* Copies from[first .. first+n-1] onto `to`, naming them base[1], base[2]...
 * 0 with c->err set when one may not cross (nothing left pushed). */
static int copy_values(copier *c, int first, int n, const char *base) {
  for (int i = 0; i < n; i++) {
    c->plen = 0;
    path_push(c, "%s[%d]", base, i + 1);
    if (!lua_checkstack(c->to, 2) || !copy_value(c, first + i, 0)) {
      if (!c->err[0]) copy_fail(c, "is one value too many for the Lua stack");
      lua_pop(c->to, i);
      c->x.to = c->to;
      lbr_copy_done(&c->x);
      return 0;
    }
  }
  c->x.to = c->to;
  lbr_copy_done(&c->x);
  return 1;
}

/* ---- sandbox_exec(code, chunkname, { timeout =, memory =, read = {...}, write = {...} }, ...) ---- */

/* A host userdata owning a sandbox state, so an error in the host (while
 * results are copied out) still closes it. */

typedef struct box {
  lua_State *S;    /* the sandbox state, owning lim once made */
  lbr_limits *lim; /* its limits, made first (paths, deadlines) */
} box;

static void close_box(lua_State *L, int idx) {
  box *bx = lua_touserdata(L, idx);
  if (bx->S) lbr_limits_close(bx->S);
  else lbr_limits_free(bx->lim);
  bx->S = NULL, bx->lim = NULL;
}

static int box_gc(lua_State *L) {
  close_box(L, 1);
  return 0;
}

typedef struct run_ctx {
  lua_State *host;
  const char *code, *chunkname;
  size_t len;
  int arg0, nargs; /* the arguments on the host's stack */
  int arg_error;   /* 1 when an argument could not cross: the error is the caller's */
} run_ctx;

/* Runs inside the sandbox state, protected: builds the script's globals
 * (bundle.sandbox's env()), compiles the code as text, copies the
 * arguments in and calls it. Returns the script's results. */
static int sandbox_body(lua_State *S) {
  run_ctx *r = lua_touserdata(S, 1);
  lua_settop(S, 0);
  lua_getglobal(S, "require");
  lua_pushliteral(S, "bundle.sandbox");
  lua_call(S, 1, 1);
  lua_getfield(S, -1, "env");
  lua_call(S, 0, 1); /* [sandbox env] */
  if (luaL_loadbufferx(S, r->code, r->len, r->chunkname, "t") != LUA_OK) return lua_error(S);
  lua_pushvalue(S, 2);
  if (!lua_setupvalue(S, -2, 1)) lua_pop(S, 1); /* a main chunk's first upvalue is _ENV */
  copier c = {.from = r->host, .to = S};
  if (!copy_values(&c, r->arg0, r->nargs, "args")) {
    r->arg_error = 1;
    lua_pushstring(S, c.err);
    return lua_error(S);
  }
  lua_call(S, r->nargs, LUA_MULTRET);
  return lua_gettop(S) - 2;
}

/* Runs the code in a new sandbox state under the limits and returns true
 * and copies of its results, or false and the error message; "timeout:
 * ..." and "memory: ..." messages say which limit stopped it. Limits nest:
 * an outer run's deadline and budget still hold. */
static int sandbox_exec(lua_State *L) {
  static const char *const opts[] = {"timeout", "memory", "read", "write", NULL};
  size_t len;
  const char *code = luaL_checklstring(L, 1, &len);
  const char *chunkname = luaL_checkstring(L, 2);
  if (lua_gettop(L) < 3) lua_settop(L, 3);
  lbr_check_options(L, 3, "sandbox.run", opts);
  double seconds = 0, mb = 0;
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "timeout");
    if (!lua_isnil(L, -1)) {
      if (!lua_isnumber(L, -1) || !(lua_tonumber(L, -1) > 0))
        return lbr_errorf(L, "sandbox.run: option 'timeout' must be a number of seconds > 0");
      seconds = lua_tonumber(L, -1);
    }
    lua_getfield(L, 3, "memory");
    if (!lua_isnil(L, -1)) {
      if (!lua_isnumber(L, -1) || !(lua_tonumber(L, -1) > 0))
        return lbr_errorf(L, "sandbox.run: option 'memory' must be a number of megabytes > 0");
      mb = lua_tonumber(L, -1);
    }
    lua_pop(L, 2);
  }
  int nargs = lua_gettop(L) - 3;
  const lbr_limits *outer = lbr_limits_of(L); /* the host's, when it has any */
  if (outer && outer->depth >= LBR_MAX_NESTING)
    return lbr_errorf(L, "sandbox.run: sandboxes nest at most %d deep", LBR_MAX_NESTING);
  /* the box before the limits: once the budget is set, nothing may raise a
   * Lua error in the host until it is restored */
  box *bx = lua_newuserdatauv(L, sizeof *bx, 0);
  bx->S = NULL;
  bx->lim = NULL;
  if (luaL_newmetatable(L, LBR_SANDBOX_STATE_MT)) {
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  int boxidx = lua_gettop(L);
  lbr_limits *lim = bx->lim = lbr_limits_new();
  if (!lim) return luaL_error(L, "not enough memory");
  /* path lists: the run's own, in its own limits */
  lim->limited = 1;
  lim->depth = outer ? outer->depth + 1 : 1;
  for (int w = 0; w < 2 && lua_istable(L, 3); w++) {
    lua_getfield(L, 3, w ? "write" : "read");
    if (lua_istable(L, -1)) {
      for (lua_Integer i = 1; lua_geti(L, -1, i) != LUA_TNIL; i++) {
        const char *d = lua_tostring(L, -1);
        char real[PATH_MAX];
        /* inside a limited run, a nested run may narrow the lists, never widen them */
        int widens = d && outer && outer->limited && (!realpath(d, real) || !lbr_limits_under(outer, real, w));
        if (widens)
          return lbr_errorf(L, "sandbox.run: option '%s'[%lld]: %s is outside what this sandbox may %s",
                            w ? "write" : "read", (long long)i, d, w ? "write" : "read");
        if (!d || !lbr_limits_add_dir(lim, d, w))
          return lbr_errorf(L, "sandbox.run: option '%s'[%lld] must be an existing directory, got %s", w ? "write" : "read",
                            (long long)i, d ? d : luaL_typename(L, -1));
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
    } else if (!lua_isnil(L, -1)) {
      return lbr_errorf(L, "sandbox.run: option '%s' must be a list of directories", w ? "write" : "read");
    }
    lua_pop(L, 1);
  }
  /* time: this run's deadline, and the earliest of the host's as the outer one */
  double t0 = lbr_limits_now();
  if (seconds > 0) lim->at = t0 + seconds, lim->seconds = seconds;
  if (outer) {
    if (outer->outer_at > 0) lim->outer_at = outer->outer_at, lim->outer_seconds = outer->outer_seconds;
    if (outer->at > 0 && (lim->outer_at == 0 || outer->at < lim->outer_at))
      lim->outer_at = outer->at, lim->outer_seconds = outer->seconds;
  }
  /* the core's deadline (per thread): the same moment, or an earlier one an embedder set */
  br_deadline outer_core = br_deadline_get();
  double first = lbr_limits_first(lim);
  if (first > 0 && (outer_core.at == 0 || first < outer_core.at)) br_deadline_put((br_deadline){first, t0});
  br_error_clear(); /* so that a cancelled core call below can be named in the message */
  /* memory: the smaller of what is left of any outer budget and this one;
   * the new state's own allocations count */
  int64_t outer_limit = br_mem_limit();
  int outer_hit = br_mem_limit_hit();
  br_mem_clear_limit_hit();
  int outer_binds = outer_limit > 0; /* the run's cap is the host's own: a hit inside is the host's too */
  if (mb > 0) {
    int64_t want = br_mem_used() + (int64_t)(mb * 1048576.0);
    if (outer_limit == 0 || want < outer_limit) br_mem_set_limit(want), outer_binds = 0;
  }
  bx->lim = NULL; /* the state owns it now, or freed it on failure */
  lua_State *S = bx->S = sandbox_newstate_with(lim);
  int status = LUA_ERRMEM, nres = 0, time_hit = 0;
  double secs = 0;
  run_ctx r = {.host = L, .code = code, .chunkname = chunkname, .len = len, .arg0 = 4, .nargs = nargs};
  if (S) {
    if (lbr_limits_first(lim) > 0) {
      lbr_limits_hook(S);
      lbr_alarm_start(lim, S, lbr_limits_first(lim)); /* without it, the count hook alone still holds */
    }
    lua_pushcfunction(S, sandbox_body);
    lua_pushlightuserdata(S, &r);
    status = lua_pcall(S, 1, LUA_MULTRET, 0);
    lbr_alarm_stop(lim); /* joined: nothing touches S from another thread from here on */
    nres = lua_gettop(S);
    lua_settop(L, boxidx); /* whatever copying arguments left on our stack */
    /* the deadline again: a C call may have returned after it with no hook in between */
    if (!lim->timed_out && lbr_limits_passed(lim) > 0) lim->timed_out = 1, lim->tripped = lbr_limits_passed(lim);
    time_hit = lim->timed_out;
    secs = lim->tripped;
  }
  /* past the deadline the allocator refuses large blocks (llimits.c): that
   * "not enough memory" is the timeout's, not a memory limit's */
  int mem_hit = br_mem_limit_hit() || (status == LUA_ERRMEM && !time_hit);
  /* restore the host's before touching it */
  br_mem_set_limit(outer_limit);
  /* the run's own cap, reached, is reported by this call's result; only
   * the host's cap reached (or hit before) stays noted for the host's exit
   * status (bundlerun --max-memory exits 4 when its cap was reached) */
  br_mem_clear_limit_hit();
  if (outer_hit || (mem_hit && outer_binds)) br_mem_note_limit_hit();
  int core_stopped = br_last_status() == BR_ERR_CANCELLED;
  br_deadline_put(outer_core);
  if (S) lua_sethook(S, NULL, 0, 0);
  int ret = 2;
  if (status == LUA_OK && !time_hit) {
    copier c = {.from = S, .to = L, .mem_limit = mb * 1048576.0, .lim = lim};
    luaL_checkstack(L, nres + 2, "sandbox.run: too many results");
    lua_pushboolean(L, 1);
    /* the run's deadline is the core's again while its results are copied:
     * one big tensor's clone stops at it too (the clone polls it) */
    if (first > 0 && (outer_core.at == 0 || first < outer_core.at)) br_deadline_put((br_deadline){first, t0});
    int copied = copy_values(&c, 1, nres, "result");
    br_deadline_put(outer_core);
    if (copied) ret = nres + 1;
    else {
      lua_pop(L, 1);
      lua_pushboolean(L, 0);
      if (c.timed_out || lbr_limits_passed(lim) > 0) {
        char *rule = strstr(c.err, "; only numbers"); /* the crossing rule is beside the point here */
        if (rule) *rule = 0;
        lua_pushfstring(L, "timeout: the script ran past its limit of %f s (while its results were copied out: %s)",
                        lim->seconds > 0 ? lim->seconds : lim->outer_seconds, c.err);
      }
      else lua_pushstring(L, c.err);
    }
  } else {
    /* the message as a string, never through a metamethod of the sandbox */
    int t = S ? lua_type(S, -1) : LUA_TNIL;
    lua_pushboolean(L, 0);
    if (!S) lua_pushliteral(L, "not enough memory");
    else if (t == LUA_TSTRING) {
      size_t mlen;
      const char *m = lua_tolstring(S, -1, &mlen);
      lbr_push_error_text(L, m, mlen);
    }
    /* numbers formatted here: lua_tostring would convert in place, an
     * allocation in the sandbox with no protected call around it */
    else if (lua_isinteger(S, -1)) lua_pushfstring(L, "%I", (LUAI_UACINT)lua_tointeger(S, -1));
    else if (t == LUA_TNUMBER) lua_pushfstring(L, "%f", (LUAI_UACNUMBER)lua_tonumber(S, -1));
    else lua_pushfstring(L, "(error object is a %s value)", lua_typename(S, t));
    if (time_hit && core_stopped) /* say which C call the deadline stopped */
      lua_pushfstring(L, "timeout: the script ran past its limit of %f s (%s)", secs, br_last_error());
    else if (time_hit) lua_pushfstring(L, "timeout: the script ran past its limit of %f s", secs);
    else if (mem_hit && !r.arg_error && outer_binds) /* the host's cap was the smaller one */
      lua_pushfstring(L, "memory: the script went past the caller's memory limit (%f MB in use in all, --max-memory or "
                      "an enclosing run) (%s)", (double)outer_limit / 1048576.0, lua_tostring(L, -1));
    else if (mem_hit && !r.arg_error)
      lua_pushfstring(L, "memory: the script went past its limit of %f MB (%s)", mb, lua_tostring(L, -1));
    else lua_pushvalue(L, -1);
    lua_remove(L, -2); /* [false message] */
  }
  close_box(L, boxidx);
  return ret;
}

void lbr_push_error_text(lua_State *L, const char *s, size_t len) {
  if (len <= LBR_ERROR_TEXT_MAX) {
    lua_pushlstring(L, s, len);
    return;
  }
  size_t keep = LBR_ERROR_TEXT_MAX;
  /* back off a UTF-8 continuation byte or three, so no character is split */
  for (int i = 0; i < 3 && keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80; i++) keep--;
  lua_pushlstring(L, s, keep);
  lua_pushfstring(L, "\xe2\x80\xa6 (%I bytes cut)" /* "… (N bytes cut)" */, (LUAI_UACINT)(len - keep));
  lua_concat(L, 2);
}

/* used(): bytes counted against the budget now (Lua's under bundlerun, plus the core's). */
static int sandbox_used(lua_State *L) {
  lua_pushinteger(L, br_mem_used());
  return 1;
}

void lbr_sandbox_open(lua_State *L) {
  lua_pushcfunction(L, sandbox_exec);
  lua_setfield(L, -2, "sandbox_exec");
  lua_pushcfunction(L, sandbox_used);
  lua_setfield(L, -2, "memory_used");
}
