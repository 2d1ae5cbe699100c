/*
 * cmd-inject.c: a tabletop exercise's injects and scores (core/inject.c):
 * exercise inject (a scheduled one now, or one ad hoc), exercise score,
 * exercise observe, exercise injects; and the hook through which every
 * command fires the injects that came due (cmd_exercise_tick).
 *
 * Participants see only what has fired; the schedule, the expectations
 * and the scoring are the facilitator's (the core decides who is).
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* ---- every command: what came due ------------------------------------------- */

void cmd_exercise_tick(struct wr_ctx *ctx, bool readonly)
{
	struct wr_db *rw = NULL;

	if (!ctx->db || wr_inject_fire_due(ctx->db, NULL) == 0 || !readonly ||
	    !wr_exercise_active(ctx->db))
		return;
	/* A read-only command found something due: a writable handle of its
	 * own does it, when the database can be written at all. Best effort:
	 * the next command or console does it otherwise. */
	if (wr_db_open(ctx->db_path, 0, &rw) == 0) {
		wr_db_set_config(rw, ctx->cfg);
		wr_db_set_actor(rw, wr_db_actor(ctx->db));
		wr_inject_fire_due(rw, NULL);
	}
	wr_db_close(rw);
}

/* ---- exercise inject ------------------------------------------------------------- */

static const struct option inject_opts[] = {
    {"team", required_argument, NULL, 't'},
    {0},
};

static int inject_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	const char *team = NULL;
	bool adhoc = false;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", inject_opts, NULL)) != -1) {
		switch (o) {
		case 't':
			adhoc = true;
			team = strcmp(optarg, "all") == 0 ? NULL : optarg;
			break;
		default: return cmd_bad_option(ctx, &cmd_exercise_inject, argv);
		}
	}
	if (!adhoc) {
		if (argc - optind != 1) {
			cmd_usage(ctx, &cmd_exercise_inject, ctx->err);
			return EXIT_USAGE;
		}
		if ((rc = wr_inject_fire(ctx->db, argv[optind])))
			return cmd_fail(ctx, rc);
		fputs("fired inject ", ctx->out);
		out_term(ctx->out, argv[optind]);
		fputc('\n', ctx->out);
		return EXIT_OK;
	}
	if (optind >= argc) {
		cmd_error(ctx, 0, "exercise inject --team: the inject's text is missing");
		return EXIT_USAGE;
	}
	/* The words of the text, as typed on a ':' line without quotes. */
	size_t len = 1;
	for (int i = optind; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *text = calloc(1, len), id[32];
	if (!text)
		return cmd_error(ctx, EXIT_FAIL, "out of memory");
	for (int i = optind; i < argc; i++) {
		if (i > optind)
			strcat(text, " ");
		strcat(text, argv[i]);
	}
	rc = wr_inject_adhoc(ctx->db, team, text, id, sizeof id);
	free(text);
	if (rc)
		return cmd_fail(ctx, rc);
	fprintf(ctx->out, "fired inject %s to ", id);
	out_term(ctx->out, team ? team : "every team");
	fputc('\n', ctx->out);
	return EXIT_OK;
}

const struct wr_cmd cmd_exercise_inject = {
    "exercise inject",
    "ID | --team TEAM|all TEXT",
    "fire a scheduled inject now, or one of your own to a team (the facilitator's)",
    "",
    inject_opts,
    CMD_NEEDS_DB,
    inject_exec,
};

/* ---- exercise score ------------------------------------------------------------ */

static const struct option score_opts[] = {
    {"note", required_argument, NULL, 'n'},
    {"late-by", required_argument, NULL, 'l'},
    {0},
};

static int score_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	const char *note = NULL;
	int64_t id, late_by = 0;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", score_opts, NULL)) != -1) {
		switch (o) {
		case 'n': note = optarg; break;
		case 'l':
			if (wr_duration_parse(optarg, &late_by)) {
				cmd_error(ctx, 0,
					  "exercise score --late-by: a duration such as 90m or 2h");
				return EXIT_USAGE;
			}
			break;
		default: return cmd_bad_option(ctx, &cmd_exercise_score, argv);
		}
	}
	if (argc - optind != 2) {
		cmd_usage(ctx, &cmd_exercise_score, ctx->err);
		return EXIT_USAGE;
	}
	if (parse_int(argv[optind], &id) || id <= 0) {
		char *m = wr_esc_term(argv[optind]);
		cmd_error(ctx, 0,
			  "exercise score: an expectation's ID is a number, not '%s'"
			  " ('warroom exercise injects' lists them)",
			  m ? m : "?");
		free(m);
		return EXIT_USAGE;
	}
	const char *score = argv[optind + 1];
	if (strcmp(score, "met") && strcmp(score, "late") && strcmp(score, "missed")) {
		char *m = wr_esc_term(score);
		cmd_error(ctx, 0, "exercise score: met, late or missed, not '%s'", m ? m : "?");
		free(m);
		return EXIT_USAGE;
	}
	if (late_by && strcmp(score, "late") != 0) {
		cmd_error(ctx, 0, "exercise score: --late-by goes with late");
		return EXIT_USAGE;
	}
	if ((rc = wr_expect_score(ctx->db, id, score, late_by, note)))
		return cmd_fail(ctx, rc);
	fprintf(ctx->out, "expectation %lld: %s\n", (long long)id, score);
	return EXIT_OK;
}

const struct wr_cmd cmd_exercise_score = {
    "exercise score",
    "ID met|late|missed [--late-by DURATION] [--note TEXT]",
    "score an expectation by hand, over any automatic score (the facilitator's)",
    "",
    score_opts,
    CMD_NEEDS_DB,
    score_exec,
};

/* ---- exercise observe ------------------------------------------------------------ */

static int observe_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	size_t len = 1;
	int64_t id;
	int rc;

	if (argc > 1 && strcmp(argv[1], "--") == 0) {
		argc--;
		argv++;
	} else if (argc > 1 && argv[1][0] == '-' && argv[1][1]) {
		return cmd_stray(ctx, &cmd_exercise_observe, argv[1]);
	}
	if (argc < 2) {
		cmd_usage(ctx, &cmd_exercise_observe, ctx->err);
		return EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *text = calloc(1, len);
	if (!text)
		return cmd_error(ctx, EXIT_FAIL, "out of memory");
	for (int i = 1; i < argc; i++) {
		if (i > 1)
			strcat(text, " ");
		strcat(text, argv[i]);
	}
	rc = wr_observation_add(ctx->db, text, &id);
	free(text);
	if (rc)
		return cmd_fail(ctx, rc);
	fprintf(ctx->out, "observation %lld recorded\n", (long long)id);
	return EXIT_OK;
}

const struct wr_cmd cmd_exercise_observe = {
    "exercise observe",
    "TEXT",
    "record an observer's note in the exercise's timeline",
    "",
    NULL,
    CMD_NEEDS_DB,
    observe_exec,
};

/* ---- exercise injects --------------------------------------------------------- */

static const struct option injects_opts[] = {
    {"json", no_argument, NULL, 'j'},
    {0},
};

struct ilist {
	struct wr_ctx *ctx;
	bool all;    /* the facilitator: the schedule and the expectations */
	json_t *arr; /* --json */
	int n;
	/* The expectations, read once (facilitator). */
	json_t *exp;
};

static json_t *exp_json(const struct wr_expectation *e)
{
	json_t *o = json_object();
	json_t *p = e->params && *e->params ? json_loads(e->params, 0, NULL) : NULL;

	json_object_set_new(o, "id", json_integer(e->id));
	json_object_set_new(o, "inject", jstr(e->inject_id));
	json_object_set_new(o, "kind", jstr(e->kind));
	json_object_set_new(o, "params", p ? p : json_null());
	json_object_set_new(o, "within", json_integer(e->within));
	json_object_set_new(o, "description", jstr(e->description));
	json_object_set_new(o, "due", jtime(e->due));
	json_object_set_new(o, "state", jstr(e->state));
	json_object_set_new(o, "score", jstr(e->score));
	json_object_set_new(o, "late_by", e->late_by ? json_integer(e->late_by) : json_null());
	json_object_set_new(o, "scored_by", jstr(e->scored_by));
	json_object_set_new(o, "scored_at", jtime(e->scored_at));
	json_object_set_new(o, "note", jstr(e->note));
	return o;
}

static int exp_collect(const struct wr_expectation *e, void *arg)
{
	json_array_append_new(arg, exp_json(e));
	return 0;
}

static void exp_print(struct ilist *l, const char *inject)
{
	FILE *f = l->ctx->out;
	size_t i;
	json_t *e;

	json_array_foreach(l->exp, i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "inject")), inject) != 0)
			continue;
		char w[WR_TIME_BUFSZ], lb[WR_TIME_BUFSZ];
		json_int_t late = json_integer_value(json_object_get(e, "late_by"));
		fprintf(f, "    expectation %lld  ",
			(long long)json_integer_value(json_object_get(e, "id")));
		out_term_w(f, json_string_value(json_object_get(e, "kind")), 18);
		fprintf(f, " within %-9s ",
			wr_duration_format(json_integer_value(json_object_get(e, "within")), w));
		fprintf(f, "%s", json_string_value(json_object_get(e, "state")));
		if (late)
			fprintf(f, " by %s", wr_duration_format(late, lb));
		if (json_is_string(json_object_get(e, "scored_by"))) {
			fputs(" (", f);
			out_term(f, json_string_value(json_object_get(e, "scored_by")));
			fputc(')', f);
		}
		fputs("  ", f);
		out_term(f, json_string_value(json_object_get(e, "description")));
		fputc('\n', f);
		if (json_is_string(json_object_get(e, "note"))) {
			fputs("      note: ", f);
			out_term(f, json_string_value(json_object_get(e, "note")));
			fputc('\n', f);
		}
	}
}

static int inject_cb(const struct wr_inject *in, void *arg)
{
	struct ilist *l = arg;
	FILE *f = l->ctx->out;
	char t1[WR_TIME_BUFSZ], t2[WR_TIME_BUFSZ];

	l->n++;
	if (l->arr) {
		json_t *o = json_object();
		json_t *p = in->params && *in->params ? json_loads(in->params, 0, NULL) : NULL;
		json_object_set_new(o, "id", jstr(in->id));
		json_object_set_new(o, "team", jstr(in->team));
		json_object_set_new(o, "message", jstr(in->message));
		if (l->all) {
			json_object_set_new(o, "due", jtime(in->due));
			json_object_set_new(o, "effect", jstr(in->effect));
			json_object_set_new(o, "params", p ? p : json_null());
			p = NULL;
			json_t *ex = json_array();
			size_t i;
			json_t *e;
			json_array_foreach(
			    l->exp, i,
			    e) if (strcmp(json_string_value(json_object_get(e, "inject")),
					  in->id) == 0) json_array_append(ex, e);
			json_object_set_new(o, "expectations", ex);
		}
		json_decref(p);
		json_object_set_new(o, "fired_at", jtime(in->fired_at));
		json_object_set_new(o, "fired_by", jstr(in->fired_by));
		json_array_append_new(l->arr, o);
		return 0;
	}
	if (l->all) {
		if (l->n == 1)
			fprintf(f, "%-12s %-20s %-20s %-14s %-14s %s\n", "ID", "DUE", "FIRED",
				"TEAM", "EFFECT", "MESSAGE");
		out_term_w(f, in->id, 12);
		fprintf(f, " %-20s %-20s ", in->due ? wr_time_format(in->due, t1) : "(by hand)",
			in->fired_at ? wr_time_format(in->fired_at, t2) : "-");
		out_term_w(f, in->team ? in->team : "all", 14);
		fputc(' ', f);
		out_term_w(f, in->effect ? in->effect : "-", 14);
		fputc(' ', f);
		out_term(f, in->message);
		fputc('\n', f);
		exp_print(l, in->id);
		return 0;
	}
	if (l->n == 1)
		fprintf(f, "%-20s %-12s %-14s %s\n", "FIRED", "ID", "TEAM", "MESSAGE");
	fprintf(f, "%-20s ", wr_time_format(in->fired_at, t1));
	out_term_w(f, in->id, 12);
	fputc(' ', f);
	out_term_w(f, in->team ? in->team : "all", 14);
	fputc(' ', f);
	out_term(f, in->message);
	fputc('\n', f);
	return 0;
}

static int injects_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct ilist l = {.ctx = ctx};
	bool json = false;
	int o, rc = 0;

	while ((o = getopt_long(argc, argv, "", injects_opts, NULL)) != -1) {
		switch (o) {
		case 'j': json = true; break;
		default: return cmd_bad_option(ctx, &cmd_exercise_injects, argv);
		}
	}
	if (optind != argc)
		return cmd_stray(ctx, &cmd_exercise_injects, argv[optind]);
	if (!wr_exercise_active(ctx->db))
		return cmd_error(ctx, EXIT_FAIL, "this database is not a tabletop exercise");
	l.all = wr_inject_facilitator(ctx->db);
	if (json && !(l.arr = json_array()))
		return cmd_error(ctx, EXIT_FAIL, "out of memory");
	if (l.all) {
		if (!(l.exp = json_array()) ||
		    (rc = wr_expect_foreach(ctx->db, exp_collect, l.exp))) {
			json_decref(l.exp);
			json_decref(l.arr);
			return l.exp ? cmd_fail(ctx, rc)
				     : cmd_error(ctx, EXIT_FAIL, "out of memory");
		}
	}
	rc = wr_inject_foreach(ctx->db, l.all, inject_cb, &l);
	json_decref(l.exp);
	if (rc) {
		json_decref(l.arr);
		return cmd_fail(ctx, rc);
	}
	if (json)
		out_json(ctx->out, json_pack("{s:o, s:b}", "injects", l.arr, "schedule", l.all));
	else if (l.n == 0)
		fputs(l.all ? "no injects in this exercise\n" : "no inject has fired yet\n",
		      ctx->out);
	return EXIT_OK;
}

const struct wr_cmd cmd_exercise_injects = {
    "exercise injects",
    "[--json]",
    "the injects fired so far; the facilitator sees the whole schedule and the expectations",
    "",
    injects_opts,
    CMD_NEEDS_DB | CMD_READONLY,
    injects_exec,
};
