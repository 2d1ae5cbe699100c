/*
 * pane-team.c: one team of the plan: its tasks of the current phase and
 * the earlier ones still open, each with checkbox, id, title, owner and
 * due time (marked when overdue), and the team's progress bar. Space
 * ticks or unticks the selected task through the core, which decides
 * whether the user may (their own team, or Management).
 *
 * The state is the selection and the scroll only: rows are drawn straight
 * from wr_task_foreach's callback, the strings escaped by draw_db, and
 * the callback stops one row past the screen.
 */
#include <stdlib.h>
#include <string.h>

#include "console.h"

struct team_state {
	char id[48];
	int sel, top; /* selected row, first row shown */
	int count;    /* rows read in the last frame */
	bool more;    /* and more were left unread */
	int rows;     /* rows that fit */
	int64_t sel_id; /* the task on the selected row, as last drawn */
	bool sel_done;
};

void *pane_team_new(const char *team_id)
{
	struct team_state *ts = calloc(1, sizeof *ts);

	if (ts)
		snprintf(ts->id, sizeof ts->id, "%s", team_id);
	return ts;
}

const char *pane_team_id(const struct pane *p)
{
	const struct team_state *ts = p->st;
	return p->cls == &pane_team_class && ts ? ts->id : "";
}

struct rows_ctx {
	struct console *c;
	struct team_state *ts;
	struct task_cols cols;
	int phase, n, x, y0, w;
	bool focused;
};

static int task_row(const struct wr_task *t, void *arg)
{
	struct rows_ctx *d = arg;
	struct team_state *ts = d->ts;
	struct console *c = d->c;
	char b[32];

	/* Earlier phases show only what is still open. */
	if (t->phase < d->phase && t->done_at)
		return 0;
	int i = d->n++;
	if (i == ts->sel) {
		ts->sel_id = t->id;
		ts->sel_done = t->done_at != 0;
	}
	if (i >= ts->top + ts->rows) {
		ts->more = true;
		return 1; /* one past the screen: enough */
	}
	if (i < ts->top)
		return 0;

	int y = d->y0 + i - ts->top, x = d->x;
	bool sel = d->focused && i == ts->sel;
	bool overdue = !t->done_at && t->due && t->due < c->frame_now;
	attr_t base = sel ? console_attr(c, ROLE_SEL) : t->done_at ? console_attr(c, ROLE_DIM) : A_NORMAL;
	const struct task_cols *k = &d->cols;

	if (sel)
		draw_fill(y, x, d->w, base);
	if (k->id_w) {
		snprintf(b, sizeof b, "%*lld", k->id_w, (long long)t->id);
		draw_text(c, y, x + k->id_x, k->id_w, b, base);
		/* The cursor, visible without attributes too. */
		if (sel)
			draw_text(c, y, x + k->id_w, 1, ">", base);
	}
	draw_text(c, y, x + k->box_x, 3, t->done_at ? "[x]" : "[ ]", base | (sel ? 0 : A_BOLD));
	draw_db(c, y, x + k->title_x, k->title_w, t->title, base);
	if (k->owner_w)
		draw_db(c, y, x + k->owner_x, k->owner_w, t->owner ? t->owner : "-",
			base | (t->owner ? 0 : console_attr(c, ROLE_DIM)));
	if (k->due_w && t->due) {
		layout_fmt_due(t->due, c->frame_now, b, sizeof b);
		/* "!" says overdue without colour too. */
		if (overdue)
			strcat(b, "!");
		draw_text(c, y, x + k->due_x, k->due_w, b,
			  overdue ? base | console_attr(c, ROLE_ALERT) : base);
	}
	return 0;
}

static void team_draw(struct pane *p, struct console *c)
{
	struct team_state *ts = p->st;
	const struct lrect *r = &p->r;
	size_t idx = (size_t)(p - c->pane);
	const struct wr_team *team = idx < c->nt ? &c->teams[idx] : NULL;
	char title[160];

	if (r->h < 3 || r->w < 8)
		return;
	char *name = wr_esc_term(team ? team->name : ts->id);
	snprintf(title, sizeof title, " %zu %s%s ", idx + 1, name ? name : "?",
		 wr_auth_team(c->db, ts->id) ? " (view only)" : "");
	free(name);
	draw_box(c, r, title, p->focused);

	bool bar = r->h - 2 >= 2;
	/* The list may go on past what was read: scroll as far as sel. */
	int known = ts->more && ts->count <= ts->sel ? ts->sel + 1 : ts->count;
	ts->top = layout_scroll(ts->top, ts->sel, ts->rows, ts->more ? known + 1 : known);

	struct rows_ctx d = {
		.c = c, .ts = ts, .x = r->x + 1, .y0 = r->y + 1, .w = r->w - 2,
		.focused = p->focused, .phase = c->st_ok ? c->st.phase : 0,
	};
	/* Ids are 1..the number of tasks: as many digits as that, at least 2. */
	int64_t ntasks = 0;
	int digits = 1;
	for (size_t i = 0; i < c->nt; i++)
		ntasks += c->teams[i].tasks_total;
	for (; ntasks >= 10; ntasks /= 10)
		digits++;
	layout_task_cols(d.w, digits < 2 ? 2 : digits, &d.cols);
	struct wr_task_filter f = {
		.team = ts->id,
		.max_phase = d.phase,
		.match = c->filter[0] ? c->filter : NULL,
	};
	ts->sel_id = 0;
	ts->more = false;
	if (wr_task_foreach(c->db, &f, task_row, &d) < 0)
		console_message(c, ROLE_ALERT, "%s", wr_db_errmsg(c->db));
	ts->count = d.n;
	if (ts->sel >= ts->count && ts->count > 0) {
		/* The list is shorter than the selection (ticked, filtered). */
		ts->sel = ts->count - 1;
		ts->top = layout_scroll(ts->top, ts->sel, ts->rows, ts->count);
		c->dirty = true; /* the highlight follows on the next frame */
	}
	if (d.n == 0 && ts->rows > 0)
		draw_text(c, r->y + 1, r->x + 2, r->w - 4,
			  c->filter[0] ? "(no task matches the filter)" : "(nothing open)",
			  console_attr(c, ROLE_DIM));
	if (ts->more && ts->rows > 0)
		draw_text(c, r->y + r->h - 1, r->x + r->w - 9, 7, " more ", console_attr(c, ROLE_DIM));
	if (bar && team)
		draw_progress(c, r->y + r->h - 2, r->x + 1, r->w - 2, team->tasks_done,
			      team->tasks_total);
}

static int team_key(struct pane *p, struct console *c, enum pane_act act)
{
	struct team_state *ts = p->st;
	int page = ts->rows > 1 ? ts->rows - 1 : 1;

	switch (act) {
	case ACT_UP:
		if (ts->sel <= 0)
			return 1;
		ts->sel--;
		return 0;
	case ACT_DOWN:
		if (ts->sel >= ts->count - 1 && !ts->more)
			return 1;
		ts->sel++;
		return 0;
	case ACT_PGUP: ts->sel = ts->sel > page ? ts->sel - page : 0; return 0;
	case ACT_PGDN:
		/* Past what was read, the next frame reads on and clamps. */
		ts->sel = ts->sel + page < ts->count || ts->more ? ts->sel + page : ts->count - 1;
		if (ts->sel < 0)
			ts->sel = 0;
		return 0;
	case ACT_HOME: ts->sel = 0; return 0;
	case ACT_TICK: break;
	}
	if (!ts->sel_id) {
		console_message(c, ROLE_DIM, "no task selected");
		return 0;
	}
	if (c->wall) {
		console_message(c, ROLE_DIM, "the wall is read-only");
		return 0;
	}
	int rc = ts->sel_done ? wr_task_reopen(c->db, ts->sel_id) : wr_task_done(c->db, ts->sel_id, NULL);
	if (rc)
		console_message(c, ROLE_ALERT, "task %lld: %s", (long long)ts->sel_id,
				wr_db_errmsg(c->db));
	else
		console_message(c, ROLE_OK, "task %lld %s", (long long)ts->sel_id,
				ts->sel_done ? "reopened" : "done");
	return 0;
}

static void team_resize(struct pane *p, const struct lrect *r)
{
	struct team_state *ts = p->st;
	int inner = r->h - 2;

	/* Tasks above the progress bar; the selection stays in view. */
	ts->rows = inner >= 2 ? inner - 1 : inner > 0 ? inner : 0;
	ts->top = layout_scroll(ts->top, ts->sel, ts->rows, ts->count);
}

void draw_team_line(struct console *c, int y, int x, int w, size_t i)
{
	const struct wr_team *t = &c->teams[i];
	int nw = w / 3;

	if (nw > 26)
		nw = 26;
	draw_db(c, y, x, nw, t->name, A_BOLD);
	draw_progress(c, y, x + nw + 1, w - nw - 1, t->tasks_done, t->tasks_total);
}

const struct pane_class pane_team_class = {
	.name = "team",
	.draw = team_draw,
	.key = team_key,
	.resize = team_resize,
	.free = free,
};
