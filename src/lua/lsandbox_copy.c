/* Bundle objects across the sandbox boundary: each class's copier, and the
 * classes refused with why.
 *
 * A copy is a fresh handle owned by the receiving state: the core object
 * is deep copied (br_*_clone, every array and label dictionary through
 * br_alloc), so nothing of the sending state's object is reachable from
 * it and closing either side leaves the other whole. Derived objects keep
 * the lifetime rule in the receiving state: an Itemsets or Rules copy holds
 * a copy of its Baskets, a SearchResult copy a copy of its Catalog, by Lua
 * reference (user value 1) and core reference, as the originals do; the
 * copies of one call share one copy of a shared parent (the memo).
 *
 * Cost: a Tensor or Frame is estimated before it is copied (8 bytes a
 * value); the other classes are measured, as the bytes the core's
 * allocator charged for the copy (plus, for a GBDT, an estimate of its
 * booster in XGBoost's memory). Results going out of a run must fit in
 * the run's limit (x->mem_limit); arguments going in are copied inside
 * the run, where the allocator charges its budget directly. */
#include <stdio.h>
#include <string.h>

#include "lbundle.h"
#include "lframe.h"
#include "lsandbox.h"
#include "lsearch.h"

#define USERDATA_COST 64 /* a handle in the receiving state, roughly */

/* A class's core copy and free, and (optional) the bytes a copy holds
 * outside the core's allocator, which its measure cannot see. */
typedef struct core_ops {
  br_status (*clone)(void **out, const void *src);
  void (*free)(void *obj);
  double (*outside)(const void *obj);
} core_ops;

/* ---- bookkeeping ---- */

static int refuse(lbr_copy_ctx *x, const char *fmt, const char *what) {
  snprintf(x->why, sizeof x->why, fmt, what);
  return 0;
}

/* Adds bytes to the call's cost; 0 (why set) past the run's limit. */
static int charge(lbr_copy_ctx *x, double bytes) {
  x->mem_cost += bytes;
  if (x->mem_limit > 0 && x->mem_cost > x->mem_limit) {
    snprintf(x->why, sizeof x->why, "is past the run's memory limit of %g MB (its results are copied out within it)",
             x->mem_limit / 1048576.0);
    return 0;
  }
  return 1;
}

/* The receiving state must know the class (a bare Lua state does not). */
static int known(lbr_copy_ctx *x, const char *mt) {
  int ok = luaL_getmetatable(x->to, mt) == LUA_TTABLE;
  lua_pop(x->to, 1);
  return ok ? 1 : refuse(x, "%s", "is a bundle object, and the receiving state has not loaded bundle");
}

static int failed_copy(lbr_copy_ctx *x, br_status st) {
  snprintf(x->why, sizeof x->why, "could not be copied (%s)", br_last_error()[0] ? br_last_error() : br_status_str(st));
  return 0;
}

/* Pushes the copy already made of src in this call, if any (1). */
static int memo_get(lbr_copy_ctx *x, const void *src) {
  if (x->memo <= 0) return 0;
  lua_rawgeti(x->to, LUA_REGISTRYINDEX, x->memo);
  if (lua_rawgetp(x->to, -1, src) != LUA_TNIL) {
    lua_remove(x->to, -2);
    return 1;
  }
  lua_pop(x->to, 2);
  return 0;
}

/* Records the copy on top of x->to as src's. */
static int memo_put(lbr_copy_ctx *x, const void *src) {
  if (x->memo <= 0) {
    lua_newtable(x->to);
    x->memo = luaL_ref(x->to, LUA_REGISTRYINDEX);
  }
  lua_rawgeti(x->to, LUA_REGISTRYINDEX, x->memo);
  lua_pushvalue(x->to, -2);
  lua_rawsetp(x->to, -2, src);
  lua_pop(x->to, 1);
  return 1;
}

void lbr_copy_done(lbr_copy_ctx *x) {
  if (x->memo > 0) luaL_unref(x->to, LUA_REGISTRYINDEX, x->memo);
  x->memo = 0;
}

/* Clones src into *dst (a field of the handle on top of x->to, NULL until
 * now) and charges the bytes it took; 0 (why set, the copy freed, the
 * empty handle popped for the collector) on failure. The copy is freed
 * here, not through the class's __gc: that refuses a value that a call of
 * ours (sandbox_exec, whose stack holds it) still has in a slot. */
static int fill(lbr_copy_ctx *x, void **dst, const void *src, const core_ops *ops) {
  int64_t before = br_mem_used();
  void *obj = NULL;
  br_status st = ops->clone(&obj, src);
  if (st != BR_OK) {
    lua_pop(x->to, 1);
    return failed_copy(x, st);
  }
  int64_t took = br_mem_used() - before;
  double outside = ops->outside ? ops->outside(obj) : 0;
  if (!charge(x, (double)(took > 0 ? took : 0) + outside + USERDATA_COST)) {
    ops->free(obj);
    lua_pop(x->to, 1);
    return 0;
  }
  *dst = obj;
  return 1;
}

/* ---- the core's copies and frees, behind one signature ---- */

/* name_ops: type's br_*_clone and br_*_free as a core_ops (outside: NULL
 * or an estimate). */
#define CORE_OPS(name, type, clone_f, free_f, outside_f)                       \
  static br_status core_##name##_clone(void **out, const void *src) {          \
    type *c = NULL;                                                            \
    br_status st = clone_f(&c, src);                                           \
    *out = c;                                                                  \
    return st;                                                                 \
  }                                                                            \
  static void core_##name##_free(void *obj) { free_f(obj); }                   \
  static const core_ops name##_ops = {core_##name##_clone, core_##name##_free, outside_f};

/* A GBDT's booster lives in XGBoost's own memory: at most trees x
 * (2^(depth+1) - 1) nodes of about 40 bytes (a node and its statistics). */
static double gbdt_outside(const void *m) {
  const br_gbdt_options *o = br_gbdt_options_of(m);
  int depth = o->depth < 0 ? 0 : o->depth > 30 ? 30 : o->depth;
  return br_model_is_fitted(m) ? 40.0 * (double)o->trees * (double)((2 << depth) - 1) : 0;
}

CORE_OPS(baskets, br_baskets, br_baskets_clone, br_baskets_free, NULL)
CORE_OPS(itemsets, br_itemsets, br_itemsets_clone, br_itemsets_free, NULL)
CORE_OPS(rules, br_rules, br_rules_clone, br_rules_free, NULL)
CORE_OPS(catalog, br_catalog, br_catalog_clone, br_catalog_free, NULL)
CORE_OPS(result, br_search_result, br_search_result_clone, br_search_result_free, NULL)
CORE_OPS(model, br_model, br_model_clone, br_model_free, NULL)
CORE_OPS(gbdt, br_model, br_model_clone, br_model_free, gbdt_outside)
CORE_OPS(counts, br_counts, br_counts_clone, br_counts_free, NULL)

/* ---- per class ---- */

/* A copy of src (the core object of a one-slot class mt) pushed, made once
 * per call. */
static int push_slot_copy(lbr_copy_ctx *x, const char *mt, const void *src, const core_ops *ops) {
  if (memo_get(x, src)) return 1;
  if (!known(x, mt)) return 0;
  void **slot = lbr_push_slot(x->to, mt);
  return fill(x, slot, src, ops) && memo_put(x, src);
}

/* Baskets, Catalog, Model, GBDT, Counts: a userdata holding one pointer. */
static int copy_slot(lbr_copy_ctx *x, int idx, const char *mt, const char *what, const core_ops *ops) {
  void *const *slot = lua_touserdata(x->from, idx);
  if (!*slot) return refuse(x, "is a closed %s", what);
  /* a copy would be this rank's share alone, mined as if it were all */
  if (ops == &baskets_ops && lbr_mpi_baskets_spread(x->from, idx))
    return refuse(x, "%s", "is a Baskets spread over MPI ranks (mpi.baskets), which only its own state's collective calls may use");
  return push_slot_copy(x, mt, *slot, ops);
}

/* Itemsets and Rules: the object and (a copy of) the baskets it came from. */
static int copy_child(lbr_copy_ctx *x, int idx, const char *mt, const char *what, const core_ops *ops) {
  lbr_child *src = lua_touserdata(x->from, idx);
  if (!src->obj) return refuse(x, "is a closed %s", what);
  if (memo_get(x, src->obj)) return 1;
  if (!known(x, mt) || !push_slot_copy(x, LBR_BASKETS_MT, src->parent, &baskets_ops)) return 0;
  br_baskets *parent = *(br_baskets **)lua_touserdata(x->to, -1);
  lbr_child *dst = lbr_child_push(x->to, mt, -1, parent); /* [parent child] */
  lua_remove(x->to, -2);
  return fill(x, &dst->obj, src->obj, ops) && memo_put(x, src->obj);
}

/* A SearchResult: the result, (a copy of) its catalogue and its objective
 * names. */
static int copy_result(lbr_copy_ctx *x, int idx) {
  result_box *src = lua_touserdata(x->from, idx);
  if (!src->res) return refuse(x, "is a closed %s", "SearchResult");
  if (memo_get(x, src->res)) return 1;
  if (!known(x, LBR_RESULT_MT) || !push_slot_copy(x, LBR_CATALOG_MT, src->cat, &catalog_ops)) return 0;
  int cat = lua_gettop(x->to), names = 0;
  int nobj = br_search_result_nobjectives(src->res);
  if (lua_getiuservalue(x->from, idx, 2) == LUA_TTABLE) { /* the names: strings the binding made */
    lua_createtable(x->to, nobj, 0);
    for (int o = 1; o <= nobj; o++) {
      size_t len;
      const char *s = lua_rawgeti(x->from, -1, o) == LUA_TSTRING ? lua_tolstring(x->from, -1, &len) : NULL;
      if (s) lua_pushlstring(x->to, s, len);
      else lua_pushnil(x->to);
      lua_rawseti(x->to, -2, o);
      lua_pop(x->from, 1);
    }
    names = lua_gettop(x->to);
  }
  lua_pop(x->from, 1);
  lbr_result_push(x->to, NULL, cat, *(br_catalog **)lua_touserdata(x->to, cat), names);
  lua_replace(x->to, cat); /* [result names?] */
  if (names) lua_pop(x->to, 1);
  result_box *dst = lua_touserdata(x->to, -1);
  return fill(x, (void **)&dst->res, src->res, &result_ops) && memo_put(x, src->res);
}

/* A Column: its values copied (a string column's labels stay in the
 * dictionary it shares with the frames it came from, as a Frame's copy). */
static int copy_column(lbr_copy_ctx *x, int idx) {
  const lcolumn *src = lua_touserdata(x->from, idx);
  if (!src->c) return refuse(x, "is a closed %s", "Column");
  if (memo_get(x, src->c)) return 1;
  int64_t n = br_column_len(src->c);
  if (!charge(x, 8.0 * (double)n + USERDATA_COST) || !known(x, LBR_COLUMN_MT)) return 0;
  lcolumn *dst = lua_newuserdatauv(x->to, sizeof *dst, 0);
  dst->c = NULL;
  snprintf(dst->name, sizeof dst->name, "%s", src->name);
  luaL_setmetatable(x->to, LBR_COLUMN_MT);
  int64_t *rows = br_alloc("sandbox", (size_t)n, sizeof *rows);
  br_status st = rows ? BR_OK : BR_ERR_NOMEM;
  for (int64_t i = 0; rows && i < n; i++) rows[i] = i;
  if (rows) st = br_column_take(&dst->c, src->c, rows, n);
  br_free(rows);
  if (st != BR_OK) {
    lua_pop(x->to, 1);
    return failed_copy(x, st);
  }
  return memo_put(x, src->c);
}

/* A Tensor or a Frame: as before this file, estimated, then copied. */
static int copy_tensor(lbr_copy_ctx *x, int idx) {
  br_tensor *t = lbr_tensor_test(x->from, idx);
  if (!t) return refuse(x, "is a closed %s", "Tensor");
  if (memo_get(x, t)) return 1;
  if (!charge(x, 8.0 * (double)br_tensor_numel(t)) || !known(x, LBR_TENSOR_MT)) return 0;
  br_tensor **slot = lbr_tensor_push_slot(x->to);
  br_status st = br_tensor_clone(slot, t);
  if (st != BR_OK) {
    lua_pop(x->to, 1);
    return failed_copy(x, st);
  }
  lbr_tensor_account(x->to, *slot);
  return memo_put(x, t);
}

static int copy_frame(lbr_copy_ctx *x, int idx) {
  br_frame *f = lbr_frame_test(x->from, idx);
  if (!f) return refuse(x, "is a closed %s", "Frame");
  if (memo_get(x, f)) return 1;
  if (!charge(x, 16.0 * (double)br_frame_nrows(f) * br_frame_ncols(f)) || !known(x, LBR_FRAME_MT)) return 0;
  br_frame **slot = lbr_frame_push_slot(x->to);
  br_status st = br_frame_head(slot, f, br_frame_nrows(f));
  if (st != BR_OK) {
    lua_pop(x->to, 1);
    return failed_copy(x, st);
  }
  return memo_put(x, f);
}

/* ---- the classes ---- */

typedef struct copy_class {
  const char *mt, *what;
  int kind;           /* how it is copied (below), or REFUSED */
  const core_ops *ops; /* SLOT and CHILD: the core's copy and free */
  const char *refusal; /* REFUSED: why, after "is a <what>" */
} copy_class;

enum { SLOT, CHILD, RESULT, COLUMN, TENSOR, FRAME, REFUSED };

static const copy_class classes[] = {
    {LBR_TENSOR_MT, "Tensor", TENSOR, NULL, NULL},
    {LBR_FRAME_MT, "Frame", FRAME, NULL, NULL},
    {LBR_COLUMN_MT, "Column", COLUMN, NULL, NULL},
    {LBR_BASKETS_MT, "Baskets", SLOT, &baskets_ops, NULL},
    {LBR_ITEMSETS_MT, "Itemsets", CHILD, &itemsets_ops, NULL},
    {LBR_RULES_MT, "Rules", CHILD, &rules_ops, NULL},
    {LBR_CATALOG_MT, "Catalog", SLOT, &catalog_ops, NULL},
    {LBR_RESULT_MT, "SearchResult", RESULT, NULL, NULL},
    {LBR_MODEL_MT, "Model", SLOT, &model_ops, NULL},
    {LBR_GBDT_MT, "GBDT", SLOT, &gbdt_ops, NULL},
    {LBR_COUNTS_MT, "Counts", SLOT, &counts_ops, NULL},
    {LBR_BUNDLE_MT, "Bundle", REFUSED, NULL,
     "view, valid only inside its objective call (return b.items or b:features() instead)"},
    {LBR_CHUNKS_MT, "CsvChunks", REFUSED, NULL,
     "iterator: a file open and read as it goes, which cannot be copied (pass its path, or the frames it gives)"},
    {LBR_MPI_BUFFER_MT, "mpi buffer", REFUSED, NULL, "of this process's MPI calls, which no other state may use"},
    {LBR_SANDBOX_STATE_MT, "SandboxState", REFUSED, NULL, "of a running sandbox, which only its own run may close"},
};

int lbr_copy_object(lbr_copy_ctx *x, int idx) {
  x->why[0] = '\0';
  idx = lua_absindex(x->from, idx);
  if (!lua_checkstack(x->to, 8) || !lua_checkstack(x->from, 4)) return refuse(x, "%s", "nests too deep for the Lua stack");
  const copy_class *k = NULL;
  for (size_t i = 0; i < sizeof classes / sizeof *classes && !k; i++)
    if (luaL_testudata(x->from, idx, classes[i].mt)) k = &classes[i];
  if (!k) return refuse(x, "%s", "is a userdata that is not a bundle object");
  switch (k->kind) {
  case TENSOR: return copy_tensor(x, idx);
  case FRAME: return copy_frame(x, idx);
  case COLUMN: return copy_column(x, idx);
  case SLOT: return copy_slot(x, idx, k->mt, k->what, k->ops);
  case CHILD: return copy_child(x, idx, k->mt, k->what, k->ops);
  case RESULT: return copy_result(x, idx);
  default:
    snprintf(x->why, sizeof x->why, "is a %s %s", k->what, k->refusal);
    return 0;
  }
}
