/*
 * backend-exec.c: revocation through the CA's own tool.
 *
 * [exec] command is a shell command template run once per batch and
 * CRLReason, with {serials_file} (a file of upper-case hex serials, one a
 * line), {reason} (the CRLReason's name) and {reason_code} (its number, 0
 * when unspecified) replaced, each shell-quoted. The tool answers per
 * serial on standard output with lines
 *
 *     SERIAL revoked|already|failed [detail]
 *
 * and serials it does not mention take its exit status: 0 revoked, any
 * other failed with the status and the last line of its error output.
 * This is how a CA plugs in its production system.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"

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

static char *expand(const char *tmpl, const char *file, int reason)
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

/* Runs cmd with sh, collecting stdout and stderr (capped), within timeout.
 * Returns the exit status, 128+signal, or -1 when it could not run. */
static int run(const char *cmd, int timeout, char **out, char **errout)
{
	int po[2], pe[2], status = -1;
	size_t cap[2] = {65536, 8192}, len[2] = {0, 0};
	char *buf[2] = {malloc(cap[0] + 1), malloc(cap[1] + 1)};
	pid_t pid;

	*out = *errout = NULL;
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
		dup2(po[1], 1);
		dup2(pe[1], 2);
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	struct pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
	int open_fds = 2;
	time_t end = time(NULL) + timeout;
	while (open_fds > 0) {
		int left = (int)(end - time(NULL));
		if (left <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(fds, 2, left * 1000) < 0 && errno != EINTR)
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
	int ws;
	if (waitpid(pid, &ws, 0) == pid)
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

static int run_group(struct wr_backend *b, struct wr_rv_item *items, size_t n, int reason,
		     char *err, size_t errsz)
{
	char path[] = "/tmp/warroom-serials-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	char *cmd = NULL, *out = NULL, *errout = NULL;
	int rc = 0;

	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		snprintf(err, errsz, "temporary file: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return WR_EIO;
	}
	for (size_t i = 0; i < n; i++)
		if (items[i].crl_reason == reason)
			fprintf(f, "%s\n", items[i].serial);
	if (fclose(f) != 0 || !(cmd = expand(b->command, path, reason))) {
		snprintf(err, errsz, "writing %s", path);
		unlink(path);
		return WR_EIO;
	}
	int status = run(cmd, b->timeout, &out, &errout);
	unlink(path);
	free(cmd);
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
		if (status == 0) {
			it->status = WR_RV_REVOKED;
		} else {
			it->status = WR_RV_FAILED;
			snprintf(it->error, sizeof it->error, "exit status %d%s%s", status,
				 tail[0] ? ": " : "", tail);
		}
	}
out:
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
