/* Unit tests for core/rules.c and core/clock.c: reason codes, deadlines,
 * CRL reasons, phases, MRE criteria either side of their thresholds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "wr.h"

static void test_reason_table(void **state)
{
	(void)state;
	static const struct {
		const char *code;
		int64_t deadline;
		int crl;
	} want[] = {
		{"subscriber-request", 86400, WR_CRL_OMIT},
		{"unauthorized", 86400, 9},
		{"key-compromise", 86400, 1},
		{"key-computable", 86400, 1},
		{"validation-unreliable", 86400, 4},
		{"weak-key", 5 * 86400, 4},
		{"misuse", 5 * 86400, 9},
		{"agreement-breach", 5 * 86400, 9},
		{"domain-not-permitted", 5 * 86400, 5},
		{"wildcard-misleading", 5 * 86400, 9},
		{"info-changed", 5 * 86400, 9},
		{"misissued", 5 * 86400, 4},
		{"info-inaccurate", 5 * 86400, 9},
		{"ca-terminated", 5 * 86400, WR_CRL_OMIT},
		{"cps-required", 5 * 86400, WR_CRL_OMIT},
		{"keygen-flawed", 5 * 86400, 1},
	};
	size_t nsub = 0, nsubca = 0;

	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct wr_reason *r = wr_reason_find(want[i].code);
		assert_non_null(r);
		assert_int_equal(r->deadline, want[i].deadline);
		assert_int_equal(r->crl_reason, want[i].crl);
		assert_false(r->subca);
		assert_int_equal(wr_deadline(r, 1000), 1000 + want[i].deadline);
	}
	for (size_t i = 0; i < wr_reason_count(); i++) {
		const struct wr_reason *r = wr_reason_at(i);
		/* BR 7.2.2: only 0 (omitted), 1, 3, 4, 5, 9 for subscribers;
		 * certificateHold (6) never. */
		assert_int_not_equal(r->crl_reason, 6);
		if (r->subca) {
			nsubca++;
			assert_int_equal(r->deadline, 7 * 86400);
		} else {
			nsub++;
			assert_true(r->crl_reason == WR_CRL_OMIT || r->crl_reason == 1 ||
				    r->crl_reason == 3 || r->crl_reason == 4 ||
				    r->crl_reason == 5 || r->crl_reason == 9);
		}
	}
	assert_int_equal(nsub, 16);
	assert_int_equal(nsubca, 9);
	assert_null(wr_reason_find("no-such-reason"));
	assert_null(wr_reason_find(NULL));
	assert_string_equal(wr_crl_reason_name(9), "privilegeWithdrawn");
	assert_string_equal(wr_crl_reason_name(WR_CRL_OMIT), "unspecified");
}

static void test_phases(void **state)
{
	(void)state;
	assert_int_equal(wr_phase_parse("activation"), 0);
	assert_int_equal(wr_phase_parse("post-mortem"), 4);
	assert_int_equal(wr_phase_parse("3"), 3);
	assert_int_equal(wr_phase_parse("5"), -1);
	assert_int_equal(wr_phase_parse("revoke"), -1);
	assert_string_equal(wr_phase_name(2), "replacement");
}

static void test_time(void **state)
{
	int64_t t;
	char b[WR_TIME_BUFSZ];

	(void)state;
	assert_int_equal(wr_time_parse("2026-11-25T06:00:00Z", &t), 0);
	assert_int_equal(t, 1795586400);
	assert_string_equal(wr_time_format(t, b), "2026-11-25T06:00:00Z");
	assert_int_equal(wr_time_parse("2026-11-25T08:00:00+02:00", &t), 0);
	assert_int_equal(t, 1795586400);
	assert_int_equal(wr_time_parse("2026-11-25T06:00:00.123Z", &t), 0);
	assert_int_equal(t, 1795586400);
	assert_int_equal(wr_time_parse("2026-11-25", &t), 0);
	assert_int_not_equal(wr_time_parse("2026-11-25T06:00:00", &t), 0); /* no offset */
	assert_int_not_equal(wr_time_parse("2026-02-31T00:00:00Z", &t), 0);
	assert_int_not_equal(wr_time_parse("yesterday", &t), 0);
	assert_int_not_equal(wr_time_parse("2026-11-25T06:00:00Zjunk", &t), 0);
	assert_int_equal(wr_duration_parse("1d2h", &t), 0);
	assert_int_equal(t, 93600);
	assert_int_not_equal(wr_duration_parse("5x", &t), 0);
	assert_string_equal(wr_duration_format(93600 + 61, b), "1d 02:01:01");
	assert_string_equal(wr_duration_format(-600, b), "-00:10:00");
}

static struct wr_mre_input base(void)
{
	struct wr_mre_input in = {
		.affected = 99, .active_total = 10000, .not_short_lived = 99,
		.reason = NULL, .flags = 0, .absolute = 100, .share_percent = 1.0,
	};
	return in;
}

static const struct wr_mre_criterion *crit(struct wr_mre_criterion *c, const char *id)
{
	for (int i = 0; i < WR_MRE_CRITERIA; i++)
		if (strcmp(c[i].id, id) == 0)
			return &c[i];
	fail_msg("no criterion %s", id);
	return NULL;
}

static void test_mre_thresholds(void **state)
{
	struct wr_mre_criterion c[WR_MRE_CRITERIA];
	struct wr_mre_input in = base();

	(void)state;
	/* 99 of 10,000: under both the absolute (100) and share (1%) lines. */
	assert_int_equal(wr_mre_evaluate(&in, c), 0);
	assert_false(crit(c, "absolute")->met);
	assert_false(crit(c, "share")->met);
	/* 100: exactly at both thresholds ("at least"). */
	in.affected = 100;
	assert_int_equal(wr_mre_evaluate(&in, c), 2);
	assert_true(crit(c, "absolute")->met);
	assert_true(crit(c, "share")->met);
	assert_non_null(strstr(crit(c, "absolute")->detail, "100 affected"));
	/* Share alone: 50 of 4,000 is 1.25%, under 100 certificates. */
	in.affected = 50;
	in.active_total = 4000;
	assert_int_equal(wr_mre_evaluate(&in, c), 1);
	assert_true(crit(c, "share")->met);
	/* Unknown active total: share cannot be met. */
	in.active_total = 0;
	wr_mre_evaluate(&in, c);
	assert_false(crit(c, "share")->met);
	/* Configured thresholds move the line. */
	in = base();
	in.absolute = 50;
	in.share_percent = 2.0;
	wr_mre_evaluate(&in, c);
	assert_true(crit(c, "absolute")->met);
	assert_false(crit(c, "share")->met);
}

static void test_mre_deadline_and_flags(void **state)
{
	struct wr_mre_criterion c[WR_MRE_CRITERIA];
	struct wr_mre_input in = base();

	(void)state;
	in.reason = wr_reason_find("key-compromise");
	wr_mre_evaluate(&in, c);
	assert_true(crit(c, "deadline")->met);
	/* All short-lived: exempt, so no BR deadline applies. */
	in.not_short_lived = 0;
	wr_mre_evaluate(&in, c);
	assert_false(crit(c, "deadline")->met);
	in.flags = WR_MRE_BURDEN | WR_MRE_KEYVULN;
	assert_int_equal(wr_mre_evaluate(&in, c), 2);
	assert_true(crit(c, "burden")->met);
	assert_true(crit(c, "key-vulnerability")->met);
	assert_false(crit(c, "compliance")->met);
	assert_false(crit(c, "ca-key")->met);
	in.flags = 0;
	in.reason = wr_reason_find("subca-key-compromise");
	wr_mre_evaluate(&in, c);
	assert_true(crit(c, "ca-key")->met);
}

static void test_short_lived(void **state)
{
	(void)state;
	int64_t old = 1767225600;    /* 2026-01-01 */
	int64_t recent = 1780000000; /* 2026-05-28, after 2026-03-15 */
	assert_true(wr_cert_short_lived(old, old + 10 * 86400 - 1));
	assert_false(wr_cert_short_lived(old, old + 10 * 86400));
	assert_true(wr_cert_short_lived(recent, recent + 7 * 86400 - 1));
	assert_false(wr_cert_short_lived(recent, recent + 8 * 86400));
	assert_false(wr_cert_short_lived(old, old + 90 * 86400));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_table),   cmocka_unit_test(test_phases),
		cmocka_unit_test(test_time),	       cmocka_unit_test(test_mre_thresholds),
		cmocka_unit_test(test_mre_deadline_and_flags), cmocka_unit_test(test_short_lived),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
