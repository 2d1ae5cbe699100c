/* Unit tests for customers (core/customer.c, core/customer-csv.c and
 * data/migrate-006.sql): the checks of a contact, the critical flag and
 * endpoints; the customer CSV's edge cases (BOM, CRLF, quoted fields with
 * commas, doubled quotes and line breaks, serials with colons, 0x and
 * leading zeros, a header naming columns in any order, empty rows, every
 * kind of bad row named FILE:LINE and then nothing applied); what an
 * import does to the customer rows; customer set and ack and their
 * events; the 'acknowledged' counter kept by triggers against a recount;
 * the figures and their order; a wave of critical customers; and the
 * migration of a version-1 database's customers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#define NOW 1795608000 /* 2026-11-25T12:00:00Z */

struct fx {
	char dir[64];
	char path[96];
	struct wr_db *db;
	char rejects[4096]; /* "WHERE|WHY\n" per rejection */
	int nrejects;
};

static void add_cert(struct wr_db *db, const char *serial, const char *customer)
{
	unit_add_cert(db, serial, customer, NOW);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	unit_db_create(f->dir, f->path, &f->db, "2026-11-25T12:00:00Z", "Customers", NULL, "carol");
	static const char *const serials[] = {"1001", "1002", "1003", "1004", "1005", "1006"};
	for (size_t i = 0; i < sizeof serials / sizeof serials[0]; i++)
		add_cert(f->db, serials[i], NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unit_db_remove(f->dir, f->db);
	free(f);
	return 0;
}

static void on_reject(const char *where, const char *why, void *arg)
{
	struct fx *f = arg;
	size_t len = strlen(f->rejects);

	f->nrejects++;
	snprintf(f->rejects + len, sizeof f->rejects - len, "%s|%s\n", strrchr(where, '/') + 1,
		 why);
}

/* Writes text to DIR/name and imports it; the rejections land in f. */
static int import(struct fx *f, const char *name, const char *text, struct wr_import_stats *st)
{
	const char *p = unit_path(f->dir, name);

	write_file(p, text, strlen(text));
	f->rejects[0] = '\0';
	f->nrejects = 0;
	return wr_import_customers(f->db, p, on_reject, f, st);
}

static int64_t q(struct fx *f, const char *sql)
{
	int64_t v = -1;

	assert_int_equal(wr_query_int(f->db, sql, &v), 0);
	return v;
}

/* A text column of the first row of sql, into buf ("NULL" for NULL). */
static const char *qs(struct fx *f, const char *sql, char *buf, size_t n)
{
	sqlite3_stmt *st;

	assert_int_equal(wr_prepare(f->db, sql, &st), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	const char *t = (const char *)sqlite3_column_text(st, 0);
	snprintf(buf, n, "%s", t ? t : "NULL");
	sqlite3_finalize(st);
	return buf;
}

/* ---- the fields' checks --------------------------------------------------------------- */

static void test_contact_check(void **state)
{
	(void)state;
	char why[200];
	static const char *const good[] = {"ops@example.com", "a.b+tag@sub.example.co.uk",
					   "x@localhost", "caf\xc3\xa9@example.fr"};
	static const struct {
		const char *in, *why;
	} bad[] = {
	    {"", "empty"},
	    {"ops.example.com", "no @"},
	    {"a@b@example.com", "more than one @"},
	    {"@example.com", "user and a domain"},
	    {"ops@", "user and a domain"},
	    {"ops@example.", "user and a domain"},
	    {"ops@example.com\r\nBcc: x@evil.example", "line break"},
	    {"ops@example.com\n", "line break"},
	    {"ops\x1b[2J@example.com", "control character"},
	    {"ops\xe2\x80\xae@example.com", "control character"}, /* U+202E */
	    {"ops\xc2\x85@example.com", "control character"},     /* NEL, C1 */
	    {"ops\xe2\x80\xa8@example.com", "line break"},        /* U+2028 */
	    {"Ops <ops@example.com>", "bare address"},
	    {"a@example.com, b@example.com", "bare address"},
	    {"a@example.com;b@example.com", "bare address"},
	    {"ops@exa\xe9mple.com", "not UTF-8"},
	};

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_int_equal(wr_contact_check(good[i], why, sizeof why), 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = '\0';
		assert_int_equal(wr_contact_check(bad[i].in, why, sizeof why), WR_EINVAL);
		if (!strstr(why, bad[i].why))
			fail_msg("contact %zu: '%s' lacks '%s'", i, why, bad[i].why);
	}
	char longer[300];
	memset(longer, 'a', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	longer[10] = '@';
	assert_int_equal(wr_contact_check(longer, why, sizeof why), WR_EINVAL);
	assert_non_null(strstr(why, "at most 254"));
}

static void test_critical_parse(void **state)
{
	(void)state;
	assert_int_equal(wr_critical_parse("yes"), WR_CRITICAL_YES);
	assert_int_equal(wr_critical_parse("YES"), WR_CRITICAL_YES);
	assert_int_equal(wr_critical_parse("true"), WR_CRITICAL_YES);
	assert_int_equal(wr_critical_parse("1"), WR_CRITICAL_YES);
	assert_int_equal(wr_critical_parse("No"), WR_CRITICAL_NO);
	assert_int_equal(wr_critical_parse("false"), WR_CRITICAL_NO);
	assert_int_equal(wr_critical_parse("0"), WR_CRITICAL_NO);
	assert_int_equal(wr_critical_parse("maybe"), -1);
	assert_int_equal(wr_critical_parse(""), -1);
	assert_int_equal(wr_critical_parse(NULL), -1);
}

static void test_endpoints(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} good[] = {
	    {"www.example.com", "www.example.com"},
	    {"  WWW.Example.COM:8443\tapi.example.com ", "www.example.com:8443 api.example.com"},
	    {"[2001:DB8:0:0::1]:443 [::1]:8443", "[2001:db8::1] [::1]:8443"},
	    {"10.0.0.1:0443 10.0.0.1:443 10.0.0.1", "10.0.0.1"},
	    {"a.example a.example:443 a.example:8443 A.example", "a.example a.example:8443"},
	    {"_acme.example:65535", "_acme.example:65535"},
	};
	static const struct {
		const char *in, *why;
	} bad[] = {
	    {"host:0", "1 to 65535"},
	    {"host:65536", "1 to 65535"},
	    {"host:", "1 to 65535"},
	    {"host:44x", "1 to 65535"},
	    {"host:-1", "1 to 65535"},
	    {"2001:db8::1", "in brackets"},
	    {"[2001:db8::1", "IPv6 address"},
	    {"[not-v6]:443", "not an IPv6 address"},
	    {"[::1]x", "IPv6 address"},
	    {"*.example.com", "host name"},
	    {"a..example", "host name"},
	    {".example", "host name"},
	    {"a.example,b.example", "host name"},
	    {"evil\x1b[2J.example", "host name"},
	    {"https://www.example.com", "host name"},
	};
	char why[200], *out;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_int_equal(wr_endpoints_normalize(good[i].in, &out, why, sizeof why), 0);
		assert_non_null(out);
		assert_string_equal(out, good[i].out);
		free(out);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = '\0';
		assert_int_equal(wr_endpoints_normalize(bad[i].in, &out, why, sizeof why),
				 WR_EINVAL);
		assert_null(out);
		if (!strstr(why, bad[i].why))
			fail_msg("endpoints %zu: '%s' lacks '%s'", i, why, bad[i].why);
	}
	assert_int_equal(wr_endpoints_normalize("   ", &out, why, sizeof why), 0);
	assert_null(out);
	/* 65 endpoints is one too many. */
	char many[65 * 12 + 1] = "";
	for (int i = 0; i < 65; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "h%d.example ", i);
	assert_int_equal(wr_endpoints_normalize(many, &out, why, sizeof why), WR_EINVAL);
	assert_non_null(strstr(why, "more than 64"));
}

/* ---- the CSV ------------------------------------------------------------------------- */

static void test_csv_spreadsheet(void **state)
{
	struct fx *f = *state;
	struct wr_import_stats st;
	char b[256];

	/* A BOM, CRLF, a header in its own order, a quoted customer with a
	 * comma, doubled quotes and a line break, serials spelt otherwise,
	 * blank lines and a spreadsheet's empty rows. */
	assert_int_equal(import(f, "a.csv",
				"\xef\xbb\xbf"
				"Endpoints , Contact,SERIAL,customer,critical\r\n"
				"\"a.example b.example:8443\",ops@acme.example,00:10:01,\"Acme, "
				"\"\"Inc\"\"\r\nEast\",YES\r\n"
				"\r\n"
				",,0x1002,\"Acme, \"\"Inc\"\"\r\nEast\",\r\n"
				"  , , ,,\r\n"
				",b@globex.example,0001003,Globex,no\r\n",
				&st),
			 0);
	assert_int_equal(f->nrejects, 0);
	assert_int_equal(st.csv_rows, 3);
	assert_int_equal(st.csv_matched, 3);
	assert_int_equal(st.csv_customers_new, 2);
	assert_int_equal(st.csv_customers_updated, 0);
	assert_string_equal(qs(f, "SELECT customer FROM cert WHERE serial = '1001'", b, sizeof b),
			    "Acme, \"Inc\"\r\nEast");
	assert_string_equal(qs(f, "SELECT customer FROM cert WHERE serial = '1002'", b, sizeof b),
			    "Acme, \"Inc\"\r\nEast");
	assert_string_equal(qs(f, "SELECT customer FROM cert WHERE serial = '1003'", b, sizeof b),
			    "Globex");
	assert_string_equal(qs(f, "SELECT endpoints FROM cert WHERE serial = '1001'", b, sizeof b),
			    "a.example b.example:8443");
	assert_string_equal(qs(f, "SELECT endpoints FROM cert WHERE serial = '1002'", b, sizeof b),
			    "NULL");
	assert_int_equal(q(f, "SELECT critical FROM customer WHERE name LIKE 'Acme%'"), 1);
	assert_string_equal(
	    qs(f, "SELECT contact FROM customer WHERE name LIKE 'Acme%'", b, sizeof b),
	    "ops@acme.example");
	assert_int_equal(q(f, "SELECT critical FROM customer WHERE name = 'Globex'"), 0);
	assert_int_equal(q(f, "SELECT count(*) FROM event WHERE action = 'customers'"), 1);
}

static void test_csv_plain_and_rules(void **state)
{
	struct fx *f = *state;
	struct wr_import_stats st;
	char b[256];

	/* No header, three columns. A customer's contact is its first row's
	 * that has one; a row of another file may change it. A serial no
	 * certificate has makes no customer. */
	assert_int_equal(import(f, "b.csv",
				"1001,Acme,\n"
				"1002,Acme,first@acme.example\n"
				"1003,Acme,second@acme.example\n"
				"BEEF,Ghost,g@ghost.example\n",
				&st),
			 0);
	assert_int_equal(f->nrejects, 0);
	assert_int_equal(st.csv_matched, 3);
	assert_int_equal(st.csv_unmatched, 1);
	assert_int_equal(st.csv_customers_new, 1);
	assert_string_equal(qs(f, "SELECT contact FROM customer WHERE name = 'Acme'", b, sizeof b),
			    "first@acme.example");
	assert_int_equal(q(f, "SELECT count(*) FROM customer WHERE name = 'Ghost'"), 0);

	/* Critical: one row saying yes makes the customer critical. */
	assert_int_equal(import(f, "c.csv",
				"serial,customer,contact,critical\n"
				"1004,Hospital,h@hospital.example,no\n"
				"1005,Hospital,,yes\n"
				"1006,Hospital,,\n",
				&st),
			 0);
	assert_int_equal(q(f, "SELECT critical FROM customer WHERE name = 'Hospital'"), 1);

	/* A later list: an empty field keeps the customer's value, a given
	 * one replaces it; an old three-column file leaves critical alone. */
	assert_int_equal(import(f, "d.csv", "serial,customer,contact\n1004,Hospital,\n", &st), 0);
	assert_int_equal(st.csv_customers_updated, 0);
	assert_int_equal(q(f, "SELECT critical FROM customer WHERE name = 'Hospital'"), 1);
	assert_string_equal(
	    qs(f, "SELECT contact FROM customer WHERE name = 'Hospital'", b, sizeof b),
	    "h@hospital.example");
	assert_int_equal(
	    import(f, "e.csv",
		   "serial,customer,contact,critical\n1004,Hospital,new@hospital.example,no\n",
		   &st),
	    0);
	assert_int_equal(st.csv_customers_updated, 1);
	assert_int_equal(st.csv_customers_new, 0);
	assert_int_equal(q(f, "SELECT critical FROM customer WHERE name = 'Hospital'"), 0);
	assert_string_equal(
	    qs(f, "SELECT contact FROM customer WHERE name = 'Hospital'", b, sizeof b),
	    "new@hospital.example");
}

static void test_csv_all_or_nothing(void **state)
{
	struct fx *f = *state;
	struct wr_import_stats st;
	int64_t events = q(f, "SELECT count(*) FROM event");

	/* Line numbers count physical lines: a quoted line break moves them. */
	assert_int_equal(import(f, "bad.csv",
				"serial,customer,contact,critical,endpoints\n" /* 1 */
				"1001,\"Two\nLines\",a@two.example,,\n"        /* 2-3 good */
				"1002,X,a@x.example,perhaps,\n"                /* 4 */
				"1003,X,a@x.example,,host:70000\n"             /* 5 */
				"1004,X,a@x\"y\"@z,,\n"                        /* 6 */
				"1005,,a@x.example,,\n"                        /* 7 */
				"1006,X\n"                                     /* 8 */
				"10:0G,X,a@x.example,,\n"                      /* 9 */
				"1001,Other,a@x.example,,\n"                   /* 10 */
				"1002,\"X\"junk,a@x.example,,\n",              /* 11 */
				&st),
			 WR_EINVAL);
	assert_int_equal(f->nrejects, 8);
	assert_int_equal(st.csv_rejected, 8);
	static const char *const want[] = {
	    "bad.csv:4|critical is 'perhaps': want yes or no",
	    "bad.csv:5|endpoint 'host:70000': the port is a number from 1 to 65535",
	    "bad.csv:6|the contact holds '\"'",
	    "bad.csv:7|no customer",
	    "bad.csv:8|2 columns: want 5 (serial,customer,contact,critical,endpoints)",
	    "bad.csv:9|bad serial '10:0G'",
	    "bad.csv:10|serial 1001 is already given to customer 'Two\nLines' by line 2",
	    "bad.csv:11|text after a closing quote",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (!strstr(f->rejects, want[i]))
			fail_msg("no '%s' in:\n%s", want[i], f->rejects);
	assert_non_null(
	    strstr(wr_db_errmsg(f->db), "8 bad rows; nothing of the list was imported"));
	/* Nothing applied: no certificate, no customer, no event. */
	assert_int_equal(q(f, "SELECT count(*) FROM cert WHERE customer IS NOT NULL"), 0);
	assert_int_equal(q(f, "SELECT count(*) FROM customer"), 0);
	assert_int_equal(q(f, "SELECT count(*) FROM event"), events);
	assert_int_equal(st.csv_matched, 0);

	/* A bad header: one rejection, at line 1, nothing read after it. */
	assert_int_equal(
	    import(f, "hdr.csv", "serial,customer,contact,phone\n1001,A,a@a.example,1\n", &st),
	    WR_EINVAL);
	assert_int_equal(f->nrejects, 1);
	assert_non_null(strstr(f->rejects, "hdr.csv:1|header: unknown column 'phone'"));
	assert_int_equal(import(f, "hdr2.csv", "serial,customer,serial\n", &st), WR_EINVAL);
	assert_non_null(strstr(f->rejects, "hdr2.csv:1|header: column 'serial' twice"));
	assert_int_equal(import(f, "hdr3.csv", "serial,contact\n1001,a@a.example\n", &st),
			 WR_EINVAL);
	assert_non_null(strstr(f->rejects, "hdr3.csv:1|header: no 'customer' column"));
	/* Five columns without a header: the message says a header is needed. */
	assert_int_equal(import(f, "five.csv", "1001,A,a@a.example,yes,a.example\n", &st),
			 WR_EINVAL);
	assert_non_null(strstr(f->rejects,
			       "five.csv:1|5 columns: want 3 (serial,customer,contact);"
			       " the critical and endpoints columns need a header row"));
	/* An unterminated quote runs to the end of the file. */
	assert_int_equal(
	    import(f, "quote.csv", "1001,A,a@a.example\n1002,\"B,b@b.example\n1003,C,\n", &st),
	    WR_EINVAL);
	assert_int_equal(f->nrejects, 1);
	assert_non_null(strstr(f->rejects, "quote.csv:2|unterminated quoted field"));
	assert_int_equal(q(f, "SELECT count(*) FROM cert WHERE customer IS NOT NULL"), 0);
	/* A missing file. */
	assert_int_equal(wr_import_customers(f->db, unit_path(f->dir, "none.csv"), NULL, NULL, &st),
			 WR_ENOENT);
}

/* ---- customer set, ack, the counter -------------------------------------------------- */

static int64_t recount(struct fx *f)
{
	return q(f, "SELECT count(*) FROM cert c JOIN customer cu ON cu.name = c.customer"
		    " WHERE cu.acknowledged_at IS NOT NULL");
}

static int64_t counter(struct fx *f)
{
	return q(f, "SELECT n FROM counter WHERE name = 'acknowledged'");
}

static void test_set_ack_counter(void **state)
{
	struct fx *f = *state;
	struct wr_import_stats st;
	struct wr_counts c;
	bool changed;
	int64_t n;
	char b[512];

	assert_int_equal(import(f, "l.csv",
				"1001,Acme,ops@acme.example\n1002,Acme,\n1003,Acme,\n"
				"1004,Globex,g@globex.example\n",
				&st),
			 0);
	/* customer set: the contact once, audited with old and new. */
	assert_int_equal(
	    wr_customer_set(f->db, "Acme", "new@acme.example", WR_CRITICAL_ANY, &changed), 0);
	assert_true(changed);
	assert_string_equal(qs(f, "SELECT contact FROM customer WHERE name = 'Acme'", b, sizeof b),
			    "new@acme.example");
	assert_int_equal(q(f, "SELECT count(*) FROM cert WHERE contact = 'ops@acme.example'"), 1);
	assert_string_equal(
	    qs(f, "SELECT details FROM event WHERE action = 'customer-set'", b, sizeof b),
	    "{\"contact\":\"new@acme.example\",\"customer\":\"Acme\","
	    "\"previous_contact\":\"ops@acme.example\"}");
	assert_int_equal(
	    wr_customer_set(f->db, "Acme", "new@acme.example", WR_CRITICAL_NO, &changed), 0);
	assert_false(changed);
	assert_int_equal(q(f, "SELECT count(*) FROM event WHERE action = 'customer-set'"), 1);
	assert_int_equal(wr_customer_set(f->db, "Acme", NULL, WR_CRITICAL_YES, &changed), 0);
	assert_true(changed);
	assert_int_equal(wr_customer_set(f->db, "Acme", "a@b@c", WR_CRITICAL_ANY, &changed),
			 WR_EINVAL);
	assert_int_equal(wr_customer_set(f->db, "Acme", NULL, WR_CRITICAL_ANY, &changed),
			 WR_EINVAL);
	assert_int_equal(wr_customer_set(f->db, "Acme", NULL, 7, &changed), WR_EINVAL);
	assert_int_equal(wr_customer_set(f->db, "Acmee", NULL, WR_CRITICAL_YES, &changed),
			 WR_ENOENT);
	assert_non_null(strstr(wr_db_errmsg(f->db), "did you mean 'Acme'"));
	assert_int_equal(wr_customer_ack(f->db, "Nobody", NULL, &n), WR_ENOENT);

	/* ack: the counter moves by the customer's certificates, once. */
	assert_int_equal(counter(f), 0);
	assert_int_equal(wr_customer_ack(f->db, "Acme", "replacing \xe9 tonight", &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(counter(f), 3);
	assert_string_equal(qs(f, "SELECT ack_note FROM customer WHERE name = 'Acme'", b, sizeof b),
			    "replacing \\xe9 tonight");
	assert_int_equal(wr_customer_ack(f->db, "Acme", NULL, &n), 0);
	assert_int_equal(counter(f), 3);
	assert_int_equal(q(f, "SELECT count(*) FROM event WHERE action = 'customer-ack'"), 2);
	assert_int_equal(q(f, "SELECT count(*) FROM event WHERE action = 'customer-ack'"
			      " AND json_extract(details, '$.again')"),
			 1);
	assert_int_equal(wr_counts_get(f->db, NOW, &c), 0);
	assert_int_equal(c.acknowledged, 3);

	/* Certificates that join, leave or change an acknowledged customer,
	 * and acknowledgements undone or customers dropped by SQL: the
	 * triggers keep the count equal to a recount at every step. */
	add_cert(f->db, "2001", "Acme");
	assert_int_equal(counter(f), recount(f));
	assert_int_equal(counter(f), 4);
	assert_int_equal(
	    wr_exec(f->db, "UPDATE cert SET customer = 'Globex' WHERE serial = '1001'"), 0);
	assert_int_equal(counter(f), recount(f));
	assert_int_equal(wr_customer_ack(f->db, "Globex", NULL, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(counter(f), recount(f));
	assert_int_equal(wr_exec(f->db, "UPDATE cert SET customer = 'Acme' WHERE serial = '1001'"),
			 0);
	assert_int_equal(counter(f), recount(f));
	assert_int_equal(wr_exec(f->db, "UPDATE cert SET customer = NULL WHERE serial = '1002'"),
			 0);
	assert_int_equal(counter(f), recount(f));
	assert_int_equal(wr_exec(f->db, "DELETE FROM cert WHERE serial = '2001'"), 0);
	assert_int_equal(counter(f), recount(f));
	assert_int_equal(
	    wr_exec(f->db, "UPDATE customer SET acknowledged_at = NULL WHERE name = 'Globex'"), 0);
	assert_int_equal(counter(f), recount(f));
	assert_int_equal(wr_exec(f->db, "UPDATE customer SET name = 'Acme2' WHERE name = 'Acme'"),
			 0);
	assert_int_equal(counter(f), recount(f));
	assert_int_equal(wr_exec(f->db, "DELETE FROM customer WHERE name = 'Acme2'"), 0);
	assert_int_equal(counter(f), recount(f));
	assert_int_equal(counter(f), 0);
}

/* The customers in the order wr_customer_foreach gives them. */
struct order {
	char s[256];
};

static int order_cb(const struct wr_customer *c, void *arg)
{
	struct order *o = arg;
	size_t len = strlen(o->s);

	snprintf(o->s + len, sizeof o->s - len, "%s%s:%lld/%lld/%lld/%lld", len ? " " : "", c->name,
		 (long long)c->certificates, (long long)c->acknowledged, (long long)c->revoked,
		 (long long)c->outstanding);
	return 0;
}

static void test_figures_order(void **state)
{
	struct fx *f = *state;
	struct wr_import_stats st;
	struct order o = {""};
	int64_t n;

	assert_int_equal(import(f, "f.csv",
				"serial,customer,contact,critical\n"
				"1001,Big,b@big.example,no\n1002,Big,,\n1003,Big,,\n"
				"1004,Small,s@small.example,no\n1005,Tiny,t@tiny.example,\n"
				"1006,Hospital,h@hospital.example,yes\n",
				&st),
			 0);
	/* Critical first; then all outstanding: the most first, then by name. */
	assert_int_equal(wr_customer_foreach(f->db, NOW, order_cb, &o), 0);
	assert_string_equal(o.s, "Hospital:1/0/0/1 Big:3/0/0/3 Small:1/0/0/1 Tiny:1/0/0/1");
	/* The same share and count: one that acknowledged goes after. */
	assert_int_equal(wr_customer_ack(f->db, "Small", NULL, &n), 0);
	o.s[0] = '\0';
	assert_int_equal(wr_customer_foreach(f->db, NOW, order_cb, &o), 0);
	assert_string_equal(o.s, "Hospital:1/0/0/1 Big:3/0/0/3 Tiny:1/0/0/1 Small:1/1/0/1");
	/* One of Big's revoked, one replaced: a smaller share outstanding. */
	assert_int_equal(wr_exec(f->db,
				 "UPDATE cert SET revoked_at = 1795600000, state = 'revoked'"
				 " WHERE serial = '1001';"
				 " UPDATE cert SET replaced_at = 1795600000 WHERE serial = '1002'"),
			 0);
	o.s[0] = '\0';
	assert_int_equal(wr_customer_foreach(f->db, NOW, order_cb, &o), 0);
	assert_string_equal(o.s, "Hospital:1/0/0/1 Tiny:1/0/0/1 Small:1/1/0/1 Big:3/0/1/1");
	o.s[0] = '\0';
	assert_int_equal(wr_customer_get(f->db, "Big", NOW, order_cb, &o), 0);
	assert_string_equal(o.s, "Big:3/0/1/1");
	assert_int_equal(wr_customer_get(f->db, "Bigg", NOW, order_cb, &o), WR_ENOENT);
	assert_non_null(strstr(wr_db_errmsg(f->db), "did you mean 'Big'"));
}

static void test_wave_critical(void **state)
{
	struct fx *f = *state;
	struct wr_import_stats st;
	int64_t n;
	char b[256];

	/* 1006 has no customer: it is of no critical customer. */
	assert_int_equal(
	    import(f, "w.csv",
		   "serial,customer,contact,critical\n"
		   "1001,Hospital,h@hospital.example,yes\n1002,Hospital,,\n"
		   "1003,Shop,s@shop.example,no\n1004,Shop,,\n1005,Bank,b@bank.example,\n",
		   &st),
	    0);
	struct wr_wave_spec crit = {.name = "critical", .critical = WR_CRITICAL_YES};
	assert_int_equal(wr_wave_add(f->db, &crit, NULL, NULL, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(qs(f,
			       "SELECT group_concat(serial, ' ') FROM (SELECT serial FROM cert"
			       " WHERE wave = (SELECT id FROM wave WHERE name = 'critical')"
			       " ORDER BY serial)",
			       b, sizeof b),
			    "1001 1002");
	const char *shop[] = {"Shop", "Hospital"};
	struct wr_wave_spec none = {
	    .name = "none", .customers = shop, .ncustomers = 2, .critical = WR_CRITICAL_YES};
	assert_int_equal(wr_wave_add(f->db, &none, NULL, NULL, &n), WR_EINVAL);
	struct wr_wave_spec rest = {.name = "rest", .critical = WR_CRITICAL_NO};
	assert_int_equal(wr_wave_add(f->db, &rest, NULL, NULL, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(qs(f,
			       "SELECT details FROM event WHERE action = 'wave-add'"
			       " ORDER BY id DESC LIMIT 1",
			       b, sizeof b),
			    "{\"certificates\":4,\"critical\":\"no\",\"not_before\":null,"
			    "\"position\":2,\"wave\":\"rest\"}");
	struct wr_wave_spec bad = {.name = "bad", .critical = 9};
	assert_int_equal(wr_wave_add(f->db, &bad, NULL, NULL, &n), WR_EINVAL);
}

/* ---- the migration ------------------------------------------------------------------- */

static void test_migration_v1(void **state)
{
	(void)state;
	char dir[] = "/tmp/wr-unit-XXXXXX", path[96], cmd[512], b[256];
	const char *fx = getenv("WR_FIXTURES");
	struct wr_db *db;
	sqlite3 *sq;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/v1.db", dir);
	snprintf(cmd, sizeof cmd, "cp '%s/v1/v1.db' '%s'", fx ? fx : "tests/fixtures", path);
	assert_int_equal(system(cmd), 0);
	/* Before the upgrade, as a version-1 database: a customer whose
	 * first certificate has no contact and whose others disagree. */
	assert_int_equal(sqlite3_open(path, &sq), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(sq,
			 "UPDATE cert SET contact = NULL WHERE id = (SELECT min(id) FROM"
			 " cert WHERE customer = 'Lucerne Telecom');"
			 " UPDATE cert SET contact = 'later@lucerne.example' WHERE id ="
			 " (SELECT max(id) FROM cert WHERE customer = 'Lucerne Telecom')",
			 NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(sq);

	assert_int_equal(wr_db_open(path, 0, &db), 0);
	struct fx f = {.db = db};
	assert_true(q(&f, "PRAGMA user_version") >= 6);
	assert_int_equal(q(&f, "SELECT count(*) FROM customer"), 5);
	assert_int_equal(q(&f, "SELECT count(DISTINCT customer) FROM cert"), 5);
	assert_string_equal(
	    qs(&f, "SELECT contact FROM customer WHERE name = 'Lucerne Telecom'", b, sizeof b),
	    "ops@lucerne-telecom.example");
	assert_int_equal(q(&f, "SELECT count(*) FROM customer WHERE critical OR acknowledged_at"
			       " IS NOT NULL OR created <> updated"),
			 0);
	assert_int_equal(q(&f, "SELECT n FROM counter WHERE name = 'acknowledged'"), 0);
	assert_int_equal(q(&f, "SELECT count(*) FROM cert WHERE endpoints IS NOT NULL"), 0);
	/* The upgraded database takes an acknowledgement. */
	int64_t n;
	assert_int_equal(wr_customer_ack(db, "Trey Telecom, Inc.", NULL, &n), 0);
	assert_int_equal(n,
			 q(&f, "SELECT count(*) FROM cert WHERE customer = 'Trey Telecom, Inc.'"));
	assert_int_equal(q(&f, "SELECT n FROM counter WHERE name = 'acknowledged'"), n);
	wr_db_close(db);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_contact_check),
	    cmocka_unit_test(test_critical_parse),
	    cmocka_unit_test(test_endpoints),
	    cmocka_unit_test_setup_teardown(test_csv_spreadsheet, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_csv_plain_and_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_csv_all_or_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_ack_counter, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_figures_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wave_critical, setup, teardown),
	    cmocka_unit_test(test_migration_v1),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
