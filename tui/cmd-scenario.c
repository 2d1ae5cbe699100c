/*
 * cmd-scenario.c: exercise scenarios and exercise check: the built-in
 * scenarios, and a scenario file checked before an exercise runs it
 * (core/scenario.c; the format is warroom-scenario(5)).
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const struct option json_opts[] = {{"json", no_argument, NULL, 'j'}, {0}};

static json_t *info_json(const struct wr_scenario *sc)
{
	struct wr_scenario_info in;
	json_t *o = json_object();

	wr_scenario_info(sc, &in);
	json_object_set_new(o, "id", jstr(in.id));
	json_object_set_new(o, "title", jstr(in.title));
	json_object_set_new(o, "based_on", jstr(in.based_on));
	json_object_set_new(o, "sha256", json_string(wr_scenario_sha256(sc)));
	json_object_set_new(o, "reason", jstr(in.reason));
	json_object_set_new(o, "discovered", json_integer(in.discovered));
	json_object_set_new(o, "declare", json_boolean(in.declare));
	json_object_set_new(o, "speed", json_real(in.speed));
	json_object_set_new(o, "certificates", json_integer(in.count));
	json_object_set_new(o, "real", json_integer(in.real));
	json_object_set_new(o, "synthetic", json_integer(in.count - in.real));
	json_object_set_new(o, "expired", json_integer(in.expired));
	json_object_set_new(o, "customers", json_integer(in.customers));
	json_object_set_new(o, "critical_customers", json_integer(in.critical_customers));
	json_object_set_new(o, "named_customers", json_integer(in.named));
	json_object_set_new(o, "injects", json_integer((json_int_t)in.injects));
	json_object_set_new(o, "expectations", json_integer((json_int_t)in.expectations));
	return o;
}

static void info_text(FILE *f, const struct wr_scenario *sc)
{
	struct wr_scenario_info in;
	char d[WR_TIME_BUFSZ];

	wr_scenario_info(sc, &in);
	fputs("scenario:   ", f);
	out_term(f, in.id);
	fputs(": ", f);
	out_term(f, in.title);
	fputs("\nbased on:   ", f);
	out_term(f, in.based_on[0] ? in.based_on : "-");
	fputs("\nreason:     ", f);
	out_term(f, in.reason);
	fprintf(f, ", discovered %s before the start, %s\n",
		wr_duration_format(-in.discovered, d),
		in.declare ? "declared at the start" : "not declared (the participants decide)");
	fprintf(f, "population: %lld certificates (%lld signed for real, %lld synthetic),"
		   " %lld expired\n",
		(long long)in.count, (long long)in.real, (long long)(in.count - in.real),
		(long long)in.expired);
	fprintf(f, "customers:  %lld (%lld critical, %lld named)\n", (long long)in.customers,
		(long long)in.critical_customers, (long long)in.named);
	fprintf(f, "injects:    %zu, expectations %zu; speed %g\n", in.injects, in.expectations,
		in.speed);
	fprintf(f, "sha256:     %s\n", wr_scenario_sha256(sc));
}

static int check_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct wr_scenario *sc;
	char err[1024];
	bool json = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", json_opts, NULL)) != -1) {
		if (c != 'j')
			return cmd_bad_option(ctx, &cmd_exercise_check, argv);
		json = true;
	}
	if (optind + 1 != argc) {
		cmd_usage(ctx, &cmd_exercise_check, ctx->err);
		return EXIT_USAGE;
	}
	if ((rc = wr_scenario_load(argv[optind], &sc, err, sizeof err))) {
		/* FILE:LINE: and what was wrong, which may quote the file. */
		char *m = wr_esc_term(err);
		cmd_error(ctx, 0, "%s", m ? m : "cannot load the scenario");
		free(m);
		return rc == WR_EINVAL || rc == WR_ENOENT ? EXIT_USAGE : cmd_exit_status(rc);
	}
	if (json)
		out_json(ctx->out, info_json(sc));
	else
		info_text(ctx->out, sc);
	wr_scenario_free(sc);
	return EXIT_OK;
}

const struct wr_cmd cmd_exercise_check = {
	"exercise check", "SCENARIO [--json]",
	"check a scenario (a built-in name or a file) and say what it holds",
	"", json_opts, 0, check_exec,
};

static int list_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	json_t *arr = NULL;
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "", json_opts, NULL)) != -1) {
		if (c != 'j')
			return cmd_bad_option(ctx, &cmd_exercise_scenarios, argv);
		json = true;
	}
	if (optind < argc)
		return cmd_stray(ctx, &cmd_exercise_scenarios, argv[optind]);
	if (json)
		arr = json_array();
	for (size_t i = 0; wr_scenario_builtin_name(i); i++) {
		struct wr_scenario *sc;
		struct wr_scenario_info in;
		char err[1024];
		int rc;
		if ((rc = wr_scenario_load(wr_scenario_builtin_name(i), &sc, err, sizeof err))) {
			json_decref(arr);
			char *m = wr_esc_term(err);
			cmd_error(ctx, 0, "%s", m ? m : "a built-in scenario does not load");
			free(m);
			return EXIT_FAIL;
		}
		if (json) {
			json_array_append_new(arr, info_json(sc));
		} else {
			wr_scenario_info(sc, &in);
			fprintf(ctx->out, "%-18s %9lld certs  %-22s ", in.id, (long long)in.count,
				in.reason);
			out_term(ctx->out, in.title);
			fputc('\n', ctx->out);
		}
		wr_scenario_free(sc);
	}
	if (json)
		out_json(ctx->out, arr);
	return EXIT_OK;
}

const struct wr_cmd cmd_exercise_scenarios = {
	"exercise scenarios", "[--json]",
	"the built-in scenarios: id, certificates, reason, title",
	"", json_opts, 0, list_exec,
};
