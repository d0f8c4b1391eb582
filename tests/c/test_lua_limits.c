/* The limits of one Lua state (src/lua/llimits.c) are that state's alone:
 * a deadline or a path allow-list set on one state never reaches another,
 * whether the other counts its allocations (bundlerun --max-memory), is a
 * plain state (lua5.4 loading bundle.core), or runs on another thread.
 * Before the limits hung off each state they were file statics: a second
 * state's large allocations were refused once the first state's deadline
 * had passed, and its reads were checked against the first's allow-list.
 * Linked with the bindings' objects (the Makefile's rule for this test). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "test_util.h"

#include "../../src/lua/ldriver.h"

static void nap(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

/* Runs code in L; returns its error message (static copy) or NULL. */
static const char *run(lua_State *L, const char *code) {
  static char msg[512];
  if (luaL_loadstring(L, code) == LUA_OK && lua_pcall(L, 0, 1, 0) == LUA_OK) {
    lua_pop(L, 1);
    return NULL;
  }
  snprintf(msg, sizeof msg, "%s", lua_tostring(L, -1));
  lua_pop(L, 1);
  return msg;
}

/* lbr_check_path(path) as a protected call: the error or NULL */
static int check_read(lua_State *L) {
  lbr_check_path(L, "read_csv", lua_tostring(L, 1), 0);
  return 0;
}

static const char *may_read(lua_State *L, const char *path) {
  static char msg[512];
  lua_pushcfunction(L, check_read);
  lua_pushstring(L, path);
  if (lua_pcall(L, 1, 0, 0) == LUA_OK) return NULL;
  snprintf(msg, sizeof msg, "%s", lua_tostring(L, -1));
  lua_pop(L, 1);
  return msg;
}

/* 4 MB strings (far past the 64 KB blocks refused after a deadline) */
static const char *BIG = "local s = string.rep('x', 4 << 20) .. 'y'; assert(#s == (4 << 20) + 1)";

static void passed_deadline_stays_with_its_state(void **state) {
  (void)state;
  lua_State *a = lbr_limits_newstate(), *b = lbr_limits_newstate(), *c = luaL_newstate();
  assert_non_null(a);
  assert_non_null(b);
  assert_non_null(c);
  luaL_openlibs(a), luaL_openlibs(b), luaL_openlibs(c);
  lbr_limits_set_timeout(a, 0.02);
  br_deadline_clear(); /* the core's is per thread: only the Lua states' are tested here */
  nap(0.05);
  /* a's deadline has passed: a big block in a fails, a's hook stops it */
  const char *e = run(a, BIG);
  assert_non_null(e);
  assert_int_equal(lbr_limits_timed_out(a), 1);
  /* b and c have no deadline: neither the allocator nor the check sees a's */
  assert_null(run(b, BIG));
  assert_null(run(c, BIG));
  assert_int_equal(lbr_limits_timed_out(b), 0);
  assert_int_equal(lbr_limits_timed_out(c), 0);
  /* c, a plain state, gets its own limits in its registry */
  lbr_limits_set_timeout(c, 30);
  br_deadline_clear();
  assert_null(run(c, "for i = 1, 1e6 do end"));
  assert_int_equal(lbr_limits_timed_out(c), 0);
  assert_int_equal(lbr_limits_timed_out(b), 0);
  lbr_limits_close(a), lbr_limits_close(b), lbr_limits_close(c);
}

static void allow_list_stays_with_its_state(void **state) {
  (void)state;
  lua_State *a = lbr_sandbox_newstate(), *b = lbr_limits_newstate(), *c = luaL_newstate();
  assert_non_null(a);
  assert_non_null(b);
  assert_non_null(c);
  assert_int_equal(lbr_limits_allow(a, "tests", 0), 1);
  lbr_limits_check_paths(a, 1);
  const char *e = may_read(a, "/etc/hostname");
  assert_non_null(e);
  assert_non_null(strstr(e, "read_csv: sandbox: reading '/etc/hostname' is not allowed (outside the allowed directories)"));
  assert_null(may_read(a, "tests/c/test_lua_limits.c"));
  assert_null(may_read(b, "/etc/hostname"));
  assert_null(may_read(c, "/etc/hostname"));
  /* b limited with nothing allowed: a's list is not b's */
  lbr_limits_check_paths(b, 1);
  e = may_read(b, "tests/c/test_lua_limits.c");
  assert_non_null(e);
  assert_non_null(strstr(e, "no directory is allowed"));
  assert_null(may_read(c, "tests/c/test_lua_limits.c"));
  lbr_limits_close(a), lbr_limits_close(b), lbr_limits_close(c);
}

/* A thread whose state has a short deadline and runs past it, while the
 * main thread's state, with none, allocates big blocks throughout. */
static void *short_deadline(void *arg) {
  (void)arg;
  lua_State *L = lbr_limits_newstate();
  luaL_openlibs(L);
  lbr_limits_set_timeout(L, 0.01);
  const char *e = run(L, "while true do end");
  int ok = e && strstr(e, "timeout: the script ran past its limit of 0.01 s") && lbr_limits_timed_out(L);
  lbr_limits_close(L);
  return ok ? arg : NULL;
}

static void threads_do_not_share_limits(void **state) {
  (void)state;
  lua_State *L = lbr_limits_newstate();
  luaL_openlibs(L);
  pthread_t t;
  int token = 1;
  assert_int_equal(pthread_create(&t, NULL, short_deadline, &token), 0);
  for (int i = 0; i < 20; i++) {
    assert_null(run(L, BIG));
    nap(0.005);
  }
  void *res = NULL;
  pthread_join(t, &res);
  assert_ptr_equal(res, &token);
  assert_null(run(L, BIG));
  assert_int_equal(lbr_limits_timed_out(L), 0);
  lbr_limits_close(L);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(passed_deadline_stays_with_its_state),
      cmocka_unit_test(allow_list_stays_with_its_state),
      cmocka_unit_test(threads_do_not_share_limits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
