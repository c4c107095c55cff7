// SPDX-License-Identifier: MIT
/* The hash index of alias patterns by literal start; see aliasindex.h. */
#include "aliasindex.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define END UINT32_MAX

struct rf_alias_group {
	uint32_t first, last; /* its patterns, as indices into v */
	uint32_t hash;
	size_t lit;
};

/* FNV-1a, one byte at a time: a lookup extends the hash of key's first L bytes to L + 1. */
#define FNV_BASIS 2166136261u
static uint32_t fnv_step(uint32_t h, char c)
{
	return (h ^ (unsigned char)c) * 16777619u;
}

static void unbuild(struct rf_aliasindex *x)
{
	free(x->groups);
	free(x->table);
	free(x->next);
	free(x->lens);
	free(x->hits);
	x->groups = NULL;
	x->table = NULL;
	x->next = NULL;
	x->lens = NULL;
	x->hits = NULL;
	x->ngroups = x->nlens = x->mask = 0;
}

/* The longest run without * or ? in pattern[from..), up to the first [ or \ (whose syntax is
 * fnmatch's business). */
static void longest_run(const char *pattern, size_t from, uint32_t *run, uint32_t *runlen)
{
	size_t end = from + strcspn(pattern + from, "[\\"), len;

	*run = *runlen = 0;
	for (size_t at = from; at < end; at += len + 1) {
		len = strcspn(pattern + at, "*?");
		len = at + len > end ? end - at : len;
		if (len > *runlen && len < UINT32_MAX && at < UINT32_MAX) {
			*run = (uint32_t)at;
			*runlen = (uint32_t)len;
		}
	}
}

int rf_aliasindex_add(struct rf_aliasindex *x, const char *pattern, size_t mod)
{
	struct rf_alias *v, *a;

	unbuild(x); /* a new pattern is not in the table: scan until the next build */
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 256;

		v = realloc(x->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		x->v = v;
		x->cap = cap;
	}
	a = &x->v[x->n++];
	/* fnmatch without flags takes '\' as an escape: the literal start ends there too */
	*a = (struct rf_alias){ pattern, strcspn(pattern, "*?[\\"), mod, 0, 0 };
	if (a->pattern[a->lit] == '*' || a->pattern[a->lit] == '?')
		longest_run(pattern, a->lit + 1, &a->run, &a->runlen);
	return 0;
}

/* The slot of the group of literal start key[0..lit) with hash h: its own, or the empty one
 * where it would go. */
static size_t slot_of(const struct rf_aliasindex *x, uint32_t h, const char *key, size_t lit)
{
	size_t s = h & x->mask;

	for (;; s = (s + 1) & x->mask) {
		const struct rf_alias_group *g = x->table[s] ? &x->groups[x->table[s] - 1] : NULL;

		if (!g || (g->hash == h && g->lit == lit &&
			   memcmp(x->v[g->first].pattern, key, lit) == 0))
			return s;
	}
}

static void add_to_group(struct rf_aliasindex *x, uint32_t i)
{
	const struct rf_alias *a = &x->v[i];
	uint32_t h = FNV_BASIS;
	size_t s;

	for (size_t k = 0; k < a->lit; k++)
		h = fnv_step(h, a->pattern[k]);
	s = slot_of(x, h, a->pattern, a->lit);
	x->next[i] = END;
	if (x->table[s]) {
		struct rf_alias_group *g = &x->groups[x->table[s] - 1];

		x->next[g->last] = i;
		g->last = i;
		return;
	}
	x->groups[x->ngroups++] = (struct rf_alias_group){ i, i, h, a->lit };
	x->table[s] = (uint32_t)x->ngroups;
}

/* The lengths of literal start there are, ascending, without repeats. */
static int collect_lens(struct rf_aliasindex *x)
{
	size_t max = 0;
	bool *have;

	for (size_t g = 0; g < x->ngroups; g++)
		max = x->groups[g].lit > max ? x->groups[g].lit : max;
	have = calloc(max + 1, sizeof(*have));
	x->lens = malloc((x->ngroups ? x->ngroups : 1) * sizeof(*x->lens));
	if (!have || !x->lens) {
		free(have);
		return -ENOMEM;
	}
	for (size_t g = 0; g < x->ngroups; g++)
		have[x->groups[g].lit] = true;
	for (size_t l = 0; l <= max; l++)
		if (have[l])
			x->lens[x->nlens++] = l;
	free(have);
	return 0;
}

int rf_aliasindex_build(struct rf_aliasindex *x)
{
	size_t n = x->n ? x->n : 1, size = 16;

	unbuild(x);
	if (x->n >= END)
		return -E2BIG; /* beyond the 32-bit indices */
	while (size < 2 * n)
		size *= 2; /* at most half full: short probes */
	x->table = calloc(size, sizeof(*x->table));
	x->groups = malloc(n * sizeof(*x->groups));
	x->next = malloc(n * sizeof(*x->next));
	x->hits = malloc(n * sizeof(*x->hits));
	if (!x->table || !x->groups || !x->next || !x->hits) {
		unbuild(x);
		return -ENOMEM;
	}
	x->mask = size - 1;
	for (size_t i = 0; i < x->n; i++)
		add_to_group(x, (uint32_t)i);
	if (collect_lens(x) < 0) {
		unbuild(x);
		return -ENOMEM;
	}
	return 0;
}

/* Without the table (never built, or its build failed): every pattern, in order. */
static size_t scan(const struct rf_aliasindex *x, const char *key, rf_alias_fn *fn, void *ctx)
{
	size_t found = 0;

	for (size_t i = 0; i < x->n; i++)
		if (fnmatch(x->v[i].pattern, key, 0) == 0) {
			fn(ctx, &x->v[i]);
			found++;
		}
	return found;
}

static int cmp_u32(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;

	return a < b ? -1 : a > b;
}

/* s[0..n) occurs in key. */
static bool contains(const char *key, const char *s, size_t n)
{
	for (const char *p = strchr(key, s[0]); p; p = strchr(p + 1, s[0]))
		if (strncmp(p, s, n) == 0)
			return true;
	return false;
}

/* The patterns of the group of literal start key[0..lit) that match key, into hits. */
static size_t try_group(struct rf_aliasindex *x, uint32_t h, const char *key, size_t lit,
			size_t found)
{
	uint32_t g = x->table[slot_of(x, h, key, lit)];

	for (uint32_t i = g ? x->groups[g - 1].first : END; i != END; i = x->next[i]) {
		const struct rf_alias *a = &x->v[i];

		if (a->runlen && !contains(key + lit, a->pattern + a->run, a->runlen))
			continue;
		if (fnmatch(a->pattern, key, 0) == 0)
			x->hits[found++] = i;
	}
	return found;
}

size_t rf_aliasindex_match(struct rf_aliasindex *x, const char *key, rf_alias_fn *fn, void *ctx)
{
	uint32_t h = FNV_BASIS;
	size_t found = 0;

	if (!x->table)
		return scan(x, key, fn, ctx);
	for (size_t len = 0, k = 0; k < x->nlens; len++) {
		if (x->lens[k] == len) {
			found = try_group(x, h, key, len, found);
			k++;
		}
		if (!key[len])
			break;
		h = fnv_step(h, key[len]);
	}
	/* groups come by length, not in the order added: put the matches back in that order */
	qsort(x->hits, found, sizeof(*x->hits), cmp_u32);
	for (size_t i = 0; i < found; i++)
		fn(ctx, &x->v[x->hits[i]]);
	return found;
}

void rf_aliasindex_free(struct rf_aliasindex *x)
{
	unbuild(x);
	free(x->v);
	x->v = NULL;
	x->n = x->cap = 0;
}
