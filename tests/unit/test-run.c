/* Unit tests for core/run.c: a run begun, its progress and rate, its end;
 * requests (pause, resume, cancel) and who may make them, recorded as
 * events; wr_run_check acting on them, a pause waiting for a resume or a
 * cancel made by another connection; a run whose process is gone shown
 * as died, refused requests and marked died by the next run; a write
 * past the busy timeout failing at once with WR_EBUSY. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"

struct fx {
	char dir[64];
	char path[96];
	struct wr_db *db;
	struct wr_config *cfg;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char err[256];

	unit_db_create(f->dir, f->path, &f->db, "2026-11-25T08:00:00Z", "Runs", NULL, "alice");
	const char *conf = "[users]\nalice = management\nbob = revocation\ncarol = replacement\n";
	write_file(unit_path(f->dir, "warroom.conf"), conf, strlen(conf));
	assert_int_equal(wr_config_load(unit_path(f->dir, "warroom.conf"), &f->cfg, err, sizeof err),
			 0);
	wr_db_set_config(f->db, f->cfg);
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

/* The runs a listing gave, copied out of the callback. */
struct seen {
	int n;
	struct {
		int64_t id, total, done, failed, seconds_left, started_at, ended_at;
		double rate;
		char kind[16], args[64], by[16], state[16], request[16], requested_by[16],
			error[64];
		bool live;
	} r[8];
};

static int seen_cb(const struct wr_run *r, void *arg)
{
	struct seen *s = arg;
	if (s->n == 8)
		return 0;
	s->r[s->n].id = r->id;
	s->r[s->n].total = r->total;
	s->r[s->n].done = r->done;
	s->r[s->n].failed = r->failed;
	s->r[s->n].rate = r->rate;
	s->r[s->n].seconds_left = r->seconds_left;
	s->r[s->n].started_at = r->started_at;
	s->r[s->n].ended_at = r->ended_at;
	s->r[s->n].live = r->live;
	snprintf(s->r[s->n].kind, 16, "%s", r->kind);
	snprintf(s->r[s->n].args, 64, "%s", r->args);
	snprintf(s->r[s->n].by, 16, "%s", r->started_by);
	snprintf(s->r[s->n].state, 16, "%s", r->state);
	snprintf(s->r[s->n].request, 16, "%s", r->request ? r->request : "");
	snprintf(s->r[s->n].requested_by, 16, "%s", r->requested_by ? r->requested_by : "");
	snprintf(s->r[s->n].error, 64, "%s", r->last_error ? r->last_error : "");
	s->n++;
	return 0;
}

static struct seen live(struct wr_db *db)
{
	struct seen s = {0};
	assert_int_equal(wr_run_foreach(db, WR_RUNS_LIVE, seen_cb, &s), 0);
	return s;
}

static void sql(struct wr_db *db, const char *q) { assert_int_equal(wr_exec(db, q), 0); }

static char *newest_event(struct wr_db *db, char *action, size_t n)
{
	static char details[256];
	sqlite3_stmt *st;

	assert_int_equal(wr_prepare(db, "SELECT action, actor, details FROM event"
					" ORDER BY id DESC LIMIT 1", &st), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(action, n, "%s/%s", wr_col_text(st, 0), wr_col_text(st, 1));
	snprintf(details, sizeof details, "%s", wr_col_text(st, 2));
	sqlite3_finalize(st);
	return details;
}

static void test_begin_progress_end(void **state)
{
	struct fx *f = *state;
	struct seen s;
	int64_t id = 0;

	wr_db_set_actor(f->db, "bob");
	assert_int_equal(wr_run_begin(f->db, "revoke", "through the exec backend", 3000, &id), 0);
	assert_true(id > 0);
	s = live(f->db);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.r[0].id, id);
	assert_string_equal(s.r[0].kind, "revoke");
	assert_string_equal(s.r[0].args, "through the exec backend");
	assert_string_equal(s.r[0].by, "bob");
	assert_string_equal(s.r[0].state, "running");
	assert_true(s.r[0].live);
	assert_int_equal(s.r[0].total, 3000);
	assert_int_equal(s.r[0].done, 0);
	assert_int_equal(s.r[0].started_at, 1795593600); /* the incident's clock */
	assert_int_equal(s.r[0].seconds_left, -1);	  /* no rate yet */

	/* The first progress is written; later ones at most every 0.1 s,
	 * and the newest always when the run ends. */
	assert_int_equal(wr_run_progress(f->db, id, 1000, 3, "0A: refused\x1b[2J"), 0);
	s = live(f->db);
	assert_int_equal(s.r[0].done, 1000);
	assert_int_equal(s.r[0].failed, 3);
	assert_int_equal(wr_run_progress(f->db, id, 2000, 4, NULL), 0);
	s = live(f->db);
	/* The newest error stays until another replaces it. */
	assert_string_equal(s.r[0].error, "0A: refused\x1b[2J");

	/* The rate is done per second of work: 2000 in 4 s, 1000 left. */
	sql(f->db, "UPDATE run SET elapsed_ms = 4000, done = 2000");
	s = live(f->db);
	assert_true(s.r[0].rate > 499.9 && s.r[0].rate < 500.1);
	assert_int_equal(s.r[0].seconds_left, 2);

	assert_int_equal(wr_run_total(f->db, id, 2500), 0);
	assert_int_equal(wr_run_end(f->db, id, "finished"), WR_EINVAL);
	assert_int_equal(wr_run_end(f->db, id, "done"), 0);
	assert_int_equal(live(f->db).n, 0);
	struct seen all = {0};
	assert_int_equal(wr_run_foreach(f->db, WR_RUNS_ALL, seen_cb, &all), 0);
	assert_int_equal(all.n, 1);
	assert_string_equal(all.r[0].state, "done");
	assert_int_equal(all.r[0].total, 2500);
	assert_int_equal(all.r[0].done, 2000);
	assert_int_equal(all.r[0].failed, 4);
	assert_false(all.r[0].live);
	assert_true(all.r[0].ended_at != 0);
	assert_int_equal(wr_run_request(f->db, id, "pause"), WR_ESTATE);
	assert_non_null(strstr(wr_db_errmsg(f->db), "has ended"));

	/* A failed run keeps the caller's error, in the row and the handle. */
	assert_int_equal(wr_run_begin(f->db, "import", "", 0, &id), 0);
	wr_err(f->db, WR_EIO, "certs/: permission denied");
	assert_int_equal(wr_run_end(f->db, id, "failed"), 0);
	assert_string_equal(wr_db_errmsg(f->db), "certs/: permission denied");
	struct seen one = {0};
	assert_int_equal(wr_run_get(f->db, id, seen_cb, &one), 0);
	assert_string_equal(one.r[0].state, "failed");
	assert_string_equal(one.r[0].error, "certs/: permission denied");
	assert_int_equal(wr_run_get(f->db, id + 1, seen_cb, &one), WR_ENOENT);

	/* Id 0 (a run that could not be recorded) is a no-op throughout. */
	assert_int_equal(wr_run_progress(f->db, 0, 1, 0, NULL), 0);
	assert_int_equal(wr_run_check(f->db, 0, NULL), WR_RUN_GO);
	assert_int_equal(wr_run_end(f->db, 0, "done"), 0);
	assert_int_equal(wr_run_begin(f->db, "", "", 0, &id), WR_EINVAL);
	assert_int_equal(id, 0);
}

static void test_requests(void **state)
{
	struct fx *f = *state;
	char action[64], by[64];
	int64_t id;

	wr_db_set_actor(f->db, "bob");
	assert_int_equal(wr_run_begin(f->db, "revoke", "", 10, &id), 0);
	assert_int_equal(wr_run_check(f->db, id, by), WR_RUN_GO);

	/* carol (replacement) may not touch the revocation team's run. */
	wr_db_set_actor(f->db, "carol");
	assert_int_equal(wr_run_request(f->db, id, "pause"), WR_EPERM);
	assert_non_null(strstr(wr_db_errmsg(f->db), "revocation"));
	assert_int_equal(wr_run_request(f->db, id + 9, "pause"), WR_ENOENT);
	assert_int_equal(wr_run_request(f->db, id, "stop"), WR_EINVAL);

	/* alice (Management) pauses it; on record as run-pause. */
	wr_db_set_actor(f->db, "alice");
	assert_int_equal(wr_run_request(f->db, id, "pause"), 0);
	char *d = newest_event(f->db, action, sizeof action);
	assert_string_equal(action, "run-pause/alice");
	assert_non_null(strstr(d, "\"kind\":\"revoke\""));
	assert_true(strstr(d, "\"run\":") != NULL);
	struct seen s = live(f->db);
	assert_string_equal(s.r[0].request, "pause");
	assert_string_equal(s.r[0].requested_by, "alice");
	assert_int_equal(wr_run_request(f->db, id, "pause"), WR_ESTATE);
	assert_non_null(strstr(wr_db_errmsg(f->db), "paused already"));

	/* A resume before the engine saw the pause withdraws it. */
	wr_db_set_actor(f->db, "bob");
	assert_int_equal(wr_run_request(f->db, id, "resume"), 0);
	newest_event(f->db, action, sizeof action);
	assert_string_equal(action, "run-resume/bob");
	s = live(f->db);
	assert_string_equal(s.r[0].request, "");
	assert_string_equal(s.r[0].state, "running");
	assert_int_equal(wr_run_request(f->db, id, "resume"), WR_ESTATE);
	assert_non_null(strstr(wr_db_errmsg(f->db), "not paused"));
	assert_int_equal(wr_run_check(f->db, id, by), WR_RUN_GO);

	/* A cancel stops the engine at its next check, and says by whom. */
	wr_db_set_actor(f->db, "alice");
	assert_int_equal(wr_run_request(f->db, id, "cancel"), 0);
	newest_event(f->db, action, sizeof action);
	assert_string_equal(action, "run-cancel/alice");
	assert_int_equal(wr_run_request(f->db, id, "pause"), WR_ESTATE);
	assert_non_null(strstr(wr_db_errmsg(f->db), "cancelled already"));
	assert_int_equal(wr_run_check(f->db, id, by), WR_RUN_STOP);
	assert_string_equal(by, "alice");
	assert_int_equal(wr_run_end(f->db, id, "cancelled"), 0);

	/* carol may stop a run she started herself, whatever its kind. */
	wr_db_set_actor(f->db, "carol");
	assert_int_equal(wr_run_begin(f->db, "revoke", "", 10, &id), 0);
	assert_int_equal(wr_run_request(f->db, id, "cancel"), 0);
	assert_int_equal(wr_run_end(f->db, id, "cancelled"), 0);
	assert_string_equal(wr_run_team("revoke"), "revocation");
	assert_string_equal(wr_run_team("notify"), "customer-relations");
	assert_null(wr_run_team("anything"));
}

/* Another process, played by a thread on its own connection: waits until
 * the run shows paused, then makes its request. */
struct other {
	const char *path;
	int64_t id;
	const char *what;
	bool saw_paused;
	int rc;
};

static int state_cb(const struct wr_run *r, void *arg)
{
	snprintf(arg, 16, "%s", r->state);
	return 0;
}

static void *other_main(void *arg)
{
	struct other *o = arg;
	struct wr_db *db = NULL;
	char st[16] = "";

	o->rc = wr_db_open(o->path, 0, &db);
	wr_db_set_actor(db, "alice");
	/* Bounded: 20 s at most, then the test fails rather than hangs. */
	for (int i = 0; o->rc == 0 && i < 2000; i++) {
		if (wr_run_get(db, o->id, state_cb, st) == 0 && strcmp(st, "paused") == 0) {
			o->saw_paused = true;
			break;
		}
		struct timespec ts = {0, 10000000L};
		nanosleep(&ts, NULL);
	}
	if (o->rc == 0)
		o->rc = wr_run_request(db, o->id, o->what);
	wr_db_close(db);
	return NULL;
}

static void pause_then(struct fx *f, const char *what, int want)
{
	struct other o = {.path = f->path, .what = what};
	pthread_t t;
	char by[64];

	wr_db_set_actor(f->db, "bob");
	assert_int_equal(wr_run_begin(f->db, "revoke", "", 10, &o.id), 0);
	assert_int_equal(wr_run_progress(f->db, o.id, 5, 0, NULL), 0);
	assert_int_equal(wr_run_progress(f->db, o.id, 9, 1, NULL), 0);
	assert_int_equal(wr_run_request(f->db, o.id, "pause"), 0);
	assert_int_equal(pthread_create(&t, NULL, other_main, &o), 0);
	assert_int_equal(wr_run_check(f->db, o.id, by), want);
	pthread_join(t, NULL);
	assert_int_equal(o.rc, 0);
	assert_true(o.saw_paused);
	if (want == WR_RUN_STOP)
		assert_string_equal(by, "alice");
	char st[16];
	assert_int_equal(wr_run_get(f->db, o.id, state_cb, st), 0);
	assert_string_equal(st, want == WR_RUN_GO ? "running" : "paused");
	/* Paused, the row showed the newest count, held back or not. */
	struct seen s = {0};
	assert_int_equal(wr_run_get(f->db, o.id, seen_cb, &s), 0);
	assert_int_equal(s.r[0].done, 9);
	assert_int_equal(s.r[0].failed, 1);
	assert_int_equal(wr_run_end(f->db, o.id, want == WR_RUN_GO ? "done" : "cancelled"), 0);
}

static void test_pause_waits(void **state)
{
	struct fx *f = *state;

	pause_then(f, "resume", WR_RUN_GO);
	pause_then(f, "cancel", WR_RUN_STOP);
}

static void test_died(void **state)
{
	struct fx *f = *state;
	char q[160];
	int64_t id, id2;
	pid_t pid;

	/* A process that has exited and been reaped: its pid names nobody. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);

	wr_db_set_actor(f->db, "bob");
	assert_int_equal(wr_run_begin(f->db, "revoke", "", 10, &id), 0);
	snprintf(q, sizeof q, "UPDATE run SET pid = %ld WHERE id = %lld", (long)pid, (long long)id);
	sql(f->db, q);
	struct seen s = live(f->db);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.r[0].state, "died");
	assert_false(s.r[0].live);
	assert_int_equal(s.r[0].seconds_left, -1);
	assert_int_equal(wr_run_request(f->db, id, "cancel"), WR_ESTATE);
	assert_non_null(strstr(wr_db_errmsg(f->db), "died"));

	/* Our own pid with another start time: a reused pid, dead too. */
	assert_int_equal(wr_run_begin(f->db, "verify", "", 0, &id2), 0);
	snprintf(q, sizeof q, "UPDATE run SET proc_start = proc_start + 1 WHERE id = %lld",
		 (long long)id2);
	sql(f->db, q);
	s = live(f->db);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.r[1].state, "died");

	/* On another host: alive while it shows signs of life. */
	snprintf(q, sizeof q, "UPDATE run SET host = 'elsewhere', proc_start = NULL,"
			      " updated_at = %lld WHERE id = %lld", (long long)time(NULL),
		 (long long)id2);
	sql(f->db, q);
	s = live(f->db);
	assert_string_equal(s.r[1].state, "running");
	assert_true(s.r[1].live);
	snprintf(q, sizeof q, "UPDATE run SET updated_at = %lld WHERE id = %lld",
		 (long long)time(NULL) - 601, (long long)id2);
	sql(f->db, q);
	s = live(f->db);
	assert_string_equal(s.r[1].state, "died");

	/* The next run marks them died in the table; they block nothing. */
	int64_t id3;
	assert_int_equal(wr_run_begin(f->db, "revoke", "", 10, &id3), 0);
	int64_t n = 0;
	assert_int_equal(wr_query_int(f->db, "SELECT count(*) FROM run WHERE state = 'died'"
					     " AND ended_at IS NOT NULL", &n), 0);
	assert_int_equal(n, 2);
	s = live(f->db);
	assert_int_equal(s.n, 3); /* two died within the hour, one running */
	assert_string_equal(s.r[2].state, "running");
	/* Died an hour ago: out of the live listing. */
	snprintf(q, sizeof q, "UPDATE run SET updated_at = %lld WHERE state = 'died'",
		 (long long)time(NULL) - 3601);
	sql(f->db, q);
	assert_int_equal(live(f->db).n, 1);
	assert_int_equal(wr_run_end(f->db, id3, "done"), 0);
}

/* A write that finds another writer past the busy timeout fails at once
 * with WR_EBUSY, and says so once (the console retries on its tick). */
static void test_busy(void **state)
{
	struct fx *f = *state;
	sqlite3 *other;
	int64_t id = 0;

	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	wr_db_set_busy_timeout(f->db, 10);
	assert_false(wr_db_was_busy(f->db));
	assert_int_equal(wr_run_begin(f->db, "revoke", "", 1, &id), WR_EBUSY);
	assert_int_equal(id, 0);
	assert_non_null(strstr(wr_db_errmsg(f->db), "another process is writing"));
	assert_true(wr_db_was_busy(f->db));
	assert_false(wr_db_was_busy(f->db));
	/* Reading never waits: WAL. */
	struct seen s = live(f->db);
	assert_int_equal(s.n, 0);
	assert_false(wr_db_was_busy(f->db));
	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(wr_run_begin(f->db, "revoke", "", 1, &id), 0);
	assert_int_equal(wr_run_end(f->db, id, "done"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_begin_progress_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_died, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
