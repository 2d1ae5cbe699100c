/*
 * inject.c: a tabletop exercise's injects, their effects, the
 * expectations that follow them and their scores, the faults injects
 * switch on, and the observers' notes.
 *
 * An inject fires when the simulated clock reaches sim_start + at_offset,
 * exactly once, in whichever warroom process on the database notices
 * first (every command and every console's frame calls
 * wr_inject_fire_due; no daemon). Exactly once is the database's doing:
 * in one write transaction, UPDATE ... WHERE fired_at IS NULL changes the
 * row in one process only, and only that process applies the effect and
 * adds the event, in the same transaction. Effects change the incident
 * the way the event they stand for would: more affected certificates
 * (synthetic rows), a task for Management to decide a customer's request
 * to delay, a fault for a while (the SMTP server or the revocation
 * backend is down, OCSP lags: notify.c and revoke.c honour an active
 * fault as a failure, retried later), a reclassified reason (its deadline
 * and the tasks due from it move), or a message alone.
 *
 * Expectations are scored here where the database shows the answer
 * (expect_evidence), else by the facilitator. This file never draws; the
 * facilitator's rights are checked here, participants' reads are not
 * given unfired injects.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "internal.h"
#include "population.h"

/* The actor of what the schedule does by itself (an inject coming due,
 * an expectation scored from the database), whoever's process did it. */
#define EXERCISE_ACTOR "exercise"
/* The most certificates one more-certs inject adds. */
#define MORE_CERTS_MAX 1000000

/* ---- who facilitates ------------------------------------------------------- */

bool wr_inject_facilitator(struct wr_db *db)
{
	/* The role is auth.c's; a participant's refusal message is not kept. */
	char saved[sizeof db->errmsg];
	memcpy(saved, db->errmsg, sizeof saved);
	bool yes = wr_auth_facilitator(db) == 0;
	memcpy(db->errmsg, saved, sizeof saved);
	return yes;
}

/* Runs the schedule's own writes under the name "exercise". */
struct actor_swap {
	char saved[64];
};
static void actor_push(struct wr_db *db, struct actor_swap *s, const char *as)
{
	snprintf(s->saved, sizeof s->saved, "%s", db->actor);
	snprintf(db->actor, sizeof db->actor, "%s", as);
}
static void actor_pop(struct wr_db *db, const struct actor_swap *s)
{
	snprintf(db->actor, sizeof db->actor, "%s", s->saved);
}

/* ---- parameters ---------------------------------------------------------------- */

/* A duration parameter: seconds as a number, or text as "90m", "4h". */
static int64_t param_duration(json_t *p, const char *key, int64_t dflt)
{
	json_t *v = p ? json_object_get(p, key) : NULL;
	int64_t d;

	if (json_is_integer(v) && json_integer_value(v) >= 0)
		return json_integer_value(v);
	if (json_is_real(v) && json_real_value(v) >= 0)
		return (int64_t)json_real_value(v);
	if (json_is_string(v) && wr_duration_parse(json_string_value(v), &d) == 0)
		return d;
	return dflt;
}

static const char *param_text(json_t *p, const char *key)
{
	json_t *v = p ? json_object_get(p, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int64_t param_int(json_t *p, const char *key, int64_t dflt)
{
	json_t *v = p ? json_object_get(p, key) : NULL;
	int64_t n;

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v)) {
		char *end;
		n = strtoll(json_string_value(v), &end, 10);
		if (end != json_string_value(v) && !*end)
			return n;
	}
	return dflt;
}

/* The exercise's simulated start; WR_ESTATE when the database is none. */
static int sim_start(struct wr_db *db, int64_t *out)
{
	if (wr_query_int(db, "SELECT sim_start FROM exercise", out))
		return wr_err(db, WR_ESTATE, "this database is not a tabletop exercise");
	return 0;
}

/* The same, and WR_ESTATE once the exercise has ended: nothing fires
 * after the end (scores and notes still come, in the debrief). */
static int running(struct wr_db *db)
{
	int64_t start, ended = 0;
	int rc;

	if ((rc = sim_start(db, &start)))
		return rc;
	if (wr_query_int(db, "SELECT coalesce(ended_at, 0) FROM exercise", &ended) == 0 && ended)
		return wr_err(db, WR_ESTATE, "the exercise has ended: no inject fires any more");
	return 0;
}

/* ---- faults ------------------------------------------------------------------- */

int wr_fault_active(struct wr_db *db, const char *kind, int64_t now, int64_t *until)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_prepare(db,
			     "SELECT max(until_at) FROM fault WHERE kind = ?1"
			     " AND from_at <= ?2 AND until_at > ?2",
			     &st)))
		return rc;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t u = wr_col_i64(st, 0);
		if (until)
			*until = u;
		rc = u ? 1 : 0;
	} else {
		rc = wr_err_sq(db, "reading faults");
	}
	sqlite3_finalize(st);
	return rc;
}

static int fault_add(struct wr_db *db, const char *kind, int64_t from, int64_t until,
		     json_t *params, const char *inject)
{
	sqlite3_stmt *st;
	char *p = params ? json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int rc;

	if ((rc = wr_prepare(db,
			     "INSERT INTO fault(kind, from_at, until_at, params, inject_id)"
			     " VALUES (?, ?, ?, ?, ?)",
			     &st))) {
		free(p);
		return rc;
	}
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, until);
	if (p)
		sqlite3_bind_text(st, 4, p, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, inject, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "recording a fault");
	sqlite3_finalize(st);
	free(p);
	return rc;
}

/* ---- effects ------------------------------------------------------------------- */

/* What firing one inject does; d collects the event's details. */
struct fire {
	const char *id, *team, *effect;
	json_t *params;
	int64_t now;
	json_t *d;
	char summary[256];
};

static void sha256_of(const char *s, unsigned char out[32])
{
	unsigned int n = 32;
	EVP_Digest(s, strlen(s), out, &n, EVP_sha256(), NULL);
}

/* more-certs: affected certificates found late, as synthetic rows with
 * the fields of real ones (no DER): the counts, the burn-down and the
 * revocation queue take them like the others. */
static int eff_more_certs(struct wr_db *db, struct fire *f)
{
	int64_t count = param_int(f->params, "count", 100), have = 0;
	sqlite3_stmt *st = NULL, *q = NULL;
	char issuer[512] = "CN=warroom exercise CA", **cust = NULL;
	size_t ncust = 0;
	int rc;

	if (count < 1 || count > MORE_CERTS_MAX)
		return wr_err(db, WR_EINVAL, "inject %s: more-certs count must be 1 to %d", f->id,
			      MORE_CERTS_MAX);
	/* An exercise a scenario filled grows as its population would, with
	 * the scenario's customers, validity and CA (population.c). */
	int64_t recorded = 0;
	if ((rc =
		 wr_query_int(db, "SELECT count(*) FROM meta WHERE key = 'population'", &recorded)))
		return rc;
	if (recorded) {
		int64_t added = 0;
		if ((rc = wr_population_more(db, count, param_text(f->params, "customer"), &added)))
			return rc;
		json_object_set_new(f->d, "added", json_integer(added));
		snprintf(f->summary, sizeof f->summary, "%lld more affected certificates found",
			 (long long)added);
		return 0;
	}
	/* Else (a database made by hand): rows like the population's. */
	if ((rc = wr_query_int(db, "SELECT count(*) FROM cert", &have)))
		return rc;
	if ((rc = wr_prepare(db, "SELECT issuer FROM cert ORDER BY id LIMIT 1", &q)))
		return rc;
	if (sqlite3_step(q) == SQLITE_ROW && wr_col_text(q, 0))
		snprintf(issuer, sizeof issuer, "%s", wr_col_text(q, 0));
	sqlite3_finalize(q);
	/* Spread over the customers the incident has, or the one named. */
	const char *one = param_text(f->params, "customer");
	if (one) {
		if (!(cust = calloc(1, sizeof *cust)) || !(cust[0] = strdup(one))) {
			rc = wr_err(db, WR_ENOMEM, "out of memory");
			goto out;
		}
		ncust = 1;
	} else {
		if ((rc = wr_prepare(db, "SELECT name FROM customer ORDER BY id LIMIT 1000", &q)))
			goto out;
		while (sqlite3_step(q) == SQLITE_ROW) {
			char **n = realloc(cust, (ncust + 1) * sizeof *cust);
			if (!n || !(n[ncust] = strdup(wr_col_text(q, 0)))) {
				if (n)
					cust = n;
				sqlite3_finalize(q);
				rc = wr_err(db, WR_ENOMEM, "out of memory");
				goto out;
			}
			cust = n;
			ncust++;
		}
		sqlite3_finalize(q);
	}
	if ((rc = wr_prepare(db,
			     "INSERT OR IGNORE INTO cert(sha256, serial, issuer, subject, sans,"
			     " not_before, not_after, spki_sha256, customer, synthetic)"
			     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
			     &st)))
		goto out;
	int64_t added = 0;
	for (int64_t i = 0; i < count; i++) {
		char seed[160], serial[40], name[96], subj[112];
		unsigned char h[32], spki[32];
		int64_t n = have + i + 1;
		snprintf(seed, sizeof seed, "warroom inject %s %lld", f->id, (long long)i);
		sha256_of(seed, h);
		snprintf(seed, sizeof seed, "warroom inject %s %lld spki", f->id, (long long)i);
		sha256_of(seed, spki);
		/* 16 bytes of the hash, positive and without a leading zero. */
		unsigned char sb[16];
		memcpy(sb, h, 16);
		sb[0] = (unsigned char)((sb[0] & 0x7f) | 0x10);
		for (int k = 0; k < 16; k++)
			snprintf(serial + 2 * k, 3, "%02X", sb[k]);
		snprintf(name, sizeof name, "found-%lld.exercise.example", (long long)n);
		snprintf(subj, sizeof subj, "CN=%s", name);
		sqlite3_reset(st);
		sqlite3_bind_blob(st, 1, h, 32, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, serial, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, issuer, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, subj, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 5, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 6, f->now - 30 * 86400);
		sqlite3_bind_int64(st, 7, f->now + 335 * 86400);
		sqlite3_bind_blob(st, 8, spki, 32, SQLITE_TRANSIENT);
		if (ncust)
			sqlite3_bind_text(st, 9, cust[i % (int64_t)ncust], -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 9);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = wr_err_sq(db, "adding certificates");
			goto out;
		}
		added += sqlite3_changes(db->sq);
	}
	json_object_set_new(f->d, "added", json_integer(added));
	snprintf(f->summary, sizeof f->summary, "%lld more affected certificates found",
		 (long long)added);
out:
	sqlite3_finalize(st);
	for (size_t i = 0; i < ncust; i++)
		free(cust[i]);
	free(cust);
	return rc;
}

/* delay-request: the customer's request lands on Management's desk as a
 * task to decide, due within two hours, with the rationale. */
static int eff_delay_request(struct wr_db *db, struct fire *f)
{
	const char *customer = param_text(f->params, "customer");
	const char *why = param_text(f->params, "rationale");
	const char *until_s = param_text(f->params, "until");
	int64_t until = 0, d, phase = 0, exists = 0;
	char title[768], ub[WR_TIME_BUFSZ];
	sqlite3_stmt *st;
	int rc;

	/* until: a time, or a duration from now; or for: how long (the
	 * scenario's key, warroom-scenario(5)). */
	if (until_s && wr_time_parse(until_s, &until))
		until = wr_duration_parse(until_s, &d) == 0 ? f->now + d : 0;
	else if (!until_s && (d = param_duration(f->params, "until", 0)) > 0)
		until = f->now + d;
	else if (!until_s && (d = param_duration(f->params, "for", 0)) > 0)
		until = f->now + d;
	if (until && until <= f->now)
		until = 0;
	snprintf(title, sizeof title, "Decide on %s's request to delay revocation%s%s: %s",
		 customer ? customer : "a customer", until ? " until " : "",
		 until ? wr_time_format(until, ub) : "", why ? why : "(no rationale given)");
	if ((rc = wr_query_int(db, "SELECT phase FROM incident WHERE id = 1", &phase)))
		return rc;
	const char *team = "management";
	if ((rc = wr_prepare(db, "SELECT count(*) FROM team WHERE id = 'management'", &st)))
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		exists = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (!exists && f->team)
		team = f->team;
	if ((rc = wr_prepare(
		 db,
		 "INSERT INTO task(team, phase, title, due)"
		 " SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM team WHERE id = ?1)",
		 &st)))
		return rc;
	sqlite3_bind_text(st, 1, team, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, phase);
	sqlite3_bind_text(st, 3, title, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, f->now + 2 * 3600);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "adding the delay request's task");
	sqlite3_finalize(st);
	if (rc)
		return rc;
	if (sqlite3_changes(db->sq))
		json_object_set_new(f->d, "task", json_integer(sqlite3_last_insert_rowid(db->sq)));
	if (customer)
		json_object_set_new(f->d, "customer", json_string(customer));
	if (why)
		json_object_set_new(f->d, "rationale", json_string(why));
	if (until)
		json_object_set_new(f->d, "until", json_string(wr_time_format(until, ub)));
	snprintf(f->summary, sizeof f->summary, "a delay request for Management to decide");
	return 0;
}

static int eff_fault(struct wr_db *db, struct fire *f, const char *kind, const char *what)
{
	int64_t len = param_duration(f->params, "for", 3600);
	char ub[WR_TIME_BUFSZ], lb[WR_TIME_BUFSZ];
	json_t *p = NULL;
	int rc;

	if (len < 1)
		len = 1;
	/* ocsp-lag: how far OCSP trails the CRLs ("lag" in a scenario,
	 * warroom-scenario(5); "seconds" as well). */
	if (strcmp(kind, "ocsp-lag") == 0)
		p = json_pack("{s:I}", "seconds",
			      (json_int_t)param_duration(f->params, "lag",
							 param_duration(f->params, "seconds", 3600)));
	rc = fault_add(db, kind, f->now, f->now + len, p, f->id);
	json_decref(p);
	if (rc)
		return rc;
	json_object_set_new(f->d, "fault", json_string(kind));
	json_object_set_new(f->d, "until", json_string(wr_time_format(f->now + len, ub)));
	snprintf(f->summary, sizeof f->summary, "%s for %s, until %s", what,
		 wr_duration_format(len, lb), wr_time_format(f->now + len, ub));
	return 0;
}

/* reclassify: the reason changes, and with it the deadline (5 days may
 * become 24 hours) and every open task due from the deadline. */
static int eff_reclassify(struct wr_db *db, struct fire *f)
{
	const char *code = param_text(f->params, "reason");
	const struct wr_reason *r = wr_reason_find(code ? code : ""), *old;
	struct {
		char state[16], reason[48];
		int64_t discovered, deadline;
	} s = {"", "", 0, 0};
	char b1[WR_TIME_BUFSZ], b2[WR_TIME_BUFSZ];
	sqlite3_stmt *st;
	int rc;

	if (!r)
		return wr_err(db, WR_EINVAL, "inject %s: reclassify names no known reason ('%s')",
			      f->id, code ? code : "");
	/* Inside the firing's transaction: wr_status_get would begin its own. */
	if ((rc = wr_prepare(db, "SELECT state, reason, discovered FROM incident WHERE id = 1",
			     &st)))
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(s.state, sizeof s.state, "%s",
			 wr_col_text(st, 0) ? wr_col_text(st, 0) : "");
		snprintf(s.reason, sizeof s.reason, "%s",
			 wr_col_text(st, 1) ? wr_col_text(st, 1) : "");
		s.discovered = wr_col_i64(st, 2);
	}
	sqlite3_finalize(st);
	if ((old = wr_reason_find(s.reason)) && s.discovered)
		s.deadline = wr_deadline(old, s.discovered);
	json_object_set_new(f->d, "reason", json_string(r->code));
	if (!s.discovered || strcmp(s.state, WR_STATE_DECLARED) != 0) {
		snprintf(f->summary, sizeof f->summary,
			 "the reason is now %s (not declared yet: nothing moves)", r->code);
		return 0;
	}
	int64_t deadline = wr_deadline(r, s.discovered);
	if ((rc = wr_prepare(db, "UPDATE incident SET reason = ?, crl_reason = ? WHERE id = 1",
			     &st)))
		return rc;
	sqlite3_bind_text(st, 1, r->code, -1, SQLITE_STATIC);
	if (r->crl_reason == WR_CRL_OMIT)
		sqlite3_bind_int(st, 2, WR_CRL_OMIT);
	else
		sqlite3_bind_int(st, 2, r->crl_reason);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "reclassifying");
	sqlite3_finalize(st);
	if (rc)
		return rc;
	if ((rc = wr_prepare(db,
			     "UPDATE task SET due = ?1 + due_offset WHERE due_anchor ="
			     " 'deadline' AND due_offset IS NOT NULL AND done_at IS NULL",
			     &st)))
		return rc;
	sqlite3_bind_int64(st, 1, deadline);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "moving the tasks' due times");
	sqlite3_finalize(st);
	if (rc)
		return rc;
	json_object_set_new(f->d, "previous_reason", json_string(s.reason));
	json_object_set_new(f->d, "deadline", json_string(wr_time_format(deadline, b1)));
	json_object_set_new(f->d, "previous_deadline", json_string(wr_time_format(s.deadline, b2)));
	snprintf(f->summary, sizeof f->summary,
		 "reclassified %s -> %s: the deadline moves from %s to %s", s.reason, r->code, b2,
		 b1);
	return 0;
}

static int apply_effect(struct wr_db *db, struct fire *f)
{
	const char *e = f->effect;

	if (!e || !*e)
		return 0;
	if (strcmp(e, "more-certs") == 0)
		return eff_more_certs(db, f);
	if (strcmp(e, "delay-request") == 0)
		return eff_delay_request(db, f);
	if (strcmp(e, "smtp-down") == 0)
		return eff_fault(db, f, "smtp", "the SMTP server is down");
	if (strcmp(e, "backend-down") == 0)
		return eff_fault(db, f, "backend", "the revocation backend is down");
	if (strcmp(e, "ocsp-lag") == 0)
		return eff_fault(db, f, "ocsp-lag", "OCSP lags");
	if (strcmp(e, "reclassify") == 0)
		return eff_reclassify(db, f);
	if (strcmp(e, "question") == 0) {
		const char *from = param_text(f->params, "from");
		if (from)
			json_object_set_new(f->d, "from", json_string(from));
		snprintf(f->summary, sizeof f->summary, "a question%s%.200s", from ? " from " : "",
			 from ? from : "");
		return 0;
	}
	if (strcmp(e, "unavailable") == 0) {
		const char *who = param_text(f->params, "who");
		int64_t len = param_duration(f->params, "for", 0);
		char lb[WR_TIME_BUFSZ];
		if (who)
			json_object_set_new(f->d, "who", json_string(who));
		snprintf(f->summary, sizeof f->summary, "%.120s is unavailable%s%s",
			 who ? who : "a key participant", len ? " for " : "",
			 len ? wr_duration_format(len, lb) : "");
		return 0;
	}
	return wr_err(db, WR_EINVAL, "inject %s: unknown effect '%s'", f->id, e);
}

/* ---- firing ------------------------------------------------------------------- */

/* Inside the caller's transaction: marks id fired, and, when this call is
 * the one that did, applies its effect and records the event. *fired
 * false when another process had fired it. */
static int fire_one(struct wr_db *db, const char *id, const char *by, int64_t now, bool *fired)
{
	sqlite3_stmt *st;
	int rc;

	*fired = false;
	if ((rc = wr_prepare(db,
			     "UPDATE inject SET fired_at = ?, fired_by = ?"
			     " WHERE id = ? AND fired_at IS NULL",
			     &st)))
		return rc;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, by, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "firing an inject");
	sqlite3_finalize(st);
	if (rc || sqlite3_changes(db->sq) != 1)
		return rc;
	*fired = true;

	if ((rc = wr_prepare(db,
			     "SELECT i.team, i.message, i.effect, i.params,"
			     " (SELECT sim_start FROM exercise) + i.at_offset"
			     " FROM inject i WHERE i.id = ?",
			     &st)))
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return wr_err(db, WR_ENOENT, "no inject '%s'", id);
	}
	struct fire f = {.id = id, .now = now};
	char *team = wr_col_text(st, 0) ? strdup(wr_col_text(st, 0)) : NULL;
	char *effect = wr_col_text(st, 2) ? strdup(wr_col_text(st, 2)) : NULL;
	const char *ptext = wr_col_text(st, 3);
	int64_t due = sqlite3_column_type(st, 4) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 4);
	f.team = team;
	f.effect = effect;
	f.params = ptext && *ptext ? json_loads(ptext, 0, NULL) : NULL;
	f.d = json_pack("{s:s, s:s}", "inject", id, "message",
			wr_col_text(st, 1) ? wr_col_text(st, 1) : "");
	sqlite3_finalize(st);
	if (!f.d) {
		rc = wr_err(db, WR_ENOMEM, "out of memory");
		goto out;
	}
	if (team)
		json_object_set_new(f.d, "team", json_string(team));
	if (effect)
		json_object_set_new(f.d, "effect", json_string(effect));
	if (due) {
		char b[WR_TIME_BUFSZ];
		json_object_set_new(f.d, "due", json_string(wr_time_format(due, b)));
	}
	/* A scenario's bad parameters must not stop the schedule: the inject
	 * fires, its message shows, and the event says what was not done. */
	if ((rc = apply_effect(db, &f))) {
		if (rc != WR_EINVAL)
			goto out;
		snprintf(f.summary, sizeof f.summary, "effect not applied: %.200s",
			 wr_db_errmsg(db));
		rc = 0;
	}
	if (f.summary[0])
		json_object_set_new(f.d, "summary", json_string(f.summary));
	rc = wr_event_add_json(db, "inject-fire", f.d);
	f.d = NULL;
out:
	json_decref(f.d);
	json_decref(f.params);
	free(team);
	free(effect);
	return rc;
}

/* The injects due at now, oldest first (ids malloc'd into *ids). One
 * indexed query (inject_due); nothing when the database is no exercise
 * or the exercise has ended. */
static int due_ids(struct wr_db *db, int64_t now, char ***ids, size_t *n)
{
	sqlite3_stmt *st;
	int rc;

	*ids = NULL;
	*n = 0;
	if ((rc = wr_prepare(db,
			     "SELECT i.id FROM exercise x, inject i"
			     " WHERE x.ended_at IS NULL AND i.fired_at IS NULL"
			     " AND i.at_offset <= ?1 - x.sim_start"
			     " ORDER BY i.at_offset, i.position, i.id",
			     &st)))
		return rc;
	sqlite3_bind_int64(st, 1, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char **v = realloc(*ids, (*n + 1) * sizeof **ids);
		if (!v || !(v[*n] = strdup(wr_col_text(st, 0)))) {
			if (v)
				*ids = v;
			sqlite3_finalize(st);
			return wr_err(db, WR_ENOMEM, "out of memory");
		}
		*ids = v;
		(*n)++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : wr_err_sq(db, "reading the injects due");
}

static void ids_free(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

int wr_inject_fire_due(struct wr_db *db, int *nfired)
{
	int64_t now = wr_clock_now(db);
	char **ids;
	size_t n;
	int rc, fired = 0;

	if (nfired)
		*nfired = 0;
	if ((rc = due_ids(db, now, &ids, &n)))
		return rc;
	if (n) {
		ids_free(ids, n);
		struct actor_swap sw = {0};
		if ((rc = wr_tx_begin(db)))
			return rc;
		/* Again inside the transaction: another process may have fired
		 * some since the read above. */
		now = wr_clock_now(db);
		if ((rc = due_ids(db, now, &ids, &n))) {
			wr_tx_rollback(db);
			return rc;
		}
		actor_push(db, &sw, EXERCISE_ACTOR);
		for (size_t i = 0; i < n && !rc; i++) {
			bool f;
			if (!(rc = fire_one(db, ids[i], EXERCISE_ACTOR, now, &f)) && f)
				fired++;
		}
		actor_pop(db, &sw);
		ids_free(ids, n);
		if (rc) {
			wr_tx_rollback(db);
			return rc;
		}
		if ((rc = wr_tx_commit(db)))
			return rc;
	} else {
		free(ids);
	}
	if (nfired)
		*nfired = fired;
	/* What the injects asked for, scored as soon as the database shows it. */
	return wr_expect_auto(db, NULL);
}

int wr_inject_fire(struct wr_db *db, const char *id)
{
	int64_t exists = 0, fired_at = 0;
	sqlite3_stmt *st;
	bool f;
	int rc;

	if ((rc = running(db)) || (rc = wr_auth_facilitator(db)))
		return rc;
	if ((rc = wr_tx_begin(db)))
		return rc;
	if ((rc = wr_prepare(db, "SELECT 1, fired_at FROM inject WHERE id = ?", &st)))
		goto fail;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		exists = 1;
		fired_at = wr_col_i64(st, 1);
	}
	sqlite3_finalize(st);
	if (!exists) {
		rc = wr_err(db, WR_ENOENT, "no inject '%s' ('warroom exercise injects' lists them)",
			    id);
		goto fail;
	}
	if (fired_at) {
		char b[WR_TIME_BUFSZ];
		rc = wr_err(db, WR_EEXIST, "inject '%s' fired already, at %s", id,
			    wr_time_format(fired_at, b));
		goto fail;
	}
	if ((rc = fire_one(db, id, db->actor, wr_clock_now(db), &f)))
		goto fail;
	return wr_tx_commit(db);
fail:
	wr_tx_rollback(db);
	return rc;
}

int wr_inject_adhoc(struct wr_db *db, const char *team, const char *message, char *id_out,
		    size_t idsz)
{
	int64_t n = 0;
	sqlite3_stmt *st;
	char id[32];
	bool f;
	int rc;

	if ((rc = running(db)) || (rc = wr_auth_facilitator(db)))
		return rc;
	if (!message || !*message)
		return wr_err(db, WR_EINVAL, "an inject needs a message");
	if ((rc = wr_tx_begin(db)))
		return rc;
	if (team && (rc = wr_team_check(db, team)))
		goto fail;
	if ((rc = wr_query_int(db,
			       "SELECT coalesce(max(CAST(substr(id, 7) AS INTEGER)), 0)"
			       " FROM inject WHERE id LIKE 'adhoc-%'",
			       &n)))
		goto fail;
	snprintf(id, sizeof id, "adhoc-%lld", (long long)n + 1);
	if ((rc = wr_prepare(db,
			     "INSERT INTO inject(id, at_offset, team, message, position)"
			     " VALUES (?, NULL, ?, ?, (SELECT coalesce(max(position), 0) + 1"
			     " FROM inject))",
			     &st)))
		goto fail;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (team)
		sqlite3_bind_text(st, 2, team, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, message, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "adding an inject");
	sqlite3_finalize(st);
	if (rc || (rc = fire_one(db, id, db->actor, wr_clock_now(db), &f)))
		goto fail;
	if ((rc = wr_tx_commit(db)))
		return rc;
	if (id_out)
		snprintf(id_out, idsz, "%s", id);
	return 0;
fail:
	wr_tx_rollback(db);
	return rc;
}

/* ---- reading ------------------------------------------------------------------- */

static int inject_rows(struct wr_db *db, sqlite3_stmt *st, wr_inject_cb cb, void *ctx)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct wr_inject in = {
		    .id = wr_col_text(st, 0),
		    .has_offset = sqlite3_column_type(st, 1) != SQLITE_NULL,
		    .at_offset = wr_col_i64(st, 1),
		    .team = wr_col_text(st, 2),
		    .message = wr_col_text(st, 3),
		    .effect = wr_col_text(st, 4),
		    .params = wr_col_text(st, 5),
		    .fired_at = wr_col_i64(st, 6),
		    .fired_by = wr_col_text(st, 7),
		    .due = wr_col_i64(st, 8),
		};
		if (!in.has_offset)
			in.due = 0;
		if ((rc = cb(&in, ctx))) {
			sqlite3_finalize(st);
			return rc > 0 ? 0 : rc;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : wr_err_sq(db, "reading injects");
}

#define INJECT_COLS                                                                                \
	"SELECT i.id, i.at_offset, i.team, i.message, i.effect, i.params, i.fired_at,"             \
	" i.fired_by, (SELECT sim_start FROM exercise) + i.at_offset FROM inject i"

int wr_inject_foreach(struct wr_db *db, bool all, wr_inject_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if (all && (rc = wr_auth_facilitator(db)))
		return rc;
	if ((rc = wr_prepare(db,
			     all ? INJECT_COLS
				 " ORDER BY coalesce(i.at_offset, (i.fired_at -"
				 " (SELECT sim_start FROM exercise))), i.position, i.id"
				 : INJECT_COLS " WHERE i.fired_at IS NOT NULL ORDER BY i.fired_at,"
					       " i.position, i.id",
			     &st)))
		return rc;
	return inject_rows(db, st, cb, ctx);
}

int wr_inject_for_team(struct wr_db *db, const char *team, int64_t since, int limit,
		       wr_inject_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_prepare(db,
			     INJECT_COLS " WHERE i.fired_at IS NOT NULL AND i.fired_at >= ?1"
					 " AND (i.team IS NULL OR i.team = ?2)"
					 " ORDER BY i.fired_at DESC, i.position DESC LIMIT ?3",
			     &st)))
		return rc;
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_text(st, 2, team ? team : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, limit > 0 ? limit : 1);
	return inject_rows(db, st, cb, ctx);
}

/* ---- expectations ---------------------------------------------------------- */

/* The grace after a window in which an answer still scores late: the
 * window again, at least half an hour. Past it, with no answer, missed. */
int64_t wr_expect_grace(int64_t within)
{
	return within > 1800 ? within : 1800;
}

/* The instant the database shows the expected answer (*at; 0: not yet).
 * Answers before the inject fired count for what is a state (notified,
 * done, reported) and not for a decision the inject asks for. */
static int expect_evidence(struct wr_db *db, const char *kind, json_t *params, int64_t fired,
			   int64_t *at, bool *can)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*at = 0;
	*can = true;
	if (strcmp(kind, "delay-decision") == 0) {
		const char *customer = param_text(params, "customer");
		rc = wr_prepare(db,
				"SELECT min(at) FROM event WHERE action = 'delay' AND at >= ?1"
				" AND (?2 IS NULL OR json_extract(details, '$.customer') = ?2)",
				&st);
		if (rc)
			return rc;
		sqlite3_bind_int64(st, 1, fired);
		if (customer)
			sqlite3_bind_text(st, 2, customer, -1, SQLITE_STATIC);
	} else if (strcmp(kind, "preliminary-report") == 0) {
		/* The preliminary report filed or posted to Bugzilla
		 * (bugzilla.c), or marked posted by hand; a failed post is no
		 * answer. */
		rc = wr_prepare(db,
				"SELECT min(at) FROM event WHERE action IN ('bugzilla-bug',"
				" 'bugzilla-comment', 'report-posted') AND json_valid(details)"
				" AND json_extract(details, '$.kind') = 'preliminary'",
				&st);
		if (rc)
			return rc;
	} else if (strcmp(kind, "critical-notified") == 0) {
		/* Every critical customer has a notice sent: when the last of
		 * them got its first. NULL while one has none. */
		rc =
		    wr_prepare(db,
			       "SELECT CASE WHEN count(*) = 0 THEN ?1 WHEN count(s) < count(*)"
			       " THEN NULL ELSE max(s) END FROM (SELECT (SELECT min(m.sent_at) FROM"
			       " message m WHERE m.customer = c.name AND m.state = 'sent') AS s"
			       " FROM customer c WHERE c.critical = 1)",
			       &st);
		if (rc)
			return rc;
		sqlite3_bind_int64(st, 1, fired);
	} else if (strcmp(kind, "task-done") == 0) {
		const char *title = param_text(params, "title");
		int64_t id = param_int(params, "task", 0);
		if (!title && !id)
			title = param_text(params, "task");
		rc = wr_prepare(db,
				"SELECT min(done_at) FROM task WHERE done_at IS NOT NULL"
				" AND (id = ?1 OR title = ?2)",
				&st);
		if (rc)
			return rc;
		sqlite3_bind_int64(st, 1, id);
		if (title)
			sqlite3_bind_text(st, 2, title, -1, SQLITE_STATIC);
	} else {
		*can = false; /* manual, or a kind only people can judge */
		return 0;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*at = wr_col_i64(st, 0);
		rc = 0;
	} else {
		rc = wr_err_sq(db, "reading an expectation's evidence");
	}
	sqlite3_finalize(st);
	if (*at && *at < fired)
		*at = fired;
	return rc;
}

/* Records a score (inside a transaction) and its event. only_open: the
 * schedule's, which never overrides a score. */
static int score_set(struct wr_db *db, int64_t id, const char *score, int64_t late_by,
		     const char *by, const char *note, bool only_open, bool *done)
{
	sqlite3_stmt *st;
	int rc;

	*done = false;
	if ((rc = wr_prepare(
		 db,
		 only_open ? "UPDATE expectation SET score = ?2, late_by = ?3, scored_by = ?4,"
			     " scored_at = ?5, note = coalesce(?6, note) WHERE id = ?1"
			     " AND score IS NULL"
			   : "UPDATE expectation SET score = ?2, late_by = ?3, scored_by = ?4,"
			     " scored_at = ?5, note = coalesce(?6, note) WHERE id = ?1",
		 &st)))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, score, -1, SQLITE_STATIC);
	if (late_by > 0)
		sqlite3_bind_int64(st, 3, late_by);
	sqlite3_bind_text(st, 4, by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, wr_clock_now(db));
	if (note && *note)
		sqlite3_bind_text(st, 6, note, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "scoring");
	sqlite3_finalize(st);
	if (rc || sqlite3_changes(db->sq) != 1)
		return rc;
	*done = true;
	if ((rc = wr_prepare(db, "SELECT inject_id, description FROM expectation WHERE id = ?",
			     &st)))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	json_t *d = NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		d = json_pack("{s:I, s:s, s:s, s:s}", "expectation", (json_int_t)id, "inject",
			      wr_col_text(st, 0), "description", wr_col_text(st, 1), "score",
			      score);
	sqlite3_finalize(st);
	if (!d)
		return wr_err(db, WR_ENOMEM, "out of memory");
	if (late_by > 0) {
		char b[WR_TIME_BUFSZ];
		json_object_set_new(d, "late_by", json_integer(late_by));
		json_object_set_new(d, "late", json_string(wr_duration_format(late_by, b)));
	}
	if (note && *note)
		json_object_set_new(d, "note", json_string(note));
	return wr_event_add_json(db, "expect-score", d);
}

struct auto_score {
	int64_t id;
	const char *score;
	int64_t late_by;
};

int wr_expect_auto(struct wr_db *db, int *nscored)
{
	sqlite3_stmt *st;
	struct auto_score *v = NULL;
	size_t n = 0;
	int64_t now = wr_clock_now(db);
	int rc, scored = 0;

	if (nscored)
		*nscored = 0;
	if ((rc = wr_prepare(db,
			     "SELECT e.id, e.kind, e.params, e.within, i.fired_at"
			     " FROM expectation e JOIN inject i ON i.id = e.inject_id"
			     " WHERE e.score IS NULL AND i.fired_at IS NOT NULL"
			     " AND e.kind <> 'manual' ORDER BY e.id",
			     &st)))
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0), within = sqlite3_column_int64(st, 3);
		int64_t fired = sqlite3_column_int64(st, 4), due = fired + within, at;
		const char *pt = wr_col_text(st, 2);
		json_t *params = pt && *pt ? json_loads(pt, 0, NULL) : NULL;
		bool can;
		int erc = expect_evidence(db, wr_col_text(st, 1), params, fired, &at, &can);
		json_decref(params);
		if (erc) {
			rc = erc;
			break;
		}
		struct auto_score s = {id, NULL, 0};
		if (!can)
			continue;
		if (at && at <= due)
			s.score = "met";
		else if (at)
			s.score = "late", s.late_by = at - due;
		else if (now > due + wr_expect_grace(within))
			s.score = "missed";
		if (!s.score)
			continue;
		struct auto_score *nv = realloc(v, (n + 1) * sizeof *v);
		if (!nv) {
			rc = wr_err(db, WR_ENOMEM, "out of memory");
			break;
		}
		v = nv;
		v[n++] = s;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		if (rc > 0)
			rc = wr_err_sq(db, "reading expectations");
		free(v);
		return rc;
	}
	rc = 0;
	if (n) {
		struct actor_swap sw = {0};
		if ((rc = wr_tx_begin(db))) {
			free(v);
			return rc;
		}
		actor_push(db, &sw, EXERCISE_ACTOR);
		for (size_t i = 0; i < n && !rc; i++) {
			bool done;
			if (!(rc = score_set(db, v[i].id, v[i].score, v[i].late_by, "auto", NULL,
					     true, &done)) &&
			    done)
				scored++;
		}
		actor_pop(db, &sw);
		if (rc)
			wr_tx_rollback(db);
		else
			rc = wr_tx_commit(db);
	}
	free(v);
	if (!rc && nscored)
		*nscored = scored;
	return rc;
}

int wr_expect_score(struct wr_db *db, int64_t id, const char *score, int64_t late_by,
		    const char *note)
{
	int64_t exists = 0, start;
	sqlite3_stmt *st;
	bool done;
	int rc;

	if ((rc = sim_start(db, &start)) || (rc = wr_auth_facilitator(db)))
		return rc;
	if (!score || (strcmp(score, "met") && strcmp(score, "late") && strcmp(score, "missed")))
		return wr_err(db, WR_EINVAL, "a score is met, late or missed");
	if (strcmp(score, "late") != 0)
		late_by = 0;
	if ((rc = wr_tx_begin(db)))
		return rc;
	if ((rc = wr_prepare(db, "SELECT count(*) FROM expectation WHERE id = ?", &st)))
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		exists = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (!exists) {
		rc = wr_err(db, WR_ENOENT,
			    "no expectation %lld ('warroom exercise injects' lists them)",
			    (long long)id);
		goto fail;
	}
	if ((rc = score_set(db, id, score, late_by, db->actor, note, false, &done)))
		goto fail;
	return wr_tx_commit(db);
fail:
	wr_tx_rollback(db);
	return rc;
}

int wr_expect_foreach(struct wr_db *db, wr_expect_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int64_t now = wr_clock_now(db);
	int rc;

	if ((rc = wr_auth_facilitator(db)))
		return rc;
	if ((rc = wr_prepare(db,
			     "SELECT e.id, e.inject_id, e.kind, e.params, e.within,"
			     " e.description, e.score, e.late_by, e.scored_by, e.scored_at,"
			     " e.note, i.fired_at FROM expectation e JOIN inject i"
			     " ON i.id = e.inject_id ORDER BY coalesce(i.at_offset, 1e18),"
			     " i.position, e.id",
			     &st)))
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct wr_expectation e = {
		    .id = sqlite3_column_int64(st, 0),
		    .inject_id = wr_col_text(st, 1),
		    .kind = wr_col_text(st, 2),
		    .params = wr_col_text(st, 3),
		    .within = sqlite3_column_int64(st, 4),
		    .description = wr_col_text(st, 5),
		    .score = wr_col_text(st, 6),
		    .late_by = wr_col_i64(st, 7),
		    .scored_by = wr_col_text(st, 8),
		    .scored_at = wr_col_i64(st, 9),
		    .note = wr_col_text(st, 10),
		    .fired_at = wr_col_i64(st, 11),
		};
		e.due = e.fired_at ? e.fired_at + e.within : 0;
		e.state = e.score       ? e.score
			  : !e.fired_at ? "not fired"
			  : now > e.due ? "overdue"
					: "open";
		if ((rc = cb(&e, ctx))) {
			sqlite3_finalize(st);
			return rc > 0 ? 0 : rc;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : wr_err_sq(db, "reading expectations");
}

/* ---- observations -------------------------------------------------------------- */

int wr_observation_add(struct wr_db *db, const char *text, int64_t *id_out)
{
	int64_t start;
	sqlite3_stmt *st;
	int rc;

	if ((rc = sim_start(db, &start)))
		return rc;
	if (!text || !*text)
		return wr_err(db, WR_EINVAL, "an observation needs its text");
	if ((rc = wr_tx_begin(db)))
		return rc;
	if ((rc = wr_prepare(db, "INSERT INTO observation(at, by_user, text) VALUES (?, ?, ?)",
			     &st)))
		goto fail;
	sqlite3_bind_int64(st, 1, wr_clock_now(db));
	sqlite3_bind_text(st, 2, db->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wr_err_sq(db, "recording an observation");
	sqlite3_finalize(st);
	if (rc)
		goto fail;
	int64_t id = sqlite3_last_insert_rowid(db->sq);
	if (id_out)
		*id_out = id;
	if ((rc = wr_event_add_json(
		 db, "observe",
		 json_pack("{s:I, s:s}", "observation", (json_int_t)id, "text", text))))
		goto fail;
	return wr_tx_commit(db);
fail:
	wr_tx_rollback(db);
	return rc;
}

int wr_observation_foreach(struct wr_db *db, wr_observation_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = wr_prepare(db, "SELECT id, at, by_user, text FROM observation ORDER BY id", &st)))
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct wr_observation o = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
					   wr_col_text(st, 2), wr_col_text(st, 3)};
		if ((rc = cb(&o, ctx))) {
			sqlite3_finalize(st);
			return rc > 0 ? 0 : rc;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : wr_err_sq(db, "reading observations");
}
