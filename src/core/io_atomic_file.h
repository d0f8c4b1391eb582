/* Private: writing a file atomically. The writer fills a temporary file in
 * the target's directory; commit flushes, syncs and renames it over the
 * target, so the previous file survives any failure.
 *
 * Where the filesystem has O_TMPFILE the temporary has no name until the
 * commit links it in, so a writer killed mid-write leaves nothing behind.
 * Elsewhere it is "<target>.tmp.XXXXXX", locked while it is written; every
 * open removes the ones that earlier killed writes left (unlocked and older
 * than ATOMIC_STALE_SECONDS).
 *
 * A symbolic link is followed: its target is replaced, the link stays. An
 * existing target keeps its mode (and, when allowed, its owner); a new one
 * gets 0666 less the umask, as open(2) would give it. A target that is not
 * a regular file (a device such as /dev/null, a FIFO) cannot be replaced:
 * it is written in place. */
#ifndef BUNDLE_ATOMIC_FILE_H
#define BUNDLE_ATOMIC_FILE_H

#include <stdio.h>

#include "bundle/error.h"

/* A named temporary this old and unlocked is a killed writer's. */
#define ATOMIC_STALE_SECONDS 60

typedef struct atomic_file {
  FILE *fp;
  char *target; /* the file to replace: path with its symbolic links followed */
  char *tmp;    /* the named temporary (fallback path), or NULL */
  const char *path;
  int unnamed;  /* the temporary is an O_TMPFILE one */
  int in_place; /* the target is not a regular file: written directly */
} atomic_file;

/* Opens the temporary file; on failure, an error naming path. */
br_status atomic_open(atomic_file *f, const char *path, const char *mode);
/* Flush, fsync, close and rename; on any failure the temporary file is
 * removed and the error names path and carries strerror. */
br_status atomic_commit(atomic_file *f);
/* Discards the temporary file (after a failed write). */
void atomic_abort(atomic_file *f);

/* For tests: 1 makes atomic_open use the named fallback as if the
 * filesystem had no O_TMPFILE. */
extern int atomic_no_tmpfile;

#endif
