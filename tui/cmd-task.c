/*
 * cmd-task.c: task list, show, done, reopen, assign, note, block, unblock
 * and add. task_show_text is also what the console's task detail view
 * draws (pane-task.c), so the two never disagree.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const struct option list_opts[] = {
	{"team", required_argument, NULL, 't'},
	{"phase", required_argument, NULL, 'p'},
	{"undone", no_argument, NULL, 'u'},
	{"owner", required_argument, NULL, 'o'},
	{"unassigned", no_argument, NULL, 'a'},
	{"json", no_argument, NULL, 'j'},
	{0},
};

static int note_json(const struct wr_task_note *n, void *arg)
{
	json_array_append_new(arg, json_pack("{s:o, s:o, s:o}", "at", jtime(n->at), "author",
					     jstr(n->author), "text", jstr(n->text)));
	return 0;
}

/* A task as JSON, its notes (oldest first) and block included; NULL when
 * the notes cannot be read (the db has the message). */
static json_t *task_json(struct wr_db *db, const struct wr_task *t)
{
	json_t *notes = json_array();

	if (wr_task_notes(db, t->id, note_json, notes)) {
		json_decref(notes);
		return NULL;
	}
	return json_pack("{s:I, s:o, s:i, s:s, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:o, s:o, s:o,"
			 " s:o}",
			 "id", (json_int_t)t->id, "team", jstr(t->team), "phase", t->phase,
			 "phase_name", wr_phase_name(t->phase), "title", jstr(t->title), "owner",
			 jstr(t->owner), "due", jtime(t->due), "done", t->done_at != 0, "done_by",
			 jstr(t->done_by), "done_at", jtime(t->done_at), "note", jstr(t->note),
			 "blocked", jstr(t->blocked),
			 "blocked_by", jstr(t->blocked_by), "blocked_at", jtime(t->blocked_at),
			 "notes", notes);
}

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
		json_t *j = task_json(o->ctx->db, t);
		if (!j)
			return WR_EDB;
		json_array_append_new(o->arr, j);
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
	if (t->blocked && !t->done_at) {
		fputs("  [blocked: ", f);
		out_term(f, t->blocked);
		fputc(']', f);
	}
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
		case 'o': flt.owner = optarg; break;
		case 'a': flt.unassigned_only = true; break;
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
	if (flt.owner && flt.unassigned_only)
		return cmd_error(ctx, EXIT_USAGE,
				 "task list: --owner and --unassigned do not go together");
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
	"task list",
	"[--team ID] [--phase PHASE] [--undone] [--owner USER | --unassigned] [--json]",
	"list the plan's tasks (--phase: that phase only, a name or 0-4; --json adds notes and"
	" blocks)",
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
	"task note", "ID TEXT", "add a note to a task (notes append, with author and time)", "",
	NULL, CMD_NEEDS_DB, tnote_exec,
};

static int block_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	int64_t id;
	int rc;

	if ((rc = positional(ctx, &cmd_task_block, argc, argv, 2)))
		return rc;
	argv += optind - 1;
	if ((rc = task_id(ctx, &cmd_task_block, argv[1], &id)))
		return rc;
	if ((rc = wr_task_block(ctx->db, id, argv[2])))
		return cmd_fail(ctx, rc);
	fprintf(ctx->out, "task %lld blocked: ", (long long)id);
	out_term(ctx->out, argv[2]);
	fputc('\n', ctx->out);
	return EXIT_OK;
}

const struct wr_cmd cmd_task_block = {
	"task block", "ID REASON",
	"mark an open task blocked, with the reason (again: a new reason); its team's lead or"
	" Management",
	"", NULL, CMD_NEEDS_DB, block_exec,
};

static int unblock_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	int64_t id;
	int rc;

	if ((rc = positional(ctx, &cmd_task_unblock, argc, argv, 1)))
		return rc;
	argv += optind - 1;
	if ((rc = task_id(ctx, &cmd_task_unblock, argv[1], &id)))
		return rc;
	if ((rc = wr_task_unblock(ctx->db, id)))
		return cmd_fail(ctx, rc);
	fprintf(ctx->out, "task %lld unblocked\n", (long long)id);
	return EXIT_OK;
}

const struct wr_cmd cmd_task_unblock = {
	"task unblock", "ID", "clear a task's block", "", NULL, CMD_NEEDS_DB, unblock_exec,
};

/* ---- task show ------------------------------------------------------------- */

struct show_get {
	struct wr_db *db;
	struct wr_team *teams; /* for the team's name; NULL: show its id */
	size_t nteams;
	FILE *f;
	int64_t now;
	bool json;
	json_t *obj; /* --json: the task, then its history */
};

static int show_note(const struct wr_task_note *n, void *arg)
{
	struct show_get *g = arg;
	char b[WR_TIME_BUFSZ];

	fprintf(g->f, "  %s ", n->at ? wr_time_format(n->at, b) : "(time unknown)      ");
	out_term(g->f, n->author);
	fputs(": ", g->f);
	out_term(g->f, n->text);
	fputc('\n', g->f);
	return 0;
}

/* An event's details without the task id everyone knows here:
 * owner=carol note="...". */
static void details_text(FILE *f, const char *details)
{
	json_error_t jerr;
	json_t *d = json_loads(details ? details : "{}", 0, &jerr), *v;
	const char *k;
	bool first = true;

	if (!json_is_object(d)) {
		out_term(f, details);
		json_decref(d);
		return;
	}
	json_object_foreach(d, k, v) {
		if (strcmp(k, "task") == 0)
			continue;
		fputs(first ? "" : " ", f);
		first = false;
		out_term(f, k);
		fputc('=', f);
		if (json_is_string(v)) {
			fputc('"', f);
			out_term(f, json_string_value(v));
			fputc('"', f);
		} else {
			char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			out_term(f, s);
			free(s);
		}
	}
	json_decref(d);
}

static int show_event(const struct wr_event *e, void *arg)
{
	struct show_get *g = arg;
	char b[WR_TIME_BUFSZ];

	if (g->json) {
		json_error_t jerr;
		json_t *d = json_loads(e->details, 0, &jerr);
		json_array_append_new(json_object_get(g->obj, "history"),
				      json_pack("{s:I, s:s, s:o, s:o, s:o}", "id", (json_int_t)e->id,
						"at", wr_time_format(e->at, b), "actor",
						jstr(e->actor), "action", jstr(e->action), "details",
						d ? d : jstr(e->details)));
		return 0;
	}
	fprintf(g->f, "  %s ", wr_time_format(e->at, b));
	out_term(g->f, e->actor);
	fputc(' ', g->f);
	out_term(g->f, e->action);
	fputc(' ', g->f);
	details_text(g->f, e->details);
	fputc('\n', g->f);
	return 0;
}

static void show_field(FILE *f, const char *label, const char *value)
{
	fprintf(f, "%-9s ", label);
	out_term(f, value);
	fputc('\n', f);
}

static int show_task(const struct wr_task *t, void *arg)
{
	struct show_get *g = arg;
	FILE *f = g->f;
	char b[WR_TIME_BUFSZ];

	if (g->json) {
		if (!(g->obj = task_json(g->db, t)))
			return WR_EDB;
		json_object_set_new(g->obj, "history", json_array());
		return 0;
	}
	fprintf(f, "task %lld [%c] ", (long long)t->id, t->done_at ? 'x' : ' ');
	out_term(f, t->title);
	fputc('\n', f);
	const char *name = t->team;
	for (size_t i = 0; i < g->nteams; i++)
		if (strcmp(g->teams[i].id, t->team) == 0)
			name = g->teams[i].name;
	fprintf(f, "%-9s ", "team");
	out_term(f, name);
	fputs(" (", f);
	out_term(f, t->team);
	fputs(")\n", f);
	fprintf(f, "%-9s %s (%d)\n", "phase", wr_phase_name(t->phase), t->phase);
	show_field(f, "owner", t->owner ? t->owner : "(unassigned)");
	if (t->due)
		fprintf(f, "%-9s %s%s\n", "due", wr_time_format(t->due, b),
			t->done_at ? "" : t->due < g->now ? " (overdue)"
				: t->due < g->now + WR_DUE_SOON ? " (within the hour)" : "");
	else
		fprintf(f, "%-9s -\n", "due");
	if (t->done_at) {
		fprintf(f, "%-9s %s by ", "done", wr_time_format(t->done_at, b));
		out_term(f, t->done_by);
		fputc('\n', f);
	} else {
		fprintf(f, "%-9s no\n", "done");
	}
	if (t->blocked) {
		fprintf(f, "%-9s ", "blocked");
		out_term(f, t->blocked);
		fputs(" (by ", f);
		out_term(f, t->blocked_by);
		fprintf(f, " at %s)\n", wr_time_format(t->blocked_at, b));
	} else {
		fprintf(f, "%-9s no\n", "blocked");
	}
	return 0;
}

int task_show_text(struct wr_db *db, int64_t id, FILE *f)
{
	struct show_get g = {.db = db, .f = f, .now = wr_clock_now(db)};
	int rc;

	if ((rc = wr_team_list(db, &g.teams, &g.nteams)))
		return rc;
	rc = wr_task_get(db, id, show_task, &g);
	free(g.teams);
	if (rc)
		return rc;
	fputs("notes:\n", f);
	if ((rc = wr_task_notes(db, id, show_note, &g)))
		return rc;
	fputs("history:\n", f);
	return wr_task_history(db, id, show_event, &g);
}

static const struct option show_opts[] = {
	{"json", no_argument, NULL, 'j'},
	{0},
};

static int show_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	bool json = false;
	int64_t id;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", show_opts, NULL)) != -1) {
		if (o != 'j')
			return cmd_bad_option(ctx, &cmd_task_show, argv);
		json = true;
	}
	if (optind != argc - 1) {
		cmd_usage(ctx, &cmd_task_show, ctx->err);
		return EXIT_USAGE;
	}
	if ((rc = task_id(ctx, &cmd_task_show, argv[optind], &id)))
		return rc;
	if (!json) {
		/* Into memory first: an error prints no half a task. */
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		if (!m)
			return cmd_error(ctx, EXIT_FAIL, "out of memory");
		rc = task_show_text(ctx->db, id, m);
		fclose(m);
		if (!rc)
			fwrite(buf, 1, len, ctx->out);
		free(buf);
		return rc ? cmd_fail(ctx, rc) : EXIT_OK;
	}
	struct show_get g = {.db = ctx->db, .f = ctx->out, .json = true};
	if ((rc = wr_task_get(ctx->db, id, show_task, &g)) ||
	    (rc = wr_task_history(ctx->db, id, show_event, &g))) {
		json_decref(g.obj);
		return cmd_fail(ctx, rc);
	}
	out_json(ctx->out, g.obj);
	return EXIT_OK;
}

const struct wr_cmd cmd_task_show = {
	"task show", "ID [--json]",
	"one task in full: title, team, phase, owner, due, done, block, notes (author, time) and"
	" history",
	"", show_opts, CMD_NEEDS_DB | CMD_READONLY, show_exec,
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
