/*
 * pane-timeline.c: the newest events first, who did what and when,
 * scrollable. Each frame asks the core for the events on screen (the
 * scroll offset plus the visible rows, and one more to know whether
 * older ones exist), filtered by '/' text. Details are JSON written by
 * the core from user input and certificate fields: they are shown as
 * key=value with every string escaped.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console.h"

struct timeline_state {
	int off;   /* events scrolled past, from the newest */
	int rows;  /* rows that fit */
	bool more; /* older events exist below */
};

void *pane_timeline_new(void) { return calloc(1, sizeof(struct timeline_state)); }

/* Appends s to buf (of size sz) escaped for the terminal. */
static void append_esc(char *buf, size_t sz, const char *s)
{
	char *e = wr_esc_term(s);
	size_t n = strlen(buf);
	if (e && n < sz)
		snprintf(buf + n, sz - n, "%s", e);
	free(e);
}

static void append(char *buf, size_t sz, const char *s)
{
	size_t n = strlen(buf);
	if (n < sz)
		snprintf(buf + n, sz - n, "%s", s);
}

/* "task=3 note=\"call back\"": the details as one escaped line. */
static void details_text(const char *json, char *buf, size_t sz)
{
	json_error_t jerr;
	json_t *j = json_loads(json ? json : "{}", 0, &jerr);
	const char *key;
	json_t *v;

	buf[0] = '\0';
	if (!json_is_object(j)) {
		append_esc(buf, sz, json ? json : "");
		json_decref(j);
		return;
	}
	json_object_foreach(j, key, v) {
		char num[48];
		if (buf[0])
			append(buf, sz, " ");
		append_esc(buf, sz, key);
		append(buf, sz, "=");
		if (json_is_string(v)) {
			const char *s = json_string_value(v);
			bool q = strchr(s, ' ') || !*s;
			if (q)
				append(buf, sz, "\"");
			append_esc(buf, sz, s);
			if (q)
				append(buf, sz, "\"");
		} else if (json_is_integer(v)) {
			snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
			append(buf, sz, num);
		} else if (json_is_real(v)) {
			snprintf(num, sizeof num, "%g", json_real_value(v));
			append(buf, sz, num);
		} else if (json_is_boolean(v)) {
			append(buf, sz, json_is_true(v) ? "yes" : "no");
		} else if (json_is_array(v)) {
			snprintf(num, sizeof num, "[%zu]", json_array_size(v));
			append(buf, sz, num);
		} else if (json_is_object(v)) {
			append(buf, sz, "{...}");
		} else {
			append(buf, sz, "-");
		}
	}
	json_decref(j);
}

struct ev_ctx {
	struct console *c;
	struct timeline_state *ts;
	int n, x, y0, w;
};

static int event_row(const struct wr_event *e, void *arg)
{
	struct ev_ctx *d = arg;
	struct console *c = d->c;
	char t[32], det[1024];
	time_t at = (time_t)e->at, nw = (time_t)c->frame_now;
	struct tm tm, tn;
	int i = d->n++;

	if (i < d->ts->off)
		return 0;
	if (i >= d->ts->off + d->ts->rows) {
		d->ts->more = true;
		return 1; /* one past the screen: enough */
	}
	int y = d->y0 + i - d->ts->off, x = d->x, w = d->w;
	gmtime_r(&at, &tm);
	gmtime_r(&nw, &tn);
	/* Today's events by the second, older ones with their date. */
	if (tm.tm_yday == tn.tm_yday && tm.tm_year == tn.tm_year)
		strftime(t, sizeof t, "%H:%M:%S", &tm);
	else
		strftime(t, sizeof t, "%m-%d %H:%M", &tm);
	int used = draw_text(c, y, x, w, t, console_attr(c, ROLE_DIM)) + 1;
	int aw = w >= 70 ? 10 : 8;
	if (used + aw < w)
		draw_db(c, y, x + used, aw, e->actor, A_BOLD);
	used += aw + 1;
	if (used + 12 < w)
		draw_db(c, y, x + used, 12, e->action, console_attr(c, ROLE_TITLE));
	used += 13;
	if (used < w) {
		details_text(e->details, det, sizeof det);
		draw_text(c, y, x + used, w - used, det, A_NORMAL);
	}
	return 0;
}

static void timeline_draw(struct pane *p, struct console *c)
{
	struct timeline_state *ts = p->st;
	const struct lrect *r = &p->r;
	char title[96];

	if (r->h < 3 || r->w < 10)
		return;
	if (ts->off)
		snprintf(title, sizeof title, " Timeline: %d newer above ", ts->off);
	else
		snprintf(title, sizeof title, " Timeline: newest first ");
	draw_box(c, r, title, p->focused);
	ts->more = false;
	struct ev_ctx d = {c, ts, 0, r->x + 1, r->y + 1, r->w - 2};
	int rc = wr_event_foreach(c->db, ts->off + ts->rows + 1, true,
				  c->filter[0] ? c->filter : NULL, event_row, &d);
	if (rc < 0)
		console_message(c, ROLE_ALERT, "%s", wr_db_errmsg(c->db));
	if (d.n == 0 && ts->rows > 0)
		draw_text(c, r->y + 1, r->x + 2, r->w - 4,
			  c->filter[0] ? "(no event matches the filter)" : "(no events)",
			  console_attr(c, ROLE_DIM));
	if (ts->off > 0 && d.n <= ts->off) {
		/* Scrolled past the end (a filter shrank the list). */
		ts->off = d.n > ts->rows ? d.n - ts->rows : 0;
		c->dirty = true;
	}
	if (ts->more)
		draw_text(c, r->y + r->h - 1, r->x + r->w - 10, 8, " older ", console_attr(c, ROLE_DIM));
}

static void timeline_resize(struct pane *p, const struct lrect *r)
{
	struct timeline_state *ts = p->st;
	ts->rows = r->h > 2 ? r->h - 2 : 0;
}

static int timeline_key(struct pane *p, struct console *c, enum pane_act act)
{
	struct timeline_state *ts = p->st;
	int page = ts->rows > 1 ? ts->rows - 1 : 1;

	(void)c;
	switch (act) {
	case ACT_UP:
		if (ts->off <= 0)
			return 1;
		ts->off--;
		return 0;
	case ACT_DOWN:
		if (!ts->more)
			return 1;
		ts->off++;
		return 0;
	case ACT_PGUP: ts->off = ts->off > page ? ts->off - page : 0; return 0;
	case ACT_PGDN:
		if (ts->more)
			ts->off += page;
		return 0;
	case ACT_HOME: ts->off = 0; return 0;
	default: return 1;
	}
}

const struct pane_class pane_timeline_class = {
	.name = "timeline",
	.draw = timeline_draw,
	.key = timeline_key,
	.resize = timeline_resize,
	.free = free,
};
