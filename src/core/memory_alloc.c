/* The core's allocator (bundle/memory.h): malloc with the budget charged,
 * count * size checked, zero sizes allowed, and a failure message that
 * names what was being allocated.
 *
 * Each block starts with a header holding its size, so br_free gives back
 * exactly the bytes br_alloc took without every caller tracking them (the
 * alternative, a size at each free, would have to be threaded through every
 * structure the core frees). The header is as large as max_align_t, so the
 * pointer returned keeps malloc's alignment. */
#include <stdalign.h>
#include <stdint.h>
#include <malloc.h> /* malloc_usable_size */
#include <stdlib.h>
#include <string.h>

#include "bundle/memory.h"
#include "error_internal.h"
#include "memory_internal.h"

typedef union block_head {
  size_t bytes; /* the caller's bytes, header not included */
  max_align_t align;
} block_head;

#define HEAD sizeof(block_head)
/* what the budget is charged for a block of `bytes`: the header too */
#define CHARGE(bytes) ((int64_t)((bytes) + HEAD))

/* count * size in *bytes, or 0 with the error set when it overflows (or is
 * past what a signed 64-bit budget can count). */
static int total(const char *what, size_t count, size_t size, size_t *bytes) {
  size_t n;
  if (__builtin_mul_overflow(count, size, &n) || n > (size_t)INT64_MAX - HEAD) {
    br_error_keep_nomem(0);
    br_error_set(BR_ERR_NOMEM, "%s: %zu x %zu bytes does not fit in memory", what, count, size);
    br_error_keep_nomem(1);
    return 0;
  }
  *bytes = n;
  return 1;
}

static void *out_of_memory(const char *what, size_t bytes) {
  br_error_keep_nomem(0);
  br_error_set(BR_ERR_NOMEM, "%s: out of memory (%.1f MB asked)", what, (double)bytes / 1048576.0);
  br_error_keep_nomem(1);
  return NULL;
}

static int reserve(const char *what, int64_t bytes) {
  br_error_keep_nomem(0);
  if (br_mem_reserve(what, bytes) == BR_OK) return 1;
  br_error_keep_nomem(1);
  return 0;
}

static void *finish(block_head *h, size_t bytes) {
  h->bytes = bytes;
  return h + 1;
}

void *br_alloc(const char *what, size_t count, size_t size) {
  size_t bytes;
  if (!total(what, count, size, &bytes) || !reserve(what, CHARGE(bytes))) return NULL;
  block_head *h = malloc(bytes + HEAD);
  if (!h) {
    br_mem_release(CHARGE(bytes));
    return out_of_memory(what, bytes);
  }
  return finish(h, bytes);
}

void *br_calloc(const char *what, size_t count, size_t size) {
  size_t bytes;
  if (!total(what, count, size, &bytes) || !reserve(what, CHARGE(bytes))) return NULL;
  block_head *h = calloc(1, bytes + HEAD); /* calloc: big blocks come zeroed from mmap, no memset */
  if (!h) {
    br_mem_release(CHARGE(bytes));
    return out_of_memory(what, bytes);
  }
  return finish(h, bytes);
}

void *br_realloc(const char *what, void *p, size_t count, size_t size) {
  if (!p) return br_alloc(what, count, size);
  size_t bytes;
  if (!total(what, count, size, &bytes)) return NULL;
  block_head *old = (block_head *)p - 1;
  size_t had = old->bytes;
  if (bytes > had && !reserve(what, (int64_t)(bytes - had))) return NULL;
  block_head *h = realloc(old, bytes + HEAD);
  if (!h) {
    if (bytes > had) br_mem_release((int64_t)(bytes - had));
    return out_of_memory(what, bytes);
  }
  if (bytes < had) br_mem_release((int64_t)(had - bytes));
  return finish(h, bytes);
}

char *br_strdup(const char *what, const char *s) {
  size_t n = strlen(s) + 1;
  char *d = br_alloc(what, n, 1);
  if (d) memcpy(d, s, n);
  return d;
}

void br_free(void *p) {
  if (!p) return;
  block_head *h = (block_head *)p - 1;
  br_mem_release(CHARGE(h->bytes));
  free(h);
}

/* ---- arrays handed to the caller, freed with br_free_out (or free()) ---- */

/* These are plain malloc blocks, so a caller that frees them with free()
 * stays memory-safe; but they are charged to the budget while held, for
 * malloc's usable size (glibc's malloc_usable_size), which br_free_out
 * reads back to give exactly that charge back with no header and no size
 * from the caller. A caller that uses plain free() leaves the charge in
 * place: harmless with no limit, and with one, br_free_out is the way. */
static int64_t usable(void *p) { return p ? (int64_t)malloc_usable_size(p) : 0; }

/* After a block of `asked` reserved bytes came back as p: the charge
 * becomes p's usable size (malloc rounds up by a few bytes). */
static void *charged(void *p, int64_t reserved, int64_t had) {
  mem_core_adjust(usable(p) - had - reserved);
  return p;
}

void *br_alloc_out(const char *what, size_t count, size_t size) {
  size_t bytes;
  if (!total(what, count, size, &bytes) || !reserve(what, (int64_t)bytes)) return NULL;
  void *p = malloc(bytes ? bytes : 1); /* malloc(0) may return NULL */
  if (!p) {
    br_mem_release((int64_t)bytes);
    return out_of_memory(what, bytes);
  }
  return charged(p, (int64_t)bytes, 0);
}

void *br_calloc_out(const char *what, size_t count, size_t size) {
  size_t bytes;
  if (!total(what, count, size, &bytes) || !reserve(what, (int64_t)bytes)) return NULL;
  void *p = calloc(bytes ? bytes : 1, 1);
  if (!p) {
    br_mem_release((int64_t)bytes);
    return out_of_memory(what, bytes);
  }
  return charged(p, (int64_t)bytes, 0);
}

void *br_realloc_out(const char *what, void *p, size_t count, size_t size) {
  size_t bytes;
  if (!total(what, count, size, &bytes)) return NULL;
  int64_t had = usable(p), grow = (int64_t)bytes > had ? (int64_t)bytes - had : 0;
  if (!reserve(what, grow)) return NULL; /* the old block stays as it was */
  void *q = realloc(p, bytes ? bytes : 1);
  if (!q) {
    br_mem_release(grow);
    return out_of_memory(what, bytes);
  }
  return charged(q, grow, had);
}

void br_free_out(void *p) {
  if (!p) return;
  br_mem_release(usable(p));
  free(p);
}

int mem_dup(void *dst, const char *what, const void *src, size_t count, size_t size) {
  void *p = src ? br_alloc(what, count, size) : NULL;
  if (p && count) memcpy(p, src, count * size);
  memcpy(dst, &p, sizeof p); /* dst may be any pointer type's field */
  return !src || p;
}
