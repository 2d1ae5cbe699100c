/*
 * ari.c: ACME Renewal Information (RFC 9773) for the affected certificates,
 * as files for the CA's ARI server to serve (`warroom ari --out DIR`).
 *
 * An ACME client that supports ARI asks the CA's renewalInfo resource,
 * GET renewalInfo/{identifier}, when to renew; a window that starts now
 * makes it renew on its own, with no ticket and no human, which is how a
 * CA replaces most of a large population before a revocation deadline.
 * For every affected certificate neither revoked nor expired, DIR/ID.json
 * holds the renewalInfo object, where ID is the certificate's identifier
 * (wr_ari_id) and the window is the incident's (wr_ari_window); DIR/index.json
 * maps each identifier to its serial for the server and for people.
 *
 * The identifier comes from the stored DER through cert.c's walk
 * (wr_cert_ari_parts), not d2i_X509: decoding each certificate's public
 * key caps OpenSSL 3 at about 5,000 certificates a second per core, and
 * the identifier needs only two fields' bytes. The base64 is OpenSSL's.
 *
 * DIR is the user's: it is written with the user's rights (priv.c), each
 * file through a temporary file opened with O_EXCL and O_NOFOLLOW, then
 * rename(2), so a server never reads half a file and a link planted in
 * the directory is replaced, never followed. Reading the incident and
 * writing the files alternate, a chunk at a time, so the user's rights
 * are never in force while SQLite opens anything. Nothing here prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "internal.h"

#define CHUNK 1024
#define FILE_MODE 0664 /* public, and the team's, as the CRLs (crl.c) */
#define DIR_MODE 0775
#define REPORT_MAX 10  /* certificates without a key identifier named one by one */

/* ---- the identifier --------------------------------------------------------------- */

/* base64url without padding (RFC 4648 5) of n bytes into out, which has
 * room for 4 * ((n + 2) / 3) + 1 bytes; returns the length. */
static size_t b64url(const unsigned char *in, size_t n, char *out)
{
	int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);

	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (int i = 0; i < len; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return (size_t)len;
}

int wr_ari_id(const unsigned char *der, size_t len, char out[WR_ARI_ID_MAX], const char **why)
{
	const unsigned char *akid, *serial;
	size_t akid_len, serial_len, o;

	out[0] = '\0';
	if (wr_cert_ari_parts(der, len, &akid, &akid_len, &serial, &serial_len)) {
		*why = "not a certificate";
		return WR_EINVAL;
	}
	if (!akid || akid_len == 0) {
		*why = "no authority key identifier (ARI identifies a certificate by its"
		       " issuer's keyIdentifier)";
		return WR_EINVAL;
	}
	if (serial_len == 0) {
		*why = "an empty serial number";
		return WR_EINVAL;
	}
	if (4 * ((akid_len + 2) / 3) + 1 + 4 * ((serial_len + 2) / 3) + 1 > WR_ARI_ID_MAX) {
		*why = "key identifier and serial too long for an ARI identifier";
		return WR_EINVAL;
	}
	o = b64url(akid, akid_len, out);
	out[o++] = '.';
	b64url(serial, serial_len, out + o);
	return 0;
}

int wr_ari_window(int64_t now, int64_t deadline, int64_t *start, int64_t *end)
{
	if (deadline == 0 || deadline - now < 2)
		return WR_ESTATE;
	*start = now;
	*end = now + (deadline - now) / 2;
	return 0;
}

/* ---- the files -------------------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* DIR/NAME through DIR/.NAME.XXXXXX and rename(2); with the caller's
 * rights (the user's, inside the window). */
static int put_file(struct wr_db *db, const char *dir, const char *name, const char *body,
		    size_t n)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int fd;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path ||
	    (size_t)snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, name) >= sizeof tmp)
		return wr_err(db, WR_EINVAL, "%s: path too long", dir);
	/* mkostemp opens with O_CREAT | O_EXCL, which never follows a link. */
	if ((fd = mkostemp(tmp, O_CLOEXEC | O_NOFOLLOW)) < 0)
		return wr_err(db, WR_EIO, "%s: %s", tmp, strerror(errno));
	if (write_all(fd, body, n) != 0 || fchmod(fd, FILE_MODE) != 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return wr_err(db, WR_EIO, "%s: %s", tmp, strerror(e));
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return wr_err(db, WR_EIO, "%s: %s", path, strerror(e));
	}
	return 0;
}

/* Makes DIR when missing (not its parents: a typo should not grow a tree). */
static int dir_ready(struct wr_db *db, const char *dir)
{
	struct stat sb;
	int rc = 0;

	if (wr_priv_user_begin())
		return wr_err(db, WR_EPERM, "%s: cannot drop warroom's group rights to write there",
			      dir);
	if (mkdir(dir, DIR_MODE) != 0 && errno != EEXIST)
		rc = wr_err(db, WR_EIO, "%s: %s", dir, strerror(errno));
	else if (stat(dir, &sb) != 0)
		rc = wr_err(db, WR_EIO, "%s: %s", dir, strerror(errno));
	else if (!S_ISDIR(sb.st_mode))
		rc = wr_err(db, WR_EINVAL, "%s: not a directory", dir);
	else if (access(dir, W_OK | X_OK) != 0)
		rc = wr_err(db, WR_EPERM, "%s: %s", dir, strerror(errno));
	wr_priv_user_end();
	return rc;
}

/* An explanationURL a client may follow: http(s), printable ASCII. */
static bool url_ok(const char *u)
{
	if (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)
		return false;
	for (; *u; u++)
		if (*u <= 0x20 || *u >= 0x7f)
			return false;
	return true;
}

/* One chunk of certificates, read, then written. */
struct row {
	char id[WR_ARI_ID_MAX];
	char *serial;
};

struct ari {
	struct wr_db *db;
	const char *dir;
	wr_reject_cb reject;
	void *ctx;
	struct wr_ari_stats *st;
	sqlite3_stmt *q;
	char *body; /* every certificate's renewalInfo: one window for all */
	size_t body_len;
	struct wr_buf index; /* index.json's entries */
	struct row rows[CHUNK];
	size_t nrows;
};

static void rows_clear(struct ari *a)
{
	for (size_t i = 0; i < a->nrows; i++)
		free(a->rows[i].serial);
	a->nrows = 0;
}

/* Reads the next chunk of rows after *last: *scanned of them, fewer than
 * CHUNK at the end; those with an identifier go to a->rows. */
static int read_chunk(struct ari *a, int64_t now, int64_t *last, size_t *scanned)
{
	sqlite3_stmt *q = a->q;
	const char *why;
	int rc;

	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_int64(q, 2, *last);
	sqlite3_bind_int(q, 3, CHUNK);
	*scanned = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *serial = wr_col_text(q, 1);
		const unsigned char *der = sqlite3_column_blob(q, 2);
		struct row *r = &a->rows[a->nrows];

		*last = sqlite3_column_int64(q, 0);
		(*scanned)++;
		if (!der) {
			why = "its DER is not in the incident";
		} else if (wr_ari_id(der, (size_t)sqlite3_column_bytes(q, 2), r->id, &why) == 0) {
			if (!(r->serial = strdup(serial ? serial : ""))) {
				sqlite3_reset(q);
				return wr_err(a->db, WR_ENOMEM, "out of memory");
			}
			a->nrows++;
			continue;
		}
		if (a->st->no_aki++ < REPORT_MAX && a->reject) {
			char where[200];
			snprintf(where, sizeof where, "certificate %s", serial ? serial : "?");
			a->reject(where, why, a->ctx);
		}
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : wr_err_sq(a->db, "reading the certificates");
}

static int write_chunk(struct ari *a)
{
	char name[WR_ARI_ID_MAX + 8];
	int rc = 0;

	if (wr_priv_user_begin())
		return wr_err(a->db, WR_EPERM,
			      "%s: cannot drop warroom's group rights to write there", a->dir);
	for (size_t i = 0; i < a->nrows && !rc; i++) {
		snprintf(name, sizeof name, "%s.json", a->rows[i].id);
		rc = put_file(a->db, a->dir, name, a->body, a->body_len);
		if (!rc)
			a->st->written++;
	}
	wr_priv_user_end();
	/* index.json's entries: the serial is the database's text, so JSON
	 * says it, whatever it holds; the identifier is base64url. */
	for (size_t i = 0; i < a->nrows && !rc; i++) {
		json_t *s = json_string(a->rows[i].serial);
		char *js = s ? json_dumps(s, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : NULL;
		bool ok = js && wr_buf_put(&a->index, a->index.len ? ",\n\"" : "\n\"",
					   a->index.len ? 3 : 2) &&
			  wr_buf_put(&a->index, a->rows[i].id, strlen(a->rows[i].id)) &&
			  wr_buf_put(&a->index, "\":", 2) && wr_buf_put(&a->index, js, strlen(js));
		json_decref(s);
		free(js);
		if (!ok)
			rc = wr_err(a->db, WR_ENOMEM, "out of memory");
	}
	return rc;
}

/* The renewalInfo every file holds, and the head of index.json. */
static int make_body(struct ari *a, const char *url, char **head)
{
	char t1[WR_TIME_BUFSZ], t2[WR_TIME_BUFSZ], t3[WR_TIME_BUFSZ];
	json_t *ri = json_pack("{s:{s:s, s:s}}", "suggestedWindow", "start",
			       wr_time_format(a->st->start, t1), "end",
			       wr_time_format(a->st->end, t2));
	json_t *ix = json_pack("{s:s, s:s, s:s}", "deadline", wr_time_format(a->st->deadline, t3),
			       "start", t1, "end", t2);

	if (ri && url)
		json_object_set_new(ri, "explanationURL", json_string(url));
	if (ix && url)
		json_object_set_new(ix, "explanationURL", json_string(url));
	a->body = ri ? json_dumps(ri, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	*head = ix ? json_dumps(ix, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(ri);
	json_decref(ix);
	if (!a->body || !*head)
		return wr_err(a->db, WR_ENOMEM, "out of memory");
	/* A newline at the end, as a text file has. */
	size_t n = strlen(a->body);
	char *b = realloc(a->body, n + 2);
	if (!b)
		return wr_err(a->db, WR_ENOMEM, "out of memory");
	b[n] = '\n';
	b[n + 1] = '\0';
	a->body = b;
	a->body_len = n + 1;
	return 0;
}

/* index.json: {"deadline", "start", "end"[, "explanationURL"],
 * "certificates": {ID: SERIAL, ...}}. */
static int write_index(struct ari *a, const char *head)
{
	struct wr_buf b = {0};
	size_t hl = strlen(head);
	int rc;

	/* head is an object: open it again for the certificates. */
	bool ok = wr_buf_put(&b, head, hl - 1) && wr_buf_put(&b, ",\"certificates\":{", 17) &&
		  (!a->index.len || wr_buf_put(&b, a->index.p, a->index.len)) &&
		  wr_buf_put(&b, a->index.len ? "\n}}\n" : "}}\n", a->index.len ? 4 : 3);
	if (!ok) {
		wr_buf_free(&b);
		return wr_err(a->db, WR_ENOMEM, "out of memory");
	}
	if (wr_priv_user_begin()) {
		wr_buf_free(&b);
		return wr_err(a->db, WR_EPERM,
			      "%s: cannot drop warroom's group rights to write there", a->dir);
	}
	rc = put_file(a->db, a->dir, "index.json", b.p, b.len);
	wr_priv_user_end();
	wr_buf_free(&b);
	return rc;
}

int wr_ari_write(struct wr_db *db, const char *dir, wr_reject_cb reject, void *ctx,
		 struct wr_ari_stats *st)
{
	struct wr_ari_stats local;
	struct ari *a = NULL;
	struct wr_status s;
	char t1[WR_TIME_BUFSZ], t2[WR_TIME_BUFSZ], *head = NULL;
	const char *url;
	int64_t last = 0;
	size_t scanned;
	int rc;

	if (!st)
		st = &local;
	memset(st, 0, sizeof *st);
	if ((rc = wr_auth_team(db, "replacement")))
		return rc;
	if ((rc = wr_status_get(db, &s)))
		return rc;
	st->deadline = s.deadline;
	if (!s.deadline)
		return wr_err(db, WR_ESTATE,
			      "no revocation deadline yet: a renewal window ends before it"
			      " (warroom declare sets it)");
	if (wr_ari_window(s.now, s.deadline, &st->start, &st->end))
		return wr_err(db, WR_ESTATE,
			      "the revocation deadline (%s) has passed (now %s): there is no window"
			      " before it to suggest", wr_time_format(s.deadline, t1),
			      wr_time_format(s.now, t2));
	url = db->cfg ? wr_config_get(db->cfg, "notify", "info_url") : NULL;
	if (url && !url_ok(url))
		return wr_err(db, WR_EINVAL,
			      "[notify] info_url: an http:// or https:// URL of printable ASCII,"
			      " for the explanationURL clients show");
	st->explanation_url = url;
	st->revoked = s.counts.revoked;
	st->expired = s.counts.expired;
	if (!(a = calloc(1, sizeof *a)))
		return wr_err(db, WR_ENOMEM, "out of memory");
	a->db = db;
	a->dir = dir;
	a->reject = reject;
	a->ctx = ctx;
	a->st = st;
	if ((rc = dir_ready(db, dir)) || (rc = make_body(a, url, &head)))
		goto out;
	/* Neither revoked nor expired at now, by id: a chunk after another. */
	if ((rc = wr_prepare(db,
			     "SELECT c.id, c.serial, d.der FROM cert AS c LEFT JOIN cert_der AS d"
			     " ON d.cert_id = c.id WHERE c.revoked_at IS NULL AND c.not_after >= ?1"
			     " AND c.id > ?2 ORDER BY c.id LIMIT ?3",
			     &a->q)))
		goto out;
	do {
		rows_clear(a);
		if ((rc = read_chunk(a, s.now, &last, &scanned)) || (rc = write_chunk(a)))
			goto out;
	} while (scanned == CHUNK);
	if ((rc = write_index(a, head)))
		goto out;
	if ((rc = wr_tx_begin(db)))
		goto out;
	json_t *d = json_pack("{s:I, s:I, s:s, s:s, s:b}", "written", (json_int_t)st->written,
			      "no_aki", (json_int_t)st->no_aki, "start",
			      wr_time_format(st->start, t1), "end", wr_time_format(st->end, t2),
			      "explanation_url", url != NULL);
	if ((rc = wr_event_add_json(db, "ari", d))) {
		wr_tx_rollback(db);
		goto out;
	}
	rc = wr_tx_commit(db);
out:
	if (a) {
		rows_clear(a);
		sqlite3_finalize(a->q);
		free(a->body);
		wr_buf_free(&a->index);
		free(a);
	}
	free(head);
	return rc;
}
