/*
 * cmd-log.c: log (the timeline) and audit verify.
 */
#include <ctype.h>
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

static int parse_head(const char *s, unsigned char out[32])
{
	/* "HASH" or "COUNT:HASH", as audit anchor prints it. */
	const char *colon = strchr(s, ':');
	if (colon)
		s = colon + 1;
	if (strlen(s) != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		unsigned v;
		if (!isxdigit((unsigned char)s[2 * i]) || !isxdigit((unsigned char)s[2 * i + 1]) ||
		    sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

static void print_result(struct wr_ctx *ctx, const struct wr_audit_result *r)
{
	char hex[65];

	wr_hex(r->head, 32, hex);
	fprintf(ctx->out, "OK: %lld events, chain intact\n", (long long)r->count);
	if (r->macs_checked)
		fprintf(ctx->out, "MACs: %lld events carry the installed warroom's HMAC, all valid\n",
			(long long)r->macs);
	else if (r->macs)
		fprintf(ctx->out, "MACs: %lld events carry an HMAC that only the installed warroom"
				  " can check\n", (long long)r->macs);
	if (r->backwards_id)
		fprintf(ctx->out, "note: event %lld is dated %lld s before the one ahead of it"
				  " (a test clock, WARROOM_NOW)\n",
			(long long)r->backwards_id, (long long)r->backwards_by);
	/* Deleting the newest events leaves a shorter chain that still holds:
	 * the head is what an auditor writes down (or anchors) to catch that. */
	if (r->count)
		fprintf(ctx->out, "head: event %lld, sha256 %s\n", (long long)r->count, hex);
}

static int verify_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"head", required_argument, NULL, 'H'}, {0}};
	unsigned char head[32];
	bool have_head = false;
	struct wr_audit_result r;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'H')
			return cmd_bad_option(ctx, &cmd_audit_verify, argv);
		if (parse_head(optarg, head)) {
			char *m = wr_esc_term(optarg);
			cmd_error(ctx, 0, "audit verify: --head: expected 64 hex digits (or"
					  " COUNT:HASH, as 'audit anchor' prints), got '%s'", m ? m : "?");
			free(m);
			return EXIT_USAGE;
		}
		have_head = true;
	}
	if (optind < argc)
		return cmd_stray(ctx, &cmd_audit_verify, argv[optind]);
	rc = wr_audit_verify(ctx->db, have_head ? head : NULL, &r);
	if (rc == WR_ECORRUPT) {
		cmd_fail(ctx, rc);
		if (r.bad_id) {
			fprintf(ctx->out, "BROKEN at event %lld (%lld events before it verified)\n",
				(long long)r.bad_id, (long long)r.count);
		} else {
			fputs("BROKEN: ", ctx->out);
			out_term(ctx->out, wr_db_errmsg(ctx->db)); /* names the user's path */
			fputc('\n', ctx->out);
		}
		return EXIT_FAIL;
	}
	if (rc)
		return cmd_fail(ctx, rc);
	print_result(ctx, &r);
	if (have_head)
		fprintf(ctx->out, "anchored head found: event %lld of %lld\n", (long long)r.head_id,
			(long long)r.count);
	return EXIT_OK;
}

static int anchor_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct wr_audit_result r;
	char hex[65];
	int rc;

	if (argc > 1)
		return cmd_stray(ctx, &cmd_audit_anchor, argv[1]);
	if ((rc = wr_audit_anchor(ctx->db, &r))) {
		if (rc == WR_ECORRUPT && r.bad_id)
			fprintf(ctx->out, "BROKEN at event %lld: nothing anchored\n",
				(long long)r.bad_id);
		return cmd_fail(ctx, rc);
	}
	wr_hex(r.head, 32, hex);
	fprintf(ctx->out, "anchored: %lld:%s\n", (long long)r.count, hex);
	fprintf(ctx->out, "check later with: warroom audit verify --head %lld:%s\n",
		(long long)r.count, hex);
	return EXIT_OK;
}

const struct wr_cmd cmd_audit_anchor = {
	"audit anchor", "",
	"write the audit trail's head (count and hash) to syslog and print it",
	"", NULL, CMD_NEEDS_DB | CMD_READONLY, anchor_exec,
};

const struct wr_cmd cmd_audit_verify = {
	"audit verify", "[--head [COUNT:]HASH]",
	"check the audit trail's hash chain; names the first broken link",
	"", NULL, CMD_NEEDS_DB | CMD_READONLY, verify_exec,
};
