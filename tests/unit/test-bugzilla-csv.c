/* Unit tests for the appendix CSV in attachments Bugzilla takes
 * (core/bugzilla.c, [bugzilla] attachment_max): a CSV that fits goes
 * whole, as it is; a larger one in parts of at most max bytes, each of
 * whole rows and headed by the header row, the rows all there once, in
 * order; a quoted field's line end stays inside its row; a row too long
 * for any part goes alone in one; the part names; the setting's default
 * (Bugzilla's 1000 KB) and its value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define HEAD "a,b\n"

static void test_fits(void **state)
{
	(void)state;
	char **p = NULL;
	size_t n = 0;
	const char *csv = HEAD "1,2\n3,4\n";

	assert_int_equal(wr_bugzilla_csv_split(csv, strlen(csv), &p, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(p[0], csv);
	wr_bugzilla_split_free(p, n);
	/* A header alone, over max: one part, itself. */
	assert_int_equal(wr_bugzilla_csv_split(HEAD, 2, &p, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(p[0], HEAD);
	wr_bugzilla_split_free(p, n);
}

static void test_parts(void **state)
{
	(void)state;
	char **p = NULL, joined[4096] = HEAD;
	size_t n = 0, max = 20;
	/* Rows of 8 bytes; the header 4: two rows in a part of 20. */
	const char *csv = HEAD "1111,11\n2222,22\n3333,33\n4444,44\n5555,55\n";

	assert_int_equal(wr_bugzilla_csv_split(csv, max, &p, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		assert_true(strlen(p[i]) <= max);
		assert_memory_equal(p[i], HEAD, strlen(HEAD));
		assert_int_equal(p[i][strlen(p[i]) - 1], '\n');
		strcat(joined, p[i] + strlen(HEAD));
	}
	assert_string_equal(p[2], HEAD "5555,55\n");
	assert_string_equal(joined, csv);
	wr_bugzilla_split_free(p, n);
}

static void test_quoted_and_long(void **state)
{
	(void)state;
	char **p = NULL;
	size_t n = 0;
	/* The quoted line end is inside row 1; row 2 is longer than a part. */
	const char *csv = HEAD "\"x\ny\",1\n\"a long, long row\",2\n3,3\n";

	assert_int_equal(wr_bugzilla_csv_split(csv, 16, &p, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(p[0], HEAD "\"x\ny\",1\n");
	assert_string_equal(p[1], HEAD "\"a long, long row\",2\n");
	assert_string_equal(p[2], HEAD "3,3\n");
	wr_bugzilla_split_free(p, n);
}

static void test_names(void **state)
{
	(void)state;
	char b[64];

	wr_bugzilla_appendix_name(0, 5, b, sizeof b);
	assert_string_equal(b, WR_REPORT_APPENDIX_FILE);
	wr_bugzilla_appendix_name(1, 1, b, sizeof b);
	assert_string_equal(b, "affected-certificates.csv");
	wr_bugzilla_appendix_name(2, 3, b, sizeof b);
	assert_string_equal(b, "affected-certificates-2-of-3.csv");
}

static void test_setting(void **state)
{
	(void)state;
	struct wr_config *cfg = wr_config_default();

	assert_non_null(cfg);
	assert_int_equal(wr_bugzilla_attachment_max(NULL), 1024000);
	assert_int_equal(wr_bugzilla_attachment_max(cfg), 1024000);
	assert_int_equal(wr_config_set(cfg, "bugzilla", "attachment_max", "500000"), 0);
	assert_int_equal(wr_bugzilla_attachment_max(cfg), 500000);
	assert_int_equal(wr_config_set(cfg, "bugzilla", "attachment_max", "0"), 0);
	assert_int_equal(wr_bugzilla_attachment_max(cfg), 1024000);
	wr_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fits),
	    cmocka_unit_test(test_parts),
	    cmocka_unit_test(test_quoted_and_long),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_setting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
