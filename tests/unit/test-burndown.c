/* Unit tests for core/burndown.c: the series kept by struct wr_burndown,
 * updated after every change of a random history (revocation batches at
 * the clock, in the same second as the last one, dated in the past;
 * imports; the clock moving on, and back; the shape changing), equals at
 * every step a count made the slow way: affected less the certificates
 * revoked or expired by each instant, one query per point. And
 * wr_burndown, the one-shot computation, agrees with both. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#define T0   1795586400LL /* 2026-11-25T06:00:00Z */
#define SPAN 86400LL

struct fx {
	char dir[64], path[96];
	struct wr_db *db;
	int next;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	unit_db_create(f->dir, f->path, &f->db, "2026-11-25T06:00:00Z", "burn-down", NULL, "alice");
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

static void exec(struct wr_db *db, const char *sql, int64_t a, int64_t b)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db->sq, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

static void add_cert(struct fx *f, int64_t not_after, int64_t revoked_at)
{
	sqlite3_stmt *st;
	unsigned char h[32] = {0};
	int n = f->next++;

	memcpy(h, &n, sizeof n);
	assert_int_equal(sqlite3_prepare_v2(f->db->sq,
					    "INSERT INTO cert(sha256, serial, issuer, subject,"
					    " not_before, not_after, spki_sha256, revoked_at)"
					    " VALUES (?1, 'AB', 'CN=CA', 'CN=x', 0, ?2, ?1, ?3)",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_blob(st, 1, h, 32, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, not_after);
	if (revoked_at)
		sqlite3_bind_int64(st, 3, revoked_at);
	else
		sqlite3_bind_null(st, 3);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

/* The slow way: affected less every certificate gone by t. */
static int64_t slow_pending(struct wr_db *db, int64_t t)
{
	sqlite3_stmt *st;
	int64_t n;

	assert_int_equal(
	    sqlite3_prepare_v2(db->sq,
			       "SELECT count(*) FROM cert WHERE NOT"
			       " ((revoked_at IS NOT NULL AND revoked_at <= ?1) OR not_after < ?1)",
			       -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, t);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int64_t point(int64_t t0, int64_t t1, int n, int i)
{
	return t0 + (int64_t)((double)(t1 - t0) * i / (n - 1));
}

/* A notAfter: already past, within the span, or far. */
static int64_t random_not_after(void)
{
	switch (rand() % 4) {
	case 0: return T0 - 1 - rand() % 100000;
	case 1:
	case 2: return T0 + rand() % (SPAN + 7200);
	default: return T0 + 90 * SPAN;
	}
}

/* Revokes up to k unrevoked certificates at instant r. */
static void revoke_some(struct fx *f, int k, int64_t r)
{
	exec(f->db,
	     "UPDATE cert SET revoked_at = ?1, state = 'revoked' WHERE id IN"
	     " (SELECT id FROM cert WHERE revoked_at IS NULL ORDER BY random() LIMIT ?2)",
	     r, k);
}

static void check(struct fx *f, struct wr_burndown *bd, int64_t t0, int64_t t1, int n, int64_t now,
		  int step)
{
	int64_t got[64], once[64], pnow = -2;

	assert_true(n <= 64);
	assert_int_equal(wr_burndown_update(f->db, bd, t0, t1, n, now, got, &pnow), 0);
	for (int i = 0; i < n; i++) {
		int64_t at = point(t0, t1, n, i), want = at <= now ? slow_pending(f->db, at) : -1;
		if (got[i] != want)
			fail_msg("step %d point %d (at %lld, now %lld): %lld, want %lld", step, i,
				 (long long)at, (long long)now, (long long)got[i], (long long)want);
	}
	if (pnow != slow_pending(f->db, now))
		fail_msg("step %d: %lld pending at now, want %lld", step, (long long)pnow,
			 (long long)slow_pending(f->db, now));
	/* The one-shot computation, on the database's own clock. */
	char env[32];
	snprintf(env, sizeof env, "@%lld", (long long)now);
	setenv("WARROOM_NOW", env, 1);
	assert_int_equal(wr_burndown(f->db, t0, t1, n, once), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(once[i], got[i]);
}

static void test_random_history(void **state)
{
	struct fx *f = *state;
	struct wr_burndown *bd = wr_burndown_new();
	int64_t now = T0 + 3600, t1 = T0 + SPAN, last_r = T0;
	int n = 37;

	assert_non_null(bd);
	for (unsigned seed = 1; seed <= 6; seed++) {
		srand(seed);
		for (int i = 0; i < 150; i++)
			add_cert(f, random_not_after(), rand() % 5 == 0 ? T0 - rand() % 7200 : 0);
		for (int step = 0; step < 80; step++) {
			int what = rand() % 20;
			if (what < 8) {
				/* A batch at the clock, often in the same second as the last. */
				if (rand() % 2)
					now += rand() % 300;
				revoke_some(f, 1 + rand() % 12, now);
				last_r = now;
			} else if (what < 10) {
				revoke_some(f, 1 + rand() % 5,
					    last_r); /* the newest second again */
			} else if (what < 12) {
				/* Dated in the past: an "already revoked" from the CA. */
				revoke_some(f, 1 + rand() % 3, T0 + rand() % (now - T0 + 1));
			} else if (what < 13) {
				/* Revoked later than the clock: another console's clock. */
				revoke_some(f, 1, now + 1 + rand() % 3000);
			} else if (what < 14) {
				add_cert(f, random_not_after(), 0); /* an import */
			} else if (what < 17) {
				now += rand() % 5000;
			} else if (what < 18) {
				now -= rand() % 2000; /* a clock set back */
				if (now < T0 + 60)
					now = T0 + 60;
			} else if (what < 19) {
				n = 2 + rand() % 60;
			} else {
				t1 = T0 + SPAN + rand() % 3 * 3600;
			}
			check(f, bd, T0, t1, n, now, (int)seed * 1000 + step);
		}
	}
	wr_burndown_free(bd);
}

/* Many batches in one second (a fixed clock), then nothing new: the
 * series stays equal, and no row is counted twice. */
static void test_same_second(void **state)
{
	struct fx *f = *state;
	struct wr_burndown *bd = wr_burndown_new();
	int64_t now = T0 + 7200;

	assert_non_null(bd);
	srand(99);
	for (int i = 0; i < 300; i++)
		add_cert(f, random_not_after(), 0);
	check(f, bd, T0, T0 + SPAN, 24, now, 0);
	for (int k = 1; k <= 20; k++) {
		revoke_some(f, 7, now);
		check(f, bd, T0, T0 + SPAN, 24, now, k);
		check(f, bd, T0, T0 + SPAN, 24, now, 100 + k);
	}
	wr_burndown_free(bd);
}

static void test_errors(void **state)
{
	struct fx *f = *state;
	struct wr_burndown *bd = wr_burndown_new();
	int64_t p[4], pn;

	assert_non_null(bd);
	assert_int_equal(wr_burndown_update(f->db, bd, T0, T0, 4, T0, p, &pn), WR_EINVAL);
	assert_int_equal(wr_burndown_update(f->db, bd, T0, T0 + 10, 1, T0, p, &pn), WR_EINVAL);
	/* Every point in the future: nothing known, none read. */
	assert_int_equal(wr_burndown_update(f->db, bd, T0, T0 + 10, 4, T0 - 1, p, &pn), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(p[i], -1);
	assert_int_equal(pn, 0);
	wr_burndown_free(bd);
	wr_burndown_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_random_history, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_same_second, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
