/* bundle/basket.h — transactions (baskets x items, CSR), item supports,
 * co-occurrence, frequent itemsets and association rules.
 *
 *     br_baskets *b = NULL;
 *     br_baskets_read(&b, "retail.dat", ' ');          // one basket per line
 *     br_mine_options o;
 *     br_mine_options_init(&o);
 *     o.min_support = 0.001;
 *     br_itemsets *sets = NULL;
 *     if (br_baskets_frequent(&sets, b, &o) != BR_OK) puts(br_last_error());
 *     for (int64_t k = 0; k < br_itemsets_count(sets); k++) { ... }
 *     br_itemsets_free(sets);
 *     br_baskets_free(b);
 *
 * Items are dense ids 0..nitems-1 with text labels; each basket's items are
 * sorted and distinct. Objects returned through `**out` belong to the
 * caller; on failure *out is untouched and br_last_error() says why.
 */
#ifndef BUNDLE_BASKET_H
#define BUNDLE_BASKET_H

#include <stddef.h>
#include <stdint.h>

#include "bundle/error.h"
#include "bundle/frame.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct br_baskets br_baskets;

/* Which frame columns make the baskets. basket and item are required; the
 * others (NULL when absent) add per-basket user, time (first line's) and
 * revenue (sum of quantity x price, or of price when no quantity). */
typedef struct br_baskets_spec {
  const char *basket, *item, *user, *time, *quantity, *price;
  /* A composite key instead of `basket` (which is then ignored): rows with
   * equal values in all these columns form one basket (member + day). */
  const char *const *basket_columns;
  int nbasket_columns;
  /* A column of item descriptions (NULL: none): an item's name is the
   * first non-null value on its lines, for people (printing, reports);
   * the label stays the item's identity. */
  const char *name;
} br_baskets_spec;

/* Groups the frame's rows into baskets (in order of first appearance);
 * rows with a null basket key (in any key column) or item are skipped. */
br_status br_baskets_from_frame(br_baskets **out, const br_frame *f, const br_baskets_spec *spec);
/* Reads a one-basket-per-line file of integer item tokens (FIMI format);
 * sep is the token separator (spaces and tabs are always accepted). A
 * non-integer token is an error naming its line. */
br_status br_baskets_read(br_baskets **out, const char *path, char sep);
/* Baskets are reference counted: br_baskets_retain adds a holder (and
 * returns b), br_baskets_free drops one and frees with the last. Objects
 * that read labels from baskets they were mined from (the Lua Itemsets and
 * Rules) hold a reference, so closing the baskets' own handle first is
 * safe. The count is not atomic: share baskets between threads only
 * read-only and with each holder retained up front. */
br_baskets *br_baskets_retain(const br_baskets *b);

/* Reads a one-basket-per-line file of item names, kept as text ("007"
 * stays "007"). With sep ' ' names are split at spaces and tabs; with any
 * other sep at that character only, and trimmed of surrounding blanks. A
 * name may be quoted ("salt, fine"; "" is a quote inside it), and then
 * holds separators and spaces. An unclosed quote is an error naming its
 * line; empty lines are empty baskets. */
br_status br_baskets_read_names(br_baskets **out, const char *path, char sep);
void br_baskets_free(br_baskets *b);
/* nbaskets empty baskets over the items labels[0..n) (ids in that order;
 * labels distinct), with names[i] as item i's description where names and
 * names[i] are not NULL: the label dictionary of rules read back from a
 * file (their measures came from baskets that are not there). */
br_status br_baskets_from_labels(br_baskets **out, int64_t nbaskets, const char *const *labels, const size_t *lens,
                                 int32_t n, const char *const *names, const size_t *name_lens);

int64_t br_baskets_size(const br_baskets *b);   /* baskets */
int32_t br_baskets_nitems(const br_baskets *b); /* distinct items */
/* CSR: items of basket k are items[offsets[k] .. offsets[k+1]). */
const int64_t *br_baskets_offsets(const br_baskets *b);
const int32_t *br_baskets_items(const br_baskets *b);
const char *br_baskets_label(const br_baskets *b, int32_t item, size_t *len);
int32_t br_baskets_find(const br_baskets *b, const char *label, size_t len); /* or -1 */
/* The item's description (br_baskets_spec.name), or NULL when the baskets
 * have none or the item had no non-null one. Filtered baskets keep them. */
const char *br_baskets_name(const br_baskets *b, int32_t item, size_t *len);
/* Per-basket extras, or NULL when the baskets were made without them. */
const int64_t *br_baskets_times(const br_baskets *b);
const double *br_baskets_revenue(const br_baskets *b);
/* The user of basket k as text ("" when none), for any user column type. */
const char *br_baskets_user(const br_baskets *b, int64_t k, size_t *len);
/* The baskets' arrays at once, for loops in other modules (the catalogue's
 * join, backtests): n baskets, nitems items, off (n + 1), items, and times
 * and user codes (-1: none; equal codes are one user), NULL when absent.
 * b may be NULL (all zero). Valid while b is. */
typedef struct br_baskets_view {
  int64_t n;
  int32_t nitems;
  const int64_t *off;
  const int32_t *items;
  const int64_t *times;
  const int32_t *user;
} br_baskets_view;
br_baskets_view br_baskets_view_of(const br_baskets *b);

/* counts[i] = number of baskets holding item i (nitems entries). */
void br_baskets_item_support(const br_baskets *b, int64_t *counts);
/* The baskets where mask[k] != 0; items and labels are kept as they are. */
br_status br_baskets_filter(br_baskets **out, const br_baskets *b, const double *mask);

/* Pairs (a < b) bought together in at least min_count baskets. Counted item
 * by item through an inverted index with one dense counter row, so memory
 * is O(items + pairs found) however large the baskets. The arrays are the
 * caller's, charged to the memory budget until each is freed with
 * br_free_out (bundle/memory.h). */
br_status br_baskets_cooccurrence(const br_baskets *b, int64_t min_count, int64_t *npairs,
                                  int32_t **a, int32_t **bb, int64_t **count);

/* ---- frequent itemsets ---- */

typedef struct br_itemsets br_itemsets;

typedef struct br_mine_options {
  double min_support;      /* fraction of baskets (used when min_count is 0) */
  int64_t min_count;       /* absolute count; 0: from min_support */
  int min_size, max_size;  /* itemset sizes reported (max 0: no limit) */
  int closed, maximal;     /* report only closed / only maximal itemsets */
  int64_t top;             /* keep the `top` most frequent (0: all); prunes while mining */
  const int32_t *include;  /* items every itemset must contain */
  int ninclude;
  const int32_t *exclude;  /* items never in an itemset */
  int nexclude;
  const double *weights;   /* per-basket weights (>= 0): weighted support beside counts */
  const double *item_weights; /* per-item weights (e.g. unit margin, nitems entries): an
                               * itemset's weight is the sum over its baskets of the sum of
                               * its items' weights (times the basket's weight if given) */
  int64_t max_itemsets;    /* stop with an error past this many (0: 5 million) */
} br_mine_options;

void br_mine_options_init(br_mine_options *o);

/* Every itemset whose count (baskets containing all its items) is at least
 * min_count, or ceil(min_support x baskets) with no rounding of the
 * fraction: count >= min_support * n exactly. Uses occurrence delivery
 * (LCM) over baskets reduced to frequent items. */
br_status br_baskets_frequent(br_itemsets **out, const br_baskets *b, const br_mine_options *o);
void br_itemsets_free(br_itemsets *s);

int64_t br_itemsets_count(const br_itemsets *s);
/* Items of itemset k (sorted ids) and its size. */
const int32_t *br_itemsets_items(const br_itemsets *s, int64_t k, int *size);
int64_t br_itemsets_support_count(const br_itemsets *s, int64_t k);
double br_itemsets_weight(const br_itemsets *s, int64_t k); /* NaN without weights */
int64_t br_itemsets_nbaskets(const br_itemsets *s);
/* Reorders by count descending (ties: smaller first, then by items). */
void br_itemsets_sort_by_count(br_itemsets *s);

typedef enum br_itemset_order { BR_ORDER_COUNT, BR_ORDER_SIZE, BR_ORDER_WEIGHT } br_itemset_order;
/* A copy of the first k itemsets (all when k < 0 or k > count) in the given
 * order: count descending, size descending, or weight descending (ties by
 * count). BR_ORDER_WEIGHT needs weights. */
br_status br_itemsets_select(br_itemsets **out, const br_itemsets *s, br_itemset_order by, int64_t k);

/* ---- association rules ---- */

typedef enum br_measure {
  BR_M_SUPPORT, BR_M_COUNT, BR_M_COVERAGE, BR_M_CONFIDENCE, BR_M_LIFT, BR_M_LEVERAGE,
  BR_M_CONVICTION, BR_M_JACCARD, BR_M_COSINE, BR_M_KULCZYNSKI, BR_M_ALL_CONFIDENCE,
  BR_M_CHI_SQUARED, BR_M_FISHER_P,
  BR_MEASURE_COUNT
} br_measure;

const char *br_measure_name(br_measure m); /* "lift", "fisher_p", ... */
br_status br_measure_parse(br_measure *m, const char *s);

/* All measures of a rule X => Y from n (baskets), nx, ny and nxy counts. */
void br_rule_measures(double *out /* BR_MEASURE_COUNT */, int64_t n, int64_t nx, int64_t ny,
                      int64_t nxy);

typedef struct br_rules br_rules;

typedef struct br_rule_options {
  double min_confidence, min_lift; /* 0: no bound */
  int rhs_size;                    /* items in the consequent (default 1) */
  int64_t top;                     /* keep the best `top` by `by` (0: all) */
  br_measure by;                   /* ranking measure (default lift) */
} br_rule_options;

void br_rule_options_init(br_rule_options *o);

/* Rules from frequent itemsets: for each itemset Z of size >= rhs_size + 1
 * and each split Z = X u Y with |Y| = rhs_size. The itemsets must hold
 * every subset they need (mine without top/closed/maximal/include). Sorted
 * by `by`, descending. */
br_status br_itemsets_rules(br_rules **out, const br_itemsets *sets, const br_rule_options *o);
void br_rules_free(br_rules *r);
int64_t br_rules_count(const br_rules *r);
const int32_t *br_rules_lhs(const br_rules *r, int64_t k, int *size);
const int32_t *br_rules_rhs(const br_rules *r, int64_t k, int *size);
const double *br_rules_measures(const br_rules *r, int64_t k); /* BR_MEASURE_COUNT values */

/* A rule set given whole (rules read back from a file): rule k's antecedent
 * is lhs[lhs_off[k] .. lhs_off[k+1]), its consequent likewise, its measures
 * m[k * BR_MEASURE_COUNT ..]; ids below nitems, each side non-empty (they
 * are sorted and repeats dropped here). */
br_status br_rules_from_parts(br_rules **out, int32_t nitems, int64_t n, const int64_t *lhs_off, const int32_t *lhs,
                              const int64_t *rhs_off, const int32_t *rhs, const double *m);

/* Indices of the rules whose antecedent is contained in the sorted item
 * list `basket` (and whose consequent is not already in it), best first by
 * the rules' order. *idx is the caller's (free it with br_free_out). Uses an index from
 * each antecedent's rarest item, so a basket visits only rules that can
 * match. */
br_status br_rules_match(const br_rules *r, const int32_t *basket, int n, int64_t **idx,
                         int64_t *nmatch);

/* ---- operations on a rule set: each makes a new set (the caller owns it,
 * br_rules_free) and leaves r as it was; on failure *out is untouched ---- */

/* The rules idx[0..n) of r, in that order (an index may repeat). */
br_status br_rules_subset(br_rules **out, const br_rules *r, const int64_t *idx, int64_t n);

/* r ordered by measure `by`, decreasing or increasing; ties keep their
 * order (a stable sort), NaN last either way. */
br_status br_rules_sort(br_rules **out, const br_rules *r, br_measure by, int decreasing);

/* Which side of a rule br_rules_with_items looks at. */
typedef enum br_rule_side { BR_SIDE_LHS, BR_SIDE_RHS, BR_SIDE_BOTH } br_rule_side;

/* The rules whose `side` holds any of items[0..n) (all of them when `all`),
 * in r's order; arules' %in% and %ain%. Unsorted items and repeats are fine. */
br_status br_rules_with_items(br_rules **out, const br_rules *r, br_rule_side side, const int32_t *items, int n,
                              int all);

/* 1 in redundant[k] (r->n entries, caller-allocated) when rule k is
 * redundant in the sense of arules' is.redundant: some rule of r with the
 * same consequent and an antecedent that is a proper subset of k's has a
 * confidence at least k's. */
br_status br_rules_redundant(const br_rules *r, unsigned char *redundant);

/* ---- deep copies (basket_clone.c, basket_rules.c) ----
 * A copy shares nothing with the original: every array and label
 * dictionary is copied (through br_alloc, charged to the budget), so
 * either may be freed while the other is used. A baskets copy starts with
 * one holder. Itemsets and rules hold item ids, not labels: their copy
 * reads labels from a copy of their baskets (or the original's, while it
 * lives). On failure *out is untouched and br_last_error() says why. */
br_status br_baskets_clone(br_baskets **out, const br_baskets *b);
br_status br_itemsets_clone(br_itemsets **out, const br_itemsets *s);
br_status br_rules_clone(br_rules **out, const br_rules *r);

#ifdef __cplusplus
}
#endif
#endif
