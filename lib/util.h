/* SPDX-License-Identifier: MIT */
/*
 * Small shared helpers: error messages, growable string lists, path joins.
 * Errors: functions return >= 0 on success and -errno on failure; the
 * message for the user goes into a struct rf_err owned by the caller.
 * Lower layers never print.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define RF_ERR_MAX 1024

/* One user-facing message: "<what>: <why>". Caller owns it (usually on the stack). */
struct rf_err {
	char msg[RF_ERR_MAX];
};

/* Format into err (if non-NULL) and return code (a negative errno), for `return rf_fail(...)`. */
int rf_fail(struct rf_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A user-given name (module, alias) for a message: whole when short, else its first
 * RF_QUOTE_MAX bytes (a UTF-8 character is not cut) and "...", so that what the message says
 * after it (the origin, file:line) still fits in RF_ERR_MAX. Returns q->s. */
#define RF_QUOTE_MAX 64
struct rf_quoted {
	char s[RF_QUOTE_MAX + 4];
};
const char *rf_quote_prefix(struct rf_quoted *q, const char *name);

/* Flush and close stdout, at the end of a command: a failed write of its output (a full
 * disk, a closed pipe) is an error like any other. -errno, "writing to stdout: why". */
int rf_stdout_close(struct rf_err *err);

/* Make room for one more element in a growable array (*v holds n elements of elem bytes, room
 * for *cap): doubles the room from `first`. *v is untouched on failure. -ENOMEM. */
int rf_grow(void *v, size_t *cap, size_t n, size_t elem, size_t first);

/* A growable list of owned strings. Zero-initialised is empty. */
struct rf_strv {
	char **v;
	size_t n, cap;
};
int rf_strv_push(struct rf_strv *s, const char *str); /* copies str; -ENOMEM */
int rf_strv_push_owned(struct rf_strv *s, char *str); /* takes str (freed on failure) */
bool rf_strv_contains(const struct rf_strv *s, const char *str);
/* Append a formatted string. -ENOMEM. */
int rf_strv_pushf(struct rf_strv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rf_strv_clear(struct rf_strv *s); /* frees all, leaves it empty and reusable */
/* Split on white space and append each word. */
int rf_strv_split_words(struct rf_strv *s, const char *text);

/* malloc'd "a/b" (one '/' between; a may be "" or "/"). NULL on ENOMEM. */
char *rf_path_join(const char *a, const char *b);
/* The next component of the path *rest (NUL-terminated in place, slashes skipped), *rest
 * moved past it; NULL at the end. For walking a path one directory at a time. */
char *rf_path_next(char **rest);
/* malloc'd printf. NULL on ENOMEM. */
char *rf_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));


/* true when name can be a module name or alias: non-empty, printable, no '/', no white space,
 * not "." or "..". */
bool rf_modname_valid(const char *name);

/* Free and NULL a pointer. */
#define rf_freep(p) \
	do { \
		free(*(p)); \
		*(p) = NULL; \
	} while (0)
