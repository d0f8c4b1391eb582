/* br_dist_range: which bytes of a CSV file each rank reads. Each rank
 * computes every boundary itself from the file (no messages), so the
 * ranges tile the data exactly; a boundary moves to a line start and then
 * past the lines that continue the basket before it. Only the few lines
 * around each boundary are touched. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/memory.h"
#include "dist_internal.h"

void br_dist_split_init(br_dist_split *s) {
  memset(s, 0, sizeof *s);
  s->sep = ',';
  s->quote = '"';
}

typedef struct text {
  const char *p;
  size_t n; /* the whole file */
} text;

/* The start of the line after the one holding byte at (n when none). */
static size_t next_line(const text *t, size_t at) {
  const char *nl = at < t->n ? memchr(t->p + at, '\n', t->n - at) : NULL;
  return nl ? (size_t)(nl - t->p) + 1 : t->n;
}

/* Field `col` of the line starting at `at`: its bytes without the quotes
 * around it and without a trailing \r. A short line gives an empty field. */
static void line_field(const text *t, size_t at, int col, const br_dist_split *s, const char **f, size_t *len) {
  size_t end = next_line(t, at);
  if (end > at && t->p[end - 1] == '\n') end--;
  if (end > at && t->p[end - 1] == '\r') end--;
  size_t i = at;
  for (int c = 0; c < col && i < end; c++) { /* skip col fields */
    int quoted = 0;
    for (; i < end && (quoted || t->p[i] != s->sep); i++)
      if (t->p[i] == s->quote) quoted = !quoted;
    if (i < end) i++;
  }
  size_t b = i;
  int quoted = 0;
  for (; i < end && (quoted || t->p[i] != s->sep); i++)
    if (t->p[i] == s->quote) quoted = !quoted;
  size_t e = i;
  if (e - b >= 2 && t->p[b] == s->quote && t->p[e - 1] == s->quote) b++, e--;
  *f = t->p + b;
  *len = e - b;
}

/* The index of header column `name`, or -1. */
static int header_column(const text *t, size_t data, const char *name, const br_dist_split *s) {
  size_t want = strlen(name);
  size_t bom = t->n >= 3 && memcmp(t->p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
  int ncols = 1;
  for (size_t i = bom; i < data; i++) ncols += t->p[i] == s->sep;
  text head = {t->p + bom, data - bom};
  for (int c = 0; c < ncols; c++) {
    const char *f;
    size_t len;
    line_field(&head, 0, c, s, &f, &len);
    if (len == want && memcmp(f, name, len) == 0) return c;
  }
  return -1;
}

/* Boundary k of size: the first line start at or after an even share,
 * moved past lines whose key equals the key of the line before it. */
static size_t boundary(const text *t, size_t data, int key, const br_dist_split *s, int k, int size) {
  if (k == 0) return data;
  if (k == size) return t->n;
  size_t at = data + (size_t)((unsigned __int128)(t->n - data) * (unsigned)k / (unsigned)size);
  if (at > data && t->p[at - 1] != '\n') at = next_line(t, at);
  if (key < 0 || at <= data || at >= t->n) return at;
  size_t prev = at - 1; /* the line before: back from its '\n' to its start */
  while (prev > data && t->p[prev - 1] != '\n') prev--;
  const char *pk, *k2;
  size_t pl, l2;
  line_field(t, prev, key, s, &pk, &pl);
  while (at < t->n) {
    line_field(t, at, key, s, &k2, &l2);
    if (l2 != pl || memcmp(k2, pk, pl) != 0) break;
    at = next_line(t, at);
  }
  return at;
}

br_status br_dist_range(int64_t *begin, int64_t *end, const char *path, const br_dist_split *s, int rank,
                        int size) {
  if (size < 1 || rank < 0 || rank >= size)
    return br_error_set(BR_ERR_ARG, "dist range: rank %d of %d is not a rank", rank, size);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return br_error_set(BR_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int e = errno;
    close(fd);
    return br_error_set(BR_ERR_IO, "%s: cannot read: %s", path, S_ISREG(st.st_mode) ? strerror(e) : "not a regular file");
  }
  text t = {NULL, (size_t)st.st_size};
  void *m = t.n ? mmap(NULL, t.n, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
  close(fd);
  if (m == MAP_FAILED) return br_error_set(BR_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
  t.p = m;
  br_status st_ = BR_OK;
  if (t.n >= 2 && (unsigned char)t.p[0] == 0x1f && (unsigned char)t.p[1] == 0x8b)
    st_ = br_error_set(BR_ERR_ARG, "%s: a compressed file cannot be split between ranks (decompress it first)", path);
  size_t data = next_line(&t, 0);
  int key = -1;
  if (st_ == BR_OK && s->key && (key = header_column(&t, data, s->key, s)) < 0)
    st_ = br_error_set(BR_ERR_ARG, "%s: no column '%s' in the header (the basket key to split at)", path, s->key);
  if (st_ == BR_OK) {
    *begin = (int64_t)boundary(&t, data, key, s, rank, size);
    *end = (int64_t)boundary(&t, data, key, s, rank + 1, size);
  }
  if (m) munmap(m, t.n);
  return st_;
}
