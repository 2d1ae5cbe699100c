/* Unit tests for wr_policy_check (core/policy.c): the pinned policy
 * compared without a transaction, for commands that act outside the
 * database before their first write (crl, ari, verify...). It agrees with
 * the transactions' own check, writes nothing, works on a read-only
 * handle, and lets anything through where nothing (or an empty policy) is
 * pinned, since the first write pins the writer's. */
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

#include "internal.h"

struct fx {
	char dir[64];
	char path[96];
	struct wr_db *db;
	struct wr_config *team, *relaxed, *none;
};

static struct wr_config *conf(struct fx *f, const char *name, const char *text)
{
	char p[160], err[512] = "";
	struct wr_config *c = NULL;
	FILE *fp;

	snprintf(p, sizeof p, "%s/%s", f->dir, name);
	assert_non_null(fp = fopen(p, "w"));
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(p, 0644), 0);
	if (wr_config_load(p, &c, err, sizeof err) != 0)
		fail_msg("%s", err);
	return c;
}

static int64_t count(struct wr_db *db, const char *sql)
{
	int64_t n = -1;
	assert_int_equal(wr_query_int(db, sql, &n), 0);
	return n;
}

static struct wr_db *incident(struct fx *f, const char *name, const struct wr_config *cfg)
{
	struct wr_plan *plan;
	struct wr_db *db;
	char p[160], err[256];

	snprintf(p, sizeof p, "%s/%s", f->dir, name);
	assert_int_equal(wr_plan_load(NULL, &plan, err, sizeof err), 0);
	assert_int_equal(wr_db_open(p, WR_OPEN_CREATE, &db), 0);
	wr_db_set_config(db, cfg);
	wr_db_set_actor(db, "alice");
	assert_int_equal(wr_incident_init(db, "Check unit", 1000, plan), 0);
	wr_plan_free(plan);
	return db;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	strcpy(f->dir, "/tmp/wr-unit-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->team = conf(f, "team.conf",
		       "[users]\nalice = management\nbob = revocation\n"
		       "[revocation]\ntwo_person = yes\n[local]\nshard_entries = 5\n");
	f->relaxed = conf(f, "relaxed.conf",
			  "[users]\nalice = management\nbob = revocation\n"
			  "[revocation]\ntwo_person = yes\n[local]\nshard_entries = 3\n");
	assert_non_null(f->none = wr_config_default());
	f->db = incident(f, "t.db", f->team);
	snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	wr_db_close(f->db);
	wr_config_free(f->team);
	wr_config_free(f->relaxed);
	wr_config_free(f->none);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void test_agrees_with_the_write_check(void **state)
{
	struct fx *f = *state;
	int64_t events = count(f->db, "SELECT count(*) FROM event");
	char msg[1024];

	/* The pinned config passes, and checking records nothing. */
	assert_int_equal(wr_policy_check(f->db), 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM event"), events);
	/* Another [local] (a policy section): refused, with the message the
	 * write itself gets, before any transaction. */
	wr_db_set_config(f->db, f->relaxed);
	assert_int_equal(wr_policy_check(f->db), WR_EPERM);
	snprintf(msg, sizeof msg, "%s", wr_db_errmsg(f->db));
	assert_non_null(strstr(msg, "relaxed.conf"));
	assert_non_null(strstr(msg, "differs from the one pinned in this incident by alice"));
	assert_non_null(strstr(msg, "nothing was changed"));
	assert_int_equal(wr_task_note(f->db, 1, "under relaxed"), WR_EPERM);
	assert_string_equal(wr_db_errmsg(f->db), msg);
	assert_int_equal(count(f->db, "SELECT count(*) FROM event"), events);
	/* No transaction was left open: a write under the pinned config goes. */
	wr_db_set_config(f->db, f->team);
	assert_int_equal(wr_policy_check(f->db), 0);
	assert_int_equal(wr_task_note(f->db, 1, "under team"), 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM event"), events + 1);
}

static void test_read_only_handle(void **state)
{
	struct fx *f = *state;
	struct wr_db *ro;

	assert_int_equal(wr_db_open(f->path, WR_OPEN_READONLY, &ro), 0);
	wr_db_set_config(ro, f->relaxed);
	assert_int_equal(wr_policy_check(ro), WR_EPERM);
	assert_non_null(strstr(wr_db_errmsg(ro), "differs from the one pinned"));
	wr_db_set_config(ro, f->team);
	assert_int_equal(wr_policy_check(ro), 0);
	wr_db_close(ro);
}

static void test_nothing_pinned(void **state)
{
	struct fx *f = *state;
	struct wr_db *open = incident(f, "open.db", f->none);
	bool changed;

	/* No config at init: nothing pinned, any policy may write, and the
	 * check pins nothing itself. */
	assert_int_equal(count(open, "SELECT count(*) FROM event WHERE action = 'policy-pin'"), 0);
	wr_db_set_config(open, f->relaxed);
	assert_int_equal(wr_policy_check(open), 0);
	assert_int_equal(count(open, "SELECT count(*) FROM event WHERE action = 'policy-pin'"), 0);
	/* The first write pins it; then the team's config is the other one. */
	assert_int_equal(wr_task_note(open, 1, "first"), 0);
	wr_db_set_config(open, f->team);
	assert_int_equal(wr_policy_check(open), WR_EPERM);
	/* An empty policy pinned by Management restricts nothing either. */
	wr_db_set_config(open, f->none);
	assert_int_equal(wr_policy_pin(open, &changed), 0);
	assert_true(changed);
	wr_db_set_config(open, f->team);
	assert_int_equal(wr_policy_check(open), 0);
	wr_db_close(open);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_agrees_with_the_write_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_handle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_pinned, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
