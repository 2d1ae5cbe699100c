/*
 * pace.c: the pace of revocation, the incident commander's question at
 * every moment: at the rate we are revoking, do we make the deadline?
 * Fills struct wr_pace, whose figures wr.h defines.
 *
 * Nothing here writes, and nothing reads the population row by row: each
 * figure is a trigger-kept counter, an index seek or a range count on a
 * covering partial index (cert_live_expiry, cert_revoked_at), all in one
 * read transaction so that they agree. The cost grows with the
 * revocations of the last hour (see count_from) and the certificates
 * already expired, never with the population.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define HOUR 3600
/* Projections stop at a century: beyond it, "never" is the honest answer. */
#define HORIZON (100LL * 365 * 86400)
/* The newest revocation runs looked at for the best rate shown. */
#define RUNS_SCANNED 256
/* Pages of cache while counting: see wr_pace_get. */
#define COUNT_CACHE_PAGES 64

/* A rate as counted: n certificates in secs seconds. Projections divide
 * by it directly, so a whole answer stays exact (no detour through a
 * rounded per-hour figure). */
struct rate {
	double n, secs;
};

static double per_hour(struct rate r)
{
	return r.n > 0 && r.secs > 0 ? r.n * HOUR / r.secs : 0;
}

/* Seconds to revoke left at r, rounded up; -1 beyond the horizon. */
static int64_t seconds_at(int64_t left, struct rate r)
{
	double s = (double)left * r.secs / r.n;

	if (!(s <= (double)HORIZON)) /* NaN too */
		return -1;
	return (int64_t)ceil(s);
}

struct q {
	struct wr_db *db;
	sqlite3_stmt *since;  /* #{revoked_at >= ?1} */
	sqlite3_stmt *before; /* #{revoked_at < ?1}, at most ?2 of them */
	int64_t total;        /* all revocations: the trigger-kept counter */
	int64_t now;
};

static int step_count(struct q *q, sqlite3_stmt *st, int64_t *n)
{
	*n = 0;
	if (sqlite3_step(st) != SQLITE_ROW)
		return wr_err_sq(q->db, "counting revocations");
	*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

static int count_since(struct q *q, int64_t lo, int64_t *n)
{
	sqlite3_bind_int64(q->since, 1, lo);
	return step_count(q, q->since, n);
}

static int count_before(struct q *q, int64_t hi, int64_t cap, int64_t *n)
{
	sqlite3_bind_int64(q->before, 1, hi);
	sqlite3_bind_int64(q->before, 2, cap);
	return step_count(q, q->before, n);
}

/*
 * #{lo <= revoked_at <= now}, above being #{revoked_at > now}. A range
 * count costs what it counts (SQLite's b-trees keep no counts), and the
 * cheapest is the open-ended one, revoked_at >= lo: its loop compares
 * nothing. So count from lo up, unless fewer than PROBE revocations are
 * older than lo: then the total less those. Right after a burst, the
 * last hour is most of the index and costs a probe, not a scan.
 */
#define PROBE 4096
static int count_from(struct q *q, int64_t lo, int64_t above, int64_t *n)
{
	int64_t older;
	int rc;

	if (lo > q->now) {
		*n = 0; /* a discovery in the future: none yet */
		return 0;
	}
	if (lo == INT64_MIN) {
		*n = q->total - above;
		return 0;
	}
	if ((rc = count_before(q, lo, PROBE, &older)))
		return rc;
	if (older < PROBE) {
		*n = q->total - older - above;
		return 0;
	}
	if ((rc = count_since(q, lo, n)))
		return rc;
	*n -= above;
	return 0;
}

/* The first (or last) revocation in [lo, hi]: one index seek; 0 when none. */
static int seek_revoked(struct wr_db *db, int64_t lo, int64_t hi, bool last, int64_t *at)
{
	sqlite3_stmt *st;
	int rc;

	*at = 0;
	if ((rc = wr_prepare(db,
			     last ? "SELECT revoked_at FROM cert INDEXED BY cert_revoked_at"
				    " WHERE revoked_at >= ?1 AND revoked_at <= ?2"
				    " ORDER BY revoked_at DESC LIMIT 1"
				  : "SELECT revoked_at FROM cert INDEXED BY cert_revoked_at"
				    " WHERE revoked_at >= ?1 AND revoked_at <= ?2"
				    " ORDER BY revoked_at LIMIT 1",
			     &st)))
		return rc;
	sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, hi);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*at = sqlite3_column_int64(st, 0);
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : wr_err_sq(db, "finding a revocation");
	sqlite3_finalize(st);
	return rc;
}

/* Unrevoked certificates with lo <= notAfter < hi, on cert_live_expiry. */
static int count_live(struct wr_db *db, int64_t lo, int64_t hi, int64_t *n)
{
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if (lo >= hi)
		return 0;
	if ((rc = wr_prepare(db,
			     "SELECT count(*) FROM cert INDEXED BY cert_live_expiry"
			     " WHERE revoked_at IS NULL AND not_after >= ?1 AND not_after < ?2",
			     &st)))
		return rc;
	sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, hi);
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		rc = wr_err_sq(db, "counting unrevoked certificates");
	sqlite3_finalize(st);
	return rc;
}

/*
 * The fastest of the newest runs that handled WR_PACE_SAMPLE certificates
 * over WR_PACE_RUN_SECONDS, from the details wr_revoke_run records:
 * {"revoked", "already", "seconds"} (seconds: the run's own monotonic
 * time, from its start to its event). A detail that is not valid JSON
 * is skipped, not an error: the audit chain is verify's business.
 */
static int best_run(struct wr_db *db, struct rate *best)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_prepare(db,
			     "SELECT n, s FROM (SELECT"
			     " CASE WHEN json_valid(details) THEN"
			     "  coalesce(json_extract(details, '$.revoked'), 0)"
			     "  + coalesce(json_extract(details, '$.already'), 0) END AS n,"
			     " CASE WHEN json_valid(details) THEN"
			     "  json_extract(details, '$.seconds') END AS s"
			     " FROM event INDEXED BY event_action WHERE action = 'revoke'"
			     " ORDER BY id DESC LIMIT ?1)"
			     " WHERE n >= ?2 AND s >= ?3",
			     &st)))
		return rc;
	sqlite3_bind_int(st, 1, RUNS_SCANNED);
	sqlite3_bind_int(st, 2, WR_PACE_SAMPLE);
	sqlite3_bind_int(st, 3, WR_PACE_RUN_SECONDS);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rate r = {sqlite3_column_double(st, 0), sqlite3_column_double(st, 1)};
		if (per_hour(r) > per_hour(*best))
			*best = r;
	}
	rc = rc == SQLITE_DONE ? 0 : wr_err_sq(db, "reading revocation runs");
	sqlite3_finalize(st);
	return rc;
}

/* Reads everything in one read transaction; the arithmetic follows. */
static int read_figures(struct wr_db *db, struct wr_pace *p, int64_t *start, struct rate *run)
{
	sqlite3_stmt *st;
	struct q q = {.db = db, .now = p->now};
	int64_t affected = 0, expired = 0, discovered = 0;
	const struct wr_reason *r = NULL;
	int rc;

	if ((rc = wr_prepare(db, "SELECT reason, discovered FROM incident WHERE id = 1", &st)))
		return rc;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return wr_err(db, WR_ENOTWR, "%s: the database holds no incident", db->path);
	}
	if (wr_col_text(st, 0))
		r = wr_reason_find(wr_col_text(st, 0));
	discovered = wr_col_i64(st, 1);
	sqlite3_finalize(st);
	/* As wr_status_get: the deadline exists once declared. */
	if (r && discovered)
		p->deadline = wr_deadline(r, discovered);
	*start = p->deadline ? discovered : INT64_MIN;

	if ((rc = wr_query_int(db, "SELECT n FROM counter WHERE name = 'affected'", &affected)) ||
	    (rc = wr_query_int(db, "SELECT n FROM counter WHERE name = 'revoked'", &q.total)) ||
	    (rc = count_live(db, INT64_MIN, p->now, &expired)) ||
	    (rc = count_live(db, p->now, p->deadline, &p->expiring)))
		return rc;
	p->remaining = affected - q.total - expired;
	if (p->remaining < 0)
		p->remaining = 0;
	if (p->expiring > p->remaining)
		p->expiring = p->remaining;
	p->to_revoke = p->remaining - p->expiring;

	/* The incident's revocations, and those of the last hour. */
	int64_t above = 0, hour_lo = p->now - HOUR + 1;
	if (hour_lo < *start)
		hour_lo = *start;
	if (!(rc = wr_prepare(db,
			      "SELECT count(*) FROM cert INDEXED BY cert_revoked_at"
			      " WHERE revoked_at >= ?1",
			      &q.since)) &&
	    !(rc = wr_prepare(db,
			      "SELECT count(*) FROM (SELECT 1 FROM cert"
			      " INDEXED BY cert_revoked_at WHERE revoked_at < ?1 LIMIT ?2)",
			      &q.before)) &&
	    !(rc = count_since(&q, p->now + 1, &above)) &&
	    !(rc = count_from(&q, *start, above, &p->revoked_incident)))
		rc = count_from(&q, hour_lo, above, &p->revoked_last_hour);
	sqlite3_finalize(q.since);
	sqlite3_finalize(q.before);
	if (rc || (rc = seek_revoked(db, *start, p->now, false, &p->first_revoked_at)) ||
	    (rc = seek_revoked(db, *start, p->now, true, &p->last_revoked_at)))
		return rc;
	return best_run(db, run);
}

int wr_pace_get(struct wr_db *db, int64_t now, struct wr_pace *p)
{
	struct rate run = {0, 0}, used = {0, 0}, shown = {0, 0};
	int64_t start;
	int rc;

	memset(p, 0, sizeof *p);
	p->now = now;
	p->basis = "none";
	/*
	 * A range count reads each index page once, so caching the pages is
	 * waste, and in a fresh process (a status command) each new page's
	 * buffer costs a malloc and a page fault, more than the read itself:
	 * on 1,000,000 certificates with 140,000 revocations in the last
	 * hour, a cache of a few pages makes the pace three times cheaper.
	 * The caller's setting comes back afterwards, as import's does.
	 */
	int64_t cache = 0;
	char sql[64];
	bool tuned = wr_query_int(db, "PRAGMA cache_size", &cache) == 0;
	if (tuned) {
		snprintf(sql, sizeof sql, "PRAGMA cache_size = %d", COUNT_CACHE_PAGES);
		tuned = wr_exec(db, sql) == 0;
	}
	if ((rc = wr_exec(db, "BEGIN")) == 0) {
		rc = read_figures(db, p, &start, &run);
		wr_exec(db, "COMMIT");
	}
	if (tuned) {
		snprintf(sql, sizeof sql, "PRAGMA cache_size = %lld", (long long)cache);
		wr_exec(db, sql);
	}
	if (rc)
		return rc;

	/* The rates, as counted. */
	struct rate hour = {(double)p->revoked_last_hour, HOUR};
	struct rate overall = {(double)p->revoked_incident, HOUR};
	if (p->revoked_incident && now - p->first_revoked_at > HOUR)
		overall.secs = (double)(now - p->first_revoked_at);
	p->rate_per_hour = per_hour(hour);
	p->rate_overall_per_hour = per_hour(overall);
	if (p->revoked_last_hour >= WR_PACE_SAMPLE) {
		used = hour;
		p->basis = "last-hour";
	} else if (p->revoked_incident > 0) {
		used = overall;
		p->basis = "overall";
	}
	/* The best founded one: runs were sifted by best_run. */
	shown = run;
	if (hour.n >= WR_PACE_SAMPLE && per_hour(hour) > per_hour(shown))
		shown = hour;
	if (overall.n >= WR_PACE_SAMPLE && per_hour(overall) > per_hour(shown))
		shown = overall;
	p->rate_shown_per_hour = per_hour(shown);

	if (!p->deadline)
		p->rate_needed_per_hour = -1;
	else if (p->to_revoke == 0)
		p->rate_needed_per_hour = 0;
	else if (now < p->deadline)
		p->rate_needed_per_hour = (double)p->to_revoke * HOUR / (double)(p->deadline - now);
	else
		p->rate_needed_per_hour = -1; /* missed */

	if (p->revoked_incident == 0) {
		p->projected_finish = 0;
	} else if (p->to_revoke == 0) {
		p->projected_finish = p->last_revoked_at;
	} else {
		int64_t s = seconds_at(p->to_revoke, used);
		p->projected_finish = now + (s < 0 ? HORIZON : s);
	}
	if (p->deadline && p->projected_finish) {
		p->margin_seconds = p->deadline - p->projected_finish;
		p->has_margin = true;
	}

	if (p->deadline && p->to_revoke > 0) {
		/* Not before now; after the deadline, the deadline. */
		int64_t floor_at = now < p->deadline ? now : p->deadline;
		if (shown.n > 0) {
			int64_t s = seconds_at(p->to_revoke, shown);
			int64_t t = s < 0 ? floor_at : p->deadline - s;
			p->delay_report_unavoidable_at = t < floor_at ? floor_at : t;
		} else if (now >= p->deadline) {
			p->delay_report_unavoidable_at = p->deadline;
		}
	}
	return 0;
}
