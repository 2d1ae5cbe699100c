/* Unit tests for core/suggest.c: the "did you mean" of a mistyped
 * command, option or value, and the words it must not offer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "wr.h"

static const char *const commands[] = {
    "init",  "import", "reasons",   "declare", "status", "certs", "task",   "phase",
    "close", "reopen", "authorize", "revoke",  "delay",  "crl",   "verify", "log",
};

static const char *nearest(const char *word, const char *const *c, size_t n)
{
	struct wr_suggest s;

	wr_suggest_init(&s, word);
	for (size_t i = 0; i < n; i++)
		wr_suggest_add(&s, c[i]);
	return wr_suggest_best(&s);
}

#define NEAR(w) nearest((w), commands, sizeof commands / sizeof commands[0])

static void test_slips(void **state)
{
	(void)state;
	assert_string_equal(NEAR("stauts"), "status");  /* two letters swapped */
	assert_string_equal(NEAR("statu"), "status");   /* one left out */
	assert_string_equal(NEAR("statuss"), "status"); /* one too many */
	assert_string_equal(NEAR("clsoe"), "close");
	assert_string_equal(NEAR("revok"), "revoke");
	assert_string_equal(NEAR("reopne"), "reopen");
	assert_string_equal(NEAR("STATUS"), "status"); /* case is no slip: offered */
	assert_string_equal(NEAR("tsak"), "task");
	assert_string_equal(NEAR("lgo"), "log");
}

static void test_not_a_slip(void **state)
{
	(void)state;
	assert_null(NEAR("frobnicate"));
	assert_null(NEAR(""));
	assert_null(NEAR("x"));
	assert_null(NEAR("status")); /* the word itself is no suggestion */
	assert_null(NEAR("zzzz"));
	char longw[200];
	memset(longw, 'a', sizeof longw - 1);
	longw[sizeof longw - 1] = '\0';
	assert_null(NEAR(longw));
}

static void test_nearest_wins(void **state)
{
	static const char *const reasons[] = {"key-compromise", "key-computable",
					      "validation-unreliable", "weak-key"};
	(void)state;
	assert_string_equal(nearest("key-compromse", reasons, 4), "key-compromise");
	assert_string_equal(nearest("key-computabel", reasons, 4), "key-computable");
	assert_string_equal(nearest("validaton-unreliable", reasons, 4), "validation-unreliable");
	assert_string_equal(nearest("weak_key", reasons, 4), "weak-key");
	/* Long words allow three edits, never more. */
	assert_string_equal(nearest("valdaton-unrelable", reasons, 4), "validation-unreliable");
	assert_null(nearest("vldtn-unrlble", reasons, 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slips),
	    cmocka_unit_test(test_not_a_slip),
	    cmocka_unit_test(test_nearest_wins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
