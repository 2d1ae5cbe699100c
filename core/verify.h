/*
 * verify.h: proof of publication (core/verify.c).
 *
 * wr_verify fetches the CA's CRLs, checks their signatures and dates
 * against the issuer, and checks that every certificate the incident
 * recorded as revoked is listed with the right CRLReason; then it asks the
 * OCSP responder about a sample of them. Each problem goes to a callback as
 * it is found; the figures land in the result, in one row of the
 * publication table and in one "verify" audit event.
 *
 * It checks scope as a relying party meets it, not only entries: a CRL's
 * Issuing Distribution Point must name the URL it was fetched from (and a
 * CRL that is one of several shards must have one); a certificate whose
 * trusted CRL Distribution Point names a CRL must be listed on that CRL,
 * not merely on another shard; a CRL number must never go down from one
 * run to the next; OCSP's reason must agree with the CRL's.
 *
 * Like the rest of the core it never prints. Problems are problems of the
 * CA's publication (a missing entry, a wrong reason, a bad signature, an
 * unreachable URL): wr_verify still returns 0 and counts them. A negative
 * WR_E* code means verify could not run (bad input, database error).
 */
#ifndef WR_VERIFY_H
#define WR_VERIFY_H

#include "wr.h"

#define WR_VERIFY_SAMPLE_DEFAULT 100
/* A reasonCode extension that is there but malformed or repeated. */
#define WR_CRL_BAD (-2)

struct wr_verify_opts {
	/* A URL ending in ".crl" is one CRL; any other is a base URL whose
	 * crls.txt lists the CRL files, one name a line. NULL: [local]
	 * crl_url, else each revoked certificate's CRL Distribution Point,
	 * when it is http:// and the certificate's signature verifies with
	 * the issuer's key. */
	const char *crl_url;
	/* NULL: [local] ocsp_url, else each sampled certificate's AIA OCSP
	 * URL, trusted as the CRL Distribution Point is; none at all skips
	 * OCSP (optional since 2024, BR 4.9.9). */
	const char *ocsp_url;
	/* The issuer's certificate, PEM or DER. NULL: [local] ca_cert. */
	const char *issuer;
	/* Revoked certificates to ask OCSP about: -1 the default (100),
	 * 0 none; all of them when there are fewer. */
	int64_t sample;
	long timeout;	   /* seconds per transfer; 0: 60 */
	size_t max_bytes;  /* per CRL download; 0: 256 MiB */
};

/* What a problem is about. */
enum wr_verify_kind {
	WR_VP_FETCH = 1, /* a URL could not be fetched (status, timeout, size) */
	WR_VP_PARSE,	 /* not a CRL / OCSP response, or a bad crls.txt */
	WR_VP_SIGNATURE, /* the signature does not verify against the issuer */
	WR_VP_ISSUER,	 /* signed by the key but another issuer name */
	WR_VP_DATES,	 /* thisUpdate/nextUpdate: future, stale, > 10 days */
	WR_VP_EXTENSION, /* an unknown critical extension, a bad reasonCode */
	WR_VP_MISSING,	 /* recorded as revoked, not listed */
	WR_VP_REASON,	 /* listed with another reason */
	WR_VP_DATE,	 /* listed with a revocation date far from ours */
	WR_VP_OCSP,	 /* OCSP did not answer "revoked" (or badly) */
	WR_VP_SOURCE,	 /* nowhere to look: no CRL Distribution Point, or
			  * none from a certificate the issuer signed */
	WR_VP_SCOPE,	 /* the Issuing Distribution Point does not name the
			  * URL fetched (or is missing among shards, or the
			  * CRL covers the wrong kind of certificate) */
	WR_VP_SHARD,	 /* listed, but only on a CRL other than the one its
			  * CRL Distribution Point names: a relying party
			  * fetching that one finds it good */
	WR_VP_ROLLBACK,	 /* a CRL number lower than the last verify saw, or
			  * the same number with another thisUpdate */
};
const char *wr_verify_kind_name(int kind); /* "missing", "reason", ... */

struct wr_verify_problem {
	int kind;
	const char *serial; /* upper-case hex; NULL when about a URL or a CRL */
	const char *url;    /* the CRL or OCSP URL concerned, or NULL */
	const char *what;   /* one line */
	/* A known difference, not a problem: counted in notes, not in
	 * problems, and the run may still be proven. */
	bool note;
};
/* Strings are valid UTF-8 but may carry anything a server or a
 * certificate put there: escape them for the edge that shows them. They
 * are borrowed for the call. */
typedef void (*wr_verify_problem_cb)(const struct wr_verify_problem *p, void *ctx);

struct wr_verify_result {
	int64_t checked_at;
	int64_t crls_fetched;  /* retrieved and parsed */
	int64_t crls_valid;    /* ... whose signature and issuer verified */
	int64_t crl_entries;   /* entries across the valid CRLs */
	int64_t revoked;       /* certificates recorded as revoked, checked */
	int64_t on_crl;	       /* listed with the right reason */
	int64_t wrong_reason;
	int64_t missing;
	int64_t wrong_shard;   /* listed only on a CRL not its own */
	int64_t expired_absent; /* revoked, expired, no longer listed: allowed */
	int64_t ocsp_sampled, ocsp_confirmed;
	int64_t problems;      /* every problem reported through the callback */
	int64_t notes;	       /* known differences reported (note = true) */
	/* Certificates whose CRL Distribution Point / OCSP URL verify did not
	 * use: their signature does not verify with the issuer's key, or the
	 * URL is not http://. Give --crl-url / --ocsp-url then. */
	int64_t crl_urls_refused, ocsp_urls_refused;
	char crl_source[512];  /* what was fetched: a URL or "CRL Distribution Points" */
	char ocsp_url[512];    /* "" when OCSP was not checked */
};

/* Runs the checks and records the outcome. Team revocation or
 * compliance-legal. cb may be NULL. */
int wr_verify(struct wr_db *db, const struct wr_verify_opts *o, struct wr_verify_result *r,
	      wr_verify_problem_cb cb, void *ctx);

/* ---- the CRL lookup, exposed for tests/unit/test-verify.c --------------- */
/*
 * The revocation entries of every CRL that verified, as (serial, reason,
 * date), kept in one sorted array of small fixed records so a million
 * entries cost about 32 MB and a lookup is a binary search.
 */
struct wr_crlset;
struct wr_crlset *wr_crlset_new(void);
void wr_crlset_free(struct wr_crlset *s);
struct wr_crl_check {
	int64_t now;		     /* for thisUpdate/nextUpdate */
	const void *issuer;	     /* X509 *, borrowed */
	const char *url;	     /* for messages */
	wr_verify_problem_cb cb;     /* may be NULL */
	void *ctx;
	/* Out: */
	int64_t entries;	     /* added from this CRL */
	int64_t this_update, next_update;
	int problems;
	bool parsed;		     /* it was a CRL */
	bool valid;		     /* signature and issuer name verified */
	/* Which CRL its entries are for wr_crlset_find_on: one number per
	 * valid CRL added, from 0; -1 when it was not valid. */
	int index;
	/* Its scope (RFC 5280 5.2.5). An Issuing Distribution Point naming a
	 * URL other than c->url (when given) is a WR_VP_SCOPE problem. */
	bool idp;		     /* an Issuing Distribution Point is present */
	bool idp_url;		     /* ... naming the CRL by URL (c->url or not) */
	bool only_user, only_ca;     /* onlyContainsUserCerts / onlyContainsCACerts */
	char number[48];	     /* CRL number, upper-case hex; "" when none */
};
/* Parses one CRL (DER or PEM), checks it against the issuer and adds its
 * entries when it verifies. Problems go to c->cb and c->problems; returns
 * WR_ENOMEM only, or 0. */
int wr_crlset_add(struct wr_crlset *s, const unsigned char *buf, size_t len,
		  struct wr_crl_check *c);
/* Sorts what was added since the last call (cheap when nothing was). */
int wr_crlset_sort(struct wr_crlset *s);
size_t wr_crlset_size(const struct wr_crlset *s);
/* Looks serial (as in the cert table) up after wr_crlset_sort: true when
 * listed; *reason is WR_CRL_OMIT without a reasonCode extension,
 * WR_CRL_BAD with a broken one. */
bool wr_crlset_find(const struct wr_crlset *s, const char *serial, int *reason,
		    int64_t *revoked_at);
/* The same, on the CRL numbered crl (its c->index) only, or on any when
 * crl < 0; *found_crl (may be NULL) says which CRL listed it. A serial
 * may be listed on several CRLs. */
bool wr_crlset_find_on(const struct wr_crlset *s, const char *serial, int crl, int *reason,
		       int64_t *revoked_at, int *found_crl);
/* 0 when a CRL or OCSP reason found (WR_CRL_OMIT: none) is right for the
 * reason expected; otherwise *why (static) says what is wrong. */
int wr_crl_reason_check(int expected, int found, const char **why);
/* OCSP's reason (WR_CRL_OMIT: none given) against the CRL's for the same
 * serial (WR_CRL_NONE: not listed; then against the reason expected):
 * 0 agree, 1 a known difference (privilegeWithdrawn, which OpenSSL's
 * index.txt cannot carry, so `openssl ocsp -index` answers another reason
 * or none), -1 a problem: another reason than the CRL's, -2 a problem:
 * the CRL agrees (or is silent) but the reason is not the one expected;
 * *why (static) says which. */
#define WR_CRL_NONE (-3)
int wr_ocsp_reason_check(int expected, int crl, int ocsp, const char **why);
/* A CRL number and thisUpdate (RFC 3339) seen now against the last ones
 * seen at the same URL: 0 fine (higher; or equal with the same
 * thisUpdate; or nothing seen before), -1 a rollback, with *why (static). */
int wr_crl_number_check(const char *last_number, const char *last_this_update,
			const char *number, const char *this_update, const char **why);

#endif
