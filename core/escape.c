/*
 * escape.c: making attacker-controlled text safe at each edge.
 *
 * Certificate subjects and SANs may hold escape sequences, bidi overrides,
 * newlines and bytes that are not UTF-8. The database keeps valid UTF-8
 * (wr_utf8_sanitize at import); each edge escapes for itself: the terminal
 * (wr_esc_term), markdown reports (wr_esc_md). JSON output is escaped by
 * the JSON library. Escapes are visible and unambiguous: "\" itself is
 * doubled, so "\x1b" in the output always means the byte 0x1b.
 */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "internal.h"

/* An escaped string being built; a failed append makes it NULL at the end. */
struct sbuf {
	struct wr_buf b;
	bool oom;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (!b->oom && !wr_buf_put(&b->b, s, n))
		b->oom = true;
}

static char *sb_done(struct sbuf *b)
{
	if (b->oom) {
		wr_buf_free(&b->b);
		return NULL;
	}
	return b->b.p ? b->b.p : strdup("");
}

/* Decodes one UTF-8 sequence at s (n bytes left). Returns its length, or 0
 * when the first byte does not start a valid, shortest-form sequence. */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0], need, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		need = 1, min = 0x80, c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2, min = 0x800, c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3, min = 0x10000, c &= 0x07;
	} else {
		return 0;
	}
	if (n < need + 1)
		return 0;
	for (unsigned i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return need + 1;
}

char *wr_utf8_sanitize(const char *s, size_t len)
{
	struct sbuf b = {0};
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned cp;
		size_t k = utf8_decode(u + i, len - i, &cp);
		if (k == 0 || (k == 1 && u[i] == 0)) {
			char esc[8];
			snprintf(esc, sizeof esc, "\\x%02x", u[i]);
			sb_put(&b, esc, 4);
			i++;
		} else {
			sb_put(&b, s + i, k);
			i += k;
		}
	}
	return sb_done(&b);
}

/* Code points that must never reach a terminal raw: C0, DEL, C1, the bidi
 * embeddings, overrides and isolates, marks, and line/paragraph separators. */
static bool dangerous(unsigned cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
	       cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0xfeff;
}

static void esc_common(struct sbuf *b, const char *s, const char *extra)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s), i = 0;
	char esc[16];

	while (i < len) {
		unsigned cp;
		size_t k = utf8_decode(u + i, len - i, &cp);
		if (k == 0) {
			snprintf(esc, sizeof esc, "\\x%02x", u[i]);
			sb_put(b, esc, 4);
			i++;
			continue;
		}
		if (cp == '\\') {
			sb_put(b, "\\\\", 2);
		} else if (cp < 0x80 && dangerous(cp)) {
			snprintf(esc, sizeof esc, "\\x%02x", cp);
			sb_put(b, esc, 4);
		} else if (dangerous(cp)) {
			int n = snprintf(esc, sizeof esc, "\\u%04x", cp);
			sb_put(b, esc, (size_t)n);
		} else if (cp < 0x80 && extra && strchr(extra, (int)cp)) {
			sb_put(b, "\\", 1);
			sb_put(b, s + i, 1);
		} else {
			sb_put(b, s + i, k);
		}
		i += k;
	}
}

char *wr_esc_term(const char *s)
{
	struct sbuf b = {0};

	esc_common(&b, s ? s : "", NULL);
	return sb_done(&b);
}

/* HTML text: the terminal's escapes, then entities for & < > " '. */
char *wr_esc_html(const char *s)
{
	struct sbuf b = {0};
	char *t = wr_esc_term(s);

	if (!t)
		return NULL;
	for (const char *p = t; *p; p++) {
		switch (*p) {
		case '&': sb_put(&b, "&amp;", 5); break;
		case '<': sb_put(&b, "&lt;", 4); break;
		case '>': sb_put(&b, "&gt;", 4); break;
		case '"': sb_put(&b, "&quot;", 6); break;
		case '\'': sb_put(&b, "&#39;", 5); break;
		default: sb_put(&b, p, 1);
		}
	}
	free(t);
	return sb_done(&b);
}

/* Markdown: also neutralise the characters that start markup, links,
 * tables and HTML, so a subject cannot format or inject into a report. */
char *wr_esc_md(const char *s)
{
	struct sbuf b = {0};
	const char *p = s ? s : "";

	/*
	 * What opens a block counts only at the start of a line, and a text
	 * may be put there: a heading (#), a list (- + or "1." "1)"), a
	 * setext underline (= -). Escape that punctuation there alone.
	 */
	size_t digits = strspn(p, "0123456789");
	if (*p && strchr("#+-=", *p)) {
		sb_put(&b, "\\", 1);
	} else if (digits && digits <= 9 && (p[digits] == '.' || p[digits] == ')')) {
		sb_put(&b, p, digits);
		sb_put(&b, "\\", 1);
		p += digits;
	}
	/* Anywhere: code, emphasis, links and images ([ ]), HTML and
	 * autolinks (< >), table cells (|), strikethrough (~), and entities
	 * (&), which would turn "&#x202e;" into the character itself. */
	esc_common(&b, p, "`*_[]<>|~&");
	return sb_done(&b);
}

int wr_str_width(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s), i = 0;
	int w = 0;

	while (i < len) {
		unsigned cp;
		size_t k = utf8_decode(u + i, len - i, &cp);
		if (k == 0) {
			w++;
			i++;
			continue;
		}
		int cw = wcwidth((wchar_t)cp);
		w += cw < 0 ? 1 : cw;
		i += k;
	}
	return w;
}
