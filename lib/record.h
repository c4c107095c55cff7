/* SPDX-License-Identifier: MIT */
/*
 * The input record: what an image was built from, stored in it at RF_RECORD_PATH, so that
 * `ramforge status` can tell without building whether a build now would read the same.
 * The text format, defined here only (writer and parser):
 *   ramforge-inputs 1            first line, always
 *   ramforge VERSION             the ramforge that built it
 *   kernel KVER
 *   tree SHA256                  the module tree's identity: its modules.dep.bin
 *   option NAME=VALUE            an option of the command line that shapes the image
 *   dir SUFFIXES PATH            a directory the build listed for the names ending in one
 *                                of SUFFIXES (comma-separated; "*" any name, "-" none)
 *   entry PATH                   a name that listing saw
 *   file SHA256 PATH             a file the build read
 *   absent PATH                  an optional file the build looked for and did not find
 * PATH is relative to the sysroot ("etc/modprobe.d/x.conf"), or absolute for a file outside
 * it ("/usr/lib/ramforge/ramforge-init"). Fields are separated by one space; in PATH and VALUE
 * a byte outside '!'..'~', and '\', is written \xHH. Lines are sorted bytewise after the first
 * and unique: the same inputs give the same bytes (no times).
 * The parser takes untrusted text (an image's): anything malformed is -EBADMSG with
 * "line N: why" in err, never a crash; at most RF_RECORD_MAX_LINES lines.
 * Ownership: a record owns its strings; rf_record_free releases them.
 */
#pragma once
#include <stddef.h>

#include "util.h"

#define RF_RECORD_PATH "etc/ramforge/inputs"
#define RF_RECORD_MAGIC "ramforge-inputs 1"
#define RF_RECORD_MAX_BYTES ((size_t)64 << 20)
#define RF_RECORD_MAX_LINES 1000000
#define RF_DIGEST_HEX 64 /* sha256 */

enum rf_record_kind {
	RF_REC_RAMFORGE, /* value */
	RF_REC_KERNEL,   /* value */
	RF_REC_TREE,     /* value: digest */
	RF_REC_OPTION,   /* value: NAME=VALUE */
	RF_REC_DIR,      /* value: suffixes, path */
	RF_REC_ENTRY,    /* path */
	RF_REC_FILE,     /* value: digest, path */
	RF_REC_ABSENT,   /* path */
};

struct rf_record_line {
	enum rf_record_kind kind;
	char *value; /* NULL for entry and absent */
	char *path;  /* NULL for ramforge, kernel, tree, option */
};

struct rf_record {
	struct rf_record_line *v;
	size_t n, cap;
};

/* Append a line (value and path copied; NULL where the kind has none). -ENOMEM, -EINVAL when
 * a field the kind needs is missing or a digest is not RF_DIGEST_HEX lower-case hex. */
int rf_record_add(struct rf_record *r, enum rf_record_kind kind, const char *value,
		  const char *path);
/* The record as text (sorted, unique lines), malloc'd in *text, *len bytes. -ENOMEM. */
int rf_record_format(const struct rf_record *r, char **text, size_t *len);
/* Parse n bytes of text (no NUL needed) into r (empty before). */
int rf_record_parse(const char *text, size_t n, struct rf_record *r, struct rf_err *err);
/* The first line of a kind (for ramforge, kernel, tree), or NULL. */
const struct rf_record_line *rf_record_find(const struct rf_record *r, enum rf_record_kind kind);
const char *rf_record_kind_name(enum rf_record_kind kind);
void rf_record_free(struct rf_record *r);

/* The sha256 of what fd reads from its current offset to the end, as lower-case hex in
 * hex[RF_DIGEST_HEX + 1]. -errno (-EIO from libcrypto). */
int rf_digest_fd(int fd, char hex[RF_DIGEST_HEX + 1]);
