/* bundle/counts.h — a store of item, pair and triple counts that baskets are
 * appended to as they come, so mining a long history reads only what is new.
 *
 *     br_counts_options o;
 *     br_counts_options_init(&o);
 *     o.window_days = 30;                     // or o.half_life_days = 14
 *     br_counts *c = NULL;
 *     br_counts_new(&c, &o);
 *     br_counts_append_baskets(c, day_baskets, 0);   // baskets with times
 *     br_counts_expire(c, now);               // drop days before now - 29
 *     br_frame *sets = NULL;
 *     br_counts_frequent(&sets, c, &(br_counts_query){.min_count = 5, .max_size = 3});
 *     br_counts_save(c, "store.bin");         // atomic
 *
 * Exact mode counts every itemset of up to max_size items (2 or 3) in every
 * basket: its counts equal a batch recount of the baskets still in the
 * window. A window keeps one table per day (UTC, time / 86400); expire(now)
 * drops the days before day(now) - window + 1, and later baskets of those
 * days are ignored. With a half-life instead, a basket of time t weighs
 * 2^((t - now) / half-life) when read at `now` (the latest time seen or
 * given to expire).
 *
 * Sketch mode bounds memory whatever the stream: items are counted exactly
 * (one entry per distinct item), itemsets of 2+ items by Space-Saving (the
 * `capacity` heaviest kept with their over-count) and a Count-Min sketch
 * (width x depth). A reported count c' of an itemset whose true count is c
 * satisfies c <= c' <= c + N/capacity (Space-Saving), and, with probability
 * at least 1 - e^-depth, c' <= c + e*N/width (Count-Min), where N is the
 * total weight of itemsets of 2+ items appended. Every itemset with
 * c > N/capacity is kept. A sketch takes a half-life, not a window.
 */
#ifndef BUNDLE_COUNTS_H
#define BUNDLE_COUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "bundle/basket.h"
#include "bundle/error.h"
#include "bundle/frame.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct br_counts br_counts;

typedef enum br_counts_mode { BR_COUNTS_EXACT, BR_COUNTS_SKETCH } br_counts_mode;

typedef struct br_counts_options {
  br_counts_mode mode;
  int64_t window_days;   /* exact mode: keep this many days (0: everything) */
  double half_life_days; /* 0: no decay; not with a window */
  int max_size;          /* largest itemset counted: 1, 2 or 3 (default 2) */
  int64_t capacity;      /* sketch: itemsets Space-Saving keeps (default 100,000) */
  int64_t width;         /* sketch: Count-Min counters per row (default 2^20) */
  int depth;             /* sketch: Count-Min rows (default 4) */
} br_counts_options;

void br_counts_options_init(br_counts_options *o);

br_status br_counts_new(br_counts **out, const br_counts_options *o);
void br_counts_free(br_counts *c);
/* A deep copy of a store (counts_clone.c): labels, counts, days, sketch and
 * clock, through br_alloc, sharing nothing with c (a loaded store's mapped
 * file tables are folded into a heap table); the copy remembers no file,
 * so its first save is whole. On failure *out is untouched. */
br_status br_counts_clone(br_counts **out, const br_counts *c);
const br_counts_options *br_counts_get_options(const br_counts *c);

/* One basket of n item labels (repeats are counted once) at time t
 * (seconds since 1970). */
br_status br_counts_add(br_counts *c, const char *const *labels, const size_t *lens, int n, int64_t t);
/* Every basket of b, at its time (or at `t` when b has no times). */
br_status br_counts_append_baskets(br_counts *c, const br_baskets *b, int64_t t);
/* Window: drops the days before day(now) - window + 1. Decay: reads from
 * now on at `now`. Either way `now` may not go back. */
br_status br_counts_expire(br_counts *c, int64_t now);

/* Baskets counted (their weight under decay), and the reading time. */
double br_counts_nbaskets(const br_counts *c);
int64_t br_counts_now(const br_counts *c);
int64_t br_counts_nitems(const br_counts *c);
/* The count of one itemset (n labels, 1..max_size; an estimate in sketch
 * mode, 0 for an unknown item), weighted at `now` under decay. */
double br_counts_count(const br_counts *c, const char *const *labels, const size_t *lens, int n);
/* Bytes the store holds (tables, sketches and labels). */
size_t br_counts_memory(const br_counts *c);
/* Sketch: N, the total weight of 2+ item itemsets appended (the bound's N). */
double br_counts_sketch_total(const br_counts *c);

typedef struct br_counts_query {
  double min_count;    /* at least this count (0: from min_support) */
  double min_support;  /* fraction of baskets (when min_count is 0) */
  int min_size, max_size; /* sizes reported (0: 1 and the store's max_size) */
  double min_confidence, min_lift; /* rules */
  int64_t top;         /* keep the best `top` (0: all) */
  br_measure by;       /* rules' order (default lift) */
} br_counts_query;

/* The itemsets at or above the count floor as a frame like Itemsets:to_frame:
 * items (labels in byte order, joined by ","), size, count (f64 under
 * decay, i64 otherwise), support; most frequent first. */
br_status br_counts_frequent(br_frame **out, const br_counts *c, const br_counts_query *q);
/* Rules X => y (one item on the right) from the itemsets at or above the
 * floor, as a frame like Rules:to_frame: lhs, rhs, then every measure;
 * best first by q->by. Under decay the counts are rounded to whole
 * baskets for the measures. */
br_status br_counts_rules(br_frame **out, const br_counts *c, const br_counts_query *q);

/* Atomic save (bundle/io.h) and load; a damaged or foreign file is an error
 * naming it and what is wrong.
 *
 * A store loaded from (or saved to) path and saved to path again appends
 * only what changed since to "<path>.delta", one checksummed record per
 * save, so a daily save costs the day, not the history; once the delta
 * file would pass an eighth of the store file's size the store is written
 * whole (compacted) and the delta file removed. Loading applies the delta
 * file's records. A save killed midway leaves the previous state loadable:
 * a record cut short at the end is ignored, and a whole write replaces the
 * file by rename (the old delta file, whose id is the old store's, is then
 * ignored). Saving a store under another path, a sketch, or after a
 * rescale under decay writes it whole.
 *
 * A store without a window also keeps "<path>.level": the records merged
 * now and then into one table, read in place on load, so a load replays
 * only the records since the last merge, and the store is written whole
 * only once that level would pass half of it (or the delta file, which then
 * keeps every record since the store file, would pass its size). A level
 * cut short, zero-filled at its end or missing is skipped: the records give
 * the same state. */
br_status br_counts_save(br_counts *c, const char *path);
/* Writes the store whole (compacts it) and removes path's delta file. */
br_status br_counts_save_whole(br_counts *c, const char *path);
br_status br_counts_load(br_counts **out, const char *path);

#ifdef __cplusplus
}
#endif
#endif
