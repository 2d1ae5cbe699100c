/*
 * contacts.c: contact readiness, `warroom contacts check` (BR 5.7.1.2 asks
 * a mass revocation plan to keep contact information current, so a CA
 * learns before an event that its contact list is stale).
 *
 * Each customer's contact is judged three ways, in order: is there one;
 * is it well-formed (the address rule below); does its domain take mail
 * by the DNS: an MX record (a null MX, RFC 7505, says it takes none), else
 * an A or AAAA record (RFC 5321 5.1: the domain is its own mail server).
 * The DNS is asked with glibc's resolver (res_nquery, libresolv), the
 * system's servers or [contacts] resolver = ADDR[:PORT], each query with
 * [contacts] timeout seconds per attempt and [contacts] attempts, so a
 * dead resolver costs a bounded wait and says so ("no answer within N
 * s"); each domain is asked once per check.
 *
 * With send_test, the test message (template contact-test) goes to every
 * well-formed address through notify's sending path (notify.c), which
 * records it in the message table like a notice without ever counting it
 * as one. Nothing here prints.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define LOCAL_MAX  64  /* RFC 5321 4.5.3.1.1 */
#define DOMAIN_MAX 253 /* RFC 1035, without the root's dot */
#define LABEL_MAX  63
#define ADDR_MAX   254 /* RFC 5321's path, less its brackets */

static const char *const status_names[WR_CONTACT_NSTATUS] = {
    "ok", "no-contact", "malformed", "no-domain", "no-mail", "no-answer",
};

const char *wr_contact_status_name(int status)
{
	return status >= 0 && status < WR_CONTACT_NSTATUS ? status_names[status] : "?";
}

/* ---- the address rule ------------------------------------------------------------- */

/* RFC 5322 atext: the characters of a dot-atom's atoms. */
static bool atext(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static int bad(char *why, size_t whysz, const char *fmt, const char *arg)
{
	snprintf(why, whysz, fmt, arg);
	return WR_EINVAL;
}

/*
 * The rule, for an address a mail server will take as it is:
 *   - at most 254 bytes of printable ASCII: no control byte (CR, LF, TAB,
 *     NUL...), no space, nothing non-ASCII (that would need SMTPUTF8; an
 *     IDN domain is written in its xn-- form);
 *   - exactly one @, with a local part before it and a domain after;
 *   - the local part a dot-atom of at most 64 bytes: letters, digits and
 *     ! # $ % & ' * + - / = ? ^ _ ` { | } ~, dots only between them (no
 *     quoted local parts, no comments, no display name);
 *   - the domain a host name of at most 253 bytes and two labels or more,
 *     each 1 to 63 letters, digits or hyphens, not beginning or ending
 *     with a hyphen, the last not all digits (no address literals, no
 *     bare IP addresses, no trailing dot).
 * It is wr_contact_check's (customer.c) and more: what passes here also
 * passes there.
 */
int wr_contacts_address_check(const char *addr, char *why, size_t whysz)
{
	size_t n = strlen(addr);
	const char *at = NULL;

	if (!n)
		return bad(why, whysz, "%sno address", "");
	if (n > ADDR_MAX) {
		snprintf(why, whysz, "%zu bytes: an address has at most %d", n, ADDR_MAX);
		return WR_EINVAL;
	}
	for (const unsigned char *u = (const unsigned char *)addr; *u; u++) {
		if (*u < 0x20 || *u == 0x7f)
			return bad(why, whysz,
				   "%sa line break or another control character (one address on"
				   " one line, user@example.com)",
				   "");
		if (*u >= 0x80)
			return bad(why, whysz,
				   "%snon-ASCII text (an internationalised address needs SMTPUTF8;"
				   " write the domain as xn--...)",
				   "");
		if (*u == ' ')
			return bad(why, whysz, "%sa space (one bare address, user@example.com)",
				   "");
		if (*u == '@') {
			if (at)
				return bad(why, whysz, "%smore than one @", "");
			at = (const char *)u;
		}
	}
	if (!at)
		return bad(why, whysz, "%sno @ (user@example.com)", "");

	/* The local part: a dot-atom. */
	size_t ln = (size_t)(at - addr);
	if (!ln)
		return bad(why, whysz, "%snothing before the @", "");
	if (ln > LOCAL_MAX) {
		snprintf(why, whysz, "a local part of %zu bytes: at most %d before the @", ln,
			 LOCAL_MAX);
		return WR_EINVAL;
	}
	for (size_t i = 0; i < ln; i++) {
		unsigned char c = (unsigned char)addr[i];
		if (c == '.') {
			if (i == 0 || i == ln - 1 || addr[i + 1] == '.')
				return bad(
				    why, whysz,
				    "%sa dot at the start or end of the local part, or two in"
				    " a row",
				    "");
		} else if (!atext(c)) {
			char ch[2] = {(char)c, '\0'};
			return bad(why, whysz,
				   "'%s' in the local part (quoted local parts, comments and"
				   " names are not taken)",
				   ch);
		}
	}

	/* The domain: a host name of two labels or more. */
	const char *d = at + 1;
	size_t dn = strlen(d), labels = 0;
	if (!dn)
		return bad(why, whysz, "%snothing after the @", "");
	if (*d == '[')
		return bad(why, whysz, "%san address literal ([...]): want a domain name", "");
	if (dn > DOMAIN_MAX) {
		snprintf(why, whysz, "a domain of %zu bytes: at most %d", dn, DOMAIN_MAX);
		return WR_EINVAL;
	}
	const char *last = d;
	for (const char *p = d;;) {
		const char *e = strchr(p, '.');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (!len)
			return bad(why, whysz, "an empty label in the domain '%s'", d);
		if (len > LABEL_MAX)
			return bad(why, whysz, "a label over 63 bytes in the domain '%s'", d);
		if (p[0] == '-' || p[len - 1] == '-')
			return bad(why, whysz, "a label beginning or ending with '-' in '%s'", d);
		for (size_t i = 0; i < len; i++)
			if (!isalnum((unsigned char)p[i]) && p[i] != '-')
				return bad(why, whysz,
					   "the domain '%s' holds a character other than letters,"
					   " digits, hyphens and dots",
					   d);
		labels++;
		last = p;
		if (!e)
			break;
		p = e + 1;
	}
	if (labels < 2)
		return bad(why, whysz,
			   "the domain '%s' has one label: want a full name (example.com)", d);
	bool digits = true;
	for (const char *p = last; *p; p++)
		if (!isdigit((unsigned char)*p))
			digits = false;
	if (digits)
		return bad(why, whysz, "the domain '%s' is an IP address, not a name", d);
	return 0;
}

/* ---- the resolver ----------------------------------------------------------------- */

struct resolver {
	struct __res_state rs;
	bool open;
	int timeout, attempts;
	char label[64]; /* "127.0.0.1:5353", or "the system's resolver" */
	int silent;     /* questions in a row it did not answer */
	bool refused;   /* the last: port unreachable (nothing listens) */
};

/* A resolver that left this many questions in a row unanswered is not
 * asked again by this check: with a thousand domains, a dead resolver
 * would otherwise cost a thousand timeouts. */
#define SILENT_MAX 3

enum qres { Q_ANSWER, Q_NODATA, Q_NXDOMAIN, Q_NOANSWER, Q_FAILED };

static int resolver_open(struct wr_db *db, struct resolver *r)
{
	const struct wr_config *cfg = wr_db_config(db);
	const char *spec = wr_config_get(cfg, "contacts", "resolver");
	int64_t timeout = wr_config_int(cfg, "contacts", "timeout", 5);
	int64_t attempts = wr_config_int(cfg, "contacts", "attempts", 2);
	struct in_addr ip;
	long port = NS_DEFAULTPORT;

	if (timeout < 1 || timeout > 60)
		return wr_err(db, WR_EINVAL, "[contacts] timeout: want 1 to 60 seconds, got %lld",
			      (long long)timeout);
	if (attempts < 1 || attempts > 5)
		return wr_err(db, WR_EINVAL, "[contacts] attempts: want 1 to 5, got %lld",
			      (long long)attempts);
	if (spec) {
		char host[64];
		const char *colon = strchr(spec, ':');
		size_t hl = colon ? (size_t)(colon - spec) : strlen(spec);
		char *end = NULL;
		if (colon) {
			errno = 0;
			port = strtol(colon + 1, &end, 10);
		}
		if (hl >= sizeof host ||
		    (colon && (!colon[1] || *end || errno || port < 1 || port > 65535)))
			goto bad_spec;
		memcpy(host, spec, hl);
		host[hl] = '\0';
		if (inet_pton(AF_INET, host, &ip) != 1)
			goto bad_spec;
	}
	memset(&r->rs, 0, sizeof r->rs);
	if (res_ninit(&r->rs) != 0)
		return wr_err(db, WR_EIO, "cannot set up the DNS resolver (res_ninit)");
	r->open = true;
	r->timeout = (int)timeout;
	r->attempts = (int)attempts;
	r->rs.retrans = r->timeout;
	r->rs.retry = r->attempts;
	/* The names asked are whole: no search list, no default domain. */
	r->rs.options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES);
	if (spec) {
		/* One server, the configured one (tests: a dnsmasq on 127.0.0.1). */
		memset(&r->rs.nsaddr_list[0], 0, sizeof r->rs.nsaddr_list[0]);
		r->rs.nsaddr_list[0].sin_family = AF_INET;
		r->rs.nsaddr_list[0].sin_addr = ip;
		r->rs.nsaddr_list[0].sin_port = htons((uint16_t)port);
		r->rs.nscount = 1;
		char addr[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &ip, addr, sizeof addr);
		snprintf(r->label, sizeof r->label, "%s:%ld", addr, port);
	} else {
		snprintf(r->label, sizeof r->label, "the system's resolver");
	}
	return 0;
bad_spec:
	return wr_err(db, WR_EINVAL,
		      "[contacts] resolver: want an IPv4 address, then :PORT if not 53"
		      " (127.0.0.1:5353), got '%.80s'",
		      spec);
}

static void resolver_close(struct resolver *r)
{
	if (r->open)
		res_nclose(&r->rs);
	r->open = false;
}

/* Asks for name's records of type; *n the answers of that type, their
 * data (MX: "PREF HOST" each, A/AAAA: the address) in out. */
static enum qres query(struct resolver *r, const char *name, int type, int *n, char *out,
		       size_t outsz)
{
	unsigned char ans[4096];
	ns_msg msg;

	*n = 0;
	out[0] = '\0';
	if (r->silent >= SILENT_MAX)
		return Q_NOANSWER;
	errno = 0;
	int len = res_nquery(&r->rs, name, ns_c_in, type, ans, sizeof ans);
	if (len < 0 && r->rs.res_h_errno == TRY_AGAIN &&
	    (errno == ETIMEDOUT || errno == ECONNREFUSED)) {
		/* No answer: a timeout, or nothing listening (glibc says
		 * TRY_AGAIN for a SERVFAIL too, with another errno). */
		r->silent++;
		r->refused = errno == ECONNREFUSED;
		return Q_NOANSWER;
	}
	r->silent = 0;
	if (len < 0) {
		switch (r->rs.res_h_errno) {
		case HOST_NOT_FOUND: return Q_NXDOMAIN;
		case NO_DATA: return Q_NODATA;
		default: return Q_FAILED;
		}
	}
	if (ns_initparse(ans, len, &msg) < 0)
		return Q_FAILED;
	int count = ns_msg_count(msg, ns_s_an);
	size_t used = 0;
	for (int i = 0; i < count; i++) {
		ns_rr rr;
		char text[NS_MAXDNAME + 16];
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			return Q_FAILED;
		if ((int)ns_rr_type(rr) != type)
			continue; /* a CNAME on the way */
		const unsigned char *rd = ns_rr_rdata(rr);
		if (type == ns_t_mx) {
			char host[NS_MAXDNAME];
			if (ns_rr_rdlen(rr) < 3 ||
			    ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg), rd + 2, host,
					       sizeof host) < 0)
				return Q_FAILED;
			snprintf(text, sizeof text, "%u %s", ns_get16(rd), host[0] ? host : ".");
		} else if (type == ns_t_a && ns_rr_rdlen(rr) == 4) {
			inet_ntop(AF_INET, rd, text, sizeof text);
		} else if (type == ns_t_aaaa && ns_rr_rdlen(rr) == 16) {
			inet_ntop(AF_INET6, rd, text, sizeof text);
		} else {
			return Q_FAILED;
		}
		(*n)++;
		size_t tl = strlen(text);
		if (used + tl + 3 < outsz) {
			used += (size_t)snprintf(out + used, outsz - used, "%s%s", used ? ", " : "",
						 text);
		}
	}
	return *n ? Q_ANSWER : Q_NODATA;
}

/* What the DNS says of a mail domain: status and detail. */
static int judge_domain(struct resolver *r, const char *domain, char *detail, size_t dsz)
{
	static const struct {
		int type;
		const char *name;
	} asks[] = {{ns_t_mx, "MX"}, {ns_t_a, "A"}, {ns_t_aaaa, "AAAA"}};
	char data[240];
	int n;

	for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++) {
		switch (query(r, domain, asks[i].type, &n, data, sizeof data)) {
		case Q_ANSWER:
			if (asks[i].type == ns_t_mx && n == 1 && strcmp(data, "0 .") == 0) {
				snprintf(detail, dsz,
					 "%s has a null MX: it takes no mail (RFC 7505)", domain);
				return WR_CONTACT_NO_MAIL;
			}
			if (asks[i].type == ns_t_mx)
				snprintf(detail, dsz, "MX %s", data);
			else
				snprintf(detail, dsz,
					 "no MX; %s %s (the domain takes its own mail)",
					 asks[i].name, data);
			return WR_CONTACT_OK;
		case Q_NODATA: continue;
		case Q_NXDOMAIN:
			snprintf(detail, dsz, "%s does not exist (NXDOMAIN)", domain);
			return WR_CONTACT_NO_DOMAIN;
		case Q_NOANSWER:
			if (r->silent > SILENT_MAX)
				snprintf(detail, dsz,
					 "not asked: %s left the last %d questions unanswered"
					 " (no answer within %d s each)",
					 r->label, SILENT_MAX, r->timeout * r->attempts);
			else
				snprintf(detail, dsz, "no answer within %d s from %s (%s of %s%s)",
					 r->timeout * r->attempts, r->label, asks[i].name, domain,
					 r->refused ? "; port unreachable: no DNS server there"
						    : "");
			if (r->silent == SILENT_MAX)
				r->silent++; /* from now on: not asked */
			return WR_CONTACT_NO_ANSWER;
		case Q_FAILED:
			snprintf(detail, dsz, "%s could not say (%s of %s: %s)", r->label,
				 asks[i].name, domain, hstrerror(r->rs.res_h_errno));
			return WR_CONTACT_NO_ANSWER;
		}
	}
	snprintf(detail, dsz, "%s has no MX, A or AAAA record: no mail can reach it", domain);
	return WR_CONTACT_NO_MAIL;
}

/* ---- the check -------------------------------------------------------------------- */

struct item {
	char *name, *contact;
	bool critical;
	int status;
	char detail[512];
	char test_state[12]; /* "" none */
	char *test_detail;
};

struct domain {
	char *name; /* lower case */
	int status;
	char detail[512];
};

struct check {
	struct item *v;
	size_t n;
	struct item **by_name; /* v sorted by name, for the sender's callback */
};

static void items_free(struct check *ck)
{
	for (size_t i = 0; i < ck->n; i++) {
		free(ck->v[i].name);
		free(ck->v[i].contact);
		free(ck->v[i].test_detail);
	}
	free(ck->v);
	free(ck->by_name);
}

static int load(struct wr_db *db, struct check *ck)
{
	sqlite3_stmt *q;
	size_t cap = 0;
	int rc;

	if ((rc = wr_prepare(db,
			     "SELECT name, contact, critical FROM customer"
			     " ORDER BY critical DESC, name",
			     &q)))
		return rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (ck->n == cap) {
			size_t c2 = cap ? cap * 2 : 64;
			struct item *nv = realloc(ck->v, c2 * sizeof *nv);
			if (!nv)
				goto oom;
			ck->v = nv;
			cap = c2;
		}
		struct item *it = &ck->v[ck->n++];
		memset(it, 0, sizeof *it);
		const char *c = wr_col_text(q, 1);
		if (!(it->name = strdup(wr_col_text(q, 0) ? wr_col_text(q, 0) : "")) ||
		    (c && *c && !(it->contact = strdup(c))))
			goto oom;
		it->critical = sqlite3_column_int(q, 2) != 0;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return wr_err_sq(db, "reading the customers");
	return 0;
oom:
	sqlite3_finalize(q);
	return wr_err(db, WR_ENOMEM, "out of memory");
}

static int by_name_cmp(const void *a, const void *b)
{
	return strcmp((*(struct item *const *)a)->name, (*(struct item *const *)b)->name);
}

static void on_test(const char *customer, const char *contact, const char *state,
		    const char *detail, void *arg)
{
	struct check *ck = arg;
	struct item key = {.name = (char *)customer}, *kp = &key;
	struct item **found = bsearch(&kp, ck->by_name, ck->n, sizeof *ck->by_name, by_name_cmp);

	(void)contact;
	if (!found)
		return;
	snprintf((*found)->test_state, sizeof(*found)->test_state, "%s", state);
	free((*found)->test_detail);
	(*found)->test_detail = detail ? strdup(detail) : NULL;
}

int wr_contacts_check(struct wr_db *db, const struct wr_contacts_opts *o, wr_contacts_cb cb,
		      void *ctx, struct wr_contacts_stats *st)
{
	struct check ck = {0};
	struct resolver r = {0};
	struct domain *dv = NULL;
	size_t nd = 0, capd = 0;
	int rc;

	memset(st, 0, sizeof *st);
	/* Refused before any question is asked, not after. */
	if (o && o->send_test && (rc = wr_auth_team(db, "customer-relations")))
		return rc;
	if ((rc = load(db, &ck)))
		goto out;
	for (size_t i = 0; i < ck.n; i++) {
		struct item *it = &ck.v[i];
		if (!it->contact) {
			it->status = WR_CONTACT_NONE;
			snprintf(it->detail, sizeof it->detail,
				 "no contact: set one with 'warroom customer set NAME --contact"
				 " ADDR'");
			continue;
		}
		char why[240];
		if (wr_contacts_address_check(it->contact, why, sizeof why)) {
			it->status = WR_CONTACT_MALFORMED;
			snprintf(it->detail, sizeof it->detail, "%s", why);
			continue;
		}
		/* Well-formed, so ASCII: its domain, lower-cased, asked once. */
		char dom[DOMAIN_MAX + 1];
		snprintf(dom, sizeof dom, "%s", strchr(it->contact, '@') + 1);
		for (char *p = dom; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		size_t k = 0;
		while (k < nd && strcmp(dv[k].name, dom) != 0)
			k++;
		if (k == nd) {
			if (!r.open && (rc = resolver_open(db, &r)))
				goto out;
			if (nd == capd) {
				size_t c2 = capd ? capd * 2 : 16;
				struct domain *nv = realloc(dv, c2 * sizeof *nv);
				if (!nv) {
					rc = wr_err(db, WR_ENOMEM, "out of memory");
					goto out;
				}
				dv = nv;
				capd = c2;
			}
			if (!(dv[k].name = strdup(dom))) {
				rc = wr_err(db, WR_ENOMEM, "out of memory");
				goto out;
			}
			nd++;
			dv[k].status = judge_domain(&r, dom, dv[k].detail, sizeof dv[k].detail);
		}
		const struct domain *d = &dv[k];
		it->status = d->status;
		snprintf(it->detail, sizeof it->detail, "%s", d->detail);
	}

	int send_rc = 0;
	if (o && o->send_test && ck.n) {
		struct wr_notify_opts no = {.contact_test = true};
		struct wr_notify_stats ns;
		if (!(ck.by_name = malloc(ck.n * sizeof *ck.by_name))) {
			rc = wr_err(db, WR_ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < ck.n; i++)
			ck.by_name[i] = &ck.v[i];
		qsort(ck.by_name, ck.n, sizeof *ck.by_name, by_name_cmp);
		/* The list is worth having even when the sending fails: its
		 * error is returned after it. */
		send_rc = wr_notify_run(db, &no, on_test, &ck, &ns);
	}

	for (size_t i = 0; i < ck.n; i++) {
		struct item *it = &ck.v[i];
		struct wr_contact_result res = {
		    .name = it->name,
		    .contact = it->contact,
		    .critical = it->critical,
		    .status = it->status,
		    .test_state = it->test_state[0] ? it->test_state : NULL,
		    .test_detail = it->test_detail,
		};
		snprintf(res.detail, sizeof res.detail, "%s", it->detail);
		st->customers++;
		st->by_status[it->status]++;
		bool test_ok = !res.test_state || strcmp(res.test_state, "sent") == 0;
		if (res.test_state)
			(*(test_ok ? &st->tests_sent : &st->tests_failed))++;
		if (it->status == WR_CONTACT_OK && test_ok)
			st->fine++;
		if (cb && (rc = cb(&res, ctx)))
			goto out;
	}
	rc = send_rc;
out:
	resolver_close(&r);
	for (size_t k = 0; k < nd; k++)
		free(dv[k].name);
	free(dv);
	items_free(&ck);
	return rc;
}
