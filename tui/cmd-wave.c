/*
 * cmd-wave.c: wave add, wave list, wave move: the order in which
 * Management has certificates revoked (core/wave.c); `revoke --wave`
 * runs one, plain `revoke` the next whose time has come.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const struct option add_opts[] = {
	{"customer", required_argument, NULL, 'c'},
	{"serials", required_argument, NULL, 's'},
	{"not-before", required_argument, NULL, 'n'},
	{"critical", required_argument, NULL, 'k'},
	{0},
};

static int add_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct wr_wave_spec w = {0};
	const char **customers = calloc((size_t)argc, sizeof *customers);
	int64_t assigned = 0;
	int o, rc, status;

	if (!customers)
		return cmd_error(ctx, EXIT_FAIL, "out of memory");
	while ((o = getopt_long(argc, argv, "", add_opts, NULL)) != -1) {
		switch (o) {
		case 'c': customers[w.ncustomers++] = optarg; break;
		case 's': w.serials_file = optarg; break;
		case 'k':
			if ((w.critical = wr_critical_parse(optarg)) < 0) {
				char *m = wr_esc_term(optarg);
				cmd_error(ctx, 0, "wave add: --critical is yes or no, not '%s'",
					  m ? m : "?");
				free(m);
				free(customers);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			if (wr_time_parse(optarg, &w.not_before)) {
				char *m = wr_esc_term(optarg);
				cmd_error(ctx, 0, "wave add: --not-before: expected an RFC 3339 time,"
						  " got '%s'", m ? m : "?");
				free(m);
				free(customers);
				return EXIT_USAGE;
			}
			break;
		default: free(customers); return cmd_bad_option(ctx, &cmd_wave_add, argv);
		}
	}
	if (optind + 1 != argc) {
		free(customers);
		if (optind < argc)
			return cmd_stray(ctx, &cmd_wave_add, argv[optind + 1]);
		cmd_usage(ctx, &cmd_wave_add, ctx->err);
		return EXIT_USAGE;
	}
	w.name = argv[optind];
	w.customers = customers;
	rc = wr_wave_add(ctx->db, &w, cmd_on_reject, ctx, &assigned);
	free(customers);
	if (rc && assigned == 0)
		return cmd_fail(ctx, rc);
	fputs("wave ", ctx->out);
	out_term(ctx->out, w.name);
	fprintf(ctx->out, ": %lld certificates", (long long)assigned);
	if (w.not_before) {
		char b[WR_TIME_BUFSZ];
		fprintf(ctx->out, ", not before %s", wr_time_format(w.not_before, b));
	}
	fputc('\n', ctx->out);
	status = rc ? cmd_fail(ctx, rc) : EXIT_OK;
	return status;
}

struct list {
	struct wr_ctx *ctx;
	json_t *arr;
};

static int list_cb(const struct wr_wave *w, void *arg)
{
	struct list *l = arg;
	char b[WR_TIME_BUFSZ];

	if (l->arr) {
		json_t *o = json_object();
		json_object_set_new(o, "position", json_integer(w->position));
		json_object_set_new(o, "name", jstr(w->name));
		json_object_set_new(o, "not_before", jtime(w->not_before));
		json_object_set_new(o, "certificates", json_integer(w->total));
		json_object_set_new(o, "revoked", json_integer(w->revoked));
		json_object_set_new(o, "left", json_integer(w->left));
		json_array_append_new(l->arr, o);
		return 0;
	}
	fprintf(l->ctx->out, "%3d  ", w->position);
	out_term_w(l->ctx->out, w->name, 24);
	fprintf(l->ctx->out, "  %-20s  %9lld  %9lld  %9lld\n",
		w->not_before ? wr_time_format(w->not_before, b) : "at once", (long long)w->total,
		(long long)w->revoked, (long long)w->left);
	return 0;
}

static int list_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {0}};
	struct list l = {ctx, NULL};
	int o, rc;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o != 'j')
			return cmd_bad_option(ctx, &cmd_wave_list, argv);
		l.arr = json_array();
	}
	if (optind < argc) {
		json_decref(l.arr);
		return cmd_stray(ctx, &cmd_wave_list, argv[optind]);
	}
	if (!l.arr)
		fprintf(ctx->out, "%3s  %-24s  %-20s  %9s  %9s  %9s\n", "#", "wave", "not before",
			"certs", "revoked", "left");
	if ((rc = wr_wave_foreach(ctx->db, wr_clock_now(ctx->db), list_cb, &l))) {
		json_decref(l.arr);
		return cmd_fail(ctx, rc);
	}
	if (l.arr)
		out_json(ctx->out, l.arr);
	return EXIT_OK;
}

static int move_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	int64_t pos;
	int rc;

	if (argc != 3 || parse_int(argv[2], &pos) || pos < 1 || pos > 1000000) {
		cmd_usage(ctx, &cmd_wave_move, ctx->err);
		return EXIT_USAGE;
	}
	if ((rc = wr_wave_move(ctx->db, argv[1], (int)pos)))
		return cmd_fail(ctx, rc);
	fputs("wave ", ctx->out);
	out_term(ctx->out, argv[1]);
	fprintf(ctx->out, " is now number %lld\n", (long long)pos);
	return EXIT_OK;
}

const struct wr_cmd cmd_wave_add = {
	"wave add",
	"[--customer NAME]... | [--serials FILE] [--critical yes|no] [--not-before TIME] NAME",
	"add a wave of revocation at the end of the order (Management); with neither --customer"
	" nor --serials, every certificate in no wave yet; --critical narrows to critical"
	" customers or the others",
	"", add_opts, CMD_NEEDS_DB, add_exec,
};

const struct wr_cmd cmd_wave_list = {
	"wave list", "[--json]", "the waves in order: start, certificates, revoked, left",
	"", NULL, CMD_NEEDS_DB | CMD_READONLY, list_exec,
};

const struct wr_cmd cmd_wave_move = {
	"wave move", "NAME POSITION", "move a wave in the order (1 runs first; Management)",
	"", NULL, CMD_NEEDS_DB, move_exec,
};
