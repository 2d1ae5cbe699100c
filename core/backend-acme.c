/*
 * backend-acme.c: revocation through an ACME server (RFC 8555 7.6).
 *
 * One POST revokeCert per certificate, {"certificate": base64url(DER),
 * "reason": N}, as a JWS (jws.c) signed either with the account key (kid:
 * the account URL, found at open by newAccount {"onlyReturnExisting":
 * true}) or, when there is no account key, with the certificate's own key
 * (jwk), read from cert_key_dir. Requests run through one curl multi
 * handle, with at most [acme] concurrency transfers in flight; the
 * handle's connection cache (and HTTP/2 multiplexing when the server
 * offers it) reuses connections.
 *
 * [acme] settings:
 *   directory     the directory URL (https only)
 *   ca_bundle     PEM file of roots to trust for the server's TLS
 *                 certificate (default: the system's)
 *   account_key   PEM private key of the account that issued the
 *                 certificates (ES256, ES384 or RS256)
 *   cert_key_dir  directory of the certificates' own private keys, used
 *                 without account_key, and as a fallback when the server
 *                 says the account may not revoke a certificate. A key is
 *                 found as SERIAL.key, the serial in hex as warroom prints
 *                 it (upper-case, even length, no leading 00; lower-case
 *                 works too), else as SHA256.key, the lower-case hex
 *                 SHA-256 of the certificate's DER (its fingerprint). A
 *                 key that does not match the certificate is refused.
 *   concurrency   transfers in flight, 1 to 64 (default 8)
 *
 * Nonces: every response's Replay-Nonce goes to a small pool; a transfer
 * that finds the pool empty first asks newNonce (HEAD). badNonce is
 * retried with the nonce of that very answer, a few times. Answers: 200
 * is revoked; alreadyRevoked counts as revoked; any other problem (or a
 * timeout, or a 5xx) fails the certificate with the problem's type and
 * detail, made printable ASCII: the server's text is untrusted. The whole
 * batch fails only when the server cannot be reached (a connection fails
 * twice, or three transfers in a row time out without an answer): the
 * engine then submits the batch again on the next run, and what was done
 * comes back alreadyRevoked. Never prints, never touches the database.
 */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "jws.h"

#define ACME_ERR "urn:ietf:params:acme:error:"
#define MAX_BODY (64 * 1024)  /* answers are small; never buffer more */
#define MAX_NONCE 200	      /* bytes of one nonce we keep */
#define NONCE_TRIES 5	      /* badNonce retries per request */
#define CONN_TRIES 2	      /* connection failures per request before "unreachable" */
#define SILENT_MAX 3	      /* answerless transfers in a row before "unreachable" */
#define CONNECT_TIMEOUT 10L   /* seconds */
#define REQUEST_TIMEOUT 60L

struct buf {
	struct wr_buf b;
	bool over; /* more than MAX_BODY came; the rest was dropped */
};

enum xstate { X_IDLE, X_NONCE, X_POST };

/* A slot carries one certificate through its requests: newNonce when the
 * pool is empty, then revokeCert, again after badNonce. */
struct slot {
	CURL *easy;
	enum xstate state;
	struct buf in;
	char errbuf[CURL_ERROR_SIZE];
	char *payload; /* the revokeCert payload of this item */
	char *jws;     /* the body in flight; curl reads it from here */
	size_t item;
	int bad_nonces;	/* badNonce answers to this item's posts */
	int nonce_asks; /* newNonce requests since the pool ran dry */
	int conn_tries;
	struct wr_jws_key *certkey; /* the certificate's own key, when signing with it */
	bool own_key;		    /* this item is signed with certkey (jwk) */
	bool tried_own_key;
};

struct wr_backend {
	struct wr_db *db;
	char *directory, *new_nonce, *new_account, *revoke_cert;
	char *ca_bundle, *cert_key_dir;
	struct wr_jws_key *account; /* NULL: each certificate's own key */
	char *kid;		    /* the account URL */
	int concurrency;
	CURLM *multi;
	struct curl_slist *jose; /* Content-Type: application/jose+json */
	char ua[96];
	struct slot *slots;
	/* The nonce pool: a ring; the newest is used first. */
	char (*nonces)[MAX_NONCE + 1];
	size_t nonce_cap, nonce_head, nonce_n;
	bool global_init;
};

/* ---- small helpers ---------------------------------------------------------- */

/* Untrusted text (len bytes, NULs included) into dst as printable ASCII,
 * '?' for anything else; cut with "..." when it does not fit. */
static void sanitize(char *dst, size_t dstsz, const char *src, size_t len)
{
	size_t j = 0, i;

	if (!dstsz)
		return;
	for (i = 0; i < len && j + 1 < dstsz; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[j++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[j] = '\0';
	if (i < len && dstsz > 4)
		memcpy(dst + dstsz - 4, "...", 4);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct buf *b = ctx;
	size_t n = size * nmemb;

	if (b->b.len + n > MAX_BODY) {
		b->over = true;
		return n;
	}
	return wr_buf_put(&b->b, data, n) ? n : 0; /* 0: CURLE_WRITE_ERROR */
}

static void buf_reset(struct buf *b)
{
	wr_buf_free(&b->b);
	b->over = false;
}

/* A header's value, or NULL. Borrowed until the handle's next transfer. */
static const char *header(CURL *e, const char *name)
{
	struct curl_header *h;

	if (curl_easy_header(e, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return NULL;
	return h->value;
}

static bool nonce_ok(const char *s)
{
	size_t n = 0;

	/* RFC 8555 6.5.1: base64url; anything else is not kept. */
	for (; s[n]; n++)
		if (!((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z') ||
		      (s[n] >= '0' && s[n] <= '9') || s[n] == '-' || s[n] == '_'))
			return false;
	return n > 0 && n <= MAX_NONCE;
}

static void nonce_push(struct wr_backend *b, const char *s)
{
	if (!s || !nonce_ok(s))
		return;
	if (b->nonce_n == b->nonce_cap) { /* full: the oldest goes */
		b->nonce_head = (b->nonce_head + 1) % b->nonce_cap;
		b->nonce_n--;
	}
	strcpy(b->nonces[(b->nonce_head + b->nonce_n) % b->nonce_cap], s);
	b->nonce_n++;
}

/* The newest nonce into out; false when the pool is empty. */
static bool nonce_pop(struct wr_backend *b, char out[MAX_NONCE + 1])
{
	if (!b->nonce_n)
		return false;
	b->nonce_n--;
	strcpy(out, b->nonces[(b->nonce_head + b->nonce_n) % b->nonce_cap]);
	return true;
}

/* Connection-level failures: the request never reached the server. */
static bool unreachable(CURL *e, CURLcode rc)
{
	curl_off_t t = 0;

	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return true;
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(e, CURLINFO_APPCONNECT_TIME_T, &t);
		return t == 0;
	default:
		return false;
	}
}

static void curl_msg(char *dst, size_t dstsz, CURL *e, CURLcode rc, const char *errbuf)
{
	char url_s[200] = "";
	char *url = NULL;

	curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &url);
	if (url)
		sanitize(url_s, sizeof url_s, url, strlen(url));
	const char *why = errbuf && *errbuf ? errbuf : curl_easy_strerror(rc);
	char tmp[CURL_ERROR_SIZE + 256];
	snprintf(tmp, sizeof tmp, "%s: %s", url_s, why);
	sanitize(dst, dstsz, tmp, strlen(tmp));
}

/* The problem document's "type: detail (HTTP status)", the type without
 * the ACME prefix, sanitized, into dst; *type_out gets the full type
 * (borrowed from *doc, which the caller frees). */
static void problem(const struct buf *in, long status, json_t **doc, const char **type_out,
		    char *dst, size_t dstsz)
{
	json_error_t je;
	json_t *t = NULL, *d = NULL;

	/* JSON_ALLOW_NUL: a "\u0000" in the server's text must not cost
	 * us the problem's type. */
	*doc = in->b.p && !in->over ? json_loadb(in->b.p, in->b.len, JSON_ALLOW_NUL, &je) : NULL;
	if (json_is_object(*doc)) {
		t = json_object_get(*doc, "type");
		d = json_object_get(*doc, "detail");
	}
	*type_out = json_string_value(t);
	if (!*type_out) {
		snprintf(dst, dstsz, "HTTP %ld from the ACME server, without a problem document",
			 status);
		return;
	}
	const char *tp = *type_out;
	size_t tl = json_string_length(t), pl = strlen(ACME_ERR);
	if (tl > pl && strncmp(tp, ACME_ERR, pl) == 0)
		tp += pl, tl -= pl;
	char ts[96], suffix[32], ds[256] = "";
	sanitize(ts, sizeof ts, tp, tl);
	snprintf(suffix, sizeof suffix, " (HTTP %ld)", status);
	/* The detail gets what room is left, so the status always shows. */
	size_t room = strlen(ts) + strlen(suffix) + 3 < dstsz ? dstsz - strlen(ts) - strlen(suffix) - 2 : 0;
	if (json_is_string(d) && room > 4)
		sanitize(ds, room < sizeof ds ? room : sizeof ds, json_string_value(d),
			 json_string_length(d));
	snprintf(dst, dstsz, "%s%s%s%s", ts, *ds ? ": " : "", ds, suffix);
}

static bool problem_is(const char *type, const char *what)
{
	return type && strncmp(type, ACME_ERR, strlen(ACME_ERR)) == 0 &&
	       strcmp(type + strlen(ACME_ERR), what) == 0;
}

/* ---- transfers -------------------------------------------------------------- */

static CURL *easy_new(struct wr_backend *b, struct buf *in, char *errbuf, void *priv)
{
	CURL *e = curl_easy_init();

	if (!e)
		return NULL;
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, b->ua);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, REQUEST_TIMEOUT);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, in);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, priv);
	/* New transfers wait for a connection that may multiplex rather
	 * than open one each. */
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	if (b->ca_bundle)
		curl_easy_setopt(e, CURLOPT_CAINFO, b->ca_bundle);
	return e;
}

static void easy_head(CURL *e, const char *url)
{
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(e, CURLOPT_URL, url);
}

static void easy_post(struct wr_backend *b, CURL *e, const char *url, const char *body)
{
	curl_easy_setopt(e, CURLOPT_NOBODY, 0L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, b->jose);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(e, CURLOPT_URL, url);
}

/* Runs one transfer to its end on the shared multi handle (so its
 * connection is reused by the batch). */
static CURLcode run_one(struct wr_backend *b, CURL *e)
{
	CURLcode res = CURLE_FAILED_INIT;
	CURLMsg *m;
	int running = 1, left;
	bool done = false;

	if (curl_multi_add_handle(b->multi, e) != CURLM_OK)
		return CURLE_FAILED_INIT;
	while (!done) {
		if (curl_multi_perform(b->multi, &running) != CURLM_OK)
			break;
		while ((m = curl_multi_info_read(b->multi, &left)))
			if (m->msg == CURLMSG_DONE && m->easy_handle == e) {
				res = m->data.result;
				done = true;
			}
		if (!done && curl_multi_poll(b->multi, NULL, 0, 1000, NULL) != CURLM_OK)
			break;
	}
	curl_multi_remove_handle(b->multi, e);
	return res;
}

/* ---- open ------------------------------------------------------------------- */

static int get_directory(struct wr_backend *b, char *err, size_t errsz)
{
	struct buf in = {0};
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *e = easy_new(b, &in, errbuf, NULL);
	json_t *dir = NULL;
	json_error_t je;
	long status = 0;
	int rc = WR_EIO;

	if (!e)
		return WR_ENOMEM;
	curl_easy_setopt(e, CURLOPT_URL, b->directory);
	CURLcode res = run_one(b, e);
	if (res != CURLE_OK) {
		char m[256];
		curl_msg(m, sizeof m, e, res, errbuf);
		snprintf(err, errsz, "cannot reach the ACME server: %s", m);
		goto out;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200 || in.over || !(dir = json_loadb(in.b.p ? in.b.p : "", in.b.len, 0, &je)) ||
	    !json_is_object(dir)) {
		snprintf(err, errsz, "%s: HTTP %ld, not an ACME directory", b->directory, status);
		goto out;
	}
	static const struct {
		const char *name;
		size_t off;
	} urls[] = {
		{"newNonce", offsetof(struct wr_backend, new_nonce)},
		{"newAccount", offsetof(struct wr_backend, new_account)},
		{"revokeCert", offsetof(struct wr_backend, revoke_cert)},
	};
	for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		const char *u = json_string_value(json_object_get(dir, urls[i].name));
		if (!u || strncmp(u, "https://", 8) != 0) {
			snprintf(err, errsz, "the ACME directory has no https %s URL", urls[i].name);
			goto out;
		}
		char **slot = (char **)((char *)b + urls[i].off);
		if (!(*slot = strdup(u))) {
			rc = WR_ENOMEM;
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(dir);
	buf_reset(&in);
	curl_easy_cleanup(e);
	return rc;
}

/* HEAD newNonce on e until a usable nonce comes (a few tries); it goes
 * to the pool. */
static int fetch_nonce(struct wr_backend *b, CURL *e, struct buf *in, const char *errbuf,
		       char *err, size_t errsz)
{
	for (int tries = 0; tries <= NONCE_TRIES; tries++) {
		buf_reset(in);
		easy_head(e, b->new_nonce);
		CURLcode res = run_one(b, e);
		if (res != CURLE_OK) {
			char m[256];
			curl_msg(m, sizeof m, e, res, errbuf);
			snprintf(err, errsz, "cannot reach the ACME server: %s", m);
			return WR_EIO;
		}
		const char *n = header(e, "Replay-Nonce");
		if (n && nonce_ok(n)) {
			nonce_push(b, n);
			return 0;
		}
	}
	snprintf(err, errsz, "newNonce gave no usable Replay-Nonce");
	return WR_EIO;
}

/* The account URL of the account key: newAccount with onlyReturnExisting
 * (RFC 8555 7.3.1) answers with it in Location, creating nothing. */
static int find_account(struct wr_backend *b, char *err, size_t errsz)
{
	static const char payload[] = "{\"onlyReturnExisting\":true}";
	struct buf in = {0};
	char errbuf[CURL_ERROR_SIZE] = "", nonce[MAX_NONCE + 1];
	CURL *e = easy_new(b, &in, errbuf, NULL);
	char *jws = NULL;
	int rc = WR_EIO;

	if (!e)
		return WR_ENOMEM;
	for (int tries = 0;; tries++) {
		if (!nonce_pop(b, nonce)) {
			if ((rc = fetch_nonce(b, e, &in, errbuf, err, errsz)))
				goto out;
			nonce_pop(b, nonce);
		}
		free(jws);
		if (!(jws = wr_jws_sign(b->account, NULL, nonce, b->new_account, payload,
					sizeof payload - 1, err, errsz))) {
			rc = WR_ERROR;
			goto out;
		}
		buf_reset(&in);
		easy_post(b, e, b->new_account, jws);
		CURLcode res = run_one(b, e);
		if (res != CURLE_OK) {
			char m[256];
			curl_msg(m, sizeof m, e, res, errbuf);
			snprintf(err, errsz, "cannot reach the ACME server: %s", m);
			rc = WR_EIO;
			goto out;
		}
		nonce_push(b, header(e, "Replay-Nonce"));
		long status = 0;
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
		if (status == 200 || status == 201) {
			const char *loc = header(e, "Location");
			if (!loc || strncmp(loc, "https://", 8) != 0) {
				snprintf(err, errsz, "newAccount answered without an account URL");
				rc = WR_EIO;
			} else {
				rc = (b->kid = strdup(loc)) ? 0 : WR_ENOMEM;
			}
			goto out;
		}
		json_t *doc;
		const char *type;
		char why[256];
		problem(&in, status, &doc, &type, why, sizeof why);
		bool retry = problem_is(type, "badNonce") && tries < NONCE_TRIES;
		bool none = problem_is(type, "accountDoesNotExist");
		json_decref(doc);
		if (retry)
			continue;
		snprintf(err, errsz, "%s%s", none ? "the account key has no account here: " : "",
			 why);
		rc = none ? WR_ENOENT : WR_EIO;
		goto out;
	}
out:
	free(jws);
	buf_reset(&in);
	curl_easy_cleanup(e);
	return rc;
}

static void acme_close(struct wr_backend *b);

static int acme_open(struct wr_db *db, const struct wr_config *cfg, struct wr_backend **out,
		     char *err, size_t errsz)
{
	const char *where = wr_config_path(cfg) ? wr_config_path(cfg) : "the configuration";
	const char *dir = wr_config_get(cfg, "acme", "directory");
	char path[4096];
	int64_t conc = wr_config_int(cfg, "acme", "concurrency", 8);
	struct wr_backend *b;
	int rc;

	*out = NULL;
	if (errsz)
		*err = '\0';
	if (!dir || strncmp(dir, "https://", 8) != 0) {
		snprintf(err, errsz, "[acme] directory must be set to the server's https URL in %s",
			 where);
		return WR_EINVAL;
	}
	if (conc < 1 || conc > 64) {
		snprintf(err, errsz, "[acme] concurrency must be 1 to 64, not %lld", (long long)conc);
		return WR_EINVAL;
	}
	if (!wr_config_get(cfg, "acme", "account_key") &&
	    !wr_config_get(cfg, "acme", "cert_key_dir")) {
		snprintf(err, errsz,
			 "[acme] needs account_key (the issuing account's key) or cert_key_dir "
			 "(the certificates' own keys) in %s",
			 where);
		return WR_EINVAL;
	}
	if (!(b = calloc(1, sizeof *b)))
		return WR_ENOMEM;
	b->db = db;
	b->concurrency = (int)conc;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errsz, "libcurl failed to initialize");
		free(b);
		return WR_ERROR;
	}
	b->global_init = true;
	rc = WR_ENOMEM;
	if (!(b->directory = strdup(dir)))
		goto fail;
	if (wr_config_file(cfg, "acme", "ca_bundle", path, sizeof path) &&
	    !(b->ca_bundle = strdup(path)))
		goto fail;
	if (wr_config_file(cfg, "acme", "cert_key_dir", path, sizeof path) &&
	    !(b->cert_key_dir = strdup(path)))
		goto fail;
	/* The account key is a secret: refused when others can read it. */
	if (wr_config_get(cfg, "acme", "account_key") &&
	    (!wr_config_secret_file(cfg, "acme", "account_key", path, sizeof path, err, errsz) ||
	     (rc = wr_jws_key_load(path, &b->account, err, errsz)))) {
		if (!rc)
			rc = WR_EPERM;
		goto fail;
	}
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	snprintf(b->ua, sizeof b->ua, "warroom libcurl/%s", v ? v->version : "?");
	b->nonce_cap = (size_t)conc * 2 + 8;
	rc = WR_ENOMEM;
	if (!(b->nonces = calloc(b->nonce_cap, sizeof *b->nonces)) ||
	    !(b->slots = calloc((size_t)conc, sizeof *b->slots)) || !(b->multi = curl_multi_init()) ||
	    !(b->jose = curl_slist_append(NULL, "Content-Type: application/jose+json")))
		goto fail;
	curl_multi_setopt(b->multi, CURLMOPT_MAXCONNECTS, conc + 4L);
	curl_multi_setopt(b->multi, CURLMOPT_MAX_HOST_CONNECTIONS, conc);
	for (int i = 0; i < b->concurrency; i++) {
		struct slot *s = &b->slots[i];
		if (!(s->easy = easy_new(b, &s->in, s->errbuf, s)))
			goto fail;
	}
	if ((rc = get_directory(b, err, errsz)))
		goto fail;
	if (b->account && (rc = find_account(b, err, errsz)))
		goto fail;
	*out = b;
	return 0;
fail:
	if (rc == WR_ENOMEM && !*err)
		snprintf(err, errsz, "out of memory");
	acme_close(b);
	return rc;
}

static void acme_close(struct wr_backend *b)
{
	if (!b)
		return;
	for (int i = 0; b->slots && i < b->concurrency; i++) {
		struct slot *s = &b->slots[i];
		if (s->easy) {
			if (b->multi)
				curl_multi_remove_handle(b->multi, s->easy);
			curl_easy_cleanup(s->easy);
		}
		buf_reset(&s->in);
		free(s->payload);
		free(s->jws);
		wr_jws_key_free(s->certkey);
	}
	free(b->slots);
	if (b->multi)
		curl_multi_cleanup(b->multi);
	curl_slist_free_all(b->jose);
	free(b->nonces);
	wr_jws_key_free(b->account);
	free(b->kid);
	free(b->directory);
	free(b->new_nonce);
	free(b->new_account);
	free(b->revoke_cert);
	free(b->ca_bundle);
	free(b->cert_key_dir);
	if (b->global_init)
		curl_global_cleanup();
	free(b);
}

/* ---- revoke ----------------------------------------------------------------- */

/* The certificate's own key from cert_key_dir (see the top of the file).
 * 0 and *out, or an error in err. */
static int own_key(struct wr_backend *b, const struct wr_rv_item *it, struct wr_jws_key **out,
		   char *err, size_t errsz)
{
	char names[3][132], path[4096], hex[65];
	unsigned char md[32];
	unsigned int mdlen = 0;
	const unsigned char *p = it->der;
	struct wr_jws_key *k = NULL;
	int rc = WR_ENOENT;

	*out = NULL;
	snprintf(names[0], sizeof names[0], "%s", it->serial);
	for (size_t i = 0; i <= strlen(names[0]); i++)
		names[1][i] = (char)(names[0][i] >= 'A' && names[0][i] <= 'F' ? names[0][i] + 32
									     : names[0][i]);
	if (!EVP_Digest(it->der, it->der_len, md, &mdlen, EVP_sha256(), NULL))
		return WR_ERROR;
	wr_hex(md, 32, hex);
	snprintf(names[2], sizeof names[2], "%s", hex);
	int i;
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s.key", b->cert_key_dir, names[i]);
		if ((rc = wr_jws_key_load(path, &k, err, errsz)) != WR_ENOENT)
			break;
	}
	if (rc == WR_ENOENT) {
		snprintf(err, errsz, "no key for this certificate in cert_key_dir (%s.key or %s.key)",
			 it->serial, hex);
		return rc;
	}
	if (rc)
		return rc;
	X509 *x = d2i_X509(NULL, &p, (long)it->der_len);
	EVP_PKEY *pub = x ? X509_get0_pubkey(x) : NULL;
	if (!pub || EVP_PKEY_eq(pub, wr_jws_key_pkey(k)) != 1) {
		snprintf(err, errsz, "cert_key_dir: %.140s.key does not match the certificate",
			 names[i]);
		wr_jws_key_free(k);
		X509_free(x);
		return WR_EINVAL;
	}
	X509_free(x);
	*out = k;
	return 0;
}

struct run {
	struct wr_backend *b;
	struct wr_rv_item *items;
	size_t n, next, active;
	int silent;	  /* transfers in a row that ended without an answer */
	bool down;	  /* the server cannot be reached: stop */
	char down_why[256];
};

static void item_fail(struct wr_rv_item *it, const char *fmt, const char *why)
{
	snprintf(it->error, sizeof it->error, fmt, why);
	it->status = WR_RV_FAILED;
}

static void slot_clear(struct slot *s)
{
	free(s->payload);
	free(s->jws);
	wr_jws_key_free(s->certkey);
	s->payload = s->jws = NULL;
	s->certkey = NULL;
	s->state = X_IDLE;
}

static void slot_finish(struct run *r, struct slot *s)
{
	slot_clear(s);
	r->active--;
}

static bool slot_add(struct run *r, struct slot *s, enum xstate st)
{
	buf_reset(&s->in);
	s->errbuf[0] = '\0';
	if (curl_multi_add_handle(r->b->multi, s->easy) != CURLM_OK) {
		item_fail(&r->items[s->item], "%s", "libcurl refused the transfer");
		slot_finish(r, s);
		return false;
	}
	s->state = st;
	return true;
}

/* Signs the item's payload with a fresh nonce and posts it; without a
 * nonce in the pool, asks newNonce first. */
static void slot_post(struct run *r, struct slot *s)
{
	struct wr_backend *b = r->b;
	struct wr_rv_item *it = &r->items[s->item];
	char nonce[MAX_NONCE + 1], err[256] = "";

	if (!nonce_pop(b, nonce)) {
		/* Each post gets its own newNonce budget: a server that kept
		 * saying badNonce must fail on that, not on an empty pool. */
		s->nonce_asks = 0;
		easy_head(s->easy, b->new_nonce);
		slot_add(r, s, X_NONCE);
		return;
	}
	free(s->jws);
	s->jws = s->own_key ? wr_jws_sign(s->certkey, NULL, nonce, b->revoke_cert, s->payload,
					  strlen(s->payload), err, sizeof err)
			    : wr_jws_sign(b->account, b->kid, nonce, b->revoke_cert, s->payload,
					  strlen(s->payload), err, sizeof err);
	if (!s->jws) {
		item_fail(it, "signing: %s", err);
		slot_finish(r, s);
		return;
	}
	easy_post(b, s->easy, b->revoke_cert, s->jws);
	slot_add(r, s, X_POST);
}

/* Starts item i on slot s; false when the item failed before any request. */
static bool slot_start(struct run *r, struct slot *s, size_t i)
{
	struct wr_backend *b = r->b;
	struct wr_rv_item *it = &r->items[i];
	char err[256] = "";

	s->item = i;
	s->bad_nonces = s->nonce_asks = s->conn_tries = 0;
	s->own_key = s->tried_own_key = false;
	it->status = WR_RV_TODO;
	it->error[0] = '\0';
	if (!b->account) {
		if (own_key(b, it, &s->certkey, err, sizeof err)) {
			item_fail(it, "%s", err);
			return false;
		}
		s->own_key = s->tried_own_key = true;
	}
	char *cert = wr_b64url_encode(it->der, it->der_len);
	size_t n = cert ? strlen(cert) + 64 : 0;
	if (!cert || !(s->payload = malloc(n))) {
		free(cert);
		item_fail(it, "%s", "out of memory");
		slot_clear(s);
		return false;
	}
	/* RFC 8555 7.6: no "reason" at all when the CRL entry has none. */
	if (it->crl_reason == WR_CRL_OMIT)
		snprintf(s->payload, n, "{\"certificate\":\"%s\"}", cert);
	else
		snprintf(s->payload, n, "{\"certificate\":\"%s\",\"reason\":%d}", cert,
			 it->crl_reason);
	free(cert);
	r->active++;
	slot_post(r, s);
	return true;
}

static void on_done(struct run *r, struct slot *s, CURLcode res)
{
	struct wr_backend *b = r->b;
	struct wr_rv_item *it = &r->items[s->item];
	enum xstate st = s->state;
	long status = 0;

	curl_multi_remove_handle(b->multi, s->easy);
	s->state = X_IDLE;
	if (res != CURLE_OK) {
		char m[256];
		curl_msg(m, sizeof m, s->easy, res, s->errbuf);
		bool conn = unreachable(s->easy, res);
		if (conn && ++s->conn_tries < CONN_TRIES) { /* once more, on a new connection */
			if (st == X_NONCE)
				slot_add(r, s, X_NONCE);
			else
				slot_post(r, s);
			return;
		}
		/* A server that cannot be reached, or that stops answering
		 * (timeouts one after another), fails the batch as a whole
		 * rather than each certificate after its own wait. */
		if ((conn || ++r->silent >= SILENT_MAX) && !r->down) {
			r->down = true;
			snprintf(r->down_why, sizeof r->down_why, "%s%.200s",
				 conn ? "" : "it stopped answering: ", m);
		}
		item_fail(it, "%s", m);
		slot_finish(r, s);
		return;
	}
	r->silent = 0;
	nonce_push(b, header(s->easy, "Replay-Nonce"));
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	if (st == X_NONCE) {
		if (status != 200 && status != 204) {
			char m[64];
			snprintf(m, sizeof m, "newNonce answered HTTP %ld", status);
			item_fail(it, "%s", m);
			slot_finish(r, s);
		} else if (!b->nonce_n && ++s->nonce_asks < NONCE_TRIES) {
			slot_add(r, s, X_NONCE); /* ask again */
		} else if (!b->nonce_n) {
			item_fail(it, "%s", "newNonce gave no usable Replay-Nonce");
			slot_finish(r, s);
		} else {
			slot_post(r, s);
		}
		return;
	}
	if (status == 200) {
		it->status = WR_RV_REVOKED;
		it->revoked_at = wr_clock_now(b->db);
		slot_finish(r, s);
		return;
	}
	json_t *doc;
	const char *type;
	char why[256], err[256];
	problem(&s->in, status, &doc, &type, why, sizeof why);
	if (problem_is(type, "badNonce") && s->bad_nonces++ < NONCE_TRIES) {
		json_decref(doc);
		slot_post(r, s);
		return;
	}
	if (problem_is(type, "alreadyRevoked")) {
		it->status = WR_RV_ALREADY;
		slot_finish(r, s);
	} else if (problem_is(type, "unauthorized") && !s->tried_own_key && b->cert_key_dir &&
		   own_key(b, it, &s->certkey, err, sizeof err) == 0) {
		/* The account did not issue it: the certificate's own key may. */
		s->own_key = s->tried_own_key = true;
		s->bad_nonces = 0;
		slot_post(r, s);
	} else {
		item_fail(it, "%s", why);
		slot_finish(r, s);
	}
	json_decref(doc);
}

static int acme_revoke(struct wr_backend *b, struct wr_rv_item *items, size_t n, char *err,
		       size_t errsz)
{
	struct run r = {.b = b, .items = items, .n = n};
	CURLMsg *m;
	int running, left;

	for (;;) {
		/* Fill idle slots, unless the server is gone. */
		for (int i = 0; i < b->concurrency && !r.down && r.next < n; i++)
			if (b->slots[i].state == X_IDLE && !b->slots[i].payload)
				while (r.next < n && !slot_start(&r, &b->slots[i], r.next++))
					;
		if (!r.active)
			break;
		if (curl_multi_perform(b->multi, &running) != CURLM_OK)
			break;
		while ((m = curl_multi_info_read(b->multi, &left))) {
			char *priv = NULL;
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
			if (priv)
				on_done(&r, (struct slot *)(void *)priv, m->data.result);
		}
		if (r.active && curl_multi_poll(b->multi, NULL, 0, 1000, NULL) != CURLM_OK)
			break;
	}
	if (r.active) {
		/* libcurl itself failed: nothing is known of what was in flight. */
		for (int i = 0; i < b->concurrency; i++) {
			curl_multi_remove_handle(b->multi, b->slots[i].easy);
			slot_clear(&b->slots[i]);
		}
		snprintf(err, errsz, "libcurl failed");
		return WR_ERROR;
	}
	if (r.down) {
		/* Some items may have been revoked before the server went away;
		 * the engine submits them all again and those answer
		 * alreadyRevoked. */
		snprintf(err, errsz, "cannot reach the ACME server: %s", r.down_why);
		return WR_EIO;
	}
	return 0;
}

const struct wr_backend_class wr_backend_acme = {
	.name = "acme",
	.open = acme_open,
	.revoke = acme_revoke,
	.publish = NULL,
	.close = acme_close,
};
