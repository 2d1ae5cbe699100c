/*
 * exercise.c: a tabletop exercise's simulated clock and lifecycle.
 */
#include "internal.h"

bool wr_exercise_active(struct wr_db *db)
{
	int64_t n = 0;

	return db && wr_query_int(db, "SELECT count(*) FROM exercise", &n) == 0 && n > 0;
}
