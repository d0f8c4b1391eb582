/* The kernel's walls around a sandboxed bundlerun script (src/jail.c):
 * resource limits, Landlock and a seccomp filter, applied by the child
 * process that runs the script, after it has loaded everything it needs
 * and before the script's first instruction. */
#ifndef BUNDLERUN_JAIL_H
#define BUNDLERUN_JAIL_H

#include <stddef.h>

#define JAIL_MAX_DIRS 32

typedef struct jail_opts {
  const char *read[JAIL_MAX_DIRS], *write[JAIL_MAX_DIRS]; /* --allow-read / --allow-write */
  int nread, nwrite;
  double max_mb;        /* --max-memory, 0 for none: RLIMIT_AS is that plus what is mapped now plus a margin */
  double timeout;       /* --timeout, 0 for none: RLIMIT_CPU a little past it */
  int require_landlock; /* a kernel without Landlock is an error, not a warning */
} jail_opts;

/* Applies the limits to the calling process (and any threads it starts
 * later). Returns 0, or -1 with a message in err. A kernel without Landlock
 * is reported on stderr and passed unless o->require_landlock. Irreversible. */
int jail_enter(const jail_opts *o, char *err, size_t errlen);

/* Landlock's ABI version on this kernel, or 0 when it has none. */
int jail_landlock_abi(void);

#endif
