/*
 * scenario.c: tabletop exercise scenarios (data/scenarios/NAME.ini, read by
 * inih; the format is warroom-scenario(5)).
 *
 * A scenario is a real event in miniature or at scale: the reason and the
 * discovery, the affected population to generate, and the injects the
 * facilitator's clock fires, each with an effect the core applies
 * (core/inject.c) and expectations scored against what the database then
 * shows. This file reads and checks a scenario, strictly (a misspelt key
 * would silently change an exercise an auditor is shown), and copies it
 * into a fresh exercise database; the population itself is
 * core/population.c's. It never prints.
 *
 * inih reports keys, not section lines, and a continuation line as the
 * same key again. So the text is fed through a reader of our own that
 * counts lines, opens each [section] as it reads its header (an empty
 * section, a section repeated, are seen where they are) and tells a
 * continuation (an indented line) from a key given twice.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "population.h"

#define SCN_MAX_BYTES (1 << 20)
#define SCN_MAX_ITEMS 1000   /* injects, expectations, customers each */
#define SCN_MAX_COUNT 100000000LL
#define SCN_MAX_REAL 1000000LL

/* ---- the kinds of effect and expectation, and their parameters ---------- */

enum ptype {
	P_INT,	    /* a count, 1 .. SCN_MAX_COUNT */
	P_DUR,	    /* a duration: stored as seconds */
	P_TEXT,	    /* any text */
	P_REASON,   /* a code of core/rules.c */
	P_CUSTOMER, /* a [customer NAME] of the scenario */
	P_TEAM,	    /* a team of the plan */
};
struct pspec {
	const char *key;
	enum ptype type;
	bool required;
};
#define KIND_PARAMS 4
struct kspec {
	const char *name;
	struct pspec params[KIND_PARAMS];
};

/* Read by core/inject.c from inject.params and expectation.params, whose
 * JSON keys are these names; warroom-scenario(5) lists them. */
static const struct kspec effects[] = {
	{"more-certs", {{"count", P_INT, true}, {"customer", P_CUSTOMER, false}}},
	{"delay-request",
	 {{"customer", P_CUSTOMER, true}, {"rationale", P_TEXT, true}, {"for", P_DUR, true}}},
	{"smtp-down", {{"for", P_DUR, true}}},
	{"backend-down", {{"for", P_DUR, true}}},
	{"ocsp-lag", {{"for", P_DUR, true}, {"lag", P_DUR, true}}},
	{"reclassify", {{"reason", P_REASON, true}}},
	{"question", {{"from", P_TEXT, true}}},
	{"unavailable", {{"who", P_TEXT, true}, {"for", P_DUR, true}}},
};
static const struct kspec expects[] = {
	{"delay-decision", {{"customer", P_CUSTOMER, false}}},
	{"preliminary-report", {{NULL, 0, false}}},
	{"critical-notified", {{NULL, 0, false}}},
	{"task-done", {{"task", P_TEXT, true}, {"team", P_TEAM, false}}},
	{"manual", {{NULL, 0, false}}},
};

/* ---- the parsed scenario ----------------------------------------------- */

struct kv { /* a parameter as written, checked once its section is read */
	char *key, *value;
	int line;
};
struct kvs {
	struct kv *v;
	size_t n;
};
struct inject {
	char *id;
	int line;
	bool has_at;
	int64_t at;
	char *team; /* NULL: every team */
	int team_line;
	char *message;
	char *effect; /* NULL: a message only */
	int effect_line;
	struct kvs params;
	json_t *json; /* params, checked */
};
struct expect {
	char *id;
	int line;
	char *inject;
	int inject_line;
	char *kind;
	int kind_line;
	bool has_within;
	int64_t within;
	char *description;
	struct kvs params;
	json_t *json;
	char *team; /* task-done's team, checked against the database too */
	int team_line;
};
struct customer {
	struct wr_pop_customer c;
	char *name, *contact;
	int line;
};

struct wr_scenario {
	char *label; /* the file, or "NAME (built-in)", for FILE:LINE */
	char *id, *title, *based_on, *reason;
	int reason_line;
	bool has_discovered;
	int64_t discovered; /* seconds after the simulated start, <= 0 */
	bool declare;
	unsigned flags;
	double speed;
	bool has_count;
	struct wr_population pop;
	struct customer *customers;
	size_t ncustomers;
	struct inject *injects;
	size_t ninjects;
	struct expect *expects;
	size_t nexpects;
	char sha256[65];
	bool seen_scenario, seen_population;
};

/* ---- the parser's state --------------------------------------------------- */

enum sect { S_NONE, S_SCENARIO, S_POPULATION, S_INJECT, S_EXPECT, S_CUSTOMER };

struct parse {
	struct wr_scenario *sc;
	const char *p; /* the reader's position */
	int line;      /* the line last read */
	bool indented; /* it began with a blank: a continuation */
	enum sect sect;
	void *cur; /* the inject, expectation or customer being read */
	char prev_key[64];
	int prev_line;
	char err[512];
	int err_line;
	/* keys of the current section already given (a key twice is an error) */
	char seen[32][24];
	size_t nseen;
};

static int fail(struct parse *ps, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct parse *ps, int line, const char *fmt, ...)
{
	va_list ap;

	if (ps->err[0])
		return 0;
	va_start(ap, fmt);
	vsnprintf(ps->err, sizeof ps->err, fmt, ap);
	va_end(ap);
	ps->err_line = line;
	return 0;
}

static bool valid_id(const char *s)
{
	if (!*s || strlen(s) > 40)
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-'))
			return false;
	return true;
}

static void *grow(void **arr, size_t *n, size_t size)
{
	if (*n >= SCN_MAX_ITEMS)
		return NULL;
	char *m = realloc(*arr, (*n + 1) * size);
	if (!m)
		return NULL;
	*arr = m;
	memset(m + *n * size, 0, size);
	return m + (*n)++ * size;
}

/* Opens the section of a header line: "[scenario]", "[inject ID]"... */
static int open_section(struct parse *ps, const char *hdr)
{
	struct wr_scenario *sc = ps->sc;
	char name[256];
	const char *end = strchr(hdr, ']');
	size_t len;

	ps->sect = S_NONE;
	ps->cur = NULL;
	ps->nseen = 0;
	ps->prev_key[0] = '\0';
	if (!end)
		return 0; /* inih reports it */
	hdr++;
	while (*hdr == ' ' || *hdr == '\t')
		hdr++;
	len = (size_t)(end - hdr);
	while (len && (hdr[len - 1] == ' ' || hdr[len - 1] == '\t'))
		len--;
	if (len >= sizeof name)
		return fail(ps, ps->line, "section name too long");
	memcpy(name, hdr, len);
	name[len] = '\0';

	if (strcmp(name, "scenario") == 0 || strcmp(name, "population") == 0) {
		bool *seen = name[0] == 's' ? &sc->seen_scenario : &sc->seen_population;
		if (*seen)
			return fail(ps, ps->line, "[%s] given twice", name);
		*seen = true;
		ps->sect = name[0] == 's' ? S_SCENARIO : S_POPULATION;
		return 1;
	}
	const char *sp = strchr(name, ' ');
	const char *kind = name, *id = sp ? sp + 1 : "";
	size_t klen = sp ? (size_t)(sp - name) : len;
	while (*id == ' ' || *id == '\t')
		id++;
	if (klen == 8 && strncmp(kind, "customer", 8) == 0) {
		if (!*id)
			return fail(ps, ps->line, "[customer NAME] needs the customer's name");
		for (size_t i = 0; i < sc->ncustomers; i++)
			if (strcmp(sc->customers[i].name, id) == 0)
				return fail(ps, ps->line, "customer '%s' given twice (line %d)", id,
					    sc->customers[i].line);
		struct customer *c = grow((void **)&sc->customers, &sc->ncustomers, sizeof *c);
		if (!c || !(c->name = strdup(id)))
			return fail(ps, ps->line, "out of memory, or more than %d customers",
				    SCN_MAX_ITEMS);
		c->line = ps->line;
		c->c.name = c->name;
		ps->sect = S_CUSTOMER;
		ps->cur = c;
		return 1;
	}
	bool inj = klen == 6 && strncmp(kind, "inject", 6) == 0;
	bool exp = klen == 6 && strncmp(kind, "expect", 6) == 0;
	if (!inj && !exp)
		return fail(ps, ps->line,
			    "unknown section [%s] (expected [scenario], [population], [customer NAME],"
			    " [inject ID] or [expect ID])", name);
	if (!valid_id(id))
		return fail(ps, ps->line,
			    "%s id '%s' must be 1 to 40 lower-case letters, digits and '-'",
			    inj ? "inject" : "expectation", id);
	if (inj) {
		for (size_t i = 0; i < sc->ninjects; i++)
			if (strcmp(sc->injects[i].id, id) == 0)
				return fail(ps, ps->line, "duplicate inject id '%s' (line %d)", id,
					    sc->injects[i].line);
		struct inject *in = grow((void **)&sc->injects, &sc->ninjects, sizeof *in);
		if (!in || !(in->id = strdup(id)))
			return fail(ps, ps->line, "out of memory, or more than %d injects",
				    SCN_MAX_ITEMS);
		in->line = ps->line;
		ps->sect = S_INJECT;
		ps->cur = in;
	} else {
		for (size_t i = 0; i < sc->nexpects; i++)
			if (strcmp(sc->expects[i].id, id) == 0)
				return fail(ps, ps->line, "duplicate expectation id '%s' (line %d)", id,
					    sc->expects[i].line);
		struct expect *ex = grow((void **)&sc->expects, &sc->nexpects, sizeof *ex);
		if (!ex || !(ex->id = strdup(id)))
			return fail(ps, ps->line, "out of memory, or more than %d expectations",
				    SCN_MAX_ITEMS);
		ex->line = ps->line;
		ps->sect = S_EXPECT;
		ps->cur = ex;
	}
	return 1;
}

/* inih's line reader, over the text: counts lines, opens sections. */
static char *reader(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	const char *nl, *p = ps->p;
	size_t len;

	if (!*p || ps->err[0])
		return NULL;
	nl = strchr(p, '\n');
	len = nl ? (size_t)(nl - p) + 1 : strlen(p);
	ps->line++;
	if (num < 4 || len > (size_t)num - 2) {
		fail(ps, ps->line,
		     "line longer than %d bytes (continue a long text on indented lines)",
		     num > 4 ? num - 3 : 0);
		return NULL;
	}
	memcpy(str, p, len);
	str[len] = '\0';
	ps->p = p + len;
	ps->indented = str[0] == ' ' || str[0] == '\t';
	const char *s = str;
	if (ps->line == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3; /* a BOM, which inih skips too */
	while (*s == ' ' || *s == '\t')
		s++;
	/* A header; an indented one is a continuation of the value before. */
	if (*s == '[' && !(ps->indented && ps->prev_key[0]))
		open_section(ps, s);
	return str;
}

/* ---- values --------------------------------------------------------------- */

static int set_text(struct parse *ps, char **dst, const char *key, const char *value,
		    bool cont)
{
	if (cont && *dst) {
		/* A continuation line: the text goes on after a space. */
		size_t a = strlen(*dst), b = strlen(value);
		char *m = realloc(*dst, a + b + 2);
		if (!m)
			return fail(ps, ps->line, "out of memory");
		m[a] = ' ';
		memcpy(m + a + 1, value, b + 1);
		*dst = m;
		return 1;
	}
	if (!*value)
		return fail(ps, ps->line, "%s needs a value", key);
	free(*dst);
	if (!(*dst = strdup(value)))
		return fail(ps, ps->line, "out of memory");
	return 1;
}

static int parse_count(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*end || errno || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "5%", "0.05": a share, 0 to 1. */
static int parse_share(const char *s, double *out)
{
	char *end;
	double v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v))
		return -1;
	if (*end == '%' && !end[1])
		v /= 100;
	else if (*end)
		return -1;
	if (v < 0 || v > 1)
		return -1;
	*out = v;
	return 0;
}

/* "+2h30m", "-3h", "0": seconds after (or before) an instant. */
static int parse_offset(const char *s, int64_t *out)
{
	int sign = 1;

	if (strcmp(s, "0") == 0 || strcmp(s, "+0") == 0 || strcmp(s, "-0") == 0) {
		*out = 0;
		return 0;
	}
	if (*s == '-') {
		sign = -1;
		s++;
	} else if (*s == '+') {
		s++;
	}
	if (!isdigit((unsigned char)*s) || wr_duration_parse(s, out))
		return -1;
	*out *= sign;
	return 0;
}

static int parse_dur(const char *s, int64_t *out)
{
	if (!isdigit((unsigned char)*s) || wr_duration_parse(s, out) || *out <= 0)
		return -1;
	return 0;
}

/* "90d" or "398d:70% 90d:30%": lifetimes and their shares (summing to 1). */
static int parse_validity(struct parse *ps, const char *s, struct wr_population *p)
{
	char buf[512], *save = NULL;
	double sum = 0;
	bool bare = false;

	if (strlen(s) >= sizeof buf)
		return fail(ps, ps->line, "validity: too long");
	snprintf(buf, sizeof buf, "%s", s);
	p->nvalidity = 0;
	for (char *tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
		char *colon = strchr(tok, ':');
		struct wr_pop_validity v = {.weight = 1};
		if (colon)
			*colon = '\0';
		if (p->nvalidity == WR_POP_VALIDITY_MAX)
			return fail(ps, ps->line, "validity: at most %d lifetimes",
				    WR_POP_VALIDITY_MAX);
		if (parse_dur(tok, &v.secs) || v.secs < 3600 || v.secs > 5 * 366 * 86400LL)
			return fail(ps, ps->line,
				    "validity: bad lifetime '%s' (expected a duration from 1h to"
				    " 5 years, such as 90d)", tok);
		if (colon && parse_share(colon + 1, &v.weight))
			return fail(ps, ps->line,
				    "validity: bad share '%s' (expected a percentage such as 30%%)",
				    colon + 1);
		bare |= !colon;
		p->validity[p->nvalidity++] = v;
		sum += v.weight;
	}
	if (p->nvalidity == 0)
		return fail(ps, ps->line, "validity needs a value (such as 90d)");
	if (bare && p->nvalidity > 1)
		return fail(ps, ps->line,
			    "validity: give each lifetime its share (398d:70%% 90d:30%%)");
	if (fabs(sum - 1) > 0.001)
		return fail(ps, ps->line, "validity: the shares add up to %.4g%%, not 100%%",
			    sum * 100);
	return 1;
}

static int add_kv(struct parse *ps, struct kvs *kv, const char *key, const char *value,
		  bool cont)
{
	if (cont && kv->n && strcmp(kv->v[kv->n - 1].key, key) == 0)
		return set_text(ps, &kv->v[kv->n - 1].value, key, value, true);
	struct kv *m = realloc(kv->v, (kv->n + 1) * sizeof *m);
	if (!m)
		return fail(ps, ps->line, "out of memory");
	kv->v = m;
	m = &kv->v[kv->n];
	if (!(m->key = strdup(key)) || !(m->value = strdup(value))) {
		free(m->key);
		return fail(ps, ps->line, "out of memory");
	}
	m->line = ps->line;
	kv->n++;
	return 1;
}

/* ---- keys per section ------------------------------------------------------- */

static int key_scenario(struct parse *ps, const char *key, const char *value, bool cont)
{
	struct wr_scenario *sc = ps->sc;

	if (strcmp(key, "id") == 0) {
		if (!valid_id(value))
			return fail(ps, ps->line,
				    "id '%s' must be 1 to 40 lower-case letters, digits and '-'",
				    value);
		return set_text(ps, &sc->id, key, value, false);
	}
	if (strcmp(key, "title") == 0)
		return set_text(ps, &sc->title, key, value, cont);
	if (strcmp(key, "based_on") == 0)
		return set_text(ps, &sc->based_on, key, value, cont);
	if (strcmp(key, "reason") == 0) {
		if (!wr_reason_find(value))
			return fail(ps, ps->line, "unknown reason code '%s' (see 'warroom reasons')",
				    value);
		sc->reason_line = ps->line;
		return set_text(ps, &sc->reason, key, value, false);
	}
	if (strcmp(key, "discovered") == 0) {
		if (parse_offset(value, &sc->discovered) || sc->discovered > 0)
			return fail(ps, ps->line,
				    "bad discovered '%s' (expected when the CA learnt of it, before"
				    " the start: -2h, -1d6h, or 0)", value);
		sc->has_discovered = true;
		return 1;
	}
	if (strcmp(key, "declare") == 0) {
		int v = wr_critical_parse(value);
		if (v < 0)
			return fail(ps, ps->line, "declare: expected yes or no, not '%s'", value);
		sc->declare = v == WR_CRITICAL_YES;
		return 1;
	}
	if (strcmp(key, "criteria") == 0) {
		static const struct {
			const char *name;
			unsigned flag;
		} fl[] = {{"burden", WR_MRE_BURDEN},
			  {"compliance", WR_MRE_COMPLIANCE},
			  {"keyvuln", WR_MRE_KEYVULN},
			  {"cakey", WR_MRE_CAKEY}};
		char buf[256], *save = NULL;
		snprintf(buf, sizeof buf, "%s", value);
		sc->flags = 0;
		for (char *t = strtok_r(buf, " ,\t", &save); t; t = strtok_r(NULL, " ,\t", &save)) {
			size_t i;
			for (i = 0; i < NELEM(fl) && strcmp(fl[i].name, t); i++)
				;
			if (i == NELEM(fl))
				return fail(ps, ps->line,
					    "criteria: unknown '%s' (burden, compliance, keyvuln,"
					    " cakey)", t);
			sc->flags |= fl[i].flag;
		}
		return 1;
	}
	if (strcmp(key, "speed") == 0) {
		char *end;
		errno = 0;
		double v = strtod(value, &end);
		if (!isdigit((unsigned char)*value) || *end || errno || !isfinite(v) ||
		    v < WR_EXERCISE_SPEED_MIN || v > WR_EXERCISE_SPEED_MAX)
			return fail(ps, ps->line,
				    "bad speed '%s' (simulated seconds a real second, %g to %g)",
				    value, WR_EXERCISE_SPEED_MIN, WR_EXERCISE_SPEED_MAX);
		sc->speed = v;
		return 1;
	}
	return fail(ps, ps->line,
		    "unknown key '%s' in [scenario] (id, title, based_on, reason, discovered,"
		    " declare, criteria, speed)", key);
}

static int key_population(struct parse *ps, const char *key, const char *value)
{
	struct wr_population *p = &ps->sc->pop;
	int64_t v;

	static const struct {
		const char *key;
		int64_t min, max;
		size_t off;
	} counts[] = {
		{"count", 1, SCN_MAX_COUNT, offsetof(struct wr_population, count)},
		{"real", 0, SCN_MAX_REAL, offsetof(struct wr_population, real)},
		{"customers", 1, SCN_MAX_COUNT, offsetof(struct wr_population, customers)},
	};
	for (size_t i = 0; i < NELEM(counts); i++) {
		if (strcmp(key, counts[i].key) != 0)
			continue;
		if (parse_count(value, counts[i].min, counts[i].max, &v))
			return fail(ps, ps->line, "%s: expected a whole number from %lld to %lld,"
				    " not '%s'", key, (long long)counts[i].min,
				    (long long)counts[i].max, value);
		memcpy((char *)p + counts[i].off, &v, sizeof v);
		ps->sc->has_count |= i == 0;
		return 1;
	}
	if (strcmp(key, "critical") == 0 || strcmp(key, "expired") == 0) {
		if (parse_share(value, key[0] == 'c' ? &p->critical : &p->expired))
			return fail(ps, ps->line,
				    "%s: expected a share such as 5%% or 0.05, not '%s'", key, value);
		return 1;
	}
	if (strcmp(key, "validity") == 0)
		return parse_validity(ps, value, p);
	if (strcmp(key, "endpoints") == 0) {
		int64_t a, b;
		const char *dots = strstr(value, "..");
		char lo[32];
		if (dots && (size_t)(dots - value) < sizeof lo) {
			memcpy(lo, value, (size_t)(dots - value));
			lo[dots - value] = '\0';
		}
		if (dots ? (size_t)(dots - value) >= sizeof lo || parse_count(lo, 0, 16, &a) ||
				   parse_count(dots + 2, 1, 16, &b) || b < a
			 : parse_count(value, 0, 16, &a) || (b = a, false))
			return fail(ps, ps->line,
				    "endpoints: expected N or N..M endpoints per certificate (0 to"
				    " 16), not '%s'", value);
		p->endpoints_min = (int)a;
		p->endpoints_max = (int)b;
		return 1;
	}
	if (strcmp(key, "seed") == 0) {
		if (parse_count(value, 0, INT64_MAX, &v))
			return fail(ps, ps->line, "seed: expected a whole number, not '%s'", value);
		p->seed = (uint64_t)v;
		return 1;
	}
	return fail(ps, ps->line,
		    "unknown key '%s' in [population] (count, real, customers, critical, expired,"
		    " validity, endpoints, seed)", key);
}

static int key_customer(struct parse *ps, struct customer *c, const char *key,
			const char *value)
{
	if (strcmp(key, "critical") == 0) {
		int v = wr_critical_parse(value);
		if (v < 0)
			return fail(ps, ps->line, "critical: expected yes or no, not '%s'", value);
		c->c.critical = v == WR_CRITICAL_YES;
		return 1;
	}
	if (strcmp(key, "certs") == 0) {
		if (parse_count(value, 1, SCN_MAX_COUNT, &c->c.certs))
			return fail(ps, ps->line, "certs: expected a whole number from 1, not '%s'",
				    value);
		return 1;
	}
	if (strcmp(key, "contact") == 0) {
		char why[160];
		if (wr_contact_check(value, why, sizeof why))
			return fail(ps, ps->line, "contact: %s", why);
		if (set_text(ps, &c->contact, key, value, false))
			c->c.contact = c->contact;
		return !ps->err[0];
	}
	return fail(ps, ps->line, "unknown key '%s' in [customer %s] (critical, certs, contact)",
		    key, c->name);
}

static int key_inject(struct parse *ps, struct inject *in, const char *key, const char *value,
		      bool cont)
{
	if (strcmp(key, "at") == 0) {
		if (parse_offset(value, &in->at) || in->at < 0 || value[0] == '-')
			return fail(ps, ps->line,
				    "bad at '%s' (expected simulated time after the start, such as"
				    " +2h30m)", value);
		in->has_at = true;
		return 1;
	}
	if (strcmp(key, "team") == 0) {
		if (!valid_id(value))
			return fail(ps, ps->line, "bad team id '%s'", value);
		in->team_line = ps->line;
		return set_text(ps, &in->team, key, value, false);
	}
	if (strcmp(key, "message") == 0)
		return set_text(ps, &in->message, key, value, cont);
	if (strcmp(key, "effect") == 0) {
		in->effect_line = ps->line;
		return set_text(ps, &in->effect, key, value, false);
	}
	return add_kv(ps, &in->params, key, value, cont);
}

static int key_expect(struct parse *ps, struct expect *ex, const char *key, const char *value,
		      bool cont)
{
	if (strcmp(key, "inject") == 0) {
		ex->inject_line = ps->line;
		return set_text(ps, &ex->inject, key, value, false);
	}
	if (strcmp(key, "kind") == 0) {
		ex->kind_line = ps->line;
		return set_text(ps, &ex->kind, key, value, false);
	}
	if (strcmp(key, "within") == 0) {
		if (parse_dur(value, &ex->within))
			return fail(ps, ps->line,
				    "bad within '%s' (expected a duration after the inject, such as"
				    " 2h)", value);
		ex->has_within = true;
		return 1;
	}
	if (strcmp(key, "description") == 0)
		return set_text(ps, &ex->description, key, value, cont);
	return add_kv(ps, &ex->params, key, value, cont);
}

/* Text keys whose value may go on over indented lines. */
static bool continues(const char *key)
{
	static const char *const k[] = {"title", "based_on", "message", "description",
					"rationale", "task", "from", "who"};
	for (size_t i = 0; i < NELEM(k); i++)
		if (strcmp(k[i], key) == 0)
			return true;
	return false;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct parse *ps = user;
	bool cont;

	(void)section;
	if (ps->err[0])
		return 1; /* the first error is the one reported */
	cont = ps->indented && ps->prev_key[0] && strcmp(ps->prev_key, key) == 0 &&
	       ps->prev_line < ps->line;
	if (cont && !continues(key))
		return fail(ps, ps->line, "only a text (message, description, rationale...) goes"
				      " on over indented lines; '%s' is not one", key);
	if (!cont) {
		for (size_t i = 0; i < ps->nseen; i++)
			if (strcmp(ps->seen[i], key) == 0)
				return fail(ps, ps->line, "'%s' given twice in this section", key);
		if (ps->nseen < NELEM(ps->seen) && strlen(key) < sizeof ps->seen[0])
			snprintf(ps->seen[ps->nseen++], sizeof ps->seen[0], "%s", key);
		else
			return fail(ps, ps->line, "unknown key '%s'", key);
	}
	snprintf(ps->prev_key, sizeof ps->prev_key, "%s", key);
	ps->prev_line = ps->line;
	switch (ps->sect) {
	case S_SCENARIO: return key_scenario(ps, key, value, cont);
	case S_POPULATION: return key_population(ps, key, value);
	case S_CUSTOMER: return key_customer(ps, ps->cur, key, value);
	case S_INJECT: return key_inject(ps, ps->cur, key, value, cont);
	case S_EXPECT: return key_expect(ps, ps->cur, key, value, cont);
	case S_NONE: break;
	}
	return fail(ps, ps->line, "'%s' outside a section (a scenario begins with [scenario])",
		    key);
}

/* ---- checks after the whole file is read --------------------------------- */

static const struct kspec *kind_find(const struct kspec *k, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (strcmp(k[i].name, name) == 0)
			return &k[i];
	return NULL;
}

static void kind_names(const struct kspec *k, size_t n, char *buf, size_t sz)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && o < sz; i++)
		o += (size_t)snprintf(buf + o, sz - o, "%s%s", i ? ", " : "", k[i].name);
}

static const struct customer *customer_find(const struct wr_scenario *sc, const char *name)
{
	for (size_t i = 0; i < sc->ncustomers; i++)
		if (strcmp(sc->customers[i].name, name) == 0)
			return &sc->customers[i];
	return NULL;
}

/* The parameters of an effect or expectation into JSON, each checked. */
static int check_params(struct parse *ps, const struct kspec *k, const char *what,
			const char *id, const struct kvs *kv, int kind_line, json_t **out,
			const char **team, int *team_line)
{
	struct wr_scenario *sc = ps->sc;
	json_t *o = json_object();

	if (!o)
		return fail(ps, kind_line, "out of memory");
	*out = o;
	for (size_t i = 0; i < kv->n; i++) {
		const struct kv *p = &kv->v[i];
		const struct pspec *s = NULL;
		char names[160] = "";
		size_t on = 0;
		for (size_t j = 0; k && j < KIND_PARAMS && k->params[j].key; j++) {
			if (strcmp(k->params[j].key, p->key) == 0)
				s = &k->params[j];
			on += (size_t)snprintf(names + on, sizeof names - on, "%s%s",
					       j ? ", " : "", k->params[j].key);
		}
		if (!s)
			return fail(ps, p->line, "unknown key '%s' in [%s %s] (%s takes %s)", p->key,
				    what, id, k->name, names[0] ? names : "no parameter");
		json_t *v = NULL;
		int64_t n;
		switch (s->type) {
		case P_INT:
			if (parse_count(p->value, 1, SCN_MAX_COUNT, &n))
				return fail(ps, p->line, "%s: expected a whole number from 1, not '%s'",
					    p->key, p->value);
			v = json_integer((json_int_t)n);
			break;
		case P_DUR:
			if (parse_dur(p->value, &n))
				return fail(ps, p->line, "%s: expected a duration such as 4h, not '%s'",
					    p->key, p->value);
			v = json_integer((json_int_t)n);
			break;
		case P_REASON:
			if (!wr_reason_find(p->value))
				return fail(ps, p->line,
					    "unknown reason code '%s' (see 'warroom reasons')",
					    p->value);
			v = json_string(p->value);
			break;
		case P_CUSTOMER:
			if (!customer_find(sc, p->value))
				return fail(ps, p->line,
					    "unknown customer '%s' (name it in a [customer NAME]"
					    " section)", p->value);
			v = json_string(p->value);
			break;
		case P_TEAM:
			if (!valid_id(p->value))
				return fail(ps, p->line, "bad team id '%s'", p->value);
			*team = p->value;
			*team_line = p->line;
			v = json_string(p->value);
			break;
		case P_TEXT:
			v = json_string(p->value);
			break;
		}
		if (!v || json_object_set_new(o, p->key, v))
			return fail(ps, p->line, "%s: not valid UTF-8, or out of memory", p->key);
	}
	for (size_t j = 0; k && j < KIND_PARAMS && k->params[j].key; j++)
		if (k->params[j].required && !json_object_get(o, k->params[j].key))
			return fail(ps, kind_line, "[%s %s] %s needs %s", what, id, k->name,
				    k->params[j].key);
	return 1;
}

/* The teams of the built-in plan, which exercises run; apply checks the
 * database's own plan again. */
static int check_team(struct parse *ps, const struct wr_plan *plan, const char *team, int line)
{
	char names[512];
	size_t o = 0;

	if (!plan || !team)
		return 1;
	for (size_t i = 0; i < wr_plan_team_count(plan); i++) {
		const struct wr_plan_team *t = wr_plan_team_at(plan, i);
		if (strcmp(t->id, team) == 0)
			return 1;
		if (o < sizeof names)
			o += (size_t)snprintf(names + o, sizeof names - o, "%s%s", i ? ", " : "",
					      t->id);
	}
	return fail(ps, line, "unknown team '%s' (the plan's teams: %s)", team, names);
}

static int check(struct parse *ps)
{
	struct wr_scenario *sc = ps->sc;
	struct wr_population *p = &sc->pop;
	struct wr_plan *plan = NULL;
	char err[256], names[256];

	if (!sc->seen_scenario)
		return fail(ps, 1, "no [scenario] section");
	if (!sc->title)
		return fail(ps, 1, "[scenario] needs a title");
	if (!sc->reason)
		return fail(ps, 1, "[scenario] needs a reason (a code of 'warroom reasons')");
	if (!sc->has_discovered)
		return fail(ps, 1, "[scenario] needs discovered (such as -2h: before the start)");
	if (!sc->seen_population || !sc->has_count)
		return fail(ps, 1, "[population] needs count");
	if (p->real > p->count)
		return fail(ps, 1, "[population] real (%lld) is more than count (%lld)",
			    (long long)p->real, (long long)p->count);
	int64_t named = 0;
	for (size_t i = 0; i < sc->ncustomers; i++) {
		if (!sc->customers[i].c.certs)
			return fail(ps, sc->customers[i].line, "[customer %s] needs certs",
				    sc->customers[i].name);
		named += sc->customers[i].c.certs;
	}
	if (!p->customers)
		p->customers = sc->ncustomers ? (int64_t)sc->ncustomers : 1;
	if (p->customers < (int64_t)sc->ncustomers)
		return fail(ps, 1, "[population] customers (%lld) is fewer than the %zu named",
			    (long long)p->customers, sc->ncustomers);
	if (p->customers > p->count)
		return fail(ps, 1, "[population] customers (%lld) is more than count (%lld)",
			    (long long)p->customers, (long long)p->count);
	/* The unnamed customers need a certificate each. */
	if (named + (p->customers - (int64_t)sc->ncustomers) > p->count)
		return fail(ps, 1, "[population] count (%lld) is too small for the named"
			    " customers' %lld certificates and the other customers",
			    (long long)p->count, (long long)named);
	if (!p->nvalidity) {
		p->validity[0] = (struct wr_pop_validity){90 * 86400LL, 1};
		p->nvalidity = 1;
	}
	p->named = NULL; /* set by wr_scenario_apply: the array may still move */

	if (wr_plan_load(NULL, &plan, err, sizeof err) != 0)
		plan = NULL;
	for (size_t i = 0; i < sc->ninjects && !ps->err[0]; i++) {
		struct inject *in = &sc->injects[i];
		const struct kspec *k = NULL;
		const char *team = NULL;
		int tl = 0;
		if (!in->message) {
			fail(ps, in->line, "[inject %s] needs a message", in->id);
			break;
		}
		if (!check_team(ps, plan, in->team, in->team_line))
			break;
		if (in->effect && !(k = kind_find(effects, NELEM(effects), in->effect))) {
			kind_names(effects, NELEM(effects), names, sizeof names);
			fail(ps, in->effect_line, "unknown effect '%s' (%s)", in->effect, names);
			break;
		}
		if (!k && in->params.n) {
			fail(ps, in->params.v[0].line,
			     "unknown key '%s' in [inject %s] (at, team, message, effect, and the"
			     " effect's parameters)", in->params.v[0].key, in->id);
			break;
		}
		if (k && !check_params(ps, k, "inject", in->id, &in->params, in->effect_line,
				       &in->json, &team, &tl))
			break;
	}
	for (size_t i = 0; i < sc->nexpects && !ps->err[0]; i++) {
		struct expect *ex = &sc->expects[i];
		const struct kspec *k;
		size_t j;
		if (!ex->inject) {
			fail(ps, ex->line, "[expect %s] needs inject (the inject it follows)", ex->id);
			break;
		}
		for (j = 0; j < sc->ninjects && strcmp(sc->injects[j].id, ex->inject); j++)
			;
		if (j == sc->ninjects) {
			fail(ps, ex->inject_line, "unknown inject '%s'", ex->inject);
			break;
		}
		if (!ex->kind) {
			fail(ps, ex->line, "[expect %s] needs kind", ex->id);
			break;
		}
		if (!(k = kind_find(expects, NELEM(expects), ex->kind))) {
			kind_names(expects, NELEM(expects), names, sizeof names);
			fail(ps, ex->kind_line, "unknown expectation kind '%s' (%s)", ex->kind, names);
			break;
		}
		if (!ex->has_within) {
			fail(ps, ex->line, "[expect %s] needs within (such as 2h)", ex->id);
			break;
		}
		if (!ex->description) {
			fail(ps, ex->line, "[expect %s] needs a description", ex->id);
			break;
		}
		const char *team = NULL;
		if (!check_params(ps, k, "expect", ex->id, &ex->params, ex->kind_line, &ex->json,
				  &team, &ex->team_line))
			break;
		if (team) {
			if (!(ex->team = strdup(team))) {
				fail(ps, ex->line, "out of memory");
				break;
			}
			if (!check_team(ps, plan, ex->team, ex->team_line))
				break;
		}
		/* The scenario's name of the expectation: expectation.id is a
		 * number. */
		json_object_set_new(ex->json, "name", json_string(ex->id));
	}
	wr_plan_free(plan);
	return !ps->err[0];
}

/* ---- loading ---------------------------------------------------------------- */

static void kvs_free(struct kvs *kv)
{
	for (size_t i = 0; i < kv->n; i++)
		free(kv->v[i].key), free(kv->v[i].value);
	free(kv->v);
}

void wr_scenario_free(struct wr_scenario *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->ninjects; i++) {
		struct inject *in = &sc->injects[i];
		free(in->id), free(in->team), free(in->message), free(in->effect);
		kvs_free(&in->params);
		json_decref(in->json);
	}
	for (size_t i = 0; i < sc->nexpects; i++) {
		struct expect *ex = &sc->expects[i];
		free(ex->id), free(ex->inject), free(ex->kind), free(ex->description);
		free(ex->team);
		kvs_free(&ex->params);
		json_decref(ex->json);
	}
	for (size_t i = 0; i < sc->ncustomers; i++)
		free(sc->customers[i].name), free(sc->customers[i].contact);
	free(sc->injects);
	free(sc->expects);
	free(sc->customers);
	free(sc->label), free(sc->id), free(sc->title), free(sc->based_on), free(sc->reason);
	free(sc);
}

/* The built-in scenarios (build/embedded.c, from data/scenarios/). */
struct wr_builtin {
	const char *name, *text;
};
extern const struct wr_builtin wr_scenario_builtin[];

static char *slurp(const char *path, size_t *len, char *err, size_t errsz)
{
	FILE *f = wr_fopen_user(path, "rb");
	char *buf;
	size_t n;

	if (!f) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (!(buf = malloc(SCN_MAX_BYTES + 1))) {
		fclose(f);
		snprintf(err, errsz, "%s: out of memory", path);
		return NULL;
	}
	n = fread(buf, 1, SCN_MAX_BYTES + 1, f);
	bool bad = ferror(f);
	fclose(f);
	if (bad || n > SCN_MAX_BYTES) {
		snprintf(err, errsz, "%s: %s", path,
			 bad ? "cannot read it" : "larger than 1 MiB: not a scenario");
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Parses text (len bytes) labelled label; the work of wr_scenario_load
 * once the text is in hand (the fuzz target calls it through the load of
 * a file). */
static int load_text(const char *text, size_t len, const char *label, const char *stem,
		     struct wr_scenario **out, char *err, size_t errsz)
{
	struct wr_scenario *sc = calloc(1, sizeof *sc);
	struct parse ps = {.sc = sc, .p = text};
	unsigned char md[32];
	const char *nul = memchr(text, '\0', len);

	*out = NULL;
	if (!sc || !(sc->label = strdup(label))) {
		free(sc);
		snprintf(err, errsz, "%s: out of memory", label);
		return WR_ENOMEM;
	}
	sc->speed = 1;
	if (!EVP_Digest(text, len, md, NULL, EVP_sha256(), NULL)) {
		wr_scenario_free(sc);
		snprintf(err, errsz, "%s: cannot hash it", label);
		return WR_ENOMEM;
	}
	wr_hex(md, 32, sc->sha256);
	if (nul) {
		int line = 1;
		for (const char *q = text; q < nul; q++)
			line += *q == '\n';
		fail(&ps, line, "a NUL byte: not a text file");
	}
	int line = nul ? 0 : ini_parse_stream(reader, &ps, handler, &ps);
	if (!ps.err[0] && line > 0)
		fail(&ps, line, "expected '[section]' or 'key = value'");
	else if (ps.err[0] && line > 0 && line < ps.err_line)
		snprintf(ps.err, sizeof ps.err, "expected '[section]' or 'key = value'"),
			ps.err_line = line;
	if (!ps.err[0])
		check(&ps);
	if (ps.err[0]) {
		snprintf(err, errsz, "%s:%d: %s", label, ps.err_line, ps.err);
		wr_scenario_free(sc);
		return WR_EINVAL;
	}
	if (!sc->id && !(sc->id = strdup(valid_id(stem) ? stem : "scenario"))) {
		wr_scenario_free(sc);
		snprintf(err, errsz, "%s: out of memory", label);
		return WR_ENOMEM;
	}
	if (!sc->pop.seed) /* the same population every time it runs */
		for (const char *q = sc->id; *q; q++)
			sc->pop.seed = sc->pop.seed * 1099511628211ULL ^ (unsigned char)*q;
	*out = sc;
	return 0;
}

int wr_scenario_load(const char *name_or_path, struct wr_scenario **out, char *err,
		     size_t errsz)
{
	const char *s = name_or_path ? name_or_path : "";
	char stem[64], label[128];
	const char *base = strrchr(s, '/');
	size_t len;
	int rc;

	*out = NULL;
	base = base ? base + 1 : s;
	len = strcspn(base, ".");
	snprintf(stem, sizeof stem, "%.*s", (int)(len < sizeof stem ? len : sizeof stem - 1),
		 base);
	/* A bare name is a built-in scenario; anything with a slash or a
	 * .ini suffix, a file. */
	if (!strchr(s, '/') && !strstr(s, ".ini")) {
		for (const struct wr_builtin *b = wr_scenario_builtin; b->name; b++) {
			if (strcmp(b->name, s) != 0)
				continue;
			snprintf(label, sizeof label, "%s.ini (built-in)", b->name);
			return load_text(b->text, strlen(b->text), label, b->name, out, err, errsz);
		}
		char names[512];
		size_t o = 0;
		struct wr_suggest sg;
		wr_suggest_init(&sg, s);
		for (const struct wr_builtin *b = wr_scenario_builtin; b->name; b++) {
			wr_suggest_add(&sg, b->name);
			if (o < sizeof names)
				o += (size_t)snprintf(names + o, sizeof names - o, "%s%s",
						      o ? ", " : "", b->name);
		}
		const char *best = wr_suggest_best(&sg);
		snprintf(err, errsz, "no built-in scenario '%s'%s%s%s (built-in: %s; or give a"
			 " file's path)", s, best ? ": did you mean '" : "", best ? best : "",
			 best ? "'?" : "", names);
		return WR_EINVAL; /* a word that names no scenario: a usage error */
	}
	char *text = slurp(s, &len, err, errsz);
	if (!text)
		return WR_EIO;
	rc = load_text(text, len, s, stem, out, err, errsz);
	free(text);
	return rc;
}

const char *wr_scenario_builtin_name(size_t i)
{
	for (size_t n = 0; wr_scenario_builtin[n].name; n++)
		if (n == i)
			return wr_scenario_builtin[n].name;
	return NULL;
}

void wr_scenario_info(const struct wr_scenario *sc, struct wr_scenario_info *out)
{
	const struct wr_population *p = &sc->pop;
	int64_t crit = (int64_t)((double)p->customers * p->critical + 0.5), named_crit = 0;

	for (size_t i = 0; i < sc->ncustomers; i++)
		named_crit += sc->customers[i].c.critical;
	*out = (struct wr_scenario_info){
		.id = sc->id, .title = sc->title, .based_on = sc->based_on ? sc->based_on : "",
		.reason = sc->reason, .discovered = sc->discovered, .declare = sc->declare,
		.speed = sc->speed, .count = p->count, .real = p->real, .customers = p->customers,
		.named = (int64_t)sc->ncustomers,
		/* as population.c deals them: the share, or the named ones if more */
		.critical_customers = crit > named_crit ? crit : named_crit,
		.expired = (int64_t)((double)p->count * p->expired + 0.5),
		.injects = sc->ninjects, .expectations = sc->nexpects};
}

const char *wr_scenario_id(const struct wr_scenario *sc) { return sc->id; }
const char *wr_scenario_title(const struct wr_scenario *sc) { return sc->title; }
const char *wr_scenario_sha256(const struct wr_scenario *sc) { return sc->sha256; }
double wr_scenario_speed(const struct wr_scenario *sc) { return sc->speed; }

/* ---- applying ------------------------------------------------------------------ */

static int team_known(struct wr_db *db, const struct wr_scenario *sc, const char *team,
		      int line)
{
	int64_t n = 0;
	sqlite3_stmt *st;
	int rc;

	if (!team)
		return 0;
	if ((rc = wr_prepare(db, "SELECT count(*) FROM team WHERE id = ?", &st)))
		return rc;
	sqlite3_bind_text(st, 1, team, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (!n)
		return wr_err(db, WR_EINVAL, "%s:%d: unknown team '%s' (not a team of the"
			      " exercise's plan)", sc->label, line, team);
	return 0;
}

static int put_injects(struct wr_db *db, const struct wr_scenario *sc)
{
	sqlite3_stmt *ins = NULL, *exq = NULL;
	int rc;

	if ((rc = wr_prepare(db, "INSERT INTO inject(id, at_offset, team, message, effect,"
				 " params, position) VALUES (?, ?, ?, ?, ?, ?, ?)", &ins)) ||
	    (rc = wr_prepare(db, "INSERT INTO expectation(inject_id, kind, params, within,"
				 " description) VALUES (?, ?, json(?), ?, ?)", &exq)))
		goto out;
	for (size_t i = 0; i < sc->ninjects; i++) {
		const struct inject *in = &sc->injects[i];
		char *js = in->json ? json_dumps(in->json, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		if ((rc = team_known(db, sc, in->team, in->team_line))) {
			free(js);
			goto out;
		}
		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, in->id, -1, SQLITE_STATIC);
		if (in->has_at)
			sqlite3_bind_int64(ins, 2, in->at);
		else
			sqlite3_bind_null(ins, 2);
		sqlite3_bind_text(ins, 3, in->team, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, in->message, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 5, in->effect, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 6, js, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins, 7, (int64_t)i + 1);
		rc = sqlite3_step(ins) == SQLITE_DONE ? 0 : wr_err_sq(db, "adding an inject");
		free(js);
		if (rc)
			goto out;
	}
	for (size_t i = 0; i < sc->nexpects; i++) {
		const struct expect *ex = &sc->expects[i];
		char *js = json_dumps(ex->json, JSON_COMPACT | JSON_SORT_KEYS);
		if (!js) {
			rc = wr_err(db, WR_ENOMEM, "out of memory");
			goto out;
		}
		if ((rc = team_known(db, sc, ex->team, ex->team_line))) {
			free(js);
			goto out;
		}
		sqlite3_reset(exq);
		sqlite3_bind_text(exq, 1, ex->inject, -1, SQLITE_STATIC);
		sqlite3_bind_text(exq, 2, ex->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(exq, 3, js, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(exq, 4, ex->within);
		sqlite3_bind_text(exq, 5, ex->description, -1, SQLITE_STATIC);
		rc = sqlite3_step(exq) == SQLITE_DONE ? 0 : wr_err_sq(db, "adding an expectation");
		free(js);
		if (rc)
			goto out;
	}
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(exq);
	return rc;
}

/* The reason and discovery; declared when the scenario says so, else
 * only recorded, so that the deadline runs from the discovery while the
 * participants assess (the BRs' clock starts when the CA learns of it). */
static int put_incident(struct wr_db *db, const struct wr_scenario *sc, int64_t now)
{
	const struct wr_reason *r = wr_reason_find(sc->reason);
	int64_t discovered = now + sc->discovered;
	sqlite3_stmt *st;
	char t[WR_TIME_BUFSZ];
	int rc;

	if (sc->declare) {
		struct wr_mre_criterion crit[WR_MRE_CRITERIA];
		return wr_incident_declare_unchecked(db, sc->reason, discovered, sc->flags,
						     "declared by the scenario", crit);
	}
	if ((rc = wr_tx_begin(db)))
		return rc;
	/* The MRE criteria are the participants' to judge: none flagged. */
	if ((rc = wr_prepare(db, "UPDATE incident SET reason = ?, crl_reason = ?, discovered = ?"
				 " WHERE id = 1 AND state = 'assessing'", &st)))
		goto fail;
	sqlite3_bind_text(st, 1, r->code, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, r->crl_reason);
	sqlite3_bind_int64(st, 3, discovered);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "recording the discovery");
	if (!rc && sqlite3_changes(db->sq) != 1)
		rc = wr_err(db, WR_ESTATE, "the exercise's incident is not being assessed");
	sqlite3_finalize(st);
	if (rc)
		goto fail;
	if ((rc = wr_event_add_json(db, "scenario-discovered",
				    json_pack("{s:s, s:s}", "reason", r->code, "discovered",
					      wr_time_format(discovered, t)))))
		goto fail;
	return wr_tx_commit(db);
fail:
	wr_tx_rollback(db);
	return rc;
}

int wr_scenario_apply(struct wr_db *db, const struct wr_scenario *sc, const char *ca_dir)
{
	struct wr_population pop = sc->pop;
	struct wr_pop_customer *named = NULL;
	int64_t now = wr_clock_now(db);
	int rc;

	if (!wr_exercise_active(db))
		return wr_err(db, WR_ESTATE, "not an exercise database: a scenario fills only a"
			      " fresh exercise (warroom exercise start)");
	/* The teams first: nothing is written for a scenario the plan cannot run. */
	for (size_t i = 0; i < sc->ninjects; i++)
		if ((rc = team_known(db, sc, sc->injects[i].team, sc->injects[i].team_line)))
			return rc;
	for (size_t i = 0; i < sc->nexpects; i++)
		if ((rc = team_known(db, sc, sc->expects[i].team, sc->expects[i].team_line)))
			return rc;
	if (sc->ncustomers && !(named = calloc(sc->ncustomers, sizeof *named)))
		return wr_err(db, WR_ENOMEM, "out of memory");
	for (size_t i = 0; i < sc->ncustomers; i++)
		named[i] = sc->customers[i].c;
	pop.named = named;
	pop.nnamed = sc->ncustomers;
	if ((rc = wr_population_ca(db, ca_dir, now)) ||
	    (rc = wr_population_fill(db, &pop, ca_dir, now)) ||
	    (rc = put_incident(db, sc, now)))
		goto out;
	if ((rc = wr_tx_begin(db)))
		goto out;
	if ((rc = put_injects(db, sc))) {
		wr_tx_rollback(db);
		goto out;
	}
	rc = wr_tx_commit(db);
out:
	free(named);
	return rc;
}
