/*
 * import.c: loading the affected certificates (PEM, DER, directories) into
 * the incident database (the customer list is customer-csv.c's).
 *
 * A mass revocation starts with hundreds of thousands of certificates, so
 * the import is a pipeline: worker threads find and parse certificates
 * (cert.c) and hand numbered batches to the calling thread, the only one
 * that touches SQLite or calls the caller back. Batches are consumed in the
 * order they were cut, so ids and reports are deterministic, and at most a
 * fixed window of them exists at once, so memory stays flat however many
 * certificates come in; big PEM bundles are mmap'd and their pages dropped
 * as they are parsed. Rows are committed every few thousand so that other
 * operators' writes queue for milliseconds, not for the whole import.
 * A bad file is reported and skipped; only the database failing stops an
 * import. Nothing here prints or exits.
 *
 * Provenance: the workers check each certificate's signature against the
 * issuers the import knows (cert.c, wr_cert_check), so the costly part
 * runs in parallel; one that does not verify is rejected and never
 * reaches the database. A certificate is the same as an imported one when
 * its issuer and serial are, and then its tbsCertificate must be too: the
 * same bytes re-encoded (BER lengths) are a duplicate, other content under
 * a genuine serial is a conflict, rejected. Every file the user names is
 * opened with the user's rights (priv.c), the issuers of the policy with
 * warroom's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "internal.h"

#define BATCH_FILES 512		  /* files per work item */
#define CHUNK_BYTES (384 << 10)	  /* bundle bytes per work item, ~450 PEM certs */
#define READ_MAX (1 << 20)	  /* smaller files are read, bigger ones mapped */
#define BLOCK_MAX (16 << 20)	  /* no certificate is this big */
#define COMMIT_ROWS 5000
#define MAX_THREADS 64

/* ---- batches -------------------------------------------------------------------- */

/* Rejections and certificates carry their order in the item, so the
 * consumer reports and stores them as the files have them. */
struct rej {
	char *path;
	int64_t line; /* 0: the whole file; else relative to the item's start */
	uint32_t ord;
	uint32_t file; /* 1 + its file's index in the item; 0: the walk's */
	bool forged;   /* a certificate whose signature does not verify */
	char why[512];
};

struct parsed {
	struct wr_cert_info ci;
	size_t off, len;  /* the DER, in the batch's arena */
	const char *path; /* borrowed from the batch or its big file */
	int64_t line;	  /* as rej's */
	uint32_t ord;
	uint32_t file;	  /* as rej's */
	bool checked;	  /* its signature verified with a known issuer's key */
};

/* A big PEM file split into chunks; mapped once, unmapped at the end. */
struct bigfile {
	char *path;
	const unsigned char *data;
	size_t size;
	struct bigfile *next;
};

/* One work item and, once a worker is through, its results. */
struct batch {
	uint64_t seq;
	/* The work: up to BATCH_FILES paths, or one chunk of a big file. */
	char **paths;
	size_t npaths;
	struct bigfile *bf;
	size_t start, end;
	bool last; /* the big file's last chunk */
	/* The results. */
	struct parsed *certs;
	size_t ncerts, capcerts;
	unsigned char *arena;
	size_t alen, acap;
	struct rej *rejs;
	size_t nrejs, caprejs;
	uint32_t nord;	     /* rejections and certificates so far */
	uint32_t cur_file;   /* the file being parsed, as rej's file */
	int64_t files;	     /* whole files examined */
	int64_t newlines;    /* in [start, end), for the next chunk's lines */
	int64_t cert_blocks; /* CERTIFICATE blocks seen in the chunk */
	bool saw_key;
	struct batch *next_free;
};

/* The state of a directory walk: one frame per open level, entries sorted
 * by byte order (not the locale's) so the order is the same everywhere. */
struct dent {
	char *name;
	unsigned char type; /* readdir's d_type, saving a stat per file */
};
struct frame {
	char *dir;
	struct dent *ents;
	size_t n, i;
	struct frame *up;
};

struct import {
	struct wr_db *db;
	const struct wr_issuers *issuers; /* NULL: none known */
	const char *const *paths;
	size_t npaths, pi;
	struct frame *walk;
	struct bigfile *big, *bigs; /* the file being chunked; all mapped */
	size_t big_off;

	pthread_mutex_t mu;
	pthread_cond_t space, ready;
	size_t window;
	struct batch **slots;
	struct batch *free_list;
	uint64_t next_seq, consumed;
	bool exhausted, stop;
	int err; /* a worker's fatal error (out of memory) */
};

static void *xrealloc(void *p, size_t n) { return realloc(p, n ? n : 1); }

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return true;
	while (c < need)
		c *= 2;
	if (!(q = xrealloc(*p, c * elem)))
		return false;
	*p = q;
	*cap = c;
	return true;
}

/* Records a rejection in the batch; false only when out of memory. */
static bool add_rej(struct batch *b, const char *path, int64_t line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool add_rej(struct batch *b, const char *path, int64_t line, const char *fmt, ...)
{
	struct rej *r;
	va_list ap;

	if (!grow((void **)&b->rejs, &b->caprejs, b->nrejs + 1, sizeof *b->rejs))
		return false;
	r = &b->rejs[b->nrejs];
	if (!(r->path = strdup(path)))
		return false;
	r->line = line;
	r->ord = b->nord++;
	r->file = b->cur_file;
	r->forged = false;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof r->why, fmt, ap);
	va_end(ap);
	b->nrejs++;
	return true;
}

static void batch_reset(struct batch *b)
{
	for (size_t i = 0; i < b->npaths; i++)
		free(b->paths[i]);
	free(b->paths);
	b->paths = NULL;
	b->npaths = 0;
	for (size_t i = 0; i < b->ncerts; i++)
		wr_cert_info_clear(&b->certs[i].ci);
	for (size_t i = 0; i < b->nrejs; i++)
		free(b->rejs[i].path);
	b->ncerts = b->nrejs = b->alen = 0;
	b->nord = b->cur_file = 0;
	b->bf = NULL;
	b->start = b->end = 0;
	b->last = b->saw_key = false;
	b->files = b->newlines = b->cert_blocks = 0;
}

static void batch_free(struct batch *b)
{
	if (!b)
		return;
	batch_reset(b);
	free(b->certs);
	free(b->arena);
	free(b->rejs);
	free(b);
}

/* ---- finding the work ------------------------------------------------------------- */

static int by_bytes(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->name, ((const struct dent *)b)->name);
}

static char *join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + b + 2);

	if (p) {
		memcpy(p, dir, a);
		p[a] = '/';
		memcpy(p + a + 1, name, b + 1);
	}
	return p;
}

/* stat or lstat with the user's rights: what a path the user named is
 * must not be learnt with warroom's group's. */
static int stat_user(const char *path, struct stat *sb, bool follow)
{
	int r, e;

	if (wr_priv_user_begin()) {
		errno = EPERM;
		return -1;
	}
	r = follow ? stat(path, sb) : lstat(path, sb);
	e = errno;
	wr_priv_user_end();
	errno = e;
	return r;
}

static DIR *opendir_user(const char *dir)
{
	int fd = wr_open_user(dir, O_RDONLY | O_DIRECTORY, 0);
	DIR *d;

	if (fd < 0)
		return NULL;
	if (!(d = fdopendir(fd))) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return d;
}

static void frame_free(struct frame *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->ents[i].name);
	free(f->ents);
	free(f->dir);
	free(f);
}

/* Opens a directory level onto the walk; a directory we cannot read is
 * reported, not fatal. Returns false when out of memory. */
static bool walk_push(struct import *im, struct batch *b, const char *dir)
{
	struct frame *f = calloc(1, sizeof *f);
	size_t cap = 0;
	struct dirent *de;
	DIR *d;

	if (!f || !(f->dir = strdup(dir))) {
		free(f);
		return false;
	}
	if (!(d = opendir_user(dir))) {
		bool ok = add_rej(b, dir, 0, "cannot read directory: %s", strerror(errno));
		frame_free(f);
		return ok;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!grow((void **)&f->ents, &cap, f->n + 1, sizeof *f->ents) ||
		    !(f->ents[f->n].name = strdup(de->d_name)))
			goto oom;
		f->ents[f->n++].type = de->d_type;
	}
	closedir(d);
	d = NULL;
	qsort(f->ents, f->n, sizeof *f->ents, by_bytes);
	f->up = im->walk;
	im->walk = f;
	return true;
oom:
	if (d)
		closedir(d);
	frame_free(f);
	return false;
}

/* The next regular file of the walk (malloc'd path), NULL at its end or
 * when out of memory (*oom). Symbolic links to files are followed; links
 * to directories are not, as find(1) does not, so a loop cannot trap us. */
static char *walk_next(struct import *im, struct batch *b, bool *oom)
{
	while (im->walk) {
		struct frame *f = im->walk;
		struct stat sb;
		unsigned char type;
		char *path;

		if (f->i == f->n) {
			im->walk = f->up;
			frame_free(f);
			continue;
		}
		type = f->ents[f->i].type;
		if (!(path = join(f->dir, f->ents[f->i++].name))) {
			*oom = true;
			return NULL;
		}
		if (type == DT_UNKNOWN || type == DT_LNK) {
			/* Some filesystems do not fill d_type; links are followed
			 * to files only. */
			if (stat_user(path, &sb, false) != 0) {
				if (!add_rej(b, path, 0, "%s", strerror(errno)))
					*oom = true;
				free(path);
				if (*oom)
					return NULL;
				continue;
			}
			type = S_ISDIR(sb.st_mode) ? DT_DIR : S_ISREG(sb.st_mode) ? DT_REG : DT_LNK;
			if (type == DT_LNK && stat_user(path, &sb, true) == 0 && S_ISREG(sb.st_mode))
				type = DT_REG;
		}
		if (type == DT_DIR) {
			if (!walk_push(im, b, path))
				*oom = true;
			free(path);
			if (*oom)
				return NULL;
			continue;
		}
		if (type == DT_REG)
			return path;
		free(path);
	}
	return NULL;
}

/* True when the bytes are one DER SEQUENCE exactly as long as the file. */
static bool looks_der(const unsigned char *p, size_t n)
{
	const unsigned char *q = p;
	long len;
	int tag, cls, r;

	if (n < 2 || p[0] != 0x30)
		return false;
	r = ASN1_get_object(&q, &len, &tag, &cls, (long)n);
	if (r & 0x80) {
		ERR_clear_error();
		return false;
	}
	return r != 0x21 && (size_t)(q - p) + (size_t)len == n;
}

/* Maps a big file that is not DER for chunking. 1: mapped, 0: not a
 * candidate (a small or DER file: one worker reads it whole), -1: oom. */
static int big_open(struct import *im, const char *path)
{
	struct stat sb;
	struct bigfile *bf;
	void *data;
	int fd = wr_open_user(path, O_RDONLY, 0);

	if (fd < 0)
		return 0;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (size_t)sb.st_size <= CHUNK_BYTES) {
		close(fd);
		return 0;
	}
	data = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (data == MAP_FAILED)
		return 0; /* the worker will read it and say why */
	if (looks_der(data, (size_t)sb.st_size)) {
		munmap(data, (size_t)sb.st_size);
		return 0;
	}
	(void)madvise(data, (size_t)sb.st_size, MADV_SEQUENTIAL);
	if (!(bf = calloc(1, sizeof *bf)) || !(bf->path = strdup(path))) {
		free(bf);
		munmap(data, (size_t)sb.st_size);
		return -1;
	}
	bf->data = data;
	bf->size = (size_t)sb.st_size;
	bf->next = im->bigs;
	im->bigs = bf;
	im->big = bf;
	im->big_off = 0;
	return 1;
}

static bool add_path(struct batch *b, char *path, size_t *cap)
{
	if (!grow((void **)&b->paths, cap, b->npaths + 1, sizeof *b->paths)) {
		free(path);
		return false;
	}
	b->paths[b->npaths++] = path;
	return true;
}

/* Under im->mu: cuts the next work item into b. False when there is no
 * more work (or no memory: then im->err is set). */
static bool next_work(struct import *im, struct batch *b)
{
	size_t cap = 0;
	bool oom = false;

	if (!im->big) {
		while (b->npaths < BATCH_FILES) {
			char *path;
			if (im->walk) {
				if ((path = walk_next(im, b, &oom))) {
					if (!add_path(b, path, &cap))
						goto oom;
					continue;
				}
				if (oom)
					goto oom;
				continue;
			}
			if (im->pi == im->npaths)
				break;
			const char *p = im->paths[im->pi];
			struct stat sb;
			bool known = stat_user(p, &sb, true) == 0;
			if (known && S_ISDIR(sb.st_mode)) {
				im->pi++;
				if (!walk_push(im, b, p))
					goto oom;
				continue;
			}
			if (known && S_ISREG(sb.st_mode) && (size_t)sb.st_size > CHUNK_BYTES) {
				/* A bundle: finish this item, then cut it in chunks. */
				if (b->npaths || b->nrejs)
					break;
				int r = big_open(im, p);
				if (r < 0)
					goto oom;
				im->pi++;
				if (r > 0)
					break;
				if (!(path = strdup(p)) || !add_path(b, path, &cap))
					goto oom;
				continue;
			}
			im->pi++;
			if (!(path = strdup(p)) || !add_path(b, path, &cap))
				goto oom;
		}
	}
	if (im->big && !b->npaths && !b->nrejs) {
		struct bigfile *bf = im->big;
		b->bf = bf;
		b->start = im->big_off;
		b->end = bf->size - b->start > CHUNK_BYTES ? b->start + CHUNK_BYTES : bf->size;
		im->big_off = b->end;
		if (b->end == bf->size) {
			b->last = true;
			im->big = NULL;
		}
	}
	return b->npaths || b->nrejs || b->bf;
oom:
	im->err = WR_ENOMEM;
	return false;
}

/* ---- parsing ----------------------------------------------------------------------- */

struct worker {
	struct import *im;
	pthread_t tid;
	EVP_ENCODE_CTX *b64;
	unsigned char *buf;
	size_t bufcap;
};

/* Parses der (already in b's arena at off) into the batch and checks its
 * signature when its issuer is known. */
static bool add_cert(struct worker *w, struct batch *b, const char *path, int64_t line,
		     size_t off, size_t len, bool *oom)
{
	const char *why = NULL;
	struct parsed *pc;
	bool checked = false;
	int rc;

	if (!grow((void **)&b->certs, &b->capcerts, b->ncerts + 1, sizeof *b->certs)) {
		*oom = true;
		return false;
	}
	pc = &b->certs[b->ncerts];
	rc = wr_cert_parse(b->arena + off, len, &pc->ci, &why);
	if (rc == WR_ENOMEM) {
		*oom = true;
		return false;
	}
	if (rc) {
		b->alen = off; /* drop the bytes */
		if (!add_rej(b, path, line, "%s", why))
			*oom = true;
		return false;
	}
	if (w->im->issuers) {
		char sigwhy[sizeof b->rejs->why];
		rc = wr_cert_check(w->im->issuers, b->arena + off, len, sigwhy, sizeof sigwhy);
		if (rc == WR_ENOMEM) {
			wr_cert_info_clear(&pc->ci);
			*oom = true;
			return false;
		}
		if (rc < 0) {
			wr_cert_info_clear(&pc->ci);
			b->alen = off;
			if (!add_rej(b, path, line, "%s", sigwhy))
				*oom = true;
			else
				b->rejs[b->nrejs - 1].forged = true;
			return false;
		}
		checked = rc == 1;
	}
	pc->off = off;
	pc->len = len;
	pc->path = path;
	pc->line = line;
	pc->ord = b->nord++;
	pc->file = b->cur_file;
	pc->checked = checked;
	b->ncerts++;
	return true;
}

static bool arena_reserve(struct batch *b, size_t n)
{
	return grow((void **)&b->arena, &b->acap, b->alen + n, 1);
}

static int64_t count_lines(const unsigned char *p, size_t n)
{
	int64_t lines = 0;
	const unsigned char *end = p + n;

	while ((p = memchr(p, '\n', (size_t)(end - p)))) {
		lines++;
		p++;
	}
	return lines;
}

struct pem_scan {
	int64_t cert_blocks;
	bool saw_key;
	char other[64]; /* the first other label, for the message */
	/* Line counting from the item's start, advanced lazily. */
	size_t pos;
	int64_t line;
};

static int64_t line_at(struct pem_scan *sc, const unsigned char *data, size_t off)
{
	sc->line += count_lines(data + sc->pos, off - sc->pos);
	sc->pos = off;
	return sc->line + 1;
}

/* Decodes one CERTIFICATE body into the arena and parses it. */
static bool pem_cert(struct worker *w, struct batch *b, const char *path, int64_t line,
		     const unsigned char *body, size_t n, bool trusted)
{
	size_t off = b->alen;
	int outl = 0, fin = 0;
	bool oom = false;

	if (n > BLOCK_MAX)
		return add_rej(b, path, line, "PEM certificate too large");
	if (!arena_reserve(b, n / 4 * 3 + 4))
		return false;
	EVP_DecodeInit(w->b64);
	if (EVP_DecodeUpdate(w->b64, b->arena + off, &outl, body, (int)n) < 0 ||
	    EVP_DecodeFinal(w->b64, b->arena + off + outl, &fin) < 0)
		return add_rej(b, path, line, "bad base64 in PEM certificate");
	size_t len = (size_t)outl + (size_t)fin;
	if (len == 0)
		return add_rej(b, path, line, "empty PEM certificate");
	if (trusted) {
		/* A TRUSTED CERTIFICATE is the certificate followed by
		 * OpenSSL's trust settings: keep the certificate. */
		const unsigned char *q = b->arena + off;
		long clen;
		int tag, cls, r = ASN1_get_object(&q, &clen, &tag, &cls, (long)len);
		if (r & 0x80)
			ERR_clear_error();
		else if (r != 0x21)
			len = (size_t)(q - (b->arena + off)) + (size_t)clen;
	}
	b->alen = off + len;
	add_cert(w, b, path, line, off, len, &oom);
	return !oom;
}

static bool is_cert_label(const char *l, size_t n, bool *trusted)
{
	*trusted = n == 19 && !memcmp(l, "TRUSTED CERTIFICATE", 19);
	return *trusted || (n == 11 && !memcmp(l, "CERTIFICATE", 11));
}

/* Handles every PEM block that begins in [start, end) of data; a block
 * may run past end (the next chunk skips it). False when out of memory. */
static bool pem_scan(struct worker *w, struct batch *b, const char *path,
		     const unsigned char *data, size_t size, size_t start, size_t end,
		     struct pem_scan *sc)
{
	static const char begin[] = "-----BEGIN ";
	size_t p = start;

	sc->pos = start;
	sc->line = 0;
	while (p < end) {
		size_t win = (end + sizeof begin < size ? end + sizeof begin : size) - p;
		const unsigned char *m = memmem(data + p, win, begin, sizeof begin - 1);
		if (!m || (size_t)(m - data) >= end)
			break;
		size_t off = (size_t)(m - data);
		p = off + 1;
		if (off > 0 && data[off - 1] != '\n' && data[off - 1] != '\r')
			continue; /* not at a line start: prose mentioning PEM */
		/* "-----BEGIN LABEL-----" then the end of the line. */
		const unsigned char *lab = m + sizeof begin - 1;
		const unsigned char *eol = memchr(lab, '\n', size - (size_t)(lab - data));
		const unsigned char *lend = eol ? eol : data + size;
		const unsigned char *dash = memmem(lab, (size_t)(lend - lab), "-----", 5);
		if (!dash || dash - lab > 60)
			continue;
		size_t lablen = (size_t)(dash - lab);
		bool trusted, cert = is_cert_label((const char *)lab, lablen, &trusted);
		const unsigned char *body = eol ? eol + 1 : data + size;
		/* The block ends at the next "-----", which must be its END. */
		const unsigned char *e = memmem(body, size - (size_t)(body - data), "-----", 5);
		bool ended = e && (size_t)(data + size - e) >= 9 + lablen + 5 &&
			     !memcmp(e, "-----END ", 9) && !memcmp(e + 9, lab, lablen) &&
			     !memcmp(e + 9 + lablen, "-----", 5);
		if (cert)
			sc->cert_blocks++;
		else if (lablen >= 11 && !memcmp(dash - 11, "PRIVATE KEY", 11))
			sc->saw_key = true;
		else if (!sc->other[0])
			snprintf(sc->other, sizeof sc->other, "%.*s", (int)lablen, (const char *)lab);
		if (!ended) {
			if (cert && !add_rej(b, path, line_at(sc, data, off),
					     "truncated PEM: BEGIN %.*s without END",
					     (int)lablen, (const char *)lab))
				return false;
			/* Go on from the next marker: it may begin a good block. */
			p = e ? (size_t)(e - data) : size;
			continue;
		}
		/* Each certificate keeps its line: a conflict with one already
		 * imported is only found when it is stored. */
		if (cert && !pem_cert(w, b, path, line_at(sc, data, off), body, (size_t)(e - body),
				      trusted))
			return false;
		p = (size_t)(e - data) + 9 + lablen + 5;
	}
	b->newlines = sc->line + count_lines(data + sc->pos, end > sc->pos ? end - sc->pos : 0);
	return true;
}

/* Reads path whole (small files) or maps it; *mapped says which to undo. */
static int file_load(struct worker *w, const char *path, const unsigned char **data,
		     size_t *size, bool *mapped)
{
	int fd = wr_open_user(path, O_RDONLY, 0);
	size_t n = 0;
	struct stat sb;

	*mapped = false;
	if (fd < 0)
		return errno;
	if (!w->buf) {
		w->bufcap = 64 << 10;
		if (!(w->buf = malloc(w->bufcap))) {
			close(fd);
			return ENOMEM;
		}
	}
	/* Most certificates fit the buffer: read without fstat. */
	for (;;) {
		ssize_t r = read(fd, w->buf + n, w->bufcap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			return e;
		}
		if (r == 0) {
			close(fd);
			*data = w->buf;
			*size = n;
			return 0;
		}
		n += (size_t)r;
		if (n == w->bufcap)
			break;
	}
	if (fstat(fd, &sb) != 0) {
		int e = errno;
		close(fd);
		return e;
	}
	if ((size_t)sb.st_size <= READ_MAX) {
		size_t want = (size_t)sb.st_size + 1;
		unsigned char *nb;
		if (want > w->bufcap) {
			if (!(nb = realloc(w->buf, want))) {
				close(fd);
				return ENOMEM;
			}
			w->buf = nb;
			w->bufcap = want;
		}
		for (;;) {
			ssize_t r = read(fd, w->buf + n, w->bufcap - n);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				int e = errno;
				close(fd);
				return e;
			}
			if (r == 0 || (n += (size_t)r) == w->bufcap)
				break;
		}
		close(fd);
		*data = w->buf;
		*size = n;
		return 0;
	}
	void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	int e = errno;
	close(fd);
	if (m == MAP_FAILED)
		return e;
	*data = m;
	*size = (size_t)sb.st_size;
	*mapped = true;
	return 0;
}

static bool has_pem(const unsigned char *data, size_t size)
{
	return memmem(data, size, "-----BEGIN ", 11) != NULL;
}

/* One whole file: DER, or PEM with any number of blocks. */
static bool do_file(struct worker *w, struct batch *b, const char *path)
{
	const unsigned char *data = NULL;
	size_t size = 0;
	bool mapped, oom = false;
	int e = file_load(w, path, &data, &size, &mapped);

	b->files++;
	if (e == ENOMEM)
		return false;
	if (e)
		return add_rej(b, path, 0, "%s", strerror(e));
	if (size == 0) {
		oom = !add_rej(b, path, 0, "empty file");
		goto out;
	}
	/* DER first when it could be: PEM is text and never starts 0x30
	 * followed by a consistent length. */
	if (data[0] == 0x30 && (looks_der(data, size) || !has_pem(data, size))) {
		if (!arena_reserve(b, size)) {
			oom = true;
			goto out;
		}
		memcpy(b->arena + b->alen, data, size);
		size_t off = b->alen;
		b->alen += size;
		add_cert(w, b, path, 0, off, size, &oom);
		goto out;
	}
	struct pem_scan sc = {0};
	size_t before = b->nrejs;
	if (!pem_scan(w, b, path, data, size, 0, size, &sc)) {
		oom = true;
		goto out;
	}
	if (sc.cert_blocks == 0 && b->nrejs == before) {
		if (sc.saw_key)
			oom = !add_rej(b, path, 0, "private key, not a certificate");
		else if (sc.other[0])
			oom = !add_rej(b, path, 0, "no certificate in PEM (found %s)", sc.other);
		else
			oom = !add_rej(b, path, 0, "not a certificate: neither PEM nor DER");
	}
out:
	if (mapped)
		munmap((void *)data, size);
	return !oom;
}

/* One chunk of a big bundle; the consumer puts the chunks' lines and
 * findings together. */
static bool do_chunk(struct worker *w, struct batch *b)
{
	struct bigfile *bf = b->bf;
	struct pem_scan sc = {0};
	long pg = sysconf(_SC_PAGESIZE);

	if (!pem_scan(w, b, bf->path, bf->data, bf->size, b->start, b->end, &sc))
		return false;
	b->cert_blocks = sc.cert_blocks;
	b->saw_key = sc.saw_key;
	/* Drop the pages wholly inside the chunk from our resident set (they
	 * stay in the page cache), so a bundle of any size costs no memory. */
	size_t lo = (b->start + (size_t)pg - 1) & ~((size_t)pg - 1);
	size_t hi = b->end & ~((size_t)pg - 1);
	if (b->last)
		hi = (bf->size + (size_t)pg - 1) & ~((size_t)pg - 1);
	if (hi > lo)
		(void)madvise((void *)(bf->data + lo), hi - lo, MADV_DONTNEED);
	return true;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct import *im = w->im;

	for (;;) {
		struct batch *b;
		bool ok = true;

		pthread_mutex_lock(&im->mu);
		while (!im->exhausted && !im->stop && im->next_seq >= im->consumed + im->window)
			pthread_cond_wait(&im->space, &im->mu);
		if (im->exhausted || im->stop) {
			pthread_mutex_unlock(&im->mu);
			break;
		}
		if ((b = im->free_list)) {
			/* The consumer hands batches back as they are: freeing
			 * their strings is work it has no time for. */
			im->free_list = b->next_free;
			pthread_mutex_unlock(&im->mu);
			batch_reset(b);
			pthread_mutex_lock(&im->mu);
			if (im->exhausted || im->stop ||
			    im->next_seq >= im->consumed + im->window) {
				b->next_free = im->free_list;
				im->free_list = b;
				pthread_mutex_unlock(&im->mu);
				continue;
			}
		} else if (!(b = calloc(1, sizeof *b))) {
			im->err = WR_ENOMEM;
			im->stop = true;
			pthread_cond_broadcast(&im->ready);
			pthread_cond_broadcast(&im->space);
			pthread_mutex_unlock(&im->mu);
			break;
		}
		if (!next_work(im, b)) {
			im->exhausted = true;
			if (im->err)
				im->stop = true;
			batch_reset(b);
			b->next_free = im->free_list;
			im->free_list = b;
			pthread_cond_broadcast(&im->ready);
			pthread_cond_broadcast(&im->space);
			pthread_mutex_unlock(&im->mu);
			break;
		}
		b->seq = im->next_seq++;
		pthread_mutex_unlock(&im->mu);

		b->cur_file = 1;
		if (b->bf)
			ok = do_chunk(w, b);
		for (size_t i = 0; i < b->npaths && ok; i++) {
			b->cur_file = (uint32_t)i + 1;
			ok = do_file(w, b, b->paths[i]);
		}

		pthread_mutex_lock(&im->mu);
		if (!ok) {
			im->err = WR_ENOMEM;
			im->stop = true;
		}
		/* Even a failed batch takes its slot, so the consumer's wait
		 * ends; it sees stop and discards it. */
		im->slots[b->seq % im->window] = b;
		pthread_cond_broadcast(&im->ready);
		pthread_mutex_unlock(&im->mu);
	}
	return NULL;
}

/* ---- storing ----------------------------------------------------------------------- */

struct store {
	struct wr_db *db;
	sqlite3_stmt *ins, *der, *find, *mark;
	int64_t rows; /* since the last commit */
	int64_t hw;   /* the highest id before this transaction's rows (tally.c) */
	wr_reject_cb reject;
	void *ctx;
	struct wr_import_stats *st;
	/* The big file whose chunks are arriving. */
	int64_t line_base, cert_blocks;
	bool saw_key;
	/* The last file named, so that two bad blocks of one bundle count as
	 * one rejected file: a file's reports always arrive together. */
	char *last_rejected;
	/* The file whose certificates are being stored (borrowed from its
	 * batch, or the big file), its blocks stored and rejected, and its
	 * latest report, held back: a bundle with bad blocks says in its last
	 * report how much of it came in (tally_end). */
	const char *tally_path;
	uint32_t tally_file; /* as rej's file, for a batch of whole files */
	int64_t tally_ok, tally_bad;
	char *held_where, *held_why;
	/* wr_import_read: each certificate goes to sink, nothing is stored. */
	wr_import_cert_cb sink;
	void *sink_ctx;
};

/* Hands the held report to the caller, with more text when given. */
static void report_held(struct store *s, const char *more)
{
	char *why = s->held_why;

	if (!s->held_where)
		return;
	if (more) {
		size_t n = strlen(s->held_why) + strlen(more) + 1;
		if ((why = malloc(n)))
			snprintf(why, n, "%s%s", s->held_why, more);
		else
			why = s->held_why;
	}
	s->reject(s->held_where, why, s->ctx);
	if (why != s->held_why)
		free(why);
	free(s->held_where);
	free(s->held_why);
	s->held_where = s->held_why = NULL;
}

static void report(struct store *s, const char *path, int64_t line, const char *why)
{
	char *where = NULL;

	if (!s->last_rejected || strcmp(s->last_rejected, path) != 0) {
		s->st->rejected++;
		free(s->last_rejected);
		s->last_rejected = strdup(path);
	}
	if (!s->reject)
		return;
	if (line > 0) {
		size_t n = strlen(path) + 24;
		if ((where = malloc(n)))
			snprintf(where, n, "%s:%lld", path, (long long)line);
	}
	/* A file being counted: its latest report waits for the count. */
	report_held(s, NULL);
	if (s->tally_path && (where || (where = strdup(path))) && (s->held_why = strdup(why))) {
		s->held_where = where;
		return;
	}
	s->reject(where ? where : path, why, s->ctx);
	free(where);
}

/*
 * Ends a file's count (complete: the file was stored to its end). A file
 * of one block, or one whose blocks all came in, has said everything; the
 * last report of a bundle with bad blocks also says how much of it came
 * in, which the summary, adding up every file, cannot. The count rides on
 * a report rather than making one of its own, so that the caller hears
 * once per rejection, as before. Duplicates count as imported: they are
 * in the incident.
 */
static void tally_end(struct store *s, bool complete)
{
	int64_t n = s->tally_ok + s->tally_bad;
	char more[160];

	if (complete && s->tally_bad && n > 1) {
		snprintf(more, sizeof more,
			 " (%lld of the file's %lld certificates imported, %lld rejected)",
			 (long long)s->tally_ok, (long long)n, (long long)s->tally_bad);
		report_held(s, more);
	}
	report_held(s, NULL);
	s->tally_path = NULL;
	s->tally_file = 0;
	s->tally_ok = s->tally_bad = 0;
}

/* Before an item of the batch's file f (0: none, a directory's
 * rejection): in a batch of whole files, a new file ends the count of the
 * one before. */
static void tally_file(struct store *s, const struct batch *b, uint32_t f)
{
	if (f && !b->bf && f != s->tally_file) {
		tally_end(s, true);
		s->tally_file = f;
		s->tally_path = b->paths[f - 1];
	}
}

static void tally(struct store *s, uint32_t f, bool stored)
{
	if (!f)
		return;
	if (stored)
		s->tally_ok++;
	else
		s->tally_bad++;
}

/* The tbsCertificate's bytes: what the signature covers, so what makes
 * two encodings of a certificate the same certificate. */
static bool tbs_span(const unsigned char *der, size_t len, const unsigned char **tbs, size_t *n)
{
	const unsigned char *q = der, *t;
	long l;
	int tag, cls, r;

	r = ASN1_get_object(&q, &l, &tag, &cls, (long)len);
	if ((r & 0x80) || r == 0x21)
		goto bad;
	t = q;
	r = ASN1_get_object(&q, &l, &tag, &cls, (long)(len - (size_t)(q - der)));
	if ((r & 0x80) || r == 0x21)
		goto bad;
	*tbs = t;
	*n = (size_t)(q - t) + (size_t)l;
	return true;
bad:
	ERR_clear_error();
	return false;
}

enum { NEW, SAME, OTHER };

/* Whether the incident holds a certificate with pc's issuer and serial:
 * NEW none, SAME the same tbsCertificate (*id, *checked: the row), OTHER a
 * different one (*checked: that row's). Negative: the database failed. A
 * new serial costs one probe of the serial index, which the insert then
 * finds in the cache. */
static int find_same(struct store *s, const struct batch *b, const struct parsed *pc,
		     int64_t *id, bool *checked)
{
	sqlite3_stmt *st = s->find;
	const unsigned char *tbs = NULL;
	size_t tbs_len = 0;
	int found = NEW, rc;

	sqlite3_bind_text(st, 1, pc->ci.serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, pc->ci.issuer, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *der = sqlite3_column_blob(st, 3), *t2;
		size_t len = (size_t)sqlite3_column_bytes(st, 3), n2;
		const void *sha = sqlite3_column_blob(st, 2);
		bool same;

		if (!tbs && !tbs_span(b->arena + pc->off, pc->len, &tbs, &tbs_len))
			tbs_len = 0;
		same = (sha && sqlite3_column_bytes(st, 2) == 32 && !memcmp(sha, pc->ci.sha256, 32)) ||
		       (der && tbs_len && tbs_span(der, len, &t2, &n2) && n2 == tbs_len &&
			!memcmp(t2, tbs, n2));
		if (same || found == NEW) {
			*id = sqlite3_column_int64(st, 0);
			*checked = sqlite3_column_type(st, 1) != SQLITE_NULL;
		}
		if (same) {
			found = SAME;
			break;
		}
		found = OTHER;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return wr_err_sq(s->db, "looking for a certificate's serial");
	return found;
}

static int conflict(struct store *s, int64_t base, const struct parsed *pc, bool other_checked)
{
	char why[1536];

	s->st->conflicts++;
	snprintf(why, sizeof why,
		 "another certificate with issuer %s and serial %s is already imported; this one"
		 " differs%s",
		 pc->ci.issuer, pc->ci.serial,
		 pc->checked && !other_checked
			 ? " (this one's signature verifies, the imported one's was not checked)"
		 : !pc->checked && other_checked ? " (the imported one's signature was checked)"
						 : "");
	report(s, pc->path, pc->line > 0 ? base + pc->line : 0, why);
	return 0;
}

static int store_cert(struct store *s, const struct batch *b, int64_t base, const struct parsed *pc)
{
	const struct wr_cert_info *ci = &pc->ci;
	sqlite3_stmt *st = s->ins;
	int64_t id = 0;
	bool checked = false;
	int rc;

	if ((rc = find_same(s, b, pc, &id, &checked)) < 0)
		return rc;
	if (rc == OTHER)
		return conflict(s, base, pc, checked);
	s->st->certs++;
	if (!pc->checked)
		s->st->unchecked++;
	if (rc == SAME) {
		s->st->duplicates++;
		/* Imported before its issuer was known: checked now. */
		if (pc->checked && !checked) {
			sqlite3_bind_int64(s->mark, 1, id);
			rc = sqlite3_step(s->mark);
			sqlite3_reset(s->mark);
			if (rc != SQLITE_DONE)
				return wr_err_sq(s->db, "marking a certificate checked");
		}
		return 0;
	}
	sqlite3_bind_blob(st, 1, ci->sha256, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ci->serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ci->issuer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ci->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, ci->sans, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, ci->not_before);
	sqlite3_bind_int64(st, 7, ci->not_after);
	sqlite3_bind_blob(st, 8, ci->spki_sha256, 32, SQLITE_STATIC);
	if (pc->checked)
		sqlite3_bind_int(st, 9, 1);
	else
		sqlite3_bind_null(st, 9);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return wr_err_sq(s->db, "storing a certificate");
	if (sqlite3_changes(s->db->sq) == 0) {
		s->st->duplicates++;
		return 0;
	}
	s->st->added++;
	sqlite3_bind_int64(s->der, 1, sqlite3_last_insert_rowid(s->db->sq));
	sqlite3_bind_blob(s->der, 2, b->arena + pc->off, (int)pc->len, SQLITE_STATIC);
	rc = sqlite3_step(s->der);
	sqlite3_reset(s->der);
	if (rc != SQLITE_DONE)
		return wr_err_sq(s->db, "storing a certificate's DER");
	if (++s->rows >= COMMIT_ROWS) {
		s->rows = 0;
		/* The rows added go to the customers' figures as they commit. */
		if ((rc = wr_tally_added(s->db, &s->hw)) || (rc = wr_tx_commit(s->db)) ||
		    (rc = wr_tx_begin(s->db)) || (rc = wr_tally_begin(s->db)))
			return rc;
	}
	return 0;
}

/* wr_import_read's store: the certificate as read, to the caller. */
static int sink_cert(struct store *s, const struct batch *b, int64_t base, const struct parsed *pc)
{
	char where[4200];
	struct wr_import_cert ic = {
		.der = b->arena + pc->off,
		.len = pc->len,
		.ci = &pc->ci,
		.checked = pc->checked,
		.where = where,
	};

	if (pc->line > 0)
		snprintf(where, sizeof where, "%s:%lld", pc->path, (long long)(base + pc->line));
	else
		snprintf(where, sizeof where, "%s", pc->path);
	s->st->certs++;
	if (!pc->checked)
		s->st->unchecked++;
	return s->sink(&ic, s->sink_ctx);
}

static int store_batch(struct store *s, struct batch *b)
{
	int64_t base = 0;
	size_t i = 0, j = 0;
	int rc;

	if (b->bf) {
		if (b->start == 0) {
			s->line_base = 0;
			s->cert_blocks = 0;
			s->saw_key = false;
			tally_end(s, true);
			s->tally_path = b->bf->path;
		}
		base = s->line_base;
		s->line_base += b->newlines;
		s->cert_blocks += b->cert_blocks;
		s->saw_key |= b->saw_key;
	}
	/* In the files' order, so that a file's reports stay together. */
	while (i < b->nrejs || j < b->ncerts) {
		if (j == b->ncerts || (i < b->nrejs && b->rejs[i].ord < b->certs[j].ord)) {
			const struct rej *r = &b->rejs[i++];
			if (r->forged)
				s->st->forged++;
			tally_file(s, b, r->file);
			report(s, r->path, r->line > 0 ? base + r->line : 0, r->why);
			tally(s, r->file, false);
		} else {
			const struct parsed *pc = &b->certs[j++];
			int64_t conflicts = s->st->conflicts;
			tally_file(s, b, pc->file);
			if ((rc = s->sink ? sink_cert(s, b, base, pc) : store_cert(s, b, base, pc))) {
				tally_end(s, false);
				return rc;
			}
			tally(s, pc->file, s->st->conflicts == conflicts);
		}
	}
	s->st->files += b->files;
	if (!b->bf)
		tally_end(s, true); /* a whole file never spans two items */
	if (b->bf && b->last) {
		tally_end(s, true);
		s->st->files++;
		if (s->cert_blocks == 0)
			report(s, b->bf->path, 0,
			       s->saw_key ? "private key, not a certificate"
					  : "not a certificate: no PEM certificate in the file");
	}
	return 0;
}

static int events_json(struct wr_db *db, const char *action, json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	int rc;

	json_decref(o);
	if (!s)
		return wr_err(db, WR_ENOMEM, "out of memory");
	if ((rc = wr_tx_begin(db)))
		goto out;
	if ((rc = wr_event_add(db, action, s))) {
		wr_tx_rollback(db);
		goto out;
	}
	rc = wr_tx_commit(db);
out:
	free(s);
	return rc;
}

/* Runs the consumer's side: takes batches in order and stores them. */
static int consume(struct import *im, struct store *s)
{
	int rc = 0;

	for (;;) {
		struct batch *b;

		pthread_mutex_lock(&im->mu);
		while (!im->stop && !im->slots[im->consumed % im->window] &&
		       !(im->exhausted && im->consumed == im->next_seq))
			pthread_cond_wait(&im->ready, &im->mu);
		if (im->stop) {
			rc = im->err ? im->err : WR_ERROR;
			pthread_mutex_unlock(&im->mu);
			if (rc == WR_ENOMEM)
				wr_err(im->db, rc, "out of memory while importing");
			return rc;
		}
		b = im->slots[im->consumed % im->window];
		if (!b) { /* exhausted and all consumed */
			pthread_mutex_unlock(&im->mu);
			return 0;
		}
		im->slots[im->consumed % im->window] = NULL;
		pthread_mutex_unlock(&im->mu);

		rc = store_batch(s, b);

		pthread_mutex_lock(&im->mu);
		b->next_free = im->free_list;
		im->free_list = b;
		im->consumed++;
		if (rc)
			im->stop = true;
		pthread_cond_broadcast(&im->space);
		pthread_mutex_unlock(&im->mu);
		if (rc)
			return rc;
	}
}

/* The issuers known to this import: the user's files, then the policy's
 * ([ca] issuers, [local] ca_cert). A file that cannot be read stops the
 * import before anything is stored: importing unchecked what the
 * operator meant to check would hide forgeries. */
int wr_import_issuers(struct wr_db *db, const char *const *files, size_t nfiles,
		      struct wr_issuers **out)
{
	static const struct {
		const char *section, *key;
	} policy[] = {{"ca", "issuers"}, {"local", "ca_cert"}};
	/* An exercise's [local] ca_cert is its own test CA (exercise.c). */
	const struct wr_config *cfg = wr_exercise_local_cfg(db, wr_db_config(db));
	struct wr_issuers *is = wr_issuers_new();
	char err[512], buf[4096];
	int rc;

	*out = NULL;
	if (!is)
		return wr_err(db, WR_ENOMEM, "out of memory");
	for (size_t i = 0; i < nfiles; i++)
		if ((rc = wr_issuers_add_file(is, files[i], true, err, sizeof err))) {
			wr_issuers_free(is);
			return wr_err(db, rc, "--issuers: %s", err);
		}
	for (size_t i = 0; cfg && i < sizeof policy / sizeof policy[0]; i++) {
		const char *path = wr_config_file(cfg, policy[i].section, policy[i].key, buf, sizeof buf);
		if (path && (rc = wr_issuers_add_file(is, path, false, err, sizeof err))) {
			wr_issuers_free(is);
			return wr_err(db, rc, "[%s] %s: %s",
				      policy[i].section, policy[i].key, err);
		}
	}
	if (wr_issuers_count(is) == 0) {
		wr_issuers_free(is);
		return 0;
	}
	*out = is;
	return 0;
}

int wr_import_paths(struct wr_db *db, const char *const *paths, size_t npaths, int nthreads,
		    wr_reject_cb reject, void *ctx, struct wr_import_stats *st)
{
	return wr_import_paths_issuers(db, paths, npaths, NULL, 0, nthreads, reject, ctx, st);
}

/* The pipeline, storing into the incident, or, with sink, handing each
 * certificate to it (wr_import_read: no statement, no transaction, no
 * event; the given issuers are the caller's). */
static int import_run(struct wr_db *db, const char *const *paths, size_t npaths,
		      const char *const *issuers, size_t nissuers, const struct wr_issuers *given,
		      int nthreads, wr_import_cert_cb sink, void *sink_ctx, wr_reject_cb reject,
		      void *ctx, struct wr_import_stats *st)
{
	struct wr_import_stats local;
	struct import im = {.db = db, .paths = paths, .npaths = npaths};
	struct store s = {.db = db, .reject = reject, .ctx = ctx, .sink = sink,
			  .sink_ctx = sink_ctx};
	struct wr_issuers *known = NULL;
	struct worker *ws = NULL;
	struct wr_tuning tu = {0};
	int rc, started = 0;

	if (!st)
		st = &local;
	st->files = st->certs = st->added = st->duplicates = st->rejected = 0;
	st->unchecked = st->forged = st->conflicts = 0;
	s.st = st;
	if (!sink && (rc = wr_import_issuers(db, issuers, nissuers, &known)))
		return rc;
	im.issuers = sink ? given : known;
	if (nthreads <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = n > 0 ? (int)n : 1;
	}
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	im.window = 2 * (size_t)nthreads + 2;

	/* The connection's settings for the import's duration, restored
	 * after. temp_store: every INSERT fires the counter triggers, so
	 * SQLite keeps a statement journal for it; in a temporary file that
	 * cost two write calls per page per statement, eleven per
	 * certificate, more than everything else together. In memory it is a
	 * copy, bounded by one statement. cache_size and wal_autocheckpoint:
	 * the sha256 and serial indexes take random inserts; a bigger (still
	 * fixed) cache and fewer checkpoints keep their pages from being read
	 * and written again and again. */
	if (!sink)
		wr_tune_begin(db, &tu, 8192, 4000);
	/* The serial index finds (issuer, serial); without INDEXED BY the
	 * planner may pick the issuer index, which every row shares. */
	if (!sink &&
	    ((rc = wr_prepare(db,
			      "INSERT INTO cert(sha256, serial, issuer, subject, sans, not_before,"
			      " not_after, spki_sha256, checked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
			      " ON CONFLICT(sha256) DO NOTHING",
			      &s.ins)) ||
	     (rc = wr_prepare(db, "INSERT INTO cert_der(cert_id, der) VALUES (?, ?)", &s.der)) ||
	     (rc = wr_prepare(db,
			      "SELECT c.id, c.checked, c.sha256, d.der FROM cert AS c INDEXED BY"
			      " cert_serial LEFT JOIN cert_der AS d ON d.cert_id = c.id"
			      " WHERE c.serial = ?1 AND c.issuer = ?2 ORDER BY c.id",
			      &s.find)) ||
	     (rc = wr_prepare(db, "UPDATE cert SET checked = 1 WHERE id = ?", &s.mark)))) {
		sqlite3_finalize(s.ins);
		sqlite3_finalize(s.der);
		sqlite3_finalize(s.find);
		wr_tune_end(db, &tu);
		wr_issuers_free(known);
		return rc;
	}
	if (!(im.slots = calloc(im.window, sizeof *im.slots)) ||
	    !(ws = calloc((size_t)nthreads, sizeof *ws))) {
		rc = wr_err(db, WR_ENOMEM, "out of memory");
		goto out;
	}
	if (!sink && (rc = wr_tx_begin(db)))
		goto out;
	if (!sink && ((rc = wr_tally_begin(db)) || (rc = wr_tally_mark(db, &s.hw)))) {
		wr_tx_rollback(db);
		goto out;
	}
	pthread_mutex_init(&im.mu, NULL);
	pthread_cond_init(&im.space, NULL);
	pthread_cond_init(&im.ready, NULL);
	for (; started < nthreads; started++) {
		ws[started].im = &im;
		if (!(ws[started].b64 = EVP_ENCODE_CTX_new()) ||
		    pthread_create(&ws[started].tid, NULL, worker_main, &ws[started]) != 0) {
			EVP_ENCODE_CTX_free(ws[started].b64);
			break;
		}
	}
	if (started == 0) {
		rc = wr_err(db, WR_ERROR, "cannot start import threads");
		pthread_mutex_lock(&im.mu);
		im.stop = true;
		pthread_mutex_unlock(&im.mu);
	} else {
		rc = consume(&im, &s);
	}
	tally_end(&s, false); /* a big file cut short by an error */
	pthread_mutex_lock(&im.mu);
	im.stop = true;
	pthread_cond_broadcast(&im.space);
	pthread_mutex_unlock(&im.mu);
	for (int i = 0; i < started; i++) {
		pthread_join(ws[i].tid, NULL);
		EVP_ENCODE_CTX_free(ws[i].b64);
		free(ws[i].buf);
	}
	for (size_t i = 0; i < im.window; i++)
		batch_free(im.slots[i]);
	while (im.free_list) {
		struct batch *b = im.free_list;
		im.free_list = b->next_free;
		batch_free(b);
	}
	while (im.walk) {
		struct frame *f = im.walk;
		im.walk = f->up;
		frame_free(f);
	}
	while (im.bigs) {
		struct bigfile *bf = im.bigs;
		im.bigs = bf->next;
		munmap((void *)bf->data, bf->size);
		free(bf->path);
		free(bf);
	}
	pthread_cond_destroy(&im.ready);
	pthread_cond_destroy(&im.space);
	pthread_mutex_destroy(&im.mu);
	if (rc || sink) {
		if (!sink)
			wr_tx_rollback(db);
		goto out;
	}
	if ((rc = wr_tally_added(db, &s.hw)) || (rc = wr_tx_commit(db))) {
		wr_tx_rollback(db);
		goto out;
	}
	rc = events_json(db, "import",
			 json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "files",
				   (json_int_t)st->files, "certs", (json_int_t)st->certs, "added",
				   (json_int_t)st->added, "duplicates", (json_int_t)st->duplicates,
				   "rejected", (json_int_t)st->rejected, "forged",
				   (json_int_t)st->forged, "conflicts", (json_int_t)st->conflicts,
				   "unchecked", (json_int_t)st->unchecked, "issuers",
				   (json_int_t)wr_issuers_count(known)));
out:
	free(ws);
	free(im.slots);
	wr_issuers_free(known);
	sqlite3_finalize(s.ins);
	sqlite3_finalize(s.der);
	sqlite3_finalize(s.find);
	sqlite3_finalize(s.mark);
	free(s.last_rejected);
	wr_tune_end(db, &tu);
	return rc;
}

int wr_import_paths_issuers(struct wr_db *db, const char *const *paths, size_t npaths,
			    const char *const *issuers, size_t nissuers, int nthreads,
			    wr_reject_cb reject, void *ctx, struct wr_import_stats *st)
{
	return import_run(db, paths, npaths, issuers, nissuers, NULL, nthreads, NULL, NULL, reject,
			  ctx, st);
}

int wr_import_read(struct wr_db *db, const char *const *paths, size_t npaths,
		   const struct wr_issuers *issuers, int nthreads, wr_import_cert_cb cb,
		   void *cb_ctx, wr_reject_cb reject, void *ctx, struct wr_import_stats *st)
{
	return import_run(db, paths, npaths, NULL, 0, issuers, nthreads, cb, cb_ctx, reject, ctx,
			  st);
}
