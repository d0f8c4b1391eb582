/* Which of BR_KERNEL's builds this CPU runs (simd_dispatch.h). The tests
 * mirror GCC's own choice for target_clones' arch= levels. */
#include "simd_dispatch.h"

const char *br_simd_level(void) {
#if BR_HAVE_CLONES
  __builtin_cpu_init();
  if (__builtin_cpu_supports("x86-64-v4")) return "x86-64-v4";
  if (__builtin_cpu_supports("x86-64-v3")) return "x86-64-v3";
#endif
  return "baseline";
}
