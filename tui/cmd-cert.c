/*
 * cmd-cert.c: import and certs.
 *
 * certs shows the text the database keeps, which is escaped already: a
 * certificate name is RFC 2253 text (a comma inside a value is "\,", a
 * backslash "\\"), a customers CSV field has its backslashes doubled and
 * its bytes that are not UTF-8 as "\xNN" (import.c, csv_text). A backslash
 * in kept text always begins an escape, so the terminal shows it as it is,
 * with only what is unsafe on a terminal escaped; doubling it again would
 * print "\\," for a comma and a name nobody can search for.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const struct option import_opts[] = {
	{"customers", required_argument, NULL, 'c'},
	{"issuers", required_argument, NULL, 'i'},
	{"threads", required_argument, NULL, 't'},
	{"replacements", no_argument, NULL, 'r'},
	{0},
};

static const char *plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* What deserves a look but was done (replace.c's notes): on the output. */
static void on_note(const char *where, const char *why, void *arg)
{
	struct wr_ctx *ctx = arg;
	char *w = wr_esc_term(where), *y = wr_esc_term(why);

	fprintf(ctx->out, "note: %s: %s\n", w ? w : "?", y ? y : "?");
	free(w);
	free(y);
}

/* import --replacements PATH...: the certificates issued in place of the
 * affected ones, linked to them (core/replace.c). Exit 1 when a file was
 * rejected or a certificate replaces nothing. */
static int import_replacements(struct wr_ctx *ctx, int argc, char **argv, const char **issuers,
			       size_t nissuers, int threads)
{
	struct wr_replace_stats st = {0};
	int64_t job = cmd_job_begin(ctx, "import", argc, argv);
	int rc = wr_replace_import(ctx->db, (const char *const *)argv + optind,
				   (size_t)(argc - optind), issuers, nissuers, threads, cmd_on_reject,
				   on_note, ctx, &st);

	cmd_job_end(ctx, job, rc, st.certs, st.rejected + st.unmatched + st.affected);
	if (rc)
		return cmd_fail(ctx, rc);
	fprintf(ctx->out,
		"replacements: %lld certificates from %lld files: %lld affected certificates"
		" linked (%lld relinked to a newer one), %lld already linked\n",
		(long long)st.certs, (long long)st.files, (long long)st.linked,
		(long long)st.relinked, (long long)st.already);
	if (st.unmatched)
		fprintf(ctx->out, "%lld %s no affected certificate (each named above, with why)\n",
			(long long)st.unmatched, plural(st.unmatched, "certificate replaces",
							"certificates replace"));
	if (st.affected)
		fprintf(ctx->out, "%lld %s affected, not %s\n", (long long)st.affected,
			plural(st.affected, "certificate read is", "certificates read are"),
			plural(st.affected, "a replacement", "replacements"));
	if (st.ambiguous)
		fprintf(ctx->out,
			"%lld %s certificates of several customers: linked to each (see the"
			" notes)\n",
			(long long)st.ambiguous,
			plural(st.ambiguous, "certificate replaces", "certificates replace"));
	if (st.forged)
		fprintf(ctx->out,
			"%lld %s rejected: the signature does not verify with the issuer's key\n",
			(long long)st.forged, plural(st.forged, "certificate", "certificates"));
	if (st.unchecked)
		fprintf(ctx->out,
			"%lld %s could not be checked: no issuer known (use --issuers or [ca]"
			" issuers)\n",
			(long long)st.unchecked, plural(st.unchecked, "certificate", "certificates"));
	fprintf(ctx->out, "%lld affected %s no replacement yet\n", (long long)st.missing,
		plural(st.missing, "certificate has", "certificates have"));
	return st.rejected || st.unmatched || st.affected ? EXIT_FAIL : EXIT_OK;
}

static int import_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	const char *csv = NULL;
	const char **issuers;
	size_t nissuers = 0;
	bool replacements = false;
	int64_t threads = 0;
	struct wr_import_stats st = {0};
	int o, rc = 0, status;
	int64_t job = 0;

	/* At most one --issuers per argument. */
	if (!(issuers = calloc((size_t)argc + 1, sizeof *issuers)))
		return cmd_error(ctx, EXIT_FAIL, "import: out of memory");
	while ((o = getopt_long(argc, argv, "", import_opts, NULL)) != -1) {
		switch (o) {
		case 'c': csv = optarg; break;
		case 'i': issuers[nissuers++] = optarg; break;
		case 'r': replacements = true; break;
		case 't':
			if (parse_int(optarg, &threads) || threads < 0 || threads > 64) {
				char *m = wr_esc_term(optarg);
				status = cmd_error(ctx, EXIT_USAGE,
						   "import: --threads takes 0 to 64, not '%s'",
						   m ? m : "?");
				free(m);
				goto out;
			}
			break;
		default: status = cmd_bad_option(ctx, &cmd_import, argv); goto out;
		}
	}
	if (optind == argc && !csv) {
		cmd_usage(ctx, &cmd_import, ctx->err);
		status = EXIT_USAGE;
		goto out;
	}
	if (optind == argc && nissuers) {
		status = cmd_error(ctx, EXIT_USAGE,
				   "import: --issuers checks the certificates imported: give PATH...");
		goto out;
	}
	if (replacements) {
		status = csv || optind == argc
				 ? cmd_error(ctx, EXIT_USAGE,
					     "import: --replacements takes the replacements' PATH...,"
					     " and no --customers")
				 : import_replacements(ctx, argc, argv, issuers, nissuers, (int)threads);
		goto out;
	}
	if ((rc = wr_auth_team(ctx->db, "revocation"))) {
		status = cmd_fail(ctx, rc);
		goto out;
	}
	/* One transaction: shown in the banner, not paused in the middle. */
	job = cmd_job_begin(ctx, "import", argc, argv);
	if (optind < argc) {
		rc = wr_import_paths_issuers(ctx->db, (const char *const *)argv + optind,
					     (size_t)(argc - optind), issuers, nissuers,
					     (int)threads, cmd_on_reject, ctx, &st);
		if (rc) {
			status = cmd_fail(ctx, rc);
			goto out;
		}
		fprintf(ctx->out,
			"imported %lld certificates from %lld files: %lld added, %lld already"
			" present, %lld files rejected\n",
			(long long)st.certs, (long long)st.files, (long long)st.added,
			(long long)st.duplicates, (long long)st.rejected);
		if (st.forged)
			fprintf(ctx->out,
				"%lld %s rejected: the signature does not verify with the issuer's"
				" key\n",
				(long long)st.forged, plural(st.forged, "certificate", "certificates"));
		if (st.conflicts)
			fprintf(ctx->out,
				"%lld %s rejected: another certificate with the same issuer and"
				" serial is imported\n",
				(long long)st.conflicts,
				plural(st.conflicts, "certificate", "certificates"));
		if (st.unchecked)
			fprintf(ctx->out,
				"%lld %s could not be checked: no issuer known (use --issuers or"
				" [ca] issuers)\n",
				(long long)st.unchecked,
				plural(st.unchecked, "certificate", "certificates"));
	}
	if (csv) {
		if ((rc = wr_import_customers(ctx->db, csv, cmd_on_reject, ctx, &st))) {
			/* Bad rows (each reported): nothing applied, a rejected file. */
			status = cmd_fail(ctx, rc);
			if (st.csv_rejected)
				status = EXIT_FAIL;
			goto out;
		}
		fprintf(ctx->out,
			"customers: %lld rows, %lld matched, %lld matched no certificate,"
			" %lld rejected; %lld new customers, %lld updated\n",
			(long long)st.csv_rows, (long long)st.csv_matched,
			(long long)st.csv_unmatched, (long long)st.csv_rejected,
			(long long)st.csv_customers_new, (long long)st.csv_customers_updated);
	}
	status = st.rejected || st.csv_rejected ? EXIT_FAIL : EXIT_OK;
out:
	cmd_job_end(ctx, job, rc, st.certs + st.csv_rows, st.rejected + st.csv_rejected);
	free(issuers);
	return status;
}

const struct wr_cmd cmd_import = {
	"import", "[--customers CSV | --replacements] [--issuers FILE]... [--threads N] PATH...",
	"import affected certificates (PEM, DER, directories) and their customers, or the"
	" replacements issued for them",
	"", import_opts, CMD_NEEDS_DB, import_exec,
};

static const struct option certs_opts[] = {
	{"state", required_argument, NULL, 's'},
	{"customer", required_argument, NULL, 'c'},
	{"limit", required_argument, NULL, 'l'},
	{"json", no_argument, NULL, 'j'},
	{0},
};

static const char *const cert_states[] = {
	"pending", "expired", "revoked", "held", "submitted", "failed", NULL,
};

struct certs_out {
	struct wr_ctx *ctx;
	bool json;
	int64_t n;
};

#define SERIAL_W 40 /* 20 octets (RFC 5280 4.1.2.2) in hex */

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* The length of the escape at s (a backslash): \xNN, \uNNNN, or a
 * backslash and one character. */
static size_t esc_len(const char *s)
{
	size_t n = s[1] == 'x' ? 4 : s[1] == 'u' ? 6 : 2;
	for (size_t i = 1; i < n; i++)
		if (!s[i])
			return i;
	return n;
}

/*
 * A certificate name or SAN list as certs shows it (malloc'd): the kept
 * RFC 2253 text, with a control character's hex pair ("\1B", OpenSSL's
 * form) written "\x1b", as every other control character warroom prints,
 * so that a certificate and a customer with an ESC in them read alike.
 * The name's own escapes ("\,", "\\") stay. Same in text and JSON.
 */
static char *cert_text(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = malloc(2 * n + 1); /* "\1B" grows by one */

	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		int hi, lo;
		if (s[i] != '\\' || !s[i + 1]) {
			out[o++] = s[i++];
		} else if ((hi = hexval(s[i + 1])) >= 0 && (lo = hexval(s[i + 2])) >= 0 &&
			   (hi * 16 + lo < 0x20 || hi * 16 + lo == 0x7f)) {
			o += (size_t)sprintf(out + o, "\\x%02x", hi * 16 + lo);
			i += 3;
		} else {
			out[o++] = s[i++]; /* the backslash and what it escapes */
			out[o++] = s[i++];
		}
	}
	out[o] = '\0';
	return out;
}

/* Kept text for a terminal (malloc'd): what is unsafe there escaped as
 * wr_esc_term does, each backslash left as it is (see the top). That
 * output doubles each backslash of the input and begins its own escapes
 * ("\x1b") with a single one, so halving each pair of backslashes undoes
 * the doubling and nothing else. */
static char *kept_term(const char *s)
{
	char *e = wr_esc_term(s), *o = e;

	if (!e)
		return NULL;
	for (const char *p = e; *p; p++) {
		*o++ = *p;
		if (p[0] == '\\' && p[1] == '\\')
			p++;
	}
	*o = '\0';
	return e;
}

/* Prints already escaped text in a column of width: padded, or, when
 * cut, cut before an escape rather than inside it, with an ellipsis. */
static void put_col(FILE *f, const char *e, int width, bool cut)
{
	int w = e ? wr_str_width(e) : 1;

	if (!e) {
		fputc('?', f);
	} else if (w <= width || !cut) {
		fputs(e, f);
	} else {
		size_t i = 0;
		w = 0;
		while (e[i]) {
			size_t k = 1;
			if (e[i] == '\\')
				k = esc_len(e + i);
			else
				while ((e[i + k] & 0xc0) == 0x80)
					k++;
			char *piece = strndup(e + i, k);
			int pw = piece ? wr_str_width(piece) : (int)k;
			free(piece);
			if (w + pw > width - 1)
				break;
			w += pw;
			i += k;
		}
		fwrite(e, 1, i, f);
		fputs("…", f);
		w++;
	}
	while (w++ < width)
		fputc(' ', f);
}

void out_kept(FILE *f, const char *s, int width, bool cut)
{
	char *e = kept_term(s ? s : "-");
	put_col(f, e, width, cut);
	free(e);
}

/*
 * The customer certs --customer looks for (malloc'd): NAME is taken as
 * certs prints it, its escapes undone ("\\", "\xNN" a byte, "\uNNNN" a
 * character; any other backslash is itself), then kept as the import
 * keeps CSV text. So "Caf\xe9" as printed, and the Latin-1 bytes typed
 * raw, both find the customer a Latin-1 CSV gave, and "ACME\Sales" is
 * found as typed or as printed ("ACME\\Sales").
 */
char *cmd_customer_key(const char *name)
{
	size_t n = strlen(name), o = 0;
	char *raw = malloc(n + 1), *kept, *k;

	if (!raw)
		return NULL;
	for (size_t i = 0; i < n;) {
		unsigned v = 0;
		size_t len = 0;
		if (name[i] == '\\' && name[i + 1] == '\\') {
			raw[o++] = '\\';
			i += 2;
			continue;
		}
		if (name[i] == '\\' && (name[i + 1] == 'x' || name[i + 1] == 'u')) {
			len = name[i + 1] == 'x' ? 2 : 4;
			for (size_t j = 0; j < len && len; j++) {
				int h = hexval(name[i + 2 + j]);
				if (h < 0)
					len = 0;
				else
					v = v * 16 + (unsigned)h;
			}
		}
		if (!len || (len == 4 && (v == 0 || (v >= 0xd800 && v <= 0xdfff))) ||
		    (len == 2 && v == 0)) {
			raw[o++] = name[i++];
			continue;
		}
		i += 2 + len;
		if (len == 2 || v < 0x80) {
			raw[o++] = (char)v;
		} else if (v < 0x800) {
			raw[o++] = (char)(0xc0 | v >> 6);
			raw[o++] = (char)(0x80 | (v & 0x3f));
		} else {
			raw[o++] = (char)(0xe0 | v >> 12);
			raw[o++] = (char)(0x80 | ((v >> 6) & 0x3f));
			raw[o++] = (char)(0x80 | (v & 0x3f));
		}
	}
	raw[o] = '\0';
	/* As import.c's csv_text: backslashes doubled, then bytes that are not
	 * UTF-8 as \xNN. */
	if (!(kept = malloc(2 * o + 1))) {
		free(raw);
		return NULL;
	}
	k = kept;
	for (size_t i = 0; i < o; i++) {
		if (raw[i] == '\\')
			*k++ = '\\';
		*k++ = raw[i];
	}
	free(raw);
	raw = wr_utf8_sanitize(kept, (size_t)(k - kept));
	free(kept);
	return raw;
}

static int cert_row(const struct wr_cert *c, void *arg)
{
	struct certs_out *o = arg;
	FILE *f = o->ctx->out;
	char t1[WR_TIME_BUFSZ], hex[65];

	o->n++;
	if (o->json) {
		/* The array is streamed an element at a time: memory stays flat
		 * on a million rows. */
		char *issuer = c->issuer ? cert_text(c->issuer) : NULL;
		char *subject = c->subject ? cert_text(c->subject) : NULL;
		char *sans = c->sans ? cert_text(c->sans) : NULL;
		json_t *j = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o}",
				      "id", (json_int_t)c->id, "serial", jstr(c->serial), "issuer",
				      jstr(issuer ? issuer : c->issuer), "subject",
				      jstr(subject ? subject : c->subject), "sans",
				      jstr(sans ? sans : c->sans), "not_before", jtime(c->not_before),
				      "not_after", jtime(c->not_after), "state", c->state,
				      "customer", jstr(c->customer), "contact", jstr(c->contact),
				      "revoked_at", jtime(c->revoked_at));
		free(issuer);
		free(subject);
		free(sans);
		wr_hex(c->sha256, 32, hex);
		json_object_set_new(j, "sha256", json_string(hex));
		wr_hex(c->spki_sha256, 32, hex);
		json_object_set_new(j, "spki_sha256", json_string(hex));
		json_object_set_new(j, "crl_reason",
				    c->crl_reason == -2 ? json_null()
							: json_string(wr_crl_reason_name(c->crl_reason)));
		json_object_set_new(j, "hold_until", jtime(c->hold_until));
		json_object_set_new(j, "hold_reason", jstr(c->hold_reason));
		json_object_set_new(j, "error", jstr(c->error));
		json_t *repl = json_null();
		if (c->repl_serial) {
			wr_hex(c->repl_sha256, 32, hex);
			repl = json_pack("{s:o, s:s, s:o, s:o, s:o}", "serial", jstr(c->repl_serial),
					 "sha256", hex, "not_before", jtime(c->repl_not_before),
					 "not_after", jtime(c->repl_not_after), "linked_at",
					 jtime(c->repl_linked_at));
		}
		json_object_set_new(j, "replacement", repl);
		fputs(o->n == 1 ? "[\n" : ",\n", f);
		json_dumpf(j, f, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
		json_decref(j);
		return 0;
	}
	/* A serial is never cut: one longer than 20 octets pushes its row. */
	out_kept(f, c->serial, SERIAL_W, false);
	fprintf(f, " %-9s %s  ", c->state, wr_time_format(c->not_after, t1));
	out_kept(f, c->customer, 20, true);
	fputc(' ', f);
	char *subject = cert_text(c->subject ? c->subject : "-");
	out_kept(f, subject ? subject : "?", 0, false);
	free(subject);
	fputc('\n', f);
	/* The replacement issued (import --replacements) on a line of its own
	 * under the row, as runs puts a run's last error: a second serial
	 * column, never cut either, would push the subject past a console's
	 * width; after the subject, a subject could forge it. */
	if (c->repl_serial) {
		fputs("  replaced by ", f);
		out_kept(f, c->repl_serial, 0, false);
		fprintf(f, " (linked %s)\n", wr_time_format(c->repl_linked_at, t1));
	}
	return 0;
}

static int certs_exec(struct wr_ctx *ctx, int argc, char **argv)
{
	struct wr_cert_filter flt = {0};
	struct certs_out out = {ctx, false, 0};
	char *customer = NULL;
	int o, rc, status = EXIT_OK;

	while ((o = getopt_long(argc, argv, "", certs_opts, NULL)) != -1) {
		switch (o) {
		case 's': flt.state = optarg; break;
		case 'c':
			free(customer);
			if (!(customer = cmd_customer_key(optarg))) {
				status = cmd_error(ctx, EXIT_FAIL, "certs: out of memory");
				goto out;
			}
			flt.customer = customer;
			break;
		case 'j': out.json = true; break;
		case 'l':
			if (parse_int(optarg, &flt.limit) || flt.limit < 0) {
				status = cmd_error(ctx, EXIT_USAGE, "certs: bad --limit '%s'", optarg);
				goto out;
			}
			break;
		default: status = cmd_bad_option(ctx, &cmd_certs, argv); goto out;
		}
	}
	if (optind != argc) {
		status = cmd_stray(ctx, &cmd_certs, argv[optind]);
		goto out;
	}
	if (flt.state) {
		size_t i = 0;
		while (cert_states[i] && strcmp(cert_states[i], flt.state))
			i++;
		if (!cert_states[i]) {
			struct wr_suggest sg;
			wr_suggest_init(&sg, flt.state);
			for (i = 0; cert_states[i]; i++)
				wr_suggest_add(&sg, cert_states[i]);
			char *m = wr_esc_term(flt.state);
			if (wr_suggest_best(&sg))
				cmd_error(ctx, 0, "certs: no state '%s'; did you mean '%s'?", m ? m : "?",
					  wr_suggest_best(&sg));
			free(m);
			status = cmd_error(ctx, EXIT_USAGE,
					   "certs: --state is one of pending, expired, revoked, held,"
					   " submitted, failed");
			goto out;
		}
	}
	flt.now = wr_clock_now(ctx->db);
	if (!out.json)
		fprintf(ctx->out, "%-*s %-9s %-20s  %-20s %s\n", SERIAL_W, "SERIAL", "STATE",
			"NOT AFTER", "CUSTOMER", "SUBJECT");
	if ((rc = wr_cert_foreach(ctx->db, &flt, cert_row, &out))) {
		status = cmd_fail(ctx, rc);
		goto out;
	}
	if (out.json)
		fputs(out.n ? "\n]\n" : "[]\n", ctx->out);
out:
	free(customer);
	return status;
}

const struct wr_cmd cmd_certs = {
	"certs", "[--state STATE] [--customer NAME] [--limit N] [--json]",
	"list the affected certificates",
	"", certs_opts, CMD_NEEDS_DB | CMD_READONLY, certs_exec,
};
