/*
 * pane-banner.c: the banner, a row under the header on every console
 * (not only the one that started it) for each run in progress: what runs,
 * who started it and when, done/total, rate, time left, failures, and
 * whether it is paused or being cancelled; a run whose process died
 * without ending stays a while in red, saying the next run takes up its
 * work. p pauses or resumes the first run, C cancels it after a question.
 *
 * Read from the run table (core/run.c) once a frame, before the layout:
 * a read that never waits, a few rows at most. The rows come off the top
 * of the body (banner_shift): whoever lays the screen out calls
 * banner_rows, then banner_draw at the row under the header.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console.h"

#define BANNER_MAX 8
/* A died run shows this long after its last sign of life. */
#define DIED_SHOWN 600

struct brun {
	int64_t id, started_at, updated_at, total, done, failed, seconds_left;
	double rate;
	bool live;
	char kind[16], state[16], request[16];
	char *args, *by, *requested_by; /* escaped, malloc'd */
};

struct banner {
	int n;
	struct brun r[BANNER_MAX];
};

static void runs_clear(struct banner *b)
{
	for (int i = 0; i < b->n; i++) {
		free(b->r[i].args);
		free(b->r[i].by);
		free(b->r[i].requested_by);
	}
	b->n = 0;
}

void banner_free(struct console *c)
{
	if (c->banner)
		runs_clear(c->banner);
	free(c->banner);
	c->banner = NULL;
}

static int fetch_cb(const struct wr_run *r, void *arg)
{
	struct banner *b = arg;
	struct brun *x;

	if (!r->live && (strcmp(r->state, "died") != 0 ||
			 r->updated_at < (int64_t)time(NULL) - DIED_SHOWN))
		return 0;
	if (b->n == BANNER_MAX)
		return 1;
	x = &b->r[b->n++];
	memset(x, 0, sizeof *x);
	x->id = r->id;
	x->started_at = r->started_at;
	x->updated_at = r->updated_at;
	x->total = r->total;
	x->done = r->done;
	x->failed = r->failed;
	x->seconds_left = r->seconds_left;
	x->rate = r->rate;
	x->live = r->live;
	snprintf(x->kind, sizeof x->kind, "%s", r->kind);
	snprintf(x->state, sizeof x->state, "%s", r->state);
	snprintf(x->request, sizeof x->request, "%s", r->request ? r->request : "");
	x->args = wr_esc_term(r->args ? r->args : "");
	x->by = wr_esc_term(r->started_by ? r->started_by : "?");
	x->requested_by = wr_esc_term(r->requested_by ? r->requested_by : "");
	return 0;
}

void banner_fetch(struct console *c)
{
	if (!c->banner && !(c->banner = calloc(1, sizeof *c->banner)))
		return;
	runs_clear(c->banner);
	/* Nothing to show is better than a stale banner or a stalled frame. */
	if (wr_run_foreach(c->db, WR_RUNS_LIVE, fetch_cb, c->banner) < 0)
		runs_clear(c->banner);
}

int banner_rows(const struct console *c)
{
	int n = c->banner ? c->banner->n : 0, max = LINES >= 40 ? 3 : 1;
	return n < max ? n : max;
}

void banner_shift(struct layout *l, int rows)
{
	if (rows <= 0 || l->mode == LAYOUT_SMALL)
		return;
	l->h += rows;
	l->tabbar.y += rows;
	l->body.y += rows;
	l->status.y += rows;
	l->cmdline.y += rows;
	for (int i = 0; i < l->npanes && i < LAYOUT_MAX_PANES; i++)
		l->pane[i].y += rows;
}

const char *banner_writer(struct console *c, char *buf, size_t n)
{
	for (int i = 0; c->banner && i < c->banner->n; i++) {
		struct brun *x = &c->banner->r[i];
		if (x->live) {
			snprintf(buf, n, "%s run %lld (%s)", x->kind, (long long)x->id, x->by);
			return buf;
		}
	}
	return NULL;
}

/* What a run's row says after its label. */
static void row_text(const struct brun *x, char *s, size_t n)
{
	char d[32], t[32], rate[32], left[WR_TIME_BUFSZ], hm[8] = "";
	time_t st = (time_t)x->started_at;
	struct tm tm;

	if (gmtime_r(&st, &tm))
		strftime(hm, sizeof hm, "%H:%M", &tm);
	layout_fmt_count(x->done, d, sizeof d);
	if (x->total > 0)
		layout_fmt_count(x->total, t, sizeof t);
	else
		snprintf(t, sizeof t, "?");
	if (strcmp(x->state, "died") == 0) {
		snprintf(s, n, "run %lld %s died at %s/%s (its process is gone): the next %s takes"
			       " up the rest  by %s at %s  %s", (long long)x->id, x->kind, d, t, x->kind,
			 x->by, hm, x->args);
		return;
	}
	layout_fmt_short((int64_t)(x->rate + 0.5), rate, sizeof rate);
	if (x->seconds_left >= 0)
		wr_duration_format(x->seconds_left, left);
	else
		snprintf(left, sizeof left, "--:--:--");
	int pct = x->total > 0 ? (int)(x->done * 100 / x->total) : 0;
	/* The figures first: the end of a long row is what gets cut. */
	snprintf(s, n, "run %lld %s  %s/%s %d%%  %s/s  %s left  %lld failed  by %s at %s  %s",
		 (long long)x->id, x->kind, d, t, pct, x->rate > 0 ? rate : "-", left,
		 (long long)x->failed, x->by, hm, x->args);
}

void banner_draw(struct console *c, int y, int x0, int w)
{
	int rows = banner_rows(c);
	struct banner *b = c->banner;

	for (int i = 0; i < rows; i++) {
		const struct brun *x = &b->r[i];
		char label[64], text[640], keys[64] = "";
		enum role role = ROLE_OK;
		bool died = strcmp(x->state, "died") == 0;

		if (died) {
			snprintf(label, sizeof label, " DIED ");
			role = ROLE_ALERT;
		} else if (!strcmp(x->request, "cancel")) {
			snprintf(label, sizeof label, " CANCELLING ");
			role = ROLE_WARN;
		} else if (!strcmp(x->state, "paused")) {
			snprintf(label, sizeof label, " PAUSED by %.40s ", x->requested_by);
			role = ROLE_WARN;
		} else if (!strcmp(x->request, "pause")) {
			snprintf(label, sizeof label, " PAUSING ");
			role = ROLE_WARN;
		} else {
			snprintf(label, sizeof label, " RUNNING ");
		}
		row_text(x, text, sizeof text);
		/* The keys act on the first run (not on the read-only wall);
		 * more runs: 'warroom runs'. */
		if (i == 0 && !died && !c->wall && strcmp(x->request, "cancel") != 0)
			snprintf(keys, sizeof keys, " p %s  C cancel ",
				 !strcmp(x->state, "paused") || !strcmp(x->request, "pause") ? "resume"
											 : "pause");
		else if (i == rows - 1 && b->n > rows)
			snprintf(keys, sizeof keys, " +%d more: :runs ", b->n - rows);
		int kw = text_width(keys), xx = x0;
		draw_fill(y + i, x0, w, A_NORMAL);
		xx += draw_text(c, y + i, xx, w, label, console_attr(c, role) | A_REVERSE);
		if (xx < x0 + w - kw - 1)
			draw_text(c, y + i, xx + 1, x0 + w - kw - xx - 1, text,
				  console_attr(c, died ? ROLE_ALERT : ROLE_NORMAL));
		if (kw && kw < w / 2)
			draw_text(c, y + i, x0 + w - kw, kw, keys, console_attr(c, ROLE_KEY));
	}
}

/* ---- keys ------------------------------------------------------------------ */

static const struct brun *target(struct console *c)
{
	for (int i = 0; c->banner && i < c->banner->n; i++)
		if (c->banner->r[i].live)
			return &c->banner->r[i];
	return NULL;
}

void act_run_pause(struct console *c, int key)
{
	const struct brun *x = target(c);
	char line[64];

	(void)key;
	if (!x) {
		console_message(c, ROLE_DIM, "p pauses the run the banner shows: none is in progress");
		return;
	}
	bool paused = !strcmp(x->state, "paused") || !strcmp(x->request, "pause");
	snprintf(line, sizeof line, "runs %s %lld", paused ? "resume" : "pause", (long long)x->id);
	cmdline_run(c, line);
}

void act_run_cancel(struct console *c, int key)
{
	const struct brun *x = target(c);
	char line[64], q[512], d[32], t[32];

	(void)key;
	if (!x) {
		console_message(c, ROLE_DIM, "C cancels the run the banner shows: none is in progress");
		return;
	}
	layout_fmt_count(x->done, d, sizeof d);
	layout_fmt_count(x->total, t, sizeof t);
	/* Escaped already: the run's fields were, the rest is ours. */
	snprintf(q, sizeof q, "Cancel run %lld (%s by %s, %s/%s)? It ends after its current batch;"
			      " the rest stays for the next run.", (long long)x->id, x->kind, x->by, d,
		 t);
	snprintf(line, sizeof line, "runs cancel %lld", (long long)x->id);
	if (!c->ask) {
		console_message(c, ROLE_ALERT, "cannot ask here: ':runs cancel %lld' does it",
				(long long)x->id);
		return;
	}
	ask_line(c, q, line);
}
