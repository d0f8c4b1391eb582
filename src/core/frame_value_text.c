/* Text <-> value conversions for CSV: strict number, bool and datetime
 * parsers, and round-trip formatting. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_internal.h"

static void trim(const char **s, size_t *len) {
  while (*len && (**s == ' ' || **s == '\t')) (*s)++, (*len)--;
  while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t')) (*len)--;
}

/* Length of a leading sign (0 or 1); *neg says whether it is a minus. */
static size_t sign_prefix(const char *s, int *neg) {
  *neg = s[0] == '-';
  return s[0] == '-' || s[0] == '+';
}

int parse_i64(const char *s, size_t len, int64_t *v) {
  trim(&s, &len);
  if (len == 0) return 0;
  int neg;
  size_t i = sign_prefix(s, &neg);
  if (i == len || len - i > 19) return 0;
  uint64_t acc = 0;
  for (; i < len; i++) {
    unsigned d = (unsigned char)s[i] - '0';
    if (d > 9) return 0;
    acc = acc * 10 + d; /* at most 19 digits: no uint64 overflow */
  }
  if (neg ? acc > (uint64_t)INT64_MAX + 1 : acc > (uint64_t)INT64_MAX) return 0;
  *v = neg ? (int64_t)(0 - acc) : (int64_t)acc;
  return 1;
}

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

int parse_f64(const char *s, size_t len, double *v) {
  trim(&s, &len);
  if (len == 0) return 0;
  /* Fast path, exact: [sign] digits [. digits] with a mantissa under 2^53
   * and at most 22 decimals is m / 10^k, both exact doubles, and IEEE
   * division rounds correctly. */
  int neg;
  size_t i = sign_prefix(s, &neg);
  uint64_t m = 0;
  int digits = 0, frac = -1, ok = i < len;
  for (; i < len && ok; i++) {
    char ch = s[i];
    if (ch >= '0' && ch <= '9') {
      m = m * 10 + (uint64_t)(ch - '0');
      if (++digits > 15) ok = 0;
      if (frac >= 0) frac++;
    } else if (ch == '.' && frac < 0) {
      frac = 0;
    } else {
      ok = 0;
    }
  }
  if (ok && digits > 0) {
    double x = (double)m;
    if (frac > 0) x /= pow10_exact[frac];
    *v = neg ? -x : x;
    return 1;
  }
  /* The spellings format_f64 writes for non-finite values read back. */
  if ((len == 3 && (memcmp(s, "NaN", 3) == 0 || memcmp(s, "nan", 3) == 0))) {
    *v = NAN;
    return 1;
  }
  if ((len == 3 && (memcmp(s, "Inf", 3) == 0 || memcmp(s, "inf", 3) == 0)) ||
      (len == 4 && (memcmp(s, "-Inf", 4) == 0 || memcmp(s, "-inf", 4) == 0))) {
    *v = s[0] == '-' ? -INFINITY : INFINITY;
    return 1;
  }
  /* General case: strtod must consume exactly the trimmed text. Only decimal
   * forms count as numbers: no hex, no other words (those are text). */
  for (size_t k = 0; k < len; k++) {
    char ch = s[k];
    if (!((ch >= '0' && ch <= '9') || ch == '.' || ch == 'e' || ch == 'E' || ch == '-' ||
          ch == '+'))
      return 0;
  }
  char buf[64];
  if (len >= sizeof buf) return 0;
  memcpy(buf, s, len);
  buf[len] = '\0';
  char *end;
  errno = 0;
  double x = strtod(buf, &end);
  if (end != buf + len || (errno == ERANGE && isinf(x))) return 0;
  *v = x;
  return 1;
}

/* A number written with a decimal comma ("3,49", "-0,5"), its whole part
 * optionally grouped by thousands with '.' or ' ' ("1.234,56", "1 234,5":
 * the first group 1 to 3 digits, the others 3, one separator throughout).
 * decimal '.' (or 0) is parse_f64. */
int parse_f64_decimal(const char *s, size_t len, char decimal, double *v) {
  if (decimal != ',') return parse_f64(s, len, v);
  trim(&s, &len);
  char buf[64];
  size_t o = 0, i = 0;
  if (len == 0 || len >= sizeof buf) return 0;
  if (s[0] == '-' || s[0] == '+') buf[o++] = s[i++];
  if (i < len && (s[i] == 'N' || s[i] == 'n' || s[i] == 'I' || s[i] == 'i'))
    return parse_f64(s, len, v); /* NaN, Inf: as format_f64 writes them */
  char group = 0;
  int run = 0, groups = 0; /* digits since the last separator; separators seen */
  for (; i < len && s[i] != ','; i++) {
    char ch = s[i];
    if (ch >= '0' && ch <= '9') {
      buf[o++] = ch;
      run++;
      continue;
    }
    if (ch != '.' && ch != ' ') return 0;
    if (group ? ch != group || run != 3 : run < 1 || run > 3) return 0;
    group = ch;
    groups++;
    run = 0;
  }
  if (groups && run != 3) return 0;
  if (i < len) { /* the decimal comma and at least one digit after it */
    buf[o++] = '.';
    size_t f = ++i;
    for (; i < len; i++) {
      if (s[i] < '0' || s[i] > '9') return 0;
      buf[o++] = s[i];
    }
    if (i == f) return 0;
  }
  buf[o] = '\0';
  return parse_f64(buf, o, v);
}

int parse_bool(const char *s, size_t len, uint8_t *v) {
  trim(&s, &len);
  if ((len == 4 && (memcmp(s, "true", 4) == 0 || memcmp(s, "True", 4) == 0 ||
                    memcmp(s, "TRUE", 4) == 0))) {
    *v = 1;
    return 1;
  }
  if ((len == 5 && (memcmp(s, "false", 5) == 0 || memcmp(s, "False", 5) == 0 ||
                    memcmp(s, "FALSE", 5) == 0))) {
    *v = 0;
    return 1;
  }
  return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int digits_at(const char *s, int n, int *v) {
  int x = 0;
  for (int i = 0; i < n; i++) {
    unsigned dgt = (unsigned char)s[i] - '0';
    if (dgt > 9) return 0;
    x = x * 10 + (int)dgt;
  }
  *v = x;
  return 1;
}

/* "Z", or an offset from UTC as +hh, +hh:mm or +hhmm (or '-'), at s[*i..len):
 * its seconds in *off. */
int parse_utc_offset(const char *s, size_t len, size_t *i, int *off) {
  size_t j = *i;
  if (j < len && (s[j] == 'Z' || s[j] == 'z')) {
    *off = 0;
    *i = j + 1;
    return 1;
  }
  if (j + 3 > len || (s[j] != '+' && s[j] != '-')) return 0;
  int sign = s[j] == '-' ? -1 : 1, hh, mm = 0;
  if (!digits_at(s + j + 1, 2, &hh)) return 0;
  j += 3;
  if (j < len && s[j] == ':') {
    if (j + 3 > len || !digits_at(s + j + 1, 2, &mm)) return 0;
    j += 3;
  } else if (j + 2 <= len && digits_at(s + j, 2, &mm)) {
    j += 2;
  }
  if (hh > 23 || mm > 59) return 0;
  *off = sign * (hh * 3600 + mm * 60);
  *i = j;
  return 1;
}

/* ISO 8601 as shops export it: YYYY-MM-DD, then optionally a time after a
 * space or 'T' (HH:MM, HH:MM:SS, or HH:MM:SS.fff whose fraction is dropped:
 * a datetime counts whole seconds), then optionally 'Z' or an offset
 * (+01:00, +0100, +01, a space before it allowed), which is taken off so
 * the epoch is UTC. A text of that shape naming no real day or time
 * (2024-02-30, 25:00) is no date. */
int parse_datetime(const char *s, size_t len, int64_t *epoch, int *has_time) {
  trim(&s, &len);
  int y, mo, d, hh = 0, mi = 0, ss = 0, off = 0;
  if (len < 10) return 0;
  if (!digits_at(s, 4, &y) || s[4] != '-' || !digits_at(s + 5, 2, &mo) || s[7] != '-' ||
      !digits_at(s + 8, 2, &d))
    return 0;
  size_t i = 10;
  if (i < len) {
    if ((s[i] != ' ' && s[i] != 'T') || len < i + 6 || !digits_at(s + i + 1, 2, &hh) || s[i + 3] != ':' ||
        !digits_at(s + i + 4, 2, &mi))
      return 0;
    i += 6;
    if (i < len && s[i] == ':') {
      if (len < i + 3 || !digits_at(s + i + 1, 2, &ss)) return 0;
      i += 3;
      if (i < len && (s[i] == '.' || s[i] == ',')) {
        size_t f = ++i;
        while (i < len && (unsigned)(s[i] - '0') <= 9) i++;
        if (i == f) return 0;
      }
    }
    if (i < len) {
      if (s[i] == ' ') i++;
      if (!parse_utc_offset(s, len, &i, &off) || i != len) return 0;
    }
    if (hh > 23 || mi > 59 || ss > 60) return 0;
  }
  static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1]) return 0;
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return 0;
  *epoch = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + hh * 3600 + mi * 60 + ss - off;
  *has_time = len > 10;
  return 1;
}

int format_datetime(char *buf, int64_t epoch, int with_time) {
  int64_t days = epoch >= 0 ? epoch / 86400 : -((-epoch + 86399) / 86400);
  int64_t secs = epoch - days * 86400, y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  if (!with_time) return snprintf(buf, 32, "%04lld-%02u-%02u", (long long)y, m, d);
  return snprintf(buf, 32, "%04lld-%02u-%02u %02d:%02d:%02d", (long long)y, m, d,
                  (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

int format_f64(char *buf, double v) {
  if (isnan(v)) return snprintf(buf, 32, "NaN");
  if (isinf(v)) return snprintf(buf, 32, v > 0 ? "Inf" : "-Inf");
  for (int prec = 15; prec <= 17; prec++) {
    int n = snprintf(buf, 32, "%.*g", prec, v);
    if (prec == 17 || strtod(buf, NULL) == v) return n;
  }
  return 0; /* unreachable */
}

br_status br_datetime_parse(int64_t *epoch, const char *s, size_t len) {
  int has_time;
  if (parse_datetime(s, len, epoch, &has_time)) return BR_OK;
  return br_error_set(BR_ERR_PARSE, "'%.*s' is not %s", (int)(len > 40 ? 40 : len), s, BR_ISO_DATE_TEXT);
}

int br_datetime_format(char *buf, int64_t epoch, int with_time) {
  return format_datetime(buf, epoch, with_time);
}
