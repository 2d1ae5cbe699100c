/* Unit tests for core/task.c: each team's health (overdue, due within the
 * hour, unassigned, blocked; done tasks and later phases left out), notes
 * that append with author and time, blocking and unblocking with their
 * events, a task's history (its events only), the owner filters, and the
 * plan's short team names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define NOW 1795593600 /* 2026-11-25T08:00:00Z */

struct fx {
	char dir[64];
	char path[96];
	struct wr_db *db;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	unit_db_create(f->dir, f->path, &f->db, "2026-11-25T08:00:00Z", "Tasks", NULL, "alice");
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

static int64_t q(struct wr_db *db, const char *sql)
{
	int64_t v = -1;
	assert_int_equal(wr_query_int(db, sql, &v), 0);
	return v;
}

static void set_due(struct wr_db *db, int64_t id, int64_t due)
{
	sqlite3_stmt *st;
	assert_int_equal(wr_prepare(db, "UPDATE task SET due = ? WHERE id = ?", &st), 0);
	wr_bind_time(st, 1, due);
	sqlite3_bind_int64(st, 2, id);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

static const struct wr_team *team(const struct wr_team *t, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].id, id) == 0)
			return &t[i];
	fail_msg("no team %s", id);
	return NULL;
}

/* Management holds tasks 1-10: 1-6 activation, 7 communication, 8
 * replacement, 9 revocation, 10 post-mortem (data/plan.ini). */
static void test_health(void **state)
{
	struct fx *f = *state;
	struct wr_db *db = f->db;
	struct wr_team *t;
	size_t n;

	assert_int_equal(q(db, "SELECT count(*) FROM task WHERE team = 'management'"), 10);
	assert_int_equal(wr_exec(db, "UPDATE task SET due = NULL"), 0);
	set_due(db, 1, NOW - 60);	     /* overdue */
	set_due(db, 2, NOW);		     /* due now: within the hour, not overdue */
	set_due(db, 3, NOW + WR_DUE_SOON);   /* an hour away: neither */
	set_due(db, 4, NOW - 3600);	     /* overdue, but done below */
	set_due(db, 9, NOW - 60);	     /* overdue, in phase 3 */
	assert_int_equal(wr_task_done(db, 4, NULL), 0);
	assert_int_equal(wr_task_assign(db, 5, "bob"), 0);
	assert_int_equal(wr_task_block(db, 6, "waiting on legal"), 0);
	assert_int_equal(wr_task_block(db, 4, "x"), WR_ESTATE); /* done: no block */

	assert_int_equal(wr_team_list(db, &t, &n), 0);
	assert_int_equal(n, 6);
	assert_int_equal(wr_team_health(db, NOW, -1, t, n), 0);
	const struct wr_team_health *h = &team(t, n, "management")->health;
	assert_int_equal(h->open, 9);
	assert_int_equal(h->overdue, 2);
	assert_int_equal(h->due_soon, 1);
	assert_int_equal(h->unassigned, 8);
	assert_int_equal(h->blocked, 1);
	/* Only what the pane shows in phase 0: tasks 1-6. */
	assert_int_equal(wr_team_health(db, NOW, 0, t, n), 0);
	assert_int_equal(h->open, 5);
	assert_int_equal(h->overdue, 1);
	assert_int_equal(h->due_soon, 1);
	assert_int_equal(h->unassigned, 4);
	assert_int_equal(h->blocked, 1);
	/* Other teams have nothing due: zeros, not last frame's numbers. */
	const struct wr_team_health *l = &team(t, n, "compliance-legal")->health;
	assert_int_equal(l->overdue + l->due_soon + l->blocked, 0);
	/* An hour later task 3 is overdue too; unblocking clears the count. */
	assert_int_equal(wr_task_unblock(db, 6), 0);
	assert_int_equal(wr_team_health(db, NOW + WR_DUE_SOON + 1, 0, t, n), 0);
	assert_int_equal(h->overdue, 3);
	assert_int_equal(h->due_soon, 0);
	assert_int_equal(h->blocked, 0);
	free(t);
}

struct notes {
	int n;
	char text[4][32], author[4][16];
	int64_t at[4];
};

static int note_cb(const struct wr_task_note *nt, void *arg)
{
	struct notes *o = arg;
	if (o->n < 4) {
		snprintf(o->text[o->n], sizeof o->text[0], "%s", nt->text);
		snprintf(o->author[o->n], sizeof o->author[0], "%s", nt->author);
		o->at[o->n] = nt->at;
	}
	o->n++;
	return 0;
}

struct hist {
	int n;
	char action[8][16];
};

static int hist_cb(const struct wr_event *e, void *arg)
{
	struct hist *o = arg;
	if (o->n < 8)
		snprintf(o->action[o->n], sizeof o->action[0], "%s", e->action);
	o->n++;
	return 0;
}

static int count_cb(const struct wr_task *t, void *arg)
{
	(void)t;
	++*(int *)arg;
	return 0;
}

static int note_of(const struct wr_task *t, void *arg)
{
	snprintf(arg, 32, "%s", t->note ? t->note : "(null)");
	return 0;
}

static void test_notes_append(void **state)
{
	struct fx *f = *state;
	struct wr_db *db = f->db;
	struct notes o = {0};
	char newest[32];

	assert_int_equal(wr_task_note(db, 10, "first"), 0);
	wr_db_set_actor(db, "bob");
	setenv("WARROOM_NOW", "2026-11-25T09:00:00Z", 1);
	assert_int_equal(wr_task_note(db, 10, "second"), 0);
	assert_int_equal(wr_task_done(db, 10, "done, third"), 0);
	assert_int_equal(wr_task_note(db, 10, ""), WR_EINVAL);
	assert_int_equal(wr_task_notes(db, 10, note_cb, &o), 0);
	assert_int_equal(o.n, 3);
	assert_string_equal(o.text[0], "first");
	assert_string_equal(o.author[0], "alice");
	assert_int_equal(o.at[0], NOW);
	assert_string_equal(o.text[1], "second");
	assert_string_equal(o.author[1], "bob");
	assert_int_equal(o.at[1], NOW + 3600);
	assert_string_equal(o.text[2], "done, third");
	/* task.note is the newest, for the filter and the list. */
	assert_int_equal(wr_task_get(db, 10, note_of, newest), 0);
	assert_string_equal(newest, "done, third");
	int found = 0;
	struct wr_task_filter flt = {.max_phase = -1, .match = "DONE, THIRD"};
	assert_int_equal(wr_task_foreach(db, &flt, count_cb, &found), 0);
	assert_int_equal(found, 1);
	/* A task without notes has none. */
	memset(&o, 0, sizeof o);
	assert_int_equal(wr_task_notes(db, 1, note_cb, &o), 0);
	assert_int_equal(o.n, 0);
}

static void test_block_and_history(void **state)
{
	struct fx *f = *state;
	struct wr_db *db = f->db;
	struct hist h = {0};
	int64_t at = 0;

	assert_int_equal(wr_task_block(db, 1, ""), WR_EINVAL);
	assert_int_equal(wr_task_block(db, 99999, "x"), WR_ENOENT);
	assert_int_equal(wr_task_unblock(db, 1), WR_ESTATE); /* not blocked */
	assert_int_equal(wr_task_block(db, 1, "waiting on legal"), 0);
	assert_int_equal(wr_task_block(db, 1, "waiting on the CA key ceremony"), 0);
	assert_int_equal(q(db, "SELECT blocked = 'waiting on the CA key ceremony'"
			       " AND blocked_by = 'alice' FROM task WHERE id = 1"), 1);
	assert_int_equal(wr_query_int(db, "SELECT blocked_at FROM task WHERE id = 1", &at), 0);
	assert_int_equal(at, NOW);
	/* The '/' filter finds a task by its block's reason. */
	int found = 0;
	struct wr_task_filter flt = {.max_phase = -1, .match = "key ceremony"};
	assert_int_equal(wr_task_foreach(db, &flt, count_cb, &found), 0);
	assert_int_equal(found, 1);
	assert_int_equal(wr_task_unblock(db, 1), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM task WHERE blocked IS NOT NULL"
			       " OR blocked_by IS NOT NULL OR blocked_at IS NOT NULL"), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM event WHERE action = 'task-block'"
			       " AND json_extract(details, '$.reason') = 'waiting on legal'"
			       " AND json_extract(details, '$.task') = 1"), 1);
	/* Task 10's events are not task 1's, whatever the digits. */
	assert_int_equal(wr_task_assign(db, 10, "carol"), 0);
	assert_int_equal(wr_task_history(db, 1, hist_cb, &h), 0);
	assert_int_equal(h.n, 3);
	assert_string_equal(h.action[0], "task-block");
	assert_string_equal(h.action[1], "task-block");
	assert_string_equal(h.action[2], "task-unblock");
	memset(&h, 0, sizeof h);
	assert_int_equal(wr_task_history(db, 10, hist_cb, &h), 0);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.action[0], "task-assign");
	/* Every change above is in the chain. */
	struct wr_audit_result r;
	assert_int_equal(wr_audit_verify(db, NULL, &r), 0);
}

static void test_owner_filters(void **state)
{
	struct fx *f = *state;
	struct wr_db *db = f->db;
	int n = 0;

	assert_int_equal(wr_task_assign(db, 2, "bob"), 0);
	assert_int_equal(wr_task_assign(db, 20, "bob"), 0);
	assert_int_equal(wr_task_assign(db, 3, "carol"), 0);
	struct wr_task_filter byowner = {.max_phase = -1, .owner = "bob"};
	assert_int_equal(wr_task_foreach(db, &byowner, count_cb, &n), 0);
	assert_int_equal(n, 2);
	n = 0;
	struct wr_task_filter none = {.max_phase = -1, .unassigned_only = true};
	assert_int_equal(wr_task_foreach(db, &none, count_cb, &n), 0);
	assert_int_equal(n, q(db, "SELECT count(*) FROM task") - 3);
	n = 0;
	none.team = "management";
	assert_int_equal(wr_task_foreach(db, &none, count_cb, &n), 0);
	assert_int_equal(n, 8);
}

static void test_short_names(void **state)
{
	struct fx *f = *state;
	struct wr_plan *plan;
	struct wr_team *t;
	size_t n;
	char err[256];

	/* wr_incident_init stores the default plan's short names. */
	assert_int_equal(wr_team_list(f->db, &t, &n), 0);
	assert_string_equal(team(t, n, "management")->short_name, "Mgmt");
	assert_string_equal(team(t, n, "compliance-legal")->short_name, "Legal");
	assert_string_equal(team(t, n, "compliance-legal")->name, "Compliance & Legal");
	free(t);

	/* A plan's short name: optional, not empty, at most 20 bytes. */
	const char *p = unit_path(f->dir, "p.ini");
	static const char ok[] = "[team a]\nname = Alpha team\n[team b]\nname = Beta\nshort = B\n";
	write_file(p, ok, sizeof ok - 1);
	assert_int_equal(wr_plan_load(p, &plan, err, sizeof err), 0);
	wr_plan_free(plan);
	static const char empty[] = "[team a]\nname = Alpha\nshort =\n";
	write_file(p, empty, sizeof empty - 1);
	assert_int_equal(wr_plan_load(p, &plan, err, sizeof err), WR_EINVAL);
	assert_non_null(strstr(err, "short"));
	static const char longer[] = "[team a]\nname = Alpha\nshort = 123456789012345678901\n";
	write_file(p, longer, sizeof longer - 1);
	assert_int_equal(wr_plan_load(p, &plan, err, sizeof err), WR_EINVAL);
	assert_non_null(strstr(err, ":3:"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_health, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notes_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_and_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_names, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
