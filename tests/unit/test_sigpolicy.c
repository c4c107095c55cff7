// SPDX-License-Identifier: MIT
/* The signature policy: require_signed yes/no/auto, auto from a sysroot's boot/config-KVER and
 * etc/kernel/cmdline and from the running kernel's /sys (a fake host root), in temp dirs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sigpolicy.h"
#include "tap.h"

#define KVER "6.1.0-99-amd64"

static char tmp[] = "/tmp/rf-sigpolicy-XXXXXX";
static int ncase;

/* A fresh empty directory under tmp (static buffer). */
static const char *fresh(void)
{
	static char dir[300];
	char cmd[400];

	snprintf(dir, sizeof(dir), "%s/%d", tmp, ++ncase);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "mkdir %s failed\n", dir);
	return dir;
}

/* Write text to DIR/rel, making its directories. */
static void put(const char *dir, const char *rel, const char *text)
{
	char path[600], cmd[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname %s)\"", path);
	if (system(cmd) != 0)
		fprintf(stderr, "mkdir for %s failed\n", path);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

struct outcome {
	int r;
	bool require, warn;
	char why[300], hash[32], msg[RF_ERR_MAX];
};

static struct outcome resolve(const char *sysroot, const char *host, const char *running,
			      const char *opt, const char *conf)
{
	struct rf_sigpolicy p = { 0 };
	struct rf_sigpolicy_opts o = { .require = opt, .conf_require = conf, .sysroot = sysroot,
				       .kver = KVER, .host_root = host,
				       .running_kver = running ? running : "5.10.0-other" };
	struct rf_err err = { "" };
	struct outcome out = { 0 };

	out.r = rf_sigpolicy_resolve(&p, &o, &err);
	out.require = p.require;
	out.warn = p.warn;
	snprintf(out.why, sizeof(out.why), "%s", p.why ? p.why : "");
	snprintf(out.hash, sizeof(out.hash), "%s", p.hash ? p.hash : "");
	snprintf(out.msg, sizeof(out.msg), "%s", err.msg);
	rf_sigpolicy_free(&p);
	return out;
}

static void test_config(void)
{
	const char *d = fresh();
	struct outcome x = resolve(d, NULL, NULL, NULL, NULL);

	TAP_CHECK(x.r == 0 && !x.require && !x.warn, "auto, nothing in the sysroot: off, no warnings");
	put(d, "boot/config-" KVER, "CONFIG_MODULES=y\nCONFIG_MODULE_SIG=y\n"
	    "# CONFIG_MODULE_SIG_FORCE is not set\nCONFIG_MODULE_SIG_ALL=y\n"
	    "CONFIG_MODULE_SIG_HASH=\"sha512\"\n");
	x = resolve(d, NULL, NULL, NULL, NULL);
	TAP_CHECK(x.r == 0 && !x.require && x.warn, "auto, MODULE_SIG without FORCE: off, warnings");
	TAP_STREQ(x.hash, "sha512", "CONFIG_MODULE_SIG_HASH is read, unquoted");
	put(d, "boot/config-" KVER, "CONFIG_MODULE_SIG=y\nCONFIG_MODULE_SIG_FORCE=y\n");
	x = resolve(d, NULL, NULL, NULL, NULL);
	TAP_CHECK(x.r == 0 && x.require, "auto, CONFIG_MODULE_SIG_FORCE=y: on");
	TAP_STREQ(x.why, "auto: CONFIG_MODULE_SIG_FORCE=y in boot/config-" KVER, "why it is on");
	TAP_CHECK(x.hash[0] == '\0', "no CONFIG_MODULE_SIG_HASH: none");
	x = resolve(d, NULL, NULL, "no", NULL);
	TAP_CHECK(x.r == 0 && !x.require && x.warn, "--require-signed=no wins over SIG_FORCE");
	TAP_STREQ(x.why, "--require-signed=no", "and says so");
	x = resolve(d, NULL, NULL, NULL, "no");
	TAP_CHECK(x.r == 0 && !x.require, "require_signed=no in ramforge.conf wins over SIG_FORCE");
	x = resolve(d, NULL, NULL, "auto", "no");
	TAP_CHECK(x.r == 0 && x.require, "--require-signed=auto wins over the config's no");
	put(d, "boot/config-6.1.0-other", "CONFIG_MODULE_SIG_FORCE=y\n");
	put(d, "boot/config-" KVER, "CONFIG_MODULE_SIG_FORCE_X=y\nCONFIG_MODULE_SIG_FORCE=n\n");
	x = resolve(d, NULL, NULL, NULL, NULL);
	TAP_CHECK(x.r == 0 && !x.require && !x.warn, "another kernel's config and a longer name "
		  "do not count");
	x = resolve(d, NULL, NULL, "yes", NULL);
	TAP_CHECK(x.r == 0 && x.require, "--require-signed=yes: on whatever the files say");
	TAP_STREQ(x.why, "--require-signed=yes", "and says so");
	x = resolve(d, NULL, NULL, NULL, "yes");
	TAP_STREQ(x.why, "require_signed=yes in ramforge.conf", "the config's yes says where");
	x = resolve(d, NULL, NULL, "maybe", NULL);
	TAP_CHECK(x.r == -EINVAL && strstr(x.msg, "maybe"), "a bad value is an error: %s", x.msg);
}

static void test_cmdline(void)
{
	static const struct {
		const char *line;
		bool on;
	} cases[] = {
		{ "root=/dev/vda1 module.sig_enforce=1\tquiet", true },
		{ "module.sig_enforce", true },
		{ "ro module.sig_enforce=Y", true },
		{ "module.sig_enforce=y", true },
		{ "module.sig-enforce=1", true },
		{ "module.sig_enforce=on", true },
		{ "\"module.sig_enforce=1\"", true },
		{ "module.sig_enforce=\"1\"", true },
		{ "module.sig_enforce=1 module.sig_enforce=0", true },
		{ "module.sig_enforce=0", false },
		{ "module.sig_enforce=N", false },
		{ "module.sig_enforce=", false },
		{ "module.sig_enforce=maybe", false },
		{ "xmodule.sig_enforce=1", false },
		{ "module.sig_enforce_x=1", false },
		{ "foo=\"a module.sig_enforce=1\"", false },
		{ "root=/dev/vda -- module.sig_enforce=1", false },
		{ "", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		TAP_CHECK(rf_sigpolicy_cmdline_enforces(cases[i].line) == cases[i].on,
			  "cmdline '%s': %s", cases[i].line, cases[i].on ? "enforces" : "does not");

	const char *d = fresh();
	put(d, "etc/kernel/cmdline", "root=UUID=abcd ro\nmodule.sig_enforce=1\n");
	struct outcome x = resolve(d, NULL, NULL, NULL, NULL);
	TAP_CHECK(x.r == 0 && x.require, "auto, etc/kernel/cmdline with module.sig_enforce=1: on");
	TAP_STREQ(x.why, "auto: module.sig_enforce=1 in etc/kernel/cmdline", "why it is on");
	put(d, "etc/kernel/cmdline", "root=UUID=abcd ro quiet\n");
	x = resolve(d, NULL, NULL, NULL, NULL);
	TAP_CHECK(x.r == 0 && !x.require, "auto, a cmdline without it: off");
	put(d, "etc/kernel/cmdline", "");
	x = resolve(d, NULL, NULL, NULL, NULL);
	TAP_CHECK(x.r == 0 && !x.require, "auto, an empty cmdline: off");
}

static void test_host(void)
{
	const char *sys = fresh();
	char host[300];
	struct outcome x;

	snprintf(host, sizeof(host), "%s", sys);
	put(host, "sys/module/module/parameters/sig_enforce", "Y\n");
	x = resolve("/nonexistent-sysroot", host, KVER, NULL, NULL);
	TAP_CHECK(x.r == 0 && !x.require, "host sig_enforce=Y, a sysroot other than /: not read");
	x = resolve(NULL, host, NULL, NULL, NULL);
	TAP_CHECK(x.r == 0 && !x.require, "host sig_enforce=Y, another KVER: not read");
	x = resolve(NULL, host, KVER, NULL, NULL);
	TAP_CHECK(x.r == 0 && x.require, "host sig_enforce=Y, the running kernel: on");
	TAP_CHECK(strstr(x.why, "sig_enforce is Y") != NULL, "why: %s", x.why);
	x = resolve(NULL, host, KVER, "no", NULL);
	TAP_CHECK(x.r == 0 && !x.require, "host sig_enforce=Y, --require-signed=no: off");
	put(host, "sys/module/module/parameters/sig_enforce", "N\n");
	x = resolve(NULL, host, KVER, NULL, NULL);
	TAP_CHECK(x.r == 0 && !x.require, "host sig_enforce=N: off");
	put(host, "sys/kernel/security/lockdown", "[none] integrity confidentiality\n");
	x = resolve(NULL, host, KVER, NULL, NULL);
	TAP_CHECK(x.r == 0 && !x.require, "lockdown [none]: off");
	put(host, "sys/kernel/security/lockdown", "none [integrity] confidentiality\n");
	x = resolve(NULL, host, KVER, NULL, NULL);
	TAP_CHECK(x.r == 0 && x.require, "lockdown [integrity]: on");
	TAP_CHECK(strstr(x.why, "locked down (integrity") != NULL, "why: %s", x.why);
	put(host, "sys/kernel/security/lockdown", "none integrity [confidentiality]\n");
	x = resolve(NULL, host, KVER, NULL, NULL);
	TAP_CHECK(x.r == 0 && x.require, "lockdown [confidentiality]: on");
	put(host, "sys/kernel/security/lockdown", "none integrity confidentiality\n");
	x = resolve(NULL, host, KVER, NULL, NULL);
	TAP_CHECK(x.r == 0 && !x.require, "lockdown without a selected mode: off");
}

/* Trusted certificates: --trusted-cert and trusted_certs=, DER and PEM; a bad one is an error
 * naming it. The certificates are made here with openssl. */
static void test_certs(void)
{
	const char *d = fresh();
	char cmd[1200], der[400], pem[400], junk[400];
	struct rf_strv opt = { 0 };
	struct rf_conf_list conf = { 0 };
	struct rf_sigpolicy p = { 0 };
	struct rf_err err = { "" };
	int r;

	snprintf(der, sizeof(der), "%s/a.der", d);
	snprintf(pem, sizeof(pem), "%s/b.pem", d);
	snprintf(junk, sizeof(junk), "%s/junk.der", d);
	snprintf(cmd, sizeof(cmd), "cd %s && openssl req -x509 -new -nodes -newkey rsa:2048 "
		 "-subj /CN=a -days 2 -outform DER -out a.der -keyout a.priv 2>/dev/null && "
		 "openssl req -x509 -new -nodes -newkey rsa:2048 -subj /CN=b -days 2 -out b.pem "
		 "-keyout b.priv 2>/dev/null && echo junk > junk.der", d);
	if (system(cmd) != 0) {
		TAP_CHECK(0, "openssl req could not make the test certificates");
		return;
	}
	rf_strv_push(&opt, der);
	rf_conf_list_push(&conf, pem, strlen(pem), "etc/ramforge.conf:1");
	struct rf_sigpolicy_opts o = { .sysroot = d, .kver = KVER, .running_kver = "x",
				       .certs = &opt, .conf_certs = &conf };
	r = rf_sigpolicy_resolve(&p, &o, &err);
	TAP_CHECK(r == 0 && p.certs, "a DER --trusted-cert and a PEM trusted_certs= load (%s)", err.msg);
	rf_sigpolicy_free(&p);
	rf_strv_push(&opt, junk);
	r = rf_sigpolicy_resolve(&p, &o, &err);
	TAP_CHECK(r < 0 && strstr(err.msg, junk), "a file that is no certificate: %s", err.msg);
	rf_sigpolicy_free(&p);
	rf_strv_clear(&opt);
	rf_conf_list_clear(&conf);
}

int main(void)
{
	char cmd[300];

	if (!mkdtemp(tmp)) {
		TAP_CHECK(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	test_config();
	test_cmdline();
	test_host();
	test_certs();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", tmp);
	return tap_done();
}
