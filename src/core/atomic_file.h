/* Private: writing a file atomically. A temporary file is created beside
 * the target; the writer fills it; commit flushes, syncs and renames it
 * over the target, so the previous file survives any failure. */
#ifndef BUNDLE_ATOMIC_FILE_H
#define BUNDLE_ATOMIC_FILE_H

#include <stdio.h>

#include "bundle/error.h"

typedef struct atomic_file {
  FILE *fp;
  char *tmp;
  const char *path;
} atomic_file;

/* Opens the temporary file; on failure, an error naming path. */
br_status atomic_open(atomic_file *f, const char *path, const char *mode);
/* Flush, fsync, close and rename; on any failure the temporary file is
 * removed and the error names path. */
br_status atomic_commit(atomic_file *f);
/* Discards the temporary file (after a failed write). */
void atomic_abort(atomic_file *f);

#endif
