# bundlerun — build, test, install.
#
#   make run        set up (scripts/install-deps.sh) and run the main example
#   make test       set up, build, and run every cmocka test and busted spec
#   make sanitize   the same suite built with -fsanitize=address,undefined
#   make bench      benchmarks against peers (figures, not pass/fail)
#   make fuzz       libFuzzer targets (clang), FUZZ_SECONDS each (default 60)
#   make valgrind   the C test suite under valgrind memcheck
#   make install PREFIX=/usr/local
#
# Outputs go to $(BUILD) (build/ by default; build-asan/ for `sanitize`).

PREFIX  ?= /usr/local
BUILD   ?= build
CC      ?= gcc
ifeq ($(origin CC),default)
CC      := gcc
endif
LUA     ?= lua5.4
BUSTED  ?= /usr/bin/busted

# Flags from pkg-config, evaluated only when a rule needs them (after deps).
PKG_CFLAGS = $(shell pkg-config --cflags lua5.4 openblas)
BLAS_LIBS  = $(shell pkg-config --libs openblas)
LUA_LIBS   = $(shell pkg-config --libs lua5.4)
# libseccomp is optional: without it bundlerun --sandbox still has its Lua
# sandbox, rlimits and Landlock, but no system-call filter.
HAVE_SECCOMP   = $(shell pkg-config --exists libseccomp && echo 1)
SECCOMP_CFLAGS = $(if $(HAVE_SECCOMP),-DHAVE_SECCOMP $(shell pkg-config --cflags libseccomp))
SECCOMP_LIBS   = $(if $(HAVE_SECCOMP),$(shell pkg-config --libs libseccomp))

# XGBoost is optional: without libxgboost-dev, bundle.model.gbdt exists and
# says how to get it. The probe compiles and links a call, so a header
# without the library (or the reverse) counts as absent.
HAVE_XGBOOST := $(shell printf '\043include <xgboost/c_api.h>\nint main(void){int a,b,c;XGBoostVersion(&a,&b,&c);return 0;}\n' | \
  $(CC) -x c - -lxgboost -o /dev/null >/dev/null 2>&1 && echo 1)
XGB_CFLAGS = $(if $(HAVE_XGBOOST),-DBR_HAVE_XGBOOST)
XGB_LIBS   = $(if $(HAVE_XGBOOST),-lxgboost)

# MPI (OpenMPI: libopenmpi-dev, openmpi-bin) is optional: without it
# bundle.mpi is a world of one rank, and a run under mpirun says how to get
# MPI. The probe links MPI_Init through mpicc's own flags. Only
# src/core/mpi_comm.c includes <mpi.h>; MPI=0 builds without it.
MPICC ?= mpicc
HAVE_MPI := $(if $(filter 0,$(MPI)),,$(shell printf '\043include <mpi.h>\nint main(void){return MPI_Init(0,0);}\n' | \
  $(CC) -x c - $$($(MPICC) --showme:compile 2>/dev/null) $$($(MPICC) --showme:link 2>/dev/null) -o /dev/null >/dev/null 2>&1 && echo 1))
MPI_CFLAGS = $(if $(HAVE_MPI),-DBR_HAVE_MPI $(shell $(MPICC) --showme:compile))
MPI_LIBS   = $(if $(HAVE_MPI),$(shell $(MPICC) --showme:link))

OPT      ?= -O2
WARN     := -Wall -Wextra -Werror
CFLAGS_ALL = -std=c11 -D_DEFAULT_SOURCE $(WARN) $(OPT) -g -fPIC \
             -Iinclude $(PKG_CFLAGS) $(XGB_CFLAGS) $(SAN_FLAGS) $(CFLAGS)
# Kernels in the core want loop unswitching and vectorisation; the core
# never reads errno after maths, so sqrtf and friends may vectorise.
CORE_OPT ?= -O3 -fno-math-errno
LIBS_ALL = $(BLAS_LIBS) $(XGB_LIBS) $(MPI_LIBS) -lcsv -lz -lm -pthread $(SAN_FLAGS) $(LDFLAGS)

CORE_SRC := $(sort $(wildcard src/core/*.c))
LUA_SRC  := $(sort $(wildcard src/lua/*.c))
CTEST_SRC := $(sort $(wildcard tests/c/test_*.c))
HEADERS  := $(wildcard include/bundle/*.h src/core/*.h src/lua/*.h)

CORE_OBJ := $(CORE_SRC:src/core/%.c=$(BUILD)/obj/core/%.o)
LUA_MODS := $(sort $(wildcard lua/bundle/*.lua))
# bundle's Lua modules compiled into the binaries, for the sandbox's require
LUA_EMBED := $(BUILD)/gen/bundle_lua.c
LUA_OBJ  := $(LUA_SRC:src/lua/%.c=$(BUILD)/obj/lua/%.o) $(BUILD)/obj/lua/bundle_lua.o
JAIL_OBJ := $(BUILD)/obj/jail.o
JAIL_PROBE := $(BUILD)/tests/jail_probe
CTESTS   := $(CTEST_SRC:tests/c/%.c=$(BUILD)/tests/%)

LIB_A    := $(BUILD)/libbundle.a
LIB_SO   := $(BUILD)/libbundle.so
LUA_MOD  := $(BUILD)/bundle/core.so
RUNTIME  := $(BUILD)/bundlerun
EMBED    := $(BUILD)/examples/embed

.PHONY: all deps run test check check-sanitize sanitize bench install uninstall clean fuzz fuzz-build valgrind build-valgrind-tests

all: $(LIB_A) $(LIB_SO) $(LUA_MOD) $(RUNTIME) $(EMBED)

deps:
	@scripts/install-deps.sh

# The README's two commands: both set up what is missing first, then re-enter
# make so that pkg-config sees the freshly installed packages. `make run`
# shows the stages' progress on stderr even through a pipe (--progress).
run: deps
	@$(MAKE) --no-print-directory all
	$(RUNTIME) --progress examples/pipeline.lua

test: deps
	@$(MAKE) --no-print-directory check

check: all $(CTESTS) $(JAIL_PROBE)
	@scripts/run-tests.sh --build $(BUILD) --lua "$(LUA) $(BUSTED)" --install-test

sanitize: deps
	@$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 CORE_OPT="-O1 -fno-math-errno" \
	  SAN_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  check-sanitize

# Under ASan the busted specs run inside the instrumented bundlerun (a plain
# lua5.4 cannot load an ASan-built core.so).
check-sanitize: all $(CTESTS) $(JAIL_PROBE)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  scripts/run-tests.sh --build $(BUILD) --lua "$(BUILD)/bundlerun $(BUSTED)"

# ---- fuzzing: the core and bindings built by clang with libFuzzer's
# coverage, ASan and UBSan; one binary per target in tests/fuzz ----
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

fuzz: deps
	@scripts/install-deps.sh --fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-build:
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang OPT=-O1 CORE_OPT=-O1 \
	  SAN_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION" \
	  $(addprefix build-fuzz/fuzz/,$(FUZZ_TARGETS))

build-fuzz/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_common.h $(LUA_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	@$(if $(V),true,echo "  FUZZ    $@")
	$(Q)clang $(CFLAGS_ALL) -DFUZZ_TOP='"$(CURDIR)"' -fsanitize=fuzzer -o $@ $< $(LUA_OBJ) $(LIB_A) \
	  $(LUA_LIBS) $(LIBS_ALL)

# ---- valgrind: the cmocka suite under memcheck (a plain -O1 build, as
# valgrind and ASan do not mix) ----
valgrind: deps
	@scripts/install-deps.sh --valgrind
	@$(MAKE) --no-print-directory BUILD=build-valgrind OPT=-O1 CORE_OPT=-O1 build-valgrind-tests
	@scripts/valgrind.sh build-valgrind

build-valgrind-tests: $(CTESTS)

bench: deps
	@$(MAKE) --no-print-directory all
	scripts/bench/matmul
	scripts/bench/csv
	scripts/bench/fim
	scripts/bench/models
	scripts/bench/search

# ---- objects ----

# Set V=1 to see full commands.
Q := $(if $(V),,@)

$(BUILD)/obj/core/%.o: src/core/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(V),true,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) $(CORE_OPT) -c $< -o $@

$(BUILD)/obj/core/mpi_comm.o: src/core/mpi_comm.c $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(V),true,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) $(CORE_OPT) $(MPI_CFLAGS) -c $< -o $@

$(BUILD)/obj/lua/%.o: src/lua/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(V),true,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -fvisibility=hidden -c $< -o $@

$(BUILD)/obj/bundlerun.o: src/bundlerun.c src/jail.h $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(V),true,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -Isrc -c $< -o $@

$(JAIL_OBJ): src/jail.c src/jail.h
	@mkdir -p $(dir $@)
	@$(if $(V),true,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) $(SECCOMP_CFLAGS) -c $< -o $@

$(LUA_EMBED): scripts/embed-lua.sh $(LUA_MODS)
	@mkdir -p $(dir $@)
	@$(if $(V),true,echo "  GEN     $@")
	$(Q)scripts/embed-lua.sh $(LUA_MODS) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/lua/bundle_lua.o: $(LUA_EMBED) src/lua/lsandbox.h
	@mkdir -p $(dir $@)
	@$(if $(V),true,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -Isrc/lua -fvisibility=hidden -c $< -o $@

# ---- libraries and programs ----

$(LIB_A): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	@$(if $(V),true,echo "  AR      $@")
	$(Q)ar rcs $@ $^

$(LIB_SO): $(CORE_OBJ)
	@$(if $(V),true,echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,-soname,libbundle.so -o $@ $^ $(LIBS_ALL)

# The Lua module carries the core inside it (no libbundle.so needed at run
# time) and exports only luaopen_bundle_core; Lua's own symbols come from the
# host interpreter, so liblua is not linked.
$(LUA_MOD): $(LUA_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	@$(if $(V),true,echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,--exclude-libs,ALL -o $@ $(LUA_OBJ) $(LIB_A) $(LIBS_ALL)

$(RUNTIME): $(BUILD)/obj/bundlerun.o $(JAIL_OBJ) $(LUA_OBJ) $(LIB_A)
	@$(if $(V),true,echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ $(LUA_LIBS) $(LIBS_ALL) $(SECCOMP_LIBS)

# tests/security's probe: the jail applied to a C program that then tries
# what a script cannot even express (exec, fork, sockets, writes outside)
$(JAIL_PROBE): tests/security/jail_probe.c $(JAIL_OBJ) src/jail.h
	@mkdir -p $(dir $@)
	@$(if $(V),true,echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS_ALL) $(SECCOMP_CFLAGS) -Isrc -o $@ $< $(JAIL_OBJ) -pthread $(SAN_FLAGS) $(LDFLAGS) $(SECCOMP_LIBS)

# examples/embed.c: the C library with no Lua, as a program embedding it links it
$(EMBED): examples/embed.c $(LIB_A) $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(V),true,echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $< $(LIB_A) $(LIBS_ALL)

# test_lua_limits checks the bindings' per-state limits: it links them too
$(BUILD)/tests/test_lua_limits: tests/c/test_lua_limits.c $(LUA_OBJ) $(LIB_A) $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(V),true,echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $< $(LUA_OBJ) $(LIB_A) -lcmocka $(LUA_LIBS) $(LIBS_ALL)

$(BUILD)/tests/%: tests/c/%.c $(LIB_A) $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(V),true,echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $< $(LIB_A) -lcmocka $(LIBS_ALL)

# ---- install ----

LUA_CMOD_DIR ?= $(PREFIX)/lib/lua/5.4
LUA_LMOD_DIR ?= $(PREFIX)/share/lua/5.4

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	  $(DESTDIR)$(PREFIX)/include/bundle $(DESTDIR)$(LUA_CMOD_DIR)/bundle \
	  $(DESTDIR)$(LUA_LMOD_DIR)/bundle
	install -m 755 $(RUNTIME) $(DESTDIR)$(PREFIX)/bin/bundlerun
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 man/bundlerun.1 $(DESTDIR)$(PREFIX)/share/man/man1/bundlerun.1
	install -m 644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/libbundle.a
	install -m 755 $(LIB_SO) $(DESTDIR)$(PREFIX)/lib/libbundle.so
	install -m 644 include/bundle/*.h $(DESTDIR)$(PREFIX)/include/bundle/
	install -m 755 $(LUA_MOD) $(DESTDIR)$(LUA_CMOD_DIR)/bundle/core.so
	install -m 644 lua/bundle/*.lua $(DESTDIR)$(LUA_LMOD_DIR)/bundle/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@XGB_LIBS@|$(XGB_LIBS)|g' -e 's|@MPI_LIBS@|$(MPI_LIBS)|g' -e 's|@VERSION@|$(shell sed -n 's/^#define BR_VERSION "\(.*\)"/\1/p' include/bundle/version.h)|g' \
	  bundle.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/bundle.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/bundlerun $(DESTDIR)$(PREFIX)/lib/libbundle.a \
	  $(DESTDIR)$(PREFIX)/lib/libbundle.so $(DESTDIR)$(PREFIX)/lib/pkgconfig/bundle.pc \
	  $(DESTDIR)$(LUA_CMOD_DIR)/bundle/core.so $(DESTDIR)$(PREFIX)/share/man/man1/bundlerun.1
	rm -rf $(DESTDIR)$(PREFIX)/include/bundle $(DESTDIR)$(LUA_LMOD_DIR)/bundle

clean:
	rm -rf build build-asan build-fuzz build-valgrind
