// SPDX-License-Identifier: MIT
/* Early microcode: which vendor files go into GenuineIntel.bin and AuthenticAMD.bin, in which
 * order, for every CPU or for the host's (a fake /proc/cpuinfo), and nothing without files. */
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest.h"
#include "microcode.h"
#include "tap.h"

static char top[] = "/tmp/rf-microcode-XXXXXX";

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		printf("# command failed: %s\n", cmd);
}

/* DIR/REL (relative to top) holding TEXT. */
static void put(const char *rel, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	sh("mkdir -p \"$(dirname '%s')\"", path);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static char *at(const char *rel)
{
	static char buf[4][1100];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", top, rel);
	return buf[i];
}

/* A host root HOST whose proc/cpuinfo has two processors, the first one as given. */
static const char *host(const char *name, const char *vendor, int family, int model, int stepping)
{
	char rel[256], text[1024];

	snprintf(text, sizeof(text),
		 "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %d\nmodel\t\t: %d\n"
		 "model name\t: Some CPU @ 2.10GHz\nstepping\t: %d\nmicrocode\t: 0x2006e05\n\n"
		 "processor\t: 1\nvendor_id\t: %s\ncpu family\t: 99\nmodel\t\t: 99\nstepping\t: 99\n\n",
		 vendor, family, model, stepping, vendor);
	snprintf(rel, sizeof(rel), "%s/proc/cpuinfo", name);
	put(rel, text);
	return at(name);
}

/* The manifest's paths, space-separated. */
static const char *paths(const struct rf_manifest *m)
{
	static char out[2048];
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < m->n && n < sizeof(out) - 1; i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", i ? " " : "", m->v[i].path);
	return out;
}

/* The bytes of the entry at path as a string, or "(none)". */
static const char *content(const struct rf_manifest *m, const char *path)
{
	static char out[2][512];
	static int k;
	const struct rf_entry *e = rf_manifest_get(m, path);

	k = !k;
	if (!e)
		return "(none)";
	snprintf(out[k], sizeof(out[k]), "%.*s", (int)e->size, (const char *)e->data);
	return out[k];
}

/* Collect from sysroot SYS (under top) for host HOST (NULL: every CPU); "ERR: msg" on error. */
static const char *collect(const char *sys, const char *host_root, struct rf_manifest *m,
			   struct rf_microcode_report *rep)
{
	static char out[RF_ERR_MAX + 8];
	struct rf_err err = { "" };

	rf_manifest_free(m);
	*m = (struct rf_manifest){ 0 };
	if (rf_microcode_collect(at(sys), host_root, NULL, m, rep, &err) < 0) {
		snprintf(out, sizeof(out), "ERR: %s", err.msg);
		return out;
	}
	return "ok";
}

static void test_every_cpu(void)
{
	struct rf_manifest m = { 0 };
	struct rf_microcode_report rep;

	TAP_STREQ(collect("sys", NULL, &m, &rep), "ok", "collect every CPU's microcode");
	TAP_STREQ(paths(&m), "kernel kernel/x86 kernel/x86/microcode "
		  "kernel/x86/microcode/AuthenticAMD.bin kernel/x86/microcode/GenuineIntel.bin",
		  "exactly the two containers and their directories");
	/* name order: "06-3a-09.initramfs" < "06-55-04" < "0f-04-0a"; README, .asc, dotfiles,
	 * directories and the link out of the sysroot are left out */
	TAP_STREQ(content(&m, RF_MICROCODE_INTEL_PATH), "i063a09i065504i0f040a",
		  "GenuineIntel.bin: every intel-ucode file in name order");
	TAP_STREQ(content(&m, RF_MICROCODE_AMD_PATH), "a-oldera17a19",
		  "AuthenticAMD.bin: every amd-ucode *.bin in name order, nothing else");
	TAP_CHECK(rep.files[0] == 3 && rep.files[1] == 3 && rep.bytes[0] == 21 && rep.bytes[1] == 13,
		  "report: 3 + 3 files, 21 + 13 bytes (got %zu %zu %llu %llu)", rep.files[0],
		  rep.files[1], (unsigned long long)rep.bytes[0], (unsigned long long)rep.bytes[1]);
	TAP_CHECK(!rep.cpu_read, "no CPU read for an image for every CPU");
	TAP_CHECK(m.v[3].type == RF_ENTRY_BYTES && (m.v[3].mode & 07777) == 0644 &&
		  m.v[0].type == RF_ENTRY_DIR, "containers are 0644 files, kernel/ a directory");
	rf_manifest_free(&m);
}

static void test_intel_host(void)
{
	struct rf_manifest m = { 0 };
	struct rf_microcode_report rep;

	/* Skylake-SP 06-55-04 (85 = 0x55): its file alone; no AMD container */
	TAP_STREQ(collect("sys", host("h1", "GenuineIntel", 6, 85, 4), &m, &rep), "ok", "Intel host");
	TAP_STREQ(paths(&m), "kernel kernel/x86 kernel/x86/microcode kernel/x86/microcode/GenuineIntel.bin",
		  "an Intel host gets GenuineIntel.bin only");
	TAP_STREQ(content(&m, RF_MICROCODE_INTEL_PATH), "i065504", "06-55-04: that file only");
	TAP_CHECK(rep.cpu_read && rep.cpu.vendor == RF_CPU_INTEL && rep.cpu.family == 6 &&
		  rep.cpu.model == 85 && rep.cpu.stepping == 4,
		  "the first processor's fields, not the second's, and not 'model name'");
	/* Ivy Bridge 06-3a-09: Debian ships it as 06-3a-09.initramfs only */
	collect("sys", host("h2", "GenuineIntel", 6, 58, 9), &m, &rep);
	TAP_STREQ(content(&m, RF_MICROCODE_INTEL_PATH), "i063a09", "Debian's FF-MM-SS.initramfs name");
	/* the plain name wins over .early; .early alone is taken (dracut) */
	collect("sys", host("h3", "GenuineIntel", 6, 142, 10), &m, &rep);
	TAP_STREQ(content(&m, RF_MICROCODE_INTEL_PATH), "(none)",
		  "no file of 06-8e-0a in sys: no container");
	TAP_STREQ(paths(&m), "", "and nothing at all");
	collect("early", host("h3", "GenuineIntel", 6, 142, 10), &m, &rep);
	TAP_STREQ(content(&m, RF_MICROCODE_INTEL_PATH), "plain", "06-8e-0a before 06-8e-0a.early");
	collect("early", host("h4", "GenuineIntel", 6, 142, 11), &m, &rep);
	TAP_STREQ(content(&m, RF_MICROCODE_INTEL_PATH), "early-only", "06-8e-0b.early alone");
	/* a family above 9: two hex digits, as the files are named */
	collect("sys", host("h5", "GenuineIntel", 15, 4, 10), &m, &rep);
	TAP_STREQ(content(&m, RF_MICROCODE_INTEL_PATH), "i0f040a", "family 15 is 0f-04-0a");
	rf_manifest_free(&m);
}

static void test_amd_host(void)
{
	struct rf_manifest m = { 0 };
	struct rf_microcode_report rep;

	collect("sys", host("a1", "AuthenticAMD", 23, 49, 0), &m, &rep);
	TAP_STREQ(paths(&m), "kernel kernel/x86 kernel/x86/microcode kernel/x86/microcode/AuthenticAMD.bin",
		  "an AMD host gets AuthenticAMD.bin only");
	TAP_STREQ(content(&m, RF_MICROCODE_AMD_PATH), "a17", "family 23 (0x17): microcode_amd_fam17h.bin");
	collect("sys", host("a2", "AuthenticAMD", 25, 1, 1), &m, &rep);
	TAP_STREQ(content(&m, RF_MICROCODE_AMD_PATH), "a19", "family 25 (0x19): microcode_amd_fam19h.bin");
	collect("sys", host("a3", "AuthenticAMD", 16, 2, 3), &m, &rep);
	TAP_STREQ(content(&m, RF_MICROCODE_AMD_PATH), "a-older", "family 16 (0x10): microcode_amd.bin");
	collect("sys", host("a4", "AuthenticAMD", 21, 2, 0), &m, &rep);
	TAP_STREQ(paths(&m), "", "family 21 (0x15) wants microcode_amd_fam15h.bin, absent: nothing");
	collect("sys", host("o1", "HygonGenuine", 24, 0, 1), &m, &rep);
	TAP_STREQ(paths(&m), "", "another vendor: nothing");
	TAP_CHECK(rep.cpu_read && rep.cpu.vendor == RF_CPU_OTHER &&
		  strcmp(rep.cpu.vendor_id, "HygonGenuine") == 0, "its vendor_id is reported");
	rf_manifest_free(&m);
}

static void test_none_and_errors(void)
{
	struct rf_manifest m = { 0 };
	struct rf_microcode_report rep;
	struct rf_err err = { "" };
	struct rf_cpu cpu;

	TAP_STREQ(collect("empty", NULL, &m, &rep), "ok", "a sysroot without lib/firmware");
	TAP_CHECK(m.n == 0 && rep.bytes[0] + rep.bytes[1] == 0, "adds nothing");
	/* no files: the host's cpuinfo is not needed (fake hosts of the hostonly tests have none) */
	TAP_STREQ(collect("emptydirs", at("nohost"), &m, &rep), "ok",
		  "hostonly, empty vendor directories, host without proc/cpuinfo");
	TAP_CHECK(m.n == 0 && !rep.cpu_read, "adds nothing and reads no cpuinfo");
	TAP_CHECK(strstr(collect("sys", at("nohost"), &m, &rep), "nohost/proc/cpuinfo") != NULL,
		  "hostonly with files and no cpuinfo is an error naming it: %s",
		  collect("sys", at("nohost"), &m, &rep));
	TAP_CHECK(strstr(collect("big", NULL, &m, &rep), "big/lib/firmware/intel-ucode/06-01-01: larger than") != NULL,
		  "a file over RF_MICROCODE_FILE_MAX is an error naming it: %s",
		  collect("big", NULL, &m, &rep));
	TAP_CHECK(rf_cpu_parse("vendor_id : GenuineIntel\ncpu family : 6\nmodel : 85\n", "CPUINFO",
			       &cpu, &err) == -EINVAL &&
		  strcmp(err.msg, "CPUINFO: no 'stepping' for the first CPU") == 0,
		  "Intel without stepping: %s", err.msg);
	TAP_CHECK(rf_cpu_parse("vendor_id : GenuineIntel\ncpu family : 6\nmodel : 85\nstepping : unknown\n",
			       "CPUINFO", &cpu, &err) == -EINVAL && strstr(err.msg, "'unknown'"),
		  "a stepping that is not a number: %s", err.msg);
	TAP_CHECK(rf_cpu_parse("vendor_id : AuthenticAMD\ncpu family : 25\n", "C", &cpu, &err) == 0 &&
		  cpu.vendor == RF_CPU_AMD && cpu.family == 25, "AMD needs only the family");
	TAP_CHECK(rf_cpu_parse("processor : 0\nBogoMIPS : 50.00\n", "C", &cpu, &err) == 0 &&
		  cpu.vendor == RF_CPU_OTHER && cpu.vendor_id[0] == '\0', "no vendor_id (arm64): other");
	rf_manifest_free(&m);
}

/* rf_microcode_kernel on SYS whose boot/config-K holds CONFIG ("" : no file): "IA" for both
 * loaders, "I-", "-A", "--". */
static const char *loaders(const char *sys, const char *config)
{
	static char out[RF_ERR_MAX + 8];
	struct rf_err err = { "" };
	char rel[256];
	bool loads[2];

	sh("rm -rf %s", at(sys));
	sh("mkdir -p %s", at(sys));
	if (config[0]) {
		snprintf(rel, sizeof(rel), "%s/boot/config-K", sys);
		put(rel, config);
	}
	if (rf_microcode_kernel(at(sys), "K", loads, &err) < 0)
		snprintf(out, sizeof(out), "ERR: %s", err.msg);
	else
		snprintf(out, sizeof(out), "%c%c", loads[0] ? 'I' : '-', loads[1] ? 'A' : '-');
	return out;
}

static void test_kernel_config(void)
{
	struct rf_manifest m = { 0 };
	struct rf_microcode_report rep;
	struct rf_err err = { "" };
	const bool intel_only[2] = { true, false };

	TAP_STREQ(loaders("k1", ""), "IA", "no boot/config-KVER: both containers");
	TAP_STREQ(loaders("k2", "CONFIG_X=y\nCONFIG_MICROCODE=y\nCONFIG_MICROCODE_INTEL=y\n"
			  "CONFIG_MICROCODE_AMD=y\n"), "IA", "6.1 with both loaders");
	TAP_STREQ(loaders("k3", "CONFIG_X=y\nCONFIG_MICROCODE=y\n"), "IA",
		  "6.6 and later: CONFIG_MICROCODE alone");
	TAP_STREQ(loaders("k4", "CONFIG_X=y\n# CONFIG_MICROCODE is not set\n"), "--",
		  "Debian's cloud kernel: no loader");
	TAP_STREQ(loaders("k5", "CONFIG_MICROCODE=y\nCONFIG_MICROCODE_INTEL=y\n"
			  "# CONFIG_MICROCODE_AMD is not set\n"), "I-", "Intel's loader only");
	TAP_STREQ(loaders("k6", "CONFIG_MICROCODE_X=y\nXCONFIG_MICROCODE=y\n"), "--",
		  "only the whole line CONFIG_MICROCODE=y counts");
	sh("mkdir -p %s", at("k7/boot/config-K"));
	TAP_CHECK(rf_microcode_kernel(at("k7"), "K", (bool[2]){ 0 }, &err) < 0 &&
		  strstr(err.msg, "k7/boot/config-K") != NULL, "a config that is a directory: %s",
		  err.msg);
	rf_manifest_free(&m);
	m = (struct rf_manifest){ 0 };
	TAP_CHECK(rf_microcode_collect(at("sys"), NULL, intel_only, &m, &rep, &err) == 0 &&
		  rf_manifest_get(&m, RF_MICROCODE_INTEL_PATH) && !rf_manifest_get(&m, RF_MICROCODE_AMD_PATH) &&
		  rep.files[1] == 0, "loads {Intel}: GenuineIntel.bin alone");
	rf_manifest_free(&m);
}

int main(void)
{
	if (!mkdtemp(top)) {
		perror("mkdtemp");
		return 1;
	}
	put("sys/lib/firmware/intel-ucode/06-55-04", "i065504");
	put("sys/lib/firmware/intel-ucode/06-3a-09.initramfs", "i063a09");
	put("sys/lib/firmware/intel-ucode/0f-04-0a", "i0f040a");
	put("sys/lib/firmware/intel-ucode/06-55-04.asc", "SIGNATURE");
	put("sys/lib/firmware/intel-ucode/README", "README");
	put("sys/lib/firmware/intel-ucode/.hidden", "HIDDEN");
	put("sys/lib/firmware/intel-ucode/sub/06-01-01", "SUBDIR");
	put("sys/lib/firmware/amd-ucode/microcode_amd_fam19h.bin", "a19");
	put("sys/lib/firmware/amd-ucode/microcode_amd_fam17h.bin", "a17");
	put("sys/lib/firmware/amd-ucode/microcode_amd.bin", "a-older");
	put("sys/lib/firmware/amd-ucode/microcode_amd_fam17h.bin.asc", "SIGNATURE");
	put("sys/lib/firmware/amd-ucode/README", "README");
	/* absolute: resolves inside the sysroot, where there is no etc/passwd */
	sh("ln -s /etc/passwd %s", at("sys/lib/firmware/intel-ucode/06-02-02"));
	put("early/lib/firmware/intel-ucode/06-8e-0a", "plain");
	put("early/lib/firmware/intel-ucode/06-8e-0a.early", "early");
	put("early/lib/firmware/intel-ucode/06-8e-0b.early", "early-only");
	sh("mkdir -p %s %s", at("empty"), at("emptydirs/lib/firmware/intel-ucode"));
	sh("mkdir -p %s %s", at("emptydirs/lib/firmware/amd-ucode"), at("nohost"));
	sh("mkdir -p %s && truncate -s 17M %s/06-01-01", at("big/lib/firmware/intel-ucode"),
	   at("big/lib/firmware/intel-ucode"));

	test_every_cpu();
	test_intel_host();
	test_amd_host();
	test_none_and_errors();
	test_kernel_config();
	sh("rm -rf %s", top);
	return tap_done();
}
