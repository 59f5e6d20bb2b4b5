# Sync server — build, test and run.
#
# Conventions (add a file, the build picks it up):
#   common/*.c            -> libsynccommon.a   (the only code with SQL)
#   rt-gateway/sio/*.c    -> libsio.a          (Engine.IO/Socket.IO layer, knows no files)
#   rt-gateway/*.c        -> sync-gateway
#   fcgi-api/*.c          -> sync-api
#   fcgi-api/syncctl/*.c  -> syncctl
#   tests/unit/test_*.c   -> one CUnit program each (linked with every library)
#   tests/conformance/*.c -> conformance-server (Socket.IO upstream test-suite peer)
#
# SAN=1 builds everything with ASan/UBSan into build-asan/; BENCH=1 builds -O2
# without debug checks into build-bench/.

CC      ?= cc
SAN     ?= 0
BENCH   ?= 0

ifeq ($(FUZZ),1)
  B        := build-fuzz
  OPTFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined
  LDSAN    := -fsanitize=address,undefined
else ifeq ($(SAN),1)
  B        := build-asan
  OPTFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  LDSAN    := -fsanitize=address,undefined
else ifeq ($(BENCH),1)
  B        := build-bench
  OPTFLAGS := -O2 -g
  LDSAN    :=
else
  B        := build
  OPTFLAGS := -O2 -g
  LDSAN    :=
endif

PKGS     := libwebsockets json-c libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
           -Wformat=2 -Wno-format-nonliteral $(OPTFLAGS) -I. -iquote common -Irt-gateway $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDLIBS  := $(PKG_LIBS) -lfcgi -lcrypto -lpthread -lm
# --as-needed: each program maps only the libraries it uses (sync-api no lws)
LDFLAGS := $(LDSAN) -Wl,--as-needed

COMMON_SRC  := $(sort $(wildcard common/*.c))
SIO_SRC     := $(sort $(wildcard rt-gateway/sio/*.c))
GW_SRC      := $(sort $(wildcard rt-gateway/*.c))
API_SRC     := $(sort $(wildcard fcgi-api/*.c))
CTL_SRC     := $(sort $(wildcard fcgi-api/syncctl/*.c))
UNIT_SRC    := $(sort $(wildcard tests/unit/test_*.c))
UNIT_HELP   := $(sort $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c)))
CONF_SRC    := $(sort $(wildcard tests/conformance/*.c))
FUZZ_SRC    := $(sort $(wildcard tests/fuzz/fuzz_*.c))
LOAD_SRC    := $(sort $(wildcard tests/load/*.c))

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

LIBCOMMON := $(B)/libsynccommon.a
LIBSIO    := $(B)/libsio.a
# A program is built once it has sources (lets each part land on its own).
BINS      := $(if $(API_SRC),$(B)/sync-api) $(if $(CTL_SRC),$(B)/syncctl) \
             $(if $(filter rt-gateway/main.c,$(GW_SRC)),$(B)/sync-gateway)
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRC))

.SECONDARY:
.PHONY: all deps build test test-asan unit run bench fuzz conformance-server clean node-deps
.DEFAULT_GOAL := all

all: $(BINS) $(UNIT_BINS) $(FUZZ_BINS) $(if $(CONF_SRC),$(B)/conformance-server) $(if $(LOAD_SRC),$(B)/sio-load)

build: all

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# sql/NNN_*.sql are compiled into the library, so syncctl migrates from
# anywhere without finding the source tree.
MIGRATIONS := $(sort $(wildcard sql/[0-9][0-9][0-9]_*.sql))
$(B)/gen/migrations.c: $(MIGRATIONS) sql/embed.sh
	@mkdir -p $(dir $@)
	sh sql/embed.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(B)/obj/gen/migrations.o: $(B)/gen/migrations.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIBCOMMON): $(call obj,$(COMMON_SRC)) $(B)/obj/gen/migrations.o
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBSIO): $(call obj,$(SIO_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/sync-api: $(call obj,$(API_SRC)) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/syncctl: $(call obj,$(CTL_SRC)) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/sync-gateway: $(call obj,$(GW_SRC)) $(LIBSIO) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/conformance-server: $(call obj,$(CONF_SRC)) $(LIBSIO) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/sio-load: $(call obj,$(LOAD_SRC)) $(LIBSIO) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests link every library; the fcgi-api objects minus main() are in
# reach through API_LIB_OBJ so request parsing can be unit-tested.
API_LIB_OBJ := $(call obj,$(filter-out fcgi-api/main.c,$(API_SRC)))
GW_LIB_OBJ  := $(call obj,$(filter-out rt-gateway/main.c,$(GW_SRC)))
$(B)/tests/%: $(B)/obj/tests/unit/%.o $(call obj,$(UNIT_HELP)) $(API_LIB_OBJ) $(GW_LIB_OBJ) $(LIBSIO) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcunit

# Fuzz targets: under FUZZ=1 (clang) linked with libFuzzer's main; otherwise
# with tests/fuzz/replay_main.c, so `make test` replays the committed corpus.
ifeq ($(FUZZ),1)
$(B)/fuzz/%: $(B)/obj/tests/fuzz/%.o $(API_LIB_OBJ) $(GW_LIB_OBJ) $(LIBSIO) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)
else
$(B)/fuzz/%: $(B)/obj/tests/fuzz/%.o $(B)/obj/tests/fuzz/replay_main.o $(API_LIB_OBJ) $(GW_LIB_OBJ) $(LIBSIO) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
endif

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

# --- set-up -----------------------------------------------------------------
deps:
	@sh deploy/deps.sh

node-deps: deps
	@sh tests/lib/node-deps.sh

# --- tests ------------------------------------------------------------------
test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory node-deps
	@bash tests/run-all.sh $(B)

test-asan: deps
	@$(MAKE) --no-print-directory SAN=1 all
	@$(MAKE) --no-print-directory node-deps
	@bash tests/run-all.sh build-asan

unit: all
	@bash tests/run-all.sh $(B) unit

conformance-server: deps
	@$(MAKE) --no-print-directory all
	$(B)/conformance-server

# --- running ----------------------------------------------------------------
run: deps
	@$(MAKE) --no-print-directory all
	@bash deploy/run.sh $(B)

bench: deps
	@$(MAKE) --no-print-directory BENCH=1 all
	@$(MAKE) --no-print-directory node-deps
	@bash tests/bench/run.sh build-bench

# --- fuzzing (clang + libFuzzer) ---------------------------------------------
FUZZ_SECONDS ?= 60
fuzz: deps
	@$(MAKE) --no-print-directory CC=clang FUZZ=1 $(patsubst tests/fuzz/%.c,build-fuzz/fuzz/%,$(FUZZ_SRC))
	@bash tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

clean:
	rm -rf build build-asan build-bench build-fuzz
