/*
 * event-text.c: the timeline in words.
 *
 * Each action the core records has one entry in a table: a template that
 * turns the event's details (JSON) into a sentence whose subject is the
 * actor, as in
 *   carol ticked "Send the early notice" (Customer Relations)
 * or a function where a template cannot say it. Templates look up what
 * the details only name (a task's title and team, a team's name, a
 * reason's circumstance) with statements prepared once per handle, since
 * the console renders its timeline every frame.
 *
 * The sentence is raw text: titles, notes and customer names are copied
 * as they are, control bytes and all, and each edge escapes it for itself
 * (the terminal, markdown, JSON). An action without an entry, or details
 * that are not JSON, still read: the action's words and key=value.
 *
 * This file only reads; it never records an event.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* The lookups, prepared on first use and kept with the handle. */
struct wr_evtext {
	sqlite3_stmt *task; /* a task's title and team name */
	sqlite3_stmt *team; /* a team's name */
};

/* A sentence being written; a failed append sets oom. */
struct sent {
	struct wr_db *db;
	const struct wr_event *e;
	json_t *d; /* the details, an object (NULL when they are not one) */
	int qmax;  /* quoted text longer than this many characters is cut; 0: never */
	bool tail; /* the value being written ends the sentence: never cut */
	struct wr_buf b;
	bool oom;
};

/*
 * Templates. Text is copied; {KEY} is the value at KEY in the details (a
 * path: "errors.0.error"), as text, "?" when absent. A mark before KEY
 * says how:
 *   {#KEY}       an integer with thousands separators; an array's size
 *   {#KEY noun}  the same and the noun, "s" added unless the count is 1;
 *                "entry|entries" names both forms
 *   {"KEY}       a string in double quotes
 *   {@KEY}       an RFC 3339 time as "2026-11-26 06:00Z"
 *   {~KEY}       a hash, its first 12 characters
 *   {,KEY}       an array of strings, quoted, the first three and a count
 *   {!KEY}       nothing: only a condition for the group it is in
 *   {$task}      the task of details.task: "Title" (Team name); "task 11"
 *                when it is not there
 *   {$team}      the name of the team details.team names
 *   {$phase}     details.phase (a number or a name) as its title
 *   {$reason}    details.reason, a BR code, in words with its section
 * [...] is left out unless each value in it is present and not null, "",
 * 0, false or empty. Groups do not nest.
 * Cut to fit (wr_event_sentence_fit): a quoted text is cut after qmax
 * characters unless it ends the sentence (a note: the edge clips it), and
 * teams go by the plan's short names.
 */
struct evtext {
	const char *action;
	const char *tpl;	    /* after "ACTOR " */
	void (*fn)(struct sent *s); /* when tpl is NULL */
};

static void s_assign(struct sent *s);

static const struct evtext table[] = {
	{"init",
	 "created the incident {\"name} with the plan {\"plan} ({#teams team}, {#tasks task})"
	 "[; the CA has {#active_total} active certificates]", NULL},
	{"declare",
	 "declared a mass revocation event: {$reason}; discovered {@discovered}, deadline"
	 " {@deadline}; {criteria_met} of {#criteria} MRE criteria met[: {\"note}]", NULL},
	{"phase", "moved the incident to {$phase}", NULL},
	{"close", "closed the incident[: {\"note}]", NULL},
	{"incident-reopen", "reopened the incident[ (back to {state})][: {\"note}]", NULL},
	{"schema-upgrade", "upgraded the database from schema version {from} to {to}", NULL},
	{"policy-pin",
	 "[{!auto}automatically ]pinned the policy[ of {\"config}] (sha256 {~sha256})"
	 "[, replacing {~previous}]", NULL},

	{"task-add", "added the task {\"title} ({$team}, {$phase})[, due {@due}]", NULL},
	{"task-done", "ticked {$task}[: {\"note}]", NULL},
	{"task-reopen", "reopened {$task}", NULL},
	{"task-assign", NULL, s_assign},
	{"task-note", "noted on {$task}: {\"note}", NULL},
	{"task-block", "blocked {$task}[: {\"reason}]", NULL},
	{"task-unblock", "unblocked {$task}", NULL},

	{"import",
	 "imported {#certs certificate} from {#files file}: {#added} added, {#duplicates} already"
	 " present, {#rejected file} rejected[, {#forged} forged][, {#conflicts} conflicting]"
	 "[, {#unchecked} with no known issuer]", NULL},
	{"customers",
	 "imported the customer list: {#rows row}, {#matched} matched[, {#unmatched} matching no"
	 " certificate][, {#rejected} rejected][, {#customers_new new customer}]"
	 "[, {#customers_updated customer} updated]", NULL},
	{"customer-set",
	 "updated customer {\"customer}[: contact {\"contact}][ (was {\"previous_contact})]"
	 "[; critical: {critical}][ (was {previous_critical})]", NULL},
	{"customer-ack",
	 "recorded the acknowledgement of {\"customer} ({#certificates certificate})[: {\"note}]",
	 NULL},
	{"customers-recount",
	 "counted the figures of {#customers customer} afresh: {#differed} differed", NULL},

	{"authorize",
	 "authorized the revocation[ of at most {#limit certificate}] (authorization"
	 " #{authorization})", NULL},
	{"delay",
	 "delayed the revocation of {#held certificate}[ of {\"customer}][ ({#unknown_serials}"
	 " serials unknown)] until {@until}: {\"rationale}", NULL},
	{"revoke-reclaim", "took back {#reclaimed certificate} a stopped run left submitted", NULL},
	{"revoke-batch",
	 "ran revocation batch {batch}: {#revoked} revoked, {#already} already revoked, {#failed}"
	 " failed[ (first failure {errors.0.serial}: {\"errors.0.error})]", NULL},
	{"revoke",
	 "revoked {#revoked certificate} through the {backend} backend[ (wave {\"wave})]:"
	 " {#already} already revoked, {#failed} failed, in {seconds} s[; publication deferred"
	 " until {@publication_deferred_until} (OCSP lag)]", NULL},
	{"wave-add",
	 "added wave {\"wave} at position {position}: {#certificates certificate}[ of {,customers}]"
	 "[ (critical customers: {critical})][, not before {@not_before}][, {#unknown_serials}"
	 " serials unknown]", NULL},
	{"wave-move", "moved wave {\"wave} from position {from} to {to}", NULL},

	{"notify",
	 "sent the {\"template} message[ to {\"customer}]: {#sent} sent, {#failed} failed"
	 "[, {#unknown} of unknown outcome][, {#skipped} already sent][, {#no_contact} without a"
	 " contact]", NULL},
	{"replacements",
	 "imported replacements for {#affected certificate}: {#linked} linked[, {#relinked}"
	 " relinked to newer ones][, {#already} already linked][, {#unmatched} replacing"
	 " nothing][, {#ambiguous} ambiguous]", NULL},
	{"ari",
	 "wrote renewal information for {#written certificate}, the window from {@start} to"
	 " {@end}[ ({#no_aki} without an authority key identifier)]", NULL},
	{"probe",
	 "probed {#endpoints endpoint}: {#affected} still serving the affected certificate,"
	 " {#replacement} its replacement, {#other} another[, {#unreachable} unreachable]"
	 "[; {#replaced certificate} now replaced][ (cancelled{!cancelled})]", NULL},

	{"crl",
	 "published CRL number {crl_number}: {#entries entry|entries} in {#shards shard}"
	 "[, re-sharded from {reshard_from}]; next update {@next_update}", NULL},
	{"verify",
	 "checked publication: {#on_crl} of {#revoked} revoked certificates on the CRLs"
	 "[, OCSP confirmed {#ocsp_confirmed} of {#ocsp_sampled} sampled], {#problems problem}",
	 NULL},

	{"finding-add", "recorded {label}[ (bug {bug})]: {\"text}", NULL},
	{"action-add",
	 "added the action item #{action} {\"title} ({kind}), due {@due}[, {status}]", NULL},
	{"action-set",
	 "updated the action item #{action} {\"title}[: status {status}][ (was"
	 " {previous_status})][, due {@due}][, kind {kind}][, retitled {\"title_new}]"
	 "[, root cause {\"root_cause}][, criteria {\"criteria}]", NULL},

	{"bugzilla-bug", "filed Bugzilla bug {bug} with the {kind} report: {\"summary}", NULL},
	{"bugzilla-comment",
	 "posted the {kind} report to Bugzilla bug {bug}[ (part {part} of {parts})] as comment"
	 " {comment}", NULL},
	{"bugzilla-attachment",
	 "attached the {kind} report's appendix {file_name} ({#bytes byte}) to Bugzilla bug {bug}"
	 " as attachment {attachment}", NULL},
	{"bugzilla-failed",
	 "tried to post the {kind} report[ to Bugzilla bug {bug}][ (part {part} of {parts})],"
	 " left {state}: {\"error}", NULL},
	{"bugzilla-whiteboard", "set the whiteboard of Bugzilla bug {bug} to {\"whiteboard}", NULL},
	{"report-posted", "marked the {kind} report as posted to Bugzilla bug {bug} at {@at}", NULL},
	{"bugzilla-settle",
	 "settled post #{post} (the {kind} report[ to Bugzilla bug {bug}]) as {as}: {#rows comment}",
	 NULL},

	{"exercise-start",
	 "started the exercise {\"title} (scenario {scenario}) at {@at}, speed {speed}", NULL},
	{"exercise-pause", "paused the exercise's clock at {@at}", NULL},
	{"exercise-resume", "resumed the exercise's clock at {@at}, speed {speed}", NULL},
	{"exercise-speed", "changed the exercise's clock speed from {from} to {speed} at {@at}",
	 NULL},
	{"exercise-end", "ended the exercise at {@at}", NULL},
	{"population",
	 "generated the exercise's population: {#certs certificate} ({#real} signed by its test"
	 " CA, {#synthetic} synthetic), {#customers customer}, {#expired} expired", NULL},
	{"scenario-discovered",
	 "set the scenario's discovery: {$reason}; discovered {@discovered}", NULL},

	{"run-pause", "paused the {kind} run #{run}", NULL},
	{"run-resume", "resumed the {kind} run #{run}", NULL},
	{"run-cancel", "cancelled the {kind} run #{run}", NULL},

	{"inject-fire", "fired inject {\"inject}[ to {$team}]: {\"message}[ ({summary})]", NULL},
	{"expect-score",
	 "scored {\"description} (inject {\"inject}) {score}[, {late} late][: {\"note}]", NULL},
	{"observe", "observed: {\"text}", NULL},
};
#define NTABLE (sizeof table / sizeof table[0])

/* ---- writing ----------------------------------------------------------------- */

static void put(struct sent *s, const char *p, size_t n)
{
	if (!s->oom && !wr_buf_put(&s->b, p, n))
		s->oom = true;
}

static void puts_(struct sent *s, const char *p) { put(s, p, strlen(p)); }

static void putf(struct sent *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct sent *s, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		put(s, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* 3000 as "3,000", as the numbers pane writes counts. */
static void put_grouped(struct sent *s, long long v)
{
	char digits[32], out[48];
	unsigned long long m = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	int len = snprintf(digits, sizeof digits, "%llu", m), k = 0;

	if (v < 0)
		out[k++] = '-';
	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			out[k++] = ',';
		out[k++] = digits[i];
	}
	put(s, out, (size_t)k);
}

static void put_quoted(struct sent *s, const char *v)
{
	size_t n = strlen(v), k = 0;
	int chars = 0;

	/* Cut after qmax characters (UTF-8 lead bytes), keeping the quotes;
	 * a note at the end is left whole: the edge clips it. */
	if (s->qmax > 0 && !s->tail) {
		while (k < n && (chars < s->qmax || ((unsigned char)v[k] & 0xc0) == 0x80)) {
			if (((unsigned char)v[k] & 0xc0) != 0x80)
				chars++;
			k++;
		}
	}
	put(s, "\"", 1);
	if (s->qmax > 0 && !s->tail && k < n) {
		while (k > 0 && v[k - 1] == ' ')
			k--;
		put(s, v, k);
		puts_(s, "\xe2\x80\xa6");
	} else {
		put(s, v, n);
	}
	put(s, "\"", 1);
}

/* "2026-11-26 06:00Z", with the seconds only when there are some. */
static void put_time(struct sent *s, const char *v)
{
	int64_t t;
	struct tm tm;
	char b[40];

	if (wr_time_parse(v, &t)) {
		puts_(s, v);
		return;
	}
	time_t tt = (time_t)t;
	gmtime_r(&tt, &tm);
	strftime(b, sizeof b, tm.tm_sec ? "%Y-%m-%d %H:%M:%SZ" : "%Y-%m-%d %H:%MZ", &tm);
	puts_(s, b);
}

/* ---- the details ------------------------------------------------------------- */

/* The value at path (n bytes: "errors.0.error"), or NULL. */
static json_t *value_at(json_t *d, const char *path, size_t n)
{
	json_t *v = d;

	while (v && n) {
		const char *dot = memchr(path, '.', n);
		size_t k = dot ? (size_t)(dot - path) : n;
		char key[64];

		if (k == 0 || k >= sizeof key)
			return NULL;
		memcpy(key, path, k);
		key[k] = '\0';
		if (json_is_object(v))
			v = json_object_get(v, key);
		else if (json_is_array(v) && isdigit((unsigned char)key[0]))
			v = json_array_get(v, strtoul(key, NULL, 10));
		else
			return NULL;
		path += k + (dot ? 1 : 0);
		n -= k + (dot ? 1 : 0);
	}
	return v;
}

static bool truthy(const json_t *v)
{
	if (!v || json_is_null(v) || json_is_false(v))
		return false;
	if (json_is_string(v))
		return json_string_value(v)[0] != '\0';
	if (json_is_integer(v))
		return json_integer_value(v) != 0;
	if (json_is_real(v))
		return json_real_value(v) != 0;
	if (json_is_array(v))
		return json_array_size(v) > 0;
	return true;
}

static void put_plain(struct sent *s, const json_t *v)
{
	if (!v || json_is_null(v))
		put(s, "?", 1);
	else if (json_is_string(v))
		puts_(s, json_string_value(v));
	else if (json_is_integer(v))
		putf(s, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		putf(s, "%.1f", json_real_value(v));
	else if (json_is_boolean(v))
		puts_(s, json_is_true(v) ? "yes" : "no");
	else if (json_is_array(v))
		putf(s, "[%zu]", json_array_size(v));
	else
		puts_(s, "{...}");
}

/* ---- lookups ------------------------------------------------------------------- */

/* The handle's statement for slot, prepared on first use and kept for the
 * handle's life (finalized by wr_evtext_free, from wr_db_close); else
 * the fallback's (a database whose teams have no short names). A failure
 * costs the words only: the caller's error message stays. */
static sqlite3_stmt *stmt(struct wr_db *db, size_t slot, const char *sql, const char *fallback)
{
	if (!db->evtext && !(db->evtext = calloc(1, sizeof *db->evtext)))
		return NULL;
	sqlite3_stmt **st = slot == 0 ? &db->evtext->task : &db->evtext->team;
	for (int i = 0; !*st && i < 2; i++) {
		if (sqlite3_prepare_v3(db->sq, i ? fallback : sql, -1, SQLITE_PREPARE_PERSISTENT, st,
				       NULL) != SQLITE_OK) {
			sqlite3_finalize(*st);
			*st = NULL;
		}
	}
	return *st;
}

/* A team's name; its short one (the plan's, for tabs) in a cut sentence. */
static void put_team_name(struct sent *s, const char *name, const char *short_name)
{
	puts_(s, s->qmax > 0 && short_name && *short_name ? short_name : name ? name : "?");
}

void wr_evtext_free(struct wr_db *db)
{
	if (!db->evtext)
		return;
	sqlite3_finalize(db->evtext->task);
	sqlite3_finalize(db->evtext->team);
	free(db->evtext);
	db->evtext = NULL;
}

/* "Title" (Team name), or "task 11" when the task is not found. */
static void put_task(struct sent *s, const json_t *v)
{
	sqlite3_stmt *st;

	if (!json_is_integer(v)) {
		puts_(s, "a task");
		return;
	}
	st = stmt(s->db, 0,
		  "SELECT t.title, coalesce(m.name, t.team), m.short FROM task t"
		  " LEFT JOIN team m ON m.id = t.team WHERE t.id = ?",
		  "SELECT t.title, coalesce(m.name, t.team), NULL FROM task t"
		  " LEFT JOIN team m ON m.id = t.team WHERE t.id = ?");
	if (st) {
		sqlite3_bind_int64(st, 1, json_integer_value(v));
		if (sqlite3_step(st) == SQLITE_ROW && wr_col_text(st, 0)) {
			put_quoted(s, wr_col_text(st, 0));
			put(s, " (", 2);
			put_team_name(s, wr_col_text(st, 1), wr_col_text(st, 2));
			put(s, ")", 1);
			sqlite3_reset(st);
			return;
		}
		sqlite3_reset(st);
	}
	putf(s, "task %lld", (long long)json_integer_value(v));
}

static void put_team(struct sent *s, const json_t *v)
{
	sqlite3_stmt *st;

	if (!json_is_string(v)) {
		put_plain(s, v);
		return;
	}
	st = stmt(s->db, 1, "SELECT name, short FROM team WHERE id = ?",
		  "SELECT name, NULL FROM team WHERE id = ?");
	if (st) {
		sqlite3_bind_text(st, 1, json_string_value(v), -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && wr_col_text(st, 0)) {
			put_team_name(s, wr_col_text(st, 0), wr_col_text(st, 1));
			sqlite3_reset(st);
			return;
		}
		sqlite3_reset(st);
	}
	puts_(s, json_string_value(v));
}

static void put_phase(struct sent *s, const json_t *v)
{
	int p = json_is_integer(v)  ? (int)json_integer_value(v)
		: json_is_string(v) ? wr_phase_parse(json_string_value(v))
				    : -1;
	if (p >= 0 && p < WR_PHASES)
		puts_(s, wr_phase_title(p));
	else
		put_plain(s, v);
}

/* The BR circumstance in words, then the code and section. */
static void put_reason(struct sent *s, const json_t *v)
{
	const struct wr_reason *r = json_is_string(v) ? wr_reason_find(json_string_value(v)) : NULL;

	if (!r) {
		put_plain(s, v);
		return;
	}
	putf(s, "%c", tolower((unsigned char)r->circumstance[0]));
	puts_(s, r->circumstance + 1);
	putf(s, " (%s, BR %s)", r->code, r->section);
}

/* ---- templates ----------------------------------------------------------------- */

struct ph {
	char mark;	  /* one of MARKS, or 0 */
	const char *key;  /* a path into the details */
	size_t klen;
	const char *noun; /* after a space, or NULL */
	size_t nlen;
};
#define MARKS "#\"@~,!$"

static void ph_parse(const char *p, size_t n, struct ph *ph)
{
	ph->mark = n && strchr(MARKS, *p) ? *p : 0;
	if (ph->mark)
		p++, n--;
	const char *sp = memchr(p, ' ', n);
	ph->key = p;
	ph->klen = sp ? (size_t)(sp - p) : n;
	ph->noun = sp ? sp + 1 : NULL;
	ph->nlen = sp ? n - ph->klen - 1 : 0;
}

static void put_count(struct sent *s, const json_t *v, const struct ph *ph)
{
	long long n = json_is_integer(v) ? (long long)json_integer_value(v)
		      : json_is_real(v)	 ? (long long)json_real_value(v)
		      : json_is_array(v) ? (long long)json_array_size(v)
					 : 0;
	if (json_is_integer(v) || json_is_real(v) || json_is_array(v))
		put_grouped(s, n);
	else
		put_plain(s, v);
	if (!ph->noun)
		return;
	const char *bar = memchr(ph->noun, '|', ph->nlen);
	put(s, " ", 1);
	if (n == 1 || n == -1)
		put(s, ph->noun, bar ? (size_t)(bar - ph->noun) : ph->nlen);
	else if (bar)
		put(s, bar + 1, ph->nlen - (size_t)(bar - ph->noun) - 1);
	else
		put(s, ph->noun, ph->nlen), put(s, "s", 1);
}

static void put_list(struct sent *s, const json_t *v)
{
	size_t n = json_array_size(v), i;

	if (!json_is_array(v)) {
		put_plain(s, v);
		return;
	}
	for (i = 0; i < n && i < 3; i++) {
		const json_t *it = json_array_get(v, i);
		if (i)
			put(s, ", ", 2);
		if (json_is_string(it))
			put_quoted(s, json_string_value(it));
		else
			put_plain(s, it);
	}
	if (n > i)
		putf(s, " and %zu more", n - i);
}

static void placeholder(struct sent *s, const char *p, size_t n)
{
	struct ph ph;

	ph_parse(p, n, &ph);
	json_t *v = value_at(s->d, ph.key, ph.klen);
	switch (ph.mark) {
	case '#': put_count(s, v, &ph); break;
	case '"':
		if (json_is_string(v))
			put_quoted(s, json_string_value(v));
		else
			put_plain(s, v);
		break;
	case '@':
		if (json_is_string(v))
			put_time(s, json_string_value(v));
		else
			put_plain(s, v);
		break;
	case '~':
		if (json_is_string(v))
			put(s, json_string_value(v), strnlen(json_string_value(v), 12));
		else
			put_plain(s, v);
		break;
	case ',': put_list(s, v); break;
	case '!': break;
	case '$':
		if (ph.klen == 4 && memcmp(ph.key, "task", 4) == 0)
			put_task(s, v);
		else if (ph.klen == 4 && memcmp(ph.key, "team", 4) == 0)
			put_team(s, v);
		else if (ph.klen == 5 && memcmp(ph.key, "phase", 5) == 0)
			put_phase(s, v);
		else if (ph.klen == 6 && memcmp(ph.key, "reason", 6) == 0)
			put_reason(s, v);
		else
			put_plain(s, v);
		break;
	default: put_plain(s, v); break;
	}
}

/* True when every value the group [p, p+n) names is there and not empty. */
static bool group_ok(struct sent *s, const char *p, size_t n)
{
	const char *end = p + n;

	while ((p = memchr(p, '{', (size_t)(end - p)))) {
		const char *close = memchr(p, '}', (size_t)(end - p));
		struct ph ph;
		if (!close)
			return false;
		ph_parse(p + 1, (size_t)(close - p - 1), &ph);
		if (!truthy(value_at(s->d, ph.key, ph.klen)))
			return false;
		p = close + 1;
	}
	return true;
}

/* Writes the template t (n bytes); tail: it ends the sentence. */
static void render_part(struct sent *s, const char *t, size_t n, bool tail)
{
	const char *end = t + n;

	while (t < end) {
		if (*t == '[') {
			const char *close = memchr(t, ']', (size_t)(end - t));
			if (!close)
				close = end;
			if (group_ok(s, t + 1, (size_t)(close - t - 1)))
				render_part(s, t + 1, (size_t)(close - t - 1),
					    tail && close + 1 >= end);
			t = close < end ? close + 1 : end;
		} else if (*t == '{') {
			const char *close = memchr(t, '}', (size_t)(end - t));
			if (!close) {
				put(s, t, (size_t)(end - t));
				return;
			}
			s->tail = tail && close + 1 == end;
			placeholder(s, t + 1, (size_t)(close - t - 1));
			s->tail = false;
			t = close + 1;
		} else {
			const char *q = t;
			while (q < end && *q != '[' && *q != '{')
				q++;
			put(s, t, (size_t)(q - t));
			t = q;
		}
	}
}

static void render(struct sent *s, const char *tpl) { render_part(s, tpl, strlen(tpl), true); }

/* ---- functions, where a template cannot say it ---------------------------------- */

static void s_assign(struct sent *s)
{
	const json_t *owner = json_object_get(s->d, "owner");

	/* "carol took" reads better than "carol assigned ... to carol". */
	if (json_is_string(owner) && s->e->actor && strcmp(json_string_value(owner), s->e->actor) == 0)
		render(s, "took {$task}");
	else
		render(s, "assigned {$task} to {owner}");
}

/* ---- anything else: the action's words and key=value ---------------------------- */

static void generic(struct sent *s)
{
	const char *a = s->e->action && *s->e->action ? s->e->action : "did something";
	const char *key;
	json_t *v;
	bool first = true;

	for (; *a; a++)
		put(s, *a == '-' || *a == '_' ? " " : a, 1);
	if (!s->d) {
		const char *raw = s->e->details;
		if (raw && *raw && strcmp(raw, "{}") != 0)
			put(s, ": ", 2), puts_(s, raw);
		return;
	}
	json_object_foreach(s->d, key, v) {
		put(s, first ? ": " : " ", first ? 2 : 1);
		first = false;
		puts_(s, key);
		put(s, "=", 1);
		if (json_is_string(v) &&
		    (!json_string_value(v)[0] || strchr(json_string_value(v), ' ')))
			put_quoted(s, json_string_value(v));
		else
			put_plain(s, v);
	}
}

/* ---- the API ------------------------------------------------------------------------ */

static const struct evtext *find(const char *action)
{
	for (size_t i = 0; action && i < NTABLE; i++)
		if (strcmp(table[i].action, action) == 0)
			return &table[i];
	return NULL;
}

bool wr_event_known(const char *action) { return find(action) != NULL; }

int wr_event_sentence(struct wr_db *db, const struct wr_event *e, char *buf, size_t n)
{
	return wr_event_sentence_fit(db, e, 0, buf, n);
}

int wr_event_sentence_fit(struct wr_db *db, const struct wr_event *e, int quoted_max, char *buf,
			  size_t n)
{
	struct sent s = {.db = db, .e = e, .qmax = quoted_max};
	const struct evtext *t = find(e->action);
	json_t *d = e->details ? json_loads(e->details, 0, NULL) : NULL;

	s.d = json_is_object(d) ? d : NULL;
	puts_(&s, e->actor && *e->actor ? e->actor : "someone");
	put(&s, " ", 1);
	if (t && s.d && t->tpl)
		render(&s, t->tpl);
	else if (t && s.d && t->fn)
		t->fn(&s);
	else
		generic(&s);
	json_decref(d);
	if (s.oom) {
		wr_buf_free(&s.b);
		if (n)
			buf[0] = '\0';
		return WR_ENOMEM;
	}
	size_t len = s.b.len;
	if (n) {
		size_t k = len < n ? len : n - 1;
		/* Cut on a character's first byte, never inside one. */
		while (k > 0 && k < len && ((unsigned char)s.b.p[k] & 0xc0) == 0x80)
			k--;
		memcpy(buf, s.b.p, k);
		buf[k] = '\0';
	}
	wr_buf_free(&s.b);
	return len > INT32_MAX ? INT32_MAX : (int)len;
}

char *wr_event_sentence_dup(struct wr_db *db, const struct wr_event *e, int quoted_max)
{
	char small[256];
	int n = wr_event_sentence_fit(db, e, quoted_max, small, sizeof small);
	char *p;

	if (n < 0)
		return NULL;
	if ((size_t)n < sizeof small)
		return strdup(small);
	if (!(p = malloc((size_t)n + 1)))
		return NULL;
	if (wr_event_sentence_fit(db, e, quoted_max, p, (size_t)n + 1) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

bool wr_event_match(const struct wr_event *e, const char *sentence, const char *text)
{
	if (!text || !*text)
		return true;
	if (sentence && strstr(sentence, text))
		return true;
	/* As the log always matched: "ACTOR ACTION DETAILS". */
	struct wr_buf raw = {0};
	const char *parts[] = {e->actor ? e->actor : "", " ", e->action ? e->action : "", " ",
			       e->details ? e->details : ""};
	bool ok = true, hit;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		ok = ok && wr_buf_put(&raw, parts[i], strlen(parts[i]));
	hit = ok && raw.p && strstr(raw.p, text);
	wr_buf_free(&raw);
	return hit;
}
