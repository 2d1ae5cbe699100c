/*
 * fuzz-csv.c: the customer CSV reader of core/import.c,
 * wr_import_customers, on each input written to one file: RFC 4180
 * quoting (commas, "" and line breaks in quotes, unterminated quotes, text
 * after a closing quote), CRLF, a UTF-8 byte order mark, blank lines, the
 * header row, column counts and serial normalisation, and the UPDATE of
 * matching certificates. The database is loaded once with the DER
 * certificates of the cert corpus (tests/fuzz/corpus/cert, or
 * $WR_FUZZ_CERTS), whose serials the seed CSVs name, so rows match as well
 * as miss. Checked besides memory errors: a bad row is reported, never an
 * error, and every row is matched, unmatched or rejected.
 */
#include <stdint.h>

#include "fuzz.h"

#ifndef FZ_SEED_CERTS
#define FZ_SEED_CERTS "tests/fuzz/corpus/cert"
#endif
#define FZ_RECREATE 1000

static struct wr_db *db;
static char input[FZ_PATHSZ];
static unsigned runs;

static struct wr_db *fresh(struct wr_db *old)
{
	const char *dir = getenv("WR_FUZZ_CERTS");
	const char *paths[1];
	struct wr_import_stats st;
	struct wr_db *d = fz_db_fresh(old);

	paths[0] = dir && *dir ? dir : FZ_SEED_CERTS;
	if (wr_import_paths(d, paths, 1, 1, NULL, NULL, &st))
		fz_die("importing %s: %s", paths[0], wr_db_errmsg(d));
	if (st.added == 0)
		fz_die("no certificate in %s (set WR_FUZZ_CERTS)", paths[0]);
	return d;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fz_path("customers.csv", input);
	db = fresh(NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wr_import_stats st;
	size_t seen = 0;
	int rc;

	if (++runs % FZ_RECREATE == 0)
		db = fresh(db);
	fz_write(input, data, size);
	rc = wr_import_customers(db, input, fz_reject, &seen, &st);
	/* A list with a bad row imports nothing and says so: each bad row
	 * reported, WR_EINVAL. Any other failure is a bug. */
	if (rc && !(rc == WR_EINVAL && st.csv_rejected > 0 && seen > 0))
		fz_die("wr_import_customers failed on a file: %s (%s)", wr_strerror(rc),
		       wr_db_errmsg(db));
	if (rc)
		return 0; /* rolled back: nothing matched, nothing to count */
	if (st.csv_rows != st.csv_matched + st.csv_unmatched + st.csv_rejected)
		fz_die("stats: rows %lld matched %lld unmatched %lld rejected %lld",
		       (long long)st.csv_rows, (long long)st.csv_matched,
		       (long long)st.csv_unmatched, (long long)st.csv_rejected);
	if ((st.csv_rejected > 0) != (seen > 0))
		fz_die("%lld rows rejected, but the reports say otherwise",
		       (long long)st.csv_rejected);
	return 0;
}
