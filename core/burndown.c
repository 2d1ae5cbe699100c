/*
 * burndown.c: the burn-down series, pending certificates over time.
 *
 * A certificate stops being pending at its "gone" instant: when it is
 * revoked, or the second after its notAfter (RFC 5280 4.1.2.5: notAfter is
 * the last second of validity), whichever comes first. pending(t) is then
 * affected - #{gone <= t}. A delayed certificate (hold_until) is not gone:
 * the delay is reported, the obligation stands. The series is what the
 * console's numbers pane and the wall draw against the straight line to
 * the deadline. Nothing here writes.
 *
 * #{gone <= at[i]} is E[i] + V[i]: E the unrevoked certificates whose
 * notAfter is before at[i] (one range count per point on the partial index
 * cert_live_expiry, disjoint ranges, so the index is walked once up to
 * now), V the revoked ones gone by at[i] (one pass over cert_revoked_at,
 * each row put in the bin of the first point at or after its gone
 * instant). On 1,000,000 certificates that is tens of milliseconds, too
 * much for every frame while a revocation commits batch after batch.
 *
 * So a struct wr_burndown keeps the bins and E between calls and catches
 * up with what changed since, on the one assumption that holds for a
 * revocation run: new revocations are dated at or after the newest one
 * already seen (the watermark w). The rows at or after w are read again
 * (the index's tail: the last second's batch and whatever came since);
 * those before w are counted by the trigger-kept counter, and when that
 * count moved (a revocation dated in the past, a row deleted) or the
 * population did (an import), the series is computed afresh. Rows at
 * exactly w are kept apart (tv, te) since the next read sees them again.
 * A revocation removes its certificate from E at the bin of its notAfter
 * (it was counted there while unrevoked) and adds it to V at the bin of
 * its gone instant. Points that time brings into the past get their E by
 * range counts from the previous one. Each call's answer equals a full
 * computation (tests/unit/test-burndown.c checks it against one).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct wr_burndown {
	bool valid;
	int64_t t0, t1;
	int npoints;
	int64_t *at;      /* [npoints] the instants */
	int64_t *v;       /* [npoints + 1] revoked before w, by bin of the gone instant */
	int64_t *tv, *te; /* [npoints + 1] revoked at w: by gone bin, by notAfter bin */
	int64_t *e;       /* [npoints] E[i], for i < ne */
	int ne;
	int64_t affected; /* the counter when last read */
	int64_t w;        /* the newest revoked_at seen; INT64_MIN: none */
	int64_t below;    /* revoked rows dated before w */
};

/* The bins of one revoked row: of its gone instant and of its notAfter. */
struct row_bins {
	int g, a;
};

/* What a pass over the revoked rows from some instant on found. */
struct scan {
	int64_t n;            /* rows read */
	int64_t last;         /* the newest revoked_at read (INT64_MIN: none) */
	int64_t *dv, *de;     /* rows before last: by gone bin, by notAfter bin */
	struct row_bins *grp; /* rows at last */
	size_t ngrp, cap;
};

/* The instant of point i of npoints from t0 to t1, without overflow. */
static int64_t point_at(int64_t t0, int64_t t1, int npoints, int i)
{
	return t0 + (int64_t)((double)(t1 - t0) * i / (npoints - 1));
}

/* First point index whose instant is at or after g (npoints when none). */
static int bin_of(const struct wr_burndown *bd, int64_t g)
{
	int lo = 0, hi = bd->npoints;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (bd->at[mid] >= g)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

struct wr_burndown *wr_burndown_new(void)
{
	return calloc(1, sizeof(struct wr_burndown));
}

static void shape_free(struct wr_burndown *bd)
{
	free(bd->at);
	free(bd->v);
	free(bd->tv);
	free(bd->te);
	free(bd->e);
	bd->at = bd->v = bd->tv = bd->te = bd->e = NULL;
	bd->valid = false;
	bd->npoints = 0;
}

void wr_burndown_free(struct wr_burndown *bd)
{
	if (!bd)
		return;
	shape_free(bd);
	free(bd);
}

static int shape_set(struct wr_db *db, struct wr_burndown *bd, int64_t t0, int64_t t1, int npoints)
{
	size_t nb = (size_t)npoints + 1;

	shape_free(bd);
	bd->at = malloc((size_t)npoints * sizeof *bd->at);
	bd->v = calloc(nb, sizeof *bd->v);
	bd->tv = calloc(nb, sizeof *bd->tv);
	bd->te = calloc(nb, sizeof *bd->te);
	bd->e = calloc((size_t)npoints, sizeof *bd->e);
	if (!bd->at || !bd->v || !bd->tv || !bd->te || !bd->e) {
		shape_free(bd);
		return wr_err(db, WR_ENOMEM, "out of memory");
	}
	bd->t0 = t0;
	bd->t1 = t1;
	bd->npoints = npoints;
	for (int i = 0; i < npoints; i++)
		bd->at[i] = point_at(t0, t1, npoints, i);
	return 0;
}

/* Unrevoked certificates with lo <= notAfter < hi, on cert_live_expiry. */
static int count_live(struct wr_db *db, sqlite3_stmt **st, int64_t lo, int64_t hi, int64_t *n)
{
	*n = 0;
	if (lo >= hi)
		return 0;
	if (!*st && wr_prepare(db,
			       "SELECT count(*) FROM cert INDEXED BY cert_live_expiry"
			       " WHERE revoked_at IS NULL AND not_after >= ?1 AND not_after < ?2",
			       st))
		return WR_ERROR;
	sqlite3_bind_int64(*st, 1, lo);
	sqlite3_bind_int64(*st, 2, hi);
	int rc =
	    sqlite3_step(*st) == SQLITE_ROW ? 0 : wr_err_sq(db, "counting expired certificates");
	if (!rc)
		*n = sqlite3_column_int64(*st, 0);
	sqlite3_reset(*st);
	return rc;
}

/* E for the points from ne up to the last one at or before now. */
static int extend_e(struct wr_db *db, struct wr_burndown *bd, int64_t now)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	while (bd->ne < bd->npoints && bd->at[bd->ne] <= now) {
		int i = bd->ne;
		int64_t n;
		/* [previous instant, this instant): each index entry is read once. */
		if ((rc = count_live(db, &st, i ? bd->at[i - 1] : INT64_MIN, bd->at[i], &n)))
			break;
		bd->e[i] = (i ? bd->e[i - 1] : 0) + n;
		bd->ne++;
	}
	sqlite3_finalize(st);
	return rc;
}

static void scan_free(struct scan *s)
{
	free(s->dv);
	free(s->de);
	free(s->grp);
	memset(s, 0, sizeof *s);
}

/* Reads the revoked rows dated lo or later, in index order. */
static int scan_from(struct wr_db *db, const struct wr_burndown *bd, int64_t lo, struct scan *s)
{
	sqlite3_stmt *st;
	size_t nb = (size_t)bd->npoints + 1;
	int rc;

	memset(s, 0, sizeof *s);
	s->last = INT64_MIN;
	s->dv = calloc(nb, sizeof *s->dv);
	s->de = calloc(nb, sizeof *s->de);
	if (!s->dv || !s->de)
		return wr_err(db, WR_ENOMEM, "out of memory");
	if ((rc = wr_prepare(db,
			     "SELECT revoked_at, not_after FROM cert INDEXED BY cert_revoked_at"
			     " WHERE revoked_at >= ?1 ORDER BY revoked_at",
			     &st)))
		return rc;
	sqlite3_bind_int64(st, 1, lo);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t r = sqlite3_column_int64(st, 0), a = sqlite3_column_int64(st, 1);
		/* Gone at min(revoked, notAfter + 1); the notAfter's bin is the
		 * first point after it, where E counted it while unrevoked. */
		int64_t a1 = a < INT64_MAX ? a + 1 : INT64_MAX;
		struct row_bins b = {bin_of(bd, a1 < r ? a1 : r),
				     a < INT64_MAX ? bin_of(bd, a1) : bd->npoints};
		if (r != s->last) {
			/* A newer second: the rows of the previous one are settled. */
			for (size_t k = 0; k < s->ngrp; k++) {
				s->dv[s->grp[k].g]++;
				s->de[s->grp[k].a]++;
			}
			s->ngrp = 0;
			s->last = r;
		}
		if (s->ngrp == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 256;
			struct row_bins *g = realloc(s->grp, cap * sizeof *g);
			if (!g) {
				sqlite3_finalize(st);
				return wr_err(db, WR_ENOMEM, "out of memory");
			}
			s->grp = g;
			s->cap = cap;
		}
		s->grp[s->ngrp++] = b;
		s->n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : wr_err_sq(db, "reading revoked certificates");
}

/* The rows at the scan's newest second become the tail. */
static void tail_set(struct wr_burndown *bd, const struct scan *s)
{
	size_t nb = (size_t)bd->npoints + 1;

	memset(bd->tv, 0, nb * sizeof *bd->tv);
	memset(bd->te, 0, nb * sizeof *bd->te);
	for (size_t k = 0; k < s->ngrp; k++) {
		bd->tv[s->grp[k].g]++;
		bd->te[s->grp[k].a]++;
	}
}

static int full(struct wr_db *db, struct wr_burndown *bd, int64_t affected, int64_t now)
{
	struct scan s;
	size_t nb = (size_t)bd->npoints + 1;
	int rc;

	bd->valid = false;
	bd->ne = 0;
	if ((rc = extend_e(db, bd, now)) || (rc = scan_from(db, bd, INT64_MIN, &s))) {
		scan_free(&s);
		return rc;
	}
	memcpy(bd->v, s.dv, nb * sizeof *bd->v);
	tail_set(bd, &s);
	bd->w = s.last;
	bd->below = s.n - (int64_t)s.ngrp;
	bd->affected = affected;
	bd->valid = true;
	scan_free(&s);
	return 0;
}

/* Catches up with revocations dated at or after w; 1: cannot, do it all. */
static int catch_up(struct wr_db *db, struct wr_burndown *bd, int64_t revoked)
{
	struct scan s;
	int nb = bd->npoints + 1;
	int rc;

	if ((rc = scan_from(db, bd, bd->w, &s))) {
		scan_free(&s);
		return rc;
	}
	/* Every revocation but those dated before w was read: else one was
	 * dated in the past, or a row went. */
	if (bd->below + s.n != revoked) {
		scan_free(&s);
		return 1;
	}
	/* The new revocations, by notAfter bin: all read less the old tail. */
	int64_t drop = 0;
	for (int b = 0; b < nb; b++)
		s.de[b] -= bd->te[b];
	for (size_t k = 0; k < s.ngrp; k++)
		s.de[s.grp[k].a]++;
	for (int b = 0; b < nb; b++) {
		if (s.de[b] < 0) { /* an old tail row vanished */
			scan_free(&s);
			return 1;
		}
	}
	for (int i = 0; i < bd->ne; i++) {
		drop += s.de[i];
		bd->e[i] -= drop;
	}
	for (int b = 0; b < nb; b++)
		bd->v[b] += s.dv[b];
	tail_set(bd, &s);
	if (s.n) {
		bd->w = s.last;
		bd->below += s.n - (int64_t)s.ngrp;
	}
	scan_free(&s);
	return 0;
}

/* pending at now itself: E and V at now from the nearest point before. */
static int at_now(struct wr_db *db, const struct wr_burndown *bd, int64_t now, int64_t revoked,
		  int64_t *pending)
{
	sqlite3_stmt *st = NULL;
	int64_t e = 0, n = 0, later = 0, later_gone = 0;
	int last = -1, rc;

	for (int i = 0; i < bd->ne && bd->at[i] <= now; i++)
		last = i;
	rc = count_live(db, &st, last >= 0 ? bd->at[last] : INT64_MIN, now, &n);
	sqlite3_finalize(st);
	if (rc)
		return rc;
	e = (last >= 0 ? bd->e[last] : 0) + n;
	/* Revoked: all but those dated after now, which count once expired. */
	if ((rc = wr_prepare(db,
			     "SELECT count(*), coalesce(sum(not_after < ?1), 0)"
			     " FROM cert INDEXED BY cert_revoked_at WHERE revoked_at > ?1",
			     &st)))
		return rc;
	sqlite3_bind_int64(st, 1, now);
	if (sqlite3_step(st) == SQLITE_ROW) {
		later = sqlite3_column_int64(st, 0);
		later_gone = sqlite3_column_int64(st, 1);
	} else {
		rc = wr_err_sq(db, "counting revocations");
	}
	sqlite3_finalize(st);
	if (rc)
		return rc;
	int64_t p = bd->affected - e - (revoked - later + later_gone);
	*pending = p < 0 ? 0 : p;
	return 0;
}

int wr_burndown_update(struct wr_db *db, struct wr_burndown *bd, int64_t t0, int64_t t1,
		       int npoints, int64_t now, int64_t *pending, int64_t *pending_now)
{
	int64_t affected = 0, revoked = 0;
	int rc;

	if (npoints < 2 || t1 <= t0)
		return wr_err(db, WR_EINVAL, "a burn-down needs two points and t1 after t0");
	if (!bd->valid || bd->t0 != t0 || bd->t1 != t1 || bd->npoints != npoints) {
		if ((rc = shape_set(db, bd, t0, t1, npoints)))
			return rc;
	}
	/* One read transaction: the counters and the rows agree. */
	if ((rc = wr_exec(db, "BEGIN")))
		return rc;
	if ((rc = wr_query_int(db, "SELECT n FROM counter WHERE name = 'affected'", &affected)) ||
	    (rc = wr_query_int(db, "SELECT n FROM counter WHERE name = 'revoked'", &revoked)))
		goto out;
	if (!bd->valid || affected != bd->affected) {
		rc = full(db, bd, affected, now);
	} else if ((rc = catch_up(db, bd, revoked)) == 1) {
		rc = full(db, bd, affected, now);
	} else if (!rc) {
		rc = extend_e(db, bd, now);
	}
	if (!rc && pending_now)
		rc = at_now(db, bd, now, revoked, pending_now);
out:
	wr_exec(db, "COMMIT");
	if (rc) {
		bd->valid = false;
		return rc;
	}
	int64_t cum = 0;
	for (int i = 0; i < npoints; i++) {
		cum += bd->v[i] + bd->tv[i];
		if (bd->at[i] > now || i >= bd->ne) {
			pending[i] = -1;
			continue;
		}
		int64_t p = affected - bd->e[i] - cum;
		pending[i] = p < 0 ? 0 : p;
	}
	return 0;
}

int wr_burndown(struct wr_db *db, int64_t t0, int64_t t1, int npoints, int64_t *pending)
{
	struct wr_burndown *bd = wr_burndown_new();
	int rc;

	if (!bd)
		return wr_err(db, WR_ENOMEM, "out of memory");
	rc = wr_burndown_update(db, bd, t0, t1, npoints, wr_clock_now(db), pending, NULL);
	wr_burndown_free(bd);
	if (rc)
		for (int i = 0; i < npoints && npoints >= 2; i++)
			pending[i] = -1;
	return rc;
}
