/* bundle.read_csv_chunks: a CSV file as an iterator of frames, a thin
 * binding over bundle/csv_chunks.h.
 *
 *     for frame in bundle.read_csv_chunks("orders.csv", { rows = 1e6, key = "order" }) do ... end
 *
 * The object is callable (so it is its own iterator in a generic for) and
 * holds its options table, whose strings the core reader points into. */
#include <stdint.h>
#include <string.h>

#include "lbundle.h"

#define CHUNKS_MT LBR_CHUNKS_MT

static const char *const chunk_options[] = {"sep", "quote", "columns", "limit", "na", "types",
                                            "on_bad_row", "max_field", "threads", "time_format",
                                            "day_first", "rows", "key", "decimal", NULL};

static br_csv_chunks **check_chunks(lua_State *L, int idx) {
  return luaL_checkudata(L, idx, CHUNKS_MT);
}

static int chunks_close(lua_State *L) {
  br_csv_chunks **c = check_chunks(L, 1);
  br_csv_chunks_close(*c);
  *c = NULL;
  return 0;
}

/* next(): the next frame, or nil at the end. */
static int chunks_next(lua_State *L) {
  br_csv_chunks **c = check_chunks(L, 1);
  if (!*c) {
    lua_pushnil(L);
    return 1;
  }
  br_frame **slot = lbr_frame_push_slot(L);
  if (br_csv_chunks_next(*c, slot) != BR_OK) return lbr_error(L);
  if (!*slot) {
    lua_pushnil(L);
    return 1;
  }
  /* The collector does not see a frame's columns, so a loop over chunks
   * would keep every old chunk until it happened to run (30 chunks held
   * 700 MB): each new chunk counts as its size towards the next step. */
  int64_t kb = br_frame_nrows(*slot) * br_frame_ncols(*slot) * 8 / 1024;
  lua_gc(L, LUA_GCSTEP, (int)(kb < INT32_MAX ? kb : INT32_MAX));
  return 1;
}

/* report(): { rows, skipped, skipped_lines } so far. */
static int chunks_report(lua_State *L) {
  br_csv_chunks **c = check_chunks(L, 1);
  if (!*c) return luaL_argerror(L, 1, "the chunk reader has been closed");
  const br_csv_report *r = br_csv_chunks_report(*c);
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, r->rows);
  lua_setfield(L, -2, "rows");
  lua_pushinteger(L, r->skipped);
  lua_setfield(L, -2, "skipped");
  lua_newtable(L);
  for (int i = 0; i < r->skipped && i < BR_CSV_REPORT_LINES; i++) {
    lua_pushinteger(L, r->skipped_lines[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "skipped_lines");
  return 1;
}

static int bundle_read_csv_chunks(lua_State *L) {
  const char *fn = "read_csv_chunks";
  const char *path = luaL_checkstring(L, 1);
  lbr_check_path(L, fn, path, 0);
  lbr_check_options(L, 2, fn, chunk_options);
  lua_settop(L, 2);
  if (lua_isnil(L, 2)) {
    lua_newtable(L);
    lua_replace(L, 2);
  }
  br_csv_options o;
  lbr_csv_options(L, 2, fn, &o);
  br_csv_chunk_options co = {0, NULL};
  co.rows = (int64_t)lbr_opt_integer(L, 2, fn, "rows", 1000000);
  if (co.rows < 1) return lbr_errorf(L, "%s: option 'rows' must be at least 1", fn);
  lua_getfield(L, 2, "key");
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TSTRING) return lbr_errorf(L, "%s: option 'key' must be a column name", fn);
    co.key = lua_tostring(L, -1); /* alive in the options table */
  }
  /* Everything lbr_csv_options left on the stack anchors what o points into. */
  int top = lua_gettop(L);
  lua_createtable(L, top, 0);
  for (int i = 1; i <= top; i++) {
    lua_pushvalue(L, i);
    lua_rawseti(L, -2, i);
  }
  br_csv_chunks **slot = lua_newuserdatauv(L, sizeof *slot, 1);
  *slot = NULL;
  luaL_setmetatable(L, CHUNKS_MT);
  lua_insert(L, -2);
  lua_setiuservalue(L, -2, 1);
  if (br_csv_chunks_open(slot, path, &o, &co) != BR_OK) return lbr_error(L);
  return 1;
}

/* ---- chunks made whole: for functions that need every row at once ---- */

static int is_callable(lua_State *L, int idx) {
  if (lua_type(L, idx) == LUA_TFUNCTION) return 1;
  if (!luaL_getmetafield(L, idx, "__call")) return 0;
  lua_pop(L, 1);
  return 1;
}

int lbr_is_frame_source(lua_State *L, int idx) {
  return !luaL_testudata(L, idx, LBR_FRAME_MT) && is_callable(L, idx);
}

/* Replaces the list of frames, or the iterator of frames (called until it
 * gives nil), at idx by one frame of all their rows. */
void lbr_frames_join(lua_State *L, int idx, const char *fn) {
  idx = lua_absindex(L, idx);
  if (luaL_testudata(L, idx, LBR_FRAME_MT)) return;
  lua_newtable(L); /* the frames, in order */
  int list = lua_gettop(L);
  int n = 0;
  if (is_callable(L, idx)) {
    for (;;) {
      lua_pushvalue(L, idx);
      lua_call(L, 0, 1);
      if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        break;
      }
      /* checked as it comes (again below, as it may be closed meanwhile): an
       * iterator that never gives nil and no frame either (a table whose
       * __call returns 1) once looped here for ever, growing the list */
      if (!luaL_testudata(L, -1, LBR_FRAME_MT))
        lbr_errorf(L, "%s: chunk %d is not a live Frame (got %s)", fn, n + 1, luaL_typename(L, -1));
      lua_rawseti(L, list, ++n);
    }
  } else if (lua_istable(L, idx)) {
    n = (int)luaL_len(L, idx);
    for (int i = 1; i <= n; i++) {
      lua_geti(L, idx, i);
      lua_rawseti(L, list, i);
    }
  } else {
    lbr_errorf(L, "%s: expected a Frame, a list of Frames or an iterator of Frames (read_csv_chunks), got %s", fn,
               luaL_typename(L, idx));
  }
  if (n == 0) lbr_errorf(L, "%s: the iterator gave no frames", fn);
  const br_frame **fs = lua_newuserdatauv(L, (size_t)n * sizeof *fs, 0);
  for (int i = 1; i <= n; i++) {
    lua_rawgeti(L, list, i);
    br_frame **slot = luaL_testudata(L, -1, LBR_FRAME_MT);
    if (!slot || !*slot) lbr_errorf(L, "%s: chunk %d is not a live Frame (got %s)", fn, i, luaL_typename(L, -1));
    fs[i - 1] = *slot;
    lua_pop(L, 1);
  }
  br_frame **out = lbr_frame_push_slot(L);
  if (br_frame_concat(out, fs, n) != BR_OK) {
    lbr_errorf(L, "%s: %s", fn, br_last_error());
  }
  lua_replace(L, idx);
  lua_settop(L, list - 1);
}

/* concat_frames(list or iterator) -> Frame */
static int bundle_concat_frames(lua_State *L) {
  lua_settop(L, 1);
  lbr_frames_join(L, 1, "concat_frames");
  return 1;
}

void lbr_chunks_open(lua_State *L) {
  static const luaL_Reg methods[] = {{"next", chunks_next}, {"report", chunks_report},
                                     {"close", chunks_close}, {NULL, NULL}};
  static const luaL_Reg meta[] = {{"__call", chunks_next}, {"__gc", chunks_close},
                                  {"__close", chunks_close}, {NULL, NULL}};
  lbr_new_class(L, CHUNKS_MT, methods, meta);
  lua_pushcfunction(L, bundle_read_csv_chunks);
  lua_setfield(L, -2, "read_csv_chunks");
  lua_pushcfunction(L, bundle_concat_frames);
  lua_setfield(L, -2, "concat_frames");
}
