/* Unit tests for contact readiness (core/contacts.c): the address rule
 * against well-formed and malformed addresses (control bytes, CR/LF, a
 * second @, quoted and dotted local parts, one-label, numeric and
 * hyphenated domains, address literals, the length limits), that what the
 * rule takes wr_contact_check takes too, the status names, and a check
 * of customers that needs no DNS (no contact, malformed) with their order
 * and counts. The DNS answers are tested end to end against dnsmasq
 * (tests/e2e/contacts.t). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

static void test_good_addresses(void **state)
{
	static const char *const good[] = {
	    "ops@example.com",
	    "a@b.co",
	    "first.last@mail.example.org",
	    "user+tag@example.com",
	    "o'brien@example.ie",
	    "x!#$%&'*+-/=?^_`{|}~y@example.com",
	    "OPS@EXAMPLE.COM",
	    "ops@xn--bcher-kva.example",
	    "ops@a-b.example.com",
	    "ops@123.example.com",
	    "ops@example.c0m",
	};
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		why[0] = '\0';
		if (wr_contacts_address_check(good[i], why, sizeof why) != 0)
			fail_msg("refused '%s': %s", good[i], why);
		/* The stricter rule never takes what notify's would refuse. */
		assert_int_equal(wr_contact_check(good[i], why, sizeof why), 0);
	}
}

static void test_bad_addresses(void **state)
{
	static const struct {
		const char *addr, *why; /* why: a part of the reason */
	} bad[] = {
	    {"", "no address"},
	    {"ops@example.com\r\nBcc: victim@evil.example", "control character"},
	    {"ops@example.com\n", "control character"},
	    {"ops\t@example.com", "control character"},
	    {"ops@exa\x01mple.com", "control character"},
	    {"ops@example.com\x7f", "control character"},
	    {"op s@example.com", "a space"},
	    {"caf\xc3\xa9@example.com", "non-ASCII"},
	    {"ops@b\xc3\xbc"
	     "cher.example",
	     "non-ASCII"},
	    {"ops.example.com", "no @"},
	    {"a@b@example.com", "more than one @"},
	    {"@example.com", "nothing before the @"},
	    {"ops@", "nothing after the @"},
	    {".ops@example.com", "a dot at the start"},
	    {"ops.@example.com", "a dot at the start"},
	    {"o..ps@example.com", "two in a row"},
	    {"\"ops\"@example.com", "'\"' in the local part"},
	    {"ops(comment)@example.com", "'(' in the local part"},
	    {"a,b@example.com", "',' in the local part"},
	    {"Ops <ops@example.com>", "a space"},
	    {"ops@localhost", "one label"},
	    {"ops@example.com.", "an empty label"},
	    {"ops@.example.com", "an empty label"},
	    {"ops@example..com", "an empty label"},
	    {"ops@-example.com", "beginning or ending with '-'"},
	    {"ops@example-.com", "beginning or ending with '-'"},
	    {"ops@exa_mple.com", "other than letters"},
	    {"ops@[192.0.2.1]", "address literal"},
	    {"ops@192.0.2.1", "an IP address"},
	};
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = '\0';
		if (wr_contacts_address_check(bad[i].addr, why, sizeof why) != WR_EINVAL)
			fail_msg("took '%s'", bad[i].addr);
		if (!strstr(why, bad[i].why))
			fail_msg("'%s': want a reason with '%s', got '%s'", bad[i].addr, bad[i].why,
				 why);
		/* A reason names no byte of the address but printable ASCII. */
		for (const unsigned char *u = (const unsigned char *)why; *u; u++)
			assert_true(*u >= 0x20 && *u < 0x7f);
	}
}

static void test_lengths(void **state)
{
	char addr[400], why[256];

	(void)state;
	/* A local part of 64 bytes is the most. */
	memset(addr, 'a', 64);
	strcpy(addr + 64, "@example.com");
	assert_int_equal(wr_contacts_address_check(addr, why, sizeof why), 0);
	memset(addr, 'a', 65);
	strcpy(addr + 65, "@example.com");
	assert_int_equal(wr_contacts_address_check(addr, why, sizeof why), WR_EINVAL);
	assert_non_null(strstr(why, "local part of 65 bytes"));
	/* A label of 63 bytes is the most. */
	strcpy(addr, "ops@");
	memset(addr + 4, 'b', 63);
	strcpy(addr + 67, ".example");
	assert_int_equal(wr_contacts_address_check(addr, why, sizeof why), 0);
	strcpy(addr, "ops@");
	memset(addr + 4, 'b', 64);
	strcpy(addr + 68, ".example");
	assert_int_equal(wr_contacts_address_check(addr, why, sizeof why), WR_EINVAL);
	assert_non_null(strstr(why, "over 63 bytes"));
	/* 254 bytes in all is the most: "a@", 25 labels "abcdefghi.", "co". */
	char dom[300] = "";
	for (int i = 0; i < 25; i++)
		strcat(dom, "abcdefghi.");
	strcat(dom, "co");
	snprintf(addr, sizeof addr, "a@%s", dom);
	assert_int_equal(strlen(addr), 254);
	assert_int_equal(wr_contacts_address_check(addr, why, sizeof why), 0);
	snprintf(addr, sizeof addr, "ab@%s", dom);
	assert_int_equal(wr_contacts_address_check(addr, why, sizeof why), WR_EINVAL);
	assert_non_null(strstr(why, "255 bytes"));
}

static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(wr_contact_status_name(WR_CONTACT_OK), "ok");
	assert_string_equal(wr_contact_status_name(WR_CONTACT_NONE), "no-contact");
	assert_string_equal(wr_contact_status_name(WR_CONTACT_MALFORMED), "malformed");
	assert_string_equal(wr_contact_status_name(WR_CONTACT_NO_DOMAIN), "no-domain");
	assert_string_equal(wr_contact_status_name(WR_CONTACT_NO_MAIL), "no-mail");
	assert_string_equal(wr_contact_status_name(WR_CONTACT_NO_ANSWER), "no-answer");
	assert_string_equal(wr_contact_status_name(WR_CONTACT_NSTATUS), "?");
	assert_string_equal(wr_contact_status_name(-1), "?");
}

struct seen {
	char lines[2048];
};

static int collect(const struct wr_contact_result *r, void *arg)
{
	struct seen *s = arg;
	size_t n = strlen(s->lines);

	snprintf(s->lines + n, sizeof s->lines - n, "%s|%s|%d|%s\n", r->name,
		 wr_contact_status_name(r->status), r->critical,
		 r->test_state ? r->test_state : "-");
	return 0;
}

static void add_customer(struct wr_db *db, const char *name, const char *contact, int critical)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db->sq,
					    "INSERT INTO customer(name, contact, critical, created,"
					    " updated) VALUES (?, ?, ?, 0, 0)",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (contact)
		sqlite3_bind_text(st, 2, contact, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, critical);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

/* Customers that need no DNS: the order (critical first, then by name),
 * the statuses and the counts. */
static void test_check_without_dns(void **state)
{
	char dir[64], path[96];
	struct wr_db *db;
	struct wr_contacts_stats st;
	struct seen seen = {{0}};

	(void)state;
	unit_db_create(dir, path, &db, "2026-11-25T12:00:00Z", "contacts", NULL, "alice");
	add_customer(db, "Zeta", NULL, 1);
	add_customer(db, "Alpha", "ops@localhost", 0);
	add_customer(db, "Beta", "", 0);
	/* A contact edited in the database behind the CSV's checks. */
	add_customer(db, "Evil\r\nBcc: x", "ops@example.com\r\nBcc: victim@evil.example", 0);
	add_customer(db, "Gamma", "a..b@example.com", 1);
	struct wr_contacts_opts o = {0};
	assert_int_equal(wr_contacts_check(db, &o, collect, &seen, &st), 0);
	assert_string_equal(seen.lines, "Gamma|malformed|1|-\n"
					"Zeta|no-contact|1|-\n"
					"Alpha|malformed|0|-\n"
					"Beta|no-contact|0|-\n"
					"Evil\r\nBcc: x|malformed|0|-\n");
	assert_int_equal(st.customers, 5);
	assert_int_equal(st.fine, 0);
	assert_int_equal(st.by_status[WR_CONTACT_NONE], 2);
	assert_int_equal(st.by_status[WR_CONTACT_MALFORMED], 3);
	assert_int_equal(st.by_status[WR_CONTACT_OK], 0);
	assert_int_equal(st.tests_sent + st.tests_failed, 0);
	unit_db_remove(dir, db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_addresses),    cmocka_unit_test(test_bad_addresses),
	    cmocka_unit_test(test_lengths),           cmocka_unit_test(test_status_names),
	    cmocka_unit_test(test_check_without_dns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
