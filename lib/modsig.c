// SPDX-License-Identifier: MIT
/* Module signatures: parsed as the kernel's mod_verify_sig/mod_check_sig and kmod's modinfo
 * read them, made as scripts/sign-file makes them, verified as a detached CMS. See modsig.h. */
#include "modsig.h"

#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "log.h"

#define MAGIC_LEN (sizeof(RF_MODSIG_MAGIC) - 1)
#define PKEY_ID_PKCS7 2
#define RF_CERT_FILE_MAX (1 << 20) /* a certificate or key file larger than this is not one */

/* The kernel's struct module_signature (include/linux/module_signature.h). */
struct module_signature {
	uint8_t algo, hash, id_type, signer_len, key_id_len, pad[3];
	uint32_t sig_len; /* big-endian */
};
_Static_assert(sizeof(struct module_signature) == 12, "struct module_signature is 12 bytes");

static int malformed(struct rf_modsig *out, const char *why)
{
	ERR_clear_error();
	out->state = RF_MODSIG_MALFORMED;
	out->why = why;
	return 0;
}

static int oom(struct rf_modsig *out)
{
	ERR_clear_error();
	rf_modsig_free(out);
	return -ENOMEM;
}

/* Colon-separated upper-case hex, as kmod's modinfo prints key ids. */
static char *colon_hex(const unsigned char *b, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char *s = malloc(n ? n * 3 : 1), *q = s;

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (i)
			*q++ = ':';
		*q++ = hex[b[i] >> 4];
		*q++ = hex[b[i] & 15];
	}
	*q = '\0';
	return s;
}

/* modinfo's signer: the first commonName of the issuer; without one kmod (x509_name_to_str)
 * ends up with the name's last entry, so that is what is printed here too. */
static char *name_signer(const X509_NAME *name)
{
	int n = X509_NAME_entry_count(name), i, len;
	const X509_NAME_ENTRY *e = NULL;
	const ASN1_STRING *d;

	for (i = 0; i < n; i++) {
		e = X509_NAME_get_entry(name, i);
		if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)) == NID_commonName)
			break;
	}
	if (!e)
		return strdup("");
	d = X509_NAME_ENTRY_get_data(e);
	len = ASN1_STRING_length(d);
	return strndup((const char *)ASN1_STRING_get0_data(d), len > 0 ? (size_t)len : 0);
}

/* The DER identity of a key: issuer name + serial, or (a signer identified by subject key id)
 * the key id as an OCTET STRING. *out is malloc'd. */
static int issuer_serial_der(const X509_NAME *issuer, const ASN1_INTEGER *serial,
			     unsigned char **out, size_t *len)
{
	int a = i2d_X509_NAME(issuer, NULL), b = i2d_ASN1_INTEGER(serial, NULL);
	unsigned char *buf, *q;

	if (a <= 0 || b <= 0)
		return -EINVAL;
	buf = q = malloc((size_t)a + (size_t)b);
	if (!buf)
		return -ENOMEM;
	if (i2d_X509_NAME(issuer, &q) != a || i2d_ASN1_INTEGER(serial, &q) != b) {
		free(buf);
		return -EINVAL;
	}
	*out = buf;
	*len = (size_t)a + (size_t)b;
	return 0;
}

static int keyid_der(const ASN1_OCTET_STRING *keyid, unsigned char **out, size_t *len)
{
	int a = i2d_ASN1_OCTET_STRING(keyid, NULL);
	unsigned char *q;

	if (a <= 0)
		return -EINVAL;
	*out = q = malloc((size_t)a);
	if (!q)
		return -ENOMEM;
	if (i2d_ASN1_OCTET_STRING(keyid, &q) != a) {
		rf_freep(out);
		return -EINVAL;
	}
	*len = (size_t)a;
	return 0;
}

/* sig_key: the serial's magnitude in big-endian bytes (kmod: ASN1_INTEGER_to_BN, BN_bn2bin). */
static char *serial_hex(const ASN1_INTEGER *serial, int *bad)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
	unsigned char *b;
	char *s;
	int n;

	*bad = !bn;
	if (!bn)
		return NULL;
	n = BN_num_bytes(bn);
	b = malloc(n > 0 ? (size_t)n : 1);
	if (!b) {
		BN_free(bn);
		return NULL;
	}
	BN_bn2bin(bn, b);
	s = colon_hex(b, (size_t)n);
	free(b);
	BN_free(bn);
	return s;
}

static char *digest_name(const X509_ALGOR *alg)
{
	const ASN1_OBJECT *o = NULL;
	char buf[128];

	X509_ALGOR_get0(&o, NULL, NULL, alg);
	if (!o || OBJ_obj2txt(buf, sizeof(buf), o, 0) <= 0)
		return strdup("unknown");
	return strdup(buf);
}

/* The signer fields of the first SignerInfo, as modinfo reports them. */
static int fill_signer(CMS_ContentInfo *cms, struct rf_modsig *out)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	CMS_SignerInfo *si = sis && sk_CMS_SignerInfo_num(sis) > 0 ? sk_CMS_SignerInfo_value(sis, 0) : NULL;
	ASN1_OCTET_STRING *keyid = NULL;
	X509_NAME *issuer = NULL;
	ASN1_INTEGER *serial = NULL;
	X509_ALGOR *dig = NULL;
	int bad = 0, r;

	if (!si)
		return malformed(out, "PKCS#7 signature without a signer");
	if (!CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &serial))
		return malformed(out, "PKCS#7 signer without an identifier");
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
	if (!dig)
		return malformed(out, "PKCS#7 signer without a digest algorithm");
	if (issuer && serial) {
		out->signer = name_signer(issuer);
		out->sig_key = serial_hex(serial, &bad);
		r = issuer_serial_der(issuer, serial, &out->issuer_serial, &out->issuer_serial_len);
	} else if (keyid) { /* sign-file -k: no issuer to name */
		out->signer = strdup("");
		out->sig_key = colon_hex(ASN1_STRING_get0_data(keyid), (size_t)ASN1_STRING_length(keyid));
		r = keyid_der(keyid, &out->issuer_serial, &out->issuer_serial_len);
	} else {
		return malformed(out, "PKCS#7 signer without an identifier");
	}
	if (bad || r == -EINVAL)
		return malformed(out, "PKCS#7 signer with an unreadable issuer or serial");
	out->hashalgo = digest_name(dig);
	if (r < 0 || !out->signer || !out->sig_key || !out->hashalgo)
		return oom(out);
	out->state = RF_MODSIG_SIGNED;
	return 0;
}

int rf_modsig_parse(const unsigned char *p, size_t n, struct rf_modsig *out)
{
	struct module_signature ms;
	const unsigned char *der;
	CMS_ContentInfo *cms;
	ASN1_OCTET_STRING **content;
	size_t len, sig_len;
	int r;

	memset(out, 0, sizeof(*out));
	out->content_len = n;
	/* module_sig_check: a marker only after more than the marker's own bytes */
	if (n <= MAGIC_LEN || memcmp(p + n - MAGIC_LEN, RF_MODSIG_MAGIC, MAGIC_LEN) != 0)
		return 0;
	len = n - MAGIC_LEN;
	if (len <= sizeof(ms))
		return malformed(out, "truncated signature trailer");
	memcpy(&ms, p + len - sizeof(ms), sizeof(ms));
	len -= sizeof(ms);
	sig_len = be32toh(ms.sig_len);
	if (sig_len >= len)
		return malformed(out, "signature length beyond the module");
	if (ms.id_type != PKEY_ID_PKCS7)
		return malformed(out, "signature not of the PKCS#7 type");
	if (ms.algo || ms.hash || ms.signer_len || ms.key_id_len || ms.pad[0] || ms.pad[1] || ms.pad[2])
		return malformed(out, "unexpected non-zero fields in the signature trailer");
	if (sig_len == 0)
		return malformed(out, "empty PKCS#7 signature");
	der = p + len - sig_len;
	cms = d2i_CMS_ContentInfo(NULL, &der, (long)sig_len);
	if (!cms)
		return malformed(out, "unreadable PKCS#7 signature");
	if (der != p + len) {
		CMS_ContentInfo_free(cms);
		return malformed(out, "trailing bytes after the PKCS#7 signature");
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		CMS_ContentInfo_free(cms);
		return malformed(out, "PKCS#7 data that is not signed-data");
	}
	content = CMS_get0_content(cms);
	if (content && *content) { /* the kernel refuses data supplied twice */
		CMS_ContentInfo_free(cms);
		return malformed(out, "PKCS#7 signature not detached (it carries content)");
	}
	out->content_len = len - sig_len;
	r = fill_signer(cms, out);
	CMS_ContentInfo_free(cms);
	if (out->state != RF_MODSIG_SIGNED && r == 0) {
		const char *why = out->why;

		rf_modsig_free(out);
		out->content_len = n;
		return malformed(out, why);
	}
	return r;
}

void rf_modsig_free(struct rf_modsig *s)
{
	if (!s)
		return;
	free(s->signer);
	free(s->sig_key);
	free(s->hashalgo);
	free(s->issuer_serial);
	memset(s, 0, sizeof(*s));
}

static char *dup_or_null(const char *s, bool *failed)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*failed = true;
	return d;
}

int rf_modsig_copy(struct rf_modsig *dst, const struct rf_modsig *src)
{
	bool failed = false;

	*dst = *src;
	dst->signer = dup_or_null(src->signer, &failed);
	dst->sig_key = dup_or_null(src->sig_key, &failed);
	dst->hashalgo = dup_or_null(src->hashalgo, &failed);
	dst->issuer_serial = NULL;
	if (src->issuer_serial_len) {
		dst->issuer_serial = malloc(src->issuer_serial_len);
		if (dst->issuer_serial)
			memcpy(dst->issuer_serial, src->issuer_serial, src->issuer_serial_len);
		else
			failed = true;
	}
	if (failed) {
		rf_modsig_free(dst);
		return -ENOMEM;
	}
	return 0;
}

bool rf_modsig_same_key(const struct rf_modsig *a, const struct rf_modsig *b)
{
	return a->state == RF_MODSIG_SIGNED && b->state == RF_MODSIG_SIGNED &&
	       a->issuer_serial_len == b->issuer_serial_len &&
	       memcmp(a->issuer_serial, b->issuer_serial, a->issuer_serial_len) == 0;
}

/* ---- files: certificates and keys ---- */

/* A small file's bytes (the caller cleanses and frees them: they may be a key). */
struct filebuf {
	unsigned char *p;
	size_t n;
};

static void filebuf_free(struct filebuf *f)
{
	if (f->p)
		OPENSSL_cleanse(f->p, f->n);
	free(f->p);
	f->p = NULL;
}

/* The whole of a small regular file into memory. */
static int read_small_file(const char *file, const char *what, struct filebuf *out,
			   struct rf_err *err)
{
	struct stat st;
	unsigned char *buf;
	size_t got = 0;
	ssize_t k = 0;
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK), e;

	out->p = NULL;
	out->n = 0;
	if (fd < 0 || fstat(fd, &st) < 0) {
		e = errno;
		if (fd >= 0)
			close(fd);
		return rf_fail(err, -e, "%s %s: %s", what, file, strerror(e));
	}
	if (!S_ISREG(st.st_mode) || st.st_size > RF_CERT_FILE_MAX) {
		close(fd);
		return rf_fail(err, S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL, "%s %s: %s", what, file,
			       S_ISDIR(st.st_mode) ? strerror(EISDIR)
						   : "not a regular file of at most 1 MiB");
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return rf_fail(err, -ENOMEM, "%s %s: %s", what, file, strerror(ENOMEM));
	}
	while (got < (size_t)st.st_size && (k = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)k;
	e = errno;
	close(fd);
	out->p = buf;
	out->n = got;
	if (got < (size_t)st.st_size) {
		filebuf_free(out);
		return rf_fail(err, -EIO, "%s %s: %s", what, file, k == 0 ? "short read" : strerror(e));
	}
	return 0;
}

/* DER first (a certificate starts with a SEQUENCE), else every PEM certificate. */
static int read_certs(const struct filebuf *f, STACK_OF(X509) *into)
{
	const unsigned char *q = f->p;
	BIO *b;
	X509 *x;

	if (f->n > 0 && f->p[0] == 0x30) {
		x = d2i_X509(NULL, &q, (long)f->n);
		if (x && sk_X509_push(into, x) > 0)
			return 1;
		X509_free(x);
		return 0;
	}
	b = BIO_new_mem_buf(f->p, (int)f->n);
	while (b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
		if (sk_X509_push(into, x) <= 0) {
			X509_free(x);
			break;
		}
	BIO_free(b);
	return sk_X509_num(into);
}

struct rf_cert {
	X509 *x509;
	char *file;
};

struct rf_certs {
	struct rf_cert *v;
	size_t n, cap;
};

int rf_certs_load(struct rf_certs **certs, const char *file, struct rf_err *err)
{
	STACK_OF(X509) *got = sk_X509_new_null();
	struct filebuf f = { 0 };
	int r, n;

	if (!got)
		return rf_fail(err, -ENOMEM, "certificate %s: %s", file, strerror(ENOMEM));
	r = read_small_file(file, "certificate", &f, err);
	n = r < 0 ? 0 : read_certs(&f, got);
	filebuf_free(&f);
	ERR_clear_error();
	if (r >= 0 && n == 0)
		r = rf_fail(err, -EINVAL, "certificate %s: not a DER or PEM X.509 certificate", file);
	if (r >= 0 && !*certs && !(*certs = calloc(1, sizeof(**certs))))
		r = rf_fail(err, -ENOMEM, "certificate %s: %s", file, strerror(ENOMEM));
	while (r >= 0 && sk_X509_num(got) > 0) {
		struct rf_certs *c = *certs;

		if (rf_grow(&c->v, &c->cap, c->n, sizeof(*c->v), 4) < 0 ||
		    !(c->v[c->n].file = strdup(file))) {
			r = rf_fail(err, -ENOMEM, "certificate %s: %s", file, strerror(ENOMEM));
			break;
		}
		c->v[c->n++].x509 = sk_X509_shift(got);
	}
	sk_X509_pop_free(got, X509_free);
	return r;
}

void rf_certs_free(struct rf_certs *certs)
{
	if (!certs)
		return;
	for (size_t i = 0; i < certs->n; i++) {
		X509_free(certs->v[i].x509);
		free(certs->v[i].file);
	}
	free(certs->v);
	free(certs);
}

/* The certificate's identity in the form sig has: issuer+serial, or its subject key id. */
static bool cert_is(X509 *x, const struct rf_modsig *sig)
{
	const ASN1_OCTET_STRING *skid;
	unsigned char *der = NULL;
	size_t len = 0;
	bool same;

	if (sig->issuer_serial_len && sig->issuer_serial[0] == V_ASN1_OCTET_STRING) {
		skid = X509_get0_subject_key_id(x);
		if (!skid || keyid_der(skid, &der, &len) < 0)
			return false;
	} else if (issuer_serial_der(X509_get_issuer_name(x), X509_get0_serialNumber(x), &der, &len) < 0) {
		return false;
	}
	same = len == sig->issuer_serial_len && memcmp(der, sig->issuer_serial, len) == 0;
	free(der);
	return same;
}

static const struct rf_cert *find_cert(const struct rf_certs *certs, const struct rf_modsig *sig)
{
	if (!certs || sig->state != RF_MODSIG_SIGNED)
		return NULL;
	for (size_t i = 0; i < certs->n; i++)
		if (cert_is(certs->v[i].x509, sig))
			return &certs->v[i];
	return NULL;
}

const char *rf_certs_match(const struct rf_certs *certs, const struct rf_modsig *sig)
{
	const struct rf_cert *c = find_cert(certs, sig);

	return c ? c->file : NULL;
}

int rf_modsig_verify(const unsigned char *p, size_t n, const struct rf_modsig *sig,
		     const struct rf_certs *certs, const char **file, struct rf_err *err)
{
	const struct rf_cert *c;
	const unsigned char *der;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(X509) *one = NULL;
	X509_STORE *store = NULL;
	BIO *content = NULL;
	int ok = 0;

	*file = NULL;
	if (sig->state == RF_MODSIG_UNSIGNED)
		return rf_fail(err, -EKEYREJECTED, "module is not signed");
	if (sig->state == RF_MODSIG_MALFORMED)
		return rf_fail(err, -EKEYREJECTED, "malformed signature (%s)", sig->why);
	c = find_cert(certs, sig);
	if (!c)
		return rf_fail(err, -EKEYREJECTED, "signed by a key not among the trusted certificates");
	der = p + sig->content_len;
	/* The PKCS#7 ends where the module_signature starts: n - 12 - magic. */
	if (n < sig->content_len + sizeof(struct module_signature) + MAGIC_LEN || sig->content_len > INT_MAX)
		return rf_fail(err, -EINVAL, "signature trailer does not fit the module");
	cms = d2i_CMS_ContentInfo(NULL, &der,
				  (long)(n - MAGIC_LEN - sizeof(struct module_signature) - sig->content_len));
	content = BIO_new_mem_buf(p, (int)sig->content_len);
	one = sk_X509_new_null();
	store = X509_STORE_new(); /* empty: only the certificate given is trusted */
	if (!cms || !content || !one || !store || sk_X509_push(one, c->x509) <= 0) {
		ok = -1;
		goto out;
	}
	ok = CMS_verify(cms, one, store, content, NULL,
			CMS_BINARY | CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY);
out:
	sk_X509_free(one); /* the certificate stays c's */
	X509_STORE_free(store);
	BIO_free(content);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	if (ok < 0)
		return rf_fail(err, -ENOMEM, "verifying the signature: %s", strerror(ENOMEM));
	if (ok != 1)
		return rf_fail(err, -EKEYREJECTED, "signature by the key of %s does not match the "
			       "module's contents", c->file);
	*file = c->file;
	return 0;
}

/* ---- signing ---- */

struct rf_signer {
	EVP_PKEY *key;
	X509 *cert;
	const EVP_MD *md;
};

/* An encrypted key's passphrase from KBUILD_SIGN_PIN, as sign-file takes it; never a prompt. */
static int pin_cb(char *buf, int size, int rwflag, void *u)
{
	const char *pin = getenv("KBUILD_SIGN_PIN");
	size_t n;

	(void)rwflag;
	(void)u;
	if (!pin || size <= 0)
		return -1;
	n = strlen(pin);
	if (n >= (size_t)size)
		return -1;
	memcpy(buf, pin, n);
	return (int)n;
}

static int load_key(struct rf_signer *s, const char *key, struct rf_err *err)
{
	struct filebuf f = { 0 };
	struct stat st;
	const unsigned char *q;
	BIO *b;
	int r = read_small_file(key, "signing key", &f, err);

	if (r < 0)
		return r;
	b = BIO_new_mem_buf(f.p, (int)f.n); /* read-only: f keeps the bytes to cleanse */
	s->key = b ? PEM_read_bio_PrivateKey(b, NULL, pin_cb, NULL) : NULL;
	BIO_free(b);
	if (!s->key) { /* DER: PKCS#8 or a traditional RSA/EC key */
		q = f.p;
		s->key = d2i_AutoPrivateKey(NULL, &q, (long)f.n);
	}
	filebuf_free(&f);
	ERR_clear_error();
	if (!s->key)
		return rf_fail(err, -EINVAL, "signing key %s: not a PEM or DER private key%s", key,
			       getenv("KBUILD_SIGN_PIN") ? " (or KBUILD_SIGN_PIN is not its passphrase)"
							 : " (an encrypted key needs KBUILD_SIGN_PIN)");
	if (stat(key, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
		rf_warn("signing key %s is readable by %s (mode %04o): chmod 0600 it", key,
			(st.st_mode & S_IROTH) ? "others" : "its group", (unsigned)(st.st_mode & 07777));
	return 0;
}

static int load_cert(struct rf_signer *s, const char *cert, struct rf_err *err)
{
	STACK_OF(X509) *got = sk_X509_new_null();
	struct filebuf f = { 0 };
	int r = got ? read_small_file(cert, "certificate", &f, err)
		    : rf_fail(err, -ENOMEM, "certificate %s: %s", cert, strerror(ENOMEM));

	if (r >= 0 && read_certs(&f, got) > 0)
		s->cert = sk_X509_shift(got);
	else if (r >= 0)
		r = rf_fail(err, -EINVAL, "certificate %s: not a DER or PEM X.509 certificate", cert);
	sk_X509_pop_free(got, X509_free);
	filebuf_free(&f);
	ERR_clear_error();
	return r;
}

int rf_signer_load(struct rf_signer **out, const char *key, const char *cert, const char *hash,
		   struct rf_err *err)
{
	struct rf_signer *s = calloc(1, sizeof(*s));
	int r = 0;

	*out = NULL;
	if (!s)
		return rf_fail(err, -ENOMEM, "signing: %s", strerror(ENOMEM));
	s->md = EVP_get_digestbyname(hash);
	if (!s->md)
		r = rf_fail(err, -EINVAL, "unknown hash algorithm '%s' (sha256, sha384, sha512, ...)", hash);
	if (r >= 0)
		r = load_key(s, key, err);
	if (r >= 0)
		r = load_cert(s, cert, err);
	if (r >= 0 && X509_check_private_key(s->cert, s->key) != 1)
		r = rf_fail(err, -EINVAL, "signing key %s does not belong to certificate %s", key, cert);
	ERR_clear_error();
	if (r < 0) {
		rf_signer_free(s);
		return r;
	}
	*out = s;
	return 0;
}

void rf_signer_free(struct rf_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
	free(s);
}

/* The PKCS#7 of sign-file: CMS_sign + CMS_add1_signer + CMS_final with its flags, DER. */
static int make_cms(const struct rf_signer *s, const unsigned char *p, size_t n,
		    unsigned char **der, int *len)
{
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL,
					CMS_NOCERTS | CMS_PARTIAL | CMS_BINARY | CMS_DETACHED | CMS_STREAM);
	BIO *data = BIO_new_mem_buf(p, (int)n);
	int r = -EINVAL;

	*der = NULL;
	if (cms && data &&
	    CMS_add1_signer(cms, s->cert, s->key, s->md,
			    CMS_NOCERTS | CMS_BINARY | CMS_NOSMIMECAP | CMS_NOATTR) &&
	    CMS_final(cms, data, NULL, CMS_NOCERTS | CMS_BINARY) == 1) {
		*len = i2d_CMS_ContentInfo(cms, der);
		r = *len > 0 ? 0 : -ENOMEM;
	}
	BIO_free(data);
	CMS_ContentInfo_free(cms);
	return r;
}

int rf_modsig_sign(const struct rf_signer *s, const unsigned char *p, size_t n,
		   unsigned char **out, size_t *outlen, struct rf_err *err)
{
	struct module_signature ms = { .id_type = PKEY_ID_PKCS7 };
	unsigned char *der = NULL, *buf;
	int len = 0, r;

	*out = NULL;
	if (n > INT32_MAX)
		return rf_fail(err, -EFBIG, "signing: module of %zu bytes is too large", n);
	r = make_cms(s, p, n, &der, &len);
	if (r < 0) {
		unsigned long e = ERR_peek_last_error();
		char why[256];

		ERR_error_string_n(e, why, sizeof(why));
		ERR_clear_error();
		OPENSSL_free(der);
		return rf_fail(err, r, "signing: %s", e ? why : strerror(-r));
	}
	ms.sig_len = htobe32((uint32_t)len);
	buf = malloc(n + (size_t)len + sizeof(ms) + MAGIC_LEN);
	if (!buf) {
		OPENSSL_free(der);
		return rf_fail(err, -ENOMEM, "signing: %s", strerror(ENOMEM));
	}
	memcpy(buf, p, n);
	memcpy(buf + n, der, (size_t)len);
	memcpy(buf + n + len, &ms, sizeof(ms));
	memcpy(buf + n + len + sizeof(ms), RF_MODSIG_MAGIC, MAGIC_LEN);
	OPENSSL_free(der);
	*out = buf;
	*outlen = n + (size_t)len + sizeof(ms) + MAGIC_LEN;
	return 0;
}
