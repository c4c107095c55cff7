/* SPDX-License-Identifier: MIT */
/*
 * The generic selection: the rules of conf/generic.conf (compiled in) applied to a module
 * tree, giving automatic requests whose origin names the rule ("generic: kernel/fs
 * (generic.conf:97)"). Rule syntax is described at the top of conf/generic.conf.
 * Ownership: struct rf_generic_rules owns its strings (rf_generic_rules_free); requests are
 * appended to a list the caller owns. Errors: -errno with the message in rf_err.
 */
#pragma once
#include <stddef.h>

#include "request.h"
#include "util.h"

enum rf_generic_kind { RF_GEN_SYMBOLS_IN, RF_GEN_SYMBOL, RF_GEN_DIR, RF_GEN_EXCLUDE, RF_GEN_MODULE };

struct rf_generic_rule {
	enum rf_generic_kind kind;
	char *arg;   /* a path relative to the tree (no trailing '/'), a symbol or a module name */
	char *where; /* "generic.conf:12" */
};

struct rf_generic_rules {
	struct rf_generic_rule *v;
	size_t n, cap;
};

/* Parse rule text; `display` names it in messages and origins. -EINVAL "DISPLAY:LINE: why". */
int rf_generic_rules_parse(struct rf_generic_rules *rules, const char *text, const char *display,
			   struct rf_err *err);
/* The shipped rules (conf/generic.conf, compiled in). */
int rf_generic_rules_default(struct rf_generic_rules *rules, struct rf_err *err);
void rf_generic_rules_free(struct rf_generic_rules *rules);

/* Apply rules to the tree at kmoddir (its modules.dep lists the modules; `symbol` rules read
 * each candidate's undefined symbols through libkmod, compressed modules included) and
 * append one automatic request per chosen module, in modules.dep order, then the `module`
 * names the tree has. */
int rf_generic_scan(const struct rf_generic_rules *rules, const char *kmoddir,
		    struct rf_requests *reqs, struct rf_err *err);
