/* bundle.tensor: tensors as full userdata ("bundle.Tensor") holding one
 * br_tensor pointer. Lua sees 1-based dims and indices (negative ones count
 * from the end); this file converts them and checks ranges so that every
 * message is in the script's terms. Arithmetic and storage stay in the core. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lbundle.h"

/* Collect once this many bytes of tensor storage were made since the last
 * collection (or twice the Lua heap, when that is larger). */
#define GC_MIN_BYTES ((size_t)16 << 20)

/* ---- the userdata ---- */

br_tensor **lbr_tensor_push_slot(lua_State *L) {
  br_tensor **slot = lua_newuserdatauv(L, sizeof *slot, 0);
  *slot = NULL; /* empty until the core fills it: a failure leaks nothing */
  luaL_setmetatable(L, LBR_TENSOR_MT);
  return slot;
}

br_tensor *lbr_tensor_test(lua_State *L, int idx) {
  br_tensor **slot = luaL_testudata(L, idx, LBR_TENSOR_MT);
  return slot ? *slot : NULL;
}

br_tensor *lbr_tensor_check(lua_State *L, int idx) {
  br_tensor **slot = luaL_checkudata(L, idx, LBR_TENSOR_MT);
  if (!*slot) luaL_argerror(L, idx, "tensor has been closed");
  return *slot;
}

/* Lua's collector sees only the 8-byte userdata, not the storage behind it,
 * so a loop making large tensors would outrun collection. Incremental steps
 * with a fake debt do not help in generational mode (lua.c's default): the
 * inflated debt makes Lua judge its major collections "bad" and back off.
 * Instead count the bytes made since the last full collection and collect
 * when they pass max(16 MiB, 2 x Lua heap): the cost of a full collection is
 * proportional to the Lua heap, so this stays a small fraction of the work. */
static char gc_bytes_key;

void lbr_tensor_account(lua_State *L, const br_tensor *t) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &gc_bytes_key);
  size_t *since = lua_touserdata(L, -1);
  lua_pop(L, 1); /* the registry keeps it alive */
  if (!since) return;
  *since += br_tensor_storage_bytes(t);
  if (*since < GC_MIN_BYTES) return;
  size_t heap = (size_t)lua_gc(L, LUA_GCCOUNT) * 1024;
  if (*since < 2 * heap) return;
  *since = 0;
  lua_gc(L, LUA_GCCOLLECT);
}

/* Calls the core function that filled *slot: on failure raise, else account. */
static int finish(lua_State *L, br_status s, br_tensor **slot) {
  if (s != BR_OK) return lbr_error(L);
  lbr_tensor_account(L, *slot);
  return 1;
}

static int tensor_gc(lua_State *L) {
  br_tensor **slot = luaL_checkudata(L, 1, LBR_TENSOR_MT);
  lbr_check_unpinned(L, 1, "Tensor");
  br_tensor_free(*slot); /* the storage is shared by reference count with any views */
  *slot = NULL;
  return 0;
}

/* ---- argument helpers ---- */

/* A 1-based dim (negative counts from the end) to a 0-based one. */
static int check_dim(lua_State *L, int arg, const br_tensor *t, const char *fn) {
  lua_Integer d = luaL_checkinteger(L, arg);
  int nd = br_tensor_ndim(t);
  if (d < 0) d += nd + 1;
  if (d < 1 || d > nd)
    luaL_error(L, "%s: dimension %d out of range for a %d-d tensor", fn,
               (int)luaL_checkinteger(L, arg), nd);
  return (int)d - 1;
}

/* A 1-based index into an extent of `size` (negative counts from the end). */
static int64_t norm_index(lua_State *L, lua_Integer i, int64_t size, const char *fn,
                          int dim) {
  lua_Integer j = i < 0 ? i + size + 1 : i;
  if (j < 1 || j > size)
    lbr_errorf(L, "%s: index %lld out of range for dimension %d of size %lld", fn,
               (long long)i, dim + 1, (long long)size);
  return (int64_t)j - 1;
}

/* Reads sizes for a constructor from args first..last, or from one table at
 * first. Returns ndim. */
static int read_shape(lua_State *L, int first, int last, int64_t *shape, const char *fn) {
  int nd = 0;
  if (lua_istable(L, first)) {
    lua_Integer n = luaL_len(L, first);
    if (n > BR_TENSOR_MAX_DIMS)
      luaL_error(L, "%s: %d dimensions (at most %d)", fn, (int)n, BR_TENSOR_MAX_DIMS);
    for (int i = 1; i <= n; i++) {
      lua_geti(L, first, i);
      int ok;
      lua_Integer v = lua_tointegerx(L, -1, &ok);
      if (!ok) luaL_error(L, "%s: size %d is not an integer", fn, i);
      if (v < 0) lbr_errorf(L, "%s: size %d is negative (%lld)", fn, i, (long long)v);
      shape[nd++] = v;
      lua_pop(L, 1);
    }
    return nd;
  }
  for (int i = first; i <= last; i++) {
    if (nd == BR_TENSOR_MAX_DIMS)
      luaL_error(L, "%s: more than %d dimensions", fn, BR_TENSOR_MAX_DIMS);
    lua_Integer v = luaL_checkinteger(L, i);
    luaL_argcheck(L, v >= 0, i, "size must not be negative");
    shape[nd++] = v;
  }
  if (nd == 0) luaL_error(L, "%s: expected sizes, as numbers or one table", fn);
  return nd;
}

/* Index of the last argument that is not an options table. */
static int last_positional(lua_State *L) {
  int top = lua_gettop(L);
  return (top > 1 && lua_istable(L, top)) ? top - 1 : top;
}

/* ---- constructors ---- */

static int tensor_zeros(lua_State *L) {
  int64_t shape[BR_TENSOR_MAX_DIMS];
  int nd = read_shape(L, 1, lua_gettop(L), shape, "zeros");
  br_tensor **slot = lbr_tensor_push_slot(L);
  return finish(L, br_tensor_zeros(slot, nd, shape), slot);
}

static int tensor_ones(lua_State *L) {
  int64_t shape[BR_TENSOR_MAX_DIMS];
  int nd = read_shape(L, 1, lua_gettop(L), shape, "ones");
  br_tensor **slot = lbr_tensor_push_slot(L);
  return finish(L, br_tensor_full(slot, nd, shape, 1.0), slot);
}

/* full(sizes..., value) or full({sizes}, value) */
static int tensor_full(lua_State *L) {
  int top = lua_gettop(L);
  double v = luaL_checknumber(L, top);
  luaL_argcheck(L, top >= 2, 1, "expected sizes and a value");
  int64_t shape[BR_TENSOR_MAX_DIMS];
  int nd = read_shape(L, 1, top - 1, shape, "full");
  br_tensor **slot = lbr_tensor_push_slot(L);
  return finish(L, br_tensor_full(slot, nd, shape, v), slot);
}

static int tensor_eye(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  lua_Integer m = luaL_optinteger(L, 2, n);
  luaL_argcheck(L, n >= 0, 1, "size must not be negative");
  luaL_argcheck(L, m >= 0, 2, "size must not be negative");
  br_tensor **slot = lbr_tensor_push_slot(L);
  return finish(L, br_tensor_eye(slot, n, m), slot);
}

/* arange(stop) or arange(start, stop [, step]); stop is excluded, as in numpy. */
static int tensor_arange(lua_State *L) {
  double start = 0, stop, step = 1;
  if (lua_gettop(L) <= 1) {
    stop = luaL_checknumber(L, 1);
  } else {
    start = luaL_checknumber(L, 1);
    stop = luaL_checknumber(L, 2);
    step = luaL_optnumber(L, 3, 1);
  }
  br_tensor **slot = lbr_tensor_push_slot(L);
  return finish(L, br_tensor_arange(slot, start, stop, step), slot);
}

static int tensor_linspace(lua_State *L) {
  double a = luaL_checknumber(L, 1), b = luaL_checknumber(L, 2);
  lua_Integer n = luaL_checkinteger(L, 3);
  luaL_argcheck(L, n >= 0, 3, "count must not be negative");
  br_tensor **slot = lbr_tensor_push_slot(L);
  return finish(L, br_tensor_linspace(slot, a, b, n), slot);
}

static const char *const random_options[] = {"seed", NULL};

/* rand/randn(sizes... [, {seed = n}]): a seed gives its own stream, else the
 * default generator (bundle.seed) is used and advanced. */
static int random_tensor(lua_State *L, int normal, const char *fn) {
  int last = last_positional(L);
  int opts = last < lua_gettop(L) ? lua_gettop(L) : 0;
  int64_t shape[BR_TENSOR_MAX_DIMS];
  int nd = read_shape(L, 1, last, shape, fn);
  br_rng local, *rng = lbr_default_rng(L);
  if (opts) {
    lbr_check_options(L, opts, fn, random_options);
    lua_getfield(L, opts, "seed");
    if (!lua_isnil(L, -1)) {
      br_rng_seed(&local, (uint64_t)lbr_opt_integer(L, opts, fn, "seed", 0));
      rng = &local;
    }
    lua_pop(L, 1);
  }
  br_tensor **slot = lbr_tensor_push_slot(L);
  br_status s = normal ? br_tensor_randn(slot, nd, shape, rng)
                       : br_tensor_rand(slot, nd, shape, rng);
  return finish(L, s, slot);
}

static int tensor_rand(lua_State *L) { return random_tensor(L, 0, "rand"); }
static int tensor_randn(lua_State *L) { return random_tensor(L, 1, "randn"); }

/* from{...}: nested tables of numbers, rectangular. The shape is read down
 * the first elements, then every element is checked against it. */
static void from_fill(lua_State *L, int depth, int nd, const int64_t *shape, double *dst,
                      int64_t *pos, int64_t *path) {
  /* [... table] */
  lua_Integer n = luaL_len(L, -1);
  if (n != shape[depth]) {
    char where[160] = "";
    size_t used = 0;
    for (int d = 0; d < depth; d++)
      used += (size_t)snprintf(where + used, sizeof where - used, "[%lld]", (long long)path[d] + 1);
    luaL_error(L, "from: table%s has %d elements, expected %d (rows must be equal)",
               where, (int)n, (int)shape[depth]);
  }
  for (lua_Integer i = 1; i <= n; i++) {
    path[depth] = i - 1;
    lua_geti(L, -1, i);
    if (depth + 1 < nd) {
      if (!lua_istable(L, -1))
        luaL_error(L, "from: element at depth %d, position %d is a %s, expected a table",
                   depth + 1, (int)i, luaL_typename(L, -1));
      from_fill(L, depth + 1, nd, shape, dst, pos, path);
    } else {
      int ok;
      double v = lua_tonumberx(L, -1, &ok);
      if (!ok || lua_type(L, -1) != LUA_TNUMBER)
        lbr_errorf(L, "from: element %d of row %lld is a %s, expected a number", (int)i,
                   (long long)(depth ? path[depth - 1] + 1 : 1), luaL_typename(L, -1));
      dst[(*pos)++] = v;
    }
    lua_pop(L, 1);
  }
}

static int tensor_from(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int64_t shape[BR_TENSOR_MAX_DIMS];
  int nd = 0;
  lua_pushvalue(L, 1);
  for (;;) { /* walk first elements to find the shape: [t1 .. tk] */
    if (nd == BR_TENSOR_MAX_DIMS) luaL_error(L, "from: nested deeper than %d", BR_TENSOR_MAX_DIMS);
    shape[nd++] = luaL_len(L, -1);
    if (shape[nd - 1] == 0) break;
    lua_geti(L, -1, 1);
    if (!lua_istable(L, -1)) {
      lua_pop(L, 1);
      break;
    }
  }
  lua_settop(L, 1);
  br_tensor **slot = lbr_tensor_push_slot(L); /* [tbl ud] */
  if (br_tensor_empty(slot, nd, shape) != BR_OK) return lbr_error(L);
  int64_t pos = 0, path[BR_TENSOR_MAX_DIMS] = {0};
  lua_pushvalue(L, 1); /* [tbl ud tbl] */
  from_fill(L, 0, nd, shape, br_tensor_data(*slot), &pos, path);
  lua_pop(L, 1);
  lbr_tensor_account(L, *slot);
  return 1;
}

/* ---- shape, access ---- */

static void push_shape(lua_State *L, const br_tensor *t) {
  int nd = br_tensor_ndim(t);
  const int64_t *sh = br_tensor_shape(t);
  lua_createtable(L, nd, 0);
  for (int d = 0; d < nd; d++) {
    lua_pushinteger(L, sh[d]);
    lua_rawseti(L, -2, d + 1);
  }
}

static int tensor_shape(lua_State *L) {
  push_shape(L, lbr_tensor_check(L, 1));
  return 1;
}

/* size(dim) -> extent; size() -> shape table */
static int tensor_size(lua_State *L) {
  br_tensor *t = lbr_tensor_check(L, 1);
  if (lua_isnoneornil(L, 2)) {
    push_shape(L, t);
    return 1;
  }
  lua_pushinteger(L, br_tensor_size(t, check_dim(L, 2, t, "size")));
  return 1;
}

static int tensor_numel(lua_State *L) {
  lua_pushinteger(L, br_tensor_numel(lbr_tensor_check(L, 1)));
  return 1;
}

static int tensor_dim(lua_State *L) {
  lua_pushinteger(L, br_tensor_ndim(lbr_tensor_check(L, 1)));
  return 1;
}

static int tensor_len(lua_State *L) {
  br_tensor *t = lbr_tensor_check(L, 1);
  if (br_tensor_ndim(t) == 0) return luaL_error(L, "#: a 0-d tensor has no length");
  lua_pushinteger(L, br_tensor_shape(t)[0]);
  return 1;
}

static int tensor_is_contiguous(lua_State *L) {
  lua_pushboolean(L, br_tensor_is_contiguous(lbr_tensor_check(L, 1)));
  return 1;
}

/* Reads ndim 1-based indices from args first.. into idx (0-based). */
static void read_indices(lua_State *L, const br_tensor *t, int first, int count,
                         int64_t *idx, const char *fn) {
  int nd = br_tensor_ndim(t);
  if (count != nd)
    luaL_error(L, "%s: %d indices given for a %d-d tensor", fn, count, nd);
  for (int d = 0; d < nd; d++)
    idx[d] = norm_index(L, luaL_checkinteger(L, first + d), br_tensor_shape(t)[d], fn, d);
}

static int tensor_get(lua_State *L) {
  br_tensor *t = lbr_tensor_check(L, 1);
  int64_t idx[BR_TENSOR_MAX_DIMS];
  read_indices(L, t, 2, lua_gettop(L) - 1, idx, "get");
  double v;
  if (br_tensor_get(t, idx, &v) != BR_OK) return lbr_error(L);
  lua_pushnumber(L, v);
  return 1;
}

/* set(i, j, ..., value) */
static int tensor_set(lua_State *L) {
  br_tensor *t = lbr_tensor_check(L, 1);
  int top = lua_gettop(L);
  double v = luaL_checknumber(L, top);
  int64_t idx[BR_TENSOR_MAX_DIMS];
  read_indices(L, t, 2, top - 2, idx, "set");
  if (br_tensor_set(t, idx, v) != BR_OK) return lbr_error(L);
  lua_settop(L, 1);
  return 1; /* self, for chaining */
}

static void push_nested(lua_State *L, const br_tensor *t, int dim, const double *p) {
  int nd = br_tensor_ndim(t);
  if (dim == nd) {
    lua_pushnumber(L, *p);
    return;
  }
  int64_t n = br_tensor_shape(t)[dim], st = br_tensor_strides(t)[dim];
  luaL_checkstack(L, 2, "totable");
  lua_createtable(L, n > INT_MAX ? INT_MAX : (int)n, 0);
  for (int64_t i = 0; i < n; i++) {
    push_nested(L, t, dim + 1, p + i * st);
    lua_rawseti(L, -2, i + 1);
  }
}

static int tensor_totable(lua_State *L) {
  br_tensor *t = lbr_tensor_check(L, 1);
  push_nested(L, t, 0, br_tensor_data(t));
  return 1;
}

static int tensor_tostring(lua_State *L) {
  br_tensor **slot = luaL_checkudata(L, 1, LBR_TENSOR_MT);
  if (!*slot) {
    lua_pushliteral(L, "bundle.Tensor (closed)");
    return 1;
  }
  /* Small tensors print whole; past 1000 values, 3 at each end of each dim. */
  int edge = br_tensor_numel(*slot) > 1000 ? 3 : 1 << 20;
  char *text;
  void **box = lbr_out_box(L);
  if (br_tensor_format(&text, *slot, edge) != BR_OK) return lbr_error(L);
  *box = text;
  lua_pushstring(L, text);
  lbr_out_free(box);
  return 1;
}

/* ---- views and copies ---- */

static int tensor_narrow(lua_State *L) {
  br_tensor *t = lbr_tensor_check(L, 1);
  int d = check_dim(L, 2, t, "narrow");
  int64_t size = br_tensor_shape(t)[d];
  lua_Integer start = luaL_checkinteger(L, 3), len = luaL_checkinteger(L, 4);
  int64_t s0 = start < 0 ? start + size + 1 : start;
  /* compared without adding: start - 1 + len overflows for a length near 2^63 */
  if (s0 < 1 || len < 0 || s0 - 1 > size || len > size - (s0 - 1))
    return lbr_errorf(L, "narrow: start %lld, length %lld out of range for dimension %d of size %lld",
                      (long long)start, (long long)len, d + 1, (long long)size);
  br_tensor **slot = lbr_tensor_push_slot(L);
  if (br_tensor_narrow(slot, t, d, s0 - 1, len) != BR_OK) return lbr_error(L);
  return 1;
}

static int tensor_select(lua_State *L) {
  br_tensor *t = lbr_tensor_check(L, 1);
  int d = check_dim(L, 2, t, "select");
  int64_t i = norm_index(L, luaL_checkinteger(L, 3), br_tensor_shape(t)[d], "select", d);
  br_tensor **slot = lbr_tensor_push_slot(L);
  if (br_tensor_select(slot, t, d, i) != BR_OK) return lbr_error(L);
  return 1;
}

/* slice(dim, first, last [, step]): first..last inclusive, like string.sub;
 * negative positions count from the end; last defaults to the end. */
static int tensor_slice(lua_State *L) {
  br_tensor *t = lbr_tensor_check(L, 1);
  int d = check_dim(L, 2, t, "slice");
  int64_t size = br_tensor_shape(t)[d];
  lua_Integer first = luaL_optinteger(L, 3, 1), last = luaL_optinteger(L, 4, -1);
  lua_Integer step = luaL_optinteger(L, 5, 1);
  luaL_argcheck(L, step >= 1, 5, "step must be at least 1");
  int64_t f = first < 0 ? first + size + 1 : first;
  int64_t l = last < 0 ? last + size + 1 : last;
  if (f < 1 || l > size || (f > l + 1))
    return lbr_errorf(L, "slice: range %lld..%lld out of bounds for dimension %d of size %lld",
                      (long long)first, (long long)last, d + 1, (long long)size);
  br_tensor **slot = lbr_tensor_push_slot(L);
  if (br_tensor_slice(slot, t, d, f - 1, l, step) != BR_OK) return lbr_error(L);
  return 1;
}

static int tensor_transpose(lua_State *L) {
  br_tensor *t = lbr_tensor_check(L, 1);
  int d0 = check_dim(L, 2, t, "transpose"), d1 = check_dim(L, 3, t, "transpose");
  br_tensor **slot = lbr_tensor_push_slot(L);
  if (br_tensor_transpose(slot, t, d0, d1) != BR_OK) return lbr_error(L);
  return 1;
}

/* t(): the transpose of a 2-d tensor; a 1-d or 0-d tensor is its own. */
static int tensor_t(lua_State *L) {
  br_tensor *t = lbr_tensor_check(L, 1);
  int nd = br_tensor_ndim(t);
  if (nd > 2) return luaL_error(L, "t: expects at most 2 dimensions, got %d (use transpose)", nd);
  br_tensor **slot = lbr_tensor_push_slot(L);
  br_status s = nd == 2 ? br_tensor_transpose(slot, t, 0, 1) : br_tensor_view(slot, t);
  if (s != BR_OK) return lbr_error(L);
  return 1;
}

/* reshape(sizes...) or reshape{sizes}; one size may be -1. */
static int tensor_reshape(lua_State *L) {
  br_tensor *t = lbr_tensor_check(L, 1);
  int64_t shape[BR_TENSOR_MAX_DIMS];
  int nd = 0, top = lua_gettop(L);
  if (lua_istable(L, 2)) {
    lua_Integer n = luaL_len(L, 2);
    if (n > BR_TENSOR_MAX_DIMS) return luaL_error(L, "reshape: more than %d dimensions", BR_TENSOR_MAX_DIMS);
    for (int i = 1; i <= n; i++) {
      lua_geti(L, 2, i);
      int ok;
      shape[nd++] = lua_tointegerx(L, -1, &ok);
      if (!ok) return luaL_error(L, "reshape: size %d is not an integer", i);
      lua_pop(L, 1);
    }
  } else {
    if (top - 1 > BR_TENSOR_MAX_DIMS) return luaL_error(L, "reshape: more than %d dimensions", BR_TENSOR_MAX_DIMS);
    for (int i = 2; i <= top; i++) shape[nd++] = luaL_checkinteger(L, i);
  }
  br_tensor **slot = lbr_tensor_push_slot(L);
  return finish(L, br_tensor_reshape(slot, t, nd, shape), slot);
}

static int tensor_contiguous(lua_State *L) {
  br_tensor *t = lbr_tensor_check(L, 1);
  br_tensor **slot = lbr_tensor_push_slot(L);
  return finish(L, br_tensor_contiguous(slot, t), slot);
}

static int tensor_clone(lua_State *L) {
  br_tensor *t = lbr_tensor_check(L, 1);
  br_tensor **slot = lbr_tensor_push_slot(L);
  return finish(L, br_tensor_clone(slot, t), slot);
}

/* dst:copy(src): src broadcast into dst's values; returns dst. */
static int tensor_copy(lua_State *L) {
  br_tensor *dst = lbr_tensor_check(L, 1), *src = lbr_tensor_check(L, 2);
  if (br_tensor_copy(dst, src) != BR_OK) return lbr_error(L);
  lua_settop(L, 1);
  return 1;
}

static int tensor_fill(lua_State *L) {
  br_tensor *t = lbr_tensor_check(L, 1);
  br_tensor_fill(t, luaL_checknumber(L, 2));
  lua_settop(L, 1);
  return 1;
}

/* ---- elementwise ---- */

/* a op b where either side may be a number (metamethods get the number first
 * for `2 * a`). */
static int binary(lua_State *L, br_binary_op op) {
  const char *fn = br_binary_op_name(op);
  br_tensor *a = lbr_tensor_test(L, 1), *b = lbr_tensor_test(L, 2);
  br_tensor **slot;
  br_status s;
  if (a && b) {
    slot = lbr_tensor_push_slot(L);
    s = br_tensor_binary(slot, op, a, b);
  } else if (a) {
    if (lua_type(L, 2) != LUA_TNUMBER)
      return luaL_error(L, "bad argument #2 to '%s' (tensor or number expected, got %s)", fn,
                        luaL_typename(L, 2));
    double v = lua_tonumber(L, 2);
    slot = lbr_tensor_push_slot(L);
    s = br_tensor_binary_scalar(slot, op, a, v, BR_SCALAR_RIGHT);
  } else if (b && lua_type(L, 1) == LUA_TNUMBER) {
    double v = lua_tonumber(L, 1);
    slot = lbr_tensor_push_slot(L);
    s = br_tensor_binary_scalar(slot, op, b, v, BR_SCALAR_LEFT);
  } else {
    return luaL_error(L, "bad argument #1 to '%s' (tensor or number expected, got %s)", fn,
                      luaL_typename(L, b ? 1 : 2));
  }
  return finish(L, s, slot);
}

static int tensor_add(lua_State *L) { return binary(L, BR_OP_ADD); }
static int tensor_sub(lua_State *L) { return binary(L, BR_OP_SUB); }
static int tensor_mul(lua_State *L) { return binary(L, BR_OP_MUL); }
static int tensor_div(lua_State *L) { return binary(L, BR_OP_DIV); }
static int tensor_pow(lua_State *L) { return binary(L, BR_OP_POW); }
static int tensor_eq(lua_State *L) { return binary(L, BR_OP_EQ); }
static int tensor_ne(lua_State *L) { return binary(L, BR_OP_NE); }
static int tensor_lt(lua_State *L) { return binary(L, BR_OP_LT); }
static int tensor_le(lua_State *L) { return binary(L, BR_OP_LE); }
static int tensor_gt(lua_State *L) { return binary(L, BR_OP_GT); }
static int tensor_ge(lua_State *L) { return binary(L, BR_OP_GE); }
static int tensor_maximum(lua_State *L) { return binary(L, BR_OP_MAXIMUM); }
static int tensor_minimum(lua_State *L) { return binary(L, BR_OP_MINIMUM); }
static int tensor_and(lua_State *L) { return binary(L, BR_OP_AND); }
static int tensor_or(lua_State *L) { return binary(L, BR_OP_OR); }

static int unary(lua_State *L, br_unary_op op) {
  br_tensor *a = lbr_tensor_check(L, 1);
  br_tensor **slot = lbr_tensor_push_slot(L);
  return finish(L, br_tensor_unary(slot, op, a), slot);
}

static int tensor_neg(lua_State *L) { return unary(L, BR_OP_NEG); }
static int tensor_exp(lua_State *L) { return unary(L, BR_OP_EXP); }
static int tensor_log(lua_State *L) { return unary(L, BR_OP_LOG); }
static int tensor_sqrt(lua_State *L) { return unary(L, BR_OP_SQRT); }
static int tensor_abs(lua_State *L) { return unary(L, BR_OP_ABS); }
static int tensor_tanh(lua_State *L) { return unary(L, BR_OP_TANH); }
static int tensor_sigmoid(lua_State *L) { return unary(L, BR_OP_SIGMOID); }
static int tensor_relu(lua_State *L) { return unary(L, BR_OP_RELU); }
static int tensor_not(lua_State *L) { return unary(L, BR_OP_NOT); }

/* clamp(lo, hi); nil leaves that side open. */
static int tensor_clamp(lua_State *L) {
  br_tensor *a = lbr_tensor_check(L, 1);
  double lo = luaL_optnumber(L, 2, -HUGE_VAL), hi = luaL_optnumber(L, 3, HUGE_VAL);
  br_tensor **slot = lbr_tensor_push_slot(L);
  return finish(L, br_tensor_clamp(slot, a, lo, hi), slot);
}

/* ---- reductions ---- */

static const char *const reduce_options[] = {"ddof", "keepdim", NULL};

/* x:op() -> number; x:op(dim [, {keepdim=, ddof=}]) -> tensor; x:op{ddof=} too.
 * argmin/argmax over everything return one 1-based index per dimension. */
static int reduce(lua_State *L, br_reduce_op op) {
  const char *fn = br_reduce_op_name(op);
  br_tensor *a = lbr_tensor_check(L, 1);
  int has_dim = lua_type(L, 2) == LUA_TNUMBER;
  int opts = has_dim ? 3 : 2;
  lbr_check_options(L, opts, fn, reduce_options);
  int ddof = lbr_opt_int(L, opts, fn, "ddof", 0);
  int keepdim = lbr_opt_boolean(L, opts, fn, "keepdim", 0);
  int is_arg = op == BR_REDUCE_ARGMIN || op == BR_REDUCE_ARGMAX;
  if (!has_dim) {
    if (!lua_isnoneornil(L, 2) && !lua_istable(L, 2))
      return luaL_error(L, "bad argument #1 to '%s' (dimension or options expected, got %s)",
                        fn, luaL_typename(L, 2));
    double v;
    if (br_tensor_reduce_all(&v, op, a, ddof) != BR_OK) return lbr_error(L);
    if (!is_arg) {
      lua_pushnumber(L, v);
      return 1;
    }
    /* flat row-major index -> one coordinate per dim */
    int nd = br_tensor_ndim(a);
    int64_t flat = (int64_t)v, coord[BR_TENSOR_MAX_DIMS];
    for (int d = nd - 1; d >= 0; d--) {
      int64_t n = br_tensor_shape(a)[d];
      coord[d] = flat % n;
      flat /= n;
    }
    luaL_checkstack(L, nd, fn);
    for (int d = 0; d < nd; d++) lua_pushinteger(L, coord[d] + 1);
    return nd;
  }
  int d = check_dim(L, 2, a, fn);
  br_tensor **slot = lbr_tensor_push_slot(L);
  if (br_tensor_reduce_dim(slot, op, a, d, keepdim, ddof) != BR_OK) return lbr_error(L);
  if (is_arg) { /* 0-based positions to Lua's 1-based */
    br_tensor *r = *slot;
    double *p = br_tensor_data(r);
    for (int64_t i = 0, n = br_tensor_numel(r); i < n; i++) p[i] += 1;
  }
  lbr_tensor_account(L, *slot);
  return 1;
}

static int tensor_sum(lua_State *L) { return reduce(L, BR_REDUCE_SUM); }
static int tensor_mean(lua_State *L) { return reduce(L, BR_REDUCE_MEAN); }
static int tensor_min(lua_State *L) { return reduce(L, BR_REDUCE_MIN); }
static int tensor_max(lua_State *L) { return reduce(L, BR_REDUCE_MAX); }
static int tensor_argmin(lua_State *L) { return reduce(L, BR_REDUCE_ARGMIN); }
static int tensor_argmax(lua_State *L) { return reduce(L, BR_REDUCE_ARGMAX); }
static int tensor_var(lua_State *L) { return reduce(L, BR_REDUCE_VAR); }
static int tensor_std(lua_State *L) { return reduce(L, BR_REDUCE_STD); }

/* ---- indexing ---- */

/* index(idx [, dim]): rows (or slices along dim) at 1-based positions given
 * as a table or a 1-d tensor of integers. */
static int tensor_index(lua_State *L) {
  br_tensor *a = lbr_tensor_check(L, 1);
  int d = lua_isnoneornil(L, 3) ? 0 : check_dim(L, 3, a, "index");
  if (br_tensor_ndim(a) == 0) return luaL_error(L, "index: a 0-d tensor has no rows");
  int64_t size = br_tensor_shape(a)[d], n;
  br_tensor *it = lbr_tensor_test(L, 2);
  if (it) {
    if (br_tensor_ndim(it) != 1) return luaL_error(L, "index: index tensor must be 1-d, got %d-d", br_tensor_ndim(it));
    n = br_tensor_shape(it)[0];
  } else {
    luaL_argexpected(L, lua_istable(L, 2), 2, "table or tensor of indices");
    n = (int64_t)luaL_len(L, 2);
  }
  /* The index list lives in a userdata so a raised error cannot leak it. */
  int64_t *idx = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *idx, 0);
  for (int64_t k = 0; k < n; k++) {
    double v;
    if (it) {
      v = br_tensor_data(it)[k * br_tensor_strides(it)[0]];
    } else {
      lua_geti(L, 2, k + 1);
      int ok;
      v = lua_tonumberx(L, -1, &ok);
      if (!ok) return lbr_errorf(L, "index: entry %lld is a %s, expected an integer", (long long)k + 1, luaL_typename(L, -1));
      lua_pop(L, 1);
    }
    if (v != floor(v) || fabs(v) > 9e15)
      return lbr_errorf(L, "index: entry %lld is %g, not an integer", (long long)k + 1, v);
    int64_t i = (int64_t)v;
    int64_t j = i < 0 ? i + size + 1 : i;
    if (j < 1 || j > size)
      return lbr_errorf(L, "index: entry %lld is %lld, out of range for dimension %d of size %lld",
                        (long long)k + 1, (long long)i, d + 1, (long long)size);
    idx[k] = j - 1;
  }
  br_tensor **slot = lbr_tensor_push_slot(L);
  return finish(L, br_tensor_index_select(slot, a, d, idx, n), slot);
}

/* mask(m): elements where m ~= 0 (m of a's shape), or rows where a 1-d m ~= 0. */
static int tensor_mask(lua_State *L) {
  br_tensor *a = lbr_tensor_check(L, 1), *m = lbr_tensor_check(L, 2);
  br_tensor **slot = lbr_tensor_push_slot(L);
  return finish(L, br_tensor_masked_select(slot, a, m), slot);
}

/* ---- products ---- */

static int tensor_matmul(lua_State *L) {
  br_tensor *a = lbr_tensor_check(L, 1), *b = lbr_tensor_check(L, 2);
  br_tensor **slot = lbr_tensor_push_slot(L);
  return finish(L, br_tensor_matmul(slot, a, b), slot);
}

static int tensor_dot(lua_State *L) {
  br_tensor *a = lbr_tensor_check(L, 1), *b = lbr_tensor_check(L, 2);
  double v;
  if (br_tensor_dot(&v, a, b) != BR_OK) return lbr_error(L);
  lua_pushnumber(L, v);
  return 1;
}

static int tensor_outer(lua_State *L) {
  br_tensor *a = lbr_tensor_check(L, 1), *b = lbr_tensor_check(L, 2);
  br_tensor **slot = lbr_tensor_push_slot(L);
  return finish(L, br_tensor_outer(slot, a, b), slot);
}

/* ---- registration ---- */

static const luaL_Reg tensor_methods[] = {
    {"shape", tensor_shape},     {"size", tensor_size},
    {"numel", tensor_numel},     {"dim", tensor_dim},
    {"is_contiguous", tensor_is_contiguous},
    {"get", tensor_get},         {"set", tensor_set},
    {"totable", tensor_totable},
    {"narrow", tensor_narrow},   {"select", tensor_select},
    {"slice", tensor_slice},     {"transpose", tensor_transpose},
    {"t", tensor_t},             {"reshape", tensor_reshape},
    {"contiguous", tensor_contiguous}, {"clone", tensor_clone},
    {"copy", tensor_copy},       {"fill", tensor_fill},
    {"add", tensor_add},         {"sub", tensor_sub},
    {"mul", tensor_mul},         {"div", tensor_div},
    {"pow", tensor_pow},         {"neg", tensor_neg},
    {"eq", tensor_eq},           {"ne", tensor_ne},
    {"lt", tensor_lt},           {"le", tensor_le},
    {"gt", tensor_gt},           {"ge", tensor_ge},
    {"maximum", tensor_maximum}, {"minimum", tensor_minimum},
    {"and_", tensor_and},        {"or_", tensor_or},
    {"not_", tensor_not},
    {"exp", tensor_exp},         {"log", tensor_log},
    {"sqrt", tensor_sqrt},       {"abs", tensor_abs},
    {"tanh", tensor_tanh},       {"sigmoid", tensor_sigmoid},
    {"relu", tensor_relu},       {"clamp", tensor_clamp},
    {"sum", tensor_sum},         {"mean", tensor_mean},
    {"min", tensor_min},         {"max", tensor_max},
    {"argmin", tensor_argmin},   {"argmax", tensor_argmax},
    {"var", tensor_var},         {"std", tensor_std},
    {"index", tensor_index},     {"mask", tensor_mask},
    {"matmul", tensor_matmul},   {"dot", tensor_dot},
    {"outer", tensor_outer},     {"close", tensor_gc},
    {NULL, NULL},
};

static const luaL_Reg tensor_meta[] = {
    {"__add", tensor_add}, {"__sub", tensor_sub}, {"__mul", tensor_mul},
    {"__div", tensor_div}, {"__pow", tensor_pow}, {"__unm", tensor_neg},
    {"__len", tensor_len}, {"__tostring", tensor_tostring},
    {"__gc", tensor_gc},   {"__close", tensor_gc},
    {NULL, NULL},
};

static const luaL_Reg tensor_constructors[] = {
    {"zeros", tensor_zeros}, {"ones", tensor_ones},       {"full", tensor_full},
    {"eye", tensor_eye},     {"arange", tensor_arange},   {"linspace", tensor_linspace},
    {"rand", tensor_rand},   {"randn", tensor_randn},     {"from", tensor_from},
    {NULL, NULL},
};

/* is(x): true when x is a live tensor. */
static int tensor_is(lua_State *L) {
  lua_pushboolean(L, lbr_tensor_test(L, 1) != NULL);
  return 1;
}

void lbr_tensor_open(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &gc_bytes_key);
  if (lua_isnil(L, -1)) {
    size_t *since = lua_newuserdatauv(L, sizeof *since, 0);
    *since = 0;
    lua_rawsetp(L, LUA_REGISTRYINDEX, &gc_bytes_key);
  }
  lua_pop(L, 1);
  lbr_new_class(L, LBR_TENSOR_MT, tensor_methods, tensor_meta);
  luaL_newlib(L, tensor_constructors);
  lua_pushcfunction(L, tensor_is);
  lua_setfield(L, -2, "is");
}
