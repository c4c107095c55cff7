/* SPDX-License-Identifier: MIT */
/*
 * The declarative subset of dracut.conf's syntax, shared by ramforge.conf (conf.c) and the
 * bundles' manifests (bundle.c): `key="value"`, `key+=" value "`, `key='value'`, `key=word`,
 * `#` comments, blank lines. Nothing is evaluated: `$`, backticks, backslashes in double
 * quotes, bare words, spaces before '=' and unterminated quotes are errors naming FILE:LINE.
 * What a key means is the caller's: each assignment is handed to its function in file order.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* One `key=value` line. The value is owned by the parser and valid during the call only. */
struct rf_conf_assign {
	const char *key; /* not NUL-terminated: keylen bytes */
	size_t keylen;
	bool append;     /* `+=` */
	char *value;
};

/* Called for each assignment; a negative return stops the parse and is returned (with err set
 * by the callback; -ENOMEM needs no message). */
typedef int (*rf_conf_apply_fn)(void *data, const struct rf_conf_assign *a, const char *where,
				int line, struct rf_err *err);

/* Parse text (NUL-terminated); `where` names the file in messages ("etc/ramforge.conf").
 * -EINVAL with "WHERE:LINE: why" in err; the lines before the bad one were applied. */
int rf_conf_syntax_parse(const char *text, const char *where, rf_conf_apply_fn fn, void *data,
			 struct rf_err *err);

bool rf_conf_key_is(const struct rf_conf_assign *a, const char *key);

/* The next white-space separated word of *p (length in *len), advancing *p; NULL at the end. */
const char *rf_conf_next_word(const char **p, size_t *len);
