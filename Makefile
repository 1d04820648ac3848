# mailwarden - the one way to build, test and try it.
#
#   make            build/mailwarden (and build/libmailwarden.a)
#   make test       install what is missing, build, run every test: unit
#                   tests (plain and under ASan+UBSan), the Sisimai corpus
#                   check, the fuzz corpora replayed, the end-to-end tests
#                   with real Postfix, Dovecot, miltertest and Exim
#   make demo       install what is missing, build, run the demo (it keeps
#                   a private Postfix, Dovecot and mailwarden running on
#                   loopback)
#   make demo-stop  stop them
#   make fuzz       run each fuzz target for FUZZ_SECONDS (default 60)
#   make bench      benchmarks against their baselines (bench/README.md)
#   make deps       install the Debian packages the build and tests need
#   make format     clang-format every source file
#
# Variants share the rules below through BUILD and SANITIZE:
#   make BUILD=build/san SANITIZE=1 ...   AddressSanitizer + UBSan

.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:

BUILD    ?= build
SANITIZE ?= 0
CORPUS   ?= ../shared/corpus/sisimai
FUZZ_SECONDS ?= 60

CC      := cc
CSTD    := -std=c17 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wvla -Wpointer-arith -Wcast-qual
OPT     ?= -O2 -g
PKGS    := jansson libcrypto sqlite3 libuv libmicrohttpd libmaxminddb
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libzxcvbn ships no .pc file (Debian builds it static, with its
# dictionaries inside); it needs libm.
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lzxcvbn -lm

ifeq ($(SANITIZE),1)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer
OPT      := -O1 -g
endif

CPPFLAGS := -Isrc -MMD -MP
CFLAGS   := $(CSTD) $(WARN) $(OPT) $(SANFLAGS) $(PKG_CFLAGS)
LDFLAGS  := $(SANFLAGS)

# The library: everything below the CLI, in dependency order.
LIB_DIRS := src/lib src/mail src/batv src/policy src/store src/guard src/milter src/http \
            src/daemon src/shield
# LIB_SKIP: files to leave out while someone else's work in progress does
# not compile (e.g. make LIB_SKIP=src/mail/mime.c BUILD=build/mine ...).
LIB_SKIP ?=
LIB_SRC  := $(filter-out $(LIB_SKIP),$(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c)))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB      := $(BUILD)/libmailwarden.a

CLI_SRC  := $(wildcard src/cli/*.c)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
BIN      := $(BUILD)/mailwarden

TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
CORPUS_TEST := $(BUILD)/tests/corpus_sisimai

.PHONY: all lib tests test unit deps demo demo-stop fuzz fuzz-build fuzz-replay bench \
        format clean check-corpus

all: $(BIN)
lib: $(LIB)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(PKG_LIBS)

$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) -lcmocka

$(CORPUS_TEST): $(BUILD)/obj/tests/corpus/corpus_sisimai.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

tests: $(TEST_BIN) $(CORPUS_TEST) $(BIN)

deps:
	@scripts/install-deps.sh

# make test: the plain build, then the sanitizer build, then every suite.
test: deps
	$(MAKE) tests
	$(MAKE) BUILD=build/san SANITIZE=1 tests
	$(MAKE) fuzz-build
	scripts/run-tests.sh --corpus $(CORPUS)

demo: deps
	$(MAKE) all
	scripts/demo.sh

demo-stop:
	scripts/demo-stop.sh

# Fuzzing: clang's libFuzzer with ASan+UBSan, the library rebuilt for it.
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)

fuzz-build:
	$(MAKE) BUILD=build/fuzz CC=clang OPT="-O1 -g" \
	  SANFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
	  build/fuzz/libmailwarden.a $(FUZZ_BIN)

build/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz_check.h build/fuzz/libmailwarden.a
	clang $(CSTD) $(WARN) -O1 -g -Isrc $(PKG_CFLAGS) \
	  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  -o $@ $< build/fuzz/libmailwarden.a $(PKG_LIBS)

fuzz-replay: fuzz-build
	scripts/fuzz.sh replay

fuzz: fuzz-build
	scripts/fuzz.sh run $(FUZZ_SECONDS)

bench: deps all
	bench/run.sh

format:
	clang-format -i $(shell find src tests fuzz bench -name '*.[ch]')

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
