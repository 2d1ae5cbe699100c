/*
 * pane-reporting.c: Mozilla's reporting cadence on the console, drawn
 * from the core's figures (wr_reporting_get, core/reporting.c): the next
 * Bugzilla update due in the header, and External Communications' duties
 * at the foot of its pane: the preliminary report, the next update and
 * the full report, each with its due time and whether it is done, laid
 * out as the pane's task rows are.
 *
 * Holds nothing between frames; asks the core each frame (two indexed
 * queries over a handful of rows).
 */
#include <string.h>
#include <time.h>

#include "console.h"

#define TEAM "external-comms"
#define DUTY_ROWS 4 /* a rule and three duties */

int draw_reporting_due(struct console *c, int y, int x, int w)
{
	struct wr_reporting rp;
	char b[64], t[WR_TIME_BUFSZ];

	if (w <= 3 || !c->st_ok || wr_reporting_get(c->db, c->st.now, &rp) || !rp.last_update)
		return 0;
	int level = wr_reporting_level(&rp, c->st.now);
	enum role role = level == WR_REPORTING_ALARM  ? ROLE_ALARM
			 : level == WR_REPORTING_WARN ? ROLE_WARN
						      : ROLE_OK;
	/* Past the 3-day mark, the 7-day limit is what is left. */
	int64_t due = level == WR_REPORTING_FINE ? rp.next_due_should : rp.next_due_must;
	/* The day and the minute: an update is due to the hour, not the day. */
	time_t tt = (time_t)due;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(t, sizeof t, "%m-%d %H:%MZ", &tm))
		snprintf(t, sizeof t, "?");
	snprintf(b, sizeof b, "%s%s", t, due < c->st.now ? "!" : "");
	int used = draw_text(c, y, x, w, "   Update due ", A_BOLD);
	if (used < w)
		used += draw_text(c, y, x + used, w - used, b, console_attr(c, role) | A_BOLD);
	return used;
}

struct duty {
	const char *title;
	int64_t due, done;
	enum role role; /* of the due time */
};

static void duty_row(struct console *c, int y, int x, const struct task_cols *k,
		     const struct duty *d)
{
	char b[32];
	bool overdue = !d->done && d->due && d->due < c->frame_now;
	attr_t base = d->done ? console_attr(c, ROLE_DIM) : A_NORMAL;

	draw_text(c, y, x + k->box_x, 3, d->done ? "[x]" : "[ ]", base | A_BOLD);
	int tw = k->title_w + (k->owner_w ? k->owner_w + 1 : 0);
	draw_text(c, y, x + k->title_x, tw, d->title, base);
	if (!k->due_w)
		return;
	if (!d->due) {
		draw_text(c, y, x + k->due_x, k->due_w, "-", console_attr(c, ROLE_DIM));
		return;
	}
	layout_fmt_due(d->done ? d->done : d->due, c->frame_now, b, sizeof b);
	if (overdue)
		strcat(b, "!");
	draw_text(c, y, x + k->due_x, k->due_w, b,
		  overdue ? console_attr(c, ROLE_ALERT)
		  : d->role != ROLE_NORMAL ? console_attr(c, d->role)
					   : base);
}

int pane_reporting_draw(struct console *c, const char *team, const struct lrect *r, int rows)
{
	struct wr_reporting rp;
	struct task_cols k;
	char rule[96];

	if (strcmp(team, TEAM) != 0 || !c->st_ok || !c->st.declared || rows < DUTY_ROWS + 2 ||
	    r->w < 24 || wr_reporting_get(c->db, c->st.now, &rp) || !rp.preliminary_due)
		return 0;
	int level = wr_reporting_level(&rp, c->st.now);
	int64_t next = !rp.last_update		     ? 0
		       : level == WR_REPORTING_FINE ? rp.next_due_should
						     : rp.next_due_must;
	const struct duty duties[3] = {
	    {"Preliminary report", rp.preliminary_due, rp.preliminary_done, ROLE_NORMAL},
	    {rp.last_update ? "Next update" : "Updates, after it",
	     next, 0,
	     level == WR_REPORTING_ALARM  ? ROLE_ALARM
	     : level == WR_REPORTING_WARN ? ROLE_WARN
					  : ROLE_NORMAL},
	    {"Full incident report", rp.full_due, rp.full_done, ROLE_NORMAL},
	};
	int x = r->x + 1, w = r->w - 2, y = r->y + 1 + rows - DUTY_ROWS;

	layout_task_cols(w, 2, &k);
	if (rp.bug)
		snprintf(rule, sizeof rule, " Mozilla reports: bug %lld ", (long long)rp.bug);
	else
		snprintf(rule, sizeof rule, " Mozilla reports ");
	attr_t dim = console_attr(c, ROLE_DIM);
	for (int i = 0; i < w; i++)
		draw_text(c, y, x + i, 1, glyph_hline(c), dim);
	draw_text(c, y, x + 1, w - 2, rule, console_attr(c, ROLE_TITLE));
	for (int i = 0; i < 3; i++)
		duty_row(c, y + 1 + i, x, &k, &duties[i]);
	return DUTY_ROWS;
}
