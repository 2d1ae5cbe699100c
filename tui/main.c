/*
 * main.c: warroom's entry point. Reads the global options, loads the
 * config, then runs a command from the table, or opens the console when
 * none is given.
 */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

#define WR_VERSION "0.1.0"

/* The console (console.c) when it is linked in; status until then. */
int console_main(struct wr_ctx *ctx, int argc, char **argv) __attribute__((weak));

static void usage(FILE *f) { cmd_list(f); }

int main(int argc, char **argv)
{
	struct wr_ctx ctx = {.out = stdout, .err = stderr};
	char err[512];
	int i, rc;

	setlocale(LC_ALL, "");
	ctx.db_path = wr_priv_getenv("WARROOM_DB"); /* NULL when installed setgid */
	if (!ctx.db_path || !*ctx.db_path)
		ctx.db_path = "warroom.db";
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return EXIT_OK;
		}
		if (strcmp(a, "--version") == 0) {
			printf("warroom %s\n", WR_VERSION);
			return EXIT_OK;
		}
		if (strncmp(a, "--db=", 5) == 0)
			ctx.db_path = a + 5;
		else if (strncmp(a, "--config=", 9) == 0)
			ctx.config_path = a + 9;
		else if (strcmp(a, "--db") == 0 || strcmp(a, "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "warroom: %s needs a path\n", a);
				return EXIT_USAGE;
			}
			val = argv[++i];
			if (a[2] == 'd')
				ctx.db_path = val;
			else
				ctx.config_path = val;
		} else {
			/* Not a global option: the console's own (--team, --wall). */
			break;
		}
	}
	if ((rc = wr_config_load(ctx.config_path, &ctx.cfg, err, sizeof err))) {
		/* The message quotes the file's name and line: anything at all. */
		char *m = wr_esc_term(err);
		fprintf(stderr, "warroom: %s\n", m ? m : "cannot load the configuration");
		free(m);
		return EXIT_USAGE;
	}
	if (i < argc && argv[i][0] != '-') {
		rc = cmd_run(&ctx, argc - i, argv + i);
	} else if (console_main) {
		rc = console_main(&ctx, argc - i, argv + i);
	} else {
		char *st[] = {"status", NULL};
		rc = cmd_run(&ctx, 1, st);
	}
	wr_db_close(ctx.db);
	wr_config_free(ctx.cfg);
	if (fflush(stdout) != 0 && rc == EXIT_OK)
		rc = EXIT_FAIL;
	return rc;
}
