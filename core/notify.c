/*
 * notify.c: Phase 1, customer communication: one message per customer and
 * template, to the customer's contact, over SMTP with libcurl
 * (`warroom notify`).
 *
 * Templates are plain text: a header block (Subject: only), a blank line,
 * the body; {field} is replaced (fields[] below), and a field not in that
 * table is an error naming FILE:LINE, so a typo never reaches a customer.
 * The four of data/templates/ are compiled in (wr_tpl_*); [notify]
 * templates = DIR makes DIR/NAME.txt the CA's own.
 *
 * Exactly once (data/migrate-008.sql): a message's row is committed in
 * state 'sending', with its Message-ID and this process's claim, before
 * the message goes to the server; after, it is 'sent' (the server said
 * 250 to the data) or 'failed' (refused, or no data reached it). A
 * connection lost after the server said 354 and took the data leaves the
 * outcome unknown: the server may have queued it, so it is 'unknown', as
 * is a row left 'sending' by a process that died; neither is sent again
 * unless asked (resend_unknown), and then with the same Message-ID.
 *
 * Every customer- or certificate-derived text is made safe for where it
 * goes: in the Subject, control characters become \xNN escapes and
 * non-ASCII text an RFC 2047 encoded-word, so no CR or LF ever reaches a
 * header; the recipient is a contact wr_contact_check accepts (one bare
 * ASCII address); the body is UTF-8 with control bytes escaped, sent
 * quoted-printable (curl_mime), so no line is too long for SMTP.
 *
 * A contact test (`contacts check --send-test`, contacts.c) takes the
 * same path with the template contact-test: every customer whose contact
 * is well-formed, certificates or not, again on each run (a new
 * Message-ID each time, the row keeping the newest outcome), and an
 * accepted test never marks certificates notified; notify itself refuses
 * that template.
 *
 * One CURL easy handle serves every message, so libcurl keeps one
 * connection open (and reopens it if the server drops it). Nothing here
 * prints; the password is never put in a message. A login ([smtp] user)
 * goes only over TLS (smtps://, or STARTTLS required), and its password
 * only from a file its owner alone reads (issue 7). A failure that every
 * message would meet (no STARTTLS, a refused login, an unverified
 * certificate) ends the run at the first.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "internal.h"

extern const char wr_tpl_first_notice[];
extern const char wr_tpl_reminder[];
extern const char wr_tpl_final_notice[];
extern const char wr_tpl_revocation_done[];
extern const char wr_tpl_contact_test[];

const char *const wr_notify_templates[] = {
    "first-notice", "reminder", "final-notice", "revocation-done", NULL,
};
static const char *const embedded[] = {
    wr_tpl_first_notice,
    wr_tpl_reminder,
    wr_tpl_final_notice,
    wr_tpl_revocation_done,
};

/* The fields a template may use. */
enum field {
	F_CUSTOMER,
	F_COUNT,
	F_DEADLINE,
	F_REASON,
	F_STEPS,
	F_CERTIFICATES,
	F_INFO_URL,
	F_INCIDENT,
	NFIELDS
};
static const char *const field_names[NFIELDS] = {
    "customer", "count", "deadline", "reason", "steps", "certificates", "info_url", "incident",
};

#define REPLY_MAX 300

/* ---- templates -------------------------------------------------------------------- */

struct tpl {
	char label[PATH_MAX]; /* FILE, or data/templates/NAME.txt */
	char *subject;        /* the Subject line's value, with fields */
	char *body;           /* with fields */
};

static void tpl_free(struct tpl *t)
{
	free(t->subject);
	free(t->body);
	t->subject = t->body = NULL;
}

static bool name_ok(const char *name)
{
	if (!*name || strlen(name) > 64)
		return false;
	for (const char *p = name; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' ||
		      *p == '_'))
			return false;
	return true;
}

/* The field named at p ("{name}"), its length in *len; -1: not a field
 * (a brace that opens nothing); -2: a field nobody knows. */
static int field_at(const char *p, size_t *len)
{
	const char *q = p + 1;

	while (islower((unsigned char)*q) || *q == '_')
		q++;
	if (*q != '}' || q == p + 1)
		return -1;
	*len = (size_t)(q + 1 - p);
	for (int f = 0; f < NFIELDS; f++)
		if (strlen(field_names[f]) == (size_t)(q - p - 1) &&
		    strncmp(field_names[f], p + 1, (size_t)(q - p - 1)) == 0)
			return f;
	return -2;
}

static int tpl_fail(struct wr_db *db, struct tpl *t, int line, const char *why)
{
	int rc = wr_err(db, WR_EINVAL, "%s:%d: %s", t->label, line, why);
	tpl_free(t);
	return rc;
}

/* Parses text into t: the header block, then the body; every field known. */
static int tpl_parse(struct wr_db *db, const char *text, struct tpl *t)
{
	const char *p = text;
	int line = 1;

	/* Fields first, anywhere: an unknown one is named where it is. */
	for (const char *s = text; *s; s++) {
		size_t len;
		if (*s == '\n')
			line++;
		else if (*s == '{' && field_at(s, &len) == -2) {
			char why[160];
			snprintf(why, sizeof why,
				 "unknown field %.*s (known: {customer}, {count},"
				 " {deadline}, {reason}, {steps}, {certificates}, {info_url},"
				 " {incident})",
				 (int)(len > 40 ? 40 : len), s);
			return tpl_fail(db, t, line, why);
		}
	}
	line = 1;
	for (;;) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		if (n && p[n - 1] == '\r')
			n--;
		if (n == 0) {
			if (!eol)
				return tpl_fail(db, t, line,
						"no blank line after the header block");
			p = eol + 1;
			break;
		}
		if (n > 8 && strncasecmp(p, "Subject:", 8) == 0) {
			const char *v = p + 8;
			while (*v == ' ' || *v == '\t')
				v++;
			if (t->subject)
				return tpl_fail(db, t, line, "a second Subject:");
			if (!(t->subject = strndup(v, (size_t)(p + n - v))))
				return wr_err(db, WR_ENOMEM, "out of memory");
		} else {
			return tpl_fail(db, t, line,
					"want 'Subject: ...' in the header block, then a blank"
					" line and the body");
		}
		if (!eol)
			return tpl_fail(db, t, line, "no body after the header block");
		p = eol + 1;
		line++;
	}
	if (!t->subject || !*t->subject)
		return tpl_fail(db, t, 1, "no Subject: in the header block");
	if (!(t->body = strdup(p))) {
		tpl_free(t);
		return wr_err(db, WR_ENOMEM, "out of memory");
	}
	return 0;
}

static bool contact_test_absent(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%.*s/%s.txt", PATH_MAX - 80, dir, WR_CONTACT_TEST_TEMPLATE);
	return access(path, F_OK) != 0 && errno == ENOENT;
}

static int tpl_load(struct wr_db *db, const char *name, struct tpl *t)
{
	const struct wr_config *cfg = wr_db_config(db);
	char dir[PATH_MAX];

	memset(t, 0, sizeof *t);
	if (!name_ok(name))
		return wr_err(db, WR_EINVAL,
			      "template '%s': want a name of lower-case letters, digits and"
			      " hyphens (first-notice, reminder, final-notice, revocation-done)",
			      name);
	/* A CA's DIR need not hold the contacts check's test message: without
	 * DIR/contact-test.txt, the embedded one. */
	if (wr_config_file(cfg, "notify", "templates", dir, sizeof dir) &&
	    !(strcmp(name, WR_CONTACT_TEST_TEMPLATE) == 0 &&
	      contact_test_absent(dir))) {
		if ((size_t)snprintf(t->label, sizeof t->label, "%.*s/%s.txt", PATH_MAX - 80, dir,
				     name) >= sizeof t->label)
			return wr_err(db, WR_EINVAL, "[notify] templates: path too long");
		FILE *f = fopen(t->label, "r");
		if (!f)
			return wr_err(db, errno == ENOENT ? WR_ENOENT : WR_EIO,
				      "template %s: %s ([notify] templates in %s)", t->label,
				      strerror(errno), wr_config_path(cfg));
		struct wr_buf b = {0};
		char chunk[4096];
		size_t n;
		bool ok = wr_buf_put(&b, "", 0);
		while (ok && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
			ok = wr_buf_put(&b, chunk, n) && b.len < 1 << 20;
		bool err = ferror(f);
		fclose(f);
		if (!ok || err) {
			wr_buf_free(&b);
			return wr_err(db, err ? WR_EIO : WR_EINVAL, "template %s: %s", t->label,
				      err ? "read error" : "larger than 1 MiB");
		}
		if (memchr(b.p, 0, b.len)) {
			wr_buf_free(&b);
			return wr_err(db, WR_EINVAL, "template %s: not text (a NUL byte)",
				      t->label);
		}
		int rc = tpl_parse(db, b.p, t);
		wr_buf_free(&b);
		return rc;
	}
	for (size_t i = 0; wr_notify_templates[i]; i++)
		if (strcmp(wr_notify_templates[i], name) == 0) {
			snprintf(t->label, sizeof t->label, "data/templates/%s.txt", name);
			return tpl_parse(db, embedded[i], t);
		}
	if (strcmp(name, WR_CONTACT_TEST_TEMPLATE) == 0) {
		snprintf(t->label, sizeof t->label, "data/templates/%s.txt", name);
		return tpl_parse(db, wr_tpl_contact_test, t);
	}
	return wr_err(db, WR_ENOENT,
		      "no template '%s' (first-notice, reminder, final-notice, revocation-done;"
		      " [notify] templates = DIR adds a CA's own)",
		      name);
}

int wr_notify_template_check(struct wr_db *db, const char *name)
{
	struct tpl t;
	int rc = tpl_load(db, name, &t);

	tpl_free(&t);
	return rc;
}

/* ---- safe text -------------------------------------------------------------------- */

/* Appends s with control characters (C0, DEL, C1 as UTF-8) as \xNN. */
static bool put_plain(struct wr_buf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; u && u[i]; i++) {
		char esc[8];
		if (u[i] < 0x20 || u[i] == 0x7f) {
			snprintf(esc, sizeof esc, "\\x%02x", u[i]);
			if (!wr_buf_put(b, esc, 4))
				return false;
		} else if (u[i] == 0xc2 && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f) {
			snprintf(esc, sizeof esc, "\\x%02x", u[i + 1]);
			if (!wr_buf_put(b, esc, 4))
				return false;
			i++;
		} else if (!wr_buf_put(b, &u[i], 1)) {
			return false;
		}
	}
	return true;
}

/* A header value from text with no control character: as it is when
 * ASCII, else RFC 2047 encoded-words (UTF-8, base64), each whole
 * characters and at most 75 bytes, on folded lines. */
static bool put_header_text(struct wr_buf *b, const char *s)
{
	bool ascii = true;
	for (const unsigned char *u = (const unsigned char *)s; *u; u++)
		if (*u >= 0x80)
			ascii = false;
	if (ascii)
		return wr_buf_put(b, s, strlen(s));
	size_t n = strlen(s), i = 0;
	bool first = true;
	while (i < n) {
		/* 45 bytes of text make 60 of base64, 72 with the markers. */
		size_t k = n - i > 45 ? 45 : n - i;
		while (k < n - i && k > 0 && ((unsigned char)s[i + k] & 0xc0) == 0x80)
			k--; /* never split a character */
		unsigned char enc[64];
		int len = EVP_EncodeBlock(enc, (const unsigned char *)s + i, (int)k);
		if ((!first && !wr_buf_put(b, "\r\n ", 3)) || !wr_buf_put(b, "=?UTF-8?B?", 10) ||
		    !wr_buf_put(b, enc, (size_t)len) || !wr_buf_put(b, "?=", 2))
			return false;
		first = false;
		i += k;
	}
	return true;
}

/* ---- rendering -------------------------------------------------------------------- */

struct cust {
	char *name, *contact; /* as kept; contact NULL: none */
	bool critical;
	int64_t state_id; /* its message row, 0: none yet */
	char state[12];   /* "" (none), "sent", "failed", "unknown", "sending" */
	char *message_id; /* kept from an earlier attempt, else NULL */
};

struct values {
	const char *incident, *deadline, *reason, *info_url;
};

struct certlist {
	struct wr_buf text; /* for {certificates}, or the note about the CSV */
	struct wr_buf csv;  /* the attachment, when over the limit */
	int64_t count;
};

/* A time for people: "2026-11-30 10:00 UTC". */
static const char *utc_text(int64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, n, "%Y-%m-%d %H:%M UTC", &tm);
	return out;
}

static bool csv_field(struct wr_buf *b, const char *s)
{
	/* Quoted always; a leading = + - @ would be a formula in a
	 * spreadsheet: a quote mark in front keeps it text. */
	if (!wr_buf_put(b, "\"", 1))
		return false;
	if (s && strchr("=+-@", s[0]) && s[0] && !wr_buf_put(b, "'", 1))
		return false;
	for (const char *p = s; p && *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f) {
			char esc[8];
			snprintf(esc, sizeof esc, "\\x%02x", c);
			if (!wr_buf_put(b, esc, 4))
				return false;
		} else if (!wr_buf_put(b, p, 1) || (c == '"' && !wr_buf_put(b, "\"", 1))) {
			return false;
		}
	}
	return wr_buf_put(b, "\"", 1);
}

/* Which of a customer's certificates a message is about, and counts: a
 * notice before the revocation (first notice, reminder, final notice, a
 * CA's own template) those still to be revoked, neither revoked nor
 * expired (an expired certificate is never revoked, so "will be revoked"
 * must not count it, nor one revoked already); revocation-done those
 * revoked. An SQL condition on cert c, :now the run's time. */
static const char *cert_filter(const char *tname)
{
	return strcmp(tname, "revocation-done") == 0
		   ? "c.revoked_at IS NOT NULL"
		   : "c.revoked_at IS NULL AND c.not_after >= :now";
}

static void bind_now(sqlite3_stmt *q, int64_t now)
{
	int i = sqlite3_bind_parameter_index(q, ":now");
	if (i > 0)
		sqlite3_bind_int64(q, i, now);
}

static int cert_list(struct wr_db *db, sqlite3_stmt *q, const char *customer, struct certlist *cl)
{
	char t[WR_TIME_BUFSZ > 64 ? WR_TIME_BUFSZ : 64];
	bool ok = wr_buf_put(&cl->text, "", 0) && wr_buf_put(&cl->csv, "", 0);
	int rc;

	cl->count = 0;
	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, customer, -1, SQLITE_STATIC);
	/* Counted first: the list goes in the body or in the attachment. */
	int64_t n = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		n++;
	if (rc != SQLITE_DONE)
		return wr_err_sq(db, "the customer's certificates");
	sqlite3_reset(q);
	bool attach = n > WR_NOTIFY_ATTACH_OVER;
	if (attach)
		ok = ok && wr_buf_put(&cl->csv, "serial,names,expires\r\n", 22);
	while (ok && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *serial = wr_col_text(q, 0), *sans = wr_col_text(q, 1),
			   *subject = wr_col_text(q, 2);
		const char *names = sans && *sans ? sans : subject;
		cl->count++;
		if (attach) {
			ok = csv_field(&cl->csv, serial) && wr_buf_put(&cl->csv, ",", 1) &&
			     csv_field(&cl->csv, names) && wr_buf_put(&cl->csv, ",", 1) &&
			     csv_field(&cl->csv, wr_time_format(sqlite3_column_int64(q, 3), t)) &&
			     wr_buf_put(&cl->csv, "\r\n", 2);
		} else {
			ok = wr_buf_put(&cl->text, "  ", 2) && put_plain(&cl->text, serial) &&
			     wr_buf_put(&cl->text, "  ", 2) && put_plain(&cl->text, names) &&
			     wr_buf_put(&cl->text, "  expires ", 10);
			utc_text(sqlite3_column_int64(q, 3), t, sizeof t);
			ok = ok && wr_buf_put(&cl->text, t, strlen(t)) &&
			     wr_buf_put(&cl->text, "\n", 1);
		}
	}
	if (ok && attach) {
		char line[160];
		snprintf(line, sizeof line,
			 "  (%lld certificates: see the attached file certificates.csv)\n",
			 (long long)cl->count);
		ok = wr_buf_put(&cl->text, line, strlen(line));
	}
	if (!ok)
		return wr_err(db, WR_ENOMEM, "out of memory");
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return wr_err_sq(db, "the customer's certificates");
	/* No trailing newline: the template has its own. */
	if (cl->text.len && cl->text.p[cl->text.len - 1] == '\n')
		cl->text.p[--cl->text.len] = '\0';
	return 0;
}

static const char steps_text[] =
    "  1. Request a new certificate for each name listed below (or use the\n"
    "     replacement we have issued, if we sent you one).\n"
    "  2. Install it everywhere the old certificate is used, and restart or\n"
    "     reload those services.\n"
    "  3. Reply to this message once every certificate is replaced.";

/* Renders text (a subject when header) with the customer's values. */
static bool render(struct wr_buf *b, const char *text, bool header, const struct values *v,
		   const struct cust *c, const struct certlist *cl)
{
	char count[24];
	struct wr_buf tmp = {0};
	bool ok = true;

	snprintf(count, sizeof count, "%lld", (long long)cl->count);
	for (const char *p = text; ok && *p; p++) {
		size_t len;
		int f = *p == '{' ? field_at(p, &len) : -1;
		if (f < 0) {
			if (*p == '\n' && !header)
				ok = wr_buf_put(&tmp, "\n", 1);
			else
				ok = wr_buf_put(&tmp, p, 1);
			continue;
		}
		const char *val = "";
		switch ((enum field)f) {
		case F_CUSTOMER: val = c->name; break;
		case F_COUNT: val = count; break;
		case F_DEADLINE: val = v->deadline; break;
		case F_REASON: val = v->reason; break;
		case F_STEPS: val = steps_text; break;
		case F_CERTIFICATES: val = cl->text.p ? cl->text.p : ""; break;
		case F_INFO_URL: val = v->info_url; break;
		case F_INCIDENT: val = v->incident; break;
		case NFIELDS: break;
		}
		/* Generated lists keep their lines; anything else is one line. */
		if (f == F_STEPS || f == F_CERTIFICATES)
			ok = header ? put_plain(&tmp, val) : wr_buf_put(&tmp, val, strlen(val));
		else
			ok = put_plain(&tmp, val);
		p += len - 1;
	}
	if (ok && header) {
		/* The template's own text too: a CR or LF never reaches a header. */
		struct wr_buf clean = {0};
		ok = wr_buf_put(&clean, "", 0) && put_plain(&clean, tmp.p ? tmp.p : "") &&
		     put_header_text(b, clean.p);
		wr_buf_free(&clean);
	} else if (ok) {
		/* The body: lines end CRLF on the wire; other controls escaped. */
		for (const char *p = tmp.p; ok && p && *p; p++) {
			unsigned char ch = (unsigned char)*p;
			if (ch == '\n')
				ok = wr_buf_put(b, "\r\n", 2);
			else if (ch == '\t')
				ok = wr_buf_put(b, p, 1);
			else if (ch == '\r')
				continue;
			else if (ch < 0x20 || ch == 0x7f) {
				char esc[8];
				snprintf(esc, sizeof esc, "\\x%02x", ch);
				ok = wr_buf_put(b, esc, 4);
			} else
				ok = wr_buf_put(b, p, 1);
		}
		ok = ok && wr_buf_put(b, "", 0);
	}
	wr_buf_free(&tmp);
	return ok;
}

/* ---- the run ---------------------------------------------------------------------- */

struct sender {
	CURL *h;
	char from[256];
	char domain[256];
	char reply[REPLY_MAX]; /* the server's last reply line */
	bool data_started;     /* the server said 354: it is taking the data */
	bool login;            /* [smtp] user is set: TLS is required */
	char curl_err[CURL_ERROR_SIZE];
	const char *broken; /* why no message can go over this connection */
};

static size_t on_reply(char *buf, size_t size, size_t n, void *arg)
{
	struct sender *s = arg;
	size_t len = size * n, k = len;

	while (k && (buf[k - 1] == '\n' || buf[k - 1] == '\r'))
		k--;
	if (k >= 3 && strncmp(buf, "354", 3) == 0)
		s->data_started = true;
	if (k) {
		struct wr_buf b = {0};
		char raw[REPLY_MAX];
		snprintf(raw, sizeof raw, "%.*s", (int)(k < REPLY_MAX - 1 ? k : REPLY_MAX - 1),
			 buf);
		if (wr_buf_put(&b, "", 0) && put_plain(&b, raw))
			snprintf(s->reply, sizeof s->reply, "%s", b.p);
		wr_buf_free(&b);
	}
	return len;
}

/* The login's password: [smtp] password, in a config only its owner reads
 * (issue 7's rule for a file holding a secret, as [bugzilla] api_key), or
 * the first line of password_file, checked the same way (a secret, not a
 * key a team shares through its group). */
static int read_password(struct wr_db *db, const struct wr_config *cfg, char *out, size_t n)
{
	char path[PATH_MAX], err[512];
	const char *v = wr_config_get(cfg, "smtp", "password");
	const char *cp = wr_config_path(cfg);

	out[0] = '\0';
	if (v) {
		if (cp && wr_priv_check_file(cp, WR_CHECK_SECRET, err, sizeof err))
			return wr_err(db, WR_EPERM, "[smtp] password: %s", err);
		snprintf(out, n, "%s", v);
		return 0;
	}
	if (!wr_config_file(cfg, "smtp", "password_file", path, sizeof path))
		return 0;
	if (wr_priv_check_file(path, WR_CHECK_SECRET, err, sizeof err))
		return wr_err(db, WR_EPERM, "[smtp] password_file: %s", err);
	FILE *f = fopen(path, "r");
	if (!f)
		return wr_err(db, WR_EIO, "[smtp] password_file %s: %s", path, strerror(errno));
	if (!fgets(out, (int)n, f))
		out[0] = '\0';
	fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

static int sender_open(struct wr_db *db, struct sender *s)
{
	const struct wr_config *cfg = wr_db_config(db);
	const char *url = wr_config_get(cfg, "smtp", "url");
	const char *from = wr_config_get(cfg, "smtp", "from");
	const char *user = wr_config_get(cfg, "smtp", "user");
	char why[200], pw[512], ca[PATH_MAX];
	int rc;

	/* An exercise sends only to its sink (the caller has one), never
	 * through the CA's server nor with its login. */
	if (wr_exercise_active(db)) {
		url = wr_exercise_smtp(db);
		user = NULL;
		if (!from)
			from = "exercise@warroom.invalid";
	}
	if (!url)
		return wr_err(db, WR_EINVAL,
			      "[smtp] url is not set in %s (smtp://HOST:PORT or"
			      " smtps://HOST:PORT)",
			      wr_config_path(cfg) ? wr_config_path(cfg) : "the configuration");
	if (strncmp(url, "smtp://", 7) != 0 && strncmp(url, "smtps://", 8) != 0)
		return wr_err(db, WR_EINVAL,
			      "[smtp] url: want smtp://HOST[:PORT] or"
			      " smtps://HOST[:PORT]");
	if (!from)
		return wr_err(db, WR_EINVAL, "[smtp] from is not set in %s (the sender's address)",
			      wr_config_path(cfg) ? wr_config_path(cfg) : "the configuration");
	if (wr_contact_check(from, why, sizeof why))
		return wr_err(db, WR_EINVAL, "[smtp] from: %s", why);
	snprintf(s->from, sizeof s->from, "%s", from);
	snprintf(s->domain, sizeof s->domain, "%s", strchr(from, '@') + 1);
	if ((rc = read_password(db, cfg, pw, sizeof pw)))
		return rc;
	if (!(s->h = curl_easy_init()))
		return wr_err(db, WR_ENOMEM, "out of memory");
	char mail_from[300];
	snprintf(mail_from, sizeof mail_from, "<%s>", from);
	curl_easy_setopt(s->h, CURLOPT_URL, url);
	curl_easy_setopt(s->h, CURLOPT_MAIL_FROM, mail_from);
	/* smtps:// is TLS from the start; smtp:// upgrades with STARTTLS when
	 * the server offers it, and must when there is a login: a password
	 * never goes in clear (a server without STARTTLS is refused before
	 * AUTH). */
	s->login = user != NULL;
	curl_easy_setopt(s->h, CURLOPT_USE_SSL, (long)(user ? CURLUSESSL_ALL : CURLUSESSL_TRY));
	/* The server's certificate is checked (curl's default) against the
	 * system's roots, or those of ca_file (a private CA, a test server). */
	if (wr_config_file(cfg, "smtp", "ca_file", ca, sizeof ca)) {
		FILE *f = fopen(ca, "r");
		if (f)
			fclose(f);
		else {
			rc = wr_err(db, WR_EIO, "[smtp] ca_file %s: %s", ca, strerror(errno));
			curl_easy_cleanup(s->h);
			s->h = NULL;
			explicit_bzero(pw, sizeof pw);
			return rc;
		}
		curl_easy_setopt(s->h, CURLOPT_CAINFO, ca);
	}
	if (user) {
		curl_easy_setopt(s->h, CURLOPT_USERNAME, user);
		curl_easy_setopt(s->h, CURLOPT_PASSWORD, pw);
	}
	explicit_bzero(pw, sizeof pw);
	curl_easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->h, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A server that stops answering: give up after a minute of silence. */
	curl_easy_setopt(s->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(s->h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(s->h, CURLOPT_HEADERFUNCTION, on_reply);
	curl_easy_setopt(s->h, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(s->h, CURLOPT_ERRORBUFFER, s->curl_err);
	return 0;
}

/* "<32 hex digits.time@domain>", unique without coordination. */
static void new_message_id(const char *domain, int64_t now, char *out, size_t n)
{
	unsigned char r[16];
	char hex[33];

	if (RAND_bytes(r, sizeof r) != 1)
		for (size_t i = 0; i < sizeof r; i++)
			r[i] = (unsigned char)(rand() ^ getpid());
	wr_hex(r, sizeof r, hex);
	snprintf(out, n, "<%s.%lld@%s>", hex, (long long)now, domain);
}


static void custs_free(struct cust *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name), free(v[i].contact), free(v[i].message_id);
	free(v);
}

/* The customers to consider, critical first, with their message's state. */
static int load_customers(struct wr_db *db, const char *tname, const char *only, bool test,
			  int64_t now, struct cust **out, size_t *nout)
{
	char sql[1024];
	sqlite3_stmt *q;
	struct cust *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	/* A customer with nothing to tell (no certificate the template is
	 * about) gets no message: "0 of your certificates" helps nobody. */
	snprintf(sql, sizeof sql,
		 "SELECT cu.name, cu.contact, cu.critical, m.id, m.state, m.message_id"
		 " FROM customer cu LEFT JOIN message m"
		 " ON m.customer = cu.name AND m.template = ?1"
		 " WHERE (?3 OR EXISTS (SELECT 1 FROM cert c WHERE c.customer = cu.name AND %s))"
		 " AND (?2 IS NULL OR cu.name = ?2)"
		 " ORDER BY cu.critical DESC, cu.name",
		 cert_filter(tname));
	if ((rc = wr_prepare(db, sql, &q)))
		return rc;
	sqlite3_bind_text(q, 1, tname, -1, SQLITE_STATIC);
	bind_now(q, now);
	sqlite3_bind_int(q, 3, test);
	if (only)
		sqlite3_bind_text(q, 2, only, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (n == cap) {
			size_t c2 = cap ? cap * 2 : 64;
			struct cust *nv = realloc(v, c2 * sizeof *nv);
			if (!nv)
				goto oom;
			v = nv;
			cap = c2;
		}
		const char *contact = wr_col_text(q, 1), *mid = wr_col_text(q, 5);
		char why[200];
		/* A contact test goes only where the contacts check's rule
		 * (contacts.c) finds a well-formed address. */
		if (test && (!contact || wr_contacts_address_check(contact, why, sizeof why)))
			continue;
		struct cust *c = &v[n];
		memset(c, 0, sizeof *c);
		n++;
		if (!(c->name = strdup(wr_col_text(q, 0))) ||
		    (contact && !(c->contact = strdup(contact))) ||
		    (mid && !(c->message_id = strdup(mid))))
			goto oom;
		c->critical = sqlite3_column_int(q, 2) != 0;
		c->state_id = wr_col_i64(q, 3);
		snprintf(c->state, sizeof c->state, "%s",
			 wr_col_text(q, 4) ? wr_col_text(q, 4) : "");
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		custs_free(v, n);
		return wr_err_sq(db, "reading the customers");
	}
	*out = v;
	*nout = n;
	return 0;
oom:
	sqlite3_finalize(q);
	custs_free(v, n);
	return wr_err(db, WR_ENOMEM, "out of memory");
}

/* Takes the message for sending: 'sending', committed, unless another
 * run holds it or it went meanwhile (*taken false). */
static int claim_message(struct wr_db *db, const struct cust *c, const char *tname, const char *mid,
			 const char *claim, int64_t now, bool resend_unknown, bool test, bool *taken)
{
	sqlite3_stmt *st;
	int rc;

	*taken = false;
	if ((rc = wr_tx_begin(db)))
		return rc;
	if ((rc = wr_prepare(
		 db,
		 "INSERT INTO message(customer, template, contact, state, message_id, attempts,"
		 " created, attempted_at, claim) VALUES (?1, ?2, ?3, 'sending', ?4, 1, ?5, ?5, ?6)"
		 " ON CONFLICT(customer, template) DO UPDATE SET state = 'sending',"
		 " contact = excluded.contact, attempts = attempts + 1,"
		 " attempted_at = excluded.attempted_at, claim = excluded.claim, error = NULL,"
		 /* A contact test is a new message each time: its own Message-ID,
		  * nothing kept from the last one. */
		 " message_id = CASE WHEN ?8 THEN excluded.message_id ELSE message_id END,"
		 " reply = CASE WHEN ?8 THEN NULL ELSE reply END,"
		 " sent_at = CASE WHEN ?8 THEN NULL ELSE sent_at END"
		 " WHERE state = 'failed' OR (state = 'unknown' AND ?7) OR (?8 AND state != 'sending')",
		 &st))) {
		wr_tx_rollback(db);
		return rc;
	}
	sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tname, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->contact ? c->contact : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, mid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_text(st, 6, claim, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, resend_unknown);
	sqlite3_bind_int(st, 8, test);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rc = wr_err_sq(db, "recording the message");
		wr_tx_rollback(db);
		return rc;
	}
	*taken = sqlite3_changes(db->sq) > 0;
	return wr_tx_commit(db);
}

/* The outcome, and on the first accepted notice (not a contact test) the
 * customer's certificates notified. */
static int record_outcome(struct wr_db *db, const struct cust *c, const char *tname,
			  const char *state, const char *reply, const char *error, int64_t now,
			  bool notice)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_tx_begin(db)))
		return rc;
	if ((rc = wr_prepare(db,
			     "UPDATE message SET state = ?3, reply = ?4, error = ?5,"
			     " sent_at = CASE WHEN ?3 = 'sent' THEN ?6 ELSE sent_at END"
			     " WHERE customer = ?1 AND template = ?2",
			     &st)))
		goto fail;
	sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tname, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
	if (reply && *reply)
		sqlite3_bind_text(st, 4, reply, -1, SQLITE_STATIC);
	if (error && *error)
		sqlite3_bind_text(st, 5, error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rc = wr_err_sq(db, "recording the message's outcome");
		goto fail;
	}
	if (notice && strcmp(state, "sent") == 0) {
		if ((rc = wr_tally_begin(db)) ||
		    (rc = wr_prepare(db,
				     "UPDATE cert SET notified_at = ?2 WHERE customer = ?1"
				     " AND notified_at IS NULL",
				     &st)))
			goto fail;
		sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			rc = wr_err_sq(db, "marking the certificates notified");
			goto fail;
		}
		/* The customer's figures (tally.c), checked before, moved after. */
		if ((rc = wr_tally_notified(db, c->name, sqlite3_changes(db->sq))))
			goto fail;
	}
	return wr_tx_commit(db);
fail:
	wr_tx_rollback(db);
	return rc;
}

#define EXERCISE_SUBJECT "[EXERCISE] "
#define EXERCISE_LINE                                                                        \
	"EXERCISE: this message is part of a tabletop exercise. No certificate of yours is"   \
	" revoked.\r\n\r\n"

struct message {
	struct wr_buf subject, body;
	struct certlist cl;
};

static void message_clear(struct message *m)
{
	wr_buf_free(&m->subject);
	wr_buf_free(&m->body);
	wr_buf_free(&m->cl.text);
	wr_buf_free(&m->cl.csv);
	memset(m, 0, sizeof *m);
}

static int message_build(struct wr_db *db, sqlite3_stmt *certs, const struct tpl *t,
			 const struct values *v, const struct cust *c, struct message *m)
{
	int rc;

	memset(m, 0, sizeof *m);
	if ((rc = cert_list(db, certs, c->name, &m->cl)))
		return rc;
	/* An exercise's mail says so first, whatever the template. */
	bool ex = wr_exercise_active(db);
	if (!wr_buf_put(&m->subject, "", 0) || !wr_buf_put(&m->body, "", 0) ||
	    (ex && (!wr_buf_put(&m->subject, EXERCISE_SUBJECT, strlen(EXERCISE_SUBJECT)) ||
		    !wr_buf_put(&m->body, EXERCISE_LINE, strlen(EXERCISE_LINE)))) ||
	    !render(&m->subject, t->subject, true, v, c, &m->cl) ||
	    !render(&m->body, t->body, false, v, c, &m->cl))
		return wr_err(db, WR_ENOMEM, "out of memory");
	return 0;
}

/* The message as text, for the dry run and the question before sending. */
static void message_preview(const struct message *m, const char *from, const struct cust *c,
			    char *out, size_t n)
{
	snprintf(out, n, "From: %s\nTo: %s\nSubject: %s\n\n%s%s", from[0] ? from : "-",
		 c->contact ? c->contact : "-", m->subject.p, m->body.p,
		 m->cl.csv.len ? "\n[attached: certificates.csv]\n" : "");
	/* CRLF on the wire; LF for people. */
	char *w = out;
	for (const char *r = out; *r; r++)
		if (*r != '\r')
			*w++ = *r;
	*w = '\0';
}

/* A failure that every further message would meet too, whatever its
 * recipient: the run stops there, saying why (the message is 'failed',
 * sent by a later run). NULL: this message's failure alone. */
static const char *connection_failure(const struct sender *s, CURLcode cc)
{
	switch (cc) {
	case CURLE_USE_SSL_FAILED:
		return s->login ? "the server offers no STARTTLS, and with [smtp] user set the"
				  " password goes only over TLS: refused before logging in (use a"
				  " server that offers STARTTLS, or smtps://)"
				: "the server's STARTTLS failed";
	case CURLE_LOGIN_DENIED:
		return "the server refused the login of [smtp] user: check user and password";
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return "the server's TLS certificate could not be verified: [smtp] ca_file names"
		       " the CA that issued it when the system's roots do not";
	default: return NULL;
	}
}

/* Sends one message; *state "sent", "failed" or "unknown", detail the
 * server's reply or the error. */
static void message_send(struct sender *s, const struct message *m, const struct cust *c,
			 const char *mid, int64_t now, const char **state, char *detail, size_t dn)
{
	struct curl_slist *rcpt = NULL, *hdr = NULL;
	char line[1200], to[300], date[64];
	curl_mime *mime = NULL;
	time_t tt = (time_t)now;
	struct tm tm;
	CURLcode cc;

	s->reply[0] = '\0';
	s->curl_err[0] = '\0';
	s->data_started = false;
	*state = "failed";
	snprintf(to, sizeof to, "<%s>", c->contact);
	gmtime_r(&tt, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	rcpt = curl_slist_append(rcpt, to);
	snprintf(line, sizeof line, "From: %s", s->from);
	hdr = curl_slist_append(hdr, line);
	snprintf(line, sizeof line, "To: %s", c->contact);
	hdr = curl_slist_append(hdr, line);
	snprintf(line, sizeof line, "Date: %s", date);
	hdr = curl_slist_append(hdr, line);
	snprintf(line, sizeof line, "Message-ID: %s", mid);
	hdr = curl_slist_append(hdr, line);
	hdr = curl_slist_append(hdr, "Auto-Submitted: auto-generated");
	struct wr_buf sub = {0};
	if (wr_buf_put(&sub, "Subject: ", 9) && wr_buf_put(&sub, m->subject.p, m->subject.len))
		hdr = curl_slist_append(hdr, sub.p);
	wr_buf_free(&sub);

	mime = curl_mime_init(s->h);
	curl_mimepart *part = curl_mime_addpart(mime);
	curl_mime_data(part, m->body.p, m->body.len);
	curl_mime_type(part, "text/plain; charset=UTF-8");
	curl_mime_encoder(part, "quoted-printable");
	if (m->cl.csv.len) {
		part = curl_mime_addpart(mime);
		curl_mime_data(part, m->cl.csv.p, m->cl.csv.len);
		curl_mime_type(part, "text/csv; charset=UTF-8");
		curl_mime_filename(part, "certificates.csv");
		curl_mime_encoder(part, "base64");
	}
	curl_easy_setopt(s->h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(s->h, CURLOPT_MIMEPOST, mime);
	cc = curl_easy_perform(s->h);
	long code = 0;
	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
	if (cc == CURLE_OK) {
		*state = "sent";
		snprintf(detail, dn, "%s", s->reply);
	} else if (code >= 400) {
		/* Refused: the server answered (a recipient, or the data) with
		 * a 4xx or 5xx, so it does not have the message. */
		if (s->reply[0] >= '4' && s->reply[0] <= '5')
			snprintf(detail, dn, "%s", s->reply);
		else
			snprintf(detail, dn, "%s",
				 s->curl_err[0] ? s->curl_err : curl_easy_strerror(cc));
	} else if (s->data_started) {
		*state = "unknown";
		snprintf(detail, dn,
			 "the connection was lost after the message's data went to the server,"
			 " before its answer (%s): it may have it",
			 s->curl_err[0] ? s->curl_err : curl_easy_strerror(cc));
	} else {
		snprintf(detail, dn, "%s", s->curl_err[0] ? s->curl_err : curl_easy_strerror(cc));
	}
	s->broken = connection_failure(s, cc);
	curl_easy_setopt(s->h, CURLOPT_MIMEPOST, NULL);
	curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(s->h, CURLOPT_MAIL_RCPT, NULL);
	curl_mime_free(mime);
	curl_slist_free_all(rcpt);
	curl_slist_free_all(hdr);
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Waits until t (monotonic seconds). */
static void wait_until(double t)
{
	double d = t - mono();
	if (d <= 0)
		return;
	struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* A contact the message can go to: one bare ASCII address (a UTF-8 one
 * would need SMTPUTF8, which this sender does not speak). */
static bool contact_usable(const char *contact, char *why, size_t n)
{
	if (!contact || !*contact) {
		snprintf(why, n,
			 "no contact: set one with 'warroom customer set NAME --contact"
			 " ADDR'");
		return false;
	}
	if (wr_contact_check(contact, why, n))
		return false;
	for (const unsigned char *u = (const unsigned char *)contact; *u; u++)
		if (*u >= 0x80) {
			snprintf(why, n,
				 "a non-ASCII address needs SMTPUTF8, which notify does not"
				 " use: set an ASCII contact");
			return false;
		}
	return true;
}

/* A message this run leaves alone: sent already, held by a live run, or
 * of an unknown outcome (unless asked). A contact test goes again each
 * run, unless a live run holds it. */
static bool left_alone(const struct wr_notify_opts *o, const struct cust *c)
{
	if (strcmp(c->state, "sending") == 0)
		return true;
	if (o->contact_test)
		return false;
	return strcmp(c->state, "sent") == 0 ||
	       (strcmp(c->state, "unknown") == 0 && !o->resend_unknown);
}

int wr_notify_run(struct wr_db *db, const struct wr_notify_opts *o, wr_notify_cb cb, void *ctx,
		  struct wr_notify_stats *st)
{
	const char *tname = o->contact_test ? WR_CONTACT_TEST_TEMPLATE
			    : o->template   ? o->template
					    : "first-notice";
	struct sender s = {0};
	struct tpl t;
	struct cust *cv = NULL;
	size_t nc = 0;
	sqlite3_stmt *certs = NULL;
	struct wr_status ws;
	char deadline[64], claim[200], mid[400], detail[REPLY_MAX + 200];
	double t0 = mono();
	bool started = false;
	int rc;

	memset(st, 0, sizeof *st);
	if ((rc = wr_auth_team(db, "customer-relations")))
		return rc;
	/* A test message must never count as a notice. */
	if (!o->contact_test && strcmp(tname, WR_CONTACT_TEST_TEMPLATE) == 0)
		return wr_err(db, WR_EINVAL,
			      "template '%s' is the contacts check's test message, not a notice:"
			      " 'warroom contacts check --send-test' sends it",
			      tname);
	if ((rc = tpl_load(db, tname, &t)))
		return rc;
	if ((rc = wr_status_get(db, &ws)))
		goto out;
	if (o->customer) {
		int64_t n = 0;
		sqlite3_stmt *q;
		if ((rc = wr_prepare(db, "SELECT count(*) FROM customer WHERE name = ?", &q)))
			goto out;
		sqlite3_bind_text(q, 1, o->customer, -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW)
			n = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
		if (!n) {
			rc = wr_err(db, WR_ENOENT,
				    "no customer '%s' ('warroom customers' lists them)",
				    o->customer);
			goto out;
		}
	}
	const struct wr_reason *reason = wr_reason_find(ws.reason);
	if (ws.deadline)
		utc_text(ws.deadline, deadline, sizeof deadline);
	else
		snprintf(deadline, sizeof deadline, "(not set yet)");
	const char *info = wr_config_get(wr_db_config(db), "notify", "info_url");
	struct values v = {ws.name, deadline, reason ? reason->circumstance : "(to be confirmed)",
			   info ? info : "(none)"};
	int64_t now = wr_clock_now(db);

	if (!o->dry_run && (rc = wr_claims_settle(db, "message", "sending", "the server", now)))
		goto out;
	started = !o->dry_run;
	if ((rc = load_customers(db, tname, o->customer, o->contact_test, now, &cv, &nc)))
		goto out;
	char sql[512];
	snprintf(sql, sizeof sql,
		 "SELECT c.serial, c.sans, c.subject, c.not_after FROM cert c WHERE c.customer = ?1"
		 " AND %s ORDER BY c.not_after, c.serial",
		 cert_filter(tname));
	if ((rc = wr_prepare(db, sql, &certs)))
		goto out;
	bind_now(certs, now); /* kept over cert_list's resets */
	st->customers = (int64_t)nc;
	for (size_t i = 0; i < nc; i++) {
		struct cust *c = &cv[i];
		if (o->contact_test && strcmp(c->state, "sending") != 0)
			st->to_send++; /* a contact test goes again each run */
		else if (strcmp(c->state, "sent") == 0)
			st->skipped++;
		else if (strcmp(c->state, "sending") == 0)
			st->skipped++; /* another run, alive, has it */
		else if (strcmp(c->state, "unknown") == 0 && !o->resend_unknown)
			st->unknown_found++;
		else
			st->to_send++;
	}
	if (o->dry_run) {
		for (size_t i = 0; i < nc; i++) {
			struct cust *c = &cv[i];
			if (left_alone(o, c))
				continue;
			struct message m;
			if ((rc = message_build(db, certs, &t, &v, c, &m))) {
				message_clear(&m);
				goto out;
			}
			if (!st->first[0]) {
				const char *from = wr_config_get(wr_db_config(db), "smtp", "from");
				message_preview(&m, from ? from : "", c, st->first,
						sizeof st->first);
			}
			message_clear(&m);
		}
		goto out;
	}
	/* An exercise without [exercise] smtp sends nothing: each message is
	 * recorded as if accepted, marked simulated. */
	bool simulate = wr_exercise_active(db) && !wr_exercise_smtp(db);
	if (simulate)
		snprintf(s.domain, sizeof s.domain, "exercise.invalid");
	else if (st->to_send && (rc = sender_open(db, &s)))
		goto out;
	wr_claim_self(claim, sizeof claim);
	int64_t per_second = wr_config_int(wr_db_config(db), "smtp", "per_second", 0);
	int64_t sent_n = 0;
	double last_send = 0;
	for (size_t i = 0; i < nc; i++) {
		struct cust *c = &cv[i];
		if (left_alone(o, c))
			continue;
		const char *state;
		struct message m;
		bool taken;
		now = wr_clock_now(db);
		if (c->message_id && !o->contact_test)
			snprintf(mid, sizeof mid, "%s", c->message_id);
		else
			new_message_id(s.domain, now, mid, sizeof mid);
		if ((rc = claim_message(db, c, tname, mid, claim, now, o->resend_unknown,
					o->contact_test, &taken)))
			goto out;
		if (!taken) {
			st->skipped++;
			continue;
		}
		if (!contact_usable(c->contact, detail, sizeof detail)) {
			st->no_contact++;
			state = "failed";
		} else {
			if ((rc = message_build(db, certs, &t, &v, c, &m))) {
				message_clear(&m);
				record_outcome(db, c, tname, "failed", NULL, wr_db_errmsg(db), now,
					       !o->contact_test);
				goto out;
			}
			/* [smtp] per_second: each message at least 1/n s after the
			 * one before, so that a stall never turns into a burst. */
			if (per_second > 0 && sent_n)
				wait_until(last_send + 1.0 / (double)per_second);
			last_send = mono();
			/* An exercise's fault (inject.c): the server is down; the
			 * message fails as a refusal would, sent by a later run. */
			int64_t down = 0;
			if (wr_fault_active(db, "smtp", now, &down) > 0) {
				char ub[WR_TIME_BUFSZ];
				state = "failed";
				snprintf(detail, sizeof detail,
					 "the SMTP server is unavailable (exercise fault until %s)",
					 wr_time_format(down, ub));
			} else if (simulate) {
				state = "sent";
				snprintf(detail, sizeof detail,
					 "simulated: an exercise without [exercise] smtp sends"
					 " nothing");
			} else {
				message_send(&s, &m, c, mid, now, &state, detail, sizeof detail);
			}
			sent_n++;
			message_clear(&m);
		}
		bool ok = strcmp(state, "sent") == 0;
		if ((rc = record_outcome(db, c, tname, state, ok ? detail : NULL,
					 ok ? NULL : detail, wr_clock_now(db), !o->contact_test)))
			goto out;
		if (ok)
			st->sent++;
		else if (strcmp(state, "unknown") == 0)
			st->unknown++;
		else
			st->failed++;
		if (cb)
			cb(c->name, c->contact, state, detail, ctx);
		if (s.broken) {
			rc = wr_err(db, WR_EIO, "notify: %s (%s)", s.broken, detail);
			goto out;
		}
	}
out:
	st->elapsed = mono() - t0;
	if (started) {
		int rc2 = wr_tx_begin(db);
		if (!rc2) {
			json_t *d = json_pack(
			    "{s:s, s:I, s:I, s:I, s:I, s:I}", "template", tname, "sent",
			    (json_int_t)st->sent, "failed", (json_int_t)st->failed, "unknown",
			    (json_int_t)(st->unknown + st->unknown_found), "skipped",
			    (json_int_t)st->skipped, "no_contact", (json_int_t)st->no_contact);
			if (o->customer)
				json_object_set_new(d, "customer", json_string(o->customer));
			rc2 = wr_event_add_json(db, "notify", d);
			if (rc2)
				wr_tx_rollback(db);
			else
				rc2 = wr_tx_commit(db);
		}
		if (!rc)
			rc = rc2;
	}
	if (s.h)
		curl_easy_cleanup(s.h);
	sqlite3_finalize(certs);
	custs_free(cv, nc);
	tpl_free(&t);
	return rc;
}
