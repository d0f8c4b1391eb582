/* Limits for scripts we do not trust, after Redis's Lua scripting: a time
 * limit through a count hook that pcall cannot swallow, a memory budget
 * shared by Lua's allocator and the core's tensors and frames
 * (bundle/memory.h), and a path allow-list for bundle's own loaders.
 * The restricted global table itself is built in Lua (bundle/sandbox.lua);
 * this file is what Lua cannot do: hooks, allocators, realpath. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lbundle.h"

/* ---- time ---- */

/* The deadlines in force: the whole run's (bundlerun --timeout) and the
 * innermost sandbox.run's; a hook checks the earlier. Seconds on the
 * monotonic clock; 0 means none. */
static double run_deadline, run_seconds, inner_deadline, inner_seconds;
static int timed_out; /* set when a deadline passed; read by bundlerun for the exit status */
static double tripped_seconds; /* the limit that passed */

#define HOOK_COUNT 10000 /* instructions between clock reads (~50 us of Lua) */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Once a deadline has passed the hook fires on every line and every
 * instruction, so code that catches the error with pcall is stopped again
 * at its next step until it unwinds out of the limited code. */
static void timeout_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  double t = now(), limit = 0, secs = 0;
  if (run_deadline > 0 && t >= run_deadline) limit = run_deadline, secs = run_seconds;
  else if (inner_deadline > 0 && t >= inner_deadline) limit = inner_deadline, secs = inner_seconds;
  if (limit == 0) return;
  timed_out = 1;
  tripped_seconds = secs;
  lua_sethook(L, timeout_hook, LUA_MASKLINE | LUA_MASKCOUNT, 1);
  lbr_errorf(L, "timeout: the script ran past its limit of %g s", secs);
}

void lbr_limits_set_timeout(lua_State *L, double seconds) {
  run_seconds = seconds;
  run_deadline = seconds > 0 ? now() + seconds : 0;
  if (seconds > 0) lua_sethook(L, timeout_hook, LUA_MASKCOUNT, HOOK_COUNT);
}

int lbr_limits_timed_out(void) { return timed_out; }

/* ---- memory ---- */

/* Lua's allocator with every byte charged to the core's budget: a block
 * that would take the total past the limit is refused (Lua then collects
 * garbage and retries, and raises "not enough memory" if that fails). */
typedef struct counted {
  lua_Alloc inner;
  void *inner_ud;
} counted;

static void *counted_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  counted *c = ud;
  size_t old = ptr ? osize : 0; /* with ptr NULL, osize is a type tag */
  if (nsize > old && !br_mem_fits((int64_t)(nsize - old))) {
    br_mem_note_limit_hit();
    return NULL;
  }
  void *p = c->inner(c->inner_ud, ptr, osize, nsize);
  if (p || nsize == 0) br_mem_charge((int64_t)nsize - (int64_t)old); /* a failed call changed nothing */
  return p;
}

static void *plain_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  (void)osize;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, nsize);
}

static counted state_alloc = {plain_alloc, NULL};

lua_State *lbr_limits_newstate(void) { return lua_newstate(counted_alloc, &state_alloc); }

/* Charges the state's allocations from now on (for a state made elsewhere,
 * as lua5.4 makes it): wraps its allocator; blocks made before count when
 * they are freed or resized, so the budget sees net growth. Returns 1 if
 * it installed the wrapper (undo with lbr_limits_unwrap). */
static int wrap_allocator(lua_State *L, counted *c) {
  void *ud;
  lua_Alloc f = lua_getallocf(L, &ud);
  if (f == counted_alloc) return 0;
  c->inner = f;
  c->inner_ud = ud;
  lua_setallocf(L, counted_alloc, c);
  return 1;
}

/* ---- paths ---- */

/* The allow-lists in force (sandboxed runs only): directories, resolved. */
#define MAX_ALLOWED 32
static char *allowed_read[MAX_ALLOWED], *allowed_write[MAX_ALLOWED];
static int nread, nwrite, paths_limited;

static int under(const char *path, char *const *dirs, int n) {
  for (int i = 0; i < n; i++) {
    size_t len = strlen(dirs[i]);
    if (strncmp(path, dirs[i], len) == 0 && (path[len] == '/' || path[len] == '\0' || (len == 1 && dirs[i][0] == '/')))
      return 1;
  }
  return 0;
}

/* The real path of `path`, or for a file not yet there, of its directory
 * joined with its name. 0 when neither resolves. */
static int resolve(const char *path, char *out) {
  if (realpath(path, out)) return 1;
  char dir[PATH_MAX];
  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  if (strcmp(name, "..") == 0 || strcmp(name, ".") == 0 || name[0] == '\0') return 0;
  if (slash) {
    size_t n = (size_t)(slash - path);
    if (n >= sizeof dir) return 0;
    memcpy(dir, path, n);
    dir[n] = '\0';
    if (n == 0) strcpy(dir, "/");
  } else strcpy(dir, ".");
  char real[PATH_MAX];
  if (!realpath(dir, real)) return 0;
  size_t rl = strcmp(real, "/") == 0 ? 0 : strlen(real), nl = strlen(name);
  if (rl + nl + 2 > PATH_MAX) return 0;
  memcpy(out, real, rl);
  out[rl] = '/';
  memcpy(out + rl + 1, name, nl + 1);
  return 1;
}

void lbr_check_path(lua_State *L, const char *fn, const char *path, int write) {
  if (!paths_limited) return;
  char real[PATH_MAX];
  if (!resolve(path, real) || !under(real, write ? allowed_write : allowed_read, write ? nwrite : nread))
    lbr_errorf(L, "%s: sandbox: %s '%s' is not allowed (%s)", fn, write ? "writing" : "reading", path,
               (write ? nwrite : nread) ? "outside the allowed directories" : "no directory is allowed");
}

static void clear_paths(void) {
  for (int i = 0; i < nread; i++) free(allowed_read[i]);
  for (int i = 0; i < nwrite; i++) free(allowed_write[i]);
  nread = nwrite = 0;
  paths_limited = 0;
}

/* The lists of an outer run, kept while a nested run has its own. */
typedef struct path_lists {
  char *read[MAX_ALLOWED], *write[MAX_ALLOWED];
  int nread, nwrite, limited;
} path_lists;

/* Moves the lists in force into *saved and starts empty ones. */
static void save_paths(path_lists *saved) {
  memcpy(saved->read, allowed_read, sizeof saved->read);
  memcpy(saved->write, allowed_write, sizeof saved->write);
  saved->nread = nread, saved->nwrite = nwrite, saved->limited = paths_limited;
  nread = nwrite = 0;
}

/* Frees the run's own lists and puts the saved ones back. */
static void restore_paths(const path_lists *saved) {
  clear_paths();
  memcpy(allowed_read, saved->read, sizeof saved->read);
  memcpy(allowed_write, saved->write, sizeof saved->write);
  nread = saved->nread, nwrite = saved->nwrite, paths_limited = saved->limited;
}

/* Adds a directory to an allow-list; returns 0 with errno set when it does not resolve. */
int lbr_limits_allow(const char *dir, int write) {
  char real[PATH_MAX];
  if (!realpath(dir, real)) return 0;
  int *n = write ? &nwrite : &nread;
  char **list = write ? allowed_write : allowed_read;
  if (*n == MAX_ALLOWED) {
    errno = E2BIG;
    return 0;
  }
  list[(*n)++] = strdup(real);
  return list[*n - 1] != NULL;
}

void lbr_limits_limit_paths(int on) { paths_limited = on; }

/* ---- sandbox_exec(fn, { timeout =, memory =, read = {...}, write = {...} }, ...) ---- */

/* Runs fn(...) in a fresh coroutine under the limits and returns true and
 * its results, or false and the error message; "timeout: ..." and
 * "memory: ..." messages say which limit stopped it. Limits nest: an outer
 * run's deadline and budget still hold. */
static int sandbox_exec(lua_State *L) {
  static const char *const opts[] = {"timeout", "memory", "read", "write", NULL};
  luaL_checktype(L, 1, LUA_TFUNCTION);
  if (lua_gettop(L) < 2) lua_settop(L, 2);
  lbr_check_options(L, 2, "sandbox.run", opts);
  double seconds = 0, mb = 0;
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "timeout");
    if (!lua_isnil(L, -1)) {
      if (!lua_isnumber(L, -1) || !(lua_tonumber(L, -1) > 0))
        return lbr_errorf(L, "sandbox.run: option 'timeout' must be a number of seconds > 0");
      seconds = lua_tonumber(L, -1);
    }
    lua_getfield(L, 2, "memory");
    if (!lua_isnil(L, -1)) {
      if (!lua_isnumber(L, -1) || !(lua_tonumber(L, -1) > 0))
        return lbr_errorf(L, "sandbox.run: option 'memory' must be a number of megabytes > 0");
      mb = lua_tonumber(L, -1);
    }
    lua_pop(L, 2);
  }
  int nargs = lua_gettop(L) - 2;
  /* the coroutine first: once the limits below are set, nothing may raise a
   * Lua error until they are restored (the allocator wrapper lives on this
   * C stack) */
  lua_State *co = lua_newthread(L);
  lua_pushvalue(L, 1);
  for (int i = 0; i < nargs; i++) lua_pushvalue(L, 3 + i);
  lua_xmove(L, co, nargs + 1);
  /* path lists: saved, replaced for the run, restored after */
  path_lists saved;
  save_paths(&saved);
  for (int w = 0; w < 2 && lua_istable(L, 2); w++) {
    lua_getfield(L, 2, w ? "write" : "read");
    if (lua_istable(L, -1)) {
      for (lua_Integer i = 1; lua_geti(L, -1, i) != LUA_TNIL; i++) {
        const char *d = lua_tostring(L, -1);
        char real[PATH_MAX];
        /* inside a limited run, a nested run may narrow the lists, never widen them */
        int widens = d && saved.limited && (!realpath(d, real) ||
                     !under(real, w ? saved.write : saved.read, w ? saved.nwrite : saved.nread));
        if (!d || widens || !lbr_limits_allow(d, w)) {
          restore_paths(&saved);
          if (widens)
            return lbr_errorf(L, "sandbox.run: option '%s'[%lld]: %s is outside what this sandbox may %s",
                              w ? "write" : "read", (long long)i, d, w ? "write" : "read");
          return lbr_errorf(L, "sandbox.run: option '%s'[%lld] must be an existing directory, got %s", w ? "write" : "read",
                            (long long)i, d ? d : luaL_typename(L, -1));
        }
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
    } else if (!lua_isnil(L, -1)) {
      restore_paths(&saved);
      return lbr_errorf(L, "sandbox.run: option '%s' must be a list of directories", w ? "write" : "read");
    }
    lua_pop(L, 1);
  }
  paths_limited = 1;
  /* time: the earlier of this run's and any outer sandbox's deadline */
  double outer_deadline = inner_deadline, outer_seconds = inner_seconds;
  if (seconds > 0 && (inner_deadline == 0 || now() + seconds < inner_deadline))
    inner_deadline = now() + seconds, inner_seconds = seconds;
  int outer_timed_out = timed_out;
  timed_out = 0;
  /* memory: the smaller of what is left of any outer budget and this one */
  counted wrapper;
  int wrapped = wrap_allocator(L, &wrapper);
  int64_t outer_limit = br_mem_limit();
  int outer_hit = br_mem_limit_hit();
  br_mem_clear_limit_hit();
  if (mb > 0) {
    int64_t want = br_mem_used() + (int64_t)(mb * 1048576.0);
    if (outer_limit == 0 || want < outer_limit) br_mem_set_limit(want);
  }
  if (inner_deadline > 0 || run_deadline > 0) lua_sethook(co, timeout_hook, LUA_MASKCOUNT, HOOK_COUNT);
  int nres = 0;
  int status = lua_resume(co, L, nargs, &nres);
  int mem_hit = br_mem_limit_hit() || status == LUA_ERRMEM;
  int time_hit = timed_out;
  /* restore everything before touching the results */
  br_mem_set_limit(outer_limit);
  if (outer_hit) br_mem_note_limit_hit();
  if (wrapped) lua_setallocf(L, wrapper.inner, wrapper.inner_ud);
  inner_deadline = outer_deadline, inner_seconds = outer_seconds;
  timed_out = outer_timed_out;
  restore_paths(&saved);
  if (status == LUA_OK) {
    lua_pushboolean(L, 1);
    luaL_checkstack(L, nres + 1, "sandbox.run: too many results");
    lua_xmove(co, L, nres);
    return nres + 1;
  }
  lua_pushboolean(L, 0);
  if (status == LUA_YIELD) {
    lua_pushliteral(L, "sandbox.run: the script yielded outside a coroutine of its own");
  } else {
    const char *msg = lua_tostring(co, -1);
    if (!msg) msg = lua_pushfstring(co, "(error object is a %s value)", luaL_typename(co, -1));
    if (time_hit) lua_pushfstring(L, "timeout: the script ran past its limit of %f s", tripped_seconds);
    else if (mem_hit)
      lua_pushfstring(L, "memory: the script went past its limit of %f MB (%s)", mb > 0 ? mb : (double)outer_limit / 1048576.0, msg);
    else lua_pushstring(L, msg);
  }
  return 2;
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
