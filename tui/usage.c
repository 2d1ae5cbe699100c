/*
 * usage.c: what --help says, and "did you mean" for what was mistyped.
 *
 * `warroom --help` lists the global and console options and every
 * command of the table with its summary; `warroom COMMAND --help` (and
 * `help COMMAND`, and ':help COMMAND' in the console) gives the
 * command's synopsis, each of its options with what it does, and the
 * formats and values its arguments take (times, reason codes, phases,
 * states, ids). The options come from the command itself (its option
 * table and its synopsis), so an option added to a command is listed
 * even before a line describing it is added here.
 *
 * Suggestions compare a mistyped word with the words that would have
 * been right: the command table, the command's options, a list of values
 * (core/suggest.c measures).
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* ---- the program's help -------------------------------------------------------- */

#define WIDTH 79

/* Prints text from column col (where the cursor is), wrapped before
 * WIDTH, later lines indented by indent; ends the line. */
static void wrap(FILE *f, int col, int indent, const char *text)
{
	bool first = true;

	for (const char *p = text + strspn(text, " "); *p; p += strspn(p, " ")) {
		int word = (int)strcspn(p, " ");
		if (!first && col + 1 + word > WIDTH) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (!first) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, (size_t)word, f);
		col += word;
		p += word;
		first = false;
	}
	fputc('\n', f);
}

/* "  left   text", text wrapped under itself. */
static void item(FILE *f, const char *left, int lw, const char *text)
{
	int n = fprintf(f, "  %-*s ", lw, left);
	if (n > lw + 3) { /* too long: the text goes under it */
		fprintf(f, "\n%*s", lw + 3, "");
		n = lw + 3;
	}
	wrap(f, n, lw + 3, text);
}

/* The options before the command; the console's after them (console.c). */
static const struct {
	const char *opt, *help;
} global_opts[] = {
    {"--db PATH", "the incident's database (default: $WARROOM_DB, else ./warroom.db)"},
    {"--config PATH", "the configuration, see warroom.conf(5) (default: $WARROOM_CONFIG,"
		      " else ./warroom.conf)"},
    {"--team ID", "console: open zoomed on this team's pane; with no [users] in the"
		  " config, the team whose tasks are yours (others' ask before a tick)"},
    {"--wall", "console: the read-only view for a big screen"},
    {"--facilitator", "console: an exercise's schedule, expectations and scores, with keys to"
		      " pause, speed up, fire and note (the facilitator's)"},
    {"--help, -h", "this help; 'warroom COMMAND --help' for a command's options"},
    {"--version", "the version"},
};

const char *const cmd_global_options[] = {"--db",   "--config",  "--team", "--wall",
					  "--facilitator", "--help", "--version", NULL};

void cmd_list(FILE *f)
{
	fprintf(f, "usage: warroom [--db PATH] [--config PATH] [--team ID | --wall | --facilitator]\n"
		   "       warroom [--db PATH] [--config PATH] COMMAND [ARGS]\n");
	wrap(f, 0, 0,
	     "With no command, opens the console, which needs a terminal with cursor"
	     " addressing; '?' in it lists its keys.");
	fprintf(f, "\noptions:\n");
	for (size_t i = 0; i < sizeof global_opts / sizeof global_opts[0]; i++)
		item(f, global_opts[i].opt, 14, global_opts[i].help);
	fprintf(f, "\ncommands:\n");
	for (size_t i = 0; i < wr_ncmds; i++)
		if (wr_cmds[i])
			item(f, wr_cmds[i]->name, 14, wr_cmds[i]->summary);
	fputc('\n', f);
	wrap(f, 0, 0,
	     "close, a phase change out of revocation with certificates pending and a"
	     " tick of another team's task ask before they act; --yes confirms"
	     " beforehand.");
	wrap(f, 0, 0, "Exit status: 0 success, 1 failure or refusal, 2 usage or input error.");
	wrap(f, 0, 0,
	     "'warroom COMMAND --help' for a command's options and values; see"
	     " warroom(1).");
}

/* ---- one command's help ---------------------------------------------------------- */

/* What an option does: for one command, else (cmd NULL) wherever it is. */
static const struct {
	const char *cmd, *opt, *help;
} opt_help[] = {
    {NULL, "json", "print JSON instead of text"},
    {NULL, "help", "this help"},
    {"init", "name", "the incident's name"},
    {"init", "active-total", "the CA's number of active TLS certificates (the 1% MRE criterion)"},
    {"init", "plan", "the plan file (default: the built-in plan, data/plan.ini)"},
    {"import", "customers",
     "a CSV of serial,customer,contact rows (serial in hex); a header"
     " row may add the columns critical (yes/no) and endpoints"
     " (host[:port] ...); applied whole or not at all"},
    {"import", "issuers",
     "CA certificates (a PEM bundle or one DER file) to check"
     " signatures against; repeatable"},
    {"import", "threads", "parsing threads (default: one per core)"},
    {"import", "replacements",
     "PATH... are the certificates issued in place of the affected"
     " ones: link each affected certificate to the newest that covers"
     " its names, from its issuer's family, for the same customer"},
    {"ari", "out",
     "the directory for the renewalInfo files (made if missing), written with"
     " your own rights"},
    {"declare", "reason", "the BR reason code (see below, and 'warroom reasons')"},
    {"declare", "discovered", "when the CA learned of the problem: the deadline runs from it"},
    {"declare", "note", "a note recorded with the declaration"},
    {"declare", "burden", "MRE criterion met: major customer outreach or operational burden"},
    {"declare", "compliance",
     "MRE criterion met: compliance failures affecting many"
     " certificates"},
    {"declare", "key-vulnerability",
     "MRE criterion met: a major vulnerability in server keys"
     " (Heartbleed class)"},
    {"declare", "ca-key", "MRE criterion met: CA key compromise"},
    {"certs", "state", "only certificates in this state"},
    {"certs", "customer", "only this customer's certificates (the name as certs prints it)"},
    {"certs", "limit", "at most N certificates"},
    {"task list", "team", "only this team's tasks"},
    {"task list", "phase", "only this phase's tasks (default: every phase)"},
    {"task list", "undone", "only tasks not done yet"},
    {"task list", "owner", "only this user's tasks"},
    {"task list", "unassigned", "only tasks without an owner"},
    {"task done", "note", "a note recorded with the tick"},
    {"exercise start", "speed",
     "simulated seconds a real second, 0.1 to 10000 (default: the scenario's; 60 runs an"
     " hour a minute)"},
    {"exercise start", "at", "the simulated instant the exercise begins (default: now)"},
    {"exercise start", "plan", "the plan tested (default: the built-in one)"},
    {"exercise start", "name", "the incident's name (default: \"Exercise: \" and the scenario's title)"},
    {"task add", "team", "the team the task belongs to"},
    {"task add", "phase", "the phase the task belongs to"},
    {"task add", "due", "when it is due"},
    {"close", "note", "a note recorded with the close"},
    {"reopen", "note", "why it is reopened (required; recorded for the auditor)"},
    {"authorize", "limit", "authorize at most N certificates"},
    {"revoke", "wave", "revoke this wave (default: the next in order whose time has come)"},
    {"revoke", "limit", "revoke at most N certificates in this run"},
    {"revoke", "customer", "only this customer's certificates"},
    {"revoke", "dry-run", "count what would be revoked; change nothing"},
    {"revoke", "yes",
     "revoke without asking (without it: asks on a terminal, refuses"
     " otherwise)"},
    {"revoke", "batch", "certificates per batch (1 to 100000)"},
    {"wave add", "customer",
     "a customer whose unrevoked certificates join the wave;"
     " repeatable"},
    {"wave add", "serials", "a file of serials in hex, one a line"},
    {"wave add", "not-before", "the wave's earliest start"},
    {"wave add", "critical",
     "yes: only certificates of critical customers; no: only those of"
     " customers that are not (and of none)"},
    {"customer set", "contact", "the customer's address, for all its certificates"},
    {"customer set", "critical", "yes or no: a customer in critical infrastructure, served first"},
    {"ack", "customer", "the customer that acknowledged (the name as 'customers' prints it)"},
    {"ack", "note", "what they said, recorded with the acknowledgement"},
    {"notify", "template",
     "first-notice (default), reminder, final-notice, revocation-done, or one of"
     " [notify] templates"},
    {"notify", "customer", "only this customer (the name as 'customers' prints it)"},
    {"notify", "dry-run", "count and show the first message; send and record nothing"},
    {"notify", "yes", "send without asking (without it: asks on a terminal, refuses otherwise)"},
    {"notify", "resend-unknown",
     "send again the messages whose outcome is unknown (same Message-ID)"},
    {"contacts check", "send-test",
     "also send each well-formed address the test message (template contact-test)"
     " and record which the server accepted"},
    {"probe", "customer", "only this customer's certificates (the name as 'customers' prints it)"},
    {"probe", "concurrency", "connections in flight at once (default: [probe] concurrency, 64)"},
    {"probe", "timeout", "seconds one probe may take, fractions allowed (default: [probe] timeout, 5)"},
    {"probe", "again", "start a new round: probe every endpoint again"},
    {"report", "format", "md (Markdown, for Bugzilla; the default) or json"},
    {"report", "out", "write the report to this file, with your own rights"},
    {"report", "appendix", "full: write the appendix CSV of every certificate to this file"},
    {"exercise report", "format",
     "md (Markdown, the default) or html (one self-contained file with SVG charts)"},
    {"exercise report", "out", "write the report to this file, with your own rights"},
    {"exercise report", "previous",
     "the previous exercise's database: show how the plan changed since"},
    {"finding add", "section",
     "root-cause, lesson-well, lesson-badly, lesson-lucky, lesson-other or related"},
    {"finding add", "bug", "related: the other incident's bug"},
    {"finding add", "date", "related: the other incident's date"},
    {"finding add", "team",
     "the plan's team it is about: the post-mortem lists it under that team"},
    {"action add", "kind", "prevent, mitigate or detect"},
    {"action add", "root-cause", "the root cause the action item answers"},
    {"action add", "criteria", "how its effect is evaluated"},
    {"action add", "due", "when it is due"},
    {"action add", "status", "ongoing (the default), complete, delayed or canceled"},
    {"action set", "kind", "prevent, mitigate or detect"},
    {"action set", "root-cause", "the root cause the action item answers"},
    {"action set", "criteria", "how its effect is evaluated"},
    {"action set", "due", "when it is due"},
    {"action set", "status", "ongoing, complete, delayed or canceled"},
    {"action set", "title", "a new title"},
    {"delay", "customer", "hold every unrevoked certificate of this customer"},
    {"delay", "serials", "hold the certificates of a file of serials in hex, one a line"},
    {"delay", "until", "hold them until this time"},
    {"delay", "rationale", "why, per subscriber, as Mozilla asks of delayed revocations"},
    {"crl", "out", "write the CRLs to this directory instead, with your own rights"},
    {"crl", "reshard", "change the shard count to what the config asks"},
    {"crl", "forecast", "publish nothing: each CRL's entries and size now and after a wave"},
    {"crl", "wave", "with --forecast: the wave (default: the next)"},
    {"verify", "crl-url", "where the CRLs are published (default: from the config)"},
    {"verify", "ocsp-url", "the OCSP responder to ask (default: from the certificates)"},
    {"verify", "issuer", "the issuer certificate, for OCSP requests"},
    {"verify", "sample", "how many revoked certificates to ask OCSP about"},
    {"log", "limit", "the newest N events"},
    {"log", "grep", "only events whose sentence or stored fields contain TEXT (case matters)"},
    {"log", "raw", "the stored fields (id, time, actor, action, details), one event a line"},
    {"audit verify", "head",
     "prove that this head (COUNT:HASH, from audit anchor) is still"
     " a link of the chain"},
};

/* When a command that asks (confirm.c) asks. */
static const struct {
	const char *cmd, *when;
} ask_help[] = {
    {"close", "every time, giving the certificates still pending or delayed"},
    {"phase", "when the change leaves the revocation phase, or goes past it, while"
	      " certificates are pending"},
    {"task done", "when the task is another team's than yours (Management ticking for a"
		  " team; with no [users] in the config, yours is the console's --team)"},
};

static const char *option_help(const struct wr_cmd *c, const char *opt)
{
	const char *any = NULL;

	for (size_t i = 0; i < sizeof opt_help / sizeof opt_help[0]; i++) {
		if (strcmp(opt_help[i].opt, opt) != 0)
			continue;
		if (opt_help[i].cmd && strcmp(opt_help[i].cmd, c->name) == 0)
			return opt_help[i].help;
		if (!opt_help[i].cmd)
			any = opt_help[i].help;
	}
	if (!any && strcmp(opt, "yes") == 0 && cmd_asks(c))
		any = "confirm beforehand: do not ask (see below)";
	return any;
}

/* The options of c: its option table, the --NAME words of its synopsis
 * (commands that parse a table of their own), --yes when it asks, and
 * --help. Each once, in that order; returns how many. */
#define MAXOPT 32
struct opt_item {
	char name[40]; /* without the dashes */
	char arg[24];  /* "N", "TIME", "" */
};

/* The word after "--name" in the synopsis when it is a placeholder
 * (capitals: N, TIME, [COUNT:]HASH), else "". */
static void synopsis_arg(const char *args, const char *name, char *out, size_t n)
{
	size_t ln = strlen(name);

	out[0] = '\0';
	for (const char *p = args; (p = strstr(p, "--")); p += 2) {
		if (strncmp(p + 2, name, ln) != 0 || (p[2 + ln] != ' ' && p[2 + ln] != '='))
			continue;
		const char *a = p + 2 + ln + 1;
		size_t k = strcspn(a, " ]|)\n");
		if (k && (a[0] == '[' || (a[0] >= 'A' && a[0] <= 'Z')))
			snprintf(out, n, "%.*s", (int)k, a);
		return;
	}
}

static bool has_item(const struct opt_item *it, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(it[i].name, name) == 0)
			return true;
	return false;
}

static int options_of(const struct wr_cmd *c, struct opt_item *it)
{
	int n = 0;

	for (const struct option *o = c->longopts; o && o->name && n < MAXOPT - 3; o++) {
		if (has_item(it, n, o->name))
			continue;
		snprintf(it[n].name, sizeof it[n].name, "%s", o->name);
		synopsis_arg(c->args, o->name, it[n].arg, sizeof it[n].arg);
		if (!it[n].arg[0] && o->has_arg == required_argument)
			snprintf(it[n].arg, sizeof it[n].arg, "VALUE");
		n++;
	}
	for (const char *p = c->args; (p = strstr(p, "--")) && n < MAXOPT - 3; p += 2) {
		char name[40];
		size_t k = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
		if (!k || k >= sizeof name)
			continue;
		snprintf(name, sizeof name, "%.*s", (int)k, p + 2);
		if (has_item(it, n, name))
			continue;
		snprintf(it[n].name, sizeof it[n].name, "%s", name);
		synopsis_arg(c->args, name, it[n].arg, sizeof it[n].arg);
		n++;
	}
	if (cmd_asks(c) && !has_item(it, n, "yes"))
		snprintf(it[n++].name, sizeof it[0].name, "yes");
	snprintf(it[n].name, sizeof it[0].name, "help");
	it[n++].arg[0] = '\0';
	return n;
}

static bool takes(const struct wr_cmd *c, const char *word)
{
	const char *p = c->args;
	size_t n = strlen(word);

	while ((p = strstr(p, word))) {
		bool start = p == c->args || !((p[-1] >= 'A' && p[-1] <= 'Z') || p[-1] == '-');
		char e = p[n];
		if (start && !(e >= 'A' && e <= 'Z'))
			return true;
		p += n;
	}
	return false;
}

static void values_help(const struct wr_cmd *c, FILE *f)
{
	bool phase = takes(c, "PHASE"), time = takes(c, "TIME");

	if (time) {
		fputc('\n', f);
		wrap(f, 0, 0,
		     "TIME is an RFC 3339 time, 2026-11-25T06:00:00Z (a fraction and an"
		     " offset such as +02:00 are allowed); a date alone, 2026-11-25, is"
		     " midnight UTC; 'now'; '@SECONDS' since 1970. Times print in UTC.");
	}
	if (phase) {
		fprintf(f, "\nPHASE is a name or its number:\n");
		for (int i = 0; i < WR_PHASES; i++)
			fprintf(f, "  %d  %-14s %s\n", i, wr_phase_name(i), wr_phase_title(i));
	}
	if (takes(c, "CODE") && strcmp(c->name, "declare") == 0) {
		fprintf(f, "\nCODE is a reason code of BR 4.9.1.1 or 4.9.1.2 (deadline from "
			   "discovery):\n");
		for (size_t i = 0; i < wr_reason_count(); i++) {
			const struct wr_reason *r = wr_reason_at(i);
			int64_t d = r->deadline;
			int col =
			    fprintf(f, "  %-22s %3lld %-6s", r->code,
				    (long long)(d % 86400 == 0 && d > 86400 ? d / 86400 : d / 3600),
				    d % 86400 == 0 && d > 86400 ? "days" : "hours");
			fputc(' ', f);
			wrap(f, col + 1, col + 1, r->circumstance);
		}
	}
	if (takes(c, "STATE")) {
		fputc('\n', f);
		wrap(f, 0, 0,
		     "STATE is one of pending (neither revoked, expired nor held), expired,"
		     " revoked, held (delayed), submitted (sent to the CA, not confirmed),"
		     " failed.");
	}
	if (strncmp(c->name, "task ", 5) == 0 && takes(c, "ID") && strcmp(c->name, "task add") &&
	    strcmp(c->name, "task list"))
		fprintf(f, "\nID is a task's number, as 'warroom task list' shows it.\n");
	if (strstr(c->args, "--team ID"))
		fprintf(f, "\nThe team ID is the plan's, as 'warroom status' lists them"
			   " (management, revocation, ...).\n");
	if (takes(c, "N"))
		fprintf(f, "\nN is a whole number.\n");
}

void cmd_help(struct wr_ctx *ctx, const struct wr_cmd *c, FILE *f)
{
	struct opt_item it[MAXOPT];
	int n = options_of(c, it);

	cmd_usage(ctx, c, f);
	fprintf(f, "\noptions:\n");
	for (int i = 0; i < n; i++) {
		char left[80];
		const char *h = option_help(c, it[i].name);
		snprintf(left, sizeof left, "--%s%s%s", it[i].name, it[i].arg[0] ? " " : "",
			 it[i].arg);
		if (!h)
			fprintf(f, "  %s\n", left);
		else
			item(f, left, 20, h);
	}
	for (size_t i = 0; i < sizeof ask_help / sizeof ask_help[0]; i++)
		if (strcmp(ask_help[i].cmd, c->name) == 0) {
			char b[512];
			snprintf(b, sizeof b,
				 "Asks before it acts: %s. In the console the question takes"
				 " the bottom row (y/N); on a terminal it asks [y/N];"
				 " without one it is refused (exit 2) unless --yes.",
				 ask_help[i].when);
			fputc('\n', f);
			wrap(f, 0, 0, b);
		}
	values_help(c, f);
}

/* ---- did you mean ---------------------------------------------------------------- */

/* The nearest command to argv (one word, or a group and its subcommand);
 * a static buffer, or NULL. */
const char *cmd_suggest_command(int argc, char **argv)
{
	static char best[64];
	struct wr_suggest s;
	char words[64][24];
	int nw = 0;

	if (argc < 1)
		return NULL;
	/* A known group ("task") with a mistyped subcommand. */
	size_t gl = strlen(argv[0]);
	bool group = false;
	for (size_t i = 0; i < wr_ncmds; i++)
		if (wr_cmds[i] && strncmp(wr_cmds[i]->name, argv[0], gl) == 0 &&
		    wr_cmds[i]->name[gl] == ' ')
			group = true;
	if (group) {
		if (argc < 2)
			return NULL;
		wr_suggest_init(&s, argv[1]);
		for (size_t i = 0; i < wr_ncmds; i++)
			if (wr_cmds[i] && strncmp(wr_cmds[i]->name, argv[0], gl) == 0 &&
			    wr_cmds[i]->name[gl] == ' ')
				wr_suggest_add(&s, wr_cmds[i]->name + gl + 1);
		if (!wr_suggest_best(&s))
			return NULL;
		snprintf(best, sizeof best, "%s %s", argv[0], wr_suggest_best(&s));
		return best;
	}
	/* The first words of the table: "status", "task", "audit", and help. */
	wr_suggest_init(&s, argv[0]);
	for (size_t i = 0; i < wr_ncmds && nw < 63; i++) {
		if (!wr_cmds[i])
			continue;
		const char *nm = wr_cmds[i]->name;
		snprintf(words[nw], sizeof words[nw], "%.*s", (int)strcspn(nm, " "), nm);
		wr_suggest_add(&s, words[nw++]);
	}
	wr_suggest_add(&s, "help");
	if (!wr_suggest_best(&s))
		return NULL;
	snprintf(best, sizeof best, "%s", wr_suggest_best(&s));
	return best;
}

/* The nearest option of c to opt ("--tema" or "--tema=x"); a static
 * buffer, or NULL. */
const char *cmd_suggest_option(const struct wr_cmd *c, const char *opt)
{
	static char best[48];
	struct opt_item it[MAXOPT];
	int n = options_of(c, it);
	char word[48];
	struct wr_suggest s;

	if (strncmp(opt, "--", 2) != 0)
		return NULL;
	snprintf(word, sizeof word, "%.*s", (int)strcspn(opt + 2, "="), opt + 2);
	wr_suggest_init(&s, word);
	for (int i = 0; i < n; i++)
		wr_suggest_add(&s, it[i].name);
	if (!wr_suggest_best(&s))
		return NULL;
	snprintf(best, sizeof best, "--%s", wr_suggest_best(&s));
	return best;
}
