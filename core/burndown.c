/*
 * burndown.c: the burn-down series, pending certificates over time.
 *
 * A certificate stops being pending at its "gone" instant: when it is
 * revoked, or the second after its notAfter (RFC 5280 4.1.2.5: notAfter is
 * the last second of validity), whichever comes first. pending(t) is then
 * affected - #{gone <= t}. A delayed certificate (hold_until) is not gone:
 * the delay is reported, the obligation stands. The series is what the
 * console's numbers pane and the wall draw against the straight line to
 * the deadline.
 *
 * The cost is bounded by the number of points and by the certificates that
 * are already gone, never by the population: unrevoked certificates are
 * counted with one range count per point on the partial index
 * cert_live_expiry (disjoint ranges, so the index is walked once up to
 * now), and revoked ones, when the counter says there are any, in one pass
 * over the revoked rows. Instants after now are the future: -1.
 * Nothing here writes.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The instant of point i of npoints from t0 to t1, without overflow. */
static int64_t point_at(int64_t t0, int64_t t1, int npoints, int i)
{
	return t0 + (int64_t)((double)(t1 - t0) * i / (npoints - 1));
}

/* Counts unrevoked certificates whose notAfter is before each instant:
 * gone[i] += #{not_after < at[i]} for i <= last. */
static int count_expired(struct wr_db *db, const int64_t *at, int last, int64_t *gone)
{
	sqlite3_stmt *st;
	int64_t below = 0;
	int rc;

	if ((rc = wr_prepare(db, "SELECT count(*) FROM cert INDEXED BY cert_live_expiry"
				 " WHERE revoked_at IS NULL AND not_after >= ?1 AND not_after < ?2",
			     &st)))
		return rc;
	for (int i = 0; i <= last; i++) {
		/* [previous instant, this instant): each index entry is read once. */
		sqlite3_bind_int64(st, 1, i ? at[i - 1] : INT64_MIN);
		sqlite3_bind_int64(st, 2, at[i]);
		if (sqlite3_step(st) != SQLITE_ROW) {
			rc = wr_err_sq(db, "counting expired certificates");
			break;
		}
		below += sqlite3_column_int64(st, 0);
		gone[i] += below;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

/* First point index whose instant is at or after g (last + 1 when none). */
static int first_point(const int64_t *at, int last, int64_t g)
{
	int lo = 0, hi = last + 1;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (at[mid] >= g)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Revoked certificates are gone at min(revoked_at, not_after + 1). One pass
 * over the revoked rows; an index on cert(revoked_at, not_after) WHERE
 * revoked_at IS NOT NULL makes it a covering index scan. */
static int count_revoked(struct wr_db *db, const int64_t *at, int last, int64_t *gone)
{
	sqlite3_stmt *st;
	int64_t *hist = calloc((size_t)last + 2, sizeof *hist);
	int rc;

	if (!hist)
		return wr_err(db, WR_ENOMEM, "out of memory");
	/* Gone by the last instant: revoked by then, or expired by then
	 * whenever it was revoked. */
	if ((rc = wr_prepare(db, "SELECT revoked_at, not_after FROM cert WHERE revoked_at IS NOT NULL"
				 " AND (revoked_at <= ?1 OR not_after < ?1)", &st))) {
		free(hist);
		return rc;
	}
	sqlite3_bind_int64(st, 1, at[last]);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t r = sqlite3_column_int64(st, 0), a = sqlite3_column_int64(st, 1);
		int64_t g = a < INT64_MAX && a + 1 < r ? a + 1 : r;
		hist[first_point(at, last, g)]++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(hist);
		return wr_err_sq(db, "reading revoked certificates");
	}
	int64_t run = 0;
	for (int i = 0; i <= last; i++) {
		run += hist[i];
		gone[i] += run;
	}
	free(hist);
	return 0;
}

int wr_burndown(struct wr_db *db, int64_t t0, int64_t t1, int npoints, int64_t *pending)
{
	int64_t now = wr_clock_now(db), affected = 0, revoked = 0;
	int64_t *at = NULL, *gone = NULL;
	int rc, last = -1;

	if (npoints < 2 || t1 <= t0)
		return wr_err(db, WR_EINVAL, "a burn-down needs two points and t1 after t0");
	for (int i = 0; i < npoints; i++)
		pending[i] = -1;
	at = malloc((size_t)npoints * sizeof *at);
	gone = calloc((size_t)npoints, sizeof *gone);
	if (!at || !gone) {
		free(at);
		free(gone);
		return wr_err(db, WR_ENOMEM, "out of memory");
	}
	for (int i = 0; i < npoints; i++) {
		at[i] = point_at(t0, t1, npoints, i);
		if (at[i] <= now)
			last = i;
	}
	if (last < 0)
		goto done_noread;
	/* One read transaction: the counters and the rows agree. */
	if ((rc = wr_exec(db, "BEGIN")))
		goto out;
	if ((rc = wr_query_int(db, "SELECT n FROM counter WHERE name = 'affected'", &affected)) ||
	    (rc = wr_query_int(db, "SELECT n FROM counter WHERE name = 'revoked'", &revoked)) ||
	    (rc = count_expired(db, at, last, gone)) ||
	    (revoked > 0 && (rc = count_revoked(db, at, last, gone)))) {
		wr_exec(db, "COMMIT");
		goto out;
	}
	wr_exec(db, "COMMIT");
	for (int i = 0; i <= last; i++)
		pending[i] = affected - gone[i] < 0 ? 0 : affected - gone[i];
done_noread:
	rc = 0;
out:
	free(at);
	free(gone);
	return rc;
}
