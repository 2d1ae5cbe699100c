/*
 * revoke.c: the revocation engine, Phase 3 of the plan.
 *
 * Owns the queue and the states of the affected certificates:
 *
 *   pending --claim--> submitted --backend--> revoked | failed
 *
 * A claim is committed before the backend is called, and the outcome is
 * committed after, so a crash leaves certificates "submitted" under the
 * claim of a dead process. The next run takes them back and submits them
 * again; the CA's "already revoked" answer counts as revoked, so each ends
 * revoked exactly once. Claims happen under BEGIN IMMEDIATE, so two runs
 * at once claim disjoint certificates. Also here: Management's
 * authorizations (two-person rule) and delayed revocations. Backends
 * (backend-*.c) only talk to the CA.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"

static const struct wr_backend_class *const backends[] = {
	&wr_backend_local,
	&wr_backend_acme,
	&wr_backend_exec,
};

static const struct wr_backend_class *backend_find(const char *name)
{
	for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- claims ---------------------------------------------------------------- */

/* A claim is dead when its process on this host is gone (or is another
 * process with a reused pid); on another host, after a lease of an hour. */
#define CLAIM_LEASE 3600
static void sql_claim_dead(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *claim = (const char *)sqlite3_value_text(argv[0]);
	int64_t submitted = sqlite3_value_int64(argv[1]);

	(void)argc;
	switch (wr_claim_state(claim)) {
	case WR_CLAIM_DEAD: sqlite3_result_int(ctx, 1); break;
	case WR_CLAIM_ELSEWHERE: sqlite3_result_int(ctx, time(NULL) - submitted > CLAIM_LEASE); break;
	default: sqlite3_result_int(ctx, 0);
	}
}

/* ---- authorization ------------------------------------------------------------ */

int wr_authorize(struct wr_db *db, const char *action, int64_t limit, int64_t *id_out)
{
	sqlite3_stmt *st;
	int rc;

	if (!action || strcmp(action, "revoke") != 0)
		return wr_err(db, WR_EINVAL, "only 'revoke' can be authorized");
	if (limit < 0)
		return wr_err(db, WR_EINVAL, "the limit must be positive");
	if ((rc = wr_auth_team(db, "management")))
		return rc;
	if ((rc = wr_tx_begin(db)))
		return rc;
	if ((rc = wr_prepare(db, "INSERT INTO authorization(action, by_user, at, max_certs)"
				 " VALUES (?, ?, ?, ?)", &st)))
		goto fail;
	sqlite3_bind_text(st, 1, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, db->actor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, wr_clock_now(db));
	if (limit > 0)
		sqlite3_bind_int64(st, 4, limit);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "authorizing");
	sqlite3_finalize(st);
	if (rc)
		goto fail;
	int64_t id = sqlite3_last_insert_rowid(db->sq);
	if (id_out)
		*id_out = id;
	json_t *d = json_pack("{s:I, s:s}", "authorization", (json_int_t)id, "action", action);
	json_object_set_new(d, "limit", limit > 0 ? json_integer(limit) : json_null());
	if ((rc = wr_event_add_json(db, "authorize", d)))
		goto fail;
	return wr_tx_commit(db);
fail:
	wr_tx_rollback(db);
	return rc;
}

/* The authorization a run of `actor` may use, and how much room it has
 * (-1: unlimited). 0 when found; WR_EPERM with the reason otherwise. */
static int find_authorization(struct wr_db *db, int64_t *id, int64_t *room)
{
	bool two = wr_config_bool(wr_policy_cfg(db), "revocation", "two_person", false);
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_prepare(db, "SELECT id, max_certs - used FROM authorization"
				 " WHERE action = 'revoke' AND (max_certs IS NULL OR used < max_certs)"
				 " AND (?1 = 0 OR by_user <> ?2) ORDER BY id DESC LIMIT 1", &st)))
		return rc;
	sqlite3_bind_int(st, 1, two);
	sqlite3_bind_text(st, 2, db->actor, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		*room = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 1);
		rc = 0;
	} else if (two) {
		rc = wr_err(db, WR_EPERM,
			    "revocation needs an authorization with room left, recorded by a"
			    " Management user other than '%s' (two_person = yes):"
			    " 'warroom authorize revoke'", db->actor);
	} else {
		rc = wr_err(db, WR_EPERM,
			    "revocation needs an authorization with room left, recorded by a"
			    " Management user: 'warroom authorize revoke'");
	}
	sqlite3_finalize(st);
	return rc;
}

/* ---- delays ----------------------------------------------------------------- */

static int hold_serial(struct wr_db *db, sqlite3_stmt *st, const char *serial, int64_t until,
		       const char *rationale, int64_t *n)
{
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, until);
	sqlite3_bind_text(st, 2, rationale, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, serial, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		return wr_err_sq(db, "holding certificates");
	*n += sqlite3_changes(db->sq);
	return 0;
}

int wr_delay(struct wr_db *db, const char *customer, const char *serials_file, int64_t until,
	     const char *rationale, wr_reject_cb reject, void *ctx, int64_t *held)
{
	sqlite3_stmt *st = NULL;
	FILE *f = NULL;
	int64_t n = 0, unknown = 0;
	int rc;

	*held = 0;
	if (!!customer == !!serials_file)
		return wr_err(db, WR_EINVAL, "delay takes a customer or a file of serials");
	if (!rationale || !*rationale)
		return wr_err(db, WR_EINVAL,
			      "a delayed revocation needs its rationale (Mozilla asks for one"
			      " per subscriber)");
	if (until <= wr_clock_now(db))
		return wr_err(db, WR_EINVAL, "--until must be in the future");
	/* The user's file: read with the user's own rights (installed mode). */
	if (serials_file && !(f = wr_fopen_user(serials_file, "r")))
		return wr_err(db, WR_EIO, "%s: %s", serials_file, strerror(errno));
	if ((rc = wr_auth_team(db, "management")))
		goto out;
	if ((rc = wr_tx_begin(db)))
		goto out;
	if (customer) {
		rc = wr_prepare(db, "UPDATE cert SET hold_until = ?1, hold_reason = ?2"
				    " WHERE customer = ?3 AND revoked_at IS NULL", &st);
		if (!rc)
			rc = hold_serial(db, st, customer, until, rationale, &n);
	} else {
		rc = wr_prepare(db, "UPDATE cert SET hold_until = ?1, hold_reason = ?2"
				    " WHERE serial = ?3 AND revoked_at IS NULL", &st);
		if (!rc) {
			sqlite3_bind_int64(st, 1, until);
			sqlite3_bind_text(st, 2, rationale, -1, SQLITE_STATIC);
			rc = wr_serials_run(db, f, serials_file, st, 3,
					    "no unrevoked certificate has this serial", reject, ctx, &n,
					    &unknown);
		}
	}
	sqlite3_finalize(st);
	if (rc)
		goto fail;
	char tb[WR_TIME_BUFSZ];
	json_t *d = json_pack("{s:I, s:s, s:s}", "held", (json_int_t)n, "until",
			      wr_time_format(until, tb), "rationale", rationale);
	if (customer)
		json_object_set_new(d, "customer", json_string(customer));
	else
		json_object_set_new(d, "unknown_serials", json_integer(unknown));
	if ((rc = wr_event_add_json(db, "delay", d)))
		goto fail;
	if (customer && n == 0) {
		rc = wr_err(db, WR_ENOENT, "customer '%s' has no unrevoked certificate", customer);
		goto fail;
	}
	if ((rc = wr_tx_commit(db)))
		goto out;
	*held = n;
	if (unknown)
		rc = wr_err(db, WR_EINVAL, "%lld serials were not held", (long long)unknown);
	goto out;
fail:
	wr_tx_rollback(db);
out:
	if (f)
		fclose(f);
	return rc;
}

/* ---- the run ------------------------------------------------------------------ */

struct run {
	struct wr_db *db;
	const struct wr_revoke_opts *o;
	char claim[192];
	int64_t now, last_id, auth_id, room;
	int64_t wave; /* WR_WAVE_ALL, WR_WAVE_NONE or a wave's id */
	int incident_reason;
	struct wr_rv_item *items;
	unsigned char **ders;
	/* Per item, for the tally of a quick batch: the customer (an offset
	 * in the arena, SIZE_MAX for none) and whether it was unreplaced. */
	size_t *cust;
	bool *unreplaced;
	bool *revnow; /* record_batch: revoked by this batch */
	struct wr_buf arena; /* the batch's DER and customers, end to end */
	int64_t batch_lo;    /* the batch's items: the candidates in (batch_lo, last_id] */
	size_t n;
	/* The backend answers a batch in well under a second and repeats
	 * itself safely (wr_backend_class.quick): the batch is read, revoked
	 * and recorded under one write transaction, without a claim. */
	bool quick;
	/* 1: cert's UPDATE triggers are the shipped ones and record_bulk
	 * keeps their one count itself; -1: not, they fire; 0: not looked. */
	int own_count;
	int64_t run_id; /* its row in the run table (run.c), 0: none */
};

/* Certificates a run may take: pending, not held, not expired. With the
 * id cursor, each batch walks the table from where the last ended, so a
 * run is linear in the population. NOT INDEXED: by rowid, never by
 * cert_live_expiry (which the terms would allow), whose order would make
 * each batch sort every unexpired certificate to take the first few. */
#define CANDIDATES " FROM cert NOT INDEXED WHERE" CANDIDATE
#define CANDIDATE                                                                                 \
	" state = 'pending' AND revoked_at IS NULL"                                               \
	" AND not_after >= ?1 AND (hold_until IS NULL OR hold_until <= ?1)"                        \
	" AND (?2 IS NULL OR customer = ?2)"                                                       \
	" AND (?5 = 0 OR (?5 = -1 AND wave IS NULL) OR wave = ?5)"

static int wave_name(struct run *r, char *buf, size_t n)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_prepare(r->db, "SELECT name FROM wave WHERE id = ?", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, r->wave);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(buf, n, "%s", wr_col_text(st, 0));
	sqlite3_finalize(st);
	return 0;
}

static int count_candidates(struct run *r, int64_t *n)
{
	sqlite3_stmt *st;
	int rc;

	/* Without a customer or a wave to pick by, the candidates are the
	 * unexpired unrevoked (a range of the covering cert_live_expiry) less
	 * the few of them not pending or held, each found through its own
	 * index: the count as CANDIDATES would walk the table, a read of
	 * every row (1M: 0.7 GB, a second). Only the engine writes 'revoked',
	 * with revoked_at: a row of one without the other (a hand-made
	 * change) would count here and never be claimed, so the run ends
	 * when nothing is left to claim, a count too high being harmless. */
	bool all = !r->o->customer && r->wave == WR_WAVE_ALL;
	if ((rc = wr_prepare(
		     r->db,
		     all ? "SELECT (SELECT count(*) FROM cert INDEXED BY cert_live_expiry"
			   " WHERE revoked_at IS NULL AND not_after >= ?1)"
			   " - (SELECT count(*) FROM cert WHERE id IN"
			   " (SELECT id FROM cert WHERE state IN ('submitted', 'failed')"
			   " AND revoked_at IS NULL UNION SELECT id FROM cert INDEXED BY cert_held"
			   " WHERE revoked_at IS NULL AND hold_until > ?1) AND not_after >= ?1)"
			 : "SELECT count(*)" CANDIDATES,
		     &st)))
		return rc;
	sqlite3_bind_int64(st, 1, r->now);
	if (!all) {
		sqlite3_bind_int64(st, 5, r->wave);
		if (r->o->customer)
			sqlite3_bind_text(st, 2, r->o->customer, -1, SQLITE_STATIC);
	}
	rc = sqlite3_step(st) == SQLITE_ROW ? 0 : wr_err_sq(r->db, "counting");
	*n = rc ? 0 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

static void free_items(struct run *r)
{
	r->arena.len = 0;
	r->n = 0;
}

/* Claims up to want certificates in one transaction: they become
 * submitted under our claim, and the authorization's room shrinks. A
 * quick backend's batch is not claimed: the transaction stays open
 * through the backend's answer and record_batch, so no other run can
 * take the same certificates and each is written once, not twice (a
 * million certificates: the difference between 26 s and 9). */
/* A quick batch holds the write lock through reading, revoking and
 * recording: about a third of a second at 25,000 (a million: 40
 * transactions). Fewer, larger transactions write the pages that every
 * batch touches (cert_live_expiry's, whose entries a batch removes all
 * over the index) fewer times: 10,000 a batch took 2 s longer. */
#define QUICK_BATCH_MAX 25000
static int claim_batch(struct run *r, size_t want)
{
	sqlite3_stmt *sel = NULL, *upd = NULL;
	size_t *off = NULL;
	int rc;

	free_items(r);
	if (r->quick && want > QUICK_BATCH_MAX)
		want = QUICK_BATCH_MAX;
	if ((rc = wr_tx_begin(r->db)))
		return rc;
	r->batch_lo = r->last_id;
	if (!(off = malloc((want ? want : 1) * sizeof *off))) {
		rc = wr_err(r->db, WR_ENOMEM, "out of memory");
		goto fail;
	}
	/* The DER in the same statement: a statement of its own cost a
	 * reset, a bind and a step a certificate. */
	if ((rc = wr_prepare(r->db, "SELECT id, serial, crl_reason, not_after,"
				    " (SELECT der FROM cert_der WHERE cert_id = cert.id), customer,"
				    " replaced_at IS NULL" CANDIDATES
				    " AND id > ?3 ORDER BY id LIMIT ?4", &sel)) ||
	    (!r->quick &&
	     (rc = wr_prepare(r->db, "UPDATE cert SET state = 'submitted', claim = ?1,"
				     " submitted_at = ?2, attempts = attempts + 1 WHERE id = ?3",
			      &upd))))
		goto fail;
	sqlite3_bind_int64(sel, 1, r->now);
	sqlite3_bind_int64(sel, 5, r->wave);
	if (r->o->customer)
		sqlite3_bind_text(sel, 2, r->o->customer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(sel, 3, r->last_id);
	sqlite3_bind_int64(sel, 4, (int64_t)want);
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		struct wr_rv_item *it = &r->items[r->n];
		memset(it, 0, offsetof(struct wr_rv_item, error));
		it->error[0] = '\0';
		it->cert_id = sqlite3_column_int64(sel, 0);
		/* A copy, not snprintf's format walk: a million times a run. */
		const char *sn = wr_col_text(sel, 1);
		size_t sl = sn ? (size_t)sqlite3_column_bytes(sel, 1) : 0;
		if (sl >= sizeof it->serial)
			sl = sizeof it->serial - 1;
		if (sl)
			memcpy(it->serial, sn, sl);
		it->serial[sl] = '\0';
		it->crl_reason = sqlite3_column_type(sel, 2) == SQLITE_NULL
					 ? r->incident_reason
					 : sqlite3_column_int(sel, 2);
		it->not_after = sqlite3_column_int64(sel, 3);
		/* The DER is copied into the batch's arena: its pointer in
		 * SQLite lives only until the next step. */
		off[r->n] = SIZE_MAX;
		if (sqlite3_column_type(sel, 4) != SQLITE_NULL) {
			const void *blob = sqlite3_column_blob(sel, 4);
			int len = sqlite3_column_bytes(sel, 4);
			off[r->n] = r->arena.len;
			if (len > 0 && !wr_buf_put(&r->arena, blob, (size_t)len)) {
				rc = wr_err(r->db, WR_ENOMEM, "out of memory");
				goto fail;
			}
			it->der_len = len > 0 ? (size_t)len : 0;
		}
		r->cust[r->n] = SIZE_MAX;
		if (sqlite3_column_type(sel, 5) != SQLITE_NULL) {
			const unsigned char *c = sqlite3_column_text(sel, 5);
			r->cust[r->n] = r->arena.len;
			if (!c || !wr_buf_put(&r->arena, c, (size_t)sqlite3_column_bytes(sel, 5) + 1)) {
				rc = wr_err(r->db, WR_ENOMEM, "out of memory");
				goto fail;
			}
		}
		r->unreplaced[r->n] = sqlite3_column_int(sel, 6) != 0;
		if (upd) {
			sqlite3_reset(upd);
			sqlite3_bind_text(upd, 1, r->claim, -1, SQLITE_STATIC);
			sqlite3_bind_int64(upd, 2, r->now);
			sqlite3_bind_int64(upd, 3, it->cert_id);
			if (sqlite3_step(upd) != SQLITE_DONE) {
				rc = wr_err_sq(r->db, "claiming");
				goto fail;
			}
		}
		r->last_id = it->cert_id;
		r->n++;
	}
	if (rc != SQLITE_DONE) {
		rc = wr_err_sq(r->db, "selecting certificates");
		goto fail;
	}
	for (size_t i = 0; i < r->n; i++) {
		r->ders[i] = off[i] == SIZE_MAX ? NULL : (unsigned char *)r->arena.p + off[i];
		r->items[i].der = r->items[i].der_len ? r->ders[i] : NULL;
	}
	free(off);
	off = NULL;
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	sel = upd = NULL;
	if (r->n) {
		if ((rc = wr_prepare(r->db, "UPDATE authorization SET used = used + ? WHERE id = ?",
				     &upd)))
			goto fail;
		sqlite3_bind_int64(upd, 1, (int64_t)r->n);
		sqlite3_bind_int64(upd, 2, r->auth_id);
		rc = sqlite3_step(upd) == SQLITE_DONE ? 0 : wr_err_sq(r->db, "authorization");
		sqlite3_finalize(upd);
		upd = NULL;
		if (rc)
			goto fail;
	}
	if (r->quick && r->n)
		return 0; /* record_batch commits, or rolls back */
	return wr_tx_commit(r->db);
fail:
	free(off);
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	wr_tx_rollback(r->db);
	free_items(r);
	return rc;
}

/*
 * record_bulk's UPDATE sets state, revoked_at, error, attempts and
 * submitted_at. Of the triggers on cert as the schema ships them, only
 * cert_upd_revoked fires for those columns, counting each row from
 * unrevoked to revoked: a million runs of its program, a tenth of the
 * update. When every trigger on cert is still one of these, word for
 * word, the update runs with triggers off and adds its row count to that
 * counter itself; any trigger added or changed by a later migration, or
 * by hand, makes them all fire row by row as before.
 */
static const struct {
	const char *name;
	const char *schema; /* the embedded schema or migration that makes it */
} shipped_triggers[] = {
	{"cert_ins", wr_schema_sql},		{"cert_del", wr_schema_sql},
	{"cert_upd_revoked", wr_schema_sql},	{"cert_upd_notified", wr_schema_sql},
	{"cert_upd_replaced", wr_schema_sql},	{"cert_ins_checked", wr_migrate_002},
	{"cert_del_checked", wr_migrate_002},	{"cert_upd_checked", wr_migrate_002},
	{"cert_ins_ack", wr_migrate_006},	{"cert_del_ack", wr_migrate_006},
	{"cert_upd_customer", wr_migrate_006},
};

static int count_own(struct run *r)
{
	sqlite3_stmt *st;
	int rc;

	if (r->own_count)
		return 0;
	if ((rc = wr_prepare(r->db, "SELECT name, sql FROM sqlite_schema"
				    " WHERE type = 'trigger' AND tbl_name = 'cert'", &st)))
		return rc;
	r->own_count = 1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = wr_col_text(st, 0), *sql = wr_col_text(st, 1);
		bool known = false;
		for (size_t i = 0; i < NELEM(shipped_triggers) && !known; i++)
			known = name && sql && strcmp(name, shipped_triggers[i].name) == 0 &&
				strstr(shipped_triggers[i].schema, sql);
		if (!known)
			r->own_count = -1;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : wr_err_sq(r->db, "reading cert's triggers");
}

/*
 * A quick batch is still under claim_batch's write lock: the candidates
 * of (batch_lo, last_id] are exactly its items. Those revoked now at one
 * instant, nearly all of them, are written by one UPDATE over the id
 * range, which walks the table once instead of seeking each row; the
 * rest (already revoked, failed, another instant) are left to the
 * caller, row by row. *common: the instant written, 0 when none.
 */
static int record_bulk(struct run *r, int64_t *common)
{
	struct wr_buf others = {0};
	sqlite3_stmt *st = NULL;
	int rc = 0;

	*common = 0;
	for (size_t i = 0; i < r->n && !*common; i++)
		if (r->items[i].status == WR_RV_REVOKED && r->items[i].revoked_at)
			*common = r->items[i].revoked_at;
	if (!*common)
		return 0;
	bool ok = wr_buf_put(&others, "[", 1);
	for (size_t i = 0; i < r->n && ok; i++) {
		const struct wr_rv_item *it = &r->items[i];
		if (it->status == WR_RV_REVOKED && it->revoked_at == *common)
			continue;
		char id[32];
		int len = snprintf(id, sizeof id, "%s%lld", others.len > 1 ? "," : "",
				   (long long)it->cert_id);
		ok = wr_buf_put(&others, id, (size_t)len);
	}
	if (!ok || !wr_buf_put(&others, "]", 2)) {
		wr_buf_free(&others);
		return wr_err(r->db, WR_ENOMEM, "out of memory");
	}
	if ((rc = count_own(r))) {
		wr_buf_free(&others);
		return rc;
	}
	/* The state written is the constant 'revoked', which cert's CHECK
	 * allows; SQLite would still test it a row at a time, building the IN
	 * list's table afresh for each (another tenth of the update). Both
	 * settings are read when the statement is prepared. */
	sqlite3 *sq = r->db->sq;
	sqlite3_exec(sq, "PRAGMA ignore_check_constraints = ON", NULL, NULL, NULL);
	if (r->own_count > 0)
		sqlite3_db_config(sq, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, (int *)NULL);
	if ((rc = wr_prepare(r->db, "UPDATE cert NOT INDEXED SET state = 'revoked', revoked_at = ?6,"
				    " error = NULL,"
				    " attempts = attempts + 1, submitted_at = ?1 WHERE" CANDIDATE
				    " AND id > ?3 AND id <= ?4"
				    " AND id NOT IN (SELECT j.value FROM json_each(?7) AS j)", &st)) == 0) {
		sqlite3_bind_int64(st, 1, r->now);
		if (r->o->customer)
			sqlite3_bind_text(st, 2, r->o->customer, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, r->batch_lo);
		sqlite3_bind_int64(st, 4, r->last_id);
		sqlite3_bind_int64(st, 5, r->wave);
		sqlite3_bind_int64(st, 6, *common);
		sqlite3_bind_text(st, 7, others.p, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(r->db, "recording revocations");
		sqlite3_finalize(st);
	}
	int64_t changed = rc ? 0 : sqlite3_changes64(sq);
	sqlite3_exec(sq, "PRAGMA ignore_check_constraints = OFF", NULL, NULL, NULL);
	if (r->own_count > 0) {
		sqlite3_db_config(sq, SQLITE_DBCONFIG_ENABLE_TRIGGER, 1, (int *)NULL);
		/* cert_upd_revoked's count, for every row at once. */
		if (!rc && changed &&
		    (rc = wr_prepare(r->db, "UPDATE counter SET n = n + ? WHERE name = 'revoked'",
				     &st)) == 0) {
			sqlite3_bind_int64(st, 1, changed);
			rc = sqlite3_step(st) == SQLITE_DONE ? 0
							     : wr_err_sq(r->db, "counting revocations");
			sqlite3_finalize(st);
		}
	}
	wr_buf_free(&others);
	return rc;
}

/*
 * The customers' figures for a quick batch (tally.c), summed here: its
 * rows were read by claim_batch in this same transaction, so their
 * customer and replacement are still what they were, and reading them
 * again (a list of ids through json_each, grouped) cost more than the
 * tally's writes (1M revocations at 5,000 customers: 1.5 s). A claimed
 * batch, recorded in a later transaction, is counted by id from the rows.
 */
static int tally_quick(struct run *r)
{
	struct wr_tally_rev *v = NULL;
	uint32_t *slot = NULL;
	size_t cap = 16, n = 0;
	int64_t at;
	int rc;

	if ((rc = wr_tally_at(r->db, &at)))
		return rc;
	while (cap < 2 * r->n)
		cap <<= 1;
	if (!(v = calloc(r->n ? r->n : 1, sizeof *v)) || !(slot = calloc(cap, sizeof *slot))) {
		free(v);
		return wr_err(r->db, WR_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < r->n; i++) {
		if (!r->revnow[i])
			continue;
		const char *c = r->cust[i] == SIZE_MAX ? "" : (const char *)r->arena.p + r->cust[i];
		uint64_t h = 1469598103934665603ULL; /* FNV-1a */
		for (const unsigned char *q = (const unsigned char *)c; *q; q++)
			h = (h ^ *q) * 1099511628211ULL;
		size_t k = (size_t)h & (cap - 1);
		while (slot[k] && strcmp(v[slot[k] - 1].customer, c) != 0)
			k = (k + 1) & (cap - 1);
		if (!slot[k]) {
			v[n].customer = c;
			slot[k] = (uint32_t)++n;
		}
		struct wr_tally_rev *e = &v[slot[k] - 1];
		bool expired = r->items[i].not_after < at, unrep = r->unreplaced[i];
		e->revoked++;
		e->unreplaced += unrep;
		e->expired += expired;
		e->expired_unreplaced += expired && unrep;
	}
	rc = wr_tally_revoked_sums(r->db, v, n);
	free(v);
	free(slot);
	return rc;
}

/* Commits the backend's answers for the batch, and the batch's event. */
static int record_batch(struct run *r, struct wr_revoke_progress *p, int batch_no)
{
	sqlite3_stmt *ok = NULL, *bad = NULL;
	int64_t rev = 0, already = 0, failed = 0;
	json_t *errors = json_array();
	/* A claimed batch's revoked ids, for the customers' figures
	 * (tally.c): one grouped UPDATE per batch, no trigger per row. A
	 * quick batch's are summed from its rows (tally_quick). */
	json_t *done = json_array();
	int rc;

	/* A quick batch is still in claim_batch's transaction, unclaimed. */
	if (!r->quick && (rc = wr_tx_begin(r->db)))
		goto out;
	if ((rc = wr_tally_begin(r->db)))
		goto fail;
	/* Unclaimed, the attempt is counted here (?5, ?6: quick, now). */
	if ((rc = wr_prepare(r->db, "UPDATE cert SET state = 'revoked', revoked_at = ?1,"
				    " crl_reason = coalesce(crl_reason, ?2), error = NULL, claim = NULL,"
				    " attempts = attempts + ?5, submitted_at = CASE WHEN ?5 THEN ?6"
				    " ELSE submitted_at END WHERE id = ?3 AND claim IS ?4", &ok)) ||
	    (rc = wr_prepare(r->db, "UPDATE cert SET state = 'failed', error = ?1, claim = NULL,"
				    " attempts = attempts + ?5, submitted_at = CASE WHEN ?5 THEN ?6"
				    " ELSE submitted_at END WHERE id = ?2 AND claim IS ?3", &bad)))
		goto fail;
	sqlite3_bind_int(ok, 5, r->quick);
	sqlite3_bind_int64(ok, 6, r->now);
	sqlite3_bind_int(bad, 5, r->quick);
	sqlite3_bind_int64(bad, 6, r->now);
	int64_t common = 0; /* revoked now, all at this instant: the bulk update's */
	if (r->quick && (rc = record_bulk(r, &common)))
		goto fail;
	for (size_t i = 0; i < r->n; i++) {
		struct wr_rv_item *it = &r->items[i];
		sqlite3_stmt *st;
		r->revnow[i] = false;
		if (common && it->status == WR_RV_REVOKED && it->revoked_at == common) {
			rev++; /* written by record_bulk */
			r->revnow[i] = true;
			continue;
		}
		if (it->status == WR_RV_REVOKED || it->status == WR_RV_ALREADY) {
			st = ok;
			sqlite3_reset(st);
			sqlite3_bind_int64(st, 1, it->revoked_at ? it->revoked_at : r->now);
			if (it->crl_reason == r->incident_reason)
				sqlite3_bind_null(st, 2);
			else
				sqlite3_bind_int(st, 2, it->crl_reason);
			sqlite3_bind_int64(st, 3, it->cert_id);
			if (!r->quick)
				sqlite3_bind_text(st, 4, r->claim, -1, SQLITE_STATIC);
			it->status == WR_RV_REVOKED ? rev++ : already++;
		} else {
			st = bad;
			sqlite3_reset(st);
			char *msg = wr_utf8_sanitize(it->error[0] ? it->error : "no answer",
						     strlen(it->error[0] ? it->error : "no answer"));
			sqlite3_bind_text(st, 1, msg ? msg : "?", -1, SQLITE_TRANSIENT);
			if (json_array_size(errors) < 20)
				json_array_append_new(errors, json_pack("{s:s, s:s}", "serial",
									it->serial, "error",
									msg ? msg : "?"));
			free(msg);
			sqlite3_bind_int64(st, 2, it->cert_id);
			if (!r->quick)
				sqlite3_bind_text(st, 3, r->claim, -1, SQLITE_STATIC);
			failed++;
		}
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = wr_err_sq(r->db, "recording revocations");
			goto fail;
		}
		if (st == ok && sqlite3_changes(r->db->sq) > 0)
			r->revnow[i] = true;
	}
	sqlite3_finalize(ok);
	sqlite3_finalize(bad);
	ok = bad = NULL;
	if (r->quick) {
		if ((rc = tally_quick(r)))
			goto fail;
	} else {
		for (size_t i = 0; i < r->n; i++)
			if (r->revnow[i])
				json_array_append_new(done, json_integer(r->items[i].cert_id));
		if (json_array_size(done)) {
			char *ids = json_dumps(done, JSON_COMPACT);
			rc = ids ? wr_tally_revoked(r->db, ids)
				 : wr_err(r->db, WR_ENOMEM, "out of memory");
			free(ids);
			if (rc)
				goto fail;
		}
	}
	json_t *d = json_pack("{s:i, s:I, s:I, s:I, s:s, s:s}", "batch", batch_no, "revoked",
			      (json_int_t)rev, "already", (json_int_t)already, "failed",
			      (json_int_t)failed, "first", r->items[0].serial, "last",
			      r->items[r->n - 1].serial);
	if (failed)
		json_object_set_new(d, "errors", errors);
	else
		json_decref(errors);
	errors = NULL;
	if ((rc = wr_event_add_json(r->db, "revoke-batch", d)))
		goto fail;
	if ((rc = wr_tx_commit(r->db)))
		goto out;
	p->revoked += rev;
	p->already += already;
	p->failed += failed;
	p->done += (int64_t)r->n;
	goto out;
fail:
	sqlite3_finalize(ok);
	sqlite3_finalize(bad);
	wr_tx_rollback(r->db);
out:
	json_decref(errors);
	json_decref(done);
	return rc;
}

/* Takes back what dead runs left submitted, and queues the failures of
 * earlier runs again. */
static int requeue(struct run *r, int64_t *reclaimed)
{
	int rc;

	sqlite3_create_function(r->db->sq, "wr_claim_dead", 2, SQLITE_UTF8, NULL, sql_claim_dead,
				NULL, NULL);
	if ((rc = wr_tx_begin(r->db)))
		return rc;
	if ((rc = wr_exec(r->db, "UPDATE cert SET state = 'pending', claim = NULL"
				 " WHERE state IN ('submitted', 'failed') AND state = 'submitted'"
				 " AND wr_claim_dead(claim, submitted_at)")))
		goto fail;
	*reclaimed = sqlite3_changes(r->db->sq);
	if ((rc = wr_exec(r->db, "UPDATE cert SET state = 'pending'"
				 " WHERE state IN ('submitted', 'failed') AND state = 'failed'")))
		goto fail;
	if (*reclaimed) {
		json_t *d = json_pack("{s:I}", "reclaimed", (json_int_t)*reclaimed);
		if ((rc = wr_event_add_json(r->db, "revoke-reclaim", d)))
			goto fail;
	}
	return wr_tx_commit(r->db);
fail:
	wr_tx_rollback(r->db);
	return rc;
}

static int load_incident(struct run *r)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_prepare(r->db, "SELECT state, crl_reason FROM incident WHERE id = 1", &st)))
		return rc;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return wr_err(r->db, WR_ENOTWR, "the database holds no incident");
	}
	const char *state = wr_col_text(st, 0);
	if (strcmp(state, WR_STATE_DECLARED) != 0) {
		rc = wr_err(r->db, WR_ESTATE,
			    "the incident is %s: revocation runs once the MRE is declared"
			    " ('warroom declare')", state);
	}
	r->incident_reason = sqlite3_column_type(st, 1) == SQLITE_NULL ? WR_CRL_OMIT
									: sqlite3_column_int(st, 1);
	sqlite3_finalize(st);
	return rc;
}

int wr_revoke_run(struct wr_db *db, const struct wr_revoke_opts *o, wr_progress_cb cb,
		  void *ctx, struct wr_revoke_progress *p)
{
	struct run r = {.db = db, .o = o};
	const char *bname = wr_config_get(db->cfg, "revocation", "backend");
	const struct wr_backend_class *bc;
	struct wr_backend *b = NULL;
	struct wr_tuning tu = {0};
	char err[512] = "";
	double t0 = mono();
	int rc, batch_no = 0;
	size_t batch;
	int64_t per_second = wr_config_int(db->cfg, "revocation", "per_second", 0);

	memset(p, 0, sizeof *p);
	if (!bname)
		bname = "local";
	p->backend = bname;
	if (!(bc = backend_find(bname)))
		return wr_err(db, WR_EINVAL, "unknown backend '%s'", bname);
	batch = o->batch > 0 ? (size_t)o->batch
			     : (size_t)wr_config_int(db->cfg, "revocation", "batch",
						     bc->quick ? QUICK_BATCH_MAX : 1000);
	if (batch < 1 || batch > 100000)
		return wr_err(db, WR_EINVAL, "[revocation] batch must be 1 to 100000");
	/* An exercise revokes only on its own test CA. */
	if ((rc = wr_exercise_check_backend(db, bname)))
		return rc;
	if ((rc = wr_auth_team(db, "revocation")) || (rc = load_incident(&r)))
		return rc;
	r.now = wr_clock_now(db);
	wr_claim_self(r.claim, sizeof r.claim);
	if ((rc = find_authorization(db, &r.auth_id, &r.room)))
		return rc;
	if ((rc = wr_wave_pick(db, o->wave, r.now, &r.wave)))
		return rc;
	if (r.wave > 0 && (rc = wave_name(&r, p->wave, sizeof p->wave)))
		return rc;
	if (r.wave == WR_WAVE_NONE)
		snprintf(p->wave, sizeof p->wave, "(no wave)");
	if (o->dry_run) {
		/* What a run would take, without changing anything. */
		int64_t failed = 0;
		if ((rc = count_candidates(&r, &p->total)) ||
		    (rc = wr_query_int(db, "SELECT count(*) FROM cert WHERE state IN"
					   " ('submitted', 'failed')", &failed)))
			return rc;
		p->total += failed;
	} else {
		if ((rc = requeue(&r, &p->reclaimed)) || (rc = count_candidates(&r, &p->total)))
			return rc;
	}
	if (o->limit > 0 && p->total > o->limit)
		p->total = o->limit;
	if (r.room >= 0 && p->total > r.room)
		p->total = r.room;
	if (o->dry_run)
		return 0;
	if ((rc = bc->open(db, db->cfg, &b, err, sizeof err)))
		return wr_err(db, rc < 0 ? rc : WR_ERROR, "backend %s: %s", bname, err);
	/* Every console shows the run, and may pause or cancel it between
	 * batches. Bookkeeping only: without its row the revocation goes on. */
	char what[256];
	snprintf(what, sizeof what, "through the %s backend%s%s%s%.100s", bname,
		 p->wave[0] ? ", wave " : "", p->wave, o->customer ? ", customer " : "",
		 o->customer ? o->customer : "");
	if (wr_run_begin(db, "revoke", what, p->total, &r.run_id))
		r.run_id = 0;
	r.quick = bc->quick;
	/* A batch rewrites its rows and removes their entries all over
	 * cert_live_expiry (15 MB at a million): with SQLite's 2 MB cache
	 * those pages were read again for every few rows (0.75 GB of reads a
	 * million), and a checkpoint after every commit copied the same index
	 * pages forty times. 32 MB and a checkpoint every 80 MB of WAL. */
	wr_tune_begin(db, &tu, 32768, 20000);
	r.items = calloc(batch, sizeof *r.items);
	r.ders = calloc(batch, sizeof *r.ders);
	r.cust = calloc(batch, sizeof *r.cust);
	r.unreplaced = calloc(batch, sizeof *r.unreplaced);
	r.revnow = calloc(batch, sizeof *r.revnow);
	if (!r.items || !r.ders || !r.cust || !r.unreplaced || !r.revnow) {
		rc = wr_err(db, WR_ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		int64_t left = p->total - p->done;
		if (left <= 0)
			break;
		/* Between batches, nothing claimed: a pause waits here (left
		 * out of the elapsed time and the rate cap), a cancel ends the
		 * run and the rest stays pending for the next. */
		double paused = mono();
		if (wr_run_check(db, r.run_id, p->cancelled_by) == WR_RUN_STOP) {
			p->cancelled = true;
			break;
		}
		t0 += mono() - paused;
		/* Re-read the room: another run may have used the same one. */
		if ((rc = find_authorization(db, &r.auth_id, &r.room)))
			goto out;
		size_t want = batch;
		if (per_second > 0 && (int64_t)want > per_second)
			want = (size_t)per_second; /* a batch a second at most */
		if ((int64_t)want > left)
			want = (size_t)left;
		if (r.room >= 0 && (int64_t)want > r.room)
			want = (size_t)r.room;
		double t1 = mono();
		if ((rc = claim_batch(&r, want)))
			goto out;
		double t2 = mono();
		p->read_s += t2 - t1;
		if (r.n == 0)
			break; /* another run took the rest */
		err[0] = '\0';
		/* An exercise's fault (inject.c): the backend is down, and each
		 * item fails as a refusal would; the next run tries it again. */
		int64_t down = 0;
		if (wr_fault_active(db, "backend", wr_clock_now(db), &down) > 0) {
			char ub[WR_TIME_BUFSZ];
			for (size_t i = 0; i < r.n; i++) {
				r.items[i].status = WR_RV_FAILED;
				snprintf(r.items[i].error, sizeof r.items[i].error,
					 "the revocation backend is unavailable (exercise fault"
					 " until %s)", wr_time_format(down, ub));
			}
		} else if ((rc = bc->revoke(b, r.items, r.n, err, sizeof err))) {
			/* Outcome unknown: the items stay submitted under our
			 * claim (a quick batch: pending), and the next run
			 * submits them again. */
			if (r.quick)
				wr_tx_rollback(db);
			rc = wr_err(db, WR_EIO, "backend %s: %s", bname, err[0] ? err : "failed");
			goto out;
		}
		double t3 = mono();
		p->backend_s += t3 - t2;
		if ((rc = record_batch(&r, p, ++batch_no)))
			goto out;
		p->record_s += mono() - t3;
		for (size_t i = 0; i < r.n; i++)
			if (r.items[i].status == WR_RV_FAILED)
				snprintf(err, sizeof err, "%s: %s", r.items[i].serial,
					 r.items[i].error);
		p->last_error = err[0] ? err : NULL;
		p->elapsed = mono() - t0;
		if (cb)
			cb(p, ctx);
		wr_run_progress(db, r.run_id, p->done, p->failed, p->last_error);
		/* The rate cap: a CA whose signing or OCSP pipeline cannot
		 * take the full rate sets [revocation] per_second. */
		if (per_second > 0 && p->done < p->total) {
			double ahead = (double)p->done / (double)per_second - (mono() - t0);
			if (ahead > 0) {
				struct timespec ts = {(time_t)ahead,
						      (long)((ahead - (double)(time_t)ahead) * 1e9)};
				nanosleep(&ts, NULL);
			}
		}
	}
	double t4 = mono();
	/* The publication reads the CA's record, not the incident: the
	 * batches' buffers and the incident's page cache (cache_kib above)
	 * go first, so that its memory and theirs do not add up. */
	free(r.items);
	free(r.ders);
	free(r.cust);
	free(r.unreplaced);
	free(r.revnow);
	r.items = NULL, r.ders = NULL, r.cust = NULL, r.unreplaced = NULL, r.revnow = NULL;
	wr_buf_free(&r.arena);
	sqlite3_db_release_memory(db->sq);
	/* An exercise's OCSP lag (inject.c): status goes out late, with the
	 * first publication after the lag (the next run, or crl). */
	int64_t lag_until = 0;
	bool lagging = bc->publish && (p->revoked || p->already) &&
		       wr_fault_active(db, "ocsp-lag", wr_clock_now(db), &lag_until) > 0;
	if (bc->publish && (p->revoked || p->already) && !lagging &&
	    (rc = bc->publish(b, wr_clock_now(db), err, sizeof err))) {
		rc = wr_err(db, rc < 0 ? rc : WR_ERROR, "backend %s: publishing: %s", bname, err);
		goto out;
	}
	p->publish_s = mono() - t4;
	p->elapsed = mono() - t0;
	if ((rc = wr_tx_begin(db)) == 0) {
		json_t *d = json_pack("{s:s, s:I, s:I, s:I, s:I, s:f}", "backend", bname, "revoked",
				      (json_int_t)p->revoked, "already", (json_int_t)p->already,
				      "failed", (json_int_t)p->failed, "authorization",
				      (json_int_t)r.auth_id, "seconds", p->elapsed);
		if (p->wave[0])
			json_object_set_new(d, "wave", json_string(p->wave));
		if (lagging) {
			char lb[WR_TIME_BUFSZ];
			json_object_set_new(d, "publication_deferred_until",
					    json_string(wr_time_format(lag_until, lb)));
		}
		if (p->cancelled)
			json_object_set_new(d, "cancelled_by", json_string(p->cancelled_by));
		if ((rc = wr_event_add_json(db, "revoke", d)) == 0)
			rc = wr_tx_commit(db);
		else
			wr_tx_rollback(db);
	}
out:
	wr_tune_end(db, &tu);
	wr_run_end(db, r.run_id, rc ? "failed" : p->cancelled ? "cancelled" : "done");
	free_items(&r);
	free(r.items);
	free(r.ders);
	free(r.cust);
	free(r.unreplaced);
	free(r.revnow);
	wr_buf_free(&r.arena);
	if (b)
		bc->close(b);
	p->last_error = NULL;
	return rc;
}

int wr_published_get(struct wr_db *db, struct wr_published *p)
{
	sqlite3_stmt *st;
	int rc;

	memset(p, 0, sizeof *p);
	if ((rc = wr_prepare(db, "SELECT checked_at, on_crl, ocsp_confirmed, ocsp_sampled,"
				 " problems FROM publication ORDER BY id DESC LIMIT 1", &st)))
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW) {
		p->checked_at = sqlite3_column_int64(st, 0);
		p->on_crl = sqlite3_column_int64(st, 1);
		p->ocsp_confirmed = sqlite3_column_int64(st, 2);
		p->ocsp_sampled = sqlite3_column_int64(st, 3);
		p->problems = sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	/* A revocation after the last verify is not proven yet (the index
	 * cert_revoked_at makes this a range count; never verified, the
	 * counter has them all). */
	if ((rc = wr_prepare(db, p->checked_at ? "SELECT count(*) FROM cert WHERE revoked_at IS NOT"
						 " NULL AND revoked_at > ?"
					       : "SELECT n FROM counter WHERE name = 'revoked'",
			     &st)))
		return rc;
	if (p->checked_at)
		sqlite3_bind_int64(st, 1, p->checked_at);
	if (sqlite3_step(st) == SQLITE_ROW)
		p->revoked_since = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	p->stale = p->revoked_since > 0;
	return 0;
}
