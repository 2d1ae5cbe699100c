/*
 * pane-injects.c: in a tabletop exercise, the injects fired to a team (or
 * to every team) as a banner over its pane's tasks: the newest first, for
 * INJECT_SHOWN simulated seconds after each fired, at most a third of the
 * pane. Participants learn of an inject here and in the timeline, never
 * before it fires (core/inject.c gives them only fired ones).
 *
 * One small read per team pane and frame; nothing on a database that is
 * no exercise (no inject ever fires there).
 */
#include <stdlib.h>
#include <string.h>

#include "console.h"

/* How long an inject stays over the tasks, in simulated time. */
#define INJECT_SHOWN    (2 * 3600)
#define INJECT_ROWS_MAX 3

struct ibanner {
	struct console *c;
	const struct lrect *r;
	int y, n, max;
};

static int row_cb(const struct wr_inject *in, void *arg)
{
	struct ibanner *b = arg;
	struct console *c = b->c;
	char t[WR_TIME_BUFSZ], head[96];
	int x = b->r->x + 1, w = b->r->w - 2;

	if (b->n >= b->max)
		return 1;
	/* "! 11:30 i1: ", then the message, escaped. */
	wr_time_format(in->fired_at, t);
	char *id = wr_esc_term(in->id);
	snprintf(head, sizeof head, "%s %.5s %s: ", c->utf8 ? "\xe2\x96\xb6" : "!", t + 11,
		 id ? id : "?");
	free(id);
	attr_t a = console_attr(c, b->n == 0 ? ROLE_WARN : ROLE_DIM);
	draw_fill(b->y + b->n, x, w, a);
	int used = draw_text(c, b->y + b->n, x, w, head, a | A_BOLD);
	draw_db(c, b->y + b->n, x + used, w - used, in->message, a);
	b->n++;
	return 0;
}

int pane_injects_draw(struct console *c, const char *team, const struct lrect *r, int rows)
{
	/* The tasks keep two rows at least. */
	int max = rows - 2 < INJECT_ROWS_MAX ? rows - 2 : INJECT_ROWS_MAX;
	struct ibanner b = {.c = c, .r = r, .y = r->y + 1, .max = max};

	if (max <= 0 || !c->st_ok)
		return 0;
	if (wr_inject_for_team(c->db, team, c->frame_now - INJECT_SHOWN, max, row_cb, &b) < 0)
		return 0;
	return b.n;
}
