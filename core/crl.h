/*
 * crl.h: CRLs of the local test CA (core-internal).
 *
 * Two layers. core/crl.c builds and signs CRLs with the OpenSSL API from a
 * list of revocations held in memory: shards of end-entity certificates
 * (serial modulo the CA's shard count, unless the record keeps an entry
 * on the shard it was first published on) and an ARL for CA
 * certificates; it knows nothing of databases or settings. The local CA
 * (core/backend-local.c) reads [local], keeps the CA's own record
 * (out_dir/localca.db: revocations, the certificates it has seen, its
 * shard count) and publishes: index.txt for `openssl ocsp -index`, the
 * CRLs and crls.txt. `warroom crl` and the local backend's publish() both
 * go through wr_crl_publish_flags.
 */
#ifndef WR_CRL_H
#define WR_CRL_H

#include <limits.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "wr.h"

/* BR 4.9.7: nextUpdate at most 10 days after thisUpdate. */
#define WR_CRL_MAX_DAYS 10
#define WR_CRL_DEFAULT_DAYS 7
#define WR_CRL_DEFAULT_SHARD_ENTRIES 100000
/* [local] shards: 1 to this. */
#define WR_CRL_MAX_SHARDS 4096
/* The "shard" of the ARL, the CRL of CA certificates (BR 4.9.1.2). */
#define WR_CRL_ARL (-1)
/* The ARL's file in out_dir (with arl.pem), next to the shards. */
#define WR_CRL_ARL_FILE "arl.crl"

struct wr_crl_stats {
	int shards;	       /* shard CRLs (the ARL apart) */
	int reshard_from;      /* --reshard: the count before, else 0 */
	int64_t kept;	       /* --reshard: entries kept on their shards */
	int64_t ca_entries;    /* revocations of CA certificates (on the ARL) */
	int64_t issued;	       /* the CA's certificates in the incident */
	int64_t entries;       /* revocations listed, all shards together */
	int64_t largest;       /* entries of the largest shard */
	int64_t bytes;	       /* DER bytes, all shards together */
	int64_t pem_bytes;
	int64_t crl_number;
	int64_t this_update, next_update;
	int64_t index_lines;   /* index.txt: one line per certificate the CA has seen */
	double seconds;	       /* wall time of the whole publication, of which: */
	double load_seconds;   /* reading the CA's record and counting */
	double crl_seconds;    /* building, signing and writing the CRLs */
	double index_seconds;  /* writing index.txt (spilled: sorting its certificates by shard) */
	bool spilled;	       /* through temporary files, a shard at a time ([local] spill_above) */
	char out_dir[PATH_MAX];
	char full_file[256];   /* one shard: the full CRL's file (DER) */
};

/* ---- building CRLs (core/crl.c) ----------------------------------------- */

/* max(1, ceil(issued / shard_entries)), at most WR_CRL_MAX_SHARDS: the
 * count a CA derives once, at its first publication, when [local] shards
 * does not say (core/backend-local.c keeps it). 0 when shard_entries < 1. */
int wr_crl_shard_count(int64_t issued, int64_t shard_entries);
/* The shard of a serial (hex as in the cert table, "-" for negative):
 * its magnitude modulo nshards, as Let's Encrypt shards. -1 when serial
 * is not hex. */
int wr_crl_shard_of(const char *serial, int nshards);
/* Whether a CRL URL names one CRL file (its path ends in ".crl", as
 * core/verify.c reads it) rather than the directory of the shards: 1,
 * with the file's name in name; 0 for a directory; -1 when it names a
 * file no plain name here could be (name empty). */
int wr_crl_url_file(const char *url, char *name, size_t namesz);

/* The revocations to publish, already split by CRL: 32 bytes a
 * revocation (serials of up to 16 bytes), so a million cost about 32 MB,
 * unless the list spills (wr_crl_list_spill).
 * nshards (1 to WR_CRL_MAX_SHARDS) is the modulus; the list has that many
 * shard CRLs, more when an entry is added to a higher shard, and the ARL.
 * One shard CRL in all is a full CRL: no Issuing Distribution Point, and
 * the ARL's entries on it too. */
struct wr_crl_list;
struct wr_crl_list *wr_crl_list_new(int nshards);
void wr_crl_list_free(struct wr_crl_list *l);
/* crl_reason: an RFC 5280 CRLReason, or WR_CRL_OMIT (as is 0,
 * unspecified: RFC 5280 5.3.1 says leave the extension out). Goes to the
 * shard serial mod nshards. WR_EINVAL for a bad serial or reason,
 * WR_ENOMEM. */
int wr_crl_list_add(struct wr_crl_list *l, const char *serial, int64_t revoked_at,
		    int crl_reason);
/* The same onto a given CRL: a shard, 0 to WR_CRL_MAX_SHARDS - 1 (one
 * past the list's last adds shards up to it), or WR_CRL_ARL. */
int wr_crl_list_add_to(struct wr_crl_list *l, const char *serial, int64_t revoked_at,
		       int crl_reason, int shard);
int64_t wr_crl_list_count(const struct wr_crl_list *l);
/* Shard CRLs, the ARL apart. */
int wr_crl_list_shards(const struct wr_crl_list *l);
/* Moves src's revocations into dst (the same modulus; dst grows to
 * src's shards); src is left empty. For lists filled by several threads. */
int wr_crl_list_merge(struct wr_crl_list *dst, struct wr_crl_list *src);
/* Sorts every shard by serial and drops duplicate serials (the first
 * added stays). wr_crl_write does it; wr_crl_list_find needs it. */
int wr_crl_list_sort(struct wr_crl_list *l);
/* Builds a hash table over the sorted list (8 bytes a revocation), so
 * that a lookup costs a probe rather than a binary search. Optional. */
int wr_crl_list_index(struct wr_crl_list *l);
void wr_crl_list_unindex(struct wr_crl_list *l); /* frees the table */
/* Looks a serial up after sorting: true when listed. */
bool wr_crl_list_find(const struct wr_crl_list *l, const char *serial, int64_t *revoked_at,
		      int *crl_reason);
/* The same for n serials at once, into found[i], revoked_at[i] and
 * crl_reason[i]: several times faster for many after wr_crl_list_index. */
void wr_crl_list_find_batch(const struct wr_crl_list *l, const char *const *serials, size_t n,
			    bool *found, int64_t *revoked_at, int *crl_reason);

/* Sends the entries to publish through temporary files in dir, one per
 * shard (the ARL's and those kept on a shard other than serial mod
 * nshards stay in memory), and reads each back when its CRL is built, so
 * that publishing holds about one shard per thread in memory whatever the
 * count. Before the first add; a list of one shard stays in memory.
 * Lists merged must both spill or neither. WR_EIO (errno set) when a
 * file cannot be written, at add or at wr_crl_write. */
int wr_crl_list_spill(struct wr_crl_list *l, const char *dir);
/* A temporary file in dir nobody else can open: unnamed (O_TMPFILE) where
 * the file system allows, else named for an instant. -1 with errno. */
int wr_crl_spill_open(const char *dir);
bool wr_crl_list_spilled(const struct wr_crl_list *l);
/* For a shard job (wr_crl_params.shard_job) on shard k, which holds the
 * serials that are k modulo the list's modulus: looks n serials up where
 * wr_crl_list_find would find them. */
void wr_crl_list_find_shard(const struct wr_crl_list *l, int k, const char *const *serials,
			    size_t n, bool *found, int64_t *revoked_at, int *crl_reason);

/* One CRL of a dry run (wr_crl_params.sizes): its file, entries and the
 * exact DER size it would be published with. */
struct wr_crl_size {
	char file[256];
	int64_t entries, bytes;
};

struct wr_crl_params {
	X509 *ca;	      /* borrowed: issuer name and key identifier */
	EVP_PKEY *key;	      /* borrowed: signs with SHA-256 (RSA or EC) */
	const char *out_dir;
	/* The URL the certificates' CRL Distribution Points name: the
	 * directory of shard-K.crl and arl.crl, or one CRL file (a full CRL:
	 * the list has one shard, written under that name). NULL: the
	 * Issuing Distribution Points have no name. */
	const char *crl_url;
	int64_t this_update, next_update;
	int64_t crl_number;
	int nthreads;	      /* 0: one per core */
	/* Work run by one of the threads while the others build shards
	 * (index.txt): the list is sorted before it starts; the job may
	 * index it (wr_crl_list_index) and search it, not change it.
	 * NULL: none. */
	int (*side_job)(void *ctx, char *err, size_t errsz);
	/* Work on each shard k below the modulus, by the thread that builds
	 * it, once its entries are in memory and sorted, before its CRL is
	 * (index.txt of a spilled list): wr_crl_list_find_shard searches
	 * them. Threads run it at once on different shards. NULL: none. */
	int (*shard_job)(void *ctx, int k, const struct wr_crl_list *l, char *err,
			 size_t errsz);
	void *side_ctx; /* for either job */
	/* NULL: write the files. Else a dry run: every CRL is built and
	 * signed exactly as it would be published, in memory, and its file
	 * name, entries and DER bytes go to sizes[k] for shard k and to
	 * sizes[nshards] for the ARL (an array of wr_crl_list_shards(l) + 1
	 * the caller provides); nothing is written or removed. */
	struct wr_crl_size *sizes;
};
/*
 * Sorts the list, then writes out_dir/shard-K.crl (DER) and shard-K.pem
 * for every shard, arl.crl and arl.pem, then out_dir/crls.txt naming the
 * DER files one a line, each through a temporary file and rename(2), and
 * removes shard files left from a larger shard count. Each partition
 * carries a critical Issuing Distribution Point naming its own URL (BR
 * 7.2.2.1) and its scope: onlyContainsUserCerts for a shard,
 * onlyContainsCACerts for the ARL; a full CRL carries none. Shards are
 * built and signed in parallel, one shard per thread at a time, which
 * bounds the memory; the side job, if any, runs alongside. Fills st's
 * shards, entries, ca_entries, largest, bytes, pem_bytes, crl_seconds.
 * On error returns a WR_E* code with the reason in err (the side job's
 * error included).
 */
int wr_crl_write(const struct wr_crl_params *p, struct wr_crl_list *l,
		 struct wr_crl_stats *st, char *err, size_t errsz);

/* ---- the local test CA (core/backend-local.c) --------------------------- */

/* wr_crl_publish_flags: change the shard count to [local] shards (or,
 * unset, to what shard_entries gives for the certificates the CA has
 * seen); every entry already in the record stays on the shard it was
 * published on, since its certificate names that shard's URL. */
#define WR_CRL_RESHARD 0x1

/*
 * Reissues the local CA's status from its own record: index.txt, the CRL
 * shards, the ARL and crls.txt, in out_dir_override or [local] out_dir,
 * with thisUpdate now. The record is the CA's, whichever incident
 * publishes: the incident's certificates join the ones the CA has seen
 * (for index.txt), and every revocation of the record is published. The
 * shard count is the CA's too, fixed at its first publication ([local]
 * shards, or derived from shard_entries then); a config that asks for
 * another count is refused unless flags has WR_CRL_RESHARD.
 * Publications are serialised by a lock file in the directory (waited
 * for at most [local] lock_timeout seconds; the error names its holder),
 * so two runs never interleave their files. out_dir_override is a
 * directory the user named (crl --out): installed setgid, it is made and
 * written with the user's own rights, never warroom's group's, after the
 * key and the record are loaded with the group's. On error returns a
 * WR_E* code with the reason in wr_db_errmsg(db).
 */
int wr_crl_publish_flags(struct wr_db *db, const struct wr_config *cfg,
			 const char *out_dir_override, int64_t now, unsigned flags,
			 struct wr_crl_stats *st);
/* wr_crl_publish_flags with no flags. */
int wr_crl_publish(struct wr_db *db, const struct wr_config *cfg, const char *out_dir_override,
		   int64_t now, struct wr_crl_stats *st);
/*
 * The CRLs alone, as `openssl ca -gencrl` makes them: the same shards, the
 * count derived from issued if the CA has none yet, without reading an
 * incident or writing index.txt. For like-for-like benchmarks and tools;
 * the reason goes to err.
 */
int wr_crl_publish_crls(const struct wr_config *cfg, const char *out_dir_override,
			int64_t issued, int64_t now, struct wr_crl_stats *st, char *err,
			size_t errsz);

/*
 * What a wave would do to the local CA's CRLs, changing nothing: one row
 * per CRL it publishes (the shards, then the ARL). "now" is each CRL as a
 * publication now would build it from the CA's record; "after" adds the
 * wave's unrevoked, unexpired certificates, each checked and placed as
 * the local backend's revoke() would (its CRL Distribution Point's shard,
 * CA certificates on the ARL, else serial mod the shard count), revoked
 * now with its CRLReason (the certificate's, else the incident's). Both
 * are built and signed with wr_crl_write's own code (a dry run, next CRL
 * number), so the sizes are the DER a publication would write, but for
 * the length of an ECDSA signature (70 to 72 bytes, varying per
 * signature) and the CRL number's growing by a byte (at 128, 32768, ...)
 * if other publications come first. wave: a wave's name (whatever its
 * start), NULL for the one a plain revoke would run (WR_WAVE_ALL: every
 * pending certificate). *rows is malloc'd (free it), *n rows; wave_name
 * receives the wave's name ("" with no waves, "(no wave)" for the
 * certificates in none). On error a WR_E* code, the reason in
 * wr_db_errmsg(db).
 */
struct wr_crl_forecast {
	char file[256];
	int64_t entries_now, bytes_now, entries_after, bytes_after;
};
int wr_crl_forecast(struct wr_db *db, const struct wr_config *cfg, const char *wave,
		    int64_t now, struct wr_crl_forecast **rows, size_t *n, char *wave_name,
		    size_t wave_namesz);

/* ---- the local CA's revocations by serial (core/rvset.c) ---------------- */

/* Serial (normalised upper-case hex) -> the record's row id (1 to
 * UINT32_MAX), in memory: see core/rvset.c. find returns the ids whose
 * hash matches, at most max of them; the caller confirms each against
 * the record. add: WR_EINVAL for an id out of range, WR_ENOMEM. */
struct wr_rvset;
struct wr_rvset *wr_rvset_new(void);
void wr_rvset_free(struct wr_rvset *s);
int wr_rvset_add(struct wr_rvset *s, const char *serial, int64_t id);
/* Room for n in all at once: growing doubles the table, and the old one
 * and the new are both in memory while it does. */
int wr_rvset_reserve(struct wr_rvset *s, size_t n);
size_t wr_rvset_find(const struct wr_rvset *s, const char *serial, int64_t *ids, size_t max);
size_t wr_rvset_count(const struct wr_rvset *s);

#endif
