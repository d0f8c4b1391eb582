/* Saving and loading a count store. The file is written through the atomic
 * writer (atomic_file.h): a reader sees the old store or the new one. The
 * layout is the host's byte order with a check word, so a store moved to a
 * machine of the other order fails plainly instead of reading garbage:
 *
 *   "BRCOUNTS" u32 version u32 0x01020304 u64 id (version 3; random, so
 *   a delta file names the store it adds to, counts_delta.c)
 *   options, horizon, now, tref, nbaskets
 *   labels (count, then length + bytes each)
 *   the total table, then each day's (day, baskets, table); a table is its
 *   capacity and entry count, zeros to the next multiple of 8 bytes, then
 *   its slot arrays as they lie in memory
 *   sketch: its kept slots (key, count, error), N, the Count-Min rows
 *
 * Loading checks every length against the file and every key's items
 * against the labels, so a damaged file is an error, never a crash. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "bundle/memory.h"
#include "io_atomic_file.h"
#include "counts_internal.h"

#define MAGIC "BRCOUNTS"
#define VERSION 3u
#define VERSION_NO_ID 2u /* still read: a store saved before delta files */
#define ORDER 0x01020304u

static void put(FILE *f, const void *p, size_t n) { fwrite(p, 1, n, f); }

/* Zeros up to the next multiple of 8 bytes: the slot arrays are used in
 * place from a mapping of the file, so they must be aligned in it. */
static void pad(FILE *f) {
  static const char zeros[8];
  long at = ftell(f);
  if (at >= 0 && at % 8) put(f, zeros, (size_t)(8 - at % 8));
}

/* A table as it lies in memory (capacity, entries, then the slot arrays),
 * so loading is two copies and a check, not a rehash of every entry. */
void counts_put_map(FILE *f, const cmap *m) {
  uint64_t head[2] = {m->cap, m->n};
  put(f, head, sizeof head);
  pad(f);
  if (m->cap) {
    put(f, m->keys, m->cap * sizeof *m->keys);
    put(f, m->vals, m->cap * sizeof *m->vals);
  }
}

/* The rank index of m's itemsets of 2+ items (counts_internal.h): the
 * bucket starts, then the slots, bucket by bucket; then every item's
 * count by id. A table too large for 32-bit slots gets neither (UINT64_MAX). */
/* The number of m's itemsets of 2+ items by rank bucket, as starts. */
static void counts_rank_starts(const cmap *m, uint64_t *starts) {
  const uint64_t low = ((uint64_t)1 << COUNTS_ITEM_BITS) - 1, items1 = low << COUNTS_ITEM_BITS | low;
  memset(starts, 0, (COUNTS_RANK_BUCKETS + 1) * sizeof *starts);
  for (size_t i = 0; i < m->cap; i++)
    if (m->keys[i] & items1) starts[counts_rank_bucket(m->vals[i]) + 1]++; /* a second item: 2+ items */
  for (int b = 0; b < COUNTS_RANK_BUCKETS; b++) starts[b + 1] += starts[b];
}

/* The slots and item counts, into memory the caller sized from starts. */
static uint64_t counts_rank_fill(const br_counts *c, const cmap *m, uint64_t *starts, uint32_t *slots, double *items) {
  const uint64_t low = ((uint64_t)1 << COUNTS_ITEM_BITS) - 1, items1 = low << COUNTS_ITEM_BITS | low;
  uint64_t at[COUNTS_RANK_BUCKETS];
  memcpy(at, starts, sizeof at);
  for (size_t i = 0; i < m->cap; i++)
    if (m->keys[i] & items1) slots[at[counts_rank_bucket(m->vals[i])]++] = (uint32_t)i;
  for (int32_t i = 0; i < c->labels->n; i++) items[i] = cmap_get(m, counts_key(&i, 1));
  return starts[COUNTS_RANK_BUCKETS];
}

br_status counts_rank_build(const br_counts *c, const cmap *m, counts_rank_arrays *r) {
  memset(r, 0, sizeof *r);
  uint64_t *starts = br_alloc("counts", COUNTS_RANK_BUCKETS + 1, sizeof *starts);
  if (starts) counts_rank_starts(m, starts);
  uint64_t n = starts ? starts[COUNTS_RANK_BUCKETS] : 0;
  int64_t ni = c->labels->n;
  uint32_t *slots = starts ? br_alloc("counts", (size_t)n, sizeof *slots) : NULL;
  if (slots) counts_hugepages(slots, (size_t)n * sizeof *slots);
  double *items = slots ? br_alloc("counts", (size_t)ni, sizeof *items) : NULL;
  if (!items) {
    br_free(starts);
    br_free(slots);
    return br_error_set(BR_ERR_NOMEM, "counts: out of memory for the rank index");
  }
  counts_rank_fill(c, m, starts, slots, items);
  *r = (counts_rank_arrays){starts, slots, n, items, ni};
  return BR_OK;
}

void counts_rank_free(counts_rank_arrays *r) {
  br_free(r->starts);
  br_free(r->slots);
  br_free(r->items);
  memset(r, 0, sizeof *r);
}

br_status counts_put_rank(FILE *f, const br_counts *c, const cmap *m) {
  uint64_t none = UINT64_MAX;
  if (m->cap > UINT32_MAX) {
    put(f, &none, 8); /* and no item counts */
    return BR_OK;
  }
  counts_rank_arrays r;
  br_status s = counts_rank_build(c, m, &r);
  if (s != BR_OK) return s;
  counts_put_rank_arrays(f, &r);
  counts_rank_free(&r);
  return BR_OK;
}

void counts_put_rank_arrays(FILE *f, const counts_rank_arrays *r) {
  put(f, &r->n, 8);
  put(f, r->starts, (COUNTS_RANK_BUCKETS + 1) * sizeof *r->starts);
  put(f, r->slots, (size_t)r->n * sizeof *r->slots);
  pad(f);
  /* and every item's count by id, dense */
  put(f, &r->nitems, 8);
  put(f, r->items, (size_t)r->nitems * sizeof *r->items);
}

/* A store's id: random, so a delta file left by an older store of the
 * same name never matches a new one. */
uint64_t counts_new_id(void) {
  uint64_t id = 0;
  if (getrandom(&id, sizeof id, GRND_NONBLOCK) != (ssize_t)sizeof id) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    id = counts_hash((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 40));
  }
  return id ? id : 1;
}

/* Writes c whole to path, then drops path's delta file (its id is the old
 * store's: were it left by a crash here, loading would ignore it). */
static br_status save_whole(br_counts *c, const char *path) {
  /* a loaded table is folded in first: the file holds one table */
  br_status s = c->total.n || c->mid.cap ? counts_materialize(c) : BR_OK;
  if (s != BR_OK) return s;
  const cmap *total = c->base.cap ? &c->base : &c->total;
  atomic_file af;
  s = atomic_open(&af, path, "wb");
  if (s != BR_OK) return s;
  FILE *f = af.fp;
  uint32_t head[2] = {VERSION, ORDER};
  uint64_t id = counts_new_id();
  put(f, MAGIC, 8);
  put(f, head, sizeof head);
  put(f, &id, 8);
  int32_t mode = (int32_t)c->o.mode, max_size = c->o.max_size, depth = c->o.depth;
  put(f, &mode, 4);
  put(f, &c->o.window_days, 8);
  put(f, &c->o.half_life_days, 8);
  put(f, &max_size, 4);
  put(f, &c->o.capacity, 8);
  put(f, &c->o.width, 8);
  put(f, &depth, 4);
  put(f, &c->horizon, 8);
  put(f, &c->now, 8);
  put(f, &c->tref, 8);
  put(f, &c->nbaskets, 8);
  int64_t nl = c->labels->n;
  put(f, &nl, 8);
  for (int32_t i = 0; i < c->labels->n; i++) {
    size_t len;
    const char *l = strdict_get(c->labels, i, &len);
    uint32_t n32 = (uint32_t)len;
    put(f, &n32, 4);
    put(f, l, len);
  }
  counts_put_map(f, total);
  s = counts_put_rank(f, c, total);
  if (s != BR_OK) {
    atomic_abort(&af);
    return s;
  }
  int32_t nd = c->ndays;
  put(f, &nd, 4);
  for (int d = 0; d < c->ndays; d++) {
    put(f, &c->days[d].day, 8);
    put(f, &c->days[d].nbaskets, 8);
    counts_put_map(f, &c->days[d].map);
  }
  if (c->o.mode == BR_COUNTS_SKETCH) {
    const sketch *k = &c->sk;
    put(f, &k->size, 8);
    for (int64_t i = 0; i < k->size; i++) {
      put(f, &k->key[i], 8);
      put(f, &k->cnt[i], 8);
      put(f, &k->err[i], 8);
    }
    put(f, &k->total, 8);
    put(f, k->cm, (size_t)(k->width * k->depth) * sizeof *k->cm);
  }
  if (ferror(f)) {
    int e = errno;
    atomic_abort(&af);
    return br_error_set(BR_ERR_IO, "%s: cannot write: %s", path, strerror(e));
  }
  long bytes = ftell(f);
  s = atomic_commit(&af);
  if (s != BR_OK) return s;
  size_t n = strlen(path);
  char *delta = counts_path_with(path, COUNTS_DELTA_SUFFIX);
  char *keep = br_alloc("counts", 1, n + 1);
  if (!delta || !keep) {
    br_free(delta);
    br_free(keep);
    return br_error_set(BR_ERR_NOMEM, "counts: out of memory");
  }
  if (unlink(delta) != 0 && errno != ENOENT) {
    /* stale, so harmless to a load; the next save replaces it */
  }
  counts_level_remove(path); /* stale too: it names the old store */
  br_free(delta);
  memcpy(keep, path, n + 1);
  br_free(c->saved.path);
  c->saved = (counts_saved){keep, id, bytes > 0 ? (uint64_t)bytes : 0, 0, 0, 0, 0, 0, 0, c->labels->n};
  counts_mark_saved(c);
  return BR_OK;
}

/* A store saved (or loaded) from path before appends only the changes to
 * path's delta file; now and then (COUNTS_COMPACT_FRACTION) it is written
 * whole again. */
br_status br_counts_save(br_counts *c, const char *path) {
  int done = 0;
  br_status s = counts_delta_save(c, path, &done);
  return s != BR_OK || done ? s : save_whole(c, path);
}

br_status br_counts_save_whole(br_counts *c, const char *path) { return save_whole(c, path); }

/* ---- loading ---- */

/* Loading maps the file and uses its total's slot arrays in place: a
 * copy was most of the cost of a daily run. */
typedef struct cursor {
  FILE *f;
  const unsigned char *map; /* the whole file, mapped read-only */
  size_t len, at;
  const char *path;
  br_status err;
} cursor;

static int take(cursor *c, void *out, size_t n) {
  if (c->err != BR_OK) return 0;
  if (n > c->len - c->at) {
    c->err = br_error_set(BR_ERR_PARSE, "%s: not a whole counts store (it ends at byte %zu, inside a record)",
                          c->path, c->len);
    return 0;
  }
  if (n && fread(out, 1, n, c->f) != n) {
    c->err = br_error_set(BR_ERR_IO, "%s: cannot read: %s", c->path, ferror(c->f) ? strerror(errno) : "the file shrank");
    return 0;
  }
  c->at += n;
  return 1;
}

static int bad(cursor *c, const char *what) {
  if (c->err == BR_OK) c->err = br_error_set(BR_ERR_PARSE, "%s: damaged counts store: %s (near byte %zu)", c->path, what, c->at);
  return 0;
}

/* A saved table: a power-of-two capacity at most 3/4 full (so every probe
 * run ends), its entries counted and every key's items known. A key in a
 * wrong slot could only make a count read as 0, never a crash. */
static int scan_map(cursor *c, cmap *m, uint64_t n, int64_t nlabels);

static int take_map(cursor *c, cmap *m, int64_t nlabels, int scan) {
  uint64_t head[2];
  if (!take(c, head, sizeof head)) return 0;
  uint64_t cap = head[0], n = head[1];
  char zeros[8];
  if (c->at % 8 && !take(c, zeros, 8 - c->at % 8)) return 0;
  if (cap == 0) return n == 0 ? 1 : bad(c, "an empty table with entries");
  if ((cap & (cap - 1)) != 0 || n * 4 > cap * 3) return bad(c, "a table's size is not one this build writes");
  if (cap > (c->len - c->at) / 16) return bad(c, "a table's length is past the end");
  m->keys = (uint64_t *)(void *)(c->map + c->at);
  m->vals = (double *)(void *)(c->map + c->at + cap * sizeof *m->keys);
  m->cap = cap;
  m->mapped = 1;
  c->at += cap * 16;
  if (fseek(c->f, (long)c->at, SEEK_SET) != 0) {
    c->err = br_error_set(BR_ERR_IO, "%s: cannot read: %s", c->path, strerror(errno));
    return 0;
  }
  m->n = n;
  return scan ? scan_map(c, m, n, nlabels) : 1;
}

/* Every key of m names known items and they are n. */
static int scan_map(cursor *c, cmap *m, uint64_t n, int64_t nlabels) {
  uint64_t seen = 0;
  for (uint64_t i = 0; i < m->cap; i++) {
    if (!m->keys[i]) continue;
    if (!counts_key_ok(m->keys[i], nlabels)) return bad(c, "an itemset names an unknown item");
    seen++;
  }
  return seen == n ? 1 : bad(c, "a table's entry count is wrong");
}

/* The total's rank index, in place; when there is none (a version 2 file)
 * the table is checked whole instead. With one, the table is not read on
 * load: what reads it checks what it uses (cmap_find's probes are bounded,
 * counts_read.c checks each key it reports, a compaction every key). */
static int take_rank(cursor *c, br_counts *s, int version) {
  uint64_t n = UINT64_MAX;
  if (version >= 3 && !take(c, &n, 8)) return 0;
  if (n == UINT64_MAX) return scan_map(c, &s->base, s->base.n, s->labels->n);
  size_t at = c->at;
  counts_rank r;
  const char *why = counts_take_rank(c->map, c->len, &at, n, s->base.n, s->labels->n, &r);
  if (why) return bad(c, why);
  s->rank_starts = r.starts;
  s->rank = r.slots;
  s->base_items = r.items;
  s->nbase_items = r.nitems;
  c->at = at;
  if (fseek(c->f, (long)c->at, SEEK_SET) != 0) {
    c->err = br_error_set(BR_ERR_IO, "%s: cannot read: %s", c->path, strerror(errno));
    return 0;
  }
  return 1;
}

const char *counts_take_rank(const unsigned char *map, size_t len, size_t *at, uint64_t n, uint64_t ntable,
                             int64_t nlabels, counts_rank *out) {
  size_t bytes = (COUNTS_RANK_BUCKETS + 1) * 8, p = *at;
  if (n > ntable || p > len || bytes + n * 4 > len - p) return "the rank index is past the end";
  const uint64_t *starts = (const uint64_t *)(const void *)(map + p);
  for (int b = 0; b < COUNTS_RANK_BUCKETS; b++)
    if (starts[b] > starts[b + 1]) return "the rank index is out of order";
  if (starts[0] != 0 || starts[COUNTS_RANK_BUCKETS] != n) return "the rank index's length is wrong";
  out->starts = starts;
  out->slots = (const uint32_t *)(const void *)(map + p + bytes);
  p += bytes + n * 4;
  p += (8 - p % 8) % 8;
  int64_t ni;
  if (p > len || len - p < 8) return "the item counts are past the end";
  memcpy(&ni, map + p, 8);
  p += 8;
  if (ni != nlabels || (uint64_t)ni > (len - p) / 8) return "the item counts do not fit the labels";
  out->items = (const double *)(const void *)(map + p);
  out->nitems = ni;
  *at = p + (size_t)ni * 8;
  return NULL;
}

static int take_sketch(cursor *cur, br_counts *c) {
  sketch *k = &c->sk;
  int64_t size;
  if (!take(cur, &size, 8)) return 0;
  if (size < 0 || size > k->cap) return bad(cur, "the sketch holds more itemsets than its capacity");
  for (int64_t i = 0; i < size; i++) {
    uint64_t key;
    if (!take(cur, &key, 8) || !take(cur, &k->cnt[i], 8) || !take(cur, &k->err[i], 8)) return 0;
    if (!counts_key_ok(key, c->labels->n)) return bad(cur, "an itemset names an unknown item");
    if (!sketch_keep(k, key)) return bad(cur, "an itemset of the sketch repeats");
  }
  sketch_heapify(k);
  if (!take(cur, &k->total, 8)) return 0;
  return take(cur, k->cm, (size_t)(k->width * k->depth) * sizeof *k->cm);
}

br_status br_counts_load(br_counts **out, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return br_error_set(BR_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
  rewind(f);
  if (size < 0) {
    fclose(f);
    return br_error_set(BR_ERR_IO, "%s: cannot read: not a regular file", path);
  }
  size_t len = (size_t)size;
  /* Read-only: the total's table is used in place and never written (the
   * days, written as baskets come, are copied out). Not populated: a daily
   * run reads a few thousand of its pages (the rank index's top buckets,
   * the item counts, the day's large additions), and mapping all of them
   * up front cost more than the faults. */
  void *map = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fileno(f), 0) : MAP_FAILED;
  if (map == MAP_FAILED) {
    fclose(f);
    return br_error_set(BR_ERR_IO, "%s: cannot read: %s", path, len ? strerror(errno) : "the file is empty");
  }
  cursor cur = {f, map, len, 0, path, BR_OK};
  char magic[8] = {0};
  uint32_t head[2] = {0, 0};
  if (len < 16 || !take(&cur, magic, 8) || memcmp(magic, MAGIC, 8) != 0) {
    munmap(map, len);
    fclose(f);
    return br_error_set(BR_ERR_PARSE, "%s: not a counts store (no BRCOUNTS header)", path);
  }
  take(&cur, head, 8);
  uint64_t id = 0;
  if (head[1] != ORDER || (head[0] != VERSION && head[0] != VERSION_NO_ID)) {
    munmap(map, len);
    fclose(f);
    return br_error_set(BR_ERR_PARSE, "%s: a counts store of version %u%s; this build reads version %u", path,
                        head[1] == ORDER ? head[0] : 0, head[1] == ORDER ? "" : " from a machine of the other byte order",
                        VERSION);
  }
  if (head[0] == VERSION && !take(&cur, &id, 8)) {
    munmap(map, len);
    fclose(f);
    return cur.err;
  }
  br_counts_options o;
  br_counts_options_init(&o);
  int32_t mode = 0, max_size = 0, depth = 0;
  take(&cur, &mode, 4);
  take(&cur, &o.window_days, 8);
  take(&cur, &o.half_life_days, 8);
  take(&cur, &max_size, 4);
  take(&cur, &o.capacity, 8);
  take(&cur, &o.width, 8);
  take(&cur, &depth, 4);
  o.mode = (br_counts_mode)mode;
  o.max_size = max_size;
  o.depth = depth;
  br_counts *c = NULL;
  if (cur.err == BR_OK && (mode != BR_COUNTS_EXACT && mode != BR_COUNTS_SKETCH)) bad(&cur, "unknown mode");
  if (cur.err == BR_OK && mode == BR_COUNTS_SKETCH &&
      (o.capacity <= 0 || o.capacity > SKETCH_MAX_CAPACITY || o.width <= 0 || o.width > SKETCH_MAX_WIDTH ||
       depth <= 0 || depth > 16 || (uint64_t)(o.width * depth) > len / 8))
    bad(&cur, "the sketch's sizes do not fit the file");
  if (cur.err == BR_OK && br_counts_new(&c, &o) != BR_OK) {
    c = NULL; /* options no store takes: a damaged file, said as such */
    char why[256]; /* br_last_error's buffer is the one bad() writes */
    snprintf(why, sizeof why, "%s", br_last_error());
    if (strstr(why, "memory")) cur.err = BR_ERR_NOMEM;
    else bad(&cur, why);
  }
  if (c) {
    c->map = map; /* the store unmaps it when freed */
    c->map_len = len;
    map = NULL;
    take(&cur, &c->horizon, 8);
    take(&cur, &c->now, 8);
    take(&cur, &c->tref, 8);
    take(&cur, &c->nbaskets, 8);
    int64_t nl = 0;
    take(&cur, &nl, 8);
    if (cur.err == BR_OK && (nl < 0 || nl > COUNTS_MAX_ITEMS + 1 || (uint64_t)nl > (len - cur.at) / 4))
      bad(&cur, "the label count is past the end");
    char *label = NULL;
    size_t label_cap = 0;
    for (int64_t i = 0; i < nl && cur.err == BR_OK; i++) {
      uint32_t n32;
      if (!take(&cur, &n32, 4)) break;
      if (n32 > len - cur.at) {
        bad(&cur, "a label runs past the end");
        break;
      }
      if (n32 >= label_cap) {
        char *l = br_realloc("counts", label, 1, (size_t)n32 + 1);
        if (!l) {
          cur.err = br_error_set(BR_ERR_NOMEM, "%s: out of memory", path);
          break;
        }
        label = l;
        label_cap = (size_t)n32 + 1;
      }
      if (take(&cur, label, n32) && strdict_intern(c->labels, label, n32) != (int32_t)i) bad(&cur, "a label repeats");
    }
    br_free(label);
    if (take_map(&cur, &c->base, c->labels->n, 0)) take_rank(&cur, c, (int)head[0]);
    int32_t nd = 0;
    take(&cur, &nd, 4);
    if (cur.err == BR_OK && (nd < 0 || (uint64_t)nd > (len - cur.at) / 24)) bad(&cur, "the day count is past the end");
    for (int32_t d = 0; d < nd && cur.err == BR_OK; d++) {
      int64_t day;
      double nb;
      if (!take(&cur, &day, 8) || !take(&cur, &nb, 8)) break;
      counts_day *cd = counts_day_of(c, day);
      if (!cd) {
        cur.err = br_error_set(BR_ERR_NOMEM, "%s: out of memory", path);
        break;
      }
      cd->nbaskets = nb;
      /* a day is written as baskets of it come: its own copy */
      if (take_map(&cur, &cd->map, c->labels->n, 1) && (cur.err = cmap_own(&cd->map)) != BR_OK) break;
    }
    if (mode == BR_COUNTS_SKETCH) take_sketch(&cur, c);
    if (cur.err == BR_OK && cur.at != len) bad(&cur, "bytes after the end of the store");
  }
  fclose(f);
  if (map) munmap(map, len);
  if (cur.err == BR_OK) {
    size_t n = strlen(path);
    char *keep = br_alloc("counts", 1, n + 1);
    if (!keep) {
      cur.err = br_error_set(BR_ERR_NOMEM, "counts: out of memory");
    } else {
      memcpy(keep, path, n + 1);
      /* a store of version 2 has no id (0): no delta file is its */
      c->saved = (counts_saved){keep, id, len, 0, 0, 0, 0, 0, 0, c->labels->n};
      uint64_t covers = 0, sum = 0;
      cur.err = counts_level_load(c, path, &covers, &sum);
      if (cur.err == BR_OK) cur.err = counts_delta_load(c, path, covers, sum);
    }
  }
  if (cur.err != BR_OK) {
    br_counts_free(c);
    return cur.err;
  }
  counts_mark_saved(c);
  *out = c;
  return BR_OK;
}
