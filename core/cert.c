/*
 * cert.c: one certificate's fields, whether a known issuer signed it,
 * serial numbers, and reading the cert table back.
 *
 * wr_cert_parse walks the DER with OpenSSL's ASN.1 primitives instead of
 * calling d2i_X509: OpenSSL 3's d2i_X509 decodes the public key through the
 * provider layer, which caps it at a few thousand certificates a second per
 * core, and the console never needs the key, only a hash of its bytes. The
 * walk checks the structure strictly (exact lengths, no trailing bytes) but
 * tolerates what real CAs have issued (negative or padded serials), since
 * an incident must be able to import every affected certificate. Names and
 * SANs are attacker-controlled: they leave here as valid UTF-8 with
 * controls escaped, and each edge escapes again for itself.
 * Nothing here prints, exits, or touches the database except
 * wr_cert_foreach, which only reads.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hex.h"
#include "internal.h"

/* ---- the SHA-256 implementation, fetched once ----------------------------- */

/* Fetching per call would look the algorithm up in the provider store each
 * time; the fetched EVP_MD is immutable and safe to share between threads. */
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static int sha256(const unsigned char *p, size_t n, unsigned char out[32])
{
	pthread_once(&sha256_once, sha256_fetch);
	if (!sha256_md || !EVP_Digest(p, n, out, NULL, sha256_md, NULL))
		return -1;
	return 0;
}

/* ---- walking DER ------------------------------------------------------------ */

struct tlv {
	const unsigned char *start; /* the header */
	const unsigned char *c;	    /* the content */
	size_t clen, len;	    /* content length, whole TLV length */
	int tag, cls;
	bool cons;
};

/* Reads the TLV at *pp, which must end by end; advances *pp past it.
 * Returns NULL or why it could not. */
static const char *tlv_read(const unsigned char **pp, const unsigned char *end, struct tlv *t)
{
	const unsigned char *q = *pp;
	long len;
	int r;

	if (q >= end)
		return "truncated";
	r = ASN1_get_object(&q, &len, &t->tag, &t->cls, (long)(end - *pp));
	if (r & 0x80) {
		/* ASN1_get_object queues its reason; we return ours. */
		ERR_clear_error();
		return "truncated";
	}
	if (r == 0x21)
		return "not DER: indefinite length";
	t->start = *pp;
	t->c = q;
	t->clen = (size_t)len;
	t->len = (size_t)(q - *pp) + (size_t)len;
	t->cons = (r & V_ASN1_CONSTRUCTED) != 0;
	*pp = q + len;
	return NULL;
}

static bool is_univ(const struct tlv *t, int tag, bool cons)
{
	return t->cls == V_ASN1_UNIVERSAL && t->tag == tag && t->cons == cons;
}

static bool is_ctx(const struct tlv *t, int tag)
{
	return t->cls == V_ASN1_CONTEXT_SPECIFIC && t->tag == tag;
}

/* ---- the fields ------------------------------------------------------------- */

/* Serial INTEGER content to upper-case hex of even length. Leading zero
 * bytes go (also the illegal padding some old CAs wrote); a negative
 * serial, which RFC 5280 forbids but CAs have issued, is "-" and the hex
 * of its magnitude. */
static const char *serial_hex(const unsigned char *c, size_t n, char *out, size_t outsz)
{
	static const char digits[] = "0123456789ABCDEF";
	unsigned char mag[80];
	size_t i = 0, o = 0;

	if (n == 0)
		return "bad serial number: empty INTEGER";
	if (n > sizeof mag)
		return "bad serial number: longer than 80 bytes";
	memcpy(mag, c, n);
	if (c[0] & 0x80) {
		/* Two's complement: the magnitude is the inverse plus one. */
		unsigned carry = 1;
		for (size_t k = n; k-- > 0;) {
			unsigned v = (unsigned)(unsigned char)~mag[k] + carry;
			mag[k] = (unsigned char)v;
			carry = v >> 8;
		}
		out[o++] = '-';
	}
	while (i + 1 < n && mag[i] == 0)
		i++;
	if (o + 2 * (n - i) + 1 > outsz)
		return "bad serial number: too long";
	for (; i < n; i++) {
		out[o++] = digits[mag[i] >> 4];
		out[o++] = digits[mag[i] & 15];
	}
	out[o] = '\0';
	return NULL;
}

static char *bio_sanitized(BIO *b)
{
	char *data = NULL;
	long n = BIO_get_mem_data(b, &data);

	return wr_utf8_sanitize(n > 0 ? data : "", n > 0 ? (size_t)n : 0);
}

/* A Name as RFC 2253 text in UTF-8: OpenSSL escapes the 2253 specials and
 * the controls ("\1B"); we keep non-ASCII as UTF-8 rather than \XX bytes.
 * If a string will not convert, fall back to OpenSSL's full escaping, and
 * last to hex dumps, which cannot fail. The one way names become text, so
 * the local CA's name equals the issuer column of its certificates. */
char *wr_name_text(const X509_NAME *name)
{
	static const unsigned long flags[] = {
		XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB,
		XN_FLAG_RFC2253,
		(XN_FLAG_RFC2253 & ~ASN1_STRFLGS_UTF8_CONVERT) | ASN1_STRFLGS_DUMP_ALL,
	};
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL;

	for (size_t i = 0; b && !s && i < sizeof flags / sizeof flags[0]; i++) {
		(void)BIO_reset(b);
		if (X509_NAME_print_ex(b, name, 0, flags[i]) >= 0) {
			s = bio_sanitized(b);
			break;
		}
		ERR_clear_error();
	}
	BIO_free(b);
	return s;
}

static char *name_text(const unsigned char *p, size_t len, const char **why)
{
	const unsigned char *q = p;
	X509_NAME *name = d2i_X509_NAME(NULL, &q, (long)len);
	char *s;

	if (!name || q != p + len) {
		X509_NAME_free(name);
		ERR_clear_error();
		*why = "bad name";
		return NULL;
	}
	if (!(s = wr_name_text(name)))
		*why = "name cannot be printed";
	X509_NAME_free(name);
	return s;
}

/* Every certificate of a CA has the same issuer bytes: remember the last
 * one per thread (fixed buffers, so nothing to free when a thread ends). */
struct issuer_cache {
	size_t der_len;
	unsigned char der[512];
	char text[1024];
};
static _Thread_local struct issuer_cache icache;

static char *issuer_text(const unsigned char *p, size_t len, const char **why)
{
	char *s;

	if (icache.der_len == len && memcmp(icache.der, p, len) == 0)
		return strdup(icache.text);
	s = name_text(p, len, why);
	if (s && len <= sizeof icache.der && strlen(s) < sizeof icache.text) {
		memcpy(icache.der, p, len);
		icache.der_len = len;
		strcpy(icache.text, s);
	}
	return s;
}

static const char *time_read(const struct tlv *t, int64_t *out)
{
	const unsigned char *q = t->start;
	ASN1_TIME *at;
	struct tm tm;
	int ok;

	if (!is_univ(t, V_ASN1_UTCTIME, false) && !is_univ(t, V_ASN1_GENERALIZEDTIME, false))
		return "bad validity: not a UTCTime or GeneralizedTime";
	at = d2i_ASN1_TIME(NULL, &q, (long)t->len);
	if (!at) {
		ERR_clear_error();
		return "bad validity time";
	}
	ok = q == t->start + t->len && ASN1_TIME_to_tm(at, &tm);
	ASN1_TIME_free(at);
	if (!ok) {
		ERR_clear_error();
		return "bad validity time";
	}
	*out = (int64_t)timegm(&tm);
	return NULL;
}

/* subjectAltName's dNSName and iPAddress entries, comma-joined. A dNSName
 * is escaped as the names are (RFC 2253 with OpenSSL's control escapes):
 * a comma, never legitimate there, becomes "\," so one entry cannot pose
 * as two, and controls become "\1B", so the database never holds a raw
 * escape sequence whichever way it is read. */
static const char *sans_text(const unsigned char *p, size_t len, char **out)
{
	const unsigned char *q = p;
	GENERAL_NAMES *gens = d2i_GENERAL_NAMES(NULL, &q, (long)len);
	struct wr_buf b = {0};
	const char *why = NULL;
	char ip[INET6_ADDRSTRLEN + 8];

	if (!gens || q != p + len) {
		GENERAL_NAMES_free(gens);
		ERR_clear_error();
		return "bad subjectAltName extension";
	}
	for (int i = 0; i < sk_GENERAL_NAME_num(gens) && !why; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		bool ok = true;

		if (g->type != GEN_DNS && g->type != GEN_IPADD)
			continue;
		if (b.len)
			ok = wr_buf_put(&b, ",", 1);
		if (g->type == GEN_DNS) {
			const unsigned char *d = ASN1_STRING_get0_data(g->d.dNSName);
			int n = ASN1_STRING_length(g->d.dNSName);
			for (int k = 0; k < n && ok; k++) {
				if (d[k] == ',' || d[k] == '\\') {
					char e[2] = {'\\', (char)d[k]};
					ok = wr_buf_put(&b, e, 2);
				} else if (d[k] < 0x20 || d[k] == 0x7f) {
					snprintf(ip, sizeof ip, "\\%02X", d[k]);
					ok = wr_buf_put(&b, ip, 3);
				} else {
					ok = wr_buf_put(&b, d + k, 1);
				}
			}
		} else {
			const unsigned char *a = ASN1_STRING_get0_data(g->d.iPAddress);
			int n = ASN1_STRING_length(g->d.iPAddress);
			if (n == 4 && inet_ntop(AF_INET, a, ip, sizeof ip)) {
				ok = ok && wr_buf_put(&b, ip, strlen(ip));
			} else if (n == 16 && inet_ntop(AF_INET6, a, ip, sizeof ip)) {
				ok = ok && wr_buf_put(&b, ip, strlen(ip));
			} else {
				/* Not an address (a name constraint's net/mask, or junk):
				 * show the bytes rather than guess. */
				for (int k = 0; k < n && ok; k++) {
					snprintf(ip, sizeof ip, "%s%02X", k ? ":" : "IP:", a[k]);
					ok = wr_buf_put(&b, ip, strlen(ip));
				}
			}
		}
		if (!ok)
			why = "out of memory";
	}
	GENERAL_NAMES_free(gens);
	if (!why) {
		*out = wr_utf8_sanitize(b.p ? b.p : "", b.len);
		if (!*out)
			why = "out of memory";
	}
	free(b.p);
	return why;
}

/* Extensions ::= SEQUENCE OF SEQUENCE { extnID, critical DEFAULT FALSE,
 * extnValue OCTET STRING }. Only subjectAltName is decoded; the first one
 * counts (a duplicate is invalid but does not stop the import). */
static const char *exts_read(const struct tlv *t3, char **sans)
{
	static const unsigned char san_oid[] = {0x55, 0x1d, 0x11}; /* 2.5.29.17 */
	const unsigned char *p = t3->c, *end = t3->c + t3->clen;
	struct tlv seq, ext, oid, f;
	const char *why;

	if (!t3->cons || (why = tlv_read(&p, end, &seq)) || p != end ||
	    !is_univ(&seq, V_ASN1_SEQUENCE, true))
		return "bad extensions";
	p = seq.c;
	end = seq.c + seq.clen;
	while (p < end) {
		const unsigned char *e, *eend;
		if ((why = tlv_read(&p, end, &ext)) || !is_univ(&ext, V_ASN1_SEQUENCE, true))
			return "bad extension";
		e = ext.c;
		eend = ext.c + ext.clen;
		if (tlv_read(&e, eend, &oid) || !is_univ(&oid, V_ASN1_OBJECT, false) ||
		    tlv_read(&e, eend, &f))
			return "bad extension";
		if (is_univ(&f, V_ASN1_BOOLEAN, false) && tlv_read(&e, eend, &f))
			return "bad extension";
		if (!is_univ(&f, V_ASN1_OCTET_STRING, false) || e != eend)
			return "bad extension";
		if (!*sans && oid.clen == sizeof san_oid &&
		    memcmp(oid.c, san_oid, sizeof san_oid) == 0 &&
		    (why = sans_text(f.c, f.clen, sans)))
			return why;
	}
	return NULL;
}

/* TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber,
 * signature, issuer, validity, subject, subjectPublicKeyInfo,
 * [1] issuerUniqueID OPTIONAL, [2] subjectUniqueID OPTIONAL,
 * [3] extensions OPTIONAL } */
static const char *tbs_read(const struct tlv *tbs, struct wr_cert_info *ci)
{
	const unsigned char *p = tbs->c, *end = tbs->c + tbs->clen;
	struct tlv t, issuer, validity, subject, spki, nb, na;
	const char *why;

	if ((why = tlv_read(&p, end, &t)))
		return why;
	if (is_ctx(&t, 0)) {
		const unsigned char *v = t.c;
		struct tlv ver;
		if (!t.cons || tlv_read(&v, t.c + t.clen, &ver) || v != t.c + t.clen ||
		    !is_univ(&ver, V_ASN1_INTEGER, false))
			return "bad version";
		if ((why = tlv_read(&p, end, &t)))
			return why;
	}
	if (!is_univ(&t, V_ASN1_INTEGER, false))
		return "bad serial number";
	if ((why = serial_hex(t.c, t.clen, ci->serial, sizeof ci->serial)))
		return why;
	if ((why = tlv_read(&p, end, &t)))
		return why;
	if (!is_univ(&t, V_ASN1_SEQUENCE, true))
		return "bad signature algorithm";
	if ((why = tlv_read(&p, end, &issuer)))
		return why;
	if (!is_univ(&issuer, V_ASN1_SEQUENCE, true))
		return "bad issuer";
	if ((why = tlv_read(&p, end, &validity)))
		return why;
	if (!is_univ(&validity, V_ASN1_SEQUENCE, true))
		return "bad validity";
	if ((why = tlv_read(&p, end, &subject)))
		return why;
	if (!is_univ(&subject, V_ASN1_SEQUENCE, true))
		return "bad subject";
	if ((why = tlv_read(&p, end, &spki)))
		return why;
	if (!is_univ(&spki, V_ASN1_SEQUENCE, true))
		return "bad subjectPublicKeyInfo";

	const unsigned char *v = validity.c, *vend = validity.c + validity.clen;
	if ((why = tlv_read(&v, vend, &nb)) || (why = tlv_read(&v, vend, &na)))
		return why;
	if (v != vend)
		return "bad validity: extra fields";
	if ((why = time_read(&nb, &ci->not_before)) || (why = time_read(&na, &ci->not_after)))
		return why;

	int last = 0;
	while (p < end) {
		if ((why = tlv_read(&p, end, &t)))
			return why;
		if (t.cls != V_ASN1_CONTEXT_SPECIFIC || t.tag <= last || t.tag > 3)
			return "bad TBSCertificate: unexpected field after the key";
		last = t.tag;
		if (t.tag == 3 && (why = exts_read(&t, &ci->sans)))
			return why;
	}
	if (sha256(spki.start, spki.len, ci->spki_sha256))
		return "SHA-256 unavailable";
	if (!(ci->issuer = issuer_text(issuer.start, issuer.len, &why)))
		return why;
	if (!(ci->subject = name_text(subject.start, subject.len, &why)))
		return why;
	if (!ci->sans && !(ci->sans = strdup("")))
		return "out of memory";
	return NULL;
}

static const char *cert_read(const unsigned char *der, size_t len, struct wr_cert_info *ci)
{
	const unsigned char *p = der, *end = der + len, *c, *cend;
	struct tlv cert, tbs, t;
	const char *why;

	if (len == 0)
		return "empty";
	if (der[0] != 0x30)
		return "not DER: does not start with a SEQUENCE";
	if ((why = tlv_read(&p, end, &cert)))
		return why;
	if (p != end)
		return "trailing bytes after the certificate";
	c = cert.c;
	cend = cert.c + cert.clen;
	if ((why = tlv_read(&c, cend, &tbs)))
		return why;
	if (is_univ(&tbs, V_ASN1_INTEGER, false))
		return "not a certificate (looks like a private key)";
	if (!is_univ(&tbs, V_ASN1_SEQUENCE, true))
		return "not a certificate: no TBSCertificate";
	if ((why = tlv_read(&c, cend, &t)))
		return why;
	if (!is_univ(&t, V_ASN1_SEQUENCE, true))
		return "not a certificate: no signature algorithm";
	if ((why = tlv_read(&c, cend, &t)))
		return why;
	if (!is_univ(&t, V_ASN1_BIT_STRING, false))
		return "not a certificate: no signature";
	if (c != cend)
		return "not a certificate: extra fields after the signature";
	if ((why = tbs_read(&tbs, ci)))
		return why;
	if (sha256(der, len, ci->sha256))
		return "SHA-256 unavailable";
	return NULL;
}

int wr_cert_parse(const unsigned char *der, size_t len, struct wr_cert_info *ci,
		  const char **why)
{
	const char *w;

	memset(ci, 0, sizeof *ci);
	w = cert_read(der, len, ci);
	if (why)
		*why = w;
	if (!w)
		return 0;
	wr_cert_info_clear(ci);
	return strcmp(w, "out of memory") == 0 ? WR_ENOMEM : WR_EINVAL;
}

void wr_cert_info_clear(struct wr_cert_info *ci)
{
	if (!ci)
		return;
	free(ci->issuer);
	free(ci->subject);
	free(ci->sans);
	memset(ci, 0, sizeof *ci);
}

/* ---- provenance: was it signed by the CA? ------------------------------------ */

/*
 * A certificate made with the CA's issuer name, a genuine serial and
 * another key parses like any other; only its signature tells it apart.
 * The check verifies the signature over the tbsCertificate bytes as they
 * are, with EVP_DigestVerify, rather than through d2i_X509 and
 * X509_verify: d2i_X509 decodes the subject's key through the provider
 * layer and alone caps the import at a fifth of its speed; the issuer's
 * key is decoded once, when the issuers are loaded. Everything the
 * checks share (wr_issuers) is read-only once loaded, so the import's
 * workers call wr_cert_check at the same time.
 */
struct issuer {
	X509 *x;
	EVP_PKEY *key;		    /* borrowed from x */
	unsigned char *name;	    /* DER of the subject Name */
	size_t name_len;
	const unsigned char *skid;  /* subjectKeyIdentifier, borrowed; NULL: none */
	size_t skid_len;
	char *text;		    /* the Name as the issuer column holds it */
};

struct wr_issuers {
	struct issuer *v;
	size_t n, cap;
};

struct wr_issuers *wr_issuers_new(void) { return calloc(1, sizeof(struct wr_issuers)); }

void wr_issuers_free(struct wr_issuers *is)
{
	if (!is)
		return;
	for (size_t i = 0; i < is->n; i++) {
		X509_free(is->v[i].x);
		OPENSSL_free(is->v[i].name);
		free(is->v[i].text);
	}
	free(is->v);
	free(is);
}

size_t wr_issuers_count(const struct wr_issuers *is) { return is ? is->n : 0; }

bool wr_issuers_knows(const struct wr_issuers *is, const char *name)
{
	for (size_t i = 0; is && name && i < is->n; i++)
		if (strcmp(is->v[i].text, name) == 0)
			return true;
	return false;
}

/* Takes x (freed on failure too). */
static int issuer_add(struct wr_issuers *is, X509 *x)
{
	struct issuer *e;
	const ASN1_OCTET_STRING *skid;
	int n;

	if (is->n == is->cap) {
		size_t cap = is->cap ? 2 * is->cap : 4;
		struct issuer *v = realloc(is->v, cap * sizeof *v);
		if (!v) {
			X509_free(x);
			return WR_ENOMEM;
		}
		is->v = v;
		is->cap = cap;
	}
	e = &is->v[is->n];
	memset(e, 0, sizeof *e);
	e->x = x;
	if (!(e->key = X509_get0_pubkey(x))) {
		ERR_clear_error();
		X509_free(x);
		return WR_EINVAL;
	}
	if ((n = i2d_X509_NAME(X509_get_subject_name(x), &e->name)) <= 0 ||
	    !(e->text = wr_name_text(X509_get_subject_name(x)))) {
		OPENSSL_free(e->name);
		X509_free(x);
		return WR_ENOMEM;
	}
	e->name_len = (size_t)n;
	/* X509_get0_subject_key_id caches the extensions: done here, once,
	 * before any thread reads x. */
	if ((skid = X509_get0_subject_key_id(x))) {
		e->skid = ASN1_STRING_get0_data(skid);
		e->skid_len = (size_t)ASN1_STRING_length(skid);
	}
	ERR_clear_error();
	is->n++;
	return 0;
}

int wr_issuers_add_file(struct wr_issuers *is, const char *path, bool user, char *err,
			size_t errsz)
{
	FILE *f = user ? wr_fopen_user(path, "rb") : fopen(path, "rb");
	size_t before = is->n;
	BIO *b;
	X509 *x;
	int rc = 0;

	if (!f) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? WR_ENOENT : WR_EIO;
	}
	if (!(b = BIO_new_fp(f, BIO_CLOSE))) {
		fclose(f);
		snprintf(err, errsz, "out of memory");
		return WR_ENOMEM;
	}
	/* A PEM bundle (other blocks, a key say, are skipped), else one DER
	 * certificate. */
	while (!rc && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
		rc = issuer_add(is, x);
	ERR_clear_error();
	if (!rc && is->n == before && BIO_seek(b, 0) == 0 && (x = d2i_X509_bio(b, NULL)))
		rc = issuer_add(is, x);
	ERR_clear_error();
	BIO_free(b);
	if (rc == WR_ENOMEM)
		snprintf(err, errsz, "out of memory");
	else if (rc)
		snprintf(err, errsz, "%s: a certificate with a key OpenSSL cannot read", path);
	else if (is->n == before) {
		snprintf(err, errsz, "%s: no certificate in it (want PEM or DER)", path);
		rc = WR_EINVAL;
	}
	return rc;
}

/* The parts of a certificate the check needs, found in its DER. */
struct cert_parts {
	struct tlv tbs, sigalg, sig, issuer, serial;
	const unsigned char *akid; /* keyIdentifier of authorityKeyIdentifier, or NULL */
	size_t akid_len;
};

/* AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT
 * OCTET STRING OPTIONAL, ... } in the extnValue of 2.5.29.35. */
static void akid_find(const struct tlv *t3, struct cert_parts *cp)
{
	static const unsigned char akid_oid[] = {0x55, 0x1d, 0x23};
	const unsigned char *p = t3->c, *end = t3->c + t3->clen;
	struct tlv seq, ext, oid, f, aki, kid;

	if (tlv_read(&p, end, &seq) || !is_univ(&seq, V_ASN1_SEQUENCE, true))
		return;
	p = seq.c;
	end = seq.c + seq.clen;
	while (p < end) {
		if (tlv_read(&p, end, &ext))
			return;
		const unsigned char *e = ext.c, *eend = ext.c + ext.clen;
		if (tlv_read(&e, eend, &oid) || tlv_read(&e, eend, &f))
			return;
		if (is_univ(&f, V_ASN1_BOOLEAN, false) && tlv_read(&e, eend, &f))
			return;
		if (oid.clen != sizeof akid_oid || memcmp(oid.c, akid_oid, sizeof akid_oid))
			continue;
		const unsigned char *a = f.c, *aend = f.c + f.clen;
		if (tlv_read(&a, aend, &aki) || !is_univ(&aki, V_ASN1_SEQUENCE, true))
			return;
		a = aki.c;
		aend = aki.c + aki.clen;
		if (a < aend && !tlv_read(&a, aend, &kid) && is_ctx(&kid, 0) && !kid.cons) {
			cp->akid = kid.c;
			cp->akid_len = kid.clen;
		}
		return;
	}
}

/* The structure was checked by wr_cert_parse; this walk only finds. */
static const char *parts_read(const unsigned char *der, size_t len, struct cert_parts *cp)
{
	const unsigned char *p = der, *end = der + len, *c, *cend;
	struct tlv cert, t;

	memset(cp, 0, sizeof *cp);
	if (tlv_read(&p, end, &cert) || p != end)
		return "not a certificate";
	c = cert.c;
	cend = cert.c + cert.clen;
	if (tlv_read(&c, cend, &cp->tbs) || tlv_read(&c, cend, &cp->sigalg) ||
	    tlv_read(&c, cend, &cp->sig) || !is_univ(&cp->sig, V_ASN1_BIT_STRING, false))
		return "not a certificate";
	if (cp->sig.clen < 2 || cp->sig.c[0] != 0)
		return "bad signature: not a whole number of bytes";
	p = cp->tbs.c;
	end = cp->tbs.c + cp->tbs.clen;
	if (tlv_read(&p, end, &t))
		return "bad TBSCertificate";
	if (is_ctx(&t, 0) && tlv_read(&p, end, &t)) /* the version, then the serial */
		return "bad TBSCertificate";
	if (!is_univ(&t, V_ASN1_INTEGER, false))
		return "bad serial number";
	cp->serial = t;
	/* signature, issuer */
	if (tlv_read(&p, end, &t) || tlv_read(&p, end, &cp->issuer))
		return "bad TBSCertificate";
	/* validity, subject, subjectPublicKeyInfo, then the optional ones */
	for (int i = 0; i < 3; i++)
		if (tlv_read(&p, end, &t))
			return "bad TBSCertificate";
	while (p < end) {
		if (tlv_read(&p, end, &t))
			return "bad TBSCertificate";
		if (is_ctx(&t, 3))
			akid_find(&t, cp);
	}
	return NULL;
}

int wr_cert_ari_parts(const unsigned char *der, size_t len, const unsigned char **akid,
		      size_t *akid_len, const unsigned char **serial, size_t *serial_len)
{
	struct cert_parts cp;

	if (parts_read(der, len, &cp))
		return WR_EINVAL;
	*akid = cp.akid;
	*akid_len = cp.akid_len;
	*serial = cp.serial.c;
	*serial_len = cp.serial.clen;
	return 0;
}

/* A signature algorithm, resolved. */
struct sigalg {
	int nid;	 /* of the AlgorithmIdentifier's OID */
	int md_nid;	 /* NID_undef: none (Ed25519, Ed448) */
	int pk_nid;	 /* the key type it needs */
	int mgf1_nid;	 /* RSA-PSS */
	int saltlen;	 /* RSA-PSS */
	const char *why; /* non-NULL: unusable, and why */
};

/* The digests, fetched once: an implicit fetch on every signature would
 * look the algorithm up in the provider store each time. */
static const struct {
	int nid;
	const char *name;
} md_names[] = {
	{NID_sha256, "SHA256"}, {NID_sha384, "SHA384"}, {NID_sha512, "SHA512"},
	{NID_sha224, "SHA224"}, {NID_sha1, "SHA1"},	{NID_sha3_256, "SHA3-256"},
	{NID_sha3_384, "SHA3-384"}, {NID_sha3_512, "SHA3-512"},
};
#define N_MDS (sizeof md_names / sizeof md_names[0])
static pthread_once_t mds_once = PTHREAD_ONCE_INIT;
static EVP_MD *mds[N_MDS];

static void mds_fetch(void)
{
	for (size_t i = 0; i < N_MDS; i++)
		mds[i] = EVP_MD_fetch(NULL, md_names[i].name, NULL);
	ERR_clear_error();
}

static const EVP_MD *md_of(int nid)
{
	pthread_once(&mds_once, mds_fetch);
	for (size_t i = 0; i < N_MDS; i++)
		if (md_names[i].nid == nid)
			return mds[i];
	return NULL;
}

static int algor_md_nid(const X509_ALGOR *a)
{
	return a ? OBJ_obj2nid(a->algorithm) : NID_sha1; /* RFC 4055's default */
}

/* RSASSA-PSS-params (RFC 4055): hash, MGF1 and its hash, salt length;
 * the trailer must be 1. */
static void pss_read(const X509_ALGOR *alg, struct sigalg *sa)
{
	const ASN1_TYPE *param = alg->parameter;
	RSA_PSS_PARAMS *pss;
	X509_ALGOR *mh = NULL;

	sa->why = "bad RSA-PSS parameters";
	if (!param || param->type != V_ASN1_SEQUENCE ||
	    !(pss = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS), param)))
		return;
	sa->md_nid = algor_md_nid(pss->hashAlgorithm);
	sa->mgf1_nid = NID_sha1;
	sa->saltlen = 20;
	if (pss->maskGenAlgorithm) {
		if (OBJ_obj2nid(pss->maskGenAlgorithm->algorithm) != NID_mgf1 ||
		    !pss->maskGenAlgorithm->parameter ||
		    pss->maskGenAlgorithm->parameter->type != V_ASN1_SEQUENCE ||
		    !(mh = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR),
						     pss->maskGenAlgorithm->parameter)))
			goto out;
		sa->mgf1_nid = algor_md_nid(mh);
	}
	if (pss->saltLength) {
		long n = ASN1_INTEGER_get(pss->saltLength);
		if (n < 0 || n > 1024)
			goto out;
		sa->saltlen = (int)n;
	}
	if (pss->trailerField && ASN1_INTEGER_get(pss->trailerField) != 1)
		goto out;
	sa->why = NULL;
out:
	X509_ALGOR_free(mh);
	RSA_PSS_PARAMS_free(pss);
}

static void sigalg_resolve(const unsigned char *der, size_t len, struct sigalg *sa)
{
	const unsigned char *q = der;
	X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &q, (long)len);

	memset(sa, 0, sizeof *sa);
	if (!alg || q != der + len) {
		sa->why = "bad signature algorithm";
		goto out;
	}
	sa->nid = OBJ_obj2nid(alg->algorithm);
	if (sa->nid == NID_rsassaPss) {
		sa->pk_nid = NID_rsassaPss;
		pss_read(alg, sa);
	} else if (sa->nid == NID_undef ||
		   !OBJ_find_sigid_algs(sa->nid, &sa->md_nid, &sa->pk_nid)) {
		sa->why = "unknown signature algorithm";
	}
	if (!sa->why && sa->md_nid != NID_undef && !md_of(sa->md_nid))
		sa->why = "signature algorithm with an unsupported digest";
	if (!sa->why && sa->mgf1_nid && !md_of(sa->mgf1_nid))
		sa->why = "RSA-PSS with an unsupported MGF1 digest";
out:
	X509_ALGOR_free(alg);
	ERR_clear_error();
}

/* Every certificate of a CA has the same AlgorithmIdentifier: remember
 * the last one per thread, as the issuer names are. */
struct sigalg_cache {
	size_t der_len;
	unsigned char der[128];
	struct sigalg sa;
};
static _Thread_local struct sigalg_cache scache;

static const struct sigalg *sigalg_of(const struct tlv *t)
{
	if (scache.der_len != t->len || memcmp(scache.der, t->start, t->len) != 0) {
		sigalg_resolve(t->start, t->len, &scache.sa);
		scache.der_len = 0;
		if (t->len <= sizeof scache.der) {
			memcpy(scache.der, t->start, t->len);
			scache.der_len = t->len;
		} else {
			static _Thread_local struct sigalg big;
			big = scache.sa;
			return &big;
		}
	}
	return &scache.sa;
}

static bool key_fits(const EVP_PKEY *key, const struct sigalg *sa)
{
	int id = EVP_PKEY_get_base_id(key);

	if (sa->pk_nid == NID_rsassaPss)
		return id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS;
	return id == sa->pk_nid;
}

/* 1: the signature verifies with e's key; 0: it does not; WR_ENOMEM. */
static int sig_verify(const struct issuer *e, const struct cert_parts *cp,
		      const struct sigalg *sa)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	const EVP_MD *md = sa->md_nid != NID_undef ? md_of(sa->md_nid) : NULL;
	int ok = 0;

	if (!m)
		return WR_ENOMEM;
	if (EVP_DigestVerifyInit(m, &pc, md, NULL, e->key) != 1)
		goto out;
	if (sa->nid == NID_rsassaPss &&
	    (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(pc, md_of(sa->mgf1_nid)) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, sa->saltlen) <= 0))
		goto out;
	/* The BIT STRING's first byte is its count of unused bits (0). */
	ok = EVP_DigestVerify(m, cp->sig.c + 1, cp->sig.clen - 1, cp->tbs.start, cp->tbs.len) == 1;
out:
	EVP_MD_CTX_free(m);
	ERR_clear_error();
	return ok;
}

static void hex_colons(const unsigned char *p, size_t n, char *out, size_t outsz)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o + 4 <= outsz; i++)
		o += (size_t)snprintf(out + o, outsz - o, "%s%02X", i ? ":" : "", p[i]);
}

int wr_cert_check(const struct wr_issuers *is, const unsigned char *der, size_t len,
		  char *why, size_t whysz)
{
	const struct issuer *first = NULL, *tried_other = NULL;
	struct cert_parts cp;
	const struct sigalg *sa;
	const char *w;
	int rc;

	if (!is || is->n == 0)
		return 0;
	if ((w = parts_read(der, len, &cp))) {
		snprintf(why, whysz, "%s", w);
		return WR_EINVAL;
	}
	/* Issuers are known by Name, byte for byte. When there are several
	 * of one Name (a CA that changed keys), the authority key identifier
	 * says which to try first; the others are tried too, so that a
	 * certificate cannot escape the check by naming a key we lack. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < is->n; i++) {
			const struct issuer *e = &is->v[i];
			bool kid_ok;

			if (e->name_len != cp.issuer.len ||
			    memcmp(e->name, cp.issuer.start, e->name_len) != 0)
				continue;
			kid_ok = !cp.akid || !e->skid ||
				 (cp.akid_len == e->skid_len && !memcmp(cp.akid, e->skid, e->skid_len));
			if (kid_ok != (pass == 0))
				continue;
			if (!first)
				first = e;
			if (!kid_ok && !tried_other)
				tried_other = e;
			sa = sigalg_of(&cp.sigalg);
			if (sa->why) {
				snprintf(why, whysz, "%s: cannot check it against issuer %s", sa->why,
					 e->text);
				return WR_EINVAL;
			}
			if (!key_fits(e->key, sa))
				continue;
			if ((rc = sig_verify(e, &cp, sa)) != 0)
				return rc;
		}
	}
	if (!first)
		return 0;
	if (tried_other && first == tried_other) {
		char kid[3 * 20 + 8];
		hex_colons(cp.akid, cp.akid_len < 20 ? cp.akid_len : 20, kid, sizeof kid);
		snprintf(why, whysz,
			 "signature does not verify with the key of issuer %s (the certificate names"
			 " key %s, which is not that issuer's)",
			 first->text, kid);
	} else {
		snprintf(why, whysz, "signature does not verify with the key of issuer %s",
			 first->text);
	}
	return WR_EINVAL;
}

/* ---- serial numbers as people write them ------------------------------------- */

/* Accepts "0x", colons, spaces, either case and leading zeros, and a "-"
 * for the negative serials wr_cert_parse writes. */
int wr_serial_normalize(const char *in, char *out, size_t outsz)
{
	static const char digits[] = "0123456789ABCDEF";
	const char *p = in;
	bool neg = false;
	size_t n = 0, o = 0;

	if (!in || !out || outsz == 0)
		return WR_EINVAL;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '-') {
		neg = true;
		p++;
	}
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	/* First pass: validate and count significant digits. */
	bool seen = false;
	for (const char *q = p; *q; q++) {
		if (*q == ':' || *q == ' ' || *q == '\t')
			continue;
		int v = WR_HEXVAL(*q);
		if (v < 0)
			return WR_EINVAL;
		seen = true;
		if (n || v)
			n++;
	}
	if (!seen)
		return WR_EINVAL;
	if (n == 0)
		neg = false; /* "-00" is zero */
	size_t need = (neg ? 1 : 0) + (n == 0 ? 2 : n + (n & 1)) + 1;
	if (need > outsz)
		return WR_EINVAL;
	if (neg)
		out[o++] = '-';
	if (n == 0 || (n & 1))
		out[o++] = '0';
	bool started = false;
	for (const char *q = p; *q && n; q++) {
		if (*q == ':' || *q == ' ' || *q == '\t')
			continue;
		int v = WR_HEXVAL(*q);
		if (!started && v == 0)
			continue;
		started = true;
		out[o++] = digits[v];
	}
	if (n == 0)
		out[o++] = '0';
	out[o] = '\0';
	return 0;
}

/* ---- state ----------------------------------------------------------------------- */

const char *wr_cert_state_label(const char *state, int64_t revoked_at, int64_t not_after,
				int64_t hold_until, int64_t now)
{
	if (revoked_at)
		return "revoked";
	if (not_after < now)
		return "expired";
	if (hold_until > now)
		return "held";
	return state && *state ? state : "pending";
}

/* ---- reading the table ------------------------------------------------------------ */

/* The state filters, as SQL over the row at ?1 = now. They agree with
 * wr_cert_state_label and with the counts: a held certificate is
 * "held" (delayed), not pending, until its hold ends. */
static const char *state_where(const char *state)
{
	static const struct {
		const char *name, *sql;
	} filters[] = {
#define NOT_HELD " AND (hold_until IS NULL OR hold_until <= ?1)"
		{"pending", "state = 'pending' AND revoked_at IS NULL AND not_after >= ?1" NOT_HELD},
		/* The IN term: cert_unsettled's (migrate-014.sql). */
		{"submitted", "state IN ('submitted', 'failed') AND state = 'submitted'"
			      " AND revoked_at IS NULL AND not_after >= ?1" NOT_HELD},
		{"failed", "state IN ('submitted', 'failed') AND state = 'failed'"
			   " AND revoked_at IS NULL AND not_after >= ?1" NOT_HELD},
		{"expired", "revoked_at IS NULL AND not_after < ?1"},
		{"revoked", "revoked_at IS NOT NULL"},
		{"held", "revoked_at IS NULL AND not_after >= ?1 AND hold_until > ?1"},
	};

	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
		if (strcmp(state, filters[i].name) == 0)
			return filters[i].sql;
	return NULL;
}

static void blob32(sqlite3_stmt *st, int i, unsigned char out[32])
{
	const void *b = sqlite3_column_blob(st, i);

	if (b && sqlite3_column_bytes(st, i) == 32)
		memcpy(out, b, 32);
	else
		memset(out, 0, 32);
}

int wr_cert_foreach(struct wr_db *db, const struct wr_cert_filter *f, wr_cert_cb cb, void *ctx)
{
	const char *state_sql = "1";
	int64_t now = f && f->now ? f->now : wr_clock_now(db);
	char sql[2048];
	sqlite3_stmt *st;
	int rc;

	if (f && f->state && !(state_sql = state_where(f->state)))
		return wr_err(db, WR_EINVAL,
			      "unknown state '%s' (pending, submitted, failed, expired, revoked, held)",
			      f->state);
	/* ?1 now, ?2 customer, ?3 limit, ?4 offset: only the state clause is
	 * spliced in, and it comes from the table above. The contact is the
	 * customer's (customer set corrects it once for all its certificates),
	 * else what the customer list gave with the certificate. */
	snprintf(sql, sizeof sql,
		 "SELECT id, serial, issuer, subject, sans, not_before, not_after, customer,"
		 " coalesce((SELECT cu.contact FROM customer cu WHERE cu.name = cert.customer),"
		 " contact), state, crl_reason, revoked_at, notified_at, replaced_at, hold_until,"
		 " sha256, spki_sha256, error, hold_reason, r_serial, r_sha256, r_not_before,"
		 " r_not_after, r_linked_at FROM cert"
		 /* Renamed, so that the state clause's columns stay the cert's. */
		 " LEFT JOIN (SELECT cert_id AS r_id, serial AS r_serial, sha256 AS r_sha256,"
		 " not_before AS r_not_before, not_after AS r_not_after, linked_at AS r_linked_at"
		 " FROM replacement) ON r_id = id"
		 " WHERE (%s) AND (?2 IS NULL OR customer = ?2)"
		 " ORDER BY id LIMIT ?3 OFFSET ?4",
		 state_sql);
	if ((rc = wr_prepare(db, sql, &st)))
		return rc;
	sqlite3_bind_int64(st, 1, now);
	if (f && f->customer)
		sqlite3_bind_text(st, 2, f->customer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, f && f->limit > 0 ? f->limit : -1);
	sqlite3_bind_int64(st, 4, f && f->offset > 0 ? f->offset : 0);

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct wr_cert c = {0};
		c.id = sqlite3_column_int64(st, 0);
		c.serial = wr_col_text(st, 1);
		c.issuer = wr_col_text(st, 2);
		c.subject = wr_col_text(st, 3);
		c.sans = wr_col_text(st, 4);
		c.not_before = wr_col_i64(st, 5);
		c.not_after = wr_col_i64(st, 6);
		c.customer = wr_col_text(st, 7);
		c.contact = wr_col_text(st, 8);
		c.crl_reason = sqlite3_column_type(st, 10) == SQLITE_NULL
				       ? -2
				       : sqlite3_column_int(st, 10);
		c.revoked_at = wr_col_i64(st, 11);
		c.notified_at = wr_col_i64(st, 12);
		c.replaced_at = wr_col_i64(st, 13);
		c.hold_until = wr_col_i64(st, 14);
		blob32(st, 15, c.sha256);
		blob32(st, 16, c.spki_sha256);
		c.error = wr_col_text(st, 17);
		c.hold_reason = wr_col_text(st, 18);
		if ((c.repl_serial = wr_col_text(st, 19))) {
			blob32(st, 20, c.repl_sha256);
			c.repl_not_before = wr_col_i64(st, 21);
			c.repl_not_after = wr_col_i64(st, 22);
			c.repl_linked_at = wr_col_i64(st, 23);
		}
		c.state = wr_cert_state_label(wr_col_text(st, 9), c.revoked_at, c.not_after,
					      c.hold_until, now);
		if ((rc = cb(&c, ctx))) {
			sqlite3_finalize(st);
			return rc;
		}
	}
	if (rc != SQLITE_DONE) {
		rc = wr_err_sq(db, "certificates");
		sqlite3_finalize(st);
		return rc;
	}
	sqlite3_finalize(st);
	return 0;
}
