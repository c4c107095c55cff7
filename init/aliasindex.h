/* SPDX-License-Identifier: MIT */
/*
 * An index of modules.alias patterns, so one lookup does not fnmatch every alias of a full
 * kernel (~26k). A pattern can only match a string that starts with its literal start (the
 * part before the first * ? [ or \), so the patterns are grouped by that start in a hash table,
 * and a lookup hashes the string's first L bytes, for each length L of literal start there is,
 * and tries only the group found (patterns that start with a wildcard are the group of L = 0:
 * always tried). In the group, a pattern's longest literal run after a wildcard must be in the
 * string too (acpi*:PNP0700:*, dmi*:svnLENOVO:*, ...) before fnmatch runs. The results are
 * exactly fnmatch(pattern, key, 0) over every pattern, in the order the patterns were added.
 * Building is linear (no sort: musl's qsort alone took 50 ms for a full kernel's aliases).
 * Plain libc.
 * Ownership: the index borrows the patterns (they must outlive it) and owns its arrays;
 * rf_aliasindex_free releases them. Errors: -ENOMEM from add; a failed build (-ENOMEM, or -E2BIG
 * past 2^32 patterns) leaves no table, and lookups then scan every pattern (same results,
 * slower).
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct rf_alias {
	const char *pattern; /* borrowed */
	size_t lit;          /* length of its literal start */
	size_t mod;          /* the caller's value: an index into the plan */
	uint32_t run, runlen; /* its longest literal run after a wildcard (before any [ or \):
				* a key without it cannot match */
};

struct rf_alias_group; /* the patterns of one literal start */

struct rf_aliasindex {
	struct rf_alias *v; /* in the order added */
	size_t n, cap;
	/* built (NULL until then): */
	struct rf_alias_group *groups;
	size_t ngroups;
	uint32_t *table; /* by hash of the literal start, open addressing: group + 1, 0 for none */
	size_t mask;     /* table size - 1 */
	uint32_t *next;  /* per pattern: the next one of its group, in order; UINT32_MAX ends it */
	size_t *lens;    /* the lengths of literal start there are, ascending */
	size_t nlens;
	uint32_t *hits; /* room for n matches: a lookup never allocates */
};

typedef void rf_alias_fn(void *ctx, const struct rf_alias *a);

/* Append a pattern; lookups scan until the next rf_aliasindex_build. Returns 0 or -ENOMEM. */
int rf_aliasindex_add(struct rf_aliasindex *x, const char *pattern, size_t mod);
/* Index what was added. Returns 0 or -errno (lookups still work, by scanning). */
int rf_aliasindex_build(struct rf_aliasindex *x);
/* Call fn for every pattern that matches key, in the order they were added; returns how many.
 * Uses the index's own room for the matches: one lookup at a time. */
size_t rf_aliasindex_match(struct rf_aliasindex *x, const char *key, rf_alias_fn *fn, void *ctx);
void rf_aliasindex_free(struct rf_aliasindex *x);
