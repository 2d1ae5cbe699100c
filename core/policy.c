/*
 * policy.c: the policy in force is pinned in the incident.
 *
 * Who may act ([users]), the two-person rule ([revocation]) and what runs
 * with the caller's rights (the backends' sections) must not depend on
 * which config a caller happens to pass. So the incident records its
 * policy as an audit event ('policy-pin': the sections as canonical text
 * and their SHA-256), and every write transaction compares the caller's
 * policy with the newest pin: a different one is refused until
 * Management, judged by the pinned [users], pins the new one. An incident
 * whose pin is empty (no config yet: one operator, the demo) takes the
 * first non-empty policy that writes to it, recorded the same way.
 * wr_policy_check is the same comparison without a transaction, for
 * commands that act outside the database (publish files, send, fetch)
 * before their first write: they check before acting.
 * Secrets never enter the text (config.c leaves them out).
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void sha_hex(const char *text, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL);
	wr_hex(md, 32, out);
}

static const char *config_label(const struct wr_config *cfg)
{
	return wr_config_path(cfg) ? wr_config_path(cfg) : "(no config file)";
}

/* The caller's policy text and hash, computed once per handle. */
static int own_policy(struct wr_db *db)
{
	if (db->cfg_policy)
		return 0;
	if (!(db->cfg_policy = wr_config_policy_text(db->cfg)))
		return wr_err(db, WR_ENOMEM, "policy text");
	sha_hex(db->cfg_policy, db->cfg_policy_sha);
	return 0;
}

struct pin {
	int64_t id, at;
	char actor[64];
	char sha[65];
	char *text; /* malloc'd */
};

/* The newest pin; *found false when the incident has none. */
static int newest_pin(struct wr_db *db, struct pin *p, bool *found)
{
	sqlite3_stmt *st;
	int rc;

	*found = false;
	memset(p, 0, sizeof *p);
	if ((rc = wr_prepare(db, "SELECT id, at, actor, json_extract(details, '$.sha256'),"
				 " json_extract(details, '$.text') FROM event"
				 " WHERE action = 'policy-pin' ORDER BY id DESC LIMIT 1", &st)))
		return rc;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *sha = wr_col_text(st, 3), *text = wr_col_text(st, 4);
		p->id = sqlite3_column_int64(st, 0);
		p->at = sqlite3_column_int64(st, 1);
		snprintf(p->actor, sizeof p->actor, "%s", wr_col_text(st, 2) ? wr_col_text(st, 2) : "");
		snprintf(p->sha, sizeof p->sha, "%s", sha ? sha : "");
		p->text = strdup(text ? text : "");
		*found = true;
		rc = p->text ? 0 : wr_err(db, WR_ENOMEM, "policy");
	} else {
		rc = rc == SQLITE_DONE ? 0 : wr_err_sq(db, "reading the pinned policy");
	}
	sqlite3_finalize(st);
	return rc;
}

/* Keeps db->pinned in step with the newest pin (parsed once per pin). */
static int load_pinned(struct wr_db *db, struct pin *p, bool *found)
{
	int rc = newest_pin(db, p, found);
	char err[512];

	if (rc)
		return rc;
	if (!*found || !p->text[0]) {
		wr_config_free(db->pinned);
		db->pinned = NULL;
		db->pinned_sha[0] = '\0';
		return 0;
	}
	if (db->pinned && strcmp(db->pinned_sha, p->sha) == 0)
		return 0;
	struct wr_config *cfg;
	if ((rc = wr_config_parse_text(p->text, "the pinned policy", &cfg, err, sizeof err)))
		return wr_err(db, WR_ECORRUPT, "%s", err);
	wr_config_free(db->pinned);
	db->pinned = cfg;
	snprintf(db->pinned_sha, sizeof db->pinned_sha, "%s", p->sha);
	return 0;
}

const struct wr_config *wr_policy_cfg(struct wr_db *db)
{
	struct pin p;
	bool found;

	/* A failure to read falls back to the caller's config: every write
	 * is checked again by wr_policy_enforce in its transaction. */
	if (load_pinned(db, &p, &found) == 0 && db->pinned) {
		free(p.text);
		return db->pinned;
	}
	free(p.text);
	return db->cfg;
}

static int record_pin(struct wr_db *db, bool automatic, const char *previous)
{
	json_t *d = json_pack("{s:s, s:s, s:b}", "sha256", db->cfg_policy_sha, "text",
			      db->cfg_policy, "auto", automatic);
	if (!d)
		return wr_err(db, WR_ENOMEM, "policy event");
	json_object_set_new(d, "config", wr_config_path(db->cfg) ? json_string(wr_config_path(db->cfg))
								 : json_null());
	json_object_set_new(d, "previous", previous && *previous ? json_string(previous) : json_null());
	return wr_event_add_json(db, "policy-pin", d);
}

/* 0 when the caller's policy is the pinned one p, else WR_EPERM saying so. */
static int refuse_other(struct wr_db *db, const struct pin *p)
{
	char when[WR_TIME_BUFSZ];

	if (strcmp(p->sha, db->cfg_policy_sha) == 0)
		return 0;
	return wr_err(db, WR_EPERM,
		      "the policy of %s (sha256 %.12s) differs from the one pinned in this"
		      " incident by %s at %s (sha256 %.12s); nothing was changed. Use the"
		      " pinned config, or have Management review it and run 'warroom"
		      " policy pin'", config_label(db->cfg), db->cfg_policy_sha, p->actor,
		      wr_time_format(p->at, when), p->sha);
}

int wr_policy_enforce(struct wr_db *db)
{
	struct pin p;
	bool found;
	int rc;

	if (!db->cfg || db->policy_bypass)
		return 0;
	if ((rc = own_policy(db)) || (rc = load_pinned(db, &p, &found)))
		return rc;
	if (!found || !p.text[0]) {
		/* Nothing pinned restricts anyone yet: the first policy that
		 * writes is pinned, in the same transaction. */
		if (db->cfg_policy[0])
			rc = record_pin(db, true, found ? p.sha : NULL);
	} else {
		rc = refuse_other(db, &p);
	}
	free(p.text);
	return rc;
}

int wr_policy_check(struct wr_db *db)
{
	struct pin p;
	bool found;
	int rc;

	if (!db->cfg || db->policy_bypass)
		return 0;
	/* Outside a transaction: the first write checks again in its own. */
	if ((rc = own_policy(db)) || (rc = newest_pin(db, &p, &found)))
		return rc;
	/* Nothing pinned, or an empty pin: the first write pins this one. */
	rc = found && p.text[0] ? refuse_other(db, &p) : 0;
	free(p.text);
	return rc;
}

int wr_policy_pin(struct wr_db *db, bool *changed)
{
	struct pin p;
	bool found;
	int rc;

	*changed = false;
	if (!db->cfg)
		return wr_err(db, WR_EINVAL, "no configuration to pin");
	/* Judged by the pinned [users]: a relaxed config cannot pin itself. */
	if ((rc = wr_auth_team(db, "management")))
		return rc;
	if ((rc = own_policy(db)))
		return rc;
	db->policy_bypass = true;
	rc = wr_tx_begin(db);
	db->policy_bypass = false;
	if (rc)
		return rc;
	if ((rc = load_pinned(db, &p, &found)))
		goto fail;
	if (found && strcmp(p.sha, db->cfg_policy_sha) == 0) {
		free(p.text);
		wr_tx_rollback(db);
		return 0;
	}
	rc = record_pin(db, false, found ? p.sha : NULL);
	free(p.text);
	if (rc)
		goto fail;
	if ((rc = wr_tx_commit(db)))
		return rc;
	*changed = true;
	return 0;
fail:
	wr_tx_rollback(db);
	return rc;
}

int wr_policy_get(struct wr_db *db, struct wr_policy_info *pi)
{
	struct pin p;
	bool found;
	int rc;

	memset(pi, 0, sizeof *pi);
	if ((rc = own_policy(db)) || (rc = newest_pin(db, &p, &found)))
		return rc;
	snprintf(pi->config_sha256, sizeof pi->config_sha256, "%s", db->cfg_policy_sha);
	if (found) {
		snprintf(pi->pinned_sha256, sizeof pi->pinned_sha256, "%s", p.sha);
		snprintf(pi->pinned_by, sizeof pi->pinned_by, "%s", p.actor);
		pi->pinned_at = p.at;
	}
	/* An empty pin restricts nothing and takes the next policy. */
	pi->matches = !found || !p.text[0] || strcmp(p.sha, db->cfg_policy_sha) == 0;
	free(p.text);
	return 0;
}
