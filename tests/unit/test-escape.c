/* Unit tests for core/escape.c, core/config.c and core/plan.c: hostile
 * text at each edge, and bad lines in config and plan files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wr.h"

static void check_term(const char *in, const char *want)
{
	char *out = wr_esc_term(in);
	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

static void test_term(void **state)
{
	(void)state;
	check_term("plain.example", "plain.example");
	check_term("\x1b[2J", "\\x1b[2J");
	check_term("a\nb\rc\td", "a\\x0ab\\x0dc\\x09d");
	check_term("back\\slash", "back\\\\slash");
	check_term("\x7f", "\\x7f");
	check_term("\xc2\x9b" "31m", "\\u009b31m"); /* C1 CSI */
	check_term("evil\xe2\x80\xaegnp.exe", "evil\\u202egnp.exe"); /* RLO */
	check_term("\xe2\x81\xa6x\xe2\x81\xa9", "\\u2066x\\u2069");   /* isolates */
	check_term("M\xc3\xbcller \xe6\x97\xa5\xe6\x9c\xac", "M\xc3\xbcller \xe6\x97\xa5\xe6\x9c\xac");
	check_term("bad\xff\xfe", "bad\\xff\\xfe");
	check_term("\xc0\xaf", "\\xc0\\xaf"); /* overlong '/' */
	check_term("\xed\xa0\x80", "\\xed\\xa0\\x80"); /* surrogate */
	check_term("", "");
}

/* The forms warroom(1) documents, one each: a control character and a
 * byte that is not UTF-8 as \xNN, other unsafe characters as \uNNNN, a
 * backslash doubled; and an escape of wr_esc_term's own never starts with
 * two backslashes, so a doubled one always is the input's (certs relies on
 * it to show kept text, whose backslashes are escapes already). */
static void test_term_forms(void **state)
{
	static const char *const in[] = {
		"\x1b", "Caf\xe9", "\xe2\x80\xae", "\\", "\\\x1b", "\xe9\\", "\\x1b",
	};
	static const char *const want[] = {
		"\\x1b", "Caf\\xe9", "\\u202e", "\\\\", "\\\\\\x1b", "\\xe9\\\\",
		"\\\\x1b",
	};

	(void)state;
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
		char *out = wr_esc_term(in[i]);
		size_t bs_in = 0, pairs = 0;
		assert_non_null(out);
		assert_string_equal(out, want[i]);
		for (const char *p = in[i]; *p; p++)
			bs_in += *p == '\\';
		for (const char *p = out; *p; p++)
			if (p[0] == '\\' && p[1] == '\\') {
				pairs++;
				p++;
			}
		assert_int_equal(pairs, bs_in);
		free(out);
	}
}

static void test_md_and_utf8(void **state)
{
	char *s;

	(void)state;
	s = wr_esc_md("[click](http://x) *b* <script>|");
	assert_string_equal(s, "\\[click\\](http://x) \\*b\\* \\<script\\>\\|");
	free(s);
	s = wr_esc_md("\x1b]8;;http://evil\x07");
	assert_null(strchr(s, 0x1b));
	assert_null(strchr(s, 0x07));
	free(s);
	s = wr_utf8_sanitize("ok\xff\x00z", 5);
	assert_string_equal(s, "ok\\xff\\x00z");
	free(s);
	assert_int_equal(wr_str_width("abc"), 3);
}

/* HTML: entities for the five, and control bytes made visible first, so
 * an escape sequence or a bidi override reaches no report reader. */
static void test_html(void **state)
{
	char *s;

	(void)state;
	s = wr_esc_html("<script>alert('x') & \"y\"</script>");
	assert_string_equal(s, "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
	free(s);
	s = wr_esc_html("a\x1b[31m\u202eb\\");
	assert_string_equal(s, "a\\x1b[31m\\u202eb\\\\");
	free(s);
	s = wr_esc_html("caf\xc3\xa9 \xff");
	assert_string_equal(s, "caf\xc3\xa9 \\xff");
	free(s);
}

static char *write_tmp(const char *text)
{
	char *p = strdup("/tmp/wr-conf-XXXXXX");
	int fd = mkstemp(p);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return p;
}

static void conf_error(const char *text, int line, const char *what)
{
	struct wr_config *c = NULL;
	char err[512], want[64];
	char *p = write_tmp(text);

	assert_int_equal(wr_config_load(p, &c, err, sizeof err), WR_EINVAL);
	assert_null(c);
	snprintf(want, sizeof want, "%s:%d: ", p, line);
	assert_memory_equal(err, want, strlen(want));
	assert_non_null(strstr(err, what));
	unlink(p);
	free(p);
}

static void test_config(void **state)
{
	struct wr_config *c;
	char err[512];
	char *p;

	(void)state;
	p = write_tmp("; comment\n[mre]\nabsolute = 250 ; inline\nshare_percent = 0.5\n"
		      "[users]\nalice = management\n");
	assert_int_equal(wr_config_load(p, &c, err, sizeof err), 0);
	assert_int_equal(wr_config_int(c, "mre", "absolute", 100), 250);
	assert_true(wr_config_double(c, "mre", "share_percent", 1) == 0.5);
	assert_true(wr_config_has_users(c));
	assert_string_equal(wr_config_user_teams(c, "alice", NULL), "management");
	assert_null(wr_config_user_teams(c, "bob", NULL));
	wr_config_free(c);
	unlink(p);
	free(p);

	conf_error("[mre]\nabsolute = lots\n", 2, "whole number");
	conf_error("[mre]\nabsolute = 5\nshare_percent = 120\n", 3, "percentage");
	conf_error("[mre]\nabsolut = 5\n", 2, "unknown key 'absolut'");
	conf_error("\n\n[mystery]\nx = 1\n", 4, "unknown section [mystery]");
	conf_error("[mre]\nthis line has no equals sign\n", 2, "key = value");
	conf_error("[users]\nbob =\n", 2, "team ids");
}

static void test_plan(void **state)
{
	struct wr_plan *pl;
	char err[512];
	char *p;

	(void)state;
	assert_int_equal(wr_plan_load(NULL, &pl, err, sizeof err), 0);
	assert_int_equal(wr_plan_team_count(pl), 6);
	assert_int_equal(strlen(wr_plan_sha256(pl)), 64);
	wr_plan_free(pl);

	p = write_tmp("[plan]\nname = Tiny\n[team ops]\nname = Ops\nactivation = +1h Look\n"
		      "revocation = deadline-2h Revoke\n");
	assert_int_equal(wr_plan_load(p, &pl, err, sizeof err), 0);
	assert_int_equal(wr_plan_task_count(pl), 2);
	assert_string_equal(wr_plan_name(pl), "Tiny");
	wr_plan_free(pl);
	unlink(p);
	free(p);

	static const struct {
		const char *text, *what;
		int line;
	} bad[] = {
		{"[team ops]\nname = Ops\nlunch = Eat\n", "unknown key 'lunch'", 3},
		{"[team Ops!]\nname = x\n", "lower-case", 2},
		{"[team ops]\nname = Ops\nactivation = +soon Look\n", "bad due time", 3},
		{"[teams]\nname = x\n", "unknown section", 2},
		{"[team ops]\nname = Ops\nrevocation = deadline+2h Revoke\n", "bad due time", 3},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char want[64];
		p = write_tmp(bad[i].text);
		assert_int_equal(wr_plan_load(p, &pl, err, sizeof err), WR_EINVAL);
		snprintf(want, sizeof want, "%s:%d: ", p, bad[i].line);
		assert_memory_equal(err, want, strlen(want));
		assert_non_null(strstr(err, bad[i].what));
		unlink(p);
		free(p);
	}
	p = write_tmp("[plan]\nname = Empty\n");
	assert_int_equal(wr_plan_load(p, &pl, err, sizeof err), WR_EINVAL);
	assert_non_null(strstr(err, "no [team ID]"));
	unlink(p);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_term),
		cmocka_unit_test(test_term_forms),
		cmocka_unit_test(test_md_and_utf8),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_plan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
