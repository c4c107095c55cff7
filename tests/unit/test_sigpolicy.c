// SPDX-License-Identifier: MIT
/* The signature policy: require_signed yes/no/auto, auto from a sysroot's boot/config-KVER and
 * etc/kernel/cmdline and from the running kernel's /sys (a fake host root), in temp dirs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "closure.h"
#include "log.h"
#include "modsig.h"
#include "sigcheck.h"
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

/* --- The findings: a module set made here, its files signed with keys made here --- */

static char keydir[300];

/* Key pairs a, b, c in keydir (DER certificates). */
static bool make_keys(void)
{
	char cmd[1200];

	snprintf(keydir, sizeof(keydir), "%s", fresh());
	snprintf(cmd, sizeof(cmd), "cd %s && for k in a b c; do openssl req -x509 -new -nodes "
		 "-newkey rsa:2048 -subj /CN=key-$k -days 2 -outform DER -out $k.der -keyout $k.priv "
		 "2>/dev/null && chmod 600 $k.priv || exit 1; done", keydir);
	return system(cmd) == 0;
}

/* Write the module DIR/rel: body, signed with key k ('a', 'b', 'c') unless k is 0. */
static void put_module(const char *dir, const char *rel, const char *body, char k)
{
	char key[400], cert[400], path[700];
	struct rf_signer *s = NULL;
	struct rf_err err = { "" };
	unsigned char *out = NULL;
	size_t n = strlen(body);

	put(dir, rel, "");
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (k) {
		snprintf(key, sizeof(key), "%s/%c.priv", keydir, k);
		snprintf(cert, sizeof(cert), "%s/%c.der", keydir, k);
		if (rf_signer_load(&s, key, cert, "sha256", &err) < 0 ||
		    rf_modsig_sign(s, (const unsigned char *)body, n, &out, &n, &err) < 0)
			fprintf(stderr, "signing %s: %s\n", rel, err.msg);
		rf_signer_free(s);
	}
	FILE *f = fopen(path, "w");
	if (f) {
		fwrite(out ? (const void *)out : body, 1, n, f);
		fclose(f);
	}
	free(out);
}

/* Add module name at rel (NULL: builtin) to set, its signature parsed from the file. */
static void add_module(struct rf_modset *set, const char *name, const char *rel)
{
	struct rf_module *m;
	unsigned char buf[65536];
	char path[700];
	size_t n = 0;
	FILE *f;

	rf_grow(&set->mods, &set->cap, set->n, sizeof(set->mods[0]), 8);
	m = &set->mods[set->n++];
	*m = (struct rf_module){ .name = strdup(name), .path = rel ? strdup(rel) : NULL,
				 .why = strdup("requested"), .builtin = !rel };
	if (!rel)
		return;
	snprintf(path, sizeof(path), "%s/%s", set->kmoddir, rel);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
	}
	rf_modsig_parse(buf, n, &m->info.sig);
}

static const struct rf_sigstatus *status_of(const struct rf_modset *set,
					    const struct rf_sigcheck *c, const char *name)
{
	long i = rf_modset_find(set, name);

	return i >= 0 && (size_t)i < c->n ? &c->v[i] : NULL;
}

static struct rf_strv logged;

static void collect(void *data, enum rf_log_level level, const char *msg)
{
	(void)data;
	rf_strv_pushf(&logged, "%s%s", level == RF_LOG_WARN ? "warning: " : "", msg);
}

static void test_findings(void)
{
	struct rf_modset set = { 0 };
	struct rf_sigpolicy p = { 0 };
	struct rf_sigcheck c = { 0 };
	struct rf_err err = { "" };
	char certa[400], body[420];
	struct rf_strv certs = { 0 };
	const struct rf_sigstatus *st;
	int r;

	if (!make_keys()) {
		TAP_CHECK(0, "openssl req could not make the test keys");
		return;
	}
	set.kver = strdup(KVER);
	set.kmoddir = strdup(fresh());
	/* the tree's key is b: three of the four kernel/ modules */
	put_module(set.kmoddir, "kernel/x.ko", "in-tree x", 'b');
	put_module(set.kmoddir, "kernel/y.ko", "in-tree y", 'b');
	put_module(set.kmoddir, "kernel/z.ko", "in-tree z", 'b');
	put_module(set.kmoddir, "kernel/odd.ko", "in-tree but signed by c", 'c');
	put_module(set.kmoddir, "extra/trusted.ko", "signed by a", 'a');
	put_module(set.kmoddir, "extra/samekey.ko", "signed by b outside kernel/", 'b');
	put_module(set.kmoddir, "extra/foreign.ko", "signed by c", 'c');
	put_module(set.kmoddir, "extra/plain.ko", "no signature", 0);
	put_module(set.kmoddir, "extra/tampered.ko", "signed by a, then changed", 'a');
	put(set.kmoddir, "extra/broken.ko", "xx" RF_MODSIG_MAGIC);
	char path[700];
	snprintf(path, sizeof(path), "%s/extra/tampered.ko", set.kmoddir);
	FILE *f = fopen(path, "r+");
	if (f) {
		fputc('S', f);
		fclose(f);
	}
	add_module(&set, "x", "kernel/x.ko");
	add_module(&set, "y", "kernel/y.ko");
	add_module(&set, "z", "kernel/z.ko");
	add_module(&set, "odd", "kernel/odd.ko");
	add_module(&set, "trusted", "extra/trusted.ko");
	add_module(&set, "samekey", "extra/samekey.ko");
	add_module(&set, "foreign", "extra/foreign.ko");
	add_module(&set, "plain", "extra/plain.ko");
	add_module(&set, "tampered", "extra/tampered.ko");
	add_module(&set, "broken", "extra/broken.ko");
	add_module(&set, "built", NULL);

	snprintf(certa, sizeof(certa), "%s/a.der", keydir);
	rf_strv_push(&certs, certa);
	struct rf_sigpolicy_opts o = { .require = "yes", .sysroot = set.kmoddir, .kver = KVER,
				       .running_kver = "x", .certs = &certs };
	r = rf_sigpolicy_resolve(&p, &o, &err);
	TAP_CHECK(r == 0, "policy with a trusted certificate (%s)", err.msg);
	r = rf_sigcheck_run(&set, &p, NULL, &c, &err);
	TAP_CHECK(r == 0 && c.n == set.n, "the check runs over every module (%s)", err.msg);
	st = status_of(&set, &c, "x");
	TAP_CHECK(st && !st->problem && strcmp(st->trust, "in-tree") == 0,
		  "a kernel/ module signed by the tree's key: in-tree");
	st = status_of(&set, &c, "samekey");
	TAP_CHECK(st && !st->problem && strcmp(st->trust, "in-tree") == 0,
		  "a module outside kernel/ signed by the tree's key: in-tree");
	st = status_of(&set, &c, "odd");
	TAP_CHECK(st && st->problem && strstr(st->problem, "signed by 'key-c' (key ") &&
		  strstr(st->problem, "), not a trusted key"),
		  "a kernel/ module signed by another key: %s", st ? st->problem : "");
	snprintf(body, sizeof(body), "cert:%s", certa);
	st = status_of(&set, &c, "trusted");
	TAP_CHECK(st && !st->problem && strcmp(st->trust, body) == 0,
		  "signed by the trusted certificate's key and verified: %s", st ? st->trust : "");
	st = status_of(&set, &c, "foreign");
	TAP_CHECK(st && st->problem && strcmp(st->trust, "untrusted") == 0 &&
		  strstr(st->problem, "signed by 'key-c'"), "a foreign key: %s", st ? st->problem : "");
	st = status_of(&set, &c, "plain");
	TAP_CHECK(st && st->problem && strcmp(st->problem, "unsigned") == 0 &&
		  strcmp(st->trust, "unsigned") == 0, "no signature: unsigned");
	st = status_of(&set, &c, "tampered");
	TAP_CHECK(st && st->problem && strncmp(st->problem, "signature does not verify: ", 27) == 0 &&
		  st->why && strcmp(st->trust, "untrusted") == 0,
		  "a trusted key's signature over other bytes: %s", st ? st->problem : "");
	st = status_of(&set, &c, "broken");
	TAP_CHECK(st && st->problem && strncmp(st->problem, "malformed signature: ", 21) == 0 &&
		  strcmp(st->trust, "malformed") == 0, "a malformed trailer: %s", st ? st->problem : "");
	st = status_of(&set, &c, "built");
	TAP_CHECK(st && !st->trust && !st->problem, "a builtin has nothing to check");
	TAP_CHECK(c.nfail == 5, "5 modules would not load (%zu)", c.nfail);

	/* the verdict: required, one line naming the first and counting the others */
	r = rf_sigcheck_verdict(&set, &c, &p, &err);
	char want[1000];
	snprintf(want, sizeof(want), "module odd (%s/kernel/odd.ko): signed by 'key-c'", set.kmoddir);
	TAP_CHECK(r == -EKEYREJECTED && strncmp(err.msg, want, strlen(want)) == 0,
		  "required: refused, the first module named with its path: %s", err.msg);
	TAP_CHECK(strstr(err.msg, "; and 4 more: foreign, plain, tampered, broken; signatures are "
			 "required (--require-signed=yes)") != NULL, "the others counted and named");
	TAP_CHECK(strchr(err.msg, '\n') == NULL, "one line");

	/* off, the kernel checks signatures: warnings, one per module */
	p.require = false;
	p.warn = true;
	rf_log_set_fn(collect, NULL);
	r = rf_sigcheck_verdict(&set, &c, &p, &err);
	rf_log_set_fn(NULL, NULL);
	TAP_CHECK(r == 0 && logged.n == 5, "off with CONFIG_MODULE_SIG: 5 warnings (%zu)", logged.n);
	TAP_CHECK(logged.n && strstr(logged.v[0], "warning: module odd (") &&
		  strstr(logged.v[0], "a kernel that enforces signatures will not load it"),
		  "a warning names the module and why: %s", logged.n ? logged.v[0] : "");
	rf_strv_clear(&logged);
	p.warn = false;
	rf_log_set_fn(collect, NULL);
	r = rf_sigcheck_verdict(&set, &c, &p, &err);
	rf_log_set_fn(NULL, NULL);
	TAP_CHECK(r == 0 && logged.n == 0, "off, the kernel does not check: quiet");
	rf_sigcheck_free(&c);

	/* many failing modules: the line stays within its size, the count exact */
	for (int i = 0; i < 200; i++) {
		char name[64];
		snprintf(name, sizeof(name), "unsigned_module_with_a_long_name_%03d", i);
		add_module(&set, name, "extra/plain.ko");
	}
	p.require = true;
	r = rf_sigcheck_run(&set, &p, NULL, &c, &err);
	r = r < 0 ? r : rf_sigcheck_verdict(&set, &c, &p, &err);
	TAP_CHECK(r == -EKEYREJECTED && strstr(err.msg, "; and 204 more: foreign, plain,") &&
		  strstr(err.msg, ", ...; signatures are required"),
		  "205 failing: counted, the names cut with '...': %s", err.msg);
	rf_sigcheck_free(&c);
	rf_sigpolicy_free(&p);
	rf_strv_clear(&certs);
	rf_modset_free(&set);
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
	test_findings();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", tmp);
	return tap_done();
}
