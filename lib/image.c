// SPDX-License-Identifier: MIT
/* Compose the image's manifest from the module set; see image.h. */
#include "image.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "depindex.h"
#include "input.h"
#include "modprobe_conf.h"
#include "plan_emit.h"

/* Mount points and places the init needs before any file system is mounted. */
static const char *const skeleton_dirs[] = { "dev", "proc", "sys", "run", "sysroot", "etc", "tmp" };

static int add_skeleton(struct rf_manifest *m, const struct rf_modset *set)
{
	char *moddir = rf_strdupf("lib/modules/%s", set->kver);
	int r = moddir ? rf_manifest_add_dir(m, moddir, 0755) : -ENOMEM;

	free(moddir);
	for (size_t i = 0; r >= 0 && i < sizeof(skeleton_dirs) / sizeof(skeleton_dirs[0]); i++)
		r = rf_manifest_add_dir(m, skeleton_dirs[i], 0755);
	if (r >= 0)
		r = rf_manifest_add_node(m, "dev/console", S_IFCHR | 0600, makedev(5, 1));
	if (r >= 0)
		r = rf_manifest_add_node(m, "dev/null", S_IFCHR | 0666, makedev(1, 3));
	return r;
}

/* Each module file, by its real path: a symlink that leads out of the tree is refused. */
static int add_modules(struct rf_manifest *m, const struct rf_modset *set, struct rf_err *err)
{
	char *tree = realpath(set->kmoddir, NULL);
	int r = tree ? 0 : rf_fail(err, -errno, "%s: %s", set->kmoddir, strerror(errno));

	for (size_t i = 0; r >= 0 && i < set->n; i++) {
		const struct rf_module *mod = &set->mods[i];
		char *dst, *src = NULL;

		if (mod->builtin)
			continue;
		dst = rf_strdupf("lib/modules/%s/%s", set->kver, rf_module_file(mod));
		r = dst ? rf_input_in_tree(tree, mod->path, mod->name, &src, err) : -ENOMEM;
		if (r >= 0)
			r = rf_manifest_add_file(m, dst, src, 0644, err);
		free(dst);
		free(src);
	}
	free(tree);
	return r;
}

/* Every effective modprobe.d file, at its own path, so the rules hold at boot too. */
static int add_modprobe_conf(struct rf_manifest *m, const char *sysroot, struct rf_err *err)
{
	struct rf_modprobe_conf conf = { 0 };
	int r = rf_modprobe_conf_load(&conf, sysroot, err);

	/* The bytes read safely (inside the sysroot), as libkmod saw them; not the path again. */
	for (size_t i = 0; r >= 0 && i < conf.nfiles; i++)
		r = rf_manifest_add_bytes(m, conf.files[i].path, conf.files[i].text, conf.files[i].len, 0644);
	rf_modprobe_conf_free(&conf);
	return r;
}

/* The init's load plan (shared/plan.h) separates fields with spaces and lists with ',': a
 * module whose name or file name holds one cannot be written into it. */
static int check_plan_words(const struct rf_modset *set, struct rf_err *err)
{
	static const char seps[] = " \t\r\n,";
	struct rf_quoted q;

	for (size_t i = 0; i < set->n; i++) {
		const struct rf_module *mod = &set->mods[i];

		if (!strpbrk(mod->name, seps) && (mod->builtin || !strpbrk(mod->path, seps)))
			continue;
		return rf_fail(err, -EINVAL, "module '%s' (%s): a ',' or a blank in a module's name "
			       "or file name cannot go into the init's load plan (its lists are "
			       "separated by ','): rename the file or leave the module out (-o)",
			       rf_quote_prefix(&q, mod->name), mod->builtin ? "built in" : mod->path);
	}
	return 0;
}

int rf_image_compose(const struct rf_modset *set, const struct rf_image_inputs *in,
		     struct rf_manifest *m, struct rf_err *err)
{
	int r = check_plan_words(set, err);

	if (r >= 0)
		r = add_skeleton(m, set);

	if (r >= 0)
		r = rf_manifest_add_file(m, "init", in->init_path, 0755, err);
	if (r >= 0)
		r = add_modules(m, set, err);
	if (r >= 0)
		r = add_modprobe_conf(m, in->sysroot, err);
	if (r >= 0)
		r = rf_depindex_add(set, m, err);
	if (r >= 0)
		r = rf_plan_add(set, in->steps, in->nsteps, m, err);
	if (r >= 0 && in->firmware)
		r = rf_firmware_add(in->firmware, m, err);
	if (r < 0 && !err->msg[0])
		rf_fail(err, r, "composing the image: %s", strerror(-r));
	return r;
}
