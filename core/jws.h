/*
 * jws.h: JSON Web Signatures as ACME uses them (core-internal).
 *
 * RFC 7515 in the flattened JSON serialization, protected header only
 * (RFC 8555 6.2): {"protected": B64(header), "payload": B64(payload),
 * "signature": B64(sig)}, the header holding alg, nonce, url and either kid
 * (the account URL) or jwk (the public key itself). Keys are OpenSSL keys:
 * P-256 signs ES256, P-384 ES384 (r||s, not DER, RFC 7518 3.4), RSA signs
 * RS256. No network, no files beyond wr_jws_key_load: unit-testable.
 */
#ifndef WR_JWS_H
#define WR_JWS_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>

/* base64url without padding (RFC 7515 2). Both allocate; NULL when out of
 * memory or, for decode, when in is not strict unpadded base64url. */
char *wr_b64url_encode(const unsigned char *in, size_t len);
unsigned char *wr_b64url_decode(const char *in, size_t len, size_t *outlen);

struct wr_jws_key;
/* Takes a reference to pkey (the caller keeps its own). WR_EINVAL for a
 * key type or curve JWS cannot sign with here. */
int wr_jws_key_new(EVP_PKEY *pkey, struct wr_jws_key **out, char *err, size_t errsz);
/* Reads a PEM private key (never prompts for a passphrase). */
int wr_jws_key_load(const char *path, struct wr_jws_key **out, char *err, size_t errsz);
void wr_jws_key_free(struct wr_jws_key *k);
const char *wr_jws_key_alg(const struct wr_jws_key *k); /* "ES256", "RS256" */
EVP_PKEY *wr_jws_key_pkey(const struct wr_jws_key *k);	/* borrowed */
/* The public JWK (RFC 7517): EC kty, crv, x, y; RSA kty, n, e. Borrowed. */
const json_t *wr_jws_key_jwk(const struct wr_jws_key *k);
/* RFC 7638 thumbprint: base64url(SHA-256(required members, sorted, no
 * whitespace)); out holds 44 bytes. */
int wr_jws_thumbprint(const struct wr_jws_key *k, char out[44]);

/*
 * Signs payload (len bytes; "" for POST-as-GET) for url with nonce. kid is
 * the account URL, or NULL to embed the JWK instead (newAccount, and
 * revokeCert signed with the certificate's own key). Returns the flattened
 * JWS as malloc'd compact JSON, or NULL with err set.
 */
char *wr_jws_sign(const struct wr_jws_key *k, const char *kid, const char *nonce,
		  const char *url, const char *payload, size_t len, char *err, size_t errsz);

#endif
