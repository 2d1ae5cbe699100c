/*
 * finding.c: what only people know, recorded for the reports: findings
 * (root causes, lessons learned, related incidents) and action items
 * (migrate-011.sql). The full incident report and the post-mortem read
 * them (report.c); the Compliance & Legal pane shows the action items,
 * changes them through wr_action_set and opens each with its history.
 *
 * Compliance & Legal or Management records them (auth.c); each change is
 * an event in the same transaction, so the audit chain holds every
 * version. Texts are kept as given: each edge escapes them.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define TEAM "compliance-legal"

const char *const wr_finding_sections[] = {
    "root-cause", "lesson-well", "lesson-badly", "lesson-lucky", "lesson-other", "related", NULL};
/* What the timeline calls each section. */
static const char *const section_labels[] = {
    "a root cause",
    "a lesson learned (went well)",
    "a lesson learned (went badly)",
    "a lesson learned (got lucky)",
    "a lesson learned",
    "a related incident",
};
const char *const wr_action_kinds[] = {"prevent", "mitigate", "detect", NULL};
const char *const wr_action_statuses[] = {"ongoing", "complete", "delayed", "canceled", NULL};

static int index_of(const char *const *list, const char *s)
{
	for (int i = 0; s && list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return i;
	return -1;
}

/* "a, b or c" of a list, for messages. */
static void list_text(const char *const *list, char *buf, size_t n)
{
	size_t k = 0;

	buf[0] = '\0';
	for (int i = 0; list[i] && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, "%s%s",
				      i ? (list[i + 1] ? ", " : " or ") : "", list[i]);
}

static int check_in(struct wr_db *db, const char *const *list, const char *what, const char *s)
{
	char all[128];

	if (index_of(list, s) >= 0)
		return 0;
	list_text(list, all, sizeof all);
	return wr_err(db, WR_EINVAL, "%s is %s, not '%s'", what, all, s ? s : "");
}

static int check_text(struct wr_db *db, const char *what, const char *s)
{
	if (!s || !*s)
		return wr_err(db, WR_EINVAL, "%s is required", what);
	return 0;
}

/* ---- findings ------------------------------------------------------------ */

int wr_finding_add(struct wr_db *db, const char *section, const char *team, const char *text,
		   const char *bug, int64_t date, int64_t *id_out)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = check_in(db, wr_finding_sections, "the section", section)) ||
	    (rc = check_text(db, "the finding's text", text)))
		return rc;
	if ((bug || date) && strcmp(section, "related") != 0)
		return wr_err(db, WR_EINVAL, "a bug and a date belong to related incidents only");
	if ((rc = wr_tx_begin(db)))
		return rc;
	if ((rc = wr_auth_team(db, TEAM)))
		goto fail;
	/* A lesson about one team goes under it in the post-mortem. */
	if (team && !*team)
		team = NULL;
	if (team && (rc = wr_team_check(db, team)))
		goto fail;
	int64_t now = wr_clock_now(db);
	if ((rc = wr_prepare(db,
			     "INSERT INTO finding(section, text, bug, date, by_user, at, team)"
			     " VALUES (?, ?, ?, ?, ?, ?, ?)",
			     &st)))
		goto fail;
	sqlite3_bind_text(st, 1, section, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	if (bug && *bug)
		sqlite3_bind_text(st, 3, bug, -1, SQLITE_STATIC);
	wr_bind_time(st, 4, date);
	sqlite3_bind_text(st, 5, db->actor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now);
	if (team)
		sqlite3_bind_text(st, 7, team, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "adding a finding");
	sqlite3_finalize(st);
	if (rc)
		goto fail;
	int64_t id = sqlite3_last_insert_rowid(db->sq);
	json_t *d = json_pack("{s:I, s:s, s:s, s:s}", "finding", (json_int_t)id, "section", section,
			      "label", section_labels[index_of(wr_finding_sections, section)],
			      "text", text);
	if (d && bug && *bug)
		json_object_set_new(d, "bug", json_string(bug));
	if (d && date) {
		char tb[WR_TIME_BUFSZ];
		json_object_set_new(d, "date", json_string(wr_time_format(date, tb)));
	}
	if (d && team)
		json_object_set_new(d, "team", json_string(team));
	if ((rc = wr_event_add_json(db, "finding-add", d)))
		goto fail;
	if (id_out)
		*id_out = id;
	return wr_tx_commit(db);
fail:
	wr_tx_rollback(db);
	return rc;
}

int wr_finding_foreach(struct wr_db *db, const char *section, wr_finding_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_prepare(db,
			     "SELECT id, at, section, text, by_user, bug, date, team FROM finding"
			     " WHERE ?1 IS NULL OR section = ?1 ORDER BY id",
			     &st)))
		return rc;
	if (section)
		sqlite3_bind_text(st, 1, section, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct wr_finding f = {
		    .id = sqlite3_column_int64(st, 0),
		    .at = sqlite3_column_int64(st, 1),
		    .section = wr_col_text(st, 2),
		    .text = wr_col_text(st, 3),
		    .by = wr_col_text(st, 4),
		    .bug = wr_col_text(st, 5),
		    .date = wr_col_i64(st, 6),
		    .team = wr_col_text(st, 7),
		};
		if ((rc = cb(&f, ctx))) {
			sqlite3_finalize(st);
			return rc;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : wr_err_sq(db, "reading findings");
}

/* ---- action items -------------------------------------------------------- */

int wr_action_add(struct wr_db *db, const struct wr_action *a, int64_t *id_out)
{
	const char *status = a->status ? a->status : "ongoing";
	sqlite3_stmt *st;
	int rc;

	if ((rc = check_text(db, "the action item's title", a->title)) ||
	    (rc = check_in(db, wr_action_kinds, "the kind", a->kind)) ||
	    (rc = check_text(db, "--root-cause", a->root_cause)) ||
	    (rc = check_text(db, "--criteria", a->criteria)) ||
	    (rc = check_in(db, wr_action_statuses, "the status", status)))
		return rc;
	if (!a->due)
		return wr_err(db, WR_EINVAL, "--due is required");
	if ((rc = wr_tx_begin(db)))
		return rc;
	if ((rc = wr_auth_team(db, TEAM)))
		goto fail;
	int64_t now = wr_clock_now(db);
	if ((rc = wr_prepare(db,
			     "INSERT INTO action_item(title, kind, root_cause, criteria, due,"
			     " status, created_by, created_at, updated_at)"
			     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?8)",
			     &st)))
		goto fail;
	sqlite3_bind_text(st, 1, a->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->root_cause, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->criteria, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, a->due);
	sqlite3_bind_text(st, 6, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, db->actor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, now);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "adding an action item");
	sqlite3_finalize(st);
	if (rc)
		goto fail;
	int64_t id = sqlite3_last_insert_rowid(db->sq);
	char tb[WR_TIME_BUFSZ];
	json_t *d =
	    json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "action", (json_int_t)id, "title",
		      a->title, "kind", a->kind, "root_cause", a->root_cause, "criteria",
		      a->criteria, "due", wr_time_format(a->due, tb), "status", status);
	if ((rc = wr_event_add_json(db, "action-add", d)))
		goto fail;
	if (id_out)
		*id_out = id;
	return wr_tx_commit(db);
fail:
	wr_tx_rollback(db);
	return rc;
}

/* One text column of an action item, changed when it differs. */
static int set_text(struct wr_db *db, int64_t id, const char *col, const char *old, const char *val,
		    json_t *d, bool *changed)
{
	char sql[96];
	sqlite3_stmt *st;
	int rc;

	if (!val || (old && strcmp(old, val) == 0))
		return 0;
	/* col is one of this file's literals, never the caller's text. */
	snprintf(sql, sizeof sql, "UPDATE action_item SET %s = ? WHERE id = ?", col);
	if ((rc = wr_prepare(db, sql, &st)))
		return rc;
	sqlite3_bind_text(st, 1, val, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "updating an action item");
	sqlite3_finalize(st);
	if (rc)
		return rc;
	char key[48];
	snprintf(key, sizeof key, "previous_%s", col);
	json_object_set_new(d, col, json_string(val));
	json_object_set_new(d, key, json_string(old ? old : ""));
	*changed = true;
	return 0;
}

struct current {
	char *title, *kind, *root_cause, *criteria, *status;
	int64_t due;
	bool found;
};

static int copy_cb(const struct wr_action *a, void *arg)
{
	struct current *c = arg;

	c->found = true;
	c->title = strdup(a->title);
	c->kind = strdup(a->kind);
	c->root_cause = strdup(a->root_cause);
	c->criteria = strdup(a->criteria);
	c->status = strdup(a->status);
	c->due = a->due;
	return 0;
}

static void current_free(struct current *c)
{
	free(c->title);
	free(c->kind);
	free(c->root_cause);
	free(c->criteria);
	free(c->status);
}

int wr_action_set(struct wr_db *db, int64_t id, const struct wr_action *ch, bool *changed)
{
	struct current cur = {0};
	bool any = false;
	json_t *d = NULL;
	int rc;

	if (changed)
		*changed = false;
	if ((ch->kind && (rc = check_in(db, wr_action_kinds, "the kind", ch->kind))) ||
	    (ch->status && (rc = check_in(db, wr_action_statuses, "the status", ch->status))) ||
	    (ch->title && (rc = check_text(db, "the title", ch->title))) ||
	    (ch->root_cause && (rc = check_text(db, "--root-cause", ch->root_cause))) ||
	    (ch->criteria && (rc = check_text(db, "--criteria", ch->criteria))))
		return rc;
	if ((rc = wr_tx_begin(db)))
		return rc;
	if ((rc = wr_auth_team(db, TEAM)) || (rc = wr_action_get(db, id, copy_cb, &cur)))
		goto fail;
	if (!cur.found || !cur.title || !cur.kind || !cur.root_cause || !cur.criteria ||
	    !cur.status) {
		rc = cur.found ? wr_err(db, WR_ENOMEM, "out of memory")
			       : wr_err(db, WR_ENOENT, "no action item %lld", (long long)id);
		goto fail;
	}
	d = json_pack("{s:I, s:s}", "action", (json_int_t)id, "title", cur.title);
	if (!d) {
		rc = wr_err(db, WR_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = set_text(db, id, "status", cur.status, ch->status, d, &any)) ||
	    (rc = set_text(db, id, "title", cur.title, ch->title, d, &any)) ||
	    (rc = set_text(db, id, "kind", cur.kind, ch->kind, d, &any)) ||
	    (rc = set_text(db, id, "root_cause", cur.root_cause, ch->root_cause, d, &any)) ||
	    (rc = set_text(db, id, "criteria", cur.criteria, ch->criteria, d, &any)))
		goto fail;
	/* The title the event names is the one before the change. */
	if (ch->title && strcmp(ch->title, cur.title) != 0)
		json_object_set_new(d, "title_new", json_string(ch->title));
	json_object_set_new(d, "title", json_string(cur.title));
	if (ch->due && ch->due != cur.due) {
		sqlite3_stmt *st;
		char tb[WR_TIME_BUFSZ];
		if ((rc = wr_prepare(db, "UPDATE action_item SET due = ? WHERE id = ?", &st)))
			goto fail;
		sqlite3_bind_int64(st, 1, ch->due);
		sqlite3_bind_int64(st, 2, id);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "updating an action item");
		sqlite3_finalize(st);
		if (rc)
			goto fail;
		json_object_set_new(d, "due", json_string(wr_time_format(ch->due, tb)));
		json_object_set_new(d, "previous_due", json_string(wr_time_format(cur.due, tb)));
		any = true;
	}
	if (!any) {
		json_decref(d);
		current_free(&cur);
		wr_tx_rollback(db);
		return 0;
	}
	sqlite3_stmt *st;
	if ((rc = wr_prepare(db, "UPDATE action_item SET updated_at = ? WHERE id = ?", &st)))
		goto fail;
	sqlite3_bind_int64(st, 1, wr_clock_now(db));
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "updating an action item");
	sqlite3_finalize(st);
	if (rc)
		goto fail;
	rc = wr_event_add_json(db, "action-set", d);
	d = NULL;
	if (rc)
		goto fail;
	current_free(&cur);
	if (changed)
		*changed = true;
	return wr_tx_commit(db);
fail:
	json_decref(d);
	current_free(&cur);
	wr_tx_rollback(db);
	return rc;
}

static int action_rows(struct wr_db *db, sqlite3_stmt *st, wr_action_cb cb, void *ctx)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct wr_action a = {
		    .id = sqlite3_column_int64(st, 0),
		    .title = wr_col_text(st, 1),
		    .kind = wr_col_text(st, 2),
		    .root_cause = wr_col_text(st, 3),
		    .criteria = wr_col_text(st, 4),
		    .due = sqlite3_column_int64(st, 5),
		    .status = wr_col_text(st, 6),
		    .created_by = wr_col_text(st, 7),
		    .created_at = sqlite3_column_int64(st, 8),
		    .updated_at = sqlite3_column_int64(st, 9),
		};
		if ((rc = cb(&a, ctx))) {
			sqlite3_finalize(st);
			return rc;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : wr_err_sq(db, "reading action items");
}

#define ACTION_COLS                                                                                \
	"SELECT id, title, kind, root_cause, criteria, due, status, created_by, created_at,"       \
	" updated_at FROM action_item"

int wr_action_foreach(struct wr_db *db, wr_action_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_prepare(db, ACTION_COLS " ORDER BY due, id", &st)))
		return rc;
	return action_rows(db, st, cb, ctx);
}

int wr_action_get(struct wr_db *db, int64_t id, wr_action_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_prepare(db, ACTION_COLS " WHERE id = ?", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	return action_rows(db, st, cb, ctx);
}

int wr_action_history(struct wr_db *db, int64_t id, wr_event_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	/* Few events are an action item's: event_action finds them. */
	if ((rc = wr_prepare(db,
			     "SELECT id, at, actor, action, details, hash FROM event"
			     " WHERE action IN ('action-add', 'action-set')"
			     " AND (CASE WHEN json_valid(details)"
			     "  THEN json_extract(details, '$.action') END) = ?"
			     " ORDER BY id",
			     &st)))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	return wr_event_rows(db, st, cb, ctx, "reading the action item's history");
}
