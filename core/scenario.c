/*
 * scenario.c: tabletop exercise scenarios (warroom-scenario(5)).
 * Placeholder until the parser lands: every load fails.
 */
#include <stdio.h>

#include "internal.h"

int wr_scenario_load(const char *name_or_path, struct wr_scenario **out, char *err, size_t errsz)
{
	*out = NULL;
	snprintf(err, errsz, "%s: scenarios are not implemented yet", name_or_path);
	return WR_EINVAL;
}
void wr_scenario_free(struct wr_scenario *sc) { (void)sc; }
const char *wr_scenario_id(const struct wr_scenario *sc) { (void)sc; return ""; }
const char *wr_scenario_title(const struct wr_scenario *sc) { (void)sc; return ""; }
const char *wr_scenario_sha256(const struct wr_scenario *sc) { (void)sc; return ""; }
double wr_scenario_speed(const struct wr_scenario *sc) { (void)sc; return 1; }
int wr_scenario_apply(struct wr_db *db, const struct wr_scenario *sc, const char *ca_dir)
{
	(void)sc; (void)ca_dir;
	return wr_err(db, WR_EINVAL, "scenarios are not implemented yet");
}
