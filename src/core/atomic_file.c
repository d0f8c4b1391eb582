#include "atomic_file.h"
#include "bundle/io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

br_status atomic_open(atomic_file *f, const char *path, const char *mode) {
  size_t n = strlen(path);
  f->path = path;
  f->fp = NULL;
  f->tmp = malloc(n + 16);
  if (!f->tmp) return br_error_set(BR_ERR_NOMEM, "%s: out of memory", path);
  snprintf(f->tmp, n + 16, "%s.tmp.XXXXXX", path);
  int fd = mkstemp(f->tmp);
  if (fd < 0) {
    br_status s = br_error_set(BR_ERR_IO, "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
    free(f->tmp);
    f->tmp = NULL;
    return s;
  }
  fchmod(fd, 0644); /* mkstemp makes 0600; outputs are ordinary files */
  f->fp = fdopen(fd, mode);
  if (!f->fp) {
    br_status s = br_error_set(BR_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    close(fd);
    unlink(f->tmp);
    free(f->tmp);
    f->tmp = NULL;
    return s;
  }
  return BR_OK;
}

br_status atomic_commit(atomic_file *f) {
  /* Every step must succeed before the rename makes the file visible. */
  int failed = ferror(f->fp) || fflush(f->fp) != 0 || fsync(fileno(f->fp)) != 0;
  int err = errno;
  if (fclose(f->fp) != 0 && !failed) {
    failed = 1;
    err = errno;
  }
  f->fp = NULL;
  if (!failed && rename(f->tmp, f->path) != 0) {
    failed = 1;
    err = errno;
  }
  if (failed) unlink(f->tmp);
  free(f->tmp);
  f->tmp = NULL;
  if (failed)
    return br_error_set(BR_ERR_IO, "%s: write failed (%s); the previous file is untouched", f->path,
                        strerror(err ? err : EIO));
  return BR_OK;
}

void atomic_abort(atomic_file *f) {
  if (f->fp) fclose(f->fp);
  if (f->tmp) {
    unlink(f->tmp);
    free(f->tmp);
  }
  f->fp = NULL;
  f->tmp = NULL;
}

br_status br_file_write_atomic(const char *path, const void *data, size_t len) {
  atomic_file f;
  br_status s = atomic_open(&f, path, "wb");
  if (s != BR_OK) return s;
  if (len > 0 && fwrite(data, 1, len, f.fp) != len) {
    atomic_abort(&f);
    return br_error_set(BR_ERR_IO, "write: cannot write %s", path);
  }
  return atomic_commit(&f);
}
