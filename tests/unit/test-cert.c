/* Unit tests for core/cert.c and core/import.c: parsing certificates made
 * here with OpenSSL, rejecting what is not one, serial numbers, hostile
 * names, importing PEM, DER and directories into a scratch database, and
 * the customer CSV. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "unit.h" /* internal.h: wr_cert_state_label */

#define T0 1700000000 /* 2023-11-14T22:13:20Z */
#define DAY 86400

/* ---- making certificates ------------------------------------------------------- */

static EVP_PKEY *key(void)
{
	static EVP_PKEY *k;

	/* One key for all: generating is slow and the tests only need bytes. */
	if (!k)
		k = EVP_EC_gen("P-256");
	assert_non_null(k);
	return k;
}

struct spec {
	long serial;		    /* used when serial_bytes is NULL */
	const unsigned char *serial_bytes;
	int serial_len;
	const char *cn;
	int cn_type;		    /* V_ASN1_UTF8STRING by default */
	const char *cn_bytes;	    /* with cn_len: raw bytes */
	int cn_len;
	const char *dns[4];
	const char *dns_raw;	    /* one dNSName of raw bytes */
	const unsigned char *ip[2]; /* 4 or 16 bytes, per ip_len */
	int ip_len[2];
	int64_t not_before, not_after;
	bool v1; /* no version field, no extensions */
};

static X509 *make_cert(const struct spec *s)
{
	X509 *x = X509_new();
	X509_NAME *issuer = X509_NAME_new(), *subject = X509_NAME_new();
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	int64_t nb = s->not_before ? s->not_before : T0 - DAY;
	int64_t na = s->not_after ? s->not_after : T0 + 90 * DAY;

	assert_non_null(x);
	X509_set_version(x, s->v1 ? 0 : 2);
	if (s->serial_bytes) {
		ASN1_INTEGER *sn = X509_get_serialNumber(x);
		assert_true(ASN1_STRING_set(sn, s->serial_bytes, s->serial_len));
	} else {
		assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), s->serial));
	}
	X509_NAME_add_entry_by_txt(issuer, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0);
	X509_NAME_add_entry_by_txt(issuer, "O", MBSTRING_ASC, (const unsigned char *)"Test CA Org", -1, -1, 0);
	X509_NAME_add_entry_by_txt(issuer, "CN", MBSTRING_ASC, (const unsigned char *)"Test CA", -1, -1, 0);
	X509_set_issuer_name(x, issuer);
	if (s->cn_bytes)
		assert_true(X509_NAME_add_entry_by_NID(subject, NID_commonName,
						       s->cn_type ? s->cn_type : V_ASN1_UTF8STRING,
						       (const unsigned char *)s->cn_bytes, s->cn_len, -1, 0));
	else
		X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
					   (const unsigned char *)(s->cn ? s->cn : "www.example.test"),
					   -1, -1, 0);
	X509_set_subject_name(x, subject);
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb);
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na);
	X509_set_pubkey(x, key());
	for (int i = 0; i < 4 && s->dns[i]; i++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_IA5STRING *v = ASN1_IA5STRING_new();
		ASN1_STRING_set(v, s->dns[i], -1);
		GENERAL_NAME_set0_value(g, GEN_DNS, v);
		sk_GENERAL_NAME_push(gens, g);
	}
	if (s->dns_raw) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_IA5STRING *v = ASN1_IA5STRING_new();
		ASN1_STRING_set(v, s->dns_raw, -1);
		GENERAL_NAME_set0_value(g, GEN_DNS, v);
		sk_GENERAL_NAME_push(gens, g);
	}
	for (int i = 0; i < 2 && s->ip[i]; i++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
		ASN1_OCTET_STRING_set(v, s->ip[i], s->ip_len[i]);
		GENERAL_NAME_set0_value(g, GEN_IPADD, v);
		sk_GENERAL_NAME_push(gens, g);
	}
	if (sk_GENERAL_NAME_num(gens) > 0 && !s->v1)
		assert_true(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0));
	assert_true(X509_sign(x, key(), EVP_sha256()) > 0);
	GENERAL_NAMES_free(gens);
	X509_NAME_free(issuer);
	X509_NAME_free(subject);
	return x;
}

static unsigned char *der_of(X509 *x, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);

	assert_true(n > 0);
	*len = (size_t)n;
	return der;
}

static void sha256(const void *p, size_t n, unsigned char out[32])
{
	assert_true(EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL));
}

/* Parses a spec's certificate; the caller clears ci. */
static void parse_spec(const struct spec *s, struct wr_cert_info *ci)
{
	size_t len;
	X509 *x = make_cert(s);
	unsigned char *der = der_of(x, &len);
	const char *why = NULL;

	assert_int_equal(wr_cert_parse(der, len, ci, &why), 0);
	assert_null(why);
	OPENSSL_free(der);
	X509_free(x);
}

/* ---- parsing ------------------------------------------------------------------------ */

static void test_parse_fields(void **state)
{
	static const unsigned char v4[4] = {192, 0, 2, 1};
	static const unsigned char v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	struct spec s = {
		.serial = 0x1234abcd,
		.cn = "www.acme-logistics.example",
		.dns = {"www.acme-logistics.example", "acme-logistics.example"},
		.ip = {v4, v6},
		.ip_len = {4, 16},
		.not_before = T0,
		.not_after = T0 + 90 * DAY,
	};
	struct wr_cert_info ci;
	unsigned char want[32], *spki = NULL;
	const char *why;
	size_t len;
	X509 *x = make_cert(&s);
	unsigned char *der = der_of(x, &len);

	(void)state;
	assert_int_equal(wr_cert_parse(der, len, &ci, &why), 0);
	assert_string_equal(ci.serial, "1234ABCD");
	assert_string_equal(ci.subject, "CN=www.acme-logistics.example");
	assert_string_equal(ci.issuer, "CN=Test CA,O=Test CA Org,C=US");
	assert_string_equal(ci.sans,
			    "www.acme-logistics.example,acme-logistics.example,192.0.2.1,2001:db8::1");
	assert_int_equal(ci.not_before, T0);
	assert_int_equal(ci.not_after, T0 + 90 * DAY);
	sha256(der, len, want);
	assert_memory_equal(ci.sha256, want, 32);
	int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
	assert_true(n > 0);
	sha256(spki, (size_t)n, want);
	assert_memory_equal(ci.spki_sha256, want, 32);
	wr_cert_info_clear(&ci);
	assert_null(ci.subject);
	wr_cert_info_clear(&ci); /* twice is harmless */

	/* Again: the issuer now comes from the per-thread cache. */
	assert_int_equal(wr_cert_parse(der, len, &ci, &why), 0);
	assert_string_equal(ci.issuer, "CN=Test CA,O=Test CA Org,C=US");
	wr_cert_info_clear(&ci);

	OPENSSL_free(spki);
	OPENSSL_free(der);
	X509_free(x);
}

static void test_parse_no_sans_and_dates(void **state)
{
	/* GeneralizedTime after 2049, and no subjectAltName at all. */
	struct spec s = {.serial = 1, .not_before = T0, .not_after = 2556143999LL};
	struct wr_cert_info ci;

	(void)state;
	parse_spec(&s, &ci);
	assert_string_equal(ci.sans, "");
	assert_string_equal(ci.serial, "01");
	assert_int_equal(ci.not_after, 2556143999LL);
	wr_cert_info_clear(&ci);

	/* Version 1: no [0] version, no extensions. */
	s = (struct spec){.serial = 2, .v1 = true, .dns = {"ignored.example"}};
	parse_spec(&s, &ci);
	assert_string_equal(ci.serial, "02");
	assert_string_equal(ci.sans, "");
	wr_cert_info_clear(&ci);
}

static void test_parse_serials(void **state)
{
	static const unsigned char high[] = {0x80};	    /* encoded 00 80 */
	static const unsigned char zero[] = {0x00};
	struct wr_cert_info ci;

	(void)state;
	struct spec s = {.serial_bytes = high, .serial_len = 1};
	parse_spec(&s, &ci);
	assert_string_equal(ci.serial, "80");
	wr_cert_info_clear(&ci);

	s = (struct spec){.serial_bytes = zero, .serial_len = 1};
	parse_spec(&s, &ci);
	assert_string_equal(ci.serial, "00");
	wr_cert_info_clear(&ci);

	s = (struct spec){.serial = -1};
	parse_spec(&s, &ci);
	assert_string_equal(ci.serial, "-01");
	wr_cert_info_clear(&ci);

	s = (struct spec){.serial = -129};
	parse_spec(&s, &ci);
	assert_string_equal(ci.serial, "-81");
	wr_cert_info_clear(&ci);
}

static void expect_reject(const unsigned char *der, size_t len, const char *want)
{
	struct wr_cert_info ci;
	const char *why = NULL;

	assert_int_equal(wr_cert_parse(der, len, &ci, &why), WR_EINVAL);
	assert_non_null(why);
	if (!strstr(why, want))
		fail_msg("why '%s' lacks '%s'", why, want);
	assert_null(ci.subject); /* nothing left to free */
}

static void test_parse_rejects(void **state)
{
	struct spec s = {.serial = 7};
	X509 *x = make_cert(&s);
	size_t len;
	unsigned char *der = der_of(x, &len), *buf = malloc(len + 1), *kder = NULL;

	(void)state;
	expect_reject((const unsigned char *)"hello, world", 12, "not DER");
	expect_reject((const unsigned char *)"", 0, "empty");
	expect_reject((const unsigned char *)"\x30\x03\x02\x01", 4, "truncated");
	expect_reject(der, len - 1, "truncated");
	expect_reject(der, 40, "truncated");
	memcpy(buf, der, len);
	buf[len] = 0;
	expect_reject(buf, len + 1, "trailing bytes");
	/* Indefinite length is BER, not DER. */
	expect_reject((const unsigned char *)"\x30\x80\x00\x00", 4, "indefinite");

	/* Private keys, traditional and PKCS#8. */
	int n = i2d_PrivateKey(key(), &kder);
	assert_true(n > 0);
	expect_reject(kder, (size_t)n, "private key");
	OPENSSL_free(kder);
	kder = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(key());
	n = i2d_PKCS8_PRIV_KEY_INFO(p8, &kder);
	assert_true(n > 0);
	expect_reject(kder, (size_t)n, "private key");
	PKCS8_PRIV_KEY_INFO_free(p8);
	OPENSSL_free(kder);

	/* A corrupted inner length: the TBSCertificate claims one byte more. */
	memcpy(buf, der, len);
	assert_int_equal(buf[4], 0x30);
	buf[4 + 3]++; /* the TBS is long enough to use a two-byte length */
	struct wr_cert_info ci;
	const char *why = NULL;
	assert_int_not_equal(wr_cert_parse(buf, len, &ci, &why), 0);
	assert_non_null(why);

	free(buf);
	OPENSSL_free(der);
	X509_free(x);
}

static bool valid_utf8(const char *s)
{
	char *copy = wr_utf8_sanitize(s, strlen(s));
	bool same = copy && strcmp(copy, s) == 0;

	free(copy);
	return same;
}

static void test_hostile(void **state)
{
	static const char cn[] = "evil\x1b[2Jadmin\xe2\x80\xae\nx.example";
	struct spec s = {
		.cn_bytes = cn,
		.cn_len = sizeof cn - 1,
		.dns_raw = "esc\x1b]0;t\x07.example",
		.dns = {"a,b.example"},
	};
	struct wr_cert_info ci;

	(void)state;
	parse_spec(&s, &ci);
	/* No raw control reaches the database; OpenSSL's \XX escapes do. */
	assert_null(strchr(ci.subject, 0x1b));
	assert_null(strchr(ci.subject, '\n'));
	assert_non_null(strstr(ci.subject, "\\1B[2J"));
	assert_non_null(strstr(ci.subject, "\\0A"));
	assert_true(valid_utf8(ci.subject));
	assert_null(strchr(ci.sans, 0x1b));
	assert_null(strchr(ci.sans, 0x07));
	assert_string_equal(ci.sans, "a\\,b.example,esc\\1B]0;t\\07.example");
	wr_cert_info_clear(&ci);

	/* Latin-1 in a T61String comes out as UTF-8; bytes that are not
	 * UTF-8 in a UTF8String still come out valid. */
	s = (struct spec){.cn_bytes = "caf\xe9", .cn_len = 4, .cn_type = V_ASN1_T61STRING};
	parse_spec(&s, &ci);
	assert_string_equal(ci.subject, "CN=caf\xc3\xa9");
	wr_cert_info_clear(&ci);
	s = (struct spec){.cn_bytes = "bad\xff\xfe", .cn_len = 5};
	parse_spec(&s, &ci);
	assert_true(valid_utf8(ci.subject));
	wr_cert_info_clear(&ci);
}

static void check_norm(const char *in, const char *want)
{
	char out[132];
	int rc = wr_serial_normalize(in, out, sizeof out);

	if (!want) {
		assert_int_equal(rc, WR_EINVAL);
		return;
	}
	assert_int_equal(rc, 0);
	assert_string_equal(out, want);
}

static void test_serial_normalize(void **state)
{
	char small[4];

	(void)state;
	check_norm("0x00ab:cd", "ABCD");
	check_norm("0", "00");
	check_norm("00", "00");
	check_norm("80", "80");
	check_norm("0080", "80");
	check_norm("abc", "0ABC");
	check_norm("0XDEAD:BEEF", "DEADBEEF");
	check_norm("12:34:56", "123456");
	check_norm("  7f ", "7F");
	check_norm("-01", "-01");
	check_norm("-0", "00");
	check_norm("", NULL);
	check_norm("0x", NULL);
	check_norm("zz", NULL);
	check_norm("12g4", NULL);
	check_norm(":", NULL);
	assert_int_equal(wr_serial_normalize("abcdef", small, sizeof small), WR_EINVAL);
	assert_int_equal(wr_serial_normalize("ab", small, sizeof small), 0);
	assert_string_equal(small, "AB");
}

static void test_state_label(void **state)
{
	(void)state;
	assert_string_equal(wr_cert_state_label("pending", 5, T0 - 1, 0, T0), "revoked");
	assert_string_equal(wr_cert_state_label("pending", 0, T0 - 1, 0, T0), "expired");
	assert_string_equal(wr_cert_state_label("pending", 0, T0 + 9, T0 + 1, T0), "held");
	assert_string_equal(wr_cert_state_label("pending", 0, T0 + 9, T0 - 1, T0), "pending");
	assert_string_equal(wr_cert_state_label("submitted", 0, T0 + 9, 0, T0), "submitted");
	assert_string_equal(wr_cert_state_label("failed", 0, T0 + 9, 0, T0), "failed");
}

/* ---- importing ---------------------------------------------------------------------- */

struct fx {
	char dir[64];
	char path[128];
	struct wr_db *db;
	/* rejections seen */
	char where[16][256], why[16][200];
	int nrej;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/wr-test-cert.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
	/* A fixture: created under WARROOM_NOW, so the tests may move its clock. */
	setenv("WARROOM_NOW", "2026-11-25T06:00:00Z", 1);
	assert_int_equal(wr_db_open(f->path, WR_OPEN_CREATE, &f->db), 0);
	unsetenv("WARROOM_NOW");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[200];

	wr_db_close(f->db);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void on_reject(const char *where, const char *why, void *ctx)
{
	struct fx *f = ctx;

	if (f->nrej < 16) {
		snprintf(f->where[f->nrej], sizeof f->where[0], "%s", where);
		snprintf(f->why[f->nrej], sizeof f->why[0], "%s", why);
	}
	f->nrej++;
}

/* A file in the fixture's directory. */
#define fpath(f, name) unit_path((f)->dir, name)

static void write_pem(const char *path, X509 **xs, int n, bool with_key)
{
	BIO *b = BIO_new_file(path, "w");

	assert_non_null(b);
	for (int i = 0; i < n; i++) {
		assert_true(PEM_write_bio_X509(b, xs[i]));
		if (with_key && i == 0)
			assert_true(PEM_write_bio_PrivateKey(b, key(), NULL, NULL, 0, NULL, NULL));
	}
	BIO_free(b);
}

static int count_cb(const struct wr_cert *c, void *ctx)
{
	(void)c;
	(*(int *)ctx)++;
	return 0;
}

static int count(struct fx *f, const char *state, const char *customer, int64_t limit,
		 int64_t offset)
{
	struct wr_cert_filter flt = {.state = state, .customer = customer, .limit = limit,
				     .offset = offset, .now = T0};
	int n = 0;

	assert_int_equal(wr_cert_foreach(f->db, &flt, count_cb, &n), 0);
	return n;
}

static int import1(struct fx *f, const char *path, struct wr_import_stats *st)
{
	const char *paths[] = {path};

	memset(st, 0, sizeof *st);
	f->nrej = 0;
	return wr_import_paths(f->db, paths, 1, 2, on_reject, f, st);
}

static void make_set(X509 **xs, int n, long serial0)
{
	for (int i = 0; i < n; i++) {
		struct spec s = {.serial = serial0 + i, .dns = {"shop.northwind-bank.example"}};
		/* Every third one expired at T0. */
		if (i % 3 == 2) {
			s.not_before = T0 - 100 * DAY;
			s.not_after = T0 - 10 * DAY;
		}
		xs[i] = make_cert(&s);
	}
}

static void free_set(X509 **xs, int n)
{
	for (int i = 0; i < n; i++)
		X509_free(xs[i]);
}

static int event_cb(const struct wr_event *e, void *ctx)
{
	if (!strcmp(e->action, "import") || !strcmp(e->action, "customers"))
		(*(int *)ctx)++;
	return 0;
}

static void test_import_pem_twice(void **state)
{
	struct fx *f = *state;
	struct wr_import_stats st;
	X509 *xs[6];
	int events = 0;

	make_set(xs, 6, 100);
	write_pem(fpath(f, "bundle.pem"), xs, 6, true); /* a key in between is skipped */
	assert_int_equal(import1(f, fpath(f, "bundle.pem"), &st), 0);
	assert_int_equal(f->nrej, 0);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.certs, 6);
	assert_int_equal(st.added, 6);
	assert_int_equal(st.duplicates, 0);
	assert_int_equal(count(f, NULL, NULL, 0, 0), 6);

	assert_int_equal(import1(f, fpath(f, "bundle.pem"), &st), 0);
	assert_int_equal(st.certs, 6);
	assert_int_equal(st.added, 0);
	assert_int_equal(st.duplicates, 6);
	assert_int_equal(count(f, NULL, NULL, 0, 0), 6);

	/* The filters at T0: two expired, four pending. */
	assert_int_equal(count(f, "expired", NULL, 0, 0), 2);
	assert_int_equal(count(f, "pending", NULL, 0, 0), 4);
	assert_int_equal(count(f, "revoked", NULL, 0, 0), 0);
	assert_int_equal(count(f, "held", NULL, 0, 0), 0);
	assert_int_equal(count(f, NULL, NULL, 4, 0), 4);
	assert_int_equal(count(f, NULL, NULL, 4, 4), 2);
	struct wr_cert_filter bad = {.state = "bogus"};
	assert_int_equal(wr_cert_foreach(f->db, &bad, count_cb, &events), WR_EINVAL);

	/* One audit event per import. */
	events = 0;
	assert_int_equal(wr_event_foreach(f->db, 0, false, NULL, event_cb, &events), 0);
	assert_int_equal(events, 2);
	free_set(xs, 6);
}

struct first {
	int64_t id;
	char serial[132], subject[256];
	int crl_reason;
	char state[16];
};

static int first_cb(const struct wr_cert *c, void *ctx)
{
	struct first *r = ctx;

	r->id = c->id;
	snprintf(r->serial, sizeof r->serial, "%s", c->serial);
	snprintf(r->subject, sizeof r->subject, "%s", c->subject);
	snprintf(r->state, sizeof r->state, "%s", c->state);
	r->crl_reason = c->crl_reason;
	return 1; /* stop: the callback's value comes back */
}

static void test_import_der_dir(void **state)
{
	struct fx *f = *state;
	struct wr_import_stats st;
	struct wr_cert_filter flt = {.now = T0};
	struct first r = {0};
	X509 *xs[5];
	char name[64];

	make_set(xs, 5, 200);
	assert_int_equal(mkdir(fpath(f, "certs"), 0755), 0);
	assert_int_equal(mkdir(fpath(f, "certs/sub"), 0755), 0);
	for (int i = 0; i < 5; i++) {
		size_t len;
		unsigned char *der = der_of(xs[i], &len);
		snprintf(name, sizeof name, "certs/%s%d.der", i < 3 ? "sub/" : "", i);
		write_file(fpath(f, name), der, len);
		OPENSSL_free(der);
	}
	write_pem(fpath(f, "certs/.hidden.pem"), xs, 1, false); /* a duplicate */
	/* A link to a file is followed; a link to a directory is not (here it
	 * would loop). */
	assert_int_equal(symlink("sub/1.der", fpath(f, "certs/link.der")), 0);
	assert_int_equal(symlink("..", fpath(f, "certs/loop")), 0);
	assert_int_equal(import1(f, fpath(f, "certs"), &st), 0);
	assert_int_equal(f->nrej, 0);
	assert_int_equal(st.files, 7);
	assert_int_equal(st.certs, 7);
	assert_int_equal(st.added, 5);
	assert_int_equal(st.duplicates, 2);

	/* Sorted walk: ".hidden.pem" (xs[0]) first, then 3.der, 4.der, sub/. */
	assert_int_equal(wr_cert_foreach(f->db, &flt, first_cb, &r), 1);
	assert_string_equal(r.serial, "C8"); /* 200 */
	assert_int_equal(r.crl_reason, -2);
	assert_string_equal(r.state, "pending");
	assert_string_equal(r.subject, "CN=www.example.test");
	free_set(xs, 5);
}

static bool saw(struct fx *f, const char *where, const char *why)
{
	for (int i = 0; i < f->nrej && i < 16; i++)
		if (strstr(f->where[i], where) && strstr(f->why[i], why))
			return true;
	return false;
}

static long lines_in(BIO *b)
{
	char *p;
	long n = BIO_get_mem_data(b, &p), lines = 0;

	for (long i = 0; i < n; i++)
		lines += p[i] == '\n';
	return lines;
}

static void test_import_rejects(void **state)
{
	struct fx *f = *state;
	struct wr_import_stats st;
	X509 *xs[3];
	BIO *b;
	char *pem;
	long n;

	make_set(xs, 3, 300);
	assert_int_equal(mkdir(fpath(f, "in"), 0755), 0);
	write_file(fpath(f, "in/empty.pem"), "", 0);
	/* A private key alone. */
	b = BIO_new_file(fpath(f, "in/key.pem"), "w");
	assert_true(PEM_write_bio_PrivateKey(b, key(), NULL, NULL, 0, NULL, NULL));
	BIO_free(b);
	/* A truncated bundle: the second certificate loses its END line. */
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, xs[0]);
	long second = lines_in(b) + 1;
	PEM_write_bio_X509(b, xs[1]);
	n = BIO_get_mem_data(b, &pem);
	write_file(fpath(f, "in/trunc.pem"), pem, (size_t)n - 27);
	/* Bad base64 in a block, followed by a good one. */
	char bad[] = "-----BEGIN CERTIFICATE-----\nMIIB!!!!\n-----END CERTIFICATE-----\n";
	BIO *b2 = BIO_new(BIO_s_mem());
	BIO_write(b2, bad, (int)strlen(bad));
	PEM_write_bio_X509(b2, xs[2]);
	char *p2;
	long n2 = BIO_get_mem_data(b2, &p2);
	write_file(fpath(f, "in/badb64.pem"), p2, (size_t)n2);
	write_file(fpath(f, "in/notes.txt"), "nothing here\n", 13);
	BIO_free(b2);

	const char *paths[] = {fpath(f, "in"), fpath(f, "missing.pem")};
	memset(&st, 0, sizeof st);
	f->nrej = 0;
	assert_int_equal(wr_import_paths(f->db, paths, 2, 0, on_reject, f, &st), 0);
	assert_true(saw(f, "in/empty.pem", "empty file"));
	assert_true(saw(f, "in/key.pem", "private key, not a certificate"));
	assert_true(saw(f, "in/trunc.pem:", "truncated PEM"));
	assert_true(saw(f, "in/badb64.pem:1", "bad base64"));
	assert_true(saw(f, "in/notes.txt", "neither PEM nor DER"));
	assert_true(saw(f, "missing.pem", "No such file"));
	assert_int_equal(f->nrej, 6);
	assert_int_equal(st.rejected, 6);
	assert_int_equal(st.files, 6);
	/* The good ones still went in: xs[0] of trunc.pem, xs[2] of badb64. */
	assert_int_equal(st.added, 2);
	char want[300];
	snprintf(want, sizeof want, "%s:%ld", fpath(f, "in/trunc.pem"), second);
	assert_true(saw(f, want, "truncated PEM"));
	BIO_free(b);
	free_set(xs, 3);
}

/* A bundle bigger than one chunk goes through the mmap'd, chunked path;
 * the line numbers of its rejections must still be right. */
static void test_import_big_bundle(void **state)
{
	struct fx *f = *state;
	struct wr_import_stats st;
	enum { N = 900 };
	X509 *x[N];
	BIO *b = BIO_new(BIO_s_mem());
	long n, bad_line = 0;
	char *pem;

	for (int i = 0; i < N; i++) {
		struct spec s = {.serial = 1000 + i};
		x[i] = make_cert(&s);
		if (i == 700) {
			bad_line = lines_in(b) + 1;
			BIO_puts(b, "-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n");
		}
		PEM_write_bio_X509(b, x[i]);
	}
	/* And a last block cut short. */
	long cut_line = lines_in(b) + 1;
	BIO_puts(b, "-----BEGIN CERTIFICATE-----\nMIIB\n");
	n = BIO_get_mem_data(b, &pem);
	assert_true(n > 384 * 1024); /* more than one chunk */
	write_file(fpath(f, "big.pem"), pem, (size_t)n);
	assert_int_equal(import1(f, fpath(f, "big.pem"), &st), 0);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.added, N);
	/* Two reports, one rejected file. */
	assert_int_equal(f->nrej, 2);
	assert_int_equal(st.rejected, 1);
	char want[300];
	snprintf(want, sizeof want, "%s:%ld", fpath(f, "big.pem"), bad_line);
	if (!saw(f, want, "bad base64"))
		fail_msg("want %s, got %s: %s", want, f->where[0], f->why[0]);
	snprintf(want, sizeof want, "%s:%ld", fpath(f, "big.pem"), cut_line);
	assert_true(saw(f, want, "truncated PEM"));
	/* Ids follow the file's order. */
	struct wr_cert_filter flt = {.now = T0};
	struct first r = {0};
	assert_int_equal(wr_cert_foreach(f->db, &flt, first_cb, &r), 1);
	assert_string_equal(r.serial, "03E8");
	struct wr_cert_filter last = {.now = T0, .offset = N - 1};
	assert_int_equal(wr_cert_foreach(f->db, &last, first_cb, &r), 1);
	assert_string_equal(r.serial, "076B"); /* 1000 + 899 */
	BIO_free(b);
	free_set(x, N);
}

/* OpenSSL's TRUSTED CERTIFICATE is the certificate plus trust settings;
 * only the certificate is stored, so it equals the plain one. */
static void test_import_trusted(void **state)
{
	struct fx *f = *state;
	struct wr_import_stats st;
	struct spec s = {.serial = 77};
	X509 *x = make_cert(&s);
	size_t len;
	unsigned char *der;
	BIO *b;

	assert_true(X509_add1_trust_object(x, OBJ_nid2obj(NID_server_auth)));
	b = BIO_new_file(fpath(f, "trusted.pem"), "w");
	assert_true(PEM_write_bio_X509_AUX(b, x));
	BIO_free(b);
	assert_int_equal(import1(f, fpath(f, "trusted.pem"), &st), 0);
	assert_int_equal(f->nrej, 0);
	assert_int_equal(st.added, 1);
	der = der_of(x, &len);
	write_file(fpath(f, "plain.der"), der, len);
	assert_int_equal(import1(f, fpath(f, "plain.der"), &st), 0);
	assert_int_equal(st.duplicates, 1);
	OPENSSL_free(der);
	X509_free(x);
}

static void test_customers_csv(void **state)
{
	struct fx *f = *state;
	struct wr_import_stats st;
	X509 *xs[3];

	make_set(xs, 3, 0xabcd); /* serials ABCD, ABCE, ABCF */
	write_pem(fpath(f, "b.pem"), xs, 3, false);
	assert_int_equal(import1(f, fpath(f, "b.pem"), &st), 0);
	assert_int_equal(st.added, 3);

	const char *good = "\xef\xbb\xbf"			     /* a BOM */
			   "serial,customer,contact\n"		     /* 1 */
			   "0x00ab:cd,\"Acme, Inc.\",ops@acme.example\n" /* 2 */
			   "\n"					     /* 3 */
			   "abce,\"North \"\"wind\"\"\",n@n.example\n"	     /* 4 */
			   "ff00,Nobody,ops@nobody.example\r\n"	     /* 5 */
			   "abcf,\"Multi\nLine\",x@y.example\n";	     /* 6-7 */
	char csv[1024];
	snprintf(csv, sizeof csv, "%s%s", good,
		 "abcf,too,many,columns\n"		 /* 8 */
		 "xyz,Bad Serial,ops@bad.example\n"	 /* 9 */
		 "abcf,\"never closed,ops@z.example\n"); /* 10 */
	write_file(fpath(f, "c.csv"), csv, strlen(csv));
	memset(&st, 0, sizeof st);
	f->nrej = 0;
	/* Bad rows: each named, and nothing of the file applied. */
	assert_int_equal(wr_import_customers(f->db, fpath(f, "c.csv"), on_reject, f, &st),
			 WR_EINVAL);
	assert_int_equal(st.csv_rows, 7);
	assert_int_equal(st.csv_rejected, 3);
	char want[300];
	snprintf(want, sizeof want, "%s:8", fpath(f, "c.csv"));
	assert_true(saw(f, want, "4 columns"));
	snprintf(want, sizeof want, "%s:9", fpath(f, "c.csv"));
	assert_true(saw(f, want, "bad serial"));
	snprintf(want, sizeof want, "%s:10", fpath(f, "c.csv"));
	assert_true(saw(f, want, "unterminated"));
	assert_int_equal(count(f, NULL, "Acme, Inc.", 0, 0), 0);

	/* The good rows alone. */
	write_file(fpath(f, "g.csv"), good, strlen(good));
	assert_int_equal(wr_import_customers(f->db, fpath(f, "g.csv"), on_reject, f, &st), 0);
	assert_int_equal(st.csv_rows, 4);
	assert_int_equal(st.csv_matched, 3);
	assert_int_equal(st.csv_unmatched, 1);
	assert_int_equal(st.csv_rejected, 0);
	assert_int_equal(count(f, NULL, "Acme, Inc.", 0, 0), 1);
	assert_int_equal(count(f, NULL, "North \"wind\"", 0, 0), 1);
	assert_int_equal(count(f, NULL, "Multi\nLine", 0, 0), 1);

	assert_int_equal(wr_import_customers(f->db, fpath(f, "nope.csv"), on_reject, f, &st),
			 WR_ENOENT);
	free_set(xs, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_parse_no_sans_and_dates),
		cmocka_unit_test(test_parse_serials),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_serial_normalize),
		cmocka_unit_test(test_state_label),
		cmocka_unit_test_setup_teardown(test_import_pem_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_der_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_big_bundle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_trusted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_customers_csv, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	EVP_PKEY_free(key());
	return rc;
}
