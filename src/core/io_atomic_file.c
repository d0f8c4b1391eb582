/* Writing files atomically (atomic_file.h): a temporary beside the target,
 * renamed over it once complete. */
/* O_TMPFILE is a Linux extension */
#define _GNU_SOURCE
#include "io_atomic_file.h"
#include "bundle/io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "bundle/memory.h"

#ifndef O_TMPFILE
#define O_TMPFILE 0 /* no such flag: open(dir, O_WRONLY) fails and the fallback runs */
#endif

int atomic_no_tmpfile;

/* path with its symbolic links followed (at most 40, as the kernel), so
 * the link's target is replaced and the link stays a link. A dangling
 * link gives the path it points to: the file is created there. */
static char *follow_links(const char *path) {
  char *cur = br_strdup("write", path);
  for (int hop = 0; cur && hop < 40; hop++) {
    struct stat st;
    if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) return cur;
    char link[4096];
    ssize_t n = readlink(cur, link, sizeof link - 1);
    if (n < 0) return cur;
    link[n] = '\0';
    const char *slash = strrchr(cur, '/');
    size_t dirlen = link[0] == '/' || !slash ? 0 : (size_t)(slash - cur) + 1;
    char *next = br_alloc("write", dirlen + (size_t)n + 1, 1);
    if (next) {
      memcpy(next, cur, dirlen);
      memcpy(next + dirlen, link, (size_t)n + 1);
    }
    br_free(cur);
    cur = next;
  }
  return cur; /* a loop: open reports ELOOP */
}

/* The directory part of path ("." when it has none). */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return br_strdup("write", ".");
  size_t n = slash == path ? 1 : (size_t)(slash - path);
  char *d = br_alloc("write", n + 1, 1);
  if (d) {
    memcpy(d, path, n);
    d[n] = '\0';
  }
  return d;
}

/* The process's umask, without changing it for a moment (umask(2) can only
 * set it, and another thread may be creating a file). */
static mode_t current_umask(void) {
  FILE *fp = fopen("/proc/self/status", "r");
  char line[256];
  unsigned m;
  while (fp && fgets(line, sizeof line, fp))
    if (sscanf(line, "Umask: %o", &m) == 1) {
      fclose(fp);
      return (mode_t)m;
    }
  if (fp) fclose(fp);
  mode_t old = umask(022); /* no /proc: the only other way to read it */
  umask(old);
  return old;
}

/* "<base>.tmp." followed by mkstemp's six characters. */
static int is_temporary_of(const char *name, const char *base) {
  size_t b = strlen(base);
  return strncmp(name, base, b) == 0 && strncmp(name + b, ".tmp.", 5) == 0 && strlen(name + b + 5) == 6;
}

/* Removes the named temporaries that killed writes of base left in dir:
 * a live writer holds a lock on its own, and a fresh one may not be
 * locked yet, so only unlocked ones older than ATOMIC_STALE_SECONDS go. */
static void remove_stale(const char *dir, const char *base) {
  DIR *d = opendir(dir);
  if (!d) return;
  time_t now = time(NULL);
  for (struct dirent *e; (e = readdir(d));) {
    if (!is_temporary_of(e->d_name, base)) continue;
    int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) continue;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime > ATOMIC_STALE_SECONDS &&
        flock(fd, LOCK_EX | LOCK_NB) == 0)
      unlinkat(dirfd(d), e->d_name, 0);
    close(fd);
  }
  closedir(d);
}

static void free_names(atomic_file *f) {
  br_free(f->target);
  br_free(f->tmp);
  f->target = f->tmp = NULL;
}

static br_status open_failed(atomic_file *f, const char *what, int err) {
  br_status s = br_error_set(err == ENOMEM ? BR_ERR_NOMEM : BR_ERR_IO, "%s: %s: %s", f->path, what, strerror(err));
  free_names(f);
  return s;
}

br_status atomic_open(atomic_file *f, const char *path, const char *mode) {
  *f = (atomic_file){.path = path};
  f->target = follow_links(path);
  char *dir = f->target ? dir_of(f->target) : NULL;
  if (!dir) {
    br_free(f->target);
    f->target = NULL;
    return br_error_set(BR_ERR_NOMEM, "%s: out of memory", path);
  }
  struct stat st;
  int exists = stat(f->target, &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) {
    br_free(dir);
    return open_failed(f, "cannot write", EISDIR);
  }
  if (exists && !S_ISREG(st.st_mode)) { /* a device or a FIFO: nothing to replace */
    br_free(dir);
    f->in_place = 1;
    f->fp = fopen(f->target, mode);
    return f->fp ? BR_OK : open_failed(f, "cannot write", errno);
  }
  mode_t want = exists ? st.st_mode & 07777 : 0666 & ~current_umask();
  int fd = atomic_no_tmpfile || !O_TMPFILE ? -1 : open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd >= 0) {
    f->unnamed = 1;
  } else {
    /* no O_TMPFILE here (an old kernel, NFS, FUSE): a named temporary */
    const char *slash = strrchr(f->target, '/');
    remove_stale(dir, slash ? slash + 1 : f->target);
    size_t n = strlen(f->target) + 12;
    if (!(f->tmp = br_alloc("write", n, 1))) {
      br_free(dir);
      return open_failed(f, "cannot create a temporary file beside it", ENOMEM);
    }
    snprintf(f->tmp, n, "%s.tmp.XXXXXX", f->target);
    fd = mkstemp(f->tmp);
    if (fd < 0) {
      br_free(dir);
      return open_failed(f, "cannot create a temporary file beside it", errno);
    }
    flock(fd, LOCK_EX | LOCK_NB); /* ours alone, just made: tells remove_stale it is live */
  }
  br_free(dir);
  /* The new file takes the old one's owner (when we may: root, or our own
   * group) and then its mode: chown clears set-id bits, so mode last. */
  if (exists && (st.st_uid != geteuid() || st.st_gid != getegid())) (void)!fchown(fd, st.st_uid, st.st_gid);
  fchmod(fd, want);
  f->fp = fdopen(fd, mode);
  if (!f->fp) {
    int e = errno;
    close(fd);
    if (f->tmp) unlink(f->tmp);
    return open_failed(f, "cannot write", e);
  }
  return BR_OK;
}

/* Gives the unnamed temporary a name beside the target: linkat through
 * /proc (AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH), under a fresh
 * "<target>.tmp.XXXXXX" name. 0 with errno set when it cannot. */
static int link_unnamed(atomic_file *f, int fd) {
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  size_t n = strlen(f->target) + 12;
  if (!(f->tmp = br_alloc("write", n, 1))) return errno = ENOMEM, 0;
  static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t x = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)f;
  for (int attempt = 0; attempt < 100; attempt++) {
    char suffix[7];
    for (int i = 0; i < 6; i++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      suffix[i] = letters[x % (sizeof letters - 1)];
    }
    suffix[6] = '\0';
    snprintf(f->tmp, n, "%s.tmp.%s", f->target, suffix);
    if (linkat(AT_FDCWD, proc, AT_FDCWD, f->tmp, AT_SYMLINK_FOLLOW) == 0) return 1;
    if (errno != EEXIST) break;
  }
  int e = errno;
  br_free(f->tmp);
  f->tmp = NULL;
  errno = e;
  return 0;
}

/* When linkat cannot name it (no /proc mounted, a sandbox refusing the
 * link), the unnamed temporary is copied into a named one. 0 with errno
 * set when that fails too. */
static int copy_unnamed(atomic_file *f, int fd) {
  size_t n = strlen(f->target) + 12;
  struct stat st;
  if (fstat(fd, &st) != 0) return 0;
  if (!(f->tmp = br_alloc("write", n, 1))) return errno = ENOMEM, 0;
  snprintf(f->tmp, n, "%s.tmp.XXXXXX", f->target);
  int out = mkstemp(f->tmp);
  if (out < 0) {
    int e = errno;
    br_free(f->tmp);
    f->tmp = NULL;
    return errno = e, 0;
  }
  flock(out, LOCK_EX | LOCK_NB);
  int ok = fchmod(out, st.st_mode & 07777) == 0;
  char buf[65536];
  for (off_t at = 0; ok;) {
    ssize_t k = pread(fd, buf, sizeof buf, at);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      ok = k == 0;
      break;
    }
    for (ssize_t w = 0; ok && w < k;) {
      ssize_t m = write(out, buf + w, (size_t)(k - w));
      if (m < 0 && errno == EINTR) continue;
      ok = m > 0;
      w += m > 0 ? m : 0;
    }
    at += k;
  }
  ok = ok && fsync(out) == 0;
  int e = errno;
  if (close(out) != 0 && ok) ok = 0, e = errno;
  errno = e;
  return ok; /* on failure commit unlinks f->tmp */
}

br_status atomic_commit(atomic_file *f) {
  /* Every step must succeed before the rename makes the file visible. A
   * write that failed earlier set the stream's error flag, but errno may
   * have changed since: flushing again repeats the failing write, so the
   * message carries its cause ("No space left on device"). */
  int failed = 0, err = 0;
  if (ferror(f->fp)) {
    failed = 1;
    clearerr(f->fp);
    err = fflush(f->fp) != 0 ? errno : EIO;
  } else if (fflush(f->fp) != 0 || (!f->in_place && fsync(fileno(f->fp)) != 0)) {
    failed = 1;
    err = errno;
  }
  if (!failed && f->unnamed && !link_unnamed(f, fileno(f->fp)) && !copy_unnamed(f, fileno(f->fp))) {
    failed = 1;
    err = errno;
  }
  if (fclose(f->fp) != 0 && !failed) {
    failed = 1;
    err = errno;
  }
  f->fp = NULL;
  if (!failed && f->tmp && rename(f->tmp, f->target) != 0) {
    failed = 1;
    err = errno;
  }
  if (failed && f->tmp) unlink(f->tmp);
  br_status s = BR_OK;
  if (failed)
    s = br_error_set(BR_ERR_IO, f->in_place ? "%s: write failed: %s" : "%s: write failed: %s; the previous file is untouched",
                     f->path, strerror(err ? err : EIO));
  free_names(f);
  return s;
}

void atomic_abort(atomic_file *f) {
  if (f->fp) fclose(f->fp);
  if (f->tmp) unlink(f->tmp);
  f->fp = NULL;
  free_names(f);
}

br_status br_file_write_atomic(const char *path, const void *data, size_t len) {
  atomic_file f;
  br_status s = atomic_open(&f, path, "wb");
  if (s != BR_OK) return s;
  /* a short write sets the stream's error flag: commit reports it, with
   * its cause, and removes the temporary */
  if (len > 0) (void)fwrite(data, 1, len, f.fp);
  return atomic_commit(&f);
}
