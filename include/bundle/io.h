/* bundle/io.h — writing whole files, and whole directories of them, safely.
 *
 *     if (br_file_write_atomic("out/summary.json", text, len) != BR_OK) puts(br_last_error());
 *
 * The bytes go to a temporary file in the target's directory (an unnamed
 * O_TMPFILE one where the filesystem has it, so a killed writer leaves
 * nothing), which is flushed, synced and renamed over the target: readers
 * see the old file or the new one, never a part, and a failure leaves the
 * old file as it was, with the cause ("No space left on device") in the
 * message. The target keeps its mode; a symbolic link is written through.
 *
 * A set of files that belong together (bundle.pipeline.write's) is written
 * into br_dir_temp_beside's directory and swapped in by br_dir_replace:
 *
 *     char tmp[4200];
 *     br_dir_temp_beside("out", tmp, sizeof tmp);   // out.new.XXXXXX
 *     ... write tmp/a.csv, tmp/b.json; on failure br_dir_discard(tmp) ...
 *     br_dir_replace(tmp, "out");                   // one rename
 */
#ifndef BUNDLE_IO_H
#define BUNDLE_IO_H

#include <stddef.h>

#include "bundle/error.h"

#ifdef __cplusplus
extern "C" {
#endif

br_status br_file_write_atomic(const char *path, const void *data, size_t len);

/* Makes an empty directory "<dir>.new.XXXXXX" beside dir (dir's symbolic
 * links followed) and puts its path in out. Such directories that killed
 * writers left, over ten minutes old, are removed first. */
br_status br_dir_temp_beside(const char *dir, char *out, size_t size);

/* Puts tmp (from br_dir_temp_beside) in dir's place with one atomic rename
 * (renameat2 RENAME_EXCHANGE; two renames where the filesystem lacks it),
 * then removes the old directory. Files of the old one that tmp does not
 * replace are kept (hard-linked in before the swap, or moved after). On
 * failure dir is as it was and tmp is left to the caller. */
br_status br_dir_replace(const char *tmp, const char *dir);

/* Removes tmp and the files in it (after a failed write). */
br_status br_dir_discard(const char *tmp);

#ifdef __cplusplus
}
#endif
#endif
