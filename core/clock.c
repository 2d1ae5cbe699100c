/*
 * clock.c: the one clock and the time formats.
 *
 * Inside, times are UTC seconds; at the edges, RFC 3339. Every "now" in the
 * core comes from wr_clock_now so that tests and an exercise can move it.
 *
 * An exercise database carries its clock in its exercise row
 * (migrate-013.sql): every process on it computes the same simulated now
 * from the row and its own real clock. The row is kept on the handle and
 * read again only when data_version (another connection committed) or
 * this connection's total changes moved, so a call costs one cached
 * PRAGMA step. On a test fixture (a database created under WARROOM_NOW)
 * WARROOM_NOW is the real now, and an exercise's clock is computed from
 * it: simulated = f(WARROOM_NOW), deterministic in tests.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* WARROOM_NOW moves the clock of a database created under it (a test
 * fixture) and nothing else: an incident on the real clock can never be
 * backdated. Callers without a handle (a backend's "now", "now" parsed)
 * follow the database this process opened last: its test clock, or its
 * exercise's clock (a copy, under a lock: the import's threads parse). */
static bool test_clock_ok;
static pthread_mutex_t proc_lock = PTHREAD_MUTEX_INITIALIZER;
static bool proc_exercise;
static struct wr_xclock proc_x;

void wr_clock_allow_test(bool allow) { test_clock_ok = allow; }

static bool test_now(bool allowed, int64_t *t)
{
	const char *env;

	return allowed && (env = wr_priv_getenv("WARROOM_NOW")) && *env &&
	       strcmp(env, "now") != 0 && wr_time_parse(env, t) == 0;
}

int64_t wr_clock_real_ms(struct wr_db *db)
{
	struct timespec ts;
	int64_t t;

	if (test_now(db ? db->test_clock : test_clock_ok, &t))
		return t * 1000;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t wr_xclock_at(const struct wr_xclock *x, int64_t real_ms)
{
	/* A real clock set back (or an earlier WARROOM_NOW) holds the
	 * simulated one at its base: it never runs backwards. */
	if (x->paused || real_ms <= x->real_base_ms)
		return x->sim_base;
	return x->sim_base + (int64_t)floor((double)(real_ms - x->real_base_ms) * x->speed / 1000.0);
}

/* Raw SQLite calls: the clock is read between an error and its display,
 * and must never replace the handle's message. */
void wr_clock_load(struct wr_db *db, bool opened)
{
	sqlite3_stmt *st;

	db->clock.loaded = true;
	db->clock.exercise = false;
	db->clock.changes = sqlite3_total_changes64(db->sq);
	if (!db->clock.dv &&
	    sqlite3_prepare_v2(db->sq, "PRAGMA data_version", -1, &db->clock.dv, NULL) != SQLITE_OK)
		db->clock.dv = NULL;
	if (db->clock.dv) {
		if (sqlite3_step(db->clock.dv) == SQLITE_ROW)
			db->clock.version = sqlite3_column_int64(db->clock.dv, 0);
		sqlite3_reset(db->clock.dv);
	}
	if (sqlite3_prepare_v2(db->sq,
			       "SELECT sim_base, real_base_ms, speed, paused FROM exercise"
			       " WHERE one = 1",
			       -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			db->clock.exercise = true;
			db->clock.x.sim_base = sqlite3_column_int64(st, 0);
			db->clock.x.real_base_ms = sqlite3_column_int64(st, 1);
			db->clock.x.speed = sqlite3_column_double(st, 2);
			db->clock.x.paused = sqlite3_column_int(st, 3) != 0;
		}
		sqlite3_finalize(st);
	}
	if (db->clock.exercise || opened) {
		pthread_mutex_lock(&proc_lock);
		proc_exercise = db->clock.exercise;
		proc_x = db->clock.x;
		pthread_mutex_unlock(&proc_lock);
	}
}

void wr_clock_free(struct wr_db *db)
{
	sqlite3_finalize(db->clock.dv);
	db->clock.dv = NULL;
	wr_config_free(db->xcfg);
	db->xcfg = NULL;
}

/* True when db's copy of the row is still the database's. */
static bool clock_fresh(struct wr_db *db)
{
	int64_t v = -1;

	if (!db->clock.loaded || !db->clock.dv ||
	    sqlite3_total_changes64(db->sq) != db->clock.changes)
		return false;
	if (sqlite3_step(db->clock.dv) == SQLITE_ROW)
		v = sqlite3_column_int64(db->clock.dv, 0);
	sqlite3_reset(db->clock.dv);
	return v == db->clock.version;
}

int64_t wr_clock_now(struct wr_db *db)
{
	int64_t t;

	if (db && db->sq) {
		if (!clock_fresh(db))
			wr_clock_load(db, false);
		if (db->clock.exercise)
			return wr_xclock_at(&db->clock.x, wr_clock_real_ms(db));
	} else if (!db) {
		struct wr_xclock x;
		pthread_mutex_lock(&proc_lock);
		bool ex = proc_exercise;
		x = proc_x;
		pthread_mutex_unlock(&proc_lock);
		if (ex)
			return wr_xclock_at(&x, wr_clock_real_ms(NULL));
	}
	if (test_now(db ? db->test_clock : test_clock_ok, &t))
		return t;
	return (int64_t)time(NULL);
}

bool wr_clock_simulated(struct wr_db *db)
{
	int64_t t;

	if (!db)
		return false;
	if (db->sq && !clock_fresh(db))
		wr_clock_load(db, false);
	return db->clock.exercise || test_now(db->test_clock, &t);
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (*(*p)++ - '0');
	}
	*out = v;
	return 0;
}

/* RFC 3339: 2026-11-25T07:53:34Z, with optional fraction and offset; also
 * a date alone (midnight UTC), "now", and "@SECONDS". */
int wr_time_parse(const char *s, int64_t *out)
{
	struct tm tm = {0};
	int y, mo, d, h = 0, mi = 0, se = 0, oh, om, sign;
	const char *p = s;

	if (!s)
		return WR_EINVAL;
	if (strcmp(s, "now") == 0) {
		*out = wr_clock_now(NULL);
		return 0;
	}
	if (*p == '@') {
		char *end;
		long long v = strtoll(p + 1, &end, 10);
		if (end == p + 1 || *end)
			return WR_EINVAL;
		*out = v;
		return 0;
	}
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return WR_EINVAL;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
		    digits(&p, 2, &se))
			return WR_EINVAL;
		if (*p == '.') {
			p++;
			if (!isdigit((unsigned char)*p))
				return WR_EINVAL;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
			oh = om = 0;
			sign = 1;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om))
				return WR_EINVAL;
		} else {
			return WR_EINVAL; /* RFC 3339 needs an offset */
		}
	} else {
		oh = om = 0;
		sign = 1;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 ||
	    oh > 23 || om > 59)
		return WR_EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se == 60 ? 59 : se;
	int64_t t = (int64_t)timegm(&tm);
	/* timegm normalises 31 February; refuse what did not round-trip. */
	if (tm.tm_mday != d || tm.tm_mon != mo - 1)
		return WR_EINVAL;
	*out = t - sign * (oh * 3600 + om * 60);
	return 0;
}

const char *wr_time_format(int64_t t, char buf[WR_TIME_BUFSZ])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, WR_TIME_BUFSZ, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, WR_TIME_BUFSZ, "@%lld", (long long)t);
	return buf;
}

int wr_duration_parse(const char *s, int64_t *out)
{
	int64_t total = 0;
	const char *p = s;

	if (!s || !*s)
		return WR_EINVAL;
	if (*p == '+')
		p++;
	while (*p) {
		char *end;
		errno = 0;
		long long v = strtoll(p, &end, 10);
		int64_t unit;
		if (end == p || v < 0 || errno)
			return WR_EINVAL;
		switch (*end) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7 * 86400; break;
		default: return WR_EINVAL;
		}
		/* Checked: "+999999999999999999d" must be an error, not a wrap. */
		int64_t part;
		if (__builtin_mul_overflow((int64_t)v, unit, &part) ||
		    __builtin_add_overflow(total, part, &total))
			return WR_EINVAL;
		p = end + 1;
	}
	/* A century is more than any deadline or delay: callers add this
	 * to a time, which must not overflow either. */
	if (total > (int64_t)100 * 366 * 86400)
		return WR_EINVAL;
	*out = total;
	return 0;
}

const char *wr_duration_format(int64_t secs, char buf[WR_TIME_BUFSZ])
{
	const char *sign = secs < 0 ? "-" : "";
	int64_t a = secs < 0 ? -secs : secs;
	int64_t d = a / 86400, h = a % 86400 / 3600, m = a % 3600 / 60, s = a % 60;

	if (d)
		snprintf(buf, WR_TIME_BUFSZ, "%s%lldd %02lld:%02lld:%02lld", sign, (long long)d,
			 (long long)h, (long long)m, (long long)s);
	else
		snprintf(buf, WR_TIME_BUFSZ, "%s%02lld:%02lld:%02lld", sign, (long long)h,
			 (long long)m, (long long)s);
	return buf;
}
