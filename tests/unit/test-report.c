/* Unit tests for the reports (core/report.c), findings and action items
 * (core/finding.c) and the overall figures (core/metrics.c): the update's
 * numbers equal the counts, every full report section is there in order
 * with N/A where nothing applies, hostile text is escaped for Markdown,
 * the post-mortem's lateness and the deadline met or missed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define T0 "2026-11-25T06:00:00Z"

struct fx {
	char dir[64];
	char path[96];
	struct wr_db *db;
	struct wr_config *cfg;
	int64_t t0;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char err[256];

	assert_int_equal(wr_config_parse_text("[bugzilla]\nca_owner = Example CA\n", "test",
					      &f->cfg, err, sizeof err),
			 0);
	unit_db_create(f->dir, f->path, &f->db, T0, "Weak keys | <b>", f->cfg, "alice");
	assert_int_equal(wr_time_parse(T0, &f->t0), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unit_db_remove(f->dir, f->db);
	wr_config_free(f->cfg);
	free(f);
	return 0;
}

static void at(struct fx *f, int64_t secs)
{
	char b[WR_TIME_BUFSZ];
	setenv("WARROOM_NOW", wr_time_format(f->t0 + secs, b), 1);
}

static void sql(struct wr_db *db, const char *s)
{
	assert_int_equal(wr_exec(db, s), 0);
}

static char *render(struct wr_db *db, enum wr_report_kind k, enum wr_report_format fmt)
{
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(wr_report_render(db, k, fmt, &out, &len), 0);
	assert_non_null(out);
	assert_int_equal(strlen(out), len);
	return out;
}

/* Four certificates of two customers, declared: one revoked, one held,
 * one expired, one pending. */
static void population(struct fx *f)
{
	struct wr_mre_criterion crit[WR_MRE_CRITERIA];

	unit_add_cert(f->db, "01", "Contoso | Health", f->t0);
	unit_add_cert(f->db, "02", "Contoso | Health", f->t0);
	unit_add_cert(f->db, "03", "Fabrikam", f->t0);
	unit_add_cert(f->db, "04", "Fabrikam", f->t0);
	assert_int_equal(wr_incident_declare(f->db, "key-compromise", f->t0, 0, NULL, crit), 0);
	sql(f->db, "UPDATE cert SET revoked_at = (SELECT declared FROM incident) + 60,"
		   " state = 'revoked' WHERE serial = '01'");
	sql(f->db, "UPDATE cert SET hold_until = (SELECT declared FROM incident) + 5 * 86400,"
		   " hold_reason = 'Infusion pumps: *window* agreed' WHERE serial = '02'");
	sql(f->db, "UPDATE cert SET not_after = (SELECT declared FROM incident) - 1"
		   " WHERE serial = '03'");
}

static void test_kinds(void **state)
{
	enum wr_report_kind k;

	(void)state;
	assert_int_equal(wr_report_kind_parse("update", &k), 0);
	assert_int_equal(k, WR_REPORT_UPDATE);
	assert_int_equal(wr_report_kind_parse("postmortem", &k), 0);
	assert_int_equal(k, WR_REPORT_POSTMORTEM);
	assert_int_equal(wr_report_kind_parse("post", &k), WR_EINVAL);
	assert_int_equal(wr_report_kind_parse(NULL, &k), WR_EINVAL);
	assert_string_equal(wr_report_kind_name(WR_REPORT_FULL), "full");
}

static void test_title_and_preliminary(void **state)
{
	struct fx *f = *state;
	char *t = NULL;

	assert_int_equal(wr_report_title(f->db, &t), 0);
	assert_string_equal(t, "Example CA: Weak keys | <b>");
	free(t);
	wr_db_set_config(f->db, NULL);
	assert_int_equal(wr_report_title(f->db, &t), WR_EINVAL);
	assert_null(t);
	assert_non_null(strstr(wr_db_errmsg(f->db), "ca_owner"));
	wr_db_set_config(f->db, f->cfg);

	population(f);
	char *md = render(f->db, WR_REPORT_PRELIMINARY, WR_REPORT_MD);
	assert_memory_equal(md, "## Preliminary Incident Report\n", 31);
	assert_non_null(strstr(md, "### Summary"));
	/* The name's pipe and angle brackets are escaped. */
	assert_non_null(strstr(md, "Weak keys \\| \\<b\\>"));
	assert_null(strstr(md, "<b>"));
	assert_non_null(strstr(md, "4.9.1.1"));
	assert_non_null(strstr(md, "6.1.3")); /* a delay: the MRSP section */
	free(md);
}

static void test_update_numbers(void **state)
{
	struct fx *f = *state;
	struct wr_counts c;

	population(f);
	at(f, 3600);
	int64_t now = wr_clock_now(f->db);
	assert_int_equal(wr_counts_get(f->db, now, &c), 0);
	char *js = render(f->db, WR_REPORT_UPDATE, WR_REPORT_JSON);
	json_error_t je;
	json_t *j = json_loads(js, 0, &je);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "revoked")), c.revoked);
	assert_int_equal(json_integer_value(json_object_get(j, "not_revoked")), c.pending + c.held);
	assert_int_equal(json_integer_value(json_object_get(j, "expired")), c.expired);
	assert_int_equal(c.revoked, 1);
	assert_int_equal(c.held, 1);
	assert_int_equal(c.expired, 1);
	assert_int_equal(c.pending, 1);
	/* One revocation is too few for a founded rate? The rate is measured
	 * anyway (overall, over an hour at least): an estimate exists. */
	json_t *est = json_object_get(j, "estimated_completion");
	assert_true(json_is_string(est));
	assert_true(json_is_null(json_object_get(j, "estimate_reason")));
	/* Not before the delay ends. */
	int64_t e = 0, until = 0;
	assert_int_equal(wr_time_parse(json_string_value(est), &e), 0);
	json_t *d = json_array_get(json_object_get(j, "delays"), 0);
	assert_non_null(d);
	assert_string_equal(json_string_value(json_object_get(d, "customer")), "Contoso | Health");
	assert_int_equal(json_integer_value(json_object_get(d, "count")), 1);
	assert_int_equal(wr_time_parse(json_string_value(json_object_get(d, "until")), &until), 0);
	assert_true(e >= until);
	json_decref(j);
	free(js);

	char *md = render(f->db, WR_REPORT_UPDATE, WR_REPORT_MD);
	assert_non_null(strstr(md, "| Revoked | 1 |"));
	assert_non_null(strstr(md, "| Not yet revoked | 2 |"));
	assert_non_null(strstr(md, "| Planned for revocation, expired first | 1 |"));
	/* Customer and rationale escaped inside the table cells. */
	assert_non_null(strstr(md, "| Contoso \\| Health | 1 |"));
	assert_non_null(strstr(md, "Infusion pumps: \\*window\\* agreed |"));
	free(md);
}

static void test_update_no_rate(void **state)
{
	struct fx *f = *state;
	struct wr_mre_criterion crit[WR_MRE_CRITERIA];

	unit_add_cert(f->db, "01", "A", f->t0);
	assert_int_equal(wr_incident_declare(f->db, "key-compromise", f->t0, 0, NULL, crit), 0);
	char *js = render(f->db, WR_REPORT_UPDATE, WR_REPORT_JSON);
	json_t *j = json_loads(js, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_null(json_object_get(j, "estimated_completion")));
	assert_non_null(strstr(json_string_value(json_object_get(j, "estimate_reason")), "rate"));
	assert_int_equal(json_array_size(json_object_get(j, "delays")), 0);
	json_decref(j);
	free(js);
	char *md = render(f->db, WR_REPORT_UPDATE, WR_REPORT_MD);
	assert_non_null(strstr(md, "cannot be estimated"));
	assert_non_null(strstr(md, "N/A: no revocation is delayed."));
	free(md);
}

/* Each heading is followed by text before the next heading. */
static void assert_no_empty_heading(const char *md)
{
	const char *p = md;
	while ((p = strstr(p, "\n#")) != NULL) {
		const char *eol = strchr(p + 1, '\n');
		assert_non_null(eol);
		const char *next = eol + 1;
		while (*next == '\n')
			next++;
		/* A level-3 heading may open on a level-4 one (Lessons Learned). */
		if (next[0] == '#')
			assert_true(strncmp(p + 1, "### Lessons", 11) == 0);
		p = eol;
	}
}

static void test_full_sections(void **state)
{
	struct fx *f = *state;
	static const char *const order[] = {"## Full Incident Report",
					    "### Summary",
					    "### Impact",
					    "### Timeline",
					    "### Related Incidents",
					    "### Root Cause Analysis",
					    "### Lessons Learned",
					    "### Action Items",
					    "### Appendix",
					    NULL};

	population(f);
	char *md = render(f->db, WR_REPORT_FULL, WR_REPORT_MD);
	const char *p = md;
	for (int i = 0; order[i]; i++) {
		const char *q = strstr(p, order[i]);
		assert_non_null(q);
		p = q + strlen(order[i]);
	}
	assert_memory_equal(md, "## Full Incident Report\n", 24);
	assert_non_null(strstr(md, "### Related Incidents\n\nN/A\n"));
	assert_non_null(strstr(md, "### Root Cause Analysis\n\nN/A\n"));
	assert_non_null(strstr(md, "### Action Items\n\nN/A\n"));
	assert_no_empty_heading(md);
	/* The timeline in sentences, not key=value. */
	assert_non_null(strstr(md, "alice declared a mass revocation event"));
	/* The appendix: the CSV header in domain.md's order, a row per cert. */
	assert_non_null(strstr(md, "```csv\nPrecertificate SHA-256,Certificate SHA-256,Subject,"
				   "Issuer,notBefore,notAfter,Serial,dNSNames,Is revoked?,"
				   "Revocation date,Revocation reason\n"));
	assert_non_null(strstr(md, ",01,x.example,Yes,"));
	assert_non_null(strstr(md, ",02,x.example,Delayed,,\n"));
	assert_non_null(strstr(md, ",03,x.example,N/A,,\n"));
	assert_non_null(strstr(md, ",04,x.example,Planned,,\n"));
	assert_non_null(strstr(md, "keyCompromise\n"));
	free(md);

	/* What people recorded fills the sections. */
	struct wr_action a = {.title = "Rotate | keys",
			      .kind = "prevent",
			      .root_cause = "Weak RNG",
			      .criteria = "No weak key in a month",
			      .due = f->t0 + 30 * 86400};
	int64_t id = 0;
	bool changed = false;
	assert_int_equal(
	    wr_finding_add(f->db, "root-cause", NULL, "Weak RNG in the HSM", NULL, 0, NULL), 0);
	assert_int_equal(wr_finding_add(f->db, "related", NULL, "Earlier weak keys", "1234567",
					f->t0 - 86400 * 365, NULL),
			 0);
	assert_int_equal(
	    wr_finding_add(f->db, "lesson-well", NULL, "Notices went out on time", NULL, 0, NULL),
	    0);
	assert_int_equal(wr_finding_add(f->db, "lesson-well", NULL, "x", "1", 0, NULL), WR_EINVAL);
	assert_int_equal(wr_finding_add(f->db, "bogus", NULL, "x", NULL, 0, NULL), WR_EINVAL);
	assert_int_equal(wr_action_add(f->db, &a, &id), 0);
	struct wr_action ch = {.status = "delayed"};
	assert_int_equal(wr_action_set(f->db, id, &ch, &changed), 0);
	assert_true(changed);
	assert_int_equal(wr_action_set(f->db, id, &ch, &changed), 0);
	assert_false(changed);
	ch.status = "finished";
	assert_int_equal(wr_action_set(f->db, id, &ch, &changed), WR_EINVAL);
	ch.status = "complete";
	assert_int_equal(wr_action_set(f->db, 99, &ch, &changed), WR_ENOENT);

	md = render(f->db, WR_REPORT_FULL, WR_REPORT_MD);
	if (getenv("WR_REPORT_DUMP"))
		fputs(md, stderr);
	assert_non_null(strstr(md, "### Root Cause Analysis\n\n- Weak RNG in the HSM\n"));
	assert_non_null(strstr(md, "| Bug | Date | Description |\n|---|---|---|\n| 1234567 | "));
	assert_non_null(strstr(md, "| Action Item | Kind | Root Cause | Evaluation Criteria |"
				   " Due Date | Status |\n"));
	assert_non_null(strstr(md, "| Rotate \\| keys | Prevent | Weak RNG | No weak key in a"
				   " month | 2026-12-25 | Delayed |\n"));
	/* The timeline names the findings and the change in words. */
	assert_non_null(strstr(md, "alice recorded a root cause: \"Weak RNG in the HSM\""));
	assert_non_null(strstr(md, "alice updated the action item #1 \"Rotate \\| keys\": status"
				   " delayed (was ongoing)"));
	assert_no_empty_heading(md);
	free(md);

	char *js = render(f->db, WR_REPORT_FULL, WR_REPORT_JSON);
	json_t *j = json_loads(js, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "title")),
			    "Example CA: Weak keys | <b>");
	json_t *ai = json_array_get(json_object_get(j, "action_items"), 0);
	assert_string_equal(json_string_value(json_object_get(ai, "status")), "delayed");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j, "appendix"), "format")), "csv");
	json_decref(j);
	free(js);

	char *csv = NULL;
	size_t len = 0;
	assert_int_equal(wr_report_appendix_csv(f->db, &csv, &len), 0);
	assert_memory_equal(csv, "Precertificate SHA-256,", 23);
	int lines = 0;
	for (const char *c = csv; *c; c++)
		lines += *c == '\n';
	assert_int_equal(lines, 5);
	free(csv);
}

static void test_permissions(void **state)
{
	struct fx *f = *state;
	struct wr_config *cfg;
	char err[256];

	assert_int_equal(wr_config_parse_text("[users]\nalice = management\nbob = revocation\n"
					      "carol = compliance-legal\n",
					      "test", &cfg, err, sizeof err),
			 0);
	wr_db_set_config(f->db, cfg);
	wr_db_set_actor(f->db, "alice");
	bool pinned;
	assert_int_equal(wr_policy_pin(f->db, &pinned), 0);
	wr_db_set_actor(f->db, "bob");
	assert_int_equal(wr_finding_add(f->db, "lesson-lucky", NULL, "x", NULL, 0, NULL), WR_EPERM);
	wr_db_set_actor(f->db, "carol");
	assert_int_equal(wr_finding_add(f->db, "lesson-lucky", NULL, "x", NULL, 0, NULL), 0);
	wr_db_set_actor(f->db, "alice");
	struct wr_action a = {
	    .title = "t", .kind = "detect", .root_cause = "r", .criteria = "c", .due = f->t0};
	assert_int_equal(wr_action_add(f->db, &a, NULL), 0);
	a.kind = "avoid";
	assert_int_equal(wr_action_add(f->db, &a, NULL), WR_EINVAL);
	wr_db_set_config(f->db, f->cfg);
	wr_config_free(cfg);
}

static void test_postmortem_and_metrics(void **state)
{
	struct fx *f = *state;
	struct wr_metrics m;
	struct wr_mre_criterion crit[WR_MRE_CRITERIA];

	unit_add_cert(f->db, "01", "A", f->t0);
	unit_add_cert(f->db, "02", "A", f->t0);
	at(f, 2 * 3600);
	assert_int_equal(wr_incident_declare(f->db, "key-compromise", f->t0, 0, NULL, crit), 0);
	assert_int_equal(wr_metrics_get(f->db, &m), 0);
	assert_int_equal(m.to_declare, 2 * 3600);
	assert_int_equal(m.to_first_notice, -1);
	assert_int_equal(m.remaining, 2);
	assert_false(m.deadline_known);

	/* Notified at +3h, the last revocation at +30h: 6 h late. */
	sql(f->db, "UPDATE cert SET notified_at = (SELECT discovered FROM incident) + 3 * 3600");
	sql(f->db, "UPDATE cert SET state = 'revoked', revoked_at = (SELECT discovered FROM"
		   " incident) + 20 * 3600 WHERE serial = '01'");
	sql(f->db, "UPDATE cert SET state = 'revoked', revoked_at = (SELECT discovered FROM"
		   " incident) + 30 * 3600 WHERE serial = '02'");
	at(f, 31 * 3600);
	assert_int_equal(wr_metrics_get(f->db, &m), 0);
	assert_int_equal(m.to_first_notice, 3 * 3600);
	assert_int_equal(m.to_revocation_complete, 30 * 3600);
	assert_true(m.deadline_known);
	assert_false(m.deadline_met);
	assert_int_equal(m.deadline_margin, -6 * 3600);
	assert_int_equal(m.revoked_by_deadline, 1);
	assert_int_equal(m.revoked_after_deadline, 1);

	/* A task ticked late, by whom; one not done, its owner named as such. */
	sql(f->db, "UPDATE task SET done_by = 'bob', done_at = due + 5400 WHERE id = 2");
	sql(f->db, "UPDATE task SET owner = 'carol' WHERE id = 3");
	/* Lessons: one Management's, one Customer Relations', one overall. */
	assert_int_equal(wr_finding_add(f->db, "lesson-badly", "management", "Paged too late", NULL,
					0, NULL),
			 0);
	assert_int_equal(wr_finding_add(f->db, "lesson-lucky", "customer-relations",
					"Contacts | current", NULL, 0, NULL),
			 0);
	assert_int_equal(wr_finding_add(f->db, "lesson-well", NULL, "The plan held", NULL, 0, NULL),
			 0);
	assert_int_equal(wr_finding_add(f->db, "lesson-well", "nosuch", "x", NULL, 0, NULL),
			 WR_ENOENT);
	char *md = render(f->db, WR_REPORT_POSTMORTEM, WR_REPORT_MD);
	if (getenv("WR_REPORT_DUMP"))
		fputs(md, stderr);
	assert_memory_equal(md, "## Post-Mortem\n", 15);
	assert_non_null(strstr(md, "- **Time to declare**: 02:00:00"));
	assert_non_null(strstr(md, "- **Time to first customer notice**: 03:00:00"));
	assert_non_null(strstr(md, "- **Time to revocation complete**: 1d 06:00:00"));
	assert_non_null(strstr(md, "missed by 06:00:00\n"));
	assert_non_null(strstr(md, "### Management\n\n| Task | Phase | Due (UTC) | Done (UTC) |"
				   " Late by | Who |"));
	assert_non_null(strstr(md, " | 01:30:00 | bob |\n"));
	/* Not done: nobody did it; who should have is said as such. */
	assert_non_null(strstr(md, " | not done (owner carol) |\n"));
	assert_non_null(strstr(md, " | not done | 1d 06:00:00 (open) | not done |\n"));
	assert_null(strstr(md, "(open) | carol |"));
	/* Each team's lessons under it, the rest overall. */
	const char *mg = strstr(md, "### Management\n"),
		   *cr = strstr(md, "### Customer Relations\n");
	const char *ov = strstr(md, "### Lessons Learned: overall\n");
	assert_non_null(mg);
	assert_non_null(cr);
	assert_non_null(ov);
	const char *l1 = strstr(md, "#### Lessons\n\n- What didn't go well: Paged too late\n");
	const char *l2 = strstr(md, "#### Lessons\n\n- Where we got lucky: Contacts \\| current\n");
	assert_true(l1 && l1 > mg && l1 < cr);
	assert_true(l2 && l2 > cr && l2 < ov);
	assert_non_null(strstr(ov, "#### What went well\n\n- The plan held\n"));
	assert_null(strstr(ov, "Paged too late"));
	assert_null(strstr(ov, "Contacts"));
	assert_no_empty_heading(md);
	free(md);
	/* The full report lists every lesson, naming the team's. */
	md = render(f->db, WR_REPORT_FULL, WR_REPORT_MD);
	assert_non_null(strstr(md, "- Paged too late (Management)\n"));
	assert_non_null(strstr(md, "- The plan held\n"));
	free(md);
	char *js = render(f->db, WR_REPORT_POSTMORTEM, WR_REPORT_JSON);
	json_t *j = json_loads(js, 0, NULL);
	assert_non_null(j);
	json_t *o = json_object_get(j, "overall");
	assert_true(json_is_false(json_object_get(o, "deadline_met")));
	json_t *t0 = json_array_get(json_object_get(j, "teams"), 0);
	assert_string_equal(json_string_value(json_object_get(t0, "id")), "management");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_array_get(
		    json_object_get(json_object_get(t0, "lessons_learned"), "went_badly"), 0),
		"text")),
	    "Paged too late");
	assert_int_equal(json_array_size(json_object_get(json_object_get(j, "lessons_learned"),
							 "went_badly")),
			 0);
	assert_int_equal(json_integer_value(json_object_get(o, "deadline_margin_seconds")),
			 -6 * 3600);
	json_decref(j);
	free(js);
}

static void test_deadline_met(void **state)
{
	struct fx *f = *state;
	struct wr_metrics m;
	struct wr_mre_criterion crit[WR_MRE_CRITERIA];

	unit_add_cert(f->db, "01", "A", f->t0);
	assert_int_equal(wr_incident_declare(f->db, "key-compromise", f->t0, 0, NULL, crit), 0);
	sql(f->db, "UPDATE cert SET state = 'revoked', revoked_at = (SELECT discovered FROM"
		   " incident) + 10 * 3600");
	at(f, 12 * 3600);
	assert_int_equal(wr_metrics_get(f->db, &m), 0);
	assert_int_equal(m.remaining, 0);
	assert_true(m.deadline_known);
	assert_true(m.deadline_met);
	assert_int_equal(m.deadline_margin, 14 * 3600);
	char *md = render(f->db, WR_REPORT_POSTMORTEM, WR_REPORT_MD);
	assert_non_null(strstr(md, ": met, 14:00:00 ahead\n"));
	free(md);
	/* The full report: the completion in the Summary and the Timeline. */
	md = render(f->db, WR_REPORT_FULL, WR_REPORT_MD);
	assert_non_null(strstr(md, "  - Revocation completed: 2026-11-25 16:00:00 UTC\n"));
	assert_non_null(strstr(md, "\n- 2026-11-25 16:00:00 UTC: revocation of the affected"
				   " certificates completed (the last revocation)\n"));
	free(md);
	char *fj = render(f->db, WR_REPORT_FULL, WR_REPORT_JSON);
	json_t *jf = json_loads(fj, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(json_object_get(jf, "summary"),
							       "revocation_completed")),
			    "2026-11-25T16:00:00Z");
	json_t *tl = json_object_get(jf, "timeline");
	json_t *last = json_array_get(tl, json_array_size(tl) - 1);
	assert_string_equal(json_string_value(json_object_get(last, "action")),
			    "revocation-complete");
	assert_string_equal(json_string_value(json_object_get(last, "at")), "2026-11-25T16:00:00Z");
	json_decref(jf);
	free(fj);
	/* Done: the update says when it completed. */
	char *js = render(f->db, WR_REPORT_UPDATE, WR_REPORT_JSON);
	json_t *j = json_loads(js, 0, NULL);
	assert_true(json_is_true(json_object_get(j, "complete")));
	assert_string_equal(json_string_value(json_object_get(j, "estimated_completion")),
			    "2026-11-25T16:00:00Z");
	json_decref(j);
	free(js);
	/* Not complete: said so, and no such timeline line. */
	sql(f->db, "UPDATE cert SET state = 'pending', revoked_at = NULL");
	char *md2 = render(f->db, WR_REPORT_FULL, WR_REPORT_MD);
	assert_non_null(strstr(md2, "  - Revocation completed: not yet\n"));
	assert_null(strstr(md2, "certificates completed"));
	free(md2);
}

static void test_esc_md(void **state)
{
	(void)state;
	static const char *const in[][2] = {
	    {"a|b", "a\\|b"},
	    {"back\\slash", "back\\\\slash"},
	    {"# heading", "\\# heading"},
	    {"<script>", "\\<script\\>"},
	    {"&#x202e;", "\\&#x202e;"},
	    {"line\nbreak", "line\\x0abreak"},
	    {"`code` *em* _u_ ~s~", "\\`code\\` \\*em\\* \\_u\\_ \\~s\\~"},
	    {"[x](javascript:y)", "\\[x\\](javascript:y)"},
	    {"- item", "\\- item"},
	    {"+ item", "\\+ item"},
	    {"=====", "\\====="},
	    {"12. x", "12\\. x"},
	    {"3) x", "3\\) x"},
	    {"a-b (c) #1 +2 1.5", "a-b (c) #1 +2 1.5"},
	    {"", ""},
	    {"\xe2\x80\xae"
	     "rtl",
	     "\\u202ertl"},
	};
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
		char *s = wr_esc_md(in[i][0]);
		assert_string_equal(s, in[i][1]);
		free(s);
	}
}

static void test_exercise_line(void **state)
{
	struct fx *f = *state;

	if (wr_exec(f->db, "INSERT INTO exercise(one, scenario, title, scenario_sha256, sim_start,"
			   " real_start, sim_base, real_base_ms) VALUES (1, 's', 't', 'x', 0, 0, 0,"
			   " 0)") != 0)
		fail_msg("%s", wr_db_errmsg(f->db));
	unit_add_cert(f->db, "01", "A", f->t0);
	for (int k = WR_REPORT_PRELIMINARY; k <= WR_REPORT_POSTMORTEM; k++) {
		char *md = render(f->db, (enum wr_report_kind)k, WR_REPORT_MD);
		assert_memory_equal(md, "**EXERCISE**", 12);
		free(md);
		char *js = render(f->db, (enum wr_report_kind)k, WR_REPORT_JSON);
		char *nl = strchr(js, '\n');
		assert_non_null(nl);
		*nl = '\0';
		assert_non_null(strstr(js, "EXERCISE"));
		free(js);
	}
	/* The appendix CSV: a twelfth column, EXERCISE, on its first line
	 * and on every row; still a rectangle a CSV reader takes. */
	char *csv = NULL;
	size_t len = 0;
	assert_int_equal(wr_report_appendix_csv(f->db, &csv, &len), 0);
	const char *nl = strchr(csv, '\n');
	assert_non_null(nl);
	assert_memory_equal(nl - 26, "Revocation reason,EXERCISE\n", 27);
	assert_non_null(strstr(nl, ",x.example,Planned,,,not a real incident\n"));
	free(csv);
	char *md = render(f->db, WR_REPORT_FULL, WR_REPORT_MD);
	assert_non_null(strstr(md, "```csv\nPrecertificate SHA-256,"));
	assert_non_null(strstr(md, "Revocation reason,EXERCISE\n"));
	free(md);
}

/* Every kind names the audit chain's head as it was written, in
 * Markdown and JSON; audit verify --head proves it; after more events
 * the head moves on but the old one still verifies. */
static void test_audit_head(void **state)
{
	struct fx *f = *state;
	struct wr_audit_result ar;
	unsigned char head[32];
	char hex[65];

	population(f);
	assert_int_equal(wr_audit_verify(f->db, NULL, &ar), 0);
	wr_hex(ar.head, 32, hex);
	char want[160];
	snprintf(want, sizeof want, "\n---\n\nAudit chain: %lld events, head `%lld:%s` as this",
		 (long long)ar.count, (long long)ar.count, hex);
	for (int k = WR_REPORT_PRELIMINARY; k <= WR_REPORT_POSTMORTEM; k++) {
		char *md = render(f->db, (enum wr_report_kind)k, WR_REPORT_MD);
		const char *a = strstr(md, want);
		assert_non_null(a);
		/* The closing paragraph: nothing after it but its line. */
		assert_int_equal(wr_report_audit_at(md, strlen(md)), (size_t)(a - md));
		const char *end = strchr(a + 6, '\n');
		assert_non_null(end);
		assert_int_equal(end[1], '\0');
		free(md);
		char *js = render(f->db, (enum wr_report_kind)k, WR_REPORT_JSON);
		json_t *j = json_loads(js, 0, NULL);
		json_t *au = json_object_get(j, "audit");
		assert_int_equal(json_integer_value(json_object_get(au, "events")), ar.count);
		assert_string_equal(json_string_value(json_object_get(au, "head")), hex);
		assert_true(json_is_true(json_object_get(au, "chain_ok")));
		json_decref(j);
		free(js);
	}
	/* A text without the paragraph: its whole length. */
	assert_int_equal(wr_report_audit_at("## Update\n", 10), 10);
	/* More events: the head moves on; the report's still verifies. */
	assert_int_equal(wr_finding_add(f->db, "lesson-well", NULL, "x", NULL, 0, NULL), 0);
	for (int i = 0; i < 32; i++)
		sscanf(hex + 2 * i, "%2hhx", &head[i]);
	assert_int_equal(wr_audit_verify(f->db, head, &ar), 0);
	assert_int_equal(ar.head_id, ar.count - 1);
	char *md = render(f->db, WR_REPORT_UPDATE, WR_REPORT_MD);
	assert_null(strstr(md, want));
	free(md);
	/* A rewritten event: the report is still written, and says so. */
	sql(f->db, "UPDATE event SET details = '{}' WHERE id = 2");
	md = render(f->db, WR_REPORT_UPDATE, WR_REPORT_MD);
	assert_non_null(strstr(md, "; THE CHAIN DOES NOT HOLD: audit chain broken at event 2"));
	free(md);
	char *js = render(f->db, WR_REPORT_UPDATE, WR_REPORT_JSON);
	json_t *j = json_loads(js, 0, NULL);
	assert_true(json_is_false(json_object_get(json_object_get(j, "audit"), "chain_ok")));
	json_decref(j);
	free(js);
}

/* From WR_REPORT_CRTSH_AT certificates the appendix is crt.sh links by
 * SHA-256; the CSV stays whole for --appendix. */
static void test_appendix_links(void **state)
{
	struct fx *f = *state;
	char serial[16];

	sql(f->db, "BEGIN");
	for (int i = 0; i < WR_REPORT_CRTSH_AT - 1; i++) {
		snprintf(serial, sizeof serial, "%06X", i + 1);
		unit_add_cert(f->db, serial, "A", f->t0);
	}
	sql(f->db, "COMMIT");
	/* One short of it: the CSV itself, no link, nothing said attached. */
	char *md = render(f->db, WR_REPORT_FULL, WR_REPORT_MD);
	const char *app = strstr(md, "### Appendix\n\n```csv\nPrecertificate SHA-256,");
	assert_non_null(app);
	assert_null(strstr(md, "crt.sh"));
	assert_null(strstr(md, "attached"));
	free(md);
	snprintf(serial, sizeof serial, "%06X", WR_REPORT_CRTSH_AT);
	unit_add_cert(f->db, serial, "A", f->t0);
	md = render(f->db, WR_REPORT_FULL, WR_REPORT_MD);
	/* Over [bugzilla] attachment_max (Bugzilla's 1000 KB), in parts. */
	char *whole = NULL, **cp = NULL, want[512];
	size_t ncp = 0;
	assert_int_equal(wr_report_appendix_csv(f->db, &whole, NULL), 0);
	assert_int_equal(wr_bugzilla_csv_split(whole, WR_BUGZILLA_ATTACHMENT_MAX, &cp, &ncp), 0);
	wr_bugzilla_split_free(cp, ncp);
	assert_true(ncp >= 1);
	free(whole);
	if (ncp > 1)
		snprintf(want, sizeof want,
			 "### Appendix\n\n10,000 certificates: each one on crt.sh by its SHA-256."
			 " The CSV of every certificate is attached to the bug in %zu parts,"
			 " `affected-certificates-1-of-%zu.csv` to `affected-certificates-%zu-of-%zu.csv`.\n\n",
			 ncp, ncp, ncp, ncp);
	else
		snprintf(want, sizeof want,
			 "### Appendix\n\n10,000 certificates: each one on crt.sh by its SHA-256."
			 " The CSV of every certificate is attached to the bug as `"
			 WR_REPORT_APPENDIX_FILE "`.\n\n");
	app = strstr(md, want);
	assert_non_null(app);
	assert_null(strstr(app, "```csv"));
	int links = 0;
	for (const char *p = app; (p = strstr(p, "- <https://crt.sh/?sha256=")) != NULL; p++)
		links++;
	assert_int_equal(links, WR_REPORT_CRTSH_AT);
	free(md);
	char *csv = NULL;
	size_t len = 0;
	int lines = 0;
	assert_int_equal(wr_report_appendix_csv(f->db, &csv, &len), 0);
	for (size_t i = 0; i < len; i++)
		lines += csv[i] == '\n';
	assert_int_equal(lines, WR_REPORT_CRTSH_AT + 1);
	free(csv);
	char *js = render(f->db, WR_REPORT_FULL, WR_REPORT_JSON);
	json_t *j = json_loads(js, 0, NULL);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j, "appendix"), "format")), "crt.sh");
	json_decref(j);
	free(js);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kinds),
	    cmocka_unit_test(test_esc_md),
	    cmocka_unit_test_setup_teardown(test_title_and_preliminary, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_numbers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_no_rate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_full_sections, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_postmortem_and_metrics, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exercise_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_appendix_links, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_head, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deadline_met, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
