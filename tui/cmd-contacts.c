/*
 * cmd-contacts.c: contacts check [--send-test] [--json], contact readiness
 * (core/contacts.c): the customers with no contact, a malformed address,
 * or a mail domain the DNS denies; with --send-test, the test message to
 * every well-formed address and which the server accepted.
 *
 * The text lists only the customers with a problem; --json lists every
 * customer. Exits 0 when every contact is fine (and, with --send-test,
 * every test message was accepted), 1 when some are not, 2 on a usage
 * error. Customer names, contacts and what the DNS or the mail server
 * said are escaped.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const struct option contacts_opts[] = {
    {"send-test", no_argument, NULL, 's'},
    {"json", no_argument, NULL, 'j'},
    {0},
};

struct out {
	struct wr_ctx *ctx;
	json_t *arr; /* --json */
};

static bool test_ok(const struct wr_contact_result *r)
{
	return !r->test_state || strcmp(r->test_state, "sent") == 0;
}

static int on_result(const struct wr_contact_result *r, void *arg)
{
	struct out *o = arg;
	FILE *f = o->ctx->out;

	if (o->arr) {
		json_t *c = json_object();
		json_object_set_new(c, "name", jstr(r->name));
		json_object_set_new(c, "contact", jstr(r->contact));
		json_object_set_new(c, "critical", json_boolean(r->critical));
		json_object_set_new(c, "status", json_string(wr_contact_status_name(r->status)));
		json_object_set_new(c, "detail", jstr(r->detail));
		json_object_set_new(c, "test",
				    r->test_state ? json_pack("{s:s, s:o}", "state", r->test_state,
							      "detail", jstr(r->test_detail))
						  : json_null());
		json_array_append_new(o->arr, c);
		return 0;
	}
	if (r->status == WR_CONTACT_OK && test_ok(r))
		return 0;
	/* STATUS  NAME <CONTACT>: WHY[; test message STATE: REPLY] */
	const char *label = r->status != WR_CONTACT_OK ? wr_contact_status_name(r->status)
			    : strcmp(r->test_state, "unknown") == 0 ? "test-unknown"
								    : "test-failed";
	fprintf(f, "%-12s ", label);
	out_kept(f, r->name, 0, false);
	if (r->contact) {
		fputs(" <", f);
		out_term(f, r->contact);
		fputc('>', f);
	}
	fputs(": ", f);
	out_term(f, r->detail);
	if (r->test_state) {
		fprintf(f, "; test message %s: ",
			strcmp(r->test_state, "sent") == 0 ? "accepted" : r->test_state);
		out_term(f, r->test_detail);
	}
	fputc('\n', f);
	return 0;
}

static int contacts_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct wr_contacts_opts opts = {0};
	struct wr_contacts_stats st;
	bool json = false;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", contacts_opts, NULL)) != -1) {
		switch (o) {
		case 's': opts.send_test = true; break;
		case 'j': json = true; break;
		default: return cmd_bad_option(ctx, &cmd_contacts_check, argv);
		}
	}
	if (optind != argc)
		return cmd_stray(ctx, &cmd_contacts_check, argv[optind]);

	struct out out = {ctx, json ? json_array() : NULL};
	int64_t job = opts.send_test ? cmd_job_begin(ctx, "notify", argc, argv) : 0;
	rc = wr_contacts_check(ctx->db, &opts, on_result, &out, &st);
	if (opts.send_test)
		cmd_job_end(ctx, job, rc, st.tests_sent, st.tests_failed);
	int64_t problems = st.customers - st.fine;
	if (json) {
		json_t *counts = json_object();
		for (int s = 0; s < WR_CONTACT_NSTATUS; s++)
			json_object_set_new(counts, wr_contact_status_name(s),
					    json_integer(st.by_status[s]));
		json_t *j =
		    json_pack("{s:I, s:I, s:I, s:o, s:o}", "checked", (json_int_t)st.customers,
			      "fine", (json_int_t)st.fine, "problems", (json_int_t)problems,
			      "counts", counts, "customers", out.arr);
		json_object_set_new(j, "tests",
				    opts.send_test ? json_pack("{s:I, s:I}", "accepted",
							       (json_int_t)st.tests_sent, "failed",
							       (json_int_t)st.tests_failed)
						   : json_null());
		if (!rc || st.customers)
			out_json(ctx->out, j);
		else
			json_decref(j);
	} else if (!rc || st.customers) {
		fprintf(ctx->out, "contacts: %lld customers, %lld fine, %lld with a problem",
			(long long)st.customers, (long long)st.fine, (long long)problems);
		if (opts.send_test)
			fprintf(ctx->out, "; test messages: %lld accepted, %lld not",
				(long long)st.tests_sent, (long long)st.tests_failed);
		fputc('\n', ctx->out);
	}
	if (rc)
		return cmd_fail(ctx, rc);
	return problems ? EXIT_FAIL : EXIT_OK;
}

const struct wr_cmd cmd_contacts_check = {
    "contacts check",
    "[--send-test] [--json]",
    "customers with no contact, a malformed address or a domain that takes no mail",
    "",
    contacts_opts,
    CMD_NEEDS_DB,
    contacts_exec,
};
