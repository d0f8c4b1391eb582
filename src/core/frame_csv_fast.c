/* Reading CSV: the fast path for plain lines (csv_read.c's feed calls it
 * before libcsv).
 *
 * A line is plain when it ends in LF or CRLF and each of its fields is
 * either unquoted with no quote or CR in it, or quoted with no quote, CR
 * or LF inside and a separator or the line's end right after the closing
 * quote. On such a line libcsv (as read_csv sets it up: no trimming, a
 * quoted field's quotes dropped) gives exactly the fields found here, so
 * the same callbacks get the same fields and every error stays libcsv's
 * path's. Anything else (a doubled quote, a quoted line break, a lone CR,
 * text after a closing quote, more fields than the caller has room for)
 * returns -1 and libcsv reads the line: it stays the parser of record.
 *
 * The scan for the next separator, quote, CR or LF looks at 32 bytes at a
 * time with AVX2 or 16 with SSE2 (chosen once from the CPU, as simdjson and
 * fread scan), bytes at a time elsewhere. Most fields are shorter than a
 * vector, so one compare finds their end. */
#include <stdint.h>
#include <string.h>

#include "frame_csv_internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CSV_X86 1
#else
#define CSV_X86 0
#endif

int csv_fast_disabled; /* tests: 1 sends every line to libcsv */
int64_t csv_fast_lines; /* lines the fast path read, for tests */

#define INLINE static inline __attribute__((always_inline))

/* The first byte in [p, end) equal to a, b, c or d; end if none. */
INLINE const char *find4_scalar(const char *p, const char *end, char a, char b, char c, char d) {
  for (; p < end; p++)
    if (*p == a || *p == b || *p == c || *p == d) return p;
  return end;
}

#if CSV_X86
__attribute__((target("avx2"))) INLINE const char *find4_avx2(const char *p, const char *end, char a, char b,
                                                             char c, char d) {
  const __m256i va = _mm256_set1_epi8(a), vb = _mm256_set1_epi8(b), vc = _mm256_set1_epi8(c),
                vd = _mm256_set1_epi8(d);
  for (; end - p >= 32; p += 32) {
    __m256i x = _mm256_loadu_si256((const __m256i *)p);
    __m256i m = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(x, va), _mm256_cmpeq_epi8(x, vb)),
                                _mm256_or_si256(_mm256_cmpeq_epi8(x, vc), _mm256_cmpeq_epi8(x, vd)));
    unsigned bits = (unsigned)_mm256_movemask_epi8(m);
    if (bits) return p + __builtin_ctz(bits);
  }
  return find4_scalar(p, end, a, b, c, d);
}

INLINE const char *find4_sse2(const char *p, const char *end, char a, char b, char c, char d) {
  const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c), vd = _mm_set1_epi8(d);
  for (; end - p >= 16; p += 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)p);
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)),
                             _mm_or_si128(_mm_cmpeq_epi8(x, vc), _mm_cmpeq_epi8(x, vd)));
    unsigned bits = (unsigned)_mm_movemask_epi8(m);
    if (bits) return p + __builtin_ctz(bits);
  }
  return find4_scalar(p, end, a, b, c, d);
}
#endif

/* The line splitter, instantiated once per scan (FIND is inlined). */
#define SPLIT_BODY(FIND)                                                                         \
  const char *p = buf + at, *end = buf + n;                                                      \
  int k = 0;                                                                                     \
  for (;;) {                                                                                     \
    const char *s, *e, *stop;                                                                    \
    if (p < end && *p == quote) { /* quoted: up to the next quote, with no line end inside */   \
      s = p + 1;                                                                                 \
      e = FIND(s, end, quote, '\n', '\r', quote);                                                \
      if (e == end || *e != quote) return -1;                                                    \
      stop = e + 1;                                                                              \
    } else {                                                                                     \
      s = p;                                                                                     \
      e = stop = FIND(s, end, sep, quote, '\n', '\r');                                           \
    }                                                                                            \
    if (stop == end) return -1; /* no LF: the last line goes to libcsv and csv_fini */          \
    if (k == cap) return -1;                                                                     \
    char ch = *stop;                                                                             \
    if (ch == sep) {                                                                             \
      f[k].s = s, f[k].len = (size_t)(e - s), k++;                                               \
      p = stop + 1;                                                                              \
      continue;                                                                                  \
    }                                                                                            \
    const char *nl = stop;                                                                       \
    if (ch == '\r') nl++;                                                                        \
    if (nl == end || *nl != '\n') return -1; /* a quote mid-field, text after one, a lone CR */ \
    /* the line's end; a blank line (LF or CRLF alone) is no row, as for libcsv */              \
    if (!(k == 0 && stop == buf + at)) f[k].s = s, f[k].len = (size_t)(e - s), k++;              \
    *next = (size_t)(nl + 1 - buf);                                                              \
    return k;                                                                                    \
  }

static int split_scalar(const char *buf, size_t n, size_t at, char sep, char quote, csv_span *f, int cap,
                        size_t *next) {
  SPLIT_BODY(find4_scalar)
}

#if CSV_X86
__attribute__((target("avx2"))) static int split_avx2(const char *buf, size_t n, size_t at, char sep, char quote,
                                                      csv_span *f, int cap, size_t *next) {
  SPLIT_BODY(find4_avx2)
}

static int split_sse2(const char *buf, size_t n, size_t at, char sep, char quote, csv_span *f, int cap,
                      size_t *next) {
  SPLIT_BODY(find4_sse2)
}
#endif

csv_splitter csv_fast_splitter(void) {
  if (csv_fast_disabled) return NULL;
#if CSV_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) return split_avx2;
  return split_sse2;
#else
  return split_scalar;
#endif
}

/* Which scan csv_fast_splitter picks here (for benchmarks and tests). */
const char *csv_fast_level(void) {
  csv_splitter s = csv_fast_splitter();
  (void)split_scalar;
#if CSV_X86
  if (s == split_avx2) return "avx2";
  if (s == split_sse2) return "sse2";
#endif
  return s ? "scalar" : "off";
}
