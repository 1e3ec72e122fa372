# mtapi: a multi-tenant JSON API on Kore.
#
#   make run     install what is missing, set up PostgreSQL, keys and test
#                data, build, and serve http://127.0.0.1:8000 (foreground)
#   make test    the same set-up into a throw-away database, then every test
#   make cluster make run's set-up, then two instances behind HAProxy on
#                http://127.0.0.1:8080, through PgBouncer (foreground)
#
# Building blocks (the ones above call them): build, module, cli, unit,
# test-asan (the suite under AddressSanitizer + UBSan), test-cluster (the
# cluster tests alone; make test runs them last), bench, clean.
# Reliability checks (docs/reliability.md): slowclients (slow and abusive
# clients), chaos (faults under load); RELIAB_PORT sets their server's port.
# make fuzz runs every harness of tests/fuzz/ under libFuzzer (clang) for
# FUZZ_SECONDS each (default 60); fuzz-replay builds the harnesses with
# $(CC) and a plain main() to replay their inputs (make test does);
# fuzz-cov reports the line coverage of the core by the corpora.

BUILD		:= .build
APPDIR		:= $(BUILD)/mtapi
MODULE		:= $(APPDIR)/mtapi.so
ADMIN		:= $(BUILD)/bin/mtapi-admin
ASAN		?=

CC		?= cc
WARN		:= -Wall -Werror -Wextra -Wno-unused-parameter \
		   -Wmissing-declarations -Wshadow -Wstrict-prototypes \
		   -Wmissing-prototypes -Wpointer-arith -Wsign-compare
CFLAGS_BASE	:= -std=gnu11 -D_GNU_SOURCE -g $(WARN) -fstack-protector-strong \
		   -Isrc -I/usr/include/postgresql
ifeq ($(ASAN),1)
CFLAGS_BASE	+= -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
		   -fno-sanitize-recover=undefined
LDSAN		:= -fsanitize=address,undefined
APPDIR		:= $(BUILD)/asan/mtapi
MODULE		:= $(APPDIR)/mtapi.so
ADMIN		:= $(BUILD)/asan/bin/mtapi-admin
else
CFLAGS_BASE	+= -O2
LDSAN		:=
endif

CORE_SRC	:= src/core/settings.c src/core/envfile.c src/core/hosts.c \
		   src/core/token.c src/core/secret.c \
		   src/core/perms.c src/core/fields.c src/core/bodyjson.c \
		   src/core/paging.c \
		   src/core/log.c src/core/values.c src/core/proxies.c \
		   src/core/keyset.c src/core/keystore.c
MODULE_SRC	:= $(shell find src -name '*.c')
MODULE_HDR	:= $(shell find src -name '*.h')
ADMIN_SRC	:= $(wildcard tools/admin/*.c)
SQL		:= $(wildcard sql/*.sql)
ASSETS		:= $(shell find assets -type f 2>/dev/null)

TESTBIN		:= $(dir $(ADMIN))tests
UNIT_SRC	:= $(filter-out tests/unit/module_stubs.c,$(wildcard tests/unit/*.c))
UNIT_BIN	:= $(patsubst tests/unit/%.c,$(TESTBIN)/unit/%,$(UNIT_SRC))
IT_SRC		:= $(filter-out tests/integration/harness.c,\
		   $(wildcard tests/integration/test_*.c))
IT_BIN		:= $(patsubst tests/integration/%.c,$(TESTBIN)/it/%,$(IT_SRC))
CL_SRC		:= $(wildcard tests/cluster/test_*.c)
CL_BIN		:= $(patsubst tests/cluster/%.c,$(TESTBIN)/cluster/%,$(CL_SRC))

LIBS		:= -ljwt -ljansson -lsodium -lssl -lcrypto
# What kodev defines for the module (conf/build.conf, Debian's Kore).
KORE_FLAGS	:= -DKORE_USE_PGSQL -DKORE_USE_TASKS
TEST_LIBS	:= -lcriterion -lcurl $(LIBS)

# The fuzzing harnesses: tests/fuzz/fuzz_<name>.c on the core sources.
FUZZ_CC		?= clang
FUZZ_SECONDS	?= 60
FUZZ_NAMES	:= $(patsubst tests/fuzz/fuzz_%.c,%,\
		   $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_DIR	:= $(BUILD)/fuzz
FUZZ_BIN	:= $(patsubst %,$(FUZZ_DIR)/bin/fuzz_%,$(FUZZ_NAMES))
REPLAY_BIN	:= $(patsubst %,$(FUZZ_DIR)/replay/fuzz_%,$(FUZZ_NAMES))
FUZZ_CFLAGS	:= -std=gnu11 -D_GNU_SOURCE -g -O1 $(WARN) -Isrc \
		   -I/usr/include/postgresql -Itests/fuzz \
		   -fno-omit-frame-pointer -fsanitize=address,undefined \
		   -fno-sanitize-recover=undefined
FUZZ_LIBS	:= $(LIBS) -lpq -lm

.PHONY: all run test build module cli tests unit test-asan bench clean \
	db-start db-stop slowclients chaos cluster test-cluster \
	fuzz fuzz-build fuzz-replay fuzz-cov

all: build

run:
	@tools/dev/run.sh

test:
	@tools/dev/test.sh

test-asan:
	@MTAPI_ASAN=1 tools/dev/test.sh

cluster:
	@tools/dev/cluster.sh

test-cluster:
	@MTAPI_TEST_ONLY=cluster tools/dev/test.sh

bench:
	@bench/run.sh

slowclients:
	@tests/reliability/run.sh slowclients

chaos:
	@tests/reliability/run.sh chaos

fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tools/dev/fuzz.sh

fuzz-cov:
	@tools/dev/fuzz.sh cov

fuzz-build: $(FUZZ_BIN)

fuzz-replay: $(REPLAY_BIN)

db-start:
	@set -a; . ./.env; set +a; tools/dev/pg.sh start

db-stop:
	@tools/dev/pg.sh stop

build: module cli

module: $(MODULE)

cli: $(ADMIN)

tests: $(UNIT_BIN) $(IT_BIN) $(CL_BIN)

unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do $$t --jobs 2 || exit 1; done

# kodev names the application after its directory, so it builds in
# $(APPDIR), whose src, conf and assets link back here. kodev does not
# track headers: a changed header rebuilds everything.
$(MODULE): $(MODULE_SRC) $(MODULE_HDR) $(ASSETS) conf/build.conf
	@test -d .keys/tls || { echo "build: no .keys/tls: make run (or" \
	    "tools/dev/keys.sh) makes the development keys first" >&2; exit 1; }
	@mkdir -p $(APPDIR)
	@for d in src conf assets; do \
		ln -sfn "$(CURDIR)/$$d" "$(APPDIR)/$$d"; done
	@ln -sfn "$(CURDIR)/dh2048.pem" "$(APPDIR)/dh2048.pem"
	@ln -sfn "$(CURDIR)/.keys/tls" "$(APPDIR)/cert"
	@ln -sfn "$(CURDIR)/.env" "$(APPDIR)/.env"
	@if [ -f $(MODULE) ] && [ -n "$$(find $(MODULE_HDR) conf/build.conf \
	    -newer $(MODULE) 2>/dev/null)" ]; then \
		(cd $(APPDIR) && kodev clean); fi
	@if [ "$(ASAN)" = 1 ]; then (cd $(APPDIR) && kodev flavor asan \
	    >/dev/null); else (cd $(APPDIR) && kodev flavor dev >/dev/null); fi
	@cd $(APPDIR) && kodev build >"$(CURDIR)/$(BUILD)/kodev.log" 2>&1 || \
	    { grep -v '^compiling' "$(CURDIR)/$(BUILD)/kodev.log"; exit 1; }
	@echo "built $(MODULE)"

# The names of sql/'s files, rewritten only when one comes or goes: a
# file removed leaves every other one older than migrations.c, which must
# be made again all the same (it embeds each file by name).
SQL_LIST	:= $(BUILD)/gen/sql.list
$(shell mkdir -p $(BUILD)/gen && { echo '$(SQL)' | cmp -s - $(SQL_LIST) || \
    echo '$(SQL)' >$(SQL_LIST); })

$(BUILD)/gen/migrations.c: $(SQL) $(SQL_LIST) tools/admin/gen-migrations.sh
	@mkdir -p $(dir $@)
	tools/admin/gen-migrations.sh sql > $@

$(ADMIN): $(ADMIN_SRC) $(CORE_SRC) $(MODULE_HDR) tools/admin/admin.h \
    $(BUILD)/gen/migrations.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -Itools/admin -o $@ $(ADMIN_SRC) $(CORE_SRC) \
	    $(BUILD)/gen/migrations.c $(LDSAN) $(LIBS) -lpq

# Unit tests of a module file include it, with Kore's stand-ins
# (tests/unit/module_stubs.c) for what it calls outside.
$(TESTBIN)/unit/%: tests/unit/%.c tests/unit/module_stubs.c $(CORE_SRC) \
    $(MODULE_SRC) $(MODULE_HDR) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(KORE_FLAGS) -o $@ $< tests/unit/module_stubs.c \
	    $(CORE_SRC) $(LDSAN) $(TEST_LIBS) -lpq

$(TESTBIN)/it/test_%: tests/integration/test_%.c tests/integration/harness.c \
    tests/integration/harness.h $(CORE_SRC) $(MODULE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -Itests/integration -o $@ $< \
	    tests/integration/harness.c $(CORE_SRC) $(LDSAN) $(TEST_LIBS) -lpq

# The cluster tests: the harness, and libpq for the catalog.
$(TESTBIN)/cluster/test_%: tests/cluster/test_%.c tests/integration/harness.c \
    tests/integration/harness.h $(CORE_SRC) $(MODULE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -Itests/integration -o $@ $< \
	    tests/integration/harness.c $(CORE_SRC) $(LDSAN) $(TEST_LIBS) -lpq

$(FUZZ_DIR)/bin/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(CORE_SRC) \
    $(MODULE_HDR)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(CORE_SRC) \
	    $(FUZZ_LIBS)

$(FUZZ_DIR)/replay/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c \
    tests/fuzz/fuzz.h $(CORE_SRC) $(MODULE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_CFLAGS) -o $@ $< tests/fuzz/replay.c $(CORE_SRC) \
	    $(FUZZ_LIBS)

# Line coverage of the core by the corpora (make fuzz-cov): clang's
# source-based coverage, no sanitizers.
$(FUZZ_DIR)/cov/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c \
    tests/fuzz/fuzz.h $(CORE_SRC) $(MODULE_HDR)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 -D_GNU_SOURCE -g -O0 $(WARN) -Isrc \
	    -I/usr/include/postgresql -Itests/fuzz \
	    -fprofile-instr-generate -fcoverage-mapping -o $@ $< \
	    tests/fuzz/replay.c $(CORE_SRC) $(FUZZ_LIBS)

clean:
	rm -rf $(BUILD)
