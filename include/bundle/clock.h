/* bundle/clock.h — a monotonic wall clock for timing stages.
 *
 *     double t0 = br_clock_now();
 *     ... work ...
 *     printf("%.3f s\n", br_clock_now() - t0);
 */
#ifndef BUNDLE_CLOCK_H
#define BUNDLE_CLOCK_H

#ifdef __cplusplus
extern "C" {
#endif

/* Seconds on a monotonic clock (CLOCK_MONOTONIC), with nanosecond resolution.
 * Only differences are meaningful. */
double br_clock_now(void);

#ifdef __cplusplus
}
#endif
#endif
