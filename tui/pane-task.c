/*
 * pane-task.c: the task detail overlay. Enter on a team pane's selected
 * task opens it: the title in full, team, phase, owner, due, done, the
 * block and its reason, the notes with author and time, and the history.
 * An action item selected in Compliance & Legal's pane opens the same way
 * (action_show_text, pane-actions.c).
 * Up/Down, j/k, PgUp/PgDn, Home/End scroll it; Esc, q or Enter close it;
 * any other key closes it and acts as usual (as the command output does).
 *
 * It keeps only the task's id and the scroll: each frame draws the task
 * afresh from the core through task_show_text, the very text `task show`
 * prints (already escaped), so a note added elsewhere shows within the
 * second and the two never disagree. Long lines wrap at a word to the
 * overlay's width, under their field.
 */
#include <stdlib.h>
#include <string.h>

#include "console.h"

#define DETAIL_MAX_W 100 /* columns: a comfortable line, not the whole wall */
#define DETAIL_MAX_ROWS 2000

struct row {
	const char *s; /* into the text; not NUL-terminated at len */
	size_t len;
	int indent; /* columns of blank before it */
	enum role role;
};

struct rows {
	struct row *v;
	int n, cap;
};

static void rows_add(struct rows *r, const char *s, size_t len, int indent, enum role role)
{
	if (r->n == r->cap) {
		int cap = r->cap ? r->cap * 2 : 64;
		if (cap > DETAIL_MAX_ROWS)
			return;
		struct row *nv = realloc(r->v, (size_t)cap * sizeof *nv);
		if (!nv)
			return;
		r->v = nv;
		r->cap = cap;
	}
	r->v[r->n++] = (struct row){s, len, indent, role};
}

/* Where a wrapped line's continuation starts: under the title on the
 * first line ("task 3 [ ] "), under the value of a "label     value" field,
 * two columns in for a note or an event. */
static int hang(const char *line)
{
	if (strncmp(line, "task ", 5) == 0 || strncmp(line, "action ", 7) == 0) {
		const char *b = strstr(line, "] ");
		return b ? (int)(b - line) + 2 : 4;
	}
	if (line[0] == ' ')
		return 4;
	if (strlen(line) > 10 && line[9] == ' ')
		return 10;
	return 2;
}

/* Splits line into rows of at most w columns, at a space when there is
 * one (the line is NUL-terminated). */
static void wrap(struct rows *r, char *line, int w, enum role role)
{
	int ind = 0, h = hang(line);
	char *p = line;

	if (h > w / 2)
		h = w / 2;
	for (;;) {
		int room = w - ind;
		size_t fit = text_fit(p, room > 1 ? room : 1);
		if (!p[fit]) {
			rows_add(r, p, strlen(p), ind, role);
			return;
		}
		size_t cut = fit;
		while (cut > 0 && p[cut] != ' ')
			cut--;
		if (cut == 0)
			cut = fit ? fit : 1; /* one word longer than the line */
		rows_add(r, p, cut, ind, role);
		p += cut;
		while (*p == ' ')
			p++;
		if (!*p)
			return;
		ind = h;
	}
}

static enum role line_role(const char *line)
{
	if (!strcmp(line, "notes:") || !strcmp(line, "history:") || !strcmp(line, "root cause:") ||
	    !strcmp(line, "evaluation criteria:"))
		return ROLE_TITLE;
	if (strncmp(line, "blocked   ", 10) == 0 && strcmp(line + 10, "no") != 0)
		return ROLE_WARN;
	if (strncmp(line, "due ", 4) == 0 && strstr(line, "(overdue)"))
		return ROLE_ALERT;
	return ROLE_NORMAL;
}

void detail_draw(struct console *c)
{
	const struct lrect *b = &c->lay.body;
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	struct rows rows = {0};
	struct lrect r;
	char title[64];
	int rc;

	if (!m)
		return;
	/* An action item's (pane-actions.c) reads as a task's does. */
	rc = c->detail_action ? action_show_text(c->db, c->detail, m)
			      : task_show_text(c->db, c->detail, m);
	fclose(m);
	if (rc) {
		free(text);
		text = strdup(wr_db_errmsg(c->db));
		if (!text)
			return;
	}
	r.w = b->w < DETAIL_MAX_W ? b->w : DETAIL_MAX_W;
	int w = r.w - 4;
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		wrap(&rows, line, w, rc ? ROLE_ALERT : line_role(line));
		line = nl ? nl + 1 : NULL;
	}
	r.h = rows.n + 3 < b->h ? rows.n + 3 : b->h;
	r.x = b->x + (b->w - r.w) / 2;
	r.y = b->y + (b->h - r.h) / 2;
	int shown = r.h - 3;
	if (c->detail_top > rows.n - shown)
		c->detail_top = rows.n - shown;
	if (c->detail_top < 0)
		c->detail_top = 0;
	for (int y = r.y; y < r.y + r.h; y++)
		draw_fill(y, r.x, r.w, A_NORMAL);
	snprintf(title, sizeof title, c->detail_action ? " Action item %lld " : " Task %lld ",
		 (long long)c->detail);
	draw_box(c, &r, title, true);
	for (int i = 0; i < shown && c->detail_top + i < rows.n; i++) {
		const struct row *o = &rows.v[c->detail_top + i];
		char save = o->s[o->len];
		/* The text is ours (a copy from the memstream): cut in place. */
		((char *)o->s)[o->len] = '\0';
		draw_text(c, r.y + 1 + i, r.x + 2 + o->indent, w - o->indent, o->s,
			  console_attr(c, o->role));
		((char *)o->s)[o->len] = save;
	}
	char foot[96];
	snprintf(foot, sizeof foot, " %d/%d  Up/Down PgUp/PgDn scroll, Esc closes ",
		 c->detail_top + shown < rows.n ? c->detail_top + shown : rows.n, rows.n);
	draw_text(c, r.y + r.h - 2, r.x + 2, w, foot, console_attr(c, ROLE_DIM));
	free(rows.v);
	free(text);
}

void detail_key(struct console *c, int key)
{
	int page = c->lay.body.h > 6 ? c->lay.body.h - 4 : 1;

	switch (key) {
	case KEY_FN(KEY_UP):
	case 'k':
		if (c->detail_top > 0)
			c->detail_top--;
		return;
	case KEY_FN(KEY_DOWN):
	case 'j': c->detail_top++; return; /* detail_draw clamps */
	case KEY_FN(KEY_PPAGE):
		c->detail_top = c->detail_top > page ? c->detail_top - page : 0;
		return;
	case KEY_FN(KEY_NPAGE): c->detail_top += page; return;
	case KEY_FN(KEY_HOME):
	case 'g': c->detail_top = 0; return;
	case KEY_FN(KEY_END):
	case 'G': c->detail_top = DETAIL_MAX_ROWS; return;
	case KEY_ESCAPE:
	case 'q':
	case '\n': c->detail = 0; return;
	default:
		/* Any other key closes the detail and acts as usual. */
		c->detail = 0;
		console_key(c, key);
		return;
	}
}

void act_detail(struct console *c, int key)
{
	const struct pane *p = &c->pane[c->focus];
	int64_t id = pane_team_selected(p);

	if (actions_open(c))
		return;
	c->detail_action = false;
	if (p->cls != &pane_team_class) {
		/* The numbers and the timeline have no detail: Enter zooms. */
		act_zoom(c, key);
		return;
	}
	if (!id) {
		console_message(c, ROLE_DIM, "no task selected");
		return;
	}
	c->detail = id;
	c->detail_top = 0;
}
