/* A count store's delta file, "<store>.delta": what each save added since
 * the store file was last written whole, so a daily save writes the day,
 * not the history (counts.h). Layout, host byte order as the store:
 *
 *   "BRCDELTA" u32 version u32 0x01020304 u64 id (the store file's)
 *   records, each "BRCDREC1" u64 length u64 checksum, then its body:
 *     i64 first new label, i64 new labels (u32 length + bytes each), zeros to 8
 *     horizon, now, tref, nbaskets (the values after the save)
 *     u64 n, n x (key, count added): the total's changes
 *     i64 days, each: day, baskets added, u64 n, n x (key, count added)
 *
 * A save appends one record and syncs. Killed midway, it leaves a record
 * cut short (or, on some filesystems, zero-filled) at the end: loading
 * ignores exactly that, and the next save writes over it, so the previous
 * state is what loads. Any other damage is an error naming the file. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/memory.h"
#include "io_atomic_file.h"
#include "counts_internal.h"

#define DMAGIC "BRCDELTA"
#define RMAGIC "BRCDREC1"
#define DVERSION 1u
#define ORDER 0x01020304u
#define HEAD 24u /* file header, and record header */
/* Below this size a delta file is never compacted: small stores would
 * otherwise be rewritten on every save. */
#define COMPACT_MIN ((uint64_t)1 << 20)

/* ---- a record in memory ---- */

typedef struct buf {
  unsigned char *p;
  size_t n, cap;
  int oom;
} buf;

static void put(buf *b, const void *src, size_t n) {
  if (b->oom) return;
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + n) cap *= 2;
    unsigned char *p = br_realloc("counts", b->p, 1, cap);
    if (!p) {
      b->oom = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, src, n);
  b->n += n;
}

static void put_u64(buf *b, uint64_t v) { put(b, &v, 8); }
static void put_f64(buf *b, double v) { put(b, &v, 8); }

static void pad(buf *b) {
  static const char zeros[8];
  if (b->n % 8) put(b, zeros, 8 - b->n % 8);
}

/* The entries of m as (key, count) pairs, their number first. */
static void put_entries(buf *b, const cmap *m) {
  put_u64(b, m->n);
  for (size_t i = 0; i < m->cap; i++)
    if (m->keys[i]) {
      put_u64(b, m->keys[i]);
      put_f64(b, m->vals[i]);
    }
}

/* A word-at-a-time mix: catches a zero-filled or torn body, not an attacker
 * (a forged record can only give wrong counts, which loading bounds). */
uint64_t counts_checksum(const unsigned char *p, size_t n) {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 29;
  }
  for (; i < n; i++) h = (h ^ p[i]) * 0xff51afd7ed558ccdull; /* a tail (the level's arrays; a record has none) */
  return h;
}

/* The changes since the last save, framed as a record. */
static void make_record(buf *b, const br_counts *c) {
  put(b, RMAGIC, 8);
  put_u64(b, 0); /* length and checksum, filled below */
  put_u64(b, 0);
  put_u64(b, (uint64_t)c->saved.labels);
  put_u64(b, (uint64_t)(c->labels->n - c->saved.labels));
  for (int32_t i = (int32_t)c->saved.labels; i < c->labels->n; i++) {
    size_t len;
    const char *l = strdict_get(c->labels, i, &len);
    uint32_t n32 = (uint32_t)len;
    put(b, &n32, 4);
    put(b, l, len);
  }
  pad(b);
  put(b, &c->horizon, 8);
  put(b, &c->now, 8);
  put(b, &c->tref, 8);
  put_f64(b, c->nbaskets);
  put_entries(b, c->sess_is_total ? &c->total : &c->sess);
  int64_t nd = 0;
  for (int d = 0; d < c->ndays; d++)
    nd += c->days[d].fresh || c->days[d].sess.n || c->days[d].sess_nb != 0;
  put(b, &nd, 8);
  for (int d = 0; d < c->ndays; d++) {
    const counts_day *cd = &c->days[d];
    if (!(cd->fresh || cd->sess.n || cd->sess_nb != 0)) continue;
    put(b, &cd->day, 8);
    put_f64(b, cd->fresh ? cd->nbaskets : cd->sess_nb);
    put_entries(b, cd->fresh ? &cd->map : &cd->sess);
  }
  if (b->oom) return;
  uint64_t len = b->n - HEAD, sum = counts_checksum(b->p + HEAD, len);
  memcpy(b->p + 8, &len, 8);
  memcpy(b->p + 16, &sum, 8);
}

char *counts_path_with(const char *path, const char *suffix) {
  size_t n = strlen(path), k = strlen(suffix);
  char *d = br_alloc("counts", 1, n + k + 1);
  if (d) {
    memcpy(d, path, n);
    memcpy(d + n, suffix, k + 1);
  }
  return d;
}

/* Whether the file at path starts with magic, version, order and id (and,
 * when size is not 0, is that long). */
static int file_is(const char *path, const char *magic, uint32_t version, uint64_t id, uint64_t size) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  unsigned char h[HEAD];
  struct stat st;
  int ok = fread(h, 1, HEAD, f) == HEAD && fstat(fileno(f), &st) == 0 && (!size || (uint64_t)st.st_size == size);
  fclose(f);
  uint32_t v[2];
  uint64_t got;
  memcpy(v, h + 8, 8);
  memcpy(&got, h + 16, 8);
  return ok && memcmp(h, magic, 8) == 0 && v[0] == version && v[1] == ORDER && got == id;
}

/* ---- saving ---- */

/* A new delta file holding one record, written whole and renamed in. */
static br_status write_new(const char *dpath, uint64_t id, const buf *rec) {
  atomic_file af;
  br_status s = atomic_open(&af, dpath, "wb");
  if (s != BR_OK) return s;
  uint32_t v[2] = {DVERSION, ORDER};
  fwrite(DMAGIC, 1, 8, af.fp);
  fwrite(v, 1, 8, af.fp);
  fwrite(&id, 1, 8, af.fp);
  fwrite(rec->p, 1, rec->n, af.fp);
  if (ferror(af.fp)) {
    int e = errno;
    atomic_abort(&af);
    return br_error_set(BR_ERR_IO, "%s: cannot write: %s", dpath, strerror(e));
  }
  return atomic_commit(&af);
}

/* The record appended at `at` (a cut record from a killed save is
 * overwritten) and synced. A failure leaves at most a cut record. */
static br_status append_at(const char *dpath, uint64_t at, uint64_t size, const buf *rec) {
  int fd = open(dpath, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return br_error_set(BR_ERR_IO, "%s: cannot open: %s", dpath, strerror(errno));
  int ok = size <= at || ftruncate(fd, (off_t)at) == 0;
  for (size_t done = 0; ok && done < rec->n;) {
    ssize_t w = pwrite(fd, rec->p + done, rec->n - done, (off_t)(at + done));
    if (w < 0 && errno == EINTR) continue;
    ok = w > 0;
    if (ok) done += (size_t)w;
  }
  ok = ok && fsync(fd) == 0;
  int e = errno;
  close(fd);
  return ok ? BR_OK : br_error_set(BR_ERR_IO, "%s: cannot write: %s", dpath, strerror(e));
}

/* Whether the records since the level are due to be merged into it, and,
 * when they are, whether the merged level would pass its share of the base
 * (then the store is written whole instead). */
static int merge_due(const br_counts *c, uint64_t end) {
  const counts_saved *sv = &c->saved;
  uint64_t since = end - (sv->level_covers ? sv->level_covers : HEAD);
  return (double)since >= COUNTS_LEVEL_MERGE_FRACTION * (double)sv->level_bytes;
}

static int level_too_big(const br_counts *c) {
  size_t n = c->mid.n + c->total.n, cap = 64; /* at most */
  while (n * 4 > cap * 3) cap *= 2;
  double bytes = (double)cap * 16 + (double)n * 4 + (double)c->labels->n * 8;
  return bytes > COUNTS_LEVEL_FRACTION * (double)c->saved.base_bytes && bytes > (double)COMPACT_MIN;
}

br_status counts_delta_save(br_counts *c, const char *path, int *done) {
  *done = 0;
  const counts_saved *sv = &c->saved;
  if (!c->track || c->need_full || !sv->path || !sv->id || strcmp(sv->path, path) != 0) return BR_OK;
  /* the store file must still be the one the deltas add to */
  if (!file_is(path, "BRCOUNTS", 3u, sv->id, sv->base_bytes)) return BR_OK;
  /* with a level, the delta file keeps every record since the store file
   * (a damaged level is then only slower); without, it is compacted at an
   * eighth of the store file */
  int level = counts_level_ok(c);
  if (level && !counts_level_is(path, sv->level_id, sv->level_bytes)) return BR_OK; /* another writer's */
  char *dpath = counts_path_with(path, COUNTS_DELTA_SUFFIX);
  if (!dpath) return br_error_set(BR_ERR_NOMEM, "counts: out of memory");
  buf rec = {0};
  make_record(&rec, c);
  br_status s = rec.oom ? br_error_set(BR_ERR_NOMEM, "counts: out of memory for a delta record") : BR_OK;
  uint64_t at = sv->delta_end ? sv->delta_end : HEAD, end = at + rec.n;
  double fraction = level ? COUNTS_DELTA_MAX_FRACTION : COUNTS_COMPACT_FRACTION;
  uint64_t limit = (uint64_t)((double)sv->base_bytes * fraction);
  int merge = level && merge_due(c, end);
  if (s == BR_OK && end <= (limit > COMPACT_MIN ? limit : COMPACT_MIN) && !(merge && level_too_big(c))) {
    int ours = file_is(dpath, DMAGIC, DVERSION, sv->id, 0);
    struct stat st;
    if (!sv->delta_end) {
      /* a delta file of this id unknown to us is another writer's: save whole */
      if (!ours) {
        s = write_new(dpath, sv->id, &rec);
        *done = s == BR_OK;
      }
    } else if (ours && stat(dpath, &st) == 0 && (uint64_t)st.st_size == sv->delta_size) {
      s = append_at(dpath, at, sv->delta_size, &rec);
      *done = s == BR_OK;
    }
  }
  uint64_t sum = 0;
  if (*done) memcpy(&sum, rec.p + 16, 8);
  br_free(rec.p);
  br_free(dpath);
  if (*done) {
    c->saved.delta_end = c->saved.delta_size = end;
    counts_mark_saved(c);
    /* the record is on disk: the save is done whatever the merge does */
    if (merge) s = counts_level_write(c, path, end, sum);
  }
  return s;
}

/* ---- loading ---- */

typedef struct reader {
  const unsigned char *p;
  size_t n, at;
  int bad;
} reader;

static int get(reader *r, void *out, size_t n) {
  if (r->bad || n > r->n - r->at) {
    r->bad = 1;
    return 0;
  }
  memcpy(out, r->p + r->at, n);
  r->at += n;
  return 1;
}

/* Adds (key, count) pairs to m; a key of no known item or a count that is
 * no number is damage. Counts that cancel are removed. */
static int get_entries(reader *r, cmap *m, int64_t nlabels, br_status *s) {
  uint64_t n;
  if (!get(r, &n, 8) || n > (r->n - r->at) / 16) return 0;
  if ((*s = cmap_reserve(m, n)) != BR_OK) return 0; /* they come in the writer's slot order */
  for (uint64_t i = 0; i < n; i++) {
    uint64_t key;
    double v;
    get(r, &key, 8);
    get(r, &v, 8);
    if (r->bad || !counts_key_ok(key, nlabels) || !isfinite(v)) return 0;
    if ((*s = cmap_add(m, key, v)) != BR_OK) return 0;
    if (cmap_get(m, key) == 0) cmap_del(m, key);
  }
  return 1;
}

/* Applies one record's body; 0 when it is damaged (or memory ran out: *s). */
static int apply(br_counts *c, reader *r, br_status *s) {
  int64_t first, nnew;
  if (!get(r, &first, 8) || !get(r, &nnew, 8) || first != c->labels->n || nnew < 0 ||
      (uint64_t)nnew > (r->n - r->at) / 4)
    return 0;
  for (int64_t i = 0; i < nnew; i++) {
    uint32_t len;
    if (!get(r, &len, 4) || len > r->n - r->at) return 0;
    int32_t id = strdict_intern(c->labels, (const char *)r->p + r->at, len);
    if (id < 0) return *s = br_error_set(BR_ERR_NOMEM, "counts: out of memory"), 0;
    if (id != first + i || id > COUNTS_MAX_ITEMS) return 0; /* a label repeats */
    r->at += len;
  }
  r->at += (8 - r->at % 8) % 8;
  int64_t horizon, now, tref, nd;
  double nb;
  if (!get(r, &horizon, 8) || !get(r, &now, 8) || !get(r, &tref, 8) || !get(r, &nb, 8) || !isfinite(nb)) return 0;
  if (!get_entries(r, &c->total, c->labels->n, s)) return 0;
  if (!get(r, &nd, 8) || nd < 0 || (uint64_t)nd > (r->n - r->at) / 24) return 0;
  for (int64_t k = 0; k < nd; k++) {
    int64_t day;
    double dnb;
    if (!get(r, &day, 8) || !get(r, &dnb, 8) || !isfinite(dnb)) return 0;
    counts_day *d = counts_day_of(c, day);
    if (!d) return *s = br_error_set(BR_ERR_NOMEM, "counts: out of memory"), 0;
    d->nbaskets += dnb;
    if (!get_entries(r, &d->map, c->labels->n, s)) return 0;
  }
  if (r->at != r->n) return 0;
  c->horizon = horizon;
  c->now = now;
  c->tref = tref;
  c->nbaskets = nb;
  /* the days this save's expiries dropped (their counts are already out of
   * the total's changes above) */
  int drop = 0;
  while (drop < c->ndays && c->days[drop].day < horizon) cmap_free(&c->days[drop++].map);
  if (drop) memmove(c->days, c->days + drop, (size_t)(c->ndays - drop) * sizeof *c->days);
  c->ndays -= drop;
  return 1;
}

static int all_zero(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return 0;
  return 1;
}

/* Whether the file's bytes from `at` on are all zero (or there are none). */
static int zero_from(FILE *f, uint64_t at, size_t size) {
  unsigned char b[4096];
  if (fseeko(f, (off_t)at, SEEK_SET) != 0) return 0;
  for (size_t left = at < size ? size - at : 0; left > 0;) {
    size_t n = left < sizeof b ? left : sizeof b;
    if (fread(b, 1, n, f) != n || !all_zero(b, n)) return 0;
    left -= n;
  }
  return 1;
}

/* Steps over the records a level holds, reading their headers only: the
 * one ending at `covers` must have checksum `sum`. 1: so; -1: the file is
 * cut short (or zero-filled) before `covers`, so it holds nothing after the
 * level; 0: it is not the file the level was merged from. */
static int skip_covered(FILE *f, size_t size, uint64_t covers, uint64_t sum) {
  uint64_t at = HEAD;
  while (at < covers) {
    unsigned char h[HEAD];
    uint64_t len, got;
    if (size < at + HEAD || fseeko(f, (off_t)at, SEEK_SET) != 0 || fread(h, 1, HEAD, f) != HEAD)
      return zero_from(f, at, size) ? -1 : 0;
    if (memcmp(h, RMAGIC, 8) != 0) return zero_from(f, at, size) ? -1 : 0;
    memcpy(&len, h + 8, 8);
    memcpy(&got, h + 16, 8);
    if (covers - at < HEAD || len % 8 || len > covers - at - HEAD) return 0;
    if (at + HEAD + len > size) return -1;
    at += HEAD + len;
    if (at == covers && got != sum) return 0;
  }
  return at == covers ? 1 : 0;
}

br_status counts_delta_load(br_counts *c, const char *path, uint64_t covers, uint64_t csum) {
  if (!c->saved.id) return BR_OK;
  char *dpath = counts_path_with(path, COUNTS_DELTA_SUFFIX);
  if (!dpath) return br_error_set(BR_ERR_NOMEM, "counts: out of memory");
  br_status s = BR_OK;
  unsigned char *data = NULL;
  FILE *f = fopen(dpath, "rb");
  struct stat st;
  if (!f) {
    if (errno != ENOENT) s = br_error_set(BR_ERR_IO, "%s: cannot open: %s", dpath, strerror(errno));
    else if (covers) s = br_error_set(BR_ERR_PARSE, "%s%s: holds records of a delta file that is gone", path, COUNTS_LEVEL_SUFFIX);
    goto done;
  }
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    s = br_error_set(BR_ERR_IO, "%s: cannot read: not a regular file", dpath);
    goto done;
  }
  size_t size = (size_t)st.st_size;
  unsigned char head[HEAD];
  if (size < HEAD || fread(head, 1, HEAD, f) != HEAD || memcmp(head, DMAGIC, 8) != 0) {
    s = br_error_set(BR_ERR_PARSE, "%s: not a counts store's delta file (no BRCDELTA header)", dpath);
    goto done;
  }
  uint32_t v[2];
  uint64_t id;
  memcpy(v, head + 8, 8);
  memcpy(&id, head + 16, 8);
  if (v[0] != DVERSION || v[1] != ORDER) {
    s = br_error_set(BR_ERR_PARSE, "%s: a delta file of another version or byte order", dpath);
    goto done;
  }
  if (id != c->saved.id) { /* an older store's (a whole save was killed before removing it) */
    if (covers) s = br_error_set(BR_ERR_PARSE, "%s%s: holds records of a delta file that is gone", path, COUNTS_LEVEL_SUFFIX);
    goto done;
  }
  size_t start = HEAD; /* the file's first byte read into data */
  if (covers) {
    int k = skip_covered(f, size, covers, csum);
    if (k == 0) {
      s = br_error_set(BR_ERR_PARSE, "%s%s: does not fit %s (its records up to byte %llu differ)", path,
                       COUNTS_LEVEL_SUFFIX, dpath, (unsigned long long)covers);
      goto done;
    }
    if (k < 0) { /* the level holds more than the delta file: its state loads, and the next save is whole */
      c->saved.delta_end = 0;
      c->saved.delta_size = size;
      goto done;
    }
    start = (size_t)covers;
  }
  data = br_alloc("counts", size - start, 1);
  if (!data) {
    s = br_error_set(BR_ERR_NOMEM, "counts: out of memory");
    goto done;
  }
  if (fseeko(f, (off_t)start, SEEK_SET) != 0 || fread(data, 1, size - start, f) != size - start) {
    s = br_error_set(BR_ERR_IO, "%s: cannot read: %s", dpath, ferror(f) ? strerror(errno) : "the file shrank");
    goto done;
  }
  size_t at = start;
  while (at < size) {
    const unsigned char *p = data + (at - start);
    size_t left = size - at;
    uint64_t len, sum;
    if (left < HEAD) break; /* cut short */
    memcpy(&len, p + 8, 8);
    memcpy(&sum, p + 16, 8);
    if (memcmp(p, RMAGIC, 8) != 0) {
      if (all_zero(p, left)) break; /* zero-filled by a killed save */
      s = br_error_set(BR_ERR_PARSE, "%s: damaged delta file: no record at byte %zu", dpath, at);
      goto done;
    }
    if (len % 8 || len > left - HEAD) break; /* cut short */
    if (counts_checksum(p + HEAD, len) != sum) {
      if (at + HEAD + len == size) break; /* the last record, not all written */
      s = br_error_set(BR_ERR_PARSE, "%s: damaged delta file: the record at byte %zu fails its checksum", dpath, at);
      goto done;
    }
    reader r = {p + HEAD, len, 0, 0};
    if (!apply(c, &r, &s)) {
      if (s == BR_OK)
        s = br_error_set(BR_ERR_PARSE, "%s: damaged delta file: the record at byte %zu does not fit the store", dpath, at);
      goto done;
    }
    at += HEAD + len;
  }
  c->saved.delta_end = at;
  c->saved.delta_size = size;
done:
  if (f) fclose(f);
  br_free(data);
  br_free(dpath);
  return s;
}
