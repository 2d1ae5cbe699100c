/* Unit tests for core/wave.c: which wave a run takes (the order holds, a
 * wave waits for its start, certificates in no wave come last), moving
 * waves in the order, and a certificate staying in its first wave. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#define NOW 1795593600 /* 2026-11-25T08:00:00Z */

struct fx {
	char dir[64];
	char path[96];
	struct wr_db *db;
};

static void add_cert(struct wr_db *db, int i, const char *customer, bool revoked)
{
	sqlite3_stmt *st;
	unsigned char h[32] = {0};
	char serial[16];

	h[0] = (unsigned char)i;
	snprintf(serial, sizeof serial, "%04X", i);
	assert_int_equal(wr_prepare(db, "INSERT INTO cert(sha256, serial, issuer, subject,"
				       " not_before, not_after, spki_sha256, customer, revoked_at,"
				       " state) VALUES (?, ?, 'CN=CA', 'CN=x', ?, ?, ?, ?, ?, ?)", &st),
			 0);
	sqlite3_bind_blob(st, 1, h, 32, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, serial, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, NOW - 86400);
	sqlite3_bind_int64(st, 4, NOW + 90 * 86400);
	sqlite3_bind_blob(st, 5, h, 32, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, customer, -1, SQLITE_STATIC);
	wr_bind_time(st, 7, revoked ? NOW : 0);
	sqlite3_bind_text(st, 8, revoked ? "revoked" : "pending", -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	unit_db_create(f->dir, f->path, &f->db, "2026-11-25T08:00:00Z", "Waves", NULL, "tester");
	for (int i = 0; i < 4; i++)
		add_cert(f->db, i, "Acme", i == 0);
	for (int i = 4; i < 7; i++)
		add_cert(f->db, i, "Hospital", false);
	for (int i = 7; i < 9; i++)
		add_cert(f->db, i, "Other", false);
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

struct names {
	char s[128];
};

static int name_cb(const struct wr_wave *w, void *arg)
{
	struct names *n = arg;
	size_t len = strlen(n->s);
	snprintf(n->s + len, sizeof n->s - len, "%s%s:%lld/%lld", len ? " " : "", w->name,
		 (long long)w->left, (long long)w->total);
	return 0;
}

static const char *order(struct fx *f)
{
	static struct names n;
	n.s[0] = '\0';
	assert_int_equal(wr_wave_foreach(f->db, NOW, name_cb, &n), 0);
	return n.s;
}

static void test_pick(void **state)
{
	struct fx *f = *state;
	const char *acme[] = {"Acme"}, *hosp[] = {"Hospital"};
	int64_t n, id, first;

	/* No waves: every certificate. */
	assert_int_equal(wr_wave_pick(f->db, NULL, NOW, &id), 0);
	assert_int_equal(id, WR_WAVE_ALL);
	struct wr_wave_spec a = {.name = "acme", .customers = acme, .ncustomers = 1};
	assert_int_equal(wr_wave_add(f->db, &a, NULL, NULL, &n), 0);
	assert_int_equal(n, 3); /* the revoked one is not taken */
	assert_int_equal(wr_query_int(f->db, "SELECT count(*) FROM cert WHERE wave IS NULL", &n), 0);
	assert_int_equal(n, 6);
	struct wr_wave_spec h = {.name = "hospital", .customers = hosp, .ncustomers = 1,
				 .not_before = NOW + 3600};
	assert_int_equal(wr_wave_add(f->db, &h, NULL, NULL, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(order(f), "acme:3/3 hospital:3/3");
	assert_int_equal(wr_wave_pick(f->db, NULL, NOW, &first), 0);
	assert_true(first > 0);
	/* A later wave takes nothing from an earlier one, and one that would
	 * be empty is not added. */
	struct wr_wave_spec again = {.name = "again", .customers = acme, .ncustomers = 1};
	assert_int_equal(wr_wave_add(f->db, &again, NULL, NULL, &n), WR_EINVAL);
	assert_int_equal(n, 0);
	assert_string_equal(order(f), "acme:3/3 hospital:3/3");
	/* Acme's done: the hospital's wave is next but not yet due. */
	assert_int_equal(wr_exec(f->db, "UPDATE cert SET revoked_at = 1795593600, state ="
					" 'revoked' WHERE customer = 'Acme'"), 0);
	assert_int_equal(wr_wave_pick(f->db, NULL, NOW, &id), WR_ESTATE);
	assert_non_null(strstr(wr_db_errmsg(f->db), "'hospital', may start at"));
	assert_int_equal(wr_wave_pick(f->db, "hospital", NOW, &id), WR_ESTATE);
	assert_int_equal(wr_wave_pick(f->db, NULL, NOW + 3600, &id), 0);
	assert_true(id > 0 && id != first);
	/* Every wave done: the certificates in none. */
	assert_int_equal(wr_exec(f->db, "UPDATE cert SET revoked_at = 1795593600, state ="
					" 'revoked' WHERE customer = 'Hospital'"), 0);
	assert_int_equal(wr_wave_pick(f->db, NULL, NOW, &id), 0);
	assert_int_equal(id, WR_WAVE_NONE);
	assert_int_equal(wr_wave_pick(f->db, "nosuch", NOW, &id), WR_ENOENT);
}

static void test_move_and_rest(void **state)
{
	struct fx *f = *state;
	const char *acme[] = {"Acme"};
	int64_t n;

	struct wr_wave_spec a = {.name = "a", .customers = acme, .ncustomers = 1};
	struct wr_wave_spec rest = {.name = "rest"};
	assert_int_equal(wr_wave_add(f->db, &a, NULL, NULL, &n), 0);
	assert_int_equal(wr_wave_add(f->db, &rest, NULL, NULL, &n), 0);
	assert_int_equal(n, 5); /* everything in no wave yet */
	struct wr_wave_spec c = {.name = "c"};
	assert_int_equal(wr_wave_add(f->db, &c, NULL, NULL, &n), 0);
	assert_int_equal(n, 0);
	assert_string_equal(order(f), "a:3/3 rest:5/5 c:0/0");
	assert_int_equal(wr_wave_move(f->db, "c", 1), 0);
	assert_string_equal(order(f), "c:0/0 a:3/3 rest:5/5");
	assert_int_equal(wr_wave_move(f->db, "c", 3), 0);
	assert_string_equal(order(f), "a:3/3 rest:5/5 c:0/0");
	assert_int_equal(wr_wave_move(f->db, "a", 2), 0);
	assert_string_equal(order(f), "rest:5/5 a:3/3 c:0/0");
	assert_int_equal(wr_wave_move(f->db, "a", 4), WR_EINVAL);
	assert_int_equal(wr_wave_move(f->db, "a", 0), WR_EINVAL);
	assert_int_equal(wr_wave_move(f->db, "zz", 1), WR_ENOENT);
	assert_int_equal(wr_wave_add(f->db, &a, NULL, NULL, &n), WR_EEXIST);
	int64_t events = 0;
	assert_int_equal(wr_query_int(f->db, "SELECT count(*) FROM event WHERE action IN"
					     " ('wave-add', 'wave-move')", &events), 0);
	assert_int_equal(events, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_and_rest, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
