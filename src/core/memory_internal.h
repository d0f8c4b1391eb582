/* The core's side of the budget (memory.c) that is not in bundle/memory.h. */
#ifndef BR_MEMORY_INTERNAL_H
#define BR_MEMORY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

/* a x b, for a count of three or more factors given to br_alloc (and its
 * family) as br_alloc(what, mem_mul(n, 2), sizeof *p): SIZE_MAX when the
 * product overflows, which br_alloc's own count x size check then refuses
 * with its "does not fit" error, so no factor wraps to a small block. Zero
 * stays zero (br_alloc gives a valid block for it: no `n ? n : 1`). */
static inline size_t mem_mul(size_t a, size_t b) {
  size_t n;
  return __builtin_mul_overflow(a, b, &n) ? SIZE_MAX : n;
}

/* Adds bytes (negative: gives back) to the core's count without checking
 * the limit: for the few bytes by which malloc rounds a block up, once the
 * block itself was reserved (memory_alloc.c's *_out family). */
void mem_core_adjust(int64_t bytes);

/* For deep copies (the br_*_clone functions): stores through dst (the
 * address of a pointer field) a br_alloc'd copy of the count elements of
 * size bytes at src, or NULL when src is NULL (an absent optional array).
 * 0 when out of memory (the error set, NULL stored). */
int mem_dup(void *dst, const char *what, const void *src, size_t count, size_t size);

/* Maps [p, p + n) in with one call (write: fresh memory about to be
 * filled; else a file mapping about to be read) when n is at least
 * 256 KiB: a page fault per 4 KiB costs about 10 us in a virtual machine,
 * a fifth of a large read or copy. A hint: kernels before Linux 5.14
 * (no MADV_POPULATE_*) fault as before. */
static inline void mem_populate(const void *p, size_t n, int write) {
#if defined(MADV_POPULATE_WRITE) && defined(MADV_POPULATE_READ)
  if (n < ((size_t)256 << 10)) return;
  uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095, e = ((uintptr_t)p + n) & ~(uintptr_t)4095;
  if (e > a) madvise((void *)a, e - a, write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
#else
  (void)p, (void)n, (void)write;
#endif
}

#endif
