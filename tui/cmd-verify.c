/*
 * cmd-verify.c: verify, the proof of publication (core/verify.c).
 *
 * Prints each problem as the core finds it, then a summary; with --json,
 * one object whose "problems" array is streamed an element at a time so
 * a million missing entries never sit in memory. Notes (known
 * differences, not problems) are few: with --json they are held and
 * printed after the problems as "notes". Everything shown may come from a
 * server or a certificate: escaped for the terminal, or as JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "verify.h"

extern const struct wr_cmd cmd_verify;

static const struct option verify_opts[] = {
	{"crl-url", required_argument, NULL, 'c'},
	{"ocsp-url", required_argument, NULL, 'o'},
	{"issuer", required_argument, NULL, 'i'},
	{"sample", required_argument, NULL, 's'},
	{"json", no_argument, NULL, 'j'},
	{0},
};

struct verify_out {
	struct wr_ctx *ctx;
	bool json;
	int64_t n;
	json_t *notes; /* --json: the notes, printed after the problems */
};

static void on_problem(const struct wr_verify_problem *p, void *arg)
{
	struct verify_out *o = arg;
	FILE *f = o->ctx->out;

	if (o->json) {
		json_t *j = json_pack("{s:s, s:o, s:o, s:o}", "kind", wr_verify_kind_name(p->kind),
				      "serial", jstr(p->serial), "url", jstr(p->url), "what",
				      jstr(p->what));
		if (p->note) {
			if (o->notes)
				json_array_append(o->notes, j);
			json_decref(j);
			return;
		}
		o->n++;
		fputs(o->n == 1 ? "\n    " : ",\n    ", f);
		json_dumpf(j, f, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
		json_decref(j);
		return;
	}
	o->n += !p->note;
	fprintf(f, "%s %-9s ", p->note ? "note:   " : "problem:", wr_verify_kind_name(p->kind));
	if (p->serial) {
		out_term(f, p->serial);
		fputs(": ", f);
	}
	out_term(f, p->what);
	if (p->url) {
		fputs(" [", f);
		out_term(f, p->url);
		fputc(']', f);
	}
	fputc('\n', f);
}

static void summary_text(FILE *f, const struct wr_verify_result *r)
{
	char b[WR_TIME_BUFSZ];

	fprintf(f, "checked at %s\n", wr_time_format(r->checked_at, b));
	fputs("CRLs:     ", f);
	out_term(f, r->crl_source);
	fprintf(f, "\n          %lld fetched, %lld verified, %lld entries\n",
		(long long)r->crls_fetched, (long long)r->crls_valid, (long long)r->crl_entries);
	fprintf(f,
		"revoked:  %lld certificates checked: %lld on the CRLs with the right reason,"
		" %lld wrong reason, %lld missing, %lld on the wrong shard,"
		" %lld expired and no longer listed\n",
		(long long)r->revoked, (long long)r->on_crl, (long long)r->wrong_reason,
		(long long)r->missing, (long long)r->wrong_shard, (long long)r->expired_absent);
	if (r->crl_urls_refused)
		fprintf(f,
			"          %lld certificates' CRL Distribution Points not used: not"
			" signed by the issuer, or not http:// (give --crl-url)\n",
			(long long)r->crl_urls_refused);
	if (r->ocsp_url[0]) {
		fprintf(f, "OCSP:     %lld sampled, %lld confirmed revoked (", (long long)r->ocsp_sampled,
			(long long)r->ocsp_confirmed);
		out_term(f, r->ocsp_url);
		fputs(")\n", f);
	} else {
		fputs("OCSP:     not checked (no OCSP URL, or --sample 0)\n", f);
	}
	if (r->ocsp_urls_refused)
		fprintf(f,
			"          %lld sampled certificates' OCSP URLs not used: not signed by"
			" the issuer, or not http:// (give --ocsp-url)\n",
			(long long)r->ocsp_urls_refused);
	if (r->notes)
		fprintf(f, "notes:    %lld known differences (see note: above), not problems\n",
			(long long)r->notes);
	if (r->problems)
		fprintf(f, "NOT PROVEN: %lld problems\n", (long long)r->problems);
	else
		fputs("PROVEN: every revoked certificate is published\n", f);
}

static json_t *summary_json(const struct wr_verify_result *r)
{
	return json_pack("{s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I,"
			 " s:I, s:I, s:I, s:I, s:b}",
			 "checked_at", jtime(r->checked_at), "crl_source", jstr(r->crl_source),
			 "crls_fetched", (json_int_t)r->crls_fetched, "crls_valid",
			 (json_int_t)r->crls_valid, "crl_entries", (json_int_t)r->crl_entries,
			 "crl_urls_refused", (json_int_t)r->crl_urls_refused,
			 "revoked", (json_int_t)r->revoked, "on_crl", (json_int_t)r->on_crl,
			 "wrong_reason", (json_int_t)r->wrong_reason, "missing",
			 (json_int_t)r->missing, "wrong_shard", (json_int_t)r->wrong_shard,
			 "expired_absent", (json_int_t)r->expired_absent,
			 "ocsp_url", r->ocsp_url[0] ? jstr(r->ocsp_url) : json_null(),
			 "ocsp_sampled", (json_int_t)r->ocsp_sampled, "ocsp_confirmed",
			 (json_int_t)r->ocsp_confirmed, "ocsp_urls_refused",
			 (json_int_t)r->ocsp_urls_refused, "problems", (json_int_t)r->problems,
			 "notes", (json_int_t)r->notes, "proven", r->problems == 0);
}

static int verify_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct wr_verify_opts opts = {.sample = -1};
	struct wr_verify_result res;
	struct verify_out out = {ctx, false, 0, NULL};
	int o, rc;

	while ((o = getopt_long(argc, argv, "", verify_opts, NULL)) != -1) {
		switch (o) {
		case 'c': opts.crl_url = optarg; break;
		case 'o': opts.ocsp_url = optarg; break;
		case 'i': opts.issuer = optarg; break;
		case 'j': out.json = true; break;
		case 's':
			if (parse_int(optarg, &opts.sample) || opts.sample < 0 ||
			    opts.sample > 1000000) {
				char *m = wr_esc_term(optarg);
				cmd_error(ctx, 0, "verify: --sample takes 0 to 1000000, not '%s'",
					  m ? m : "?");
				free(m);
				return EXIT_USAGE;
			}
			break;
		default: return cmd_bad_option(ctx, &cmd_verify, argv);
		}
	}
	if (optind != argc)
		return cmd_stray(ctx, &cmd_verify, argv[optind]);
	/* The URLs come from [local], policy: under a policy other than the
	 * pinned one, nothing is fetched only for the record to be refused. */
	if ((rc = wr_policy_check(ctx->db)))
		return cmd_fail(ctx, rc);
	if (out.json) {
		out.notes = json_array();
		fputs("{\n  \"problems\": [", ctx->out);
	}
	int64_t job = cmd_job_begin(ctx, "verify", argc, argv);
	rc = wr_verify(ctx->db, &opts, &res, on_problem, &out);
	if (out.json) {
		/* Close the object even on failure, so the output stays JSON. */
		fputs(out.n ? "\n  ],\n  \"notes\": [" : "],\n  \"notes\": [", ctx->out);
		for (size_t i = 0; i < json_array_size(out.notes); i++) {
			fputs(i ? ",\n    " : "\n    ", ctx->out);
			json_dumpf(json_array_get(out.notes, i), ctx->out,
				   JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
		}
		fputs(json_array_size(out.notes) ? "\n  ],\n  \"summary\": " : "],\n  \"summary\": ",
		      ctx->out);
		json_decref(out.notes);
		json_t *s = rc ? json_null() : summary_json(&res);
		char *txt = json_dumps(s, JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER |
						  JSON_ENCODE_ANY);
		json_decref(s);
		/* Nested one level: indent every line after the first. */
		for (const char *p = txt ? txt : "null"; *p; p++) {
			fputc(*p, ctx->out);
			if (*p == '\n')
				fputs("  ", ctx->out);
		}
		free(txt);
		fputs("\n}\n", ctx->out);
	}
	if (rc) {
		int status = cmd_fail(ctx, rc);
		cmd_job_end(ctx, job, rc, 0, 0);
		return status;
	}
	cmd_job_end(ctx, job, 0, res.revoked, res.problems);
	if (!out.json)
		summary_text(ctx->out, &res);
	return res.problems ? EXIT_FAIL : EXIT_OK;
}

const struct wr_cmd cmd_verify = {
	"verify", "[--crl-url URL] [--ocsp-url URL] [--issuer FILE] [--sample N] [--json]",
	"prove publication: CRLs list every revoked certificate, OCSP answers revoked",
	"", verify_opts, CMD_NEEDS_DB, verify_exec,
};
