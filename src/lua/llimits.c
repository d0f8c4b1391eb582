/* The limits of one Lua state (llimits.h): time, memory charging and the
 * path allow-lists of bundlerun --timeout/--max-memory/--sandbox and
 * bundle.sandbox.run. Nothing here is a file static: every deadline, flag
 * and list hangs off the state it limits, so a sandbox's limits never
 * reach its host or another state, and states on different threads are
 * independent. (The memory budget itself is the core's, one per process:
 * bundle/memory.h.) */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lbundle.h"
#include "llimits.h"

double lbr_limits_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

lbr_limits *lbr_limits_new(void) { return calloc(1, sizeof(lbr_limits)); }

static void free_dirs(lbr_limits *lim) {
  for (int w = 0; w < 2; w++) {
    for (int i = 0; i < lim->ndirs[w]; i++) free(lim->dirs[w][i]);
    lim->ndirs[w] = 0;
  }
}

void lbr_limits_free(lbr_limits *lim) {
  if (!lim) return;
  free_dirs(lim);
  free(lim);
}

/* ---- memory: Lua's allocator with every byte charged ---- */

/* Past a deadline: notes the timeout and returns 1. */
static int deadline_passed(lbr_limits *lim) {
  double secs = lbr_limits_passed(lim);
  if (secs == 0) return 0;
  lim->timed_out = 1;
  lim->tripped = secs;
  return 1;
}

/* A big block under a deadline, made resident before Lua copies into it.
 *
 * Why: one Lua instruction or C call can copy hundreds of MB (s .. s,
 * table.concat, string.format("%s"), s:sub(2), a binding's
 * lua_pushlstring), and nothing can stop it half way. Most of its time is
 * the first touch of the fresh pages, not the copy: here (a VM) 512 MB
 * took 2.6 s to fault in and 0.1 s to copy, so sandbox.run, which has no
 * watchdog, ran 1-2 s past its limit in a loop of such copies. Touching
 * the pages here, one MiB at a time with the clock read between, moves
 * that time where the deadline can refuse the block: past it the block is
 * freed and NULL returned, Lua raises "not enough memory", and the run
 * reports the timeout (lim->timed_out, which callers read before the
 * memory status). Growth of an existing block (a luaL_Buffer doubling) is
 * made as a new block, faulted, then the old contents copied, so a refusal
 * leaves the old block as Lua expects. No page is touched that the budget
 * has not been charged for. */
#define PREFAULT_MIN ((size_t)1 << 20) /* growth of less faults in well under the 1 s margin */
#define PREFAULT_STEP ((size_t)1 << 20)
static void *prefaulted_alloc(lbr_limits *lim, void *ptr, size_t old, size_t nsize) {
  char *q = lim->inner(lim->inner_ud, NULL, 0, nsize);
  if (!q) return NULL;
  for (size_t at = 0; at < nsize; at += PREFAULT_STEP) {
    if (deadline_passed(lim)) {
      lim->inner(lim->inner_ud, q, nsize, 0);
      return NULL;
    }
    size_t end = nsize - at < PREFAULT_STEP ? nsize : at + PREFAULT_STEP;
    for (size_t i = at; i < end; i += 4096) ((volatile char *)q)[i] = 0;
  }
  if (ptr) {
    memcpy(q, ptr, old);
    lim->inner(lim->inner_ud, ptr, old, 0);
  }
  return q;
}

/* A block that would take the total past the limit is refused (Lua then
 * collects garbage and retries, and raises "not enough memory" if that
 * fails). The refusal is noted as the cap reached (bundlerun --max-memory
 * exits 4 when it was, even if the script caught the error), but a
 * refusal that Lua's emergency collection then made good is not one: a
 * loop of `local t = s .. s` under --max-memory 300 that finished and
 * printed its result exited 4 ("a request past it was refused and the
 * script caught the error"). So a refusal remembers its request, and the
 * same request granted next (only frees and shrinks, the collection's
 * work, in between) takes the note back, unless the cap had been reached
 * before. */
static void refusal_settled(lbr_limits *lim, const void *ptr, size_t nsize, int granted) {
  if (!lim->refused_pending) return;
  lim->refused_pending = 0;
  if (granted && ptr == lim->refused_ptr && nsize == lim->refused_size && !lim->refused_was_hit)
    br_mem_clear_limit_hit();
}

static void *counted_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  lbr_limits *lim = ud;
  size_t old = ptr ? osize : 0; /* with ptr NULL, osize is a type tag */
  if (nsize > old && !br_mem_fits((int64_t)(nsize - old))) {
    int retry = lim->refused_pending && ptr == lim->refused_ptr && nsize == lim->refused_size;
    if (!retry) { /* a first refusal: Lua may collect and ask again */
      lim->refused_was_hit = br_mem_limit_hit();
      lim->refused_ptr = ptr;
      lim->refused_size = nsize;
    }
    lim->refused_pending = !retry;
    br_mem_note_limit_hit();
    return NULL;
  }
  /* Lua's C library (string.upper of 200 MB, load of a 20 MB chunk) runs
   * where the count hook never fires, but it allocates as it goes: past
   * the time limit, a large block is refused, the call fails, and the run
   * reports the timeout (lbr_limits_timed_out). Small blocks still go
   * through, so the error that reports a stop can still be made. */
  int timed = lim->at > 0 || lim->outer_at > 0;
  if (nsize > old && nsize - old >= ((size_t)64 << 10) && timed && deadline_passed(lim)) return NULL;
  /* a growing block is made anew, so for a moment both are held: only
   * when both fit the cap (else Lua's realloc, which keeps RSS within it) */
  int prefault = timed && nsize > old && nsize - old >= PREFAULT_MIN && (!ptr || br_mem_fits((int64_t)nsize));
  void *p = prefault ? prefaulted_alloc(lim, ptr, old, nsize) : lim->inner(lim->inner_ud, ptr, osize, nsize);
  if (p || nsize == 0) br_mem_charge((int64_t)nsize - (int64_t)old); /* a failed call changed nothing */
  if (nsize > old) refusal_settled(lim, ptr, nsize, p != NULL); /* frees and shrinks leave it pending */
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

lua_State *lbr_limits_newstate_with(lbr_limits *lim) {
  if (!lim) return NULL;
  lim->inner = plain_alloc;
  lim->inner_ud = NULL;
  lua_State *L = lua_newstate(counted_alloc, lim);
  if (!L) lbr_limits_free(lim);
  return L;
}

lua_State *lbr_limits_newstate(void) { return lbr_limits_newstate_with(lbr_limits_new()); }

/* ---- where a state's limits are ---- */

static char limits_key; /* registry: the limits of a state with Lua's own allocator */

static int registry_limits_gc(lua_State *L) {
  free_dirs(lua_touserdata(L, 1));
  return 0;
}

lbr_limits *lbr_limits_of(lua_State *L) {
  void *ud;
  if (lua_getallocf(L, &ud) == counted_alloc) return ud;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &limits_key);
  lbr_limits *lim = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return lim;
}

lbr_limits *lbr_limits_get(lua_State *L) {
  lbr_limits *lim = lbr_limits_of(L);
  if (lim) return lim;
  lim = lua_newuserdatauv(L, sizeof *lim, 0);
  memset(lim, 0, sizeof *lim);
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, registry_limits_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &limits_key);
  return lim;
}

void lbr_limits_close(lua_State *L) {
  if (!L) return;
  void *ud;
  lbr_limits *own = lua_getallocf(L, &ud) == counted_alloc ? ud : NULL;
  lua_close(L); /* the allocator reads *own until the last free */
  lbr_limits_free(own);
}

/* ---- time ---- */

#define HOOK_COUNT 10000 /* instructions between clock reads (~50 us of Lua) */

double lbr_limits_passed(const lbr_limits *lim) {
  double t = lbr_limits_now();
  if (lim->outer_at > 0 && t >= lim->outer_at) return lim->outer_seconds;
  if (lim->at > 0 && t >= lim->at) return lim->seconds;
  return 0;
}

double lbr_limits_first(const lbr_limits *lim) {
  if (lim->outer_at > 0 && (lim->at == 0 || lim->outer_at < lim->at)) return lim->outer_at;
  return lim->at;
}

/* Once a deadline has passed the hook fires on every line and every
 * instruction, so code that catches the error with pcall is stopped again
 * at its next step until it unwinds out of the limited code. */
static void timeout_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lbr_limits *lim = lbr_limits_of(L);
  double secs = lim ? lbr_limits_passed(lim) : 0;
  if (secs == 0) return;
  lim->timed_out = 1;
  lim->tripped = secs;
  lua_sethook(L, timeout_hook, LUA_MASKLINE | LUA_MASKCOUNT, 1);
  /* and the main thread, which any coroutine's error returns to in the end */
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  lua_State *main = lua_tothread(L, -1);
  lua_pop(L, 1);
  if (main && main != L) lua_sethook(main, timeout_hook, LUA_MASKLINE | LUA_MASKCOUNT, 1);
  lbr_errorf(L, "timeout: the script ran past its limit of %g s", secs);
}

void lbr_limits_hook(lua_State *L) { lua_sethook(L, timeout_hook, LUA_MASKCOUNT, HOOK_COUNT); }

struct lbr_alarm *lbr_alarm_of(lua_State *L) {
  void *ud;
  return lua_getallocf(L, &ud) == counted_alloc ? ((lbr_limits *)ud)->alarm : NULL;
}

void lbr_limits_hook_now(lua_State *L) { lua_sethook(L, timeout_hook, LUA_MASKCOUNT | LUA_MASKLINE, 1); }

void lbr_limits_check(lua_State *L) {
  lbr_limits *lim = lbr_limits_of(L);
  if (lim && (lim->at > 0 || lim->outer_at > 0)) timeout_hook(L, NULL);
}

/* xpcall for limited states. A timeout is raised from inside the hook,
 * where Lua runs no hooks, and an xpcall's message handler runs before the
 * error unwinds, so still inside the hook: a handler that loops (xpcall(f,
 * function() while true do end end) in a loop) ran with no time limit and
 * sandbox.run never returned. Here the script's handler is called only
 * while no deadline has passed; past one the error goes through as it is.
 * The rest is Lua's xpcall (results, yields across it through the
 * continuation). */
static int guarded_handler(lua_State *L) {
  lbr_limits *lim = lbr_limits_of(L);
  if (lim && (lim->timed_out || lbr_limits_passed(lim) > 0)) return 1;
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

static int guarded_xpcall_done(lua_State *L, int status, lua_KContext extra) {
  if (status != LUA_OK && status != LUA_YIELD) {
    lua_pushboolean(L, 0);
    lua_pushvalue(L, -2); /* the error value */
    return 2;
  }
  return lua_gettop(L) - (int)extra; /* true and the results */
}

static int guarded_xpcall(lua_State *L) {
  int n = lua_gettop(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushvalue(L, 2);
  lua_pushcclosure(L, guarded_handler, 1);
  lua_replace(L, 2);
  lua_pushboolean(L, 1);
  lua_pushvalue(L, 1);
  lua_rotate(L, 3, 2); /* [f handler true f args...] */
  return guarded_xpcall_done(L, lua_pcallk(L, n - 2, LUA_MULTRET, 2, 2, guarded_xpcall_done), 2);
}

void lbr_limits_guard_xpcall(lua_State *L) {
  lua_pushcfunction(L, guarded_xpcall);
  lua_setfield(L, -2, "xpcall");
}

/* The hook sees only Lua instructions; the core's long loops (mining,
 * search, matmul tiles, CSV reading...) check the core's deadline
 * (bundle/deadline.h), set to the same moment, and return
 * BR_ERR_CANCELLED, whose Lua error the hook then turns into the timeout. */
void lbr_limits_set_timeout(lua_State *L, double seconds) {
  lbr_limits *lim = lbr_limits_get(L);
  lim->seconds = seconds;
  lim->at = seconds > 0 ? lbr_limits_now() + seconds : 0;
  if (seconds > 0) lbr_limits_hook(L);
  br_deadline_put((br_deadline){lim->at, lim->at > 0 ? lim->at - seconds : 0});
}

/* 1 when L's deadline was hit, or has passed by now: a long C call can end
 * after the deadline without the hook ever firing. */
int lbr_limits_timed_out(lua_State *L) {
  lbr_limits *lim = lbr_limits_of(L);
  return lim && (lim->timed_out || lbr_limits_passed(lim) > 0);
}

/* ---- paths ---- */

int lbr_limits_under(const lbr_limits *lim, const char *real, int write) {
  for (int i = 0; i < lim->ndirs[write]; i++) {
    const char *d = lim->dirs[write][i];
    size_t len = strlen(d);
    if (strncmp(real, d, len) == 0 && (real[len] == '/' || real[len] == '\0' || (len == 1 && d[0] == '/')))
      return 1;
  }
  return 0;
}

/* The real path of `path`, or for a file not yet there, of its directory
 * joined with its name. 0 when neither resolves. A name that is a symlink
 * to a file not yet there (a dangling link) is followed to its target, as
 * a writer would follow it: otherwise a link in an allowed directory that
 * points outside would pass as a new file inside it. */
static int resolve_depth(const char *path, char *out, int depth) {
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
  struct stat st;
  if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) { /* dangling: resolve where it points */
    char target[PATH_MAX], joined[PATH_MAX];
    ssize_t tl = readlink(path, target, sizeof target - 1);
    if (tl <= 0 || depth >= 40) return 0; /* 40: the kernel's own limit on links followed */
    target[tl] = '\0';
    if (target[0] != '/') {
      if ((size_t)snprintf(joined, sizeof joined, "%s/%s", dir, target) >= sizeof joined) return 0;
      return resolve_depth(joined, out, depth + 1);
    }
    return resolve_depth(target, out, depth + 1);
  }
  char real[PATH_MAX];
  if (!realpath(dir, real)) return 0;
  size_t rl = strcmp(real, "/") == 0 ? 0 : strlen(real), nl = strlen(name);
  if (rl + nl + 2 > PATH_MAX) return 0;
  memcpy(out, real, rl);
  out[rl] = '/';
  memcpy(out + rl + 1, name, nl + 1);
  return 1;
}

static int resolve(const char *path, char *out) { return resolve_depth(path, out, 0); }

void lbr_check_path(lua_State *L, const char *fn, const char *path, int write) {
  lbr_limits *lim = lbr_limits_of(L);
  if (!lim || !lim->limited) return;
  char real[PATH_MAX];
  if (!resolve(path, real) || !lbr_limits_under(lim, real, write))
    lbr_errorf(L, "%s: sandbox: %s '%s' is not allowed (%s)", fn, write ? "writing" : "reading", path,
               lim->ndirs[write] ? "outside the allowed directories" : "no directory is allowed");
}

int lbr_limits_add_dir(lbr_limits *lim, const char *dir, int write) {
  char real[PATH_MAX];
  if (!realpath(dir, real)) return 0;
  if (lim->ndirs[write] == LBR_MAX_ALLOWED) {
    errno = E2BIG;
    return 0;
  }
  char *copy = strdup(real);
  if (!copy) return 0;
  lim->dirs[write][lim->ndirs[write]++] = copy;
  return 1;
}

int lbr_limits_allow(lua_State *L, const char *dir, int write) { return lbr_limits_add_dir(lbr_limits_get(L), dir, write); }

void lbr_limits_check_paths(lua_State *L, int on) { lbr_limits_get(L)->limited = on; }
