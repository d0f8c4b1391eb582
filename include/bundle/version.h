/* bundle/version.h — the library version.
 *
 *     printf("bundlerun %s\n", br_version());
 */
#ifndef BUNDLE_VERSION_H
#define BUNDLE_VERSION_H

#define BR_VERSION_MAJOR 0
#define BR_VERSION_MINOR 1
#define BR_VERSION_PATCH 0
#define BR_VERSION "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the linked library (may differ from BR_VERSION in headers). */
const char *br_version(void);

#ifdef __cplusplus
}
#endif
#endif
