/* Status names and a per-thread last-error buffer (like errno plus strerror,
 * but with a detail message that names the place). */
#include "bundle/error.h"
#include "error_internal.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_names[] = {
    "ok",          "invalid argument", "shape mismatch", "index out of range",
    "out of memory", "i/o error",      "parse error",    "numerical failure",
    "limit reached", "invalid state",  "cancelled",
};
static_assert(sizeof status_names / sizeof status_names[0] == BR_STATUS_COUNT,
              "one name per status");

static _Thread_local char last_error[1024];
static _Thread_local br_status last_status;
static _Thread_local int keep_nomem; /* see error_internal.h */

void br_error_keep_nomem(int keep) { keep_nomem = keep; }

const char *br_status_str(br_status s) {
  int i = -(int)s;
  if (i < 0 || i >= BR_STATUS_COUNT) return "unknown status";
  return status_names[i];
}

const char *br_last_error(void) { return last_error; }

br_status br_last_status(void) { return last_status; }

br_status br_error_set(br_status s, const char *fmt, ...) {
  char kept[sizeof last_error];
  int keep = keep_nomem && s == BR_ERR_NOMEM && last_status == BR_ERR_NOMEM;
  if (keep) snprintf(kept, sizeof kept, "%s", last_error);
  keep_nomem = 0;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  /* the allocator's message already names the place and the limit: keep it */
  if (keep && n >= 0 && (size_t)n < sizeof last_error && strstr(last_error, kept) == NULL)
    if (snprintf(last_error + n, sizeof last_error - (size_t)n, ": %s", kept) >= (int)(sizeof last_error - (size_t)n))
      last_error[sizeof last_error - 1] = '\0'; /* truncated: still terminated */
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
  keep_nomem = 0;
  last_error[0] = '\0';
  last_status = BR_OK;
}
