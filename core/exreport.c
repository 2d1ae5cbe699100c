/*
 * exreport.c: the evidence an assessor reads after a tabletop exercise
 * (`warroom exercise report`): the plan tested, the scenario, who took
 * part, the timeline (every event in words at its simulated time, the
 * injects marked; core/event-text.c's sentences), its measures, each task
 * against its due time, the injects with their scores, findings, how the
 * plan changed since the previous exercise, a map to what BR 5.7.1.2 asks
 * a plan and its tests to cover, and the audit chain's head so that an
 * edited database or report shows.
 *
 * One pass writes Markdown or HTML from the same calls; the HTML is one
 * self-contained file (no script, no external resource) with inline SVG
 * charts and print styles. Every text that came from a person, a plan, a
 * scenario or a certificate goes through wr_esc_md / wr_esc_html.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct xr {
	struct wr_db *db;
	bool html;
	struct wr_buf b;
	bool oom;
	int cols; /* of the open table */
	int cell; /* cells written in the open row */
};

static void put(struct xr *x, const char *s)
{
	if (!x->oom && !wr_buf_put(&x->b, s, strlen(s)))
		x->oom = true;
}

__attribute__((format(printf, 2, 3))) static void putf(struct xr *x, const char *fmt, ...)
{
	char *p = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0) {
		x->oom = true;
		return;
	}
	put(x, p);
	free(p);
}

/* Untrusted text, escaped for the format. */
static void put_u(struct xr *x, const char *s)
{
	char *e = x->html ? wr_esc_html(s ? s : "") : wr_esc_md(s ? s : "");
	if (!e) {
		x->oom = true;
		return;
	}
	put(x, e);
	free(e);
}

static void heading(struct xr *x, int level, const char *text)
{
	if (x->html)
		putf(x, "<h%d>%s</h%d>\n", level, text, level);
	else
		putf(x, "\n%.*s %s\n\n", level, "######", text);
}

/* A paragraph of trusted text (the caller's own words). */
static void para(struct xr *x, const char *text)
{
	if (x->html)
		putf(x, "<p>%s</p>\n", text);
	else
		putf(x, "%s\n\n", text);
}

static void table(struct xr *x, int cols, const char *const *head)
{
	x->cols = cols;
	x->cell = -1;
	if (x->html) {
		put(x, "<table>\n<thead><tr>");
		for (int i = 0; i < cols; i++)
			putf(x, "<th>%s</th>", head[i]);
		put(x, "</tr></thead>\n<tbody>\n");
	} else {
		put(x, "|");
		for (int i = 0; i < cols; i++)
			putf(x, " %s |", head[i]);
		put(x, "\n|");
		for (int i = 0; i < cols; i++)
			put(x, " --- |");
		put(x, "\n");
	}
}

static void row(struct xr *x)
{
	x->cell = 0;
	put(x, x->html ? "<tr>" : "|");
}

/* A row set apart (an inject's): a class the HTML styles; Markdown has none. */
static void row_class(struct xr *x, const char *cls)
{
	x->cell = 0;
	if (x->html && cls)
		putf(x, "<tr class=\"%s\">", cls);
	else
		put(x, x->html ? "<tr>" : "|");
}

static void cell_begin(struct xr *x)
{
	if (x->html)
		put(x, "<td>");
	else
		put(x, " ");
}

static void cell_end(struct xr *x)
{
	put(x, x->html ? "</td>" : " |");
	if (++x->cell == x->cols)
		put(x, x->html ? "</tr>\n" : "\n");
}

/* A cell of trusted text (numbers, times, our own words). */
static void cell(struct xr *x, const char *s)
{
	cell_begin(x);
	put(x, s && *s ? s : "N/A");
	cell_end(x);
}

__attribute__((format(printf, 2, 3))) static void cellf(struct xr *x, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	cell(x, buf);
}

/* A cell of untrusted text. Markdown table cells also lose their line
 * breaks (wr_esc_md makes them visible escapes already). */
static void cell_u(struct xr *x, const char *s)
{
	cell_begin(x);
	if (s && *s)
		put_u(x, s);
	else
		put(x, "N/A");
	cell_end(x);
}

static void table_end(struct xr *x)
{
	put(x, x->html ? "</tbody>\n</table>\n" : "\n");
}

static const char *fmt_time(int64_t t, char buf[WR_TIME_BUFSZ])
{
	return t ? wr_time_format(t, buf) : "";
}

/* "1d 02h 03m", "-4h 05m" (negative: before). */
static const char *fmt_span(int64_t s, char *buf, size_t n)
{
	const char *sign = s < 0 ? "-" : "";
	int64_t a = s < 0 ? -s : s;
	int64_t d = a / 86400, h = a % 86400 / 3600, m = a % 3600 / 60;

	if (d)
		snprintf(buf, n, "%s%" PRId64 "d %02" PRId64 "h %02" PRId64 "m", sign, d, h, m);
	else if (h)
		snprintf(buf, n, "%s%" PRId64 "h %02" PRId64 "m", sign, h, m);
	else
		snprintf(buf, n, "%s%" PRId64 "m %02" PRId64 "s", sign, m, a % 60);
	return buf;
}

/* ---- the exercise row ---------------------------------------------------- */
struct ex {
	char scenario[128], title[256], sha[65];
	int64_t sim_start, real_start, ended_at;
	double speed;
	bool paused;
};

static int ex_get(struct wr_db *db, struct ex *e)
{
	sqlite3_stmt *st;
	int rc;

	memset(e, 0, sizeof *e);
	if ((rc = wr_prepare(db,
			     "SELECT scenario, title, scenario_sha256, sim_start, real_start,"
			     " ended_at, speed, paused FROM exercise",
			     &st)))
		return rc;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return wr_err(db, WR_EINVAL,
			      "%s: not an exercise database (`warroom exercise start` makes one)",
			      wr_db_path(db));
	}
	snprintf(e->scenario, sizeof e->scenario, "%s", wr_col_text(st, 0));
	snprintf(e->title, sizeof e->title, "%s", wr_col_text(st, 1));
	snprintf(e->sha, sizeof e->sha, "%s", wr_col_text(st, 2));
	e->sim_start = wr_col_i64(st, 3);
	e->real_start = wr_col_i64(st, 4);
	e->ended_at = wr_col_i64(st, 5);
	e->speed = sqlite3_column_double(st, 6);
	e->paused = wr_col_i64(st, 7) != 0;
	sqlite3_finalize(st);
	return 0;
}

/* ---- measures ------------------------------------------------------------ */
static int64_t q_int(struct wr_db *db, const char *sql)
{
	int64_t v = 0;

	if (wr_query_int(db, sql, &v))
		return 0;
	return v;
}

/* When every customer with affected certificates had been sent a notice
 * (0: not yet, or none). */
static int64_t all_notified_at(struct wr_db *db)
{
	int64_t missing = q_int(db, "SELECT count(*) FROM (SELECT DISTINCT customer FROM cert"
				    " WHERE customer IS NOT NULL) c WHERE NOT EXISTS (SELECT 1"
				    " FROM message m WHERE m.customer = c.customer AND"
				    " m.state = 'sent' AND m.template <> 'contact-test')");
	if (missing)
		return 0;
	return q_int(db, "SELECT max(t) FROM (SELECT min(sent_at) t FROM message WHERE"
			 " state = 'sent' AND template <> 'contact-test' GROUP BY customer)");
}

static int measures(struct xr *x, const struct wr_status *s, int64_t now)
{
	static const char *const head[] = {"Measure", "When (UTC)", "After discovery"};
	struct wr_metrics mt;
	char t[WR_TIME_BUFSZ], sp[48];
	int rc;

	if ((rc = wr_metrics_get(x->db, &mt)))
		return rc;
	const struct {
		const char *what;
		int64_t at;
		const char *none;
	} m[] = {
		{"Discovered", mt.discovered, "not recorded"},
		{"Declared a mass revocation event", mt.declared, "not reached"},
		{"First customer notice sent", mt.first_notice, "not reached"},
		{"Every customer notified", all_notified_at(x->db), "not reached"},
		{"First certificate revoked", q_int(x->db, "SELECT min(revoked_at) FROM cert"),
		 "not reached"},
		{"Revocation complete", mt.revocation_complete, "not reached"},
		{"Revocation deadline", mt.deadline, "not set"},
	};

	heading(x, 2, "Measures");
	table(x, 3, head);
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
		row(x);
		cell(x, m[i].what);
		cell(x, m[i].at ? fmt_time(m[i].at, t) : m[i].none);
		cell(x, m[i].at && mt.discovered ? fmt_span(m[i].at - mt.discovered, sp, sizeof sp)
						 : "");
	}
	table_end(x);
	char buf[256];
	if (!mt.deadline)
		snprintf(buf, sizeof buf, "No deadline: the event was never declared.");
	else if (mt.deadline_known)
		snprintf(buf, sizeof buf, "Deadline %s by %s%s.", mt.deadline_met ? "met" : "missed",
			 fmt_span(mt.deadline_margin < 0 ? -mt.deadline_margin : mt.deadline_margin,
				  sp, sizeof sp),
			 mt.remaining ? " so far, with certificates still to revoke" : "");
	else
		snprintf(buf, sizeof buf,
			 "Revocation not complete: %" PRId64 " certificates pending, %" PRId64
			 " delayed at %s; the deadline is still ahead.",
			 s->counts.pending, s->counts.held, fmt_time(now, t));
	para(x, buf);
	return 0;
}

/* ---- charts (HTML only) ---------------------------------------------------- */
#define CW 640
#define CH 220
#define PL 60 /* plot area: left, right, top, bottom margins */
#define PR 20
#define PT 20
#define PB 40

static double sx(int64_t t, int64_t t0, int64_t t1)
{
	return PL + (double)(t - t0) * (CW - PL - PR) / (double)(t1 - t0);
}

static double sy(double v, double vmax)
{
	return CH - PB - (vmax > 0 ? v / vmax : 0) * (CH - PT - PB);
}

static void svg_begin(struct xr *x, const char *label)
{
	putf(x,
	     "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\""
	     " width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s\">\n",
	     CW, CH, CW, CH, label);
	putf(x,
	     "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>"
	     "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>\n",
	     PL, PT, PL, CH - PB, PL, CH - PB, CW - PR, CH - PB);
}

static void svg_axes(struct xr *x, int64_t t0, int64_t t1, double vmax)
{
	char a[WR_TIME_BUFSZ], b[WR_TIME_BUFSZ];

	putf(x, "<text x=\"%d\" y=\"%d\" class=\"lbl\">%s</text>", PL, CH - PB + 16,
	     wr_time_format(t0, a));
	putf(x, "<text x=\"%d\" y=\"%d\" class=\"lbl\" text-anchor=\"end\">%s</text>\n", CW - PR,
	     CH - PB + 16, wr_time_format(t1, b));
	putf(x, "<text x=\"%d\" y=\"%d\" class=\"lbl\" text-anchor=\"end\">%.0f</text>", PL - 4,
	     PT + 4, vmax);
	putf(x, "<text x=\"%d\" y=\"%d\" class=\"lbl\" text-anchor=\"end\">0</text>\n", PL - 4,
	     CH - PB);
}

static void svg_end(struct xr *x, const char *caption)
{
	putf(x, "</svg><figcaption>%s</figcaption></figure>\n", caption);
}

/* Still to revoke over time, against the deadline line. */
static void chart_burndown(struct xr *x, const struct wr_status *s, int64_t now)
{
	enum { N = 120 };
	int64_t pend[N], t0 = s->discovered ? s->discovered : s->declared;
	int64_t t1 = s->deadline > now ? s->deadline : now;
	double vmax = 0;

	if (!t0 || t1 <= t0 || !s->counts.affected)
		return;
	if (wr_burndown(x->db, t0, t1, N, pend))
		return;
	for (int i = 0; i < N; i++)
		if (pend[i] > vmax)
			vmax = (double)pend[i];
	if (vmax <= 0)
		vmax = 1;
	svg_begin(x, "Certificates still to revoke against the deadline");
	svg_axes(x, t0, t1, vmax);
	put(x, "<polyline class=\"s1\" points=\"");
	for (int i = 0; i < N && pend[i] >= 0; i++)
		putf(x, "%.1f,%.1f ", sx(t0 + (t1 - t0) * i / (N - 1), t0, t1),
		     sy((double)pend[i], vmax));
	put(x, "\"/>\n");
	if (s->deadline) {
		double dx = sx(s->deadline, t0, t1);
		putf(x,
		     "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"deadline\"/>"
		     "<text x=\"%.1f\" y=\"%d\" class=\"lbl\" text-anchor=\"end\">deadline</text>\n",
		     dx, PT, dx, CH - PB, dx - 3, PT + 10);
	}
	svg_end(x, "Burn-down: certificates neither revoked nor expired, with the deadline.");
}

/* A cumulative step curve of the instants a query returns, in order. */
static int curve(struct xr *x, const char *sql, const char *cls, int64_t t0, int64_t t1,
		 double vmax)
{
	sqlite3_stmt *st;
	double n = 0, px = PL;
	int rc;

	if ((rc = wr_prepare(x->db, sql, &st)))
		return rc;
	putf(x, "<polyline class=\"%s\" points=\"%d,%.1f ", cls, PL, sy(0, vmax));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t t = sqlite3_column_int64(st, 0);
		if (t < t0)
			t = t0;
		if (t > t1)
			t = t1;
		px = sx(t, t0, t1);
		putf(x, "%.1f,%.1f ", px, sy(n, vmax));
		n++;
		putf(x, "%.1f,%.1f ", px, sy(n, vmax));
	}
	sqlite3_finalize(st);
	putf(x, "%.1f,%.1f\"/>\n", sx(t1, t0, t1), sy(n, vmax));
	return rc == SQLITE_DONE ? 0 : wr_err_sq(x->db, "reading a curve");
}

static void chart_outreach(struct xr *x, const struct wr_status *s, int64_t now)
{
	int64_t t0 = s->discovered ? s->discovered : s->declared;
	int64_t t1 = s->deadline > now ? s->deadline : now;
	int64_t customers = q_int(x->db, "SELECT count(DISTINCT customer) FROM cert");
	int64_t certs = s->counts.affected;
	double vmax = (double)(certs > customers ? certs : customers);

	if (!t0 || t1 <= t0 || vmax <= 0)
		return;
	svg_begin(x, "Customers notified and certificates replaced over time");
	svg_axes(x, t0, t1, vmax);
	curve(x,
	      "SELECT min(sent_at) t FROM message WHERE state = 'sent' AND template <>"
	      " 'contact-test' GROUP BY customer ORDER BY t",
	      "s1", t0, t1, vmax);
	curve(x, "SELECT linked_at FROM replacement ORDER BY linked_at", "s2", t0, t1, vmax);
	curve(x,
	      "SELECT replaced_at FROM cert WHERE replaced_at IS NOT NULL ORDER BY replaced_at",
	      "s3", t0, t1, vmax);
	svg_end(x, "<span class=\"k1\">&#9632;</span> customers notified, "
		   "<span class=\"k2\">&#9632;</span> replacements issued, "
		   "<span class=\"k3\">&#9632;</span> certificates replaced (deployed).");
}

/* ---- tasks ----------------------------------------------------------------- */
struct team_tally {
	char id[48], name[96];
	int tasks, on_time, late, open_overdue, open;
	int64_t worst;
};

struct task_walk {
	struct xr *x;
	struct team_tally *t;
	size_t n;
	int64_t now;
	bool listing; /* second pass: the late and overdue ones */
};

static int task_cb(const struct wr_task *k, void *ctx)
{
	struct task_walk *w = ctx;
	struct team_tally *tt = NULL;
	char a[WR_TIME_BUFSZ], b[WR_TIME_BUFSZ], sp[48];

	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->t[i].id, k->team) == 0)
			tt = &w->t[i];
	if (!tt)
		return 0;
	int64_t late = 0;
	if (k->due && k->done_at && k->done_at > k->due)
		late = k->done_at - k->due;
	else if (k->due && !k->done_at && w->now > k->due)
		late = w->now - k->due;
	if (w->listing) {
		if (!late)
			return 0;
		row(w->x);
		cell_u(w->x, tt->name);
		cell_u(w->x, k->title);
		cell(w->x, fmt_time(k->due, a));
		cell(w->x, k->done_at ? fmt_time(k->done_at, b) : "not done");
		cell(w->x, fmt_span(late, sp, sizeof sp));
		cell_u(w->x, k->done_by ? k->done_by : k->owner);
		return 0;
	}
	tt->tasks++;
	if (!k->done_at)
		tt->open++;
	if (k->done_at && !late)
		tt->on_time++;
	else if (k->done_at)
		tt->late++;
	else if (late)
		tt->open_overdue++;
	if (late > tt->worst)
		tt->worst = late;
	return 0;
}

static int tasks(struct xr *x, int64_t now, struct team_tally **out, size_t *nout)
{
	static const char *const head[] = {"Team", "Tasks", "Done on time", "Done late",
					   "Open, overdue", "Open", "Worst lateness"};
	static const char *const lhead[] = {"Team", "Task", "Due", "Done", "Late by", "Who"};
	struct wr_team *teams = NULL;
	size_t n = 0;
	struct wr_task_filter f = {.max_phase = -1};
	char sp[48];
	int rc;

	if ((rc = wr_team_list(x->db, &teams, &n)))
		return rc;
	struct team_tally *t = calloc(n ? n : 1, sizeof *t);
	if (!t) {
		free(teams);
		return wr_err(x->db, WR_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(t[i].id, sizeof t[i].id, "%s", teams[i].id);
		snprintf(t[i].name, sizeof t[i].name, "%s", teams[i].name);
	}
	free(teams);
	struct task_walk w = {x, t, n, now, false};
	if ((rc = wr_task_foreach(x->db, &f, task_cb, &w))) {
		free(t);
		return rc;
	}
	heading(x, 2, "Tasks against their due times");
	table(x, 7, head);
	for (size_t i = 0; i < n; i++) {
		row(x);
		cell_u(x, t[i].name);
		cellf(x, "%d", t[i].tasks);
		cellf(x, "%d", t[i].on_time);
		cellf(x, "%d", t[i].late);
		cellf(x, "%d", t[i].open_overdue);
		cellf(x, "%d", t[i].open);
		cell(x, t[i].worst ? fmt_span(t[i].worst, sp, sizeof sp) : "none");
	}
	table_end(x);
	int any_late = 0;
	for (size_t i = 0; i < n; i++)
		any_late += t[i].late + t[i].open_overdue;
	if (any_late) {
		heading(x, 3, "Late or overdue tasks");
		table(x, 6, lhead);
		w.listing = true;
		if ((rc = wr_task_foreach(x->db, &f, task_cb, &w))) {
			free(t);
			return rc;
		}
		table_end(x);
	} else {
		para(x, "No task was late.");
	}
	*out = t;
	*nout = n;
	return 0;
}

static void chart_lateness(struct xr *x, const struct team_tally *t, size_t n)
{
	int vmax = 1;
	const int bar = 18, gap = 8, left = 170, width = CW - left - PR;
	int h = PT + (int)n * (bar + gap) + 20;

	for (size_t i = 0; i < n; i++)
		if (t[i].tasks > vmax)
			vmax = t[i].tasks;
	putf(x,
	     "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\""
	     " height=\"%d\" role=\"img\" aria-label=\"Task lateness per team\">\n",
	     CW, h, CW, h);
	for (size_t i = 0; i < n; i++) {
		int y = PT + (int)i * (bar + gap);
		double u = (double)width / vmax, px = left;
		putf(x, "<text x=\"%d\" y=\"%d\" class=\"lbl\" text-anchor=\"end\">", left - 6,
		     y + bar - 5);
		put_u(x, t[i].name);
		put(x, "</text>");
		const struct {
			int v;
			const char *cls;
		} seg[] = {{t[i].on_time, "ok"},
			   {t[i].late, "late"},
			   {t[i].open_overdue, "miss"},
			   {t[i].open - t[i].open_overdue, "open"}};
		for (size_t k = 0; k < 4; k++) {
			if (seg[k].v <= 0)
				continue;
			putf(x, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" class=\"%s\"/>",
			     px, y, seg[k].v * u, bar, seg[k].cls);
			px += seg[k].v * u;
		}
		put(x, "\n");
	}
	svg_end(x, "Tasks per team: <span class=\"kok\">&#9632;</span> done on time, "
		   "<span class=\"klate\">&#9632;</span> done late, "
		   "<span class=\"kmiss\">&#9632;</span> open and overdue, "
		   "<span class=\"kopen\">&#9632;</span> open.");
}

/* ---- participants ---------------------------------------------------------- */
static int participants(struct xr *x)
{
	static const char *const head[] = {"Participant", "Role (teams)", "Actions recorded",
					   "First", "Last"};
	const struct wr_config *cfg = wr_policy_cfg(x->db);
	sqlite3_stmt *st;
	char a[WR_TIME_BUFSZ], b[WR_TIME_BUFSZ];
	int rc;

	if ((rc = wr_prepare(x->db,
			     "SELECT actor, count(*), min(at), max(at) FROM event GROUP BY actor"
			     " ORDER BY min(at), actor",
			     &st)))
		return rc;
	heading(x, 2, "Participants and roles");
	table(x, 5, head);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *who = wr_col_text(st, 0);
		int line = 0;
		const char *teams = cfg ? wr_config_user_teams(cfg, who, &line) : NULL;
		row(x);
		cell_u(x, who);
		if (teams)
			cell_u(x, teams);
		else
			cell(x, cfg && wr_config_has_users(cfg) ? "not in [users]" : "every team");
		cellf(x, "%lld", (long long)sqlite3_column_int64(st, 1));
		cell(x, fmt_time(sqlite3_column_int64(st, 2), a));
		cell(x, fmt_time(sqlite3_column_int64(st, 3), b));
	}
	sqlite3_finalize(st);
	table_end(x);
	return rc == SQLITE_DONE ? 0 : wr_err_sq(x->db, "reading the participants");
}

/* ---- timeline -------------------------------------------------------------- */
/* What the timeline marks besides the participants' own actions: the
 * injects above all (tl_inject_mark), the facilitator's hand on the clock
 * and the scores, the observers' notes, what the scenario set up. */
static const struct {
	const char *action, *mark;
} tl_marks[] = {
	{"inject-fire", "Inject"},	     {"expect-score", "Score"},
	{"observe", "Observation"},	     {"exercise-start", "Clock"},
	{"exercise-pause", "Clock"},	     {"exercise-resume", "Clock"},
	{"exercise-speed", "Clock"},	     {"exercise-end", "Clock"},
	{"scenario-discovered", "Scenario"}, {"population", "Scenario"},
};

struct tl_walk {
	struct xr *x;
	const struct ex *e;
	int n;
};

/* An inject's firing against its schedule: "Inject, due +1h 00m, fired
 * on schedule", "... fired 5m 00s after (when a process noticed)",
 * "... fired early by hand", "Inject, by hand". An inject fires when a
 * warroom process first notices it is due, so a quiet exercise shows. */
static void tl_inject_mark(struct tl_walk *w, const struct wr_event *ev, char *buf, size_t n)
{
	json_t *d = ev->details ? json_loads(ev->details, 0, NULL) : NULL;
	const char *due_s = json_string_value(json_object_get(d, "due"));
	int64_t due = 0;
	char off[48], lag[48];

	if (!due_s || wr_time_parse(due_s, &due)) {
		snprintf(buf, n, "Inject, by hand");
	} else {
		fmt_span(due - w->e->sim_start, off, sizeof off);
		if (ev->at < due)
			snprintf(buf, n, "Inject, due +%s, fired early by hand", off);
		else if (ev->at - due < 60)
			snprintf(buf, n, "Inject, due +%s, fired on schedule", off);
		else
			snprintf(buf, n, "Inject, due +%s, fired %s after%s", off,
				 fmt_span(ev->at - due, lag, sizeof lag),
				 ev->actor && strcmp(ev->actor, "exercise") == 0
				     ? " (when a process noticed)"
				     : ", by hand");
	}
	json_decref(d);
}

static int tl_cb(const struct wr_event *ev, void *arg)
{
	struct tl_walk *w = arg;
	struct xr *x = w->x;
	const char *mark = "";
	bool inject = strcmp(ev->action, "inject-fire") == 0;
	char t[WR_TIME_BUFSZ], sp[48], im[160];

	/* A revocation run's batches are summed up by its revoke event. */
	if (strcmp(ev->action, "revoke-batch") == 0)
		return 0;
	for (size_t i = 0; i < sizeof tl_marks / sizeof tl_marks[0]; i++)
		if (strcmp(ev->action, tl_marks[i].action) == 0)
			mark = tl_marks[i].mark;
	if (inject) {
		tl_inject_mark(w, ev, im, sizeof im);
		mark = im;
	}
	char *s = wr_event_sentence_dup(x->db, ev, 0);
	if (!s)
		return wr_err(x->db, WR_ENOMEM, "out of memory");
	if (!w->n++) {
		static const char *const head[] = {"Simulated time (UTC)", "Since the start",
						   "Mark", "What happened"};
		table(x, 4, head);
	}
	row_class(x, inject ? "inject" : NULL);
	cell(x, fmt_time(ev->at, t));
	cellf(x, "%s%s", ev->at >= w->e->sim_start ? "+" : "",
	      fmt_span(ev->at - w->e->sim_start, sp, sizeof sp));
	/* Our own words: the marks, and an inject's set in bold. */
	cell_begin(x);
	if (inject)
		putf(x, x->html ? "<strong>%s</strong>" : "**%s**", mark);
	else
		put(x, mark);
	cell_end(x);
	cell_u(x, s);
	free(s);
	return 0;
}

/* Every event, in the order recorded, as a sentence at its simulated time:
 * the criteria met when the event was declared, each inject as it fired,
 * what each team did after it. */
static int timeline(struct xr *x, const struct ex *e)
{
	struct tl_walk w = {x, e, 0};
	int rc;

	heading(x, 2, "Timeline");
	para(x, "Every event the exercise database recorded, in order, at the exercise's"
		" simulated time (UTC), counted from its simulated start. Injects are marked"
		" with when they were due and how they fired; a revocation run's batches are"
		" summed up by its revoke event.");
	if ((rc = wr_event_foreach(x->db, 0, false, NULL, tl_cb, &w)))
		return rc;
	if (w.n)
		table_end(x);
	else
		para(x, "N/A: no event was recorded.");
	return 0;
}

/* ---- injects and expectations --------------------------------------------- */
static int injects(struct xr *x, const struct ex *e)
{
	static const char *const ih[] = {"Inject", "Due (offset)", "Fired", "Team", "Message",
					 "Effect"};
	static const char *const eh[] = {"Inject", "Expected", "Within", "Score", "Late by",
					 "Scored by", "Note"};
	sqlite3_stmt *st;
	char a[WR_TIME_BUFSZ], sp[48], sp2[48];
	int rc, n = 0;

	heading(x, 2, "Injects and expectations");
	if ((rc = wr_prepare(x->db,
			     "SELECT id, at_offset, fired_at, team, message, effect, fired_by FROM"
			     " inject ORDER BY coalesce(at_offset, fired_at - ?1), position, id",
			     &st)))
		return rc;
	sqlite3_bind_int64(st, 1, e->sim_start);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!n++)
			table(x, 6, ih);
		row(x);
		cell_u(x, wr_col_text(st, 0));
		cell(x, sqlite3_column_type(st, 1) == SQLITE_NULL
				? "by hand"
				: fmt_span(sqlite3_column_int64(st, 1), sp, sizeof sp));
		cell(x, sqlite3_column_type(st, 2) == SQLITE_NULL
				? "not fired"
				: fmt_time(sqlite3_column_int64(st, 2), a));
		cell_u(x, wr_col_text(st, 3) ? wr_col_text(st, 3) : "all");
		cell_u(x, wr_col_text(st, 4));
		cell_u(x, wr_col_text(st, 5) ? wr_col_text(st, 5) : "none");
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return wr_err_sq(x->db, "reading the injects");
	if (n)
		table_end(x);
	else
		para(x, "N/A: the scenario had no injects and none was fired by hand.");

	if ((rc = wr_prepare(x->db,
			     "SELECT e.inject_id, e.description, e.within, e.score, e.late_by,"
			     " e.scored_by, e.note FROM expectation e LEFT JOIN inject i ON"
			     " i.id = e.inject_id ORDER BY coalesce(i.at_offset, i.fired_at - ?1),"
			     " i.position, e.inject_id, e.id",
			     &st)))
		return rc;
	sqlite3_bind_int64(st, 1, e->sim_start);
	n = 0;
	int met = 0, late = 0, missed = 0, open = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *score = wr_col_text(st, 3);
		if (!n++)
			table(x, 7, eh);
		row(x);
		cell_u(x, wr_col_text(st, 0));
		cell_u(x, wr_col_text(st, 1));
		cell(x, fmt_span(sqlite3_column_int64(st, 2), sp, sizeof sp));
		cell(x, score ? score : "not scored");
		cell(x, sqlite3_column_type(st, 4) == SQLITE_NULL
				? ""
				: fmt_span(sqlite3_column_int64(st, 4), sp2, sizeof sp2));
		cell_u(x, wr_col_text(st, 5));
		cell_u(x, wr_col_text(st, 6));
		if (!score)
			open++;
		else if (!strcmp(score, "met"))
			met++;
		else if (!strcmp(score, "late"))
			late++;
		else
			missed++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return wr_err_sq(x->db, "reading the expectations");
	if (n) {
		table_end(x);
		char buf[160];
		snprintf(buf, sizeof buf, "Expectations: %d met, %d late, %d missed, %d not scored.",
			 met, late, missed, open);
		para(x, buf);
	} else {
		para(x, "N/A: no expectations were set.");
	}
	return 0;
}

static int observations(struct xr *x)
{
	static const char *const head[] = {"When", "Who", "Observation"};
	sqlite3_stmt *st;
	char a[WR_TIME_BUFSZ];
	int rc, n = 0;

	heading(x, 2, "Observations");
	if ((rc = wr_prepare(x->db, "SELECT at, by_user, text FROM observation ORDER BY at, id",
			     &st)))
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!n++)
			table(x, 3, head);
		row(x);
		cell(x, fmt_time(sqlite3_column_int64(st, 0), a));
		cell_u(x, wr_col_text(st, 1));
		cell_u(x, wr_col_text(st, 2));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return wr_err_sq(x->db, "reading the observations");
	if (n)
		table_end(x);
	else
		para(x, "N/A: no observer recorded a note.");
	return 0;
}

/* Findings and action items (`finding add`, `action add`). */
static int findings(struct xr *x)
{
	static const char *const fh[] = {"Section", "Finding", "By", "When"};
	static const char *const ah[] = {"Action item", "Kind", "Due", "Status"};
	sqlite3_stmt *st;
	char a[WR_TIME_BUFSZ];
	int rc, n = 0;

	heading(x, 2, "Findings and remediation");
	if ((rc = wr_prepare(x->db, "SELECT section, text, by_user, at FROM finding ORDER BY at, id",
			     &st)))
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!n++)
			table(x, 4, fh);
		row(x);
		cell_u(x, wr_col_text(st, 0));
		cell_u(x, wr_col_text(st, 1));
		cell_u(x, wr_col_text(st, 2));
		cell(x, fmt_time(sqlite3_column_int64(st, 3), a));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return wr_err_sq(x->db, "reading the findings");
	if (n)
		table_end(x);
	if (!n)
		para(x, "N/A: no finding was recorded.");
	n = 0;
	if ((rc = wr_prepare(x->db, "SELECT title, kind, due, status FROM action_item ORDER BY id",
			     &st)))
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!n++)
			table(x, 4, ah);
		row(x);
		cell_u(x, wr_col_text(st, 0));
		cell_u(x, wr_col_text(st, 1));
		cell(x, fmt_time(sqlite3_column_int64(st, 2), a));
		cell_u(x, wr_col_text(st, 3));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return wr_err_sq(x->db, "reading the action items");
	if (n)
		table_end(x);
	if (!n)
		para(x, "N/A: no remediation action was recorded.");
	return 0;
}

/* ---- the plan since the previous exercise ---------------------------------- */
struct ptask {
	char *team, *title;
	int phase;
	int64_t due_offset;
	bool has_due;
	bool matched;
};

static void ptasks_free(struct ptask *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].team);
		free(p[i].title);
	}
	free(p);
}

/* The plan's tasks as the incident was made from it: tasks added during
 * the event (a task-add event names them) are the event's, not the plan's. */
static int ptasks_read(struct wr_db *db, struct ptask **out, size_t *nout)
{
	sqlite3_stmt *st;
	struct ptask *p = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if ((rc = wr_prepare(db,
			     "SELECT team, title, phase, due_offset FROM task WHERE id NOT IN"
			     " (SELECT json_extract(details, '$.task') FROM event WHERE action ="
			     " 'task-add') ORDER BY id",
			     &st)))
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			struct ptask *q = realloc(p, cap * sizeof *p);
			if (!q) {
				rc = SQLITE_NOMEM;
				break;
			}
			p = q;
		}
		p[n] = (struct ptask){strdup(wr_col_text(st, 0)), strdup(wr_col_text(st, 1)),
				      sqlite3_column_int(st, 2), wr_col_i64(st, 3),
				      sqlite3_column_type(st, 3) != SQLITE_NULL, false};
		if (!p[n].team || !p[n].title) {
			free(p[n].team);
			free(p[n].title);
			rc = SQLITE_NOMEM;
			break;
		}
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		ptasks_free(p, n);
		return rc == SQLITE_NOMEM ? wr_err(db, WR_ENOMEM, "out of memory")
					  : wr_err_sq(db, "reading the plan's tasks");
	}
	*out = p;
	*nout = n;
	return 0;
}

static int plan_changes(struct xr *x, const char *previous, const struct wr_status *s)
{
	static const char *const head[] = {"Change", "Team", "Phase", "Task", "Was"};
	struct wr_db *pdb = NULL;
	struct wr_status ps;
	struct ptask *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	int rc, changes = 0;
	char buf[512], sp[48];

	heading(x, 2, "Changes to the plan since the previous exercise");
	if (!previous) {
		para(x, "N/A: no previous exercise was given (`--previous DB`).");
		return 0;
	}
	if ((rc = wr_db_open(previous, WR_OPEN_READONLY, &pdb))) {
		rc = wr_err(x->db, rc, "--previous %s: %s", previous, wr_db_errmsg(pdb));
		wr_db_close(pdb);
		return rc;
	}
	if ((rc = wr_status_get(pdb, &ps)) || (rc = ptasks_read(pdb, &a, &na)) ||
	    (rc = ptasks_read(x->db, &b, &nb))) {
		rc = wr_err(x->db, rc, "--previous %s: %s", previous, wr_db_errmsg(pdb));
		ptasks_free(a, na);
		wr_db_close(pdb);
		return rc;
	}
	put(x, x->html ? "<p>Previous: " : "Previous: ");
	put_u(x, ps.name);
	putf(x, ", plan ");
	put_u(x, ps.plan_name);
	putf(x, " (SHA-256 %s). This exercise: plan ", ps.plan_sha256);
	put_u(x, s->plan_name);
	putf(x, " (SHA-256 %s)%s.%s", s->plan_sha256,
	     strcmp(ps.plan_sha256, s->plan_sha256) ? "" : ", the same file",
	     x->html ? "</p>\n" : "\n\n");
	wr_db_close(pdb);

	for (size_t i = 0; i < na; i++) {
		for (size_t j = 0; j < nb; j++) {
			if (b[j].matched || strcmp(a[i].title, b[j].title))
				continue;
			a[i].matched = b[j].matched = true;
			if (strcmp(a[i].team, b[j].team) || a[i].phase != b[j].phase ||
			    a[i].due_offset != b[j].due_offset || a[i].has_due != b[j].has_due) {
				if (!changes++)
					table(x, 5, head);
				row(x);
				cell(x, "moved");
				cell_u(x, b[j].team);
				cellf(x, "%d", b[j].phase);
				cell_u(x, b[j].title);
				snprintf(buf, sizeof buf, "team %.60s, phase %d, due %s", a[i].team,
					 a[i].phase,
					 a[i].has_due ? fmt_span(a[i].due_offset, sp, sizeof sp)
						      : "none");
				cell_u(x, buf);
			}
			break;
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		struct ptask *p = pass ? a : b;
		size_t n = pass ? na : nb;
		for (size_t i = 0; i < n; i++) {
			if (p[i].matched)
				continue;
			if (!changes++)
				table(x, 5, head);
			row(x);
			cell(x, pass ? "removed" : "added");
			cell_u(x, p[i].team);
			cellf(x, "%d", p[i].phase);
			cell_u(x, p[i].title);
			cell(x, pass ? "not in this plan" : "not in the previous plan");
		}
	}
	if (changes)
		table_end(x);
	else
		para(x, "No task was added, removed or moved.");
	ptasks_free(a, na);
	ptasks_free(b, nb);
	return 0;
}

/* ---- BR 5.7.1.2 ------------------------------------------------------------ */
static void br_map(struct xr *x, const struct wr_status *s, int nteams)
{
	static const char *const head[] = {"What a plan and its test cover (BR 5.7.1.2)",
					   "Evidence in this report"};
	char buf[6][320];
	int64_t customers = q_int(x->db, "SELECT count(DISTINCT customer) FROM cert");
	int64_t no_contact = q_int(x->db,
				   "SELECT count(*) FROM (SELECT DISTINCT c.customer FROM cert c LEFT"
				   " JOIN customer u ON u.name = c.customer WHERE c.customer IS NOT"
				   " NULL AND coalesce(u.contact, c.contact, '') = '')");
	int64_t runs = q_int(x->db, "SELECT count(*) FROM run");
	int64_t sent = q_int(x->db, "SELECT count(*) FROM message WHERE state = 'sent'");
	int64_t fired = q_int(x->db, "SELECT count(*) FROM inject WHERE fired_at IS NOT NULL");
	int64_t scored = q_int(x->db, "SELECT count(*) FROM expectation WHERE score IS NOT NULL");

	snprintf(buf[0], sizeof buf[0],
		 "Declared %s; the criteria met are in the Timeline (its declare event); reason %s",
		 s->declared ? "yes" : "no", s->reason[0] ? s->reason : "none");
	snprintf(buf[1], sizeof buf[1],
		 "%lld customers, %lld without a contact (Measures; `contacts check`)",
		 (long long)customers, (long long)no_contact);
	snprintf(buf[2], sizeof buf[2],
		 "%lld automated runs (revocation, import, notification, probes), %lld messages"
		 " sent by the tool",
		 (long long)runs, (long long)sent);
	snprintf(buf[3], sizeof buf[3],
		 "Every task's due time from the plan against when it was done (Tasks); the"
		 " revocation deadline (Measures)");
	snprintf(buf[4], sizeof buf[4], "%d teams with their tasks; participants and the teams"
					" each acted for (Participants and roles)",
		 nteams);
	snprintf(buf[5], sizeof buf[5],
		 "This exercise: %lld injects fired, %lld expectations scored; findings and"
		 " remediation; plan changes since the previous test",
		 (long long)fired, (long long)scored);
	const struct {
		const char *what, *evidence;
	} m[] = {
		{"Activation thresholds and who declares", buf[0]},
		{"Contact information kept current", buf[1]},
		{"What is automated", buf[2]},
		{"Target times", buf[3]},
		{"Notification of subscribers", "Measures (first notice, every customer notified);"
						" notification curve"},
		{"Roles and responsibilities", buf[4]},
		{"Training", "The participants above rehearsed their roles in this exercise"},
		{"Testing at least every 12 months, never on live certificates",
		 buf[5]},
		{"Lessons learned and plan updates", "Findings and remediation; changes to the"
						     " plan since the previous exercise"},
	};
	heading(x, 2, "Evidence for BR 5.7.1.2");
	table(x, 2, head);
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
		row(x);
		cell(x, m[i].what);
		cell(x, m[i].evidence);
	}
	table_end(x);
}

/* ---- the document ---------------------------------------------------------- */
static const char css[] =
	"body{font-family:sans-serif;max-width:60em;margin:1em auto;color:#111}"
	"table{border-collapse:collapse;margin:.5em 0 1em}"
	"th,td{border:1px solid #999;padding:.2em .5em;text-align:left;vertical-align:top}"
	"th{background:#eee}.exercise{font-weight:bold;letter-spacing:.2em;color:#a00}"
	"code{word-break:break-all}figure{margin:1em 0}"
	".axis{stroke:#333}.lbl{font-size:11px;fill:#333}"
	"polyline{fill:none;stroke-width:2}.s1{stroke:#1f5fbf}.s2{stroke:#c77c00}"
	".s3{stroke:#2a8a2a}.k1{color:#1f5fbf}.k2{color:#c77c00}.k3{color:#2a8a2a}"
	".deadline{stroke:#c00;stroke-dasharray:4 3}"
	"tr.inject td{background:#fff3d6}"
	".ok{fill:#2a8a2a}.late{fill:#c77c00}.miss{fill:#c00}.open{fill:#bbb}"
	".kok{color:#2a8a2a}.klate{color:#c77c00}.kmiss{color:#c00}.kopen{color:#bbb}"
	"@media print{body{max-width:none;margin:0}h2{break-after:avoid}"
	"table,figure{break-inside:avoid}}";

int wr_exercise_report(struct wr_db *db, enum wr_exreport_format fmt, const char *previous,
		       char **out, size_t *len)
{
	struct xr x = {.db = db, .html = fmt == WR_EXREPORT_HTML};
	struct wr_status s;
	struct ex e;
	struct wr_audit_result ar;
	struct team_tally *tt = NULL;
	size_t nt = 0;
	char t1[WR_TIME_BUFSZ], t2[WR_TIME_BUFSZ], hex[65];
	int rc;

	*out = NULL;
	*len = 0;
	if ((rc = ex_get(db, &e)) || (rc = wr_status_get(db, &s)))
		return rc;
	int64_t now = wr_clock_now(db);
	/* The head as the report is written: `audit verify --head` on the
	 * database reproduces it, or shows the chain was changed since. */
	if ((rc = wr_audit_verify(db, NULL, &ar)) && rc != WR_ECORRUPT)
		return rc;
	bool chain_ok = rc == 0;
	wr_hex(ar.head, 32, hex);

	if (x.html) {
		put(&x, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
			"<title>EXERCISE: ");
		put_u(&x, e.title);
		putf(&x, "</title>\n<style>%s</style></head><body>\n", css);
		put(&x, "<p class=\"exercise\">EXERCISE</p>\n<h1>Mass revocation plan test: ");
		put_u(&x, e.title);
		put(&x, "</h1>\n");
	} else {
		put(&x, "EXERCISE\n\n# Mass revocation plan test: ");
		put_u(&x, e.title);
		put(&x, "\n");
	}

	static const char *const sh[] = {"Item", "Value"};
	heading(&x, 2, "The test");
	table(&x, 2, sh);
	row(&x), cell(&x, "Plan tested"), cell_u(&x, s.plan_name);
	row(&x), cell(&x, "Plan SHA-256"), cellf(&x, "`%s`", s.plan_sha256);
	row(&x), cell(&x, "Scenario"), cell_u(&x, e.title);
	row(&x), cell(&x, "Scenario id"), cell_u(&x, e.scenario);
	row(&x), cell(&x, "Scenario SHA-256"), cellf(&x, "`%s`", e.sha);
	row(&x), cell(&x, "Incident (simulated)"), cell_u(&x, s.name);
	row(&x), cell(&x, "Reason"), cell_u(&x, s.reason[0] ? s.reason : "not declared");
	row(&x), cell(&x, "Simulated start"), cell(&x, fmt_time(e.sim_start, t1));
	row(&x), cell(&x, "Real start"), cell(&x, fmt_time(e.real_start, t2));
	row(&x), cellf(&x, "Speed"), cellf(&x, "%gx%s", e.speed, e.paused ? ", paused" : "");
	row(&x), cell(&x, "Ended (simulated)"),
		cell(&x, e.ended_at ? fmt_time(e.ended_at, t1) : "still running");
	row(&x), cell(&x, "Report written (simulated)"), cell(&x, fmt_time(now, t2));
	row(&x), cell(&x, "Certificates"),
		cellf(&x, "%lld affected: %lld revoked, %lld pending, %lld delayed, %lld expired",
		      (long long)s.counts.affected, (long long)s.counts.revoked,
		      (long long)s.counts.pending, (long long)s.counts.held,
		      (long long)s.counts.expired);
	table_end(&x);

	if ((rc = participants(&x)) || (rc = timeline(&x, &e)))
		goto out;
	if ((rc = measures(&x, &s, now)))
		goto out;
	if (x.html) {
		chart_burndown(&x, &s, now);
		chart_outreach(&x, &s, now);
	}
	if ((rc = tasks(&x, now, &tt, &nt)))
		goto out;
	if (x.html)
		chart_lateness(&x, tt, nt);
	if ((rc = injects(&x, &e)) || (rc = observations(&x)) || (rc = findings(&x)) ||
	    (rc = plan_changes(&x, previous, &s)))
		goto out;
	br_map(&x, &s, (int)nt);

	heading(&x, 2, "Audit chain");
	if (x.html)
		putf(&x,
		     "<p>%s: %lld links, head <code>%s</code>. Run <code>warroom --db DB audit"
		     " verify --head %s</code> on the exercise database: it holds only if neither"
		     " the database nor this figure was changed since.</p>\n",
		     chain_ok ? "The chain holds" : "THE CHAIN IS BROKEN", (long long)ar.count, hex,
		     hex);
	else
		putf(&x,
		     "%s: %lld links, head `%s`. Run `warroom --db DB audit verify --head %s` on"
		     " the exercise database: it holds only if neither the database nor this"
		     " figure was changed since.\n",
		     chain_ok ? "The chain holds" : "THE CHAIN IS BROKEN", (long long)ar.count, hex,
		     hex);
	if (x.html)
		put(&x, "</body></html>\n");
out:
	free(tt);
	if (rc) {
		wr_buf_free(&x.b);
		return rc;
	}
	if (x.oom) {
		wr_buf_free(&x.b);
		return wr_err(db, WR_ENOMEM, "out of memory writing the report");
	}
	*out = x.b.p;
	*len = x.b.len;
	return 0;
}
