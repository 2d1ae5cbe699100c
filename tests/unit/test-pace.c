/* Unit tests for core/pace.c: every figure of struct wr_pace against
 * values computed by hand, on a fixture incident whose certificates are
 * inserted with chosen notAfter, revoked_at and hold_until: before the
 * declaration, nothing revoked, ahead, behind (with the runs that count
 * and those that do not), the WR_PACE_SAMPLE threshold and the edges of
 * the last hour, certificates expiring before the deadline, delayed
 * ones, after the deadline, everything done, the 100-year cap, and the
 * two-sided count of the last hour's revocations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

/* 2026-11-25T06:00:00Z: the fixture's clock and the instant asked. */
#define T   1795586400LL
#define H   3600LL
#define DAY 86400LL
#define FAR (T + 90 * DAY) /* a notAfter nothing reaches */

struct fx {
	char dir[64];
	char path[96];
	struct wr_db *db;
	int next; /* the next certificate number */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	/* Its clock stays at T, so declarations may be dated before it. */
	unit_db_create(f->dir, f->path, &f->db, "2026-11-25T06:00:00Z", "Pace incident", NULL,
		       "tester");
	f->next = 1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unit_db_remove(f->dir, f->db);
	free(f);
	return 0;
}

/* n certificates with notAfter na, revoked at rev (0: not), held until
 * hold (0: not held). */
static void add(struct fx *f, int n, int64_t na, int64_t rev, int64_t hold)
{
	sqlite3_stmt *st;

	assert_int_equal(wr_exec(f->db, "BEGIN"), 0);
	assert_int_equal(wr_prepare(f->db,
				    "INSERT INTO cert(sha256, serial, issuer, subject,"
				    " not_before, not_after, spki_sha256, revoked_at, state,"
				    " hold_until) VALUES (?1, ?2, 'CN=CA', 'CN=x', ?3, ?4, ?1,"
				    " ?5, ?6, ?7)",
				    &st),
			 0);
	for (int k = 0; k < n; k++, f->next++) {
		unsigned char h[32] = {0};
		char serial[16];
		h[0] = (unsigned char)f->next;
		h[1] = (unsigned char)(f->next >> 8);
		h[2] = (unsigned char)(f->next >> 16);
		snprintf(serial, sizeof serial, "%06X", f->next);
		sqlite3_reset(st);
		sqlite3_bind_blob(st, 1, h, 32, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, serial, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, na - 90 * DAY);
		sqlite3_bind_int64(st, 4, na);
		wr_bind_time(st, 5, rev);
		sqlite3_bind_text(st, 6, rev ? "revoked" : "pending", -1, SQLITE_STATIC);
		wr_bind_time(st, 7, hold);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	}
	sqlite3_finalize(st);
	assert_int_equal(wr_exec(f->db, "COMMIT"), 0);
}

static void declare(struct fx *f, const char *reason, int64_t discovered)
{
	struct wr_mre_criterion c[WR_MRE_CRITERIA];

	assert_int_equal(wr_incident_declare(f->db, reason, discovered, 0, NULL, c), 0);
}

/* A completed revocation run, as wr_revoke_run records it. */
static void run_event(struct fx *f, const char *details)
{
	assert_int_equal(wr_tx_begin(f->db), 0);
	assert_int_equal(wr_event_add(f->db, "revoke", details), 0);
	assert_int_equal(wr_tx_commit(f->db), 0);
}

static void pace(struct fx *f, int64_t now, struct wr_pace *p)
{
	assert_int_equal(wr_pace_get(f->db, now, p), 0);
	assert_int_equal(p->now, now);
}

#define assert_rate(got, want) assert_float_equal((got), (want), 1e-9)

/* No deadline: rates and a projection, nothing measured against it. */
static void test_before_declaration(void **state)
{
	struct fx *f = *state;
	struct wr_pace p;

	add(f, 3, FAR, 0, 0);
	add(f, 1, FAR, T - 1800, 0);
	add(f, 1, T - 10, 0, 0); /* expired */
	pace(f, T, &p);
	assert_int_equal(p.deadline, 0);
	assert_int_equal(p.remaining, 3);
	assert_int_equal(p.expiring, 0);
	assert_int_equal(p.to_revoke, 3);
	assert_rate(p.rate_needed_per_hour, -1);
	assert_int_equal(p.revoked_last_hour, 1);
	assert_rate(p.rate_per_hour, 1);
	/* Half an hour since the first: counted over one hour, not doubled. */
	assert_int_equal(p.first_revoked_at, T - 1800);
	assert_rate(p.rate_overall_per_hour, 1);
	assert_string_equal(p.basis, "overall");
	assert_int_equal(p.projected_finish, T + 3 * H);
	assert_false(p.has_margin);
	assert_rate(p.rate_shown_per_hour, 0); /* one revocation founds nothing */
	assert_int_equal(p.delay_report_unavoidable_at, 0);

	/* Two hours on: the last hour is empty, the overall rate is 1 in 2.5 h. */
	pace(f, T + 2 * H, &p);
	assert_int_equal(p.revoked_last_hour, 0);
	assert_rate(p.rate_per_hour, 0);
	assert_rate(p.rate_overall_per_hour, 0.4);
	assert_string_equal(p.basis, "overall");
	assert_int_equal(p.projected_finish, T + 2 * H + 3 * 9000);
}

static void test_nothing_revoked(void **state)
{
	struct fx *f = *state;
	struct wr_pace p;

	declare(f, "key-compromise", T - 2 * H); /* deadline T + 22 h */
	add(f, 44, FAR, 0, 0);
	add(f, 2, T - 100, 0, 0);
	pace(f, T, &p);
	assert_int_equal(p.deadline, T + 22 * H);
	assert_int_equal(p.remaining, 44);
	assert_int_equal(p.to_revoke, 44);
	assert_rate(p.rate_needed_per_hour, 2);
	assert_rate(p.rate_per_hour, 0);
	assert_rate(p.rate_overall_per_hour, 0);
	assert_string_equal(p.basis, "none");
	assert_int_equal(p.revoked_incident, 0);
	assert_int_equal(p.first_revoked_at, 0);
	assert_int_equal(p.projected_finish, 0);
	assert_false(p.has_margin);
	assert_rate(p.rate_shown_per_hour, 0);
	assert_int_equal(p.delay_report_unavoidable_at, 0);
}

static void test_ahead(void **state)
{
	struct fx *f = *state;
	struct wr_pace p;

	declare(f, "key-compromise", T - 4 * H); /* deadline T + 20 h */
	add(f, 100, FAR, 0, 0);
	add(f, 150, FAR, T - 600, 0);
	add(f, 50, FAR, T - 3 * H, 0);
	add(f, 1, FAR, T - 5 * H, 0); /* before the discovery: not the incident's */
	pace(f, T, &p);
	assert_int_equal(p.remaining, 100);
	assert_int_equal(p.to_revoke, 100);
	assert_rate(p.rate_needed_per_hour, 5);
	assert_int_equal(p.revoked_last_hour, 150);
	assert_int_equal(p.revoked_incident, 200);
	assert_rate(p.rate_per_hour, 150);
	assert_int_equal(p.first_revoked_at, T - 3 * H);
	assert_rate(p.rate_overall_per_hour, 200.0 / 3);
	assert_string_equal(p.basis, "last-hour");
	/* 100 at 150/h: 40 minutes. */
	assert_int_equal(p.projected_finish, T + 2400);
	assert_true(p.has_margin);
	assert_int_equal(p.margin_seconds, 20 * H - 2400);
	assert_rate(p.rate_shown_per_hour, 150);
	assert_int_equal(p.delay_report_unavoidable_at, T + 20 * H - 2400);
}

/* Fewer than WR_PACE_SAMPLE in the last hour: the overall rate projects.
 * The last hour is (now - 3600, now]. */
static void test_sample_threshold(void **state)
{
	struct fx *f = *state;
	struct wr_pace p;

	declare(f, "key-compromise", T - 4 * H); /* deadline T + 20 h */
	add(f, 50, FAR, 0, 0);
	add(f, 98, FAR, T - 3599, 0);
	add(f, 1, FAR, T, 0);
	add(f, 1, FAR, T - 3600, 0); /* an hour ago: not in the last hour */
	add(f, 1, FAR, T + 100, 0);  /* after now: in no rate */
	pace(f, T, &p);
	assert_int_equal(p.remaining, 50);
	assert_int_equal(p.revoked_last_hour, 99);
	assert_int_equal(p.revoked_incident, 100);
	assert_int_equal(p.last_revoked_at, T);
	assert_rate(p.rate_per_hour, 99);
	assert_rate(p.rate_overall_per_hour, 100);
	assert_string_equal(p.basis, "overall");
	assert_int_equal(p.projected_finish, T + 1800);
	/* The last hour's 99 found no shown rate; the overall 100 does. */
	assert_rate(p.rate_shown_per_hour, 100);
	assert_int_equal(p.delay_report_unavoidable_at, T + 20 * H - 1800);

	/* The hundredth in the last hour: it projects, at 100/h, while the
	 * overall rate is 101/h (50 at 101/h would take 1,782.2 s). */
	add(f, 1, FAR, T - 1, 0);
	pace(f, T, &p);
	assert_int_equal(p.revoked_last_hour, 100);
	assert_rate(p.rate_overall_per_hour, 101);
	assert_string_equal(p.basis, "last-hour");
	assert_int_equal(p.projected_finish, T + 1800);
	assert_rate(p.rate_shown_per_hour, 101);
	assert_int_equal(p.delay_report_unavoidable_at, T + 20 * H - 1783);
}

static void test_behind_and_runs(void **state)
{
	struct fx *f = *state;
	struct wr_pace p;

	declare(f, "key-compromise", T - 22 * H); /* deadline T + 2 h */
	add(f, 500, FAR, 0, 0);
	add(f, 120, FAR, T - 1800, 0);
	pace(f, T, &p);
	assert_rate(p.rate_needed_per_hour, 250);
	assert_rate(p.rate_per_hour, 120);
	assert_string_equal(p.basis, "last-hour");
	assert_int_equal(p.projected_finish, T + 15000);
	assert_true(p.has_margin);
	assert_int_equal(p.margin_seconds, -7800);
	/* At 120/h the rest cannot be done in time even from now: due now. */
	assert_rate(p.rate_shown_per_hour, 120);
	assert_int_equal(p.delay_report_unavoidable_at, T);

	/* A run showed 1,000 in 600 s: 6,000/h. Runs too small or too short
	 * to be sustained, and details that are not a run's, do not count. */
	run_event(f, "{\"backend\":\"local\",\"revoked\":900,\"already\":100,\"failed\":0,"
		     "\"seconds\":600.0}");
	run_event(f, "{\"revoked\":50,\"already\":0,\"seconds\":1.0}");
	run_event(f, "{\"revoked\":5000,\"already\":0,\"seconds\":30.0}");
	run_event(f, "not json at all");
	run_event(f, "{\"revoked\":\"many\",\"seconds\":100}");
	pace(f, T, &p);
	assert_rate(p.rate_shown_per_hour, 6000);
	/* 500 at 6,000/h: 300 s before the deadline. */
	assert_int_equal(p.delay_report_unavoidable_at, T + 2 * H - 300);
	/* The projection still follows the revocations, not the runs. */
	assert_int_equal(p.projected_finish, T + 15000);
}

static void test_expiring_before_deadline(void **state)
{
	struct fx *f = *state;
	struct wr_pace p;
	struct wr_counts c;
	const int64_t D = T + 20 * H;

	declare(f, "key-compromise", T - 4 * H); /* deadline D */
	add(f, 10, T + 10 * H, 0, 0);
	add(f, 1, D - 1, 0, 0); /* its last second is before the deadline */
	add(f, 1, D, 0, 0);     /* still valid at the deadline: to revoke */
	add(f, 1, T, 0, 0);     /* valid now, for its last second */
	add(f, 5, FAR, 0, 0);
	add(f, 1, T - 1, 0, 0); /* expired */
	pace(f, T, &p);
	assert_int_equal(wr_counts_get(f->db, T, &c), 0);
	assert_int_equal(p.remaining, c.pending + c.held);
	assert_int_equal(p.remaining, 18);
	assert_int_equal(p.expiring, 12);
	assert_int_equal(p.to_revoke, 6);
	assert_rate(p.rate_needed_per_hour, 0.3);

	/* 200 revoked 20 minutes ago: the projection is for the 6, not the 18. */
	add(f, 200, FAR, T - 1200, 0);
	pace(f, T, &p);
	assert_int_equal(p.to_revoke, 6);
	assert_int_equal(p.projected_finish, T + 108); /* 6 at 200/h */
	assert_int_equal(p.delay_report_unavoidable_at, D - 108);
}

static void test_delayed(void **state)
{
	struct fx *f = *state;
	struct wr_pace p;
	struct wr_counts c;

	declare(f, "key-compromise", T - 4 * H);
	add(f, 4, FAR, 0, 0);
	add(f, 3, FAR, 0, T + 10 * DAY); /* delayed */
	add(f, 1, FAR, 0, T - 60);       /* its delay is over */
	pace(f, T, &p);
	assert_int_equal(wr_counts_get(f->db, T, &c), 0);
	assert_int_equal(c.held, 3);
	assert_int_equal(c.pending, 5);
	assert_int_equal(p.remaining, 8);
	assert_int_equal(p.to_revoke, 8);
	assert_rate(p.rate_needed_per_hour, 0.4);
}

static void test_after_deadline(void **state)
{
	struct fx *f = *state;
	struct wr_pace p;
	const int64_t D = T - 6 * H;

	declare(f, "key-compromise", T - 30 * H); /* deadline D, passed */
	add(f, 10, FAR, 0, 0);
	add(f, 20, FAR, T - 7 * H, 0);
	add(f, 1, T - 3 * H, 0, 0); /* expired after the deadline, unrevoked */
	pace(f, T, &p);
	assert_int_equal(p.deadline, D);
	assert_int_equal(p.remaining, 10);
	assert_int_equal(p.expiring, 0);
	assert_int_equal(p.to_revoke, 10);
	assert_rate(p.rate_needed_per_hour, -1); /* missed */
	assert_rate(p.rate_per_hour, 0);
	assert_rate(p.rate_overall_per_hour, 20.0 / 7);
	assert_string_equal(p.basis, "overall");
	assert_int_equal(p.projected_finish, T + 12600); /* 10 at 20 per 7 h */
	assert_true(p.has_margin);
	assert_int_equal(p.margin_seconds, D - (T + 12600));
	/* No founded rate, but a missed deadline needs none. */
	assert_rate(p.rate_shown_per_hour, 0);
	assert_int_equal(p.delay_report_unavoidable_at, D);
	/* However fast the backend, it stays the deadline. */
	run_event(f, "{\"revoked\":1000,\"already\":0,\"seconds\":600}");
	pace(f, T, &p);
	assert_rate(p.rate_shown_per_hour, 6000);
	assert_int_equal(p.delay_report_unavoidable_at, D);
}

static void test_done(void **state)
{
	struct fx *f = *state;
	struct wr_pace p;
	const int64_t D = T + 20 * H;

	declare(f, "key-compromise", T - 4 * H);
	add(f, 200, FAR, T - 3 * H, 0);
	add(f, 100, FAR, T - 2 * H, 0);
	add(f, 2, T - 100, 0, 0);   /* expired */
	add(f, 1, T + 1 * H, 0, 0); /* expires before the deadline */
	pace(f, T, &p);
	assert_int_equal(p.remaining, 1);
	assert_int_equal(p.expiring, 1);
	assert_int_equal(p.to_revoke, 0);
	assert_rate(p.rate_needed_per_hour, 0);
	assert_rate(p.rate_overall_per_hour, 100);
	/* The work ended with the last revocation. */
	assert_int_equal(p.projected_finish, T - 2 * H);
	assert_true(p.has_margin);
	assert_int_equal(p.margin_seconds, D - (T - 2 * H));
	assert_rate(p.rate_shown_per_hour, 100);
	assert_int_equal(p.delay_report_unavoidable_at, 0);

	/* The last one revoked too: nothing remains at all. */
	assert_int_equal(wr_exec(f->db, "UPDATE cert SET revoked_at = 1795586340, state = 'revoked'"
					" WHERE revoked_at IS NULL AND not_after > 1795586400"),
			 0);
	pace(f, T, &p);
	assert_int_equal(p.remaining, 0);
	assert_int_equal(p.to_revoke, 0);
	assert_int_equal(p.projected_finish, T - 60);
	assert_int_equal(p.margin_seconds, D - (T - 60));
	/* After the deadline, done in time stays done in time. */
	pace(f, D + 1000, &p);
	assert_rate(p.rate_needed_per_hour, 0);
	assert_int_equal(p.projected_finish, T - 60);
	assert_int_equal(p.margin_seconds, D - (T - 60));
	assert_int_equal(p.delay_report_unavoidable_at, 0);
}

/* One revocation in 50 years, three to go: capped at a century. */
static void test_horizon(void **state)
{
	struct fx *f = *state;
	struct wr_pace p;

	add(f, 3, FAR, 0, 0);
	add(f, 1, FAR, T - 50 * 365 * DAY, 0);
	pace(f, T, &p);
	assert_string_equal(p.basis, "overall");
	assert_int_equal(p.projected_finish, T + 100 * 365 * DAY);
}

/* The last hour counted from both sides of the index: more inside than
 * outside (the outside tells), then more outside than inside. */
static void test_two_sided_count(void **state)
{
	struct fx *f = *state;
	struct wr_pace p;

	add(f, 5000, FAR, T - 100, 0);
	add(f, 1500, FAR, T - 2 * H, 0);
	add(f, 10, FAR, T + 100, 0);
	pace(f, T, &p);
	assert_int_equal(p.revoked_last_hour, 5000);
	assert_int_equal(p.revoked_incident, 6500);
	assert_rate(p.rate_per_hour, 5000);
	assert_string_equal(p.basis, "last-hour");
	/* Later, the same 5,000 are outside and 1,300 are inside. */
	add(f, 1300, FAR, T + 2 * H, 0);
	pace(f, T + 2 * H + 1, &p);
	assert_int_equal(p.revoked_last_hour, 1300);
	assert_int_equal(p.revoked_incident, 7810);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_before_declaration, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nothing_revoked, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ahead, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sample_threshold, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_behind_and_runs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expiring_before_deadline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delayed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_after_deadline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_done, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_horizon, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_two_sided_count, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
