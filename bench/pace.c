/*
 * pace: the cost of wr_pace_get (core/pace.c), the data of bench/pace.sh.
 *
 *   pace --db INCIDENT [--runs N]
 *
 * Asks for the pace at instants after the incident's newest revocation,
 * so that the last hour holds all, part or none of them: the cost of
 * counting the last hour moves with that split. Each call opens the
 * database afresh and reads the schema, as a `warroom status` process has
 * when it gets to the pace (SQLite's page cache empty, the system's warm).
 * Prints the median and the fastest of N calls (21 by default) at each
 * instant, wall time. A benchmark tool: prints and exits.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "internal.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void die(const char *m, const char *d)
{
	fprintf(stderr, "pace: %s%s%s\n", m, d ? ": " : "", d ? d : "");
	exit(1);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"runs", required_argument, NULL, 'n'},
	    {0},
	};
	static const struct {
		int64_t offset;
		const char *what;
	} at[] = {
	    {0, "at the newest revocation"}, {600, "10 min after"}, {1800, "30 min after"},
	    {3000, "50 min after"},          {7200, "2 h after"},
	};
	const char *path = NULL;
	int runs = 21, o;
	struct wr_db *db;
	int64_t newest = 0, affected = 0, revoked = 0;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'd': path = optarg; break;
		case 'n': runs = atoi(optarg); break;
		default: die("usage: pace --db INCIDENT [--runs N]", NULL);
		}
	}
	if (!path || runs < 1)
		die("usage: pace --db INCIDENT [--runs N]", NULL);
	if (wr_db_open(path, WR_OPEN_READONLY, &db) ||
	    wr_query_int(db, "SELECT coalesce(max(revoked_at), 0) FROM cert", &newest) ||
	    wr_query_int(db, "SELECT n FROM counter WHERE name = 'affected'", &affected) ||
	    wr_query_int(db, "SELECT n FROM counter WHERE name = 'revoked'", &revoked))
		die("open", wr_db_errmsg(db));
	wr_db_close(db);
	printf("%lld certificates, %lld revoked\n", (long long)affected, (long long)revoked);
	double *t = malloc((size_t)runs * sizeof *t);
	if (!t)
		die("out of memory", NULL);
	for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
		struct wr_pace p = {0};
		for (int i = 0; i < runs; i++) {
			int64_t n;
			if (wr_db_open(path, WR_OPEN_READONLY, &db) ||
			    wr_query_int(db, "SELECT count(*) FROM incident", &n))
				die("open", wr_db_errmsg(db));
			double t0 = now_ms();
			if (wr_pace_get(db, newest + at[k].offset, &p))
				die("pace", wr_db_errmsg(db));
			t[i] = now_ms() - t0;
			wr_db_close(db);
		}
		qsort(t, (size_t)runs, sizeof *t, cmp);
		printf("wr_pace_get, %-34s median %6.2f ms, fastest %6.2f ms"
		       " (last hour %lld, before it %lld)\n",
		       at[k].what, t[runs / 2], t[0], (long long)p.revoked_last_hour,
		       (long long)(p.revoked_incident - p.revoked_last_hour));
	}
	free(t);
	return 0;
}
