/*
 * confirm.c: the actions that ask before they act, and how they ask.
 *
 * Three actions are hard to take back in the middle of an incident:
 * closing it, a phase change that leaves (or skips past) the revocation
 * phase while certificates are still pending, and ticking a task of a
 * team that is not the user's own (Management may tick anyone's, and a
 * commander's slip of the space bar should not tell a team its work is
 * done). Each is a row of one table: the command and the function that
 * says whether this use of it asks, and what. The commands themselves
 * do not know: cmd_run calls cmd_confirm_before between opening the
 * database and running the command.
 *
 * How it asks depends on where it runs: the console's ':' line gets
 * EXIT_ASK and shows the question on its bottom row (ask.c, y/N); a
 * command on a terminal asks on stderr, "[y/N]", as revoke does; without
 * a terminal it refuses (exit 2) and names --yes, which confirms
 * beforehand everywhere. A question is asked only of a user who may do
 * the thing: a refusal is the core's to give, unasked.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

/* "1,234": the counts in a question are read by people. */
static const char *grouped(int64_t v, char *b, size_t n)
{
	char raw[32];
	int len = snprintf(raw, sizeof raw, "%lld", (long long)(v < 0 ? -v : v));
	size_t o = 0;

	if (v < 0 && o + 1 < n)
		b[o++] = '-';
	for (int i = 0; i < len && o + 2 < n; i++) {
		b[o++] = raw[i];
		if ((len - i - 1) % 3 == 0 && i < len - 1)
			b[o++] = ',';
	}
	b[o] = '\0';
	return b;
}

static bool list_has(const char *list, const char *id)
{
	size_t n = strlen(id);

	for (const char *p = list; *p;) {
		p += strspn(p, " \t,");
		size_t k = strcspn(p, " \t,");
		if (k == n && strncmp(p, id, n) == 0)
			return true;
		p += k;
	}
	return false;
}

const char *cmd_own_teams(struct wr_ctx *ctx)
{
	/* The pinned [users] says whose the user is; with no [users] every
	 * team is everyone's, and the console's --team names the one the
	 * user sits with. */
	const char *t = wr_auth_teams(ctx->db);

	if (strcmp(t, "*") != 0)
		return t;
	return ctx->team && *ctx->team ? ctx->team : NULL;
}

static bool cmd_other_team(struct wr_ctx *ctx, const char *team)
{
	const char *own = cmd_own_teams(ctx);

	if (!own || !*own || list_has(own, team))
		return false;
	/* One who may not act for the team is refused, not asked. */
	return wr_auth_team(ctx->db, team) == 0;
}

/* The team's display name, escaped (malloc'd). */
static char *team_name(struct wr_ctx *ctx, const char *id)
{
	struct wr_team *teams = NULL;
	size_t n = 0;
	char *name = NULL;

	if (wr_team_list(ctx->db, &teams, &n) == 0)
		for (size_t i = 0; i < n && !name; i++)
			if (strcmp(teams[i].id, id) == 0)
				name = wr_esc_term(teams[i].name);
	free(teams);
	return name ? name : wr_esc_term(id);
}

int cmd_tick_question(struct wr_ctx *ctx, const char *team, const char *what, char *q, size_t n)
{
	if (!cmd_other_team(ctx, team))
		return 0;
	char *name = team_name(ctx, team), *own = wr_esc_term(cmd_own_teams(ctx));
	snprintf(q, n, "%s of %s? It is not your team (yours: %s).", what, name ? name : "?",
		 own ? own : "?");
	free(name);
	free(own);
	return 1;
}

/* ---- the questions ----------------------------------------------------------- */

/* The positional arguments of argv as the command's getopt sees them,
 * on a copy (GNU getopt permutes); -1 when getopt refuses an option: the
 * command will say so, unasked. */
static int positionals(const struct wr_cmd *c, int argc, char **argv, char **pos, int max)
{
	static const struct option none[] = {{0}};
	char **copy = malloc(((size_t)argc + 1) * sizeof *copy);
	int n = 0, o;

	if (!copy)
		return -1;
	memcpy(copy, argv, (size_t)argc * sizeof *copy);
	copy[argc] = NULL;
	optind = 0;
	opterr = 0;
	while ((o = getopt_long(argc, copy, "", c->longopts ? c->longopts : none, NULL)) != -1)
		if (o == '?') { /* an unknown option, or one without its value */
			n = -1;
			break;
		}
	for (int i = optind; n >= 0 && i < argc && n < max; i++)
		pos[n++] = copy[i];
	if (n >= 0 && argc - optind > max)
		n = -1;
	optind = 0;
	free(copy);
	return n;
}

struct task_look {
	char team[48];
	char *title; /* escaped, malloc'd */
	bool done;
	bool found;
};

static int task_look_cb(const struct wr_task *t, void *arg)
{
	struct task_look *l = arg;
	snprintf(l->team, sizeof l->team, "%s", t->team);
	l->title = wr_esc_term(t->title);
	l->done = t->done_at != 0;
	l->found = true;
	return 0;
}

static int ask_task_done(struct wr_ctx *ctx, const struct wr_cmd *c, int argc, char **argv, char *q,
			 size_t n)
{
	char *pos[1];
	int64_t id;
	struct task_look l = {0};

	if (positionals(c, argc, argv, pos, 1) != 1 || parse_int(pos[0], &id) || id <= 0)
		return 0;
	if (wr_task_get(ctx->db, id, task_look_cb, &l) || !l.found || l.done) {
		free(l.title);
		return 0; /* the command says what is wrong */
	}
	char what[320];
	snprintf(what, sizeof what, "Tick task %lld \"%s\"", (long long)id,
		 l.title ? l.title : "?");
	free(l.title);
	return cmd_tick_question(ctx, l.team, what, q, n);
}

/* Counts in a question: "1,234 certificates pending", "... and 12 delayed". */
static void pending_text(const struct wr_status *s, char *b, size_t n)
{
	char p[32], h[32];

	grouped(s->counts.pending, p, sizeof p);
	grouped(s->counts.held, h, sizeof h);
	if (s->counts.held)
		snprintf(b, n, "%s certificate%s pending and %s delayed", p,
			 s->counts.pending == 1 ? "" : "s", h);
	else
		snprintf(b, n, "%s certificate%s pending", p, s->counts.pending == 1 ? "" : "s");
}

static int ask_close(struct wr_ctx *ctx, const struct wr_cmd *c, int argc, char **argv, char *q,
		     size_t n)
{
	struct wr_status s;
	char *pos[1];
	char pend[160];

	if (positionals(c, argc, argv, pos, 1) != 0 || wr_auth_team(ctx->db, "management"))
		return 0;
	/* Unreadable now (another writer): asked all the same, without counts. */
	bool known = wr_status_get(ctx->db, &s) == 0;
	if (known && strcmp(s.state, WR_STATE_CLOSED) == 0)
		return 0;
	if (known && (s.counts.pending > 0 || s.counts.held > 0)) {
		pending_text(&s, pend, sizeof pend);
		snprintf(q, n, "Close the incident with %s?", pend);
	} else {
		snprintf(q, n, "Close the incident?");
	}
	return 1;
}

/* Revocation is phase 3: leaving it, or going past it, with certificates
 * pending is the move that asks. Moving through the earlier phases with
 * everything still pending is the plan's normal course, and a question
 * asked at every step would teach everyone to answer y. */
#define PHASE_REVOCATION 3

static int ask_phase(struct wr_ctx *ctx, const struct wr_cmd *c, int argc, char **argv, char *q,
		     size_t n)
{
	struct wr_status s;
	char *pos[1];
	char pend[160];
	int to;

	if (positionals(c, argc, argv, pos, 1) != 1 || (to = wr_phase_parse(pos[0])) < 0 ||
	    wr_auth_team(ctx->db, "management"))
		return 0;
	if (wr_status_get(ctx->db, &s)) {
		/* Unreadable now (another writer): asked all the same. */
		snprintf(q, n, "Move to %s?", wr_phase_title(to));
		return 1;
	}
	if (strcmp(s.state, WR_STATE_CLOSED) == 0 || to == s.phase || s.counts.pending <= 0 ||
	    (to <= PHASE_REVOCATION && s.phase != PHASE_REVOCATION))
		return 0;
	pending_text(&s, pend, sizeof pend);
	snprintf(q, n, "%s %s with %s?", to < s.phase ? "Go back to" : "Move to",
		 wr_phase_title(to), pend);
	return 1;
}

static const struct {
	const struct wr_cmd *cmd;
	int (*ask)(struct wr_ctx *ctx, const struct wr_cmd *c, int argc, char **argv, char *q,
		   size_t n);
} asks[] = {
    {&cmd_close, ask_close},
    {&cmd_phase, ask_phase},
    {&cmd_task_done, ask_task_done},
};

bool cmd_asks(const struct wr_cmd *c)
{
	for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++)
		if (asks[i].cmd == c)
			return true;
	return false;
}

/* ---- asking ------------------------------------------------------------------ */

int cmd_confirm(struct wr_ctx *ctx, const struct wr_cmd *c, const char *question)
{
	if (ctx->yes)
		return 0;
	if (ctx->console) {
		/* The console asks on its bottom row, then runs it again. */
		free(ctx->question);
		ctx->question = strdup(question);
		return ctx->question ? EXIT_ASK : cmd_error(ctx, EXIT_FAIL, "out of memory");
	}
	if (!isatty(STDIN_FILENO))
		return cmd_error(ctx, EXIT_USAGE,
				 "%s: asks \"%s\"; add --yes to confirm (no terminal to ask on)",
				 c->name, question);
	fprintf(ctx->err, "%s [y/N] ", question);
	fflush(ctx->err);
	char line[16] = "";
	if (!fgets(line, sizeof line, stdin) || (line[0] != 'y' && line[0] != 'Y'))
		return cmd_error(ctx, EXIT_FAIL, "%s: not confirmed; nothing done", c->name);
	return 0;
}

/* Whether argv[i] is the value of the option before it ("--note --yes"). */
static bool is_value(const struct wr_cmd *c, char **argv, int i)
{
	const char *prev = i >= 2 ? argv[i - 1] : "";

	if (strncmp(prev, "--", 2) != 0 || strchr(prev, '='))
		return false;
	for (const struct option *o = c->longopts; o && o->name; o++)
		if (strcmp(prev + 2, o->name) == 0)
			return o->has_arg == required_argument;
	return false;
}

int cmd_confirm_before(struct wr_ctx *ctx, const struct wr_cmd *c, int *argc, char **argv)
{
	size_t k;

	for (k = 0; k < sizeof asks / sizeof asks[0] && asks[k].cmd != c; k++)
		;
	if (k == sizeof asks / sizeof asks[0])
		return 0;
	/* --yes is this file's option, for each command that asks: taken out
	 * of argv, so the command's own getopt never sees it. */
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--yes") == 0 && !is_value(c, argv, i)) {
			ctx->yes = true;
			memmove(argv + i, argv + i + 1, (size_t)(*argc - i) * sizeof *argv);
			(*argc)--;
			i--;
		}
	}
	char q[512];
	if (!asks[k].ask(ctx, c, *argc, argv, q, sizeof q))
		return 0;
	return cmd_confirm(ctx, c, q);
}
