/*
 * config.c: warroom.conf, read with inih.
 *
 * Keeps every (section, key, value) with its line so later checks can say
 * where a value came from. Known keys live in one table with their type;
 * an unknown section or key, or a value of the wrong type, is an error
 * "FILE:LINE: ..." so a typo never silently falls back to a default.
 * [users] is free-form: OS user = team ids.
 *
 * A config says who may act and what runs with the caller's rights, so it
 * is only read from a place nobody else can write (wr_priv_check_file, as
 * ssh's StrictModes), and in the installed mode only from the root-owned
 * SYSCONFDIR/warroom/warroom.conf. Secret values are never copied into a
 * message or the policy text that is pinned in the database.
 */
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

enum ctype { C_INT, C_PERCENT, C_BOOL, C_STRING, C_BACKEND, C_PATH, C_SECRET_PATH };
static const struct {
	const char *section, *key;
	enum ctype type;
} known[] = {
	{"mre", "absolute", C_INT},
	{"mre", "share_percent", C_PERCENT},
	{"revocation", "backend", C_BACKEND},
	{"revocation", "two_person", C_BOOL},
	{"revocation", "batch", C_INT},
	{"revocation", "per_second", C_INT},
	{"ca", "issuers", C_PATH},
	{"local", "ca_cert", C_PATH},
	{"local", "ca_key", C_SECRET_PATH},
	{"local", "out_dir", C_STRING},
	{"local", "shard_entries", C_INT},
	{"local", "spill_above", C_INT},
	{"local", "shards", C_INT},
	{"local", "crl_url", C_STRING},
	{"local", "ocsp_url", C_STRING},
	{"local", "crl_days", C_INT},
	{"local", "lock_timeout", C_INT},
	{"local", "fetches_per_hour", C_INT},
	{"acme", "directory", C_STRING},
	{"acme", "ca_bundle", C_STRING},
	{"acme", "account_key", C_SECRET_PATH},
	{"acme", "concurrency", C_INT},
	{"acme", "cert_key_dir", C_STRING},
	{"exec", "command", C_STRING},
	{"exec", "timeout", C_INT},
	{"audit", "syslog", C_STRING},
	{"notify", "info_url", C_STRING},
	{"probe", "concurrency", C_INT},
	{"probe", "timeout", C_INT},
	{"notify", "templates", C_PATH},
	{"contacts", "resolver", C_STRING},
	{"contacts", "timeout", C_INT},
	{"contacts", "attempts", C_INT},
	/* Not a policy section: the password never reaches the pinned text. */
	{"smtp", "url", C_STRING},
	{"smtp", "from", C_STRING},
	{"smtp", "user", C_STRING},
	{"smtp", "password", C_STRING},
	{"smtp", "password_file", C_SECRET_PATH},
	{"smtp", "ca_file", C_PATH},
	{"smtp", "per_second", C_INT},
	/* An exercise's mail sink (notify.c): nothing else leaves the machine. */
	{"exercise", "smtp", C_STRING},
	/* ... and its Bugzilla sink (bugzilla.c): never the CA's Bugzilla. */
	{"exercise", "bugzilla", C_STRING},
	/* Not a policy section either: the API key never reaches the incident. */
	{"bugzilla", "url", C_STRING},
	{"bugzilla", "api_key", C_STRING},
	{"bugzilla", "api_key_file", C_SECRET_PATH},
	{"bugzilla", "ca_owner", C_STRING},
	{"bugzilla", "product", C_STRING},
	{"bugzilla", "component", C_STRING},
	{"bugzilla", "timeout", C_INT},
	{"bugzilla", "attachment_max", C_INT}, /* bytes (bugzilla.c) */
};

/* The sections that decide who may act and what runs: the policy pinned
 * in each incident (policy.c). [mre] thresholds and [audit] are not. */
static const char *const policy_sections[] = {
	"users", "revocation", "ca", "local", "acme", "exec",
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
	case C_PATH:
	case C_SECRET_PATH:
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

static int parse_file(struct wr_config *c, const char *path, char *err, size_t errsz)
{
	FILE *f;

	c->path = strdup(path);
	if (!c->path)
		return WR_ENOMEM;
	if (!(f = fopen(path, "r"))) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return WR_EIO;
	}
	int line = ini_parse_file(f, handler, c);
	fclose(f);
	if (line != 0) {
		snprintf(err, errsz, "%s:%d: %s", path, line,
			 c->err[0] ? c->err : "expected '[section]' or 'key = value'");
		return WR_EINVAL;
	}
	return 0;
}

int wr_config_load(const char *path, struct wr_config **out, char *err, size_t errsz)
{
	char sys[512];
	struct wr_config *c;
	int rc;

	*out = NULL;
	if (wr_priv_installed()) {
		/* The policy is the administrator's, never the caller's. */
		if (path) {
			snprintf(err, errsz,
				 "--config is not allowed for the installed warroom: its policy is"
				 " %s", wr_priv_sysconf("warroom.conf", sys, sizeof sys));
			return WR_EPERM;
		}
		path = wr_priv_sysconf("warroom.conf", sys, sizeof sys);
	} else if (!path) {
		path = wr_priv_getenv("WARROOM_CONFIG");
		if (!path || !*path)
			path = access("warroom.conf", F_OK) == 0 ? "warroom.conf" : NULL;
	}
	if (!(c = wr_config_default()))
		return WR_ENOMEM;
	if (!path) {
		*out = c;
		return 0;
	}
	/* Read only what nobody else could have written (StrictModes). */
	if ((rc = wr_priv_check_file(path, wr_priv_installed() ? WR_CHECK_ROOT : 0, err, errsz)) ||
	    (rc = parse_file(c, path, err, errsz))) {
		wr_config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int wr_config_parse_text(const char *text, const char *label, struct wr_config **out,
			 char *err, size_t errsz)
{
	struct wr_config *c = wr_config_default();

	*out = NULL;
	if (!c || !(c->path = strdup(label))) {
		wr_config_free(c);
		return WR_ENOMEM;
	}
	int line = ini_parse_string(text, handler, c);
	if (line != 0) {
		snprintf(err, errsz, "%s:%d: %s", label, line,
			 c->err[0] ? c->err : "expected '[section]' or 'key = value'");
		wr_config_free(c);
		return WR_EINVAL;
	}
	*out = c;
	return 0;
}

static int by_key(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a, *y = *(const struct entry *const *)b;
	int r = strcmp(x->key, y->key);
	return r ? r : (x->line > y->line) - (x->line < y->line);
}

char *wr_config_policy_text(const struct wr_config *c)
{
	struct wr_buf b = {0};
	const struct entry **v = NULL;

	if (!wr_buf_put(&b, "", 0))
		return NULL;
	for (size_t s = 0; c && s < sizeof policy_sections / sizeof policy_sections[0]; s++) {
		size_t n = 0;
		free(v);
		if (!(v = calloc(c->n + 1, sizeof *v)))
			goto oom;
		for (size_t i = 0; i < c->n; i++)
			if (strcmp(c->e[i].section, policy_sections[s]) == 0)
				v[n++] = &c->e[i];
		if (!n)
			continue;
		qsort(v, n, sizeof *v, by_key);
		if (!wr_buf_put(&b, "[", 1) ||
		    !wr_buf_put(&b, policy_sections[s], strlen(policy_sections[s])) ||
		    !wr_buf_put(&b, "]\n", 2))
			goto oom;
		for (size_t i = 0; i < n; i++) {
			/* The last assignment of a key wins: skip the earlier. */
			if (i + 1 < n && strcmp(v[i]->key, v[i + 1]->key) == 0)
				continue;
			const char *val = wr_config_get(c, v[i]->section, v[i]->key);
			if (!wr_buf_put(&b, v[i]->key, strlen(v[i]->key)) || !wr_buf_put(&b, " = ", 3) ||
			    !wr_buf_put(&b, val, strlen(val)) || !wr_buf_put(&b, "\n", 1))
				goto oom;
		}
	}
	free(v);
	return b.p;
oom:
	free(v);
	wr_buf_free(&b);
	return NULL;
}

struct wr_config *wr_config_copy(const struct wr_config *c)
{
	struct wr_config *n = wr_config_default();

	if (!n || (c && c->path && !(n->path = strdup(c->path))))
		goto oom;
	n->has_users = c && c->has_users;
	for (size_t i = 0; c && i < c->n; i++)
		if (add(n, c->e[i].section, c->e[i].key, c->e[i].value, c->e[i].line))
			goto oom;
	return n;
oom:
	wr_config_free(n);
	return NULL;
}

int wr_config_set(struct wr_config *c, const char *section, const char *key, const char *value)
{
	/* Added last, it wins over what the file says (wr_config_get). */
	return add(c, section, key, value, 0) ? WR_ENOMEM : 0;
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

const char *wr_config_secret_file(const struct wr_config *c, const char *section, const char *key,
				  char *buf, size_t bufsz, char *err, size_t errsz)
{
	if (!wr_config_file(c, section, key, buf, bufsz)) {
		snprintf(err, errsz, "[%s] %s is not set in %s", section, key,
			 wr_config_path(c) ? wr_config_path(c) : "the configuration");
		return NULL;
	}
	if (wr_priv_check_file(buf, WR_CHECK_KEY, err, errsz))
		return NULL;
	return buf;
}
