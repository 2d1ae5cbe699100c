/* Unit tests for core/verify.c without any network: CRLs made here with
 * the OpenSSL API (right and wrong keys, names, dates, extensions,
 * reasons), the serial lookup across several CRLs added one after another,
 * the reason rules, and wr_verify's input checks and record on a database
 * whose certificates need no fetch. And scope: the Issuing Distribution
 * Point against the URL fetched, which CRL lists a serial (the shard
 * check), CRL numbers that must only grow (and are carried from one
 * verify to the next), OCSP's reason against the CRL's, and status's
 * "stale" when revocations came after the last verify. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "verify.h"

#define NOW ((int64_t)1795586400) /* 2026-11-25T06:00:00Z */
#define DAY 86400

/* ---- making keys, certificates and CRLs ------------------------------------ */

static EVP_PKEY *key_new(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	assert_non_null(k);
	return k;
}

static void set_time(ASN1_TIME **slot, int64_t t)
{
	ASN1_TIME *a = ASN1_TIME_set(NULL, (time_t)t);
	assert_non_null(a);
	*slot = a;
}

/* A certificate named cn with key k, signed by ik (self-signed when NULL). */
static X509 *cert_new(const char *cn, EVP_PKEY *k, const char *serial_hex, X509 *issuer,
		      EVP_PKEY *ik)
{
	X509 *x = X509_new();
	BIGNUM *bn = NULL;
	X509_NAME *n = X509_NAME_new();

	assert_non_null(x);
	assert_true(X509_set_version(x, 2));
	assert_true(BN_hex2bn(&bn, serial_hex));
	assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
	BN_free(bn);
	assert_true(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn,
					       -1, -1, 0));
	assert_true(X509_set_subject_name(x, n));
	X509_NAME_free(n);
	assert_true(X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x)));
	assert_non_null(X509_time_adj_ex(X509_getm_notBefore(x), -1, 0, NULL));
	assert_non_null(X509_time_adj_ex(X509_getm_notAfter(x), 90, 0, NULL));
	assert_true(X509_set_pubkey(x, k));
	assert_true(X509_sign(x, ik ? ik : k, EVP_sha256()) > 0);
	return x;
}

#define NO_REASON (-1)
#define TWO_REASONS (-3)
struct rev {
	const char *serial; /* hex; "-" for negative */
	int reason;	    /* NO_REASON, TWO_REASONS or a CRLReason */
};

enum {
	F_NO_NEXT = 1 << 0,    /* no nextUpdate */
	F_CRIT_UNKNOWN = 1 << 1,
	F_IDP_NONCRIT = 1 << 2,
	F_IDP_CRIT = 1 << 3,
	F_IDP_ONLY_CA = 1 << 4,	     /* onlyContainsCACerts, not onlyContainsUserCerts */
	F_IDP_SOME_REASONS = 1 << 5, /* onlySomeReasons */
	F_IDP_RELATIVE = 1 << 6,     /* nameRelativeToCRLIssuer, no URL */
};

/* What crl_new puts in a CRL besides its entries: an Issuing Distribution
 * Point's URL (with F_IDP_CRIT), a CRL number in hex. */
static const char *crl_idp_url;
static const char *crl_number_hex;

static void add_reason(X509_REVOKED *r, int reason, unsigned long flags)
{
	ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();
	assert_true(ASN1_ENUMERATED_set(e, reason));
	assert_true(X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, e, 0, flags));
	ASN1_ENUMERATED_free(e);
}

static void add_idp(X509_CRL *crl, int crit, unsigned flags)
{
	ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();
	assert_non_null(idp);
	if (flags & F_IDP_ONLY_CA)
		idp->onlyCA = 0xff;
	else
		idp->onlyuser = 0xff;
	if (crl_idp_url) {
		GENERAL_NAME *gn = GENERAL_NAME_new();
		ASN1_IA5STRING *u = ASN1_IA5STRING_new();
		assert_true(ASN1_STRING_set(u, crl_idp_url, -1));
		GENERAL_NAME_set0_value(gn, GEN_URI, u);
		idp->distpoint = DIST_POINT_NAME_new();
		idp->distpoint->type = 0;
		idp->distpoint->name.fullname = GENERAL_NAMES_new();
		assert_true(sk_GENERAL_NAME_push(idp->distpoint->name.fullname, gn));
	} else if (flags & F_IDP_RELATIVE) {
		idp->distpoint = DIST_POINT_NAME_new();
		idp->distpoint->type = 1;
		idp->distpoint->name.relativename = sk_X509_NAME_ENTRY_new_null();
		X509_NAME_ENTRY *ne = X509_NAME_ENTRY_create_by_txt(
			NULL, "CN", MBSTRING_UTF8, (const unsigned char *)"shard 3", -1);
		assert_true(sk_X509_NAME_ENTRY_push(idp->distpoint->name.relativename, ne));
	}
	if (flags & F_IDP_SOME_REASONS) {
		idp->onlysomereasons = ASN1_BIT_STRING_new();
		assert_true(ASN1_BIT_STRING_set_bit(idp->onlysomereasons, 1, 1));
	}
	assert_true(X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point, idp, crit, 0));
	ISSUING_DIST_POINT_free(idp);
}

/* A CRL in the name of issuer, signed with sk, as DER (malloc'd). */
static unsigned char *crl_new(X509 *issuer, EVP_PKEY *sk, int64_t this_upd, int64_t next_upd,
			      const struct rev *revs, size_t n, unsigned flags, size_t *len)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t;
	unsigned char *der = NULL, *out;
	int dlen;

	assert_non_null(crl);
	assert_true(X509_CRL_set_version(crl, 1));
	assert_true(X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)));
	set_time(&t, this_upd);
	assert_true(X509_CRL_set1_lastUpdate(crl, t));
	ASN1_TIME_free(t);
	if (!(flags & F_NO_NEXT)) {
		set_time(&t, next_upd);
		assert_true(X509_CRL_set1_nextUpdate(crl, t));
		ASN1_TIME_free(t);
	}
	for (size_t i = 0; i < n; i++) {
		X509_REVOKED *r = X509_REVOKED_new();
		BIGNUM *bn = NULL;
		const char *hex = revs[i].serial;
		bool neg = hex[0] == '-';
		assert_true(BN_hex2bn(&bn, neg ? hex + 1 : hex));
		BN_set_negative(bn, neg);
		ASN1_INTEGER *ai = BN_to_ASN1_INTEGER(bn, NULL);
		BN_free(bn);
		assert_true(X509_REVOKED_set_serialNumber(r, ai));
		ASN1_INTEGER_free(ai);
		set_time(&t, this_upd - 3600 - (int64_t)i);
		assert_true(X509_REVOKED_set_revocationDate(r, t));
		ASN1_TIME_free(t);
		if (revs[i].reason == TWO_REASONS) {
			add_reason(r, 1, X509V3_ADD_APPEND);
			add_reason(r, 4, X509V3_ADD_APPEND);
		} else if (revs[i].reason != NO_REASON) {
			add_reason(r, revs[i].reason, 0);
		}
		assert_true(X509_CRL_add0_revoked(crl, r));
	}
	if (flags & F_CRIT_UNKNOWN) {
		ASN1_OBJECT *obj = OBJ_txt2obj("1.3.6.1.4.1.55555.1", 1);
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		assert_true(ASN1_OCTET_STRING_set(os, (const unsigned char *)"\x05\x00", 2));
		X509_EXTENSION *ex = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, os);
		assert_non_null(ex);
		assert_true(X509_CRL_add_ext(crl, ex, -1));
		X509_EXTENSION_free(ex);
		ASN1_OCTET_STRING_free(os);
		ASN1_OBJECT_free(obj);
	}
	if (flags & (F_IDP_CRIT | F_IDP_NONCRIT))
		add_idp(crl, (flags & F_IDP_CRIT) != 0, flags);
	if (crl_number_hex) {
		BIGNUM *bn = NULL;
		assert_true(BN_hex2bn(&bn, crl_number_hex));
		ASN1_INTEGER *num = BN_to_ASN1_INTEGER(bn, NULL);
		BN_free(bn);
		assert_true(X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0));
		ASN1_INTEGER_free(num);
	}
	assert_true(X509_CRL_sort(crl));
	assert_true(X509_CRL_sign(crl, sk, EVP_sha256()) > 0);
	dlen = i2d_X509_CRL(crl, &der);
	assert_true(dlen > 0);
	out = malloc((size_t)dlen);
	memcpy(out, der, (size_t)dlen);
	OPENSSL_free(der);
	X509_CRL_free(crl);
	*len = (size_t)dlen;
	return out;
}

/* ---- collecting problems ----------------------------------------------------- */

struct seen {
	int n;
	int kinds[64];
	char last[1024];
	char last_url[512];
	char last_serial[132];
	bool all_utf8;
};

static bool valid_utf8(const char *s)
{
	char *t = wr_utf8_sanitize(s, strlen(s));
	bool same = t && strcmp(s, t) == 0;
	free(t);
	return same;
}

static void collect(const struct wr_verify_problem *p, void *ctx)
{
	struct seen *s = ctx;

	if (s->n < 64)
		s->kinds[s->n] = p->kind;
	s->n++;
	snprintf(s->last, sizeof s->last, "%s", p->what);
	snprintf(s->last_url, sizeof s->last_url, "%s", p->url ? p->url : "");
	snprintf(s->last_serial, sizeof s->last_serial, "%s", p->serial ? p->serial : "");
	if (!valid_utf8(p->what) || (p->url && !valid_utf8(p->url)))
		s->all_utf8 = false;
}

static bool saw(const struct seen *s, int kind)
{
	for (int i = 0; i < s->n && i < 64; i++)
		if (s->kinds[i] == kind)
			return true;
	return false;
}

struct fx {
	EVP_PKEY *ca_key, *other_key;
	X509 *ca, *other_name;
	struct wr_crlset *set;
	struct seen seen;
	struct wr_crl_check c;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	f->ca_key = key_new();
	f->other_key = key_new();
	f->ca = cert_new("warroom unit CA", f->ca_key, "01", NULL, NULL);
	/* Another name on the same key: a signature that verifies, wrongly issued. */
	f->other_name = cert_new("someone else", f->ca_key, "02", NULL, NULL);
	f->set = wr_crlset_new();
	assert_non_null(f->set);
	f->seen.all_utf8 = true;
	crl_idp_url = crl_number_hex = NULL;
	f->c = (struct wr_crl_check){.now = NOW, .issuer = f->ca, .url = "http://127.0.0.1/x.crl",
				     .cb = collect, .ctx = &f->seen};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	wr_crlset_free(f->set);
	X509_free(f->ca);
	X509_free(f->other_name);
	EVP_PKEY_free(f->ca_key);
	EVP_PKEY_free(f->other_key);
	free(f);
	return 0;
}

static int add(struct fx *f, unsigned char *der, size_t len)
{
	int rc;

	f->seen.n = 0;
	rc = wr_crlset_add(f->set, der, len, &f->c);
	free(der);
	return rc;
}

/* ---- the tests ------------------------------------------------------------------ */

static void test_good_crl_and_reasons(void **state)
{
	struct fx *f = *state;
	static const struct rev revs[] = {
		{"1001", 9},	     /* privilegeWithdrawn: openssl ca cannot, the API can */
		{"1002", NO_REASON}, /* unspecified, as BR 7.2.2 wants it */
		{"1003", 1},
		{"80", 4},	     /* high bit: DER pads a 00 */
		{"1004", 0},	     /* unspecified, but present */
		{"1005", TWO_REASONS},
		{"1006", 6},	     /* certificateHold */
	};
	size_t len;
	int reason;
	int64_t date;
	const char *why;

	unsigned char *der = crl_new(f->ca, f->ca_key, NOW - 3600, NOW + 7 * DAY, revs,
				     sizeof revs / sizeof revs[0], F_IDP_CRIT, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_true(f->c.parsed);
	assert_true(f->c.valid);
	assert_int_equal(f->c.entries, 7);
	assert_int_equal(f->c.problems, 0);
	assert_int_equal(f->seen.n, 0);
	assert_int_equal(f->c.this_update, NOW - 3600);
	assert_int_equal(f->c.next_update, NOW + 7 * DAY);
	assert_int_equal(wr_crlset_sort(f->set), 0);
	assert_int_equal(wr_crlset_size(f->set), 7);

	/* Serials as the cert table writes them. */
	assert_true(wr_crlset_find(f->set, "1001", &reason, &date));
	assert_int_equal(reason, 9);
	assert_int_equal(date, NOW - 7200);
	assert_int_equal(wr_crl_reason_check(9, reason, &why), 0);
	assert_int_not_equal(wr_crl_reason_check(1, reason, &why), 0);
	assert_string_equal(why, "the reason differs");

	assert_true(wr_crlset_find(f->set, "1002", &reason, NULL));
	assert_int_equal(reason, WR_CRL_OMIT);
	assert_int_equal(wr_crl_reason_check(WR_CRL_OMIT, reason, &why), 0);
	assert_int_not_equal(wr_crl_reason_check(4, reason, &why), 0);
	assert_string_equal(why, "there is no reasonCode extension");

	assert_true(wr_crlset_find(f->set, "80", &reason, NULL));
	assert_int_equal(reason, 4);
	assert_true(wr_crlset_find(f->set, "0080", &reason, NULL)); /* padded */
	assert_true(wr_crlset_find(f->set, "1003", &reason, NULL));
	assert_int_equal(reason, 1);

	/* Unspecified present: BR 7.2.2 says omit it. */
	assert_true(wr_crlset_find(f->set, "1004", &reason, NULL));
	assert_int_equal(reason, 0);
	assert_int_not_equal(wr_crl_reason_check(WR_CRL_OMIT, reason, &why), 0);
	assert_non_null(strstr(why, "7.2.2"));

	assert_true(wr_crlset_find(f->set, "1005", &reason, NULL));
	assert_int_equal(reason, WR_CRL_BAD);
	assert_int_not_equal(wr_crl_reason_check(1, reason, &why), 0);
	assert_non_null(strstr(why, "repeated"));

	assert_true(wr_crlset_find(f->set, "1006", &reason, NULL));
	assert_int_equal(reason, 6);
	assert_int_not_equal(wr_crl_reason_check(4, reason, NULL), 0);

	assert_false(wr_crlset_find(f->set, "1007", &reason, NULL));
	assert_false(wr_crlset_find(f->set, "01", &reason, NULL));
	assert_false(wr_crlset_find(f->set, "-1001", &reason, NULL));
	assert_false(wr_crlset_find(f->set, "zz", &reason, NULL));
	assert_false(wr_crlset_find(f->set, "", &reason, NULL));
}

static void test_reason_rules(void **state)
{
	(void)state;
	/* 0 expected means unspecified too: only the omission is right. */
	assert_int_equal(wr_crl_reason_check(0, WR_CRL_OMIT, NULL), 0);
	assert_int_not_equal(wr_crl_reason_check(0, 0, NULL), 0);
	assert_int_equal(wr_crl_reason_check(5, 5, NULL), 0);
	assert_int_not_equal(wr_crl_reason_check(5, 4, NULL), 0);
	assert_int_not_equal(wr_crl_reason_check(9, WR_CRL_OMIT, NULL), 0);
	assert_int_not_equal(wr_crl_reason_check(WR_CRL_OMIT, 1, NULL), 0);
	assert_int_not_equal(wr_crl_reason_check(WR_CRL_OMIT, WR_CRL_BAD, NULL), 0);
}

static void test_pem_and_garbage(void **state)
{
	struct fx *f = *state;
	static const struct rev revs[] = {{"0A", 1}};
	size_t len;
	unsigned char *der = crl_new(f->ca, f->ca_key, NOW - 60, NOW + DAY, revs, 1, 0, &len);
	const unsigned char *p = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
	BIO *b = BIO_new(BIO_s_mem());
	char *pem;

	free(der);
	assert_non_null(crl);
	assert_true(PEM_write_bio_X509_CRL(b, crl));
	long n = BIO_get_mem_data(b, &pem);
	unsigned char *copy = malloc((size_t)n);
	memcpy(copy, pem, (size_t)n);
	BIO_free(b);
	X509_CRL_free(crl);
	assert_int_equal(add(f, copy, (size_t)n), 0);
	assert_true(f->c.valid);
	assert_int_equal(f->c.entries, 1);

	static const char junk[] = "<html>not found</html>";
	unsigned char *j = malloc(sizeof junk);
	memcpy(j, junk, sizeof junk);
	assert_int_equal(add(f, j, sizeof junk), 0);
	assert_false(f->c.parsed);
	assert_false(f->c.valid);
	assert_int_equal(f->seen.n, 1);
	assert_int_equal(f->seen.kinds[0], WR_VP_PARSE);

	/* Truncated DER is no CRL either. */
	der = crl_new(f->ca, f->ca_key, NOW - 60, NOW + DAY, revs, 1, 0, &len);
	assert_int_equal(add(f, der, len / 2), 0);
	assert_false(f->c.parsed);
	assert_int_equal(wr_crlset_sort(f->set), 0);
	assert_int_equal(wr_crlset_size(f->set), 1);
	assert_true(wr_crlset_find(f->set, "0A", NULL, NULL));
}

static void test_wrong_key_and_name(void **state)
{
	struct fx *f = *state;
	static const struct rev revs[] = {{"2001", 1}, {"2002", 4}};
	size_t len;

	/* Signed by another key: nothing of it counts. */
	unsigned char *der = crl_new(f->ca, f->other_key, NOW - 60, NOW + DAY, revs, 2, 0, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_true(f->c.parsed);
	assert_false(f->c.valid);
	assert_int_equal(f->c.entries, 0);
	assert_true(saw(&f->seen, WR_VP_SIGNATURE));
	assert_string_equal(f->seen.last_url, "http://127.0.0.1/x.crl");

	/* The right key, another issuer name. */
	der = crl_new(f->other_name, f->ca_key, NOW - 60, NOW + DAY, revs, 2, 0, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_false(f->c.valid);
	assert_true(saw(&f->seen, WR_VP_ISSUER));
	assert_non_null(strstr(f->seen.last, "someone else"));

	assert_int_equal(wr_crlset_sort(f->set), 0);
	assert_int_equal(wr_crlset_size(f->set), 0);
	assert_false(wr_crlset_find(f->set, "2001", NULL, NULL));
}

static void test_dates_and_extensions(void **state)
{
	struct fx *f = *state;
	static const struct rev revs[] = {{"3001", 1}};
	size_t len;
	unsigned char *der;

	/* BR 4.9.7: nextUpdate at most 10 days after thisUpdate. */
	der = crl_new(f->ca, f->ca_key, NOW - 60, NOW - 60 + 10 * DAY, revs, 1, 0, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_int_equal(f->seen.n, 0);
	der = crl_new(f->ca, f->ca_key, NOW - 60, NOW - 60 + 10 * DAY + 1, revs, 1, 0, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_int_equal(f->seen.n, 1);
	assert_int_equal(f->seen.kinds[0], WR_VP_DATES);
	assert_non_null(strstr(f->seen.last, "10 days"));
	assert_true(f->c.valid); /* a date problem does not void the entries */

	/* Stale, future, missing nextUpdate, nextUpdate before thisUpdate. */
	der = crl_new(f->ca, f->ca_key, NOW - 9 * DAY, NOW - DAY, revs, 1, 0, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_int_equal(f->seen.n, 1);
	assert_non_null(strstr(f->seen.last, "stale"));
	der = crl_new(f->ca, f->ca_key, NOW + DAY, NOW + 2 * DAY, revs, 1, 0, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_int_equal(f->seen.n, 1);
	assert_non_null(strstr(f->seen.last, "future"));
	der = crl_new(f->ca, f->ca_key, NOW - 60, 0, revs, 1, F_NO_NEXT, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_int_equal(f->seen.n, 1);
	assert_non_null(strstr(f->seen.last, "no nextUpdate"));
	der = crl_new(f->ca, f->ca_key, NOW - 60, NOW - 120, revs, 1, 0, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_true(saw(&f->seen, WR_VP_DATES));
	assert_non_null(strstr(f->seen.last, "not after"));

	/* An unknown critical extension; an IDP that is not critical. */
	der = crl_new(f->ca, f->ca_key, NOW - 60, NOW + DAY, revs, 1, F_CRIT_UNKNOWN, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_int_equal(f->seen.n, 1);
	assert_int_equal(f->seen.kinds[0], WR_VP_EXTENSION);
	assert_non_null(strstr(f->seen.last, "1.3.6.1.4.1.55555.1"));
	der = crl_new(f->ca, f->ca_key, NOW - 60, NOW + DAY, revs, 1, F_IDP_NONCRIT, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_int_equal(f->seen.n, 1);
	assert_int_equal(f->seen.kinds[0], WR_VP_EXTENSION);
	assert_non_null(strstr(f->seen.last, "Issuing Distribution Point"));
}

static void test_odd_serials(void **state)
{
	struct fx *f = *state;
	/* 22 octets: over RFC 5280's 20 and the lookup's 21. */
	static const struct rev revs[] = {
		{"-05", 1},
		{"0102030405060708090A0B0C0D0E0F101112131415", 1},	/* 21 octets */
		{"0102030405060708090A0B0C0D0E0F10111213141516", 1}, /* 22 octets */
		{"00", 4},
	};
	size_t len;
	int reason;

	unsigned char *der = crl_new(f->ca, f->ca_key, NOW - 60, NOW + DAY, revs, 4, 0, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_true(f->c.valid);
	assert_int_equal(f->c.entries, 3);
	assert_int_equal(f->seen.n, 1);
	assert_int_equal(f->seen.kinds[0], WR_VP_PARSE);
	assert_int_equal(wr_crlset_sort(f->set), 0);
	assert_true(wr_crlset_find(f->set, "-05", &reason, NULL));
	assert_false(wr_crlset_find(f->set, "05", &reason, NULL));
	assert_true(wr_crlset_find(f->set, "0102030405060708090A0B0C0D0E0F101112131415", NULL, NULL));
	assert_false(
		wr_crlset_find(f->set, "0102030405060708090A0B0C0D0E0F10111213141516", NULL, NULL));
	assert_true(wr_crlset_find(f->set, "00", &reason, NULL));
	assert_int_equal(reason, 4);
	assert_true(wr_crlset_find(f->set, "1", NULL, NULL) == false);
}

/* Shards added and sorted one at a time (CDP mode) and all at once must
 * give the same lookup: every serial found with its reason, no other. */
static void test_shards_merge(void **state)
{
	struct fx *f = *state;
	enum { SHARDS = 4, PER = 300 };
	struct rev revs[PER];
	char serials[SHARDS * PER][16];
	struct wr_crlset *all = wr_crlset_new();
	size_t len;
	int reason;

	for (int s = 0; s < SHARDS; s++) {
		for (int i = 0; i < PER; i++) {
			/* serial mod SHARDS = s, in no particular order */
			unsigned v = (unsigned)((i * 7919 % PER) * SHARDS + s + 1);
			snprintf(serials[s * PER + i], 16, "%04X%02X", v, (unsigned)(v * 31 & 0xff));
			revs[i].serial = serials[s * PER + i];
			revs[i].reason = (int)(v % 3 == 0 ? NO_REASON : v % 3 == 1 ? 1 : 9);
		}
		unsigned char *der =
			crl_new(f->ca, f->ca_key, NOW - 60, NOW + DAY, revs, PER, F_IDP_CRIT, &len);
		struct wr_crl_check c = f->c;
		assert_int_equal(wr_crlset_add(all, der, len, &c), 0);
		assert_int_equal(add(f, der, len), 0); /* frees der */
		assert_int_equal(f->c.entries, PER);
		assert_int_equal(wr_crlset_sort(f->set), 0);
		/* Sorting again with nothing new is a no-op. */
		assert_int_equal(wr_crlset_sort(f->set), 0);
	}
	assert_int_equal(wr_crlset_sort(all), 0);
	assert_int_equal(wr_crlset_size(f->set), SHARDS * PER);
	assert_int_equal(wr_crlset_size(all), SHARDS * PER);
	for (int k = 0; k < SHARDS * PER; k++) {
		unsigned v;
		int r2;
		assert_int_equal(sscanf(serials[k], "%4X", &v), 1);
		int want = v % 3 == 0 ? WR_CRL_OMIT : v % 3 == 1 ? 1 : 9;
		assert_true(wr_crlset_find(f->set, serials[k], &reason, NULL));
		assert_true(wr_crlset_find(all, serials[k], &r2, NULL));
		assert_int_equal(reason, want);
		assert_int_equal(r2, want);
	}
	assert_false(wr_crlset_find(f->set, "FFFFFF", NULL, NULL));
	assert_false(wr_crlset_find(f->set, "000000", NULL, NULL));
	wr_crlset_free(all);
}

/* Whatever a server puts in a URL reaches the callback as valid UTF-8. */
static void test_hostile_url(void **state)
{
	struct fx *f = *state;
	static const char junk[] = "junk";
	unsigned char *j = malloc(sizeof junk);

	memcpy(j, junk, sizeof junk);
	f->c.url = "http://127.0.0.1/\xff\xfe\x1b[2J\xe2\x80\xae.crl";
	assert_int_equal(add(f, j, sizeof junk), 0);
	assert_int_equal(f->seen.n, 1);
	assert_true(f->seen.all_utf8);
	assert_null(strchr(f->seen.last_url, 0xff));
}

/* ---- scope ---------------------------------------------------------------------- */

static int count_kind(const struct seen *s, int kind)
{
	int n = 0;
	for (int i = 0; i < s->n && i < 64; i++)
		n += s->kinds[i] == kind;
	return n;
}

/* The Issuing Distribution Point must name the URL the CRL came from. */
static void test_idp_names_the_url(void **state)
{
	struct fx *f = *state;
	static const struct rev revs[] = {{"4001", 1}};
	size_t len;
	unsigned char *der;

	/* The shard's own URL: fine, and its scope is read. */
	f->c.url = "http://127.0.0.1:8080/shard-1.crl";
	crl_idp_url = "http://127.0.0.1:8080/shard-1.crl";
	der = crl_new(f->ca, f->ca_key, NOW - 60, NOW + DAY, revs, 1, F_IDP_CRIT, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_int_equal(f->seen.n, 0);
	assert_true(f->c.valid);
	assert_true(f->c.idp);
	assert_true(f->c.idp_url);
	assert_true(f->c.only_user);
	assert_false(f->c.only_ca);

	/* Scheme and host in another case are the same URL. */
	f->c.url = "HTTP://127.0.0.1:8080/shard-1.crl";
	der = crl_new(f->ca, f->ca_key, NOW - 60, NOW + DAY, revs, 1, F_IDP_CRIT, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_int_equal(f->seen.n, 0);

	/* Another shard's URL: a scope problem naming both. */
	f->c.url = "http://127.0.0.1:8080/shard-0.crl";
	der = crl_new(f->ca, f->ca_key, NOW - 60, NOW + DAY, revs, 1, F_IDP_CRIT, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_int_equal(f->seen.n, 1);
	assert_int_equal(f->seen.kinds[0], WR_VP_SCOPE);
	assert_non_null(strstr(f->seen.last, "names http://127.0.0.1:8080/shard-1.crl"));
	assert_string_equal(f->seen.last_url, "http://127.0.0.1:8080/shard-0.crl");
	assert_true(f->c.valid); /* its entries still count; the run is not proven */
	assert_true(f->c.idp_url);
	/* The path is compared exactly. */
	f->c.url = "http://127.0.0.1:8080/SHARD-1.crl";
	der = crl_new(f->ca, f->ca_key, NOW - 60, NOW + DAY, revs, 1, F_IDP_CRIT, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_int_equal(count_kind(&f->seen, WR_VP_SCOPE), 1);

	/* A full CRL, no IDP at all: fine from any URL (whether it sits among
	 * other shards is the run's question). */
	crl_idp_url = NULL;
	der = crl_new(f->ca, f->ca_key, NOW - 60, NOW + DAY, revs, 1, 0, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_int_equal(f->seen.n, 0);
	assert_false(f->c.idp);
	assert_false(f->c.idp_url);

	/* An ARL: onlyContainsCACerts, its URL. */
	f->c.url = "http://127.0.0.1:8080/arl.crl";
	crl_idp_url = "http://127.0.0.1:8080/arl.crl";
	der = crl_new(f->ca, f->ca_key, NOW - 60, NOW + DAY, revs, 1, F_IDP_CRIT | F_IDP_ONLY_CA,
		      &len);
	assert_int_equal(add(f, der, len), 0);
	assert_int_equal(f->seen.n, 0);
	assert_true(f->c.only_ca);
	assert_false(f->c.only_user);

	/* Partial for reasons, or named relative to the issuer: not the
	 * complete CRL a URL promises. */
	der = crl_new(f->ca, f->ca_key, NOW - 60, NOW + DAY, revs, 1,
		      F_IDP_CRIT | F_IDP_SOME_REASONS, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_int_equal(f->seen.n, 1);
	assert_int_equal(f->seen.kinds[0], WR_VP_SCOPE);
	assert_non_null(strstr(f->seen.last, "onlySomeReasons"));
	crl_idp_url = NULL;
	der = crl_new(f->ca, f->ca_key, NOW - 60, NOW + DAY, revs, 1, F_IDP_CRIT | F_IDP_RELATIVE,
		      &len);
	assert_int_equal(add(f, der, len), 0);
	assert_int_equal(f->seen.n, 1);
	assert_int_equal(f->seen.kinds[0], WR_VP_SCOPE);
	assert_non_null(strstr(f->seen.last, "relative"));

	/* An unverified CRL's scope is not read: its signature is the problem. */
	crl_idp_url = "http://127.0.0.1:8080/elsewhere.crl";
	der = crl_new(f->ca, f->other_key, NOW - 60, NOW + DAY, revs, 1, F_IDP_CRIT, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_int_equal(f->seen.n, 1);
	assert_int_equal(f->seen.kinds[0], WR_VP_SIGNATURE);
	assert_int_equal(f->c.index, -1);
}

/* Which CRL lists a serial: the shard check's question. */
static void test_find_on_shard(void **state)
{
	struct fx *f = *state;
	static const struct rev s0[] = {{"5002", 4}, {"5004", 4}, {"5001", 1}}; /* 5001 misplaced */
	static const struct rev s1[] = {{"5003", NO_REASON}, {"5001", 9}};
	static const struct rev s2[] = {{"5005", 1}};
	size_t len;
	int reason = 0, crl = -7;
	int64_t date;
	unsigned char *der;

	der = crl_new(f->ca, f->ca_key, NOW - 60, NOW + DAY, s0, 3, 0, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_int_equal(f->c.index, 0);
	/* One that does not verify takes no number. */
	der = crl_new(f->ca, f->other_key, NOW - 60, NOW + DAY, s2, 1, 0, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_int_equal(f->c.index, -1);
	der = crl_new(f->ca, f->ca_key, NOW - 30, NOW + DAY, s1, 2, 0, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_int_equal(f->c.index, 1);
	assert_int_equal(wr_crlset_sort(f->set), 0);

	assert_true(wr_crlset_find_on(f->set, "5002", 0, &reason, NULL, &crl));
	assert_int_equal(crl, 0);
	assert_int_equal(reason, 4);
	assert_false(wr_crlset_find_on(f->set, "5002", 1, NULL, NULL, NULL));
	assert_true(wr_crlset_find_on(f->set, "5003", 1, &reason, &date, NULL));
	assert_int_equal(reason, WR_CRL_OMIT);
	assert_int_equal(date, NOW - 30 - 3600);
	assert_false(wr_crlset_find_on(f->set, "5003", 0, NULL, NULL, NULL));
	assert_true(wr_crlset_find_on(f->set, "5003", -1, NULL, NULL, &crl));
	assert_int_equal(crl, 1);
	/* On two CRLs, each with its own entry. */
	assert_true(wr_crlset_find_on(f->set, "5001", 0, &reason, NULL, NULL));
	assert_int_equal(reason, 1);
	assert_true(wr_crlset_find_on(f->set, "5001", 1, &reason, NULL, NULL));
	assert_int_equal(reason, 9);
	assert_true(wr_crlset_find(f->set, "5001", NULL, NULL));
	assert_false(wr_crlset_find_on(f->set, "5005", -1, NULL, NULL, NULL));
	assert_false(wr_crlset_find_on(f->set, "5001", 2, NULL, NULL, NULL));
}

static void test_crl_numbers(void **state)
{
	struct fx *f = *state;
	static const struct rev revs[] = {{"6001", 1}};
	const char *why = NULL;
	size_t len;
	unsigned char *der;

	crl_number_hex = "03E8"; /* 1000, as openssl ca's crlnumber file starts */
	der = crl_new(f->ca, f->ca_key, NOW - 60, NOW + DAY, revs, 1, 0, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_string_equal(f->c.number, "03E8");
	crl_number_hex = "0102030405060708090A0B0C0D0E0F1011121314"; /* 20 octets */
	der = crl_new(f->ca, f->ca_key, NOW - 60, NOW + DAY, revs, 1, 0, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_string_equal(f->c.number, "0102030405060708090A0B0C0D0E0F1011121314");
	crl_number_hex = NULL;
	der = crl_new(f->ca, f->ca_key, NOW - 60, NOW + DAY, revs, 1, 0, &len);
	assert_int_equal(add(f, der, len), 0);
	assert_string_equal(f->c.number, "");

	const char *t1 = "2026-11-25T06:39:00Z", *t2 = "2026-11-25T07:39:00Z";
	/* Nothing seen before, or no number now: nothing to compare. */
	assert_int_equal(wr_crl_number_check(NULL, NULL, "03E8", t1, &why), 0);
	assert_int_equal(wr_crl_number_check("03E8", t1, "", t1, &why), 0);
	/* Up: fine, however written. */
	assert_int_equal(wr_crl_number_check("03E8", t1, "03E9", t2, &why), 0);
	assert_int_equal(wr_crl_number_check("FF", t1, "0100", t2, &why), 0);
	assert_int_equal(wr_crl_number_check("0FF", t1, "100", t2, &why), 0);
	/* Down: a rollback, by value, not by text. */
	assert_int_equal(wr_crl_number_check("03E9", t1, "03E8", t2, &why), -1);
	assert_non_null(strstr(why, "rollback"));
	assert_int_equal(wr_crl_number_check("0100", t1, "FF", t2, &why), -1);
	assert_int_equal(wr_crl_number_check("0102030405060708090A0B0C0D0E0F1011121314", t1, "03E8",
					     t2, &why), -1);
	/* Equal: the same CRL again, or a reissue without a new number. */
	assert_int_equal(wr_crl_number_check("03e8", t1, "03E8", t1, &why), 0);
	assert_int_equal(wr_crl_number_check("03E8", t1, "3E8", t2, &why), -1);
	assert_non_null(strstr(why, "another thisUpdate"));
}

static void test_ocsp_reason_rules(void **state)
{
	const char *why = NULL;

	(void)state;
	/* Agreeing with the CRL (and with what is expected). */
	assert_int_equal(wr_ocsp_reason_check(1, 1, 1, &why), 0);
	assert_int_equal(wr_ocsp_reason_check(4, 4, 4, &why), 0);
	/* No revocationReason in OCSP contradicts nothing (it is optional). */
	assert_int_equal(wr_ocsp_reason_check(1, 1, WR_CRL_OMIT, &why), 0);
	assert_int_equal(wr_ocsp_reason_check(WR_CRL_OMIT, WR_CRL_OMIT, WR_CRL_OMIT, &why), 0);
	/* Another reason than the CRL's: a problem. */
	assert_int_equal(wr_ocsp_reason_check(4, 4, 1, &why), -1);
	assert_non_null(strstr(why, "CRL"));
	assert_int_equal(wr_ocsp_reason_check(4, WR_CRL_OMIT, 5, &why), -1);
	/* The CRL and OCSP agree, both wrong: OCSP against what is expected. */
	assert_int_equal(wr_ocsp_reason_check(9, 1, 1, &why), -2);
	assert_string_equal(why, "the reason differs");
	/* Not on any CRL: against what is expected, as before. */
	assert_int_equal(wr_ocsp_reason_check(1, WR_CRL_NONE, 1, &why), 0);
	assert_int_equal(wr_ocsp_reason_check(1, WR_CRL_NONE, 4, &why), -2);
	/* privilegeWithdrawn on the CRL, anything else from OCSP: index.txt
	 * cannot say 9, a known difference. */
	assert_int_equal(wr_ocsp_reason_check(9, 9, WR_CRL_OMIT, &why), 1);
	assert_non_null(strstr(why, "index.txt"));
	assert_int_equal(wr_ocsp_reason_check(9, 9, 4, &why), 1);
	assert_int_equal(wr_ocsp_reason_check(9, WR_CRL_NONE, 0, &why), 1);
	assert_int_equal(wr_ocsp_reason_check(9, 9, 9, &why), 0);
	/* ... but OCSP saying 9 where the CRL says otherwise is no such case. */
	assert_int_equal(wr_ocsp_reason_check(1, 1, 9, &why), -1);
}

/* ---- wr_verify on a database, without the network -------------------------- */

struct dbfx {
	char dir[64], path[96], issuer[96];
	struct wr_db *db;
	EVP_PKEY *ca_key;
	X509 *ca;
};

static void add_cert(struct dbfx *d, const char *serial, int64_t not_after, int64_t revoked_at)
{
	EVP_PKEY *k = key_new();
	X509 *x = cert_new("leaf.example", k, serial, d->ca, d->ca_key);
	unsigned char *der = NULL, h[32] = {0};
	int n = i2d_X509(x, &der);
	sqlite3_stmt *st;

	assert_true(n > 0);
	memcpy(h, serial, strlen(serial) < 32 ? strlen(serial) : 32);
	assert_int_equal(wr_prepare(d->db, "INSERT INTO cert(sha256, serial, issuer, subject,"
					   " not_before, not_after, spki_sha256, revoked_at, state)"
					   " VALUES (?, ?, 'CN=CA', 'CN=x', ?, ?, ?, ?, ?)",
				    &st),
			 0);
	sqlite3_bind_blob(st, 1, h, 32, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, serial, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, NOW - 30 * DAY);
	sqlite3_bind_int64(st, 4, not_after);
	sqlite3_bind_blob(st, 5, h, 32, SQLITE_TRANSIENT);
	wr_bind_time(st, 6, revoked_at);
	sqlite3_bind_text(st, 7, revoked_at ? "revoked" : "pending", -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	assert_int_equal(wr_prepare(d->db, "INSERT INTO cert_der(cert_id, der)"
					   " VALUES (last_insert_rowid(), ?)",
				    &st),
			 0);
	sqlite3_bind_blob(st, 1, der, n, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(k);
}

static int db_setup(void **state)
{
	struct dbfx *d = calloc(1, sizeof *d);
	struct wr_plan *plan;
	char err[256];
	FILE *fp;

	strcpy(d->dir, "/tmp/wr-unit-XXXXXX");
	assert_non_null(mkdtemp(d->dir));
	snprintf(d->path, sizeof d->path, "%s/t.db", d->dir);
	snprintf(d->issuer, sizeof d->issuer, "%s/ca.pem", d->dir);
	assert_int_equal(wr_plan_load(NULL, &plan, err, sizeof err), 0);
	/* A fixture: created under WARROOM_NOW, so the tests may move its clock. */
	setenv("WARROOM_NOW", "2026-11-25T06:00:00Z", 1);
	assert_int_equal(wr_db_open(d->path, WR_OPEN_CREATE, &d->db), 0);
	unsetenv("WARROOM_NOW");
	wr_db_set_actor(d->db, "tester");
	assert_int_equal(wr_incident_init(d->db, "Verify unit", 1000, plan), 0);
	wr_plan_free(plan);
	d->ca_key = key_new();
	d->ca = cert_new("warroom unit CA", d->ca_key, "01", NULL, NULL);
	assert_non_null(fp = fopen(d->issuer, "w"));
	assert_true(PEM_write_X509(fp, d->ca));
	fclose(fp);
	*state = d;
	return 0;
}

static int db_teardown(void **state)
{
	struct dbfx *d = *state;
	char p[128];

	wr_db_close(d->db);
	snprintf(p, sizeof p, "%s-wal", d->path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", d->path);
	unlink(p);
	unlink(d->path);
	unlink(d->issuer);
	rmdir(d->dir);
	X509_free(d->ca);
	EVP_PKEY_free(d->ca_key);
	free(d);
	return 0;
}

static void test_verify_inputs(void **state)
{
	struct dbfx *d = *state;
	struct wr_verify_result r;
	struct wr_verify_opts o = {.sample = 0};
	int64_t n = -1;

	/* No issuer anywhere. */
	assert_int_equal(wr_verify(d->db, &o, &r, NULL, NULL), WR_EINVAL);
	assert_non_null(strstr(wr_db_errmsg(d->db), "issuer"));
	o.issuer = "/nonexistent/ca.pem";
	assert_int_equal(wr_verify(d->db, &o, &r, NULL, NULL), WR_EINVAL);
	o.issuer = d->path; /* a database is no certificate */
	assert_int_equal(wr_verify(d->db, &o, &r, NULL, NULL), WR_EINVAL);
	o.issuer = d->issuer;
	o.crl_url = "file:///etc/passwd";
	assert_int_equal(wr_verify(d->db, &o, &r, NULL, NULL), WR_EINVAL);
	o.crl_url = NULL;
	o.ocsp_url = "ldap://127.0.0.1/";
	assert_int_equal(wr_verify(d->db, &o, &r, NULL, NULL), WR_EINVAL);
	o.ocsp_url = NULL;
	o.sample = -5;
	assert_int_equal(wr_verify(d->db, &o, &r, NULL, NULL), WR_EINVAL);
	assert_int_equal(wr_query_int(d->db, "SELECT count(*) FROM publication", &n), 0);
	assert_int_equal(n, 0);
}

/* Certificates without a CRL Distribution Point and no URL: nothing to
 * fetch, each live one is a problem, an expired one may be gone; the run
 * is recorded with its event. */
static void test_verify_records(void **state)
{
	struct dbfx *d = *state;
	struct wr_verify_result r;
	struct wr_verify_opts o = {.issuer = d->issuer, .sample = 0};
	struct seen seen = {.all_utf8 = true};
	int64_t n = -1;

	/* Nothing revoked yet: vacuously proven, still recorded. */
	add_cert(d, "1001", NOW + 60 * DAY, 0);
	assert_int_equal(wr_verify(d->db, &o, &r, collect, &seen), 0);
	assert_int_equal(r.revoked, 0);
	assert_int_equal(r.problems, 0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(wr_query_int(d->db, "SELECT count(*) FROM publication", &n), 0);
	assert_int_equal(n, 1);

	add_cert(d, "1002", INT64_C(4102444800), NOW - 3600); /* live until 2100 */
	add_cert(d, "1003", INT64_C(946684800), NOW - 3600);  /* expired in 2000 */
	assert_int_equal(wr_verify(d->db, &o, &r, collect, &seen), 0);
	assert_int_equal(r.revoked, 2);
	assert_int_equal(r.missing, 1);
	assert_int_equal(r.expired_absent, 1);
	assert_int_equal(r.on_crl, 0);
	assert_int_equal(r.crls_fetched, 0);
	assert_int_equal(r.problems, 1);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.kinds[0], WR_VP_MISSING);
	assert_string_equal(seen.last_serial, "1002");
	assert_non_null(strstr(seen.last, "no http(s) CRL Distribution Point"));
	assert_string_equal(r.crl_source, "CRL Distribution Points");
	assert_int_equal(r.ocsp_url[0], '\0');

	assert_int_equal(wr_query_int(d->db, "SELECT problems FROM publication"
					     " ORDER BY id DESC LIMIT 1", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(wr_query_int(d->db, "SELECT crl_url IS NULL AND ocsp_url IS NULL"
					     " FROM publication ORDER BY id DESC LIMIT 1", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(wr_query_int(d->db, "SELECT json_extract(details, '$.missing')"
					     " FROM publication ORDER BY id DESC LIMIT 1", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(wr_query_int(d->db, "SELECT count(*) FROM event WHERE action = 'verify'"
					     " AND json_extract(details, '$.problems') = 1", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(wr_query_int(d->db, "SELECT count(*) FROM cert WHERE on_crl IS NOT NULL",
				      &n), 0);
	assert_int_equal(n, 0);
	struct wr_audit_result ar;
	assert_int_equal(wr_audit_verify(d->db, NULL, &ar), 0);
}

/* status: "published" is stale once something was revoked after the last
 * verify; the CRL numbers of the last verify are carried to the next. */
static void test_published_stale(void **state)
{
	struct dbfx *d = *state;
	struct wr_verify_result r;
	struct wr_verify_opts o = {.issuer = d->issuer, .sample = 0};
	struct wr_published pub;
	int64_t n = -1;

	const int64_t at = NOW + 40 * 60; /* the clock below */

	setenv("WARROOM_NOW", "2026-11-25T06:40:00Z", 1);
	add_cert(d, "7001", NOW + 60 * DAY, 0);
	add_cert(d, "7002", INT64_C(946684800), NOW - 3600); /* expired, revoked */
	/* Never verified: every revocation is unproven. */
	assert_int_equal(wr_published_get(d->db, &pub), 0);
	assert_int_equal(pub.checked_at, 0);
	assert_int_equal(pub.revoked_since, 1);
	assert_true(pub.stale);

	/* The last verify's numbers, as a run that fetched a CRL left them. */
	assert_int_equal(wr_exec(d->db, "INSERT INTO publication(checked_at, on_crl, ocsp_confirmed,"
					" ocsp_sampled, problems, details) VALUES (1795580000, 0, 0,"
					" 0, 0, '{\"crl_numbers\": {\"http://127.0.0.1/s.crl\":"
					" {\"number\": \"03E8\", \"this_update\":"
					" \"2026-11-25T05:00:00Z\"}}}')"),
			 0);
	assert_int_equal(wr_verify(d->db, &o, &r, NULL, NULL), 0);
	assert_int_equal(r.checked_at, at);
	assert_int_equal(r.problems, 0);
	assert_int_equal(wr_published_get(d->db, &pub), 0);
	assert_int_equal(pub.checked_at, at);
	assert_int_equal(pub.revoked_since, 0);
	assert_false(pub.stale);
	/* Not fetched this time, still remembered. */
	assert_int_equal(wr_query_int(d->db, "SELECT json_extract(details, '$.crl_numbers.\"http://"
					     "127.0.0.1/s.crl\".number') = '03E8' FROM publication"
					     " ORDER BY id DESC LIMIT 1", &n), 0);
	assert_int_equal(n, 1);

	/* Revoked in the same second as the check: counted as checked. */
	add_cert(d, "7003", NOW + 60 * DAY, at);
	/* Two after it. */
	add_cert(d, "7004", NOW + 60 * DAY, at + 1);
	add_cert(d, "7005", NOW + 60 * DAY, at + 3600);
	assert_int_equal(wr_published_get(d->db, &pub), 0);
	assert_int_equal(pub.revoked_since, 2);
	assert_true(pub.stale);
	unsetenv("WARROOM_NOW");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_crl_and_reasons, setup, teardown),
		cmocka_unit_test(test_reason_rules),
		cmocka_unit_test_setup_teardown(test_pem_and_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_key_and_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dates_and_extensions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_odd_serials, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shards_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_url, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idp_names_the_url, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_on_shard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crl_numbers, setup, teardown),
		cmocka_unit_test(test_ocsp_reason_rules),
		cmocka_unit_test_setup_teardown(test_verify_inputs, db_setup, db_teardown),
		cmocka_unit_test_setup_teardown(test_verify_records, db_setup, db_teardown),
		cmocka_unit_test_setup_teardown(test_published_stale, db_setup, db_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
