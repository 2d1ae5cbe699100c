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
 * One pass over the customers' certificates (the cert_customer index),
 * grouped. "Outstanding" certificates are still in service and still to
 * replace: neither replaced, revoked nor expired at now. Furthest behind
 * first: critical customers, then the largest share of their
 * certificates outstanding, then the most outstanding, then those that
 * have not acknowledged, then by name.
 */
#define FIGURES                                                                                    \
	"SELECT cu.id, cu.name, cu.contact, cu.critical, cu.acknowledged_at, cu.acknowledged_by,"  \
	" cu.ack_note, cu.created, cu.updated, count(c.id), count(c.notified_at),"                 \
	" count(c.replaced_at), count(c.revoked_at),"                                              \
	" coalesce(sum(c.revoked_at IS NULL AND c.not_after < ?1), 0),"                            \
	" coalesce(sum(c.replaced_at IS NULL AND c.revoked_at IS NULL AND c.not_after >= ?1), 0)"  \
	" AS outstanding"                                                                          \
	" FROM customer cu LEFT JOIN cert c ON c.customer = cu.name"

static int figures(struct wr_db *db, const char *name, int64_t now, wr_customer_cb cb, void *ctx,
		   int64_t *rows)
{
	char sql[1024];
	sqlite3_stmt *st;
	int rc;

	snprintf(sql, sizeof sql,
		 "%s%s GROUP BY cu.id ORDER BY cu.critical DESC,"
		 " outstanding * 1.0 / max(count(c.id), 1) DESC, outstanding DESC,"
		 " cu.acknowledged_at IS NOT NULL, cu.name",
		 FIGURES, name ? " WHERE cu.name = ?2" : "");
	if ((rc = wr_prepare(db, sql, &st)))
		return rc;
	sqlite3_bind_int64(st, 1, now);
	if (name)
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
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
		c.acknowledged = c.acknowledged_at ? c.certificates : 0;
		(*rows)++;
		if ((rc = cb(&c, ctx))) {
			sqlite3_finalize(st);
			return rc;
		}
	}
	if (rc != SQLITE_DONE) {
		rc = wr_err_sq(db, "customers");
		sqlite3_finalize(st);
		return rc;
	}
	sqlite3_finalize(st);
	return 0;
}

int wr_customer_foreach(struct wr_db *db, int64_t now, wr_customer_cb cb, void *ctx)
{
	int64_t rows;

	return figures(db, NULL, now ? now : wr_clock_now(db), cb, ctx, &rows);
}

int wr_customer_get(struct wr_db *db, const char *name, int64_t now, wr_customer_cb cb, void *ctx)
{
	int64_t rows, id;
	int rc;

	if ((rc = figures(db, name, now ? now : wr_clock_now(db), cb, ctx, &rows)))
		return rc;
	return rows ? 0 : find(db, name, &id, NULL, NULL);
}
