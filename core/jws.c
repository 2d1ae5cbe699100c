/*
 * jws.c: JSON Web Signatures for ACME requests (RFC 7515, RFC 7518, RFC
 * 8555 6.2), made with OpenSSL 3.
 *
 * Owns the key wrapper (an EVP_PKEY with its JWS algorithm and its public
 * JWK, computed once), base64url and the flattened serialization. Does no
 * I/O but reading a key file; knows nothing about ACME resources, nonces'
 * origin or HTTP.
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "jws.h"

/* The algorithms: one row per key kind this file signs with. */
static const struct alg {
	const char *jws;   /* "alg" */
	int key_type;	   /* EVP_PKEY_EC, EVP_PKEY_RSA */
	const char *group; /* OpenSSL's curve name; NULL for RSA */
	const char *crv;   /* JWK "crv" */
	size_t coord;	   /* bytes of one coordinate, and of r and of s */
	const char *md;	   /* digest name */
} algs[] = {
	{"ES256", EVP_PKEY_EC, "prime256v1", "P-256", 32, "SHA256"},
	{"ES384", EVP_PKEY_EC, "secp384r1", "P-384", 48, "SHA384"},
	{"RS256", EVP_PKEY_RSA, NULL, NULL, 0, "SHA256"},
};

struct wr_jws_key {
	EVP_PKEY *pkey;
	const struct alg *alg;
	json_t *jwk;
};

static void ossl_err(char *err, size_t errsz, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[160];

	if (e) {
		ERR_error_string_n(e, buf, sizeof buf);
		snprintf(err, errsz, "%s: %s", what, buf);
	} else {
		snprintf(err, errsz, "%s", what);
	}
	ERR_clear_error();
}

/* ---- base64url ------------------------------------------------------------ */

char *wr_b64url_encode(const unsigned char *in, size_t len)
{
	if (len > (size_t)0x7fffffff / 4 * 3 - 3)
		return NULL;
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (!out)
		return NULL;
	int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (char *p = out; *p; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	return out;
}

unsigned char *wr_b64url_decode(const char *in, size_t len, size_t *outlen)
{
	/* A lone character is never a whole byte; '=' and the base64
	 * characters + / are not base64url (EVP_DecodeBlock would also skip
	 * whitespace, which must not pass either). */
	if (len % 4 == 1 || len > (size_t)0x7ffffff0)
		return NULL;
	size_t padded = (len + 3) / 4 * 4;
	char *tmp = malloc(padded + 1);
	unsigned char *out = malloc(padded / 4 * 3 + 1);
	if (!tmp || !out)
		goto fail;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9')))
			goto fail;
		tmp[i] = c;
	}
	for (size_t i = len; i < padded; i++)
		tmp[i] = '=';
	tmp[padded] = '\0';
	int n = EVP_DecodeBlock(out, (unsigned char *)tmp, (int)padded);
	if (n < 0)
		goto fail;
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	n -= (int)(padded - len);
	/* Unused low bits of the last character must be zero, so that each
	 * byte string has exactly one encoding. */
	if (len % 4) {
		static const char *alphabet =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		int v = (int)(strchr(alphabet, tmp[len - 1]) - alphabet);
		if ((len % 4 == 2 && (v & 0x0f)) || (len % 4 == 3 && (v & 0x03)))
			goto fail;
	}
	free(tmp);
	out[n] = 0;
	*outlen = (size_t)n;
	return out;
fail:
	free(tmp);
	free(out);
	return NULL;
}

/* ---- keys ----------------------------------------------------------------- */

static int json_set_b64(json_t *o, const char *k, const unsigned char *p, size_t n)
{
	char *s = wr_b64url_encode(p, n);
	int rc = s ? json_object_set_new(o, k, json_string(s)) : -1;
	free(s);
	return rc;
}

/* A BIGNUM parameter as base64url of its big-endian bytes, padded to pad
 * bytes (EC coordinates, RFC 7518 6.2.1.2) or minimal when pad is 0 (RSA
 * n and e, 6.3.1). */
static int set_bn(json_t *o, const char *k, EVP_PKEY *pkey, const char *param, size_t pad)
{
	BIGNUM *bn = NULL;
	unsigned char buf[1024];
	int n, rc = -1;

	if (!EVP_PKEY_get_bn_param(pkey, param, &bn))
		return -1;
	if (pad)
		n = (size_t)BN_num_bytes(bn) <= pad ? BN_bn2binpad(bn, buf, (int)pad) : -1;
	else
		n = (size_t)BN_num_bytes(bn) <= sizeof buf ? BN_bn2bin(bn, buf) : -1;
	if (n > 0 || (n == 0 && !pad))
		rc = json_set_b64(o, k, buf, (size_t)(n ? n : 0));
	BN_free(bn);
	return rc;
}

int wr_jws_key_new(EVP_PKEY *pkey, struct wr_jws_key **out, char *err, size_t errsz)
{
	const struct alg *alg = NULL;
	char group[64] = "";
	int type = EVP_PKEY_get_base_id(pkey);

	*out = NULL;
	if (type == EVP_PKEY_EC &&
	    !EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
					     sizeof group, NULL)) {
		ossl_err(err, errsz, "EC key without a named curve");
		return WR_EINVAL;
	}
	for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
		if (algs[i].key_type == type && (!algs[i].group || strcmp(algs[i].group, group) == 0))
			alg = &algs[i];
	if (!alg) {
		const char *sn = OBJ_nid2sn(type);
		snprintf(err, errsz, "unsupported key for JWS (%s%s%s): use P-256, P-384 or RSA",
			 sn ? sn : "unknown type", *group ? " " : "", group);
		return WR_EINVAL;
	}
	if (type == EVP_PKEY_RSA && EVP_PKEY_get_bits(pkey) < 2048) {
		snprintf(err, errsz, "RSA key of %d bits: ACME servers want 2048 or more",
			 EVP_PKEY_get_bits(pkey));
		return WR_EINVAL;
	}

	struct wr_jws_key *k = calloc(1, sizeof *k);
	json_t *jwk = json_object();
	int bad = !k || !jwk;
	if (!bad && type == EVP_PKEY_EC) {
		bad = json_object_set_new(jwk, "kty", json_string("EC")) ||
		      json_object_set_new(jwk, "crv", json_string(alg->crv)) ||
		      set_bn(jwk, "x", pkey, OSSL_PKEY_PARAM_EC_PUB_X, alg->coord) ||
		      set_bn(jwk, "y", pkey, OSSL_PKEY_PARAM_EC_PUB_Y, alg->coord);
	} else if (!bad) {
		bad = json_object_set_new(jwk, "kty", json_string("RSA")) ||
		      set_bn(jwk, "n", pkey, OSSL_PKEY_PARAM_RSA_N, 0) ||
		      set_bn(jwk, "e", pkey, OSSL_PKEY_PARAM_RSA_E, 0);
	}
	if (bad || !EVP_PKEY_up_ref(pkey)) {
		ossl_err(err, errsz, "cannot read the public key");
		json_decref(jwk);
		free(k);
		return WR_ENOMEM;
	}
	k->pkey = pkey;
	k->alg = alg;
	k->jwk = jwk;
	*out = k;
	return 0;
}

/* Never let OpenSSL ask the terminal for a passphrase. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

int wr_jws_key_load(const char *path, struct wr_jws_key **out, char *err, size_t errsz)
{
	*out = NULL;
	BIO *bio = BIO_new_file(path, "r");
	if (!bio) {
		ossl_err(err, errsz, path);
		return WR_ENOENT;
	}
	EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (!pkey) {
		char what[300];
		snprintf(what, sizeof what, "%s: not an unencrypted PEM private key", path);
		ossl_err(err, errsz, what);
		return WR_EINVAL;
	}
	int rc = wr_jws_key_new(pkey, out, err, errsz);
	EVP_PKEY_free(pkey);
	return rc;
}

void wr_jws_key_free(struct wr_jws_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	json_decref(k->jwk);
	free(k);
}

const char *wr_jws_key_alg(const struct wr_jws_key *k) { return k->alg->jws; }
EVP_PKEY *wr_jws_key_pkey(const struct wr_jws_key *k) { return k->pkey; }
const json_t *wr_jws_key_jwk(const struct wr_jws_key *k) { return k->jwk; }

int wr_jws_thumbprint(const struct wr_jws_key *k, char out[44])
{
	/* The JWK holds exactly the required members; sorted keys and no
	 * whitespace is RFC 7638's canonical form. */
	char *s = json_dumps(k->jwk, JSON_COMPACT | JSON_SORT_KEYS);
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (!s)
		return WR_ENOMEM;
	int ok = EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL);
	free(s);
	if (!ok || mdlen != 32)
		return WR_ERROR;
	char *b = wr_b64url_encode(md, 32);
	if (!b)
		return WR_ENOMEM;
	memcpy(out, b, 44); /* 43 characters and the NUL */
	free(b);
	return 0;
}

/* ---- signing -------------------------------------------------------------- */

/* The signature over input in JWS form: RSASSA-PKCS1-v1_5 as is; ECDSA as
 * the fixed-length r||s, not OpenSSL's DER. Allocates *sig. */
static int sign(const struct wr_jws_key *k, const char *input, size_t len,
		unsigned char **sig, size_t *siglen, char *err, size_t errsz)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	size_t derlen = 0;
	int rc = WR_ERROR;

	*sig = NULL;
	if (!ctx || !EVP_DigestSignInit_ex(ctx, NULL, k->alg->md, NULL, NULL, k->pkey, NULL) ||
	    !EVP_DigestSign(ctx, NULL, &derlen, (const unsigned char *)input, len) ||
	    !(der = malloc(derlen)) ||
	    !EVP_DigestSign(ctx, der, &derlen, (const unsigned char *)input, len)) {
		ossl_err(err, errsz, "signing failed");
		goto out;
	}
	if (k->alg->key_type == EVP_PKEY_RSA) {
		*sig = der;
		*siglen = derlen;
		der = NULL;
		rc = 0;
		goto out;
	}
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	size_t c = k->alg->coord;
	unsigned char *rs = es ? malloc(2 * c) : NULL;
	if (!rs || BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, (int)c) < 0 ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + c, (int)c) < 0) {
		ossl_err(err, errsz, "cannot convert the ECDSA signature");
		free(rs);
	} else {
		*sig = rs;
		*siglen = 2 * c;
		rc = 0;
	}
	ECDSA_SIG_free(es);
out:
	free(der);
	EVP_MD_CTX_free(ctx);
	return rc;
}

char *wr_jws_sign(const struct wr_jws_key *k, const char *kid, const char *nonce,
		  const char *url, const char *payload, size_t len, char *err, size_t errsz)
{
	json_t *hdr = json_object();
	char *hjson = NULL, *h64 = NULL, *p64 = NULL, *s64 = NULL, *input = NULL, *out = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;

	if (!hdr || json_object_set_new(hdr, "alg", json_string(k->alg->jws)) ||
	    (kid ? json_object_set_new(hdr, "kid", json_string(kid))
		 : json_object_set(hdr, "jwk", k->jwk)) ||
	    json_object_set_new(hdr, "nonce", json_string(nonce)) ||
	    json_object_set_new(hdr, "url", json_string(url)) ||
	    !(hjson = json_dumps(hdr, JSON_COMPACT)) ||
	    !(h64 = wr_b64url_encode((const unsigned char *)hjson, strlen(hjson))) ||
	    !(p64 = wr_b64url_encode((const unsigned char *)payload, len))) {
		snprintf(err, errsz, "out of memory, or a header value is not UTF-8");
		goto out;
	}
	size_t hl = strlen(h64), pl = strlen(p64);
	if (!(input = malloc(hl + pl + 2))) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	memcpy(input, h64, hl);
	input[hl] = '.';
	memcpy(input + hl + 1, p64, pl + 1);
	if (sign(k, input, hl + 1 + pl, &sig, &siglen, err, errsz))
		goto out;
	if (!(s64 = wr_b64url_encode(sig, siglen))) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	/* Written by hand: three base64url strings need no escaping, and this
	 * runs once per revocation. */
	size_t sl = strlen(s64), n = hl + pl + sl + 48;
	if ((out = malloc(n)))
		snprintf(out, n, "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
			 h64, p64, s64);
	else
		snprintf(err, errsz, "out of memory");
out:
	json_decref(hdr);
	free(hjson);
	free(h64);
	free(p64);
	free(s64);
	free(input);
	free(sig);
	return out;
}
