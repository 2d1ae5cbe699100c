/* Unit tests for notification (core/notify.c, data/migrate-008.sql), the
 * parts that need no SMTP server (tests/e2e/notify.t has the server): the
 * built-in templates parse; a CA's own template with an unknown field, no
 * Subject or no blank line is refused naming FILE:LINE; a template name
 * that could leave the directory is refused; the dry run counts and renders
 * the first message (critical first), escapes control characters in a
 * customer's name in the Subject and the body, puts a non-ASCII name in an
 * RFC 2047 encoded-word, and records nothing; a notice before the
 * revocation lists only certificates still to be revoked, revocation-done
 * only those revoked; sending needs [smtp] url and from, and [smtp] ca_file
 * a file that is there; the message table's UNIQUE(customer, template). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#define NOW 1795608000 /* 2026-11-25T12:00:00Z */

struct fx {
	char dir[64];
	char path[96];
	struct wr_db *db;
	struct wr_config *cfg;
};

static void add_cert(struct wr_db *db, const char *serial, const char *customer)
{
	unit_add_cert(db, serial, customer, NOW);
}

static void add_customer(struct wr_db *db, const char *name, const char *contact, int critical)
{
	sqlite3_stmt *st;

	assert_int_equal(
	    wr_prepare(db,
		       "INSERT INTO customer(name, contact, critical, created, updated)"
		       " VALUES (?, ?, ?, 0, 0)",
		       &st),
	    0);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, contact, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, critical);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	unit_db_create(f->dir, f->path, &f->db, "2026-11-25T12:00:00Z", "Notify", NULL, "carol");
	add_customer(f->db, "Plain", "ops@plain.example", 0);
	add_customer(f->db, "Crit", "ops@crit.example", 1);
	add_customer(f->db, "Evil\r\nBcc: x@evil.example", "evil@evil.example", 0);
	add_customer(f->db, "Caf\xc3\xa9", "ops@cafe.example", 0);
	add_customer(f->db, "Nobody", "ops@nobody.example", 0); /* no certificates */
	add_cert(f->db, "1001", "Plain");
	add_cert(f->db, "1002", "Crit");
	add_cert(f->db, "1003", "Evil\r\nBcc: x@evil.example");
	add_cert(f->db, "1004", "Caf\xc3\xa9");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	wr_db_set_config(f->db, NULL);
	wr_config_free(f->cfg);
	unit_db_remove(f->dir, f->db);
	free(f);
	return 0;
}

/* A config with [notify] templates = DIR/tpl (and extra lines). */
static void use_config(struct fx *f, const char *extra)
{
	char text[1024], err[256];

	mkdir(unit_path(f->dir, "tpl"), 0700);
	snprintf(text, sizeof text, "[notify]\ntemplates = %s\n%s", unit_path(f->dir, "tpl"),
		 extra ? extra : "");
	wr_db_set_config(f->db, NULL);
	wr_config_free(f->cfg);
	assert_int_equal(wr_config_parse_text(text, "test.conf", &f->cfg, err, sizeof err), 0);
	wr_db_set_config(f->db, f->cfg);
}

static void tpl(struct fx *f, const char *name, const char *text)
{
	char file[80];

	snprintf(file, sizeof file, "tpl/%s.txt", name);
	write_file(unit_path(f->dir, file), text, strlen(text));
}

static void builtin_templates_parse(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; wr_notify_templates[i]; i++)
		assert_int_equal(wr_notify_template_check(f->db, wr_notify_templates[i]), 0);
	assert_int_equal(wr_notify_template_check(f->db, "nosuch"), WR_ENOENT);
	assert_int_equal(wr_notify_template_check(f->db, "../etc/passwd"), WR_EINVAL);
	assert_int_equal(wr_notify_template_check(f->db, "First-Notice"), WR_EINVAL);
}

static void bad_templates_name_file_and_line(void **state)
{
	struct fx *f = *state;

	use_config(f, NULL);
	tpl(f, "typo", "Subject: Hi {customer}\n\nDear {customer},\n\nyour {cuntomer} list\n");
	assert_int_equal(wr_notify_template_check(f->db, "typo"), WR_EINVAL);
	assert_non_null(strstr(wr_db_errmsg(f->db), "tpl/typo.txt:5: unknown field {cuntomer}"));
	tpl(f, "nosubject", "From: x@y.example\n\nbody\n");
	assert_int_equal(wr_notify_template_check(f->db, "nosubject"), WR_EINVAL);
	assert_non_null(strstr(wr_db_errmsg(f->db), "tpl/nosubject.txt:1: want 'Subject: ...'"));
	tpl(f, "noblank", "Subject: x\n");
	assert_int_equal(wr_notify_template_check(f->db, "noblank"), WR_EINVAL);
	assert_non_null(strstr(wr_db_errmsg(f->db), "noblank.txt:2: no blank line"));
	tpl(f, "twosubjects", "Subject: a\nSubject: b\n\nbody\n");
	assert_int_equal(wr_notify_template_check(f->db, "twosubjects"), WR_EINVAL);
	assert_non_null(strstr(wr_db_errmsg(f->db), "twosubjects.txt:2: a second Subject:"));
	/* A brace that opens no field is text, not an error. */
	tpl(f, "braces", "Subject: {x y} {}\n\nfunction() { return 1; }\n");
	assert_int_equal(wr_notify_template_check(f->db, "braces"), 0);
	/* The CA's directory replaces the built-in ones. */
	assert_int_equal(wr_notify_template_check(f->db, "reminder"), WR_ENOENT);
}

static void dry_run_renders_safely_and_records_nothing(void **state)
{
	struct fx *f = *state;
	struct wr_notify_opts o = {.template = "subj", .dry_run = true};
	struct wr_notify_stats st;
	int64_t n = -1;

	use_config(f, NULL);
	tpl(f, "subj", "Subject: For {customer}: {count}\n\nHello {customer}\n{certificates}\n");
	assert_int_equal(wr_notify_run(f->db, &o, NULL, NULL, &st), 0);
	assert_int_equal(st.customers, 4); /* Nobody has no certificates */
	assert_int_equal(st.to_send, 4);
	assert_int_equal(st.sent + st.failed + st.unknown, 0);
	/* Critical first. */
	assert_non_null(strstr(st.first, "To: ops@crit.example\nSubject: For Crit: 1\n"));
	assert_non_null(strstr(st.first, "  1002  x.example  expires 2027-02-23 12:00 UTC\n"));
	assert_int_equal(wr_query_int(f->db, "SELECT count(*) FROM message", &n), 0);
	assert_int_equal(n, 0);

	/* The hostile name: escaped in the Subject and the body. */
	o.customer = "Evil\r\nBcc: x@evil.example";
	assert_int_equal(wr_notify_run(f->db, &o, NULL, NULL, &st), 0);
	assert_non_null(strstr(st.first, "Subject: For Evil\\x0d\\x0aBcc: x@evil.example: 1\n"));
	assert_non_null(strstr(st.first, "Hello Evil\\x0d\\x0aBcc: x@evil.example\n"));
	assert_null(strstr(st.first, "\nBcc:"));
	/* A non-ASCII name: an encoded-word ("For Café: 1"). */
	o.customer = "Caf\xc3\xa9";
	assert_int_equal(wr_notify_run(f->db, &o, NULL, NULL, &st), 0);
	assert_non_null(strstr(st.first, "Subject: =?UTF-8?B?Rm9yIENhZsOpOiAx?=\n"));
	/* A customer that is not there. */
	o.customer = "Nope";
	assert_int_equal(wr_notify_run(f->db, &o, NULL, NULL, &st), WR_ENOENT);
}

/* A notice before the revocation lists and counts only the certificates
 * still to be revoked (an expired or revoked one never will be); the
 * revocation-done message those revoked; a customer with none of them
 * gets no message. */
static void notices_list_only_what_they_are_about(void **state)
{
	struct fx *f = *state;
	struct wr_notify_opts o = {.template = "subj", .dry_run = true, .customer = "Plain"};
	struct wr_notify_stats st;

	use_config(f, NULL);
	tpl(f, "subj", "Subject: {count} for {customer}\n\n{certificates}\n");
	tpl(f, "revocation-done", "Subject: {count} revoked\n\n{certificates}\n");
	add_cert(f->db, "1005", "Plain"); /* expired */
	add_cert(f->db, "1006", "Plain"); /* revoked */
	add_cert(f->db, "1007", "Plain"); /* still to be revoked, as 1001 */
	add_customer(f->db, "Gone", "ops@gone.example", 0);
	add_cert(f->db, "1008", "Gone"); /* expired: nothing to tell */
	char sql[256];
	snprintf(sql, sizeof sql, "UPDATE cert SET not_after = %d WHERE serial IN ('1005', '1008')",
		 NOW - 60);
	assert_int_equal(wr_exec(f->db, sql), 0);
	snprintf(sql, sizeof sql,
		 "UPDATE cert SET state = 'revoked', revoked_at = %d WHERE serial = '1006'",
		 NOW - 3600);
	assert_int_equal(wr_exec(f->db, sql), 0);

	assert_int_equal(wr_notify_run(f->db, &o, NULL, NULL, &st), 0);
	assert_non_null(strstr(st.first, "Subject: 2 for Plain\n"));
	assert_non_null(strstr(st.first, "  1001  "));
	assert_non_null(strstr(st.first, "  1007  "));
	assert_null(strstr(st.first, "  1005  "));
	assert_null(strstr(st.first, "  1006  "));
	o.customer = NULL;
	assert_int_equal(wr_notify_run(f->db, &o, NULL, NULL, &st), 0);
	assert_int_equal(st.customers, 4); /* not Gone, not Nobody */

	o.template = "revocation-done";
	assert_int_equal(wr_notify_run(f->db, &o, NULL, NULL, &st), 0);
	assert_int_equal(st.customers, 1); /* Plain alone has a revoked one */
	assert_non_null(strstr(st.first, "Subject: 1 revoked\n"));
	assert_non_null(strstr(st.first, "  1006  "));
	assert_null(strstr(st.first, "  1001  "));
	assert_null(strstr(st.first, "  1005  "));
}

static void sending_needs_smtp_config(void **state)
{
	struct fx *f = *state;
	struct wr_notify_opts o = {.template = "reminder"};
	struct wr_notify_stats st;

	assert_int_equal(wr_notify_run(f->db, &o, NULL, NULL, &st), WR_EINVAL);
	assert_non_null(strstr(wr_db_errmsg(f->db), "[smtp] url is not set"));
	use_config(f, "[smtp]\nurl = smtp://127.0.0.1:1\n");
	tpl(f, "reminder", "Subject: x\n\nbody\n");
	assert_int_equal(wr_notify_run(f->db, &o, NULL, NULL, &st), WR_EINVAL);
	assert_non_null(strstr(wr_db_errmsg(f->db), "[smtp] from is not set"));
	use_config(f, "[smtp]\nurl = http://127.0.0.1:1\nfrom = a@b.example\n");
	tpl(f, "reminder", "Subject: x\n\nbody\n");
	assert_int_equal(wr_notify_run(f->db, &o, NULL, NULL, &st), WR_EINVAL);
	assert_non_null(strstr(wr_db_errmsg(f->db), "want smtp://"));
	use_config(f, "[smtp]\nurl = smtp://127.0.0.1:1\nfrom = a@b.example\n"
		      "ca_file = /nonexistent/ca.pem\n");
	tpl(f, "reminder", "Subject: x\n\nbody\n");
	assert_int_equal(wr_notify_run(f->db, &o, NULL, NULL, &st), WR_EIO);
	assert_non_null(
	    strstr(wr_db_errmsg(f->db), "[smtp] ca_file /nonexistent/ca.pem: No such file"));
}

static void one_message_per_customer_and_template(void **state)
{
	struct fx *f = *state;

	assert_int_equal(wr_exec(f->db, "INSERT INTO message(customer, template, contact, state,"
					" message_id, created) VALUES ('Plain', 'reminder',"
					" 'ops@plain.example', 'sent', '<a@b>', 0)"),
			 0);
	assert_int_not_equal(wr_exec(f->db,
				     "INSERT INTO message(customer, template, contact,"
				     " state, message_id, created) VALUES ('Plain',"
				     " 'reminder', 'ops@plain.example', 'sending', '<c@d>', 0)"),
			     0);
	assert_int_not_equal(wr_exec(f->db, "INSERT INTO message(customer, template, contact,"
					    " state, message_id, created) VALUES ('Plain',"
					    " 'final-notice', 'x', 'lost', '<c@d>', 0)"),
			     0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(builtin_templates_parse, setup, teardown),
	    cmocka_unit_test_setup_teardown(bad_templates_name_file_and_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(dry_run_renders_safely_and_records_nothing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(notices_list_only_what_they_are_about, setup, teardown),
	    cmocka_unit_test_setup_teardown(sending_needs_smtp_config, setup, teardown),
	    cmocka_unit_test_setup_teardown(one_message_per_customer_and_template, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
