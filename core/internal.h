/*
 * internal.h: what the core's files share and callers never see.
 * The wr_db handle, error recording, and the SQLite helpers.
 */
#ifndef WR_INTERNAL_H
#define WR_INTERNAL_H

#include <jansson.h>
#include <sqlite3.h>

#include "wr.h"

#define WR_TALLY_STMTS 7 /* tally.c's cached statements */

/* An exercise's clock: the exercise row's re-basing fields (clock.c). */
struct wr_xclock {
	int64_t sim_base, real_base_ms;
	double speed;
	bool paused;
};

struct wr_db {
	sqlite3 *sq;
	char *path;
	char actor[64];
	const struct wr_config *cfg;
	int tx_depth; /* wr_tx_begin nests: only the outermost commits */
	bool was_busy; /* a statement gave up waiting for a writer (wr_db_was_busy) */
	bool test_clock;	     /* created under WARROOM_NOW: honour it */
	bool keyed;		     /* installed: events carry an HMAC */
	unsigned char audit_key[32];
	bool policy_bypass;	     /* migrating, or pinning */
	char *cfg_policy;	     /* the config's policy text, cached */
	char cfg_policy_sha[65];
	struct wr_config *pinned;    /* the newest pin, parsed; NULL: none */
	char pinned_sha[65];
	struct wr_evtext *evtext;    /* event-text.c's lookups, prepared once */
	/* wr_counts_get's expired count, carried forward (see there): valid
	 * while the affected count stays, for WR_EXPIRED_RECOUNT seconds. */
#define WR_EXPIRED_RECOUNT 10
	struct {
		bool valid;
		int64_t affected, at, counted_at, expired;
	} expired_cache;
	/* clock.c's copy of the exercise row (migration 13), read again when
	 * another connection commits (data_version) or this one writes (its
	 * total changes): wr_clock_now is called many times a frame. */
	struct {
		bool loaded, exercise;
		int64_t version, changes;
		struct wr_xclock x;
		sqlite3_stmt *dv; /* PRAGMA data_version, prepared once */
	} clock;
	/* tally.c: the counters at the tally's last agreement with them,
	 * and how often a write found it wanting and counted it afresh. */
	struct {
		bool valid;
		int64_t n[7];
	} tally_ok;
	int64_t tally_recounts;
	/* The panes' statements, prepared once (a frame runs each). */
	sqlite3_stmt *tally_st[WR_TALLY_STMTS];
	/* customer.c: the panes' last answer per order, given again while
	 * nothing was committed (data_version, this connection's changes)
	 * and nothing more expired: the once-a-second frame costs nothing. */
	struct wr_top_cache {
		bool valid, stale;
		int64_t version, changes, expired, at, now_lo;
		int limit, n;
		struct wr_customer *rows; /* strings malloc'd */
	} top_cache[2];
	struct wr_config *xcfg;	       /* exercise.c: the config the local backend sees */
	const struct wr_config *xcfg_of; /* ... derived from this one */
	char errmsg[512];
};

/* Records code and a printf-style message in db; returns code. */
int wr_err(struct wr_db *db, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Records SQLite's message for rc as WR_EDB (or WR_ENOTWR/WR_ENOMEM). */
int wr_err_sq(struct wr_db *db, const char *what);

/* Prepares sql on db's connection; on failure records the error. */
int wr_prepare(struct wr_db *db, const char *sql, sqlite3_stmt **st);
/* Runs a statement without results. */
int wr_exec(struct wr_db *db, const char *sql);
/* Runs "SELECT <one integer>" with up to one int64 parameter. */
int wr_query_int(struct wr_db *db, const char *sql, int64_t *out);

/* The connection's settings for one bulk job (import, a population, a
 * revocation run), put back by wr_tune_end: temp_store in memory, a
 * fixed page cache of cache_kib, and a checkpoint every autockpt pages of
 * WAL (0: unchanged). A cache too small for the pages a transaction
 * touches spills them to the WAL and reads them back; checkpoints after
 * every commit copy the pages every batch rewrites again each time.
 * Outside a transaction only (temp_store cannot change inside one); a
 * setting that fails leaves the defaults, which are slower, not wrong. */
struct wr_tuning {
	int64_t temp_store, cache_size, autockpt;
	bool set;
};
void wr_tune_begin(struct wr_db *db, struct wr_tuning *t, int64_t cache_kib, int64_t autockpt);
void wr_tune_end(struct wr_db *db, const struct wr_tuning *t);

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Column helpers that map NULL to 0 / NULL. */
static inline int64_t wr_col_i64(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, i);
}
static inline const char *wr_col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}
/* Binds a time, NULL when 0. */
static inline int wr_bind_time(sqlite3_stmt *st, int i, int64_t t)
{
	return t ? sqlite3_bind_int64(st, i, t) : sqlite3_bind_null(st, i);
}

/* Records an event with a jansson object (stolen), inside a transaction. */
int wr_event_add_json(struct wr_db *db, const char *action, json_t *details);
/* Finalizes event-text.c's statements (wr_db_close). */
void wr_evtext_free(struct wr_db *db);

/* A growable, NUL-terminated byte buffer (buf.c); zero-initialise it. */
struct wr_buf {
	char *p;
	size_t len, cap;
};
/* Appends n bytes; false when out of memory (the content is unchanged). */
bool wr_buf_put(struct wr_buf *b, const void *s, size_t n);
void wr_buf_free(struct wr_buf *b);

/* Config internals (config.c). A config from text (the pinned policy);
 * the policy sections as canonical text, secrets left out (malloc'd). */
int wr_config_parse_text(const char *text, const char *label, struct wr_config **out,
			 char *err, size_t errsz);
char *wr_config_policy_text(const struct wr_config *cfg);
/* A copy of cfg (NULL: the defaults), and a value set over it, as an
 * exercise gives the local backend its own CA (exercise.c). */
struct wr_config *wr_config_copy(const struct wr_config *cfg);
int wr_config_set(struct wr_config *cfg, const char *section, const char *key,
		  const char *value);
/* A key file's path, resolved, that nobody outside its owner and group
 * can read (WR_CHECK_KEY); NULL with err when unset or exposed. */
const char *wr_config_secret_file(const struct wr_config *c, const char *section, const char *key,
				  char *buf, size_t bufsz, char *err, size_t errsz);

/* The policy in force for db: the pinned one when the incident has one,
 * else the caller's config (policy.c). */
const struct wr_config *wr_policy_cfg(struct wr_db *db);
/* Called by wr_tx_begin: refuses a write under a policy other than the
 * pinned one; pins the first non-empty policy of an unpinned incident. */
int wr_policy_enforce(struct wr_db *db);

/* Runs st once per serial of a serials file (serials.c), the serial bound
 * to parameter param (the others bound by the caller); *n counts rows
 * changed; a line that is no serial, or whose serial changes nothing
 * (reported with none), goes to reject as LABEL:LINE and counts in
 * *unknown. */
int wr_serials_run(struct wr_db *db, FILE *f, const char *label, sqlite3_stmt *st, int param,
		   const char *none, wr_reject_cb reject, void *ctx, int64_t *n, int64_t *unknown);

/* Lets WARROOM_NOW count for handle-less callers (clock.c; db.c sets it
 * from the incident's meta 'clock'). */
void wr_clock_allow_test(bool allow);
/* An exercise's simulated clock at the real instant real_ms (ms since the
 * epoch), as migrate-013.sql gives it: paused, sim_base; running, sim_base
 * + (real_ms - real_base_ms) * speed / 1000, never before sim_base. */
int64_t wr_xclock_at(const struct wr_xclock *x, int64_t real_ms);
/* The real now in ms: WARROOM_NOW's instant on a test fixture (so that an
 * exercise's clock in a test is f(WARROOM_NOW)), else the machine's. */
int64_t wr_clock_real_ms(struct wr_db *db);
/* Reads db's exercise row into its clock now (db.c at open, exercise.c
 * after a change), and makes handle-less callers follow it when db is
 * an exercise (or the real clock when db is the last opened and is not). */
void wr_clock_load(struct wr_db *db, bool opened);
/* Frees what clock.c and exercise.c keep on the handle (wr_db_close). */
void wr_clock_free(struct wr_db *db);

/* Embedded data (build/embedded.c). */
extern const char wr_schema_sql[];
extern const char wr_migrate_002[];
extern const char wr_migrate_003[];
extern const char wr_migrate_004[];
extern const char wr_migrate_005[];
extern const char wr_migrate_006[];
extern const char wr_migrate_007[];
extern const char wr_migrate_008[];
extern const char wr_migrate_009[];
extern const char wr_migrate_010[];
extern const char wr_migrate_011[];
extern const char wr_migrate_012[];
extern const char wr_migrate_013[];
extern const char wr_migrate_014[];
extern const char wr_migrate_015[];
extern const char wr_default_plan[];

/* The plan's content, for incident.c (plan.c). */
struct wr_plan_task {
	char *team;
	int phase;
	char *title;
	int64_t due_offset; /* seconds after the anchor */
	const char *due_anchor; /* "discovery", "deadline" or NULL: none */
};
struct wr_plan_team {
	char *id, *name;
	char *short_name; /* NULL: none */
};
/* The longest short name: it fits struct wr_team's short_name. */
#define WR_PLAN_SHORT_MAX 20
const struct wr_plan_team *wr_plan_team_at(const struct wr_plan *p, size_t i);
const struct wr_plan_task *wr_plan_task_at(const struct wr_plan *p, size_t i);


/* A certificate Name as text, the way the issuer and subject columns hold
 * it (cert.c); malloc'd, NULL when out of memory. */
struct X509_name_st;
char *wr_name_text(const struct X509_name_st *name);

/* A process's start time in clock ticks since boot (/proc/PID/stat field
 * 22), -1 when it is gone: with the pid it names one process even after
 * pids wrap (run.c). */
long long wr_proc_start(long pid);
/* 0 when team is a team of the incident's plan, else WR_ENOENT saying so
 * (task.c). */
int wr_team_check(struct wr_db *db, const char *team);
/* A claim on rows being worked on (a revocation batch, a message or a
 * Bugzilla post being sent): "host:pid:start" of this process (run.c). */
void wr_claim_self(char *buf, size_t n);
/* Whether a claim's process lives: gone on this host (or no claim: dead),
 * or on another host, where it cannot be told. */
enum wr_claim_state { WR_CLAIM_ALIVE, WR_CLAIM_DEAD, WR_CLAIM_ELSEWHERE };
enum wr_claim_state wr_claim_state(const char *claim);
/* Rows of table (a literal: "message", "bugzilla_post") left 'sending'
 * by a process now dead become 'unknown', their error saying the
 * process died while doing (sending, posting) and that peer (the
 * server, Bugzilla) may or may not have it: re-sent only when asked. */
int wr_claims_settle(struct wr_db *db, const char *table, const char *doing, const char *peer,
		     int64_t now);

/* Steps a statement selecting (id, at, actor, action, details, hash) from
 * the event table, calling cb for each row until it returns non-zero;
 * finalizes st (audit.c). what names the read in an error. */
int wr_event_rows(struct wr_db *db, sqlite3_stmt *st, wr_event_cb cb, void *ctx,
		  const char *what);

/* The certificate's state label at instant now (cert.c). */
const char *wr_cert_state_label(const char *state, int64_t revoked_at, int64_t not_after,
				int64_t hold_until, int64_t now);

/* What RFC 9773's ARI identifier is made of, found in a certificate's DER
 * by cert.c's walk and borrowed from der: the authorityKeyIdentifier's
 * keyIdentifier (NULL when there is none) and the serial INTEGER's
 * content octets, a leading 00 kept. WR_EINVAL: not a certificate. */
int wr_cert_ari_parts(const unsigned char *der, size_t len, const unsigned char **akid,
		      size_t *akid_len, const unsigned char **serial, size_t *serial_len);

/* The import's reading without its storing (import.c), for a command
 * that reads certificates it does not import (replace.c): the same
 * files, directories, PEM and DER, the same reports of what is rejected,
 * signatures checked against issuers (NULL: none known). Each certificate
 * goes to cb on the calling thread, in the files' order, its bytes and
 * fields borrowed for the call; cb returns 0 or a WR_E* code that stops
 * the reading. st: files, certs, rejected, unchecked, forged. */
struct wr_import_cert {
	const unsigned char *der;
	size_t len;
	const struct wr_cert_info *ci;
	bool checked;	   /* its signature verified with a known issuer's key */
	const char *where; /* "FILE" or "FILE:LINE" */
};
typedef int (*wr_import_cert_cb)(const struct wr_import_cert *c, void *ctx);
int wr_import_read(struct wr_db *db, const char *const *paths, size_t npaths,
		   const struct wr_issuers *issuers, int nthreads, wr_import_cert_cb cb,
		   void *cb_ctx, wr_reject_cb reject, void *ctx, struct wr_import_stats *st);
/* wr_incident_declare without the check of who declares: a scenario
 * declares as it sets the exercise up, whoever facilitates (incident.c). */
int wr_incident_declare_unchecked(struct wr_db *db, const char *reason, int64_t discovered,
				  unsigned flags, const char *note,
				  struct wr_mre_criterion out[WR_MRE_CRITERIA]);

/* The issuers an import checks against: the user's files (opened with the
 * user's rights), then [ca] issuers and [local] ca_cert. *out NULL when
 * none is known. */
int wr_import_issuers(struct wr_db *db, const char *const *files, size_t nfiles,
		      struct wr_issuers **out);

/* Each customer's figures, kept in customer_tally by the writers that
 * change them (tally.c): wr_tally_begin once in the writer's transaction
 * before it changes a certificate (checks the tally, counts it afresh
 * when it disagrees with the counters, moves its clock to now); then one
 * grouped change per batch. wr_tally_rows adds sign (1 or -1) times the
 * figures of the rows chosen (a JSON array of ids in text, ids after id,
 * the customer in text, all): -1 before a change, 1 after. */
enum wr_tally_sel { WR_TALLY_IDS, WR_TALLY_AFTER_ID, WR_TALLY_CUSTOMER, WR_TALLY_ALL };
int wr_tally_begin(struct wr_db *db);
int wr_tally_rows(struct wr_db *db, enum wr_tally_sel sel, const char *text, int64_t id, int sign);
/* The certificates of ids_json (a JSON array) that are revoked now were
 * unrevoked before (the engine's batch). */
int wr_tally_revoked(struct wr_db *db, const char *ids_json);
/* The same for a batch whose rows the caller read in this transaction:
 * per customer ("" for none), the certificates revoked now and those of
 * them not replaced (live before), as at (wr_tally_at) counts them:
 * expired (notAfter < at) and expired not replaced. One upsert a
 * customer, no row read again. */
struct wr_tally_rev {
	const char *customer;
	int64_t revoked, unreplaced, expired, expired_unreplaced;
};
int wr_tally_at(struct wr_db *db, int64_t *at);
int wr_tally_revoked_sums(struct wr_db *db, const struct wr_tally_rev *v, size_t n);
/* n more of the customer's certificates notified. */
int wr_tally_notified(struct wr_db *db, const char *customer, int64_t n);
/* *hw: the highest certificate id; wr_tally_added counts the rows above
 * it (an import's) and moves *hw to the new highest. */
int wr_tally_mark(struct wr_db *db, int64_t *hw);
int wr_tally_added(struct wr_db *db, int64_t *hw);
/* Counts the tally afresh (in the caller's transaction): for a change of
 * many certificates' customers (the customer list). */
int wr_tally_recount(struct wr_db *db);
/* The customer's critical and acknowledged flags (-1: unchanged), copied
 * for the orders' indexes (customer set, ack). */
int wr_tally_flags(struct wr_db *db, const char *customer, int critical, int acked);
/* Statement slot of the handle's cache (0..WR_TALLY_STMTS-1), prepared
 * from sql on first use, reset and its bindings cleared after: borrowed,
 * not to be finalized. NULL with the error recorded. wr_tally_free
 * finalizes them (wr_db_close). */
sqlite3_stmt *wr_tally_stmt(struct wr_db *db, int slot, const char *sql);
void wr_tally_free(struct wr_db *db);
void wr_top_cache_clear(struct wr_top_cache *tc); /* customer.c */
/* Whether the tally agrees with the counters (a missing tally does not). */
int wr_tally_check(struct wr_db *db, bool *ok);

#endif
