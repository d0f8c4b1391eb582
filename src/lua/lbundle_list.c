/* The one reader of bundle lists and label lists (rules in lbundle_list.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lbundle_list.h"

int32_t lbr_find_in_baskets(const void *baskets, const char *s, size_t len) {
  return br_baskets_find(baskets, s, len);
}

int32_t lbr_find_in_catalog(const void *catalog, const char *s, size_t len) {
  return br_catalog_find(catalog, s, len);
}

/* "fn: bundles (argument #2): bundle 3 item 2", the place an error names;
 * k or i of 0 leaves that part out. */
static void place(char *buf, size_t size, const lbr_list_spec *sp, int64_t k, int64_t i) {
  int w = sp->arg > 0    ? snprintf(buf, size, "%s: %s (argument #%d)", sp->fn, sp->name, sp->arg)
          : sp->arg == 0 ? snprintf(buf, size, "%s: option '%s'", sp->fn, sp->name)
                         : snprintf(buf, size, "%s: %s", sp->fn, sp->name);
  if (w < 0 || (size_t)w >= size) return;
  if (k > 0) {
    w += snprintf(buf + w, size - (size_t)w, ": %s %lld", sp->elem ? sp->elem : "bundle", (long long)k);
    if (w < 0 || (size_t)w >= size) return;
  }
  if (i > 0) snprintf(buf + w, size - (size_t)w, "%s item %lld", k > 0 ? "" : ":", (long long)i);
}

/* The length of the table on the stack top, asked once and checked
 * against [lo, hi] before anything is allocated for it. */
static int64_t checked_len(lua_State *L, const lbr_list_spec *sp, int64_t k, int64_t lo, int64_t hi,
                           const char *what) {
  int64_t m = (int64_t)luaL_len(L, -1);
  if (m < lo || m > hi) {
    char where[256];
    place(where, sizeof where, sp, k, 0);
    if (m == 0) lbr_errorf(L, "%s has no %s (at least %lld)", where, what, (long long)lo);
    lbr_errorf(L, "%s holds %lld %s; %s %lld", where, (long long)m, what, m < lo ? "at least" : "at most",
               (long long)(m < lo ? lo : hi));
  }
  return m;
}

/* The id of the entry on the stack top (popped), or -2 for a label the
 * owner does not know that LBR_UNKNOWN_DROP drops. */
static int32_t read_id(lua_State *L, const lbr_list_spec *sp, int64_t k, int64_t i) {
  char where[256];
  int t = lua_type(L, -1);
  int32_t id;
  if (!sp->find) {
    int ok;
    lua_Integer v = lua_tointegerx(L, -1, &ok);
    if (!ok || t != LUA_TNUMBER) {
      place(where, sizeof where, sp, k, i);
      lbr_errorf(L, "%s must be an integer id, got %s", where, t == LUA_TNUMBER ? "a fraction" : luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    if (sp->raw_ids) {
      if (v < INT32_MIN || v > INT32_MAX) {
        place(where, sizeof where, sp, k, i);
        lbr_errorf(L, "%s: id %lld does not fit 32 bits", where, (long long)v);
      }
      return (int32_t)v;
    }
    return v >= 1 && v <= sp->id_max ? (int32_t)(v - 1) : -1;
  }
  if (t != LUA_TSTRING && !(t == LUA_TNUMBER && lua_isinteger(L, -1))) {
    place(where, sizeof where, sp, k, i);
    lbr_errorf(L, "%s must be an item label (a string or an integer), got %s", where,
               t == LUA_TNUMBER ? "a fraction" : luaL_typename(L, -1));
  }
  size_t len;
  const char *s = lua_tolstring(L, -1, &len); /* an integer becomes its text in this stack slot */
  id = sp->find(sp->owner, s, len);
  if (id < 0 && sp->unknown == LBR_UNKNOWN_ERROR) {
    place(where, sizeof where, sp, k, i);
    lbr_errorf(L, "%s: no item '%.60s' in %s", where, s, sp->owner_name ? sp->owner_name : "the data");
  }
  if (id < 0) id = sp->unknown == LBR_UNKNOWN_DROP ? -2 : -1;
  lua_pop(L, 1);
  return id;
}

/* Sorts v[0..n) (bundles are short: insertion sort) and, with unique,
 * raises on a repeat. */
static void sort_unique(lua_State *L, const lbr_list_spec *sp, int64_t k, int32_t *v, int64_t n) {
  if (!sp->sort && !sp->unique) return;
  for (int64_t i = 1; i < n; i++) {
    int32_t x = v[i];
    int64_t j = i;
    for (; j > 0 && v[j - 1] > x; j--) v[j] = v[j - 1];
    v[j] = x;
  }
  for (int64_t i = 1; sp->unique && i < n; i++)
    if (v[i] == v[i - 1] && v[i] >= 0) {
      char where[256];
      place(where, sizeof where, sp, k, 0);
      size_t len = 0;
      const char *s = sp->label ? sp->label(sp->owner, v[i], &len) : NULL;
      if (s) lbr_errorf(L, "%s lists '%.60s' twice", where, s);
      lbr_errorf(L, "%s lists item %d twice", where, (int)v[i] + 1);
    }
}

void lbr_read_bundles(lua_State *L, int idx, const lbr_list_spec *sp, lbr_bundle_list *out) {
  idx = lua_absindex(L, idx);
  luaL_checkstack(L, 8, "reading a bundle list");
  char where[256];
  if (!lua_istable(L, idx)) {
    place(where, sizeof where, sp, 0, 0);
    lbr_errorf(L, "%s must be a list of bundles (lists of item labels), got %s", where, luaL_typename(L, idx));
  }
  int64_t max_b = sp->max_bundles > 0 ? sp->max_bundles : LBR_LIST_MAX;
  int64_t max_i = sp->max_items > 0 ? sp->max_items : LBR_LIST_MAX;
  int64_t n;
  if (sp->fixed) {
    n = sp->count;
    if (n < 0 || n > max_b) {
      place(where, sizeof where, sp, 0, 0);
      lbr_errorf(L, "%s: %lld rows; at most %lld", where, (long long)n, (long long)max_b);
    }
  } else {
    lua_pushvalue(L, idx);
    char what[32];
    snprintf(what, sizeof what, "%ss", sp->elem ? sp->elem : "bundle");
    n = checked_len(L, sp, 0, sp->min_bundles, max_b, what);
    lua_pop(L, 1);
  }
  int64_t *off = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *off, 0);
  lua_pushnil(L); /* the items' userdata, replaced as it grows */
  lua_insert(L, -2); /* [.. items off]: both stay referenced from the stack */
  int items_slot = lua_gettop(L) - 1;
  int32_t *items = NULL;
  int64_t cap = 0, at = 0;
  off[0] = 0;
  for (int64_t k = 1; k <= n; k++) {
    int t = lua_geti(L, idx, k);
    if (t == LUA_TTABLE && lua_getfield(L, -1, "items") == LUA_TTABLE) lua_remove(L, -2); /* a record */
    else if (t == LUA_TTABLE) lua_pop(L, 1);
    int64_t m = 0;
    if (lua_istable(L, -1)) {
      m = checked_len(L, sp, k, sp->min_items, max_i, "items");
    } else if (!(sp->fixed && lua_isnil(L, -1))) {
      place(where, sizeof where, sp, k, 0);
      lbr_errorf(L, "%s must be a list of %s, got %s", where, sp->find ? "item labels" : "ids", luaL_typename(L, -1));
    }
    if (m > LBR_LIST_MAX - at) {
      place(where, sizeof where, sp, k, 0);
      lbr_errorf(L, "%s: the bundles hold more than %d items in all", where, LBR_LIST_MAX);
    }
    if (at + m > cap) { /* grow: a new userdata replaces the old in its slot */
      int64_t nc = cap * 2 > at + m ? cap * 2 : at + m + 16;
      if (nc > LBR_LIST_MAX) nc = LBR_LIST_MAX;
      int32_t *grown = lua_newuserdatauv(L, (size_t)nc * sizeof *grown, 0);
      if (at) memcpy(grown, items, (size_t)at * sizeof *grown);
      lua_replace(L, items_slot);
      items = grown;
      cap = nc;
    }
    int64_t start = at;
    for (int64_t i = 1; i <= m; i++) {
      lua_geti(L, -1, i);
      int32_t id = read_id(L, sp, k, i);
      if (id != -2) items[at++] = id;
    }
    lua_pop(L, 1);
    if (at - start < sp->min_items) { /* every label was dropped */
      place(where, sizeof where, sp, k, 0);
      lbr_errorf(L, "%s has no known items", where);
    }
    if (at > start) sort_unique(L, sp, k, items + start, at - start); /* items is NULL while every list so far was empty */
    off[k] = at;
  }
  if (!items) { /* an empty list: a valid pointer all the same */
    items = lua_newuserdatauv(L, sizeof *items, 0);
    lua_replace(L, items_slot);
  }
  out->n = n;
  out->off = off;
  out->items = items;
}

int32_t *lbr_read_labels(lua_State *L, int idx, const lbr_list_spec *sp, int *n, int *dropped) {
  idx = lua_absindex(L, idx);
  luaL_checkstack(L, 6, "reading a label list");
  if (!lua_istable(L, idx)) {
    char where[256];
    place(where, sizeof where, sp, 0, 0);
    lbr_errorf(L, "%s must be a list of item labels, got %s", where, luaL_typename(L, idx));
  }
  lua_pushvalue(L, idx);
  int64_t max_i = sp->max_items > 0 ? sp->max_items : LBR_LIST_MAX;
  int64_t m = checked_len(L, sp, 0, sp->min_items, max_i, "items");
  lua_pop(L, 1);
  int32_t *v = lua_newuserdatauv(L, (size_t)(m > 0 ? m : 1) * sizeof *v, 0);
  int w = 0, skipped = 0;
  for (int64_t i = 1; i <= m; i++) {
    lua_geti(L, idx, i);
    int32_t id = read_id(L, sp, 0, i);
    if (id == -2) skipped++;
    else v[w++] = id;
  }
  sort_unique(L, sp, 0, v, w);
  *n = w;
  if (dropped) *dropped = skipped;
  return v;
}
