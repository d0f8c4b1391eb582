/* Status names and a per-thread last-error buffer (like errno plus strerror,
 * but with a detail message that names the place). */
#include "bundle/error.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>

static const char *const status_names[] = {
    "ok",          "invalid argument", "shape mismatch", "index out of range",
    "out of memory", "i/o error",      "parse error",    "numerical failure",
    "limit reached", "invalid state",  "cancelled",
};
static_assert(sizeof status_names / sizeof status_names[0] == BR_STATUS_COUNT,
              "one name per status");

static _Thread_local char last_error[1024];
static _Thread_local br_status last_status;

const char *br_status_str(br_status s) {
  int i = -(int)s;
  if (i < 0 || i >= BR_STATUS_COUNT) return "unknown status";
  return status_names[i];
}

const char *br_last_error(void) { return last_error; }

br_status br_last_status(void) { return last_status; }

br_status br_error_set(br_status s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  last_status = s;
  return s;
}

br_status br_error_set_text(br_status s, const char *text, size_t len) {
  size_t out = 0;
  for (size_t i = 0; i < len && out + 2 < sizeof last_error; i++) {
    if (text[i] == '\0') {
      last_error[out++] = '\\';
      last_error[out++] = '0';
    } else {
      last_error[out++] = text[i];
    }
  }
  last_error[out] = '\0';
  last_status = s;
  return s;
}

void br_error_prefix(const char *prefix) {
  char detail[sizeof last_error];
  snprintf(detail, sizeof detail, "%s", last_error);
  /* Truncation is acceptable here; the return value is checked only to say so. */
  if (snprintf(last_error, sizeof last_error, "%s: %s", prefix, detail) >= (int)sizeof last_error)
    last_error[sizeof last_error - 1] = '\0';
}

void br_error_clear(void) {
  last_error[0] = '\0';
  last_status = BR_OK;
}
