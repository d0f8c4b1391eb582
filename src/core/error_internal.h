/* Inside the core: the allocator's message survives the caller's own. */
#ifndef BR_ERROR_INTERNAL_H
#define BR_ERROR_INTERNAL_H

/* Marks the last error (set by the allocator: the limit, an overflow) to be
 * kept: the next br_error_set with BR_ERR_NOMEM on this thread appends it to
 * its own message ("frequent: out of memory after 12 itemsets: itemsets:
 * memory limit of 100 MB reached ..."), so the many call sites that say
 * "out of memory" in their own words do not hide the limit. keep = 0
 * forgets an earlier mark (the allocator's own message replaces it). */
void br_error_keep_nomem(int keep);

#endif
