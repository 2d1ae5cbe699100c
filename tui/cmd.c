/*
 * cmd.c: finding and running commands from the table (their help is
 * usage.c's, their confirmations confirm.c's), and the
 * output helpers every command shares (terminal escaping, JSON).
 *
 * Nothing here knows what a command does; the cmd-*.c files do.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

const struct wr_cmd *const wr_cmds[] = {
	&cmd_init,	&cmd_import,	  &cmd_reasons,	    &cmd_declare,
	&cmd_status,	&cmd_certs,	  &cmd_task_list,   &cmd_task_done,
	&cmd_task_reopen, &cmd_task_assign, &cmd_task_note, &cmd_task_add,
	&cmd_task_show, &cmd_task_block, &cmd_task_unblock,
	&cmd_phase,	&cmd_close,	  &cmd_reopen,	    &cmd_authorize,   &cmd_revoke,
	&cmd_delay,	&cmd_crl,	  &cmd_verify,	    &cmd_log,
	&cmd_audit_verify, &cmd_audit_anchor, &cmd_policy_pin, &cmd_policy_show,
	&cmd_wave_add,	&cmd_wave_list,	  &cmd_wave_move,
	&cmd_customer_set, &cmd_customer_recount, &cmd_customers, &cmd_ack, &cmd_ari, &cmd_notify,
	&cmd_contacts_check,
	&cmd_probe, &cmd_exercise_report,
	&cmd_exercise_inject, &cmd_exercise_injects, &cmd_exercise_score, &cmd_exercise_observe,
	&cmd_exercise_start, &cmd_exercise_pause, &cmd_exercise_resume, &cmd_exercise_speed,
	&cmd_exercise_end, &cmd_exercise_status, &cmd_exercise_check, &cmd_exercise_scenarios,
	/* "runs pause" before "runs", which would take "pause" as its argument. */
	&cmd_runs_pause, &cmd_runs_resume, &cmd_runs_cancel, &cmd_runs,
	&cmd_finding_add, &cmd_finding_list, &cmd_action_add, &cmd_action_list,
	&cmd_action_set,
	/* Last: "report post" and "report posted", anywhere above, win over
	 * "report", which would take "post" as its KIND. */
	&cmd_report_post, &cmd_report_posted,
	&cmd_report,
};
const size_t wr_ncmds = sizeof wr_cmds / sizeof wr_cmds[0];

const struct wr_cmd *cmd_find(int argc, char **argv, int *used)
{
	if (argc < 1)
		return NULL;
	for (size_t i = 0; i < wr_ncmds; i++) {
		if (!wr_cmds[i])
			continue;
		const char *n = wr_cmds[i]->name, *sp = strchr(n, ' ');
		if (!sp && strcmp(n, argv[0]) == 0) {
			*used = 1;
			return wr_cmds[i];
		}
		if (sp && argc >= 2 && strncmp(n, argv[0], (size_t)(sp - n)) == 0 &&
		    argv[0][sp - n] == '\0' && strcmp(sp + 1, argv[1]) == 0) {
			*used = 2;
			return wr_cmds[i];
		}
	}
	return NULL;
}

void cmd_usage(struct wr_ctx *ctx, const struct wr_cmd *c, FILE *f)
{
	(void)ctx;
	/* A command that asks (confirm.c) takes --yes whether it says so or not. */
	bool yes = cmd_asks(c) && !strstr(c->args, "--yes");
	fprintf(f, "usage: warroom %s%s%s%s\n  %s\n", c->name, c->args[0] ? " " : "", c->args,
		yes ? " [--yes]" : "", c->summary);
}

int cmd_exit_status(int code)
{
	switch (code) {
	case WR_OK: return EXIT_OK;
	case WR_EINVAL:
	case WR_ENOTWR: return EXIT_USAGE;
	default: return EXIT_FAIL;
	}
}

int cmd_error(struct wr_ctx *ctx, int status, const char *fmt, ...)
{
	va_list ap;

	fputs("warroom: ", ctx->err);
	va_start(ap, fmt);
	vfprintf(ctx->err, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->err);
	return status;
}

int cmd_fail(struct wr_ctx *ctx, int code)
{
	char *m = wr_esc_term(ctx->db ? wr_db_errmsg(ctx->db) : wr_strerror(code));
	cmd_error(ctx, 0, "%s", m ? m : wr_strerror(code));
	free(m);
	return cmd_exit_status(code);
}

int cmd_db(struct wr_ctx *ctx, int flags)
{
	int rc;

	if (ctx->db)
		return 0;
	rc = wr_db_open(ctx->db_path, flags, &ctx->db);
	if (rc) {
		int st = cmd_fail(ctx, rc);
		wr_db_close(ctx->db);
		ctx->db = NULL;
		return st;
	}
	wr_db_set_config(ctx->db, ctx->cfg);
	return 0;
}

int cmd_run(struct wr_ctx *ctx, int argc, char **argv)
{
	int used = 0, rc;
	const struct wr_cmd *c = cmd_find(argc, argv, &used);

	bool yes = ctx->yes; /* the console's y, for this command only */
	ctx->yes = false;
	/* A command the console runs in the background (background.c) is
	 * still the console's: no prompt, no progress drawn. It changes only
	 * what is printed, so the variable counts in every mode. */
	if (getenv("WARROOM_CONSOLE_JOB"))
		ctx->console = true;
	if (!c) {
		if (argc >= 1 && strcmp(argv[0], "help") == 0) {
			if (argc >= 2 && (c = cmd_find(argc - 1, argv + 1, &used))) {
				cmd_help(ctx, c, ctx->out);
				return EXIT_OK;
			}
			cmd_list(ctx->out);
			return EXIT_OK;
		}
		/* Name what was wrong, and what was probably meant. */
		const char *near = cmd_suggest_command(argc, argv);
		char *m = wr_esc_term(argc ? argv[0] : "");
		char *m2 = wr_esc_term(argc >= 2 ? argv[1] : "");
		if (near)
			cmd_error(ctx, 0, "unknown command '%s%s%s'; did you mean '%s'?", m ? m : "",
				  strchr(near, ' ') ? " " : "", strchr(near, ' ') && m2 ? m2 : "",
				  near);
		else
			cmd_error(ctx, 0, "unknown command '%s'%s", m ? m : "",
				  argc >= 2 ? " (or subcommand)" : "");
		free(m);
		free(m2);
		fprintf(ctx->err, "'warroom --help' lists the commands\n");
		return EXIT_USAGE;
	}
	/* argv[0] becomes the command's name for getopt's messages. */
	argc -= used - 1;
	argv += used - 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cmd_help(ctx, c, ctx->out);
			return EXIT_OK;
		}
	}
	if ((c->flags & CMD_NEEDS_DB) &&
	    (rc = cmd_db(ctx, (c->flags & CMD_READONLY) ? WR_OPEN_READONLY : 0)))
		return rc;
	/* An exercise's injects that came due fire before the command acts. */
	cmd_exercise_tick(ctx, (c->flags & CMD_READONLY) != 0);
	ctx->yes = yes;
	if ((rc = cmd_confirm_before(ctx, c, &argc, argv))) {
		ctx->yes = false;
		return rc;
	}
	optind = 0; /* getopt_long restarts (GNU: 0 also resets its state) */
	opterr = 0;
	rc = c->exec(ctx, argc, argv);
	ctx->yes = false;
	return rc;
}

/* Shell-like splitting: spaces separate, quotes group, backslash escapes. */
int cmd_split_line(const char *line, char *buf, char **argv, int max, const char **why)
{
	char *w = buf;
	int argc = 0;
	const char *p = line;

	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (argc == max - 1) {
			*why = "too many words";
			return -1;
		}
		argv[argc++] = w;
		char q = 0;
		while (*p && (q || (*p != ' ' && *p != '\t'))) {
			if (q && *p == q) {
				q = 0;
				p++;
			} else if (!q && (*p == '"' || *p == '\'')) {
				q = *p++;
			} else if (*p == '\\' && p[1] && q != '\'') {
				*w++ = p[1];
				p += 2;
			} else {
				*w++ = *p++;
			}
		}
		if (q) {
			*why = "unterminated quote";
			return -1;
		}
		*w++ = '\0';
	}
	argv[argc] = NULL;
	return argc;
}

int cmd_run_line(struct wr_ctx *ctx, const char *line)
{
	char *buf = malloc(strlen(line) + 1);
	char *argv[64];
	const char *why = "";
	int argc, rc;

	if (!buf)
		return EXIT_FAIL;
	if ((argc = cmd_split_line(line, buf, argv, 64, &why)) < 0)
		rc = cmd_error(ctx, EXIT_USAGE, "%s", why);
	else
		rc = argc ? cmd_run(ctx, argc, argv) : EXIT_OK;
	free(buf);
	return rc;
}

void cmd_on_reject(const char *where, const char *why, void *arg)
{
	struct wr_ctx *ctx = arg;
	char *w = wr_esc_term(where), *y = wr_esc_term(why);

	fprintf(ctx->err, "warroom: %s: %s\n", w ? w : "?", y ? y : "?");
	free(w);
	free(y);
}

/* The bad option getopt saw, for a message. Every option is long-only, so
 * optopt is set (to the option's value) only when an argument is missing. */
int cmd_bad_option(struct wr_ctx *ctx, const struct wr_cmd *c, char **argv)
{
	char *m = wr_esc_term(optind > 0 ? argv[optind - 1] : "?");

	const char *near = optind > 0 ? cmd_suggest_option(c, argv[optind - 1]) : NULL;

	if (optopt)
		cmd_error(ctx, 0, "%s: option '%s' needs an argument", c->name, m ? m : "?");
	else if (near)
		cmd_error(ctx, 0, "%s: unknown option '%s'; did you mean '%s'?", c->name,
			  m ? m : "?", near);
	else
		cmd_error(ctx, 0, "%s: unknown option '%s'", c->name, m ? m : "?");
	free(m);
	cmd_usage(ctx, c, ctx->err);
	return EXIT_USAGE;
}

int cmd_stray(struct wr_ctx *ctx, const struct wr_cmd *c, const char *arg)
{
	char *m = wr_esc_term(arg);
	cmd_error(ctx, 0, "%s: unexpected argument '%s'", c->name, m ? m : "?");
	free(m);
	cmd_usage(ctx, c, ctx->err);
	return EXIT_USAGE;
}

void out_term(FILE *f, const char *s)
{
	char *e = wr_esc_term(s ? s : "-");
	fputs(e ? e : "?", f);
	free(e);
}

void out_term_w(FILE *f, const char *s, int width)
{
	char *e = wr_esc_term(s ? s : "-");
	int w;

	if (!e)
		return;
	w = wr_str_width(e);
	if (w > width) {
		/* Cut at a character boundary, keeping room for the ellipsis. */
		size_t i = 0;
		int cw = 0;
		while (e[i]) {
			size_t k = 1;
			while ((e[i + k] & 0xc0) == 0x80)
				k++;
			char save = e[i + k];
			e[i + k] = '\0';
			int ww = wr_str_width(e + i);
			e[i + k] = save;
			if (cw + ww > width - 1)
				break;
			cw += ww;
			i += k;
		}
		e[i] = '\0';
		fputs(e, f);
		fputs("…", f);
		w = cw + 1;
	} else {
		fputs(e, f);
	}
	for (; w < width; w++)
		fputc(' ', f);
	free(e);
}

json_t *jstr(const char *s)
{
	json_t *j;

	if (!s)
		return json_null();
	if ((j = json_string(s)))
		return j;
	char *t = wr_utf8_sanitize(s, strlen(s));
	j = t ? json_string(t) : NULL;
	free(t);
	return j ? j : json_null();
}

json_t *jtime(int64_t t)
{
	char b[WR_TIME_BUFSZ];
	return t ? json_string(wr_time_format(t, b)) : json_null();
}

void out_json(FILE *f, json_t *j)
{
	/* ENSURE_ASCII: control bytes, bidi controls and every other non-ASCII
	 * character leave as \uXXXX escapes, never raw. */
	json_dumpf(j, f, JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(j);
}

int parse_int(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		return -1;
	*out = v;
	return 0;
}
