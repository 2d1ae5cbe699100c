/*
 * crl.c: building and signing the local test CA's CRLs, split into shards.
 *
 * Owns the in-memory list of revocations to publish and the files
 * out_dir/shard-K.crl, shard-K.pem, arl.crl, arl.pem and crls.txt (for a
 * CA whose certificates name one CRL URL, that file instead of the
 * shards). Knows nothing of the databases or of the settings
 * (core/backend-local.c reads both), never prints, and writes every file
 * through a temporary file and rename(2), so a reader (an HTTP server,
 * `openssl crl`, verify) sees the old file or the new one, never half of
 * one.
 *
 * Everything ASN.1 goes through OpenSSL's API: the CRL with its AKI, CRL
 * number and critical Issuing Distribution Point, signed as
 * X509_CRL_sign signs; each entry's serialNumber, revocationDate and
 * reasonCode extension encoded by OpenSSL, and the SEQUENCEs around them
 * put with ASN1_put_object (add_entry, sign_encode; tests/unit/test-crl.c
 * compares the result with OpenSSL's template encoder). OpenSSL 3.0's
 * `openssl ca` refuses privilegeWithdrawn (9), which the BRs need; the
 * API does not.
 *
 * Scope (RFC 5280 5.2.5, BR 7.2.2.1). A relying party accepts a CRL for a
 * certificate only when the CRL's Issuing Distribution Point names a URL
 * the certificate's CRL Distribution Point names and its scope covers the
 * certificate: `openssl verify -crl_check` says "different CRL scope"
 * otherwise. So each shard names its own URL and holds end-entity
 * certificates only (onlyContainsUserCerts); CA certificates go on the
 * ARL, arl.crl, whose IDP names its URL and onlyContainsCACerts. A CA of
 * one shard publishes a full CRL instead, without IDP (BR 7.2.2.1: NOT
 * RECOMMENDED on a full CRL), which covers every certificate whatever
 * URL it names: it carries the ARL's entries too.
 *
 * Speed and memory (BR 4.9.7: reissue within 24 hours of any revocation;
 * a million revocations should take seconds, not minutes, and not the
 * machine's memory). A revocation waits in a 32-byte record until its
 * shard is built: in memory, or, for a list that spills
 * (wr_crl_list_spill), in its shard's temporary file, read back when the
 * shard is built and freed once it is written, so that memory stays flat
 * however many there are. Only what serial mod the count places is
 * spilled, so that a shard job finds a serial in its shard or among the
 * few kept in memory (the ARL's, and entries kept on another shard).
 * Through X509_REVOKED objects (250 bytes each) and the template
 * encoder, which measures an entry once per enclosing level before it
 * writes it, the entries were most of the cost: each is now encoded once,
 * in place, into a buffer a thread keeps from shard to shard, with the
 * parts entries share (a revocationDate, a reason's extensions) encoded
 * once. Entries are sorted here in X509_CRL_sort's order (length, then
 * bytes, as ASN1_STRING_cmp compares); in memory, before any thread
 * starts, so the list can also be searched while the CRLs are built
 * (index.txt, by the side job).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crl.h"
#include "hex.h"

/* RFC 5280 4.1.2.2 allows 20 octets; certificates in the wild carry more,
 * and the cert table keeps up to 65. */
#define SERIAL_MAX 64

/* ---- serials ---------------------------------------------------------------- */

/* Hex (as the cert table writes it, "-" for negative) to the magnitude's
 * bytes without leading zeros; zero is one 0x00 byte, as OpenSSL has it. */
static int serial_bytes(const char *s, unsigned char *out, size_t *len, bool *neg)
{
	const unsigned char *q;
	size_t nd, n = 0;

	*neg = false;
	if (!s)
		return -1;
	if (*s == '-') {
		*neg = true;
		s++;
	}
	while (s[0] == '0' && s[1] == '0')
		s++;
	for (q = (const unsigned char *)s; wr_hexval1[*q]; q++)
		;
	nd = (size_t)(q - (const unsigned char *)s);
	if (*q || nd == 0 || (nd + 1) / 2 > SERIAL_MAX)
		return -1;
	q = (const unsigned char *)s;
	if (nd & 1) /* an odd count: the first byte has one digit */
		out[n++] = (unsigned char)WR_HEXVAL(*q++);
	for (; *q; q += 2)
		out[n++] = (unsigned char)(WR_HEXVAL(q[0]) << 4 | WR_HEXVAL(q[1]));
	/* Leading zero bytes left by "0" + odd digits, or "00" alone. */
	size_t z = 0;
	while (z + 1 < n && out[z] == 0)
		z++;
	if (z) {
		memmove(out, out + z, n - z);
		n -= z;
	}
	*len = n;
	if (n == 1 && out[0] == 0)
		*neg = false;
	return 0;
}

int wr_crl_shard_count(int64_t issued, int64_t shard_entries)
{
	if (shard_entries < 1)
		return 0;
	int64_t n = issued <= 0 ? 1 : (issued + shard_entries - 1) / shard_entries;
	return n > WR_CRL_MAX_SHARDS ? WR_CRL_MAX_SHARDS : (int)n;
}

/* The magnitude modulo nshards, a byte at a time (Horner): what
 * BN_mod_word gives, without a BIGNUM per serial. */
static int shard_of_bytes(const unsigned char *b, size_t len, int nshards)
{
	uint32_t r = 0;

	if (nshards <= 1)
		return 0;
	for (size_t i = 0; i < len; i++)
		r = (uint32_t)(((uint64_t)r << 8 | b[i]) % (uint32_t)nshards);
	return (int)r;
}

int wr_crl_shard_of(const char *serial, int nshards)
{
	unsigned char b[SERIAL_MAX];
	size_t len;
	bool neg;

	if (nshards < 1 || serial_bytes(serial, b, &len, &neg))
		return -1;
	return shard_of_bytes(b, len, nshards);
}

/* ---- the list --------------------------------------------------------------- */

/* 32 bytes. The serial's first 16 bytes live in the record (most CAs'
 * serials are 16 to 20 bytes), as two big-endian numbers so that most
 * comparisons are two integer compares and a lookup touches one cache
 * line; bytes beyond 16 go to the shard's arena. */
#define INLINE_BYTES 16
struct ent {
	uint64_t key[2]; /* bytes 0-7 and 8-15, big-endian, zero-padded */
	int64_t at;	 /* revocationDate */
	uint32_t off;	 /* bytes 16.. in the shard's arena */
	uint8_t len;
	uint8_t neg;
	int8_t reason;	 /* -1: no reasonCode extension */
};

struct shard {
	struct ent *e;
	size_t n, cap;
	unsigned char *b; /* arena of serial bytes */
	size_t blen, bcap;
	bool sorted;
	/* Spilled (wr_crl_list_spill): the entries wait in temporary files,
	 * each entry followed by its bytes past 16, read back when the shard
	 * is built; sfd[] in the order of the rows. wb buffers the list's own
	 * file, sfd[nsfd - 1] while writing. */
	int sfd[4], nsfd;
	bool writing;
	unsigned char *wb;
	size_t wlen;
};
#define SPILL_FILES 4

/* all[0] is the ARL, all[1 + k] shard k: the ARL is shard WR_CRL_ARL
 * (-1), so loops over every CRL run over all[0 .. nshards]. */
struct wr_crl_list {
	int mod;	   /* an entry added without a shard goes to serial mod this */
	int nshards;	   /* mod, or more: entries kept on an earlier count's shards */
	struct shard *all;
	int64_t count;
	/* wr_crl_list_index: open addressing over every entry, a slot holding
	 * 1 + the entry's place in all[]'s order (base[i] + j). */
	uint32_t *hash;
	size_t hmask;
	size_t *base;
	/* wr_crl_list_spill: the directory of the temporary files, the size of
	 * each shard's write buffer, and the entries that stay in memory
	 * (the ARL's, and those kept on a shard other than serial mod mod). */
	char *spill_dir;
	size_t spill_buf;
	struct wr_crl_list *exc;
};
#define SHARD(l, k) (&(l)->all[(k) + 1])
#define NALL(l) ((l)->nshards + 1)

struct wr_crl_list *wr_crl_list_new(int nshards)
{
	struct wr_crl_list *l;

	if (nshards < 1 || nshards > WR_CRL_MAX_SHARDS || !(l = calloc(1, sizeof *l)))
		return NULL;
	l->mod = l->nshards = nshards;
	l->all = calloc((size_t)nshards + 1, sizeof *l->all);
	if (!l->all) {
		wr_crl_list_free(l);
		return NULL;
	}
	return l;
}

static void shard_clear(struct shard *s)
{
	free(s->e);
	free(s->b);
	free(s->wb);
	for (int i = 0; i < s->nsfd; i++)
		close(s->sfd[i]);
	memset(s, 0, sizeof *s);
}

void wr_crl_list_free(struct wr_crl_list *l)
{
	if (!l)
		return;
	for (int i = 0; l->all && i < NALL(l); i++)
		shard_clear(&l->all[i]);
	free(l->all);
	free(l->hash);
	free(l->base);
	free(l->spill_dir);
	wr_crl_list_free(l->exc);
	free(l);
}

int64_t wr_crl_list_count(const struct wr_crl_list *l) { return l ? l->count : 0; }

int wr_crl_list_shards(const struct wr_crl_list *l) { return l ? l->nshards : 0; }

/* Room for shards up to n - 1. Places in all[] move: the hash goes. */
static int list_grow(struct wr_crl_list *l, int n)
{
	if (n <= l->nshards)
		return 0;
	if (n > WR_CRL_MAX_SHARDS)
		return WR_EINVAL;
	struct shard *a = realloc(l->all, ((size_t)n + 1) * sizeof *a);
	if (!a)
		return WR_ENOMEM;
	memset(a + NALL(l), 0, (size_t)(n - l->nshards) * sizeof *a);
	l->all = a;
	l->nshards = n;
	free(l->hash);
	l->hash = NULL;
	return 0;
}

/* ---- spilling ------------------------------------------------------------- */

static int write_all(int fd, const void *buf, size_t n);

int wr_crl_spill_open(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		char t[PATH_MAX];
		if ((size_t)snprintf(t, sizeof t, "%s/.spill.XXXXXX", dir) >= sizeof t)
			return -1;
		if ((fd = mkostemp(t, O_CLOEXEC | O_NOFOLLOW)) >= 0)
			unlink(t);
	}
	return fd;
}

static int spill_flush(struct wr_crl_list *l, struct shard *s)
{
	if (!s->wlen)
		return 0;
	if (!s->writing) {
		int fd;
		if (s->nsfd == SPILL_FILES)
			return WR_EINVAL;
		if ((fd = wr_crl_spill_open(l->spill_dir)) < 0)
			return WR_EIO;
		s->sfd[s->nsfd++] = fd;
		s->writing = true;
	}
	if (write_all(s->sfd[s->nsfd - 1], s->wb, s->wlen) != 0)
		return WR_EIO;
	s->wlen = 0;
	return 0;
}

static int spill_put(struct wr_crl_list *l, struct shard *s, const struct ent *e,
		     const unsigned char *tail, size_t tl)
{
	int rc;

	if (!s->wb && !(s->wb = malloc(l->spill_buf)))
		return WR_ENOMEM;
	if (s->wlen + sizeof *e + tl > l->spill_buf && (rc = spill_flush(l, s)))
		return rc;
	memcpy(s->wb + s->wlen, e, sizeof *e);
	memcpy(s->wb + s->wlen + sizeof *e, tail, tl);
	s->wlen += sizeof *e + tl;
	return 0;
}

/* 64 KB a shard's buffer, less with many shards: 8 MB in all at most. */
#define SPILL_BUF_MAX (64 << 10)
#define SPILL_BUF_MIN (4 << 10)
#define SPILL_BUF_ALL (8 << 20)

int wr_crl_list_spill(struct wr_crl_list *l, const char *dir)
{
	if (l->count || l->spill_dir)
		return WR_EINVAL;
	if (l->mod == 1)
		return 0; /* one shard is built whole anyway */
	size_t per = SPILL_BUF_ALL / (size_t)NALL(l);
	l->spill_buf = per > SPILL_BUF_MAX ? SPILL_BUF_MAX : per < SPILL_BUF_MIN ? SPILL_BUF_MIN : per;
	if (!(l->spill_dir = strdup(dir)) || !(l->exc = wr_crl_list_new(l->mod))) {
		free(l->spill_dir);
		l->spill_dir = NULL;
		return WR_ENOMEM;
	}
	return 0;
}

bool wr_crl_list_spilled(const struct wr_crl_list *l) { return l && l->spill_dir; }

int wr_crl_list_merge(struct wr_crl_list *dst, struct wr_crl_list *src)
{
	int rc;

	if (dst->mod != src->mod || !dst->spill_dir != !src->spill_dir)
		return WR_EINVAL;
	if ((rc = list_grow(dst, src->nshards)))
		return rc;
	if (src->spill_dir && (rc = wr_crl_list_merge(dst->exc, src->exc)))
		return rc;
	for (int k = 0; k < NALL(src); k++) {
		struct shard *d = &dst->all[k], *s = &src->all[k];
		/* Spilled: src's files follow dst's, as its rows do. */
		if (src->spill_dir && ((rc = spill_flush(dst, d)) || (rc = spill_flush(src, s))))
			return rc;
		if (d->nsfd + s->nsfd > SPILL_FILES)
			return WR_EINVAL;
		d->writing = s->writing = false;
		for (int i = 0; i < s->nsfd; i++)
			d->sfd[d->nsfd++] = s->sfd[i];
		s->nsfd = 0;
		if (!s->n)
			continue;
		if (d->n + s->n > d->cap) {
			struct ent *e = realloc(d->e, (d->n + s->n) * sizeof *e);
			if (!e)
				return WR_ENOMEM;
			d->e = e;
			d->cap = d->n + s->n;
		}
		if (d->blen + s->blen > d->bcap) {
			if (d->blen + s->blen > UINT32_MAX)
				return WR_ENOMEM;
			unsigned char *b = realloc(d->b, d->blen + s->blen);
			if (!b)
				return WR_ENOMEM;
			d->b = b;
			d->bcap = d->blen + s->blen;
		}
		if (s->blen)
			memcpy(d->b + d->blen, s->b, s->blen);
		for (size_t i = 0; i < s->n; i++) {
			d->e[d->n + i] = s->e[i];
			d->e[d->n + i].off += (uint32_t)d->blen;
		}
		d->n += s->n;
		d->blen += s->blen;
		d->sorted = false;
		shard_clear(s);
	}
	dst->count += src->count;
	src->count = 0;
	free(dst->hash);
	dst->hash = NULL;
	return 0;
}

static bool reason_ok(int r)
{
	/* certificateHold (6) is forbidden (BR 4.9.13: no suspension); 7 is
	 * unassigned and removeFromCRL (8) belongs to delta CRLs. */
	return r == WR_CRL_OMIT || (r >= 0 && r <= 10 && r != 6 && r != 7 && r != 8);
}

static void key_of(const unsigned char *b, size_t len, uint64_t key[2])
{
	for (size_t w = 0; w < 2; w++) {
		uint64_t k = 0;
		for (size_t i = 8 * w; i < 8 * w + 8; i++)
			k = k << 8 | (i < len ? b[i] : 0);
		key[w] = k;
	}
}

/* The serial's magnitude, whole, into out[SERIAL_MAX]. */
static void ent_bytes(const struct shard *s, const struct ent *e, unsigned char *out)
{
	for (size_t i = 0; i < e->len && i < INLINE_BYTES; i++)
		out[i] = (unsigned char)(e->key[i / 8] >> (56 - 8 * (i % 8)));
	if (e->len > INLINE_BYTES)
		memcpy(out + INLINE_BYTES, s->b + e->off, e->len - INLINE_BYTES);
}

/* Adds to shard k (WR_CRL_ARL: the ARL), or to serial mod l->mod when k
 * is below WR_CRL_ARL. */
static int shard_push(struct shard *s, const struct ent *e, const unsigned char *tail);

static int list_add(struct wr_crl_list *l, const char *serial, int64_t revoked_at,
		    int crl_reason, int k)
{
	unsigned char b[SERIAL_MAX];
	size_t len;
	bool neg;
	int rc;

	if (serial_bytes(serial, b, &len, &neg) || !reason_ok(crl_reason) ||
	    k >= WR_CRL_MAX_SHARDS)
		return WR_EINVAL;
	bool given = k >= WR_CRL_ARL;
	if (!given && (k = shard_of_bytes(b, len, l->mod)) < 0)
		return WR_ENOMEM;
	if (k >= l->nshards && (rc = list_grow(l, k + 1)))
		return rc;
	if (l->spill_dir) {
		/* Only what serial mod mod places goes to the files: the index
		 * (wr_crl_list_find_shard) looks for a serial there, and in
		 * memory for the rest. */
		int m = k;
		if (given && k >= 0 && (m = shard_of_bytes(b, len, l->mod)) < 0)
			return WR_ENOMEM;
		if (k == WR_CRL_ARL || m != k) {
			if ((rc = list_add(l->exc, serial, revoked_at, crl_reason, k)) == 0)
				l->count++;
			return rc;
		}
	}
	struct ent e;
	memset(&e, 0, sizeof e); /* padding too: a spilled one goes to a file */
	key_of(b, len, e.key);
	e.at = revoked_at;
	e.len = (uint8_t)len;
	e.neg = neg;
	/* RFC 5280 5.3.1: unspecified (0) is better left out. */
	e.reason = (int8_t)(crl_reason == 0 ? WR_CRL_OMIT : crl_reason);
	rc = l->spill_dir ? spill_put(l, SHARD(l, k), &e, b + INLINE_BYTES,
				      len > INLINE_BYTES ? len - INLINE_BYTES : 0)
			  : shard_push(SHARD(l, k), &e, b + INLINE_BYTES);
	if (rc)
		return rc;
	l->count++;
	if (l->hash) { /* places move when the shard is sorted again */
		free(l->hash);
		l->hash = NULL;
	}
	return 0;
}

int wr_crl_list_add(struct wr_crl_list *l, const char *serial, int64_t revoked_at,
		    int crl_reason)
{
	return list_add(l, serial, revoked_at, crl_reason, WR_CRL_ARL - 1);
}

int wr_crl_list_add_to(struct wr_crl_list *l, const char *serial, int64_t revoked_at,
		       int crl_reason, int shard)
{
	return shard < WR_CRL_ARL ? WR_EINVAL : list_add(l, serial, revoked_at, crl_reason, shard);
}

/* ASN1_STRING_cmp's order (length, bytes, then type: negative after),
 * then the order of insertion so that the first duplicate stays. */
static int ent_cmp(const void *pa, const void *pb, void *arena)
{
	const struct ent *a = pa, *b = pb;

	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	if (a->key[0] != b->key[0])
		return a->key[0] < b->key[0] ? -1 : 1;
	if (a->key[1] != b->key[1])
		return a->key[1] < b->key[1] ? -1 : 1;
	if (a->len > INLINE_BYTES) {
		const unsigned char *ar = arena;
		int c = memcmp(ar + a->off, ar + b->off, a->len - INLINE_BYTES);
		if (c)
			return c;
	}
	if (a->neg != b->neg)
		return a->neg ? 1 : -1;
	return a->off < b->off ? -1 : a->off > b->off;
}

static bool ent_same(const struct shard *s, const struct ent *a, const struct ent *b)
{
	return a->len == b->len && a->key[0] == b->key[0] && a->key[1] == b->key[1] &&
	       a->neg == b->neg &&
	       (a->len <= INLINE_BYTES ||
		memcmp(s->b + a->off, s->b + b->off, a->len - INLINE_BYTES) == 0);
}

static void shard_sort(struct shard *s, int64_t *dropped)
{
	size_t w = 0;

	if (s->sorted)
		return;
	if (s->n > 1)
		qsort_r(s->e, s->n, sizeof *s->e, ent_cmp, s->b);
	for (size_t i = 0; i < s->n; i++)
		if (w == 0 || !ent_same(s, &s->e[w - 1], &s->e[i]))
			s->e[w++] = s->e[i];
	*dropped += (int64_t)(s->n - w);
	s->n = w;
	s->sorted = true;
}

/* Appends an entry (its bytes past 16 in tail) to a shard in memory. */
static int shard_push(struct shard *s, const struct ent *e, const unsigned char *tail)
{
	size_t tl = e->len > INLINE_BYTES ? e->len - INLINE_BYTES : 0;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct ent *ne = realloc(s->e, cap * sizeof *ne);
		if (!ne)
			return WR_ENOMEM;
		s->e = ne;
		s->cap = cap;
	}
	if (s->blen + tl > s->bcap) {
		size_t cap = s->bcap ? s->bcap * 2 : 4096;
		while (cap < s->blen + tl)
			cap *= 2;
		if (cap > UINT32_MAX)
			return WR_ENOMEM;
		unsigned char *nb = realloc(s->b, cap);
		if (!nb)
			return WR_ENOMEM;
		s->b = nb;
		s->bcap = cap;
	}
	s->e[s->n] = *e;
	s->e[s->n].off = (uint32_t)s->blen;
	if (tl)
		memcpy(s->b + s->blen, tail, tl);
	s->blen += tl;
	s->n++;
	s->sorted = false;
	return 0;
}

/* A worker's memory from one spilled shard to the next: the arrays a
 * shard is read into and the buffer it is read through (fresh memory
 * for every shard costs a page fault every 4 KB). */
struct scratch {
	struct ent *e;
	size_t cap;
	unsigned char *b;
	size_t bcap;
	unsigned char *r;
	size_t rcap;
};

static void scratch_free(struct scratch *sc)
{
	free(sc->e);
	free(sc->b);
	free(sc->r);
	memset(sc, 0, sizeof *sc);
}

/* A spilled shard into memory, in sc's arrays: its entries kept in
 * memory (l->exc's shard k, sorted already), then its files', in order. */
static int shard_load(struct wr_crl_list *l, int k, struct scratch *sc)
{
	struct shard *s = SHARD(l, k);
	int rc = 0;

	s->e = sc->e, s->cap = sc->cap, s->b = sc->b, s->bcap = sc->bcap;
	sc->e = NULL, sc->cap = 0, sc->b = NULL, sc->bcap = 0;
	s->n = s->blen = 0;
	if (k < l->exc->nshards || k == WR_CRL_ARL) {
		const struct shard *x = SHARD(l->exc, k);
		for (size_t i = 0; i < x->n && !rc; i++)
			rc = shard_push(s, &x->e[i], x->b + x->e[i].off);
	}
	for (int f = 0; f < s->nsfd && !rc; f++) {
		off_t size = lseek(s->sfd[f], 0, SEEK_END);
		size_t got = 0;
		if (size < 0) {
			rc = WR_EIO;
			break;
		}
		if ((size_t)size > sc->rcap) {
			unsigned char *nr = realloc(sc->r, (size_t)size);
			if (!nr) {
				rc = WR_ENOMEM;
				break;
			}
			sc->r = nr;
			sc->rcap = (size_t)size;
		}
		/* The entries are counted already: room for them at once. */
		if (size > 0 && s->cap < s->n + (size_t)size / sizeof(struct ent)) {
			size_t cap = s->n + (size_t)size / sizeof(struct ent);
			struct ent *ne = realloc(s->e, cap * sizeof *ne);
			if (!ne) {
				rc = WR_ENOMEM;
				break;
			}
			s->e = ne;
			s->cap = cap;
		}
		while (got < (size_t)size) {
			ssize_t r = pread(s->sfd[f], sc->r + got, (size_t)size - got, (off_t)got);
			if (r <= 0 && !(r < 0 && errno == EINTR)) {
				rc = WR_EIO;
				break;
			}
			if (r > 0)
				got += (size_t)r;
		}
		for (size_t at = 0; !rc && at + sizeof(struct ent) <= got;) {
			struct ent e;
			memcpy(&e, sc->r + at, sizeof e);
			size_t tl = e.len > INLINE_BYTES ? e.len - INLINE_BYTES : 0;
			if (e.len > SERIAL_MAX || at + sizeof e + tl > got) {
				rc = WR_EIO; /* not what spill_put wrote */
				break;
			}
			rc = shard_push(s, &e, sc->r + at + sizeof e);
			at += sizeof e + tl;
		}
	}
	return rc;
}

/* After a spilled shard is built: its arrays go back to sc, its files
 * are closed, its count stays. */
static void shard_release(struct shard *s, struct scratch *sc)
{
	free(sc->e);
	free(sc->b);
	sc->e = s->e, sc->cap = s->cap, sc->b = s->b, sc->bcap = s->bcap;
	s->e = NULL;
	s->b = NULL;
	s->cap = s->blen = s->bcap = 0;
	for (int i = 0; i < s->nsfd; i++)
		close(s->sfd[i]);
	s->nsfd = 0;
}

int wr_crl_list_sort(struct wr_crl_list *l)
{
	int64_t dropped = 0;

	for (int i = 0; i < NALL(l); i++)
		shard_sort(&l->all[i], &dropped);
	l->count -= dropped;
	return 0;
}

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Not cryptographic: serials come from the CA's own record. */
static uint64_t serial_hash(const unsigned char *b, size_t len, bool neg)
{
	uint64_t h = mix64(len * 2 + neg);

	for (size_t i = 0; i < len; i += 8) {
		uint64_t w = 0;
		for (size_t k = i; k < i + 8; k++)
			w = w << 8 | (k < len ? b[k] : 0);
		h = mix64(h ^ w);
	}
	return h;
}

static bool ent_is(const struct shard *s, const struct ent *e, const unsigned char *b,
		   size_t len, bool neg, const uint64_t key[2])
{
	return e->len == len && e->key[0] == key[0] && e->key[1] == key[1] && e->neg == neg &&
	       (len <= INLINE_BYTES ||
		memcmp(s->b + e->off, b + INLINE_BYTES, len - INLINE_BYTES) == 0);
}

void wr_crl_list_unindex(struct wr_crl_list *l)
{
	free(l->hash);
	l->hash = NULL;
}

int wr_crl_list_index(struct wr_crl_list *l)
{
	size_t total = 0, size = 16;

	free(l->hash);
	free(l->base);
	l->hash = NULL;
	if (!(l->base = calloc((size_t)NALL(l) + 1, sizeof *l->base)))
		return WR_ENOMEM;
	for (int k = 0; k < NALL(l); k++) {
		l->base[k] = total;
		total += l->all[k].n;
	}
	l->base[NALL(l)] = total;
	if (total >= UINT32_MAX / 2)
		return 0; /* too many for 32-bit slots: binary search */
	while (size < total * 2)
		size *= 2;
	if (!(l->hash = calloc(size, sizeof *l->hash)))
		return WR_ENOMEM;
	l->hmask = size - 1;
	for (int k = 0; k < NALL(l); k++) {
		const struct shard *s = &l->all[k];
		for (size_t i = 0; i < s->n; i++) {
			const struct ent *e = &s->e[i];
			unsigned char b[SERIAL_MAX];
			ent_bytes(s, e, b);
			size_t h = (size_t)serial_hash(b, e->len, e->neg) & l->hmask;
			while (l->hash[h])
				h = (h + 1) & l->hmask;
			l->hash[h] = (uint32_t)(l->base[k] + i + 1);
		}
	}
	return 0;
}

static bool found(const struct ent *e, int64_t *revoked_at, int *crl_reason)
{
	if (revoked_at)
		*revoked_at = e->at;
	if (crl_reason)
		*crl_reason = e->reason;
	return true;
}

/* The entry at place g of all[]'s order. */
static const struct ent *ent_at(const struct wr_crl_list *l, size_t g, const struct shard **sp)
{
	size_t lo = 0, hi = (size_t)NALL(l);

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (l->base[mid] <= g)
			lo = mid;
		else
			hi = mid;
	}
	*sp = &l->all[lo];
	return &l->all[lo].e[g - l->base[lo]];
}

/* Looking a million serials up one by one waits on two cache misses each
 * (the slot, the entry); in batches the misses of one overlap with the
 * work on the others: every slot of the batch is prefetched, then every
 * entry, then they are compared. */
#define FIND_BATCH 32
void wr_crl_list_find_batch(const struct wr_crl_list *l, const char *const *serials, size_t n,
			    bool *found_out, int64_t *revoked_at, int *crl_reason)
{
	struct {
		unsigned char b[SERIAL_MAX];
		uint64_t key[2];
		size_t len, h;
		bool neg, ok;
		const struct ent *e;
		const struct shard *s;
	} q[FIND_BATCH];

	if (!l->hash) {
		for (size_t i = 0; i < n; i++)
			found_out[i] = wr_crl_list_find(l, serials[i], &revoked_at[i], &crl_reason[i]);
		return;
	}
	for (size_t at = 0; at < n; at += FIND_BATCH) {
		size_t m = n - at < FIND_BATCH ? n - at : FIND_BATCH;
		for (size_t i = 0; i < m; i++) {
			q[i].ok = serial_bytes(serials[at + i], q[i].b, &q[i].len, &q[i].neg) == 0;
			q[i].e = NULL;
			if (!q[i].ok)
				continue;
			key_of(q[i].b, q[i].len, q[i].key);
			q[i].h = (size_t)serial_hash(q[i].b, q[i].len, q[i].neg) & l->hmask;
			__builtin_prefetch(&l->hash[q[i].h]);
		}
		for (size_t i = 0; i < m; i++) {
			if (q[i].ok && l->hash[q[i].h]) {
				q[i].e = ent_at(l, l->hash[q[i].h] - 1, &q[i].s);
				__builtin_prefetch(q[i].e);
			}
		}
		for (size_t i = 0; i < m; i++) {
			size_t k = at + i, h = q[i].h;
			const struct ent *e = q[i].e;
			const struct shard *s = q[i].s;
			found_out[k] = false;
			/* Past the first slot (a collision), probe on as find does. */
			while (e && !ent_is(s, e, q[i].b, q[i].len, q[i].neg, q[i].key)) {
				h = (h + 1) & l->hmask;
				e = l->hash[h] ? ent_at(l, l->hash[h] - 1, &s) : NULL;
			}
			if (e)
				found_out[k] = found(e, &revoked_at[k], &crl_reason[k]);
		}
	}
}

/* An entry against a serial (its bytes, sign and key): ent_cmp's order. */
static int ent_vs(const struct shard *s, const struct ent *e, const unsigned char *b, size_t len,
		  bool neg, const uint64_t key[2])
{
	int c;

	if (e->len != len)
		return e->len < len ? -1 : 1;
	if (e->key[0] != key[0])
		return e->key[0] < key[0] ? -1 : 1;
	if (e->key[1] != key[1])
		return e->key[1] < key[1] ? -1 : 1;
	if (len > INLINE_BYTES && (c = memcmp(s->b + e->off, b + INLINE_BYTES, len - INLINE_BYTES)))
		return c;
	if (e->neg != neg)
		return e->neg ? 1 : -1;
	return 0;
}

/* Binary search of a sorted shard, in [lo, hi). */
static const struct ent *shard_search_in(const struct shard *s, size_t lo, size_t hi,
					 const unsigned char *b, size_t len, bool neg,
					 const uint64_t key[2], size_t *at)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = ent_vs(s, &s->e[mid], b, len, neg, key);
		if (c == 0) {
			if (at)
				*at = mid;
			return &s->e[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (at) /* the entry before where it would be */
		*at = lo > 0 ? lo - 1 : 0;
	return NULL;
}

static const struct ent *shard_search(const struct shard *s, const unsigned char *b, size_t len,
				      bool neg, const uint64_t key[2])
{
	return shard_search_in(s, 0, s->n, b, len, neg, key, NULL);
}

/* The same for serials that mostly come in order (index.txt's, in the
 * record's order): galloping from *cur, where the last one was. */
static const struct ent *shard_search_from(const struct shard *s, const unsigned char *b,
					   size_t len, bool neg, const uint64_t key[2], size_t *cur)
{
	size_t lo = *cur, step = 1;

	if (lo >= s->n || ent_vs(s, &s->e[lo], b, len, neg, key) > 0)
		return shard_search_in(s, 0, s->n, b, len, neg, key, cur);
	while (lo + step < s->n && ent_vs(s, &s->e[lo + step], b, len, neg, key) <= 0) {
		lo += step;
		step *= 2;
	}
	size_t hi = lo + step < s->n ? lo + step + 1 : s->n;
	return shard_search_in(s, lo, hi, b, len, neg, key, cur);
}

static const struct ent *list_find(const struct wr_crl_list *l, const unsigned char *b,
				   size_t len, bool neg, const uint64_t key[2])
{
	int k;

	if (l->hash) {
		size_t h = (size_t)serial_hash(b, len, neg) & l->hmask;
		for (; l->hash[h]; h = (h + 1) & l->hmask) {
			const struct shard *s;
			const struct ent *e = ent_at(l, l->hash[h] - 1, &s);
			if (ent_is(s, e, b, len, neg, key))
				return e;
		}
		return NULL;
	}
	/* Without the table: the shard serial mod l->mod first, where all
	 * but entries kept from an earlier count are; then the others. */
	if ((k = shard_of_bytes(b, len, l->mod)) < 0)
		return NULL;
	const struct ent *e = shard_search(SHARD(l, k), b, len, neg, key);
	for (int i = 0; !e && i < NALL(l); i++)
		if (i != k + 1)
			e = shard_search(&l->all[i], b, len, neg, key);
	return e;
}

bool wr_crl_list_find(const struct wr_crl_list *l, const char *serial, int64_t *revoked_at,
		      int *crl_reason)
{
	unsigned char b[SERIAL_MAX];
	uint64_t key[2];
	size_t len;
	bool neg;
	const struct ent *e;

	if (!l || serial_bytes(serial, b, &len, &neg))
		return false;
	key_of(b, len, key);
	return (e = list_find(l, b, len, neg, key)) ? found(e, revoked_at, crl_reason) : false;
}

void wr_crl_list_find_shard(const struct wr_crl_list *l, int k, const char *const *serials,
			    size_t n, bool *found_out, int64_t *revoked_at, int *crl_reason)
{
	const struct shard *s = k >= 0 && k < l->nshards ? SHARD(l, k) : NULL;
	const struct wr_crl_list *x = l->exc && l->exc->count ? l->exc : NULL;
	size_t cur = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char b[SERIAL_MAX];
		uint64_t key[2];
		size_t len;
		bool neg;
		const struct ent *e = NULL;
		found_out[i] = false;
		if (serial_bytes(serials[i], b, &len, &neg))
			continue;
		key_of(b, len, key);
		if ((x && (e = list_find(x, b, len, neg, key))) ||
		    (s && s->sorted && (e = shard_search_from(s, b, len, neg, key, &cur))))
			found_out[i] = found(e, &revoked_at[i], &crl_reason[i]);
	}
}

/* ---- files ------------------------------------------------------------------ */

struct tmpfile {
	char tmp[PATH_MAX], path[PATH_MAX];
	int fd;
};

static int tmp_open(struct tmpfile *t, const char *dir, const char *name, char *err,
		    size_t errsz)
{
	t->fd = -1;
	if ((size_t)snprintf(t->path, sizeof t->path, "%s/%s", dir, name) >= sizeof t->path ||
	    (size_t)snprintf(t->tmp, sizeof t->tmp, "%s/.%s.XXXXXX", dir, name) >= sizeof t->tmp) {
		snprintf(err, errsz, "%s: path too long", dir);
		return WR_EINVAL;
	}
	/* O_CREAT | O_EXCL (mkostemp's own) never follows a link planted in
	 * the shared directory; O_NOFOLLOW says so twice. */
	if ((t->fd = mkostemp(t->tmp, O_CLOEXEC | O_NOFOLLOW)) < 0) {
		snprintf(err, errsz, "%s: %s", t->tmp, strerror(errno));
		return WR_EIO;
	}
	return 0;
}

static void tmp_abort(struct tmpfile *t)
{
	if (t->fd >= 0) {
		close(t->fd);
		unlink(t->tmp);
		t->fd = -1;
	}
}

/* The files are public (an HTTP server serves them) and the team's (any
 * operator of the group publishes over them): 0664 whatever the umask,
 * set before the rename so no reader sees them private. rename(2)
 * replaces a link planted under the final name, never what it points
 * to. No fsync: a crash loses at most this publication, which the next
 * one redoes, and rename keeps the old file whole meanwhile. */
#define PUBLIC_MODE 0664
static int tmp_commit(struct tmpfile *t, char *err, size_t errsz)
{
	int fd = t->fd;

	t->fd = -1;
	if (fchmod(fd, PUBLIC_MODE) != 0 || close(fd) != 0) {
		snprintf(err, errsz, "%s: %s", t->tmp, strerror(errno));
		unlink(t->tmp);
		return WR_EIO;
	}
	if (rename(t->tmp, t->path) != 0) {
		snprintf(err, errsz, "%s: %s", t->path, strerror(errno));
		unlink(t->tmp);
		return WR_EIO;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* ---- one shard -------------------------------------------------------------- */

struct job {
	const struct wr_crl_params *p;
	struct wr_crl_list *l;
	unsigned char akid[64];
	int akid_len;
	/* From p->crl_url: what the IDPs name. base ends in '/' (empty: no
	 * URL); file is the one CRL's name when the URL names one. */
	char base[2048], file[256];
	bool full;	/* one shard: a full CRL, no IDP, the ARL's entries too */
	pthread_mutex_t mu;
	int next;	/* the next CRL to take: a shard, WR_CRL_ARL; -2: the side job */
	int rc;		/* the first error */
	char err[2 * PATH_MAX + 64];
	int64_t bytes, pem_bytes, dropped;
};



static void openssl_reason(char *buf, size_t sz, const char *what)
{
	unsigned long e = ERR_get_error();
	char ebuf[256] = "";

	if (e)
		ERR_error_string_n(e, ebuf, sizeof ebuf);
	snprintf(buf, sz, "%s%s%s", what, e ? ": " : "", ebuf);
	ERR_clear_error();
}

/* The files of CRL k (WR_CRL_ARL: the ARL), DER and PEM. */
static void crl_files(const struct job *j, int k, char *der, char *pem, size_t sz)
{
	if (k == WR_CRL_ARL) {
		snprintf(der, sz, "%s", WR_CRL_ARL_FILE);
		snprintf(pem, sz, "arl.pem");
	} else if (j->file[0]) {
		/* "name.crl" and "name.pem" */
		snprintf(der, sz, "%s", j->file);
		snprintf(pem, sz, "%.*s.pem", (int)strlen(j->file) - 4, j->file);
	} else {
		snprintf(der, sz, "shard-%d.crl", k);
		snprintf(pem, sz, "shard-%d.pem", k);
	}
}

/* The scope of a partition (RFC 5280 5.2.5, BR 7.2.2.1): critical, naming
 * the URL the certificates' CRL Distribution Point names for it, and the
 * kind of certificate it covers. */
static int add_idp(const struct job *j, X509_CRL *crl, int k)
{
	ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();
	char url[sizeof j->base + 64];
	int ok = idp != NULL;

	if (!ok)
		return -1;
	if (k == WR_CRL_ARL)
		idp->onlyCA = 0xff;
	else
		idp->onlyuser = 0xff;
	if (j->base[0]) {
		if (k == WR_CRL_ARL)
			snprintf(url, sizeof url, "%s%s", j->base, WR_CRL_ARL_FILE);
		else
			snprintf(url, sizeof url, "%sshard-%d.crl", j->base, k);
		DIST_POINT_NAME *dpn = DIST_POINT_NAME_new();
		GENERAL_NAME *gn = GENERAL_NAME_new();
		ASN1_IA5STRING *uri = ASN1_IA5STRING_new();
		idp->distpoint = dpn;
		if (dpn && (dpn->name.fullname = GENERAL_NAMES_new()) && gn && uri &&
		    ASN1_STRING_set(uri, url, (int)strlen(url))) {
			dpn->type = 0;
			GENERAL_NAME_set0_value(gn, GEN_URI, uri);
			uri = NULL;
			ok = sk_GENERAL_NAME_push(dpn->name.fullname, gn) > 0;
			if (ok)
				gn = NULL;
		} else {
			ok = 0;
		}
		GENERAL_NAME_free(gn);
		ASN1_IA5STRING_free(uri);
	}
	ok = ok && X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point, idp, 1,
					 X509V3_ADD_DEFAULT) == 1;
	ISSUING_DIST_POINT_free(idp);
	return ok ? 0 : -1;
}

static int add_crl_exts(struct job *j, X509_CRL *crl, int k)
{
	const struct wr_crl_params *p = j->p;
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	int ok = akid && num;

	if (ok && j->akid_len > 0) {
		ok = (akid->keyid = ASN1_OCTET_STRING_new()) &&
		     ASN1_OCTET_STRING_set(akid->keyid, j->akid, j->akid_len) &&
		     X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0,
					   X509V3_ADD_DEFAULT) == 1;
	}
	ok = ok && ASN1_INTEGER_set_int64(num, p->crl_number) &&
	     X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, X509V3_ADD_DEFAULT) == 1;
	/* A full CRL covers every certificate: no IDP. */
	if (ok && !(j->full && k == 0))
		ok = add_idp(j, crl, k) == 0;
	AUTHORITY_KEYID_free(akid);
	ASN1_INTEGER_free(num);
	return ok ? 0 : -1;
}

/* revocationDate objects by time: entries come in serial order, and a
 * run revokes a batch in the same second, so a few thousand distinct
 * times recur across a shard. X509_REVOKED_set_revocationDate copies from here
 * rather than every entry formatting its own time. */
#define TIME_SLOTS 4096
#define TIME_DER_MAX 24 /* a GeneralizedTime's DER takes 17 */
struct time_cache {
	int64_t t[TIME_SLOTS];
	ASN1_TIME *a[TIME_SLOTS];
	unsigned char der[TIME_SLOTS][TIME_DER_MAX]; /* i2d_ASN1_TIME of a[i] */
	uint8_t len[TIME_SLOTS];
};

/* The revocationDate's DER (*len bytes), NULL on error. */
static const unsigned char *time_der(struct time_cache *c, int64_t t, size_t *len)
{
	unsigned i = (unsigned)((uint64_t)t % TIME_SLOTS);

	if (!c->a[i] || c->t[i] != t) {
		ASN1_TIME *a = ASN1_TIME_set(c->a[i], (time_t)t);
		unsigned char *p = c->der[i];
		int n;
		if (!a)
			return NULL;
		c->a[i] = a;
		c->t[i] = INT64_MIN;
		if ((n = i2d_ASN1_TIME(a, NULL)) <= 0 || n > TIME_DER_MAX || i2d_ASN1_TIME(a, &p) != n)
			return NULL;
		c->len[i] = (uint8_t)n;
		c->t[i] = t;
	}
	*len = c->len[i];
	return c->der[i];
}

/* What a thread keeps from shard to shard: the encoded entries of the
 * CRL it builds, and the parts entries share, encoded once by OpenSSL:
 * each reason's crlEntryExtensions and each revocationDate (objects for
 * a whole shard cost 250 bytes an entry, and setting and encoding them
 * through the template encoder most of the time a CRL takes). */
struct reuse {
	/* The CRL being built: its entries, encoded, from eb + TBS_ROOM
	 * (elen bytes); sign_encode puts the rest around them. */
	unsigned char *eb;
	size_t elen, ecap;
	unsigned char *exts[11]; /* i2d_X509_EXTENSIONS of a reasonCode r */
	int exts_len[11];
	ASN1_INTEGER *ser;
	struct time_cache *tc;
};

static void reuse_free(struct reuse *u)
{
	free(u->eb);
	for (int r = 0; r < 11; r++)
		OPENSSL_free(u->exts[r]);
	for (int i = 0; u->tc && i < TIME_SLOTS; i++)
		ASN1_TIME_free(u->tc->a[i]);
	free(u->tc);
	ASN1_INTEGER_free(u->ser);
	memset(u, 0, sizeof *u);
}

/* Each CRLReason's crlEntryExtensions, as OpenSSL encodes them: a
 * SEQUENCE OF one non-critical reasonCode extension. */
static int reuse_init(struct reuse *u)
{
	memset(u, 0, sizeof *u);
	if (!(u->tc = calloc(1, sizeof *u->tc)) || !(u->ser = ASN1_INTEGER_new()))
		return -1;
	for (int r = 0; r < 11; r++) {
		STACK_OF(X509_EXTENSION) *sk = NULL;
		ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();
		int ok = e && ASN1_ENUMERATED_set(e, r) &&
			 X509V3_add1_i2d(&sk, NID_crl_reason, e, 0, X509V3_ADD_DEFAULT) == 1 &&
			 (u->exts_len[r] = i2d_X509_EXTENSIONS(sk, &u->exts[r])) > 0;
		ASN1_ENUMERATED_free(e);
		sk_X509_EXTENSION_pop_free(sk, X509_EXTENSION_free);
		if (!ok)
			return -1;
	}
	return 0;
}

/* Room in eb for any one entry: a serial of SERIAL_MAX bytes, a
 * GeneralizedTime and a reasonCode take about 120. */
#define ENTRY_ROOM 512
/* Before the entries in eb: the CertificateList's and the TBSCertList's
 * headers, and the TBSCertList's fields before revokedCertificates (the
 * issuer's name mostly). */
#define TBS_ROOM (16 << 10)

static int room(struct reuse *u, size_t need)
{
	if (u->ecap >= need)
		return 0;
	size_t cap = u->ecap ? u->ecap : 1 << 20;
	while (cap < need)
		cap *= 2;
	unsigned char *nb = realloc(u->eb, cap);
	if (!nb)
		return -1;
	u->eb = nb;
	u->ecap = cap;
	return 0;
}

/* One revoked entry, e of shard s, encoded at the end of u->eb: the
 * SEQUENCE of its serialNumber (i2d_ASN1_INTEGER), its revocationDate
 * and its reason's extensions (encoded once), put with ASN1_put_object.
 * tests/unit/test-crl.c checks the bytes against OpenSSL's template
 * encoder. */
static int add_entry(const struct shard *s, const struct ent *e, BIGNUM *bn, struct reuse *u)
{
	unsigned char b[SERIAL_MAX], ib[SERIAL_MAX + 16], *q = ib;
	size_t tl;
	const unsigned char *td = time_der(u->tc, e->at, &tl);
	int il, ok;

	if (!td || room(u, TBS_ROOM + u->elen + ENTRY_ROOM))
		return -1;
	ent_bytes(s, e, b);
	if (e->neg)
		ok = BN_bin2bn(b, e->len, bn) && (BN_set_negative(bn, 1), 1) &&
		     BN_to_ASN1_INTEGER(bn, u->ser);
	else
		ok = ASN1_STRING_set(u->ser, b, e->len) &&
		     (ASN1_STRING_type(u->ser) == V_ASN1_INTEGER ||
		      (BN_bin2bn(b, e->len, bn) && BN_to_ASN1_INTEGER(bn, u->ser)));
	if (!ok || (il = i2d_ASN1_INTEGER(u->ser, NULL)) <= 0 || il > (int)sizeof ib ||
	    i2d_ASN1_INTEGER(u->ser, &q) != il)
		return -1;
	int xl = e->reason >= 0 && e->reason <= 10 ? u->exts_len[e->reason] : 0;
	int content = il + (int)tl + xl;
	unsigned char *p = u->eb + TBS_ROOM + u->elen, *p0 = p;
	if (ASN1_object_size(1, content, V_ASN1_SEQUENCE) > ENTRY_ROOM)
		return -1;
	ASN1_put_object(&p, 1, content, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	memcpy(p, ib, (size_t)il);
	memcpy(p + il, td, tl);
	if (xl)
		memcpy(p + il + tl, u->exts[e->reason], (size_t)xl);
	p += content;
	u->elen += (size_t)(p - p0);
	return 0;
}

/* ent_cmp's order across two shards; 0 for the same serial. */
static int ent_cmp2(const struct shard *sa, const struct ent *a, const struct shard *sb,
		    const struct ent *b)
{
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	if (a->key[0] != b->key[0])
		return a->key[0] < b->key[0] ? -1 : 1;
	if (a->key[1] != b->key[1])
		return a->key[1] < b->key[1] ? -1 : 1;
	if (a->len > INLINE_BYTES) {
		int c = memcmp(sa->b + a->off, sb->b + b->off, a->len - INLINE_BYTES);
		if (c)
			return c;
	}
	if (a->neg != b->neg)
		return a->neg ? 1 : -1;
	return 0;
}

/* The revoked entries of shard s and, for a full CRL, of the ARL x
 * (NULL: none): both sorted, merged in order, a serial once, encoded
 * into u->eb. */
static int add_entries(const struct shard *s, const struct shard *x, BIGNUM *bn, struct reuse *u)
{
	size_t i = 0, m = 0, xn = x ? x->n : 0;

	u->elen = 0;
	while (i < s->n || m < xn) {
		int c = i == s->n ? 1 : m == xn ? -1 : ent_cmp2(s, &s->e[i], x, &x->e[m]);
		if (c <= 0 ? add_entry(s, &s->e[i], bn, u) : add_entry(x, &x->e[m], bn, u))
			return -1;
		i += c <= 0;
		m += c >= 0;
	}
	return 0;
}

static int write_shard_files(struct job *j, int k, const unsigned char *der, size_t len,
			     char *err, size_t errsz)
{
	struct tmpfile td, tp;
	char name[sizeof j->file], pem_name[sizeof j->file];
	int rc;

	crl_files(j, k, name, pem_name, sizeof name);
	if ((rc = tmp_open(&td, j->p->out_dir, name, err, errsz)))
		return rc;
	if (write_all(td.fd, der, len) != 0) {
		snprintf(err, errsz, "%s: %s", td.tmp, strerror(errno));
		tmp_abort(&td);
		return WR_EIO;
	}
	if ((rc = tmp_open(&tp, j->p->out_dir, pem_name, err, errsz))) {
		tmp_abort(&td);
		return rc;
	}
	/* The PEM is the DER in base64: encode the bytes we have rather than
	 * have PEM_write_bio_X509_CRL encode the CRL again. */
	BIO *b = BIO_new_fd(tp.fd, BIO_NOCLOSE), *buf = BIO_new(BIO_f_buffer());
	long pem = 0;
	int ok = b && buf && BIO_push(buf, b) &&
		 PEM_write_bio(buf, PEM_STRING_X509_CRL, "", der, (long)len) > 0 &&
		 BIO_flush(buf) == 1;
	pem = ok ? (long)lseek(tp.fd, 0, SEEK_CUR) : 0;
	BIO_free(buf);
	BIO_free(b);
	if (!ok) {
		openssl_reason(err, errsz, "writing PEM");
		tmp_abort(&td);
		tmp_abort(&tp);
		return WR_EIO;
	}
	if ((rc = tmp_commit(&td, err, errsz))) {
		tmp_abort(&tp);
		return rc;
	}
	if ((rc = tmp_commit(&tp, err, errsz)))
		return rc;
	pthread_mutex_lock(&j->mu);
	j->bytes += (int64_t)len;
	j->pem_bytes += pem;
	pthread_mutex_unlock(&j->mu);
	return 0;
}

struct worker {
	struct job *j;
	X509_NAME *issuer; /* this thread's copy */
	struct reuse reuse;
	struct scratch sc;
	pthread_t tid;
	bool own_thread;   /* started by us: free OpenSSL's per-thread state */
};

/*
 * Signs and encodes the CRL, its entries encoded already in u->eb. With
 * the entries in the X509_CRL, the template encoder measures each once
 * per enclosing level before writing it, and X509_CRL_sign followed by
 * i2d_X509_CRL encodes the whole twice. So each entry is encoded once on
 * its own (add_entry), and the CertificateList is put together around
 * them in place, from OpenSSL's encodings of its parts:
 *   - the CRL without entries, signed first, which sets both
 *     AlgorithmIdentifiers exactly as X509_CRL_sign does for this key and
 *     digest, is encoded (i2d_re_X509_CRL_tbs) and its elements walked
 *     with ASN1_get_object;
 *   - its fields up to nextUpdate go before the entries, under the
 *     revokedCertificates SEQUENCE OF header, and the [0] crlExtensions
 *     after them (RFC 5280 5.1; no entries, no list: 5.1.2.6), all under
 *     the TBSCertList's header (ASN1_put_object);
 *   - EVP_DigestSign signs those bytes, then the signatureAlgorithm
 *     (i2d_X509_ALGOR) and the signature (i2d_ASN1_BIT_STRING) follow.
 * *start and *len: the DER, inside u->eb.
 */
static int sign_encode(X509_CRL *crl, EVP_PKEY *key, struct reuse *u, unsigned char **start,
		       size_t *len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ASN1_BIT_STRING *sig = ASN1_BIT_STRING_new();
	const X509_ALGOR *alg = NULL;
	unsigned char *t0 = NULL, *s = NULL, *q, *tbs, *ents;
	const unsigned char *p, *content, *end, *ins;
	size_t siglen = 0, elen = u->elen;
	long clen, l;
	int n0, tag, xclass, r, alg_len, sig_len, ok = 0;

	if (!sig || !md || elen > (size_t)INT_MAX / 2)
		goto out;
	X509_CRL_get0_signature(crl, NULL, &alg);
	if ((n0 = i2d_re_X509_CRL_tbs(crl, &t0)) <= 0 || X509_CRL_get_REVOKED(crl))
		goto out;
	p = t0;
	r = ASN1_get_object(&p, &clen, &tag, &xclass, n0);
	if ((r & 0x80) || !(r & V_ASN1_CONSTRUCTED) || tag != V_ASN1_SEQUENCE ||
	    p + clen != t0 + n0)
		goto out;
	content = p;
	end = p + clen;
	ins = end;
	while (p < end) {
		const unsigned char *el = p;
		r = ASN1_get_object(&p, &l, &tag, &xclass, end - p);
		if ((r & 0x80) || l > end - p)
			goto out;
		if (xclass == V_ASN1_CONTEXT_SPECIFIC && tag == 0) {
			ins = el;
			break;
		}
		p += l;
	}
	long seq_hdr = elen ? ASN1_object_size(1, (long)elen, V_ASN1_SEQUENCE) - (long)elen : 0;
	long tbs_content = clen + (elen ? seq_hdr + (long)elen : 0);
	int tbs_len = ASN1_object_size(1, tbs_content, V_ASN1_SEQUENCE);
	long head = ins - content, tail = end - ins;
	if (seq_hdr < 0 || tbs_len <= 0 || (alg_len = i2d_X509_ALGOR(alg, NULL)) <= 0 ||
	    8 + (tbs_len - tbs_content) + head + seq_hdr > TBS_ROOM ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, NULL, 0) != 1 ||
	    room(u, TBS_ROOM + elen + (size_t)tail + (size_t)alg_len + siglen + 16) ||
	    !(s = OPENSSL_malloc(siglen)))
		goto out;
	/* Around the entries: the headers and fields before, the rest after. */
	ents = u->eb + TBS_ROOM;
	tbs = q = ents - seq_hdr - head - (tbs_len - tbs_content);
	ASN1_put_object(&q, 1, tbs_content, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	memcpy(q, content, (size_t)head);
	q += head;
	if (elen)
		ASN1_put_object(&q, 1, (long)elen, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	if (q != ents)
		goto out;
	memcpy(ents + elen, ins, (size_t)tail);
	if (EVP_DigestSign(md, s, &siglen, tbs, (size_t)tbs_len) != 1 ||
	    !ASN1_BIT_STRING_set(sig, s, (int)siglen))
		goto out;
	/* A signature is a whole number of bytes: no unused bits, not the
	 * trailing-zero trimming of a named bit list (as ASN1_item_sign). */
	sig->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
	sig->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	if ((sig_len = i2d_ASN1_BIT_STRING(sig, NULL)) <= 0)
		goto out;
	int cl_content = tbs_len + alg_len + sig_len;
	int total = ASN1_object_size(1, cl_content, V_ASN1_SEQUENCE);
	if (total <= 0 || total - cl_content > 8)
		goto out;
	*start = q = tbs - (total - cl_content);
	ASN1_put_object(&q, 1, cl_content, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	q += tbs_len;
	if (i2d_X509_ALGOR(alg, &q) != alg_len || i2d_ASN1_BIT_STRING(sig, &q) != sig_len)
		goto out;
	*len = (size_t)total;
	ok = 1;
out:
	OPENSSL_free(t0);
	OPENSSL_free(s);
	ASN1_BIT_STRING_free(sig);
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

static int build_shard(struct worker *w, int k, BIGNUM *bn, char *err, size_t errsz)
{
	struct job *j = w->j;
	struct shard *s = SHARD(j->l, k);
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = NULL;
	unsigned char *start = NULL; /* the DER, in w->reuse.eb */
	size_t len = 0;
	int rc;

	if (j->l->spill_dir && (rc = shard_load(j->l, k, &w->sc))) {
		snprintf(err, errsz, "reading back its entries from %s: %s", j->l->spill_dir,
			 rc == WR_EIO ? strerror(errno ? errno : EIO) : "out of memory");
		X509_CRL_free(crl);
		shard_release(s, &w->sc);
		return rc;
	}
	if (!s->sorted) {
		int64_t dropped = 0;
		shard_sort(s, &dropped);
		pthread_mutex_lock(&j->mu);
		j->dropped += dropped;
		pthread_mutex_unlock(&j->mu);
	}
	/* The shard's part of index.txt first, while its entries are at hand:
	 * the last part done can publish the file while CRLs are still
	 * being built. */
	if (j->p->shard_job && k >= 0 && k < j->l->mod &&
	    (rc = j->p->shard_job(j->p->side_ctx, k, j->l, err, errsz))) {
		X509_CRL_free(crl);
		if (j->l->spill_dir)
			shard_release(s, &w->sc);
		return rc;
	}
	int ok = crl && X509_CRL_set_version(crl, X509_CRL_VERSION_2) &&
		 X509_CRL_set_issuer_name(crl, w->issuer) &&
		 (t = ASN1_TIME_set(NULL, (time_t)j->p->this_update)) &&
		 X509_CRL_set1_lastUpdate(crl, t) &&
		 ASN1_TIME_set(t, (time_t)j->p->next_update) && X509_CRL_set1_nextUpdate(crl, t) &&
		 add_crl_exts(j, crl, k) == 0;
	ASN1_TIME_free(t);
	/* Signed while empty: that sets the AlgorithmIdentifiers sign_encode
	 * keeps. */
	if (ok && X509_CRL_sign(crl, j->p->key, EVP_sha256()) <= 0) {
		openssl_reason(err, errsz, "signing the CRL");
		X509_CRL_free(crl);
		return WR_ERROR;
	}
	/* Entries go in X509_CRL_sort's order already (shard_sort). The ARL
	 * was sorted before any thread started: a full CRL reads it too. */
	ok = ok && add_entries(s, j->full && k == 0 ? SHARD(j->l, WR_CRL_ARL) : NULL, bn,
			       &w->reuse) == 0 &&
	     sign_encode(crl, j->p->key, &w->reuse, &start, &len) == 0;
	X509_CRL_free(crl);
	if (!ok) {
		openssl_reason(err, errsz, "building the CRL");
		return WR_ERROR;
	}
	if (j->p->sizes) {
		/* A dry run: the size, nothing written. */
		struct wr_crl_size *z = &j->p->sizes[k == WR_CRL_ARL ? j->l->nshards : k];
		char pem[sizeof z->file];
		const struct shard *x = j->full && k == 0 ? SHARD(j->l, WR_CRL_ARL) : NULL;
		crl_files(j, k, z->file, pem, sizeof z->file);
		z->entries = (int64_t)s->n + (x ? (int64_t)x->n : 0);
		z->bytes = (int64_t)len;
		pthread_mutex_lock(&j->mu);
		j->bytes += (int64_t)len;
		pthread_mutex_unlock(&j->mu);
		rc = 0;
	} else {
		rc = write_shard_files(j, k, start, len, err, errsz);
	}
	if (j->l->spill_dir)
		shard_release(s, &w->sc);
	return rc;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct job *j = w->j;
	BIGNUM *bn = BN_new();
	char err[2 * PATH_MAX];
	bool ready = bn && reuse_init(&w->reuse) == 0;

	for (;;) {
		int k, rc;
		pthread_mutex_lock(&j->mu);
		k = j->rc ? INT_MAX : j->next < j->l->nshards ? j->next++ : INT_MAX;
		pthread_mutex_unlock(&j->mu);
		if (k == INT_MAX)
			break;
		err[0] = '\0';
		if (k < WR_CRL_ARL)
			rc = j->p->side_job(j->p->side_ctx, err, sizeof err);
		else
			rc = ready ? build_shard(w, k, bn, err, sizeof err) : WR_ENOMEM;
		if (rc) {
			pthread_mutex_lock(&j->mu);
			if (!j->rc) {
				j->rc = rc;
				if (k < WR_CRL_ARL)
					snprintf(j->err, sizeof j->err, "%s",
						 err[0] ? err : wr_strerror(rc));
				else if (k == WR_CRL_ARL)
					snprintf(j->err, sizeof j->err, "ARL: %s",
						 err[0] ? err : wr_strerror(rc));
				else
					snprintf(j->err, sizeof j->err, "shard %d: %s", k,
						 err[0] ? err : wr_strerror(rc));
			}
			pthread_mutex_unlock(&j->mu);
			break;
		}
	}
	BN_free(bn);
	reuse_free(&w->reuse);
	scratch_free(&w->sc);
	/* OpenSSL keeps an error queue per thread: free this one's. */
	if (w->own_thread)
		OPENSSL_thread_stop();
	return NULL;
}

/* ---- the whole set ---------------------------------------------------------- */

/* The CA's key identifier for the AKI: its subjectKeyIdentifier, else the
 * SHA-1 of its public key (RFC 5280 4.2.1.2, method 1). */
static void ca_keyid(X509 *ca, struct job *j)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca);
	unsigned int n = 0;

	j->akid_len = 0;
	if (ski && ASN1_STRING_length(ski) > 0 &&
	    ASN1_STRING_length(ski) <= (int)sizeof j->akid) {
		j->akid_len = ASN1_STRING_length(ski);
		memcpy(j->akid, ASN1_STRING_get0_data(ski), (size_t)j->akid_len);
	} else if (X509_pubkey_digest(ca, EVP_sha1(), j->akid, &n)) {
		j->akid_len = (int)n;
	}
	ERR_clear_error();
}

/* What the IDPs name, from p->crl_url (see struct job). */
static int url_parts(struct job *j, char *err, size_t errsz)
{
	const char *u = j->p->crl_url;
	int named;

	j->base[0] = j->file[0] = '\0';
	j->full = j->l->nshards == 1;
	if (!u)
		return 0;
	if ((named = wr_crl_url_file(u, j->file, sizeof j->file)) < 0 ||
	    (named && strcmp(j->file, WR_CRL_ARL_FILE) == 0)) {
		snprintf(err, errsz, "CRL URL %.200s: no file of its name can be published here", u);
		return WR_EINVAL;
	}
	if (named && !j->full) {
		snprintf(err, errsz, "CRL URL %.200s names one CRL, but there are %d shards", u,
			 j->l->nshards);
		return WR_EINVAL;
	}
	/* The directory: the URL itself, or the one CRL's (a query dropped). */
	size_t n = named ? strcspn(u, "?#") : strlen(u);
	while (named && n > 0 && u[n - 1] != '/')
		n--;
	if ((size_t)snprintf(j->base, sizeof j->base, "%.*s%s", (int)n, u,
			     n && u[n - 1] == '/' ? "" : "/") >= sizeof j->base) {
		snprintf(err, errsz, "CRL URL too long");
		return WR_EINVAL;
	}
	return 0;
}

int wr_crl_url_file(const char *url, char *name, size_t namesz)
{
	size_t n = strcspn(url, "?#"), b = n;

	if (namesz)
		name[0] = '\0';
	if (n < 4 || strncasecmp(url + n - 4, ".crl", 4) != 0)
		return 0;
	while (b > 0 && url[b - 1] != '/')
		b--;
	/* A plain name: no dot first, nothing a shell or a path would read. */
	if (n - b < 5 || n - b >= namesz || url[b] == '.')
		return -1;
	for (size_t i = b; i < n; i++)
		if (!((url[i] >= 'a' && url[i] <= 'z') || (url[i] >= 'A' && url[i] <= 'Z') ||
		      (url[i] >= '0' && url[i] <= '9') || url[i] == '.' || url[i] == '_' ||
		      url[i] == '-'))
			return -1;
	memcpy(name, url + b, n - b);
	name[n - b] = '\0';
	return 1;
}

static int write_index_list(const struct job *j, char *err, size_t errsz)
{
	const struct wr_crl_params *p = j->p;
	char der[sizeof j->file], pem[sizeof j->file];
	struct tmpfile t;
	int rc;

	if ((rc = tmp_open(&t, p->out_dir, "crls.txt", err, errsz)))
		return rc;
	FILE *f = fdopen(t.fd, "w");
	if (!f) {
		snprintf(err, errsz, "%s: %s", t.tmp, strerror(errno));
		tmp_abort(&t);
		return WR_EIO;
	}
	for (int k = 0; k < j->l->nshards; k++) {
		crl_files(j, k, der, pem, sizeof der);
		fprintf(f, "%s\n", der);
	}
	fprintf(f, "%s\n", WR_CRL_ARL_FILE);
	if (fflush(f) != 0 || ferror(f)) {
		snprintf(err, errsz, "%s: %s", t.tmp, strerror(errno));
		fclose(f);
		unlink(t.tmp);
		return WR_EIO;
	}
	/* tmp_commit closes the descriptor; the FILE's buffer is empty. */
	t.fd = dup(fileno(f));
	fclose(f);
	if (t.fd < 0) {
		snprintf(err, errsz, "%s: %s", t.tmp, strerror(errno));
		unlink(t.tmp);
		return WR_EIO;
	}
	return tmp_commit(&t, err, errsz);
}

/* Shard files from an earlier, larger shard count would only mislead. */
static void remove_stale(const char *dir, int from)
{
	char path[PATH_MAX];

	for (int k = from;; k++) {
		int gone = 0;
		snprintf(path, sizeof path, "%s/shard-%d.crl", dir, k);
		gone += unlink(path) == 0;
		snprintf(path, sizeof path, "%s/shard-%d.pem", dir, k);
		gone += unlink(path) == 0;
		if (!gone)
			break;
	}
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int wr_crl_write(const struct wr_crl_params *p, struct wr_crl_list *l, struct wr_crl_stats *st,
		 char *err, size_t errsz)
{
	struct job j = {.p = p, .l = l};
	struct worker w[64];
	int nt = p->nthreads, started = 0, rc = 0;
	double t0 = mono();

	if (!p->ca || !p->key || !p->out_dir || !l) {
		snprintf(err, errsz, "no CA, key, directory or list");
		return WR_EINVAL;
	}
	if (p->next_update <= p->this_update) {
		snprintf(err, errsz, "nextUpdate must come after thisUpdate");
		return WR_EINVAL;
	}
	if (nt <= 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		nt = c > 0 ? (int)c : 1;
	}
	if ((rc = url_parts(&j, err, errsz)))
		return rc;
	if (l->spill_dir) {
		/* The side job would search shards not read back yet. */
		if (p->side_job) {
			snprintf(err, errsz, "a side job needs the list in memory");
			return WR_EINVAL;
		}
		for (int k = 0; k < NALL(l); k++)
			if ((rc = spill_flush(l, &l->all[k]))) {
				snprintf(err, errsz, "%s: %s", l->spill_dir, strerror(errno));
				return rc;
			}
		/* What stays in memory is searched by the shard jobs (and
		 * copied into its CRL's entries): sorted and indexed first. */
		int64_t before = l->exc->count;
		wr_crl_list_sort(l->exc);
		l->count -= before - l->exc->count;
		if (p->shard_job && wr_crl_list_index(l->exc)) {
			snprintf(err, errsz, "out of memory");
			return WR_ENOMEM;
		}
	}
	/* With a side job, sorted before any thread starts: it searches every
	 * shard while the workers read theirs. Without, each worker sorts the
	 * shard it takes. */
	for (int k = 0; p->side_job && k < l->nshards; k++)
		shard_sort(SHARD(l, k), &j.dropped);
	shard_sort(SHARD(l, WR_CRL_ARL), &j.dropped);
	j.next = p->side_job ? WR_CRL_ARL - 1 : WR_CRL_ARL;
	/* The shards, the ARL and the side job. */
	if (nt > l->nshards + 1 + (p->side_job != NULL))
		nt = l->nshards + 1 + (p->side_job != NULL);
	if (nt > (int)(sizeof w / sizeof w[0]))
		nt = (int)(sizeof w / sizeof w[0]);
	ca_keyid(p->ca, &j);
	pthread_mutex_init(&j.mu, NULL);
	/* Each worker gets its own issuer name: X509_CRL_set_issuer_name
	 * encodes the name it is given, which is not safe to share. */
	for (int i = 0; i < nt; i++) {
		w[i].j = &j;
		memset(&w[i].sc, 0, sizeof w[i].sc);
		w[i].own_thread = i > 0;
		w[i].issuer = X509_NAME_dup(X509_get_subject_name(p->ca));
		if (!w[i].issuer) {
			rc = WR_ENOMEM;
			snprintf(err, errsz, "out of memory");
			nt = i;
			break;
		}
	}
	if (rc == 0) {
		for (int i = 1; i < nt; i++) {
			if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0)
				break;
			started = i;
		}
		/* This thread works too (also when threads could not start). */
		worker_main(&w[0]);
		for (int i = 1; i <= started; i++)
			pthread_join(w[i].tid, NULL);
		if (j.rc) {
			rc = j.rc;
			snprintf(err, errsz, "%s", j.err);
		}
	}
	for (int i = 0; i < nt; i++)
		X509_NAME_free(w[i].issuer);
	pthread_mutex_destroy(&j.mu);
	l->count -= j.dropped;
	if (rc == 0 && !p->sizes && (rc = write_index_list(&j, err, errsz)) == 0)
		remove_stale(p->out_dir, l->nshards);
	if (st) {
		st->shards = l->nshards;
		st->entries = l->count;
		st->ca_entries = (int64_t)SHARD(l, WR_CRL_ARL)->n;
		char pem[sizeof j.file];
		st->full_file[0] = '\0';
		if (j.full)
			crl_files(&j, 0, st->full_file, pem, sizeof st->full_file);
		st->largest = 0;
		for (int k = 0; k < l->nshards; k++)
			if ((int64_t)SHARD(l, k)->n > st->largest)
				st->largest = (int64_t)SHARD(l, k)->n;
		st->bytes = j.bytes;
		st->pem_bytes = j.pem_bytes;
		st->crl_number = p->crl_number;
		st->this_update = p->this_update;
		st->next_update = p->next_update;
		st->crl_seconds = mono() - t0;
	}
	return rc;
}
