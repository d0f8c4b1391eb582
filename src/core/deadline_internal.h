/* The core's side of bundle/deadline.h: a cheap poll for long loops.
 *
 * A loop keeps a local work counter and calls deadline_poll(&work, units)
 * once per step with roughly how many elementary operations that step did.
 * The clock is read only when the counter passes DEADLINE_WORK (about a
 * quarter of a millisecond of simple work), so the cost is an add and a
 * compare per step; with no deadline set the clock is never read. */
#ifndef BR_DEADLINE_INTERNAL_H
#define BR_DEADLINE_INTERNAL_H

#include <stdint.h>

#include "bundle/deadline.h"
#include "bundle/error.h"

#define DEADLINE_WORK ((int64_t)1 << 18)

static inline int deadline_poll(int64_t *work, int64_t units) {
  *work += units;
  if (*work < DEADLINE_WORK) return 0;
  *work = 0;
  return br_deadline_passed();
}

#endif
