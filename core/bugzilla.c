/*
 * bugzilla.c: Mozilla's reports posted to Bugzilla over its REST API
 * (domain.md 7) with libcurl: `warroom report post`.
 *
 * A report (core/report.c renders it) goes as a comment on the incident's
 * bug (POST /rest/bug/N/comment, is_markdown), or as the description of a
 * new bug (POST /rest/bug) whose number is recorded. A report longer than
 * Bugzilla's 65,535 characters goes as several comments, split at line
 * ends and headed "(part i/n)". --whiteboard adds [leaf-revocation-delay]
 * to the bug's whiteboard (GET, then PUT /rest/bug/N) when certificates
 * are delayed; that one is idempotent and not queued.
 *
 * A full report of WR_REPORT_CRTSH_AT certificates and more lists them as
 * crt.sh links and says the CSV of every one is attached: it is, as an
 * attachment of the same post (POST /rest/bug/N/attachment, the CSV in
 * base64, data/migrate-015.sql), sent before the comments that say so,
 * exactly once as they are; larger than [bugzilla] attachment_max
 * (Bugzilla's maxattachmentsize, default 1000 KB) in parts of whole rows,
 * each headed, affected-certificates-I-of-N.csv, the report saying so.
 *
 * An exercise posts only to its sink, [exercise] bugzilla, and never with
 * the CA's API key: a real Bugzilla named there refuses the post.
 *
 * Exactly once, as notify.c sends its messages (data/migrate-012.sql):
 * each comment is committed 'queued' with its text before anything is
 * sent, taken 'sending' with this process's claim right before its
 * request, and 'sent' with Bugzilla's id after. A request refused (an
 * error JSON, a 500) or never sent (the server down) goes back to
 * 'queued' with the error, for `report post --retry`. A request sent
 * whole whose answer never came (a timeout, a dropped connection), or
 * whose answer is a proxy's 502, 503 or 504 (the gateway gave up waiting;
 * Bugzilla behind it may have acted), and a row left 'sending' by a
 * process that died are 'unknown': Bugzilla may
 * have the comment, so it goes again only when asked, or a person who
 * looked at the bug settles it (sent, or dropped: a mistyped bug number
 * Bugzilla refuses). The parts of one report go in order: a part not
 * sent holds back those after it.
 *
 * The API key is read when needed, travels in the X-BUGZILLA-API-KEY
 * header only, is scrubbed out of any error text and is never stored: the
 * database, the timeline and the messages never hold it. Redirects are
 * not followed (they would carry the header elsewhere).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "internal.h"

#define KEY_MAX 256
#define ANSWER_MAX (1 << 20)
#define DETAIL_MAX 800

/* ---- splitting -------------------------------------------------------------------- */

/* Code points in s[0..n). */
static size_t u8len(const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			k++;
	return k;
}

/* The byte length of the first max code points of s[0..n). */
static size_t u8cut(const char *s, size_t n, size_t max)
{
	size_t k = 0, i = 0;

	for (; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && k++ == max)
			break;
	return i;
}

void wr_bugzilla_split_free(char **parts, size_t n)
{
	for (size_t i = 0; parts && i < n; i++)
		free(parts[i]);
	free(parts);
}

/* Room kept in each part for "(part i/n)\n\n" and a code fence closed
 * at its end and opened again at the next one's start. */
#define PART_HEAD 48
#define FENCE_MAX 32
#define PART_ROOM (PART_HEAD + FENCE_MAX + 8)

/* A line that opens or closes a fenced code block ("```csv"). */
static bool fence_line(const char *s, size_t n)
{
	return n >= 3 && (strncmp(s, "```", 3) == 0 || strncmp(s, "~~~", 3) == 0);
}

struct chunk {
	size_t off, len;
	char reopen[FENCE_MAX + 2]; /* the fence to open first, "" none */
	char close[4];		    /* inside a fence at its end: its marker */
};

static int chunks_of(const char *text, size_t len, size_t room, struct chunk **out, size_t *nout)
{
	struct chunk *v = NULL;
	size_t n = 0, cap = 0, off = 0;
	char fence[FENCE_MAX + 2] = ""; /* the open fence's line, "" outside */

	while (off < len) {
		size_t end = off, chars = 0;
		char start_fence[sizeof fence];
		memcpy(start_fence, fence, sizeof fence);
		while (end < len) {
			const char *nl = memchr(text + end, '\n', len - end);
			size_t lend = nl ? (size_t)(nl - text) + 1 : len;
			size_t lc = u8len(text + end, lend - end);
			if (chars + lc > room)
				break;
			chars += lc;
			size_t ll = lend - end - (nl ? 1 : 0);
			if (fence_line(text + end, ll)) {
				if (fence[0])
					fence[0] = '\0';
				else
					snprintf(fence, sizeof fence, "%.*s\n",
						 (int)(ll < FENCE_MAX ? ll : 3), text + end);
			}
			end = lend;
		}
		if (end == off) /* one line longer than a part: cut between characters */
			end = off + u8cut(text + off, len - off, room);
		if (n == cap) {
			size_t c2 = cap ? cap * 2 : 8;
			struct chunk *nv = realloc(v, c2 * sizeof *nv);
			if (!nv) {
				free(v);
				return WR_ENOMEM;
			}
			v = nv;
			cap = c2;
		}
		v[n].off = off;
		v[n].len = end - off;
		memcpy(v[n].reopen, start_fence, sizeof start_fence);
		snprintf(v[n].close, sizeof v[n].close, "%.3s", fence);
		n++;
		off = end;
	}
	*out = v;
	*nout = n;
	return 0;
}

int wr_bugzilla_split(const char *text, size_t max, char ***out, size_t *nout)
{
	size_t len = strlen(text), n = 0;
	struct chunk *chunks = NULL;
	char **parts = NULL;
	int rc;

	*out = NULL;
	*nout = 0;
	if (max <= PART_ROOM * 2)
		return WR_EINVAL;
	if (u8len(text, len) <= max) {
		if (!(parts = calloc(1, sizeof *parts)) || !(parts[0] = strdup(text))) {
			free(parts);
			return WR_ENOMEM;
		}
		*out = parts;
		*nout = 1;
		return 0;
	}
	if ((rc = chunks_of(text, len, max - PART_ROOM, &chunks, &n)))
		return rc;
	if (!(parts = calloc(n, sizeof *parts))) {
		free(chunks);
		return WR_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct chunk *k = &chunks[i];
		char head[PART_HEAD];
		int hl = snprintf(head, sizeof head, "(part %zu/%zu)\n\n", i + 1, n);
		size_t rl = strlen(k->reopen);
		bool nl = k->len && text[k->off + k->len - 1] != '\n';
		char tail[8] = "";
		if (k->close[0])
			snprintf(tail, sizeof tail, "%s%s\n", nl ? "\n" : "", k->close);
		size_t tl = strlen(tail);
		char *p = malloc((size_t)hl + rl + k->len + tl + 1);
		if (!(parts[i] = p)) {
			wr_bugzilla_split_free(parts, n);
			free(chunks);
			return WR_ENOMEM;
		}
		memcpy(p, head, (size_t)hl);
		memcpy(p + hl, k->reopen, rl);
		memcpy(p + hl + rl, text + k->off, k->len);
		memcpy(p + hl + rl + k->len, tail, tl + 1);
	}
	free(chunks);
	*out = parts;
	*nout = n;
	return 0;
}

/* The end of the CSV row at s[off..len): past its line end, a quoted
 * field's line ends being inside the row (RFC 4180). */
static size_t csv_row_end(const char *s, size_t off, size_t len)
{
	bool quoted = false;

	for (; off < len; off++) {
		if (s[off] == '"')
			quoted = !quoted;
		else if (s[off] == '\n' && !quoted)
			return off + 1;
	}
	return len;
}

size_t wr_bugzilla_attachment_max(const struct wr_config *cfg)
{
	int64_t v = wr_config_int(cfg, "bugzilla", "attachment_max", WR_BUGZILLA_ATTACHMENT_MAX);
	return v > 0 && (uint64_t)v <= SIZE_MAX ? (size_t)v : WR_BUGZILLA_ATTACHMENT_MAX;
}

void wr_bugzilla_appendix_name(int part, int parts, char *buf, size_t bufsz)
{
	if (part <= 0 || parts <= 1)
		snprintf(buf, bufsz, "%s", WR_REPORT_APPENDIX_FILE);
	else
		snprintf(buf, bufsz, WR_REPORT_APPENDIX_PART, part, parts);
}

int wr_bugzilla_csv_split(const char *csv, size_t max, char ***out, size_t *nout)
{
	size_t len = strlen(csv), hl = csv_row_end(csv, 0, len), n = 0, cap = 0;
	char **v = NULL;

	*out = NULL;
	*nout = 0;
	/* Bugzilla's limit is on the file, not its base64: bytes. */
	for (size_t off = hl; off < len || n == 0;) {
		size_t end = off;
		if (len <= max) { /* all of it fits: the whole, as it is */
			end = len;
		} else {
			while (end < len) {
				size_t re = csv_row_end(csv, end, len);
				if (end > off && hl + (re - off) > max)
					break; /* a row too long goes alone in its part */
				end = re;
			}
		}
		if (n == cap) {
			size_t c2 = cap ? cap * 2 : 4;
			char **nv = realloc(v, c2 * sizeof *nv);
			if (!nv)
				goto oom;
			v = nv;
			cap = c2;
		}
		size_t from = len <= max ? 0 : off, head = len <= max ? 0 : hl;
		char *p = malloc(head + (end - from) + 1);
		if (!p)
			goto oom;
		memcpy(p, csv, head);
		memcpy(p + head, csv + from, end - from);
		p[head + end - from] = '\0';
		v[n++] = p;
		off = end;
	}
	*out = v;
	*nout = n;
	return 0;
oom:
	wr_bugzilla_split_free(v, n);
	return WR_ENOMEM;
}

/* ---- the client ------------------------------------------------------------------- */

struct client {
	CURL *h;
	char url[1024]; /* without a trailing slash */
	char key[KEY_MAX];
	char product[128], component[128];
	long timeout;
	size_t attachment_max; /* [bugzilla] attachment_max: bytes of one attachment */
	char curl_err[CURL_ERROR_SIZE];
};

static void client_close(struct client *c)
{
	if (c->h)
		curl_easy_cleanup(c->h);
	explicit_bzero(c->key, sizeof c->key);
	c->h = NULL;
}

/* Replaces every copy of the key in s (a server's message could echo a
 * header back) with "[API key]". */
static void scrub(const struct client *c, char *s)
{
	size_t kl = strlen(c->key);
	char *p;

	if (kl < 4)
		return;
	while ((p = strstr(s, c->key))) {
		static const char mark[] = "[API key]";
		size_t ml = sizeof mark - 1;
		memmove(p + ml, p + kl, strlen(p + kl) + 1);
		memcpy(p, mark, ml);
	}
}

/* The key: [bugzilla] api_key in a config only its owner reads (issue 7's
 * rule for a file holding a secret), or the first line of api_key_file. */
static int read_key(struct wr_db *db, const struct wr_config *cfg, char *out, size_t n)
{
	char path[PATH_MAX], err[512];
	const char *v = wr_config_get(cfg, "bugzilla", "api_key");

	out[0] = '\0';
	if (v) {
		const char *cp = wr_config_path(cfg);
		if (cp && wr_priv_check_file(cp, WR_CHECK_SECRET, err, sizeof err))
			return wr_err(db, WR_EPERM, "[bugzilla] api_key: %s", err);
		snprintf(out, n, "%s", v);
	} else if (wr_config_get(cfg, "bugzilla", "api_key_file")) {
		if (!wr_config_file(cfg, "bugzilla", "api_key_file", path, sizeof path))
			return wr_err(db, WR_EINVAL, "[bugzilla] api_key_file: no path");
		if (wr_priv_check_file(path, WR_CHECK_SECRET, err, sizeof err))
			return wr_err(db, WR_EPERM, "[bugzilla] api_key_file: %s", err);
		FILE *f = fopen(path, "r");
		if (!f)
			return wr_err(db, WR_EIO, "[bugzilla] api_key_file %s: %s", path,
				      strerror(errno));
		if (!fgets(out, (int)n, f))
			out[0] = '\0';
		fclose(f);
		out[strcspn(out, "\r\n")] = '\0';
	} else {
		return wr_err(db, WR_EINVAL,
			      "[bugzilla] api_key or api_key_file is not set in %s",
			      wr_config_path(cfg) ? wr_config_path(cfg) : "the configuration");
	}
	/* A header value: printable ASCII only, so nothing can add a header. */
	for (const unsigned char *u = (const unsigned char *)out; *u; u++)
		if (*u < 0x21 || *u > 0x7e) {
			explicit_bzero(out, n);
			return wr_err(db, WR_EINVAL,
				      "[bugzilla] API key: want printable ASCII without spaces");
		}
	if (!out[0])
		return wr_err(db, WR_EINVAL, "[bugzilla] API key: empty");
	return 0;
}

static int client_open(struct wr_db *db, struct client *c)
{
	const struct wr_config *cfg = wr_db_config(db);
	const char *url = wr_config_get(cfg, "bugzilla", "url");
	const char *product = wr_config_get(cfg, "bugzilla", "product");
	const char *component = wr_config_get(cfg, "bugzilla", "component");
	bool exercise = wr_exercise_active(db);
	int rc;

	memset(c, 0, sizeof *c);
	/* An exercise posts to its sink alone, never with the CA's key (as
	 * its mail goes to [exercise] smtp without the CA's login). */
	if (exercise && !(url = wr_config_get(cfg, "exercise", "bugzilla")))
		return wr_err(db, WR_EPERM,
			      "an exercise posts to Bugzilla only through a sink: set [exercise]"
			      " bugzilla = URL in %s (never the CA's real Bugzilla)",
			      wr_config_path(cfg) ? wr_config_path(cfg) : "the configuration");
	if (!url)
		return wr_err(db, WR_EINVAL,
			      "[bugzilla] url is not set in %s (https://bugzilla.mozilla.org)",
			      wr_config_path(cfg) ? wr_config_path(cfg) : "the configuration");
	if ((strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) ||
	    strlen(url) >= sizeof c->url)
		return wr_err(db, WR_EINVAL, "[bugzilla] url: want https://HOST[/PATH]");
	for (const unsigned char *u = (const unsigned char *)url; *u; u++)
		if (*u <= 0x20 || *u >= 0x7f)
			return wr_err(db, WR_EINVAL,
				      "[bugzilla] url: no spaces or control characters");
	snprintf(c->url, sizeof c->url, "%s", url);
	for (size_t l = strlen(c->url); l && c->url[l - 1] == '/'; l--)
		c->url[l - 1] = '\0';
	snprintf(c->product, sizeof c->product, "%s", product ? product : "CA Program");
	snprintf(c->component, sizeof c->component, "%s",
		 component ? component : "CA Certificate Compliance");
	c->timeout = (long)wr_config_int(cfg, "bugzilla", "timeout", 60);
	if (c->timeout <= 0)
		c->timeout = 60;
	c->attachment_max = wr_bugzilla_attachment_max(cfg);
	if (exercise)
		snprintf(c->key, sizeof c->key, "exercise");
	else if ((rc = read_key(db, cfg, c->key, sizeof c->key)))
		return rc;
	if (!(c->h = curl_easy_init())) {
		explicit_bzero(c->key, sizeof c->key);
		return wr_err(db, WR_ENOMEM, "out of memory");
	}
	return 0;
}

struct answer {
	struct wr_buf b;
	bool too_big;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t len = size * n;

	if (a->b.len + len > ANSWER_MAX) {
		a->too_big = true;
		return 0;
	}
	return wr_buf_put(&a->b, p, len) ? len : 0;
}

enum outcome { OUT_OK, OUT_FAILED, OUT_UNKNOWN };

/*
 * One request; body NULL for a GET. On OUT_OK *json is the answer (an
 * object, to json_decref). OUT_FAILED: Bugzilla refused it or never got
 * it whole; OUT_UNKNOWN: it went whole and no answer came. detail says
 * what happened, the key scrubbed out.
 */
static enum outcome request(struct client *c, const char *method, const char *path,
			    const char *body, json_t **json, char *detail, size_t dn)
{
	char url[1400], hdr[KEY_MAX + 32];
	struct curl_slist *h = NULL;
	struct answer a = {0};
	enum outcome out = OUT_FAILED;
	CURLcode cc;
	long code = 0;

	*json = NULL;
	detail[0] = '\0';
	c->curl_err[0] = '\0';
	snprintf(url, sizeof url, "%s%s", c->url, path);
	snprintf(hdr, sizeof hdr, "X-BUGZILLA-API-KEY: %s", c->key);
	h = curl_slist_append(h, hdr);
	explicit_bzero(hdr, sizeof hdr);
	h = curl_slist_append(h, "Accept: application/json");
	if (body) {
		h = curl_slist_append(h, "Content-Type: application/json");
		h = curl_slist_append(h, "Expect:");
	}
	curl_easy_reset(c->h);
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT, c->timeout < 30 ? c->timeout : 30L);
	curl_easy_setopt(c->h, CURLOPT_TIMEOUT, c->timeout);
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, c->curl_err);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(c->h, CURLOPT_USERAGENT, "warroom");
	if (body) {
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, method);
	}
	cc = curl_easy_perform(c->h);
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
	curl_off_t up = 0;
	curl_easy_getinfo(c->h, CURLINFO_SIZE_UPLOAD_T, &up);
	for (struct curl_slist *e = h; e; e = e->next)
		explicit_bzero(e->data, strlen(e->data));
	curl_slist_free_all(h); /* the key's header with it, zeroed */
	json_t *j = a.b.p ? json_loadb(a.b.p, a.b.len, 0, NULL) : NULL;
	if (cc != CURLE_OK && code == 0) {
		const char *why = c->curl_err[0] ? c->curl_err : curl_easy_strerror(cc);
		/* The whole request went and nothing came back: Bugzilla may
		 * have acted on it. A GET changes nothing: simply failed. */
		if (body && up > 0 && (size_t)up >= strlen(body)) {
			out = OUT_UNKNOWN;
			snprintf(detail, dn,
				 "no answer after the request went to %.150s (%.150s): Bugzilla may have it",
				 c->url, why);
		} else {
			snprintf(detail, dn, "%.150s: %.200s", c->url, why);
		}
	} else if (code >= 200 && code < 300 && json_is_object(j) &&
		   !json_is_true(json_object_get(j, "error"))) {
		out = OUT_OK;
		*json = j;
		j = NULL;
	} else if ((code == 502 || code == 503 || code == 504) && body && up > 0 &&
		   (size_t)up >= strlen(body) &&
		   !(json_is_object(j) && json_is_true(json_object_get(j, "error")))) {
		/* A gateway's answer after the whole request went: the proxy
		 * gave up on Bugzilla, which may have acted on it all the same.
		 * Bugzilla's own error JSON is a refusal: that one failed. */
		out = OUT_UNKNOWN;
		snprintf(detail, dn,
			 "%.150s answered %ld after the request went: Bugzilla may have it", c->url,
			 code);
	} else if (json_is_object(j) && json_is_string(json_object_get(j, "message"))) {
		/* Bugzilla's error: {"error": true, "message": ..., "code": N} */
		snprintf(detail, dn, "Bugzilla answered %ld: %.300s (code %lld)", code,
			 json_string_value(json_object_get(j, "message")),
			 (long long)json_integer_value(json_object_get(j, "code")));
	} else if (cc == CURLE_OK && code >= 200 && code < 300) {
		/* A 2xx that is not JSON: it may have acted on it. */
		out = body ? OUT_UNKNOWN : OUT_FAILED;
		snprintf(detail, dn, "Bugzilla answered %ld with no JSON object%s", code,
			 body ? ": it may have it" : "");
	} else {
		snprintf(detail, dn, "Bugzilla answered %ld%s%s", code,
			 cc != CURLE_OK ? ": " : "",
			 cc != CURLE_OK ? (c->curl_err[0] ? c->curl_err : curl_easy_strerror(cc))
					: "");
	}
	json_decref(j);
	wr_buf_free(&a.b);
	/* Nothing of the answer goes out unescaped: each edge escapes; but
	 * the key never goes out at all. */
	scrub(c, detail);
	return out;
}

/* ---- the queue -------------------------------------------------------------------- */


/* The key that finds the same text queued twice: the SHA-256 of a part
 * without the report's closing audit head, which moves on with every
 * event (posting the report adds some). */
static void sha256_hex(const char *s, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(s, wr_report_audit_at(s, strlen(s)), md, &n, EVP_sha256(), NULL);
	wr_hex(md, sizeof md, out);
}

#define ATTACHMENT_SUMMARY "Appendix: every affected certificate (CSV)"

/* One row of a post's queue, through the INSERT of enqueue: the rows
 * of one post share its number, the first row's id (*post 0: this one). */
struct queued {
	struct wr_db *db;
	sqlite3_stmt *st;
	const struct wr_bugzilla_opts *o;
	const char *kind;
	int64_t now;
	int64_t *post;
};

static int queue_row(struct queued *q, const char *op, int64_t part, int64_t parts,
		     const char *summary, const char *body, const char *what)
{
	char hex[65];
	sqlite3_stmt *st = q->st;

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sha256_hex(body, hex);
	if (*q->post)
		sqlite3_bind_int64(st, 1, *q->post);
	sqlite3_bind_text(st, 2, op, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, q->kind, -1, SQLITE_STATIC);
	if (!q->o->new_bug)
		sqlite3_bind_int64(st, 4, q->o->bug);
	sqlite3_bind_int64(st, 5, part);
	sqlite3_bind_int64(st, 6, parts);
	if (summary)
		sqlite3_bind_text(st, 7, summary, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, body, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, hex, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 10, q->now);
	sqlite3_bind_text(st, 11, wr_db_actor(q->db), -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return wr_err_sq(q->db, what);
	if (!*q->post)
		*q->post = sqlite3_last_insert_rowid(q->db->sq);
	return 0;
}

/* Queues the report's parts as one post, and the ncsv parts of its
 * appendix CSV as its attachments, sent before the comments: a whole one
 * part 0 (of the comments' parts, as before parts), else part i of ncsv;
 * *post its id. */
static int enqueue(struct wr_db *db, const struct wr_bugzilla_opts *o, const char *kind,
		   const char *summary, char **parts, size_t n, char **csv, size_t ncsv,
		   int64_t *post)
{
	sqlite3_stmt *st = NULL;
	char hex[65];
	int rc;

	*post = 0;
	if ((rc = wr_tx_begin(db)))
		return rc;
	/* The same text to the same bug, queued or posted already: once is
	 * enough (a second run of the same command under the same clock).
	 * One a person dropped may go again (an attachment too large for
	 * Bugzilla, dropped, posted again in smaller parts). */
	if ((rc = wr_prepare(db,
			     "SELECT state, bug, comment_id FROM bugzilla_post WHERE part = 1"
			     " AND kind = ?1 AND body_sha256 = ?2 AND op = ?3"
			     " AND (?4 = 0 OR bug = ?4) AND state <> 'dropped'"
			     " ORDER BY id DESC LIMIT 1",
			     &st)))
		goto fail;
	sha256_hex(parts[0], hex);
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hex, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, o->new_bug ? "new" : "comment", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, o->new_bug ? 0 : o->bug);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *state = wr_col_text(st, 0);
		int64_t bug = wr_col_i64(st, 1), cid = wr_col_i64(st, 2);
		if (strcmp(state, "sent") == 0 && o->new_bug)
			rc = wr_err(db, WR_EEXIST, "this %s report was filed already: bug %lld",
				    kind, (long long)bug);
		else if (strcmp(state, "sent") == 0)
			rc = wr_err(db, WR_EEXIST,
				    "this %s report was posted to bug %lld already (comment %lld)",
				    kind, (long long)bug, (long long)cid);
		else
			rc = wr_err(db, WR_EEXIST,
				    "this %s report is %s already: 'report post --retry' sends it",
				    kind, state);
		goto fail;
	}
	sqlite3_finalize(st);
	if ((rc = wr_prepare(db,
			     "INSERT INTO bugzilla_post(post, op, kind, bug, part, parts, summary,"
			     " body, body_sha256, state, created, created_by) VALUES (coalesce(?1,"
			     " (SELECT coalesce(max(id), 0) + 1 FROM bugzilla_post)), ?2, ?3, ?4, ?5,"
			     " ?6, ?7, ?8, ?9, 'queued', ?10, ?11)",
			     &st)))
		goto fail;
	struct queued q = {db, st, o, kind, wr_clock_now(db), post};
	for (size_t i = 0; i < n && !rc; i++)
		rc = queue_row(&q, o->new_bug && i == 0 ? "new" : "comment", (int64_t)i + 1,
			       (int64_t)n, o->new_bug && i == 0 ? summary : NULL, parts[i],
			       "queueing the report");
	for (size_t i = 0; i < ncsv && !rc; i++) {
		char sum[128];
		if (ncsv > 1)
			snprintf(sum, sizeof sum, ATTACHMENT_SUMMARY ", part %zu of %zu", i + 1, ncsv);
		else
			snprintf(sum, sizeof sum, ATTACHMENT_SUMMARY);
		rc = queue_row(&q, "attachment", ncsv > 1 ? (int64_t)i + 1 : 0,
			       ncsv > 1 ? (int64_t)ncsv : (int64_t)n, sum, csv[i],
			       "queueing the appendix");
	}
	if (rc)
		goto fail;
	sqlite3_finalize(st);
	return wr_tx_commit(db);
fail:
	sqlite3_finalize(st);
	wr_tx_rollback(db);
	return rc;
}

struct row {
	int64_t id, post, bug;
	int part, parts;
	char op[12], kind[16], state[12];
	char *summary, *body;
};

static void rows_free(struct row *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].summary), free(v[i].body);
	free(v);
}

/* The rows to send: post's (0: every post's), queued, and unknown ones
 * when asked, in order: a new bug first, then the attachments (part 0,
 * or parts 1 to n), then the comments. */
static int load_rows(struct wr_db *db, int64_t post, struct row **out, size_t *nout)
{
	sqlite3_stmt *q;
	struct row *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	if ((rc = wr_prepare(db,
			     "SELECT id, post, coalesce(bug, 0), part, parts, op, kind, state,"
			     " summary, body FROM bugzilla_post WHERE state IN ('queued', 'unknown')"
			     " AND op <> 'manual' AND (?1 = 0 OR post = ?1)"
			     " ORDER BY post, op <> 'new', op <> 'attachment', part",
			     &q)))
		return rc;
	sqlite3_bind_int64(q, 1, post);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (n == cap) {
			size_t c2 = cap ? cap * 2 : 8;
			struct row *nv = realloc(v, c2 * sizeof *nv);
			if (!nv)
				goto oom;
			v = nv;
			cap = c2;
		}
		struct row *r = &v[n++];
		memset(r, 0, sizeof *r);
		r->id = sqlite3_column_int64(q, 0);
		r->post = sqlite3_column_int64(q, 1);
		r->bug = sqlite3_column_int64(q, 2);
		r->part = sqlite3_column_int(q, 3);
		r->parts = sqlite3_column_int(q, 4);
		snprintf(r->op, sizeof r->op, "%s", wr_col_text(q, 5));
		snprintf(r->kind, sizeof r->kind, "%s", wr_col_text(q, 6));
		snprintf(r->state, sizeof r->state, "%s", wr_col_text(q, 7));
		const char *s = wr_col_text(q, 8), *b = wr_col_text(q, 9);
		if ((s && !(r->summary = strdup(s))) || !(r->body = strdup(b ? b : "")))
			goto oom;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		rows_free(v, n);
		return wr_err_sq(db, "reading the Bugzilla queue");
	}
	*out = v;
	*nout = n;
	return 0;
oom:
	sqlite3_finalize(q);
	rows_free(v, n);
	return wr_err(db, WR_ENOMEM, "out of memory");
}

/* Takes a row for sending; *taken false when another run has it. */
static int claim_row(struct wr_db *db, const struct row *r, const char *claim, int64_t now,
		     bool *taken)
{
	sqlite3_stmt *st;
	int rc;

	*taken = false;
	if ((rc = wr_tx_begin(db)))
		return rc;
	if ((rc = wr_prepare(db,
			     "UPDATE bugzilla_post SET state = 'sending', claim = ?2,"
			     " attempts = attempts + 1, attempted_at = ?3 WHERE id = ?1 AND state = ?4",
			     &st))) {
		wr_tx_rollback(db);
		return rc;
	}
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_text(st, 2, claim, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_text(st, 4, r->state, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rc = wr_err_sq(db, "taking the post");
		wr_tx_rollback(db);
		return rc;
	}
	*taken = sqlite3_changes(db->sq) > 0;
	return wr_tx_commit(db);
}

/* The outcome of a row, and its event. A new bug's number goes to every
 * row of its post. */
static int record(struct wr_db *db, const struct row *r, int64_t bug, const char *state,
		  int64_t id, const char *error, int64_t now)
{
	sqlite3_stmt *st;
	int rc;
	bool filed = strcmp(r->op, "new") == 0 && strcmp(state, "sent") == 0;
	bool attachment = strcmp(r->op, "attachment") == 0;

	if ((rc = wr_tx_begin(db)))
		return rc;
	if ((rc = wr_prepare(db,
			     "UPDATE bugzilla_post SET state = ?2, comment_id = ?3, error = ?4,"
			     " sent_at = CASE WHEN ?2 = 'sent' THEN ?5 ELSE sent_at END, claim = NULL"
			     " WHERE id = ?1",
			     &st)))
		goto fail;
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	if (id && !filed)
		sqlite3_bind_int64(st, 3, id);
	if (error && *error)
		sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rc = wr_err_sq(db, "recording the post");
		goto fail;
	}
	if (filed) {
		if ((rc = wr_prepare(db, "UPDATE bugzilla_post SET bug = ?2 WHERE post = ?1", &st)))
			goto fail;
		sqlite3_bind_int64(st, 1, r->post);
		sqlite3_bind_int64(st, 2, bug);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			rc = wr_err_sq(db, "recording the new bug");
			goto fail;
		}
	}
	json_t *d = json_pack("{s:s, s:s}", "kind", r->kind, "state", state);
	if (bug)
		json_object_set_new(d, "bug", json_integer(bug));
	if (r->parts > 1 && !attachment) {
		json_object_set_new(d, "part", json_integer(r->part));
		json_object_set_new(d, "parts", json_integer(r->parts));
	}
	if (attachment) {
		char fn[64];
		wr_bugzilla_appendix_name(r->part, r->parts, fn, sizeof fn);
		json_object_set_new(d, "file_name", json_string(fn));
		json_object_set_new(d, "bytes", json_integer((json_int_t)strlen(r->body)));
	}
	if (id && !filed)
		json_object_set_new(d, attachment ? "attachment" : "comment", json_integer(id));
	if (error && *error)
		json_object_set_new(d, "error", json_string(error));
	if (filed && r->summary)
		json_object_set_new(d, "summary", json_string(r->summary));
	const char *action = filed				 ? "bugzilla-bug"
			     : strcmp(state, "sent") != 0	 ? "bugzilla-failed"
			     : attachment			 ? "bugzilla-attachment"
								 : "bugzilla-comment";
	if ((rc = wr_event_add_json(db, action, d)))
		goto fail;
	return wr_tx_commit(db);
fail:
	wr_tx_rollback(db);
	return rc;
}

/* The CSV as Bugzilla wants an attachment's data: base64 (malloc'd). */
static char *base64(const char *s)
{
	size_t n = strlen(s);

	if (n > (size_t)INT_MAX / 4 * 3 - 3)
		return NULL;
	char *out = malloc((n + 2) / 3 * 4 + 1);
	if (out)
		EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	return out;
}

/* The request's JSON for a row (malloc'd). */
static char *row_json(const struct client *c, const struct row *r)
{
	json_t *j;

	if (strcmp(r->op, "attachment") == 0) {
		/* Bugzilla's Create Attachment: ids, data, file_name, summary,
		 * content_type. */
		char *data = base64(r->body), fn[64];
		if (!data)
			return NULL;
		wr_bugzilla_appendix_name(r->part, r->parts, fn, sizeof fn);
		j = json_pack("{s:[I], s:s, s:s, s:s, s:s}", "ids", (json_int_t)r->bug, "data",
			      data, "file_name", fn, "summary",
			      r->summary ? r->summary : ATTACHMENT_SUMMARY, "content_type",
			      "text/csv");
		free(data);
	} else if (strcmp(r->op, "new") == 0)
		/* version, op_sys and platform: Bugzilla requires a version and
		 * defaults the others only when its administrator set defaults;
		 * the CA Program takes these (domain.md 6). */
		j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "product",
			      c->product, "component", c->component, "summary",
			      r->summary ? r->summary : "", "version", "other", "op_sys",
			      "Unspecified", "platform", "Unspecified", "type", "task",
			      "description", r->body, "is_markdown", 1);
	else
		j = json_pack("{s:s, s:b}", "comment", r->body, "is_markdown", 1);
	if (!j)
		return NULL;
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

/* A decimal id of a JSON string; false when it is not one. */
static bool parse_id(const char *s, int64_t *out)
{
	char *end;

	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v <= 0)
		return false;
	*out = v;
	return true;
}

/* The bug of a row not filed yet: its post's new bug, once filed. */
static int64_t post_bug(struct wr_db *db, int64_t post)
{
	int64_t bug = 0;
	sqlite3_stmt *st;

	if (wr_prepare(db, "SELECT coalesce(bug, 0) FROM bugzilla_post WHERE id = ?1", &st))
		return 0;
	sqlite3_bind_int64(st, 1, post);
	if (sqlite3_step(st) == SQLITE_ROW)
		bug = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return bug;
}

static int send_rows(struct wr_db *db, struct client *c, int64_t post, bool resend_unknown,
		     wr_bugzilla_cb cb, void *ctx, struct wr_bugzilla_stats *st)
{
	struct row *v = NULL;
	size_t n = 0;
	char claim[200], detail[DETAIL_MAX], path[64];
	int64_t held = 0; /* a post whose earlier part did not go */
	int rc;

	if ((rc = load_rows(db, post, &v, &n)))
		return rc;
	wr_claim_self(claim, sizeof claim);
	for (size_t i = 0; i < n; i++) {
		struct row *r = &v[i];
		if (r->post == held) {
			st->waiting++;
			continue;
		}
		if (strcmp(r->state, "unknown") == 0 && !resend_unknown) {
			st->unknown_found++;
			held = r->post;
			continue;
		}
		if (!r->bug && strcmp(r->op, "new") != 0 && !(r->bug = post_bug(db, r->post))) {
			/* Its bug is not filed yet. */
			st->waiting++;
			held = r->post;
			continue;
		}
		bool taken;
		if ((rc = claim_row(db, r, claim, wr_clock_now(db), &taken)))
			goto out;
		if (!taken)
			continue;
		char *body = row_json(c, r);
		if (!body) {
			rc = wr_err(db, WR_ENOMEM, "out of memory");
			record(db, r, r->bug, "queued", 0, "out of memory", wr_clock_now(db));
			goto out;
		}
		bool attachment = strcmp(r->op, "attachment") == 0;
		if (strcmp(r->op, "new") == 0)
			snprintf(path, sizeof path, "/rest/bug");
		else
			snprintf(path, sizeof path, "/rest/bug/%lld/%s", (long long)r->bug,
				 attachment ? "attachment" : "comment");
		json_t *ans = NULL;
		enum outcome out = request(c, "POST", path, body, &ans, detail, sizeof detail);
		free(body);
		int64_t id = 0;
		if (out == OUT_OK) {
			/* An attachment's answer is {"ids": ["2797"]}: strings, as
			 * Bugzilla documents it, or numbers. */
			json_t *jid = attachment ? json_array_get(json_object_get(ans, "ids"), 0)
						 : json_object_get(ans, "id");
			if (json_is_integer(jid))
				id = json_integer_value(jid);
			else if (json_is_string(jid) && !parse_id(json_string_value(jid), &id))
				id = 0;
			if (id <= 0) {
				/* It answered 2xx: it has done something we cannot name. */
				out = OUT_UNKNOWN;
				snprintf(detail, sizeof detail,
					 "Bugzilla answered without an id: it may have it");
			}
		}
		json_decref(ans);
		if (attachment && out == OUT_FAILED && strstr(detail, "(code 600)")) {
			/* Attachment Too Large: its maxattachmentsize is below the
			 * setting this part was cut to. */
			size_t dl = strlen(detail);
			snprintf(detail + dl, sizeof detail - dl,
				 "; this part is %zu bytes, over Bugzilla's maxattachmentsize:"
				 " set [bugzilla] attachment_max (now %zu bytes) to it or lower,"
				 " drop this post (report post --settle %lld --as dropped) and"
				 " post the report again",
				 strlen(r->body), c->attachment_max, (long long)r->post);
		}
		if (attachment && r->part > 0 && out != OUT_OK) {
			/* Which of the parts it was. */
			char fn[64];
			wr_bugzilla_appendix_name(r->part, r->parts, fn, sizeof fn - 2);
			strcat(fn, ": ");
			size_t fl = strlen(fn), dl = strlen(detail);
			if (fl + dl >= sizeof detail)
				dl = sizeof detail - fl - 1;
			memmove(detail + fl, detail, dl);
			memcpy(detail, fn, fl);
			detail[fl + dl] = '\0';
		}
		const char *state = out == OUT_OK        ? "sent"
				    : out == OUT_UNKNOWN ? "unknown"
							 : "queued";
		int64_t bug = strcmp(r->op, "new") == 0 ? (out == OUT_OK ? id : 0) : r->bug;
		if ((rc = record(db, r, bug, state, id, out == OUT_OK ? NULL : detail,
				 wr_clock_now(db))))
			goto out;
		if (out == OUT_OK) {
			st->sent++;
			if (strcmp(r->op, "new") == 0) {
				if (r->post == post)
					st->bug = id;
			} else if (attachment) {
				st->attachment_id = id;
			} else {
				st->comment_id = id;
				if (r->post == post && !st->bug)
					st->bug = r->bug;
			}
		} else {
			if (out == OUT_UNKNOWN)
				st->unknown++;
			else {
				st->failed++;
				st->waiting++;
			}
			held = r->post;
		}
		if (cb) {
			/* A sent attachment's detail: its file name. */
			char file[64] = "";
			if (attachment && out == OUT_OK)
				wr_bugzilla_appendix_name(r->part, r->parts, file, sizeof file);
			cb(r->post, bug, r->kind, attachment ? 0 : r->part, r->parts, state, id,
			   out == OUT_OK ? file : detail, ctx);
		}
	}
out:
	rows_free(v, n);
	return rc;
}

/* ---- the whiteboard --------------------------------------------------------------- */

static int add_tag(struct wr_db *db, struct client *c, int64_t bug, bool *added)
{
	char path[64], detail[DETAIL_MAX];
	json_t *ans = NULL;
	int rc;

	*added = false;
	snprintf(path, sizeof path, "/rest/bug/%lld", (long long)bug);
	if (request(c, "GET", path, NULL, &ans, detail, sizeof detail) != OUT_OK)
		return wr_err(db, WR_EIO, "bug %lld's whiteboard: %s", (long long)bug, detail);
	json_t *b0 = json_array_get(json_object_get(ans, "bugs"), 0);
	const char *wb = json_string_value(json_object_get(b0, "whiteboard"));
	if (!json_is_object(b0)) {
		json_decref(ans);
		return wr_err(db, WR_EIO, "bug %lld: Bugzilla's answer has no bug", (long long)bug);
	}
	if (wb && strstr(wb, WR_BUGZILLA_DELAY_TAG)) {
		json_decref(ans);
		return 0;
	}
	struct wr_buf nb = {0};
	bool ok = wr_buf_put(&nb, "", 0);
	if (wb && *wb)
		ok = ok && wr_buf_put(&nb, wb, strlen(wb)) && wr_buf_put(&nb, " ", 1);
	ok = ok && wr_buf_put(&nb, WR_BUGZILLA_DELAY_TAG, strlen(WR_BUGZILLA_DELAY_TAG));
	json_decref(ans);
	json_t *j = ok ? json_pack("{s:s}", "whiteboard", nb.p) : NULL;
	char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!body) {
		wr_buf_free(&nb);
		return wr_err(db, WR_ENOMEM, "out of memory");
	}
	enum outcome out = request(c, "PUT", path, body, &ans, detail, sizeof detail);
	free(body);
	json_decref(ans);
	if (out != OUT_OK) {
		wr_buf_free(&nb);
		return wr_err(db, WR_EIO, "bug %lld's whiteboard: %s", (long long)bug, detail);
	}
	*added = true;
	if ((rc = wr_tx_begin(db)) == 0) {
		rc = wr_event_add_json(db, "bugzilla-whiteboard",
				       json_pack("{s:I, s:s}", "bug", (json_int_t)bug, "whiteboard",
						 nb.p));
		rc = rc ? (wr_tx_rollback(db), rc) : wr_tx_commit(db);
	}
	wr_buf_free(&nb);
	return rc;
}

/* ---- the queue, for people --------------------------------------------------------- */

int wr_bugzilla_foreach(struct wr_db *db, wr_bugzilla_row_cb cb, void *ctx)
{
	sqlite3_stmt *q;
	int rc;

	if ((rc = wr_prepare(db,
			     "SELECT id, post, coalesce(bug, 0), part, parts, attempts, op, kind, state,"
			     " error, coalesce(comment_id, 0), created, coalesce(sent_at, 0)"
			     " FROM bugzilla_post ORDER BY post, op <> 'attachment', part, id",
			     &q)))
		return rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct wr_bugzilla_row r = {
		    .id = sqlite3_column_int64(q, 0),
		    .post = sqlite3_column_int64(q, 1),
		    .bug = sqlite3_column_int64(q, 2),
		    .part = sqlite3_column_int(q, 3),
		    .parts = sqlite3_column_int(q, 4),
		    .attempts = sqlite3_column_int(q, 5),
		    .op = wr_col_text(q, 6),
		    .kind = wr_col_text(q, 7),
		    .state = wr_col_text(q, 8),
		    .error = wr_col_text(q, 9),
		    .comment_id = sqlite3_column_int64(q, 10),
		    .created = sqlite3_column_int64(q, 11),
		    .sent_at = sqlite3_column_int64(q, 12),
		};
		if ((rc = cb(&r, ctx))) {
			sqlite3_finalize(q);
			return rc;
		}
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : wr_err_sq(db, "reading the Bugzilla queue");
}

int wr_bugzilla_settle(struct wr_db *db, int64_t post, const char *as, int64_t bug,
		       int64_t *rows)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*rows = 0;
	if ((rc = wr_auth_team(db, "external-comms")))
		return rc;
	if (!as || (strcmp(as, "sent") && strcmp(as, "dropped")))
		return wr_err(db, WR_EINVAL, "settle a post as sent or dropped");
	if ((rc = wr_tx_begin(db)))
		return rc;
	/* What the post is: its kind, its bug, whether it files one. */
	if ((rc = wr_prepare(db,
			     "SELECT kind, coalesce(bug, 0), op FROM bugzilla_post WHERE id = ?1"
			     " AND post = ?1",
			     &st)))
		goto fail;
	sqlite3_bind_int64(st, 1, post);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = wr_err(db, WR_ENOENT, "no post #%lld ('report post --list' lists them)",
			    (long long)post);
		goto fail;
	}
	char kind[16];
	snprintf(kind, sizeof kind, "%s", wr_col_text(st, 0));
	int64_t had = sqlite3_column_int64(st, 1);
	bool files = strcmp(wr_col_text(st, 2), "new") == 0;
	sqlite3_finalize(st);
	st = NULL;
	if (strcmp(as, "sent") == 0 && files && !had && bug <= 0) {
		rc = wr_err(db, WR_EINVAL,
			    "post #%lld files a new bug: say which with --bug N", (long long)post);
		goto fail;
	}
	if (strcmp(as, "sent") == 0 && !had && bug > 0) {
		if ((rc = wr_prepare(db, "UPDATE bugzilla_post SET bug = ?2 WHERE post = ?1", &st)))
			goto fail;
		sqlite3_bind_int64(st, 1, post);
		sqlite3_bind_int64(st, 2, bug);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		st = NULL;
		if (rc != SQLITE_DONE) {
			rc = wr_err_sq(db, "recording the bug");
			goto fail;
		}
		had = bug;
	}
	/* Sent: when it went, as far as anyone knows. A row 'sending' is a
	 * live process's: left alone. */
	if ((rc = wr_prepare(db,
			     "UPDATE bugzilla_post SET state = ?2, claim = NULL,"
			     " sent_at = CASE WHEN ?2 = 'sent' THEN coalesce(attempted_at, ?3)"
			     " ELSE sent_at END WHERE post = ?1 AND state IN ('queued', 'unknown')",
			     &st)))
		goto fail;
	sqlite3_bind_int64(st, 1, post);
	sqlite3_bind_text(st, 2, as, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, wr_clock_now(db));
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE) {
		rc = wr_err_sq(db, "settling the post");
		goto fail;
	}
	*rows = sqlite3_changes(db->sq);
	if (!*rows) {
		rc = wr_err(db, WR_ESTATE, "post #%lld has nothing queued or of unknown outcome",
			    (long long)post);
		goto fail;
	}
	json_t *d = json_pack("{s:I, s:s, s:s, s:I}", "post", (json_int_t)post, "kind", kind, "as",
			      as, "rows", (json_int_t)*rows);
	if (had)
		json_object_set_new(d, "bug", json_integer(had));
	if ((rc = wr_event_add_json(db, "bugzilla-settle", d)))
		goto fail;
	return wr_tx_commit(db);
fail:
	sqlite3_finalize(st);
	wr_tx_rollback(db);
	return rc;
}

/* ---- the run ---------------------------------------------------------------------- */

int wr_bugzilla_post(struct wr_db *db, const struct wr_bugzilla_opts *o, wr_bugzilla_cb cb,
		     void *ctx, struct wr_bugzilla_stats *st)
{
	const char *kind = wr_report_kind_name(o->kind);
	struct client c = {0};
	char *md = NULL, *title = NULL, **parts = NULL, *csv = NULL, **csvs = NULL;
	size_t len = 0, nparts = 0, ncsv = 0;
	int64_t post = 0;
	int rc;

	memset(st, 0, sizeof *st);
	if ((rc = wr_auth_team(db, "external-comms")))
		return rc;
	if (!o->retry && !o->new_bug && o->bug <= 0)
		return wr_err(db, WR_EINVAL, "want --bug N (the incident's bug) or --new");
	if (o->new_bug && o->bug)
		return wr_err(db, WR_EINVAL, "--new files a bug: not with --bug");
	if (!o->retry && !kind)
		return wr_err(db, WR_EINVAL, "no such report kind");
	if (o->new_bug) {
		/* One incident, one bug: a second is a slip of the hand. */
		struct wr_reporting r;
		if ((rc = wr_reporting_get(db, wr_clock_now(db), &r)))
			return rc;
		if (r.bug)
			return wr_err(db, WR_EEXIST,
				      "the incident has bug %lld already: post to it with --bug %lld",
				      (long long)r.bug, (long long)r.bug);
	}
	/* The configuration first: nothing is queued that cannot go. */
	if ((rc = client_open(db, &c)))
		goto out;
	if ((rc = wr_claims_settle(db, "bugzilla_post", "posting", "Bugzilla", wr_clock_now(db))))
		goto out;
	if (!o->retry) {
		if ((rc = wr_report_render(db, o->kind, WR_REPORT_MD, &md, &len)))
			goto out;
		if (o->new_bug && (rc = wr_report_title(db, &title)))
			goto out;
		if ((rc = wr_bugzilla_split(md, WR_BUGZILLA_COMMENT_MAX, &parts, &nparts))) {
			rc = wr_err(db, rc, "splitting the report");
			goto out;
		}
		st->parts = (int64_t)nparts;
		/* The full report that lists crt.sh links says the CSV is
		 * attached: it goes with it. */
		if (o->kind == WR_REPORT_FULL) {
			struct wr_counts cn;
			if ((rc = wr_counts_get(db, wr_clock_now(db), &cn)))
				goto out;
			if (cn.affected >= WR_REPORT_CRTSH_AT &&
			    (rc = wr_report_appendix_csv(db, &csv, NULL)))
				goto out;
			/* In parts Bugzilla takes, as the report says (report.c). */
			if (csv && wr_bugzilla_csv_split(csv, c.attachment_max, &csvs, &ncsv)) {
				rc = wr_err(db, WR_ENOMEM, "out of memory");
				goto out;
			}
		}
		if ((rc = enqueue(db, o, kind, title, parts, nparts, csvs, ncsv, &post)))
			goto out;
	}
	if ((rc = send_rows(db, &c, post, o->retry && o->resend_unknown, cb, ctx, st)))
		goto out;
	int64_t wbug = st->bug ? st->bug : o->bug;
	if (o->whiteboard && wbug) {
		struct wr_counts cn;
		if ((rc = wr_counts_get(db, wr_clock_now(db), &cn)))
			goto out;
		st->delays = cn.held > 0;
		if (st->delays && (rc = add_tag(db, &c, wbug, &st->whiteboard_set)))
			goto out;
	}
out:
	client_close(&c);
	wr_bugzilla_split_free(parts, nparts);
	wr_bugzilla_split_free(csvs, ncsv);
	free(md);
	free(title);
	free(csv);
	return rc;
}
