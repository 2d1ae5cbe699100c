/*
 * tally.c: each customer's figures kept in customer_tally (migration 10),
 * so that the Customer Relations and Replacement panes read a few
 * thousand rows a frame instead of grouping a million certificates
 * (1.4 s at 1M: customer.c's GROUP BY, still the reference).
 *
 * Why a table kept by the writers, and not:
 *  - triggers on cert, as the counter table has: the revocation engine
 *    writes up to 25,000 rows a statement (revoke.c, record_bulk), and a
 *    per-row trigger would add a B-tree write to each, where one grouped
 *    UPDATE per batch adds a few hundred (one per customer of the batch);
 *  - a cache on the handle refreshed when a change marker moves: during a
 *    revocation the marker moves with every batch, several times a
 *    second, and each refresh would be the whole GROUP BY again.
 * The few core functions that change the facts counted here apply their
 * change as one grouped statement per batch, in their own transaction:
 * import (the rows added), the customer list (counted afresh: it moves
 * certificates between customers), notify, replacements linked, probe,
 * and the engine's batch record. wr_tally_begin, in each of those
 * transactions, first checks the tally's sums against the trigger-kept
 * counters: a writer that went around the core (the sqlite3 shell, an
 * older binary) shows as a mismatch, and the tally is counted afresh
 * there. Readers that find a mismatch read the tally anyway and say it is
 * stale (the pane marks it; `customers` falls back to the GROUP BY).
 *
 * Expiry moves with the clock alone: expired and expired_live are counted
 * at one instant (customer_tally_clock.at), which each writer moves to its
 * now (wr_tally_begin), and a reader adds what expired between at and its
 * own now: a range of the partial index cert_live_expiry, a few rows.
 *
 * Each tally write also stamps the counters it leaves
 * (customer_tally_clock.counts): a reader whose counters equal the stamp
 * knows the tally agrees without adding it up.
 *
 * The cost is one tally row written per customer a batch touches: a few
 * for a batch of one customer's certificates, but every customer when a
 * batch spreads over all of them (bench/revoke.sh's synthetic population
 * deals 1M certificates round-robin to 5,000 customers: each of the
 * local backend's 40 batches of 25,000 upserts the 5,000 rows). The
 * engine sums a quick batch per customer itself, from the rows it read
 * (wr_tally_revoked_sums), rather than reading them again by id.
 * Folding the engine's batches into the tally once a second instead of
 * once a batch would bound the rest; it needs the readers to accept a
 * known lag (the unfolded count in the clock row) and a dead engine's
 * unfolded batches to be recounted, and is left for later.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Every column of the tally adds what a statement gives for it. */
#define UPSERT                                                                                     \
	" ON CONFLICT(customer) DO UPDATE SET"                                                     \
	" certificates = certificates + excluded.certificates,"                                    \
	" notified = notified + excluded.notified, revoked = revoked + excluded.revoked,"          \
	" replaced = replaced + excluded.replaced, issued = issued + excluded.issued,"             \
	" deployed = deployed + excluded.deployed,"                                                \
	" unreachable = unreachable + excluded.unreachable, live = live + excluded.live,"          \
	" expired = expired + excluded.expired,"                                                   \
	" expired_live = expired_live + excluded.expired_live"

/* Revocations change these columns alone. Naming only them lets SQLite
 * leave customer_tally_unacked (on certificates and notified) alone: half
 * the cost of a batch's update at 5,000 customers a batch. */
#define UPSERT_REVOKED                                                                             \
	" ON CONFLICT(customer) DO UPDATE SET revoked = revoked + excluded.revoked,"               \
	" live = live + excluded.live, expired = expired + excluded.expired,"                      \
	" expired_live = expired_live + excluded.expired_live"

/* The rows' contribution, times ?1 (1 or -1), expiry at ?2; the rows are
 * chosen by a WHERE on cert c with ?3. */
#define ROWS_HEAD                                                                                  \
	"INSERT INTO customer_tally(customer, certificates, notified, revoked, replaced, issued,"  \
	" deployed, unreachable, live, expired, expired_live)"                                     \
	" SELECT coalesce(c.customer, ''), ?1 * count(*), ?1 * count(c.notified_at),"              \
	" ?1 * count(c.revoked_at), ?1 * count(c.replaced_at), ?1 * count(r.cert_id),"             \
	" ?1 * coalesce(sum(p.deployed), 0), ?1 * coalesce(sum(p.unreachable), 0),"                \
	" ?1 * coalesce(sum(c.replaced_at IS NULL AND c.revoked_at IS NULL), 0),"                  \
	" ?1 * coalesce(sum(c.revoked_at IS NULL AND c.not_after < ?2), 0),"                       \
	" ?1 * coalesce(sum(c.revoked_at IS NULL AND c.replaced_at IS NULL"                        \
	" AND c.not_after < ?2), 0)"                                                               \
	" FROM cert c LEFT JOIN replacement r ON r.cert_id = c.id"                                 \
	" LEFT JOIN probe_cert p ON p.cert_id = c.id WHERE "

static const char *const rows_where[] = {
	[WR_TALLY_IDS] = "c.id IN (SELECT j.value FROM json_each(?3) AS j)",
	[WR_TALLY_AFTER_ID] = "c.id > ?3",
	[WR_TALLY_CUSTOMER] = "c.customer = ?3",
	[WR_TALLY_ALL] = "?3 IS NULL",
};

sqlite3_stmt *wr_tally_stmt(struct wr_db *db, int slot, const char *sql)
{
	sqlite3_stmt **st = &db->tally_st[slot];

	if (*st) {
		sqlite3_reset(*st);
		sqlite3_clear_bindings(*st);
		return *st;
	}
	if (sqlite3_prepare_v3(db->sq, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
		wr_err_sq(db, "preparing");
		sqlite3_finalize(*st);
		*st = NULL;
	}
	return *st;
}

void wr_tally_free(struct wr_db *db)
{
	for (int i = 0; i < WR_TALLY_STMTS; i++) {
		sqlite3_finalize(db->tally_st[i]);
		db->tally_st[i] = NULL;
	}
	for (int i = 0; i < 2; i++)
		wr_top_cache_clear(&db->top_cache[i]);
}

/* The counters checked, in this order, as the stamp keeps them. */
#define NSUMS 7
static const char *const names[NSUMS] = {"affected",	       "notified",
					 "revoked",	       "replaced",
					 "replacement_issued", "replacement_deployed",
					 "unreachable"};
#define COUNT(k) "coalesce((SELECT n FROM counter WHERE name = '" k "'), 0)"

/* After a tally write, in its transaction: the counters as they are now
 * that the tally agrees with them. */
static int stamp(struct wr_db *db)
{
	return wr_exec(db, "UPDATE customer_tally_clock SET counts = " COUNT("affected") " || ','"
			   " || " COUNT("notified") " || ',' || " COUNT("revoked") " || ','"
			   " || " COUNT("replaced") " || ',' || " COUNT("replacement_issued")
			   " || ',' || " COUNT("replacement_deployed") " || ','"
			   " || " COUNT("unreachable") " WHERE one = 1");
}

static int tally_at(struct wr_db *db, int64_t *at)
{
	return wr_query_int(db, "SELECT at FROM customer_tally_clock WHERE one = 1", at);
}

int wr_tally_at(struct wr_db *db, int64_t *at)
{
	return tally_at(db, at);
}

int wr_tally_rows(struct wr_db *db, enum wr_tally_sel sel, const char *text, int64_t id, int sign)
{
	char sql[sizeof ROWS_HEAD + 160 + sizeof UPSERT];
	sqlite3_stmt *st;
	int64_t at;
	int rc;

	if ((rc = tally_at(db, &at)))
		return rc;
	snprintf(sql, sizeof sql, "%s%s GROUP BY 1%s", ROWS_HEAD, rows_where[sel], UPSERT);
	if ((rc = wr_prepare(db, sql, &st)))
		return rc;
	sqlite3_bind_int(st, 1, sign);
	sqlite3_bind_int64(st, 2, at);
	if (sel == WR_TALLY_AFTER_ID)
		sqlite3_bind_int64(st, 3, id);
	else if (sel != WR_TALLY_ALL)
		sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "keeping the customers' figures");
	sqlite3_finalize(st);
	return rc || sign < 0 ? rc : stamp(db);
}

int wr_tally_revoked(struct wr_db *db, const char *ids_json)
{
	sqlite3_stmt *st;
	int64_t at;
	int rc;

	/* The engine takes only unrevoked certificates (revoke.c's
	 * CANDIDATE): those of the list revoked now were not before. */
	if ((rc = tally_at(db, &at)) ||
	    (rc = wr_prepare(db,
			     "INSERT INTO customer_tally(customer, revoked, live, expired, expired_live)"
			     " SELECT coalesce(customer, ''), count(*), -sum(replaced_at IS NULL),"
			     " -sum(not_after < ?2), -sum(replaced_at IS NULL AND not_after < ?2)"
			     " FROM cert WHERE id IN (SELECT j.value FROM json_each(?1) AS j)"
			     " AND revoked_at IS NOT NULL GROUP BY 1" UPSERT_REVOKED,
			     &st)))
		return rc;
	sqlite3_bind_text(st, 1, ids_json, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, at);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "keeping the customers' figures");
	sqlite3_finalize(st);
	return rc ? rc : stamp(db);
}

int wr_tally_revoked_sums(struct wr_db *db, const struct wr_tally_rev *v, size_t n)
{
	sqlite3_stmt *st;
	int rc = 0;

	if (!n)
		return 0;
	if ((rc = wr_prepare(db,
			     "INSERT INTO customer_tally(customer, revoked, live, expired, expired_live)"
			     " VALUES (?1, ?2, -?3, -?4, -?5)" UPSERT_REVOKED,
			     &st)))
		return rc;
	for (size_t i = 0; i < n && !rc; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, v[i].customer, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, v[i].revoked);
		sqlite3_bind_int64(st, 3, v[i].unreplaced);
		sqlite3_bind_int64(st, 4, v[i].expired);
		sqlite3_bind_int64(st, 5, v[i].expired_unreplaced);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = wr_err_sq(db, "keeping the customers' figures");
	}
	sqlite3_finalize(st);
	return rc ? rc : stamp(db);
}

int wr_tally_notified(struct wr_db *db, const char *customer, int64_t n)
{
	sqlite3_stmt *st;
	int rc;

	if (!n)
		return 0;
	if ((rc = wr_prepare(db, "INSERT INTO customer_tally(customer, notified) VALUES (?1, ?2)" UPSERT,
			     &st)))
		return rc;
	sqlite3_bind_text(st, 1, customer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, n);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "keeping the customers' figures");
	sqlite3_finalize(st);
	return rc ? rc : stamp(db);
}

int wr_tally_mark(struct wr_db *db, int64_t *hw)
{
	return wr_query_int(db, "SELECT coalesce(max(id), 0) FROM cert", hw);
}

int wr_tally_added(struct wr_db *db, int64_t *hw)
{
	int rc;

	if ((rc = wr_tally_rows(db, WR_TALLY_AFTER_ID, NULL, *hw, 1)))
		return rc;
	return wr_tally_mark(db, hw);
}

/* Moves the instant of expired and expired_live to now: adds (or, the
 * clock gone back, takes away) what expired in between. */
static int advance(struct wr_db *db, int64_t now)
{
	sqlite3_stmt *st;
	int64_t at;
	int rc;

	if ((rc = tally_at(db, &at)) || at == now)
		return rc;
	if ((rc = wr_prepare(db,
			     "INSERT INTO customer_tally(customer, expired, expired_live)"
			     " SELECT coalesce(customer, ''), ?1 * count(*), ?1 * sum(replaced_at IS NULL)"
			     " FROM cert INDEXED BY cert_live_expiry WHERE revoked_at IS NULL"
			     " AND not_after >= ?2 AND not_after < ?3 GROUP BY 1" UPSERT,
			     &st)))
		return rc;
	sqlite3_bind_int(st, 1, now > at ? 1 : -1);
	sqlite3_bind_int64(st, 2, now > at ? at : now);
	sqlite3_bind_int64(st, 3, now > at ? now : at);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "keeping the customers' figures");
	sqlite3_finalize(st);
	if (rc || (rc = wr_prepare(db, "UPDATE customer_tally_clock SET at = ? WHERE one = 1", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, now);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "keeping the customers' figures");
	sqlite3_finalize(st);
	return rc;
}

/*
 * Whether the tally's sums equal the counters that triggers keep (every
 * certificate is in one row, '' for none). The handle remembers the
 * counters of the last agreement: a frame whose counters are the same
 * needs no sum (a few thousand rows). A missing tally (a database made
 * between its reservation and this migration) disagrees.
 */
int wr_tally_check(struct wr_db *db, bool *ok)
{
	int64_t cnt[NSUMS] = {0}, sum[NSUMS] = {0};
	char counts[NSUMS * 21 + 1];
	sqlite3_stmt *st;
	int rc;

	*ok = false;
	if (!(st = wr_tally_stmt(db, 0, "SELECT name, n FROM counter")))
		return WR_EDB;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = wr_col_text(st, 0);
		for (int i = 0; i < NSUMS; i++)
			if (k && strcmp(k, names[i]) == 0)
				cnt[i] = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return wr_err_sq(db, "reading the counters");
	if (db->tally_ok.valid && memcmp(db->tally_ok.n, cnt, sizeof cnt) == 0) {
		*ok = true;
		return 0;
	}
	db->tally_ok.valid = false;
	/* The counters as the last tally write left them: no sum needed. */
	size_t k = 0;
	for (int i = 0; i < NSUMS; i++)
		k += (size_t)snprintf(counts + k, sizeof counts - k, "%s%lld", i ? "," : "",
				      (long long)cnt[i]);
	if ((st = wr_tally_stmt(db, 4, "SELECT counts FROM customer_tally_clock WHERE one = 1"))) {
		bool same = sqlite3_step(st) == SQLITE_ROW && wr_col_text(st, 0) &&
			    strcmp(wr_col_text(st, 0), counts) == 0;
		sqlite3_reset(st);
		if (same) {
			*ok = db->tally_ok.valid = true;
			memcpy(db->tally_ok.n, cnt, sizeof cnt);
			return 0;
		}
	}
	/* Else the sums: a write that changed nothing counted agrees still. */
	if (sqlite3_prepare_v2(db->sq,
			       "SELECT total(certificates), total(notified), total(revoked),"
			       " total(replaced), total(issued), total(deployed), total(unreachable),"
			       " (SELECT count(*) FROM customer_tally_clock) FROM customer_tally",
			       -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return 0; /* no tally: stale */
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < NSUMS; i++)
			sum[i] = (int64_t)sqlite3_column_double(st, i);
		*ok = memcmp(sum, cnt, sizeof sum) == 0 && sqlite3_column_int(st, NSUMS) == 1;
	}
	sqlite3_finalize(st);
	if (*ok) {
		db->tally_ok.valid = true;
		memcpy(db->tally_ok.n, cnt, sizeof cnt);
	}
	return 0;
}

/* Every customer has a row, its flags as its customer row's. */
#define FLAGS                                                                                      \
	"INSERT OR IGNORE INTO customer_tally(customer) SELECT name FROM customer;"                \
	" UPDATE customer_tally SET listed = EXISTS (SELECT 1 FROM customer cu"                    \
	" WHERE cu.name = customer_tally.customer),"                                               \
	" critical = coalesce((SELECT cu.critical FROM customer cu"                                \
	" WHERE cu.name = customer_tally.customer), 0),"                                           \
	" acked = coalesce((SELECT cu.acknowledged_at IS NOT NULL FROM customer cu"                \
	" WHERE cu.name = customer_tally.customer), 0)"

/* Counted afresh at now, in the caller's transaction. */
static int recount(struct wr_db *db, int64_t now)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_exec(db, "DELETE FROM customer_tally")) ||
	    (rc = wr_prepare(db, "INSERT OR REPLACE INTO customer_tally_clock(one, at) VALUES (1, ?)",
			     &st)))
		return rc;
	sqlite3_bind_int64(st, 1, now);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "recounting the customers");
	sqlite3_finalize(st);
	db->tally_ok.valid = false;
	if (rc || (rc = wr_tally_rows(db, WR_TALLY_ALL, NULL, 0, 1)))
		return rc;
	return wr_exec(db, FLAGS);
}

int wr_tally_flags(struct wr_db *db, const char *customer, int critical, int acked)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_prepare(db,
			     "INSERT INTO customer_tally(customer, critical, acked, listed)"
			     " VALUES (?1, max(?2, 0), max(?3, 0), 1)"
			     " ON CONFLICT(customer) DO UPDATE SET listed = 1,"
			     " critical = CASE WHEN ?2 < 0 THEN critical ELSE ?2 END,"
			     " acked = CASE WHEN ?3 < 0 THEN acked ELSE ?3 END",
			     &st)))
		return rc;
	sqlite3_bind_text(st, 1, customer, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, critical < 0 ? -1 : critical != 0);
	sqlite3_bind_int(st, 3, acked < 0 ? -1 : acked != 0);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "keeping the customers' figures");
	sqlite3_finalize(st);
	return rc;
}

int wr_tally_recount(struct wr_db *db)
{
	return recount(db, wr_clock_now(db));
}

int wr_tally_begin(struct wr_db *db)
{
	int64_t now = wr_clock_now(db);
	bool ok;
	int rc;

	if ((rc = wr_tally_check(db, &ok)))
		return rc;
	if (ok)
		return (rc = advance(db, now)) ? rc : stamp(db);
	db->tally_recounts++;
	return recount(db, now);
}

/* A row that says something (one of nothing, whether there or not, is the
 * same figures). */
#define NONZERO                                                                                    \
	"(certificates <> 0 OR notified <> 0 OR revoked <> 0 OR replaced <> 0 OR issued <> 0"      \
	" OR deployed <> 0 OR unreachable <> 0 OR live <> 0 OR expired <> 0 OR expired_live <> 0"  \
	" OR critical <> 0 OR acked <> 0 OR listed <> 0)"

int wr_customer_recount(struct wr_db *db, int64_t *customers, int64_t *differed)
{
	int64_t now = wr_clock_now(db);
	int rc;

	/* Anyone who may write may recount: it changes no fact, only how
	 * fast the facts are read. */
	*customers = *differed = 0;
	/* The kept figures, brought to now, against a fresh count. */
	if ((rc = wr_exec(db, "DROP TABLE IF EXISTS temp.tally_kept")) ||
	    (rc = wr_tx_begin(db)))
		return rc;
	bool ok = false;
	if ((rc = wr_tally_check(db, &ok)) || (ok && (rc = advance(db, now))) ||
	    (rc = wr_exec(db, "CREATE TEMP TABLE tally_kept AS SELECT * FROM customer_tally"
			      " WHERE " NONZERO)) ||
	    (rc = recount(db, now)) ||
	    (rc = wr_query_int(db, "SELECT count(*) FROM customer_tally", customers)) ||
	    (rc = wr_query_int(db,
			       "SELECT count(DISTINCT customer) FROM ("
			       "SELECT * FROM (SELECT * FROM temp.tally_kept"
			       " EXCEPT SELECT * FROM customer_tally WHERE " NONZERO ")"
			       " UNION ALL SELECT * FROM (SELECT * FROM customer_tally WHERE " NONZERO
			       " EXCEPT SELECT * FROM temp.tally_kept))",
			       differed)))
		goto fail;
	json_t *d = json_pack("{s:I, s:I}", "customers", (json_int_t)*customers, "differed",
			      (json_int_t)*differed);
	if ((rc = wr_event_add_json(db, "customers-recount", d)))
		goto fail;
	rc = wr_tx_commit(db);
	goto out;
fail:
	wr_tx_rollback(db);
out:
	wr_exec(db, "DROP TABLE IF EXISTS temp.tally_kept");
	return rc;
}
