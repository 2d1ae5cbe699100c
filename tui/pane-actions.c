/*
 * pane-actions.c: the action items (core/finding.c) at the foot of
 * Compliance & Legal's pane, laid out as its task rows are: the status
 * as a box ([ ] ongoing, [!] delayed, [x] complete, [-] canceled), the
 * title, and the due date, red when an open one is past it. Open items
 * first, each group by due date; half the pane's rows at most, scrolled
 * to keep the selected one in view.
 *
 * They are selected with the keys that select tasks: j (Down) past the
 * pane's last task selects the first item, k (Up) above the first gives
 * the selection back to the tasks, a click selects the item clicked.
 * Space completes the selected item, or makes a complete or canceled one
 * ongoing again; s puts "action set ID --status " on the ':' line for
 * any status; Enter opens its fields and history in the detail overlay
 * (pane-task.c draws it from action_show_text). Changes run the very
 * command `warroom action set` runs, through the ':' line (cmdline_run):
 * the core decides who may, and a refusal reads as on the command line.
 *
 * Holds nothing between frames but the selection (c->asel: the item's
 * id, so that it follows the item when its status moves it, and where
 * the last frame drew the rows); asks the core each frame and each key
 * (a handful of rows in a small table).
 */
#include <stdlib.h>
#include <string.h>

#include "console.h"

#define TEAM      "compliance-legal"
#define MAX_ROWS  8
#define MAX_ITEMS 1000 /* read at most: a list to act on, not a table to page */

struct item {
	char *title;
	char status[12];
	int64_t id, due;
};

struct items {
	struct item *v;
	int n, cap, open;
	bool want_open; /* this pass takes the open ones, the next the rest */
	bool nomem;
};

static bool is_open(const char *status)
{
	return strcmp(status, "ongoing") == 0 || strcmp(status, "delayed") == 0;
}

static int collect(const struct wr_action *a, void *arg)
{
	struct items *it = arg;
	bool open = is_open(a->status);

	it->open += open && it->want_open;
	if (open != it->want_open || it->n >= MAX_ITEMS)
		return 0;
	if (it->n == it->cap) {
		int cap = it->cap ? it->cap * 2 : 16;
		struct item *nv = realloc(it->v, (size_t)cap * sizeof *nv);
		if (!nv) {
			it->nomem = true;
			return 0;
		}
		it->v = nv;
		it->cap = cap;
	}
	struct item *i = &it->v[it->n++];
	i->title = strdup(a->title ? a->title : "");
	snprintf(i->status, sizeof i->status, "%s", a->status);
	i->id = a->id;
	i->due = a->due;
	return 0;
}

static void items_free(struct items *it)
{
	for (int i = 0; i < it->n; i++)
		free(it->v[i].title);
	free(it->v);
	memset(it, 0, sizeof *it);
}

/* Every item in the order shown: open ones first, each group by due date. */
static int items_read(struct wr_db *db, struct items *it)
{
	memset(it, 0, sizeof *it);
	it->want_open = true;
	int rc = wr_action_foreach(db, collect, it);
	it->want_open = false;
	if (!rc)
		rc = wr_action_foreach(db, collect, it);
	return rc;
}

static int items_find(const struct items *it, int64_t id)
{
	for (int i = 0; i < it->n; i++)
		if (it->v[i].id == id)
			return i;
	return -1;
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

static bool is_ours(const struct pane *p)
{
	return p->cls == &pane_team_class && strcmp(pane_team_id(p), TEAM) == 0;
}

bool actions_selected(const struct console *c, const char *team)
{
	return c->asel.id && strcmp(team, TEAM) == 0;
}

int pane_actions_draw(struct console *c, const char *team, const struct lrect *r, int rows)
{
	struct action_sel *s = &c->asel;
	struct items it = {.n = 0};
	struct task_cols k;
	char rule[96], b[32];

	if (strcmp(team, TEAM) != 0)
		return 0;
	int take = rows / 2;
	s->shown = 0;
	if (take < 2 || r->w < 24 || items_read(c->db, &it) || it.n == 0) {
		/* None recorded, or no room: the tasks keep every row, and
		 * the selection. */
		items_free(&it);
		s->id = 0;
		return 0;
	}
	if (take - 1 > MAX_ROWS)
		take = MAX_ROWS + 1;
	int shown = it.n < take - 1 ? it.n : take - 1;
	if (s->id) {
		/* The item selected, wherever its status moved it; gone, the
		 * one now at its place. */
		int at = items_find(&it, s->id);
		s->idx = at >= 0 ? at : s->idx < it.n ? s->idx : it.n - 1;
		s->id = it.v[s->idx].id;
		s->top = layout_scroll(s->top, s->idx, shown, it.n);
	} else {
		s->top = 0;
	}
	s->total = it.n;
	s->shown = shown;
	int x = r->x + 1, w = r->w - 2, y = r->y + 1 + rows - (shown + 1);
	s->y = y + 1;
	bool focused = c->pane[c->focus].st && is_ours(&c->pane[c->focus]) &&
		       c->pane[c->focus].focused && !c->wall;

	layout_task_cols(w, 2, &k);
	int n = snprintf(rule, sizeof rule, " Action items: %d open of %d ", it.open, it.n);
	if (shown < it.n && n > 0 && (size_t)n < sizeof rule)
		snprintf(rule + n - 1, sizeof rule - (size_t)n + 1, ", %d-%d shown ", s->top + 1,
			 s->top + shown);
	attr_t dim = console_attr(c, ROLE_DIM);
	for (int i = 0; i < w; i++)
		draw_text(c, y, x + i, 1, glyph_hline(c), dim);
	draw_text(c, y, x + 1, w - 2, rule, console_attr(c, ROLE_TITLE));
	for (int i = 0; i < shown; i++) {
		const struct item *a = &it.v[s->top + i];
		bool open = is_open(a->status);
		bool late = open && a->due < c->frame_now;
		bool sel = focused && s->id == a->id;
		attr_t base = sel ? console_attr(c, ROLE_SEL) : open ? A_NORMAL : dim;
		int yy = s->y + i;
		if (sel)
			draw_fill(yy, x, w, base);
		/* "A1": an action item's number, never taken for a task's. */
		snprintf(b, sizeof b, "A%lld", (long long)a->id);
		draw_text(c, yy, x + k.id_x, k.id_w, b, sel ? base : dim);
		if (sel) /* the cursor, visible without attributes too */
			draw_text(c, yy, x + k.id_w, 1, ">", base);
		bool delayed = strcmp(a->status, "delayed") == 0;
		attr_t box = delayed ? console_attr(c, ROLE_WARN) | A_BOLD : base | A_BOLD;
		draw_text(c, yy, x + k.box_x, 3, status_box(a->status), sel ? base : box);
		int tw = k.title_w + (k.owner_w ? k.owner_w + 1 : 0);
		draw_db(c, yy, x + k.title_x, tw, a->title ? a->title : "?", base);
		if (k.due_w) {
			layout_fmt_due(a->due, c->frame_now, b, sizeof b);
			if (late)
				strcat(b, "!");
			draw_text(c, yy, x + k.due_x, k.due_w, b,
				  late ? base | console_attr(c, ROLE_ALERT) : base);
		}
	}
	items_free(&it);
	return shown + 1;
}

/* ---- keys ------------------------------------------------------------------- */

/* Selects the item at idx (clamped) of the list as it is now. */
static void select_at(struct console *c, int idx)
{
	struct action_sel *s = &c->asel;
	struct items it = {.n = 0};

	if (items_read(c->db, &it) == 0 && it.n > 0) {
		s->idx = idx < 0 ? 0 : idx < it.n ? idx : it.n - 1;
		s->id = it.v[s->idx].id;
		s->total = it.n;
	}
	items_free(&it);
}

struct look {
	char status[12];
	bool found;
};

static int look_cb(const struct wr_action *a, void *arg)
{
	struct look *l = arg;
	snprintf(l->status, sizeof l->status, "%s", a->status);
	l->found = true;
	return 0;
}

/* Space: the very command `warroom action set` is, so that the core's
 * refusal, a busy database's retry and the answer read as they do on
 * the ':' line. */
static void tick(struct console *c)
{
	struct look l = {.found = false};
	char line[96];

	if (wr_action_get(c->db, c->asel.id, look_cb, &l) || !l.found) {
		console_message(c, ROLE_ALERT, "action item %lld: %s", (long long)c->asel.id,
				l.found ? wr_db_errmsg(c->db) : "no longer there");
		return;
	}
	snprintf(line, sizeof line, "action set %lld --status %s", (long long)c->asel.id,
		 is_open(l.status) ? "complete" : "ongoing");
	cmdline_run(c, line);
}

int actions_key(struct console *c, struct pane *p, enum pane_act act)
{
	struct action_sel *s = &c->asel;
	int page = s->shown > 1 ? s->shown - 1 : 1;

	if (!is_ours(p))
		return -1;
	if (!s->id) {
		/* Past the last task, the first action item. */
		if (act != ACT_DOWN || !s->shown || !p->cls->key)
			return -1;
		if (!p->cls->key(p, c, ACT_DOWN))
			return 0;
		select_at(c, 0);
		return s->id ? 0 : 1;
	}
	switch (act) {
	case ACT_UP:
		if (s->idx > 0)
			select_at(c, s->idx - 1);
		else
			s->id = 0; /* back to the tasks, at the last one */
		return 0;
	case ACT_DOWN:
		if (s->idx >= s->total - 1)
			return 1;
		select_at(c, s->idx + 1);
		return 0;
	case ACT_PGUP:
		if (s->idx == 0) {
			s->id = 0;
			return -1; /* and the tasks go a page up */
		}
		select_at(c, s->idx > page ? s->idx - page : 0);
		return 0;
	case ACT_PGDN: select_at(c, s->idx + page); return 0;
	case ACT_HOME: s->id = 0; return -1; /* the first task */
	case ACT_TICK:
		if (c->wall)
			console_message(c, ROLE_DIM, "the wall is read-only");
		else
			tick(c);
		return 0;
	}
	return -1;
}

bool actions_click(struct console *c, struct pane *p, int y)
{
	struct action_sel *s = &c->asel;

	if (!is_ours(p))
		return false;
	if (s->shown && y >= s->y && y < s->y + s->shown) {
		select_at(c, s->top + y - s->y);
		return true;
	}
	s->id = 0; /* a task's row: the tasks take the selection */
	return false;
}

bool actions_open(struct console *c)
{
	if (!c->asel.id || !is_ours(&c->pane[c->focus]))
		return false;
	c->detail = c->asel.id;
	c->detail_action = true;
	c->detail_top = 0;
	return true;
}

void act_action_status(struct console *c, int key)
{
	char line[64];

	(void)key;
	if (!c->asel.id || !is_ours(&c->pane[c->focus])) {
		console_message(c, ROLE_DIM,
				"s sets an action item's status: select one in Compliance &"
				" Legal's pane first (j past its tasks)");
		return;
	}
	cmdline_open(c, ':');
	if (!cmdline_editing(c))
		return;
	snprintf(line, sizeof line, "action set %lld --status ", (long long)c->asel.id);
	for (const char *k = line; *k; k++)
		cmdline_key(c, (unsigned char)*k);
	console_message(c, ROLE_DIM, "ongoing, complete, delayed or canceled; Enter sets it");
}

/* ---- the detail overlay's text ---------------------------------------------------- */

struct show {
	struct wr_db *db;
	FILE *f;
	int64_t now;
	bool found;
};

static int show_action(const struct wr_action *a, void *arg)
{
	struct show *g = arg;
	FILE *f = g->f;
	char b[WR_TIME_BUFSZ];

	g->found = true;
	fprintf(f, "action %lld %s ", (long long)a->id, status_box(a->status));
	out_term(f, a->title);
	fprintf(f, "\n%-9s %s\n", "kind", a->kind);
	fprintf(f, "%-9s %s\n", "status", a->status);
	fprintf(f, "%-9s %s%s\n", "due", wr_time_format(a->due, b),
		is_open(a->status) && a->due < g->now ? " (overdue)" : "");
	fprintf(f, "%-9s %s by ", "added", wr_time_format(a->created_at, b));
	out_term(f, a->created_by ? a->created_by : "?");
	fputs("\nroot cause:\n  ", f);
	out_term(f, a->root_cause);
	fputs("\nevaluation criteria:\n  ", f);
	out_term(f, a->criteria);
	fputc('\n', f);
	return 0;
}

static int show_event(const struct wr_event *e, void *arg)
{
	struct show *g = arg;
	char b[WR_TIME_BUFSZ];
	char *s = wr_event_sentence_dup(g->db, e, 0);

	if (!s)
		return WR_ENOMEM;
	fprintf(g->f, "  %s ", wr_time_format(e->at, b));
	out_term(g->f, s); /* the sentence is raw: titles as typed */
	fputc('\n', g->f);
	free(s);
	return 0;
}

int action_show_text(struct wr_db *db, int64_t id, FILE *f)
{
	struct show g = {.db = db, .f = f, .now = wr_clock_now(db)};
	int rc;

	if ((rc = wr_action_get(db, id, show_action, &g)))
		return rc;
	if (!g.found) {
		fprintf(f, "no action item %lld\n", (long long)id);
		return 0;
	}
	fputs("history:\n", f);
	return wr_action_history(db, id, show_event, &g);
}
