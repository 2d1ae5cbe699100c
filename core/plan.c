/*
 * plan.c: the mass revocation plan as data (data/plan.ini, read by inih).
 *
 * A plan names its teams in display order and their tasks per phase, each
 * with an optional due time relative to discovery or to the deadline. The
 * file's SHA-256 identifies the plan version that ran. This file only
 * reads and checks plans; incident.c copies one into a database.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct wr_plan {
	char *name, *version;
	char sha256[65];
	struct wr_plan_team *teams;
	size_t nteams;
	struct wr_plan_task *tasks;
	size_t ntasks;
	char err[256];
};

static bool valid_id(const char *s)
{
	if (!*s || strlen(s) > 40)
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-'))
			return false;
	return true;
}

static struct wr_plan_team *team_find(struct wr_plan *p, const char *id)
{
	for (size_t i = 0; i < p->nteams; i++)
		if (strcmp(p->teams[i].id, id) == 0)
			return &p->teams[i];
	return NULL;
}

/* "+4h Title", "deadline-2h Title", "deadline Title" or "Title". */
static int parse_task(struct wr_plan *p, struct wr_plan_task *t, const char *v)
{
	const char *sp = strchr(v, ' ');
	char spec[32];

	t->due_anchor = NULL;
	t->due_offset = 0;
	/* A value that is only a due time ("+4h") has no title: the end of
	 * the string stands for the space. */
	if (!sp && (v[0] == '+' || strncmp(v, "deadline", 8) == 0))
		sp = v + strlen(v);
	if (sp && (size_t)(sp - v) < sizeof spec &&
	    (v[0] == '+' || strncmp(v, "deadline", 8) == 0)) {
		memcpy(spec, v, (size_t)(sp - v));
		spec[sp - v] = '\0';
		if (spec[0] == '+') {
			if (wr_duration_parse(spec, &t->due_offset)) {
				snprintf(p->err, sizeof p->err,
					 "bad due time '%s' (expected +DURATION such as +4h)", spec);
				return -1;
			}
			t->due_anchor = "discovery";
		} else if (strcmp(spec, "deadline") == 0) {
			t->due_anchor = "deadline";
		} else if (spec[8] == '-' && wr_duration_parse(spec + 9, &t->due_offset) == 0) {
			t->due_offset = -t->due_offset;
			t->due_anchor = "deadline";
		} else {
			snprintf(p->err, sizeof p->err,
				 "bad due time '%s' (expected deadline or deadline-DURATION)", spec);
			return -1;
		}
		v = *sp ? sp + 1 : sp;
		while (*v == ' ')
			v++;
	}
	if (!*v) {
		snprintf(p->err, sizeof p->err, "a task needs a title");
		return -1;
	}
	t->title = strdup(v);
	return t->title ? 0 : -1;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct wr_plan *p = user;

	if (p->err[0])
		return 0;
	if (strcmp(section, "plan") == 0) {
		if (!key)
			return 1;
		char **dst = strcmp(key, "name") == 0 ? &p->name
			   : strcmp(key, "version") == 0 ? &p->version : NULL;
		if (!dst) {
			snprintf(p->err, sizeof p->err, "unknown key '%s' in [plan] (name, version)", key);
			return 0;
		}
		if (!*value) {
			snprintf(p->err, sizeof p->err, "[plan] %s needs a value", key);
			return 0;
		}
		free(*dst);
		*dst = strdup(value);
		return *dst != NULL;
	}
	if (strncmp(section, "team ", 5) != 0) {
		snprintf(p->err, sizeof p->err, "unknown section [%s] (expected [plan] or [team ID])",
			 section);
		return 0;
	}
	const char *id = section + 5;
	if (!valid_id(id)) {
		snprintf(p->err, sizeof p->err,
			 "team id '%s' must be lower-case letters, digits and '-'", id);
		return 0;
	}
	/* inih reports keys, not section lines: a team begins at its first key. */
	struct wr_plan_team *team = team_find(p, id);
	if (!key)
		return 1;
	if (!team) {
		struct wr_plan_team *nt = realloc(p->teams, (p->nteams + 1) * sizeof *nt);
		if (!nt)
			return 0;
		p->teams = nt;
		team = &p->teams[p->nteams++];
		team->name = NULL;
		team->short_name = NULL;
		if (!(team->id = strdup(id)))
			return 0;
	}
	if (strcmp(key, "name") == 0) {
		free(team->name);
		team->name = strdup(value);
		return team->name != NULL;
	}
	/* A tab label where the name does not fit (80 columns): short. */
	if (strcmp(key, "short") == 0) {
		if (!*value || strlen(value) > WR_PLAN_SHORT_MAX) {
			snprintf(p->err, sizeof p->err,
				 "[team %s] short must be 1 to %d bytes", id, WR_PLAN_SHORT_MAX);
			return 0;
		}
		free(team->short_name);
		team->short_name = strdup(value);
		return team->short_name != NULL;
	}
	int phase = wr_phase_parse(key);
	if (phase < 0 || isdigit((unsigned char)key[0])) {
		snprintf(p->err, sizeof p->err,
			 "unknown key '%s' in [team %s] (name, short, activation, communication, "
			 "replacement, revocation, post-mortem)", key, id);
		return 0;
	}
	struct wr_plan_task *nt = realloc(p->tasks, (p->ntasks + 1) * sizeof *nt);
	if (!nt)
		return 0;
	p->tasks = nt;
	struct wr_plan_task *t = &p->tasks[p->ntasks];
	t->phase = phase;
	t->team = team->id;
	if (parse_task(p, t, value))
		return 0;
	p->ntasks++;
	return 1;
}

void wr_plan_free(struct wr_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nteams; i++)
		free(p->teams[i].id), free(p->teams[i].name), free(p->teams[i].short_name);
	for (size_t i = 0; i < p->ntasks; i++)
		free(p->tasks[i].title);
	free(p->teams);
	free(p->tasks);
	free(p->name);
	free(p->version);
	free(p);
}

static char *slurp(const char *path, size_t *len, char *err, size_t errsz)
{
	/* A user-named plan: read with the user's own rights (installed mode). */
	FILE *f = wr_fopen_user(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				snprintf(err, errsz, "%s: out of memory", path);
				return NULL;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

int wr_plan_load(const char *path, struct wr_plan **out, char *err, size_t errsz)
{
	struct wr_plan *p = calloc(1, sizeof *p);
	const char *label = path ? path : "(built-in plan)";
	char *text;
	size_t len;
	unsigned char md[32];

	*out = NULL;
	if (!p)
		return WR_ENOMEM;
	if (path) {
		if (!(text = slurp(path, &len, err, errsz))) {
			free(p);
			return WR_EIO;
		}
	} else {
		text = strdup(wr_default_plan);
		len = text ? strlen(text) : 0;
	}
	if (!text || !EVP_Digest(text, len, md, NULL, EVP_sha256(), NULL)) {
		free(text);
		free(p);
		return WR_ENOMEM;
	}
	wr_hex(md, 32, p->sha256);
	int line = ini_parse_string(text, handler, p);
	free(text);
	if (line != 0) {
		snprintf(err, errsz, "%s:%d: %s", label, line,
			 p->err[0] ? p->err : "expected '[section]' or 'key = value'");
		wr_plan_free(p);
		return WR_EINVAL;
	}
	for (size_t i = 0; i < p->nteams; i++) {
		if (!p->teams[i].name) {
			snprintf(err, errsz, "%s: team '%s' has no name", label, p->teams[i].id);
			wr_plan_free(p);
			return WR_EINVAL;
		}
	}
	if (p->nteams == 0) {
		snprintf(err, errsz, "%s: the plan defines no [team ID] section", label);
		wr_plan_free(p);
		return WR_EINVAL;
	}
	*out = p;
	return 0;
}

const char *wr_plan_name(const struct wr_plan *p) { return p->name ? p->name : "(unnamed plan)"; }
const char *wr_plan_sha256(const struct wr_plan *p) { return p->sha256; }
size_t wr_plan_team_count(const struct wr_plan *p) { return p->nteams; }
size_t wr_plan_task_count(const struct wr_plan *p) { return p->ntasks; }
const struct wr_plan_team *wr_plan_team_at(const struct wr_plan *p, size_t i)
{
	return i < p->nteams ? &p->teams[i] : NULL;
}
const struct wr_plan_task *wr_plan_task_at(const struct wr_plan *p, size_t i)
{
	return i < p->ntasks ? &p->tasks[i] : NULL;
}
