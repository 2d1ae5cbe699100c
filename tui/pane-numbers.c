/*
 * pane-numbers.c: the figures: affected, notified, replaced, revoked,
 * expired, pending, delayed and published; the pace (is the rate of
 * revocation enough for the deadline?); and the burn-down chart of
 * pending certificates against the straight line to the deadline, drawn
 * with block characters. Also the wall (--wall): the countdown, what is
 * pending and the rates in big digits, the pace, each team's health, the
 * last events and the chart.
 *
 * The counts are the frame's (wr_status_get); "published" is the newest
 * proof of publication (wr_published_get: revoked serials found on the
 * CRLs), "-" until one was checked. The burn-down series is a struct
 * wr_burndown kept by the core, which catches up with the revocations
 * since the last frame instead of counting them all again; it is asked
 * again whenever data_version, our own writes, the clock or the columns
 * moved, and its last column is the count at the frame's instant. The
 * pace is wr_pace_get's (the figures of `status --json`), asked again
 * when something changed, but no more often than its cost allows (see
 * pace_of).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console.h"

struct numbers_state {
	struct wr_burndown *bd; /* the core's running series */
	/* The memo's key, then the series. */
	int64_t version, own, t0, t1, now;
	int npoints;
	bool valid;
	int64_t *series;
	int cap;
	/* The pace, when it was asked (ms of the monotonic clock), its cost,
	 * and the data it was asked on. */
	struct wr_pace pace;
	bool pace_ok;
	int64_t pace_version, pace_own;
	double pace_at, pace_cost;
};

void *pane_numbers_new(void) { return calloc(1, sizeof(struct numbers_state)); }

static void numbers_free(void *st)
{
	struct numbers_state *ns = st;
	if (ns) {
		wr_burndown_free(ns->bd);
		free(ns->series);
	}
	free(ns);
}

void pane_numbers_forget(struct pane *p)
{
	struct numbers_state *ns = p->st;
	if (p->cls != &pane_numbers_class)
		return; /* the facilitator's pane in its place */
	ns->valid = false;
	ns->pace_ok = false;
	wr_burndown_free(ns->bd); /* the next series is computed whole */
	ns->bd = NULL;
}

static struct numbers_state *numbers_of(struct console *c)
{
	return c->pane[c->nteams].st;
}

/* The series for npoints columns from t0 to t1, or NULL on error. */
static const int64_t *series(struct console *c, int64_t t0, int64_t t1, int npoints)
{
	struct numbers_state *ns = numbers_of(c);
	int64_t now_count = 0;

	if (ns->valid && ns->t0 == t0 && ns->t1 == t1 && ns->npoints == npoints &&
	    ns->version == c->frame_version && ns->own == c->own_writes && ns->now == c->frame_now)
		return ns->series;
	if (npoints > ns->cap) {
		int64_t *v = realloc(ns->series, (size_t)npoints * sizeof *v);
		if (!v)
			return NULL;
		ns->series = v;
		ns->cap = npoints;
	}
	ns->valid = false;
	if (!ns->bd && !(ns->bd = wr_burndown_new()))
		return NULL;
	/* Cheap after the first time: the core reads only what is new. */
	if (wr_burndown_update(c->db, ns->bd, t0, t1, npoints, c->frame_now, ns->series,
			       &now_count)) {
		console_message(c, ROLE_ALERT, "%s", wr_db_errmsg(c->db));
		return NULL;
	}
	/* The present column stands for the present instant. */
	for (int i = npoints - 1; i >= 0; i--)
		if (ns->series[i] >= 0) {
			ns->series[i] = now_count;
			break;
		}
	ns->valid = true;
	ns->version = c->frame_version;
	ns->own = c->own_writes;
	ns->now = c->frame_now;
	ns->t0 = t0;
	ns->t1 = t1;
	ns->npoints = npoints;
	return ns->series;
}

/*
 * The pace, or NULL. wr_pace_get counts the last hour's revocations, and
 * at a million certificates that costs milliseconds, over ten while a run
 * fills the hour: too much for every frame of a console that redraws on
 * each batch. The pace is a trend over an hour, so a change of the data
 * shows within a second, or 30 times what the last one cost when that is
 * longer (at most 10 s), and the clock alone moves it every 10 s.
 */
#define PACE_MIN_WAIT 1000.0
#define PACE_MAX_WAIT 10000.0
static const struct wr_pace *pace_of(struct console *c)
{
	struct numbers_state *ns = numbers_of(c);
	bool data = !ns->pace_ok || ns->pace_version != c->frame_version || ns->pace_own != c->own_writes;

	if (ns->pace_ok && !data && ns->pace.now == c->frame_now)
		return &ns->pace;
	double t = console_ms();
	if (ns->pace_ok) {
		double wait = data ? ns->pace_cost * 30 : PACE_MAX_WAIT;
		if (wait < PACE_MIN_WAIT)
			wait = PACE_MIN_WAIT;
		if (wait > PACE_MAX_WAIT)
			wait = PACE_MAX_WAIT;
		if (t - ns->pace_at < wait) {
			console_wake(c, ns->pace_at + wait);
			return &ns->pace;
		}
	}
	ns->pace_ok = wr_pace_get(c->db, c->frame_now, &ns->pace) == 0;
	if (!ns->pace_ok) {
		console_message(c, ROLE_ALERT, "%s", wr_db_errmsg(c->db));
		return NULL;
	}
	ns->pace_at = console_ms();
	ns->pace_cost = ns->pace_at - t;
	ns->pace_version = c->frame_version;
	ns->pace_own = c->own_writes;
	return &ns->pace;
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
	/* Past the deadline the axis grows by eighths of the span, so that the
	 * columns (and the series kept for them) stay put between steps. */
	int64_t t0 = s->discovered, t1 = s->deadline;
	if (s->now > s->deadline) {
		int64_t step = (s->deadline - t0) / 8 > 60 ? (s->deadline - t0) / 8 : 60;
		t1 = s->deadline + ((s->now - s->deadline) / step + 1) * step;
	}
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

/* An instant of the pace: "16:19" within 20 hours of now, else with its
 * date, "12-03 16:19", so that the pace fits a narrow pane. */
static const char *when(int64_t t, int64_t now, char *buf, size_t sz)
{
	time_t tt = (time_t)t;
	struct tm tm;
	int64_t d = t > now ? t - now : now - t;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, sz, d < 20 * 3600 ? "%H:%M" : "%m-%d %H:%M", &tm))
		snprintf(buf, sz, "?");
	return buf;
}

/* "19h04m", "2d03h", "45m": a margin's size. */
static const char *fmt_span(int64_t secs, char *buf, size_t sz)
{
	int64_t a = secs < 0 ? -secs : secs;

	if (a >= 86400)
		snprintf(buf, sz, "%lldd%02lldh", (long long)(a / 86400), (long long)(a % 86400 / 3600));
	else if (a >= 3600)
		snprintf(buf, sz, "%lldh%02lldm", (long long)(a / 3600), (long long)(a % 3600 / 60));
	else
		snprintf(buf, sz, "%lldm", (long long)(a / 60));
	return buf;
}

/* "33.1k/h" */
static const char *fmt_rate(double per_hour, char *buf, size_t sz)
{
	char b[16];
	if (per_hour > 0 && per_hour < 9.95)
		snprintf(buf, sz, "%.1f/h", per_hour); /* a rehearsal's few certificates */
	else
		snprintf(buf, sz, "%s/h", layout_fmt_short((int64_t)(per_hour + 0.5), b, sizeof b));
	return buf;
}

/* One figure of the pace: a label, its value, the value's colour. */
struct seg {
	const char *label;
	char value[48];
	enum role role;
};

/*
 * The pace as segments, in the order they matter: the rate the deadline
 * needs, the rate achieved in the last hour (amber when short of it) and
 * overall, the projected finish, the margin (ahead in green, behind in
 * red), and the delayed-revocation report (MRSP 6.1.3): the instant after
 * which it can no longer be avoided, or that it cannot be any more.
 * Returns how many; 0 when there is no pace to show.
 */
static int pace_segs(struct console *c, const struct wr_pace *p, struct seg *sg)
{
	int n = 0;
	char b[24];

	if (!p)
		return 0;
	bool missed = p->deadline && p->to_revoke > 0 && c->frame_now >= p->deadline;
	sg[n].label = "rate needed";
	sg[n].role = ROLE_NORMAL;
	if (!p->deadline)
		snprintf(sg[n].value, sizeof sg[n].value, "-");
	else if (missed)
		snprintf(sg[n].value, sizeof sg[n].value, "deadline missed"), sg[n].role = ROLE_ALARM;
	else if (p->to_revoke == 0)
		snprintf(sg[n].value, sizeof sg[n].value, "none left"), sg[n].role = ROLE_OK;
	else
		fmt_rate(p->rate_needed_per_hour, sg[n].value, sizeof sg[n].value);
	n++;
	sg[n].label = "last hour";
	fmt_rate(p->rate_per_hour, sg[n].value, sizeof sg[n].value);
	sg[n].role = p->rate_needed_per_hour > 0 && p->rate_per_hour < p->rate_needed_per_hour
			     ? ROLE_WARN
			     : ROLE_NORMAL;
	n++;
	sg[n].label = "overall";
	fmt_rate(p->rate_overall_per_hour, sg[n].value, sizeof sg[n].value);
	sg[n++].role = ROLE_NORMAL;
	sg[n].label = p->to_revoke == 0 && p->projected_finish ? "finished" : "finish";
	sg[n].role = ROLE_NORMAL;
	if (!p->projected_finish)
		snprintf(sg[n].value, sizeof sg[n].value, "-");
	else if (p->projected_finish - p->now > 365LL * 86400)
		snprintf(sg[n].value, sizeof sg[n].value, "never at this rate");
	else
		when(p->projected_finish, c->frame_now, sg[n].value, sizeof sg[n].value);
	n++;
	if (p->has_margin) {
		sg[n].label = p->margin_seconds >= 0 ? "ahead" : "behind";
		fmt_span(p->margin_seconds, sg[n].value, sizeof sg[n].value);
		sg[n++].role = p->margin_seconds >= 0 ? ROLE_OK : ROLE_ALERT;
	} else {
		sg[n].label = "margin";
		snprintf(sg[n].value, sizeof sg[n].value, "-");
		sg[n++].role = ROLE_NORMAL;
	}
	if (p->deadline && p->to_revoke > 0) {
		sg[n].label = "delay report";
		if (missed) {
			snprintf(sg[n].value, sizeof sg[n].value, "DUE");
			sg[n].role = ROLE_ALARM;
		} else if (p->delay_report_unavoidable_at &&
			   p->delay_report_unavoidable_at <= c->frame_now) {
			snprintf(sg[n].value, sizeof sg[n].value, "UNAVOIDABLE");
			sg[n].role = ROLE_ALARM;
		} else if (p->delay_report_unavoidable_at) {
			snprintf(sg[n].value, sizeof sg[n].value, "after %s",
				 when(p->delay_report_unavoidable_at, c->frame_now, b, sizeof b));
			sg[n].role = ROLE_NORMAL;
		} else {
			snprintf(sg[n].value, sizeof sg[n].value, "no rate yet");
			sg[n].role = ROLE_DIM;
		}
		n++;
	}
	return n;
}

/* Flows the pace's segments over at most rows rows of w columns from
 * (y, x), two spaces apart; a segment that does not fit starts the next
 * row, and what does not fit at all is left out. Returns the rows used. */
static int draw_pace(struct console *c, int y, int x, int w, int rows)
{
	struct seg sg[8];
	int n = pace_segs(c, pace_of(c), sg), row = 0, col = 0;

	for (int i = 0; i < n && row < rows; i++) {
		int lw = text_width(sg[i].label), vw = text_width(sg[i].value), need = lw + 1 + vw;
		if (col && col + 2 + need > w) {
			if (++row >= rows)
				break;
			col = 0;
		}
		if (need > w)
			continue;
		int at = x + col + (col ? 2 : 0);
		draw_text(c, y + row, at, lw, sg[i].label, A_NORMAL);
		draw_text(c, y + row, at + lw + 1, vw, sg[i].value,
			  A_BOLD | (sg[i].role ? console_attr(c, sg[i].role) : 0));
		col += (col ? 2 : 0) + need;
	}
	return !n ? 0 : row < rows ? row + 1 : rows;
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
	/* The pace, once declared, under the counts. */
	if (c->st.deadline && h > used)
		used += draw_pace(c, y + used, x, w, h - used < 3 ? h - used : 3);
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
	const struct wr_pace *pace = s->deadline ? pace_of(c) : NULL;
	struct wall_layout wl;
	struct big b[4];
	int n = 0;
	char t[48];

	if (!c->st_ok)
		return;
	/* Big: the countdown, what is pending, the rate needed and the rate
	 * achieved in the last hour (amber when short of it). */
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
	if (pace && pace->rate_needed_per_hour >= 1) {
		b[n].label = "NEEDED PER HOUR";
		layout_fmt_count((int64_t)(pace->rate_needed_per_hour + 0.5), b[n].text,
				 sizeof b[n].text);
		b[n++].role = ROLE_NORMAL;
		b[n].label = "LAST HOUR";
		layout_fmt_count((int64_t)(pace->rate_per_hour + 0.5), b[n].text, sizeof b[n].text);
		b[n++].role = pace->rate_per_hour < pace->rate_needed_per_hour ? ROLE_WARN : ROLE_OK;
	}
	/* Flowed left to right, wrapping onto a second row when they need it
	 * and the screen is tall; what does not fit is on the pace line. */
	layout_wall(r, (int)c->nt, 2, &wl);
	int total = 0;
	for (int i = 0; i < n; i++)
		total += big_width(c, &b[i], wl.large) + (i ? 4 : 0);
	if (total <= wl.big.w)
		layout_wall(r, (int)c->nt, 1, &wl);
	int bh = (wl.large ? 5 : 3) + 1, x = wl.big.x, y = wl.big.y, row = 0;
	int right = wl.big.x + wl.big.w, bottom = wl.big.y + wl.big.h;
	for (int i = 0; i < n; i++) {
		int w = big_width(c, &b[i], wl.large);
		if (x > wl.big.x && x + w > right) {
			if (++row >= wl.big_rows)
				break;
			x = wl.big.x;
			y += bh + 1;
		}
		if (y + bh > bottom || w > wl.big.w)
			break;
		draw_text(c, y, x, w, b[i].label, A_BOLD);
		big_text(c, y + 1, x, b[i].text, wl.large, console_attr(c, b[i].role), true);
		x += w + 4;
	}
	/* The other figures on one line. */
	int64_t pub = 0;
	bool pub_known = published(c, &pub);
	const struct {
		const char *label;
		int64_t v;
		bool known;
	} small[] = {
		{"affected", k->affected, true}, {"revoked", k->revoked, true},
		{"expired", k->expired, true},	 {"delayed", k->held, true},
		{"notified", k->notified, true}, {"replaced", k->replaced, true},
		{"published", pub, pub_known},
	};
	x = wl.counts.x;
	for (size_t i = 0; i < sizeof small / sizeof small[0] && wl.counts.h; i++) {
		if (small[i].known)
			layout_fmt_count(small[i].v, t, sizeof t);
		else
			snprintf(t, sizeof t, "-");
		int lw = text_width(small[i].label), w = lw + 1 + text_width(t);
		if (x + w > wl.counts.x + wl.counts.w)
			break;
		draw_text(c, wl.counts.y, x, lw, small[i].label, A_NORMAL);
		draw_text(c, wl.counts.y, x + lw + 1, w - lw - 1, t, A_BOLD);
		x += w + 3;
	}
	if (wl.pace.h && s->deadline)
		draw_pace(c, wl.pace.y, wl.pace.x, wl.pace.w, wl.pace.h);
	/* Each team's health and progress, in columns when wide. */
	if (wl.teams.h) {
		int cw = (wl.teams.w - 2 * (wl.team_cols - 1)) / wl.team_cols;
		for (size_t i = 0; i < c->nt; i++) {
			int col = (int)i / wl.teams.h, line = (int)i % wl.teams.h;
			if (col >= wl.team_cols)
				break;
			draw_team_line(c, wl.teams.y + line, wl.teams.x + col * (cw + 2), cw, i);
		}
	}
	if (wl.chart.h)
		draw_burndown(c, &wl.chart);
	/* The newest events, as the timeline words them. */
	if (wl.events.h)
		draw_events(c, &wl.events);
}

const struct pane_class pane_numbers_class = {
	.name = "numbers",
	.draw = numbers_draw,
	.free = numbers_free,
};
