/*
 * task.c: the plan's teams and their tasks: listing, ticking, reopening,
 * assigning, blocking, notes and new tasks; each team's health (what is
 * overdue, due soon, unassigned, blocked) and each task's notes and history.
 *
 * A lead acts for their own team's tasks, Management for anyone's (auth.c).
 * Each change records an event in the same transaction. Notes append to
 * task_note with author and time; task.note keeps the newest text, which
 * the '/' filter and list readers use without a join.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int wr_team_list(struct wr_db *db, struct wr_team **out, size_t *n)
{
	sqlite3_stmt *st;
	struct wr_team *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = wr_prepare(db, "SELECT t.id, t.name, count(k.id), count(k.done_at), t.short"
				 " FROM team t LEFT JOIN task k ON k.team = t.id"
				 " GROUP BY t.id ORDER BY t.position", &st)))
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			struct wr_team *nv = realloc(v, cap * sizeof *nv);
			if (!nv) {
				free(v);
				sqlite3_finalize(st);
				return wr_err(db, WR_ENOMEM, "out of memory");
			}
			v = nv;
		}
		struct wr_team *t = &v[cnt++];
		memset(t, 0, sizeof *t);
		snprintf(t->id, sizeof t->id, "%s", wr_col_text(st, 0));
		snprintf(t->name, sizeof t->name, "%s", wr_col_text(st, 1));
		t->tasks_total = sqlite3_column_int(st, 2);
		t->tasks_done = sqlite3_column_int(st, 3);
		if (sqlite3_column_type(st, 4) == SQLITE_TEXT)
			snprintf(t->short_name, sizeof t->short_name, "%s", wr_col_text(st, 4));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return wr_err_sq(db, "listing teams");
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* One scan of the open tasks, grouped by team: 500 tasks cost well under a
 * millisecond, so every frame may ask. */
int wr_team_health(struct wr_db *db, int64_t now, int max_phase, struct wr_team *teams, size_t n)
{
	sqlite3_stmt *st;
	int rc;

	for (size_t i = 0; i < n; i++)
		memset(&teams[i].health, 0, sizeof teams[i].health);
	if ((rc = wr_prepare(db, "SELECT team, count(*), sum(due < ?1),"
				 " sum(due >= ?1 AND due < ?1 + ?2), sum(owner IS NULL),"
				 " sum(blocked IS NOT NULL)"
				 " FROM task WHERE done_at IS NULL AND (?3 < 0 OR phase <= ?3)"
				 " GROUP BY team", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, WR_DUE_SOON);
	sqlite3_bind_int(st, 3, max_phase);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = wr_col_text(st, 0);
		for (size_t i = 0; i < n; i++) {
			if (strcmp(teams[i].id, id) != 0)
				continue;
			struct wr_team_health *h = &teams[i].health;
			h->open = sqlite3_column_int(st, 1);
			h->overdue = sqlite3_column_int(st, 2);
			h->due_soon = sqlite3_column_int(st, 3);
			h->unassigned = sqlite3_column_int(st, 4);
			h->blocked = sqlite3_column_int(st, 5);
			break;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : wr_err_sq(db, "counting the teams' tasks");
	sqlite3_finalize(st);
	return rc;
}

#define TASK_COLS                                                                              \
	"k.id, k.team, k.phase, k.title, k.owner, k.due, k.done_by, k.done_at, k.note,"         \
	" k.blocked, k.blocked_by, k.blocked_at"

static int run_tasks(struct wr_db *db, sqlite3_stmt *st, wr_task_cb cb, void *ctx)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct wr_task t = {
			.id = sqlite3_column_int64(st, 0),
			.team = wr_col_text(st, 1),
			.phase = sqlite3_column_int(st, 2),
			.title = wr_col_text(st, 3),
			.owner = wr_col_text(st, 4),
			.due = wr_col_i64(st, 5),
			.done_by = wr_col_text(st, 6),
			.done_at = wr_col_i64(st, 7),
			.note = wr_col_text(st, 8),
			.blocked = wr_col_text(st, 9),
			.blocked_by = wr_col_text(st, 10),
			.blocked_at = wr_col_i64(st, 11),
		};
		if ((rc = cb(&t, ctx))) {
			sqlite3_finalize(st);
			return rc;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : wr_err_sq(db, "reading tasks");
	sqlite3_finalize(st);
	return rc;
}

int wr_task_foreach(struct wr_db *db, const struct wr_task_filter *f, wr_task_cb cb, void *ctx)
{
	static const struct wr_task_filter all = {.max_phase = -1};
	sqlite3_stmt *st;
	int rc;

	if (!f)
		f = &all;
	if ((rc = wr_prepare(db, "SELECT " TASK_COLS " FROM task k JOIN team t ON t.id = k.team"
				 " WHERE (?1 IS NULL OR k.team = ?1)"
				 " AND (?2 < 0 OR k.phase <= ?2)"
				 " AND (?3 = 0 OR k.done_at IS NULL)"
				 " AND (?4 IS NULL OR instr(lower(k.title || ' ' ||"
				 "  coalesce(k.owner, '') || ' ' || coalesce(k.note, '') || ' ' ||"
				 "  coalesce(k.blocked, '')), lower(?4)) > 0)"
				 " AND (?5 IS NULL OR k.owner = ?5)"
				 " AND (?6 = 0 OR k.owner IS NULL)"
				 " ORDER BY t.position, k.phase, k.id", &st)))
		return rc;
	if (f->team)
		sqlite3_bind_text(st, 1, f->team, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, f->max_phase);
	sqlite3_bind_int(st, 3, f->undone_only);
	if (f->match && *f->match)
		sqlite3_bind_text(st, 4, f->match, -1, SQLITE_STATIC);
	if (f->owner)
		sqlite3_bind_text(st, 5, f->owner, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, f->unassigned_only);
	return run_tasks(db, st, cb, ctx);
}

int wr_task_get(struct wr_db *db, int64_t id, wr_task_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc, found = 0;

	if ((rc = wr_prepare(db, "SELECT " TASK_COLS " FROM task k WHERE k.id = ?", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		found = 1;
	sqlite3_reset(st);
	if (!found) {
		sqlite3_finalize(st);
		return wr_err(db, WR_ENOENT, "no task %lld", (long long)id);
	}
	return run_tasks(db, st, cb, ctx);
}

/* Loads the task's team, done and blocked state, and checks the actor may
 * act. */
static int task_check(struct wr_db *db, int64_t id, bool *done, bool *blocked)
{
	sqlite3_stmt *st;
	char team[64];
	int rc;

	if ((rc = wr_prepare(db, "SELECT team, done_at IS NOT NULL, blocked IS NOT NULL"
				 " FROM task WHERE id = ?", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return wr_err(db, WR_ENOENT, "no task %lld (see 'warroom task list')", (long long)id);
	}
	snprintf(team, sizeof team, "%s", wr_col_text(st, 0));
	if (done)
		*done = sqlite3_column_int(st, 1);
	if (blocked)
		*blocked = sqlite3_column_int(st, 2);
	sqlite3_finalize(st);
	return wr_auth_team(db, team);
}

/* One UPDATE of a task by id with up to two text parameters (none when sql
 * is NULL), and its event. */
static int task_update(struct wr_db *db, int64_t id, const char *sql, const char *a,
		       const char *b, const char *action, json_t *details)
{
	sqlite3_stmt *st;
	int rc;

	if (!sql)
		goto event;
	if ((rc = wr_prepare(db, sql, &st))) {
		json_decref(details);
		return rc;
	}
	sqlite3_bind_int64(st, 1, id);
	if (a)
		sqlite3_bind_text(st, 2, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 3, b, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, wr_clock_now(db));
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, action);
	sqlite3_finalize(st);
	if (rc) {
		json_decref(details);
		return rc;
	}
event:
	json_object_set_new(details, "task", json_integer(id));
	return wr_event_add_json(db, action, details);
}

/* Appends a note by the actor, and keeps task.note the newest text. */
static int note_append(struct wr_db *db, int64_t id, const char *text)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_prepare(db, "INSERT INTO task_note(task, at, author, text)"
				 " VALUES (?, ?, ?, ?)", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, wr_clock_now(db));
	sqlite3_bind_text(st, 3, db->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "adding a note");
	sqlite3_finalize(st);
	if (rc || (rc = wr_prepare(db, "UPDATE task SET note = ?2 WHERE id = ?1", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "adding a note");
	sqlite3_finalize(st);
	return rc;
}

/* want_done, want_blocked: the state the task must be in (-1: any); note:
 * appended when non-NULL. */
static int task_change(struct wr_db *db, int64_t id, int want_done, int want_blocked,
		       const char *note, const char *sql, const char *a, const char *b,
		       const char *action, json_t *details)
{
	bool done = false, blocked = false;
	int rc;

	if ((rc = wr_tx_begin(db)))
		goto out;
	if ((rc = task_check(db, id, &done, &blocked)))
		goto fail;
	if (want_done >= 0 && done != (bool)want_done) {
		rc = wr_err(db, WR_ESTATE, "task %lld is %s", (long long)id,
			    done ? "already done" : "not done");
		goto fail;
	}
	if (want_blocked >= 0 && blocked != (bool)want_blocked) {
		rc = wr_err(db, WR_ESTATE, "task %lld is not blocked", (long long)id);
		goto fail;
	}
	if (note && (rc = note_append(db, id, note)))
		goto fail;
	if ((rc = task_update(db, id, sql, a, b, action, details)))
		goto fail_nodecref;
	return wr_tx_commit(db);
fail:
	json_decref(details);
fail_nodecref:
	wr_tx_rollback(db);
	return rc;
out:
	json_decref(details);
	return rc;
}

int wr_task_done(struct wr_db *db, int64_t id, const char *note)
{
	json_t *d = json_object();

	if (note && *note)
		json_object_set_new(d, "note", json_string(note));
	return task_change(db, id, 0, -1, note && *note ? note : NULL,
			   "UPDATE task SET done_by = ?2, done_at = ?4 WHERE id = ?1", db->actor,
			   NULL, "task-done", d);
}

int wr_task_reopen(struct wr_db *db, int64_t id)
{
	return task_change(db, id, 1, -1, NULL,
			   "UPDATE task SET done_by = NULL, done_at = NULL WHERE id = ?1 AND ?4",
			   NULL, NULL, "task-reopen", json_object());
}

int wr_task_assign(struct wr_db *db, int64_t id, const char *owner)
{
	if (!owner || !*owner)
		return wr_err(db, WR_EINVAL, "assign needs a user name");
	return task_change(db, id, -1, -1, NULL, "UPDATE task SET owner = ?2 WHERE id = ?1 AND ?4",
			   owner, NULL, "task-assign", json_pack("{s:s}", "owner", owner));
}

int wr_task_note(struct wr_db *db, int64_t id, const char *note)
{
	if (!note || !*note)
		return wr_err(db, WR_EINVAL, "a note needs text");
	return task_change(db, id, -1, -1, note, NULL, NULL, NULL, "task-note",
			   json_pack("{s:s}", "note", note));
}

int wr_task_block(struct wr_db *db, int64_t id, const char *reason)
{
	if (!reason || !*reason)
		return wr_err(db, WR_EINVAL, "blocking a task needs a reason");
	/* A done task needs nothing: blocking it would only mislead. */
	return task_change(db, id, 0, -1, NULL,
			   "UPDATE task SET blocked = ?2, blocked_by = ?3, blocked_at = ?4"
			   " WHERE id = ?1",
			   reason, db->actor, "task-block", json_pack("{s:s}", "reason", reason));
}

int wr_task_unblock(struct wr_db *db, int64_t id)
{
	return task_change(db, id, -1, 1, NULL,
			   "UPDATE task SET blocked = NULL, blocked_by = NULL, blocked_at = NULL"
			   " WHERE id = ?1 AND ?4",
			   NULL, NULL, "task-unblock", json_object());
}

int wr_task_notes(struct wr_db *db, int64_t id, wr_task_note_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_prepare(db, "SELECT id, at, author, text FROM task_note WHERE task = ?"
				 " ORDER BY id", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct wr_task_note n = {
			.id = sqlite3_column_int64(st, 0),
			.at = sqlite3_column_int64(st, 1),
			.author = wr_col_text(st, 2),
			.text = wr_col_text(st, 3),
		};
		if ((rc = cb(&n, ctx))) {
			sqlite3_finalize(st);
			return rc;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : wr_err_sq(db, "reading notes");
	sqlite3_finalize(st);
	return rc;
}

int wr_task_history(struct wr_db *db, int64_t id,
		    int (*cb)(const struct wr_event *e, void *ctx), void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	/* The expression of the event_task index (migrate-004.sql), word for
	 * word, so that SQLite uses it. */
	if ((rc = wr_prepare(db, "SELECT id, at, actor, action, details, hash FROM event"
				 " WHERE (CASE WHEN json_valid(details)"
				 "  THEN json_extract(details, '$.task') END) = ?"
				 " ORDER BY id", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	return wr_event_rows(db, st, cb, ctx, "reading the task's history");
}

int wr_team_check(struct wr_db *db, const char *team)
{
	sqlite3_stmt *st;
	int64_t exists = 0;
	int rc;

	if ((rc = wr_prepare(db, "SELECT count(*) FROM team WHERE id = ?", &st)))
		return rc;
	sqlite3_bind_text(st, 1, team, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		exists = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return exists ? 0 : wr_err(db, WR_ENOENT, "no team '%s' in this incident's plan", team);
}

int wr_task_add(struct wr_db *db, const char *team, int phase, int64_t due, const char *title,
		int64_t *id_out)
{
	sqlite3_stmt *st;
	int rc;

	if (!title || !*title)
		return wr_err(db, WR_EINVAL, "a task needs a title");
	if (phase < 0 || phase >= WR_PHASES)
		return wr_err(db, WR_EINVAL, "no phase %d", phase);
	if ((rc = wr_tx_begin(db)))
		return rc;
	if ((rc = wr_team_check(db, team)))
		goto fail;
	if ((rc = wr_auth_team(db, team)))
		goto fail;
	if ((rc = wr_prepare(db, "INSERT INTO task(team, phase, title, due) VALUES (?, ?, ?, ?)",
			     &st)))
		goto fail;
	sqlite3_bind_text(st, 1, team, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, phase);
	sqlite3_bind_text(st, 3, title, -1, SQLITE_STATIC);
	wr_bind_time(st, 4, due);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "adding a task");
	sqlite3_finalize(st);
	if (rc)
		goto fail;
	int64_t id = sqlite3_last_insert_rowid(db->sq);
	if (id_out)
		*id_out = id;
	json_t *d = json_pack("{s:I, s:s, s:s, s:s}", "task", (json_int_t)id, "team", team,
			      "phase", wr_phase_name(phase), "title", title);
	if (d && due) {
		char tb[WR_TIME_BUFSZ];
		json_object_set_new(d, "due", json_string(wr_time_format(due, tb)));
	}
	if ((rc = wr_event_add_json(db, "task-add", d)))
		goto fail;
	return wr_tx_commit(db);
fail:
	wr_tx_rollback(db);
	return rc;
}
