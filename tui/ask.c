/*
 * ask.c: the console's y/N questions, and `u`, which undoes your last
 * tick.
 *
 * A question (confirm.c decides what asks) takes the bottom row, where
 * the ':' line was typed: "Close the incident with 1,234 certificates
 * pending? [y/N]". The next key answers it: y (or Y) does it, any other
 * key does nothing but say so. Meanwhile the screen keeps its tick. A
 * ':' command that asked runs again, confirmed (ctx->yes, for that one
 * command); space on another team's pane ticks once confirmed.
 *
 * `u` reopens the newest task that this user ticked since this console
 * opened and that is still done by them: ticks from the space bar and
 * from ':task done' alike, one more each time u is pressed. An older
 * tick, from before the console opened, is left alone: 'task reopen'
 * reaches it. The events say what was ticked; nothing is kept here but
 * the newest event's id at the start.
 */
#include <stdlib.h>
#include <string.h>

#include "console.h"

struct ask {
	bool on;
	char question[512]; /* escaped */
	char *line;         /* a ':' line to run again, confirmed; or NULL */
	int pane;           /* else the team pane whose selected task to tick */
	int64_t task;       /* ... and that task */
	int64_t since;      /* the newest event when the console opened */
};

static int newest_cb(const struct wr_event *e, void *arg)
{
	*(int64_t *)arg = e->id;
	return 0;
}

struct ask *ask_new(struct wr_db *db)
{
	struct ask *a = calloc(1, sizeof *a);

	if (a && wr_event_foreach(db, 1, true, NULL, newest_cb, &a->since))
		a->since = 0; /* unreadable: every tick of this user counts */
	return a;
}

void ask_free(struct ask *a)
{
	if (!a)
		return;
	free(a->line);
	free(a);
}

bool ask_pending(const struct console *c)
{
	return c->ask && c->ask->on;
}

void ask_line(struct console *c, const char *question, const char *line)
{
	struct ask *a = c->ask;

	if (!a)
		return;
	free(a->line);
	a->line = strdup(line);
	snprintf(a->question, sizeof a->question, "%s", question);
	a->on = a->line != NULL;
}

struct look {
	char *title; /* escaped, malloc'd */
	bool done, found;
};

static int look_cb(const struct wr_task *t, void *arg)
{
	struct look *l = arg;
	l->title = wr_esc_term(t->title);
	l->done = t->done_at != 0;
	l->found = true;
	return 0;
}

bool ask_tick(struct console *c)
{
	struct ask *a = c->ask;
	struct pane *p = &c->pane[c->focus];
	struct look l = {0};
	char what[320];
	int64_t id;

	if (!a || c->wall || p->cls != &pane_team_class || !(id = pane_team_selected(p)))
		return false;
	if (wr_task_get(c->db, id, look_cb, &l) || !l.found) {
		free(l.title);
		return false;
	}
	snprintf(what, sizeof what, "%s task %lld \"\"", l.done ? "Untick" : "Tick", (long long)id);
	if (!cmd_tick_question(c->ctx, pane_team_id(p), what, a->question, sizeof a->question)) {
		free(l.title);
		return false;
	}
	/* The question fits the row: the title gives way, cut with an ellipsis. */
	int room = COLS - 9 - text_width(a->question), tw = l.title ? text_width(l.title) : 0;
	char title[256];
	if (room < 8)
		room = 8;
	if (tw > room)
		snprintf(title, sizeof title, "%.*s%s",
			 (int)text_fit(l.title, room - (c->utf8 ? 1 : 3)), l.title,
			 c->utf8 ? "\xe2\x80\xa6" : "...");
	else
		snprintf(title, sizeof title, "%s", l.title ? l.title : "?");
	free(l.title);
	snprintf(what, sizeof what, "%s task %lld \"%s\"", l.done ? "Untick" : "Tick",
		 (long long)id, title);
	cmd_tick_question(c->ctx, pane_team_id(p), what, a->question, sizeof a->question);
	free(a->line);
	a->line = NULL;
	a->pane = c->focus;
	a->task = id;
	a->on = true;
	return true;
}

void ask_key(struct console *c, int key)
{
	struct ask *a = c->ask;

	a->on = false;
	if (key != 'y' && key != 'Y') {
		console_message(c, ROLE_DIM, "not confirmed; nothing done");
		return;
	}
	if (a->line) {
		char *line = a->line;
		a->line = NULL;
		c->ctx->yes = true; /* for this one command (cmd_run clears it) */
		cmdline_run(c, line);
		c->ctx->yes = false;
		free(line);
		return;
	}
	/* The pane ticks its selected task: still the one asked about? */
	struct pane *p = &c->pane[a->pane];
	if (a->pane != c->focus || p->cls != &pane_team_class || pane_team_selected(p) != a->task) {
		console_message(c, ROLE_ALERT, "task %lld is no longer selected; nothing done",
				(long long)a->task);
		return;
	}
	p->cls->key(p, c, ACT_TICK);
}

void ask_draw(struct console *c, const struct lrect *r)
{
	int x = r->x + 1, right = r->x + r->w;

	draw_fill(r->y, r->x, r->w, A_NORMAL);
	x += draw_text(c, r->y, x, right - x - 7, c->ask->question, console_attr(c, ROLE_ALERT));
	if (x < right)
		x += draw_text(c, r->y, x, right - x, " ", A_NORMAL);
	if (x < right)
		draw_text(c, r->y, x, right - x, "[y/N]", console_attr(c, ROLE_KEY) | A_REVERSE);
}

/* ---- u: undo your last tick ------------------------------------------------------ */

struct undo {
	struct console *c;
	const char *me;
	int64_t since, task;
	char *title; /* the task's, escaped */
};

static int undo_task_cb(const struct wr_task *t, void *arg)
{
	struct undo *u = arg;
	/* Still done, and by this user: not undone or redone since. */
	if (t->done_at && t->done_by && strcmp(t->done_by, u->me) == 0) {
		u->task = t->id;
		u->title = wr_esc_term(t->title);
	}
	return 0;
}

static int undo_event_cb(const struct wr_event *e, void *arg)
{
	struct undo *u = arg;

	if (e->id <= u->since)
		return 1; /* older than this console: stop */
	if (strcmp(e->action, "task-done") != 0 || strcmp(e->actor, u->me) != 0)
		return 0;
	json_error_t jerr;
	json_t *d = json_loads(e->details ? e->details : "{}", 0, &jerr);
	json_int_t id = json_integer_value(json_object_get(d, "task"));
	json_decref(d);
	if (id > 0)
		wr_task_get(u->c->db, id, undo_task_cb, u);
	return u->task ? 1 : 0;
}

void act_undo(struct console *c, int key)
{
	(void)key;
	struct undo u = {.c = c, .me = wr_db_actor(c->db), .since = c->ask ? c->ask->since : 0};
	int rc = wr_event_foreach(c->db, 0, true, "task-done", undo_event_cb, &u);

	if (rc < 0) {
		console_message(c, ROLE_ALERT, "%s", wr_db_errmsg(c->db));
	} else if (!u.task) {
		console_message(c, ROLE_DIM,
				"nothing to undo: no tick of yours since this console"
				" opened is still done");
	} else if ((rc = wr_task_reopen(c->db, u.task))) {
		console_message(c, ROLE_ALERT, "task %lld: %s", (long long)u.task,
				wr_db_errmsg(c->db));
	} else {
		c->own_writes++;
		/* The title was escaped: the message is drawn as it is. */
		char m[512];
		snprintf(m, sizeof m, "undone: your tick of task %lld \"%s\"; it is open again",
			 (long long)u.task, u.title ? u.title : "?");
		console_message_text(c, ROLE_OK, m);
	}
	free(u.title);
}
