/*
 * cmd-crl.c: crl, reissuing the local test CA's CRLs and index.txt.
 *
 * BR 4.9.7: CRLs are reissued at least every 7 days even without new
 * revocations; this is how, for the local CA (a revocation run publishes
 * by itself). The work is core/backend-local.c's wr_crl_publish_flags.
 *
 * --reshard is the one way to change a CA's shard count once it has
 * published: certificates name their shard's URL, so the core refuses a
 * config asking for another count until this is asked for, and then
 * keeps every entry already published on the shard it was published on.
 *
 * --forecast publishes nothing: for each CRL the local CA publishes, its
 * entries and DER size now and after a wave (--wave NAME, else the one a
 * plain revoke would run), from core/backend-local.c's wr_crl_forecast,
 * which builds and signs every CRL in memory with the publication's own
 * code. With [local] fetches_per_hour = N, also the download volume an
 * hour (size x N), since a CRL's growth is paid for by whoever serves it
 * (Heartbleed: one CA's CRL from about 22 KB to about 4.7 MB). No file,
 * no event: a forecast changes nothing.
 *
 * Under the pinned policy only (core/policy.c): a config whose policy
 * differs (another shard_entries, crl_days, key) is refused before a file
 * is written; a forecast, which writes nothing, runs under any config
 * (Management may weigh a new [local] before pinning it).
 *
 * --out names a directory of the user's choosing, so installed setgid it
 * is written with the user's own rights (the core loads the key and the
 * CA's record with warroom's group first, then writes the files between
 * wr_priv_user_begin and wr_priv_user_end): nobody can have warroom write
 * into a directory only its group may write. [local] out_dir, from the
 * administrator's config, is written with the group's rights.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "crl.h"

static const struct option crl_opts[] = {
	{"out", required_argument, NULL, 'o'},
	{"reshard", no_argument, NULL, 'r'},
	{"json", no_argument, NULL, 'j'},
	{"forecast", no_argument, NULL, 'f'},
	{"wave", required_argument, NULL, 'w'},
	{0},
};

/* A byte count for a table cell: "4.7 MB", "22.0 KB", "512 B". */
static void human_bytes(char *buf, size_t n, int64_t v)
{
	if (v >= 1000000000)
		snprintf(buf, n, "%.1f GB", (double)v / 1e9);
	else if (v >= 1000000)
		snprintf(buf, n, "%.1f MB", (double)v / 1e6);
	else if (v >= 1000)
		snprintf(buf, n, "%.1f KB", (double)v / 1e3);
	else
		snprintf(buf, n, "%lld B", (long long)v);
}

static void forecast_row(FILE *f, const char *file, int64_t en, int64_t bn, int64_t ea,
			 int64_t ba, int64_t fph)
{
	char b1[32], b2[32];

	out_term_w(f, file, 16);
	fprintf(f, " %10lld %12lld %10lld %12lld", (long long)en, (long long)bn, (long long)ea,
		(long long)ba);
	if (fph > 0) {
		human_bytes(b1, sizeof b1, bn * fph);
		human_bytes(b2, sizeof b2, ba * fph);
		fprintf(f, " %12s %12s", b1, b2);
	}
	fputc('\n', f);
}

static int crl_forecast(struct wr_ctx *ctx, const char *wave, bool json)
{
	struct wr_crl_forecast *r = NULL, t = {.file = "total"};
	char wave_name[128];
	size_t n = 0;
	int rc;
	int64_t fph = wr_config_int(ctx->cfg, "local", "fetches_per_hour", 0);

	if (fph < 0)
		return cmd_error(ctx, EXIT_USAGE, "crl: [local] fetches_per_hour must be 0 or more");
	if ((rc = wr_crl_forecast(ctx->db, ctx->cfg, wave, wr_clock_now(ctx->db), &r, &n,
				  wave_name, sizeof wave_name)))
		return cmd_fail(ctx, rc);
	if (json) {
		json_t *a = json_array();
		for (size_t i = 0; a && i < n; i++)
			json_array_append_new(
				a, json_pack("{s:o, s:I, s:I, s:I, s:I, s:o, s:o}", "file",
					     jstr(r[i].file), "entries_now", (json_int_t)r[i].entries_now,
					     "bytes_now", (json_int_t)r[i].bytes_now, "entries_after",
					     (json_int_t)r[i].entries_after, "bytes_after",
					     (json_int_t)r[i].bytes_after, "fetch_bytes_per_hour_now",
					     fph ? json_integer(r[i].bytes_now * fph) : json_null(),
					     "fetch_bytes_per_hour_after",
					     fph ? json_integer(r[i].bytes_after * fph) : json_null()));
		free(r);
		out_json(ctx->out, a);
		return EXIT_OK;
	}
	fprintf(ctx->out, "forecast: ");
	if (wave_name[0]) {
		fprintf(ctx->out, "wave ");
		out_term(ctx->out, wave_name);
	} else {
		fprintf(ctx->out, "every pending certificate (no waves)");
	}
	fprintf(ctx->out, "; nothing published\n%-16s %10s %12s %10s %12s", "FILE", "ENTRIES", "BYTES",
		"AFTER", "BYTES AFTER");
	if (fph > 0)
		fprintf(ctx->out, " %12s %12s", "FETCH/H", "FETCH/H AFTER");
	fputc('\n', ctx->out);
	for (size_t i = 0; i < n; i++) {
		forecast_row(ctx->out, r[i].file, r[i].entries_now, r[i].bytes_now,
			     r[i].entries_after, r[i].bytes_after, fph);
		t.entries_now += r[i].entries_now;
		t.bytes_now += r[i].bytes_now;
		t.entries_after += r[i].entries_after;
		t.bytes_after += r[i].bytes_after;
	}
	forecast_row(ctx->out, t.file, t.entries_now, t.bytes_now, t.entries_after, t.bytes_after,
		     fph);
	if (fph > 0)
		fprintf(ctx->out, "at %lld fetches an hour ([local] fetches_per_hour)\n",
			(long long)fph);
	free(r);
	return EXIT_OK;
}

static int crl_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	const char *out = NULL, *wave = NULL;
	struct wr_crl_stats st;
	bool json = false, forecast = false;
	unsigned flags = 0;
	char b1[WR_TIME_BUFSZ], b2[WR_TIME_BUFSZ];
	int o, rc;

	while ((o = getopt_long(argc, argv, "", crl_opts, NULL)) != -1) {
		switch (o) {
		case 'o':
			if (!*optarg)
				return cmd_error(ctx, EXIT_USAGE, "crl: --out needs a directory");
			out = optarg;
			break;
		case 'r': flags |= WR_CRL_RESHARD; break;
		case 'j': json = true; break;
		case 'f': forecast = true; break;
		case 'w':
			if (!*optarg)
				return cmd_error(ctx, EXIT_USAGE, "crl: --wave needs a wave's name");
			wave = optarg;
			break;
		default: return cmd_bad_option(ctx, &cmd_crl, argv);
		}
	}
	if (optind != argc)
		return cmd_stray(ctx, &cmd_crl, argv[optind]);
	if (wave && !forecast)
		return cmd_error(ctx, EXIT_USAGE, "crl: --wave goes with --forecast");
	if (forecast && (out || flags))
		return cmd_error(ctx, EXIT_USAGE, "crl: --forecast publishes nothing: no --out or"
						  " --reshard");
	if ((rc = wr_auth_team(ctx->db, "revocation")))
		return cmd_fail(ctx, rc);
	if (forecast)
		return crl_forecast(ctx, wave, json);
	/* The files are written before the transaction that records them,
	 * whose own check would come once the CRLs were signed and out. */
	if ((rc = wr_policy_check(ctx->db)))
		return cmd_fail(ctx, rc);
	int64_t job = cmd_job_begin(ctx, "crl", argc, argv);
	rc = wr_crl_publish_flags(ctx->db, ctx->cfg, out, wr_clock_now(ctx->db), flags, &st);
	if (rc) {
		int status = cmd_fail(ctx, rc);
		cmd_job_end(ctx, job, rc, 0, 0);
		return status;
	}
	cmd_job_end(ctx, job, 0, st.entries, 0);
	/* The files just published are still going to disk: an fsync at
	 * close would wait for them all (core/wr.h). */
	wr_db_defer_checkpoint(ctx->db);

	/* The audit trail keeps what was published, when and by whom. */
	json_t *d = json_pack("{s:o, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:I, s:f}",
			      "out_dir", jstr(st.out_dir), "shards", st.shards,
			      "entries", (json_int_t)st.entries, "ca_entries",
			      (json_int_t)st.ca_entries, "issued", (json_int_t)st.issued,
			      "bytes", (json_int_t)st.bytes, "pem_bytes", (json_int_t)st.pem_bytes,
			      "crl_number", (json_int_t)st.crl_number,
			      "this_update", jtime(st.this_update),
			      "next_update", jtime(st.next_update),
			      "index_lines", (json_int_t)st.index_lines, "seconds", st.seconds);
	/* A re-shard is a decision about the CA: the trail keeps both counts. */
	if (d && st.reshard_from) {
		json_object_set_new(d, "reshard_from", json_integer(st.reshard_from));
		json_object_set_new(d, "kept", json_integer(st.kept));
	}
	char *details = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(d);
	if (!details)
		return cmd_error(ctx, EXIT_FAIL, "crl: out of memory");
	if ((rc = wr_tx_begin(ctx->db)) == 0 && (rc = wr_event_add(ctx->db, "crl", details)) == 0)
		rc = wr_tx_commit(ctx->db);
	free(details);
	if (rc) {
		wr_tx_rollback(ctx->db);
		return cmd_fail(ctx, rc);
	}
	if (json) {
		json_t *j = json_pack("{s:o, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o,"
				      " s:I, s:f, s:o, s:b}",
				      "out_dir", jstr(st.out_dir), "shards", st.shards,
				      "reshard_from", st.reshard_from, "kept", (json_int_t)st.kept,
				      "entries", (json_int_t)st.entries, "ca_entries",
				      (json_int_t)st.ca_entries, "issued",
				      (json_int_t)st.issued, "bytes", (json_int_t)st.bytes,
				      "pem_bytes", (json_int_t)st.pem_bytes, "crl_number",
				      (json_int_t)st.crl_number, "this_update",
				      jtime(st.this_update), "next_update", jtime(st.next_update),
				      "index_lines", (json_int_t)st.index_lines, "seconds",
				      st.seconds, "timing", json_pack("{s:f, s:f, s:f}", "load",
				      st.load_seconds, "crls", st.crl_seconds, "index",
				      st.index_seconds), "spilled", st.spilled);
		out_json(ctx->out, j);
		return EXIT_OK;
	}
	fprintf(ctx->out, "CRL number %lld: %d shard%s, %lld entr%s, %lld bytes DER (%lld PEM)",
		(long long)st.crl_number, st.shards, st.shards == 1 ? "" : "s",
		(long long)st.entries, st.entries == 1 ? "y" : "ies", (long long)st.bytes,
		(long long)st.pem_bytes);
	if (st.entries)
		fprintf(ctx->out, ", %.1f bytes/entry", (double)st.bytes / (double)st.entries);
	fprintf(ctx->out, "\nthisUpdate %s, nextUpdate %s\n", wr_time_format(st.this_update, b1),
		wr_time_format(st.next_update, b2));
	/* A crl run revokes nothing: every entry was published before. */
	if (st.reshard_from)
		fprintf(ctx->out, "re-sharded from %d to %d shards: the %lld entr%s already published"
				  " stay%s on %s shards; new revocations take serial mod %d\n",
			st.reshard_from, st.shards, (long long)st.entries,
			st.entries == 1 ? "y" : "ies", st.entries == 1 ? "s" : "",
			st.entries == 1 ? "its" : "their", st.shards);
	fprintf(ctx->out, "ARL (CA certificates): %lld entr%s\n", (long long)st.ca_entries,
		st.ca_entries == 1 ? "y" : "ies");
	fprintf(ctx->out, "files: ");
	out_term(ctx->out, st.out_dir);
	if (st.shards == 1) {
		fprintf(ctx->out, "/{");
		out_term(ctx->out, st.full_file);
		fprintf(ctx->out, " (a full CRL) and its .pem, arl.crl, arl.pem, crls.txt,"
				  " index.txt}\n");
	} else {
		fprintf(ctx->out, "/{shard-0..%d.crl, shard-0..%d.pem, arl.crl, arl.pem, crls.txt,"
				  " index.txt}\n", st.shards - 1, st.shards - 1);
	}
	fprintf(ctx->out, "index.txt: %lld certificate%s the CA has seen\n",
		(long long)st.index_lines, st.index_lines == 1 ? "" : "s");
	if (st.spilled)
		fprintf(ctx->out, "%.2f s (reading %.2f s, index.txt's certificates sorted by shard"
				  " meanwhile; CRLs and index.txt %.2f s, a shard at a time from"
				  " temporary files)\n", st.seconds, st.load_seconds, st.crl_seconds);
	else
		fprintf(ctx->out, "%.2f s (reading %.2f s, CRLs %.2f s, index.txt %.2f s)\n",
			st.seconds, st.load_seconds, st.crl_seconds, st.index_seconds);
	return EXIT_OK;
}

const struct wr_cmd cmd_crl = {
	"crl", "[--out DIR] [--reshard] [--forecast [--wave NAME]] [--json]", "reissue the local CA's CRLs and index.txt",
	"", crl_opts, CMD_NEEDS_DB, crl_exec,
};
