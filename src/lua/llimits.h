/* The limits of one Lua state (llimits.c): its deadlines, whether one has
 * passed, and the directories it may read and write. Each state has its
 * own, so two states (a host and the sandboxes it runs, or states on
 * different threads of an embedding program) never see each other's.
 *
 * Where they live: a state made by lbr_limits_newstate() or
 * lbr_sandbox_newstate() has Lua's allocator charge the memory budget, and
 * that allocator's user data is the state's lbr_limits (the allocator
 * needs the deadline and runs where no stack is at hand); any other state
 * (a plain lua5.4 loading bundle.core) gets them, on first use, as a
 * userdata in its registry. */
#ifndef BUNDLE_LLIMITS_H
#define BUNDLE_LLIMITS_H

#include <lua.h>

#define LBR_MAX_ALLOWED 32 /* directories per allow-list */
/* sandbox.run inside sandbox.run, at most this deep: each level is a new
 * state whose C calls start their count afresh, so Lua's own C-stack limit
 * (LUAI_MAXCCALLS) never sees the whole chain, and 100000 levels overflowed
 * the C stack (a segfault) */
#define LBR_MAX_NESTING 16

typedef struct lbr_limits {
  double at, seconds;             /* this state's own deadline (monotonic s; 0: none) and its limit */
  double outer_at, outer_seconds; /* the earliest deadline of the states this one runs inside */
  int timed_out;                  /* a deadline passed and was reported */
  double tripped;                 /* the limit, in seconds, that passed */
  int depth;                      /* sandbox.run states this one runs inside (0: a host) */
  int limited;                    /* paths are checked against the lists below */
  int ndirs[2];                   /* [0] read, [1] write */
  char *dirs[2][LBR_MAX_ALLOWED]; /* resolved directories, malloc'd */
  lua_Alloc inner;                /* for a counting state: the allocator it wraps */
  void *inner_ud;
  struct lbr_alarm *alarm;        /* sandbox.run's deadline thread while it runs (lalarm.c), or NULL */
  /* the last block the memory cap refused, until Lua's retry after its
   * emergency collection (llimits.c, counted_alloc) */
  const void *refused_ptr;
  size_t refused_size;
  int refused_pending, refused_was_hit;
} lbr_limits;

#define LBR_HIDDEN_L __attribute__((visibility("hidden")))

/* The limits of L's state, or NULL when none were ever set (a plain state). */
LBR_HIDDEN_L lbr_limits *lbr_limits_of(lua_State *L);
/* The same, made (in the registry) when absent; raises on no memory. */
LBR_HIDDEN_L lbr_limits *lbr_limits_get(lua_State *L);
/* A fresh zeroed lbr_limits (malloc; NULL on no memory) and its release. */
LBR_HIDDEN_L lbr_limits *lbr_limits_new(void);
LBR_HIDDEN_L void lbr_limits_free(lbr_limits *lim);
/* A state whose allocations are charged to the memory budget, owning lim
 * (freed by lbr_limits_close, or here on failure). */
LBR_HIDDEN_L lua_State *lbr_limits_newstate_with(lbr_limits *lim);
/* Closes L and frees its limits (use it for every state made above). */
LBR_HIDDEN_L void lbr_limits_close(lua_State *L);
/* Seconds of the first deadline of lim that has passed (outer first), or 0. */
LBR_HIDDEN_L double lbr_limits_passed(const lbr_limits *lim);
/* The earliest deadline of lim, or 0. */
LBR_HIDDEN_L double lbr_limits_first(const lbr_limits *lim);
/* Sets the hook that stops L (and its coroutines) at lim's deadlines. */
LBR_HIDDEN_L void lbr_limits_hook(lua_State *L);
/* Adds a directory (resolved) to lim's read (0) or write (1) list; 0 with
 * errno set when it does not resolve or the list is full. */
LBR_HIDDEN_L int lbr_limits_add_dir(lbr_limits *lim, const char *dir, int write);
/* 1 when the resolved path `real` is under one of lim's read/write dirs. */
LBR_HIDDEN_L int lbr_limits_under(const lbr_limits *lim, const char *real, int write);
/* The monotonic clock in seconds. */
LBR_HIDDEN_L double lbr_limits_now(void);
/* Sets on L a hook that fires at its next instruction and raises the
 * timeout if a deadline has passed (for lalarm.c's thread; a hook may be
 * set from another thread or a signal handler, as Lua's manual allows). */
LBR_HIDDEN_L void lbr_limits_hook_now(lua_State *L);

/* Sets field xpcall of the table on the top to an xpcall whose message
 * handler is skipped once a deadline has passed (a timeout's handler would
 * run inside the hook, where no limit reaches it). */
LBR_HIDDEN_L void lbr_limits_guard_xpcall(lua_State *L);

/* Replaces, in L's loaded libraries, string.format, pack, unpack,
 * packsize, table.concat, utf8.offset and load by versions that a time
 * limit can stop (lstrguard.c): long %q arguments, thousands of values,
 * long utf8 walks and a reader's long pieces go in pieces; pack formats
 * are bounded. Call it after the sandbox's own load is in place. */
LBR_HIDDEN_L void lbr_limits_guard_strings(lua_State *L);

/* The deadline's alarm (lalarm.c). The count hook reads the clock every
 * 10,000 instructions, so a loop of instructions that each take long in C
 * (comparing two equal 64 MB strings, utf8.len of 1 GiB) ran 1,800
 * comparisons, 17 s, past a 2 s limit. The alarm is a thread that sleeps
 * until the deadline and then sets a hook that fires at the next
 * instruction on the main thread and on the coroutine running then, which
 * lbr_alarm_enter and _leave (around every resume) keep track of.
 * lbr_alarm_start returns 0 when no thread could be started (the count
 * hook still holds). */
/* L's alarm while sandbox.run runs it (sandbox states always count their
 * memory, so this is one compare elsewhere: every resume asks), or NULL */
LBR_HIDDEN_L struct lbr_alarm *lbr_alarm_of(lua_State *L);
LBR_HIDDEN_L int lbr_alarm_start(lbr_limits *lim, lua_State *main, double at);
LBR_HIDDEN_L void lbr_alarm_stop(lbr_limits *lim);
LBR_HIDDEN_L lua_State *lbr_alarm_enter(lua_State *L, lua_State *co);
LBR_HIDDEN_L void lbr_alarm_leave(lua_State *L, lua_State *prev);

#endif
