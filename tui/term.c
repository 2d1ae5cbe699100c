/*
 * term.c: whether the terminal can hold the console, asked before curses
 * takes it. A dumb terminal, an unset TERM or one that terminfo does not
 * know, or one without cursor addressing would get a blank or garbled
 * screen from curses; the console refuses it instead, saying why, and
 * the commands still work there. A replay (WARROOM_SCRIPT) draws on a
 * terminal of its own and never asks.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "console.h"
/* After curses (console.h), which it extends. */
#include <term.h>

int term_usable(char *why, size_t n)
{
	const char *term = getenv("TERM");
	int err = 0;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		snprintf(why, n,
			 "the console needs a terminal: standard %s is not a terminal"
			 " (commands run without one; a replay runs with WARROOM_SCRIPT)",
			 isatty(STDIN_FILENO) ? "output" : "input");
		return EXIT_USAGE;
	}
	if (!term || !*term) {
		snprintf(why, n,
			 "the console needs a terminal type: TERM is not set (set it to"
			 " your terminal's, such as xterm-256color; commands work without)");
		return EXIT_USAGE;
	}
	char *t = wr_esc_term(term);
	if (strcmp(term, "dumb") == 0) {
		snprintf(why, n,
			 "TERM=dumb cannot show the console: it has no cursor addressing"
			 " (use a terminal such as xterm or tmux; commands work on this one)");
	} else if (setupterm(term, STDOUT_FILENO, &err) != OK) {
		snprintf(why, n,
			 "TERM=%s: %s (set TERM to your terminal's, such as"
			 " xterm-256color)",
			 t ? t : "?",
			 err == 0 ? "a terminal type the terminfo database does not know"
				  : "no terminfo database found");
	} else {
		const char *cup = tigetstr("cup");
		bool hardcopy = tigetflag("hc") > 0, generic = tigetflag("gn") > 0;
		del_curterm(cur_term);
		if (!cup || cup == (char *)-1 || hardcopy || generic)
			snprintf(why, n,
				 "TERM=%s cannot show the console: it has no cursor"
				 " addressing (use a terminal such as xterm or tmux)",
				 t ? t : "?");
		else
			why[0] = '\0';
	}
	free(t);
	return why[0] ? EXIT_USAGE : 0;
}
