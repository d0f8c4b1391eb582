/* A bounded cache of recently freed large storage blocks.
 *
 * Why: a script computing `c = a:matmul(b)` in a loop frees its results only
 * when Lua's collector runs, in batches. glibc then returns the freed memory
 * to the kernel (munmap, or heap trim), and each new result pays page faults
 * plus kernel zeroing for fresh pages: measured at 10-35% of a 512x512 dgemm.
 * Keeping a few freed blocks for reuse at the same size removes that cost, as
 * PyTorch's caching allocator does. Blocks under CACHE_MIN_BYTES are left to
 * malloc, which recycles small chunks well by itself. */
#include <pthread.h>
#include <stdlib.h>

#include "tensor_storage_cache.h"

#define CACHE_MIN_BYTES ((size_t)256 << 10)
#define CACHE_MAX_BYTES ((size_t)256 << 20)
#define CACHE_SLOTS 64

static struct {
  pthread_mutex_t lock;
  size_t total;
  int n;
  struct {
    void *p;
    size_t bytes;
  } slot[CACHE_SLOTS];
} cache = {PTHREAD_MUTEX_INITIALIZER, 0, 0, {{NULL, 0}}};

/* Under AddressSanitizer a reused block would hide use-after-free bugs, so
 * the cache is off there and every block goes back to malloc. */
#if defined(__SANITIZE_ADDRESS__)
#define CACHE_ENABLED 0
#else
#define CACHE_ENABLED 1
#endif

void *storage_cache_take(size_t bytes) {
  if (!CACHE_ENABLED || bytes < CACHE_MIN_BYTES) return NULL;
  void *p = NULL;
  pthread_mutex_lock(&cache.lock);
  for (int i = cache.n - 1; i >= 0; i--) { /* most recent first: warm in cache */
    if (cache.slot[i].bytes == bytes) {
      p = cache.slot[i].p;
      cache.total -= bytes;
      cache.slot[i] = cache.slot[--cache.n];
      break;
    }
  }
  pthread_mutex_unlock(&cache.lock);
  return p;
}

int storage_cache_put(void *p, size_t bytes) {
  if (!CACHE_ENABLED || bytes < CACHE_MIN_BYTES || bytes > CACHE_MAX_BYTES) return 0;
  int kept = 0;
  pthread_mutex_lock(&cache.lock);
  /* Make room by dropping the oldest blocks. */
  while (cache.n > 0 && (cache.n == CACHE_SLOTS || cache.total + bytes > CACHE_MAX_BYTES)) {
    free(cache.slot[0].p);
    cache.total -= cache.slot[0].bytes;
    for (int i = 1; i < cache.n; i++) cache.slot[i - 1] = cache.slot[i];
    cache.n--;
  }
  if (cache.total + bytes <= CACHE_MAX_BYTES) {
    cache.slot[cache.n].p = p;
    cache.slot[cache.n].bytes = bytes;
    cache.n++;
    cache.total += bytes;
    kept = 1;
  }
  pthread_mutex_unlock(&cache.lock);
  return kept;
}

void br_tensor_release_cache(void) {
  pthread_mutex_lock(&cache.lock);
  for (int i = 0; i < cache.n; i++) free(cache.slot[i].p);
  cache.n = 0;
  cache.total = 0;
  pthread_mutex_unlock(&cache.lock);
}

size_t br_tensor_cached_bytes(void) {
  pthread_mutex_lock(&cache.lock);
  size_t t = cache.total;
  pthread_mutex_unlock(&cache.lock);
  return t;
}
