/*
 * wave.c: revocation in waves, in the order Management sets.
 *
 * A wave names certificates (by customer, or a file of serials; with no
 * selector, every certificate not yet in a wave), narrowed to those of
 * critical customers or of none when asked, and may have an earliest
 * start. The engine (revoke.c) asks wr_wave_pick which wave a plain
 * `revoke` runs: the first, in Management's order, that has certificates
 * to revoke and whose time has come; certificates in no wave come after
 * every wave. A certificate is in one wave at most: a later wave never
 * takes one from an earlier. Nothing here talks to a backend.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* What a wave has left to revoke at now: the engine's candidates. */
#define LEFT                                                                                       \
	" FROM cert WHERE state IN ('pending', 'failed', 'submitted') AND revoked_at IS NULL"      \
	" AND not_after >= ?1"

static int wave_id(struct wr_db *db, const char *name, int64_t *id, int64_t *not_before)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_prepare(db, "SELECT id, not_before FROM wave WHERE name = ?", &st)))
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		if (not_before)
			*not_before = wr_col_i64(st, 1);
		rc = 0;
	} else {
		rc = wr_err(db, WR_ENOENT, "no wave '%s' ('warroom wave list')", name);
	}
	sqlite3_finalize(st);
	return rc;
}

int wr_wave_add(struct wr_db *db, const struct wr_wave_spec *w, wr_reject_cb reject, void *ctx,
		int64_t *assigned)
{
	sqlite3_stmt *st = NULL;
	FILE *f = NULL;
	int64_t n = 0, unknown = 0, id, pos = 0;
	int rc;

	*assigned = 0;
	if (!w->name || !*w->name)
		return wr_err(db, WR_EINVAL, "a wave needs a name");
	if (w->ncustomers && w->serials_file)
		return wr_err(db, WR_EINVAL, "a wave takes customers or a file of serials, not both");
	if (w->critical != WR_CRITICAL_ANY && w->critical != WR_CRITICAL_YES &&
	    w->critical != WR_CRITICAL_NO)
		return wr_err(db, WR_EINVAL, "critical is yes or no");
	if ((rc = wr_auth_team(db, "management")))
		return rc;
	/* The user's file: read with the user's own rights (installed mode). */
	if (w->serials_file && !(f = wr_fopen_user(w->serials_file, "r")))
		return wr_err(db, WR_EIO, "%s: %s", w->serials_file, strerror(errno));
	if ((rc = wr_tx_begin(db)))
		goto out;
	if (wave_id(db, w->name, &id, NULL) == 0) {
		rc = wr_err(db, WR_EEXIST, "wave '%s' exists already", w->name);
		goto fail;
	}
	if ((rc = wr_query_int(db, "SELECT coalesce(max(position), 0) FROM wave", &pos)) ||
	    (rc = wr_prepare(db, "INSERT INTO wave(name, position, not_before, created_by,"
				 " created_at) VALUES (?, ?, ?, ?, ?)", &st)))
		goto fail;
	sqlite3_bind_text(st, 1, w->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, pos + 1);
	wr_bind_time(st, 3, w->not_before);
	sqlite3_bind_text(st, 4, db->actor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, wr_clock_now(db));
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "adding the wave");
	sqlite3_finalize(st);
	st = NULL;
	if (rc)
		goto fail;
	id = sqlite3_last_insert_rowid(db->sq);
	/* Only certificates still to revoke and in no wave yet; with critical,
	 * only those of critical customers (yes), or of none (no: a
	 * certificate with no customer is of no critical customer). */
	char base[320], sql[384];
	snprintf(base, sizeof base, "UPDATE cert SET wave = ?1 WHERE wave IS NULL AND revoked_at IS NULL%s",
		 w->critical == WR_CRITICAL_YES
			 ? " AND customer IN (SELECT name FROM customer WHERE critical = 1)"
		 : w->critical == WR_CRITICAL_NO
			 ? " AND (customer IS NULL OR customer NOT IN"
			   " (SELECT name FROM customer WHERE critical = 1))"
			 : "");
	if (w->serials_file) {
		snprintf(sql, sizeof sql, "%s AND serial = ?2", base);
		if ((rc = wr_prepare(db, sql, &st)))
			goto fail;
		sqlite3_bind_int64(st, 1, id);
		rc = wr_serials_run(db, f, w->serials_file, st, 2,
				    "no unrevoked certificate outside another wave has this serial",
				    reject, ctx, &n, &unknown);
	} else if (w->ncustomers) {
		snprintf(sql, sizeof sql, "%s AND customer = ?2", base);
		if ((rc = wr_prepare(db, sql, &st)))
			goto fail;
		for (size_t i = 0; !rc && i < w->ncustomers; i++) {
			sqlite3_reset(st);
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_text(st, 2, w->customers[i], -1, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE) {
				rc = wr_err_sq(db, "assigning the wave");
				break;
			}
			int changed = sqlite3_changes(db->sq);
			n += changed;
			if (!changed && reject) {
				reject(w->customers[i],
				       w->critical == WR_CRITICAL_YES
					       ? "this customer is not critical, or has no unrevoked"
						 " certificate outside another wave"
				       : w->critical == WR_CRITICAL_NO
					       ? "this customer is critical, or has no unrevoked"
						 " certificate outside another wave"
					       : "this customer has no unrevoked certificate outside"
						 " another wave",
				       ctx);
				unknown++;
			}
		}
	} else {
		if ((rc = wr_prepare(db, base, &st)))
			goto fail;
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = wr_err_sq(db, "assigning the wave");
		else
			n = sqlite3_changes(db->sq);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc)
		goto fail;
	if (n == 0 && (w->ncustomers || w->serials_file || w->critical != WR_CRITICAL_ANY)) {
		/* Nothing it names is left to put in it: no empty wave. */
		rc = wr_err(db, WR_EINVAL, "wave '%s': nothing it names is left to revoke outside"
					   " another wave; not added", w->name);
		goto fail;
	}
	char tb[WR_TIME_BUFSZ];
	json_t *d = json_pack("{s:s, s:I, s:I}", "wave", w->name, "position", (json_int_t)(pos + 1),
			      "certificates", (json_int_t)n);
	json_object_set_new(d, "not_before",
			    w->not_before ? json_string(wr_time_format(w->not_before, tb)) : json_null());
	if (w->ncustomers) {
		json_t *a = json_array();
		for (size_t i = 0; i < w->ncustomers; i++)
			json_array_append_new(a, json_string(w->customers[i]));
		json_object_set_new(d, "customers", a);
	}
	if (w->serials_file)
		json_object_set_new(d, "unknown_serials", json_integer(unknown));
	if (w->critical != WR_CRITICAL_ANY)
		json_object_set_new(d, "critical",
				    json_string(w->critical == WR_CRITICAL_YES ? "yes" : "no"));
	if ((rc = wr_event_add_json(db, "wave-add", d)))
		goto fail;
	if ((rc = wr_tx_commit(db)))
		goto out;
	*assigned = n;
	if (unknown)
		rc = wr_err(db, WR_EINVAL, "%lld %s not put in the wave", (long long)unknown,
			    w->serials_file ? "serials were" : "customers were");
	goto out;
fail:
	sqlite3_finalize(st);
	wr_tx_rollback(db);
out:
	if (f)
		fclose(f);
	return rc;
}

int wr_wave_move(struct wr_db *db, const char *name, int position)
{
	int64_t id, count = 0, from = 0;
	int rc;

	if ((rc = wr_auth_team(db, "management")))
		return rc;
	if ((rc = wr_tx_begin(db)))
		return rc;
	if ((rc = wave_id(db, name, &id, NULL)) ||
	    (rc = wr_query_int(db, "SELECT count(*) FROM wave", &count)))
		goto fail;
	if (position < 1 || position > count) {
		rc = wr_err(db, WR_EINVAL, "position %d: there %s %lld wave%s (1 to %lld)", position,
			    count == 1 ? "is" : "are", (long long)count, count == 1 ? "" : "s",
			    (long long)count);
		goto fail;
	}
	/* Renumber: take it out, shift the others, put it in. */
	sqlite3_stmt *st;
	if ((rc = wr_prepare(db, "SELECT position FROM wave WHERE id = ?", &st)))
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		from = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if ((rc = wr_prepare(db, "UPDATE wave SET position = CASE"
				 " WHEN id = ?1 THEN ?3"
				 " WHEN ?2 < ?3 AND position > ?2 AND position <= ?3 THEN position - 1"
				 " WHEN ?2 > ?3 AND position >= ?3 AND position < ?2 THEN position + 1"
				 " ELSE position END", &st)))
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, position);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "moving the wave");
	sqlite3_finalize(st);
	if (rc)
		goto fail;
	json_t *d = json_pack("{s:s, s:I, s:i}", "wave", name, "from", (json_int_t)from, "to",
			      position);
	if ((rc = wr_event_add_json(db, "wave-move", d)))
		goto fail;
	return wr_tx_commit(db);
fail:
	wr_tx_rollback(db);
	return rc;
}

int wr_wave_foreach(struct wr_db *db, int64_t now, wr_wave_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	/* One pass over the wave index per wave: waves are few. */
	if ((rc = wr_prepare(db, "SELECT w.id, w.name, w.position, w.not_before,"
				 " (SELECT count(*) FROM cert WHERE wave = w.id),"
				 " (SELECT count(*) FROM cert WHERE wave = w.id AND revoked_at IS NOT NULL),"
				 " (SELECT count(*)" LEFT " AND wave = w.id)"
				 " FROM wave w ORDER BY w.position", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct wr_wave w = {
			.id = sqlite3_column_int64(st, 0),
			.name = wr_col_text(st, 1),
			.position = sqlite3_column_int(st, 2),
			.not_before = wr_col_i64(st, 3),
			.total = sqlite3_column_int64(st, 4),
			.revoked = sqlite3_column_int64(st, 5),
			.left = sqlite3_column_int64(st, 6),
		};
		if ((rc = cb(&w, ctx))) {
			sqlite3_finalize(st);
			return rc;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : wr_err_sq(db, "reading waves");
	sqlite3_finalize(st);
	return rc;
}

int wr_wave_pick(struct wr_db *db, const char *name, int64_t now, int64_t *id)
{
	sqlite3_stmt *st;
	int64_t not_before = 0, waves = 0;
	int rc;

	if (name) {
		if ((rc = wave_id(db, name, id, &not_before)))
			return rc;
		if (not_before > now) {
			char tb[WR_TIME_BUFSZ];
			return wr_err(db, WR_ESTATE, "wave '%s' may start at %s, not before", name,
				      wr_time_format(not_before, tb));
		}
		return 0;
	}
	*id = WR_WAVE_ALL;
	if ((rc = wr_query_int(db, "SELECT count(*) FROM wave", &waves)) || !waves)
		return rc;
	/* The first wave in Management's order with work left. */
	if ((rc = wr_prepare(db, "SELECT id, name, not_before FROM wave w WHERE EXISTS"
				 " (SELECT 1" LEFT " AND wave = w.id) ORDER BY position LIMIT 1", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, now);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t nb = wr_col_i64(st, 2);
		*id = sqlite3_column_int64(st, 0);
		rc = 0;
		if (nb > now) {
			char tb[WR_TIME_BUFSZ];
			/* The order holds: a later wave does not jump ahead. */
			rc = wr_err(db, WR_ESTATE, "the next wave, '%s', may start at %s",
				    wr_col_text(st, 1), wr_time_format(nb, tb));
		}
	} else if (rc == SQLITE_DONE) {
		*id = WR_WAVE_NONE; /* every wave done: what is in none */
		rc = 0;
	} else {
		rc = wr_err_sq(db, "picking the wave");
	}
	sqlite3_finalize(st);
	return rc;
}
