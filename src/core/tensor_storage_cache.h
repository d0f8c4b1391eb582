/* Private to the tensor module: reuse of freed large storage blocks
 * (see storage_cache.c for why). */
#ifndef BUNDLE_STORAGE_CACHE_H
#define BUNDLE_STORAGE_CACHE_H

#include <stddef.h>

/* A cached block of exactly `bytes` (64-byte aligned), or NULL. */
void *storage_cache_take(size_t bytes);
/* Keeps p for reuse and returns 1, or returns 0 and the caller frees it. */
int storage_cache_put(void *p, size_t bytes);

#endif
