// SPDX-License-Identifier: MIT
/*
 * The depmod indexes for a subset of a module tree: the tree's own text indexes filtered to
 * the modules of the set, and the .bin tries built from them exactly as depmod builds them.
 */
#include "depindex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmod_index.h"
#include "modname.h"
#include "strmap.h"

#define NAME_MAX_LEN 256 /* module names are at most 55 bytes (MODULE_NAME_LEN - 1) */

/* An included (file-backed) module: its priority is its position in the subset's modules.dep,
 * which is depmod's module index (modules.order order) for the subset. */
struct inc {
	uint32_t prio;
	int seen;
};

struct ctx {
	const struct rf_modset *set;
	struct rf_manifest *m;
	struct rf_err *err;
	struct rf_strmap incl; /* module name -> struct inc */
	struct inc *incs;
	char *text;  /* the source file being filtered, NUL-terminated */
	size_t size; /* its length; 0 when the tree has no such file */
	FILE *out;   /* the filtered text */
	char *outbuf;
	size_t outlen;
	struct rf_kidx *idx;
	uint32_t ndep; /* lines written to modules.dep so far */
	char last[NAME_MAX_LEN]; /* the word of the last lookup and its answer */
	size_t last_len;
	bool last_path;
	struct inc *last_inc;
	uint64_t quick[64]; /* a 4096-bit filter of included names (see quick_bit) */
	bool renames;       /* some module has a stored name of its own (modpack.h) */
	char *line;         /* a line with the stored names (renamed()) */
	size_t linecap;
};

/* Read kmoddir/name whole (one read for the whole file). A missing file reads as empty. */
static int slurp(struct ctx *c, const char *name)
{
	char *path = rf_path_join(c->set->kmoddir, name);
	struct stat st;
	size_t got = 0;
	int fd, r = 0;

	c->text = NULL;
	c->size = 0;
	if (!path)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = errno == ENOENT ? 0 : rf_fail(c->err, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !(c->text = malloc((size_t)st.st_size + 1))) {
		r = rf_fail(c->err, -errno, "reading %s: %s", path, strerror(errno));
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, c->text + got, (size_t)st.st_size - got);

		if (n <= 0) {
			r = rf_fail(c->err, n < 0 ? -errno : -EIO, "reading %s: %s", path,
				    n < 0 ? strerror(errno) : "file shrank while reading");
			goto out;
		}
		got += (size_t)n;
	}
	c->text[got] = '\0';
	c->size = got;
out:
	if (r < 0)
		rf_freep(&c->text);
	if (fd >= 0)
		close(fd);
	free(path);
	return r;
}

/* kmod's module name of a path: the basename up to its first '.', '-' made '_'. */
static const char *path_modname(const char *path, char buf[NAME_MAX_LEN])
{
	const char *base = strrchr(path, '/');
	size_t i;

	base = base ? base + 1 : path;
	for (i = 0; base[i] && base[i] != '.' && i < NAME_MAX_LEN - 1; i++)
		buf[i] = base[i] == '-' ? '_' : base[i];
	buf[i] = '\0';
	return buf;
}

/* Most lines of a big tree name modules outside a small set: a bit per (length, first and last
 * byte) rejects nearly all of them before the hash lookup. */
static unsigned quick_bit(const char *name, size_t len)
{
	return (unsigned)(len * 131 + (unsigned char)name[0] * 7 + (unsigned char)name[len - 1]) & 4095;
}

static struct inc *included(const struct ctx *c, const char *name)
{
	size_t len = strlen(name);
	unsigned bit = len ? quick_bit(name, len) : 0;

	if (!len || !(c->quick[bit / 64] & (UINT64_C(1) << (bit % 64))))
		return NULL;
	return rf_strmap_get(&c->incl, name);
}


static bool blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Word `field` (1-based, blank-separated) of line[0..len): its start, and its length in *wlen
 * (0 when the line has fewer words). */
static const char *word_at(const char *line, size_t len, int field, size_t *wlen)
{
	size_t i = 0, start;

	for (int f = 1;; f++) {
		while (i < len && blank(line[i]))
			i++;
		start = i;
		while (i < len && !blank(line[i]))
			i++;
		if (f == field || i >= len)
			break;
	}
	*wlen = i - start;
	return line + start;
}

/* The included module named by the word w[0..len) (a path when is_path), or NULL.
 * Consecutive lines often name the same module (modules.alias is grouped by module): the
 * last answer is kept. */
static struct inc *lookup(struct ctx *c, const char *w, size_t len, bool is_path)
{
	char word[NAME_MAX_LEN], name[NAME_MAX_LEN];

	if (len == 0 || len >= NAME_MAX_LEN)
		return NULL;
	if (c->last_len == len && c->last_path == is_path && memcmp(c->last, w, len) == 0)
		return c->last_inc;
	memcpy(word, w, len);
	word[len] = '\0';
	memcpy(c->last, w, len);
	c->last_len = len;
	c->last_path = is_path;
	if (is_path)
		c->last_inc = included(c, path_modname(word, name));
	else
		c->last_inc = included(c, word);
	return c->last_inc;
}

static struct inc *line_module(struct ctx *c, const char *line, size_t len, int field,
			       bool is_path)
{
	size_t wlen;
	const char *w = word_at(line, len, field, &wlen);

	return lookup(c, w, wlen, is_path);
}

static int begin(struct ctx *c, const char *src)
{
	int r = slurp(c, src);

	if (r < 0)
		return r;
	c->outbuf = NULL;
	c->outlen = 0;
	c->out = open_memstream(&c->outbuf, &c->outlen);
	if (c->out)
		return 0;
	rf_freep(&c->text);
	return rf_fail(c->err, -ENOMEM, "generating %s: out of memory", src);
}

static int emit(struct ctx *c, const char *line)
{
	return fputs(line, c->out) < 0 || putc('\n', c->out) < 0 ? -ENOMEM : 0;
}

static int add_bytes(struct ctx *c, const char *name, const void *data, size_t size)
{
	char *path = rf_strdupf("lib/modules/%s/%s", c->set->kver, name);
	int r = path ? rf_manifest_add_bytes(c->m, path, data, size, 0644) : -ENOMEM;

	free(path);
	return r;
}

/* Hand the filtered text (name, unless NULL) and the index (binname, unless NULL) to the
 * manifest; release both and the source text. */
static int finish(struct ctx *c, const char *name, const char *binname, int r)
{
	unsigned char *bin = NULL;
	size_t binsize = 0;

	if (fclose(c->out) != 0 && r >= 0)
		r = -ENOMEM;
	if (r >= 0 && name)
		r = add_bytes(c, name, c->outbuf, c->outlen);
	if (r >= 0 && binname) {
		r = rf_kidx_write(c->idx, &bin, &binsize);
		if (r >= 0)
			r = add_bytes(c, binname, bin, binsize);
		free(bin);
	}
	if (r < 0 && !c->err->msg[0])
		rf_fail(c->err, r, "generating %s: %s", binname ? binname : name, strerror(-r));
	rf_kidx_free(c->idx);
	c->idx = NULL;
	free(c->outbuf);
	free(c->text);
	c->text = NULL;
	return r;
}

typedef int line_fn(struct ctx *c, char *line, size_t len);

/* Call fn on each non-empty line (NUL-terminated in place, without its '\n'). */
static int each_line(struct ctx *c, line_fn *fn)
{
	char *p = c->text, *end = c->text + c->size;
	int r = 0;

	c->last_len = 0;
	while (r >= 0 && p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			nl = end;
		*nl = '\0';
		if (nl > p)
			r = fn(c, p, (size_t)(nl - p));
		p = nl + 1;
	}
	return r;
}

/* The image's name of the module file at the tree path w[0..len): the module's stored name
 * when the image renames it (modpack.h), else NULL. */
static const char *stored_name(struct ctx *c, const char *w, size_t len)
{
	struct inc *inc = lookup(c, w, len, true);

	return inc ? c->set->mods[inc - c->incs].stored : NULL;
}

/* line with each path word given its stored name, in a buffer of c's (NULL: out of memory).
 * Words are separated by single blanks as depmod writes them; the first may end in ':'. */
static const char *renamed(struct ctx *c, const char *line)
{
	size_t need = strlen(line) + 1;
	const char *p = line;
	char *out;

	for (const char *w = line; *w; w += strcspn(w, " ")) { /* room for the longer names */
		w += strspn(w, " ");
		const char *st = stored_name(c, w, strcspn(w, ": "));
		need += st ? strlen(st) : 0;
	}
	if (need > c->linecap) {
		out = realloc(c->line, need);
		if (!out)
			return NULL;
		c->line = out;
		c->linecap = need;
	}
	out = c->line;
	*out = '\0';
	while (*p) {
		size_t gap = strspn(p, " "), wlen = strcspn(p + gap, ": "), rest;
		const char *st = stored_name(c, p + gap, wlen);

		strncat(out, p, gap);
		strcat(out, st ? st : "");
		if (!st)
			strncat(out, p + gap, wlen);
		p += gap + wlen;
		rest = strcspn(p, " ");
		strncat(out, p, rest); /* the ':' */
		p += rest;
	}
	return out;
}

/* modules.dep "path: dep dep": keyed by module name, the value is the line itself (with the
 * image's file names). */
static int dep_line(struct ctx *c, char *line, size_t len)
{
	char *colon = memchr(line, ':', len);
	char name[NAME_MAX_LEN];
	const char *out;
	struct inc *inc;
	int r;

	if (!colon || !(inc = lookup(c, line, (size_t)(colon - line), true)) || inc->seen)
		return 0;
	inc->seen = 1;
	inc->prio = c->ndep++;
	*colon = '\0';
	path_modname(line, name);
	*colon = ':';
	out = c->renames ? renamed(c, line) : line;
	if (!out)
		return -ENOMEM;
	r = emit(c, out);
	return r < 0 ? r : rf_kidx_insert(c->idx, name, out, inc->prio);
}

/* modules.alias / modules.symbols "alias KEY MODULE" (comments kept). Aliases go into the
 * index normalised, symbols as they are; an alias with an unmatched bracket stays out of the
 * index, as with depmod. */
static int alias_line(struct ctx *c, char *line, size_t len, bool normalize)
{
	size_t klen, mlen = 0;
	char *key, *mod;
	struct inc *inc;
	int r;

	if (line[0] == '#')
		return emit(c, line);
	while (len && blank(line[len - 1]))
		line[--len] = '\0';
	while (mlen < len && !blank(line[len - mlen - 1]))
		mlen++;
	mod = line + len - mlen;
	inc = lookup(c, mod, mlen, false);
	if (!inc)
		return 0;
	r = emit(c, line);
	key = (char *)word_at(line, len, 2, &klen);
	if (r < 0 || key == mod || klen == 0)
		return r;
	key[klen] = '\0';
	if (normalize && rf_kmod_normalize(key, key) < 0)
		return 0;
	return rf_kidx_insert(c->idx, key, mod, inc->prio);
}

static int alias_line_norm(struct ctx *c, char *line, size_t len)
{
	return alias_line(c, line, len, true);
}

static int symbol_line(struct ctx *c, char *line, size_t len)
{
	return alias_line(c, line, len, false);
}

/* modules.softdep "softdep MODULE ...": comments and included modules' lines. */
static int softdep_line(struct ctx *c, char *line, size_t len)
{
	return line[0] == '#' || line_module(c, line, len, 2, false) ? emit(c, line) : 0;
}

/* modules.devname "MODULE devname type": comments and included modules' lines. */
static int devname_line(struct ctx *c, char *line, size_t len)
{
	return line[0] == '#' || line_module(c, line, len, 1, false) ? emit(c, line) : 0;
}

/* modules.order "path": included modules' lines. */
static int order_line(struct ctx *c, char *line, size_t len)
{
	const char *out;

	if (!line_module(c, line, len, 1, true))
		return 0;
	out = c->renames ? renamed(c, line) : line;
	return out ? emit(c, out) : -ENOMEM;
}

/* modules.builtin "path": all of it (it describes the kernel); the index maps each name to
 * "" (depmod skips lines not starting with a letter). */
static int builtin_line(struct ctx *c, char *line, size_t len)
{
	char name[NAME_MAX_LEN];
	int r = emit(c, line);

	(void)len;
	if (r < 0 || !((line[0] | 0x20) >= 'a' && (line[0] | 0x20) <= 'z'))
		return r;
	return rf_kidx_insert(c->idx, path_modname(line, name), "", 0);
}

static int filter(struct ctx *c, const char *src, const char *bin, line_fn *fn)
{
	int r = begin(c, src);

	if (r < 0)
		return r;
	if (bin && !(c->idx = rf_kidx_new()))
		r = -ENOMEM;
	if (r >= 0)
		r = each_line(c, fn);
	return finish(c, src, bin, r);
}

/* modules.builtin.modinfo "module.key=value\0...": copied whole; every alias= entry goes into
 * modules.builtin.alias.bin as depmod reads them (name up to the first '.'). */
static int builtin_modinfo(struct ctx *c)
{
	int r = begin(c, "modules.builtin.modinfo");

	if (r < 0)
		return r;
	if (!(c->idx = rf_kidx_new()))
		r = -ENOMEM;
	if (r >= 0 && c->size && fwrite(c->text, 1, c->size, c->out) != c->size)
		r = -ENOMEM;
	for (char *p = c->text; r >= 0 && p && p < c->text + c->size; p += strlen(p) + 1) {
		char *dot = strchr(p, '.'), *eq;

		if (!dot || dot == p || !(eq = strchr(dot, '=')) || !eq[1])
			continue;
		if (eq - dot - 1 != 5 || memcmp(dot + 1, "alias", 5) != 0)
			continue;
		*dot = '\0';
		if (rf_kmod_normalize(eq + 1, eq + 1) == 0)
			r = rf_kidx_insert(c->idx, eq + 1, p, 0);
	}
	return finish(c, "modules.builtin.modinfo", "modules.builtin.alias.bin", r);
}

/* The set's file-backed modules by name. */
static int map_set(struct ctx *c)
{
	c->incs = calloc(c->set->n ? c->set->n : 1, sizeof(*c->incs));
	if (!c->incs)
		return -ENOMEM;
	for (size_t i = 0; i < c->set->n; i++) {
		const struct rf_module *mod = &c->set->mods[i];

		unsigned bit;

		if (mod->builtin || !mod->path || !mod->name[0])
			continue;
		if (rf_strmap_put(&c->incl, mod->name, &c->incs[i]) < 0)
			return -ENOMEM;
		c->renames |= mod->stored != NULL;
		bit = quick_bit(mod->name, strlen(mod->name));
		c->quick[bit / 64] |= UINT64_C(1) << (bit % 64);
	}
	return 0;
}

/* Every file-backed module must have its modules.dep line: else the tree's indexes are stale. */
static int check_seen(const struct ctx *c)
{
	for (size_t i = 0; i < c->set->n; i++) {
		const struct rf_module *mod = &c->set->mods[i];

		if (!mod->builtin && mod->path && !c->incs[i].seen)
			return rf_fail(c->err, -ENOENT,
				       "%s/modules.dep: no entry for module %s (%s); run depmod %s",
				       c->set->kmoddir, mod->name, mod->path, c->set->kver);
	}
	return 0;
}

static int generate(struct ctx *c)
{
	int r = filter(c, "modules.dep", "modules.dep.bin", dep_line);

	if (r >= 0)
		r = check_seen(c);
	if (r >= 0)
		r = filter(c, "modules.alias", "modules.alias.bin", alias_line_norm);
	if (r >= 0)
		r = filter(c, "modules.symbols", "modules.symbols.bin", symbol_line);
	if (r >= 0)
		r = filter(c, "modules.softdep", NULL, softdep_line);
	if (r >= 0)
		r = filter(c, "modules.devname", NULL, devname_line);
	if (r >= 0)
		r = filter(c, "modules.order", NULL, order_line);
	if (r >= 0)
		r = filter(c, "modules.builtin", "modules.builtin.bin", builtin_line);
	if (r >= 0)
		r = builtin_modinfo(c);
	return r;
}

int rf_depindex_add(const struct rf_modset *set, struct rf_manifest *m, struct rf_err *err)
{
	struct rf_err dummy;
	struct ctx c = { .set = set, .m = m, .err = err ? err : &dummy };
	int r;

	c.err->msg[0] = '\0';
	r = map_set(&c);
	if (r < 0)
		rf_fail(c.err, r, "generating the module indexes: out of memory");
	else
		r = generate(&c);
	rf_strmap_clear(&c.incl);
	free(c.incs);
	free(c.line);
	return r;
}
