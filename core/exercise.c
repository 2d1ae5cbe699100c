/*
 * exercise.c: a tabletop exercise's simulated clock and lifecycle.
 *
 * An exercise is a database like an incident's, plus one exercise row
 * (migrate-013.sql) that holds its clock: clock.c computes every
 * process's simulated now from it. Here the row is made (start) and
 * re-based: pause, resume, a change of speed and the end each set
 * sim_base to the simulated now and real_base_ms to the real now in one
 * transaction with their event, so the clock never jumps and its whole
 * history is in the audit chain. Only the facilitator runs the clock.
 *
 * An exercise never touches a real CA nor a real customer: the revocation
 * backend must be the local one, and it signs with the exercise's own
 * test CA (ca_dir, beside the database, made by wr_scenario_apply); mail
 * goes only to [exercise] smtp (notify.c). This file never draws.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

bool wr_exercise_active(struct wr_db *db)
{
	if (!db || !db->sq)
		return false;
	(void)wr_clock_now(db); /* reads the row again when it may have changed */
	return db->clock.exercise;
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

int wr_exercise_get(struct wr_db *db, struct wr_exercise *x)
{
	sqlite3_stmt *st;
	int rc;

	memset(x, 0, sizeof *x);
	if ((rc =
		 wr_prepare(db,
			    "SELECT scenario, title, scenario_sha256, sim_start, real_start, speed,"
			    " paused, ended_at, ca_dir FROM exercise WHERE one = 1",
			    &st)))
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy(x->scenario, sizeof x->scenario, wr_col_text(st, 0));
		copy(x->title, sizeof x->title, wr_col_text(st, 1));
		copy(x->scenario_sha256, sizeof x->scenario_sha256, wr_col_text(st, 2));
		x->sim_start = sqlite3_column_int64(st, 3);
		x->real_start = sqlite3_column_int64(st, 4);
		x->speed = sqlite3_column_double(st, 5);
		x->paused = sqlite3_column_int(st, 6) != 0;
		x->ended_at = wr_col_i64(st, 7);
		copy(x->ca_dir, sizeof x->ca_dir, wr_col_text(st, 8));
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = wr_err(db, WR_ENOENT,
			    "%s is not an exercise ('warroom exercise start SCENARIO' makes one)",
			    wr_db_path(db));
	} else {
		rc = wr_err_sq(db, "reading the exercise");
	}
	sqlite3_finalize(st);
	x->now = wr_clock_now(db);
	return rc;
}

/* ---- what an exercise may use --------------------------------------------------- */

static const char *cfg_where(const struct wr_config *cfg)
{
	return wr_config_path(cfg) ? wr_config_path(cfg) : "the configuration";
}

/* The refusal of a backend that talks to a real CA. */
static int backend_refused(const struct wr_config *cfg, const char *backend, char *err,
			   size_t errsz)
{
	if (!backend || strcmp(backend, "local") == 0)
		return 0;
	snprintf(err, errsz,
		 "%s: [revocation] backend = %s: an exercise revokes only through the local"
		 " backend, with its own test CA; remove that line, or give the exercise a"
		 " configuration without it (--config)",
		 cfg_where(cfg), backend);
	return WR_EINVAL;
}

int wr_exercise_check_backend(struct wr_db *db, const char *backend)
{
	char err[512];
	int rc;

	if (!wr_exercise_active(db))
		return 0;
	if ((rc = backend_refused(db->cfg, backend, err, sizeof err)))
		return wr_err(db, rc, "%s", err);
	return 0;
}

const struct wr_config *wr_exercise_local_cfg(struct wr_db *db, const struct wr_config *cfg)
{
	struct wr_exercise x;
	char p[PATH_MAX + 16];
	struct wr_config *c;

	if (!wr_exercise_active(db))
		return cfg;
	/* Made once per config: a backend may still hold the last one. */
	if (db->xcfg && db->xcfg_of == cfg)
		return db->xcfg;
	if (wr_exercise_get(db, &x) || !x.ca_dir[0])
		return cfg;
	if (!(c = wr_config_copy(cfg)))
		return NULL;
	snprintf(p, sizeof p, "%s/%s", x.ca_dir, WR_EXERCISE_CA_CERT);
	int rc = wr_config_set(c, "local", "ca_cert", p);
	snprintf(p, sizeof p, "%s/%s", x.ca_dir, WR_EXERCISE_CA_KEY);
	rc = rc ? rc : wr_config_set(c, "local", "ca_key", p);
	snprintf(p, sizeof p, "%s/%s", x.ca_dir, WR_EXERCISE_CA_OUT);
	rc = rc ? rc : wr_config_set(c, "local", "out_dir", p);
	if (rc) {
		wr_config_free(c);
		return NULL;
	}
	wr_config_free(db->xcfg);
	db->xcfg = c;
	db->xcfg_of = cfg;
	return c;
}

const char *wr_exercise_smtp(struct wr_db *db)
{
	return wr_config_get(db->cfg, "exercise", "smtp");
}

/* ---- start ------------------------------------------------------------------------ */

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb, (void)type, (void)ftw;
	return remove(path) ? -1 : 0;
}

/* Removes what a failed start made: the database with its WAL files,
 * and the CA's directory when this start made it. */
static void start_undo(const char *path, const char *ca_dir)
{
	char p[PATH_MAX + 8];

	remove(path);
	snprintf(p, sizeof p, "%s-wal", path);
	remove(p);
	snprintf(p, sizeof p, "%s-shm", path);
	remove(p);
	if (ca_dir)
		nftw(ca_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* PATH.ca, absolute: every process finds it wherever it runs. */
static int ca_dir_of(const char *path, char *out, size_t n)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return (size_t)snprintf(out, n, "%s.ca", path) < n ? 0 : -1;
	if (!getcwd(cwd, sizeof cwd))
		return -1;
	return (size_t)snprintf(out, n, "%s/%s.ca", cwd, path) < n ? 0 : -1;
}

static bool speed_ok(double s)
{
	return isfinite(s) && s >= WR_EXERCISE_SPEED_MIN && s <= WR_EXERCISE_SPEED_MAX;
}

static int insert_row(struct wr_db *db, const struct wr_scenario *sc, int64_t at, double speed,
		      const char *ca_dir)
{
	int64_t real_ms = wr_clock_real_ms(db);
	sqlite3_stmt *st;
	int rc;

	/* The config's policy is pinned by the next write, once this row
	 * exists, so that its event has the simulated time like the rest. */
	db->policy_bypass = true;
	rc = wr_tx_begin(db);
	db->policy_bypass = false;
	if (rc)
		return rc;
	/* Paused while the scenario fills the database: the clock starts
	 * when the exercise is ready (start re-bases it). */
	if ((rc =
		 wr_prepare(db,
			    "INSERT INTO exercise(one, scenario, title, scenario_sha256, sim_start,"
			    " real_start, sim_base, real_base_ms, speed, paused, ca_dir)"
			    " VALUES (1, ?1, ?2, ?3, ?4, ?5, ?4, ?6, ?7, 1, ?8)",
			    &st))) {
		wr_tx_rollback(db);
		return rc;
	}
	sqlite3_bind_text(st, 1, wr_scenario_id(sc), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, wr_scenario_title(sc), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, wr_scenario_sha256(sc), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, at ? at : real_ms / 1000);
	sqlite3_bind_int64(st, 5, real_ms / 1000);
	sqlite3_bind_int64(st, 6, real_ms);
	sqlite3_bind_double(st, 7, speed);
	sqlite3_bind_text(st, 8, ca_dir, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "recording the exercise");
	sqlite3_finalize(st);
	if (rc) {
		wr_tx_rollback(db);
		return rc;
	}
	return wr_tx_commit(db);
}

static int start_event(struct wr_db *db, const struct wr_scenario *sc, double speed)
{
	char t[WR_TIME_BUFSZ];
	int rc;

	if ((rc = wr_tx_begin(db)))
		return rc;
	json_t *d = json_pack("{s:s, s:s, s:s, s:f, s:s}", "scenario", wr_scenario_id(sc), "title",
			      wr_scenario_title(sc), "scenario_sha256", wr_scenario_sha256(sc),
			      "speed", speed, "at", wr_time_format(wr_clock_now(db), t));
	if (!d) {
		wr_tx_rollback(db);
		return wr_err(db, WR_ENOMEM, "out of memory");
	}
	if ((rc = wr_event_add_json(db, "exercise-start", d))) {
		wr_tx_rollback(db);
		return rc;
	}
	return wr_tx_commit(db);
}

/* The clock runs from the simulated instant it was held at. */
static int start_clock(struct wr_db *db)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_prepare(db, "UPDATE exercise SET paused = 0, real_base_ms = ? WHERE one = 1",
			     &st)))
		return rc;
	sqlite3_bind_int64(st, 1, wr_clock_real_ms(db));
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "starting the exercise's clock");
	sqlite3_finalize(st);
	return rc;
}

int wr_exercise_start(const char *path, const struct wr_config *cfg, const char *actor,
		      const struct wr_exercise_opts *o, char *err, size_t errsz)
{
	struct wr_scenario *sc = NULL;
	struct wr_plan *plan = NULL;
	struct wr_db *db = NULL;
	char ca_dir[PATH_MAX], name[300];
	bool made_db = false, made_ca = false;
	int rc;

	err[0] = '\0';
	if ((rc = wr_scenario_load(o->scenario, &sc, err, errsz)))
		goto out;
	if ((rc = backend_refused(cfg, wr_config_get(cfg, "revocation", "backend"), err, errsz)))
		goto out;
	double speed = o->speed > 0 ? o->speed : wr_scenario_speed(sc);
	if (!speed_ok(speed)) {
		snprintf(err, errsz, "speed %g: want %g to %g simulated seconds a second", speed,
			 WR_EXERCISE_SPEED_MIN, WR_EXERCISE_SPEED_MAX);
		rc = WR_EINVAL;
		goto out;
	}
	if ((rc = wr_plan_load(o->plan, &plan, err, errsz)))
		goto out;
	if (ca_dir_of(path, ca_dir, sizeof ca_dir)) {
		snprintf(err, errsz, "%s: path too long", path);
		rc = WR_EINVAL;
		goto out;
	}
	if ((rc = wr_db_open(path, WR_OPEN_CREATE, &db))) {
		snprintf(err, errsz, "%s", wr_db_errmsg(db));
		goto out;
	}
	made_db = true;
	wr_db_set_config(db, cfg);
	if (actor)
		wr_db_set_actor(db, actor);
	if ((rc = wr_auth_facilitator(db)))
		goto fail;
	if (mkdir(ca_dir, 0700) != 0) {
		rc = wr_err(db, errno == EEXIST ? WR_EEXIST : WR_EIO,
			    "%s: %s (the exercise's test CA goes there; remove it or choose"
			    " another database name)",
			    ca_dir, strerror(errno));
		goto fail;
	}
	made_ca = true;
	snprintf(name, sizeof name, "%s%s",
		 o->name ? "" : "Exercise: ", o->name ? o->name : wr_scenario_title(sc));
	if ((rc = insert_row(db, sc, o->at, speed, ca_dir)) ||
	    (rc = wr_incident_init(db, name, 0, plan)) || (rc = start_event(db, sc, speed)) ||
	    (rc = wr_scenario_apply(db, sc, ca_dir)) || (rc = start_clock(db)))
		goto fail;
	goto out;
fail:
	snprintf(err, errsz, "%s", wr_db_errmsg(db));
out:
	wr_db_close(db);
	if (rc && made_db)
		start_undo(path, made_ca ? ca_dir : NULL);
	wr_plan_free(plan);
	wr_scenario_free(sc);
	return rc;
}

/* ---- the clock: pause, resume, speed, end ------------------------------------------ */

enum op { OP_PAUSE, OP_RESUME, OP_SPEED, OP_END };
static const char *const op_action[] = {"exercise-pause", "exercise-resume", "exercise-speed",
					"exercise-end"};

static int rebase(struct wr_db *db, enum op op, double speed)
{
	struct wr_xclock x;
	int64_t ended = 0, real_ms, now;
	sqlite3_stmt *st;
	char t[WR_TIME_BUFSZ];
	int rc;

	if (op == OP_SPEED && !speed_ok(speed))
		return wr_err(db, WR_EINVAL, "speed %g: want %g to %g simulated seconds a second",
			      speed, WR_EXERCISE_SPEED_MIN, WR_EXERCISE_SPEED_MAX);
	if ((rc = wr_auth_facilitator(db)) || (rc = wr_tx_begin(db)))
		return rc;
	/* Read in the write transaction: another facilitator's change
	 * committed before it counts. */
	if ((rc = wr_prepare(db,
			     "SELECT sim_base, real_base_ms, speed, paused, ended_at FROM exercise"
			     " WHERE one = 1",
			     &st)))
		goto fail;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		x.sim_base = sqlite3_column_int64(st, 0);
		x.real_base_ms = sqlite3_column_int64(st, 1);
		x.speed = sqlite3_column_double(st, 2);
		x.paused = sqlite3_column_int(st, 3) != 0;
		ended = wr_col_i64(st, 4);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? wr_err(db, WR_ENOENT,
						"%s is not an exercise ('warroom exercise start"
						" SCENARIO' makes one)",
						wr_db_path(db))
				       : wr_err_sq(db, "reading the exercise");
	}
	sqlite3_finalize(st);
	if (rc)
		goto fail;
	real_ms = wr_clock_real_ms(db);
	now = wr_xclock_at(&x, real_ms);
	if (ended) {
		rc = wr_err(db, WR_ESTATE, "the exercise ended at %s: its clock stays there",
			    wr_time_format(ended, t));
		goto fail;
	}
	double from = x.speed;
	switch (op) {
	case OP_PAUSE:
		if (x.paused) {
			rc = wr_err(db, WR_ESTATE, "the exercise is paused already (at %s)",
				    wr_time_format(now, t));
			goto fail;
		}
		x.paused = true;
		break;
	case OP_RESUME:
		if (!x.paused) {
			rc = wr_err(db, WR_ESTATE, "the exercise is running already");
			goto fail;
		}
		x.paused = false;
		break;
	case OP_SPEED:
		if (speed == x.speed) {
			rc = wr_err(db, WR_ESTATE, "the exercise's clock runs at speed %g already",
				    speed);
			goto fail;
		}
		x.speed = speed;
		break;
	case OP_END:
		x.paused = true;
		ended = now;
		break;
	}
	if ((rc = wr_prepare(db,
			     "UPDATE exercise SET sim_base = ?1, real_base_ms = ?2, speed = ?3,"
			     " paused = ?4, ended_at = ?5 WHERE one = 1",
			     &st)))
		goto fail;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, real_ms);
	sqlite3_bind_double(st, 3, x.speed);
	sqlite3_bind_int(st, 4, x.paused);
	wr_bind_time(st, 5, ended);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "re-basing the exercise's clock");
	sqlite3_finalize(st);
	if (rc)
		goto fail;
	json_t *d = json_pack("{s:s, s:f}", "at", wr_time_format(now, t), "speed", x.speed);
	if (d && op == OP_SPEED)
		json_object_set_new(d, "from", json_real(from));
	if (!d) {
		rc = wr_err(db, WR_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = wr_event_add_json(db, op_action[op], d)))
		goto fail;
	return wr_tx_commit(db);
fail:
	wr_tx_rollback(db);
	return rc;
}

int wr_exercise_pause(struct wr_db *db)
{
	return rebase(db, OP_PAUSE, 0);
}
int wr_exercise_resume(struct wr_db *db)
{
	return rebase(db, OP_RESUME, 0);
}
int wr_exercise_set_speed(struct wr_db *db, double speed)
{
	return rebase(db, OP_SPEED, speed);
}
int wr_exercise_end(struct wr_db *db)
{
	return rebase(db, OP_END, 0);
}
