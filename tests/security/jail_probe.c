/* The kernel wall on its own: applies bundlerun's jail (src/jail.c) to
 * this process, then tries what a script cannot even express in the Lua
 * sandbox (exec, fork, sockets, opening files by path) to show that the
 * second wall holds if the first one ever fails.
 *
 *   jail_probe READ_DIR WRITE_DIR OUTSIDE_DIR
 *
 * WRITE_DIR holds a symlink "link" to OUTSIDE_DIR (made by the caller).
 * Prints one line per check and exits 0 when every check held. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jail.h"

static int failures;

static void check(const char *what, int held, const char *detail) {
  printf("%s %s%s%s\n", held ? "held:" : "BROKEN:", what, detail ? " — " : "", detail ? detail : "");
  if (!held) failures++;
}

/* Opening path with flags must fail (with EACCES from Landlock). */
static void refused_open(const char *what, const char *path, int flags) {
  int fd = open(path, flags, 0644);
  int e = errno;
  if (fd >= 0) close(fd);
  check(what, fd < 0 && e == EACCES, fd < 0 ? strerror(e) : "opened");
}

static void *thread_main(void *arg) { return arg; }

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: jail_probe READ_DIR WRITE_DIR OUTSIDE_DIR\n");
    return 2;
  }
  const char *rd = argv[1], *wd = argv[2], *out = argv[3];
  jail_opts o = {.nread = 2, .nwrite = 1, .max_mb = 64, .timeout = 10};
  o.read[0] = rd;
  o.read[1] = "/proc/self"; /* for the Seccomp line below */
  o.write[0] = wd;
  char err[512], path[4096], victim[4096];
  int abi = jail_landlock_abi();
  /* a file outside, and a descriptor on it opened before the jail: the
   * ways to reach it that do not open it by a plain path (H33) */
  snprintf(victim, sizeof victim, "%s/victim.txt", out);
  int vfd = open(victim, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (vfd >= 0 && write(vfd, "keep", 4) != 4) printf("note: could not fill %s\n", victim);
  if (vfd >= 0) close(vfd);
  int pre = open(victim, O_RDONLY);
  if (jail_enter(&o, err, sizeof err) != 0) {
    printf("BROKEN: jail_enter: %s\n", err);
    return 1;
  }

#ifdef HAVE_SECCOMP
  /* the filter is installed: Seccomp: 2 (filter mode) in our own status */
  FILE *f = fopen("/proc/self/status", "r");
  int mode = -1;
  char line[256];
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "Seccomp: %d", &mode) == 1) break;
  if (f) fclose(f);
  check("seccomp filter installed (Seccomp: 2)", mode == 2, NULL);

  char *args[] = {"/bin/true", NULL};
  execv("/bin/true", args);
  check("execve refused", errno == EPERM, strerror(errno));

  pid_t pid = fork();
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid(pid, NULL, 0);
  check("fork refused", pid < 0 && errno == EPERM, pid < 0 ? strerror(errno) : "forked");

  int s = socket(AF_INET, SOCK_STREAM, 0);
  check("socket refused", s < 0 && errno == EPERM, s < 0 ? strerror(errno) : "made a socket");
  if (s >= 0) close(s);
#else
  printf("skipped: seccomp checks (built without libseccomp)\n");
#endif

  pthread_t t;
  int rc = pthread_create(&t, NULL, thread_main, NULL);
  if (rc == 0) pthread_join(t, NULL);
  check("threads still start (OpenBLAS and bundle's pools need them)", rc == 0, rc ? strerror(rc) : NULL);

  if (abi == 0) {
    printf("skipped: Landlock checks (this kernel has no Landlock)\n");
    return failures != 0;
  }
  snprintf(path, sizeof path, "%s/ok.txt", wd);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  check("write inside --allow-write works", fd >= 0, fd < 0 ? strerror(errno) : NULL);
  if (fd >= 0) close(fd);
  snprintf(path, sizeof path, "%s/x.txt", out);
  refused_open("write outside --allow-write refused", path, O_WRONLY | O_CREAT | O_TRUNC);
  snprintf(path, sizeof path, "%s/link/x.txt", wd);
  refused_open("write through a symlink out of --allow-write refused", path, O_WRONLY | O_CREAT | O_TRUNC);
  snprintf(path, sizeof path, "%s/../%s/x.txt", wd, strrchr(out, '/') + 1);
  refused_open("write through .. out of --allow-write refused", path, O_WRONLY | O_CREAT | O_TRUNC);
  refused_open("read outside --allow-read refused", "/etc/passwd", O_RDONLY);
  snprintf(path, sizeof path, "%s/newlink", wd);
  rc = symlink("/etc", path);
  check("making symlinks refused", rc != 0 && errno == EACCES, rc ? strerror(errno) : "made one");
  /* a hard link or a rename of an outside file into --allow-write would
   * make it writable there: Landlock's REFER right refuses both (EXDEV) */
  snprintf(path, sizeof path, "%s/hardlink", wd);
  rc = link(victim, path);
  check("hard link of an outside file into --allow-write refused", rc != 0, rc ? strerror(errno) : "linked");
  snprintf(path, sizeof path, "%s/moved", wd);
  rc = rename(victim, path);
  check("rename of an outside file into --allow-write refused", rc != 0, rc ? strerror(errno) : "moved");
  rc = truncate(victim, 0);
  check("truncate outside --allow-write refused", rc != 0, rc ? strerror(errno) : "truncated");
  if (pre >= 0) { /* reopening a descriptor through /proc checks the file it names */
    snprintf(path, sizeof path, "/proc/self/fd/%d", pre);
    refused_open("reopening a pre-jail descriptor for writing through /proc/self/fd refused", path, O_WRONLY);
  }
  struct stat st;
  check("the outside file is untouched", stat(victim, &st) == 0 && st.st_size == 4, NULL);
  return failures != 0;
}
