/* Unit tests for core/ari.c: the ARI certificate identifier of RFC 9773
 * on certificates made here with OpenSSL (the RFC's own example, a serial
 * with its high bit set, a one-byte serial, a long key identifier, none),
 * and the renewal window against the deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "unit.h"

static EVP_PKEY *key(void)
{
	static EVP_PKEY *k;

	if (!k)
		k = EVP_EC_gen("P-256");
	assert_non_null(k);
	return k;
}

/* A certificate whose serial INTEGER has the content octets serial (as
 * DER writes them: a leading 00 when the high bit is set) and whose AKI
 * keyIdentifier is akid (NULL: no AKI at all); its DER in *der. */
static size_t make_cert(const unsigned char *serial, size_t serial_len,
			const unsigned char *akid, size_t akid_len, unsigned char **der)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	ASN1_INTEGER *sn;
	const unsigned char *p;
	unsigned char enc[64];
	int len;

	/* The INTEGER's DER, decoded: exactly these content octets. */
	assert_true(serial_len + 2 <= sizeof enc);
	enc[0] = 0x02;
	enc[1] = (unsigned char)serial_len;
	memcpy(enc + 2, serial, serial_len);
	p = enc;
	assert_non_null(sn = d2i_ASN1_INTEGER(NULL, &p, (long)serial_len + 2));
	assert_int_equal(X509_set_serialNumber(x, sn), 1);
	ASN1_INTEGER_free(sn);
	X509_set_version(x, 2);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"ari.example", -1,
				   -1, 0);
	X509_set_issuer_name(x, n);
	X509_set_subject_name(x, n);
	X509_NAME_free(n);
	ASN1_TIME_set(X509_getm_notBefore(x), 1700000000);
	ASN1_TIME_set(X509_getm_notAfter(x), 1800000000);
	X509_set_pubkey(x, key());
	if (akid) {
		AUTHORITY_KEYID *ak = AUTHORITY_KEYID_new();
		ak->keyid = ASN1_OCTET_STRING_new();
		ASN1_OCTET_STRING_set(ak->keyid, akid, (int)akid_len);
		assert_int_equal(X509_add1_ext_i2d(x, NID_authority_key_identifier, ak, 0, 0), 1);
		AUTHORITY_KEYID_free(ak);
	}
	assert_true(X509_sign(x, key(), EVP_sha256()) > 0);
	*der = NULL;
	len = i2d_X509(x, der);
	assert_true(len > 0);
	X509_free(x);
	return (size_t)len;
}

static void expect_id(const unsigned char *serial, size_t serial_len, const unsigned char *akid,
		      size_t akid_len, const char *want)
{
	unsigned char *der;
	size_t len = make_cert(serial, serial_len, akid, akid_len, &der);
	char id[WR_ARI_ID_MAX];
	const char *why = NULL;

	assert_int_equal(wr_ari_id(der, len, id, &why), 0);
	assert_string_equal(id, want);
	OPENSSL_free(der);
}

/* RFC 9773 4.1's example: keyIdentifier 69:88:5B:...:C8:D4, serial
 * 0x0087654321 (DER content 00 87 65 43 21: the high bit of 87 is set). */
static void test_rfc_example(void **state)
{
	static const unsigned char akid[] = {0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40,
					     0x41, 0xE1, 0xB3, 0x7B, 0x84, 0x7B, 0xA0,
					     0xAE, 0x2C, 0xDE, 0x01, 0xC8, 0xD4};
	static const unsigned char serial[] = {0x00, 0x87, 0x65, 0x43, 0x21};

	(void)state;
	expect_id(serial, sizeof serial, akid, sizeof akid, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
}

static void test_serials(void **state)
{
	static const unsigned char akid3[] = {0xfb, 0xff, 0xfe}; /* "-__-": url-safe */
	static const unsigned char one[] = {0x01};
	static const unsigned char high[] = {0x00, 0x80};		  /* 128 */
	static const unsigned char twenty[] = {0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9,
					      10, 11, 12, 13, 14, 15, 16, 17, 18, 19};

	(void)state;
	expect_id(one, sizeof one, akid3, sizeof akid3, "-__-.AQ");
	/* The leading 00 is part of the identifier. */
	expect_id(high, sizeof high, akid3, sizeof akid3, "-__-.AIA");
	expect_id(twenty, sizeof twenty, akid3, sizeof akid3, "-__-.fwECAwQFBgcICQoLDA0ODxAREhM");
}

/* A 32-byte keyIdentifier (SHA-256 of a key, as some CAs use). */
static void test_long_akid(void **state)
{
	unsigned char akid[32];
	static const unsigned char serial[] = {0x12, 0x34};

	(void)state;
	for (int i = 0; i < 32; i++)
		akid[i] = (unsigned char)i;
	expect_id(serial, sizeof serial, akid, sizeof akid,
		  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8.EjQ");
}

static void test_no_akid(void **state)
{
	static const unsigned char serial[] = {0x05};
	unsigned char *der, junk[] = {0x30, 0x03, 0x02, 0x01, 0x05};
	size_t len = make_cert(serial, sizeof serial, NULL, 0, &der);
	char id[WR_ARI_ID_MAX];
	const char *why = NULL;

	(void)state;
	assert_int_equal(wr_ari_id(der, len, id, &why), WR_EINVAL);
	assert_non_null(strstr(why, "authority key identifier"));
	assert_string_equal(id, "");
	OPENSSL_free(der);
	why = NULL;
	assert_int_equal(wr_ari_id(junk, sizeof junk, id, &why), WR_EINVAL);
	assert_non_null(why);
}

static void test_window(void **state)
{
	int64_t start = 0, end = 0;

	(void)state;
	/* 22 hours left: the window is the first 11, ending 11 hours early. */
	assert_int_equal(wr_ari_window(1000, 1000 + 22 * 3600, &start, &end), 0);
	assert_int_equal(start, 1000);
	assert_int_equal(end, 1000 + 11 * 3600);
	/* Little time left: still a window, still before the deadline. */
	assert_int_equal(wr_ari_window(1000, 1003, &start, &end), 0);
	assert_true(end > start && end < 1003);
	/* No deadline, one passed, or too close to have a window: none. */
	assert_int_equal(wr_ari_window(1000, 0, &start, &end), WR_ESTATE);
	assert_int_equal(wr_ari_window(1000, 999, &start, &end), WR_ESTATE);
	assert_int_equal(wr_ari_window(1000, 1000, &start, &end), WR_ESTATE);
	assert_int_equal(wr_ari_window(1000, 1001, &start, &end), WR_ESTATE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_example),
		cmocka_unit_test(test_serials),
		cmocka_unit_test(test_long_akid),
		cmocka_unit_test(test_no_akid),
		cmocka_unit_test(test_window),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	EVP_PKEY_free(key());
	return rc;
}
