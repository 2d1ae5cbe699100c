/*
 * cmd-runs.c: runs, pause, resume, cancel: the long commands in progress
 * (core/run.c), as every console's banner shows them.
 *
 * A request is recorded here and acted on by the run's own process
 * between two batches: these commands return at once.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const struct option list_opts[] = {
	{"json", no_argument, NULL, 'j'},
	{"all", no_argument, NULL, 'a'},
	{0},
};

/* "12,345" */
static const char *grouped(int64_t v, char *b, size_t n)
{
	char raw[32];
	int len = snprintf(raw, sizeof raw, "%lld", (long long)v);
	size_t o = 0;

	for (int i = 0; i < len && o + 2 < n; i++) {
		b[o++] = raw[i];
		if (raw[i] != '-' && (len - i - 1) % 3 == 0 && i < len - 1)
			b[o++] = ',';
	}
	b[o] = '\0';
	return b;
}

struct listing {
	struct wr_ctx *ctx;
	json_t *arr; /* --json */
	int n;
};

static int list_json(const struct wr_run *r, struct listing *l)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "kind", jstr(r->kind));
	json_object_set_new(o, "args", jstr(r->args));
	json_object_set_new(o, "state", jstr(r->state));
	json_object_set_new(o, "live", json_boolean(r->live));
	json_object_set_new(o, "started_by", jstr(r->started_by));
	json_object_set_new(o, "started_at", jtime(r->started_at));
	json_object_set_new(o, "ended_at", jtime(r->ended_at));
	json_object_set_new(o, "host", jstr(r->host));
	json_object_set_new(o, "pid", json_integer(r->pid));
	json_object_set_new(o, "total", json_integer(r->total));
	json_object_set_new(o, "done", json_integer(r->done));
	json_object_set_new(o, "failed", json_integer(r->failed));
	json_object_set_new(o, "rate_per_second",
			    r->rate > 0 ? json_real(round(r->rate * 10) / 10) : json_null());
	json_object_set_new(o, "seconds_left",
			    r->seconds_left >= 0 ? json_integer(r->seconds_left) : json_null());
	json_object_set_new(o, "request", jstr(r->request));
	json_object_set_new(o, "requested_by", jstr(r->requested_by));
	json_object_set_new(o, "last_error", jstr(r->last_error));
	json_array_append_new(l->arr, o);
	return 0;
}

static int list_cb(const struct wr_run *r, void *arg)
{
	struct listing *l = arg;
	FILE *f = l->ctx->out;
	char b1[32], b2[32], t[WR_TIME_BUFSZ], left[WR_TIME_BUFSZ], rate[32];

	l->n++;
	if (l->arr)
		return list_json(r, l);
	if (l->n == 1)
		fprintf(f, "%5s  %-7s %-10s %-10s %-20s %19s %8s %11s %7s  %s\n", "ID", "KIND",
			"STATE", "BY", "STARTED", "DONE/TOTAL", "RATE", "LEFT", "FAILED", "WHAT");
	snprintf(rate, sizeof rate, r->rate > 0 ? "%.0f/s" : "-", r->rate);
	if (r->seconds_left >= 0)
		wr_duration_format(r->seconds_left, left);
	else
		snprintf(left, sizeof left, "-");
	char done[72];
	snprintf(done, sizeof done, "%s/%s", grouped(r->done, b1, sizeof b1),
		 r->total > 0 ? grouped(r->total, b2, sizeof b2) : "?");
	fprintf(f, "%5lld  ", (long long)r->id);
	out_term_w(f, r->kind, 7);
	/* A request not acted on yet shows with the state: "running, pause". */
	char state[32];
	snprintf(state, sizeof state, "%s%s%s", r->state, r->request ? "," : "",
		 r->request ? r->request : "");
	fprintf(f, " %-10s ", state);
	out_term_w(f, r->started_by, 10);
	fprintf(f, " %-20s %19s %8s %11s %7lld  ", wr_time_format(r->started_at, t), done, rate,
		left, (long long)r->failed);
	out_term(f, r->args && *r->args ? r->args : NULL);
	fputc('\n', f);
	if (r->last_error && (r->failed || !strcmp(r->state, "failed"))) {
		fputs("       last error: ", f);
		out_term(f, r->last_error);
		fputc('\n', f);
	}
	return 0;
}

static int runs_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct listing l = {.ctx = ctx};
	bool json = false, all = false;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", list_opts, NULL)) != -1) {
		switch (o) {
		case 'j': json = true; break;
		case 'a': all = true; break;
		default: return cmd_bad_option(ctx, &cmd_runs, argv);
		}
	}
	if (optind != argc)
		return cmd_stray(ctx, &cmd_runs, argv[optind]);
	if (json && !(l.arr = json_array()))
		return cmd_error(ctx, EXIT_FAIL, "out of memory");
	rc = wr_run_foreach(ctx->db, all ? WR_RUNS_ALL : WR_RUNS_LIVE, list_cb, &l);
	if (rc) {
		json_decref(l.arr);
		return cmd_fail(ctx, rc);
	}
	if (json)
		out_json(ctx->out, l.arr);
	else if (l.n == 0)
		fprintf(ctx->out, all ? "no runs yet\n"
				      : "no run in progress ('warroom runs --all' lists the ended ones)\n");
	return EXIT_OK;
}

const struct wr_cmd cmd_runs = {
	"runs", "[--all] [--json]",
	"the long commands in progress (revoke, import, verify, crl): done/total, rate, time left",
	"", list_opts, CMD_NEEDS_DB | CMD_READONLY, runs_exec,
};

/* ---- pause, resume, cancel -------------------------------------------------- */

static int kind_cb(const struct wr_run *r, void *arg)
{
	snprintf(arg, 32, "%s", r->kind);
	return 0;
}

static int request(struct wr_ctx *ctx, const struct wr_cmd *c, const char *what, int argc,
		   char **argv)
{
	char kind[32] = "?";
	int64_t id;
	int rc;

	if (argc == 2 && strcmp(argv[1], "--") != 0 && argv[1][0] == '-')
		return cmd_stray(ctx, c, argv[1]);
	if (argc != 2 || parse_int(argv[1], &id) || id <= 0) {
		if (argc == 2) {
			char *m = wr_esc_term(argv[1]);
			cmd_error(ctx, 0, "%s: a run's ID is a number, not '%s' ('warroom runs' lists"
					  " them)", c->name, m ? m : "?");
			free(m);
			return EXIT_USAGE;
		}
		cmd_usage(ctx, c, ctx->err);
		return EXIT_USAGE;
	}
	if ((rc = wr_run_request(ctx->db, id, what)))
		return cmd_fail(ctx, rc);
	wr_run_get(ctx->db, id, kind_cb, kind);
	fprintf(ctx->out, "run %lld (", (long long)id);
	out_term(ctx->out, kind);
	if (strcmp(what, "pause") == 0)
		fputs("): pause asked; it pauses after its current batch\n", ctx->out);
	else if (strcmp(what, "resume") == 0)
		fputs("): resume asked; it goes on\n", ctx->out);
	else
		fputs("): cancel asked; it ends after its current batch, and what it has not"
		      " reached stays for the next run\n", ctx->out);
	return EXIT_OK;
}

static int pause_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	return request(ctx, &cmd_runs_pause, "pause", argc, argv);
}

static int resume_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	return request(ctx, &cmd_runs_resume, "resume", argc, argv);
}

static int cancel_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	return request(ctx, &cmd_runs_cancel, "cancel", argc, argv);
}

const struct wr_cmd cmd_runs_pause = {
	"runs pause", "ID",
	"pause a run after its current batch (its starter, Management or the team it works for)",
	"", NULL, CMD_NEEDS_DB, pause_exec,
};

const struct wr_cmd cmd_runs_resume = {
	"runs resume", "ID", "resume a paused run", "", NULL, CMD_NEEDS_DB, resume_exec,
};

const struct wr_cmd cmd_runs_cancel = {
	"runs cancel", "ID",
	"end a run after its current batch; nothing is lost, the next run takes up the rest",
	"", NULL, CMD_NEEDS_DB, cancel_exec,
};

/* ---- commands that are runs without batches ------------------------------- */

int64_t cmd_job_begin(struct wr_ctx *ctx, const char *kind, int argc, char **argv)
{
	char args[256] = "";
	int64_t id = 0;
	size_t n = 0;

	/* What was asked, as typed: the command's arguments. */
	for (int i = 1; i < argc && n < sizeof args - 1; i++)
		n += (size_t)snprintf(args + n, sizeof args - n, "%s%s", n ? " " : "", argv[i]);
	if (wr_run_begin(ctx->db, kind, args, 0, &id))
		return 0; /* bookkeeping: the command goes on without its row */
	return id;
}

void cmd_job_end(struct wr_ctx *ctx, int64_t id, int rc, int64_t done, int64_t failed)
{
	if (id <= 0)
		return;
	/* On failure the handle's message is the command's: only
	 * wr_run_end, which keeps it, runs then. */
	if (!rc)
		wr_run_progress(ctx->db, id, done, failed, NULL);
	wr_run_end(ctx->db, id, rc ? "failed" : "done");
}
