/*
 * test-probe.c: core/probe.c without a TLS server: which endpoints a
 * certificate has (cert.endpoints as customer.c normalises it, else its
 * names on 443, wildcards and escaped names left out), unreachable ones
 * recorded with why, the counters the summaries keep, rounds (a second
 * run finds nothing to do, --again everything, a replacement linked
 * makes its certificate's endpoints due again), and bad options.
 * The servers that answer are tests/e2e/probe.t's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unit.h"

/* A loopback port nobody listens on (bound, then closed). */
static int closed_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void add_cert(struct wr_db *db, int id, const char *sans, const char *endpoints)
{
	char sql[1024];

	snprintf(
	    sql, sizeof sql,
	    "INSERT INTO cert(id, sha256, serial, issuer, subject, sans, not_before, not_after,"
	    " spki_sha256, customer, endpoints) VALUES (%d, randomblob(32), '%04X', 'CN=CA',"
	    " 'CN=x', '%s', 0, 4000000000, randomblob(32), 'C%d', %s%s%s)",
	    id, id, sans, id, endpoints ? "'" : "", endpoints ? endpoints : "NULL",
	    endpoints ? "'" : "");
	assert_int_equal(wr_exec(db, sql), 0);
}

static int64_t q(struct wr_db *db, const char *sql)
{
	int64_t n = -1;
	assert_int_equal(wr_query_int(db, sql, &n), 0);
	return n;
}

static void test_endpoints_and_rounds(void **state)
{
	char dir[64], path[96], eps[256], sql[256];
	struct wr_db *db;
	struct wr_probe_opts o = {.concurrency = 4, .timeout_ms = 2000};
	struct wr_probe_stats st;
	int p1 = closed_port(), p2 = closed_port();

	(void)state;
	unit_db_create(dir, path, &db, "2026-11-25T08:00:00Z", "probe", NULL, "alice");
	snprintf(eps, sizeof eps, "127.0.0.1:%d localhost:%d [::1]:%d", p1, p2, p1);
	add_cert(db, 1, "a.test", eps);
	/* No endpoints said: its names on 443, but no wildcard, and no name
	 * with an escaped comma. */
	add_cert(db, 2, "127.0.0.1,*.wild.test,a\\,b", NULL);
	add_cert(db, 3, "*.only.test", NULL);

	assert_int_equal(wr_probe_run(db, &o, &st), 0);
	assert_int_equal(st.round, 1);
	assert_int_equal(st.total, 4);
	assert_int_equal(st.endpoints, 4);
	assert_int_equal(q(db, "SELECT count(*) FROM probe"), 4);
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM probe WHERE cert_id = 1 AND outcome = 'unreachable'"
		 " AND error LIKE 'connect: %%' AND ((host = '127.0.0.1' AND port = %d)"
		 " OR (host = 'localhost' AND port = %d) OR (host = '::1' AND port = %d))",
		 p1, p2, p1);
	assert_int_equal(q(db, sql), 3);
	assert_int_equal(q(db, "SELECT count(*) FROM probe WHERE cert_id = 2 AND host = '127.0.0.1'"
			       " AND port = 443"),
			 1);
	assert_int_equal(q(db, "SELECT count(*) FROM probe WHERE cert_id = 3"), 0);
	/* The counter follows the summaries; nothing is replaced. */
	assert_int_equal(q(db, "SELECT n FROM counter WHERE name = 'unreachable'"),
			 q(db, "SELECT count(*) FROM probe_cert WHERE unreachable = 1"));
	assert_true(q(db, "SELECT n FROM counter WHERE name = 'unreachable'") >= 1);
	assert_int_equal(q(db, "SELECT n FROM counter WHERE name = 'replacement_deployed'"), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM cert WHERE replaced_at IS NOT NULL"), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM event WHERE action = 'probe'"), 1);

	/* The round is done. */
	assert_int_equal(wr_probe_run(db, &o, &st), 0);
	assert_int_equal(st.total, 0);
	/* A replacement linked: its certificate's 3 endpoints are due again. */
	assert_int_equal(wr_exec(db,
				 "INSERT INTO replacement(cert_id, sha256, spki_sha256, serial,"
				 " issuer, subject, not_before, not_after, linked_at, linked_by)"
				 " VALUES (1, randomblob(32), randomblob(32), '99', 'CN=CA',"
				 " 'CN=x', 1, 4000000000, 1, 'alice')"),
			 0);
	assert_int_equal(wr_probe_run(db, &o, &st), 0);
	assert_int_equal(st.total, 3);
	/* One customer's only. */
	assert_int_equal(wr_exec(db, "INSERT INTO customer(name, created, updated)"
				     " VALUES ('C2', 0, 0)"),
			 0);
	o.again = true;
	o.customer = "C2";
	assert_int_equal(wr_probe_run(db, &o, &st), 0);
	assert_int_equal(st.round, 2);
	assert_int_equal(st.total, 1);
	o.customer = "nobody";
	assert_int_equal(wr_probe_run(db, &o, &st), WR_ENOENT);
	/* Fewer endpoints: the old ones' rows go with the next probe. */
	o.customer = NULL;
	o.again = false;
	snprintf(sql, sizeof sql, "UPDATE cert SET endpoints = '127.0.0.1:%d' WHERE id = 1", p1);
	assert_int_equal(wr_exec(db, sql), 0);
	assert_int_equal(wr_probe_run(db, &o, &st), 0);
	assert_int_equal(st.total, 1);
	assert_int_equal(q(db, "SELECT count(*) FROM probe WHERE cert_id = 1"), 1);
	assert_int_equal(q(db, "SELECT endpoints FROM probe_cert WHERE cert_id = 1"), 1);
	/* A certificate deleted takes its summary out of the counters. */
	assert_int_equal(wr_exec(db, "DELETE FROM cert"), 0);
	assert_int_equal(q(db, "SELECT n FROM counter WHERE name = 'unreachable'"), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM probe"), 0);

	o.concurrency = 5000;
	assert_int_equal(wr_probe_run(db, &o, &st), WR_EINVAL);
	unit_db_remove(dir, db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_endpoints_and_rounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
