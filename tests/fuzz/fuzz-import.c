/*
 * fuzz-import.c: the PEM/DER splitter of core/import.c through the public
 * API: each input is written to one file and imported with
 * wr_import_paths (one parser thread) into a real incident database, so
 * the DER-or-PEM decision, the PEM block scan (labels, BEGIN without END,
 * prose, CRLF, TRUSTED CERTIFICATE, private keys), base64 decoding, line
 * numbers of the rejections and the storing of what parses are all
 * covered. An input that starts "\xff" "B" and two bytes k is a big
 * bundle instead: filler lines, then the rest of the input, placed so that
 * the first chunk boundary (import.c's CHUNK_BYTES) falls k % 2048 bytes
 * into it, for the chunked scan of mapped files.
 * wr.h's contract is checked too: a bad file is reported, never an
 * error; one file is counted once and rejected at most once; every
 * certificate found is added or a duplicate; a rejection with a line
 * number names a line holding "-----BEGIN ". The database is recreated
 * every FZ_RECREATE runs so it stays small and fast.
 */
#include <stdint.h>

#include "fuzz.h"

#define FZ_RECREATE 500
#define FZ_CHUNK (384 << 10) /* CHUNK_BYTES in core/import.c */

static struct wr_db *db;
static char input[FZ_PATHSZ];
static unsigned runs;

struct seen {
	const uint8_t *file; /* what was written */
	size_t size;
	size_t reports;
};

/* Checks a report: "FILE" or "FILE:LINE", LINE in the file and holding a
 * BEGIN marker (rejections point at their block). */
static void on_reject(const char *where, const char *why, void *ctx)
{
	struct seen *s = ctx;
	size_t n = strlen(input), line = 0;
	const char *p;

	s->reports++;
	if (!*why)
		fz_die("a rejection without a reason");
	if (strncmp(where, input, n) != 0)
		fz_die("a rejection names another file: %s", where);
	if (!where[n])
		return;
	if (where[n] != ':' || !where[n + 1])
		fz_die("bad place '%s'", where);
	for (p = where + n + 1; *p; p++) {
		if (*p < '0' || *p > '9' || line > SIZE_MAX / 20)
			fz_die("bad line in '%s'", where);
		line = line * 10 + (size_t)(*p - '0');
	}
	const uint8_t *b = s->file, *end = s->file + s->size, *nl;
	for (size_t l = 1; l < line; l++) {
		if (!(nl = memchr(b, '\n', (size_t)(end - b))))
			fz_die("%s: the file has %zu lines (%s)", where, l, why);
		b = nl + 1;
	}
	nl = memchr(b, '\n', (size_t)(end - b));
	if (line == 0 || !memmem(b, (size_t)((nl ? nl : end) - b), "-----BEGIN ", 11))
		fz_die("%s: no BEGIN on that line (%s)", where, why);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fz_path("input", input);
	db = fz_db_fresh(NULL);
	return 0;
}

/* The big-bundle form of data (see the top); malloc'd into *out. */
static size_t big(const uint8_t *data, size_t size, uint8_t **out)
{
	static const char line[] = "filler text, not PEM\n";
	size_t k = ((size_t)data[2] | (size_t)data[3] << 8) % 2048;
	size_t fill = FZ_CHUNK - k, n = size - 4;
	uint8_t *b = malloc(fill + n);

	if (!b)
		fz_die("out of memory");
	for (size_t i = 0; i < fill; i++)
		b[i] = (uint8_t)line[i % (sizeof line - 1)];
	if (fill)
		b[fill - 1] = '\n';
	memcpy(b + fill, data + 4, n);
	*out = b;
	return fill + n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *paths[] = {input};
	struct wr_import_stats st;
	struct seen seen = {data, size, 0};
	uint8_t *bigbuf = NULL;
	int rc;

	if (++runs % FZ_RECREATE == 0)
		db = fz_db_fresh(db);
	if (size >= 4 && data[0] == 0xff && data[1] == 'B')
		seen.size = big(data, size, &bigbuf), seen.file = bigbuf;
	fz_write(input, seen.file, seen.size);
	rc = wr_import_paths(db, paths, 1, 1, on_reject, &seen, &st);
	if (rc)
		fz_die("wr_import_paths failed on a file: %s (%s)", wr_strerror(rc),
		       wr_db_errmsg(db));
	if (st.files != 1 || st.rejected > 1 || st.certs != st.added + st.duplicates)
		fz_die("stats: files %lld certs %lld added %lld duplicates %lld rejected %lld",
		       (long long)st.files, (long long)st.certs, (long long)st.added,
		       (long long)st.duplicates, (long long)st.rejected);
	if ((st.rejected > 0) != (seen.reports > 0))
		fz_die("%lld rejected, but %zu reports", (long long)st.rejected, seen.reports);
	free(bigbuf);
	return 0;
}
