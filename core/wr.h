/*
 * wr.h: the public API of warroom's core library.
 *
 * The core owns the incident's state (one SQLite database), the rules of
 * the Baseline Requirements and the plan, certificates and the audit trail.
 * It never draws and never prints: functions return 0 or a negative WR_E*
 * code and leave a message in the handle (wr_db_errmsg), as SQLite does.
 * Read models are plain structs filled by the core; handles are opaque.
 */
#ifndef WR_H
#define WR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Error codes: 0 is success, everything else is negative. */
enum {
	WR_OK = 0,
	WR_ERROR = -1,	  /* anything else */
	WR_ENOMEM = -2,
	WR_EINVAL = -3,	  /* bad input: a file, a time, a code */
	WR_ENOENT = -4,	  /* no such task, certificate, file */
	WR_EEXIST = -5,	  /* database exists, already done */
	WR_EPERM = -6,	  /* the user's teams do not allow it */
	WR_EDB = -7,	  /* SQLite failed */
	WR_ENOTWR = -8,	  /* not a warroom database, or too new */
	WR_EIO = -9,
	WR_ECORRUPT = -10, /* the audit chain is broken */
	WR_ESTATE = -11,  /* not in this incident state */
	WR_EBUSY = -12,	  /* another writer held the database past the busy timeout */
};
const char *wr_strerror(int code);

/* ---- clock (core/clock.c) ------------------------------------------------ */
/* Times are UTC seconds. RFC 3339 at the edges: "2026-11-25T07:53:34Z". */
#define WR_TIME_BUFSZ 32
struct wr_db;
/* $WARROOM_NOW overrides, for a database created under it (a test
 * fixture) only; an incident on the real clock ignores it. An exercise's
 * clock is simulated (core/exercise.c), computed from WARROOM_NOW on a
 * fixture. db NULL: the clock of the database this process opened last. */
int64_t wr_clock_now(struct wr_db *db);
/* An exercise, or WARROOM_NOW moves db's clock. */
bool wr_clock_simulated(struct wr_db *db);
int wr_time_parse(const char *s, int64_t *out);	  /* RFC 3339, or "now" */
const char *wr_time_format(int64_t t, char buf[WR_TIME_BUFSZ]);
int wr_duration_parse(const char *s, int64_t *out); /* "90m", "24h", "5d" */
/* "4d 03:02:01", "-00:10:00"; buf of WR_TIME_BUFSZ. */
const char *wr_duration_format(int64_t secs, char buf[WR_TIME_BUFSZ]);

/* ---- "did you mean" (core/suggest.c) -------------------------------------- */
/* The nearest candidate to a mistyped word, by edit distance, when it is
 * near enough to be a slip (1 edit in 4 letters, 2 in 8, else 3). */
struct wr_suggest {
	const char *word, *best; /* best: borrowed from the candidates */
	int dist, limit;
};
void wr_suggest_init(struct wr_suggest *s, const char *word);
void wr_suggest_add(struct wr_suggest *s, const char *candidate);
const char *wr_suggest_best(const struct wr_suggest *s); /* NULL: none near */

/* ---- rules (core/rules.c) ------------------------------------------------- */
#define WR_CRL_OMIT (-1) /* unspecified: no reasonCode extension at all */
struct wr_reason {
	const char *code;	  /* "key-compromise" */
	const char *section;	  /* "4.9.1.1 (3)" */
	const char *circumstance; /* one line, our words */
	int64_t deadline;	  /* seconds after discovery */
	int crl_reason;		  /* RFC 5280 CRLReason, or WR_CRL_OMIT */
	bool subca;		  /* BR 4.9.1.2 */
};
size_t wr_reason_count(void);
const struct wr_reason *wr_reason_at(size_t i);
const struct wr_reason *wr_reason_find(const char *code);
const char *wr_crl_reason_name(int crl_reason); /* "keyCompromise" */
int64_t wr_deadline(const struct wr_reason *r, int64_t discovered);

/* The plan's phases: 0 activation, 1..4 the response phases. */
#define WR_PHASES 5
const char *wr_phase_name(int phase);  /* "activation", "communication", ... */
const char *wr_phase_title(int phase); /* "Phase 1: Customer communication" */
int wr_phase_parse(const char *s);     /* name or digit; -1 when unknown */

/* MRE criteria of the plan template, section 4. */
enum {
	WR_MRE_BURDEN = 1 << 0,	    /* major outreach / operational burden */
	WR_MRE_COMPLIANCE = 1 << 1, /* compliance failure, many certificates */
	WR_MRE_KEYVULN = 1 << 2,    /* major vulnerability in server keys */
	WR_MRE_CAKEY = 1 << 3,	    /* CA private key compromise */
};
struct wr_mre_input {
	int64_t affected;
	int64_t active_total; /* 0: unknown */
	int64_t not_short_lived;
	const struct wr_reason *reason;
	unsigned flags;
	int64_t absolute;     /* threshold, default 100 */
	double share_percent; /* threshold, default 1.0 */
};
#define WR_MRE_CRITERIA 7
struct wr_mre_criterion {
	const char *id;	   /* "absolute", "share", "deadline", ... */
	const char *label; /* "Affects at least 100 certificates" */
	bool met;
	char detail[160];
};
/* Fills out[WR_MRE_CRITERIA]; returns how many are met. */
int wr_mre_evaluate(const struct wr_mre_input *in,
		    struct wr_mre_criterion out[WR_MRE_CRITERIA]);
/* Short-lived certificates are exempt from the deadlines (BR 4.9.1.1). */
bool wr_cert_short_lived(int64_t not_before, int64_t not_after);

/* ---- escaping (core/escape.c) -------------------------------------------- */
/*
 * Certificate fields are attacker-controlled. Each edge has its escaper;
 * all return a malloc'd string (NULL only when out of memory).
 * term: C0/C1 controls, DEL, bidi and line separators, invalid UTF-8 and
 * the backslash become visible \xNN / \uNNNN / \\ sequences.
 * md: term plus markdown's active characters.
 */
char *wr_esc_term(const char *s);
char *wr_esc_md(const char *s);
/* html: term plus the entities for & < > " ' (text and attribute values). */
char *wr_esc_html(const char *s);
/* Turn arbitrary bytes into valid UTF-8 (bad bytes become "\xNN"). */
char *wr_utf8_sanitize(const char *s, size_t len);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void wr_hex(const unsigned char *in, size_t n, char *out);
/* Display width of an already escaped string (wide characters count 2). */
int wr_str_width(const char *s);

/* ---- shared-machine mode (core/priv.c) ---------------------------------- */
/*
 * Installed setgid to a group users are not members of (make install
 * SHARED_GROUP=...), warroom takes its policy only from the root-owned
 * SYSCONFDIR/warroom/warroom.conf, ignores WARROOM_* variables, and opens
 * the paths a user names with the user's own rights. Elsewhere (the demo,
 * one operator, an exercise on a laptop) these are the plain calls.
 */
bool wr_priv_installed(void);
/* getenv, but NULL in the installed mode (secure_getenv). */
const char *wr_priv_getenv(const char *name);
/* SYSCONFDIR/warroom/FILE into buf. */
const char *wr_priv_sysconf(const char *file, char *buf, size_t bufsz);
/* Opens with the real user's rights, never the group's (O_CLOEXEC added). */
int wr_open_user(const char *path, int flags, unsigned mode);
FILE *wr_fopen_user(const char *path, const char *mode);
/* Between begin and end, every open in the process has the user's rights
 * (for a walk over a directory the user named). Nests; 0 or WR_EPERM. */
int wr_priv_user_begin(void);
void wr_priv_user_end(void);
/* StrictModes, as ssh: the file and every directory above it are owned by
 * root or the caller (root alone with WR_CHECK_ROOT) and writable by
 * nobody else; with WR_CHECK_SECRET (a password, an API key) the file is
 * readable by its owner alone (and the warroom group, installed); with
 * WR_CHECK_KEY (a CA or account key, which a team shares through its
 * group) by nobody outside its group, and installed by no group but
 * warroom's. err says what and how to fix. */
enum { WR_CHECK_SECRET = 1 << 0, WR_CHECK_ROOT = 1 << 1, WR_CHECK_KEY = 1 << 2 };
int wr_priv_check_file(const char *path, unsigned how, char *err, size_t errsz);

/* ---- config (core/config.c) ---------------------------------------------- */
struct wr_config;
/*
 * Loads warroom.conf. path NULL: $WARROOM_CONFIG, else ./warroom.conf when
 * present, else defaults. On error returns WR_EINVAL and writes
 * "FILE:LINE: what was wrong" to err.
 */
int wr_config_load(const char *path, struct wr_config **out, char *err, size_t errsz);
struct wr_config *wr_config_default(void);
void wr_config_free(struct wr_config *cfg);
const char *wr_config_path(const struct wr_config *cfg); /* NULL: defaults */
/* Any [section] key; NULL when unset. */
const char *wr_config_get(const struct wr_config *cfg, const char *section, const char *key);
int64_t wr_config_int(const struct wr_config *cfg, const char *section, const char *key, int64_t dflt);
double wr_config_double(const struct wr_config *cfg, const char *section, const char *key, double dflt);
bool wr_config_bool(const struct wr_config *cfg, const char *section, const char *key, bool dflt);
/* A path setting, resolved against the config file's directory when
 * relative; NULL when unset. */
const char *wr_config_file(const struct wr_config *cfg, const char *section, const char *key,
			   char *buf, size_t bufsz);
/* [users]: true when the section exists (then only listed users act). */
bool wr_config_has_users(const struct wr_config *cfg);
/* The user's teams as written ("revocation,replacement"), or NULL. */
const char *wr_config_user_teams(const struct wr_config *cfg, const char *user, int *line);

/* ---- database (core/db.c) ------------------------------------------------ */
enum {
	WR_OPEN_CREATE = 1 << 0,   /* create; fail with WR_EEXIST if present */
	WR_OPEN_READONLY = 1 << 1,
};
/* *out is set even on failure (for wr_db_errmsg); close it either way. */
int wr_db_open(const char *path, int flags, struct wr_db **out);
void wr_db_close(struct wr_db *db);
const char *wr_db_errmsg(const struct wr_db *db);
const char *wr_db_path(const struct wr_db *db);
/* Who acts (the OS user by default) and by which rules. The config is
 * borrowed and must outlive the handle. */
void wr_db_set_actor(struct wr_db *db, const char *user);
const char *wr_db_actor(const struct wr_db *db);
void wr_db_set_config(struct wr_db *db, const struct wr_config *cfg);
const struct wr_config *wr_db_config(const struct wr_db *db);
/* Changes whenever another connection commits: the console polls it. */
int wr_db_data_version(struct wr_db *db, int64_t *version);
/* How long a statement waits for another writer before WR_EBUSY: 60 s by
 * default (the CLI queues); the console sets a short one and retries. */
void wr_db_set_busy_timeout(struct wr_db *db, int ms);
/* True once when a statement gave up waiting for another writer since
 * the last call (the flag clears). */
bool wr_db_was_busy(struct wr_db *db);
/* Leaves the checkpoint a last connection makes at close (and its
 * fsyncs) to the next connection's writes: for a command that has just
 * written files the disk is still taking, where the fsync would wait for
 * all of them. What was committed stays committed; as whenever another
 * process has the incident open, it reaches the database file with a
 * later checkpoint. */
void wr_db_defer_checkpoint(struct wr_db *db);

/* ---- permissions (core/auth.c) ------------------------------------------- */
/* 0 when the actor may act for team; WR_EPERM naming the team needed. */
int wr_auth_team(struct wr_db *db, const char *team);
/* The actor's teams, comma-separated ("*" for everyone when no [users]). */
const char *wr_auth_teams(struct wr_db *db);
/* 0 when the actor runs the exercise: "facilitator" among their [users]
 * entries (or no [users]); else WR_EPERM saying so. */
int wr_auth_facilitator(struct wr_db *db);

/* ---- the pinned policy (core/policy.c) ---------------------------------- */
/* The incident pins its policy ([users], [revocation], [ca], the backends'
 * sections; never secrets) as an audit event. A write under a config whose
 * policy differs is refused (WR_EPERM) until Management, judged by the
 * pinned [users], pins the new one. *changed: false when already pinned. */
int wr_policy_pin(struct wr_db *db, bool *changed);
struct wr_policy_info {
	char pinned_sha256[65]; /* "" when nothing is pinned */
	char pinned_by[64];
	int64_t pinned_at;
	char config_sha256[65]; /* the policy of the config in force */
	bool matches;		/* writes are allowed */
};
int wr_policy_get(struct wr_db *db, struct wr_policy_info *pi);
/* Read-only, outside any transaction: 0 when a write under the caller's
 * config would be allowed (its policy is the pinned one, or nothing is
 * pinned yet), else WR_EPERM with the message the write would get. A
 * command that acts outside the database (files, the network, a backend)
 * calls it before acting: the transactions' own check comes too late. */
int wr_policy_check(struct wr_db *db);

/* ---- plan (core/plan.c) -------------------------------------------------- */
struct wr_plan;
/* path NULL: the built-in default plan (data/plan.ini). Errors as config. */
int wr_plan_load(const char *path, struct wr_plan **out, char *err, size_t errsz);
void wr_plan_free(struct wr_plan *plan);
const char *wr_plan_name(const struct wr_plan *plan);
const char *wr_plan_sha256(const struct wr_plan *plan); /* hex of the file */
size_t wr_plan_team_count(const struct wr_plan *plan);
size_t wr_plan_task_count(const struct wr_plan *plan);

/* ---- incident (core/incident.c) ------------------------------------------ */
int wr_incident_init(struct wr_db *db, const char *name, int64_t active_total,
		     const struct wr_plan *plan);

struct wr_counts {
	int64_t affected, revoked, pending, expired, replaced, notified;
	int64_t held; /* "delayed": held past now, neither revoked nor expired */
	int64_t acknowledged; /* certificates whose customer acknowledged (ack) */
	int64_t unchecked; /* imported with no known issuer: signature unchecked */
	int64_t replacement_issued; /* with a replacement issued (import --replacements) */
	int64_t replacement_deployed; /* every endpoint serves its replacement (probe) */
	int64_t unreachable; /* an endpoint unreachable at its newest probe */
};
/* Counts at instant now: expired = not revoked and notAfter < now;
 * pending = neither revoked, expired nor held. */
int wr_counts_get(struct wr_db *db, int64_t now, struct wr_counts *c);

#define WR_STATE_ASSESSING "assessing"
#define WR_STATE_DECLARED "declared"
#define WR_STATE_CLOSED "closed"
struct wr_status {
	char name[256];
	char state[16];
	int phase;
	char reason[48]; /* "" before declaration */
	int crl_reason;
	int64_t discovered, declared, closed, deadline; /* 0 when unset */
	int64_t now;
	int64_t active_total;
	unsigned mre_flags;
	char plan_name[128];
	char plan_sha256[65];
	struct wr_counts counts;
};
int wr_status_get(struct wr_db *db, struct wr_status *st);
/* Evaluates the MRE criteria for the current state (before or after). */
int wr_mre_current(struct wr_db *db, struct wr_mre_criterion out[WR_MRE_CRITERIA], int *met);

/* Declares the MRE: records reason, discovery time and flags; computes the
 * deadline; fills out[] with the criteria as evaluated. Management only. */
int wr_incident_declare(struct wr_db *db, const char *reason, int64_t discovered,
			unsigned flags, const char *note,
			struct wr_mre_criterion out[WR_MRE_CRITERIA]);
int wr_incident_set_phase(struct wr_db *db, int phase);
int wr_incident_close(struct wr_db *db, const char *note);
/* Reopens a closed incident (Management; note: why, required), back to
 * declared, or assessing when it never was; recorded as incident-reopen. */
int wr_incident_reopen(struct wr_db *db, const char *note);

/* ---- teams and tasks (core/task.c) --------------------------------------- */
/* A team's open tasks that need someone: what its pane and the wall show. */
struct wr_team_health {
	int open;	/* not done */
	int overdue;	/* not done, due before now */
	int due_soon;	/* not done, due within WR_DUE_SOON from now */
	int unassigned; /* not done, no owner */
	int blocked;	/* not done, blocked */
};
#define WR_DUE_SOON 3600
struct wr_team {
	char id[48];
	char name[96];
	char short_name[24]; /* the plan's "short", "" when none */
	int tasks_total, tasks_done;
	struct wr_team_health health; /* zero until wr_team_health fills it */
};
/* Allocates *out (free with free()). */
int wr_team_list(struct wr_db *db, struct wr_team **out, size_t *n);
/* Fills teams[i].health from one query, counting tasks of phase max_phase
 * and earlier (-1: all) as at now. */
int wr_team_health(struct wr_db *db, int64_t now, int max_phase, struct wr_team *teams, size_t n);

struct wr_task {
	int64_t id;
	const char *team; /* borrowed for the callback's duration */
	int phase;
	const char *title;
	const char *owner; /* NULL: unassigned */
	int64_t due;	   /* 0: none */
	const char *done_by;
	int64_t done_at; /* 0: not done */
	const char *note; /* the newest note's text, NULL: none */
	const char *blocked; /* the reason, NULL: not blocked */
	const char *blocked_by;
	int64_t blocked_at;
};
struct wr_task_filter {
	const char *team;  /* NULL: all */
	int max_phase;	   /* tasks of this phase and earlier; -1: all */
	bool undone_only;
	const char *match; /* substring of title/owner/note, NULL: any */
	const char *owner; /* this owner's tasks only, NULL: any */
	bool unassigned_only;
};
typedef int (*wr_task_cb)(const struct wr_task *t, void *ctx);
int wr_task_foreach(struct wr_db *db, const struct wr_task_filter *f, wr_task_cb cb, void *ctx);
int wr_task_get(struct wr_db *db, int64_t id, wr_task_cb cb, void *ctx);
int wr_task_done(struct wr_db *db, int64_t id, const char *note);
int wr_task_reopen(struct wr_db *db, int64_t id);
int wr_task_assign(struct wr_db *db, int64_t id, const char *owner);
/* Appends a note by the actor (task_note); task.note keeps the newest. */
int wr_task_note(struct wr_db *db, int64_t id, const char *note);
/* Blocks an open task with a reason (again: a new reason), or unblocks it. */
int wr_task_block(struct wr_db *db, int64_t id, const char *reason);
int wr_task_unblock(struct wr_db *db, int64_t id);
struct wr_task_note {
	int64_t id, at;
	const char *author, *text; /* borrowed for the callback's duration */
};
typedef int (*wr_task_note_cb)(const struct wr_task_note *n, void *ctx);
/* A task's notes, oldest first. */
int wr_task_notes(struct wr_db *db, int64_t id, wr_task_note_cb cb, void *ctx);
/* A task's history: the events whose details.task is id, oldest first. */
struct wr_event;
int wr_task_history(struct wr_db *db, int64_t id,
		    int (*cb)(const struct wr_event *e, void *ctx), void *ctx);
int wr_task_add(struct wr_db *db, const char *team, int phase, int64_t due,
		const char *title, int64_t *id_out);

/* ---- certificates (core/cert.c, core/import.c) --------------------------- */
/* The fields the console needs, decoded without decoding the key. */
struct wr_cert_info {
	unsigned char sha256[32];      /* of the whole DER */
	unsigned char spki_sha256[32]; /* of the SubjectPublicKeyInfo bytes */
	char serial[132];	       /* upper-case hex, even length */
	char *issuer;		       /* malloc'd, valid UTF-8, RFC 2253 order */
	char *subject;
	char *sans; /* comma-separated dNSName/iPAddress, "" when none */
	int64_t not_before, not_after;
};
/* Parses one DER certificate. why (static text) says what was wrong. */
int wr_cert_parse(const unsigned char *der, size_t len, struct wr_cert_info *ci,
		  const char **why);
void wr_cert_info_clear(struct wr_cert_info *ci);
/* Upper-case, even-length hex without separators or leading zero bytes. */
int wr_serial_normalize(const char *in, char *out, size_t outsz);

/* Provenance: the CA certificates whose signatures imports check. */
struct wr_issuers;
struct wr_issuers *wr_issuers_new(void); /* NULL when out of memory */
void wr_issuers_free(struct wr_issuers *is);
size_t wr_issuers_count(const struct wr_issuers *is);
/* True when a known issuer's subject, as the issuer column holds names,
 * is name. */
bool wr_issuers_knows(const struct wr_issuers *is, const char *name);
/* Adds the certificates of a PEM bundle (or one DER certificate); user:
 * a path the user named, opened with the user's rights. err says why. */
int wr_issuers_add_file(struct wr_issuers *is, const char *path, bool user, char *err,
			size_t errsz);
/* 1: an issuer whose subject is the certificate's issuer (byte for byte)
 * signed it; 0: no issuer of that name is known; WR_EINVAL: it does not
 * verify (why names the issuer). Callable from several threads at once. */
int wr_cert_check(const struct wr_issuers *is, const unsigned char *der, size_t len,
		  char *why, size_t whysz);

/* rejected counts files; the reject callback fires once per problem (a
 * bundle with two bad blocks: two calls, one rejected file). unchecked:
 * certificates read whose issuer is not known; forged: rejected, their
 * signature does not verify; conflicts: rejected, another certificate
 * with their issuer and serial is imported. */
struct wr_import_stats {
	int64_t files, certs, added, duplicates, rejected;
	int64_t csv_rows, csv_matched, csv_unmatched, csv_rejected;
	int64_t csv_customers_new, csv_customers_updated; /* customer rows */
	int64_t unchecked, forged, conflicts;
};
/* Called for each rejected file or CSV row: where is "FILE" or "FILE:LINE". */
typedef void (*wr_reject_cb)(const char *where, const char *why, void *ctx);
/* Imports PEM, DER and directories (recursively) with nthreads parsers
 * (0: one per core). Inserts in batches; duplicates are counted, not added. */
int wr_import_paths(struct wr_db *db, const char *const *paths, size_t npaths,
		    int nthreads, wr_reject_cb reject, void *ctx,
		    struct wr_import_stats *st);
/* Both check signatures against the CA certificates of [ca] issuers and
 * [local] ca_cert, this one also of the files issuers[0..nissuers) (the
 * user's: opened with the user's rights). A certificate whose signature
 * does not verify, or whose issuer and serial are imported with another
 * tbsCertificate, is rejected; one whose issuer is not known is stored
 * unchecked; one with the tbsCertificate of an imported one is a
 * duplicate, whatever its encoding. */
int wr_import_paths_issuers(struct wr_db *db, const char *const *paths, size_t npaths,
			    const char *const *issuers, size_t nissuers, int nthreads,
			    wr_reject_cb reject, void *ctx, struct wr_import_stats *st);
/* The customer list (core/customer-csv.c): CSV serial,customer,contact
 * (serial in hex), or the columns a header row names: serial, customer,
 * contact, and optionally critical (yes/no) and endpoints (host[:port]...).
 * All or nothing: each bad row goes to reject as FILE:LINE, and then
 * nothing is applied (WR_EINVAL). A customer row is made or updated for
 * each customer whose rows matched a certificate. */
int wr_import_customers(struct wr_db *db, const char *csv, wr_reject_cb reject,
			void *ctx, struct wr_import_stats *st);

struct wr_cert {
	int64_t id;
	const char *serial, *issuer, *subject, *sans;
	int64_t not_before, not_after;
	const char *customer, *contact; /* NULL when unknown */
	const char *state; /* "pending", "expired", "revoked", ... (derived) */
	int crl_reason;	   /* WR_CRL_OMIT..; -2: the incident's */
	int64_t revoked_at, notified_at, replaced_at, hold_until;
	unsigned char sha256[32], spki_sha256[32];
	const char *error;	/* the backend's last error, or NULL */
	const char *hold_reason; /* a delay's rationale, or NULL */
	/* The replacement issued (import --replacements); serial NULL: none. */
	const char *repl_serial;
	unsigned char repl_sha256[32];
	int64_t repl_not_before, repl_not_after, repl_linked_at;
};
struct wr_cert_filter {
	const char *state;    /* NULL: any; also "expired" and "held" */
	const char *customer; /* exact */
	int64_t limit;	      /* 0: all */
	int64_t offset;
	int64_t now;
};
typedef int (*wr_cert_cb)(const struct wr_cert *c, void *ctx);
int wr_cert_foreach(struct wr_db *db, const struct wr_cert_filter *f, wr_cert_cb cb, void *ctx);

/* ---- customers (core/customer.c) ---------------------------------------- */
/* A customer is a row of its own: one contact, critical or not, and
 * Customer Relations' acknowledgement; its certificates name it
 * (wr_cert.customer). Names are as the database keeps them. */
enum { WR_CRITICAL_ANY = 0, WR_CRITICAL_YES = 1, WR_CRITICAL_NO = 2 };
/* "yes"/"no" (also y/n, true/false, 1/0; any case): WR_CRITICAL_YES or
 * WR_CRITICAL_NO; -1 otherwise. */
int wr_critical_parse(const char *s);
/* One bare e-mail address: UTF-8, no control or direction character, no
 * space, comma or bracket, one @ between a user and a domain. 0, or
 * WR_EINVAL with why (what was expected). */
int wr_contact_check(const char *contact, char *why, size_t whysz);
/* Space-separated host[:port] (an IPv6 address in brackets): *out the same
 * normalised, host lower-case, port 443 left out, each once (malloc'd;
 * NULL when in holds none), or WR_EINVAL with why. */
int wr_endpoints_normalize(const char *in, char **out, char *why, size_t whysz);
/* Sets the contact (NULL: unchanged) and critical (WR_CRITICAL_ANY:
 * unchanged) of a customer, once for all its certificates (Customer
 * Relations); recorded as customer-set with the old and new values.
 * *changed: false when both were already so (nothing recorded). */
int wr_customer_set(struct wr_db *db, const char *name, const char *contact, int critical,
		    bool *changed);
/* Records the customer's acknowledgement, with an optional note (Customer
 * Relations); recorded as customer-ack. *certs: its certificates. */
int wr_customer_ack(struct wr_db *db, const char *name, const char *note, int64_t *certs);
struct wr_customer {
	int64_t id;
	const char *name, *contact; /* borrowed; contact NULL: none */
	bool critical;
	int64_t acknowledged_at; /* 0: not acknowledged */
	const char *acknowledged_by, *ack_note;
	int64_t created, updated;
	/* Its certificates, and of those: notified, acknowledged (all of
	 * them once the customer acknowledged), replaced, revoked, expired
	 * unrevoked, and outstanding: neither replaced, revoked nor expired. */
	int64_t certificates, notified, acknowledged, replaced, revoked, expired, outstanding;	/* And: with a replacement issued (linked), deployed (every endpoint
	 * serves the replacement) and unreachable (an endpoint at its newest
	 * probe). */
	int64_t issued, deployed, unreachable;
};
typedef int (*wr_customer_cb)(const struct wr_customer *c, void *ctx);
/* Every customer with its figures at now (0: the clock), furthest behind
 * first: critical ones, then the largest share outstanding, the most
 * outstanding, not acknowledged before acknowledged, by name. */
int wr_customer_foreach(struct wr_db *db, int64_t now, wr_customer_cb cb, void *ctx);
/* One customer; WR_ENOENT (suggesting a near name) when there is none. */
int wr_customer_get(struct wr_db *db, const char *name, int64_t now, wr_customer_cb cb, void *ctx);
/* Furthest behind, as a team sees it: WR_CUSTOMERS_BEHIND as
 * wr_customer_foreach; WR_CUSTOMERS_UNACKNOWLEDGED (Customer Relations):
 * critical ones, then not acknowledged before acknowledged, the largest
 * share not notified, the most certificates, by name. */
enum wr_customer_order { WR_CUSTOMERS_BEHIND, WR_CUSTOMERS_UNACKNOWLEDGED };
/* The first limit customers (0: all) in that order with their figures at
 * now (0: the clock), read from the figures the writers keep per customer
 * (core/tally.c): a few thousand rows, whatever the certificates. *stale
 * (may be NULL): those figures disagree with the incident's counts (a
 * write went around warroom); they are given anyway, and the next write,
 * or wr_customer_recount, counts them afresh. */
int wr_customer_top(struct wr_db *db, int64_t now, enum wr_customer_order order, int limit,
		    wr_customer_cb cb, void *ctx, bool *stale);
/* Counts every customer's kept figures afresh from the certificates;
 * *customers: rows counted, *differed: how many of them the kept figures
 * had otherwise (0 unless a write went around warroom). Recorded as
 * customers-recount. */
int wr_customer_recount(struct wr_db *db, int64_t *customers, int64_t *differed);

/* ---- replacements issued (core/replace.c) ------------------------------- */
/*
 * Whether a certificate name covers another as a CA issues them (RFC 6125
 * 6.4.3, BR 3.2.2.6): equal, ignoring ASCII case; or pattern is a wildcard
 * "*.REST" whose REST has two labels or more, name has exactly one label
 * more than REST (not empty, no "*") and ends in ".REST". So
 * "*.example.com" covers "a.example.com", never "example.com" nor
 * "b.a.example.com"; a wildcard name is covered by itself alone.
 */
bool wr_name_covers(const char *pattern, const char *name);
/* import --replacements: links each affected certificate to the newest
 * certificate read that replaces it (see replace.c for the rule), or
 * reports why each one read replaces none. */
struct wr_replace_stats {
	int64_t files, certs;	/* read */
	int64_t rejected;	/* files: unreadable, not a certificate, forged */
	int64_t forged;		/* certificates whose signature does not verify */
	int64_t unchecked;	/* certificates read with no issuer known */
	int64_t linked;		/* affected certificates linked by this run */
	int64_t relinked;	/* of those, linked before to an older replacement */
	int64_t already;	/* affected certificates already linked to the one found */
	int64_t unmatched;	/* certificates read that replace none (reported) */
	int64_t affected;	/* certificates read that are affected ones (reported) */
	int64_t nameless;	/* certificates read with no DNS or IP name (a CA's) */
	int64_t ambiguous;	/* certificates read linked to several customers' */
	int64_t missing;	/* affected certificates still without a replacement */
};
/* reject: a file or certificate refused, or one that replaces nothing,
 * with why; note: what was done but deserves a look (an ambiguity, a
 * certificate of a chain skipped). issuers: the user's --issuers files. */
int wr_replace_import(struct wr_db *db, const char *const *paths, size_t npaths,
		      const char *const *issuers, size_t nissuers, int nthreads,
		      wr_reject_cb reject, wr_reject_cb note, void *ctx,
		      struct wr_replace_stats *st);

/* ---- replacements deployed: probing endpoints (core/probe.c) ----------- */
/*
 * probe: connects to each endpoint of each certificate (cert.endpoints,
 * else its DNS and IP names on 443, wildcards left out) with SNI, reads
 * the certificate served without verifying it, and records per endpoint
 * 'affected', 'replacement', 'other' or 'unreachable' (with the error) in
 * the probe table. A certificate whose every endpoint serves something
 * else is replaced (cert.replaced_at). One thread, up to concurrency
 * connections in flight (poll(2)); each probe ends within timeout.
 * A run probes the endpoints with no result in the current round, so a
 * run killed midway is continued by the next; again opens a new round.
 * The Replacement team's; a run in the run table (kind "probe").
 */
struct wr_probe_opts {
	const char *customer; /* NULL: every certificate */
	int concurrency;      /* 0: [probe] concurrency, default 64 */
	int timeout_ms;	      /* 0: [probe] timeout (seconds), default 5 s */
	bool again;	      /* a new round: probe every endpoint again */
};
struct wr_probe_stats {
	int64_t round;	      /* the round probed */
	int64_t total;	      /* endpoints to probe when the run started */
	int64_t endpoints;    /* probed by this run, of which: */
	int64_t affected, replacement, other, unreachable;
	int64_t replaced;     /* certificates now replaced (replaced_at set) */
	int64_t unreplaced;   /* replaced before, serving the affected one again */
	int64_t run_id;
	bool cancelled;
	char cancelled_by[64];
};
int wr_probe_run(struct wr_db *db, const struct wr_probe_opts *o, struct wr_probe_stats *st);

/* ---- ACME Renewal Information, RFC 9773 (core/ari.c) ------------------- */
/* The certificate's ARI identifier (RFC 9773 4.1): base64url, unpadded, of
 * the authorityKeyIdentifier's keyIdentifier, ".", base64url of the serial
 * number's DER content octets (a leading 00 kept). WR_EINVAL with why
 * (static text) when der is no certificate or has no keyIdentifier. */
#define WR_ARI_ID_MAX 200
int wr_ari_id(const unsigned char *der, size_t len, char out[WR_ARI_ID_MAX], const char **why);
/* The renewal window for a revocation deadline, as at now: from now to
 * halfway to the deadline, so that clients renew in the first half of the
 * time left and the second half is the margin for deploying the new
 * certificate and for the clients that come late. WR_ESTATE when no
 * deadline is set (0) or less than two seconds are left. */
int wr_ari_window(int64_t now, int64_t deadline, int64_t *start, int64_t *end);
struct wr_ari_stats {
	int64_t written;  /* renewalInfo files */
	int64_t revoked, expired; /* skipped */
	int64_t no_aki;	  /* skipped: no authorityKeyIdentifier (reported) */
	int64_t start, end, deadline;
	const char *explanation_url; /* [notify] info_url, NULL: none; borrowed */
};
/* Writes DIR/ID.json, a renewalInfo object, for every affected
 * certificate neither revoked nor expired, and DIR/index.json (identifier
 * to serial); DIR, which the user names, is written with the user's
 * rights, each file through a temporary file and rename(2). */
int wr_ari_write(struct wr_db *db, const char *dir, wr_reject_cb reject, void *ctx,
		 struct wr_ari_stats *st);

/* ---- notification (core/notify.c) --------------------------------------- */
/*
 * One message per customer and template, to the customer's contact, over
 * SMTP ([smtp]), exactly once: recorded before sending ('sending') and
 * after ('sent' with the server's reply, or 'failed'); a message whose
 * process died mid-send is 'unknown', re-sent only with resend_unknown.
 * Customer Relations' or Management's.
 */
#define WR_NOTIFY_ATTACH_OVER 50 /* more certificates go as a CSV attachment */
/* The templates' names, NULL-terminated: first-notice, reminder, ... */
extern const char *const wr_notify_templates[];
/* Checks a template (the embedded one, or DIR/NAME.txt with [notify]
 * templates = DIR): WR_EINVAL naming FILE:LINE for an unknown field. */
int wr_notify_template_check(struct wr_db *db, const char *name);
struct wr_notify_opts {
	const char *template; /* NULL: first-notice */
	const char *customer; /* NULL: every customer */
	bool dry_run;	      /* render and count; send and record nothing */
	bool resend_unknown;
	/* The contacts check's test message (template contact-test; template
	 * and customer ignored): to every customer whose contact
	 * wr_contacts_address_check accepts, certificates or not, again on
	 * each run; never marks certificates notified. */
	bool contact_test;
};
struct wr_notify_stats {
	int64_t customers;  /* customers with certificates considered */
	int64_t to_send;    /* messages this run sends (or would) */
	int64_t sent, failed, unknown, skipped; /* skipped: sent before */
	int64_t no_contact; /* no usable contact: not sent (counted failed too) */
	int64_t unknown_found; /* 'unknown' from earlier runs, left alone */
	double elapsed;
	char first[8192];   /* the first message to send, as text (dry run) */
};
/* Each message's outcome as it goes: customer and contact as kept,
 * state "sent", "failed" or "unknown", the server's reply or the error. */
typedef void (*wr_notify_cb)(const char *customer, const char *contact, const char *state,
			     const char *detail, void *ctx);
int wr_notify_run(struct wr_db *db, const struct wr_notify_opts *o, wr_notify_cb cb, void *ctx,
		  struct wr_notify_stats *st);

/* ---- contact readiness (core/contacts.c) -------------------------------- */
/*
 * BR 5.7.1.2 asks a mass revocation plan to keep contact information
 * current: `contacts check` finds, before an event, the customers with no
 * contact, a malformed address, or a mail domain the DNS denies ([contacts]
 * resolver, timeout, attempts), and with send_test sends each well-formed
 * address the test message contact-test through notify's path (recorded
 * in the message table like a notice, never counting as one).
 */
#define WR_CONTACT_TEST_TEMPLATE "contact-test"
/* The address rule, stricter than wr_contact_check (see contacts.c): one
 * bare ASCII addr-spec, a dot-atom local part of at most 64 bytes and a
 * host name of two or more labels. 0, or WR_EINVAL with why. */
int wr_contacts_address_check(const char *addr, char *why, size_t whysz);
enum wr_contact_status {
	WR_CONTACT_OK,	       /* well-formed; the domain has MX, or A/AAAA */
	WR_CONTACT_NONE,       /* no contact */
	WR_CONTACT_MALFORMED,  /* fails wr_contacts_address_check */
	WR_CONTACT_NO_DOMAIN,  /* the domain does not exist (NXDOMAIN) */
	WR_CONTACT_NO_MAIL,    /* no MX and no A/AAAA, or a null MX (RFC 7505) */
	WR_CONTACT_NO_ANSWER,  /* the resolver did not answer, or failed */
	WR_CONTACT_NSTATUS
};
/* "ok", "no-contact", "malformed", "no-domain", "no-mail", "no-answer". */
const char *wr_contact_status_name(int status);
struct wr_contacts_opts {
	bool send_test; /* also send contact-test (Customer Relations) */
};
struct wr_contact_result {
	const char *name, *contact; /* borrowed; contact NULL: none */
	bool critical;
	int status;		    /* enum wr_contact_status */
	char detail[512];	    /* why, or what the DNS said (MX host...) */
	const char *test_state;	    /* "sent", "failed", "unknown"; NULL: none */
	const char *test_detail;    /* the server's reply, or the error */
};
struct wr_contacts_stats {
	int64_t customers, fine; /* fine: ok, and its test (if sent) accepted */
	int64_t by_status[WR_CONTACT_NSTATUS];
	int64_t tests_sent, tests_failed; /* failed: refused, failed or unknown */
};
typedef int (*wr_contacts_cb)(const struct wr_contact_result *r, void *ctx);
/* Every customer, critical first then by name, to cb (non-zero stops). */
int wr_contacts_check(struct wr_db *db, const struct wr_contacts_opts *o, wr_contacts_cb cb,
		      void *ctx, struct wr_contacts_stats *st);

/* ---- revocation (core/revoke.c) ----------------------------------------- */
/* Management records an authorization; a revocation run needs one with
 * room left (limit 0: none), by someone else when [revocation]
 * two_person = yes. */
int wr_authorize(struct wr_db *db, const char *action, int64_t limit, int64_t *id_out);

/* Holds unrevoked certificates back until `until`, with the per-subscriber
 * rationale Mozilla asks of delayed revocations: by customer, or by a list
 * of serials (hex). *held says how many; unknown serials go to reject. */
int wr_delay(struct wr_db *db, const char *customer, const char *serials_file, int64_t until,
	     const char *rationale, wr_reject_cb reject, void *ctx, int64_t *held);

/* ---- waves (core/wave.c) ------------------------------------------------ */
/* Revocation in the order Management sets: each wave names certificates
 * (customers, a file of serials, or, with neither, every certificate in
 * no wave yet) and may have an earliest start. A certificate is in one
 * wave at most. */
struct wr_wave_spec {
	const char *name;
	const char *const *customers;
	size_t ncustomers;
	const char *serials_file;
	int64_t not_before; /* 0: at once */
	/* WR_CRITICAL_YES: only certificates of critical customers;
	 * WR_CRITICAL_NO: only those of no critical customer (none included);
	 * WR_CRITICAL_ANY: either. Narrows the customers, the serials, or,
	 * with neither, every certificate in no wave yet. */
	int critical;
};
/* Appends the wave to the order (Management); *assigned certificates. */
int wr_wave_add(struct wr_db *db, const struct wr_wave_spec *w, wr_reject_cb reject, void *ctx,
		int64_t *assigned);
/* Moves it to position (1 first), shifting the others. */
int wr_wave_move(struct wr_db *db, const char *name, int position);
struct wr_wave {
	int64_t id;
	const char *name;
	int position;
	int64_t not_before;
	int64_t total, revoked, left; /* left: still to revoke, not expired */
};
typedef int (*wr_wave_cb)(const struct wr_wave *w, void *ctx);
int wr_wave_foreach(struct wr_db *db, int64_t now, wr_wave_cb cb, void *ctx);
#define WR_WAVE_ALL 0	/* no waves: every certificate */
#define WR_WAVE_NONE (-1) /* every wave done: the certificates in none */
/* The wave a run takes at now: name's (WR_ESTATE before its start), else
 * the first in the order with work left (WR_ESTATE, naming it, before its
 * start: a later wave never jumps ahead), else WR_WAVE_NONE; WR_WAVE_ALL
 * when the incident has no waves. */
int wr_wave_pick(struct wr_db *db, const char *name, int64_t now, int64_t *id);

struct wr_revoke_opts {
	int64_t limit;	      /* at most this many certificates; 0: all */
	const char *customer; /* only this customer's; NULL: all */
	const char *wave;     /* this wave; NULL: the next whose time has come */
	bool dry_run;	      /* count and check, submit nothing */
	int batch;	      /* 0: [revocation] batch, else 1000 */
};
struct wr_revoke_progress {
	int64_t total;	 /* candidates when the run started */
	int64_t done;	 /* submitted and answered */
	int64_t revoked; /* newly revoked */
	int64_t already; /* the CA had revoked them already */
	int64_t failed;	 /* refused or failed; retried next run */
	int64_t reclaimed; /* left submitted by a dead run, submitted again */
	double elapsed;	 /* seconds */
	/* Where they went: reading the batches from the incident, the
	 * backend's answers, recording them, and the publication after. */
	double read_s, backend_s, record_s, publish_s;
	const char *backend;
	char wave[64];	 /* the wave run, "" when the incident has none */
	const char *last_error; /* the newest failure's message, or NULL */
	bool cancelled;	 /* a cancel request ended it between batches */
	char cancelled_by[64];
};
typedef void (*wr_progress_cb)(const struct wr_revoke_progress *p, void *ctx);
/* Revokes pending certificates in batches through the configured backend:
 * pending -> submitted -> revoked | failed. Crash-safe and idempotent: a
 * run after kill -9 submits again what was left submitted, and the
 * backend's "already revoked" counts as revoked. Runs in parallel claim
 * disjoint certificates. */
int wr_revoke_run(struct wr_db *db, const struct wr_revoke_opts *o, wr_progress_cb cb,
		  void *ctx, struct wr_revoke_progress *result);

/* The newest proof of publication (verify), all 0 when none. */
struct wr_published {
	int64_t checked_at, on_crl, ocsp_confirmed, ocsp_sampled, problems;
	/* Certificates revoked after checked_at (every revoked one when never
	 * verified): the proof is stale when there are any. */
	int64_t revoked_since;
	bool stale;
};
int wr_published_get(struct wr_db *db, struct wr_published *p);

/* ---- runs (core/run.c) --------------------------------------------------- */
/*
 * A long command (revoke, import, verify, crl, notify, probe) is a run in
 * the run table, which every console shows: what runs, who started it,
 * done/total, rate, time left, failures. A run is paused, resumed or
 * cancelled by a request any console or the CLI records; the engine acts
 * on it between batches (wr_run_check), so a batch is never cut. A run
 * whose process is gone without ending it shows as died and blocks
 * nothing. The calls after wr_run_begin do nothing for id 0.
 */
int wr_run_begin(struct wr_db *db, const char *kind, const char *args, int64_t total,
		 int64_t *id);
int wr_run_total(struct wr_db *db, int64_t id, int64_t total);
/* One UPDATE by primary key: cheap enough for every batch. */
int wr_run_progress(struct wr_db *db, int64_t id, int64_t done, int64_t failed,
		    const char *last_error);
/* state: "done", "cancelled" or "failed". */
int wr_run_end(struct wr_db *db, int64_t id, const char *state);
/* what: "pause", "resume" or "cancel", recorded as the event run-pause,
 * run-resume or run-cancel. By the run's starter, Management, or the team
 * that owns the kind (wr_run_team). WR_ENOENT, or WR_ESTATE when the run
 * has ended or died, or is already paused (pause) or not (resume). */
int wr_run_request(struct wr_db *db, int64_t id, const char *what);
/* The team whose runs of kind these are ("revocation"), NULL: none. */
const char *wr_run_team(const char *kind);
enum { WR_RUN_GO = 0, WR_RUN_STOP = 1 };
/* Between batches: WR_RUN_GO, or WR_RUN_STOP when a cancel was asked
 * (*by, 64 bytes or NULL, names who). On a pause request it marks the run
 * paused and waits, polling every WR_RUN_POLL_MS, until a resume (GO) or
 * a cancel (STOP). Negative WR_E* on error. */
#define WR_RUN_POLL_MS 250
int wr_run_check(struct wr_db *db, int64_t id, char *by);

struct wr_run {
	int64_t id;
	const char *kind, *args, *started_by, *host; /* borrowed for the callback */
	int64_t pid;
	int64_t started_at, ended_at; /* the incident's clock; ended 0: not */
	int64_t updated_at;	      /* the machine's clock: last sign of life */
	int64_t total, done, failed;
	double rate;	      /* per second of work, pauses left out; 0: unknown */
	int64_t seconds_left; /* at that rate; -1: unknown */
	const char *state;    /* running paused done cancelled failed died */
	const char *request;  /* a request not acted on yet, or NULL */
	const char *requested_by;
	const char *last_error;
	bool live;	      /* running or paused, and its process is there */
};
enum {
	WR_RUNS_LIVE = 0,     /* running, paused, and died within the hour */
	WR_RUNS_ALL = 1,      /* the newest 100, whatever their state */
};
typedef int (*wr_run_cb)(const struct wr_run *r, void *ctx);
/* Reads only: never waits for a writer. Oldest first. */
int wr_run_foreach(struct wr_db *db, int which, wr_run_cb cb, void *ctx);
int wr_run_get(struct wr_db *db, int64_t id, wr_run_cb cb, void *ctx);

/* ---- timeline and audit (core/audit.c) ----------------------------------- */
struct wr_event {
	int64_t id, at;
	const char *actor, *action, *details; /* details: JSON text */
	unsigned char hash[32];
};
typedef int (*wr_event_cb)(const struct wr_event *e, void *ctx);
/* The newest limit events (0: all) matching match (NULL: any), shown
 * newest first when newest_first. */
int wr_event_foreach(struct wr_db *db, int64_t limit, bool newest_first, const char *match,
		     wr_event_cb cb, void *ctx);
/* The event as a sentence whose subject is its actor (core/event-text.c):
 *   carol ticked "Send the early notice" (Customer Relations)
 * with the task's title and team, the customer, the counts, the reason in
 * words, looked up in db. Raw text: names, titles and notes are copied as
 * they are, control bytes included; escape it at the edge that shows it.
 * An action without words of its own reads as its words and key=value.
 * Writes at most n bytes (NUL included; cut between characters) and
 * returns the sentence's full length, as snprintf, or WR_ENOMEM. */
int wr_event_sentence(struct wr_db *db, const struct wr_event *e, char *buf, size_t n);
/* The same, cut to fit a narrow pane (quoted_max > 0): each quoted text
 * but the last (a title, a name) after quoted_max characters with an
 * ellipsis, and teams by the plan's short names, so that the team, the
 * owner and the note still show after a long title. 0: whole. */
int wr_event_sentence_fit(struct wr_db *db, const struct wr_event *e, int quoted_max, char *buf,
			  size_t n);
/* The sentence, malloc'd (NULL when out of memory). */
char *wr_event_sentence_dup(struct wr_db *db, const struct wr_event *e, int quoted_max);
/* True when action has words of its own (not the key=value fallback). */
bool wr_event_known(const char *action);
/* What a timeline filter matches: text in the sentence, or in "ACTOR
 * ACTION DETAILS" as the log's --grep always matched. */
bool wr_event_match(const struct wr_event *e, const char *sentence, const char *text);
/* The newest event of db the user has seen in the console (core/seen.c):
 * a file per user and database under $XDG_STATE_HOME/warroom/ (default
 * ~/.local/state/warroom/), written with the user's own rights. get:
 * WR_ENOENT when nothing is recorded, or when another incident lives at
 * the database's path now. set: only ever forward. */
int wr_seen_get(struct wr_db *db, int64_t *id);
int wr_seen_set(struct wr_db *db, int64_t id);
struct wr_audit_result {
	int64_t count;		   /* links checked */
	int64_t bad_id;		   /* the first broken link, or 0 */
	unsigned char head[32];	   /* the newest link's hash */
	int64_t head_id;	   /* the event whose hash is the head asked for */
	int64_t macs;		   /* links carrying an HMAC */
	bool macs_checked;	   /* the installed warroom's key checked them */
	int64_t backwards_id;	   /* the first event dated before its predecessor */
	int64_t backwards_by;	   /* by this many seconds */
	bool test_clock;	   /* a WARROOM_NOW fixture: backwards is no error */
};
/* Verifies the chain (and, installed, each link's HMAC). 0: it holds;
 * WR_ECORRUPT: r->bad_id is the first broken link, or time runs
 * backwards on a real clock, or head (32 bytes, NULL: none) is not a link
 * of the chain; the message says which. */
int wr_audit_verify(struct wr_db *db, const unsigned char *head, struct wr_audit_result *r);
/* Verifies, then writes the head (count and hash) to syslog: [audit]
 * syslog = HOST:PORT or a socket path, else syslog(3). */
int wr_audit_anchor(struct wr_db *db, struct wr_audit_result *r);

/* ---- transactions (for callers composing several changes) --------------- */
int wr_tx_begin(struct wr_db *db); /* BEGIN IMMEDIATE, waits for writers */
int wr_tx_commit(struct wr_db *db);
void wr_tx_rollback(struct wr_db *db);
/* Records an event in the current transaction; details is a JSON object. */
int wr_event_add(struct wr_db *db, const char *action, const char *details_json);

/* ---- burn-down (core/burndown.c) ---------------------------------------- */
/* Certificates still to revoke (neither revoked nor expired; a delayed
 * one still counts) at npoints instants evenly spaced from t0 to t1
 * (npoints >= 2, t1 > t0); -1 for instants after now. Cost: one indexed
 * range count per point, plus one pass over the revoked certificates
 * when there are any. */
int wr_burndown(struct wr_db *db, int64_t t0, int64_t t1, int npoints, int64_t *pending);
/*
 * The same series kept up to date between calls, for a console that
 * draws it every frame: an update reads only the revocations dated at or
 * after the newest one it has seen, and the points that came into the
 * past, and recomputes it all only when the shape (t0, t1, npoints)
 * changed, certificates were added or removed, or a revocation was dated
 * before the newest one already seen. Equal to wr_burndown at instant
 * now; *pending_now (when not NULL) is the count at now itself, which
 * the last point at or before now only approaches.
 */
struct wr_burndown;
struct wr_burndown *wr_burndown_new(void); /* NULL when out of memory */
void wr_burndown_free(struct wr_burndown *bd);
int wr_burndown_update(struct wr_db *db, struct wr_burndown *bd, int64_t t0, int64_t t1,
		       int npoints, int64_t now, int64_t *pending, int64_t *pending_now);

/* ---- pace (core/pace.c) -------------------------------------------------- */
/*
 * At the rate we are revoking, do we make the deadline? Every figure is
 * taken at instant now. Rates are certificates per hour, counted on
 * revoked_at, whatever revoked them. "The incident's revocations" are
 * those dated from the discovery (any date before the declaration) to
 * now. A rate is founded on WR_PACE_SAMPLE revocations or more.
 *
 * remaining: neither revoked nor expired at now (pending and delayed, as
 *   status counts them).
 * expiring: of those, the ones whose notAfter (their last valid second)
 *   is before the deadline: they expire first and need not be revoked.
 *   0 before the declaration and once the deadline has passed.
 * to_revoke: remaining - expiring, what the deadline asks for; delayed
 *   certificates are in it: a delay is reported, the obligation stands.
 * rate_needed_per_hour: to_revoke / the hours from now to the deadline;
 *   0 when to_revoke is 0; -1 (JSON null) before the declaration, and
 *   after the deadline while to_revoke > 0 (missed: no rate meets it).
 * rate_per_hour: the incident's revocations in the last hour,
 *   (now - 3600, now].
 * rate_overall_per_hour: the incident's revocations / the hours since its
 *   first one, at least one hour (a burst of minutes is not extrapolated);
 *   0 when there is none.
 * basis: the projection rate, "last-hour" when the last hour holds
 *   WR_PACE_SAMPLE revocations or more, else "overall"; "none" when the
 *   incident has no revocation (static text).
 * projected_finish: now + to_revoke at the projection rate, rounded up to
 *   the second, capped at 100 years; when to_revoke is 0, the incident's
 *   last revocation (the work ended then); 0 (null) when the incident has
 *   no revocation yet.
 * margin_seconds: deadline - projected_finish, negative when behind; set
 *   only when both are (has_margin; JSON null otherwise).
 * rate_shown_per_hour: the best sustained rate the backend has shown: the
 *   largest of the last hour's rate, the overall rate, and the rate
 *   (revoked + already) / seconds of each of the newest 256 completed
 *   runs (the "revoke" events of wr_revoke_run) that handled at least
 *   WR_PACE_SAMPLE certificates over at least WR_PACE_RUN_SECONDS; each
 *   one founded on WR_PACE_SAMPLE revocations or more. 0: none known.
 * delay_report_unavoidable_at: deadline - to_revoke at the shown rate, the
 *   last instant from which the rest can still be revoked in time: after
 *   it a delayed-revocation report is due (MRSP 6.1.3, domain.md 5).
 *   Never before now (an instant in the past computed from today's count
 *   is no fact: the report is due now); once the deadline has passed with
 *   to_revoke > 0, the deadline itself, rate or not. 0 (null) before the
 *   declaration, when to_revoke is 0, and while no shown rate is known.
 *
 * Cost: counters, index seeks and range counts on cert_live_expiry and
 * cert_revoked_at, never a pass over the population: it grows with the
 * certificates already expired and the revocations of the last hour
 * (the total less the older ones, when those are fewer than 4096).
 */
#define WR_PACE_SAMPLE 100
#define WR_PACE_RUN_SECONDS 60
struct wr_pace {
	int64_t now;
	int64_t deadline; /* 0: not declared */
	double rate_needed_per_hour;
	double rate_per_hour;
	double rate_overall_per_hour;
	double rate_shown_per_hour;
	const char *basis;
	int64_t projected_finish;
	int64_t margin_seconds;
	bool has_margin;
	int64_t delay_report_unavoidable_at;
	int64_t remaining, expiring, to_revoke;
	int64_t revoked_last_hour; /* the incident's, (now - 3600, now] */
	int64_t revoked_incident;  /* the incident's, up to now */
	int64_t first_revoked_at, last_revoked_at; /* 0: none */
};
int wr_pace_get(struct wr_db *db, int64_t now, struct wr_pace *p);

/* ---- exercises (core/exercise.c, core/scenario.c) ------------------------ */
/* True when the database is a tabletop exercise (migration 13). */
bool wr_exercise_active(struct wr_db *db);

/*
 * An exercise database carries its simulated clock (migrate-013.sql), so
 * every process on it (consoles, commands, the engine, reports) computes
 * the same simulated now: wr_clock_now. On a test fixture (made under
 * WARROOM_NOW) WARROOM_NOW is the real instant the clock is computed
 * from. Pause, resume, speed and end re-base the clock, each an event,
 * and are the facilitator's (wr_auth_facilitator).
 */
struct wr_exercise {
	char scenario[64], title[256], scenario_sha256[65];
	int64_t sim_start;  /* the simulated instant it began */
	int64_t real_start; /* the real instant it began */
	int64_t now;	    /* the simulated now */
	double speed;	    /* simulated seconds per real second */
	bool paused;
	int64_t ended_at; /* simulated; 0: not ended */
	char ca_dir[4096]; /* its test CA, for the local backend */
};
/* WR_ENOENT when db is not an exercise. */
int wr_exercise_get(struct wr_db *db, struct wr_exercise *x);
/* The speeds a clock may run at: a tenth of real time to a year a hour. */
#define WR_EXERCISE_SPEED_MIN 0.1
#define WR_EXERCISE_SPEED_MAX 10000.0
/* The exercise's test CA in its ca_dir (made by wr_scenario_apply): the
 * local backend's ca_cert, ca_key (mode 0600) and out_dir. */
#define WR_EXERCISE_CA_CERT "ca.pem"
#define WR_EXERCISE_CA_KEY "ca.key"
#define WR_EXERCISE_CA_OUT "out"
struct wr_exercise_opts {
	const char *scenario; /* a built-in scenario's name, or a path */
	double speed;	      /* 0: the scenario's default */
	int64_t at;	      /* the simulated start; 0: now */
	const char *plan;     /* the plan tested; NULL: the built-in one */
	const char *name;     /* the incident's name; NULL: "Exercise: TITLE" */
};
/* Creates the exercise database at path (never overwrites) with its test
 * CA in the directory PATH.ca beside it: the incident from the plan, the
 * exercise row, the scenario (wr_scenario_apply); the clock starts when
 * it returns. cfg is the caller's config (a backend other than local is
 * refused); actor who starts it. On failure nothing is left behind and
 * err says why. */
int wr_exercise_start(const char *path, const struct wr_config *cfg, const char *actor,
		      const struct wr_exercise_opts *o, char *err, size_t errsz);
/* WR_ESTATE when already so, or ended; WR_EPERM for a participant. */
int wr_exercise_pause(struct wr_db *db);
int wr_exercise_resume(struct wr_db *db);
int wr_exercise_set_speed(struct wr_db *db, double speed);
int wr_exercise_end(struct wr_db *db); /* the clock stops at the end */
/* 0 unless db is an exercise and backend (NULL: local) is not "local":
 * then WR_EINVAL naming the config line that chose it. */
int wr_exercise_check_backend(struct wr_db *db, const char *backend);
/* What the local backend reads in an exercise: cfg with [local] ca_cert,
 * ca_key and out_dir in the exercise's ca_dir (made once per cfg, kept
 * with db until it closes); cfg itself elsewhere; NULL out of memory. */
const struct wr_config *wr_exercise_local_cfg(struct wr_db *db, const struct wr_config *cfg);
/* In an exercise, where notify sends: [exercise] smtp; NULL when unset
 * (messages are recorded as simulated: nothing leaves the machine). */
const char *wr_exercise_smtp(struct wr_db *db);

struct wr_scenario;
/* Loads a scenario: a path, or the name of a built-in one
 * (data/scenarios/NAME.ini). On error returns WR_EINVAL and writes
 * "FILE:LINE: what was wrong" to err. */
int wr_scenario_load(const char *name_or_path, struct wr_scenario **out, char *err,
		     size_t errsz);
void wr_scenario_free(struct wr_scenario *sc);
const char *wr_scenario_id(const struct wr_scenario *sc);
const char *wr_scenario_title(const struct wr_scenario *sc);
const char *wr_scenario_sha256(const struct wr_scenario *sc); /* hex of the file */
double wr_scenario_speed(const struct wr_scenario *sc);	    /* the default speed */
/* What a scenario holds, for `exercise check` and `exercise scenarios`;
 * strings borrowed from sc. */
struct wr_scenario_info {
	const char *id, *title, *based_on, *reason;
	int64_t discovered; /* seconds after the simulated start, <= 0 */
	bool declare;
	double speed;
	int64_t count, real, customers, named, critical_customers, expired;
	size_t injects, expectations;
};
void wr_scenario_info(const struct wr_scenario *sc, struct wr_scenario_info *out);
/* The built-in scenarios' names, i from 0; NULL past the last. */
const char *wr_scenario_builtin_name(size_t i);
/* Fills a freshly initialised exercise database (its exercise row already
 * present, so wr_clock_now is simulated): the incident's reason and
 * discovery, a test CA of its own in ca_dir (for the local backend), the
 * population (real certificates signed by that CA up to the scenario's
 * size, synthetic rows beyond), customers, injects and expectations. */
int wr_scenario_apply(struct wr_db *db, const struct wr_scenario *sc, const char *ca_dir);

/* ---- injects, expectations, faults (core/inject.c) ---------------------- */
/*
 * An inject fires when the simulated clock reaches the exercise's start
 * plus its offset, exactly once whatever the number of processes: the one
 * whose UPDATE ... WHERE fired_at IS NULL changed the row applies the
 * effect and records "inject-fire", in the same transaction. Effects:
 * more-certs {count, customer}, delay-request {customer, rationale,
 * until}, smtp-down {for}, backend-down {for}, ocsp-lag {for, seconds},
 * reclassify {reason}, question {from}, unavailable {who, for}.
 * The facilitator ([users] NAME = facilitator; everyone with no [users])
 * alone fires by hand, injects ad hoc, scores and sees what has not fired.
 */
bool wr_inject_facilitator(struct wr_db *db);
/* Fires every inject due at the simulated now (as "exercise"), then
 * scores the expectations the database now answers (wr_expect_auto).
 * Cheap when nothing is due: two reads of small tables, no write. Every
 * command and every console's frame calls it on a writable handle. */
int wr_inject_fire_due(struct wr_db *db, int *nfired);
/* Fires one scheduled inject now; WR_EEXIST when it fired already. */
int wr_inject_fire(struct wr_db *db, const char *id);
/* Adds and fires "adhoc-N" to team (NULL: every team); id_out may be NULL. */
int wr_inject_adhoc(struct wr_db *db, const char *team, const char *message, char *id_out,
		    size_t idsz);
struct wr_inject {
	const char *id, *team, *message, *effect, *params; /* borrowed; team NULL: all */
	bool has_offset;   /* scheduled (else only fired by hand) */
	int64_t at_offset; /* simulated seconds after the start */
	int64_t due;	   /* the simulated instant it comes due, 0: by hand */
	int64_t fired_at;  /* 0: not yet */
	const char *fired_by; /* "exercise" when it came due, else who fired it */
};
typedef int (*wr_inject_cb)(const struct wr_inject *in, void *ctx);
/* all: the whole schedule by due time (the facilitator's; WR_EPERM for
 * others); else the fired ones alone, in the order they fired. */
int wr_inject_foreach(struct wr_db *db, bool all, wr_inject_cb cb, void *ctx);
/* A team's pane: the newest `limit` injects fired at or after since and
 * addressed to team or to everyone, newest first. */
int wr_inject_for_team(struct wr_db *db, const char *team, int64_t since, int limit,
		       wr_inject_cb cb, void *ctx);

/* Expectations: kinds delay-decision {customer} (a delay recorded after
 * the inject), preliminary-report (a report or post of the preliminary
 * kind), critical-notified (every critical customer has a notice sent),
 * task-done {task | title}, manual (the facilitator alone). An answer by
 * fired_at + within is met; later, late by the difference; none by the
 * window plus wr_expect_grace, missed. */
struct wr_expectation {
	int64_t id;
	const char *inject_id, *kind, *params, *description; /* borrowed */
	int64_t within, fired_at, due; /* due: fired_at + within, 0 before it fired */
	const char *score;    /* met, late, missed; NULL: not scored */
	const char *state;    /* the score, else "not fired", "open", "overdue" */
	int64_t late_by;
	const char *scored_by; /* "auto" or the facilitator */
	int64_t scored_at;
	const char *note;
};
typedef int (*wr_expect_cb)(const struct wr_expectation *e, void *ctx);
int64_t wr_expect_grace(int64_t within);
/* The facilitator's: every expectation, in the schedule's order. */
int wr_expect_foreach(struct wr_db *db, wr_expect_cb cb, void *ctx);
/* Scores what the database shows, never overriding a score. */
int wr_expect_auto(struct wr_db *db, int *nscored);
/* The facilitator's score (met, late, missed), overriding any; late_by
 * (seconds, 0: unknown) for late only; note may be NULL. */
int wr_expect_score(struct wr_db *db, int64_t id, const char *score, int64_t late_by,
		    const char *note);

/* Faults injects switch on: kind "smtp", "backend" or "ocsp-lag". 1 when
 * one is active at now (*until its end, may be NULL), 0 when none. */
int wr_fault_active(struct wr_db *db, const char *kind, int64_t now, int64_t *until);

/* Observers' notes (anyone's), each an "observe" event too. */
struct wr_observation {
	int64_t id, at;
	const char *by, *text; /* borrowed */
};
typedef int (*wr_observation_cb)(const struct wr_observation *o, void *ctx);
int wr_observation_add(struct wr_db *db, const char *text, int64_t *id_out);
int wr_observation_foreach(struct wr_db *db, wr_observation_cb cb, void *ctx);

/* The evidence report of an exercise (core/exreport.c): Markdown, or one
 * self-contained HTML file with inline SVG charts. previous: the database
 * of the previous exercise, to show how the plan changed (NULL: none).
 * *out is malloc'd and NUL-terminated; WR_EINVAL on a database that is no
 * exercise. */
enum wr_exreport_format { WR_EXREPORT_MD, WR_EXREPORT_HTML };
int wr_exercise_report(struct wr_db *db, enum wr_exreport_format fmt, const char *previous,
		       char **out, size_t *len);

/* ---- reports (core/report.c) -------------------------------------------- */
/*
 * Mozilla's reports, from the database alone (domain.md 5 and 6):
 * preliminary: the CCADB Summary, body "## Preliminary Incident Report";
 * update: the four numbers of a delayed-revocation update and each
 *   delay's rationale per subscriber;
 * full: every section of the CCADB full incident report, in order;
 * postmortem: Phase 4's review, per team and overall.
 * Markdown escapes every text a certificate, a customer or a person gave
 * (wr_esc_md); an exercise's report says EXERCISE on its first line.
 */
enum wr_report_kind { WR_REPORT_PRELIMINARY, WR_REPORT_UPDATE, WR_REPORT_FULL, WR_REPORT_POSTMORTEM };
enum wr_report_format { WR_REPORT_MD, WR_REPORT_JSON };
/* "preliminary", "update", "full", "postmortem"; WR_EINVAL otherwise. */
int wr_report_kind_parse(const char *s, enum wr_report_kind *out);
const char *wr_report_kind_name(enum wr_report_kind kind);
/* Renders a report from the database; *out is malloc'd, NUL-terminated.
 * Every report names the audit chain's head as it was written (Markdown:
 * a closing paragraph "Audit chain: N events, head `N:HASH`"; JSON:
 * "audit"), which `audit verify --head N:HASH` proves. */
int wr_report_render(struct wr_db *db, enum wr_report_kind kind, enum wr_report_format fmt,
		     char **out, size_t *len);
/* Where a Markdown report's closing audit-head paragraph begins in
 * md[0..len) (len: none). The rest is the same report rendered again
 * while only the head moved on (bugzilla.c's "posted once" key). */
size_t wr_report_audit_at(const char *md, size_t len);
/* The title of a new bug: "CA Owner name: brief title". */
int wr_report_title(struct wr_db *db, char **out);
/* From this many affected certificates the full report's appendix lists
 * crt.sh links by SHA-256 instead of the CSV (domain.md 6), and the CSV
 * goes to the bug as an attachment of this name (report post). */
#define WR_REPORT_CRTSH_AT 10000
#define WR_REPORT_APPENDIX_FILE "affected-certificates.csv"
/* ... or, larger than [bugzilla] attachment_max, in parts of this name
 * (part, parts): wr_bugzilla_appendix_name. */
#define WR_REPORT_APPENDIX_PART "affected-certificates-%d-of-%d.csv"
/* The appendix CSV of domain.md 6, header and one row per certificate
 * (*out malloc'd): what `report full --appendix FILE` writes. */
int wr_report_appendix_csv(struct wr_db *db, char **out, size_t *len);

/* ---- findings and action items (core/finding.c) ------------------------- */
/* What only people know, for the full report and the post-mortem:
 * findings by section, and action items. Compliance & Legal's or
 * Management's to record; each change is an event. */
/* Sections: "root-cause", "lesson-well", "lesson-badly", "lesson-lucky",
 * "lesson-other", "related"; NULL-terminated. */
extern const char *const wr_finding_sections[];
struct wr_finding {
	int64_t id, at;
	const char *section, *text, *by; /* borrowed for the callback */
	const char *bug;		 /* related: the other incident's bug, or NULL */
	int64_t date;			 /* related: its date, 0: none */
	const char *team;		 /* the team it is about, NULL: overall */
};
typedef int (*wr_finding_cb)(const struct wr_finding *f, void *ctx);
/* team: the plan's team the finding is about (the post-mortem lists it
 * under that team), NULL for the incident as a whole. bug and date
 * (related incidents only): NULL and 0 when not known. */
int wr_finding_add(struct wr_db *db, const char *section, const char *team, const char *text,
		   const char *bug, int64_t date, int64_t *id_out);
/* Oldest first; section NULL: every section. */
int wr_finding_foreach(struct wr_db *db, const char *section, wr_finding_cb cb, void *ctx);

/* An action item (CCADB: Action Item | Kind | Root Cause | Evaluation
 * Criteria | Due Date | Status). kind: prevent, mitigate, detect; status:
 * ongoing, complete, delayed, canceled. */
extern const char *const wr_action_kinds[];    /* NULL-terminated */
extern const char *const wr_action_statuses[]; /* NULL-terminated */
struct wr_action {
	int64_t id;
	const char *title, *kind, *root_cause, *criteria, *status;
	int64_t due;
	const char *created_by; /* set by the core */
	int64_t created_at, updated_at;
};
typedef int (*wr_action_cb)(const struct wr_action *a, void *ctx);
/* Every field but status (NULL: ongoing) is required. */
int wr_action_add(struct wr_db *db, const struct wr_action *a, int64_t *id_out);
/* Changes the fields of ch that are set (NULL, 0: unchanged); *changed
 * false when they were already so (nothing recorded). */
int wr_action_set(struct wr_db *db, int64_t id, const struct wr_action *ch, bool *changed);
/* By due date, then id. */
int wr_action_foreach(struct wr_db *db, wr_action_cb cb, void *ctx);
int wr_action_get(struct wr_db *db, int64_t id, wr_action_cb cb, void *ctx);
/* Its events (action-add, action-set), oldest first. */
int wr_action_history(struct wr_db *db, int64_t id, wr_event_cb cb, void *ctx);

/* ---- the incident's overall figures (core/metrics.c) -------------------- */
/* Times are 0 when the event has not happened; durations are from the
 * discovery, -1 when either end is unknown. */
struct wr_metrics {
	int64_t discovered, declared, first_notice, revocation_complete, deadline, closed;
	int64_t to_declare;	      /* declared - discovered */
	int64_t to_first_notice;      /* first customer notice - discovered */
	int64_t to_revocation_complete; /* the last revocation - discovered */
	int64_t remaining;	      /* still to revoke now (pending and delayed) */
	/* Deadline met: every certificate revoked or expired by the deadline
	 * (margin >= 0: finished that long before it). Missed: by how much,
	 * counted to the completion, or to now while some remain. */
	bool deadline_known, deadline_met;
	int64_t deadline_margin;      /* deadline - completion (or now); < 0: missed */
	int64_t revoked_by_deadline, revoked_after_deadline;
};
int wr_metrics_get(struct wr_db *db, struct wr_metrics *m);

/* ---- reporting to Mozilla: Bugzilla and the cadence --------------------- */
/*
 * The cadence (core/reporting.c, domain.md 5 and 6): the preliminary
 * report within 72 h of the discovery (the declaration when none is
 * known), the full report within 14 days of it, and after the newest
 * report posted to the bug (or marked posted by hand) the next update
 * within 3 days (should) and 7 (must). Times are 0 when not known: the
 * dues before the declaration, the next update before the first post.
 */
#define WR_REPORT_PRELIMINARY_WITHIN (72 * 3600)
#define WR_REPORT_FULL_WITHIN (14 * 86400)
#define WR_UPDATE_SHOULD (3 * 86400)
#define WR_UPDATE_MUST (7 * 86400)
#define WR_UPDATE_ALARM (24 * 3600) /* red this long before the 7-day limit */
struct wr_reporting {
	int64_t bug; /* the incident's bug, the newest named; 0: none */
	int64_t preliminary_due, preliminary_done; /* done: first posted, 0: not */
	int64_t full_due, full_done;
	int64_t last_update; /* the newest report posted (any kind), 0: none */
	int64_t next_due_should, next_due_must;
	int64_t queued;	 /* posts waiting for `report post --retry` */
	int64_t unknown; /* posts whose outcome is unknown */
};
int wr_reporting_get(struct wr_db *db, int64_t now, struct wr_reporting *r);
/* The next update's urgency at now: fine, the 3-day mark passed (warn),
 * within WR_UPDATE_ALARM of the 7-day limit or past it (alarm). */
enum { WR_REPORTING_FINE, WR_REPORTING_WARN, WR_REPORTING_ALARM };
int wr_reporting_level(const struct wr_reporting *r, int64_t now);
/* A report posted by hand to bug at instant at (External Communications). */
int wr_reporting_mark(struct wr_db *db, int64_t bug, int64_t at, enum wr_report_kind kind);

/*
 * Posting (core/bugzilla.c): the rendered Markdown report as a comment on
 * a bug, or as the description of a new bug, over Bugzilla's REST API
 * ([bugzilla] url), the API key in the X-BUGZILLA-API-KEY header only.
 * Exactly once, as notify: each comment is queued in the database before
 * it is sent; a failure leaves it queued with its error for a retry; one
 * whose request went out unanswered, or whose process died, is unknown
 * and sent again only when asked. A report longer than a comment may be
 * goes as several, split at line ends, each headed "(part i/n)".
 * External Communications' or Management's.
 */
#define WR_BUGZILLA_COMMENT_MAX 65535 /* characters of one comment */
#define WR_BUGZILLA_DELAY_TAG "[leaf-revocation-delay]"
struct wr_bugzilla_opts {
	enum wr_report_kind kind;
	int64_t bug;	  /* comment on this bug (0 with new_bug) */
	bool new_bug;	  /* file a new bug, the report its description */
	bool whiteboard;  /* add WR_BUGZILLA_DELAY_TAG when delays exist */
	bool retry;	  /* post nothing new: send what is queued */
	bool resend_unknown; /* with retry: send those of unknown outcome too */
};
struct wr_bugzilla_stats {
	int64_t bug;	     /* the bug of the new post (filed, with new_bug) */
	int64_t parts;	     /* comments the new post makes */
	int64_t sent, failed, unknown; /* outcomes of this run's requests */
	int64_t waiting;     /* left queued after the run (failed, or behind) */
	int64_t unknown_found; /* of unknown outcome from earlier runs, left */
	int64_t comment_id;  /* the last comment posted */
	int64_t attachment_id; /* the appendix's attachment, when it went */
	bool delays;	     /* certificates are delayed */
	bool whiteboard_set; /* the tag was added (false: there already) */
};
/* Each request's outcome: its post's id, its bug (0: not filed), kind,
 * part of parts (part 0: an attachment of the appendix, whole or a part;
 * its file name is in the detail of a part that failed),
 * state "sent", "queued" (failed, kept) or "unknown", Bugzilla's id (a
 * comment's, the attachment's, or the new bug's) and the error (a sent
 * attachment's: its file name). */
typedef void (*wr_bugzilla_cb)(int64_t post, int64_t bug, const char *kind, int part,
			       int parts, const char *state, int64_t id, const char *detail,
			       void *ctx);
int wr_bugzilla_post(struct wr_db *db, const struct wr_bugzilla_opts *o, wr_bugzilla_cb cb,
		     void *ctx, struct wr_bugzilla_stats *st);
/* The queue, oldest first: each comment (part) of each post, and its
 * attachments (op "attachment": part 0 the whole CSV, else part of parts
 * of it, wr_bugzilla_appendix_name; comment_id: the attachment's). */
struct wr_bugzilla_row {
	int64_t id, post, bug; /* bug 0: a new bug not filed yet */
	int part, parts, attempts;
	const char *op, *kind, *state, *error; /* borrowed for the callback */
	int64_t comment_id, created, sent_at;
};
typedef int (*wr_bugzilla_row_cb)(const struct wr_bugzilla_row *r, void *ctx);
int wr_bugzilla_foreach(struct wr_db *db, wr_bugzilla_row_cb cb, void *ctx);
/* A person settles post's rows not sent (queued or unknown): "sent" when
 * they are on the bug (seen there; a new bug's number in bug, else 0),
 * "dropped" when they are not to go. *rows: how many; an event.
 * External Communications or Management. */
int wr_bugzilla_settle(struct wr_db *db, int64_t post, const char *as, int64_t bug,
		       int64_t *rows);
/* Splits text into comments of at most max characters (code points), at
 * line ends where it can, each but a lone one headed "(part i/n)\n\n".
 * *parts malloc'd (free with wr_bugzilla_split_free). */
int wr_bugzilla_split(const char *text, size_t max, char ***parts, size_t *n);
void wr_bugzilla_split_free(char **parts, size_t n);
/* Bugzilla's maxattachmentsize default, 1000 KB: [bugzilla] attachment_max
 * when unset or 0 (wr_bugzilla_attachment_max: the setting, in bytes). */
#define WR_BUGZILLA_ATTACHMENT_MAX (1000 * 1024)
size_t wr_bugzilla_attachment_max(const struct wr_config *cfg);
/* Splits a CSV into parts of at most max bytes, each of whole rows (a
 * quoted field's line ends are inside its row) and each starting with the
 * header row; a row too long for any part goes alone in one. One part
 * when it all fits. Free with wr_bugzilla_split_free. */
int wr_bugzilla_csv_split(const char *csv, size_t max, char ***parts, size_t *n);
/* The file name of the appendix's part of parts (parts 1 or part 0: the
 * whole, WR_REPORT_APPENDIX_FILE). */
void wr_bugzilla_appendix_name(int part, int parts, char *buf, size_t bufsz);

#endif
