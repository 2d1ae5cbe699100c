/*
 * fuzz-cert.c: the DER certificate walk of core/cert.c, wr_cert_parse
 * then wr_cert_info_clear, on any bytes: TLV lengths (short, long,
 * indefinite, past the end), the TBSCertificate's fields and their order,
 * serials (empty, negative, padded, too long), validity times, names and
 * the subjectAltName extension. Besides memory errors it checks what the
 * parser promises of a success: an upper-case, even-length hex serial,
 * and issuer, subject and SANs as valid UTF-8 without C0 controls or DEL
 * (they are attacker-controlled and must leave cert.c escaped), and a
 * reason on every failure.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"

/* True when s is valid UTF-8 (no overlong forms, surrogates or code points
 * past U+10FFFF) and holds no C0 control or DEL. */
static bool clean_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned c = *p;
		int n;
		uint32_t cp;

		if (c < 0x20 || c == 0x7f)
			return false;
		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return false;
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

static bool good_serial(const char *s)
{
	size_t n;

	if (*s == '-')
		s++;
	n = strlen(s);
	if (n == 0 || n % 2)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'F')))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wr_cert_info ci;
	const char *why = NULL;
	int rc = wr_cert_parse(data, size, &ci, &why);

	if (rc == 0) {
		if (why)
			fz_die("success with a reason: %s", why);
		if (!good_serial(ci.serial))
			fz_die("bad serial text '%s'", ci.serial);
		if (!ci.issuer || !ci.subject || !ci.sans)
			fz_die("success with a NULL name");
		if (!clean_utf8(ci.issuer) || !clean_utf8(ci.subject) || !clean_utf8(ci.sans))
			fz_die("a name is not clean UTF-8: issuer '%s' subject '%s' sans '%s'",
			       ci.issuer, ci.subject, ci.sans);
	} else {
		if (rc != WR_EINVAL && rc != WR_ENOMEM)
			fz_die("unexpected code %d", rc);
		if (!why || !*why)
			fz_die("failure without a reason");
		if (ci.issuer || ci.subject || ci.sans)
			fz_die("failure left names allocated");
	}
	wr_cert_info_clear(&ci);
	return 0;
}
