/*
 * rules.c: the Baseline Requirements and the plan template as tables.
 *
 * BR 4.9.1.1 (subscriber certificates) and 4.9.1.2 (subordinate CAs) map
 * each circumstance to a deadline and a CRLReason (BR 7.2.2); the plan
 * template's section 4 lists the criteria of a Mass Revocation Event; its
 * section 5.2 the phases. Everything that asks "how long" or "which reason"
 * reads these tables; nothing else hard-codes them.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define H24 (24 * 3600)
#define D5 (5 * 86400)
#define D7 (7 * 86400)

static const struct wr_reason reasons[] = {
	/* BR 4.9.1.1: 24 hours. */
	{"subscriber-request", "4.9.1.1 (1)",
	 "The subscriber asks in writing for revocation, giving no reason", H24, WR_CRL_OMIT, false},
	{"unauthorized", "4.9.1.1 (2)",
	 "The subscriber says the original request was never authorized", H24, 9, false},
	{"key-compromise", "4.9.1.1 (3)",
	 "Evidence that the subscriber's private key is compromised", H24, 1, false},
	{"key-computable", "4.9.1.1 (4)",
	 "A proven method computes the private key from the public key", H24, 1, false},
	{"validation-unreliable", "4.9.1.1 (5)",
	 "Domain or IP validation (CAA included) cannot be relied upon", H24, 4, false},
	/* BR 4.9.1.1: SHOULD within 24 hours, MUST within 5 days. */
	{"weak-key", "4.9.1.1 (6)",
	 "The key no longer meets sections 6.1.5 and 6.1.6", D5, 4, false},
	{"misuse", "4.9.1.1 (7)", "The certificate was misused", D5, 9, false},
	{"agreement-breach", "4.9.1.1 (8)",
	 "The subscriber broke a material obligation of its agreement", D5, 9, false},
	{"domain-not-permitted", "4.9.1.1 (9)",
	 "Use of a name in the certificate is no longer legally permitted", D5, 5, false},
	{"wildcard-misleading", "4.9.1.1 (10)",
	 "A wildcard certificate served a misleading subdomain", D5, 9, false},
	{"info-changed", "4.9.1.1 (11)",
	 "Information in the certificate changed materially", D5, 9, false},
	{"misissued", "4.9.1.1 (12)",
	 "Not issued per the Baseline Requirements or the CA's CP/CPS", D5, 4, false},
	{"info-inaccurate", "4.9.1.1 (13)",
	 "Information in the certificate is inaccurate", D5, 9, false},
	{"ca-terminated", "4.9.1.1 (14)",
	 "The CA's right to issue under the Baseline Requirements ended", D5, WR_CRL_OMIT, false},
	{"cps-required", "4.9.1.1 (15)",
	 "The CA's CP/CPS requires revocation for another reason", D5, WR_CRL_OMIT, false},
	{"keygen-flawed", "4.9.1.1 (16)",
	 "The method that generated the private key was flawed", D5, 1, false},
	/* BR 4.9.1.2: subordinate CA certificates, 7 days. */
	{"subca-request", "4.9.1.2 (1)",
	 "The subordinate CA asks in writing for revocation", D7, WR_CRL_OMIT, true},
	{"subca-unauthorized", "4.9.1.2 (2)",
	 "The subordinate CA says its request was never authorized", D7, 9, true},
	{"subca-key-compromise", "4.9.1.2 (3)",
	 "The subordinate CA's key is compromised or no longer meets 6.1.5/6.1.6", D7, 2, true},
	{"subca-misuse", "4.9.1.2 (4)", "The subordinate CA certificate was misused", D7, 9, true},
	{"subca-misissued", "4.9.1.2 (5)",
	 "Not issued per the BRs, or the subordinate CA broke them or its CP/CPS", D7, 4, true},
	{"subca-info-inaccurate", "4.9.1.2 (6)",
	 "Information in the subordinate CA certificate is inaccurate or misleading", D7, 9, true},
	{"subca-ceased", "4.9.1.2 (7)",
	 "The issuing or subordinate CA ceased operations without revocation support", D7, 5, true},
	{"subca-terminated", "4.9.1.2 (8)",
	 "The issuing or subordinate CA's right to issue ended", D7, 5, true},
	{"subca-cps-required", "4.9.1.2 (9)",
	 "The issuing CA's CP/CPS requires revocation", D7, WR_CRL_OMIT, true},
};
#define NREASONS (sizeof reasons / sizeof reasons[0])

size_t wr_reason_count(void) { return NREASONS; }

const struct wr_reason *wr_reason_at(size_t i) { return i < NREASONS ? &reasons[i] : NULL; }

const struct wr_reason *wr_reason_find(const char *code)
{
	for (size_t i = 0; code && i < NREASONS; i++)
		if (strcmp(reasons[i].code, code) == 0)
			return &reasons[i];
	return NULL;
}

/* RFC 5280 5.3.1. certificateHold (6) is listed only to name it: BR 4.9.13
 * forbids suspension and no reason above uses it. */
const char *wr_crl_reason_name(int r)
{
	static const char *const names[] = {
		"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
		"superseded", "cessationOfOperation", "certificateHold", "(7)",
		"removeFromCRL", "privilegeWithdrawn", "aACompromise",
	};
	if (r == WR_CRL_OMIT)
		return "unspecified";
	if (r >= 0 && r < (int)(sizeof names / sizeof names[0]))
		return names[r];
	return "unknown";
}

int64_t wr_deadline(const struct wr_reason *r, int64_t discovered)
{
	return discovered + r->deadline;
}

static const struct {
	const char *name, *title;
} phases[WR_PHASES] = {
	{"activation", "Activation: initial assessment"},
	{"communication", "Phase 1: Customer communication"},
	{"replacement", "Phase 2: Certificate replacement"},
	{"revocation", "Phase 3: Certificate revocation"},
	{"post-mortem", "Phase 4: Post-mortem and improvement"},
};

const char *wr_phase_name(int p) { return p >= 0 && p < WR_PHASES ? phases[p].name : "?"; }
const char *wr_phase_title(int p) { return p >= 0 && p < WR_PHASES ? phases[p].title : "?"; }

int wr_phase_parse(const char *s)
{
	if (!s)
		return -1;
	if (s[0] >= '0' && s[0] < '0' + WR_PHASES && s[1] == '\0')
		return s[0] - '0';
	for (int i = 0; i < WR_PHASES; i++)
		if (strcmp(s, phases[i].name) == 0)
			return i;
	return -1;
}

/* BR 4.9.1.1: at most 10 days, or 7 days for certificates issued from
 * 2026-03-15, counting the validity period inclusively (BR 1.6.1). */
bool wr_cert_short_lived(int64_t not_before, int64_t not_after)
{
	const int64_t cutover = 1773532800; /* 2026-03-15T00:00:00Z */
	int64_t period = not_after - not_before + 1;

	return period <= (not_before >= cutover ? 7 : 10) * 86400;
}

/* The plan template's section 4 as a table: each criterion is either a
 * figure against a threshold or an operator's flag. */
enum crit_kind { K_ABSOLUTE, K_SHARE, K_DEADLINE, K_FLAG };
static const struct {
	const char *id;
	enum crit_kind kind;
	unsigned flag;
	const char *label;
} criteria[WR_MRE_CRITERIA] = {
	{"absolute", K_ABSOLUTE, 0, "Absolute volume: affects at least the threshold of certificates"},
	{"share", K_SHARE, 0, "Relative impact: at least the threshold share of active TLS certificates"},
	{"deadline", K_DEADLINE, 0, "Timeframe: a BR 4.9.1.1 revocation deadline applies"},
	{"burden", K_FLAG, WR_MRE_BURDEN, "Operational burden: major outreach, urgent changes or reporting"},
	{"ca-key", K_FLAG, WR_MRE_CAKEY, "Compromise or suspected compromise of a CA private key"},
	{"compliance", K_FLAG, WR_MRE_COMPLIANCE, "Compliance failures affecting many certificates"},
	{"key-vulnerability", K_FLAG, WR_MRE_KEYVULN, "Major vulnerability in server private keys"},
};

int wr_mre_evaluate(const struct wr_mre_input *in, struct wr_mre_criterion out[WR_MRE_CRITERIA])
{
	int met = 0;
	char dl[WR_TIME_BUFSZ];

	for (int i = 0; i < WR_MRE_CRITERIA; i++) {
		struct wr_mre_criterion *c = &out[i];
		c->id = criteria[i].id;
		c->label = criteria[i].label;
		c->met = false;
		switch (criteria[i].kind) {
		case K_ABSOLUTE:
			c->met = in->affected >= in->absolute;
			snprintf(c->detail, sizeof c->detail, "%lld affected; threshold %lld",
				 (long long)in->affected, (long long)in->absolute);
			break;
		case K_SHARE:
			if (in->active_total <= 0) {
				snprintf(c->detail, sizeof c->detail,
					 "active TLS total unknown (init --active-total N); threshold %.2f%%",
					 in->share_percent);
				break;
			}
			double share = 100.0 * (double)in->affected / (double)in->active_total;
			c->met = share >= in->share_percent;
			snprintf(c->detail, sizeof c->detail,
				 "%.3f%% of %lld active; threshold %.2f%%", share,
				 (long long)in->active_total, in->share_percent);
			break;
		case K_DEADLINE:
			if (!in->reason) {
				snprintf(c->detail, sizeof c->detail, "no reason code given");
				break;
			}
			c->met = in->not_short_lived > 0;
			snprintf(c->detail, sizeof c->detail,
				 "%s: BR %s, %s; %lld of %lld not short-lived", in->reason->code,
				 in->reason->section, wr_duration_format(in->reason->deadline, dl),
				 (long long)in->not_short_lived, (long long)in->affected);
			break;
		case K_FLAG:
			c->met = (in->flags & criteria[i].flag) != 0;
			if (criteria[i].flag == WR_MRE_CAKEY && in->reason &&
			    strcmp(in->reason->code, "subca-key-compromise") == 0) {
				c->met = true;
				snprintf(c->detail, sizeof c->detail, "reason %s", in->reason->code);
			} else {
				snprintf(c->detail, sizeof c->detail, "%s",
					 c->met ? "flagged by Management" : "not flagged");
			}
			break;
		}
		met += c->met;
	}
	return met;
}
