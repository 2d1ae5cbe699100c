/*
 * cmd-log.c: log (the timeline) and audit verify.
 *
 * The log prints each event as core/event-text.c words it ("14:02 carol
 * ticked ..."), escaped for the terminal here; --json keeps the stored
 * fields and adds the sentence as "text"; --raw prints the stored fields
 * as the log always did, for scripts that read them.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"

static const struct option log_opts[] = {
	{"json", no_argument, NULL, 'j'},
	{"limit", required_argument, NULL, 'l'},
	{"grep", required_argument, NULL, 'g'},
	{"raw", no_argument, NULL, 'r'},
	{0},
};

struct log_out {
	struct wr_ctx *ctx;
	json_t *arr;	   /* --json */
	bool raw;	   /* --raw: the stored fields, one event a line */
	struct tm today;   /* the incident clock's day, UTC */
	const char *grep;  /* NULL: every event */
	int64_t limit;	   /* with grep: stop at this many matches (0: all) */
	int64_t matched;
	char **held;	   /* with grep: the lines found, newest first */
	size_t nheld;
	bool oom;
};

/* "14:02" today, "2026-11-24 14:02" another day (UTC, the incident's clock). */
static void when(const struct log_out *o, int64_t at, char *b, size_t n)
{
	time_t t = (time_t)at;
	struct tm tm;

	gmtime_r(&t, &tm);
	bool today = tm.tm_yday == o->today.tm_yday && tm.tm_year == o->today.tm_year;
	strftime(b, n, today ? "%H:%M" : "%Y-%m-%d %H:%M", &tm);
}

static json_t *event_json(const struct wr_event *e, const char *sentence)
{
	char b[WR_TIME_BUFSZ], hex[65];
	json_error_t jerr;
	json_t *details = json_loads(e->details, 0, &jerr);

	wr_hex(e->hash, 32, hex);
	return json_pack("{s:I, s:s, s:o, s:o, s:o, s:s, s:o}", "id", (json_int_t)e->id, "at",
			 wr_time_format(e->at, b), "actor", jstr(e->actor), "action",
			 jstr(e->action), "details", details ? details : jstr(e->details), "hash",
			 hex, "text", jstr(sentence));
}

/* The event's line, escaped for the terminal (malloc'd). */
static char *event_line(const struct log_out *o, const struct wr_event *e, const char *sentence)
{
	char *line = NULL, b[WR_TIME_BUFSZ];
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);

	if (!f)
		return NULL;
	if (o->raw) {
		/* As the log always printed it: id, time, actor, action, details. */
		fprintf(f, "%5lld %s ", (long long)e->id, wr_time_format(e->at, b));
		out_term_w(f, e->actor, 10);
		fputc(' ', f);
		out_term_w(f, e->action, 12);
		fputc(' ', f);
		out_term(f, e->details);
	} else {
		when(o, e->at, b, sizeof b);
		fprintf(f, "%s ", b);
		out_term(f, sentence);
	}
	fputc('\n', f);
	if (fclose(f)) {
		free(line);
		return NULL;
	}
	return line;
}

static int event_row(const struct wr_event *e, void *arg)
{
	struct log_out *o = arg;
	char *sentence = wr_event_sentence_dup(o->ctx->db, e, 0);
	int stop = 0;

	if (!sentence) {
		o->oom = true;
		return 1;
	}
	if (o->grep && !wr_event_match(e, sentence, o->grep)) {
		free(sentence);
		return 0;
	}
	if (o->arr) {
		json_t *j = event_json(e, sentence);
		/* With --grep the walk goes newest first: each match goes in front. */
		if (!j || (o->grep ? json_array_insert_new(o->arr, 0, j) : json_array_append_new(o->arr, j)))
			o->oom = true;
	} else {
		char *line = event_line(o, e, sentence);
		if (!line) {
			o->oom = true;
		} else if (o->grep) {
			char **h = realloc(o->held, (o->nheld + 1) * sizeof *h);
			if (h) {
				o->held = h;
				o->held[o->nheld++] = line;
			} else {
				free(line);
				o->oom = true;
			}
		} else {
			fputs(line, o->ctx->out);
			free(line);
		}
	}
	free(sentence);
	if (o->oom || (o->grep && o->limit > 0 && ++o->matched >= o->limit))
		stop = 1;
	return stop;
}

static int log_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct log_out out = {.ctx = ctx};
	int64_t limit = 0;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", log_opts, NULL)) != -1) {
		switch (o) {
		case 'j': out.arr = out.arr ? out.arr : json_array(); break;
		case 'r': out.raw = true; break;
		case 'g': out.grep = optarg; break;
		case 'l':
			if (parse_int(optarg, &limit) || limit < 0)
				return json_decref(out.arr),
				       cmd_error(ctx, EXIT_USAGE, "log: bad --limit '%s'", optarg);
			break;
		default: json_decref(out.arr); return cmd_bad_option(ctx, &cmd_log, argv);
		}
	}
	if (optind != argc) {
		json_decref(out.arr);
		return cmd_stray(ctx, &cmd_log, argv[optind]);
	}
	if (out.arr && out.raw) {
		json_decref(out.arr);
		return cmd_error(ctx, EXIT_USAGE, "log: --json and --raw do not go together"
						  " (--json has the raw fields)");
	}
	time_t now = (time_t)wr_clock_now(ctx->db);
	gmtime_r(&now, &out.today);
	if (out.grep && !*out.grep)
		out.grep = NULL;
	if (out.grep) {
		/* The filter matches the sentences too, which SQL cannot see:
		 * walk newest first, keep the newest `limit` matches, show
		 * them oldest first like the rest. */
		out.limit = limit;
		rc = wr_event_foreach(ctx->db, 0, true, NULL, event_row, &out);
		for (size_t i = out.nheld; i-- > 0;) {
			if (rc >= 0 && !out.oom)
				fputs(out.held[i], ctx->out);
			free(out.held[i]);
		}
		free(out.held);
	} else {
		/* --limit shows the newest N, oldest first like the rest. */
		rc = wr_event_foreach(ctx->db, limit, false, NULL, event_row, &out);
	}
	if (rc < 0) {
		json_decref(out.arr);
		return cmd_fail(ctx, rc);
	}
	if (out.oom) {
		json_decref(out.arr);
		return cmd_error(ctx, EXIT_FAIL, "log: out of memory");
	}
	if (out.arr)
		out_json(ctx->out, out.arr);
	return EXIT_OK;
}

const struct wr_cmd cmd_log = {
	"log", "[--limit N] [--grep TEXT] [--json | --raw]",
	"the timeline in sentences: who did what, when (also the audit trail)",
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
