/*
 * cmd-task.c: task list, done, reopen, assign, note and add.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const struct option list_opts[] = {
	{"team", required_argument, NULL, 't'},
	{"phase", required_argument, NULL, 'p'},
	{"undone", no_argument, NULL, 'u'},
	{"json", no_argument, NULL, 'j'},
	{0},
};

struct list_out {
	struct wr_ctx *ctx;
	json_t *arr;
	int64_t now;
	int phase; /* exactly this phase; -1: all */
};

static int task_row(const struct wr_task *t, void *arg)
{
	struct list_out *o = arg;
	FILE *f = o->ctx->out;
	char b[WR_TIME_BUFSZ];

	if (o->phase >= 0 && t->phase != o->phase)
		return 0;
	if (o->arr) {
		json_array_append_new(
			o->arr, json_pack("{s:I, s:o, s:i, s:s, s:o, s:o, s:o, s:b, s:o, s:o, s:o}",
					  "id", (json_int_t)t->id, "team", jstr(t->team), "phase",
					  t->phase, "phase_name", wr_phase_name(t->phase), "title",
					  jstr(t->title), "owner", jstr(t->owner), "due",
					  jtime(t->due), "done", t->done_at != 0, "done_by",
					  jstr(t->done_by), "done_at", jtime(t->done_at), "note",
					  jstr(t->note)));
		return 0;
	}
	fprintf(f, "%4lld [%c] ", (long long)t->id, t->done_at ? 'x' : ' ');
	out_term_w(f, t->team, 18);
	fprintf(f, " %-13s ", wr_phase_name(t->phase));
	out_term_w(f, t->owner, 10);
	if (t->due)
		fprintf(f, " %s%s ", wr_time_format(t->due, b),
			!t->done_at && t->due < o->now ? "!" : " ");
	else
		fprintf(f, " %-21s ", "-");
	out_term(f, t->title);
	fputc('\n', f);
	return 0;
}

static int list_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct wr_task_filter flt = {.max_phase = -1};
	struct list_out out = {ctx, NULL, wr_clock_now(ctx->db), -1};
	bool json = false;
	int o, rc, phase = -1;

	while ((o = getopt_long(argc, argv, "", list_opts, NULL)) != -1) {
		switch (o) {
		case 't': flt.team = optarg; break;
		case 'u': flt.undone_only = true; break;
		case 'j': json = true; break;
		case 'p':
			if ((phase = wr_phase_parse(optarg)) < 0)
				return cmd_error(ctx, EXIT_USAGE, "task list: no phase '%s'", optarg);
			break;
		default: return cmd_bad_option(ctx, &cmd_task_list, argv);
		}
	}
	if (optind != argc)
		return cmd_stray(ctx, &cmd_task_list, argv[optind]);
	flt.max_phase = phase;
	out.phase = phase;
	if (json)
		out.arr = json_array();
	else
		fprintf(ctx->out, "%4s %-3s %-18s %-13s %-10s %-22s %s\n", "ID", "", "TEAM",
			"PHASE", "OWNER", "DUE", "TITLE");
	if ((rc = wr_task_foreach(ctx->db, &flt, task_row, &out))) {
		json_decref(out.arr);
		return cmd_fail(ctx, rc);
	}
	if (json) {
		out_json(ctx->out, out.arr);
	}
	return EXIT_OK;
}

const struct wr_cmd cmd_task_list = {
	"task list", "[--team ID] [--phase PHASE] [--undone] [--json]",
	"list the plan's tasks",
	"", list_opts, CMD_NEEDS_DB | CMD_READONLY, list_exec,
};

static int task_id(struct wr_ctx *ctx, const struct wr_cmd *c, const char *s, int64_t *id)
{
	if (parse_int(s, id) || *id <= 0) {
		char *m = wr_esc_term(s);
		cmd_error(ctx, 0, "%s: '%s' is not a task id (see 'warroom task list')", c->name, m);
		free(m);
		return EXIT_USAGE;
	}
	return 0;
}

static const struct option note_opts[] = {
	{"note", required_argument, NULL, 'n'},
	{0},
};

static int done_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	const char *note = NULL;
	int64_t id;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", note_opts, NULL)) != -1) {
		if (o != 'n')
			return cmd_bad_option(ctx, &cmd_task_done, argv);
		note = optarg;
	}
	if (optind != argc - 1) {
		cmd_usage(ctx, &cmd_task_done, ctx->err);
		return EXIT_USAGE;
	}
	if ((rc = task_id(ctx, &cmd_task_done, argv[optind], &id)))
		return rc;
	if ((rc = wr_task_done(ctx->db, id, note)))
		return cmd_fail(ctx, rc);
	fprintf(ctx->out, "task %lld done\n", (long long)id);
	return EXIT_OK;
}

const struct wr_cmd cmd_task_done = {
	"task done", "ID [--note TEXT]", "tick a task (its team's lead, or Management)",
	"", note_opts, CMD_NEEDS_DB, done_exec,
};

static const struct option no_opts[] = {{0}};

/* Commands of positional arguments only: getopt still refuses unknown
 * options and lets "--" pass a text that starts with '-'. */
static int positional(struct wr_ctx *ctx, const struct wr_cmd *c, int argc, char **argv,
		      int want)
{
	if (getopt_long(argc, argv, "", no_opts, NULL) != -1)
		return cmd_bad_option(ctx, c, argv);
	if (argc - optind != want) {
		cmd_usage(ctx, c, ctx->err);
		return EXIT_USAGE;
	}
	return 0;
}

static int reopen_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	int64_t id;
	int rc;

	if ((rc = positional(ctx, &cmd_task_reopen, argc, argv, 1)))
		return rc;
	argv += optind - 1;
	if ((rc = task_id(ctx, &cmd_task_reopen, argv[1], &id)))
		return rc;
	if ((rc = wr_task_reopen(ctx->db, id)))
		return cmd_fail(ctx, rc);
	fprintf(ctx->out, "task %lld reopened\n", (long long)id);
	return EXIT_OK;
}

const struct wr_cmd cmd_task_reopen = {
	"task reopen", "ID", "untick a task", "", NULL, CMD_NEEDS_DB, reopen_exec,
};

static int assign_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	int64_t id;
	int rc;

	if ((rc = positional(ctx, &cmd_task_assign, argc, argv, 2)))
		return rc;
	argv += optind - 1;
	if ((rc = task_id(ctx, &cmd_task_assign, argv[1], &id)))
		return rc;
	if ((rc = wr_task_assign(ctx->db, id, argv[2])))
		return cmd_fail(ctx, rc);
	fprintf(ctx->out, "task %lld assigned to ", (long long)id);
	out_term(ctx->out, argv[2]);
	fputc('\n', ctx->out);
	return EXIT_OK;
}

const struct wr_cmd cmd_task_assign = {
	"task assign", "ID USER", "give a task an owner", "", NULL, CMD_NEEDS_DB, assign_exec,
};

static int tnote_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	int64_t id;
	int rc;

	if ((rc = positional(ctx, &cmd_task_note, argc, argv, 2)))
		return rc;
	argv += optind - 1;
	if ((rc = task_id(ctx, &cmd_task_note, argv[1], &id)))
		return rc;
	if ((rc = wr_task_note(ctx->db, id, argv[2])))
		return cmd_fail(ctx, rc);
	fprintf(ctx->out, "task %lld noted\n", (long long)id);
	return EXIT_OK;
}

const struct wr_cmd cmd_task_note = {
	"task note", "ID TEXT", "set a task's note", "", NULL, CMD_NEEDS_DB, tnote_exec,
};

static const struct option add_opts[] = {
	{"team", required_argument, NULL, 't'},
	{"phase", required_argument, NULL, 'p'},
	{"due", required_argument, NULL, 'd'},
	{0},
};

static int add_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	const char *team = NULL;
	int phase = -1, o, rc;
	int64_t due = 0, id = 0;

	while ((o = getopt_long(argc, argv, "", add_opts, NULL)) != -1) {
		switch (o) {
		case 't': team = optarg; break;
		case 'p':
			if ((phase = wr_phase_parse(optarg)) < 0)
				return cmd_error(ctx, EXIT_USAGE,
						 "task add: --phase is activation, communication,"
						 " replacement, revocation, post-mortem or 0-4");
			break;
		case 'd':
			if (wr_time_parse(optarg, &due))
				return cmd_error(ctx, EXIT_USAGE,
						 "task add: --due wants an RFC 3339 time, not '%s'",
						 optarg);
			break;
		default: return cmd_bad_option(ctx, &cmd_task_add, argv);
		}
	}
	if (!team || phase < 0 || optind != argc - 1) {
		cmd_usage(ctx, &cmd_task_add, ctx->err);
		return EXIT_USAGE;
	}
	if ((rc = wr_task_add(ctx->db, team, phase, due, argv[optind], &id)))
		return cmd_fail(ctx, rc);
	fprintf(ctx->out, "task %lld added\n", (long long)id);
	return EXIT_OK;
}

const struct wr_cmd cmd_task_add = {
	"task add", "--team ID --phase PHASE [--due TIME] TITLE", "add a task to a team",
	"", add_opts, CMD_NEEDS_DB, add_exec,
};
