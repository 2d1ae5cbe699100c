/* Unit tests for core/exercise.c and the exercise's clock in core/clock.c:
 * the formula of migrate-013.sql (paused, running, fractional speeds, a
 * real clock set back); an exercise database's simulated now computed
 * from WARROOM_NOW as the real now; pause, resume, a change of speed and
 * the end re-basing it without a jump, refused when already so, each an
 * event stamped with the simulated time, the chain still verifying;
 * another connection and handle-less callers following a change; the
 * facilitator role; the refusal of a backend other than local; the
 * local backend's config pointing at the exercise's own CA; a population
 * big enough for the bulk insert (core/population.c sets the cert table's
 * indexes and counter triggers aside) leaving the counters, the tally and
 * the schema as a row-by-row insert would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "population.h"
#include "unit.h"

#define REAL0 "2026-11-25T08:00:00Z"
#define SIM0  "2026-12-01T00:00:00Z"

struct fx {
	char dir[64];
	char path[96];
	struct wr_db *db;
	struct wr_config *cfg;
	int64_t real0, sim0;
};

static int64_t t_(const char *s)
{
	int64_t t = 0;
	assert_int_equal(wr_time_parse(s, &t), 0);
	return t;
}

/* WARROOM_NOW at real0 + secs. */
static void real_at(struct fx *f, int64_t secs)
{
	char b[WR_TIME_BUFSZ];
	setenv("WARROOM_NOW", wr_time_format(f->real0 + secs, b), 1);
}

static void load_cfg(struct fx *f, const char *text)
{
	char err[256];

	wr_config_free(f->cfg);
	f->cfg = NULL;
	write_file(unit_path(f->dir, "warroom.conf"), text, strlen(text));
	assert_int_equal(
	    wr_config_load(unit_path(f->dir, "warroom.conf"), &f->cfg, err, sizeof err), 0);
	wr_db_set_config(f->db, f->cfg);
}

/* An incident made a test fixture at REAL0, then an exercise row as
 * `exercise start` leaves it: simulated SIM0 at REAL0, speed 60. */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	sqlite3_stmt *st;

	unit_db_create(f->dir, f->path, &f->db, REAL0, "Exercise: unit", NULL, "alice");
	f->real0 = t_(REAL0);
	f->sim0 = t_(SIM0);
	assert_false(wr_exercise_active(f->db));
	assert_int_equal(
	    wr_prepare(f->db,
		       "INSERT INTO exercise(one, scenario, title, scenario_sha256,"
		       " sim_start, real_start, sim_base, real_base_ms, speed, paused,"
		       " ca_dir) VALUES (1, 'unit', 'Unit', 'ab', ?1, ?2, ?1, ?3, 60, 0,"
		       " '/nonexistent/wr.ca')",
		       &st),
	    0);
	sqlite3_bind_int64(st, 1, f->sim0);
	sqlite3_bind_int64(st, 2, f->real0);
	sqlite3_bind_int64(st, 3, f->real0 * 1000);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unit_db_remove(f->dir, f->db);
	wr_config_free(f->cfg);
	free(f);
	return 0;
}

static void test_formula(void **state)
{
	(void)state;
	struct wr_xclock x = {.sim_base = 1000, .real_base_ms = 50000, .speed = 60};

	assert_int_equal(wr_xclock_at(&x, 50000), 1000);
	assert_int_equal(wr_xclock_at(&x, 51000), 1060);
	/* Seconds are floored: 999 ms at 1x is still the same second. */
	x.speed = 1;
	assert_int_equal(wr_xclock_at(&x, 50999), 1000);
	assert_int_equal(wr_xclock_at(&x, 51000), 1001);
	x.speed = 0.5;
	assert_int_equal(wr_xclock_at(&x, 54000), 1002);
	/* A real clock set back never takes the simulated one back. */
	x.speed = 60;
	assert_int_equal(wr_xclock_at(&x, 10000), 1000);
	/* Paused: the base, whatever the real time. */
	x.paused = true;
	assert_int_equal(wr_xclock_at(&x, 9999999), 1000);
	/* A year at the highest speed does not overflow. */
	x.paused = false;
	x.speed = WR_EXERCISE_SPEED_MAX;
	assert_int_equal(wr_xclock_at(&x, 50000 + (int64_t)365 * 86400 * 1000),
			 1000 + (int64_t)365 * 86400 * 10000);
}

static void test_simulated_now(void **state)
{
	struct fx *f = *state;
	struct wr_exercise x;

	assert_true(wr_exercise_active(f->db));
	assert_true(wr_clock_simulated(f->db));
	assert_int_equal(wr_clock_now(f->db), f->sim0);
	real_at(f, 60); /* a real minute: an hour at 60x */
	assert_int_equal(wr_clock_now(f->db), f->sim0 + 3600);
	/* Handle-less callers follow the exercise this process opened. */
	assert_int_equal(wr_clock_now(NULL), f->sim0 + 3600);
	int64_t parsed = 0;
	assert_int_equal(wr_time_parse("now", &parsed), 0);
	assert_int_equal(parsed, f->sim0 + 3600);
	assert_int_equal(wr_exercise_get(f->db, &x), 0);
	assert_string_equal(x.scenario, "unit");
	assert_int_equal(x.now, f->sim0 + 3600);
	assert_int_equal(x.sim_start, f->sim0);
	assert_int_equal(x.real_start, f->real0);
	assert_false(x.paused);
	assert_true(x.speed == 60);
}

/* An event's time: the newest with action. */
static int64_t event_at(struct wr_db *db, const char *action)
{
	sqlite3_stmt *st;
	int64_t at = -1;

	assert_int_equal(wr_prepare(db,
				    "SELECT at FROM event WHERE action = ? ORDER BY id DESC"
				    " LIMIT 1",
				    &st),
			 0);
	sqlite3_bind_text(st, 1, action, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		at = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return at;
}

static void test_rebase(void **state)
{
	struct fx *f = *state;
	struct wr_db *other;
	struct wr_audit_result ar;

	assert_int_equal(wr_db_open(f->path, 0, &other), 0);
	real_at(f, 10); /* SIM0 + 600 */
	assert_int_equal(wr_exercise_pause(f->db), 0);
	assert_int_equal(event_at(f->db, "exercise-pause"), f->sim0 + 600);
	assert_int_equal(wr_exercise_pause(f->db), WR_ESTATE);
	/* Frozen, for this handle, another, and handle-less callers. */
	real_at(f, 1000);
	assert_int_equal(wr_clock_now(f->db), f->sim0 + 600);
	assert_int_equal(wr_clock_now(other), f->sim0 + 600);
	assert_int_equal(wr_clock_now(NULL), f->sim0 + 600);
	/* Resumed from where it stopped, not from where it would be. */
	assert_int_equal(wr_exercise_resume(other), 0);
	assert_int_equal(wr_exercise_resume(f->db), WR_ESTATE);
	assert_int_equal(event_at(f->db, "exercise-resume"), f->sim0 + 600);
	real_at(f, 1001);
	assert_int_equal(wr_clock_now(f->db), f->sim0 + 660);
	/* A new speed counts from now: no jump. */
	assert_int_equal(wr_exercise_set_speed(f->db, 3600), 0);
	assert_int_equal(wr_clock_now(other), f->sim0 + 660);
	real_at(f, 1002);
	assert_int_equal(wr_clock_now(other), f->sim0 + 660 + 3600);
	assert_int_equal(wr_exercise_set_speed(f->db, 3600), WR_ESTATE);
	assert_int_equal(wr_exercise_set_speed(f->db, 0), WR_EINVAL);
	assert_int_equal(wr_exercise_set_speed(f->db, WR_EXERCISE_SPEED_MAX * 2), WR_EINVAL);
	/* The end stops the clock for good. */
	assert_int_equal(wr_exercise_end(other), 0);
	real_at(f, 5000);
	assert_int_equal(wr_clock_now(f->db), f->sim0 + 660 + 3600);
	assert_int_equal(wr_exercise_resume(f->db), WR_ESTATE);
	assert_non_null(strstr(wr_db_errmsg(f->db), "ended"));
	struct wr_exercise x;
	assert_int_equal(wr_exercise_get(f->db, &x), 0);
	assert_int_equal(x.ended_at, f->sim0 + 660 + 3600);
	/* Each change is a link of the chain, which holds. */
	assert_int_equal(wr_audit_verify(f->db, NULL, &ar), 0);
	assert_int_equal(ar.backwards_id, 0);
	int64_t n = 0;
	assert_int_equal(wr_query_int(f->db,
				      "SELECT count(*) FROM event WHERE action LIKE"
				      " 'exercise-%'",
				      &n),
			 0);
	assert_int_equal(n, 4);
	wr_db_close(other);
}

static void test_facilitator(void **state)
{
	struct fx *f = *state;

	load_cfg(f, "[users]\nalice = facilitator\nbob = management\ncarol = revocation\n");
	wr_db_set_actor(f->db, "bob");
	assert_int_equal(wr_exercise_pause(f->db), WR_EPERM);
	assert_non_null(strstr(wr_db_errmsg(f->db), "facilitator"));
	wr_db_set_actor(f->db, "dave");
	assert_int_equal(wr_exercise_set_speed(f->db, 2), WR_EPERM);
	assert_non_null(strstr(wr_db_errmsg(f->db), "not listed"));
	wr_db_set_actor(f->db, "alice");
	assert_int_equal(wr_exercise_pause(f->db), 0);
	/* The role is no team: a facilitator ticks nothing. */
	assert_int_equal(wr_auth_team(f->db, "revocation"), WR_EPERM);
}

static void test_backend(void **state)
{
	struct fx *f = *state;

	load_cfg(f, "[revocation]\nbackend = acme\n");
	assert_int_equal(wr_exercise_check_backend(f->db, "acme"), WR_EINVAL);
	assert_non_null(strstr(wr_db_errmsg(f->db), "[revocation] backend = acme"));
	assert_non_null(strstr(wr_db_errmsg(f->db), "warroom.conf"));
	assert_int_equal(wr_exercise_check_backend(f->db, "exec"), WR_EINVAL);
	assert_int_equal(wr_exercise_check_backend(f->db, "local"), 0);
	assert_int_equal(wr_exercise_check_backend(f->db, NULL), 0);

	/* The local backend signs with the exercise's CA, whatever [local]. */
	load_cfg(f, "[local]\nca_cert = /etc/real/ca.pem\nca_key = /etc/real/ca.key\n"
		    "out_dir = /srv/crl\ncrl_days = 3\n");
	const struct wr_config *lc = wr_exercise_local_cfg(f->db, f->cfg);
	assert_non_null(lc);
	assert_string_equal(wr_config_get(lc, "local", "ca_cert"), "/nonexistent/wr.ca/ca.pem");
	assert_string_equal(wr_config_get(lc, "local", "ca_key"), "/nonexistent/wr.ca/ca.key");
	assert_string_equal(wr_config_get(lc, "local", "out_dir"), "/nonexistent/wr.ca/out");
	assert_string_equal(wr_config_get(lc, "local", "crl_days"), "3");
	/* The caller's config is not changed. */
	assert_string_equal(wr_config_get(f->cfg, "local", "ca_cert"), "/etc/real/ca.pem");
}

/* An incident that is no exercise: the real rules, untouched. */
static void test_not_exercise(void **state)
{
	struct fx *f = *state;

	assert_int_equal(wr_exec(f->db, "DELETE FROM exercise"), 0);
	assert_false(wr_exercise_active(f->db));
	assert_int_equal(wr_clock_now(f->db), f->real0);
	load_cfg(f, "[revocation]\nbackend = acme\n");
	assert_int_equal(wr_exercise_check_backend(f->db, "acme"), 0);
	assert_ptr_equal(wr_exercise_local_cfg(f->db, f->cfg), f->cfg);
	assert_int_equal(wr_exercise_pause(f->db), WR_ENOENT);
	struct wr_exercise x;
	assert_int_equal(wr_exercise_get(f->db, &x), WR_ENOENT);
}

/* The cert table's indexes and triggers, as sqlite_master has them. */
static char *cert_schema(struct wr_db *db)
{
	sqlite3_stmt *st;
	char *s;

	assert_int_equal(wr_prepare(db,
				    "SELECT group_concat(type || ' ' || name || ' ' || sql, char(10))"
				    " FROM (SELECT * FROM sqlite_master WHERE tbl_name = 'cert' AND"
				    " type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type,"
				    " name)",
				    &st),
			 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_non_null(s = strdup(wr_col_text(st, 0)));
	sqlite3_finalize(st);
	return s;
}

static int64_t q(struct wr_db *db, const char *sql)
{
	int64_t n = -1;
	assert_int_equal(wr_query_int(db, sql, &n), 0);
	return n;
}

static void test_population_bulk(void **state)
{
	struct fx *f = *state;
	/* 60,000 rows: past the bulk threshold (50,000). A named customer who
	 * acknowledged already counts in 'acknowledged' for each of its 100. */
	static const struct wr_pop_customer named[] = {{"Acked Co", NULL, false, 100}};
	struct wr_population p = {.count = 60000, .customers = 40, .critical = 0.1,
				  .expired = 0.05, .validity = {{90 * 86400, 0.5}, {3 * 86400, 0.5}},
				  .nvalidity = 2, .endpoints_min = 1, .endpoints_max = 1, .seed = 9,
				  .named = named, .nnamed = 1};
	const char *ca = unit_path(f->dir, "ca");
	int64_t now = f->real0;
	bool agree = false;

	assert_int_equal(wr_exec(f->db, "INSERT INTO customer(name, acknowledged_at, created,"
				       " updated) VALUES ('Acked Co', 1, 0, 0)"),
			 0);
	char *before = cert_schema(f->db);
	assert_int_equal(wr_population_ca(f->db, ca, now), 0);
	assert_int_equal(wr_population_fill(f->db, &p, ca, now), 0);
	char *after = cert_schema(f->db);
	assert_string_equal(after, before); /* every index and trigger back, as it was */
	free(before);
	free(after);
	/* The counters as the triggers would have left them, row by row. */
	assert_int_equal(q(f->db, "SELECT n FROM counter WHERE name = 'affected'"), 60000);
	assert_int_equal(q(f->db, "SELECT count(*) FROM cert"), 60000);
	int64_t ll = q(f->db, "SELECT n FROM counter WHERE name = 'long_lived'");
	assert_int_equal(ll, q(f->db, "SELECT count(*) FROM cert WHERE NOT"
				      " wr_short_lived(not_before, not_after)"));
	assert_true(ll > 20000 && ll < 40000); /* half of them live 3 days: short-lived */
	assert_int_equal(q(f->db, "SELECT n FROM counter WHERE name = 'acknowledged'"), 100);
	assert_int_equal(q(f->db, "SELECT n FROM counter WHERE name = 'unchecked'"), 0);
	assert_int_equal(q(f->db, "SELECT n FROM counter WHERE name = 'revoked'"), 0);
	assert_int_equal(wr_tally_check(f->db, &agree), 0);
	assert_true(agree);
	/* The indexes serve again, and the triggers count the next row. */
	assert_int_equal(q(f->db, "SELECT count(*) FROM cert INDEXED BY cert_customer WHERE"
				  " customer = 'Acked Co'"),
			 100);
	unit_add_cert(f->db, "0ABC", "Acked Co", now);
	assert_int_equal(q(f->db, "SELECT n FROM counter WHERE name = 'affected'"), 60001);
	assert_int_equal(q(f->db, "SELECT n FROM counter WHERE name = 'acknowledged'"), 101);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_formula),
	    cmocka_unit_test_setup_teardown(test_simulated_now, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rebase, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_facilitator, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backend, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_exercise, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_population_bulk, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
