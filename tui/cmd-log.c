/*
 * cmd-log.c: log (the timeline) and audit verify.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const struct option log_opts[] = {
	{"json", no_argument, NULL, 'j'},
	{"limit", required_argument, NULL, 'l'},
	{"grep", required_argument, NULL, 'g'},
	{0},
};

struct log_out {
	struct wr_ctx *ctx;
	json_t *arr;
};

static int event_row(const struct wr_event *e, void *arg)
{
	struct log_out *o = arg;
	char b[WR_TIME_BUFSZ], hex[65];

	if (o->arr) {
		json_error_t jerr;
		json_t *details = json_loads(e->details, 0, &jerr);
		wr_hex(e->hash, 32, hex);
		json_array_append_new(o->arr,
				      json_pack("{s:I, s:s, s:o, s:o, s:o, s:s}", "id",
						(json_int_t)e->id, "at", wr_time_format(e->at, b),
						"actor", jstr(e->actor), "action", jstr(e->action),
						"details", details ? details : jstr(e->details),
						"hash", hex));
		return 0;
	}
	fprintf(o->ctx->out, "%5lld %s ", (long long)e->id, wr_time_format(e->at, b));
	out_term_w(o->ctx->out, e->actor, 10);
	fputc(' ', o->ctx->out);
	out_term_w(o->ctx->out, e->action, 12);
	fputc(' ', o->ctx->out);
	out_term(o->ctx->out, e->details);
	fputc('\n', o->ctx->out);
	return 0;
}

static int log_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct log_out out = {ctx, NULL};
	int64_t limit = 0;
	const char *grep = NULL;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", log_opts, NULL)) != -1) {
		switch (o) {
		case 'j': out.arr = out.arr ? out.arr : json_array(); break;
		case 'g': grep = optarg; break;
		case 'l':
			if (parse_int(optarg, &limit) || limit < 0)
				return cmd_error(ctx, EXIT_USAGE, "log: bad --limit '%s'", optarg);
			break;
		default: json_decref(out.arr); return cmd_bad_option(ctx, &cmd_log, argv);
		}
	}
	if (optind != argc) {
		json_decref(out.arr);
		return cmd_stray(ctx, &cmd_log, argv[optind]);
	}
	/* --limit shows the newest N, oldest first like the rest. */
	rc = wr_event_foreach(ctx->db, limit, false, grep, event_row, &out);
	if (rc) {
		json_decref(out.arr);
		return cmd_fail(ctx, rc);
	}
	if (out.arr)
		out_json(ctx->out, out.arr);
	return EXIT_OK;
}

const struct wr_cmd cmd_log = {
	"log", "[--limit N] [--grep TEXT] [--json]",
	"the timeline: who did what, when (also the audit trail)",
	"", log_opts, CMD_NEEDS_DB | CMD_READONLY, log_exec,
};

struct head {
	int64_t id;
	char hex[65];
};

static int head_cb(const struct wr_event *e, void *arg)
{
	struct head *h = arg;
	h->id = e->id;
	wr_hex(e->hash, 32, h->hex);
	return 0;
}

static int verify_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	int64_t count = 0, bad = 0;
	int rc;

	(void)argv;
	if (argc != 1) {
		cmd_usage(ctx, &cmd_audit_verify, ctx->err);
		return EXIT_USAGE;
	}
	rc = wr_audit_verify(ctx->db, &count, &bad);
	if (rc == WR_ECORRUPT) {
		cmd_error(ctx, 0, "%s", wr_db_errmsg(ctx->db));
		fprintf(ctx->out, "BROKEN at event %lld (%lld events before it verified)\n",
			(long long)bad, (long long)count);
		return EXIT_FAIL;
	}
	if (rc)
		return cmd_fail(ctx, rc);
	/* Deleting the newest events leaves a shorter chain that still holds:
	 * the head printed here is what an auditor writes down to catch that. */
	struct head h = {0, ""};
	fprintf(ctx->out, "OK: %lld events, chain intact\n", (long long)count);
	if (count && wr_event_foreach(ctx->db, 1, true, NULL, head_cb, &h) == 0)
		fprintf(ctx->out, "head: event %lld, sha256 %s\n", (long long)h.id, h.hex);
	return EXIT_OK;
}

const struct wr_cmd cmd_audit_verify = {
	"audit verify", "", "check the audit trail's hash chain; names the first broken link",
	"", NULL, CMD_NEEDS_DB | CMD_READONLY, verify_exec,
};
