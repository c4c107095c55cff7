// SPDX-License-Identifier: MIT
/* `ramforge build`: selection -> closure -> manifest -> archive -> install, each stage timed. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "build_all.h"
#include "build_record.h"
#include "bundle_plan.h"
#include "closure.h"
#include "compress.h"
#include "cmds.h"
#include "firmware.h"
#include "image.h"
#include "image_path.h"
#include "install.h"
#include "items.h"
#include "log.h"
#include "microcode.h"
#include "opts.h"
#include "select.h"
#include "status_check.h"
#include "build_modpack.h"
#include "build_sig.h"

#include "libdir.h" /* RF_LIBDIR: $(PREFIX)/lib/ramforge, from the Makefile */

static const char help_head[] =
	"Usage: ramforge build [SELECTION] [-f] [--no-backup] [--compress C] [IMAGE]\n"
	"\n"
	"Write an initramfs image holding ramforge-init, the modules `ramforge deps` prints\n"
	"for the same SELECTION, the depmod indexes for exactly those modules, the sysroot's\n"
	"modprobe.d files and a load plan. IMAGE defaults to SYSROOT/boot/initrd.img-KVER on\n"
	"Debian and its derivatives, SYSROOT/boot/initramfs-KVER.img elsewhere (image= in\n"
	"ramforge.conf overrides; %k is KVER).\n"
	"The image is written to a temporary file beside IMAGE, synced, then renamed over it:\n"
	"a failed or interrupted build leaves the old image and its backups untouched.\n"
	"\n"
	;

static const char help_tail[] =
	"Writing:\n"
	"  -f, --force               replace an existing IMAGE (keeping a backup)\n"
	"      --no-backup           do not keep a backup of the replaced image\n"
	"      --compress C          zstd (default), gzip, xz, lz4, none (config: compress=)\n"
	"      --init PATH           the ramforge-init binary to use as /init\n"
	"      --no-early-microcode  no CPU microcode ahead of the image (config: early_microcode=;\n"
	"                            --early-microcode: put it in, the default)\n"
	"      --module-compress F   modules compressed one by one in an uncompressed segment:\n"
	"                            auto (generic and hostonly images), zstd, xz, or no: inside\n"
	"                            the compressed archive (config: module_compress=)\n"
	"      --cache DIR           where those compressed modules are cached (default\n"
	"                            SYSROOT/var/cache/ramforge; config module_cache=)\n"
	"      --no-cache            compress every module again, store nothing\n"
	"      --lock-timeout SECS   wait at most SECS for another build into IMAGE's directory\n"
	"                            (default 60; 0: do not wait)\n"
	"      --sign-key KEY        sign the unsigned modules outside the tree's kernel/ (extra/,\n"
	"      --sign-cert CERT      updates/, dkms) with KEY and CERT as they are packed; the tree\n"
	"                            is not changed (config sign_key=, sign_cert=)\n"
	"      --if-stale            build only when `ramforge status` would not say up to date\n"
	"                            (IMAGE missing, without a record, or stale)\n"
	"      --regenerate-all      the default image of every SYSROOT/lib/modules/KVER with\n"
	"                            modules.dep and SYSROOT/boot/vmlinuz-KVER (no -k, IMAGE)\n"
	"      --parallel N          with --regenerate-all: N builds at a time (default: CPUs)\n"
	"  -v, --verbose             show each stage with its time; -q: errors only\n"
	"  -h, --help                this text\n"
	"\n"
	"Backups: IMAGE.bak.MM-DD-HHMMSS.img beside IMAGE (for names ending in .img the suffix\n"
	"replaces .img), at most `backups` of them (config, default 3).\n"
	"Reproducible: the same inputs give the same bytes; every entry's mtime is\n"
	"SOURCE_DATE_EPOCH when set, else 0.\n";

/* An executable ramforge-init at DIR/rel, malloc'd, or NULL. */
static char *init_at(const char *dir, const char *rel)
{
	char *p = rf_path_join(dir, rel);

	if (p && access(p, X_OK) == 0)
		return p;
	free(p);
	return NULL;
}

/* --init, else $RAMFORGE_INIT, else beside this program (a build tree), else PREFIX/lib/ramforge
 * relative to this program's PREFIX/sbin (an installed tree, also under a DESTDIR or in a
 * chroot), else the configured RF_LIBDIR. */
static char *find_init(const char *given)
{
	char self[4096], *slash, *p = NULL;
	ssize_t len;

	if (given)
		return strdup(given);
	if (getenv("RAMFORGE_INIT"))
		return strdup(getenv("RAMFORGE_INIT"));
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len > 0) {
		self[len] = '\0';
		slash = strrchr(self, '/');
		if (slash)
			*slash = '\0';
		if (slash)
			p = init_at(self, "ramforge-init");
		if (slash && !p)
			p = init_at(self, "../lib/ramforge/ramforge-init");
	}
	return p ? p : strdup(RF_LIBDIR "/ramforge-init");
}

static int archive_opts(struct rf_archive_opts *a, const struct rf_opts *o,
			const struct rf_conf *conf, struct rf_err *err)
{
	const char *name = o->compress ? o->compress : conf->compress;
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	char *end;

	*a = (struct rf_archive_opts){ 0 };
	a->level = o->compress ? -1 : conf->compress_level;
	a->threads = 0;
	a->mtime = 0;
	if (rf_compress_parse(name ? name : "zstd", &a->compress) < 0)
		return rf_fail(err, -EINVAL, "unknown compression '%s' (use zstd, gzip, xz, lz4 or none)",
			       name);
	if (epoch && *epoch) {
		errno = 0;
		unsigned long long v = strtoull(epoch, &end, 10);
		const unsigned long long newc_max = 0xffffffffULL;
		if ((errno && errno != ERANGE) || *end || epoch[0] < '0' || epoch[0] > '9')
			return rf_fail(err, -EINVAL, "SOURCE_DATE_EPOCH='%s' is not a number of seconds",
				       epoch);
		/* newc headers hold 32-bit mtimes: a later time cannot be stored (ERANGE too) */
		if (errno == ERANGE || v > newc_max)
			return rf_fail(err, -ERANGE, "SOURCE_DATE_EPOCH=%s is past %llu, the latest "
				       "time a cpio newc header holds (2106-02-07)", epoch, newc_max);
		a->mtime = (time_t)v;
	}
	return 0;
}

/* --lock-timeout SECS: a whole number of seconds; 60 when not given. */
static int lock_timeout(const char *arg, int *secs, struct rf_err *err)
{
	char *end;
	long v;

	*secs = 60;
	if (!arg)
		return 0;
	errno = 0;
	v = strtol(arg, &end, 10);
	if (!isdigit((unsigned char)arg[0]) || errno || *end || v > INT_MAX)
		return rf_fail(err, -EINVAL, "--lock-timeout '%s' is not a number of seconds", arg);
	*secs = (int)v;
	return 0;
}

static uint64_t manifest_bytes(const struct rf_manifest *m)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < m->n; i++)
		sum += m->v[i].size;
	return sum;
}

/* A progress line on a terminal, once the build has run for a second. */
struct progress {
	double start;
	bool shown;
};

static void show_progress(void *data, uint64_t done, uint64_t total)
{
	struct progress *p = data;

	if (!total || rf_now() - p->start < 1.0)
		return;
	fprintf(stderr, "\rramforge: writing image: %3d%% (%llu of %llu MiB)",
		(int)(done * 100 / total), (unsigned long long)(done >> 20),
		(unsigned long long)(total >> 20));
	p->shown = true;
}

/* Write the archive through the installer: nothing replaces IMAGE unless all of it worked. */
static int write_image(const struct rf_manifest *m, const struct rf_archive_opts *a,
		       const struct rf_install_opts *io, struct rf_install_report *rep,
		       struct rf_err *err)
{
	struct rf_install *ins = NULL;
	double t0 = rf_now();
	struct progress p = { .start = t0 };
	struct rf_archive_opts ao = *a;
	int64_t bytes;
	int r = rf_install_begin(&ins, io, err);

	if (r < 0)
		return r;
	if (isatty(STDERR_FILENO) && rf_log_get_level() >= RF_LOG_WARN) {
		ao.progress = show_progress;
		ao.progress_data = &p;
	}
	bytes = rf_archive_write(m, rf_install_fd(ins), &ao, err);
	if (p.shown)
		fputs("\r\033[K", stderr);
	if (bytes < 0)
		return rf_install_fail(ins, (int)bytes, err);
	rf_info("archive: %lld bytes (%s) in %.0f ms", (long long)bytes,
		rf_compress_name(a->compress), (rf_now() - t0) * 1000);
	return rf_install_commit(ins, rep, err);
}

/* -v: which file this build changed, and what became of the old one. */
static void tell_installed(const char *image, const struct rf_install_report *rep)
{
	if (rep->unchanged)
		rf_info("%s is unchanged: the new image is byte-identical; no backup made", image);
	else if (rep->replaced && rep->backup[0])
		rf_info("replaced %s; the old image is now %s", image, rep->backup);
	else if (rep->replaced)
		rf_info("replaced %s (no backup kept)", image);
	else
		rf_info("wrote %s", image);
}

/* -v: what went into the early microcode segment. */
static void tell_microcode(const struct rf_microcode_report *rep)
{
	char cpu[128] = "";

	if (rep->cpu_read)
		snprintf(cpu, sizeof(cpu), " for this host's CPU (%s family %u model %u stepping %u)",
			 rep->cpu.vendor_id, rep->cpu.family, rep->cpu.model, rep->cpu.stepping);
	if (rep->bytes[0] + rep->bytes[1] == 0)
		rf_info("early microcode: none%s", rep->cpu_read ? cpu :
			" (no files in lib/firmware/intel-ucode or lib/firmware/amd-ucode)");
	else
		rf_info("early microcode%s: %llu bytes uncompressed (GenuineIntel.bin %llu from %zu "
			"file%s, AuthenticAMD.bin %llu from %zu file%s)", cpu,
			(unsigned long long)(rep->bytes[0] + rep->bytes[1]),
			(unsigned long long)rep->bytes[0], rep->files[0], rep->files[0] == 1 ? "" : "s",
			(unsigned long long)rep->bytes[1], rep->files[1], rep->files[1] == 1 ? "" : "s");
}

/* The early microcode segment: early_microcode= or --[no-]early-microcode, for the loaders
 * the target kernel has; in hostonly mode only the blobs of the build host's CPU (its
 * /proc/cpuinfo, under --host-root). */
static int early_microcode(const struct rf_opts *o, const struct rf_select *s,
			   struct rf_manifest *early, struct rf_err *err)
{
	bool want = o->early_microcode >= 0 ? o->early_microcode : s->conf.early_microcode;
	bool hostonly = o->hostonly >= 0 ? o->hostonly : strcmp(s->conf.hostonly, "yes") == 0;
	struct rf_microcode_report rep;
	bool loads[2];
	int r;

	if (!want) {
		rf_info("early microcode: left out (%s)", o->early_microcode == 0 ?
			"--no-early-microcode" : "early_microcode=\"no\"");
		return 0;
	}
	r = rf_microcode_kernel(s->sysroot, s->kver, loads, err);
	if (r >= 0 && !loads[0] && !loads[1]) {
		rf_info("early microcode: left out (%s has no microcode loader: boot/config-%s)",
			s->kver, s->kver);
		return 0;
	}
	if (r >= 0 && !loads[0] != !loads[1])
		rf_info("early microcode: no %s (%s: %s is not set)", loads[0] ? "AuthenticAMD.bin" :
			"GenuineIntel.bin", s->kver, loads[0] ? "CONFIG_MICROCODE_AMD" :
			"CONFIG_MICROCODE_INTEL");
	if (r >= 0)
		r = rf_microcode_collect(s->sysroot, hostonly ? (o->host_root ? o->host_root : "/")
					 : NULL, loads, early, &rep, err);
	if (r >= 0)
		tell_microcode(&rep);
	return r;
}

/* The chosen bundles' steps and files; the crypt bundle reads the sysroot's crypttab. */
static int bundles_out(const struct rf_select *s, struct rf_crypttab *ct, struct rf_bundle_out *bo,
		       struct rf_err *err)
{
	const struct rf_bundle *crypt = rf_bundles_find(&s->bundles, "crypt");
	int r = crypt && crypt->chosen ? rf_crypttab_read(ct, s->sysroot, err) : 0;

	return r < 0 ? r : rf_bundle_out_make(&s->bundles, ct, s->hostonly, &s->stack, bo, err);
}

/* -v: the firmware's part of the image (a generic image's can be most of it). */
static void tell_firmware(const struct rf_firmware *fw, bool on, const struct rf_manifest *m)
{
	uint64_t all = manifest_bytes(m);

	if (!on) {
		rf_info("firmware: left out (--no-firmware or firmware=\"no\")");
		return;
	}
	size_t n = fw->n - fw->nmissing;

	rf_info("firmware: %zu file%s, %llu bytes (%.1f MiB), %.1f%% of the image's %.1f MiB "
		"before compression; %zu not installed", n, n == 1 ? "" : "s",
		(unsigned long long)fw->bytes, (double)fw->bytes / (1 << 20),
		all ? (double)fw->bytes * 100 / (double)all : 0.0, (double)all / (1 << 20),
		fw->nmissing);
	for (size_t i = 0; i < fw->n; i++) {
		const struct rf_fw_file *f = &fw->v[i];

		if (!f->missing)
			rf_debug("firmware %s for %s: %llu bytes%s%s", f->name, f->module,
				 (unsigned long long)f->size, f->target ? ", a link to " : "",
				 f->target ? f->target : "");
	}
}

static int build(const struct rf_opts *o, int lock_secs, char **built, struct rf_err *err)
{
	struct rf_firmware fw = { 0 };
	struct rf_crypttab ct = { 0 };
	struct rf_bundle_out bo = { 0 };
	struct rf_select s = { 0 };
	struct rf_modset set = { 0 };
	struct rf_signin signin = { 0 };
	struct rf_manifest m = { 0 }, early = { 0 };
	struct rf_archive_opts a = { 0 };
	enum rf_comp modfmt = RF_COMP_NONE;
	struct rf_install_opts io = { 0 };
	struct rf_install_report rep;
	struct rf_recorder *rc = NULL;
	char *image = NULL, *init = NULL;
	double t0 = rf_now();
	struct rf_select_opts so = rf_opts_selection(o, NULL);
	int r;

	/* from here on, every input the stages read is recorded (recorder.h) */
	r = rf_recorder_start(&rc, o->sysroot ? o->sysroot : "/", o->host_root);
	if (r < 0)
		rf_fail(err, r, "%s: %s", o->sysroot ? o->sysroot : "/", strerror(-r));
	if (r >= 0)
		r = rf_select_init(&s, &so, err);
	if (r >= 0)
		r = archive_opts(&a, o, &s.conf, err);
	s.sel.graph = true;
	if (r >= 0)
		r = rf_closure_resolve(&s.sel, &s.reqs, &set, err);
	if (r >= 0)
		r = bundles_out(&s, &ct, &bo, err);
	if (r >= 0)
		r = early_microcode(o, &s, &early, err);
	a.early = &early;
	if (r < 0)
		goto out;
	for (size_t i = 0; i < s.warnings.n; i++)
		rf_warn("%s", s.warnings.v[i]);
	for (size_t i = 0; i < set.warnings.n; i++)
		rf_warn("%s", set.warnings.v[i]);
	rf_info("closure: %zu modules for %s in %.1f ms", set.n, set.kver, (rf_now() - t0) * 1000);
	r = rf_build_signatures(o, &s, &set, &signin, err);
	if (r < 0)
		goto out;
	t0 = rf_now();
	bool firmware = s.conf.firmware && !o->no_firmware;
	if (firmware && (r = rf_firmware_find(&fw, &set, s.sysroot, &s.conf.add_firmware, err)) < 0)
		goto out;
	image = o->args.n ? strdup(o->args.v[0]) : rf_default_image(s.sysroot, s.kver, s.conf.image);
	init = find_init(o->init);
	struct rf_image_inputs in = { .sysroot = s.sysroot, .init_path = init,
				      .steps = bo.steps, .nsteps = bo.nsteps,
				      .firmware = firmware ? &fw : NULL };
	r = image && init ? rf_build_modpack_names(o, &s, &a, &set, &modfmt, err) : -ENOMEM;
	if (r >= 0)
		r = rf_image_compose(&set, &in, &m, err);
	if (r >= 0) /* the modules signed on the way in: their new bytes */
		r = rf_signin_add(&signin, &set, &m);
	if (r >= 0) /* the bundles' programs with their libraries, configuration, key files */
		r = rf_bundle_out_add_files(&bo, s.sysroot, &m, NULL, err);
	if (r >= 0) /* ramforge.conf's install_items, with their libraries */
		r = rf_items_add_conf(&m, s.sysroot, &s.conf.install_items, "install_items",
				      RF_ITEM_REQUIRED, NULL, err);
	if (r >= 0) /* the modules compressed one by one into the uncompressed segment */
		r = rf_build_modpack_move(o, &s, &set, modfmt, &m, &early, err);
	if (r >= 0) {
		const struct rf_manifest *const parts[] = { &m, &early, NULL };

		r = rf_build_record_add(rc, o, set.kver, set.kmoddir, parts, &m, err);
	}
	if (r < 0)
		goto out;
	rf_manifest_sort(&m);
	rf_manifest_sort(&early);
	r = rf_manifest_move_first(&m, RF_RECORD_PATH); /* status reads it without unpacking */
	if (r < 0) {
		rf_fail(err, r, "%s", strerror(-r));
		goto out;
	}
	rf_info("manifest: %zu entries, %.1f MiB in %.1f ms", m.n,
		(double)manifest_bytes(&m) / (1 << 20), (rf_now() - t0) * 1000);
	tell_firmware(&fw, firmware, &m);
	if (a.compress == RF_COMPRESS_ZSTD && a.level < 0 && manifest_bytes(&m) < RF_ZSTD_SMALL_INPUT)
		a.level = RF_ZSTD_LEVEL_SMALL;
	io = (struct rf_install_opts){ .image = image, .force = o->force, .backup = !o->no_backup,
				       .keep = s.conf.backups, .lock_timeout = lock_secs,
				       /* zstd packs modules about 4:1; none packs nothing */
				       .size_hint = manifest_bytes(&early) + manifest_bytes(&m) /
						    (a.compress == RF_COMPRESS_NONE ? 1 : 4) };
	r = write_image(&m, &a, &io, &rep, err);
	if (r >= 0)
		tell_installed(image, &rep);
	if (r >= 0 && built)
		*built = image, image = NULL;
out:
	if (r < 0 && !err->msg[0])
		rf_fail(err, r, "build failed: %s", strerror(-r));
	rf_recorder_free(rc);
	free(image);
	free(init);
	rf_manifest_free(&m);
	rf_manifest_free(&early);
	rf_signin_free(&signin);
	rf_modset_free(&set);
	rf_firmware_free(&fw);
	rf_bundle_out_free(&bo);
	rf_crypttab_free(&ct);
	rf_select_free(&s);
	return r;
}

/* --if-stale: whether image must be built; a check that fails for another reason than a
 * missing image or record says why under -v, and the build goes on. */
static bool needs_build(const struct rf_opts *o, const char *image)
{
	struct rf_strv diffs = { 0 };
	struct rf_err err = { "" };
	int r = access(image, F_OK) == 0 ? rf_status_check(o, image, &diffs, &err) : -ENOENT;

	if (r == RF_STATUS_UP_TO_DATE)
		rf_info("%s: up to date", image);
	else if (r == RF_STATUS_STALE)
		rf_info("%s: stale (%s%s)", image, diffs.v[0], diffs.n > 1 ? ", ..." : "");
	else if (r == -ENOENT)
		rf_info("%s: not there yet", image);
	else
		rf_info("%s", err.msg);
	rf_strv_clear(&diffs);
	return r != RF_STATUS_UP_TO_DATE;
}

int rf_build_kernel(const struct rf_opts *o, int lock_secs, char **image, bool *up_to_date,
		    struct rf_err *err)
{
	int r = o->if_stale ? rf_status_image(o, image, err) : 0;

	*up_to_date = false;
	if (r >= 0 && o->if_stale && !needs_build(o, *image)) {
		*up_to_date = true;
		return 0;
	}
	if (o->if_stale) {
		free(*image);
		*image = NULL;
	}
	return r < 0 ? r : build(o, lock_secs, image, err);
}

int rf_cmd_build(int argc, char **argv)
{
	struct rf_opts o = { 0 };
	struct rf_err err = { "" };
	int lock_secs = 0, r = rf_opts_parse(&o, argc, argv,
					     RF_OPT_SELECTION | RF_OPT_BUILD | RF_OPT_REGEN, &err);
	char *image = NULL;
	bool usage, fresh;

	if (r >= 0 && !o.help)
		r = lock_timeout(o.lock_timeout, &lock_secs, &err);
	if (r >= 0 && o.parallel && !o.regenerate_all)
		r = rf_fail(&err, -EINVAL, "--parallel goes with --regenerate-all");
	usage = r < 0;

	if (r >= 0 && o.help) {
		fputs(help_head, stdout);
		fputs(rf_selection_help, stdout);
		fputs(help_tail, stdout);
	} else {
		rf_opts_apply_verbosity(&o);
		if (r >= 0 && o.regenerate_all)
			r = rf_build_all(&o, lock_secs, &err);
		else if (r >= 0)
			r = rf_build_kernel(&o, lock_secs, &image, &fresh, &err);
		if (r < 0)
			rf_error("%s", err.msg);
	}
	free(image);
	rf_opts_free(&o);
	return r < 0 ? (usage ? 2 : 1) : r;
}
