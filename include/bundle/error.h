/* bundle/error.h — status codes and the last error message.
 *
 * Every core function that can fail returns a br_status: BR_OK (0) on success,
 * a negative code on failure. The detail message of the most recent failure on
 * the calling thread is in br_last_error():
 *
 *     br_tensor *c = NULL;
 *     if (br_tensor_matmul(&c, a, b) != BR_OK)
 *       fprintf(stderr, "matmul: %s\n", br_last_error());
 *
 * The library never calls exit() or abort() on user input.
 */
#ifndef BUNDLE_ERROR_H
#define BUNDLE_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum br_status {
  BR_OK = 0,
  BR_ERR_ARG = -1,      /* an argument is invalid (out of range, wrong kind) */
  BR_ERR_SHAPE = -2,    /* shapes do not fit together */
  BR_ERR_INDEX = -3,    /* an index is out of range */
  BR_ERR_NOMEM = -4,    /* an allocation failed or a memory limit was hit */
  BR_ERR_IO = -5,       /* a file could not be opened, read or written */
  BR_ERR_PARSE = -6,    /* input data is malformed */
  BR_ERR_NUMERIC = -7,  /* a numerical failure: singular matrix, NaN, ... */
  BR_ERR_LIMIT = -8,    /* a configured limit (size, count, time) was reached */
  BR_ERR_STATE = -9,    /* an object is not in a state that allows the call */
  BR_ERR_CANCELLED = -10, /* stopped by the thread's deadline (bundle/deadline.h) */
} br_status;

/* Number of distinct statuses, BR_OK included (for the name table). */
#define BR_STATUS_COUNT 11

/* A short constant name for a status ("shape mismatch"); never NULL. */
const char *br_status_str(br_status s);

/* The detail message of the last failure on this thread ("" if none).
 * The string is owned by the library and valid until the next failing call. */
const char *br_last_error(void);

/* The status recorded with that message (BR_OK if none), so that a program
 * can tell an out-of-memory failure (BR_ERR_NOMEM) from the others. */
br_status br_last_status(void);

/* Records a printf-style detail message for status s and returns s, so that
 * failing paths read `return br_error_set(BR_ERR_ARG, "dim %d", d);`.
 * Messages longer than 1023 bytes are truncated. */
br_status br_error_set(br_status s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Records `len` bytes of text (a message from elsewhere: a Lua error, a
 * file's bytes) as the detail message for status s and returns s. A NUL in
 * it is written as the two characters \0, so the text after it is kept. */
br_status br_error_set_text(br_status s, const char *text, size_t len);

/* Prepends "prefix: " to the last error message, so a caller can say where a
 * failure of a shared routine happened ("add: shapes {2} and {3} ..."). */
void br_error_prefix(const char *prefix);

/* Clears the last error message and status. */
void br_error_clear(void);

#ifdef __cplusplus
}
#endif
#endif
