/*
 * script.c: replaying keys from a file and saving the screen as text, so
 * the console can be tested like tig's suite does: a script names the
 * steps, the program runs them at a fixed size (LINES, COLUMNS) on a
 * terminal of /dev/null, and save-display writes what a person would
 * see, to be compared with an expected file.
 *
 *   # a comment
 *   :task done 3          the ':' line, typed, then Enter
 *   key space             one key by its help-overlay name (key j 3: thrice)
 *   type some text        characters as typed
 *   wait-change [SECS]    until another process changes the database (5 s)
 *   sleep SECS
 *   resize COLSxROWS      as if the terminal were resized
 *   click COL ROW         a mouse click there (0-based), as KEY_MOUSE acts
 *   save-display FILE     the screen as text
 *   quit
 *
 * Every step is followed by a frame, as the console's loop would draw.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "console.h"

static void type_text(struct console *c, const char *s)
{
	mbstate_t ms;
	size_t left = strlen(s);

	memset(&ms, 0, sizeof ms);
	while (left) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, s, left, &ms);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&ms, 0, sizeof ms);
			wc = (unsigned char)*s;
			k = 1;
		}
		console_key(c, (int)wc);
		s += k;
		left -= k;
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

int screen_save(const char *path)
{
	/* Paths the user names are opened with the user's own rights. */
	FILE *f = wr_fopen_user(path, "w");
	char *line;
	size_t cap = (size_t)COLS * 8 + 2;

	if (!f)
		return -1;
	line = malloc(cap);
	if (!line) {
		fclose(f);
		return -1;
	}
	for (int y = 0; y < LINES; y++) {
		size_t len = 0;
		for (int x = 0; x < COLS; x++) {
			cchar_t cc;
			wchar_t wch[CCHARW_MAX + 1];
			attr_t a;
			short pair;
			mbstate_t ms;
			memset(&ms, 0, sizeof ms);
			if (mvwin_wch(stdscr, y, x, &cc) == ERR ||
			    getcchar(&cc, wch, &a, &pair, NULL) == ERR || !wch[0]) {
				wch[0] = L' ';
				wch[1] = L'\0';
			}
			for (int i = 0; i < CCHARW_MAX && wch[i]; i++) {
				if (len + MB_CUR_MAX + 1 >= cap)
					break;
				size_t k = wcrtomb(line + len, wch[i], &ms);
				if (k == (size_t)-1)
					line[len++] = '?';
				else
					len += k;
			}
			/* A wide character's second cell is part of it. */
			if (wcwidth(wch[0]) == 2)
				x++;
		}
		while (len && line[len - 1] == ' ')
			len--;
		line[len] = '\0';
		fprintf(f, "%s\n", line);
	}
	free(line);
	return fclose(f) == 0 ? 0 : -1;
}

/* Waits for a commit by another process: data_version moves. */
static int wait_change(struct console *c, double secs)
{
	for (long waited = 0; waited <= (long)(secs * 1000); waited += 20) {
		int64_t v;
		if (wr_db_data_version(c->db, &v) == 0 && v != c->frame_version)
			return 0;
		sleep_ms(20);
	}
	return -1;
}

int script_run(struct console *c, const char *path, char *err, size_t errsz)
{
	FILE *f = wr_fopen_user(path, "r");
	char buf[4096];
	int ln = 0, rc = 0;

	if (!f) {
		snprintf(err, errsz, "%s: cannot open the script", path);
		return -1;
	}
	console_frame(c);
	while (!c->quit && fgets(buf, sizeof buf, f)) {
		char *s = buf, *arg;
		ln++;
		s[strcspn(s, "\r\n")] = '\0';
		s += strspn(s, " \t");
		if (!*s || *s == '#')
			continue;
		if (*s == ':') {
			console_key(c, ':');
			type_text(c, s + 1);
			console_key(c, '\n');
			console_frame(c);
			continue;
		}
		arg = s + strcspn(s, " \t");
		if (*arg)
			*arg++ = '\0';
		arg += strspn(arg, " \t");
		if (strcmp(s, "key") == 0) {
			char name[64];
			int times = 1, k;
			if (sscanf(arg, "%63s %d", name, &times) < 1 || (k = wr_key_parse(name)) < 0 ||
			    times < 1) {
				snprintf(err, errsz, "%s:%d: no key '%s' (names as in the help overlay)",
					 path, ln, arg);
				rc = -1;
				break;
			}
			while (times-- > 0 && !c->quit) {
				console_key(c, k);
				console_frame(c);
			}
		} else if (strcmp(s, "type") == 0) {
			type_text(c, arg);
		} else if (strcmp(s, "wait-change") == 0) {
			double secs = *arg ? atof(arg) : 5;
			if (wait_change(c, secs)) {
				snprintf(err, errsz, "%s:%d: the database did not change in %g s", path,
					 ln, secs);
				rc = -1;
				break;
			}
		} else if (strcmp(s, "sleep") == 0) {
			sleep_ms((long)(atof(arg) * 1000));
		} else if (strcmp(s, "resize") == 0) {
			int w, h;
			if (sscanf(arg, "%dx%d", &w, &h) != 2 || w < 1 || h < 1 || w > 1000 ||
			    h > 1000) {
				snprintf(err, errsz, "%s:%d: resize COLSxROWS, not '%s'", path, ln, arg);
				rc = -1;
				break;
			}
			resizeterm(h, w);
		} else if (strcmp(s, "click") == 0) {
			int x, y;
			if (sscanf(arg, "%d %d", &x, &y) != 2 || x < 0 || y < 0) {
				snprintf(err, errsz, "%s:%d: click COL ROW, not '%s'", path, ln, arg);
				rc = -1;
				break;
			}
			c->dirty = true;
			console_click(c, y, x);
		} else if (strcmp(s, "save-display") == 0) {
			console_frame(c);
			if (!*arg || screen_save(arg)) {
				snprintf(err, errsz, "%s:%d: cannot write '%s'", path, ln, arg);
				rc = -1;
				break;
			}
		} else if (strcmp(s, "quit") == 0) {
			break;
		} else {
			snprintf(err, errsz, "%s:%d: unknown step '%s'", path, ln, s);
			rc = -1;
			break;
		}
		console_frame(c);
	}
	fclose(f);
	return rc;
}
