/*
 * pane-facilitator.c: the facilitator's pane (warroom --facilitator), in
 * the numbers pane's place: the exercise's clock (speed, paused), then
 * the whole schedule of injects by due time, each with whether and when
 * it fired, and under each its expectations with their state and score
 * (met, late by how much, missed; open or overdue while unscored).
 * Keys, while it has the focus: p pauses or resumes the clock, + and -
 * double or halve its speed, f fires the selected inject now, n opens the
 * ':' line on "exercise observe " for a note.
 *
 * Drawn from the core each frame (core/inject.c, core/exercise.c); the
 * state is the selection and the scroll, and the selected inject's id so
 * that f names what was on the screen. Every text from the scenario is
 * escaped by draw_db.
 */
#include <stdlib.h>
#include <string.h>

#include "console.h"

#define FROW_MAX 512

struct frow {
	bool is_inject;
	char inject[64]; /* the inject's id (also an expectation's) */
};

struct fac_state {
	int sel, top, rows;
	int n; /* rows of the last frame */
	struct frow row[FROW_MAX];
};

void *pane_facilitator_new(void)
{
	return calloc(1, sizeof(struct fac_state));
}

static void fac_free(void *st)
{
	free(st);
}

static void fac_resize(struct pane *p, const struct lrect *r)
{
	struct fac_state *fs = p->st;
	fs->rows = r->h > 3 ? r->h - 3 : 0; /* the border and the clock's line */
}

/* The frame's rows, gathered then drawn: injects and their expectations. */
struct gather {
	struct console *c;
	struct fac_state *fs;
	const struct lrect *r;
	int y0;
	json_t *exp; /* the expectations, read once */
};

static void draw_row(struct gather *g, int i, enum role role, const char *lead, const char *text)
{
	struct fac_state *fs = g->fs;
	struct console *c = g->c;
	int y = g->y0 + i - fs->top, x = g->r->x + 1, w = g->r->w - 2;
	bool sel = g->c->pane[g->c->focus].st == fs && i == fs->sel;
	attr_t a = sel ? console_attr(c, ROLE_SEL) : console_attr(c, role);

	if (i < fs->top || i >= fs->top + fs->rows)
		return;
	if (sel)
		draw_fill(y, x, w, a);
	int used = draw_text(c, y, x, w, lead, a);
	if (text)
		draw_db(c, y, x + used, w - used, text, a);
}

static void add_row(struct gather *g, bool is_inject, const char *inject)
{
	struct fac_state *fs = g->fs;

	if (fs->n >= FROW_MAX)
		return;
	fs->row[fs->n].is_inject = is_inject;
	snprintf(fs->row[fs->n].inject, sizeof fs->row[fs->n].inject, "%s", inject);
	fs->n++;
}

static int exp_collect(const struct wr_expectation *e, void *arg)
{
	json_t *o =
	    json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:I}", "id", (json_int_t)e->id, "inject",
		      e->inject_id, "kind", e->kind, "state", e->state, "description",
		      e->description, "late_by", (json_int_t)e->late_by, "due", (json_int_t)e->due);
	if (o)
		json_array_append_new(arg, o);
	return 0;
}

static int inject_row(const struct wr_inject *in, void *arg)
{
	struct gather *g = arg;
	struct console *c = g->c;
	char lead[192], due[WR_TIME_BUFSZ] = "", fired[WR_TIME_BUFSZ] = "";
	char *id = wr_esc_term(in->id), *team = wr_esc_term(in->team ? in->team : "all");
	char *eff = wr_esc_term(in->effect ? in->effect : "-");

	if (in->due)
		wr_time_format(in->due, due);
	if (in->fired_at)
		wr_time_format(in->fired_at, fired);
	/* "[x] 09:00 i1  management  more-certs  " and the message. */
	snprintf(lead, sizeof lead, "%s %-5.5s %-8.8s %-11.11s %-12.12s ",
		 in->fired_at ? "[x]" : "[ ]", in->due ? due + 11 : "hand", id ? id : "?",
		 team ? team : "?", eff ? eff : "?");
	free(id);
	free(team);
	free(eff);
	int i = g->fs->n;
	add_row(g, true, in->id);
	draw_row(g, i, in->fired_at ? ROLE_NORMAL : ROLE_DIM, lead, in->message);

	size_t k;
	json_t *e;
	json_array_foreach(g->exp, k, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "inject")), in->id) != 0)
			continue;
		const char *state = json_string_value(json_object_get(e, "state"));
		int64_t late = json_integer_value(json_object_get(e, "late_by"));
		int64_t edue = json_integer_value(json_object_get(e, "due"));
		char st[64], b[WR_TIME_BUFSZ], d[WR_TIME_BUFSZ];
		enum role role = ROLE_DIM;
		if (strcmp(state, "met") == 0)
			role = ROLE_OK;
		else if (strcmp(state, "late") == 0)
			role = ROLE_WARN;
		else if (strcmp(state, "missed") == 0 || strcmp(state, "overdue") == 0)
			role = ROLE_ALERT;
		else if (strcmp(state, "open") == 0)
			role = ROLE_NORMAL;
		if (late)
			snprintf(st, sizeof st, "late %s", wr_duration_format(late, b));
		else if (strcmp(state, "open") == 0 && edue)
			snprintf(st, sizeof st, "open to %.5s", wr_time_format(edue, d) + 11);
		else
			snprintf(st, sizeof st, "%s", state);
		char *kind = wr_esc_term(json_string_value(json_object_get(e, "kind")));
		snprintf(lead, sizeof lead, "    #%-3lld %-18.18s %-14.14s ",
			 (long long)json_integer_value(json_object_get(e, "id")), kind ? kind : "?",
			 st);
		free(kind);
		i = g->fs->n;
		add_row(g, false, in->id);
		draw_row(g, i, role, lead, json_string_value(json_object_get(e, "description")));
	}
	(void)c;
	return 0;
}

static void fac_draw(struct pane *p, struct console *c)
{
	struct fac_state *fs = p->st;
	const struct lrect *r = &p->r;
	struct wr_exercise x;
	char line[160];

	if (r->h < 4 || r->w < 20)
		return;
	draw_box(c, r, " Facilitator: schedule and expectations ", p->focused);
	if (wr_exercise_get(c->db, &x) == 0) {
		snprintf(line, sizeof line, "x%g %s   p pause/resume  +/- speed  f fire  n note",
			 x.speed,
			 x.ended_at ? "ENDED"
			 : x.paused ? "PAUSED"
				    : "running");
		draw_text(c, r->y + 1, r->x + 1, r->w - 2, line,
			  console_attr(c, x.paused || x.ended_at ? ROLE_WARN : ROLE_TITLE));
	}
	struct gather g = {.c = c, .fs = fs, .r = r, .y0 = r->y + 2, .exp = json_array()};
	if (!g.exp)
		return;
	/* The selection shown: scroll first, with the last frame's count. */
	fs->top = layout_scroll(fs->top, fs->sel, fs->rows, fs->n);
	fs->n = 0;
	if (wr_expect_foreach(c->db, exp_collect, g.exp) < 0 ||
	    wr_inject_foreach(c->db, true, inject_row, &g) < 0)
		console_message(c, ROLE_ALERT, "%s", wr_db_errmsg(c->db));
	json_decref(g.exp);
	if (fs->n == 0)
		draw_text(c, r->y + 2, r->x + 2, r->w - 4, "(no injects in this exercise)",
			  console_attr(c, ROLE_DIM));
	if (fs->sel >= fs->n && fs->n > 0) {
		fs->sel = fs->n - 1;
		c->dirty = true;
	}
}

static int fac_key(struct pane *p, struct console *c, enum pane_act act)
{
	struct fac_state *fs = p->st;
	int page = fs->rows > 1 ? fs->rows - 1 : 1;

	(void)c;
	switch (act) {
	case ACT_UP:
		if (fs->sel <= 0)
			return 1;
		fs->sel--;
		return 0;
	case ACT_DOWN:
		if (fs->sel >= fs->n - 1)
			return 1;
		fs->sel++;
		return 0;
	case ACT_PGUP: fs->sel = fs->sel > page ? fs->sel - page : 0; return 0;
	case ACT_PGDN: fs->sel = fs->sel + page < fs->n ? fs->sel + page : fs->n - 1; return 0;
	case ACT_HOME: fs->sel = 0; return 0;
	default: return 1;
	}
}

const struct pane_class pane_facilitator_class = {
    .name = "facilitator",
    .draw = fac_draw,
    .key = fac_key,
    .resize = fac_resize,
    .free = fac_free,
};

/* A core call's outcome on the status line: done, or its message
 * (another writer in the way says so: the key can be pressed again). */
static void report(struct console *c, int rc, const char *done)
{
	if (rc == 0)
		console_message(c, ROLE_OK, "%s", done);
	else if (rc == WR_EBUSY)
		console_message(c, ROLE_WARN, "another process is writing; press the key again");
	else
		console_message(c, ROLE_ALERT, "%s", wr_db_errmsg(c->db));
	c->own_writes++;
}

bool facilitator_key(struct console *c, int key)
{
	struct fac_state *fs = c->pane[c->focus].st;
	struct wr_exercise x;
	int rc;

	switch (key) {
	case 'p':
		if ((rc = wr_exercise_get(c->db, &x))) {
			report(c, rc, "");
		} else if (x.paused) {
			rc = wr_exercise_resume(c->db);
			report(c, rc, "the exercise's clock runs again");
		} else {
			rc = wr_exercise_pause(c->db);
			report(c, rc, "the exercise's clock is paused");
		}
		return true;
	case '+':
	case '-': {
		if ((rc = wr_exercise_get(c->db, &x))) {
			report(c, rc, "");
			return true;
		}
		double s = key == '+' ? x.speed * 2 : x.speed / 2;
		if (s > WR_EXERCISE_SPEED_MAX)
			s = WR_EXERCISE_SPEED_MAX;
		if (s < WR_EXERCISE_SPEED_MIN)
			s = WR_EXERCISE_SPEED_MIN;
		char done[64];
		snprintf(done, sizeof done, "the exercise runs at x%g", s);
		report(c, wr_exercise_set_speed(c->db, s), done);
		return true;
	}
	case 'f': {
		if (fs->sel < 0 || fs->sel >= fs->n) {
			console_message(c, ROLE_DIM, "no inject selected");
			return true;
		}
		const char *id = fs->row[fs->sel].inject;
		rc = wr_inject_fire(c->db, id);
		char *e = wr_esc_term(id), done[128];
		snprintf(done, sizeof done, "fired inject %s", e ? e : "?");
		free(e);
		report(c, rc, done);
		return true;
	}
	case 'n': {
		/* The ':' line, begun: the note is typed there, Enter records it. */
		static const char pre[] = "exercise observe ";
		cmdline_open(c, ':');
		for (const char *q = pre; *q; q++)
			cmdline_key(c, (unsigned char)*q);
		return true;
	}
	default: return false;
	}
}
