/*
 * nav.c: the moves people bring from the tools they know: G and End to
 * the last task or the oldest event (g and Home, the first, are the
 * panes' own ACT_HOME), C-d and C-u by half a page (vi, less), and the
 * mouse: a click focuses the pane under it and selects the task or event
 * row clicked, the wheel scrolls.
 *
 * The panes know only their own moves (struct pane_class.key: up, down,
 * a page, home); these are made of them, the pane drawn in between so
 * that it reads on as far as the move goes (a team pane reads its rows
 * only as far as the screen). Nothing here reaches into a pane's state.
 */
#include <stdlib.h>
#include <string.h>

#include "console.h"

/* Moves that go past what a pane has read are at most this many steps. */
#define NAV_MAX_STEPS 100000

static struct pane *focused_pane(struct console *c)
{
	return &c->pane[c->focus];
}

/* One step of act in p, then p drawn so that it knows where it stands;
 * false at the edge. */
static bool step(struct console *c, struct pane *p, enum pane_act act)
{
	if (pane_key(c, p, act))
		return false;
	if (p->cls->draw)
		p->cls->draw(p, c);
	return true;
}

/* The rows a pane shows: its box less the borders. */
static int pane_rows(const struct pane *p)
{
	return p->r.h > 2 ? p->r.h - 2 : 1;
}

void act_end(struct console *c, int key)
{
	struct pane *p = focused_pane(c);

	(void)key;
	/* A page at a time, then row by row to the very end. */
	for (int i = 0; i < NAV_MAX_STEPS && step(c, p, ACT_DOWN); i++)
		step(c, p, ACT_PGDN);
}

static void half(struct console *c, enum pane_act act)
{
	struct pane *p = focused_pane(c);
	int n = pane_rows(p) / 2;

	for (int i = 0; i < (n < 1 ? 1 : n); i++)
		if (!step(c, p, act))
			break;
}

void act_half_down(struct console *c, int key)
{
	(void)key;
	half(c, ACT_DOWN);
}

void act_half_up(struct console *c, int key)
{
	(void)key;
	half(c, ACT_UP);
}

/* The pane under (y, x) in this frame's layout, or -1. Folded into tabs
 * or zoomed, the one pane shown. */
static int pane_at(const struct console *c, int y, int x)
{
	const struct layout *l = &c->lay;

	if (l->mode == LAYOUT_TABS || l->mode == LAYOUT_ZOOM) {
		const struct lrect *b = &l->body;
		return y >= b->y && y < b->y + b->h && x >= b->x && x < b->x + b->w ? c->focus : -1;
	}
	if (l->mode != LAYOUT_GRID)
		return -1;
	for (int i = 0; i < c->nteams + 2; i++) {
		const struct lrect *r = &c->pane[i].r;
		if (y >= r->y && y < r->y + r->h && x >= r->x && x < r->x + r->w)
			return i;
	}
	return -1;
}

/* The screen row of p's highlighted (selected) row, or -1. The panes
 * draw the selection in reverse video whatever the colours (ROLE_SEL). */
static int selected_row(const struct pane *p)
{
	for (int y = p->r.y + 1; y < p->r.y + p->r.h - 1; y++)
		if (mvinch(y, p->r.x + 1) & A_REVERSE)
			return y;
	return -1;
}

void console_click(struct console *c, int y, int x)
{
	int i = pane_at(c, y, x);

	if (i < 0)
		return;
	console_focus(c, i);
	struct pane *p = &c->pane[i];
	if (!p->cls->key || !p->cls->draw || y <= p->r.y || y >= p->r.y + p->r.h - 1)
		return;
	if (actions_click(c, p, y)) /* an action item's row (pane-actions.c) */
		return;
	/* Drawn focused, the pane shows its selection where it was: move it
	 * row by row to the one clicked (within the view, nothing scrolls). */
	p->cls->draw(p, c);
	int at = selected_row(p);
	if (at < 0)
		return;
	enum pane_act act = y > at ? ACT_DOWN : ACT_UP;
	for (int n = y > at ? y - at : at - y; n > 0; n--)
		if (!step(c, p, act))
			break;
}

void act_mouse(struct console *c, int key)
{
	MEVENT ev;

	(void)key;
	if (getmouse(&ev) != OK || c->wall)
		return;
	if (ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED))
		console_click(c, ev.y, ev.x);
#ifdef BUTTON5_PRESSED
	else if (ev.bstate & BUTTON4_PRESSED)
		act_up(c, key);
	else if (ev.bstate & BUTTON5_PRESSED)
		act_down(c, key);
#endif
}
