/*
 * pane-customers.c: the customers furthest behind, at the foot of the
 * Customer Relations and Replacement teams' task lists (pane-team.c).
 *
 *   Customer Relations: customer, certificates, notified, acknowledged;
 *     critical customers first, then those that have not acknowledged,
 *     the largest share not notified (WR_CUSTOMERS_UNACKNOWLEDGED).
 *   Replacement: customer, certificates, replacements issued, deployed,
 *     unreachable; critical first, then the largest share outstanding
 *     (WR_CUSTOMERS_BEHIND, as `warroom customers`).
 *
 * Each frame reads only the rows it shows, from the figures the core
 * keeps per customer (wr_customer_top, core/tally.c; the handle gives the
 * last answer again while nothing changed): no copy is kept here, and no
 * certificate is counted. Customer names come from the
 * customer list, which anyone could have written: drawn with draw_db.
 * A critical customer's name is marked '*'; one that is done (all
 * acknowledged; nothing outstanding) is dimmed.
 */
#include <stdlib.h>
#include <string.h>

#include "console.h"

#define MAX_ROWS 64
#define NCOLS 4

struct team_view {
	const char *team;
	enum wr_customer_order order;
	int ncols;
	const char *label[NCOLS][2]; /* long, short */
};

static const struct team_view views[] = {
	{"customer-relations",
	 WR_CUSTOMERS_UNACKNOWLEDGED,
	 3,
	 {{"certs", "crt"}, {"notified", "ntf"}, {"acked", "ack"}}},
	{"replacement",
	 WR_CUSTOMERS_BEHIND,
	 4,
	 {{"certs", "crt"}, {"issued", "iss"}, {"deployed", "dep"}, {"unreachable", "unr"}}},
};

struct row {
	char *name;
	bool critical, done;
	int64_t v[NCOLS];
	bool ack; /* Customer Relations' third column says yes or - */
};

struct rows {
	const struct team_view *tv;
	struct row r[MAX_ROWS];
	int n, max;
};

static int collect(const struct wr_customer *cu, void *arg)
{
	struct rows *rs = arg;

	if (rs->n >= rs->max)
		return 1;
	struct row *r = &rs->r[rs->n];
	if (!(r->name = strdup(cu->name ? cu->name : "")))
		return 1;
	r->critical = cu->critical;
	r->v[0] = cu->certificates;
	if (rs->tv->order == WR_CUSTOMERS_UNACKNOWLEDGED) {
		r->v[1] = cu->notified;
		r->ack = cu->acknowledged_at != 0;
		r->done = r->ack;
	} else {
		r->v[1] = cu->issued;
		r->v[2] = cu->deployed;
		r->v[3] = cu->unreachable;
		r->done = cu->outstanding == 0;
	}
	rs->n++;
	return 0;
}

static int digits(int64_t v)
{
	int n = v < 0 ? 2 : 1;
	for (v = v < 0 ? -v : v; v >= 10; v /= 10)
		n++;
	return n;
}

int pane_customers_draw(struct console *c, const char *team, const struct lrect *r, int rows)
{
	const struct team_view *tv = NULL;

	for (size_t i = 0; i < sizeof views / sizeof views[0]; i++)
		if (strcmp(views[i].team, team) == 0)
			tv = &views[i];
	/* Half the list at most (the tasks come first), a heading and two
	 * customers at least. */
	int take = rows / 2;
	if (!tv || take < 3 || r->w < 24)
		return 0;
	if (take - 1 > MAX_ROWS)
		take = MAX_ROWS + 1;

	struct rows rs = {.tv = tv, .max = take - 1};
	bool stale = false;
	int rc = wr_customer_top(c->db, c->frame_now, tv->order, rs.max, collect, &rs, &stale);
	if (rc < 0 || rs.n == 0) {
		for (int i = 0; i < rs.n; i++)
			free(rs.r[i].name);
		return 0; /* no customer list yet: the tasks keep every row */
	}

	/* The columns: as wide as their label or their widest figure. */
	int x = r->x + 1, w = r->w - 2, y = r->y + 1 + rows - (rs.n + 1);
	int cw[NCOLS] = {0}, total = 0, use_short = 0;
	for (int pass = 0; pass < 2; pass++) {
		total = 0;
		for (int k = 0; k < tv->ncols; k++) {
			cw[k] = (int)strlen(tv->label[k][pass]);
			for (int i = 0; i < rs.n; i++) {
				int d = tv->order == WR_CUSTOMERS_UNACKNOWLEDGED && k == 2
						? 3
						: digits(rs.r[i].v[k]);
				cw[k] = d > cw[k] ? d : cw[k];
			}
			total += cw[k] + 1;
		}
		use_short = pass;
		if (w - total >= 14)
			break;
	}
	int name_w = w - total - 1; /* the flag column, then the name */
	if (name_w < 4) {
		for (int i = 0; i < rs.n; i++)
			free(rs.r[i].name);
		return 0;
	}

	/* The heading, a rule as the other sections of a team's pane have:
	 * what the list is, and the columns' labels. */
	attr_t ha = console_attr(c, ROLE_TITLE), dim = console_attr(c, ROLE_DIM);
	for (int i = 0; i < w; i++)
		draw_text(c, y, x + i, 1, glyph_hline(c), dim);
	const char *title = stale ? " Customers (figures stale) " : " Customers behind ";
	if (text_width(title) > name_w - 1)
		title = stale ? " Stale " : " Customers ";
	draw_text(c, y, x + 1, name_w - 1, title, stale ? console_attr(c, ROLE_WARN) : ha);
	for (int k = 0, cx = x + 1 + name_w; k < tv->ncols; k++) {
		char b[24];
		snprintf(b, sizeof b, "%*s", cw[k] + 1, tv->label[k][use_short]);
		draw_text(c, y, cx, cw[k] + 1, b, ha);
		cx += cw[k] + 1;
	}
	for (int i = 0; i < rs.n; i++) {
		const struct row *rw = &rs.r[i];
		int yy = y + 1 + i, cx = x + 1 + name_w;
		attr_t a = rw->done ? console_attr(c, ROLE_DIM) : A_NORMAL;
		draw_fill(yy, x, w, A_NORMAL);
		/* '*' says critical without colour too. */
		if (rw->critical)
			draw_text(c, yy, x, 1, "*", console_attr(c, ROLE_WARN));
		draw_db(c, yy, x + 1, name_w, rw->name, a);
		for (int k = 0; k < tv->ncols; k++) {
			char b[32];
			if (tv->order == WR_CUSTOMERS_UNACKNOWLEDGED && k == 2)
				snprintf(b, sizeof b, "%*s", cw[k] + 1, rw->ack ? "yes" : "-");
			else
				snprintf(b, sizeof b, "%*lld", cw[k] + 1, (long long)rw->v[k]);
			/* Unreachable endpoints are Replacement's to chase. */
			attr_t va = k == 3 && rw->v[k] ? console_attr(c, ROLE_WARN) : a;
			draw_text(c, yy, cx, cw[k] + 1, b, va);
			cx += cw[k] + 1;
		}
		free(rs.r[i].name);
	}
	return rs.n + 1;
}
