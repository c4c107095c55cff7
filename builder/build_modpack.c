// SPDX-License-Identifier: MIT
/* The module segment of `ramforge build`; see build_modpack.h. */
#include "build_modpack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "modpack.h"
#include "zcache.h"

int rf_build_modpack_names(const struct rf_opts *o, const struct rf_select *s,
			   const struct rf_archive_opts *a, struct rf_modset *set,
			   enum rf_comp *format, struct rf_err *err)
{
	const char *name = o->module_compress ? o->module_compress : s->conf.module_compress;
	enum rf_modpack_mode mode = RF_MODPACK_AUTO;
	int r;

	if (rf_modpack_parse(name ? name : "auto", &mode) < 0)
		return rf_fail(err, -EINVAL, "module_compress=\"%s\": expected auto, zstd, xz or no", name);
	*format = rf_modpack_choose(mode, o->drivers_only, a->compress, s->sysroot, s->kver);
	r = rf_modpack_names(set, *format);
	return r < 0 ? rf_fail(err, r, "naming the modules: %s", strerror(-r)) : 0;
}

/* The cache directory: --no-cache, --cache DIR, RAMFORGE_CACHE_DIR, SYSROOT/module_cache=. */
static char *cache_dir(const struct rf_opts *o, const struct rf_select *s)
{
	const char *env = getenv("RAMFORGE_CACHE_DIR");

	if (o->no_cache)
		return NULL;
	if (o->cache)
		return strdup(o->cache);
	if (env && *env)
		return strdup(env);
	return s->conf.module_cache ? rf_path_join(s->sysroot, s->conf.module_cache) : NULL;
}

static void tell(const struct rf_modpack_report *rep, enum rf_comp format, const char *dir)
{
	const struct rf_zcache_report *c = &rep->cache;

	rf_info("module segment: %zu modules compressed one by one as %s (%llu -> %llu bytes, "
		"%.1f s), %zu stored as the tree has them; cache %s: %zu hits, %zu misses%s",
		rep->compressed, rf_comp_name(format), (unsigned long long)c->in_bytes,
		(unsigned long long)c->out_bytes, c->seconds, rep->kept, dir ? dir : "off",
		c->hits, c->misses, c->corrupt ? ", corrupt entries replaced" : "");
}

int rf_build_modpack_move(const struct rf_opts *o, const struct rf_select *s,
			  const struct rf_modset *set, enum rf_comp format, struct rf_manifest *m,
			  struct rf_manifest *seg, struct rf_err *err)
{
	struct rf_modpack_report rep;
	struct rf_zcache *zc = NULL;
	char *dir;
	int r;

	if (format == RF_COMP_NONE)
		return 0;
	dir = cache_dir(o, s);
	if (dir)
		zc = rf_zcache_open(dir, 0);
	r = rf_modpack_move(set, format, zc, m, seg, &rep, err);
	if (r >= 0)
		tell(&rep, format, zc ? dir : NULL);
	rf_zcache_close(zc);
	free(dir);
	return r;
}
