/*
 * reporting.c: the cadence of Mozilla's incident reporting (domain.md 5-6)
 * read from the Bugzilla posts (data/migrate-012.sql), and the posts
 * marked by hand (`report posted`).
 *
 * The clock starts at the discovery (the declaration when no discovery
 * time is known): the preliminary report is due within 72 hours of it,
 * the full report within 14 days. Updates follow the newest report
 * posted to the bug, whatever its kind: the next one should come within
 * 3 days and must within 7. Only what Bugzilla took ('sent') or what
 * someone marked as posted counts; a post queued or of unknown outcome
 * does not, nor does its bug (a mistyped number Bugzilla refuses is not
 * the incident's bug).
 *
 * This file reads the cadence and records a mark; core/bugzilla.c sends.
 */
#include <string.h>

#include "internal.h"

int wr_reporting_get(struct wr_db *db, int64_t now, struct wr_reporting *r)
{
	sqlite3_stmt *st;
	int rc;

	(void)now;
	memset(r, 0, sizeof *r);
	if ((rc = wr_prepare(db,
			     "SELECT coalesce(discovered, declared) FROM incident"
			     " WHERE id = 1 AND declared IS NOT NULL",
			     &st)))
		return rc;
	int64_t basis = 0;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		basis = wr_col_i64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return wr_err_sq(db, "reading the incident");
	if (basis) {
		r->preliminary_due = basis + WR_REPORT_PRELIMINARY_WITHIN;
		r->full_due = basis + WR_REPORT_FULL_WITHIN;
	}
	/* One pass over the posts: there are a handful. A report is posted
	 * when its comments went, not its appendix's attachment alone. */
	if ((rc = wr_prepare(db,
			     "SELECT (SELECT bug FROM bugzilla_post WHERE bug IS NOT NULL"
			     "         AND state = 'sent' ORDER BY sent_at DESC, id DESC LIMIT 1),"
			     " (SELECT min(sent_at) FROM bugzilla_post WHERE state = 'sent'"
			     "         AND kind = 'preliminary'),"
			     " (SELECT min(sent_at) FROM bugzilla_post WHERE state = 'sent'"
			     "         AND kind = 'full' AND op <> 'attachment'),"
			     " (SELECT max(sent_at) FROM bugzilla_post WHERE state = 'sent'"
			     "         AND kind IN ('preliminary', 'update', 'full')"
			     "         AND op <> 'attachment'),"
			     " (SELECT count(*) FROM bugzilla_post WHERE state IN ('queued',"
			     "         'sending')),"
			     " (SELECT count(*) FROM bugzilla_post WHERE state = 'unknown')",
			     &st)))
		return rc;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r->bug = wr_col_i64(st, 0);
		r->preliminary_done = wr_col_i64(st, 1);
		r->full_done = wr_col_i64(st, 2);
		r->last_update = wr_col_i64(st, 3);
		r->queued = wr_col_i64(st, 4);
		r->unknown = wr_col_i64(st, 5);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return wr_err_sq(db, "reading the Bugzilla posts");
	if (r->last_update) {
		r->next_due_should = r->last_update + WR_UPDATE_SHOULD;
		r->next_due_must = r->last_update + WR_UPDATE_MUST;
	}
	return 0;
}

int wr_reporting_level(const struct wr_reporting *r, int64_t now)
{
	if (!r->last_update)
		return WR_REPORTING_FINE;
	if (now >= r->next_due_must - WR_UPDATE_ALARM)
		return WR_REPORTING_ALARM;
	if (now >= r->next_due_should)
		return WR_REPORTING_WARN;
	return WR_REPORTING_FINE;
}

int wr_reporting_mark(struct wr_db *db, int64_t bug, int64_t at, enum wr_report_kind k)
{
	const char *kind = wr_report_kind_name(k);
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_auth_team(db, "external-comms")))
		return rc;
	if (bug <= 0)
		return wr_err(db, WR_EINVAL, "want a bug number (a positive whole number)");
	if (!kind)
		return wr_err(db, WR_EINVAL, "no such report kind");
	int64_t now = wr_clock_now(db);
	if (at > now + 300)
		return wr_err(db, WR_EINVAL, "--at is in the future: a report is marked once posted");
	if ((rc = wr_tx_begin(db)))
		return rc;
	if ((rc = wr_prepare(db,
			     "INSERT INTO bugzilla_post(post, op, kind, bug, state, created,"
			     " created_by, sent_at) VALUES ((SELECT coalesce(max(id), 0) + 1 FROM"
			     " bugzilla_post), 'manual', ?1, ?2, 'sent', ?3, ?4, ?5)",
			     &st)))
		goto fail;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, bug);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_text(st, 4, wr_db_actor(db), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, at);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rc = wr_err_sq(db, "recording the report posted");
		goto fail;
	}
	char t[WR_TIME_BUFSZ];
	if ((rc = wr_event_add_json(db, "report-posted",
				    json_pack("{s:s, s:I, s:s}", "kind", kind, "bug",
					      (json_int_t)bug, "at", wr_time_format(at, t)))))
		goto fail;
	return wr_tx_commit(db);
fail:
	wr_tx_rollback(db);
	return rc;
}
