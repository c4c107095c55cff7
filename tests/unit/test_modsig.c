// SPDX-License-Identifier: MIT
/* Module signatures (lib/modsig.c, lib/sigtrust.c, lib/kconfig.c): signing, parsing as the
 * kernel and modinfo do, verifying, and trailers that are cut short or garbage. The keys are
 * made here with OpenSSL; byte identity with scripts/sign-file is tests/cli/sign.bats's. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "kconfig.h"
#include "log.h"
#include "modsig.h"
#include "sigtrust.h"
#include "tap.h"

static char dir[] = "/tmp/rf-modsig-XXXXXX";
static char warned[1024];

static void on_log(void *data, enum rf_log_level level, const char *msg)
{
	(void)data;
	if (level == RF_LOG_WARN)
		snprintf(warned, sizeof(warned), "%s", msg);
}

/* A self-signed certificate for a new RSA key: KEY (PEM, mode 0600), CERT (DER). */
static int make_pair(const char *name, const char *cn, long serial, char *key, char *cert)
{
	EVP_PKEY *pk = EVP_RSA_gen(2048);
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	FILE *f;
	int ok;

	sprintf(key, "%s/%s.priv", dir, name);
	sprintf(cert, "%s/%s.x509", dir, name);
	ok = pk && x && n && X509_set_version(x, 2) &&
	     ASN1_INTEGER_set(X509_get_serialNumber(x), serial) &&
	     X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)"tests", -1, -1, 0) &&
	     X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) &&
	     X509_set_subject_name(x, n) && X509_set_issuer_name(x, n) &&
	     X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
	     X509_gmtime_adj(X509_getm_notAfter(x), 3600) && X509_set_pubkey(x, pk) &&
	     X509_sign(x, pk, EVP_sha256());
	if (ok && (f = fopen(key, "w"))) {
		ok = PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL);
		fclose(f);
		chmod(key, 0600);
	}
	if (ok && (f = fopen(cert, "w"))) {
		ok = i2d_X509_fp(f, x);
		fclose(f);
	}
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(pk);
	return ok ? 0 : -1;
}

/* Something module-like: the test only needs bytes. */
static unsigned char module[4096];

static void test_sign_parse_verify(const char *key, const char *cert, const char *key2,
				   const char *cert2)
{
	struct rf_signer *s = NULL, *s512 = NULL, *s2 = NULL;
	struct rf_certs *certs = NULL, *other = NULL;
	struct rf_modsig sig, sig2, sig512;
	struct rf_err err = { "" };
	unsigned char *out = NULL, *again = NULL, *out2 = NULL, *out512 = NULL;
	size_t outlen = 0, againlen = 0, out2len = 0, out512len = 0;
	const char *file = NULL;
	int r;

	TAP_CHECK(rf_signer_load(&s, key, cert, "sha256", &err) == 0, "signer loads: %s", err.msg);
	TAP_CHECK(rf_signer_load(&s512, key, cert, "sha512", &err) == 0, "sha512 signer loads");
	TAP_CHECK(rf_signer_load(&s2, key2, cert2, "sha256", &err) == 0, "second signer loads");
	if (!s || !s512 || !s2)
		return;
	TAP_CHECK(rf_modsig_parse(module, sizeof(module), &sig) == 0 &&
		  sig.state == RF_MODSIG_UNSIGNED && sig.content_len == sizeof(module),
		  "plain bytes are unsigned, all of them content");
	rf_modsig_free(&sig);

	TAP_CHECK(rf_modsig_sign(s, module, sizeof(module), &out, &outlen, &err) == 0, "signs");
	TAP_CHECK(outlen > sizeof(module) + 40 && memcmp(out, module, sizeof(module)) == 0 &&
		  memcmp(out + outlen - 28, RF_MODSIG_MAGIC, 28) == 0,
		  "signed: the module, then the trailer, then the magic");
	TAP_CHECK(out[outlen - 28 - 12 + 2] == 2, "id_type is PKEY_ID_PKCS7");
	TAP_CHECK(rf_modsig_sign(s, module, sizeof(module), &again, &againlen, &err) == 0 &&
		  againlen == outlen && memcmp(again, out, outlen) == 0,
		  "signing is deterministic (RSA PKCS#1 v1.5, no signed attributes)");

	r = rf_modsig_parse(out, outlen, &sig);
	TAP_CHECK(r == 0 && sig.state == RF_MODSIG_SIGNED, "the signature parses");
	TAP_CHECK(sig.content_len == sizeof(module), "it covers the module's bytes");
	TAP_STREQ(sig.signer, "ramforge unit key", "signer: the issuer's CN");
	TAP_STREQ(sig.sig_key, "01:02:03:04:05", "sig_key: the serial in colon hex");
	TAP_STREQ(sig.hashalgo, "sha256", "sig_hashalgo");

	TAP_CHECK(rf_certs_load(&certs, cert, &err) == 0, "certificate loads");
	TAP_CHECK(rf_certs_load(&other, cert2, &err) == 0, "other certificate loads");
	TAP_STREQ(rf_certs_match(certs, &sig), cert, "the certificate matches by issuer and serial");
	TAP_CHECK(rf_certs_match(other, &sig) == NULL, "the other does not");
	TAP_CHECK(rf_modsig_verify(out, outlen, &sig, certs, &file, &err) == 0 && file &&
		  strcmp(file, cert) == 0, "verifies with its certificate");
	r = rf_modsig_verify(out, outlen, &sig, other, &file, &err);
	TAP_CHECK(r == -EKEYREJECTED && strstr(err.msg, "not among the trusted"),
		  "rejected with another certificate: %s", err.msg);
	out[100] ^= 1;
	r = rf_modsig_verify(out, outlen, &sig, certs, &file, &err);
	TAP_CHECK(r == -EKEYREJECTED && strstr(err.msg, "does not match"),
		  "a flipped byte of the module fails: %s", err.msg);
	out[100] ^= 1;

	TAP_CHECK(rf_modsig_sign(s2, module, sizeof(module), &out2, &out2len, &err) == 0 &&
		  rf_modsig_parse(out2, out2len, &sig2) == 0 && sig2.state == RF_MODSIG_SIGNED,
		  "signed with the second key");
	TAP_CHECK(!rf_modsig_same_key(&sig, &sig2), "two keys differ");
	TAP_CHECK(rf_modsig_sign(s512, module, sizeof(module), &out512, &out512len, &err) == 0 &&
		  rf_modsig_parse(out512, out512len, &sig512) == 0, "signed with sha512");
	TAP_STREQ(sig512.hashalgo, "sha512", "sha512's hashalgo");
	TAP_CHECK(rf_modsig_same_key(&sig, &sig512), "same key, other hash: same key");
	TAP_CHECK(rf_modsig_verify(out512, out512len, &sig512, certs, &file, &err) == 0,
		  "the sha512 signature verifies");

	/* sigtrust: the build key is the majority; a trusted cert wins over it. */
	{
		struct rf_sigtrust t = { 0 };
		int c;

		rf_sigtrust_count(&t, &sig2);
		rf_sigtrust_count(&t, &sig);
		rf_sigtrust_count(&t, &sig512);
		TAP_CHECK(rf_sigtrust_intree(&t) && rf_modsig_same_key(rf_sigtrust_intree(&t), &sig),
			  "the build key is the one most in-tree modules share");
		TAP_CHECK(rf_sigtrust_decide(&sig, 0, rf_sigtrust_intree(&t)) == RF_TRUST_INTREE,
			  "in-tree");
		TAP_CHECK(rf_sigtrust_decide(&sig2, 0, rf_sigtrust_intree(&t)) == RF_TRUST_UNTRUSTED,
			  "another key is untrusted");
		c = rf_sigtrust_cert(out2, out2len, &sig2, other, &file, &err);
		TAP_CHECK(c == 1 && rf_sigtrust_decide(&sig2, c, rf_sigtrust_intree(&t)) == RF_TRUST_CERT,
			  "cert:FILE when a trusted certificate verifies it");
		out2[10] ^= 0x80;
		c = rf_sigtrust_cert(out2, out2len, &sig2, other, &file, &err);
		TAP_CHECK(c == -EKEYREJECTED &&
			  rf_sigtrust_decide(&sig2, c, rf_sigtrust_intree(&t)) == RF_TRUST_UNTRUSTED,
			  "untrusted when it does not verify");
		TAP_CHECK(rf_sigtrust_intree_path("kernel/fs/ext4/ext4.ko") &&
			  !rf_sigtrust_intree_path("updates/dkms/x.ko"), "in-tree paths: kernel/");
		rf_sigtrust_free(&t);
	}

	/* --force's input: the bytes before an old signature, signed again, are the same. */
	free(again);
	again = NULL;
	TAP_CHECK(rf_modsig_sign(s, out512, sig512.content_len, &again, &againlen, &err) == 0 &&
		  againlen == outlen && memcmp(again, out, outlen) == 0,
		  "re-signing the unsigned part gives the first signature");

	rf_modsig_free(&sig);
	rf_modsig_free(&sig2);
	rf_modsig_free(&sig512);
	free(out);
	free(out2);
	free(out512);
	free(again);
	rf_certs_free(certs);
	rf_certs_free(other);
	rf_signer_free(s);
	rf_signer_free(s512);
	rf_signer_free(s2);
}

/* A trailer of the given fields after `body` bytes of PKCS#7 (garbage or not). */
static size_t trailer(unsigned char *buf, size_t body, uint8_t id_type, uint32_t sig_len, uint8_t pad)
{
	unsigned char ms[12] = { 0, 0, id_type, 0, 0, pad, 0, 0,
				 (unsigned char)(sig_len >> 24), (unsigned char)(sig_len >> 16),
				 (unsigned char)(sig_len >> 8), (unsigned char)sig_len };

	memset(buf, 0x30, body);
	memcpy(buf + body, ms, 12);
	memcpy(buf + body + 12, RF_MODSIG_MAGIC, 28);
	return body + 40;
}

static void expect_malformed(const unsigned char *p, size_t n, const char *want, const char *what)
{
	struct rf_modsig sig;
	int r = rf_modsig_parse(p, n, &sig);

	TAP_CHECK(r == 0 && sig.state == RF_MODSIG_MALFORMED && sig.why &&
		  (!want || strstr(sig.why, want)) && sig.content_len == n,
		  "%s: malformed (%s)", what, sig.why ? sig.why : "no reason");
	rf_modsig_free(&sig);
}

static void test_malformed(const char *key, const char *cert)
{
	unsigned char buf[8192];
	struct rf_signer *s = NULL;
	struct rf_err err = { "" };
	unsigned char *out = NULL;
	size_t outlen = 0, n, bad = 0, signed_ok = 0;

	memcpy(buf, RF_MODSIG_MAGIC, 28);
	{
		struct rf_modsig sig;

		TAP_CHECK(rf_modsig_parse(buf, 28, &sig) == 0 && sig.state == RF_MODSIG_UNSIGNED,
			  "the magic alone is no trailer (the kernel wants more bytes than the magic)");
		rf_modsig_free(&sig);
	}
	buf[28] = 'x';
	memcpy(buf + 1, RF_MODSIG_MAGIC, 28);
	expect_malformed(buf, 29, "truncated", "one byte and the magic");
	memset(buf, 0, 12);
	memcpy(buf + 12, RF_MODSIG_MAGIC, 28);
	expect_malformed(buf, 40, "truncated", "an empty module_signature and nothing before");
	n = trailer(buf, 100, 2, 5000, 0);
	expect_malformed(buf, n, "beyond", "sig_len past the start");
	n = trailer(buf, 100, 2, 100, 0);
	expect_malformed(buf, n, "beyond", "sig_len equal to everything before");
	n = trailer(buf, 100, 1, 50, 0);
	expect_malformed(buf, n, "PKCS#7", "id_type 1 (X.509)");
	n = trailer(buf, 100, 2, 50, 7);
	expect_malformed(buf, n, "non-zero", "non-zero padding");
	n = trailer(buf, 100, 2, 0, 0);
	expect_malformed(buf, n, "empty", "sig_len 0");
	n = trailer(buf, 100, 2, 50, 0);
	expect_malformed(buf, n, "unreadable", "garbage PKCS#7");

	if (rf_signer_load(&s, key, cert, "sha256", &err) < 0 ||
	    rf_modsig_sign(s, module, 200, &out, &outlen, &err) < 0) {
		TAP_CHECK(0, "signing for the corruption tests: %s", err.msg);
		return;
	}
	/* Every single byte of the PKCS#7 and module_signature changed: never a crash, and a
	 * result that is either a full signature or malformed with a reason. */
	for (size_t i = 200; i < outlen - 28; i++) {
		for (int v = 0; v < 3; v++) {
			unsigned char old = out[i];
			struct rf_modsig sig;

			out[i] = v == 0 ? (unsigned char)(old ^ 0xff) : v == 1 ? 0 : 0x80;
			if (rf_modsig_parse(out, outlen, &sig) < 0)
				bad++;
			else if (sig.state == RF_MODSIG_SIGNED)
				signed_ok += sig.signer && sig.sig_key && sig.hashalgo ? 1 : (bad++, 0);
			else if (sig.state != RF_MODSIG_MALFORMED || !sig.why)
				bad++;
			rf_modsig_free(&sig);
			out[i] = old;
		}
	}
	TAP_CHECK(bad == 0, "every changed trailer byte: signed with all fields, or malformed with "
		  "a reason (%zu still parse)", signed_ok);
	/* The PKCS#7 cut short, with the sig_len adjusted or not. */
	bad = 0;
	for (size_t cut = 1; cut < outlen - 200 - 40; cut++) {
		unsigned char *t = malloc(outlen);
		struct rf_modsig sig;
		size_t len = outlen - cut;
		uint32_t sl = (uint32_t)(outlen - 200 - 40 - cut);

		memcpy(t, out, outlen - 40 - cut);
		memcpy(t + len - 40, out + outlen - 40, 40);
		t[len - 40 + 8] = (unsigned char)(sl >> 24);
		t[len - 40 + 9] = (unsigned char)(sl >> 16);
		t[len - 40 + 10] = (unsigned char)(sl >> 8);
		t[len - 40 + 11] = (unsigned char)sl;
		if (rf_modsig_parse(t, len, &sig) < 0 || sig.state != RF_MODSIG_MALFORMED)
			bad++;
		rf_modsig_free(&sig);
		free(t);
	}
	TAP_CHECK(bad == 0, "a PKCS#7 cut short is malformed at every length");
	/* Every prefix of a signed module: unsigned or malformed, never outside the bytes. */
	bad = 0;
	for (size_t len = 0; len < outlen; len++) {
		unsigned char *t = malloc(len ? len : 1);
		struct rf_modsig sig;

		memcpy(t, out, len);
		if (rf_modsig_parse(t, len, &sig) < 0 || sig.state == RF_MODSIG_SIGNED)
			bad++;
		rf_modsig_free(&sig);
		free(t);
	}
	TAP_CHECK(bad == 0, "no prefix of a signed module parses as signed");
	free(out);
	rf_signer_free(s);
}

static void test_files(const char *key, const char *cert, const char *key2, const char *cert2)
{
	struct rf_signer *s = NULL;
	struct rf_certs *certs = NULL;
	struct rf_err err = { "" };
	char path[512], pem[512];
	FILE *f;
	int r;

	r = rf_signer_load(&s, key, cert2, "sha256", &err);
	TAP_CHECK(r < 0 && strstr(err.msg, "does not belong"), "a key with another's certificate: %s",
		  err.msg);
	r = rf_signer_load(&s, key, cert, "nosuchhash", &err);
	TAP_CHECK(r < 0 && strstr(err.msg, "unknown hash"), "an unknown hash: %s", err.msg);
	sprintf(path, "%s/missing.priv", dir);
	r = rf_signer_load(&s, path, cert, "sha256", &err);
	TAP_CHECK(r == -ENOENT && strstr(err.msg, path), "a missing key: %s", err.msg);
	r = rf_signer_load(&s, cert, cert, "sha256", &err);
	TAP_CHECK(r < 0 && strstr(err.msg, "not a PEM or DER private key"), "a certificate as key: %s",
		  err.msg);
	r = rf_signer_load(&s, key, key, "sha256", &err);
	TAP_CHECK(r < 0 && strstr(err.msg, "not a DER or PEM X.509"), "a key as certificate: %s",
		  err.msg);
	r = rf_signer_load(&s, dir, cert, "sha256", &err);
	TAP_CHECK(r < 0 && strstr(err.msg, "Is a directory"), "a directory as key: %s", err.msg);

	warned[0] = '\0';
	chmod(key, 0644);
	r = rf_signer_load(&s, key, cert, "sha256", &err);
	TAP_CHECK(r == 0 && strstr(warned, "readable by others"), "a 0644 key is warned of: %s", warned);
	rf_signer_free(s);
	s = NULL;
	warned[0] = '\0';
	chmod(key, 0600);
	r = rf_signer_load(&s, key, cert, "sha256", &err);
	TAP_CHECK(r == 0 && !warned[0], "a 0600 key is not");
	rf_signer_free(s);

	/* A PEM bundle of two certificates. */
	sprintf(pem, "%s/bundle.pem", dir);
	f = fopen(pem, "w");
	for (int i = 0; f && i < 2; i++) {
		FILE *d = fopen(i ? cert2 : cert, "r");
		X509 *x = d ? d2i_X509_fp(d, NULL) : NULL;

		if (x)
			PEM_write_X509(f, x);
		X509_free(x);
		if (d)
			fclose(d);
	}
	if (f)
		fclose(f);
	TAP_CHECK(rf_certs_load(&certs, pem, &err) == 0, "a PEM file of two certificates loads");
	rf_certs_free(certs);
	certs = NULL;
	r = rf_certs_load(&certs, key2, &err);
	TAP_CHECK(r < 0 && strstr(err.msg, key2), "a key is no certificate: %s", err.msg);
	rf_certs_free(certs);
}

static void test_kconfig(void)
{
	struct rf_err err = { "" };
	char path[512], *v = NULL;
	FILE *f;

	sprintf(path, "%s/config", dir);
	f = fopen(path, "w");
	fputs("CONFIG_MODULE_SIG=y\n# CONFIG_MODULE_SIG_FORCE is not set\n"
	      "CONFIG_MODULE_SIG_HASH=\"sha512\"\n", f);
	fclose(f);
	TAP_CHECK(rf_kconfig_get(path, "CONFIG_MODULE_SIG_HASH", &v, &err) == 1, "a quoted value");
	TAP_STREQ(v, "sha512", "its quotes removed");
	free(v);
	TAP_CHECK(rf_kconfig_get(path, "CONFIG_MODULE_SIG_FORCE", &v, &err) == 0 && !v, "not set");
	TAP_CHECK(rf_kconfig_get(path, "CONFIG_MODULE_SIG", &v, &err) == 1 && strcmp(v, "y") == 0,
		  "y (and CONFIG_MODULE_SIG is not CONFIG_MODULE_SIG_HASH's prefix match)");
	free(v);
	TAP_CHECK(rf_kconfig_get("/nonexistent/config", "X", &v, &err) == -ENOENT, "missing file");
}

int main(void)
{
	char key[256], cert[256], key2[256], cert2[256];

	for (size_t i = 0; i < sizeof(module); i++)
		module[i] = (unsigned char)(i * 7);
	rf_log_set_fn(on_log, NULL);
	if (!mkdtemp(dir) || make_pair("a", "ramforge unit key", 0x0102030405, key, cert) < 0 ||
	    make_pair("b", "ramforge other key", 77, key2, cert2) < 0) {
		printf("not ok 1 - making test keys\n1..1\n");
		return 1;
	}
	test_sign_parse_verify(key, cert, key2, cert2);
	test_malformed(key, cert);
	test_files(key, cert, key2, cert2);
	test_kconfig();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return tap_done();
}
