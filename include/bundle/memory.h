/* bundle/memory.h — a process-wide memory budget for what the core allocates
 * for tensors and frame columns, which an embedding program (bundlerun's
 * --max-memory, bundle.sandbox.run) shares with its own allocations (Lua's).
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

#ifdef __cplusplus
}
#endif
#endif
