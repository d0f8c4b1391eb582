/* The sandbox's string.format, pack, unpack and packsize (llimits.h): Lua's
 * own, except where one C call would run for seconds with no allocation
 * for the time limit to refuse (llimits.c refuses big blocks past the
 * deadline) and no instruction for the hook.
 *
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

#include "lbundle.h"
#include "llimits.h"

#define QUOTE_MIN ((size_t)1 << 20)   /* shorter: Lua's %q at once (well under 0.2 s) */
#define QUOTE_PIECE ((size_t)1 << 18) /* bytes quoted between time checks (under 30 ms) */
#define PACK_FORMAT_MAX ((size_t)1 << 16)

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

/* Calls upvalue 1 with every argument. */
static int call_own(lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
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

static int guarded_format(lua_State *L) {
  size_t flen;
  const char *f = luaL_checklstring(L, 1, &flen);
  int top = lua_gettop(L);
  if (long_quotes(L, top, f, flen, NULL, 0) == 0) return call_own(L);
  char *nf = lua_newuserdatauv(L, flen, 0);
  memcpy(nf, f, flen);
  lua_pushvalue(L, lua_upvalueindex(1));
  long_quotes(L, top, f, flen, nf, lua_gettop(L));
  lua_pushlstring(L, nf, flen);
  lua_replace(L, 1);
  lua_settop(L, top);
  return call_own(L);
}

static int guarded_pack(lua_State *L) {
  size_t flen;
  luaL_checklstring(L, 1, &flen);
  if (flen > PACK_FORMAT_MAX)
    return luaL_argerror(L, 1, lua_pushfstring(L, "format of %I bytes; the sandbox allows at most %d",
                                               (LUAI_UACINT)flen, (int)PACK_FORMAT_MAX));
  return call_own(L);
}

static void wrap(lua_State *L, const char *name, lua_CFunction f) {
  lua_getfield(L, -1, name);
  lua_pushcclosure(L, f, 1);
  lua_setfield(L, -2, name);
}

void lbr_limits_guard_strings(lua_State *L) {
  wrap(L, "format", guarded_format);
  wrap(L, "pack", guarded_pack);
  wrap(L, "unpack", guarded_pack);
  wrap(L, "packsize", guarded_pack);
}
