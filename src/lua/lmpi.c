/* bundle.mpi: one script per rank under `mpirun -n N bundlerun script.lua`.
 * rank, size, barrier, allreduce, gather, allgather, bcast, and the
 * distributed data path: read_csv (this rank's share of a file, baskets
 * kept whole) and baskets (one item dictionary on every rank). Baskets
 * made by mpi.baskets mine (frequent, rules) and backtest across ranks.
 * Without mpirun the world is one rank, so the same script runs alone.
 * The core does the work (bundle/dist.h); this file checks arguments and
 * turns Lua values into bytes and back. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lbundle.h"

#define MPI_BUF_MT LBR_MPI_BUFFER_MT
static char dist_key; /* registry: weak-keyed set of Baskets spread over ranks */

static br_comm *world(lua_State *L, const char *fn) {
  br_comm *w = NULL;
  if (br_comm_world(&w) != BR_OK) lbr_errorf(L, "mpi.%s: %s", fn, br_last_error());
  return w;
}

static int mpi_rank(lua_State *L) {
  lua_pushinteger(L, br_comm_rank(world(L, "rank")));
  return 1;
}

static int mpi_size(lua_State *L) {
  lua_pushinteger(L, br_comm_size(world(L, "size")));
  return 1;
}

static int mpi_launched(lua_State *L) {
  lua_pushboolean(L, br_mpi_launched());
  return 1;
}

static int mpi_barrier(lua_State *L) {
  if (br_comm_barrier(world(L, "barrier")) != BR_OK) return lbr_errorf(L, "mpi.barrier: %s", br_last_error());
  return 0;
}

/* ---- values as bytes: a growable buffer freed by the collector, so an
 * error half way leaks nothing ---- */

typedef struct mbuf {
  char *p;
  size_t n, cap;
} mbuf;

static int mbuf_gc(lua_State *L) {
  mbuf *b = luaL_checkudata(L, 1, MPI_BUF_MT);
  br_free_out(b->p); /* put's blocks and the core's received bytes alike */
  b->p = NULL;
  return 0;
}

static mbuf *push_mbuf(lua_State *L) {
  mbuf *b = lua_newuserdatauv(L, sizeof *b, 0);
  memset(b, 0, sizeof *b);
  luaL_setmetatable(L, MPI_BUF_MT);
  return b;
}

static void put(lua_State *L, mbuf *b, const void *src, size_t len) {
  if (b->cap - b->n < len) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->n < len) cap *= 2;
    char *p = br_realloc_out("mpi", b->p, cap, 1); /* charged to the budget, as the core's buffers */
    if (!p) luaL_error(L, "%s", br_last_error()); /* "mpi: out of memory ..." or the limit's message */
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, src, len);
  b->n += len;
}

enum { T_NIL = 'n', T_FALSE = 'f', T_TRUE = 't', T_INT = 'i', T_NUM = 'd', T_STR = 's', T_TABLE = 'T', T_TENSOR = 'X' };
#define MAX_DEPTH 64

static void encode(lua_State *L, mbuf *b, int idx, int depth, const char *fn) {
  idx = lua_absindex(L, idx);
  char tag;
  switch (lua_type(L, idx)) {
  case LUA_TNIL: tag = T_NIL; put(L, b, &tag, 1); return;
  case LUA_TBOOLEAN: tag = lua_toboolean(L, idx) ? T_TRUE : T_FALSE; put(L, b, &tag, 1); return;
  case LUA_TNUMBER:
    if (lua_isinteger(L, idx)) {
      int64_t v = lua_tointeger(L, idx);
      tag = T_INT;
      put(L, b, &tag, 1);
      put(L, b, &v, sizeof v);
    } else {
      double v = lua_tonumber(L, idx);
      tag = T_NUM;
      put(L, b, &tag, 1);
      put(L, b, &v, sizeof v);
    }
    return;
  case LUA_TSTRING: {
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    uint64_t l = len;
    tag = T_STR;
    put(L, b, &tag, 1);
    put(L, b, &l, sizeof l);
    put(L, b, s, len);
    return;
  }
  case LUA_TTABLE: {
    if (depth >= MAX_DEPTH) lbr_errorf(L, "mpi.%s: tables nested deeper than %d (a cycle?)", fn, MAX_DEPTH);
    luaL_checkstack(L, 4, "mpi: nested tables");
    uint64_t count = 0;
    for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) count++;
    tag = T_TABLE;
    put(L, b, &tag, 1);
    put(L, b, &count, sizeof count);
    for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
      encode(L, b, -2, depth + 1, fn);
      encode(L, b, -1, depth + 1, fn);
    }
    return;
  }
  default: {
    br_tensor *t = lbr_tensor_test(L, idx);
    if (!t) lbr_errorf(L, "mpi.%s: cannot send a %s (only nil, booleans, numbers, strings, tables and tensors)", fn,
                       luaL_typename(L, idx));
    br_tensor **c = lbr_tensor_push_slot(L); /* a contiguous copy, collected with the slot */
    if (br_tensor_contiguous(c, t) != BR_OK) lbr_error(L);
    int32_t nd = br_tensor_ndim(*c);
    tag = T_TENSOR;
    put(L, b, &tag, 1);
    put(L, b, &nd, sizeof nd);
    put(L, b, br_tensor_shape(*c), (size_t)nd * sizeof(int64_t));
    put(L, b, br_tensor_data(*c), (size_t)br_tensor_numel(*c) * sizeof(double));
    lua_pop(L, 1);
    return;
  }
  }
}

typedef struct reader {
  const char *p;
  size_t n, at;
} reader;

static void take(lua_State *L, reader *r, void *dst, size_t len) {
  if (r->n - r->at < len) luaL_error(L, "mpi: a message ended early (ranks running different bundle versions?)");
  memcpy(dst, r->p + r->at, len);
  r->at += len;
}

/* Pushes the value encoded at r's position. */
static void decode(lua_State *L, reader *r, int depth) {
  luaL_checkstack(L, 4, "mpi: nested tables");
  char tag;
  take(L, r, &tag, 1);
  switch (tag) {
  case T_NIL: lua_pushnil(L); return;
  case T_FALSE: lua_pushboolean(L, 0); return;
  case T_TRUE: lua_pushboolean(L, 1); return;
  case T_INT: {
    int64_t v;
    take(L, r, &v, sizeof v);
    lua_pushinteger(L, (lua_Integer)v);
    return;
  }
  case T_NUM: {
    double v;
    take(L, r, &v, sizeof v);
    lua_pushnumber(L, v);
    return;
  }
  case T_STR: {
    uint64_t len;
    take(L, r, &len, sizeof len);
    if (r->n - r->at < len) luaL_error(L, "mpi: a message ended early");
    lua_pushlstring(L, r->p + r->at, (size_t)len);
    r->at += (size_t)len;
    return;
  }
  case T_TABLE: {
    uint64_t count;
    take(L, r, &count, sizeof count);
    if (depth >= MAX_DEPTH) luaL_error(L, "mpi: message nested too deep");
    lua_createtable(L, 0, 0);
    for (uint64_t i = 0; i < count; i++) {
      decode(L, r, depth + 1);
      decode(L, r, depth + 1);
      if (lua_isnil(L, -2)) luaL_error(L, "mpi: a message holds a nil key");
      lua_rawset(L, -3);
    }
    return;
  }
  case T_TENSOR: {
    int32_t nd;
    take(L, r, &nd, sizeof nd);
    int64_t shape[16];
    if (nd < 0 || nd > 16) luaL_error(L, "mpi: a tensor of %d dimensions in a message", (int)nd);
    take(L, r, shape, (size_t)nd * sizeof *shape);
    br_tensor **slot = lbr_tensor_push_slot(L);
    if (br_tensor_empty(slot, nd, shape) != BR_OK) lbr_error(L);
    take(L, r, br_tensor_data(*slot), (size_t)br_tensor_numel(*slot) * sizeof(double));
    lbr_tensor_account(L, *slot);
    return;
  }
  default: luaL_error(L, "mpi: a message holds an unknown tag %d", tag);
  }
}

/* An optional root argument at idx: 0 by default, 0-based, a rank of w. */
static int opt_root(lua_State *L, int idx, const br_comm *w) {
  lua_Integer root = luaL_optinteger(L, idx, 0);
  luaL_argcheck(L, root >= 0 && root < br_comm_size(w), idx, "root must be a rank (0 .. size - 1)");
  return (int)root;
}

/* gather(value [, root]): the list of every rank's value (by rank, 1-based
 * index = rank + 1) on root, nil elsewhere. allgather: on every rank. */
static int gather_to(lua_State *L, int root, br_comm *w, const char *fn) {
  mbuf *b = push_mbuf(L);
  encode(L, b, 1, 0, fn);
  void *all = NULL;
  int64_t *lens = NULL;
  if (br_comm_gather(w, b->p, (int64_t)b->n, root, &all, &lens) != BR_OK)
    return lbr_errorf(L, "mpi.%s: %s", fn, br_last_error());
  if (!all) {
    lua_pushnil(L);
    return 1;
  }
  mbuf *hold = push_mbuf(L); /* owns the gathered bytes from here */
  hold->p = all;
  int size = br_comm_size(w);
  int64_t at = 0;
  int64_t *l = lua_newuserdatauv(L, (size_t)size * sizeof *l, 0);
  memcpy(l, lens, (size_t)size * sizeof *l);
  br_free_out(lens);
  lua_createtable(L, size, 0);
  for (int r = 0; r < size; r++) {
    reader rd = {(const char *)all + at, (size_t)l[r], 0};
    decode(L, &rd, 0);
    lua_rawseti(L, -2, r + 1);
    at += l[r];
  }
  return 1;
}

static int mpi_gather(lua_State *L) {
  luaL_checkany(L, 1);
  br_comm *w = world(L, "gather");
  int root = opt_root(L, 2, w);
  lua_settop(L, 1);
  return gather_to(L, root, w, "gather");
}

static int mpi_allgather(lua_State *L) {
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  return gather_to(L, -1, world(L, "allgather"), "allgather");
}

/* bcast(value [, root]): root's value on every rank (a copy on root too). */
static int mpi_bcast(lua_State *L) {
  br_comm *w = world(L, "bcast");
  int root = opt_root(L, 2, w);
  lua_settop(L, 1);
  mbuf *b = push_mbuf(L);
  if (br_comm_rank(w) == root) encode(L, b, 1, 0, "bcast");
  void *data = b->p;
  int64_t len = (int64_t)b->n;
  if (br_comm_bcast(w, &data, &len, root) != BR_OK) return lbr_errorf(L, "mpi.bcast: %s", br_last_error());
  if (br_comm_rank(w) != root) { /* the received copy is ours to free */
    br_free_out(b->p);
    b->p = data;
    b->n = b->cap = (size_t)len;
  }
  reader rd = {b->p, b->n, 0};
  decode(L, &rd, 0);
  return 1;
}

/* ---- allreduce ---- */

/* Ranks must agree on a reduction's shape: max and min of the number (and
 * of a hash of the keys) over all ranks must be equal. */
static void agree(lua_State *L, br_comm *w, int64_t n, int64_t keyhash, const char *what) {
  int64_t v[4] = {n, -n, keyhash, -keyhash};
  if (br_comm_allreduce_i64(w, v, 4, BR_COMM_MAX) != BR_OK) lbr_errorf(L, "mpi.allreduce: %s", br_last_error());
  if (v[0] != -v[1] || v[2] != -v[3])
    lbr_errorf(L, "mpi.allreduce: the ranks passed %s of different sizes or keys", what);
}

/* 1 when every rank's values are all integers (an i64 reduction, exact). */
static int all_integers(lua_State *L, br_comm *w, int mine) {
  int64_t v = mine;
  if (br_comm_allreduce_i64(w, &v, 1, BR_COMM_MIN) != BR_OK) lbr_errorf(L, "mpi.allreduce: %s", br_last_error());
  return v == 1;
}

static uint64_t fnv(uint64_t h, const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return h;
}

/* Reduces the n numbers at stack slots first..first+n-1 in place. */
static void reduce_slots(lua_State *L, br_comm *w, int first, int64_t n, br_comm_op op) {
  int ints = 1;
  for (int64_t i = 0; i < n; i++) ints &= lua_isinteger(L, first + (int)i);
  ints = all_integers(L, w, ints);
  void *v = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * 8, 0);
  for (int64_t i = 0; i < n; i++) {
    if (ints) ((int64_t *)v)[i] = lua_tointeger(L, first + (int)i);
    else ((double *)v)[i] = lua_tonumber(L, first + (int)i);
  }
  br_status s = ints ? br_comm_allreduce_i64(w, v, n, op) : br_comm_allreduce_f64(w, v, n, op);
  if (s != BR_OK) lbr_errorf(L, "mpi.allreduce: %s", br_last_error());
  for (int64_t i = 0; i < n; i++) {
    if (ints) lua_pushinteger(L, (lua_Integer)((int64_t *)v)[i]);
    else lua_pushnumber(L, ((double *)v)[i]);
    lua_replace(L, first + (int)i);
  }
  lua_pop(L, 1);
}

/* allreduce(x [, op]): x a number, a table of numbers (a list, or names to
 * numbers: the same names on every rank) or a tensor (the same shape);
 * op "sum" (default), "max" or "min". Returns a new value. */
static int mpi_allreduce(lua_State *L) {
  luaL_checkany(L, 1);
  br_comm *w = world(L, "allreduce");
  br_comm_op op = BR_COMM_SUM;
  if (!lua_isnoneornil(L, 2) && br_comm_op_parse(&op, luaL_checkstring(L, 2)) != BR_OK)
    return lbr_errorf(L, "mpi.allreduce: %s", br_last_error());
  lua_settop(L, 1);
  br_tensor *t = lbr_tensor_test(L, 1);
  if (t) {
    int64_t n = br_tensor_numel(t);
    uint64_t h = 1469598103934665603ULL;
    h = fnv(h, (const char *)br_tensor_shape(t), (size_t)br_tensor_ndim(t) * sizeof(int64_t));
    agree(L, w, n, (int64_t)(h >> 1), "tensors");
    br_tensor **slot = lbr_tensor_push_slot(L);
    if (br_tensor_clone(slot, t) != BR_OK) return lbr_error(L);
    lbr_tensor_account(L, *slot);
    if (br_comm_allreduce_f64(w, br_tensor_data(*slot), n, op) != BR_OK)
      return lbr_errorf(L, "mpi.allreduce: %s", br_last_error());
    return 1;
  }
  if (lua_type(L, 1) == LUA_TNUMBER) {
    agree(L, w, 1, 0, "values");
    reduce_slots(L, w, 1, 1, op);
    return 1;
  }
  if (!lua_istable(L, 1))
    return luaL_argerror(L, 1, "a number, a table of numbers or a tensor");
  /* the keys in one order on every rank: 1..n for a list, else sorted names */
  int64_t n = (int64_t)lua_rawlen(L, 1), count = 0;
  for (lua_pushnil(L); lua_next(L, 1); lua_pop(L, 1)) count++;
  lua_createtable(L, (int)count, 0); /* keys, at 2 */
  if (count == n) {
    for (int64_t i = 1; i <= n; i++) {
      lua_pushinteger(L, i);
      lua_rawseti(L, 2, i);
    }
  } else {
    int64_t k = 0;
    for (lua_pushnil(L); lua_next(L, 1); lua_pop(L, 1)) {
      if (lua_type(L, -2) != LUA_TSTRING)
        return lbr_errorf(L, "mpi.allreduce: a table must be a list of numbers or map names to numbers");
      lua_pushvalue(L, -2);
      lua_rawseti(L, 2, ++k);
    }
    lbr_sort_strings(L, 2);
  }
  uint64_t h = 1469598103934665603ULL;
  for (int64_t i = 1; i <= count; i++) {
    lua_rawgeti(L, 2, i);
    size_t len;
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : (len = 0, "");
    h = fnv(h, s, len) * 31 + 1;
    lua_pop(L, 1);
  }
  agree(L, w, count, (int64_t)(h >> 1), "tables");
  luaL_checkstack(L, (int)count + 4, "mpi.allreduce: too many values");
  int first = lua_gettop(L) + 1;
  for (int64_t i = 1; i <= count; i++) {
    lua_rawgeti(L, 2, i);
    lua_rawget(L, 1);
    if (lua_type(L, -1) != LUA_TNUMBER)
      return lbr_errorf(L, "mpi.allreduce: value %lld of the table is a %s, not a number", (long long)i,
                        luaL_typename(L, -1));
  }
  reduce_slots(L, w, first, count, op);
  lua_createtable(L, count == n ? (int)n : 0, count == n ? 0 : (int)count);
  for (int64_t i = 1; i <= count; i++) {
    lua_rawgeti(L, 2, i);
    lua_pushvalue(L, first + (int)i - 1);
    lua_rawset(L, -3);
  }
  return 1;
}

/* ---- distributed data ---- */

/* read_csv(path [, options]): this rank's share of the file, cut at line
 * ends and, with key = "<basket column>", never inside a run of lines of
 * one basket. Other options are read_csv's. Returns frame, report (with
 * begin and end: the bytes read). */
static int mpi_read_csv(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lbr_check_path(L, "mpi.read_csv", path, 0);
  lua_settop(L, 2);
  br_comm *w = world(L, "read_csv");
  br_dist_split sp;
  br_dist_split_init(&sp);
  lua_newtable(L); /* the options for read_csv: a copy without key, at 3 */
  if (!lua_isnil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    for (lua_pushnil(L); lua_next(L, 2); lua_pop(L, 1)) {
      if (lua_type(L, -2) == LUA_TSTRING && strcmp(lua_tostring(L, -2), "key") == 0) continue;
      if (lua_type(L, -2) == LUA_TSTRING && strcmp(lua_tostring(L, -2), "range") == 0)
        return lbr_errorf(L, "mpi.read_csv: option 'range' is chosen per rank (leave it out)");
      lua_pushvalue(L, -2);
      lua_pushvalue(L, -2);
      lua_rawset(L, 3);
    }
    lua_getfield(L, 2, "key");
    if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
      return lbr_errorf(L, "mpi.read_csv: option 'key' must be a column name");
    sp.key = lua_tostring(L, -1); /* kept alive by the options table */
    lua_getfield(L, 2, "sep");
    if (lua_type(L, -1) == LUA_TSTRING && lua_rawlen(L, -1) == 1) sp.sep = lua_tostring(L, -1)[0];
    lua_getfield(L, 2, "quote");
    if (lua_type(L, -1) == LUA_TSTRING && lua_rawlen(L, -1) == 1) sp.quote = lua_tostring(L, -1)[0];
    lua_pop(L, 3);
  }
  int64_t begin = 0, end = 0;
  if (br_dist_range(&begin, &end, path, &sp, br_comm_rank(w), br_comm_size(w)) != BR_OK)
    return lbr_errorf(L, "mpi.read_csv: %s", br_last_error());
  lua_createtable(L, 2, 0);
  lua_pushinteger(L, begin);
  lua_rawseti(L, -2, 1);
  lua_pushinteger(L, end);
  lua_rawseti(L, -2, 2);
  lua_setfield(L, 3, "range");
  lua_pushvalue(L, lua_upvalueindex(1)); /* bundle's read_csv */
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 3);
  lua_call(L, 2, 2);
  lua_pushinteger(L, begin);
  lua_setfield(L, -2, "begin");
  lua_pushinteger(L, end);
  lua_setfield(L, -2, "end");
  return 2;
}

/* baskets(frame, spec) or baskets(baskets): this rank's baskets with item
 * ids from one dictionary shared by all ranks, marked as spread over the
 * world so that frequent, rules and backtest count every rank's. */
static int mpi_baskets(lua_State *L) {
  br_comm *w = world(L, "baskets");
  if (!luaL_testudata(L, 1, "bundle.Baskets")) { /* a frame and a spec: bundle.baskets first */
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, 1);
  }
  br_baskets *b = lbr_baskets_check(L, 1);
  lbr_pin(L, 1, "a running mpi.baskets");
  br_baskets **slot = lbr_baskets_push_slot(L);
  if (br_dist_baskets_global(slot, w, b) != BR_OK) return lbr_errorf(L, "mpi.baskets: %s", br_last_error());
  lua_rawgetp(L, LUA_REGISTRYINDEX, &dist_key);
  lua_pushvalue(L, -2);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
  return 1;
}

int lbr_mpi_baskets_spread(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &dist_key) != LUA_TTABLE) {
    lua_pop(L, 1);
    return 0;
  }
  lua_pushvalue(L, idx);
  int spread = lua_rawget(L, -2) != LUA_TNIL;
  lua_pop(L, 2);
  return spread;
}

br_comm *lbr_mpi_baskets_world(lua_State *L, int idx) {
  return lbr_mpi_baskets_spread(L, idx) ? world(L, "baskets") : NULL;
}

br_status lbr_mine(lua_State *L, int idx, br_itemsets **out, const br_baskets *b, const br_mine_options *o) {
  br_comm *w = lbr_mpi_baskets_world(L, idx);
  return w ? br_dist_frequent(out, w, b, o) : br_baskets_frequent(out, b, o);
}

/* gram(Y): the sum over ranks of Y'Y for each rank's rows x f tensor Y. */
static int mpi_gram(lua_State *L) {
  br_tensor *y = lbr_tensor_check(L, 1);
  br_comm *w = world(L, "gram");
  if (br_tensor_ndim(y) != 2) return luaL_argerror(L, 1, "a rows x factors matrix");
  int64_t rows = br_tensor_shape(y)[0], f = br_tensor_shape(y)[1];
  agree(L, w, f, 0, "matrices");
  br_tensor **c = lbr_tensor_push_slot(L);
  if (br_tensor_contiguous(c, y) != BR_OK) return lbr_error(L);
  br_tensor **g = lbr_tensor_push_slot(L);
  int64_t shape[2] = {f, f};
  if (br_tensor_empty(g, 2, shape) != BR_OK) return lbr_error(L);
  lbr_tensor_account(L, *g);
  if (br_dist_gram(br_tensor_data(*g), w, br_tensor_data(*c), rows, (int)f) != BR_OK)
    return lbr_errorf(L, "mpi.gram: %s", br_last_error());
  return 1;
}

void lbr_mpi_open(lua_State *L) {
  if (luaL_newmetatable(L, MPI_BUF_MT)) {
    lua_pushcfunction(L, mbuf_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  lua_newtable(L); /* weak keys: closing spread baskets forgets them */
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &dist_key);

  static const luaL_Reg fns[] = {{"rank", mpi_rank},         {"size", mpi_size},       {"launched", mpi_launched},
                                 {"barrier", mpi_barrier},   {"allreduce", mpi_allreduce}, {"gather", mpi_gather},
                                 {"allgather", mpi_allgather}, {"bcast", mpi_bcast}, {"gram", mpi_gram},
                                 {NULL, NULL}};
  luaL_newlib(L, fns);
  lua_pushboolean(L, br_mpi_built());
  lua_setfield(L, -2, "built");
  lua_getfield(L, -2, "read_csv"); /* the opener runs after lbr_frame_open and lbr_basket_open */
  lua_pushcclosure(L, mpi_read_csv, 1);
  lua_setfield(L, -2, "read_csv");
  lua_getfield(L, -2, "baskets");
  lua_pushcclosure(L, mpi_baskets, 1);
  lua_setfield(L, -2, "baskets");
  lua_setfield(L, -2, "mpi");
}
