/* The memory budget (bundle/memory.h): the core's bytes, the embedding's
 * bytes and a limit. The core's counter takes atomic adds (threads inside
 * the core allocate); the embedding's has one writer (its Lua state), so it
 * is updated with plain relaxed loads and stores: no locked instruction on
 * every Lua allocation (a locked add cost 17% on allocation-heavy Lua). */
#include <stdatomic.h>

#include "bundle/memory.h"
#include "memory_internal.h"

static _Atomic int64_t core_used, external_used;
static _Atomic int64_t limit;
static atomic_int hit;

#define RELAXED memory_order_relaxed

int64_t br_mem_set_limit(int64_t bytes) { return atomic_exchange(&limit, bytes > 0 ? bytes : 0); }
int64_t br_mem_limit(void) { return atomic_load_explicit(&limit, RELAXED); }
int64_t br_mem_used(void) {
  return atomic_load_explicit(&core_used, RELAXED) + atomic_load_explicit(&external_used, RELAXED);
}

br_status br_mem_reserve(const char *what, int64_t bytes) {
  if (bytes <= 0) return BR_OK;
  int64_t now = atomic_fetch_add(&core_used, bytes) + bytes + atomic_load_explicit(&external_used, RELAXED);
  int64_t lim = br_mem_limit();
  if (lim > 0 && now > lim) {
    atomic_fetch_sub(&core_used, bytes);
    atomic_store(&hit, 1);
    return br_error_set(BR_ERR_NOMEM, "%s: memory limit of %.0f MB reached (%.1f MB in use, %.1f MB more asked)",
                        what, (double)lim / 1048576.0, (double)(now - bytes) / 1048576.0,
                        (double)bytes / 1048576.0);
  }
  return BR_OK;
}

void br_mem_release(int64_t bytes) {
  if (bytes > 0) atomic_fetch_sub(&core_used, bytes);
}

void mem_core_adjust(int64_t bytes) { atomic_fetch_add(&core_used, bytes); }

int br_mem_fits(int64_t bytes) {
  int64_t lim = br_mem_limit();
  return lim == 0 || br_mem_used() + bytes <= lim;
}

void br_mem_charge(int64_t bytes) {
  atomic_store_explicit(&external_used, atomic_load_explicit(&external_used, RELAXED) + bytes, RELAXED);
}

int br_mem_limit_hit(void) { return atomic_load(&hit); }
void br_mem_note_limit_hit(void) { atomic_store(&hit, 1); }
void br_mem_clear_limit_hit(void) { atomic_store(&hit, 0); }
