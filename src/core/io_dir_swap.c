/* Replacing a directory of outputs as a whole (bundle/io.h): the new files
 * are written into a fresh directory beside it, which is then swapped in
 * with one rename, so readers (and a kill, or a full disk, at any moment)
 * see the old set or the new one, never a mix. */
#define _GNU_SOURCE /* renameat2 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bundle/io.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* A killed writer's "<dir>.new.XXXXXX" this old is removed by the next. */
#define STALE_DIR_SECONDS 600

/* Removes the files in a directory of ours and then the directory; a
 * subdirectory (not something we make) stops it, with errno ENOTEMPTY. */
static int remove_flat(const char *path) {
  DIR *d = opendir(path);
  if (!d) return -1;
  for (struct dirent *e; (e = readdir(d));)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) unlinkat(dirfd(d), e->d_name, 0);
  closedir(d);
  return rmdir(path);
}

/* "<name>.new." and six characters: what br_dir_temp_beside makes. */
static int is_new_of(const char *entry, const char *name) {
  size_t n = strlen(name);
  return strncmp(entry, name, n) == 0 && strncmp(entry + n, ".new.", 5) == 0 && strlen(entry + n + 5) == 6;
}

static void remove_stale(const char *parent, const char *name) {
  DIR *d = opendir(parent);
  if (!d) return;
  time_t now = time(NULL);
  for (struct dirent *e; (e = readdir(d));) {
    struct stat st;
    if (!is_new_of(e->d_name, name) || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISDIR(st.st_mode) || now - st.st_mtime <= STALE_DIR_SECONDS)
      continue;
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", parent, e->d_name) < (int)sizeof path) remove_flat(path);
  }
  closedir(d);
}

/* dir with its symbolic links resolved when it exists (outputs go where
 * the link points, and the link stays), else as given. */
static int resolve(const char *dir, char *out, size_t size) {
  char real[4096];
  const char *p = realpath(dir, real) ? real : dir;
  if (snprintf(out, size, "%s", p) >= (int)size) return errno = ENAMETOOLONG, 0;
  size_t n = strlen(out);
  while (n > 1 && out[n - 1] == '/') out[--n] = '\0'; /* "out/" is "out" */
  return 1;
}

br_status br_dir_temp_beside(const char *dir, char *out, size_t size) {
  char target[4096];
  if (!resolve(dir, target, sizeof target) || snprintf(out, size, "%s.new.XXXXXX", target) >= (int)size)
    return br_error_set(BR_ERR_ARG, "%s: the path is too long", dir);
  const char *slash = strrchr(target, '/');
  char parent[4096];
  if (!slash) snprintf(parent, sizeof parent, ".");
  else snprintf(parent, sizeof parent, "%.*s", slash == target ? 1 : (int)(slash - target), target);
  remove_stale(parent, slash ? slash + 1 : target);
  if (!mkdtemp(out))
    return br_error_set(BR_ERR_IO, "%s: cannot create a directory beside it: %s", dir, strerror(errno));
  return BR_OK;
}

br_status br_dir_discard(const char *tmp) {
  if (remove_flat(tmp) != 0 && errno != ENOENT)
    return br_error_set(BR_ERR_IO, "%s: cannot remove: %s", tmp, strerror(errno));
  return BR_OK;
}

/* Before the swap: the old directory's other files (say a report.png a
 * person rendered there) are hard-linked into the new one, so they stay in
 * place; what cannot be linked (a subdirectory) is moved after the swap. */
static void link_others(const char *old, const char *tmp) {
  DIR *d = opendir(old), *t = opendir(tmp);
  for (struct dirent *e; d && t && (e = readdir(d));) {
    struct stat st;
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
        fstatat(dirfd(t), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) /* the new set has its own */
      continue;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
      linkat(dirfd(d), e->d_name, dirfd(t), e->d_name, 0);
  }
  if (d) closedir(d);
  if (t) closedir(t);
}

/* After the swap: what is still only in the old directory moves over;
 * then the old directory (now holding only replaced or linked files) goes. */
static int move_rest_and_remove(const char *old, const char *dir) {
  DIR *d = opendir(old), *t = opendir(dir);
  for (struct dirent *e; d && t && (e = readdir(d));) {
    struct stat st;
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (fstatat(dirfd(t), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      renameat(dirfd(d), e->d_name, dirfd(t), e->d_name);
  }
  if (d) closedir(d);
  if (t) closedir(t);
  return remove_flat(old);
}

br_status br_dir_replace(const char *tmp, const char *dir) {
  char target[4096];
  if (!resolve(dir, target, sizeof target)) return br_error_set(BR_ERR_ARG, "%s: the path is too long", dir);
  struct stat st;
  if (lstat(target, &st) != 0) {
    if (errno == ENOENT && rename(tmp, target) == 0) return BR_OK;
    return br_error_set(BR_ERR_IO, "%s: cannot put the new files in place: %s", dir, strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) return br_error_set(BR_ERR_IO, "%s: cannot replace it: %s", dir, strerror(ENOTDIR));
  link_others(target, tmp);
  /* One atomic exchange: tmp's name then holds the old directory. */
  const char *old = tmp;
  char aside[4200];
  if (renameat2(AT_FDCWD, tmp, AT_FDCWD, target, RENAME_EXCHANGE) != 0) {
    if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
      return br_error_set(BR_ERR_IO, "%s: cannot put the new files in place: %s", dir, strerror(errno));
    /* no exchange on this filesystem: the old one aside, the new one in,
     * the old one back if that fails */
    snprintf(aside, sizeof aside, "%s.old", tmp);
    if (rename(target, aside) != 0)
      return br_error_set(BR_ERR_IO, "%s: cannot put the new files in place: %s", dir, strerror(errno));
    if (rename(tmp, target) != 0) {
      int e = errno;
      rename(aside, target);
      return br_error_set(BR_ERR_IO, "%s: cannot put the new files in place: %s", dir, strerror(e));
    }
    old = aside;
  }
  if (move_rest_and_remove(old, target) != 0)
    return br_error_set(BR_ERR_IO, "%s: the new files are in place, but the old directory, left at %s, "
                        "cannot be removed: %s", dir, old, strerror(errno));
  return BR_OK;
}
