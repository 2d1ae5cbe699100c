/* Unit tests for the provenance of imported certificates: the signature
 * check of core/cert.c (wr_issuers_*, wr_cert_check) with RSA (PKCS#1 and
 * PSS), ECDSA and Ed25519 issuers, and what core/import.c does with it:
 * forgeries rejected with their file and line, certificates of unknown
 * issuers stored unchecked and counted, duplicates found by issuer and
 * serial (a BER re-encoding is one), a different certificate under an
 * imported serial rejected as a conflict. The CAs and certificates are
 * made here with OpenSSL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "unit.h"

#define T0 1700000000
#define DAY 86400

/* ---- keys, CAs and certificates ---------------------------------------------------- */

enum { K_RSA, K_RSA2, K_EC, K_EC2, K_ED, NKEYS };
static EVP_PKEY *keys[NKEYS];

static EVP_PKEY *k(int which)
{
	if (!keys[which]) {
		switch (which) {
		case K_RSA:
		case K_RSA2: keys[which] = EVP_RSA_gen(2048); break;
		case K_EC:
		case K_EC2: keys[which] = EVP_EC_gen("P-256"); break;
		case K_ED: keys[which] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); break;
		}
	}
	assert_non_null(keys[which]);
	return keys[which];
}

enum { SIG_PLAIN, SIG_PSS };

static void sign(X509 *x, EVP_PKEY *key, int how)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	const EVP_MD *md = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();

	assert_int_equal(EVP_DigestSignInit(m, &pc, md, NULL, key), 1);
	if (how == SIG_PSS) {
		assert_true(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 32) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha256()) > 0);
	}
	assert_true(X509_sign_ctx(x, m) > 0);
	EVP_MD_CTX_free(m);
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	assert_non_null(e = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value));
	assert_true(X509_add_ext(x, e, -1));
	X509_EXTENSION_free(e);
}

static X509_NAME *cn_name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Provenance Test",
				   -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	return n;
}

/* A self-signed CA with a subjectKeyIdentifier. */
static X509 *make_ca(const char *cn, int key)
{
	X509 *x = X509_new();
	X509_NAME *n = cn_name(cn);

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	ASN1_TIME_set(X509_getm_notBefore(x), T0 - 10 * DAY);
	ASN1_TIME_set(X509_getm_notAfter(x), T0 + 3650L * DAY);
	X509_set_pubkey(x, k(key));
	add_ext(x, NULL, NID_basic_constraints, "critical,CA:TRUE");
	add_ext(x, NULL, NID_subject_key_identifier, "hash");
	sign(x, k(key), SIG_PLAIN);
	X509_NAME_free(n);
	return x;
}

struct leaf {
	X509 *issuer;	 /* its Name (and, with aki, its key identifier) */
	int key;	 /* the key that signs */
	int how;	 /* SIG_PLAIN, SIG_PSS */
	long serial;
	const char *cn;	 /* default "www.example.test" */
	bool aki;	 /* authorityKeyIdentifier copied from issuer */
	X509 *aki_from;	 /* ... or from this certificate instead */
};

static X509 *make_leaf(const struct leaf *l)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), l->serial);
	X509_set_issuer_name(x, X509_get_subject_name(l->issuer));
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)(l->cn ? l->cn : "www.example.test"), -1,
				   -1, 0);
	X509_set_subject_name(x, n);
	ASN1_TIME_set(X509_getm_notBefore(x), T0 - DAY);
	ASN1_TIME_set(X509_getm_notAfter(x), T0 + 90 * DAY);
	X509_set_pubkey(x, k(K_EC));
	if (l->aki || l->aki_from)
		add_ext(x, l->aki_from ? l->aki_from : l->issuer, NID_authority_key_identifier,
			"keyid:always");
	sign(x, k(l->key), l->how);
	X509_NAME_free(n);
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

/* wr_cert_check on x; why copied out when given. */
static int check(const struct wr_issuers *is, X509 *x, char *why, size_t whysz)
{
	char w[512] = "";
	size_t len;
	unsigned char *der = der_of(x, &len);
	int rc = wr_cert_check(is, der, len, w, sizeof w);

	if (why)
		snprintf(why, whysz, "%s", w);
	OPENSSL_free(der);
	return rc;
}

/* ---- files ---------------------------------------------------------------------------- */

struct fx {
	char dir[64];
	struct wr_db *db;
	struct wr_config *cfg;
	char where[32][256], why[32][512];
	int nrej;
};

/* A file in the fixture's directory. */
#define fpath(f, name) unit_path((f)->dir, name)

static void write_pem(const char *path, X509 **xs, int n)
{
	BIO *b = BIO_new_file(path, "w");

	assert_non_null(b);
	for (int i = 0; i < n; i++)
		assert_true(PEM_write_bio_X509(b, xs[i]));
	BIO_free(b);
}

static void write_der(const char *path, X509 *x)
{
	size_t len;
	unsigned char *der = der_of(x, &len);

	write_file(path, der, len);
	OPENSSL_free(der);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/wr-test-import.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[200];

	wr_db_close(f->db);
	wr_config_free(f->cfg);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Opens a fresh incident database, with conf (NULL: none) as its config. */
static void open_db(struct fx *f, const char *conf)
{
	char err[256];

	if (conf) {
		write_file(fpath(f, "warroom.conf"), conf, strlen(conf));
		assert_int_equal(wr_config_load(fpath(f, "warroom.conf"), &f->cfg, err, sizeof err), 0);
	}
	assert_int_equal(wr_db_open(fpath(f, "t.db"), WR_OPEN_CREATE, &f->db), 0);
	if (f->cfg)
		wr_db_set_config(f->db, f->cfg);
}

static void on_reject(const char *where, const char *why, void *ctx)
{
	struct fx *f = ctx;

	if (f->nrej < 32) {
		snprintf(f->where[f->nrej], sizeof f->where[0], "%s", where);
		snprintf(f->why[f->nrej], sizeof f->why[0], "%s", why);
	}
	f->nrej++;
}

static bool saw(struct fx *f, const char *where, const char *why)
{
	for (int i = 0; i < f->nrej && i < 32; i++)
		if (!strcmp(f->where[i], where) && strstr(f->why[i], why))
			return true;
	return false;
}

static int import(struct fx *f, const char *path, const char *issuers,
		  struct wr_import_stats *st)
{
	const char *paths[] = {path}, *is[] = {issuers};

	memset(st, 0, sizeof *st);
	f->nrej = 0;
	return wr_import_paths_issuers(f->db, paths, 1, is, issuers ? 1 : 0, 2, on_reject, f, st);
}

static int64_t unchecked(struct fx *f)
{
	struct wr_counts c;

	assert_int_equal(wr_counts_get(f->db, T0, &c), 0);
	return c.unchecked;
}

static int64_t affected(struct fx *f)
{
	struct wr_counts c;

	assert_int_equal(wr_counts_get(f->db, T0, &c), 0);
	return c.affected;
}

/* ---- the signature check ------------------------------------------------------------ */

static void test_check_rsa_ecdsa(void **state)
{
	struct fx *f = *state;
	X509 *rsa_ca = make_ca("RSA Issuing CA", K_RSA);
	X509 *ec_ca = make_ca("EC Issuing CA", K_EC);
	X509 *other = make_ca("Somebody Else CA", K_EC2);
	X509 *cas[] = {rsa_ca, ec_ca};
	struct wr_issuers *is = wr_issuers_new();
	char err[512], why[512];

	assert_non_null(is);
	write_pem(fpath(f, "issuers.pem"), cas, 2);
	assert_int_equal(wr_issuers_add_file(is, fpath(f, "issuers.pem"), false, err, sizeof err), 0);
	assert_int_equal(wr_issuers_count(is), 2);

	/* Genuine: RSA PKCS#1 v1.5, RSA-PSS, ECDSA; with and without AKI. */
	struct leaf good[] = {
		{.issuer = rsa_ca, .key = K_RSA, .serial = 0x1001},
		{.issuer = rsa_ca, .key = K_RSA, .serial = 0x1002, .aki = true},
		{.issuer = rsa_ca, .key = K_RSA, .serial = 0x1003, .how = SIG_PSS, .aki = true},
		{.issuer = ec_ca, .key = K_EC, .serial = 0x2001},
		{.issuer = ec_ca, .key = K_EC, .serial = 0x2002, .aki = true},
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		X509 *x = make_leaf(&good[i]);
		if (check(is, x, why, sizeof why) != 1)
			fail_msg("genuine certificate %zu: %s", i, why);
		X509_free(x);
	}

	/* Forged: the issuer's Name, a genuine serial, another key (of the
	 * same type, and of another type), with no AKI, the real CA's AKI,
	 * and the forger's own. */
	struct leaf forged[] = {
		{.issuer = rsa_ca, .key = K_RSA2, .serial = 0x1001},
		{.issuer = rsa_ca, .key = K_RSA2, .serial = 0x1001, .aki = true},
		{.issuer = rsa_ca, .key = K_RSA2, .serial = 0x1003, .how = SIG_PSS},
		{.issuer = rsa_ca, .key = K_EC2, .serial = 0x1001},
		{.issuer = ec_ca, .key = K_EC2, .serial = 0x2001},
		{.issuer = ec_ca, .key = K_EC2, .serial = 0x2001, .aki = true},
		{.issuer = ec_ca, .key = K_EC2, .serial = 0x2001, .aki_from = other},
	};
	for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
		X509 *x = make_leaf(&forged[i]);
		if (check(is, x, why, sizeof why) != WR_EINVAL)
			fail_msg("forged certificate %zu passed", i);
		const char *want = forged[i].issuer == rsa_ca
					   ? "signature does not verify with the key of issuer"
					     " CN=RSA Issuing CA,O=Provenance Test"
					   : "signature does not verify with the key of issuer"
					     " CN=EC Issuing CA,O=Provenance Test";
		if (!strstr(why, want))
			fail_msg("forged certificate %zu: %s", i, why);
		X509_free(x);
	}
	/* The forger's AKI names a key we lack: said so. */
	X509 *x = make_leaf(&forged[6]);
	assert_int_equal(check(is, x, why, sizeof why), WR_EINVAL);
	assert_non_null(strstr(why, "which is not that issuer's"));
	X509_free(x);

	/* A genuine certificate, one byte of its tbsCertificate changed
	 * (in the subject's CN): the signature no longer covers it. */
	struct leaf g = {.issuer = ec_ca, .key = K_EC, .serial = 0x2003, .cn = "aaaa.example"};
	x = make_leaf(&g);
	size_t len;
	unsigned char *der = der_of(x, &len);
	unsigned char *cn = memmem(der, len, "aaaa.example", 12);
	assert_non_null(cn);
	cn[0] = 'b';
	assert_int_equal(wr_cert_check(is, der, len, why, sizeof why), WR_EINVAL);
	cn[0] = 'a';
	assert_int_equal(wr_cert_check(is, der, len, why, sizeof why), 1);
	OPENSSL_free(der);
	X509_free(x);

	/* An issuer not known: 0, nothing said. */
	struct leaf u = {.issuer = other, .key = K_EC2, .serial = 7};
	x = make_leaf(&u);
	assert_int_equal(check(is, x, NULL, 0), 0);
	X509_free(x);
	/* No issuers at all: 0. */
	struct wr_issuers *none = wr_issuers_new();
	x = make_leaf(&good[0]);
	assert_int_equal(check(none, x, NULL, 0), 0);
	assert_int_equal(check(NULL, x, NULL, 0), 0);
	X509_free(x);
	wr_issuers_free(none);

	wr_issuers_free(is);
	X509_free(rsa_ca);
	X509_free(ec_ca);
	X509_free(other);
}

/* A CA that changed keys has two certificates of one Name: the AKI picks
 * the key, and a certificate of either key verifies. Ed25519 too. */
static void test_check_rollover_ed25519(void **state)
{
	struct fx *f = *state;
	X509 *old = make_ca("Rolling CA", K_EC), *new = make_ca("Rolling CA", K_EC2);
	X509 *ed = make_ca("Edwards CA", K_ED);
	X509 *cas[] = {old, new, ed};
	struct wr_issuers *is = wr_issuers_new();
	char err[512], why[512];

	write_pem(fpath(f, "roll.pem"), cas, 3);
	assert_int_equal(wr_issuers_add_file(is, fpath(f, "roll.pem"), false, err, sizeof err), 0);
	assert_int_equal(wr_issuers_count(is), 3);
	struct leaf ls[] = {
		{.issuer = old, .key = K_EC, .serial = 1, .aki = true},
		{.issuer = new, .key = K_EC2, .serial = 2, .aki = true},
		{.issuer = new, .key = K_EC2, .serial = 3},
		/* The AKI is only a hint: the signature decides. */
		{.issuer = new, .key = K_EC2, .serial = 4, .aki_from = old},
		{.issuer = ed, .key = K_ED, .serial = 5, .aki = true},
	};
	for (size_t i = 0; i < sizeof ls / sizeof ls[0]; i++) {
		X509 *x = make_leaf(&ls[i]);
		if (check(is, x, why, sizeof why) != 1)
			fail_msg("certificate %zu: %s", i, why);
		X509_free(x);
	}
	struct leaf bad = {.issuer = ed, .key = K_EC, .serial = 6};
	X509 *x = make_leaf(&bad);
	assert_int_equal(check(is, x, why, sizeof why), WR_EINVAL);
	assert_non_null(strstr(why, "CN=Edwards CA"));
	X509_free(x);
	wr_issuers_free(is);
	X509_free(old);
	X509_free(new);
	X509_free(ed);
}

static void test_issuers_files(void **state)
{
	struct fx *f = *state;
	struct wr_issuers *is = wr_issuers_new();
	X509 *ca = make_ca("DER CA", K_EC);
	char err[512];

	assert_int_equal(wr_issuers_add_file(is, fpath(f, "missing.pem"), true, err, sizeof err),
			 WR_ENOENT);
	assert_non_null(strstr(err, "missing.pem"));
	write_file(fpath(f, "empty.pem"), "", 0);
	assert_int_equal(wr_issuers_add_file(is, fpath(f, "empty.pem"), true, err, sizeof err),
			 WR_EINVAL);
	assert_non_null(strstr(err, "no certificate"));
	write_file(fpath(f, "text.pem"), "hello\n", 6);
	assert_int_equal(wr_issuers_add_file(is, fpath(f, "text.pem"), false, err, sizeof err),
			 WR_EINVAL);
	write_der(fpath(f, "ca.der"), ca);
	assert_int_equal(wr_issuers_add_file(is, fpath(f, "ca.der"), true, err, sizeof err), 0);
	assert_int_equal(wr_issuers_count(is), 1);
	wr_issuers_free(is);
	X509_free(ca);
}

/* ---- the import ------------------------------------------------------------------------ */

/* Forgeries are rejected with file and line, and nothing of them is
 * stored; genuine certificates are stored checked. */
static void test_import_forged(void **state)
{
	struct fx *f = *state;
	X509 *ca = make_ca("warroom unit CA", K_RSA);
	struct wr_import_stats st;

	write_pem(fpath(f, "ca.pem"), &ca, 1);
	open_db(f, NULL);
	struct leaf gl = {.issuer = ca, .key = K_RSA, .serial = 0x1001, .aki = true};
	struct leaf fl = {.issuer = ca, .key = K_EC2, .serial = 0x1001, .aki = true,
			  .cn = "evil.example"};
	struct leaf g2 = {.issuer = ca, .key = K_RSA, .serial = 0x1002};
	X509 *xs[3] = {make_leaf(&gl), make_leaf(&fl), make_leaf(&g2)};
	write_pem(fpath(f, "mixed.pem"), xs, 3);
	write_der(fpath(f, "forged.der"), xs[1]);

	/* The forgery's block starts on the line after the first's END. */
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, xs[0]);
	char *p;
	long n = BIO_get_mem_data(b, &p), lines = 0;
	for (long i = 0; i < n; i++)
		lines += p[i] == '\n';
	BIO_free(b);

	assert_int_equal(import(f, fpath(f, "mixed.pem"), fpath(f, "ca.pem"), &st), 0);
	assert_int_equal(st.forged, 1);
	assert_int_equal(st.added, 2);
	assert_int_equal(st.certs, 2);
	assert_int_equal(st.rejected, 1);
	assert_int_equal(st.unchecked, 0);
	assert_int_equal(f->nrej, 1);
	char where[300];
	snprintf(where, sizeof where, "%s:%ld", fpath(f, "mixed.pem"), lines + 1);
	if (!saw(f, where, "signature does not verify with the key of issuer CN=warroom unit CA,"
				 "O=Provenance Test"))
		fail_msg("got %s: %s", f->where[0], f->why[0]);
	assert_int_equal(affected(f), 2);
	assert_int_equal(unchecked(f), 0);

	/* Alone, as DER: named without a line. */
	assert_int_equal(import(f, fpath(f, "forged.der"), fpath(f, "ca.pem"), &st), 0);
	assert_int_equal(st.forged, 1);
	assert_int_equal(st.added, 0);
	assert_true(saw(f, fpath(f, "forged.der"), "does not verify"));
	assert_int_equal(affected(f), 2);
	for (int i = 0; i < 3; i++)
		X509_free(xs[i]);
	X509_free(ca);
}

/* With no issuer known, certificates are stored unchecked and counted;
 * the same files again with the issuer check them. The issuer comes from
 * [ca] issuers here, relative to the config file. */
static void test_import_unchecked_then_checked(void **state)
{
	struct fx *f = *state;
	X509 *ca = make_ca("warroom unit EC CA", K_EC);
	struct wr_import_stats st;
	X509 *xs[4];

	for (int i = 0; i < 4; i++) {
		struct leaf l = {.issuer = ca, .key = K_EC, .serial = 0x3000 + i, .aki = i % 2};
		xs[i] = make_leaf(&l);
	}
	write_pem(fpath(f, "bundle.pem"), xs, 4);
	write_pem(fpath(f, "ca.pem"), &ca, 1);
	open_db(f, NULL);
	assert_int_equal(import(f, fpath(f, "bundle.pem"), NULL, &st), 0);
	assert_int_equal(st.added, 4);
	assert_int_equal(st.unchecked, 4);
	assert_int_equal(unchecked(f), 4);

	/* Now the config names the issuer. */
	char err[256];
	write_file(fpath(f, "warroom.conf"), "[ca]\nissuers = ca.pem\n", 22);
	assert_int_equal(wr_config_load(fpath(f, "warroom.conf"), &f->cfg, err, sizeof err), 0);
	wr_db_set_config(f->db, f->cfg);
	assert_int_equal(import(f, fpath(f, "bundle.pem"), NULL, &st), 0);
	assert_int_equal(f->nrej, 0);
	assert_int_equal(st.duplicates, 4);
	assert_int_equal(st.unchecked, 0);
	assert_int_equal(unchecked(f), 0);
	assert_int_equal(affected(f), 4);

	/* A configured issuer file that cannot be read stops the import. */
	write_file(fpath(f, "warroom.conf"), "[ca]\nissuers = nowhere.pem\n", 27);
	wr_config_free(f->cfg);
	assert_int_equal(wr_config_load(fpath(f, "warroom.conf"), &f->cfg, err, sizeof err), 0);
	wr_db_set_config(f->db, f->cfg);
	assert_int_equal(import(f, fpath(f, "bundle.pem"), NULL, &st), WR_ENOENT);
	assert_non_null(strstr(wr_db_errmsg(f->db), "[ca] issuers"));
	assert_non_null(strstr(wr_db_errmsg(f->db), "nowhere.pem"));
	/* So does an --issuers file. */
	wr_db_set_config(f->db, NULL);
	assert_int_equal(import(f, fpath(f, "bundle.pem"), fpath(f, "bundle.csv"), &st), WR_ENOENT);
	assert_non_null(strstr(wr_db_errmsg(f->db), "--issuers"));
	for (int i = 0; i < 4; i++)
		X509_free(xs[i]);
	X509_free(ca);
}

/* Duplicates by issuer and serial: a BER re-encoding (a long-form outer
 * length) is the same certificate; other content under the same issuer
 * and serial is a conflict. */
static void test_import_duplicates(void **state)
{
	struct fx *f = *state;
	X509 *ca = make_ca("warroom dup CA", K_EC);
	struct wr_import_stats st;
	struct leaf a = {.issuer = ca, .key = K_EC, .serial = 0x4001, .cn = "a.example"};
	struct leaf b = {.issuer = ca, .key = K_EC, .serial = 0x4001, .cn = "b.example"};
	X509 *xa = make_leaf(&a), *xb = make_leaf(&b);
	size_t len;
	unsigned char *der = der_of(xa, &len);

	open_db(f, NULL);
	write_der(fpath(f, "a.der"), xa);
	assert_int_equal(import(f, fpath(f, "a.der"), NULL, &st), 0);
	assert_int_equal(st.added, 1);

	/* 30 82 LL LL -> 30 83 00 LL LL: BER, the same certificate. */
	assert_int_equal(der[0], 0x30);
	assert_int_equal(der[1], 0x82);
	unsigned char *ber = malloc(len + 1);
	ber[0] = 0x30;
	ber[1] = 0x83;
	ber[2] = 0x00;
	memcpy(ber + 3, der + 2, len - 2);
	write_file(fpath(f, "a-ber.der"), ber, len + 1);
	assert_int_equal(import(f, fpath(f, "a-ber.der"), NULL, &st), 0);
	assert_int_equal(f->nrej, 0);
	assert_int_equal(st.added, 0);
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(affected(f), 1);

	/* The same tbsCertificate signed again (ECDSA: another signature):
	 * the same certificate. */
	X509 *again = make_leaf(&a);
	write_der(fpath(f, "a-again.der"), again);
	assert_int_equal(import(f, fpath(f, "a-again.der"), NULL, &st), 0);
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(affected(f), 1);

	/* Another subject under the same issuer and serial: a conflict. */
	X509 *pair[] = {xa, xb};
	write_pem(fpath(f, "b.pem"), pair, 2);
	assert_int_equal(import(f, fpath(f, "b.pem"), NULL, &st), 0);
	assert_int_equal(st.conflicts, 1);
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(st.added, 0);
	assert_int_equal(st.rejected, 1);
	char where[300];
	snprintf(where, sizeof where, "%s:", fpath(f, "b.pem"));
	assert_int_equal(f->nrej, 1);
	assert_true(strncmp(f->where[0], where, strlen(where)) == 0);
	assert_string_not_equal(f->where[0], where); /* a line follows */
	assert_non_null(strstr(f->why[0], "another certificate with issuer CN=warroom dup CA,"
					  "O=Provenance Test and serial 4001 is already imported;"
					  " this one differs"));
	assert_int_equal(affected(f), 1);

	/* Another issuer's 4001 is another certificate. */
	X509 *ca2 = make_ca("warroom other CA", K_EC2);
	struct leaf c = {.issuer = ca2, .key = K_EC2, .serial = 0x4001};
	X509 *xc = make_leaf(&c);
	write_der(fpath(f, "c.der"), xc);
	assert_int_equal(import(f, fpath(f, "c.der"), NULL, &st), 0);
	assert_int_equal(st.added, 1);
	assert_int_equal(affected(f), 2);

	free(ber);
	OPENSSL_free(der);
	X509_free(xa);
	X509_free(xb);
	X509_free(xc);
	X509_free(again);
	X509_free(ca);
	X509_free(ca2);
}

/* A bundle of several chunks, checked by two threads: every forgery is
 * named by its line, every genuine certificate stored checked. */
static void test_import_big_bundle(void **state)
{
	struct fx *f = *state;
	X509 *ca = make_ca("warroom bulk CA", K_EC);
	struct wr_import_stats st;
	enum { N = 800 };
	BIO *b = BIO_new(BIO_s_mem());
	long forged_lines[N];
	int nforged = 0;

	write_pem(fpath(f, "ca.pem"), &ca, 1);
	open_db(f, NULL);
	for (int i = 0; i < N; i++) {
		bool forge = i % 97 == 13;
		struct leaf l = {.issuer = ca, .key = forge ? K_EC2 : K_EC, .serial = 0x10000 + i,
				 .aki = true};
		X509 *x = make_leaf(&l);
		if (forge) {
			char *p;
			long n = BIO_get_mem_data(b, &p), lines = 0;
			for (long k2 = 0; k2 < n; k2++)
				lines += p[k2] == '\n';
			forged_lines[nforged++] = lines + 1;
		}
		PEM_write_bio_X509(b, x);
		X509_free(x);
	}
	char *pem;
	long n = BIO_get_mem_data(b, &pem);
	assert_true(n > 384 * 1024);
	write_file(fpath(f, "big.pem"), pem, (size_t)n);
	BIO_free(b);
	assert_int_equal(import(f, fpath(f, "big.pem"), fpath(f, "ca.pem"), &st), 0);
	assert_int_equal(st.forged, nforged);
	assert_int_equal(st.added, N - nforged);
	assert_int_equal(st.unchecked, 0);
	assert_int_equal(st.rejected, 1);
	assert_int_equal(f->nrej, nforged);
	for (int i = 0; i < nforged; i++) {
		char where[300];
		snprintf(where, sizeof where, "%s:%ld", fpath(f, "big.pem"), forged_lines[i]);
		if (!saw(f, where, "does not verify"))
			fail_msg("want %s, got %s", where, f->where[i]);
	}
	assert_int_equal(unchecked(f), 0);
	X509_free(ca);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_check_rsa_ecdsa, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_rollover_ed25519, setup, teardown),
		cmocka_unit_test_setup_teardown(test_issuers_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_forged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_unchecked_then_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_big_bundle, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	for (int i = 0; i < NKEYS; i++)
		EVP_PKEY_free(keys[i]);
	return rc;
}
