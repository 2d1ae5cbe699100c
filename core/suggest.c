/*
 * suggest.c: "did you mean ...": the nearest of a list of words to one
 * that was mistyped, by edit distance (insertions, deletions,
 * substitutions and swaps of two neighbours, as git and cargo count it).
 *
 * Only words near enough to be a slip are offered: a word of four
 * letters may be one edit away, of eight two, longer ones three. Case
 * counts as no edit. Prints nothing; the command line says it.
 */
#include <ctype.h>
#include <string.h>

#include "internal.h"

#define MAXW 64

/* Optimal string alignment distance of a and b, both under MAXW bytes. */
static int distance(const char *a, size_t la, const char *b, size_t lb)
{
	int d[MAXW + 1][MAXW + 1];

	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int cost =
			    tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			int v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

void wr_suggest_init(struct wr_suggest *s, const char *word)
{
	size_t n = word ? strlen(word) : 0;

	s->word = word;
	s->best = NULL;
	s->dist = 0;
	/* How far a slip may go: one edit in a short word, three in a long one. */
	s->limit = n == 0 || n >= MAXW ? -1 : n <= 4 ? 1 : n <= 8 ? 2 : 3;
}

void wr_suggest_add(struct wr_suggest *s, const char *cand)
{
	size_t lw, lc;

	if (!cand || s->limit < 0)
		return;
	lw = strlen(s->word);
	lc = strlen(cand);
	if (lc >= MAXW || (lc > lw ? lc - lw : lw - lc) > (size_t)s->limit)
		return;
	int d = distance(s->word, lw, cand, lc);
	/* The word itself is no suggestion; the word in other case is one. */
	if (d > s->limit || (d == 0 && strcmp(s->word, cand) == 0) || (s->best && d >= s->dist))
		return;
	s->best = cand;
	s->dist = d;
}

const char *wr_suggest_best(const struct wr_suggest *s)
{
	return s->best;
}
