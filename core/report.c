/*
 * report.c: Mozilla's incident reports, written from the database alone
 * (domain.md 5 and 6): the preliminary report (CCADB Summary), the
 * delayed-revocation update with its four numbers, the full incident
 * report with every CCADB section in order, and the plan's Phase 4
 * post-mortem; in Markdown for Bugzilla (is_markdown) or JSON.
 *
 * Every figure comes from the functions status uses (wr_counts_get,
 * wr_pace_get, wr_metrics_get), so a report never disagrees with the
 * console. Every text a certificate, a customer or a person gave is
 * escaped for Markdown (wr_esc_md) before it is written; a section with
 * nothing to say says N/A, never an empty heading. Every report ends
 * with the audit chain's head as it was written (count and hash, as
 * `audit anchor` prints it), so that `audit verify --head` on the
 * database proves the report came from it and the database was not
 * rewritten since. This file only reads: posting is another file's
 * concern.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- output -------------------------------------------------------------- */

struct rep {
	struct wr_db *db;
	struct wr_buf b;
	bool oom;
	struct wr_status st;
	int64_t now;
	struct wr_audit_result audit; /* the chain as the report is written */
	bool chain_ok;
	char head[65];
	char chain_error[256]; /* why it does not hold, when it does not */
};

static void put(struct rep *r, const char *s, size_t n)
{
	if (!r->oom && !wr_buf_put(&r->b, s, n))
		r->oom = true;
}

static void puts_(struct rep *r, const char *s)
{
	put(r, s, strlen(s));
}

static void putf(struct rep *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct rep *r, const char *fmt, ...)
{
	va_list ap;
	char tmp[512];

	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof tmp) {
		put(r, tmp, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		r->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	put(r, big, (size_t)n);
	free(big);
}

/* Text from a certificate, a customer or a person, escaped for Markdown;
 * "N/A" for none. */
static void put_md(struct rep *r, const char *s)
{
	if (!s || !*s) {
		puts_(r, "N/A");
		return;
	}
	char *e = wr_esc_md(s);
	if (!e) {
		r->oom = true;
		return;
	}
	puts_(r, e);
	free(e);
}

/* "2026-11-25 06:00:00 UTC", or N/A. */
static const char *utc(int64_t t, char buf[WR_TIME_BUFSZ])
{
	if (!t)
		return "N/A";
	wr_time_format(t, buf);
	char *z = strchr(buf, 'T');
	if (z)
		*z = ' ';
	z = strchr(buf, 'Z');
	if (z)
		strcpy(z, " UTC");
	return buf;
}

/* "1d 02:03:04" for a duration, "N/A" when unknown (< 0). */
static const char *dur(int64_t s, char buf[WR_TIME_BUFSZ])
{
	if (s < 0)
		return "N/A";
	return wr_duration_format(s, buf);
}

/* 3000 as "3,000". */
static const char *grouped(int64_t v, char out[32])
{
	char d[24];
	int len = snprintf(d, sizeof d, "%lld", (long long)(v < 0 ? -v : v)), k = 0;

	if (v < 0)
		out[k++] = '-';
	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			out[k++] = ',';
		out[k++] = d[i];
	}
	out[k] = '\0';
	return out;
}

static json_t *jtime_(int64_t t)
{
	char b[WR_TIME_BUFSZ];
	return t ? json_string(wr_time_format(t, b)) : json_null();
}

/* A JSON string of any bytes (sanitized to UTF-8), null for NULL. */
static json_t *jstr_(const char *s)
{
	if (!s)
		return json_null();
	char *u = wr_utf8_sanitize(s, strlen(s));
	json_t *j = u ? json_string(u) : NULL;
	free(u);
	return j ? j : json_null();
}

/* ---- kinds --------------------------------------------------------------- */

static const char *const kind_names[] = {"preliminary", "update", "full", "postmortem"};

int wr_report_kind_parse(const char *s, enum wr_report_kind *out)
{
	for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
		if (s && strcmp(s, kind_names[i]) == 0) {
			*out = (enum wr_report_kind)i;
			return 0;
		}
	return WR_EINVAL;
}

const char *wr_report_kind_name(enum wr_report_kind kind)
{
	return (unsigned)kind < sizeof kind_names / sizeof kind_names[0] ? kind_names[kind] : "?";
}

/* ---- the title of a new bug ---------------------------------------------- */

int wr_report_title(struct wr_db *db, char **out)
{
	const char *owner = wr_config_get(wr_db_config(db), "bugzilla", "ca_owner");
	struct wr_status st;
	int rc;

	*out = NULL;
	if (!owner || !*owner)
		return wr_err(db, WR_EINVAL,
			      "[bugzilla] ca_owner is not set: the bug's title is \"CA Owner name:"
			      " brief title\"");
	if ((rc = wr_status_get(db, &st)))
		return rc;
	/* A summary is one line of plain text: controls become visible. */
	char *o = wr_esc_term(owner), *n = wr_esc_term(st.name);
	size_t len = (o ? strlen(o) : 0) + (n ? strlen(n) : 0) + 3;
	char *t = o && n ? malloc(len) : NULL;
	if (t)
		snprintf(t, len, "%s: %s", o, n);
	free(o);
	free(n);
	if (!t)
		return wr_err(db, WR_ENOMEM, "out of memory");
	*out = t;
	return 0;
}

/* ---- shared figures ------------------------------------------------------ */

/* One subscriber's delay: its certificates held past now, until when, why. */
struct delay {
	char *customer, *rationale;
	int64_t count, until;
};

static void delays_free(struct delay *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(d[i].customer);
		free(d[i].rationale);
	}
	free(d);
}

/* Delays as status counts them (held past now, neither revoked nor
 * expired), per subscriber and rationale, the latest until first. */
static int delays_get(struct wr_db *db, int64_t now, struct delay **out, size_t *n)
{
	sqlite3_stmt *st;
	struct delay *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = wr_prepare(db,
			     "SELECT customer, hold_reason, count(*), max(hold_until)"
			     " FROM cert WHERE revoked_at IS NULL AND hold_until IS NOT NULL"
			     " AND hold_until > ?1 AND not_after >= ?1"
			     " GROUP BY customer, hold_reason"
			     " ORDER BY max(hold_until) DESC, customer, hold_reason",
			     &st)))
		return rc;
	sqlite3_bind_int64(st, 1, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			struct delay *nv = realloc(v, cap * sizeof *nv);
			if (!nv)
				goto oom;
			v = nv;
		}
		struct delay *d = &v[cnt++];
		const char *c = wr_col_text(st, 0), *why = wr_col_text(st, 1);
		d->customer = c ? strdup(c) : NULL;
		d->rationale = why ? strdup(why) : NULL;
		d->count = sqlite3_column_int64(st, 2);
		d->until = sqlite3_column_int64(st, 3);
		if ((c && !d->customer) || (why && !d->rationale))
			goto oom;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		delays_free(v, cnt);
		return wr_err_sq(db, "reading delays");
	}
	*out = v;
	*n = cnt;
	return 0;
oom:
	sqlite3_finalize(st);
	delays_free(v, cnt);
	return wr_err(db, WR_ENOMEM, "out of memory");
}

static json_t *delays_json(const struct delay *d, size_t nd)
{
	json_t *a = json_array();

	for (size_t i = 0; i < nd; i++)
		json_array_append_new(
		    a, json_pack("{s:o, s:I, s:o, s:o}", "customer", jstr_(d[i].customer), "count",
				 (json_int_t)d[i].count, "until", jtime_(d[i].until), "rationale",
				 jstr_(d[i].rationale)));
	return a;
}

/* The update's four numbers (domain.md 5), equal to status's counts. */
struct numbers {
	struct wr_counts c;
	struct wr_pace p;
	int64_t revoked, not_revoked, expired;
	int64_t estimate;   /* 0: none */
	const char *reason; /* why there is none (static) */
	bool complete;
	int64_t hold_until_max;
};

static int numbers_get(struct wr_db *db, int64_t now, struct numbers *n)
{
	int rc;

	memset(n, 0, sizeof *n);
	if ((rc = wr_counts_get(db, now, &n->c)) || (rc = wr_pace_get(db, now, &n->p)))
		return rc;
	n->revoked = n->c.revoked;
	n->not_revoked = n->c.pending + n->c.held;
	n->expired = n->c.expired;
	/* The last delay to end, as status counts delays. */
	sqlite3_stmt *st;
	if ((rc = wr_prepare(db,
			     "SELECT coalesce(max(hold_until), 0) FROM cert"
			     " WHERE revoked_at IS NULL AND hold_until > ?1 AND not_after >= ?1",
			     &st)))
		return rc;
	sqlite3_bind_int64(st, 1, now);
	n->hold_until_max = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);

	if (n->not_revoked == 0) {
		n->complete = true;
		n->estimate = n->p.last_revoked_at;
		if (!n->estimate)
			n->reason = n->c.affected ? "no certificate was revoked: every one expired first"
						  : "no certificate is affected";
	} else if (n->c.pending == 0) {
		/* Only delayed ones are left: they go when their delays end. */
		n->estimate = n->hold_until_max;
	} else if (!n->p.projected_finish) {
		n->reason = "nothing has been revoked yet, so there is no measured revocation rate";
	} else {
		/* At the measured rate (pace.c), and not before the last delay ends. */
		n->estimate = n->p.projected_finish > n->hold_until_max ? n->p.projected_finish
									: n->hold_until_max;
	}
	return 0;
}

/* ---- Markdown sections --------------------------------------------------- */

static void md_exercise(struct rep *r)
{
	if (wr_exercise_active(r->db))
		puts_(r, "**EXERCISE**: this report comes from a tabletop exercise, not a real"
			 " incident.\n\n");
}

static const char *source_text(struct wr_db *db)
{
	const char *s = wr_config_get(wr_db_config(db), "report", "source");

	if (s && strcmp(s, "third-party") == 0)
		return "Third Party Reported";
	if (s && strcmp(s, "audit") == 0)
		return "Audit";
	return "Self Reported";
}

static void md_summary(struct rep *r, const struct numbers *n)
{
	const struct wr_status *s = &r->st;
	const struct wr_reason *rs = wr_reason_find(s->reason);
	const char *ccadb = wr_config_get(wr_db_config(r->db), "report", "ccadb_id");
	char t[WR_TIME_BUFSZ], g[32];

	puts_(r, "### Summary\n\n");
	puts_(r, "- **CCADB case number**: ");
	put_md(r, ccadb);
	puts_(r, "\n- **Incident description**: ");
	put_md(r, s->name);
	putf(r, ". %s %s affected", grouped(n->c.affected, g),
	     n->c.affected == 1 ? "certificate is" : "certificates are");
	if (rs) {
		/* The circumstance in the middle of a sentence. */
		char c0 = rs->circumstance[0];
		putf(r, ": %c%s (TLS BR %s), to be revoked within %s of discovery, CRLReason %s",
		     c0 >= 'A' && c0 <= 'Z' ? c0 - 'A' + 'a' : c0, rs->circumstance + 1,
		     rs->section, rs->deadline >= 5 * 86400 ? "5 days" : "24 hours",
		     wr_crl_reason_name(s->crl_reason));
	}
	puts_(r, ".");
	if (n->c.held)
		putf(r, " The revocation of %s %s is delayed past the deadline.",
		     grouped(n->c.held, g), n->c.held == 1 ? "certificate" : "certificates");
	puts_(r, "\n- **Timeline summary**:\n");
	putf(r, "  - Non-compliance identified: %s\n", utc(s->discovered, t));
	putf(r, "  - Mass revocation event declared: %s\n", utc(s->declared, t));
	putf(r, "  - Revocation deadline: %s\n", utc(s->deadline, t));
	if (n->complete && n->estimate)
		putf(r, "  - Revocation completed: %s\n", utc(n->estimate, t));
	else
		puts_(r, "  - Revocation completed: not yet\n");
	puts_(r, "- **Relevant policies**: ");
	if (rs)
		putf(r, "TLS Baseline Requirements section %s", rs->section);
	else
		puts_(r, "N/A");
	if (n->c.held)
		puts_(r, "; Mozilla Root Store Policy section 6.1.3 (delayed revocation)");
	putf(r, "\n- **Source of incident disclosure**: %s\n\n", source_text(r->db));
}

static void md_delays(struct rep *r, const struct delay *d, size_t nd)
{
	char t[WR_TIME_BUFSZ], g[32];

	if (!nd) {
		puts_(r, "N/A: no revocation is delayed.\n\n");
		return;
	}
	puts_(r, "| Subscriber | Certificates | Delayed until (UTC) | Rationale |\n"
		 "|---|---:|---|---|\n");
	for (size_t i = 0; i < nd; i++) {
		puts_(r, "| ");
		put_md(r, d[i].customer);
		putf(r, " | %s | %s | ", grouped(d[i].count, g), utc(d[i].until, t));
		put_md(r, d[i].rationale);
		puts_(r, " |\n");
	}
	puts_(r, "\n");
}

static void md_numbers(struct rep *r, const struct numbers *n)
{
	char t[WR_TIME_BUFSZ], g[32];

	putf(r, "As of %s:\n\n", utc(r->now, t));
	puts_(r, "| Certificates | Count |\n|---|---:|\n");
	putf(r, "| Revoked | %s |\n", grouped(n->revoked, g));
	putf(r, "| Not yet revoked | %s |\n", grouped(n->not_revoked, g));
	putf(r, "| Planned for revocation, expired first | %s |\n\n", grouped(n->expired, g));
	if (n->complete && n->estimate)
		putf(r, "**All revocations completed**: %s.\n\n", utc(n->estimate, t));
	else if (n->estimate && n->c.pending == 0)
		putf(r, "**Estimated completion**: %s, when the last delay ends.\n\n",
		     utc(n->estimate, t));
	else if (n->estimate)
		putf(r, "**Estimated completion**: %s, at %.1f revocations per hour (%s)%s.\n\n",
		     utc(n->estimate, t),
		     strcmp(n->p.basis, "last-hour") == 0 ? n->p.rate_per_hour
							  : n->p.rate_overall_per_hour,
		     strcmp(n->p.basis, "last-hour") == 0 ? "the last hour's rate"
							  : "the rate since the first revocation",
		     n->estimate == n->hold_until_max ? ", when the last delay ends" : "");
	else
		putf(r, "**Estimated completion**: cannot be estimated: %s.\n\n", n->reason);
}

/* ---- preliminary and update ---------------------------------------------- */

/* The Summary; and when revocations are delayed already, each one's
 * rationale per subscriber, which Mozilla asks of the preliminary report
 * (seed 002). */
static int render_preliminary(struct rep *r, enum wr_report_format fmt, json_t *j)
{
	struct numbers n;
	struct delay *d;
	size_t nd;
	int rc;

	if ((rc = numbers_get(r->db, r->now, &n)) || (rc = delays_get(r->db, r->now, &d, &nd)))
		return rc;
	if (fmt == WR_REPORT_JSON) {
		json_object_set_new(j, "delays", delays_json(d, nd));
	} else {
		md_exercise(r);
		puts_(r, "## Preliminary Incident Report\n\n");
		md_summary(r, &n);
		if (nd) {
			puts_(r, "### Delayed revocations, per subscriber\n\n");
			md_delays(r, d, nd);
		}
	}
	delays_free(d, nd);
	return 0;
}

static int render_update(struct rep *r, enum wr_report_format fmt, json_t *j)
{
	struct numbers n;
	struct delay *d;
	size_t nd;
	int rc;

	if ((rc = numbers_get(r->db, r->now, &n)) || (rc = delays_get(r->db, r->now, &d, &nd)))
		return rc;
	if (fmt == WR_REPORT_JSON) {
		json_object_set_new(j, "revoked", json_integer(n.revoked));
		json_object_set_new(j, "not_revoked", json_integer(n.not_revoked));
		json_object_set_new(j, "expired", json_integer(n.expired));
		json_object_set_new(j, "estimated_completion", jtime_(n.estimate));
		json_object_set_new(j, "estimate_reason",
				    n.estimate ? json_null() : json_string(n.reason));
		json_object_set_new(j, "complete", json_boolean(n.complete));
		json_object_set_new(j, "rate_basis", json_string(n.p.basis));
		json_object_set_new(j, "delays", delays_json(d, nd));
	} else {
		md_exercise(r);
		puts_(r, "## Incident Report Update\n\n");
		md_numbers(r, &n);
		puts_(r, "### Delayed revocations, per subscriber\n\n");
		md_delays(r, d, nd);
	}
	delays_free(d, nd);
	return 0;
}

/* ---- the full report ----------------------------------------------------- */

struct timeline {
	struct rep *r;
	json_t *arr;
	int64_t complete; /* when revocation completed, 0: not yet or shown */
	size_t lines;
};

static void tl_complete(struct timeline *tl, int64_t before)
{
	char t[WR_TIME_BUFSZ];

	if (!tl->complete || (before && before <= tl->complete))
		return;
	if (tl->arr)
		json_array_append_new(
		    tl->arr, json_pack("{s:o, s:n, s:s, s:s}", "at", jtime_(tl->complete), "actor",
				       "action", "revocation-complete", "text",
				       "revocation of the affected certificates completed"));
	else
		putf(tl->r,
		     "- %s: revocation of the affected certificates completed (the last"
		     " revocation)\n",
		     utc(tl->complete, t));
	tl->complete = 0;
	tl->lines++;
}

static int tl_event(const struct wr_event *e, void *arg)
{
	struct timeline *tl = arg;
	char t[WR_TIME_BUFSZ];

	/* A run's batches are summed up by its "revoke" event. */
	if (strcmp(e->action, "revoke-batch") == 0)
		return 0;
	tl_complete(tl, e->at);
	char *s = wr_event_sentence_dup(tl->r->db, e, 0);
	if (!s)
		return wr_err(tl->r->db, WR_ENOMEM, "out of memory");
	if (tl->arr) {
		json_array_append_new(tl->arr,
				      json_pack("{s:o, s:o, s:o, s:o}", "at", jtime_(e->at),
						"actor", jstr_(e->actor), "action",
						jstr_(e->action), "text", jstr_(s)));
	} else {
		putf(tl->r, "- %s: ", utc(e->at, t));
		put_md(tl->r, s);
		puts_(tl->r, "\n");
	}
	free(s);
	tl->lines++;
	return 0;
}

/* Which findings: every one, or those about one team (NULL: about none,
 * the incident's as a whole). */
struct fsel {
	bool by_team;
	const char *team;
};

static bool fsel_match(const struct fsel *sel, const char *team)
{
	if (!sel || !sel->by_team)
		return true;
	if (!sel->team || !team)
		return !sel->team && !team;
	return strcmp(sel->team, team) == 0;
}

struct findings {
	struct rep *r;
	json_t *arr;
	size_t n;
	bool table;		/* related: Bug | Date | Description */
	const struct fsel *sel; /* NULL: every one */
	const char *prefix;	/* before each item's text ("What went well: ") */
	const struct wr_team *teams; /* to name a finding's team, or NULL */
	size_t nteams;
};

static const char *team_name(const struct wr_team *teams, size_t n, const char *id)
{
	for (size_t i = 0; id && i < n; i++)
		if (strcmp(teams[i].id, id) == 0)
			return teams[i].name;
	return id;
}

static int finding_cb(const struct wr_finding *f, void *arg)
{
	struct findings *fs = arg;
	char t[WR_TIME_BUFSZ];

	if (!fsel_match(fs->sel, f->team))
		return 0;
	fs->n++;
	if (fs->arr) {
		json_t *o = json_pack("{s:I, s:o, s:o, s:o}", "id", (json_int_t)f->id, "text",
				      jstr_(f->text), "by", jstr_(f->by), "at", jtime_(f->at));
		json_object_set_new(o, "team", jstr_(f->team));
		if (fs->table) {
			json_object_set_new(o, "bug", jstr_(f->bug));
			json_object_set_new(o, "date", jtime_(f->date));
		}
		json_array_append_new(fs->arr, o);
		return 0;
	}
	if (fs->table) {
		if (fs->n == 1)
			puts_(fs->r, "| Bug | Date | Description |\n|---|---|---|\n");
		puts_(fs->r, "| ");
		put_md(fs->r, f->bug);
		putf(fs->r, " | %s | ", f->date ? utc(f->date, t) : "N/A");
		put_md(fs->r, f->text);
		puts_(fs->r, " |\n");
		return 0;
	}
	puts_(fs->r, "- ");
	if (fs->prefix)
		puts_(fs->r, fs->prefix);
	put_md(fs->r, f->text);
	if (f->team && fs->teams && !fs->sel) {
		/* The full report lists every team's: it says whose. */
		puts_(fs->r, " (");
		put_md(fs->r, team_name(fs->teams, fs->nteams, f->team));
		puts_(fs->r, ")");
	}
	puts_(fs->r, "\n");
	return 0;
}

/* The findings of a section as a list (a table for related incidents),
 * or N/A; in JSON an array under key. sel: whose (NULL: every one, a
 * team's named after it). */
static int md_findings(struct rep *r, const char *section, json_t *j, const char *key,
		       const struct fsel *sel)
{
	struct findings fs = {r, NULL, 0, strcmp(section, "related") == 0, sel, NULL, NULL, 0};
	struct wr_team *teams = NULL;
	int rc;

	if (!j && !sel && strncmp(section, "lesson-", 7) == 0 &&
	    (rc = wr_team_list(r->db, &teams, &fs.nteams)))
		return rc;
	fs.teams = teams;
	if (j)
		fs.arr = json_array();
	rc = wr_finding_foreach(r->db, section, finding_cb, &fs);
	free(teams);
	if (rc) {
		json_decref(fs.arr);
		return rc;
	}
	if (j) {
		json_object_set_new(j, key, fs.arr);
		return 0;
	}
	puts_(r, fs.n ? "\n" : "N/A\n\n");
	return 0;
}

/* CCADB's four kinds of lesson, each a heading of its own (N/A when
 * none is recorded); in JSON (j set) an object of arrays. */
static const struct {
	const char *section, *heading, *key;
} lessons[] = {
    {"lesson-well", "What went well", "went_well"},
    {"lesson-badly", "What didn't go well", "went_badly"},
    {"lesson-lucky", "Where we got lucky", "got_lucky"},
    {"lesson-other", "Other", "other"},
};

/* title: the section's heading ("Lessons Learned"); sel: whose lessons
 * (NULL: every one). */
static int lessons_learned(struct rep *r, json_t *j, const char *title, const struct fsel *sel)
{
	json_t *l = j ? json_object() : NULL;
	int rc = 0;

	if (!j)
		putf(r, "### %s\n\n", title);
	for (size_t i = 0; i < sizeof lessons / sizeof lessons[0] && !rc; i++) {
		if (!j)
			putf(r, "#### %s\n\n", lessons[i].heading);
		rc = md_findings(r, lessons[i].section, l, lessons[i].key, sel);
	}
	if (j)
		json_object_set_new(j, "lessons_learned", l);
	return rc;
}

/* A team's lessons in the post-mortem, under the team: one list, each
 * item saying which kind; N/A when none. In JSON, lessons_learned of the
 * team's object. */
static int team_lessons(struct rep *r, json_t *tj, const char *team)
{
	struct fsel sel = {true, team};
	size_t n = 0;
	int rc = 0;

	if (tj) {
		json_t *l = json_object();
		for (size_t i = 0; i < sizeof lessons / sizeof lessons[0] && !rc; i++)
			rc = md_findings(r, lessons[i].section, l, lessons[i].key, &sel);
		json_object_set_new(tj, "lessons_learned", l);
		return rc;
	}
	puts_(r, "#### Lessons\n\n");
	for (size_t i = 0; i < sizeof lessons / sizeof lessons[0] && !rc; i++) {
		char prefix[48];
		snprintf(prefix, sizeof prefix, "%s: ", lessons[i].heading);
		struct findings fs = {r, NULL, 0, false, &sel, prefix, NULL, 0};
		rc = wr_finding_foreach(r->db, lessons[i].section, finding_cb, &fs);
		n += fs.n;
	}
	puts_(r, n ? "\n" : "N/A\n\n");
	return rc;
}

static const char *cap_status(const char *s, char buf[16])
{
	snprintf(buf, 16, "%s", s);
	if (buf[0] >= 'a' && buf[0] <= 'z')
		buf[0] = (char)(buf[0] - 'a' + 'A');
	return buf;
}

struct actions {
	struct rep *r;
	json_t *arr;
	size_t n;
};

static int action_cb(const struct wr_action *a, void *arg)
{
	struct actions *as = arg;
	char t[WR_TIME_BUFSZ], k[16], s[16];

	as->n++;
	if (as->arr) {
		json_array_append_new(as->arr,
				      json_pack("{s:I, s:o, s:s, s:o, s:o, s:o, s:s}", "id",
						(json_int_t)a->id, "action_item", jstr_(a->title),
						"kind", a->kind, "root_cause", jstr_(a->root_cause),
						"evaluation_criteria", jstr_(a->criteria), "due",
						jtime_(a->due), "status", a->status));
		return 0;
	}
	if (as->n == 1)
		puts_(as->r, "| Action Item | Kind | Root Cause | Evaluation Criteria | Due Date |"
			     " Status |\n|---|---|---|---|---|---|\n");
	puts_(as->r, "| ");
	put_md(as->r, a->title);
	putf(as->r, " | %s | ", cap_status(a->kind, k));
	put_md(as->r, a->root_cause);
	puts_(as->r, " | ");
	put_md(as->r, a->criteria);
	wr_time_format(a->due, t);
	t[10] = '\0'; /* a date */
	putf(as->r, " | %s | %s |\n", t, cap_status(a->status, s));
	return 0;
}

/* ---- the appendix -------------------------------------------------------- */

/* RFC 4180: quoted when it holds a comma, quote or line break; certificate
 * text made visible first (controls never reach the CSV reader). */
static void csv_field(struct rep *r, const char *s, bool last)
{
	char *e = wr_esc_term(s ? s : "");
	if (!e) {
		r->oom = true;
		return;
	}
	if (strpbrk(e, ",\"\r\n")) {
		put(r, "\"", 1);
		for (const char *p = e; *p; p++) {
			if (*p == '"')
				put(r, "\"", 1);
			put(r, p, 1);
		}
		put(r, "\"", 1);
	} else {
		puts_(r, e);
	}
	free(e);
	put(r, last ? "\n" : ",", 1);
}

#define CSV_EXERCISE_VALUE "not a real incident"

struct appendix {
	struct rep *r;
	int incident_crl_reason;
	bool links;    /* crt.sh links instead of CSV rows */
	bool exercise; /* the EXERCISE column */
};

static int appendix_cb(const struct wr_cert *c, void *arg)
{
	struct appendix *ap = arg;
	struct rep *r = ap->r;
	char hex[65], t[WR_TIME_BUFSZ];

	wr_hex(c->sha256, 32, hex);
	if (ap->links) {
		putf(r, "- <https://crt.sh/?sha256=%s>\n", hex);
		return 0;
	}
	const char *revoked = "Planned";
	if (c->revoked_at)
		revoked = "Yes";
	else if (c->not_after < r->now)
		revoked = "N/A";
	else if (c->hold_until > r->now)
		revoked = "Delayed";
	csv_field(r, "", false); /* the precertificate's hash is not known */
	csv_field(r, hex, false);
	csv_field(r, c->subject, false);
	csv_field(r, c->issuer, false);
	csv_field(r, wr_time_format(c->not_before, t), false);
	csv_field(r, wr_time_format(c->not_after, t), false);
	csv_field(r, c->serial, false);
	csv_field(r, c->sans, false);
	csv_field(r, revoked, false);
	csv_field(r, c->revoked_at ? wr_time_format(c->revoked_at, t) : "", false);
	int reason = c->crl_reason == -2 ? ap->incident_crl_reason : c->crl_reason;
	csv_field(r, c->revoked_at ? wr_crl_reason_name(reason) : "", !ap->exercise);
	if (ap->exercise)
		csv_field(r, CSV_EXERCISE_VALUE, true);
	return 0;
}

#define CSV_COLUMNS                                                                                \
	"Precertificate SHA-256,Certificate SHA-256,Subject,Issuer,notBefore,notAfter,"            \
	"Serial,dNSNames,Is revoked?,Revocation date,Revocation reason"

/* The header line. An exercise's CSV has a twelfth column, EXERCISE,
 * each row's "not a real incident": a CSV reader takes it as any other
 * column (a comment line would be a malformed row to most), a person
 * reading one row alone sees it, and the first line says EXERCISE. */
static void csv_header(struct rep *r)
{
	puts_(r, wr_exercise_active(r->db) ? CSV_COLUMNS ",EXERCISE\n" : CSV_COLUMNS "\n");
}

static int appendix_rows(struct rep *r, bool links)
{
	struct appendix ap = {r, r->st.crl_reason, links, wr_exercise_active(r->db)};
	struct wr_cert_filter f = {.now = r->now};

	return wr_cert_foreach(r->db, &f, appendix_cb, &ap);
}

static int rep_begin(struct wr_db *db, struct rep *r)
{
	memset(r, 0, sizeof *r);
	r->db = db;
	int rc = wr_status_get(db, &r->st);
	r->now = r->st.now;
	return rc;
}

static int rep_end(struct rep *r, int rc, char **out, size_t *len)
{
	if (!rc && r->oom)
		rc = wr_err(r->db, WR_ENOMEM, "out of memory");
	if (rc) {
		wr_buf_free(&r->b);
		return rc;
	}
	if (!r->b.p && !wr_buf_put(&r->b, "", 0)) {
		return wr_err(r->db, WR_ENOMEM, "out of memory");
	}
	*out = r->b.p;
	if (len)
		*len = r->b.len;
	return 0;
}

int wr_report_appendix_csv(struct wr_db *db, char **out, size_t *len)
{
	struct rep r;
	int rc;

	*out = NULL;
	if (!(rc = rep_begin(db, &r))) {
		csv_header(&r);
		rc = appendix_rows(&r, false);
	}
	return rep_end(&r, rc, out, len);
}

static void md_impact(struct rep *r, const struct numbers *n, const struct delay *d, size_t nd)
{
	char g[32], g2[32], g3[32];

	puts_(r, "### Impact\n\n");
	putf(r, "- **Total affected certificates**: %s", grouped(n->c.affected, g));
	if (r->st.active_total)
		putf(r, " of %s active (%.2f%%)", grouped(r->st.active_total, g2),
		     100.0 * (double)n->c.affected / (double)r->st.active_total);
	putf(r, "\n- **Remaining valid** (neither revoked nor expired): %s\n",
	     grouped(n->not_revoked, g));
	putf(r, "- **Revoked**: %s; **expired before revocation**: %s; **delayed**: %s\n",
	     grouped(n->revoked, g), grouped(n->expired, g2), grouped(n->c.held, g3));
	puts_(r, "- **Certificate types**: TLS server certificates\n");
	puts_(r, "- **How to find them**: the Appendix lists every affected certificate\n");
	puts_(r, "- **Issuance stopped**: N/A\n");
	puts_(r, "- **Analysis**: ");
	if (!nd) {
		puts_(r, "N/A: no revocation is delayed.\n\n");
		return;
	}
	puts_(r, "the revocations below are delayed past the deadline, with each"
		 " subscriber's rationale:\n\n");
	md_delays(r, d, nd);
}

static int render_full(struct rep *r, enum wr_report_format fmt, json_t *j, bool *big)
{
	struct numbers n;
	struct delay *d;
	size_t nd;
	struct wr_metrics m;
	int rc;

	if ((rc = numbers_get(r->db, r->now, &n)) || (rc = wr_metrics_get(r->db, &m)) ||
	    (rc = delays_get(r->db, r->now, &d, &nd)))
		return rc;
	struct timeline tl = {r, NULL, m.revocation_complete, 0};
	*big = n.c.affected >= WR_REPORT_CRTSH_AT;
	if (fmt == WR_REPORT_JSON) {
		json_t *imp = json_pack(
		    "{s:I, s:o, s:I, s:I, s:I, s:I}", "affected", (json_int_t)n.c.affected,
		    "active_total",
		    r->st.active_total ? json_integer(r->st.active_total) : json_null(),
		    "remaining_valid", (json_int_t)n.not_revoked, "revoked", (json_int_t)n.revoked,
		    "expired", (json_int_t)n.expired, "delayed", (json_int_t)n.c.held);
		json_object_set_new(imp, "delays", delays_json(d, nd));
		json_object_set_new(j, "impact", imp);
		tl.arr = json_array();
		if (!(rc = wr_event_foreach(r->db, 0, false, NULL, tl_event, &tl)))
			tl_complete(&tl, 0);
		json_object_set_new(j, "timeline", tl.arr);
		if (rc || (rc = md_findings(r, "related", j, "related_incidents", NULL)) ||
		    (rc = md_findings(r, "root-cause", j, "root_causes", NULL)) ||
		    (rc = lessons_learned(r, j, "Lessons Learned", NULL)))
			goto out;
		struct actions as = {r, json_array(), 0};
		rc = wr_action_foreach(r->db, action_cb, &as);
		json_object_set_new(j, "action_items", as.arr);
		json_object_set_new(j, "appendix",
				    json_pack("{s:s, s:I}", "format", *big ? "crt.sh" : "csv",
					      "certificates", (json_int_t)n.c.affected));
		goto out;
	}
	md_exercise(r);
	puts_(r, "## Full Incident Report\n\n");
	md_summary(r, &n);
	md_impact(r, &n, d, nd);
	puts_(r, "### Timeline\n\nAll times are UTC.\n\n");
	if ((rc = wr_event_foreach(r->db, 0, false, NULL, tl_event, &tl)))
		goto out;
	tl_complete(&tl, 0);
	puts_(r, tl.lines ? "\n" : "N/A\n\n");
	puts_(r, "### Related Incidents\n\n");
	if ((rc = md_findings(r, "related", NULL, NULL, NULL)))
		goto out;
	puts_(r, "### Root Cause Analysis\n\n");
	if ((rc = md_findings(r, "root-cause", NULL, NULL, NULL)))
		goto out;
	if ((rc = lessons_learned(r, NULL, "Lessons Learned", NULL)))
		goto out;
	puts_(r, "### Action Items\n\n");
	struct actions as = {r, NULL, 0};
	if ((rc = wr_action_foreach(r->db, action_cb, &as)))
		goto out;
	puts_(r, as.n ? "\n" : "N/A\n\n");
	puts_(r, "### Appendix\n\n");
	if (!n.c.affected) {
		puts_(r, "N/A\n");
	} else if (*big) {
		char g[32], f1[64], fn[64], *csv = NULL, **cp = NULL;
		size_t ncp = 0;
		/* `report post` attaches it (bugzilla.c), in the parts of
		 * [bugzilla] attachment_max; by hand, the file `report full
		 * --appendix` writes. */
		if ((rc = wr_report_appendix_csv(r->db, &csv, NULL)))
			goto out;
		if (wr_bugzilla_csv_split(csv, wr_bugzilla_attachment_max(wr_db_config(r->db)), &cp,
					  &ncp))
			r->oom = true;
		wr_bugzilla_split_free(cp, ncp);
		free(csv);
		wr_bugzilla_appendix_name(1, (int)ncp, f1, sizeof f1);
		wr_bugzilla_appendix_name((int)ncp, (int)ncp, fn, sizeof fn);
		putf(r, "%s certificates: each one on crt.sh by its SHA-256. The CSV of every"
			" certificate is attached to the bug ", grouped(n.c.affected, g));
		if (ncp > 1)
			putf(r, "in %zu parts, `%s` to `%s`.\n\n", ncp, f1, fn);
		else
			putf(r, "as `%s`.\n\n", f1);
		rc = appendix_rows(r, true);
	} else {
		puts_(r, "```csv\n");
		csv_header(r);
		if (!(rc = appendix_rows(r, false)))
			puts_(r, "```\n");
	}
out:
	delays_free(d, nd);
	return rc;
}

/* ---- the post-mortem ----------------------------------------------------- */

struct pm_tasks {
	struct rep *r;
	json_t *arr;
	size_t n, late, open;
};

static int pm_task(const struct wr_task *k, void *arg)
{
	struct pm_tasks *pt = arg;
	struct rep *r = pt->r;
	char t1[WR_TIME_BUFSZ], t2[WR_TIME_BUFSZ], t3[WR_TIME_BUFSZ];
	int64_t late = -1;

	if (k->done_at && k->due && k->done_at > k->due)
		late = k->done_at - k->due;
	else if (!k->done_at && k->due && r->now > k->due)
		late = r->now - k->due;
	pt->n++;
	pt->late += late > 0;
	pt->open += !k->done_at;
	if (pt->arr) {
		json_array_append_new(
		    pt->arr,
		    json_pack("{s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)k->id,
			      "phase", wr_phase_name(k->phase), "title", jstr_(k->title), "due",
			      jtime_(k->due), "done_at", jtime_(k->done_at), "done_by",
			      jstr_(k->done_by), "owner", jstr_(k->owner), "late_seconds",
			      late > 0 ? json_integer(late) : json_null()));
		return 0;
	}
	if (pt->n == 1)
		puts_(r, "| Task | Phase | Due (UTC) | Done (UTC) | Late by | Who |\n"
			 "|---|---|---|---|---|---|\n");
	puts_(r, "| ");
	put_md(r, k->title);
	putf(r, " | %d | %s | %s | ", k->phase, k->due ? utc(k->due, t1) : "N/A",
	     k->done_at ? utc(k->done_at, t2) : "not done");
	if (late > 0)
		putf(r, "%s%s", dur(late, t3), k->done_at ? "" : " (open)");
	else
		puts_(r, k->due ? "on time" : "N/A");
	/* Who did it: who ticked it. A task not done was done by nobody:
	 * its owner is who should have. */
	puts_(r, " | ");
	if (k->done_at) {
		put_md(r, k->done_by);
	} else if (k->owner && *k->owner) {
		puts_(r, "not done (owner ");
		put_md(r, k->owner);
		puts_(r, ")");
	} else {
		puts_(r, "not done");
	}
	puts_(r, " |\n");
	return 0;
}

static void md_metrics(struct rep *r, const struct wr_metrics *m)
{
	char t[WR_TIME_BUFSZ], u[WR_TIME_BUFSZ];

	char v[WR_TIME_BUFSZ];
	putf(r, "- **Time to declare**: %s (discovered %s, declared %s)\n", dur(m->to_declare, t),
	     utc(m->discovered, u), m->declared ? utc(m->declared, v) : "not yet");
	putf(r, "- **Time to first customer notice**: %s", dur(m->to_first_notice, t));
	putf(r, m->first_notice ? " (%s)\n" : "%s\n",
	     m->first_notice ? utc(m->first_notice, u) : " (no notice sent)");
	putf(r, "- **Time to revocation complete**: %s", dur(m->to_revocation_complete, t));
	if (m->revocation_complete)
		putf(r, " (%s)\n", utc(m->revocation_complete, u));
	else {
		char g[32];
		putf(r, " (%s certificates still to revoke)\n", grouped(m->remaining, g));
	}
	if (!m->deadline) {
		puts_(r, "- **Deadline**: N/A (not declared)\n");
		return;
	}
	putf(r, "- **Deadline**: %s: ", utc(m->deadline, u));
	if (!m->deadline_known)
		putf(r, "not decided yet (%s left)\n", dur(m->deadline_margin, t));
	else if (m->deadline_met)
		putf(r, "met, %s ahead\n", dur(m->deadline_margin, t));
	else
		putf(r, "missed by %s%s\n", dur(-m->deadline_margin, t),
		     m->revocation_complete ? "" : " so far");
}

static int render_postmortem(struct rep *r, enum wr_report_format fmt, json_t *j)
{
	struct wr_metrics m;
	struct wr_team *teams = NULL;
	size_t nteams = 0;
	int rc;

	if ((rc = wr_metrics_get(r->db, &m)) || (rc = wr_team_list(r->db, &teams, &nteams)))
		return rc;
	json_t *ta = NULL;
	if (fmt == WR_REPORT_JSON) {
		ta = json_array();
		json_object_set_new(j, "teams", ta);
	} else {
		md_exercise(r);
		puts_(r, "## Post-Mortem\n\n");
		puts_(r, "### Overall\n\n");
		md_metrics(r, &m);
		puts_(r, "\n");
	}
	for (size_t i = 0; i < nteams && !rc; i++) {
		struct wr_task_filter f = {.team = teams[i].id, .max_phase = -1};
		struct pm_tasks pt = {r, NULL, 0, 0, 0};
		json_t *tj = NULL;
		if (ta) {
			pt.arr = json_array();
			tj = json_pack("{s:o, s:o, s:o}", "id", jstr_(teams[i].id), "name",
				       jstr_(teams[i].name), "tasks", pt.arr);
			json_array_append_new(ta, tj);
		} else {
			puts_(r, "### ");
			put_md(r, teams[i].name);
			puts_(r, "\n\n");
		}
		if ((rc = wr_task_foreach(r->db, &f, pm_task, &pt)))
			break;
		if (!ta)
			putf(r, pt.n ? "\n%zu of %zu tasks late, %zu not done.\n\n" : "N/A\n\n",
			     pt.late, pt.n, pt.open);
		rc = team_lessons(r, tj, teams[i].id);
	}
	free(teams);
	if (rc)
		return rc;
	if (ta) {
		json_t *o = json_object();
		json_object_set_new(o, "discovered", jtime_(m.discovered));
		json_object_set_new(o, "declared", jtime_(m.declared));
		json_object_set_new(o, "first_notice", jtime_(m.first_notice));
		json_object_set_new(o, "revocation_complete", jtime_(m.revocation_complete));
		json_object_set_new(o, "deadline", jtime_(m.deadline));
		json_object_set_new(o, "seconds_to_declare",
				    m.to_declare < 0 ? json_null() : json_integer(m.to_declare));
		json_object_set_new(o, "seconds_to_first_notice",
				    m.to_first_notice < 0 ? json_null()
							  : json_integer(m.to_first_notice));
		json_object_set_new(o, "seconds_to_revocation_complete",
				    m.to_revocation_complete < 0
					? json_null()
					: json_integer(m.to_revocation_complete));
		json_object_set_new(o, "deadline_met",
				    m.deadline_known ? json_boolean(m.deadline_met) : json_null());
		json_object_set_new(o, "deadline_margin_seconds",
				    m.deadline ? json_integer(m.deadline_margin) : json_null());
		json_object_set_new(o, "remaining", json_integer(m.remaining));
		json_object_set_new(j, "overall", o);
	}
	/* The lessons no team's own: the incident's as a whole. */
	struct fsel overall = {true, NULL};
	return lessons_learned(r, j, "Lessons Learned: overall", &overall);
}

/* ---- the audit chain's head ---------------------------------------------- */

/* The chain as the report is written: the function `audit verify`,
 * `audit anchor` and the exercise report use. A broken chain is said,
 * not an error: the report is still wanted, and must not hide it. */
static int audit_get(struct rep *r)
{
	int rc = wr_audit_verify(r->db, NULL, &r->audit);

	if (rc && rc != WR_ECORRUPT)
		return rc;
	r->chain_ok = rc == 0;
	if (rc)
		snprintf(r->chain_error, sizeof r->chain_error, "%s", wr_db_errmsg(r->db));
	wr_hex(r->audit.head, 32, r->head);
	return 0;
}

/* Where the closing paragraph begins; wr_report_audit_at finds it. */
#define AUDIT_MARK "\n---\n\nAudit chain: "

static void md_audit(struct rep *r)
{
	long long n = (long long)r->audit.count;

	/* After a blank line (a rule right under a line of text would make
	 * it a heading); the mark's own newline makes one when needed. */
	bool blank = r->b.len >= 2 && memcmp(r->b.p + r->b.len - 2, "\n\n", 2) == 0;
	puts_(r, &AUDIT_MARK[blank ? 1 : 0]);
	putf(r, "%lld %s, head `%lld:%s` as this report was written", n,
	     n == 1 ? "event" : "events", n, r->head);
	if (!r->chain_ok) {
		puts_(r, "; THE CHAIN DOES NOT HOLD: ");
		put_md(r, r->chain_error);
	}
	putf(r, ". `warroom audit verify --head %lld:%s` on the incident's database proves it"
		" still holds them.\n",
	     n, r->head);
}

static json_t *audit_json(const struct rep *r)
{
	char anchor[96];

	snprintf(anchor, sizeof anchor, "%lld:%s", (long long)r->audit.count, r->head);
	json_t *o = json_pack("{s:I, s:s, s:s, s:b}", "events", (json_int_t)r->audit.count, "head",
			      r->head, "anchor", anchor, "chain_ok", r->chain_ok);
	if (!r->chain_ok)
		json_object_set_new(o, "chain_error", jstr_(r->chain_error));
	return o;
}

size_t wr_report_audit_at(const char *md, size_t len)
{
	static const char mark[] = AUDIT_MARK;
	size_t ml = sizeof mark - 1;

	/* The last one: it closes the report, whatever came before. */
	for (size_t i = len >= ml ? len - ml + 1 : 0; i-- > 0;)
		if (memcmp(md + i, mark, ml) == 0)
			return i;
	return len;
}

/* ---- entry --------------------------------------------------------------- */

static json_t *summary_json(struct rep *r, const struct numbers *n)
{
	const struct wr_status *s = &r->st;
	const struct wr_reason *rs = wr_reason_find(s->reason);
	json_t *o = json_object();

	json_object_set_new(o, "ccadb_id",
			    jstr_(wr_config_get(wr_db_config(r->db), "report", "ccadb_id")));
	json_object_set_new(o, "incident", jstr_(s->name));
	json_object_set_new(o, "reason", rs ? json_string(rs->code) : json_null());
	json_object_set_new(o, "br_section", rs ? json_string(rs->section) : json_null());
	json_object_set_new(o, "crl_reason",
			    rs ? json_string(wr_crl_reason_name(s->crl_reason)) : json_null());
	json_object_set_new(o, "discovered", jtime_(s->discovered));
	json_object_set_new(o, "declared", jtime_(s->declared));
	json_object_set_new(o, "deadline", jtime_(s->deadline));
	json_object_set_new(o, "revocation_completed",
			    n->complete ? jtime_(n->estimate) : json_null());
	json_object_set_new(o, "affected", json_integer(n->c.affected));
	json_object_set_new(o, "delayed", json_integer(n->c.held));
	json_object_set_new(o, "source", json_string(source_text(r->db)));
	return o;
}

int wr_report_render(struct wr_db *db, enum wr_report_kind kind, enum wr_report_format fmt,
		     char **out, size_t *len)
{
	struct rep r;
	json_t *j = NULL;
	bool big = false;
	int rc;

	*out = NULL;
	if (len)
		*len = 0;
	if ((unsigned)kind > WR_REPORT_POSTMORTEM)
		return wr_err(db, WR_EINVAL, "no such report kind");
	if ((rc = rep_begin(db, &r)) || (rc = audit_get(&r)))
		return rep_end(&r, rc, out, len);
	if (fmt == WR_REPORT_JSON) {
		j = json_object();
		/* First, so that the first line says it (the output is one line). */
		if (wr_exercise_active(db))
			json_object_set_new(j, "exercise",
					    json_string("EXERCISE: a tabletop exercise, not a real"
							" incident"));
		json_object_set_new(j, "kind", json_string(wr_report_kind_name(kind)));
		json_object_set_new(j, "as_of", jtime_(r.now));
		json_object_set_new(j, "audit", audit_json(&r));
		if (kind == WR_REPORT_PRELIMINARY || kind == WR_REPORT_FULL) {
			char *title = NULL;
			struct numbers n;
			/* No title without [bugzilla] ca_owner: that is no error here. */
			if (wr_report_title(db, &title) == 0)
				json_object_set_new(j, "title", jstr_(title));
			else
				json_object_set_new(j, "title", json_null());
			free(title);
			if ((rc = numbers_get(db, r.now, &n)))
				goto out;
			json_object_set_new(j, "summary", summary_json(&r, &n));
		}
	}
	switch (kind) {
	case WR_REPORT_PRELIMINARY: rc = render_preliminary(&r, fmt, j); break;
	case WR_REPORT_UPDATE: rc = render_update(&r, fmt, j); break;
	case WR_REPORT_FULL: rc = render_full(&r, fmt, j, &big); break;
	case WR_REPORT_POSTMORTEM: rc = render_postmortem(&r, fmt, j); break;
	}
	if (!rc && !j)
		md_audit(&r);
	if (!rc && j) {
		char *s = json_dumps(j, JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
		if (!s)
			r.oom = true;
		else {
			puts_(&r, s);
			puts_(&r, "\n");
			free(s);
		}
	}
out:
	json_decref(j);
	return rep_end(&r, rc, out, len);
}
