/*
 * wr-mkcerts: generates the certificates of a demo or test incident.
 *
 *   wr-mkcerts --out DIR --count N [--format pem|der|both]
 *              [--expired-percent P] [--customers K] [--hostile]
 *              [--seed S] [--now RFC3339-or-epoch] [--ca-days D]
 *
 * Writes DIR/ca.pem and DIR/ca.key (an EC P-256 test CA), N leaf
 * certificates signed by it as DIR/bundle.pem and/or DIR/der/NNN/NNNNNN.der
 * (1000 per subdirectory, so imports walk a tree), and DIR/customers.csv
 * mapping each serial to its customer. Names use the .example and .test
 * TLDs only. Everything but the keys and signatures follows from --seed.
 * A fixture tool: it prints and exits freely; it never talks to a network.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define DAY 86400
#define KEY_POOL 64

/* Fetched once: EVP_sha256() makes OpenSSL 3 look the digest up under a
 * lock on every signature. */
static EVP_MD *sha256;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("wr-mkcerts: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ERR_print_errors_fp(stderr);
	exit(1);
}

/* splitmix64: small, fast, and the same sequence everywhere for a seed. */
static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t pick(uint64_t *s, uint64_t n) { return n ? mix(s) % n : 0; }

/* ---- fictional customers ------------------------------------------------------ */

static const char *const brands[] = {
	"acme", "northwind", "contoso", "fabrikam", "tailspin", "wingtip", "adventure",
	"bluefin", "coho", "litware", "proseware", "lucerne", "margie", "fourth-coffee",
	"alpine", "woodgrove", "graphic", "humongous", "trey", "wide-world", "blue-yonder",
	"southridge", "vanarsdel", "relecloud",
};
static const char *const trades[] = {
	"logistics", "bank", "health", "retail", "energy", "media", "insurance", "travel",
	"foods", "labs", "systems", "telecom", "motors", "pharma", "capital", "games",
};
static const char *const hosts[] = {
	"www", "shop", "api", "mail", "portal", "login", "cdn", "static", "app", "vpn",
	"status", "pay", "auth", "edge", "assets", "m",
};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct customer {
	char name[96];	 /* "Acme Logistics, Inc." */
	char domain[96]; /* "acme-logistics.example" */
};

static void title_case(char *dst, size_t n, const char *src)
{
	size_t o = 0;
	bool up = true;

	for (; *src && o + 1 < n; src++) {
		char c = *src == '-' ? ' ' : *src;
		dst[o++] = up && c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
		up = c == ' ';
	}
	dst[o] = '\0';
}

static struct customer *make_customers(int k, uint64_t seed)
{
	struct customer *cs = calloc((size_t)(k ? k : 1), sizeof *cs);
	size_t combos = NELEM(brands) * NELEM(trades);
	uint64_t s = seed ^ 0xc0ffee;
	/* A start and a step coprime with the number of combinations walk all
	 * of them before repeating. */
	size_t at = (size_t)pick(&s, combos), step = 7;

	if (!cs)
		die("out of memory");
	for (int i = 0; i < k; i++) {
		const char *b = brands[at % NELEM(brands)], *t = trades[at / NELEM(brands)];
		char base[64], pretty[64];
		unsigned round = (unsigned)((size_t)i / combos);

		at = (at + step) % combos;
		if (round)
			snprintf(base, sizeof base, "%s-%s%u", b, t, round + 1);
		else
			snprintf(base, sizeof base, "%s-%s", b, t);
		snprintf(cs[i].domain, sizeof cs[i].domain, "%s.%s", base, i % 5 == 4 ? "test" : "example");
		title_case(pretty, sizeof pretty, base);
		/* Some legal names carry a comma, so the CSV needs its quotes. */
		snprintf(cs[i].name, sizeof cs[i].name, "%s%s", pretty,
			 i % 3 == 0 ? ", Inc." : i % 3 == 1 ? " Ltd" : "");
	}
	return cs;
}

static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* ---- certificates --------------------------------------------------------------- */

static EVP_PKEY *ec_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	if (!k)
		die("cannot generate an EC P-256 key");
	return k;
}

static void set_time(ASN1_TIME *t, int64_t when)
{
	if (!ASN1_TIME_set(t, (time_t)when))
		die("cannot set a time");
}

static void add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);

	if (!e || !X509_add_ext(x, e, -1))
		die("cannot add extension %s", OBJ_nid2sn(nid));
	X509_EXTENSION_free(e);
}

static X509_NAME *ca_name(void)
{
	X509_NAME *n = X509_NAME_new();

	/* Encoded C, O, CN as CAs do; RFC 2253 prints it CN first. */
	if (!n || !X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
					(const unsigned char *)"Warroom Demo CA", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
					(const unsigned char *)"Warroom Demo Issuing CA", -1, -1, 0))
		die("cannot build the CA name");
	return n;
}

static void set_serial(X509 *x, uint64_t *s)
{
	unsigned char b[16];
	BIGNUM *bn;

	for (size_t i = 0; i < sizeof b; i += 8) {
		uint64_t v = mix(s);
		memcpy(b + i, &v, 8);
	}
	/* Positive and a full 16 bytes long, as CAs' random serials are. */
	b[0] = (unsigned char)((b[0] & 0x7f) | 0x01);
	bn = BN_bin2bn(b, sizeof b, NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		die("cannot set a serial");
	BN_free(bn);
}

static X509 *make_ca(EVP_PKEY *key, int64_t now, int64_t days, uint64_t *s)
{
	X509 *x = X509_new();
	X509_NAME *n = ca_name();
	X509V3_CTX ctx;

	if (!x || !X509_set_version(x, 2))
		die("out of memory");
	set_serial(x, s);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	set_time(X509_getm_notBefore(x), now - 365 * (int64_t)DAY);
	set_time(X509_getm_notAfter(x), now + days * DAY);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
	add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
	add_ext(x, &ctx, NID_subject_key_identifier, "hash");
	if (!X509_sign(x, key, sha256))
		die("cannot sign the CA");
	X509_NAME_free(n);
	return x;
}

static void add_dns(GENERAL_NAMES *gens, const char *name, size_t len)
{
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();

	if (!g || !ia5 || !ASN1_STRING_set(ia5, name, (int)len))
		die("out of memory");
	GENERAL_NAME_set0_value(g, GEN_DNS, ia5);
	if (!sk_GENERAL_NAME_push(gens, g))
		die("out of memory");
}

struct leaf {
	const char *cn;
	size_t cn_len;
	const char *const *sans; /* with lengths, so a name may hold any byte */
	const size_t *san_lens;
	int nsans;
	int64_t not_before, not_after;
	EVP_PKEY *key;
};

/* The extensions every leaf shares, built once: parsing their text per
 * certificate would cost as much as signing. */
static X509_EXTENSION *leaf_exts[3];

static void leaf_exts_init(void)
{
	X509V3_CTX ctx;

	X509V3_set_ctx(&ctx, NULL, NULL, NULL, NULL, X509V3_CTX_TEST);
	leaf_exts[0] = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:FALSE");
	leaf_exts[1] = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, "critical,digitalSignature");
	leaf_exts[2] = X509V3_EXT_conf_nid(NULL, &ctx, NID_ext_key_usage, "serverAuth");
	for (size_t i = 0; i < NELEM(leaf_exts); i++)
		if (!leaf_exts[i])
			die("cannot build the leaf extensions");
}

static X509 *make_leaf(const struct leaf *l, X509 *ca, EVP_PKEY *ca_key, uint64_t *s)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();

	if (!x || !n || !gens || !X509_set_version(x, 2))
		die("out of memory");
	set_serial(x, s);
	X509_set_issuer_name(x, X509_get_subject_name(ca));
	/* UTF8String explicitly: the hostile name must reach the importer as
	 * raw bytes, not as something OpenSSL re-encoded. */
	if (!X509_NAME_add_entry_by_NID(n, NID_commonName, V_ASN1_UTF8STRING,
					(const unsigned char *)l->cn, (int)l->cn_len, -1, 0))
		die("cannot set a subject");
	X509_set_subject_name(x, n);
	set_time(X509_getm_notBefore(x), l->not_before);
	set_time(X509_getm_notAfter(x), l->not_after);
	X509_set_pubkey(x, l->key);
	for (int i = 0; i < l->nsans; i++)
		add_dns(gens, l->sans[i], l->san_lens[i]);
	if (!X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0))
		die("cannot add the SANs");
	for (size_t i = 0; i < NELEM(leaf_exts); i++)
		if (!X509_add_ext(x, leaf_exts[i], -1))
			die("cannot add an extension");
	/* The CA's key identifier, as every public CA's leaves carry it
	 * (BR 7.1.2.3): ACME Renewal Information is keyed by it. One CA a
	 * run, so it is built once. */
	static X509_EXTENSION *aki;
	if (!aki) {
		X509V3_CTX ctx;
		X509V3_set_ctx(&ctx, ca, NULL, NULL, NULL, 0);
		if (!(aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier,
						"keyid:always")))
			die("cannot build the authority key identifier");
	}
	if (!X509_add_ext(x, aki, -1))
		die("cannot add an extension");
	if (!X509_sign(x, ca_key, sha256))
		die("cannot sign a certificate");
	X509_NAME_free(n);
	GENERAL_NAMES_free(gens);
	return x;
}

/* ---- output --------------------------------------------------------------------- */

static void mkdir_p(const char *path)
{
	char buf[4096];

	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			die("%s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0755) != 0 && errno != EEXIST)
		die("%s: %s", buf, strerror(errno));
}

/* mode 0: 0666 less the umask. A key gets 0600: created so (never a
 * moment readable by others), and set again when the file was there
 * already with another mode; warroom refuses a CA key others can read. */
static FILE *open_out(const char *dir, const char *name, mode_t mode)
{
	char path[4096];
	FILE *f;
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode ? mode : 0666);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	if (mode && fchmod(fd, mode) != 0)
		die("%s: %s", path, strerror(errno));
	if (!(f = fdopen(fd, "w")))
		die("%s: %s", path, strerror(errno));
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

static void close_out(FILE *f, const char *what)
{
	if (ferror(f) | fclose(f))
		die("%s: write error", what);
}

static void write_der(const char *dir, long i, X509 *x)
{
	char path[4096];
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	FILE *f;

	if (len <= 0)
		die("cannot encode a certificate");
	if (i % 1000 == 0) {
		snprintf(path, sizeof path, "%s/der/%03ld", dir, i / 1000);
		mkdir_p(path);
	}
	snprintf(path, sizeof path, "%s/der/%03ld/%06ld.der", dir, i / 1000, i);
	f = fopen(path, "w");
	if (!f || fwrite(der, 1, (size_t)len, f) != (size_t)len || fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
	OPENSSL_free(der);
}

static void write_pem(FILE *f, X509 *x)
{
	BIO *b = BIO_new_fp(f, BIO_NOCLOSE);

	if (!b || !PEM_write_bio_X509(b, x))
		die("cannot write PEM");
	BIO_free(b);
}

static void serial_hex(X509 *x, char *out, size_t n)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	if (!hex)
		die("out of memory");
	/* BN_bn2hex drops a leading zero nibble; serials are whole bytes. */
	snprintf(out, n, "%s%s", strlen(hex) % 2 ? "0" : "", hex);
	OPENSSL_free(hex);
	BN_free(bn);
}

static int64_t parse_now(const char *s)
{
	struct tm tm = {0};
	char *end;

	if (*s == '@')
		s++;
	long long v = strtoll(s, &end, 10);
	if (end != s && !*end)
		return v;
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || (strcmp(end, "Z") != 0 && strcmp(end, "z") != 0))
		die("--now: want RFC 3339 UTC (2026-11-25T07:53:34Z) or epoch seconds: %s", s);
	return (int64_t)timegm(&tm);
}

static long parse_long(const char *opt, const char *s, long min)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < min)
		die("%s: want an integer of at least %ld: %s", opt, min, s);
	return v;
}

static void usage(void)
{
	fputs("usage: wr-mkcerts --out DIR --count N [--format pem|der|both]\n"
	      "                  [--expired-percent P] [--customers K] [--hostile]\n"
	      "                  [--seed S] [--now RFC3339-or-epoch] [--ca-days D]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"out", required_argument, NULL, 'o'},
		{"count", required_argument, NULL, 'n'},
		{"format", required_argument, NULL, 'f'},
		{"expired-percent", required_argument, NULL, 'e'},
		{"customers", required_argument, NULL, 'k'},
		{"hostile", no_argument, NULL, 'H'},
		{"seed", required_argument, NULL, 's'},
		{"now", required_argument, NULL, 't'},
		{"ca-days", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *out = NULL, *format = "pem";
	long count = -1, customers = 20, ca_days = 3650;
	double expired_pct = 0;
	bool hostile = false, pem, der;
	uint64_t seed = 1;
	int64_t now = (int64_t)time(NULL);
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'o': out = optarg; break;
		case 'n': count = parse_long("--count", optarg, 0); break;
		case 'f': format = optarg; break;
		case 'e':
			expired_pct = strtod(optarg, &end);
			if (end == optarg || *end || expired_pct < 0 || expired_pct > 100)
				die("--expired-percent: want 0 to 100: %s", optarg);
			break;
		case 'k': customers = parse_long("--customers", optarg, 1); break;
		case 'H': hostile = true; break;
		case 's': seed = (uint64_t)parse_long("--seed", optarg, 0); break;
		case 't': now = parse_now(optarg); break;
		case 'c': ca_days = parse_long("--ca-days", optarg, 1); break;
		default: usage();
		}
	}
	if (!out || count < 0 || optind != argc)
		usage();
	pem = !strcmp(format, "pem") || !strcmp(format, "both");
	der = !strcmp(format, "der") || !strcmp(format, "both");
	if (!pem && !der)
		die("--format: want pem, der or both: %s", format);

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	mkdir_p(out);
	if (!(sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)))
		die("no SHA-256");

	uint64_t rng = seed;
	EVP_PKEY *ca_key = ec_key();
	X509 *ca = make_ca(ca_key, now, ca_days, &rng);
	FILE *f = open_out(out, "ca.pem", 0);
	write_pem(f, ca);
	close_out(f, "ca.pem");
	f = open_out(out, "ca.key", 0600);
	BIO *kb = BIO_new_fp(f, BIO_NOCLOSE);
	if (!kb || !PEM_write_bio_PrivateKey(kb, ca_key, NULL, NULL, 0, NULL, NULL))
		die("cannot write ca.key");
	BIO_free(kb);
	close_out(f, "ca.key");

	EVP_PKEY *pool[KEY_POOL];
	for (int i = 0; i < KEY_POOL; i++)
		pool[i] = ec_key();
	leaf_exts_init();
	struct customer *cs = make_customers((int)customers, seed);

	FILE *bundle = pem ? open_out(out, "bundle.pem", 0) : NULL;
	FILE *csv = open_out(out, "customers.csv", 0);
	fputs("serial,customer,contact\n", csv);
	if (der) {
		char path[4096];
		snprintf(path, sizeof path, "%s/der", out);
		mkdir_p(path);
	}

	long total = count + (hostile ? 1 : 0), expired = 0, short_lived = 0;
	for (long i = 0; i < total; i++) {
		/* Each certificate's choices come from its own stream, so
		 * changing one option does not reshuffle all the others. */
		uint64_t s = seed * 0x100000001b3ULL ^ (uint64_t)i * 0x9e3779b97f4a7c15ULL;
		const struct customer *cu = &cs[pick(&s, (uint64_t)customers)];
		const char *host = hosts[pick(&s, NELEM(hosts))];
		char cn[192], alt[192], apex[128];
		const char *sans[3];
		size_t lens[3];
		struct leaf l = {.key = pool[i % KEY_POOL]};
		bool is_hostile = hostile && i == total - 1;

		if (is_hostile) {
			/* ESC [2J (clear screen), U+202E (right-to-left override) and
			 * a newline in the CN; an ESC in a dNSName. */
			static const char hcn[] = "evil\x1b[2Jadmin\xe2\x80\xae" "elpmaxe.\nforged.example";
			static const char hsan[] = "esc\x1b]0;pwned\x07.hostile.example";
			snprintf(cn, sizeof cn, "%s", hcn);
			sans[0] = hsan;
			lens[0] = sizeof hsan - 1;
			sans[1] = "hostile.example";
			lens[1] = strlen(sans[1]);
			l.nsans = 2;
		} else {
			snprintf(cn, sizeof cn, "%s.%s", host, cu->domain);
			sans[l.nsans] = cn;
			lens[l.nsans++] = strlen(cn);
			switch (pick(&s, 4)) {
			case 0:
				snprintf(apex, sizeof apex, "%s", cu->domain);
				sans[l.nsans] = apex;
				lens[l.nsans++] = strlen(apex);
				break;
			case 1:
				snprintf(alt, sizeof alt, "%s.%s", hosts[pick(&s, NELEM(hosts))],
					 cu->domain);
				if (strcmp(alt, cn)) {
					sans[l.nsans] = alt;
					lens[l.nsans++] = strlen(alt);
				}
				break;
			default:
				break;
			}
		}
		l.cn = cn;
		l.cn_len = strlen(cn);
		l.sans = sans;
		l.san_lens = lens;

		uint64_t roll = pick(&s, 10000);
		if (roll < (uint64_t)(expired_pct * 100)) {
			/* Expired between a day and half a year ago. */
			l.not_after = now - (int64_t)(1 + pick(&s, 180)) * DAY - (int64_t)pick(&s, DAY);
			l.not_before = l.not_after - 90 * DAY;
			expired++;
		} else if (pick(&s, 100) < 2) {
			l.not_before = now - (int64_t)pick(&s, 6 * DAY);
			l.not_after = l.not_before + 7 * DAY;
			short_lived++;
		} else {
			l.not_before = now - (int64_t)pick(&s, 80 * DAY) - DAY;
			l.not_after = l.not_before + 90 * DAY;
		}

		X509 *x = make_leaf(&l, ca, ca_key, &s);
		if (bundle)
			write_pem(bundle, x);
		if (der)
			write_der(out, i, x);
		char serial[80];
		serial_hex(x, serial, sizeof serial);
		fprintf(csv, "%s,", serial);
		csv_field(csv, cu->name);
		fprintf(csv, ",ops@%s\n", cu->domain);
		X509_free(x);
	}
	if (bundle)
		close_out(bundle, "bundle.pem");
	close_out(csv, "customers.csv");

	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("wr-mkcerts: %ld certificates (%ld expired, %ld short-lived%s) for %ld customers"
	       " in %s as %s, %.1f s\n",
	       total, expired, short_lived, hostile ? ", 1 hostile" : "", customers, out,
	       pem && der ? "pem+der" : pem ? "pem" : "der",
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);

	for (int i = 0; i < KEY_POOL; i++)
		EVP_PKEY_free(pool[i]);
	for (size_t i = 0; i < NELEM(leaf_exts); i++)
		X509_EXTENSION_free(leaf_exts[i]);
	free(cs);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	EVP_MD_free(sha256);
	return 0;
}
