/*
 * verify.c: proof of publication.
 *
 * Owns the check that what the incident recorded as revoked is what a
 * relying party can see: the CRLs (fetched over HTTP, signature and dates
 * against the issuer, every revoked certificate listed with the right
 * CRLReason) and the OCSP responder (a sample must answer "revoked", with
 * the CRL's reason), and the record of each run: cert.on_crl and
 * cert.ocsp_revoked, one row of the publication table and one "verify"
 * event, in one transaction.
 *
 * A relying party fetches one CRL, the one the certificate's CRL
 * Distribution Point names, and reads its scope in the Issuing
 * Distribution Point. So being on some CRL is not enough: each CRL must
 * say it is the CRL of the URL it came from, each serial must be on its
 * own shard, and CRL numbers must only grow from one run to the next
 * (the numbers seen are kept in the publication row's details).
 *
 * It must not revoke anything or talk to a backend: it reads only what the
 * world reads. Everything fetched is untrusted: parsed by OpenSSL only,
 * capped in size before it is kept, and sanitized before any of it goes
 * into a message. The database is never written while a transfer runs.
 *
 * The imported certificates are untrusted too: anyone can write a
 * certificate with the issuer's name and a CRL Distribution Point or OCSP
 * URL of their choosing, and have verify request it from inside the CA.
 * So a URL is taken from a certificate only when the certificate's
 * signature verifies with the issuer's key, and only an http:// one (BR
 * 7.1.2: these URLs are plain HTTP); the operator's --crl-url and
 * --ocsp-url are always used as given.
 */
#include <curl/curl.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "verify.h"

#define SKEW 300		       /* seconds of clock skew forgiven */
#define MAX_VALIDITY (10 * 86400)      /* BR 4.9.7, 4.9.10: at most 10 days */
#define DATE_SLACK 86400	       /* CRL revocation date vs revoked_at */
#define MAX_SERIAL 21		       /* octets kept per serial (RFC 5280: 20) */
#define DEFAULT_TIMEOUT 60L
#define DEFAULT_MAX_BYTES ((size_t)256 << 20)
#define MAX_LIST_BYTES ((size_t)4 << 20) /* crls.txt */
#define MAX_LIST_NAMES 100000
#define MAX_OCSP_BYTES ((size_t)1 << 20)
#define MAX_CDP_URLS 4096	       /* distinct CRL URLs taken from certificates */
#define MAX_CDP_PER_CERT 4
#define OCSP_GIVE_UP 3		       /* consecutive transport failures */
#define DETAIL_PROBLEMS 20
#define DETAIL_CRLS 1024
#define DETAIL_NUMBERS 8192	       /* CRL URLs whose numbers are remembered */
#define UPDATE_BATCH 256
#define URL_SHOWN 300		       /* bytes of a URL put in a message */

static const char *const kind_names[] = {
	[WR_VP_FETCH] = "fetch",	 [WR_VP_PARSE] = "parse",
	[WR_VP_SIGNATURE] = "signature", [WR_VP_ISSUER] = "issuer",
	[WR_VP_DATES] = "dates",	 [WR_VP_EXTENSION] = "extension",
	[WR_VP_MISSING] = "missing",	 [WR_VP_REASON] = "reason",
	[WR_VP_DATE] = "date",		 [WR_VP_OCSP] = "ocsp",
	[WR_VP_SOURCE] = "source",	 [WR_VP_SCOPE] = "scope",
	[WR_VP_SHARD] = "shard",	 [WR_VP_ROLLBACK] = "rollback",
};

const char *wr_verify_kind_name(int kind)
{
	if (kind > 0 && kind < (int)(sizeof kind_names / sizeof kind_names[0]) && kind_names[kind])
		return kind_names[kind];
	return "problem";
}

/* ---- messages ------------------------------------------------------------- */

/* Valid UTF-8, at most max bytes of s (then "..."); malloc'd. */
static char *clean(const char *s, size_t max)
{
	size_t n = strlen(s);
	char *t = wr_utf8_sanitize(s, n > max ? max : n);

	if (t && n > max) {
		size_t k = strlen(t);
		char *u = malloc(k + 4);
		if (u) {
			memcpy(u, t, k);
			memcpy(u + k, "...", 4);
		}
		free(t);
		t = u;
	}
	return t;
}

static void vemit(wr_verify_problem_cb cb, void *ctx, int kind, const char *serial,
		  const char *url, bool note, const char *fmt, va_list ap)
{
	char buf[1024];
	char *what, *u = NULL;

	if (!cb)
		return;
	vsnprintf(buf, sizeof buf, fmt, ap);
	what = wr_utf8_sanitize(buf, strlen(buf));
	if (url)
		u = clean(url, URL_SHOWN);
	struct wr_verify_problem p = {kind, serial, u, what ? what : "(out of memory)", note};
	cb(&p, ctx);
	free(what);
	free(u);
}

static int64_t asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

static const char *reason_label(int r, char buf[48])
{
	if (r == WR_CRL_OMIT)
		return "no reasonCode (unspecified)";
	if (r == WR_CRL_BAD)
		return "a malformed or repeated reasonCode";
	snprintf(buf, 48, "%s (%d)", wr_crl_reason_name(r), r);
	return buf;
}

/* What is expected, said the way the CRL should say it. */
static const char *expected_label(int r, char buf[48])
{
	if (r == WR_CRL_OMIT || r == 0)
		return "no reasonCode (unspecified)";
	return reason_label(r, buf);
}

int wr_crl_reason_check(int expected, int found, const char **why)
{
	const char *w = NULL;

	/* Both spell "unspecified"; BR 7.2.2 allows only the omission. */
	if (expected == 0)
		expected = WR_CRL_OMIT;
	if (found == expected)
		return 0;
	if (found == 0 && expected == WR_CRL_OMIT)
		w = "reasonCode unspecified (0) is present; BR 7.2.2 says omit the extension";
	else if (found == WR_CRL_BAD)
		w = "the reasonCode extension is malformed or repeated";
	else if (found == WR_CRL_OMIT)
		w = "there is no reasonCode extension";
	else
		w = "the reason differs";
	if (why)
		*why = w;
	return -1;
}

/* 0 (present) and no reasonCode both say "unspecified". */
static bool same_reason(int a, int b)
{
	if (a == 0)
		a = WR_CRL_OMIT;
	if (b == 0)
		b = WR_CRL_OMIT;
	return a == b;
}

int wr_ocsp_reason_check(int expected, int crl, int ocsp, const char **why)
{
	/* What a relying party reads elsewhere: the CRL when it lists the
	 * serial, else the reason the incident wants. */
	int ref = crl == WR_CRL_NONE ? expected : crl;
	const char *w = NULL;
	int rc = 0;

	if (ref == 9 && ocsp != 9) {
		/* OpenSSL 3.0 refuses privilegeWithdrawn in index.txt, so a
		 * responder fed by one (openssl ocsp -index) cannot say it. */
		w = "OpenSSL's index.txt cannot carry privilegeWithdrawn (9), so a responder"
		    " reading one answers another reason or none: a known difference";
		rc = 1;
	} else if (ocsp == WR_CRL_OMIT) {
		/* revocationReason is optional in OCSP, and relying parties do
		 * not expect one: no reason given contradicts nothing. */
		rc = 0;
	} else if (crl != WR_CRL_NONE && !same_reason(crl, ocsp)) {
		w = "OCSP and the CRL give different reasons";
		rc = -1;
	} else if (wr_crl_reason_check(expected, ocsp, &w)) {
		rc = -2;
	}
	if (why)
		*why = w;
	return rc;
}

/* Hex magnitudes: by length without leading zeros, then by digits. */
static int hex_cmp(const char *a, const char *b)
{
	bool na = *a == '-', nb = *b == '-';
	size_t la, lb;
	int c;

	if (na != nb)
		return na ? -1 : 1;
	a += na;
	b += nb;
	while (*a == '0' && a[1])
		a++;
	while (*b == '0' && b[1])
		b++;
	la = strlen(a);
	lb = strlen(b);
	c = la != lb ? (la < lb ? -1 : 1) : strcasecmp(a, b);
	return na ? -c : c;
}

int wr_crl_number_check(const char *last_number, const char *last_this_update,
			const char *number, const char *this_update, const char **why)
{
	const char *w = NULL;
	int c;

	if (!last_number || !*last_number || !number || !*number)
		return 0;
	c = hex_cmp(number, last_number);
	if (c < 0)
		w = "the CRL number went down since the last verify: a rollback (RFC 5280 5.2.3:"
		    " CRL numbers only grow)";
	else if (c == 0 && last_this_update && this_update && strcmp(last_this_update, this_update))
		w = "the same CRL number as the last verify saw, with another thisUpdate: a"
		    " reissued CRL needs a higher number (RFC 5280 5.2.3)";
	if (why)
		*why = w;
	return w ? -1 : 0;
}

/* ---- the CRL lookup ------------------------------------------------------- */

/* 32 bytes a revoked serial: a million entries fit in 32 MB. The date is
 * kept in 32 bits (1970 to 2106; 0 when unreadable or outside) to leave
 * room for the CRL it came from: the shard check asks "on THAT CRL?". */
struct crl_entry {
	uint32_t date;
	uint32_t crl;  /* the CRL's index (wr_crl_check.index) */
	int8_t reason; /* WR_CRL_OMIT, WR_CRL_BAD or 0..10 */
	uint8_t neg, len;
	unsigned char s[MAX_SERIAL]; /* magnitude, no leading zero bytes */
};

struct wr_crlset {
	struct crl_entry *e;
	size_t n, sorted, cap;
	uint32_t crls; /* valid CRLs added: the next index */
};

struct wr_crlset *wr_crlset_new(void) { return calloc(1, sizeof(struct wr_crlset)); }

void wr_crlset_free(struct wr_crlset *s)
{
	if (s) {
		free(s->e);
		free(s);
	}
}

size_t wr_crlset_size(const struct wr_crlset *s) { return s->n; }

/* The serial alone. */
static int key_cmp(const struct crl_entry *x, const struct crl_entry *y)
{
	if (x->neg != y->neg)
		return x->neg < y->neg ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->s, y->s, x->len);
}

/* The serial, then the CRL: one serial's entries on several CRLs lie
 * together, in CRL order. */
static int entry_cmp(const void *a, const void *b)
{
	const struct crl_entry *x = a, *y = b;
	int c = key_cmp(x, y);

	if (c)
		return c;
	return x->crl < y->crl ? -1 : x->crl > y->crl;
}

static int key_from_bytes(const unsigned char *d, size_t n, bool neg, struct crl_entry *k)
{
	while (n > 0 && *d == 0)
		d++, n--;
	if (n > MAX_SERIAL)
		return -1;
	k->neg = neg && n > 0;
	k->len = (uint8_t)n;
	memcpy(k->s, d, n);
	return 0;
}

static int key_from_asn1(const ASN1_INTEGER *ai, struct crl_entry *k)
{
	int n = ASN1_STRING_length(ai);

	if (n < 0)
		return -1;
	return key_from_bytes(ASN1_STRING_get0_data(ai), (size_t)n,
			      ASN1_STRING_type(ai) == V_ASN1_NEG_INTEGER, k);
}

/* The cert table's form: upper-case hex, "-" for a negative serial. */
static int key_from_hex(const char *hex, struct crl_entry *k)
{
	unsigned char b[80];
	bool neg = false;
	size_t n, nb;

	memset(k, 0, sizeof *k);
	if (*hex == '-') {
		neg = true;
		hex++;
	}
	n = strlen(hex);
	nb = (n + 1) / 2;
	if (n == 0 || nb > sizeof b)
		return -1;
	for (size_t i = 0, j = 0; i < nb; i++) {
		int hi = 0, lo;
		if (!(n & 1) || i > 0) {
			hi = OPENSSL_hexchar2int((unsigned char)hex[j++]);
			if (hi < 0)
				return -1;
		}
		lo = OPENSSL_hexchar2int((unsigned char)hex[j++]);
		if (lo < 0)
			return -1;
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	return key_from_bytes(b, nb, neg, k);
}

static int reserve(struct wr_crlset *s, size_t more)
{
	if (more <= s->cap - s->n)
		return 0;
	size_t cap = s->cap ? s->cap : 1024;
	while (cap - s->n < more)
		cap *= 2;
	struct crl_entry *e = realloc(s->e, cap * sizeof *e);
	if (!e)
		return WR_ENOMEM;
	s->e = e;
	s->cap = cap;
	return 0;
}

int wr_crlset_sort(struct wr_crlset *s)
{
	size_t tail = s->n - s->sorted;

	if (!tail)
		return 0;
	qsort(s->e + s->sorted, tail, sizeof *s->e, entry_cmp);
	if (s->sorted) {
		/* Merge from the back: the temporary copy is only the new part,
		 * so adding shard after shard stays linear, not n log n each. */
		struct crl_entry *t = malloc(tail * sizeof *t);
		if (!t)
			return WR_ENOMEM;
		memcpy(t, s->e + s->sorted, tail * sizeof *t);
		size_t i = s->sorted, j = tail, k = s->n;
		while (j > 0) {
			if (i > 0 && entry_cmp(&s->e[i - 1], &t[j - 1]) > 0)
				s->e[--k] = s->e[--i];
			else
				s->e[--k] = t[--j];
		}
		free(t);
	}
	s->sorted = s->n;
	return 0;
}

bool wr_crlset_find_on(const struct wr_crlset *s, const char *serial, int crl, int *reason,
		       int64_t *revoked_at, int *found_crl)
{
	struct crl_entry k;
	size_t lo = 0, hi = s->sorted;

	if (!serial || key_from_hex(serial, &k))
		return false;
	/* The first entry of this serial, then along its CRLs. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (key_cmp(&s->e[mid], &k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < s->sorted && key_cmp(&s->e[lo], &k) == 0; lo++) {
		const struct crl_entry *e = &s->e[lo];
		if (crl >= 0 && e->crl != (uint32_t)crl)
			continue;
		if (reason)
			*reason = e->reason;
		if (revoked_at)
			*revoked_at = e->date;
		if (found_crl)
			*found_crl = (int)e->crl;
		return true;
	}
	return false;
}

bool wr_crlset_find(const struct wr_crlset *s, const char *serial, int *reason,
		    int64_t *revoked_at)
{
	return wr_crlset_find_on(s, serial, -1, reason, revoked_at, NULL);
}

static void cproblem(struct wr_crl_check *c, int kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void cproblem(struct wr_crl_check *c, int kind, const char *fmt, ...)
{
	va_list ap;

	c->problems++;
	va_start(ap, fmt);
	vemit(c->cb, c->ctx, kind, NULL, c->url, false, fmt, ap);
	va_end(ap);
}

static void crl_check_dates(struct wr_crl_check *c, X509_CRL *crl)
{
	char b1[WR_TIME_BUFSZ], b2[WR_TIME_BUFSZ];
	int64_t tu = asn1_time(X509_CRL_get0_lastUpdate(crl));
	const ASN1_TIME *nt = X509_CRL_get0_nextUpdate(crl);
	int64_t nu = nt ? asn1_time(nt) : 0;

	c->this_update = tu;
	c->next_update = nu;
	if (!tu) {
		cproblem(c, WR_VP_DATES, "thisUpdate cannot be read");
		return;
	}
	if (tu > c->now + SKEW)
		cproblem(c, WR_VP_DATES, "thisUpdate %s is in the future",
			 wr_time_format(tu, b1));
	if (!nt) {
		cproblem(c, WR_VP_DATES, "no nextUpdate (BR 7.2 requires one)");
		return;
	}
	if (!nu) {
		cproblem(c, WR_VP_DATES, "nextUpdate cannot be read");
		return;
	}
	if (nu <= tu)
		cproblem(c, WR_VP_DATES, "nextUpdate %s is not after thisUpdate %s",
			 wr_time_format(nu, b1), wr_time_format(tu, b2));
	else if (nu - tu > MAX_VALIDITY)
		cproblem(c, WR_VP_DATES,
			 "nextUpdate %s is more than 10 days after thisUpdate %s (BR 4.9.7)",
			 wr_time_format(nu, b1), wr_time_format(tu, b2));
	if (nu < c->now - SKEW)
		cproblem(c, WR_VP_DATES, "stale: nextUpdate %s has passed",
			 wr_time_format(nu, b1));
}

static void crl_check_extensions(struct wr_crl_check *c, X509_CRL *crl)
{
	for (int i = 0; i < X509_CRL_get_ext_count(crl); i++) {
		X509_EXTENSION *ex = X509_CRL_get_ext(crl, i);
		ASN1_OBJECT *obj = X509_EXTENSION_get_object(ex);
		int nid = OBJ_obj2nid(obj), crit = X509_EXTENSION_get_critical(ex);
		char oid[80];

		if (nid == NID_issuing_distribution_point && !crit) {
			cproblem(c, WR_VP_EXTENSION,
				 "the Issuing Distribution Point is not critical (RFC 5280 5.2.5)");
		} else if (nid == NID_delta_crl) {
			cproblem(c, WR_VP_EXTENSION, "a delta CRL; verify needs complete CRLs");
		} else if (crit && nid != NID_issuing_distribution_point) {
			OBJ_obj2txt(oid, sizeof oid, obj, 1);
			cproblem(c, WR_VP_EXTENSION,
				 "unknown critical extension %s: relying parties reject the CRL", oid);
		}
	}
}

/* Two URLs for the same CRL: scheme and host in any case, the rest as
 * written. */
static bool same_url(const char *a, const char *b)
{
	const char *pa = strstr(a, "://"), *pb = strstr(b, "://");
	size_t ha, hb;

	if (!pa || !pb)
		return strcmp(a, b) == 0;
	ha = (size_t)(pa + 3 - a) + strcspn(pa + 3, "/?#");
	hb = (size_t)(pb + 3 - b) + strcspn(pb + 3, "/?#");
	return ha == hb && strncasecmp(a, b, ha) == 0 && strcmp(a + ha, b + hb) == 0;
}

/*
 * The scope a relying party reads in the Issuing Distribution Point (RFC
 * 5280 5.2.5): a CRL that names a distribution point other than the URL
 * it was fetched from is not that URL's CRL (OpenSSL's -crl_check then
 * ignores it), and a CRL complete only for some reasons, or another
 * issuer's, is not the complete list BR 7.2 asks for.
 */
static void crl_check_scope(struct wr_crl_check *c, X509_CRL *crl)
{
	int crit = -1;
	ISSUING_DIST_POINT *idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit,
						       NULL);

	if (!idp) {
		if (crit != -1)
			cproblem(c, WR_VP_SCOPE, "the Issuing Distribution Point is %s",
				 crit == -2 ? "repeated" : "malformed");
		ERR_clear_error();
		return;
	}
	c->idp = true;
	c->only_user = idp->onlyuser > 0;
	c->only_ca = idp->onlyCA > 0;
	if (c->only_user && c->only_ca)
		cproblem(c, WR_VP_SCOPE,
			 "the Issuing Distribution Point says both only user and only CA"
			 " certificates (RFC 5280 5.2.5 forbids it)");
	if (idp->onlysomereasons)
		cproblem(c, WR_VP_SCOPE,
			 "it covers only some reasons (onlySomeReasons): not a complete CRL");
	if (idp->indirectCRL > 0)
		cproblem(c, WR_VP_SCOPE, "an indirect CRL: verify reads the issuer's own CRLs only");
	if (idp->onlyattr > 0)
		cproblem(c, WR_VP_SCOPE, "it covers only attribute certificates");
	if (idp->distpoint && idp->distpoint->type == 0) {
		GENERAL_NAMES *gns = idp->distpoint->name.fullname;
		char first[URL_SHOWN + 1] = "";
		bool any = false, match = false;
		for (int j = 0; j < sk_GENERAL_NAME_num(gns); j++) {
			GENERAL_NAME *gn = sk_GENERAL_NAME_value(gns, j);
			if (gn->type != GEN_URI)
				continue;
			const ASN1_IA5STRING *u = gn->d.uniformResourceIdentifier;
			int len = ASN1_STRING_length(u);
			const char *d = (const char *)ASN1_STRING_get0_data(u);
			char url[1024];
			if (len <= 0 || (size_t)len >= sizeof url || memchr(d, 0, (size_t)len))
				continue;
			memcpy(url, d, (size_t)len);
			url[len] = '\0';
			if (!any) {
				size_t k = (size_t)len < sizeof first - 1 ? (size_t)len : sizeof first - 1;
				memcpy(first, url, k);
				first[k] = '\0';
			}
			any = true;
			if (c->url && same_url(url, c->url))
				match = true;
		}
		c->idp_url = any;
		if (!any)
			cproblem(c, WR_VP_SCOPE,
				 "its Issuing Distribution Point names no URL: a relying party cannot"
				 " tell which certificates it covers");
		else if (c->url && !match) {
			char *f = clean(first, URL_SHOWN);
			cproblem(c, WR_VP_SCOPE,
				 "its Issuing Distribution Point names %s, not the URL it was fetched"
				 " from: a relying party fetching this URL rejects it",
				 f ? f : "another URL");
			free(f);
		}
	} else if (idp->distpoint) {
		cproblem(c, WR_VP_SCOPE,
			 "its Issuing Distribution Point names the CRL relative to the issuer,"
			 " not by URL");
	}
	ISSUING_DIST_POINT_free(idp);
	ERR_clear_error();
}

static void crl_number(struct wr_crl_check *c, X509_CRL *crl)
{
	ASN1_INTEGER *num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	BIGNUM *bn = num ? ASN1_INTEGER_to_BN(num, NULL) : NULL;
	char *h = bn ? BN_bn2hex(bn) : NULL;

	if (h && strlen(h) < sizeof c->number)
		snprintf(c->number, sizeof c->number, "%s", h);
	OPENSSL_free(h);
	BN_free(bn);
	ASN1_INTEGER_free(num);
	ERR_clear_error();
}

int wr_crlset_add(struct wr_crlset *s, const unsigned char *buf, size_t len,
		  struct wr_crl_check *c)
{
	X509 *issuer = (X509 *)c->issuer;
	X509_CRL *crl;
	const unsigned char *p = buf;
	int64_t long_serials = 0;
	int rc = 0;

	c->entries = 0;
	c->this_update = c->next_update = 0;
	c->problems = 0;
	c->parsed = c->valid = false;
	c->index = -1;
	c->idp = c->idp_url = c->only_user = c->only_ca = false;
	c->number[0] = '\0';
	if (len > INT_MAX) {
		cproblem(c, WR_VP_PARSE, "too large to parse");
		return 0;
	}
	crl = d2i_X509_CRL(NULL, &p, (long)len);
	if (!crl) {
		BIO *b = BIO_new_mem_buf(buf, (int)len);
		if (b)
			crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	ERR_clear_error();
	if (!crl) {
		cproblem(c, WR_VP_PARSE, "not a CRL (neither DER nor PEM)");
		return 0;
	}
	c->parsed = true;

	EVP_PKEY *pk = issuer ? X509_get0_pubkey(issuer) : NULL;
	if (!pk || X509_CRL_verify(crl, pk) != 1) {
		cproblem(c, WR_VP_SIGNATURE, "the signature does not verify with the issuer's key");
	} else if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) {
		char name[256];
		X509_NAME_oneline(X509_CRL_get_issuer(crl), name, sizeof name);
		cproblem(c, WR_VP_ISSUER, "issued by '%s', not by the issuer certificate's subject",
			 name);
	} else {
		c->valid = true;
	}
	ERR_clear_error();
	crl_check_dates(c, crl);
	crl_check_extensions(c, crl);
	if (!c->valid)
		goto out; /* an unverified CRL proves nothing: none of its entries count */
	crl_check_scope(c, crl);
	crl_number(c, crl);
	c->index = (int)s->crls++;

	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);
	int nrev = revs ? sk_X509_REVOKED_num(revs) : 0;
	if (nrev > 0 && (rc = reserve(s, (size_t)nrev)))
		goto out;
	for (int i = 0; i < nrev; i++) {
		X509_REVOKED *rv = sk_X509_REVOKED_value(revs, i);
		struct crl_entry *e = &s->e[s->n];
		int crit = -1;

		memset(e, 0, sizeof *e);
		if (key_from_asn1(X509_REVOKED_get0_serialNumber(rv), e)) {
			long_serials++;
			continue;
		}
		int64_t d = asn1_time(X509_REVOKED_get0_revocationDate(rv));
		e->date = d > 0 && d <= (int64_t)UINT32_MAX ? (uint32_t)d : 0;
		e->crl = (uint32_t)c->index;
		ASN1_ENUMERATED *re = X509_REVOKED_get_ext_d2i(rv, NID_crl_reason, &crit, NULL);
		if (re) {
			long v = ASN1_ENUMERATED_get(re);
			e->reason = (int8_t)(v >= 0 && v <= 10 && v != 7 ? v : WR_CRL_BAD);
			ASN1_ENUMERATED_free(re);
		} else {
			/* -1: absent; -2: repeated; 0 or 1: present but undecodable. */
			e->reason = (int8_t)(crit == -1 ? WR_CRL_OMIT : WR_CRL_BAD);
		}
		s->n++;
		c->entries++;
	}
	ERR_clear_error();
	if (long_serials)
		cproblem(c, WR_VP_PARSE,
			 "%lld entries have serials longer than %d octets (RFC 5280 allows 20);"
			 " they were not checked",
			 (long long)long_serials, MAX_SERIAL);
out:
	X509_CRL_free(crl);
	return rc;
}

/* ---- one run -------------------------------------------------------------- */

struct idvec {
	int64_t *v;
	size_t n, cap;
};

static int idvec_push(struct idvec *a, int64_t id)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 1024;
		int64_t *v = realloc(a->v, cap * sizeof *v);
		if (!v)
			return WR_ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = id;
	return 0;
}

/*
 * Every CRL URL fetched (or tried) in a run, found again by URL through a
 * small open-addressing table: each revoked certificate asks "is my
 * shard in, and which CRL is it?", a million times on a big incident.
 */
struct crlrec {
	char *url;
	int index; /* its entries in the set (wr_crl_check.index); -1: none count */
	bool idp_url, only_user, only_ca;
};

struct crlrecs {
	struct crlrec *v;
	size_t n, cap;
	size_t *slot; /* record index + 1; 0: empty */
	size_t nslot; /* a power of two, at least twice n */
};

static size_t url_hash(const char *s)
{
	size_t h = 14695981039346656037ULL & SIZE_MAX;

	while (*s)
		h = (h ^ (unsigned char)*s++) * (size_t)1099511628211ULL;
	return h;
}

static ssize_t rec_find(const struct crlrecs *a, const char *url)
{
	if (!a->nslot)
		return -1;
	for (size_t i = url_hash(url) & (a->nslot - 1);; i = (i + 1) & (a->nslot - 1)) {
		if (!a->slot[i])
			return -1;
		if (strcmp(a->v[a->slot[i] - 1].url, url) == 0)
			return (ssize_t)(a->slot[i] - 1);
	}
}

static void rec_place(struct crlrecs *a, size_t k)
{
	size_t i = url_hash(a->v[k].url) & (a->nslot - 1);

	while (a->slot[i])
		i = (i + 1) & (a->nslot - 1);
	a->slot[i] = k + 1;
}

/* A new record for url (not there yet); its index in *k. */
static int rec_add(struct crlrecs *a, const char *url, size_t *k)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		struct crlrec *v = realloc(a->v, cap * sizeof *v);
		if (!v)
			return WR_ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	if ((a->n + 1) * 2 > a->nslot) {
		size_t ns = a->nslot ? a->nslot * 2 : 64;
		size_t *sl = calloc(ns, sizeof *sl);
		if (!sl)
			return WR_ENOMEM;
		free(a->slot);
		a->slot = sl;
		a->nslot = ns;
		for (size_t i = 0; i < a->n; i++)
			rec_place(a, i);
	}
	struct crlrec *r = &a->v[a->n];
	memset(r, 0, sizeof *r);
	r->index = -1;
	if (!(r->url = strdup(url)))
		return WR_ENOMEM;
	*k = a->n++;
	rec_place(a, *k);
	return 0;
}

static void recs_free(struct crlrecs *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i].url);
	free(a->v);
	free(a->slot);
}

struct run {
	struct wr_db *db;
	const struct wr_verify_opts *o;
	struct wr_verify_result *r;
	wr_verify_problem_cb cb;
	void *ctx;
	int64_t now;
	X509 *issuer;
	X509_STORE *store;     /* the issuer, trusted: OCSP signatures */
	STACK_OF(X509) *certs; /* the issuer, for responses that omit it */
	struct wr_crlset *set;
	CURL *curl;
	char curl_err[CURL_ERROR_SIZE];
	long timeout;
	size_t max_bytes;
	int incident_reason;
	bool cdp_mode;	      /* no URL given: each certificate's own CDP */
	const char *base;     /* a base URL given: its crls.txt, and each
			       * certificate's CDP file name under it */
	bool scan_table;      /* many revoked: read the table, not the index */
	struct crlrecs recs;  /* every CRL URL fetched or tried */
	size_t on_demand;     /* of them, fetched on a certificate's word */
	int64_t cdp_forged;    /* certificates whose CDP was refused: signature */
	int64_t cdp_not_http;  /* ... whose CDP names no http:// URL */
	int64_t crl_failures;  /* CRLs that could not be fetched or verified */
	bool cdp_capped;
	json_t *crls, *problems, *notes; /* for the publication row's details */
	/* CRL numbers by URL: the last verify's, and this one's to record. */
	json_t *numbers_last, *numbers;
	struct idvec on_crl, off_crl, ocsp_yes, ocsp_no;
	struct idvec recheck; /* live, not on their own CRL: decided at the end */
};

static void on_problem(const struct wr_verify_problem *p, void *arg)
{
	struct run *R = arg;
	json_t *list = p->note ? R->notes : R->problems;

	if (p->note)
		R->r->notes++;
	else
		R->r->problems++;
	if (json_array_size(list) < DETAIL_PROBLEMS)
		json_array_append_new(list, json_pack("{s:s, s:s?, s:s?, s:s}", "kind",
						      wr_verify_kind_name(p->kind), "serial",
						      p->serial, "url", p->url, "what", p->what));
	if (R->cb)
		R->cb(p, R->ctx);
}

static void problem(struct run *R, int kind, const char *serial, const char *url,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void problem(struct run *R, int kind, const char *serial, const char *url,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vemit(on_problem, R, kind, serial, url, false, fmt, ap);
	va_end(ap);
}

/* A known difference: shown, counted apart, and no obstacle to proof. */
static void note(struct run *R, int kind, const char *serial, const char *url,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void note(struct run *R, int kind, const char *serial, const char *url,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vemit(on_problem, R, kind, serial, url, true, fmt, ap);
	va_end(ap);
}

/* ---- HTTP ----------------------------------------------------------------- */

static bool http_url(const char *u)
{
	return strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0;
}

/* What verify fetches on a certificate's word: http:// on any host, never
 * file://, ftp://, ldap:// or anything else curl might speak. */
static bool cert_url_ok(const char *u)
{
	return strncasecmp(u, "http://", 7) == 0;
}

/* A certificate's URLs are the issuer's word only when the issuer signed
 * it: the same name on another key is anyone's. */
static bool signed_by_issuer(X509 *x, X509 *issuer)
{
	EVP_PKEY *pk = issuer ? X509_get0_pubkey(issuer) : NULL;
	bool ok = pk && X509_verify(x, pk) == 1;

	ERR_clear_error();
	return ok;
}

struct sink {
	unsigned char *p;
	size_t n, cap, max;
	bool over, nomem;
};

static size_t sink_write(char *d, size_t size, size_t nmemb, void *arg)
{
	struct sink *k = arg;
	size_t add = size * nmemb;

	if (add > k->max - k->n) {
		k->over = true;
		return 0;
	}
	if (k->n + add + 1 > k->cap) {
		size_t cap = k->cap ? k->cap : 16384;
		while (cap < k->n + add + 1)
			cap *= 2;
		unsigned char *p = realloc(k->p, cap);
		if (!p) {
			k->nomem = true;
			return 0;
		}
		k->p = p;
		k->cap = cap;
	}
	memcpy(k->p + k->n, d, add);
	k->n += add;
	k->p[k->n] = 0;
	return add;
}

/*
 * GETs url, or POSTs body as an OCSP request, into *out (malloc'd and
 * NUL-terminated). On failure returns -1 with why set; *transport is true
 * when no HTTP answer came at all (refused, timed out).
 */
static int fetch(struct run *R, const char *url, const unsigned char *body, size_t blen,
		 size_t max, unsigned char **out, size_t *outlen, char *why, size_t whysz,
		 bool *transport)
{
	struct sink k = {.max = max};
	struct curl_slist *hdr = NULL;
	CURL *h = R->curl;
	long code = 0;
	CURLcode rc;

	*out = NULL;
	*outlen = 0;
	*transport = false;
	curl_easy_reset(h); /* keeps the connection cache */
	R->curl_err[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, R->timeout < 10 ? R->timeout : 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, R->timeout);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "warroom-verify");
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, R->curl_err);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &k);
	if (body) {
		hdr = curl_slist_append(hdr, "Content-Type: application/ocsp-request");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
	}
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hdr);
	if (rc == CURLE_OK && code == 200) {
		if (!k.p && !(k.p = calloc(1, 1))) {
			snprintf(why, whysz, "out of memory");
			return -1;
		}
		*out = k.p;
		*outlen = k.n;
		return 0;
	}
	free(k.p);
	if (k.over || rc == CURLE_FILESIZE_EXCEEDED)
		snprintf(why, whysz, "larger than %zu bytes: not fetched", max);
	else if (k.nomem)
		snprintf(why, whysz, "out of memory");
	else if (rc != CURLE_OK) {
		*transport = code == 0;
		snprintf(why, whysz, "%s", R->curl_err[0] ? R->curl_err : curl_easy_strerror(rc));
	} else
		snprintf(why, whysz, "HTTP status %ld", code);
	return -1;
}

/* ---- CRLs ----------------------------------------------------------------- */

static void crl_detail(struct run *R, const char *url, const struct wr_crl_check *c,
		       const char *error)
{
	char *u;

	if (json_array_size(R->crls) >= DETAIL_CRLS || !(u = clean(url, URL_SHOWN)))
		return;
	json_t *j = json_pack("{s:s}", "url", u);
	free(u);
	if (!j)
		return;
	if (error) {
		json_object_set_new(j, "error", json_string(error));
	} else {
		char b[WR_TIME_BUFSZ];
		json_object_set_new(j, "valid", json_boolean(c->valid));
		json_object_set_new(j, "entries", json_integer(c->entries));
		if (c->this_update)
			json_object_set_new(j, "this_update",
					    json_string(wr_time_format(c->this_update, b)));
		if (c->next_update)
			json_object_set_new(j, "next_update",
					    json_string(wr_time_format(c->next_update, b)));
	}
	json_array_append_new(R->crls, j);
}

/* A CRL number for people: decimal when it fits 64 bits. */
static const char *number_shown(const char *hex, char buf[48])
{
	BIGNUM *bn = NULL;
	char *d = NULL;

	if (strlen(hex) <= 16 && BN_hex2bn(&bn, hex) && (d = BN_bn2dec(bn)) && strlen(d) < 48)
		snprintf(buf, 48, "%s", d);
	else
		snprintf(buf, 48, "0x%s", hex);
	OPENSSL_free(d);
	BN_free(bn);
	return buf;
}

/*
 * RFC 5280 5.2.3: a CRL number only grows. A relying party that holds a
 * newer CRL keeps it over one numbered lower, so a rollback (a restored
 * backup, a second signer out of step) can hide revocations. The numbers
 * seen are kept per URL in the publication row's details, carried from
 * one verify to the next. A CRL that breaks the rule is not remembered:
 * the number (and thisUpdate) seen before stays, so the problem shows
 * until the CA publishes past it.
 */
static void crl_number_seen(struct run *R, const char *url, const struct wr_crl_check *c)
{
	char tu[WR_TIME_BUFSZ], n1[48], n2[48];
	char *key;
	const char *why;

	if (!c->number[0] || !c->this_update || !(key = wr_utf8_sanitize(url, strlen(url))))
		return;
	wr_time_format(c->this_update, tu);
	json_t *last = json_object_get(R->numbers_last, key);
	const char *ln = json_string_value(json_object_get(last, "number"));
	const char *lt = json_string_value(json_object_get(last, "this_update"));
	if (wr_crl_number_check(ln, lt, c->number, tu, &why)) {
		problem(R, WR_VP_ROLLBACK, NULL, url,
			"CRL number %s with thisUpdate %s; the last verify saw %s with thisUpdate %s: %s",
			number_shown(c->number, n1), tu, number_shown(ln, n2), lt ? lt : "?", why);
		free(key);
		return;
	}
	if (json_object_size(R->numbers) < DETAIL_NUMBERS || json_object_get(R->numbers, key))
		json_object_set_new(R->numbers, key,
				    json_pack("{s:s, s:s}", "number", c->number, "this_update", tu));
	free(key);
}

/* Fetches url once a run and adds its entries; what it was, in its record. */
static int crl_fetch_add(struct run *R, const char *url)
{
	struct wr_crl_check c = {
		.now = R->now, .issuer = R->issuer, .url = url, .cb = on_problem, .ctx = R,
	};
	unsigned char *buf;
	size_t n, k;
	char why[CURL_ERROR_SIZE + 64];
	bool transport;
	int rc;

	if (rec_find(&R->recs, url) >= 0)
		return 0;
	if ((rc = rec_add(&R->recs, url, &k)))
		return wr_err(R->db, rc, "out of memory");
	if (fetch(R, url, NULL, 0, R->max_bytes, &buf, &n, why, sizeof why, &transport)) {
		R->crl_failures++;
		problem(R, WR_VP_FETCH, NULL, url, "CRL not fetched: %s", why);
		crl_detail(R, url, NULL, "not fetched");
		return 0;
	}
	rc = wr_crlset_add(R->set, buf, n, &c);
	free(buf);
	if (rc)
		return wr_err(R->db, rc, "verify: out of memory reading a CRL");
	if (c.parsed)
		R->r->crls_fetched++;
	if (c.valid) {
		struct crlrec *rec = &R->recs.v[k];
		R->r->crls_valid++;
		R->r->crl_entries += c.entries;
		rec->index = c.index;
		rec->idp_url = c.idp_url;
		rec->only_user = c.only_user;
		rec->only_ca = c.only_ca;
		crl_number_seen(R, url, &c);
	} else {
		R->crl_failures++;
	}
	crl_detail(R, url, &c, c.parsed ? NULL : "not a CRL");
	return 0;
}

/* BASE/name, with one slash between. malloc'd. */
static char *url_join(const char *base, const char *name)
{
	size_t n = strlen(base);
	char *u = malloc(n + strlen(name) + 2);

	if (u)
		sprintf(u, "%s%s%s", base, n && base[n - 1] == '/' ? "" : "/", name);
	return u;
}

/* crls.txt names files next to it: plain relative paths only, so a
 * hostile list can neither leave the base URL nor smuggle a query. */
static bool plain_name(const char *s, size_t n)
{
	if (n == 0 || n > 255 || s[0] == '/')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == '_' || ch == '-' || ch == '~' || ch == '/'))
			return false;
		if (ch == '.' && i + 1 < n && s[i + 1] == '.')
			return false;
	}
	return true;
}

static bool single_crl_url(const char *u)
{
	size_t n = strcspn(u, "?#");
	return n >= 4 && strncasecmp(u + n - 4, ".crl", 4) == 0;
}

static int crl_list_fetch(struct run *R, const char *base)
{
	unsigned char *buf;
	size_t n, names = 0;
	char why[CURL_ERROR_SIZE + 64];
	bool transport;
	int rc = 0, line = 0;
	char *list = url_join(base, "crls.txt");

	if (!list)
		return wr_err(R->db, WR_ENOMEM, "out of memory");
	if (fetch(R, list, NULL, 0, MAX_LIST_BYTES, &buf, &n, why, sizeof why, &transport)) {
		R->crl_failures++;
		problem(R, WR_VP_FETCH, NULL, list, "the list of CRLs was not fetched: %s", why);
		free(list);
		return 0;
	}
	for (size_t i = 0; i < n && !rc;) {
		const unsigned char *nl = memchr(buf + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - buf) : n, a = i, b = end;
		i = end + 1;
		line++;
		while (a < b && (buf[a] == ' ' || buf[a] == '\t'))
			a++;
		while (b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t' || buf[b - 1] == '\r'))
			b--;
		if (a == b || buf[a] == '#')
			continue;
		char *name = (char *)buf + a;
		if (!plain_name(name, b - a) || memchr(name, 0, b - a)) {
			char shown[81];
			size_t k = b - a < 80 ? b - a : 80;
			memcpy(shown, name, k);
			shown[k] = '\0';
			problem(R, WR_VP_PARSE, NULL, list,
				"line %d: '%s' is not a plain file name; skipped", line, shown);
			continue;
		}
		if (++names > MAX_LIST_NAMES) {
			problem(R, WR_VP_PARSE, NULL, list, "more than %d CRLs listed; the rest skipped",
				MAX_LIST_NAMES);
			break;
		}
		char save = name[b - a];
		name[b - a] = '\0';
		char *u = url_join(base, name);
		name[b - a] = save;
		if (!u) {
			rc = wr_err(R->db, WR_ENOMEM, "out of memory");
			break;
		}
		rc = crl_fetch_add(R, u);
		free(u);
	}
	if (!rc && names == 0)
		problem(R, WR_VP_PARSE, NULL, list, "the list names no CRL");
	free(buf);
	free(list);
	return rc;
}

/* The http:// URIs of a certificate's CRL Distribution Points; *others
 * counts the URIs of any other kind, which are never fetched. */
static int cert_cdp_urls(X509 *x, char urls[MAX_CDP_PER_CERT][1024], int *n, int *others)
{
	STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);

	*n = *others = 0;
	for (int i = 0; dps && i < sk_DIST_POINT_num(dps); i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		if (!dp->distpoint || dp->distpoint->type != 0)
			continue;
		GENERAL_NAMES *gns = dp->distpoint->name.fullname;
		for (int j = 0; j < sk_GENERAL_NAME_num(gns) && *n < MAX_CDP_PER_CERT; j++) {
			GENERAL_NAME *gn = sk_GENERAL_NAME_value(gns, j);
			if (gn->type != GEN_URI)
				continue;
			const ASN1_IA5STRING *s = gn->d.uniformResourceIdentifier;
			int len = ASN1_STRING_length(s);
			const char *d = (const char *)ASN1_STRING_get0_data(s);
			if (len <= 0 || len >= 1024 || memchr(d, 0, (size_t)len)) {
				(*others)++;
				continue;
			}
			memcpy(urls[*n], d, (size_t)len);
			urls[*n][len] = '\0';
			if (cert_url_ok(urls[*n]))
				(*n)++;
			else
				(*others)++;
		}
	}
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	ERR_clear_error();
	return 0;
}

/* Where a certificate says it is listed: its CRL Distribution Point's
 * http:// URLs, or in base mode their file names under the base URL (the
 * base stands for the directory the CDPs name). Still the certificate's
 * word: trusted only when the issuer signed it. */
#define HOME_URL 2048
struct home {
	char url[MAX_CDP_PER_CERT][HOME_URL];
	int n, others; /* others: CDP URIs that are no http:// URL */
};

static void cert_home(struct run *R, X509 *x, struct home *h)
{
	char urls[MAX_CDP_PER_CERT][1024];
	int n = 0;

	h->n = 0;
	cert_cdp_urls(x, urls, &n, &h->others);
	for (int i = 0; i < n; i++) {
		if (R->cdp_mode) {
			memcpy(h->url[h->n++], urls[i], sizeof urls[i]);
			continue;
		}
		const char *u = urls[i], *auth = strstr(u, "://");
		const char *end = u + strcspn(u, "?#"), *name = NULL;
		for (const char *p = auth ? auth + 3 : end; p < end; p++)
			if (*p == '/')
				name = p + 1;
		if (!name || !plain_name(name, (size_t)(end - name)))
			continue; /* no file name, or not a plain one */
		size_t bl = strlen(R->base);
		int k = snprintf(h->url[h->n], HOME_URL, "%s%s%.*s", R->base,
				 bl && R->base[bl - 1] == '/' ? "" : "/", (int)(end - name), name);
		if (k > 0 && k < HOME_URL)
			h->n++;
	}
}

/* Fetches the CRLs a certificate names that are not in yet, on the
 * issuer's word only: *trusted (-1: not asked yet) says whether the
 * issuer signed it. */
static int fetch_homes(struct run *R, X509 *x, const struct home *h, int *trusted)
{
	bool need = false, added = false;
	int rc = 0;

	for (int i = 0; i < h->n && !need; i++)
		need = rec_find(&R->recs, h->url[i]) < 0;
	if (!need)
		return 0;
	if (*trusted < 0)
		*trusted = signed_by_issuer(x, R->issuer);
	if (!*trusted)
		return 0;
	for (int i = 0; i < h->n && !rc; i++) {
		if (rec_find(&R->recs, h->url[i]) >= 0)
			continue;
		if (R->on_demand >= MAX_CDP_URLS) {
			if (!R->cdp_capped)
				problem(R, WR_VP_SOURCE, NULL, NULL,
					"more than %d distinct CRL URLs in the certificates;"
					" no more fetched",
					MAX_CDP_URLS);
			R->cdp_capped = true;
			break;
		}
		R->on_demand++;
		rc = crl_fetch_add(R, h->url[i]);
		added = true;
	}
	if (!rc && added && (rc = wr_crlset_sort(R->set)))
		rc = wr_err(R->db, rc, "out of memory sorting CRL entries");
	return rc;
}

/* Listed on one of the CRLs the certificate names? Its record in *rec. */
static bool on_home(struct run *R, const struct home *h, const char *serial, int *reason,
		    int64_t *date, ssize_t *rec)
{
	for (int i = 0; i < h->n; i++) {
		ssize_t k = rec_find(&R->recs, h->url[i]);
		if (k >= 0 && R->recs.v[k].index >= 0 &&
		    wr_crlset_find_on(R->set, serial, R->recs.v[k].index, reason, date, NULL)) {
			*rec = k;
			return true;
		}
	}
	return false;
}

/*
 * Streams every certificate recorded as revoked against the lookup.
 *
 * With a base URL or none (several CRLs), each certificate is decoded for
 * its CRL Distribution Point: a relying party fetches that CRL and no
 * other, so the serial must be on THAT one. Being listed only on another
 * shard passes `openssl verify -crl_check` with the shard the certificate
 * names. Trusting the CDP costs a signature check, made only when it
 * matters: before fetching a URL it names, or when the serial is not on
 * the CRL it names. A live certificate not on its own CRL is decided once
 * every CRL is in (recheck): listed elsewhere is a wrong shard, nowhere
 * is missing, whatever order the shards came in.
 */
static int check_revoked(struct run *R)
{
	struct wr_verify_result *r = R->r;
	bool decode = R->cdp_mode || R->base;
	struct home *h = malloc(sizeof *h);
	sqlite3_stmt *st;
	int rc;

	if (!h)
		return wr_err(R->db, WR_ENOMEM, "out of memory");
	if ((rc = wr_prepare(R->db,
			     R->scan_table
				     ? "SELECT id, serial, crl_reason, revoked_at, not_after,"
				       " CASE WHEN ?1 THEN (SELECT der FROM cert_der WHERE cert_id = cert.id) END"
				       " FROM cert NOT INDEXED WHERE revoked_at IS NOT NULL"
				     : "SELECT id, serial, crl_reason, revoked_at, not_after,"
				       " CASE WHEN ?1 THEN (SELECT der FROM cert_der WHERE cert_id = cert.id) END"
				       " FROM cert WHERE revoked_at IS NOT NULL",
			     &st))) {
		free(h);
		return rc;
	}
	sqlite3_bind_int(st, 1, decode);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const char *serial = wr_col_text(st, 1);
		int expected = sqlite3_column_type(st, 2) == SQLITE_NULL
				       ? R->incident_reason
				       : sqlite3_column_int(st, 2);
		int64_t revoked_at = wr_col_i64(st, 3), not_after = wr_col_i64(st, 4), date = 0;
		int found_reason = WR_CRL_OMIT, trusted = -1;
		char why[1400] = "", b1[WR_TIME_BUFSZ], b2[WR_TIME_BUFSZ], l1[48], l2[48];
		const char *rwhy;
		bool found = false, has_home = false, is_ca = false, unreadable = false;
		ssize_t home_rec = -1;
		X509 *x = NULL;

		r->revoked++;
		h->n = h->others = 0;
		if (decode) {
			const unsigned char *p = sqlite3_column_blob(st, 5);
			int len = sqlite3_column_bytes(st, 5);
			x = p && len > 0 ? d2i_X509(NULL, &p, len) : NULL;
			ERR_clear_error();
			if (x) {
				cert_home(R, x, h);
				is_ca = X509_check_ca(x) > 0;
			} else {
				unreadable = true;
			}
		}
		if (x && h->n && (rc = fetch_homes(R, x, h, &trusted))) {
			X509_free(x);
			break;
		}
		if (h->n && on_home(R, h, serial, &found_reason, &date, &home_rec)) {
			found = has_home = true;
		} else if (h->n) {
			if (trusted < 0)
				trusted = signed_by_issuer(x, R->issuer);
			has_home = trusted == 1;
			if (!has_home && R->cdp_mode)
				R->cdp_forged++; /* with a base URL, nobody is told to give one */
		}
		X509_free(x);
		if (!has_home)
			found = wr_crlset_find(R->set, serial, &found_reason, &date);
		if (!found) {
			/* RFC 5280 3.3 lets an entry go once the certificate expired. */
			if (not_after < R->now) {
				r->expired_absent++;
				continue;
			}
			if (has_home) {
				if ((rc = idvec_push(&R->recheck, id)))
					break;
				continue;
			}
			r->missing++;
			if ((rc = idvec_push(&R->off_crl, id)))
				break;
			if (unreadable && R->cdp_mode)
				snprintf(why, sizeof why, "its DER could not be read to find its CRL");
			else if (R->cdp_mode && h->n == 0 && h->others == 0)
				snprintf(why, sizeof why,
					 "it has no http(s) CRL Distribution Point and no CRL URL was given");
			else if (R->cdp_mode && h->n)
				snprintf(why, sizeof why,
					 "its signature does not verify with the issuer's key, so its CRL"
					 " Distribution Point is not trusted: give --crl-url");
			else if (R->cdp_mode) {
				R->cdp_not_http++;
				snprintf(why, sizeof why,
					 "its CRL Distribution Point is no http:// URL, the only kind taken"
					 " from a certificate: give --crl-url");
			} else
				snprintf(why, sizeof why, "not listed on the %lld CRLs verified",
					 (long long)r->crls_valid);
			problem(R, WR_VP_MISSING, serial, NULL,
				"recorded as revoked at %s (%s), %s%s", wr_time_format(revoked_at, b1),
				expected_label(expected, l1), why,
				R->crl_failures ? "; some CRLs could not be fetched or verified" : "");
			continue;
		}
		/* The CRL it names is an ARL, or a CRL of end-entity
		 * certificates only, and it is the other kind. */
		const struct crlrec *hr = home_rec >= 0 ? &R->recs.v[home_rec] : NULL;
		if (hr && ((hr->only_ca && !is_ca) || (hr->only_user && is_ca))) {
			if ((rc = idvec_push(&R->off_crl, id)))
				break;
			problem(R, WR_VP_SCOPE, serial, hr->url,
				"a %s certificate listed on a CRL of %s certificates only: out of"
				" its scope, a relying party ignores the entry",
				is_ca ? "CA" : "end-entity", hr->only_ca ? "CA" : "end-entity");
			continue;
		}
		if (wr_crl_reason_check(expected, found_reason, &rwhy)) {
			r->wrong_reason++;
			if ((rc = idvec_push(&R->off_crl, id)))
				break;
			problem(R, WR_VP_REASON, serial, NULL, "listed with %s, expected %s: %s",
				reason_label(found_reason, l1), expected_label(expected, l2), rwhy);
			continue;
		}
		r->on_crl++;
		if ((rc = idvec_push(&R->on_crl, id)))
			break;
		if (revoked_at && date && llabs(date - revoked_at) > DATE_SLACK)
			problem(R, WR_VP_DATE, serial, NULL,
				"listed as revoked at %s, recorded as revoked at %s",
				wr_time_format(date, b1), wr_time_format(revoked_at, b2));
	}
	sqlite3_finalize(st);
	free(h);
	if (rc == SQLITE_DONE && R->cdp_mode && R->recs.n == 0 &&
	    (R->cdp_forged || R->cdp_not_http))
		problem(R, WR_VP_SOURCE, NULL, NULL,
			"no certificate's CRL Distribution Point can be used (%lld do not verify"
			" with the issuer's key, %lld name no http:// URL): give --crl-url",
			(long long)R->cdp_forged, (long long)R->cdp_not_http);
	r->crl_urls_refused = R->cdp_forged + R->cdp_not_http;
	if (rc == SQLITE_DONE)
		return 0;
	if (rc > 0)
		rc = wr_err_sq(R->db, "reading revoked certificates");
	else if (rc == WR_ENOMEM)
		rc = wr_err(R->db, rc, "out of memory");
	return rc;
}

/* The certificates not on their own CRL, now that every CRL is in. */
static int recheck(struct run *R)
{
	struct wr_verify_result *r = R->r;
	struct home *h;
	sqlite3_stmt *st;
	size_t *by_index = NULL, nidx = 0;
	int rc = 0;

	if (!R->recheck.n)
		return 0;
	for (size_t k = 0; k < R->recs.n; k++)
		if (R->recs.v[k].index >= 0 && (size_t)R->recs.v[k].index + 1 > nidx)
			nidx = (size_t)R->recs.v[k].index + 1;
	if (!(h = malloc(sizeof *h)) || !(by_index = calloc(nidx ? nidx : 1, sizeof *by_index))) {
		free(h);
		return wr_err(R->db, WR_ENOMEM, "out of memory");
	}
	for (size_t k = 0; k < R->recs.n; k++)
		if (R->recs.v[k].index >= 0)
			by_index[R->recs.v[k].index] = k;
	if ((rc = wr_prepare(R->db,
			     "SELECT c.serial, c.crl_reason, c.revoked_at, d.der FROM cert c"
			     " LEFT JOIN cert_der d ON d.cert_id = c.id WHERE c.id = ?",
			     &st)))
		goto out;
	for (size_t i = 0; i < R->recheck.n && !rc; i++) {
		sqlite3_bind_int64(st, 1, R->recheck.v[i]);
		if (sqlite3_step(st) != SQLITE_ROW) {
			rc = wr_err_sq(R->db, "reading revoked certificates");
			break;
		}
		const char *serial = wr_col_text(st, 0);
		int expected = sqlite3_column_type(st, 1) == SQLITE_NULL
				       ? R->incident_reason
				       : sqlite3_column_int(st, 1);
		int64_t revoked_at = wr_col_i64(st, 2);
		const unsigned char *p = sqlite3_column_blob(st, 3);
		int len = sqlite3_column_bytes(st, 3), crl = -1;
		X509 *x = p && len > 0 ? d2i_X509(NULL, &p, len) : NULL;
		char b1[WR_TIME_BUFSZ], l1[48];

		ERR_clear_error();
		h->n = 0;
		if (x)
			cert_home(R, x, h);
		X509_free(x);
		const char *home = h->n ? h->url[0] : "?";
		ssize_t k = h->n ? rec_find(&R->recs, home) : -1;
		const char *state = k < 0 || R->recs.v[k].index < 0
					    ? ", which could not be fetched or verified"
					    : "";
		char *hu = clean(home, 200);
		if ((rc = idvec_push(&R->off_crl, R->recheck.v[i]))) {
			free(hu);
			rc = wr_err(R->db, rc, "out of memory");
			break;
		}
		if (wr_crlset_find_on(R->set, serial, -1, NULL, NULL, &crl) && crl >= 0 &&
		    (size_t)crl < nidx) {
			char *lu = clean(R->recs.v[by_index[crl]].url, 200);
			r->wrong_shard++;
			problem(R, WR_VP_SHARD, serial, home,
				"wrong shard: listed on %s but not on %s, the CRL its CRL Distribution"
				" Point names%s: a relying party fetching that CRL finds it good",
				lu ? lu : "another CRL", hu ? hu : "its own", state);
			free(lu);
		} else {
			r->missing++;
			problem(R, WR_VP_MISSING, serial, NULL,
				"recorded as revoked at %s (%s), not listed on its CRL %s%s%s",
				wr_time_format(revoked_at, b1), expected_label(expected, l1),
				hu ? hu : "", state,
				R->crl_failures && !state[0]
					? "; some CRLs could not be fetched or verified"
					: "");
		}
		free(hu);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
out:
	free(by_index);
	free(h);
	return rc;
}

/*
 * A CRL without an Issuing Distribution Point naming its URL claims to be
 * complete (RFC 5280 5.2.5). Alone it may be; among other CRLs for the
 * same kind of certificate it is a shard in disguise, and a relying party
 * holding it for the wrong certificate finds that certificate good. An
 * ARL (onlyContainsCACerts) is no shard of the end-entity CRLs: a full
 * CRL beside one is still the one CRL for end-entity certificates.
 */
static void check_shard_scope(struct run *R)
{
	size_t user = 0, ca = 0, all = 0;

	for (size_t k = 0; k < R->recs.n; k++) {
		const struct crlrec *c = &R->recs.v[k];
		if (c->index < 0)
			continue;
		if (c->only_user)
			user++;
		else if (c->only_ca)
			ca++;
		else
			all++;
	}
	for (size_t k = 0; k < R->recs.n; k++) {
		const struct crlrec *c = &R->recs.v[k];
		if (c->index < 0 || c->idp_url)
			continue;
		size_t overlap = c->only_ca && !c->only_user ? ca : user + all;
		if (overlap > 1)
			problem(R, WR_VP_SCOPE, NULL, c->url,
				"no Issuing Distribution Point naming its URL, yet it is one of %zu"
				" CRLs covering the same certificates: a relying party takes it for"
				" the complete list (RFC 5280 5.2.5)",
				overlap);
	}
}

/* ---- OCSP ----------------------------------------------------------------- */

struct sample {
	int64_t id;
	char serial[132];
	int expected;
	int crl;   /* the CRL's reason for it; WR_CRL_NONE when not listed */
	char *url; /* the certificate's AIA OCSP URL when none was given */
};

/* The certificate's first http:// AIA OCSP URL (malloc'd), or NULL;
 * *any says whether it names an OCSP URL at all. */
static char *cert_ocsp_url(X509 *x, bool *any)
{
	STACK_OF(OPENSSL_STRING) *s = X509_get1_ocsp(x);
	char *u = NULL;

	*any = s && sk_OPENSSL_STRING_num(s) > 0;
	for (int i = 0; s && i < sk_OPENSSL_STRING_num(s) && !u; i++) {
		const char *v = sk_OPENSSL_STRING_value(s, i);
		if (cert_url_ok(v) && strlen(v) < 1024)
			u = strdup(v);
	}
	X509_email_free(s);
	return u;
}

/* 0 when the responder proved the certificate revoked with the right
 * reason; 1 when it answered otherwise (a problem reported); -1 when no
 * answer came at all (transport); WR_ENOMEM. */
static int ocsp_one(struct run *R, const struct sample *s, const char *url)
{
	char why[CURL_ERROR_SIZE + 64], b1[WR_TIME_BUFSZ], b2[WR_TIME_BUFSZ], l1[48], l2[48];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;
	OCSP_CERTID *id = NULL, *idc = NULL;
	OCSP_REQUEST *req = NULL;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	unsigned char *der = NULL, *body = NULL;
	size_t blen;
	int dlen, ret = 1, status, reason = -1;
	bool transport;
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
	const char *hex = s->serial[0] == '-' ? s->serial + 1 : s->serial;

	if (!BN_hex2bn(&bn, hex))
		goto build_failed;
	BN_set_negative(bn, s->serial[0] == '-');
	if (!(ai = BN_to_ASN1_INTEGER(bn, NULL)) ||
	    !(id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(R->issuer),
				    X509_get0_pubkey_bitstr(R->issuer), ai)) ||
	    !(req = OCSP_REQUEST_new()) || !(idc = OCSP_CERTID_dup(id)) ||
	    !OCSP_request_add0_id(req, idc))
		goto build_failed;
	idc = NULL; /* the request owns it now */
	if (!OCSP_request_add1_nonce(req, NULL, -1) || (dlen = i2d_OCSP_REQUEST(req, &der)) <= 0)
		goto build_failed;
	if (fetch(R, url, der, (size_t)dlen, MAX_OCSP_BYTES, &body, &blen, why, sizeof why,
		  &transport)) {
		problem(R, WR_VP_OCSP, s->serial, url, "no OCSP answer: %s", why);
		ret = transport ? -1 : 1;
		goto out;
	}
	const unsigned char *p = body;
	if (blen > LONG_MAX || !(resp = d2i_OCSP_RESPONSE(NULL, &p, (long)blen))) {
		problem(R, WR_VP_OCSP, s->serial, url, "the answer is not an OCSP response");
		goto out;
	}
	status = OCSP_response_status(resp);
	if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		problem(R, WR_VP_OCSP, s->serial, url, "the responder answered %s",
			OCSP_response_status_str(status));
		goto out;
	}
	if (!(bs = OCSP_response_get1_basic(resp))) {
		problem(R, WR_VP_OCSP, s->serial, url, "not a basic OCSP response");
		goto out;
	}
	if (OCSP_basic_verify(bs, R->certs, R->store, 0) <= 0) {
		problem(R, WR_VP_SIGNATURE, s->serial, url,
			"the OCSP response's signature does not verify against the issuer");
		goto out;
	}
	/* -1 (nonce not echoed) is common with pre-signed responses; 0 is a
	 * different nonce: an answer to someone else's question. */
	if (OCSP_check_nonce(req, bs) == 0) {
		problem(R, WR_VP_OCSP, s->serial, url, "the response carries another nonce");
		goto out;
	}
	if (!OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd, &nextupd)) {
		problem(R, WR_VP_OCSP, s->serial, url, "the response says nothing of this certificate");
		goto out;
	}
	if (status != V_OCSP_CERTSTATUS_REVOKED) {
		problem(R, WR_VP_OCSP, s->serial, url, "OCSP answers %s, expected revoked",
			OCSP_cert_status_str(status));
		goto out;
	}
	/* The reason must agree with the CRL's for the same serial. */
	const char *rwhy;
	int ocsp_r = reason == OCSP_REVOKED_STATUS_NOSTATUS ? WR_CRL_OMIT : reason;
	switch (wr_ocsp_reason_check(s->expected, s->crl, ocsp_r, &rwhy)) {
	case 1:
		note(R, WR_VP_OCSP, s->serial, url, "OCSP answers revoked with %s where %s: %s",
		     ocsp_r == WR_CRL_OMIT ? "no reason" : reason_label(ocsp_r, l1),
		     s->crl == WR_CRL_NONE ? "privilegeWithdrawn (9) is expected"
					   : "the CRL says privilegeWithdrawn (9)",
		     rwhy);
		break;
	case -1:
		problem(R, WR_VP_OCSP, s->serial, url,
			"OCSP answers revoked with %s, the CRL lists it with %s: %s",
			reason_label(ocsp_r, l1), reason_label(s->crl, l2), rwhy);
		goto out;
	case -2:
		problem(R, WR_VP_OCSP, s->serial, url, "OCSP answers revoked with %s, expected %s: %s",
			reason_label(ocsp_r, l1), expected_label(s->expected, l2), rwhy);
		goto out;
	}
	ret = 0;
	/* Revoked it is; a stale or over-long answer is still a problem. */
	int64_t tu = asn1_time(thisupd), nu = nextupd ? asn1_time(nextupd) : 0;
	if (tu > R->now + SKEW)
		problem(R, WR_VP_DATES, s->serial, url, "OCSP thisUpdate %s is in the future",
			wr_time_format(tu, b1));
	if (nu && nu < R->now - SKEW)
		problem(R, WR_VP_DATES, s->serial, url, "stale OCSP response: nextUpdate %s passed",
			wr_time_format(nu, b1));
	if (nu && tu && nu - tu > MAX_VALIDITY)
		problem(R, WR_VP_DATES, s->serial, url,
			"OCSP validity %s to %s is over 10 days (BR 4.9.10)", wr_time_format(tu, b1),
			wr_time_format(nu, b2));
	goto out;
build_failed:
	problem(R, WR_VP_OCSP, s->serial, url, "could not build the OCSP request");
out:
	ERR_clear_error();
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(idc);
	OCSP_CERTID_free(id);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	OPENSSL_free(der);
	free(body);
	return ret;
}

static int check_ocsp(struct run *R, const char *url)
{
	struct wr_verify_result *r = R->r;
	int64_t want = R->o->sample < 0 ? WR_VERIFY_SAMPLE_DEFAULT : R->o->sample;
	struct sample *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int rc, fails = 0;
	int64_t forged = 0, not_http = 0;

	if (want == 0)
		return 0;
	/* Ids first, then the DER of the chosen few only (for their AIA). */
	if ((rc = wr_prepare(R->db,
			     R->scan_table
				     ? "SELECT c.id, c.serial, c.crl_reason,"
				       " CASE WHEN ?4 THEN (SELECT der FROM cert_der WHERE cert_id = c.id) END"
				       " FROM (SELECT id FROM cert NOT INDEXED WHERE revoked_at IS NOT NULL"
				       "  AND not_after > ?1 ORDER BY random() LIMIT ?2) s"
				       " JOIN cert c ON c.id = s.id ORDER BY c.id"
				     : "SELECT c.id, c.serial, c.crl_reason,"
				       " CASE WHEN ?4 THEN (SELECT der FROM cert_der WHERE cert_id = c.id) END"
				       " FROM (SELECT id FROM cert WHERE revoked_at IS NOT NULL"
				       "  AND not_after > ?1 ORDER BY random() LIMIT ?2) s"
				       " JOIN cert c ON c.id = s.id ORDER BY c.id",
			     &st)))
		return rc;
	sqlite3_bind_int64(st, 1, R->now);
	sqlite3_bind_int64(st, 2, want);
	sqlite3_bind_int(st, 4, url == NULL);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			struct sample *w = realloc(v, cap * sizeof *w);
			if (!w) {
				rc = WR_ENOMEM;
				break;
			}
			v = w;
		}
		struct sample *s = &v[n];
		memset(s, 0, sizeof *s);
		s->id = sqlite3_column_int64(st, 0);
		snprintf(s->serial, sizeof s->serial, "%s", wr_col_text(st, 1));
		s->expected = sqlite3_column_type(st, 2) == SQLITE_NULL ? R->incident_reason
									: sqlite3_column_int(st, 2);
		if (!wr_crlset_find(R->set, s->serial, &s->crl, NULL))
			s->crl = WR_CRL_NONE;
		if (!url) {
			const unsigned char *p = sqlite3_column_blob(st, 3);
			int len = sqlite3_column_bytes(st, 3);
			X509 *x = p && len > 0 ? d2i_X509(NULL, &p, len) : NULL;
			bool any = false;
			if (x) {
				s->url = cert_ocsp_url(x, &any);
				if (any && !signed_by_issuer(x, R->issuer)) {
					forged++;
					free(s->url);
					s->url = NULL;
				} else if (any && !s->url) {
					not_http++;
				}
				X509_free(x);
			}
			ERR_clear_error();
			if (!s->url)
				continue; /* nowhere to ask about this one */
		}
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rc = rc == WR_ENOMEM ? wr_err(R->db, rc, "out of memory")
				     : wr_err_sq(R->db, "choosing the OCSP sample");
		goto out;
	}
	rc = 0;
	r->ocsp_urls_refused = forged + not_http;
	if (n == 0 && (forged || not_http))
		problem(R, WR_VP_SOURCE, NULL, NULL,
			"no sampled certificate's OCSP URL can be used (%lld do not verify with"
			" the issuer's key, %lld name no http:// URL): give --ocsp-url",
			(long long)forged, (long long)not_http);
	else if (forged)
		problem(R, WR_VP_SOURCE, NULL, NULL,
			"%lld sampled certificates were not asked: their signature does not"
			" verify with the issuer's key, so their OCSP URL is not trusted"
			" (give --ocsp-url to ask about them)",
			(long long)forged);
	if (n && !r->ocsp_url[0]) {
		char *u = clean(url ? url : v[0].url, sizeof r->ocsp_url - 8);
		snprintf(r->ocsp_url, sizeof r->ocsp_url, "%s", u ? u : "");
		free(u);
	}
	for (size_t i = 0; i < n; i++) {
		if (fails >= OCSP_GIVE_UP) {
			problem(R, WR_VP_OCSP, NULL, url ? url : v[i].url,
				"no answer %d times in a row: %zu more certificates not asked",
				OCSP_GIVE_UP, n - i);
			break;
		}
		r->ocsp_sampled++;
		int one = ocsp_one(R, &v[i], url ? url : v[i].url);
		fails = one < 0 ? fails + 1 : 0;
		if (one == 0) {
			r->ocsp_confirmed++;
			rc = idvec_push(&R->ocsp_yes, v[i].id);
		} else {
			rc = idvec_push(&R->ocsp_no, v[i].id);
		}
		if (rc) {
			rc = wr_err(R->db, rc, "out of memory");
			break;
		}
	}
out:
	for (size_t i = 0; i < n; i++)
		free(v[i].url);
	free(v);
	return rc;
}

/* ---- setup and record ------------------------------------------------------ */

static int load_issuer(struct run *R, const char *path, bool user_named)
{
	/* --issuer is the user's path: read with the user's own rights. */
	int fd = user_named ? wr_open_user(path, O_RDONLY, 0) : open(path, O_RDONLY | O_CLOEXEC);
	BIO *b = fd >= 0 ? BIO_new_fd(fd, BIO_CLOSE) : NULL;
	X509 *x = NULL;

	if (!b && fd >= 0)
		close(fd);
	if (!b)
		return wr_err(R->db, WR_EINVAL, "%s: cannot read the issuer certificate", path);
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	if (!x && BIO_reset(b) == 0)
		x = d2i_X509_bio(b, NULL);
	BIO_free(b);
	ERR_clear_error();
	if (!x)
		return wr_err(R->db, WR_EINVAL, "%s: not a certificate (PEM or DER)", path);
	R->issuer = x;
	if (!(R->store = X509_STORE_new()) || !X509_STORE_add_cert(R->store, x) ||
	    !(R->certs = sk_X509_new_null()) || !sk_X509_push(R->certs, x))
		return wr_err(R->db, WR_ENOMEM, "out of memory");
	return 0;
}

/* Sets col to val (0: NULL) for every id, UPDATE_BATCH ids a statement. */
static int update_ids(struct run *R, const char *col, int64_t val, const struct idvec *ids)
{
	char sql[64 + UPDATE_BATCH * 2];
	sqlite3_stmt *st;
	int rc = 0, k = snprintf(sql, sizeof sql, "UPDATE cert SET %s = ?1 WHERE id IN (?", col);

	if (!ids->n)
		return 0;
	for (int i = 1; i < UPDATE_BATCH; i++)
		k += snprintf(sql + k, sizeof sql - (size_t)k, ",?");
	snprintf(sql + k, sizeof sql - (size_t)k, ")");
	if ((rc = wr_prepare(R->db, sql, &st)))
		return rc;
	for (size_t i = 0; i < ids->n && !rc; i += UPDATE_BATCH) {
		wr_bind_time(st, 1, val);
		/* A short last batch repeats its last id: IN ignores duplicates. */
		for (size_t j = 0; j < UPDATE_BATCH; j++)
			sqlite3_bind_int64(st, (int)j + 2,
					   ids->v[i + j < ids->n ? i + j : ids->n - 1]);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = wr_err_sq(R->db, "recording verify results");
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

static json_t *figures(const struct wr_verify_result *r)
{
	json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			      "crls_fetched", (json_int_t)r->crls_fetched, "crls_valid",
			      (json_int_t)r->crls_valid, "crl_entries", (json_int_t)r->crl_entries,
			      "revoked", (json_int_t)r->revoked, "on_crl", (json_int_t)r->on_crl,
			      "wrong_reason", (json_int_t)r->wrong_reason, "missing",
			      (json_int_t)r->missing, "expired_absent",
			      (json_int_t)r->expired_absent, "ocsp_sampled",
			      (json_int_t)r->ocsp_sampled, "ocsp_confirmed",
			      (json_int_t)r->ocsp_confirmed, "problems", (json_int_t)r->problems);

	/* Only when it happened: the figures of a run with trusted URLs
	 * stay as they were. */
	if (j && r->crl_urls_refused)
		json_object_set_new(j, "crl_urls_refused", json_integer(r->crl_urls_refused));
	if (j && r->ocsp_urls_refused)
		json_object_set_new(j, "ocsp_urls_refused", json_integer(r->ocsp_urls_refused));
	if (j && r->wrong_shard)
		json_object_set_new(j, "wrong_shard", json_integer(r->wrong_shard));
	if (j && r->notes)
		json_object_set_new(j, "notes", json_integer(r->notes));
	return j;
}

static int record(struct run *R)
{
	struct wr_verify_result *r = R->r;
	json_t *details = figures(r), *ev = figures(r);
	char *dj = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	if (!details || !ev) {
		json_decref(details);
		json_decref(ev);
		return wr_err(R->db, WR_ENOMEM, "out of memory");
	}
	json_object_set_new(details, "crl_source", json_string(r->crl_source));
	json_object_set_new(details, "ocsp_url", r->ocsp_url[0] ? json_string(r->ocsp_url)
								 : json_null());
	json_object_set(details, "crls", R->crls);
	json_object_set(details, "first_problems", R->problems);
	if (json_array_size(R->notes))
		json_object_set(details, "first_notes", R->notes);
	json_object_set(details, "crl_numbers", R->numbers);
	json_object_set_new(ev, "crl_source", json_string(r->crl_source));
	json_object_set_new(ev, "ocsp_url", r->ocsp_url[0] ? json_string(r->ocsp_url)
							    : json_null());
	dj = json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(details);
	if (!dj) {
		json_decref(ev);
		return wr_err(R->db, WR_ENOMEM, "out of memory");
	}
	if ((rc = wr_tx_begin(R->db))) {
		json_decref(ev);
		free(dj);
		return rc;
	}
	/* on_crl / ocsp_revoked mean "as of the last check": a certificate
	 * found missing now loses an earlier time. */
	if ((rc = update_ids(R, "on_crl", r->checked_at, &R->on_crl)) ||
	    (rc = update_ids(R, "on_crl", 0, &R->off_crl)) ||
	    (rc = update_ids(R, "ocsp_revoked", r->checked_at, &R->ocsp_yes)) ||
	    (rc = update_ids(R, "ocsp_revoked", 0, &R->ocsp_no)))
		goto fail;
	if ((rc = wr_prepare(R->db,
			     "INSERT INTO publication(checked_at, crl_url, ocsp_url, on_crl,"
			     " ocsp_confirmed, ocsp_sampled, problems, details)"
			     " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			     &st)))
		goto fail;
	sqlite3_bind_int64(st, 1, r->checked_at);
	if (!R->cdp_mode)
		sqlite3_bind_text(st, 2, r->crl_source, -1, SQLITE_STATIC);
	if (r->ocsp_url[0])
		sqlite3_bind_text(st, 3, r->ocsp_url, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, r->on_crl);
	sqlite3_bind_int64(st, 5, r->ocsp_confirmed);
	sqlite3_bind_int64(st, 6, r->ocsp_sampled);
	sqlite3_bind_int64(st, 7, r->problems);
	sqlite3_bind_text(st, 8, dj, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = wr_err_sq(R->db, "recording the publication check");
		goto fail;
	}
	json_object_set_new(ev, "publication", json_integer(sqlite3_last_insert_rowid(R->db->sq)));
	sqlite3_finalize(st);
	st = NULL;
	rc = wr_event_add_json(R->db, "verify", ev);
	ev = NULL;
	if (rc || (rc = wr_tx_commit(R->db)))
		goto fail;
	free(dj);
	return 0;
fail:
	sqlite3_finalize(st);
	wr_tx_rollback(R->db);
	json_decref(ev);
	free(dj);
	return rc;
}

/* The CRL numbers the last verify saw (or carried), by URL. */
static int load_numbers(struct run *R)
{
	sqlite3_stmt *st;
	int rc;
	json_t *d = NULL;

	if ((rc = wr_prepare(R->db, "SELECT details FROM publication ORDER BY id DESC LIMIT 1", &st)))
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW && wr_col_text(st, 0))
		d = json_loads(wr_col_text(st, 0), 0, NULL);
	sqlite3_finalize(st);
	json_t *n = json_object_get(d, "crl_numbers");
	R->numbers_last = json_is_object(n) ? json_incref(n) : json_object();
	json_decref(d);
	R->numbers = R->numbers_last ? json_deep_copy(R->numbers_last) : NULL;
	if (!R->numbers)
		return wr_err(R->db, WR_ENOMEM, "out of memory");
	return 0;
}

static int may_verify(struct wr_db *db)
{
	/* Proof of publication is Phase 3's last step, and what Compliance
	 * shows an auditor: either team may run it. */
	if (wr_auth_team(db, "compliance-legal") == 0)
		return 0;
	return wr_auth_team(db, "revocation");
}

int wr_verify(struct wr_db *db, const struct wr_verify_opts *o, struct wr_verify_result *r,
	      wr_verify_problem_cb cb, void *ctx)
{
	const struct wr_config *cfg = wr_db_config(db);
	struct run R = {.db = db, .o = o, .r = r, .cb = cb, .ctx = ctx};
	char ibuf[4096];
	const char *issuer, *crl_url, *ocsp_url;
	int64_t inc_reason = WR_CRL_OMIT;
	int rc;

	memset(r, 0, sizeof *r);
	if ((rc = may_verify(db)))
		return rc;
	crl_url = o->crl_url ? o->crl_url : wr_config_get(cfg, "local", "crl_url");
	ocsp_url = o->ocsp_url ? o->ocsp_url : wr_config_get(cfg, "local", "ocsp_url");
	issuer = o->issuer ? o->issuer : wr_config_file(cfg, "local", "ca_cert", ibuf, sizeof ibuf);
	if (crl_url && !http_url(crl_url))
		return wr_err(db, WR_EINVAL, "CRL URL '%.200s' is not http:// or https://", crl_url);
	if (ocsp_url && !http_url(ocsp_url))
		return wr_err(db, WR_EINVAL, "OCSP URL '%.200s' is not http:// or https://",
			      ocsp_url);
	if (!issuer)
		return wr_err(db, WR_EINVAL,
			      "no issuer certificate: give --issuer FILE or set ca_cert in [local]");
	if (o->sample < -1)
		return wr_err(db, WR_EINVAL, "the OCSP sample cannot be negative");

	rc = wr_query_int(db, "SELECT coalesce(crl_reason, -1) FROM incident WHERE id = 1",
			  &inc_reason);
	if (rc && rc != WR_ENOENT)
		return rc;
	R.incident_reason = (int)inc_reason;
	/* When many are revoked, one pass over the table beats a lookup per
	 * row through cert_revoked_at (10 times faster at a million). */
	int64_t revoked = 0, affected = 0;
	if ((rc = wr_query_int(db, "SELECT n FROM counter WHERE name = 'revoked'", &revoked)) ||
	    (rc = wr_query_int(db, "SELECT n FROM counter WHERE name = 'affected'", &affected)))
		return rc;
	R.scan_table = revoked * 10 > affected;
	R.now = r->checked_at = wr_clock_now(db);
	R.timeout = o->timeout > 0 ? o->timeout : DEFAULT_TIMEOUT;
	R.max_bytes = o->max_bytes ? o->max_bytes : DEFAULT_MAX_BYTES;
	R.cdp_mode = crl_url == NULL;
	R.base = crl_url && !single_crl_url(crl_url) ? crl_url : NULL;
	if (crl_url) {
		char *u = clean(crl_url, sizeof r->crl_source - 8);
		snprintf(r->crl_source, sizeof r->crl_source, "%s", u ? u : "");
		free(u);
	} else {
		snprintf(r->crl_source, sizeof r->crl_source, "CRL Distribution Points");
	}
	if ((rc = load_issuer(&R, issuer, o->issuer != NULL)))
		goto out_nocurl;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		rc = wr_err(db, WR_ERROR, "libcurl failed to initialize");
		goto out_nocurl;
	}
	if (!(R.curl = curl_easy_init()) || !(R.set = wr_crlset_new()) ||
	    !(R.crls = json_array()) || !(R.problems = json_array()) ||
	    !(R.notes = json_array())) {
		rc = wr_err(db, WR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = load_numbers(&R)))
		goto out;

	if (crl_url) {
		rc = single_crl_url(crl_url) ? crl_fetch_add(&R, crl_url)
					     : crl_list_fetch(&R, crl_url);
		if (!rc && (rc = wr_crlset_sort(R.set)))
			rc = wr_err(db, rc, "out of memory sorting CRL entries");
		if (rc)
			goto out;
	}
	if ((rc = check_revoked(&R)) || (rc = recheck(&R)))
		goto out;
	check_shard_scope(&R);
	if ((rc = check_ocsp(&R, ocsp_url)))
		goto out;
	if (R.cdp_mode && R.recs.n)
		snprintf(r->crl_source, sizeof r->crl_source,
			 "CRL Distribution Points (%zu URLs)", R.recs.n);
	rc = record(&R);
out:
	curl_easy_cleanup(R.curl);
	curl_global_cleanup();
out_nocurl:
	wr_crlset_free(R.set);
	recs_free(&R.recs);
	json_decref(R.notes);
	json_decref(R.numbers);
	json_decref(R.numbers_last);
	free(R.recheck.v);
	json_decref(R.crls);
	json_decref(R.problems);
	free(R.on_crl.v);
	free(R.off_crl.v);
	free(R.ocsp_yes.v);
	free(R.ocsp_no.v);
	sk_X509_free(R.certs);
	X509_STORE_free(R.store);
	X509_free(R.issuer);
	return rc;
}
