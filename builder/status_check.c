// SPDX-License-Identifier: MIT
/* IMAGE's input record against the state now: see status_check.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "build_record.h"
#include "compress.h"
#include "conf.h"
#include "image_path.h"
#include "record_image.h"
#include "staleness.h"
#include "status_check.h"

static const char *sysroot_of(const struct rf_opts *o)
{
	return o->sysroot ? o->sysroot : "/";
}

/* -k, else the running kernel's release, copied into buf. */
static int kver_of(const struct rf_opts *o, char *buf, size_t size, struct rf_err *err)
{
	struct utsname u;

	if (o->kver) {
		snprintf(buf, size, "%s", o->kver);
		return 0;
	}
	if (uname(&u) < 0)
		return rf_fail(err, -errno, "uname: %s", strerror(errno));
	snprintf(buf, size, "%s", u.release);
	return 0;
}

int rf_status_image(const struct rf_opts *o, char **image, struct rf_err *err)
{
	struct rf_conf conf = { 0 };
	char kver[256];
	int r;

	if (o->args.n) {
		*image = strdup(o->args.v[0]);
		return *image ? 0 : rf_fail(err, -ENOMEM, "%s", strerror(ENOMEM));
	}
	r = kver_of(o, kver, sizeof(kver), err);
	if (r >= 0)
		r = rf_conf_load(&conf, sysroot_of(o), err);
	if (r >= 0) {
		*image = rf_default_image(sysroot_of(o), kver, conf.image);
		r = *image ? 0 : rf_fail(err, -ENOMEM, "%s", strerror(ENOMEM));
	}
	rf_conf_free(&conf);
	return r;
}

/* The image's compression against --compress, else compress= of ramforge.conf, compared as an
 * option: "compress=NAME" of the image into rec's options, of now into opts. */
static int compress_options(const struct rf_opts *o, enum rf_inspect_compress have,
			    struct rf_record *rec, struct rf_strv *opts, struct rf_err *err)
{
	static const enum rf_inspect_compress as_read[] = {
		[RF_COMPRESS_ZSTD] = RF_INSPECT_ZSTD, [RF_COMPRESS_GZIP] = RF_INSPECT_GZIP,
		[RF_COMPRESS_XZ] = RF_INSPECT_XZ,     [RF_COMPRESS_LZ4] = RF_INSPECT_LZ4_LEGACY,
		[RF_COMPRESS_NONE] = RF_INSPECT_NONE,
	};
	struct rf_conf conf = { 0 };
	enum rf_compress want;
	int r = o->compress ? 0 : rf_conf_load(&conf, sysroot_of(o), err);
	const char *name = o->compress ? o->compress : conf.compress;
	char *was = NULL;

	if (r >= 0 && rf_compress_parse(name, &want) < 0)
		r = rf_fail(err, -EINVAL, "unknown compression '%s'", name);
	if (r >= 0)
		r = rf_strv_pushf(opts, "compress=%s", rf_inspect_compress_name(as_read[want]));
	if (r >= 0) {
		was = rf_strdupf("compress=%s", rf_inspect_compress_name(have));
		r = was ? rf_record_add(rec, RF_REC_OPTION, was, NULL) : -ENOMEM;
	}
	free(was);
	rf_conf_free(&conf);
	return r;
}

int rf_status_check(const struct rf_opts *o, const char *image, struct rf_strv *diffs,
		    struct rf_err *err)
{
	struct rf_record rec = { 0 };
	struct rf_strv opts = { 0 };
	const struct rf_record_line *k;
	enum rf_inspect_compress have = RF_INSPECT_NONE;
	char kver[256], *kmoddir = NULL;
	int r = rf_record_read_image(image, &rec, &have, err);

	k = r >= 0 ? rf_record_find(&rec, RF_REC_KERNEL) : NULL;
	if (r >= 0 && !o->kver && o->args.n && k)
		snprintf(kver, sizeof(kver), "%s", k->value);
	else if (r >= 0)
		r = kver_of(o, kver, sizeof(kver), err);
	if (r >= 0) {
		const char *root = strcmp(sysroot_of(o), "/") == 0 ? "" : sysroot_of(o);

		kmoddir = o->kmoddir ? strdup(o->kmoddir) : rf_strdupf("%s/lib/modules/%s", root, kver);
		r = kmoddir ? rf_build_options(o, &opts) : -ENOMEM;
	}
	if (r >= 0)
		r = compress_options(o, have, &rec, &opts, err);
	if (r >= 0) {
		struct rf_stale_now now = { .sysroot = sysroot_of(o), .kver = kver,
					    .kmoddir = kmoddir, .version = RF_VERSION,
					    .options = &opts };

		r = rf_stale_check(&rec, &now, diffs, err);
	}

	if (r == -ENOMEM && !err->msg[0])
		rf_fail(err, r, "status: %s", strerror(ENOMEM));
	free(kmoddir);
	rf_strv_clear(&opts);
	rf_record_free(&rec);
	return r < 0 ? r : diffs->n ? RF_STATUS_STALE : RF_STATUS_UP_TO_DATE;
}
