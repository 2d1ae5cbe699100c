/* Unit tests for core/jws.c: base64url edge cases, JWKs against RFC 7515
 * and RFC 7638 known answers, and ES256, ES384 and RS256 signatures checked
 * with OpenSSL against the public key rebuilt from the JWK alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jws.h"
#include "wr.h"

/* ---- helpers ---------------------------------------------------------------- */

static unsigned char *b64d(const char *s, size_t *n)
{
	unsigned char *p = wr_b64url_decode(s, strlen(s), n);
	assert_non_null(p);
	return p;
}

/* The public key a verifier would build from the JWK, knowing nothing else. */
static EVP_PKEY *pkey_from_jwk(const json_t *jwk)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *n = NULL, *e = NULL;
	unsigned char *x = NULL, *y = NULL, pub[1 + 2 * 66];
	size_t xl = 0, yl = 0;

	assert_non_null(kty);
	assert_non_null(bld);
	if (strcmp(kty, "EC") == 0) {
		const char *crv = json_string_value(json_object_get(jwk, "crv"));
		x = b64d(json_string_value(json_object_get(jwk, "x")), &xl);
		y = b64d(json_string_value(json_object_get(jwk, "y")), &yl);
		assert_int_equal(xl, yl);
		assert_true(xl <= 66);
		pub[0] = 0x04;
		memcpy(pub + 1, x, xl);
		memcpy(pub + 1 + xl, y, yl);
		assert_true(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, crv, 0));
		assert_true(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
							     1 + xl + yl));
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	} else {
		assert_string_equal(kty, "RSA");
		unsigned char *nb = b64d(json_string_value(json_object_get(jwk, "n")), &xl);
		unsigned char *eb = b64d(json_string_value(json_object_get(jwk, "e")), &yl);
		/* Minimal big-endian: no leading zero byte (RFC 7518 6.3.1.1). */
		assert_true(xl > 0 && nb[0] != 0);
		assert_true(yl > 0 && eb[0] != 0);
		n = BN_bin2bn(nb, (int)xl, NULL);
		e = BN_bin2bn(eb, (int)yl, NULL);
		free(nb);
		free(eb);
		assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n));
		assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e));
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	}
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	assert_non_null(params);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(e);
	free(x);
	free(y);
	return pkey;
}

/* Verifies a JWS signature (JWS form: r||s for EC) over input. */
static int verify(EVP_PKEY *pub, const char *md, const char *input, const unsigned char *sig,
		  size_t siglen)
{
	unsigned char *der = NULL;
	int derlen = 0, ok;

	if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_EC) {
		ECDSA_SIG *es = ECDSA_SIG_new();
		size_t c = siglen / 2;
		assert_non_null(es);
		assert_true(ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)c, NULL),
					   BN_bin2bn(sig + c, (int)c, NULL)));
		derlen = i2d_ECDSA_SIG(es, &der);
		assert_true(derlen > 0);
		ECDSA_SIG_free(es);
		sig = der;
		siglen = (size_t)derlen;
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestVerifyInit_ex(ctx, NULL, md, NULL, NULL, pub, NULL), 1);
	ok = EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)input, strlen(input));
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return ok == 1;
}

struct parsed {
	json_t *hdr;
	char *payload;
	size_t payload_len;
	unsigned char *sig;
	size_t siglen;
	char *input; /* protected "." payload */
};

static void parse_jws(const char *jws, struct parsed *p)
{
	json_error_t je;
	json_t *o = json_loads(jws, 0, &je);
	size_t n;

	assert_non_null(o);
	assert_int_equal(json_object_size(o), 3);
	const char *prot = json_string_value(json_object_get(o, "protected"));
	const char *pay = json_string_value(json_object_get(o, "payload"));
	const char *sig = json_string_value(json_object_get(o, "signature"));
	assert_non_null(prot);
	assert_non_null(pay);
	assert_non_null(sig);
	unsigned char *h = b64d(prot, &n);
	p->hdr = json_loadb((const char *)h, n, 0, &je);
	assert_non_null(p->hdr);
	free(h);
	p->payload = (char *)b64d(pay, &p->payload_len);
	p->sig = b64d(sig, &p->siglen);
	p->input = malloc(strlen(prot) + strlen(pay) + 2);
	assert_non_null(p->input);
	sprintf(p->input, "%s.%s", prot, pay);
	json_decref(o);
}

static void parsed_free(struct parsed *p)
{
	json_decref(p->hdr);
	free(p->payload);
	free(p->sig);
	free(p->input);
}

static const char *hdr_str(const struct parsed *p, const char *k)
{
	return json_string_value(json_object_get(p->hdr, k));
}

static struct wr_jws_key *key_of(EVP_PKEY *pkey)
{
	struct wr_jws_key *k = NULL;
	char err[256] = "";
	int rc = wr_jws_key_new(pkey, &k, err, sizeof err);
	if (rc)
		fprintf(stderr, "wr_jws_key_new: %s\n", err);
	assert_int_equal(rc, 0);
	EVP_PKEY_free(pkey); /* the wrapper holds its own reference */
	return k;
}

/* ---- base64url --------------------------------------------------------------- */

static void check_enc(const void *in, size_t n, const char *want)
{
	char *s = wr_b64url_encode(in, n);
	assert_non_null(s);
	assert_string_equal(s, want);
	size_t m = 99;
	unsigned char *back = wr_b64url_decode(s, strlen(s), &m);
	assert_non_null(back);
	assert_int_equal(m, n);
	assert_memory_equal(back, in, n);
	free(back);
	free(s);
}

static void check_bad(const char *in, size_t n)
{
	size_t m;
	unsigned char *p = wr_b64url_decode(in, n, &m);
	if (p)
		fprintf(stderr, "decoded '%.*s' but should not\n", (int)n, in);
	assert_null(p);
}

static void test_b64url(void **state)
{
	(void)state;
	/* RFC 4648 10 vectors, without the padding. */
	check_enc("", 0, "");
	check_enc("f", 1, "Zg");
	check_enc("fo", 2, "Zm8");
	check_enc("foo", 3, "Zm9v");
	check_enc("foob", 4, "Zm9vYg");
	check_enc("fooba", 5, "Zm9vYmE");
	check_enc("foobar", 6, "Zm9vYmFy");
	/* The two characters that differ from base64. */
	check_enc("\xfb\xff", 2, "-_8");
	check_enc("\xff\xff\xff", 3, "____");
	check_enc("\xfb\xef\xbe", 3, "----");
	check_enc("\0\0\0", 3, "AAAA");
	check_enc("\0", 1, "AA");

	/* Every length around the block size, every byte value. */
	unsigned char buf[300];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	for (size_t n = 0; n < sizeof buf; n++) {
		char *s = wr_b64url_encode(buf, n);
		assert_non_null(s);
		assert_int_equal(strlen(s), (n * 4 + 2) / 3);
		assert_null(strpbrk(s, "+/=\n"));
		size_t m;
		unsigned char *back = wr_b64url_decode(s, strlen(s), &m);
		assert_non_null(back);
		assert_int_equal(m, n);
		assert_memory_equal(back, buf, n);
		free(back);
		free(s);
	}

	check_bad("Z", 1);	     /* a lone character is not a byte */
	check_bad("Zm9vY", 5);
	check_bad("Zg==", 4);	     /* padding */
	check_bad("Zg=", 3);
	check_bad("+/8", 3);	     /* base64, not base64url */
	check_bad("Zm9 v", 5);	     /* whitespace */
	check_bad("Zm9v\n", 5);
	check_bad(" Zm9v", 5);
	check_bad("Zm\0v", 4);	     /* NUL inside */
	check_bad("Zh", 2);	     /* non-zero unused bits: "Zg" is 'f' */
	check_bad("Zm9", 3);	     /* "Zm8" is "fo" */
	check_bad("Zm9v\xc3\xa9", 6); /* non-ASCII */
}

/* ---- JWKs -------------------------------------------------------------------- */

static EVP_PKEY *rsa_public(const char *n64, const char *e64)
{
	json_t *jwk = json_pack("{s:s, s:s, s:s}", "kty", "RSA", "n", n64, "e", e64);
	EVP_PKEY *p = pkey_from_jwk(jwk);
	json_decref(jwk);
	return p;
}

/* RFC 7638 3.1: the example RSA key and its thumbprint. */
static void test_thumbprint_rfc7638(void **state)
{
	static const char *n =
		"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhD"
		"R1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h"
		"4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91"
		"CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF4"
		"4-csFCur-kEgU8awapJzKnqDKgw";
	char tp[44];

	(void)state;
	struct wr_jws_key *k = key_of(rsa_public(n, "AQAB"));
	assert_string_equal(wr_jws_key_alg(k), "RS256");
	const json_t *jwk = wr_jws_key_jwk(k);
	assert_int_equal(json_object_size(jwk), 3);
	assert_string_equal(json_string_value(json_object_get(jwk, "n")), n);
	assert_string_equal(json_string_value(json_object_get(jwk, "e")), "AQAB");
	assert_int_equal(wr_jws_thumbprint(k, tp), 0);
	assert_string_equal(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	/* The canonical form the thumbprint hashes: sorted, no whitespace. */
	char *s = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(s);
	assert_true(strncmp(s, "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"0vx7", 32) == 0);
	free(s);
	wr_jws_key_free(k);
}

/* The private P-256 key of RFC 7515 A.3 from its d, x and y. */
static EVP_PKEY *rfc7515_ec_key(void)
{
	size_t dl, xl, yl;
	unsigned char *d = b64d("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI", &dl);
	unsigned char *x = b64d("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", &xl);
	unsigned char *y = b64d("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", &yl);
	unsigned char pub[65];
	pub[0] = 4;
	memcpy(pub + 1, x, 32);
	memcpy(pub + 33, y, 32);
	BIGNUM *priv = BN_bin2bn(d, (int)dl, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	assert_true(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0));
	assert_true(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 65));
	assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv));
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *pkey = NULL;
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params), 1);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(priv);
	free(d);
	free(x);
	free(y);
	return pkey;
}

static void test_ec_jwk_rfc7515(void **state)
{
	(void)state;
	struct wr_jws_key *k = key_of(rfc7515_ec_key());
	const json_t *jwk = wr_jws_key_jwk(k);
	assert_string_equal(wr_jws_key_alg(k), "ES256");
	assert_int_equal(json_object_size(jwk), 4);
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "EC");
	assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "P-256");
	assert_string_equal(json_string_value(json_object_get(jwk, "x")),
			    "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU");
	assert_string_equal(json_string_value(json_object_get(jwk, "y")),
			    "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0");
	/* No private member ever leaks into the JWK. */
	assert_null(json_object_get(jwk, "d"));
	char *s = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS);
	assert_true(strncmp(s, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":", 30) == 0);
	free(s);

	/* The verifier of this file accepts the RFC's own example signature
	 * (A.3.1), so r||s is read the way the RFC means it. */
	static const char *input =
		"eyJhbGciOiJFUzI1NiJ9"
		".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19"
		"yb290Ijp0cnVlfQ";
	size_t sl;
	unsigned char *sig = b64d("DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8IS"
				  "lSApmWQxfKTUJqPP3-Kg6NU1Q",
				  &sl);
	assert_int_equal(sl, 64);
	EVP_PKEY *pub = pkey_from_jwk(jwk);
	assert_true(verify(pub, "SHA256", input, sig, sl));
	sig[10] ^= 1;
	assert_false(verify(pub, "SHA256", input, sig, sl));
	EVP_PKEY_free(pub);
	free(sig);
	wr_jws_key_free(k);
}

/* Coordinates are fixed-length: a key whose x has a leading zero byte
 * still gives 32 bytes (RFC 7518 6.2.1.2). */
static void test_ec_jwk_padding(void **state)
{
	(void)state;
	for (int i = 0; i < 5000; i++) {
		EVP_PKEY *p = EVP_EC_gen("P-256");
		BIGNUM *x = NULL;
		assert_non_null(p);
		assert_true(EVP_PKEY_get_bn_param(p, OSSL_PKEY_PARAM_EC_PUB_X, &x));
		int short_x = BN_num_bytes(x) < 32;
		BN_free(x);
		if (!short_x) {
			EVP_PKEY_free(p);
			continue;
		}
		struct wr_jws_key *k = key_of(p);
		size_t n;
		unsigned char *xb =
			b64d(json_string_value(json_object_get(wr_jws_key_jwk(k), "x")), &n);
		assert_int_equal(n, 32);
		assert_int_equal(xb[0], 0);
		free(xb);
		EVP_PKEY *pub = pkey_from_jwk(wr_jws_key_jwk(k));
		assert_int_equal(EVP_PKEY_eq(pub, wr_jws_key_pkey(k)), 1);
		EVP_PKEY_free(pub);
		wr_jws_key_free(k);
		return;
	}
	fail_msg("no P-256 key with a short x in 5000 tries");
}

/* ---- signatures --------------------------------------------------------------- */

static void check_sign(struct wr_jws_key *k, const char *md, size_t siglen, int rounds)
{
	const char *payload = "{\"certificate\":\"MIIB\",\"reason\":1}";
	const char *url = "https://127.0.0.1:14000/revoke-cert";
	char err[256] = "";
	EVP_PKEY *pub = pkey_from_jwk(wr_jws_key_jwk(k));

	assert_int_equal(EVP_PKEY_eq(pub, wr_jws_key_pkey(k)), 1);
	for (int i = 0; i < rounds; i++) {
		/* kid: the account URL, no jwk. */
		char *jws = wr_jws_sign(k, "https://127.0.0.1:14000/my-account/1", "nonce-Ab_9",
					url, payload, strlen(payload), err, sizeof err);
		assert_non_null(jws);
		struct parsed p;
		parse_jws(jws, &p);
		assert_string_equal(hdr_str(&p, "alg"), wr_jws_key_alg(k));
		assert_string_equal(hdr_str(&p, "kid"), "https://127.0.0.1:14000/my-account/1");
		assert_string_equal(hdr_str(&p, "nonce"), "nonce-Ab_9");
		assert_string_equal(hdr_str(&p, "url"), url);
		assert_null(json_object_get(p.hdr, "jwk"));
		assert_int_equal(json_object_size(p.hdr), 4);
		assert_int_equal(p.payload_len, strlen(payload));
		assert_memory_equal(p.payload, payload, p.payload_len);
		assert_int_equal(p.siglen, siglen);
		assert_true(verify(pub, md, p.input, p.sig, p.siglen));
		/* A changed byte of the signed input fails. */
		p.input[3] ^= 1;
		assert_false(verify(pub, md, p.input, p.sig, p.siglen));
		parsed_free(&p);
		free(jws);
	}

	/* jwk: the key itself, no kid; POST-as-GET's empty payload. */
	char *jws = wr_jws_sign(k, NULL, "n2", url, "", 0, err, sizeof err);
	assert_non_null(jws);
	assert_non_null(strstr(jws, "\"payload\":\"\""));
	struct parsed p;
	parse_jws(jws, &p);
	assert_null(json_object_get(p.hdr, "kid"));
	assert_true(json_equal(json_object_get(p.hdr, "jwk"), (json_t *)wr_jws_key_jwk(k)));
	assert_int_equal(p.payload_len, 0);
	assert_true(verify(pub, md, p.input, p.sig, p.siglen));
	parsed_free(&p);
	free(jws);

	/* A nonce that is not UTF-8 cannot go into a JSON header. */
	assert_null(wr_jws_sign(k, NULL, "\xff", url, "", 0, err, sizeof err));
	assert_true(err[0] != '\0');
	EVP_PKEY_free(pub);
}

static void test_es256(void **state)
{
	(void)state;
	struct wr_jws_key *k = key_of(EVP_EC_gen("P-256"));
	assert_string_equal(wr_jws_key_alg(k), "ES256");
	/* Enough signatures that some r or s is shorter than 32 bytes and
	 * must be left-padded (about 1 in 128). */
	check_sign(k, "SHA256", 64, 700);
	wr_jws_key_free(k);

	k = key_of(rfc7515_ec_key());
	check_sign(k, "SHA256", 64, 5);
	wr_jws_key_free(k);
}

static void test_es384(void **state)
{
	(void)state;
	struct wr_jws_key *k = key_of(EVP_EC_gen("P-384"));
	assert_string_equal(wr_jws_key_alg(k), "ES384");
	assert_string_equal(json_string_value(json_object_get(wr_jws_key_jwk(k), "crv")), "P-384");
	check_sign(k, "SHA384", 96, 20);
	wr_jws_key_free(k);
}

static void test_rs256(void **state)
{
	(void)state;
	struct wr_jws_key *k = key_of(EVP_RSA_gen(2048));
	assert_string_equal(wr_jws_key_alg(k), "RS256");
	check_sign(k, "SHA256", 256, 5);
	wr_jws_key_free(k);
}

static void test_unsupported(void **state)
{
	struct wr_jws_key *k = (void *)1;
	char err[256] = "";

	(void)state;
	EVP_PKEY *p = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(p);
	assert_int_equal(wr_jws_key_new(p, &k, err, sizeof err), WR_EINVAL);
	assert_null(k);
	assert_non_null(strstr(err, "unsupported"));
	EVP_PKEY_free(p);

	p = EVP_EC_gen("secp256k1");
	assert_non_null(p);
	assert_int_equal(wr_jws_key_new(p, &k, err, sizeof err), WR_EINVAL);
	EVP_PKEY_free(p);

	p = EVP_RSA_gen(1024);
	assert_non_null(p);
	assert_int_equal(wr_jws_key_new(p, &k, err, sizeof err), WR_EINVAL);
	assert_non_null(strstr(err, "1024"));
	EVP_PKEY_free(p);
}

static void test_load(void **state)
{
	char path[] = "/tmp/wr-test-jws-XXXXXX";
	char err[256] = "";
	struct wr_jws_key *k = NULL;

	(void)state;
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	EVP_PKEY *p = EVP_EC_gen("P-256");
	assert_true(PEM_write_PrivateKey(f, p, NULL, NULL, 0, NULL, NULL));
	fclose(f);
	assert_int_equal(wr_jws_key_load(path, &k, err, sizeof err), 0);
	assert_int_equal(EVP_PKEY_eq(wr_jws_key_pkey(k), p), 1);
	wr_jws_key_free(k);

	/* Encrypted: an error, never a passphrase prompt. */
	f = fopen(path, "w");
	assert_true(PEM_write_PrivateKey(f, p, EVP_aes_128_cbc(), (unsigned char *)"pw", 2, NULL,
					 NULL));
	fclose(f);
	assert_int_equal(wr_jws_key_load(path, &k, err, sizeof err), WR_EINVAL);
	assert_null(k);

	/* A certificate or garbage is not a key. */
	f = fopen(path, "w");
	fputs("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", f);
	fclose(f);
	assert_int_equal(wr_jws_key_load(path, &k, err, sizeof err), WR_EINVAL);
	unlink(path);
	assert_int_equal(wr_jws_key_load(path, &k, err, sizeof err), WR_ENOENT);
	assert_non_null(strstr(err, path));
	EVP_PKEY_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64url),
		cmocka_unit_test(test_thumbprint_rfc7638),
		cmocka_unit_test(test_ec_jwk_rfc7515),
		cmocka_unit_test(test_ec_jwk_padding),
		cmocka_unit_test(test_es256),
		cmocka_unit_test(test_es384),
		cmocka_unit_test(test_rs256),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
