/*
 * audit.c: the timeline, which is also the tamper-evident audit trail.
 *
 * Every change the core makes records an event in the same transaction:
 * time, OS user, action and JSON details. Each event's hash is
 *   SHA-256(previous hash || canonical bytes)
 * with the canonical bytes "wr-event-1" NUL id NUL at NUL actor NUL action
 * NUL details, so changing one byte of any field, deleting or reordering a
 * row breaks every link from there on; verification names the first.
 *
 * An unkeyed chain only proves consistency: whoever can write the file
 * can rewrite an event and every hash after it, or drop the newest
 * events. Two things close that. In the installed mode each event also
 * carries mac = HMAC-SHA256(audit key, hash) with a key only the warroom
 * group reads, so users cannot forge links. In every mode `audit anchor`
 * writes the head (count and hash) to syslog, outside the file, and
 * `audit verify --head` proves the database still holds that head.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <syslog.h>
#include <stdlib.h>
#include <errno.h>
#include <stddef.h>
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

static void event_mac(const struct wr_db *db, const unsigned char hash[32], unsigned char out[32])
{
	unsigned int n = 32;
	HMAC(EVP_sha256(), db->audit_key, sizeof db->audit_key, hash, 32, out, &n);
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
	unsigned char mac[32];
	if (db->keyed) {
		event_mac(db, hash, mac);
		/* From this link on, every link must carry a MAC. */
		if ((rc = wr_prepare(db, "INSERT OR IGNORE INTO meta(key, value) VALUES"
					 " ('keyed_from', ?)", &st)))
			return rc;
		sqlite3_bind_int64(st, 1, id);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "recording event");
		sqlite3_finalize(st);
		if (rc)
			return rc;
	}
	if ((rc = wr_prepare(db, "INSERT INTO event(id, at, actor, action, details, hash, mac) "
				 "VALUES (?, ?, ?, ?, ?, ?, ?)", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_text(st, 3, db->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, details, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, hash, 32, SQLITE_STATIC);
	if (db->keyed)
		sqlite3_bind_blob(st, 7, mac, 32, SQLITE_STATIC);
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

/* Steps st (id, at, actor, action, details, hash), calling cb for each
 * row until it returns non-zero; finalizes st. what names the read in an
 * error. */
int wr_event_rows(struct wr_db *db, sqlite3_stmt *st, wr_event_cb cb, void *ctx, const char *what)
{
	int rc;

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
	rc = rc == SQLITE_DONE ? 0 : wr_err_sq(db, what);
	sqlite3_finalize(st);
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
	return wr_event_rows(db, st, cb, ctx, "reading events");
}

int wr_audit_verify(struct wr_db *db, const unsigned char *head, struct wr_audit_result *r)
{
	unsigned char prev[32] = {0}, want[32], mac[32];
	int64_t expect_id = 1, prev_at = INT64_MIN, keyed_from = 0;
	sqlite3_stmt *st;
	int rc;

	memset(r, 0, sizeof *r);
	/* One read transaction: a consistent snapshot while writers go on. */
	if ((rc = wr_exec(db, "BEGIN")))
		return rc;
	if (wr_query_int(db, "SELECT value FROM meta WHERE key = 'keyed_from'", &keyed_from))
		keyed_from = 0;
	db->errmsg[0] = '\0';
	if ((rc = wr_prepare(db, "SELECT id, at, actor, action, details, hash, mac FROM event"
				 " ORDER BY id", &st))) {
		wr_exec(db, "ROLLBACK");
		return rc;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0), at = sqlite3_column_int64(st, 1);
		const char *actor = wr_col_text(st, 2), *action = wr_col_text(st, 3),
			   *details = wr_col_text(st, 4);
		bool has_mac = sqlite3_column_bytes(st, 6) == 32;
		const char *why = NULL;

		if (id != expect_id)
			why = "an event before it is missing";
		else if (!actor || !action || !details || sqlite3_column_bytes(st, 5) != 32)
			why = "a field is missing";
		else if (event_hash(prev, id, at, actor, action, details, want) ||
			 memcmp(want, sqlite3_column_blob(st, 5), 32) != 0)
			why = "its hash does not match its content and the previous link";
		else if (keyed_from > 0 && id >= keyed_from && !has_mac)
			why = "it lacks the MAC every event of the installed warroom carries";
		else if (has_mac && db->keyed &&
			 (event_mac(db, want, mac),
			  CRYPTO_memcmp(mac, sqlite3_column_blob(st, 6), 32) != 0))
			why = "its MAC does not match: it was not written by the installed warroom";
		if (why) {
			r->bad_id = id;
			rc = wr_err(db, WR_ECORRUPT, "audit chain broken at event %lld: %s",
				    (long long)id, why);
			break;
		}
		if (has_mac)
			r->macs++;
		/* Writers are serialised and stamp inside their transaction,
		 * so on one clock time never runs backwards. */
		if (at < prev_at && !r->backwards_id)
			r->backwards_id = id, r->backwards_by = prev_at - at;
		prev_at = at;
		memcpy(prev, sqlite3_column_blob(st, 5), 32);
		if (head && memcmp(prev, head, 32) == 0)
			r->head_id = id;
		expect_id++;
		r->count++;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc != WR_ECORRUPT)
		rc = wr_err_sq(db, "reading events");
	sqlite3_finalize(st);
	wr_exec(db, "COMMIT");
	memcpy(r->head, prev, 32);
	r->macs_checked = db->keyed;
	r->test_clock = db->test_clock;
	if (rc)
		return rc;
	if (r->backwards_id && !db->test_clock)
		return wr_err(db, WR_ECORRUPT,
			      "event %lld is dated %lld s before the event ahead of it: the clock"
			      " was set back, or the event was backdated",
			      (long long)r->backwards_id, (long long)r->backwards_by);
	if (head && !r->head_id) {
		char hex[65];
		wr_hex(head, 32, hex);
		return wr_err(db, WR_ECORRUPT,
			      "the anchored head %s is not in this chain: events were removed or"
			      " rewritten since it was anchored", hex);
	}
	return 0;
}

/* RFC 3164 over a datagram socket: "HOST:PORT" (UDP) or a path (unix). */
static int send_syslog(const char *where, const char *msg, char *err, size_t errsz);

int wr_audit_anchor(struct wr_db *db, struct wr_audit_result *r)
{
	const struct wr_config *cfg = wr_db_config(db);
	const char *where = cfg ? wr_config_get(cfg, "audit", "syslog") : NULL;
	char hex[65], msg[600], err[256];
	int rc;

	if ((rc = wr_audit_verify(db, NULL, r)))
		return rc;
	wr_hex(r->head, 32, hex);
	snprintf(msg, sizeof msg, "audit anchor: db=%s events=%lld head=%s", db->path,
		 (long long)r->count, hex);
	if (!where) {
		openlog("warroom", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
		syslog(LOG_NOTICE, "%s", msg);
		closelog();
		return 0;
	}
	if (send_syslog(where, msg, err, sizeof err))
		return wr_err(db, WR_EIO, "[audit] syslog = %s: %s", where, err);
	return 0;
}

#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int send_syslog(const char *where, const char *msg, char *err, size_t errsz)
{
	char line[800], stamp[32], host[128] = "localhost";
	time_t now = time(NULL);
	struct tm tm;
	int fd = -1, rc = -1;

	gethostname(host, sizeof host - 1);
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
	/* <PRI> = facility authpriv (10) * 8 + severity notice (5). */
	int n = snprintf(line, sizeof line, "<85>%s %s warroom[%ld]: %s", stamp, host,
			 (long)getpid(), msg);
	if (n < 0 || (size_t)n >= sizeof line)
		n = (int)sizeof line - 1;
	if (where[0] == '/') {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};
		snprintf(sun.sun_path, sizeof sun.sun_path, "%s", where);
		if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) >= 0 &&
		    sendto(fd, line, (size_t)n, 0, (struct sockaddr *)&sun, sizeof sun) == n)
			rc = 0;
		else
			snprintf(err, errsz, "%s", strerror(errno));
	} else {
		char hostpart[256];
		const char *colon = strrchr(where, ':');
		struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM}, *ai;
		snprintf(hostpart, sizeof hostpart, "%.*s",
			 (int)(colon ? colon - where : (ptrdiff_t)strlen(where)), where);
		int g = getaddrinfo(hostpart, colon ? colon + 1 : "514", &hints, &ai);
		if (g) {
			snprintf(err, errsz, "%s", gai_strerror(g));
			return -1;
		}
		if ((fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) >= 0 &&
		    sendto(fd, line, (size_t)n, 0, ai->ai_addr, ai->ai_addrlen) == n)
			rc = 0;
		else
			snprintf(err, errsz, "%s", strerror(errno));
		freeaddrinfo(ai);
	}
	if (fd >= 0)
		close(fd);
	return rc;
}
