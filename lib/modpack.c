// SPDX-License-Identifier: MIT
/* The module segment: modules compressed one by one (see modpack.h). */
#include "modpack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "kconfig.h"
#include "modbytes.h"

int rf_modpack_parse(const char *s, enum rf_modpack_mode *out)
{
	static const char *const names[] = { "auto", "no", "zstd", "xz" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum rf_modpack_mode)i;
			return 0;
		}
	return -EINVAL;
}

/* Does the target kernel decompress xz modules itself (finit_module's
 * MODULE_INIT_COMPRESSED_FILE)? Its config says; none read: no. */
static bool kernel_reads_xz(const char *sysroot, const char *kver)
{
	char *path = rf_strdupf("boot/config-%s", kver), *config = NULL;
	struct rf_err err;
	bool yes = false;

	if (path && rf_input_read(sysroot, path, NULL, RF_INPUT_CONF_MAX * 4, RF_INPUT_OPTIONAL,
				  &config, NULL, &err) >= 0)
		yes = rf_kconfig_has(config, "CONFIG_MODULE_DECOMPRESS=y") &&
		      rf_kconfig_has(config, "CONFIG_MODULE_COMPRESS_XZ=y");
	free(config);
	free(path);
	return yes;
}

enum rf_comp rf_modpack_choose(enum rf_modpack_mode mode, bool drivers_only, enum rf_compress main,
			       const char *sysroot, const char *kver)
{
	switch (mode) {
	case RF_MODPACK_NO:
		return RF_COMP_NONE;
	case RF_MODPACK_ZSTD:
		return RF_COMP_ZSTD;
	case RF_MODPACK_XZ:
		return RF_COMP_XZ;
	case RF_MODPACK_AUTO:
		break;
	}
	if (drivers_only || main == RF_COMPRESS_NONE)
		return RF_COMP_NONE;
	return kernel_reads_xz(sysroot, kver) ? RF_COMP_XZ : RF_COMP_ZSTD;
}

static const char *suffix(enum rf_comp c)
{
	return c == RF_COMP_XZ ? ".xz" : ".zst";
}

int rf_modpack_names(struct rf_modset *set, enum rf_comp c)
{
	for (size_t i = 0; c != RF_COMP_NONE && i < set->n; i++) {
		struct rf_module *mod = &set->mods[i];

		if (mod->builtin || !mod->path || rf_comp_of(mod->path) != RF_COMP_NONE)
			continue;
		free(mod->stored);
		mod->stored = rf_strdupf("%s%s", mod->path, suffix(c));
		if (!mod->stored)
			return -ENOMEM;
	}
	return 0;
}

/* The bytes of a taken entry: its data, or its source file read whole (the size the
 * manifest saw, as the archive checks it). */
static int entry_bytes(struct rf_entry *e, struct rf_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	if (e->type == RF_ENTRY_BYTES)
		return 0;
	r = rf_input_read(e->root, e->source, e->source, RF_MODBYTES_MAX, 0, &text, &len, err);
	if (r < 0)
		return r;
	if (len != e->size) {
		free(text);
		return rf_fail(err, -ESTALE, "%s: changed size while the image was being built "
			       "(%zu -> %zu bytes)", e->source, e->size, len);
	}
	e->data = (unsigned char *)text;
	return 0;
}

struct pack {
	const struct rf_modset *set;
	struct rf_entry *taken; /* per module: its entry, taken out of the main manifest */
	struct rf_zjob *jobs;   /* per module to compress */
	size_t njobs;
};

/* Take every module's entry out of m. */
static int take(struct pack *p, struct rf_manifest *m, struct rf_err *err)
{
	const struct rf_modset *set = p->set;
	char **paths = calloc(set->n ? set->n : 1, sizeof(*paths));
	int r = paths ? 0 : -ENOMEM;

	for (size_t i = 0; r >= 0 && i < set->n; i++) {
		const struct rf_module *mod = &set->mods[i];

		if (mod->builtin || !mod->path)
			continue;
		paths[i] = rf_strdupf("lib/modules/%s/%s", set->kver, rf_module_file(mod));
		r = paths[i] ? 0 : -ENOMEM;
	}
	if (r >= 0)
		r = rf_manifest_take(m, (const char *const *)paths, set->n, p->taken);
	for (size_t i = 0; paths && i < set->n; i++)
		free(paths[i]);
	free(paths);
	return r < 0 ? rf_fail(err, r, "the module segment: %s", strerror(-r)) : 0;
}

/* Read each taken module and queue the ones to compress. */
static int queue(struct pack *p, struct rf_modpack_report *rep, struct rf_err *err)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < p->set->n; i++) {
		struct rf_entry *e = &p->taken[i];
		const struct rf_module *mod = &p->set->mods[i];

		if (!e->path)
			continue;
		r = entry_bytes(e, err);
		if (r < 0)
			break;
		if (!mod->stored) { /* compressed in the tree already: as it is */
			rep->kept++;
			continue;
		}
		p->jobs[p->njobs++] = (struct rf_zjob){ .name = mod->name, .in = e->data,
							.inlen = e->size };
	}
	return r;
}

int rf_modpack_move(const struct rf_modset *set, enum rf_comp c, struct rf_zcache *zc,
		    struct rf_manifest *m, struct rf_manifest *seg, struct rf_modpack_report *rep,
		    struct rf_err *err)
{
	struct pack p = { .set = set };
	size_t j = 0;
	int r;

	memset(rep, 0, sizeof(*rep));
	p.taken = calloc(set->n ? set->n : 1, sizeof(*p.taken));
	p.jobs = calloc(set->n ? set->n : 1, sizeof(*p.jobs));
	r = p.taken && p.jobs ? take(&p, m, err)
			      : rf_fail(err, -ENOMEM, "the module segment: %s", strerror(ENOMEM));
	if (r >= 0)
		r = queue(&p, rep, err);
	if (r >= 0)
		r = rf_zcache_compress(zc, c, -1, p.jobs, p.njobs, 0, &rep->cache, err);
	rep->compressed = p.njobs;
	for (size_t i = 0; r >= 0 && i < set->n; i++) {
		const struct rf_entry *e = &p.taken[i];
		bool packed = e->path && set->mods[i].stored;

		if (!e->path)
			continue;
		r = packed ? rf_manifest_add_bytes(seg, e->path, p.jobs[j].out, p.jobs[j].outlen, 0644)
			   : rf_manifest_add_bytes(seg, e->path, e->data, e->size, 0644);
		j += packed;
	}
	if (r >= 0 && rep->compressed + rep->kept)
		r = rf_manifest_add_bytes(seg, "early_cpio", "1\n", 2, 0644);
	if (r < 0 && !err->msg[0])
		rf_fail(err, r, "the module segment: %s", strerror(-r));
	for (size_t i = 0; p.jobs && i < p.njobs; i++)
		free(p.jobs[i].out);
	for (size_t i = 0; p.taken && i < set->n; i++)
		rf_entry_release(&p.taken[i]);
	free(p.jobs);
	free(p.taken);
	return r;
}
