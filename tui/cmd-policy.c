/*
 * cmd-policy.c: policy pin and policy show: the policy pinned in the
 * incident against the one of the config in force (core/policy.c).
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static int pin_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	bool changed;
	int rc;

	if (argc > 1)
		return cmd_stray(ctx, &cmd_policy_pin, argv[1]);
	if ((rc = wr_policy_pin(ctx->db, &changed)))
		return cmd_fail(ctx, rc);
	struct wr_policy_info pi;
	if ((rc = wr_policy_get(ctx->db, &pi)))
		return cmd_fail(ctx, rc);
	fprintf(ctx->out, "%s: sha256 %s", changed ? "pinned" : "already pinned",
		pi.pinned_sha256);
	fputs(" from ", ctx->out);
	out_term(ctx->out, wr_config_path(ctx->cfg) ? wr_config_path(ctx->cfg) : "(no config file)");
	fputc('\n', ctx->out);
	return EXIT_OK;
}

static int show_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {0}};
	struct wr_policy_info pi;
	bool json = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return cmd_bad_option(ctx, &cmd_policy_show, argv);
		json = true;
	}
	if (optind < argc)
		return cmd_stray(ctx, &cmd_policy_show, argv[optind]);
	if ((rc = wr_policy_get(ctx->db, &pi)))
		return cmd_fail(ctx, rc);
	const char *path = wr_config_path(ctx->cfg);
	if (json) {
		json_t *o = json_object();
		json_object_set_new(o, "pinned_sha256",
				    pi.pinned_sha256[0] ? json_string(pi.pinned_sha256) : json_null());
		json_object_set_new(o, "pinned_by", pi.pinned_by[0] ? jstr(pi.pinned_by) : json_null());
		json_object_set_new(o, "pinned_at", jtime(pi.pinned_at));
		json_object_set_new(o, "config", jstr(path));
		json_object_set_new(o, "config_sha256", json_string(pi.config_sha256));
		json_object_set_new(o, "matches", json_boolean(pi.matches));
		json_object_set_new(o, "installed", json_boolean(wr_priv_installed()));
		out_json(ctx->out, o);
		return EXIT_OK;
	}
	char when[WR_TIME_BUFSZ];
	fprintf(ctx->out, "mode:    %s\n",
		wr_priv_installed() ? "installed (setgid): policy from the system config only"
				    : "single user (not installed setgid)");
	if (pi.pinned_sha256[0]) {
		fprintf(ctx->out, "pinned:  sha256 %s by ", pi.pinned_sha256);
		out_term(ctx->out, pi.pinned_by);
		fprintf(ctx->out, " at %s\n", wr_time_format(pi.pinned_at, when));
	} else {
		fprintf(ctx->out, "pinned:  nothing yet (the first policy that writes is pinned)\n");
	}
	fprintf(ctx->out, "config:  sha256 %s (", pi.config_sha256);
	out_term(ctx->out, path ? path : "no config file");
	fprintf(ctx->out, ")\n%s\n", pi.matches ? "in force: the pinned policy"
					     : "DIFFERS: writes are refused until Management runs"
					       " 'warroom policy pin'");
	return EXIT_OK;
}

const struct wr_cmd cmd_policy_pin = {
	"policy pin", "",
	"pin the config's policy ([users], [revocation], backends) in the incident (Management)",
	"", NULL, CMD_NEEDS_DB, pin_exec,
};

const struct wr_cmd cmd_policy_show = {
	"policy show", "[--json]", "the pinned policy against the config in force",
	"", NULL, CMD_NEEDS_DB | CMD_READONLY, show_exec,
};
