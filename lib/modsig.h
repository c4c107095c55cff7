/* SPDX-License-Identifier: MIT */
/*
 * Kernel module signatures: the trailer the kernel's scripts/sign-file appends to a module,
 *     [module bytes][PKCS#7 DER][struct module_signature, 12 bytes]["~Module signature appended~\n"]
 * read and written as the kernel's module_sig_check and sign-file do, with OpenSSL (libcrypto)
 * for the PKCS#7/CMS part. All functions work on decompressed module bytes.
 * Ownership: rf_modsig_parse fills a struct rf_modsig the caller frees with rf_modsig_free;
 * rf_certs owns its certificates (rf_certs_free). Buffers returned through out/outlen are
 * malloc'd and owned by the caller.
 * Errors: -errno with "what: why" in rf_err (the file named when one was given).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define RF_MODSIG_MAGIC "~Module signature appended~\n"

enum rf_modsig_state {
	RF_MODSIG_UNSIGNED,  /* no trailer */
	RF_MODSIG_SIGNED,    /* a well-formed PKCS#7 trailer: the fields below are set */
	RF_MODSIG_MALFORMED, /* a trailer the kernel would reject: `why` says how */
};

struct rf_modsig {
	enum rf_modsig_state state;
	size_t content_len; /* bytes the signature covers (before the PKCS#7 data); n if unsigned */
	char *signer;       /* the issuer's commonName, as `modinfo -F signer` prints it */
	char *sig_key;      /* the certificate serial in colon hex, as `modinfo -F sig_key` */
	char *hashalgo;     /* "sha256", "sha512", ...: as `modinfo -F sig_hashalgo` */
	unsigned char *issuer_serial; /* DER of issuer name + serial: identifies the key */
	size_t issuer_serial_len;
	const char *why; /* MALFORMED: a static phrase ("truncated signature trailer", ...) */
};

/* Read the trailer of the n module bytes at p. 0 (any state), or -ENOMEM. Never reads outside
 * p[0..n), whatever the bytes. */
int rf_modsig_parse(const unsigned char *p, size_t n, struct rf_modsig *out);
void rf_modsig_free(struct rf_modsig *s);
/* A copy of src (its strings and key duplicated) into *dst. 0 or -ENOMEM (dst then empty). */
int rf_modsig_copy(struct rf_modsig *dst, const struct rf_modsig *src);

/* Two signatures made with the same key (issuer and serial). */
bool rf_modsig_same_key(const struct rf_modsig *a, const struct rf_modsig *b);

/* A set of trusted certificates, each with the file it came from. */
struct rf_certs;
/* Load FILE (DER or PEM; a PEM file may hold several) into *certs (created when NULL). */
int rf_certs_load(struct rf_certs **certs, const char *file, struct rf_err *err);
void rf_certs_free(struct rf_certs *certs);
/* The file of the certificate whose issuer and serial are sig's, or NULL. */
const char *rf_certs_match(const struct rf_certs *certs, const struct rf_modsig *sig);

/* Verify the signature of the n bytes at p (sig parsed from them) against certs: a detached
 * CMS signature over p[0..content_len) by a certificate of certs. 0 with *file set to that
 * certificate's file, or -EKEYREJECTED with the reason in err ("signature by the key of FILE
 * does not match the module's contents", "signed by a key not among the trusted
 * certificates", "module is not signed", "malformed signature (WHY)"). */
int rf_modsig_verify(const unsigned char *p, size_t n, const struct rf_modsig *sig,
		     const struct rf_certs *certs, const char **file, struct rf_err *err);

/* A signing key and certificate, loaded once (the key never leaves memory). */
struct rf_signer;
/* key: PEM or DER private key; cert: DER or PEM certificate; hash: "sha256", "sha512", ...
 * A key file readable by group or others is reported through rf_warn. */
int rf_signer_load(struct rf_signer **out, const char *key, const char *cert, const char *hash,
		   struct rf_err *err);
void rf_signer_free(struct rf_signer *s);

/* Sign the n unsigned module bytes at p, byte-identical to scripts/sign-file with the same
 * key, certificate and hash: *out is p, the PKCS#7 (CMS, detached, no certificates, no
 * signed attributes, issuer-and-serial identifier), the module_signature and the magic. */
int rf_modsig_sign(const struct rf_signer *s, const unsigned char *p, size_t n,
		   unsigned char **out, size_t *outlen, struct rf_err *err);
