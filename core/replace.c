/*
 * replace.c: the replacements the CA issued (`import --replacements`),
 * each linked to the affected certificate it replaces (data/migrate-007.sql).
 *
 * A certificate read replaces an affected one when it
 *   - comes from the same issuer family: the affected one's issuer name,
 *     or, when both issuers are known ([ca] issuers, [local] ca_cert,
 *     --issuers), any of them, as a CA that moved to a new intermediate;
 *     when its issuer is known its signature has been checked by the
 *     import's reading (import.c), and one that does not verify is refused;
 *   - covers every DNS and IP name of the affected one (wr_name_covers);
 *   - is newer: its notBefore is later than the affected one's;
 *   - is on another key when the incident's reason is about the key;
 *   - has not expired, and is not itself an affected certificate.
 * A replacement file says nothing of customers: the certificate "of the
 * same customer" is the one that covers the names. When it covers the
 * names of several customers' certificates, each is linked and the
 * ambiguity reported. An affected certificate links to the newest
 * certificate that replaces it; a later import with a newer one relinks.
 *
 * The work is one pass over the affected certificates, whatever their
 * number: the certificates read (a few, or one per affected certificate)
 * are indexed by name in memory, and each affected name is looked up as
 * itself and as the wildcard that would cover it. Nothing here prints;
 * the links are written in transactions of WR_REPLACE_COMMIT rows, so
 * that others' writes wait milliseconds, and a crash loses only what a
 * second run links again. Issued is not deployed: cert.replaced_at is
 * probing's, never set here.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define COMMIT_ROWS 5000

/* ---- names ------------------------------------------------------------------------ */

static int ascii_lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static bool same_ci(const char *a, const char *b)
{
	while (*a && ascii_lower((unsigned char)*a) == ascii_lower((unsigned char)*b))
		a++, b++;
	return *a == '\0' && *b == '\0';
}

/* Labels separated by dots, none empty, none with a "*": how many, or 0. */
static int plain_labels(const char *s)
{
	int n = 1;
	size_t len = 0;

	for (; *s; s++) {
		if (*s == '*')
			return 0;
		if (*s == '.') {
			if (!len)
				return 0;
			n++;
			len = 0;
		} else {
			len++;
		}
	}
	return len ? n : 0;
}

/* An IP address as the SAN list holds it: an IPv6 one has colons, an
 * IPv4 one ends in a number, which no top-level domain is. */
static bool looks_ip(const char *s)
{
	const char *last = strrchr(s, '.');

	if (strchr(s, ':'))
		return true;
	last = last ? last + 1 : s;
	if (!*last)
		return false;
	for (; *last; last++)
		if (*last < '0' || *last > '9')
			return false;
	return true;
}

bool wr_name_covers(const char *pattern, const char *name)
{
	const char *dot;

	if (!pattern || !name || !*pattern || !*name)
		return false;
	if (same_ci(pattern, name))
		return true;
	/* "*" alone as the leftmost label, over two labels at least: a CA
	 * issues no "*.com", and "f*o.example.com" is no wildcard it issues. */
	if (pattern[0] != '*' || pattern[1] != '.' || plain_labels(pattern + 2) < 2)
		return false;
	if (looks_ip(name) || !(dot = strchr(name, '.')) || dot == name ||
	    memchr(name, '*', (size_t)(dot - name)))
		return false;
	return plain_labels(name) > 0 && same_ci(dot + 1, pattern + 2);
}

/*
 * Splits a SAN list as the sans column holds it (cert.c: comma-joined, a
 * comma inside a name written "\,", a backslash "\\") into lower-case
 * names, in place in buf (a copy of the list). The escapes stay as they
 * are: a name with one is no DNS name, and equal lists stay equal.
 * Returns the count, at most max; names[] points into buf.
 */
static size_t names_split(char *buf, char **names, size_t max)
{
	size_t n = 0;
	char *p = buf, *start = buf;

	if (!*buf)
		return 0;
	for (;; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p != ',' && *p != '\0') {
			*p = (char)ascii_lower((unsigned char)*p);
			continue;
		}
		bool end = *p == '\0';
		*p = '\0';
		if (*start && n < max)
			names[n++] = start;
		if (end)
			break;
		start = p + 1;
	}
	return n;
}

/* ---- the certificates read ----------------------------------------------------------- */

/* Near misses, from the least to the most telling: a certificate that
 * replaces nothing is reported with its most telling one. */
enum miss { MISS_NONE, MISS_NAMES, MISS_FAMILY, MISS_OLDER, MISS_KEY, MISS_SUPERSEDED };

struct cand {
	struct wr_cert_info ci;
	bool checked;
	bool dup; /* the same certificate read before */
	char *where;
	char *sans; /* ci.sans split by names_split */
	char **names;
	size_t nnames;
	/* The pass over the affected certificates. */
	uint64_t cert_gen, name_gen; /* the certificate and the name last counted */
	size_t cover;		     /* names of that certificate it covers */
	uint64_t ok_gen;	     /* the last certificate it could replace */
	int64_t links;		     /* affected ones it replaces, linked or already */
	char *customer, *other_customer; /* the first two customers it replaces for */
	enum miss miss;
	char why[640];
};

/* Name -> certificate read, open addressing; one entry per name of each. */
struct slot {
	const char *name; /* NULL: empty */
	size_t cand;
};

/* An affected certificate and the certificate read that replaces it. */
struct link {
	int64_t cert_id;
	size_t cand;
};

struct replace {
	struct wr_db *db;
	const struct wr_issuers *issuers;
	struct wr_replace_stats *st;
	wr_reject_cb reject, note;
	void *ctx;
	int64_t now;
	bool key_must_change; /* the incident's reason condemns the key */
	char reason[48];
	sqlite3_stmt *is_affected;
	struct cand *c;
	size_t n, cap;
	struct slot *tab;
	size_t tabsz; /* a power of two */
	/* The pass. */
	uint64_t cert_gen, name_gen;
	size_t *touched;
	size_t ntouched;
	struct link *links;
	size_t nlinks, caplinks;
	int err;
};

static void cand_free(struct cand *c)
{
	wr_cert_info_clear(&c->ci);
	free(c->where);
	free(c->sans);
	free(c->names);
	free(c->customer);
	free(c->other_customer);
}

static void say(struct replace *r, wr_reject_cb cb, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void say(struct replace *r, wr_reject_cb cb, const char *where, const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	if (!cb)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	cb(where, why, r->ctx);
}

static bool same32(const unsigned char a[32], const unsigned char b[32])
{
	return memcmp(a, b, 32) == 0;
}

/* The incident holds this very certificate: its hash, or its issuer and
 * serial (the import's identity: a re-encoding is the same certificate). */
static const char affected_sql[] =
	"SELECT 1 FROM cert WHERE sha256 = ?1 UNION ALL SELECT 1 FROM cert INDEXED BY cert_serial"
	" WHERE serial = ?2 AND issuer = ?3 LIMIT 1";

/* 1 when the incident holds this very certificate, 0 when not, negative
 * on a database error. */
static int is_affected(struct replace *r, const struct wr_cert_info *ci)
{
	sqlite3_stmt *st = r->is_affected;
	int rc;

	sqlite3_bind_blob(st, 1, ci->sha256, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ci->serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ci->issuer, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return wr_err_sq(r->db, "looking for a replacement among the affected certificates");
}

/* import.c's reading hands each certificate here, in the files' order. */
static int on_cert(const struct wr_import_cert *ic, void *arg)
{
	struct replace *r = arg;
	char t[WR_TIME_BUFSZ];
	struct cand *c;
	int rc;

	if ((rc = is_affected(r, ic->ci)) < 0)
		return rc;
	if (rc) {
		r->st->affected++;
		say(r, r->reject, ic->where,
		    "certificate %s is an affected certificate, not a replacement", ic->ci->serial);
		return 0;
	}
	if (ic->ci->not_after < r->now) {
		r->st->unmatched++;
		say(r, r->reject, ic->where, "certificate %s expired at %s: it replaces nothing",
		    ic->ci->serial, wr_time_format(ic->ci->not_after, t));
		return 0;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct cand *v = realloc(r->c, cap * sizeof *v);
		if (!v)
			return wr_err(r->db, WR_ENOMEM, "out of memory");
		r->c = v;
		r->cap = cap;
	}
	c = &r->c[r->n];
	memset(c, 0, sizeof *c);
	/* The fields are the reading's until the call returns: take them. */
	c->ci = *ic->ci;
	c->ci.issuer = strdup(ic->ci->issuer);
	c->ci.subject = strdup(ic->ci->subject);
	c->ci.sans = strdup(ic->ci->sans);
	c->where = strdup(ic->where);
	c->sans = strdup(ic->ci->sans);
	c->names = calloc(strlen(ic->ci->sans) / 2 + 1, sizeof *c->names);
	c->checked = ic->checked;
	if (!c->ci.issuer || !c->ci.subject || !c->ci.sans || !c->where || !c->sans || !c->names) {
		cand_free(c);
		return wr_err(r->db, WR_ENOMEM, "out of memory");
	}
	c->nnames = names_split(c->sans, c->names, strlen(ic->ci->sans) / 2 + 1);
	r->n++;
	return 0;
}

static uint64_t hash_name(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

static int cmp_sha(const void *a, const void *b, void *arg)
{
	const struct cand *c = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int d = memcmp(c[i].ci.sha256, c[j].ci.sha256, 32);

	return d ? d : (i > j) - (i < j);
}

/* Marks the certificates read twice (a file named twice, a bundle and
 * its directory) and indexes the others by name. */
static int index_names(struct replace *r)
{
	size_t *order = malloc((r->n ? r->n : 1) * sizeof *order), entries = 0;

	if (!order)
		return wr_err(r->db, WR_ENOMEM, "out of memory");
	for (size_t i = 0; i < r->n; i++)
		order[i] = i;
	qsort_r(order, r->n, sizeof *order, cmp_sha, r->c);
	for (size_t k = 1; k < r->n; k++)
		if (same32(r->c[order[k]].ci.sha256, r->c[order[k - 1]].ci.sha256))
			r->c[order[k]].dup = true;
	free(order);
	for (size_t i = 0; i < r->n; i++)
		if (!r->c[i].dup)
			entries += r->c[i].nnames;
	r->tabsz = 16;
	while (r->tabsz < 2 * entries)
		r->tabsz *= 2;
	if (!(r->tab = calloc(r->tabsz, sizeof *r->tab)) ||
	    !(r->touched = malloc((r->n ? r->n : 1) * sizeof *r->touched)))
		return wr_err(r->db, WR_ENOMEM, "out of memory");
	for (size_t i = 0; i < r->n; i++) {
		if (r->c[i].dup)
			continue;
		for (size_t k = 0; k < r->c[i].nnames; k++) {
			size_t h = (size_t)hash_name(r->c[i].names[k]) & (r->tabsz - 1);
			while (r->tab[h].name)
				h = (h + 1) & (r->tabsz - 1);
			r->tab[h].name = r->c[i].names[k];
			r->tab[h].cand = i;
		}
	}
	return 0;
}

/* Counts, for the affected name being looked at, each certificate read
 * whose name key covers it. */
static void cover(struct replace *r, const char *key, const char *name)
{
	size_t h = (size_t)hash_name(key) & (r->tabsz - 1);

	for (; r->tab[h].name; h = (h + 1) & (r->tabsz - 1)) {
		struct cand *c = &r->c[r->tab[h].cand];
		if (strcmp(r->tab[h].name, key) != 0 || !wr_name_covers(r->tab[h].name, name))
			continue;
		if (c->cert_gen != r->cert_gen) {
			c->cert_gen = r->cert_gen;
			c->name_gen = 0;
			c->cover = 0;
			r->touched[r->ntouched++] = r->tab[h].cand;
		}
		if (c->name_gen != r->name_gen) {
			c->name_gen = r->name_gen;
			c->cover++;
		}
	}
}

/* Keeps the most telling near miss of a certificate read. */
static void miss(struct cand *c, enum miss m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void miss(struct cand *c, enum miss m, const char *fmt, ...)
{
	va_list ap;

	if (m <= c->miss)
		return;
	c->miss = m;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
}

static bool same_family(struct replace *r, const char *a, const char *b)
{
	return strcmp(a, b) == 0 ||
	       (wr_issuers_knows(r->issuers, a) && wr_issuers_knows(r->issuers, b));
}

/* The first name of the affected certificate that c does not cover. */
static const char *uncovered(const struct cand *c, char **names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < c->nnames && !wr_name_covers(c->names[k], names[i]))
			k++;
		if (k == c->nnames)
			return names[i];
	}
	return "?";
}

/* The first two customers c replaces certificates for: a second is an
 * ambiguity to report. */
static int remember_customer(struct replace *r, struct cand *c, const char *customer)
{
	char **slot = NULL;

	if (!customer || !*customer)
		return 0;
	if (!c->customer)
		slot = &c->customer;
	else if (!c->other_customer && strcmp(c->customer, customer) != 0)
		slot = &c->other_customer;
	if (slot && !(*slot = strdup(customer)))
		return wr_err(r->db, WR_ENOMEM, "out of memory");
	return 0;
}

struct pass {
	struct replace *r;
	char *buf;
	size_t bufsz;
	char **names;
	size_t namecap;
};

/* One affected certificate: which certificate read replaces it. */
static int on_affected(const struct wr_cert *a, void *arg)
{
	struct pass *p = arg;
	struct replace *r = p->r;
	char t1[WR_TIME_BUFSZ], t2[WR_TIME_BUFSZ];
	size_t len = strlen(a->sans ? a->sans : ""), n;
	size_t best = SIZE_MAX;

	/* The names, then room for the wildcard of one of them. */
	if (2 * len + 64 > p->bufsz) {
		free(p->buf);
		free(p->names);
		p->bufsz = 2 * len + 64;
		p->namecap = p->bufsz / 2 + 1;
		p->buf = malloc(p->bufsz);
		p->names = malloc(p->namecap * sizeof *p->names);
		if (!p->buf || !p->names)
			return r->err = wr_err(r->db, WR_ENOMEM, "out of memory");
	}
	memcpy(p->buf, a->sans ? a->sans : "", len + 1);
	if (!(n = names_split(p->buf, p->names, p->namecap)))
		return 0; /* no name: nothing can be said to cover it */
	r->cert_gen++;
	r->ntouched = 0;
	for (size_t i = 0; i < n; i++) {
		const char *dot = strchr(p->names[i], '.');
		r->name_gen++;
		cover(r, p->names[i], p->names[i]);
		/* The wildcard that would cover it: "*." and the rest. */
		if (dot && p->names[i][0] != '*' && dot[1]) {
			size_t wl = strlen(dot) + 2;
			char *w = p->buf + len + 1;
			if (len + 1 + wl <= p->bufsz) {
				snprintf(w, wl, "*%s", dot);
				cover(r, w, p->names[i]);
			}
		}
	}
	for (size_t k = 0; k < r->ntouched; k++) {
		size_t i = r->touched[k];
		struct cand *c = &r->c[i];
		if (c->cover < n) {
			miss(c, MISS_NAMES,
			     "it does not cover %s, a name of affected certificate %s",
			     uncovered(c, p->names, n), a->serial);
			continue;
		}
		if (!same_family(r, c->ci.issuer, a->issuer)) {
			miss(c, MISS_FAMILY,
			     "its issuer (%s) is not of the family of affected certificate %s's"
			     " (%s); when the CA issues from both, list both in [ca] issuers or"
			     " --issuers",
			     c->ci.issuer, a->serial, a->issuer);
			continue;
		}
		if (c->ci.not_before <= a->not_before) {
			miss(c, MISS_OLDER,
			     "it is not newer than affected certificate %s (notBefore %s, its"
			     " own %s)",
			     a->serial, wr_time_format(a->not_before, t1),
			     wr_time_format(c->ci.not_before, t2));
			continue;
		}
		if (r->key_must_change && same32(c->ci.spki_sha256, a->spki_sha256)) {
			miss(c, MISS_KEY,
			     "it has the key of affected certificate %s, which the incident's"
			     " reason (%s) condemns",
			     a->serial, r->reason);
			continue;
		}
		c->ok_gen = r->cert_gen;
		/* The newest; of equals, the first read. */
		if (best == SIZE_MAX || c->ci.not_before > r->c[best].ci.not_before ||
		    (c->ci.not_before == r->c[best].ci.not_before && i < best))
			best = i;
	}
	if (best == SIZE_MAX)
		return 0;
	for (size_t k = 0; k < r->ntouched; k++) {
		struct cand *c = &r->c[r->touched[k]];
		if (r->touched[k] != best && c->ok_gen == r->cert_gen)
			miss(c, MISS_SUPERSEDED,
			     "a newer certificate read (%s) replaces affected certificate %s",
			     r->c[best].where, a->serial);
	}
	struct cand *b = &r->c[best];
	int rc = remember_customer(r, b, a->customer);
	if (rc)
		return r->err = rc;
	b->links++;
	if (a->repl_serial &&
	    (same32(a->repl_sha256, b->ci.sha256) || a->repl_not_before >= b->ci.not_before)) {
		/* Linked already, to this one or to one as new. */
		r->st->already++;
		return 0;
	}
	if (r->nlinks == r->caplinks) {
		size_t cap = r->caplinks ? 2 * r->caplinks : 256;
		struct link *v = realloc(r->links, cap * sizeof *v);
		if (!v)
			return r->err = wr_err(r->db, WR_ENOMEM, "out of memory");
		r->links = v;
		r->caplinks = cap;
	}
	r->links[r->nlinks++] = (struct link){a->id, best};
	r->st->linked++;
	if (a->repl_serial)
		r->st->relinked++;
	return 0;
}

/* An upsert: relinking updates the row, and the count stays. */
static const char upsert_sql[] =
	"INSERT INTO replacement(cert_id, sha256, spki_sha256, serial, issuer, subject, sans,"
	" not_before, not_after, checked, source, linked_at, linked_by)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
	" ON CONFLICT(cert_id) DO UPDATE SET sha256 = ?2, spki_sha256 = ?3, serial = ?4,"
	" issuer = ?5, subject = ?6, sans = ?7, not_before = ?8, not_after = ?9, checked = ?10,"
	" source = ?11, linked_at = ?12, linked_by = ?13";

/* The customers' figures (tally.c) of the certificates of links [lo, hi):
 * taken out (sign -1) before they are linked, put back (1) after. */
static int links_tally(struct replace *r, size_t lo, size_t hi, int sign)
{
	json_t *v = json_array();
	char *ids;
	int rc;

	if (sign < 0 && (rc = wr_tally_begin(r->db))) {
		json_decref(v);
		return rc;
	}
	for (size_t k = lo; v && k < hi && k < r->nlinks; k++)
		json_array_append_new(v, json_integer(r->links[k].cert_id));
	ids = v ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	if (!ids)
		return wr_err(r->db, WR_ENOMEM, "out of memory");
	rc = wr_tally_rows(r->db, WR_TALLY_IDS, ids, 0, sign);
	free(ids);
	return rc;
}

static int write_links(struct replace *r)
{
	sqlite3_stmt *st = NULL;
	const char *actor = wr_db_actor(r->db);
	int64_t rows = 0;
	size_t lo = 0; /* the first link of this transaction */
	int rc;

	if ((rc = wr_tx_begin(r->db)))
		return rc;
	if ((rc = wr_prepare(r->db, upsert_sql, &st)) ||
	    (rc = links_tally(r, 0, COMMIT_ROWS, -1)))
		goto fail;
	for (size_t k = 0; k < r->nlinks; k++) {
		const struct cand *c = &r->c[r->links[k].cand];
		sqlite3_bind_int64(st, 1, r->links[k].cert_id);
		sqlite3_bind_blob(st, 2, c->ci.sha256, 32, SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, c->ci.spki_sha256, 32, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, c->ci.serial, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, c->ci.issuer, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, c->ci.subject, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, c->ci.sans, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 8, c->ci.not_before);
		sqlite3_bind_int64(st, 9, c->ci.not_after);
		if (c->checked)
			sqlite3_bind_int(st, 10, 1);
		else
			sqlite3_bind_null(st, 10);
		sqlite3_bind_text(st, 11, c->where, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 12, r->now);
		sqlite3_bind_text(st, 13, actor, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			rc = wr_err_sq(r->db, "linking a replacement");
			goto fail;
		}
		if (++rows == COMMIT_ROWS) {
			rows = 0;
			if ((rc = links_tally(r, lo, k + 1, 1)) || (rc = wr_tx_commit(r->db)) ||
			    (rc = wr_tx_begin(r->db)) ||
			    (rc = links_tally(r, k + 1, k + 1 + COMMIT_ROWS, -1)))
				goto fail;
			lo = k + 1;
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = links_tally(r, lo, r->nlinks, 1)))
		goto fail;
	json_t *d = json_pack(
	    "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "certs", (json_int_t)r->st->certs, "linked",
	    (json_int_t)r->st->linked, "relinked", (json_int_t)r->st->relinked, "already",
	    (json_int_t)r->st->already, "unmatched", (json_int_t)r->st->unmatched, "affected",
	    (json_int_t)r->st->affected, "ambiguous", (json_int_t)r->st->ambiguous, "rejected",
	    (json_int_t)r->st->rejected);
	if ((rc = wr_event_add_json(r->db, "replacements", d)))
		goto fail;
	return wr_tx_commit(r->db);
fail:
	sqlite3_finalize(st);
	wr_tx_rollback(r->db);
	return rc;
}

/* The reports on the certificates read, in the files' order. */
static void report(struct replace *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct cand *c = &r->c[i];
		if (c->dup)
			continue;
		if (!c->nnames) {
			r->st->nameless++;
			say(r, r->note, c->where,
			    "certificate %s has no DNS or IP name (a CA certificate of a chain?):"
			    " skipped", c->ci.serial);
		} else if (!c->links && c->miss == MISS_SUPERSEDED) {
			say(r, r->note, c->where, "certificate %s is not linked: %s", c->ci.serial,
			    c->why);
		} else if (!c->links) {
			r->st->unmatched++;
			say(r, r->reject, c->where,
			    "certificate %s replaces no affected certificate: %s", c->ci.serial,
			    c->miss ? c->why : "it covers every name of no affected certificate");
		} else if (c->other_customer) {
			r->st->ambiguous++;
			say(r, r->note, c->where,
			    "certificate %s replaces certificates of several customers (%s, %s%s):"
			    " linked to each whose names it covers",
			    c->ci.serial, c->customer, c->other_customer,
			    c->links > 2 ? ", ..." : "");
		}
	}
}

/* The BR reasons whose certificates must not come back on the same key. */
static bool key_condemned(const char *reason)
{
	static const char *const codes[] = {
		"key-compromise", "key-computable", "weak-key", "keygen-flawed",
	};

	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (strcmp(reason, codes[i]) == 0)
			return true;
	return false;
}

int wr_replace_import(struct wr_db *db, const char *const *paths, size_t npaths,
		      const char *const *issuers, size_t nissuers, int nthreads,
		      wr_reject_cb reject, wr_reject_cb note, void *ctx,
		      struct wr_replace_stats *st)
{
	struct wr_replace_stats local;
	struct replace r = {.db = db, .reject = reject, .note = note, .ctx = ctx};
	struct wr_issuers *known = NULL;
	struct wr_import_stats is = {0};
	struct wr_status s;
	struct pass p = {.r = &r};
	struct wr_cert_filter all = {0};
	int rc;

	if (!st)
		st = &local;
	memset(st, 0, sizeof *st);
	r.st = st;
	if ((rc = wr_auth_team(db, "replacement")))
		return rc;
	if ((rc = wr_status_get(db, &s)))
		return rc;
	r.now = s.now;
	snprintf(r.reason, sizeof r.reason, "%s", s.reason);
	r.key_must_change = key_condemned(s.reason);
	if ((rc = wr_import_issuers(db, issuers, nissuers, &known)))
		return rc;
	r.issuers = known;
	if ((rc = wr_prepare(db, affected_sql, &r.is_affected)))
		goto out;
	rc = wr_import_read(db, paths, npaths, known, nthreads, on_cert, &r, reject, ctx, &is);
	st->files = is.files;
	st->certs = is.certs;
	st->rejected = is.rejected;
	st->forged = is.forged;
	st->unchecked = is.unchecked;
	if (rc || (rc = index_names(&r)))
		goto out;
	all.now = r.now;
	if ((rc = wr_cert_foreach(db, &all, on_affected, &p)) || (rc = r.err))
		goto out;
	report(&r);
	if ((rc = write_links(&r)))
		goto out;
	rc = wr_query_int(db,
			  "SELECT (SELECT n FROM counter WHERE name = 'affected') -"
			  " (SELECT n FROM counter WHERE name = 'replacement_issued')",
			  &st->missing);
out:
	sqlite3_finalize(r.is_affected);
	for (size_t i = 0; i < r.n; i++)
		cand_free(&r.c[i]);
	free(r.c);
	free(r.tab);
	free(r.touched);
	free(r.links);
	free(p.buf);
	free(p.names);
	wr_issuers_free(known);
	return rc;
}
