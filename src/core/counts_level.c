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
 *   "BRCLEND!" u64 this level's id, u64 the checksum of the arrays, "LEVELEND"
 *
 * A merge builds the new level on the heap (asking for huge pages), writes
 * it over "<store>.level.spare" with pwrite, the file the merge before
 * replaced, and swaps the two names (one atomic rename): a fresh file's
 * pages cost about 3.5 ms a MiB to come by in a virtual machine, the
 * spare's are in the page cache already (0.1 ms a MiB), and that was
 * most of a merge. A loaded level holds a
 * shared lock on its file while it is mapped, and the spare is only
 * written under an exclusive one: a store still reading the spare (the
 * level it loaded) makes the merge write a fresh file instead.
 *
 * The delta file keeps every record while there is a level: a level that is
 * missing, cut short or zero-filled (only damage does that: it is written
 * whole, synced and renamed in) is skipped and every record replayed, which
 * gives the same state. A level of an older store file (a whole save killed
 * before removing it) is ignored. Other damage is an error naming the file;
 * the arrays are checked against their checksum before they are merged into
 * anything, and each key where it is read. */
#define _GNU_SOURCE /* renameat2 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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
#define TRAILER 32u
#define EMAGIC "LEVELEND" /* the last bytes: a level zero-filled at its end ends in a 0 */

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

int counts_level_ok(const br_counts *c) {
  return c->o.mode == BR_COUNTS_EXACT && c->o.window_days <= 0 && c->rank_starts && c->base.cap;
}

static uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 0xff51afd7ed558ccdull + 0x9e3779b97f4a7c15ull; }

/* A checksum of n bytes: four Fletcher-style lanes of 64-bit sums (a sum
 * and a sum of sums, so a zeroed or moved word shows), near memory speed,
 * since a merge reads the whole level twice (the old one's check and the
 * new one's sum); the tail bytes through the records' mix. */
static uint64_t lanes_sum(const void *src, size_t n) {
  const unsigned char *p = src;
  uint64_t a[4] = {n, 1, 2, 3}, b[4] = {0, 0, 0, 0};
  size_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int l = 0; l < 4; l++) {
      uint64_t w;
      memcpy(&w, p + i + 8 * l, 8);
      a[l] += w;
      b[l] += a[l];
    }
  uint64_t r = 0x9e3779b97f4a7c15ull;
  for (int l = 0; l < 4; l++) r = mix(mix(r, a[l]), b[l]);
  return mix(r, counts_checksum(p + i, n - i));
}

/* The checksum of a level's arrays, as written and as mapped. */
static uint64_t arrays_sum(const cmap *m, const uint64_t *starts, const uint32_t *slots, const double *items,
                           int64_t ni) {
  uint64_t h = lanes_sum(m->keys, m->cap * sizeof *m->keys);
  h = mix(h, lanes_sum(m->vals, m->cap * sizeof *m->vals));
  h = mix(h, lanes_sum(starts, (COUNTS_RANK_BUCKETS + 1) * sizeof *starts));
  h = mix(h, lanes_sum(slots, (size_t)starts[COUNTS_RANK_BUCKETS] * sizeof *slots));
  return mix(h, lanes_sum(items, (size_t)ni * sizeof *items));
}

/* The header's checksum: every byte of it but the checksum's own. */
static uint64_t head_sum(const unsigned char *head, size_t len) {
  return mix(counts_checksum(head, 64), counts_checksum(head + FIXED, len - FIXED));
}

static char *level_path(const char *path) { return counts_path_with(path, COUNTS_LEVEL_SUFFIX); }
#define SPARE_SUFFIX COUNTS_LEVEL_SUFFIX ".spare"

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
  char *lpath = level_path(path), *spath = counts_path_with(path, SPARE_SUFFIX);
  if (lpath && unlink(lpath) != 0 && errno != ENOENT) {
    /* stale (it names the old store file), so harmless to a load */
  }
  if (spath) unlink(spath); /* a new cycle's first levels are small: no need of its pages */
  br_free(lpath);
  br_free(spath);
}

void counts_level_drop(br_counts *c) {
  if (c->mid_map) {
    munmap(c->mid_map, c->mid_map_len);
    close(c->mid_fd); /* and its lock */
  }
  c->mid_map = NULL;
  c->mid_map_len = 0;
  memset(&c->mid, 0, sizeof c->mid);
  c->mid_starts = NULL;
  c->mid_rank = NULL;
  c->mid_items = NULL;
  c->nmid_items = 0;
}

br_status counts_level_check(const br_counts *c, int keys) {
  if (!c->mid_map) return BR_OK;
  char *lpath = level_path(c->saved.path ? c->saved.path : "counts");
  if (!lpath) return br_error_set(BR_ERR_NOMEM, "counts: out of memory");
  br_status s = BR_OK;
  const unsigned char *end = (const unsigned char *)c->mid_map + c->mid_map_len - 16;
  uint64_t want;
  memcpy(&want, end, 8);
  mem_populate(c->mid_map, c->mid_map_len, 0);
  if (arrays_sum(&c->mid, c->mid_starts, c->mid_rank, c->mid_items, c->nmid_items) != want)
    s = damaged(lpath, "its tables fail their checksum");
  for (size_t i = 0; keys && s == BR_OK && i < c->mid.cap; i++)
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

/* The bytes from the table to the end of a level of cap slots, nrank
 * ranked itemsets and ni items. */
static uint64_t body_len(uint64_t cap, uint64_t nrank, int64_t ni) {
  return 16 + cap * 16 + 8 + (COUNTS_RANK_BUCKETS + 1) * 8 + nrank * 4 + (8 - nrank * 4 % 8) % 8 + 8 + (uint64_t)ni * 8 +
         TRAILER;
}

/* The header of a level of cap slots and nrank ranked itemsets, holding
 * the labels from c->saved.base_labels on. */
static int make_head(hbuf *b, const br_counts *c, uint64_t id, uint64_t covers, uint64_t sum, uint64_t cap,
                     uint64_t nrank) {
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
  uint64_t len = b->n + body_len(cap, nrank, c->labels->n), hl = b->n;
  memcpy(b->p + 48, &len, 8);
  memcpy(b->p + 56, &hl, 8);
  uint64_t hs = head_sum(b->p, b->n);
  memcpy(b->p + 64, &hs, 8);
  return 1;
}

/* Syncs the directory holding path (a rename in it). */
static void sync_dir(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = slash ? counts_path_with("", path) : NULL;
  if (dir) dir[slash == path ? 1 : slash - path] = '\0';
  int fd = open(dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  br_free(dir);
}

/* A merged level in memory, ready to write. */
typedef struct level_out {
  cmap m;
  counts_rank_arrays r;
  hbuf head;
  uint64_t id, len, tail[2];
} level_out;

static void out_free(level_out *o) {
  cmap_free(&o->m);
  counts_rank_free(&o->r);
  br_free(o->head.p);
}

/* The pieces of the file in order (header, table head, keys, counts, rank
 * index, its padding, items, trailer), for writing. */
static int pieces(const level_out *o, const void **p, size_t *n, uint64_t *scratch) {
  static const char zeros[8];
  int k = 0;
  scratch[0] = o->m.cap;
  scratch[1] = o->m.n;
  scratch[2] = o->r.n;
  scratch[3] = (uint64_t)o->r.nitems;
  p[k] = o->head.p, n[k++] = o->head.n;
  p[k] = scratch, n[k++] = 16;
  p[k] = o->m.keys, n[k++] = o->m.cap * 8;
  p[k] = o->m.vals, n[k++] = o->m.cap * 8;
  p[k] = scratch + 2, n[k++] = 8;
  p[k] = o->r.starts, n[k++] = (COUNTS_RANK_BUCKETS + 1) * 8;
  p[k] = o->r.slots, n[k++] = o->r.n * 4;
  p[k] = zeros, n[k++] = (8 - o->r.n * 4 % 8) % 8;
  p[k] = scratch + 3, n[k++] = 8;
  p[k] = o->r.items, n[k++] = (size_t)o->r.nitems * 8;
  p[k] = TMAGIC, n[k++] = 8;
  p[k] = o->tail, n[k++] = 16;
  p[k] = EMAGIC, n[k++] = 8;
  return k;
}

/* The level written over the spare file (whose pages are in the page
 * cache: no fresh ones to come by) and swapped in; *done = 0 when the spare
 * is in use (a reader maps it) or cannot be locked: the caller writes a
 * fresh file. */
static br_status write_spare(const char *path, const char *lpath, const level_out *o, int *done) {
  *done = 0;
  char *spath = counts_path_with(path, SPARE_SUFFIX);
  if (!spath) return br_error_set(BR_ERR_NOMEM, "counts: out of memory");
  br_status s = BR_OK;
  int fd = open(spath, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) goto out;
  const void *p[16];
  size_t n[16];
  uint64_t scratch[4], at = 0;
  int k = pieces(o, p, n, scratch), ok = ftruncate(fd, (off_t)o->len) == 0;
  for (int i = 0; ok && i < k; at += n[i++])
    for (size_t done_bytes = 0; ok && done_bytes < n[i];) {
      ssize_t w = pwrite(fd, (const char *)p[i] + done_bytes, n[i] - done_bytes, (off_t)(at + done_bytes));
      if (w < 0 && errno == EINTR) continue;
      ok = w > 0;
      if (ok) done_bytes += (size_t)w;
    }
  ok = ok && at == o->len && fsync(fd) == 0;
  if (!ok) {
    s = br_error_set(BR_ERR_IO, "%s: cannot write: %s", spath, at != o->len ? "a length is wrong" : strerror(errno));
    goto out;
  }
  /* swapped: the old level becomes the next merge's spare (a plain rename
   * where there is no level yet, or no swapping) */
  if (renameat2(AT_FDCWD, spath, AT_FDCWD, lpath, RENAME_EXCHANGE) != 0 && rename(spath, lpath) != 0) {
    s = br_error_set(BR_ERR_IO, "%s: cannot replace: %s", lpath, strerror(errno));
    goto out;
  }
  sync_dir(lpath);
  *done = 1;
out:
  if (fd >= 0) close(fd);
  br_free(spath);
  return s;
}

/* The level written to a fresh file through the atomic writer. */
static br_status write_fresh(const char *lpath, const level_out *o) {
  atomic_file af;
  br_status s = atomic_open(&af, lpath, "wb");
  if (s != BR_OK) return s;
  const void *p[16];
  size_t n[16];
  uint64_t scratch[4];
  int k = pieces(o, p, n, scratch);
  for (int i = 0; i < k; i++) fwrite(p[i], 1, n[i], af.fp);
  long at = ftell(af.fp);
  if (ferror(af.fp) || at < 0 || (uint64_t)at != o->len) {
    int e = errno;
    atomic_abort(&af);
    return br_error_set(BR_ERR_IO, "%s: cannot write: %s", lpath, at >= 0 && (uint64_t)at != o->len ? "a length is wrong" : strerror(e));
  }
  return atomic_commit(&af);
}

br_status counts_level_write(br_counts *c, const char *path, uint64_t covers, uint64_t sum) {
  char *lpath = level_path(path);
  if (!lpath) return br_error_set(BR_ERR_NOMEM, "counts: out of memory");
  level_out o = {0};
  const cmap *adds[1] = {&c->total};
  br_status s = counts_level_check(c, 0); /* (the merge checks the keys) */
  if (s == BR_OK) s = counts_merge(&o.m, &c->mid, adds, 1, c->labels->n, lpath);
  if (s == BR_OK && o.m.cap > UINT32_MAX) goto done; /* too large for a rank index: the records stay as they are */
  if (s == BR_OK) s = counts_rank_build(c, &o.m, &o.r);
  o.id = counts_new_id();
  if (s == BR_OK && !make_head(&o.head, c, o.id, covers, sum, o.m.cap, o.r.n))
    s = br_error_set(BR_ERR_NOMEM, "counts: out of memory for a level file");
  if (s != BR_OK) goto done;
  memcpy(&o.len, o.head.p + 48, 8);
  o.tail[0] = o.id;
  o.tail[1] = arrays_sum(&o.m, o.r.starts, o.r.slots, o.r.items, o.r.nitems);
  int written = 0;
  s = write_spare(path, lpath, &o, &written);
  if (s == BR_OK && !written) s = write_fresh(lpath, &o);
  if (s == BR_OK) {
    c->saved.level_id = o.id;
    c->saved.level_bytes = o.len;
    c->saved.level_covers = covers;
  }
done:
  out_free(&o);
  br_free(lpath);
  return s;
}

/* ---- loading ---- */

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
  struct stat st, named;
  unsigned char h[FIXED];
  int fd = -1;
  /* opened and share-locked (so no merge writes it while it is mapped),
   * until the file locked is the one of that name: a merge may swap the
   * names between the open and the lock */
  for (int tries = 0; tries < 16; tries++) {
    fd = open(lpath, O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;
    if (flock(fd, LOCK_SH) != 0 && errno != EINTR) break; /* no locks here: merges cannot lock the spare either */
    if (fstat(fd, &st) == 0 && stat(lpath, &named) == 0 && st.st_ino == named.st_ino && st.st_dev == named.st_dev) break;
    close(fd);
    fd = -1;
  }
  if (fd < 0) {
    if (errno != ENOENT) s = br_error_set(BR_ERR_IO, "%s: cannot open: %s", lpath, strerror(errno));
    goto done;
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    s = br_error_set(BR_ERR_IO, "%s: cannot read: not a regular file", lpath);
    goto done;
  }
  size = (size_t)st.st_size;
  /* cut short inside its header, or zero-filled at its end: the records load */
  unsigned char last = 0;
  if (size < FIXED || pread(fd, h, FIXED, 0) != (ssize_t)FIXED || pread(fd, &last, 1, (off_t)size - 1) != 1 || !last) goto done;
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
  uint64_t tid;
  memcpy(&tid, tail + 8, 8);
  if (memcmp(tail, TMAGIC, 8) != 0 || tid != f[1] || memcmp(tail + 24, EMAGIC, 8) != 0) {
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
  c->mid_fd = fd; /* open while mapped: its lock */
  fd = -1;
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
