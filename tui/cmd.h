/*
 * cmd.h: the command table shared by the command line and the console's
 * ':' line. Each command is one const struct wr_cmd; --help, the console's
 * completion and the man page's synopsis come from the table.
 */
#ifndef WR_CMD_H
#define WR_CMD_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "wr.h"

/* Exit statuses of the command line. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };
/* Not an exit status: the console's ':' line only, where a command that
 * asks before acting leaves its question in ctx->question (confirm.c). */
enum { EXIT_ASK = 3 };

struct wr_ctx {
	const char *db_path;
	const char *config_path;
	struct wr_config *cfg;
	struct wr_db *db; /* opened on demand by cmd_db() */
	FILE *out, *err;
	bool console; /* run from the console's ':' line */
	bool yes;     /* confirmed: --yes, or y in the console (one command) */
	const char *team; /* the console's --team: the user's own with no [users] */
	char *question;   /* EXIT_ASK: what the console asks (malloc'd, escaped) */
};

enum {
	CMD_NEEDS_DB = 1 << 0, /* opens the database before exec */
	CMD_READONLY = 1 << 1, /* ... read-only is enough */
};

struct wr_cmd {
	const char *name;  /* "status", "task done" */
	const char *args;  /* synopsis after the name */
	const char *summary;
	const char *optstring;
	const struct option *longopts;
	unsigned flags;
	int (*exec)(struct wr_ctx *ctx, int argc, char **argv);
};

extern const struct wr_cmd *const wr_cmds[];
extern const size_t wr_ncmds;

/* Runs argv (the command and its arguments); returns an exit status. */
int cmd_run(struct wr_ctx *ctx, int argc, char **argv);
/* Splits a console line shell-style and runs it. */
int cmd_run_line(struct wr_ctx *ctx, const char *line);
/* The splitting: words into argv[max] (NULL-terminated), their bytes into
 * buf (strlen(line) + 1); the count, or -1 with why. */
int cmd_split_line(const char *line, char *buf, char **argv, int max, const char **why);
/* The table entry for argv, or NULL; *used is 1 or 2 words. */
const struct wr_cmd *cmd_find(int argc, char **argv, int *used);
void cmd_usage(struct wr_ctx *ctx, const struct wr_cmd *c, FILE *f);
void cmd_list(FILE *f);

/* Helpers for exec functions. */
int cmd_db(struct wr_ctx *ctx, int flags);	 /* opens ctx->db once */
int cmd_fail(struct wr_ctx *ctx, int code);	 /* prints the db's message */
int cmd_error(struct wr_ctx *ctx, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int cmd_exit_status(int wr_code);
/* Prints s escaped for a terminal (NULL prints "-"). */
void out_term(FILE *f, const char *s);
/* Same, padded or cut to width columns. */
void out_term_w(FILE *f, const char *s, int width);
/* Text the database keeps escaped (a certificate name, a customer from
 * the CSV: cmd-cert.c) in a column of width (0: as it is), cut with an
 * ellipsis when cut; NULL prints "-". */
void out_kept(FILE *f, const char *s, int width, bool cut);
/* The customer NAME names as certs and customers print it, or typed raw,
 * as the database keeps it (malloc'd; NULL when out of memory). */
char *cmd_customer_key(const char *name);
/* A JSON string from any bytes (sanitized to UTF-8); null for NULL. */
json_t *jstr(const char *s);
json_t *jtime(int64_t t); /* RFC 3339, or null for 0 */
/* Dumps with control and non-ASCII characters escaped; frees j. */
void out_json(FILE *f, json_t *j);
int parse_int(const char *s, int64_t *out);
/* A wr_reject_cb (ctx is the struct wr_ctx *): "warroom: WHERE: WHY" on
 * the error stream, both escaped for the terminal. */
void cmd_on_reject(const char *where, const char *why, void *ctx);
/* Reports the option getopt refused; returns EXIT_USAGE. */
int cmd_bad_option(struct wr_ctx *ctx, const struct wr_cmd *c, char **argv);
/* Reports an argument the command does not take; returns EXIT_USAGE. */
int cmd_stray(struct wr_ctx *ctx, const struct wr_cmd *c, const char *arg);

/* One task in full as `task show` prints it (cmd-task.c), one line per
 * field, note and event, escaped; the console's detail view draws it. */
int task_show_text(struct wr_db *db, int64_t id, FILE *f);

/* confirm.c: the actions that ask before they act (close, a phase change
 * that leaves revocation with certificates pending, ticking another
 * team's task). cmd_run calls cmd_confirm_before before exec: it takes
 * --yes out of argv and asks when this use asks; 0 to go on, else the
 * status to return (EXIT_ASK in the console). */
int cmd_confirm_before(struct wr_ctx *ctx, const struct wr_cmd *c, int *argc, char **argv);
/* Asks question (escaped) as the context allows; 0 when confirmed. */
int cmd_confirm(struct wr_ctx *ctx, const struct wr_cmd *c, const char *question);
bool cmd_asks(const struct wr_cmd *c); /* it takes --yes */
/* The user's own teams ("revocation, replacement"), NULL: every team. */
const char *cmd_own_teams(struct wr_ctx *ctx);
/* 1 and the question in q ("WHAT of TEAM? It is not your team ...") when
 * ticking a task of team asks: not the user's own, and they may. */
int cmd_tick_question(struct wr_ctx *ctx, const char *team, const char *what, char *q,
		      size_t n);

/* usage.c: --help of the program and of each command. */
void cmd_help(struct wr_ctx *ctx, const struct wr_cmd *c, FILE *f);
extern const char *const cmd_global_options[]; /* "--db", ..., NULL */
/* "did you mean": prints "; did you mean 'X'?" material for a word. */
const char *cmd_suggest_command(int argc, char **argv);
const char *cmd_suggest_option(const struct wr_cmd *c, const char *opt);

#define CMD_DECLARE(n) extern const struct wr_cmd n
CMD_DECLARE(cmd_init);
CMD_DECLARE(cmd_import);
CMD_DECLARE(cmd_reasons);
CMD_DECLARE(cmd_declare);
CMD_DECLARE(cmd_status);
CMD_DECLARE(cmd_certs);
CMD_DECLARE(cmd_phase);
CMD_DECLARE(cmd_close);
CMD_DECLARE(cmd_reopen);
CMD_DECLARE(cmd_task_list);
CMD_DECLARE(cmd_task_done);
CMD_DECLARE(cmd_task_reopen);
CMD_DECLARE(cmd_task_assign);
CMD_DECLARE(cmd_task_note);
CMD_DECLARE(cmd_task_add);
CMD_DECLARE(cmd_task_show);
CMD_DECLARE(cmd_task_block);
CMD_DECLARE(cmd_task_unblock);
CMD_DECLARE(cmd_authorize);
CMD_DECLARE(cmd_revoke);
CMD_DECLARE(cmd_delay);
CMD_DECLARE(cmd_crl);
CMD_DECLARE(cmd_verify);
CMD_DECLARE(cmd_log);
CMD_DECLARE(cmd_audit_verify);
CMD_DECLARE(cmd_audit_anchor);
CMD_DECLARE(cmd_policy_pin);
CMD_DECLARE(cmd_policy_show);
CMD_DECLARE(cmd_wave_add);
CMD_DECLARE(cmd_wave_list);
CMD_DECLARE(cmd_wave_move);
CMD_DECLARE(cmd_customer_set);
CMD_DECLARE(cmd_customer_recount);
CMD_DECLARE(cmd_customers);
CMD_DECLARE(cmd_ack);
CMD_DECLARE(cmd_ari);
CMD_DECLARE(cmd_notify);
CMD_DECLARE(cmd_probe);
CMD_DECLARE(cmd_contacts_check);
CMD_DECLARE(cmd_exercise_report);
CMD_DECLARE(cmd_exercise_inject);
CMD_DECLARE(cmd_exercise_injects);
CMD_DECLARE(cmd_exercise_score);
CMD_DECLARE(cmd_exercise_observe);
CMD_DECLARE(cmd_exercise_start);
CMD_DECLARE(cmd_exercise_pause);
CMD_DECLARE(cmd_exercise_resume);
CMD_DECLARE(cmd_exercise_speed);
CMD_DECLARE(cmd_exercise_end);
CMD_DECLARE(cmd_exercise_status);
CMD_DECLARE(cmd_exercise_check);
CMD_DECLARE(cmd_exercise_scenarios);
/* Fires what came due in an exercise (cmd-inject.c): cmd_run calls it on
 * the command's handle; readonly: with a writable one of its own. */
void cmd_exercise_tick(struct wr_ctx *ctx, bool readonly);
/* A command that is a run with no batches to pause between (import,
 * verify, crl, cmd-runs.c): in the run table from begin to end, so every
 * console's banner shows it; 0 when it could not be recorded. End it
 * after reporting a failure (rc: its WR_E* code). */
int64_t cmd_job_begin(struct wr_ctx *ctx, const char *kind, int argc, char **argv);
void cmd_job_end(struct wr_ctx *ctx, int64_t id, int rc, int64_t done, int64_t failed);
CMD_DECLARE(cmd_runs);
CMD_DECLARE(cmd_runs_pause);
CMD_DECLARE(cmd_runs_resume);
CMD_DECLARE(cmd_runs_cancel);
CMD_DECLARE(cmd_report);
CMD_DECLARE(cmd_report_post);
CMD_DECLARE(cmd_report_posted);
CMD_DECLARE(cmd_finding_add);
CMD_DECLARE(cmd_finding_list);
CMD_DECLARE(cmd_action_add);
CMD_DECLARE(cmd_action_list);
CMD_DECLARE(cmd_action_set);

#endif
