/*
 * seen.c: the newest event a user has seen of an incident, so that the
 * console can mark what is new since they last looked.
 *
 * It is the user's, not the incident's: a small file per user and
 * database under $XDG_STATE_HOME/warroom/ (~/.local/state/warroom/ by
 * default; the passwd home in the installed mode, which reads no
 * environment), named after a hash of the database's real path and the
 * actor, holding the event's id and hash. The hash tells a recorded event
 * from another incident's created since at the same path. Files are
 * opened, and directories made, with the user's own rights, never the
 * warroom group's (core/priv.c); writes go through a temporary file and a
 * rename, so two consoles never leave half a file.
 *
 * Nothing here touches the database but to read an event's hash.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* $XDG_STATE_HOME/warroom, else HOME/.local/state/warroom. */
static int state_dir(char *buf, size_t n)
{
	const char *x = wr_priv_getenv("XDG_STATE_HOME"), *home;

	/* The XDG spec: a relative path is invalid, and ignored. */
	if (x && x[0] == '/') {
		snprintf(buf, n, "%s/warroom", x);
		return 0;
	}
	home = wr_priv_getenv("HOME");
	if (!home || home[0] != '/') {
		struct passwd *pw = getpwuid(getuid());
		home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
	}
	if (!home)
		return WR_ENOENT;
	snprintf(buf, n, "%s/.local/state/warroom", home);
	return 0;
}

/* The state file of (db's real path, actor); *real gets the path. */
static int seen_path(struct wr_db *db, char *buf, size_t n, char *real, size_t realsz)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char dir[PATH_MAX], hex[65], *r;
	int rc;

	if ((rc = state_dir(dir, sizeof dir)))
		return rc;
	r = realpath(db->path, NULL);
	snprintf(real, realsz, "%s", r ? r : db->path);
	free(r);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(ctx, real, strlen(real) + 1) ||
	    !EVP_DigestUpdate(ctx, db->actor, strlen(db->actor)) ||
	    !EVP_DigestFinal_ex(ctx, md, &mdlen)) {
		EVP_MD_CTX_free(ctx);
		return WR_ENOMEM;
	}
	EVP_MD_CTX_free(ctx);
	wr_hex(md, 8, hex);
	if ((size_t)snprintf(buf, n, "%s/seen-%s", dir, hex) >= n)
		return WR_EINVAL;
	return 0;
}

/* The hash of event id, hex; WR_ENOENT when there is none. */
static int event_hex(struct wr_db *db, int64_t id, char hex[65])
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_prepare(db, "SELECT hash FROM event WHERE id = ?", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = WR_ENOENT;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
		wr_hex(sqlite3_column_blob(st, 0), 32, hex);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

/* The id the file records, when its event is in db as recorded. */
static int read_seen(struct wr_db *db, const char *path, int64_t *id)
{
	char line[256], hex[65], want[65];
	long long n = 0;
	bool magic = false, found = false;
	FILE *f = wr_fopen_user(path, "r");

	if (!f)
		return WR_ENOENT;
	while (fgets(line, sizeof line, f)) {
		if (strcmp(line, "warroom seen 1\n") == 0)
			magic = true;
		else if (sscanf(line, "event %lld %64[0-9a-f]", &n, hex) == 2 && strlen(hex) == 64)
			found = true;
	}
	fclose(f);
	if (!magic || !found || n < 0)
		return WR_ENOENT;
	if (n > 0 && (event_hex(db, n, want) || strcmp(want, hex) != 0))
		return WR_ENOENT; /* another incident lives at this path now */
	*id = n;
	return 0;
}

int wr_seen_get(struct wr_db *db, int64_t *id)
{
	char path[PATH_MAX + 64], real[PATH_MAX];
	int rc;

	if ((rc = seen_path(db, path, sizeof path, real, sizeof real)))
		return rc;
	return read_seen(db, path, id);
}

/* mkdir -p of path's parent directories and path, mode 0700. */
static int make_dirs(const char *dir)
{
	char p[PATH_MAX + 64];

	if ((size_t)snprintf(p, sizeof p, "%s", dir) >= sizeof p)
		return errno = ENAMETOOLONG, -1;
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, 0700) != 0 && errno != EEXIST)
				return -1;
			*s = c;
			if (!c)
				break;
		}
	}
	return 0;
}

int wr_seen_set(struct wr_db *db, int64_t id)
{
	char path[PATH_MAX + 64], real[PATH_MAX], tmp[PATH_MAX + 96], hex[65] = "", body[PATH_MAX + 160];
	int64_t old;
	int rc, fd, n;

	if ((rc = seen_path(db, path, sizeof path, real, sizeof real)))
		return rc;
	/* Forward only: a console that saw less does not take it back. */
	if (read_seen(db, path, &old) == 0 && old >= id)
		return 0;
	if (id > 0 && (rc = event_hex(db, id, hex)))
		return rc;
	if (id <= 0)
		memset(hex, '0', 64), hex[64] = '\0';
	n = snprintf(body, sizeof body, "warroom seen 1\ndb %s\nevent %lld %s\n", real,
		     (long long)id, hex);
	if (n < 0 || (size_t)n >= sizeof body)
		return wr_err(db, WR_EINVAL, "%s: path too long", real);
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());

	char *slash = strrchr(path, '/');
	*slash = '\0';
	if (wr_priv_user_begin())
		return wr_err(db, WR_EPERM, "cannot take the user's rights");
	int made = make_dirs(path);
	wr_priv_user_end();
	*slash = '/';
	if (made)
		return wr_err(db, WR_EIO, "%.*s: %s", (int)(slash - path), path, strerror(errno));
	if ((fd = wr_open_user(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return wr_err(db, WR_EIO, "%s: %s", tmp, strerror(errno));
	bool ok = write(fd, body, (size_t)n) == n;
	ok = close(fd) == 0 && ok;
	if (ok && wr_priv_user_begin() == 0) {
		ok = rename(tmp, path) == 0;
		wr_priv_user_end();
	} else {
		ok = false;
	}
	if (!ok) {
		rc = wr_err(db, WR_EIO, "%s: %s", path, strerror(errno));
		if (wr_priv_user_begin() == 0) {
			unlink(tmp);
			wr_priv_user_end();
		}
		return rc;
	}
	return 0;
}
