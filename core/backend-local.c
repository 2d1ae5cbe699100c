/*
 * backend-local.c: the local test CA, for exercises and controlled test
 * environments (never for live certificates).
 *
 * [local] names the CA's certificate and key and a directory, out_dir.
 * The CA's own record is out_dir/localca.db, a small SQLite database
 * apart from the incident's, as a real CA's database would be. It is the
 * CA's, not an incident's: several incidents (several databases) on one
 * CA and out_dir add to it, and every publication writes all it holds.
 *   - revoked: what the CA revoked, in order of arrival, and for some
 *     entries the CRL each stays on. revoke() appends to it, one
 *     transaction per batch, and a serial already there is answered
 *     "already revoked" with its first date, so a batch retried after a
 *     crash changes nothing. The serials are found through an index in
 *     memory (core/rvset.c) of the record as the run found it, what
 *     other processes add, and of the run's own only the serials the
 *     incident holds twice (dups_load): memory follows the record, not
 *     the run.
 *   - issued: the certificates the CA has seen in the incidents that
 *     published (serial, expiry, subject), for index.txt; source: up to
 *     which certificate each incident was read.
 *   - meta: the CRL number, and the shard count, fixed at the first
 *     publication.
 * Publication writes, each through a temporary file and rename(2):
 *   - index.txt (and index.txt.attr) in OpenSSL's format, so that
 *     `openssl ocsp -index` answers for the CA;
 *   - the CRL shards, the ARL and crls.txt, built by core/crl.c.
 * A publication holds out_dir/.publish.lock, reads the CA's record in one
 * snapshot, and writes index.txt on one thread while the others build
 * CRL shards (a million revocations: about a second on two cores). Past
 * [local] spill_above revocations it spills: the revocations and the
 * certificates for index.txt go to temporary files by shard, and the
 * thread that builds a shard writes that shard's index lines, so memory
 * no longer grows with the count (struct ispill).
 * This file reads the incident only to learn the certificates the CA
 * issued; it never writes the incident and never prints.
 *
 * A certificate's shard never moves. Its CRL Distribution Point names
 * one shard's URL for its whole life, and a relying party that finds the
 * serial missing there takes it for unrevoked (`openssl verify
 * -crl_check` passes it). So the shard count is the CA's, recorded at
 * its first publication ([local] shards, else derived once from
 * shard_entries and the certificates seen), a serial's shard is serial
 * mod that count, as Let's Encrypt does, and a config asking for another
 * count is refused until `warroom crl --reshard`, which pins every entry
 * already in the record to the shard it was published on before new
 * revocations take the new count. A revocation whose certificate names a
 * shard of crl_url in its CRL Distribution Point is pinned to that shard
 * from the start; one of a CA certificate goes on the ARL (BR 4.9.1.2:
 * the shards cover end-entity certificates only).
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
#include <sys/resource.h>
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
/* [local] spill_above: a publication of more revocations reads them
 * through temporary files, a shard at a time (wr_crl_list_spill). */
#define SPILL_ABOVE_DEFAULT 500000
/* Shared by the team: see the file's comment. */
#define DIR_MODE 02775
#define RECORD_MODE 0664
#define LOCK_MODE 0664
#define PUBLIC_MODE 0664 /* index.txt: public, and the team's to replace */
/* Room in a path for "/.index.txt.attr.XXXXXX" and the like. */
#define DIR_MAX (PATH_MAX - 64)

/* The first warroom's record had no user_version: version 1. */
static const char lca_schema_v1[] =
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
/* Version 2: the CRL an entry stays on, the certificates the CA has seen
 * (every incident's), and the shard count (meta 'shards', set at the
 * first publication). An older warroom still revokes into it: its rows
 * have no shard, as a new one's often do not. */
#define LCA_VERSION 3
static const char lca_schema_v2[] =
	/* NULL: serial mod the CA's shard count; 0..: that shard; -1: the ARL. */
	"ALTER TABLE revoked ADD COLUMN shard INTEGER;"
	"CREATE TABLE issued ("
	"  serial TEXT PRIMARY KEY,"
	"  not_after INTEGER NOT NULL,"
	"  subject TEXT NOT NULL"	/* RFC 2253, as the cert table */
	") WITHOUT ROWID;"
	"CREATE TABLE source ("
	"  incident TEXT PRIMARY KEY,"	/* its database's real path */
	"  created INTEGER NOT NULL,"	/* its incident row's: another file there resets */
	"  last_cert INTEGER NOT NULL"	/* the highest cert id read */
	") WITHOUT ROWID;"
	"PRAGMA user_version = 2;";
/* Version 3: revocations in order of arrival, found by serial in memory
 * (core/rvset.c): random serials made the B-tree keyed by them rewrite
 * most of its leaves at every batch. An older warroom still reads it and
 * revokes into it (its INSERT OR IGNORE no longer ignores, but a
 * publication lists a serial once, with its first date). */
static const char lca_schema_v3[] =
	"CREATE TABLE revoked_v3 ("
	"  id INTEGER PRIMARY KEY,"
	"  serial TEXT NOT NULL,"
	"  revoked_at INTEGER NOT NULL,"
	"  reason INTEGER,"
	"  shard INTEGER"
	");"
	"INSERT INTO revoked_v3(serial, revoked_at, reason, shard)"
	"  SELECT serial, revoked_at, reason, shard FROM revoked;"
	"DROP TABLE revoked;"
	"ALTER TABLE revoked_v3 RENAME TO revoked;"
	"PRAGMA user_version = 3;";

/* A revocation without a CRL of its own: serial mod the count. */
#define PLACE_NONE INT_MIN

struct wr_backend {
	struct wr_db *db; /* the incident: read only */
	char ca_cert[PATH_MAX], ca_key[PATH_MAX];
	char record_dir[DIR_MAX]; /* [local] out_dir: localca.db */
	char out_dir[DIR_MAX];	  /* where this publication goes */
	char *crl_url;
	char crl_file[256];   /* crl_url names one CRL: its file, else empty */
	char *shard_prefix;   /* crl_url's directory, with '/': a shard's URL is it + shard-K.crl */
	int shards_cfg;	      /* [local] shards; 0: unset */
	int shards;	      /* the record's count; 0: never published */
	bool reshard;	      /* WR_CRL_RESHARD */
	int64_t shard_entries;
	int64_t spill_above; /* [local] spill_above: more revocations go through files */
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
	sqlite3_stmt *ins, *get, *upgrade, *to_arl, *since;
	/* The record's revocations by serial, up to row seen (see rvset.c);
	 * NULL until the first batch, and after a rolled-back one. */
	struct wr_rvset *set;
	int64_t seen;
	/* The serials the incident holds more than once: of the run's own
	 * revocations, only theirs go into set (dups_load). */
	struct wr_rvset *dups;
	struct merge_bg *bg; /* the incident's certificates merged meanwhile */
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

static void merge_bg_start(struct wr_backend *b);
static void merge_bg_permit(struct wr_backend *b);
static void merge_bg_join(struct wr_backend *b, bool stop);

static void local_close(struct wr_backend *b)
{
	if (!b)
		return;
	merge_bg_join(b, true);
	sqlite3_finalize(b->ins);
	sqlite3_finalize(b->get);
	sqlite3_finalize(b->upgrade);
	sqlite3_finalize(b->to_arl);
	sqlite3_finalize(b->since);
	wr_rvset_free(b->set);
	wr_rvset_free(b->dups);
	sqlite3_close_v2(b->lca);
	X509_free(b->ca);
	EVP_PKEY_free(b->key);
	free(b->issuer);
	free(b->crl_url);
	free(b->shard_prefix);
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

static int lca_version(sqlite3 *db)
{
	sqlite3_stmt *q = NULL;
	int v = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK &&
			sqlite3_step(q) == SQLITE_ROW
		? sqlite3_column_int(q, 0)
		: -1;
	sqlite3_finalize(q);
	return v;
}

/* Brings the record to LCA_VERSION, inside the caller's write
 * transaction: another run may have done it since we looked. */
static int lca_migrate(sqlite3 *db)
{
	int v = lca_version(db);

	if (v < 0)
		return SQLITE_ERROR;
	if (v < 1 && sqlite3_exec(db, lca_schema_v1, NULL, NULL, NULL) != SQLITE_OK)
		return SQLITE_ERROR;
	if (v < 2 && sqlite3_exec(db, lca_schema_v2, NULL, NULL, NULL) != SQLITE_OK)
		return SQLITE_ERROR;
	if (v < 3 && sqlite3_exec(db, lca_schema_v3, NULL, NULL, NULL) != SQLITE_OK)
		return SQLITE_ERROR;
	return SQLITE_OK;
}

/* The shard count recorded at the first publication; 0: none yet. */
static int lca_shards(sqlite3 *db, int *shards)
{
	sqlite3_stmt *q = NULL;
	int rc;

	*shards = 0;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'shards'", -1, &q, NULL) !=
	    SQLITE_OK)
		return WR_EDB;
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		*shards = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : WR_EDB;
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
	if (lca_version(b->lca) >= LCA_VERSION)
		return 0;
	if (sqlite3_exec(b->lca, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
	    lca_migrate(b->lca) != SQLITE_OK ||
	    sqlite3_exec(b->lca, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
	fail:
		snprintf(err, errsz, "%s: %s", path, sqlite3_errmsg(b->lca));
		sqlite3_exec(b->lca, "ROLLBACK", NULL, NULL, NULL);
		return WR_EDB;
	}
	return 0;
}

/* The count the config asks for, 0 when it leaves it to the CA. */
static int shards_wanted(const struct wr_backend *b)
{
	return b->shards_cfg ? b->shards_cfg : b->crl_file[0] ? 1 : 0;
}

/* A CA that has published keeps its shard count (see the top of the
 * file): a config asking for another is refused, before anything is
 * revoked, unless a re-shard was asked for. */
static int shards_check(const struct wr_backend *b, int have, char *err, size_t errsz)
{
	int want = shards_wanted(b);

	if (!have || !want || want == have || b->reshard)
		return 0;
	if (b->shards_cfg)
		snprintf(err, errsz,
			 "[local] shards = %d, but this CA publishes its CRLs in %d shards since its"
			 " first publication (%s/localca.db): each certificate names its shard's URL,"
			 " so the count stays. Set shards = %d again, or run `warroom crl --reshard`"
			 " to take %d for new revocations (every entry already published stays on"
			 " its shard)", b->shards_cfg, have, b->record_dir, have, b->shards_cfg);
	else
		snprintf(err, errsz,
			 "[local] crl_url names one CRL (%s), but this CA publishes its CRLs in %d"
			 " shards since its first publication (%s/localca.db): each certificate"
			 " names its shard's URL, so the count stays. Name the shards' directory"
			 " again, or run `warroom crl --reshard`", b->crl_file, have, b->record_dir);
	return WR_EINVAL;
}

/* Reads [local]; out_dir_override, when set, is where the files go (the
 * CA's record stays in [local] out_dir when that is set). flags:
 * WR_CRL_RESHARD. */
static int local_open_dir(struct wr_db *db, const struct wr_config *cfg, const char *override,
			  unsigned flags, struct wr_backend **out, char *err, size_t errsz)
{
	struct wr_backend *b;
	const char *v;
	char buf[PATH_MAX];
	int rc;

	*out = NULL;
	/* An exercise's own test CA, whatever [local] says (exercise.c). */
	const struct wr_config *xc = db ? wr_exercise_local_cfg(db, cfg) : cfg;
	if (!xc && cfg)
		return WR_ENOMEM;
	cfg = xc;
	if (!(b = calloc(1, sizeof *b)))
		return WR_ENOMEM;
	b->db = db;
	b->reshard = flags & WR_CRL_RESHARD;
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
	b->spill_above = wr_config_int(cfg, "local", "spill_above", SPILL_ABOVE_DEFAULT);
	if (b->spill_above < 0) {
		snprintf(err, errsz, "[local] spill_above must be 0 or more, not %lld",
			 (long long)b->spill_above);
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
		int named = wr_crl_url_file(v, b->crl_file, sizeof b->crl_file);
		if (named < 0 || (named && strcmp(b->crl_file, WR_CRL_ARL_FILE) == 0)) {
			snprintf(err, errsz, "[local] crl_url names a CRL file warroom cannot publish"
					     " (a plain name ending in .crl, not %s)", WR_CRL_ARL_FILE);
			rc = WR_EINVAL;
			goto fail;
		}
		size_t n = strlen(v);
		if (!named && asprintf(&b->shard_prefix, "%s%s", v,
				       n && v[n - 1] == '/' ? "" : "/") < 0) {
			b->shard_prefix = NULL;
			rc = WR_ENOMEM;
			goto fail;
		}
	}
	int64_t shards = wr_config_int(cfg, "local", "shards", 0);
	if (wr_config_get(cfg, "local", "shards") &&
	    (shards < 1 || shards > WR_CRL_MAX_SHARDS)) {
		snprintf(err, errsz, "[local] shards must be 1 to %d, not %lld", WR_CRL_MAX_SHARDS,
			 (long long)shards);
		rc = WR_EINVAL;
		goto fail;
	}
	b->shards_cfg = (int)shards;
	if (b->crl_file[0] && b->shards_cfg > 1) {
		snprintf(err, errsz, "[local] crl_url names one CRL (%s), so shards must be 1, not %d",
			 b->crl_file, b->shards_cfg);
		rc = WR_EINVAL;
		goto fail;
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
			  err, errsz)) &&
	    !(rc = lca_open(b, err, errsz)) && lca_shards(b->lca, &b->shards)) {
		snprintf(err, errsz, "%s/localca.db: %s", b->record_dir, sqlite3_errmsg(b->lca));
		rc = WR_EDB;
	}
	rights_end(b->user_record);
	if (rc || (rc = shards_check(b, b->shards, err, errsz)))
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
	return local_open_dir(db, cfg, NULL, 0, out, err, errsz);
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

/* The shard a certificate's CRL Distribution Point names among crl_url's
 * (".../shard-K.crl", K as crl.c writes it), else PLACE_NONE. */
static int cdp_shard(const struct wr_backend *b, X509 *x)
{
	STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	size_t pl = strlen(b->shard_prefix);
	int place = PLACE_NONE;

	for (int i = 0; dps && place == PLACE_NONE && i < sk_DIST_POINT_num(dps); i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		if (!dp->distpoint || dp->distpoint->type != 0)
			continue;
		GENERAL_NAMES *gns = dp->distpoint->name.fullname;
		for (int g = 0; place == PLACE_NONE && g < sk_GENERAL_NAME_num(gns); g++) {
			GENERAL_NAME *gn = sk_GENERAL_NAME_value(gns, g);
			if (gn->type != GEN_URI)
				continue;
			const char *u = (const char *)ASN1_STRING_get0_data(gn->d.ia5);
			size_t n = (size_t)ASN1_STRING_length(gn->d.ia5);
			char tail[32];
			int k, used = 0;
			if (n <= pl || n - pl >= sizeof tail || memcmp(u, b->shard_prefix, pl) != 0)
				continue;
			memcpy(tail, u + pl, n - pl);
			tail[n - pl] = '\0';
			/* Exactly "shard-K.crl": digits as %d writes them. */
			if (sscanf(tail, "shard-%d.crl%n", &k, &used) == 1 && (size_t)used == n - pl &&
			    k >= 0 && k < WR_CRL_MAX_SHARDS && (tail[6] != '0' || tail[7] == '.') &&
			    tail[6] >= '0' && tail[6] <= '9')
				place = k;
		}
	}
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	ERR_clear_error();
	return place;
}

/* Which CRL a revocation goes on (see the top of the file). */
static int cert_place(const struct wr_backend *b, X509 *x)
{
	/* As OpenSSL's scope check tells them apart (EXFLAG_CA: basic
	 * constraints cA). */
	if (X509_get_extension_flags(x) & EXFLAG_CA)
		return WR_CRL_ARL;
	return b->shard_prefix ? cdp_shard(b, x) : PLACE_NONE;
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
			    const char *serial, int *place, char *why, size_t whysz)
{
	const unsigned char *p = it->der;
	struct wr_cert_info ci;
	char s[sizeof it->serial];
	X509 *x;

	*place = PLACE_NONE;
	if (!it->der || it->der_len == 0 || it->der_len > LONG_MAX)
		return NULL;
	/* An empty or foreign outer element is no certificate to either
	 * parser below: told from its header alone, without two failed
	 * decodes and their error queues (a million placeholders: 2 s). */
	const unsigned char *h = it->der;
	long clen;
	int tag, cls, hf = ASN1_get_object(&h, &clen, &tag, &cls, (long)it->der_len);
	if (hf & 0x80) {
		ERR_clear_error();
		return NULL;
	}
	if (!(hf & V_ASN1_CONSTRUCTED) || tag != V_ASN1_SEQUENCE || cls != V_ASN1_UNIVERSAL ||
	    clen == 0)
		return NULL;
	bool parsed = wr_cert_parse(it->der, it->der_len, &ci, NULL) == 0;
	x = d2i_X509(NULL, &p, (long)it->der_len);
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
	if (!why)
		*place = cert_place(b, x);
	X509_free(x);
	wr_cert_info_clear(&ci);
	return why;
}

/* The checks that need no record: they run before the batch's
 * transaction, which then stays short (a signature per certificate).
 * *place: the CRL the revocation goes on. */
static void check_one(struct wr_backend *b, struct wr_rv_item *it, int *place)
{
	char serial[sizeof it->serial], why[sizeof it->error];

	it->status = WR_RV_TODO;
	it->error[0] = '\0';
	*place = PLACE_NONE;
	if (wr_serial_normalize(it->serial, serial, sizeof serial) != 0) {
		rv_fail(it, "not a serial number: '%.64s'", it->serial);
		return;
	}
	/* Kept normalized: revoke_one takes it as it is. */
	if (strcmp(serial, it->serial) != 0)
		memcpy(it->serial, serial, strlen(serial) + 1);
	if (!reason_allowed(it->crl_reason))
		rv_fail(it, "CRLReason %s is not allowed (BR 7.2.2, 4.9.13)",
			wr_crl_reason_name(it->crl_reason));
	else if (not_ours(b, it, serial, place, why, sizeof why))
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
	int *place;
	size_t n;
	bool own_thread;
};

static void *check_slice(void *arg)
{
	struct checker *c = arg;

	for (size_t i = 0; i < c->n; i++)
		check_one(c->b, &c->items[i], &c->place[i]);
	if (c->own_thread)
		OPENSSL_thread_stop(); /* its error queue */
	return NULL;
}

static void check_all(struct wr_backend *b, struct wr_rv_item *items, int *place, size_t n)
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
		struct checker one = {b, items, place, n, false};
		check_slice(&one);
		return;
	}
	(void)X509_get0_pubkey(b->ca);
	(void)X509_NAME_cmp(X509_get_subject_name(b->ca), X509_get_subject_name(b->ca));
	for (size_t t = 0; t < nt; t++) {
		size_t from = n * t / nt, to = n * (t + 1) / nt;
		c[t] = (struct checker){b, items + from, place + from, to - from, t > 0};
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

/* The record's row of serial, 0 when it holds none: the set names the
 * candidates, the record confirms (see rvset.c). */
static int find_revoked(struct wr_backend *b, const char *serial, int64_t *id, int64_t *at)
{
	int64_t ids[8];
	size_t n = wr_rvset_find(b->set, serial, ids, 8);
	int rc;

	*id = 0;
	for (size_t i = 0; i < n && !*id; i++) {
		sqlite3_reset(b->get);
		sqlite3_bind_int64(b->get, 1, ids[i]);
		if ((rc = sqlite3_step(b->get)) == SQLITE_ROW) {
			const char *have = (const char *)sqlite3_column_text(b->get, 0);
			if (have && strcmp(have, serial) == 0) {
				*id = ids[i];
				*at = sqlite3_column_int64(b->get, 1);
			}
		} else if (rc != SQLITE_DONE) {
			sqlite3_reset(b->get);
			return -1;
		}
		sqlite3_reset(b->get);
	}
	return 0;
}

/* Brings the set up to the record's newest row, inside the batch's write
 * transaction: another run (another incident on this CA) may have
 * revoked since. The first batch reads the whole record. */
static int one_int(sqlite3 *db, const char *sql, const char *t, int64_t *v);

/*
 * Which of the run's own revocations the set must hold. One it appended
 * can come again in this run only as another certificate of the same
 * serial in the incident (a precertificate and its certificate); every
 * other revocation the set must know is in the record before the run, or
 * another process's, which catch_up reads. So the set holds those, and of
 * the run's only the serials the incident holds twice or more: it stays
 * the record's size, whatever the run's (a million: 16 MB).
 */
static int dups_load(struct wr_backend *b)
{
	sqlite3_stmt *st;
	int rc;

	if (!(b->dups = wr_rvset_new()))
		return WR_ENOMEM;
	if (!b->db)
		return 0;
	/* The serials in order (cert_serial): no sort, any issuer's. */
	if ((rc = wr_prepare(b->db, "SELECT serial FROM cert GROUP BY serial HAVING count(*) > 1",
			     &st)))
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char norm[sizeof ((struct wr_rv_item *)0)->serial];
		const char *s = (const char *)sqlite3_column_text(st, 0);
		if (s && wr_serial_normalize(s, norm, sizeof norm) == 0 &&
		    (rc = wr_rvset_add(b->dups, norm, 1)))
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rc == SQLITE_ROW ? WR_EDB : rc;
}

static int catch_up(struct wr_backend *b)
{
	int rc;

	if (!b->set) {
		int64_t have = 0;
		if (!(b->set = wr_rvset_new()))
			return WR_ENOMEM;
		b->seen = 0;
		/* The record's revocations, room made at once: a table growing
		 * holds the old one and the new. */
		if (one_int(b->lca, "SELECT coalesce(max(id), 0) FROM revoked", NULL, &have) !=
			    SQLITE_ROW ||
		    wr_rvset_reserve(b->set, (size_t)have))
			have = 0; /* it grows as it goes, then */
		if (!b->dups && (rc = dups_load(b)))
			return rc;
	}
	sqlite3_reset(b->since);
	sqlite3_bind_int64(b->since, 1, b->seen);
	while ((rc = sqlite3_step(b->since)) == SQLITE_ROW) {
		const char *serial = (const char *)sqlite3_column_text(b->since, 1);
		b->seen = sqlite3_column_int64(b->since, 0);
		if (serial && (rc = wr_rvset_add(b->set, serial, b->seen))) {
			sqlite3_reset(b->since);
			return rc;
		}
	}
	sqlite3_reset(b->since);
	return rc == SQLITE_DONE ? 0 : WR_EDB;
}

/* Records a checked item, on the CRL place says; check_one normalized
 * its serial. */
static int revoke_one(struct wr_backend *b, struct wr_rv_item *it, int place, int64_t now)
{
	const char *serial = it->serial;
	int64_t id = 0, at = 0;

	if (it->status != WR_RV_TODO)
		return 0;
	if (find_revoked(b, serial, &id, &at))
		return -1;
	if (!id) {
		sqlite3_reset(b->ins);
		sqlite3_bind_text(b->ins, 1, serial, -1, SQLITE_STATIC);
		sqlite3_bind_int64(b->ins, 2, now);
		if (it->crl_reason == WR_CRL_OMIT)
			sqlite3_bind_null(b->ins, 3);
		else
			sqlite3_bind_int(b->ins, 3, it->crl_reason);
		if (place == PLACE_NONE)
			sqlite3_bind_null(b->ins, 4);
		else
			sqlite3_bind_int(b->ins, 4, place);
		if (sqlite3_step(b->ins) != SQLITE_DONE)
			return -1;
		sqlite3_reset(b->ins);
		b->seen = sqlite3_last_insert_rowid(b->lca);
		int64_t one;
		if ((!b->dups || wr_rvset_find(b->dups, serial, &one, 1)) &&
		    wr_rvset_add(b->set, serial, b->seen))
			return -1;
		it->status = WR_RV_REVOKED;
		it->revoked_at = now;
		return 0;
	}
	/* Revoked before: the first date stands. Key compromise proven later
	 * replaces the reason (BR 4.9.1.1); nothing else does. */
	it->status = WR_RV_ALREADY;
	it->revoked_at = at;
	if (it->crl_reason == 1) {
		sqlite3_reset(b->upgrade);
		sqlite3_bind_int64(b->upgrade, 1, id);
		if (sqlite3_step(b->upgrade) != SQLITE_DONE)
			return -1;
		sqlite3_reset(b->upgrade);
	}
	/* A CA certificate revoked before the ARL existed sat on a shard,
	 * whose scope does not cover it: it moves to the ARL. */
	if (place == WR_CRL_ARL) {
		sqlite3_reset(b->to_arl);
		sqlite3_bind_int64(b->to_arl, 1, id);
		if (sqlite3_step(b->to_arl) != SQLITE_DONE)
			return -1;
		sqlite3_reset(b->to_arl);
	}
	return 0;
}

static void revoke_reset(struct wr_backend *b)
{
	sqlite3_reset(b->ins);
	sqlite3_reset(b->get);
	sqlite3_reset(b->upgrade);
	sqlite3_reset(b->to_arl);
	sqlite3_reset(b->since);
}

static int local_revoke(struct wr_backend *b, struct wr_rv_item *items, size_t n, char *err,
			size_t errsz)
{
	int64_t now = wr_clock_now(NULL);
	int *place, rc;

	if ((!b->ins &&
	     sqlite3_prepare_v2(b->lca, "INSERT INTO revoked(serial, revoked_at, reason, shard)"
					" VALUES (?, ?, ?, ?)", -1, &b->ins, NULL) != SQLITE_OK) ||
	    (!b->to_arl &&
	     sqlite3_prepare_v2(b->lca, "UPDATE revoked SET shard = -1 WHERE id = ?"
					" AND shard IS NOT -1", -1, &b->to_arl, NULL) != SQLITE_OK) ||
	    (!b->get &&
	     sqlite3_prepare_v2(b->lca, "SELECT serial, revoked_at FROM revoked WHERE id = ?", -1,
				&b->get, NULL) != SQLITE_OK) ||
	    (!b->upgrade &&
	     sqlite3_prepare_v2(b->lca, "UPDATE revoked SET reason = 1 WHERE id = ?"
					" AND reason IS NOT 1", -1, &b->upgrade, NULL) != SQLITE_OK) ||
	    (!b->since &&
	     sqlite3_prepare_v2(b->lca, "SELECT id, serial FROM revoked WHERE id > ? ORDER BY id",
				-1, &b->since, NULL) != SQLITE_OK)) {
		snprintf(err, errsz, "localca.db: %s", sqlite3_errmsg(b->lca));
		return WR_EDB;
	}
	if (!(place = malloc((n ? n : 1) * sizeof *place))) {
		snprintf(err, errsz, "out of memory");
		return WR_ENOMEM;
	}
	merge_bg_start(b);
	check_all(b, items, place, n);
	/* One transaction per batch; IMMEDIATE takes the write lock at once,
	 * so two runs queue (busy_timeout) instead of failing half-way. */
	if (sqlite3_exec(b->lca, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "localca.db: %s", sqlite3_errmsg(b->lca));
		free(place);
		return WR_EDB;
	}
	if ((rc = catch_up(b))) {
		snprintf(err, errsz, "localca.db: %s",
			 rc == WR_ENOMEM ? "out of memory" : sqlite3_errmsg(b->lca));
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		if (revoke_one(b, &items[i], place[i], now) != 0) {
			snprintf(err, errsz, "localca.db: %s", sqlite3_errmsg(b->lca));
			rc = WR_EDB;
			goto fail;
		}
	}
	free(place);
	if (sqlite3_exec(b->lca, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "localca.db: %s", sqlite3_errmsg(b->lca));
		place = NULL;
		rc = WR_EDB;
		goto fail;
	}
	merge_bg_permit(b);
	return 0;
fail:
	free(place);
	revoke_reset(b);
	sqlite3_exec(b->lca, "ROLLBACK", NULL, NULL, NULL);
	/* The set may hold rows the rollback took back: read it again. */
	wr_rvset_free(b->set);
	b->set = NULL;
	return rc;
}

/* ---- index.txt -------------------------------------------------------------- */

/* Output buffered by hand: a million lines through stdio's per-call
 * locking and format parsing cost more than building them. */
struct obuf {
	char *p;
	size_t n, cap;
	int fd;
	int err; /* errno of a failed write */
	/* Threads writing one file (a spilled publication's index.txt): each
	 * flush takes the next *pos bytes of it, under mu. The buffer grows
	 * rather than flush in the middle of a line: the writer flushes
	 * between lines (OB_SHARED_FLUSH). */
	pthread_mutex_t *mu;
	off_t *pos;
	/* index_line: the last revocation time, formatted (a batch's
	 * revocations share one second). */
	bool have_at;
	int64_t at;
	char at_text[16];
	size_t at_len;
};

static void ob_flush(struct obuf *o)
{
	const char *q = o->p;
	size_t n = o->n;
	off_t at = 0;

	if (o->mu && n) {
		pthread_mutex_lock(o->mu);
		at = *o->pos;
		*o->pos += (off_t)n;
		pthread_mutex_unlock(o->mu);
	}
	while (n > 0 && !o->err) {
		ssize_t w = o->mu ? pwrite(o->fd, q, n, at) : write(o->fd, q, n);
		if (w < 0 && errno != EINTR)
			o->err = errno;
		if (w > 0)
			q += w, n -= (size_t)w, at += w;
	}
	o->n = 0;
}

#define OB_SHARED_FLUSH (256 << 10)

static void ob_put(struct obuf *o, const char *s, size_t n)
{
	if (o->mu && o->n + n > o->cap) {
		size_t cap = o->cap * 2 > o->n + n ? o->cap * 2 : o->n + n;
		char *p = o->err ? NULL : realloc(o->p, cap);
		if (!p) {
			o->err = o->err ? o->err : ENOMEM;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	if (o->n + n > o->cap)
		ob_flush(o);
	if (n > o->cap) {
		/* Longer than the buffer (a huge subject): straight through. */
		struct obuf direct = *o;
		direct.p = (char *)s;
		direct.n = direct.cap = n;
		direct.err = 0;
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

/* One line of index.txt. */
static void index_line(struct obuf *o, const char *serial, int64_t not_after, const char *subject,
		       bool revoked, int64_t at, int reason)
{
	char t[16];
	size_t tl = index_time(not_after, t);

	ob_put(o, revoked ? "R\t" : "V\t", 2);
	ob_put(o, t, tl);
	ob_put(o, "\t", 1);
	if (revoked) {
		if (!o->have_at || o->at != at) {
			o->at_len = index_time(at, o->at_text);
			o->at = at;
			o->have_at = true;
		}
		ob_put(o, o->at_text, o->at_len);
		ob_str(o, index_reason(reason));
	}
	ob_put(o, "\t", 1);
	ob_str(o, serial);
	ob_put(o, "\tunknown\t", 9);
	index_subject(o, subject, serial);
	ob_put(o, "\n", 1);
}

/* What the index holds of a serial: OpenSSL's index has no negative one,
 * and rows[].serial has room for 131 digits. */
#define INDEX_SERIAL_MAX 132
static bool index_serial_ok(const char *serial)
{
	return serial && *serial && serial[0] != '-' && strlen(serial) < INDEX_SERIAL_MAX;
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

/*
 * One line per certificate the CA has seen (the record's issued table,
 * every incident's), in serial order, one per serial (OpenSSL indexes the
 * file by serial and refuses duplicates): R for a revocation of the
 * record, else V, also after expiry. `openssl ocsp -index` answers
 * "good" for V and "revoked" for R whatever the expiry column says, but
 * for E (expired) it adds no status at all, and the client reports "No
 * Status found" (OpenSSL 3.0's apps/ocsp.c): an expired, unrevoked
 * certificate gets a definite answer only as V. The expiry column keeps
 * the certificate's notAfter.
 */
static int write_index(struct wr_backend *b, sqlite3 *rec, const struct wr_crl_list *l,
		       int64_t *lines, char *err, size_t errsz)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	struct obuf o = {.cap = 1 << 20, .fd = -1};
	sqlite3_stmt *st = NULL;
	struct {
		char serial[INDEX_SERIAL_MAX];
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
	if (sqlite3_prepare_v2(rec, "SELECT serial, not_after, subject FROM issued", -1, &st,
			       NULL) != SQLITE_OK) {
		snprintf(err, errsz, "localca.db: %s", sqlite3_errmsg(rec));
		rc = WR_EDB;
		goto out;
	}
	/* Rows go in batches, looked up together (wr_crl_list_find_batch). */
	do {
		size_t m = 0;
		subj.len = 0;
		while (m < INDEX_BATCH && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *serial = wr_col_text(st, 0), *subject = wr_col_text(st, 2);
			if (!index_serial_ok(serial))
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
		for (size_t i = 0; i < m; i++)
			index_line(&o, rows[i].serial, rows[i].not_after, subj.p + rows[i].subject,
				   found[i], at[i], reason[i]);
		*lines += (int64_t)m;
	} while (rc == SQLITE_ROW);
	if (rc != SQLITE_DONE) {
		snprintf(err, errsz, "localca.db: %s", sqlite3_errmsg(rec));
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

/* The first column of a single-row query on db, with an optional text
 * bound (NULL: none). SQLITE_ROW, SQLITE_DONE or an error. */
static int one_int(sqlite3 *db, const char *sql, const char *t, int64_t *v)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL)) != SQLITE_OK)
		return rc;
	if (t)
		sqlite3_bind_text(q, 1, t, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		*v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return rc;
}

/* Reads the revocations whose row is in (lo, hi]. */
struct loader {
	sqlite3 *db;
	int64_t lo, hi;
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
	if (sqlite3_prepare_v2(ld->db, "SELECT serial, revoked_at, reason, shard FROM revoked"
				       " WHERE id > ?1 AND id <= ?2", -1, &st, NULL) != SQLITE_OK) {
		snprintf(ld->err, sizeof ld->err, "localca.db: %s", sqlite3_errmsg(ld->db));
		ld->rc = WR_EDB;
		return NULL;
	}
	sqlite3_bind_int64(st, 1, ld->lo);
	sqlite3_bind_int64(st, 2, ld->hi);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int reason = sqlite3_column_type(st, 2) == SQLITE_NULL ? WR_CRL_OMIT
								       : sqlite3_column_int(st, 2);
		const char *serial = wr_col_text(st, 0);
		int64_t at = sqlite3_column_int64(st, 1);
		/* Kept on its CRL, or serial mod the count. */
		if ((ld->rc = sqlite3_column_type(st, 3) == SQLITE_NULL
				      ? wr_crl_list_add(ld->l, serial, at, reason)
				      : wr_crl_list_add_to(ld->l, serial, at, reason,
							   sqlite3_column_int(st, 3)))) {
			if (ld->rc == WR_EIO)
				snprintf(ld->err, sizeof ld->err, "a temporary file: %s",
					 strerror(errno));
			else
				snprintf(ld->err, sizeof ld->err, "localca.db: %s %.64s",
					 ld->rc == WR_ENOMEM ? "out of memory at" : "bad entry",
					 serial);
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
 * they agree. Two threads read, each half of the rows on its own
 * connection: the second connection begins reading while the first holds
 * the write lock, so both see the same committed record. The lower rows
 * are listed first, so that of a serial listed twice (an older warroom's
 * INSERT OR IGNORE into a version-3 record) the first date stays. */
static int load_revocations(struct wr_backend *b, struct wr_crl_list *l, int nshards,
			    int64_t *number, char *err, size_t errsz)
{
	char path[PATH_MAX + 16];
	sqlite3_stmt *st = NULL;
	sqlite3 *db2 = NULL;
	struct wr_crl_list *l2 = NULL;
	struct loader lo = {.db = b->lca, .l = l}, hi = {0};
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
	if (one_int(b->lca, "SELECT coalesce(max(id), 0) FROM revoked", NULL, &hi.hi) !=
	    SQLITE_ROW) {
		snprintf(err, errsz, "localca.db: %s", sqlite3_errmsg(b->lca));
		goto out;
	}
	lo.hi = hi.lo = hi.hi / 2;
	snprintf(path, sizeof path, "%s/localca.db", b->record_dir);
	if (sqlite3_open_v2(path, &db2,
			    SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
			    NULL) ==
		    SQLITE_OK &&
	    sqlite3_exec(db2, "BEGIN; SELECT count(*) FROM meta", NULL, NULL, NULL) == SQLITE_OK &&
	    (l2 = wr_crl_list_new(nshards)) &&
	    (!wr_crl_list_spilled(l) || wr_crl_list_spill(l2, b->record_dir) == 0)) {
		hi.db = db2;
		hi.l = l2;
		threaded = pthread_create(&tid, NULL, load_range, &hi) == 0;
	}
	if (!threaded)
		lo.hi = hi.hi; /* all of it here */
	load_range(&lo);
	if (threaded)
		pthread_join(tid, NULL);
	if (lo.rc || (threaded && hi.rc)) {
		rc = lo.rc ? lo.rc : hi.rc;
		snprintf(err, errsz, "%s", lo.rc ? lo.err : hi.err);
		goto out;
	}
	if (threaded && (rc = wr_crl_list_merge(l, l2))) {
		snprintf(err, errsz, "%s",
			 rc == WR_EIO ? "writing a temporary file" : "out of memory");
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
	sqlite3 *rec;		 /* the record, read-only, in a snapshot */
	struct wr_crl_list *l;
	int64_t lines;
	double seconds;
};

static int index_job_run(void *ctx, char *err, size_t errsz)
{
	struct index_job *ij = ctx;
	double t0 = mono();
	/* The list is ours to index: the shard builders only read entries. */
	int rc = wr_crl_list_index(ij->l);
	if (rc)
		snprintf(err, errsz, "out of memory indexing the revocations");
	else
		rc = write_index(ij->b, ij->rec, ij->l, &ij->lines, err, errsz);
	/* Done with both: their memory goes before the remaining shards,
	 * when both threads build CRLs and memory peaks. */
	wr_crl_list_unindex(ij->l);
	sqlite3_close(ij->rec);
	ij->rec = NULL;
	ij->seconds = mono() - t0;
	return rc;
}

/*
 * index.txt of a spilled publication (wr_crl_list_spill). The record's
 * certificates are sorted first into one temporary file per shard (serial
 * mod the count; a serial that is not hex goes with shard 0), on a thread
 * of its own while the revocations are read. Then the thread that builds
 * shard K writes the lines of file K while K's entries are in memory
 * (wr_crl_params.shard_job). So index.txt comes grouped by shard rather
 * than in serial order, which OpenSSL does not need: it reads the whole
 * file into a table by serial. A file's record: the serial's length (one
 * byte), the serial and a NUL, notAfter (8 bytes), the subject's length
 * (4 bytes), the subject and a NUL.
 */
struct ispill {
	struct wr_backend *b;
	sqlite3 *rec; /* read only, in its snapshot */
	int mod;
	struct obuf *bk; /* one a shard */
	int rc;
	char err[PATH_MAX + 64];
	double seconds; /* the sorting pass */
	/* index.txt, written by the shard jobs at offsets taken under mu */
	int out;
	char tmp[PATH_MAX];
	off_t pos;
	pthread_mutex_t mu;
	int64_t lines;
	int done;	/* shards whose lines are in */
	bool committed; /* index.txt renamed into place */
};
#define ISPILL_CHUNK (256 << 10)

static void *ispill_run(void *arg)
{
	struct ispill *is = arg;
	double t0 = mono();
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_DONE;

	if (sqlite3_prepare_v2(is->rec, "SELECT serial, not_after, subject FROM issued", -1, &st,
			       NULL) != SQLITE_OK) {
		snprintf(is->err, sizeof is->err, "localca.db: %s", sqlite3_errmsg(is->rec));
		is->rc = WR_EDB;
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *serial = wr_col_text(st, 0), *subject = wr_col_text(st, 2);
		if (!index_serial_ok(serial))
			continue;
		int k = wr_crl_shard_of(serial, is->mod);
		struct obuf *o = &is->bk[k < 0 ? 0 : k];
		unsigned char sl = (unsigned char)strlen(serial);
		int64_t na = sqlite3_column_int64(st, 1);
		const char *sj = subject ? subject : "";
		uint32_t jl = (uint32_t)strlen(sj);
		ob_put(o, (const char *)&sl, 1);
		ob_put(o, serial, (size_t)sl + 1);
		ob_put(o, (const char *)&na, sizeof na);
		ob_put(o, (const char *)&jl, sizeof jl);
		ob_put(o, sj, (size_t)jl + 1);
	}
	if (rc != SQLITE_DONE) {
		snprintf(is->err, sizeof is->err, "localca.db: %s", sqlite3_errmsg(is->rec));
		is->rc = WR_EDB;
	}
	for (int k = 0; k < is->mod; k++) {
		ob_flush(&is->bk[k]);
		if (is->bk[k].err && !is->rc) {
			snprintf(is->err, sizeof is->err, "a temporary file in %s: %s",
				 is->b->record_dir, strerror(is->bk[k].err));
			is->rc = WR_EIO;
		}
	}
out:
	sqlite3_finalize(st);
	/* Done with the record: the snapshot ends here. */
	sqlite3_close(is->rec);
	is->rec = NULL;
	is->seconds = mono() - t0;
	return NULL;
}

static int ispill_commit(struct ispill *is, char *err, size_t errsz);

/* Shard k's lines of index.txt: its file of certificates, looked up in
 * the shard's entries. */
static int ispill_shard_job(void *ctx, int k, const struct wr_crl_list *l, char *err,
			    size_t errsz)
{
	struct ispill *is = ctx;
	int fd = is->bk[k].fd;
	struct obuf o = {.cap = OB_SHARED_FLUSH + 4096, .fd = is->out, .mu = &is->mu, .pos = &is->pos};
	unsigned char *buf = NULL;
	size_t have = 0, cap = ISPILL_CHUNK;
	off_t off = 0;
	const char *serials[INDEX_BATCH], *subjects[INDEX_BATCH];
	int64_t na[INDEX_BATCH], at[INDEX_BATCH], lines = 0;
	bool found[INDEX_BATCH];
	int reason[INDEX_BATCH], rc = 0;

	if (!(o.p = malloc(o.cap)) || !(buf = malloc(cap))) {
		free(o.p);
		snprintf(err, errsz, "out of memory");
		return WR_ENOMEM;
	}
	for (bool end = false; !end && !rc;) {
		ssize_t r = pread(fd, buf + have, cap - have, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errsz, "a temporary file in %s: %s", is->b->record_dir,
				 strerror(errno));
			rc = WR_EIO;
			break;
		}
		end = r == 0;
		off += r;
		have += (size_t)r;
		/* Every whole record in the buffer, INDEX_BATCH at a time. */
		size_t pos = 0, m = 0;
		for (;;) {
			size_t left = have - pos, sl = left ? buf[pos] : 0, need = 0;
			bool whole = false;
			if (left) {
				size_t head = 1 + sl + 1 + 8 + 4;
				need = head;
				if (left >= head) {
					uint32_t jl;
					memcpy(&jl, buf + pos + head - 4, 4);
					need = head + jl + 1;
					whole = left >= need;
				}
			}
			if (whole) {
				serials[m] = (const char *)buf + pos + 1;
				memcpy(&na[m], buf + pos + 1 + sl + 1, 8);
				subjects[m] = (const char *)buf + pos + 1 + sl + 1 + 8 + 4;
				m++;
				pos += need;
			}
			if (m == INDEX_BATCH || (!whole && m)) {
				wr_crl_list_find_shard(l, k, serials, m, found, at, reason);
				for (size_t i = 0; i < m; i++) {
					index_line(&o, serials[i], na[i], subjects[i], found[i], at[i],
						   reason[i]);
					if (o.n >= OB_SHARED_FLUSH) /* whole lines only */
						ob_flush(&o);
				}
				lines += (int64_t)m;
				m = 0;
			}
			if (!whole) {
				/* A record larger than the buffer: room for it. */
				if (pos == 0 && have == cap && need > cap) {
					unsigned char *nb = realloc(buf, need);
					if (!nb) {
						snprintf(err, errsz, "out of memory");
						rc = WR_ENOMEM;
					} else {
						buf = nb;
						cap = need;
					}
				}
				break;
			}
		}
		memmove(buf, buf + pos, have - pos);
		have -= pos;
		if (end && have && !rc) {
			snprintf(err, errsz, "a temporary file in %s: cut short", is->b->record_dir);
			rc = WR_EIO;
		}
	}
	ob_flush(&o);
	if (o.err && !rc) {
		snprintf(err, errsz, "%s: %s", is->tmp, strerror(o.err));
		rc = WR_EIO;
	}
	free(o.p);
	free(buf);
	pthread_mutex_lock(&is->mu);
	is->lines += lines;
	bool last = !rc && ++is->done == is->mod;
	pthread_mutex_unlock(&is->mu);
	/* The last shard's lines complete the file: it goes out now, while
	 * the other threads still build CRLs. */
	if (last)
		rc = ispill_commit(is, err, errsz);
	return rc;
}

/* The shard files' buffers, and a descriptor each: as many as the
 * lists' spill files and these need, else no spilling. */
static bool ispill_fds(int nshards)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)nshards * 3 + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return false;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
			return false;
		rl.rlim_cur = need;
		return setrlimit(RLIMIT_NOFILE, &rl) == 0;
	}
	return true;
}

static int ispill_begin(struct ispill *is, int mod, char *err, size_t errsz)
{
	size_t per = (8u << 20) / (size_t)mod;

	is->mod = mod;
	is->out = -1;
	pthread_mutex_init(&is->mu, NULL);
	if (!(is->bk = calloc((size_t)mod, sizeof *is->bk))) {
		snprintf(err, errsz, "out of memory");
		return WR_ENOMEM;
	}
	for (int k = 0; k < mod; k++)
		is->bk[k].fd = -1;
	for (int k = 0; k < mod; k++) {
		struct obuf *o = &is->bk[k];
		o->cap = per > (64u << 10) ? 64u << 10 : per < (4u << 10) ? 4u << 10 : per;
		if (!(o->p = malloc(o->cap)) || (o->fd = wr_crl_spill_open(is->b->record_dir)) < 0) {
			snprintf(err, errsz, "a temporary file in %s: %s", is->b->record_dir,
				 o->p ? strerror(errno) : "out of memory");
			return o->p ? WR_EIO : WR_ENOMEM;
		}
	}
	return 0;
}

static void ispill_end(struct ispill *is)
{
	for (int k = 0; is->bk && k < is->mod; k++) {
		free(is->bk[k].p);
		if (is->bk[k].fd >= 0)
			close(is->bk[k].fd);
	}
	free(is->bk);
	is->bk = NULL;
	sqlite3_close(is->rec);
	is->rec = NULL;
	if (is->out >= 0) {
		close(is->out);
		unlink(is->tmp);
	}
	is->out = -1;
	if (is->mod)
		pthread_mutex_destroy(&is->mu);
	is->mod = 0;
}

/* index.txt's temporary file, for the shard jobs to fill. */
static int ispill_open_out(struct ispill *is, char *err, size_t errsz)
{
	int rc;

	if ((rc = write_attr(is->b->out_dir, err, errsz)))
		return rc;
	snprintf(is->tmp, sizeof is->tmp, "%s/.index.txt.XXXXXX", is->b->out_dir);
	if ((is->out = mkostemp(is->tmp, O_CLOEXEC | O_NOFOLLOW)) < 0) {
		snprintf(err, errsz, "%s: %s", is->tmp, strerror(errno));
		return WR_EIO;
	}
	return 0;
}

static int ispill_commit(struct ispill *is, char *err, size_t errsz)
{
	char path[PATH_MAX];
	int fd = is->out;

	is->out = -1;
	is->committed = true;
	snprintf(path, sizeof path, "%s/index.txt", is->b->out_dir);
	if (fchmod(fd, PUBLIC_MODE) != 0 || close(fd) != 0 || rename(is->tmp, path) != 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		unlink(is->tmp);
		return WR_EIO;
	}
	return 0;
}

/* A read-only connection to the record, its snapshot begun now (with the
 * rights of where the record lives: later reads need none). */
static int record_reader(struct wr_backend *b, sqlite3 **rec, char *err, size_t errsz)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof path, "%s/localca.db", b->record_dir);
	if (sqlite3_open_v2(path, rec,
			    SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK ||
	    sqlite3_exec(*rec, "BEGIN; SELECT count(*) FROM meta", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "%s: %s", path, *rec ? sqlite3_errmsg(*rec) : "out of memory");
		sqlite3_close(*rec);
		*rec = NULL;
		return WR_EDB;
	}
	return 0;
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
 * the read transaction that the merge into the record will use too. */
static int count_issued(struct wr_backend *b, sqlite3 *inc, int64_t *issued, char *err,
			size_t errsz)
{
	sqlite3_stmt *q = NULL;

	/* When every certificate is the CA's (two probes of cert_issuer
	 * say), all of them are counted through the two partial indexes on
	 * revoked_at, a third of cert_issuer's size (the issuer's name in
	 * every entry). */
	if (sqlite3_exec(inc, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(inc, "SELECT CASE WHEN EXISTS (SELECT 1 FROM cert WHERE issuer < ?1)"
				    " OR EXISTS (SELECT 1 FROM cert WHERE issuer > ?1)"
				    " THEN (SELECT count(*) FROM cert WHERE issuer = ?1)"
				    " ELSE (SELECT count(*) FROM cert WHERE revoked_at IS NULL) +"
				    " (SELECT count(*) FROM cert WHERE revoked_at IS NOT NULL) END",
			       -1, &q, NULL) != SQLITE_OK ||
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

#define MERGE_CHUNK 50000 /* rows of a background merge's transaction */
struct merge_bg;
static bool merge_bg_wait(struct merge_bg *bg);

/*
 * The incident's certificates of this CA join the ones the record has
 * seen, inside the caller's write transaction on the record: index.txt
 * answers for every incident that ever published on this CA, not only
 * the one publishing now. Read from the last certificate merged on (the
 * cert table only grows), so a publication after the first costs a
 * probe. In serial order: inserted in key order, a million certificates
 * go into the record in about 2 s rather than 11 (random serials would
 * touch B-tree pages all over a file larger than the page cache). A
 * serial already there keeps its first certificate, as a
 * precertificate and its certificate share one. With bg (the merge in
 * the background, below), on lca of its own: it takes its own
 * transactions, a chunk at a time, and commits source's row last.
 */
static int merge_issued(struct wr_backend *b, sqlite3 *lca, sqlite3 *inc, struct merge_bg *bg,
			char *err, size_t errsz)
{
	char real[PATH_MAX];
	const char *key = realpath(wr_db_path(b->db), real) ? real : wr_db_path(b->db);
	sqlite3_stmt *sel = NULL, *ins = NULL;
	int64_t created = 0, seen_created = -1, from = 0, last = 0, done = 0;
	bool in_tx = !bg; /* in the background, the merge takes its own */
	int rc;

	if (one_int(inc, "SELECT created FROM incident", NULL, &created) != SQLITE_ROW)
		created = 0;
	if ((rc = sqlite3_prepare_v2(lca, "SELECT created, last_cert FROM source"
					     " WHERE incident = ?", -1, &sel, NULL)) != SQLITE_OK)
		goto fail_rec;
	sqlite3_bind_text(sel, 1, key, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		seen_created = sqlite3_column_int64(sel, 0);
		from = sqlite3_column_int64(sel, 1);
	}
	sqlite3_finalize(sel);
	sel = NULL;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto fail_rec;
	/* Another incident in that file since: read it whole. */
	if (seen_created != created)
		from = 0;
	last = from;
	if (sqlite3_prepare_v2(inc, "SELECT id, serial, not_after, subject FROM cert"
				    " WHERE issuer = ? AND id > ? ORDER BY serial, id", -1, &sel, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errsz, "reading certificates: %s", sqlite3_errmsg(inc));
		return WR_EDB;
	}
	sqlite3_bind_text(sel, 1, b->issuer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(sel, 2, from);
	if ((rc = sqlite3_prepare_v2(lca, "INSERT OR IGNORE INTO issued(serial, not_after,"
					     " subject) VALUES (?, ?, ?)", -1, &ins, NULL)) !=
	    SQLITE_OK)
		goto fail_rec;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		const char *serial = wr_col_text(sel, 1), *subject = wr_col_text(sel, 3);
		if (sqlite3_column_int64(sel, 0) > last)
			last = sqlite3_column_int64(sel, 0);
		if (!serial || !*serial)
			continue;
		if (!in_tx) {
			if (merge_bg_wait(bg)) { /* stopped: what is merged stays */
				sqlite3_finalize(sel);
				sqlite3_finalize(ins);
				return WR_ERROR;
			}
			if (sqlite3_exec(lca, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
				goto fail_rec;
			in_tx = true;
		}
		sqlite3_bind_text(ins, 1, serial, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 2, sqlite3_column_int64(sel, 2));
		sqlite3_bind_text(ins, 3, subject ? subject : "", -1, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			rc = SQLITE_ERROR;
			goto fail_rec;
		}
		sqlite3_reset(ins);
		/* In the background: the record's write lock is let go
		 * every MERGE_CHUNK rows, for the batches' revocations. */
		if (bg && ++done % MERGE_CHUNK == 0) {
			if (sqlite3_exec(lca, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
				goto fail_rec;
			in_tx = false;
		}
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errsz, "reading certificates: %s", sqlite3_errmsg(inc));
		sqlite3_finalize(sel);
		sqlite3_finalize(ins);
		return WR_EDB;
	}
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	sel = ins = NULL;
	if (last == from && seen_created == created) {
		if (bg && in_tx && sqlite3_exec(lca, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			goto fail_rec;
		return 0;
	}
	if (!in_tx && sqlite3_exec(lca, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto fail_rec;
	if ((rc = sqlite3_prepare_v2(lca, "INSERT OR REPLACE INTO source(incident, created,"
					     " last_cert) VALUES (?, ?, ?)", -1, &ins, NULL)) !=
	    SQLITE_OK)
		goto fail_rec;
	sqlite3_bind_text(ins, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 2, created);
	sqlite3_bind_int64(ins, 3, last);
	rc = sqlite3_step(ins);
	sqlite3_finalize(ins);
	ins = NULL;
	if (rc == SQLITE_DONE && (!bg || sqlite3_exec(lca, "COMMIT", NULL, NULL, NULL) == SQLITE_OK))
		return 0;
fail_rec:
	snprintf(err, errsz, "localca.db: %s", sqlite3_errmsg(lca));
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	return WR_EDB;
}

/*
 * The merge in the background. A revocation's publication first merges
 * the incident's certificates into the record (above): at a million,
 * 1.5 s on one core at the end of the run, while the other sat idle as
 * the engine recorded batch after batch. Those rows do not change
 * during a run, so the first batch starts the merge on a thread of its
 * own, with its own connections to the record and the incident (a read
 * snapshot), letting the record's write lock go every MERGE_CHUNK rows so
 * the batches' revocations pass; the publication waits for it, then
 * finds the record up to date. Merged rows are never wrong to have (a
 * serial keeps its first certificate), and source moves only at the end:
 * whatever stops or fails here is merged again by the publication.
 */
struct merge_bg {
	pthread_t tid;
	struct wr_backend *b; /* read only here: issuer, paths */
	char path[PATH_MAX + 16];
	/* A chunk goes in right after a batch's revocations are committed
	 * (permit), in the time the engine records the batch, so the two
	 * rarely wait for each other's lock; the publication lets the rest
	 * go at once (unbound), closing stops it at the next chunk. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool permit, unbound, stop;
};

/* Before each chunk: true when the merge is to stop. */
static bool merge_bg_wait(struct merge_bg *bg)
{
	bool stop;

	pthread_mutex_lock(&bg->mu);
	while (!bg->stop && !bg->unbound && !bg->permit)
		pthread_cond_wait(&bg->cv, &bg->mu);
	bg->permit = false;
	stop = bg->stop;
	pthread_mutex_unlock(&bg->mu);
	return stop;
}

/* A batch's revocations are in the record: one chunk may go. */
static void merge_bg_permit(struct wr_backend *b)
{
	if (!b->bg)
		return;
	pthread_mutex_lock(&b->bg->mu);
	b->bg->permit = true;
	pthread_cond_signal(&b->bg->cv);
	pthread_mutex_unlock(&b->bg->mu);
}

static void *merge_bg_main(void *arg)
{
	struct merge_bg *m = arg;
	sqlite3 *lca = NULL, *inc = NULL;
	char err[256];

	if (sqlite3_open_v2(m->path, &lca,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
			    NULL) == SQLITE_OK &&
	    sqlite3_busy_timeout(lca, LCA_BUSY_MS) == SQLITE_OK &&
	    /* Commits land in order: one lost to a crash takes the later
	     * ones (source's among them) with it. */
	    sqlite3_exec(lca, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) == SQLITE_OK &&
	    incident_open(m->b, &inc, err, sizeof err) == 0 &&
	    sqlite3_exec(inc, "BEGIN", NULL, NULL, NULL) == SQLITE_OK &&
	    merge_issued(m->b, lca, inc, m, err, sizeof err) != 0)
		sqlite3_exec(lca, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(inc);
	sqlite3_close(lca);
	return NULL;
}

/* Starts the merge once per backend; without a thread, the publication
 * merges as before. */
static void merge_bg_start(struct wr_backend *b)
{
	struct merge_bg *m;

	if (b->bg || !b->issuer || !(m = calloc(1, sizeof *m)))
		return;
	m->b = b;
	snprintf(m->path, sizeof m->path, "%s/localca.db", b->record_dir);
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	if (pthread_create(&m->tid, NULL, merge_bg_main, m) != 0) {
		pthread_mutex_destroy(&m->mu);
		pthread_cond_destroy(&m->cv);
		free(m);
		return;
	}
	b->bg = m;
}

/* Waits for the merge (stop: at its next chunk). */
static void merge_bg_join(struct wr_backend *b, bool stop)
{
	if (!b->bg)
		return;
	pthread_mutex_lock(&b->bg->mu);
	if (stop)
		b->bg->stop = true;
	else
		b->bg->unbound = true;
	pthread_cond_signal(&b->bg->cv);
	pthread_mutex_unlock(&b->bg->mu);
	pthread_join(b->bg->tid, NULL);
	pthread_mutex_destroy(&b->bg->mu);
	pthread_cond_destroy(&b->bg->cv);
	free(b->bg);
	b->bg = NULL;
}

/* wr_shard(serial, n): the shard serial mod n (crl.c's arithmetic), for
 * pinning entries in SQL. */
static void sql_shard(sqlite3_context *c, int argc, sqlite3_value **v)
{
	(void)argc;
	const char *serial = (const char *)sqlite3_value_text(v[0]);
	int k = serial ? wr_crl_shard_of(serial, sqlite3_value_int(v[1])) : -1;
	if (k < 0)
		sqlite3_result_null(c);
	else
		sqlite3_result_int(c, k);
}

/*
 * The shard count of this publication, in the caller's write transaction
 * on the record (see the top of the file). basis: the certificates to
 * derive a first count from; the record's count, after the merge, when
 * it is larger (other incidents'). A re-shard pins every entry without a
 * shard of its own to serial mod the old count, where it was published,
 * in the same transaction as the new count.
 */
static int shards_decide(struct wr_backend *b, int64_t basis, int *nshards,
			 struct wr_crl_stats *st, char *err, size_t errsz)
{
	int have, want = shards_wanted(b), n, rc;
	sqlite3_stmt *q = NULL;

	if (lca_shards(b->lca, &have))
		goto fail;
	/* Checked at open too; another run may have published since. */
	if ((rc = shards_check(b, have, err, errsz)))
		return rc;
	if (have && !b->reshard) {
		b->shards = *nshards = have;
		return 0;
	}
	n = want;
	if (!n) {
		int64_t seen = 0;
		if (one_int(b->lca, "SELECT count(*) FROM issued", NULL, &seen) != SQLITE_ROW)
			goto fail;
		if (seen < basis)
			seen = basis;
		n = wr_crl_shard_count(seen, b->shard_entries);
		/* Nothing to derive from yet (a publication before any import):
		 * one CRL now, the count decided when there are certificates. No
		 * certificate of the CA's has been seen to name a shard. */
		if (!seen && !have) {
			b->shards = *nshards = n;
			return 0;
		}
	}
	if (n == have) {
		b->shards = *nshards = n;
		return 0;
	}
	if (have) {
		if (sqlite3_create_function(b->lca, "wr_shard", 2,
					    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_shard,
					    NULL, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(b->lca, "UPDATE revoked SET shard = wr_shard(serial, ?)"
					       " WHERE shard IS NULL", -1, &q, NULL) != SQLITE_OK)
			goto fail;
		sqlite3_bind_int(q, 1, have);
		rc = sqlite3_step(q);
		sqlite3_finalize(q);
		if (rc != SQLITE_DONE)
			goto fail;
		st->kept = sqlite3_changes(b->lca);
		st->reshard_from = have;
	}
	if (sqlite3_prepare_v2(b->lca, "INSERT OR REPLACE INTO meta(key, value)"
				       " VALUES ('shards', ?)", -1, &q, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int(q, 1, n);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		goto fail;
	b->shards = *nshards = n;
	return 0;
fail:
	snprintf(err, errsz, "localca.db: %s", sqlite3_errmsg(b->lca));
	return WR_EDB;
}

/* The record's side of a publication, one write transaction: the
 * incident's certificates merged (inc, NULL: none) and the shard count
 * (basis: the incident's certificates, or those the caller names). */
static int record_prepare(struct wr_backend *b, sqlite3 *inc, int64_t basis, int *nshards,
			  struct wr_crl_stats *st, char *err, size_t errsz)
{
	int rc;

	if (sqlite3_exec(b->lca, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "localca.db: %s", sqlite3_errmsg(b->lca));
		return WR_EDB;
	}
	if (!(rc = inc ? merge_issued(b, b->lca, inc, NULL, err, errsz) : 0) &&
	    !(rc = shards_decide(b, basis, nshards, st, err, errsz)) &&
	    sqlite3_exec(b->lca, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "localca.db: %s", sqlite3_errmsg(b->lca));
		rc = WR_EDB;
	}
	if (rc)
		sqlite3_exec(b->lca, "ROLLBACK", NULL, NULL, NULL);
	return rc;
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

/* issued > 0: CRLs only, for that many certificates (the basis of a
 * first shard count), without reading the incident or writing index.txt.
 * The steps take the rights of where they write: an out_dir the user
 * named (user_out) with the user's, the config's paths, the incident and
 * the record with warroom's. */
static int publish(struct wr_backend *b, int64_t now, int64_t issued, struct wr_crl_stats *st,
		   char *err, size_t errsz)
{
	struct wr_crl_list *l = NULL;
	struct index_job ij = {.b = b};
	struct ispill is = {.b = b, .out = -1};
	pthread_t is_tid;
	bool with_index = issued <= 0, is_started = false;
	double t0 = mono();
	sqlite3 *inc = NULL;
	int fd = -1, nshards = 0, rc;

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
	/* The incident is read inside one transaction, begun here with
	 * warroom's rights. */
	if (with_index && ((rc = incident_open(b, &inc, err, errsz)) ||
			   (rc = count_issued(b, inc, &issued, err, errsz))))
		goto out;
	st->issued = issued;
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
	/* The record: the incident's certificates and the shard count
	 * committed first, then the CRL number and the revocations in one
	 * snapshot, and index.txt's snapshot begun. */
	if (!(rc = rights_begin(b->user_record, b->record_dir, err, errsz))) {
		if (!(rc = record_prepare(b, inc, issued, &nshards, st, err, errsz))) {
			int64_t nrev = 0;
			if (!(l = ij.l = wr_crl_list_new(nshards))) {
				rc = WR_ENOMEM;
				snprintf(err, errsz, "out of memory");
			} else if (nshards > 1 &&
				   one_int(b->lca, "SELECT coalesce(max(id), 0) FROM revoked", NULL,
					   &nrev) == SQLITE_ROW &&
				   nrev > b->spill_above && ispill_fds(nshards) &&
				   (rc = wr_crl_list_spill(l, b->record_dir))) {
				snprintf(err, errsz, "out of memory");
			}
			/* Spilled, index.txt's certificates are sorted by shard
			 * meanwhile, from a snapshot begun before the revocations'. */
			if (!rc && with_index && wr_crl_list_spilled(l) &&
			    !(rc = record_reader(b, &is.rec, err, errsz)) &&
			    !(rc = ispill_begin(&is, nshards, err, errsz))) {
				if (pthread_create(&is_tid, NULL, ispill_run, &is) == 0)
					is_started = true;
				else
					ispill_run(&is);
			}
			if (!rc)
				rc = load_revocations(b, l, nshards, &p.crl_number, err, errsz);
			if (is_started) {
				pthread_join(is_tid, NULL);
				is_started = false;
			}
			if (!rc && is.rc) {
				rc = is.rc;
				snprintf(err, errsz, "%s", is.err);
			}
			if (!rc && with_index && !wr_crl_list_spilled(l))
				rc = record_reader(b, &ij.rec, err, errsz);
		}
		rights_end(b->user_record);
	}
	if (wr_crl_list_spilled(l)) {
		p.side_job = NULL;
		p.shard_job = with_index ? ispill_shard_job : NULL;
		p.side_ctx = &is;
	}
	sqlite3_close(inc);
	inc = NULL;
	st->load_seconds = mono() - t0;
	/* Everything is read and the key loaded: the files go out with the
	 * rights of the directory's origin. */
	if (!rc && !(rc = rights_begin(b->user_out, b->out_dir, err, errsz))) {
		if (!p.shard_job || !(rc = ispill_open_out(&is, err, errsz)))
			rc = wr_crl_write(&p, l, st, err, errsz);
		if (!rc && p.shard_job && !is.committed)
			rc = ispill_commit(&is, err, errsz);
		rights_end(b->user_out);
	}
	/* Every commit to the record is on disk already (FULL). After the
	 * files went out, the checkpoint a last connection makes at close
	 * would fsync again and wait for them all (ext4 writes a file
	 * renamed over another with the next journal commit): the next
	 * connection's commits checkpoint instead. */
	if (!rc)
		sqlite3_db_config(b->lca, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	st->spilled = wr_crl_list_spilled(l);
	st->index_lines = p.shard_job ? is.lines : ij.lines;
	st->index_seconds = p.shard_job ? is.seconds : ij.seconds;
out:
	ispill_end(&is);
	wr_crl_list_free(l);
	sqlite3_close(inc);
	sqlite3_close(ij.rec); /* NULL when the index job closed it */
	lock_drop(fd);
	st->seconds = mono() - t0;
	return rc;
}

static int local_publish(struct wr_backend *b, int64_t now, char *err, size_t errsz)
{
	struct wr_crl_stats st;
	/* The set is rebuilt by a later batch: the publication's own list
	 * of every revocation takes its place, not its company. */
	wr_rvset_free(b->set);
	b->set = NULL;
	merge_bg_join(b, false);
	return publish(b, now, 0, &st, err, errsz);
}

int wr_crl_publish_flags(struct wr_db *db, const struct wr_config *cfg,
			 const char *out_dir_override, int64_t now, unsigned flags,
			 struct wr_crl_stats *st)
{
	struct wr_backend *b;
	char err[1024] = "";
	int rc;

	memset(st, 0, sizeof *st);
	if ((rc = local_open_dir(db, cfg, out_dir_override, flags, &b, err, sizeof err)))
		return wr_err(db, rc, "%s", err[0] ? err : wr_strerror(rc));
	rc = publish(b, now, 0, st, err, sizeof err);
	local_close(b);
	if (rc)
		return wr_err(db, rc, "%s", err[0] ? err : wr_strerror(rc));
	return 0;
}

int wr_crl_publish(struct wr_db *db, const struct wr_config *cfg, const char *out_dir_override,
		   int64_t now, struct wr_crl_stats *st)
{
	return wr_crl_publish_flags(db, cfg, out_dir_override, now, 0, st);
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
	if ((rc = local_open_dir(NULL, cfg, out_dir_override, 0, &b, err, errsz)))
		return rc;
	rc = publish(b, now, issued, st, err, errsz);
	local_close(b);
	return rc;
}

/* ---- forecasting a wave ------------------------------------------------------ */

/* Each CRL of list l built and signed as publish() would, in memory
 * (wr_crl_write's dry run): *sizes malloc'd, one per shard then the ARL. */
static int dry_run(struct wr_backend *b, struct wr_crl_list *l, int64_t now, int64_t number,
		   struct wr_crl_size **sizes, char *err, size_t errsz)
{
	size_t n = (size_t)wr_crl_list_shards(l) + 1;
	struct wr_crl_params p = {
		.ca = b->ca,
		.key = b->key,
		.out_dir = b->out_dir,
		.crl_url = b->crl_url,
		.this_update = now,
		.next_update = now + (int64_t)b->crl_days * 86400,
		.crl_number = number,
	};

	if (!(*sizes = p.sizes = calloc(n, sizeof **sizes))) {
		snprintf(err, errsz, "out of memory");
		return WR_ENOMEM;
	}
	return wr_crl_write(&p, l, NULL, err, errsz);
}

/* A wave's certificate, checked and placed as local_revoke would. */
struct fc_item {
	char serial[132];
	int reason, place;
};

/* The wave's unrevoked, unexpired certificates that the CA would add to
 * its CRLs (not failed by check_one, not in the record already), into
 * *items (malloc'd). */
static int wave_items(struct wr_backend *b, sqlite3 *inc, int64_t wave, int64_t now,
		      const struct wr_crl_list *l, struct fc_item **items, size_t *n, char *err,
		      size_t errsz)
{
	sqlite3_stmt *q = NULL;
	size_t cap = 0;
	int rc;

	*items = NULL;
	*n = 0;
	/* wave.c's LEFT, with revoke.c's reason: the certificate's, else
	 * the incident's. */
	if (sqlite3_prepare_v2(inc, "SELECT c.serial, coalesce(c.crl_reason, (SELECT crl_reason"
				    " FROM incident WHERE id = 1)), d.der FROM cert c"
				    " LEFT JOIN cert_der d ON d.cert_id = c.id"
				    " WHERE c.state IN ('pending', 'failed', 'submitted')"
				    " AND c.revoked_at IS NULL AND c.not_after >= ?1"
				    " AND (?2 = 0 OR (?2 = -1 AND c.wave IS NULL) OR c.wave = ?2)"
				    " ORDER BY c.id", -1, &q, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "reading the wave: %s", sqlite3_errmsg(inc));
		return WR_EDB;
	}
	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_int64(q, 2, wave);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct wr_rv_item it = {0};
		int place;
		snprintf(it.serial, sizeof it.serial, "%s", wr_col_text(q, 0) ? wr_col_text(q, 0) : "");
		it.crl_reason = sqlite3_column_type(q, 1) == SQLITE_NULL ? WR_CRL_OMIT
									  : sqlite3_column_int(q, 1);
		it.der = sqlite3_column_blob(q, 2);
		it.der_len = (size_t)sqlite3_column_bytes(q, 2);
		check_one(b, &it, &place);
		if (it.status != WR_RV_TODO)
			continue;
		char serial[sizeof it.serial];
		if (wr_serial_normalize(it.serial, serial, sizeof serial) ||
		    wr_crl_list_find(l, serial, NULL, NULL))
			continue; /* the CA answers "already revoked" */
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			struct fc_item *m = realloc(*items, cap * sizeof *m);
			if (!m) {
				sqlite3_finalize(q);
				snprintf(err, errsz, "out of memory");
				return WR_ENOMEM;
			}
			*items = m;
		}
		struct fc_item *f = &(*items)[(*n)++];
		snprintf(f->serial, sizeof f->serial, "%s", serial);
		f->reason = it.crl_reason;
		f->place = place;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		snprintf(err, errsz, "reading the wave: %s", sqlite3_errmsg(inc));
		return WR_EDB;
	}
	return 0;
}

static int forecast(struct wr_backend *b, const char *wave_arg, int64_t now,
		    struct wr_crl_forecast **rows, size_t *nrows, char *wave_name,
		    size_t wave_namesz, char *err, size_t errsz)
{
	struct wr_crl_list *l = NULL;
	struct wr_crl_size *before = NULL, *after = NULL;
	struct fc_item *items = NULL;
	sqlite3 *inc = NULL;
	size_t nitems = 0;
	int64_t number = 0, wave = WR_WAVE_ALL, issued = 0;
	int nshards, rc;

	*rows = NULL;
	*nrows = 0;
	wave_name[0] = '\0';
	/* The wave first: its errors are the user's (no such wave, the next
	 * one not started yet). A named wave is forecast whatever its start. */
	if ((rc = wr_wave_pick(b->db, wave_arg, wave_arg ? INT64_MAX : now, &wave))) {
		snprintf(err, errsz, "%s", wr_db_errmsg(b->db));
		return rc;
	}
	if ((rc = incident_open(b, &inc, err, errsz)) ||
	    (rc = count_issued(b, inc, &issued, err, errsz)))
		goto out;
	if (wave == WR_WAVE_NONE) {
		snprintf(wave_name, wave_namesz, "(no wave)");
	} else if (wave > 0) {
		sqlite3_stmt *q = NULL;
		if (sqlite3_prepare_v2(inc, "SELECT name FROM wave WHERE id = ?", -1, &q, NULL) ==
		    SQLITE_OK) {
			sqlite3_bind_int64(q, 1, wave);
			if (sqlite3_step(q) == SQLITE_ROW)
				snprintf(wave_name, wave_namesz, "%s", wr_col_text(q, 0));
		}
		sqlite3_finalize(q);
	}
	/* The shard count the next publication takes: the record's, else
	 * what shards_decide would derive (read, not recorded). */
	if (!(nshards = b->shards) && !(nshards = shards_wanted(b))) {
		int64_t seen = 0;
		if (one_int(b->lca, "SELECT count(*) FROM issued", NULL, &seen) != SQLITE_ROW)
			seen = 0;
		nshards = wr_crl_shard_count(seen > issued ? seen : issued, b->shard_entries);
		if (nshards < 1)
			nshards = 1;
	}
	if (one_int(b->lca, "SELECT value FROM meta WHERE key = 'crl_number'", NULL, &number) !=
	    SQLITE_ROW)
		number = 0;
	number++;
	/* The record, read as load_revocations does but without taking a
	 * CRL number. */
	struct loader ld = {.db = b->lca, .hi = INT64_MAX};
	if (!(l = ld.l = wr_crl_list_new(nshards))) {
		rc = WR_ENOMEM;
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	load_range(&ld);
	if ((rc = ld.rc)) {
		snprintf(err, errsz, "%s", ld.err);
		goto out;
	}
	/* Now (the dry run sorts the list, which the lookups need). */
	if ((rc = dry_run(b, l, now, number, &before, err, errsz)) ||
	    (rc = wave_items(b, inc, wave, now, l, &items, &nitems, err, errsz)))
		goto out;
	int shards_now = wr_crl_list_shards(l);
	for (size_t i = 0; i < nitems; i++) {
		struct fc_item *f = &items[i];
		if ((rc = f->place == PLACE_NONE
				  ? wr_crl_list_add(l, f->serial, now, f->reason)
				  : wr_crl_list_add_to(l, f->serial, now, f->reason, f->place))) {
			snprintf(err, errsz, "serial %.64s: %s", f->serial, wr_strerror(rc));
			goto out;
		}
	}
	if ((rc = dry_run(b, l, now, number, &after, err, errsz)))
		goto out;
	/* After: maybe more shards (an entry pinned past the count). */
	int shards_after = wr_crl_list_shards(l);
	if (!(*rows = calloc((size_t)shards_after + 1, sizeof **rows))) {
		rc = WR_ENOMEM;
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	for (int k = 0; k <= shards_after; k++) {
		struct wr_crl_forecast *r = &(*rows)[k];
		const struct wr_crl_size *a = &after[k];
		/* The ARL is last in both. */
		const struct wr_crl_size *bz = k == shards_after ? &before[shards_now]
					       : k < shards_now	 ? &before[k]
								 : NULL;
		snprintf(r->file, sizeof r->file, "%s", a->file);
		r->entries_now = bz ? bz->entries : 0;
		r->bytes_now = bz ? bz->bytes : 0;
		r->entries_after = a->entries;
		r->bytes_after = a->bytes;
	}
	*nrows = (size_t)shards_after + 1;
out:
	sqlite3_close(inc);
	wr_crl_list_free(l);
	free(before);
	free(after);
	free(items);
	return rc;
}

int wr_crl_forecast(struct wr_db *db, const struct wr_config *cfg, const char *wave,
		    int64_t now, struct wr_crl_forecast **rows, size_t *n, char *wave_name,
		    size_t wave_namesz)
{
	struct wr_backend *b;
	char err[1024] = "";
	int rc;

	*rows = NULL;
	*n = 0;
	if ((rc = local_open_dir(db, cfg, NULL, 0, &b, err, sizeof err)))
		return wr_err(db, rc, "%s", err[0] ? err : wr_strerror(rc));
	rc = forecast(b, wave, now, rows, n, wave_name, wave_namesz, err, sizeof err);
	local_close(b);
	if (rc)
		return wr_err(db, rc, "%s", err[0] ? err : wr_strerror(rc));
	return 0;
}

const struct wr_backend_class wr_backend_local = {
	.name = "local",
	.open = local_open,
	.revoke = local_revoke,
	.publish = local_publish,
	.close = local_close,
	.quick = true,
};
