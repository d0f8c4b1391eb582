/* Making Baskets and Itemsets from other core modules (the dist module),
 * which may not see their structures: basket_internal.h is the basket
 * module's own (basket*.c). Reading needs no more than bundle/basket.h
 * (br_baskets_view_of, br_baskets_label, br_itemsets_items, ...).
 * Everything here is charged to the memory budget (br_alloc). */
#ifndef BUNDLE_BASKET_BUILD_H
#define BUNDLE_BASKET_BUILD_H

#include "bundle/basket.h"
#include "frame_internal.h" /* strdict */

/* ---- baskets, one at a time ---- */

typedef struct baskets_builder baskets_builder;

/* A builder of baskets over the items of `like`: its labels are shared
 * (retained), so ids keep their meaning; item names, times, revenue and
 * users are not carried. cap_baskets and cap_items are the baskets and
 * items expected in all (a hint: more grow the arrays). NULL when out of
 * memory, with the error set. */
baskets_builder *baskets_builder_like(const br_baskets *like, int64_t cap_baskets, int64_t cap_items);
/* Room for up to m items of the next basket, valid until the next call on
 * bb; NULL when out of memory (error set; bb stays usable for _free). */
int32_t *baskets_builder_room(baskets_builder *bb, int64_t m);
/* Ends the next basket with the first `used` (<= m) items written at the
 * room: ids below the like baskets' item count, sorted and distinct, as
 * the basket module expects. */
void baskets_builder_close(baskets_builder *bb, int64_t used);
/* The baskets built (the caller's, br_baskets_free); frees bb. */
br_baskets *baskets_builder_finish(baskets_builder *bb);
void baskets_builder_free(baskets_builder *bb); /* NULL is fine */

/* A copy of b whose item i is map[i] (an id in labels, which the copy
 * retains; the caller keeps its own reference), each basket re-sorted.
 * Per-basket times, revenue and users are kept; item names are not (they
 * are per item of the old ids). */
br_status baskets_relabel(br_baskets **out, const br_baskets *b, strdict *labels, const int32_t *map);

/* ---- itemsets (basket_fim.c) ---- */

br_itemsets *itemsets_new(int64_t nbaskets, int32_t nitems, int weighted);
/* Appends an itemset (items sorted by the caller); 0 when out of memory. */
int itemsets_push(br_itemsets *s, const int32_t *items, int size, int64_t count, double weight);
/* The support count of every item (the nitems given to itemsets_new). */
void itemsets_set_item_counts(br_itemsets *s, const int64_t *counts);

#endif
