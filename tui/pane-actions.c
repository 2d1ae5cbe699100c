/*
 * pane-actions.c: the action items (core/finding.c) at the foot of
 * Compliance & Legal's pane, laid out as its task rows are: the status
 * as a box ([ ] ongoing, [!] delayed, [x] complete, [-] canceled), the
 * title, and the due date, red when an open one is past it. Open items
 * first, each group by due date; half the pane's rows at most.
 *
 * Holds nothing between frames; asks the core each frame (a handful of
 * rows in a small table).
 */
#include <stdlib.h>
#include <string.h>

#include "console.h"

#define TEAM     "compliance-legal"
#define MAX_ROWS 8

struct item {
	char *title;
	char status[12];
	int64_t id, due;
};

struct items {
	struct item v[MAX_ROWS];
	int n, max, open, total;
	bool want_open; /* this pass takes the open ones, the next the rest */
};

static bool is_open(const char *status)
{
	return strcmp(status, "ongoing") == 0 || strcmp(status, "delayed") == 0;
}

static int collect(const struct wr_action *a, void *arg)
{
	struct items *it = arg;
	bool open = is_open(a->status);

	if (it->want_open) {
		it->total++;
		it->open += open;
	}
	if (open != it->want_open || it->n >= it->max)
		return 0;
	struct item *i = &it->v[it->n++];
	i->title = strdup(a->title);
	snprintf(i->status, sizeof i->status, "%s", a->status);
	i->id = a->id;
	i->due = a->due;
	return 0;
}

static const char *status_box(const char *status)
{
	if (strcmp(status, "delayed") == 0)
		return "[!]";
	if (strcmp(status, "complete") == 0)
		return "[x]";
	if (strcmp(status, "canceled") == 0)
		return "[-]";
	return "[ ]";
}

int pane_actions_draw(struct console *c, const char *team, const struct lrect *r, int rows)
{
	struct items it = {.n = 0};
	struct task_cols k;
	char rule[64], b[32];

	int take = rows / 2;
	if (strcmp(team, TEAM) != 0 || take < 2 || r->w < 24)
		return 0;
	if (take - 1 > MAX_ROWS)
		take = MAX_ROWS + 1;
	it.max = take - 1;
	it.want_open = true;
	int rc = wr_action_foreach(c->db, collect, &it);
	it.want_open = false;
	if (!rc)
		rc = wr_action_foreach(c->db, collect, &it);
	if (rc || it.n == 0) {
		for (int i = 0; i < it.n; i++)
			free(it.v[i].title);
		return 0; /* none recorded: the tasks keep every row */
	}
	int shown = it.n;
	int x = r->x + 1, w = r->w - 2, y = r->y + 1 + rows - (shown + 1);

	layout_task_cols(w, 2, &k);
	snprintf(rule, sizeof rule, " Action items: %d open of %d ", it.open, it.total);
	attr_t dim = console_attr(c, ROLE_DIM);
	for (int i = 0; i < w; i++)
		draw_text(c, y, x + i, 1, glyph_hline(c), dim);
	draw_text(c, y, x + 1, w - 2, rule, console_attr(c, ROLE_TITLE));
	for (int i = 0; i < shown; i++) {
		const struct item *a = &it.v[i];
		bool open = is_open(a->status);
		bool late = open && a->due < c->frame_now;
		attr_t base = open ? A_NORMAL : dim;
		int yy = y + 1 + i;
		/* "A1": an action item's number, never taken for a task's. */
		snprintf(b, sizeof b, "A%lld", (long long)a->id);
		draw_text(c, yy, x + k.id_x, k.id_w, b, dim);
		draw_text(c, yy, x + k.box_x, 3, status_box(a->status),
			  strcmp(a->status, "delayed") == 0 ? console_attr(c, ROLE_WARN) | A_BOLD
							    : base | A_BOLD);
		int tw = k.title_w + (k.owner_w ? k.owner_w + 1 : 0);
		draw_db(c, yy, x + k.title_x, tw, a->title ? a->title : "?", base);
		if (k.due_w) {
			layout_fmt_due(a->due, c->frame_now, b, sizeof b);
			if (late)
				strcat(b, "!");
			draw_text(c, yy, x + k.due_x, k.due_w, b,
				  late ? console_attr(c, ROLE_ALERT) : base);
		}
	}
	for (int i = 0; i < it.n; i++)
		free(it.v[i].title);
	return shown + 1;
}
