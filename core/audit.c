/*
 * audit.c: the timeline, which is also the tamper-evident audit trail.
 *
 * Every change the core makes records an event in the same transaction:
 * time, OS user, action and JSON details. Each event's hash is
 *   SHA-256(previous hash || canonical bytes)
 * with the canonical bytes "wr-event-1" NUL id NUL at NUL actor NUL action
 * NUL details, so changing one byte of any field, deleting or reordering a
 * row breaks every link from there on; verification names the first.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int event_hash(const unsigned char prev[32], int64_t id, int64_t at, const char *actor,
		      const char *action, const char *details, unsigned char out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char num[2][24];
	int ok;

	if (!ctx)
		return WR_ENOMEM;
	int n0 = snprintf(num[0], sizeof num[0], "%lld", (long long)id);
	int n1 = snprintf(num[1], sizeof num[1], "%lld", (long long)at);
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) && EVP_DigestUpdate(ctx, prev, 32) &&
	     EVP_DigestUpdate(ctx, "wr-event-1", 11) && EVP_DigestUpdate(ctx, num[0], n0 + 1) &&
	     EVP_DigestUpdate(ctx, num[1], n1 + 1) &&
	     EVP_DigestUpdate(ctx, actor, strlen(actor) + 1) &&
	     EVP_DigestUpdate(ctx, action, strlen(action) + 1) &&
	     EVP_DigestUpdate(ctx, details, strlen(details)) &&
	     EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : WR_ERROR;
}

int wr_event_add(struct wr_db *db, const char *action, const char *details)
{
	static const unsigned char zero[32];
	unsigned char prev[32], hash[32];
	int64_t id = 1, at = wr_clock_now(db);
	sqlite3_stmt *st;
	int rc;

	if (db->tx_depth <= 0)
		return wr_err(db, WR_ERROR, "event '%s' recorded outside a transaction", action);
	if (!details || !*details)
		details = "{}";
	memcpy(prev, zero, 32);
	if ((rc = wr_prepare(db, "SELECT id, hash FROM event ORDER BY id DESC LIMIT 1", &st)))
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0) + 1;
		if (sqlite3_column_bytes(st, 1) == 32)
			memcpy(prev, sqlite3_column_blob(st, 1), 32);
	}
	sqlite3_finalize(st);
	if ((rc = event_hash(prev, id, at, db->actor, action, details, hash)))
		return wr_err(db, rc, "hashing event");
	if ((rc = wr_prepare(db, "INSERT INTO event(id, at, actor, action, details, hash) "
				 "VALUES (?, ?, ?, ?, ?, ?)", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_text(st, 3, db->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, details, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, hash, 32, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "recording event");
	sqlite3_finalize(st);
	return rc;
}

int wr_event_add_json(struct wr_db *db, const char *action, json_t *details)
{
	char *s = details ? json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int rc;

	json_decref(details);
	if (!s)
		return wr_err(db, WR_ENOMEM, "encoding event details");
	rc = wr_event_add(db, action, s);
	free(s);
	return rc;
}

int wr_event_foreach(struct wr_db *db, int64_t limit, bool newest_first, const char *match,
		     wr_event_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	char sql[256];
	int rc;

	/* The newest `limit` events, shown in the order asked. */
	snprintf(sql, sizeof sql,
		 "SELECT * FROM (SELECT id, at, actor, action, details, hash FROM event"
		 " WHERE ?1 IS NULL OR instr(actor || ' ' || action || ' ' || details, ?1) > 0"
		 " ORDER BY id DESC LIMIT ?2) ORDER BY id %s",
		 newest_first ? "DESC" : "ASC");
	if ((rc = wr_prepare(db, sql, &st)))
		return rc;
	if (match && *match)
		sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct wr_event e = {
			.id = sqlite3_column_int64(st, 0),
			.at = sqlite3_column_int64(st, 1),
			.actor = wr_col_text(st, 2),
			.action = wr_col_text(st, 3),
			.details = wr_col_text(st, 4),
		};
		if (sqlite3_column_bytes(st, 5) == 32)
			memcpy(e.hash, sqlite3_column_blob(st, 5), 32);
		if ((rc = cb(&e, ctx))) {
			sqlite3_finalize(st);
			return rc;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : wr_err_sq(db, "reading events");
	sqlite3_finalize(st);
	return rc;
}

int wr_audit_verify(struct wr_db *db, int64_t *count, int64_t *bad_id)
{
	unsigned char prev[32] = {0}, want[32];
	int64_t expect_id = 1;
	sqlite3_stmt *st;
	int rc;

	*count = 0;
	*bad_id = 0;
	/* One read transaction: a consistent snapshot while writers go on. */
	if ((rc = wr_exec(db, "BEGIN")))
		return rc;
	if ((rc = wr_prepare(db, "SELECT id, at, actor, action, details, hash FROM event"
				 " ORDER BY id", &st))) {
		wr_exec(db, "ROLLBACK");
		return rc;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const char *actor = wr_col_text(st, 2), *action = wr_col_text(st, 3),
			   *details = wr_col_text(st, 4);
		const char *why = NULL;

		if (id != expect_id)
			why = "an event before it is missing";
		else if (!actor || !action || !details || sqlite3_column_bytes(st, 5) != 32)
			why = "a field is missing";
		else if (event_hash(prev, id, sqlite3_column_int64(st, 1), actor, action, details,
				    want) ||
			 memcmp(want, sqlite3_column_blob(st, 5), 32) != 0)
			why = "its hash does not match its content and the previous link";
		if (why) {
			*bad_id = id;
			rc = wr_err(db, WR_ECORRUPT, "audit chain broken at event %lld: %s",
				    (long long)id, why);
			break;
		}
		memcpy(prev, sqlite3_column_blob(st, 5), 32);
		expect_id++;
		(*count)++;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc != WR_ECORRUPT)
		rc = wr_err_sq(db, "reading events");
	sqlite3_finalize(st);
	wr_exec(db, "COMMIT");
	return rc;
}
