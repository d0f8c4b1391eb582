/* A count store's level file, "<store>.level": the delta records merged now
 * and then into one table, laid out like the store file's (slot arrays,
 * rank index, item counts) and mapped in place on load, so a load replays
 * only the records since the last merge, and the store file is rewritten
 * only when the level passes a share of it (counts_internal.h). A store
 * without a window only (a window's days are copied out on load anyway).
 *
 * Layout, host byte order as the store:
 *
 *   "BRCLEVEL" u32 version u32 0x01020304
 *   u64 the store file's id, u64 this level's id (random)
 *   u64 covers: the delta file's bytes it holds, u64 the checksum of the
 *     record that ends there; u64 file length, u64 head length, u64 head sum
 *   horizon, now, tref, nbaskets (after the last record it holds)
 *   i64 first label, i64 labels (u32 length + bytes each), zeros to 8
 *   the table (capacity, entries, keys, counts), its rank index and every
 *   item's count (as the store file's)
 *   "BRCLEND!" u64 this level's id, u64 the checksum of the arrays
 *
 * The delta file keeps every record while there is a level: a level that is
 * missing, cut short or zero-filled (only damage does that: it is written
 * whole, synced and renamed in) is skipped and every record replayed, which
 * gives the same state. A level of an older store file (a whole save killed
 * before removing it) is ignored. Other damage is an error naming the file;
 * the arrays are checked against their checksum before they are merged into
 * anything, and each key where it is read. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/memory.h"
#include "io_atomic_file.h"
#include "memory_internal.h"
#include "counts_internal.h"

#define LMAGIC "BRCLEVEL"
#define TMAGIC "BRCLEND!"
#define LVERSION 1u
#define ORDER 0x01020304u
#define FIXED 72u   /* the header up to the state */
#define STATE 48u   /* horizon, now, tref, nbaskets, first label, labels */
#define TRAILER 24u

int counts_level_ok(const br_counts *c) {
  return c->o.mode == BR_COUNTS_EXACT && c->o.window_days <= 0 && c->rank_starts && c->base.cap;
}

static uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 0xff51afd7ed558ccdull + 0x9e3779b97f4a7c15ull; }

/* The checksum of a level's arrays, as written and as mapped. */
static uint64_t arrays_sum(const cmap *m, const uint64_t *starts, const uint32_t *slots, const double *items,
                           int64_t ni) {
  uint64_t h = counts_checksum((const unsigned char *)m->keys, m->cap * sizeof *m->keys);
  h = mix(h, counts_checksum((const unsigned char *)m->vals, m->cap * sizeof *m->vals));
  h = mix(h, counts_checksum((const unsigned char *)starts, (COUNTS_RANK_BUCKETS + 1) * sizeof *starts));
  h = mix(h, counts_checksum((const unsigned char *)slots, (size_t)starts[COUNTS_RANK_BUCKETS] * sizeof *slots));
  return mix(h, counts_checksum((const unsigned char *)items, (size_t)ni * sizeof *items));
}

/* The header's checksum: every byte of it but the checksum's own. */
static uint64_t head_sum(const unsigned char *head, size_t len) {
  return mix(counts_checksum(head, 64), counts_checksum(head + FIXED, len - FIXED));
}

static char *level_path(const char *path) { return counts_path_with(path, COUNTS_LEVEL_SUFFIX); }

static br_status damaged(const char *lpath, const char *what) {
  return br_error_set(BR_ERR_PARSE, "%s: damaged level file: %s", lpath, what);
}

int counts_level_is(const char *path, uint64_t id, uint64_t bytes) {
  if (!id) return 1;
  char *lpath = level_path(path);
  FILE *f = lpath ? fopen(lpath, "rb") : NULL;
  br_free(lpath);
  if (!f) return 0;
  unsigned char h[32];
  struct stat st;
  int ok = fread(h, 1, sizeof h, f) == sizeof h && fstat(fileno(f), &st) == 0 && (uint64_t)st.st_size == bytes;
  fclose(f);
  uint64_t got;
  memcpy(&got, h + 24, 8);
  return ok && memcmp(h, LMAGIC, 8) == 0 && got == id;
}

void counts_level_remove(const char *path) {
  char *lpath = level_path(path);
  if (lpath && unlink(lpath) != 0 && errno != ENOENT) {
    /* stale (it names the old store file), so harmless to a load */
  }
  br_free(lpath);
}

void counts_level_drop(br_counts *c) {
  if (c->mid_map) munmap(c->mid_map, c->mid_map_len);
  c->mid_map = NULL;
  c->mid_map_len = 0;
  memset(&c->mid, 0, sizeof c->mid);
  c->mid_starts = NULL;
  c->mid_rank = NULL;
  c->mid_items = NULL;
  c->nmid_items = 0;
}

br_status counts_level_check(const br_counts *c) {
  if (!c->mid_map) return BR_OK;
  char *lpath = level_path(c->saved.path ? c->saved.path : "counts");
  if (!lpath) return br_error_set(BR_ERR_NOMEM, "counts: out of memory");
  br_status s = BR_OK;
  const unsigned char *end = (const unsigned char *)c->mid_map + c->mid_map_len - 8;
  uint64_t want;
  memcpy(&want, end, 8);
  mem_populate(c->mid_map, c->mid_map_len, 0);
  if (arrays_sum(&c->mid, c->mid_starts, c->mid_rank, c->mid_items, c->nmid_items) != want)
    s = damaged(lpath, "its tables fail their checksum");
  for (size_t i = 0; s == BR_OK && i < c->mid.cap; i++)
    if (c->mid.keys[i] && !counts_key_ok(c->mid.keys[i], c->labels->n)) s = damaged(lpath, "an itemset names an unknown item");
  br_free(lpath);
  return s;
}

/* ---- writing ---- */

typedef struct hbuf {
  unsigned char *p;
  size_t n, cap;
} hbuf;

static int hput(hbuf *b, const void *src, size_t n) {
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + n) cap *= 2;
    unsigned char *p = br_realloc("counts", b->p, 1, cap);
    if (!p) return 0;
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, src, n);
  b->n += n;
  return 1;
}

/* The header for m (its rank r) holding labels from c->saved.base_labels on. */
static int make_head(hbuf *b, const br_counts *c, uint64_t id, uint64_t covers, uint64_t sum, const cmap *m,
                     const counts_rank_arrays *r) {
  uint32_t v[2] = {LVERSION, ORDER};
  uint64_t zero = 0;
  int ok = hput(b, LMAGIC, 8) && hput(b, v, 8) && hput(b, &c->saved.id, 8) && hput(b, &id, 8) &&
           hput(b, &covers, 8) && hput(b, &sum, 8) && hput(b, &zero, 8) && hput(b, &zero, 8) && hput(b, &zero, 8);
  int64_t first = c->saved.base_labels, nnew = c->labels->n - first;
  ok = ok && hput(b, &c->horizon, 8) && hput(b, &c->now, 8) && hput(b, &c->tref, 8) && hput(b, &c->nbaskets, 8) &&
       hput(b, &first, 8) && hput(b, &nnew, 8);
  for (int32_t i = (int32_t)first; ok && i < c->labels->n; i++) {
    size_t len;
    const char *l = strdict_get(c->labels, i, &len);
    uint32_t n32 = (uint32_t)len;
    ok = hput(b, &n32, 4) && hput(b, l, len);
  }
  static const char zeros[8];
  if (ok && b->n % 8) ok = hput(b, zeros, 8 - b->n % 8);
  if (!ok) return 0;
  /* the lengths: the table, the rank index (its slots padded to 8), the items, the trailer */
  uint64_t slots = r->n * 4 + (8 - r->n * 4 % 8) % 8;
  uint64_t len = b->n + 16 + m->cap * 16 + 8 + (COUNTS_RANK_BUCKETS + 1) * 8 + slots + 8 + (uint64_t)r->nitems * 8 + TRAILER;
  uint64_t hl = b->n;
  memcpy(b->p + 48, &len, 8);
  memcpy(b->p + 56, &hl, 8);
  uint64_t hs = head_sum(b->p, b->n);
  memcpy(b->p + 64, &hs, 8);
  return 1;
}

br_status counts_level_write(br_counts *c, const char *path, uint64_t covers, uint64_t sum) {
  char *lpath = level_path(path);
  if (!lpath) return br_error_set(BR_ERR_NOMEM, "counts: out of memory");
  br_status s = counts_level_check(c);
  cmap m = {0};
  counts_rank_arrays r = {0};
  hbuf head = {0};
  const cmap *adds[1] = {&c->total};
  if (s == BR_OK) s = counts_merge(&m, &c->mid, adds, 1, c->labels->n, lpath);
  if (s == BR_OK && m.cap > UINT32_MAX) goto done; /* too large for a rank index: the records stay as they are */
  if (s == BR_OK) s = counts_rank_build(c, &m, &r);
  uint64_t id = counts_new_id();
  if (s == BR_OK && !make_head(&head, c, id, covers, sum, &m, &r))
    s = br_error_set(BR_ERR_NOMEM, "counts: out of memory for a level file");
  atomic_file af;
  if (s == BR_OK) s = atomic_open(&af, lpath, "wb");
  if (s != BR_OK) goto done;
  uint64_t len;
  memcpy(&len, head.p + 48, 8);
  fwrite(head.p, 1, head.n, af.fp);
  counts_put_map(af.fp, &m);
  counts_put_rank_arrays(af.fp, &r);
  uint64_t tail[2] = {id, arrays_sum(&m, r.starts, r.slots, r.items, r.nitems)};
  fwrite(TMAGIC, 1, 8, af.fp);
  fwrite(tail, 1, sizeof tail, af.fp);
  long at = ftell(af.fp);
  if (ferror(af.fp) || at < 0 || (uint64_t)at != len) {
    int e = errno;
    atomic_abort(&af);
    s = br_error_set(BR_ERR_IO, "%s: cannot write: %s", lpath, at >= 0 && (uint64_t)at != len ? "a length is wrong" : strerror(e));
    goto done;
  }
  s = atomic_commit(&af);
  if (s == BR_OK) {
    c->saved.level_id = id;
    c->saved.level_bytes = len;
    c->saved.level_covers = covers;
  }
done:
  cmap_free(&m);
  counts_rank_free(&r);
  br_free(head.p);
  br_free(lpath);
  return s;
}

/* ---- loading ---- */

static int all_zero(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return 0;
  return 1;
}

/* The level's state, labels, table and rank index from its mapping. */
static br_status take(br_counts *c, const char *lpath, const unsigned char *map, uint64_t len, uint64_t hl) {
  int64_t st[3], first, nnew;
  double nb;
  memcpy(st, map + FIXED, 24);
  memcpy(&nb, map + FIXED + 24, 8);
  memcpy(&first, map + FIXED + 32, 8);
  memcpy(&nnew, map + FIXED + 40, 8);
  if (!isfinite(nb) || first != c->labels->n || nnew < 0 || (uint64_t)nnew > (hl - FIXED - STATE) / 4)
    return damaged(lpath, "it does not fit the store file");
  size_t at = FIXED + STATE;
  for (int64_t i = 0; i < nnew; i++) {
    uint32_t n32;
    if (hl - at < 4) return damaged(lpath, "a label runs past its header");
    memcpy(&n32, map + at, 4);
    at += 4;
    if (n32 > hl - at) return damaged(lpath, "a label runs past its header");
    int32_t id = strdict_intern(c->labels, (const char *)map + at, n32);
    if (id < 0) return br_error_set(BR_ERR_NOMEM, "counts: out of memory");
    if (id != first + i || id > COUNTS_MAX_ITEMS) return damaged(lpath, "a label repeats");
    at += n32;
  }
  if (at + (8 - at % 8) % 8 != hl) return damaged(lpath, "its header's length is wrong");
  uint64_t end = len - TRAILER, cap, n;
  at = hl;
  if (end - at < 16) return damaged(lpath, "its table is past the end");
  memcpy(&cap, map + at, 8);
  memcpy(&n, map + at + 8, 8);
  at += 16;
  if ((cap & (cap - 1)) != 0 || n * 4 > cap * 3 ) return damaged(lpath, "its table's size is not one this build writes");
  if (cap > (end - at) / 16) return damaged(lpath, "its table is past the end");
  cmap m = {(uint64_t *)(void *)(map + at), (double *)(void *)(map + at + cap * 8), cap, n, 1};
  at += cap * 16;
  uint64_t nrank;
  if (end - at < 8) return damaged(lpath, "its rank index is past the end");
  memcpy(&nrank, map + at, 8);
  at += 8;
  counts_rank r;
  const char *why = counts_take_rank(map, end, &at, nrank, n, c->labels->n, &r);
  if (why) return damaged(lpath, why);
  if (at != end) return damaged(lpath, "its length is wrong");
  c->mid = m;
  c->mid_starts = r.starts;
  c->mid_rank = r.slots;
  c->mid_items = r.items;
  c->nmid_items = r.nitems;
  c->horizon = st[0];
  c->now = st[1];
  c->tref = st[2];
  c->nbaskets = nb;
  return BR_OK;
}

br_status counts_level_load(br_counts *c, const char *path, uint64_t *covers, uint64_t *sum) {
  *covers = *sum = 0;
  if (!c->saved.id || !counts_level_ok(c)) return BR_OK;
  char *lpath = level_path(path);
  if (!lpath) return br_error_set(BR_ERR_NOMEM, "counts: out of memory");
  br_status s = BR_OK;
  void *map = MAP_FAILED;
  size_t size = 0;
  int fd = open(lpath, O_RDONLY | O_CLOEXEC);
  struct stat st;
  unsigned char h[FIXED];
  if (fd < 0) {
    if (errno != ENOENT) s = br_error_set(BR_ERR_IO, "%s: cannot open: %s", lpath, strerror(errno));
    goto done;
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    s = br_error_set(BR_ERR_IO, "%s: cannot read: not a regular file", lpath);
    goto done;
  }
  size = (size_t)st.st_size;
  if (size < FIXED || pread(fd, h, FIXED, 0) != (ssize_t)FIXED || all_zero(h, FIXED)) goto done; /* cut short: the records load */
  uint32_t v[2];
  uint64_t f[7];
  memcpy(v, h + 8, 8);
  memcpy(f, h + 16, sizeof f); /* base id, id, covers, covers' sum, length, head length, head sum */
  if (memcmp(h, LMAGIC, 8) != 0) {
    s = br_error_set(BR_ERR_PARSE, "%s: not a counts store's level file (no BRCLEVEL header)", lpath);
    goto done;
  }
  if (v[0] != LVERSION || v[1] != ORDER) {
    s = br_error_set(BR_ERR_PARSE, "%s: a level file of another version or byte order; this build reads version %u",
                     lpath, LVERSION);
    goto done;
  }
  if (f[0] != c->saved.id) goto done; /* an older store file's */
  if (f[4] > size) goto done;         /* cut short */
  if (f[4] < size) {
    s = damaged(lpath, "bytes after its end");
    goto done;
  }
  if (f[5] % 8 || f[5] < FIXED + STATE || f[5] > size - TRAILER || size - TRAILER - f[5] < 16 || f[2] < 24) {
    s = damaged(lpath, "its header's lengths are wrong");
    goto done;
  }
  map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) {
    s = br_error_set(BR_ERR_IO, "%s: cannot read: %s", lpath, strerror(errno));
    goto done;
  }
  const unsigned char *p = map, *tail = p + size - TRAILER;
  if (all_zero(tail, TRAILER)) goto done; /* zero-filled at the end: cut short */
  uint64_t tid;
  memcpy(&tid, tail + 8, 8);
  if (memcmp(tail, TMAGIC, 8) != 0 || tid != f[1]) {
    s = damaged(lpath, "its end is not its own");
    goto done;
  }
  if (head_sum(p, f[5]) != f[6]) {
    s = damaged(lpath, "its header fails its checksum");
    goto done;
  }
  s = take(c, lpath, p, size, f[5]);
  if (s != BR_OK) goto done;
  c->mid_map = map;
  c->mid_map_len = size;
  map = MAP_FAILED;
  c->saved.level_id = f[1];
  c->saved.level_bytes = size;
  c->saved.level_covers = *covers = f[2];
  *sum = f[3];
done:
  if (map != MAP_FAILED) munmap(map, size);
  if (fd >= 0) close(fd);
  br_free(lpath);
  return s;
}
