/*
 * config.c: warroom.conf, read with inih.
 *
 * Keeps every (section, key, value) with its line so later checks can say
 * where a value came from. Known keys live in one table with their type;
 * an unknown section or key, or a value of the wrong type, is an error
 * "FILE:LINE: ..." so a typo never silently falls back to a default.
 * [users] is free-form: OS user = team ids.
 */
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

enum ctype { C_INT, C_PERCENT, C_BOOL, C_STRING, C_BACKEND };
static const struct {
	const char *section, *key;
	enum ctype type;
} known[] = {
	{"mre", "absolute", C_INT},
	{"mre", "share_percent", C_PERCENT},
	{"revocation", "backend", C_BACKEND},
	{"revocation", "two_person", C_BOOL},
	{"revocation", "batch", C_INT},
	{"local", "ca_cert", C_STRING},
	{"local", "ca_key", C_STRING},
	{"local", "out_dir", C_STRING},
	{"local", "shard_entries", C_INT},
	{"local", "crl_url", C_STRING},
	{"local", "ocsp_url", C_STRING},
	{"local", "crl_days", C_INT},
	{"acme", "directory", C_STRING},
	{"acme", "ca_bundle", C_STRING},
	{"acme", "account_key", C_STRING},
	{"acme", "concurrency", C_INT},
	{"acme", "cert_key_dir", C_STRING},
	{"exec", "command", C_STRING},
	{"exec", "timeout", C_INT},
};

struct entry {
	char *section, *key, *value;
	int line;
};

struct wr_config {
	char *path;
	struct entry *e;
	size_t n, cap;
	bool has_users;
	/* parse state */
	int line;
	char err[256];
};

static int check_value(enum ctype t, const char *v, char *err, size_t errsz)
{
	char *end;

	switch (t) {
	case C_INT:
		errno = 0;
		long long n = strtoll(v, &end, 10);
		if (!*v || *end || errno || n < 0) {
			snprintf(err, errsz, "expected a whole number, got '%s'", v);
			return -1;
		}
		break;
	case C_PERCENT:
		errno = 0;
		double d = strtod(v, &end);
		if (!*v || *end || errno || d < 0 || d > 100) {
			snprintf(err, errsz, "expected a percentage from 0 to 100, got '%s'", v);
			return -1;
		}
		break;
	case C_BOOL:
		if (strcmp(v, "yes") && strcmp(v, "no") && strcmp(v, "true") &&
		    strcmp(v, "false") && strcmp(v, "1") && strcmp(v, "0")) {
			snprintf(err, errsz, "expected yes or no, got '%s'", v);
			return -1;
		}
		break;
	case C_BACKEND:
		if (strcmp(v, "local") && strcmp(v, "acme") && strcmp(v, "exec")) {
			snprintf(err, errsz, "expected local, acme or exec, got '%s'", v);
			return -1;
		}
		break;
	case C_STRING:
		if (!*v) {
			snprintf(err, errsz, "expected a value");
			return -1;
		}
		break;
	}
	return 0;
}

static int add(struct wr_config *c, const char *section, const char *key, const char *value,
	       int line)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct entry *e = realloc(c->e, cap * sizeof *e);
		if (!e)
			return -1;
		c->e = e;
		c->cap = cap;
	}
	struct entry *e = &c->e[c->n];
	e->section = strdup(section);
	e->key = strdup(key);
	e->value = strdup(value);
	e->line = line;
	if (!e->section || !e->key || !e->value) {
		free(e->section), free(e->key), free(e->value);
		return -1;
	}
	c->n++;
	return 0;
}

static bool valid_user(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!(*s == '-' || *s == '_' || *s == '.' || (*s >= '0' && *s <= '9') ||
		      (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
			return false;
	return true;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct wr_config *c = user;

	if (c->err[0])
		return 0; /* keep the first error */
	if (!key) /* a bare [section] line (INI_CALL_HANDLER_ON_NEW_SECTION) */
		return 1;
	if (strcmp(section, "users") == 0) {
		if (!valid_user(key)) {
			snprintf(c->err, sizeof c->err, "'%s' is not a user name", key);
			return 0;
		}
		if (!*value) {
			snprintf(c->err, sizeof c->err,
				 "user '%s' needs one or more team ids (comma-separated)", key);
			return 0;
		}
		c->has_users = true;
		return add(c, section, key, value, 0) == 0;
	}
	bool section_known = false;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		if (strcmp(known[i].section, section) != 0)
			continue;
		section_known = true;
		if (strcmp(known[i].key, key) != 0)
			continue;
		if (check_value(known[i].type, value, c->err, sizeof c->err))
			return 0;
		return add(c, section, key, value, 0) == 0;
	}
	if (!section_known)
		snprintf(c->err, sizeof c->err, "unknown section [%s]", section);
	else
		snprintf(c->err, sizeof c->err, "unknown key '%s' in [%s]", key, section);
	return 0;
}

struct wr_config *wr_config_default(void) { return calloc(1, sizeof(struct wr_config)); }

int wr_config_load(const char *path, struct wr_config **out, char *err, size_t errsz)
{
	struct wr_config *c;
	FILE *f;

	*out = NULL;
	if (!path) {
		path = getenv("WARROOM_CONFIG");
		if (!path || !*path)
			path = access("warroom.conf", F_OK) == 0 ? "warroom.conf" : NULL;
	}
	if (!(c = wr_config_default()))
		return WR_ENOMEM;
	if (!path) {
		*out = c;
		return 0;
	}
	c->path = strdup(path);
	if (!(f = fopen(path, "r"))) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		wr_config_free(c);
		return WR_EIO;
	}
	int line = ini_parse_file(f, handler, c);
	fclose(f);
	if (line != 0) {
		snprintf(err, errsz, "%s:%d: %s", path, line,
			 c->err[0] ? c->err : "expected '[section]' or 'key = value'");
		wr_config_free(c);
		return WR_EINVAL;
	}
	*out = c;
	return 0;
}

void wr_config_free(struct wr_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->e[i].section), free(c->e[i].key), free(c->e[i].value);
	free(c->e);
	free(c->path);
	free(c);
}

const char *wr_config_path(const struct wr_config *c) { return c ? c->path : NULL; }

const char *wr_config_get(const struct wr_config *c, const char *section, const char *key)
{
	const char *v = NULL;

	/* The last assignment wins, as in most INI readers. */
	for (size_t i = 0; c && i < c->n; i++)
		if (strcmp(c->e[i].section, section) == 0 && strcmp(c->e[i].key, key) == 0)
			v = c->e[i].value;
	return v;
}

int64_t wr_config_int(const struct wr_config *c, const char *s, const char *k, int64_t dflt)
{
	const char *v = wr_config_get(c, s, k);
	return v ? strtoll(v, NULL, 10) : dflt;
}

double wr_config_double(const struct wr_config *c, const char *s, const char *k, double dflt)
{
	const char *v = wr_config_get(c, s, k);
	return v ? strtod(v, NULL) : dflt;
}

bool wr_config_bool(const struct wr_config *c, const char *s, const char *k, bool dflt)
{
	const char *v = wr_config_get(c, s, k);
	if (!v)
		return dflt;
	return strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
}

bool wr_config_has_users(const struct wr_config *c) { return c && c->has_users; }

const char *wr_config_user_teams(const struct wr_config *c, const char *user, int *line)
{
	for (size_t i = 0; c && i < c->n; i++)
		if (strcmp(c->e[i].section, "users") == 0 && strcmp(c->e[i].key, user) == 0) {
			if (line)
				*line = c->e[i].line;
			return c->e[i].value;
		}
	return NULL;
}

const char *wr_config_file(const struct wr_config *c, const char *section, const char *key,
			   char *buf, size_t bufsz)
{
	const char *v = wr_config_get(c, section, key);
	const char *slash;

	if (!v)
		return NULL;
	/* Relative paths are relative to the config file, not to where
	 * warroom happens to run. */
	if (v[0] == '/' || !c->path || !(slash = strrchr(c->path, '/')))
		snprintf(buf, bufsz, "%s", v);
	else
		snprintf(buf, bufsz, "%.*s/%s", (int)(slash - c->path), c->path, v);
	return buf;
}
