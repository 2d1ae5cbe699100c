/*
 * layout.c: the console's geometry and display arithmetic.
 *
 * Pure functions of sizes, counts and times: no curses, no database, no
 * allocation, so that tests/unit/test-layout.c can check every size from
 * 80x24 up. The console asks here where things go and draws them there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "layout.h"

static struct lrect rect(int y, int x, int h, int w)
{
	struct lrect r = {y, x, h < 0 ? 0 : h, w < 0 ? 0 : w};
	return r;
}

bool layout_folds(int w, int h) { return w < LAYOUT_FOLD_W || h < LAYOUT_FOLD_H; }

/* The fewest grid rows the width allows, then the fewest columns for them,
 * so that six teams make 3x2 rather than 5+1. */
static void grid_shape(int w, int n, int *cols, int *rows)
{
	int maxc = w / LAYOUT_TEAM_MIN_W;

	if (maxc < 1)
		maxc = 1;
	if (maxc > n)
		maxc = n;
	*rows = (n + maxc - 1) / maxc;
	*cols = (n + *rows - 1) / *rows;
}

/* The body's split: the bottom (numbers, timeline) takes two fifths and
 * at least 8 rows; the teams the rest. */
static int bottom_h(int body_h)
{
	int bh = body_h * 2 / 5;
	return bh < 8 ? 8 : bh;
}

/* A grid whose team panes would be under 5 rows (3 tasks) folds instead. */
static bool grid_fits(int w, int h, int nteams)
{
	int cols, rows, body = h - LAYOUT_HEADER_H - 2;
	grid_shape(w, nteams, &cols, &rows);
	return (body - bottom_h(body)) / rows >= 5;
}

/* Splits total into n parts, the first total % n one larger. */
static int part(int total, int n, int i, int *start)
{
	int base = total / n, extra = total % n;
	*start = i * base + (i < extra ? i : extra);
	return base + (i < extra);
}

void layout_compute(struct layout *l, int w, int h, int nteams, bool zoom, bool wall)
{
	memset(l, 0, sizeof *l);
	if (nteams > LAYOUT_MAX_TEAMS)
		nteams = LAYOUT_MAX_TEAMS;
	if (nteams < 0)
		nteams = 0;
	l->w = w;
	l->h = h;
	l->nteams = nteams;
	l->npanes = nteams + 2;
	if (w < 20 || h < 6) {
		l->mode = LAYOUT_SMALL;
		l->body = rect(0, 0, h, w);
		for (int i = 0; i < l->npanes; i++)
			l->pane[i] = l->body;
		return;
	}
	l->header = rect(0, 0, LAYOUT_HEADER_H, w);
	l->status = rect(h - 2, 0, 1, w);
	l->cmdline = rect(h - 1, 0, 1, w);
	l->body = rect(LAYOUT_HEADER_H, 0, h - LAYOUT_HEADER_H - 2, w);
	if (wall) {
		l->mode = LAYOUT_WALL;
	} else if (zoom) {
		l->mode = LAYOUT_ZOOM;
	} else if (layout_folds(w, h) || nteams == 0 || !grid_fits(w, h, nteams)) {
		l->mode = LAYOUT_TABS;
		l->tabbar = rect(LAYOUT_HEADER_H, 0, 1, w);
		l->body = rect(LAYOUT_HEADER_H + 1, 0, h - LAYOUT_HEADER_H - 3, w);
	} else {
		l->mode = LAYOUT_GRID;
	}
	if (l->mode != LAYOUT_GRID) {
		for (int i = 0; i < l->npanes; i++)
			l->pane[i] = l->body;
		return;
	}

	/* The grid: teams on top, numbers and timeline side by side below,
	 * the bottom taking two fifths of the body and at least 8 rows. */
	int bh = bottom_h(l->body.h), th = l->body.h - bh, y0 = l->body.y;
	grid_shape(w, nteams, &l->cols, &l->rows);
	for (int i = 0; i < nteams; i++) {
		int r = i / l->cols, c = i % l->cols, ry, cx;
		/* The last row's panes share the width among themselves. */
		int ncols = r == l->rows - 1 ? nteams - r * l->cols : l->cols;
		int ph = part(th, l->rows, r, &ry);
		int pw = part(w, ncols, c, &cx);
		l->pane[i] = rect(y0 + ry, cx, ph, pw);
	}
	int nw = w * 2 / 5;
	if (nw < 40)
		nw = 40;
	if (nw > 64)
		nw = 64;
	l->pane[nteams] = rect(y0 + th, 0, bh, nw);
	l->pane[nteams + 1] = rect(y0 + th, nw, bh, w - nw);
}

void layout_wall(const struct lrect *body, int nteams, int max_big_rows, struct wall_layout *wl)
{
	int x = body->x + 1, w = body->w - 2, y = body->y, bottom = body->y + body->h;

	memset(wl, 0, sizeof *wl);
	if (w < 10 || body->h < 4)
		return;
	wl->large = body->h >= 40 && body->w >= 150;
	wl->big_rows = body->h >= 40 && max_big_rows >= 2 ? 2 : 1;
	int bh = (wl->large ? 5 : 3) + 1; /* the label, the digits */
	wl->big = rect(y, x, wl->big_rows * bh + wl->big_rows - 1, w);
	y += wl->big.h + 1;
	wl->counts = rect(y, x, 1, w);
	y += 2;
	wl->pace = rect(y, x, w >= 140 ? 1 : 2, w);
	y += wl->pace.h + 1;
	wl->team_cols = w / 64 < 1 ? 1 : w / 64 > 3 ? 3 : w / 64;
	if (wl->team_cols > nteams)
		wl->team_cols = nteams > 0 ? nteams : 1;
	int trows = (nteams + wl->team_cols - 1) / wl->team_cols;
	wl->teams = rect(y, x, trows, w);
	y += trows + (trows ? 1 : 0);
	/* Clip what the screen cannot hold, from the top down. */
	struct lrect *r[] = {&wl->big, &wl->counts, &wl->pace, &wl->teams};
	for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
		if (r[i]->y >= bottom)
			*r[i] = rect(bottom, x, 0, w);
		else if (r[i]->y + r[i]->h > bottom)
			r[i]->h = bottom - r[i]->y;
	}
	/* The rest: the chart (6 rows or none, at most LAYOUT_WALL_CHART_H)
	 * when three events still fit under it, then the events to the
	 * bottom, newest first. */
	int rest = bottom - y;
	if (rest <= 0)
		return;
	int chart = rest - 3 - 1 >= 6 ? rest - 3 - 1 : 0;
	if (chart > LAYOUT_WALL_CHART_H)
		chart = LAYOUT_WALL_CHART_H;
	if (chart) {
		wl->chart = rect(y, x, chart, w);
		y += chart + 1;
	}
	wl->events = rect(y, x, bottom - y, w);
}

/* Overlap of [a, a+al) and [b, b+bl). */
static int overlap(int a, int al, int b, int bl)
{
	int lo = a > b ? a : b, hi = a + al < b + bl ? a + al : b + bl;
	return hi - lo;
}

int layout_neighbour(const struct layout *l, int from, int dir)
{
	if (from < 0 || from >= l->npanes)
		return -1;
	if (l->mode != LAYOUT_GRID) {
		if (dir == 'h')
			return (from + l->npanes - 1) % l->npanes;
		if (dir == 'l')
			return (from + 1) % l->npanes;
		return -1;
	}
	const struct lrect *a = &l->pane[from];
	int best = -1, bestd = 0, besto = 0;
	for (int i = 0; i < l->npanes; i++) {
		const struct lrect *b = &l->pane[i];
		int d, o;
		if (i == from)
			continue;
		switch (dir) {
		case 'h': d = a->x - (b->x + b->w); o = overlap(a->y, a->h, b->y, b->h); break;
		case 'l': d = b->x - (a->x + a->w); o = overlap(a->y, a->h, b->y, b->h); break;
		case 'k': d = a->y - (b->y + b->h); o = overlap(a->x, a->w, b->x, b->w); break;
		case 'j': d = b->y - (a->y + a->h); o = overlap(a->x, a->w, b->x, b->w); break;
		default: return -1;
		}
		/* Adjacent on that side and sharing some span; the nearest, then
		 * the one sharing most, wins. */
		if (d < 0 || o <= 0)
			continue;
		if (best < 0 || d < bestd || (d == bestd && o > besto)) {
			best = i;
			bestd = d;
			besto = o;
		}
	}
	return best;
}

int layout_tabs(int w, const int *widths, int n, int focus, int *x)
{
	int first = 0;

	if (n <= 0)
		return 0;
	if (focus < 0)
		focus = 0;
	if (focus >= n)
		focus = n - 1;
	/* Move the window right until the focused tab fits. */
	for (;;) {
		int col = first > 0 ? 1 : 0, last = -1;
		for (int i = first; i < n; i++) {
			int room = w - (i < n - 1 ? 1 : 0); /* keep a column for ">" */
			if (col + widths[i] > room)
				break;
			col += widths[i];
			last = i;
		}
		if (last >= focus || first >= focus)
			break;
		first++;
	}
	int col = first > 0 ? 1 : 0;
	for (int i = 0; i < n; i++) {
		x[i] = -1;
		if (i < first)
			continue;
		int room = w - (i < n - 1 ? 1 : 0);
		if (col + widths[i] > room) {
			for (int j = i; j < n; j++)
				x[j] = -1;
			break;
		}
		x[i] = col;
		col += widths[i];
	}
	return first;
}

void layout_task_cols(int w, int id_digits, struct task_cols *c)
{
	memset(c, 0, sizeof *c);
	if (id_digits < 1)
		id_digits = 1;
	if (w <= 0)
		return;
	/* id, space, "[x]", space, title, [space owner], space, due. */
	c->id_w = id_digits;
	c->due_w = 6; /* "HH:MM" and a "!" when overdue */
	int fixed = c->id_w + 1 + 3 + 1 + 1 + c->due_w;
	int rest = w - fixed;
	if (rest < 4) {
		/* Very narrow: drop the due time, then the id. */
		c->due_w = 0;
		fixed = c->id_w + 1 + 3 + 1;
		rest = w - fixed;
		if (rest < 4) {
			c->id_w = 0;
			fixed = 3 + 1;
			rest = w - fixed;
		}
	}
	if (rest >= 40)
		c->owner_w = 12;
	else if (rest >= 20)
		c->owner_w = 6;
	c->title_w = rest - (c->owner_w ? c->owner_w + 1 : 0);
	if (c->title_w < 0)
		c->title_w = 0;
	c->id_x = 0;
	c->box_x = c->id_w ? c->id_w + 1 : 0;
	c->title_x = c->box_x + 4;
	c->owner_x = c->owner_w ? c->title_x + c->title_w + 1 : 0;
	c->due_x = c->due_w ? w - c->due_w : 0;
}

int layout_scroll(int top, int sel, int rows, int count)
{
	if (rows <= 0 || count <= 0)
		return 0;
	if (sel < top)
		top = sel;
	if (sel >= top + rows)
		top = sel - rows + 1;
	if (top > count - rows)
		top = count - rows;
	return top < 0 ? 0 : top;
}

int layout_bar_eighths(int64_t done, int64_t total, int width)
{
	if (width <= 0 || total <= 0 || done <= 0)
		return 0;
	if (done >= total)
		return width * 8;
	int64_t e = done * width * 8 / total;
	if (e < 1)
		e = 1;
	if (e > width * 8 - 1)
		e = width * 8 - 1;
	return (int)e;
}

int layout_scale(int64_t v, int64_t vmax, int rows)
{
	if (rows <= 0 || vmax <= 0 || v <= 0)
		return 0;
	if (v >= vmax)
		return rows * 8;
	/* Rounded to the nearest eighth, but never 0 for a non-zero value. */
	int64_t e = (v * rows * 8 * 2 + vmax) / (2 * vmax);
	return e < 1 ? 1 : (int)e;
}

int64_t layout_col_time(int64_t t0, int64_t t1, int ncols, int col)
{
	if (ncols <= 1)
		return t0;
	return t0 + (int64_t)((double)(t1 - t0) * col / (ncols - 1));
}

int64_t layout_ideal(int64_t v0, int64_t t0, int64_t deadline, int64_t t)
{
	if (t <= t0)
		return v0;
	if (t >= deadline || deadline <= t0)
		return 0;
	return (int64_t)((double)v0 * (double)(deadline - t) / (double)(deadline - t0) + 0.5);
}

enum deadline_level layout_deadline_level(int64_t now, int64_t start, int64_t deadline)
{
	if (!deadline)
		return DL_NONE;
	int64_t left = deadline - now;
	if (left < 0)
		return DL_OVERDUE;
	if (left < 2 * 3600)
		return DL_URGENT;
	if (deadline > start && left * 4 <= deadline - start)
		return DL_QUARTER;
	return DL_OK;
}

const char *layout_fmt_count(int64_t n, char *buf, size_t sz)
{
	char tmp[32];
	int len, j = 0, neg = n < 0;
	uint64_t u = neg ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;

	len = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)u);
	char out[48];
	if (neg)
		out[j++] = '-';
	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			out[j++] = ',';
		out[j++] = tmp[i];
	}
	out[j] = '\0';
	snprintf(buf, sz, "%s", out);
	return buf;
}

const char *layout_fmt_short(int64_t n, char *buf, size_t sz)
{
	if (n < 0)
		n = 0;
	if (n < 1000)
		snprintf(buf, sz, "%lld", (long long)n);
	else if (n < 100000)
		snprintf(buf, sz, "%.1fk", n / 1000.0 >= 99.95 ? 99.9 : n / 1000.0);
	else if (n < 1000000)
		snprintf(buf, sz, "%lldk", (long long)((n + 500) / 1000 > 999 ? 999 : (n + 500) / 1000));
	else if (n < 100000000)
		snprintf(buf, sz, "%.1fM", n / 1e6 >= 99.95 ? 99.9 : n / 1e6);
	else
		snprintf(buf, sz, "%lldM", (long long)(n / 1000000 > 9999 ? 9999 : n / 1000000));
	return buf;
}

const char *layout_fmt_due(int64_t due, int64_t now, char *buf, size_t sz)
{
	time_t t = (time_t)due;
	struct tm tm;

	if (!due || !gmtime_r(&t, &tm)) {
		snprintf(buf, sz, "%s", "");
		return buf;
	}
	int64_t d = due - now;
	if (d < 0)
		d = -d;
	if (d < 20 * 3600)
		strftime(buf, sz, "%H:%M", &tm);
	else
		strftime(buf, sz, "%m-%d", &tm);
	return buf;
}

const char *layout_fmt_countdown(int64_t now, int64_t deadline, char *buf, size_t sz)
{
	int64_t left = deadline - now;

	if (left < 0) {
		int64_t o = -left;
		snprintf(buf, sz, "OVERDUE +%02lld:%02lld", (long long)(o / 3600),
			 (long long)(o % 3600 / 60));
	} else if (left >= 86400) {
		snprintf(buf, sz, "%lldd %02lld:%02lld:%02lld", (long long)(left / 86400),
			 (long long)(left % 86400 / 3600), (long long)(left % 3600 / 60),
			 (long long)(left % 60));
	} else {
		snprintf(buf, sz, "%02lld:%02lld:%02lld", (long long)(left / 3600),
			 (long long)(left % 3600 / 60), (long long)(left % 60));
	}
	return buf;
}
