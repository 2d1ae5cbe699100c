/*
 * customer.c: customers as rows of their own (data/migrate-006.sql): their
 * contact and critical flag, Customer Relations' record of their
 * acknowledgement, and the figures per customer that `customers` lists
 * and the panes will show.
 *
 * A customer is found by its name as the database keeps it (the CSV
 * import's kept text, customer-csv.c); certificates name their customer
 * the same way (cert.customer). The checks of the customer list's fields
 * (contact, critical, endpoints) live here, so that the CSV import and
 * `customer set` judge a field alike. Nothing here prints or sends.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define CONTACT_MAX   254 /* RFC 5321's longest path, less its brackets */
#define ENDPOINTS_MAX 64
#define HOST_MAX      253

/* ---- the fields' checks --------------------------------------------------------------- */

int wr_critical_parse(const char *s)
{
	static const struct {
		const char *word;
		int v;
	} words[] = {
	    {"yes", WR_CRITICAL_YES}, {"no", WR_CRITICAL_NO},    {"y", WR_CRITICAL_YES},
	    {"n", WR_CRITICAL_NO},    {"true", WR_CRITICAL_YES}, {"false", WR_CRITICAL_NO},
	    {"1", WR_CRITICAL_YES},   {"0", WR_CRITICAL_NO},
	};

	for (size_t i = 0; s && i < sizeof words / sizeof words[0]; i++)
		if (strcasecmp(s, words[i].word) == 0)
			return words[i].v;
	return -1;
}

/* A control, line-separator or direction character of UTF-8 at p: C0, DEL,
 * C1 (U+0080..U+009F), U+2028/U+2029, the embeddings and overrides
 * U+202A..U+202E and the isolates U+2066..U+2069. */
static bool unsafe_char(const unsigned char *p)
{
	if (p[0] < 0x20 || p[0] == 0x7f)
		return true;
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return true;
	if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xa8 && p[2] <= 0xae)
		return true;
	return p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9;
}

/*
 * A contact is one bare e-mail address, checked lightly: it reaches mail
 * headers (notify), where a line break would inject a header and a comma
 * or a second @ would add a recipient. Not a full RFC 5322 parser: quoted
 * local parts and display names are refused, not understood.
 */
int wr_contact_check(const char *contact, char *why, size_t whysz)
{
	const char *at = NULL;
	size_t n = strlen(contact);

	if (!n) {
		snprintf(why, whysz, "an empty contact: want an address (user@example.com)");
		return WR_EINVAL;
	}
	if (n > CONTACT_MAX) {
		snprintf(why, whysz, "a contact of %zu bytes: want an address of at most %d", n,
			 CONTACT_MAX);
		return WR_EINVAL;
	}
	char *clean = wr_utf8_sanitize(contact, n);
	bool utf8 = clean && strcmp(clean, contact) == 0;
	free(clean);
	if (!utf8) {
		snprintf(why, whysz,
			 "the contact is not UTF-8 text: want an address (user@example.com)");
		return WR_EINVAL;
	}
	for (const char *p = contact; *p; p++) {
		if (unsafe_char((const unsigned char *)p)) {
			snprintf(
			    why, whysz,
			    "the contact holds a line break or another control character: want one"
			    " address on one line (user@example.com)");
			return WR_EINVAL;
		}
		if (strchr(" \t,;<>\"()", *p)) {
			snprintf(why, whysz,
				 "the contact holds '%c': want one bare address (user@example.com),"
				 " without a name, spaces, commas or brackets",
				 *p);
			return WR_EINVAL;
		}
		if (*p == '@') {
			if (at) {
				snprintf(why, whysz,
					 "the contact has more than one @: want one address"
					 " (user@example.com)");
				return WR_EINVAL;
			}
			at = p;
		}
	}
	if (!at) {
		snprintf(why, whysz, "the contact has no @: want an address (user@example.com)");
		return WR_EINVAL;
	}
	if (at == contact || !at[1] || at[1] == '.' || contact[n - 1] == '.') {
		snprintf(why, whysz,
			 "the contact needs a user and a domain around its @"
			 " (user@example.com)");
		return WR_EINVAL;
	}
	return 0;
}

/* One endpoint into b, normalised: host lower-case, port as a number. */
static int endpoint_one(const char *tok, size_t len, struct wr_buf *b, char *why, size_t whysz)
{
	char t[HOST_MAX + 16], host[HOST_MAX + 3];
	const char *port = NULL;
	size_t hlen;
	bool v6 = false;

	if (len >= sizeof t) {
		snprintf(why, whysz, "endpoint '%.40s...' is too long: want host[:port]", tok);
		return WR_EINVAL;
	}
	memcpy(t, tok, len);
	t[len] = '\0';
	if (strchr(t, '/')) {
		snprintf(why, whysz,
			 "endpoint '%s': want a host name, then :port if not 443,"
			 " not a URL (www.example.com:8443)",
			 t);
		return WR_EINVAL;
	}
	if (t[0] == '[') {
		char *close = strchr(t, ']');
		if (!close || (close[1] && close[1] != ':')) {
			snprintf(why, whysz,
				 "endpoint '%s': want [IPv6 address] or [IPv6 address]:port", t);
			return WR_EINVAL;
		}
		hlen = (size_t)(close - t - 1);
		memcpy(host, t + 1, hlen);
		host[hlen] = '\0';
		unsigned char a[16];
		if (hlen >= INET6_ADDRSTRLEN || inet_pton(AF_INET6, host, a) != 1) {
			snprintf(why, whysz, "endpoint '%s': '%s' is not an IPv6 address", t, host);
			return WR_EINVAL;
		}
		/* Its canonical text (RFC 5952): one spelling per address. */
		inet_ntop(AF_INET6, a, host, sizeof host);
		v6 = true;
		port = close[1] ? close + 2 : NULL;
	} else {
		char *colon = strchr(t, ':');
		if (colon && strchr(colon + 1, ':')) {
			snprintf(why, whysz,
				 "endpoint '%s': an IPv6 address goes in brackets"
				 " ([2001:db8::1]:443)",
				 t);
			return WR_EINVAL;
		}
		hlen = colon ? (size_t)(colon - t) : len;
		memcpy(host, t, hlen);
		host[hlen] = '\0';
		port = colon ? colon + 1 : NULL;
		/* A DNS name or an IPv4 address: labels of letters, digits,
		 * hyphens and underscores, none empty. */
		bool ok = hlen > 0 && hlen <= HOST_MAX && host[0] != '.' && host[hlen - 1] != '.' &&
			  !strstr(host, "..");
		for (size_t i = 0; ok && i < hlen; i++) {
			unsigned char ch = (unsigned char)host[i];
			if (!(isalnum(ch) || ch == '-' || ch == '_' || ch == '.'))
				ok = false;
			host[i] = (char)tolower(ch);
		}
		if (!ok) {
			snprintf(
			    why, whysz,
			    "endpoint '%s': want a host name or an address, then :port if not 443"
			    " (www.example.com:8443)",
			    t);
			return WR_EINVAL;
		}
	}
	long pnum = 443;
	if (port) {
		char *end;
		pnum = *port && isdigit((unsigned char)*port) ? strtol(port, &end, 10) : -1;
		if (pnum < 1 || pnum > 65535 || *end) {
			snprintf(why, whysz, "endpoint '%s': the port is a number from 1 to 65535",
				 t);
			return WR_EINVAL;
		}
	}
	/* Port 443 is the default: left out, so that one endpoint has one
	 * spelling, and the same endpoint twice is one. */
	char out[HOST_MAX + 16];
	int k = snprintf(out, sizeof out, v6 ? "[%s]" : "%s", host);
	if (pnum != 443)
		k += snprintf(out + k, sizeof out - (size_t)k, ":%ld", pnum);
	for (const char *p = b->p; p && *p;) {
		const char *e = strchr(p, ' ');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == (size_t)k && memcmp(p, out, l) == 0)
			return 0;
		p = e ? e + 1 : p + l;
	}
	if ((b->len && !wr_buf_put(b, " ", 1)) || !wr_buf_put(b, out, (size_t)k))
		return WR_ENOMEM;
	return 0;
}

int wr_endpoints_normalize(const char *in, char **out, char *why, size_t whysz)
{
	struct wr_buf b = {0};
	int count = 0, rc = 0;

	*out = NULL;
	for (const char *p = in; *p;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		size_t len = strcspn(p, " \t");
		if (++count > ENDPOINTS_MAX) {
			snprintf(why, whysz, "more than %d endpoints for one certificate",
				 ENDPOINTS_MAX);
			rc = WR_EINVAL;
			break;
		}
		if ((rc = endpoint_one(p, len, &b, why, whysz)))
			break;
		p += len;
	}
	if (rc == WR_ENOMEM)
		snprintf(why, whysz, "out of memory");
	if (rc || !b.len) {
		wr_buf_free(&b);
		return rc;
	}
	*out = b.p;
	return 0;
}

/* ---- finding a customer --------------------------------------------------------------- */

/* The customer's id and current contact (malloc'd, NULL: none) and flag;
 * WR_ENOENT naming the nearest name when there is none of that name. */
static int find(struct wr_db *db, const char *name, int64_t *id, char **contact, int *critical)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_prepare(db, "SELECT id, contact, critical FROM customer WHERE name = ?", &st)))
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		if (contact) {
			const char *c = wr_col_text(st, 1);
			*contact = c ? strdup(c) : NULL;
			if (c && !*contact) {
				sqlite3_finalize(st);
				return wr_err(db, WR_ENOMEM, "out of memory");
			}
		}
		if (critical)
			*critical = sqlite3_column_int(st, 2);
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return wr_err_sq(db, "finding the customer");

	/* Did you mean: the customers are thousands at most. */
	struct wr_suggest sg;
	char *best = NULL;
	wr_suggest_init(&sg, name);
	if (wr_prepare(db, "SELECT name FROM customer", &st) == 0) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *cand = wr_col_text(st, 0);
			wr_suggest_add(&sg, cand);
			if (sg.best == cand) {
				free(best);
				best = strdup(cand);
				sg.best = best;
			}
		}
		sqlite3_finalize(st);
	}
	if (best)
		rc = wr_err(db, WR_ENOENT, "no customer '%s'; did you mean '%s'?", name, best);
	else
		rc = wr_err(db, WR_ENOENT, "no customer '%s' ('warroom customers' lists them)",
			    name);
	free(best);
	return rc;
}

static const char *yes_no(int critical)
{
	return critical ? "yes" : "no";
}

int wr_customer_set(struct wr_db *db, const char *name, const char *contact, int critical,
		    bool *changed)
{
	char why[200], *old_contact = NULL;
	int64_t id;
	int old_critical, rc;
	sqlite3_stmt *st = NULL;

	if (changed)
		*changed = false;
	if (!contact && critical == WR_CRITICAL_ANY)
		return wr_err(db, WR_EINVAL, "customer set: nothing to set (a contact, critical)");
	if (critical != WR_CRITICAL_ANY && critical != WR_CRITICAL_YES &&
	    critical != WR_CRITICAL_NO)
		return wr_err(db, WR_EINVAL, "critical is yes or no");
	if (contact && wr_contact_check(contact, why, sizeof why))
		return wr_err(db, WR_EINVAL, "%s", why);
	if ((rc = wr_auth_team(db, "customer-relations")))
		return rc;
	if ((rc = wr_tx_begin(db)))
		return rc;
	if ((rc = find(db, name, &id, &old_contact, &old_critical)))
		goto fail;
	int new_critical = critical == WR_CRITICAL_ANY ? old_critical : critical == WR_CRITICAL_YES;
	bool contact_moves = contact && (!old_contact || strcmp(old_contact, contact) != 0);
	bool critical_moves = new_critical != old_critical;
	if (!contact_moves && !critical_moves) {
		wr_tx_rollback(db);
		free(old_contact);
		return 0;
	}
	if ((rc = wr_prepare(db,
			     "UPDATE customer SET contact = ?, critical = ?, updated = ?"
			     " WHERE id = ?",
			     &st)))
		goto fail;
	sqlite3_bind_text(st, 1, contact_moves ? contact : old_contact, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, new_critical);
	sqlite3_bind_int64(st, 3, wr_clock_now(db));
	sqlite3_bind_int64(st, 4, id);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = wr_err_sq(db, "setting the customer");
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (critical_moves && (rc = wr_tally_flags(db, name, new_critical, -1)))
		goto fail;
	/* Old and new values of what changed, for the auditor. */
	json_t *d = json_pack("{s:s}", "customer", name);
	if (contact_moves) {
		json_object_set_new(d, "contact", json_string(contact));
		json_object_set_new(d, "previous_contact",
				    old_contact ? json_string(old_contact) : json_null());
	}
	if (critical_moves) {
		json_object_set_new(d, "critical", json_string(yes_no(new_critical)));
		json_object_set_new(d, "previous_critical", json_string(yes_no(old_critical)));
	}
	if ((rc = wr_event_add_json(db, "customer-set", d)))
		goto fail;
	free(old_contact);
	if ((rc = wr_tx_commit(db)))
		return rc;
	if (changed)
		*changed = true;
	return 0;
fail:
	sqlite3_finalize(st);
	free(old_contact);
	wr_tx_rollback(db);
	return rc;
}

int wr_customer_ack(struct wr_db *db, const char *name, const char *note, int64_t *certs)
{
	sqlite3_stmt *st = NULL;
	int64_t id, n = 0, before = 0;
	char *kept = NULL;
	int rc;

	if (certs)
		*certs = 0;
	if ((rc = wr_auth_team(db, "customer-relations")))
		return rc;
	/* The note is the user's text: kept valid UTF-8, as every text is. */
	if (note && *note && !(kept = wr_utf8_sanitize(note, strlen(note))))
		return wr_err(db, WR_ENOMEM, "out of memory");
	if ((rc = wr_tx_begin(db))) {
		free(kept);
		return rc;
	}
	if ((rc = find(db, name, &id, NULL, NULL)))
		goto fail;
	if ((rc = wr_prepare(db,
			     "SELECT acknowledged_at IS NOT NULL,"
			     " (SELECT count(*) FROM cert WHERE customer = customer.name)"
			     " FROM customer WHERE id = ?",
			     &st)))
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		before = sqlite3_column_int64(st, 0);
		n = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	st = NULL;
	/* The newest acknowledgement is the customer's; each is an event. */
	if ((rc = wr_prepare(db,
			     "UPDATE customer SET acknowledged_at = ?, acknowledged_by = ?,"
			     " ack_note = ?, updated = ? WHERE id = ?",
			     &st)))
		goto fail;
	int64_t now = wr_clock_now(db);
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, db->actor, -1, SQLITE_STATIC);
	if (kept)
		sqlite3_bind_text(st, 3, kept, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, id);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = wr_err_sq(db, "recording the acknowledgement");
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = wr_tally_flags(db, name, -1, 1)))
		goto fail;
	json_t *d = json_pack("{s:s, s:I}", "customer", name, "certificates", (json_int_t)n);
	if (kept)
		json_object_set_new(d, "note", json_string(kept));
	if (before)
		json_object_set_new(d, "again", json_true());
	if ((rc = wr_event_add_json(db, "customer-ack", d)))
		goto fail;
	free(kept);
	if ((rc = wr_tx_commit(db)))
		return rc;
	if (certs)
		*certs = n;
	return 0;
fail:
	sqlite3_finalize(st);
	free(kept);
	wr_tx_rollback(db);
	return rc;
}

/* ---- the figures ---------------------------------------------------------------------- */

/*
 * Two ways to the same figures. The reference is one pass over the
 * customers' certificates (the cert_customer index), grouped: exact, and
 * 1.4 s at a million certificates. The kept figures (customer_tally,
 * core/tally.c) give the same from a few thousand rows; the console reads
 * those every frame, and `customers` does whenever they agree with the
 * counters. "Outstanding" certificates are still in service and still to
 * replace: neither replaced, revoked nor expired at now. Furthest behind
 * first: critical customers, then the largest share of their
 * certificates outstanding, then the most outstanding, then those that
 * have not acknowledged, then by name.
 */
#define CUSTOMER_COLS                                                                              \
	"cu.id, cu.name, cu.contact, cu.critical, cu.acknowledged_at, cu.acknowledged_by,"         \
	" cu.ack_note, cu.created, cu.updated"
#define FIGURES                                                                                    \
	"SELECT " CUSTOMER_COLS ", count(c.id) AS certs, count(c.notified_at) AS notif,"           \
	" count(c.replaced_at), count(c.revoked_at),"                                              \
	" coalesce(sum(c.revoked_at IS NULL AND c.not_after < ?1), 0),"                            \
	" coalesce(sum(c.replaced_at IS NULL AND c.revoked_at IS NULL AND c.not_after >= ?1), 0)"  \
	" AS outstanding, count(r.cert_id), coalesce(sum(p.deployed), 0),"                         \
	" coalesce(sum(p.unreachable), 0)"                                                         \
	" FROM customer cu LEFT JOIN cert c ON c.customer = cu.name"                               \
	" LEFT JOIN replacement r ON r.cert_id = c.id LEFT JOIN probe_cert p ON p.cert_id = c.id"

/* The same columns from the kept figures: what expired between the
 * tally's instant and now (?2..?3, sign ?4) is added at read. */
#define KEPT                                                                                       \
	"WITH d(customer, e, el) AS (SELECT coalesce(customer, ''), count(*),"                     \
	" sum(replaced_at IS NULL) FROM cert INDEXED BY cert_live_expiry"                          \
	" WHERE revoked_at IS NULL AND not_after >= ?2 AND not_after < ?3 GROUP BY 1)"             \
	" SELECT " CUSTOMER_COLS ", coalesce(t.certificates, 0) AS certs,"                         \
	" coalesce(t.notified, 0) AS notif, coalesce(t.replaced, 0), coalesce(t.revoked, 0),"      \
	" coalesce(t.expired, 0) + ?4 * coalesce(d.e, 0),"                                         \
	" coalesce(t.live - t.expired_live, 0) - ?4 * coalesce(d.el, 0) AS outstanding,"           \
	" coalesce(t.issued, 0), coalesce(t.deployed, 0), coalesce(t.unreachable, 0)"              \
	" FROM customer cu LEFT JOIN customer_tally t ON t.customer = cu.name"                     \
	" LEFT JOIN d ON d.customer = cu.name"

/*
 * The first few in an order, for the panes, from the tally alone (the
 * customer row only for the few returned): Customer Relations' from its
 * index (data/migrate-010.sql), Replacement's by a bounded sort of the
 * tally's rows. Figures there are at the tally's instant: the few
 * customers with a certificate that expired since (d) are taken apart
 * with their figures at now, and the two merged.
 */
#define TOP                                                                                        \
	"WITH d(customer, e, el) AS (SELECT coalesce(customer, ''), count(*),"                     \
	" sum(replaced_at IS NULL) FROM cert INDEXED BY cert_live_expiry"                          \
	" WHERE revoked_at IS NULL AND not_after >= ?2 AND not_after < ?3 GROUP BY 1),"            \
	" x AS (SELECT * FROM (SELECT *, 0 AS de, 0 AS del FROM customer_tally %s"                 \
	" WHERE listed = 1 AND customer NOT IN (SELECT customer FROM d) ORDER BY %s LIMIT ?1)"     \
	" UNION ALL SELECT t.*, d.e, d.el FROM d JOIN customer_tally t ON t.customer = d.customer)" \
	" SELECT " CUSTOMER_COLS ", x.certificates AS certs, x.notified AS notif, x.replaced,"     \
	" x.revoked, x.expired + ?4 * x.de, x.live - x.expired_live - ?4 * x.del AS outstanding,"  \
	" x.issued, x.deployed, x.unreachable FROM x JOIN customer cu ON cu.name = x.customer"
/* Each order's terms on the tally, and the index that has them. */
static const char *const top_index[][2] = {
	[WR_CUSTOMERS_BEHIND] = {"",
				 "critical DESC, (live - expired_live) * 1.0 / max(certificates, 1)"
				 " DESC, live - expired_live DESC, acked, customer"},
	[WR_CUSTOMERS_UNACKNOWLEDGED] = {"INDEXED BY customer_tally_unacked",
					 "critical DESC, acked,"
					 " ((certificates - notified) * 1.0 / max(certificates, 1))"
					 " DESC, certificates DESC, customer"},
};

static const char *const orders[] = {
	[WR_CUSTOMERS_BEHIND] = "cu.critical DESC, outstanding * 1.0 / max(certs, 1) DESC,"
				" outstanding DESC, cu.acknowledged_at IS NOT NULL, cu.name",
	[WR_CUSTOMERS_UNACKNOWLEDGED] = "cu.critical DESC, cu.acknowledged_at IS NOT NULL,"
					" (certs - notif) * 1.0 / max(certs, 1) DESC,"
					" certs DESC, cu.name",
};

static void done_with(sqlite3_stmt *st, bool cached)
{
	if (cached)
		sqlite3_reset(st);
	else
		sqlite3_finalize(st);
}

/* Steps st through cb; then finalizes it, or only resets it when it is
 * one the handle keeps (cached). */
static int figures_rows(struct wr_db *db, sqlite3_stmt *st, bool cached, wr_customer_cb cb,
			void *ctx, int64_t *rows)
{
	int rc;

	*rows = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct wr_customer c = {0};
		c.id = sqlite3_column_int64(st, 0);
		c.name = wr_col_text(st, 1);
		c.contact = wr_col_text(st, 2);
		c.critical = sqlite3_column_int(st, 3) != 0;
		c.acknowledged_at = wr_col_i64(st, 4);
		c.acknowledged_by = wr_col_text(st, 5);
		c.ack_note = wr_col_text(st, 6);
		c.created = wr_col_i64(st, 7);
		c.updated = wr_col_i64(st, 8);
		c.certificates = sqlite3_column_int64(st, 9);
		c.notified = sqlite3_column_int64(st, 10);
		c.replaced = sqlite3_column_int64(st, 11);
		c.revoked = sqlite3_column_int64(st, 12);
		c.expired = sqlite3_column_int64(st, 13);
		c.outstanding = sqlite3_column_int64(st, 14);
		c.issued = sqlite3_column_int64(st, 15);
		c.deployed = sqlite3_column_int64(st, 16);
		c.unreachable = sqlite3_column_int64(st, 17);
		c.acknowledged = c.acknowledged_at ? c.certificates : 0;
		(*rows)++;
		if ((rc = cb(&c, ctx))) {
			done_with(st, cached);
			return rc;
		}
	}
	if (rc != SQLITE_DONE) {
		rc = wr_err_sq(db, "customers");
		done_with(st, cached);
		return rc;
	}
	done_with(st, cached);
	return 0;
}

static int figures(struct wr_db *db, const char *name, int64_t now, wr_customer_cb cb, void *ctx,
		   int64_t *rows)
{
	char sql[1536];
	sqlite3_stmt *st;
	int rc;

	snprintf(sql, sizeof sql, "%s%s GROUP BY cu.id ORDER BY %s", FIGURES,
		 name ? " WHERE cu.name = ?2" : "", orders[WR_CUSTOMERS_BEHIND]);
	if ((rc = wr_prepare(db, sql, &st)))
		return rc;
	sqlite3_bind_int64(st, 1, now);
	if (name)
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	return figures_rows(db, st, false, cb, ctx, rows);
}

/* From the kept figures, in one read transaction (tally and clock agree);
 * counted, with exact, when they disagree with the counters. */
void wr_top_cache_clear(struct wr_top_cache *tc)
{
	for (int i = 0; i < tc->n; i++) {
		free((char *)tc->rows[i].name);
		free((char *)tc->rows[i].contact);
		free((char *)tc->rows[i].acknowledged_by);
		free((char *)tc->rows[i].ack_note);
	}
	free(tc->rows);
	memset(tc, 0, sizeof *tc);
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *d = s ? strdup(s) : NULL;
	if (s && !d)
		*oom = true;
	return d;
}

/* Keeps each row given to the caller, then hands it on. */
struct keep {
	struct wr_top_cache *tc;
	wr_customer_cb cb;
	void *ctx;
	bool oom;
};

static int keep_row(const struct wr_customer *c, void *arg)
{
	struct keep *k = arg;
	struct wr_top_cache *tc = k->tc;

	if (!k->oom && tc->n < tc->limit) {
		struct wr_customer *r = &tc->rows[tc->n++];
		*r = *c;
		r->name = dup_or_null(c->name, &k->oom);
		r->contact = dup_or_null(c->contact, &k->oom);
		r->acknowledged_by = dup_or_null(c->acknowledged_by, &k->oom);
		r->ack_note = dup_or_null(c->ack_note, &k->oom);
	}
	return k->cb(c, k->ctx);
}

static int kept(struct wr_db *db, int64_t now, enum wr_customer_order order, int limit,
		wr_customer_cb cb, void *ctx, bool *stale, bool exact)
{
	char sql[3072];
	sqlite3_stmt *st = NULL;
	int64_t at = 0, rows, version = 0, expired = 0;
	bool ok, own = sqlite3_get_autocommit(db->sq);
	int rc;

	if (own && (rc = wr_exec(db, "BEGIN")))
		return rc;
	if ((rc = wr_tally_check(db, &ok)))
		goto out;
	if (stale)
		*stale = !ok;
	if (!ok && exact) {
		rc = figures(db, NULL, now, cb, ctx, &rows);
		goto out;
	}
	/* The panes' statements are prepared once per handle (their
	 * preparing cost more than their running). */
	if (!(st = wr_tally_stmt(db, 1, "SELECT at FROM customer_tally_clock WHERE one = 1"))) {
		rc = WR_EDB;
		goto out;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		at = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	int64_t lo = now > at ? at : now, hi = now > at ? now : at;
	struct wr_top_cache *tc = limit > 0 ? &db->top_cache[order] : NULL;
	if (tc) {
		/* The same answer as last time when nothing was committed and
		 * no more certificates expired since the tally's instant. */
		if (!(st = wr_tally_stmt(db, 5, "PRAGMA data_version")) ||
		    sqlite3_step(st) != SQLITE_ROW) {
			rc = wr_err_sq(db, "data_version");
			goto out;
		}
		version = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (!(st = wr_tally_stmt(db, 6,
					 "SELECT count(*) FROM cert INDEXED BY cert_live_expiry"
					 " WHERE revoked_at IS NULL AND not_after >= ?1 AND not_after < ?2"))) {
			rc = WR_EDB;
			goto out;
		}
		sqlite3_bind_int64(st, 1, lo);
		sqlite3_bind_int64(st, 2, hi);
		if (sqlite3_step(st) == SQLITE_ROW)
			expired = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (tc->valid && tc->version == version &&
		    tc->changes == sqlite3_total_changes64(db->sq) && tc->expired == expired &&
		    tc->at == at && tc->now_lo == (now < at) && tc->limit == limit &&
		    tc->stale == !ok) {
			for (int i = 0; i < tc->n && !rc; i++)
				rc = cb(&tc->rows[i], ctx);
			goto out;
		}
		wr_top_cache_clear(tc);
	}
	if (limit > 0) {
		snprintf(sql, sizeof sql, TOP " ORDER BY %s LIMIT ?1", top_index[order][0],
			 top_index[order][1], orders[order]);
		if (!(st = wr_tally_stmt(db, 2 + (int)order, sql))) {
			rc = WR_EDB;
			goto out;
		}
	} else {
		snprintf(sql, sizeof sql, "%s ORDER BY %s LIMIT ?1", KEPT, orders[order]);
		if ((rc = wr_prepare(db, sql, &st)))
			goto out;
	}
	sqlite3_bind_int(st, 1, limit > 0 ? limit : -1);
	sqlite3_bind_int64(st, 2, lo);
	sqlite3_bind_int64(st, 3, hi);
	sqlite3_bind_int(st, 4, now > at ? 1 : -1);
	if (!tc) {
		rc = figures_rows(db, st, false, cb, ctx, &rows);
		goto out;
	}
	struct keep k = {tc, cb, ctx, false};
	tc->limit = limit;
	if (!(tc->rows = calloc((size_t)limit, sizeof *tc->rows)))
		k.oom = true;
	rc = figures_rows(db, st, true, keep_row, &k, &rows);
	/* Kept whole, or not at all (a callback that stopped early). */
	if (rc == 0 && !k.oom) {
		tc->valid = true;
		tc->stale = !ok;
		tc->version = version;
		tc->changes = sqlite3_total_changes64(db->sq);
		tc->expired = expired;
		tc->at = at;
		tc->now_lo = now < at;
	} else {
		wr_top_cache_clear(tc);
	}
out:
	if (own)
		wr_exec(db, "COMMIT");
	return rc;
}

int wr_customer_top(struct wr_db *db, int64_t now, enum wr_customer_order order, int limit,
		    wr_customer_cb cb, void *ctx, bool *stale)
{
	if (order != WR_CUSTOMERS_BEHIND && order != WR_CUSTOMERS_UNACKNOWLEDGED)
		return wr_err(db, WR_EINVAL, "no such order of customers");
	return kept(db, now ? now : wr_clock_now(db), order, limit, cb, ctx, stale, false);
}

int wr_customer_foreach(struct wr_db *db, int64_t now, wr_customer_cb cb, void *ctx)
{
	return kept(db, now ? now : wr_clock_now(db), WR_CUSTOMERS_BEHIND, 0, cb, ctx, NULL, true);
}

int wr_customer_get(struct wr_db *db, const char *name, int64_t now, wr_customer_cb cb, void *ctx)
{
	int64_t rows, id;
	int rc;

	if ((rc = figures(db, name, now ? now : wr_clock_now(db), cb, ctx, &rows)))
		return rc;
	return rows ? 0 : find(db, name, &id, NULL, NULL);
}
