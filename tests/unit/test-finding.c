/* Unit tests for an action item's history (core/finding.c,
 * wr_action_history), which the console's action item detail shows:
 * its own events only, oldest first, each change with its old and new
 * value; none for an item that does not exist. (Adding and changing
 * items, and the findings, are tested with the reports: test-report.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define T0 "2026-11-25T06:00:00Z"

struct fx {
	char dir[64];
	char path[96];
	struct wr_db *db;
	int64_t t0;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	unit_db_create(f->dir, f->path, &f->db, T0, "Action items", NULL, "alice");
	assert_int_equal(wr_time_parse(T0, &f->t0), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unit_db_remove(f->dir, f->db);
	free(f);
	return 0;
}

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

struct seen {
	int n;
	char line[8][160]; /* "ACTION ID STATUS PREVIOUS" */
};

static int seen_cb(const struct wr_event *e, void *arg)
{
	struct seen *s = arg;
	json_error_t jerr;
	json_t *d = json_loads(e->details, 0, &jerr);

	assert_non_null(d);
	if (s->n < 8)
		snprintf(s->line[s->n], sizeof s->line[0], "%s %lld %s %s", e->action,
			 (long long)json_integer_value(json_object_get(d, "action")),
			 or_dash(json_string_value(json_object_get(d, "status"))),
			 or_dash(json_string_value(json_object_get(d, "previous_status"))));
	s->n++;
	json_decref(d);
	return 0;
}

static void add(struct fx *f, const char *title, int64_t *id)
{
	struct wr_action a = {.title = title,
			      .kind = "prevent",
			      .root_cause = "Weak RNG",
			      .criteria = "No weak key in a month",
			      .due = f->t0 + 30 * 86400};
	assert_int_equal(wr_action_add(f->db, &a, id), 0);
}

static void set_status(struct fx *f, int64_t id, const char *status)
{
	struct wr_action ch = {.status = status};
	bool changed = false;
	assert_int_equal(wr_action_set(f->db, id, &ch, &changed), 0);
	assert_true(changed);
}

static void test_history_own_events_in_order(void **state)
{
	struct fx *f = *state;
	struct seen s = {0};
	int64_t a1 = 0, a2 = 0;

	add(f, "Replace the HSM firmware", &a1);
	add(f, "Alert on duplicate moduli", &a2);
	set_status(f, a1, "delayed");
	set_status(f, a2, "canceled");
	/* A finding's event names no action item: never in a history. */
	assert_int_equal(wr_finding_add(f->db, "root-cause", NULL, "Weak RNG", NULL, 0, NULL), 0);
	set_status(f, a1, "complete");

	assert_int_equal(wr_action_history(f->db, a1, seen_cb, &s), 0);
	assert_int_equal(s.n, 3);
	char want[160];
	snprintf(want, sizeof want, "action-add %lld ongoing -", (long long)a1);
	assert_string_equal(s.line[0], want);
	snprintf(want, sizeof want, "action-set %lld delayed ongoing", (long long)a1);
	assert_string_equal(s.line[1], want);
	snprintf(want, sizeof want, "action-set %lld complete delayed", (long long)a1);
	assert_string_equal(s.line[2], want);

	memset(&s, 0, sizeof s);
	assert_int_equal(wr_action_history(f->db, a2, seen_cb, &s), 0);
	assert_int_equal(s.n, 2);
	snprintf(want, sizeof want, "action-set %lld canceled ongoing", (long long)a2);
	assert_string_equal(s.line[1], want);
}

static void test_history_of_no_such_item(void **state)
{
	struct fx *f = *state;
	struct seen s = {0};
	int64_t a1 = 0;

	add(f, "Replace the HSM firmware", &a1);
	assert_int_equal(wr_action_history(f->db, a1 + 1, seen_cb, &s), 0);
	assert_int_equal(s.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_history_own_events_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_history_of_no_such_item, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
