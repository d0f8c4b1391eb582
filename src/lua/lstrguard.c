/* The sandbox's string.format, pack, unpack, packsize, table.concat,
 * utf8.offset and load with a reader function (llimits.h): Lua's own, except where one C call would run for seconds
 * with no allocation for the time limit to refuse (llimits.c refuses big
 * blocks past the deadline) and no instruction for the hook.
 *
 * - Numbers turned into text: format of 2^19 arguments with '%99.99f'
 *   took 7.2 s of CPU, table.concat of 8M floats 8.7 s, each number
 *   about a microsecond on a loaded VM, and the last third of the output
 *   is written with no large allocation. Both are cut here: format every
 *   FORMAT_PIECE conversions (the conversions are independent, so the
 *   pieces' texts joined are the whole's), concat every CONCAT_PIECE
 *   values, with the time limit checked between pieces.
 * - format's %q of a long string: Lua writes each control byte with
 *   sprintf, 106 ns a byte on a loaded VM, and its buffer grows by half
 *   each time, so the last third of the output is written with no
 *   allocation: %q of 128 MB of "\1" was one call of 13.6 s. Here a long
 *   argument of %q is quoted a piece at a time by Lua's own %q, with the
 *   time limit checked between pieces, and given to Lua's format as %s.
 *   The text is Lua's: a piece never ends on a control byte that is
 *   followed by a digit (Lua writes that byte as three digits, "\001").
 * - pack, unpack and packsize walk their format one option at a time with
 *   nothing to allocate for "x" or "b" in unpack and packsize: unpack of a
 *   256 MB format of "x" took 2.3 s of CPU. The options carry state
 *   (endianness, alignment), so a format cannot be cut in pieces; the
 *   sandbox refuses formats longer than PACK_FORMAT_MAX, far more than any
 *   real layout needs. */
#include <ctype.h>
#include <string.h>

#include <lualib.h>

#include "lbundle.h"
#include "llimits.h"

#define QUOTE_MIN ((size_t)1 << 20)   /* shorter: Lua's %q at once (well under 0.2 s) */
#define QUOTE_PIECE ((size_t)1 << 18) /* bytes quoted between time checks (under 30 ms) */
#define PACK_FORMAT_MAX ((size_t)1 << 16)
#define FORMAT_PIECE 4096 /* conversions between time checks (a few ms) */
#define CONCAT_PIECE 4096 /* values between time checks */

/* Pushes s quoted as Lua's %q quotes it; own is the index of Lua's format. */
static void push_quoted(lua_State *L, int own, const char *s, size_t len) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addchar(&b, '"');
  for (size_t at = 0; at < len;) {
    size_t end = len - at <= QUOTE_PIECE ? len : at + QUOTE_PIECE;
    if (end < len && iscntrl((unsigned char)s[end - 1]) && isdigit((unsigned char)s[end])) end++;
    lua_pushvalue(L, own);
    lua_pushliteral(L, "%q");
    lua_pushlstring(L, s + at, end - at);
    lua_call(L, 2, 1);
    size_t ql;
    const char *q = lua_tolstring(L, -1, &ql);
    lua_pushlstring(L, q + 1, ql - 2); /* without its quotes */
    lua_remove(L, -2);
    luaL_addvalue(&b);
    at = end;
    lbr_limits_check(L);
  }
  luaL_addchar(&b, '"');
  luaL_pushresult(&b);
}

/* Calls the function below the top nargs values (Lua's own, which the
 * caller pushed). Its argument errors name it '?' (called from C, and no
 * longer in the string table): they are raised again from this wrapper,
 * which Lua names as the script called it ('format', with a method call's
 * numbering), argument `shift` places further on. */
static void call_own_as(lua_State *L, int nargs, int nres, int shift) {
  if (lua_pcall(L, nargs, nres, 0) == LUA_OK) return;
  size_t len;
  const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
  static const char head[] = "bad argument #", mid[] = " to '?' (";
  if (m && strncmp(m, head, sizeof head - 1) == 0) {
    const char *p = m + sizeof head - 1;
    int n = 0;
    while (*p >= '0' && *p <= '9' && n < 100000) n = n * 10 + (*p++ - '0');
    if (strncmp(p, mid, sizeof mid - 1) == 0 && m[len - 1] == ')') {
      p += sizeof mid - 1;
      lua_pushlstring(L, p, (size_t)(m + len - 1 - p));
      luaL_argerror(L, n + shift, lua_tostring(L, -1));
    }
  }
  lua_error(L); /* anything else as it came (a timeout, a __tostring's error) */
}

/* Calls upvalue 1 with every argument. */
static int call_own(lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  call_own_as(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  return lua_gettop(L);
}

/* Walks format f (arguments 2..top) as Lua's format reads it, for each
 * exact "%q" whose argument is a string of QUOTE_MIN bytes or more: with nf NULL counts
 * them; else sets nf's 'q' to 's' and the argument to its quoted text. */
static int long_quotes(lua_State *L, int top, const char *f, size_t flen, char *nf, int own) {
  int arg = 1, found = 0;
  for (size_t i = 0; i + 1 < flen; i++) {
    if (f[i] != '%') continue;
    if (f[++i] == '%') continue;
    arg++;
    if (f[i] == 'q' && arg <= top && lua_type(L, arg) == LUA_TSTRING && lua_rawlen(L, arg) >= QUOTE_MIN) {
      found++;
      if (nf) {
        size_t len;
        const char *s = lua_tolstring(L, arg, &len);
        push_quoted(L, own, s, len);
        lua_replace(L, arg);
        nf[i] = 's';
      }
      continue;
    }
    while (i + 1 < flen && f[i] != '\0' && strchr("-+ #0123456789.", f[i])) i++; /* to the conversion */
  }
  return found;
}

/* The end of the conversion that starts at f[i] ('%'), for cutting. */
static size_t spec_end(const char *f, size_t flen, size_t i) {
  i++;
  while (i < flen && f[i] != '\0' && strchr("-+ #0123456789.", f[i])) i++;
  return i < flen ? i + 1 : flen;
}

/* format(f, ...) with more than FORMAT_PIECE arguments: Lua's format of
 * each piece of f holding FORMAT_PIECE conversions (and the text after
 * them, up to the next conversion), joined. */
static int format_in_pieces(lua_State *L, const char *f, size_t flen) {
  int top = lua_gettop(L), arg = 2;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  size_t start = 0;
  while (start < flen) {
    int first = arg, convs = 0;
    size_t i = start;
    for (; i < flen && convs < FORMAT_PIECE; i++) {
      if (f[i] != '%') continue;
      if (i + 1 < flen && f[i + 1] == '%') {
        i++;
        continue;
      }
      i = spec_end(f, flen, i) - 1;
      convs++;
    }
    while (i < flen && !(f[i] == '%' && !(i + 1 < flen && f[i + 1] == '%'))) i += f[i] == '%' ? 2 : 1;
    if (i > flen) i = flen;
    arg += convs;
    int nargs = (arg <= top ? arg : top + 1) - first; /* missing ones: Lua's own says "no value" */
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushlstring(L, f + start, i - start);
    for (int a = first; a < first + nargs; a++) lua_pushvalue(L, a);
    call_own_as(L, nargs + 1, 1, first - 2);
    luaL_addvalue(&b);
    start = i;
    lbr_limits_check(L);
  }
  luaL_pushresult(&b);
  return 1;
}

static int guarded_format(lua_State *L) {
  size_t flen;
  const char *f = luaL_checklstring(L, 1, &flen);
  int top = lua_gettop(L);
  if (long_quotes(L, top, f, flen, NULL, 0) == 0)
    return top - 1 > FORMAT_PIECE ? format_in_pieces(L, f, flen) : call_own(L);
  char *nf = lua_newuserdatauv(L, flen, 0);
  memcpy(nf, f, flen);
  lua_pushvalue(L, lua_upvalueindex(1));
  long_quotes(L, top, f, flen, nf, lua_gettop(L));
  lua_pushlstring(L, nf, flen);
  lua_replace(L, 1);
  lua_settop(L, top);
  if (top - 1 > FORMAT_PIECE) return format_in_pieces(L, lua_tolstring(L, 1, &flen), flen);
  return call_own(L);
}

/* table.concat(t [, sep [, i [, j]]]) of more than CONCAT_PIECE values:
 * Lua's concat of each CONCAT_PIECE of them, joined by sep. The length
 * (j's default, which may run __len) is taken once, as Lua's does. */
static int guarded_concat(lua_State *L) {
  if (lua_type(L, 1) != LUA_TTABLE) return call_own(L);
  size_t lsep;
  const char *sep = luaL_optlstring(L, 2, "", &lsep);
  lua_Integer i = luaL_optinteger(L, 3, 1);
  lua_Integer j = lua_isnoneornil(L, 4) ? luaL_len(L, 1) : luaL_checkinteger(L, 4);
  if (i > j || j - i < CONCAT_PIECE) {
    lua_settop(L, 3);
    lua_pushinteger(L, j);
    return call_own(L);
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (lua_Integer at = i;; at += CONCAT_PIECE) {
    lua_Integer end = j - at < CONCAT_PIECE ? j : at + CONCAT_PIECE - 1;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushlstring(L, sep, lsep);
    lua_pushinteger(L, at);
    lua_pushinteger(L, end);
    call_own_as(L, 4, 1, 0);
    luaL_addvalue(&b);
    lbr_limits_check(L);
    if (end == j) break;
    luaL_addlstring(&b, sep, lsep);
  }
  luaL_pushresult(&b);
  return 1;
}

static int guarded_pack(lua_State *L) {
  size_t flen;
  luaL_checklstring(L, 1, &flen);
  if (flen > PACK_FORMAT_MAX)
    return luaL_argerror(L, 1, lua_pushfstring(L, "format of %I bytes; the sandbox allows at most %d",
                                               (LUAI_UACINT)flen, (int)PACK_FORMAT_MAX));
  return call_own(L);
}

/* utf8.offset(s, n [, i]) with |n| past OFFSET_PIECE on a long string:
 * Lua's walks n characters in one call (1.2 ns a byte: 1.3 s for 1 GB).
 * Here Lua's own moves OFFSET_PIECE characters at a time from where the
 * last move ended (always a character's first byte), with the time limit
 * checked between; its first call gets the script's i, and with it Lua's
 * own argument errors. A move that cannot be made means the whole cannot:
 * fail, as Lua's. */
#define OFFSET_PIECE ((lua_Integer)1 << 20)
static int guarded_offset(lua_State *L) {
  size_t len;
  luaL_checklstring(L, 1, &len);
  lua_Integer n = luaL_checkinteger(L, 2);
  if (len < 4 * (size_t)OFFSET_PIECE || (n >= -OFFSET_PIECE && n <= OFFSET_PIECE)) return call_own(L);
  lua_settop(L, 3);
  lua_Integer left = n > 0 ? n - 1 : -n; /* moves still to make */
  while (left > OFFSET_PIECE) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushinteger(L, n > 0 ? OFFSET_PIECE + 1 : -OFFSET_PIECE);
    lua_pushvalue(L, 3);
    call_own_as(L, 3, 1, 0);
    if (lua_isnil(L, -1)) return 1; /* fail */
    lua_replace(L, 3);
    left -= OFFSET_PIECE;
    lbr_limits_check(L);
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_pushinteger(L, n > 0 ? left + 1 : -left);
  lua_pushvalue(L, 3);
  call_own_as(L, 3, 1, 0);
  return 1;
}

/* load(reader, ...) with a reader function: Lua's lexer works through
 * each piece the reader returns in one C call (a 256 MB comment: 0.3 s of
 * CPU, over a second for 1 GB). Long pieces are handed to it LOAD_PIECE
 * bytes at a time, with the time limit checked between (a stop there is
 * load's error, and the hook stops the script at its next instruction).
 * Upvalues: the script's reader, the piece being handed out, where. */
#define LOAD_PIECE ((size_t)1 << 20)
static int sliced_reader(lua_State *L) {
  if (lua_type(L, lua_upvalueindex(2)) != LUA_TSTRING) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_call(L, 0, 1);
    if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) <= LOAD_PIECE) return 1; /* as it came, for Lua */
    lua_replace(L, lua_upvalueindex(2));
    lua_pushinteger(L, 0);
    lua_replace(L, lua_upvalueindex(3));
  }
  lbr_limits_check(L);
  size_t len, at = (size_t)lua_tointeger(L, lua_upvalueindex(3));
  const char *p = lua_tolstring(L, lua_upvalueindex(2), &len);
  size_t n = len - at < LOAD_PIECE ? len - at : LOAD_PIECE;
  lua_pushlstring(L, p + at, n);
  if (at + n == len) lua_pushnil(L);
  else lua_pushinteger(L, (lua_Integer)(at + n));
  lua_replace(L, lua_upvalueindex(at + n == len ? 2 : 3));
  return 1;
}

static int guarded_load(lua_State *L) {
  if (lua_type(L, 1) == LUA_TFUNCTION) {
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, sliced_reader, 3);
    lua_replace(L, 1);
  }
  return call_own(L);
}

static void wrap(lua_State *L, const char *name, lua_CFunction f) {
  lua_getfield(L, -1, name);
  lua_pushcclosure(L, f, 1);
  lua_setfield(L, -2, name);
}

void lbr_limits_guard_strings(lua_State *L) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_getfield(L, -1, LUA_STRLIBNAME);
  wrap(L, "format", guarded_format);
  wrap(L, "pack", guarded_pack);
  wrap(L, "unpack", guarded_pack);
  wrap(L, "packsize", guarded_pack);
  lua_getfield(L, -2, LUA_TABLIBNAME);
  wrap(L, "concat", guarded_concat);
  lua_getfield(L, -3, LUA_UTF8LIBNAME);
  wrap(L, "offset", guarded_offset);
  lua_getfield(L, -4, LUA_GNAME);
  wrap(L, "load", guarded_load);
  lua_pop(L, 5);
}
