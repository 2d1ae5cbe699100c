/*
 * pane-header.c: the two header rows: the incident, its state, phase and
 * reason; the deadline and its countdown (a quarter of the time left,
 * under two hours, overdue), the clock (marked when simulated; in an
 * exercise, EXERCISE and its clock's speed or pause) and who the user is. Reads the frame's status; holds nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console.h"

void *pane_header_new(void) { return calloc(1, 1); }

static const char *short_time(int64_t t, bool secs, char *buf, size_t sz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    !strftime(buf, sz, secs ? "%Y-%m-%d %H:%M:%SZ" : "%Y-%m-%d %H:%MZ", &tm))
		snprintf(buf, sz, "@%lld", (long long)t);
	return buf;
}

/* Draws s at *x on row y within the header's width; advances *x. */
static void put(struct console *c, int y, int *x, int right, const char *s, attr_t a)
{
	if (*x < right)
		*x += draw_text(c, y, *x, right - *x, s, a);
}

static void put_db(struct console *c, int y, int *x, int right, int maxw, const char *s,
		   attr_t a)
{
	if (*x < right)
		*x += draw_db(c, y, *x, maxw < right - *x ? maxw : right - *x, s, a);
}

static void header_draw(struct pane *p, struct console *c)
{
	const struct lrect *r = &p->r;
	const struct wr_status *s = &c->st;
	attr_t hd = console_attr(c, ROLE_HEADER);
	int y = r->y, x = r->x, right = r->x + r->w;
	char b[96], t[WR_TIME_BUFSZ];

	/* An exercise says so on every screen, the wall's too, with its
	 * clock's state: nobody takes it for a real incident. */
	struct wr_exercise ex;
	bool exercise = wr_exercise_active(c->db) && wr_exercise_get(c->db, &ex) == 0;

	draw_fill(y, r->x, r->w, hd);
	put(c, y, &x, right, " WARROOM  ", hd | A_BOLD);
	if (exercise)
		put(c, y, &x, right, "EXERCISE  ", console_attr(c, ROLE_WARN) | A_BOLD | A_REVERSE);
	if (!c->st_ok) {
		put(c, y, &x, right, "(cannot read the incident)", hd);
		return;
	}
	put_db(c, y, &x, right, r->w / 3 > 16 ? r->w / 3 : 16, s->name, hd | A_BOLD);
	snprintf(b, sizeof b, "  %s", strcmp(s->state, WR_STATE_DECLARED) == 0 ? "DECLARED"
				      : strcmp(s->state, WR_STATE_CLOSED) == 0	 ? "CLOSED"
										 : "ASSESSING");
	put(c, y, &x, right, b, hd | A_BOLD);
	if (r->w >= 110)
		snprintf(b, sizeof b, "  %s", wr_phase_title(s->phase));
	else
		snprintf(b, sizeof b, "  P%d %s", s->phase, wr_phase_name(s->phase));
	put(c, y, &x, right, b, hd);
	if (s->reason[0]) {
		const struct wr_reason *rs = wr_reason_find(s->reason);
		put(c, y, &x, right, "  ", hd);
		put_db(c, y, &x, right, 40, s->reason, hd | A_BOLD);
		if (rs) {
			snprintf(b, sizeof b, " (BR %s, %s)", rs->section,
				 wr_crl_reason_name(s->crl_reason));
			put(c, y, &x, right, b, hd);
		}
	}

	/* Row 2: the clock everyone watches. */
	y++;
	x = r->x + 1;
	if (s->deadline) {
		enum deadline_level lv = layout_deadline_level(s->now, s->discovered, s->deadline);
		enum role role = lv == DL_QUARTER			 ? ROLE_WARN
				 : lv == DL_URGENT || lv == DL_OVERDUE ? ROLE_ALARM
								       : ROLE_OK;
		put(c, y, &x, right, "Deadline ", A_BOLD);
		put(c, y, &x, right, short_time(s->deadline, false, t, sizeof t), A_NORMAL);
		put(c, y, &x, right, "  ", A_NORMAL);
		layout_fmt_countdown(s->now, s->deadline, b, sizeof b);
		if (lv != DL_OVERDUE)
			strncat(b, " left", sizeof b - strlen(b) - 1);
		if (s->closed)
			snprintf(b, sizeof b, "closed %s", short_time(s->closed, false, t, sizeof t));
		put(c, y, &x, right, b, s->closed ? A_NORMAL : console_attr(c, role) | A_BOLD);
	} else {
		put(c, y, &x, right, "Deadline ", A_BOLD);
		put(c, y, &x, right, "not declared", console_attr(c, ROLE_DIM));
	}
	put(c, y, &x, right, "   Now ", A_BOLD);
	put(c, y, &x, right, short_time(s->now, true, t, sizeof t), A_NORMAL);
	if (exercise) {
		if (ex.ended_at)
			snprintf(b, sizeof b, " ENDED");
		else if (ex.paused)
			snprintf(b, sizeof b, " PAUSED");
		else
			snprintf(b, sizeof b, " x%g", ex.speed);
		put(c, y, &x, right, b, console_attr(c, ROLE_WARN) | A_BOLD);
	} else if (console_simulated(c->db)) {
		put(c, y, &x, right, " SIMULATED", console_attr(c, ROLE_WARN) | A_BOLD);
	}
	/* The next Bugzilla update due, once a report is posted (pane-reporting.c). */
	if (x < right)
		x += draw_reporting_due(c, y, x, right - x);
	/* The wall is a room's screen, not a person's: no "you". */
	if (c->wall)
		return;
	put(c, y, &x, right, "   you: ", A_BOLD);
	put_db(c, y, &x, right, 24, wr_db_actor(c->db), A_NORMAL);
	const char *teams = wr_auth_teams(c->db);
	put(c, y, &x, right, " (", A_NORMAL);
	if (strcmp(teams, "*") == 0)
		put(c, y, &x, right, "every team", A_NORMAL);
	else if (!*teams)
		put(c, y, &x, right, "no team: read only", console_attr(c, ROLE_WARN));
	else
		put_db(c, y, &x, right, 40, teams, A_NORMAL);
	put(c, y, &x, right, ")", A_NORMAL);
}

const struct pane_class pane_header_class = {
	.name = "header",
	.draw = header_draw,
	.free = free,
};
