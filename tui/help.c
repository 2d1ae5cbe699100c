/*
 * help.c: the console's keys. One table of key bindings per mode (the
 * console, the ':' and '/' line, the command output popup): dispatch reads
 * them, and the help overlay is generated from them, so the overlay lists
 * exactly the keys that work. Key names here are also what replay scripts
 * write after "key" (script.c).
 */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "console.h"

enum { K_WALL = 1 << 0 }; /* also works on the read-only wall */

struct key_binding {
	int key;
	const char *name;
	const char *help;
	void (*fn)(struct console *c, int key);
	unsigned flags;
};

static const struct key_binding console_keys[] = {
	{'?', "?", "this help; ? or any other key closes it, Up/Down scroll it", act_help, K_WALL},
	{':', ":", "command line: any warroom command, with Tab completion", act_command, 0},
	{'/', "/", "filter tasks and events by text as you type", act_filter, 0},
	{'\t', "Tab", "next pane (next tab when folded)", act_next, 0},
	{KEY_FN(KEY_BTAB), "BTab", "previous pane (Shift-Tab)", act_prev, 0},
	{'h', "h", "pane to the left (previous tab when folded)", act_left, 0},
	{KEY_FN(KEY_LEFT), "Left", "pane to the left (previous tab when folded)", act_left, 0},
	{'l', "l", "pane to the right (next tab when folded)", act_right, 0},
	{KEY_FN(KEY_RIGHT), "Right", "pane to the right (next tab when folded)", act_right, 0},
	{'k', "k", "previous task, action item or newer event; past the top, pane above",
	 act_up, 0},
	{KEY_FN(KEY_UP), "Up", "previous task, action item or newer event; past the top, pane above",
	 act_up, 0},
	{'j', "j", "next task, action item or older event; past the end, the pane below",
	 act_down, 0},
	{KEY_FN(KEY_DOWN), "Down",
	 "next task, action item or older event; past the end, the pane below", act_down, 0},
	{KEY_FN(KEY_PPAGE), "PgUp", "a page up in the pane", act_pgup, 0},
	{KEY_FN(KEY_NPAGE), "PgDn", "a page down in the pane", act_pgdn, 0},
	{'g', "g", "first task, or back to the newest event", act_home, 0},
	{KEY_FN(KEY_HOME), "Home", "first task, or back to the newest event", act_home, 0},
	{'G', "G", "last task or action item, or the oldest event", act_end, 0},
	{KEY_FN(KEY_END), "End", "last task or action item, or the oldest event", act_end, 0},
	{KEY_CTL('d'), "C-d", "half a page down in the pane", act_half_down, 0},
	{KEY_CTL('u'), "C-u", "half a page up in the pane", act_half_up, 0},
	{KEY_FN(KEY_MOUSE), "Mouse",
	 "click: focus that pane, select that task or item; wheel: scroll", act_mouse, 0},
	{'1', "1", "the pane of team 1 to 9, in the plan's order", act_team, 0},
	{'2', "2", "the pane of team 1 to 9, in the plan's order", act_team, 0},
	{'3', "3", "the pane of team 1 to 9, in the plan's order", act_team, 0},
	{'4', "4", "the pane of team 1 to 9, in the plan's order", act_team, 0},
	{'5', "5", "the pane of team 1 to 9, in the plan's order", act_team, 0},
	{'6', "6", "the pane of team 1 to 9, in the plan's order", act_team, 0},
	{'7', "7", "the pane of team 1 to 9, in the plan's order", act_team, 0},
	{'8', "8", "the pane of team 1 to 9, in the plan's order", act_team, 0},
	{'9', "9", "the pane of team 1 to 9, in the plan's order", act_team, 0},
	{'\n', "Enter",
	 "the selected task or action item in full, its history (Esc closes);"
	 " on the numbers or timeline, zoom",
	 act_detail, 0},
	{' ', "space", "tick or untick a task (another team's: y/N); complete an action item",
	 act_tick, 0},
	{'s', "s", "an action item's status: ':action set ID --status ', then Enter",
	 act_action_status, 0},
	{'p', "p", "pause the run the banner shows, or resume it (after its current batch)",
	 act_run_pause, 0},
	{'C', "C", "cancel the run the banner shows, after a question; the rest stays pending",
	 act_run_cancel, 0},
	{'u', "u", "undo your last tick in this console: the task is open again", act_undo, 0},
	{'z', "z", "zoom the pane to the full screen, or back", act_zoom, 0},
	{KEY_ESCAPE, "Esc", "clear the filter, else leave the zoom", act_escape, K_WALL},
	{KEY_CTL('l'), "C-l", "redraw the screen", act_redraw, K_WALL},
	{'q', "q", "leave the zoom, else quit (an overlay closes first)", act_quit, K_WALL},
};

static const struct key_binding line_keys[] = {
	{KEY_FN(KEY_LEFT), "Left", "cursor left", ed_left, 0},
	{KEY_FN(KEY_RIGHT), "Right", "cursor right", ed_right, 0},
	{KEY_FN(KEY_HOME), "Home", "start of the line", ed_home, 0},
	{KEY_CTL('a'), "C-a", "start of the line", ed_home, 0},
	{KEY_FN(KEY_END), "End", "end of the line", ed_end, 0},
	{KEY_CTL('e'), "C-e", "end of the line", ed_end, 0},
	{KEY_FN(KEY_BACKSPACE), "Backspace", "delete before the cursor (on an empty line: leave)",
	 ed_backspace, 0},
	{KEY_FN(KEY_DC), "Del", "delete under the cursor", ed_delete, 0},
	{KEY_CTL('u'), "C-u", "delete to the start of the line", ed_kill_start, 0},
	{KEY_CTL('k'), "C-k", "delete to the end of the line", ed_kill_end, 0},
	{KEY_CTL('w'), "C-w", "delete the word before the cursor", ed_kill_word, 0},
	{KEY_FN(KEY_UP), "Up", "previous command from the history", ed_history_prev, 0},
	{KEY_FN(KEY_DOWN), "Down", "next command from the history", ed_history_next, 0},
	{'\t', "Tab",
	 "complete a command, option, reason code, team, phase or task id; lists the choices",
	 ed_complete, 0},
	{'\n', "Enter", "run the command (output below, or in a window), keep the filter",
	 ed_enter, 0},
	{KEY_ESCAPE, "Esc", "cancel the command; clear the filter", ed_cancel, 0},
};

static const struct key_binding popup_keys[] = {
	{KEY_FN(KEY_UP), "Up", "scroll the command's output", pop_up, 0},
	{'k', "k", "scroll the command's output", pop_up, 0},
	{KEY_FN(KEY_DOWN), "Down", "scroll the command's output", pop_down, 0},
	{'j', "j", "scroll the command's output", pop_down, 0},
	{KEY_FN(KEY_LEFT), "Left", "scroll a wide output back to the left", pop_left, 0},
	{'h', "h", "scroll a wide output back to the left", pop_left, 0},
	{KEY_FN(KEY_RIGHT), "Right", "scroll a wide output to the right", pop_right, 0},
	{'l', "l", "scroll a wide output to the right", pop_right, 0},
	{KEY_FN(KEY_PPAGE), "PgUp", "a page up in the output", pop_pgup, 0},
	{KEY_FN(KEY_NPAGE), "PgDn", "a page down in the output", pop_pgdn, 0},
	{KEY_ESCAPE, "Esc", "close the output (any other key closes it and acts)", pop_close, 0},
	{'q', "q", "close the output (any other key closes it and acts)", pop_close, 0},
	{'\n', "Enter", "close the output (any other key closes it and acts)", pop_close, 0},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct key_binding *lookup(const struct key_binding *t, size_t n, int key)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].key == key)
			return &t[i];
	return NULL;
}

bool keys_console(struct console *c, int key)
{
	const struct key_binding *b = lookup(console_keys, NELEM(console_keys), key);

	if (!b)
		return false;
	if (c->wall && !(b->flags & K_WALL)) {
		console_message(c, ROLE_DIM, "the wall is read-only: q quits, ? lists its keys");
		return true;
	}
	b->fn(c, key);
	return true;
}

bool keys_line(struct console *c, int key)
{
	const struct key_binding *b = lookup(line_keys, NELEM(line_keys), key);
	if (b)
		b->fn(c, key);
	return b != NULL;
}

bool keys_popup(struct console *c, int key)
{
	const struct key_binding *b = lookup(popup_keys, NELEM(popup_keys), key);
	if (b)
		b->fn(c, key);
	return b != NULL;
}

/* ---- names ------------------------------------------------------------------ */

static const struct {
	int key;
	const char *name;
} names[] = {
	{' ', "space"},
	{'\t', "Tab"},
	{'\n', "Enter"},
	{KEY_ESCAPE, "Esc"},
	{KEY_FN(KEY_BTAB), "BTab"},
	{KEY_FN(KEY_UP), "Up"},
	{KEY_FN(KEY_DOWN), "Down"},
	{KEY_FN(KEY_LEFT), "Left"},
	{KEY_FN(KEY_RIGHT), "Right"},
	{KEY_FN(KEY_PPAGE), "PgUp"},
	{KEY_FN(KEY_NPAGE), "PgDn"},
	{KEY_FN(KEY_HOME), "Home"},
	{KEY_FN(KEY_END), "End"},
	{KEY_FN(KEY_BACKSPACE), "Backspace"},
	{KEY_FN(KEY_DC), "Del"},
	{KEY_FN(KEY_RESIZE), "Resize"},
	{KEY_FN(KEY_MOUSE), "Mouse"},
};

const char *wr_key_name(int key, char *buf, size_t sz)
{
	for (size_t i = 0; i < NELEM(names); i++)
		if (names[i].key == key) {
			snprintf(buf, sz, "%s", names[i].name);
			return buf;
		}
	if (key >= KEY_FN(KEY_F(1)) && key <= KEY_FN(KEY_F(12)))
		snprintf(buf, sz, "F%d", key - KEY_FN(KEY_F(0)));
	else if (key & KEY_FN(0))
		snprintf(buf, sz, "key-%d", key & ~KEY_FN(0));
	else if (key > 0 && key < 0x20)
		snprintf(buf, sz, "C-%c", key + 'a' - 1);
	else {
		char mb[8] = "";
		int n = wctomb(mb, (wchar_t)key);
		char *e;
		mb[n > 0 ? n : 0] = '\0';
		e = wr_esc_term(mb);
		snprintf(buf, sz, "%s", e ? e : "?");
		free(e);
	}
	return buf;
}

int wr_key_parse(const char *name)
{
	for (size_t i = 0; i < NELEM(names); i++)
		if (strcmp(names[i].name, name) == 0)
			return names[i].key;
	if (name[0] == 'C' && name[1] == '-' && name[2] >= 'a' && name[2] <= 'z' && !name[3])
		return KEY_CTL(name[2]);
	if (name[0] == 'F' && name[1] >= '1' && name[1] <= '9') {
		int n = atoi(name + 1);
		if (n >= 1 && n <= 12)
			return KEY_FN(KEY_F(n));
	}
	wchar_t wc;
	int k = mbtowc(&wc, name, strlen(name));
	if (k > 0 && name[k] == '\0')
		return (int)wc;
	return -1;
}

/* ---- the overlay ------------------------------------------------------------ */

struct help_line {
	char keys[48];
	const char *help;
	bool heading;
};

/* Bindings with the same action and text share a line: "h, Left"; a run
 * of digits reads "1..9". */
static int group(const struct key_binding *t, size_t n, bool wall, struct help_line *out, int max)
{
	int k = 0;

	for (size_t i = 0; i < n && k < max;) {
		size_t j = i + 1;
		while (j < n && t[j].fn == t[i].fn && strcmp(t[j].help, t[i].help) == 0)
			j++;
		if (!wall || (t[i].flags & K_WALL)) {
			struct help_line *l = &out[k++];
			l->heading = false;
			l->help = t[i].help;
			if (j - i > 2 && strlen(t[i].name) == 1 && t[i].name[0] >= '0' &&
			    t[i].name[0] <= '9') {
				snprintf(l->keys, sizeof l->keys, "%s..%s", t[i].name, t[j - 1].name);
			} else {
				l->keys[0] = '\0';
				for (size_t m = i; m < j; m++) {
					size_t n = strlen(l->keys);
					snprintf(l->keys + n, sizeof l->keys - n, "%s%s", m > i ? ", " : "",
						 t[m].name);
				}
			}
		}
		i = j;
	}
	return k;
}

/* What the panes draw, for the overlay's legend: the symbol as drawn in a
 * UTF-8 locale and in ASCII, and what it says. Keep in step with the
 * panes (pane-team.c, pane-numbers.c, pane-timeline.c, the tab bar and
 * the header). */
static const struct {
	const char *utf8, *ascii, *help;
} legend[] = {
	{"12>", "12>", "'>' after a task's id: the selected task"},
	{"[ ] [x]", "[ ] [x]", "a task open, done"},
	{"[b]", "[b]", "a blocked task (Enter shows the reason)"},
	{"A1 [!] [-]", "A1 [!] [-]",
	 "action item 1; [!] delayed, [-] canceled ([ ] ongoing, [x] complete)"},
	{"14:00!", "14:00!", "'!' after a due time: overdue (and red)"},
	{"2! 1? 1b", "2! 1? 1b", "a narrow team title: tasks overdue, without an owner, blocked"},
	{"red, amber", "red, amber", "a team's border: a task overdue; one due within the hour"},
	{"-", "-", "none: no owner, no due time; a figure not known yet"},
	{"view only", "view only", "a team whose tasks you may not tick"},
	{"more, older", "more, older", "more tasks, older events below: scroll down"},
	{"\xe2\x80\xa2", "*", "timeline: new since you last looked (bold until seen)"},
	{"\xe2\x96\x88\xe2\x96\x8c\xe2\x96\x91", "#=-", "a team's progress: tasks done of its tasks"},
	{"\xe2\x96\x88\xe2\x96\x86\xe2\x96\x83", "#o.", "burn-down: certificates still to revoke over time"},
	{"\xc2\xb7\xc2\xb7", "..", "burn-down: the straight line from discovery to the deadline"},
	{"^now", "^now", "burn-down: the present column"},
	{"< >", "< >", "tab bar: more tabs that way; [Name]: the tab shown"},
	{"SIMULATED", "SIMULATED", "header: the clock is WARROOM_NOW's (a test)"},
	{"EXERCISE", "EXERCISE", "header: a tabletop exercise; its clock's speed (x60), PAUSED, ENDED"},
	{"OVERDUE", "OVERDUE", "header: the revocation deadline has passed"},
	{"ZOOM /text", "ZOOM /text", "status line: a zoomed pane; the filter in force"},
};

static int help_lines(const struct console *c, struct help_line *l, int max)
{
	int n = 0;

	l[n].heading = true;
	l[n++].help = c->wall ? "Keys of the wall (read-only)" : "Keys of the console";
	n += group(console_keys, NELEM(console_keys), c->wall, l + n, max - n);
	if (c->wall)
		return n;
	l[n].heading = true;
	l[n++].help = "On the ':' and '/' line";
	n += group(line_keys, NELEM(line_keys), false, l + n, max - n);
	l[n].heading = true;
	l[n++].help = "In a command's output";
	n += group(popup_keys, NELEM(popup_keys), false, l + n, max - n);
	l[n].heading = true;
	l[n++].help = "Symbols on the screen";
	for (size_t i = 0; i < NELEM(legend) && n < max - 1; i++, n++) {
		l[n].heading = false;
		snprintf(l[n].keys, sizeof l[n].keys, "%s", c->utf8 ? legend[i].utf8 : legend[i].ascii);
		l[n].help = legend[i].help;
	}
	l[n].heading = true;
	l[n++].help = "':help' lists the commands; ':help task done' one command's options";
	return n;
}

void help_draw(struct console *c)
{
	struct help_line l[96];
	int n = help_lines(c, l, 96);
	const struct lrect *b = &c->lay.body;
	struct lrect r;

	r.w = b->w < 90 ? b->w : 90;
	r.h = n + 2 < b->h ? n + 2 : b->h;
	r.x = b->x + (b->w - r.w) / 2;
	r.y = b->y + (b->h - r.h) / 2;
	int rows = r.h - 2;
	if (c->help_top > n - rows)
		c->help_top = n - rows;
	if (c->help_top < 0)
		c->help_top = 0;
	for (int y = r.y; y < r.y + r.h; y++)
		draw_fill(y, r.x, r.w, A_NORMAL);
	draw_box(c, &r, n > rows ? " Help (Up/Down scroll) " : " Help ", true);
	for (int i = 0; i < rows && c->help_top + i < n; i++) {
		const struct help_line *h = &l[c->help_top + i];
		int y = r.y + 1 + i;
		if (h->heading) {
			draw_text(c, y, r.x + 2, r.w - 4, h->help, console_attr(c, ROLE_TITLE));
			continue;
		}
		draw_text(c, y, r.x + 4, 14, h->keys, console_attr(c, ROLE_KEY));
		draw_text(c, y, r.x + 19, r.w - 21, h->help, A_NORMAL);
	}
}

void help_key(struct console *c, int key)
{
	struct help_line l[96];
	int n = help_lines(c, l, 96);

	switch (key) {
	case KEY_FN(KEY_UP):
	case 'k':
		if (c->help_top > 0)
			c->help_top--;
		return;
	case KEY_FN(KEY_DOWN):
	case 'j':
		if (c->help_top < n - 1)
			c->help_top++;
		return;
	case KEY_FN(KEY_NPAGE): c->help_top += 10; return;
	case KEY_FN(KEY_PPAGE): c->help_top = c->help_top > 10 ? c->help_top - 10 : 0; return;
	default: c->help = false; return;
	}
}

void help_hints(struct console *c, const struct lrect *r)
{
	static const char *const normal[][2] = {
		{"?", "help"}, {":", "command"}, {"/", "filter"}, {"Tab", "pane"},
		{"Enter", "detail"}, {"space", "tick"}, {"q", "quit"},
	};
	static const char *const wall[][2] = {{"?", "help"}, {"q", "quit"}};
	const char *const(*h)[2] = c->wall ? wall : normal;
	size_t n = c->wall ? NELEM(wall) : NELEM(normal);
	int x = r->x + 1, right = r->x + r->w;

	if (ask_pending(c)) { /* a y/N question takes the row (ask.c) */
		ask_draw(c, r);
		return;
	}

	draw_fill(r->y, r->x, r->w, A_NORMAL);
	for (size_t i = 0; i < n && x < right; i++) {
		x += draw_text(c, r->y, x, right - x, h[i][0], console_attr(c, ROLE_KEY) | A_REVERSE);
		if (x < right)
			x += draw_text(c, r->y, x, right - x, " ", A_NORMAL);
		if (x < right)
			x += draw_text(c, r->y, x, right - x, h[i][1], A_NORMAL);
		if (x < right)
			x += draw_text(c, r->y, x, right - x, "  ", A_NORMAL);
	}
}
