/*
 * clock.c: the one clock and the time formats.
 *
 * Inside, times are UTC seconds; at the edges, RFC 3339. Every "now" in the
 * core comes from wr_clock_now so that tests (and, later, an exercise's
 * simulated clock) can move it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* WARROOM_NOW moves the clock of a database created under it (a test
 * fixture) and nothing else: an incident on the real clock can never be
 * backdated. Callers without a handle (a backend's "now") follow the
 * incident this process opened. */
static bool test_clock_ok;

void wr_clock_allow_test(bool allow) { test_clock_ok = allow; }

int64_t wr_clock_now(struct wr_db *db)
{
	const char *env;
	int64_t t;

	if ((db ? db->test_clock : test_clock_ok) && (env = wr_priv_getenv("WARROOM_NOW")) &&
	    *env && strcmp(env, "now") != 0 && wr_time_parse(env, &t) == 0)
		return t;
	return (int64_t)time(NULL);
}

bool wr_clock_simulated(struct wr_db *db)
{
	const char *env = wr_priv_getenv("WARROOM_NOW");
	int64_t t;

	return db && db->test_clock && env && *env && strcmp(env, "now") != 0 &&
	       wr_time_parse(env, &t) == 0;
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (*(*p)++ - '0');
	}
	*out = v;
	return 0;
}

/* RFC 3339: 2026-11-25T07:53:34Z, with optional fraction and offset; also
 * a date alone (midnight UTC), "now", and "@SECONDS". */
int wr_time_parse(const char *s, int64_t *out)
{
	struct tm tm = {0};
	int y, mo, d, h = 0, mi = 0, se = 0, oh, om, sign;
	const char *p = s;

	if (!s)
		return WR_EINVAL;
	if (strcmp(s, "now") == 0) {
		*out = wr_clock_now(NULL);
		return 0;
	}
	if (*p == '@') {
		char *end;
		long long v = strtoll(p + 1, &end, 10);
		if (end == p + 1 || *end)
			return WR_EINVAL;
		*out = v;
		return 0;
	}
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return WR_EINVAL;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
		    digits(&p, 2, &se))
			return WR_EINVAL;
		if (*p == '.') {
			p++;
			if (!isdigit((unsigned char)*p))
				return WR_EINVAL;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
			oh = om = 0;
			sign = 1;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om))
				return WR_EINVAL;
		} else {
			return WR_EINVAL; /* RFC 3339 needs an offset */
		}
	} else {
		oh = om = 0;
		sign = 1;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 ||
	    oh > 23 || om > 59)
		return WR_EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se == 60 ? 59 : se;
	int64_t t = (int64_t)timegm(&tm);
	/* timegm normalises 31 February; refuse what did not round-trip. */
	if (tm.tm_mday != d || tm.tm_mon != mo - 1)
		return WR_EINVAL;
	*out = t - sign * (oh * 3600 + om * 60);
	return 0;
}

const char *wr_time_format(int64_t t, char buf[WR_TIME_BUFSZ])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, WR_TIME_BUFSZ, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, WR_TIME_BUFSZ, "@%lld", (long long)t);
	return buf;
}

int wr_duration_parse(const char *s, int64_t *out)
{
	int64_t total = 0;
	const char *p = s;

	if (!s || !*s)
		return WR_EINVAL;
	if (*p == '+')
		p++;
	while (*p) {
		char *end;
		errno = 0;
		long long v = strtoll(p, &end, 10);
		int64_t unit;
		if (end == p || v < 0 || errno)
			return WR_EINVAL;
		switch (*end) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7 * 86400; break;
		default: return WR_EINVAL;
		}
		/* Checked: "+999999999999999999d" must be an error, not a wrap. */
		int64_t part;
		if (__builtin_mul_overflow((int64_t)v, unit, &part) ||
		    __builtin_add_overflow(total, part, &total))
			return WR_EINVAL;
		p = end + 1;
	}
	/* A century is more than any deadline or delay: callers add this
	 * to a time, which must not overflow either. */
	if (total > (int64_t)100 * 366 * 86400)
		return WR_EINVAL;
	*out = total;
	return 0;
}

const char *wr_duration_format(int64_t secs, char buf[WR_TIME_BUFSZ])
{
	const char *sign = secs < 0 ? "-" : "";
	int64_t a = secs < 0 ? -secs : secs;
	int64_t d = a / 86400, h = a % 86400 / 3600, m = a % 3600 / 60, s = a % 60;

	if (d)
		snprintf(buf, WR_TIME_BUFSZ, "%s%lldd %02lld:%02lld:%02lld", sign, (long long)d,
			 (long long)h, (long long)m, (long long)s);
	else
		snprintf(buf, WR_TIME_BUFSZ, "%s%02lld:%02lld:%02lld", sign, (long long)h,
			 (long long)m, (long long)s);
	return buf;
}
