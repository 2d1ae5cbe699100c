/*
 * fuzz-plan.c: the mass revocation plan as core/plan.c reads it,
 * wr_plan_load on each input written to one file: [plan] and [team ID]
 * sections, team ids, phase keys, due times (+DURATION, deadline,
 * deadline-DURATION) and titles, then every team and task of a plan that
 * loads is read back (through core/internal.h, as incident.c reads them).
 * Checked besides memory errors: success gives a plan with teams, each
 * named, tasks pointing at one of its teams, a phase in range, a title
 * and a 64-digit SHA-256; failure gives a "FILE:LINE: what" message.
 */
#include <stdint.h>

#include "fuzz.h"
#include "internal.h"

static char input[FZ_PATHSZ];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fz_path("plan.ini", input);
	return 0;
}

static bool team_known(const struct wr_plan *p, const char *id)
{
	for (size_t i = 0; i < wr_plan_team_count(p); i++)
		if (strcmp(wr_plan_team_at(p, i)->id, id) == 0)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wr_plan *p = NULL;
	char err[512] = "";
	int rc;

	fz_write(input, data, size);
	rc = wr_plan_load(input, &p, err, sizeof err);
	if (rc) {
		if (p)
			fz_die("failure (%d) with a plan", rc);
		if (strncmp(err, input, strlen(input)) != 0)
			fz_die("message does not name the file: '%s'", err);
		return 0;
	}
	if (!p || wr_plan_team_count(p) == 0)
		fz_die("success without a plan or teams");
	/* "name =" gives an empty name, not "(unnamed plan)": allowed. */
	if (strlen(wr_plan_sha256(p)) != 64 || !wr_plan_name(p))
		fz_die("bad sha256 or no name");
	for (size_t i = 0; i < wr_plan_team_count(p); i++) {
		const struct wr_plan_team *t = wr_plan_team_at(p, i);
		if (!t->id || !*t->id || !t->name)
			fz_die("team %zu without an id or a name", i);
	}
	for (size_t i = 0; i < wr_plan_task_count(p); i++) {
		const struct wr_plan_task *t = wr_plan_task_at(p, i);
		if (!t->title || !*t->title || t->phase < 0 || t->phase >= WR_PHASES ||
		    !team_known(p, t->team))
			fz_die("task %zu: bad title, phase %d or team", i, t->phase);
		if (t->due_anchor && strcmp(t->due_anchor, "discovery") &&
		    strcmp(t->due_anchor, "deadline"))
			fz_die("task %zu: bad anchor", i);
	}
	if (wr_plan_team_at(p, wr_plan_team_count(p)) || wr_plan_task_at(p, wr_plan_task_count(p)))
		fz_die("an index past the end gave an item");
	wr_plan_free(p);
	return 0;
}
