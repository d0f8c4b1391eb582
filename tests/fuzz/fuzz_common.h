/* Shared by the libFuzzer targets: the readers under test take paths, so
 * each input goes to one file in /dev/shm (memory, not disk) per process. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *fuzz_path(const char *ext) {
  static char path[128];
  if (!path[0]) snprintf(path, sizeof path, "/dev/shm/bundle-fuzz-%ld%s", (long)getpid(), ext);
  return path;
}

/* Writes the input to the target's file; returns its path. */
static const char *fuzz_write(const uint8_t *data, size_t size, const char *ext) {
  const char *p = fuzz_path(ext);
  FILE *f = fopen(p, "wb");
  if (!f) abort();
  if (size && fwrite(data, 1, size, f) != size) abort();
  fclose(f);
  return p;
}

#endif
