/* Run-time CPU dispatch for hot loops (GCC function multiversioning).
 *
 * BR_KERNEL before a function definition builds it three times, for
 * x86-64-v4 (AVX-512), x86-64-v3 (AVX2 + FMA) and the baseline, and the
 * loader picks the best this CPU runs (an ifunc, resolved once). The build
 * machine's CPU does not matter: never -march=native. Clang, other CPUs and
 * -DBR_NO_CLONES get one portable build. */
#ifndef BUNDLE_SIMD_DISPATCH_H
#define BUNDLE_SIMD_DISPATCH_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(BR_NO_CLONES)
#define BR_KERNEL __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define BR_HAVE_CLONES 1
#else
#define BR_KERNEL
#define BR_HAVE_CLONES 0
#endif

/* The level BR_KERNEL functions run at on this CPU: "x86-64-v4",
 * "x86-64-v3" or "baseline" (for benchmarks and reports). */
const char *br_simd_level(void);

#endif
