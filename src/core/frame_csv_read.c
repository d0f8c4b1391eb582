/* Reading CSV into a frame, on libcsv's streaming parser: the parse half
 * (csv_convert.c turns the raw text into typed columns).
 *
 * The input is read whole (a .gz through zlib). libcsv is fed one physical
 * line at a time, so every row knows the line it starts on and errors can
 * name it; fields of the kept columns are stored as raw NUL-terminated text.
 * With several cores the data after the header is split at line ends into
 * one chunk per thread, each parsed by its own libcsv parser. A split is
 * only trusted when the chunk before it ended outside any row (a quoted
 * newline at the split would leave it inside one); on that or any error the
 * sequential parse runs instead, so its messages are the ones users see. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bundle/memory.h"
#include "memory_internal.h"
#include "frame_csv_internal.h"
#include "deadline_internal.h"

#define CHUNK (1 << 20)
#define MAX_INFLATE_STEP ((size_t)256 << 20)
#define DEFAULT_MAX_FIELD ((size_t)16 << 20)
/* Below this much data a second thread costs more than it saves. */
#define PARALLEL_MIN_BYTES ((size_t)4 << 20)
#define MAX_THREADS 8
/* Wider files skip the fast path (its fields live on the stack). */
#define FAST_MAX_FIELDS 256
#define ROW_NOT_BEGUN 0 /* libcsv's pstate values (libcsv.c) */
#define FIELD_BEGUN 2

int csv_dedup_disabled;

static int fail(reader *r, br_status s) {
  if (r->err == BR_OK) r->err = s;
  return 0;
}

/* Maps in the new part of a grown raw column with one call: filled a byte
 * at a time, it was a page fault per 4 KiB, a fifth of the parse's time
 * on a 53 MB file (page faults are dear in a virtual machine). */
void csv_prefault(void *p, size_t n) { mem_populate(p, n, 1); }

/* rawcol_push copies a field of up to SHORT bytes as one fixed-size block
 * (two vector moves, no call into memcpy) when SHORT bytes can be read
 * from its start (r->readable_end: set by the fast path, whose fields lie
 * in the input) and written at the column's end (SLACK spare bytes kept);
 * the bytes past the field are overwritten by the next one. Most fields
 * are short: the memcpy call per field was a fifth of the parse. */
#define SHORT 32
#define SLACK (11 + SHORT) /* a varint of a size_t is at most 10 bytes, a NUL */
/* Whether s equals the column's previous text t (both len bytes). Short
 * ones compare as four 8-byte words masked to len (a memcmp call per
 * field was 7% of the read): SHORT bytes can be read from s (as below)
 * and from t (the column keeps SLACK spare bytes past its end). */
static inline int same_text(const reader *r, const char *s, const char *t, size_t len) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (len <= SHORT && r->readable_end && (size_t)(r->readable_end - s) >= SHORT) {
    uint64_t diff = 0;
    for (size_t i = 0; i < SHORT && i < len; i += 8) {
      uint64_t a, b;
      memcpy(&a, s + i, 8);
      memcpy(&b, t + i, 8);
      uint64_t d = a ^ b;
      if (len - i < 8) d &= ((uint64_t)1 << ((len - i) * 8)) - 1; /* the bytes past the text */
      diff |= d;
    }
    return diff == 0;
  }
#else
  (void)r;
#endif
  return memcmp(s, t, len) == 0;
}

static int rawcol_push(reader *r, rawcol *c, const char *s, size_t len) {
  if (c->len + len + SLACK > c->cap) {
    size_t cap = (c->len + len + SLACK) * 2;
    /* Small first: 64 KiB per column was 860 MB for a 200,000-column file. */
    if (cap < 256) cap = 256;
    char *buf = br_realloc("read_csv", c->buf, cap, 1);
    if (!buf) return fail(r, br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path));
    c->buf = buf;
    c->cap = cap;
    csv_prefault(buf + c->len, cap - c->len);
  }
  c->last = c->len;
  unsigned char *p = (unsigned char *)c->buf + c->len;
  if (r->dedup && len == c->prev_len && same_text(r, s, c->buf + c->prev_at, len)) {
    *p = 0; /* a repeat of the field before */
    c->len++;
    c->n++;
    return 1;
  }
  size_t v = len + 1;
  while (v >= 0x80) {
    *p++ = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  *p++ = (unsigned char)v;
  if (len <= SHORT && r->readable_end && (size_t)(r->readable_end - s) >= SHORT) memcpy(p, s, SHORT);
  else if (len) memcpy(p, s, len);
  p[len] = '\0';
  c->prev_at = (size_t)((char *)p - c->buf);
  c->prev_len = len;
  c->len = c->prev_at + len + 1;
  c->n++;
  return 1;
}

/* After the first SIZE_AFTER rows of a large input, grows every raw column
 * at once to what the rest of the input will need at the same bytes per
 * row (and a tenth more): doubling as it went, realloc copied each column
 * again and again (a seventh of the parse). A bad guess costs nothing but
 * the usual growth later. */
#define SIZE_AFTER 1024
static void size_columns(reader *r, size_t done, size_t total) {
  r->sized = 1;
  if (done == 0 || total < ((size_t)1 << 20)) return;
  for (int k = 0; k < r->nkeep; k++) {
    rawcol *c = &r->cols[k];
    double want = (double)c->len * ((double)total / (double)done) * 1.1 + 4096;
    if (want <= (double)c->cap || want > (double)((size_t)1 << 40)) continue;
    char *buf = br_realloc("read_csv", c->buf, (size_t)want, 1);
    if (!buf) return; /* no room for the guess: grow as it goes */
    c->buf = buf;
    c->cap = (size_t)want;
    csv_prefault(buf + c->len, c->cap - c->len);
  }
  /* The rows' line numbers too (8 bytes a row: doubling, they were copied
   * again and again and faulted in a page at a time). */
  double rows = (double)r->rows * ((double)total / (double)done) * 1.1 + 1024;
  if (rows > (double)r->cap_rows && rows < (double)((int64_t)1 << 40)) {
    int64_t *lines = br_realloc("read_csv", r->row_lines, (size_t)rows, sizeof *lines);
    if (!lines) return;
    r->row_lines = lines;
    r->cap_rows = (int64_t)rows;
    csv_prefault(lines + r->rows, (size_t)(r->cap_rows - r->rows) * sizeof *lines);
  }
}

/* ---- libcsv callbacks ---- */

static void on_field(void *s, size_t len, void *data) {
  reader *r = data;
  if (r->err != BR_OK || r->done) return;
  if (!s) len = 0;
  if (r->field == 0) r->row_line = r->line;
  if (len > r->max_field) {
    fail(r, br_error_set(BR_ERR_PARSE, "%s:%lld: field %d is %zu bytes, longer than the limit of %zu (max_field)",
                         r->path, (long long)r->line, r->field + 1, len, r->max_field));
    return;
  }
  if (!r->header_done) {
    if (r->nnames == r->cap_names) {
      int cap = r->cap_names ? r->cap_names * 2 : 16;
      char **names = br_realloc("read_csv", r->names, (size_t)cap, sizeof *names);
      if (!names) {
        fail(r, br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path));
        return;
      }
      r->names = names;
      r->cap_names = cap;
    }
    /* Names are C strings: a NUL in one is kept as the two characters \0
     * (cut there, "a\0x" and "a\0y" were one name, "a") */
    size_t nuls = 0;
    for (size_t i = 0; i < len; i++) nuls += ((const char *)s)[i] == '\0';
    char *name = br_alloc("read_csv", len + nuls + 1, 1);
    if (!name) {
      fail(r, br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path));
      return;
    }
    size_t at = 0;
    for (size_t i = 0; i < len; i++) {
      char ch = ((const char *)s)[i];
      if (ch == '\0') name[at++] = '\\';
      name[at++] = ch ? ch : '0';
    }
    name[at] = '\0';
    r->names[r->nnames++] = name;
  } else if (r->field < r->nnames && r->keep[r->field] >= 0) {
    rawcol_push(r, &r->cols[r->keep[r->field]], s, len);
  }
  r->field++;
}

/* The header's names joined for messages ("a, b, c"), cut to fit buf. */
static const char *header_list(const reader *r, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < r->nnames && used + 8 < size; i++)
    used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", r->names[i]);
  if (used >= size) memcpy(buf + size - 4, "...", 4);
  return buf;
}

/* Fails on the first name that repeats an earlier one, in linear time
 * (frame_first_repeat): a pairwise check took 65 s on a 200,000-column
 * header. */
static int unique_names(reader *r) {
  int first;
  int i = frame_first_repeat((const char *const *)r->names, r->nnames, &first);
  if (i == -2) return fail(r, br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path));
  if (i >= 0)
    return fail(r, br_error_set(BR_ERR_PARSE, "%s:%lld: column name '%s' appears twice (columns %d and %d)", r->path,
                                (long long)r->row_line, r->names[i], first + 1, i + 1));
  return 1;
}

/* Sets up the kept columns once the header is known. */
static void finish_header(reader *r) {
  const br_csv_options *o = r->o;
  /* A UTF-8 byte order mark before the first name is not part of it. */
  if (r->nnames > 0 && strncmp(r->names[0], "\xEF\xBB\xBF", 3) == 0)
    memmove(r->names[0], r->names[0] + 3, strlen(r->names[0]) - 2);
  for (int i = 0; i < r->nnames; i++) {
    if (r->names[i][0] == '\0') { /* an unnamed column (e.g. an exported index) */
      char *name = br_alloc("read_csv", 24, 1);
      if (!name) {
        fail(r, br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path));
        return;
      }
      snprintf(name, 24, "column%d", i + 1);
      br_free(r->names[i]);
      r->names[i] = name;
    }
  }
  if (!unique_names(r)) return;
  int want = o->columns ? o->ncolumns : r->nnames;
  r->keep = br_alloc("read_csv", (size_t)r->nnames, sizeof *r->keep);
  r->src = br_alloc("read_csv", (size_t)want, sizeof *r->src);
  r->cols = br_calloc("read_csv", (size_t)want, sizeof *r->cols);
  if (!r->keep || !r->src || !r->cols) {
    fail(r, br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path));
    return;
  }
  for (int k = 0; k < want; k++) r->cols[k].prev_len = SIZE_MAX;
  for (int i = 0; i < r->nnames; i++) r->keep[i] = o->columns ? -1 : i;
  if (!o->columns) {
    for (int i = 0; i < r->nnames; i++) r->src[i] = i;
  } else {
    for (int k = 0; k < o->ncolumns; k++) {
      int i = 0;
      while (i < r->nnames && strcmp(r->names[i], o->columns[k]) != 0) i++;
      if (i == r->nnames) {
        char have[480];
        fail(r, br_error_set(BR_ERR_ARG, "%s: columns: no column '%s' in the header (columns: %s)",
                             r->path, o->columns[k], header_list(r, have, sizeof have)));
        return;
      }
      if (r->keep[i] >= 0) {
        fail(r, br_error_set(BR_ERR_ARG, "%s: columns: '%s' is listed twice", r->path,
                             o->columns[k]));
        return;
      }
      r->keep[i] = k;
      r->src[k] = i;
    }
  }
  r->nkeep = want;
  for (int t = 0; t < o->ntypes; t++) {
    int found = 0;
    for (int k = 0; k < r->nkeep && !found; k++)
      found = strcmp(r->names[r->src[k]], o->type_columns[t]) == 0;
    if (!found) {
      char have[480];
      fail(r, br_error_set(BR_ERR_ARG, "%s: types: no column '%s'%s (columns: %s)", r->path,
                           o->type_columns[t], o->columns ? " among the loaded columns" : "",
                           header_list(r, have, sizeof have)));
      return;
    }
  }
  r->header_done = 1;
}

static void on_row(int c, void *data) {
  (void)c;
  reader *r = data;
  if (r->err != BR_OK || r->done) return;
  if (!r->header_done) {
    finish_header(r);
    r->field = 0;
    return;
  }
  if (r->field != r->nnames) {
    if (!r->o->skip_bad_rows) {
      fail(r, br_error_set(BR_ERR_PARSE, "%s:%lld: %d field%s, header has %d", r->path,
                           (long long)r->row_line, r->field, r->field == 1 ? "" : "s", r->nnames));
      return;
    }
    /* Drop what this row appended (one field at most per column), and say where. */
    for (int k = 0; k < r->nkeep; k++) {
      rawcol *col = &r->cols[k];
      if (col->n > r->rows) {
        col->len = col->last;
        col->n = r->rows;
        col->prev_len = SIZE_MAX; /* its text may be the one dropped */
      }
    }
    if (r->report) {
      if (r->report->skipped < BR_CSV_REPORT_LINES)
        r->report->skipped_lines[r->report->skipped] = r->row_line;
      r->report->skipped++;
    }
    r->field = 0;
    return;
  }
  if (r->rows == r->cap_rows) {
    int64_t cap = r->cap_rows ? r->cap_rows * 2 : 1024;
    int64_t *lines = br_realloc("read_csv", r->row_lines, (size_t)cap, sizeof *lines);
    if (!lines) {
      fail(r, br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path));
      return;
    }
    r->row_lines = lines;
    r->cap_rows = cap;
  }
  r->row_lines[r->rows++] = r->row_line;
  r->field = 0;
  if (r->o->limit >= 0 && r->rows >= r->o->limit) r->done = 1;
}

/* zlib's messages start with "path: "; the caller names the file itself. */
static const char *zmessage(gzFile gz, const char *path, int *zerr) {
  const char *msg = gzerror(gz, zerr);
  size_t pl = strlen(path);
  if (strncmp(msg, path, pl) == 0 && strncmp(msg + pl, ": ", 2) == 0) msg += pl + 2;
  return msg;
}

static int no_space(unsigned char c) {
  (void)c;
  return 0; /* keep every byte of unquoted fields; numbers trim themselves */
}

/* ---- feeding libcsv ---- */

/* Feeds buf[*pos..n) line by line; stops early on an error, at the row
 * limit, or (stop_after_header) once the header row is complete. A plain
 * line (csv_fast.c) goes straight to the callbacks; any other, and any
 * line while libcsv is inside a row, goes through libcsv. */
static void feed(reader *r, const char *buf, size_t n, size_t *pos) {
  size_t at = *pos, start = at;
  csv_span spans[FAST_MAX_FIELDS];
  char sep = (char)r->o->sep, quote = (char)r->o->quote;
  csv_splitter split = quote == '\n' || quote == '\r' ? NULL : csv_fast_splitter();
  int64_t fast = 0;
  while (at < n && r->err == BR_OK && !r->done) {
    size_t end;
    int k = -1;
    if (split && r->header_done && r->nnames < FAST_MAX_FIELDS && r->p.pstate == ROW_NOT_BEGUN)
      k = split(buf, n, at, sep, quote, spans, r->nnames + 1, &end);
    if (k >= 0) {
      r->readable_end = buf + n;
      for (int i = 0; i < k; i++) on_field((void *)spans[i].s, spans[i].len, r);
      r->readable_end = NULL; /* libcsv's fields live in its own buffer */
      if (k > 0) on_row('\n', r);
      r->line++;
      fast++;
    } else {
      const char *nl = memchr(buf + at, '\n', n - at);
      end = nl ? (size_t)(nl - buf) + 1 : n;
      if (csv_parse(&r->p, buf + at, end - at, on_field, on_row, r) != end - at) {
        fail(r, br_error_set(BR_ERR_PARSE, "%s:%lld: %s", r->path, (long long)r->line,
                             csv_strerror(csv_error(&r->p))));
        break;
      }
      /* libcsv buffers a field until it ends: bound that buffer. */
      if (r->p.entry_pos > r->max_field) {
        fail(r, br_error_set(BR_ERR_PARSE,
                             "%s:%lld: a field is longer than the limit of %zu bytes (max_field)",
                             r->path, (long long)r->line, r->max_field));
        break;
      }
      if (nl) r->line++;
    }
    int64_t len = (int64_t)(end - at);
    at = end;
    if (r->stop_after_header && r->header_done) break;
    if (!r->sized && r->rows >= SIZE_AFTER) size_columns(r, at - start, n - start);
    /* a check per ~256 KB of text */
    if (deadline_poll(&r->work, len + 16)) {
      fail(r, br_deadline_stop("read_csv", r->rows, "rows"));
      break;
    }
  }
  *pos = at;
  if (fast) __atomic_fetch_add(&csv_fast_lines, fast, __ATOMIC_RELAXED);
}

/* The end of the input: an open quote is an error; the last row without a
 * line break is flushed. */
static void finish(reader *r) {
  if (r->err != BR_OK || r->done) return;
  /* libcsv reports an open quote at the end only in its strict mode, which
   * would also reject lenient quoting elsewhere; its state says it plainly. */
  if (r->p.quoted && r->p.pstate == FIELD_BEGUN) {
    fail(r, br_error_set(BR_ERR_PARSE,
                         "%s:%lld: a quoted field on this row is not closed by the end of the file",
                         r->path, (long long)r->row_line));
    return;
  }
  if (csv_fini(&r->p, on_field, on_row, r) != 0 && r->err == BR_OK)
    fail(r, br_error_set(BR_ERR_PARSE, "%s:%lld: the file ends inside a quoted field",
                         r->path, (long long)r->line));
}

static int parser_init(reader *r) {
  if (csv_init(&r->p, CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) return 0;
  csv_set_delim(&r->p, (unsigned char)r->o->sep);
  csv_set_quote(&r->p, (unsigned char)r->o->quote);
  csv_set_space_func(&r->p, no_space);
  r->parser_ready = 1;
  return 1;
}

/* ---- reading the input ---- */

/* Grows the inflate buffer from *cap to at least len + CHUNK bytes, taking
 * what it adds from the memory budget (bundle/memory.h): a small .gz can
 * inflate to gigabytes, and doubling without a cap ran the process out of
 * memory instead of failing. Under a limit the buffer grows at most to
 * what the budget has left; br_realloc charges it. */
static br_status grow_inflate(const char *path, char **b, size_t *cap, size_t len, size_t hint) {
  size_t want = *cap ? *cap * 2 : hint + CHUNK;
  /* past 256 MiB, by 256 MiB: less address space promised and unused
   * (RLIMIT_AS counts it) when the budget is the kernel's alone */
  if (want - *cap > MAX_INFLATE_STEP) want = *cap + MAX_INFLATE_STEP;
  int64_t lim = br_mem_limit();
  if (lim > 0) {
    int64_t left = lim - br_mem_used();
    if (left < 0) left = 0;
    if (want - *cap > (uint64_t)left) want = *cap + (size_t)left;
    if (want < len + CHUNK) {
      br_mem_note_limit_hit();
      return br_error_set(BR_ERR_NOMEM,
                          "%s: cannot decompress: the data inflates past the memory limit of %.0f MB "
                          "(%.0f MB so far; raise --max-memory or sandbox.run's memory)",
                          path, (double)lim / 1048576.0, (double)len / 1048576.0);
    }
  }
  char *nb = br_realloc(path, *b, want + 1, 1);
  if (!nb)
    return br_error_set(BR_ERR_NOMEM, "%s: cannot decompress: out of memory at %.0f MB", path,
                        (double)want / 1048576.0);
  *b = nb;
  *cap = want;
  return BR_OK;
}

/* The whole input in memory. Plain files are mapped (no copy out of the page
 * cache; *mapped is set, release with munmap); gzip ones (by their magic
 * bytes) are inflated through zlib into a buffer from br_alloc, charged to
 * the memory budget until br_free. populate: map the whole file in at once
 * (MAP_POPULATE); a read of a byte range (one rank's share) leaves the rest
 * to page faults. */
static br_status load_input(const char *path, char **buf, size_t *n, int *mapped, int populate) {
  *mapped = 0;
  int fd = open(path, O_RDONLY);
  if (fd < 0) return br_error_set(BR_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  unsigned char magic[2] = {0, 0};
  if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    int e = S_ISDIR(st.st_mode) ? EISDIR : errno;
    close(fd);
    return br_error_set(BR_ERR_IO, "%s: cannot open: %s", path, strerror(e));
  }
  ssize_t got = pread(fd, magic, 2, 0);
  if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
    close(fd);
    gzFile gz = gzopen(path, "rb");
    if (!gz) return br_error_set(BR_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    gzbuffer(gz, CHUNK);
    size_t cap = 0, len = 0;
    char *b = NULL;
    br_status s = BR_OK;
    for (;;) {
      if (cap - len < CHUNK && (s = grow_inflate(path, &b, &cap, len, (size_t)st.st_size * 4)) != BR_OK)
        break;
      int k = gzread(gz, b + len, CHUNK);
      int zerr;
      const char *msg = zmessage(gz, path, &zerr);
      if (k < 0 || (k == 0 && zerr != Z_OK && zerr != Z_STREAM_END)) {
        /* A truncated stream ends with a "successful" short read: ask. */
        s = br_error_set(BR_ERR_IO, "%s: cannot decompress: %s", path,
                         zerr == Z_ERRNO ? strerror(errno) : msg);
        break;
      }
      if (k == 0) break;
      len += (size_t)k;
      if (br_deadline_passed()) { /* one clock read per MB inflated */
        s = br_deadline_stop("read_csv", (int64_t)len >> 20, "MB inflated");
        break;
      }
    }
    gzclose(gz);
    if (s != BR_OK) {
      br_free(b);
      return s;
    }
    *buf = b;
    *n = len;
    return BR_OK;
  }
  size_t size = (size_t)st.st_size, len = 0;
  if (size > 0) {
    void *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE | (populate ? MAP_POPULATE : 0), fd, 0);
    if (m != MAP_FAILED) {
      close(fd);
      *buf = m;
      *n = size;
      *mapped = 1;
      return BR_OK;
    }
  }
  char *b = br_alloc("read_csv", size + 1, 1); /* not mappable (a pipe, /proc): read it */
  if (!b) {
    close(fd);
    return br_error_set(BR_ERR_NOMEM, "%s: out of memory for %zu bytes", path, size);
  }
  while (len < size) {
    ssize_t k = read(fd, b + len, size - len);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      int e = errno;
      br_free(b);
      close(fd);
      return br_error_set(BR_ERR_IO, "%s: cannot read: %s", path, k < 0 ? strerror(e) : "file shrank while reading");
    }
    len += (size_t)k;
  }
  close(fd);
  *buf = b;
  *n = len;
  return BR_OK;
}

/* ---- parallel parse ---- */

typedef struct chunk_job {
  br_deadline deadline; /* the caller's: a deadline is per thread */
  reader r;
  const char *buf;
  size_t begin, end;
  int last;
  br_csv_report report;
} chunk_job;

static void *parse_chunk(void *arg) {
  chunk_job *j = arg;
  br_deadline_put(j->deadline);
  size_t pos = j->begin;
  feed(&j->r, j->buf, j->end, &pos);
  if (j->last) finish(&j->r);
  return NULL;
}

static void reader_free_data(reader *r) {
  if (r->cols)
    for (int k = 0; k < r->nkeep; k++) br_free(r->cols[k].buf);
  br_free(r->cols);
  r->cols = NULL;
  br_free(r->row_lines);
  r->row_lines = NULL;
  if (r->parser_ready) csv_free(&r->p);
  r->parser_ready = 0;
}

/* Parses buf[start..n) in `threads` chunks. Returns 1 with r->parts set, or
 * 0 when the sequential parse must decide (an error, or a doubtful split). */
static int parse_parallel(reader *r, const char *buf, size_t n, size_t start, int threads,
                          chunk_job **jobs_out) {
  chunk_job *jobs = br_calloc("read_csv", (size_t)threads, sizeof *jobs);
  pthread_t tid[MAX_THREADS];
  int started = 0, ok = jobs != NULL;
  size_t at = start;
  for (int t = 0; ok && t < threads; t++) {
    size_t end = t == threads - 1 ? n : start + (n - start) / (size_t)threads * (size_t)(t + 1);
    if (end < at) end = at;
    if (t < threads - 1) { /* move the split just past a line break */
      const char *nl = memchr(buf + end, '\n', n - end);
      end = nl ? (size_t)(nl - buf) + 1 : n;
    }
    chunk_job *j = &jobs[t];
    j->deadline = br_deadline_get();
    j->r = *r; /* header, options and kept columns are shared read-only */
    j->r.parser_ready = 0;
    j->r.cols = br_calloc("read_csv", (size_t)r->nkeep, sizeof *j->r.cols);
    for (int k = 0; j->r.cols && k < r->nkeep; k++) j->r.cols[k].prev_len = SIZE_MAX;
    j->r.row_lines = NULL;
    j->r.rows = j->r.cap_rows = 0;
    j->r.line = 1;
    j->r.field = 0;
    j->r.report = &j->report;
    j->r.stop_after_header = 0;
    j->buf = buf;
    j->begin = at;
    j->end = end;
    j->last = t == threads - 1;
    if (!j->r.cols || !parser_init(&j->r)) ok = 0;
    at = end;
  }
  for (int t = 0; ok && t < threads; t++) {
    if (pthread_create(&tid[t], NULL, parse_chunk, &jobs[t]) != 0) break;
    started++;
  }
  for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
  ok = ok && started == threads;
  for (int t = 0; ok && t < threads; t++) {
    if (jobs[t].r.err != BR_OK) ok = 0;
    /* Each chunk but the last must end between rows, or the split cut a
     * quoted field and the next chunk was parsed from its middle. */
    if (!jobs[t].last && jobs[t].r.p.pstate != ROW_NOT_BEGUN) ok = 0;
  }
  if (!ok) {
    for (int t = 0; jobs && t < threads; t++) reader_free_data(&jobs[t].r);
    br_free(jobs);
    return 0;
  }
  /* Lines and rows of the chunks in one numbering. */
  int64_t base = r->line - 1, total = 0;
  for (int t = 0; t < threads; t++) total += jobs[t].r.rows;
  r->row_lines = br_alloc("read_csv", (size_t)total, sizeof *r->row_lines);
  r->parts = br_alloc("read_csv", (size_t)threads, sizeof *r->parts);
  if (!r->row_lines || !r->parts) {
    for (int t = 0; t < threads; t++) reader_free_data(&jobs[t].r);
    br_free(jobs);
    br_free(r->row_lines);
    r->row_lines = NULL;
    br_free(r->parts);
    r->parts = NULL;
    return 0;
  }
  r->rows = 0;
  for (int t = 0; t < threads; t++) {
    reader *w = &jobs[t].r;
    for (int64_t i = 0; i < w->rows; i++) r->row_lines[r->rows++] = w->row_lines[i] + base;
    if (r->report) {
      for (int64_t i = 0; i < jobs[t].report.skipped; i++) {
        if (r->report->skipped < BR_CSV_REPORT_LINES && i < BR_CSV_REPORT_LINES)
          r->report->skipped_lines[r->report->skipped] = jobs[t].report.skipped_lines[i] + base;
        r->report->skipped++;
      }
    }
    base += w->line - 1;
    r->parts[t] = w;
    if (w->parser_ready) csv_free(&w->p);
    w->parser_ready = 0;
  }
  r->nparts = threads;
  *jobs_out = jobs;
  return 1;
}

static int default_threads(const br_csv_options *o) {
  if (o->threads > 0) return o->threads > MAX_THREADS ? MAX_THREADS : o->threads;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

/* ---- pass 2 lives in csv_convert.c ---- */

/* opts->range_begin/range_end: parse only the data lines in those bytes
 * (for a rank's share of a file, bundle/dist.h); lines before them still
 * count, so errors name the file's own line numbers. */
static br_status csv_range(reader *r, const char *buf, size_t n, size_t *pos, size_t *stop) {
  int64_t b = r->o->range_begin, e = r->o->range_end;
  if (b < (int64_t)*pos || b > e || e > (int64_t)n || (b > (int64_t)*pos && buf[b - 1] != '\n'))
    return r->err = br_error_set(BR_ERR_ARG, "%s: read_csv: byte range [%lld, %lld) must start at a line start "
                                 "after the header (%zu bytes) and end inside the file (%zu bytes)",
                                 r->path, (long long)b, (long long)e, *pos, n);
  for (const char *p = buf + *pos, *end = buf + b; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) r->line++;
  *pos = (size_t)b;
  *stop = (size_t)e;
  return BR_OK;
}

void br_csv_options_init(br_csv_options *o) {
  memset(o, 0, sizeof *o);
  o->sep = ',';
  o->quote = '"';
  o->limit = -1;
}

static void reader_free(reader *r) {
  for (int i = 0; i < r->nnames; i++) br_free(r->names[i]);
  br_free(r->names);
  br_free(r->keep);
  br_free(r->src);
  reader_free_data(r);
  br_free(r->parts);
}

br_status csv_reader_setup(reader *r, const char *path, const br_csv_options *opts, br_csv_report *report) {
  if (opts->decimal != 0 && opts->decimal != '.' && opts->decimal != ',')
    return br_error_set(BR_ERR_ARG, "read_csv: decimal must be '.' or ',', got '%c'", opts->decimal);
  if (opts->sep == '\n' || opts->sep == '\r' || opts->sep == opts->quote || opts->sep == '\0')
    return br_error_set(BR_ERR_ARG, "read_csv: separator %d cannot be used", opts->sep);
  static const char *const default_na[] = {"", "NA", "NULL"};
  const char *const *na = opts->na ? opts->na : default_na;
  int nna = opts->na ? opts->nna : 3;
  if (nna > CSV_MAX_NA) return br_error_set(BR_ERR_ARG, "read_csv: at most %d na values", CSV_MAX_NA);
  if (br_time_format_check(&opts->time) != BR_OK) {
    br_error_prefix("read_csv");
    return BR_ERR_ARG;
  }
  memset(r, 0, sizeof *r);
  r->path = path;
  r->o = opts;
  r->max_field = opts->max_field ? opts->max_field : DEFAULT_MAX_FIELD;
  r->report = report;
  for (int i = 0; i < nna; i++) {
    r->na[i] = na[i];
    r->na_len[i] = strlen(na[i]);
    if (r->na_len[i] > r->na_max) r->na_max = r->na_len[i];
  }
  r->nna = nna;
  if (report) memset(report, 0, sizeof *report);
  return BR_OK;
}

/* The parse steps, for the chunked reader (csv_chunks.c). */
void csv_feed(reader *r, const char *buf, size_t n, size_t *pos) { feed(r, buf, n, pos); }
void csv_finish(reader *r) { finish(r); }
int csv_parser_init(reader *r) { return parser_init(r); }
void csv_reader_free(reader *r) { reader_free(r); }
int csv_default_threads(const br_csv_options *o) { return default_threads(o); }

br_status br_frame_read_csv(br_frame **out, const char *path, const br_csv_options *opts,
                            br_csv_report *report) {
  br_csv_options dflt;
  if (!opts) {
    br_csv_options_init(&dflt);
    opts = &dflt;
  }
  reader r;
  br_status s = csv_reader_setup(&r, path, opts, report);
  if (s != BR_OK) return s;
  r.dedup = !csv_dedup_disabled;
  char *buf = NULL;
  size_t n = 0;
  int mapped;
  s = load_input(path, &buf, &n, &mapped, opts->range_end == 0);
  if (s != BR_OK) return s;
  if (!parser_init(&r)) {
    if (mapped) munmap(buf, n);
    else br_free(buf);
    return br_error_set(BR_ERR_NOMEM, "read_csv: out of memory");
  }

  /* The header, sequentially; then the data, in parallel when worth it. */
  size_t pos = (n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
  r.line = 1;
  r.stop_after_header = 1;
  feed(&r, buf, n, &pos);
  r.stop_after_header = 0;
  size_t stop = n; /* n stays the mapping's length, for munmap */
  if (r.err == BR_OK && opts->range_end > 0) s = csv_range(&r, buf, n, &pos, &stop);
  int threads = default_threads(opts);
  chunk_job *jobs = NULL;
  reader *self = &r;
  if (!(r.err == BR_OK && r.header_done && threads > 1 && opts->limit < 0 &&
        stop - pos >= PARALLEL_MIN_BYTES && parse_parallel(&r, buf, stop, pos, threads, &jobs))) {
    feed(&r, buf, stop, &pos);
    finish(&r);
    r.parts = br_alloc("read_csv", sizeof *r.parts, 1);
    if (r.parts) {
      r.parts[0] = self;
      r.nparts = 1;
    } else if (r.err == BR_OK) {
      r.err = br_error_set(BR_ERR_NOMEM, "%s: out of memory", path);
    }
  }
  if (mapped) munmap(buf, n);
  else br_free(buf);

  s = r.err;
  if (s == BR_OK && r.nnames == 0)
    s = br_error_set(BR_ERR_PARSE, "%s: the file is empty (expected a header row)", path);
  else if (s == BR_OK && r.rows == 0 && !(opts->limit == 0) && opts->range_end == 0)
    s = br_error_set(BR_ERR_PARSE, "%s: has a header but no data rows%s", path,
                     report && report->skipped ? " (all rows were skipped as bad)" : "");

  br_column **cols = NULL;
  char **names = NULL;
  if (s == BR_OK) {
    cols = br_calloc("read_csv", (size_t)r.nkeep, sizeof *cols);
    names = br_calloc("read_csv", (size_t)r.nkeep, sizeof *names);
    if (!cols || !names) s = br_error_set(BR_ERR_NOMEM, "%s: out of memory", path);
  }
  if (s == BR_OK) s = csv_convert(&r, cols, threads);
  for (int k = 0; s == BR_OK && k < r.nkeep; k++) names[k] = r.names[r.src[k]];
  if (s == BR_OK) s = frame_build(out, r.nkeep, names, cols, r.rows);
  if (s == BR_OK && report) report->rows = r.rows;
  if (cols)
    for (int k = 0; k < r.nkeep; k++) br_column_release(cols[k]);
  br_free(cols);
  br_free(names);
  if (jobs) {
    for (int t = 0; t < r.nparts; t++) reader_free_data(&jobs[t].r);
    br_free(jobs);
  }
  reader_free(&r);
  return s;
}
