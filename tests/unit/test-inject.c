/* Unit tests for core/inject.c: injects fire when due and once only, on
 * one handle or two; their effects (more certificates, a fault for a
 * while, a reclassified reason moving the deadline and the tasks due from
 * it, a delay request as Management's task, a key participant
 * unavailable (announced, nothing else changed), bad parameters not stopping
 * the schedule); expectations scored met, late and missed from the
 * database and by hand, an automatic score never overriding a hand one;
 * who may see and do what; observations. The exercise's clock runs at x1
 * from its start, so its simulated now is WARROOM_NOW. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#define T0 1795593600 /* 2026-11-25T08:00:00Z */

struct fx {
	char dir[64];
	char path[96];
	struct wr_db *db;
	struct wr_config *cfg;
};

static void at(int64_t offset)
{
	char b[WR_TIME_BUFSZ];
	setenv("WARROOM_NOW", wr_time_format(T0 + offset, b), 1);
}

static void exec_ok(struct wr_db *db, const char *sql)
{
	assert_int_equal(wr_exec(db, sql), 0);
}

static int64_t count(struct wr_db *db, const char *sql)
{
	int64_t n = -1;
	assert_int_equal(wr_query_int(db, sql, &n), 0);
	return n;
}

static int collect_cb(const struct wr_inject *in, void *arg);

static int setup_cfg(void **state, const char *conf)
{
	struct fx *f = calloc(1, sizeof *f);
	char err[256];

	if (conf)
		assert_int_equal(wr_config_parse_text(conf, "test.conf", &f->cfg, err, sizeof err),
				 0);
	/* Management sets the incident up; the facilitator runs the tests. */
	unit_db_create(f->dir, f->path, &f->db, "2026-11-25T08:00:00Z", "Injects", f->cfg, "alice");
	for (int i = 0; i < 3; i++) {
		char s[16];
		snprintf(s, sizeof s, "0%d", i + 1);
		unit_add_cert(f->db, s, i ? "Fabrikam" : "Contoso", T0);
	}
	exec_ok(f->db, "INSERT INTO customer(name, critical, created, updated) VALUES"
		       " ('Contoso', 1, 0, 0), ('Fabrikam', 0, 0, 0)");
	struct wr_mre_criterion crit[WR_MRE_CRITERIA];
	assert_int_equal(wr_incident_declare(f->db, "weak-key", T0 - 7200, 0, NULL, crit), 0);
	exec_ok(f->db, "INSERT INTO exercise(one, scenario, title, scenario_sha256, sim_start,"
		       " real_start, sim_base, real_base_ms, speed, paused) VALUES (1, 't', 'T',"
		       " '00', 1795593600, 1795593600, 1795593600, 1795593600000, 1, 0)");
	wr_db_set_actor(f->db, "fran");
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_cfg(state, NULL);
}

static int setup_users(void **state)
{
	return setup_cfg(state, "[users]\nfran = facilitator\nalice = management\n");
}

static int teardown(void **state)
{
	struct fx *f = *state;
	unit_db_remove(f->dir, f->db);
	wr_config_free(f->cfg);
	free(f);
	return 0;
}

static void add_inject(struct wr_db *db, const char *id, int64_t off, const char *team,
		       const char *effect, const char *params)
{
	sqlite3_stmt *st;
	assert_int_equal(wr_prepare(db,
				    "INSERT INTO inject(id, at_offset, team, message, effect,"
				    " params) VALUES (?, ?, ?, 'message of ' || ?1, ?, ?)",
				    &st),
			 0);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, off);
	if (team)
		sqlite3_bind_text(st, 3, team, -1, SQLITE_STATIC);
	if (effect)
		sqlite3_bind_text(st, 4, effect, -1, SQLITE_STATIC);
	if (params)
		sqlite3_bind_text(st, 5, params, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

static void add_expect(struct wr_db *db, int id, const char *inject, const char *kind,
		       const char *params, int64_t within)
{
	sqlite3_stmt *st;
	assert_int_equal(wr_prepare(db,
				    "INSERT INTO expectation(id, inject_id, kind, params,"
				    " within, description) VALUES (?, ?, ?, ?, ?, 'd')",
				    &st),
			 0);
	sqlite3_bind_int(st, 1, id);
	sqlite3_bind_text(st, 2, inject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	if (params)
		sqlite3_bind_text(st, 4, params, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, within);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

static void score_is(struct wr_db *db, int id, const char *want, int64_t late_by)
{
	sqlite3_stmt *st;
	assert_int_equal(wr_prepare(db, "SELECT score, late_by FROM expectation WHERE id = ?", &st),
			 0);
	sqlite3_bind_int(st, 1, id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	if (want)
		assert_string_equal(wr_col_text(st, 0) ? wr_col_text(st, 0) : "(null)", want);
	else
		assert_null(wr_col_text(st, 0));
	assert_int_equal(wr_col_i64(st, 1), late_by);
	sqlite3_finalize(st);
}

static void test_fires_when_due_once(void **state)
{
	struct fx *f = *state;
	int n = -1;

	add_inject(f->db, "a", 3600, "revocation", NULL, NULL);
	add_inject(f->db, "b", 7200, NULL, NULL, NULL);
	at(1800);
	assert_int_equal(wr_inject_fire_due(f->db, &n), 0);
	assert_int_equal(n, 0);
	at(3600);
	assert_int_equal(wr_inject_fire_due(f->db, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(wr_inject_fire_due(f->db, &n), 0);
	assert_int_equal(n, 0);
	/* Another connection finds nothing left to fire. */
	struct wr_db *other;
	at(9000);
	assert_int_equal(wr_db_open(f->path, 0, &other), 0);
	wr_db_set_actor(other, "bob");
	assert_int_equal(wr_inject_fire_due(other, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(wr_inject_fire_due(f->db, &n), 0);
	assert_int_equal(n, 0);
	wr_db_close(other);
	assert_int_equal(count(f->db, "SELECT count(*) FROM event WHERE action = 'inject-fire'"),
			 2);
	assert_int_equal(count(f->db, "SELECT count(*) FROM event WHERE action = 'inject-fire'"
				      " AND actor = 'exercise'"),
			 2);
	/* Fired at the instant noticed, by the schedule. */
	assert_int_equal(count(f->db, "SELECT fired_at FROM inject WHERE id = 'b'"), T0 + 9000);
	struct wr_audit_result r;
	assert_int_equal(wr_audit_verify(f->db, NULL, &r), 0);
}

static void test_not_an_exercise(void **state)
{
	struct fx *f = *state;
	int n = -1;

	add_inject(f->db, "a", 0, NULL, NULL, NULL);
	exec_ok(f->db, "UPDATE exercise SET ended_at = 1795593600");
	at(60);
	assert_int_equal(wr_inject_fire_due(f->db, &n), 0);
	assert_int_equal(n, 0); /* ended: nothing fires any more */
	assert_int_equal(wr_inject_fire(f->db, "a"), WR_ESTATE);
	assert_int_equal(wr_inject_adhoc(f->db, NULL, "late news", NULL, 0), WR_ESTATE);
	exec_ok(f->db, "DELETE FROM exercise");
	assert_int_equal(wr_inject_fire_due(f->db, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(wr_inject_fire(f->db, "a"), WR_ESTATE);
}

static void test_more_certs(void **state)
{
	struct fx *f = *state;
	struct wr_counts c;

	add_inject(f->db, "m", 60, NULL, "more-certs", "{\"count\": 25}");
	add_inject(f->db, "bad", 60, NULL, "more-certs", "{\"count\": -3}");
	add_inject(f->db, "odd", 60, NULL, "dance", NULL);
	at(120);
	assert_int_equal(wr_inject_fire_due(f->db, NULL), 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM cert"), 28);
	assert_int_equal(count(f->db, "SELECT count(*) FROM cert WHERE synthetic = 1"), 25);
	/* Spread over the customers: Contoso, Fabrikam in turn. */
	assert_int_equal(count(f->db, "SELECT count(*) FROM cert WHERE synthetic = 1 AND"
				      " customer = 'Contoso'"),
			 13);
	assert_int_equal(wr_counts_get(f->db, T0 + 120, &c), 0);
	assert_int_equal(c.affected, 28);
	/* Bad parameters and an unknown effect: fired, said, not applied. */
	assert_int_equal(count(f->db, "SELECT count(*) FROM inject WHERE fired_at IS NOT NULL"), 3);
	assert_int_equal(count(f->db,
			       "SELECT count(*) FROM event WHERE action = 'inject-fire' AND"
			       " json_extract(details, '$.summary') LIKE 'effect not applied%'"),
			 2);
}

static void test_faults(void **state)
{
	struct fx *f = *state;
	int64_t until = 0;

	add_inject(f->db, "s", 600, NULL, "smtp-down", "{\"for\": \"30m\"}");
	add_inject(f->db, "b", 600, NULL, "backend-down", "{\"for\": 3600}");
	add_inject(f->db, "o", 600, NULL, "ocsp-lag", "{\"for\": \"1h\", \"seconds\": 900}");
	assert_int_equal(wr_fault_active(f->db, "smtp", T0 + 700, NULL), 0);
	at(600);
	assert_int_equal(wr_inject_fire_due(f->db, NULL), 0);
	assert_int_equal(wr_fault_active(f->db, "smtp", T0 + 700, &until), 1);
	assert_int_equal(until, T0 + 600 + 1800);
	assert_int_equal(wr_fault_active(f->db, "smtp", T0 + 2400, NULL), 0);
	assert_int_equal(wr_fault_active(f->db, "backend", T0 + 4000, &until), 1);
	assert_int_equal(until, T0 + 4200);
	assert_int_equal(wr_fault_active(f->db, "backend", T0 + 4200, NULL), 0);
	assert_int_equal(wr_fault_active(f->db, "ocsp-lag", T0 + 4000, NULL), 1);
	assert_int_equal(count(f->db, "SELECT json_extract(params, '$.seconds') FROM fault WHERE"
				      " kind = 'ocsp-lag'"),
			 900);
}

/* unavailable: a key participant cannot be reached. The core announces it
 * (the event names who and for how long, in the addressed team's banner)
 * and changes nothing else: no fault, no task, no reason or deadline. */
static void test_unavailable(void **state)
{
	struct fx *f = *state;
	struct wr_status before, after;
	char sentence[512];

	assert_int_equal(wr_status_get(f->db, &before), 0);
	int64_t tasks = count(f->db, "SELECT count(*) FROM task");
	int64_t certs = count(f->db, "SELECT count(*) FROM cert");
	add_inject(f->db, "u", 600, "management", "unavailable",
		   "{\"who\": \"the CISO\", \"for\": \"4h\"}");
	add_inject(f->db, "nobody", 300, NULL, "unavailable", NULL);
	int n = -1;
	at(300);
	assert_int_equal(wr_inject_fire_due(f->db, &n), 0);
	assert_int_equal(n, 1);
	at(600);
	assert_int_equal(wr_inject_fire_due(f->db, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count(f->db, "SELECT count(*) FROM event WHERE action = 'inject-fire'"
				      " AND json_extract(details, '$.inject') = 'u'"
				      " AND json_extract(details, '$.effect') = 'unavailable'"
				      " AND json_extract(details, '$.who') = 'the CISO'"
				      " AND json_extract(details, '$.team') = 'management'"
				      " AND json_extract(details, '$.summary') ="
				      " 'the CISO is unavailable for 04:00:00'"),
			 1);
	/* Without a name or a time (a hand-made row), still said plainly. */
	assert_int_equal(count(f->db, "SELECT count(*) FROM event WHERE action = 'inject-fire'"
				      " AND json_extract(details, '$.inject') = 'nobody'"
				      " AND json_extract(details, '$.summary') ="
				      " 'a key participant is unavailable'"),
			 1);
	/* Nothing else moves. */
	assert_int_equal(count(f->db, "SELECT count(*) FROM fault"), 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM task"), tasks);
	assert_int_equal(count(f->db, "SELECT count(*) FROM cert"), certs);
	assert_int_equal(wr_status_get(f->db, &after), 0);
	assert_string_equal(after.reason, before.reason);
	assert_int_equal(after.deadline, before.deadline);
	/* The timeline's words, and the team's banner. */
	struct wr_event e = {.actor = "exercise", .action = "inject-fire"};
	sqlite3_stmt *st;
	assert_int_equal(wr_prepare(f->db,
				    "SELECT details FROM event WHERE action = 'inject-fire' AND"
				    " json_extract(details, '$.inject') = 'u'",
				    &st),
			 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	e.details = wr_col_text(st, 0);
	assert_true(wr_event_sentence(f->db, &e, sentence, sizeof sentence) > 0);
	sqlite3_finalize(st);
	assert_string_equal(sentence, "exercise fired inject \"u\" to Management: \"message of u\""
				      " (the CISO is unavailable for 04:00:00)");
	char got[64] = "";
	assert_int_equal(wr_inject_for_team(f->db, "management", 0, 5, collect_cb, got), 0);
	assert_string_equal(got, "u+ nobody+ "); /* newest first */
}

static void test_reclassify_and_delay_request(void **state)
{
	struct fx *f = *state;
	struct wr_status st;

	assert_int_equal(wr_status_get(f->db, &st), 0);
	assert_int_equal(st.deadline, T0 - 7200 + 5 * 86400);
	int64_t due_before =
	    count(f->db, "SELECT min(due) FROM task WHERE due_anchor = 'deadline'");
	add_inject(f->db, "r", 60, NULL, "reclassify", "{\"reason\": \"key-compromise\"}");
	add_inject(f->db, "d", 60, "management", "delay-request",
		   "{\"customer\": \"Contoso\", \"rationale\": \"a hospital\", \"until\": \"2d\"}");
	at(60);
	assert_int_equal(wr_inject_fire_due(f->db, NULL), 0);
	assert_int_equal(wr_status_get(f->db, &st), 0);
	assert_string_equal(st.reason, "key-compromise");
	assert_int_equal(st.deadline, T0 - 7200 + 86400);
	assert_int_equal(count(f->db, "SELECT min(due) FROM task WHERE due_anchor = 'deadline'"),
			 due_before - 4 * 86400);
	assert_int_equal(count(f->db,
			       "SELECT count(*) FROM task WHERE team = 'management' AND"
			       " title LIKE 'Decide on Contoso''s request to delay revocation"
			       " until 2026-11-27T08:01:00Z: a hospital'"),
			 1);
}

static void test_expectations_auto(void **state)
{
	struct fx *f = *state;

	add_inject(f->db, "x", 3600, NULL, NULL, NULL);
	add_expect(f->db, 1, "x", "task-done", "{\"task\": 1}", 3600); /* done in time */
	add_expect(f->db, 2, "x", "task-done", "{\"task\": 2}", 3600); /* done late */
	add_expect(f->db, 3, "x", "critical-notified", NULL, 3600);    /* never */
	add_expect(f->db, 4, "x", "delay-decision", NULL, 7200);       /* a delay */
	add_expect(f->db, 5, "x", "manual", NULL, 60);                 /* by hand only */
	at(3600);
	assert_int_equal(wr_inject_fire_due(f->db, NULL), 0);
	at(4000);
	assert_int_equal(wr_task_done(f->db, 1, NULL), 0);
	assert_int_equal(wr_delay(f->db, "Fabrikam", NULL, T0 + 86400, "their reason", NULL, NULL,
				  &(int64_t){0}),
			 0);
	int n = -1;
	assert_int_equal(wr_expect_auto(f->db, &n), 0);
	assert_int_equal(n, 2);
	score_is(f->db, 1, "met", 0);
	score_is(f->db, 4, "met", 0);
	score_is(f->db, 2, NULL, 0);
	at(3600 + 3600 + 600); /* ten minutes past task 2's window */
	assert_int_equal(wr_task_done(f->db, 2, NULL), 0);
	assert_int_equal(wr_expect_auto(f->db, &n), 0);
	score_is(f->db, 2, "late", 600);
	score_is(f->db, 3, NULL, 0); /* in its grace still */
	at(3600 + 3600 + 3601);
	assert_int_equal(wr_expect_auto(f->db, &n), 0);
	score_is(f->db, 3, "missed", 0);
	score_is(f->db, 5, NULL, 0); /* manual: never automatic */
	/* The facilitator overrides; the schedule never overrides a hand. */
	assert_int_equal(wr_expect_score(f->db, 3, "late", 1200, "called them"), 0);
	assert_int_equal(wr_expect_auto(f->db, &n), 0);
	score_is(f->db, 3, "late", 1200);
	assert_int_equal(wr_expect_score(f->db, 1, "missed", 999, NULL), 0);
	score_is(f->db, 1, "missed", 0); /* late_by is for late only */
	assert_int_equal(wr_expect_score(f->db, 99, "met", 0, NULL), WR_ENOENT);
	assert_int_equal(wr_expect_score(f->db, 1, "great", 0, NULL), WR_EINVAL);
	assert_int_equal(count(f->db, "SELECT count(*) FROM event WHERE action = 'expect-score'"
				      " AND actor = 'exercise'"),
			 4);
}

static void test_critical_notified(void **state)
{
	struct fx *f = *state;

	add_inject(f->db, "x", 0, NULL, NULL, NULL);
	add_expect(f->db, 1, "x", "critical-notified", NULL, 3600);
	at(10);
	assert_int_equal(wr_inject_fire_due(f->db, NULL), 0);
	score_is(f->db, 1, NULL, 0);
	/* Contoso, the critical one, has its notice sent at +20 min. */
	exec_ok(f->db,
		"INSERT INTO message(customer, template, contact, state, message_id, created,"
		" sent_at) VALUES ('Contoso', 'first-notice', 'a@b.example', 'sent', '<1@x>',"
		" 1795594800, 1795594800)");
	assert_int_equal(wr_expect_auto(f->db, NULL), 0);
	score_is(f->db, 1, "met", 0);
}

static void add_event(struct wr_db *db, const char *action, const char *details)
{
	assert_int_equal(wr_tx_begin(db), 0);
	assert_int_equal(wr_event_add(db, action, details), 0);
	assert_int_equal(wr_tx_commit(db), 0);
}

static void test_preliminary_report(void **state)
{
	struct fx *f = *state;

	add_inject(f->db, "x", 0, NULL, NULL, NULL);
	add_expect(f->db, 1, "x", "preliminary-report", NULL, 3600);
	at(10);
	assert_int_equal(wr_inject_fire_due(f->db, NULL), 0);
	/* A failed post, and another kind of report, answer nothing. */
	at(600);
	add_event(f->db, "bugzilla-failed", "{\"kind\": \"preliminary\", \"state\": \"failed\"}");
	add_event(f->db, "report-posted", "{\"kind\": \"full\", \"bug\": 1}");
	assert_int_equal(wr_expect_auto(f->db, NULL), 0);
	score_is(f->db, 1, NULL, 0);
	at(4200);
	add_event(f->db, "bugzilla-bug", "{\"kind\": \"preliminary\", \"bug\": 7}");
	assert_int_equal(wr_expect_auto(f->db, NULL), 0);
	score_is(f->db, 1, "late", 4200 - 3610);
}

static int collect_cb(const struct wr_inject *in, void *arg)
{
	char *s = arg;
	strcat(s, in->id);
	strcat(s, in->fired_at ? "+ " : "- ");
	return 0;
}

static void test_who_sees_and_does(void **state)
{
	struct fx *f = *state;
	char got[256] = "", id[32];

	add_inject(f->db, "early", 60, "revocation", NULL, NULL);
	add_inject(f->db, "late", 99999, "management", NULL, NULL);
	at(120);
	wr_db_set_actor(f->db, "alice");
	assert_int_equal(wr_inject_fire_due(f->db, NULL), 0); /* anyone's process fires */
	assert_int_equal(wr_inject_foreach(f->db, false, collect_cb, got), 0);
	assert_string_equal(got, "early+ ");
	assert_int_equal(wr_inject_foreach(f->db, true, collect_cb, got), WR_EPERM);
	assert_false(wr_inject_facilitator(f->db));
	assert_int_equal(wr_inject_fire(f->db, "late"), WR_EPERM);
	assert_int_equal(wr_inject_adhoc(f->db, NULL, "hi", id, sizeof id), WR_EPERM);
	assert_int_equal(wr_expect_score(f->db, 1, "met", 0, NULL), WR_EPERM);
	int64_t oid = 0;
	assert_int_equal(wr_observation_add(f->db, "noted", &oid), 0);
	assert_true(oid > 0);

	wr_db_set_actor(f->db, "fran");
	assert_true(wr_inject_facilitator(f->db));
	got[0] = '\0';
	assert_int_equal(wr_inject_foreach(f->db, true, collect_cb, got), 0);
	assert_string_equal(got, "early+ late- ");
	assert_int_equal(wr_inject_fire(f->db, "late"), 0);
	assert_int_equal(wr_inject_fire(f->db, "late"), WR_EEXIST);
	assert_int_equal(wr_inject_fire(f->db, "nope"), WR_ENOENT);
	assert_int_equal(count(f->db, "SELECT count(*) FROM inject WHERE fired_by = 'fran'"), 1);
	assert_int_equal(wr_inject_adhoc(f->db, "revocation", "call back", id, sizeof id), 0);
	assert_string_equal(id, "adhoc-1");
	assert_int_equal(wr_inject_adhoc(f->db, NULL, "to all", id, sizeof id), 0);
	assert_string_equal(id, "adhoc-2");
	assert_int_equal(wr_inject_adhoc(f->db, "nobody", "x", id, sizeof id), WR_ENOENT);
	assert_int_equal(wr_inject_adhoc(f->db, NULL, "", id, sizeof id), WR_EINVAL);
	/* A team's banner: its injects and those to all, newest first. */
	got[0] = '\0';
	assert_int_equal(wr_inject_for_team(f->db, "revocation", 0, 5, collect_cb, got), 0);
	assert_string_equal(got, "adhoc-2+ adhoc-1+ early+ ");
	got[0] = '\0';
	assert_int_equal(wr_inject_for_team(f->db, "management", 0, 1, collect_cb, got), 0);
	assert_string_equal(got, "adhoc-2+ ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fires_when_due_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_an_exercise, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_more_certs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_faults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unavailable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reclassify_and_delay_request, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expectations_auto, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_critical_notified, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_preliminary_report, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_who_sees_and_does, setup_users, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
