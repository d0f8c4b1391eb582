/* What bundlerun (src/bundlerun.c) and tests/c/test_lua_limits.c call in
 * the bindings, which they link as objects: Lua states with limits of
 * their own (llimits.c) and the sandbox's state (lsandbox.c). The
 * bindings are built with hidden visibility, so none of this leaves
 * bundle/core.so. */
#ifndef BUNDLE_LDRIVER_H
#define BUNDLE_LDRIVER_H

#include <lua.h>

int luaopen_bundle_core(lua_State *L);
/* A state whose Lua allocations are charged to the memory budget. */
lua_State *lbr_limits_newstate(void);
/* The sandbox's own state (lsandbox.h). */
lua_State *lbr_sandbox_newstate(void);
/* Closes a state made above, or any other, with its limits. */
void lbr_limits_close(lua_State *L);
/* The state's time limit (and the core's deadline, on this thread). */
void lbr_limits_set_timeout(lua_State *L, double seconds);
/* 1 when a deadline of the state was hit or has passed by now. */
int lbr_limits_timed_out(lua_State *L);
/* Adds a directory to the state's read (0) or write (1) allow-list; 0 with
 * errno set when it does not resolve or the list is full. */
int lbr_limits_allow(lua_State *L, const char *dir, int write);
/* Turns the checking of paths against the allow-lists on or off. */
void lbr_limits_check_paths(lua_State *L, int on);
/* Raises "fn: sandbox: reading 'path' is not allowed ..." when the state's
 * paths are limited and path is outside its allow-list. */
void lbr_check_path(lua_State *L, const char *fn, const char *path, int write);
/* A lua_CFunction for bundlerun's trusted state, called before any script
 * runs: installs the resume-recording coroutine.resume/wrap/close
 * (lcoroutine.c) at once, so a script that saves them before
 * require "bundle" saves the recording ones. */
int lbr_driver_record_resumes(lua_State *L);
/* Raises the timeout error when a deadline of the state has passed. */
void lbr_limits_check(lua_State *L);
/* An untrusted script's error text as its host keeps it: at most
 * LBR_ERROR_TEXT_MAX bytes (cut at a UTF-8 character boundary), then
 * "… (N bytes cut)", so a script cannot make its host copy (or print) a
 * gigabyte. Pushes the result on L. */
#define LBR_ERROR_TEXT_MAX 4096
void lbr_push_error_text(lua_State *L, const char *s, size_t len);

#endif
