/* The deadline's alarm for sandbox.run (llimits.h): a thread that sleeps
 * until the run's deadline and then makes the running Lua code stop at its
 * next instruction.
 *
 * Why: the count hook reads the clock once per 10,000 instructions. That
 * bounds plain Lua, but an instruction can be long in C: `s == t` on two
 * equal 64 MB strings is a 64 MB memcmp, utf8.len(s) a loop over s, and a
 * loop of such instructions ran 17 s past a 2 s limit before the hook's
 * next turn. At the deadline this thread sets a count-1 hook (Lua allows
 * lua_sethook asynchronously, as lua.c does from its SIGINT handler) on
 * the main thread and on the coroutine running at that moment; the hook
 * then raises the timeout as usual. The coroutine running is tracked by
 * bundle's recording resume (lcoroutine.c) under the mutex, so the thread
 * never touches a coroutine that is not being resumed right now (one that
 * could have been collected). */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "llimits.h"

struct lbr_alarm {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t thread;
  double at;             /* the deadline, lbr_limits_now() seconds */
  int stop, fired;       /* under mu */
  lua_State *main, *running;
};

static void *alarm_main(void *arg) {
  struct lbr_alarm *a = arg;
  pthread_mutex_lock(&a->mu);
  while (!a->stop) {
    double left = a->at - lbr_limits_now();
    if (left <= 0) {
      a->fired = 1;
      lbr_limits_hook_now(a->main);
      if (a->running && a->running != a->main) lbr_limits_hook_now(a->running);
      break;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double whole = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9 + left + 0.001;
    ts.tv_sec = (time_t)whole;
    ts.tv_nsec = (long)((whole - (double)ts.tv_sec) * 1e9);
    pthread_cond_timedwait(&a->cv, &a->mu, &ts);
  }
  pthread_mutex_unlock(&a->mu);
  return NULL;
}

int lbr_alarm_start(lbr_limits *lim, lua_State *main, double at) {
  struct lbr_alarm *a = calloc(1, sizeof *a);
  if (!a) return 0;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* lbr_limits_now's clock */
  pthread_mutex_init(&a->mu, NULL);
  pthread_cond_init(&a->cv, &ca);
  pthread_condattr_destroy(&ca);
  a->at = at;
  a->main = a->running = main;
  if (pthread_create(&a->thread, NULL, alarm_main, a) != 0) {
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    free(a);
    return 0;
  }
  lim->alarm = a;
  return 1;
}

void lbr_alarm_stop(lbr_limits *lim) {
  struct lbr_alarm *a = lim->alarm;
  if (!a) return;
  pthread_mutex_lock(&a->mu);
  a->stop = 1;
  pthread_cond_signal(&a->cv);
  pthread_mutex_unlock(&a->mu);
  pthread_join(a->thread, NULL);
  pthread_cond_destroy(&a->cv);
  pthread_mutex_destroy(&a->mu);
  free(a);
  lim->alarm = NULL;
}

/* Around a resume of co by L: co is what runs now (and gets the hook at
 * once if the alarm has fired already); leave puts back what ran before. */
lua_State *lbr_alarm_enter(lua_State *L, lua_State *co) {
  struct lbr_alarm *a = lbr_alarm_of(L);
  if (!a) return NULL;
  pthread_mutex_lock(&a->mu);
  lua_State *prev = a->running;
  a->running = co;
  if (a->fired) lbr_limits_hook_now(co);
  pthread_mutex_unlock(&a->mu);
  return prev;
}

void lbr_alarm_leave(lua_State *L, lua_State *prev) {
  if (!prev) return; /* no alarm when the resume began */
  struct lbr_alarm *a = lbr_alarm_of(L);
  if (!a) return;
  pthread_mutex_lock(&a->mu);
  a->running = prev;
  pthread_mutex_unlock(&a->mu);
}
