/* A per-thread deadline, kept beside the per-thread last error (error.c):
 * the core is called from one thread per lua_State or embedder context,
 * and a thread-local needs no context argument threaded through every
 * long call. */
#include <inttypes.h>
#include <stdio.h>

#include "bundle/clock.h"
#include "deadline_internal.h"

static _Thread_local br_deadline current;

void br_deadline_set(double seconds) {
  if (!(seconds > 0)) {
    br_deadline_clear();
    return;
  }
  double t = br_clock_now();
  current.start = t;
  current.at = t + seconds;
}

void br_deadline_clear(void) { current.at = current.start = 0; }

/* the progress tick (br_deadline_on_tick): polled where the deadline is */
static _Thread_local struct {
  void (*fn)(void *);
  void *ctx;
  double every, next;
} tick;

void br_deadline_on_tick(void (*fn)(void *ctx), void *ctx, double every) {
  tick.fn = fn;
  tick.ctx = ctx;
  tick.every = every > 0 ? every : 0;
  tick.next = 0;
}

int br_deadline_passed(void) {
  if (tick.fn) {
    double now = br_clock_now();
    if (now >= tick.next) {
      tick.next = now + tick.every;
      tick.fn(tick.ctx);
    }
    return current.at > 0 && now >= current.at;
  }
  return current.at > 0 && br_clock_now() >= current.at;
}

br_deadline br_deadline_get(void) { return current; }

void br_deadline_put(br_deadline d) { current = d; }

/* 1234567 -> "1,234,567": counts of itemsets or rows are read by people. */
static void group_digits(char *buf, size_t size, int64_t v) {
  char raw[32];
  int n = snprintf(raw, sizeof raw, "%" PRId64, v);
  size_t o = 0;
  int lead = raw[0] == '-';
  for (int i = 0; i < n && o + 1 < size; i++) {
    int left = n - i; /* digits from here to the end */
    if (i > lead && left % 3 == 0) buf[o++] = ',';
    if (o + 1 < size) buf[o++] = raw[i];
  }
  buf[o] = '\0';
}

int br_deadline_stop(const char *what, int64_t done, const char *unit) {
  double after = current.start > 0 ? br_clock_now() - current.start : 0;
  if (!unit)
    return br_error_set(BR_ERR_CANCELLED, "%s stopped: the time limit passed after %.1f s", what, after);
  char num[40];
  group_digits(num, sizeof num, done);
  return br_error_set(BR_ERR_CANCELLED, "%s stopped: the time limit passed after %.1f s (%s %s so far)", what,
                      after, num, unit);
}
