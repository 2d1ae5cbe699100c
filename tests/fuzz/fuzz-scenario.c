/*
 * fuzz-scenario.c: exercise scenarios as core/scenario.c reads them,
 * wr_scenario_load on each input written to one file: the sections (an
 * empty one, one repeated), keys given twice, continuation lines, lines
 * too long, numbers, shares, durations and offsets, the effects and
 * expectations with their parameters, named customers. Checked besides
 * memory errors: success gives a scenario whose figures hold together
 * (real <= count, customers from 1 to count, shares in range, a
 * 64-digit SHA-256, an id); failure gives a "FILE:LINE: what" message.
 */
#include <stdint.h>

#include "fuzz.h"

static char input[FZ_PATHSZ];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fz_path("scenario.ini", input);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wr_scenario *sc = NULL;
	struct wr_scenario_info in;
	char err[1024] = "", want[FZ_PATHSZ + 4];
	int rc;

	fz_write(input, data, size);
	rc = wr_scenario_load(input, &sc, err, sizeof err);
	if (rc) {
		if (sc)
			fz_die("failure (%d) with a scenario", rc);
		/* "FILE:LINE: ", the line a positive number */
		snprintf(want, sizeof want, "%s:", input);
		const char *p = err + strlen(want);
		if (strncmp(err, want, strlen(want)) != 0 || *p < '1' || *p > '9')
			fz_die("message is not FILE:LINE: '%s'", err);
		while (*p >= '0' && *p <= '9')
			p++;
		if (strncmp(p, ": ", 2) != 0 || !p[2])
			fz_die("message is not FILE:LINE: what: '%s'", err);
		return 0;
	}
	if (!sc)
		fz_die("success without a scenario");
	wr_scenario_info(sc, &in);
	if (!in.id || !*in.id || !in.title || !in.reason || !in.based_on)
		fz_die("no id, title, reason or based_on");
	if (strlen(wr_scenario_sha256(sc)) != 64 || !(wr_scenario_speed(sc) > 0))
		fz_die("bad sha256 or speed");
	if (in.count < 1 || in.real < 0 || in.real > in.count || in.customers < 1 ||
	    in.customers > in.count || in.named > in.customers || in.discovered > 0 ||
	    in.expired < 0 || in.expired > in.count || in.critical_customers < 0)
		fz_die("figures do not hold together: count %lld real %lld customers %lld",
		       (long long)in.count, (long long)in.real, (long long)in.customers);
	wr_scenario_free(sc);
	return 0;
}
