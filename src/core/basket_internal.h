/* Private to the basket module (basket*.c): other modules build and read
 * baskets and itemsets through basket_build.h and bundle/basket.h
 * (tests/lua/core_layout_spec.lua checks who includes this). */
#ifndef BUNDLE_BASKET_INTERNAL_H
#define BUNDLE_BASKET_INTERNAL_H

#include "basket_build.h"
#include "bundle/basket.h"
#include "frame_internal.h"

struct br_baskets {
  int64_t n;
  int32_t nitems;
  int64_t *off;      /* n + 1 */
  int32_t *items;    /* off[n] entries; sorted, distinct within a basket */
  strdict *labels;   /* item id == dictionary code */
  int64_t *times;    /* NULL or n */
  double *revenue;   /* NULL or n */
  strdict *users;    /* NULL, or user texts */
  int32_t *user;     /* NULL or n codes into users (-1: none) */
  strdict *names;    /* NULL, or item description texts (the spec's name column) */
  int32_t *name;     /* NULL or nitems codes into names (-1: none) */
  int refs;          /* holders beyond the first (br_baskets_retain); not atomic */
};

struct br_itemsets {
  int64_t n, cap;        /* itemsets */
  int64_t *off;          /* n + 1 */
  int32_t *items;        /* sorted ids */
  int64_t len, cap_items;
  int64_t *count;
  double *weight;        /* NULL without weights */
  int64_t nbaskets;
  int32_t nitems;        /* of the baskets mined */
  int64_t *item_count;   /* support count of every item (nitems) */
};

#endif
