/*
 * population.c: an exercise's affected certificates, generated.
 *
 * A tabletop needs the population of the event it rehearses: thousands of
 * certificates the revocation engine, the CRLs and `openssl verify` really
 * handle, and, for an event at scale (3 million in the CAA bug), millions
 * of rows whose counts, burn-down and pace behave as a real incident's.
 * So the first `real` certificates are signed by the exercise's own test
 * CA and go through the ordinary import (parsed, their signatures checked,
 * their customers from a CSV), and the rest are rows written straight
 * into the cert table with the same fields and no DER, marked synthetic.
 * The local backend revokes a row without DER by its serial, and its CRLs
 * list real and synthetic serials alike.
 *
 * Every choice (customer, names, lifetime, expiry, serial) follows from
 * the seed and the certificate's index, real or synthetic alike, so the
 * two parts are one population and a scenario gives the same one every
 * time. Counts are exact: the expired certificates and each customer's
 * share are dealt through permutations of the indexes, not by chance.
 *
 * Speed (bench/exercise.sh): a million rows is one prepared INSERT in one
 * transaction, with the table's indexes and counter triggers set aside
 * and made again after it (aside_drop). A page cache large enough to hold
 * the table keeps that in memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "population.h"

#define DAY 86400
#define KEY_POOL 8

/* ---- deterministic choices ------------------------------------------------- */

/* splitmix64: small, fast, the same sequence everywhere for a seed. */
static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t pick(uint64_t *s, uint64_t n) { return n ? mix(s) % n : 0; }

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* i -> (a*i + b) mod n with a prime to n: a permutation of 0..n-1, so
 * that "the first k" of it are k indexes spread over the population. */
struct perm {
	uint64_t a, b, n;
};

static void perm_init(struct perm *p, uint64_t n, uint64_t seed)
{
	uint64_t s = seed;

	p->n = n ? n : 1;
	p->a = p->n > 2 ? (uint64_t)((double)p->n * 0.6180339887) | 1 : 1;
	while (p->n > 1 && gcd(p->a, p->n) != 1)
		p->a++;
	p->a %= p->n;
	if (!p->a)
		p->a = 1;
	p->b = pick(&s, p->n);
}

static uint64_t perm_at(const struct perm *p, uint64_t i)
{
	return (uint64_t)(((unsigned __int128)p->a * i + p->b) % p->n);
}

/* ---- customers ----------------------------------------------------------------- */

static const char *const brands[] = {
	"acme", "northwind", "contoso", "fabrikam", "tailspin", "wingtip", "adventure",
	"bluefin", "coho", "litware", "proseware", "lucerne", "margie", "fourth-coffee",
	"alpine", "woodgrove", "graphic", "humongous", "trey", "wide-world", "blue-yonder",
	"southridge", "vanarsdel", "relecloud",
};
static const char *const trades[] = {
	"logistics", "bank", "health", "retail", "energy", "media", "insurance", "travel",
	"foods", "labs", "systems", "telecom", "motors", "pharma", "capital", "games",
	"water", "grid", "rail", "hospital",
};
static const char *const hosts[] = {
	"www", "shop", "api", "mail", "portal", "login", "cdn", "static", "app", "vpn",
	"status", "pay", "auth", "edge", "assets", "m",
};

struct cust {
	char *name, *contact, *domain;
	bool critical;
	int64_t certs; /* named: exactly so many; else 0 */
};

struct gen {
	const struct wr_population *p;
	struct cust *cs;
	size_t ncs;
	int64_t named_certs; /* the named customers' certificates */
	int64_t *named_end;  /* prefix sums of the named customers' certs */
	struct perm owner, expiry;
	int64_t nexpired;
	double vsum[WR_POP_VALIDITY_MAX];
	int64_t now;
	char *issuer; /* the CA's name, as the issuer column keeps names */
	bool more;    /* certificates found later: serials of their own range */
};

static void title_case(char *dst, size_t n, const char *src)
{
	size_t o = 0;
	bool up = true;

	for (; *src && o + 1 < n; src++) {
		char c = *src == '-' ? ' ' : *src;
		dst[o++] = up && c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
		up = c == ' ';
	}
	dst[o] = '\0';
}

/* A named customer's domain: its name in lower-case letters and digits,
 * words joined by '-', under .example. */
static void slug(char *dst, size_t n, const char *name)
{
	size_t o = 0;
	bool dash = false;

	for (; *name && o + 10 < n; name++) {
		unsigned char c = (unsigned char)*name;
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) {
			if (dash && o)
				dst[o++] = '-';
			dst[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			dash = false;
		} else {
			dash = true;
		}
		if (o > 40)
			break;
	}
	if (!o)
		dst[o++] = 'x';
	snprintf(dst + o, n - o, ".example");
}

static void custs_free(struct cust *cs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(cs[i].name), free(cs[i].contact), free(cs[i].domain);
	free(cs);
}

/* The named customers, then generated ones up to p->customers; the
 * critical share exact, the generated critical ones spread evenly. */
static int custs_make(struct wr_db *db, struct gen *g)
{
	const struct wr_population *p = g->p;
	size_t k = (size_t)p->customers, combos = NELEM(brands) * NELEM(trades);
	uint64_t s = p->seed ^ 0xc0ffee;
	size_t at = (size_t)pick(&s, combos), step = 7;
	int64_t want_crit = (int64_t)((double)k * p->critical + 0.5), named_crit = 0;

	if (!(g->cs = calloc(k ? k : 1, sizeof *g->cs)) ||
	    !(g->named_end = calloc(p->nnamed + 1, sizeof *g->named_end)))
		return wr_err(db, WR_ENOMEM, "out of memory");
	g->ncs = k;
	for (size_t i = 0; i < p->nnamed; i++) {
		char dom[96], contact[128];
		slug(dom, sizeof dom, p->named[i].name);
		snprintf(contact, sizeof contact, "pki@%s", dom);
		g->cs[i].name = strdup(p->named[i].name);
		g->cs[i].domain = strdup(dom);
		g->cs[i].contact = strdup(p->named[i].contact ? p->named[i].contact : contact);
		g->cs[i].critical = p->named[i].critical;
		g->cs[i].certs = p->named[i].certs;
		named_crit += p->named[i].critical;
		g->named_certs += p->named[i].certs;
		g->named_end[i] = g->named_certs;
		if (!g->cs[i].name || !g->cs[i].domain || !g->cs[i].contact)
			return wr_err(db, WR_ENOMEM, "out of memory");
	}
	size_t unnamed = k - p->nnamed;
	int64_t need = want_crit > named_crit ? want_crit - named_crit : 0;
	for (size_t j = 0, i = p->nnamed; i < k; i++, j++) {
		char base[64], pretty[64], name[96], dom[96], contact[128];
		for (;;) {
			const char *b = brands[at % NELEM(brands)], *t = trades[at / NELEM(brands)];
			unsigned round = (unsigned)(j / combos);
			at = (at + step) % combos;
			if (round)
				snprintf(base, sizeof base, "%s-%s%u", b, t, round + 1);
			else
				snprintf(base, sizeof base, "%s-%s", b, t);
			title_case(pretty, sizeof pretty, base);
			snprintf(name, sizeof name, "%s%s", pretty,
				 j % 3 == 0 ? ", Inc." : j % 3 == 1 ? " Ltd" : "");
			/* A generated name never takes a named customer's. */
			bool taken = false;
			for (size_t q = 0; q < p->nnamed && !taken; q++)
				taken = strcmp(g->cs[q].name, name) == 0;
			if (!taken)
				break;
			j++;
		}
		snprintf(dom, sizeof dom, "%s.%s", base, i % 5 == 4 ? "test" : "example");
		snprintf(contact, sizeof contact, "pki@%s", dom);
		g->cs[i].name = strdup(name);
		g->cs[i].domain = strdup(dom);
		g->cs[i].contact = strdup(contact);
		if (!g->cs[i].name || !g->cs[i].domain || !g->cs[i].contact)
			return wr_err(db, WR_ENOMEM, "out of memory");
		size_t u = i - p->nnamed;
		g->cs[i].critical = unnamed && (int64_t)((u + 1) * (uint64_t)need / unnamed) >
						       (int64_t)(u * (uint64_t)need / unnamed);
	}
	return 0;
}

/* ---- one certificate's fields ----------------------------------------------- */

struct spec {
	const struct cust *cu;
	char cn[192];
	char sans[400];	     /* comma-separated, as the sans column */
	const char *san[3];  /* into names[] */
	char names[3][192];
	int nsans;
	char endpoints[512]; /* "" : none recorded */
	int64_t not_before, not_after;
	unsigned char serial[16];
	char serial_hex[40];
	uint64_t key; /* rises with the index: the serial's first 8 bytes */
};

static int gen_init(struct wr_db *db, struct gen *g, const struct wr_population *p, int64_t now)
{
	int rc;

	g->p = p;
	g->now = now;
	if ((rc = custs_make(db, g)))
		return rc;
	perm_init(&g->owner, (uint64_t)p->count, p->seed ^ 0x0a);
	perm_init(&g->expiry, (uint64_t)p->count, p->seed ^ 0x0b);
	g->nexpired = (int64_t)((double)p->count * p->expired + 0.5);
	double sum = 0;
	for (size_t i = 0; i < p->nvalidity; i++)
		g->vsum[i] = sum += p->validity[i].weight;
	return 0;
}

static void gen_free(struct gen *g)
{
	custs_free(g->cs, g->ncs);
	free(g->named_end);
	free(g->issuer);
}

/* Which customer certificate i belongs to: through a permutation, the
 * named customers' exact counts, then one each for the other customers,
 * then the rest skewed, a few customers holding many, as a CA's do. */
static const struct cust *owner_of(const struct gen *g, int64_t i, uint64_t *s)
{
	const struct wr_population *p = g->p;
	int64_t slot = (int64_t)perm_at(&g->owner, (uint64_t)i);
	size_t unnamed = g->ncs - p->nnamed;

	if (slot < g->named_certs) {
		size_t lo = 0, hi = p->nnamed - 1;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (g->named_end[mid] > slot)
				hi = mid;
			else
				lo = mid + 1;
		}
		return &g->cs[lo];
	}
	slot -= g->named_certs;
	if (!unnamed) /* only named customers: the rest spread over them */
		return &g->cs[(uint64_t)slot % g->ncs];
	if (slot < (int64_t)unnamed)
		return &g->cs[p->nnamed + (size_t)slot];
	double u = (double)(mix(s) >> 11) / 9007199254740992.0;
	return &g->cs[p->nnamed + (size_t)(u * u * (double)unnamed) % unnamed];
}

static void spec_make(const struct gen *g, int64_t i, struct spec *sp)
{
	const struct wr_population *p = g->p;
	uint64_t s = p->seed * 0x100000001b3ULL ^ (uint64_t)i * 0x9e3779b97f4a7c15ULL;
	const struct cust *cu = owner_of(g, i, &s);
	const char *host = hosts[pick(&s, NELEM(hosts))];
	size_t o;

	sp->cu = cu;
	snprintf(sp->cn, sizeof sp->cn, "%s.%s", host, cu->domain);
	snprintf(sp->names[0], sizeof sp->names[0], "%s", sp->cn);
	sp->nsans = 1;
	switch (pick(&s, 4)) {
	case 0:
		snprintf(sp->names[sp->nsans++], sizeof sp->names[0], "%s", cu->domain);
		break;
	case 1: {
		const char *h2 = hosts[pick(&s, NELEM(hosts))];
		if (strcmp(h2, host) != 0)
			snprintf(sp->names[sp->nsans++], sizeof sp->names[0], "%s.%s", h2,
				 cu->domain);
		break;
	}
	default:
		break;
	}
	o = 0;
	sp->sans[0] = '\0';
	for (int k = 0; k < sp->nsans; k++) {
		sp->san[k] = sp->names[k];
		o += (size_t)snprintf(sp->sans + o, sizeof sp->sans - o, "%s%s", k ? "," : "",
				      sp->names[k]);
	}

	/* The lifetime from the spread; expired ones exactly as many as the
	 * share says, the others valid now. */
	double u = (double)(mix(&s) >> 11) / 9007199254740992.0 * g->vsum[p->nvalidity - 1];
	size_t v = 0;
	while (v + 1 < p->nvalidity && u >= g->vsum[v])
		v++;
	int64_t life = p->validity[v].secs;
	if ((int64_t)perm_at(&g->expiry, (uint64_t)i) < g->nexpired) {
		sp->not_after = g->now - 60 - (int64_t)pick(&s, 90 * DAY);
		sp->not_before = sp->not_after - life + 1;
	} else {
		/* Valid for a while yet: a clock run fast must not expire them
		 * in the first real seconds. */
		int64_t margin = life / 4 < DAY ? life / 4 : DAY;
		sp->not_before = g->now - margin - (int64_t)pick(&s, (uint64_t)(life - 2 * margin));
		sp->not_after = sp->not_before + life - 1;
	}

	/* Endpoints: the first name on 443, then others on other ports. */
	sp->endpoints[0] = '\0';
	if (p->endpoints_max > 0) {
		int n = p->endpoints_min +
			(int)pick(&s, (uint64_t)(p->endpoints_max - p->endpoints_min + 1));
		o = 0;
		for (int k = 0; k < n; k++) {
			if (k == 0)
				o += (size_t)snprintf(sp->endpoints + o, sizeof sp->endpoints - o,
						      "%s", sp->cn);
			else
				o += (size_t)snprintf(sp->endpoints + o, sizeof sp->endpoints - o,
						      " %s.%s:%d", hosts[(size_t)k % NELEM(hosts)],
						      cu->domain, 8442 + k);
			if (o >= sizeof sp->endpoints - 64)
				break;
		}
	}

	/* 16 bytes, positive, with 8 random ones as CAs' serials have, and
	 * 8 that rise with the index: distinct for distinct indexes, spread
	 * over [0x40.., 0x80..) for the population, and from 0x10.. for
	 * certificates found later (more-certs), and in the order the rows
	 * are inserted, so the serial index takes them at its end (a
	 * random key costs a seek into a growing index each, half the
	 * insert's time at a million). */
	uint64_t top = g->more ? 0x1000000000000000ULL + (uint64_t)i
			       : 0x4000000000000000ULL +
					 (uint64_t)((unsigned __int128)(uint64_t)i *
						    0x4000000000000000ULL / (uint64_t)p->count);
	uint64_t r = mix(&s);
	for (int k = 0; k < 8; k++) {
		sp->serial[k] = (unsigned char)(top >> (56 - 8 * k));
		sp->serial[8 + k] = (unsigned char)(r >> (56 - 8 * k));
	}
	sp->key = top;
	static const char hx[] = "0123456789ABCDEF";
	for (int k = 0; k < 16; k++) {
		sp->serial_hex[2 * k] = hx[sp->serial[k] >> 4];
		sp->serial_hex[2 * k + 1] = hx[sp->serial[k] & 15];
	}
	sp->serial_hex[32] = '\0';
}

/* ---- the test CA ------------------------------------------------------------------ */

static int ossl_err(struct wr_db *db, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return wr_err(db, WR_ERROR, "%s%s%s", what, buf[0] ? ": " : "", buf);
}

static X509_NAME *ca_name(void)
{
	X509_NAME *n = X509_NAME_new();

	if (!n ||
	    !X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"XX", -1, -1,
					0) ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
					(const unsigned char *)"Warroom Exercise (not trusted)", -1,
					-1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
					(const unsigned char *)"Warroom Exercise Issuing CA", -1, -1,
					0)) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

static bool add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	bool ok = e && X509_add_ext(x, e, -1);

	X509_EXTENSION_free(e);
	return ok;
}

static bool random_serial(X509 *x)
{
	unsigned char b[16];
	BIGNUM *bn;
	bool ok;

	if (RAND_bytes_ex(NULL, b, sizeof b, 0) != 1)
		return false;
	b[0] = (unsigned char)((b[0] & 0x7f) | 0x01);
	bn = BN_bin2bn(b, sizeof b, NULL);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	return ok;
}

/* Writes data to dir/name with mode, whatever the umask; with excl the
 * file must not exist (a key is never written over). */
static int write_file(struct wr_db *db, const char *dir, const char *name, const char *data,
		      size_t len, unsigned mode, bool excl)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fd = wr_open_user(path, O_WRONLY | O_CREAT | O_NOFOLLOW | (excl ? O_EXCL : O_TRUNC), mode);
	if (fd < 0)
		return wr_err(db, WR_EIO, "%s: %s", path, strerror(errno));
	bool ok = fchmod(fd, mode) == 0;
	for (size_t off = 0; ok && off < len;) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		ok = w > 0;
		off += ok ? (size_t)w : 0;
	}
	if (close(fd) != 0)
		ok = false;
	return ok ? 0 : wr_err(db, WR_EIO, "%s: %s", path, strerror(errno));
}

static char *bio_text(BIO *b, size_t *len)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);
	char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;

	if (s) {
		memcpy(s, p, (size_t)n);
		s[n] = '\0';
		*len = (size_t)n;
	}
	return s;
}

int wr_population_ca(struct wr_db *db, const char *dir, int64_t now)
{
	char kpath[4096], cpath[4096];
	struct stat sb;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	X509_NAME *n = NULL;
	BIO *kb = NULL, *cb = NULL;
	char *ktext = NULL, *ctext = NULL;
	size_t klen = 0, clen = 0;
	int rc;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return wr_err(db, WR_EIO, "%s: %s", dir, strerror(errno));
	snprintf(kpath, sizeof kpath, "%s/ca.key", dir);
	snprintf(cpath, sizeof cpath, "%s/ca.pem", dir);
	if (stat(kpath, &sb) == 0 && stat(cpath, &sb) == 0)
		return 0;

	X509V3_CTX ctx;
	if (!(key = EVP_EC_gen("P-256")) || !(x = X509_new()) || !X509_set_version(x, 2) ||
	    !random_serial(x) || !(n = ca_name()) || !X509_set_subject_name(x, n) ||
	    !X509_set_issuer_name(x, n) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(now - 365 * (int64_t)DAY)) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(now + 10 * 366 * (int64_t)DAY)) ||
	    !X509_set_pubkey(x, key)) {
		rc = ossl_err(db, "making the exercise CA");
		goto out;
	}
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (!add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
	    !add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
	    !X509_sign(x, key, EVP_sha256()) || !(kb = BIO_new(BIO_s_mem())) ||
	    !(cb = BIO_new(BIO_s_mem())) ||
	    !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(cb, x) || !(ktext = bio_text(kb, &klen)) ||
	    !(ctext = bio_text(cb, &clen))) {
		rc = ossl_err(db, "making the exercise CA");
		goto out;
	}
	/* The key first, never readable by others (the local backend refuses
	 * a key others can read); the certificate is public. */
	(void)unlink(kpath);
	if (!(rc = write_file(db, dir, "ca.key", ktext, klen, 0600, true)))
		rc = write_file(db, dir, "ca.pem", ctext, clen, 0644, false);
out:
	if (ktext)
		OPENSSL_cleanse(ktext, klen);
	free(ktext);
	free(ctext);
	BIO_free(kb);
	BIO_free(cb);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

static int ca_load(struct wr_db *db, const char *dir, X509 **ca, EVP_PKEY **key)
{
	char path[4096];
	FILE *f;

	*ca = NULL;
	if (key)
		*key = NULL;
	snprintf(path, sizeof path, "%s/ca.pem", dir);
	if (!(f = wr_fopen_user(path, "r")))
		return wr_err(db, WR_EIO, "%s: %s", path, strerror(errno));
	*ca = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!*ca)
		return ossl_err(db, "reading the exercise CA's certificate");
	if (!key)
		return 0;
	snprintf(path, sizeof path, "%s/ca.key", dir);
	if (!(f = wr_fopen_user(path, "r")))
		return wr_err(db, WR_EIO, "%s: %s", path, strerror(errno));
	*key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!*key)
		return ossl_err(db, "reading the exercise CA's key");
	return 0;
}

/* ---- the real certificates ---------------------------------------------------------- */

/* A leaf for each pool key, made once: what every certificate of that
 * key shares (version, issuer, key, extensions). Setting the key is the
 * costly part in OpenSSL 3 (it encodes and decodes it again), half of a
 * certificate's time, so a template keeps it and each certificate only
 * changes the rest (leaf_fill). */
static X509 *leaf_template(X509 *ca, EVP_PKEY *key, X509_EXTENSION *const *exts, size_t nexts)
{
	X509 *x = X509_new();
	bool ok = x && X509_set_version(x, 2) &&
		  X509_set_issuer_name(x, X509_get_subject_name(ca)) && X509_set_pubkey(x, key);

	for (size_t k = 0; ok && k < nexts; k++)
		ok = X509_add_ext(x, exts[k], -1);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* The certificate's own fields into its key's template, its SAN last
 * (replacing the one before), then signed. */
static bool leaf_fill(X509 *x, const struct spec *sp, EVP_MD_CTX *tmpl, size_t nexts)
{
	X509_NAME *n = X509_NAME_new();
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	BIGNUM *bn = BN_bin2bn(sp->serial, sizeof sp->serial, NULL);
	bool ok = n && gens && bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
		  X509_NAME_add_entry_by_NID(n, NID_commonName, V_ASN1_UTF8STRING,
					     (const unsigned char *)sp->cn, -1, -1, 0) &&
		  X509_set_subject_name(x, n) &&
		  ASN1_TIME_set(X509_getm_notBefore(x), (time_t)sp->not_before) &&
		  ASN1_TIME_set(X509_getm_notAfter(x), (time_t)sp->not_after);
	for (int k = 0; ok && k < sp->nsans; k++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
		ok = g && ia5 && ASN1_STRING_set(ia5, sp->san[k], -1);
		if (ok) {
			GENERAL_NAME_set0_value(g, GEN_DNS, ia5);
			ia5 = NULL;
			ok = sk_GENERAL_NAME_push(gens, g) > 0;
			if (ok)
				g = NULL;
		}
		ASN1_IA5STRING_free(ia5);
		GENERAL_NAME_free(g);
	}
	if (ok && X509_get_ext_count(x) > (int)nexts)
		X509_EXTENSION_free(X509_delete_ext(x, (int)nexts));
	ok = ok && X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0);
	/* A copy of a signing context made once, rather than X509_sign's
	 * look-up of the algorithms for every certificate. */
	EVP_MD_CTX *ctx = ok ? EVP_MD_CTX_new() : NULL;
	ok = ok && ctx && EVP_MD_CTX_copy_ex(ctx, tmpl) && X509_sign_ctx(x, ctx) > 0;
	EVP_MD_CTX_free(ctx);
	BN_free(bn);
	X509_NAME_free(n);
	GENERAL_NAMES_free(gens);
	return ok;
}

static void csv_field(struct wr_buf *b, const char *s, bool *ok)
{
	if (!strpbrk(s, ",\"\n\r")) {
		*ok &= wr_buf_put(b, s, strlen(s));
		return;
	}
	*ok &= wr_buf_put(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"')
			*ok &= wr_buf_put(b, "\"", 1);
		*ok &= wr_buf_put(b, s, 1);
	}
	*ok &= wr_buf_put(b, "\"", 1);
}

struct rejects {
	int64_t n;
	char first[512];
};

static void on_reject(const char *where, const char *why, void *ctx)
{
	struct rejects *r = ctx;

	if (!r->n++)
		snprintf(r->first, sizeof r->first, "%s: %s", where, why);
}

/* Signs the first p->real certificates into dir/real.pem, their customers
 * into dir/customers.csv, and imports both as an operator would. */
static int real_make(struct wr_db *db, const struct gen *g, const char *dir)
{
	const struct wr_population *p = g->p;
	X509 *ca = NULL;
	EVP_PKEY *ca_key = NULL, *pool[KEY_POOL] = {0};
	X509 *leafs[KEY_POOL] = {0};
	X509_EXTENSION *exts[4] = {0};
	EVP_MD_CTX *tmpl = EVP_MD_CTX_new();
	struct wr_buf pem = {0}, csv = {0};
	BIO *b = NULL;
	struct spec sp;
	int rc;
	bool ok = true;

	if ((rc = ca_load(db, dir, &ca, &ca_key)))
		goto out;
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, ca, NULL, NULL, NULL, 0);
	exts[0] = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:FALSE");
	exts[1] = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, "critical,digitalSignature");
	exts[2] = X509V3_EXT_conf_nid(NULL, &ctx, NID_ext_key_usage, "serverAuth");
	/* The CA's key identifier, as public CAs' leaves carry it (ARI). */
	exts[3] = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
	for (size_t k = 0; k < NELEM(exts); k++)
		ok &= exts[k] != NULL;
	/* A few P-256 keys shared by the leaves: generating one per
	 * certificate would cost more than signing it. */
	for (int k = 0; k < KEY_POOL && ok; k++)
		ok = (pool[k] = EVP_EC_gen("P-256")) != NULL &&
		     (leafs[k] = leaf_template(ca, pool[k], exts, NELEM(exts))) != NULL;
	ok = ok && tmpl && EVP_DigestSignInit_ex(tmpl, NULL, "SHA256", NULL, NULL, ca_key, NULL);
	if (!ok || !(b = BIO_new(BIO_s_mem()))) {
		rc = ossl_err(db, "preparing the exercise's certificates");
		goto out;
	}
	ok = wr_buf_put(&csv, "serial,customer,contact,critical,endpoints\n", 43);
	for (int64_t i = 0; ok && i < p->real; i++) {
		spec_make(g, i, &sp);
		X509 *x = leafs[i % KEY_POOL];
		if (!leaf_fill(x, &sp, tmpl, NELEM(exts))) {
			rc = ossl_err(db, "signing an exercise certificate");
			goto out;
		}
		(void)BIO_reset(b);
		ok = PEM_write_bio_X509(b, x);
		char *data;
		long n = BIO_get_mem_data(b, &data);
		ok = ok && n > 0 && wr_buf_put(&pem, data, (size_t)n);
		ok = ok && wr_buf_put(&csv, sp.serial_hex, strlen(sp.serial_hex)) &&
		     wr_buf_put(&csv, ",", 1);
		csv_field(&csv, sp.cu->name, &ok);
		ok = ok && wr_buf_put(&csv, ",", 1);
		csv_field(&csv, sp.cu->contact, &ok);
		const char *crit = sp.cu->critical ? ",yes," : ",no,";
		ok = ok && wr_buf_put(&csv, crit, strlen(crit));
		csv_field(&csv, sp.endpoints, &ok);
		ok = ok && wr_buf_put(&csv, "\n", 1);
	}
	if (!ok) {
		rc = wr_err(db, WR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = write_file(db, dir, "real.pem", pem.p ? pem.p : "", pem.len, 0644, false)) ||
	    (rc = write_file(db, dir, "customers.csv", csv.p, csv.len, 0644, false)))
		goto out;

	char pem_path[4096], ca_path[4096], csv_path[4096];
	snprintf(pem_path, sizeof pem_path, "%s/real.pem", dir);
	snprintf(ca_path, sizeof ca_path, "%s/ca.pem", dir);
	snprintf(csv_path, sizeof csv_path, "%s/customers.csv", dir);
	const char *paths[] = {pem_path}, *issuers[] = {ca_path};
	struct wr_import_stats st;
	struct rejects rj = {0};
	if ((rc = wr_import_paths_issuers(db, paths, 1, issuers, 1, 0, on_reject, &rj, &st)))
		goto out;
	if (rj.n || st.added != p->real || st.unchecked) {
		rc = wr_err(db, WR_ERROR, "the exercise's certificates did not import whole:"
			    " %lld of %lld added, %lld unchecked%s%s",
			    (long long)st.added, (long long)p->real, (long long)st.unchecked,
			    rj.n ? "; " : "", rj.first);
		goto out;
	}
	rc = wr_import_customers(db, csv_path, on_reject, &rj, &st);
	if (rj.n)
		rc = wr_err(db, WR_ERROR, "the exercise's customer list: %s", rj.first);
out:
	wr_buf_free(&pem);
	wr_buf_free(&csv);
	BIO_free(b);
	for (size_t k = 0; k < NELEM(exts); k++)
		X509_EXTENSION_free(exts[k]);
	for (int k = 0; k < KEY_POOL; k++)
		EVP_PKEY_free(pool[k]), X509_free(leafs[k]);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	EVP_MD_CTX_free(tmpl);
	return rc;
}

/* ---- the synthetic rows ----------------------------------------------------------------- */

static int custs_put(struct wr_db *db, const struct gen *g, int64_t now)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_prepare(db, "INSERT INTO customer(name, contact, critical, created, updated)"
				 " VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING", &st)))
		return rc;
	for (size_t i = 0; i < g->ncs && !rc; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, g->cs[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, g->cs[i].contact, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, g->cs[i].critical);
		sqlite3_bind_int64(st, 4, now);
		sqlite3_bind_int64(st, 5, now);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = wr_err_sq(db, "adding a customer");
		/* The customers' figures carry the flag (tally.c). */
		else if (sqlite3_changes(db->sq) == 1)
			rc = wr_tally_flags(db, g->cs[i].name, g->cs[i].critical, -1);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Rows from index `from` to `to` (excluded), in the current transaction;
 * with customer set, all of that customer's. */
static int synth_put(struct wr_db *db, const struct gen *g, int64_t from, int64_t to,
		     const struct cust *only)
{
	sqlite3_stmt *st;
	struct spec sp;
	int rc;

	if ((rc = wr_prepare(db, "INSERT INTO cert(sha256, serial, issuer, subject, sans,"
				 " not_before, not_after, spki_sha256, customer, contact, endpoints,"
				 " checked, synthetic) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1)",
			     &st)))
		return rc;
	for (int64_t i = from; i < to && !rc; i++) {
		unsigned char h[32], k[32];
		char subject[200];
		spec_make(g, i, &sp);
		const struct cust *cu = only ? only : sp.cu;
		if (only) { /* the names of the customer it belongs to */
			snprintf(sp.cn, sizeof sp.cn, "%s.%s", hosts[(uint64_t)i % NELEM(hosts)],
				 cu->domain);
			snprintf(sp.sans, sizeof sp.sans, "%s", sp.cn);
			if (sp.endpoints[0])
				snprintf(sp.endpoints, sizeof sp.endpoints, "%s", sp.cn);
		}
		/* No DER to hash, no key: 32 bytes each from the certificate's
		 * stream. The "sha256" rises in its first 8 bytes as the serial
		 * does (see spec_make), so it is unique as the serial is, and
		 * the index takes it at its end; a real certificate's hash
		 * cannot meet it but by a 2^-192 chance. */
		uint64_t s = g->p->seed ^ sp.key * 0xd1342543de82ef95ULL;
		for (int b = 0; b < 4; b++) {
			uint64_t x = b ? mix(&s) : sp.key, y = mix(&s);
			for (int c = 0; c < 8; c++) {
				h[8 * b + c] = (unsigned char)(x >> (56 - 8 * c));
				k[8 * b + c] = (unsigned char)(y >> (56 - 8 * c));
			}
		}
		snprintf(subject, sizeof subject, "CN=%s", sp.cn);
		sqlite3_reset(st);
		/* Static: every buffer outlives the step (a copy a column is
		 * what the malloc profile of a million inserts showed). */
		sqlite3_bind_blob(st, 1, h, sizeof h, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, sp.serial_hex, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, g->issuer, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, subject, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, sp.sans, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, sp.not_before);
		sqlite3_bind_int64(st, 7, sp.not_after);
		sqlite3_bind_blob(st, 8, k, sizeof k, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, cu->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 10, cu->contact, -1, SQLITE_STATIC);
		if (sp.endpoints[0])
			sqlite3_bind_text(st, 11, sp.endpoints, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 11);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = wr_err_sq(db, "adding a synthetic certificate");
	}
	sqlite3_finalize(st);
	return rc;
}

static json_t *pop_json(const struct wr_population *p, const char *dir, int64_t next)
{
	json_t *v = json_array(), *o;

	for (size_t i = 0; v && i < p->nvalidity; i++)
		json_array_append_new(v, json_pack("[I, f]", (json_int_t)p->validity[i].secs,
						   p->validity[i].weight));
	o = json_pack("{s:I, s:I, s:I, s:f, s:f, s:o, s:[i, i], s:s, s:s, s:I}", "count",
		      (json_int_t)p->count, "real", (json_int_t)p->real, "customers",
		      (json_int_t)p->customers, "critical", p->critical, "expired", p->expired,
		      "validity", v, "endpoints", p->endpoints_min, p->endpoints_max, "seed",
		      /* JSON integers are signed: the seed as text */
		      "", "ca_dir", dir, "next", (json_int_t)next);
	if (o) {
		char seed[24];
		snprintf(seed, sizeof seed, "%llu", (unsigned long long)p->seed);
		json_object_set_new(o, "seed", json_string(seed));
	}
	return o;
}

static int meta_put(struct wr_db *db, json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	sqlite3_stmt *st;
	int rc;

	json_decref(o);
	if (!s)
		return wr_err(db, WR_ENOMEM, "out of memory");
	if (!(rc = wr_prepare(db, "INSERT INTO meta(key, value) VALUES ('population', ?)"
				  " ON CONFLICT(key) DO UPDATE SET value = excluded.value", &st))) {
		sqlite3_bind_text(st, 1, s, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "recording the population");
		sqlite3_finalize(st);
	}
	free(s);
	return rc;
}

/*
 * A million rows inserted into the cert table's indexes (serial,
 * customer, expiry...) cost a seek each into a growing b-tree; built
 * afterwards, each index is one sort. And the counter triggers run five
 * to seven UPDATEs of the counter table for each row, more than half of
 * what the rows' insert costs (bench/exercise.sh: 16 s of CPU for the
 * million's synthetic rows with them, 7 s without). So a big insert sets
 * the table's indexes and insert triggers aside and makes them again from
 * their own SQL, in the same transaction: no other connection ever sees
 * the table without them, and a failure rolls it all back. The unique
 * sha256 index stays (it is the table's constraint); the synthetic rows'
 * keys rise, so it takes them at its end.
 *
 * A trigger is set aside only when it is one of bulk_triggers and still
 * the one of the schema text named there (its SQL is in that text): then
 * its statement adds to the counters, in one pass over the rows inserted
 * (id > ?1), what it would have added row by row. Any other trigger, or
 * one a later migration changed, stays and fires for each row as before.
 */
#define BULK_ROWS 50000

static const struct {
	const char *name;
	const char *schema; /* the embedded schema or migration that makes it */
	const char *sql;
} bulk_triggers[] = {
	{"cert_ins", wr_schema_sql,
	 "UPDATE counter SET n = n + CASE counter.name WHEN 'affected' THEN s.affected"
	 " WHEN 'long_lived' THEN s.long_lived WHEN 'revoked' THEN s.revoked"
	 " WHEN 'notified' THEN s.notified ELSE s.replaced END"
	 " FROM (SELECT count(*) AS affected, count(*) FILTER (WHERE NOT"
	 " wr_short_lived(not_before, not_after)) AS long_lived, count(revoked_at) AS revoked,"
	 " count(notified_at) AS notified, count(replaced_at) AS replaced"
	 " FROM cert WHERE id > ?1) AS s"
	 " WHERE counter.name IN ('affected', 'long_lived', 'revoked', 'notified', 'replaced')"},
	{"cert_ins_checked", wr_migrate_002,
	 "UPDATE counter SET n = n + (SELECT count(*) FROM cert WHERE id > ?1 AND checked IS NULL)"
	 " WHERE name = 'unchecked'"},
	{"cert_ins_ack", wr_migrate_006,
	 "UPDATE counter SET n = n + (SELECT count(*) FROM cert WHERE id > ?1 AND customer IN"
	 " (SELECT name FROM customer WHERE acknowledged_at IS NOT NULL))"
	 " WHERE name = 'acknowledged'"},
};

/* What a bulk insert set aside: the CREATE statements, each with its NUL,
 * one after another, and the triggers whose counts it owes. */
struct aside {
	struct wr_buf sqls;
	bool owed[NELEM(bulk_triggers)];
};

static int bulk_trigger(const char *name, const char *sql)
{
	for (size_t i = 0; i < NELEM(bulk_triggers); i++)
		if (strcmp(name, bulk_triggers[i].name) == 0)
			return sql && strstr(bulk_triggers[i].schema, sql) ? (int)i : -1;
	return -1;
}

static int aside_drop(struct wr_db *db, struct aside *a)
{
	struct wr_buf drops = {0};
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_prepare(db, "SELECT type, name, sql FROM sqlite_master WHERE type IN"
				 " ('index', 'trigger') AND tbl_name = 'cert' AND sql IS NOT NULL"
				 " ORDER BY type, name", &st)))
		return rc;
	/* Read them all first: a DROP while the schema is being read fails. */
	bool ok = true;
	while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *type = wr_col_text(st, 0), *name = wr_col_text(st, 1);
		const char *sql = wr_col_text(st, 2);
		bool index = type && strcmp(type, "index") == 0;
		int k = index ? -1 : bulk_trigger(name ? name : "", sql);
		if (!index && k < 0)
			continue;
		char *drop = sqlite3_mprintf("DROP %s \"%w\";", index ? "INDEX" : "TRIGGER",
					     name ? name : "");
		ok = drop && sql && wr_buf_put(&a->sqls, sql, strlen(sql) + 1) &&
		     wr_buf_put(&drops, drop, strlen(drop));
		sqlite3_free(drop);
		if (k >= 0)
			a->owed[k] = true;
	}
	sqlite3_finalize(st);
	if (!ok)
		rc = wr_err(db, WR_ENOMEM, "out of memory");
	else if (rc != SQLITE_DONE)
		rc = wr_err_sq(db, "reading the indexes and triggers");
	else
		rc = drops.p ? wr_exec(db, drops.p) : 0;
	wr_buf_free(&drops);
	return rc;
}

/* Makes again what aside_drop set aside, and adds to the counters what
 * the triggers set aside owe for the rows after id hw. */
static int aside_make(struct wr_db *db, const struct aside *a, int64_t hw)
{
	sqlite3_stmt *st;
	int rc;

	for (size_t off = 0; a->sqls.p && off < a->sqls.len; off += strlen(a->sqls.p + off) + 1)
		if ((rc = wr_exec(db, a->sqls.p + off)))
			return rc;
	for (size_t i = 0; i < NELEM(bulk_triggers); i++) {
		if (!a->owed[i])
			continue;
		if ((rc = wr_prepare(db, bulk_triggers[i].sql, &st)))
			return rc;
		sqlite3_bind_int64(st, 1, hw);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "counting the certificates");
		sqlite3_finalize(st);
		if (rc)
			return rc;
	}
	return 0;
}

int wr_population_fill(struct wr_db *db, const struct wr_population *p, const char *dir,
		       int64_t now)
{
	struct gen g = {0};
	struct wr_tuning tu = {0};
	X509 *ca = NULL;
	int rc;

	if ((rc = gen_init(db, &g, p, now)) || (rc = ca_load(db, dir, &ca, NULL)))
		goto out;
	if (!(g.issuer = wr_name_text(X509_get_subject_name(ca)))) {
		rc = wr_err(db, WR_ENOMEM, "out of memory");
		goto out;
	}
	if (p->real > 0 && (rc = real_make(db, &g, dir)))
		goto out;
	/* The table and its indexes in memory until the commit (about 600
	 * bytes a row): the indexes are built from the table after the
	 * insert (see aside_drop), and a cache that spills writes pages
	 * to the WAL only to read them back. At most 1 GiB. */
	int64_t kib = (p->count - p->real) * 800 / 1024 + 8192;
	wr_tune_begin(db, &tu, kib < (1 << 20) ? kib : (1 << 20), 0);
	if ((rc = wr_tx_begin(db)))
		goto out;
	int64_t hw = 0;
	struct aside aside = {0};
	bool bulk = p->count - p->real >= BULK_ROWS;
	/* aside_make before wr_tally_added: a tally write stamps the
	 * counters it leaves (tally.c), so they must be whole by then. */
	if ((rc = wr_tally_begin(db)) || (rc = wr_tally_mark(db, &hw)) ||
	    (rc = custs_put(db, &g, now)) || (bulk && (rc = aside_drop(db, &aside))) ||
	    (rc = synth_put(db, &g, p->real, p->count, NULL)) ||
	    (bulk && (rc = aside_make(db, &aside, hw))) || (rc = wr_tally_added(db, &hw)) ||
	    (rc = meta_put(db, pop_json(p, dir, p->count))) ||
	    (rc = wr_event_add_json(
		     db, "population",
		     json_pack("{s:I, s:I, s:I, s:I, s:I}", "certs", (json_int_t)p->count, "real",
			       (json_int_t)p->real, "synthetic", (json_int_t)(p->count - p->real),
			       "customers", (json_int_t)p->customers, "expired",
			       (json_int_t)g.nexpired)))) {
		wr_tx_rollback(db);
		wr_buf_free(&aside.sqls);
		goto out;
	}
	wr_buf_free(&aside.sqls);
	rc = wr_tx_commit(db);
out:
	wr_tune_end(db, &tu);
	X509_free(ca);
	gen_free(&g);
	return rc;
}

/* ---- more of them (the more-certs inject) -------------------------------------------- */

int wr_population_more(struct wr_db *db, int64_t n, const char *customer, int64_t *added)
{
	struct wr_population p = {0};
	struct gen g = {0};
	X509 *ca = NULL;
	json_t *o = NULL;
	sqlite3_stmt *st = NULL;
	char dir[4096] = "";
	int64_t next = 0;
	int rc;

	*added = 0;
	if (n <= 0)
		return 0;
	if ((rc = wr_prepare(db, "SELECT value FROM meta WHERE key = 'population'", &st)))
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		o = json_loads(wr_col_text(st, 0) ? wr_col_text(st, 0) : "", 0, NULL);
	sqlite3_finalize(st);
	json_t *v = json_object_get(o, "validity");
	const char *seed = json_string_value(json_object_get(o, "seed"));
	const char *d = json_string_value(json_object_get(o, "ca_dir"));
	if (!o || !json_is_array(v) || !seed || !d) {
		json_decref(o);
		return wr_err(db, WR_ESTATE, "no population recorded: not an exercise filled by a"
			      " scenario");
	}
	snprintf(dir, sizeof dir, "%s", d);
	next = json_integer_value(json_object_get(o, "next"));
	p.seed = strtoull(seed, NULL, 10);
	p.expired = 0; /* found now: valid certificates */
	p.critical = json_real_value(json_object_get(o, "critical"));
	for (size_t i = 0; i < json_array_size(v) && i < WR_POP_VALIDITY_MAX; i++) {
		json_t *e = json_array_get(v, i);
		p.validity[p.nvalidity++] = (struct wr_pop_validity){
			json_integer_value(json_array_get(e, 0)), json_real_value(json_array_get(e, 1))};
	}
	json_t *ep = json_object_get(o, "endpoints");
	p.endpoints_min = (int)json_integer_value(json_array_get(ep, 0));
	p.endpoints_max = (int)json_integer_value(json_array_get(ep, 1));
	json_decref(o);
	if (!p.nvalidity)
		p.validity[p.nvalidity++] = (struct wr_pop_validity){90 * DAY, 1};

	/* The customers are the exercise's own, as the table has them. */
	if ((rc = wr_prepare(db, "SELECT name, contact, critical FROM customer ORDER BY id", &st)))
		return rc;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct cust *m = realloc(g.cs, (g.ncs + 1) * sizeof *m);
		if (!m) {
			rc = wr_err(db, WR_ENOMEM, "out of memory");
			break;
		}
		g.cs = m;
		struct cust *c = &g.cs[g.ncs++];
		const char *contact = wr_col_text(st, 1) ? wr_col_text(st, 1) : "";
		const char *at = strchr(contact, '@');
		char dom[96];
		if (at && at[1])
			snprintf(dom, sizeof dom, "%s", at + 1);
		else
			slug(dom, sizeof dom, wr_col_text(st, 0) ? wr_col_text(st, 0) : "x");
		*c = (struct cust){.name = strdup(wr_col_text(st, 0) ? wr_col_text(st, 0) : ""),
				   .contact = strdup(contact), .domain = strdup(dom),
				   .critical = sqlite3_column_int(st, 2) != 0};
		if (!c->name || !c->contact || !c->domain)
			rc = wr_err(db, WR_ENOMEM, "out of memory");
	}
	sqlite3_finalize(st);
	const struct cust *only = NULL;
	struct cust made = {0};
	if (!rc && customer) {
		for (size_t i = 0; i < g.ncs && !only; i++)
			if (strcmp(g.cs[i].name, customer) == 0)
				only = &g.cs[i];
		if (!only) {
			char dom[96], contact[128];
			slug(dom, sizeof dom, customer);
			snprintf(contact, sizeof contact, "pki@%s", dom);
			made = (struct cust){.name = strdup(customer), .contact = strdup(contact),
					     .domain = strdup(dom)};
			if (!made.name || !made.contact || !made.domain)
				rc = wr_err(db, WR_ENOMEM, "out of memory");
			only = &made;
		}
	}
	if (!rc && !g.ncs && !only)
		rc = wr_err(db, WR_ESTATE, "the exercise has no customers");
	if (rc)
		goto out;
	p.count = next + n;
	p.customers = (int64_t)g.ncs;
	g.p = &p;
	g.more = true;
	g.now = wr_clock_now(db);
	perm_init(&g.owner, (uint64_t)p.count, p.seed ^ 0x0c);
	perm_init(&g.expiry, (uint64_t)p.count, p.seed ^ 0x0d);
	double sum = 0;
	for (size_t i = 0; i < p.nvalidity; i++)
		g.vsum[i] = sum += p.validity[i].weight;
	if ((rc = ca_load(db, dir, &ca, NULL)))
		goto out;
	if (!(g.issuer = wr_name_text(X509_get_subject_name(ca)))) {
		rc = wr_err(db, WR_ENOMEM, "out of memory");
		goto out;
	}
	int64_t hw = 0;
	if ((rc = wr_tx_begin(db)))
		goto out;
	if ((rc = wr_tally_begin(db)) || (rc = wr_tally_mark(db, &hw))) {
		wr_tx_rollback(db);
		goto out;
	}
	if (only == &made) {
		struct gen one = {.cs = &made, .ncs = 1};
		rc = custs_put(db, &one, g.now);
	}
	/* The indexes go on after the population's, so serials stay unique. */
	if (!rc && g.ncs == 0 && only) {
		g.cs = calloc(1, sizeof *g.cs); /* owner_of needs one customer */
		if (g.cs) {
			g.cs[0] = (struct cust){.name = strdup(made.name), .contact = strdup(made.contact),
						.domain = strdup(made.domain)};
			g.ncs = 1;
			p.customers = 1;
		} else {
			rc = wr_err(db, WR_ENOMEM, "out of memory");
		}
	}
	if (!rc && !(rc = synth_put(db, &g, next, next + n, only)))
		rc = wr_tally_added(db, &hw);
	if (!rc) {
		/* Record how far the indexes went. */
		sqlite3_stmt *up;
		if (!(rc = wr_prepare(db, "UPDATE meta SET value = json_set(value, '$.next', ?)"
					  " WHERE key = 'population'", &up))) {
			sqlite3_bind_int64(up, 1, next + n);
			rc = sqlite3_step(up) == SQLITE_DONE ? 0
							     : wr_err_sq(db, "recording the population");
			sqlite3_finalize(up);
		}
	}
	if (rc) {
		wr_tx_rollback(db);
		goto out;
	}
	if (!(rc = wr_tx_commit(db)))
		*added = n;
out:
	free(made.name), free(made.contact), free(made.domain);
	X509_free(ca);
	custs_free(g.cs, g.ncs);
	free(g.issuer);
	return rc;
}
