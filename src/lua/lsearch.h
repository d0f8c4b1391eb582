/* Shared by the search binding files (lsearch*.c): the Bundle view handed
 * to Lua objectives, the C callbacks that call Lua, and results. */
#ifndef BUNDLE_LSEARCH_H
#define BUNDLE_LSEARCH_H

#include "lbundle.h"


/* The Bundle view: one userdata, re-pointed at each bundle, so a Lua
 * objective call allocates nothing. */
typedef struct bundle_view {
  const br_bundle_stats *st;
  const br_catalog *cat;
  const int32_t *items;
  int n;
} bundle_view;

/* A Lua function the core calls: its stack index, the view's, and what
 * the view reads from. */
typedef struct lua_callback {
  lua_State *L;
  int fn, view;
  const br_catalog *cat;
} lua_callback;

/* A search result: the core result and a core reference to the catalogue
 * its labels come from (held until the result is closed, so closing the
 * Catalog first is safe). */
typedef struct result_box {
  br_search_result *res;
  br_catalog *cat;
} result_box;

LBR_HIDDEN br_catalog *lbr_catalog_check(lua_State *L, int idx);
LBR_HIDDEN const char *lbr_catalog_label(const void *owner, int32_t id, size_t *len);
/* The item's description (bundle.catalog's name option), else its label. */
LBR_HIDDEN const char *lbr_catalog_name_or_label(const void *owner, int32_t id, size_t *len);
/* Pushes a new view (valid only inside callbacks). */
LBR_HIDDEN bundle_view *lbr_view_push(lua_State *L, const br_bundle_stats *st, const br_catalog *cat);
LBR_HIDDEN double lbr_call_objective(void *ctx, const int32_t *items, int n, int *fail);
LBR_HIDDEN double lbr_call_bound(void *ctx, const int32_t *items, int n, int slots, int *fail);
LBR_HIDDEN int lbr_call_compatible(void *ctx, int32_t a, int32_t b);
LBR_HIDDEN void lbr_view_open(lua_State *L);
/* Pushes a result holding res; keeps the catalogue (stack index cat: its
 * userdata as user value 1 and a core reference to c) and, with several
 * objectives, their names (stack index names, or 0). */
LBR_HIDDEN void lbr_result_push(lua_State *L, br_search_result *res, int cat, const br_catalog *c, int names);
LBR_HIDDEN void lbr_result_open(lua_State *L);

#endif
