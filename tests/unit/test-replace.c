/* Unit tests for core/replace.c: which certificate name covers which, as
 * a CA issues them (RFC 6125 6.4.3): exact names in any ASCII case,
 * wildcards over exactly one leftmost label, and the patterns that are
 * no wildcard a CA issues; then wr_replace_import on a scratch incident
 * with certificates made here with OpenSSL: links, the newest winning, a
 * name with a comma in it, and a second run finding them linked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "unit.h"

#define NOW "2026-11-25T06:00:00Z"
#define T 1795586400 /* NOW */
#define DAY 86400

static void test_exact(void **state)
{
	(void)state;
	assert_true(wr_name_covers("a.example.com", "a.example.com"));
	assert_true(wr_name_covers("A.Example.COM", "a.example.com"));
	assert_true(wr_name_covers("192.0.2.7", "192.0.2.7"));
	assert_true(wr_name_covers("2001:db8::1", "2001:db8::1"));
	assert_false(wr_name_covers("a.example.com", "b.example.com"));
	assert_false(wr_name_covers("a.example.com", "a.example.com.evil"));
	assert_false(wr_name_covers("example.com", "a.example.com"));
	assert_false(wr_name_covers("", ""));
	assert_false(wr_name_covers(NULL, "a.example.com"));
	assert_false(wr_name_covers("a.example.com", NULL));
	/* Only ASCII folds: bytes above it compare as they are. */
	assert_false(wr_name_covers("\xc3\x89.example.com", "\xc3\xa9.example.com"));
}

static void test_wildcard(void **state)
{
	(void)state;
	assert_true(wr_name_covers("*.example.com", "a.example.com"));
	assert_true(wr_name_covers("*.EXAMPLE.com", "www.example.COM"));
	assert_true(wr_name_covers("*.example.com", "xn--bcher-kva.example.com"));
	/* Exactly one label: never the bare domain, never two deeper. */
	assert_false(wr_name_covers("*.example.com", "example.com"));
	assert_false(wr_name_covers("*.example.com", "b.a.example.com"));
	assert_false(wr_name_covers("*.example.com", ".example.com"));
	assert_false(wr_name_covers("*.example.com", "a.example.org"));
	assert_false(wr_name_covers("*.example.com", "a.badexample.com"));
	/* A wildcard is covered by itself alone, not by a wider one. */
	assert_true(wr_name_covers("*.example.com", "*.example.com"));
	assert_false(wr_name_covers("*.example.com", "*.a.example.com"));
	assert_false(wr_name_covers("a.example.com", "*.example.com"));
	/* A name is not a pattern. */
	assert_false(wr_name_covers("a.example.com", "*"));
}

static void test_not_a_wildcard(void **state)
{
	(void)state;
	/* No "*.com": a wildcard spans two labels at least. */
	assert_false(wr_name_covers("*.com", "example.com"));
	assert_false(wr_name_covers("*", "example"));
	/* Partial-label and inner wildcards are not issued. */
	assert_false(wr_name_covers("f*.example.com", "foo.example.com"));
	assert_false(wr_name_covers("*o.example.com", "foo.example.com"));
	assert_false(wr_name_covers("a.*.example.com", "a.b.example.com"));
	assert_false(wr_name_covers("*.*.example.com", "a.b.example.com"));
	assert_false(wr_name_covers("*.example..com", "a.example..com"));
	assert_false(wr_name_covers("*.example.com.", "a.example.com."));
	/* An address is never under a wildcard. */
	assert_false(wr_name_covers("*.0.2.7", "192.0.2.7"));
	assert_false(wr_name_covers("*.db8::1", "2001.db8::1"));
}

/* ---- wr_replace_import ---------------------------------------------------------- */

static EVP_PKEY *key(void)
{
	static EVP_PKEY *k;

	if (!k)
		k = EVP_EC_gen("P-256");
	assert_non_null(k);
	return k;
}

/* DIR/FILE: a DER certificate of "CN=Test CA" with serial and DNS names
 * (up to 3), valid from nb for 90 days. */
static void cert_file(const char *path, long serial, int64_t nb, const char *n0, const char *n1,
		      const char *n2)
{
	const char *names[] = {n0, n1, n2};
	X509 *x = X509_new();
	X509_NAME *nm = X509_NAME_new();
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	unsigned char *der = NULL;
	int len;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"Test CA", -1, -1,
				   0);
	X509_set_issuer_name(x, nm);
	X509_set_subject_name(x, nm);
	X509_NAME_free(nm);
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb);
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(nb + 90 * DAY));
	X509_set_pubkey(x, key());
	for (int i = 0; i < 3 && names[i]; i++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_IA5STRING *v = ASN1_IA5STRING_new();
		ASN1_STRING_set(v, names[i], -1);
		GENERAL_NAME_set0_value(g, GEN_DNS, v);
		sk_GENERAL_NAME_push(gens, g);
	}
	assert_true(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0));
	GENERAL_NAMES_free(gens);
	assert_true(X509_sign(x, key(), EVP_sha256()) > 0);
	assert_true((len = i2d_X509(x, &der)) > 0);
	write_file(path, der, (size_t)len);
	OPENSSL_free(der);
	X509_free(x);
}

struct said {
	int rejects, notes;
	char last_reject[512], last_note[512];
};

static void on_reject(const char *where, const char *why, void *ctx)
{
	struct said *s = ctx;
	s->rejects++;
	snprintf(s->last_reject, sizeof s->last_reject, "%s: %s", where, why);
}

static void on_note(const char *where, const char *why, void *ctx)
{
	struct said *s = ctx;
	s->notes++;
	snprintf(s->last_note, sizeof s->last_note, "%s: %s", where, why);
}

struct links {
	char serial[8][16], repl[8][16];
	int n;
};

static int on_cert(const struct wr_cert *c, void *ctx)
{
	struct links *l = ctx;
	if (l->n < 8) {
		snprintf(l->serial[l->n], sizeof l->serial[0], "%s", c->serial);
		snprintf(l->repl[l->n], sizeof l->repl[0], "%s",
			 c->repl_serial ? c->repl_serial : "-");
		l->n++;
	}
	return 0;
}

static void test_import(void **state)
{
	char dir[64], path[96], aff[128], rep[128];
	struct wr_db *db;
	struct wr_import_stats is;
	struct wr_replace_stats st;
	struct said said = {0};
	struct links l = {0};
	struct wr_cert_filter all = {0};

	(void)state;
	unit_db_create(dir, path, &db, NOW, "Replace", NULL, "alice");
	snprintf(aff, sizeof aff, "%s/aff", dir);
	snprintf(rep, sizeof rep, "%s/rep", dir);
	assert_int_equal(mkdir(aff, 0700), 0);
	assert_int_equal(mkdir(rep, 0700), 0);
	cert_file(unit_path(aff, "a.der"), 0x10, T - 30 * DAY, "a.example.com", "b.example.com",
		  NULL);
	cert_file(unit_path(aff, "b.der"), 0x11, T - 30 * DAY, "x.example.org", NULL, NULL);
	cert_file(unit_path(aff, "c.der"), 0x12, T - 30 * DAY, "w.example.net", NULL, NULL);
	cert_file(unit_path(aff, "d.der"), 0x13, T - 30 * DAY, "we,ird.example", NULL, NULL);
	const char *affp[] = {aff};
	assert_int_equal(wr_import_paths(db, affp, 1, 1, NULL, NULL, &is), 0);
	assert_int_equal(is.added, 4);

	/* a: the newer of two; b: by a wildcard; d: the name with a comma,
	 * which two names "we" and "ird.example" do not cover. */
	cert_file(unit_path(rep, "1.der"), 0x21, T - 7200, "B.example.com", "a.example.com", NULL);
	cert_file(unit_path(rep, "2.der"), 0x22, T - 3600, "a.example.com", "b.example.com",
		  "c.example.com");
	cert_file(unit_path(rep, "3.der"), 0x23, T - 3600, "*.example.org", NULL, NULL);
	cert_file(unit_path(rep, "4.der"), 0x24, T - 3600, "we,ird.example", NULL, NULL);
	cert_file(unit_path(rep, "5.der"), 0x25, T - 3600, "we", "ird.example", NULL);
	const char *repp[] = {rep};
	assert_int_equal(wr_replace_import(db, repp, 1, NULL, 0, 2, on_reject, on_note, &said, &st),
			 0);
	assert_int_equal(st.certs, 5);
	assert_int_equal(st.linked, 3);
	assert_int_equal(st.relinked, 0);
	assert_int_equal(st.already, 0);
	assert_int_equal(st.unmatched, 1);
	assert_int_equal(st.missing, 1);
	assert_int_equal(said.rejects, 1);
	assert_non_null(strstr(said.last_reject, "5.der: certificate 25 replaces no affected"));
	/* 1.der lost to the newer 2.der: a note, not a rejection. */
	assert_int_equal(said.notes, 1);
	assert_non_null(strstr(said.last_note, "1.der: certificate 21 is not linked: a newer"));
	assert_int_equal(wr_cert_foreach(db, &all, on_cert, &l), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.repl[0], "22");
	assert_string_equal(l.repl[1], "23");
	assert_string_equal(l.repl[2], "-");
	assert_string_equal(l.repl[3], "24");
	struct wr_counts c;
	assert_int_equal(wr_counts_get(db, T, &c), 0);
	assert_int_equal(c.replacement_issued, 3);
	assert_int_equal(c.replaced, 0);

	/* Again: linked already, nothing changes. */
	memset(&said, 0, sizeof said);
	assert_int_equal(wr_replace_import(db, repp, 1, NULL, 0, 1, on_reject, on_note, &said, &st),
			 0);
	assert_int_equal(st.linked, 0);
	assert_int_equal(st.already, 3);
	assert_int_equal(wr_counts_get(db, T, &c), 0);
	assert_int_equal(c.replacement_issued, 3);
	unit_db_remove(dir, db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_wildcard),
		cmocka_unit_test(test_not_a_wildcard),
		cmocka_unit_test(test_import),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	EVP_PKEY_free(key());
	return rc;
}
