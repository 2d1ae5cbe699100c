/*
 * backend-exec.c: revocation through the CA's own tool.
 *
 * [exec] command is a shell command template run once per batch and
 * CRLReason, with {serials_file} (a file of upper-case hex serials, one a
 * line), {certs_file} (the same certificates as a PEM bundle, so the tool
 * can check what it is asked to revoke), {reason} (the CRLReason's name)
 * and {reason_code} (its number, 0 when unspecified) replaced, each
 * shell-quoted. The tool answers per serial on standard output with lines
 *
 *     SERIAL revoked|already|failed [detail]
 *
 * and serials it does not mention take its exit status: 0 revoked, any
 * other failed with the status and the last line of its error output.
 * This is how a CA plugs in its production system.
 *
 * The tool runs in a process group of its own, and nothing of that group
 * outlives the run: a tool still revoking after its timeout, or a helper
 * it left in the background, would race the next run that submits the
 * same batch again.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"

/* After SIGTERM, how long the tool's group has to end before SIGKILL. */
#define GRACE_MS 2000
/* How often a run looks whether sh has exited while its output is still
 * open (a background process of the tool may hold it). */
#define EXIT_CHECK_MS 100

struct wr_backend {
	char *command;
	int timeout;
};

static int exec_open(struct wr_db *db, const struct wr_config *cfg, struct wr_backend **out,
		     char *err, size_t errsz)
{
	const char *cmd = wr_config_get(cfg, "exec", "command");
	struct wr_backend *b;

	(void)db;
	if (!cmd) {
		snprintf(err, errsz, "[exec] command is not set in %s",
			 wr_config_path(cfg) ? wr_config_path(cfg) : "the configuration");
		return WR_EINVAL;
	}
	if (!strstr(cmd, "{serials_file}")) {
		snprintf(err, errsz, "[exec] command must use {serials_file}");
		return WR_EINVAL;
	}
	if (!(b = calloc(1, sizeof *b)) || !(b->command = strdup(cmd))) {
		free(b);
		return WR_ENOMEM;
	}
	b->timeout = (int)wr_config_int(cfg, "exec", "timeout", 300);
	*out = b;
	return 0;
}

static void exec_close(struct wr_backend *b)
{
	if (b)
		free(b->command);
	free(b);
}

/* Appends s single-quoted for sh. */
static int append_quoted(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t need = *len + 4 * strlen(s) + 3;
	if (need > *cap) {
		size_t nc = need * 2;
		char *nb = realloc(*buf, nc);
		if (!nb)
			return -1;
		*buf = nb;
		*cap = nc;
	}
	(*buf)[(*len)++] = '\'';
	for (; *s; s++) {
		if (*s == '\'') {
			memcpy(*buf + *len, "'\\''", 4);
			*len += 4;
		} else {
			(*buf)[(*len)++] = *s;
		}
	}
	(*buf)[(*len)++] = '\'';
	(*buf)[*len] = '\0';
	return 0;
}

static char *expand(const char *tmpl, const char *file, const char *certs, int reason)
{
	char code[16];
	const char *name = wr_crl_reason_name(reason);
	size_t len = 0, cap = strlen(tmpl) + 64;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	snprintf(code, sizeof code, "%d", reason == WR_CRL_OMIT ? 0 : reason);
	buf[0] = '\0';
	for (const char *p = tmpl; *p;) {
		const char *val = NULL;
		size_t skip = 0;
		if (strncmp(p, "{serials_file}", 14) == 0)
			val = file, skip = 14;
		else if (certs && strncmp(p, "{certs_file}", 12) == 0)
			val = certs, skip = 12;
		else if (strncmp(p, "{reason_code}", 13) == 0)
			val = code, skip = 13;
		else if (strncmp(p, "{reason}", 8) == 0)
			val = name, skip = 8;
		if (val) {
			if (append_quoted(&buf, &len, &cap, val)) {
				free(buf);
				return NULL;
			}
			p += skip;
			continue;
		}
		if (len + 2 > cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		buf[len++] = *p++;
		buf[len] = '\0';
	}
	return buf;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Ends the process group pg (the tool and all it started): SIGTERM so a
 * CA tool may stop cleanly, SIGKILL to whatever is left after GRACE_MS.
 * sh (pid pg) is reaped on the way unless *reaped says it was already;
 * until then its zombie would make the group look alive.
 */
static void end_group(pid_t pg, bool *reaped, int *ws)
{
	if (kill(-pg, SIGTERM) != 0)
		return; /* nobody left */
	for (int64_t end = mono_ms() + GRACE_MS; mono_ms() < end;) {
		if (!*reaped && waitpid(pg, ws, WNOHANG) == pg)
			*reaped = true;
		if (*reaped && kill(-pg, 0) != 0)
			return;
		struct timespec ts = {0, 20 * 1000000L};
		nanosleep(&ts, NULL);
	}
	kill(-pg, SIGKILL);
}

/* Runs cmd with sh in a process group of its own, collecting stdout and
 * stderr (capped), within timeout seconds. Returns the exit status,
 * 128+signal, or -1 when it could not run; *timed_out says it was killed
 * for taking too long. */
static int run(const char *cmd, int timeout, char **out, char **errout, bool *timed_out)
{
	int po[2], pe[2], status = -1, ws = 0;
	size_t cap[2] = {65536, 8192}, len[2] = {0, 0};
	char *buf[2] = {malloc(cap[0] + 1), malloc(cap[1] + 1)};
	bool reaped = false;
	pid_t pid;

	*out = *errout = NULL;
	*timed_out = false;
	if (!buf[0] || !buf[1] || pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
		free(buf[0]);
		free(buf[1]);
		return -1;
	}
	if ((pid = fork()) < 0) {
		close(po[0]), close(po[1]), close(pe[0]), close(pe[1]);
		free(buf[0]);
		free(buf[1]);
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	/* Here too, whichever of the two runs first: the group must exist
	 * before anything below signals it. (EACCES once the child has
	 * exec'd means it did so itself.) */
	setpgid(pid, pid);
	close(po[1]);
	close(pe[1]);
	struct pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
	int open_fds = 2;
	int64_t end = mono_ms() + (int64_t)timeout * 1000;
	for (;;) {
		if (!reaped && waitpid(pid, &ws, WNOHANG) == pid) {
			reaped = true;
			/* sh is done: what it left running in its group would go on
			 * acting for this batch, and hold the output open. */
			end_group(pid, &reaped, &ws);
		}
		if (reaped && open_fds == 0)
			break;
		int64_t left = end - mono_ms();
		if (left <= 0) {
			*timed_out = true;
			end_group(pid, &reaped, &ws);
			break;
		}
		int wait_ms = (int)(left < EXIT_CHECK_MS ? left : EXIT_CHECK_MS);
		if (open_fds == 0)
			wait_ms = wait_ms < 10 ? wait_ms : 10; /* sh is closing down */
		if (poll(fds, 2, wait_ms) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char tmp[4096];
			ssize_t r = read(fds[i].fd, tmp, sizeof tmp);
			if (r <= 0) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
				continue;
			}
			size_t n = (size_t)r;
			if (len[i] + n > cap[i])
				n = cap[i] - len[i]; /* keep reading, drop the excess */
			memcpy(buf[i] + len[i], tmp, n);
			len[i] += n;
		}
	}
	for (int i = 0; i < 2; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	if (!reaped) {
		/* sh ignored SIGTERM past the grace, or poll failed: nothing
		 * may outlive the run. */
		kill(-pid, SIGKILL);
		reaped = waitpid(pid, &ws, 0) == pid;
	}
	if (reaped)
		status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	buf[0][len[0]] = '\0';
	buf[1][len[1]] = '\0';
	*out = buf[0];
	*errout = buf[1];
	return status;
}

static void last_line(const char *s, char *dst, size_t n)
{
	const char *end = s + strlen(s);
	while (end > s && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	const char *start = end;
	while (start > s && start[-1] != '\n')
		start--;
	snprintf(dst, n, "%.*s", (int)(end - start), start);
}

static struct wr_rv_item *find_item(struct wr_rv_item *items, size_t n, int reason,
				    const char *serial)
{
	char norm[132];

	if (wr_serial_normalize(serial, norm, sizeof norm))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (items[i].crl_reason == reason && strcmp(items[i].serial, norm) == 0)
			return &items[i];
	return NULL;
}

/* Where the tool's files go: $TMPDIR when it is an absolute path (ignored
 * for a set-id process, as glibc's own mkstemp users do), else /tmp. */
static const char *temp_dir(void)
{
	const char *d = secure_getenv("TMPDIR");
	return d && d[0] == '/' ? d : "/tmp";
}

/* A new file for the tool, mode 0600 whatever the umask: it names what
 * the CA is about to revoke. path gets its name; NULL with errno. */
static FILE *temp_file(const char *what, char *path, size_t pathsz)
{
	FILE *f;
	int fd;

	if ((size_t)snprintf(path, pathsz, "%s/warroom-%s-XXXXXX", temp_dir(), what) >= pathsz) {
		path[0] = '\0';
		errno = ENAMETOOLONG;
		return NULL;
	}
	if ((fd = mkstemp(path)) < 0) {
		path[0] = '\0';
		return NULL;
	}
	if (fchmod(fd, 0600) != 0 || !(f = fdopen(fd, "w"))) {
		int e = errno;
		close(fd);
		unlink(path);
		path[0] = '\0';
		errno = e;
		return NULL;
	}
	return f;
}

/* The group's certificates as a PEM bundle, encoded by OpenSSL from the
 * DER the engine read, byte for byte. */
static int write_certs(FILE *f, const struct wr_rv_item *items, size_t n, int reason)
{
	for (size_t i = 0; i < n; i++) {
		if (items[i].crl_reason != reason || !items[i].der)
			continue;
		if (items[i].der_len > LONG_MAX ||
		    !PEM_write(f, PEM_STRING_X509, "", items[i].der, (long)items[i].der_len)) {
			ERR_clear_error();
			return -1;
		}
	}
	return 0;
}

static int run_group(struct wr_backend *b, struct wr_rv_item *items, size_t n, int reason,
		     char *err, size_t errsz)
{
	char spath[PATH_MAX] = "", cpath[PATH_MAX] = "";
	bool want_certs = strstr(b->command, "{certs_file}") != NULL, timed_out = false;
	FILE *f;
	char *cmd = NULL, *out = NULL, *errout = NULL;
	int rc = 0, status;

	if (!(f = temp_file("serials", spath, sizeof spath))) {
		snprintf(err, errsz, "temporary file in %s: %s", temp_dir(), strerror(errno));
		return WR_EIO;
	}
	for (size_t i = 0; i < n; i++)
		if (items[i].crl_reason == reason)
			fprintf(f, "%s\n", items[i].serial);
	if (fclose(f) != 0) {
		snprintf(err, errsz, "writing %s: %s", spath, strerror(errno));
		rc = WR_EIO;
		goto out;
	}
	if (want_certs) {
		if (!(f = temp_file("certs", cpath, sizeof cpath))) {
			snprintf(err, errsz, "temporary file in %s: %s", temp_dir(),
				 strerror(errno));
			rc = WR_EIO;
			goto out;
		}
		int wr = write_certs(f, items, n, reason);
		if (fclose(f) != 0 || wr) {
			snprintf(err, errsz, "writing the certificates to %s", cpath);
			rc = WR_EIO;
			goto out;
		}
	}
	if (!(cmd = expand(b->command, spath, want_certs ? cpath : NULL, reason))) {
		snprintf(err, errsz, "out of memory");
		rc = WR_ENOMEM;
		goto out;
	}
	status = run(cmd, b->timeout, &out, &errout, &timed_out);
	if (status < 0) {
		snprintf(err, errsz, "could not run [exec] command");
		rc = WR_EIO;
		goto out;
	}
	/* Per-serial answers first. */
	for (char *line = out, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char serial[160], word[16];
		int used = 0;
		if (sscanf(line, "%159s %15s %n", serial, word, &used) < 2)
			continue;
		struct wr_rv_item *it = find_item(items, n, reason, serial);
		if (!it)
			continue;
		if (strcmp(word, "revoked") == 0) {
			it->status = WR_RV_REVOKED;
		} else if (strcmp(word, "already") == 0) {
			it->status = WR_RV_ALREADY;
		} else if (strcmp(word, "failed") == 0) {
			it->status = WR_RV_FAILED;
			snprintf(it->error, sizeof it->error, "%s",
				 used > 0 && line[used] ? line + used : "failed");
		}
	}
	char tail[200];
	last_line(errout, tail, sizeof tail);
	for (size_t i = 0; i < n; i++) {
		struct wr_rv_item *it = &items[i];
		if (it->crl_reason != reason || it->status != WR_RV_TODO)
			continue;
		if (timed_out) {
			it->status = WR_RV_FAILED;
			snprintf(it->error, sizeof it->error,
				 "[exec] command timed out after %d s and was killed", b->timeout);
		} else if (status == 0) {
			it->status = WR_RV_REVOKED;
		} else {
			it->status = WR_RV_FAILED;
			snprintf(it->error, sizeof it->error, "exit status %d%s%s", status,
				 tail[0] ? ": " : "", tail);
		}
	}
out:
	if (spath[0])
		unlink(spath);
	if (cpath[0])
		unlink(cpath);
	free(cmd);
	free(out);
	free(errout);
	return rc;
}

static int exec_revoke(struct wr_backend *b, struct wr_rv_item *items, size_t n, char *err,
		       size_t errsz)
{
	int64_t now = wr_clock_now(NULL);
	int rc;

	for (size_t i = 0; i < n; i++)
		items[i].status = WR_RV_TODO;
	/* One run per CRLReason present in the batch. */
	for (size_t i = 0; i < n; i++) {
		if (items[i].status != WR_RV_TODO)
			continue;
		if ((rc = run_group(b, items, n, items[i].crl_reason, err, errsz)))
			return rc;
	}
	for (size_t i = 0; i < n; i++)
		if (items[i].status == WR_RV_REVOKED || items[i].status == WR_RV_ALREADY)
			items[i].revoked_at = now;
	return 0;
}

const struct wr_backend_class wr_backend_exec = {
	.name = "exec",
	.open = exec_open,
	.revoke = exec_revoke,
	.publish = NULL,
	.close = exec_close,
};
