/*
 * cmd-notify.c: notify, Phase 1's messages to customers (core/notify.c).
 *
 * Always looks first (a dry run: how many messages, and the first one as
 * it will read); --dry-run stops there. Sending asks on a terminal
 * ([y/N], as revoke does) unless --yes; without a terminal, or from the
 * console's ':' line, it needs --yes. Each message that fails or whose
 * outcome is unknown is named on the error stream, escaped.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static const struct option notify_opts[] = {
    {"template", required_argument, NULL, 't'}, {"customer", required_argument, NULL, 'c'},
    {"dry-run", no_argument, NULL, 'n'},        {"yes", no_argument, NULL, 'y'},
    {"resend-unknown", no_argument, NULL, 'u'}, {0},
};

static void on_message(const char *customer, const char *contact, const char *state,
		       const char *detail, void *arg)
{
	struct wr_ctx *ctx = arg;

	if (strcmp(state, "sent") == 0)
		return;
	fprintf(ctx->err, "warroom: notify: %s: ", state);
	out_term(ctx->err, customer);
	fputs(" <", ctx->err);
	out_term(ctx->err, contact && *contact ? contact : "no contact");
	fputs(">: ", ctx->err);
	out_term(ctx->err, detail);
	fputc('\n', ctx->err);
}

static int notify_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct wr_notify_opts opts = {0};
	struct wr_notify_stats st;
	char *key = NULL;
	bool yes = ctx->yes;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", notify_opts, NULL)) != -1) {
		switch (o) {
		case 't': opts.template = optarg; break;
		case 'c': opts.customer = optarg; break;
		case 'n': opts.dry_run = true; break;
		case 'y': yes = true; break;
		case 'u': opts.resend_unknown = true; break;
		default: return cmd_bad_option(ctx, &cmd_notify, argv);
		}
	}
	if (optind != argc)
		return cmd_stray(ctx, &cmd_notify, argv[optind]);
	if (opts.customer) {
		/* The name as customers prints it, or as the database keeps it. */
		if (!(key = cmd_customer_key(opts.customer)))
			return cmd_error(ctx, EXIT_FAIL, "out of memory");
		opts.customer = key;
	}
	struct wr_notify_opts dry = opts;
	dry.dry_run = true;
	if ((rc = wr_notify_run(ctx->db, &dry, NULL, NULL, &st))) {
		free(key);
		return cmd_fail(ctx, rc);
	}
	const char *tname = opts.template ? opts.template : "first-notice";
	fprintf(ctx->out, "%s: %lld messages to send, %lld already sent", tname,
		(long long)st.to_send, (long long)st.skipped);
	if (st.unknown_found)
		fprintf(ctx->out,
			", %lld with an unknown outcome (not re-sent without"
			" --resend-unknown)",
			(long long)st.unknown_found);
	fputc('\n', ctx->out);
	if (opts.dry_run || !st.to_send) {
		if (st.first[0]) {
			fputs("first message:\n", ctx->out);
			/* The message is the CA's template and customer text: escaped,
			 * line by line. */
			for (char *line = st.first, *nl; line && *line; line = nl ? nl + 1 : NULL) {
				nl = strchr(line, '\n');
				if (nl)
					*nl = '\0';
				fputs("  | ", ctx->out);
				out_term(ctx->out, line);
				fputc('\n', ctx->out);
			}
		}
		if (opts.dry_run)
			fputs("dry run: nothing sent\n", ctx->out);
		free(key);
		return st.unknown_found ? EXIT_FAIL : EXIT_OK;
	}
	if (!yes) {
		if (ctx->console || !isatty(0)) {
			free(key);
			return cmd_error(
			    ctx, EXIT_USAGE,
			    "notify: %lld messages would be sent; add --yes to send them"
			    " (--dry-run shows the first)",
			    (long long)st.to_send);
		}
		fputs("first message:\n", ctx->err);
		for (char *line = st.first, *nl; line && *line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			fputs("  | ", ctx->err);
			out_term(ctx->err, line);
			fputc('\n', ctx->err);
		}
		fprintf(ctx->err, "Send %lld messages (%s)? [y/N] ", (long long)st.to_send, tname);
		fflush(ctx->err);
		char line[16] = "";
		if (!fgets(line, sizeof line, stdin) || (line[0] != 'y' && line[0] != 'Y')) {
			free(key);
			return cmd_error(ctx, EXIT_FAIL, "notify: not confirmed; nothing sent");
		}
	}
	int64_t job = cmd_job_begin(ctx, "notify", argc, argv);
	rc = wr_notify_run(ctx->db, &opts, on_message, ctx, &st);
	cmd_job_end(ctx, job, rc, st.sent, st.failed + st.unknown);
	free(key);
	fprintf(ctx->out, "%s: %lld sent, %lld failed, %lld unknown, %lld already sent in %.2f s",
		tname, (long long)st.sent, (long long)st.failed,
		(long long)(st.unknown + st.unknown_found), (long long)st.skipped, st.elapsed);
	if (st.no_contact)
		fprintf(ctx->out, " (%lld without a usable contact)", (long long)st.no_contact);
	fputc('\n', ctx->out);
	if (rc)
		return cmd_fail(ctx, rc);
	if (st.failed)
		fputs("failed messages are tried again by the next 'notify'\n", ctx->out);
	if (st.unknown + st.unknown_found)
		fputs("a message whose outcome is unknown may have reached its customer: it is"
		      " sent again only with --resend-unknown\n",
		      ctx->out);
	return st.failed || st.unknown || st.unknown_found ? EXIT_FAIL : EXIT_OK;
}

const struct wr_cmd cmd_notify = {
    "notify",
    "[--template NAME] [--customer NAME] [--dry-run] [--yes] [--resend-unknown]",
    "send each customer one message per template, over SMTP, exactly once",
    "",
    notify_opts,
    CMD_NEEDS_DB,
    notify_exec,
};
