/*
 * cmd-customer.c: customer set, customers, ack: Customer Relations' view
 * of the customers (core/customer.c). A customer is named as certs and
 * customers print it, or typed raw (cmd_customer_key); names and contacts
 * come from the customer list, so they reach the terminal escaped.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* ---- customer set --------------------------------------------------------------- */

static const struct option set_opts[] = {
    {"contact", required_argument, NULL, 'c'},
    {"critical", required_argument, NULL, 'k'},
    {0},
};

static int set_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	const char *contact = NULL;
	int critical = WR_CRITICAL_ANY, o, rc;
	bool changed = false;
	char why[200];

	while ((o = getopt_long(argc, argv, "", set_opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			if (wr_contact_check(optarg, why, sizeof why)) {
				char *m = wr_esc_term(why);
				cmd_error(ctx, 0, "customer set: --contact: %s", m ? m : "?");
				free(m);
				return EXIT_USAGE;
			}
			contact = optarg;
			break;
		case 'k':
			if ((critical = wr_critical_parse(optarg)) < 0) {
				char *m = wr_esc_term(optarg);
				cmd_error(ctx, 0, "customer set: --critical is yes or no, not '%s'",
					  m ? m : "?");
				free(m);
				return EXIT_USAGE;
			}
			break;
		default: return cmd_bad_option(ctx, &cmd_customer_set, argv);
		}
	}
	if (optind + 1 != argc || (!contact && critical == WR_CRITICAL_ANY)) {
		if (optind + 1 < argc)
			return cmd_stray(ctx, &cmd_customer_set, argv[optind + 1]);
		if (optind + 1 == argc)
			cmd_error(ctx, 0,
				  "customer set: nothing to set: give --contact or --critical");
		cmd_usage(ctx, &cmd_customer_set, ctx->err);
		return EXIT_USAGE;
	}
	char *name = cmd_customer_key(argv[optind]);
	if (!name)
		return cmd_error(ctx, EXIT_FAIL, "customer set: out of memory");
	rc = wr_customer_set(ctx->db, name, contact, critical, &changed);
	if (rc) {
		free(name);
		return cmd_fail(ctx, rc);
	}
	fputs("customer ", ctx->out);
	out_kept(ctx->out, name, 0, false);
	if (!changed) {
		fputs(": unchanged\n", ctx->out);
	} else {
		if (contact) {
			fputs(": contact ", ctx->out);
			out_term(ctx->out, contact);
		}
		if (critical != WR_CRITICAL_ANY)
			fprintf(ctx->out, "%s critical %s", contact ? "," : ":",
				critical == WR_CRITICAL_YES ? "yes" : "no");
		fputc('\n', ctx->out);
	}
	free(name);
	return EXIT_OK;
}

const struct wr_cmd cmd_customer_set = {
    "customer set",
    "NAME [--contact ADDR] [--critical yes|no]",
    "correct a customer's contact, or mark it critical, once for all its certificates"
    " (Customer Relations)",
    "",
    set_opts,
    CMD_NEEDS_DB,
    set_exec,
};

/* ---- customers ------------------------------------------------------------------ */

struct list {
	struct wr_ctx *ctx;
	json_t *arr;
	int64_t n;
};

static int list_cb(const struct wr_customer *c, void *arg)
{
	struct list *l = arg;
	FILE *f = l->ctx->out;

	l->n++;
	if (l->arr) {
		json_t *o = json_object();
		json_object_set_new(o, "name", jstr(c->name));
		json_object_set_new(o, "contact", jstr(c->contact));
		json_object_set_new(o, "critical", json_boolean(c->critical));
		json_object_set_new(o, "certificates", json_integer(c->certificates));
		json_object_set_new(o, "notified", json_integer(c->notified));
		json_object_set_new(o, "acknowledged", json_integer(c->acknowledged));
		json_object_set_new(o, "replaced", json_integer(c->replaced));
		json_object_set_new(o, "revoked", json_integer(c->revoked));
		json_object_set_new(o, "expired", json_integer(c->expired));
		json_object_set_new(o, "outstanding", json_integer(c->outstanding));
		json_object_set_new(o, "replacement_issued", json_integer(c->issued));
		json_object_set_new(o, "replacement_deployed", json_integer(c->deployed));
		json_object_set_new(o, "unreachable", json_integer(c->unreachable));
		json_object_set_new(o, "acknowledged_at", jtime(c->acknowledged_at));
		json_object_set_new(o, "acknowledged_by", jstr(c->acknowledged_by));
		json_object_set_new(o, "ack_note", jstr(c->ack_note));
		json_array_append_new(l->arr, o);
		return 0;
	}
	out_kept(f, c->name, 28, true);
	fprintf(f, " %-4s %7lld %8lld %-4s %8lld %8lld %11lld  ", c->critical ? "yes" : "-",
		(long long)c->certificates, (long long)c->notified,
		c->acknowledged_at ? "yes" : "-", (long long)c->replaced, (long long)c->revoked,
		(long long)c->outstanding);
	out_term(f, c->contact);
	fputc('\n', f);
	return 0;
}

static int customers_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {0}};
	struct list l = {ctx, NULL, 0};
	int o, rc;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o != 'j') {
			json_decref(l.arr);
			return cmd_bad_option(ctx, &cmd_customers, argv);
		}
		if (!l.arr)
			l.arr = json_array();
	}
	if (optind < argc) {
		json_decref(l.arr);
		return cmd_stray(ctx, &cmd_customers, argv[optind]);
	}
	if (!l.arr)
		fprintf(ctx->out, "%-28s %-4s %7s %8s %-4s %8s %8s %11s  %s\n", "CUSTOMER", "CRIT",
			"CERTS", "NOTIFIED", "ACK", "REPLACED", "REVOKED", "OUTSTANDING",
			"CONTACT");
	if ((rc = wr_customer_foreach(ctx->db, wr_clock_now(ctx->db), list_cb, &l))) {
		json_decref(l.arr);
		return cmd_fail(ctx, rc);
	}
	if (l.arr)
		out_json(ctx->out, l.arr);
	else if (!l.n)
		fputs("(no customers: import --customers FILE)\n", ctx->out);
	return EXIT_OK;
}

const struct wr_cmd cmd_customers = {
    "customers",
    "[--json]",
    "each customer's certificates: notified, acknowledged, replaced, revoked, outstanding;"
    " critical first, then furthest behind",
    "",
    NULL,
    CMD_NEEDS_DB | CMD_READONLY,
    customers_exec,
};

/* ---- customer recount ----------------------------------------------------------- */

static int recount_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	int64_t n, differed;
	int rc;

	if (getopt_long(argc, argv, "", NULL, NULL) != -1)
		return cmd_bad_option(ctx, &cmd_customer_recount, argv);
	if (optind < argc)
		return cmd_stray(ctx, &cmd_customer_recount, argv[optind]);
	if ((rc = wr_customer_recount(ctx->db, &n, &differed)))
		return cmd_fail(ctx, rc);
	fprintf(ctx->out, "counted the figures of %lld customer%s afresh: %lld differed\n",
		(long long)n, n == 1 ? "" : "s", (long long)differed);
	return EXIT_OK;
}

const struct wr_cmd cmd_customer_recount = {
    "customer recount",
    "",
    "count each customer's figures afresh from the certificates (after a change made"
    " around warroom; the next write does it too)",
    "",
    NULL,
    CMD_NEEDS_DB,
    recount_exec,
};

/* ---- ack ------------------------------------------------------------------------ */

static const struct option ack_opts[] = {
    {"customer", required_argument, NULL, 'c'},
    {"note", required_argument, NULL, 'n'},
    {0},
};

static int ack_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	const char *customer = NULL, *note = NULL;
	int64_t certs = 0;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", ack_opts, NULL)) != -1) {
		switch (o) {
		case 'c': customer = optarg; break;
		case 'n': note = optarg; break;
		default: return cmd_bad_option(ctx, &cmd_ack, argv);
		}
	}
	if (optind < argc)
		return cmd_stray(ctx, &cmd_ack, argv[optind]);
	if (!customer) {
		cmd_usage(ctx, &cmd_ack, ctx->err);
		return EXIT_USAGE;
	}
	char *name = cmd_customer_key(customer);
	if (!name)
		return cmd_error(ctx, EXIT_FAIL, "ack: out of memory");
	if ((rc = wr_customer_ack(ctx->db, name, note, &certs))) {
		free(name);
		return cmd_fail(ctx, rc);
	}
	fputs("acknowledged: ", ctx->out);
	out_kept(ctx->out, name, 0, false);
	fprintf(ctx->out, " (%lld certificate%s)\n", (long long)certs, certs == 1 ? "" : "s");
	free(name);
	return EXIT_OK;
}

const struct wr_cmd cmd_ack = {
    "ack",
    "--customer NAME [--note TEXT]",
    "record that a customer acknowledged the notice (Customer Relations)",
    "",
    ack_opts,
    CMD_NEEDS_DB,
    ack_exec,
};
