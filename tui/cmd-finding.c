/*
 * cmd-finding.c: finding add|list and action add|list|set: what only
 * people know, recorded for the full incident report and the post-mortem
 * (core/finding.c). Compliance & Legal's or Management's.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* A bad value of a word option: "CMD: --OPT is A, B or C, not 'X'". */
static int bad_value(struct wr_ctx *ctx, const char *cmd, const char *opt, const char *const *list,
		     const char *v)
{
	char all[160] = "";
	size_t k = 0;
	for (int i = 0; list[i] && k < sizeof all; i++)
		k += (size_t)snprintf(all + k, sizeof all - k, "%s%s",
				      i ? (list[i + 1] ? ", " : " or ") : "", list[i]);
	char *m = wr_esc_term(v);
	cmd_error(ctx, 0, "%s: --%s is %s, not '%s'", cmd, opt, all, m ? m : "?");
	free(m);
	return EXIT_USAGE;
}

static bool in_list(const char *const *list, const char *v)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(list[i], v) == 0)
			return true;
	return false;
}

static int bad_time(struct wr_ctx *ctx, const char *cmd, const char *opt, const char *v)
{
	char *m = wr_esc_term(v);
	cmd_error(ctx, 0, "%s: --%s wants an RFC 3339 time, not '%s'", cmd, opt, m ? m : "?");
	free(m);
	return EXIT_USAGE;
}

/* ---- finding add / list -------------------------------------------------- */

static const struct option finding_add_opts[] = {
    {"section", required_argument, NULL, 's'},
    {"bug", required_argument, NULL, 'b'},
    {"date", required_argument, NULL, 'd'},
    {"team", required_argument, NULL, 't'},
    {0},
};

static int finding_add_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	const char *section = NULL, *bug = NULL, *team = NULL;
	int64_t date = 0, id = 0;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", finding_add_opts, NULL)) != -1) {
		switch (o) {
		case 's':
			if (!in_list(wr_finding_sections, optarg))
				return bad_value(ctx, "finding add", "section", wr_finding_sections,
						 optarg);
			section = optarg;
			break;
		case 'b': bug = optarg; break;
		case 't': team = optarg; break;
		case 'd':
			if (wr_time_parse(optarg, &date))
				return bad_time(ctx, "finding add", "date", optarg);
			break;
		default: return cmd_bad_option(ctx, &cmd_finding_add, argv);
		}
	}
	if (!section || optind != argc - 1) {
		if (optind < argc - 1)
			return cmd_stray(ctx, &cmd_finding_add, argv[optind + 1]);
		cmd_usage(ctx, &cmd_finding_add, ctx->err);
		return EXIT_USAGE;
	}
	if ((rc = wr_finding_add(ctx->db, section, team, argv[optind], bug, date, &id)))
		return cmd_fail(ctx, rc);
	fprintf(ctx->out, "finding %lld recorded (%s", (long long)id, section);
	if (team) {
		fputs(", team ", ctx->out);
		out_term(ctx->out, team);
	}
	fputs(")\n", ctx->out);
	return EXIT_OK;
}

const struct wr_cmd cmd_finding_add = {
    "finding add",
    "--section root-cause|lesson-well|lesson-badly|lesson-lucky|lesson-other|related\n"
    "                       [--team TEAM] [--bug N --date TIME] TEXT",
    "record a root cause, a lesson learned or a related incident for the reports",
    "",
    finding_add_opts,
    CMD_NEEDS_DB,
    finding_add_exec,
};

struct flist {
	struct wr_ctx *ctx;
	json_t *arr;
	size_t n;
};

static int finding_row(const struct wr_finding *f, void *arg)
{
	struct flist *l = arg;
	char b[WR_TIME_BUFSZ];

	l->n++;
	if (l->arr) {
		json_array_append_new(l->arr, json_pack("{s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o}",
							"id", (json_int_t)f->id, "section",
							f->section, "team", jstr(f->team), "text",
							jstr(f->text), "by", jstr(f->by), "at",
							jtime(f->at), "bug", jstr(f->bug), "date",
							jtime(f->date)));
		return 0;
	}
	FILE *o = l->ctx->out;
	fprintf(o, "%3lld  %-12s  %s  ", (long long)f->id, f->section, wr_time_format(f->at, b));
	out_term_w(o, f->by, 10);
	fputs("  ", o);
	if (f->team) {
		fputc('[', o);
		out_term(o, f->team);
		fputs("] ", o);
	}
	if (f->bug) {
		fputs("bug ", o);
		out_term(o, f->bug);
		fputs(": ", o);
	}
	out_term(o, f->text);
	fputc('\n', o);
	return 0;
}

static const struct option json_only[] = {{"json", no_argument, NULL, 'j'}, {0}};

static int finding_list_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct flist l = {ctx, NULL, 0};
	int o, rc;

	while ((o = getopt_long(argc, argv, "", json_only, NULL)) != -1) {
		if (o != 'j')
			return cmd_bad_option(ctx, &cmd_finding_list, argv);
		if (!l.arr)
			l.arr = json_array();
	}
	if (optind < argc) {
		json_decref(l.arr);
		return cmd_stray(ctx, &cmd_finding_list, argv[optind]);
	}
	if ((rc = wr_finding_foreach(ctx->db, NULL, finding_row, &l))) {
		json_decref(l.arr);
		return cmd_fail(ctx, rc);
	}
	if (l.arr)
		out_json(ctx->out, l.arr);
	else if (!l.n)
		fputs("no findings recorded (warroom finding add)\n", ctx->out);
	return EXIT_OK;
}

const struct wr_cmd cmd_finding_list = {
    "finding list",
    "[--json]",
    "list the findings recorded for the reports",
    "",
    json_only,
    CMD_NEEDS_DB | CMD_READONLY,
    finding_list_exec,
};

/* ---- action add / list / set --------------------------------------------- */

static const struct option action_opts[] = {
    {"kind", required_argument, NULL, 'k'},
    {"root-cause", required_argument, NULL, 'r'},
    {"criteria", required_argument, NULL, 'c'},
    {"due", required_argument, NULL, 'd'},
    {"status", required_argument, NULL, 's'},
    {"title", required_argument, NULL, 't'},
    {0},
};

/* The options add and set share; *a gets what was given. */
static int action_parse(struct wr_ctx *ctx, const struct wr_cmd *c, int argc, char **argv,
			struct wr_action *a)
{
	int o;

	memset(a, 0, sizeof *a);
	while ((o = getopt_long(argc, argv, "", action_opts, NULL)) != -1) {
		switch (o) {
		case 'k':
			if (!in_list(wr_action_kinds, optarg))
				return bad_value(ctx, c->name, "kind", wr_action_kinds, optarg);
			a->kind = optarg;
			break;
		case 's':
			if (!in_list(wr_action_statuses, optarg))
				return bad_value(ctx, c->name, "status", wr_action_statuses,
						 optarg);
			a->status = optarg;
			break;
		case 'r': a->root_cause = optarg; break;
		case 'c': a->criteria = optarg; break;
		case 't':
			if (c == &cmd_action_add)
				return cmd_bad_option(ctx, c, argv);
			a->title = optarg;
			break;
		case 'd':
			if (wr_time_parse(optarg, &a->due))
				return bad_time(ctx, c->name, "due", optarg);
			break;
		default: return cmd_bad_option(ctx, c, argv);
		}
	}
	return 0;
}

static int action_add_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct wr_action a;
	int64_t id = 0;
	int rc;

	if ((rc = action_parse(ctx, &cmd_action_add, argc, argv, &a)))
		return rc;
	if (optind != argc - 1 || !a.kind || !a.root_cause || !a.criteria || !a.due) {
		if (optind < argc - 1)
			return cmd_stray(ctx, &cmd_action_add, argv[optind + 1]);
		cmd_usage(ctx, &cmd_action_add, ctx->err);
		return EXIT_USAGE;
	}
	a.title = argv[optind];
	if ((rc = wr_action_add(ctx->db, &a, &id)))
		return cmd_fail(ctx, rc);
	fprintf(ctx->out, "action item %lld added\n", (long long)id);
	return EXIT_OK;
}

const struct wr_cmd cmd_action_add = {
    "action add",
    "TITLE --kind prevent|mitigate|detect --root-cause TEXT --criteria TEXT\n"
    "                       --due TIME [--status ongoing|complete|delayed|canceled]",
    "add an action item for the full incident report",
    "",
    action_opts,
    CMD_NEEDS_DB,
    action_add_exec,
};

static int action_row(const struct wr_action *a, void *arg)
{
	struct flist *l = arg;
	char b[WR_TIME_BUFSZ];

	l->n++;
	if (l->arr) {
		json_array_append_new(
		    l->arr, json_pack("{s:I, s:o, s:s, s:o, s:o, s:o, s:s, s:o, s:o, s:o}", "id",
				      (json_int_t)a->id, "title", jstr(a->title), "kind", a->kind,
				      "root_cause", jstr(a->root_cause), "criteria",
				      jstr(a->criteria), "due", jtime(a->due), "status", a->status,
				      "created_by", jstr(a->created_by), "created_at",
				      jtime(a->created_at), "updated_at", jtime(a->updated_at)));
		return 0;
	}
	FILE *o = l->ctx->out;
	fprintf(o, "%3lld  %-8s  %-8s  %s  ", (long long)a->id, a->status, a->kind,
		wr_time_format(a->due, b));
	out_term(o, a->title);
	fputs("\n     root cause: ", o);
	out_term(o, a->root_cause);
	fputs("\n     criteria:   ", o);
	out_term(o, a->criteria);
	fputc('\n', o);
	return 0;
}

static int action_list_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct flist l = {ctx, NULL, 0};
	int o, rc;

	while ((o = getopt_long(argc, argv, "", json_only, NULL)) != -1) {
		if (o != 'j')
			return cmd_bad_option(ctx, &cmd_action_list, argv);
		if (!l.arr)
			l.arr = json_array();
	}
	if (optind < argc) {
		json_decref(l.arr);
		return cmd_stray(ctx, &cmd_action_list, argv[optind]);
	}
	if ((rc = wr_action_foreach(ctx->db, action_row, &l))) {
		json_decref(l.arr);
		return cmd_fail(ctx, rc);
	}
	if (l.arr)
		out_json(ctx->out, l.arr);
	else if (!l.n)
		fputs("no action items (warroom action add)\n", ctx->out);
	return EXIT_OK;
}

const struct wr_cmd cmd_action_list = {
    "action list",
    "[--json]",
    "list the action items, by due date",
    "",
    json_only,
    CMD_NEEDS_DB | CMD_READONLY,
    action_list_exec,
};

static int action_set_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct wr_action a;
	int64_t id;
	bool changed = false;
	int rc;

	if ((rc = action_parse(ctx, &cmd_action_set, argc, argv, &a)))
		return rc;
	if (optind != argc - 1 || parse_int(argv[optind], &id) || id <= 0) {
		if (optind < argc - 1)
			return cmd_stray(ctx, &cmd_action_set, argv[optind + 1]);
		cmd_usage(ctx, &cmd_action_set, ctx->err);
		return EXIT_USAGE;
	}
	if (!a.kind && !a.status && !a.root_cause && !a.criteria && !a.title && !a.due)
		return cmd_error(ctx, EXIT_USAGE,
				 "action set: nothing to change: give --status,"
				 " --due, --kind, --title, --root-cause or --criteria");
	if ((rc = wr_action_set(ctx->db, id, &a, &changed)))
		return cmd_fail(ctx, rc);
	fprintf(ctx->out, "action item %lld %s\n", (long long)id,
		changed ? "updated" : "unchanged: already so");
	return EXIT_OK;
}

const struct wr_cmd cmd_action_set = {
    "action set",
    "ID [--status ongoing|complete|delayed|canceled] [--due TIME] [--kind KIND]\n"
    "                       [--title TEXT] [--root-cause TEXT] [--criteria TEXT]",
    "change an action item: its status, due date or any other field",
    "",
    action_opts,
    CMD_NEEDS_DB,
    action_set_exec,
};
