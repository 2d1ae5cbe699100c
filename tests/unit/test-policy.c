/* Unit tests for core/policy.c and the trust checks around it: the
 * canonical policy text (order, last assignment, non-policy sections left
 * out), pinning (automatic, refused, re-pinned by Management only), the
 * roles judged by the pinned policy, StrictModes on config files
 * (core/priv.c), and the clock that only a test fixture lets move. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

struct fx {
	char dir[64];
	char path[96];
	struct wr_db *db;
	struct wr_config *cfg;
};

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static struct wr_config *conf(struct fx *f, const char *name, const char *text)
{
	char p[160], err[512] = "";
	struct wr_config *c = NULL;

	snprintf(p, sizeof p, "%s/%s", f->dir, name);
	write_file(p, text, 0644);
	if (wr_config_load(p, &c, err, sizeof err) != 0)
		fail_msg("%s", err);
	return c;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct wr_plan *plan;
	char err[256];

	strcpy(f->dir, "/tmp/wr-unit-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
	assert_int_equal(wr_plan_load(NULL, &plan, err, sizeof err), 0);
	assert_int_equal(wr_db_open(f->path, WR_OPEN_CREATE, &f->db), 0);
	f->cfg = conf(f, "team.conf",
		      "[users]\nalice = management\nbob = revocation\n"
		      "[revocation]\ntwo_person = yes\n[mre]\nabsolute = 50\n");
	wr_db_set_config(f->db, f->cfg);
	wr_db_set_actor(f->db, "alice");
	assert_int_equal(wr_incident_init(f->db, "Policy unit", 1000, plan), 0);
	wr_plan_free(plan);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	wr_db_close(f->db);
	wr_config_free(f->cfg);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int64_t count(struct wr_db *db, const char *sql)
{
	int64_t n = -1;
	assert_int_equal(wr_query_int(db, sql, &n), 0);
	return n;
}

static void test_policy_text(void **state)
{
	struct fx *f = *state;
	/* Keys sorted, the last assignment wins, [mre] and [audit] are not
	 * policy, sections in a fixed order whatever the file's. */
	struct wr_config *c = conf(f, "a.conf",
				   "[mre]\nabsolute = 7\n[revocation]\ntwo_person = no\n"
				   "batch = 10\ntwo_person = yes\n[users]\nzed = revocation\n"
				   "amy = management\n[audit]\nsyslog = /dev/log\n");
	char *t = wr_config_policy_text(c);
	assert_string_equal(t, "[users]\namy = management\nzed = revocation\n"
			       "[revocation]\nbatch = 10\ntwo_person = yes\n");
	free(t);
	wr_config_free(c);
	/* No config: the empty policy. */
	t = wr_config_policy_text(NULL);
	assert_string_equal(t, "");
	free(t);
}

static void test_pin_and_enforce(void **state)
{
	struct fx *f = *state;
	struct wr_policy_info pi;
	bool changed;

	/* init pinned the team's policy, recorded once. */
	assert_int_equal(count(f->db, "SELECT count(*) FROM event WHERE action = 'policy-pin'"), 1);
	assert_int_equal(wr_policy_get(f->db, &pi), 0);
	assert_true(pi.matches);
	assert_string_equal(pi.pinned_sha256, pi.config_sha256);
	assert_string_equal(pi.pinned_by, "alice");

	/* [mre] is no policy: another threshold writes freely. */
	struct wr_config *mre = conf(f, "mre.conf",
				     "[users]\nalice = management\nbob = revocation\n"
				     "[revocation]\ntwo_person = yes\n[mre]\nabsolute = 10\n");
	wr_db_set_config(f->db, mre);
	assert_int_equal(wr_task_note(f->db, 1, "thresholds differ"), 0);

	/* bob, with a config that makes him Management: refused by role
	 * (the pinned [users]) and, where his role allows, by the policy. */
	struct wr_config *relaxed = conf(f, "relaxed.conf",
					 "[users]\nbob = management\n[revocation]\ntwo_person = no\n");
	wr_db_set_config(f->db, relaxed);
	wr_db_set_actor(f->db, "bob");
	int64_t events = count(f->db, "SELECT count(*) FROM event");
	assert_int_equal(wr_authorize(f->db, "revoke", 0, NULL), WR_EPERM);
	assert_non_null(strstr(wr_db_errmsg(f->db), "needs team 'management'"));
	assert_int_equal(wr_policy_pin(f->db, &changed), WR_EPERM);
	assert_int_equal(wr_task_note(f->db, 1, "from bob"), WR_EPERM);
	assert_non_null(strstr(wr_db_errmsg(f->db), "differs from the one pinned"));
	assert_int_equal(wr_policy_get(f->db, &pi), 0);
	assert_false(pi.matches);
	assert_int_equal(count(f->db, "SELECT count(*) FROM event"), events);

	/* Management re-pins a new policy; then it rules, recorded. */
	struct wr_config *next = conf(f, "next.conf",
				      "[users]\nalice = management\nbob = revocation,replacement\n"
				      "[revocation]\ntwo_person = yes\n");
	wr_db_set_config(f->db, next);
	wr_db_set_actor(f->db, "alice");
	assert_int_equal(wr_policy_pin(f->db, &changed), 0);
	assert_true(changed);
	assert_int_equal(wr_policy_pin(f->db, &changed), 0);
	assert_false(changed); /* pinning the same twice records nothing */
	assert_int_equal(count(f->db, "SELECT count(*) FROM event WHERE action = 'policy-pin'"), 2);
	assert_int_equal(count(f->db, "SELECT count(*) FROM event WHERE action = 'policy-pin'"
				      " AND json_extract(details, '$.previous') IS NOT NULL"
				      " AND json_extract(details, '$.auto') = 0"), 1);
	wr_db_set_actor(f->db, "bob");
	assert_int_equal(wr_auth_team(f->db, "replacement"), 0);
	int64_t rev = count(f->db, "SELECT min(id) FROM task WHERE team = 'replacement'");
	assert_int_equal(wr_task_note(f->db, rev, "bob, under the new policy"), 0);
	int64_t n = 0, bad = 0;
	struct wr_audit_result r;
	assert_int_equal(wr_audit_verify(f->db, NULL, &r), 0);
	n = r.count, bad = r.bad_id;
	assert_true(n > 0);
	assert_int_equal(bad, 0);
	wr_db_set_config(f->db, f->cfg);
	wr_config_free(mre);
	wr_config_free(relaxed);
	wr_config_free(next);
}

static void test_empty_pin_takes_first(void **state)
{
	struct fx *f = *state;
	char p[128];
	struct wr_db *db;
	struct wr_plan *plan;
	char err[256];
	struct wr_config *none = wr_config_default();

	/* An incident made without a config pins the first policy that
	 * writes to it: nothing restricted anyone before. */
	snprintf(p, sizeof p, "%s/open.db", f->dir);
	assert_int_equal(wr_plan_load(NULL, &plan, err, sizeof err), 0);
	assert_int_equal(wr_db_open(p, WR_OPEN_CREATE, &db), 0);
	wr_db_set_config(db, none);
	wr_db_set_actor(db, "carol");
	assert_int_equal(wr_incident_init(db, "Open", 0, plan), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM event WHERE action = 'policy-pin'"), 0);
	wr_db_set_config(db, f->cfg);
	wr_db_set_actor(db, "alice");
	assert_int_equal(wr_task_note(db, 1, "now with a config"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM event WHERE action = 'policy-pin'"
				   " AND json_extract(details, '$.auto') = 1"), 1);
	/* From then on that policy rules: carol is not in its [users]. */
	wr_db_set_actor(db, "carol");
	assert_int_equal(wr_task_done(db, 1, NULL), WR_EPERM);
	wr_plan_free(plan);
	wr_db_close(db);
	wr_config_free(none);
}

static void test_strict_modes(void **state)
{
	struct fx *f = *state;
	char p[160], d[160], err[512];
	struct wr_config *c = NULL;

	snprintf(p, sizeof p, "%s/gw.conf", f->dir);
	write_file(p, "[mre]\nabsolute = 5\n", 0664);
	assert_int_equal(wr_config_load(p, &c, err, sizeof err), WR_EPERM);
	assert_non_null(strstr(err, "writable by its group"));
	assert_null(c);
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(wr_config_load(p, &c, err, sizeof err), 0);
	wr_config_free(c);
	/* A directory others can write: whoever can rename in it can swap
	 * the file, so it is refused too; with the sticky bit it is not. */
	snprintf(d, sizeof d, "%s/shared", f->dir);
	assert_int_equal(mkdir(d, 0775), 0);
	assert_int_equal(chmod(d, 02775), 0);
	snprintf(p, sizeof p, "%s/shared/warroom.conf", f->dir);
	write_file(p, "[mre]\nabsolute = 5\n", 0644);
	assert_int_equal(wr_config_load(p, &c, err, sizeof err), WR_EPERM);
	assert_non_null(strstr(err, "shared is writable by others"));
	assert_int_equal(chmod(d, 01777), 0);
	assert_int_equal(wr_config_load(p, &c, err, sizeof err), 0);
	wr_config_free(c);
	/* Key files: not readable outside owner and group. */
	snprintf(p, sizeof p, "%s/ca.key", f->dir);
	write_file(p, "-----BEGIN PRIVATE KEY-----\n", 0644);
	assert_int_equal(wr_priv_check_file(p, WR_CHECK_KEY, err, sizeof err), WR_EPERM);
	assert_non_null(strstr(err, "others can read it"));
	assert_null(strstr(err, "BEGIN"));
	assert_int_equal(chmod(p, 0640), 0);
	assert_int_equal(wr_priv_check_file(p, WR_CHECK_KEY, err, sizeof err), 0);
	assert_int_equal(wr_priv_check_file(p, WR_CHECK_SECRET, err, sizeof err), WR_EPERM);
	assert_non_null(strstr(err, "its group can read it"));
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(wr_priv_check_file(p, WR_CHECK_SECRET, err, sizeof err), 0);
	/* Not a regular file. */
	assert_int_equal(wr_priv_check_file(f->dir, 0, err, sizeof err), WR_EINVAL);
}

static void test_clock_gate(void **state)
{
	struct fx *f = *state;
	int64_t now = (int64_t)time(NULL), t;

	/* f's database was made on the real clock: WARROOM_NOW is ignored. */
	setenv("WARROOM_NOW", "2020-01-01T00:00:00Z", 1);
	assert_true(wr_clock_now(f->db) >= now);
	assert_false(wr_clock_simulated(f->db));
	/* One made under it follows it. */
	char p[128];
	struct wr_db *db;
	snprintf(p, sizeof p, "%s/fixture.db", f->dir);
	assert_int_equal(wr_db_open(p, WR_OPEN_CREATE, &db), 0);
	assert_int_equal(wr_time_parse("2020-01-01T00:00:00Z", &t), 0);
	assert_int_equal(wr_clock_now(db), t);
	assert_true(wr_clock_simulated(db));
	wr_db_close(db);
	/* "now" as WARROOM_NOW is no time (and no recursion). */
	setenv("WARROOM_NOW", "now", 1);
	assert_true(wr_clock_now(f->db) >= now);
	unsetenv("WARROOM_NOW");
	/* Durations cannot overflow. */
	assert_int_equal(wr_duration_parse("+999999999999999999d", &t), WR_EINVAL);
	assert_int_equal(wr_duration_parse("99999999999999999999s", &t), WR_EINVAL);
	assert_int_equal(wr_duration_parse("101w1d", &t), 0);
	assert_int_equal(t, 101 * 7 * 86400 + 86400);
}

static void test_audit_head_and_time(void **state)
{
	struct fx *f = *state;
	struct wr_audit_result r, r2;

	assert_int_equal(wr_task_note(f->db, 1, "one"), 0);
	assert_int_equal(wr_audit_verify(f->db, NULL, &r), 0);
	assert_int_equal(r.backwards_id, 0);
	assert_int_equal(wr_task_note(f->db, 1, "two"), 0);
	/* The head anchored before "two" is still a link of the chain. */
	assert_int_equal(wr_audit_verify(f->db, r.head, &r2), 0);
	assert_int_equal(r2.head_id, r.count);
	assert_int_equal(r2.count, r.count + 1);
	/* Drop the newest event: the chain holds, the newer head is gone. */
	assert_int_equal(wr_exec(f->db, "DELETE FROM event WHERE id = (SELECT max(id) FROM event)"), 0);
	assert_int_equal(wr_audit_verify(f->db, NULL, &r), 0);
	assert_int_equal(wr_audit_verify(f->db, r2.head, &r), WR_ECORRUPT);
	assert_non_null(strstr(wr_db_errmsg(f->db), "is not in this chain"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_policy_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pin_and_enforce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_pin_takes_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strict_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_gate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_head_and_time, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
