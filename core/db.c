/*
 * db.c: opening the incident database, its schema and migrations, errors,
 * and transactions.
 *
 * Many processes, run by different OS users of one group, share one file:
 * WAL mode so readers never wait, a long busy timeout and BEGIN IMMEDIATE
 * so writers queue instead of failing with "database is locked", and files
 * created group-writable. Nothing here knows about incidents or tasks.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "internal.h"

/* "WRrm": PRAGMA application_id tells a warroom database from any other. */
#define WR_APP_ID 0x5752726d
#define WR_BUSY_MS 60000

/* Migrations by user_version: entry i takes the schema from i to i+1.
 * Version 1 is released: never edit a migration, add the next one
 * (data/migrate-NNN.sql, embedded by the Makefile). */
static const char *const migrations[] = {
	wr_schema_sql,	 /* 0 -> 1 */
	wr_migrate_002, /* 1 -> 2: trust boundaries */
	wr_migrate_003, /* 2 -> 3: waves */
	wr_migrate_004, /* 3 -> 4: blocked tasks, appended notes */
	wr_migrate_005, /* 4 -> 5: runs */
	wr_migrate_006, /* 5 -> 6: customers */
	wr_migrate_007, /* 6 -> 7: replacements */
	wr_migrate_008, /* 7 -> 8: notification */
	wr_migrate_009, /* 8 -> 9: probes */
	wr_migrate_010, /* 9 -> 10: per-customer figures */
	wr_migrate_011, /* 10 -> 11: findings, action items */
	wr_migrate_012, /* 11 -> 12: Bugzilla posts */
	wr_migrate_013, /* 12 -> 13: exercises */
	wr_migrate_014, /* 13 -> 14: indexes a revocation rewrites, cut down */
	wr_migrate_015, /* 14 -> 15: lessons per team, the appendix attached */
};
#define WR_SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

const char *wr_strerror(int code)
{
	switch (code) {
	case WR_OK: return "success";
	case WR_ENOMEM: return "out of memory";
	case WR_EINVAL: return "invalid input";
	case WR_ENOENT: return "not found";
	case WR_EEXIST: return "already exists";
	case WR_EPERM: return "not permitted";
	case WR_EDB: return "database error";
	case WR_ENOTWR: return "not a warroom database";
	case WR_EIO: return "input/output error";
	case WR_ECORRUPT: return "audit chain broken";
	case WR_ESTATE: return "not allowed in this state";
	case WR_EBUSY: return "another writer holds the database";
	default: return "error";
	}
}

int wr_err(struct wr_db *db, int code, const char *fmt, ...)
{
	va_list ap;

	if (db) {
		va_start(ap, fmt);
		vsnprintf(db->errmsg, sizeof db->errmsg, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Another writer held the database past our busy timeout. */
static int busy(struct wr_db *db, const char *what)
{
	db->was_busy = true;
	return wr_err(db, WR_EBUSY, "%s: another process is writing to the database", what);
}

int wr_err_sq(struct wr_db *db, const char *what)
{
	int rc = sqlite3_extended_errcode(db->sq);
	int code = WR_EDB;

	if (rc == SQLITE_NOMEM)
		code = WR_ENOMEM;
	else if ((rc & 0xff) == SQLITE_NOTADB)
		code = WR_ENOTWR;
	else if ((rc & 0xff) == SQLITE_BUSY)
		return busy(db, what);
	return wr_err(db, code, "%s: %s", what, sqlite3_errmsg(db->sq));
}

int wr_prepare(struct wr_db *db, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(db->sq, sql, -1, st, NULL) != SQLITE_OK)
		return wr_err_sq(db, "prepare");
	return 0;
}

int wr_exec(struct wr_db *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db->sq, sql, NULL, NULL, &msg) != SQLITE_OK) {
		if ((sqlite3_extended_errcode(db->sq) & 0xff) == SQLITE_BUSY) {
			sqlite3_free(msg);
			return busy(db, "writing");
		}
		int rc = wr_err(db, WR_EDB, "%s", msg ? msg : sqlite3_errmsg(db->sq));
		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

int wr_query_int(struct wr_db *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = wr_prepare(db, sql, &st);

	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? wr_err(db, WR_ENOENT, "no row") : wr_err_sq(db, "query");
	}
	sqlite3_finalize(st);
	return rc;
}

void wr_tune_begin(struct wr_db *db, struct wr_tuning *t, int64_t cache_kib, int64_t autockpt)
{
	char sql[160];

	t->set = false;
	if (db->tx_depth > 0 || wr_query_int(db, "PRAGMA temp_store", &t->temp_store) ||
	    wr_query_int(db, "PRAGMA cache_size", &t->cache_size) ||
	    wr_query_int(db, "PRAGMA wal_autocheckpoint", &t->autockpt))
		return;
	snprintf(sql, sizeof sql,
		 "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -%lld;"
		 " PRAGMA wal_autocheckpoint = %lld",
		 (long long)cache_kib, (long long)(autockpt > 0 ? autockpt : t->autockpt));
	t->set = wr_exec(db, sql) == 0;
}

void wr_tune_end(struct wr_db *db, const struct wr_tuning *t)
{
	char sql[160];

	if (!t->set)
		return;
	snprintf(sql, sizeof sql,
		 "PRAGMA temp_store = %lld; PRAGMA cache_size = %lld; PRAGMA wal_autocheckpoint = %lld",
		 (long long)t->temp_store, (long long)t->cache_size, (long long)t->autockpt);
	(void)wr_exec(db, sql);
}

void wr_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static void default_actor(struct wr_db *db)
{
	const char *env = wr_priv_getenv("WARROOM_USER");
	struct passwd *pw;

	/* The actor is the real uid. Root may act as another user, as with
	 * sudo -u, outside the installed mode (where no WARROOM_* variable
	 * counts); nobody else may. */
	if (env && *env && getuid() == 0) {
		snprintf(db->actor, sizeof db->actor, "%s", env);
		return;
	}
	pw = getpwuid(getuid());
	if (pw)
		snprintf(db->actor, sizeof db->actor, "%s", pw->pw_name);
	else
		snprintf(db->actor, sizeof db->actor, "uid%ld", (long)getuid());
}

static int migrate(struct wr_db *db, int from)
{
	int rc;

	/* All pending migrations in one transaction: a failure leaves the
	 * file as it was. The policy check waits for the new schema. */
	db->policy_bypass = true;
	rc = wr_tx_begin(db);
	db->policy_bypass = false;
	if (rc)
		return rc;
	for (int v = from; v < WR_SCHEMA_VERSION; v++) {
		if ((rc = wr_exec(db, migrations[v]))) {
			char why[sizeof db->errmsg];
			snprintf(why, sizeof why, "%s", db->errmsg);
			rc = wr_err(db, rc, "%s: upgrading the schema to version %d: %s", db->path,
				    v + 1, why);
			wr_tx_rollback(db);
			return rc;
		}
	}
	if (from > 0) {
		/* The chain gets a link saying so; its old links stay valid. */
		json_t *d = json_pack("{s:i, s:i}", "from", from, "to", WR_SCHEMA_VERSION);
		if ((rc = wr_event_add_json(db, "schema-upgrade", d))) {
			wr_tx_rollback(db);
			return rc;
		}
	}
	char sql[96];
	snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d;",
		 WR_APP_ID, WR_SCHEMA_VERSION);
	if ((rc = wr_exec(db, sql))) {
		wr_tx_rollback(db);
		return rc;
	}
	return wr_tx_commit(db);
}

/* Creates the file ourselves so it is group-writable whatever the umask;
 * SQLite gives the -wal and -shm files the database's mode. */
static int create_file(struct wr_db *db, const char *path)
{
	/* Installed, the directory keeps everyone else out; the file need
	 * not be readable by others either. */
	mode_t mode = wr_priv_installed() ? 0660 : 0664;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);

	if (fd < 0) {
		if (errno == EEXIST)
			return wr_err(db, WR_EEXIST, "%s: already exists; refusing to overwrite", path);
		return wr_err(db, WR_EIO, "%s: %s", path, strerror(errno));
	}
	(void)fchmod(fd, mode);
	close(fd);
	return 0;
}

static void memstatus_off(void) { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

static void sql_short_lived(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_result_int(ctx, wr_cert_short_lived(sqlite3_value_int64(argv[0]),
						    sqlite3_value_int64(argv[1])));
}

static void register_functions(struct wr_db *db)
{
	/* The rule lives once, in rules.c; SQL asks it through this function. */
	sqlite3_create_function(db->sq, "wr_short_lived", 2,
				SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
				sql_short_lived, NULL, NULL);
}

/* Installed: an incident lives in a directory of root's and the warroom
 * group's that nobody else can enter (as crontab's spool), so no user can
 * reach the file behind warroom's back, nor hand it a database of their
 * own making to revoke with the CA's credentials. */
static int shared_location(struct wr_db *db, const char *path)
{
	char *copy = strdup(path), *dir, *slash;
	struct stat sb;
	int rc = 0;

	if (!copy)
		return WR_ENOMEM;
	slash = strrchr(copy, '/');
	dir = !slash ? "." : slash == copy ? "/" : (*slash = '\0', copy);
	if (stat(dir, &sb) != 0)
		rc = wr_err(db, WR_EIO, "%s: %s", dir, strerror(errno));
	else if (sb.st_uid != 0 || sb.st_gid != getegid() || (sb.st_mode & 0007) ||
		 !(sb.st_mode & S_IWGRP))
		rc = wr_err(db, WR_EPERM,
			    "%s: the installed warroom keeps incidents only in a directory owned"
			    " by root and its group, mode 2770 (this one: uid %ld, gid %ld, mode"
			    " %04o); see warroom(7)", path, (long)sb.st_uid, (long)sb.st_gid,
			    (unsigned)(sb.st_mode & 07777));
	free(copy);
	return rc;
}

/* Installed: the audit key, 32 random bytes as 64 hex digits, readable by
 * root and the group alone. */
static int load_audit_key(struct wr_db *db)
{
	char path[512], err[512], hex[80] = "";
	FILE *f;

	wr_priv_sysconf("audit.key", path, sizeof path);
	if (wr_priv_check_file(path, WR_CHECK_SECRET | WR_CHECK_ROOT, err, sizeof err))
		return wr_err(db, WR_EPERM, "the audit key: %s", err);
	if (!(f = fopen(path, "re")))
		return wr_err(db, WR_EIO, "%s: %s", path, strerror(errno));
	size_t n = fread(hex, 1, sizeof hex - 1, f);
	fclose(f);
	hex[n] = '\0';
	for (int i = 0; i < 32; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return wr_err(db, WR_EINVAL, "%s: expected 64 hex digits", path);
		db->audit_key[i] = (unsigned char)v;
	}
	OPENSSL_cleanse(hex, sizeof hex);
	db->keyed = true;
	return 0;
}

int wr_db_open(const char *path, int flags, struct wr_db **out)
{
	struct wr_db *db = calloc(1, sizeof *db);
	int64_t app = 0, ver = 0;
	int rc, oflags;
	struct stat sb;

	*out = db;
	if (!db)
		return WR_ENOMEM;
	db->path = strdup(path);
	default_actor(db);
	if (wr_priv_installed() && (rc = shared_location(db, path)))
		return rc;
	if (flags & WR_OPEN_CREATE) {
		if ((rc = create_file(db, path)))
			return rc;
	} else if (stat(path, &sb) != 0) {
		return wr_err(db, WR_ENOENT, "%s: no such database (create one with 'warroom init')",
			      path);
	}
	/* Memory statistics cost a global mutex per allocation: off, once,
	 * before the first connection (about 10% of an import). */
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, memstatus_off);
	oflags = (flags & WR_OPEN_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	/* A symlink planted in a shared incident directory is not followed. */
	if (sqlite3_open_v2(path, &db->sq, oflags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK)
		return wr_err_sq(db, path);
	sqlite3_busy_timeout(db->sq, WR_BUSY_MS);
	sqlite3_extended_result_codes(db->sq, 1);
	register_functions(db);
	if (wr_priv_installed() && (rc = load_audit_key(db)))
		return rc;

	if (wr_query_int(db, "PRAGMA application_id", &app) ||
	    wr_query_int(db, "PRAGMA user_version", &ver)) {
		if (sqlite3_errcode(db->sq) == SQLITE_NOTADB)
			return wr_err(db, WR_ENOTWR, "%s: not a warroom database", path);
		return wr_err(db, WR_EDB, "%s: %s", path, sqlite3_errmsg(db->sq));
	}
	if (flags & WR_OPEN_CREATE) {
		if ((rc = wr_exec(db, "PRAGMA journal_mode = WAL")))
			return rc;
		if ((rc = migrate(db, 0)))
			return rc;
		/* A database made under WARROOM_NOW is a test fixture: only
		 * such a one follows that clock (an exercise on it takes it
		 * as the real now: clock.c). */
		const char *now = wr_priv_getenv("WARROOM_NOW");
		if (now && *now &&
		    (rc = wr_exec(db, "INSERT INTO meta(key, value) VALUES ('clock', 'test')")))
			return rc;
	} else {
		if (app != WR_APP_ID)
			return wr_err(db, WR_ENOTWR, "%s: not a warroom database", path);
		if (ver > WR_SCHEMA_VERSION)
			return wr_err(db, WR_ENOTWR,
				      "%s: schema version %lld is newer than this warroom (%d)", path,
				      (long long)ver, WR_SCHEMA_VERSION);
		if (ver < WR_SCHEMA_VERSION) {
			/* Even a reader upgrades: the readers' queries are the
			 * new schema's. */
			if ((flags & WR_OPEN_READONLY) &&
			    (sqlite3_close_v2(db->sq),
			     sqlite3_open_v2(path, &db->sq,
					     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
						     SQLITE_OPEN_NOFOLLOW,
					     NULL) != SQLITE_OK))
				return wr_err(db, WR_ENOTWR,
					      "%s: schema version %lld needs an upgrade to %d, and"
					      " this user cannot write the file", path,
					      (long long)ver, WR_SCHEMA_VERSION);
			sqlite3_busy_timeout(db->sq, WR_BUSY_MS);
			sqlite3_extended_result_codes(db->sq, 1);
			register_functions(db);
			if ((rc = migrate(db, (int)ver)))
				return rc;
		}
	}
	/* NORMAL is durable in WAL mode up to the last checkpoint's fsync and
	 * much cheaper than FULL for the import's batches. The counter
	 * triggers' statement journals would otherwise hit a temp file on
	 * every row: keep temp storage in memory. */
	if ((rc = wr_exec(db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;"
			      " PRAGMA temp_store = MEMORY;")))
		return rc;
	/* A damaged file can pass the header checks: read the schema once
	 * now, so the error names the file rather than a later query. */
	int64_t n = 0;
	if (wr_query_int(db, "SELECT count(*) FROM sqlite_schema", &n))
		return wr_err(db, WR_EDB, "%s: %s", path, sqlite3_errmsg(db->sq));
	if (wr_query_int(db, "SELECT count(*) FROM meta WHERE key = 'clock' AND value = 'test'",
			 &n))
		return wr_err(db, WR_EDB, "%s: %s", path, sqlite3_errmsg(db->sq));
	db->test_clock = n > 0;
	wr_clock_allow_test(db->test_clock);
	wr_clock_load(db, true); /* an exercise's clock (clock.c) */
	db->errmsg[0] = '\0';
	return 0;
}

void wr_db_close(struct wr_db *db)
{
	if (!db)
		return;
	wr_evtext_free(db);
	wr_clock_free(db);
	wr_tally_free(db);
	sqlite3_close_v2(db->sq);
	OPENSSL_cleanse(db->audit_key, sizeof db->audit_key);
	free(db->cfg_policy);
	wr_config_free(db->pinned);
	free(db->path);
	free(db);
}

const char *wr_db_errmsg(const struct wr_db *db)
{
	if (!db)
		return "out of memory";
	return db->errmsg[0] ? db->errmsg : "no error";
}

const char *wr_db_path(const struct wr_db *db) { return db->path; }

void wr_db_set_actor(struct wr_db *db, const char *user)
{
	snprintf(db->actor, sizeof db->actor, "%s", user);
}

const char *wr_db_actor(const struct wr_db *db) { return db->actor; }

void wr_db_set_config(struct wr_db *db, const struct wr_config *cfg)
{
	db->cfg = cfg;
	free(db->cfg_policy);
	db->cfg_policy = NULL;
}

const struct wr_config *wr_db_config(const struct wr_db *db) { return db->cfg; }

int wr_db_data_version(struct wr_db *db, int64_t *version)
{
	return wr_query_int(db, "PRAGMA data_version", version);
}

void wr_db_set_busy_timeout(struct wr_db *db, int ms)
{
	sqlite3_busy_timeout(db->sq, ms > 0 ? ms : 0);
}

void wr_db_defer_checkpoint(struct wr_db *db)
{
	sqlite3_db_config(db->sq, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
}

bool wr_db_was_busy(struct wr_db *db)
{
	bool b = db->was_busy;
	db->was_busy = false;
	return b;
}

int wr_tx_begin(struct wr_db *db)
{
	if (db->tx_depth++ > 0)
		return 0;
	if (sqlite3_exec(db->sq, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		db->tx_depth = 0;
		return wr_err_sq(db, "begin");
	}
	/* Every write, whatever its command, runs under the pinned policy. */
	int rc = wr_policy_enforce(db);
	if (rc) {
		wr_tx_rollback(db);
		return rc;
	}
	return 0;
}

int wr_tx_commit(struct wr_db *db)
{
	if (db->tx_depth <= 0)
		return wr_err(db, WR_ERROR, "commit without a transaction");
	if (--db->tx_depth > 0)
		return 0;
	if (sqlite3_exec(db->sq, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		int rc = wr_err_sq(db, "commit");
		sqlite3_exec(db->sq, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return 0;
}

void wr_tx_rollback(struct wr_db *db)
{
	if (db->tx_depth <= 0)
		return;
	db->tx_depth = 0;
	sqlite3_exec(db->sq, "ROLLBACK", NULL, NULL, NULL);
}
