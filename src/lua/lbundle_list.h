/* The one reader of bundle lists and label lists for every binding.
 *
 * A bundle list is a Lua list whose entries are bundles: a list of item
 * labels, or a record whose `items` field is one (so records returned by
 * search, price.optimize and rules can be passed back). A label is a string
 * or an integer (its decimal text, as integer item columns label items).
 *
 * The rules, the same for every caller:
 * - each table's length (__len) is asked once and the entries are read in
 *   one pass, so a metamethod that answers differently the second time can
 *   never make the reader write past what it allocated;
 * - lengths are capped (LBR_LIST_MAX, or the caller's tighter max_items /
 *   max_bundles) before anything is allocated, so a __len of 2^40 is an
 *   error, not a 32 TiB allocation;
 * - errors name the function, the argument (its index, or the option that
 *   holds the list), the bundle and the item:
 *   "search: option 'pool': bundle 3 item 2: no item 'x' in the catalogue".
 * The arrays are userdata left on the stack, so an error leaks nothing. */
#ifndef BUNDLE_LBUNDLE_LIST_H
#define BUNDLE_LBUNDLE_LIST_H

#include "lbundle.h"

/* The cap on any list's length and on the items of all bundles together. */
#define LBR_LIST_MAX (1 << 24)

/* A label's id, or -1 when the owner has no such item. */
typedef int32_t (*lbr_find_fn)(const void *owner, const char *s, size_t len);

/* What to do with a label the owner does not know. */
enum { LBR_UNKNOWN_ERROR, LBR_UNKNOWN_KEEP /* as id -1 */, LBR_UNKNOWN_DROP };

typedef struct lbr_list_spec {
  const char *fn;   /* the function, "price.optimize" */
  const char *name; /* the list, "bundles" or "pool" */
  /* the argument holding it (errors say "bundles (argument #2)"); 0: name
   * is an option ("option 'pool'"); -1: the name alone, for core functions
   * that the Lua modules call with their own argument order */
  int arg;
  const char *elem; /* what an entry is called in errors: "bundle" (NULL) or "offer" */
  /* labels to ids; NULL: entries are 1-based integer ids, kept as id - 1
   * when in [1, id_max] and as -1 otherwise */
  lbr_find_fn find;
  const void *owner;
  const char *owner_name; /* "the catalogue", for "no item 'x' in the catalogue" */
  int32_t id_max;
  int raw_ids; /* with find NULL: keep each integer as it is (it must fit 32 bits) */
  int unknown;              /* LBR_UNKNOWN_* */
  int min_items, max_items; /* per bundle; max 0: LBR_LIST_MAX */
  int64_t min_bundles, max_bundles; /* max 0: LBR_LIST_MAX */
  int sort;   /* sort each bundle's ids (the core takes bundles sorted) */
  int unique; /* an item twice in one bundle is an error, naming it by label (may be NULL) */
  lbr_label_fn label;
  /* bundle lists only: read exactly `count` entries (not the list's
   * length), and take a nil entry as an empty bundle */
  int fixed;
  int64_t count;
} lbr_list_spec;

/* Bundles in CSR form: bundle k's ids are items[off[k] .. off[k+1]). */
typedef struct lbr_bundle_list {
  int64_t n;
  int64_t *off;
  int32_t *items;
} lbr_bundle_list;

/* Reads the bundle list at idx; pushes two userdata (items, offsets) that
 * hold the arrays and must stay on the stack while they are used. */
LBR_HIDDEN void lbr_read_bundles(lua_State *L, int idx, const lbr_list_spec *sp, lbr_bundle_list *out);

/* Reads one list of labels at idx into ids; pushes one userdata holding
 * them and returns their count (labels dropped by LBR_UNKNOWN_DROP are not
 * counted; *dropped, when given, counts them). */
LBR_HIDDEN int32_t *lbr_read_labels(lua_State *L, int idx, const lbr_list_spec *sp, int *n, int *dropped);

/* lbr_find_fn adapters for the two owners of labels. */
LBR_HIDDEN int32_t lbr_find_in_baskets(const void *baskets, const char *s, size_t len);
LBR_HIDDEN int32_t lbr_find_in_catalog(const void *catalog, const char *s, size_t len);

#endif
