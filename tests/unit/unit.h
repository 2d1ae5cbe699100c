/*
 * unit.h: what the unit tests' fixtures share (header-only: each test is
 * one file). A private directory with an incident database created under
 * WARROOM_NOW, the only kind of database whose clock the tests may move,
 * initialised with the built-in plan; and its removal.
 */
#ifndef WR_UNIT_H
#define WR_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* dir[64] and path[96] are filled; now is WARROOM_NOW at creation (left
 * set for the test to move; unset it in teardown); cfg may be NULL. */
static inline void unit_db_create(char *dir, char *path, struct wr_db **db, const char *now,
				  const char *name, const struct wr_config *cfg, const char *actor)
{
	struct wr_plan *plan;
	char err[256];

	strcpy(dir, "/tmp/wr-unit-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, 96, "%s/t.db", dir);
	assert_int_equal(wr_plan_load(NULL, &plan, err, sizeof err), 0);
	setenv("WARROOM_NOW", now, 1);
	assert_int_equal(wr_db_open(path, WR_OPEN_CREATE, db), 0);
	if (cfg)
		wr_db_set_config(*db, cfg);
	wr_db_set_actor(*db, actor);
	assert_int_equal(wr_incident_init(*db, name, 100, plan), 0);
	wr_plan_free(plan);
}

/* Closes db and removes dir with everything in it. */
static inline void unit_db_remove(const char *dir, struct wr_db *db)
{
	char cmd[128];

	wr_db_close(db);
	unsetenv("WARROOM_NOW");
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* DIR/NAME in one of four rotating buffers: a call may name two paths. */
static inline const char *unit_path(const char *dir, const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
	return buf[i];
}

static inline void write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* A certificate row as import would leave it (valid from a day before now
 * for 90 days, named x.example), its hash made of its serial; customer may
 * be NULL. */
static inline void unit_add_cert(struct wr_db *db, const char *serial, const char *customer,
				 int64_t now)
{
	sqlite3_stmt *st;
	unsigned char h[32] = {0};

	snprintf((char *)h, sizeof h, "%s", serial);
	assert_int_equal(wr_prepare(db,
				    "INSERT INTO cert(sha256, serial, issuer, subject, sans,"
				    " not_before, not_after, spki_sha256, customer) VALUES"
				    " (?, ?, 'CN=CA', 'CN=x', 'x.example', ?, ?, ?, ?)",
				    &st),
			 0);
	sqlite3_bind_blob(st, 1, h, 32, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, serial, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, now - 86400);
	sqlite3_bind_int64(st, 4, now + 90 * 86400);
	sqlite3_bind_blob(st, 5, h, 32, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, customer, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

#endif
