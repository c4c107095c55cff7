// SPDX-License-Identifier: MIT
/* Reading an image for `ramforge diff`; see imgindex.h. */
#include "imgindex.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "inspect.h"
#include "log.h"
#include "modname.h"
#include "plan.h"

#define TEXT_MAX ((uint64_t)1 << 20)  /* a modprobe.d file */
#define PLAN_MAX ((uint64_t)16 << 20) /* the plan of the largest module tree */

struct reader {
	struct rf_imgindex *ix;
	const char *image;
	struct rf_err *err;
	uint64_t order, decoded; /* decompressed module bytes so far, against the total limit */
};

int rf_imgindex_module_path(const char *path, char **name, char **kver)
{
	static const char *const suffixes[] = { ".ko", ".ko.xz", ".ko.zst", ".ko.gz" };
	const char *p = path, *k, *slash, *base;
	size_t blen;

	if (strncmp(p, "usr/", 4) == 0)
		p += 4;
	if (strncmp(p, "lib/modules/", 12) != 0)
		return 0;
	k = p + 12;
	slash = strchr(k, '/');
	base = strrchr(p, '/') + 1;
	if (!slash || slash == k || base <= slash)
		return 0;
	blen = strlen(base);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t slen = strlen(suffixes[i]);

		if (blen <= slen || strcmp(base + blen - slen, suffixes[i]) != 0)
			continue;
		*name = strndup(base, blen - slen);
		*kver = strndup(k, (size_t)(slash - k));
		if (!*name || !*kver) {
			rf_freep(name);
			rf_freep(kver);
			return -ENOMEM;
		}
		(void)rf_kmod_normalize(*name, *name);
		return 1;
	}
	return 0;
}

/* Files whose lines are compared: modprobe.d's and the plan. The most bytes kept, or 0. */
static uint64_t text_max(const char *path)
{
	static const char *const conf[] = { "etc/modprobe.d/*.conf", "lib/modprobe.d/*.conf",
					    "usr/lib/modprobe.d/*.conf" };

	if (strcmp(path, RF_PLAN_PATH) == 0)
		return PLAN_MAX;
	for (size_t i = 0; i < sizeof(conf) / sizeof(conf[0]); i++)
		if (fnmatch(conf[i], path, FNM_PATHNAME) == 0)
			return TEXT_MAX;
	return 0;
}

/* A regular file's data: its digest, the decompressed digest of a module, the text kept. */
static int read_data(struct reader *rd, const struct rf_inspect_entry *e, struct rf_imgent *ent,
		     struct rf_imgmod *mod)
{
	struct rf_zdigest *raw = NULL, *dec = NULL;
	struct rf_err why = { "" };
	uint64_t keep = e->size <= text_max(e->path) ? e->size : 0, got = 0, out = 0;
	const void *p;
	size_t n;
	int r = rf_zdigest_new(&raw, RF_COMP_NONE, UINT64_MAX, &why);
	bool decode = mod && rf_comp_of(e->path) != RF_COMP_NONE; /* a plain .ko: raw is it */

	if (r >= 0 && decode)
		r = rf_zdigest_new(&dec, rf_comp_of(e->path), RF_INSPECT_MAX_ENTRY, &why);
	if (r >= 0 && keep && !(ent->text = malloc(keep + 1)))
		r = rf_fail(&why, -ENOMEM, "%s", strerror(ENOMEM));
	while (r >= 0 && e->stream && (r = rf_inspect_chunk(e->stream, &p, &n)) > 0) {
		if (ent->text)
			memcpy(ent->text + got, p, n);
		got += n;
		r = rf_zdigest_update(raw, p, n, &why);
		if (r >= 0 && decode && rf_zdigest_update(dec, p, n, &why) < 0) {
			rf_warn("%s: %s: %s: compared as stored", rd->image, e->path, why.msg);
			decode = false;
		}
	}
	if (r < 0 && !why.msg[0])
		goto out; /* the reader's error, already in rd->err */
	if (ent->text)
		ent->text[got] = '\0';
	if (r >= 0)
		r = rf_zdigest_final(raw, ent->md, NULL, &why);
	if (r >= 0 && mod) {
		memcpy(mod->md, ent->md, sizeof(mod->md));
		if (decode && rf_zdigest_final(dec, mod->md, &out, &why) < 0) {
			rf_warn("%s: %s: %s: compared as stored", rd->image, e->path, why.msg);
			memcpy(mod->md, ent->md, sizeof(mod->md));
		}
		rd->decoded += decode ? out : e->size;
		if (rd->decoded > RF_INSPECT_MAX_TOTAL)
			r = rf_fail(&why, -EFBIG, "its modules decompress to more than %llu bytes",
				    (unsigned long long)RF_INSPECT_MAX_TOTAL);
	}
	if (r < 0)
		r = rf_fail(rd->err, r, "%s: %s: %s", rd->image, e->path, why.msg);
out:
	rf_zdigest_free(raw);
	rf_zdigest_free(dec);
	return r < 0 ? r : 0;
}

static int add_module(struct reader *rd, struct rf_imgent *ent, char *name, char *kver,
		      struct rf_imgmod **mod)
{
	struct rf_imgindex *ix = rd->ix;

	if (rf_grow(&ix->mods, &ix->modcap, ix->nmods, sizeof(*ix->mods), 256) < 0) {
		free(name);
		free(kver);
		return rf_fail(rd->err, -ENOMEM, "%s: %s", rd->image, strerror(ENOMEM));
	}
	*mod = &ix->mods[ix->nmods++];
	**mod = (struct rf_imgmod){ .name = name, .kver = kver, .path = strdup(ent->path),
				    .order = ent->order };
	ent->module = true;
	return (*mod)->path ? 0 : rf_fail(rd->err, -ENOMEM, "%s: %s", rd->image, strerror(ENOMEM));
}

static int add_entry(const struct rf_inspect_entry *e, void *data)
{
	struct reader *rd = data;
	struct rf_imgindex *ix = rd->ix;
	struct rf_imgent *ent;
	struct rf_imgmod *mod = NULL;
	char *name = NULL, *kver = NULL;
	int r;

	if (rf_grow(&ix->ents, &ix->cap, ix->n, sizeof(*ix->ents), 1024) < 0)
		return rf_fail(rd->err, -ENOMEM, "%s: %s", rd->image, strerror(ENOMEM));
	ent = &ix->ents[ix->n++];
	*ent = (struct rf_imgent){
		.path = strdup(e->path), .link = e->link ? strdup(e->link) : NULL, .mode = e->mode,
		.uid = e->uid, .gid = e->gid, .rdev_major = e->rdev_major,
		.rdev_minor = e->rdev_minor, .size = e->size, .order = rd->order++,
	};
	if (!ent->path || (e->link && !ent->link))
		return rf_fail(rd->err, -ENOMEM, "%s: %s", rd->image, strerror(ENOMEM));
	if (!S_ISREG(e->mode))
		return 0;
	r = rf_imgindex_module_path(e->path, &name, &kver);
	if (r > 0)
		r = add_module(rd, ent, name, kver, &mod);
	if (r < 0)
		return r == -ENOMEM ? rf_fail(rd->err, r, "%s: %s", rd->image, strerror(ENOMEM)) : r;
	return read_data(rd, e, ent, mod);
}

static int by_path(const void *a, const void *b)
{
	const struct rf_imgent *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	return c ? c : x->order < y->order ? -1 : x->order > y->order;
}

static int by_name(const void *a, const void *b)
{
	const struct rf_imgmod *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->order < y->order ? -1 : x->order > y->order;
}

static void free_ent(struct rf_imgent *e)
{
	free(e->path);
	free(e->link);
	free(e->text);
}

static void free_mod(struct rf_imgmod *m)
{
	free(m->name);
	free(m->kver);
	free(m->path);
}

/* Sort, and keep the last entry of each name (as the kernel's unpacking does), and the last
 * module of each name (an image holding two trees: the later). */
static void settle(struct rf_imgindex *ix)
{
	size_t k = 0;

	qsort(ix->ents, ix->n, sizeof(*ix->ents), by_path);
	for (size_t i = 0; i < ix->n; i++) {
		if (i + 1 < ix->n && strcmp(ix->ents[i].path, ix->ents[i + 1].path) == 0) {
			free_ent(&ix->ents[i]);
			continue;
		}
		ix->ents[k++] = ix->ents[i];
	}
	ix->n = k;
	qsort(ix->mods, ix->nmods, sizeof(*ix->mods), by_name);
	k = 0;
	for (size_t i = 0; i < ix->nmods; i++) {
		if (i + 1 < ix->nmods && strcmp(ix->mods[i].name, ix->mods[i + 1].name) == 0) {
			free_mod(&ix->mods[i]);
			continue;
		}
		ix->mods[k++] = ix->mods[i];
	}
	ix->nmods = k;
}

static void describe(struct rf_imgindex *ix, const struct rf_inspect *img)
{
	size_t len = 0;

	for (size_t i = 0; i < rf_inspect_nsegments(img) && len < sizeof(ix->layout); i++) {
		const struct rf_inspect_segment *s = rf_inspect_segment(img, i);

		len += (size_t)snprintf(ix->layout + len, sizeof(ix->layout) - len, "%s%s at %llu",
					i ? " + " : "", rf_inspect_compress_name(s->compress),
					(unsigned long long)s->offset);
	}
}

int rf_imgindex_read(struct rf_imgindex *ix, const char *image, struct rf_err *err)
{
	struct reader rd = { .ix = ix, .image = image, .err = err };
	struct rf_inspect *img = NULL;
	struct stat st;
	int fd = rf_input_open(NULL, image, NULL, 0, err), r = fd; /* a FIFO must not hang */

	if (r >= 0)
		r = rf_inspect_open_fd(&img, fd, image, NULL, err);
	if (r >= 0 && fstat(fd, &st) == 0)
		ix->size = (uint64_t)st.st_size;
	if (r >= 0)
		r = rf_inspect_foreach_stream(img, add_entry, &rd, err);
	if (r >= 0)
		describe(ix, img);
	rf_inspect_free(img);
	if (fd >= 0)
		close(fd);
	if (r < 0)
		return r;
	settle(ix);
	return 0;
}

const struct rf_imgent *rf_imgindex_find(const struct rf_imgindex *ix, const char *path)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(ix->ents[mid].path, path);

		if (c == 0)
			return &ix->ents[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void rf_imgindex_free(struct rf_imgindex *ix)
{
	for (size_t i = 0; i < ix->n; i++)
		free_ent(&ix->ents[i]);
	for (size_t i = 0; i < ix->nmods; i++)
		free_mod(&ix->mods[i]);
	free(ix->ents);
	free(ix->mods);
	memset(ix, 0, sizeof(*ix));
}
