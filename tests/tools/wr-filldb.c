/*
 * wr-filldb: builds a large incident database fast, for benchmarks.
 *
 *   wr-filldb --db PATH --certs N [--tasks M] [--events K] [--revoked P]
 *             [--expired P] [--declare]
 *
 * Creates PATH with the default plan through the core, then inserts N
 * synthetic certificate rows (no DER: they stand for a population whose
 * fields were already decoded), M extra tasks and K extra events, with
 * plain SQL in one transaction. Not for tests of import: see wr-mkcerts.
 */
#include <getopt.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wr.h"

/* The schema's triggers call the core's rule; a raw connection needs it. */
static void short_lived(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_result_int(ctx, wr_cert_short_lived(sqlite3_value_int64(argv[0]),
						    sqlite3_value_int64(argv[1])));
}

static void die(const char *m, const char *d)
{
	fprintf(stderr, "wr-filldb: %s%s%s\n", m, d ? ": " : "", d ? d : "");
	exit(1);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},	{"certs", required_argument, NULL, 'c'},
		{"tasks", required_argument, NULL, 't'}, {"events", required_argument, NULL, 'e'},
		{"revoked", required_argument, NULL, 'r'}, {"expired", required_argument, NULL, 'x'},
		{"declare", no_argument, NULL, 'D'},	{0},
	};
	const char *path = NULL;
	long long ncerts = 0, ntasks = 0, nevents = 0;
	double revoked_pct = 0, expired_pct = 5;
	int declare = 0, o;
	struct wr_db *db;
	struct wr_plan *plan;
	char err[256];

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'd': path = optarg; break;
		case 'c': ncerts = atoll(optarg); break;
		case 't': ntasks = atoll(optarg); break;
		case 'e': nevents = atoll(optarg); break;
		case 'r': revoked_pct = atof(optarg); break;
		case 'x': expired_pct = atof(optarg); break;
		case 'D': declare = 1; break;
		default: die("usage: wr-filldb --db PATH --certs N [--tasks M] [--events K]", NULL);
		}
	}
	if (!path)
		die("--db is required", NULL);
	if (wr_plan_load(NULL, &plan, err, sizeof err))
		die("plan", err);
	if (wr_db_open(path, WR_OPEN_CREATE, &db) ||
	    wr_incident_init(db, "Benchmark incident", ncerts * 20, plan))
		die("init", wr_db_errmsg(db));
	wr_plan_free(plan);
	int64_t now = wr_clock_now(db);
	if (declare) {
		struct wr_mre_criterion c[WR_MRE_CRITERIA];
		if (wr_incident_declare(db, "validation-unreliable", now - 3600, 0, NULL, c))
			die("declare", wr_db_errmsg(db));
	}
	wr_db_close(db);

	sqlite3 *sq;
	sqlite3_stmt *ins, *der;
	if (sqlite3_open(path, &sq) != SQLITE_OK)
		die("open", sqlite3_errmsg(sq));
	sqlite3_create_function(sq, "wr_short_lived", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
				short_lived, NULL, NULL);
	sqlite3_exec(sq, "PRAGMA synchronous = OFF; PRAGMA cache_size = -400000; BEGIN", NULL,
		     NULL, NULL);
	if (sqlite3_prepare_v2(sq,
			       "INSERT INTO cert(sha256, serial, issuer, subject, sans, not_before,"
			       " not_after, spki_sha256, customer, contact, state, revoked_at)"
			       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(sq, "INSERT INTO cert_der(cert_id, der) VALUES (?, x'3000')", -1,
			       &der, NULL) != SQLITE_OK)
		die("prepare", sqlite3_errmsg(sq));
	unsigned char h[32], s[32];
	char serial[72], subj[96], sans[192], cust[64], contact[96];
	const char *issuer = "CN=Warroom Bench Issuing CA,O=Warroom Demo CA,C=US";
	srand(42);
	for (long long i = 0; i < ncerts; i++) {
		unsigned long long k = (unsigned long long)i;
		EVP_Digest(&k, sizeof k, h, NULL, EVP_sha256(), NULL);
		k ^= 0x5a5a5a5aULL;
		EVP_Digest(&k, sizeof k, s, NULL, EVP_sha256(), NULL);
		char hex[65];
		wr_hex(h, 16, hex);
		for (char *p = hex; *p; p++)
			*p = (char)(*p >= 'a' ? *p - 32 : *p);
		snprintf(serial, sizeof serial, "%s", hex);
		long long c = i % 5000;
		snprintf(subj, sizeof subj, "CN=host%lld.customer%lld.example", i, c);
		snprintf(sans, sizeof sans, "host%lld.customer%lld.example,www.customer%lld.example",
			 i, c, c);
		snprintf(cust, sizeof cust, "Customer %lld", c);
		snprintf(contact, sizeof contact, "pki@customer%lld.example", c);
		int64_t nb = now - 86400LL * (rand() % 80) - 3600;
		int64_t na = nb + 90 * 86400LL;
		if (rand() % 10000 < expired_pct * 100)
			na = now - 60 - rand() % 86400;
		bool rev = rand() % 10000 < revoked_pct * 100;
		sqlite3_reset(ins);
		sqlite3_bind_blob(ins, 1, h, 32, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, serial, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, issuer, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, subj, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 5, sans, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 6, nb);
		sqlite3_bind_int64(ins, 7, na);
		sqlite3_bind_blob(ins, 8, s, 32, SQLITE_STATIC);
		sqlite3_bind_text(ins, 9, cust, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 10, contact, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 11, rev ? "revoked" : "pending", -1, SQLITE_STATIC);
		if (rev)
			sqlite3_bind_int64(ins, 12, now - rand() % 3600);
		else
			sqlite3_bind_null(ins, 12);
		if (sqlite3_step(ins) != SQLITE_DONE)
			die("insert", sqlite3_errmsg(sq));
		sqlite3_reset(der);
		sqlite3_bind_int64(der, 1, sqlite3_last_insert_rowid(sq));
		if (sqlite3_step(der) != SQLITE_DONE)
			die("insert der", sqlite3_errmsg(sq));
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(der);
	/* The customers as rows of their own, one in fifty critical, as the
	 * customer list makes them; their figures are counted below. */
	char *sql = sqlite3_mprintf(
	    "INSERT OR IGNORE INTO customer(name, contact, critical, created, updated)"
	    " SELECT customer, min(contact), CAST(substr(customer, 10) AS INTEGER) %% 50 = 0,"
	    " %lld, %lld FROM cert WHERE customer IS NOT NULL GROUP BY customer",
	    (long long)now, (long long)now);
	if (sqlite3_exec(sq, sql, NULL, NULL, NULL) != SQLITE_OK)
		die("customers", sqlite3_errmsg(sq));
	sqlite3_free(sql);
	sqlite3_exec(sq, "COMMIT", NULL, NULL, NULL);
	/* Tasks and events go through the core, so the audit chain holds. */
	sqlite3_close(sq);
	if (wr_db_open(path, 0, &db))
		die("reopen", wr_db_errmsg(db));
	static const char *const teams[] = {"management", "customer-relations", "replacement",
					    "revocation", "external-comms", "compliance-legal"};
	wr_tx_begin(db);
	for (long long i = 0; i < ntasks; i++) {
		char title[64];
		snprintf(title, sizeof title, "Benchmark task %lld", i + 1);
		if (wr_task_add(db, teams[i % 6], (int)(i % WR_PHASES), now + 3600 * (i % 48), title,
				NULL))
			die("task", wr_db_errmsg(db));
	}
	for (long long i = 0; i < nevents; i++)
		if (wr_event_add(db, "bench", "{\"note\":\"synthetic event\"}"))
			die("event", wr_db_errmsg(db));
	if (wr_tx_commit(db))
		die("commit", wr_db_errmsg(db));
	/* The rows went in around the core: the customers' figures are
	 * counted once, as `warroom customer recount` does. */
	int64_t ncust, differed;
	if (wr_customer_recount(db, &ncust, &differed))
		die("customer recount", wr_db_errmsg(db));
	wr_db_close(db);
	printf("wr-filldb: %s: %lld certificates, %lld tasks, %lld events\n", path, ncerts,
	       ntasks, nevents);
	return 0;
}
