/* bundle/memory.h — a process-wide memory budget for everything the core
 * allocates (tensors, frames, baskets, itemsets, rules, search results,
 * buffers), which an embedding program (bundlerun's --max-memory,
 * bundle.sandbox.run) shares with its own allocations (Lua's).
 *
 *     br_mem_set_limit(512 << 20);          // 512 MiB for core data + charges
 *     br_tensor *t = NULL;
 *     if (br_tensor_zeros(&t, 2, shape) == BR_ERR_NOMEM && br_mem_limit_hit())
 *       puts(br_last_error());              // "tensor: memory limit of 512 MB ..."
 *
 * The core's counter is atomic, so threads inside the core may allocate at once.
 * With no limit (0, the default) nothing is refused; usage is still counted.
 */
#ifndef BUNDLE_MEMORY_H
#define BUNDLE_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "bundle/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Sets the budget in bytes (0: none). Returns the previous one. */
int64_t br_mem_set_limit(int64_t bytes);
int64_t br_mem_limit(void);

/* Bytes counted now: core data plus whatever br_mem_charge added. */
int64_t br_mem_used(void);

/* Takes `bytes` from the budget for `what` (named in the error), or fails
 * with BR_ERR_NOMEM and a message naming the limit; br_mem_release gives
 * them back. */
br_status br_mem_reserve(const char *what, int64_t bytes);
void br_mem_release(int64_t bytes);

/* For an embedding's own allocator (bundlerun's Lua allocator): whether
 * `bytes` more would stay within the limit, and the charge itself (negative
 * gives bytes back) once the allocation is made. br_mem_charge must be
 * called from one thread only (the embedding's); the core's reservations
 * may run on any thread. */
int br_mem_fits(int64_t bytes);
void br_mem_charge(int64_t bytes);

/* 1 once a reservation was refused (or br_mem_note_limit_hit was called),
 * until br_mem_clear_limit_hit(); lets a program tell a memory-limit
 * failure from any other. */
int br_mem_limit_hit(void);
void br_mem_note_limit_hit(void);
void br_mem_clear_limit_hit(void);


/* The core's one allocator. Every block the core keeps is charged to the
 * budget above, so --max-memory binds on baskets, itemsets, rules, search
 * results, strings and buffers alike, not only on tensors and columns.
 *
 *     int64_t *v = br_alloc("rules", (size_t)n, sizeof *v);   // n may be 0
 *     if (!v) return BR_ERR_NOMEM;   // message already names "rules"
 *     ...
 *     br_free(v);
 *
 * count * size is checked: an overflow fails (BR_ERR_NOMEM, "...: N x M
 * bytes does not fit") instead of wrapping to a small block. A zero count or
 * size gives a valid, unique pointer (no `n > 0 ? n : 1` guards). On failure
 * these return NULL with the error set, naming `what`, and for the limit the
 * limit; br_realloc leaves the old block as it was. Each block remembers
 * its size in a small header, so br_free needs no size and gives back exactly
 * what was charged. Blocks from these functions must be freed with br_free,
 * never free(), and the reverse. */
void *br_alloc(const char *what, size_t count, size_t size);
void *br_calloc(const char *what, size_t count, size_t size);
void *br_realloc(const char *what, void *p, size_t count, size_t size);
char *br_strdup(const char *what, const char *s);
void br_free(void *p);

/* For arrays the core hands to its caller (br_pareto_front's *idx,
 * br_als_fit's factors, br_rules_match's *idx, br_baskets_cooccurrence's
 * pairs, br_tensor_format's text): overflow-checked and zero-safe like
 * br_alloc, and charged to the budget while the caller holds them, so
 * outputs count like everything else. The caller frees them with
 * br_free_out, which gives the charge back. They are plain malloc blocks:
 * free() is still memory-safe, but leaves their bytes counted against the
 * budget (so under a limit, use br_free_out). */
void *br_alloc_out(const char *what, size_t count, size_t size);
void *br_calloc_out(const char *what, size_t count, size_t size);
void *br_realloc_out(const char *what, void *p, size_t count, size_t size);
void br_free_out(void *p); /* NULL is fine */

#ifdef __cplusplus
}
#endif
#endif
