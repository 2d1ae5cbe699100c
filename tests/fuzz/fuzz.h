/*
 * fuzz.h: what the libFuzzer harnesses share.
 *
 * Each harness process owns one private directory (mode 0700, under
 * /dev/shm when it exists, else /tmp), writes every input to one file in
 * it (mode 0600, so a loader that refuses files others could write, as
 * ssh's StrictModes does, still reads it) and removes it at exit. The
 * database helpers keep one warroom database there, recreated every so
 * many runs so that it stays small. Setup failures abort: they are the
 * harness's bugs, not findings.
 */
#ifndef WR_FUZZ_H
#define WR_FUZZ_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wr.h"

#define FZ_PATHSZ 256

static char fz_dir[FZ_PATHSZ];

__attribute__((format(printf, 1, 2), noreturn)) static inline void fz_die(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* Removes the plain files of fz_dir (SQLite's -wal and -shm included). */
static inline void fz_empty_dir(void)
{
	DIR *d = opendir(fz_dir);
	struct dirent *de;
	char p[FZ_PATHSZ * 2];

	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			snprintf(p, sizeof p, "%s/%s", fz_dir, de->d_name);
			unlink(p);
		}
	closedir(d);
}

static inline void fz_cleanup(void)
{
	if (fz_dir[0]) {
		fz_empty_dir();
		rmdir(fz_dir);
	}
}

/* The process's private directory, made on the first call. */
static inline const char *fz_tmpdir(void)
{
	if (fz_dir[0])
		return fz_dir;
	struct stat sb;
	const char *base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) &&
				   access("/dev/shm", W_OK) == 0
			       ? "/dev/shm"
			       : "/tmp";
	snprintf(fz_dir, sizeof fz_dir, "%s/wr-fuzz-XXXXXX", base);
	if (!mkdtemp(fz_dir)) /* mkdtemp makes it 0700 */
		fz_die("mkdtemp %s: %s", fz_dir, strerror(errno));
	atexit(fz_cleanup);
	return fz_dir;
}

/* name's path in the private directory, in buf. */
static inline const char *fz_path(const char *name, char buf[FZ_PATHSZ])
{
	snprintf(buf, FZ_PATHSZ, "%s/%s", fz_tmpdir(), name);
	return buf;
}

/* Writes the input to path (truncating it), mode 0600. */
static inline void fz_write(const char *path, const uint8_t *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		fz_die("%s: %s", path, strerror(errno));
	while (n > 0) {
		ssize_t w = write(fd, data, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			fz_die("writing %s: %s", path, strerror(errno));
		data += w;
		n -= (size_t)w;
	}
	if (close(fd) != 0)
		fz_die("closing %s: %s", path, strerror(errno));
}

/* A fresh database named "fuzz.db" in the private directory, with an
 * incident on the built-in plan; the previous one (db, may be NULL) is
 * closed and its files removed first. */
static inline struct wr_db *fz_db_fresh(struct wr_db *db)
{
	static struct wr_plan *plan;
	char path[FZ_PATHSZ], side[FZ_PATHSZ + 8], err[256];
	int rc;

	fz_path("fuzz.db", path);
	if (db)
		wr_db_close(db);
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
	if (!plan && (rc = wr_plan_load(NULL, &plan, err, sizeof err)))
		fz_die("the built-in plan: %s", err);
	if ((rc = wr_db_open(path, WR_OPEN_CREATE, &db)))
		fz_die("wr_db_open %s: %s", path, db ? wr_db_errmsg(db) : wr_strerror(rc));
	if ((rc = wr_incident_init(db, "fuzz", 0, plan)))
		fz_die("wr_incident_init: %s", wr_db_errmsg(db));
	return db;
}

/* The reject callback: reads both strings whole, so a dangling or
 * unterminated one shows up under ASan. */
static inline void fz_reject(const char *where, const char *why, void *ctx)
{
	size_t *total = ctx;
	size_t n = strlen(where) + strlen(why);

	if (total)
		*total += n;
}

#endif
