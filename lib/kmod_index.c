// SPDX-License-Identifier: MIT
/* kmod's binary index (modules.*.bin) writer; see kmod_index.h for the format's contract. */
#include "kmod_index.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* On-disk node offsets carry which parts follow in their top bits (kmod's libkmod-index.c). */
#define NODE_PREFIX 0x80000000u
#define NODE_VALUES 0x40000000u
#define NODE_CHILDS 0x20000000u
#define NODE_MASK 0x0FFFFFFFu

struct val {
	struct val *next;
	uint32_t prio;
	const char *s;
};

struct kid {
	unsigned char ch;
	struct node *n;
};

/* A trie node: `prefix` points into an arena copy of some key (no copy on split). */
struct node {
	const char *prefix;
	size_t plen;
	struct val *vals;
	struct kid *kids; /* sorted by ch */
	unsigned nkids, capkids;
	uint32_t off; /* set while writing */
};

/* Nodes, values and strings come from one bump allocator: tens of thousands of small
 * objects per index, all freed together. */
struct chunk {
	struct chunk *next;
	size_t used, cap;
	_Alignas(16) unsigned char mem[];
};

struct rf_kidx {
	struct node root;
	struct chunk *arena;
};

static void *arena_alloc(struct rf_kidx *ix, size_t size)
{
	struct chunk *c = ix->arena;

	size = (size + 15) & ~(size_t)15;
	if (!c || c->cap - c->used < size) {
		size_t cap = size > 65536 ? size : 65536;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = ix->arena;
		c->used = 0;
		c->cap = cap;
		ix->arena = c;
	}
	c->used += size;
	return c->mem + c->used - size;
}

static char *arena_strdup(struct rf_kidx *ix, const char *s)
{
	size_t len = strlen(s) + 1;
	char *d = arena_alloc(ix, len);

	if (d)
		memcpy(d, s, len);
	return d;
}

struct rf_kidx *rf_kidx_new(void)
{
	return calloc(1, sizeof(struct rf_kidx));
}

void rf_kidx_free(struct rf_kidx *ix)
{
	if (!ix)
		return;
	while (ix->arena) {
		struct chunk *next = ix->arena->next;

		free(ix->arena);
		ix->arena = next;
	}
	free(ix);
}

static bool ascii7(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

static int add_value(struct rf_kidx *ix, struct node *n, const char *value, uint32_t prio)
{
	struct val **pos = &n->vals, *v = arena_alloc(ix, sizeof(*v));

	if (!v || !(v->s = arena_strdup(ix, value)))
		return -ENOMEM;
	v->prio = prio;
	while (*pos && (*pos)->prio < prio)
		pos = &(*pos)->next;
	v->next = *pos;
	*pos = v;
	return 0;
}

static struct kid *find_kid(const struct node *n, unsigned char ch)
{
	for (unsigned i = 0; i < n->nkids; i++)
		if (n->kids[i].ch == ch)
			return &n->kids[i];
	return NULL;
}

static int add_kid(struct rf_kidx *ix, struct node *n, unsigned char ch, struct node *child)
{
	unsigned i;

	if (n->nkids == n->capkids) {
		unsigned cap = n->capkids ? n->capkids * 2 : 2;
		struct kid *k = arena_alloc(ix, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		if (n->nkids)
			memcpy(k, n->kids, n->nkids * sizeof(*k));
		n->kids = k;
		n->capkids = cap;
	}
	for (i = n->nkids; i > 0 && n->kids[i - 1].ch > ch; i--)
		n->kids[i] = n->kids[i - 1];
	n->kids[i] = (struct kid){ .ch = ch, .n = child };
	n->nkids++;
	return 0;
}

/* Split n after j prefix bytes: n keeps prefix[0..j), a new child at prefix[j] takes the rest,
 * with n's values and children. */
static int split(struct rf_kidx *ix, struct node *n, size_t j)
{
	struct node *child = arena_alloc(ix, sizeof(*child));

	if (!child)
		return -ENOMEM;
	*child = *n;
	child->prefix = n->prefix + j + 1;
	child->plen = n->plen - j - 1;
	n->plen = j;
	n->vals = NULL;
	n->kids = NULL;
	n->nkids = n->capkids = 0;
	return add_kid(ix, n, (unsigned char)n->prefix[j], child);
}

static int add_leaf(struct rf_kidx *ix, struct node *n, const char *rest, const char *value,
		    uint32_t prio)
{
	struct node *leaf = arena_alloc(ix, sizeof(*leaf));

	if (!leaf)
		return -ENOMEM;
	*leaf = (struct node){ .prefix = rest + 1, .plen = strlen(rest + 1) };
	if (add_value(ix, leaf, value, prio) < 0)
		return -ENOMEM;
	return add_kid(ix, n, (unsigned char)rest[0], leaf);
}

int rf_kidx_insert(struct rf_kidx *ix, const char *key, const char *value, uint32_t priority)
{
	struct node *n = &ix->root;
	const char *k;

	if (!ascii7(key) || !ascii7(value))
		return -EINVAL;
	k = arena_strdup(ix, key);
	if (!k)
		return -ENOMEM;
	for (;;) {
		size_t j = 0;
		struct kid *kid;

		while (j < n->plen && n->prefix[j] == k[j])
			j++;
		if (j < n->plen && split(ix, n, j) < 0)
			return -ENOMEM;
		k += j;
		if (!*k)
			return add_value(ix, n, value, priority);
		kid = find_kid(n, (unsigned char)*k);
		if (!kid)
			return add_leaf(ix, n, k, value, priority);
		n = kid->n;
		k++;
	}
}

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static int put(struct buf *b, const void *data, size_t len)
{
	if (b->cap - b->len < len) {
		size_t cap = b->cap ? b->cap : 4096;
		unsigned char *p;

		while (cap - b->len < len)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

static int put32(struct buf *b, uint32_t v)
{
	unsigned char be[4] = { v >> 24, v >> 16, v >> 8, v };

	return put(b, be, 4);
}

static int put_values(struct buf *b, const struct val *vals)
{
	uint32_t count = 0;
	int r;

	for (const struct val *v = vals; v; v = v->next)
		count++;
	r = put32(b, count);
	for (const struct val *v = vals; v && r >= 0; v = v->next) {
		r = put32(b, v->prio);
		if (r >= 0)
			r = put(b, v->s, strlen(v->s) + 1);
	}
	return r;
}

/* Post-order, as depmod writes it: children first, then the node with their offsets.
 * The recursion depth is bounded by the key length. */
static int write_node(struct buf *b, struct node *n)
{
	uint32_t off;
	int r = 0;

	for (unsigned i = 0; i < n->nkids && r >= 0; i++)
		r = write_node(b, n->kids[i].n);
	if (r < 0)
		return r;
	if (b->len > NODE_MASK)
		return -EFBIG;
	off = (uint32_t)b->len;
	if (n->plen) {
		off |= NODE_PREFIX;
		r = put(b, n->prefix, n->plen);
		if (r >= 0)
			r = put(b, "", 1);
	}
	if (n->nkids && r >= 0) {
		unsigned char range[2] = { n->kids[0].ch, n->kids[n->nkids - 1].ch };
		unsigned i = 0;

		off |= NODE_CHILDS;
		r = put(b, range, 2);
		for (unsigned c = range[0]; c <= range[1] && r >= 0; c++)
			r = put32(b, n->kids[i].ch == c ? n->kids[i++].n->off : 0);
	}
	if (n->vals && r >= 0) {
		off |= NODE_VALUES;
		r = put_values(b, n->vals);
	}
	n->off = off;
	return r;
}

int rf_kidx_write(const struct rf_kidx *ix, unsigned char **data, size_t *size)
{
	struct buf b = { 0 };
	/* write_node records offsets in the nodes; the index is logically unchanged. */
	struct node *root = (struct node *)&ix->root;
	int r = put32(&b, RF_KIDX_MAGIC);

	if (r >= 0)
		r = put32(&b, RF_KIDX_VERSION);
	if (r >= 0)
		r = put32(&b, 0);
	if (r >= 0)
		r = write_node(&b, root);
	if (r < 0) {
		free(b.p);
		return r;
	}
	for (int i = 0; i < 4; i++)
		b.p[8 + i] = (unsigned char)(root->off >> (24 - 8 * i));
	*data = b.p;
	*size = b.len;
	return 0;
}
