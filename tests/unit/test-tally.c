/* Unit tests for the customers' kept figures (core/tally.c,
 * data/migrate-010.sql, wr_customer_top in core/customer.c): after each
 * change (certificates added, moved between customers, notified,
 * revoked, replaced, the clock moving forward past notAfter and back)
 * every customer's figures from the tally equal the GROUP BY's
 * (wr_customer_get), field by field, and in both orders; a write around
 * the core makes them stale, which readers see, wr_customer_foreach
 * counts around, and the next wr_tally_begin mends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define NOW 1795608000 /* 2026-11-25T12:00:00Z */

struct fx {
	char dir[64];
	char path[96];
	struct wr_db *db;
};

static int64_t q(struct fx *f, const char *sql)
{
	int64_t v = -1;
	assert_int_equal(wr_query_int(f->db, sql, &v), 0);
	return v;
}

static void x(struct fx *f, const char *sql)
{
	assert_int_equal(wr_exec(f->db, sql), 0);
}

/* A certificate of customer (NULL: none) expiring at not_after. */
static void add(struct fx *f, const char *serial, const char *customer, int64_t not_after)
{
	unit_add_cert(f->db, serial, customer, NOW);
	sqlite3_stmt *st;
	assert_int_equal(wr_prepare(f->db, "UPDATE cert SET not_after = ? WHERE serial = ?", &st), 0);
	sqlite3_bind_int64(st, 1, not_after);
	sqlite3_bind_text(st, 2, serial, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	unit_db_create(f->dir, f->path, &f->db, "2026-11-25T12:00:00Z", "Tally", NULL, "alice");
	/* Alpha 4 (critical, one expiring at 13:00), Beta 3 (one at 14:00),
	 * Gamma 2, none 1: added around the core, then counted. */
	add(f, "A1", "Alpha", NOW + 90 * 86400);
	add(f, "A2", "Alpha", NOW + 90 * 86400);
	add(f, "A3", "Alpha", NOW + 3600);
	add(f, "A4", "Alpha", NOW + 90 * 86400);
	add(f, "B1", "Beta", NOW + 90 * 86400);
	add(f, "B2", "Beta", NOW + 2 * 3600);
	add(f, "B3", "Beta", NOW + 90 * 86400);
	add(f, "G1", "Gamma", NOW + 90 * 86400);
	add(f, "G2", "Gamma", NOW + 90 * 86400);
	add(f, "N1", NULL, NOW + 90 * 86400);
	x(f, "INSERT INTO customer(name, critical, created, updated) VALUES"
	     " ('Alpha', 1, 0, 0), ('Beta', 0, 0, 0), ('Gamma', 0, 0, 0), ('Empty', 0, 0, 0)");
	int64_t n, differed;
	assert_int_equal(wr_customer_recount(f->db, &n, &differed), 0);
	assert_int_equal(n, 5); /* Alpha, Beta, Gamma, Empty and none */
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unit_db_remove(f->dir, f->db);
	free(f);
	return 0;
}

struct got {
	struct wr_customer c[8];
	char names[8][32];
	int n;
};

static int collect(const struct wr_customer *c, void *arg)
{
	struct got *g = arg;

	assert_true(g->n < 8);
	g->c[g->n] = *c;
	snprintf(g->names[g->n], sizeof g->names[0], "%s", c->name);
	g->c[g->n].name = g->names[g->n];
	g->c[g->n].contact = g->c[g->n].acknowledged_by = g->c[g->n].ack_note = NULL;
	g->n++;
	return 0;
}

/* Every customer's kept figures at now equal the GROUP BY's, field by
 * field, and the tally agrees with the counters. */
static void same(struct fx *f, int64_t now)
{
	struct got kept = {0};
	bool stale = true;

	assert_int_equal(wr_customer_top(f->db, now, WR_CUSTOMERS_BEHIND, 0, collect, &kept, &stale),
			 0);
	assert_false(stale);
	assert_int_equal(kept.n, 4);
	for (int i = 0; i < kept.n; i++) {
		struct got ref = {0};
		const struct wr_customer *a = &kept.c[i], *b;
		assert_int_equal(wr_customer_get(f->db, a->name, now, collect, &ref), 0);
		assert_int_equal(ref.n, 1);
		b = &ref.c[0];
		assert_int_equal(a->certificates, b->certificates);
		assert_int_equal(a->notified, b->notified);
		assert_int_equal(a->acknowledged, b->acknowledged);
		assert_int_equal(a->replaced, b->replaced);
		assert_int_equal(a->revoked, b->revoked);
		assert_int_equal(a->expired, b->expired);
		assert_int_equal(a->outstanding, b->outstanding);
		assert_int_equal(a->issued, b->issued);
		assert_int_equal(a->deployed, b->deployed);
		assert_int_equal(a->unreachable, b->unreachable);
	}
	/* The first few of each order (the panes', through the orders'
	 * indexes) are the first of the whole list. */
	for (int o = WR_CUSTOMERS_BEHIND; o <= WR_CUSTOMERS_UNACKNOWLEDGED; o++) {
		struct got whole = {0};
		assert_int_equal(wr_customer_top(f->db, now, o, 0, collect, &whole, NULL), 0);
		for (int lim = 1; lim <= 4; lim++) {
			struct got top = {0};
			assert_int_equal(wr_customer_top(f->db, now, o, lim, collect, &top, NULL), 0);
			assert_int_equal(top.n, lim);
			for (int i = 0; i < lim; i++) {
				assert_string_equal(top.names[i], whole.names[i]);
				assert_int_equal(top.c[i].outstanding, whole.c[i].outstanding);
				assert_int_equal(top.c[i].expired, whole.c[i].expired);
			}
		}
	}
	/* And wr_customer_foreach (the GROUP BY's order) lists them alike. */
	struct got all = {0};
	assert_int_equal(wr_customer_foreach(f->db, now, collect, &all), 0);
	assert_int_equal(all.n, kept.n);
	for (int i = 0; i < all.n; i++)
		assert_string_equal(all.names[i], kept.names[i]);
	assert_int_equal(f->db->tally_recounts, 0);
}

/* Changes as the writers make them: a transaction, wr_tally_begin, the
 * change, its grouped statement. */
static void test_writers(void **state)
{
	struct fx *f = *state;
	int64_t hw;

	same(f, NOW);
	/* An import: rows added above the mark. */
	assert_int_equal(wr_tx_begin(f->db), 0);
	assert_int_equal(wr_tally_begin(f->db), 0);
	assert_int_equal(wr_tally_mark(f->db, &hw), 0);
	add(f, "G3", "Gamma", NOW - 60); /* expired already */
	add(f, "G4", "Gamma", NOW + 86400);
	assert_int_equal(wr_tally_added(f->db, &hw), 0);
	assert_int_equal(hw, q(f, "SELECT max(id) FROM cert"));
	assert_int_equal(wr_tx_commit(f->db), 0);
	same(f, NOW);

	/* Notified, as notify does for one customer. */
	assert_int_equal(wr_tx_begin(f->db), 0);
	assert_int_equal(wr_tally_begin(f->db), 0);
	x(f, "UPDATE cert SET notified_at = 1 WHERE customer = 'Beta' AND notified_at IS NULL");
	assert_int_equal(wr_tally_notified(f->db, "Beta", sqlite3_changes(f->db->sq)), 0);
	assert_int_equal(wr_tx_commit(f->db), 0);
	same(f, NOW);

	/* Replacements issued and probed: out before, in after. */
	const char *ids = "[1, 2, 5]";
	assert_int_equal(wr_tx_begin(f->db), 0);
	assert_int_equal(wr_tally_begin(f->db), 0);
	assert_int_equal(wr_tally_rows(f->db, WR_TALLY_IDS, ids, 0, -1), 0);
	x(f, "INSERT INTO replacement(cert_id, sha256, spki_sha256, serial, issuer, subject,"
	     " not_before, not_after, linked_at, linked_by) SELECT id, randomblob(32), randomblob(32),"
	     " 'R' || serial, issuer, subject, not_before, not_after, 0, 'alice' FROM cert"
	     " WHERE id IN (1, 2, 5)");
	x(f, "INSERT INTO probe_cert(cert_id, endpoints, probed, deployed, unreachable, checked_at)"
	     " VALUES (1, 1, 1, 1, 0, 0), (2, 2, 2, 0, 1, 0)");
	x(f, "UPDATE cert SET replaced_at = 5 WHERE id = 1");
	assert_int_equal(wr_tally_rows(f->db, WR_TALLY_IDS, ids, 0, 1), 0);
	assert_int_equal(wr_tx_commit(f->db), 0);
	same(f, NOW);

	/* Revoked, as the engine's batch records. */
	assert_int_equal(wr_tx_begin(f->db), 0);
	assert_int_equal(wr_tally_begin(f->db), 0);
	x(f, "UPDATE cert SET revoked_at = 7, state = 'revoked' WHERE id IN (2, 3, 8)");
	assert_int_equal(wr_tally_revoked(f->db, "[2, 3, 8]"), 0);
	assert_int_equal(wr_tx_commit(f->db), 0);
	same(f, NOW);

	/* The clock past notAfter (B2 at 14:00), and back: added at read. */
	same(f, NOW + 3 * 3600);
	same(f, NOW - 3600);
	/* A write at the later instant moves the tally's clock there. */
	setenv("WARROOM_NOW", "2026-11-25T15:00:00Z", 1);
	assert_int_equal(wr_tx_begin(f->db), 0);
	assert_int_equal(wr_tally_begin(f->db), 0);
	assert_int_equal(wr_tx_commit(f->db), 0);
	assert_int_equal(q(f, "SELECT at FROM customer_tally_clock"), NOW + 3 * 3600);
	same(f, NOW + 3 * 3600);
	same(f, NOW);
	/* The customer list moves certificates: counted afresh. */
	assert_int_equal(wr_tx_begin(f->db), 0);
	x(f, "UPDATE cert SET customer = 'Gamma' WHERE serial IN ('A4', 'N1')");
	assert_int_equal(wr_tally_recount(f->db), 0);
	assert_int_equal(wr_tx_commit(f->db), 0);
	same(f, NOW + 3 * 3600);
	/* An acknowledgement is the customer row's: nothing to keep. */
	assert_int_equal(wr_customer_ack(f->db, "Gamma", NULL, NULL), 0);
	same(f, NOW + 3 * 3600);
}

/* The orders: critical first; Customer Relations puts those that have
 * not acknowledged first, then the largest share not notified. */
static void test_orders(void **state)
{
	struct fx *f = *state;
	struct got g = {0};

	x(f, "UPDATE cert SET notified_at = 1 WHERE serial IN ('G1', 'G2', 'B1')");
	assert_int_equal(wr_customer_recount(f->db, &(int64_t){0}, &(int64_t){0}), 0);
	assert_int_equal(wr_customer_ack(f->db, "Beta", NULL, NULL), 0);
	assert_int_equal(
	    wr_customer_top(f->db, NOW, WR_CUSTOMERS_UNACKNOWLEDGED, 0, collect, &g, NULL), 0);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.names[0], "Alpha"); /* critical */
	/* Not acknowledged, none left to notify (share 0): the most
	 * outstanding first. */
	assert_string_equal(g.names[1], "Gamma");
	assert_string_equal(g.names[2], "Empty"); /* no certificates */
	assert_string_equal(g.names[3], "Beta");  /* acknowledged */
	memset(&g, 0, sizeof g);
	assert_int_equal(wr_customer_top(f->db, NOW, WR_CUSTOMERS_BEHIND, 2, collect, &g, NULL), 0);
	assert_int_equal(g.n, 2); /* the limit */
	assert_string_equal(g.names[0], "Alpha");
	assert_int_equal(wr_customer_top(f->db, NOW, 7, 0, collect, &g, NULL), WR_EINVAL);

	/* The panes' answer is kept by the handle, and given again only while
	 * nothing changed: another connection's acknowledgement shows. */
	memset(&g, 0, sizeof g);
	assert_int_equal(
	    wr_customer_top(f->db, NOW, WR_CUSTOMERS_UNACKNOWLEDGED, 3, collect, &g, NULL), 0);
	assert_string_equal(g.names[1], "Gamma");
	struct wr_db *other;
	assert_int_equal(wr_db_open(f->path, 0, &other), 0);
	wr_db_set_actor(other, "carol");
	assert_int_equal(wr_customer_ack(other, "Gamma", NULL, NULL), 0);
	wr_db_close(other);
	memset(&g, 0, sizeof g);
	assert_int_equal(
	    wr_customer_top(f->db, NOW, WR_CUSTOMERS_UNACKNOWLEDGED, 3, collect, &g, NULL), 0);
	assert_string_equal(g.names[1], "Empty"); /* Gamma acknowledged: behind it */
	/* And a certificate expiring between two frames, with no commit. */
	memset(&g, 0, sizeof g);
	assert_int_equal(wr_customer_top(f->db, NOW, WR_CUSTOMERS_BEHIND, 4, collect, &g, NULL), 0);
	int64_t before = -1, after = -1;
	for (int i = 0; i < g.n; i++)
		if (!strcmp(g.names[i], "Alpha"))
			before = g.c[i].outstanding;
	memset(&g, 0, sizeof g);
	assert_int_equal(
	    wr_customer_top(f->db, NOW + 7200, WR_CUSTOMERS_BEHIND, 4, collect, &g, NULL), 0);
	for (int i = 0; i < g.n; i++)
		if (!strcmp(g.names[i], "Alpha"))
			after = g.c[i].outstanding;
	assert_int_equal(after, before - 1); /* A3 expired at 13:00 */
}

/* A write around the core: readers see it stale, foreach counts instead,
 * the next writer's wr_tally_begin counts afresh. */
static void test_stale(void **state)
{
	struct fx *f = *state;
	struct got g = {0};
	bool stale = false;

	same(f, NOW);
	x(f, "UPDATE cert SET revoked_at = 9 WHERE serial = 'G1'");
	assert_int_equal(wr_customer_top(f->db, NOW, WR_CUSTOMERS_BEHIND, 0, collect, &g, &stale), 0);
	assert_true(stale);
	memset(&g, 0, sizeof g);
	assert_int_equal(wr_customer_foreach(f->db, NOW, collect, &g), 0);
	for (int i = 0; i < g.n; i++)
		if (strcmp(g.names[i], "Gamma") == 0)
			assert_int_equal(g.c[i].revoked, 1);
	assert_int_equal(wr_tx_begin(f->db), 0);
	assert_int_equal(wr_tally_begin(f->db), 0);
	assert_int_equal(wr_tx_commit(f->db), 0);
	assert_int_equal(f->db->tally_recounts, 1);
	f->db->tally_recounts = 0;
	same(f, NOW);
	/* A missing tally (a database that never had migration 10's tables)
	 * is stale too, and foreach still answers. */
	x(f, "DROP TABLE customer_tally; DROP TABLE customer_tally_clock");
	f->db->tally_ok.valid = false; /* as a new handle */
	bool ok = true;
	assert_int_equal(wr_tally_check(f->db, &ok), 0);
	assert_false(ok);
	memset(&g, 0, sizeof g);
	assert_int_equal(wr_customer_foreach(f->db, NOW, collect, &g), 0);
	assert_int_equal(g.n, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_writers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_orders, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
