/* bundle/rng.h — one seeded, reproducible random generator for everything.
 *
 *     br_rng r;
 *     br_rng_seed(&r, 42);
 *     double u = br_rng_uniform(&r);      // [0, 1)
 *     double z = br_rng_normal(&r);       // N(0, 1)
 *     uint64_t k = br_rng_below(&r, 10);  // 0..9, unbiased
 *
 * The generator is xoshiro256** seeded through splitmix64: the same seed gives
 * the same stream on every platform. The struct is public so that callers can
 * keep one by value inside their own state; treat its fields as private.
 */
#ifndef BUNDLE_RNG_H
#define BUNDLE_RNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct br_rng {
  uint64_t s[4];
  double spare;   /* second normal deviate of the last Box-Muller pair */
  int has_spare;
} br_rng;

/* Seeds r; any 64-bit seed (0 included) gives a valid, distinct stream. */
void br_rng_seed(br_rng *r, uint64_t seed);

/* The next 64 random bits. */
uint64_t br_rng_next(br_rng *r);

/* A uniform double in [0, 1) with 53 random bits. */
double br_rng_uniform(br_rng *r);

/* A standard normal deviate (Box-Muller, both values of a pair used). */
double br_rng_normal(br_rng *r);

/* A uniform integer in [0, n), without modulo bias; returns 0 when n == 0. */
uint64_t br_rng_below(br_rng *r, uint64_t n);

/* Shuffles idx[0..n) in place (Fisher-Yates). */
void br_rng_shuffle(br_rng *r, size_t *idx, size_t n);

#ifdef __cplusplus
}
#endif
#endif
