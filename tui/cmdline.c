/*
 * cmdline.c: the console's ':' line, which runs any warroom command
 * through the same table as the shell (cmd_run_line), and the '/' line,
 * which filters tasks and events as it is typed. Tab completes command
 * names from wr_cmds, options from each command's own option table,
 * reason codes from the rules, team ids, phases and task ids from the
 * core. A command's output and errors are captured (open_memstream on
 * ctx->out and ctx->err) and shown in the status line when short, in a
 * scrollable popup when not.
 *
 * Keeps only what the user typed and the last output; never the
 * incident's state.
 */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "console.h"

#define LINE_WC 1024
#define HIST 64
#define MAXCAND 512

struct cmdline {
	int kind; /* 0: closed; ':' or '/' */
	wchar_t buf[LINE_WC];
	int len, cur;
	char *hist[HIST];
	int nhist, hpos;
	/* the output popup */
	bool popup;
	char *text;  /* the output, lines split on '\n' in place */
	char **lines;
	int nlines, top, rows; /* rows: on screen */
	int left, cols, maxw;  /* sideways: first column, columns shown, widest */
	char title[160];
};

struct cmdline *cmdline_new(void) { return calloc(1, sizeof(struct cmdline)); }

static void popup_clear(struct cmdline *cl)
{
	free(cl->text);
	free(cl->lines);
	cl->text = NULL;
	cl->lines = NULL;
	cl->nlines = cl->top = cl->left = 0;
	cl->popup = false;
}

void cmdline_free(struct cmdline *cl)
{
	if (!cl)
		return;
	popup_clear(cl);
	for (int i = 0; i < cl->nhist; i++)
		free(cl->hist[i]);
	free(cl);
}

bool cmdline_editing(const struct console *c) { return c->cl && c->cl->kind; }
bool cmdline_popup(const struct console *c) { return c->cl && c->cl->popup; }

/* The line (or its first n characters) as UTF-8, malloc'd. */
static char *line_utf8(const struct cmdline *cl, int n)
{
	wchar_t tmp[LINE_WC + 1];
	size_t cap = (size_t)n * MB_CUR_MAX + 1;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	wmemcpy(tmp, cl->buf, (size_t)n);
	tmp[n] = L'\0';
	if (wcstombs(s, tmp, cap) == (size_t)-1)
		s[0] = '\0';
	return s;
}

static void set_line(struct cmdline *cl, const char *s)
{
	size_t n = mbstowcs(cl->buf, s, LINE_WC - 1);
	cl->len = n == (size_t)-1 ? 0 : (int)n;
	cl->cur = cl->len;
}

/* The '/' line filters as it is typed. */
static void filter_sync(struct console *c)
{
	if (c->cl->kind != '/')
		return;
	char *s = line_utf8(c->cl, c->cl->len);
	snprintf(c->filter, sizeof c->filter, "%s", s ? s : "");
	free(s);
}

void cmdline_open(struct console *c, int kind)
{
	struct cmdline *cl = c->cl;

	if (c->wall) {
		console_message(c, ROLE_DIM, "the wall is read-only: no commands or filters");
		return;
	}
	cl->kind = kind;
	cl->hpos = cl->nhist;
	if (kind == '/')
		set_line(cl, c->filter);
	else
		cl->len = cl->cur = 0;
}

static void insert(struct cmdline *cl, wchar_t wc)
{
	if (cl->len >= LINE_WC - 1)
		return;
	wmemmove(cl->buf + cl->cur + 1, cl->buf + cl->cur, (size_t)(cl->len - cl->cur));
	cl->buf[cl->cur++] = wc;
	cl->len++;
}

static void erase_range(struct cmdline *cl, int from, int to)
{
	if (from < 0)
		from = 0;
	if (to > cl->len)
		to = cl->len;
	if (from >= to)
		return;
	wmemmove(cl->buf + from, cl->buf + to, (size_t)(cl->len - to));
	cl->len -= to - from;
	cl->cur = from;
}

void cmdline_key(struct console *c, int key)
{
	if (keys_line(c, key))
		return;
	/* Anything printable is text. */
	if (key >= 0x20 && key < KEY_FN(0) && key != 0x7f && iswprint((wint_t)key)) {
		insert(c->cl, (wchar_t)key);
		filter_sync(c);
	}
}

void ed_left(struct console *c, int key)
{
	(void)key;
	if (c->cl->cur > 0)
		c->cl->cur--;
}

void ed_right(struct console *c, int key)
{
	(void)key;
	if (c->cl->cur < c->cl->len)
		c->cl->cur++;
}

void ed_home(struct console *c, int key)
{
	(void)key;
	c->cl->cur = 0;
}

void ed_end(struct console *c, int key)
{
	(void)key;
	c->cl->cur = c->cl->len;
}

void ed_backspace(struct console *c, int key)
{
	(void)key;
	struct cmdline *cl = c->cl;
	if (cl->cur == 0 && cl->len == 0) {
		ed_cancel(c, key); /* backspace on an empty line leaves it, as in vi */
		return;
	}
	erase_range(cl, cl->cur - 1, cl->cur);
	filter_sync(c);
}

void ed_delete(struct console *c, int key)
{
	(void)key;
	erase_range(c->cl, c->cl->cur, c->cl->cur + 1);
	filter_sync(c);
}

void ed_kill_start(struct console *c, int key)
{
	(void)key;
	erase_range(c->cl, 0, c->cl->cur);
	filter_sync(c);
}

void ed_kill_end(struct console *c, int key)
{
	(void)key;
	struct cmdline *cl = c->cl;
	cl->len = cl->cur;
	filter_sync(c);
}

void ed_kill_word(struct console *c, int key)
{
	(void)key;
	struct cmdline *cl = c->cl;
	int i = cl->cur;
	while (i > 0 && cl->buf[i - 1] == L' ')
		i--;
	while (i > 0 && cl->buf[i - 1] != L' ')
		i--;
	erase_range(cl, i, cl->cur);
	filter_sync(c);
}

void ed_history_prev(struct console *c, int key)
{
	(void)key;
	struct cmdline *cl = c->cl;
	if (cl->kind != ':' || cl->hpos <= 0)
		return;
	set_line(cl, cl->hist[--cl->hpos]);
}

void ed_history_next(struct console *c, int key)
{
	(void)key;
	struct cmdline *cl = c->cl;
	if (cl->kind != ':' || cl->hpos >= cl->nhist)
		return;
	if (++cl->hpos == cl->nhist)
		cl->len = cl->cur = 0;
	else
		set_line(cl, cl->hist[cl->hpos]);
}

void ed_cancel(struct console *c, int key)
{
	(void)key;
	if (c->cl->kind == '/') {
		c->filter[0] = '\0';
		console_message(c, ROLE_DIM, "filter cleared");
	}
	c->cl->kind = 0;
}

static void history_add(struct cmdline *cl, const char *s)
{
	if (cl->nhist && strcmp(cl->hist[cl->nhist - 1], s) == 0)
		return;
	if (cl->nhist == HIST) {
		free(cl->hist[0]);
		memmove(cl->hist, cl->hist + 1, (HIST - 1) * sizeof cl->hist[0]);
		cl->nhist--;
	}
	char *d = strdup(s);
	if (d)
		cl->hist[cl->nhist++] = d;
}

void ed_enter(struct console *c, int key)
{
	(void)key;
	struct cmdline *cl = c->cl;
	int kind = cl->kind;

	cl->kind = 0;
	if (kind == '/') {
		/* The filter followed every key; Enter only keeps it. */
		if (c->filter[0])
			console_message(c, ROLE_DIM, "filter: %s (Esc clears)", c->filter);
		return;
	}
	char *s = line_utf8(cl, cl->len);
	if (s && s[strspn(s, " \t")]) {
		history_add(cl, s);
		cmdline_run(c, s);
	}
	free(s);
}

/* ---- completion ------------------------------------------------------------ */

struct cands {
	char *v[MAXCAND];
	char *desc[MAXCAND];
	int n;
	const char *prefix;
};

static void cand(struct cands *k, const char *s, const char *desc)
{
	if (k->n == MAXCAND || strncmp(s, k->prefix, strlen(k->prefix)) != 0)
		return;
	for (int i = 0; i < k->n; i++)
		if (strcmp(k->v[i], s) == 0)
			return;
	k->v[k->n] = strdup(s);
	k->desc[k->n] = desc ? strdup(desc) : NULL;
	if (k->v[k->n])
		k->n++;
}

static void cands_free(struct cands *k)
{
	for (int i = 0; i < k->n; i++) {
		free(k->v[i]);
		free(k->desc[i]);
	}
	k->n = 0;
}

/* Command words: the first word, or the second of a two-word command. */
static void cand_commands(struct cands *k, const char *first)
{
	for (size_t i = 0; i < wr_ncmds; i++) {
		if (!wr_cmds[i]) /* a command not linked in */
			continue;
		const char *n = wr_cmds[i]->name, *sp = strchr(n, ' ');
		char w[64];
		if (!first) {
			snprintf(w, sizeof w, "%.*s", sp ? (int)(sp - n) : (int)strlen(n), n);
			cand(k, w, NULL);
		} else if (sp && strlen(first) == (size_t)(sp - n) && strncmp(n, first, (size_t)(sp - n)) == 0) {
			cand(k, sp + 1, wr_cmds[i]->summary);
		}
	}
	if (!first)
		cand(k, "help", NULL);
}

struct task_cands {
	struct cands *k;
	int want; /* 0: open tasks, 1: done, -1: any */
};

static int task_cand(const struct wr_task *t, void *arg)
{
	struct task_cands *tc = arg;
	char id[24];
	if (tc->want >= 0 && (t->done_at != 0) != (tc->want == 1))
		return 0;
	snprintf(id, sizeof id, "%lld", (long long)t->id);
	cand(tc->k, id, t->title);
	return 0;
}

static bool is_group(const char *w)
{
	size_t n = strlen(w);
	for (size_t i = 0; i < wr_ncmds; i++)
		if (wr_cmds[i] && strncmp(wr_cmds[i]->name, w, n) == 0 && wr_cmds[i]->name[n] == ' ')
			return true;
	return false;
}

static void complete_words(struct console *c, int nw, char **w, const char *pre,
			   struct cands *k)
{
	static const char *const states[] = {"pending", "expired", "revoked", "held",
					     "submitted", "failed"};
	const struct wr_cmd *cmd = NULL;
	int used = 0;
	const char *prev = nw ? w[nw - 1] : "";

	k->prefix = pre;
	if (nw == 0 || (nw == 1 && strcmp(w[0], "help") == 0)) {
		cand_commands(k, NULL);
		return;
	}
	if ((nw == 1 || (nw == 2 && strcmp(w[0], "help") == 0)) && is_group(w[nw - 1])) {
		cand_commands(k, w[nw - 1]);
		return;
	}
	cmd = cmd_find(nw, w, &used);
	if (strncmp(pre, "--reason=", 9) == 0) {
		char b[96];
		for (size_t i = 0; i < wr_reason_count(); i++) {
			snprintf(b, sizeof b, "--reason=%s", wr_reason_at(i)->code);
			cand(k, b, wr_reason_at(i)->circumstance);
		}
		return;
	}
	if (strcmp(prev, "--reason") == 0) {
		for (size_t i = 0; i < wr_reason_count(); i++)
			cand(k, wr_reason_at(i)->code, wr_reason_at(i)->circumstance);
		return;
	}
	if (strcmp(prev, "--team") == 0) {
		for (size_t i = 0; i < c->nt; i++)
			cand(k, c->teams[i].id, c->teams[i].name);
		return;
	}
	if (strcmp(prev, "--phase") == 0 || (cmd && strcmp(cmd->name, "phase") == 0 && nw == used)) {
		for (int i = 0; i < WR_PHASES; i++)
			cand(k, wr_phase_name(i), wr_phase_title(i));
		return;
	}
	if (strcmp(prev, "--state") == 0) {
		for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
			cand(k, states[i], NULL);
		return;
	}
	if (!cmd)
		return;
	if (pre[0] == '-') {
		for (const struct option *o = cmd->longopts; o && o->name; o++) {
			char b[64];
			snprintf(b, sizeof b, "--%s", o->name);
			cand(k, b, NULL);
		}
		cand(k, "--help", NULL);
		return;
	}
	if (strncmp(cmd->name, "task ", 5) == 0 && nw == used &&
	    (!strcmp(cmd->name + 5, "done") || !strcmp(cmd->name + 5, "reopen") ||
	     !strcmp(cmd->name + 5, "assign") || !strcmp(cmd->name + 5, "note") ||
	     !strcmp(cmd->name + 5, "show") || !strcmp(cmd->name + 5, "block") ||
	     !strcmp(cmd->name + 5, "unblock"))) {
		/* Open tasks for done and block, done ones for reopen. */
		struct task_cands tc = {k, !strcmp(cmd->name + 5, "done") ||
						   !strcmp(cmd->name + 5, "block")
					       ? 0
					   : !strcmp(cmd->name + 5, "reopen") ? 1
									      : -1};
		struct wr_task_filter f = {.max_phase = -1};
		wr_task_foreach(c->db, &f, task_cand, &tc);
	}
}

void ed_complete(struct console *c, int key)
{
	(void)key;
	struct cmdline *cl = c->cl;
	struct cands k = {0};
	char *words[64];
	int nw = 0;

	if (cl->kind != ':')
		return;
	char *s = line_utf8(cl, cl->cur);
	if (!s)
		return;
	/* Words before the cursor; the last, unfinished one is the prefix. */
	size_t sl = strlen(s);
	bool trailing = sl == 0 || s[sl - 1] == ' ';
	char *save = NULL;
	for (char *t = strtok_r(s, " ", &save); t && nw < 63; t = strtok_r(NULL, " ", &save))
		words[nw++] = t;
	const char *pre = "";
	if (!trailing && nw > 0)
		pre = words[--nw];
	complete_words(c, nw, words, pre, &k);

	if (k.n == 0) {
		console_message(c, ROLE_DIM, "no completion");
	} else {
		/* The longest common prefix of the candidates replaces the word. */
		size_t common = strlen(k.v[0]);
		for (int i = 1; i < k.n; i++) {
			size_t j = 0;
			while (j < common && k.v[i][j] == k.v[0][j])
				j++;
			common = j;
		}
		char add[256];
		snprintf(add, sizeof add, "%.*s%s", (int)common, k.v[0], k.n == 1 ? " " : "");
		wchar_t wadd[256];
		size_t wn = mbstowcs(wadd, add, 255);
		size_t pn = mbstowcs(NULL, pre, 0);
		if (wn != (size_t)-1 && pn != (size_t)-1) {
			erase_range(cl, cl->cur - (int)pn, cl->cur);
			for (size_t i = 0; i < wn; i++)
				insert(cl, wadd[i]);
		}
		if (k.n > 1 || k.desc[0]) {
			char list[512] = "";
			for (int i = 0; i < k.n && strlen(list) < sizeof list - 2; i++) {
				size_t n = strlen(list);
				if (k.desc[i])
					snprintf(list + n, sizeof list - n, "%s%s (%.40s)", i ? "  " : "",
						 k.v[i], k.desc[i]);
				else
					snprintf(list + n, sizeof list - n, "%s%s", i ? "  " : "", k.v[i]);
			}
			console_message(c, ROLE_DIM, "%s", list);
		}
	}
	cands_free(&k);
	free(s);
}

/* ---- running a command ----------------------------------------------------- */

static void popup_set(struct console *c, char *text, const char *title)
{
	struct cmdline *cl = c->cl;
	int n = 1;

	popup_clear(cl);
	cl->text = text;
	for (char *p = text; *p; p++)
		if (*p == '\n')
			n++;
	cl->lines = calloc((size_t)n, sizeof *cl->lines);
	if (!cl->lines)
		return;
	/* Blank lines stay: the output's own layout. */
	for (char *t = text; t && *t;) {
		char *nl = strchr(t, '\n');
		if (nl)
			*nl = '\0';
		for (char *q = t; *q; q++)
			if (*q == '\t')
				*q = ' ';
		cl->lines[cl->nlines++] = t;
		t = nl ? nl + 1 : NULL;
	}
	snprintf(cl->title, sizeof cl->title, "%s", title);
	cl->popup = true;
}

static bool one_line(const char *s)
{
	const char *nl = strchr(s, '\n');
	return !nl || nl[1] == '\0';
}

/* Shows a command's output (out and err, malloc'd, taken): one line in the
 * status line, more in the popup titled with the line. */
void cmdline_show(struct console *c, const char *line, int rc, char *out, size_t on, char *err,
		  size_t en)
{
	/* "warroom: " says nothing inside warroom. The commands escaped what
	 * they print; it is shown as is (not escaped twice). */
	const char *e = strncmp(err, "warroom: ", 9) == 0 ? err + 9 : err;
	if (!*e && one_line(out)) {
		out[strcspn(out, "\n")] = '\0';
		console_message_text(c, rc ? ROLE_ALERT : ROLE_OK, *out ? out : rc ? "failed" : "done");
		free(out);
	} else if (!*out && one_line(e)) {
		char *m = strdup(e);
		if (m) {
			m[strcspn(m, "\n")] = '\0';
			console_message_text(c, ROLE_ALERT, m);
		}
		free(m);
		free(out);
	} else {
		char *all = malloc(on + en + 2);
		char title[160];
		if (all) {
			snprintf(all, on + en + 2, "%s%s%s", out, *out && *e ? "\n" : "", e);
			snprintf(title, sizeof title, " :%.100s%s ", line, rc ? " (failed)" : "");
			char *t = wr_esc_term(title);
			popup_set(c, all, t ? t : " output ");
			free(t);
		}
		free(out);
	}
	free(err);
}

int cmdline_run(struct console *c, const char *line)
{
	struct wr_ctx *ctx = c->ctx;
	char *out = NULL, *err = NULL;
	size_t on = 0, en = 0;
	FILE *so = ctx->out, *se = ctx->err;
	int rc;

	const char *w = line + strspn(line, " \t");
	if (strncmp(w, "init", 4) == 0 && (w[4] == '\0' || w[4] == ' ')) {
		console_message(c, ROLE_ALERT, "init creates a new database: run it from a shell");
		return EXIT_USAGE;
	}
	/* A long command runs in a process of its own (background.c). */
	if (bg_wants(c, line))
		return bg_start(c, line);
	bool yes = ctx->yes; /* cmd_run clears it; a retry needs it again */
	if (c->db)
		wr_db_was_busy(c->db);
	FILE *of = open_memstream(&out, &on), *ef = open_memstream(&err, &en);
	if (!of || !ef) {
		if (of)
			fclose(of);
		if (ef)
			fclose(ef);
		free(out);
		free(err);
		console_message(c, ROLE_ALERT, "out of memory");
		return EXIT_FAIL;
	}
	ctx->out = of;
	ctx->err = ef;
	ctx->console = true;
	rc = cmd_run_line(ctx, line);
	ctx->console = false;
	ctx->out = so;
	ctx->err = se;
	fclose(of);
	fclose(ef);
	c->own_writes++;
	if (!ctx->db && cmd_db(ctx, 0) == 0) {
		c->db = ctx->db;
		wr_db_set_busy_timeout(c->db, CONSOLE_BUSY_MS);
	}
	if (rc != EXIT_OK && c->db && wr_db_was_busy(c->db)) {
		/* Another writer held the database past the console's short
		 * wait: nothing was written. Tried again on the ticks. */
		bg_wait_write(c, line, yes);
		free(out);
		free(err);
		return rc;
	}
	if (rc == EXIT_ASK && ctx->question) {
		/* The command asks first (confirm.c): y/N on the bottom row. */
		ask_line(c, ctx->question, line);
		free(ctx->question);
		ctx->question = NULL;
		free(out);
		free(err);
		return rc;
	}

	cmdline_show(c, line, rc, out, on, err, en);
	return rc;
}

/* ---- drawing ------------------------------------------------------------------ */

void cmdline_draw(struct console *c)
{
	struct cmdline *cl = c->cl;
	const struct lrect *r = &c->lay.cmdline;
	int w = r->w - 2, start = 0, col = 0;

	draw_fill(r->y, r->x, r->w, A_NORMAL);
	draw_text(c, r->y, r->x, 1, cl->kind == ':' ? ":" : "/", A_BOLD);
	/* Scroll so that the cursor stays on screen. */
	for (int i = 0; i < cl->cur; i++) {
		int cw = wcwidth(cl->buf[i]);
		col += cw > 0 ? cw : 0;
	}
	int scol = 0;
	while (col - scol >= w && start < cl->cur) {
		int cw = wcwidth(cl->buf[start++]);
		scol += cw > 0 ? cw : 0;
	}
	wchar_t vis[LINE_WC + 1];
	int n = cl->len - start;
	wmemcpy(vis, cl->buf + start, (size_t)n);
	vis[n] = L'\0';
	char mb[LINE_WC * 4 + 1];
	if (wcstombs(mb, vis, sizeof mb) == (size_t)-1)
		mb[0] = '\0';
	draw_text(c, r->y, r->x + 1, w + 1, mb, A_NORMAL);
	move(r->y, r->x + 1 + col - scol);
}

void popup_draw(struct console *c)
{
	struct cmdline *cl = c->cl;
	const struct lrect *b = &c->lay.body;
	int maxw = 0;

	for (int i = 0; i < cl->nlines; i++) {
		int w = text_width(cl->lines[i]);
		if (w > maxw)
			maxw = w;
	}
	struct lrect r;
	r.w = maxw + 4;
	if (r.w < 44)
		r.w = 44;
	if (r.w > b->w)
		r.w = b->w;
	r.h = cl->nlines + 3;
	if (r.h > b->h)
		r.h = b->h;
	r.x = b->x + (b->w - r.w) / 2;
	r.y = b->y + (b->h - r.h) / 2;
	cl->rows = r.h - 3;
	cl->maxw = maxw;
	cl->cols = r.w - 4;
	if (cl->top > cl->nlines - cl->rows)
		cl->top = cl->nlines - cl->rows;
	if (cl->top < 0)
		cl->top = 0;
	if (cl->left > maxw - cl->cols)
		cl->left = maxw - cl->cols;
	if (cl->left < 0)
		cl->left = 0;
	for (int y = r.y; y < r.y + r.h; y++)
		draw_fill(y, r.x, r.w, A_NORMAL);
	draw_box(c, &r, cl->title, true);
	/* Wide output (a table, a long subject) scrolls sideways, as less -S. */
	for (int i = 0; i < cl->rows && cl->top + i < cl->nlines; i++) {
		const char *line = cl->lines[cl->top + i];
		const char *from = line + text_fit(line, cl->left);
		draw_text(c, r.y + 1 + i, r.x + 2, r.w - 4, from, A_NORMAL);
	}
	char foot[128];
	snprintf(foot, sizeof foot, " %d/%d%s  Up/Down PgUp/PgDn%s scroll, Esc closes ",
		 cl->top + cl->rows < cl->nlines ? cl->top + cl->rows : cl->nlines, cl->nlines,
		 cl->left ? " >" : "", maxw > cl->cols ? " Left/Right" : "");
	draw_text(c, r.y + r.h - 2, r.x + 2, r.w - 4, foot, console_attr(c, ROLE_DIM));
}

void popup_key(struct console *c, int key)
{
	if (keys_popup(c, key))
		return;
	/* Any other key closes the output and acts as usual. */
	popup_clear(c->cl);
	console_key(c, key);
}

void pop_up(struct console *c, int key)
{
	(void)key;
	if (c->cl->top > 0)
		c->cl->top--;
}

void pop_down(struct console *c, int key)
{
	(void)key;
	if (c->cl->top + c->cl->rows < c->cl->nlines)
		c->cl->top++;
}

void pop_pgup(struct console *c, int key)
{
	(void)key;
	c->cl->top -= c->cl->rows > 1 ? c->cl->rows - 1 : 1;
	if (c->cl->top < 0)
		c->cl->top = 0;
}

void pop_pgdn(struct console *c, int key)
{
	(void)key;
	c->cl->top += c->cl->rows > 1 ? c->cl->rows - 1 : 1;
}

void pop_left(struct console *c, int key)
{
	(void)key;
	c->cl->left = c->cl->left > 8 ? c->cl->left - 8 : 0;
}

void pop_right(struct console *c, int key)
{
	(void)key;
	if (c->cl->left + c->cl->cols < c->cl->maxw)
		c->cl->left += 8;
}

void pop_close(struct console *c, int key)
{
	(void)key;
	popup_clear(c->cl);
}
