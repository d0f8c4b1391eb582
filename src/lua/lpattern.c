/* Lua's pattern functions (string.find, match, gmatch, gsub) for the
 * sandbox, written to be stoppable.
 *
 * Lua patterns backtrack: ("a"):rep(40):find(("a*"):rep(40) .. "b") takes
 * about 40^40 steps inside one C call of the standard string library,
 * where the count hook never fires, so a time limit cannot stop it. A
 * static bound on pattern complexity would have to refuse everyday
 * patterns too (even "%s+x" is quadratic in the subject), so instead this
 * matcher, which follows the semantics of the Lua 5.4 reference manual
 * (section 6.4.1) and its error messages, counts its steps and every
 * CHECK_EVERY steps asks lbr_limits_check whether a deadline has passed;
 * if so the call ends with the sandbox's timeout error. With no deadline
 * in force it runs unchecked, like the original. */
#define _GNU_SOURCE /* memmem */
#include <ctype.h>
#include <string.h>

#include "lbundle.h"
#include "lsandbox.h"

#define ESC '%'
#define SPECIALS "^$*+?.([%-"
#define MAX_CAPTURES 32 /* as LUA_MAXCAPTURES in luaconf.h */
#define MAX_DEPTH 200 /* nested match calls before "pattern too complex" */
#define CHECK_EVERY 0x3fffu /* steps between deadline checks (a few microseconds) */

enum { CAP_UNFINISHED = -1, CAP_POSITION = -2 };

typedef struct matcher {
  const char *src, *src_end; /* the subject */
  const char *p_end;         /* end of the pattern */
  lua_State *L;
  int depth; /* calls left before "pattern too complex" */
  int level; /* captures open or closed so far */
  unsigned steps;
  struct {
    const char *init;
    ptrdiff_t len; /* or CAP_UNFINISHED / CAP_POSITION */
  } cap[MAX_CAPTURES];
} matcher;

static const char *match(matcher *m, const char *s, const char *p);

static void step(matcher *m) {
  if ((++m->steps & CHECK_EVERY) == 0) lbr_limits_check(m->L);
}

static void reset(matcher *m) {
  m->level = 0;
  m->depth = MAX_DEPTH;
}

/* Just past the single-character class at p (".", "%a", "[...]", "x"). */
static const char *class_end(matcher *m, const char *p) {
  char c = *p++;
  if (c == ESC) {
    if (p >= m->p_end) luaL_error(m->L, "malformed pattern (ends with '%%')");
    return p + 1;
  }
  if (c == '[') {
    if (p < m->p_end && *p == '^') p++;
    do { /* the first character of a set is literal, even ']' */
      if (p >= m->p_end) luaL_error(m->L, "malformed pattern (missing ']')");
      if (*p++ == ESC && p < m->p_end) p++;
    } while (p >= m->p_end || *p != ']');
    return p + 1;
  }
  return p;
}

/* c against %cl: a letter class (upper case: its complement), or cl itself. */
static int class_match(int c, int cl) {
  int r;
  switch (tolower(cl)) {
  case 'a': r = isalpha(c); break;
  case 'c': r = iscntrl(c); break;
  case 'd': r = isdigit(c); break;
  case 'g': r = isgraph(c); break;
  case 'l': r = islower(c); break;
  case 'p': r = ispunct(c); break;
  case 's': r = isspace(c); break;
  case 'u': r = isupper(c); break;
  case 'w': r = isalnum(c); break;
  case 'x': r = isxdigit(c); break;
  case 'z': r = c == 0; break; /* deprecated in 5.2, still understood */
  default: return cl == c;
  }
  r = r != 0;
  return isupper(cl) ? !r : r;
}

/* c against the set [p .. close], p at '[' and close at its ']'. */
static int set_match(int c, const char *p, const char *close) {
  int in = 1;
  if (p[1] == '^') {
    in = 0;
    p++;
  }
  while (++p < close) {
    if (*p == ESC) {
      p++;
      if (class_match(c, (unsigned char)*p)) return in;
    } else if (p[1] == '-' && p + 2 < close) {
      if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2]) return in;
      p += 2;
    } else if ((unsigned char)*p == c) {
      return in;
    }
  }
  return !in;
}

/* Does the subject character at s match the class [p, ep)? */
static int single_match(const matcher *m, const char *s, const char *p, const char *ep) {
  if (s >= m->src_end) return 0;
  int c = (unsigned char)*s;
  switch (*p) {
  case '.': return 1;
  case ESC: return class_match(c, (unsigned char)p[1]);
  case '[': return set_match(c, p, ep - 1);
  default: return (unsigned char)*p == c;
  }
}

/* %bxy at s (p just after "%b"): end of the balanced run, or NULL. */
static const char *match_balance(matcher *m, const char *s, const char *p) {
  if (p + 1 >= m->p_end) luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
  if (s >= m->src_end || *s != p[0]) return NULL;
  char open = p[0], close = p[1];
  int depth = 1;
  while (++s < m->src_end) {
    step(m);
    if (*s == close) {
      if (--depth == 0) return s + 1;
    } else if (*s == open) {
      depth++;
    }
  }
  return NULL;
}

/* Greedy repetition of [p, ep) from s, then the rest of the pattern,
 * giving back one character at a time. */
static const char *max_expand(matcher *m, const char *s, const char *p, const char *ep) {
  ptrdiff_t n = 0;
  while (single_match(m, s + n, p, ep)) {
    n++;
    step(m);
  }
  for (; n >= 0; n--) {
    const char *r = match(m, s + n, ep + 1);
    if (r) return r;
  }
  return NULL;
}

/* Lazy repetition: the rest of the pattern first, one more character when it fails. */
static const char *min_expand(matcher *m, const char *s, const char *p, const char *ep) {
  for (;;) {
    const char *r = match(m, s, ep + 1);
    if (r) return r;
    if (!single_match(m, s, p, ep)) return NULL;
    s++;
  }
}

static const char *open_capture(matcher *m, const char *s, const char *p, ptrdiff_t what) {
  if (m->level >= MAX_CAPTURES) luaL_error(m->L, "too many captures");
  m->cap[m->level].init = s;
  m->cap[m->level].len = what;
  m->level++;
  const char *r = match(m, s, p);
  if (!r) m->level--;
  return r;
}

static const char *close_capture(matcher *m, const char *s, const char *p) {
  int l = m->level - 1;
  while (l >= 0 && m->cap[l].len != CAP_UNFINISHED) l--;
  if (l < 0) luaL_error(m->L, "invalid pattern capture");
  m->cap[l].len = s - m->cap[l].init;
  const char *r = match(m, s, p);
  if (!r) m->cap[l].len = CAP_UNFINISHED;
  return r;
}

/* %1 .. %9: the text of a closed capture again. */
static const char *match_backref(matcher *m, const char *s, int digit) {
  int l = digit - '1';
  if (l < 0 || l >= m->level || m->cap[l].len == CAP_UNFINISHED)
    luaL_error(m->L, "invalid capture index %%%d", l + 1);
  size_t len = (size_t)m->cap[l].len;
  if ((size_t)(m->src_end - s) >= len && memcmp(m->cap[l].init, s, len) == 0) return s + len;
  return NULL;
}

/* Matches pattern p (to m->p_end) at s: the end of the match, or NULL. */
static const char *match(matcher *m, const char *s, const char *p) {
  if (m->depth-- == 0) luaL_error(m->L, "pattern too complex");
  step(m);
  while (p != m->p_end) {
    const char *ep;
    if (*p == '(') {
      s = p[1] == ')' ? open_capture(m, s, p + 2, CAP_POSITION) : open_capture(m, s, p + 1, CAP_UNFINISHED);
      goto done;
    }
    if (*p == ')') {
      s = close_capture(m, s, p + 1);
      goto done;
    }
    if (*p == '$' && p + 1 == m->p_end) {
      if (s != m->src_end) s = NULL;
      goto done;
    }
    if (*p == ESC && p[1] == 'b') {
      s = match_balance(m, s, p + 2);
      if (!s) goto done;
      p += 4;
      continue;
    }
    if (*p == ESC && p[1] == 'f') {
      p += 2;
      if (p >= m->p_end || *p != '[') luaL_error(m->L, "missing '[' after '%%f' in pattern");
      ep = class_end(m, p);
      int prev = s == m->src ? '\0' : (unsigned char)s[-1];
      int cur = s < m->src_end ? (unsigned char)*s : '\0';
      if (!set_match(prev, p, ep - 1) && set_match(cur, p, ep - 1)) {
        p = ep;
        continue;
      }
      s = NULL;
      goto done;
    }
    if (*p == ESC && isdigit((unsigned char)p[1])) {
      s = match_backref(m, s, (unsigned char)p[1]);
      if (!s) goto done;
      p += 2;
      continue;
    }
    /* a single-character class, maybe with a repetition suffix */
    ep = class_end(m, p);
    int suffix = ep < m->p_end ? *ep : '\0';
    if (!single_match(m, s, p, ep)) {
      if (suffix == '*' || suffix == '?' || suffix == '-') { /* zero repetitions are fine */
        p = ep + 1;
        continue;
      }
      s = NULL;
      goto done;
    }
    switch (suffix) {
    case '?': {
      const char *r = match(m, s + 1, ep + 1);
      if (r) {
        s = r;
        goto done;
      }
      p = ep + 1;
      continue;
    }
    case '+': s = max_expand(m, s + 1, p, ep); goto done;
    case '*': s = max_expand(m, s, p, ep); goto done;
    case '-': s = min_expand(m, s, p, ep); goto done;
    default:
      s++;
      p = ep;
      continue;
    }
  }
done:
  m->depth++;
  return s;
}

/* ---- captures ---- */

static void push_capture(matcher *m, int i, const char *s, const char *e) {
  if (i >= m->level) {
    if (i != 0) luaL_error(m->L, "invalid capture index %%%d", i + 1);
    lua_pushlstring(m->L, s, (size_t)(e - s)); /* no captures: the whole match */
    return;
  }
  ptrdiff_t len = m->cap[i].len;
  if (len == CAP_UNFINISHED) luaL_error(m->L, "unfinished capture");
  if (len == CAP_POSITION) lua_pushinteger(m->L, (lua_Integer)(m->cap[i].init - m->src) + 1);
  else lua_pushlstring(m->L, m->cap[i].init, (size_t)len);
}

/* Pushes the captures (or the whole match when s is given and there are
 * none); returns how many. */
static int push_captures(matcher *m, const char *s, const char *e) {
  int n = m->level == 0 && s ? 1 : m->level;
  luaL_checkstack(m->L, n, "too many captures");
  for (int i = 0; i < n; i++) push_capture(m, i, s, e);
  return n;
}

static void start(matcher *m, lua_State *L, const char *s, size_t ls, const char *p, size_t lp) {
  m->L = L;
  m->src = s;
  m->src_end = s + ls;
  m->p_end = p + lp;
  m->steps = 0;
  reset(m);
}

/* A start position from a Lua index: negatives count from the end, and
 * anything before the start is 1. */
static size_t start_index(lua_Integer pos, size_t len) {
  if (pos > 0) return (size_t)pos;
  if (pos == 0) return 1;
  if (pos < -(lua_Integer)len) return 1;
  return len + (size_t)pos + 1;
}

static int has_specials(const char *p, size_t lp) {
  for (size_t i = 0; i < lp; i++)
    if (p[i] && strchr(SPECIALS, p[i])) return 1;
  return 0;
}

/* ---- find, match, gmatch, gsub ---- */

static int find_or_match(lua_State *L, int find) {
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  size_t init = start_index(luaL_optinteger(L, 3, 1), ls);
  if (init > ls + 1) {
    luaL_pushfail(L);
    return 1;
  }
  if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) {
    /* plain search: memmem is linear in the subject */
    const char *hit = lp == 0 ? s + init - 1 : memmem(s + init - 1, ls - init + 1, p, lp);
    if (!hit) {
      luaL_pushfail(L);
      return 1;
    }
    lua_pushinteger(L, (lua_Integer)(hit - s) + 1);
    lua_pushinteger(L, (lua_Integer)(hit - s) + (lua_Integer)lp);
    return 2;
  }
  matcher m;
  int anchor = lp > 0 && *p == '^';
  if (anchor) p++, lp--;
  start(&m, L, s, ls, p, lp);
  const char *s1 = s + init - 1;
  do {
    reset(&m);
    const char *e = match(&m, s1, p);
    if (e) {
      if (!find) return push_captures(&m, s1, e);
      lua_pushinteger(L, (lua_Integer)(s1 - s) + 1);
      lua_pushinteger(L, (lua_Integer)(e - s));
      return push_captures(&m, NULL, NULL) + 2;
    }
  } while (s1++ < m.src_end && !anchor);
  luaL_pushfail(L);
  return 1;
}

static int p_find(lua_State *L) { return find_or_match(L, 1); }
static int p_match(lua_State *L) { return find_or_match(L, 0); }

/* gmatch's iterator state; the subject and pattern stay alive as upvalues. */
typedef struct gmatch_state {
  const char *next;      /* where the next search starts */
  const char *lastmatch; /* end of the last match: no empty match there again */
  matcher m;
} gmatch_state;

static int gmatch_next(lua_State *L) {
  gmatch_state *g = lua_touserdata(L, lua_upvalueindex(3));
  g->m.L = L;
  for (const char *src = g->next; src <= g->m.src_end; src++) {
    reset(&g->m);
    const char *e = match(&g->m, src, lua_tostring(L, lua_upvalueindex(2)));
    if (e && e != g->lastmatch) {
      g->next = g->lastmatch = e;
      return push_captures(&g->m, src, e);
    }
  }
  return 0;
}

static int p_gmatch(lua_State *L) {
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
  if (init > ls) init = ls + 1; /* past the end: no matches */
  lua_settop(L, 2);
  gmatch_state *g = lua_newuserdatauv(L, sizeof *g, 0);
  start(&g->m, L, s, ls, p, lp);
  g->next = s + init;
  g->lastmatch = NULL;
  lua_pushcclosure(L, gmatch_next, 3);
  return 1;
}

/* Appends the replacement string for the match [s, e) (%0 .. %9, %%). */
static void add_string(matcher *m, luaL_Buffer *b, const char *s, const char *e) {
  lua_State *L = m->L;
  size_t l;
  const char *r = lua_tolstring(L, 3, &l), *end = r + l;
  while (r < end) {
    const char *pct = memchr(r, ESC, (size_t)(end - r));
    if (!pct) break;
    luaL_addlstring(b, r, (size_t)(pct - r));
    pct++; /* at worst the terminating NUL of the Lua string */
    if (*pct == ESC) {
      luaL_addchar(b, ESC);
    } else if (*pct == '0') {
      luaL_addlstring(b, s, (size_t)(e - s));
    } else if (isdigit((unsigned char)*pct)) {
      push_capture(m, *pct - '1', s, e);
      luaL_tolstring(L, -1, NULL);
      lua_remove(L, -2);
      luaL_addvalue(b);
    } else {
      luaL_error(L, "invalid use of '%c' in replacement string", ESC);
    }
    r = pct + 1;
  }
  if (r < end) luaL_addlstring(b, r, (size_t)(end - r));
}

/* Appends the replacement for the match [s, e); 1 if it changed the text. */
static int add_value(matcher *m, luaL_Buffer *b, const char *s, const char *e, int tr) {
  lua_State *L = m->L;
  if (tr == LUA_TFUNCTION) {
    lua_pushvalue(L, 3);
    lua_call(L, push_captures(m, s, e), 1);
  } else if (tr == LUA_TTABLE) {
    push_capture(m, 0, s, e);
    lua_gettable(L, 3);
  } else {
    add_string(m, b, s, e);
    return 1;
  }
  if (!lua_toboolean(L, -1)) { /* nil or false: keep the original text */
    lua_pop(L, 1);
    luaL_addlstring(b, s, (size_t)(e - s));
    return 0;
  }
  if (!lua_isstring(L, -1)) return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
  luaL_addvalue(b);
  return 1;
}

static int p_gsub(lua_State *L) {
  size_t ls, lp;
  const char *src = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  int tr = lua_type(L, 3);
  lua_Integer max_n = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
  luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                   "string/function/table");
  int anchor = lp > 0 && *p == '^';
  if (anchor) p++, lp--;
  matcher m;
  start(&m, L, src, ls, p, lp);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  const char *lastmatch = NULL;
  lua_Integer n = 0;
  int changed = 0;
  while (n < max_n) {
    reset(&m);
    step(&m);
    const char *e = match(&m, src, p);
    if (e && e != lastmatch) {
      n++;
      changed = add_value(&m, &b, src, e, tr) | changed;
      src = lastmatch = e;
    } else if (src < m.src_end) {
      luaL_addchar(&b, *src++);
    } else {
      break;
    }
    if (anchor) break;
  }
  if (!changed) {
    lua_pushvalue(L, 1);
  } else {
    luaL_addlstring(&b, src, (size_t)(m.src_end - src));
    luaL_pushresult(&b);
  }
  lua_pushinteger(L, n);
  return 2;
}

void lbr_pattern_open(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"find", p_find}, {"match", p_match}, {"gmatch", p_gmatch}, {"gsub", p_gsub}, {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
