/*
 * pane-timeline.c: the newest events first, as sentences (core/event-
 * text.c: "14:02 carol ticked "Send the early notice" (Customer
 * Relations)"), scrollable, filtered by '/' text, with what is new since
 * the user last looked marked.
 *
 * Each frame asks the core for the events on screen (the scroll offset
 * plus the visible rows, and one more to know whether older ones exist).
 * Sentences are raw text from the database: they are drawn with draw_db,
 * which escapes them. A sentence wider than its row is worded to fit
 * (the teams' short names, a long title cut inside its quotes), so the
 * row still shows the team, the owner and the note. An event's sentence
 * never changes, so the pane keeps the newest ones by id and words each
 * event once, not once a frame; a filter matches the whole sentence as
 * well as the stored fields.
 *
 * New since you last looked: the newest event the user has seen is kept
 * per user and database (core/seen.c, a file under $XDG_STATE_HOME/
 * warroom/). An event after it, made by someone else, is marked (a dot,
 * or '*' without UTF-8, and bold) until the timeline has shown it for
 * LOOK_MS on screen, with no overlay over it, or until the console quits:
 * then it counts as seen, here and in the next console. One's own events
 * are never marked. The first console on a database marks nothing: it
 * starts from the newest event. The wall and replays (WARROOM_SCRIPT,
 * the bench) neither read nor write the record.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console.h"

#define LOOK_MS 5000.0 /* on screen this long: seen */
#define CACHE 4096     /* sentences kept, by id: the newest never collide */

struct cached {
	int64_t id;
	unsigned char hash[8]; /* the event's, so that a slot is never misread */
	int avail;	       /* shown was fitted to this many columns */
	char *shown;	       /* the raw sentence as shown (fit) */
	char *full;	       /* the whole sentence, for a filter; NULL until one */
};

struct timeline_state {
	int off;   /* events scrolled past, from the newest */
	int rows;  /* rows that fit */
	bool more; /* older events exist below */
	struct cached *cache; /* CACHE slots, id % CACHE */

	/* What the user has seen. */
	struct wr_db *db;  /* for the record at quit; NULL: not loaded */
	bool keep;	   /* read and write the record (not a replay) */
	bool recorded;	   /* a record exists (else the first console) */
	int64_t seen;	   /* events after it, by others, are new */
	int64_t shown;	   /* the newest event drawn so far */
	int64_t look_upto; /* new events on screen since look_at ... */
	double look_at;	   /* ... (console_ms), 0: none */
};

void *pane_timeline_new(void) { return calloc(1, sizeof(struct timeline_state)); }

static void timeline_free(void *st)
{
	struct timeline_state *ts = st;

	if (!ts)
		return;
	/* Quitting counts as having looked at what was on screen. */
	if (ts->db && ts->keep && (ts->shown > ts->seen || !ts->recorded))
		(void)wr_seen_set(ts->db, ts->shown > ts->seen ? ts->shown : ts->seen);
	for (int i = 0; ts->cache && i < CACHE; i++) {
		free(ts->cache[i].shown);
		free(ts->cache[i].full);
	}
	free(ts->cache);
	free(ts);
}

/* Columns s takes on screen, escaped. */
static int width_of(const char *s)
{
	char *e = wr_esc_term(s);
	int w = e ? wr_str_width(e) : 0;
	free(e);
	return w;
}

/* The sentence that best fits avail columns: whole; else with the teams'
 * short names; else with the longest title that fits, cut inside its
 * quotes; else, when a note at the end overflows anyway, with title and
 * note sharing the row (the edge clips what is left over). */
static char *fit(struct console *c, const struct wr_event *e, int avail)
{
	int lo = 16, hi = avail, q = (avail - 18) / 2;
	char *s;

	for (int i = 0; i < 2; i++) {
		if (!(s = wr_event_sentence_dup(c->db, e, i ? 1 << 20 : 0)) || width_of(s) <= avail)
			return s;
		free(s);
	}
	if (!(s = wr_event_sentence_dup(c->db, e, lo)) || width_of(s) > avail) {
		free(s);
		return wr_event_sentence_dup(c->db, e, q < lo ? lo : q);
	}
	/* The longest cut that fits: s fits at lo; find the largest. */
	while (lo < hi) {
		int mid = lo + (hi - lo + 1) / 2;
		char *t = wr_event_sentence_dup(c->db, e, mid);
		if (!t)
			break;
		if (width_of(t) <= avail) {
			free(s);
			s = t;
			lo = mid;
		} else {
			free(t);
			hi = mid - 1;
		}
	}
	return s;
}

/* The event's sentence to show in avail columns, or whole (for a
 * filter): from the cache, else worded and kept. Borrowed until the next
 * call; NULL when out of memory. */
static const char *sentence(struct console *c, struct timeline_state *ts,
			    const struct wr_event *e, int avail, bool full)
{
	if (!ts->cache && !(ts->cache = calloc(CACHE, sizeof *ts->cache)))
		return NULL;
	struct cached *k = &ts->cache[(uint64_t)e->id % CACHE];
	if (k->id != e->id || memcmp(k->hash, e->hash, sizeof k->hash) != 0) {
		free(k->shown);
		free(k->full);
		memset(k, 0, sizeof *k);
		k->id = e->id;
		memcpy(k->hash, e->hash, sizeof k->hash);
	}
	if (full) {
		if (!k->full)
			k->full = wr_event_sentence_dup(c->db, e, 0);
		return k->full;
	}
	if (!k->shown || k->avail != avail) {
		free(k->shown);
		k->avail = avail;
		k->shown = fit(c, e, avail);
	}
	return k->shown;
}

/* "14:02" today, "11-24 14:02" another day: UTC, the incident's clock. */
static void when(int64_t at, int64_t now, char *b, size_t n)
{
	time_t t = (time_t)at, tn = (time_t)now;
	struct tm tm, tt;

	gmtime_r(&t, &tm);
	gmtime_r(&tn, &tt);
	bool today = tm.tm_yday == tt.tm_yday && tm.tm_year == tt.tm_year;
	strftime(b, n, today ? "%H:%M" : "%m-%d %H:%M", &tm);
}

/* One event on row y: the mark column (mark < 0: none, 0: blank, 1: new),
 * the time, the actor (bold), the rest of the sentence. */
static void draw_row(struct console *c, int y, int x, int w, const struct wr_event *e,
		     const char *s, int mark)
{
	char t[32];
	int used = 0;

	if (mark > 0)
		draw_text(c, y, x, 1, c->utf8 ? "\xe2\x80\xa2" : "*",
			  console_attr(c, ROLE_KEY) | A_BOLD);
	if (mark >= 0)
		used = 1;
	when(e->at, c->frame_now, t, sizeof t);
	if (used < w)
		used += draw_text(c, y, x + used, w - used, t, console_attr(c, ROLE_DIM)) + 1;
	/* The sentence starts with its actor: bold, then the rest. */
	size_t alen = e->actor ? strlen(e->actor) : 0;
	if (alen && strncmp(s, e->actor, alen) == 0 && s[alen] == ' ') {
		if (used < w)
			used += draw_db(c, y, x + used, w - used, e->actor, A_BOLD) + 1;
		s += alen + 1;
	}
	if (used < w)
		draw_db(c, y, x + used, w - used, s, mark > 0 ? A_BOLD : A_NORMAL);
}

/* The columns a row of w leaves for the sentence: after the mark column
 * and the time. */
static int sentence_cols(struct console *c, const struct wr_event *e, int w, bool mark)
{
	char t[32];

	when(e->at, c->frame_now, t, sizeof t);
	return w - (mark ? 1 : 0) - (int)strlen(t) - 1;
}

struct ev_ctx {
	struct console *c;
	struct timeline_state *ts;
	int n, x, y0, w;
	int fresh;	/* new events among those walked */
	int64_t top;	/* the newest event drawn */
};

static bool is_new(const struct console *c, const struct timeline_state *ts,
		   const struct wr_event *e)
{
	return ts->db && e->id > ts->seen && strcmp(e->actor ? e->actor : "", wr_db_actor(c->db)) != 0;
}

static int event_row(const struct wr_event *e, void *arg)
{
	struct ev_ctx *d = arg;
	struct timeline_state *ts = d->ts;
	const char *s;

	/* The filter sees the whole sentence, not the cut one. */
	if (d->c->filter[0]) {
		if (!(s = sentence(d->c, ts, e, 0, true)))
			return WR_ENOMEM;
		if (!wr_event_match(e, s, d->c->filter))
			return 0;
	}
	int i = d->n++;
	bool fresh = is_new(d->c, ts, e);
	if (fresh)
		d->fresh++;
	if (i >= ts->off + ts->rows) {
		ts->more = true;
		return 1; /* one past the screen: enough */
	}
	if (i >= ts->off) {
		if (!(s = sentence(d->c, ts, e, sentence_cols(d->c, e, d->w, true), false)))
			return WR_ENOMEM;
		draw_row(d->c, d->y0 + i - ts->off, d->x, d->w, e, s, fresh);
		if (e->id > d->top)
			d->top = e->id;
	}
	return 0;
}

static int newest_cb(const struct wr_event *e, void *arg)
{
	*(int64_t *)arg = e->id;
	return 0;
}

/* On the first frame: what the user saw last time, or, for the first
 * console on this database, everything up to now. */
static void seen_load(struct timeline_state *ts, struct console *c)
{
	int64_t newest = 0;

	ts->db = c->db;
	ts->keep = !c->headless && !c->wall;
	(void)wr_event_foreach(c->db, 1, true, NULL, newest_cb, &newest);
	ts->recorded = ts->keep && wr_seen_get(c->db, &ts->seen) == 0;
	if (!ts->recorded || ts->seen > newest)
		ts->seen = newest;
}

/* After the rows: new events on screen start the moment; once it has
 * passed, what was on screen then is seen. */
static void seen_frame(struct timeline_state *ts, struct console *c, const struct ev_ctx *d)
{
	double now = console_ms();
	bool looking = !c->help && !c->detail;

	if (d->top > ts->shown && looking)
		ts->shown = d->top;
	if (!looking) {
		ts->look_at = 0; /* an overlay hides it: the moment starts again */
		return;
	}
	if (ts->look_at && now >= ts->look_at + LOOK_MS) {
		if (ts->look_upto > ts->seen) {
			ts->seen = ts->look_upto;
			if (ts->keep)
				(void)wr_seen_set(c->db, ts->seen); /* best effort */
			ts->recorded = ts->keep;
		}
		ts->look_at = 0;
		c->dirty = true; /* draw again without the marks */
	}
	if (!ts->look_at && d->fresh && d->top > ts->seen) {
		ts->look_at = now;
		ts->look_upto = d->top;
	}
	if (ts->look_at)
		console_wake(c, ts->look_at + LOOK_MS);
}

static void timeline_draw(struct pane *p, struct console *c)
{
	struct timeline_state *ts = p->st;
	const struct lrect *r = &p->r;
	char title[96];

	if (r->h < 3 || r->w < 10)
		return;
	if (!ts->db)
		seen_load(ts, c);
	ts->more = false;
	struct ev_ctx d = {c, ts, 0, r->x + 1, r->y + 1, r->w - 2, 0, 0};
	/* A filter matches the sentences, which SQL cannot see: then the
	 * walk goes on until the screen is full. */
	int rc = wr_event_foreach(c->db, c->filter[0] ? 0 : ts->off + ts->rows + 1, true, NULL,
				  event_row, &d);
	if (rc < 0)
		console_message(c, ROLE_ALERT, "%s",
				rc == WR_ENOMEM ? "out of memory" : wr_db_errmsg(c->db));
	int n = ts->off ? snprintf(title, sizeof title, " Timeline: %d newer above", ts->off)
			: snprintf(title, sizeof title, " Timeline: newest first");
	if (d.fresh)
		snprintf(title + n, sizeof title - (size_t)n, ", %d new ", d.fresh);
	else
		snprintf(title + n, sizeof title - (size_t)n, " ");
	draw_box(c, r, title, p->focused);
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
	seen_frame(ts, c, &d);
}

/* ---- the wall's last few events ------------------------------------------------- */

struct wall_ctx {
	struct console *c;
	const struct lrect *r;
	int n;
};

static int wall_row(const struct wr_event *e, void *arg)
{
	struct wall_ctx *d = arg;
	char *s = fit(d->c, e, sentence_cols(d->c, e, d->r->w, false));

	if (!s)
		return WR_ENOMEM;
	draw_row(d->c, d->r->y + d->n++, d->r->x, d->r->w, e, s, -1);
	free(s);
	return 0;
}

void draw_events(struct console *c, const struct lrect *r)
{
	struct wall_ctx d = {c, r, 0};

	if (r->h < 1 || r->w < 10)
		return;
	if (wr_event_foreach(c->db, r->h, true, NULL, wall_row, &d) < 0)
		console_message(c, ROLE_ALERT, "%s", wr_db_errmsg(c->db));
}

/* ---- keys -------------------------------------------------------------------------- */

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
	.free = timeline_free,
};
