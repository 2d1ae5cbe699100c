/*
 * cmd-probe.c: probe [--customer NAME] [--concurrency N] [--timeout S]
 * [--again] [--json], what the affected certificates' endpoints serve
 * (core/probe.c).
 *
 * A run in the run table: every console shows it, and `runs pause` or
 * `runs cancel` stop it between batches. Exits 1 when an endpoint was
 * unreachable, so a script notices that some deployments are unknown.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "cmd.h"

static const struct option probe_opts[] = {
	{"customer", required_argument, NULL, 'c'},
	{"concurrency", required_argument, NULL, 'n'},
	{"timeout", required_argument, NULL, 't'},
	{"again", no_argument, NULL, 'a'},
	{"json", no_argument, NULL, 'j'},
	{0},
};

static int probe_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct wr_probe_opts o = {0};
	struct wr_probe_stats st;
	char *customer = NULL;
	bool json = false;
	int64_t n;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "", probe_opts, NULL)) != -1) {
		switch (opt) {
		case 'c': o.customer = optarg; break;
		case 'n':
			if (parse_int(optarg, &n) || n < 1 || n > 4096)
				return cmd_error(ctx, EXIT_USAGE,
						 "probe: --concurrency wants 1 to 4096, got '%s'", optarg);
			o.concurrency = (int)n;
			break;
		case 't': {
			char *end;
			errno = 0;
			double s = strtod(optarg, &end);
			if (!*optarg || *end || errno || !(s >= 0.001 && s <= 3600))
				return cmd_error(ctx, EXIT_USAGE,
						 "probe: --timeout wants seconds from 0.001 to 3600, got '%s'",
						 optarg);
			o.timeout_ms = (int)ceil(s * 1000);
			break;
		}
		case 'a': o.again = true; break;
		case 'j': json = true; break;
		default: return cmd_bad_option(ctx, &cmd_probe, argv);
		}
	}
	if (optind != argc)
		return cmd_stray(ctx, &cmd_probe, argv[optind]);
	if (o.customer && !(o.customer = customer = cmd_customer_key(o.customer)))
		return cmd_error(ctx, EXIT_FAIL, "probe: out of memory");
	rc = wr_probe_run(ctx->db, &o, &st);
	free(customer);
	if (rc)
		return cmd_fail(ctx, rc);
	if (json) {
		out_json(ctx->out,
			 json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:o}",
				   "run", (json_int_t)st.run_id, "round", (json_int_t)st.round,
				   "total", (json_int_t)st.total, "endpoints",
				   (json_int_t)st.endpoints, "affected", (json_int_t)st.affected,
				   "replacement", (json_int_t)st.replacement, "other",
				   (json_int_t)st.other, "unreachable", (json_int_t)st.unreachable,
				   "replaced", (json_int_t)st.replaced, "unreplaced",
				   (json_int_t)st.unreplaced, "cancelled", st.cancelled,
				   "cancelled_by", st.cancelled ? jstr(st.cancelled_by) : json_null()));
	} else {
		if (st.cancelled) {
			fprintf(ctx->out, "probe run %lld cancelled by ", (long long)st.run_id);
			out_term(ctx->out, st.cancelled_by[0] ? st.cancelled_by : "someone");
			fprintf(ctx->out, "; 'warroom probe' continues it\n");
		}
		if (!st.total)
			fprintf(ctx->out, "round %lld: every endpoint is probed already"
					  " ('probe --again' starts a new round)\n",
				(long long)st.round);
		else
			fprintf(ctx->out,
				"round %lld: probed %lld of %lld endpoints: %lld serve the affected"
				" certificate, %lld its replacement, %lld another certificate,"
				" %lld unreachable\n",
				(long long)st.round, (long long)st.endpoints, (long long)st.total,
				(long long)st.affected, (long long)st.replacement,
				(long long)st.other, (long long)st.unreachable);
		if (st.replaced || st.unreplaced)
			fprintf(ctx->out,
				"%lld certificates now replaced; %lld serve the affected one again\n",
				(long long)st.replaced, (long long)st.unreplaced);
	}
	return st.unreachable ? EXIT_FAIL : EXIT_OK;
}

const struct wr_cmd cmd_probe = {
	"probe", "[--customer NAME] [--concurrency N] [--timeout S] [--again] [--json]",
	"read the certificate each endpoint serves: affected, its replacement, other, unreachable",
	"", probe_opts, CMD_NEEDS_DB, probe_exec,
};
