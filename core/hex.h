/*
 * hex.h: hex digit values (core-internal). A million serials are parsed
 * on every revocation run and publication; a table lookup inlined here
 * costs less than a call per character.
 */
#ifndef WR_HEX_H
#define WR_HEX_H

/* The digit's value plus one, 0 for anything else. */
static const unsigned char wr_hexval1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
	['7'] = 8, ['8'] = 9, ['9'] = 10, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14,
	['E'] = 15, ['F'] = 16, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
	['f'] = 16,
};
/* The value of a hex digit, -1 for anything else. */
#define WR_HEXVAL(c) ((int)wr_hexval1[(unsigned char)(c)] - 1)

#endif
