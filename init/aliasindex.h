/* SPDX-License-Identifier: MIT */
/*
 * An index of modules.alias patterns, so one lookup does not fnmatch every alias of a full
 * kernel (~26k). A pattern can only match a string that starts with its literal start (the
 * part before the first * ? [ or \), so the patterns are sorted by that start and a lookup
 * binary-searches, for each length of literal start there is, the patterns whose start equals
 * the string's first bytes; only those go to fnmatch. Patterns starting with a wildcard are
 * always tried. The results are exactly fnmatch(pattern, key, 0) over every pattern, in the
 * order the patterns were added. Plain libc.
 * Ownership: the index borrows the patterns (they must outlive it) and owns its arrays;
 * rf_aliasindex_free releases them. Errors: only -ENOMEM from add; a failed build leaves the
 * index unsorted, and lookups then scan every pattern (same results, slower).
 */
#pragma once
#include <stddef.h>

struct rf_alias {
	const char *pattern; /* borrowed */
	size_t lit;          /* length of its literal start */
	size_t mod;          /* the caller's value: an index into the plan */
};

struct rf_alias_key; /* one pattern's place in the sorted order */
struct rf_alias_span; /* the sorted patterns of one literal-start length */

struct rf_aliasindex {
	struct rf_alias *v; /* in the order added */
	size_t n, cap;
	struct rf_alias_key *sorted; /* NULL until built */
	struct rf_alias_span *spans; /* by length, shortest first */
	size_t nspans;
	size_t *hits; /* room for n matches: a lookup never allocates */
};

typedef void rf_alias_fn(void *ctx, const struct rf_alias *a);

/* Append a pattern; lookups scan until the next rf_aliasindex_build. Returns 0 or -ENOMEM. */
int rf_aliasindex_add(struct rf_aliasindex *x, const char *pattern, size_t mod);
/* Sort what was added. Returns 0 or -ENOMEM (lookups still work, by scanning). */
int rf_aliasindex_build(struct rf_aliasindex *x);
/* Call fn for every pattern that matches key, in the order they were added; returns how many.
 * Uses the index's own room for the matches: one lookup at a time. */
size_t rf_aliasindex_match(struct rf_aliasindex *x, const char *key, rf_alias_fn *fn, void *ctx);
void rf_aliasindex_free(struct rf_aliasindex *x);
