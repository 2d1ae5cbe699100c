/* Unit tests for core/event-text.c and core/seen.c: every action the core
 * records reads as a sentence (no key=value), with the task's title and
 * team looked up; an unknown action falls back to its words and
 * key=value; hostile bytes in a title reach the sentence unchanged (the
 * edge escapes them); a short buffer is cut between characters; a
 * sentence cut to fit a pane keeps its team and note; and the
 * "last seen" record per user and database, forward only, forgotten when
 * another incident takes the path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

struct fx {
	char dir[64];
	char path[96];
	struct wr_db *db;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	unit_db_create(f->dir, f->path, &f->db, "2026-11-25T08:00:00Z", "Sentences", NULL,
		       "carol");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unsetenv("XDG_STATE_HOME");
	unit_db_remove(f->dir, f->db);
	free(f);
	return 0;
}

static void add_event(struct wr_db *db, const char *action, const char *details)
{
	assert_int_equal(wr_tx_begin(db), 0);
	assert_int_equal(wr_event_add(db, action, details), 0);
	assert_int_equal(wr_tx_commit(db), 0);
}

struct last {
	struct wr_db *db;
	char s[1024];
	int n;
	char action[64];
};

static int last_cb(const struct wr_event *e, void *arg)
{
	struct last *l = arg;
	l->n = wr_event_sentence(l->db, e, l->s, sizeof l->s);
	snprintf(l->action, sizeof l->action, "%s", e->action);
	return 0;
}

/* The newest event's sentence (a static buffer). */
static const char *newest(struct wr_db *db)
{
	static struct last l;

	memset(&l, 0, sizeof l);
	l.db = db;
	assert_int_equal(wr_event_foreach(db, 1, true, NULL, last_cb, &l), 0);
	assert_true(l.n >= 0);
	return l.s;
}

static const char *say(struct wr_db *db, const char *action, const char *details)
{
	add_event(db, action, details);
	return newest(db);
}

/* Every action the code records, with details as the code writes them. */
static const struct {
	const char *action, *details, *want;
} samples[] = {
	{"init",
	 "{\"active_total\":180000,\"name\":\"DCV bypass\",\"plan\":\"Default\",\"plan_sha256\":"
	 "\"ab\",\"tasks\":34,\"teams\":6}",
	 "carol created the incident \"DCV bypass\" with the plan \"Default\" (6 teams, 34 tasks);"
	 " the CA has 180,000 active certificates"},
	{"declare",
	 "{\"criteria\":[{},{},{},{},{},{},{}],\"criteria_met\":4,\"crl_reason\":\"keyCompromise\","
	 "\"deadline\":\"2026-11-26T06:00:00Z\",\"discovered\":\"2026-11-25T06:00:00Z\","
	 "\"reason\":\"key-compromise\"}",
	 "carol declared a mass revocation event: evidence that the subscriber's private key is"
	 " compromised (key-compromise, BR 4.9.1.1 (3)); discovered 2026-11-25 06:00Z, deadline"
	 " 2026-11-26 06:00Z; 4 of 7 MRE criteria met"},
	{"phase", "{\"name\":\"replacement\",\"phase\":2}",
	 "carol moved the incident to Phase 2: Certificate replacement"},
	{"close", "{\"note\":\"all revoked\"}", "carol closed the incident: \"all revoked\""},
	{"incident-reopen", "{\"note\":\"more found\",\"state\":\"declared\"}",
	 "carol reopened the incident (back to declared): \"more found\""},
	{"schema-upgrade", "{\"from\":1,\"to\":5}",
	 "carol upgraded the database from schema version 1 to 5"},
	{"policy-pin",
	 "{\"auto\":true,\"config\":\"/etc/warroom.conf\",\"previous\":null,\"sha256\":"
	 "\"0123456789abcdef0123\",\"text\":\"[users]\\nalice = management\\n\"}",
	 "carol automatically pinned the policy of \"/etc/warroom.conf\" (sha256 0123456789ab)"},
	{"task-add",
	 "{\"due\":\"2026-11-25T14:00:30Z\",\"phase\":\"replacement\",\"task\":35,\"team\":"
	 "\"customer-relations\",\"title\":\"Call the hospital\"}",
	 "carol added the task \"Call the hospital\" (Customer Relations, Phase 2: Certificate"
	 " replacement), due 2026-11-25 14:00:30Z"},
	{"task-done", "{\"note\":\"scope confirmed\",\"task\":1}",
	 "carol ticked \"Assess scope and severity against the MRE criteria\" (Management):"
	 " \"scope confirmed\""},
	{"task-reopen", "{\"task\":1}",
	 "carol reopened \"Assess scope and severity against the MRE criteria\" (Management)"},
	{"task-assign", "{\"owner\":\"bob\",\"task\":1}",
	 "carol assigned \"Assess scope and severity against the MRE criteria\" (Management) to bob"},
	{"task-note", "{\"note\":\"called back\",\"task\":1}",
	 "carol noted on \"Assess scope and severity against the MRE criteria\" (Management):"
	 " \"called back\""},
	{"task-block", "{\"reason\":\"waiting for legal\",\"task\":1}",
	 "carol blocked \"Assess scope and severity against the MRE criteria\" (Management):"
	 " \"waiting for legal\""},
	{"task-unblock", "{\"task\":1}",
	 "carol unblocked \"Assess scope and severity against the MRE criteria\" (Management)"},
	{"import",
	 "{\"files\":3000,\"certs\":3000,\"added\":2999,\"duplicates\":1,\"rejected\":1,\"forged\":0,"
	 "\"conflicts\":0,\"unchecked\":2,\"issuers\":1}",
	 "carol imported 3,000 certificates from 3,000 files: 2,999 added, 1 already present, 1 file"
	 " rejected, 2 with no known issuer"},
	{"customers", "{\"rows\":3000,\"matched\":2990,\"unmatched\":10,\"rejected\":0}",
	 "carol imported the customer list: 3,000 rows, 2,990 matched, 10 matching no certificate"},
	{"customers",
	 "{\"rows\":3,\"matched\":3,\"unmatched\":0,\"rejected\":0,\"customers_new\":1,"
	 "\"customers_updated\":2}",
	 "carol imported the customer list: 3 rows, 3 matched, 1 new customer, 2 customers updated"},
	{"customer-set",
	 "{\"contact\":\"new@x.example\",\"customer\":\"X\",\"previous_contact\":\"old@x.example\"}",
	 "carol updated customer \"X\": contact \"new@x.example\" (was \"old@x.example\")"},
	{"customer-set",
	 "{\"contact\":\"new@x.example\",\"critical\":\"yes\",\"customer\":\"X\","
	 "\"previous_contact\":null,\"previous_critical\":\"no\"}",
	 "carol updated customer \"X\": contact \"new@x.example\"; critical: yes (was no)"},
	{"customer-set", "{\"critical\":\"no\",\"customer\":\"X\",\"previous_critical\":\"yes\"}",
	 "carol updated customer \"X\"; critical: no (was yes)"},
	{"customer-ack", "{\"certificates\":12,\"customer\":\"Contoso Health\",\"note\":\"tonight\"}",
	 "carol recorded the acknowledgement of \"Contoso Health\" (12 certificates): \"tonight\""},
	{"authorize", "{\"action\":\"revoke\",\"authorization\":1,\"limit\":500}",
	 "carol authorized the revocation of at most 500 certificates (authorization #1)"},
	{"delay",
	 "{\"customer\":\"Contoso Health\",\"held\":12,\"rationale\":\"Infusion pumps\","
	 "\"until\":\"2026-11-28T00:00:00Z\"}",
	 "carol delayed the revocation of 12 certificates of \"Contoso Health\" until 2026-11-28"
	 " 00:00Z: \"Infusion pumps\""},
	{"revoke-reclaim", "{\"reclaimed\":1}",
	 "carol took back 1 certificate a stopped run left submitted"},
	{"revoke-batch",
	 "{\"already\":0,\"batch\":3,\"errors\":[{\"error\":\"refused\",\"serial\":\"0A\"}],"
	 "\"failed\":1,\"first\":\"01\",\"last\":\"FF\",\"revoked\":999}",
	 "carol ran revocation batch 3: 999 revoked, 0 already revoked, 1 failed (first failure 0A:"
	 " \"refused\")"},
	{"revoke",
	 "{\"already\":0,\"authorization\":1,\"backend\":\"local\",\"failed\":0,\"revoked\":2860,"
	 "\"seconds\":0.21}",
	 "carol revoked 2,860 certificates through the local backend: 0 already revoked, 0 failed,"
	 " in 0.2 s"},
	{"wave-add",
	 "{\"certificates\":500,\"customers\":[\"A\",\"B\",\"C\",\"D\"],\"not_before\":null,"
	 "\"position\":1,\"wave\":\"first\"}",
	 "carol added wave \"first\" at position 1: 500 certificates of \"A\", \"B\", \"C\" and 1 more"},
	{"wave-add",
	 "{\"certificates\":40,\"critical\":\"yes\",\"not_before\":\"2026-11-28T00:00:00Z\","
	 "\"position\":2,\"wave\":\"last\"}",
	 "carol added wave \"last\" at position 2: 40 certificates (critical customers: yes), not"
	 " before 2026-11-28 00:00Z"},
	{"wave-move", "{\"from\":2,\"to\":1,\"wave\":\"first\"}",
	 "carol moved wave \"first\" from position 2 to 1"},
	{"crl",
	 "{\"crl_number\":4,\"entries\":1,\"shards\":2,\"next_update\":\"2026-11-26T08:00:00Z\","
	 "\"bytes\":100,\"seconds\":0.1}",
	 "carol published CRL number 4: 1 entry in 2 shards; next update 2026-11-26 08:00Z"},
	{"verify",
	 "{\"on_crl\":2860,\"revoked\":2860,\"ocsp_confirmed\":100,\"ocsp_sampled\":100,"
	 "\"problems\":0,\"crl_source\":\"cdp\",\"ocsp_url\":null}",
	 "carol checked publication: 2,860 of 2,860 revoked certificates on the CRLs, OCSP confirmed"
	 " 100 of 100 sampled, 0 problems"},
	{"run-pause", "{\"kind\":\"revoke\",\"run\":3}", "carol paused the revoke run #3"},
	{"run-resume", "{\"kind\":\"revoke\",\"run\":3}", "carol resumed the revoke run #3"},
	{"run-cancel", "{\"kind\":\"import\",\"run\":4}", "carol cancelled the import run #4"},
	{"notify",
	 "{\"template\":\"first-notice\",\"sent\":12,\"failed\":1,\"unknown\":0,\"skipped\":3,"
	 "\"no_contact\":0}",
	 "carol sent the \"first-notice\" message: 12 sent, 1 failed, 3 already sent"},
	{"replacements",
	 "{\"certs\":9,\"linked\":7,\"relinked\":0,\"already\":1,\"unmatched\":1,\"affected\":9,"
	 "\"ambiguous\":0,\"rejected\":0}",
	 "carol imported replacements for 9 certificates: 7 linked, 1 already linked, 1 replacing"
	 " nothing"},
	{"ari",
	 "{\"written\":40,\"no_aki\":0,\"start\":\"2026-11-25T08:00:00Z\","
	 "\"end\":\"2026-11-27T08:00:00Z\",\"explanation_url\":false}",
	 "carol wrote renewal information for 40 certificates, the window from 2026-11-25 08:00Z to"
	 " 2026-11-27 08:00Z"},
	{"probe",
	 "{\"round\":1,\"endpoints\":5,\"affected\":2,\"replacement\":2,\"other\":0,"
	 "\"unreachable\":1,\"replaced\":1,\"unreplaced\":2,\"again\":false,\"cancelled\":false}",
	 "carol probed 5 endpoints: 2 still serving the affected certificate, 2 its replacement, 0"
	 " another, 1 unreachable; 1 certificate now replaced"},
};

static void test_every_action(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		const char *s = say(f->db, samples[i].action, samples[i].details);
		assert_true(wr_event_known(samples[i].action));
		assert_string_equal(s, samples[i].want);
		/* No key=value, no template left over, no missing value. */
		assert_null(strchr(s, '='));
		assert_null(strchr(s, '{'));
		assert_null(strchr(s, '?'));
	}
}

static void test_optional_parts(void **state)
{
	struct fx *f = *state;

	/* Groups drop out when their value is absent, null, empty or 0. */
	assert_string_equal(say(f->db, "close", "{}"), "carol closed the incident");
	assert_string_equal(say(f->db, "task-done", "{\"task\":2,\"note\":\"\"}"),
			    "carol ticked \"Alert team members internally of a possible"
			    " activation\" (Management)");
	assert_string_equal(say(f->db, "authorize",
				"{\"action\":\"revoke\",\"authorization\":2,\"limit\":null}"),
			    "carol authorized the revocation (authorization #2)");
	assert_string_equal(say(f->db, "policy-pin",
				"{\"auto\":false,\"config\":null,\"previous\":\"fedcba9876543210\","
				"\"sha256\":\"0123456789abcdef\"}"),
			    "carol pinned the policy (sha256 0123456789ab), replacing fedcba987654");
	/* Assigning to oneself is taking. */
	assert_string_equal(say(f->db, "task-assign", "{\"owner\":\"carol\",\"task\":1}"),
			    "carol took \"Assess scope and severity against the MRE criteria\""
			    " (Management)");
	/* A task that is not there is named by its id. */
	assert_string_equal(say(f->db, "task-done", "{\"task\":9999}"), "carol ticked task 9999");
	/* An unknown reason code is shown as it is. */
	assert_non_null(strstr(say(f->db, "declare", "{\"reason\":\"made-up\",\"criteria\":[]}"),
			       ": made-up;"));
}

static void test_real_events(void **state)
{
	struct fx *f = *state;
	int64_t id;

	/* What the core itself records. */
	assert_string_equal(newest(f->db),
			    "carol created the incident \"Sentences\" with the plan \"Default MRE"
			    " plan (warroom, after the Mozilla template)\" (6 teams, 34 tasks); the"
			    " CA has 100 active certificates");
	assert_int_equal(wr_task_done(f->db, 1, NULL), 0);
	assert_string_equal(newest(f->db), "carol ticked \"Assess scope and severity against the"
					   " MRE criteria\" (Management)");
	assert_int_equal(wr_task_add(f->db, "compliance-legal", 1, 0, "Brief counsel", &id), 0);
	assert_string_equal(newest(f->db), "carol added the task \"Brief counsel\" (Compliance &"
					   " Legal, Phase 1: Customer communication)");
	assert_int_equal(wr_incident_set_phase(f->db, 3), 0);
	assert_string_equal(newest(f->db), "carol moved the incident to Phase 3: Certificate"
					   " revocation");
}

static void test_unknown_and_broken(void **state)
{
	struct fx *f = *state;

	assert_false(wr_event_known("frob-nicate"));
	assert_string_equal(say(f->db, "frob-nicate", "{\"a\":1,\"b\":\"x y\",\"c\":[1,2],\"d\":{}}"),
			    "carol frob nicate: a=1 b=\"x y\" c=[2] d={...}");
	assert_string_equal(say(f->db, "frob", "{}"), "carol frob");
	/* Details that are not a JSON object: shown as they are. */
	assert_string_equal(say(f->db, "task-done", "not json"), "carol task done: not json");
	assert_string_equal(say(f->db, "task-done", "[1]"), "carol task done: [1]");
	/* A known action whose values have the wrong types never crashes. */
	assert_string_equal(say(f->db, "task-done", "{\"task\":\"x\",\"note\":3}"),
			    "carol ticked a task: 3");
	assert_string_equal(say(f->db, "import", "{\"certs\":\"many\"}"),
			    "carol imported many certificates from ? files: ? added, ? already"
			    " present, ? files rejected");
	assert_string_equal(say(f->db, "revoke-batch", "{\"errors\":[{\"serial\":1}],\"failed\":1}"),
			    "carol ran revocation batch ?: ? revoked, ? already revoked, 1 failed");
}

static void test_hostile_text(void **state)
{
	struct fx *f = *state;
	const char *title = "evil\x1b[2J\xe2\x80\xae title\nsecond \"line\"";
	char want[256];
	int64_t id;

	assert_int_equal(wr_task_add(f->db, "management", 1, 0, title, &id), 0);
	assert_int_equal(wr_task_note(f->db, id, "note \x07\x1b]0;x\x07"), 0);
	/* The bytes reach the sentence as they are: escaping is the edge's. */
	snprintf(want, sizeof want, "carol noted on \"%s\" (Management): \"note \x07\x1b]0;x\x07\"",
		 title);
	assert_string_equal(newest(f->db), want);
	char *esc = wr_esc_term(newest(f->db));
	assert_non_null(esc);
	assert_null(strchr(esc, '\x1b'));
	assert_null(strchr(esc, '\n'));
	free(esc);
}

static int cut_cb(const struct wr_event *e, void *arg)
{
	struct fx *f = arg;
	char small[22], one[1];
	char *full = wr_event_sentence_dup(f->db, e, 0);

	assert_non_null(full);
	assert_string_equal(full, "carol frob: k=日本語のメモ");
	int n = wr_event_sentence(f->db, e, small, sizeof small);
	assert_int_equal(n, (int)strlen(full));
	/* "carol frob: k=" is 14 bytes, then 3-byte characters: 21 bytes
	 * would split the third, so the cut keeps two. */
	assert_string_equal(small, "carol frob: k=日本");
	assert_int_equal(wr_event_sentence(f->db, e, one, sizeof one), n);
	assert_string_equal(one, "");
	free(full);
	return 0;
}

static void test_cut(void **state)
{
	struct fx *f = *state;

	add_event(f->db, "frob", "{\"k\":\"日本語のメモ\"}");
	assert_int_equal(wr_event_foreach(f->db, 1, true, NULL, cut_cb, f), 0);
}

static int fit_cb(const struct wr_event *e, void *arg)
{
	struct fx *f = arg;
	char b[256];
	int n;

	/* Cut: the title after 10 characters (its trailing space dropped), the
	 * team by its short name; the note at the end stays whole. */
	n = wr_event_sentence_fit(f->db, e, 10, b, sizeof b);
	assert_int_equal(n, (int)strlen(b));
	assert_string_equal(b, "carol ticked \"Assess sco\xe2\x80\xa6\" (Mgmt): \"a long note stays whole\"");
	n = wr_event_sentence_fit(f->db, e, 6, b, sizeof b);
	assert_int_equal(n, (int)strlen(b));
	assert_string_equal(b, "carol ticked \"Assess\xe2\x80\xa6\" (Mgmt): \"a long note stays whole\"");
	/* Long enough: only the short name. */
	n = wr_event_sentence_fit(f->db, e, 1000, b, sizeof b);
	assert_int_equal(n, (int)strlen(b));
	assert_string_equal(b, "carol ticked \"Assess scope and severity against the MRE criteria\""
			       " (Mgmt): \"a long note stays whole\"");
	/* 0: whole, as wr_event_sentence. */
	n = wr_event_sentence_fit(f->db, e, 0, b, sizeof b);
	assert_int_equal(n, (int)strlen(b));
	assert_string_equal(b, "carol ticked \"Assess scope and severity against the MRE criteria\""
			       " (Management): \"a long note stays whole\"");
	return 0;
}

static int fit_long_cb(const struct wr_event *e, void *arg)
{
	struct fx *f = arg;
	char b[256];
	int n = wr_event_sentence_fit(f->db, e, 10, b, sizeof b);

	assert_int_equal(n, (int)strlen(b));
	assert_string_equal(b, "carol ticked \"Assess sco\xe2\x80\xa6\" (Management)");
	return 0;
}

static void test_fit(void **state)
{
	struct fx *f = *state;

	/* The plan's short name, as init stores it (data/migrate-004.sql). */
	assert_int_equal(wr_exec(f->db, "UPDATE team SET short = 'Mgmt' WHERE id = 'management'"), 0);
	add_event(f->db, "task-done", "{\"note\":\"a long note stays whole\",\"task\":1}");
	assert_int_equal(wr_event_foreach(f->db, 1, true, NULL, fit_cb, f), 0);
	/* A team without a short name keeps its name. */
	assert_int_equal(wr_exec(f->db, "UPDATE team SET short = NULL"), 0);
	add_event(f->db, "task-done", "{\"task\":1}");
	assert_int_equal(wr_event_foreach(f->db, 1, true, NULL, fit_long_cb, f), 0);
}

static void test_match(void **state)
{
	struct fx *f = *state;
	struct wr_event e = {.actor = "carol", .action = "task-done", .details = "{\"task\":1}"};

	assert_true(wr_event_match(&e, "carol ticked \"Assess scope\" (Management)", "Assess"));
	assert_true(wr_event_match(&e, "carol ticked", "task-done"));
	assert_true(wr_event_match(&e, "carol ticked", "carol task-done"));
	assert_true(wr_event_match(&e, "carol ticked", "\"task\":1"));
	assert_true(wr_event_match(&e, NULL, ""));
	assert_false(wr_event_match(&e, "carol ticked", "bob"));
	(void)f;
}

static void test_seen(void **state)
{
	struct fx *f = *state;
	char dir[128], cmd[256];
	int64_t id = -1;

	snprintf(dir, sizeof dir, "%s/state", f->dir);
	setenv("XDG_STATE_HOME", dir, 1);
	assert_int_equal(wr_seen_get(f->db, &id), WR_ENOENT);
	assert_int_equal(wr_seen_set(f->db, 1), 0);
	assert_int_equal(wr_seen_get(f->db, &id), 0);
	assert_int_equal(id, 1);
	/* The directory is the user's alone. */
	snprintf(cmd, sizeof cmd, "test \"$(stat -c %%a '%s/warroom')\" = 700", dir);
	assert_int_equal(system(cmd), 0);
	add_event(f->db, "frob", "{}");
	assert_int_equal(wr_seen_set(f->db, 2), 0);
	/* Forward only: a console that saw less does not take it back. */
	assert_int_equal(wr_seen_set(f->db, 1), 0);
	assert_int_equal(wr_seen_get(f->db, &id), 0);
	assert_int_equal(id, 2);
	/* Another user's record is their own. */
	wr_db_set_actor(f->db, "dave");
	assert_int_equal(wr_seen_get(f->db, &id), WR_ENOENT);
	wr_db_set_actor(f->db, "carol");
	/* No event 9: nothing recorded. */
	assert_int_equal(wr_seen_set(f->db, 9), WR_ENOENT);

	/* Another incident at the same path: the record is not its. */
	struct wr_plan *plan;
	char err[256];
	wr_db_close(f->db);
	unlink(f->path);
	assert_int_equal(wr_plan_load(NULL, &plan, err, sizeof err), 0);
	setenv("WARROOM_NOW", "2026-11-25T09:00:00Z", 1);
	assert_int_equal(wr_db_open(f->path, WR_OPEN_CREATE, &f->db), 0);
	wr_db_set_actor(f->db, "carol");
	assert_int_equal(wr_incident_init(f->db, "Another", 1, plan), 0);
	wr_plan_free(plan);
	add_event(f->db, "frob", "{}");
	assert_int_equal(wr_seen_get(f->db, &id), WR_ENOENT);
	assert_int_equal(wr_seen_set(f->db, 1), 0);
	assert_int_equal(wr_seen_get(f->db, &id), 0);
	assert_int_equal(id, 1);

	/* A state directory that cannot be made: an error, nothing else. */
	setenv("XDG_STATE_HOME", "/proc/nonexistent", 1);
	assert_int_equal(wr_seen_set(f->db, 2), WR_EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_action, setup, teardown),
		cmocka_unit_test_setup_teardown(test_optional_parts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_broken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seen, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
