/*
 * priv.c: the shared-machine (installed) mode and the rights files are
 * opened with.
 *
 * `make install SHARED_GROUP=warroom` installs warroom setgid to a group
 * that alone can write the incident directories and read the CA
 * credentials, the secrets and the audit key; users are not members of
 * it, as with crontab. Such a process runs with the group as its
 * effective gid: this file tells that mode apart, hands out environment
 * variables only outside it (secure_getenv), and opens the paths a user
 * names (import files, --out, --plan) with the user's own rights, never
 * the group's. Outside the installed mode every function here is the
 * plain system call.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Set by core/paths.c, which the install compiles with its PREFIX. */
extern const char wr_sysconfdir[];

/* Recursive: wr_open_user inside a begin/end window of the same thread. */
static pthread_mutex_t mu = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static int user_depth;

bool wr_priv_installed(void)
{
	/* AT_SECURE: the kernel ran us setgid (or setuid, or with file
	 * capabilities); the effective group then differs from the real. */
	return getauxval(AT_SECURE) != 0 && getegid() != getgid();
}

const char *wr_priv_getenv(const char *name) { return secure_getenv(name); }

const char *wr_priv_sysconf(const char *file, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "%s/warroom/%s", wr_sysconfdir, file);
	return buf;
}

int wr_priv_user_begin(void)
{
	int rc = 0;

	if (!wr_priv_installed())
		return 0;
	pthread_mutex_lock(&mu);
	/* setegid changes every thread's rights: the mutex keeps one
	 * thread's user-rights window from closing another's early. */
	if (user_depth++ == 0 && setegid(getgid()) != 0) {
		user_depth--;
		rc = WR_EPERM;
	}
	if (rc)
		pthread_mutex_unlock(&mu);
	return rc;
}

void wr_priv_user_end(void)
{
	if (!wr_priv_installed() && user_depth == 0)
		return;
	if (--user_depth == 0) {
		/* The saved set-group-ID lets us take the group back. */
		gid_t saved = 0, r, e;
		getresgid(&r, &e, &saved);
		if (setegid(saved) != 0)
			abort(); /* never go on with the wrong rights */
	}
	pthread_mutex_unlock(&mu);
}

int wr_open_user(const char *path, int flags, unsigned mode)
{
	int fd, saved;

	if (wr_priv_user_begin())
		return -1;
	fd = open(path, flags | O_CLOEXEC, mode);
	saved = errno;
	wr_priv_user_end();
	errno = saved;
	return fd;
}

FILE *wr_fopen_user(const char *path, const char *mode)
{
	int flags = O_RDONLY, fd;
	FILE *f;

	if (mode[0] == 'w')
		flags = O_WRONLY | O_CREAT | O_TRUNC;
	else if (mode[0] == 'a')
		flags = O_WRONLY | O_CREAT | O_APPEND;
	if (strchr(mode, '+'))
		flags = (flags & ~(O_RDONLY | O_WRONLY)) | O_RDWR;
	if ((fd = wr_open_user(path, flags, 0666)) < 0)
		return NULL;
	if (!(f = fdopen(fd, mode)))
		close(fd);
	return f;
}

/* ---- trust in files: StrictModes ------------------------------------------ */

/* The uid whose files we trust besides root's: the real user. */
static bool trusted_owner(uid_t uid) { return uid == 0 || uid == getuid(); }

int wr_priv_check_file(const char *path, unsigned how, char *err, size_t errsz)
{
	struct stat sb;
	char *dir, *slash;
	int fd;

	/* O_NOFOLLOW is not wanted here (/etc/alternatives-style links are
	 * fine); what counts is the file opened and every directory above it. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return WR_EIO;
	}
	int r = fstat(fd, &sb);
	close(fd);
	if (r != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errsz, "%s: not a regular file", path);
		return WR_EINVAL;
	}
	if (!trusted_owner(sb.st_uid) || ((how & WR_CHECK_ROOT) && sb.st_uid != 0)) {
		snprintf(err, errsz, "%s: owned by uid %ld, %s: refusing to trust it", path,
			 (long)sb.st_uid, (how & WR_CHECK_ROOT) ? "not root" : "neither root nor you");
		return WR_EPERM;
	}
	if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errsz,
			 "%s: writable by %s (mode %04o): refusing to trust it; chmod go-w it",
			 path, (sb.st_mode & S_IWOTH) ? "everyone" : "its group",
			 (unsigned)(sb.st_mode & 07777));
		return WR_EPERM;
	}
	if ((how & (WR_CHECK_SECRET | WR_CHECK_KEY)) && (sb.st_mode & (S_IROTH | S_IWOTH | S_IXOTH))) {
		snprintf(err, errsz,
			 "%s holds a secret but others can read it (mode %04o): chmod o-rwx it",
			 path, (unsigned)(sb.st_mode & 07777));
		return WR_EPERM;
	}
	if ((how & WR_CHECK_SECRET) && !wr_priv_installed() && (sb.st_mode & S_IRWXG)) {
		snprintf(err, errsz,
			 "%s holds a secret but its group can read it (mode %04o): chmod 600 it",
			 path, (unsigned)(sb.st_mode & 07777));
		return WR_EPERM;
	}
	/* Installed, a key is the group's to read like a secret: another
	 * group reading it would reach the CA around warroom. */
	if ((how & (WR_CHECK_SECRET | WR_CHECK_KEY)) && wr_priv_installed() &&
	    (sb.st_mode & S_IRWXG) && sb.st_gid != getegid()) {
		snprintf(err, errsz,
			 "%s holds a secret readable by a group other than warroom's (mode %04o)",
			 path, (unsigned)(sb.st_mode & 07777));
		return WR_EPERM;
	}
	/* Every directory up to / must be as safe: whoever can rename
	 * entries in one of them can swap the file. */
	char *real = realpath(path, NULL);
	if (!real) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return WR_EIO;
	}
	dir = real;
	while ((slash = strrchr(dir, '/'))) {
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(dir, &sb) != 0) {
			snprintf(err, errsz, "%s: %s", dir, strerror(errno));
			free(real);
			return WR_EIO;
		}
		if (!trusted_owner(sb.st_uid) || ((how & WR_CHECK_ROOT) && sb.st_uid != 0) ||
		    ((sb.st_mode & (S_IWGRP | S_IWOTH)) && !(sb.st_mode & S_ISVTX))) {
			snprintf(err, errsz,
				 "%s: its directory %s is %s (mode %04o, uid %ld): refusing to"
				 " trust it", path, dir,
				 !trusted_owner(sb.st_uid) ? "owned by another user"
							   : "writable by others",
				 (unsigned)(sb.st_mode & 07777), (long)sb.st_uid);
			free(real);
			return WR_EPERM;
		}
		if (strcmp(dir, "/") == 0)
			break;
	}
	free(real);
	return 0;
}
