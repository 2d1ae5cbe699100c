/*
 * metrics.c: the incident's overall figures, as the post-mortem and an
 * exercise's report give them: how long from discovery to the
 * declaration, to the first customer notice and to the last revocation,
 * and whether the deadline was met and by how much.
 *
 * Read from the incident row, the messages sent and the certificates,
 * at the incident's clock; nothing here writes.
 */
#include <string.h>

#include "internal.h"

static int one_int(struct wr_db *db, const char *sql, int64_t bind, int64_t *out)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_prepare(db, sql, &st)))
		return rc;
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, bind);
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? wr_col_i64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : wr_err_sq(db, "reading the incident's figures");
}

static int64_t since(int64_t from, int64_t to)
{
	return from && to ? to - from : -1;
}

int wr_metrics_get(struct wr_db *db, struct wr_metrics *m)
{
	struct wr_status s;
	int64_t last = 0;
	int rc;

	memset(m, 0, sizeof *m);
	if ((rc = wr_status_get(db, &s)))
		return rc;
	m->discovered = s.discovered;
	m->declared = s.declared;
	m->deadline = s.deadline;
	m->closed = s.closed;
	m->remaining = s.counts.pending + s.counts.held;
	/* The first notice a customer was sent (a `contacts check
	 * --send-test` message is no notice); a certificate marked notified
	 * without one (an earlier version, by hand) counts too. */
	int64_t sent = 0, marked = 0;
	if ((rc = one_int(db,
			  "SELECT min(sent_at) FROM message WHERE state = 'sent' AND"
			  " template <> 'contact-test'",
			  0, &sent)) ||
	    (rc = one_int(db, "SELECT min(notified_at) FROM cert", 0, &marked)))
		return rc;
	m->first_notice = sent && (!marked || sent < marked) ? sent : marked;
	if ((rc = one_int(db, "SELECT max(revoked_at) FROM cert", 0, &last)))
		return rc;
	if (m->remaining == 0 && s.counts.affected > 0)
		m->revocation_complete = last;
	m->to_declare = since(m->discovered, m->declared);
	m->to_first_notice = since(m->discovered, m->first_notice);
	m->to_revocation_complete = since(m->discovered, m->revocation_complete);
	if (m->deadline) {
		if ((rc = one_int(db, "SELECT count(*) FROM cert WHERE revoked_at <= ?1",
				  m->deadline, &m->revoked_by_deadline)) ||
		    (rc = one_int(db, "SELECT count(*) FROM cert WHERE revoked_at > ?1",
				  m->deadline, &m->revoked_after_deadline)))
			return rc;
		/* Done: finished when the last revocation was (every one
		 * expired: at once). Not done: decided once the deadline
		 * passed, missed by the time since, so far. */
		if (m->remaining == 0) {
			int64_t end = m->revocation_complete ? m->revocation_complete : m->deadline;
			m->deadline_known = true;
			m->deadline_margin = m->deadline - end;
			m->deadline_met = m->deadline_margin >= 0;
		} else {
			m->deadline_margin = m->deadline - s.now;
			m->deadline_known = m->deadline_margin < 0;
			m->deadline_met = false;
		}
	}
	return 0;
}
