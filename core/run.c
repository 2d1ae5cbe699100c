/*
 * run.c: runs, the long commands every console sees.
 *
 * Owns the run table (data/migrate-005.sql): a run is begun by the process
 * that does the work (the revocation engine, import, verify, crl), which
 * records its progress after each batch and ends it; anyone allowed
 * records a request (pause, resume, cancel) that the engine acts on
 * between batches, in wr_run_check, so a batch is never cut and nothing
 * is lost. Liveness is judged from the process, as revoke.c judges its
 * claims: on this host the pid and its start time, elsewhere a lease on
 * the last sign of life. A dead run shows as died and holds nothing: the
 * work it left is the next run's.
 *
 * Must not: wait on a lock when only reading (wr_run_foreach is called
 * by every console frame), or cost a revocation more than one UPDATE by
 * primary key per batch.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* A run on another host is presumed dead after this long without a sign
 * of life; a paused run gives one every PAUSE_BEAT seconds. */
#define RUN_LEASE 600
#define PAUSE_BEAT 10
/* Died runs stay in the default listing (and the banner) this long. */
#define DIED_SHOWN 3600

static const struct {
	const char *kind, *team;
} kind_teams[] = {
	{"revoke", "revocation"}, {"crl", "revocation"},	{"verify", "revocation"},
	{"import", "revocation"}, {"probe", "replacement"}, {"notify", "customer-relations"},
};

const char *wr_run_team(const char *kind)
{
	for (size_t i = 0; kind && i < sizeof kind_teams / sizeof kind_teams[0]; i++)
		if (strcmp(kind_teams[i].kind, kind) == 0)
			return kind_teams[i].team;
	return NULL;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

long long wr_proc_start(long pid)
{
	char path[64], buf[1024];
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "re")))
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: skip past the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	p++;
	for (int field = 3; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoll(p + 1, NULL, 10) : -1;
}

void wr_claim_self(char *buf, size_t n)
{
	char host[128] = "localhost";

	gethostname(host, sizeof host - 1);
	snprintf(buf, n, "%s:%ld:%lld", host, (long)getpid(), wr_proc_start((long)getpid()));
}

enum wr_claim_state wr_claim_state(const char *claim)
{
	char host[128] = "localhost";
	const char *c1, *c0;

	if (!claim || !(c1 = strrchr(claim, ':')) || c1 == claim)
		return WR_CLAIM_DEAD;
	gethostname(host, sizeof host - 1);
	for (c0 = c1 - 1; c0 > claim && *c0 != ':'; c0--)
		;
	if ((size_t)(c0 - claim) != strlen(host) || strncmp(claim, host, strlen(host)) != 0)
		return WR_CLAIM_ELSEWHERE;
	long pid = strtol(c0 + 1, NULL, 10);
	long long start = strtoll(c1 + 1, NULL, 10);
	return pid <= 0 || wr_proc_start(pid) != start ? WR_CLAIM_DEAD : WR_CLAIM_ALIVE;
}

int wr_claims_settle(struct wr_db *db, const char *table, const char *doing, const char *peer,
		     int64_t now)
{
	sqlite3_stmt *q = NULL, *u = NULL;
	char sql[160];
	int rc;

	if ((rc = wr_tx_begin(db)))
		return rc;
	snprintf(sql, sizeof sql, "SELECT id, claim FROM %s WHERE state = 'sending'", table);
	if ((rc = wr_prepare(db, sql, &q)))
		goto out;
	snprintf(sql, sizeof sql,
		 "UPDATE %s SET state = 'unknown', error = ?2 WHERE id = ?1 AND state = 'sending'",
		 table);
	if ((rc = wr_prepare(db, sql, &u)))
		goto out;
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (wr_claim_state(wr_col_text(q, 1)) != WR_CLAIM_DEAD)
			continue;
		char t[WR_TIME_BUFSZ], why[200];
		snprintf(why, sizeof why, "the %s process died (found at %s): %s may or may not have it",
			 doing, wr_time_format(now, t), peer);
		sqlite3_reset(u);
		sqlite3_bind_int64(u, 1, sqlite3_column_int64(q, 0));
		sqlite3_bind_text(u, 2, why, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(u) != SQLITE_DONE) {
			rc = wr_err_sq(db, "settling what a dead process was sending");
			goto out;
		}
	}
out:
	sqlite3_finalize(q);
	sqlite3_finalize(u);
	if (rc) {
		wr_tx_rollback(db);
		return rc;
	}
	return wr_tx_commit(db);
}

static void host_name(char *buf, size_t n)
{
	snprintf(buf, n, "localhost");
	if (gethostname(buf, n - 1) != 0)
		snprintf(buf, n, "localhost");
	buf[n - 1] = '\0';
}

/* A run marked running or paused whose process is gone. */
static bool run_dead(const char *host, int64_t pid, int64_t start, int64_t updated_at)
{
	char me[256];

	host_name(me, sizeof me);
	if (!host || strcmp(host, me) != 0)
		return (int64_t)time(NULL) - updated_at > RUN_LEASE;
	if (pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH))
		return true;
	return start > 0 && wr_proc_start((long)pid) != start;
}

/*
 * The runs this process does: their working time, pauses left out, is
 * the basis of the rate. A handful at most (a command does one).
 */
#define MINE 16
static struct mine {
	int64_t id;
	double t0, paused;
	double written;	      /* when progress was last written */
	int64_t done, failed; /* the newest progress, written or not */
} mine[MINE];
/* Progress is written at most this often (the newest always at the end):
 * a commit costs about 0.1 ms, a thousand batches of a million 0.1 s. */
#define PROGRESS_EVERY 0.1
static unsigned mine_next;

static struct mine *mine_find(int64_t id)
{
	for (int i = 0; i < MINE; i++)
		if (mine[i].id == id)
			return &mine[i];
	return NULL;
}

static int64_t elapsed_ms(int64_t id)
{
	struct mine *m = mine_find(id);
	double ms = m ? (mono() - m->t0 - m->paused) * 1e3 : 0;
	return ms > 0 ? (int64_t)ms : 0;
}

/* Marks the runs whose process is gone as died (inside the caller's
 * transaction). */
static int reap(struct wr_db *db)
{
	sqlite3_stmt *sel, *upd = NULL;
	int rc;

	if ((rc = wr_prepare(db, "SELECT id, host, pid, proc_start, updated_at FROM run"
				 " WHERE state IN ('running', 'paused')", &sel)))
		return rc;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		if (!run_dead(wr_col_text(sel, 1), wr_col_i64(sel, 2), wr_col_i64(sel, 3),
			      wr_col_i64(sel, 4)))
			continue;
		if (!upd && (rc = wr_prepare(db, "UPDATE run SET state = 'died', ended_at = ?,"
						 " request = NULL WHERE id = ?", &upd)))
			break;
		sqlite3_reset(upd);
		sqlite3_bind_int64(upd, 1, wr_clock_now(db));
		sqlite3_bind_int64(upd, 2, sqlite3_column_int64(sel, 0));
		if (sqlite3_step(upd) != SQLITE_DONE) {
			rc = wr_err_sq(db, "marking a dead run");
			break;
		}
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc == SQLITE_ROW || rc > 0)
		rc = wr_err_sq(db, "reading runs");
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	return rc;
}

int wr_run_begin(struct wr_db *db, const char *kind, const char *args, int64_t total,
		 int64_t *id)
{
	char host[256];
	sqlite3_stmt *st;
	int rc;

	*id = 0;
	if (!kind || !*kind)
		return wr_err(db, WR_EINVAL, "a run needs a kind");
	host_name(host, sizeof host);
	if ((rc = wr_tx_begin(db)))
		return rc;
	if ((rc = reap(db)))
		goto fail;
	if ((rc = wr_prepare(db, "INSERT INTO run(kind, args, started_by, started_at, host, pid,"
				 " proc_start, total, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			     &st)))
		goto fail;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, args ? args : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, db->actor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, wr_clock_now(db));
	sqlite3_bind_text(st, 5, host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (int64_t)getpid());
	sqlite3_bind_int64(st, 7, wr_proc_start((long)getpid()));
	sqlite3_bind_int64(st, 8, total > 0 ? total : 0);
	sqlite3_bind_int64(st, 9, (int64_t)time(NULL));
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "recording the run");
	sqlite3_finalize(st);
	if (rc)
		goto fail;
	int64_t new_id = sqlite3_last_insert_rowid(db->sq);
	if ((rc = wr_tx_commit(db)))
		return rc;
	struct mine *m = &mine[mine_next++ % MINE];
	m->id = new_id;
	m->t0 = mono();
	m->paused = 0;
	m->written = 0;
	m->done = m->failed = 0;
	*id = new_id;
	return 0;
fail:
	wr_tx_rollback(db);
	return rc;
}

/* One UPDATE of run id with up to two integers and a text, autocommitted
 * (or in the caller's transaction): ?1 id, ?2 ?3 integers, ?4 text, ?5
 * the working time, ?6 the machine's clock. */
static int run_update(struct wr_db *db, int64_t id, const char *sql, int64_t a, int64_t b,
		      const char *text)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_prepare(db, sql, &st)))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, a);
	sqlite3_bind_int64(st, 3, b);
	if (text)
		sqlite3_bind_text(st, 4, text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, elapsed_ms(id));
	sqlite3_bind_int64(st, 6, (int64_t)time(NULL));
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "updating the run");
	sqlite3_finalize(st);
	return rc;
}

int wr_run_total(struct wr_db *db, int64_t id, int64_t total)
{
	if (id <= 0)
		return 0;
	return run_update(db, id, "UPDATE run SET total = ?2, updated_at = ?6 WHERE id = ?1",
			  total > 0 ? total : 0, 0, NULL);
}

int wr_run_progress(struct wr_db *db, int64_t id, int64_t done, int64_t failed,
		    const char *last_error)
{
	char *e = NULL;
	int rc;

	if (id <= 0)
		return 0;
	struct mine *m = mine_find(id);
	if (m) {
		m->done = done;
		m->failed = failed;
		if (!last_error && mono() - m->written < PROGRESS_EVERY)
			return 0;
		m->written = mono();
	}
	/* A backend's message is anyone's bytes: stored as valid UTF-8. */
	if (last_error && !(e = wr_utf8_sanitize(last_error, strlen(last_error))))
		return wr_err(db, WR_ENOMEM, "out of memory");
	rc = run_update(db, id,
			"UPDATE run SET done = ?2, failed = ?3, last_error = coalesce(?4, last_error),"
			" elapsed_ms = max(elapsed_ms, ?5), updated_at = ?6 WHERE id = ?1",
			done, failed, e);
	free(e);
	return rc;
}

int wr_run_end(struct wr_db *db, int64_t id, const char *state)
{
	char saved[sizeof db->errmsg];
	sqlite3_stmt *st;
	bool failed;
	int rc;

	if (id <= 0)
		return 0;
	if (!state || (strcmp(state, "done") && strcmp(state, "cancelled") && strcmp(state, "failed")))
		return wr_err(db, WR_EINVAL, "a run ends done, cancelled or failed");
	failed = strcmp(state, "failed") == 0;
	/* The caller's error is what matters: it survives the bookkeeping. */
	memcpy(saved, db->errmsg, sizeof saved);
	struct mine *m = mine_find(id);
	rc = wr_prepare(db, "UPDATE run SET state = ?2, ended_at = ?3, request = NULL,"
			    " last_error = coalesce(?4, last_error),"
			    " elapsed_ms = max(elapsed_ms, ?5), updated_at = ?6,"
			    " done = coalesce(?7, done), failed = coalesce(?8, failed) WHERE id = ?1",
			&st);
	if (!rc) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, wr_clock_now(db));
		char *e = failed && saved[0] ? wr_utf8_sanitize(saved, strlen(saved)) : NULL;
		if (e)
			sqlite3_bind_text(st, 4, e, -1, SQLITE_TRANSIENT);
		free(e);
		sqlite3_bind_int64(st, 5, elapsed_ms(id));
		sqlite3_bind_int64(st, 6, (int64_t)time(NULL));
		/* The newest progress, which the throttle may have held back. */
		if (m && m->written) {
			sqlite3_bind_int64(st, 7, m->done);
			sqlite3_bind_int64(st, 8, m->failed);
		}
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "ending the run");
		sqlite3_finalize(st);
	}
	if (m)
		m->id = 0;
	if (!rc || saved[0])
		memcpy(db->errmsg, saved, sizeof saved);
	return rc;
}

int wr_run_request(struct wr_db *db, int64_t id, const char *what)
{
	sqlite3_stmt *st;
	char kind[32] = "", starter[64] = "", state[16] = "", request[16] = "";
	const char *set;
	int rc;

	if (!what || (strcmp(what, "pause") && strcmp(what, "resume") && strcmp(what, "cancel")))
		return wr_err(db, WR_EINVAL, "a run can be paused, resumed or cancelled");
	if ((rc = wr_tx_begin(db)))
		return rc;
	if ((rc = reap(db)) ||
	    (rc = wr_prepare(db, "SELECT kind, started_by, state, coalesce(request, '') FROM run"
				 " WHERE id = ?", &st)))
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(kind, sizeof kind, "%s", wr_col_text(st, 0));
		snprintf(starter, sizeof starter, "%s", wr_col_text(st, 1));
		snprintf(state, sizeof state, "%s", wr_col_text(st, 2));
		snprintf(request, sizeof request, "%s", wr_col_text(st, 3));
	}
	sqlite3_finalize(st);
	if (!kind[0]) {
		rc = wr_err(db, WR_ENOENT, "no run %lld ('warroom runs' lists them)", (long long)id);
		goto fail;
	}
	/* The starter may stop their own run; else Management or the team
	 * whose work it is. */
	if (strcmp(starter, db->actor) != 0 && (rc = wr_auth_team(db, wr_run_team(kind))))
		goto fail;
	if (strcmp(state, "running") && strcmp(state, "paused")) {
		rc = wr_err(db, WR_ESTATE, "run %lld (%s) has %s: nothing to %s", (long long)id, kind,
			    strcmp(state, "died") == 0 ? "died (its process is gone)" : "ended",
			    what);
		goto fail;
	}
	if (strcmp(request, "cancel") == 0) {
		rc = wr_err(db, WR_ESTATE, "run %lld (%s) is being cancelled already", (long long)id,
			    kind);
		goto fail;
	}
	set = what;
	if (strcmp(what, "pause") == 0) {
		if (!strcmp(state, "paused") || !strcmp(request, "pause")) {
			rc = wr_err(db, WR_ESTATE, "run %lld (%s) is paused already", (long long)id, kind);
			goto fail;
		}
	} else if (strcmp(what, "resume") == 0) {
		if (!strcmp(state, "running") && strcmp(request, "pause")) {
			rc = wr_err(db, WR_ESTATE, "run %lld (%s) is not paused", (long long)id, kind);
			goto fail;
		}
		/* A pause the engine has not seen yet is simply withdrawn. */
		if (!strcmp(state, "running"))
			set = NULL;
	}
	if ((rc = wr_prepare(db, "UPDATE run SET request = ?2, requested_by = ?3 WHERE id = ?1",
			     &st)))
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	if (set)
		sqlite3_bind_text(st, 2, set, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, db->actor, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "recording the request");
	sqlite3_finalize(st);
	if (rc)
		goto fail;
	char action[16];
	snprintf(action, sizeof action, "run-%s", what);
	if ((rc = wr_event_add_json(db, action, json_pack("{s:I, s:s}", "run", (json_int_t)id,
							   "kind", kind))))
		goto fail;
	return wr_tx_commit(db);
fail:
	wr_tx_rollback(db);
	return rc;
}

/* The run's request and who made it; "" when none. */
static int read_request(struct wr_db *db, int64_t id, char *req, size_t n, char *by)
{
	sqlite3_stmt *st;
	int rc;

	req[0] = '\0';
	if ((rc = wr_prepare(db, "SELECT coalesce(request, ''), coalesce(requested_by, '')"
				 " FROM run WHERE id = ?", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(req, n, "%s", wr_col_text(st, 0));
		if (by)
			snprintf(by, 64, "%s", wr_col_text(st, 1));
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? WR_ENOENT : wr_err_sq(db, "reading the run");
	}
	sqlite3_finalize(st);
	return rc;
}

int wr_run_check(struct wr_db *db, int64_t id, char *by)
{
	char req[16];
	int rc;

	if (by)
		by[0] = '\0';
	if (id <= 0)
		return WR_RUN_GO;
	if ((rc = read_request(db, id, req, sizeof req, by)))
		return rc == WR_ENOENT ? WR_RUN_GO : rc;
	if (strcmp(req, "cancel") == 0)
		return WR_RUN_STOP;
	if (strcmp(req, "resume") == 0)
		return run_update(db, id, "UPDATE run SET request = NULL, state = 'running'"
					  " WHERE id = ?1 AND request = 'resume'", 0, 0, NULL);
	if (strcmp(req, "pause") != 0)
		return WR_RUN_GO;

	/* Paused: between batches, nothing claimed. Wait for a resume or a
	 * cancel, showing a sign of life now and then. */
	double t0 = mono(), beat = t0;
	struct mine *m = mine_find(id);
	/* Paused, the row shows the true count: the newest progress too. */
	if ((rc = run_update(db, id, "UPDATE run SET state = 'paused', request = NULL,"
				     " done = CASE WHEN ?2 >= 0 THEN ?2 ELSE done END,"
				     " failed = CASE WHEN ?3 >= 0 THEN ?3 ELSE failed END,"
				     " elapsed_ms = max(elapsed_ms, ?5), updated_at = ?6"
				     " WHERE id = ?1 AND request = 'pause'",
			     m && m->written ? m->done : -1, m && m->written ? m->failed : -1, NULL)))
		return rc;
	for (;;) {
		struct timespec ts = {0, WR_RUN_POLL_MS * 1000000L};
		nanosleep(&ts, NULL);
		if ((rc = read_request(db, id, req, sizeof req, by)) && rc != WR_EBUSY) {
			if (rc == WR_ENOENT) /* the row is gone: the work goes on */
				rc = WR_RUN_GO;
			break;
		}
		if (rc == 0 && strcmp(req, "cancel") == 0) {
			rc = WR_RUN_STOP;
			break;
		}
		if (rc == 0 && strcmp(req, "resume") == 0) {
			rc = run_update(db, id, "UPDATE run SET request = NULL, state = 'running',"
						" updated_at = ?6 WHERE id = ?1", 0, 0, NULL);
			if (rc != WR_EBUSY)
				break;
		}
		if (mono() - beat >= PAUSE_BEAT &&
		    run_update(db, id, "UPDATE run SET updated_at = ?6 WHERE id = ?1", 0, 0, NULL) == 0)
			beat = mono();
	}
	if ((m = mine_find(id)))
		m->paused += mono() - t0;
	return rc;
}

/* ---- reading ------------------------------------------------------------------ */

#define RUN_COLS                                                                              \
	"SELECT id, kind, args, started_by, host, pid, proc_start, started_at, ended_at,"      \
	" updated_at, total, done, failed, elapsed_ms, state, request, requested_by,"          \
	" last_error FROM run"

static int emit(sqlite3_stmt *st, bool live_only, wr_run_cb cb, void *ctx)
{
	struct wr_run r;
	int64_t elapsed;

	memset(&r, 0, sizeof r);
	r.id = sqlite3_column_int64(st, 0);
	r.kind = wr_col_text(st, 1);
	r.args = wr_col_text(st, 2);
	r.started_by = wr_col_text(st, 3);
	r.host = wr_col_text(st, 4);
	r.pid = wr_col_i64(st, 5);
	r.started_at = wr_col_i64(st, 7);
	r.ended_at = wr_col_i64(st, 8);
	r.updated_at = wr_col_i64(st, 9);
	r.total = wr_col_i64(st, 10);
	r.done = wr_col_i64(st, 11);
	r.failed = wr_col_i64(st, 12);
	elapsed = wr_col_i64(st, 13);
	r.state = wr_col_text(st, 14);
	r.request = wr_col_text(st, 15);
	r.requested_by = wr_col_text(st, 16);
	r.last_error = wr_col_text(st, 17);
	r.live = strcmp(r.state, "running") == 0 || strcmp(r.state, "paused") == 0;
	if (r.live && run_dead(r.host, r.pid, wr_col_i64(st, 6), r.updated_at)) {
		r.live = false;
		r.state = "died";
		r.request = NULL;
		if (live_only && r.updated_at < (int64_t)time(NULL) - DIED_SHOWN)
			return 0;
	}
	r.rate = elapsed > 0 ? (double)r.done * 1e3 / (double)elapsed : 0;
	if (r.total > 0 && r.done >= r.total)
		r.seconds_left = 0;
	else if (!r.live || r.rate <= 0 || r.total <= 0)
		r.seconds_left = -1;
	else
		r.seconds_left = (int64_t)ceil((double)(r.total - r.done) / r.rate);
	return cb(&r, ctx);
}

static int each(struct wr_db *db, sqlite3_stmt *st, bool live_only, wr_run_cb cb, void *ctx)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = emit(st, live_only, cb, ctx)) != 0)
			break;
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = wr_err_sq(db, "reading runs");
	sqlite3_finalize(st);
	return rc;
}

int wr_run_foreach(struct wr_db *db, int which, wr_run_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	/* The live ones through the partial index run_live, the recently
	 * died by id from the newest: a frame's query stays a few rows. */
	if (which == WR_RUNS_ALL)
		rc = wr_prepare(db, "SELECT * FROM (" RUN_COLS " ORDER BY id DESC LIMIT 100)"
				    " ORDER BY id", &st);
	else
		rc = wr_prepare(db, RUN_COLS " WHERE state IN ('running', 'paused')"
				    " UNION " RUN_COLS " WHERE id IN (SELECT id FROM run"
				    " WHERE state = 'died' AND updated_at > ?1"
				    " ORDER BY id DESC LIMIT 20) ORDER BY 1", &st);
	if (rc)
		return rc;
	if (which != WR_RUNS_ALL)
		sqlite3_bind_int64(st, 1, (int64_t)time(NULL) - DIED_SHOWN);
	return each(db, st, which != WR_RUNS_ALL, cb, ctx);
}

int wr_run_get(struct wr_db *db, int64_t id, wr_run_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc, found = 0;

	if ((rc = wr_prepare(db, RUN_COLS " WHERE id = ?", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		found = 1;
		sqlite3_reset(st);
	}
	if (!found) {
		sqlite3_finalize(st);
		return wr_err(db, WR_ENOENT, "no run %lld ('warroom runs' lists them)", (long long)id);
	}
	return each(db, st, false, cb, ctx);
}
