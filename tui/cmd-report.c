/*
 * cmd-report.c: report KIND, Mozilla's incident reports written from the
 * database (core/report.c): preliminary, update, full, postmortem, in
 * Markdown for Bugzilla or JSON. Posting them is `report post`'s.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const struct option report_opts[] = {
    {"format", required_argument, NULL, 'f'},
    {"out", required_argument, NULL, 'o'},
    {"appendix", required_argument, NULL, 'a'},
    {0},
};

/* Writes len bytes to path (the user's, opened with the user's rights). */
static int write_to(struct wr_ctx *ctx, const char *path, const char *text, size_t len)
{
	FILE *f = wr_fopen_user(path, "w");
	int e;

	if (f && fwrite(text, 1, len, f) == len) {
		if (fclose(f) == 0)
			return 0;
		f = NULL;
	}
	e = errno;
	if (f)
		fclose(f);
	char *m = wr_esc_term(path);
	cmd_error(ctx, 0, "report: %s: %s", m ? m : "?", strerror(e));
	free(m);
	return EXIT_FAIL;
}

static int report_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	enum wr_report_format fmt = WR_REPORT_MD;
	enum wr_report_kind kind;
	const char *out = NULL, *appendix = NULL;
	char *text = NULL;
	size_t len = 0;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", report_opts, NULL)) != -1) {
		switch (o) {
		case 'f':
			if (strcmp(optarg, "md") == 0)
				fmt = WR_REPORT_MD;
			else if (strcmp(optarg, "json") == 0)
				fmt = WR_REPORT_JSON;
			else {
				char *m = wr_esc_term(optarg);
				cmd_error(ctx, 0, "report: --format is md or json, not '%s'",
					  m ? m : "?");
				free(m);
				return EXIT_USAGE;
			}
			break;
		case 'o': out = optarg; break;
		case 'a': appendix = optarg; break;
		default: return cmd_bad_option(ctx, &cmd_report, argv);
		}
	}
	if (optind >= argc) {
		cmd_usage(ctx, &cmd_report, ctx->err);
		return EXIT_USAGE;
	}
	if (optind + 1 < argc)
		return cmd_stray(ctx, &cmd_report, argv[optind + 1]);
	if (wr_report_kind_parse(argv[optind], &kind)) {
		char *m = wr_esc_term(argv[optind]);
		cmd_error(ctx, 0,
			  "report: KIND is preliminary, update, full or postmortem, not '%s'",
			  m ? m : "?");
		free(m);
		return EXIT_USAGE;
	}
	if (appendix && kind != WR_REPORT_FULL)
		return cmd_error(ctx, EXIT_USAGE, "report: --appendix goes with the full report");
	if ((rc = wr_report_render(ctx->db, kind, fmt, &text, &len)))
		return cmd_fail(ctx, rc);
	if (appendix) {
		char *csv = NULL;
		size_t clen = 0;
		if ((rc = wr_report_appendix_csv(ctx->db, &csv, &clen))) {
			free(text);
			return cmd_fail(ctx, rc);
		}
		rc = write_to(ctx, appendix, csv, clen);
		free(csv);
		if (rc) {
			free(text);
			return rc;
		}
	}
	if (!out) {
		fwrite(text, 1, len, ctx->out);
		free(text);
		return EXIT_OK;
	}
	rc = write_to(ctx, out, text, len);
	free(text);
	if (rc)
		return rc;
	fprintf(ctx->out, "wrote the %s report (%zu bytes) to ", wr_report_kind_name(kind), len);
	out_term(ctx->out, out);
	fputc('\n', ctx->out);
	if (appendix) {
		fputs("wrote the appendix CSV to ", ctx->out);
		out_term(ctx->out, appendix);
		fputc('\n', ctx->out);
	}
	if (kind == WR_REPORT_PRELIMINARY) {
		char *title = NULL;
		if (wr_report_title(ctx->db, &title) == 0) {
			fputs("bug title: ", ctx->out);
			out_term(ctx->out, title);
			fputc('\n', ctx->out);
		}
		free(title);
	}
	return EXIT_OK;
}

const struct wr_cmd cmd_report = {
    "report",
    "KIND [--format md|json] [--out FILE] [--appendix FILE]",
    "write a report for Mozilla from the database: preliminary, update, full or postmortem",
    "",
    report_opts,
    CMD_NEEDS_DB | CMD_READONLY,
    report_exec,
};
