/*
 * backend-local.c: the local test CA, for exercises and controlled test
 * environments (never for live certificates).
 *
 * [local] names the CA's certificate and key and a directory, out_dir.
 * The CA's own record of what it revoked is out_dir/localca.db, a small
 * SQLite database apart from the incident's, as a real CA's database
 * would be: revoke() writes it, one transaction per batch, and a serial
 * already there is answered "already revoked" with its first date, so a
 * batch retried after a crash changes nothing. Publication writes, each
 * through a temporary file and rename(2):
 *   - index.txt (and index.txt.attr) in OpenSSL's format, so that
 *     `openssl ocsp -index` answers for the CA;
 *   - the CRL shards and crls.txt, built by core/crl.c.
 * A publication holds out_dir/.publish.lock, reads the CA's record in one
 * snapshot, and writes index.txt on one thread while the others build
 * CRL shards (a million revocations: about a second on two cores).
 * This file reads the incident only to list the certificates the CA
 * issued; it never writes the incident and never prints.
 *
 * Several operators, one directory. The revocation team may be several
 * OS users of one group, each with umask 022, all publishing into out_dir.
 * So whatever the umask: directories made here are 02775 (group-writable,
 * and setgid so new files keep the directory's group), the lock and the
 * record (localca.db, whose mode SQLite gives its -wal and -shm) are
 * group-writable, and published files 0664. The lock is waited for at
 * most [local] lock_timeout seconds, and its file names its holder, so a
 * second operator learns who is publishing rather than hanging. Anyone
 * of the group can plant a symbolic link in out_dir: every file here is
 * opened with O_NOFOLLOW (temporary files with O_EXCL, then rename(2)),
 * and a link is refused by name. Installed setgid (core/priv.c), the
 * config's paths are used with warroom's group rights, but a directory
 * the user names (`warroom crl --out`) is written with the user's own:
 * the key and the record are loaded first, then the files are written
 * between wr_priv_user_begin and wr_priv_user_end.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "backend.h"
#include "crl.h"

#define LCA_BUSY_MS 60000
#define LOCK_TIMEOUT_DEFAULT 60 /* seconds: [local] lock_timeout */
#define LOCK_TIMEOUT_MAX 86400
#define LOCK_POLL_US 50000
/* Shared by the team: see the file's comment. */
#define DIR_MODE 02775
#define RECORD_MODE 0664
#define LOCK_MODE 0664
#define PUBLIC_MODE 0664 /* index.txt: public, and the team's to replace */
/* Room in a path for "/.index.txt.attr.XXXXXX" and the like. */
#define DIR_MAX (PATH_MAX - 64)

static const char lca_schema[] =
	"CREATE TABLE IF NOT EXISTS revoked ("
	"  serial TEXT PRIMARY KEY,"    /* upper-case hex, as the cert table */
	"  revoked_at INTEGER NOT NULL,"
	"  reason INTEGER"		/* RFC 5280 CRLReason; NULL: none */
	") WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS meta ("
	"  key TEXT PRIMARY KEY,"
	"  value INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"INSERT OR IGNORE INTO meta(key, value) VALUES ('crl_number', 0);";

struct wr_backend {
	struct wr_db *db; /* the incident: read only */
	char ca_cert[PATH_MAX], ca_key[PATH_MAX];
	char record_dir[DIR_MAX]; /* [local] out_dir: localca.db */
	char out_dir[DIR_MAX];	  /* where this publication goes */
	char *crl_url;
	int64_t shard_entries;
	int crl_days;
	int lock_timeout; /* seconds to wait for out_dir/.publish.lock */
	/* Named by the user (crl --out), not the config: written with the
	 * user's own rights (core/priv.c). The record is, too, when [local]
	 * out_dir is unset and it lives there. */
	bool user_out, user_record;
	X509 *ca;
	EVP_PKEY *key;
	char *issuer; /* the CA's name as the incident's issuer column has it */
	sqlite3 *lca;
	sqlite3_stmt *ins, *get, *upgrade;
};

/* ---- settings and the CA's files ------------------------------------------- */

static const char *cfg_where(const struct wr_config *cfg)
{
	return wr_config_path(cfg) ? wr_config_path(cfg) : "the configuration";
}

static void ossl_err(char *err, size_t errsz, const char *fmt, const char *a, const char *b)
{
	char what[PATH_MAX * 2 + 64];
	unsigned long e = ERR_peek_last_error();
	const char *why = e ? ERR_reason_error_string(e) : NULL;

	snprintf(what, sizeof what, fmt, a, b);
	snprintf(err, errsz, "%s%s%s", what, why ? ": " : "", why ? why : "");
	ERR_clear_error();
}

/* A PEM or DER certificate. */
static X509 *load_cert(const char *path, char *err, size_t errsz)
{
	BIO *b = BIO_new_file(path, "rb");
	X509 *x;

	if (!b) {
		snprintf(err, errsz, "[local] ca_cert %s: %s", path, strerror(errno));
		ERR_clear_error();
		return NULL;
	}
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	if (!x) {
		(void)BIO_reset(b);
		x = d2i_X509_bio(b, NULL);
	}
	BIO_free(b);
	if (!x)
		ossl_err(err, errsz, "[local] ca_cert %s: not a PEM or DER certificate%s", path,
			 "");
	ERR_clear_error();
	return x;
}

/* Never prompt for a passphrase: warroom runs unattended and in a console. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

static EVP_PKEY *load_key(const char *path, char *err, size_t errsz)
{
	BIO *b = BIO_new_file(path, "rb");
	EVP_PKEY *k;

	if (!b) {
		snprintf(err, errsz, "[local] ca_key %s: %s", path, strerror(errno));
		ERR_clear_error();
		return NULL;
	}
	k = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	if (!k) {
		(void)BIO_reset(b);
		k = d2i_PrivateKey_bio(b, NULL);
	}
	BIO_free(b);
	if (!k)
		ossl_err(err, errsz,
			 "[local] ca_key %s: not a PEM or DER private key (or encrypted: warroom "
			 "needs it unencrypted)%s", path, "");
	ERR_clear_error();
	return k;
}

/* A symbolic link where a file of the shared directory should be:
 * whoever can write the directory may have planted it to make us write
 * through it, so it is never followed. */
static int refuse_link(const char *path, char *err, size_t errsz)
{
	snprintf(err, errsz,
		 "%s is a symbolic link: refusing to follow it (anyone who can write its"
		 " directory could have planted it; remove it)", path);
	return WR_EPERM;
}

/* The error of an open with O_NOFOLLOW: ELOOP is the planted link. */
static int open_error(const char *path, char *err, size_t errsz)
{
	struct stat sb;

	if (errno == ELOOP && lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode))
		return refuse_link(path, err, errsz);
	snprintf(err, errsz, "%s: %s", path, strerror(errno));
	return WR_EIO;
}

/* Rights for a path the user named: theirs, never warroom's group
 * (core/priv.c). Outside the installed mode these change nothing. */
static int rights_begin(bool user, const char *dir, char *err, size_t errsz)
{
	if (user && wr_priv_user_begin() != 0) {
		snprintf(err, errsz, "%s: cannot drop warroom's group rights to write there", dir);
		return WR_EPERM;
	}
	return 0;
}

static void rights_end(bool user)
{
	if (user)
		wr_priv_user_end();
}

/* Makes dir and its missing parents, each DIR_MODE whatever the umask:
 * mkdir(2) applies the umask, so the mode is set again through a
 * descriptor of the directory just made (never a link put in its place).
 * Directories that exist keep their mode: they are the administrator's. */
static int mkdirs(const char *dir, const char *what, char *err, size_t errsz)
{
	char p[PATH_MAX];
	struct stat sb;

	if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p) {
		snprintf(err, errsz, "%s %s: path too long", what, dir);
		return WR_EINVAL;
	}
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, DIR_MODE) == 0) {
			int dfd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (dfd < 0 || fchmod(dfd, DIR_MODE) != 0) {
				snprintf(err, errsz, "%s %s: cannot make %s group-writable: %s", what,
					 dir, p, strerror(errno));
				if (dfd >= 0)
					close(dfd);
				return WR_EIO;
			}
			close(dfd);
		} else if (errno != EEXIST) {
			snprintf(err, errsz, "%s %s: cannot create %s: %s", what, dir, p,
				 strerror(errno));
			return WR_EIO;
		}
		*s = c;
		if (!c)
			break;
	}
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		snprintf(err, errsz, "%s %s: not a directory", what, dir);
		return WR_EIO;
	}
	/* With the effective ids: installed, warroom's group is what writes. */
	if (eaccess(dir, W_OK) != 0) {
		snprintf(err, errsz, "%s %s: not writable: %s", what, dir, strerror(errno));
		return WR_EIO;
	}
	return 0;
}

static bool url_ok(const char *u)
{
	/* An IA5String URI: printable ASCII, no spaces. */
	if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0 &&
	    strncmp(u, "file:", 5) != 0)
		return false;
	for (; *u; u++)
		if (*u <= ' ' || *u > '~')
			return false;
	return true;
}

static void local_close(struct wr_backend *b)
{
	if (!b)
		return;
	sqlite3_finalize(b->ins);
	sqlite3_finalize(b->get);
	sqlite3_finalize(b->upgrade);
	sqlite3_close_v2(b->lca);
	X509_free(b->ca);
	EVP_PKEY_free(b->key);
	free(b->issuer);
	free(b->crl_url);
	free(b);
}

/* Switching a new database to WAL needs it to itself, and SQLite does
 * not wait for that (no busy handler): two runs opening a new record at
 * once would see "database is locked". Wait as busy_timeout would. */
static int exec_retry(sqlite3 *db, const char *sql)
{
	int rc;

	for (int waited = 0;; waited += 5) {
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || waited >= LCA_BUSY_MS)
			return rc;
		usleep(5000);
	}
}

/* The CA's record, created here rather than by SQLite so that it is
 * group-writable whatever the umask (as core/db.c's create_file does for
 * the incident): SQLite gives the -wal and -shm files the main file's
 * mode, and every operator of the team must be able to write all three.
 * A record left private by an older warroom is opened up by its owner. */
static int record_create(const char *path, char *err, size_t errsz)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, RECORD_MODE);

	if (fd < 0 && errno != EEXIST)
		return open_error(path, err, errsz);
	if (fd < 0) {
		/* There already: O_EXCL does not follow links either, so look. */
		if (lstat(path, &sb) != 0) {
			snprintf(err, errsz, "%s: %s", path, strerror(errno));
			return WR_EIO;
		}
		if (S_ISLNK(sb.st_mode))
			return refuse_link(path, err, errsz);
		if (!S_ISREG(sb.st_mode)) {
			snprintf(err, errsz, "%s: not a regular file", path);
			return WR_EIO;
		}
		if ((sb.st_mode & S_IWGRP) || sb.st_uid != geteuid())
			return 0;
		if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			return open_error(path, err, errsz);
		(void)fchmod(fd, (sb.st_mode & 07777) | S_IRGRP | S_IWGRP);
		close(fd);
		return 0;
	}
	if (fchmod(fd, RECORD_MODE) != 0) {
		snprintf(err, errsz, "%s: cannot make it group-writable: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return WR_EIO;
	}
	close(fd);
	return 0;
}

/* The record has its tables and its CRL number. */
static bool lca_ready(sqlite3 *db)
{
	sqlite3_stmt *q = NULL;
	bool ready = sqlite3_prepare_v2(db, "SELECT 1 FROM meta WHERE key = 'crl_number' AND"
					    " EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table'"
					    " AND name = 'revoked')", -1, &q, NULL) == SQLITE_OK &&
		     sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return ready;
}

static int lca_open(struct wr_backend *b, char *err, size_t errsz)
{
	char path[PATH_MAX + 16];
	int rc;

	snprintf(path, sizeof path, "%s/localca.db", b->record_dir);
	if ((rc = record_create(path, err, errsz)))
		return rc;
	/* SQLite opens its -wal and -shm with O_NOFOLLOW, but says only
	 * "unable to open database file" of a link planted there. */
	for (int i = 0; i < 2; i++) {
		char side[sizeof path + 8];
		struct stat sb;
		snprintf(side, sizeof side, "%s%s", path, i ? "-shm" : "-wal");
		if (lstat(side, &sb) == 0 && S_ISLNK(sb.st_mode))
			return refuse_link(side, err, errsz);
	}
	/* NOFOLLOW: a link put in the record's place since is refused too
	 * (SQLite opens its -wal and -shm with O_NOFOLLOW itself). */
	if (sqlite3_open_v2(path, &b->lca,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK) {
		if (b->lca && sqlite3_extended_errcode(b->lca) == SQLITE_CANTOPEN_SYMLINK)
			return refuse_link(path, err, errsz);
		snprintf(err, errsz, "%s: %s", path, b->lca ? sqlite3_errmsg(b->lca) : "out of memory");
		return WR_EDB;
	}
	sqlite3_busy_timeout(b->lca, LCA_BUSY_MS);
	/* WAL so publication reads while another run revokes; FULL so that
	 * what revoke() answered survives a power cut: the engine records
	 * the certificate as revoked on our word. */
	if (exec_retry(b->lca, "PRAGMA journal_mode = WAL") != SQLITE_OK ||
	    sqlite3_exec(b->lca, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	/* The schema is written once, by the first run: opening a record
	 * that has it takes no write lock, so a run queues for the record
	 * only where it writes it (and waits for a publication in
	 * lock_take, where the wait has an end and names the holder). */
	if (lca_ready(b->lca))
		return 0;
	if (sqlite3_exec(b->lca, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(b->lca, lca_schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(b->lca, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
	fail:
		snprintf(err, errsz, "%s: %s", path, sqlite3_errmsg(b->lca));
		sqlite3_exec(b->lca, "ROLLBACK", NULL, NULL, NULL);
		return WR_EDB;
	}
	return 0;
}

/* Reads [local]; out_dir_override, when set, is where the files go (the
 * CA's record stays in [local] out_dir when that is set). */
static int local_open_dir(struct wr_db *db, const struct wr_config *cfg, const char *override,
			  struct wr_backend **out, char *err, size_t errsz)
{
	struct wr_backend *b = calloc(1, sizeof *b);
	const char *v;
	char buf[PATH_MAX];
	int rc;

	*out = NULL;
	if (!b)
		return WR_ENOMEM;
	b->db = db;
	if (!wr_config_file(cfg, "local", "ca_cert", b->ca_cert, sizeof b->ca_cert)) {
		snprintf(err, errsz, "[local] ca_cert is not set in %s", cfg_where(cfg));
		rc = WR_EINVAL;
		goto fail;
	}
	/* The key is a secret: refused when others than its owner and group
	 * can read it, or anyone but its owner write it or its directories. */
	if (!wr_config_get(cfg, "local", "ca_key")) {
		snprintf(err, errsz, "[local] ca_key is not set in %s", cfg_where(cfg));
		rc = WR_EINVAL;
		goto fail;
	}
	if (!wr_config_secret_file(cfg, "local", "ca_key", b->ca_key, sizeof b->ca_key, buf,
				   sizeof buf)) {
		snprintf(err, errsz, "[local] ca_key: %s", buf);
		rc = WR_EINVAL;
		goto fail;
	}
	v = wr_config_file(cfg, "local", "out_dir", buf, sizeof buf);
	if (!v && !override) {
		snprintf(err, errsz, "[local] out_dir is not set in %s", cfg_where(cfg));
		rc = WR_EINVAL;
		goto fail;
	}
	if ((size_t)snprintf(b->record_dir, sizeof b->record_dir, "%s", v ? v : override) >=
		    sizeof b->record_dir ||
	    (size_t)snprintf(b->out_dir, sizeof b->out_dir, "%s", override ? override : v) >=
		    sizeof b->out_dir) {
		snprintf(err, errsz, "[local] out_dir: path too long");
		rc = WR_EINVAL;
		goto fail;
	}
	b->user_out = override != NULL;
	b->user_record = override != NULL && !v;
	int64_t wait = wr_config_int(cfg, "local", "lock_timeout", LOCK_TIMEOUT_DEFAULT);
	if (wait < 0 || wait > LOCK_TIMEOUT_MAX) {
		snprintf(err, errsz, "[local] lock_timeout must be 0 to %d seconds, not %lld",
			 LOCK_TIMEOUT_MAX, (long long)wait);
		rc = WR_EINVAL;
		goto fail;
	}
	b->lock_timeout = (int)wait;
	b->shard_entries =
		wr_config_int(cfg, "local", "shard_entries", WR_CRL_DEFAULT_SHARD_ENTRIES);
	if (b->shard_entries < 1 || b->shard_entries > 100000000) {
		snprintf(err, errsz, "[local] shard_entries must be 1 to 100000000, not %lld",
			 (long long)b->shard_entries);
		rc = WR_EINVAL;
		goto fail;
	}
	int64_t days = wr_config_int(cfg, "local", "crl_days", WR_CRL_DEFAULT_DAYS);
	if (days < 1 || days > WR_CRL_MAX_DAYS) {
		snprintf(err, errsz,
			 "[local] crl_days must be 1 to %d (BR 4.9.7: nextUpdate at most 10 days"
			 " after thisUpdate), not %lld", WR_CRL_MAX_DAYS, (long long)days);
		rc = WR_EINVAL;
		goto fail;
	}
	b->crl_days = (int)days;
	if ((v = wr_config_get(cfg, "local", "crl_url"))) {
		if (!url_ok(v)) {
			snprintf(err, errsz, "[local] crl_url must be an http(s) URL of printable "
					     "ASCII without spaces");
			rc = WR_EINVAL;
			goto fail;
		}
		if (!(b->crl_url = strdup(v))) {
			rc = WR_ENOMEM;
			goto fail;
		}
	}
	if (!(b->ca = load_cert(b->ca_cert, err, errsz)) ||
	    !(b->key = load_key(b->ca_key, err, errsz))) {
		rc = WR_EINVAL;
		goto fail;
	}
	/* SHA-256 signatures (BR 7.1.3.2): RSA PKCS#1 v1.5 or ECDSA. */
	if (!EVP_PKEY_is_a(b->key, "RSA") && !EVP_PKEY_is_a(b->key, "EC")) {
		snprintf(err, errsz, "[local] ca_key %s: the local CA signs with RSA or EC keys, not %s",
			 b->ca_key, EVP_PKEY_get0_type_name(b->key));
		rc = WR_EINVAL;
		goto fail;
	}
	if (X509_check_private_key(b->ca, b->key) != 1) {
		ERR_clear_error();
		snprintf(err, errsz, "[local] ca_key %s does not match ca_cert %s", b->ca_key,
			 b->ca_cert);
		rc = WR_EINVAL;
		goto fail;
	}
	/* A CA certificate that may not sign CRLs makes CRLs nobody accepts. */
	if ((X509_get_extension_flags(b->ca) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(b->ca) & KU_CRL_SIGN)) {
		snprintf(err, errsz, "[local] ca_cert %s: its key usage does not allow cRLSign",
			 b->ca_cert);
		rc = WR_EINVAL;
		goto fail;
	}
	if (!(b->issuer = wr_name_text(X509_get_subject_name(b->ca)))) {
		rc = WR_ENOMEM;
		goto fail;
	}
	/* The record first, with the rights its directory's origin gives;
	 * an out_dir the user named is made when publishing, with theirs. */
	if ((rc = rights_begin(b->user_record, b->record_dir, err, errsz)))
		goto fail;
	if (!(rc = mkdirs(b->record_dir, b->user_record ? "output directory" : "[local] out_dir",
			  err, errsz)))
		rc = lca_open(b, err, errsz);
	rights_end(b->user_record);
	if (rc)
		goto fail;
	*out = b;
	return 0;
fail:
	local_close(b);
	return rc;
}

static int local_open(struct wr_db *db, const struct wr_config *cfg, struct wr_backend **out,
		      char *err, size_t errsz)
{
	return local_open_dir(db, cfg, NULL, out, err, errsz);
}

/* ---- revoking ----------------------------------------------------------------- */

static bool reason_allowed(int r)
{
	/* BR 7.2.2: 0 (omitted), 1, 3, 4, 5, 9; cACompromise (2) and
	 * aACompromise (10) for the CA certificates of BR 4.9.1.2. Never
	 * certificateHold (6): no suspension (BR 4.9.13). */
	return r == WR_CRL_OMIT || (r >= 0 && r <= 5) || r == 9 || r == 10;
}

static int rv_fail(struct wr_rv_item *it, const char *fmt, const char *a)
{
	it->status = WR_RV_FAILED;
	snprintf(it->error, sizeof it->error, fmt, a);
	return 0;
}

/*
 * Why the CA cannot revoke this item, into why (NULL: it can). The
 * signature decides, never the issuer's name, which anyone can copy: a
 * certificate another key signed is not this CA's, whatever it says, and
 * revoking its serial here would revoke the CA's own certificate of that
 * serial, if any. The name must match as well (a CRL of this CA covers
 * only certificates naming it), and the DER's serial must be the one
 * recorded, since the record keeps the serial alone.
 * Without a DER, or with bytes that are no certificate at all (the
 * placeholders of wr-filldb's benchmark incidents), the serial alone
 * counts, as a CA revoking by serial would: import stores only DER it
 * parsed, and whoever could change the incident's DER could as well
 * remove it.
 */
static const char *not_ours(struct wr_backend *b, const struct wr_rv_item *it,
			    const char *serial, char *why, size_t whysz)
{
	const unsigned char *p = it->der;
	struct wr_cert_info ci;
	char s[sizeof it->serial];
	X509 *x;

	if (!it->der || it->der_len == 0)
		return NULL;
	bool parsed = wr_cert_parse(it->der, it->der_len, &ci, NULL) == 0;
	x = it->der_len <= LONG_MAX ? d2i_X509(NULL, &p, (long)it->der_len) : NULL;
	if (!x || p != it->der + it->der_len) {
		X509_free(x);
		ERR_clear_error();
		if (!parsed)
			return NULL; /* a placeholder: the serial alone */
		snprintf(why, whysz, "not issued by this CA: its signature cannot be checked"
				     " (OpenSSL cannot decode the certificate; issuer %.120s)",
			 ci.issuer);
		wr_cert_info_clear(&ci);
		return why;
	}
	EVP_PKEY *pub = X509_get0_pubkey(b->ca);
	int verified = pub ? X509_verify(x, pub) : -1;
	ERR_clear_error();
	if (verified != 1)
		snprintf(why, whysz, "not issued by this CA: its signature does not verify with the"
				     " CA key (its issuer says %.120s)", parsed ? ci.issuer : "?");
	else if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(b->ca)) != 0)
		snprintf(why, whysz, "not issued by this CA: signed by its key but under another"
				     " issuer name (%.120s), which this CA's CRLs do not cover",
			 parsed ? ci.issuer : "?");
	else if (!parsed || wr_serial_normalize(ci.serial, s, sizeof s) != 0 || strcmp(s, serial))
		snprintf(why, whysz, "serial %.64s is not the serial of its certificate (%.64s)",
			 serial, parsed ? ci.serial : "?");
	else
		why = NULL;
	X509_free(x);
	wr_cert_info_clear(&ci);
	return why;
}

/* The checks that need no record: they run before the batch's
 * transaction, which then stays short (a signature per certificate). */
static void check_one(struct wr_backend *b, struct wr_rv_item *it)
{
	char serial[sizeof it->serial], why[sizeof it->error];

	it->status = WR_RV_TODO;
	it->error[0] = '\0';
	if (wr_serial_normalize(it->serial, serial, sizeof serial) != 0)
		rv_fail(it, "not a serial number: '%.64s'", it->serial);
	else if (!reason_allowed(it->crl_reason))
		rv_fail(it, "CRLReason %s is not allowed (BR 7.2.2, 4.9.13)",
			wr_crl_reason_name(it->crl_reason));
	else if (not_ours(b, it, serial, why, sizeof why))
		rv_fail(it, "%s", why);
}

/* Checking signatures is the batch's cost (about 18,000 ECDSA P-256
 * verifications a second a core): a large batch is checked on several
 * threads, each its own slice. Everything they share is read only (the
 * CA's key and name are decoded before they start). */
#define CHECK_SLICE_MIN 64
#define CHECK_THREADS_MAX 8
struct checker {
	struct wr_backend *b;
	struct wr_rv_item *items;
	size_t n;
	bool own_thread;
};

static void *check_slice(void *arg)
{
	struct checker *c = arg;

	for (size_t i = 0; i < c->n; i++)
		check_one(c->b, &c->items[i]);
	if (c->own_thread)
		OPENSSL_thread_stop(); /* its error queue */
	return NULL;
}

static void check_all(struct wr_backend *b, struct wr_rv_item *items, size_t n)
{
	struct checker c[CHECK_THREADS_MAX];
	pthread_t tid[CHECK_THREADS_MAX];
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = n / CHECK_SLICE_MIN, started = 0;

	if (nt > (size_t)(cores > 0 ? cores : 1))
		nt = (size_t)(cores > 0 ? cores : 1);
	if (nt > CHECK_THREADS_MAX)
		nt = CHECK_THREADS_MAX;
	if (nt < 2) {
		struct checker one = {b, items, n, false};
		check_slice(&one);
		return;
	}
	(void)X509_get0_pubkey(b->ca);
	(void)X509_NAME_cmp(X509_get_subject_name(b->ca), X509_get_subject_name(b->ca));
	for (size_t t = 0; t < nt; t++) {
		size_t from = n * t / nt, to = n * (t + 1) / nt;
		c[t] = (struct checker){b, items + from, to - from, t > 0};
	}
	for (size_t t = 1; t < nt; t++) {
		if (pthread_create(&tid[t], NULL, check_slice, &c[t]) != 0)
			break;
		started = t;
	}
	check_slice(&c[0]);
	for (size_t t = 1; t <= started; t++)
		pthread_join(tid[t], NULL);
	/* Slices whose thread did not start: here. */
	for (size_t t = started + 1; t < nt; t++) {
		c[t].own_thread = false;
		check_slice(&c[t]);
	}
}

/* Records a checked item. */
static int revoke_one(struct wr_backend *b, struct wr_rv_item *it, int64_t now)
{
	char serial[sizeof it->serial];
	int rc;

	if (it->status != WR_RV_TODO || wr_serial_normalize(it->serial, serial, sizeof serial))
		return 0;
	sqlite3_reset(b->ins);
	sqlite3_bind_text(b->ins, 1, serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(b->ins, 2, now);
	if (it->crl_reason == WR_CRL_OMIT)
		sqlite3_bind_null(b->ins, 3);
	else
		sqlite3_bind_int(b->ins, 3, it->crl_reason);
	if (sqlite3_step(b->ins) != SQLITE_DONE)
		return -1;
	if (sqlite3_changes(b->lca) == 1) {
		it->status = WR_RV_REVOKED;
		it->revoked_at = now;
		return 0;
	}
	/* Revoked before: the first date stands. Key compromise proven later
	 * replaces the reason (BR 4.9.1.1); nothing else does. */
	sqlite3_reset(b->get);
	sqlite3_bind_text(b->get, 1, serial, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(b->get)) != SQLITE_ROW)
		return -1;
	it->status = WR_RV_ALREADY;
	it->revoked_at = sqlite3_column_int64(b->get, 0);
	sqlite3_reset(b->get);
	if (it->crl_reason == 1) {
		sqlite3_reset(b->upgrade);
		sqlite3_bind_text(b->upgrade, 1, serial, -1, SQLITE_STATIC);
		if (sqlite3_step(b->upgrade) != SQLITE_DONE)
			return -1;
	}
	return 0;
}

static int local_revoke(struct wr_backend *b, struct wr_rv_item *items, size_t n, char *err,
			size_t errsz)
{
	int64_t now = wr_clock_now(NULL);

	if ((!b->ins &&
	     sqlite3_prepare_v2(b->lca, "INSERT OR IGNORE INTO revoked(serial, revoked_at, reason)"
					" VALUES (?, ?, ?)", -1, &b->ins, NULL) != SQLITE_OK) ||
	    (!b->get &&
	     sqlite3_prepare_v2(b->lca, "SELECT revoked_at FROM revoked WHERE serial = ?", -1,
				&b->get, NULL) != SQLITE_OK) ||
	    (!b->upgrade &&
	     sqlite3_prepare_v2(b->lca, "UPDATE revoked SET reason = 1 WHERE serial = ?"
					" AND reason IS NOT 1", -1, &b->upgrade, NULL) != SQLITE_OK)) {
		snprintf(err, errsz, "localca.db: %s", sqlite3_errmsg(b->lca));
		return WR_EDB;
	}
	check_all(b, items, n);
	/* One transaction per batch; IMMEDIATE takes the write lock at once,
	 * so two runs queue (busy_timeout) instead of failing half-way. */
	if (sqlite3_exec(b->lca, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "localca.db: %s", sqlite3_errmsg(b->lca));
		return WR_EDB;
	}
	for (size_t i = 0; i < n; i++) {
		if (revoke_one(b, &items[i], now) != 0) {
			snprintf(err, errsz, "localca.db: %s", sqlite3_errmsg(b->lca));
			sqlite3_reset(b->ins);
			sqlite3_reset(b->get);
			sqlite3_reset(b->upgrade);
			sqlite3_exec(b->lca, "ROLLBACK", NULL, NULL, NULL);
			return WR_EDB;
		}
	}
	sqlite3_reset(b->ins);
	if (sqlite3_exec(b->lca, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "localca.db: %s", sqlite3_errmsg(b->lca));
		sqlite3_exec(b->lca, "ROLLBACK", NULL, NULL, NULL);
		return WR_EDB;
	}
	return 0;
}

/* ---- index.txt -------------------------------------------------------------- */

/* Output buffered by hand: a million lines through stdio's per-call
 * locking and format parsing cost more than building them. */
struct obuf {
	char *p;
	size_t n, cap;
	int fd;
	int err; /* errno of a failed write */
};

static void ob_flush(struct obuf *o)
{
	const char *q = o->p;
	size_t n = o->n;

	while (n > 0 && !o->err) {
		ssize_t w = write(o->fd, q, n);
		if (w < 0 && errno != EINTR)
			o->err = errno;
		if (w > 0)
			q += w, n -= (size_t)w;
	}
	o->n = 0;
}

static void ob_put(struct obuf *o, const char *s, size_t n)
{
	if (o->n + n > o->cap)
		ob_flush(o);
	if (n > o->cap) {
		/* Longer than the buffer (a huge subject): straight through. */
		struct obuf direct = {(char *)s, n, n, o->fd, 0};
		ob_flush(&direct);
		o->err = o->err ? o->err : direct.err;
		return;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

static void ob_str(struct obuf *o, const char *s) { ob_put(o, s, strlen(s)); }

/* OpenSSL's index time: UTCTime text through 2049, GeneralizedTime after,
 * as a certificate carries it. The civil date comes from the day count
 * (H. Hinnant's days-to-civil), which needs neither gmtime's lock nor its
 * time zone. Returns the length written into out[16]. */
static size_t index_time(int64_t t, char out[16])
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400, sec = t - days * 86400;
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);
	int v[6] = {(int)(y % 100), (int)m, (int)d, (int)(sec / 3600), (int)(sec / 60 % 60),
		    (int)(sec % 60)};
	size_t n = 0;

	if (y < 1950 || y > 9999) /* outside X.509's times: clamp */
		y = y < 1950 ? 1950 : 9999;
	if (y >= 2050) {
		out[n++] = (char)('0' + y / 1000);
		out[n++] = (char)('0' + y / 100 % 10);
	}
	v[0] = (int)(y % 100);
	for (int i = 0; i < 6; i++) {
		out[n++] = (char)('0' + v[i] / 10);
		out[n++] = (char)('0' + v[i] % 10);
	}
	out[n++] = 'Z';
	return n;
}

/* The reasons `openssl ca` and `openssl ocsp -index` know by name. Others
 * (privilegeWithdrawn, 9, which OpenSSL 3.0 refuses; aACompromise) are
 * left out: the CRL carries them. */
static const char *index_reason(int r)
{
	switch (r) {
	case 1: return ",keyCompromise";
	case 2: return ",CACompromise";
	case 3: return ",affiliationChanged";
	case 4: return ",superseded";
	case 5: return ",cessationOfOperation";
	default: return "";
	}
}

/* RFC 2253 text ("CN=a,O=b,C=US", most significant last) to OpenSSL's
 * one-line form ("/C=US/O=b/CN=a"). Escaped commas stay in their value;
 * a tab or newline, which would break the file, cannot come from cert.c
 * (it escapes controls) but becomes '?' all the same. */
static void index_subject(struct obuf *o, const char *s, const char *serial)
{
	const char *end = s + strlen(s), *p;

	if (!*s) {
		/* As `openssl ca` does for an empty subject. */
		ob_str(o, serial);
		return;
	}
	while (end > s) {
		/* The last RDN starts after the last unescaped comma. */
		const char *start = s;
		for (p = s; p < end; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			else if (*p == ',')
				start = p + 1;
		}
		ob_put(o, "/", 1);
		const char *run = start;
		for (p = start; p < end; p++) {
			if (*p == '\\' && p + 1 < end && p[1] == ',') {
				ob_put(o, run, (size_t)(p - run));
				run = ++p; /* keep the comma, drop the backslash */
			} else if (*p == '\t' || *p == '\n' || *p == '\r') {
				ob_put(o, run, (size_t)(p - run));
				ob_put(o, "?", 1);
				run = p + 1;
			}
		}
		ob_put(o, run, (size_t)(end - run));
		end = start > s ? start - 1 : s;
	}
}

static int write_attr(const char dir[DIR_MAX], char *err, size_t errsz)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	/* The incident may hold several valid certificates with one subject
	 * (renewals): without this, `openssl ocsp -index` refuses the file. */
	static const char attr[] = "unique_subject = no\n";
	int fd;

	snprintf(path, sizeof path, "%s/index.txt.attr", dir);
	snprintf(tmp, sizeof tmp, "%s/.index.txt.attr.XXXXXX", dir);
	/* mkostemp opens with O_CREAT | O_EXCL, which never follows a link. */
	if ((fd = mkostemp(tmp, O_CLOEXEC | O_NOFOLLOW)) < 0) {
		snprintf(err, errsz, "%s: %s", tmp, strerror(errno));
		return WR_EIO;
	}
	if (write(fd, attr, sizeof attr - 1) != (ssize_t)(sizeof attr - 1) ||
	    fchmod(fd, PUBLIC_MODE) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return WR_EIO;
	}
	return 0;
}

#define INDEX_BATCH 64

/* Serials the incident holds more than once (a precertificate and its
 * certificate, say): usually none. Sorted, from the serial index alone. */
struct dups {
	char **s;
	bool *seen;
	size_t n;
};

static void dups_free(struct dups *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->s[i]);
	free(d->s);
	free(d->seen);
	memset(d, 0, sizeof *d);
}

static int dups_load(sqlite3 *inc, struct dups *d)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	memset(d, 0, sizeof *d);
	if (sqlite3_prepare_v2(inc, "SELECT serial FROM cert GROUP BY serial HAVING count(*) > 1",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (d->n == cap) {
			cap = cap ? cap * 2 : 16;
			char **s = realloc(d->s, cap * sizeof *s);
			if (!s)
				break;
			d->s = s;
		}
		if (!(d->s[d->n] = strdup(wr_col_text(st, 0) ? wr_col_text(st, 0) : "")))
			break;
		d->n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE || !(d->seen = calloc(d->n + 1, sizeof *d->seen))) {
		dups_free(d);
		return -1;
	}
	return 0;
}

/* True the second time a duplicated serial comes by. */
static bool dups_skip(struct dups *d, const char *serial)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(d->s[mid], serial);
		if (c == 0) {
			bool seen = d->seen[mid];
			d->seen[mid] = true;
			return seen;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* One line per certificate the CA issued in the incident, one per serial
 * (OpenSSL indexes the file by serial and refuses duplicates). The order
 * is the incident's: a full scan, since an ORDER BY serial would visit
 * the table through the serial index, a random read per row. */
static int write_index(struct wr_backend *b, sqlite3 *inc, const struct wr_crl_list *l,
		       struct dups *dups, int64_t now, int64_t *lines, char *err, size_t errsz)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	struct obuf o = {.cap = 1 << 20, .fd = -1};
	sqlite3_stmt *st = NULL;
	struct {
		char serial[132];
		int64_t not_after;
		size_t subject; /* offset in subj */
	} rows[INDEX_BATCH];
	const char *serials[INDEX_BATCH];
	bool found[INDEX_BATCH];
	int64_t at[INDEX_BATCH];
	int reason[INDEX_BATCH];
	struct wr_buf subj = {0}; /* the batch's subjects, end to end */
	int rc = 0;

	*lines = 0;
	if ((rc = write_attr(b->out_dir, err, errsz)))
		return rc;
	snprintf(path, sizeof path, "%s/index.txt", b->out_dir);
	snprintf(tmp, sizeof tmp, "%s/.index.txt.XXXXXX", b->out_dir);
	if (!(o.p = malloc(o.cap)) || (o.fd = mkostemp(tmp, O_CLOEXEC | O_NOFOLLOW)) < 0) {
		snprintf(err, errsz, "%s: %s", tmp, o.p ? strerror(errno) : "out of memory");
		free(o.p);
		return o.p ? WR_EIO : WR_ENOMEM;
	}
	if (sqlite3_prepare_v2(inc, "SELECT serial, not_after, subject FROM cert WHERE issuer = ?",
			       -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "reading certificates: %s", sqlite3_errmsg(inc));
		rc = WR_EDB;
		goto out;
	}
	sqlite3_bind_text(st, 1, b->issuer, -1, SQLITE_STATIC);
	/* Rows go in batches, looked up together (wr_crl_list_find_batch). */
	do {
		size_t m = 0;
		subj.len = 0;
		while (m < INDEX_BATCH && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *serial = wr_col_text(st, 0), *subject = wr_col_text(st, 2);
			/* OpenSSL's index holds no negative serial. */
			if (!serial || !*serial || serial[0] == '-' ||
			    strlen(serial) >= sizeof rows[0].serial ||
			    (dups->n && dups_skip(dups, serial)))
				continue;
			strcpy(rows[m].serial, serial);
			rows[m].not_after = sqlite3_column_int64(st, 1);
			rows[m].subject = subj.len;
			const char *sj = subject ? subject : "";
			if (!wr_buf_put(&subj, sj, strlen(sj) + 1)) { /* with its NUL */
				snprintf(err, errsz, "out of memory");
				rc = WR_ENOMEM;
				goto out;
			}
			serials[m] = rows[m].serial;
			m++;
		}
		wr_crl_list_find_batch(l, serials, m, found, at, reason);
		for (size_t i = 0; i < m; i++) {
			char t[16];
			size_t tl = index_time(rows[i].not_after, t);
			ob_put(&o, found[i] ? "R\t" : rows[i].not_after < now ? "E\t" : "V\t", 2);
			ob_put(&o, t, tl);
			ob_put(&o, "\t", 1);
			if (found[i]) {
				tl = index_time(at[i], t);
				ob_put(&o, t, tl);
				ob_str(&o, index_reason(reason[i]));
			}
			ob_put(&o, "\t", 1);
			ob_str(&o, rows[i].serial);
			ob_put(&o, "\tunknown\t", 9);
			index_subject(&o, subj.p + rows[i].subject, rows[i].serial);
			ob_put(&o, "\n", 1);
			(*lines)++;
		}
	} while (rc == SQLITE_ROW);
	if (rc != SQLITE_DONE) {
		snprintf(err, errsz, "reading certificates: %s", sqlite3_errmsg(inc));
		rc = WR_EDB;
		goto out;
	}
	rc = 0;
	ob_flush(&o);
	if (o.err || fchmod(o.fd, PUBLIC_MODE) != 0) {
		snprintf(err, errsz, "%s: %s", tmp, strerror(o.err ? o.err : errno));
		rc = WR_EIO;
	}
out:
	sqlite3_finalize(st);
	wr_buf_free(&subj);
	free(o.p);
	if (close(o.fd) != 0 && rc == 0) {
		snprintf(err, errsz, "%s: %s", tmp, strerror(errno));
		rc = WR_EIO;
	}
	if (rc == 0 && rename(tmp, path) != 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		rc = WR_EIO;
	}
	if (rc)
		unlink(tmp);
	return rc;
}

/* ---- publishing ----------------------------------------------------------------- */

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reads the revocations whose serial is in [lo, hi) (NULL: open). */
struct loader {
	sqlite3 *db;
	const char *lo, *hi;
	struct wr_crl_list *l;
	int rc;
	char err[256];
};

static void *load_range(void *arg)
{
	struct loader *ld = arg;
	sqlite3_stmt *st = NULL;
	int rc;

	ld->rc = 0;
	if (sqlite3_prepare_v2(ld->db, "SELECT serial, revoked_at, reason FROM revoked"
				       " WHERE (?1 IS NULL OR serial >= ?1)"
				       " AND (?2 IS NULL OR serial < ?2)", -1, &st, NULL) != SQLITE_OK) {
		snprintf(ld->err, sizeof ld->err, "localca.db: %s", sqlite3_errmsg(ld->db));
		ld->rc = WR_EDB;
		return NULL;
	}
	if (ld->lo)
		sqlite3_bind_text(st, 1, ld->lo, -1, SQLITE_STATIC);
	if (ld->hi)
		sqlite3_bind_text(st, 2, ld->hi, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int reason = sqlite3_column_type(st, 2) == SQLITE_NULL ? WR_CRL_OMIT
								       : sqlite3_column_int(st, 2);
		const char *serial = wr_col_text(st, 0);
		if ((ld->rc = wr_crl_list_add(ld->l, serial, sqlite3_column_int64(st, 1), reason))) {
			snprintf(ld->err, sizeof ld->err, "localca.db: %s %.64s",
				 ld->rc == WR_ENOMEM ? "out of memory at" : "bad entry", serial);
			break;
		}
	}
	if (!ld->rc && rc != SQLITE_DONE) {
		snprintf(ld->err, sizeof ld->err, "localca.db: %s", sqlite3_errmsg(ld->db));
		ld->rc = WR_EDB;
	}
	sqlite3_finalize(st);
	return NULL;
}

/* The next CRL number and every revocation, read in one snapshot so that
 * they agree. Two threads read, each half of the serials on its own
 * connection: the second connection begins reading while the first holds
 * the write lock, so both see the same committed record. (Serials are
 * hex: "8" splits random ones about evenly; an uneven split costs only
 * time.) */
static int load_revocations(struct wr_backend *b, struct wr_crl_list *l, int64_t *number,
			    char *err, size_t errsz)
{
	char path[PATH_MAX + 16];
	sqlite3_stmt *st = NULL;
	sqlite3 *db2 = NULL;
	struct wr_crl_list *l2 = NULL;
	struct loader lo = {.db = b->lca, .hi = "8", .l = l}, hi = {.lo = "8"};
	pthread_t tid;
	bool threaded = false;
	int rc = WR_EDB;

	if (sqlite3_exec(b->lca, "BEGIN IMMEDIATE;"
				 "UPDATE meta SET value = value + 1 WHERE key = 'crl_number'",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(b->lca, "SELECT value FROM meta WHERE key = 'crl_number'", -1, &st,
			       NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		snprintf(err, errsz, "localca.db: %s", sqlite3_errmsg(b->lca));
		goto out;
	}
	*number = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	snprintf(path, sizeof path, "%s/localca.db", b->record_dir);
	if (sqlite3_open_v2(path, &db2,
			    SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
			    NULL) ==
		    SQLITE_OK &&
	    sqlite3_exec(db2, "BEGIN; SELECT count(*) FROM meta", NULL, NULL, NULL) == SQLITE_OK &&
	    (l2 = wr_crl_list_new(wr_crl_list_shards(l)))) {
		hi.db = db2;
		hi.l = l2;
		threaded = pthread_create(&tid, NULL, load_range, &hi) == 0;
	}
	if (!threaded)
		lo.hi = NULL; /* all of it here */
	load_range(&lo);
	if (threaded)
		pthread_join(tid, NULL);
	if (lo.rc || (threaded && hi.rc)) {
		rc = lo.rc ? lo.rc : hi.rc;
		snprintf(err, errsz, "%s", lo.rc ? lo.err : hi.err);
		goto out;
	}
	if (threaded && (rc = wr_crl_list_merge(l, l2))) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	if (sqlite3_exec(b->lca, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "localca.db: %s", sqlite3_errmsg(b->lca));
		rc = WR_EDB;
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	if (rc)
		sqlite3_exec(b->lca, "ROLLBACK", NULL, NULL, NULL);
	wr_crl_list_free(l2);
	sqlite3_close(db2);
	return rc;
}

/* index.txt is written by one of wr_crl_write's threads while the others
 * build CRL shards: the two need the same sorted list, and neither alone
 * keeps both cores busy. */
struct index_job {
	struct wr_backend *b;
	sqlite3 *inc;
	struct wr_crl_list *l;
	int64_t now;
	int64_t lines;
	double seconds;
	struct dups dups; /* found while the revocations load */
	int dups_rc;
};

static void *dups_thread(void *arg)
{
	struct index_job *ij = arg;
	ij->dups_rc = dups_load(ij->inc, &ij->dups);
	return NULL;
}

static int index_job_run(void *ctx, char *err, size_t errsz)
{
	struct index_job *ij = ctx;
	double t0 = mono();
	/* The list is ours to index: the shard builders only read entries. */
	int rc = wr_crl_list_index(ij->l);
	if (rc)
		snprintf(err, errsz, "out of memory indexing the revocations");
	else
		rc = write_index(ij->b, ij->inc, ij->l, &ij->dups, ij->now, &ij->lines, err, errsz);
	/* Done with both: their memory goes before the remaining shards,
	 * when both threads build CRLs and memory peaks. */
	wr_crl_list_unindex(ij->l);
	sqlite3_close(ij->inc);
	ij->inc = NULL;
	ij->seconds = mono() - t0;
	return rc;
}

/* A connection of our own to the incident, read-only: publication only
 * reads, and may run while the caller's connection is in use. */
static int incident_open(struct wr_backend *b, sqlite3 **inc, char *err, size_t errsz)
{
	const char *path = wr_db_path(b->db);

	if (sqlite3_open_v2(path, inc,
			    SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK) {
		snprintf(err, errsz, "%s: %s", path, *inc ? sqlite3_errmsg(*inc) : "out of memory");
		sqlite3_close(*inc);
		*inc = NULL;
		return WR_EDB;
	}
	sqlite3_busy_timeout(*inc, LCA_BUSY_MS);
	return 0;
}

/* Counts the certificates the CA issued in the incident, on inc inside
 * the read transaction that index.txt will use too. */
static int count_issued(struct wr_backend *b, sqlite3 *inc, int64_t *issued, char *err,
			size_t errsz)
{
	sqlite3_stmt *q = NULL;

	if (sqlite3_exec(inc, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(inc, "SELECT count(*) FROM cert WHERE issuer = ?", -1, &q, NULL) !=
		    SQLITE_OK ||
	    sqlite3_bind_text(q, 1, b->issuer, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW) {
		snprintf(err, errsz, "counting certificates: %s", sqlite3_errmsg(inc));
		sqlite3_finalize(q);
		return WR_EDB;
	}
	*issued = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return 0;
}

/* ---- the publication lock ---------------------------------------------------- */

/* "alice (pid 1234 on host, since 2026-11-25T07:53:34Z)": who holds the
 * lock, written into it so that a second operator learns whom to ask.
 * The real user: installed, the one who ran warroom; the real clock: the
 * lock is about processes, not an exercise's time. */
static size_t holder_line(char *buf, size_t bufsz)
{
	char host[256] = "?", user[64], t[WR_TIME_BUFSZ];
	struct passwd *pw = getpwuid(getuid());

	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "?");
	host[sizeof host - 1] = '\0';
	if (pw && pw->pw_name)
		snprintf(user, sizeof user, "%s", pw->pw_name);
	else
		snprintf(user, sizeof user, "uid %ld", (long)getuid());
	int n = snprintf(buf, bufsz, "%s (pid %ld on %s, since %s)\n", user, (long)getpid(), host,
			 wr_time_format((int64_t)time(NULL), t));
	return n < 0 ? 0 : (size_t)n >= bufsz ? bufsz - 1 : (size_t)n;
}

/* The holder's line, as written; anyone of the group can write the file,
 * so it is escaped for the terminal (malloc'd, NULL when empty). */
static char *holder_read(int fd)
{
	char buf[512];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] ? wr_esc_term(buf) : NULL;
}

/*
 * Takes out_dir/.publish.lock, waiting at most [local] lock_timeout
 * seconds: flock, polled, so that the wait has an end and the message
 * names who held it. The file is group-writable whatever the umask, so
 * that every operator of the team can open it, and never a link.
 */
static int lock_take(struct wr_backend *b, int *fdp, char *err, size_t errsz)
{
	char lock[PATH_MAX], line[512];
	bool writable = true;
	struct stat sb;
	int fd;

	*fdp = -1;
	snprintf(lock, sizeof lock, "%s/.publish.lock", b->out_dir);
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, LOCK_MODE);
	if (fd < 0 && errno == EACCES) {
		/* Left private by an older warroom: flock needs no write
		 * access, only naming the holder does. */
		fd = open(lock, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		writable = false;
	}
	if (fd < 0)
		return open_error(lock, err, errsz);
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errsz, "%s: not a regular file", lock);
		close(fd);
		return WR_EIO;
	}
	/* Its creator's umask made it: set the mode (its owner can). */
	if ((sb.st_mode & 07777) != LOCK_MODE)
		(void)fchmod(fd, LOCK_MODE);
	double deadline = mono() + b->lock_timeout;
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			snprintf(err, errsz, "%s: %s", lock, strerror(errno));
			close(fd);
			return WR_EIO;
		}
		double left = deadline - mono();
		if (left <= 0) {
			char *who = holder_read(fd);
			snprintf(err, errsz, "%s is held by %s: waited %d s", lock,
				 who ? who : "another publication (which did not say whose)",
				 b->lock_timeout);
			free(who);
			close(fd);
			return WR_ERROR;
		}
		usleep(left * 1e6 < LOCK_POLL_US ? (useconds_t)(left * 1e6) + 1 : LOCK_POLL_US);
	}
	if (writable) {
		size_t n = holder_line(line, sizeof line);
		/* Advisory: a lock whose holder could not be written still
		 * locks; other processes read it from the page cache. */
		if (ftruncate(fd, 0) != 0 || pwrite(fd, line, n, 0) != (ssize_t)n)
			errno = 0;
	}
	*fdp = fd;
	return 0;
}

/* Releases the lock, and the holder's name with it. */
static void lock_drop(int fd)
{
	if (fd < 0)
		return;
	if (ftruncate(fd, 0) != 0) /* fails harmlessly on a read-only descriptor */
		errno = 0;
	close(fd);
}

/* ---- publishing, continued ------------------------------------------------------ */

/* issued > 0: CRLs only, for that many certificates, without reading the
 * incident or writing index.txt. The steps take the rights of where they
 * write: an out_dir the user named (user_out) with the user's, the
 * config's paths, the incident and the record with warroom's. */
static int publish(struct wr_backend *b, int64_t now, int64_t issued, struct wr_crl_stats *st,
		   char *err, size_t errsz)
{
	struct wr_crl_list *l = NULL;
	struct index_job ij = {.b = b, .now = now};
	bool with_index = issued <= 0, threaded = false;
	double t0 = mono();
	pthread_t tid;
	int fd = -1, rc;

	memset(st, 0, sizeof *st);
	snprintf(st->out_dir, sizeof st->out_dir, "%s", b->out_dir);
	/* One publication at a time per directory: files of two runs must
	 * not interleave, and an older run must not rename over a newer. So
	 * the lock is held from before the CRL number is taken. */
	if ((rc = rights_begin(b->user_out, b->out_dir, err, errsz)))
		return rc;
	if (!(rc = mkdirs(b->out_dir, b->user_out ? "output directory" : "[local] out_dir", err,
			  errsz)))
		rc = lock_take(b, &fd, err, errsz);
	rights_end(b->user_out);
	if (rc)
		return rc;
	/* The incident is read inside one transaction that index.txt uses
	 * too, begun here with warroom's rights: later reads on the open
	 * connection need none. */
	if (with_index && ((rc = incident_open(b, &ij.inc, err, errsz)) ||
			   (rc = count_issued(b, ij.inc, &issued, err, errsz))))
		goto out;
	st->issued = issued;
	if (!(l = ij.l = wr_crl_list_new(wr_crl_shard_count(issued, b->shard_entries)))) {
		rc = WR_ENOMEM;
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	struct wr_crl_params p = {
		.ca = b->ca,
		.key = b->key,
		.out_dir = b->out_dir,
		.crl_url = b->crl_url,
		.this_update = now,
		.next_update = now + (int64_t)b->crl_days * 86400,
		.side_job = with_index ? index_job_run : NULL,
		.side_ctx = &ij,
	};
	/* The incident's duplicate serials, on the incident's connection (the
	 * same snapshot as the count and index.txt), while the CA's record
	 * loads. */
	if (with_index && !(threaded = pthread_create(&tid, NULL, dups_thread, &ij) == 0))
		dups_thread(&ij);
	if (!(rc = rights_begin(b->user_record, b->record_dir, err, errsz))) {
		rc = load_revocations(b, l, &p.crl_number, err, errsz);
		rights_end(b->user_record);
	}
	if (threaded)
		pthread_join(tid, NULL);
	if (!rc && ij.dups_rc) {
		snprintf(err, errsz, "reading certificates: %s", sqlite3_errmsg(ij.inc));
		rc = WR_EDB;
	}
	st->load_seconds = mono() - t0;
	/* Everything is read and the key loaded: the files go out with the
	 * rights of the directory's origin. */
	if (!rc && !(rc = rights_begin(b->user_out, b->out_dir, err, errsz))) {
		rc = wr_crl_write(&p, l, st, err, errsz);
		rights_end(b->user_out);
	}
	st->index_lines = ij.lines;
	st->index_seconds = ij.seconds;
out:
	dups_free(&ij.dups);
	wr_crl_list_free(l);
	sqlite3_close(ij.inc); /* NULL when the index job closed it */
	lock_drop(fd);
	st->seconds = mono() - t0;
	return rc;
}

static int local_publish(struct wr_backend *b, int64_t now, char *err, size_t errsz)
{
	struct wr_crl_stats st;
	return publish(b, now, 0, &st, err, errsz);
}

int wr_crl_publish(struct wr_db *db, const struct wr_config *cfg, const char *out_dir_override,
		   int64_t now, struct wr_crl_stats *st)
{
	struct wr_backend *b;
	char err[1024] = "";
	int rc;

	memset(st, 0, sizeof *st);
	if ((rc = local_open_dir(db, cfg, out_dir_override, &b, err, sizeof err)))
		return wr_err(db, rc, "%s", err[0] ? err : wr_strerror(rc));
	rc = publish(b, now, 0, st, err, sizeof err);
	local_close(b);
	if (rc)
		return wr_err(db, rc, "%s", err[0] ? err : wr_strerror(rc));
	return 0;
}

int wr_crl_publish_crls(const struct wr_config *cfg, const char *out_dir_override,
			int64_t issued, int64_t now, struct wr_crl_stats *st, char *err,
			size_t errsz)
{
	struct wr_backend *b;
	int rc;

	memset(st, 0, sizeof *st);
	if (issued < 1) {
		snprintf(err, errsz, "issued must be at least 1");
		return WR_EINVAL;
	}
	if ((rc = local_open_dir(NULL, cfg, out_dir_override, &b, err, errsz)))
		return rc;
	rc = publish(b, now, issued, st, err, errsz);
	local_close(b);
	return rc;
}

const struct wr_backend_class wr_backend_local = {
	.name = "local",
	.open = local_open,
	.revoke = local_revoke,
	.publish = local_publish,
	.close = local_close,
};
