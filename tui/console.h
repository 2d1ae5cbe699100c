/*
 * console.h: what the console's files share: the console itself, panes as
 * small classes (htop's Panel), the drawing helpers every pane uses, and
 * the entry points of the command line, the help overlay and the replay.
 *
 * The console keeps no copy of the truth: each frame asks the core
 * (status, teams, tasks, events, counts) for what is visible and draws it;
 * what a console remembers between frames is its own state only (focus,
 * selection, scroll, filter, what the command line holds).
 */
#ifndef WR_CONSOLE_H
#define WR_CONSOLE_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>

#include "cmd.h"
#include "layout.h"

/* Keys: a character is its code point; a curses function key is
 * KEY_FN(KEY_xxx), so the two never collide. Enter is '\n'. */
#define KEY_FN(k) (0x40000000 | (k))
#define KEY_CTL(c) ((c) & 0x1f)
#define KEY_ESCAPE 27

/* What a string means on screen; console_attr maps it to colours, or to
 * bold, reverse and underline on monochrome terminals and with NO_COLOR. */
enum role {
	ROLE_NORMAL,
	ROLE_HEADER, /* the header's first row */
	ROLE_TITLE,  /* pane titles */
	ROLE_FOCUS,  /* the focused pane's border and title */
	ROLE_SEL,	  /* the selected row */
	ROLE_DIM,	  /* done tasks, secondary text */
	ROLE_OK,	  /* progress, success */
	ROLE_WARN,	  /* a quarter of the time left */
	ROLE_ALERT,  /* overdue task, error message */
	ROLE_ALARM,  /* the deadline under two hours, or past */
	ROLE_LINE,	  /* the burn-down's straight line */
	ROLE_KEY,	  /* key names in hints */
	ROLE_NROLES,
};

/* What a pane is asked to do; keys are mapped to these by the key table. */
enum pane_act { ACT_UP, ACT_DOWN, ACT_PGUP, ACT_PGDN, ACT_HOME, ACT_TICK };

struct console;
struct pane;

/*
 * A pane class: draw fills p->r from the core; key acts and returns 0, or
 * 1 when the action goes past the pane's edge (the console then moves the
 * focus); resize and focus tell the pane its rectangle and whether it has
 * the keyboard. Any of key, resize, focus may be NULL.
 */
struct pane_class {
	const char *name;
	void (*draw)(struct pane *p, struct console *c);
	int (*key)(struct pane *p, struct console *c, enum pane_act act);
	void (*resize)(struct pane *p, const struct lrect *r);
	void (*focus)(struct pane *p, bool on);
	void (*free)(void *st);
};

struct pane {
	const struct pane_class *cls;
	void *st; /* the instance's state, owned by the pane */
	struct lrect r;
	bool focused;
};

extern const struct pane_class pane_header_class;
extern const struct pane_class pane_team_class;
extern const struct pane_class pane_numbers_class;
extern const struct pane_class pane_timeline_class;
/* Constructors: malloc'd state for struct pane.st (NULL when out of memory). */
void *pane_team_new(const char *team_id);
void *pane_numbers_new(void);
void *pane_timeline_new(void);
void *pane_header_new(void);
/* pane-facilitator.c: an exercise's schedule, expectations and scores, in
 * the numbers pane's place (--facilitator); its keys p, +, -, f, n come
 * before the key table's when it has the focus (true: taken). */
extern const struct pane_class pane_facilitator_class;
void *pane_facilitator_new(void);
bool facilitator_key(struct console *c, int key);
const char *pane_team_id(const struct pane *p);
int64_t pane_team_selected(const struct pane *p); /* the selected task's id, 0: none */
/* A team's health as a colour (ROLE_ALERT overdue, ROLE_WARN due within the
 * hour, else ROLE_NORMAL) and as text: "2 overdue, 1 unassigned, 1 blocked"
 * (level 0), "2 late 1 unowned 1 blocked" (1), "2! 1? 1b" (2); returns
 * its width, 0 when nothing needs anyone (pane-team.c). */
enum role team_health_role(const struct wr_team_health *h);
int team_health_text(const struct wr_team_health *h, int level, char *buf, size_t sz);
/* Drops the numbers pane's burn-down series and pace: the next frame
 * computes them whole (the bench's "recomputed whole"). */
void pane_numbers_forget(struct pane *p);

struct cmdline; /* cmdline.c */
/* pane-actions.c: the action item selected in Compliance & Legal's pane,
 * below its tasks; what its last frame showed, for the keys and clicks. */
struct action_sel {
	int64_t id;	     /* the selected item, 0: the tasks have the selection */
	int idx, top;	     /* its place in the list, the first shown */
	int shown, y, total; /* rows drawn, the first one's screen row; items */
};
struct ask;	/* ask.c */

struct console {
	struct wr_ctx *ctx;
	struct wr_db *db;
	bool wall;	/* --wall: read-only, big counters */
	bool facilitator; /* --facilitator: the exercise's schedule pane */
	bool zoom;	/* the focused pane fills the body */
	bool utf8;	/* the locale speaks UTF-8: box and block characters */
	bool color;	/* colours (not NO_COLOR, the terminal has them) */
	bool headless;	/* replay or bench: the terminal is /dev/null */
	bool quit;
	bool dirty;	/* draw a frame before waiting for keys */
	bool help;	/* the help overlay is open */
	int help_top;	/* its scroll */
	int focus;	/* the focused pane's index */
	struct layout lay;
	int nteams;
	struct pane header;
	struct pane pane[LAYOUT_MAX_PANES];

	/* The frame being drawn, fetched from the core for it alone. */
	struct wr_status st;
	bool st_ok;
	struct wr_team *teams; /* the plan's teams, in pane order */
	size_t nt;
	int64_t frame_version; /* data_version the frame was drawn at */
	int64_t frame_now;     /* the clock the frame was drawn at */
	/* Bumped by this console's own writes, which data_version (other
	 * connections' commits only) does not see. */
	int64_t own_writes;
	double wake_at; /* a frame is due then (console_ms), 0: none */

	int64_t detail;	  /* the task of the detail overlay (Enter), 0: closed */
	int detail_top;	  /* its scroll */
	bool detail_action; /* detail is an action item's id (pane-actions.c) */
	struct action_sel asel;

	char filter[256]; /* '/' text, "" when none */
	char msg[512];	  /* the status line, already safe to draw */
	enum role msg_role;
	struct cmdline *cl;
	struct ask *ask; /* a y/N question waiting, and where u's undo starts */
	struct bg *bg;	       /* background.c: commands in their own process */
	struct banner *banner; /* pane-banner.c: the runs of this frame */
};

/* ---- console.c ----------------------------------------------------------- */
int console_main(struct wr_ctx *ctx, int argc, char **argv);
/* Fetches and draws one frame, and puts it on the terminal. */
void console_frame(struct console *c);
/* Acts on one key as if typed. */
void console_key(struct console *c, int key);
/* True when the database or the clock moved since the last frame. */
bool console_changed(struct console *c);
/* The status line: printf-style, escaped for the terminal here. */
void console_message(struct console *c, enum role role, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The status line from text a command already escaped (its output):
 * drawn as is, draw_text still turning any control into '?'. */
void console_message_text(struct console *c, enum role role, const char *text);
bool console_simulated(struct wr_db *db); /* $WARROOM_NOW moves the clock */
double console_ms(void);       /* the monotonic clock, in ms */
/* Asks for a frame at the monotonic instant at_ms, even if nothing changes. */
void console_wake(struct console *c, double at_ms);
void console_focus(struct console *c, int pane);

/* Actions of the key table (help.c); key is the key pressed. */
void act_help(struct console *c, int key);
void act_command(struct console *c, int key);
void act_filter(struct console *c, int key);
void act_next(struct console *c, int key);
void act_prev(struct console *c, int key);
void act_left(struct console *c, int key);
void act_right(struct console *c, int key);
void act_up(struct console *c, int key);
void act_down(struct console *c, int key);
void act_pgup(struct console *c, int key);
void act_pgdn(struct console *c, int key);
void act_home(struct console *c, int key);
void act_team(struct console *c, int key);
void act_zoom(struct console *c, int key);
void act_tick(struct console *c, int key);
void act_escape(struct console *c, int key);
void act_redraw(struct console *c, int key);
void act_quit(struct console *c, int key);
/* nav.c: G/End, C-d/C-u, the mouse. */
void act_end(struct console *c, int key);
void act_half_down(struct console *c, int key);
void act_half_up(struct console *c, int key);
void act_mouse(struct console *c, int key);
/* Focuses the pane at screen (y, x) and selects the row there. */
void console_click(struct console *c, int y, int x);
void act_undo(struct console *c, int key); /* ask.c */

/* Drawing: every string goes through here. draw_text takes text that is
 * already safe (escaped, or our own); draw_db takes bytes from the
 * database and escapes them with wr_esc_term first. Both clip to w
 * columns with an ellipsis and return the columns used. */
attr_t console_attr(const struct console *c, enum role role);
int draw_text(struct console *c, int y, int x, int w, const char *s, attr_t a);
int draw_db(struct console *c, int y, int x, int w, const char *s, attr_t a);
int text_width(const char *s); /* as draw_text would draw it */
/* How many bytes of s fit in w columns, whole characters only. */
size_t text_fit(const char *s, int w);
void draw_fill(int y, int x, int w, attr_t a);
void draw_box(struct console *c, const struct lrect *r, const char *title, bool focus);
/* The same, border and title in role's colour unless ROLE_NORMAL. */
void draw_box_role(struct console *c, const struct lrect *r, const char *title, bool focus,
		   enum role role);
/* Box and block characters, or their ASCII stand-ins. */
const char *glyph_hline(const struct console *c);
const char *glyph_eighths(const struct console *c, int e); /* e in 0..8 */
const char *glyph_hbar(const struct console *c, int e);	   /* e in 0..8 */
void draw_progress(struct console *c, int y, int x, int w, int64_t done, int64_t total);
/* The burn-down chart in r (pane-numbers.c), shared with the wall. */
void draw_burndown(struct console *c, const struct lrect *r);
void draw_wall(struct console *c, const struct lrect *r);
/* One team's bar line for the wall (pane-team.c). */
void draw_team_line(struct console *c, int y, int x, int w, size_t team);
/* The newest events, one a line in r, newest first, as the timeline words
 * them (pane-timeline.c), without marks: the wall's last few events. */
void draw_events(struct console *c, const struct lrect *r);
/* pane-reporting.c: the next Bugzilla update due, for the header ("" until
 * a report is posted), amber past the 3-day mark, red within a day of the
 * 7-day limit; the columns used. And External Communications' reporting
 * duties (preliminary report, next update, full report) at the foot of
 * its pane's list of rows rows at r: the rows they took (0: another team,
 * not declared, or too little room). */
int draw_reporting_due(struct console *c, int y, int x, int w);
int pane_reporting_draw(struct console *c, const char *team, const struct lrect *r, int rows);
/* pane-customers.c: Customer Relations' and Replacement's customers
 * furthest behind at the foot of its pane's list of rows rows at r (half
 * of them at most): the rows they took (0: another team, no customers, or
 * too little room). */
int pane_customers_draw(struct console *c, const char *team, const struct lrect *r, int rows);
/* pane-actions.c: Compliance & Legal's action items at the foot of its
 * pane's list of rows rows at r (half of them at most), open ones first:
 * the rows they took (0: another team, none recorded, too little room). */
int pane_actions_draw(struct console *c, const char *team, const struct lrect *r, int rows);
/* Its keys, with the team pane's: j past the last task selects the first
 * action item, k above the first gives the selection back to the tasks;
 * space completes the selected item or makes it ongoing again. -1: not
 * the action items' key (another pane, or the tasks have the selection). */
int actions_key(struct console *c, struct pane *p, enum pane_act act);
/* True when team's pane has an action item selected, not a task. */
bool actions_selected(const struct console *c, const char *team);
/* A click at screen row y on p: true when it selected an action item. */
bool actions_click(struct console *c, struct pane *p, int y);
/* Enter: opens the selected action item in the detail overlay; false
 * when none is selected. */
bool actions_open(struct console *c);
/* s: the ':' line with "action set ID --status " for the selected item. */
void act_action_status(struct console *c, int key);
/* The overlay's text of action item id: its fields and its history,
 * escaped for the terminal. */
int action_show_text(struct wr_db *db, int64_t id, FILE *f);
/* A pane's key (enum pane_act), the action items' first (console.c). */
int pane_key(struct console *c, struct pane *p, enum pane_act act);
/* pane-injects.c: an exercise's injects fired to team (or to all) lately,
 * over the first of its pane's rows rows at r: the rows they took. */
int pane_injects_draw(struct console *c, const char *team, const struct lrect *r, int rows);

/* ---- cmdline.c: the ':' and '/' lines, and command output ---------------- */
struct cmdline *cmdline_new(void);
void cmdline_free(struct cmdline *cl);
void cmdline_open(struct console *c, int kind); /* ':' or '/' */
bool cmdline_editing(const struct console *c);
bool cmdline_popup(const struct console *c); /* command output shown */
void cmdline_key(struct console *c, int key);
void popup_key(struct console *c, int key);
void cmdline_draw(struct console *c); /* the bottom row, and the cursor */
void popup_draw(struct console *c);
/* Runs a command line as from ':' and shows its output; returns its exit
 * status. */
int cmdline_run(struct console *c, const char *line);
/* Shows a command's output (out and err, malloc'd, taken) as cmdline_run
 * does: the status line, or the popup titled with line. */
void cmdline_show(struct console *c, const char *line, int rc, char *out, size_t on, char *err,
		  size_t en);
/* The line editor's actions (the line key table in help.c). */
void ed_left(struct console *c, int key);
void ed_right(struct console *c, int key);
void ed_home(struct console *c, int key);
void ed_end(struct console *c, int key);
void ed_backspace(struct console *c, int key);
void ed_delete(struct console *c, int key);
void ed_kill_start(struct console *c, int key);
void ed_kill_end(struct console *c, int key);
void ed_kill_word(struct console *c, int key);
void ed_history_prev(struct console *c, int key);
void ed_history_next(struct console *c, int key);
void ed_complete(struct console *c, int key);
void ed_enter(struct console *c, int key);
void ed_cancel(struct console *c, int key);
void pop_up(struct console *c, int key);
void pop_down(struct console *c, int key);
void pop_pgup(struct console *c, int key);
void pop_pgdn(struct console *c, int key);
void pop_left(struct console *c, int key);
void pop_right(struct console *c, int key);
void pop_close(struct console *c, int key);

/* ---- help.c: the key tables, their dispatch and the overlay --------------- */
bool keys_console(struct console *c, int key); /* false: not bound */
bool keys_line(struct console *c, int key);
bool keys_popup(struct console *c, int key);
void help_draw(struct console *c);
void help_key(struct console *c, int key);
/* "Tab", "C-l", "space", "x": the names the overlay and scripts use. */
const char *wr_key_name(int key, char *buf, size_t sz);
int wr_key_parse(const char *name); /* -1 when unknown */
/* The hints on the bottom row. */
void help_hints(struct console *c, const struct lrect *r);

/* ---- pane-task.c: the task detail overlay ---------------------------------- */
void act_detail(struct console *c, int key); /* Enter: the selected task, else zoom */
void detail_draw(struct console *c);
void detail_key(struct console *c, int key);

/* ---- ask.c: y/N questions on the bottom row, and undo ---------------------- */
struct ask *ask_new(struct wr_db *db); /* at the console's start */
void ask_free(struct ask *a);
bool ask_pending(const struct console *c);
/* A ':' line asked (EXIT_ASK): y runs it again, confirmed. */
void ask_line(struct console *c, const char *question, const char *line);
/* Space on a team pane: true when ticking its selected task asks first. */
bool ask_tick(struct console *c);
void ask_key(struct console *c, int key);
void ask_draw(struct console *c, const struct lrect *r); /* instead of the hints */

/* ---- background.c: long commands in their own process; waiting writes ---- */
/* True when line is a long command (revoke, import, verify, crl, notify,
 * probe) that runs in the background (not --help, not in a replay). */
bool bg_wants(const struct console *c, const char *line);
/* Runs line as `warroom --db ... LINE` in a process of its own; its output
 * shows when it ends. Returns EXIT_OK once started. */
int bg_start(struct console *c, const char *line);
/* On every tick: shows what ended, tries a waiting write again. */
void bg_poll(struct console *c);
/* A ':' line that found another writer holding the database: "waiting
 * for ...", tried again on the ticks (yes: it was confirmed). */
void bg_wait_write(struct console *c, const char *line, bool yes);
/* At the end: says which commands go on without the console; frees. */
void bg_detach(struct console *c, FILE *f);
/* The console's own writes wait this long for another writer, then
 * retry on the tick: a key never waits on a lock. */
#define CONSOLE_BUSY_MS 25

/* ---- pane-banner.c: the runs in progress, on every console ---------------- */
/* Once a frame, before the layout: reads the runs (never waits). */
void banner_fetch(struct console *c);
int banner_rows(const struct console *c); /* 0: nothing runs */
/* Moves everything below the header down by rows, for the banner. */
void banner_shift(struct layout *l, int rows);
void banner_draw(struct console *c, int y, int x, int w);
void banner_free(struct console *c);
/* "revoke run 12 (bob)": who holds the database, most likely; NULL. */
const char *banner_writer(struct console *c, char *buf, size_t n);
/* The banner's keys: p pauses or resumes the first run, C cancels it
 * after a y/N question. */
void act_run_pause(struct console *c, int key);
void act_run_cancel(struct console *c, int key);

/* ---- term.c: whether the terminal can hold the console ------------------- */
/* 0, or EXIT_USAGE with why (TERM unset or dumb, no cursor addressing,
 * not a terminal) in why. */
int term_usable(char *why, size_t n);

/* ---- script.c: replaying keys and saving the screen ---------------------- */
/* Runs the script at path; on error returns -1 with "PATH:LINE: why". */
int script_run(struct console *c, const char *path, char *err, size_t errsz);
/* Writes the screen as text, one line per row, trailing blanks cut. */
int screen_save(const char *path);

#endif
