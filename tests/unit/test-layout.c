/*
 * test-layout.c: the console's layout arithmetic (tui/layout.c): where
 * panes go at every size from 80x24 up, folding into tabs, moving between
 * panes, tab bars, task columns, bars, the chart's scale and the
 * deadline's colour thresholds.
 *
 * tui/ is not part of libwarroom.a; layout.c needs nothing but libc, so it
 * is compiled into this test directly. The series the chart draws comes
 * from core/burndown.c, tested here too on a handful of certificates whose
 * gone instants are known.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "../../tui/layout.c"

static bool inside(const struct lrect *r, int w, int h)
{
	return r->x >= 0 && r->y >= 0 && r->w >= 0 && r->h >= 0 && r->x + r->w <= w &&
	       r->y + r->h <= h;
}

static bool overlaps(const struct lrect *a, const struct lrect *b)
{
	return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h &&
	       b->y < a->y + a->h;
}

static void test_grid_120x40(void **state)
{
	struct layout l;
	(void)state;

	layout_compute(&l, 120, 40, 6, false, false);
	assert_int_equal(l.mode, LAYOUT_GRID);
	assert_int_equal(l.cols, 3);
	assert_int_equal(l.rows, 2);
	assert_int_equal(l.npanes, 8);
	assert_int_equal(l.header.y, 0);
	assert_int_equal(l.header.h, 2);
	assert_int_equal(l.status.y, 38);
	assert_int_equal(l.cmdline.y, 39);
	/* Three teams side by side fill the width exactly. */
	assert_int_equal(l.pane[0].x, 0);
	assert_int_equal(l.pane[0].w + l.pane[1].w + l.pane[2].w, 120);
	assert_int_equal(l.pane[3].y, l.pane[0].y + l.pane[0].h);
	/* Numbers and timeline share the bottom. */
	assert_int_equal(l.pane[6].y, l.pane[7].y);
	assert_int_equal(l.pane[6].w + l.pane[7].w, 120);
	assert_int_equal(l.pane[6].y + l.pane[6].h, 38);
	assert_true(l.pane[6].w >= 40);
}

static void test_grid_200x60(void **state)
{
	struct layout l;
	(void)state;

	layout_compute(&l, 200, 60, 6, false, false);
	assert_int_equal(l.mode, LAYOUT_GRID);
	/* Five columns would fit, but 3x2 beats 5+1. */
	assert_int_equal(l.cols, 3);
	assert_int_equal(l.rows, 2);
	assert_true(l.pane[0].w >= 66);
	assert_true(l.pane[6].w <= 64);
}

static void test_fold(void **state)
{
	struct layout l;
	(void)state;

	layout_compute(&l, 80, 24, 6, false, false);
	assert_int_equal(l.mode, LAYOUT_TABS);
	assert_int_equal(l.tabbar.y, 2);
	assert_int_equal(l.tabbar.h, 1);
	assert_int_equal(l.body.y, 3);
	assert_int_equal(l.body.h, 24 - 3 - 2);
	for (int i = 0; i < l.npanes; i++)
		assert_memory_equal(&l.pane[i], &l.body, sizeof l.body);
	assert_true(layout_folds(99, 40));
	assert_true(layout_folds(100, 29));
	assert_false(layout_folds(100, 30));
	layout_compute(&l, 100, 30, 6, false, false);
	assert_int_equal(l.mode, LAYOUT_GRID);
	/* Many teams on a small grid: panes too short fold too. */
	layout_compute(&l, 100, 30, 12, false, false);
	assert_int_equal(l.mode, LAYOUT_TABS);
}

static void test_modes(void **state)
{
	struct layout l;
	(void)state;

	layout_compute(&l, 120, 40, 6, true, false);
	assert_int_equal(l.mode, LAYOUT_ZOOM);
	assert_int_equal(l.body.y, 2);
	assert_int_equal(l.body.h, 36);
	assert_memory_equal(&l.pane[2], &l.body, sizeof l.body);
	layout_compute(&l, 80, 24, 6, false, true);
	assert_int_equal(l.mode, LAYOUT_WALL);
	layout_compute(&l, 19, 24, 6, false, false);
	assert_int_equal(l.mode, LAYOUT_SMALL);
	layout_compute(&l, 80, 5, 6, false, false);
	assert_int_equal(l.mode, LAYOUT_SMALL);
	/* More teams than panes: clamped, never past the arrays. */
	layout_compute(&l, 300, 100, 1000, false, false);
	assert_int_equal(l.nteams, LAYOUT_MAX_TEAMS);
}

/* Every size from 80x24 to 260x80, 1 to 12 teams: inside the screen, no
 * two panes overlapping in the grid, none too small to show a task. */
static void test_every_size(void **state)
{
	struct layout l;
	(void)state;

	for (int n = 1; n <= 12; n++)
		for (int w = 80; w <= 260; w += 3)
			for (int h = 24; h <= 80; h++) {
				layout_compute(&l, w, h, n, false, false);
				assert_true(inside(&l.header, w, h));
				assert_true(inside(&l.status, w, h));
				assert_true(inside(&l.cmdline, w, h));
				assert_true(inside(&l.body, w, h));
				for (int i = 0; i < l.npanes; i++) {
					assert_true(inside(&l.pane[i], w, h));
					assert_true(l.pane[i].h >= 5);
					assert_true(l.pane[i].w >= LAYOUT_TEAM_MIN_W || i >= n);
					assert_false(overlaps(&l.pane[i], &l.header));
					assert_false(overlaps(&l.pane[i], &l.status));
					if (l.mode != LAYOUT_GRID)
						continue;
					for (int j = 0; j < i; j++)
						assert_false(overlaps(&l.pane[i], &l.pane[j]));
				}
				if (l.mode == LAYOUT_GRID) {
					/* The panes tile the body: their areas add up. */
					int area = 0;
					for (int i = 0; i < l.npanes; i++)
						area += l.pane[i].w * l.pane[i].h;
					assert_int_equal(area, l.body.w * l.body.h);
				}
			}
}

static void test_neighbour(void **state)
{
	struct layout l;
	(void)state;

	layout_compute(&l, 120, 40, 6, false, false);
	assert_int_equal(layout_neighbour(&l, 0, 'l'), 1);
	assert_int_equal(layout_neighbour(&l, 1, 'l'), 2);
	assert_int_equal(layout_neighbour(&l, 2, 'l'), -1);
	assert_int_equal(layout_neighbour(&l, 0, 'h'), -1);
	assert_int_equal(layout_neighbour(&l, 0, 'j'), 3);
	assert_int_equal(layout_neighbour(&l, 3, 'k'), 0);
	assert_int_equal(layout_neighbour(&l, 0, 'k'), -1);
	assert_int_equal(layout_neighbour(&l, 3, 'j'), layout_numbers(&l));
	assert_int_equal(layout_neighbour(&l, 5, 'j'), layout_timeline(&l));
	assert_int_equal(layout_neighbour(&l, layout_numbers(&l), 'l'), layout_timeline(&l));
	assert_int_equal(layout_neighbour(&l, layout_timeline(&l), 'h'), layout_numbers(&l));
	assert_int_equal(layout_neighbour(&l, layout_numbers(&l), 'j'), -1);
	int up = layout_neighbour(&l, layout_timeline(&l), 'k');
	assert_true(up == 4 || up == 5);
	assert_int_equal(layout_neighbour(&l, 0, 'x'), -1);
	assert_int_equal(layout_neighbour(&l, 99, 'l'), -1);

	layout_compute(&l, 80, 24, 6, false, false);
	assert_int_equal(layout_neighbour(&l, 0, 'l'), 1);
	assert_int_equal(layout_neighbour(&l, 0, 'h'), 7);
	assert_int_equal(layout_neighbour(&l, 7, 'l'), 0);
	assert_int_equal(layout_neighbour(&l, 0, 'j'), -1);
}

static void test_tabs(void **state)
{
	int widths[8] = {14, 18, 18, 18, 18, 18, 9, 10}, x[8];
	(void)state;

	/* Everything fits in 200 columns. */
	assert_int_equal(layout_tabs(200, widths, 8, 0, x), 0);
	assert_int_equal(x[0], 0);
	for (int i = 1; i < 8; i++)
		assert_int_equal(x[i], x[i - 1] + widths[i - 1]);
	/* In 80 columns the first tabs show, then the window follows focus. */
	assert_int_equal(layout_tabs(80, widths, 8, 0, x), 0);
	assert_int_equal(x[0], 0);
	assert_int_equal(x[7], -1);
	int first = layout_tabs(80, widths, 8, 7, x);
	assert_true(first > 0);
	assert_true(x[7] >= 1);
	assert_true(x[7] + widths[7] <= 80);
	for (int i = 0; i < first; i++)
		assert_int_equal(x[i], -1);
	/* A focused tab in the middle is shown whole. */
	first = layout_tabs(60, widths, 8, 4, x);
	assert_true(x[4] >= 0 && x[4] + widths[4] <= 60);
	assert_int_equal(layout_tabs(80, widths, 0, 0, x), 0);
}

static void test_task_cols(void **state)
{
	struct task_cols c;
	(void)state;

	layout_task_cols(38, 2, &c); /* a team pane at 120 columns */
	assert_int_equal(c.id_x, 0);
	assert_int_equal(c.id_w, 2);
	assert_int_equal(c.box_x, 3);
	assert_int_equal(c.title_x, 7);
	assert_int_equal(c.owner_w, 6);
	assert_int_equal(c.due_w, 6);
	assert_int_equal(c.due_x, 32);
	assert_true(c.title_w >= 15);
	assert_true(c.owner_x + c.owner_w < c.due_x);
	assert_int_equal(c.title_x + c.title_w + 1, c.owner_x);

	layout_task_cols(196, 3, &c); /* zoomed at 200 */
	assert_int_equal(c.owner_w, 12);
	assert_true(c.title_w > 150);
	assert_int_equal(c.due_x + c.due_w, 196);

	for (int w = 0; w < 60; w++) {
		layout_task_cols(w, 3, &c);
		assert_true(c.title_w >= 0);
		if (c.due_w)
			assert_true(c.due_x + c.due_w <= w);
		if (c.owner_w)
			assert_true(c.owner_x + c.owner_w <= (c.due_w ? c.due_x : w));
		if (w >= 20)
			assert_true(c.title_w >= 4);
	}
}

static void test_scroll(void **state)
{
	(void)state;
	assert_int_equal(layout_scroll(0, 0, 8, 20), 0);
	assert_int_equal(layout_scroll(0, 7, 8, 20), 0);
	assert_int_equal(layout_scroll(0, 8, 8, 20), 1);
	assert_int_equal(layout_scroll(5, 3, 8, 20), 3);
	assert_int_equal(layout_scroll(15, 19, 8, 20), 12);
	/* The list shrank: no empty rows at the end. */
	assert_int_equal(layout_scroll(10, 4, 8, 5), 0);
	assert_int_equal(layout_scroll(3, 0, 0, 5), 0);
}

static void test_bars(void **state)
{
	(void)state;
	assert_int_equal(layout_bar_eighths(0, 10, 28), 0);
	assert_int_equal(layout_bar_eighths(10, 10, 28), 224);
	assert_int_equal(layout_bar_eighths(1, 10, 28), 22);
	assert_int_equal(layout_bar_eighths(1, 1000000, 28), 1); /* never invisible */
	assert_int_equal(layout_bar_eighths(999999, 1000000, 28), 223); /* never full early */
	assert_int_equal(layout_bar_eighths(5, 0, 28), 0);
	assert_int_equal(layout_bar_eighths(5, 10, 0), 0);

	assert_int_equal(layout_scale(0, 100, 5), 0);
	assert_int_equal(layout_scale(100, 100, 5), 40);
	assert_int_equal(layout_scale(50, 100, 5), 20);
	assert_int_equal(layout_scale(1, 1000000, 5), 1);
	assert_int_equal(layout_scale(200, 100, 5), 40);
	assert_int_equal(layout_scale(5, 0, 5), 0);

	assert_int_equal(layout_col_time(100, 200, 11, 0), 100);
	assert_int_equal(layout_col_time(100, 200, 11, 10), 200);
	assert_int_equal(layout_col_time(100, 200, 11, 5), 150);
	assert_int_equal(layout_col_time(100, 200, 1, 0), 100);

	assert_int_equal(layout_ideal(1000, 0, 100, 0), 1000);
	assert_int_equal(layout_ideal(1000, 0, 100, 50), 500);
	assert_int_equal(layout_ideal(1000, 0, 100, 100), 0);
	assert_int_equal(layout_ideal(1000, 0, 100, 150), 0);
	assert_int_equal(layout_ideal(1000, 0, 100, -5), 1000);
}

static void test_deadline_level(void **state)
{
	const int64_t d = 100000, span = 86400, start = d - span;
	(void)state;

	assert_int_equal(layout_deadline_level(d - 50000, start, 0), DL_NONE);
	assert_int_equal(layout_deadline_level(start, start, d), DL_OK);
	assert_int_equal(layout_deadline_level(d - span / 4 - 1, start, d), DL_OK);
	assert_int_equal(layout_deadline_level(d - span / 4, start, d), DL_QUARTER);
	assert_int_equal(layout_deadline_level(d - 7200, start, d), DL_QUARTER);
	assert_int_equal(layout_deadline_level(d - 7199, start, d), DL_URGENT);
	assert_int_equal(layout_deadline_level(d, start, d), DL_URGENT);
	assert_int_equal(layout_deadline_level(d + 1, start, d), DL_OVERDUE);
	/* A 5-day deadline turns yellow with 30 hours left. */
	assert_int_equal(layout_deadline_level(d - 30 * 3600, d - 5 * 86400, d), DL_QUARTER);
	assert_int_equal(layout_deadline_level(d - 31 * 3600, d - 5 * 86400, d), DL_OK);
}

static void test_formats(void **state)
{
	char b[48];
	(void)state;

	assert_string_equal(layout_fmt_count(0, b, sizeof b), "0");
	assert_string_equal(layout_fmt_count(999, b, sizeof b), "999");
	assert_string_equal(layout_fmt_count(1000, b, sizeof b), "1,000");
	assert_string_equal(layout_fmt_count(1234567, b, sizeof b), "1,234,567");
	assert_string_equal(layout_fmt_count(-45000, b, sizeof b), "-45,000");
	assert_string_equal(layout_fmt_count(INT64_MIN, b, sizeof b),
			    "-9,223,372,036,854,775,808");

	assert_string_equal(layout_fmt_short(999, b, sizeof b), "999");
	assert_string_equal(layout_fmt_short(1000, b, sizeof b), "1.0k");
	assert_string_equal(layout_fmt_short(99999, b, sizeof b), "99.9k");
	assert_string_equal(layout_fmt_short(952000, b, sizeof b), "952k");
	assert_string_equal(layout_fmt_short(999999, b, sizeof b), "999k");
	assert_string_equal(layout_fmt_short(1000000, b, sizeof b), "1.0M");
	assert_string_equal(layout_fmt_short(250000000, b, sizeof b), "250M");
	for (int64_t n = 1; n < INT64_MAX / 20; n = n * 3 + 1)
		assert_true(strlen(layout_fmt_short(n, b, sizeof b)) <= 5);

	/* 2026-11-25T08:00:00Z */
	const int64_t now = 1795593600;
	assert_string_equal(layout_fmt_due(0, now, b, sizeof b), "");
	assert_string_equal(layout_fmt_due(now + 4 * 3600, now, b, sizeof b), "12:00");
	assert_string_equal(layout_fmt_due(now - 3600, now, b, sizeof b), "07:00");
	assert_string_equal(layout_fmt_due(now + 22 * 3600, now, b, sizeof b), "11-26");

	assert_string_equal(layout_fmt_countdown(now, now + 22 * 3600, b, sizeof b), "22:00:00");
	assert_string_equal(layout_fmt_countdown(now, now + 86400 + 61, b, sizeof b),
			    "1d 00:01:01");
	assert_string_equal(layout_fmt_countdown(now, now, b, sizeof b), "00:00:00");
	assert_string_equal(layout_fmt_countdown(now + 5400, now, b, sizeof b), "OVERDUE +01:30");
}

/* One certificate row, straight into the table (the import needs DER). */
static void add_cert(struct wr_db *db, int n, int64_t not_after, int64_t revoked_at)
{
	sqlite3_stmt *st;
	unsigned char h[32] = {0};

	h[0] = (unsigned char)n;
	assert_int_equal(sqlite3_prepare_v2(db->sq,
					    "INSERT INTO cert(sha256, serial, issuer, subject,"
					    " not_before, not_after, spki_sha256, revoked_at)"
					    " VALUES (?, ?, 'CN=CA', 'CN=x', 0, ?, ?, ?)",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_blob(st, 1, h, 32, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, "01", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, not_after);
	sqlite3_bind_blob(st, 4, h, 32, SQLITE_TRANSIENT);
	if (revoked_at)
		sqlite3_bind_int64(st, 5, revoked_at);
	else
		sqlite3_bind_null(st, 5);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

static void test_burndown_series(void **state)
{
	char dir[] = "/tmp/wr-test-layout-XXXXXX", path[64];
	struct wr_db *db = NULL;
	struct wr_plan *plan = NULL;
	char err[256];
	int64_t p[11];
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/b.db", dir);
	setenv("WARROOM_NOW", "@1500", 1);
	assert_int_equal(wr_plan_load(NULL, &plan, err, sizeof err), 0);
	assert_int_equal(wr_db_open(path, WR_OPEN_CREATE, &db), 0);
	assert_int_equal(wr_incident_init(db, "burn-down", 0, plan), 0);
	/* No certificate: zero before now, unknown after. */
	assert_int_equal(wr_burndown(db, 1000, 2000, 11, p), 0);
	assert_int_equal(p[0], 0);
	assert_int_equal(p[5], 0);
	assert_int_equal(p[6], -1);

	add_cert(db, 1, 5000, 0);    /* pending throughout */
	add_cert(db, 2, 1249, 0);    /* expires: gone at 1250 */
	add_cert(db, 3, 5000, 1100); /* revoked at 1100 */
	add_cert(db, 4, 1149, 1400); /* expired (1150) before its revocation */
	add_cert(db, 5, 1300, 1700); /* expired at 1301, revoked later */
	add_cert(db, 6, 500, 0);     /* expired before the incident */
	add_cert(db, 7, 5000, 900);  /* revoked before it */
	assert_int_equal(wr_burndown(db, 1000, 2000, 11, p), 0);
	const int64_t want[11] = {5, 4, 3, 2, 1, 1, -1, -1, -1, -1, -1};
	for (int i = 0; i < 11; i++)
		assert_int_equal(p[i], want[i]);

	/* The counts agree at now. */
	struct wr_counts c;
	assert_int_equal(wr_counts_get(db, 1500, &c), 0);
	assert_int_equal(c.pending, p[5]);

	assert_int_equal(wr_burndown(db, 1000, 1000, 11, p), WR_EINVAL);
	assert_int_equal(wr_burndown(db, 1000, 2000, 1, p), WR_EINVAL);
	unsetenv("WARROOM_NOW");
	wr_db_close(db);
	wr_plan_free(plan);
	unlink(path);
	snprintf(path, sizeof path, "%s/b.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/b.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

/* The wall: every part inside the body, top to bottom without overlap;
 * three events at least; the chart never more than it needs. */
static void check_wall(int w, int h, int max_big_rows)
{
	struct layout l;
	struct wall_layout wl;

	layout_compute(&l, w, h, 6, false, true);
	assert_int_equal(l.mode, LAYOUT_WALL);
	layout_wall(&l.body, 6, max_big_rows, &wl);
	const struct lrect *r[] = {&wl.big, &wl.counts, &wl.pace, &wl.teams, &wl.chart, &wl.events};
	int y = l.body.y;
	for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
		if (!r[i]->h)
			continue;
		assert_true(r[i]->y >= y);
		assert_true(r[i]->x >= l.body.x && r[i]->x + r[i]->w <= l.body.x + l.body.w);
		assert_true(r[i]->y + r[i]->h <= l.body.y + l.body.h);
		y = r[i]->y + r[i]->h;
	}
	assert_true(wl.events.h >= 3);
	assert_true(wl.chart.h <= LAYOUT_WALL_CHART_H);
	assert_true(wl.teams.h * wl.team_cols >= 6);
}

static void test_wall(void **state)
{
	struct layout l;
	struct wall_layout wl;
	(void)state;

	for (int w = 80; w <= 300; w += 20)
		for (int h = 24; h <= 100; h += 4)
			for (int b = 1; b <= 2; b++)
				check_wall(w, h, b);
	/* 80x24: no room for the chart; the events have what is left. */
	layout_compute(&l, 80, 24, 6, false, true);
	layout_wall(&l.body, 6, 2, &wl);
	assert_int_equal(wl.chart.h, 0);
	assert_int_equal(wl.big_rows, 1);
	assert_int_equal(wl.team_cols, 1);
	assert_int_equal(wl.pace.h, 2);
	/* 120x40: the chart gets its 14 rows, the events the rest. */
	layout_compute(&l, 120, 40, 6, false, true);
	layout_wall(&l.body, 6, 1, &wl);
	assert_int_equal(wl.chart.h, LAYOUT_WALL_CHART_H);
	assert_int_equal(wl.events.y + wl.events.h, l.body.y + l.body.h);
	assert_true(wl.events.h >= 4);
	/* 200x60: large digits, two rows of them when asked, teams in three
	 * columns, the pace on one line. */
	layout_compute(&l, 200, 60, 6, false, true);
	layout_wall(&l.body, 6, 2, &wl);
	assert_true(wl.large);
	assert_int_equal(wl.big_rows, 2);
	assert_int_equal(wl.team_cols, 3);
	assert_int_equal(wl.teams.h, 2);
	assert_int_equal(wl.pace.h, 1);
	assert_int_equal(wl.chart.h, LAYOUT_WALL_CHART_H);
	assert_true(wl.events.h > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grid_120x40), cmocka_unit_test(test_grid_200x60),
		cmocka_unit_test(test_fold),	    cmocka_unit_test(test_modes),
		cmocka_unit_test(test_every_size),  cmocka_unit_test(test_neighbour),
		cmocka_unit_test(test_tabs),	    cmocka_unit_test(test_task_cols),
		cmocka_unit_test(test_scroll),	    cmocka_unit_test(test_bars),
		cmocka_unit_test(test_deadline_level), cmocka_unit_test(test_formats),
		cmocka_unit_test(test_burndown_series), cmocka_unit_test(test_wall),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
