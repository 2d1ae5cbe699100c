/*
 * layout.h: the console's arithmetic, without curses: where each pane goes
 * for a terminal size, when panes fold into tabs, which pane lies in a
 * direction, how task rows split into columns, how bars, chart columns and
 * the deadline's colour follow from numbers. Unit-tested on its own
 * (tests/unit/test-layout.c).
 */
#ifndef WR_LAYOUT_H
#define WR_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Below either, panes fold into tabs: one pane at a time with a tab bar. */
#define LAYOUT_FOLD_W 100
#define LAYOUT_FOLD_H 30
/* A team pane is never narrower than this in the grid. */
#define LAYOUT_TEAM_MIN_W 36
#define LAYOUT_MAX_TEAMS 32
#define LAYOUT_MAX_PANES (LAYOUT_MAX_TEAMS + 2)
#define LAYOUT_HEADER_H 2

struct lrect {
	int y, x, h, w;
};

enum layout_mode {
	LAYOUT_GRID,  /* every pane at once */
	LAYOUT_TABS,  /* folded: the focused pane under a tab bar */
	LAYOUT_ZOOM,  /* the focused pane on the whole body */
	LAYOUT_WALL,  /* read-only big screen: one body */
	LAYOUT_SMALL, /* too small for anything but a message */
};

/*
 * Panes are numbered: teams 0..nteams-1 in plan order, then the numbers
 * pane (nteams), then the timeline (nteams + 1). In TABS and ZOOM every
 * pane's rectangle is the body; the console draws only the focused one.
 */
struct layout {
	enum layout_mode mode;
	int w, h;
	int nteams, npanes;
	int cols, rows; /* the team grid */
	struct lrect header, tabbar, body, status, cmdline;
	struct lrect pane[LAYOUT_MAX_PANES];
};

/* Fills l for a w x h terminal; zoom and wall as the console is. */
void layout_compute(struct layout *l, int w, int h, int nteams, bool zoom, bool wall);
bool layout_folds(int w, int h);
static inline int layout_numbers(const struct layout *l) { return l->nteams; }
static inline int layout_timeline(const struct layout *l) { return l->nteams + 1; }

/*
 * The wall (--wall), for the far side of a room, top to bottom in body:
 * the big figures (one row of them, or two when they need it, are
 * allowed max_big_rows and the screen is tall; large digits on a big
 * one), a line of the other counts, the pace (one line when
 * wide, else two), each team's health and progress (in columns when
 * wide), the burn-down, which gets the rows it needs (at most
 * LAYOUT_WALL_CHART_H), and the newest events in the rest.
 * A rectangle of height 0 is left out.
 */
#define LAYOUT_WALL_CHART_H 14
struct wall_layout {
	bool large;	/* 5-row digits */
	int big_rows;	/* rows of big figures: 1 or 2 */
	int team_cols;	/* team lines side by side */
	struct lrect big, counts, pace, teams, events, chart;
};
void layout_wall(const struct lrect *body, int nteams, int max_big_rows, struct wall_layout *wl);

/* The pane next to `from` in direction 'h', 'j', 'k' or 'l' (left, down,
 * up, right), or -1 when there is none. In TABS and ZOOM, left and right
 * are the previous and next pane, up and down have none. */
int layout_neighbour(const struct layout *l, int from, int dir);

/*
 * Tab bar: n tabs of widths[i] columns (label and padding) in w columns,
 * the focused one visible. Sets x[i] to each tab's column, or -1 when it
 * does not fit; returns the first tab shown. Tabs hidden on either side
 * leave one column for a "<" or ">" mark.
 */
int layout_tabs(int w, const int *widths, int n, int focus, int *x);

/* A task row's columns within w: id, checkbox, title, owner, due. A width
 * of 0 means the column is left out; x is each column's start. */
struct task_cols {
	int id_x, id_w, box_x, title_x, title_w, owner_x, owner_w, due_x, due_w;
};
void layout_task_cols(int w, int id_digits, struct task_cols *c);

/* The first visible row so that sel stays within rows (scrolling like a
 * list: only as far as needed). */
int layout_scroll(int top, int sel, int rows, int count);

/* Eighths of a cell filled out of width cells for done of total: 0 only
 * when done is 0, full only when done is total. */
int layout_bar_eighths(int64_t done, int64_t total, int width);
/* Height in eighths of a cell (0..rows*8) for v on a scale 0..vmax. */
int layout_scale(int64_t v, int64_t vmax, int rows);
/* The instant column col of ncols stands for, from t0 to t1. */
int64_t layout_col_time(int64_t t0, int64_t t1, int ncols, int col);
/* The straight line from v0 at t0 to zero at deadline, at t (0 after). */
int64_t layout_ideal(int64_t v0, int64_t t0, int64_t deadline, int64_t t);

/* The deadline's urgency: a quarter of the time left, under two hours,
 * past. */
enum deadline_level { DL_NONE, DL_OK, DL_QUARTER, DL_URGENT, DL_OVERDUE };
enum deadline_level layout_deadline_level(int64_t now, int64_t start, int64_t deadline);

/* "1,234,567" into buf (at least 32 bytes). */
const char *layout_fmt_count(int64_t n, char *buf, size_t sz);
/* "998", "12.3k", "1.0M": at most 5 characters. */
const char *layout_fmt_short(int64_t n, char *buf, size_t sz);
/* A task's due time in 5 columns (the row keeps a sixth for "!"): "HH:MM" within 20 hours of now, else
 * "MM-DD"; "" when there is none. UTC. */
const char *layout_fmt_due(int64_t due, int64_t now, char *buf, size_t sz);
/* The countdown: "21:03:12", "4d 03:02", "OVERDUE +01:30". */
const char *layout_fmt_countdown(int64_t now, int64_t deadline, char *buf, size_t sz);

#endif
