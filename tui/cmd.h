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

struct wr_ctx {
	const char *db_path;
	const char *config_path;
	struct wr_config *cfg;
	struct wr_db *db; /* opened on demand by cmd_db() */
	FILE *out, *err;
	bool console; /* run from the console's ':' line */
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

#define CMD_DECLARE(n) extern const struct wr_cmd n
CMD_DECLARE(cmd_init);
CMD_DECLARE(cmd_import);
CMD_DECLARE(cmd_reasons);
CMD_DECLARE(cmd_declare);
CMD_DECLARE(cmd_status);
CMD_DECLARE(cmd_certs);
CMD_DECLARE(cmd_phase);
CMD_DECLARE(cmd_close);
CMD_DECLARE(cmd_task_list);
CMD_DECLARE(cmd_task_done);
CMD_DECLARE(cmd_task_reopen);
CMD_DECLARE(cmd_task_assign);
CMD_DECLARE(cmd_task_note);
CMD_DECLARE(cmd_task_add);
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

#endif
