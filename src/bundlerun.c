/* bundlerun: a Lua 5.4 interpreter with the bundle library built in.
 *
 * It follows the `lua` command's conventions (arg, ..., -e, -i, -, exit
 * status) so that scripts behave the same under both; `require "bundle"`
 * finds the C half in package.preload and the Lua half next to the binary
 * (build tree: <bin>/../lua) or under the install prefix
 * (<prefix>/bin/../share/lua/5.4).
 *
 * With --sandbox or --timeout the script runs in a child process watched
 * by this one (watchdog()); under --sandbox the child's Lua state is the
 * sandbox's own (lsandbox.c: bundle's modules compiled in, nothing loaded
 * from files) and the kernel's limits go up before the script's first
 * instruction (run_sandboxed(), src/jail.c). */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "bundle/dist.h"
#include "bundle/error.h"
#include "bundle/memory.h"
#include "bundle/version.h"
#include "jail.h"

#include "lua/ldriver.h" /* the bindings, linked in */

/* Exit statuses: documented in --help and bundlerun.1. */
enum { EXIT_ERROR = 1, EXIT_TIMEOUT = 3, EXIT_MEMORY = 4 };

static const char *progname = "bundlerun";

static void usage(FILE *f) {
  fprintf(f,
          "usage: %s [options] [script [args...]]\n"
          "Runs a Lua 5.4 script with the bundle library available through\n"
          "require \"bundle\".\n\n"
          "Options:\n"
          "  -e CODE        run CODE (may be repeated; runs before the script)\n"
          "  -i             enter interactive mode after running the script\n"
          "  -l NAME        require library NAME into global NAME\n"
          "  -v, --version  print the version and exit\n"
          "  -h, --help     print this help and exit\n"
          "  --sandbox      run the script (and -e code) in a Lua state of its own with\n"
          "                 only safe globals (no io, os.execute/remove/rename, package,\n"
          "                 debug, C modules or binary chunks; require gives only\n"
          "                 bundle's built-in modules), in a child process that the\n"
          "                 kernel limits: Landlock (files outside --allow-read and\n"
          "                 --allow-write), seccomp (no exec, processes or sockets),\n"
          "                 rlimits (address space, CPU)\n"
          "  --allow-read DIR   with --sandbox: the script may read files under DIR\n"
          "  --allow-write DIR  with --sandbox: the script may write files under DIR\n"
          "  --require-landlock with --sandbox: fail when the kernel has no Landlock\n"
          "                     (by default the run warns and goes on)\n"
          "  --timeout SECONDS  stop the script after SECONDS (pcall cannot catch it;\n"
          "                     a watchdog process kills it inside a long C call)\n"
          "  --max-memory MB    stop the script when Lua plus bundle's core (tensors,\n"
          "                     frames, itemsets, search results...) would use more\n"
          "                     than MB megabytes\n"
          "  --progress     show the progress of long work (pipeline stages) on stderr\n"
          "                 even when it is not a terminal: a line per step with its\n"
          "                 time (on a terminal a bar shows anyway; sets BUNDLE_PROGRESS)\n"
          "  --             stop handling options\n"
          "  -              run standard input as the script\n\n"
          "With no script, runs standard input, or starts an interactive prompt\n"
          "when standard input is a terminal.\n\n"
          "Exit status: 0 on success; 1 on an error (reported with a traceback on\n"
          "stderr) or bad usage; 3 when --timeout stopped the script; 4 when\n"
          "--max-memory stopped it (or the process ran out of memory); 128+N when\n"
          "the script's process died of signal N.\n",
          progname);
}

/* ---- error reporting ---- */

/* Set when the error that ended the run was running out of memory: Lua's
 * (LUA_ERRMEM) or the core's (BR_ERR_NOMEM, say under RLIMIT_AS). */
static int out_of_memory;

static void report(lua_State *L, int status) {
  if (status == LUA_OK) return;
  const char *msg = lua_tostring(L, -1);
  if (!msg) msg = "(error object is not a string)";
  out_of_memory = status == LUA_ERRMEM ||
                  (br_last_status() == BR_ERR_NOMEM && br_last_error()[0] && strstr(msg, br_last_error()));
  fprintf(stderr, "%s: %s\n", progname, msg);
  fflush(stderr);
  lua_pop(L, 1);
}

static int sandboxed; /* --sandbox: code runs in bundle.sandbox's restricted globals */

/* Message handler: turns any error into a string and appends a traceback. */
static int msghandler(lua_State *L) {
  size_t len;
  const char *msg = lua_tolstring(L, 1, &len);
  if (msg && sandboxed && len > LBR_ERROR_TEXT_MAX) { /* an untrusted script's text, printed by us: bounded */
    lbr_push_error_text(L, msg, len);
    msg = lua_tolstring(L, -1, &len);
  }
  if (msg && memchr(msg, '\0', len)) { /* printed as \0, not cut there */
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < len; i++)
      if (msg[i]) luaL_addchar(&b, msg[i]);
      else luaL_addstring(&b, "\\0");
    luaL_pushresult(&b);
    msg = lua_tostring(L, -1);
  }
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) {
      if (sandboxed && lua_rawlen(L, -1) > LBR_ERROR_TEXT_MAX) lbr_push_error_text(L, lua_tostring(L, -1), lua_rawlen(L, -1));
      return 1;
    }
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

static lua_State *interrupted_state = NULL;

/* Ctrl-C: stop the running script at its next instruction with an error. */
static void on_interrupt_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  luaL_error(L, "interrupted!");
}

static void on_sigint(int sig) {
  signal(sig, SIG_DFL);
  if (interrupted_state)
    lua_sethook(interrupted_state, on_interrupt_hook,
                LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

static int docall(lua_State *L, int narg, int nres) {
  int base = lua_gettop(L) - narg;
  lua_pushcfunction(L, msghandler);
  lua_insert(L, base);
  interrupted_state = L;
  signal(SIGINT, on_sigint);
  int status = lua_pcall(L, narg, nres, base);
  signal(SIGINT, SIG_DFL);
  interrupted_state = NULL;
  lua_remove(L, base);
  return status;
}

/* ---- setup ---- */

/* Directory of this executable, or "" when it cannot be found. */
static void exe_dir(char *buf, size_t size) {
  ssize_t n = readlink("/proc/self/exe", buf, size - 1);
  if (n <= 0) {
    buf[0] = '\0';
    return;
  }
  buf[n] = '\0';
  char *slash = strrchr(buf, '/');
  if (slash) *slash = '\0';
}

static int file_exists(const char *path) { return access(path, R_OK) == 0; }

/* Puts bundle's Lua files ahead of package.path, so this binary always uses
 * the Lua half it was built or installed with. */
static void add_lua_path(lua_State *L) {
  char dir[PATH_MAX], probe[PATH_MAX + 64];
  exe_dir(dir, sizeof dir);
  if (!dir[0]) return;
  static const char *const rel[] = {"/../lua", "/../share/lua/5.4"};
  for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
    snprintf(probe, sizeof probe, "%s%s/bundle/init.lua", dir, rel[i]);
    if (!file_exists(probe)) continue;
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "path");
    lua_pushfstring(L, "%s%s/?.lua;%s%s/?/init.lua;%s", dir, rel[i], dir, rel[i],
                    lua_tostring(L, -1));
    lua_setfield(L, -3, "path");
    lua_pop(L, 2);
    return;
  }
}

static void preload_bundle(lua_State *L) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_bundle_core);
  lua_setfield(L, -2, "bundle.core");
  lua_pop(L, 1);
}

/* arg: script at 0, its arguments at 1.., the interpreter and options below 0,
 * exactly as lua.c builds it. */
static void create_arg_table(lua_State *L, char **argv, int argc, int script) {
  if (script == argc) script = 0; /* no script: the interpreter name goes at 0 */
  lua_createtable(L, argc - script - 1 > 0 ? argc - script - 1 : 0, script + 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

/* ---- running things ---- */


/* Gives the function on the stack top the sandbox's globals as its _ENV
 * (one table shared by -e code and the script, made on first use). */
static int enter_sandbox(lua_State *L) {
  static const char key = 'k';
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &key) == LUA_TNIL) {
    lua_pop(L, 1);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "bundle.sandbox");
    int status = docall(L, 1, 1);
    if (status != LUA_OK) return status;
    lua_getfield(L, -1, "env");
    lua_remove(L, -2);
    status = docall(L, 0, 1);
    if (status != LUA_OK) return status;
    lua_getglobal(L, "arg");
    lua_setfield(L, -2, "arg");
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &key);
  }
  if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1); /* a main chunk's first upvalue is _ENV */
  return LUA_OK;
}

static int load_text(lua_State *L, const char *code, size_t len, const char *name) {
  int status = luaL_loadbufferx(L, code, len, name, sandboxed ? "t" : NULL);
  if (status == LUA_OK && sandboxed) status = enter_sandbox(L);
  return status;
}

static int run_chunk(lua_State *L, int status) {
  if (status == LUA_OK) status = docall(L, 0, 0);
  report(L, status);
  return status == LUA_OK;
}

/* Calls the function below its nargs arguments on the stack top. */
static int run_chunk_args(lua_State *L, int nargs) {
  int status = docall(L, nargs, 0);
  report(L, status);
  return status == LUA_OK;
}

static int run_string(lua_State *L, const char *code, const char *name) {
  return run_chunk(L, load_text(L, code, strlen(code), name));
}

static int run_require(lua_State *L, const char *name) {
  lua_getglobal(L, "require");
  lua_pushstring(L, name);
  int status = docall(L, 1, 1);
  if (status == LUA_OK) lua_setglobal(L, name);
  report(L, status);
  return status == LUA_OK;
}

/* Runs the script (NULL or "-" for stdin) with the script arguments as `...`. */
static int run_script(lua_State *L, const char *fname, char **args, int nargs) {
  if (fname && strcmp(fname, "-") == 0) fname = NULL;
  int status = luaL_loadfilex(L, fname, sandboxed ? "t" : NULL);
  if (status == LUA_OK && sandboxed) status = enter_sandbox(L);
  if (status == LUA_OK) {
    luaL_checkstack(L, nargs + 1, "too many arguments to script");
    for (int i = 0; i < nargs; i++) lua_pushstring(L, args[i]);
    status = docall(L, nargs, LUA_MULTRET);
  }
  report(L, status);
  return status == LUA_OK;
}

/* ---- interactive prompt ---- */

#define REPL_LINE_MAX 65536

static int read_line(lua_State *L, int first) {
  static char buf[REPL_LINE_MAX];
  const char *prompt = first ? "> " : ">> ";
  fputs(prompt, stdout);
  fflush(stdout);
  if (fgets(buf, sizeof buf, stdin) == NULL) return 0;
  size_t len = strlen(buf);
  if (len > 0 && buf[len - 1] == '\n') buf[--len] = '\0';
  /* "=expr" prints expr, as in Lua 5.1's REPL */
  if (first && buf[0] == '=') lua_pushfstring(L, "return %s", buf + 1);
  else lua_pushlstring(L, buf, len);
  return 1;
}

/* An incomplete statement's syntax error ends with "<eof>": read more. */
static int incomplete(lua_State *L, int status) {
  if (status != LUA_ERRSYNTAX) return 0;
  size_t len;
  const char *msg = lua_tolstring(L, -1, &len);
  const char *mark = "<eof>";
  size_t ml = strlen(mark);
  if (len >= ml && strcmp(msg + len - ml, mark) == 0) {
    lua_pop(L, 1);
    return 1;
  }
  return 0;
}

/* Compiles the line on the stack top, first as `return line` (to print a
 * value), else as statements, reading continuation lines while incomplete. */
static int load_input(lua_State *L) {
  lua_settop(L, 0);
  if (!read_line(L, 1)) return -1;
  const char *line = lua_tostring(L, 1);
  const char *ret = lua_pushfstring(L, "return %s;", line);
  int status = luaL_loadbuffer(L, ret, strlen(ret), "=stdin");
  if (status == LUA_OK) {
    lua_remove(L, -2); /* the "return" text */
    lua_remove(L, 1);  /* the line */
    return LUA_OK;
  }
  lua_pop(L, 2); /* error and "return" text: [line] */
  for (;;) {
    size_t len;
    const char *code = lua_tolstring(L, 1, &len);
    status = luaL_loadbuffer(L, code, len, "=stdin");
    if (!incomplete(L, status)) break;
    if (!read_line(L, 0)) break;
    lua_pushliteral(L, "\n");
    lua_insert(L, -2);
    lua_concat(L, 3);
  }
  lua_remove(L, 1);
  return status;
}

static void print_results(lua_State *L) {
  int n = lua_gettop(L);
  if (n == 0) return;
  luaL_checkstack(L, LUA_MINSTACK, "too many results to print");
  lua_getglobal(L, "print");
  lua_insert(L, 1);
  if (lua_pcall(L, n, 0, 0) != LUA_OK)
    fprintf(stderr, "%s: error calling 'print' (%s)\n", progname, lua_tostring(L, -1));
}

static void repl(lua_State *L) {
  int status;
  while ((status = load_input(L)) != -1) {
    if (status == LUA_OK) status = docall(L, 0, LUA_MULTRET);
    if (status == LUA_OK) print_results(L);
    else report(L, status);
  }
  lua_settop(L, 0);
  fputc('\n', stdout);
}

/* ---- main ---- */

/* OpenBLAS's idle worker threads poll for new work for 2^28 cycles (about
 * 0.1 s) after start-up and after every threaded BLAS call, taking a core
 * from bundle's own threads (read_csv ran 40% slower right after start on
 * 2 cores). The poll length is read only from the environment, by a
 * constructor that runs before main; so when the user has not chosen one,
 * set 2^22 cycles (~1.7 ms: back-to-back BLAS calls still find the threads
 * awake) and re-execute once. If that fails, carry on as we are. */
static void tame_blas_threads(char **argv) {
  if (getenv("OPENBLAS_THREAD_TIMEOUT") || getenv("BUNDLERUN_NO_REEXEC")) return;
  if (setenv("OPENBLAS_THREAD_TIMEOUT", "22", 1) != 0) return;
  execv("/proc/self/exe", argv);
}

/* ---- the child process and its watchdog ---- */

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* How long past --timeout the watchdog waits for the script to stop itself
 * (the hook's error, a clean exit 3) before it kills the process. */
#define WATCHDOG_GRACE 0.25

/* Forks. In the child returns -1 (carry on and run the script; the child
 * dies with its parent). In the parent, waits for the child, killing it
 * once timeout (+ grace) has passed, and returns the exit status to use:
 * the child's own, 3 on a timeout (or SIGXCPU from RLIMIT_CPU), else
 * 128 + the signal that killed it. */
static int watchdog(double timeout) {
  fflush(stdout);
  fflush(stderr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "%s: cannot start the script's process: %s\n", progname, strerror(errno));
    return EXIT_ERROR;
  }
  if (pid == 0) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(EXIT_ERROR);
    return -1;
  }
  /* Ctrl-C reaches the child too, which stops its script with an error */
  signal(SIGINT, SIG_IGN);
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  double deadline = timeout > 0 ? now_seconds() + timeout + WATCHDOG_GRACE : 0;
  int st = 0;
  for (;;) {
    pid_t w = waitpid(pid, &st, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      fprintf(stderr, "%s: waiting for the script's process: %s\n", progname, strerror(errno));
      return EXIT_ERROR;
    }
    double left = deadline > 0 ? deadline - now_seconds() : -1;
    if (deadline > 0 && left <= 0) {
      kill(pid, SIGKILL);
      while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
      fprintf(stderr, "%s: stopped by --timeout %g (the script's process was killed)\n", progname, timeout);
      return EXIT_TIMEOUT;
    }
    int ms = left < 0 ? -1 : (int)(left * 1000) + 1;
    if (pidfd >= 0) {
      struct pollfd pfd = {pidfd, POLLIN, 0};
      poll(&pfd, 1, ms);
    } else { /* kernels before 5.3: poll the child */
      struct timespec ts = {0, 10 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
  }
  if (pidfd >= 0) close(pidfd);
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
  if (sig == SIGXCPU) {
    fprintf(stderr, "%s: stopped by --timeout %g (CPU time)\n", progname, timeout);
    return EXIT_TIMEOUT;
  }
  fprintf(stderr, "%s: the script's process was killed by signal %d (%s)\n", progname, sig, strsignal(sig));
  return 128 + sig;
}

/* --sandbox, in the child: compiles every -e chunk and the script, puts up
 * the kernel's walls, then runs them in order. Compiling first means that
 * once the walls are up the runtime never needs to open a file again. */
static int run_sandboxed(lua_State *L, char **argv, int argc, int script, const jail_opts *jail) {
  int first = lua_gettop(L) + 1, chunks = 0;
  for (int i = 1; i < script && i < argc; i++) {
    if (strcmp(argv[i], "-e") != 0) continue;
    const char *code = argv[++i];
    int status = load_text(L, code, strlen(code), "=(command line)");
    if (status != LUA_OK) return report(L, status), 0;
    chunks++;
  }
  int nargs = 0;
  if (script < argc || chunks == 0) { /* the script, or standard input */
    const char *fname = script < argc ? argv[script] : NULL;
    if (fname && strcmp(fname, "-") == 0) fname = NULL;
    int status = luaL_loadfilex(L, fname, "t");
    if (status == LUA_OK) status = enter_sandbox(L);
    if (status != LUA_OK) return report(L, status), 0;
    nargs = script < argc ? argc - script - 1 : 0;
    luaL_checkstack(L, nargs + 1, "too many arguments to script");
    for (int i = 0; i < nargs; i++) lua_pushstring(L, argv[script + 1 + i]);
    chunks++;
  }
  char err[512];
  if (jail_enter(jail, err, sizeof err) != 0) {
    fprintf(stderr, "%s: --sandbox: %s\n", progname, err);
    return 0;
  }
  for (int c = 0; c < chunks; c++) {
    int last = c == chunks - 1;
    /* the function and (for the last) its arguments sit at `first` */
    int n = last ? nargs : 0;
    lua_pushvalue(L, first);
    lua_remove(L, first);
    if (n > 0) lua_insert(L, -(n + 1)); /* [.. args fn] -> [.. fn args] */
    if (!run_chunk_args(L, n)) return 0;
  }
  return 1;
}

int main(int argc, char **argv) {
  tame_blas_threads(argv);
  if (argv[0] && argv[0][0]) progname = argv[0];
  int interactive = 0, version = 0, script = argc, loads = 0, require_landlock = 0;
  double timeout = 0, max_mb = 0;
  jail_opts jail = {0};

  /* First pass: find where the script starts and reject bad options, before
   * any code runs (as lua.c does). */
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || strcmp(a, "-") == 0) {
      script = i;
      break;
    }
    if (strcmp(a, "--") == 0) {
      script = i + 1;
      break;
    }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    }
    if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0) version = 1;
    else if (strcmp(a, "-i") == 0) interactive = 1;
    else if (strcmp(a, "--sandbox") == 0) sandboxed = 1;
    else if (strcmp(a, "--require-landlock") == 0) require_landlock = 1;
    /* read by bundle.core.progress_mode, also in a sandboxed child */
    else if (strcmp(a, "--progress") == 0) setenv("BUNDLE_PROGRESS", "1", 1);
    else if (strcmp(a, "-e") == 0 || strcmp(a, "-l") == 0 || strcmp(a, "--timeout") == 0 ||
             strcmp(a, "--max-memory") == 0 || strcmp(a, "--allow-read") == 0 || strcmp(a, "--allow-write") == 0) {
      if (++i >= argc) {
        fprintf(stderr, "%s: '%s' needs an argument\n", progname, a);
        usage(stderr);
        return 1;
      }
      if (strcmp(a, "-l") == 0) loads = 1;
      if (strcmp(a, "--timeout") == 0 || strcmp(a, "--max-memory") == 0) {
        char *end = NULL;
        errno = 0;
        double v = strtod(argv[i], &end);
        if (errno || end == argv[i] || *end || !(v > 0) || v > 1e9) {
          fprintf(stderr, "%s: %s needs a positive number, got '%s'\n", progname, a, argv[i]);
          return 1;
        }
        if (a[2] == 't') timeout = v;
        else max_mb = v;
      } else if (strncmp(a, "--allow-", 8) == 0) {
        int w = a[8] == 'w';
        char real[PATH_MAX]; /* checked here; given to the state's limits once it exists */
        errno = 0;
        if (!realpath(argv[i], real) || (w ? jail.nwrite : jail.nread) == JAIL_MAX_DIRS) {
          fprintf(stderr, "%s: %s %s: %s\n", progname, a, argv[i], errno ? strerror(errno) : "too many directories");
          return 1;
        }
        if (w) jail.write[jail.nwrite++] = argv[i];
        else jail.read[jail.nread++] = argv[i];
      }
    } else {
      fprintf(stderr, "%s: unrecognized option '%s'\n", progname, a);
      usage(stderr);
      return 1;
    }
  }
  if (sandboxed && (interactive || loads)) {
    fprintf(stderr, "%s: --sandbox cannot be combined with %s\n", progname, interactive ? "-i" : "-l");
    return 1;
  }
  if (require_landlock && !sandboxed) {
    fprintf(stderr, "%s: --require-landlock needs --sandbox\n", progname);
    return 1;
  }
  int ran_code = 0;
  for (int i = 1; i < script && i < argc; i++)
    if (strcmp(argv[i], "-e") == 0) ran_code = 1, i++;
  if (sandboxed && script == argc && !ran_code && isatty(STDIN_FILENO)) {
    fprintf(stderr, "%s: --sandbox needs a script, -e code or a script on standard input\n", progname);
    return 1;
  }
  if (version) {
    printf("bundlerun %s (%s)\n", BR_VERSION, LUA_RELEASE);
    if (script == argc && !interactive) return 0;
  }

  /* The script runs in a child process when it is sandboxed or timed: the
   * parent is a watchdog that a stuck C call cannot hold up. */
  if ((sandboxed || timeout > 0) && !interactive && (script < argc || ran_code || !isatty(STDIN_FILENO))) {
    int status = watchdog(timeout);
    if (status >= 0) return status;
  }

  /* Lua's allocations are counted in the memory budget only under
   * --max-memory (counting costs about 9% on allocation-heavy Lua) or in
   * the sandbox's own state, which always counts them */
  lua_State *L = sandboxed ? lbr_sandbox_newstate() : max_mb > 0 ? lbr_limits_newstate() : luaL_newstate();
  if (!L) {
    fprintf(stderr, "%s: cannot create Lua state: not enough memory\n", progname);
    return EXIT_MEMORY;
  }
  if (!sandboxed) {
    luaL_openlibs(L);
    preload_bundle(L);
    add_lua_path(L);
    /* the recording coroutine functions from the start (lcoroutine.c): a
     * script that keeps coroutine.resume before require "bundle" keeps them */
    lua_pushcfunction(L, lbr_driver_record_resumes);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
      fprintf(stderr, "%s: cannot create Lua state: not enough memory\n", progname);
      return EXIT_MEMORY;
    }
  }
  create_arg_table(L, argv, argc, script);
  lua_gc(L, LUA_GCGEN, 0, 0); /* generational mode, as lua.c */
  if (sandboxed) {
    for (int w = 0; w < 2; w++)
      for (int i = 0; i < (w ? jail.nwrite : jail.nread); i++)
        if (!lbr_limits_allow(L, w ? jail.write[i] : jail.read[i], w)) {
          fprintf(stderr, "%s: --allow-%s %s: %s\n", progname, w ? "write" : "read", w ? jail.write[i] : jail.read[i],
                  strerror(errno));
          lbr_limits_close(L);
          return EXIT_ERROR;
        }
    lbr_limits_check_paths(L, 1);
  }
  /* MPI starts on bundle.mpi's first use (so a run that never uses it, and
   * the watchdog parent, never start it); the sandbox's seccomp filter
   * forbids MPI's sockets, so there it says so rather than die */
  if (sandboxed) br_mpi_forbid("not available under --sandbox (MPI needs sockets and shared memory)");
  if (max_mb > 0) br_mem_set_limit(br_mem_used() + (int64_t)(max_mb * 1048576.0));
  if (timeout > 0) lbr_limits_set_timeout(L, timeout);

  int ok = 1;
  if (sandboxed) {
    jail.max_mb = max_mb;
    jail.timeout = timeout;
    jail.require_landlock = require_landlock;
    ok = run_sandboxed(L, argv, argc, script, &jail);
  } else {
    for (int i = 1; ok && i < script && i < argc; i++) {
      if (strcmp(argv[i], "-e") == 0) ok = run_string(L, argv[++i], "=(command line)");
      else if (strcmp(argv[i], "-l") == 0) ok = run_require(L, argv[++i]);
    }
    if (ok && script < argc) {
      ok = run_script(L, argv[script], argv + script + 1, argc - script - 1);
    } else if (ok && !interactive && !ran_code && !version) {
      if (isatty(STDIN_FILENO)) {
        printf("bundlerun %s (%s)  -- require \"bundle\" to start\n", BR_VERSION, LUA_RELEASE);
        repl(L);
      } else {
        ok = run_script(L, NULL, NULL, 0);
      }
    }
    if (ok && interactive) repl(L);
  }
  int status = ok ? EXIT_SUCCESS : EXIT_ERROR;
  /* the deadline once more: a C call may have finished after it, with no
   * Lua instruction in between for the hook to stop */
  if (timeout > 0 && lbr_limits_timed_out(L)) {
    fprintf(stderr, "%s: stopped by --timeout %g\n", progname, timeout);
    status = EXIT_TIMEOUT;
  } else if (!ok && (br_mem_limit_hit() || out_of_memory)) {
    if (max_mb > 0) fprintf(stderr, "%s: stopped by --max-memory %g (MB)\n", progname, max_mb);
    else fprintf(stderr, "%s: out of memory\n", progname);
    status = EXIT_MEMORY;
  } else if (max_mb > 0 && br_mem_limit_hit()) {
    /* the limit binds as the deadline does: a refusal the script caught
     * (pcall around a string.rep past the cap) still ends the run with
     * exit 4, so a caller sees the cap was reached, not a clean success */
    fprintf(stderr, "%s: --max-memory %g (MB) was reached: a request past it was refused and the script caught "
            "the error\n", progname, max_mb);
    status = EXIT_MEMORY;
  }
  fflush(stdout);
  lbr_limits_close(L);
  br_mpi_finalize(status); /* a failed rank ends the job: the others may wait for it */
  return status;
}
