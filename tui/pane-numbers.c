/*
 * pane-numbers.c: the figures: affected, notified, replaced, revoked,
 * expired, pending, delayed and published, and the burn-down chart of
 * pending certificates against the straight line to the deadline, drawn
 * with block characters. Also the wall (--wall): the same figures in big
 * digits, the countdown, the teams' bars and the chart.
 *
 * The counts are the frame's (wr_status_get); "published" is the newest
 * proof of publication (wr_published_get: revoked serials found on the
 * CRLs), "-" until one was checked. The burn-down series comes
 * from wr_burndown, one point per column; it is remembered only while
 * nothing can have changed it: the same data_version, no write of our
 * own, the same columns and the same number of points in the past.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console.h"

struct numbers_state {
	/* The memo's key, then the series. */
	int64_t version, own, t0, t1;
	int npoints, known;
	bool valid;
	int64_t *series;
	int cap;
	/* When it was computed and what it cost, in ms of the monotonic clock. */
	double at, cost;
};

void *pane_numbers_new(void) { return calloc(1, sizeof(struct numbers_state)); }

static void numbers_free(void *st)
{
	struct numbers_state *ns = st;
	if (ns)
		free(ns->series);
	free(ns);
}

void pane_numbers_forget(struct pane *p)
{
	struct numbers_state *ns = p->st;
	ns->valid = false;
}

static struct numbers_state *numbers_of(struct console *c)
{
	return c->pane[c->nteams].st;
}

/* The series for npoints columns from t0 to t1, or NULL on error. */
static const int64_t *series(struct console *c, int64_t t0, int64_t t1, int npoints)
{
	struct numbers_state *ns = numbers_of(c);
	int known = 0;

	for (int i = 0; i < npoints; i++)
		if (layout_col_time(t0, t1, npoints, i) <= c->frame_now)
			known = i + 1;
	bool same_shape = ns->valid && ns->t0 == t0 && ns->t1 == t1 && ns->npoints == npoints;
	if (same_shape && ns->version == c->frame_version && ns->own == c->own_writes &&
	    ns->known == known)
		return ns->series;
	/*
	 * Changed data. While certificates are being revoked every commit
	 * changes it; the counts above follow each one, the chart (a trend)
	 * waits 30 times what it cost to compute, at most 10 s, so a console
	 * spends at most a few percent of a core on it whatever the schema.
	 */
	double t = console_ms(), wait = ns->cost * 30 > 10000 ? 10000 : ns->cost * 30;
	if (same_shape && t - ns->at < wait) {
		console_wake(c, ns->at + wait);
		return ns->series;
	}
	if (npoints > ns->cap) {
		int64_t *v = realloc(ns->series, (size_t)npoints * sizeof *v);
		if (!v)
			return NULL;
		ns->series = v;
		ns->cap = npoints;
	}
	ns->valid = false;
	if (wr_burndown(c->db, t0, t1, npoints, ns->series)) {
		console_message(c, ROLE_ALERT, "%s", wr_db_errmsg(c->db));
		return NULL;
	}
	ns->valid = true;
	ns->at = console_ms();
	ns->cost = ns->at - t;
	ns->version = c->frame_version;
	ns->own = c->own_writes;
	ns->t0 = t0;
	ns->t1 = t1;
	ns->npoints = npoints;
	ns->known = known;
	return ns->series;
}

static const char *hhmm(int64_t t, char *buf, size_t sz)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(buf, sz, "%m-%d %H:%M", &tm))
		snprintf(buf, sz, "?");
	return buf;
}

void draw_burndown(struct console *c, const struct lrect *r)
{
	const struct wr_status *s = &c->st;
	char b[48], b2[64];

	if (r->h < 4 || r->w < 20)
		return;
	if (!c->st_ok || !s->discovered || !s->deadline || s->deadline <= s->discovered) {
		draw_text(c, r->y, r->x, r->w, "Burn-down: starts when the MRE is declared",
			  console_attr(c, ROLE_DIM));
		return;
	}
	if (s->counts.affected == 0) {
		draw_text(c, r->y, r->x, r->w, "Burn-down: no certificates imported yet",
			  console_attr(c, ROLE_DIM));
		return;
	}
	int64_t t0 = s->discovered, t1 = s->deadline > s->now ? s->deadline : s->now;
	int yl = 6, cols = r->w - yl, rows = r->h - 2;
	const int64_t *v = series(c, t0, t1, cols);
	if (!v || cols < 2)
		return;
	int64_t vmax = 1;
	for (int i = 0; i < cols; i++)
		if (v[i] > vmax)
			vmax = v[i];
	int64_t v0 = v[0] > 0 ? v[0] : vmax;

	draw_text(c, r->y, r->x, r->w, "Burn-down: pending", A_BOLD);
	int tx = r->x + 19;
	if (tx + 30 < r->x + r->w) {
		draw_text(c, r->y, tx, 3, c->utf8 ? "\xc2\xb7\xc2\xb7 " : ".. ",
			  console_attr(c, ROLE_LINE));
		draw_text(c, r->y, tx + 3, r->x + r->w - tx - 3, "straight line to the deadline",
			  console_attr(c, ROLE_DIM));
	}
	layout_fmt_short(vmax, b, sizeof b);
	draw_text(c, r->y + 1, r->x, yl - 1, b, A_NORMAL);
	draw_text(c, r->y + rows, r->x, yl - 1, "0", A_NORMAL);
	for (int y = r->y + 1; y <= r->y + rows; y++)
		draw_text(c, y, r->x + yl - 1, 1, c->utf8 ? "\xe2\x94\x82" : "|", console_attr(c, ROLE_DIM));

	int base = r->y + rows; /* the bottom plot row */
	for (int i = 0; i < cols; i++) {
		int64_t t = layout_col_time(t0, t1, cols, i);
		int x = r->x + yl + i;
		int ideal = layout_scale(layout_ideal(v0, t0, s->deadline, t), vmax, rows);
		int e = v[i] >= 0 ? layout_scale(v[i], vmax, rows) : -1;
		int full = e > 0 ? e / 8 : 0, part = e > 0 ? e % 8 : 0;
		/* Pending beyond the line to the deadline is behind plan. */
		attr_t bar = v[i] > layout_ideal(v0, t0, s->deadline, t) + vmax / 50
				     ? console_attr(c, ROLE_WARN)
				     : console_attr(c, ROLE_OK);
		for (int k = 0; k < full; k++)
			draw_text(c, base - k, x, 1, glyph_eighths(c, 8), bar);
		if (part)
			draw_text(c, base - full, x, 1, glyph_eighths(c, part), bar);
		/* The line's cell, where the bar leaves it free. */
		int lrow = ideal > 0 ? (ideal - 1) / 8 : 0;
		if ((ideal > 0 || t < s->deadline) && lrow >= full + (part ? 1 : 0) && lrow < rows)
			draw_text(c, base - lrow, x, 1, c->utf8 ? "\xc2\xb7" : ".",
				  console_attr(c, ROLE_LINE));
	}
	/* The time axis: the discovery, now, and the deadline. */
	int ay = r->y + rows + 1, now_col = -1;
	for (int i = 0; i < cols; i++)
		if (layout_col_time(t0, t1, cols, i) <= s->now)
			now_col = i;
	draw_text(c, ay, r->x + yl - 1, 1, c->utf8 ? "\xe2\x94\x94" : "+", console_attr(c, ROLE_DIM));
	for (int i = 0; i < cols; i++)
		draw_text(c, ay, r->x + yl + i, 1, glyph_hline(c), console_attr(c, ROLE_DIM));
	hhmm(t0, b, sizeof b);
	draw_text(c, ay, r->x + yl, cols, b, A_NORMAL);
	int lw = text_width(b);
	snprintf(b2, sizeof b2, "deadline %s", hhmm(s->deadline, b, sizeof b));
	int dw = text_width(b2);
	if (lw + dw + 2 <= cols)
		draw_text(c, ay, r->x + r->w - dw, dw, b2, A_NORMAL);
	if (now_col >= 0 && now_col > lw + 1 && now_col + 5 < cols - dw - 1)
		draw_text(c, ay, r->x + yl + now_col, 4, "^now", console_attr(c, ROLE_KEY));
}

static void count_cell(struct console *c, int y, int x, int w, const char *label, int64_t v,
		       bool known)
{
	char b[40];

	if (w < 8)
		return;
	draw_text(c, y, x, w, label, A_NORMAL);
	if (known)
		layout_fmt_count(v, b, sizeof b);
	else
		snprintf(b, sizeof b, "-");
	int bw = text_width(b);
	if (bw < w - 1)
		draw_text(c, y, x + w - bw, bw, b, A_BOLD);
}

/* Revoked serials seen on the published CRLs; false when never checked. */
static bool published(struct console *c, int64_t *n)
{
	struct wr_published pub;

	if (wr_published_get(c->db, &pub) || !pub.checked_at)
		return false;
	*n = pub.on_crl;
	return true;
}

static void numbers_draw(struct pane *p, struct console *c)
{
	const struct lrect *r = &p->r;
	const struct wr_counts *k = &c->st.counts;
	int64_t pub = 0;
	bool pub_known = published(c, &pub);

	if (r->h < 3 || r->w < 10)
		return;
	draw_box(c, r, " Numbers ", p->focused);
	int x = r->x + 2, w = r->w - 4, y = r->y + 1, h = r->h - 2;
	struct {
		const char *label;
		int64_t v;
		bool known;
	} cells[] = {
		{"affected", k->affected, true}, {"notified", k->notified, true},
		{"replaced", k->replaced, true}, {"revoked", k->revoked, true},
		{"expired", k->expired, true},	 {"pending", k->pending, true},
		/* Delayed: held past now by a recorded delay. */
		{"delayed", k->held, true},	 {"published", pub, pub_known},
	};
	if (!c->st_ok)
		return;
	int used;
	if (w >= 36) {
		int cw = (w - 3) / 2;
		for (int i = 0; i < 8 && i % 4 < h; i++)
			count_cell(c, y + i % 4, i < 4 ? x : x + cw + 3, cw, cells[i].label,
				   cells[i].v, cells[i].known);
		used = 4;
	} else {
		for (int i = 0; i < 8 && i < h; i++)
			count_cell(c, y + i, x, w, cells[i].label, cells[i].v, cells[i].known);
		used = 8;
	}
	struct lrect chart = {y + used + 1, x, h - used - 1, w};
	draw_burndown(c, &chart);
}

/* ---- the wall: big digits ------------------------------------------------ */

/* A 3x5 font: '#' is a pixel. */
static const struct {
	char ch;
	const char *rows[5];
} font[] = {
	{'0', {"###", "#.#", "#.#", "#.#", "###"}}, {'1', {".#.", "##.", ".#.", ".#.", "###"}},
	{'2', {"###", "..#", "###", "#..", "###"}}, {'3', {"###", "..#", "###", "..#", "###"}},
	{'4', {"#.#", "#.#", "###", "..#", "..#"}}, {'5', {"###", "#..", "###", "..#", "###"}},
	{'6', {"###", "#..", "###", "#.#", "###"}}, {'7', {"###", "..#", "..#", "..#", "..#"}},
	{'8', {"###", "#.#", "###", "#.#", "###"}}, {'9', {"###", "#.#", "###", "..#", "###"}},
	{':', {".", "#", ".", "#", "."}},	    {',', {".", ".", ".", "#", "#"}},
	{'+', {"...", ".#.", "###", ".#.", "..."}}, {'-', {"...", "...", "###", "...", "..."}},
	{'d', {"..#", "..#", "###", "#.#", "###"}}, {' ', {"..", "..", "..", "..", ".."}},
	{'?', {"###", "..#", ".##", "...", ".#."}},
};

static int glyph_index(char ch)
{
	for (size_t i = 0; i < sizeof font / sizeof font[0]; i++)
		if (font[i].ch == ch)
			return (int)i;
	return (int)(sizeof font / sizeof font[0]) - 1;
}

static bool pixel(int g, int row, int col)
{
	return row < 5 && font[g].rows[row][col] == '#';
}

/* Draws s in big digits at (y, x): 3 rows of half blocks, or 5 rows of
 * double-width blocks when large. Returns the width; draws only when
 * draw is set. */
static int big_text(struct console *c, int y, int x, const char *s, bool large, attr_t a,
		    bool draw)
{
	static const char *const half[] = {" ", "\xe2\x96\x80", "\xe2\x96\x84", "\xe2\x96\x88"};
	int col = 0, rows = large ? 5 : 3, scale = large ? 2 : 1;

	for (const char *p = s; *p; p++) {
		int g = glyph_index(*p), gw = (int)strlen(font[g].rows[0]);
		for (int px = 0; draw && px < gw; px++)
			for (int r = 0; r < rows; r++) {
				const char *cell;
				if (large) {
					cell = pixel(g, r, px) ? (c->utf8 ? "\xe2\x96\x88\xe2\x96\x88" : "##")
							       : "  ";
				} else {
					int top = pixel(g, 2 * r, px), bot = pixel(g, 2 * r + 1, px);
					cell = c->utf8 ? half[top | bot << 1] : (top || bot ? "#" : " ");
				}
				draw_text(c, y + r, x + col + px * scale, scale, cell, a);
			}
		col += (gw + 1) * scale;
	}
	return col > 0 ? col - scale : 0;
}

struct big {
	const char *label;
	char text[40];
	enum role role;
};

static int big_width(struct console *c, const struct big *b, bool large)
{
	int gw = big_text(c, 0, 0, b->text, large, 0, false), lw = text_width(b->label);
	return gw > lw ? gw : lw;
}

void draw_wall(struct console *c, const struct lrect *r)
{
	const struct wr_status *s = &c->st;
	const struct wr_counts *k = &s->counts;
	struct big b[3];
	int n = 0, y = r->y, bottom = r->y + r->h;
	bool large = r->h >= 40 && r->w >= 150;
	int bh = (large ? 5 : 3) + 1, big_rows = r->h >= 30 ? 2 : 1;
	char t[48];

	if (!c->st_ok)
		return;
	/* Big: the countdown, what is pending, what is revoked. */
	if (s->deadline) {
		enum deadline_level lv = layout_deadline_level(s->now, s->discovered, s->deadline);
		int64_t left = s->deadline - s->now, a = left < 0 ? -left : left;
		b[n].label = lv == DL_OVERDUE ? "OVERDUE" : "TIME LEFT";
		if (lv == DL_OVERDUE)
			snprintf(b[n].text, sizeof b[n].text, "+%02lld:%02lld", (long long)(a / 3600),
				 (long long)(a % 3600 / 60));
		else if (a >= 86400)
			snprintf(b[n].text, sizeof b[n].text, "%lldd %02lld:%02lld",
				 (long long)(a / 86400), (long long)(a % 86400 / 3600),
				 (long long)(a % 3600 / 60));
		else
			snprintf(b[n].text, sizeof b[n].text, "%02lld:%02lld:%02lld",
				 (long long)(a / 3600), (long long)(a % 3600 / 60),
				 (long long)(a % 60));
		b[n++].role = lv == DL_QUARTER ? ROLE_WARN : lv >= DL_URGENT ? ROLE_ALARM : ROLE_OK;
	}
	b[n].label = "PENDING";
	layout_fmt_count(k->pending, b[n].text, sizeof b[n].text);
	b[n++].role = ROLE_WARN;
	b[n].label = "REVOKED";
	layout_fmt_count(k->revoked, b[n].text, sizeof b[n].text);
	b[n++].role = ROLE_OK;
	/* Flowed left to right, wrapping, on at most big_rows rows. */
	int x = r->x + 1, row = 0;
	for (int i = 0; i < n; i++) {
		int w = big_width(c, &b[i], large);
		if (x > r->x + 1 && x + w > r->x + r->w) {
			if (++row >= big_rows)
				break;
			x = r->x + 1;
			y += bh + 1;
		}
		if (y + bh > bottom || w > r->w)
			break;
		draw_text(c, y, x, w, b[i].label, A_BOLD);
		big_text(c, y + 1, x, b[i].text, large, console_attr(c, b[i].role), true);
		x += w + 4;
	}
	y += bh + 1;
	/* The other figures on one line. */
	const struct {
		const char *label;
		int64_t v;
	} small[] = {
		{"affected", k->affected}, {"notified", k->notified}, {"replaced", k->replaced},
		{"expired", k->expired},   {"delayed", k->held},
	};
	x = r->x + 1;
	for (size_t i = 0; i < sizeof small / sizeof small[0] && y < bottom; i++) {
		char cell[96];
		snprintf(cell, sizeof cell, "%s %s", small[i].label,
			 layout_fmt_count(small[i].v, t, sizeof t));
		int w = text_width(cell);
		if (x + w > r->x + r->w)
			break;
		draw_text(c, y, x, small[i].label ? (int)strlen(small[i].label) : 0, small[i].label,
			  A_NORMAL);
		draw_text(c, y, x + (int)strlen(small[i].label) + 1, w, t, A_BOLD);
		x += w + 3;
	}
	int64_t pub = 0;
	if (published(c, &pub))
		layout_fmt_count(pub, t, sizeof t);
	else
		snprintf(t, sizeof t, "-");
	if (y < bottom && x + 10 + text_width(t) <= r->x + r->w) {
		draw_text(c, y, x, 9, "published", A_NORMAL);
		draw_text(c, y, x + 10, text_width(t), t, A_BOLD);
	}
	y += 2;
	/* The teams' progress, one line each. */
	for (size_t i = 0; i < c->nt && y < bottom; i++, y++)
		draw_team_line(c, y, r->x + 1, r->w - 2, i);
	y++;
	if (bottom - y >= 5) {
		struct lrect chart = {y, r->x + 1, bottom - y, r->w - 2};
		draw_burndown(c, &chart);
	}
}

const struct pane_class pane_numbers_class = {
	.name = "numbers",
	.draw = numbers_draw,
	.free = numbers_free,
};
