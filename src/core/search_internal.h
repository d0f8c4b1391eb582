/* Private to the search module (catalog.c, search.c). */
#ifndef BUNDLE_SEARCH_INTERNAL_H
#define BUNDLE_SEARCH_INTERNAL_H

#include "bundle/search.h"

/* The catalogue a set of bundle statistics was built on. */
const br_catalog *bundle_stats_catalog(const br_bundle_stats *s);

#endif
