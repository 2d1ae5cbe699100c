/*
 * console.c: the war-room console: `warroom` with no command.
 *
 * Owns the terminal (curses setup, colours or their monochrome stand-ins,
 * restoring it on every exit, signals included), the loop (keys, a short
 * tick polling SQLite's data_version so a change made by any process shows
 * within a fraction of a second, a frame a second for the countdown), the
 * panes and their focus, and the drawing helpers through which every
 * string reaches the screen. It must not keep a copy of the incident:
 * each frame is drawn from the core; and it must not draw database bytes
 * without wr_esc_term (draw_db).
 */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

#include "console.h"

#define TICK_MS 150 /* how often data_version is polled when idle */

/* ---- signals and the terminal -------------------------------------------- */

static volatile sig_atomic_t got_signal;
static SCREEN *screen;	  /* non-NULL while curses owns the terminal */
static FILE *null_io;	  /* the headless terminal */

static void on_signal(int sig) { got_signal = sig; }

/* A crash still gives the terminal back before the default action. */
static void on_fatal(int sig)
{
	if (screen && !isendwin())
		endwin();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void term_restore(void)
{
	if (screen && !isendwin())
		endwin();
}

static void signals_install(void)
{
	struct sigaction sa;
	static const int quit_sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
	static const int fatal_sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the wait for a key returns at once. */
	sa.sa_handler = on_signal;
	for (size_t i = 0; i < sizeof quit_sigs / sizeof quit_sigs[0]; i++)
		sigaction(quit_sigs[i], &sa, NULL);
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < sizeof fatal_sigs / sizeof fatal_sigs[0]; i++)
		sigaction(fatal_sigs[i], &sa, NULL);
	atexit(term_restore);
}

enum { PAIR_TITLE = 1, PAIR_FOCUS, PAIR_OK, PAIR_WARN, PAIR_ALERT, PAIR_ALARM, PAIR_LINE };

static int term_open(struct console *c)
{
	const char *nc = getenv("NO_COLOR");

	if (c->headless) {
		/* Replay and bench draw into curses' own screen; the terminal is
		 * /dev/null, its size LINES and COLUMNS (80x24 when unset). */
		const char *term = getenv("TERM");
		null_io = fopen("/dev/null", "r+");
		if (!null_io)
			return -1;
		screen = newterm(term && *term && strcmp(term, "dumb") ? term : "xterm", null_io,
				 null_io);
		if (!screen)
			screen = newterm("vt100", null_io, null_io);
	} else {
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			errno = ENOTTY;
			return -1;
		}
		screen = newterm(NULL, stdout, stdin);
	}
	if (!screen)
		return -1;
	set_term(screen);
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	set_escdelay(25);
	/* Clicks and the wheel (nav.c); presses only, reported at once. */
	mouseinterval(0);
	mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	timeout(TICK_MS);
	curs_set(0);
	c->color = has_colors() && !(nc && *nc) && !c->headless;
	if (c->color) {
		start_color();
		use_default_colors();
		init_pair(PAIR_TITLE, COLOR_CYAN, -1);
		init_pair(PAIR_FOCUS, COLOR_YELLOW, -1);
		init_pair(PAIR_OK, COLOR_GREEN, -1);
		init_pair(PAIR_WARN, COLOR_YELLOW, -1);
		init_pair(PAIR_ALERT, COLOR_RED, -1);
		init_pair(PAIR_ALARM, COLOR_WHITE, COLOR_RED);
		init_pair(PAIR_LINE, COLOR_MAGENTA, -1);
	}
	return 0;
}

static void term_close(void)
{
	if (screen) {
		if (!isendwin())
			endwin();
		delscreen(screen);
		screen = NULL;
	}
	if (null_io)
		fclose(null_io);
	null_io = NULL;
}

attr_t console_attr(const struct console *c, enum role role)
{
	if (c->color) {
		switch (role) {
		case ROLE_HEADER: return A_REVERSE | A_BOLD;
		case ROLE_TITLE: return COLOR_PAIR(PAIR_TITLE) | A_BOLD;
		case ROLE_FOCUS: return COLOR_PAIR(PAIR_FOCUS) | A_BOLD;
		case ROLE_SEL: return A_REVERSE;
		case ROLE_DIM: return A_DIM;
		case ROLE_OK: return COLOR_PAIR(PAIR_OK);
		case ROLE_WARN: return COLOR_PAIR(PAIR_WARN) | A_BOLD;
		case ROLE_ALERT: return COLOR_PAIR(PAIR_ALERT) | A_BOLD;
		case ROLE_ALARM: return COLOR_PAIR(PAIR_ALARM) | A_BOLD;
		case ROLE_LINE: return COLOR_PAIR(PAIR_LINE) | A_BOLD;
		case ROLE_KEY: return A_BOLD;
		default: return A_NORMAL;
		}
	}
	/* Monochrome or NO_COLOR: attributes alone carry the meaning. */
	switch (role) {
	case ROLE_HEADER: return A_REVERSE;
	case ROLE_TITLE: return A_BOLD;
	case ROLE_FOCUS: return A_BOLD;
	case ROLE_SEL: return A_REVERSE;
	case ROLE_DIM: return A_DIM;
	case ROLE_WARN: return A_BOLD;
	case ROLE_ALERT: return A_BOLD | A_UNDERLINE;
	case ROLE_ALARM: return A_REVERSE | A_BOLD;
	case ROLE_KEY: return A_BOLD;
	default: return A_NORMAL;
	}
}

/* ---- drawing -------------------------------------------------------------- */

/* Never drawn even when valid: controls, bidi controls, separators. */
static bool unsafe_wc(wchar_t wc)
{
	return iswcntrl((wint_t)wc) || wc == 0x061c || wc == 0x200e || wc == 0x200f ||
	       (wc >= 0x202a && wc <= 0x202e) || (wc >= 0x2066 && wc <= 0x2069) || wc == 0x2028 ||
	       wc == 0x2029 || wc == 0xfeff || (wc >= 0xd800 && wc <= 0xdfff);
}

/* The next character of s as drawn: a safe wide character and its width.
 * Bytes the locale cannot decode become '?'. */
static size_t next_char(const char *s, size_t left, wchar_t *wc, int *w)
{
	mbstate_t ms;
	size_t k;

	memset(&ms, 0, sizeof ms);
	k = mbrtowc(wc, s, left, &ms);
	if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
		/* The database speaks UTF-8 whatever the locale: one '?' for a
		 * whole sequence the locale cannot show. */
		unsigned char b = (unsigned char)*s;
		size_t need = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 1;
		k = 1;
		while (k < need && k < left && ((unsigned char)s[k] & 0xc0) == 0x80)
			k++;
		*wc = L'?';
	}
	if (unsafe_wc(*wc))
		*wc = L'?';
	*w = wcwidth(*wc);
	if (*w < 0) {
		*wc = L'?';
		*w = 1;
	}
	return k;
}

int text_width(const char *s)
{
	size_t left = strlen(s);
	int total = 0;

	while (left) {
		wchar_t wc;
		int w;
		size_t k = next_char(s, left, &wc, &w);
		total += w;
		s += k;
		left -= k;
	}
	return total;
}

size_t text_fit(const char *s, int w)
{
	size_t left = strlen(s), used = 0;
	int col = 0;

	while (left) {
		wchar_t wc;
		int cw;
		size_t k = next_char(s + used, left, &wc, &cw);
		if (col + cw > w)
			break;
		col += cw;
		used += k;
		left -= k;
	}
	return used;
}

int draw_text(struct console *c, int y, int x, int w, const char *s, attr_t a)
{
	wchar_t buf[128];
	int n = 0, col = 0, limit;
	size_t left;

	if (!s || y < 0 || y >= LINES || x >= COLS || w <= 0)
		return 0;
	if (x + w > COLS)
		w = COLS - x;
	limit = text_width(s) > w ? w - 1 : w; /* keep a column for the ellipsis */
	left = strlen(s);
	attrset(a);
	move(y, x);
	while (left) {
		wchar_t wc;
		int cw;
		size_t k = next_char(s, left, &wc, &cw);
		if (col + cw > limit)
			break;
		if (cw == 0 && col == 0) { /* a combining mark with nothing to combine */
			s += k;
			left -= k;
			continue;
		}
		buf[n++] = wc;
		col += cw;
		s += k;
		left -= k;
		if (n == (int)(sizeof buf / sizeof buf[0])) {
			addnwstr(buf, n);
			n = 0;
		}
	}
	if (n)
		addnwstr(buf, n);
	if (left) {
		/* Cut: pad a wide character's half column, then the ellipsis. */
		while (col < w - 1) {
			addch(' ');
			col++;
		}
		addstr(c->utf8 ? "\xe2\x80\xa6" : "~");
		col++;
	}
	attrset(A_NORMAL);
	return col;
}

int draw_db(struct console *c, int y, int x, int w, const char *s, attr_t a)
{
	char *e = wr_esc_term(s ? s : "");
	int n = draw_text(c, y, x, w, e ? e : "?", a);
	free(e);
	return n;
}

void draw_fill(int y, int x, int w, attr_t a)
{
	if (y < 0 || y >= LINES || x >= COLS || w <= 0)
		return;
	if (x + w > COLS)
		w = COLS - x;
	attrset(a);
	mvhline(y, x, ' ', w);
	attrset(A_NORMAL);
}

const char *glyph_hline(const struct console *c) { return c->utf8 ? "\xe2\x94\x80" : "-"; }

const char *glyph_eighths(const struct console *c, int e)
{
	static const char *const u[] = {" ",	       "\xe2\x96\x81", "\xe2\x96\x82",
					"\xe2\x96\x83", "\xe2\x96\x84", "\xe2\x96\x85",
					"\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88"};
	static const char *const a[] = {" ", ".", ".", ".", "o", "o", "o", "o", "#"};
	if (e < 0)
		e = 0;
	if (e > 8)
		e = 8;
	return c->utf8 ? u[e] : a[e];
}

const char *glyph_hbar(const struct console *c, int e)
{
	static const char *const u[] = {" ",	       "\xe2\x96\x8f", "\xe2\x96\x8e",
					"\xe2\x96\x8d", "\xe2\x96\x8c", "\xe2\x96\x8b",
					"\xe2\x96\x8a", "\xe2\x96\x89", "\xe2\x96\x88"};
	static const char *const a[] = {" ", " ", " ", " ", "=", "=", "=", "=", "#"};
	if (e < 0)
		e = 0;
	if (e > 8)
		e = 8;
	return c->utf8 ? u[e] : a[e];
}

/* Draws the same glyph n times from (y, x). */
static void draw_repeat(int y, int x, int n, const char *g, attr_t a)
{
	if (n <= 0 || y < 0 || y >= LINES)
		return;
	attrset(a);
	move(y, x);
	for (int i = 0; i < n && x + i < COLS; i++)
		addstr(g);
	attrset(A_NORMAL);
}

void draw_box(struct console *c, const struct lrect *r, const char *title, bool focus)
{
	draw_box_role(c, r, title, focus, ROLE_NORMAL);
}

void draw_box_role(struct console *c, const struct lrect *r, const char *title, bool focus,
		   enum role role)
{
	/* The focused pane's border is double, so it shows in plain text too. */
	static const char *const single[] = {"\xe2\x94\x8c", "\xe2\x94\x90", "\xe2\x94\x94",
					     "\xe2\x94\x98", "\xe2\x94\x80", "\xe2\x94\x82"};
	static const char *const dbl[] = {"\xe2\x95\x94", "\xe2\x95\x97", "\xe2\x95\x9a",
					  "\xe2\x95\x9d", "\xe2\x95\x90", "\xe2\x95\x91"};
	static const char *const asc[] = {"+", "+", "+", "+", "-", "|"};
	static const char *const ascf[] = {"#", "#", "#", "#", "=", "#"};
	const char *const *g = c->utf8 ? (focus ? dbl : single) : (focus ? ascf : asc);
	/* A role (a team's health) colours the border, focused or not. */
	attr_t a = console_attr(c, role != ROLE_NORMAL ? role : focus ? ROLE_FOCUS : ROLE_NORMAL);

	if (r->w < 2 || r->h < 2)
		return;
	draw_repeat(r->y, r->x, 1, g[0], a);
	draw_repeat(r->y, r->x + 1, r->w - 2, g[4], a);
	draw_repeat(r->y, r->x + r->w - 1, 1, g[1], a);
	for (int y = r->y + 1; y < r->y + r->h - 1; y++) {
		draw_repeat(y, r->x, 1, g[5], a);
		draw_repeat(y, r->x + r->w - 1, 1, g[5], a);
	}
	draw_repeat(r->y + r->h - 1, r->x, 1, g[2], a);
	draw_repeat(r->y + r->h - 1, r->x + 1, r->w - 2, g[4], a);
	draw_repeat(r->y + r->h - 1, r->x + r->w - 1, 1, g[3], a);
	if (title && r->w > 6) {
		int n = draw_text(c, r->y, r->x + 2, r->w - 4, title,
				  console_attr(c, role != ROLE_NORMAL ? role
						  : focus	  ? ROLE_FOCUS
								  : ROLE_TITLE) |
					  (focus ? console_attr(c, ROLE_SEL) : 0));
		(void)n;
	}
}

void draw_progress(struct console *c, int y, int x, int w, int64_t done, int64_t total)
{
	char label[48];
	int lw, bw;

	snprintf(label, sizeof label, " %3lld%% %lld/%lld",
		 (long long)(total > 0 ? done * 100 / total : 0), (long long)done, (long long)total);
	lw = (int)strlen(label);
	bw = w - lw;
	if (bw < 3) {
		draw_text(c, y, x, w, label + 1, A_NORMAL);
		return;
	}
	int e = layout_bar_eighths(done, total, bw), full = e / 8, part = e % 8;
	draw_repeat(y, x, full, glyph_hbar(c, 8), console_attr(c, ROLE_OK));
	if (part)
		draw_repeat(y, x + full, 1, glyph_hbar(c, part), console_attr(c, ROLE_OK));
	int used = full + (part ? 1 : 0);
	draw_repeat(y, x + used, bw - used, c->utf8 ? "\xe2\x96\x91" : "-", console_attr(c, ROLE_DIM));
	draw_text(c, y, x + bw, lw, label, A_NORMAL);
}

/* ---- messages -------------------------------------------------------------- */

void console_message(struct console *c, enum role role, const char *fmt, ...)
{
	char raw[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	/* Messages may quote the database (a core error naming a user). */
	char *e = wr_esc_term(raw);
	snprintf(c->msg, sizeof c->msg, "%s", e ? e : "");
	free(e);
	c->msg_role = role;
}

double console_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void console_wake(struct console *c, double at_ms)
{
	if (!c->wake_at || at_ms < c->wake_at)
		c->wake_at = at_ms;
}

void console_message_text(struct console *c, enum role role, const char *text)
{
	snprintf(c->msg, sizeof c->msg, "%s", text);
	c->msg_role = role;
}

bool console_simulated(struct wr_db *db) { return wr_clock_simulated(db); }

/* ---- panes ------------------------------------------------------------------ */

static void panes_free(struct console *c)
{
	for (int i = 0; i < LAYOUT_MAX_PANES; i++) {
		struct pane *p = &c->pane[i];
		if (p->cls && p->cls->free)
			p->cls->free(p->st);
		memset(p, 0, sizeof *p);
	}
}

/* Panes follow the plan's teams; rebuilt only if the teams ever change. */
static bool panes_match(const struct console *c)
{
	size_t n = c->nt > LAYOUT_MAX_TEAMS ? LAYOUT_MAX_TEAMS : c->nt;

	if ((int)n != c->nteams || !c->pane[0].cls)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(pane_team_id(&c->pane[i]), c->teams[i].id) != 0)
			return false;
	return true;
}

static int panes_build(struct console *c)
{
	panes_free(c);
	c->nteams = (int)(c->nt > LAYOUT_MAX_TEAMS ? LAYOUT_MAX_TEAMS : c->nt);
	for (int i = 0; i < c->nteams; i++) {
		c->pane[i].cls = &pane_team_class;
		c->pane[i].st = pane_team_new(c->teams[i].id);
	}
	/* The facilitator's console has the exercise's schedule in the
	 * numbers' place (pane-facilitator.c). */
	c->pane[c->nteams].cls = c->facilitator ? &pane_facilitator_class : &pane_numbers_class;
	c->pane[c->nteams].st = c->facilitator ? pane_facilitator_new() : pane_numbers_new();
	c->pane[c->nteams + 1].cls = &pane_timeline_class;
	c->pane[c->nteams + 1].st = pane_timeline_new();
	for (int i = 0; i < c->nteams + 2; i++)
		if (!c->pane[i].st)
			return WR_ENOMEM;
	if (c->focus >= c->nteams + 2)
		c->focus = 0;
	c->pane[c->focus].focused = true;
	return 0;
}

void console_focus(struct console *c, int i)
{
	if (i < 0 || i >= c->nteams + 2 || i == c->focus)
		return;
	struct pane *old = &c->pane[c->focus], *new = &c->pane[i];
	old->focused = false;
	if (old->cls->focus)
		old->cls->focus(old, false);
	new->focused = true;
	if (new->cls->focus)
		new->cls->focus(new, true);
	c->focus = i;
}

static struct pane *focused(struct console *c) { return &c->pane[c->focus]; }

/* ---- the frame --------------------------------------------------------------- */

static void draw_tabbar(struct console *c, const struct lrect *r)
{
	int n = c->nteams + 2, widths[LAYOUT_MAX_PANES] = {0}, x[LAYOUT_MAX_PANES] = {0};
	char labels[LAYOUT_MAX_PANES][64];

	/* The teams' names; their short names from the plan when the names
	 * do not all fit (80 columns), so that the tabs stay distinguishable. */
	for (int pass = 0, total = 0; pass < 2; pass++, total = 0) {
		for (int i = 0; i < n; i++) {
			if (i < c->nteams) {
				const struct wr_team *t = &c->teams[i];
				char *e = wr_esc_term(pass && t->short_name[0] ? t->short_name : t->name);
				snprintf(labels[i], sizeof labels[i], "%d %s", i + 1, e ? e : "?");
				free(e);
			} else {
				snprintf(labels[i], sizeof labels[i], "%s",
					 i == c->nteams ? (c->facilitator ? "Facilitator" : "Numbers")
							: "Timeline");
			}
			int w = text_width(labels[i]);
			if (w > 16)
				w = 16;
			widths[i] = w + 2;
			total += widths[i];
		}
		if (total <= r->w)
			break;
	}
	int first = layout_tabs(r->w, widths, n, c->focus, x);
	draw_fill(r->y, r->x, r->w, A_NORMAL);
	if (first > 0)
		draw_text(c, r->y, r->x, 1, "<", console_attr(c, ROLE_DIM));
	for (int i = 0; i < n; i++) {
		if (x[i] < 0) {
			if (i > first)
				draw_text(c, r->y, r->x + r->w - 1, 1, ">", console_attr(c, ROLE_DIM));
			if (i > first)
				break;
			continue;
		}
		bool f = i == c->focus;
		/* Brackets mark the tab in plain text too. */
		draw_text(c, r->y, r->x + x[i], 1, f ? "[" : " ", A_NORMAL);
		draw_text(c, r->y, r->x + x[i] + 1, widths[i] - 2, labels[i],
			  f ? console_attr(c, ROLE_SEL) | A_BOLD : console_attr(c, ROLE_TITLE));
		draw_text(c, r->y, r->x + x[i] + widths[i] - 1, 1, f ? "]" : " ", A_NORMAL);
	}
}

static void draw_status(struct console *c, const struct lrect *r)
{
	char right[320];
	int rw = 0;

	draw_fill(r->y, r->x, r->w, A_NORMAL);
	right[0] = '\0';
	if (c->filter[0]) {
		char *e = wr_esc_term(c->filter);
		snprintf(right, sizeof right, " /%s ", e ? e : "");
		free(e);
	}
	if (c->zoom && !c->wall)
		strncat(right, " ZOOM", sizeof right - strlen(right) - 1);
	if (c->wall)
		strncat(right, " WALL read-only", sizeof right - strlen(right) - 1);
	if (right[0]) {
		rw = text_width(right);
		if (rw > r->w / 2)
			rw = r->w / 2;
		draw_text(c, r->y, r->x + r->w - rw, rw, right, console_attr(c, ROLE_KEY));
	}
	draw_text(c, r->y, r->x, r->w - rw - 1, c->msg, console_attr(c, c->msg_role));
}

void console_frame(struct console *c)
{
	int64_t ver = 0;

	c->wake_at = 0;
	/* An exercise's injects that came due fire in whichever process
	 * notices first (core/inject.c); the wall only reads. Another
	 * writer in the way: the next frame tries again, no "waiting". */
	int nfired = 0;
	if (!c->wall && wr_inject_fire_due(c->db, &nfired) == WR_EBUSY)
		wr_db_was_busy(c->db);
	if (nfired)
		c->own_writes++;
	/* The version first: a commit after it is seen by the next poll. */
	if (wr_db_data_version(c->db, &ver) == 0)
		c->frame_version = ver;
	c->st_ok = wr_status_get(c->db, &c->st) == 0;
	if (!c->st_ok)
		console_message(c, ROLE_ALERT, "%s", wr_db_errmsg(c->db));
	c->frame_now = c->st_ok ? c->st.now : wr_clock_now(c->db);
	free(c->teams);
	c->teams = NULL;
	c->nt = 0;
	if (wr_team_list(c->db, &c->teams, &c->nt) ||
	    wr_team_health(c->db, c->frame_now, c->st_ok ? c->st.phase : -1, c->teams, c->nt))
		console_message(c, ROLE_ALERT, "%s", wr_db_errmsg(c->db));
	if (!panes_match(c) && panes_build(c)) {
		console_message(c, ROLE_ALERT, "out of memory");
		c->quit = true;
		return;
	}

	/* The runs in progress take rows under the header (pane-banner.c). */
	banner_fetch(c);
	int nb = banner_rows(c);
	layout_compute(&c->lay, COLS, LINES - nb, c->nteams, c->zoom, c->wall);
	banner_shift(&c->lay, nb);
	for (int i = 0; i < c->nteams + 2; i++) {
		struct pane *p = &c->pane[i];
		if (memcmp(&p->r, &c->lay.pane[i], sizeof p->r) != 0) {
			p->r = c->lay.pane[i];
			if (p->cls->resize)
				p->cls->resize(p, &p->r);
		}
	}
	c->header.r = c->lay.header;

	erase();
	if (c->lay.mode == LAYOUT_SMALL) {
		draw_text(c, 0, 0, COLS, "warroom: the terminal is too small", A_BOLD);
		draw_text(c, 1, 0, COLS, "(80x24 or larger; q quits)", A_NORMAL);
		refresh();
		return;
	}
	c->header.cls->draw(&c->header, c);
	if (nb)
		banner_draw(c, c->lay.header.y + c->lay.header.h, 0, COLS);
	switch (c->lay.mode) {
	case LAYOUT_WALL: draw_wall(c, &c->lay.body); break;
	case LAYOUT_GRID:
		for (int i = 0; i < c->nteams + 2; i++)
			c->pane[i].cls->draw(&c->pane[i], c);
		break;
	case LAYOUT_TABS: draw_tabbar(c, &c->lay.tabbar); /* fall through */
	default: focused(c)->cls->draw(focused(c), c); break;
	}
	draw_status(c, &c->lay.status);
	if (cmdline_popup(c))
		popup_draw(c);
	if (c->detail)
		detail_draw(c);
	if (c->help)
		help_draw(c);
	if (cmdline_editing(c)) {
		cmdline_draw(c); /* leaves the cursor on the line */
		curs_set(1);
	} else {
		help_hints(c, &c->lay.cmdline);
		curs_set(0);
	}
	wnoutrefresh(stdscr);
	doupdate();
}

bool console_changed(struct console *c)
{
	int64_t ver;

	if (wr_db_data_version(c->db, &ver) == 0 && ver != c->frame_version)
		return true;
	if (c->wake_at && console_ms() >= c->wake_at)
		return true;
	return wr_clock_now(c->db) != c->frame_now;
}

/* ---- keys -------------------------------------------------------------------- */

void console_key(struct console *c, int key)
{
	c->dirty = true;
	if (key == KEY_FN(KEY_RESIZE))
		return;
	if (c->help) {
		help_key(c, key);
		return;
	}
	if (ask_pending(c)) { /* y/N: the key answers it */
		ask_key(c, key);
		return;
	}
	if (cmdline_editing(c)) {
		cmdline_key(c, key);
		return;
	}
	if (cmdline_popup(c)) {
		popup_key(c, key);
		return;
	}
	if (c->detail) {
		detail_key(c, key);
		return;
	}
	c->msg[0] = '\0';
	if (focused(c)->cls == &pane_facilitator_class && facilitator_key(c, key))
		return;
	if (!keys_console(c, key)) {
		char b[32];
		console_message(c, ROLE_DIM, "%s: no such key here; ? lists the keys",
				wr_key_name(key, b, sizeof b));
	}
}

static int read_key(void)
{
	wint_t wc;
	int r = get_wch(&wc);

	if (r == ERR)
		return -1;
	if (r == KEY_CODE_YES) {
		if (wc == KEY_ENTER)
			return '\n';
		return KEY_FN((int)wc);
	}
	if (wc == '\r')
		return '\n';
	if (wc == 127 || wc == KEY_CTL('h'))
		return KEY_FN(KEY_BACKSPACE);
	return (int)wc;
}

void act_help(struct console *c, int key)
{
	(void)key;
	c->help = true;
	c->help_top = 0;
}

void act_command(struct console *c, int key)
{
	(void)key;
	cmdline_open(c, ':');
}

void act_filter(struct console *c, int key)
{
	(void)key;
	cmdline_open(c, '/');
}

void act_next(struct console *c, int key)
{
	(void)key;
	console_focus(c, (c->focus + 1) % (c->nteams + 2));
}

void act_prev(struct console *c, int key)
{
	(void)key;
	console_focus(c, (c->focus + c->nteams + 1) % (c->nteams + 2));
}

static void move_dir(struct console *c, int dir)
{
	int n = layout_neighbour(&c->lay, c->focus, dir);
	if (n >= 0)
		console_focus(c, n);
}

void act_left(struct console *c, int key)
{
	(void)key;
	move_dir(c, 'h');
}

void act_right(struct console *c, int key)
{
	(void)key;
	move_dir(c, 'l');
}

int pane_key(struct console *c, struct pane *p, enum pane_act act)
{
	int rc = actions_key(c, p, act);
	if (rc >= 0)
		return rc;
	return p->cls->key ? p->cls->key(p, c, act) : 1;
}

/* The pane acts; past its edge, the focus moves that way. */
static void pane_act(struct console *c, enum pane_act act, int dir)
{
	if (pane_key(c, focused(c), act) && dir)
		move_dir(c, dir);
}

void act_up(struct console *c, int key)
{
	(void)key;
	pane_act(c, ACT_UP, 'k');
}

void act_down(struct console *c, int key)
{
	(void)key;
	pane_act(c, ACT_DOWN, 'j');
}

void act_pgup(struct console *c, int key)
{
	(void)key;
	pane_act(c, ACT_PGUP, 0);
}

void act_pgdn(struct console *c, int key)
{
	(void)key;
	pane_act(c, ACT_PGDN, 0);
}

void act_home(struct console *c, int key)
{
	(void)key;
	pane_act(c, ACT_HOME, 0);
}

void act_team(struct console *c, int key)
{
	int i = key - '1';
	if (i >= 0 && i < c->nteams)
		console_focus(c, i);
	else
		console_message(c, ROLE_DIM, "there is no team %d", i + 1);
}

void act_zoom(struct console *c, int key)
{
	(void)key;
	c->zoom = !c->zoom;
}

void act_tick(struct console *c, int key)
{
	(void)key;
	struct pane *p = focused(c);
	if (actions_key(c, p, ACT_TICK) >= 0) /* an action item selected */
		return;
	if (ask_tick(c)) /* another team's task: y/N first */
		return;
	if (!p->cls->key || p->cls->key(p, c, ACT_TICK))
		console_message(c, ROLE_DIM, "space ticks a task: move to a team's pane first");
}

void act_escape(struct console *c, int key)
{
	(void)key;
	if (c->filter[0]) {
		c->filter[0] = '\0';
		console_message(c, ROLE_DIM, "filter cleared");
	} else if (c->zoom) {
		c->zoom = false;
	}
}

void act_redraw(struct console *c, int key)
{
	(void)c;
	(void)key;
	clearok(curscr, TRUE);
}

/* q backs out of a zoom first, as Esc does (k9s, lazygit); the overlays
 * (help, output, detail) take their q before the key table sees it. */
void act_quit(struct console *c, int key)
{
	(void)key;
	if (c->zoom && !c->wall)
		c->zoom = false;
	else
		c->quit = true;
}

/* ---- bench: WARROOM_BENCH_REDRAW=N -------------------------------------------- */


static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Prints the median, p99 and worst of n frames: wall time, and the
 * process's CPU time, which a machine busy with other work inflates less. */
static void bench_report(const char *what, double *ms, double *cpu, int n)
{
	if (n <= 0) {
		fprintf(stderr, "redraw %s: no frame\n", what);
		return;
	}
	qsort(ms, (size_t)n, sizeof *ms, cmp_double);
	qsort(cpu, (size_t)n, sizeof *cpu, cmp_double);
	int p99 = (int)(n * 0.99) < n ? (int)(n * 0.99) : n - 1;
	fprintf(stderr,
		"redraw %s: %d frames at %dx%d, median %.3f ms, p99 %.3f ms, max %.3f ms"
		" (CPU: median %.3f ms, p99 %.3f ms)\n",
		what, n, COLS, LINES, ms[n / 2], ms[p99], ms[n - 1], cpu[n / 2], cpu[p99]);
}

static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One frame, timed. */
static void bench_frame(struct console *c, double *ms, double *cpu)
{
	double t = console_ms(), u = cpu_ms();
	console_frame(c);
	*ms = console_ms() - t;
	*cpu = cpu_ms() - u;
}

/* Waits up to 5 s for another process to commit; false when none did. */
static bool bench_wait_change(struct console *c)
{
	for (int i = 0; i < 5000; i++) {
		int64_t v;
		if (wr_db_data_version(c->db, &v) == 0 && v != c->frame_version)
			return true;
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	return false;
}

/*
 * Frames as drawn when nothing changed (the once-a-second countdown), then
 * frames with the burn-down and the pace computed whole (as after a
 * resize). With WARROOM_BENCH_CHANGES set, instead, frames each drawn
 * right after another process committed a change (a revocation batch, a
 * tick: bench/console.sh runs the writer). The terminal is /dev/null;
 * stderr is free.
 */
static void bench(struct console *c, int n)
{
	double *ms = calloc((size_t)n, sizeof *ms), *cpu = calloc((size_t)n, sizeof *cpu);
	const char *changes = wr_priv_getenv("WARROOM_BENCH_CHANGES");
	int k;

	if (!ms || !cpu) {
		free(ms);
		free(cpu);
		return;
	}
	console_frame(c);
	if (changes && *changes) {
		for (k = 0; k < n && bench_wait_change(c); k++)
			bench_frame(c, &ms[k], &cpu[k]);
		bench_report("(after a change by another process)", ms, cpu, k);
	} else {
		for (k = 0; k < n; k++)
			bench_frame(c, &ms[k], &cpu[k]);
		bench_report("(steady)", ms, cpu, k);
		for (k = 0; k < n / 10 + 1; k++) {
			pane_numbers_forget(&c->pane[c->nteams]);
			clearok(curscr, TRUE);
			bench_frame(c, &ms[k], &cpu[k]);
		}
		bench_report("(burn-down and pace recomputed whole)", ms, cpu, k);
	}
	free(ms);
	free(cpu);
}

/* ---- main ------------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f, "usage: warroom [--db PATH] [--config PATH] [--team ID | --wall | --facilitator]\n"
		   "  opens the console; see CONSOLE in warroom(1)\n");
}

static int find_team(const struct console *c, const char *id)
{
	for (size_t i = 0; i < c->nt && i < LAYOUT_MAX_TEAMS; i++)
		if (strcmp(c->teams[i].id, id) == 0)
			return (int)i;
	return -1;
}

/* The first team of the user's own list ("revocation, replacement"), to
 * start focused on it; the first pane when every team is theirs. */
static int own_team(struct console *c)
{
	const char *p = wr_auth_teams(c->db);

	while (p && *p && strcmp(p, "*") != 0) {
		p += strspn(p, " \t,");
		size_t n = strcspn(p, " \t,");
		for (int i = 0; i < c->nteams && n; i++)
			if (strlen(c->teams[i].id) == n && strncmp(c->teams[i].id, p, n) == 0)
				return i;
		p += n;
	}
	return 0;
}

static void loop(struct console *c)
{
	c->dirty = true;
	while (!c->quit && !got_signal) {
		bg_poll(c); /* commands in the background, a write waiting */
		if (c->dirty || console_changed(c)) {
			c->dirty = false;
			console_frame(c);
		}
		int key = read_key();
		if (key >= 0)
			console_key(c, key);
	}
}

int console_main(struct wr_ctx *ctx, int argc, char **argv)
{
	struct console con, *c = &con;
	const char *team = NULL, *script = wr_priv_getenv("WARROOM_SCRIPT"),
		   *bench_env = wr_priv_getenv("WARROOM_BENCH_REDRAW");
	char err[512] = "";
	int rc = EXIT_OK, bench_n = 0;

	memset(c, 0, sizeof *c);
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--wall") == 0) {
			c->wall = true;
		} else if (strcmp(argv[i], "--facilitator") == 0) {
			c->facilitator = true;
		} else if (strcmp(argv[i], "--team") == 0 && i + 1 < argc) {
			team = argv[++i];
		} else if (strncmp(argv[i], "--team=", 7) == 0) {
			team = argv[i] + 7;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(ctx->out);
			return EXIT_OK;
		} else {
			struct wr_suggest sg;
			char w[48];
			snprintf(w, sizeof w, "%.*s", (int)strcspn(argv[i], "="), argv[i]);
			wr_suggest_init(&sg, w);
			for (int k = 0; cmd_global_options[k]; k++)
				wr_suggest_add(&sg, cmd_global_options[k]);
			char *m = wr_esc_term(argv[i]);
			fprintf(ctx->err, "warroom: unknown option '%s'", m ? m : "?");
			if (wr_suggest_best(&sg))
				fprintf(ctx->err, "; did you mean '%s'?", wr_suggest_best(&sg));
			fputc('\n', ctx->err);
			free(m);
			usage(ctx->err);
			return EXIT_USAGE;
		}
	}
	if (team && c->wall) {
		fprintf(ctx->err, "warroom: --team and --wall do not go together\n");
		return EXIT_USAGE;
	}
	if (c->facilitator && c->wall) {
		fprintf(ctx->err, "warroom: --facilitator and --wall do not go together\n");
		return EXIT_USAGE;
	}
	ctx->team = team; /* with no [users], the team that is the user's */
	if (bench_env && *bench_env) {
		int64_t n;
		if (parse_int(bench_env, &n) || n < 1 || n > 1000000) {
			fprintf(ctx->err, "warroom: WARROOM_BENCH_REDRAW wants a frame count\n");
			return EXIT_USAGE;
		}
		bench_n = (int)n;
	}
	/* The wall never writes: read-only, so it may run on a copy or a
	 * mount where it cannot. */
	if ((rc = cmd_db(ctx, c->wall ? WR_OPEN_READONLY : 0)))
		return rc;
	c->ctx = ctx;
	c->db = ctx->db;
	if (c->facilitator && !wr_exercise_active(c->db)) {
		rc = cmd_error(ctx, EXIT_USAGE, "--facilitator: this database is not a tabletop exercise");
		goto out;
	}
	if (c->facilitator && (rc = wr_auth_facilitator(c->db))) {
		rc = cmd_fail(ctx, rc);
		goto out;
	}
	/* A key never waits on another writer's lock (background.c). */
	wr_db_set_busy_timeout(c->db, CONSOLE_BUSY_MS);
	if (wr_status_get(c->db, &c->st) || wr_team_list(c->db, &c->teams, &c->nt)) {
		rc = cmd_fail(ctx, WR_ERROR);
		goto out;
	}
	c->utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	c->headless = (script && *script) || bench_n;
	if (!(c->cl = cmdline_new()) || panes_build(c)) {
		rc = cmd_error(ctx, EXIT_FAIL, "out of memory");
		goto out;
	}
	c->header.cls = &pane_header_class;
	c->header.st = pane_header_new();
	if (team) {
		int i = find_team(c, team);
		if (i < 0) {
			struct wr_suggest sg;
			wr_suggest_init(&sg, team);
			for (size_t k = 0; k < c->nt; k++)
				wr_suggest_add(&sg, c->teams[k].id);
			char *m = wr_esc_term(team), *near = wr_esc_term(wr_suggest_best(&sg));
			fprintf(ctx->err, "warroom: no team '%s'", m ? m : "?");
			if (wr_suggest_best(&sg))
				fprintf(ctx->err, "; did you mean '%s'?", near ? near : "?");
			fprintf(ctx->err, "; teams:");
			free(m);
			free(near);
			for (size_t k = 0; k < c->nt; k++) {
				fputc(' ', ctx->err);
				out_term(ctx->err, c->teams[k].id);
			}
			fputc('\n', ctx->err);
			rc = EXIT_USAGE;
			goto out;
		}
		console_focus(c, i);
		c->zoom = true;
	} else if (!c->wall) {
		console_focus(c, own_team(c));
	}

	/* A terminal that cannot hold the screen is refused before curses
	 * draws a blank one; a replay or the bench has its own. */
	if (!c->headless) {
		char why[320];
		if ((rc = term_usable(why, sizeof why))) {
			cmd_error(ctx, rc, "%s", why);
			goto out;
		}
	}
	if (!(c->ask = ask_new(c->db))) {
		rc = cmd_error(ctx, EXIT_FAIL, "out of memory");
		goto out;
	}
	signals_install();
	if (term_open(c)) {
		rc = cmd_error(ctx, EXIT_FAIL, "cannot open the terminal%s%s",
			       errno == ENOTTY ? ": not a terminal" : "",
			       errno == ENOTTY ? " (a script runs with WARROOM_SCRIPT)" : "");
		goto out;
	}
	if (bench_n) {
		bench(c, bench_n);
	} else if (script && *script) {
		if (script_run(c, script, err, sizeof err))
			rc = EXIT_FAIL;
	} else {
		loop(c);
	}
	term_close();
	bg_detach(c, ctx->err); /* what goes on without the console */
	if (err[0])
		fprintf(ctx->err, "warroom: %s\n", err);
	if (got_signal)
		rc = 128 + got_signal;
out:
	term_close();
	panes_free(c);
	if (c->header.st)
		c->header.cls->free(c->header.st);
	cmdline_free(c->cl);
	ask_free(c->ask);
	bg_detach(c, ctx->err);
	banner_free(c);
	free(c->teams);
	return rc;
}
