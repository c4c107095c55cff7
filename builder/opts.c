// SPDX-License-Identifier: MIT
/* Command-line parsing for the subcommands; see opts.h. */
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "archive.h"
#include "log.h"
#include "modpack.h"

enum {
	O_KMODDIR = 256, O_SYSROOT, O_NO_MODLOAD, O_NO_BACKUP, O_COMPRESS, O_EXPLAIN, O_MODULES, O_INIT,
	O_GENERIC, O_HOSTONLY, O_HOST_ROOT, O_DRIVERS, O_LOCK_TIMEOUT, O_ADD_BUNDLES, O_OMIT_BUNDLES,
	O_BINARIES, O_SIGNATURES, O_REQUIRE_SIGNED, O_TRUSTED_CERT, O_SIGN_KEY, O_SIGN_CERT,
	O_NO_FIRMWARE, O_EARLY_UCODE, O_NO_EARLY_UCODE, O_HASH, O_KEY, O_CERT,
	O_IF_STALE, O_REGEN_ALL, O_PARALLEL, O_MODULE_COMPRESS, O_CACHE, O_NO_CACHE,
	O_FILE, O_UNPACK, O_DEVICES, /* ls */
};

struct opt_def {
	struct option opt;
	unsigned group;
};

static const struct opt_def defs[] = {
	{ { "kver", required_argument, NULL, 'k' }, RF_OPT_SELECTION },
	{ { "kmoddir", required_argument, NULL, O_KMODDIR }, RF_OPT_SELECTION },
	{ { "sysroot", required_argument, NULL, O_SYSROOT }, RF_OPT_SELECTION },
	{ { "add-drivers", required_argument, NULL, 'a' }, RF_OPT_SELECTION },
	{ { "omit-drivers", required_argument, NULL, 'o' }, RF_OPT_SELECTION },
	{ { "no-modules-load", no_argument, NULL, O_NO_MODLOAD }, RF_OPT_SELECTION },
	{ { "drivers", required_argument, NULL, O_DRIVERS }, RF_OPT_SELECTION },
	{ { "generic", no_argument, NULL, O_GENERIC }, RF_OPT_SELECTION },
	{ { "hostonly", no_argument, NULL, O_HOSTONLY }, RF_OPT_SELECTION },
	{ { "host-root", required_argument, NULL, O_HOST_ROOT }, RF_OPT_SELECTION },
	{ { "add-bundles", required_argument, NULL, O_ADD_BUNDLES }, RF_OPT_SELECTION },
	{ { "omit-bundles", required_argument, NULL, O_OMIT_BUNDLES }, RF_OPT_SELECTION },
	{ { "require-signed", optional_argument, NULL, O_REQUIRE_SIGNED }, RF_OPT_SELECTION },
	{ { "trusted-cert", required_argument, NULL, O_TRUSTED_CERT }, RF_OPT_SELECTION | RF_OPT_LS },
	{ { "no-firmware", no_argument, NULL, O_NO_FIRMWARE }, RF_OPT_SELECTION },
	{ { "force", no_argument, NULL, 'f' }, RF_OPT_BUILD | RF_OPT_SIGN },
	{ { "sign-key", required_argument, NULL, O_SIGN_KEY }, RF_OPT_BUILD },
	{ { "sign-cert", required_argument, NULL, O_SIGN_CERT }, RF_OPT_BUILD },
	{ { "early-microcode", no_argument, NULL, O_EARLY_UCODE }, RF_OPT_BUILD },
	{ { "no-early-microcode", no_argument, NULL, O_NO_EARLY_UCODE }, RF_OPT_BUILD },
	{ { "hash", required_argument, NULL, O_HASH }, RF_OPT_SIGN },
	{ { "key", required_argument, NULL, O_KEY }, RF_OPT_SIGN },
	{ { "cert", required_argument, NULL, O_CERT }, RF_OPT_SIGN },
	{ { "no-backup", no_argument, NULL, O_NO_BACKUP }, RF_OPT_BUILD },
	{ { "compress", required_argument, NULL, O_COMPRESS }, RF_OPT_BUILD },
	{ { "module-compress", required_argument, NULL, O_MODULE_COMPRESS }, RF_OPT_BUILD },
	{ { "cache", required_argument, NULL, O_CACHE }, RF_OPT_BUILD },
	{ { "no-cache", no_argument, NULL, O_NO_CACHE }, RF_OPT_BUILD },
	{ { "init", required_argument, NULL, O_INIT }, RF_OPT_BUILD },
	{ { "lock-timeout", required_argument, NULL, O_LOCK_TIMEOUT }, RF_OPT_BUILD },
	{ { "if-stale", no_argument, NULL, O_IF_STALE }, RF_OPT_REGEN },
	{ { "regenerate-all", no_argument, NULL, O_REGEN_ALL }, RF_OPT_REGEN },
	{ { "parallel", required_argument, NULL, O_PARALLEL }, RF_OPT_REGEN },
	{ { "explain", no_argument, NULL, O_EXPLAIN }, RF_OPT_EXPLAIN },
	{ { "modules", no_argument, NULL, O_MODULES }, RF_OPT_LS },
	{ { "binaries", no_argument, NULL, O_BINARIES }, RF_OPT_LS },
	{ { "signatures", no_argument, NULL, O_SIGNATURES }, RF_OPT_LS },
	{ { "file", required_argument, NULL, O_FILE }, RF_OPT_LS },
	{ { "unpack", required_argument, NULL, O_UNPACK }, RF_OPT_LS },
	{ { "devices", no_argument, NULL, O_DEVICES }, RF_OPT_LS },
	{ { "verbose", no_argument, NULL, 'v' }, 0 },
	{ { "quiet", no_argument, NULL, 'q' }, 0 },
	{ { "help", no_argument, NULL, 'h' }, 0 },
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

static int accepted(const struct opt_def *d, unsigned accept)
{
	return d->group == 0 || (d->group & accept);
}

static int apply(struct rf_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'k': o->kver = arg; return 0;
	case O_KMODDIR: o->kmoddir = arg; return 0;
	case O_SYSROOT: o->sysroot = arg; return 0;
	case 'a': return rf_strv_split_words(&o->add, arg);
	case 'o': return rf_strv_split_words(&o->omit, arg);
	case O_NO_MODLOAD: o->no_modules_load = true; return 0;
	case O_DRIVERS: o->drivers_only = true; return rf_strv_split_words(&o->add, arg);
	case O_GENERIC: o->hostonly = 0; return 0;
	case O_HOSTONLY: o->hostonly = 1; return 0;
	case O_HOST_ROOT: o->host_root = arg; return 0;
	case O_ADD_BUNDLES: return rf_strv_split_words(&o->add_bundles, arg);
	case O_OMIT_BUNDLES: return rf_strv_split_words(&o->omit_bundles, arg);
	case 'f': o->force = true; return 0;
	case O_NO_BACKUP: o->no_backup = true; return 0;
	case O_COMPRESS: o->compress = arg; return 0;
	case O_MODULE_COMPRESS: o->module_compress = arg; return 0;
	case O_CACHE: o->cache = arg; return 0;
	case O_NO_CACHE: o->no_cache = true; return 0;
	case O_INIT: o->init = arg; return 0;
	case O_LOCK_TIMEOUT: o->lock_timeout = arg; return 0;
	case O_EXPLAIN: o->explain = true; return 0;
	case O_MODULES: o->modules = true; return 0;
	case O_BINARIES: o->binaries = true; return 0;
	case O_SIGNATURES: o->signatures = true; return 0;
	case O_REQUIRE_SIGNED: o->require_signed = arg ? arg : "yes"; return 0;
	case O_TRUSTED_CERT: return rf_strv_push(&o->trusted_certs, arg);
	case O_SIGN_KEY: o->sign_key = arg; return 0;
	case O_SIGN_CERT: o->sign_cert = arg; return 0;
	case O_NO_FIRMWARE: o->no_firmware = true; return 0;
	case O_EARLY_UCODE: o->early_microcode = 1; return 0;
	case O_NO_EARLY_UCODE: o->early_microcode = 0; return 0;
	case O_HASH: o->hash = arg; return 0;
	case O_KEY: o->key = arg; return 0;
	case O_CERT: o->cert = arg; return 0;
	case O_IF_STALE: o->if_stale = true; return 0;
	case O_REGEN_ALL: o->regenerate_all = true; return 0;
	case O_PARALLEL: o->parallel = arg; return 0;
	case O_FILE: o->file = arg; return 0;
	case O_UNPACK: o->unpack = arg; return 0;
	case O_DEVICES: o->devices = true; return 0;
	case 'v': o->verbose++; return 0;
	case 'q': o->quiet = true; return 0;
	case 'h': o->help = true; return 0;
	}
	return -EINVAL;
}

static const struct opt_def *find_def(int c)
{
	for (size_t i = 0; i < NDEFS; i++)
		if (defs[i].opt.val == c)
			return &defs[i];
	return NULL;
}

/* Values that are wrong whatever else is given: usage errors, found before any work. */
static int check_value(int c, const char *arg, const char *cmd, struct rf_err *err)
{
	enum rf_compress comp;
	enum rf_modpack_mode mode;
	struct rf_quoted q;

	switch (c) {
	case 'k':
		if (!arg[0] || strchr(arg, '/') || strcmp(arg, ".") == 0 || strcmp(arg, "..") == 0)
			return rf_fail(err, -EINVAL, "%s: invalid kernel version '%s' (see `ramforge %s --help`)",
				       cmd, rf_quote_prefix(&q, arg), cmd);
		return 0;
	case O_COMPRESS:
		if (rf_compress_parse(arg, &comp) < 0)
			return rf_fail(err, -EINVAL, "%s: unknown compression '%s' (use zstd, gzip, xz, lz4 or none)",
				       cmd, rf_quote_prefix(&q, arg));
		return 0;
	case O_MODULE_COMPRESS:
		if (rf_modpack_parse(arg, &mode) < 0)
			return rf_fail(err, -EINVAL, "%s: --module-compress='%s': expected auto, zstd, xz or no",
				       cmd, rf_quote_prefix(&q, arg));
		return 0;
	case O_REQUIRE_SIGNED:
		if (strcmp(arg, "yes") && strcmp(arg, "no") && strcmp(arg, "auto"))
			return rf_fail(err, -EINVAL, "%s: --require-signed='%s': expected yes, no or auto",
				       cmd, rf_quote_prefix(&q, arg));
		return 0;
	case O_KMODDIR:
	case O_SYSROOT:
	case O_INIT:
	case O_HOST_ROOT:
	case O_TRUSTED_CERT:
	case O_SIGN_KEY:
	case O_SIGN_CERT:
	case O_KEY:
	case O_CERT:
	case O_CACHE:
	case O_FILE:
	case O_UNPACK:
		if (!arg[0])
			return rf_fail(err, -EINVAL, "%s: an empty path for '--%s' (see `ramforge %s --help`)",
				       cmd, find_def(c)->opt.name, cmd);
		return 0;
	}
	return 0;
}

int rf_opts_parse(struct rf_opts *o, int argc, char **argv, unsigned accept, struct rf_err *err)
{
	struct option longs[NDEFS + 1];
	/* Leading ':' tells a missing value from an unknown option; options may follow names. */
	const char *shorts = accept & RF_OPT_LS ? ":k:a:o:f:vqh" : ":k:a:o:fvqh"; /* ls -f FILE */
	int c, r;

	memset(longs, 0, sizeof(longs));
	o->hostonly = -1;
	o->early_microcode = -1;
	for (size_t i = 0; i < NDEFS; i++)
		longs[i] = defs[i].opt;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const struct opt_def *d = find_def(c = c == 'f' && (accept & RF_OPT_LS) ? O_FILE : c);

		if (c == '?' || c == ':' || !d)
			return rf_fail(err, -EINVAL, "%s: %s '%s' (see `ramforge %s --help`)", argv[0],
				       c == ':' ? "missing value for" : "unknown option",
				       argv[optind - 1], argv[0]);
		if (!accepted(d, accept))
			return rf_fail(err, -EINVAL, "%s: option '%s' does not apply here (see `ramforge %s --help`)",
				       argv[0], argv[optind - 1], argv[0]);
		if (optarg && (r = check_value(c, optarg, argv[0], err)) < 0)
			return r;
		r = apply(o, c, optarg);
		if (r < 0)
			return rf_fail(err, r, "out of memory");
	}
	for (int i = optind; i < argc; i++)
		if ((r = rf_strv_push(&o->args, argv[i])) < 0)
			return rf_fail(err, r, "out of memory");
	/* build's one positional argument is IMAGE; only build takes the build options. */
	if ((accept & RF_OPT_BUILD) && o->args.n > 1)
		return rf_fail(err, -EINVAL, "build takes one IMAGE, got %zu arguments (see `ramforge "
			       "build --help`)", o->args.n);
	return 0;
}

void rf_opts_free(struct rf_opts *o)
{
	rf_strv_clear(&o->add);
	rf_strv_clear(&o->omit);
	rf_strv_clear(&o->add_bundles);
	rf_strv_clear(&o->omit_bundles);
	rf_strv_clear(&o->args);
	rf_strv_clear(&o->trusted_certs);
}

struct rf_select_opts rf_opts_selection(const struct rf_opts *o, const struct rf_strv *names)
{
	return (struct rf_select_opts){
		.kver = o->kver, .kmoddir = o->kmoddir, .sysroot = o->sysroot,
		.host_root = o->host_root, .add = &o->add, .omit = &o->omit, .names = names,
		.add_bundles = &o->add_bundles, .omit_bundles = &o->omit_bundles,
		.hostonly = o->hostonly, .drivers_only = o->drivers_only,
		.no_modules_load = o->no_modules_load,
	};
}

void rf_opts_apply_verbosity(const struct rf_opts *o)
{
	if (o->quiet)
		rf_log_set_level(RF_LOG_ERROR);
	else if (o->verbose)
		rf_log_set_level(o->verbose > 1 ? RF_LOG_DEBUG : RF_LOG_INFO);
}

const char rf_selection_help[] =
	"Selection:\n"
	"  -k, --kver KVER           target kernel (default: the running one)\n"
	"      --kmoddir DIR         module tree (default: SYSROOT/lib/modules/KVER)\n"
	"      --sysroot DIR         read etc/modprobe.d, etc/modules-load.d, etc/ramforge.conf\n"
	"                            and etc/ramforge.conf.d under DIR (default: /)\n"
	"  -a, --add-drivers \"A B\"   modules or aliases to include (repeatable)\n"
	"  -o, --omit-drivers \"A B\"  modules never to include (repeatable)\n"
	"      --no-modules-load     ignore modules-load.d\n"
	"      --drivers \"A B\"       exactly these modules (with the config's and modules-load.d's):\n"
	"                            no generic selection, no host probe\n"
	"      --generic             add the generic selection (the default; config hostonly=\"no\"):\n"
	"                            storage, file system and console keyboard drivers\n"
	"      --hostonly            add what this host's root device chain needs instead\n"
	"                            (config hostonly=\"yes\")\n"
	"      --host-root DIR       read the host's proc/ and sys/ under DIR (default: /), for\n"
	"                            tests and image pipelines that describe another machine\n"
	"      --add-bundles \"A B\"   bundles to include: lvm, crypt, mdraid (repeatable; the\n"
	"                            generic selection has each whose tools SYSROOT has, hostonly\n"
	"                            those the root's stack needs; `ramforge bundles` lists them)\n"
	"      --omit-bundles \"A B\"  bundles never to include (repeatable)\n"
	"      --no-firmware         leave out the firmware the modules name (config firmware=)\n"
	"      --require-signed[=yes|no|auto]\n"
	"                            refuse modules the target kernel would not load (default\n"
	"                            auto: yes when it enforces signatures; config require_signed=)\n"
	"      --trusted-cert FILE   a certificate (DER or PEM, e.g. an enrolled MOK) module\n"
	"                            signatures may chain to (repeatable; config trusted_certs+=)\n"
	"\n";
