/*
 * backend.h: what a revocation backend implements (core-internal).
 *
 * The engine (revoke.c) owns the queue, the certificate states and the
 * audit trail; a backend only talks to the CA: it revokes a batch and, at
 * the end of a run, publishes status. Backends never touch the cert table
 * and never print. One struct wr_backend_class per backend, like a pane
 * class: backend-local.c (test CA: CRLs, index.txt), backend-acme.c
 * (RFC 8555 revokeCert), backend-exec.c (the CA's own tool).
 */
#ifndef WR_BACKEND_H
#define WR_BACKEND_H

#include "internal.h"

enum wr_rv_status {
	WR_RV_TODO = 0,	  /* not attempted (the engine sets it) */
	WR_RV_REVOKED,	  /* revoked now, at revoked_at */
	WR_RV_ALREADY,	  /* the CA had revoked it already: counts as revoked */
	WR_RV_FAILED,	  /* refused or failed: error says why; retried next run */
};

struct wr_rv_item {
	int64_t cert_id;
	char serial[132];	  /* upper-case hex, even length */
	const unsigned char *der; /* the certificate, borrowed for the call */
	size_t der_len;
	int crl_reason;		  /* WR_CRL_OMIT or an RFC 5280 CRLReason */
	int64_t not_after;
	/* Set by the backend: */
	int status;
	int64_t revoked_at; /* the CA's revocation time (0: use now) */
	char error[256];
};

struct wr_backend;
struct wr_backend_class {
	const char *name;
	/* Reads its [section] of the config. db is the incident, read-only
	 * use (the local test CA lists the certificates it issued). */
	int (*open)(struct wr_db *db, const struct wr_config *cfg, struct wr_backend **out,
		    char *err, size_t errsz);
	/* Revokes n items, setting each one's status. A non-zero return means
	 * the whole batch's outcome is unknown: the engine leaves the items
	 * submitted and a later run submits them again (ALREADY then). */
	int (*revoke)(struct wr_backend *b, struct wr_rv_item *items, size_t n, char *err,
		      size_t errsz);
	/* After a run: publish new status (the local CA writes CRLs and its
	 * index.txt). NULL when the CA publishes by itself. */
	int (*publish)(struct wr_backend *b, int64_t now, char *err, size_t errsz);
	void (*close)(struct wr_backend *b);
	/* Answers a batch in well under a second, and a batch submitted
	 * again by a later run changes nothing (ALREADY; within one run, a
	 * serial comes twice only when the incident holds it twice): the
	 * engine then reads, revokes and
	 * records a batch under one write transaction on the incident, and
	 * writes each certificate once, without a claim (core/revoke.c). */
	bool quick;
};

extern const struct wr_backend_class wr_backend_local;
extern const struct wr_backend_class wr_backend_acme;
extern const struct wr_backend_class wr_backend_exec;

#endif
