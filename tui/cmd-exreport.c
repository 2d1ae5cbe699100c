/*
 * cmd-exreport.c: exercise report, the evidence of a tabletop exercise for
 * the assessor (core/exreport.c), as Markdown or one self-contained HTML
 * file. --out is the user's file, written with the user's own rights.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const struct option exreport_opts[] = {
	{"format", required_argument, NULL, 'f'},
	{"out", required_argument, NULL, 'o'},
	{"previous", required_argument, NULL, 'p'},
	{0},
};

static int exreport_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	enum wr_exreport_format fmt = WR_EXREPORT_MD;
	const char *out = NULL, *previous = NULL;
	char *text = NULL;
	size_t len = 0;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", exreport_opts, NULL)) != -1) {
		switch (o) {
		case 'f':
			if (!strcmp(optarg, "md") || !strcmp(optarg, "markdown"))
				fmt = WR_EXREPORT_MD;
			else if (!strcmp(optarg, "html"))
				fmt = WR_EXREPORT_HTML;
			else
				return cmd_error(ctx, EXIT_USAGE,
						 "exercise report: --format: expected md or html,"
						 " not \"%s\"", optarg);
			break;
		case 'o': out = optarg; break;
		case 'p': previous = optarg; break;
		default: return cmd_bad_option(ctx, &cmd_exercise_report, argv);
		}
	}
	if (optind != argc)
		return cmd_stray(ctx, &cmd_exercise_report, argv[optind]);
	if ((rc = wr_exercise_report(ctx->db, fmt, previous, &text, &len)))
		return cmd_fail(ctx, rc);
	if (!out) {
		fwrite(text, 1, len, ctx->out);
		free(text);
		return EXIT_OK;
	}
	FILE *f = wr_fopen_user(out, "w");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		int e = errno;
		free(text);
		return cmd_error(ctx, EXIT_FAIL, "exercise report: %s: %s", out, strerror(e));
	}
	free(text);
	fprintf(ctx->out, "wrote the %s report (%zu bytes) to ",
		fmt == WR_EXREPORT_HTML ? "HTML" : "Markdown", len);
	out_term(ctx->out, out);
	fputc('\n', ctx->out);
	return EXIT_OK;
}

const struct wr_cmd cmd_exercise_report = {
	"exercise report", "[--format md|html] [--out FILE] [--previous DB]",
	"write the exercise's evidence for the assessor: plan, scenario, measures, scores",
	"", exreport_opts, CMD_NEEDS_DB, exreport_exec,
};
