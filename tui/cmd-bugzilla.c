/*
 * cmd-bugzilla.c: report post and report posted, the reports to Mozilla's
 * Bugzilla (core/bugzilla.c) and the update cadence (core/reporting.c).
 *
 * Each request's outcome is one line: what Bugzilla took on the output,
 * what failed or whose outcome is unknown on the error stream, Bugzilla's
 * words escaped for the terminal. The API key is the core's alone: this
 * file never sees it.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const struct option post_opts[] = {
    {"bug", required_argument, NULL, 'b'},   {"new", no_argument, NULL, 'n'},
    {"whiteboard", no_argument, NULL, 'w'},  {"retry", no_argument, NULL, 'r'},
    {"resend-unknown", no_argument, NULL, 'u'}, {"list", no_argument, NULL, 'l'},
    {"settle", required_argument, NULL, 's'}, {"as", required_argument, NULL, 'a'},
    {0},
};

static int list_row(const struct wr_bugzilla_row *r, void *arg)
{
	struct wr_ctx *ctx = arg;
	char t[WR_TIME_BUFSZ], part[24] = "";
	bool att = strcmp(r->op, "attachment") == 0;

	if (r->parts > 1 && (!att || r->part > 0))
		snprintf(part, sizeof part, " %d/%d", r->part, r->parts);
	fprintf(ctx->out, "#%-4lld %-11s %-8s %-7s", (long long)r->post, r->kind,
		strcmp(r->op, "new") == 0 ? "new bug" : r->op, r->state);
	if (r->bug)
		fprintf(ctx->out, " bug %lld", (long long)r->bug);
	fputs(part, ctx->out);
	if (r->comment_id)
		fprintf(ctx->out, " %s %lld", att ? "attachment" : "comment",
			(long long)r->comment_id);
	if (r->sent_at)
		fprintf(ctx->out, " at %s", wr_time_format(r->sent_at, t));
	else
		fprintf(ctx->out, " (%d attempt%s)", r->attempts, r->attempts == 1 ? "" : "s");
	if (r->error && strcmp(r->state, "sent") != 0) {
		fputs(": ", ctx->out);
		out_term(ctx->out, r->error);
	}
	fputc('\n', ctx->out);
	return 0;
}

static int settle(struct wr_ctx *ctx, const char *id, const char *as, int64_t bug)
{
	int64_t post, rows;
	int rc;

	if (parse_int(id, &post) || post <= 0)
		return cmd_error(ctx, EXIT_USAGE, "report post: --settle wants a post number (#N)");
	if (!as || (strcmp(as, "sent") && strcmp(as, "dropped")))
		return cmd_error(ctx, EXIT_USAGE,
				 "report post: --settle N wants --as sent (it is on the bug) or --as"
				 " dropped (it is not to go)");
	if ((rc = wr_bugzilla_settle(ctx->db, post, as, bug, &rows)))
		return cmd_fail(ctx, rc);
	fprintf(ctx->out, "post #%lld: %lld comment(s) settled as %s\n", (long long)post,
		(long long)rows, as);
	return EXIT_OK;
}

static void on_post(int64_t post, int64_t bug, const char *kind, int part, int parts,
		    const char *state, int64_t id, const char *detail, void *arg)
{
	struct wr_ctx *ctx = arg;
	char pn[48] = "";

	if (part == 0) /* the appendix, attached */
		snprintf(pn, sizeof pn, " (its appendix, " WR_REPORT_APPENDIX_FILE ")");
	else if (parts > 1)
		snprintf(pn, sizeof pn, " (part %d/%d)", part, parts);
	if (strcmp(state, "sent") == 0) {
		if (part == 0) {
			fprintf(ctx->out, "attached the %s report's appendix (", kind);
			out_term(ctx->out, detail && *detail ? detail : WR_REPORT_APPENDIX_FILE);
			fprintf(ctx->out, ") to bug %lld: attachment %lld\n", (long long)bug,
				(long long)id);
		}
		else if (id == bug)
			fprintf(ctx->out, "filed bug %lld with the %s report%s\n", (long long)bug,
				kind, pn);
		else
			fprintf(ctx->out, "posted the %s report to bug %lld%s: comment %lld\n", kind,
				(long long)bug, pn, (long long)id);
		return;
	}
	if (bug)
		fprintf(ctx->err, "warroom: report post: #%lld: %s report to bug %lld%s %s: ",
			(long long)post, kind, (long long)bug, pn, state);
	else
		fprintf(ctx->err, "warroom: report post: #%lld: new bug with the %s report%s %s: ",
			(long long)post, kind, pn, state);
	out_term(ctx->err, detail);
	fputc('\n', ctx->err);
}

static int post_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct wr_bugzilla_opts o = {0};
	struct wr_bugzilla_stats st;
	const char *settle_id = NULL, *as = NULL;
	bool list = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", post_opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (parse_int(optarg, &o.bug) || o.bug <= 0)
				return cmd_error(ctx, EXIT_USAGE, "report post: --bug wants a bug number");
			break;
		case 'n': o.new_bug = true; break;
		case 'w': o.whiteboard = true; break;
		case 'r': o.retry = true; break;
		case 'u': o.resend_unknown = true; break;
		case 'l': list = true; break;
		case 's': settle_id = optarg; break;
		case 'a': as = optarg; break;
		default: return cmd_bad_option(ctx, &cmd_report_post, argv);
		}
	}
	if (list || settle_id) {
		if (optind != argc)
			return cmd_stray(ctx, &cmd_report_post, argv[optind]);
		if (list && settle_id)
			return cmd_error(ctx, EXIT_USAGE, "report post: --list or --settle, not both");
		if (settle_id)
			return settle(ctx, settle_id, as, o.bug);
		if ((rc = wr_bugzilla_foreach(ctx->db, list_row, ctx)))
			return cmd_fail(ctx, rc);
		return EXIT_OK;
	}
	if (o.retry) {
		if (optind != argc)
			return cmd_stray(ctx, &cmd_report_post, argv[optind]);
		if (o.new_bug || o.whiteboard)
			return cmd_error(ctx, EXIT_USAGE,
					 "report post --retry sends what is queued: not with --new or"
					 " --whiteboard");
	} else {
		if (o.resend_unknown)
			return cmd_error(ctx, EXIT_USAGE,
					 "report post: --resend-unknown goes with --retry");
		if (optind == argc) {
			cmd_usage(ctx, &cmd_report_post, ctx->err);
			return EXIT_USAGE;
		}
		if (optind + 1 != argc)
			return cmd_stray(ctx, &cmd_report_post, argv[optind + 1]);
		if (wr_report_kind_parse(argv[optind], &o.kind)) {
			char *m = wr_esc_term(argv[optind]);
			cmd_error(ctx, 0,
				  "report post: no report '%s' (preliminary, update, full, postmortem)",
				  m ? m : "?");
			free(m);
			return EXIT_USAGE;
		}
		if (o.new_bug == (o.bug != 0))
			return cmd_error(ctx, EXIT_USAGE,
					 "report post: want --bug N (a comment on the incident's bug) or"
					 " --new (a new bug)");
	}
	rc = wr_bugzilla_post(ctx->db, &o, on_post, ctx, &st);
	if (rc)
		return cmd_fail(ctx, rc);
	if (o.whiteboard) {
		if (!st.delays)
			fputs("whiteboard: no certificate is delayed, left as it is\n", ctx->out);
		else if (st.whiteboard_set)
			fputs("whiteboard: added " WR_BUGZILLA_DELAY_TAG "\n", ctx->out);
		else
			fputs("whiteboard: " WR_BUGZILLA_DELAY_TAG " is there already\n", ctx->out);
	}
	if (o.retry && !st.sent && !st.failed && !st.unknown && !st.unknown_found && !st.waiting)
		fputs("nothing queued\n", ctx->out);
	if (st.waiting)
		fprintf(ctx->out, "%lld comment(s) queued: 'warroom report post --retry' sends them\n",
			(long long)st.waiting);
	if (st.unknown || st.unknown_found)
		fprintf(ctx->out,
			"%lld post(s) of unknown outcome: Bugzilla may have them; look at the bug,"
			" then 'report post --settle N --as sent' (it is there) or 'report post"
			" --retry --resend-unknown' (it is not); 'report post --list' numbers"
			" them\n",
			(long long)(st.unknown + st.unknown_found));
	return st.failed || st.unknown || st.unknown_found || st.waiting ? EXIT_FAIL : EXIT_OK;
}

const struct wr_cmd cmd_report_post = {
    "report post",
    "(--bug N | --new) [--whiteboard] KIND | --retry [--resend-unknown] | --list |"
    " --settle N --as sent|dropped [--bug N]",
    "post a report to Mozilla's Bugzilla, exactly once (a new bug with --new)",
    "",
    post_opts,
    CMD_NEEDS_DB,
    post_exec,
};

static const struct option posted_opts[] = {
    {"bug", required_argument, NULL, 'b'},
    {"at", required_argument, NULL, 'a'},
    {0},
};

static int posted_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	enum wr_report_kind kind = WR_REPORT_UPDATE;
	int64_t bug = 0, at = 0;
	bool have_at = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", posted_opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (parse_int(optarg, &bug) || bug <= 0)
				return cmd_error(ctx, EXIT_USAGE,
						 "report posted: --bug wants a bug number");
			break;
		case 'a':
			if (wr_time_parse(optarg, &at))
				return cmd_error(ctx, EXIT_USAGE,
						 "report posted: --at wants a time"
						 " (2026-11-28T09:00:00Z, or now)");
			have_at = true;
			break;
		default: return cmd_bad_option(ctx, &cmd_report_posted, argv);
		}
	}
	if (optind < argc && wr_report_kind_parse(argv[optind++], &kind)) {
		char *m = wr_esc_term(argv[optind - 1]);
		cmd_error(ctx, 0,
			  "report posted: no report '%s' (preliminary, update, full, postmortem)",
			  m ? m : "?");
		free(m);
		return EXIT_USAGE;
	}
	if (optind != argc)
		return cmd_stray(ctx, &cmd_report_posted, argv[optind]);
	if (!bug || !have_at) {
		cmd_usage(ctx, &cmd_report_posted, ctx->err);
		return EXIT_USAGE;
	}
	if ((rc = wr_reporting_mark(ctx->db, bug, at, kind)))
		return cmd_fail(ctx, rc);
	struct wr_reporting r;
	char t1[WR_TIME_BUFSZ], t2[WR_TIME_BUFSZ];
	if ((rc = wr_reporting_get(ctx->db, wr_clock_now(ctx->db), &r)))
		return cmd_fail(ctx, rc);
	fprintf(ctx->out, "marked the %s report posted to bug %lld at %s\n",
		wr_report_kind_name(kind), (long long)bug, wr_time_format(at, t1));
	if (r.last_update)
		fprintf(ctx->out, "next update due %s (should), %s (must)\n",
			wr_time_format(r.next_due_should, t1), wr_time_format(r.next_due_must, t2));
	return EXIT_OK;
}

const struct wr_cmd cmd_report_posted = {
    "report posted",
    "--bug N --at TIME [KIND]",
    "record a report (an update by default) posted to Bugzilla by hand",
    "",
    posted_opts,
    CMD_NEEDS_DB,
    posted_exec,
};
