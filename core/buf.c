/*
 * buf.c: the core's one growable byte buffer.
 *
 * Escaped strings, SAN lists, index.txt batches and HTTP bodies all grow
 * through wr_buf_put, so growth and its failure are handled in one place.
 * The content is kept NUL-terminated, so text can be used as it stands.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

bool wr_buf_put(struct wr_buf *b, const void *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 128;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p)
			return false;
		b->p = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return true;
}

void wr_buf_free(struct wr_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}
