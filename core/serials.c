/*
 * serials.c: files of serial numbers a user names (delay --serials, wave
 * add --serials), one a line.
 *
 * Lines are read whole, however long: a fixed-size read would split a
 * long line and take its tail for a serial. A line is taken or refused as
 * a whole; blank lines and # comments are skipped; a refused line, or a
 * serial that matches nothing, goes to the reject callback as FILE:LINE.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The longest word that can be one serial: the 64 octets the cert table
 * keeps, written "0x01:02:..." with colons. Anything longer is not a
 * serial, whatever its tail looks like. */
#define SERIAL_WORD_MAX 200
/* Bytes of a rejected line shown back: enough to recognise it. */
#define SERIAL_SHOWN 40

/*
 * One line of a serials file, read whole (len bytes, its newline already
 * cut): 1 to skip it (blank, a # comment), 0 with the normalised serial,
 * -1 when it is not exactly one serial in hex. A line is taken or refused
 * as a whole: a serial inside a longer line is never held.
 */
static int serial_line(const char *line, size_t len, char serial[132])
{
	const char *p = line, *end = line + len, *word;

	if (memchr(line, '\0', len))
		return -1; /* a NUL would hide the rest of the line */
	while (end > p && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p == '#')
		return 1;
	word = p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	if (p != end || (size_t)(p - word) > SERIAL_WORD_MAX)
		return -1; /* more than one word, or longer than any serial */
	char w[SERIAL_WORD_MAX + 1];
	memcpy(w, word, (size_t)(p - word));
	w[p - word] = '\0';
	return wr_serial_normalize(w, serial, 132) ? -1 : 0;
}

/* Tells reject what a refused line held, shortened and made safe to show:
 * the callback's why is printed as it is. */
static void reject_line(wr_reject_cb reject, void *ctx, const char *where, const char *line,
			size_t len)
{
	char shown[SERIAL_SHOWN + 1], why[512];

	if (!reject)
		return;
	if (len > 0 && line[len - 1] == '\r')
		len--; /* a CRLF file's CR is no part of what was written */
	size_t n = len < SERIAL_SHOWN ? len : SERIAL_SHOWN;
	memcpy(shown, line, n);
	shown[n] = '\0';
	/* Raw bytes: the caller escapes for its edge (terminal, JSON). */
	if (len > SERIAL_SHOWN)
		snprintf(why, sizeof why, "expected one serial in hex, got '%s...' (%zu bytes)", shown,
			 len);
	else
		snprintf(why, sizeof why, "expected one serial in hex, got '%s'", shown);
	reject(where, why, ctx);
}


int wr_serials_run(struct wr_db *db, FILE *f, const char *label, sqlite3_stmt *st, int param,
		   const char *none, wr_reject_cb reject, void *ctx, int64_t *n, int64_t *unknown)
{
	char *line = NULL, serial[132], where[4096 + 24];
	size_t cap = 0;
	ssize_t len;
	long long lineno = 0;
	int rc = 0;

	while (!rc && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		int kind = serial_line(line, (size_t)len, serial);
		if (kind > 0)
			continue;
		snprintf(where, sizeof where, "%s:%lld", label, lineno);
		if (kind < 0) {
			reject_line(reject, ctx, where, line, (size_t)len);
			(*unknown)++;
			continue;
		}
		sqlite3_reset(st);
		sqlite3_bind_text(st, param, serial, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = wr_err_sq(db, label);
			break;
		}
		int changed = sqlite3_changes(db->sq);
		*n += changed;
		if (!changed) {
			if (reject)
				reject(where, none, ctx);
			(*unknown)++;
		}
	}
	if (!rc && ferror(f))
		rc = wr_err(db, errno == ENOMEM ? WR_ENOMEM : WR_EIO, "%s: %s", label,
			    strerror(errno));
	free(line);
	return rc;
}
