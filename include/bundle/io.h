/* bundle/io.h — writing whole files safely.
 *
 *     if (br_file_write_atomic("out/summary.json", text, len) != BR_OK) puts(br_last_error());
 *
 * The bytes go to a temporary file beside the target, which is flushed,
 * synced and renamed over it: readers see the old file or the new one,
 * never a part, and a failure leaves the old file as it was.
 */
#ifndef BUNDLE_IO_H
#define BUNDLE_IO_H

#include <stddef.h>

#include "bundle/error.h"

#ifdef __cplusplus
extern "C" {
#endif

br_status br_file_write_atomic(const char *path, const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
