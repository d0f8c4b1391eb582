/* The kernel's walls around a sandboxed script: the second line of defence
 * behind the Lua sandbox (src/lua/lsandbox.c), for the day a bug in Lua, in
 * bundle's C core or in the sandbox itself lets a script out.
 *
 *  - setrlimit: address space (--max-memory plus what the runtime has
 *    mapped already plus a margin for its threads' stacks and arenas), CPU
 *    time (--timeout plus two seconds), at most 256 open files, no core
 *    dumps.
 *  - Landlock: reads only under --allow-read, writes only under
 *    --allow-write. Applied once the runtime has started and the script is
 *    compiled, so nothing else (shared libraries, the script file) is ever
 *    opened again; the rules follow files, not path strings, so symlinks
 *    and ".." lead nowhere new.
 *  - seccomp (libseccomp, when built with it): no execve, no new processes
 *    (threads are fine: OpenBLAS and bundle's own pools use them), no
 *    sockets, no ptrace, and none of the administrative calls a script
 *    never needs. */
#define _GNU_SOURCE
#include "jail.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define JAIL_ASAN 1
#else
#define JAIL_ASAN 0
#endif

/* Rights newer than the installed <linux/landlock.h> may know of. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#define JAIL_NET_BIND_TCP (1ULL << 0)
#define JAIL_NET_CONNECT_TCP (1ULL << 1)
#define JAIL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define JAIL_SCOPE_SIGNAL (1ULL << 1)

/* The kernel's struct landlock_ruleset_attr as of ABI 6; older kernels are
 * given only the fields they know (its size says which). */
struct jail_ruleset_attr {
  uint64_t handled_access_fs, handled_access_net, scoped;
};

#define MARGIN_MB 512.0 /* address space for the runtime's own threads, stacks and malloc arenas */

static int fail(char *err, size_t errlen, const char *what) {
  snprintf(err, errlen, "%s: %s", what, strerror(errno));
  return -1;
}

int jail_landlock_abi(void) {
  long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi > 0 ? (int)abi : 0;
}

/* Address space in use now, from /proc/self/statm (pages). */
static double mapped_mb(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  if (f) {
    if (fscanf(f, "%lu", &pages) != 1) pages = 0;
    fclose(f);
  }
  return (double)pages * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}

static int set_limits(const jail_opts *o, char *err, size_t errlen) {
  struct rlimit r = {0, 0};
  if (setrlimit(RLIMIT_CORE, &r) != 0) return fail(err, errlen, "setrlimit(RLIMIT_CORE)");
  /* bundle holds a few files open at a time (a reader, an atomic writer) */
  r.rlim_cur = r.rlim_max = 256;
  if (setrlimit(RLIMIT_NOFILE, &r) != 0) return fail(err, errlen, "setrlimit(RLIMIT_NOFILE)");
  if (o->timeout > 0) {
    /* CPU time of all threads: a multi-threaded call can use it faster
     * than the wall clock runs; SIGXCPU at the soft limit, SIGKILL at the hard */
    r.rlim_cur = (rlim_t)o->timeout + 2;
    r.rlim_max = r.rlim_cur + 1;
    if (setrlimit(RLIMIT_CPU, &r) != 0) return fail(err, errlen, "setrlimit(RLIMIT_CPU)");
  }
  /* ASan reserves terabytes of shadow address space up front: an address
   * space limit would only break the sanitizer build */
  if (o->max_mb > 0 && !JAIL_ASAN) {
    double mb = mapped_mb() + o->max_mb + MARGIN_MB;
    r.rlim_cur = r.rlim_max = (rlim_t)(mb * 1048576.0);
    if (setrlimit(RLIMIT_AS, &r) != 0) return fail(err, errlen, "setrlimit(RLIMIT_AS)");
  }
  return 0;
}

static int add_dir(int ruleset, const char *dir, uint64_t rights, char *err, size_t errlen) {
  struct landlock_path_beneath_attr pb = {.allowed_access = rights};
  pb.parent_fd = open(dir, O_PATH | O_CLOEXEC);
  if (pb.parent_fd < 0) {
    snprintf(err, errlen, "landlock: %s: %s", dir, strerror(errno));
    return -1;
  }
  int rc = (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
  int e = errno;
  close(pb.parent_fd);
  errno = e;
  if (rc != 0) {
    snprintf(err, errlen, "landlock: rule for %s: %s", dir, strerror(errno));
    return -1;
  }
  return 0;
}

/* 1 when applied, 0 when the kernel has no Landlock, -1 on an error. */
static int landlock(const jail_opts *o, char *err, size_t errlen) {
  int abi = jail_landlock_abi();
  if (abi == 0) return 0;
  uint64_t read = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
  uint64_t write = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
                   LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG;
  uint64_t other = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_SOCK |
                   LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
  if (abi >= 2) write |= LANDLOCK_ACCESS_FS_REFER;    /* renames across directories */
  if (abi >= 3) write |= LANDLOCK_ACCESS_FS_TRUNCATE;
  if (abi >= 5) other |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
  struct jail_ruleset_attr attr = {.handled_access_fs = read | write | other};
  size_t size = sizeof attr.handled_access_fs;
  if (abi >= 4) { /* no TCP at all (seccomp also refuses sockets) */
    attr.handled_access_net = JAIL_NET_BIND_TCP | JAIL_NET_CONNECT_TCP;
    size += sizeof attr.handled_access_net;
  }
  if (abi >= 6) { /* no signals to processes outside, no abstract sockets */
    attr.scoped = JAIL_SCOPE_ABSTRACT_UNIX_SOCKET | JAIL_SCOPE_SIGNAL;
    size += sizeof attr.scoped;
  }
  int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
  if (rs < 0) return fail(err, errlen, "landlock_create_ruleset");
  int rc = 0;
  for (int i = 0; rc == 0 && i < o->nread; i++) rc = add_dir(rs, o->read[i], read, err, errlen);
  /* writing needs the directory listed (the atomic writer syncs it) and
   * bundle reads back what it wrote; bundle's own allow-list still
   * refuses reads outside --allow-read */
  for (int i = 0; rc == 0 && i < o->nwrite; i++) rc = add_dir(rs, o->write[i], read | write, err, errlen);
  if (rc == 0 && syscall(SYS_landlock_restrict_self, rs, 0) != 0) rc = fail(err, errlen, "landlock_restrict_self");
  close(rs);
  return rc == 0 ? 1 : -1;
}

#ifdef HAVE_SECCOMP
static int seccomp(char *err, size_t errlen) {
  /* EPERM rather than a kill: the script sees a failed call, the runtime
   * reports it; nothing a script can reach makes these calls anyway */
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) {
    snprintf(err, errlen, "seccomp_init failed");
    return -1;
  }
  static const int denied[] = {
      SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(fork), SCMP_SYS(vfork), SCMP_SYS(ptrace),
      SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev), SCMP_SYS(kcmp), SCMP_SYS(pidfd_open),
      SCMP_SYS(pidfd_getfd), SCMP_SYS(socket), SCMP_SYS(socketpair), SCMP_SYS(connect), SCMP_SYS(bind),
      SCMP_SYS(listen), SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(mount), SCMP_SYS(umount2),
      SCMP_SYS(pivot_root), SCMP_SYS(chroot), SCMP_SYS(setns), SCMP_SYS(unshare), SCMP_SYS(keyctl),
      SCMP_SYS(add_key), SCMP_SYS(request_key), SCMP_SYS(bpf), SCMP_SYS(perf_event_open),
      SCMP_SYS(userfaultfd), SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register),
      SCMP_SYS(init_module), SCMP_SYS(finit_module), SCMP_SYS(delete_module), SCMP_SYS(kexec_load),
      SCMP_SYS(kexec_file_load), SCMP_SYS(reboot), SCMP_SYS(swapon), SCMP_SYS(swapoff), SCMP_SYS(syslog),
      SCMP_SYS(acct), SCMP_SYS(settimeofday), SCMP_SYS(clock_settime), SCMP_SYS(adjtimex),
      SCMP_SYS(sethostname), SCMP_SYS(setdomainname), SCMP_SYS(name_to_handle_at),
      SCMP_SYS(open_by_handle_at), SCMP_SYS(mknod), SCMP_SYS(mknodat), SCMP_SYS(chmod),
      SCMP_SYS(fchmodat), SCMP_SYS(chown), SCMP_SYS(fchown), SCMP_SYS(lchown), SCMP_SYS(fchownat),
      SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setreuid), SCMP_SYS(setregid), SCMP_SYS(setresuid),
      SCMP_SYS(setresgid), SCMP_SYS(setgroups), SCMP_SYS(capset), SCMP_SYS(personality),
      SCMP_SYS(iopl), SCMP_SYS(ioperm), SCMP_SYS(quotactl), SCMP_SYS(lookup_dcookie),
  };
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < sizeof denied / sizeof *denied; i++)
    if (denied[i] >= 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), denied[i], 0);
  /* clone: threads only. clone3 passes its flags in memory a filter cannot
   * read, so it says "not implemented" and glibc falls back to clone. */
  if (rc == 0)
    rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                          SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
  if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  if (rc == 0) rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc != 0) {
    snprintf(err, errlen, "seccomp: %s", strerror(-rc));
    return -1;
  }
  return 0;
}
#endif

int jail_enter(const jail_opts *o, char *err, size_t errlen) {
#if JAIL_ASAN
  /* LeakSanitizer's exit check reads /proc (Landlock refuses it) and
   * stops the world with clone and ptrace (the filter refuses them):
   * check for leaks now, which also turns the exit check off */
  __lsan_do_leak_check();
#endif
  /* no privileges gained through exec from here on: required to install
   * Landlock and seccomp without CAP_SYS_ADMIN, and right anyway */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS)");
  if (set_limits(o, err, errlen) != 0) return -1;
  int ll = landlock(o, err, errlen);
  if (ll < 0) return -1;
  if (ll == 0) {
    if (o->require_landlock) {
      snprintf(err, errlen, "this kernel has no Landlock (--require-landlock)");
      return -1;
    }
    fprintf(stderr, "bundlerun: warning: this kernel has no Landlock; only bundle's own checks limit file access\n");
  }
#ifdef HAVE_SECCOMP
  if (seccomp(err, errlen) != 0) return -1;
#else
  fprintf(stderr, "bundlerun: warning: built without libseccomp; no system-call filter\n");
#endif
  return 0;
}
