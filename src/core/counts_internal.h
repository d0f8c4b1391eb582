/* Private to the count store (counts.c appends and expires, counts_sketch.c
 * bounds memory, counts_read.c makes frames, counts_io.c saves and loads). */
#ifndef BUNDLE_COUNTS_INTERNAL_H
#define BUNDLE_COUNTS_INTERNAL_H

#include <math.h>
#include <stdio.h>
#include <sys/mman.h>

#include "bundle/counts.h"
#include "frame_internal.h"

/* An itemset of up to three store ids as one 64-bit key: 21 bits an item
 * (id + 1; 0 where the itemset has no such item), the first item highest. */
#define COUNTS_ITEM_BITS 21
#define COUNTS_MAX_ITEMS ((1 << COUNTS_ITEM_BITS) - 2)

static inline uint64_t counts_key(const int32_t *ids, int n) {
  uint64_t k = 0;
  for (int i = 0; i < 3; i++) k = (k << COUNTS_ITEM_BITS) | (i < n ? (uint64_t)ids[i] + 1 : 0);
  return k;
}

static inline int counts_unkey(uint64_t k, int32_t *ids) {
  int n = 0;
  for (int i = 2; i >= 0; i--) {
    uint64_t v = (k >> (COUNTS_ITEM_BITS * i)) & ((1u << COUNTS_ITEM_BITS) - 1);
    if (v) ids[n++] = (int32_t)(v - 1);
  }
  return n;
}

static inline uint64_t counts_hash(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  return k;
}

/* Asks for huge pages under a large fresh array, before it is first
 * written: in a virtual machine a fresh 4 KiB page costs about 3.5 ms a
 * MiB to fault in and a TLB miss on each later touch; a 2 MiB one, where
 * the kernel has them, a small part of that (a hint; nothing else changes). */
static inline void counts_hugepages(void *p, size_t n) {
#ifdef MADV_HUGEPAGE
  if (n < ((size_t)4 << 20)) return;
  uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095, e = ((uintptr_t)p + n) & ~(uintptr_t)4095;
  if (e > a) madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
  (void)p, (void)n;
#endif
}

/* key -> count, open addressing with linear probing; key 0 is empty. */
typedef struct cmap {
  uint64_t *keys;
  double *vals;
  size_t cap, n; /* cap: a power of 2, or 0 */
  int mapped;    /* the arrays lie in a loaded file's mapping: not freed here */
} cmap;

br_status cmap_add(cmap *m, uint64_t key, double w);
/* Room for `more` new keys without growing. Keys read in another table's
 * slot order must go into a table already that large: inserted while it
 * grows, they pile into long probe runs (they arrive sorted by hash). */
br_status cmap_reserve(cmap *m, size_t more);
/* A table in a loaded file's (read-only) mapping copied to the heap, to be written. */
br_status cmap_own(cmap *m);
double cmap_get(const cmap *m, uint64_t key);
void cmap_del(cmap *m, uint64_t key);
void cmap_free(cmap *m);

/* A pointer to key's count, or NULL when m has no such key. */
double *cmap_find(const cmap *m, uint64_t key);

/* One day of a window. */
typedef struct counts_day {
  int64_t day;
  double nbaskets;
  cmap map;
  /* Since the last save (when the store tracks changes, see below): a day
   * made since then is `fresh` (all of map is new); an older day's
   * additions are in sess and sess_nb. */
  int fresh;
  cmap sess;
  double sess_nb;
} counts_day;

/* Space-Saving and Count-Min (counts_sketch.c). */
typedef struct sketch {
  int64_t cap, size;
  uint64_t *key;
  double *cnt, *err;
  int64_t *heap, *pos;   /* min-heap of slots by cnt; pos: slot -> heap index */
  cmap index;            /* key -> slot + 1 */
  double *cm;            /* depth x width */
  int64_t width;
  int depth;
  double total;          /* N: weight of the itemsets of 2+ items */
} sketch;

/* The largest capacity and width a sketch takes (the file loader's limit
 * too): the width is rounded up to a power of two, which past 2^62 would
 * overflow, and 2^32 x 16 counters is already 512 GiB. */
#define SKETCH_MAX_CAPACITY ((int64_t)1 << 32)
#define SKETCH_MAX_WIDTH ((int64_t)1 << 32)
/* Refuses (BR_ERR_ARG) a cap or width outside 1..its maximum, or a depth
 * outside 1..16, before allocating anything. */
br_status sketch_init(sketch *s, int64_t cap, int64_t width, int depth);
void sketch_free(sketch *s);
br_status sketch_add(sketch *s, uint64_t key, double w);
/* The estimate (scaled units): min of the Space-Saving and Count-Min counts. */
double sketch_estimate(const sketch *s, uint64_t key);
void sketch_scale(sketch *s, double f);
size_t sketch_memory(const sketch *s);
/* Loading (counts_io.c): slots filled in order, then the heap rebuilt. */
int sketch_keep(sketch *s, uint64_t key);
void sketch_heapify(sketch *s);

/* A store that was loaded or saved remembers the file, so the next save
 * of the same file appends only what changed to "<file>.delta" (one record
 * per save; counts_delta.c) instead of rewriting the whole store. */
typedef struct counts_saved {
  char *path;            /* the store file last loaded or saved (NULL: none) */
  uint64_t id;           /* its id; a delta file of another id is stale */
  uint64_t base_bytes;   /* its size */
  uint64_t delta_end;    /* the end of the delta file's last whole record (0: no delta file) */
  uint64_t delta_size;   /* the delta file's size as last seen (a killed save may leave more) */
  int64_t labels;        /* labels the files hold */
  /* the level file (counts_level.c) last loaded or written (level_id 0: none) */
  uint64_t level_id;
  uint64_t level_bytes;
  uint64_t level_covers; /* the delta file's bytes it holds (its records up to there) */
  int64_t base_labels;   /* labels the store file holds (the level holds those after) */
} counts_saved;

struct br_counts {
  br_counts_options o;
  strdict *labels;
  /* Every counted itemset (items only, in sketch mode) is base + total:
   * base is a loaded file's table, used in place and never written (so a
   * daily run touches only the pages it reads); total holds the rest. */
  cmap base;
  const uint64_t *rank_starts; /* base's rank index (NULL: none): bucket b is */
  const uint32_t *rank;        /* rank[rank_starts[b] .. rank_starts[b + 1]) */
  const double *base_items;    /* base's count of each item by id, in place (NULL: none) */
  int64_t nbase_items;
  /* Between the delta records and the base (counts_level.c): the records
   * merged now and then into one table, mapped in place like the base, so
   * a load replays only the records since. A store without a window only. */
  cmap mid;
  const uint64_t *mid_starts;  /* its rank index, as the base's */
  const uint32_t *mid_rank;
  const double *mid_items;
  int64_t nmid_items;
  void *mid_map;
  size_t mid_map_len;
  int mid_fd;            /* the level file, share-locked while mapped */
  cmap total;
  cmap sess;             /* what the total gained since the last save (when tracking) */
  int track;             /* keep sess and the days' changes: the next save may append */
  int sess_is_total;     /* total held nothing at the last save: it is sess, kept once */
  int need_full;         /* a change no delta record says (a rescale): the next save is whole */
  counts_saved saved;
  double nbaskets;       /* in scaled units under decay */
  counts_day *days;      /* a window's days, oldest first */
  int ndays, cap_days;
  int64_t horizon;       /* the first day kept (INT64_MIN: none dropped yet) */
  int64_t now;           /* the latest time seen or given (INT64_MIN: none) */
  int64_t tref;          /* decay: stored weights are 2^((t - tref)/H) */
  sketch sk;
  void *map;             /* a loaded file, mapped; tables may point into it */
  size_t map_len;
  int32_t *scratch;      /* one basket's ids */
  int cap_scratch;
};

/* The factor that turns stored counts into counts read at c->now. */
double counts_read_scale(const br_counts *c);
/* A new empty store for o (checked). */
br_status counts_alloc(br_counts **out, const br_counts_options *o);
counts_day *counts_day_of(br_counts *c, int64_t day);
/* An itemset's stored count: base + total. */
double counts_total_get(const br_counts *c, uint64_t key);
/* The stored count of item id (base's from its dense array when loaded:
 * the items lie all over the table, a cache miss each). */
double counts_item_get(const br_counts *c, int32_t id);
/* Folds base into total (a heap table again), so everything is writable. */
br_status counts_materialize(br_counts *c);
/* Forgets the changes since the last save: the store equals its files. */
void counts_mark_saved(br_counts *c);
/* Whether an itemset key names only known labels. */
static inline int counts_key_ok(uint64_t key, int64_t nlabels) {
  int32_t ids[3];
  int n = counts_unkey(key, ids);
  if (n == 0) return 0;
  for (int i = 0; i < n; i++)
    if (ids[i] >= nlabels) return 0;
  return 1;
}

/* A loaded table's rank index: the slots of its itemsets of 2+ items by
 * count, in buckets of an eighth of a doubling (bucket b holds counts
 * below counts_rank_upper(b); the last holds all larger ones). Reading
 * the frequent ones then visits the top buckets, not every slot. */
#define COUNTS_RANK_BUCKETS 1024
static inline int counts_rank_bucket(double v) {
  if (!(v > 1)) return 0;
  double b = log2(v) * 8;
  return b >= COUNTS_RANK_BUCKETS - 1 ? COUNTS_RANK_BUCKETS - 1 : (int)b;
}
static inline double counts_rank_upper(int b) { return exp2((b + 1) / 8.0) * 1.001; /* with room for log2's rounding */ }

/* Writing and reading tables as they lie in memory (counts_io.c), for the
 * store file and the level file. put_rank also writes every item's count. */
void counts_put_map(FILE *f, const cmap *m);
br_status counts_put_rank(FILE *f, const br_counts *c, const cmap *m);
/* The rank index and item counts of m, in memory (what put_rank writes). */
typedef struct counts_rank_arrays {
  uint64_t *starts; /* COUNTS_RANK_BUCKETS + 1 */
  uint32_t *slots;
  uint64_t n;
  double *items;
  int64_t nitems;
} counts_rank_arrays;
br_status counts_rank_build(const br_counts *c, const cmap *m, counts_rank_arrays *r);
void counts_rank_free(counts_rank_arrays *r);
void counts_put_rank_arrays(FILE *f, const counts_rank_arrays *r);
/* A random id for a store or level file, so a file left by an older one of
 * the same name never matches a new one. */
uint64_t counts_new_id(void);
/* A rank index of n slots and item counts at *at of a mapped file of len
 * bytes, for a table of ntable entries and nlabels labels; NULL, or what
 * is wrong. */
typedef struct counts_rank {
  const uint64_t *starts;
  const uint32_t *slots;
  const double *items;
  int64_t nitems;
} counts_rank;
const char *counts_take_rank(const unsigned char *map, size_t len, size_t *at, uint64_t n, uint64_t ntable,
                             int64_t nlabels, counts_rank *out);
/* big's entries (checked: named items, at most 3/4 full; path names the
 * file in an error) plus every entry of adds[0..nadds), into a heap table
 * sized once for all of them. */
br_status counts_merge(cmap *out, const cmap *big, const cmap *const *adds, int nadds, int64_t nlabels,
                       const char *path);
/* A word-at-a-time mix over n bytes (n a multiple of 8 is read whole). */
uint64_t counts_checksum(const unsigned char *p, size_t n);

/* The level file (counts_level.c), "<store>.level". */
#define COUNTS_LEVEL_SUFFIX ".level"
/* Merge the delta records since the level into it once they pass this
 * fraction of the level file: a merge rewrites the level, a record costs
 * every load until merged (about 0.04 s for a day of 1% at 10M lines), so
 * the records wait longer as the level grows (tiered, as LSM trees merge).
 * Measured over 30 days at 10M lines (docs/BENCHMARKS.md, H31): a merge
 * at every save cost 0.474 s a day on average, a tenth 0.427-0.455. */
#define COUNTS_LEVEL_MERGE_FRACTION 0.1
/* Write the store whole once a merged level would pass this fraction of
 * the store file, or the delta file (which keeps every record since the
 * store file while there is a level) would pass COUNTS_DELTA_MAX_FRACTION. */
#define COUNTS_LEVEL_FRACTION 0.5
#define COUNTS_DELTA_MAX_FRACTION 1.0
/* Whether path's level file is the one of this id and size (id 0: any). */
int counts_level_is(const char *path, uint64_t id, uint64_t bytes);
/* Whether the store may keep a level (exact, no window, a ranked base). */
int counts_level_ok(const br_counts *c);
/* Writes base's level file: the loaded level plus everything since (total),
 * covering the delta file up to `covers` (where a record ends whose
 * checksum is `sum`). */
br_status counts_level_write(br_counts *c, const char *path, uint64_t covers, uint64_t sum);
/* Maps path's level file when it is this store's and whole; *covers and
 * *sum say which delta records it holds (0: no level, replay them all). */
br_status counts_level_load(br_counts *c, const char *path, uint64_t *covers, uint64_t *sum);
/* The level's checksum holds and (keys) every key names known items, or
 * an error naming the level file: before it is merged into anything. */
br_status counts_level_check(const br_counts *c, int keys);
/* Unmaps the level (after a merge into a heap table). */
void counts_level_drop(br_counts *c);
/* Removes path's level file (a whole save: its base id is the old one). */
void counts_level_remove(const char *path);

/* The delta file (counts_delta.c). */
#define COUNTS_DELTA_SUFFIX ".delta"
/* Compact (rewrite the store whole) once the delta file would pass this
 * fraction of the store file's size. Loading replays every record (about
 * 0.04 s for a day of 1% at 10M lines) and compacting costs about as much
 * as 15 such replays, so a daily run's cost averaged over the days
 * between compactions is lowest near 6-8 records: an eighth. */
#define COUNTS_COMPACT_FRACTION 0.125
/* Appends the changes since the last save to path's delta file; *done = 0
 * when they cannot be appended (no tracked changes, another file, another
 * writer, or the delta file is due for compaction): save whole instead. */
br_status counts_delta_save(br_counts *c, const char *path, int *done);
/* Applies path's delta file, if any and of this store's id, to c (just
 * loaded from path): its records after byte `covers` (0: all), when a
 * level holds those before (the record ending there has checksum sum:
 * else the level is not this delta file's, an error). A record cut short at the end (a killed save) is
 * ignored; anything else damaged is an error naming the file. */
br_status counts_delta_load(br_counts *c, const char *path, uint64_t covers, uint64_t sum);
/* The file name path + suffix (NULL: out of memory). */
char *counts_path_with(const char *path, const char *suffix);

#endif
