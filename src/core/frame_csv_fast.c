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
 * The scan for separators, quotes, CRs and LFs turns 64 bytes at a time
 * into a mask of bits, with AVX2 (two compares a character) or SSE2 (four),
 * chosen once from the CPU as simdjson does; each field's end is then a
 * count of trailing zeros, and one mask serves the several fields in it.
 * Other CPUs build the mask a byte at a time. */
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
/* Bit i set when p[i] (i < 64) is a separator, quote, CR or LF. */
__attribute__((target("avx2"))) INLINE uint64_t mask64_avx2(const char *p, char sep, char quote) {
  const __m256i vs = _mm256_set1_epi8(sep), vq = _mm256_set1_epi8(quote), vn = _mm256_set1_epi8('\n'),
                vr = _mm256_set1_epi8('\r');
  uint64_t m = 0;
  for (int h = 0; h < 2; h++) {
    __m256i x = _mm256_loadu_si256((const __m256i *)(p + 32 * h));
    __m256i e = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(x, vs), _mm256_cmpeq_epi8(x, vq)),
                                _mm256_or_si256(_mm256_cmpeq_epi8(x, vn), _mm256_cmpeq_epi8(x, vr)));
    m |= (uint64_t)(uint32_t)_mm256_movemask_epi8(e) << (32 * h);
  }
  return m;
}

INLINE uint64_t mask64_sse2(const char *p, char sep, char quote) {
  const __m128i vs = _mm_set1_epi8(sep), vq = _mm_set1_epi8(quote), vn = _mm_set1_epi8('\n'), vr = _mm_set1_epi8('\r');
  uint64_t m = 0;
  for (int h = 0; h < 4; h++) {
    __m128i x = _mm_loadu_si128((const __m128i *)(p + 16 * h));
    __m128i e = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, vs), _mm_cmpeq_epi8(x, vq)),
                             _mm_or_si128(_mm_cmpeq_epi8(x, vn), _mm_cmpeq_epi8(x, vr)));
    m |= (uint64_t)(uint16_t)_mm_movemask_epi8(e) << (16 * h);
  }
  return m;
}
#endif

INLINE uint64_t mask64_scalar(const char *p, char sep, char quote) {
  uint64_t m = 0;
  for (int i = 0; i < 64; i++)
    m |= (uint64_t)(p[i] == sep || p[i] == quote || p[i] == '\n' || p[i] == '\r') << i;
  return m;
}

/* The first separator, quote, CR or LF at or after p (end if none), from
 * 64-byte windows of bits: one window serves every field that ends in it. */
#define NEXT(MASK, q)                                                          \
  ({                                                                           \
    const char *q_ = (q), *r_ = NULL;                                          \
    while (!r_) {                                                              \
      if (wb && q_ >= wb && q_ < wb + 64) {                                    \
        uint64_t m_ = bits & (~(uint64_t)0 << (q_ - wb));                      \
        if (m_) r_ = wb + __builtin_ctzll(m_);                                 \
        else q_ = wb + 64;                                                     \
      } else if (end - q_ >= 64) {                                             \
        wb = q_;                                                               \
        bits = MASK(q_, sep, quote);                                           \
      } else {                                                                 \
        r_ = find4_scalar(q_, end, sep, quote, '\n', '\r');                   \
      }                                                                        \
    }                                                                          \
    r_;                                                                        \
  })

/* The line splitter, instantiated once per scan (MASK is inlined). */
#define SPLIT_BODY(MASK)                                                                         \
  const char *p = buf + at, *end = buf + n, *wb = NULL; /* no window yet */                       \
  uint64_t bits = 0;                                                                             \
  int k = 0;                                                                                     \
  for (;;) {                                                                                     \
    const char *s, *e, *stop;                                                                    \
    if (p < end && *p == quote) { /* quoted: up to the next quote, with no line end inside */   \
      s = p + 1;                                                                                 \
      e = NEXT(MASK, s);                                                                         \
      while (e < end && *e == sep) e = NEXT(MASK, e + 1);                                        \
      if (e == end || *e != quote) return -1;                                                    \
      stop = e + 1;                                                                              \
    } else {                                                                                     \
      s = p;                                                                                     \
      e = stop = NEXT(MASK, s);                                                                  \
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
  SPLIT_BODY(mask64_scalar)
}

#if CSV_X86
__attribute__((target("avx2"))) static int split_avx2(const char *buf, size_t n, size_t at, char sep, char quote,
                                                      csv_span *f, int cap, size_t *next) {
  SPLIT_BODY(mask64_avx2)
}

static int split_sse2(const char *buf, size_t n, size_t at, char sep, char quote, csv_span *f, int cap,
                      size_t *next) {
  SPLIT_BODY(mask64_sse2)
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
