/*
 * cmd-cert.c: import and certs.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const struct option import_opts[] = {
	{"customers", required_argument, NULL, 'c'},
	{"issuers", required_argument, NULL, 'i'},
	{"threads", required_argument, NULL, 't'},
	{0},
};

static void on_reject(const char *where, const char *why, void *arg)
{
	struct wr_ctx *ctx = arg;
	char *w = wr_esc_term(where), *y = wr_esc_term(why);

	fprintf(ctx->err, "warroom: %s: %s\n", w ? w : "?", y ? y : "?");
	free(w);
	free(y);
}

static const char *plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static int import_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	const char *csv = NULL;
	const char **issuers;
	size_t nissuers = 0;
	int64_t threads = 0;
	struct wr_import_stats st = {0};
	int o, rc, status;

	/* At most one --issuers per argument. */
	if (!(issuers = calloc((size_t)argc + 1, sizeof *issuers)))
		return cmd_error(ctx, EXIT_FAIL, "import: out of memory");
	while ((o = getopt_long(argc, argv, "", import_opts, NULL)) != -1) {
		switch (o) {
		case 'c': csv = optarg; break;
		case 'i': issuers[nissuers++] = optarg; break;
		case 't':
			if (parse_int(optarg, &threads) || threads < 0 || threads > 64) {
				char *m = wr_esc_term(optarg);
				status = cmd_error(ctx, EXIT_USAGE,
						   "import: --threads takes 0 to 64, not '%s'",
						   m ? m : "?");
				free(m);
				goto out;
			}
			break;
		default: status = cmd_bad_option(ctx, &cmd_import, argv); goto out;
		}
	}
	if (optind == argc && !csv) {
		cmd_usage(ctx, &cmd_import, ctx->err);
		status = EXIT_USAGE;
		goto out;
	}
	if (optind == argc && nissuers) {
		status = cmd_error(ctx, EXIT_USAGE,
				   "import: --issuers checks the certificates imported: give PATH...");
		goto out;
	}
	if ((rc = wr_auth_team(ctx->db, "revocation"))) {
		status = cmd_fail(ctx, rc);
		goto out;
	}
	if (optind < argc) {
		rc = wr_import_paths_issuers(ctx->db, (const char *const *)argv + optind,
					     (size_t)(argc - optind), issuers, nissuers,
					     (int)threads, on_reject, ctx, &st);
		if (rc) {
			status = cmd_fail(ctx, rc);
			goto out;
		}
		fprintf(ctx->out,
			"imported %lld certificates from %lld files: %lld added, %lld already"
			" present, %lld files rejected\n",
			(long long)st.certs, (long long)st.files, (long long)st.added,
			(long long)st.duplicates, (long long)st.rejected);
		if (st.forged)
			fprintf(ctx->out,
				"%lld %s rejected: the signature does not verify with the issuer's"
				" key\n",
				(long long)st.forged, plural(st.forged, "certificate", "certificates"));
		if (st.conflicts)
			fprintf(ctx->out,
				"%lld %s rejected: another certificate with the same issuer and"
				" serial is imported\n",
				(long long)st.conflicts,
				plural(st.conflicts, "certificate", "certificates"));
		if (st.unchecked)
			fprintf(ctx->out,
				"%lld %s could not be checked: no issuer known (use --issuers or"
				" [ca] issuers)\n",
				(long long)st.unchecked,
				plural(st.unchecked, "certificate", "certificates"));
	}
	if (csv) {
		if ((rc = wr_import_customers(ctx->db, csv, on_reject, ctx, &st))) {
			status = cmd_fail(ctx, rc);
			goto out;
		}
		fprintf(ctx->out,
			"customers: %lld rows, %lld matched, %lld matched no certificate,"
			" %lld rejected\n",
			(long long)st.csv_rows, (long long)st.csv_matched,
			(long long)st.csv_unmatched, (long long)st.csv_rejected);
	}
	status = st.rejected || st.csv_rejected ? EXIT_FAIL : EXIT_OK;
out:
	free(issuers);
	return status;
}

const struct wr_cmd cmd_import = {
	"import", "[--customers CSV] [--issuers FILE]... [--threads N] PATH...",
	"import affected certificates (PEM, DER, directories) and their customers",
	"", import_opts, CMD_NEEDS_DB, import_exec,
};

static const struct option certs_opts[] = {
	{"state", required_argument, NULL, 's'},
	{"customer", required_argument, NULL, 'c'},
	{"limit", required_argument, NULL, 'l'},
	{"json", no_argument, NULL, 'j'},
	{0},
};

static const char *const cert_states[] = {
	"pending", "expired", "revoked", "held", "submitted", "failed", NULL,
};

struct certs_out {
	struct wr_ctx *ctx;
	bool json;
	int64_t n;
};

static int cert_row(const struct wr_cert *c, void *arg)
{
	struct certs_out *o = arg;
	FILE *f = o->ctx->out;
	char t1[WR_TIME_BUFSZ], hex[65];

	o->n++;
	if (o->json) {
		/* The array is streamed an element at a time: memory stays flat
		 * on a million rows. */
		json_t *j = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o}",
				      "id", (json_int_t)c->id, "serial", jstr(c->serial), "issuer",
				      jstr(c->issuer), "subject", jstr(c->subject), "sans",
				      jstr(c->sans), "not_before", jtime(c->not_before),
				      "not_after", jtime(c->not_after), "state", c->state,
				      "customer", jstr(c->customer), "contact", jstr(c->contact),
				      "revoked_at", jtime(c->revoked_at));
		wr_hex(c->sha256, 32, hex);
		json_object_set_new(j, "sha256", json_string(hex));
		wr_hex(c->spki_sha256, 32, hex);
		json_object_set_new(j, "spki_sha256", json_string(hex));
		json_object_set_new(j, "crl_reason",
				    c->crl_reason == -2 ? json_null()
							: json_string(wr_crl_reason_name(c->crl_reason)));
		json_object_set_new(j, "hold_until", jtime(c->hold_until));
		json_object_set_new(j, "hold_reason", jstr(c->hold_reason));
		json_object_set_new(j, "error", jstr(c->error));
		fputs(o->n == 1 ? "[\n" : ",\n", f);
		json_dumpf(j, f, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
		json_decref(j);
		return 0;
	}
	out_term_w(f, c->serial, 34);
	fprintf(f, " %-9s %s  ", c->state, wr_time_format(c->not_after, t1));
	out_term_w(f, c->customer, 20);
	fputc(' ', f);
	out_term(f, c->subject);
	fputc('\n', f);
	return 0;
}

static int certs_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct wr_cert_filter flt = {0};
	struct certs_out out = {ctx, false, 0};
	int o, rc;

	while ((o = getopt_long(argc, argv, "", certs_opts, NULL)) != -1) {
		switch (o) {
		case 's': flt.state = optarg; break;
		case 'c': flt.customer = optarg; break;
		case 'j': out.json = true; break;
		case 'l':
			if (parse_int(optarg, &flt.limit) || flt.limit < 0)
				return cmd_error(ctx, EXIT_USAGE, "certs: bad --limit '%s'", optarg);
			break;
		default: return cmd_bad_option(ctx, &cmd_certs, argv);
		}
	}
	if (optind != argc)
		return cmd_stray(ctx, &cmd_certs, argv[optind]);
	if (flt.state) {
		size_t i = 0;
		while (cert_states[i] && strcmp(cert_states[i], flt.state))
			i++;
		if (!cert_states[i])
			return cmd_error(ctx, EXIT_USAGE,
					 "certs: --state is one of pending, expired, revoked, held,"
					 " submitted, failed");
	}
	flt.now = wr_clock_now(ctx->db);
	if (!out.json)
		fprintf(ctx->out, "%-34s %-9s %-20s  %-20s %s\n", "SERIAL", "STATE", "NOT AFTER",
			"CUSTOMER", "SUBJECT");
	if ((rc = wr_cert_foreach(ctx->db, &flt, cert_row, &out)))
		return cmd_fail(ctx, rc);
	if (out.json)
		fputs(out.n ? "\n]\n" : "[]\n", ctx->out);
	return EXIT_OK;
}

const struct wr_cmd cmd_certs = {
	"certs", "[--state STATE] [--customer NAME] [--limit N] [--json]",
	"list the affected certificates",
	"", certs_opts, CMD_NEEDS_DB | CMD_READONLY, certs_exec,
};
