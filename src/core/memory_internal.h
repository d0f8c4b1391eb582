/* The core's side of the budget (memory.c) that is not in bundle/memory.h. */
#ifndef BR_MEMORY_INTERNAL_H
#define BR_MEMORY_INTERNAL_H

#include <stdint.h>

/* Adds bytes (negative: gives back) to the core's count without checking
 * the limit: for the few bytes by which malloc rounds a block up, once the
 * block itself was reserved (memory_alloc.c's *_out family). */
void mem_core_adjust(int64_t bytes);

#endif
