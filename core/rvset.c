/*
 * rvset.c: the local CA's revocations by serial, in memory (core-internal,
 * declared in crl.h).
 *
 * The CA's record keeps its revocations in order of arrival (a rowid
 * table, version 3 of localca.db): serials are random, and a B-tree keyed
 * by them takes each batch's inserts all over a file larger than the page
 * cache, rewriting most of its leaves at every commit (a million
 * revocations took 36 s, growing with the square of the count). Appending
 * costs a page per hundred entries. What the B-tree gave, "is this serial
 * revoked already?", this set answers: open addressing over 8-byte slots,
 * each the upper half of the serial's hash and the row's id, so a lookup
 * touches one or two cache lines and the record is read only to confirm a
 * match (a false one is one in four billion). 8 to 11 bytes a revocation:
 * the CRLs of the same revocations take 32 in memory at publication.
 *
 * Not cryptographic: the serials come from the CA's own record and the
 * incident's certificates, and a collision costs only a row read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crl.h"

struct wr_rvset {
	uint64_t *slot; /* 0: empty; else hash >> 32 << 32 | id */
	size_t mask, n;
};

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Of the normalised serial (upper-case hex, as the record keeps it). */
static uint32_t hash_hi(const char *serial)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then mixed */

	for (const unsigned char *p = (const unsigned char *)serial; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return (uint32_t)(mix64(h) >> 32);
}

struct wr_rvset *wr_rvset_new(void)
{
	struct wr_rvset *s = calloc(1, sizeof *s);

	if (s && !(s->slot = calloc(1024, sizeof *s->slot))) {
		free(s);
		return NULL;
	}
	if (s)
		s->mask = 1023;
	return s;
}

void wr_rvset_free(struct wr_rvset *s)
{
	if (s)
		free(s->slot);
	free(s);
}

size_t wr_rvset_count(const struct wr_rvset *s) { return s ? s->n : 0; }

static void put(uint64_t *slot, size_t mask, uint64_t v)
{
	size_t i = (size_t)(v >> 32) & mask;

	while (slot[i])
		i = (i + 1) & mask;
	slot[i] = v;
}

/* At most three quarters full: a miss probes about seven slots. */
static int resize(struct wr_rvset *s, size_t cap)
{
	uint64_t *ns;

	if (cap > ((size_t)1 << 32) || !(ns = calloc(cap, sizeof *ns)))
		return WR_ENOMEM;
	for (size_t i = 0; i <= s->mask; i++)
		if (s->slot[i])
			put(ns, cap - 1, s->slot[i]);
	free(s->slot);
	s->slot = ns;
	s->mask = cap - 1;
	return 0;
}

static size_t cap_for(size_t n)
{
	size_t cap = 1024;

	while (n * 4 > cap * 3)
		cap *= 2;
	return cap;
}

int wr_rvset_reserve(struct wr_rvset *s, size_t n)
{
	size_t cap = cap_for(n);

	return cap > s->mask + 1 ? resize(s, cap) : 0;
}

int wr_rvset_add(struct wr_rvset *s, const char *serial, int64_t id)
{
	int rc;

	if (id < 1 || id > (int64_t)UINT32_MAX)
		return WR_EINVAL;
	if ((s->n + 1) * 4 > (s->mask + 1) * 3 && (rc = resize(s, (s->mask + 1) * 2)))
		return rc;
	put(s->slot, s->mask, (uint64_t)hash_hi(serial) << 32 | (uint64_t)id);
	s->n++;
	return 0;
}

size_t wr_rvset_find(const struct wr_rvset *s, const char *serial, int64_t *ids, size_t max)
{
	uint32_t h = hash_hi(serial);
	size_t i = (size_t)h & s->mask, n = 0;

	for (; s->slot[i]; i = (i + 1) & s->mask)
		if ((uint32_t)(s->slot[i] >> 32) == h && n < max)
			ids[n++] = (int64_t)(s->slot[i] & UINT32_MAX);
	return n;
}
