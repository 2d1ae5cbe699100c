/*
 * probe.c: what the affected certificates' endpoints serve (`warroom
 * probe`), recorded in the probe table (data/migrate-009.sql).
 *
 * Each certificate's endpoints (cert.endpoints, else its DNS and IP names
 * on 443; a wildcard name is no endpoint) are connected to with SNI, the
 * certificate served is read without verification (whatever it is, we
 * want to know it) and the handshake left there (take_cert), and its
 * SHA-256 compared with the affected one's and with its recorded
 * replacement's: 'affected', 'replacement', 'other', or 'unreachable'
 * with why. A certificate whose every endpoint serves
 * something else is replaced (cert.replaced_at set; cleared again when an
 * endpoint serves the affected one anew); probe_cert sums each one up for
 * the counters replacement_deployed and unreachable.
 *
 * One thread: up to `concurrency` non-blocking sockets in flight,
 * multiplexed with poll(2), each with its own deadline (`timeout`) from
 * its start to its handshake's end, so one silent server holds one slot
 * for the timeout and no more. Names are resolved with getaddrinfo, which
 * blocks for a real DNS name only (an address or a name from /etc/hosts
 * is answered at once).
 *
 * The work goes in batches of certificates, about BATCH_PER_SLOT
 * endpoints per slot: a batch's results and summaries are written in one
 * transaction, its progress given to the run table, and a pause or cancel
 * acted on between batches. A round is what has one round number: a run
 * probes the endpoints without a result in the current round (so a run
 * killed midway is continued by the next), `--again` opens a new round.
 * Nothing here prints.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "internal.h"

#define BATCH_PER_SLOT 8
#define BATCH_MIN      64
#define CERTS_PER_READ 256
#define HOST_LEN       256

enum { O_AFFECTED, O_REPLACEMENT, O_OTHER, O_UNREACHABLE };
static const char *const outcome_name[] = {"affected", "replacement", "other", "unreachable"};

struct ep {
	size_t cert;         /* index in the batch's certificates */
	char host[HOST_LEN]; /* an IPv6 address without its brackets */
	int port;
	bool todo; /* not probed in this round yet */
	/* the result */
	int outcome;
	unsigned char sha[32];
	char err[200];
};

struct pcert {
	int64_t id;
	unsigned char sha[32], rsha[32];
	bool has_repl;
	size_t first, n; /* its endpoints in the batch's array */
};

struct batch {
	struct pcert *c;
	size_t nc, capc;
	struct ep *e;
	size_t ne, cape;
	size_t todo;
};

struct prober {
	struct wr_db *db;
	const struct wr_probe_opts *o;
	int64_t round, now;
	sqlite3_stmt *certs, *seen;
	SSL_CTX *ssl;
	int timeout_ms;
};

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- endpoints ----------------------------------------------------------------------- */

static int ep_add(struct batch *b, size_t cert, const char *host, size_t hlen, int port)
{
	if (!hlen || hlen >= HOST_LEN)
		return 0;
	for (size_t i = b->c[cert].first; i < b->ne; i++)
		if (b->e[i].port == port && strlen(b->e[i].host) == hlen &&
		    memcmp(b->e[i].host, host, hlen) == 0)
			return 0;
	if (b->ne == b->cape) {
		size_t cap = b->cape ? b->cape * 2 : 256;
		struct ep *e = realloc(b->e, cap * sizeof *e);
		if (!e)
			return WR_ENOMEM;
		b->e = e;
		b->cape = cap;
	}
	struct ep *e = &b->e[b->ne++];
	memset(e, 0, sizeof *e);
	e->cert = cert;
	memcpy(e->host, host, hlen);
	e->host[hlen] = '\0';
	e->port = port;
	b->c[cert].n++;
	return 0;
}

/* cert.endpoints as customer.c normalises it: "host", "host:port",
 * "[v6]", "[v6]:port", space-separated. */
static int parse_endpoints(struct batch *b, size_t cert, const char *s)
{
	int rc = 0;

	while (*s && !rc) {
		size_t len = strcspn(s, " ");
		const char *h = s, *end = s + len, *colon;
		size_t hlen;
		int port = 443;
		if (*h == '[') {
			const char *rb = memchr(h, ']', len);
			if (!rb)
				goto next;
			hlen = (size_t)(rb - h - 1);
			if (rb + 1 < end && rb[1] == ':')
				port = atoi(rb + 2);
			h++;
		} else {
			colon = memchr(h, ':', len);
			hlen = colon ? (size_t)(colon - h) : len;
			if (colon)
				port = atoi(colon + 1);
		}
		if (port > 0 && port < 65536)
			rc = ep_add(b, cert, h, hlen, port);
	next:
		s = *end ? end + 1 : end;
	}
	return rc;
}

/* The DNS and IP names of cert.sans (comma-joined, "\," and "\\"
 * escaped) on 443: a name with an escape, a wildcard or an "IP:" dump is
 * no place to connect to. */
static int parse_sans(struct batch *b, size_t cert, const char *s)
{
	int rc = 0;

	while (*s && !rc) {
		const char *p = s;
		bool odd = false;
		while (*p && *p != ',') {
			if (*p == '\\') {
				odd = true;
				if (p[1])
					p++;
			}
			p++;
		}
		size_t len = (size_t)(p - s);
		if (!odd && len && !memchr(s, '*', len) && !(len > 3 && memcmp(s, "IP:", 3) == 0)) {
			char h[HOST_LEN];
			if (len < sizeof h) {
				for (size_t i = 0; i < len; i++)
					h[i] =
					    (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
				rc = ep_add(b, cert, h, len, 443);
			}
		}
		s = *p ? p + 1 : p;
	}
	return rc;
}

static void batch_clear(struct batch *b)
{
	b->nc = b->ne = b->todo = 0;
}

static void batch_free(struct batch *b)
{
	free(b->c);
	free(b->e);
}

/* Reads certificates after *last (by id) until the batch holds at least
 * want endpoints to probe or there are none left (*more false). */
static int gather(struct prober *p, struct batch *b, int64_t *last, size_t want, bool *more)
{
	int rc = 0;

	*more = true;
	while (b->todo < want) {
		size_t got = 0;
		sqlite3_reset(p->certs);
		sqlite3_bind_int64(p->certs, 1, *last);
		if (p->o->customer)
			sqlite3_bind_text(p->certs, 2, p->o->customer, -1, SQLITE_STATIC);
		sqlite3_bind_int(p->certs, 3, CERTS_PER_READ);
		while ((rc = sqlite3_step(p->certs)) == SQLITE_ROW) {
			got++;
			*last = sqlite3_column_int64(p->certs, 0);
			if (b->nc == b->capc) {
				size_t cap = b->capc ? b->capc * 2 : 64;
				struct pcert *c = realloc(b->c, cap * sizeof *c);
				if (!c) {
					rc = WR_ENOMEM;
					break;
				}
				b->c = c;
				b->capc = cap;
			}
			struct pcert *c = &b->c[b->nc];
			memset(c, 0, sizeof *c);
			c->id = *last;
			c->first = b->ne;
			if (sqlite3_column_bytes(p->certs, 1) == 32)
				memcpy(c->sha, sqlite3_column_blob(p->certs, 1), 32);
			if (sqlite3_column_bytes(p->certs, 4) == 32) {
				memcpy(c->rsha, sqlite3_column_blob(p->certs, 4), 32);
				c->has_repl = true;
			}
			const char *eps = wr_col_text(p->certs, 2);
			rc = eps ? parse_endpoints(b, b->nc, eps)
				 : parse_sans(b, b->nc,
					      wr_col_text(p->certs, 3) ? wr_col_text(p->certs, 3)
								       : "");
			if (rc)
				break;
			/* Which have a result in this round already. */
			size_t todo = 0;
			for (size_t i = c->first; i < c->first + c->n; i++) {
				struct ep *e = &b->e[i];
				sqlite3_reset(p->seen);
				sqlite3_bind_int64(p->seen, 1, c->id);
				sqlite3_bind_text(p->seen, 2, e->host, -1, SQLITE_STATIC);
				sqlite3_bind_int(p->seen, 3, e->port);
				sqlite3_bind_int64(p->seen, 4, p->round);
				int s = sqlite3_step(p->seen);
				if (s != SQLITE_ROW && s != SQLITE_DONE) {
					rc = wr_err_sq(p->db, "reading probes");
					break;
				}
				e->todo = s == SQLITE_DONE;
				todo += e->todo;
			}
			if (rc)
				break;
			if (todo) {
				b->nc++;
				b->todo += todo;
			} else {
				b->ne = c->first; /* nothing to do for it */
			}
			if (b->todo >= want)
				break;
		}
		if (rc == SQLITE_DONE || rc == SQLITE_ROW)
			rc = 0;
		else if (rc > 0)
			rc = wr_err_sq(p->db, "reading certificates");
		sqlite3_reset(p->certs);
		if (rc)
			return rc;
		if (got < CERTS_PER_READ && b->todo < want) {
			*more = false;
			break;
		}
	}
	return 0;
}

/* ---- connecting ---------------------------------------------------------------------- */

enum { S_FREE, S_CONNECT, S_HANDSHAKE };

struct slot {
	struct ep *ep;
	int fd;
	SSL *ssl;
	int state;
	short events;
	bool taken; /* take_cert hashed the certificate into ep->sha */
	double deadline;
};

static void fail_ep(struct ep *e, const char *fmt, const char *a)
{
	e->outcome = O_UNREACHABLE;
	snprintf(e->err, sizeof e->err, fmt, a ? a : "");
}

static void slot_close(struct slot *s)
{
	if (s->ssl)
		SSL_free(s->ssl); /* no close_notify to wait for: we read what we wanted */
	if (s->fd >= 0)
		close(s->fd);
	s->ssl = NULL;
	s->fd = -1;
	s->state = S_FREE;
	s->ep = NULL;
	s->taken = false;
}

/* The TLS error just seen, as text. */
static void tls_error(struct ep *e, SSL *ssl, int r)
{
	int err = SSL_get_error(ssl, r);
	unsigned long code = ERR_get_error();
	char buf[160];

	if (code) {
		ERR_error_string_n(code, buf, sizeof buf);
		fail_ep(e, "TLS handshake failed: %s", buf);
	} else if (err == SSL_ERROR_SYSCALL && errno) {
		fail_ep(e, "TLS handshake failed: %s", strerror(errno));
	} else {
		fail_ep(e, "TLS handshake failed: %s", "the connection was closed");
	}
}

/*
 * The certificate served is all a probe wants, and the chain's
 * verification is where OpenSSL hands it over: this callback replaces
 * that verification (we trust nothing), hashes the certificate and
 * suspends the handshake there (SSL_set_retry_verify, OpenSSL 3.0), so
 * that neither the server's proof of its key (a signature verification),
 * nor the rest of the key schedule, nor our Finished are spent on a
 * connection we are about to close: about a quarter of the CPU an
 * endpoint costs us (bench/probe.sh; most of what is left is OpenSSL
 * 3.0 decoding the certificate's key while it parses the certificate).
 * The server's last messages are left unread: the close resets the
 * connection, as any client that gives up does.
 */
static int take_cert(X509_STORE_CTX *xs, void *arg)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct slot *s = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *x = X509_STORE_CTX_get0_cert(xs);
	unsigned len = 0;

	(void)arg;
	if (!s || !x)
		return 1; /* the handshake goes on: served() reads it at its end */
	s->taken = X509_digest(x, EVP_sha256(), s->ep->sha, &len) && len == 32;
#ifdef SSL_CTRL_SET_RETRY_VERIFY
	SSL_set_retry_verify(ssl);
#endif
	return 1;
}

/* What the endpoint serves, from the hash take_cert made or, for a
 * handshake that went to its end without it, from the session. */
static void served(struct prober *p, struct batch *b, struct slot *s)
{
	struct ep *e = s->ep;
	struct pcert *c = &b->c[e->cert];
	unsigned len = 0;

	(void)p;
	if (!s->taken) {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
		X509 *x = SSL_get1_peer_certificate(s->ssl);
#else
		X509 *x = SSL_get_peer_certificate(s->ssl);
#endif
		if (!x) {
			fail_ep(e, "%sno certificate served", NULL);
			return;
		}
		if (!X509_digest(x, EVP_sha256(), e->sha, &len) || len != 32) {
			X509_free(x);
			fail_ep(e, "%scannot hash the certificate served", NULL);
			return;
		}
		X509_free(x);
	}
	if (memcmp(e->sha, c->sha, 32) == 0)
		e->outcome = O_AFFECTED;
	else if (c->has_repl && memcmp(e->sha, c->rsha, 32) == 0)
		e->outcome = O_REPLACEMENT;
	else
		e->outcome = O_OTHER;
}

/* Moves the handshake on; true when the slot is done with. */
static bool handshake(struct prober *p, struct batch *b, struct slot *s)
{
	ERR_clear_error();
	errno = 0;
	int r = SSL_connect(s->ssl);
	if (r == 1) {
		served(p, b, s);
		return true;
	}
	switch (SSL_get_error(s->ssl, r)) {
	case SSL_ERROR_WANT_READ: s->events = POLLIN; return false;
	case SSL_ERROR_WANT_WRITE: s->events = POLLOUT; return false;
#ifdef SSL_ERROR_WANT_RETRY_VERIFY
	case SSL_ERROR_WANT_RETRY_VERIFY: /* suspended by take_cert */
		if (s->taken)
			served(p, b, s);
		else
			fail_ep(s->ep, "%scannot hash the certificate served", NULL);
		return true;
#endif
	default: tls_error(s->ep, s->ssl, r); return true;
	}
}

static bool start_tls(struct prober *p, struct batch *b, struct slot *s)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (!(s->ssl = SSL_new(p->ssl)) || !SSL_set_fd(s->ssl, s->fd)) {
		fail_ep(s->ep, "%sout of memory", NULL);
		return true;
	}
	SSL_set_app_data(s->ssl, s); /* for take_cert */
	/* RFC 6066 3: no address in server_name. */
	if (inet_pton(AF_INET, s->ep->host, &a4) != 1 && inet_pton(AF_INET6, s->ep->host, &a6) != 1)
		SSL_set_tlsext_host_name(s->ssl, s->ep->host);
	SSL_set_connect_state(s->ssl);
	s->state = S_HANDSHAKE;
	return handshake(p, b, s);
}

/* Starts probing s->ep; true when it is done with already (an error). */
static bool slot_start(struct prober *p, struct batch *b, struct slot *s)
{
	struct addrinfo hints, *ai = NULL;
	char port[8];
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(port, sizeof port, "%d", s->ep->port);
	/* An address needs no resolver; a name (localhost from /etc/hosts,
	 * or DNS) blocks this one thread for its lookup. */
	if ((rc = getaddrinfo(s->ep->host, port, &hints, &ai)) == EAI_NONAME) {
		hints.ai_flags = AI_NUMERICSERV;
		rc = getaddrinfo(s->ep->host, port, &hints, &ai);
	}
	if (rc) {
		fail_ep(s->ep, "cannot resolve the name: %s", gai_strerror(rc));
		return true;
	}
	s->fd =
	    socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (s->fd < 0) {
		freeaddrinfo(ai);
		fail_ep(s->ep, "socket: %s", strerror(errno));
		return true;
	}
	s->deadline = mono_ms() + p->timeout_ms;
	rc = connect(s->fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (rc == 0)
		return start_tls(p, b, s);
	if (errno != EINPROGRESS) {
		fail_ep(s->ep, "connect: %s", strerror(errno));
		return true;
	}
	s->state = S_CONNECT;
	s->events = POLLOUT;
	return false;
}

static bool slot_step(struct prober *p, struct batch *b, struct slot *s)
{
	if (s->state == S_CONNECT) {
		int err = 0;
		socklen_t len = sizeof err;
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		if (err) {
			fail_ep(s->ep, "connect: %s", strerror(err));
			return true;
		}
		return start_tls(p, b, s);
	}
	return handshake(p, b, s);
}

/* Probes every endpoint of the batch still to do, conc at a time. */
static int probe_batch(struct prober *p, struct batch *b, int conc)
{
	struct slot *slots = calloc((size_t)conc, sizeof *slots);
	struct pollfd *pfd = calloc((size_t)conc, sizeof *pfd);
	int *which = calloc((size_t)conc, sizeof *which);
	size_t next = 0;
	int active = 0;

	if (!slots || !pfd || !which) {
		free(slots);
		free(pfd);
		free(which);
		return wr_err(p->db, WR_ENOMEM, "out of memory");
	}
	for (int i = 0; i < conc; i++)
		slots[i].fd = -1;
	for (;;) {
		/* Fill the free slots. */
		for (int i = 0; i < conc && next < b->ne; i++) {
			if (slots[i].state != S_FREE)
				continue;
			while (next < b->ne && !b->e[next].todo)
				next++;
			if (next == b->ne)
				break;
			slots[i].ep = &b->e[next++];
			if (slot_start(p, b, &slots[i]))
				slot_close(&slots[i]), i--; /* done: the slot is free again */
			else
				active++;
		}
		if (!active)
			break;
		int n = 0;
		double now = mono_ms(), first = now + p->timeout_ms;
		for (int i = 0; i < conc; i++) {
			if (slots[i].state == S_FREE)
				continue;
			pfd[n].fd = slots[i].fd;
			pfd[n].events = slots[i].events;
			pfd[n].revents = 0;
			which[n++] = i;
			if (slots[i].deadline < first)
				first = slots[i].deadline;
		}
		int wait = first > now ? (int)(first - now) + 1 : 0;
		if (poll(pfd, (nfds_t)n, wait) < 0 && errno != EINTR) {
			int e = errno;
			for (int i = 0; i < conc; i++)
				if (slots[i].state != S_FREE)
					slot_close(&slots[i]);
			free(slots);
			free(pfd);
			free(which);
			return wr_err(p->db, WR_EIO, "poll: %s", strerror(e));
		}
		now = mono_ms();
		for (int k = 0; k < n; k++) {
			struct slot *s = &slots[which[k]];
			bool done;
			if (pfd[k].revents)
				done = slot_step(p, b, s);
			else if (now >= s->deadline) {
				char t[64];
				snprintf(t, sizeof t, "%.3g s", p->timeout_ms / 1e3);
				fail_ep(s->ep,
					s->state == S_CONNECT ? "no connection within %s"
							      : "no TLS handshake within %s",
					t);
				done = true;
			} else {
				continue;
			}
			if (done) {
				slot_close(s);
				active--;
			}
		}
	}
	free(slots);
	free(pfd);
	free(which);
	return 0;
}

/* ---- recording ----------------------------------------------------------------------- */

/* Writes the batch's results and each certificate's summary, in the
 * caller's transaction. */
static int record(struct prober *p, struct batch *b, struct wr_probe_stats *st)
{
	sqlite3_stmt *put = NULL, *rows = NULL, *del = NULL, *sum = NULL, *rep = NULL;
	char *ids = NULL;
	int rc;

	if ((rc = wr_prepare(p->db,
			     "INSERT INTO probe(cert_id, host, port, round, checked_at,"
			     " outcome, sha256, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
			     " ON CONFLICT(cert_id, host, port) DO UPDATE SET round = ?4,"
			     " checked_at = ?5, outcome = ?6, sha256 = ?7, error = ?8",
			     &put)) ||
	    (rc = wr_prepare(p->db, "SELECT host, port, outcome FROM probe WHERE cert_id = ?",
			     &rows)) ||
	    (rc = wr_prepare(p->db, "DELETE FROM probe WHERE cert_id = ? AND host = ? AND port = ?",
			     &del)) ||
	    (rc = wr_prepare(p->db,
			     "INSERT INTO probe_cert(cert_id, endpoints, probed, deployed,"
			     " unreachable, checked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
			     " ON CONFLICT(cert_id) DO UPDATE SET endpoints = ?2, probed = ?3,"
			     " deployed = ?4, unreachable = ?5, checked_at = ?6",
			     &sum)) ||
	    (rc = wr_prepare(p->db,
			     "UPDATE cert SET replaced_at = CASE WHEN ?2"
			     " THEN coalesce(replaced_at, ?3) END WHERE id = ?1"
			     " AND (replaced_at IS NULL) = ?2",
			     &rep)))
		goto out;
	/* The customers' figures (tally.c): the batch's certificates taken
	 * out before, put back after, one grouped statement each. */
	json_t *idv = json_array();
	for (size_t ci = 0; idv && ci < b->nc; ci++)
		json_array_append_new(idv, json_integer(b->c[ci].id));
	ids = idv ? json_dumps(idv, JSON_COMPACT) : NULL;
	json_decref(idv);
	if (!ids) {
		rc = wr_err(p->db, WR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = wr_tally_begin(p->db)) || (rc = wr_tally_rows(p->db, WR_TALLY_IDS, ids, 0, -1)))
		goto out;
	for (size_t i = 0; i < b->ne; i++) {
		struct ep *e = &b->e[i];
		if (!e->todo)
			continue;
		sqlite3_reset(put);
		sqlite3_bind_int64(put, 1, b->c[e->cert].id);
		sqlite3_bind_text(put, 2, e->host, -1, SQLITE_STATIC);
		sqlite3_bind_int(put, 3, e->port);
		sqlite3_bind_int64(put, 4, p->round);
		sqlite3_bind_int64(put, 5, p->now);
		sqlite3_bind_text(put, 6, outcome_name[e->outcome], -1, SQLITE_STATIC);
		if (e->outcome != O_UNREACHABLE) {
			sqlite3_bind_blob(put, 7, e->sha, 32, SQLITE_STATIC);
			sqlite3_bind_null(put, 8);
		} else {
			sqlite3_bind_null(put, 7);
			sqlite3_bind_text(put, 8, e->err, -1, SQLITE_STATIC);
		}
		if (sqlite3_step(put) != SQLITE_DONE) {
			rc = wr_err_sq(p->db, "recording a probe");
			goto out;
		}
		st->endpoints++;
		switch (e->outcome) {
		case O_AFFECTED: st->affected++; break;
		case O_REPLACEMENT: st->replacement++; break;
		case O_OTHER: st->other++; break;
		default: st->unreachable++; break;
		}
	}
	/* Each certificate of the batch from all its endpoints' newest
	 * results: the rows of endpoints it no longer has go. */
	for (size_t ci = 0; ci < b->nc; ci++) {
		struct pcert *c = &b->c[ci];
		int64_t probed = 0, n[4] = {0};
		sqlite3_reset(rows);
		sqlite3_bind_int64(rows, 1, c->id);
		while ((rc = sqlite3_step(rows)) == SQLITE_ROW) {
			const char *h = wr_col_text(rows, 0), *o = wr_col_text(rows, 2);
			int port = sqlite3_column_int(rows, 1);
			bool current = false;
			for (size_t i = c->first; i < c->first + c->n && !current; i++)
				current = b->e[i].port == port && h && strcmp(b->e[i].host, h) == 0;
			if (!current) {
				sqlite3_reset(del);
				sqlite3_bind_int64(del, 1, c->id);
				sqlite3_bind_text(del, 2, h, -1, SQLITE_TRANSIENT);
				sqlite3_bind_int(del, 3, port);
				if (sqlite3_step(del) != SQLITE_DONE) {
					rc = wr_err_sq(p->db, "forgetting an old endpoint");
					goto out;
				}
				continue;
			}
			probed++;
			for (int k = 0; k < 4; k++)
				if (o && strcmp(o, outcome_name[k]) == 0)
					n[k]++;
		}
		if (rc != SQLITE_DONE) {
			rc = wr_err_sq(p->db, "reading probes");
			goto out;
		}
		bool all = probed == (int64_t)c->n;
		sqlite3_reset(sum);
		sqlite3_bind_int64(sum, 1, c->id);
		sqlite3_bind_int64(sum, 2, (int64_t)c->n);
		sqlite3_bind_int64(sum, 3, probed);
		sqlite3_bind_int(sum, 4, all && n[O_REPLACEMENT] == probed);
		sqlite3_bind_int(sum, 5, n[O_UNREACHABLE] > 0);
		sqlite3_bind_int64(sum, 6, p->now);
		if (sqlite3_step(sum) != SQLITE_DONE) {
			rc = wr_err_sq(p->db, "summing up probes");
			goto out;
		}
		/* Replaced when every endpoint serves something else; back to
		 * not replaced when one serves the affected certificate again;
		 * an unreachable endpoint tells neither. */
		int set = all && !n[O_AFFECTED] && !n[O_UNREACHABLE] ? 1 : n[O_AFFECTED] ? 0 : -1;
		if (set >= 0) {
			sqlite3_reset(rep);
			sqlite3_bind_int64(rep, 1, c->id);
			sqlite3_bind_int(rep, 2, set);
			sqlite3_bind_int64(rep, 3, p->now);
			if (sqlite3_step(rep) != SQLITE_DONE) {
				rc = wr_err_sq(p->db, "marking a certificate replaced");
				goto out;
			}
			if (sqlite3_changes(p->db->sq)) {
				if (set)
					st->replaced++;
				else
					st->unreplaced++;
			}
		}
	}
	rc = wr_tally_rows(p->db, WR_TALLY_IDS, ids, 0, 1);
out:
	free(ids);
	sqlite3_finalize(put);
	sqlite3_finalize(rows);
	sqlite3_finalize(del);
	sqlite3_finalize(sum);
	sqlite3_finalize(rep);
	return rc;
}

/* ---- the run ------------------------------------------------------------------------- */

static SSL_CTX *client_ctx(void)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());

	if (!c)
		return NULL;
	/* Whatever is served, however weak: we read it, we trust nothing. */
	SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_cert_verify_callback(c, take_cert, NULL);
	SSL_CTX_set_security_level(c, 0);
	SSL_CTX_set_min_proto_version(c, TLS1_VERSION);
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(c, SSL_OP_NO_TICKET | SSL_OP_LEGACY_SERVER_CONNECT);
	/* The server's flight in as few read(2)s as it came, not two per
	 * record (its header, then its body). */
	SSL_CTX_set_read_ahead(c, 1);
	return c;
}

static int new_round(struct wr_db *db, int64_t *round)
{
	int rc;

	if ((rc = wr_tx_begin(db)))
		return rc;
	if ((rc = wr_exec(db, "UPDATE probe_round SET round = round + 1")) ||
	    (rc = wr_query_int(db, "SELECT round FROM probe_round", round))) {
		wr_tx_rollback(db);
		return rc;
	}
	return wr_tx_commit(db);
}

static int probe_all(struct prober *p, struct batch *b, const struct wr_probe_opts *o,
		     struct wr_probe_stats *st, int conc)
{
	struct wr_db *db = p->db;
	int64_t last = 0, total = 0;
	char args[300];
	bool more;
	int rc;

	/* The total first: one pass reading, no connection. */
	do {
		batch_clear(b);
		if ((rc = gather(p, b, &last, 4096, &more)))
			return rc;
		total += (int64_t)b->todo;
	} while (more);
	st->total = total;

	snprintf(args, sizeof args, "%s%s%s", o->again ? "--again" : "",
		 o->again && o->customer ? " " : "", o->customer ? "--customer" : "");
	if ((rc = wr_run_begin(db, "probe", args, total, &st->run_id)))
		return rc;
	size_t want = (size_t)conc * BATCH_PER_SLOT;
	if (want < BATCH_MIN)
		want = BATCH_MIN;
	last = 0;
	do {
		int check = wr_run_check(db, st->run_id, st->cancelled_by);
		if (check == WR_RUN_STOP) {
			st->cancelled = true;
			break;
		}
		batch_clear(b);
		if ((rc = gather(p, b, &last, want, &more)))
			break;
		if (!b->todo)
			break;
		if ((rc = probe_batch(p, b, conc)))
			break;
		p->now = wr_clock_now(db);
		if ((rc = wr_tx_begin(db)))
			break;
		if ((rc = record(p, b, st))) {
			wr_tx_rollback(db);
			break;
		}
		if ((rc = wr_tx_commit(db)))
			break;
		const char *err = NULL;
		for (size_t i = 0; i < b->ne && !err; i++)
			if (b->e[i].todo && b->e[i].outcome == O_UNREACHABLE)
				err = b->e[i].err;
		wr_run_progress(db, st->run_id, st->endpoints, st->unreachable, err);
	} while (more);

	if (!rc) {
		json_t *d = json_pack(
		    "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:b}", "round",
		    (json_int_t)p->round, "endpoints", (json_int_t)st->endpoints, "affected",
		    (json_int_t)st->affected, "replacement", (json_int_t)st->replacement, "other",
		    (json_int_t)st->other, "unreachable", (json_int_t)st->unreachable, "replaced",
		    (json_int_t)st->replaced, "unreplaced", (json_int_t)st->unreplaced, "again",
		    o->again, "cancelled", st->cancelled);
		if (d && o->customer)
			json_object_set_new(d, "customer", json_string(o->customer));
		if (!(rc = wr_tx_begin(db))) {
			if ((rc = wr_event_add_json(db, "probe", d)))
				wr_tx_rollback(db);
			else
				rc = wr_tx_commit(db);
		} else {
			json_decref(d);
		}
	}
	wr_run_end(db, st->run_id, rc ? "failed" : st->cancelled ? "cancelled" : "done");
	return rc;
}

int wr_probe_run(struct wr_db *db, const struct wr_probe_opts *o, struct wr_probe_stats *st)
{
	struct prober p = {.db = db, .o = o};
	struct batch b = {0};
	int rc, conc;

	memset(st, 0, sizeof *st);
	if ((rc = wr_auth_team(db, "replacement")))
		return rc;
	conc = o->concurrency > 0 ? o->concurrency
				  : (int)wr_config_int(db->cfg, "probe", "concurrency", 64);
	if (conc < 1 || conc > 4096)
		return wr_err(db, WR_EINVAL, "concurrency %d: want 1 to 4096", conc);
	p.timeout_ms = o->timeout_ms > 0
			   ? o->timeout_ms
			   : (int)wr_config_int(db->cfg, "probe", "timeout", 5) * 1000;
	if (p.timeout_ms <= 0)
		p.timeout_ms = 5000;
	if (o->customer) {
		int64_t n = 0;
		sqlite3_stmt *q;
		if ((rc = wr_prepare(db, "SELECT count(*) FROM customer WHERE name = ?", &q)))
			return rc;
		sqlite3_bind_text(q, 1, o->customer, -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW)
			n = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
		if (!n)
			return wr_err(db, WR_ENOENT,
				      "no customer of that name ('warroom customers'"
				      " lists them)");
	}
	if (o->again)
		rc = new_round(db, &p.round);
	else
		rc = wr_query_int(db, "SELECT round FROM probe_round", &p.round);
	if (rc)
		return rc;
	st->round = p.round;
	if (!(p.ssl = client_ctx()))
		return wr_err(db, WR_ENOMEM, "cannot make a TLS context");
	if ((rc = wr_prepare(db,
			     "SELECT c.id, c.sha256, c.endpoints, c.sans, r.sha256 FROM cert c"
			     " LEFT JOIN replacement r ON r.cert_id = c.id WHERE c.id > ?1"
			     " AND (?2 IS NULL OR c.customer = ?2) ORDER BY c.id LIMIT ?3",
			     &p.certs)) ||
	    (rc = wr_prepare(db,
			     "SELECT 1 FROM probe WHERE cert_id = ?1 AND host = ?2"
			     " AND port = ?3 AND round = ?4",
			     &p.seen)))
		goto out;

	/* A server that closes while we write would raise SIGPIPE, which
	 * kills by default: ignored while probing, as curl does. */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	rc = probe_all(&p, &b, o, st, conc);
	sigaction(SIGPIPE, &old, NULL);
out:
	sqlite3_finalize(p.certs);
	sqlite3_finalize(p.seen);
	SSL_CTX_free(p.ssl);
	batch_free(&b);
	return rc;
}
