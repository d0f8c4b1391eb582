/* Private to the basket module (basket.c, fim.c, rules.c). */
#ifndef BUNDLE_BASKET_INTERNAL_H
#define BUNDLE_BASKET_INTERNAL_H

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

/* Appends an itemset (items sorted by the caller); 0 when out of memory. */
int itemsets_push(br_itemsets *s, const int32_t *items, int size, int64_t count, double weight);
br_itemsets *itemsets_new(int64_t nbaskets, int32_t nitems, int weighted);

#endif
