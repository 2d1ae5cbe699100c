/*
 * cmd-revoke.c: authorize, revoke and delay: Phase 3 from the command line.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

/* ---- authorize ------------------------------------------------------------- */
static const struct option auth_opts[] = {
	{"limit", required_argument, NULL, 'l'},
	{0},
};

static int authorize_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	int64_t limit = 0, id = 0;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", auth_opts, NULL)) != -1) {
		if (o != 'l')
			return cmd_bad_option(ctx, &cmd_authorize, argv);
		if (parse_int(optarg, &limit) || limit <= 0)
			return cmd_error(ctx, EXIT_USAGE,
					 "authorize: --limit takes a positive number, not '%s'",
					 optarg);
	}
	if (optind != argc - 1 || strcmp(argv[optind], "revoke") != 0) {
		cmd_usage(ctx, &cmd_authorize, ctx->err);
		return EXIT_USAGE;
	}
	if ((rc = wr_authorize(ctx->db, "revoke", limit, &id)))
		return cmd_fail(ctx, rc);
	fprintf(ctx->out, "authorization %lld: revocation", (long long)id);
	if (limit)
		fprintf(ctx->out, " of at most %lld certificates", (long long)limit);
	fprintf(ctx->out, ", by ");
	out_term(ctx->out, wr_db_actor(ctx->db));
	fputc('\n', ctx->out);
	return EXIT_OK;
}

const struct wr_cmd cmd_authorize = {
	"authorize", "revoke [--limit N]",
	"record Management's authorization to revoke (two_person: someone else runs it)",
	"", auth_opts, CMD_NEEDS_DB, authorize_exec,
};

/* ---- revoke ----------------------------------------------------------------- */
static const struct option revoke_opts[] = {
	{"limit", required_argument, NULL, 'l'},
	{"customer", required_argument, NULL, 'c'},
	{"dry-run", no_argument, NULL, 'n'},
	{"yes", no_argument, NULL, 'y'},
	{"batch", required_argument, NULL, 'b'},
	{"wave", required_argument, NULL, 'w'},
	{0},
};

struct progress {
	FILE *f;
	bool tty;
	double last;
};

static void on_progress(const struct wr_revoke_progress *p, void *arg)
{
	struct progress *pr = arg;
	double rate = p->elapsed > 0 ? (double)p->done / p->elapsed : 0;
	double eta = rate > 0 ? (double)(p->total - p->done) / rate : 0;
	char b[WR_TIME_BUFSZ];

	if (pr->tty) {
		int width = 30, fill = p->total ? (int)(width * p->done / p->total) : width;
		fputc('\r', pr->f);
		fputc('[', pr->f);
		for (int i = 0; i < width; i++)
			fputs(i < fill ? "#" : ".", pr->f);
		fprintf(pr->f, "] %lld/%lld  %.0f/s  %s left  (%lld failed) ", (long long)p->done,
			(long long)p->total, rate, wr_duration_format((int64_t)eta, b),
			(long long)p->failed);
		fflush(pr->f);
		return;
	}
	/* Not a terminal: a plain line a second at most, and the last one. */
	if (p->elapsed - pr->last < 1.0 && p->done < p->total)
		return;
	pr->last = p->elapsed;
	fprintf(pr->f, "revoke: %lld/%lld done, %lld revoked, %lld already, %lld failed, %.0f/s\n",
		(long long)p->done, (long long)p->total, (long long)p->revoked,
		(long long)p->already, (long long)p->failed, rate);
	fflush(pr->f);
}

static int revoke_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct wr_revoke_opts opts = {0};
	struct wr_revoke_progress res;
	struct progress pr = {ctx->err, false, 0};
	bool yes = false;
	int64_t v;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", revoke_opts, NULL)) != -1) {
		switch (o) {
		case 'c': opts.customer = optarg; break;
		case 'w': opts.wave = optarg; break;
		case 'n': opts.dry_run = true; break;
		case 'y': yes = true; break;
		case 'l':
		case 'b':
			if (parse_int(optarg, &v) || v <= 0 || (o == 'b' && v > 100000))
				return cmd_error(ctx, EXIT_USAGE, "revoke: bad number '%s'", optarg);
			if (o == 'l')
				opts.limit = v;
			else
				opts.batch = (int)v;
			break;
		default: return cmd_bad_option(ctx, &cmd_revoke, argv);
		}
	}
	if (optind != argc)
		return cmd_stray(ctx, &cmd_revoke, argv[optind]);
	/* Always look first: what would be revoked, and may we. */
	struct wr_revoke_opts dry = opts;
	dry.dry_run = true;
	if ((rc = wr_revoke_run(ctx->db, &dry, NULL, NULL, &res)))
		return cmd_fail(ctx, rc);
	if (res.wave[0]) {
		fputs("wave: ", ctx->out);
		out_term(ctx->out, res.wave);
		fputc('\n', ctx->out);
	}
	if (opts.dry_run) {
		fprintf(ctx->out, "dry run: %lld certificates would be revoked through the %s"
				  " backend\n", (long long)res.total, res.backend);
		return EXIT_OK;
	}
	if (!yes) {
		if (ctx->console || !isatty(0))
			return cmd_error(ctx, EXIT_USAGE,
					 "revoke: %lld certificates would be revoked; add --yes to"
					 " do it", (long long)res.total);
		fprintf(ctx->err, "Revoke %lld certificates through the %s backend? [y/N] ",
			(long long)res.total, res.backend);
		fflush(ctx->err);
		char line[16] = "";
		if (!fgets(line, sizeof line, stdin) || (line[0] != 'y' && line[0] != 'Y'))
			return cmd_error(ctx, EXIT_FAIL, "revoke: not confirmed; nothing done");
	}
	pr.tty = !ctx->console && isatty(fileno(ctx->err));
	rc = wr_revoke_run(ctx->db, &opts, ctx->console ? NULL : on_progress, &pr, &res);
	if (pr.tty)
		fputc('\n', ctx->err);
	if (rc) {
		fprintf(ctx->out, "revoke: %lld revoked, %lld already revoked, %lld failed before"
				  " the error\n", (long long)res.revoked, (long long)res.already,
			(long long)res.failed);
		return cmd_fail(ctx, rc);
	}
	fprintf(ctx->out, "revoked %lld certificates (%lld already revoked, %lld failed",
		(long long)res.revoked, (long long)res.already, (long long)res.failed);
	if (res.reclaimed)
		fprintf(ctx->out, ", %lld taken back from an interrupted run",
			(long long)res.reclaimed);
	fprintf(ctx->out, ") in %.2f s through the %s backend\n", res.elapsed, res.backend);
	fprintf(ctx->out, "time: reading %.2f s, backend %.2f s, recording %.2f s, publishing"
			  " %.2f s\n", res.read_s, res.backend_s, res.record_s, res.publish_s);
	if (res.cancelled) {
		fputs("cancelled by ", ctx->out);
		out_term(ctx->out, res.cancelled_by[0] ? res.cancelled_by : NULL);
		fprintf(ctx->out, " after %lld of %lld: the rest stay pending; the next 'revoke'"
				  " resumes\n", (long long)res.done, (long long)res.total);
	}
	if (res.failed)
		fprintf(ctx->out, "failed ones stay queued: see 'warroom certs --state failed';"
				  " the next run tries them again\n");
	return res.failed || res.cancelled ? EXIT_FAIL : EXIT_OK;
}

const struct wr_cmd cmd_revoke = {
	"revoke", "[--wave NAME] [--limit N] [--customer NAME] [--dry-run] [--yes] [--batch N]",
	"revoke pending certificates through the backend, in batches and waves (needs an"
	" authorization)",
	"", revoke_opts, CMD_NEEDS_DB, revoke_exec,
};

/* ---- delay ------------------------------------------------------------------- */
static const struct option delay_opts[] = {
	{"customer", required_argument, NULL, 'c'},
	{"serials", required_argument, NULL, 's'},
	{"until", required_argument, NULL, 'u'},
	{"rationale", required_argument, NULL, 'r'},
	{0},
};

static int delay_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	const char *customer = NULL, *serials = NULL, *rationale = NULL, *until_s = NULL;
	int64_t until, held = 0;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", delay_opts, NULL)) != -1) {
		switch (o) {
		case 'c': customer = optarg; break;
		case 's': serials = optarg; break;
		case 'u': until_s = optarg; break;
		case 'r': rationale = optarg; break;
		default: return cmd_bad_option(ctx, &cmd_delay, argv);
		}
	}
	if (optind != argc)
		return cmd_stray(ctx, &cmd_delay, argv[optind]);
	if (!!customer == !!serials || !until_s || !rationale) {
		cmd_usage(ctx, &cmd_delay, ctx->err);
		return EXIT_USAGE;
	}
	if (wr_time_parse(until_s, &until))
		return cmd_error(ctx, EXIT_USAGE,
				 "delay: --until wants an RFC 3339 time, not '%s'", until_s);
	rc = wr_delay(ctx->db, customer, serials, until, rationale, cmd_on_reject, ctx, &held);
	if (rc && held == 0)
		return cmd_fail(ctx, rc);
	char b[WR_TIME_BUFSZ];
	fprintf(ctx->out, "held %lld certificates until %s\n", (long long)held,
		wr_time_format(until, b));
	if (rc)
		return cmd_fail(ctx, rc);
	return EXIT_OK;
}

const struct wr_cmd cmd_delay = {
	"delay", "(--customer NAME | --serials FILE) --until TIME --rationale TEXT",
	"hold certificates back from revocation, with the rationale Mozilla asks for",
	"", delay_opts, CMD_NEEDS_DB, delay_exec,
};
