/*
 * background.c: the console never waits. A long command typed on the ':'
 * line (revoke, import, verify, crl, and later notify and probe) runs in
 * a process of its own, the console's own binary with the same --db and
 * --config, in a session of its own so that it outlives the console and
 * its terminal; its output goes to unlinked temporary files that the
 * console reads when it ends and shows as any command's (cmdline_show).
 * Meanwhile the banner shows its progress from the run table, like any
 * other console's. Children are reaped on the tick (waitpid WNOHANG).
 *
 * Also here: a write of the console that found another writer holding
 * the database past its short busy timeout (CONSOLE_BUSY_MS) says whom it
 * waits for and is tried again on the ticks, instead of freezing the
 * screen for the CLI's minute.
 *
 * Keeps only its children and their output; never the incident's state.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "console.h"

extern char **environ;

/* A waiting write is tried again this often, and given up after the
 * CLI's own wait. */
#define RETRY_MS 250
#define GIVE_UP_MS 60000
#define MAX_JOBS 8

/* contacts: its DNS questions can take their timeouts; report (post):
 * Bugzilla's requests theirs. */
static const char *const long_commands[] = {"revoke", "import", "verify", "crl", "notify",
					    "probe", "contacts", "report"};

struct job {
	TAILQ_ENTRY(job) entry;
	pid_t pid;
	int out, err; /* the child's stdout and stderr, unlinked files */
	char *line;
};

TAILQ_HEAD(job_list, job);

struct bg {
	struct job_list jobs;
	int njobs;
	char *waiting; /* a ':' line to try again, or NULL */
	bool waiting_yes;
	double wait_since, next_try;
};

static struct bg *bg_of(struct console *c)
{
	if (!c->bg && (c->bg = calloc(1, sizeof *c->bg)))
		TAILQ_INIT(&c->bg->jobs);
	return c->bg;
}

bool bg_wants(const struct console *c, const char *line)
{
	char *buf, *argv[64];
	const char *why;
	bool want = false;
	int argc;

	/* A replay or a bench runs everything in-process: its screens must
	 * not depend on how fast a child is. */
	if (c->headless || !(buf = malloc(strlen(line) + 1)))
		return false;
	argc = cmd_split_line(line, buf, argv, 64, &why);
	for (size_t i = 0; argc > 0 && i < sizeof long_commands / sizeof long_commands[0]; i++)
		if (strcmp(argv[0], long_commands[i]) == 0)
			want = true;
	/* --help is quick, and its output the same. */
	for (int i = 1; want && i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			want = false;
	free(buf);
	return want;
}

/* An unlinked temporary file, closed on exec (the child gets a dup). */
static int temp_file(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	snprintf(path, sizeof path, "%s/warroom-job-XXXXXX", dir && *dir ? dir : "/tmp");
	if ((fd = mkostemp(path, O_CLOEXEC)) < 0)
		return -1;
	unlink(path);
	return fd;
}

/* Its environment: the console's, and WARROOM_CONSOLE_JOB (cmd.c). */
static char **job_environ(void)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	if (!(env = calloc(n + 2, sizeof *env)))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "WARROOM_CONSOLE_JOB=", 20) != 0)
			env[k++] = environ[i];
	env[k] = "WARROOM_CONSOLE_JOB=1";
	return env;
}

int bg_start(struct console *c, const char *line)
{
	struct bg *bg = bg_of(c);
	struct wr_ctx *ctx = c->ctx;
	char *buf = malloc(strlen(line) + 1), *words[64], *argv[72];
	const char *why = "";
	char **env = job_environ();
	struct job *j = calloc(1, sizeof *j);
	int argc, n = 0;

	if (!bg || !buf || !env || !j) {
		console_message(c, ROLE_ALERT, "out of memory");
		goto fail;
	}
	if (bg->njobs >= MAX_JOBS) {
		console_message(c, ROLE_ALERT, "%d commands run in the background already: wait for"
					       " one to end", bg->njobs);
		goto fail;
	}
	if ((argc = cmd_split_line(line, buf, words, 64, &why)) < 0) {
		console_message(c, ROLE_ALERT, "%s", why);
		goto fail;
	}
	argv[n++] = "warroom";
	argv[n++] = "--db";
	argv[n++] = (char *)ctx->db_path;
	if (ctx->config_path) {
		argv[n++] = "--config";
		argv[n++] = (char *)ctx->config_path;
	}
	argv[n++] = "--";
	for (int i = 0; i < argc; i++)
		argv[n++] = words[i];
	argv[n] = NULL;
	j->out = temp_file();
	j->err = temp_file();
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (j->out < 0 || j->err < 0 || null < 0 || !(j->line = strdup(line))) {
		console_message(c, ROLE_ALERT, "cannot run it in the background: %s",
				strerror(errno));
		if (null >= 0)
			close(null);
		goto fail;
	}
	j->pid = fork();
	if (j->pid == 0) {
		/* Its own session: the terminal's hangup and ^C are not its,
		 * and it goes on when the console quits. The binary that runs
		 * is this one, even if the file has been replaced since. */
		setsid();
		if (dup2(null, 0) < 0 || dup2(j->out, 1) < 0 || dup2(j->err, 2) < 0)
			_exit(127);
		execve("/proc/self/exe", argv, env);
		const char m[] = "warroom: cannot run itself (/proc/self/exe)\n";
		ssize_t w = write(2, m, sizeof m - 1);
		(void)w;
		_exit(127);
	}
	close(null);
	if (j->pid < 0) {
		console_message(c, ROLE_ALERT, "cannot run it in the background: %s",
				strerror(errno));
		goto fail;
	}
	TAILQ_INSERT_TAIL(&bg->jobs, j, entry);
	bg->njobs++;
	console_message(c, ROLE_OK, "%s: runs in the background (pid %ld); the banner shows it,"
				    " its output shows when it ends", line, (long)j->pid);
	free(buf);
	free(env);
	return EXIT_OK;
fail:
	if (j) {
		if (j->out > 0)
			close(j->out);
		if (j->err > 0)
			close(j->err);
		free(j->line);
		free(j);
	}
	free(buf);
	free(env);
	return EXIT_FAIL;
}

/* The whole of an unlinked output file, malloc'd (NUL-terminated). */
static char *slurp(int fd, size_t *len)
{
	struct stat sb;
	char *s;
	size_t got = 0;

	*len = 0;
	if (fstat(fd, &sb) != 0 || !(s = malloc((size_t)sb.st_size + 1)))
		return strdup("");
	while (got < (size_t)sb.st_size) {
		ssize_t r = pread(fd, s + got, (size_t)sb.st_size - got, (off_t)got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	s[got] = '\0';
	*len = got;
	return s;
}

static void job_free(struct job *j)
{
	close(j->out);
	close(j->err);
	free(j->line);
	free(j);
}

static void job_ended(struct console *c, struct job *j, int status)
{
	size_t on, en;
	char *out = slurp(j->out, &on), *err = slurp(j->err, &en);
	int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

	if (out && err && !WIFEXITED(status) && !*err) {
		free(err);
		if (asprintf(&err, "killed by signal %d\n", WTERMSIG(status)) < 0)
			err = NULL;
		en = err ? strlen(err) : 0;
	}
	if (!out || !err) {
		free(out);
		free(err);
		console_message(c, ROLE_ALERT, "out of memory");
		return;
	}
	/* Its output, as if it had run in the console. */
	cmdline_show(c, j->line, rc, out, on, err, en);
	c->own_writes++;
	c->dirty = true;
}

static void retry(struct console *c)
{
	struct bg *bg = c->bg;
	double now = console_ms();

	if (!bg->waiting || now < bg->next_try)
		return;
	char *line = bg->waiting;
	bool yes = bg->waiting_yes;
	double since = bg->wait_since;
	bg->waiting = NULL;
	c->ctx->yes = yes;
	cmdline_run(c, line);
	c->ctx->yes = false;
	if (bg->waiting && strcmp(bg->waiting, line) == 0) {
		bg->wait_since = since; /* still waiting, since then */
		if (now - since > GIVE_UP_MS) {
			free(bg->waiting);
			bg->waiting = NULL;
			console_message(c, ROLE_ALERT, "%s: gave up after %d s: another writer held the"
						       " database all along", line, GIVE_UP_MS / 1000);
		}
	}
	c->dirty = true;
	free(line);
}

void bg_poll(struct console *c)
{
	struct bg *bg = c->bg;
	struct job *j, *next;
	int status;

	if (!bg)
		return;
	for (j = TAILQ_FIRST(&bg->jobs); j; j = next) {
		next = TAILQ_NEXT(j, entry);
		pid_t r = waitpid(j->pid, &status, WNOHANG);
		if (r == 0 || (r < 0 && errno == EINTR))
			continue;
		TAILQ_REMOVE(&bg->jobs, j, entry);
		bg->njobs--;
		if (r == j->pid)
			job_ended(c, j, status);
		job_free(j);
	}
	retry(c);
}

void bg_wait_write(struct console *c, const char *line, bool yes)
{
	struct bg *bg = bg_of(c);
	char who[160];

	if (!bg)
		return;
	free(bg->waiting);
	bg->waiting = strdup(line);
	bg->waiting_yes = yes;
	bg->wait_since = console_ms();
	bg->next_try = bg->wait_since + RETRY_MS;
	console_message(c, ROLE_WARN, "%s: waiting for %s%s", line,
			banner_writer(c, who, sizeof who) ? who : "another writer",
			c->utf8 ? "\xe2\x80\xa6" : "...");
}

void bg_detach(struct console *c, FILE *f)
{
	struct bg *bg = c->bg;
	struct job *j;

	if (!bg)
		return;
	while ((j = TAILQ_FIRST(&bg->jobs))) {
		TAILQ_REMOVE(&bg->jobs, j, entry);
		int status;
		if (waitpid(j->pid, &status, WNOHANG) == 0) {
			char *m = wr_esc_term(j->line);
			fprintf(f, "warroom: ':%s' goes on in the background (pid %ld): 'warroom runs'"
				   " shows it, 'warroom runs cancel ID' ends it\n", m ? m : "?",
				(long)j->pid);
			free(m);
		}
		job_free(j);
	}
	if (bg->waiting) {
		char *m = wr_esc_term(bg->waiting);
		fprintf(f, "warroom: ':%s' was waiting for another writer and was not done\n",
			m ? m : "?");
		free(m);
	}
	free(bg->waiting);
	free(bg);
	c->bg = NULL;
}
