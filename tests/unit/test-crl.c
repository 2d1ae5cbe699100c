/* Unit tests for core/crl.c and core/backend-local.c: CRL shards built
 * and signed through the OpenSSL API and checked back with it (signature,
 * issuer, critical Issuing Distribution Point, CRL number, AKI, entries,
 * reasons including privilegeWithdrawn and an omitted one, serial mod n
 * sharding); the local CA's revoke (idempotent: ALREADY with the first
 * date, safe with two processes at once; only what the CA key signed),
 * its index.txt, its settings' errors, and what several operators of one
 * group need: group-writable files whatever the umask, a lock that
 * times out naming its holder, planted links refused, the key's mode.
 * The test CA is made here with the OpenSSL API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "backend.h"
#include "crl.h"

#define NOW 1795586400 /* 2026-11-25T06:00:00Z */
#define CA_NAME "CN=Warroom Unit CA,O=Warroom Tests,C=US"

struct fx {
	char dir[64];
	char out[128];
	char conf[128];
	char db_path[128];
	EVP_PKEY *key, *other_key;
	X509 *ca, *other_ca;
	struct wr_db *db;
	struct wr_config *cfg;
};

/* ---- fixtures made with the OpenSSL API ------------------------------------- */

static X509_NAME *name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();
	assert_non_null(n);
	assert_true(X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"US",
					       -1, -1, 0));
	assert_true(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
					       (const unsigned char *)"Warroom Tests", -1, -1, 0));
	assert_true(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn,
					       -1, -1, 0));
	return n;
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(e);
	assert_true(X509_add_ext(x, e, -1));
	X509_EXTENSION_free(e);
}

/* A certificate: a CA when issuer is NULL (self-signed), else a leaf. */
static X509 *make_cert(const char *cn, const char *serial_hex, EVP_PKEY *key, X509 *issuer,
		       EVP_PKEY *issuer_key, int64_t not_after)
{
	X509 *x = X509_new();
	BIGNUM *bn = NULL;
	X509_NAME *n = name(cn);

	assert_non_null(x);
	assert_true(X509_set_version(x, X509_VERSION_3));
	assert_true(BN_hex2bn(&bn, serial_hex));
	assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
	BN_free(bn);
	assert_true(X509_set_subject_name(x, n));
	assert_true(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n));
	X509_NAME_free(n);
	assert_non_null(X509_time_adj_ex(X509_getm_notBefore(x), 0, -86400, (time_t[]){NOW}));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after));
	assert_true(X509_set_pubkey(x, key));
	if (!issuer) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
		add_ext(x, x, NID_subject_key_identifier, "hash");
	} else {
		add_ext(x, issuer, NID_key_usage, "critical,digitalSignature");
	}
	assert_true(X509_sign(x, issuer ? issuer_key : key, EVP_sha256()) > 0);
	return x;
}

/* A certificate of the CA's with one more extension (a CRL Distribution
 * Point, basic constraints), as nconf text. */
static X509 *make_cert_ext(const char *cn, const char *serial_hex, EVP_PKEY *key, X509 *issuer,
			   EVP_PKEY *issuer_key, int nid, const char *value)
{
	X509 *x = make_cert(cn, serial_hex, key, issuer, issuer_key, NOW + 86400);
	add_ext(x, issuer, nid, value);
	assert_true(X509_sign(x, issuer_key, EVP_sha256()) > 0);
	return x;
}

static void write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	if (x)
		assert_true(PEM_write_X509(f, x));
	if (k)
		assert_true(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL));
	/* A key is a secret: warroom refuses one others can read. */
	if (k)
		assert_int_equal(fchmod(fileno(f), 0600), 0);
	fclose(f);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void write_conf(struct fx *f, const char *extra)
{
	char buf[1024];
	snprintf(buf, sizeof buf,
		 "[revocation]\nbackend = local\n[local]\nca_cert = ca.pem\nca_key = ca.key\n"
		 "out_dir = pub\ncrl_url = http://127.0.0.1/crl/\nshard_entries = 3\n%s",
		 extra ? extra : "");
	write_file(f->conf, buf);
	char err[256];
	wr_config_free(f->cfg);
	f->cfg = NULL;
	assert_int_equal(wr_config_load(f->conf, &f->cfg, err, sizeof err), 0);
	wr_db_set_config(f->db, f->cfg);
}

/* A row of the incident, as import would write it. */
static void add_cert_row(struct wr_db *db, const char *serial, const char *issuer,
			 const char *subject, int64_t not_after)
{
	static int rows;
	sqlite3_stmt *st;
	unsigned char h[32] = {0};

	snprintf((char *)h, sizeof h, "%d:%s", ++rows, serial);
	assert_int_equal(wr_prepare(db, "INSERT INTO cert(sha256, serial, issuer, subject,"
				       " not_before, not_after, spki_sha256)"
				       " VALUES (?, ?, ?, ?, ?, ?, ?)", &st), 0);
	sqlite3_bind_blob(st, 1, h, 32, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, serial, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, issuer, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, subject, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, NOW - 86400);
	sqlite3_bind_int64(st, 6, not_after);
	sqlite3_bind_blob(st, 7, h, 32, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct wr_plan *plan;
	char err[256], p[160];

	strcpy(f->dir, "/tmp/wr-unit-crl-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->out, sizeof f->out, "%s/pub", f->dir);
	snprintf(f->conf, sizeof f->conf, "%s/warroom.conf", f->dir);
	snprintf(f->db_path, sizeof f->db_path, "%s/t.db", f->dir);
	assert_non_null(f->key = EVP_EC_gen("P-256"));
	assert_non_null(f->other_key = EVP_EC_gen("P-256"));
	f->ca = make_cert("Warroom Unit CA", "01", f->key, NULL, NULL, NOW + 3650 * 86400LL);
	f->other_ca = make_cert("Someone Else CA", "02", f->other_key, NULL, NULL,
				NOW + 3650 * 86400LL);
	snprintf(p, sizeof p, "%s/ca.pem", f->dir);
	write_pem(p, f->ca, NULL);
	snprintf(p, sizeof p, "%s/ca.key", f->dir);
	write_pem(p, NULL, f->key);
	snprintf(p, sizeof p, "%s/other.key", f->dir);
	write_pem(p, NULL, f->other_key);
	assert_int_equal(wr_plan_load(NULL, &plan, err, sizeof err), 0);
	/* A fixture: created under WARROOM_NOW, so the tests may move its clock. */
	setenv("WARROOM_NOW", "2026-11-25T06:00:00Z", 1);
	assert_int_equal(wr_db_open(f->db_path, WR_OPEN_CREATE, &f->db), 0);
	unsetenv("WARROOM_NOW");
	wr_db_set_actor(f->db, "tester");
	assert_int_equal(wr_incident_init(f->db, "CRL unit", 100, plan), 0);
	wr_plan_free(plan);
	write_conf(f, NULL);
	unsetenv("WARROOM_NOW");
	*state = f;
	return 0;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	wr_db_close(f->db);
	wr_config_free(f->cfg);
	X509_free(f->ca);
	X509_free(f->other_ca);
	EVP_PKEY_free(f->key);
	EVP_PKEY_free(f->other_key);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	unsetenv("WARROOM_NOW");
	return 0;
}

/* ---- reading back ------------------------------------------------------------- */

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static X509_CRL *read_shard(const char *dir, int k)
{
	char path[256];
	size_t len;
	unsigned char *der;
	const unsigned char *p;

	snprintf(path, sizeof path, "%s/shard-%d.crl", dir, k);
	der = slurp(path, &len);
	if (!der)
		return NULL;
	p = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
	assert_non_null(crl);
	assert_ptr_equal(p, der + len); /* nothing after it */
	free(der);
	return crl;
}

static const X509_REVOKED *find_entry(X509_CRL *crl, const char *serial_hex)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);
	BIGNUM *want = NULL;
	const X509_REVOKED *found = NULL;

	assert_true(BN_hex2bn(&want, serial_hex));
	for (int i = 0; i < sk_X509_REVOKED_num(revs) && !found; i++) {
		const X509_REVOKED *r = sk_X509_REVOKED_value(revs, i);
		BIGNUM *bn = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(r), NULL);
		if (BN_cmp(bn, want) == 0)
			found = r;
		BN_free(bn);
	}
	BN_free(want);
	return found;
}

/* The reasonCode of an entry, WR_CRL_OMIT when it has none. */
static int entry_reason(const X509_REVOKED *r)
{
	int crit = 0;
	ASN1_ENUMERATED *e = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, NULL);
	int v = e ? (int)ASN1_ENUMERATED_get(e) : WR_CRL_OMIT;

	if (e)
		assert_int_equal(crit, 0);
	ASN1_ENUMERATED_free(e);
	return v;
}

/* Checks what every shard must carry; returns its entry count. */
static int check_shard(struct fx *f, X509_CRL *crl, int k, int64_t number, const char *url_base)
{
	int crit = -1;

	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(X509_CRL_verify(crl, f->key), 1);
	assert_int_equal(X509_CRL_verify(crl, f->other_key), 0);
	ERR_clear_error();
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(f->ca)), 0);
	assert_int_equal(X509_CRL_get_signature_nid(crl), NID_ecdsa_with_SHA256);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_lastUpdate(crl), NOW), 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_nextUpdate(crl), NOW + 7 * 86400), 0);

	ASN1_INTEGER *num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	assert_non_null(num);
	assert_int_equal(crit, 0);
	assert_int_equal(ASN1_INTEGER_get(num), number);
	ASN1_INTEGER_free(num);

	AUTHORITY_KEYID *akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, &crit, NULL);
	assert_non_null(akid);
	assert_non_null(akid->keyid);
	assert_int_equal(ASN1_OCTET_STRING_cmp(akid->keyid, X509_get0_subject_key_id(f->ca)), 0);
	AUTHORITY_KEYID_free(akid);

	ISSUING_DIST_POINT *idp =
		X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit, NULL);
	assert_non_null(idp);
	assert_int_equal(crit, 1); /* critical */
	assert_true(idp->onlyuser);
	assert_false(idp->onlyCA);
	if (url_base) {
		char want[256];
		assert_non_null(idp->distpoint);
		assert_int_equal(idp->distpoint->type, 0);
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(idp->distpoint->name.fullname, 0);
		assert_int_equal(gn->type, GEN_URI);
		snprintf(want, sizeof want, "%sshard-%d.crl", url_base, k);
		assert_string_equal((const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier),
				    want);
	} else {
		assert_null(idp->distpoint);
	}
	ISSUING_DIST_POINT_free(idp);
	return sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl));
}

/* ---- crl.c -------------------------------------------------------------------- */

static void test_shard_math(void **state)
{
	(void)state;
	assert_int_equal(wr_crl_shard_count(0, 100000), 1);
	assert_int_equal(wr_crl_shard_count(1, 100000), 1);
	assert_int_equal(wr_crl_shard_count(100000, 100000), 1);
	assert_int_equal(wr_crl_shard_count(100001, 100000), 2);
	assert_int_equal(wr_crl_shard_count(1000000, 100000), 10);
	assert_int_equal(wr_crl_shard_count(10, 0), 0);

	assert_int_equal(wr_crl_shard_of("0A", 3), 1);
	assert_int_equal(wr_crl_shard_of("0a", 3), 1);
	assert_int_equal(wr_crl_shard_of("000A", 3), 1);
	assert_int_equal(wr_crl_shard_of("-0A", 3), 1); /* the magnitude's */
	assert_int_equal(wr_crl_shard_of("00", 7), 0);
	assert_int_equal(wr_crl_shard_of("ABC", 1), 0);
	assert_int_equal(wr_crl_shard_of("XYZ", 3), -1);
	assert_int_equal(wr_crl_shard_of("", 3), -1);
	assert_int_equal(wr_crl_shard_of("0A", 0), -1);
	/* A 20-byte serial against BN's own arithmetic. */
	const char *big = "7FEDCBA98765432100112233445566778899AABB";
	BIGNUM *bn = NULL;
	assert_true(BN_hex2bn(&bn, big));
	for (int n = 1; n < 300; n += 37)
		assert_int_equal(wr_crl_shard_of(big, n), (int)BN_mod_word(bn, (BN_ULONG)n));
	BN_free(bn);
}

static void test_list(void **state)
{
	(void)state;
	struct wr_crl_list *l = wr_crl_list_new(4);
	int64_t at;
	int reason;

	assert_non_null(l);
	assert_null(wr_crl_list_new(0));
	assert_int_equal(wr_crl_list_add(l, "1001", 100, 1), 0);
	assert_int_equal(wr_crl_list_add(l, "2002", 200, 9), 0);
	assert_int_equal(wr_crl_list_add(l, "3003", 300, WR_CRL_OMIT), 0);
	assert_int_equal(wr_crl_list_add(l, "4004", 400, 0), 0);
	assert_int_equal(wr_crl_list_add(l, "1001", 999, 4), 0); /* duplicate: first stays */
	assert_int_equal(wr_crl_list_add(l, "NOTHEX", 1, 1), WR_EINVAL);
	assert_int_equal(wr_crl_list_add(l, "5005", 1, 6), WR_EINVAL); /* certificateHold */
	assert_int_equal(wr_crl_list_add(l, "5005", 1, 8), WR_EINVAL);
	assert_int_equal(wr_crl_list_add(l, "5005", 1, 11), WR_EINVAL);
	assert_int_equal(wr_crl_list_count(l), 5);
	assert_int_equal(wr_crl_list_sort(l), 0);
	assert_int_equal(wr_crl_list_count(l), 4);
	assert_true(wr_crl_list_find(l, "1001", &at, &reason));
	assert_int_equal(at, 100);
	assert_int_equal(reason, 1);
	assert_true(wr_crl_list_find(l, "002002", &at, &reason));
	assert_int_equal(reason, 9);
	assert_true(wr_crl_list_find(l, "3003", &at, &reason));
	assert_int_equal(reason, WR_CRL_OMIT);
	/* unspecified (0) is kept as no reasonCode at all (RFC 5280 5.3.1). */
	assert_true(wr_crl_list_find(l, "4004", &at, &reason));
	assert_int_equal(reason, WR_CRL_OMIT);
	assert_false(wr_crl_list_find(l, "5005", NULL, NULL));
	assert_false(wr_crl_list_find(l, "-1001", NULL, NULL));
	/* The same answers through the hash table. */
	assert_int_equal(wr_crl_list_index(l), 0);
	assert_true(wr_crl_list_find(l, "1001", &at, &reason));
	assert_int_equal(at, 100);
	assert_int_equal(reason, 1);
	assert_true(wr_crl_list_find(l, "2002", &at, &reason));
	assert_int_equal(reason, 9);
	assert_true(wr_crl_list_find(l, "04004", NULL, NULL));
	assert_false(wr_crl_list_find(l, "5005", NULL, NULL));
	assert_false(wr_crl_list_find(l, "-1001", NULL, NULL));
	/* Many, with long serials and a negative one. */
	struct wr_crl_list *m = wr_crl_list_new(7);
	char s[80];
	for (int i = 0; i < 5000; i++) {
		snprintf(s, sizeof s, "%s%08X%08XDEADBEEF", i % 500 == 0 ? "-" : "", i * 7919, i);
		assert_int_equal(wr_crl_list_add(m, s, i, i % 2 ? 4 : WR_CRL_OMIT), 0);
	}
	assert_int_equal(wr_crl_list_sort(m), 0);
	assert_int_equal(wr_crl_list_index(m), 0);
	for (int i = 0; i < 5000; i++) {
		snprintf(s, sizeof s, "%s%08X%08XDEADBEEF", i % 500 == 0 ? "-" : "", i * 7919, i);
		assert_true(wr_crl_list_find(m, s, &at, &reason));
		assert_int_equal(at, i);
		snprintf(s, sizeof s, "%08X%08XDEADBEEE", i * 7919, i);
		assert_false(wr_crl_list_find(m, s, NULL, NULL));
	}
	wr_crl_list_free(m);
	wr_crl_list_free(l);
	wr_crl_list_free(NULL);
}

struct want {
	const char *serial;
	int reason; /* as the CRL must carry it */
	int64_t at;
};

static void test_write_and_verify(void **state)
{
	struct fx *f = *state;
	static const struct want w[] = {
		{"01", 1, NOW - 50},
		{"0100", 9, NOW - 40},		   /* privilegeWithdrawn: OpenSSL's ca refuses it */
		{"7B", WR_CRL_OMIT, NOW - 30},	   /* no reasonCode extension */
		{"0400", WR_CRL_OMIT, NOW - 30},   /* unspecified: omitted too */
		{"ABCDEF0123456789ABCDEF0123456789ABCDEF01", 4, NOW - 20}, /* 20 bytes, high bit */
		{"05", 5, NOW - 10},
		{"08", 3, NOW - 10},
		{"-0C", 1, NOW - 5},		   /* negative, as some CAs issued */
	};
	const size_t nw = sizeof w / sizeof w[0];
	const int n = 3;
	struct wr_crl_list *l = wr_crl_list_new(n);
	struct wr_crl_stats st;
	char err[512] = "", path[256];
	int total = 0;

	assert_int_equal(mkdir(f->out, 0755), 0);
	for (size_t i = 0; i < nw; i++)
		assert_int_equal(wr_crl_list_add(l, w[i].serial, w[i].at,
						 w[i].reason == WR_CRL_OMIT && i == 3 ? 0 : w[i].reason),
				 0);
	/* Left from an earlier, larger shard count: must go. */
	for (int k = n; k < n + 2; k++) {
		snprintf(path, sizeof path, "%s/shard-%d.crl", f->out, k);
		write_file(path, "stale");
		snprintf(path, sizeof path, "%s/shard-%d.pem", f->out, k);
		write_file(path, "stale");
	}
	struct wr_crl_params p = {
		.ca = f->ca,
		.key = f->key,
		.out_dir = f->out,
		.crl_url = "http://127.0.0.1/crl/",
		.this_update = NOW,
		.next_update = NOW + 7 * 86400,
		.crl_number = 42,
		.nthreads = 2,
	};
	assert_int_equal(wr_crl_write(&p, l, &st, err, sizeof err), 0);
	assert_string_equal(err, "");
	assert_int_equal(st.shards, n);
	assert_int_equal(st.entries, (int64_t)nw);
	assert_true(st.bytes > 0 && st.pem_bytes > st.bytes);

	for (int k = 0; k < n; k++) {
		X509_CRL *crl = read_shard(f->out, k);
		assert_non_null(crl);
		total += check_shard(f, crl, k, 42, "http://127.0.0.1/crl/");
		/* Every entry belongs here: serial mod n == k. */
		STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);
		for (int i = 0; i < sk_X509_REVOKED_num(revs); i++) {
			BIGNUM *bn = ASN1_INTEGER_to_BN(
				X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revs, i)), NULL);
			BN_set_negative(bn, 0);
			assert_int_equal((int)BN_mod_word(bn, (BN_ULONG)n), k);
			BN_free(bn);
		}
		/* The PEM is the same CRL. */
		snprintf(path, sizeof path, "%s/shard-%d.pem", f->out, k);
		FILE *fp = fopen(path, "r");
		assert_non_null(fp);
		X509_CRL *pem = PEM_read_X509_CRL(fp, NULL, NULL, NULL);
		fclose(fp);
		assert_non_null(pem);
		assert_int_equal(X509_CRL_cmp(crl, pem), 0);
		assert_int_equal(i2d_X509_CRL(pem, NULL), i2d_X509_CRL(crl, NULL));
		X509_CRL_free(pem);
		X509_CRL_free(crl);
	}
	assert_int_equal(total, (int)nw);
	for (size_t i = 0; i < nw; i++) {
		int k = wr_crl_shard_of(w[i].serial, n);
		X509_CRL *crl = read_shard(f->out, k);
		const X509_REVOKED *r = find_entry(crl, w[i].serial);
		assert_non_null(r);
		assert_int_equal(entry_reason(r), w[i].reason);
		assert_int_equal(ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(r), w[i].at), 0);
		X509_CRL_free(crl);
	}
	/* crls.txt names the DER files, the ARL's too; the stale shards are
	 * gone. */
	size_t len;
	snprintf(path, sizeof path, "%s/crls.txt", f->out);
	char *list = (char *)slurp(path, &len);
	assert_non_null(list);
	assert_string_equal(list, "shard-0.crl\nshard-1.crl\nshard-2.crl\narl.crl\n");
	free(list);
	for (int k = n; k < n + 2; k++) {
		snprintf(path, sizeof path, "%s/shard-%d.crl", f->out, k);
		assert_int_equal(access(path, F_OK), -1);
		snprintf(path, sizeof path, "%s/shard-%d.pem", f->out, k);
		assert_int_equal(access(path, F_OK), -1);
	}
	/* Public files the team may replace, whatever the umask. */
	struct stat sb;
	snprintf(path, sizeof path, "%s/shard-0.crl", f->out);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0664);
	wr_crl_list_free(l);
}

static void test_write_empty_and_rsa(void **state)
{
	struct fx *f = *state;
	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	X509 *ca = make_cert("Warroom Unit RSA CA", "03", rsa, NULL, NULL, NOW + 86400 * 365);
	struct wr_crl_list *l = wr_crl_list_new(1);
	struct wr_crl_stats st;
	char err[512] = "";

	assert_int_equal(mkdir(f->out, 0755), 0);
	struct wr_crl_params p = {
		.ca = ca,
		.key = rsa,
		.out_dir = f->out,
		.this_update = NOW,
		.next_update = NOW + 86400,
		.crl_number = 1,
	};
	/* No revocations yet: one valid, empty shard. One shard is a full
	 * CRL: no Issuing Distribution Point (BR 7.2.2.1), whatever scope. */
	assert_int_equal(wr_crl_write(&p, l, &st, err, sizeof err), 0);
	X509_CRL *crl = read_shard(f->out, 0);
	assert_int_equal(X509_CRL_verify(crl, rsa), 1);
	assert_int_equal(X509_CRL_get_signature_nid(crl), NID_sha256WithRSAEncryption);
	assert_null(X509_CRL_get_REVOKED(crl));
	int crit = -1;
	ISSUING_DIST_POINT *idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit,
						       NULL);
	assert_null(idp);
	assert_int_equal(crit, -1); /* not found */
	X509_CRL_free(crl);
	/* nextUpdate must follow thisUpdate. */
	p.next_update = NOW;
	assert_int_equal(wr_crl_write(&p, l, &st, err, sizeof err), WR_EINVAL);
	/* A directory that does not exist: an error naming it. */
	p.next_update = NOW + 86400;
	p.out_dir = "/nonexistent/wr-unit";
	assert_int_not_equal(wr_crl_write(&p, l, &st, err, sizeof err), 0);
	assert_non_null(strstr(err, "/nonexistent/wr-unit"));
	wr_crl_list_free(l);
	X509_free(ca);
	EVP_PKEY_free(rsa);
}

/* One thread builds every shard in turn, reusing the entries of the last
 * one: no reason, date or serial may leak from an entry's earlier life. */
static void test_reuse_across_shards(void **state)
{
	struct fx *f = *state;
	enum { N = 3000, SHARDS = 4 };
	static const int reasons[] = {1, WR_CRL_OMIT, 9, 4, WR_CRL_OMIT, 5, 3};
	struct wr_crl_list *l = wr_crl_list_new(SHARDS);
	struct wr_crl_stats st;
	char err[512] = "", s[64];
	int seen = 0;

	assert_int_equal(mkdir(f->out, 0755), 0);
	for (int i = 0; i < N; i++) {
		/* Serials of several lengths, so reused ones grow and shrink. */
		snprintf(s, sizeof s, "%0*X", 2 + 2 * (i % 9), i * 2654435761u);
		assert_int_equal(wr_crl_list_add(l, s, NOW - i, reasons[i % 7]), 0);
	}
	struct wr_crl_params p = {
		.ca = f->ca,
		.key = f->key,
		.out_dir = f->out,
		.this_update = NOW,
		.next_update = NOW + 7 * 86400,
		.crl_number = 7,
		.nthreads = 1,
	};
	assert_int_equal(wr_crl_write(&p, l, &st, err, sizeof err), 0);
	assert_int_equal(st.entries, N);
	X509_CRL *crl[SHARDS];
	for (int k = 0; k < SHARDS; k++) {
		assert_non_null(crl[k] = read_shard(f->out, k));
		seen += check_shard(f, crl[k], k, 7, NULL);
	}
	assert_int_equal(seen, N);
	for (int i = 0; i < N; i++) {
		snprintf(s, sizeof s, "%0*X", 2 + 2 * (i % 9), i * 2654435761u);
		const X509_REVOKED *r = find_entry(crl[wr_crl_shard_of(s, SHARDS)], s);
		assert_non_null(r);
		assert_int_equal(entry_reason(r), reasons[i % 7]);
		assert_int_equal(X509_REVOKED_get_ext_count(r), reasons[i % 7] == WR_CRL_OMIT ? 0 : 1);
		assert_int_equal(ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(r), NOW - i), 0);
	}
	for (int k = 0; k < SHARDS; k++)
		X509_CRL_free(crl[k]);
	wr_crl_list_free(l);
}

/* ---- the local backend ----------------------------------------------------------- */

static unsigned char *der_of(X509 *x, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	assert_true(n > 0);
	*len = (size_t)n;
	return der;
}

static void item(struct wr_rv_item *it, const char *serial, int reason)
{
	memset(it, 0, sizeof *it);
	snprintf(it->serial, sizeof it->serial, "%s", serial);
	it->crl_reason = reason;
}

static void test_local_revoke_idempotent(void **state)
{
	struct fx *f = *state;
	struct wr_backend *b = NULL;
	struct wr_rv_item it[4];
	char err[512] = "";

	EVP_PKEY *leaf_key = EVP_EC_gen("P-256");
	X509 *mine = make_cert("leaf.example", "1A2B", leaf_key, f->ca, f->key, NOW + 86400);
	X509 *foreign = make_cert("other.example", "3C4D", leaf_key, f->other_ca, f->other_key,
				  NOW + 86400);
	size_t mine_len, foreign_len;
	unsigned char *mine_der = der_of(mine, &mine_len), *foreign_der = der_of(foreign, &foreign_len);

	/* A precertificate and its certificate: the incident holds these
	 * serials twice, so one run may bring each twice. */
	for (int i = 0; i < 2; i++) {
		add_cert_row(f->db, "1A2B", CA_NAME, "CN=leaf.example", NOW + 86400);
		add_cert_row(f->db, "0BEEF0", CA_NAME, "CN=beef.example", NOW + 86400);
	}
	assert_int_equal(wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err), 0);
	assert_non_null(b);
	setenv("WARROOM_NOW", "2026-11-25T07:00:00Z", 1);
	item(&it[0], "1A2B", 9);
	it[0].der = mine_der;
	it[0].der_len = mine_len;
	item(&it[1], "0BEEF0", WR_CRL_OMIT);
	item(&it[2], "3C4D", 1);
	it[2].der = foreign_der;
	it[2].der_len = foreign_len;
	item(&it[3], "0C0C", 6); /* certificateHold: never */
	assert_int_equal(wr_backend_local.revoke(b, it, 4, err, sizeof err), 0);
	assert_int_equal(it[0].status, WR_RV_REVOKED);
	assert_int_equal(it[1].status, WR_RV_REVOKED);
	int64_t first;
	assert_int_equal(wr_time_parse("2026-11-25T07:00:00Z", &first), 0);
	assert_int_equal(it[0].revoked_at, first);
	assert_int_equal(it[2].status, WR_RV_FAILED);
	assert_non_null(strstr(it[2].error, "not issued by this CA"));
	assert_int_equal(it[3].status, WR_RV_FAILED);
	assert_non_null(strstr(it[3].error, "certificateHold"));

	/* Again, later, in the same run: already revoked, with the first
	 * date. */
	setenv("WARROOM_NOW", "2026-11-25T09:00:00Z", 1);
	item(&it[0], "1A2B", 9);
	item(&it[1], "BEEF0", WR_CRL_OMIT); /* the same serial, written differently */
	assert_int_equal(wr_backend_local.revoke(b, it, 2, err, sizeof err), 0);
	assert_int_equal(it[0].status, WR_RV_ALREADY);
	assert_int_equal(it[0].revoked_at, first);
	assert_int_equal(it[1].status, WR_RV_ALREADY);
	assert_int_equal(it[1].revoked_at, first);
	wr_backend_local.close(b);

	/* A second handle (another run) sees the same record. */
	assert_int_equal(wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err), 0);
	item(&it[0], "1A2B", 9);
	assert_int_equal(wr_backend_local.revoke(b, it, 1, err, sizeof err), 0);
	assert_int_equal(it[0].status, WR_RV_ALREADY);
	wr_backend_local.close(b);

	OPENSSL_free(mine_der);
	OPENSSL_free(foreign_der);
	X509_free(mine);
	X509_free(foreign);
	EVP_PKEY_free(leaf_key);
}

/* Two processes revoke overlapping batches at once: both succeed, every
 * serial is recorded once, and each is REVOKED for exactly one of them. */
static void test_local_revoke_concurrent(void **state)
{
	struct fx *f = *state;
	enum { N = 200 };
	char err[512] = "";
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	int revoked = 0;
	/* Both sides open their own handle after the fork. */
	struct wr_backend *b = NULL;
	int rc = wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err);
	if (rc == 0) {
		for (int round = 0; round < 4 && rc == 0; round++) {
			struct wr_rv_item it[N / 4];
			for (int i = 0; i < N / 4; i++) {
				char s[16];
				snprintf(s, sizeof s, "%04X", round * (N / 4) + i + 1);
				item(&it[i], s, 4);
			}
			rc = wr_backend_local.revoke(b, it, N / 4, err, sizeof err);
			for (int i = 0; i < N / 4 && rc == 0; i++) {
				if (it[i].status == WR_RV_REVOKED)
					revoked++;
				else if (it[i].status != WR_RV_ALREADY)
					rc = -1;
			}
		}
		wr_backend_local.close(b);
	}
	if (pid == 0) {
		int msg[2] = {rc, revoked};
		_exit(write(fds[1], msg, sizeof msg) == sizeof msg ? 0 : 1);
	}
	int msg[2] = {-1, 0}, status = 0;
	assert_int_equal(read(fds[0], msg, sizeof msg), (ssize_t)sizeof msg);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(fds[0]);
	close(fds[1]);
	if (rc)
		fprintf(stderr, "parent: %s\n", err);
	assert_int_equal(rc, 0);
	assert_int_equal(msg[0], 0);
	assert_int_equal(revoked + msg[1], N);
}

static void test_local_publish(void **state)
{
	struct fx *f = *state;
	struct wr_backend *b = NULL;
	struct wr_rv_item it[4];
	struct wr_crl_stats st;
	char err[512] = "", path[256];

	/* Seven certificates of this CA in the incident (shard_entries 3: 3
	 * shards), one of another CA, which stays out of index.txt. */
	add_cert_row(f->db, "1A2B", CA_NAME, "CN=a.example,O=Shop\\, Inc.,C=US", NOW + 86400);
	add_cert_row(f->db, "0BEEF0", CA_NAME, "CN=b.example", NOW + 86400);
	add_cert_row(f->db, "0C", CA_NAME, "CN=c.example", NOW + 86400);
	add_cert_row(f->db, "0D", CA_NAME, "CN=d.example", NOW + 86400);
	add_cert_row(f->db, "0E", CA_NAME, "CN=e.example", NOW - 10); /* expired */
	add_cert_row(f->db, "0F", CA_NAME, "", NOW + 86400);
	add_cert_row(f->db, "0F", CA_NAME, "CN=f-precert.example", NOW + 86400); /* same serial */
	add_cert_row(f->db, "99", "CN=Someone Else CA,O=Warroom Tests,C=US", "CN=x.example",
		     NOW + 86400);

	assert_int_equal(wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err), 0);
	setenv("WARROOM_NOW", "2026-11-25T05:00:00Z", 1);
	item(&it[0], "1A2B", 9);
	item(&it[1], "0BEEF0", WR_CRL_OMIT);
	item(&it[2], "0C", 1);
	item(&it[3], "0D", 4);
	assert_int_equal(wr_backend_local.revoke(b, it, 4, err, sizeof err), 0);
	assert_int_equal(wr_backend_local.publish(b, NOW, err, sizeof err), 0);
	wr_backend_local.close(b);

	/* index.txt, as `openssl ocsp -index` reads it. */
	size_t len;
	snprintf(path, sizeof path, "%s/index.txt", f->out);
	char *idx = (char *)slurp(path, &len);
	assert_non_null(idx);
	assert_non_null(strstr(idx, "R\t261126060000Z\t261125050000Z\t1A2B\tunknown\t"
				    "/C=US/O=Shop, Inc./CN=a.example\n"));
	assert_non_null(strstr(idx, "R\t261126060000Z\t261125050000Z\t0BEEF0\tunknown\t/CN=b.example\n"));
	assert_non_null(strstr(idx, "R\t261126060000Z\t261125050000Z,keyCompromise\t0C\t"));
	assert_non_null(strstr(idx, "R\t261126060000Z\t261125050000Z,superseded\t0D\t"));
	/* Expired, not revoked: V still, so that `openssl ocsp -index`
	 * answers "good" rather than no status at all (E). */
	assert_non_null(strstr(idx, "V\t261125055950Z\t\t0E\tunknown\t/CN=e.example\n"));
	assert_non_null(strstr(idx, "V\t261126060000Z\t\t0F\tunknown\t0F\n"));
	assert_null(strstr(idx, "f-precert"));
	assert_null(strstr(idx, "\t99\t"));
	int lines = 0;
	for (char *p = idx; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 6);
	free(idx);
	snprintf(path, sizeof path, "%s/index.txt.attr", f->out);
	char *attr = (char *)slurp(path, &len);
	assert_string_equal(attr, "unique_subject = no\n");
	free(attr);

	/* Seven certificates issued, shard_entries 3: three shards. */
	for (int k = 0; k < 3; k++) {
		X509_CRL *crl = read_shard(f->out, k);
		assert_non_null(crl);
		check_shard(f, crl, k, 1, "http://127.0.0.1/crl/");
		X509_CRL_free(crl);
	}
	X509_CRL *crl = read_shard(f->out, wr_crl_shard_of("1A2B", 3));
	assert_int_equal(entry_reason(find_entry(crl, "1A2B")), 9);
	X509_CRL_free(crl);
	crl = read_shard(f->out, wr_crl_shard_of("BEEF0", 3));
	assert_int_equal(entry_reason(find_entry(crl, "BEEF0")), WR_CRL_OMIT);
	X509_CRL_free(crl);

	/* Reissued through wr_crl_publish (warroom crl): the number grows. */
	assert_int_equal(wr_crl_publish(f->db, f->cfg, NULL, NOW, &st), 0);
	assert_int_equal(st.shards, 3);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.issued, 7);
	assert_int_equal(st.index_lines, 6);
	assert_int_equal(st.crl_number, 2);
	crl = read_shard(f->out, 0);
	check_shard(f, crl, 0, 2, "http://127.0.0.1/crl/");
	X509_CRL_free(crl);

	/* --out elsewhere: files there, the CA's record where it was. */
	char other[160];
	snprintf(other, sizeof other, "%s/elsewhere/deep", f->dir);
	assert_int_equal(wr_crl_publish(f->db, f->cfg, other, NOW, &st), 0);
	assert_int_equal(st.crl_number, 3);
	assert_int_equal(st.entries, 4);
	snprintf(path, sizeof path, "%s/crls.txt", other);
	assert_int_equal(access(path, R_OK), 0);
	snprintf(path, sizeof path, "%s/localca.db", other);
	assert_int_equal(access(path, F_OK), -1);

	/* The CRLs alone (benchmarks): no index.txt, and the CA's shard
	 * count, fixed at its first publication, whatever number is given. */
	char only[160];
	snprintf(only, sizeof only, "%s/only", f->dir);
	assert_int_equal(wr_crl_publish_crls(f->cfg, only, 10, NOW, &st, err, sizeof err), 0);
	assert_int_equal(st.shards, 3);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.index_lines, 0);
	snprintf(path, sizeof path, "%s/index.txt", only);
	assert_int_equal(access(path, F_OK), -1);
	crl = read_shard(only, 2);
	assert_non_null(crl);
	check_shard(f, crl, 2, 4, "http://127.0.0.1/crl/");
	X509_CRL_free(crl);
	assert_null(read_shard(only, 3));
	assert_int_equal(wr_crl_publish_crls(f->cfg, only, 0, NOW, &st, err, sizeof err), WR_EINVAL);
}

static void test_local_settings(void **state)
{
	struct fx *f = *state;
	struct wr_backend *b = NULL;
	char err[512];

	write_conf(f, "crl_days = 11\n");
	assert_int_equal(wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err), WR_EINVAL);
	assert_non_null(strstr(err, "crl_days"));
	assert_non_null(strstr(err, "4.9.7"));

	write_conf(f, "crl_days = 10\nshard_entries = 0\n");
	assert_int_equal(wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err), WR_EINVAL);
	assert_non_null(strstr(err, "shard_entries"));

	/* The key of another CA. */
	write_file(f->conf, "[local]\nca_cert = ca.pem\nca_key = other.key\nout_dir = pub\n");
	wr_config_free(f->cfg);
	assert_int_equal(wr_config_load(f->conf, &f->cfg, err, sizeof err), 0);
	assert_int_equal(wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err), WR_EINVAL);
	assert_non_null(strstr(err, "does not match"));
	assert_non_null(strstr(err, "other.key"));

	/* A file that is not there: the setting and the path named. */
	write_file(f->conf, "[local]\nca_cert = missing.pem\nca_key = ca.key\nout_dir = pub\n");
	wr_config_free(f->cfg);
	assert_int_equal(wr_config_load(f->conf, &f->cfg, err, sizeof err), 0);
	assert_int_equal(wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err), WR_EINVAL);
	assert_non_null(strstr(err, "[local] ca_cert"));
	assert_non_null(strstr(err, "missing.pem"));

	/* Not a certificate at all. */
	write_file(f->conf, "[local]\nca_cert = ca.key\nca_key = ca.key\nout_dir = pub\n");
	wr_config_free(f->cfg);
	assert_int_equal(wr_config_load(f->conf, &f->cfg, err, sizeof err), 0);
	assert_int_equal(wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err), WR_EINVAL);
	assert_non_null(strstr(err, "not a PEM or DER certificate"));

	/* A setting missing; and the message reaches the db handle through
	 * wr_crl_publish. */
	write_file(f->conf, "[local]\nca_cert = ca.pem\nout_dir = pub\n");
	wr_config_free(f->cfg);
	assert_int_equal(wr_config_load(f->conf, &f->cfg, err, sizeof err), 0);
	assert_int_equal(wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err), WR_EINVAL);
	assert_non_null(strstr(err, "[local] ca_key is not set"));
	struct wr_crl_stats st;
	assert_int_equal(wr_crl_publish(f->db, f->cfg, NULL, NOW, &st), WR_EINVAL);
	assert_non_null(strstr(wr_db_errmsg(f->db), "[local] ca_key is not set"));
	assert_null(b);
}

/* The CA key decides, not the issuer's name: a certificate that copies
 * the CA's name but another key signed is refused, and so is one the key
 * signed under another name, or a DER whose serial is not the item's.
 * Bytes that are no certificate at all (benchmark placeholders) leave the
 * serial alone to count, as no DER does. */
static void test_local_revoke_signature(void **state)
{
	struct fx *f = *state;
	struct wr_backend *b = NULL;
	struct wr_rv_item it[5];
	struct wr_cert_info ci;
	char err[512] = "", path[256];
	static const unsigned char placeholder[] = {0x30, 0x00};

	EVP_PKEY *leaf_key = EVP_EC_gen("P-256");
	X509 *forged = make_cert("forged.example", "5E5E", leaf_key, f->ca, f->other_key,
				 NOW + 86400);
	X509 *renamed_ca = make_cert("Renamed CA", "03", f->key, NULL, NULL, NOW + 86400);
	X509 *renamed = make_cert("renamed.example", "6F6F", leaf_key, renamed_ca, f->key,
				  NOW + 86400);
	X509 *mine = make_cert("mine.example", "7A7A", leaf_key, f->ca, f->key, NOW + 86400);
	size_t forged_len, renamed_len, mine_len;
	unsigned char *forged_der = der_of(forged, &forged_len);
	unsigned char *renamed_der = der_of(renamed, &renamed_len);
	unsigned char *mine_der = der_of(mine, &mine_len);

	/* As the incident has it, the forged one names this very CA. */
	assert_int_equal(wr_cert_parse(forged_der, forged_len, &ci, NULL), 0);
	assert_string_equal(ci.issuer, CA_NAME);
	wr_cert_info_clear(&ci);

	assert_int_equal(wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err), 0);
	item(&it[0], "5E5E", 1);
	it[0].der = forged_der;
	it[0].der_len = forged_len;
	item(&it[1], "6F6F", 1);
	it[1].der = renamed_der;
	it[1].der_len = renamed_len;
	item(&it[2], "7A7B", 1); /* mine's DER, another serial */
	it[2].der = mine_der;
	it[2].der_len = mine_len;
	item(&it[3], "7A7A", 1);
	it[3].der = mine_der;
	it[3].der_len = mine_len;
	item(&it[4], "0808", 1);
	it[4].der = placeholder;
	it[4].der_len = sizeof placeholder;
	assert_int_equal(wr_backend_local.revoke(b, it, 5, err, sizeof err), 0);
	assert_int_equal(it[0].status, WR_RV_FAILED);
	assert_non_null(strstr(it[0].error, "not issued by this CA: its signature does not verify"
					    " with the CA key"));
	assert_int_equal(it[1].status, WR_RV_FAILED);
	assert_non_null(strstr(it[1].error, "not issued by this CA"));
	assert_non_null(strstr(it[1].error, "Renamed CA"));
	assert_int_equal(it[2].status, WR_RV_FAILED);
	assert_non_null(strstr(it[2].error, "7A7B"));
	assert_int_equal(it[3].status, WR_RV_REVOKED);
	assert_int_equal(it[4].status, WR_RV_REVOKED);
	wr_backend_local.close(b);

	/* The CA's record holds the two it revoked, none of the others. */
	sqlite3 *sq;
	sqlite3_stmt *st;
	snprintf(path, sizeof path, "%s/localca.db", f->out);
	assert_int_equal(sqlite3_open_v2(path, &sq, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(sq, "SELECT group_concat(serial) FROM"
						" (SELECT serial FROM revoked ORDER BY serial)",
					    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "0808,7A7A");
	sqlite3_finalize(st);
	sqlite3_close(sq);

	OPENSSL_free(forged_der);
	OPENSSL_free(renamed_der);
	OPENSSL_free(mine_der);
	X509_free(forged);
	X509_free(renamed);
	X509_free(renamed_ca);
	X509_free(mine);
	EVP_PKEY_free(leaf_key);
}

/* A batch large enough to be checked on several threads: each item
 * gets its own verdict. */
static void test_local_revoke_many(void **state)
{
	struct fx *f = *state;
	enum { N = 300 };
	struct wr_backend *b = NULL;
	struct wr_rv_item *it = calloc(N, sizeof *it);
	unsigned char *der[N];
	char err[512] = "", serial[16];

	EVP_PKEY *leaf_key = EVP_EC_gen("P-256");
	assert_non_null(it);
	for (int i = 0; i < N; i++) {
		size_t len;
		snprintf(serial, sizeof serial, "%04X", 0x1000 + i);
		/* Every third one forged: the CA's name, another key. */
		X509 *x = make_cert("many.example", serial, leaf_key, f->ca,
				    i % 3 == 1 ? f->other_key : f->key, NOW + 86400);
		der[i] = der_of(x, &len);
		X509_free(x);
		item(&it[i], serial, 4);
		it[i].der = der[i];
		it[i].der_len = len;
	}
	assert_int_equal(wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err), 0);
	assert_int_equal(wr_backend_local.revoke(b, it, N, err, sizeof err), 0);
	for (int i = 0; i < N; i++) {
		if (i % 3 == 1) {
			assert_int_equal(it[i].status, WR_RV_FAILED);
			assert_non_null(strstr(it[i].error, "does not verify with the CA key"));
		} else {
			assert_int_equal(it[i].status, WR_RV_REVOKED);
		}
		OPENSSL_free(der[i]);
	}
	wr_backend_local.close(b);
	free(it);
	EVP_PKEY_free(leaf_key);
}

/* The key is a secret: refused when others may read it; its group may
 * (a team shares the CA key through its group). */
static void test_local_key_mode(void **state)
{
	struct fx *f = *state;
	struct wr_backend *b = NULL;
	char err[512] = "", key[160];

	snprintf(key, sizeof key, "%s/ca.key", f->dir);
	assert_int_equal(chmod(key, 0644), 0);
	assert_int_equal(wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err), WR_EINVAL);
	assert_null(b);
	assert_non_null(strstr(err, "[local] ca_key"));
	assert_non_null(strstr(err, "others can read it"));
	assert_int_equal(chmod(key, 0640), 0);
	assert_int_equal(wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err), 0);
	wr_backend_local.close(b);
}

static mode_t mode_of(const char *dir, const char *name)
{
	char path[320];
	struct stat sb;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(lstat(path, &sb), 0);
	return sb.st_mode & 07777;
}

/* Several OS users of one group, each with umask 022: whatever warroom
 * makes in out_dir is theirs to write, and directories it makes pass
 * their group on (setgid). */
static void test_local_group_writable(void **state)
{
	struct fx *f = *state;
	struct wr_backend *b = NULL;
	struct wr_rv_item it[1];
	char err[512] = "", deep[160];
	mode_t old = umask(022);

	assert_int_equal(wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err), 0);
	assert_int_equal(mode_of(f->dir, "pub"), 02775);
	assert_int_equal(mode_of(f->out, "localca.db"), 0664);
	item(&it[0], "0A", 4);
	assert_int_equal(wr_backend_local.revoke(b, it, 1, err, sizeof err), 0);
	assert_int_equal(wr_backend_local.publish(b, NOW, err, sizeof err), 0);
	wr_backend_local.close(b);
	assert_int_equal(mode_of(f->out, ".publish.lock"), 0664);
	static const char *const files[] = {"index.txt", "index.txt.attr", "crls.txt",
					    "shard-0.crl", "shard-0.pem"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		assert_int_equal(mode_of(f->out, files[i]), 0664);
	/* The lock names no holder once released. */
	char path[256];
	struct stat sb;
	snprintf(path, sizeof path, "%s/.publish.lock", f->out);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 0);

	/* --out, several levels down: each directory made is 02775. */
	snprintf(deep, sizeof deep, "%s/a/b", f->dir);
	struct wr_crl_stats st;
	assert_int_equal(wr_crl_publish(f->db, f->cfg, deep, NOW, &st), 0);
	assert_int_equal(mode_of(f->dir, "a"), 02775);
	assert_int_equal(mode_of(f->dir, "a/b"), 02775);
	assert_int_equal(mode_of(deep, "crls.txt"), 0664);
	umask(old);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A lock held elsewhere: waited for lock_timeout seconds, then an error
 * naming the holder the file records (escaped: the group can write it). */
static void test_local_lock_timeout(void **state)
{
	struct fx *f = *state;
	struct wr_crl_stats st;
	char path[256], want[512];

	write_conf(f, "lock_timeout = 1\n");
	assert_int_equal(mkdir(f->out, 0775), 0);
	snprintf(path, sizeof path, "%s/.publish.lock", f->out);
	int fd = open(path, O_RDWR | O_CREAT, 0664);
	assert_true(fd >= 0);
	static const char who[] = "alice (pid 1234 on ca-host, since 2026-11-25T07:53:34Z)\n";
	assert_int_equal(write(fd, who, sizeof who - 1), (ssize_t)(sizeof who - 1));
	assert_int_equal(flock(fd, LOCK_EX), 0);

	double t0 = now_s();
	assert_int_not_equal(wr_crl_publish(f->db, f->cfg, NULL, NOW, &st), 0);
	double waited = now_s() - t0;
	assert_true(waited >= 0.9 && waited < 5);
	snprintf(want, sizeof want, "%s is held by alice (pid 1234 on ca-host, since "
				    "2026-11-25T07:53:34Z): waited 1 s", path);
	assert_string_equal(wr_db_errmsg(f->db), want);

	/* A holder line written to fool the terminal comes out escaped. */
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(pwrite(fd, "mallory\x1b[2J\n", 12, 0), 12);
	write_conf(f, "lock_timeout = 0\n");
	t0 = now_s();
	assert_int_not_equal(wr_crl_publish(f->db, f->cfg, NULL, NOW, &st), 0);
	assert_true(now_s() - t0 < 1);
	assert_null(strchr(wr_db_errmsg(f->db), '\x1b'));
	assert_non_null(strstr(wr_db_errmsg(f->db), "held by mallory"));

	/* Released: the next publication goes through. */
	assert_int_equal(flock(fd, LOCK_UN), 0);
	close(fd);
	assert_int_equal(wr_crl_publish(f->db, f->cfg, NULL, NOW, &st), 0);
}

static void write_victim(const char *path)
{
	write_file(path, "precious\n");
	assert_int_equal(chmod(path, 0600), 0);
}

static void victim_intact(const char *path)
{
	size_t len;
	char *v = (char *)slurp(path, &len);
	assert_non_null(v);
	assert_string_equal(v, "precious\n");
	free(v);
	struct stat sb;
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
}

/* Symbolic links planted in out_dir, where anyone of the group can
 * write: refused by name, never followed. */
static void test_local_links_refused(void **state)
{
	struct fx *f = *state;
	struct wr_backend *b = NULL;
	struct wr_crl_stats st;
	char err[512] = "", victim[160], link[256], want[400], nowhere[160];

	snprintf(victim, sizeof victim, "%s/victim", f->dir);
	write_victim(victim);
	assert_int_equal(mkdir(f->out, 0775), 0);

	snprintf(link, sizeof link, "%s/.publish.lock", f->out);
	assert_int_equal(symlink(victim, link), 0);
	assert_int_not_equal(wr_crl_publish(f->db, f->cfg, NULL, NOW, &st), 0);
	snprintf(want, sizeof want, "%s is a symbolic link: refusing to follow it", link);
	assert_non_null(strstr(wr_db_errmsg(f->db), want));
	victim_intact(victim);
	assert_int_equal(unlink(link), 0);

	/* The record the first attempt made, replaced by a link. */
	snprintf(link, sizeof link, "%s/localca.db", f->out);
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink(victim, link), 0);
	assert_int_equal(wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err), WR_EPERM);
	snprintf(want, sizeof want, "%s is a symbolic link: refusing to follow it", link);
	assert_non_null(strstr(err, want));
	victim_intact(victim);
	assert_int_equal(unlink(link), 0);

	/* So are SQLite's own files beside the record. */
	char side[280];
	snprintf(side, sizeof side, "%s/localca.db-wal", f->out);
	/* The WAL stays after close (no checkpoint there): a member of the
	 * group may still remove it and plant a link instead. */
	(void)unlink(side);
	assert_int_equal(symlink(victim, side), 0);
	assert_int_equal(wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err), WR_EPERM);
	snprintf(want, sizeof want, "%s is a symbolic link: refusing to follow it", side);
	assert_non_null(strstr(err, want));
	victim_intact(victim);
	assert_int_equal(unlink(side), 0);
	snprintf(link, sizeof link, "%s/localca.db", f->out);
	assert_int_equal(unlink(link), 0);

	/* A dangling link would have the file made where it points. */
	snprintf(nowhere, sizeof nowhere, "%s/made-through-a-link", f->dir);
	assert_int_equal(symlink(nowhere, link), 0);
	assert_int_equal(wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err), WR_EPERM);
	assert_int_equal(access(nowhere, F_OK), -1);
	assert_int_equal(unlink(link), 0);
	snprintf(link, sizeof link, "%s/.publish.lock", f->out);
	assert_int_equal(symlink(nowhere, link), 0);
	assert_int_not_equal(wr_crl_publish(f->db, f->cfg, NULL, NOW, &st), 0);
	assert_int_equal(access(nowhere, F_OK), -1);
	assert_null(b);
}

/* Entries placed on a given CRL: shards past the modulus, the ARL. */
static void test_list_placed(void **state)
{
	(void)state;
	struct wr_crl_list *l = wr_crl_list_new(2), *m = wr_crl_list_new(2), *o = wr_crl_list_new(3);
	int64_t at;
	int reason;

	assert_null(wr_crl_list_new(WR_CRL_MAX_SHARDS + 1));
	assert_int_equal(wr_crl_list_add(l, "0A", 1, 1), 0);		 /* shard 0 */
	assert_int_equal(wr_crl_list_add_to(l, "0B", 2, 4, 4), 0);	 /* kept on shard 4 */
	assert_int_equal(wr_crl_list_shards(l), 5);
	assert_int_equal(wr_crl_list_add_to(l, "0C", 3, 2, WR_CRL_ARL), 0); /* a CA certificate */
	assert_int_equal(wr_crl_list_add_to(l, "0D", 4, 1, -2), WR_EINVAL);
	assert_int_equal(wr_crl_list_add_to(l, "0D", 4, 1, WR_CRL_MAX_SHARDS), WR_EINVAL);
	assert_int_equal(wr_crl_list_shards(l), 5);
	assert_int_equal(wr_crl_list_count(l), 3);
	assert_int_equal(wr_crl_list_sort(l), 0);
	/* Found wherever they sit, with the table and without. */
	for (int pass = 0; pass < 2; pass++) {
		assert_true(wr_crl_list_find(l, "0A", &at, &reason));
		assert_int_equal(at, 1);
		assert_true(wr_crl_list_find(l, "0B", &at, &reason));
		assert_int_equal(at, 2);
		assert_int_equal(reason, 4);
		assert_true(wr_crl_list_find(l, "0C", &at, &reason));
		assert_int_equal(reason, 2);
		assert_false(wr_crl_list_find(l, "0D", NULL, NULL));
		const char *q[] = {"0C", "0D", "0B", "0A"};
		bool found[4];
		int64_t ats[4];
		int rs[4];
		wr_crl_list_find_batch(l, q, 4, found, ats, rs);
		assert_true(found[0] && !found[1] && found[2] && found[3]);
		assert_int_equal(ats[2], 2);
		assert_int_equal(wr_crl_list_index(l), 0);
	}
	/* A merge grows the destination to the source's shards. */
	assert_int_equal(wr_crl_list_add_to(m, "1B", 5, 4, 6), 0);
	assert_int_equal(wr_crl_list_add_to(m, "1C", 6, 4, WR_CRL_ARL), 0);
	assert_int_equal(wr_crl_list_merge(l, m), 0);
	assert_int_equal(wr_crl_list_shards(l), 7);
	assert_int_equal(wr_crl_list_count(l), 5);
	assert_int_equal(wr_crl_list_count(m), 0);
	assert_int_equal(wr_crl_list_sort(l), 0);
	assert_true(wr_crl_list_find(l, "1B", &at, NULL));
	assert_int_equal(at, 5);
	assert_true(wr_crl_list_find(l, "1C", &at, NULL));
	/* Not another modulus. */
	assert_int_equal(wr_crl_list_merge(l, o), WR_EINVAL);
	wr_crl_list_free(l);
	wr_crl_list_free(m);
	wr_crl_list_free(o);
}

static void test_url_file(void **state)
{
	(void)state;
	char name[64];

	assert_int_equal(wr_crl_url_file("http://h/crl/", name, sizeof name), 0);
	assert_string_equal(name, "");
	assert_int_equal(wr_crl_url_file("http://h/crl", name, sizeof name), 0);
	assert_int_equal(wr_crl_url_file("http://h/ca/full.crl", name, sizeof name), 1);
	assert_string_equal(name, "full.crl");
	assert_int_equal(wr_crl_url_file("http://h/Issuing-CA_1.CRL?x=1", name, sizeof name), 1);
	assert_string_equal(name, "Issuing-CA_1.CRL");
	assert_int_equal(wr_crl_url_file("http://h/.crl", name, sizeof name), -1);
	assert_int_equal(wr_crl_url_file("http://h/a%20b.crl", name, sizeof name), -1);
	assert_int_equal(wr_crl_url_file("http://h/full.crl", name, 4), -1);
}

static int64_t count_lines(const char *text, const char *prefix)
{
	int64_t n = 0;
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		n += strncmp(p, prefix, strlen(prefix)) == 0;
	return n;
}

/* The IDP of a CRL: its URL into url (empty: none), -1 when it has none. */
static int idp_of(X509_CRL *crl, bool *only_user, bool *only_ca, char *url, size_t urlsz)
{
	int crit = -1;
	ISSUING_DIST_POINT *idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit,
						       NULL);
	url[0] = '\0';
	if (!idp)
		return -1;
	*only_user = idp->onlyuser;
	*only_ca = idp->onlyCA;
	if (idp->distpoint) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(idp->distpoint->name.fullname, 0);
		snprintf(url, urlsz, "%s",
			 (const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier));
	}
	ISSUING_DIST_POINT_free(idp);
	return crit;
}

static X509_CRL *read_crl_file(const char *dir, const char *name)
{
	char path[256];
	size_t len;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	unsigned char *der = slurp(path, &len);
	if (!der)
		return NULL;
	const unsigned char *p = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
	free(der);
	return crl;
}

/* The ARL: CA certificates, its own URL, onlyContainsCACerts; with one
 * shard, a full CRL without IDP that carries the ARL's entries too; a
 * URL naming one CRL names the file. */
static void test_write_arl_and_full(void **state)
{
	struct fx *f = *state;
	struct wr_crl_stats st;
	char err[512] = "", url[256], path[256];
	bool user = false, ca = false;

	assert_int_equal(mkdir(f->out, 0755), 0);
	struct wr_crl_list *l = wr_crl_list_new(3);
	assert_int_equal(wr_crl_list_add(l, "0A", NOW - 9, 1), 0);
	assert_int_equal(wr_crl_list_add(l, "0B", NOW - 9, 1), 0);
	assert_int_equal(wr_crl_list_add_to(l, "0C", NOW - 8, 2, WR_CRL_ARL), 0);
	struct wr_crl_params p = {
		.ca = f->ca,
		.key = f->key,
		.out_dir = f->out,
		.crl_url = "http://127.0.0.1/crl",
		.this_update = NOW,
		.next_update = NOW + 7 * 86400,
		.crl_number = 5,
		.nthreads = 2,
	};
	assert_int_equal(wr_crl_write(&p, l, &st, err, sizeof err), 0);
	assert_int_equal(st.shards, 3);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.ca_entries, 1);
	assert_string_equal(st.full_file, "");
	X509_CRL *arl = read_crl_file(f->out, "arl.crl");
	assert_non_null(arl);
	assert_int_equal(X509_CRL_verify(arl, f->key), 1);
	assert_int_equal(idp_of(arl, &user, &ca, url, sizeof url), 1);
	assert_false(user);
	assert_true(ca);
	assert_string_equal(url, "http://127.0.0.1/crl/arl.crl");
	assert_non_null(find_entry(arl, "0C"));
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(arl)), 1);
	X509_CRL_free(arl);
	for (int k = 0; k < 3; k++) {
		X509_CRL *crl = read_shard(f->out, k);
		check_shard(f, crl, k, 5, "http://127.0.0.1/crl/");
		assert_null(find_entry(crl, "0C"));
		X509_CRL_free(crl);
	}
	wr_crl_list_free(l);

	/* One shard: a full CRL, the ARL's entries merged in serial order. */
	l = wr_crl_list_new(1);
	assert_int_equal(wr_crl_list_add(l, "0B", NOW - 9, 1), 0);
	assert_int_equal(wr_crl_list_add(l, "0D", NOW - 9, WR_CRL_OMIT), 0);
	assert_int_equal(wr_crl_list_add_to(l, "0C", NOW - 8, 2, WR_CRL_ARL), 0);
	assert_int_equal(wr_crl_list_add_to(l, "0A", NOW - 8, 2, WR_CRL_ARL), 0);
	assert_int_equal(wr_crl_write(&p, l, &st, err, sizeof err), 0);
	assert_int_equal(st.shards, 1);
	assert_string_equal(st.full_file, "shard-0.crl");
	X509_CRL *full = read_shard(f->out, 0);
	assert_int_equal(X509_CRL_verify(full, f->key), 1);
	assert_int_equal(idp_of(full, &user, &ca, url, sizeof url), -1);
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(full);
	assert_int_equal(sk_X509_REVOKED_num(revs), 4);
	static const long want[] = {0x0A, 0x0B, 0x0C, 0x0D};
	for (int i = 0; i < 4; i++)
		assert_int_equal(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(
					 sk_X509_REVOKED_value(revs, i))), want[i]);
	assert_int_equal(entry_reason(find_entry(full, "0C")), 2);
	X509_CRL_free(full);
	/* The shards of the larger count are gone. */
	assert_null(read_shard(f->out, 1));
	wr_crl_list_free(l);

	/* A URL naming one CRL: that file, and the ARL beside it. */
	char single[160];
	snprintf(single, sizeof single, "%s/single", f->dir);
	assert_int_equal(mkdir(single, 0755), 0);
	p.out_dir = single;
	p.crl_url = "http://127.0.0.1/pki/full.crl";
	l = wr_crl_list_new(1);
	assert_int_equal(wr_crl_list_add(l, "0B", NOW - 9, 1), 0);
	assert_int_equal(wr_crl_write(&p, l, &st, err, sizeof err), 0);
	assert_string_equal(st.full_file, "full.crl");
	size_t len;
	snprintf(path, sizeof path, "%s/crls.txt", single);
	char *list = (char *)slurp(path, &len);
	assert_string_equal(list, "full.crl\narl.crl\n");
	free(list);
	full = read_crl_file(single, "full.crl");
	assert_non_null(full);
	assert_int_equal(idp_of(full, &user, &ca, url, sizeof url), -1);
	assert_non_null(find_entry(full, "0B"));
	X509_CRL_free(full);
	snprintf(path, sizeof path, "%s/full.pem", single);
	assert_int_equal(access(path, R_OK), 0);
	arl = read_crl_file(single, "arl.crl");
	assert_int_equal(idp_of(arl, &user, &ca, url, sizeof url), 1);
	assert_string_equal(url, "http://127.0.0.1/pki/arl.crl");
	X509_CRL_free(arl);
	assert_null(read_shard(single, 0));
	wr_crl_list_free(l);
	/* ... which cannot take several shards. */
	l = wr_crl_list_new(2);
	assert_int_equal(wr_crl_write(&p, l, &st, err, sizeof err), WR_EINVAL);
	assert_non_null(strstr(err, "names one CRL"));
	wr_crl_list_free(l);
}

/* The shard count is the CA's: fixed at the first publication, kept when
 * more certificates come, a config asking for another refused until a
 * re-shard, which pins what was published. */
static void test_local_shards_fixed(void **state)
{
	struct fx *f = *state;
	struct wr_backend *b = NULL;
	struct wr_rv_item it[4];
	struct wr_crl_stats st;
	char err[1024] = "", s[16];

	/* Before any certificate: one CRL, and no count fixed yet. */
	assert_int_equal(wr_crl_publish(f->db, f->cfg, NULL, NOW, &st), 0);
	assert_int_equal(st.shards, 1);
	/* 7 certificates, shard_entries 3: 3 shards. */
	for (int i = 1; i <= 7; i++) {
		snprintf(s, sizeof s, "%02X", 0x10 + i);
		add_cert_row(f->db, s, CA_NAME, "CN=x.example", NOW + 86400);
	}
	assert_int_equal(wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err), 0);
	item(&it[0], "11", 1);
	item(&it[1], "12", 1);
	item(&it[2], "13", 1);
	assert_int_equal(wr_backend_local.revoke(b, it, 3, err, sizeof err), 0);
	assert_int_equal(wr_backend_local.publish(b, NOW, err, sizeof err), 0);
	wr_backend_local.close(b);
	/* 9 more: shard_entries would give 6, the CA keeps 3. */
	for (int i = 8; i <= 16; i++) {
		snprintf(s, sizeof s, "%02X", 0x10 + i);
		add_cert_row(f->db, s, CA_NAME, "CN=x.example", NOW + 86400);
	}
	assert_int_equal(wr_crl_publish(f->db, f->cfg, NULL, NOW, &st), 0);
	assert_int_equal(st.shards, 3);
	assert_int_equal(st.index_lines, 16);
	assert_null(read_shard(f->out, 3));

	/* shards = 5 now: refused, at open (before revoking) and publishing. */
	write_conf(f, "shards = 5\n");
	assert_int_equal(wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err), WR_EINVAL);
	assert_non_null(strstr(err, "shards = 5"));
	assert_non_null(strstr(err, "in 3 shards"));
	assert_non_null(strstr(err, "crl --reshard"));
	assert_int_equal(wr_crl_publish(f->db, f->cfg, NULL, NOW, &st), WR_EINVAL);
	assert_non_null(strstr(wr_db_errmsg(f->db), "crl --reshard"));
	/* Out of range. */
	write_conf(f, "shards = 0\n");
	assert_int_equal(wr_crl_publish(f->db, f->cfg, NULL, NOW, &st), WR_EINVAL);
	assert_non_null(strstr(wr_db_errmsg(f->db), "shards must be 1 to 4096"));

	/* The re-shard: the 3 entries stay on serial mod 3, new ones mod 5. */
	write_conf(f, "shards = 5\n");
	assert_int_equal(wr_crl_publish_flags(f->db, f->cfg, NULL, NOW, WR_CRL_RESHARD, &st), 0);
	assert_int_equal(st.shards, 5);
	assert_int_equal(st.reshard_from, 3);
	assert_int_equal(st.kept, 3);
	assert_int_equal(wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err), 0);
	item(&it[0], "1E", 1);
	item(&it[1], "1F", 1);
	assert_int_equal(wr_backend_local.revoke(b, it, 2, err, sizeof err), 0);
	assert_int_equal(wr_backend_local.publish(b, NOW, err, sizeof err), 0);
	wr_backend_local.close(b);
	static const char *const old[] = {"11", "12", "13"}, *const new[] = {"1E", "1F"};
	for (int i = 0; i < 3; i++) {
		X509_CRL *crl = read_shard(f->out, wr_crl_shard_of(old[i], 3));
		assert_non_null(find_entry(crl, old[i]));
		X509_CRL_free(crl);
	}
	for (int i = 0; i < 2; i++) {
		X509_CRL *crl = read_shard(f->out, wr_crl_shard_of(new[i], 5));
		assert_non_null(find_entry(crl, new[i]));
		X509_CRL_free(crl);
	}
	/* Published again without --reshard: the new count holds. */
	assert_int_equal(wr_crl_publish(f->db, f->cfg, NULL, NOW, &st), 0);
	assert_int_equal(st.shards, 5);
	assert_int_equal(st.reshard_from, 0);
}

/* A CA certificate goes on the ARL; a certificate whose CRL Distribution
 * Point names one of crl_url's shards stays on that shard. */
static void test_local_placement(void **state)
{
	struct fx *f = *state;
	struct wr_backend *b = NULL;
	struct wr_rv_item it[3];
	char err[512] = "";
	size_t l1, l2, l3;

	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *sub = make_cert_ext("Sub CA", "2A", k, f->ca, f->key, NID_basic_constraints,
				  "critical,CA:TRUE");
	/* 0x2B mod 3 = 1, but the certificate names shard 2. */
	X509 *named = make_cert_ext("named.example", "2B", k, f->ca, f->key,
				    NID_crl_distribution_points,
				    "URI:http://127.0.0.1/crl/shard-2.crl");
	X509 *other = make_cert_ext("other.example", "2C", k, f->ca, f->key,
				    NID_crl_distribution_points,
				    "URI:http://127.0.0.1/other/shard-0.crl");
	unsigned char *d1 = der_of(sub, &l1), *d2 = der_of(named, &l2), *d3 = der_of(other, &l3);
	add_cert_row(f->db, "2A", CA_NAME, "CN=Sub CA", NOW + 86400);
	add_cert_row(f->db, "2B", CA_NAME, "CN=named.example", NOW + 86400);
	add_cert_row(f->db, "2C", CA_NAME, "CN=other.example", NOW + 86400);
	/* 7 certificates, shard_entries 3: 3 shards. */
	for (int i = 0; i < 4; i++) {
		char s[8];
		snprintf(s, sizeof s, "%02X", 0x30 + i);
		add_cert_row(f->db, s, CA_NAME, "CN=more.example", NOW + 86400);
	}

	assert_int_equal(wr_backend_local.open(f->db, f->cfg, &b, err, sizeof err), 0);
	item(&it[0], "2A", 2);
	it[0].der = d1, it[0].der_len = l1;
	item(&it[1], "2B", 1);
	it[1].der = d2, it[1].der_len = l2;
	item(&it[2], "2C", 1);
	it[2].der = d3, it[2].der_len = l3;
	assert_int_equal(wr_backend_local.revoke(b, it, 3, err, sizeof err), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(it[i].status, WR_RV_REVOKED);
	assert_int_equal(wr_backend_local.publish(b, NOW, err, sizeof err), 0);
	wr_backend_local.close(b);

	/* The sub-CA on the ARL alone; 2B on the shard it names, not on
	 * serial mod 3; 2C, whose CDP is not this CA's, on serial mod 3. */
	X509_CRL *arl = read_crl_file(f->out, "arl.crl");
	assert_non_null(find_entry(arl, "2A"));
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(arl)), 1);
	X509_CRL_free(arl);
	for (int k = 0; k < 3; k++) {
		X509_CRL *crl = read_shard(f->out, k);
		assert_non_null(crl);
		assert_null(find_entry(crl, "2A"));
		if (k == 2)
			assert_non_null(find_entry(crl, "2B"));
		else
			assert_null(find_entry(crl, "2B"));
		if (k == wr_crl_shard_of("2C", 3))
			assert_non_null(find_entry(crl, "2C"));
		X509_CRL_free(crl);
	}
	assert_int_equal(wr_crl_shard_of("2B", 3), 1);

	sqlite3 *sq;
	sqlite3_stmt *q;
	char path[256];
	snprintf(path, sizeof path, "%s/localca.db", f->out);
	assert_int_equal(sqlite3_open_v2(path, &sq, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(sq, "SELECT group_concat(serial || ':' ||"
						" ifnull(shard, 'mod')) FROM (SELECT * FROM revoked"
						" ORDER BY serial)", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "2A:-1,2B:2,2C:mod");
	sqlite3_finalize(q);
	sqlite3_close(sq);

	OPENSSL_free(d1);
	OPENSSL_free(d2);
	OPENSSL_free(d3);
	X509_free(sub);
	X509_free(named);
	X509_free(other);
	EVP_PKEY_free(k);
}

/* Two incidents (two databases) on one CA and out_dir: index.txt holds
 * both, whichever published last; a record of the first warroom (no
 * user_version) is brought up to date, its revocations kept. */
static void test_local_two_incidents(void **state)
{
	struct fx *f = *state;
	struct wr_backend *b = NULL;
	struct wr_rv_item it[1];
	struct wr_crl_stats st;
	struct wr_plan *plan;
	struct wr_db *db2;
	char err[512] = "", path[256], p2[160];
	size_t len;

	/* The first warroom's record, one revocation in it. */
	assert_int_equal(mkdir(f->out, 02775), 0);
	snprintf(path, sizeof path, "%s/localca.db", f->out);
	sqlite3 *sq;
	assert_int_equal(sqlite3_open(path, &sq), SQLITE_OK);
	assert_int_equal(sqlite3_exec(sq, "CREATE TABLE revoked (serial TEXT PRIMARY KEY,"
					  " revoked_at INTEGER NOT NULL, reason INTEGER) WITHOUT ROWID;"
					  "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT"
					  " NULL) WITHOUT ROWID; INSERT INTO meta VALUES ('crl_number', 7);"
					  "INSERT INTO revoked VALUES ('0A0A', 1795500000, 4);",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(sq);
	assert_int_equal(chmod(path, 0664), 0);

	add_cert_row(f->db, "0A0A", CA_NAME, "CN=first.example", NOW + 86400);
	add_cert_row(f->db, "0B0B", CA_NAME, "CN=first-valid.example", NOW + 86400);
	assert_int_equal(wr_crl_publish(f->db, f->cfg, NULL, NOW, &st), 0);
	assert_int_equal(st.crl_number, 8);
	assert_int_equal(st.entries, 1);

	/* The second incident. */
	snprintf(p2, sizeof p2, "%s/t2.db", f->dir);
	assert_int_equal(wr_plan_load(NULL, &plan, err, sizeof err), 0);
	setenv("WARROOM_NOW", "2026-11-25T06:00:00Z", 1);
	assert_int_equal(wr_db_open(p2, WR_OPEN_CREATE, &db2), 0);
	unsetenv("WARROOM_NOW");
	wr_db_set_actor(db2, "tester");
	assert_int_equal(wr_incident_init(db2, "Second", 100, plan), 0);
	wr_plan_free(plan);
	wr_db_set_config(db2, f->cfg);
	add_cert_row(db2, "0C0C", CA_NAME, "CN=second.example", NOW + 86400);
	assert_int_equal(wr_backend_local.open(db2, f->cfg, &b, err, sizeof err), 0);
	item(&it[0], "0C0C", 1);
	assert_int_equal(wr_backend_local.revoke(b, it, 1, err, sizeof err), 0);
	assert_int_equal(wr_backend_local.publish(b, NOW, err, sizeof err), 0);
	wr_backend_local.close(b);

	snprintf(path, sizeof path, "%s/index.txt", f->out);
	char *idx = (char *)slurp(path, &len);
	assert_non_null(strstr(idx, "\t0A0A\tunknown\t/CN=first.example\n"));
	assert_non_null(strstr(idx, "V\t261126060000Z\t\t0B0B\tunknown\t/CN=first-valid.example\n"));
	assert_non_null(strstr(idx, "R\t261126060000Z\t"));
	assert_non_null(strstr(idx, ",keyCompromise\t0C0C\tunknown\t/CN=second.example\n"));
	assert_int_equal(count_lines(idx, "R\t"), 2);
	assert_int_equal(count_lines(idx, "V\t"), 1);
	free(idx);

	/* The first publishes again: the second's stay, nothing is read twice. */
	assert_int_equal(wr_crl_publish(f->db, f->cfg, NULL, NOW, &st), 0);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.index_lines, 3);
	idx = (char *)slurp(path, &len);
	assert_non_null(strstr(idx, "\t0C0C\t"));
	free(idx);
	snprintf(path, sizeof path, "%s/localca.db", f->out);
	assert_int_equal(sqlite3_open_v2(path, &sq, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(sq, "SELECT (SELECT count(*) FROM source),"
						" (SELECT count(*) FROM issued)", -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 2);
	assert_int_equal(sqlite3_column_int(q, 1), 3);
	sqlite3_finalize(q);
	assert_int_equal(sqlite3_prepare_v2(sq, "PRAGMA user_version", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 3); /* revocations in order of arrival */
	sqlite3_finalize(q);
	sqlite3_close(sq);
	wr_db_close(db2);
}

/* The record's serials in memory (core/rvset.c): each found with its
 * row, past every growth, and absent ones (almost) never named. */
/* The TBSCertList in a CRL file is what OpenSSL's template encoder makes
 * of the same CRL: crl.c puts the entries and the list together itself
 * (from OpenSSL's encodings of the parts), so the file's bytes are
 * compared with i2d_re_X509_CRL_tbs of the parsed CRL. */
static void tbs_is_openssls(const char *dir, const char *name)
{
	char path[256];
	size_t len;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	unsigned char *der = slurp(path, &len);
	assert_non_null(der);
	const unsigned char *p = der, *q;
	long l;
	int tag, xclass;
	/* CertificateList SEQUENCE, then its first element: the TBSCertList. */
	assert_int_equal(ASN1_get_object(&p, &l, &tag, &xclass, (long)len) & 0x80, 0);
	q = p;
	assert_int_equal(ASN1_get_object(&p, &l, &tag, &xclass, (long)len - (p - der)) & 0x80, 0);
	size_t tbs_len = (size_t)(p - q) + (size_t)l;
	const unsigned char *pp = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &pp, (long)len);
	assert_non_null(crl);
	unsigned char *re = NULL;
	int n = i2d_re_X509_CRL_tbs(crl, &re);
	assert_int_equal((size_t)n, tbs_len);
	assert_memory_equal(re, q, tbs_len);
	OPENSSL_free(re);
	X509_CRL_free(crl);
	free(der);
}

/* What a shard job of the spilled run saw: lookups of every probe. */
struct probe_log {
	const char *const *serials;
	size_t n;
	int calls;
	bool found[64];
	int64_t at[64];
	int reason[64];
	int mod;
};

static int probe_job(void *ctx, int k, const struct wr_crl_list *l, char *err, size_t errsz)
{
	struct probe_log *pl = ctx;
	const char *mine[64] = {0};
	size_t idx[64], m = 0;
	bool found[64];
	int64_t at[64];
	int reason[64];

	(void)err;
	(void)errsz;
	/* The serials this shard is asked about: serial mod the modulus. */
	for (size_t i = 0; i < pl->n; i++)
		if (wr_crl_shard_of(pl->serials[i], pl->mod) == k) {
			idx[m] = i;
			mine[m++] = pl->serials[i];
		}
	wr_crl_list_find_shard(l, k, mine, m, found, at, reason);
	for (size_t i = 0; i < m; i++) {
		pl->found[idx[i]] = found[i];
		pl->at[idx[i]] = at[i];
		pl->reason[idx[i]] = reason[i];
	}
	__atomic_add_fetch(&pl->calls, 1, __ATOMIC_SEQ_CST);
	return 0;
}

/* A spilled list (wr_crl_list_spill) publishes the same CRLs as one in
 * memory: the same TBSCertList, byte for byte, for every shard and the
 * ARL, with entries kept on another shard, a CA's, duplicates, long and
 * negative serials; and its shard jobs find what wr_crl_list_find does. */
static void test_write_spilled(void **state)
{
	struct fx *f = *state;
	char mem[160], spill[160], err[512] = "";
	struct wr_crl_list *a = wr_crl_list_new(4), *b = wr_crl_list_new(4);
	struct wr_crl_list *b2 = wr_crl_list_new(4);
	struct wr_crl_stats sa, sb;

	snprintf(mem, sizeof mem, "%s/mem", f->dir);
	snprintf(spill, sizeof spill, "%s/spill", f->dir);
	assert_int_equal(mkdir(mem, 0755), 0);
	assert_int_equal(mkdir(spill, 0755), 0);
	assert_int_equal(wr_crl_list_spill(b, spill), 0);
	assert_int_equal(wr_crl_list_spill(b2, spill), 0);
	assert_true(wr_crl_list_spilled(b));
	assert_false(wr_crl_list_spilled(a));
	assert_int_equal(wr_crl_list_merge(a, b2), WR_EINVAL); /* one spills, one not */
	/* A list of one shard is built whole: nothing to spill. */
	struct wr_crl_list *one = wr_crl_list_new(1);
	assert_int_equal(wr_crl_list_spill(one, spill), 0);
	assert_false(wr_crl_list_spilled(one));
	wr_crl_list_free(one);

	/* 3000 serials of 1 to 24 bytes, some negative, a few twice. */
	for (int i = 0; i < 3000; i++) {
		char s[64];
		int len = 1 + i % 24, o = 0;
		if (i % 97 == 0)
			s[o++] = '-';
		for (int j = 0; j < len; j++)
			o += snprintf(s + o, sizeof s - (size_t)o, "%02X",
				      (unsigned)((i * 2654435761u >> (j % 4 * 8)) + (unsigned)j) & 0xff);
		int reason = i % 11 == 6 || i % 11 == 7 || i % 11 == 8 ? 1 : i % 11;
		/* The second half goes to the second loader's list. */
		struct wr_crl_list *into = i < 1500 ? b : b2;
		if (i % 250 == 1) { /* a CA certificate's: the ARL */
			assert_int_equal(wr_crl_list_add_to(a, s, NOW - i, reason, WR_CRL_ARL), 0);
			assert_int_equal(wr_crl_list_add_to(into, s, NOW - i, reason, WR_CRL_ARL), 0);
		} else if (i % 250 == 2) { /* kept on shard 5, of an earlier count */
			assert_int_equal(wr_crl_list_add_to(a, s, NOW - i, reason, 5), 0);
			assert_int_equal(wr_crl_list_add_to(into, s, NOW - i, reason, 5), 0);
		} else if (i % 250 == 3) { /* pinned to its own shard */
			int k = wr_crl_shard_of(s, 4);
			assert_int_equal(wr_crl_list_add_to(a, s, NOW - i, reason, k), 0);
			assert_int_equal(wr_crl_list_add_to(into, s, NOW - i, reason, k), 0);
		} else {
			assert_int_equal(wr_crl_list_add(a, s, NOW - i, reason), 0);
			assert_int_equal(wr_crl_list_add(into, s, NOW - i, reason), 0);
			if (i % 500 == 0) { /* again, later: the first date stays */
				assert_int_equal(wr_crl_list_add(a, s, NOW, reason), 0);
				assert_int_equal(wr_crl_list_add(into, s, NOW, reason), 0);
			}
		}
	}
	assert_int_equal(wr_crl_list_merge(b, b2), 0);
	assert_int_equal(wr_crl_list_count(b), wr_crl_list_count(a));
	assert_int_equal(wr_crl_list_shards(b), 6);

	/* Probes: others, then one of each kind present (i of the loop:
	 * the ARL, shard 5, pinned to its own, a duplicate, negative, plain). */
	static const char *const absent[] = {"0100", "FFFF", "-0100",
					     "0A0B0C0D0E0F101112131415161718191A1B1C1D"};
	static const int pick[] = {251, 252, 253, 500, 97, 23};
	char keep[6][64];
	const char *ps[16];
	size_t np = 0;
	for (size_t q = 0; q < sizeof absent / sizeof absent[0]; q++)
		ps[np++] = absent[q];
	for (int q = 0; q < 6; q++) {
		int i = pick[q], len = 1 + i % 24, o = 0;
		if (i % 97 == 0)
			keep[q][o++] = '-';
		for (int j = 0; j < len; j++)
			o += snprintf(keep[q] + o, sizeof keep[q] - (size_t)o, "%02X",
				      (unsigned)((i * 2654435761u >> (j % 4 * 8)) + (unsigned)j) & 0xff);
		ps[np++] = keep[q];
	}
	struct probe_log pl = {.serials = ps, .n = np, .mod = 4};
	struct wr_crl_params p = {
		.ca = f->ca,
		.key = f->key,
		.out_dir = mem,
		.crl_url = "http://127.0.0.1/crl/",
		.this_update = NOW,
		.next_update = NOW + 7 * 86400,
		.crl_number = 7,
		.nthreads = 2,
	};
	assert_int_equal(wr_crl_write(&p, a, &sa, err, sizeof err), 0);
	p.out_dir = spill;
	p.shard_job = probe_job;
	p.side_ctx = &pl;
	assert_int_equal(wr_crl_write(&p, b, &sb, err, sizeof err), 0);
	assert_string_equal(err, "");
	assert_int_equal(pl.calls, 4); /* shards 0 to 3: the modulus, not shards 4 and 5 */
	assert_int_equal(sb.entries, sa.entries);
	assert_int_equal(sb.ca_entries, sa.ca_entries);
	assert_true(sa.ca_entries > 0);
	assert_int_equal(sb.largest, sa.largest);
	assert_int_equal(sb.shards, 6);
	/* Not bytes: an ECDSA signature's DER length varies. */

	/* The same TBSCertList, shard by shard and the ARL. */
	const char *files[] = {"shard-0.crl", "shard-1.crl", "shard-2.crl", "shard-3.crl",
			       "shard-4.crl", "shard-5.crl", "arl.crl"};
	int total = 0;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		X509_CRL *x = read_crl_file(mem, files[i]), *y = read_crl_file(spill, files[i]);
		unsigned char *dx = NULL, *dy = NULL;
		assert_non_null(x);
		assert_non_null(y);
		assert_int_equal(X509_CRL_verify(y, f->key), 1);
		int nx = i2d_re_X509_CRL_tbs(x, &dx), ny = i2d_re_X509_CRL_tbs(y, &dy);
		assert_true(nx > 0);
		assert_int_equal(nx, ny);
		assert_memory_equal(dx, dy, (size_t)nx);
		tbs_is_openssls(spill, files[i]);
		/* An empty CRL has no list at all (shard 4 here). */
		if (X509_CRL_get_REVOKED(y))
			total += sk_X509_REVOKED_num(X509_CRL_get_REVOKED(y));
		OPENSSL_free(dx);
		OPENSSL_free(dy);
		X509_CRL_free(x);
		X509_CRL_free(y);
	}
	assert_int_equal(total, sa.entries);

	/* The shard jobs' lookups agree with a search of the whole list. */
	assert_int_equal(wr_crl_list_sort(a), 0);
	int present = 0;
	for (size_t i = 0; i < np; i++) {
		int64_t at = 0;
		int reason = 0;
		bool want = wr_crl_list_find(a, ps[i], &at, &reason);
		if (wr_crl_shard_of(ps[i], 4) < 0)
			continue;
		assert_int_equal(pl.found[i], want);
		if (want) {
			present++;
			assert_int_equal(pl.at[i], at);
			assert_int_equal(pl.reason[i], reason);
		}
	}
	for (size_t i = np - 6; i < np; i++) /* the six picked are there */
		assert_true(pl.found[i]);
	assert_true(present >= 6);
	/* No temporary file is left behind: only the CRLs, PEMs and crls.txt. */
	DIR *dir = opendir(spill);
	struct dirent *de;
	int files_left = 0;
	assert_non_null(dir);
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			files_left++;
	closedir(dir);
	assert_int_equal(files_left, 7 * 2 + 1);
	wr_crl_list_free(a);
	wr_crl_list_free(b);
	wr_crl_list_free(b2);
}

static void test_rvset(void **state)
{
	(void)state;
	enum { N = 100000 };
	struct wr_rvset *s = wr_rvset_new();
	char serial[40];
	int64_t ids[8];
	size_t false_hits = 0;

	assert_non_null(s);
	for (int i = 0; i < N; i++) {
		snprintf(serial, sizeof serial, "%08X%08X", (unsigned)i * 2654435761u, (unsigned)i);
		assert_int_equal(wr_rvset_add(s, serial, i + 1), 0);
	}
	assert_int_equal(wr_rvset_count(s), N);
	for (int i = 0; i < N; i++) {
		snprintf(serial, sizeof serial, "%08X%08X", (unsigned)i * 2654435761u, (unsigned)i);
		size_t n = wr_rvset_find(s, serial, ids, 8);
		bool mine = false;
		for (size_t k = 0; k < n; k++)
			mine |= ids[k] == i + 1;
		assert_true(mine);
		snprintf(serial, sizeof serial, "%08X%08XFF", (unsigned)i * 2654435761u, (unsigned)i);
		false_hits += wr_rvset_find(s, serial, ids, 8);
	}
	assert_true(false_hits < 10); /* about 1 in 4 billion probes each */
	/* Row ids are 32-bit: beyond, the caller learns it. */
	assert_int_equal(wr_rvset_add(s, "AB", (int64_t)UINT32_MAX + 1), WR_EINVAL);
	assert_int_equal(wr_rvset_add(s, "AB", 0), WR_EINVAL);
	wr_rvset_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rvset),
		cmocka_unit_test(test_shard_math),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_list_placed),
		cmocka_unit_test(test_url_file),
		cmocka_unit_test_setup_teardown(test_write_arl_and_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_spilled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_and_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_empty_and_rsa, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reuse_across_shards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_revoke_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_revoke_concurrent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_publish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_shards_fixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_placement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_two_incidents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_revoke_signature, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_revoke_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_key_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_group_writable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_lock_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_links_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
