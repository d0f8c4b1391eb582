/* bundle/deadline.h — a time limit that long core calls check as they go.
 *
 * A deadline belongs to the calling thread. While one is set, the long
 * loops of the core (frequent itemset mining; rule generation, sorting and
 * redundancy; every search method and beam search's sorts; ALS sweeps; MLP
 * training, per batch; the pricing optimiser's simulation and sort;
 * backtests and bandit replay; CSV and gzip reading and the CSV typing
 * pass; frame sort and group-by; co-occurrence counting; large matrix
 * products and reductions) look at the clock every few thousand steps
 * and, once it has passed, free what they allocated and
 * return BR_ERR_CANCELLED with a message naming what was stopped:
 *
 *     br_deadline_set(2.0);                  // two seconds from now
 *     br_status s = br_baskets_frequent(&sets, b, &opt);
 *     br_deadline_clear();
 *     if (s == BR_ERR_CANCELLED)             // "mining stopped: the time limit
 *       puts(br_last_error());               //  passed after 2.0 s (...)"
 *
 * A stopped call fails like any other: an object it would have returned
 * is freed, never handed back half-built, and *out is left unset. Filled-in
 * structs (br_backtest) are not to be read; br_bandit_replay's arms keep
 * the counts of the baskets replayed before the stop, as between calls.
 *
 * How soon: loops read the clock every ~2^18 elementary steps (well under
 * a millisecond); a matrix product checks between tiles of ~4e9 flops (35
 * to 160 ms); one step that is not cut (one BLAS call below the tiling
 * size, an MLP batch, the hash table of a group-by being cleared) finishes
 * first. Calls that are quick by nature do not check.
 *
 * Worker threads started by a call (the parallel CSV parser) inherit the
 * caller's deadline; threads of your own set theirs.
 */
#ifndef BUNDLE_DEADLINE_H
#define BUNDLE_DEADLINE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Sets this thread's deadline `seconds` from now; seconds <= 0 (or NaN)
 * clears it. Replaces any deadline already set. */
void br_deadline_set(double seconds);

/* Removes this thread's deadline. */
void br_deadline_clear(void);

/* 1 when a deadline is set and br_clock_now() has reached it (reads the
 * clock only when one is set). */
int br_deadline_passed(void);

/* The deadline in force, for code that nests limits: save it, set a nearer
 * one, and put the saved one back afterwards. `at` is on br_clock_now()'s
 * clock (0: none); `start` is when it was set (for "after N s"). */
typedef struct br_deadline {
  double at, start;
} br_deadline;
br_deadline br_deadline_get(void);
void br_deadline_put(br_deadline d);

/* A tick for progress displays: while one is set, the long loops that
 * check the deadline (see above) also call fn(ctx) on this thread, at most
 * once every `every` seconds, whether or not a deadline is set, so a
 * caller can show that a long call is alive (bundlerun redraws its
 * progress bar's clock). fn must not call into the library. NULL removes
 * it. The tick belongs to the calling thread. */
void br_deadline_on_tick(void (*fn)(void *ctx), void *ctx, double every);

/* Records the BR_ERR_CANCELLED message "WHAT stopped: the time limit passed
 * after S s (DONE UNIT so far)" and returns BR_ERR_CANCELLED; a NULL unit
 * leaves out the parenthesis. For the core's loops, and for embedders that
 * write their own long loops around the library. */
int br_deadline_stop(const char *what, int64_t done, const char *unit);

#ifdef __cplusplus
}
#endif
#endif
