/* Unit tests for Bugzilla posting and the reporting cadence (core/bugzilla.c,
 * core/reporting.c, data/migrate-012.sql), the parts that need no server
 * (tests/e2e/bugzilla.t has one): splitting a report into comments (a
 * short one untouched; a long one at line ends, each part within the
 * limit in characters, numbered, nothing lost; a code fence closed and
 * opened again across parts; a line longer than a part cut between
 * characters); the cadence (nothing before the declaration; the
 * preliminary and full reports from the discovery; the next update 3 and
 * 7 days after the newest post marked by hand; the level fine, warn from
 * the 3-day mark, alarm a day before the 7-day limit); marking refuses a
 * time in the future and a user outside External Communications; posting
 * needs [bugzilla] url and a key, and refuses a key in a config others
 * can read, queueing nothing; a person settles a queued or unknown post
 * as dropped or sent (a new bug's number required), once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#define NOW 1795608000 /* 2026-11-25T12:00:00Z */
#define DAY 86400

static size_t chars(const char *s)
{
	size_t k = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			k++;
	return k;
}

static void test_split_short(void **state)
{
	(void)state;
	char **p;
	size_t n;

	assert_int_equal(wr_bugzilla_split("## Update\n\nall well\n", 65535, &p, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(p[0], "## Update\n\nall well\n");
	wr_bugzilla_split_free(p, n);
	assert_int_equal(wr_bugzilla_split("x", 100, &p, &n), WR_EINVAL); /* no room */
}

static void test_split_lines(void **state)
{
	(void)state;
	struct wr_buf b = {0}, joined = {0};
	char **p;
	size_t n;

	for (int i = 0; i < 300; i++) {
		char line[64];
		int l = snprintf(line, sizeof line, "line %03d: caf\xc3\xa9 \xe2\x82\xac text\n", i);
		assert_true(wr_buf_put(&b, line, (size_t)l));
	}
	assert_int_equal(wr_bugzilla_split(b.p, 1000, &p, &n), 0);
	assert_true(n > 5);
	assert_true(wr_buf_put(&joined, "", 0));
	for (size_t i = 0; i < n; i++) {
		char head[64];
		snprintf(head, sizeof head, "(part %zu/%zu)\n\n", i + 1, n);
		assert_true(chars(p[i]) <= 1000);
		assert_memory_equal(p[i], head, strlen(head));
		const char *body = p[i] + strlen(head);
		/* Whole lines: each part's text starts a line and ends one. */
		assert_memory_equal(body, "line ", 5);
		assert_int_equal(body[strlen(body) - 1], '\n');
		assert_true(wr_buf_put(&joined, body, strlen(body)));
	}
	assert_string_equal(joined.p, b.p);
	wr_bugzilla_split_free(p, n);
	wr_buf_free(&b);
	wr_buf_free(&joined);
}

static void test_split_fence(void **state)
{
	(void)state;
	struct wr_buf b = {0};
	char **p;
	size_t n;

	assert_true(wr_buf_put(&b, "## Appendix\n\n```csv\n", 20));
	for (int i = 0; i < 100; i++)
		assert_true(wr_buf_put(&b, "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p\n", 32));
	assert_true(wr_buf_put(&b, "```\n\nafter\n", 11));
	assert_int_equal(wr_bugzilla_split(b.p, 600, &p, &n), 0);
	assert_true(n >= 5);
	for (size_t i = 0; i < n; i++) {
		assert_true(chars(p[i]) <= 600);
		int fences = 0;
		for (const char *q = p[i]; (q = strstr(q, "```")); q += 3)
			fences++;
		/* Every part opens and closes its code block: Markdown stays whole. */
		assert_int_equal(fences % 2, 0);
		if (i > 0 && i + 1 < n)
			assert_non_null(strstr(p[i], "\n\n```csv\na,b"));
	}
	assert_non_null(strstr(p[n - 1], "after\n"));
	wr_bugzilla_split_free(p, n);
	wr_buf_free(&b);
}

static void test_split_long_line(void **state)
{
	(void)state;
	char *s = malloc(3001 * 2 + 1);
	char **p;
	size_t n;

	assert_non_null(s);
	/* One line of 3001 two-byte characters: cut between characters. */
	for (int i = 0; i < 3001; i++)
		memcpy(s + 2 * i, "\xc3\xa9", 2);
	s[3001 * 2] = '\0';
	assert_int_equal(wr_bugzilla_split(s, 1000, &p, &n), 0);
	assert_true(n >= 4);
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		assert_true(chars(p[i]) <= 1000);
		const char *body = strstr(p[i], "\n\n") + 2;
		assert_true(((unsigned char)body[0]) == 0xc3); /* starts on a character */
		total += chars(body);
	}
	assert_int_equal(total, 3001);
	wr_bugzilla_split_free(p, n);
	free(s);
}

struct fx {
	char dir[64];
	char path[96];
	struct wr_db *db;
	struct wr_config *cfg;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char err[256];

	assert_non_null(f);
	assert_int_equal(
	    wr_config_parse_text("[users]\nalice = management\ndave = external-comms\n"
				 "bob = revocation\n",
				 "test.conf", &f->cfg, err, sizeof err),
	    0);
	unit_db_create(f->dir, f->path, &f->db, "2026-11-25T12:00:00Z", "Cadence", f->cfg,
		       "dave");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unit_db_remove(f->dir, f->db);
	wr_config_free(f->cfg);
	free(f);
	return 0;
}

static void test_cadence(void **state)
{
	struct fx *f = *state;
	struct wr_reporting r;
	struct wr_mre_criterion crit[WR_MRE_CRITERIA];

	assert_int_equal(wr_reporting_get(f->db, NOW, &r), 0);
	assert_int_equal(r.preliminary_due, 0); /* not declared */
	assert_int_equal(r.bug, 0);
	assert_int_equal(wr_reporting_level(&r, NOW), WR_REPORTING_FINE);

	wr_db_set_actor(f->db, "alice");
	assert_int_equal(wr_incident_declare(f->db, "key-compromise", NOW - 6 * 3600, 0, NULL, crit),
			 0);
	assert_int_equal(wr_reporting_get(f->db, NOW, &r), 0);
	assert_int_equal(r.preliminary_due, NOW - 6 * 3600 + 72 * 3600);
	assert_int_equal(r.full_due, NOW - 6 * 3600 + 14 * DAY);
	assert_int_equal(r.preliminary_done, 0);
	assert_int_equal(r.last_update, 0);
	assert_int_equal(r.next_due_should, 0);

	wr_db_set_actor(f->db, "bob");
	assert_int_equal(wr_reporting_mark(f->db, 1234, NOW - 3600, WR_REPORT_PRELIMINARY),
			 WR_EPERM);
	wr_db_set_actor(f->db, "dave");
	assert_int_equal(wr_reporting_mark(f->db, 1234, NOW + DAY, WR_REPORT_UPDATE), WR_EINVAL);
	assert_int_equal(wr_reporting_mark(f->db, 0, NOW, WR_REPORT_UPDATE), WR_EINVAL);
	assert_int_equal(wr_reporting_mark(f->db, 1234, NOW - 3600, WR_REPORT_PRELIMINARY), 0);
	assert_int_equal(wr_reporting_get(f->db, NOW, &r), 0);
	assert_int_equal(r.bug, 1234);
	assert_int_equal(r.preliminary_done, NOW - 3600);
	assert_int_equal(r.last_update, NOW - 3600);
	assert_int_equal(r.next_due_should, NOW - 3600 + 3 * DAY);
	assert_int_equal(r.next_due_must, NOW - 3600 + 7 * DAY);
	assert_int_equal(wr_reporting_level(&r, NOW), WR_REPORTING_FINE);
	assert_int_equal(wr_reporting_level(&r, r.next_due_should - 1), WR_REPORTING_FINE);
	assert_int_equal(wr_reporting_level(&r, r.next_due_should), WR_REPORTING_WARN);
	assert_int_equal(wr_reporting_level(&r, r.next_due_must - DAY - 1), WR_REPORTING_WARN);
	assert_int_equal(wr_reporting_level(&r, r.next_due_must - DAY), WR_REPORTING_ALARM);
	assert_int_equal(wr_reporting_level(&r, r.next_due_must + DAY), WR_REPORTING_ALARM);

	/* A later update moves the cadence; an older one marked late does not. */
	assert_int_equal(wr_reporting_mark(f->db, 1234, NOW, WR_REPORT_UPDATE), 0);
	assert_int_equal(wr_reporting_mark(f->db, 1234, NOW - 2 * DAY, WR_REPORT_UPDATE), 0);
	assert_int_equal(wr_reporting_get(f->db, NOW, &r), 0);
	assert_int_equal(r.last_update, NOW);
	assert_int_equal(r.next_due_must, NOW + 7 * DAY);
	assert_int_equal(r.full_done, 0);
	assert_int_equal(r.queued, 0);

	/* Each mark is an event in words. */
	int64_t n = 0;
	assert_int_equal(
	    wr_query_int(f->db, "SELECT count(*) FROM event WHERE action = 'report-posted'", &n), 0);
	assert_int_equal(n, 3);
}

static void test_post_config(void **state)
{
	struct fx *f = *state;
	struct wr_bugzilla_opts o = {.kind = WR_REPORT_UPDATE, .bug = 1234};
	struct wr_bugzilla_stats st;
	struct wr_config *cfg;
	char err[256], text[512];
	int64_t n = -1;

	/* No url: refused before anything is queued. */
	assert_int_equal(wr_bugzilla_post(f->db, &o, NULL, NULL, &st), WR_EINVAL);
	assert_non_null(strstr(wr_db_errmsg(f->db), "[bugzilla] url"));

	/* A key in a config its group can read: refused, and not echoed. */
	const char *conf = unit_path(f->dir, "bz.conf");
	snprintf(text, sizeof text,
		 "[users]\nalice = management\ndave = external-comms\nbob = revocation\n"
		 "[bugzilla]\nurl = http://127.0.0.1:9/\napi_key = s3cr3t-KEY-value\n");
	write_file(conf, text, strlen(text));
	assert_int_equal(chmod(conf, 0640), 0);
	assert_int_equal(wr_config_load(conf, &cfg, err, sizeof err), 0);
	wr_db_set_config(f->db, cfg);
	assert_int_equal(wr_bugzilla_post(f->db, &o, NULL, NULL, &st), WR_EPERM);
	assert_non_null(strstr(wr_db_errmsg(f->db), "chmod 600"));
	assert_null(strstr(wr_db_errmsg(f->db), "s3cr3t"));

	/* Neither key nor file: refused. A user outside the team: refused. */
	snprintf(text, sizeof text,
		 "[users]\nalice = management\ndave = external-comms\nbob = revocation\n"
		 "[bugzilla]\nurl = http://127.0.0.1:9/\n");
	write_file(conf, text, strlen(text));
	wr_config_free(cfg);
	assert_int_equal(wr_config_load(conf, &cfg, err, sizeof err), 0);
	wr_db_set_config(f->db, cfg);
	assert_int_equal(wr_bugzilla_post(f->db, &o, NULL, NULL, &st), WR_EINVAL);
	assert_non_null(strstr(wr_db_errmsg(f->db), "api_key"));
	wr_db_set_actor(f->db, "bob");
	assert_int_equal(wr_bugzilla_post(f->db, &o, NULL, NULL, &st), WR_EPERM);
	wr_db_set_actor(f->db, "dave");

	assert_int_equal(wr_query_int(f->db, "SELECT count(*) FROM bugzilla_post", &n), 0);
	assert_int_equal(n, 0);
	wr_db_set_config(f->db, f->cfg);
	wr_config_free(cfg);
}

/* A queued row as enqueue leaves it. */
static int64_t add_row(struct wr_db *db, const char *op, int64_t bug, const char *state)
{
	sqlite3_stmt *st;

	assert_int_equal(
	    wr_prepare(db,
		       "INSERT INTO bugzilla_post(post, op, kind, bug, body, body_sha256, state,"
		       " attempts, created, created_by, attempted_at) VALUES ((SELECT coalesce(max(id),"
		       " 0) + 1 FROM bugzilla_post), ?1, 'update', nullif(?2, 0), 'text', 'x', ?3, 1,"
		       " ?4, 'dave', ?4)",
		       &st),
	    0);
	sqlite3_bind_text(st, 1, op, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, bug);
	sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, NOW - 600);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	return sqlite3_last_insert_rowid(db->sq);
}

static void test_settle(void **state)
{
	struct fx *f = *state;
	struct wr_reporting r;
	int64_t rows;

	int64_t wrong = add_row(f->db, "comment", 999, "queued");
	int64_t lost = add_row(f->db, "comment", 1234, "unknown");
	int64_t filed = add_row(f->db, "new", 0, "unknown");
	assert_int_equal(wr_reporting_get(f->db, NOW, &r), 0);
	assert_int_equal(r.bug, 0); /* nothing Bugzilla took: no bug yet */
	assert_int_equal(r.queued, 1);
	assert_int_equal(r.unknown, 2);

	assert_int_equal(wr_bugzilla_settle(f->db, 77, "sent", 0, &rows), WR_ENOENT);
	assert_int_equal(wr_bugzilla_settle(f->db, wrong, "maybe", 0, &rows), WR_EINVAL);
	wr_db_set_actor(f->db, "bob");
	assert_int_equal(wr_bugzilla_settle(f->db, wrong, "dropped", 0, &rows), WR_EPERM);
	wr_db_set_actor(f->db, "dave");
	assert_int_equal(wr_bugzilla_settle(f->db, wrong, "dropped", 0, &rows), 0);
	assert_int_equal(rows, 1);
	assert_int_equal(wr_bugzilla_settle(f->db, wrong, "dropped", 0, &rows), WR_ESTATE);
	/* A new bug found filed needs its number. */
	assert_int_equal(wr_bugzilla_settle(f->db, filed, "sent", 0, &rows), WR_EINVAL);
	assert_int_equal(wr_bugzilla_settle(f->db, filed, "sent", 4321, &rows), 0);
	assert_int_equal(wr_bugzilla_settle(f->db, lost, "sent", 0, &rows), 0);
	assert_int_equal(wr_reporting_get(f->db, NOW, &r), 0);
	assert_int_equal(r.queued, 0);
	assert_int_equal(r.unknown, 0);
	assert_int_equal(r.last_update, NOW - 600); /* when it went */
	assert_true(r.bug == 1234 || r.bug == 4321);
	int64_t n = 0;
	assert_int_equal(
	    wr_query_int(f->db, "SELECT count(*) FROM event WHERE action = 'bugzilla-settle'", &n), 0);
	assert_int_equal(n, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split_short),
	    cmocka_unit_test(test_split_lines),
	    cmocka_unit_test(test_split_fence),
	    cmocka_unit_test(test_split_long_line),
	    cmocka_unit_test_setup_teardown(test_cadence, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_post_config, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_settle, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
