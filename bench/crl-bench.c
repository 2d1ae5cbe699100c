/*
 * crl-bench: the data of bench/crl.sh, the CRL benchmark, and its
 * CRL-only run.
 *
 *   crl-bench --db INCIDENT --config CONF --openssl-dir DIR
 *   crl-bench --crls-only --config CONF --issued N --out DIR
 *
 * Revokes every certificate of INCIDENT in the local CA's own record
 * ([local] out_dir/localca.db of CONF), as a revocation run would have,
 * and writes the same revocations as OpenSSL's DIR/index.txt for
 * `openssl ca -gencrl`. Revocation times advance one second per thousand
 * certificates (a run revokes in batches); reasons cycle through
 * keyCompromise, superseded, privilegeWithdrawn and none. OpenSSL 3.0's
 * `openssl ca` refuses privilegeWithdrawn, so its index carries no reason
 * there (the CRL warroom writes does).
 *
 * --crls-only does what `openssl ca -gencrl` does and no more, for the
 * like-for-like figure: reads the local CA's record and writes the CRL
 * shards (DER and PEM) for N issued certificates into DIR, without
 * index.txt (wr_crl_publish_crls). A benchmark tool: prints and exits.
 */
#include <getopt.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crl.h"
#include "wr.h"

static void die(const char *m, const char *d)
{
	fprintf(stderr, "crl-bench: %s%s%s\n", m, d ? ": " : "", d ? d : "");
	exit(1);
}

static void utc(int64_t t, char out[20])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 20, "%y%m%d%H%M%SZ", &tm);
}

/* What `openssl ca -gencrl` does, through the core (wr_crl_publish_crls). */
static int crls_only(const char *confpath, long long issued, const char *out)
{
	struct wr_config *cfg;
	struct wr_crl_stats st;
	char err[1024];

	if (wr_config_load(confpath, &cfg, err, sizeof err))
		die("config", err);
	if (wr_crl_publish_crls(cfg, out, issued, wr_clock_now(NULL), &st, err, sizeof err))
		die("publishing", err);
	printf("{\"shards\": %d, \"entries\": %lld, \"bytes\": %lld, \"pem_bytes\": %lld,"
	       " \"load_seconds\": %.3f, \"crl_seconds\": %.3f, \"seconds\": %.3f}\n",
	       st.shards, (long long)st.entries, (long long)st.bytes, (long long)st.pem_bytes,
	       st.load_seconds, st.crl_seconds, st.seconds);
	wr_config_free(cfg);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"config", required_argument, NULL, 'c'},
		{"openssl-dir", required_argument, NULL, 'o'},
		{"crls-only", no_argument, NULL, 'C'},
		{"issued", required_argument, NULL, 'n'},
		{"out", required_argument, NULL, 'O'},
		{0},
	};
	const char *dbpath = NULL, *confpath = NULL, *odir = NULL, *out = NULL;
	long long issued = 0;
	bool only = false;
	struct wr_config *cfg;
	struct wr_db *db;
	struct wr_crl_stats st;
	char err[512], outdir[PATH_MAX], path[PATH_MAX + 32];
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'd': dbpath = optarg; break;
		case 'c': confpath = optarg; break;
		case 'o': odir = optarg; break;
		case 'C': only = true; break;
		case 'n': issued = atoll(optarg); break;
		case 'O': out = optarg; break;
		default: die("usage: crl-bench --db DB --config CONF --openssl-dir DIR", NULL);
		}
	}
	if (only) {
		if (!confpath || !out || issued <= 0)
			die("usage: crl-bench --crls-only --config CONF --issued N --out DIR", NULL);
		return crls_only(confpath, issued, out);
	}
	if (!dbpath || !confpath || !odir)
		die("usage: crl-bench --db DB --config CONF --openssl-dir DIR", NULL);
	if (wr_config_load(confpath, &cfg, err, sizeof err))
		die("config", err);
	if (wr_db_open(dbpath, WR_OPEN_READONLY, &db))
		die("incident", wr_db_errmsg(db));
	int64_t now = wr_clock_now(db);
	/* A first, empty publication creates the CA's record. */
	if (wr_crl_publish(db, cfg, NULL, now, &st))
		die("publish", wr_db_errmsg(db));
	wr_db_close(db);
	if (!wr_config_file(cfg, "local", "out_dir", outdir, sizeof outdir))
		die("[local] out_dir is not set", NULL);

	sqlite3 *inc, *lca;
	sqlite3_stmt *sel, *ins;
	snprintf(path, sizeof path, "%s/localca.db", outdir);
	if (sqlite3_open_v2(dbpath, &inc, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_open(path, &lca) != SQLITE_OK)
		die("open", path);
	snprintf(path, sizeof path, "%s/index.txt", odir);
	FILE *idx = fopen(path, "w");
	if (!idx)
		die("cannot write", path);
	sqlite3_exec(lca, "PRAGMA synchronous = OFF; BEGIN; DELETE FROM revoked", NULL, NULL, NULL);
	if (sqlite3_prepare_v2(inc, "SELECT serial, not_after, subject FROM cert ORDER BY id", -1,
			       &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(lca, "INSERT OR IGNORE INTO revoked(serial, revoked_at, reason)"
				    " VALUES (?, ?, ?)", -1, &ins, NULL) != SQLITE_OK)
		die("prepare", sqlite3_errmsg(lca));
	static const int reasons[4] = {1, 4, 9, WR_CRL_OMIT};
	static const char *const names[4] = {",keyCompromise", ",superseded", "", ""};
	int64_t n = 0, base = now - 3600;
	while (sqlite3_step(sel) == SQLITE_ROW) {
		const char *serial = (const char *)sqlite3_column_text(sel, 0);
		const char *subject = (const char *)sqlite3_column_text(sel, 2);
		int64_t at = base + n / 1000;
		int r = (int)(n % 4);
		char exp[20], rev[20];

		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, serial, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 2, at);
		if (reasons[r] == WR_CRL_OMIT)
			sqlite3_bind_null(ins, 3);
		else
			sqlite3_bind_int(ins, 3, reasons[r]);
		if (sqlite3_step(ins) != SQLITE_DONE)
			die("insert", sqlite3_errmsg(lca));
		utc(sqlite3_column_int64(sel, 1), exp);
		utc(at, rev);
		/* wr-filldb's subjects are a single CN. */
		fprintf(idx, "R\t%s\t%s%s\t%s\tunknown\t/%s\n", exp, rev, names[r], serial, subject);
		n++;
	}
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	if (sqlite3_exec(lca, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		die("commit", sqlite3_errmsg(lca));
	sqlite3_close(lca);
	sqlite3_close(inc);
	if (fclose(idx) != 0)
		die("writing", path);
	snprintf(path, sizeof path, "%s/index.txt.attr", odir);
	if (!(idx = fopen(path, "w")) || fputs("unique_subject = no\n", idx) < 0 || fclose(idx))
		die("cannot write", path);
	wr_config_free(cfg);
	printf("crl-bench: %lld revocations in the local CA's record and %s/index.txt\n",
	       (long long)n, odir);
	return 0;
}
