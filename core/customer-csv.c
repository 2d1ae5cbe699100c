/*
 * customer-csv.c: the customer list, a CSV file, into the incident: which
 * customer each certificate belongs to, the customer's contact and
 * whether it is critical, and where each certificate is deployed.
 *
 * Columns are serial,customer,contact, or those a header row names:
 * serial, customer, contact and optionally critical and endpoints, in any
 * order. Spreadsheets write the files, so a UTF-8 byte order mark, CRLF,
 * quoted fields (RFC 4180), serials with colons, 0x or leading zeros and
 * trailing empty rows are all accepted. The list is applied whole or not
 * at all: every bad row is reported as FILE:LINE with what was expected,
 * and one bad row leaves the database as it was (one transaction, rolled
 * back). The list is the CA's, so it may name certificates the incident
 * does not hold: those rows are counted, not refused, and make no
 * customer. Nothing here prints.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return true;
	while (c < need)
		c *= 2;
	if (!(q = realloc(*p, c * elem)))
		return false;
	*p = q;
	*cap = c;
	return true;
}

/* ---- records ---------------------------------------------------------------------- */

/* One CSV record (RFC 4180: quoted fields may hold commas, "" and line
 * breaks). Returns the number of fields, 0 at EOF, -1 for an unterminated
 * quote, -2 for text after a closing quote, -3 when out of memory. */
struct csv {
	FILE *f;
	int pushed[3], npushed; /* bytes read looking for a BOM, in reverse */
	bool started;
	int64_t line; /* of the next character */
	char *buf;
	size_t cap, len;
	size_t *offs;
	size_t ncap;
};

/* getc, except that a UTF-8 byte order mark at the start of the file is
 * skipped: spreadsheets write one before the header. */
static int csv_getc(struct csv *c)
{
	if (!c->started) {
		static const int bom[3] = {0xef, 0xbb, 0xbf};
		int got[3], n = 0;

		c->started = true;
		while (n < 3 && (got[n] = getc(c->f)) == bom[n])
			n++;
		if (n < 3) {
			int k = got[n] == EOF ? n : n + 1;
			for (int i = k; i-- > 0;)
				c->pushed[c->npushed++] = got[i];
		}
	}
	if (c->npushed)
		return c->pushed[--c->npushed];
	return getc(c->f);
}

static int csv_record(struct csv *c, int64_t *first_line)
{
	int ch, n = 0;
	bool any = false;

	c->len = 0;
	*first_line = c->line;
	for (;;) {
		bool quoted = false;
		size_t start = c->len;

		/* Leading blanks of an unquoted field are not data. */
		while ((ch = csv_getc(c)) == ' ' || ch == '\t')
			any = true;
		if (ch == EOF && !any && n == 0)
			return 0;
		if (!grow((void **)&c->offs, &c->ncap, (size_t)n + 1, sizeof *c->offs))
			return -3;
		c->offs[n++] = start;
		if (ch == '"') {
			quoted = true;
			any = true;
			for (;;) {
				ch = csv_getc(c);
				if (ch == EOF)
					return -1;
				if (ch == '\n')
					c->line++;
				if (ch == '"') {
					ch = csv_getc(c);
					if (ch != '"')
						break;
				}
				if (!grow((void **)&c->buf, &c->cap, c->len + 2, 1))
					return -3;
				c->buf[c->len++] = (char)ch;
			}
			while (ch == ' ' || ch == '\t' || ch == '\r')
				ch = csv_getc(c);
			if (ch != ',' && ch != '\n' && ch != EOF) {
				/* Resynchronise at the end of the line. */
				while (ch != '\n' && ch != EOF)
					ch = csv_getc(c);
				if (ch == '\n')
					c->line++;
				return -2;
			}
		} else {
			while (ch != ',' && ch != '\n' && ch != EOF) {
				any = true;
				if (!grow((void **)&c->buf, &c->cap, c->len + 2, 1))
					return -3;
				c->buf[c->len++] = (char)ch;
				ch = csv_getc(c);
			}
		}
		if (!quoted) /* trailing blanks and a CR of CRLF */
			while (c->len > start &&
			       (c->buf[c->len - 1] == ' ' || c->buf[c->len - 1] == '\t' ||
				c->buf[c->len - 1] == '\r'))
				c->len--;
		if (!grow((void **)&c->buf, &c->cap, c->len + 1, 1))
			return -3;
		c->buf[c->len++] = '\0';
		if (ch == '\n') {
			c->line++;
			return n;
		}
		if (ch == EOF)
			return n;
	}
}

static const char *csv_field(const struct csv *c, int i)
{
	return c->buf + c->offs[i];
}

/* ---- columns ---------------------------------------------------------------------- */

enum { COL_SERIAL, COL_CUSTOMER, COL_CONTACT, COL_CRITICAL, COL_ENDPOINTS, NCOLS };
static const char *const col_names[NCOLS] = {"serial", "customer", "contact", "critical",
					     "endpoints"};

/* Where each column is in a record: a header row's order, else the first
 * three. */
struct layout {
	int at[NCOLS];  /* field index, -1: absent */
	int n;          /* fields per record */
	char names[96]; /* "serial,customer,contact", for messages */
};

static void layout_plain(struct layout *lo)
{
	for (int i = 0; i < NCOLS; i++)
		lo->at[i] = i < 3 ? i : -1;
	lo->n = 3;
	snprintf(lo->names, sizeof lo->names, "serial,customer,contact");
}

/*
 * The first record is a header when one of its fields is "serial" (no
 * serial in hex is): then each field must name a column, once, and the
 * three first columns must be there. 1: a header, lo set; 0: data; -1: a
 * bad header, why says what.
 */
static int header(const struct csv *c, int n, struct layout *lo, char *why, size_t whysz)
{
	bool is = false;

	for (int i = 0; i < n && !is; i++)
		is = strcasecmp(csv_field(c, i), "serial") == 0;
	if (!is)
		return 0;
	for (int i = 0; i < NCOLS; i++)
		lo->at[i] = -1;
	lo->n = n;
	lo->names[0] = '\0';
	for (int i = 0; i < n; i++) {
		const char *f = csv_field(c, i);
		int k = 0;
		while (k < NCOLS && strcasecmp(f, col_names[k]) != 0)
			k++;
		if (k == NCOLS) {
			char *shown = wr_utf8_sanitize(f, strnlen(f, 40));
			snprintf(why, whysz,
				 "header: unknown column '%s': want serial, customer, contact, and"
				 " optionally critical and endpoints",
				 shown ? shown : "");
			free(shown);
			return -1;
		}
		if (lo->at[k] >= 0) {
			snprintf(why, whysz, "header: column '%s' twice", col_names[k]);
			return -1;
		}
		lo->at[k] = i;
		size_t used = strlen(lo->names);
		snprintf(lo->names + used, sizeof lo->names - used, "%s%s", i ? "," : "",
			 col_names[k]);
	}
	for (int k = 0; k < 3; k++) {
		if (lo->at[k] < 0) {
			snprintf(why, whysz,
				 "header: no '%s' column: want serial, customer, contact, and"
				 " optionally critical and endpoints",
				 col_names[k]);
			return -1;
		}
	}
	return 1;
}

static const char *col(const struct csv *c, const struct layout *lo, int k)
{
	return lo->at[k] < 0 ? "" : csv_field(c, lo->at[k]);
}

static bool all_empty(const struct csv *c, int n)
{
	for (int i = 0; i < n; i++)
		if (csv_field(c, i)[0])
			return false;
	return true;
}

/* ---- applying --------------------------------------------------------------------- */

static void csv_reject(struct wr_import_stats *st, wr_reject_cb reject, void *ctx, const char *path,
		       int64_t line, const char *why)
{
	char where[4096 + 24];

	st->csv_rejected++;
	if (!reject)
		return;
	snprintf(where, sizeof where, "%s:%lld", path, (long long)line);
	reject(where, why, ctx);
}

/*
 * A CSV field as kept (malloc'd; NULL for an empty field, or when out of
 * memory: *oom). The database keeps valid UTF-8, and a byte that is not
 * (a Latin-1 "Caf\xe9" from a spreadsheet) must stay findable and apart
 * from text that merely looks like its escape: so the field's backslashes
 * are doubled and each such byte becomes "\xNN". In kept text a backslash
 * always begins an escape, as in certificate names (RFC 2253), so certs
 * prints it as it is and certs --customer finds a name by what certs
 * printed (tui/cmd-cert.c, cmd_customer_key, makes the same text).
 */
static char *csv_text(const char *s, bool *oom)
{
	struct wr_buf b = {0};
	char *kept = NULL;
	bool ok = true;

	if (!*s)
		return NULL;
	for (const char *p = s; *p && ok; p++)
		ok = *p == '\\' ? wr_buf_put(&b, "\\\\", 2) : wr_buf_put(&b, p, 1);
	if (ok && !(kept = wr_utf8_sanitize(b.p, b.len)))
		ok = false;
	wr_buf_free(&b);
	if (!ok)
		*oom = true;
	return kept;
}

/* One good row, its fields checked. */
struct row {
	char serial[132];
	const char *customer; /* as the CSV has it */
	const char *contact;  /* NULL: none */
	int critical;         /* WR_CRITICAL_* (ANY: not said) */
	char *endpoints;      /* normalised, malloc'd; NULL: not said */
};

/* Checks a record's fields into r; false with why when one is bad. */
static bool check_row(const struct csv *c, const struct layout *lo, struct row *r, char *why,
		      size_t whysz)
{
	const char *serial = col(c, lo, COL_SERIAL), *f;

	if (wr_serial_normalize(serial, r->serial, sizeof r->serial)) {
		char *shown = wr_utf8_sanitize(serial, strnlen(serial, 64));
		snprintf(why, whysz,
			 "bad serial '%s': want hex digits (0x prefix and colons allowed)",
			 shown ? shown : "");
		free(shown);
		return false;
	}
	r->customer = col(c, lo, COL_CUSTOMER);
	if (!r->customer[0]) {
		snprintf(why, whysz, "no customer: want the customer's name in the %s column",
			 col_names[COL_CUSTOMER]);
		return false;
	}
	r->contact = col(c, lo, COL_CONTACT);
	if (r->contact[0]) {
		if (wr_contact_check(r->contact, why, whysz))
			return false;
	} else {
		r->contact = NULL;
	}
	r->critical = WR_CRITICAL_ANY;
	if ((f = col(c, lo, COL_CRITICAL))[0] && (r->critical = wr_critical_parse(f)) < 0) {
		char *shown = wr_utf8_sanitize(f, strnlen(f, 40));
		snprintf(why, whysz, "critical is '%s': want yes or no", shown ? shown : "");
		free(shown);
		return false;
	}
	r->endpoints = NULL;
	if ((f = col(c, lo, COL_ENDPOINTS))[0]) {
		char *shown = NULL, inner[200];
		if (wr_endpoints_normalize(f, &r->endpoints, inner, sizeof inner) == 0)
			return true;
		shown = wr_utf8_sanitize(inner, strlen(inner));
		snprintf(why, whysz, "%s", shown ? shown : "bad endpoints");
		free(shown);
		return false;
	}
	return true;
}

/* The customers import's statements. */
struct csv_stmts {
	sqlite3_stmt *up, *seen, *keep, *cust;
};

/*
 * Applies one good row: serial (normalised), customer and contact as the
 * CSV has them. A serial's first row in the file wins: a later row giving
 * it another customer is rejected, naming the winner, so that a list
 * cannot silently re-assign a certificate by repeating its serial; the
 * same customer again is no error (its first contact stays). The rows
 * seen live in a temporary table, not in memory: a list may hold a
 * million of them. Customers are compared as the CSV spells them. A
 * customer's contact is its first row's that has one; it is critical
 * when a row of it says so.
 */
static int csv_apply(struct wr_db *db, struct csv_stmts *q, struct wr_import_stats *st,
		     wr_reject_cb reject, void *ctx, const char *path, int64_t line,
		     const struct row *r)
{
	char *cust = NULL;
	bool oom = false;
	int step, rc = 0;

	sqlite3_bind_text(q->seen, 1, r->serial, -1, SQLITE_STATIC);
	step = sqlite3_step(q->seen);
	if (step == SQLITE_ROW) {
		const char *won = sqlite3_column_blob(q->seen, 0);
		int wlen = sqlite3_column_bytes(q->seen, 0);
		int64_t wline = sqlite3_column_int64(q->seen, 1);
		bool matched = sqlite3_column_int(q->seen, 2) != 0;

		if ((size_t)wlen == strlen(r->customer) &&
		    !memcmp(won ? won : "", r->customer, (size_t)wlen)) {
			if (matched)
				st->csv_matched++;
			else
				st->csv_unmatched++;
		} else {
			char why[720];
			snprintf(why, sizeof why,
				 "serial %s is already given to customer '%.*s' by line %lld; this"
				 " row's customer '%.200s' is not applied",
				 r->serial, wlen > 200 ? 200 : wlen, won ? won : "",
				 (long long)wline, r->customer);
			csv_reject(st, reject, ctx, path, line, why);
		}
		sqlite3_reset(q->seen);
		return 0;
	}
	sqlite3_reset(q->seen);
	if (step != SQLITE_DONE)
		return wr_err_sq(db, "reading the serials seen");

	if (!(cust = csv_text(r->customer, &oom)) || oom)
		return wr_err(db, WR_ENOMEM, "out of memory");
	/* The endpoints a row does not give stay as they were. */
	sqlite3_bind_text(q->up, 1, cust, -1, SQLITE_STATIC);
	sqlite3_bind_text(q->up, 2, r->contact, -1, SQLITE_STATIC);
	sqlite3_bind_text(q->up, 3, r->endpoints, -1, SQLITE_STATIC);
	sqlite3_bind_text(q->up, 4, r->serial, -1, SQLITE_STATIC);
	step = sqlite3_step(q->up);
	sqlite3_reset(q->up);
	sqlite3_clear_bindings(q->up);
	if (step != SQLITE_DONE) {
		rc = wr_err_sq(db, "setting a customer");
		goto out;
	}
	bool matched = sqlite3_changes(db->sq) > 0;
	if (matched)
		st->csv_matched++;
	else
		st->csv_unmatched++;
	sqlite3_bind_text(q->keep, 1, r->serial, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q->keep, 2, r->customer, (int)strlen(r->customer), SQLITE_STATIC);
	sqlite3_bind_int64(q->keep, 3, line);
	sqlite3_bind_int(q->keep, 4, matched);
	step = sqlite3_step(q->keep);
	sqlite3_reset(q->keep);
	sqlite3_clear_bindings(q->keep);
	if (step != SQLITE_DONE) {
		rc = wr_err_sq(db, "remembering a serial");
		goto out;
	}
	sqlite3_bind_text(q->cust, 1, cust, -1, SQLITE_STATIC);
	sqlite3_bind_text(q->cust, 2, r->contact, -1, SQLITE_STATIC);
	if (r->critical != WR_CRITICAL_ANY)
		sqlite3_bind_int(q->cust, 3, r->critical == WR_CRITICAL_YES);
	sqlite3_bind_int(q->cust, 4, matched);
	sqlite3_bind_int64(q->cust, 5, line);
	step = sqlite3_step(q->cust);
	sqlite3_reset(q->cust);
	sqlite3_clear_bindings(q->cust);
	if (step != SQLITE_DONE)
		rc = wr_err_sq(db, "remembering a customer");
out:
	free(cust);
	return rc;
}

/*
 * The customers the list's matched rows name become rows of the customer
 * table, or update theirs: a contact or critical the list gives replaces
 * the customer's, one it leaves empty keeps it.
 */
static int customers_store(struct wr_db *db, struct wr_import_stats *st)
{
	sqlite3_stmt *s;
	int64_t now = wr_clock_now(db);
	int rc;

	if ((rc =
		 wr_prepare(db,
			    "UPDATE customer SET contact = coalesce(k.contact, customer.contact),"
			    " critical = coalesce(k.critical, customer.critical), updated = ?1"
			    " FROM temp.csv_cust k WHERE k.name = customer.name AND k.matched"
			    " AND (coalesce(k.contact, customer.contact) IS NOT customer.contact"
			    " OR coalesce(k.critical, customer.critical) IS NOT customer.critical)",
			    &s)))
		return rc;
	sqlite3_bind_int64(s, 1, now);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : wr_err_sq(db, "updating the customers");
	st->csv_customers_updated = rc ? 0 : sqlite3_changes(db->sq);
	sqlite3_finalize(s);
	if (rc)
		return rc;
	if ((rc = wr_prepare(db,
			     "INSERT INTO customer(name, contact, critical, created, updated)"
			     " SELECT name, contact, coalesce(critical, 0), ?1, ?1"
			     " FROM temp.csv_cust k WHERE matched"
			     " AND NOT EXISTS (SELECT 1 FROM customer WHERE name = k.name)"
			     " ORDER BY line",
			     &s)))
		return rc;
	sqlite3_bind_int64(s, 1, now);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : wr_err_sq(db, "adding the customers");
	st->csv_customers_new = rc ? 0 : sqlite3_changes(db->sq);
	sqlite3_finalize(s);
	return rc;
}

/* The file's records, each checked and applied; stops only on a database
 * failure (returned) or an unterminated quote (which ran to the end). */
static int read_rows(struct wr_db *db, struct csv *c, struct csv_stmts *q, const char *path,
		     wr_reject_cb reject, void *ctx, struct wr_import_stats *st)
{
	struct layout lo;
	bool first = true;
	int64_t line;
	int n, rc = 0;

	layout_plain(&lo);
	while ((n = csv_record(c, &line)) != 0) {
		char why[400];
		struct row r;

		if (n == -3)
			return wr_err(db, WR_ENOMEM, "out of memory");
		if (n > 0 && all_empty(c, n))
			continue; /* a blank line, or a spreadsheet's empty row */
		if (first && n > 0) {
			first = false;
			int h = header(c, n, &lo, why, sizeof why);
			if (h > 0)
				continue;
			if (h < 0) {
				csv_reject(st, reject, ctx, path, line, why);
				return 0; /* no row can be read without its columns */
			}
		}
		first = false;
		st->csv_rows++;
		if (n == -1) {
			csv_reject(st, reject, ctx, path, line,
				   "unterminated quoted field: want a closing \"");
			return 0; /* it ran to the end of the file */
		}
		if (n == -2) {
			csv_reject(st, reject, ctx, path, line,
				   "text after a closing quote: want , or the end of the line");
			continue;
		}
		if (n != lo.n) {
			snprintf(why, sizeof why, "%d columns: want %d (%s)%s", n, lo.n, lo.names,
				 lo.n == 3 && (n == 4 || n == 5)
				     ? "; the critical and endpoints columns need a header row"
				       " naming them"
				     : "");
			csv_reject(st, reject, ctx, path, line, why);
			continue;
		}
		if (!check_row(c, &lo, &r, why, sizeof why)) {
			csv_reject(st, reject, ctx, path, line, why);
			continue;
		}
		rc = csv_apply(db, q, st, reject, ctx, path, line, &r);
		free(r.endpoints);
		if (rc)
			return rc;
	}
	return 0;
}

int wr_import_customers(struct wr_db *db, const char *path, wr_reject_cb reject, void *ctx,
			struct wr_import_stats *st)
{
	struct wr_import_stats local;
	struct csv c = {.line = 1};
	struct csv_stmts q = {0};
	bool temp_made = false;
	int rc;

	if (!st)
		st = &local;
	st->csv_rows = st->csv_matched = st->csv_unmatched = st->csv_rejected = 0;
	st->csv_customers_new = st->csv_customers_updated = 0;
	if (!(c.f = wr_fopen_user(path, "r")))
		return wr_err(db, errno == ENOENT ? WR_ENOENT : WR_EIO, "%s: %s", path,
			      strerror(errno));
	/* Made outside the transaction; the serials seen and the customers
	 * named, of this file only. */
	if ((rc = wr_exec(db, "CREATE TEMP TABLE IF NOT EXISTS csv_seen(serial TEXT PRIMARY KEY,"
			      " customer BLOB NOT NULL, line INTEGER NOT NULL,"
			      " matched INTEGER NOT NULL) WITHOUT ROWID;"
			      " DELETE FROM temp.csv_seen;"
			      " CREATE TEMP TABLE IF NOT EXISTS csv_cust(name TEXT PRIMARY KEY,"
			      " contact TEXT, critical INTEGER, matched INTEGER NOT NULL,"
			      " line INTEGER NOT NULL);"
			      " DELETE FROM temp.csv_cust")))
		goto out;
	temp_made = true;
	if ((rc = wr_prepare(db,
			     "UPDATE cert SET customer = ?1, contact = ?2,"
			     " endpoints = coalesce(?3, endpoints) WHERE serial = ?4",
			     &q.up)) ||
	    (rc = wr_prepare(db,
			     "SELECT customer, line, matched FROM temp.csv_seen WHERE serial = ?",
			     &q.seen)) ||
	    (rc = wr_prepare(db,
			     "INSERT INTO temp.csv_seen(serial, customer, line, matched)"
			     " VALUES (?, ?, ?, ?)",
			     &q.keep)) ||
	    (rc = wr_prepare(db,
			     "INSERT INTO temp.csv_cust(name, contact, critical, matched, line)"
			     " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(name) DO UPDATE SET"
			     " contact = coalesce(contact, excluded.contact),"
			     " critical = max(coalesce(critical, excluded.critical),"
			     " coalesce(excluded.critical, critical)),"
			     " matched = max(matched, excluded.matched)",
			     &q.cust)))
		goto out;
	/* One transaction for the whole list: the write lock is held while
	 * it is read (seconds for a million rows), so that no one ever sees
	 * half of it and a bad row leaves nothing behind. */
	if ((rc = wr_tx_begin(db)))
		goto out;
	rc = read_rows(db, &c, &q, path, reject, ctx, st);
	if (!rc && ferror(c.f))
		rc = wr_err(db, WR_EIO, "%s: read error", path);
	if (!rc && st->csv_rejected)
		rc =
		    wr_err(db, WR_EINVAL, "%s: %lld bad %s; nothing of the list was imported", path,
			   (long long)st->csv_rejected, st->csv_rejected == 1 ? "row" : "rows");
	if (!rc)
		rc = customers_store(db, st);
	/* Certificates moved between customers: their figures are counted
	 * afresh (tally.c), once for the whole list. */
	if (!rc && st->csv_matched)
		rc = wr_tally_recount(db);
	if (!rc)
		rc = wr_event_add_json(
		    db, "customers",
		    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "rows", (json_int_t)st->csv_rows,
			      "matched", (json_int_t)st->csv_matched, "unmatched",
			      (json_int_t)st->csv_unmatched, "rejected",
			      (json_int_t)st->csv_rejected, "customers_new",
			      (json_int_t)st->csv_customers_new, "customers_updated",
			      (json_int_t)st->csv_customers_updated));
	if (rc) {
		wr_tx_rollback(db);
		st->csv_matched = st->csv_unmatched = 0;
		st->csv_customers_new = st->csv_customers_updated = 0;
		goto out;
	}
	rc = wr_tx_commit(db);
out:
	sqlite3_finalize(q.up);
	sqlite3_finalize(q.seen);
	sqlite3_finalize(q.keep);
	sqlite3_finalize(q.cust);
	if (temp_made)
		(void)wr_exec(db, "DROP TABLE IF EXISTS temp.csv_seen; DROP TABLE IF EXISTS"
				  " temp.csv_cust");
	fclose(c.f);
	free(c.buf);
	free(c.offs);
	return rc;
}
