// SPDX-License-Identifier: MIT
/* `ramforge sign`: sign module files in place the way the kernel's scripts/sign-file does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "kconfig.h"
#include "log.h"
#include "modsig.h"
#include "opts.h"
#include "signfile.h"

static const char help[] =
	"Usage: ramforge sign [--hash ALGO] --key KEY --cert CERT [-k KVER [--sysroot DIR]] [-f]\n"
	"                     MODULE...\n"
	"\n"
	"Append a signature to each MODULE in the kernel's format (PKCS#7, struct\n"
	"module_signature, \"~Module signature appended~\"), byte-identical to what the kernel's\n"
	"scripts/sign-file writes for the same key, certificate, hash and module. A .ko.xz,\n"
	".ko.zst or .ko.gz module is decompressed, signed and compressed again in the same\n"
	"format (xz with a CRC32 check and a 1 MiB dictionary, as kbuild writes them). Each file\n"
	"is replaced atomically (its mode and owner kept); on an error it is left as it was.\n"
	"\n"
	"Options:\n"
	"      --key KEY        the private key (PEM or DER; an encrypted one takes its\n"
	"                       passphrase from KBUILD_SIGN_PIN, as sign-file does). It is read,\n"
	"                       never copied; a key file readable by group or others is warned of\n"
	"      --cert CERT      its X.509 certificate (DER, as the kernel's signing_key.x509, or PEM)\n"
	"      --hash ALGO      the digest: sha256, sha384, sha512, ... (default: the target\n"
	"                       kernel's CONFIG_MODULE_SIG_HASH when -k is given, else sha256)\n"
	"  -k, --kver KVER      the kernel the modules are for: its SYSROOT/boot/config-KVER\n"
	"                       gives the default hash\n"
	"      --sysroot DIR    where boot/config-KVER is (default: /)\n"
	"      --kmoddir DIR    the module tree (SYSROOT/lib/modules/KVER): its root's\n"
	"                       boot/config-KVER is read when --sysroot is not given\n"
	"  -f, --force          replace the signature of a module that is already signed\n"
	"                       (without it, a signed module is an error)\n"
	"  -q, --quiet          no warnings\n"
	"  -v, --verbose        a line per module signed\n"
	"  -h, --help           this text\n"
	"\n"
	"Exit status: 0 when every module was signed; 1 when one was not (one line on stderr per\n"
	"failure: the module and why; the others are still signed); 2 on a usage error.\n";

/* Options of the SELECTION group that mean nothing here. */
static int check_usage(const struct rf_opts *o, struct rf_err *err)
{
	if (o->add.n || o->omit.n || o->add_bundles.n || o->omit_bundles.n || o->hostonly >= 0 ||
	    o->no_modules_load || o->host_root || o->require_signed || o->trusted_certs.n ||
	    o->no_firmware)
		return rf_fail(err, -EINVAL, "sign: only -k, --sysroot and --kmoddir of the selection "
			       "options apply (see `ramforge sign --help`)");
	if (!o->key || !o->cert)
		return rf_fail(err, -EINVAL, "sign: --key KEY and --cert CERT are required (see "
			       "`ramforge sign --help`)");
	if (o->args.n == 0)
		return rf_fail(err, -EINVAL, "sign: no MODULE given (see `ramforge sign --help`)");
	if ((o->sysroot || o->kmoddir) && !o->kver)
		return rf_fail(err, -EINVAL, "sign: --sysroot and --kmoddir need -k KVER");
	return 0;
}

/* --hash, else CONFIG_MODULE_SIG_HASH of -k's kernel, else sha256. *hash may be malloc'd into
 * *owned. */
static int pick_hash(const struct rf_opts *o, const char **hash, char **owned, struct rf_err *err)
{
	char *file;
	int r;

	*hash = o->hash ? o->hash : "sha256";
	if (o->hash || !o->kver)
		return 0;
	if (o->sysroot || !o->kmoddir)
		file = rf_strdupf("%s/boot/config-%s", o->sysroot ? o->sysroot : "", o->kver);
	else
		file = rf_strdupf("%s/../../../boot/config-%s", o->kmoddir, o->kver);
	if (!file)
		return rf_fail(err, -ENOMEM, "sign: %s", strerror(ENOMEM));
	r = rf_kconfig_get(file, "CONFIG_MODULE_SIG_HASH", owned, err);
	if (r == 0)
		rf_warn("%s has no CONFIG_MODULE_SIG_HASH: signing with sha256", file);
	else if (r < 0) {
		struct rf_err why = *err;

		r = rf_fail(err, r, "sign: the hash of kernel %s (or give --hash): %s", o->kver, why.msg);
	}
	else
		*hash = *owned;
	free(file);
	return r < 0 ? r : 0;
}

int rf_cmd_sign(int argc, char **argv)
{
	struct rf_opts o = { 0 };
	struct rf_err err = { "" };
	struct rf_signer *s = NULL;
	const char *hash = NULL;
	char *owned = NULL;
	int r = rf_opts_parse(&o, argc, argv, RF_OPT_SIGN | RF_OPT_SELECTION, &err), failed = 0;
	bool usage;

	if (r >= 0 && o.help) {
		fputs(help, stdout);
		goto out;
	}
	if (r >= 0)
		r = check_usage(&o, &err);
	usage = r < 0;
	rf_opts_apply_verbosity(&o);
	if (r >= 0)
		r = pick_hash(&o, &hash, &owned, &err);
	if (r >= 0)
		r = rf_signer_load(&s, o.key, o.cert, hash, &err);
	if (r < 0) {
		rf_error("%s", err.msg);
		goto out;
	}
	for (size_t i = 0; i < o.args.n; i++) {
		if (rf_sign_file(o.args.v[i], s, o.force, &err) < 0) {
			rf_error("%s", err.msg);
			failed = 1;
		} else {
			rf_info("signed %s (%s)", o.args.v[i], hash);
		}
	}
out:
	rf_signer_free(s);
	free(owned);
	rf_opts_free(&o);
	return r < 0 ? (usage ? 2 : 1) : failed;
}
