/* bundle.counts and bundle.load_counts: a store of item, pair and triple
 * counts that baskets are appended to (bundle/counts.h); a thin binding.
 *
 *     local store = bundle.counts{ window = 30, max_size = 3 }
 *     store:append(bundle.read_csv_chunks("day.csv", { key = "order" }), { basket = "order", item = "sku", time = "at" })
 *     store:expire(os.time())
 *     local sets = store:frequent{ min_support = 0.01 }   -- a Frame like Itemsets:to_frame() */
#include <math.h>
#include <string.h>

#include "lbundle.h"

#define COUNTS_MT LBR_COUNTS_MT
#define DAY 86400.0

static br_counts **push_slot(lua_State *L) {
  br_counts **slot = lua_newuserdatauv(L, sizeof *slot, 0);
  *slot = NULL;
  luaL_setmetatable(L, COUNTS_MT);
  return slot;
}

static br_counts *check_counts(lua_State *L, int idx) {
  br_counts **slot = luaL_checkudata(L, idx, COUNTS_MT);
  if (!*slot) luaL_argerror(L, idx, "the count store has been closed");
  return *slot;
}

static int counts_gc(lua_State *L) {
  br_counts **slot = luaL_checkudata(L, 1, COUNTS_MT);
  lbr_check_unpinned(L, 1, "Counts");
  br_counts_free(*slot);
  *slot = NULL;
  return 0;
}

static const char *const new_options[] = {"window", "decay", "mode", "max_size", "capacity", "width", "depth", NULL};

/* counts{ window = days | decay = half_life_days, mode = "exact" | "sketch", max_size = 2, capacity, width, depth } */
static int bundle_counts(lua_State *L) {
  const char *fn = "counts";
  lua_settop(L, 1);
  lbr_check_options(L, 1, fn, new_options);
  if (lua_isnil(L, 1)) {
    lua_newtable(L);
    lua_replace(L, 1);
  }
  br_counts_options o;
  br_counts_options_init(&o);
  double window = lbr_opt_number(L, 1, fn, "window", 0);
  if (window != 0 && !(window >= 1 && window == floor(window)))
    return lbr_errorf(L, "counts: window must be a whole number of days >= 1, got %g", window);
  o.window_days = (int64_t)window;
  o.half_life_days = lbr_opt_number(L, 1, fn, "decay", 0);
  if (!(o.half_life_days >= 0) || isinf(o.half_life_days))
    return lbr_errorf(L, "counts: decay must be a half-life in days > 0, got %g", o.half_life_days);
  lua_getfield(L, 1, "mode");
  const char *mode = lua_isnil(L, -1) ? "exact" : lua_tostring(L, -1);
  if (!mode || (strcmp(mode, "exact") != 0 && strcmp(mode, "sketch") != 0))
    return lbr_errorf(L, "counts: mode must be \"exact\" or \"sketch\"");
  o.mode = strcmp(mode, "sketch") == 0 ? BR_COUNTS_SKETCH : BR_COUNTS_EXACT;
  o.max_size = lbr_opt_int(L, 1, fn, "max_size", 2);
  o.capacity = lbr_opt_integer(L, 1, fn, "capacity", o.capacity);
  o.width = lbr_opt_integer(L, 1, fn, "width", o.width);
  o.depth = lbr_opt_int(L, 1, fn, "depth", o.depth);
  br_counts **slot = push_slot(L);
  if (br_counts_new(slot, &o) != BR_OK) return lbr_error(L);
  return 1;
}

/* The store's delta file is read and written beside it: the sandbox
 * checks it as well as the store. */
static void check_paths(lua_State *L, const char *fn, const char *path, int write) {
  lbr_check_path(L, fn, path, write);
  /* and the files beside it: the delta records, the level and its spare */
  static const char *const beside[] = {"%s.delta", "%s.level", "%s.level.spare"};
  for (size_t i = 0; i < sizeof beside / sizeof *beside; i++) {
    lua_pushfstring(L, beside[i], path);
    lbr_check_path(L, fn, lua_tostring(L, -1), write);
    lua_pop(L, 1);
  }
}

static int bundle_load_counts(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  check_paths(L, "load_counts", path, 0);
  br_counts **slot = push_slot(L);
  if (br_counts_load(slot, path) != BR_OK) return lbr_error(L);
  return 1;
}

/* ---- append ---- */

static const char *const append_options[] = {"basket", "item", "time", "user", "quantity", "price", NULL};

/* Counts the frame at idx through bundle.baskets (its spec at spec). */
static void append_frame(lua_State *L, br_counts *c, int idx, int spec, int64_t t) {
  lua_getfield(L, LUA_REGISTRYINDEX, "bundle.counts.baskets"); /* core.baskets */
  lua_pushvalue(L, idx);
  lua_pushvalue(L, spec);
  lua_call(L, 2, 1);
  br_baskets *b = lbr_baskets_check(L, -1);
  if (br_counts_append_baskets(c, b, t) != BR_OK) lbr_error(L);
  lua_getfield(L, -1, "close");
  lua_insert(L, -2);
  lua_call(L, 1, 0); /* the chunk's baskets are done with: free them now */
}

/* append(baskets | frame | iterator of frames, spec): spec = { basket, item,
 * time } for frames; time = seconds for baskets without times. */
static int counts_append(lua_State *L) {
  br_counts *c = check_counts(L, 1);
  lua_settop(L, 3);
  lbr_pin(L, 1, "a running Counts:append"); /* frames' iterators run Lua */
  int spec = 3;
  if (lua_isnil(L, spec)) {
    lua_newtable(L);
    lua_replace(L, spec);
  }
  if (!lua_istable(L, spec)) return lbr_errorf(L, "append: the spec must be a table { basket =, item =, time = }");
  int64_t t = 0;
  lua_getfield(L, spec, "time");
  int time_number = lua_type(L, -1) == LUA_TNUMBER;
  if (time_number) t = (int64_t)lua_tointeger(L, -1);
  lua_pop(L, 1);
  if (luaL_testudata(L, 2, "bundle.Baskets")) {
    if (br_counts_append_baskets(c, lbr_baskets_check(L, 2), t) != BR_OK) return lbr_error(L);
  } else {
    lbr_check_options(L, spec, "append", append_options);
    if (time_number) return lbr_errorf(L, "append: with frames, time names a column");
    if (luaL_testudata(L, 2, LBR_FRAME_MT)) {
      append_frame(L, c, 2, spec, 0);
    } else if (lbr_is_frame_source(L, 2)) {
      for (;;) {
        lua_pushvalue(L, 2);
        lua_call(L, 0, 1);
        if (lua_isnil(L, -1)) break;
        if (!luaL_testudata(L, -1, LBR_FRAME_MT))
          return lbr_errorf(L, "append: the iterator gave a %s, not a Frame", luaL_typename(L, -1));
        append_frame(L, c, lua_gettop(L), spec, 0);
        lua_pop(L, 1);
      }
    } else {
      return lbr_errorf(L, "append: expected Baskets, a Frame or an iterator of Frames (read_csv_chunks), got %s",
                        luaL_typename(L, 2));
    }
  }
  lua_settop(L, 1);
  return 1;
}

/* add({ labels }, time): one basket, as it happens. */
static int counts_add(lua_State *L) {
  br_counts *c = check_counts(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Integer t = luaL_checkinteger(L, 3);
  int n = (int)luaL_len(L, 2);
  const char **labels = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof *labels, 0);
  size_t *lens = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof *lens, 0);
  lua_createtable(L, n, 0); /* keeps number labels' texts alive */
  for (int i = 0; i < n; i++) {
    lua_geti(L, 2, i + 1);
    labels[i] = lua_tolstring(L, -1, &lens[i]);
    if (!labels[i]) return lbr_errorf(L, "add: item %d must be a label, got %s", i + 1, luaL_typename(L, -1));
    lua_rawseti(L, -2, i + 1);
  }
  if (br_counts_add(c, labels, lens, n, t) != BR_OK) return lbr_error(L);
  lua_settop(L, 1);
  return 1;
}

static int counts_expire(lua_State *L) {
  br_counts *c = check_counts(L, 1);
  lua_Integer now = luaL_checkinteger(L, 2);
  if (br_counts_expire(c, now) != BR_OK) return lbr_error(L);
  lua_settop(L, 1);
  return 1;
}

/* ---- reading ---- */

static const char *const query_options[] = {"min_count", "min_support", "min_size", "max_size", "top",
                                            "min_confidence", "min_lift", "by", NULL};

static void read_query(lua_State *L, int idx, const char *fn, br_counts_query *q) {
  memset(q, 0, sizeof *q);
  q->by = BR_M_LIFT;
  lbr_check_options(L, idx, fn, query_options);
  if (lua_isnoneornil(L, idx)) lbr_errorf(L, "%s: give min_support (a fraction) or min_count", fn);
  q->min_count = lbr_opt_number(L, idx, fn, "min_count", 0);
  q->min_support = lbr_opt_number(L, idx, fn, "min_support", 0);
  q->min_size = lbr_opt_int(L, idx, fn, "min_size", 0);
  q->max_size = lbr_opt_int(L, idx, fn, "max_size", 0);
  q->top = lbr_opt_integer(L, idx, fn, "top", 0);
  q->min_confidence = lbr_opt_number(L, idx, fn, "min_confidence", strcmp(fn, "rules") == 0 ? 0.8 : 0); /* arules' default, as Baskets:rules */
  q->min_lift = lbr_opt_number(L, idx, fn, "min_lift", 0);
  lua_getfield(L, idx, "by");
  if (!lua_isnil(L, -1)) {
    const char *by = lua_tostring(L, -1);
    if (!by || br_measure_parse(&q->by, by) != BR_OK)
      lbr_errorf(L, "%s: %s", fn, by ? br_last_error() : "option 'by' must be a measure name");
  }
  lua_pop(L, 1);
}

/* frequent(q) and rules(q): frames from the store. */
static int counts_read(lua_State *L, int rules) {
  br_counts *c = check_counts(L, 1);
  br_counts_query q;
  read_query(L, 2, rules ? "rules" : "frequent", &q);
  br_frame **slot = lbr_frame_push_slot(L);
  if ((rules ? br_counts_rules(slot, c, &q) : br_counts_frequent(slot, c, &q)) != BR_OK) return lbr_error(L);
  return 1;
}

static int counts_frequent(lua_State *L) { return counts_read(L, 0); }
static int counts_rules(lua_State *L) { return counts_read(L, 1); }

/* count({ "a", "b" }) -> the itemset's count (an estimate in sketch mode). */
static int counts_count(lua_State *L) {
  br_counts *c = check_counts(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  int n = (int)luaL_len(L, 2);
  if (n < 1 || n > 3) return lbr_errorf(L, "count: give 1 to 3 item labels, got %d", n);
  const char *labels[3];
  size_t lens[3];
  for (int i = 0; i < n; i++) {
    lua_geti(L, 2, i + 1);
    labels[i] = lua_tolstring(L, -1, &lens[i]); /* numbers become their text, as item labels do */
    if (!labels[i]) return lbr_errorf(L, "count: item %d must be a label, got %s", i + 1, luaL_typename(L, -1));
  }
  lua_pushnumber(L, br_counts_count(c, labels, lens, n));
  return 1;
}

static const char *const save_options[] = {"compact", NULL};

/* save(path [, { compact = true }]): compact writes the store whole. */
static int counts_save(lua_State *L) {
  br_counts *c = check_counts(L, 1);
  const char *path = luaL_checkstring(L, 2);
  lbr_check_options(L, 3, "save", save_options);
  int compact = 0;
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "compact");
    compact = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  check_paths(L, "save", path, 1);
  if ((compact ? br_counts_save_whole(c, path) : br_counts_save(c, path)) != BR_OK) return lbr_error(L);
  lua_settop(L, 1);
  return 1;
}

/* info() -> { baskets, items, now, memory, mode, window, decay, max_size [, total, bound] } */
static int counts_info(lua_State *L) {
  br_counts *c = check_counts(L, 1);
  const br_counts_options *o = br_counts_get_options(c);
  lua_createtable(L, 0, 10);
  lua_pushnumber(L, br_counts_nbaskets(c));
  lua_setfield(L, -2, "baskets");
  lua_pushinteger(L, br_counts_nitems(c));
  lua_setfield(L, -2, "items");
  if (br_counts_now(c) != INT64_MIN) {
    lua_pushinteger(L, br_counts_now(c));
    lua_setfield(L, -2, "now");
  }
  lua_pushinteger(L, (lua_Integer)br_counts_memory(c));
  lua_setfield(L, -2, "memory");
  lua_pushstring(L, o->mode == BR_COUNTS_SKETCH ? "sketch" : "exact");
  lua_setfield(L, -2, "mode");
  lua_pushinteger(L, o->max_size);
  lua_setfield(L, -2, "max_size");
  if (o->window_days > 0) {
    lua_pushinteger(L, o->window_days);
    lua_setfield(L, -2, "window");
  }
  if (o->half_life_days > 0) {
    lua_pushnumber(L, o->half_life_days);
    lua_setfield(L, -2, "decay");
  }
  if (o->mode == BR_COUNTS_SKETCH) {
    double total = br_counts_sketch_total(c);
    lua_pushnumber(L, total);
    lua_setfield(L, -2, "total");
    lua_pushnumber(L, total / (double)o->capacity); /* Space-Saving's bound on any over-count */
    lua_setfield(L, -2, "bound");
  }
  return 1;
}

void lbr_counts_open(lua_State *L) {
  static const luaL_Reg methods[] = {{"append", counts_append}, {"add", counts_add}, {"expire", counts_expire},
                                     {"frequent", counts_frequent}, {"rules", counts_rules},
                                     {"count", counts_count}, {"save", counts_save},
                                     {"info", counts_info}, {"close", counts_gc}, {NULL, NULL}};
  static const luaL_Reg meta[] = {{"__gc", counts_gc}, {"__close", counts_gc}, {NULL, NULL}};
  lbr_new_class(L, COUNTS_MT, methods, meta);
  lua_getfield(L, -1, "baskets"); /* set by lbr_basket_open, which runs first */
  lua_setfield(L, LUA_REGISTRYINDEX, "bundle.counts.baskets");
  lua_pushcfunction(L, bundle_counts);
  lua_setfield(L, -2, "counts");
  lua_pushcfunction(L, bundle_load_counts);
  lua_setfield(L, -2, "load_counts");
}
