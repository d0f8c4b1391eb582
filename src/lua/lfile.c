/* File I/O for bundle's Lua modules: atomic writes, the directory swap
 * behind pipeline.write, reads and mkdir, each path checked against the
 * sandbox's allow-list (lbr_check_path) before it is touched. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lbundle.h"

/* write_file(path, text): atomically (temporary file, fsync, rename) */
static int eval_write_file(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lbr_check_path(L, "write_file", path, 1);
  size_t len;
  const char *s = luaL_checklstring(L, 2, &len);
  if (br_file_write_atomic(path, s, len) != BR_OK) return lbr_error(L);
  return 0;
}

/* dir_temp_beside(dir) -> path; dir_replace(tmp, dir); dir_discard(tmp):
 * bundle/io.h's directory swap, for pipeline.write */
static int eval_dir_temp_beside(lua_State *L) {
  const char *dir = luaL_checkstring(L, 1);
  /* the directory is made beside dir's real path: that is what a sandbox
   * must allow (dir itself may be allowed while its parent is not) */
  char real[PATH_MAX], probe[PATH_MAX + 16];
  const char *base = realpath(dir, real) ? real : dir;
  size_t n = strlen(base);
  while (n > 1 && base[n - 1] == '/') n--;
  snprintf(probe, sizeof probe, "%.*s.new.XXXXXX", (int)n, base);
  lbr_check_path(L, "dir_temp_beside", probe, 1);
  char tmp[4200];
  if (br_dir_temp_beside(dir, tmp, sizeof tmp) != BR_OK) return lbr_error(L);
  lua_pushstring(L, tmp);
  return 1;
}

static int eval_dir_replace(lua_State *L) {
  const char *tmp = luaL_checkstring(L, 1), *dir = luaL_checkstring(L, 2);
  lbr_check_path(L, "dir_replace", tmp, 1);
  lbr_check_path(L, "dir_replace", dir, 1);
  if (br_dir_replace(tmp, dir) != BR_OK) return lbr_error(L);
  return 0;
}

static int eval_dir_discard(lua_State *L) {
  const char *tmp = luaL_checkstring(L, 1);
  lbr_check_path(L, "dir_discard", tmp, 1);
  if (br_dir_discard(tmp) != BR_OK) return lbr_error(L);
  return 0;
}

/* read_file(path) -> text: for bundle's Lua modules, so their reads go
 * through the sandbox's path allow-list like every other loader. */
static int eval_read_file(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lbr_check_path(L, "read_file", path, 0);
  FILE *f = fopen(path, "rb");
  if (!f) return lbr_errorf(L, "%s: cannot open: %s", path, strerror(errno));
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) luaL_addlstring(&b, chunk, n);
  int bad = ferror(f);
  fclose(f);
  if (bad) return lbr_errorf(L, "%s: cannot read", path);
  luaL_pushresult(&b);
  return 1;
}

/* mkdir(path): creates the directory and its parents when missing */
static int eval_mkdir(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lbr_check_path(L, "mkdir", path, 1);
  size_t n = strlen(path);
  char *buf = lua_newuserdatauv(L, n + 1, 0);
  memcpy(buf, path, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] != '/' && buf[i] != '\0') continue;
    char c = buf[i];
    buf[i] = '\0';
    struct stat st;
    if (stat(buf, &st) != 0) {
      if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return lbr_errorf(L, "mkdir: cannot create %s: %s", buf, strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
      return lbr_errorf(L, "mkdir: %s exists and is not a directory", buf);
    }
    buf[i] = c;
  }
  return 0;
}

void lbr_file_open(lua_State *L) {
  static const luaL_Reg fns[] = {{"read_file", eval_read_file}, {"mkdir", eval_mkdir},
                                 {"write_file", eval_write_file}, {"dir_temp_beside", eval_dir_temp_beside},
                                 {"dir_replace", eval_dir_replace}, {"dir_discard", eval_dir_discard},
                                 {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
