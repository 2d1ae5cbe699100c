/*
 * cmd-exercise.c: exercise start, pause, resume, speed, end and status:
 * a tabletop exercise's database and its simulated clock
 * (core/exercise.c). Injects, scores and observations are
 * cmd-inject.c's; the assessor's report is cmd-exreport.c's.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* "60", "0.5": a speed as people write it. */
static int parse_speed(const char *s, double *out)
{
	char *end;

	errno = 0;
	double v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v) || v < WR_EXERCISE_SPEED_MIN ||
	    v > WR_EXERCISE_SPEED_MAX)
		return -1;
	*out = v;
	return 0;
}

static int bad_speed(struct wr_ctx *ctx, const char *cmd, const char *s)
{
	char *m = wr_esc_term(s);
	cmd_error(ctx, 0,
		  "%s: speed '%s': want a number from %g to %g (simulated seconds a real second:"
		  " 60 runs an hour a minute)",
		  cmd, m ? m : "?", WR_EXERCISE_SPEED_MIN, WR_EXERCISE_SPEED_MAX);
	free(m);
	return EXIT_USAGE;
}

/* ---- status ------------------------------------------------------------------ */

static const struct option status_opts[] = {
	{"json", no_argument, NULL, 'j'},
	{0},
};

static void print_status(struct wr_ctx *ctx, const struct wr_exercise *x)
{
	FILE *f = ctx->out;
	char t[WR_TIME_BUFSZ];

	fputs("exercise:   ", f);
	out_term(f, x->title);
	fputs(" (scenario ", f);
	out_term(f, x->scenario);
	fputs(")\n", f);
	fprintf(f, "now:        %s (simulated)\n", wr_time_format(x->now, t));
	fprintf(f, "clock:      %s", x->ended_at ? "ended" : x->paused ? "paused" : "running");
	fprintf(f, ", speed %g\n", x->speed);
	fprintf(f, "started:    %s simulated", wr_time_format(x->sim_start, t));
	fprintf(f, ", %s real\n", wr_time_format(x->real_start, t));
	if (x->ended_at)
		fprintf(f, "ended:      %s (simulated)\n", wr_time_format(x->ended_at, t));
	fputs("test CA:    ", f);
	out_term(f, x->ca_dir);
	fputc('\n', f);
}

static int status_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct wr_exercise x;
	bool json = false;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", status_opts, NULL)) != -1) {
		if (o != 'j')
			return cmd_bad_option(ctx, &cmd_exercise_status, argv);
		json = true;
	}
	if (optind != argc)
		return cmd_stray(ctx, &cmd_exercise_status, argv[optind]);
	if ((rc = wr_exercise_get(ctx->db, &x)))
		return cmd_fail(ctx, rc);
	if (!json) {
		print_status(ctx, &x);
		return EXIT_OK;
	}
	json_t *j = json_object();
	json_object_set_new(j, "scenario", jstr(x.scenario));
	json_object_set_new(j, "title", jstr(x.title));
	json_object_set_new(j, "scenario_sha256", jstr(x.scenario_sha256));
	json_object_set_new(j, "now", jtime(x.now));
	json_object_set_new(j, "speed", json_real(x.speed));
	json_object_set_new(j, "paused", json_boolean(x.paused));
	json_object_set_new(j, "ended", json_boolean(x.ended_at != 0));
	json_object_set_new(j, "ended_at", jtime(x.ended_at));
	json_object_set_new(j, "sim_start", jtime(x.sim_start));
	json_object_set_new(j, "real_start", jtime(x.real_start));
	json_object_set_new(j, "ca_dir", jstr(x.ca_dir));
	out_json(ctx->out, j);
	return EXIT_OK;
}

const struct wr_cmd cmd_exercise_status = {
	"exercise status", "[--json]",
	"the exercise: scenario, simulated now, speed, paused, when it started",
	"", status_opts, CMD_NEEDS_DB | CMD_READONLY, status_exec,
};

/* ---- start ------------------------------------------------------------------- */

static const struct option start_opts[] = {
	{"speed", required_argument, NULL, 's'},
	{"at", required_argument, NULL, 'a'},
	{"plan", required_argument, NULL, 'p'},
	{"name", required_argument, NULL, 'n'},
	{0},
};

static int start_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct wr_exercise_opts eo = {0};
	char err[1024];
	int o, rc;

	while ((o = getopt_long(argc, argv, "", start_opts, NULL)) != -1) {
		switch (o) {
		case 's':
			if (parse_speed(optarg, &eo.speed))
				return bad_speed(ctx, "exercise start", optarg);
			break;
		case 'a':
			if (wr_time_parse(optarg, &eo.at) || eo.at <= 0) {
				char *m = wr_esc_term(optarg);
				cmd_error(ctx, 0,
					  "exercise start: --at '%s': want an RFC 3339 time"
					  " (2026-11-25T08:00:00Z)",
					  m ? m : "?");
				free(m);
				return EXIT_USAGE;
			}
			break;
		case 'p': eo.plan = optarg; break;
		case 'n': eo.name = optarg; break;
		default: return cmd_bad_option(ctx, &cmd_exercise_start, argv);
		}
	}
	if (optind + 1 != argc) {
		cmd_usage(ctx, &cmd_exercise_start, ctx->err);
		return EXIT_USAGE;
	}
	eo.scenario = argv[optind];
	/* From an open console the database exists: start makes a new one. */
	if (ctx->db) {
		char *m = wr_esc_term(ctx->db_path);
		cmd_error(ctx, 0,
			  "exercise start: %s is open already; start creates a new database"
			  " (--db PATH)",
			  m ? m : "the database");
		free(m);
		return EXIT_USAGE;
	}
	if ((rc = wr_exercise_start(ctx->db_path, ctx->cfg, NULL, &eo, err, sizeof err))) {
		/* The message may quote a scenario file's line: anything at all. */
		char *m = wr_esc_term(err[0] ? err : wr_strerror(rc));
		cmd_error(ctx, 0, "%s", m ? m : "cannot start the exercise");
		free(m);
		return cmd_exit_status(rc);
	}
	if ((rc = cmd_db(ctx, WR_OPEN_READONLY)))
		return rc;
	fputs("created ", ctx->out);
	out_term(ctx->out, ctx->db_path);
	fputc('\n', ctx->out);
	struct wr_exercise x;
	if ((rc = wr_exercise_get(ctx->db, &x)))
		return cmd_fail(ctx, rc);
	print_status(ctx, &x);
	return EXIT_OK;
}

const struct wr_cmd cmd_exercise_start = {
	"exercise start", "SCENARIO [--speed X] [--at TIME] [--plan FILE] [--name TEXT]",
	"create a tabletop exercise's database from a scenario; its clock starts at once",
	"", start_opts, 0, start_exec,
};

/* ---- pause, resume, speed, end ---------------------------------------------------- */

static const struct option no_opts[] = {{0}};

/* The command's options (none) and its n arguments; 0 or an exit status. */
static int plain_args(struct wr_ctx *ctx, const struct wr_cmd *c, int argc, char **argv, int n)
{
	if (getopt_long(argc, argv, "", no_opts, NULL) != -1)
		return cmd_bad_option(ctx, c, argv);
	if (argc - optind > n)
		return cmd_stray(ctx, c, argv[optind + n]);
	if (argc - optind < n) {
		cmd_usage(ctx, c, ctx->err);
		return EXIT_USAGE;
	}
	return 0;
}

static int done(struct wr_ctx *ctx, int rc, const char *what)
{
	struct wr_exercise x;
	char t[WR_TIME_BUFSZ];

	if (rc || (rc = wr_exercise_get(ctx->db, &x)))
		return cmd_fail(ctx, rc);
	fprintf(ctx->out, "%s at %s (simulated)", what, wr_time_format(x.now, t));
	if (!x.paused)
		fprintf(ctx->out, ", speed %g", x.speed);
	fputc('\n', ctx->out);
	return EXIT_OK;
}

static int pause_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	int st = plain_args(ctx, &cmd_exercise_pause, argc, argv, 0);
	return st ? st : done(ctx, wr_exercise_pause(ctx->db), "paused");
}

static int resume_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	int st = plain_args(ctx, &cmd_exercise_resume, argc, argv, 0);
	return st ? st : done(ctx, wr_exercise_resume(ctx->db), "resumed");
}

static int end_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	int st = plain_args(ctx, &cmd_exercise_end, argc, argv, 0);
	return st ? st : done(ctx, wr_exercise_end(ctx->db), "ended");
}

static int speed_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	double v;
	int st = plain_args(ctx, &cmd_exercise_speed, argc, argv, 1);

	if (st)
		return st;
	if (parse_speed(argv[optind], &v))
		return bad_speed(ctx, "exercise speed", argv[optind]);
	return done(ctx, wr_exercise_set_speed(ctx->db, v), "speed changed");
}

const struct wr_cmd cmd_exercise_pause = {
	"exercise pause", "", "stop the exercise's clock for everyone (the facilitator's)",
	"", no_opts, CMD_NEEDS_DB, pause_exec,
};
const struct wr_cmd cmd_exercise_resume = {
	"exercise resume", "", "run the exercise's clock again from where it stopped",
	"", no_opts, CMD_NEEDS_DB, resume_exec,
};
const struct wr_cmd cmd_exercise_speed = {
	"exercise speed", "X",
	"run the exercise's clock at X simulated seconds a second (60: an hour a minute)",
	"", no_opts, CMD_NEEDS_DB, speed_exec,
};
const struct wr_cmd cmd_exercise_end = {
	"exercise end", "", "end the exercise: its clock stops for good",
	"", no_opts, CMD_NEEDS_DB, end_exec,
};
