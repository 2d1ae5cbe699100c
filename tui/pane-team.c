/*
 * pane-team.c: one team of the plan: its tasks of the current phase and
 * the earlier ones still open, each with checkbox, id, title, owner and
 * due time (marked when overdue), a blocked task's marker and reason, and
 * the team's progress bar. The title counts what needs someone (overdue,
 * unassigned, blocked) and takes the team's health as its colour: red
 * when a task is overdue, amber when one is due within the hour. Space
 * ticks or unticks the selected task through the core, which decides
 * whether the user may (their own team, or Management).
 *
 * The state is the selection and the scroll only: rows are drawn straight
 * from wr_task_foreach's callback, the strings escaped by draw_db, and
 * the callback stops one row past the screen. The health counts come with
 * the frame's teams (wr_team_health in console_frame).
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

int64_t pane_team_selected(const struct pane *p)
{
	const struct team_state *ts = p->st;
	return p->cls == &pane_team_class && ts ? ts->sel_id : 0;
}

enum role team_health_role(const struct wr_team_health *h)
{
	return h->overdue ? ROLE_ALERT : h->due_soon ? ROLE_WARN : ROLE_NORMAL;
}

/* What needs someone, at three lengths (level 0 longest); only the counts
 * that are not zero; "" when none. Level 2's symbols are those of the
 * rows: '!' overdue, '?' no owner, 'b' blocked. */
int team_health_text(const struct wr_team_health *h, int level, char *buf, size_t sz)
{
	static const char *const words[3][3] = {
		{"%d overdue", "%d unassigned", "%d blocked"},
		{"%d late", "%d unowned", "%d blocked"},
		{"%d!", "%d?", "%db"},
	};
	static const char *const sep[3] = {", ", " ", " "};
	const int v[3] = {h->overdue, h->unassigned, h->blocked};
	size_t n = 0;

	if (level < 0 || level > 2)
		level = 2;
	buf[0] = '\0';
	for (int i = 0; i < 3; i++) {
		if (!v[i] || n >= sz)
			continue;
		if (n)
			n += (size_t)snprintf(buf + n, sz - n, "%s", sep[level]);
		if (n < sz)
			n += (size_t)snprintf(buf + n, sz - n, words[level][i], v[i]);
	}
	return (int)strlen(buf);
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
	bool blocked = t->blocked && !t->done_at;
	/* "[b]" says blocked without colour too. */
	draw_text(c, y, x + k->box_x, 3, t->done_at ? "[x]" : blocked ? "[b]" : "[ ]",
		  base | (sel ? 0 : A_BOLD) | (blocked && !sel ? console_attr(c, ROLE_WARN) : 0));
	/* A title longer than its column takes the owner's when there is no
	 * owner (the pane's title counts the unassigned), and the due time's
	 * when there is none: no cut while the row has room. */
	char *title = wr_esc_term(t->title ? t->title : "");
	int tw = k->title_w, need = title ? text_width(title) : 0;
	bool owner_col = k->owner_w != 0;
	if (need > tw && owner_col && !t->owner) {
		tw += k->owner_w + 1;
		owner_col = false;
	}
	if (need > tw && k->due_w && !t->due && !owner_col)
		tw = d->w - k->title_x;
	int used = draw_text(c, y, x + k->title_x, tw, title ? title : "?", base);
	free(title);
	if (blocked && tw - used >= 12) {
		/* The reason where the title leaves room. */
		char *e = wr_esc_term(t->blocked);
		char why[256];
		snprintf(why, sizeof why, " (blocked: %s)", e ? e : "?");
		free(e);
		draw_text(c, y, x + k->title_x + used, tw - used - 1, why,
			  base | (sel ? 0 : console_attr(c, ROLE_WARN)));
	}
	if (owner_col)
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
	enum role health = team ? team_health_role(&team->health) : ROLE_NORMAL;
	const char *view = wr_auth_team(c->db, ts->id) ? " (view only)" : "";
	char counts[96] = "";
	/* The name and the counts in the top border, the counts at its right
	 * end: the first of these that fits, from the longest. */
	static const struct {
		bool use_short;
		int level;
	} tries[] = {{false, 0}, {false, 1}, {true, 0}, {true, 1}, {false, 2}, {true, 2}};
	/* From after the corner's first border column to before the other
	 * corner: the counts' own trailing space sets them off from it. */
	int room = r->w - 3;
	for (size_t k = 0; k < sizeof tries / sizeof tries[0]; k++) {
		bool use_short = tries[k].use_short;
		if (use_short && !(team && team->short_name[0]))
			continue;
		char *name = wr_esc_term(use_short ? team->short_name : team ? team->name : ts->id);
		snprintf(title, sizeof title, " %zu %s%s ", idx + 1, name ? name : "?", view);
		free(name);
		int cw = team ? team_health_text(&team->health, tries[k].level, counts + 1,
						 sizeof counts - 2) : 0;
		if (cw) {
			counts[0] = ' ';
			strcat(counts, " ");
			cw += 2;
		} else {
			counts[0] = '\0';
		}
		/* A column of border between them. */
		if (text_width(title) + (cw ? cw + 1 : 0) <= room)
			break;
	}
	draw_box_role(c, r, title, p->focused, health);
	if (counts[0]) {
		int cw = text_width(counts);
		if (cw > room - 6)
			cw = room - 6;
		draw_text(c, r->y, r->x + r->w - 1 - cw, cw, counts,
			  health != ROLE_NORMAL ? console_attr(c, health)
						: console_attr(c, ROLE_TITLE));
	}

	bool bar = r->h - 2 >= 2;
	/* External Communications' reporting duties take the list's last
	 * rows (pane-reporting.c): the tasks have the rows above them. */
	int rows_all = ts->rows;
	ts->rows -= pane_reporting_draw(c, ts->id, r, ts->rows);
	/* Customer Relations' and Replacement's customers furthest behind,
	 * likewise (pane-customers.c). */
	ts->rows -= pane_customers_draw(c, ts->id, r, ts->rows);
	/* Compliance & Legal's action items, likewise (pane-actions.c). */
	ts->rows -= pane_actions_draw(c, ts->id, r, ts->rows);
	/* An exercise's injects to the team take the first rows (pane-injects.c). */
	int inj = pane_injects_draw(c, ts->id, r, ts->rows);
	ts->rows -= inj;
	/* The list may go on past what was read: scroll as far as sel. */
	int known = ts->more && ts->count <= ts->sel ? ts->sel + 1 : ts->count;
	ts->top = layout_scroll(ts->top, ts->sel, ts->rows, ts->more ? known + 1 : known);

	struct rows_ctx d = {
		.c = c, .ts = ts, .x = r->x + 1, .y0 = r->y + 1 + inj, .w = r->w - 2,
		/* An action item selected below the tasks has the highlight. */
		.focused = p->focused && !actions_selected(c, ts->id),
		.phase = c->st_ok ? c->st.phase : 0,
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
		draw_text(c, r->y + 1 + inj, r->x + 2, r->w - 4,
			  c->filter[0] ? "(no task matches the filter)" : "(nothing open)",
			  console_attr(c, ROLE_DIM));
	if (ts->more && ts->rows > 0)
		draw_text(c, r->y + r->h - 1, r->x + r->w - 9, 7, " more ", console_attr(c, ROLE_DIM));
	if (bar && team)
		draw_progress(c, r->y + r->h - 2, r->x + 1, r->w - 2, team->tasks_done,
			      team->tasks_total);
	ts->rows = rows_all;
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
	enum role health = team_health_role(&t->health);
	int nw = w / 3, left, level, col = 0;
	char counts[96];

	if (nw > 26)
		nw = 26;
	left = w - nw - 1;
	/* One column of counts for every team, so the bars line up: the
	 * longest wording that fits every team's in half the room. */
	for (level = 0; level < 3; level++) {
		col = 0;
		for (size_t k = 0; k < c->nt; k++) {
			int n = team_health_text(&c->teams[k].health, level, counts, sizeof counts);
			col = n > col ? n : col;
		}
		if (col + 2 <= left / 2)
			break;
	}
	if (col + 2 > left / 2)
		col = 0; /* too narrow: the colour alone */
	else if (col)
		col += 2;
	/* The name in the team's health colour, what needs someone, the bar. */
	draw_db(c, y, x, nw, t->name, A_BOLD | (health ? console_attr(c, health) : 0));
	if (col && team_health_text(&t->health, level, counts, sizeof counts))
		draw_text(c, y, x + nw + 1, col - 2, counts,
			  health ? console_attr(c, health) : A_BOLD);
	draw_progress(c, y, x + nw + 1 + col, left - col, t->tasks_done, t->tasks_total);
}

const struct pane_class pane_team_class = {
	.name = "team",
	.draw = team_draw,
	.key = team_key,
	.resize = team_resize,
	.free = free,
};
