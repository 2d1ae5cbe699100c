/*
 * incident.c: the incident's life: creation from a plan, the declaration
 * of a Mass Revocation Event with its deadline, phases, closing and
 * reopening, and the figures everyone watches (counts and status).
 *
 * Counts come from the database at the instant asked: trigger-kept
 * counters for what changes by writes, one indexed range count for
 * "expired", which changes with the clock alone.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int wr_incident_init(struct wr_db *db, const char *name, int64_t active_total,
		     const struct wr_plan *plan)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (!name || !*name)
		return wr_err(db, WR_EINVAL, "an incident needs a name");
	if ((rc = wr_tx_begin(db)))
		return rc;
	if ((rc = wr_prepare(db, "INSERT INTO incident(id, name, active_total, plan_name,"
				 " plan_sha256, created) VALUES (1, ?, ?, ?, ?, ?)", &st)))
		goto fail;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (active_total > 0)
		sqlite3_bind_int64(st, 2, active_total);
	sqlite3_bind_text(st, 3, wr_plan_name(plan), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, wr_plan_sha256(plan), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, wr_clock_now(db));
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = wr_err_sq(db, "creating the incident");
		goto fail;
	}
	sqlite3_finalize(st);

	if ((rc = wr_prepare(db, "INSERT INTO team(id, name, position, short) VALUES (?, ?, ?, ?)",
			     &st)))
		goto fail;
	for (size_t i = 0; i < wr_plan_team_count(plan); i++) {
		const struct wr_plan_team *t = wr_plan_team_at(plan, i);
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, t->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, t->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (int64_t)i);
		/* The tabs' labels when the names do not fit (NULL: cut names). */
		sqlite3_bind_text(st, 4, t->short_name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = wr_err_sq(db, "adding a team");
			goto fail;
		}
	}
	sqlite3_finalize(st);

	if ((rc = wr_prepare(db, "INSERT INTO task(team, phase, title, due_offset, due_anchor)"
				 " VALUES (?, ?, ?, ?, ?)", &st)))
		goto fail;
	for (size_t i = 0; i < wr_plan_task_count(plan); i++) {
		const struct wr_plan_task *t = wr_plan_task_at(plan, i);
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, t->team, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, t->phase);
		sqlite3_bind_text(st, 3, t->title, -1, SQLITE_STATIC);
		if (t->due_anchor) {
			sqlite3_bind_int64(st, 4, t->due_offset);
			sqlite3_bind_text(st, 5, t->due_anchor, -1, SQLITE_STATIC);
		} else {
			sqlite3_bind_null(st, 4);
			sqlite3_bind_null(st, 5);
		}
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = wr_err_sq(db, "adding a task");
			goto fail;
		}
	}
	sqlite3_finalize(st);
	st = NULL;

	json_t *d = json_pack("{s:s, s:s, s:s, s:I, s:I}", "name", name, "plan", wr_plan_name(plan),
			      "plan_sha256", wr_plan_sha256(plan), "teams",
			      (json_int_t)wr_plan_team_count(plan), "tasks",
			      (json_int_t)wr_plan_task_count(plan));
	if (d && active_total > 0)
		json_object_set_new(d, "active_total", json_integer(active_total));
	if ((rc = wr_event_add_json(db, "init", d)))
		goto fail;
	return wr_tx_commit(db);
fail:
	sqlite3_finalize(st);
	wr_tx_rollback(db);
	return rc;
}

int wr_counts_get(struct wr_db *db, int64_t now, struct wr_counts *c)
{
	sqlite3_stmt *st;
	int rc;

	memset(c, 0, sizeof *c);
	if ((rc = wr_prepare(db, "SELECT name, n FROM counter", &st)))
		return rc;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *k = wr_col_text(st, 0);
		int64_t n = sqlite3_column_int64(st, 1);
		if (!strcmp(k, "affected")) c->affected = n;
		else if (!strcmp(k, "revoked")) c->revoked = n;
		else if (!strcmp(k, "notified")) c->notified = n;
		else if (!strcmp(k, "replaced")) c->replaced = n;
		else if (!strcmp(k, "unchecked")) c->unchecked = n;
		else if (!strcmp(k, "acknowledged")) c->acknowledged = n;
		else if (!strcmp(k, "replacement_issued")) c->replacement_issued = n;
		else if (!strcmp(k, "replacement_deployed")) c->replacement_deployed = n;
		else if (!strcmp(k, "unreachable")) c->unreachable = n;
	}
	sqlite3_finalize(st);
	/*
	 * Expired: not revoked, notAfter passed (the last second of validity,
	 * RFC 5280 4.1.2.5). A console asks every frame, and after another
	 * process commits, counting the whole range (40,000 entries in a
	 * million) was 40% of the frame. So a handle carries the count
	 * forward: what expired since it counted is added, as long as no
	 * certificate came or went (the affected count) and the clock did
	 * not go back. Revocations do not move it: the engine takes only
	 * certificates not yet expired. One whose run began before its
	 * notAfter passed and revoked it after may be counted a few seconds
	 * too long: the whole range is counted again every
	 * WR_EXPIRED_RECOUNT seconds.
	 */
	int64_t from = INT64_MIN;
	if (db->expired_cache.valid && db->expired_cache.affected == c->affected &&
	    now >= db->expired_cache.at && now - db->expired_cache.counted_at < WR_EXPIRED_RECOUNT)
		from = db->expired_cache.at;
	if ((rc = wr_prepare(db, "SELECT count(*) FROM cert INDEXED BY cert_live_expiry"
				 " WHERE revoked_at IS NULL AND not_after < ?1 AND not_after >= ?2",
			     &st)))
		return rc;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, from);
	if (sqlite3_step(st) == SQLITE_ROW)
		c->expired = sqlite3_column_int64(st, 0);
	else
		rc = wr_err_sq(db, "counting expired certificates");
	sqlite3_finalize(st);
	if (rc) {
		db->expired_cache.valid = false;
		return rc;
	}
	if (from != INT64_MIN) {
		c->expired += db->expired_cache.expired;
	} else {
		db->expired_cache.valid = true;
		db->expired_cache.counted_at = now;
	}
	db->expired_cache.affected = c->affected;
	db->expired_cache.at = now;
	db->expired_cache.expired = c->expired;
	/* Delayed: held past now, neither revoked nor expired. */
	if ((rc = wr_prepare(db, "SELECT count(*) FROM cert INDEXED BY cert_held"
				 " WHERE revoked_at IS NULL AND hold_until IS NOT NULL"
				 " AND hold_until > ?1 AND not_after >= ?1", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, now);
	if (sqlite3_step(st) == SQLITE_ROW)
		c->held = sqlite3_column_int64(st, 0);
	else
		rc = wr_err_sq(db, "counting delayed certificates");
	sqlite3_finalize(st);
	c->pending = c->affected - c->revoked - c->expired - c->held;
	return rc;
}

static void copy_text(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

int wr_status_get(struct wr_db *db, struct wr_status *s)
{
	sqlite3_stmt *st;
	int rc;

	memset(s, 0, sizeof *s);
	s->now = wr_clock_now(db);
	/* One read transaction, so counts and incident agree. */
	if ((rc = wr_exec(db, "BEGIN")))
		return rc;
	if ((rc = wr_prepare(db, "SELECT name, state, phase, reason, crl_reason, discovered,"
				 " declared, closed, mre_flags, active_total, plan_name,"
				 " plan_sha256 FROM incident WHERE id = 1", &st)))
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		rc = wr_err(db, WR_ENOTWR, "%s: the database holds no incident", db->path);
		goto out;
	}
	copy_text(s->name, sizeof s->name, wr_col_text(st, 0));
	copy_text(s->state, sizeof s->state, wr_col_text(st, 1));
	s->phase = sqlite3_column_int(st, 2);
	copy_text(s->reason, sizeof s->reason, wr_col_text(st, 3));
	s->crl_reason = sqlite3_column_type(st, 4) == SQLITE_NULL ? WR_CRL_OMIT
								  : sqlite3_column_int(st, 4);
	s->discovered = wr_col_i64(st, 5);
	s->declared = wr_col_i64(st, 6);
	s->closed = wr_col_i64(st, 7);
	s->mre_flags = (unsigned)sqlite3_column_int(st, 8);
	s->active_total = wr_col_i64(st, 9);
	copy_text(s->plan_name, sizeof s->plan_name, wr_col_text(st, 10));
	copy_text(s->plan_sha256, sizeof s->plan_sha256, wr_col_text(st, 11));
	sqlite3_finalize(st);
	const struct wr_reason *r = wr_reason_find(s->reason);
	if (r && s->discovered)
		s->deadline = wr_deadline(r, s->discovered);
	rc = wr_counts_get(db, s->now, &s->counts);
out:
	wr_exec(db, "COMMIT");
	return rc;
}

static int mre_input(struct wr_db *db, const struct wr_reason *r, unsigned flags,
		     struct wr_mre_input *in)
{
	int64_t n = 0;
	int rc;

	memset(in, 0, sizeof *in);
	in->reason = r;
	in->flags = flags;
	in->absolute = wr_config_int(db->cfg, "mre", "absolute", 100);
	in->share_percent = wr_config_double(db->cfg, "mre", "share_percent", 1.0);
	if ((rc = wr_query_int(db, "SELECT n FROM counter WHERE name = 'affected'", &in->affected)))
		return rc;
	if ((rc = wr_query_int(db, "SELECT coalesce(active_total, 0) FROM incident", &n)))
		return rc;
	in->active_total = n;
	if (r && (rc = wr_query_int(db, "SELECT n FROM counter WHERE name = 'long_lived'",
				    &in->not_short_lived)))
		return rc;
	return 0;
}

int wr_mre_current(struct wr_db *db, struct wr_mre_criterion out[WR_MRE_CRITERIA], int *met)
{
	struct wr_status s;
	struct wr_mre_input in;
	int rc;

	if ((rc = wr_status_get(db, &s)))
		return rc;
	if ((rc = mre_input(db, wr_reason_find(s.reason), s.mre_flags, &in)))
		return rc;
	*met = wr_mre_evaluate(&in, out);
	return 0;
}

int wr_incident_declare(struct wr_db *db, const char *reason, int64_t discovered,
			unsigned flags, const char *note,
			struct wr_mre_criterion out[WR_MRE_CRITERIA])
{
	int rc;

	/* Its own errors first, then who may declare. */
	if (wr_reason_find(reason) && discovered <= wr_clock_now(db) + 300 &&
	    (rc = wr_auth_team(db, "management")))
		return rc;
	return wr_incident_declare_unchecked(db, reason, discovered, flags, note, out);
}

int wr_incident_declare_unchecked(struct wr_db *db, const char *reason, int64_t discovered,
				  unsigned flags, const char *note,
				  struct wr_mre_criterion out[WR_MRE_CRITERIA])
{
	const struct wr_reason *r = wr_reason_find(reason);
	int64_t now = wr_clock_now(db);
	struct wr_mre_input in;
	char state[16] = "";
	sqlite3_stmt *st;
	int rc;

	if (!r)
		return wr_err(db, WR_EINVAL, "unknown reason code '%s' (see 'warroom reasons')",
			      reason ? reason : "");
	if (discovered > now + 300)
		return wr_err(db, WR_EINVAL, "the discovery time is in the future");
	if ((rc = wr_tx_begin(db)))
		return rc;
	if ((rc = wr_prepare(db, "SELECT state FROM incident WHERE id = 1", &st)))
		goto fail;
	if (sqlite3_step(st) == SQLITE_ROW)
		copy_text(state, sizeof state, wr_col_text(st, 0));
	sqlite3_finalize(st);
	if (strcmp(state, WR_STATE_ASSESSING) != 0) {
		rc = wr_err(db, WR_ESTATE, "the incident is %s; only an incident being assessed"
			    " can be declared", state[0] ? state : "missing");
		goto fail;
	}
	if ((rc = mre_input(db, r, flags, &in)))
		goto fail;
	int met = wr_mre_evaluate(&in, out);
	int64_t deadline = wr_deadline(r, discovered);

	if ((rc = wr_prepare(db, "UPDATE incident SET state = 'declared', reason = ?,"
				 " crl_reason = ?, discovered = ?, declared = ?, mre_flags = ?"
				 " WHERE id = 1", &st)))
		goto fail;
	sqlite3_bind_text(st, 1, r->code, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, r->crl_reason);
	sqlite3_bind_int64(st, 3, discovered);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int(st, 5, (int)flags);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "declaring");
	sqlite3_finalize(st);
	if (rc)
		goto fail;
	/* The plan's due times become real times now that the clocks run. */
	if ((rc = wr_prepare(db, "UPDATE task SET due = CASE due_anchor WHEN 'discovery'"
				 " THEN ?1 + due_offset ELSE ?2 + due_offset END"
				 " WHERE due IS NULL AND due_anchor IS NOT NULL", &st)))
		goto fail;
	sqlite3_bind_int64(st, 1, discovered);
	sqlite3_bind_int64(st, 2, deadline);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "setting due times");
	sqlite3_finalize(st);
	if (rc)
		goto fail;

	char t1[WR_TIME_BUFSZ], t2[WR_TIME_BUFSZ];
	json_t *crit = json_array();
	for (int i = 0; i < WR_MRE_CRITERIA; i++)
		json_array_append_new(crit, json_pack("{s:s, s:b, s:s}", "id", out[i].id, "met",
						      out[i].met, "detail", out[i].detail));
	json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:i, s:o}", "reason", r->code, "discovered",
			      wr_time_format(discovered, t1), "deadline",
			      wr_time_format(deadline, t2), "crl_reason",
			      wr_crl_reason_name(r->crl_reason), "criteria_met", met, "criteria",
			      crit);
	if (d && note && *note)
		json_object_set_new(d, "note", json_string(note));
	if ((rc = wr_event_add_json(db, "declare", d)))
		goto fail;
	return wr_tx_commit(db);
fail:
	wr_tx_rollback(db);
	return rc;
}

static int update_incident(struct wr_db *db, const char *sql, int64_t arg, const char *action,
			   json_t *details)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_auth_team(db, "management"))) {
		json_decref(details);
		return rc;
	}
	if ((rc = wr_tx_begin(db))) {
		json_decref(details);
		return rc;
	}
	if ((rc = wr_prepare(db, sql, &st)))
		goto fail;
	sqlite3_bind_int64(st, 1, arg);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, action);
	if (!rc && sqlite3_changes(db->sq) == 0)
		rc = wr_err(db, WR_ESTATE, "the incident is closed or missing");
	sqlite3_finalize(st);
	if (rc)
		goto fail;
	if ((rc = wr_event_add_json(db, action, details)))
		return wr_tx_rollback(db), rc;
	return wr_tx_commit(db);
fail:
	json_decref(details);
	wr_tx_rollback(db);
	return rc;
}

int wr_incident_set_phase(struct wr_db *db, int phase)
{
	if (phase < 0 || phase >= WR_PHASES)
		return wr_err(db, WR_EINVAL, "no phase %d (0 to %d)", phase, WR_PHASES - 1);
	return update_incident(db, "UPDATE incident SET phase = ? WHERE state <> 'closed'", phase,
			       "phase",
			       json_pack("{s:i, s:s}", "phase", phase, "name", wr_phase_name(phase)));
}

int wr_incident_close(struct wr_db *db, const char *note)
{
	json_t *d = json_object();

	if (note && *note)
		json_object_set_new(d, "note", json_string(note));
	return update_incident(db, "UPDATE incident SET state = 'closed', closed = ?"
			       " WHERE state <> 'closed'", wr_clock_now(db), "close", d);
}

/* Reopening undoes a close that came too early (more certificates found,
 * a revocation that did not publish): the incident returns to the state
 * it had, declared when it was. Management only, with the reason on
 * record: a reopened incident is one the auditor will ask about. */
int wr_incident_reopen(struct wr_db *db, const char *note)
{
	sqlite3_stmt *st;
	int64_t closed = 0, declared = 0;
	char state[16] = "";
	int rc;

	if (!note || !*note)
		return wr_err(db, WR_EINVAL, "reopening needs a reason (--note)");
	if ((rc = wr_auth_team(db, "management")))
		return rc;
	if ((rc = wr_tx_begin(db)))
		return rc;
	if ((rc = wr_prepare(db, "SELECT state, closed, declared FROM incident WHERE id = 1", &st)))
		goto fail;
	if (sqlite3_step(st) == SQLITE_ROW) {
		copy_text(state, sizeof state, wr_col_text(st, 0));
		closed = wr_col_i64(st, 1);
		declared = wr_col_i64(st, 2);
	}
	sqlite3_finalize(st);
	if (strcmp(state, WR_STATE_CLOSED) != 0) {
		rc = wr_err(db, WR_ESTATE, "the incident is %s, not closed: nothing to reopen",
			    state[0] ? state : "missing");
		goto fail;
	}
	const char *back = declared ? WR_STATE_DECLARED : WR_STATE_ASSESSING;
	if ((rc = wr_prepare(db, "UPDATE incident SET state = ?, closed = NULL WHERE id = 1", &st)))
		goto fail;
	sqlite3_bind_text(st, 1, back, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "reopening");
	sqlite3_finalize(st);
	if (rc)
		goto fail;
	char t[WR_TIME_BUFSZ];
	json_t *d = json_pack("{s:s, s:s}", "note", note, "state", back);
	if (d && closed)
		json_object_set_new(d, "closed_at", json_string(wr_time_format(closed, t)));
	if ((rc = wr_event_add_json(db, "incident-reopen", d)))
		goto fail;
	return wr_tx_commit(db);
fail:
	wr_tx_rollback(db);
	return rc;
}
