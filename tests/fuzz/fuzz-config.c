/*
 * fuzz-config.c: warroom.conf as core/config.c reads it, wr_config_load on
 * each input written to one file (mode 0600 in a 0700 directory, so a
 * loader that refuses files others may write still reads it), then every
 * getter on every key the manual names, plus keys and users it does not:
 * wr_config_get, _int, _double, _bool, _file (with a roomy and a tiny
 * buffer), _has_users and _user_teams. Checked besides memory errors:
 * success gives a config, failure none and a "FILE:LINE: what" message.
 */
#include <stdint.h>

#include "fuzz.h"

static const char *const keys[][2] = {
	{"mre", "absolute"},	     {"mre", "share_percent"},	 {"revocation", "backend"},
	{"revocation", "two_person"}, {"revocation", "batch"},	 {"local", "ca_cert"},
	{"local", "ca_key"},	     {"local", "out_dir"},	 {"local", "shard_entries"},
	{"local", "crl_url"},	     {"local", "ocsp_url"},	 {"local", "crl_days"},
	{"acme", "directory"},	     {"acme", "ca_bundle"},	 {"acme", "account_key"},
	{"acme", "concurrency"},     {"acme", "cert_key_dir"}, {"exec", "command"},
	{"exec", "timeout"},	     {"users", "alice"},	 {"nosuch", "key"},
	{"mre", ""},		     {"", ""},
};
static const char *const users[] = {"alice", "bob", "carol", "root", "", "a.b-c_d"};

static char input[FZ_PATHSZ];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fz_path("warroom.conf", input);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wr_config *cfg = NULL;
	char err[512] = "", buf[4096], tiny[8];
	volatile size_t sink = 0;
	int rc;

	fz_write(input, data, size);
	rc = wr_config_load(input, &cfg, err, sizeof err);
	if (rc) {
		if (cfg)
			fz_die("failure (%d) with a config", rc);
		if (strncmp(err, input, strlen(input)) != 0)
			fz_die("message does not name the file: '%s'", err);
		return 0;
	}
	if (!cfg)
		fz_die("success without a config");
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *s = keys[i][0], *k = keys[i][1], *v = wr_config_get(cfg, s, k);
		sink += v ? strlen(v) : 0;
		sink += (size_t)wr_config_int(cfg, s, k, 7);
		sink += (size_t)(wr_config_double(cfg, s, k, 1.0) > 0.5);
		sink += wr_config_bool(cfg, s, k, true);
		if ((v = wr_config_file(cfg, s, k, buf, sizeof buf)))
			sink += strlen(v);
		if ((v = wr_config_file(cfg, s, k, tiny, sizeof tiny)))
			sink += strlen(v);
	}
	sink += wr_config_has_users(cfg);
	for (size_t i = 0; i < sizeof users / sizeof users[0]; i++) {
		int line = -1;
		const char *t = wr_config_user_teams(cfg, users[i], &line);
		sink += t ? strlen(t) + (size_t)line : 0;
	}
	if (wr_config_path(cfg))
		sink += strlen(wr_config_path(cfg));
	(void)sink;
	wr_config_free(cfg);
	return 0;
}
