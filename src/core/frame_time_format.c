/* Dates that are not ISO: a strptime-style format of our own (the C
 * library's strptime is not in C11, and its %b follows the locale), the
 * day-first rule, and converting a text column to datetimes with them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_internal.h"
#include "bundle/memory.h"

static const char *const month_names[12] = {"january", "february", "march",     "april",
                                            "may",     "june",     "july",      "august",
                                            "september", "october", "november", "december"};

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int is_space(char c) { return c == ' ' || c == '\t'; }

/* Reads min..max digits at *p (before end) into *v, advancing *p. */
static int read_digits(const char **p, const char *end, int min, int max, int *v) {
  int n = 0, x = 0;
  while (*p < end && n < max && (unsigned char)(**p - '0') <= 9) {
    x = x * 10 + (**p - '0');
    (*p)++;
    n++;
  }
  *v = x;
  return n >= min;
}

/* An English month name, long or three-letter, any case. */
static int read_month_name(const char **p, const char *end, int *m) {
  for (int k = 0; k < 12; k++) {
    size_t full = strlen(month_names[k]), i = 0;
    while (i < full && *p + i < end && lower((unsigned char)(*p)[i]) == month_names[k][i]) i++;
    if (i == full || i == 3) {
      /* "mar" of "march" must not eat the start of a longer word: take the
       * full name when it is all there, else exactly three letters. */
      *p += i;
      *m = k + 1;
      return 1;
    }
  }
  return 0;
}

static int valid_date(int y, int mo, int d, int hh, int mi, int ss) {
  static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1]) return 0;
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return 0;
  return hh >= 0 && hh <= 23 && mi >= 0 && mi <= 59 && ss >= 0 && ss <= 60;
}

static int64_t to_epoch(int y, int mo, int d, int hh, int mi, int ss) {
  return days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + hh * 3600 + mi * 60 + ss;
}

static void trim(const char **s, size_t *len) {
  while (*len && is_space(**s)) (*s)++, (*len)--;
  while (*len && is_space((*s)[*len - 1])) (*len)--;
}

/* s by a checked format (br_time_format_check). */
static int parse_by_format(const char *s, size_t len, const char *fmt, int64_t *epoch) {
  trim(&s, &len);
  const char *p = s, *end = s + len;
  int y = 0, mo = 1, d = 1, hh = 0, mi = 0, ss = 0, off = 0, v;
  size_t at;
  for (const char *f = fmt; *f; f++) {
    if (*f == ' ') {
      if (p == end || !is_space(*p)) return 0;
      while (p < end && is_space(*p)) p++;
      continue;
    }
    if (*f != '%' || f[1] == '%') {
      if (*f == '%') f++;
      if (p == end || *p != *f) return 0;
      p++;
      continue;
    }
    switch (*++f) {
      case 'Y': if (!read_digits(&p, end, 4, 4, &y)) return 0; break;
      case 'y':
        if (!read_digits(&p, end, 2, 2, &v)) return 0;
        y = v < 69 ? 2000 + v : 1900 + v;
        break;
      case 'm': if (!read_digits(&p, end, 1, 2, &mo)) return 0; break;
      case 'd': if (!read_digits(&p, end, 1, 2, &d)) return 0; break;
      case 'H': if (!read_digits(&p, end, 1, 2, &hh)) return 0; break;
      case 'M': if (!read_digits(&p, end, 1, 2, &mi)) return 0; break;
      case 'S': if (!read_digits(&p, end, 1, 2, &ss)) return 0; break;
      case 'b': if (!read_month_name(&p, end, &mo)) return 0; break;
      case 'f': /* a fraction's digits: a datetime counts whole seconds */
        if (p == end || (unsigned char)(*p - '0') > 9) return 0;
        while (p < end && (unsigned char)(*p - '0') <= 9) p++;
        break;
      case 'z':
        at = (size_t)(p - s);
        if (!parse_utc_offset(s, len, &at, &off)) return 0;
        p = s + at;
        break;
      default: return 0; /* unreachable after br_time_format_check */
    }
  }
  if (p != end || !valid_date(y, mo, d, hh, mi, ss)) return 0;
  *epoch = to_epoch(y, mo, d, hh, mi, ss) - off;
  return 1;
}

/* D/M/YYYY, D-M-YYYY or D.M.YYYY, then optionally " H:MM[:SS]" or "T...". */
static int parse_day_first(const char *s, size_t len, int64_t *epoch, int *day) {
  trim(&s, &len);
  const char *p = s, *end = s + len;
  int y, mo, d, hh = 0, mi = 0, ss = 0;
  if (!read_digits(&p, end, 1, 2, &d) || p == end) return 0;
  char sep = *p++;
  if (sep != '/' && sep != '-' && sep != '.') return 0;
  if (!read_digits(&p, end, 1, 2, &mo) || p == end || *p++ != sep) return 0;
  if (!read_digits(&p, end, 4, 4, &y)) return 0;
  if (p < end) {
    if (*p != ' ' && *p != 'T') return 0;
    p++;
    if (!read_digits(&p, end, 1, 2, &hh) || p == end || *p++ != ':') return 0;
    if (!read_digits(&p, end, 2, 2, &mi)) return 0;
    if (p < end && (*p++ != ':' || !read_digits(&p, end, 2, 2, &ss))) return 0;
  }
  if (p != end || !valid_date(y, mo, d, hh, mi, ss)) return 0;
  *epoch = to_epoch(y, mo, d, hh, mi, ss);
  *day = d;
  return 1;
}

int parse_datetime_day(const char *s, size_t len, const br_time_format *tf, int64_t *epoch, int *day) {
  *day = 0;
  if (tf && tf->format && parse_by_format(s, len, tf->format, epoch)) return 1;
  if (tf && tf->day_first && parse_day_first(s, len, epoch, day)) return 1;
  int has_time;
  return parse_datetime(s, len, epoch, &has_time);
}

int parse_datetime_as(const char *s, size_t len, const br_time_format *tf, int64_t *epoch) {
  int day;
  return parse_datetime_day(s, len, tf, epoch, &day);
}

br_status br_time_format_check(const br_time_format *tf) {
  if (!tf || !tf->format) return BR_OK;
  if (tf->day_first)
    return br_error_set(BR_ERR_ARG, "time_format and day_first cannot both be given (the format already says the order)");
  int year = 0, month = 0, day = 0;
  for (const char *f = tf->format; *f; f++) {
    if (*f != '%') continue;
    switch (*++f) {
      case 'Y': case 'y': year = 1; break;
      case 'm': case 'b': month = 1; break;
      case 'd': day = 1; break;
      case 'H': case 'M': case 'S': case 'f': case 'z': case '%': break;
      case '\0':
        return br_error_set(BR_ERR_ARG, "time_format '%s' ends with a lone '%%'", tf->format);
      default:
        return br_error_set(BR_ERR_ARG,
                            "time_format '%s': unknown directive '%%%c' (supported: %%Y %%y %%m %%b %%d %%H %%M %%S %%f %%z %%%%)",
                            tf->format, *f);
    }
  }
  if (!year || !month || !day)
    return br_error_set(BR_ERR_ARG, "time_format '%s' has no %s (it needs a year %%Y or %%y, a month %%m or %%b, and a day %%d)",
                        tf->format, !year ? "year" : !month ? "month" : "day");
  return BR_OK;
}

const char *br_time_format_describe(const br_time_format *tf, char *buf, size_t size) {
  if (tf && tf->format) snprintf(buf, size, "a date in the time_format '%s'", tf->format);
  else if (tf && tf->day_first)
    snprintf(buf, size, "a day-first date (D/M/YYYY or D-M-YYYY, optional H:MM[:SS])");
  else snprintf(buf, size, "%s", BR_ISO_DATE_TEXT);
  return buf;
}

br_status br_datetime_parse_as(int64_t *epoch, const char *s, size_t len,
                               const br_time_format *tf) {
  br_status st = br_time_format_check(tf);
  if (st != BR_OK) return st;
  if (parse_datetime_as(s, len, tf, epoch)) return BR_OK;
  char what[160];
  return br_error_set(BR_ERR_PARSE, "'%.*s%s' is not %s", (int)(len > 40 ? 40 : len), s,
                      len > 40 ? "..." : "", br_time_format_describe(tf, what, sizeof what));
}

static int parse_level(const char *s, size_t len, const void *tf, uint64_t *value) {
  int64_t t;
  if (!parse_datetime_as(s, len, tf, &t)) return 0;
  *value = (uint64_t)t;
  return 1;
}

br_status br_column_to_datetime(br_column **out, const br_column *c, const br_time_format *tf) {
  br_status st = br_time_format_check(tf);
  if (st != BR_OK) return st;
  if (c->type == BR_DTYPE_DATETIME) {
    *out = br_column_retain((br_column *)c);
    return BR_OK;
  }
  if (c->type != BR_DTYPE_STR)
    return br_error_set(BR_ERR_ARG, "to_datetime: the column is %s; it needs text (str) to parse",
                        br_dtype_name(c->type));
  int64_t bad = 0;
  st = column_parse_levels(out, c, BR_DTYPE_DATETIME, parse_level, tf, &bad);
  if (st == BR_ERR_NOMEM) return br_error_set(BR_ERR_NOMEM, "to_datetime: out of memory");
  if (st != BR_OK) {
    size_t len;
    const char *s = strdict_get(c->dict, ((const int32_t *)c->data)[bad], &len);
    char what[160];
    return br_error_set(BR_ERR_PARSE, "to_datetime: row %lld: '%.*s%s' is not %s", (long long)bad + 1,
                        (int)(len > 40 ? 40 : len), s, len > 40 ? "..." : "",
                        br_time_format_describe(tf, what, sizeof what));
  }
  return BR_OK;
}
