/* Unit tests for core/scenario.c and core/population.c: a good scenario
 * and what it holds, every built-in one, each kind of mistake reported at
 * its line, continuation lines; then a small scenario applied to an
 * exercise: exact counts (certificates, real and synthetic, expired,
 * customers, critical), unique serials and hashes, injects and
 * expectations with their JSON parameters, and more-certs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "population.h"
#include "unit.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/wr-unit-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	unsetenv("WARROOM_NOW");
	return 0;
}

static const char good[] =
	"; a comment\n"
	"[scenario]\n"
	"id = small\n"
	"title = A small one\n"
	"based_on = Something that happened,\n"
	"  with figures\n"
	"reason = validation-unreliable\n"
	"discovered = -2h30m\n"
	"declare = yes\n"
	"criteria = burden, compliance\n"
	"speed = 30\n"
	"\n"
	"[population]\n"
	"count = 400\n"
	"real = 60\n"
	"customers = 40\n"
	"critical = 10%\n"
	"expired = 5%\n"
	"validity = 398d:50% 90d:50%\n"
	"endpoints = 1..2\n"
	"seed = 7\n"
	"\n"
	"[customer Big \"Quoted\", Inc.]\n"
	"critical = yes\n"
	"certs = 50\n"
	"\n"
	"[inject first]\n"
	"at = +0\n"
	"team = management\n"
	"message = Line one\n"
	"  and line two.\n"
	"\n"
	"[inject delay]\n"
	"at = +1h30m\n"
	"team = customer-relations\n"
	"message = They ask for a delay.\n"
	"effect = delay-request\n"
	"customer = Big \"Quoted\", Inc.\n"
	"rationale = Because.\n"
	"for = 2d\n"
	"\n"
	"[inject manual]\n"
	"message = Only by hand.\n"
	"effect = more-certs\n"
	"count = 25\n"
	"\n"
	"[expect decide]\n"
	"inject = delay\n"
	"kind = delay-decision\n"
	"customer = Big \"Quoted\", Inc.\n"
	"within = 2h\n"
	"description = Decide.\n"
	"\n"
	"[expect task]\n"
	"inject = first\n"
	"kind = task-done\n"
	"task = Assess scope and severity against the MRE criteria\n"
	"team = management\n"
	"within = 1h\n"
	"description = Assess.\n";

static const char *put(const char *name, const char *text)
{
	const char *p = unit_path(dir, name);
	write_file(p, text, strlen(text));
	return p;
}

static void test_good(void **state)
{
	struct wr_scenario *sc = NULL;
	struct wr_scenario_info in;
	char err[512] = "";

	(void)state;
	if (wr_scenario_load(put("small.ini", good), &sc, err, sizeof err) != 0)
		fail_msg("%s", err);
	wr_scenario_info(sc, &in);
	assert_string_equal(wr_scenario_id(sc), "small");
	assert_string_equal(wr_scenario_title(sc), "A small one");
	assert_string_equal(in.based_on, "Something that happened, with figures");
	assert_string_equal(in.reason, "validation-unreliable");
	assert_int_equal(in.discovered, -9000);
	assert_true(in.declare);
	assert_true(wr_scenario_speed(sc) == 30);
	assert_int_equal(in.count, 400);
	assert_int_equal(in.real, 60);
	assert_int_equal(in.customers, 40);
	assert_int_equal(in.critical_customers, 4);
	assert_int_equal(in.expired, 20);
	assert_int_equal(in.named, 1);
	assert_int_equal(in.injects, 3);
	assert_int_equal(in.expectations, 2);
	assert_int_equal(strlen(wr_scenario_sha256(sc)), 64);
	wr_scenario_free(sc);

	/* A spreadsheet's or an editor's file: a BOM, CRLF lines. */
	static const char bom[] = "\xef\xbb\xbf[scenario]\r\ntitle = T\r\nreason = misissued\r\n"
				  "discovered = 0\r\n[population]\r\ncount = 5\r\n";
	if (wr_scenario_load(put("bom.ini", bom), &sc, err, sizeof err) != 0)
		fail_msg("%s", err);
	wr_scenario_info(sc, &in);
	assert_int_equal(in.count, 5);
	assert_string_equal(in.id, "bom");
	wr_scenario_free(sc);
}

static void test_builtins(void **state)
{
	size_t n = 0;

	(void)state;
	for (; wr_scenario_builtin_name(n); n++) {
		struct wr_scenario *sc = NULL;
		struct wr_scenario_info in;
		char err[512] = "";
		if (wr_scenario_load(wr_scenario_builtin_name(n), &sc, err, sizeof err) != 0)
			fail_msg("%s", err);
		wr_scenario_info(sc, &in);
		assert_string_equal(in.id, wr_scenario_builtin_name(n));
		assert_true(in.injects >= 4);
		assert_true(in.expectations >= 3);
		assert_true(in.based_on[0] != '\0');
		wr_scenario_free(sc);
	}
	assert_int_equal(n, 5);
	struct wr_scenario *sc = NULL;
	char err[512] = "";
	assert_int_equal(wr_scenario_load("caa-recheck", &sc, err, sizeof err), 0);
	struct wr_scenario_info in;
	wr_scenario_info(sc, &in);
	assert_int_equal(in.count, 3048289);
	wr_scenario_free(sc);
	/* A name near a built-in one is suggested. */
	assert_int_equal(wr_scenario_load("heartbled", &sc, err, sizeof err), WR_EINVAL);
	assert_null(sc);
	assert_non_null(strstr(err, "did you mean 'heartbleed'"));
}

/* The header every bad case starts from: 7 lines. */
#define BASE                                                                                      \
	"[scenario]\ntitle = T\nreason = misissued\ndiscovered = -1h\n[population]\ncount = 10\n" \
	"\n"

static void bad(const char *text, const char *where, const char *what)
{
	struct wr_scenario *sc = (void *)1;
	char err[512] = "", want[128];

	assert_int_equal(wr_scenario_load(put("bad.ini", text), &sc, err, sizeof err), WR_EINVAL);
	assert_null(sc);
	snprintf(want, sizeof want, "%s: ", unit_path(dir, where));
	if (strncmp(err, want, strlen(want)) != 0 || !strstr(err, what))
		fail_msg("got '%s', want '%s' and '%s'", err, want, what);
}

static void test_errors(void **state)
{
	(void)state;
	/* The base alone is good. */
	struct wr_scenario *sc = NULL;
	char err[512] = "";
	assert_int_equal(wr_scenario_load(put("bad.ini", BASE), &sc, err, sizeof err), 0);
	wr_scenario_free(sc);

	bad(BASE "[bogus]\n", "bad.ini:8", "unknown section [bogus]");
	bad(BASE "[inject a]\nmessage = x\nfoo = 1\n", "bad.ini:10", "unknown key 'foo'");
	bad(BASE "[scenario]\n", "bad.ini:8", "[scenario] given twice");
	bad("[scenario]\ntitle = T\ntitle = U\n", "bad.ini:3", "'title' given twice");
	bad("[scenario]\ncolour = red\n", "bad.ini:2", "unknown key 'colour' in [scenario]");
	bad("[population]\ncount = 1x\n", "bad.ini:2", "count: expected a whole number");
	bad("[population]\ncount = -5\n", "bad.ini:2", "count: expected a whole number");
	bad("[population]\ncount = 99999999999999999999\n", "bad.ini:2", "count");
	bad("[population]\ncritical = 120%\n", "bad.ini:2", "critical: expected a share");
	bad("[population]\nvalidity = 90d 30d\n", "bad.ini:2", "give each lifetime its share");
	bad("[population]\nvalidity = 90d:50% 30d:20%\n", "bad.ini:2", "add up to 70%");
	bad("[population]\nendpoints = 3..1\n", "bad.ini:2", "endpoints");
	bad("[scenario]\nspeed = fast\n", "bad.ini:2", "bad speed");
	bad("[scenario]\nreason = nope\n", "bad.ini:2", "unknown reason code 'nope'");
	bad("[scenario]\ndiscovered = +2h\n", "bad.ini:2", "bad discovered");
	bad("[scenario]\ndiscovered = yesterday\n", "bad.ini:2", "bad discovered");
	bad(BASE "[inject a]\nat = +2x\nmessage = x\n", "bad.ini:9", "bad at '+2x'");
	bad(BASE "[inject a]\nat = -1h\nmessage = x\n", "bad.ini:9", "bad at");
	bad(BASE "[inject a]\nmessage = x\n[inject a]\nmessage = y\n", "bad.ini:10",
	    "duplicate inject id 'a' (line 8)");
	bad(BASE "[inject a]\nmessage = x\n[expect e]\ninject = a\nkind = manual\nwithin = 1h\n"
		 "description = d\n[expect e]\n",
	    "bad.ini:15", "duplicate expectation id 'e'");
	bad(BASE "[inject Bad_Id]\nmessage = x\n", "bad.ini:8", "inject id 'Bad_Id'");
	bad(BASE "[inject a]\nmessage = x\nteam = nobody\n", "bad.ini:10", "unknown team 'nobody'");
	bad(BASE "[inject a]\nmessage = x\neffect = explode\n", "bad.ini:10",
	    "unknown effect 'explode'");
	bad(BASE "[inject a]\nmessage = x\neffect = smtp-down\n", "bad.ini:10",
	    "smtp-down needs for");
	bad(BASE "[inject a]\nmessage = x\neffect = smtp-down\nfor = soon\n", "bad.ini:11",
	    "for: expected a duration");
	bad(BASE "[inject a]\nmessage = x\neffect = smtp-down\nfor = 1h\ncount = 3\n", "bad.ini:12",
	    "unknown key 'count' in [inject a] (smtp-down takes for)");
	bad(BASE "[inject a]\nmessage = x\neffect = more-certs\ncount = 0\n", "bad.ini:11",
	    "count: expected a whole number");
	bad(BASE "[inject a]\nmessage = x\neffect = reclassify\nreason = nope\n", "bad.ini:11",
	    "unknown reason code");
	bad(BASE "[inject a]\nmessage = x\neffect = delay-request\ncustomer = Who\nrationale = r\n"
		 "for = 1d\n",
	    "bad.ini:11", "unknown customer 'Who'");
	bad(BASE "[inject a]\nat = +1h\n", "bad.ini:8", "[inject a] needs a message");
	bad(BASE "[expect e]\ninject = a\n", "bad.ini:9", "unknown inject 'a'");
	bad(BASE "[inject a]\nmessage = x\n[expect e]\ninject = a\nkind = guess\n", "bad.ini:12",
	    "unknown expectation kind 'guess'");
	bad(BASE "[inject a]\nmessage = x\n[expect e]\ninject = a\nkind = manual\n"
		 "description = d\n",
	    "bad.ini:10", "needs within");
	bad(BASE "[inject a]\nmessage = x\n[expect e]\ninject = a\nkind = task-done\n"
		 "within = 1h\ndescription = d\n",
	    "bad.ini:12", "task-done needs task");
	bad(BASE "[inject a]\nmessage = x\nat = +1h\n  +2h\n", "bad.ini:11",
	    "only a text (message, description, rationale...) goes on");
	bad(BASE "key without equals\n", "bad.ini:8", "expected '[section]' or 'key = value'");
	bad("orphan = 1\n", "bad.ini:1", "outside a section");
	bad("[scenario]\ntitle = T\n", "bad.ini:1", "needs a reason");
	bad("[scenario]\ntitle = T\nreason = misissued\ndiscovered = 0\n", "bad.ini:1",
	    "[population] needs count");
	bad(BASE "[population]\n", "bad.ini:8", "[population] given twice");
	bad("[scenario]\ntitle = T\nreason = misissued\ndiscovered = 0\n[population]\ncount = 5\n"
	    "real = 6\n",
	    "bad.ini:1", "real (6) is more than count (5)");
	bad(BASE "[customer X]\ncerts = 20\n", "bad.ini:1", "too small");
	bad(BASE "[customer X]\ncontact = not an address\ncerts = 1\n", "bad.ini:9", "contact");
	bad(BASE "[customer X]\n", "bad.ini:8", "[customer X] needs certs");
	/* A line too long for inih's buffer, and a NUL byte. */
	char longline[600];
	snprintf(longline, sizeof longline, BASE "[inject a]\nmessage = %0450d\n", 7);
	bad(longline, "bad.ini:9", "line longer than");
	static const char nul[] = "[scenario]\ntitle = T\0\n";
	write_file(unit_path(dir, "nul.ini"), nul, sizeof nul - 1);
	assert_int_equal(wr_scenario_load(unit_path(dir, "nul.ini"), &sc, err, sizeof err),
			 WR_EINVAL);
	assert_non_null(strstr(err, "nul.ini:2: a NUL byte"));
	assert_int_equal(wr_scenario_load(unit_path(dir, "missing.ini"), &sc, err, sizeof err),
			 WR_EIO);
}

/* The scenario applied to an exercise started through exercise.c. */
static void test_apply(void **state)
{
	struct wr_exercise_opts eo = {.at = 1795593600}; /* 2026-11-25T08:00:00Z */
	struct wr_config *cfg = wr_config_default();
	struct wr_db *db;
	char err[512] = "", path[128];
	int64_t n;

	(void)state;
	snprintf(path, sizeof path, "%s/ex.db", dir);
	eo.scenario = put("small.ini", good);
	eo.speed = 1;
	if (wr_exercise_start(path, cfg, "tester", &eo, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(wr_db_open(path, 0, &db), 0);
	wr_db_set_config(db, cfg);
	wr_db_set_actor(db, "tester");
	/* Pause: the counts below are taken at one simulated instant. */
	assert_int_equal(wr_exercise_pause(db), 0);
	int64_t now = wr_clock_now(db);

	assert_int_equal(wr_query_int(db, "SELECT count(*) FROM cert", &n), 0);
	assert_int_equal(n, 400);
	assert_int_equal(wr_query_int(db, "SELECT count(*) FROM cert WHERE synthetic = 1", &n), 0);
	assert_int_equal(n, 340);
	assert_int_equal(wr_query_int(db, "SELECT count(*) FROM cert_der", &n), 0);
	assert_int_equal(n, 60);
	assert_int_equal(wr_query_int(db, "SELECT count(*) FROM cert c JOIN cert_der d ON"
					  " d.cert_id = c.id WHERE c.synthetic = 1", &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(wr_query_int(db, "SELECT count(DISTINCT serial) + count(DISTINCT sha256)"
					  " FROM cert", &n), 0);
	assert_int_equal(n, 800);
	assert_int_equal(wr_query_int(db, "SELECT count(DISTINCT issuer) FROM cert", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(wr_query_int(db, "SELECT count(*) FROM cert WHERE checked IS NULL", &n), 0);
	assert_int_equal(n, 0);
	struct wr_counts c;
	assert_int_equal(wr_counts_get(db, now, &c), 0);
	assert_int_equal(c.affected, 400);
	assert_int_equal(c.expired, 20);
	assert_int_equal(c.pending, 380);
	assert_int_equal(wr_query_int(db, "SELECT count(*) FROM customer", &n), 0);
	assert_int_equal(n, 40);
	assert_int_equal(wr_query_int(db, "SELECT count(*) FROM customer WHERE critical = 1", &n), 0);
	assert_int_equal(n, 4);
	/* The named customer has exactly its certificates, and is critical. */
	assert_int_equal(wr_query_int(db, "SELECT count(*) FROM cert WHERE customer ="
					  " 'Big \"Quoted\", Inc.'", &n), 0);
	assert_int_equal(n, 50);
	assert_int_equal(wr_query_int(db, "SELECT critical FROM customer WHERE name ="
					  " 'Big \"Quoted\", Inc.'", &n), 0);
	assert_int_equal(n, 1);
	/* Every customer has a certificate. */
	assert_int_equal(wr_query_int(db, "SELECT count(*) FROM customer WHERE name NOT IN"
					  " (SELECT customer FROM cert)", &n), 0);
	assert_int_equal(n, 0);
	/* Declared with the scenario's reason, discovered 2h30m before. */
	struct wr_status st;
	assert_int_equal(wr_status_get(db, &st), 0);
	assert_string_equal(st.state, "declared");
	assert_string_equal(st.reason, "validation-unreliable");
	assert_int_equal(st.discovered, 1795593600 - 9000);
	/* Injects and expectations, parameters as JSON. */
	assert_int_equal(wr_query_int(db, "SELECT count(*) FROM inject", &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(wr_query_int(db, "SELECT at_offset FROM inject WHERE id = 'delay'", &n), 0);
	assert_int_equal(n, 5400);
	assert_int_equal(wr_query_int(db, "SELECT json_extract(params, '$.for') FROM inject"
					  " WHERE id = 'delay'", &n), 0);
	assert_int_equal(n, 172800);
	assert_int_equal(wr_query_int(db, "SELECT at_offset IS NULL FROM inject WHERE id = 'manual'",
				      &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(wr_query_int(db, "SELECT count(*) FROM expectation WHERE"
					  " json_extract(params, '$.name') = 'task' AND kind ="
					  " 'task-done' AND within = 3600", &n), 0);
	assert_int_equal(n, 1);
	/* The CA: key 0600, certificate 0644. */
	struct stat sb;
	char p[256];
	snprintf(p, sizeof p, "%s.ca/ca.key", path);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	snprintf(p, sizeof p, "%s.ca/ca.pem", path);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);

	/* The customers' figures agree with the certificates. */
	bool agree = false;
	assert_int_equal(wr_tally_check(db, &agree), 0);
	assert_true(agree);

	/* More certificates found: synthetic, unique, the customer's. */
	int64_t added = 0;
	assert_int_equal(wr_population_more(db, 25, "Big \"Quoted\", Inc.", &added), 0);
	assert_int_equal(added, 25);
	assert_int_equal(wr_population_more(db, 10, NULL, &added), 0);
	assert_int_equal(wr_population_more(db, 5, "Someone New", &added), 0);
	assert_int_equal(wr_query_int(db, "SELECT count(DISTINCT serial) + count(DISTINCT sha256)"
					  " FROM cert WHERE synthetic = 1", &n), 0);
	assert_int_equal(n, 2 * 380);
	assert_int_equal(wr_query_int(db, "SELECT count(*) FROM cert WHERE customer ="
					  " 'Big \"Quoted\", Inc.'", &n), 0);
	assert_int_equal(n, 75);
	assert_int_equal(wr_query_int(db, "SELECT count(*) FROM customer WHERE name = 'Someone New'",
				      &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(wr_counts_get(db, now, &c), 0);
	assert_int_equal(c.affected, 440);
	assert_int_equal(c.expired, 20);
	agree = false;
	assert_int_equal(wr_tally_check(db, &agree), 0);
	assert_true(agree);
	wr_db_close(db);
	wr_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_builtins),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_apply),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
