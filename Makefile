# warroom: a plain, non-recursive Makefile.
#   make            build build/warroom
#   make run        the console on a ready demo incident
#   make check      every test: unit (plain and ASan+UBSan), end to end
#   make bench      figures for the issues' speed goals
#   make install    PREFIX=/usr/local DESTDIR= [SHARED_GROUP=warroom]
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(PREFIX)/bin
DATADIR  = $(PREFIX)/share/warroom
MANDIR   = $(PREFIX)/share/man
# The installed warroom's policy, secrets and audit key live in
# SYSCONFDIR/warroom, its incidents in LOCALSTATEDIR/lib/warroom.
SYSCONFDIR    ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
LOCALSTATEDIR ?= $(if $(filter /usr,$(PREFIX)),/var,$(PREFIX)/var)
# Set to install the shared-machine mode: warroom setgid to this group
# (created when missing), which alone can write the incidents and read
# the policy, the keys and the audit key; see warroom(7).
SHARED_GROUP  ?=

CC      ?= cc
PKGS     = ncursesw sqlite3 libcrypto libssl libcurl inih jansson
B        = build
Q        = $(if $(V),,@)

# Every target but clean needs the -dev packages; install them first when
# pkg-config cannot find one (scripts/install-deps is idempotent).
ifeq ($(filter clean format,$(MAKECMDGOALS)),)
ifneq ($(shell pkg-config --exists $(PKGS) cmocka 2>/dev/null && echo ok),ok)
$(info warroom: build dependencies missing, running scripts/install-deps)
$(shell sh scripts/install-deps >&2)
endif
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Icore -I$(B) $(PKG_CFLAGS)
DEPFLAGS = -MMD -MP
# -lresolv: glibc's DNS resolver (res_nquery), for contacts check.
LDLIBS   = $(PKG_LIBS) -lresolv -lpthread -lm

CORE_SRC  = $(sort $(wildcard core/*.c))
TUI_SRC   = $(sort $(wildcard tui/*.c))
UNIT_SRC  = $(sort $(wildcard tests/unit/test-*.c))
TOOL_SRC  = $(sort $(wildcard tests/tools/*.c))
BENCH_SRC = $(sort $(wildcard bench/*.c))

CORE_OBJ  = $(CORE_SRC:%.c=$(B)/%.o) $(B)/embedded.o
TUI_OBJ   = $(TUI_SRC:%.c=$(B)/%.o)
UNIT_BIN  = $(UNIT_SRC:tests/unit/%.c=$(B)/unit/%)
ASAN_BIN  = $(UNIT_SRC:tests/unit/%.c=$(B)/asan/%)
TOOL_BIN  = $(TOOL_SRC:tests/tools/%.c=$(B)/tools/%)
BENCH_BIN = $(BENCH_SRC:bench/%.c=$(B)/bench/%)
ASAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

all: $(B)/warroom $(TOOL_BIN)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

# data/schema.sql (version 1), the migrations after it and data/plan.ini
# are compiled in, so the binary works without an installed data directory.
# So are the message templates of data/templates/ (notify), as
# wr_tpl_NAME; [notify] templates = DIR replaces them with a CA's own.
# And the exercise scenarios of data/scenarios/, as wr_scn_NAME, listed
# by name in wr_scenario_builtin (core/scenario.c).
MIGRATIONS = $(sort $(wildcard data/migrate-*.sql))
TEMPLATES  = $(sort $(wildcard data/templates/*.txt))
SCENARIOS  = $(sort $(wildcard data/scenarios/*.ini))
scn_sym    = wr_scn_$(subst -,_,$(basename $(notdir $(1))))
$(B)/embedded.c: data/schema.sql $(MIGRATIONS) data/plan.ini $(TEMPLATES) $(SCENARIOS) scripts/embed.sh
	@mkdir -p $(B)
	$(Q)sh scripts/embed.sh $@.scn wr_schema_sql data/schema.sql wr_default_plan data/plan.ini \
	  $(foreach m,$(MIGRATIONS),wr_$(subst -,_,$(basename $(notdir $(m)))) $(m)) \
	  $(foreach t,$(TEMPLATES),wr_tpl_$(subst -,_,$(basename $(notdir $(t)))) $(t)) \
	  $(foreach s,$(SCENARIOS),$(call scn_sym,$(s)) $(s))
	$(Q){ cat $@.scn; echo 'struct wr_builtin { const char *name, *text; };'; \
	  echo 'const struct wr_builtin wr_scenario_builtin[] = {'; \
	  $(foreach s,$(SCENARIOS),echo '{"$(basename $(notdir $(s)))", $(call scn_sym,$(s))},';) \
	  echo '{0, 0}};'; } > $@.tmp && rm -f $@.scn && mv $@.tmp $@

$(B)/libwarroom.a: $(CORE_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/warroom: $(TUI_OBJ) $(B)/libwarroom.a
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tools/%: tests/tools/%.c $(B)/libwarroom.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bench/%: bench/%.c $(B)/libwarroom.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/unit/%: tests/unit/%.c $(B)/libwarroom.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# The sanitizer build compiles the core once more, with ASan+UBSan.
ASAN_OBJ = $(CORE_SRC:%.c=$(B)/asan-obj/%.o) $(B)/asan-obj/embedded.o
$(B)/asan-obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC/ASAN $<")
	$(Q)$(CC) $(CFLAGS) -O1 $(ASAN_FLAGS) $(DEPFLAGS) -c -o $@ $<
$(B)/asan-obj/embedded.o: $(B)/embedded.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -O1 $(ASAN_FLAGS) -c -o $@ $<
$(B)/asan/libwarroom.a: $(ASAN_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^
$(B)/asan/%: tests/unit/%.c $(B)/asan/libwarroom.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -O1 $(ASAN_FLAGS) -o $@ $^ $(LDLIBS) -lcmocka

unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do echo "== $$t"; $$t || exit 1; done

asan: $(ASAN_BIN)
	@for t in $(ASAN_BIN); do echo "== $$t (asan)"; \
	  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t || exit 1; done

e2e: all
	WARROOM=$(CURDIR)/$(B)/warroom WR_TOOLS=$(CURDIR)/$(B)/tools prove -f -j2 tests/e2e/

# The tests need programs pkg-config does not see (tmux, pebble, lego,
# aiosmtpd...): install-deps checks them all and is quick when nothing is
# missing.
deps:
	@sh scripts/install-deps

check: deps all unit asan e2e fuzz-smoke

bench: all $(BENCH_BIN)
	sh bench/run.sh $(CURDIR)/$(B)

run: deps all
	sh scripts/demo.sh $(CURDIR)/$(B)

lint:
	cppcheck --quiet --enable=warning,performance,portability --error-exitcode=1 \
	  --suppress=missingIncludeSystem -Icore core tui

format:
	clang-format -i core/*.[ch] tui/*.[ch] tests/unit/*.c

# core/paths.c says where SYSCONFDIR is. The installed binary gets it
# compiled afresh with the install's PREFIX and linked ahead of the
# library, whose own copy the linker then leaves out.
$(B)/install/paths.o: core/paths.c FORCE
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -DWR_SYSCONFDIR='"$(SYSCONFDIR)"' -c -o $@ $<
$(B)/install/warroom: $(TUI_OBJ) $(B)/install/paths.o $(B)/libwarroom.a
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

install: all $(B)/install/warroom
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(B)/install/warroom $(DESTDIR)$(BINDIR)/warroom
	cp -R data/. $(DESTDIR)$(DATADIR)/
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 man/*.7 $(DESTDIR)$(MANDIR)/man7/
	$(if $(SHARED_GROUP),sh scripts/install-shared "$(SHARED_GROUP)" "$(DESTDIR)$(BINDIR)/warroom" \
	  "$(DESTDIR)$(SYSCONFDIR)/warroom" "$(DESTDIR)$(LOCALSTATEDIR)/lib/warroom")

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/warroom $(DESTDIR)$(MANDIR)/man1/warroom.1 \
	  $(DESTDIR)$(MANDIR)/man5/warroom.conf.5 $(DESTDIR)$(MANDIR)/man5/warroom-scenario.5 \
	  $(DESTDIR)$(MANDIR)/man7/warroom.7
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf $(B)

FORCE:
.PHONY: all deps unit asan e2e check bench run lint format install uninstall clean fuzz-build fuzz fuzz-smoke FORCE
include tests/fuzz/fuzz.mk
-include $(shell find $(B) -name '*.d' 2>/dev/null)
