/*
 * cmd-ari.c: ari --out DIR, the renewalInfo files (RFC 9773) that tell the
 * affected certificates' ACME clients to renew before the revocation
 * deadline (core/ari.c).
 *
 * DIR is the user's choice, so installed setgid it is written with the
 * user's own rights, as crl --out is. A certificate without an authority
 * key identifier has no ARI identifier: the first few are named, all are
 * counted, and the command exits 1 so a script notices that some clients
 * will not be told.
 */
#include <stdlib.h>

#include "cmd.h"

static const struct option ari_opts[] = {
	{"out", required_argument, NULL, 'o'},
	{"json", no_argument, NULL, 'j'},
	{0},
};

static int ari_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct wr_ari_stats st = {0};
	const char *dir = NULL;
	bool json = false;
	char t1[WR_TIME_BUFSZ], t2[WR_TIME_BUFSZ], t3[WR_TIME_BUFSZ];
	int o, rc;

	while ((o = getopt_long(argc, argv, "", ari_opts, NULL)) != -1) {
		switch (o) {
		case 'o': dir = optarg; break;
		case 'j': json = true; break;
		default: return cmd_bad_option(ctx, &cmd_ari, argv);
		}
	}
	if (optind != argc)
		return cmd_stray(ctx, &cmd_ari, argv[optind]);
	if (!dir || !*dir)
		return cmd_error(ctx, EXIT_USAGE, "ari: --out DIR names where the files go");
	/* The files go out before the event that records them: under a
	 * policy other than the pinned one, none is written (core/policy.c). */
	if ((rc = wr_policy_check(ctx->db)))
		return cmd_fail(ctx, rc);
	int64_t job = cmd_job_begin(ctx, "ari", argc, argv);
	rc = wr_ari_write(ctx->db, dir, cmd_on_reject, ctx, &st);
	cmd_job_end(ctx, job, rc, st.written, st.no_aki);
	if (rc)
		return cmd_fail(ctx, rc);
	if (json) {
		out_json(ctx->out,
			 json_pack("{s:o, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "out",
				   jstr(dir), "written", (json_int_t)st.written, "revoked",
				   (json_int_t)st.revoked, "expired", (json_int_t)st.expired,
				   "no_aki", (json_int_t)st.no_aki, "start", jtime(st.start), "end",
				   jtime(st.end), "deadline", jtime(st.deadline), "explanation_url",
				   jstr(st.explanation_url)));
	} else {
		fprintf(ctx->out, "wrote %lld renewalInfo files and index.json to ",
			(long long)st.written);
		out_term(ctx->out, dir);
		fprintf(ctx->out, "\nsuggested window %s to %s; the revocation deadline is %s\n",
			wr_time_format(st.start, t1), wr_time_format(st.end, t2),
			wr_time_format(st.deadline, t3));
		if (!st.explanation_url)
			fprintf(ctx->out, "no explanationURL: set [notify] info_url to give clients"
					  " one\n");
		fprintf(ctx->out, "skipped: %lld revoked, %lld expired\n", (long long)st.revoked,
			(long long)st.expired);
		if (st.no_aki)
			fprintf(ctx->out,
				"%lld %s no ARI identifier (the first named above): their clients"
				" must be told another way\n",
				(long long)st.no_aki,
				st.no_aki == 1 ? "certificate has" : "certificates have");
	}
	return st.no_aki ? EXIT_FAIL : EXIT_OK;
}

const struct wr_cmd cmd_ari = {
	"ari", "--out DIR [--json]",
	"write ACME Renewal Information (RFC 9773) telling clients to renew before the deadline",
	"", ari_opts, CMD_NEEDS_DB, ari_exec,
};
