// SPDX-License-Identifier: MIT
/* The sorted index of alias patterns; see aliasindex.h. */
#include "aliasindex.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

struct rf_alias_key {
	const char *pattern;
	size_t lit;
	size_t at; /* index into v: equal starts keep the order added */
};

struct rf_alias_span {
	size_t lit;        /* the length of literal start of sorted[start..end) */
	size_t start, end;
};

static void unbuild(struct rf_aliasindex *x)
{
	free(x->sorted);
	free(x->spans);
	free(x->hits);
	x->sorted = NULL;
	x->spans = NULL;
	x->hits = NULL;
	x->nspans = 0;
}

int rf_aliasindex_add(struct rf_aliasindex *x, const char *pattern, size_t mod)
{
	struct rf_alias *v;

	unbuild(x); /* a new pattern is not in the order: scan until the next build */
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 256;

		v = realloc(x->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		x->v = v;
		x->cap = cap;
	}
	/* fnmatch without flags takes '\' as an escape: the literal start ends there too */
	x->v[x->n++] = (struct rf_alias){ pattern, strcspn(pattern, "*?[\\"), mod };
	return 0;
}

/* By length of literal start, then its bytes, then the order added: a total order. */
static int cmp_key(const void *pa, const void *pb)
{
	const struct rf_alias_key *a = pa, *b = pb;
	int r;

	if (a->lit != b->lit)
		return a->lit < b->lit ? -1 : 1;
	r = memcmp(a->pattern, b->pattern, a->lit);
	if (r)
		return r;
	return a->at < b->at ? -1 : a->at > b->at;
}

static int cmp_size(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;

	return a < b ? -1 : a > b;
}

int rf_aliasindex_build(struct rf_aliasindex *x)
{
	size_t n = x->n ? x->n : 1;

	unbuild(x);
	x->sorted = malloc(n * sizeof(*x->sorted));
	x->hits = malloc(n * sizeof(*x->hits));
	x->spans = malloc(n * sizeof(*x->spans));
	if (!x->sorted || !x->hits || !x->spans) {
		unbuild(x);
		return -ENOMEM;
	}
	for (size_t i = 0; i < x->n; i++)
		x->sorted[i] = (struct rf_alias_key){ x->v[i].pattern, x->v[i].lit, i };
	qsort(x->sorted, x->n, sizeof(*x->sorted), cmp_key);
	for (size_t i = 0; i < x->n; i++) {
		if (!x->nspans || x->spans[x->nspans - 1].lit != x->sorted[i].lit)
			x->spans[x->nspans++] = (struct rf_alias_span){ x->sorted[i].lit, i, i };
		x->spans[x->nspans - 1].end = i + 1;
	}
	return 0;
}

/* The first pattern of span s whose literal start is not below key's first s->lit bytes. */
static size_t lower_bound(const struct rf_aliasindex *x, const struct rf_alias_span *s,
			  const char *key)
{
	size_t lo = s->start, hi = s->end;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(x->sorted[mid].pattern, key, s->lit) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Without the sorted order (its build ran out of memory): every pattern, in order. */
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

size_t rf_aliasindex_match(struct rf_aliasindex *x, const char *key, rf_alias_fn *fn, void *ctx)
{
	size_t len = strlen(key), found = 0;

	if (!x->sorted)
		return scan(x, key, fn, ctx);
	for (size_t k = 0; k < x->nspans && x->spans[k].lit <= len; k++) {
		const struct rf_alias_span *s = &x->spans[k];

		for (size_t i = lower_bound(x, s, key);
		     i < s->end && memcmp(x->sorted[i].pattern, key, s->lit) == 0; i++)
			if (fnmatch(x->sorted[i].pattern, key, 0) == 0)
				x->hits[found++] = x->sorted[i].at;
	}
	/* spans come by length, not in file order: put the matches back in the order added */
	qsort(x->hits, found, sizeof(*x->hits), cmp_size);
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
