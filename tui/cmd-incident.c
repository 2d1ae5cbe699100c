/*
 * cmd-incident.c: init, reasons, declare, status, phase, close and reopen.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* ---- init ---------------------------------------------------------------- */
static const struct option init_opts[] = {
	{"name", required_argument, NULL, 'n'},
	{"active-total", required_argument, NULL, 'a'},
	{"plan", required_argument, NULL, 'p'},
	{0},
};

static int init_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	const char *name = NULL, *plan_path = NULL;
	int64_t active = 0;
	struct wr_plan *plan = NULL;
	char err[512];
	int o, rc;

	while ((o = getopt_long(argc, argv, "", init_opts, NULL)) != -1) {
		switch (o) {
		case 'n': name = optarg; break;
		case 'p': plan_path = optarg; break;
		case 'a':
			if (parse_int(optarg, &active) || active < 0) {
				char *m = wr_esc_term(optarg);
				cmd_error(ctx, 0,
					  "init: --active-total takes a whole number, not '%s'",
					  m ? m : "?");
				free(m);
				return EXIT_USAGE;
			}
			break;
		default: return cmd_bad_option(ctx, &cmd_init, argv);
		}
	}
	if (!name || optind != argc) {
		cmd_usage(ctx, &cmd_init, ctx->err);
		return EXIT_USAGE;
	}
	/* From an open console the database exists: init would only fail, and
	 * its clean-up must never remove a live database. */
	if (ctx->db) {
		char *m = wr_esc_term(ctx->db_path);
		cmd_error(ctx, 0, "init: %s is open already; init creates a new database",
			  m ? m : "the database");
		free(m);
		return EXIT_USAGE;
	}
	if ((rc = wr_plan_load(plan_path, &plan, err, sizeof err))) {
		/* The message quotes the plan's name and line: anything at all. */
		char *m = wr_esc_term(err);
		cmd_error(ctx, 0, "%s", m ? m : "cannot load the plan");
		free(m);
		return EXIT_USAGE;
	}
	if ((rc = cmd_db(ctx, WR_OPEN_CREATE))) {
		wr_plan_free(plan);
		return rc;
	}
	rc = wr_incident_init(ctx->db, name, active, plan);
	if (rc) {
		wr_plan_free(plan);
		int st = cmd_fail(ctx, rc);
		/* The file was created by us and holds nothing: remove it. */
		wr_db_close(ctx->db);
		ctx->db = NULL;
		remove(ctx->db_path);
		return st;
	}
	fputs("created ", ctx->out);
	out_term(ctx->out, ctx->db_path);
	fputs(": ", ctx->out);
	out_term(ctx->out, name);
	fprintf(ctx->out, "\nplan: ");
	out_term(ctx->out, wr_plan_name(plan));
	fprintf(ctx->out, " (%zu teams, %zu tasks, sha256 %s)\n", wr_plan_team_count(plan),
		wr_plan_task_count(plan), wr_plan_sha256(plan));
	wr_plan_free(plan);
	return EXIT_OK;
}

const struct wr_cmd cmd_init = {
	"init", "--name TEXT [--active-total N] [--plan FILE]",
	"create the incident's database from a plan (never overwrites)",
	"", init_opts, 0, init_exec,
};

/* ---- reasons ------------------------------------------------------------- */
static const struct option json_opts[] = {
	{"json", no_argument, NULL, 'j'},
	{0},
};

static int reasons_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	bool json = false;
	char b[WR_TIME_BUFSZ];
	int o;

	while ((o = getopt_long(argc, argv, "", json_opts, NULL)) != -1) {
		if (o != 'j')
			return cmd_bad_option(ctx, &cmd_reasons, argv);
		json = true;
	}
	if (optind != argc)
		return cmd_stray(ctx, &cmd_reasons, argv[optind]);
	json_t *arr = json ? json_array() : NULL;
	if (!json)
		fprintf(ctx->out, "%-22s %-13s %-9s %-22s %s\n", "CODE", "BR", "DEADLINE",
			"CRLREASON", "CIRCUMSTANCE");
	for (size_t i = 0; i < wr_reason_count(); i++) {
		const struct wr_reason *r = wr_reason_at(i);
		if (json) {
			json_array_append_new(
				arr, json_pack("{s:s, s:s, s:s, s:I, s:s, s:o}", "code", r->code,
					       "section", r->section, "circumstance",
					       r->circumstance, "deadline_seconds",
					       (json_int_t)r->deadline, "crl_reason",
					       wr_crl_reason_name(r->crl_reason), "crl_reason_code",
					       r->crl_reason == WR_CRL_OMIT ? json_null()
									    : json_integer(r->crl_reason)));
			continue;
		}
		int64_t d = r->deadline;
		/* As the BRs say it: "24 hours", "5 days". */
		if (d % 86400 == 0 && d > 86400)
			snprintf(b, sizeof b, "%lld days", (long long)(d / 86400));
		else
			snprintf(b, sizeof b, "%lld hours", (long long)(d / 3600));
		char crl[32];
		if (r->crl_reason == WR_CRL_OMIT)
			snprintf(crl, sizeof crl, "(none: unspecified)");
		else
			snprintf(crl, sizeof crl, "%s (%d)", wr_crl_reason_name(r->crl_reason),
				 r->crl_reason);
		fprintf(ctx->out, "%-22s %-13s %-9s %-22s %s\n", r->code, r->section, b, crl,
			r->circumstance);
	}
	if (json)
		out_json(ctx->out, arr);
	return EXIT_OK;
}

const struct wr_cmd cmd_reasons = {
	"reasons", "[--json]", "list the BR reason codes, their deadlines and CRLReasons",
	"", json_opts, 0, reasons_exec,
};

/* ---- declare ------------------------------------------------------------- */
static const struct option declare_opts[] = {
	{"reason", required_argument, NULL, 'r'},
	{"discovered", required_argument, NULL, 'd'},
	{"note", required_argument, NULL, 'n'},
	{"burden", no_argument, NULL, 'B'},
	{"compliance", no_argument, NULL, 'C'},
	{"key-vulnerability", no_argument, NULL, 'K'},
	{"ca-key", no_argument, NULL, 'A'},
	{"json", no_argument, NULL, 'j'},
	{0},
};

static void print_criteria(struct wr_ctx *ctx, const struct wr_mre_criterion *c, int met)
{
	fprintf(ctx->out, "MRE criteria (plan section 4): %d of %d met\n", met, WR_MRE_CRITERIA);
	for (int i = 0; i < WR_MRE_CRITERIA; i++)
		fprintf(ctx->out, "  [%c] %-18s %s\n      %s\n", c[i].met ? 'x' : ' ', c[i].id,
			c[i].label, c[i].detail);
}

static json_t *criteria_json(const struct wr_mre_criterion *c)
{
	json_t *a = json_array();
	for (int i = 0; i < WR_MRE_CRITERIA; i++)
		json_array_append_new(a, json_pack("{s:s, s:b, s:s, s:s}", "id", c[i].id, "met",
						   c[i].met, "label", c[i].label, "detail",
						   c[i].detail));
	return a;
}

static int declare_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	const char *reason = NULL, *disc = NULL, *note = NULL;
	unsigned flags = 0;
	bool json = false;
	int64_t discovered;
	struct wr_mre_criterion crit[WR_MRE_CRITERIA];
	int o, rc;

	while ((o = getopt_long(argc, argv, "", declare_opts, NULL)) != -1) {
		switch (o) {
		case 'r': reason = optarg; break;
		case 'd': disc = optarg; break;
		case 'n': note = optarg; break;
		case 'B': flags |= WR_MRE_BURDEN; break;
		case 'C': flags |= WR_MRE_COMPLIANCE; break;
		case 'K': flags |= WR_MRE_KEYVULN; break;
		case 'A': flags |= WR_MRE_CAKEY; break;
		case 'j': json = true; break;
		default: return cmd_bad_option(ctx, &cmd_declare, argv);
		}
	}
	if (!reason || !disc || optind != argc) {
		cmd_usage(ctx, &cmd_declare, ctx->err);
		return EXIT_USAGE;
	}
	if (!wr_reason_find(reason)) {
		struct wr_suggest sg;
		wr_suggest_init(&sg, reason);
		for (size_t i = 0; i < wr_reason_count(); i++)
			wr_suggest_add(&sg, wr_reason_at(i)->code);
		char *m = wr_esc_term(reason);
		if (wr_suggest_best(&sg))
			cmd_error(ctx, 0, "declare: unknown reason code '%s'; did you mean '%s'? One of:",
				  m ? m : "?", wr_suggest_best(&sg));
		else
			cmd_error(ctx, 0, "declare: unknown reason code '%s'; one of:", m ? m : "?");
		free(m);
		for (size_t i = 0; i < wr_reason_count(); i++)
			fprintf(ctx->err, "  %s\n", wr_reason_at(i)->code);
		return EXIT_USAGE;
	}
	if (wr_time_parse(disc, &discovered)) {
		char *m = wr_esc_term(disc);
		cmd_error(ctx, 0,
			  "declare: --discovered wants an RFC 3339 time such as "
			  "2026-11-25T06:00:00Z, not '%s'", m ? m : "?");
		free(m);
		return EXIT_USAGE;
	}
	if ((rc = wr_incident_declare(ctx->db, reason, discovered, flags, note, crit)))
		return cmd_fail(ctx, rc);
	int met = 0;
	for (int i = 0; i < WR_MRE_CRITERIA; i++)
		met += crit[i].met;
	const struct wr_reason *r = wr_reason_find(reason);
	char t1[WR_TIME_BUFSZ], t2[WR_TIME_BUFSZ];
	int64_t deadline = wr_deadline(r, discovered);
	if (json) {
		out_json(ctx->out, json_pack("{s:s, s:s, s:s, s:s, s:i, s:o}", "reason", r->code,
					     "discovered", wr_time_format(discovered, t1),
					     "deadline", wr_time_format(deadline, t2), "crl_reason",
					     wr_crl_reason_name(r->crl_reason), "criteria_met", met,
					     "criteria", criteria_json(crit)));
		return EXIT_OK;
	}
	fprintf(ctx->out, "declared: %s (BR %s), CRLReason %s\n", r->code, r->section,
		wr_crl_reason_name(r->crl_reason));
	fprintf(ctx->out, "discovered %s; revocation deadline %s\n",
		wr_time_format(discovered, t1), wr_time_format(deadline, t2));
	print_criteria(ctx, crit, met);
	if (met == 0)
		fprintf(ctx->out, "note: no criterion is met; the declaration is recorded anyway\n");
	return EXIT_OK;
}

const struct wr_cmd cmd_declare = {
	"declare",
	"--reason CODE --discovered TIME [--note TEXT] [--burden] [--compliance]\n"
	"                       [--key-vulnerability] [--ca-key] [--json]",
	"declare the Mass Revocation Event: reason, discovery time, deadline",
	"", declare_opts, CMD_NEEDS_DB, declare_exec,
};

/* ---- status -------------------------------------------------------------- */
/* The pace (core/pace.c): a rate to the hundredth, null when it has none. */
static json_t *jrate(double r)
{
	return r < 0 ? json_null() : json_real((double)(int64_t)(r * 100 + 0.5) / 100);
}

static json_t *pace_json(const struct wr_pace *p)
{
	json_t *o = json_object();

	json_object_set_new(o, "rate_needed_per_hour", jrate(p->rate_needed_per_hour));
	json_object_set_new(o, "rate_per_hour", jrate(p->rate_per_hour));
	json_object_set_new(o, "rate_overall_per_hour", jrate(p->rate_overall_per_hour));
	json_object_set_new(o, "projected_finish", jtime(p->projected_finish));
	json_object_set_new(o, "margin_seconds",
			    p->has_margin ? json_integer(p->margin_seconds) : json_null());
	json_object_set_new(o, "delay_report_unavoidable_at",
			    jtime(p->delay_report_unavoidable_at));
	json_object_set_new(o, "remaining", json_integer(p->remaining));
	json_object_set_new(o, "expiring_before_deadline", json_integer(p->expiring));
	json_object_set_new(o, "to_revoke", json_integer(p->to_revoke));
	json_object_set_new(o, "rate_basis", json_string(p->basis));
	json_object_set_new(o, "rate_shown_per_hour",
			    p->rate_shown_per_hour > 0 ? jrate(p->rate_shown_per_hour) : json_null());
	return o;
}

static void print_pace(FILE *f, const struct wr_pace *p)
{
	char t1[WR_TIME_BUFSZ], t2[WR_TIME_BUFSZ];

	fprintf(f, "Pace       ");
	if (p->rate_needed_per_hour >= 0)
		fprintf(f, "%.1f/h needed, ", p->rate_needed_per_hour);
	else
		fprintf(f, "%s, ", p->deadline ? "deadline missed" : "no deadline yet");
	fprintf(f, "%.1f/h last hour, %.1f/h overall; ", p->rate_per_hour,
		p->rate_overall_per_hour);
	if (!p->projected_finish)
		fprintf(f, "nothing revoked yet\n");
	else if (p->has_margin)
		fprintf(f, "%s %s (%s %s)\n", p->to_revoke ? "finish" : "done",
			wr_time_format(p->projected_finish, t1),
			wr_duration_format(p->margin_seconds < 0 ? -p->margin_seconds
								  : p->margin_seconds, t2),
			p->margin_seconds < 0 ? "behind" : "ahead");
	else
		fprintf(f, "%s %s\n", p->to_revoke ? "finish" : "done",
			wr_time_format(p->projected_finish, t1));
	if (p->delay_report_unavoidable_at > p->now)
		fprintf(f, "           delay report unavoidable after %s (best shown %.1f/h)\n",
			wr_time_format(p->delay_report_unavoidable_at, t1), p->rate_shown_per_hour);
	else if (p->delay_report_unavoidable_at)
		fprintf(f, "           delay report due now: the deadline cannot be met\n");
}

/* The reporting cadence to Mozilla (core/reporting.c). */
static json_t *reporting_json(const struct wr_reporting *r)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I}", "bug",
			 r->bug ? json_integer(r->bug) : json_null(), "last_update",
			 jtime(r->last_update), "next_due_should", jtime(r->next_due_should),
			 "next_due_must", jtime(r->next_due_must), "preliminary_due",
			 jtime(r->preliminary_due), "preliminary_posted", jtime(r->preliminary_done),
			 "full_due", jtime(r->full_due), "full_posted", jtime(r->full_done), "queued",
			 (json_int_t)r->queued, "unknown", (json_int_t)r->unknown);
}

static int status_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct wr_status s;
	struct wr_mre_criterion crit[WR_MRE_CRITERIA];
	struct wr_team *teams = NULL;
	struct wr_published pub;
	size_t nteams = 0;
	bool json = false;
	int o, rc, met = 0;

	while ((o = getopt_long(argc, argv, "", json_opts, NULL)) != -1) {
		if (o != 'j')
			return cmd_bad_option(ctx, &cmd_status, argv);
		json = true;
	}
	if (optind != argc)
		return cmd_stray(ctx, &cmd_status, argv[optind]);
	if ((rc = wr_status_get(ctx->db, &s)) || (rc = wr_team_list(ctx->db, &teams, &nteams)) ||
	    (rc = wr_team_health(ctx->db, s.now, s.phase, teams, nteams)) ||
	    (rc = wr_mre_current(ctx->db, crit, &met)) || (rc = wr_published_get(ctx->db, &pub))) {
		free(teams);
		return cmd_fail(ctx, rc);
	}
	const struct wr_counts *c = &s.counts;
	struct wr_pace pace;
	if ((rc = wr_pace_get(ctx->db, s.now, &pace))) {
		free(teams);
		return cmd_fail(ctx, rc);
	}
	bool declared = s.declared != 0;
	struct wr_reporting rep;
	if ((rc = wr_reporting_get(ctx->db, s.now, &rep))) {
		free(teams);
		return cmd_fail(ctx, rc);
	}
	if (json) {
		json_t *inc = json_pack("{s:o, s:s, s:i, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
					"name", jstr(s.name), "state", s.state, "phase", s.phase,
					"phase_name", wr_phase_name(s.phase), "reason",
					s.reason[0] ? json_string(s.reason) : json_null(),
					"crl_reason",
					s.reason[0] ? json_string(wr_crl_reason_name(s.crl_reason))
						    : json_null(),
					"discovered", jtime(s.discovered), "declared",
					jtime(s.declared), "deadline", jtime(s.deadline),
					"seconds_left",
					s.deadline ? json_integer(s.deadline - s.now) : json_null(),
					"now", jtime(s.now));
		json_object_set_new(inc, "closed", jtime(s.closed));
		json_object_set_new(inc, "active_total",
				    s.active_total ? json_integer(s.active_total) : json_null());
		json_object_set_new(inc, "plan", jstr(s.plan_name));
		json_object_set_new(inc, "plan_sha256", json_string(s.plan_sha256));
		json_t *ta = json_array();
		for (size_t i = 0; i < nteams; i++)
			json_array_append_new(
				ta, json_pack("{s:o, s:o, s:i, s:i, s:{s:i, s:i, s:i, s:i, s:i}}",
					      "id", jstr(teams[i].id), "name", jstr(teams[i].name),
					      "tasks_total", teams[i].tasks_total, "tasks_done",
					      teams[i].tasks_done, "health", "open",
					      teams[i].health.open, "overdue",
					      teams[i].health.overdue, "due_within_hour",
					      teams[i].health.due_soon, "unassigned",
					      teams[i].health.unassigned, "blocked",
					      teams[i].health.blocked));
		json_t *published =
			pub.checked_at
				? json_pack("{s:I, s:I, s:I, s:I, s:o}", "on_crl",
					    (json_int_t)pub.on_crl, "ocsp_confirmed",
					    (json_int_t)pub.ocsp_confirmed, "ocsp_sampled",
					    (json_int_t)pub.ocsp_sampled, "problems",
					    (json_int_t)pub.problems, "checked_at",
					    jtime(pub.checked_at))
				: json_pack("{s:I, s:I, s:n}", "on_crl", (json_int_t)0,
					    "ocsp_confirmed", (json_int_t)0, "checked_at");
		/* Revoked after the last verify (all, when never): not proven. */
		json_object_set_new(published, "stale", json_boolean(pub.stale));
		json_object_set_new(published, "revoked_since", json_integer(pub.revoked_since));
		out_json(ctx->out,
			 json_pack("{s:o, s:{s:b, s:i, s:o}, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
				   " s:I, s:I, s:I, s:I}, s:o, s:o, s:o, s:o}",
				   "incident", inc, "mre", "declared", declared, "criteria_met", met,
				   "criteria", criteria_json(crit), "counts", "affected",
				   (json_int_t)c->affected, "revoked", (json_int_t)c->revoked,
				   "pending", (json_int_t)c->pending, "expired",
				   (json_int_t)c->expired, "replaced", (json_int_t)c->replaced,
				   "notified", (json_int_t)c->notified, "delayed",
				   (json_int_t)c->held, "unchecked", (json_int_t)c->unchecked,
				   "acknowledged", (json_int_t)c->acknowledged,
				   "replacement_issued", (json_int_t)c->replacement_issued,
				   "replacement_deployed", (json_int_t)c->replacement_deployed,
				   "unreachable", (json_int_t)c->unreachable,
				   "published", published, "teams", ta, "pace", pace_json(&pace),
				   "reporting", reporting_json(&rep)));
		free(teams);
		return EXIT_OK;
	}
	char t1[WR_TIME_BUFSZ], t2[WR_TIME_BUFSZ];
	FILE *f = ctx->out;
	fprintf(f, "Incident   ");
	out_term(f, s.name);
	/* State and reason are read back from the database, which anyone
	 * with write access to the file may have edited. */
	fprintf(f, "\nState      ");
	out_term(f, s.state);
	fprintf(f, ", %s\n", wr_phase_title(s.phase));
	if (s.reason[0]) {
		const struct wr_reason *r = wr_reason_find(s.reason);
		fprintf(f, "Reason     ");
		out_term(f, s.reason);
		fprintf(f, " (BR %s), CRLReason %s\n", r ? r->section : "?",
			wr_crl_reason_name(s.crl_reason));
		fprintf(f, "Discovered %s\n", wr_time_format(s.discovered, t1));
		fprintf(f, "Deadline   %s  (%s %s)\n", wr_time_format(s.deadline, t1),
			wr_duration_format(s.deadline - s.now, t2),
			s.deadline >= s.now ? "left" : "OVERDUE");
	} else {
		fprintf(f, "Reason     not declared yet (warroom declare)\n");
	}
	fprintf(f, "Now        %s\n", wr_time_format(s.now, t1));
	print_pace(f, &pace);
	if (rep.preliminary_due) {
		fprintf(f, "Reporting  ");
		if (rep.bug)
			fprintf(f, "bug %lld; ", (long long)rep.bug);
		if (rep.last_update)
			fprintf(f, "next update due %s, at the latest %s\n",
				wr_time_format(rep.next_due_should, t1),
				wr_time_format(rep.next_due_must, t2));
		else
			fprintf(f, "preliminary report due %s, full report %s\n",
				wr_time_format(rep.preliminary_due, t1),
				wr_time_format(rep.full_due, t2));
	}
	fprintf(f, "Plan       ");
	out_term(f, s.plan_name);
	fprintf(f, " (sha256 %.16s...)\n\n", s.plan_sha256);
	fprintf(f, "Certificates\n");
	fprintf(f, "  affected %10lld   revoked  %10lld   pending %10lld\n",
		(long long)c->affected, (long long)c->revoked, (long long)c->pending);
	fprintf(f, "  expired  %10lld   replaced %10lld   notified %9lld\n",
		(long long)c->expired, (long long)c->replaced, (long long)c->notified);
	fprintf(f, "  delayed  %10lld   ", (long long)c->held);
	if (pub.checked_at) {
		fprintf(f, "published: %lld on CRLs, %lld/%lld OCSP revoked, %lld problems at %s",
			(long long)pub.on_crl, (long long)pub.ocsp_confirmed,
			(long long)pub.ocsp_sampled, (long long)pub.problems,
			wr_time_format(pub.checked_at, t1));
		if (pub.stale)
			fprintf(f, " (stale: %lld revoked since)", (long long)pub.revoked_since);
		fputc('\n', f);
	} else
		fprintf(f, "published: not verified yet (warroom verify)\n");
	fprintf(f, "  unchecked %9lld%s\n", (long long)c->unchecked,
		c->unchecked ? "   signatures not checked at import: no issuer known" : "");
	/* Phases 1 and 2 (issue 10): ack, import --replacements, probe. */
	fprintf(f, "  acknowledged %6lld   unreachable %7lld   (an endpoint, at the newest probe)\n",
		(long long)c->acknowledged, (long long)c->unreachable);
	fprintf(f, "  replacement issued %lld, deployed %lld\n\n",
		(long long)c->replacement_issued, (long long)c->replacement_deployed);
	print_criteria(ctx, crit, met);
	fprintf(f, "\nTeams\n");
	for (size_t i = 0; i < nteams; i++) {
		fprintf(f, "  ");
		out_term_w(f, teams[i].id, 20);
		fprintf(f, " ");
		out_term_w(f, teams[i].name, 26);
		fprintf(f, " %2d/%-2d tasks done\n", teams[i].tasks_done, teams[i].tasks_total);
	}
	free(teams);
	return EXIT_OK;
}

const struct wr_cmd cmd_status = {
	"status", "[--json]", "the incident, its deadline, counts, MRE criteria and teams",
	"", json_opts, CMD_NEEDS_DB | CMD_READONLY, status_exec,
};

/* ---- phase and close ----------------------------------------------------- */
static int phase_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	int rc, p;

	if (argc != 2) {
		cmd_usage(ctx, &cmd_phase, ctx->err);
		return EXIT_USAGE;
	}
	if ((p = wr_phase_parse(argv[1])) < 0) {
		struct wr_suggest s;
		wr_suggest_init(&s, argv[1]);
		for (int i = 0; i < WR_PHASES; i++)
			wr_suggest_add(&s, wr_phase_name(i));
		char *m = wr_esc_term(argv[1]);
		if (wr_suggest_best(&s))
			cmd_error(ctx, 0, "phase: no phase '%s'; did you mean '%s'?", m ? m : "?",
				  wr_suggest_best(&s));
		else
			cmd_error(ctx, 0, "phase: no phase '%s'", m ? m : "?");
		free(m);
		fprintf(ctx->err, "phases:");
		for (int i = 0; i < WR_PHASES; i++)
			fprintf(ctx->err, " %s (%d)", wr_phase_name(i), i);
		fputc('\n', ctx->err);
		cmd_usage(ctx, &cmd_phase, ctx->err);
		return EXIT_USAGE;
	}
	if ((rc = wr_incident_set_phase(ctx->db, p)))
		return cmd_fail(ctx, rc);
	fprintf(ctx->out, "phase: %s\n", wr_phase_title(p));
	return EXIT_OK;
}

const struct wr_cmd cmd_phase = {
	"phase", "PHASE [--yes]",
	"move the incident to a phase: activation, communication, replacement, revocation,"
	" post-mortem (or 0-4)",
	"", NULL, CMD_NEEDS_DB, phase_exec,
};

static const struct option close_opts[] = {
	{"note", required_argument, NULL, 'n'},
	{0},
};

static int close_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	const char *note = NULL;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", close_opts, NULL)) != -1) {
		if (o != 'n')
			return cmd_bad_option(ctx, &cmd_close, argv);
		note = optarg;
	}
	if (optind != argc)
		return cmd_stray(ctx, &cmd_close, argv[optind]);
	if ((rc = wr_incident_close(ctx->db, note)))
		return cmd_fail(ctx, rc);
	fprintf(ctx->out, "incident closed\n");
	return EXIT_OK;
}

const struct wr_cmd cmd_close = {
	"close", "[--note TEXT] [--yes]", "close the incident (Management; asks first)",
	"", close_opts, CMD_NEEDS_DB, close_exec,
};

/* ---- reopen ---------------------------------------------------------------- */
static int reopen_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	const char *note = NULL;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", close_opts, NULL)) != -1) {
		if (o != 'n')
			return cmd_bad_option(ctx, &cmd_reopen, argv);
		note = optarg;
	}
	if (optind != argc)
		return cmd_stray(ctx, &cmd_reopen, argv[optind]);
	if (!note || !*note) {
		cmd_error(ctx, 0, "reopen: --note TEXT is required: why it is reopened, for the"
				  " record");
		cmd_usage(ctx, &cmd_reopen, ctx->err);
		return EXIT_USAGE;
	}
	if ((rc = wr_incident_reopen(ctx->db, note)))
		return cmd_fail(ctx, rc);
	struct wr_status s;
	if (wr_status_get(ctx->db, &s) == 0)
		fprintf(ctx->out, "incident reopened: %s, %s\n", s.state, wr_phase_title(s.phase));
	else
		fprintf(ctx->out, "incident reopened\n");
	return EXIT_OK;
}

const struct wr_cmd cmd_reopen = {
	"reopen", "--note TEXT", "reopen a closed incident, saying why (Management; recorded)",
	"", close_opts, CMD_NEEDS_DB, reopen_exec,
};
