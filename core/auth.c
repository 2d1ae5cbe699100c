/*
 * auth.c: who may act for which team.
 *
 * With no [users] section every user may do everything (one operator, the
 * demo). With one, a user acts only for the teams listed for them, and
 * Management acts for all. A refusal names the team that is needed.
 * In an exercise, "facilitator" in a user's list is a role, not a team:
 * it runs the exercise (its clock, injects, scores), and Management,
 * a participant like the others, does not have it.
 */
#include <string.h>

#include "internal.h"

#define MANAGEMENT "management"

static bool list_has(const char *list, const char *id)
{
	size_t n = strlen(id);
	const char *p = list;

	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *q = p;
		while (*q && *q != ',' && *q != ' ' && *q != '\t')
			q++;
		if ((size_t)(q - p) == n && strncmp(p, id, n) == 0)
			return true;
		p = q;
	}
	return false;
}

const char *wr_auth_teams(struct wr_db *db)
{
	/* The pinned policy decides, never the caller's config alone. */
	const struct wr_config *cfg = wr_policy_cfg(db);
	const char *teams;

	if (!wr_config_has_users(cfg))
		return "*";
	teams = wr_config_user_teams(cfg, db->actor, NULL);
	return teams ? teams : "";
}

int wr_auth_team(struct wr_db *db, const char *team)
{
	const char *teams = wr_auth_teams(db);

	if (strcmp(teams, "*") == 0 || list_has(teams, MANAGEMENT) ||
	    (team && list_has(teams, team)))
		return 0;
	if (!*teams)
		return wr_err(db, WR_EPERM,
			      "user '%s' is not listed in [users] of %s; this needs team '%s'",
			      db->actor, wr_config_path(db->cfg), team ? team : MANAGEMENT);
	return wr_err(db, WR_EPERM, "user '%s' (teams: %s) may not do this: it needs team '%s'",
		      db->actor, teams, team ? team : MANAGEMENT);
}

#define FACILITATOR "facilitator"

int wr_auth_facilitator(struct wr_db *db)
{
	const char *teams = wr_auth_teams(db);

	if (strcmp(teams, "*") == 0 || list_has(teams, FACILITATOR))
		return 0;
	if (!*teams)
		return wr_err(db, WR_EPERM,
			      "user '%s' is not listed in [users] of %s; running the exercise"
			      " needs the facilitator role ('%s = facilitator')",
			      db->actor,
			      wr_config_path(wr_policy_cfg(db)) ? wr_config_path(wr_policy_cfg(db))
								: "the configuration",
			      db->actor);
	return wr_err(db, WR_EPERM,
		      "user '%s' (teams: %s) is a participant: only the exercise's facilitator"
		      " ('%s = facilitator' in [users]) runs its clock, injects and scores",
		      db->actor, teams, db->actor);
}
