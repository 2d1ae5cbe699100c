/*
 * floor-d2i: what plain OpenSSL costs, for comparison with the import.
 *
 *   floor-d2i PATH...     (PEM bundles, DER files, or directories of them)
 *
 * Loads every certificate's DER into memory first, then times bare
 * d2i_X509 + X509_free over all of them on one thread: the rate the import
 * would be capped at per core had it used d2i_X509. A benchmark tool; it
 * prints and exits freely.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static unsigned char **ders;
static long *lens;
static size_t n, cap;

static void keep(unsigned char *der, long len)
{
	if (n == cap) {
		size_t c = cap ? 2 * cap : 4096;
		unsigned char **d = realloc(ders, c * sizeof *ders);
		if (d)
			ders = d;
		long *l = realloc(lens, c * sizeof *lens);
		if (l)
			lens = l;
		if (!d || !l) {
			fputs("floor-d2i: out of memory\n", stderr);
			exit(1);
		}
		cap = c;
	}
	ders[n] = der;
	lens[n++] = len;
}

/* PEM_read_bio only decodes base64; the certificate stays undecoded. */
static void load(const char *path)
{
	BIO *b = BIO_new_file(path, "rb");
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long len = 0;

	if (!b) {
		fprintf(stderr, "floor-d2i: %s: cannot open\n", path);
		exit(1);
	}
	/* A DER file starts with a SEQUENCE; anything else is read as PEM. */
	unsigned char first;
	if (BIO_read(b, &first, 1) == 1 && first == 0x30) {
		BIO *mem = BIO_new(BIO_s_mem());
		char buf[8192];
		int r;
		BIO_write(mem, &first, 1);
		while ((r = BIO_read(b, buf, sizeof buf)) > 0)
			BIO_write(mem, buf, r);
		char *p;
		long l = BIO_get_mem_data(mem, &p);
		unsigned char *copy = OPENSSL_malloc((size_t)l);
		memcpy(copy, p, (size_t)l);
		keep(copy, l);
		BIO_free(mem);
		BIO_free(b);
		return;
	}
	(void)BIO_reset(b);
	while (PEM_read_bio(b, &name, &header, &data, &len)) {
		if (!strcmp(name, PEM_STRING_X509) || !strcmp(name, PEM_STRING_X509_TRUSTED))
			keep(data, len);
		else
			OPENSSL_free(data);
		OPENSSL_free(name);
		OPENSSL_free(header);
	}
	ERR_clear_error();
	BIO_free(b);
}

static int visit(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (type == FTW_F)
		load(path);
	return 0;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	size_t ok = 0;

	if (argc < 2) {
		fputs("usage: floor-d2i PEM-BUNDLE|DER-FILE|DIRECTORY...\n", stderr);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (nftw(argv[i], visit, 64, FTW_PHYS) != 0) {
			fprintf(stderr, "floor-d2i: %s: cannot read\n", argv[i]);
			return 1;
		}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < n; i++) {
		const unsigned char *p = ders[i];
		X509 *x = d2i_X509(NULL, &p, lens[i]);
		if (x)
			ok++;
		X509_free(x);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("d2i_X509 floor: %zu certs in %.2f s = %.0f certs/s\n", ok, s, s > 0 ? (double)ok / s : 0);
	for (size_t i = 0; i < n; i++)
		OPENSSL_free(ders[i]);
	free(ders);
	free(lens);
	return ok == n ? 0 : 1;
}
