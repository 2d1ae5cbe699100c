/* Unit tests for the incident database: counts around the instant a
 * certificate expires, the audit chain catching one changed byte,
 * declaration, tasks and team permissions, closing and reopening. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

struct fx {
	char dir[64];
	char path[96];
	struct wr_db *db;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	unit_db_create(f->dir, f->path, &f->db, "2026-11-25T06:00:00Z", "Unit incident", NULL,
		       "tester");
	unsetenv("WARROOM_NOW"); /* each test sets the instant it needs */
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unit_db_remove(f->dir, f->db);
	free(f);
	return 0;
}

static void add_cert(struct wr_db *db, int i, int64_t nb, int64_t na, int64_t revoked_at)
{
	sqlite3_stmt *st;
	unsigned char h[32] = {0};
	char serial[16];

	h[0] = (unsigned char)i;
	h[1] = (unsigned char)(i >> 8);
	snprintf(serial, sizeof serial, "%04X", i);
	assert_int_equal(wr_prepare(db, "INSERT INTO cert(sha256, serial, issuer, subject,"
				       " not_before, not_after, spki_sha256, revoked_at, state)"
				       " VALUES (?, ?, 'CN=CA', 'CN=x', ?, ?, ?, ?, ?)", &st), 0);
	sqlite3_bind_blob(st, 1, h, 32, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, serial, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, nb);
	sqlite3_bind_int64(st, 4, na);
	sqlite3_bind_blob(st, 5, h, 32, SQLITE_TRANSIENT);
	wr_bind_time(st, 6, revoked_at);
	sqlite3_bind_text(st, 7, revoked_at ? "revoked" : "pending", -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

static void test_counts_around_expiry(void **state)
{
	struct fx *f = *state;
	struct wr_counts c;
	const int64_t T = 1795586400; /* notAfter of the expiring one */

	add_cert(f->db, 1, T - 90 * 86400, T, 0);	    /* expires at T */
	add_cert(f->db, 2, T - 90 * 86400, T + 86400, 0);   /* still valid */
	add_cert(f->db, 3, T - 90 * 86400, T - 10, T - 100); /* revoked, then expired */

	/* At T the first is still valid: notAfter is its last second. */
	assert_int_equal(wr_counts_get(f->db, T, &c), 0);
	assert_int_equal(c.affected, 3);
	assert_int_equal(c.revoked, 1);
	assert_int_equal(c.expired, 0);
	assert_int_equal(c.pending, 2);
	/* One second later it counts as expired, not pending. */
	assert_int_equal(wr_counts_get(f->db, T + 1, &c), 0);
	assert_int_equal(c.expired, 1);
	assert_int_equal(c.pending, 1);
	assert_int_equal(c.revoked, 1);
	/* Revoking moves it by the trigger-kept counter. */
	assert_int_equal(wr_exec(f->db, "UPDATE cert SET revoked_at = 1, state = 'revoked'"
					" WHERE serial = '0002'"), 0);
	assert_int_equal(wr_counts_get(f->db, T + 1, &c), 0);
	assert_int_equal(c.revoked, 2);
	assert_int_equal(c.pending, 0);
	assert_int_equal(c.expired, 1);
}

/* The expired count a handle carries forward (core/incident.c) equals a
 * count from scratch as the clock moves on, certificates expire between
 * frames, others arrive, and the clock goes back. */
static int64_t expired_now(struct wr_db *db, int64_t now)
{
	sqlite3_stmt *st;
	int64_t n;

	assert_int_equal(wr_prepare(db, "SELECT count(*) FROM cert WHERE revoked_at IS NULL"
					" AND not_after < ?", &st), 0);
	sqlite3_bind_int64(st, 1, now);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void test_expired_carried_forward(void **state)
{
	struct fx *f = *state;
	struct wr_counts c;
	const int64_t T = 1795586400;
	int id = 1;

	/* A certificate expiring every 3 seconds over 10 minutes. */
	for (; id <= 200; id++)
		add_cert(f->db, id, T - 86400, T + 3 * id, 0);
	for (int64_t now = T; now < T + 700; now += 7) {
		if (now == T + 301) /* some arrive, expired and not */
			for (int k = 0; k < 5; k++, id++)
				add_cert(f->db, id, T - 86400, T + 100 * k, 0);
		if (now == T + 504) /* the clock goes back a minute */
			now -= 60;
		assert_int_equal(wr_counts_get(f->db, now, &c), 0);
		assert_int_equal(c.expired, expired_now(f->db, now));
		assert_int_equal(c.pending, c.affected - c.expired);
	}
}

static void test_audit_chain(void **state)
{
	struct fx *f = *state;
	struct wr_audit_result r;
	int64_t n, bad;

	assert_int_equal(wr_task_done(f->db, 1, "scope assessed"), 0);
	assert_int_equal(wr_task_assign(f->db, 2, "alice"), 0);
	assert_int_equal(wr_audit_verify(f->db, NULL, &r), 0);
	n = r.count, bad = r.bad_id;
	assert_int_equal(n, 3);
	/* Change one byte of event 2's details: 2 is named, 1 still holds. */
	assert_int_equal(wr_exec(f->db, "UPDATE event SET details ="
					" replace(details, 'scope', 'scopf') WHERE id = 2"), 0);
	assert_int_equal(wr_audit_verify(f->db, NULL, &r), WR_ECORRUPT);
	n = r.count, bad = r.bad_id;
	assert_int_equal(bad, 2);
	assert_int_equal(n, 1);
	assert_non_null(strstr(wr_db_errmsg(f->db), "event 2"));
	/* Put it back: the chain holds again. */
	assert_int_equal(wr_exec(f->db, "UPDATE event SET details ="
					" replace(details, 'scopf', 'scope') WHERE id = 2"), 0);
	assert_int_equal(wr_audit_verify(f->db, NULL, &r), 0);
	n = r.count, bad = r.bad_id;
	/* Another actor on the last event. */
	assert_int_equal(wr_exec(f->db, "UPDATE event SET actor = 'mallory' WHERE id = 3"), 0);
	assert_int_equal(wr_audit_verify(f->db, NULL, &r), WR_ECORRUPT);
	n = r.count, bad = r.bad_id;
	assert_int_equal(bad, 3);
	assert_int_equal(wr_exec(f->db, "UPDATE event SET actor = 'tester' WHERE id = 3"), 0);
	/* Deleting a link breaks the next one. */
	assert_int_equal(wr_exec(f->db, "DELETE FROM event WHERE id = 2"), 0);
	assert_int_equal(wr_audit_verify(f->db, NULL, &r), WR_ECORRUPT);
	n = r.count, bad = r.bad_id;
	assert_int_equal(bad, 3);
}

static void test_declare(void **state)
{
	struct fx *f = *state;
	struct wr_mre_criterion c[WR_MRE_CRITERIA];
	struct wr_status s;
	const int64_t disc = 1795586400;

	setenv("WARROOM_NOW", "2026-11-25T08:00:00Z", 1);
	for (int i = 0; i < 120; i++)
		add_cert(f->db, 100 + i, disc - 10 * 86400, disc + 80 * 86400, 0);
	assert_int_equal(wr_incident_declare(f->db, "nonsense", disc, 0, NULL, c), WR_EINVAL);
	assert_int_equal(wr_incident_declare(f->db, "key-compromise", disc + 86400, 0, NULL, c),
			 WR_EINVAL); /* discovered in the future */
	assert_int_equal(wr_incident_declare(f->db, "key-compromise", disc, WR_MRE_BURDEN, "x", c),
			 0);
	assert_int_equal(wr_status_get(f->db, &s), 0);
	assert_string_equal(s.state, "declared");
	assert_string_equal(s.reason, "key-compromise");
	assert_int_equal(s.deadline, disc + 86400);
	assert_int_equal(s.crl_reason, 1);
	assert_int_equal(s.now - s.deadline, 2 * 3600 - 86400);
	int met = 0;
	for (int i = 0; i < WR_MRE_CRITERIA; i++)
		met += c[i].met;
	assert_int_equal(met, 4); /* absolute 120, share 12%, deadline, burden */
	/* The plan's relative due times are real times now. */
	int64_t due = 0;
	assert_int_equal(wr_query_int(f->db, "SELECT due FROM task WHERE id = 1", &due), 0);
	assert_int_equal(due, disc + 3600);
	assert_int_equal(wr_query_int(f->db, "SELECT due FROM task WHERE title LIKE"
					     " 'Authorize the mass revocation'", &due), 0);
	assert_int_equal(due, disc + 86400 - 4 * 3600);
	assert_int_equal(wr_incident_declare(f->db, "misissued", disc, 0, NULL, c), WR_ESTATE);
	unsetenv("WARROOM_NOW");
}

static int count_cb(const struct wr_task *t, void *arg)
{
	(void)t;
	(*(int *)arg)++;
	return 0;
}

static void test_tasks_and_permissions(void **state)
{
	struct fx *f = *state;
	struct wr_config *cfg;
	char err[256], conf[128];
	FILE *fp;

	snprintf(conf, sizeof conf, "%s/warroom.conf", f->dir);
	fp = fopen(conf, "w");
	fputs("[mre]\nabsolute = 50\n[users]\nalice = management\nbob = revocation, replacement\n",
	      fp);
	fclose(fp);
	assert_int_equal(wr_config_load(conf, &cfg, err, sizeof err), 0);
	wr_db_set_config(f->db, cfg);

	/* Task 1 belongs to Management. */
	wr_db_set_actor(f->db, "bob");
	assert_int_equal(wr_task_done(f->db, 1, NULL), WR_EPERM);
	assert_non_null(strstr(wr_db_errmsg(f->db), "management"));
	wr_db_set_actor(f->db, "carol");
	assert_int_equal(wr_task_done(f->db, 1, NULL), WR_EPERM);
	assert_non_null(strstr(wr_db_errmsg(f->db), "not listed"));
	/* bob may add and tick revocation's own tasks. */
	int64_t id = 0;
	wr_db_set_actor(f->db, "bob");
	assert_int_equal(wr_task_add(f->db, "revocation", 3, 0, "Check shard sizes", &id), 0);
	assert_int_equal(wr_task_done(f->db, id, "fine"), 0);
	assert_int_equal(wr_task_done(f->db, id, NULL), WR_ESTATE);
	assert_int_equal(wr_task_add(f->db, "nosuchteam", 3, 0, "x", NULL), WR_ENOENT);
	/* Management acts for everyone. */
	wr_db_set_actor(f->db, "alice");
	assert_int_equal(wr_task_reopen(f->db, id), 0);
	assert_int_equal(wr_task_done(f->db, 1, NULL), 0);
	assert_int_equal(wr_task_done(f->db, 99999, NULL), WR_ENOENT);

	struct wr_task_filter flt = {.team = "revocation", .max_phase = -1, .undone_only = true};
	int n = 0;
	assert_int_equal(wr_task_foreach(f->db, &flt, count_cb, &n), 0);
	assert_int_equal(n, 6); /* the plan's 5 and the new one, reopened */
	flt.match = "SHARD";
	n = 0;
	assert_int_equal(wr_task_foreach(f->db, &flt, count_cb, &n), 0);
	assert_int_equal(n, 1);

	struct wr_team *teams;
	size_t nt;
	assert_int_equal(wr_team_list(f->db, &teams, &nt), 0);
	assert_int_equal(nt, 6);
	assert_string_equal(teams[0].id, "management");
	assert_int_equal(teams[0].tasks_done, 1);
	free(teams);
	wr_db_set_config(f->db, NULL);
	wr_config_free(cfg);
	unlink(conf);
}

/* The newest event's action and details. */
struct last_event {
	char action[32];
	char details[256];
	char actor[32];
};

static int last_cb(const struct wr_event *e, void *arg)
{
	struct last_event *l = arg;
	snprintf(l->action, sizeof l->action, "%s", e->action);
	snprintf(l->details, sizeof l->details, "%s", e->details);
	snprintf(l->actor, sizeof l->actor, "%s", e->actor);
	return 0;
}

static void test_close_and_reopen(void **state)
{
	struct fx *f = *state;
	struct wr_config *cfg;
	struct wr_status s;
	struct last_event l;
	struct wr_mre_criterion crit[WR_MRE_CRITERIA];
	char err[256], conf[128];
	FILE *fp;

	snprintf(conf, sizeof conf, "%s/warroom.conf", f->dir);
	fp = fopen(conf, "w");
	fputs("[users]\nalice = management\nbob = revocation\n", fp);
	fclose(fp);
	assert_int_equal(wr_config_load(conf, &cfg, err, sizeof err), 0);
	wr_db_set_config(f->db, cfg);
	wr_db_set_actor(f->db, "alice");

	/* Only a closed incident reopens. */
	assert_int_equal(wr_incident_reopen(f->db, "why"), WR_ESTATE);
	assert_non_null(strstr(wr_db_errmsg(f->db), "not closed"));
	setenv("WARROOM_NOW", "2026-11-25T08:00:00Z", 1);
	assert_int_equal(wr_incident_declare(f->db, "misuse", 1795586400, 0, NULL, crit), 0);
	assert_int_equal(wr_incident_close(f->db, "done"), 0);
	assert_int_equal(wr_status_get(f->db, &s), 0);
	assert_string_equal(s.state, WR_STATE_CLOSED);
	assert_true(s.closed != 0);

	/* A reason is required; bob is not Management. */
	assert_int_equal(wr_incident_reopen(f->db, NULL), WR_EINVAL);
	assert_int_equal(wr_incident_reopen(f->db, ""), WR_EINVAL);
	wr_db_set_actor(f->db, "bob");
	assert_int_equal(wr_incident_reopen(f->db, "mine"), WR_EPERM);
	assert_non_null(strstr(wr_db_errmsg(f->db), "management"));
	assert_int_equal(wr_status_get(f->db, &s), 0);
	assert_string_equal(s.state, WR_STATE_CLOSED);

	/* Management reopens: declared again, closed cleared, on record. */
	wr_db_set_actor(f->db, "alice");
	assert_int_equal(wr_incident_reopen(f->db, "20 more certificates found"), 0);
	assert_int_equal(wr_status_get(f->db, &s), 0);
	assert_string_equal(s.state, WR_STATE_DECLARED);
	assert_int_equal(s.closed, 0);
	assert_int_equal(wr_event_foreach(f->db, 1, true, NULL, last_cb, &l), 0);
	assert_string_equal(l.action, "incident-reopen");
	assert_string_equal(l.actor, "alice");
	assert_non_null(strstr(l.details, "\"note\":\"20 more certificates found\""));
	assert_non_null(strstr(l.details, "\"state\":\"declared\""));
	assert_non_null(strstr(l.details, "\"closed_at\":"));
	/* Writes work again, and it closes again. */
	assert_int_equal(wr_incident_set_phase(f->db, 3), 0);
	assert_int_equal(wr_incident_close(f->db, NULL), 0);
	assert_int_equal(wr_incident_reopen(f->db, "again"), 0);
	assert_int_equal(wr_incident_reopen(f->db, "twice"), WR_ESTATE);

	wr_db_set_config(f->db, NULL);
	wr_config_free(cfg);
	unlink(conf);
}

static void test_not_warroom(void **state)
{
	struct fx *f = *state;
	struct wr_db *db;
	char p[128];
	sqlite3 *sq;

	snprintf(p, sizeof p, "%s/other.db", f->dir);
	assert_int_equal(sqlite3_open(p, &sq), SQLITE_OK);
	sqlite3_exec(sq, "CREATE TABLE t(x)", NULL, NULL, NULL);
	sqlite3_close(sq);
	assert_int_equal(wr_db_open(p, 0, &db), WR_ENOTWR);
	wr_db_close(db);
	unlink(p);
	/* Creating over an existing file is refused. */
	assert_int_equal(wr_db_open(f->path, WR_OPEN_CREATE, &db), WR_EEXIST);
	wr_db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_expired_carried_forward, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counts_around_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_declare, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tasks_and_permissions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_warroom, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
