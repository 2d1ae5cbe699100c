# tests/fuzz/fuzz.mk: libFuzzer harnesses for the parsers (tests/fuzz/README),
# included by the Makefile.
#   make fuzz          each target for FUZZ_SECONDS on $(B)/fuzz/corpus-NAME,
#                      a working copy of tests/fuzz/corpus/NAME that grows
#   make fuzz-smoke    each for FUZZ_SMOKE_SECONDS on a fresh copy; fails on a
#                      crash; part of make check, skipped when clang is absent
# A crash leaves its input in $(B)/fuzz/crash-NAME/ and its log in
# $(B)/fuzz/NAME.log. The checked-in corpus is never written to.
FUZZ_CC            ?= clang
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_NAMES  = cert import csv config plan scenario
FUZZ_SAN    = address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Icore -I$(B) $(PKG_CFLAGS) -g -O1
FUZZ_OBJ    = $(CORE_SRC:%.c=$(B)/fuzz-obj/%.o) $(B)/fuzz-obj/embedded.o
FUZZ_BIN    = $(FUZZ_NAMES:%=$(B)/fuzz/fuzz-%)
FUZZ_HAVE_CC := $(shell command -v $(FUZZ_CC) 2>/dev/null)

# The core once more, instrumented for coverage and with ASan+UBSan.
$(B)/fuzz-obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC/FUZZ $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) $(DEPFLAGS) -c -o $@ $<
$(B)/fuzz-obj/embedded.o: $(B)/embedded.c
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c -o $@ $<
$(B)/fuzz-obj/libwarroom.a: $(FUZZ_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

# fuzz-csv loads the cert corpus's certificates, whose serials its seeds name.
$(B)/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(B)/fuzz-obj/libwarroom.a
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD/FUZZ $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) $(DEPFLAGS) \
	  -DFZ_SEED_CERTS='"$(CURDIR)/tests/fuzz/corpus/cert"' \
	  -o $@ $< $(B)/fuzz-obj/libwarroom.a $(LDLIBS)

# $(call fuzz_run,SECONDS,DIR-PREFIX,FRESH): runs every target on
# $(B)/fuzz/DIR-PREFIX-NAME, seeded from the checked-in corpus (emptied
# first when FRESH is set), prints each one's last status line and, after a
# crash, the log's end; fails when any target crashed.
define fuzz_run
	@fail=; for n in $(FUZZ_NAMES); do \
	  dir=$(B)/fuzz/$(2)-$$n; log=$(B)/fuzz/$$n.log; \
	  $(if $(3),rm -rf $$dir;) mkdir -p $$dir $(B)/fuzz/crash-$$n; \
	  cp tests/fuzz/corpus/$$n/* $$dir/; \
	  dict=; test -f tests/fuzz/dict/$$n.dict && dict=-dict=tests/fuzz/dict/$$n.dict; \
	  echo "== fuzz-$$n, $(1) s"; \
	  if UBSAN_OPTIONS=print_stacktrace=1 $(B)/fuzz/fuzz-$$n -max_total_time=$(1) \
	       -timeout=30 -print_final_stats=1 -artifact_prefix=$(B)/fuzz/crash-$$n/ \
	       $$dict $$dir >$$log 2>&1; then \
	    grep -E '^#[0-9]+[[:space:]]+DONE' $$log | tail -n 1; \
	  else \
	    tail -n 40 $$log; fail="$$fail $$n"; \
	  fi; \
	done; \
	test -z "$$fail" || { echo "fuzz: crashed:$$fail (inputs in $(B)/fuzz/crash-NAME/," \
	  "logs in $(B)/fuzz/NAME.log; see tests/fuzz/README)"; exit 1; }
endef

fuzz-build: $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	$(call fuzz_run,$(FUZZ_SECONDS),corpus,)

ifneq ($(FUZZ_HAVE_CC),)
fuzz-smoke: $(FUZZ_BIN)
	$(call fuzz_run,$(FUZZ_SMOKE_SECONDS),smoke,fresh)
else
fuzz-smoke:
	@echo "fuzz-smoke: skipped, $(FUZZ_CC) not found (scripts/install-deps installs it)"
endif
