/* The memory budget (bundle/memory.h): one atomic counter and a limit. */
#include <stdatomic.h>

#include "bundle/memory.h"

static _Atomic int64_t used;
static _Atomic int64_t limit;
static atomic_int hit;

int64_t br_mem_set_limit(int64_t bytes) { return atomic_exchange(&limit, bytes > 0 ? bytes : 0); }
int64_t br_mem_limit(void) { return atomic_load(&limit); }
int64_t br_mem_used(void) { return atomic_load(&used); }

br_status br_mem_reserve(const char *what, int64_t bytes) {
  if (bytes <= 0) return BR_OK;
  int64_t now = atomic_fetch_add(&used, bytes) + bytes, lim = atomic_load(&limit);
  if (lim > 0 && now > lim) {
    atomic_fetch_sub(&used, bytes);
    atomic_store(&hit, 1);
    return br_error_set(BR_ERR_NOMEM, "%s: memory limit of %.0f MB reached (%.1f MB in use, %.1f MB more asked)",
                        what, (double)lim / 1048576.0, (double)(now - bytes) / 1048576.0,
                        (double)bytes / 1048576.0);
  }
  return BR_OK;
}

void br_mem_release(int64_t bytes) {
  if (bytes > 0) atomic_fetch_sub(&used, bytes);
}

int br_mem_charge(int64_t bytes) {
  int64_t now = atomic_fetch_add(&used, bytes) + bytes, lim = atomic_load(&limit);
  return lim == 0 || now <= lim;
}

int br_mem_limit_hit(void) { return atomic_load(&hit); }
void br_mem_note_limit_hit(void) { atomic_store(&hit, 1); }
void br_mem_clear_limit_hit(void) { atomic_store(&hit, 0); }
