// SPDX-License-Identifier: MIT
/* The ELF dependency resolver (lib/elfdeps.c) on a sysroot of gcc-built fixtures made
 * here: search order (RUNPATH, RPATH and its inheritance, ld.so.conf and its includes,
 * defaults), expansions, ELF class checks, symlinks resolved inside the sysroot and kept,
 * dlopen notes, scripts, and the errors. */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfdeps.h"
#include "elfobj.h"
#include "tap.h"

static char top[] = "/tmp/rf-elfdeps-XXXXXX";
static char root[600];
static int setup_failed;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0) {
		fprintf(stderr, "failed: %s\n", cmd);
		setup_failed++;
		return -1;
	}
	return 0;
}

static void put(const char *rel, const char *text)
{
	char path[1200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	sh("mkdir -p \"$(dirname '%s')\"", path);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		setup_failed++;
}

static void link_to(const char *target, const char *rel)
{
	sh("mkdir -p \"$(dirname '%s/%s')\" && ln -sfn '%s' '%s/%s'", root, rel, target, root, rel);
}

/* gcc SRC into ROOT/OUT or an absolute OUT (run in ROOT, so relative paths in FLAGS are the
 * sysroot's). */
static void cc(const char *out, const char *src, const char *flags)
{
	char file[700], path[1200];
	FILE *f;

	snprintf(file, sizeof(file), "%s/src.c", top);
	snprintf(path, sizeof(path), "%s%s%s", out[0] == '/' ? "" : root, out[0] == '/' ? "" : "/", out);
	f = fopen(file, "w");
	if (!f || fputs(src, f) < 0 || fclose(f) != 0)
		setup_failed++;
	sh("mkdir -p \"$(dirname '%s')\" && cd '%s' && gcc -nostdlib -fPIC -Wl,--no-as-needed "
	   "-o '%s' '%s' %s",
	   path, root, path, file, flags);
}

/* A 32-bit x86 shared library at ROOT/OUT: gcc -m32 when it works, else a bare ELF32 header
 * (all the resolver reads before it skips the file). */
static void lib32(const char *out, const char *soname)
{
	char cmd[4096], path[1200];
	Elf32_Ehdr eh = { .e_type = ET_DYN, .e_machine = EM_386, .e_version = EV_CURRENT,
			  .e_ehsize = sizeof(Elf32_Ehdr) };
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, out);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\" && echo 'int v;' | gcc -m32 -nostdlib "
		 "-fPIC -shared -Wl,-soname,%s -o '%s' -x c - 2>/dev/null", path, soname, path);
	if (system(cmd) == 0)
		return;
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	f = fopen(path, "w");
	if (!f || fwrite(&eh, sizeof(eh), 1, f) != 1 || fclose(f) != 0)
		setup_failed++;
}

/* A shared library ROOT/OUT with that soname (NULL: none), needing what FLAGS link. */
static void lib(const char *out, const char *soname, const char *flags)
{
	char f[1200];

	snprintf(f, sizeof(f), "-shared %s%s%s %s", soname ? "'-Wl,-soname," : "", soname ? soname : "",
		 soname ? "'" : "", flags);
	cc(out, "int v;\n", f);
}

/* A program ROOT/OUT with the fake loader as its PT_INTERP. */
static void prog(const char *out, const char *flags)
{
	char f[1200];

	snprintf(f, sizeof(f), "-Wl,--dynamic-linker=/lib64/ld-fake.so.2 %s", flags);
	cc(out, "void _start(void) {}\n", f);
}

/* Turn ROOT/REL's DT_FLAGS_1 (DF_1_NOW from -z now) into DF_1_NODEFLIB: this ld has no -z
 * nodeflib. */
static void set_nodeflib(const char *rel)
{
	const Elf64_Dyn want = { .d_tag = DT_FLAGS_1, .d_un.d_val = DF_1_NOW };
	char path[1200];
	unsigned char buf[65536];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "r+");
	n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	for (size_t off = 0; off + sizeof(want) <= n; off += 8) {
		Elf64_Dyn e;

		memcpy(&e, buf + off, sizeof(e));
		if (e.d_tag == want.d_tag && e.d_un.d_val == want.d_un.d_val) {
			e.d_un.d_val = DF_1_NODEFLIB;
			if (fseek(f, (long)off, SEEK_SET) == 0 && fwrite(&e, sizeof(e), 1, f) == 1 && fclose(f) == 0)
				return;
			break;
		}
	}
	if (f)
		fclose(f);
	setup_failed++;
}

/* The result as "path\n" or "path -> target\n" lines. */
static const char *listing(struct rf_elfdeps *d)
{
	static char buf[8192];
	size_t n, len = 0;
	const struct rf_elfdeps_entry *e = rf_elfdeps_entries(d, &n);

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (e[i].kind == RF_ELFDEPS_SYMLINK)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s -> %s\n", e[i].path, e[i].target);
		else
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\n", e[i].path);
		if (len >= sizeof(buf))
			break;
	}
	return buf;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* TEXT's lines sorted (the result is sorted by path; the expectations are easier to read in
 * their own order). */
static const char *sorted(const char *text)
{
	static char buf[8192];
	char copy[8192], *lines[256], *rest = copy, *line;
	size_t n = 0, len = 0;

	snprintf(copy, sizeof(copy), "%s", text);
	while (n < 256 && (line = strsep(&rest, "\n")))
		if (*line)
			lines[n++] = line;
	qsort(lines, n, sizeof(*lines), cmp_line);
	buf[0] = '\0';
	for (size_t i = 0; i < n && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\n", lines[i]);
	return buf;
}

/* Resolve one program in a fresh resolver: its listing, or "ERR(code): message". */
static const char *closure_of(const char *path, unsigned flags)
{
	static char out[8192 + RF_ERR_MAX];
	struct rf_err err = { "" };
	struct rf_elfdeps *d = NULL;
	int r = rf_elfdeps_new(&d, root, flags, &err);

	if (r >= 0)
		r = rf_elfdeps_add(d, path, &err);
	if (r < 0)
		snprintf(out, sizeof(out), "ERR(%d): %s", r, err.msg);
	else
		snprintf(out, sizeof(out), "%s", listing(d));
	rf_elfdeps_free(d);
	return out;
}

/* What every fixture program brings: the loader, through an absolute directory link (/lib64),
 * an absolute file link and the merged-/usr link /lib. */
#define INTERP \
	"/lib -> usr/lib\n/lib64 -> /usr/lib64\n/usr/lib/ld-fake.so.2.0\n" \
	"/usr/lib64/ld-fake.so.2 -> /lib/ld-fake.so.2.0\n"

static void make_base(void)
{
	sh("mkdir -p '%s/usr/lib' '%s/usr/lib64' '%s/usr/bin' '%s/stubs'", root, root, root, top);
	link_to("usr/lib", "lib");
	link_to("/usr/lib64", "lib64");
	link_to("usr/bin", "bin");
	lib("usr/lib/ld-fake.so.2.0", "ld-fake.so.2", "");
	link_to("/lib/ld-fake.so.2.0", "usr/lib64/ld-fake.so.2");
}

static void test_origin_runpath(void)
{
	lib("opt/app/lib/libA.so.1.2.3", "libA.so.1", "");
	link_to("libA.so.1.2.3", "opt/app/lib/libA.so.1");
	prog("opt/app/bin/prog", "-Wl,--enable-new-dtags '-Wl,-rpath,$ORIGIN/../lib' opt/app/lib/libA.so.1");
	TAP_STREQ(closure_of("/opt/app/bin/prog", 0),
		  sorted(INTERP "/opt/app/bin/prog\n/opt/app/lib/libA.so.1 -> libA.so.1.2.3\n/opt/app/lib/libA.so.1.2.3\n"),
		  "RUNPATH $ORIGIN/../lib: the library there, its symlink chain kept, the loader's links");
	link_to("/opt/app/bin/prog", "usr/bin/app");
	TAP_STREQ(closure_of("/bin/app", 0),
		  sorted(INTERP "/bin -> usr/bin\n/opt/app/bin/prog\n/opt/app/lib/libA.so.1 -> libA.so.1.2.3\n"
			 "/opt/app/lib/libA.so.1.2.3\n/usr/bin/app -> /opt/app/bin/prog\n"),
		  "a program reached through links: $ORIGIN is its real directory, the links are kept");
}

static void test_ld_so_conf(void)
{
	lib("opt/conf/lib/libC.so.1", "libC.so.1", "");
	prog("usr/bin/confprog", "opt/conf/lib/libC.so.1");
	TAP_CHECK(strncmp(closure_of("/usr/bin/confprog", 0), "ERR(-2): /usr/bin/confprog: libC.so.1: not found", 47) == 0,
		  "without ld.so.conf, a library outside the default directories is not found: %s",
		  closure_of("/usr/bin/confprog", 0));
	put("etc/ld.so.conf", "# comment\ninclude ld.so.conf.d/*.conf\n");
	put("etc/ld.so.conf.d/x.conf", "/opt/conf/lib/ # trailing slash and comment\n");
	put("etc/ld.so.conf.d/x.conf.bak", "/nowhere\n");
	put("etc/ld.so.cache", "cache\n");
	TAP_STREQ(closure_of("/usr/bin/confprog", 0),
		  sorted("/etc/ld.so.cache\n" INTERP "/opt/conf/lib/libC.so.1\n/usr/bin/confprog\n"),
		  "etc/ld.so.conf includes ld.so.conf.d/*.conf relative to etc/: found there, with the cache");
	put("etc/ld.so.conf", "include /etc/more/*.conf\n");
	put("etc/more/a.conf", "include ../ld.so.conf.d/x.conf\n");
	TAP_STREQ(closure_of("/usr/bin/confprog", 0),
		  sorted("/etc/ld.so.cache\n" INTERP "/opt/conf/lib/libC.so.1\n/usr/bin/confprog\n"),
		  "an absolute include, then a relative one from its directory");
	put("etc/ld.so.conf", "include ld.so.conf\n");
	TAP_CHECK(strstr(closure_of("/usr/bin/confprog", 0), "ERR(-40): /etc/ld.so.conf: ") != NULL,
		  "an include loop is an error: %s", closure_of("/usr/bin/confprog", 0));
	put("etc/ld.so.conf", "include ld.so.conf.d/*.conf\n");
}

static void test_runpath_scope(void)
{
	lib("opt/rp/lib/libE.so.1", "libE.so.1", "");
	lib("opt/rp/lib/libD.so.1", "libD.so.1", "opt/rp/lib/libE.so.1");
	prog("opt/rp/bin/runpath", "-Wl,--enable-new-dtags '-Wl,-rpath,$ORIGIN/../lib' opt/rp/lib/libD.so.1");
	prog("opt/rp/bin/rpath", "-Wl,--disable-new-dtags '-Wl,-rpath,$ORIGIN/../lib' opt/rp/lib/libD.so.1");
	TAP_STREQ(closure_of("/opt/rp/bin/runpath", 0),
		  "ERR(-2): /opt/rp/bin/runpath: libE.so.1 (needed by /opt/rp/lib/libD.so.1): not found",
		  "the program's RUNPATH does not serve its dependency's needs");
	TAP_STREQ(closure_of("/opt/rp/bin/rpath", 0),
		  sorted(INTERP "/opt/rp/bin/rpath\n/opt/rp/lib/libD.so.1\n/opt/rp/lib/libE.so.1\n"),
		  "the program's RPATH does (the loaders' RPATHs are searched)");
	/* ld.so reuses a library already loaded by that name: libS finds libR, breadth first. */
	lib("opt/reuse/lib/libR.so.1", "libR.so.1", "");
	lib("opt/reuse/lib/libS.so.1", "libS.so.1", "opt/reuse/lib/libR.so.1");
	prog("opt/reuse/bin/reuse",
	     "-Wl,--enable-new-dtags -Wl,-rpath,/opt/reuse/lib opt/reuse/lib/libR.so.1 opt/reuse/lib/libS.so.1");
	TAP_STREQ(closure_of("/opt/reuse/bin/reuse", 0),
		  sorted(INTERP "/opt/reuse/bin/reuse\n/opt/reuse/lib/libR.so.1\n/opt/reuse/lib/libS.so.1\n"),
		  "a name already loaded is not searched again");
}

static void test_expansions(void)
{
	lib("opt/lib64/libL.so.1", "libL.so.1", "");
	lib("opt/x86_64/libP.so.1", "libP.so.1", "");
	prog("usr/bin/tokens", "-Wl,--enable-new-dtags '-Wl,-rpath,/opt/$BOGUS:/opt/$LIB:/opt/${PLATFORM}' "
			       "opt/lib64/libL.so.1 opt/x86_64/libP.so.1");
	TAP_STREQ(closure_of("/usr/bin/tokens", 0),
		  sorted(INTERP "/opt/lib64/libL.so.1\n/opt/x86_64/libP.so.1\n/usr/bin/tokens\n"),
		  "$LIB (lib64 without a multiarch directory) and ${PLATFORM}; $BOGUS is no token");
	/* A DT_NEEDED with a '/' is a path, here relative: from the sysroot's root. */
	lib("opt/slash/libslash.so", NULL, "");
	prog("usr/bin/slash", "opt/slash/libslash.so");
	TAP_STREQ(closure_of("/usr/bin/slash", 0), sorted(INTERP "/opt/slash/libslash.so\n/usr/bin/slash\n"),
		  "a DT_NEEDED path is not searched");
	lib("opt/dst/sub/libdst.so", "$ORIGIN/sub/libdst.so", "");
	prog("opt/dst/dstprog", "opt/dst/sub/libdst.so");
	TAP_STREQ(closure_of("/opt/dst/dstprog", 0), sorted(INTERP "/opt/dst/dstprog\n/opt/dst/sub/libdst.so\n"),
		  "$ORIGIN in a DT_NEEDED is expanded");
	/* DF_1_NODEFLIB: no ld.so.conf directory, no default directory for that object's needs. */
	lib("usr/lib/libdef.so.1", "libdef.so.1", "");
	lib("usr/lib/libnodef.so.1", "libnodef.so.1", "-Wl,-z,now usr/lib/libdef.so.1");
	set_nodeflib("usr/lib/libnodef.so.1");
	prog("usr/bin/nodeflib", "-Wl,-rpath-link,usr/lib usr/lib/libnodef.so.1");
	TAP_STREQ(closure_of("/usr/bin/nodeflib", 0),
		  "ERR(-2): /usr/bin/nodeflib: libdef.so.1 (needed by /usr/lib/libnodef.so.1): not found",
		  "-z nodeflib: the default directories are not searched");
}

static void test_class(void)
{
	char stub[800];

	/* The same soname twice in the search path: a 32-bit one first, then a 64-bit one. */
	lib32("opt/m32/libF.so.1", "libF.so.1");
	lib("usr/lib/libF.so.1", "libF.so.1", "");
	put("etc/ld.so.conf.d/m32.conf", "/opt/m32\n");
	prog("usr/bin/classprog", "usr/lib/libF.so.1");
	TAP_STREQ(closure_of("/usr/bin/classprog", 0), sorted(INTERP "/usr/bin/classprog\n/usr/lib/libF.so.1\n"),
		  "a 32-bit library earlier in the search path is skipped");
	/* A corrupt library where the search finds it. */
	snprintf(stub, sizeof(stub), "%s/stubs/libbad.so.1", top);
	lib(stub, "libbad.so.1", "");
	prog("usr/bin/badprog", stub);
	put("usr/lib/libbad.so.1", "\177ELF\2\1\1garbage");
	TAP_CHECK(strstr(closure_of("/usr/bin/badprog", 0), "ERR(-22): /usr/bin/badprog: /usr/lib/libbad.so.1: ") != NULL,
		  "a corrupt library is an error naming it: %s", closure_of("/usr/bin/badprog", 0));
}

static void test_errors(void)
{
	char stub[800], flags[900];

	snprintf(stub, sizeof(stub), "%s/stubs/libZ.so.1", top);
	lib(stub, "libZ.so.1", "");
	snprintf(flags, sizeof(flags), "usr/lib/libF.so.1 %s", stub);
	prog("usr/bin/missprog", flags);
	TAP_STREQ(closure_of("/usr/bin/missprog", 0), "ERR(-2): /usr/bin/missprog: libZ.so.1: not found",
		  "a missing library names the program and the soname");
	TAP_STREQ(closure_of("/usr/bin/nosuch", 0), "ERR(-2): /usr/bin/nosuch: No such file or directory",
		  "a missing program");
	link_to("loop2", "usr/bin/loop1");
	link_to("/bin/loop1", "usr/bin/loop2");
	TAP_STREQ(closure_of("/usr/bin/loop1", 0), "ERR(-40): /usr/bin/loop1: Too many levels of symbolic links",
		  "a symlink loop is ELOOP");
	put("usr/bin/text", "just text\n");
	TAP_STREQ(closure_of("/usr/bin/text", 0), "ERR(-8): /usr/bin/text: not an ELF file nor a #! script",
		  "a file that is neither ELF nor a script");
	put("usr/bin/broken.sh", "#!/usr/bin/missing-shell\n");
	TAP_STREQ(closure_of("/usr/bin/broken.sh", 0),
		  "ERR(-2): /usr/bin/broken.sh: interpreter /usr/bin/missing-shell: No such file or directory",
		  "a script whose interpreter is missing");
	prog("bin/fakesh", "usr/lib/libF.so.1");
	put("usr/bin/ok.sh", "#! /bin/fakesh -e\necho\n");
	TAP_STREQ(closure_of("/usr/bin/ok.sh", 0),
		  sorted(INTERP "/bin -> usr/bin\n/usr/bin/fakesh\n/usr/bin/ok.sh\n/usr/lib/libF.so.1\n"),
		  "a script brings its interpreter and the interpreter's libraries");
}

static void test_escape(void)
{
	/* The sysroot's links never lead to the host: ".." stops at the root. */
	lib("usr/lib/libH.so.1.0", "libH.so.1", "");
	link_to("../../../../../../usr/lib/libH.so.1.0", "usr/lib/libH.so.1");
	prog("usr/bin/escape", "usr/lib/libH.so.1.0");
	TAP_STREQ(closure_of("/usr/bin/escape", 0),
		  sorted(INTERP "/usr/bin/escape\n/usr/lib/libH.so.1 -> ../../../../../../usr/lib/libH.so.1.0\n"
			 "/usr/lib/libH.so.1.0\n"),
		  "a relative link climbing above the root stays inside it");
}

static void test_limits(void)
{
	char path[1200], rsp[700];
	FILE *f;

	/* Scripts whose interpreter is a script: 4 in a chain are fine, 5 are refused. */
	put("usr/bin/s5", "#!/usr/bin/s4\n");
	put("usr/bin/s4", "#!/usr/bin/s3\n");
	put("usr/bin/s3", "#!/usr/bin/s2\n");
	put("usr/bin/s2", "#!/bin/fakesh\n");
	TAP_CHECK(strstr(closure_of("/usr/bin/s5", 0), "/usr/bin/fakesh\n/usr/bin/s2\n/usr/bin/s3\n/usr/bin/s4\n"
							  "/usr/bin/s5\n") != NULL,
		  "4 scripts in a chain");
	put("usr/bin/s6", "#!/usr/bin/s5\n");
	TAP_STREQ(closure_of("/usr/bin/s6", 0),
		  "ERR(-40): /usr/bin/s6: interpreter /usr/bin/s5: interpreter /usr/bin/s4: interpreter "
		  "/usr/bin/s3: interpreter /usr/bin/s2: more than 4 levels of #! interpreters",
		  "5 are refused");
	/* More objects than RF_ELFDEPS_MAX_OBJECTS: 4097 libraries, needed by path (no soname). */
	lib("opt/many/0", NULL, "");
	snprintf(rsp, sizeof(rsp), "%s/many.rsp", top);
	f = fopen(rsp, "w");
	for (int i = 0; f && i <= RF_ELFDEPS_MAX_OBJECTS; i++) {
		char one[1200];

		snprintf(one, sizeof(one), "%s/opt/many/%d", root, i);
		snprintf(path, sizeof(path), "%s/opt/many/0", root);
		if (i && link(path, one) != 0)
			setup_failed++;
		fprintf(f, "opt/many/%d\n", i);
	}
	if (!f || fclose(f) != 0)
		setup_failed++;
	snprintf(path, sizeof(path), "@%s", rsp);
	prog("usr/bin/many", path);
	TAP_STREQ(closure_of("/usr/bin/many", 0), "ERR(-7): /usr/bin/many: more than 4096 shared objects",
		  "more than RF_ELFDEPS_MAX_OBJECTS objects");
}

/* A program with two systemd-style dlopen notes; FIRST is the first note's JSON. */
static void dlopen_prog(const char *out, const char *first)
{
	char src[2048];

	snprintf(src, sizeof(src),
		 "#define NOTE(var, json) \\\n"
		 "__attribute__((used, section(\".note.dlopen\"))) _Alignas(4) static const struct { \\\n"
		 "  struct { unsigned namesz, descsz, type; } h; char name[4]; \\\n"
		 "  _Alignas(4) char json_[sizeof(json)]; } var = { { 4, sizeof(json), 0x407c0c0a }, \"FDO\", json }\n"
		 "NOTE(n1, \"%s\");\n"
		 "NOTE(n2, \"[{\\\"feature\\\":\\\"x\\\",\\\"soname\\\":[\\\"libnope.so.3\\\"],"
		 "\\\"priority\\\":\\\"suggested\\\"}]\");\n"
		 "void _start(void) {}\n",
		 first);
	cc(out, src, "-Wl,--dynamic-linker=/lib64/ld-fake.so.2 usr/lib/libF.so.1");
}

static void test_dlopen(void)
{
	struct rf_elfdeps *d = NULL;
	struct rf_err err = { "" };
	size_t n;
	int r;

	lib("usr/lib/libdl2.so.1", "libdl2.so.1", "");
	lib("usr/lib/libgcc_fake.so.1", "libgcc_fake.so.1", "usr/lib/libF.so.1");
	dlopen_prog("usr/bin/dlprog",
		    "[{\\\"feature\\\":\\\"y\\\",\\\"description\\\":\\\"a \\\\\\\"q\\\\\\\" [x]\\\","
		    "\\\"priority\\\":\\\"recommended\\\",\\\"soname\\\":[\\\"libnone.so.9\\\",\\\"libdl2.so.1\\\"]}]");
	TAP_STREQ(closure_of("/usr/bin/dlprog", 0), sorted(INTERP "/usr/bin/dlprog\n/usr/lib/libF.so.1\n/usr/lib/libdl2.so.1\n"),
		  "dlopen notes: the first soname found of a note; a missing suggested one skipped");
	TAP_STREQ(closure_of("/usr/bin/dlprog", RF_ELFDEPS_NO_DLOPEN), sorted(INTERP "/usr/bin/dlprog\n/usr/lib/libF.so.1\n"),
		  "RF_ELFDEPS_NO_DLOPEN ignores them");
	dlopen_prog("usr/bin/dlreq", "[{\\\"soname\\\":[\\\"libreq.so.1\\\"],\\\"priority\\\":\\\"required\\\"}]");
	TAP_STREQ(closure_of("/usr/bin/dlreq", 0),
		  "ERR(-2): /usr/bin/dlreq: libreq.so.1 (dlopen()ed by /usr/bin/dlreq, required): not found",
		  "a required dlopen library that is missing is an error");
	dlopen_prog("usr/bin/dlbad", "[{\\\"soname\\\":[\\\"libreq.so.1\\\"");
	TAP_CHECK(strstr(closure_of("/usr/bin/dlbad", 0), "ERR(-22): /usr/bin/dlbad: bad .note.dlopen") != NULL,
		  "a malformed note is an error naming the file: %s", closure_of("/usr/bin/dlbad", 0));

	r = rf_elfdeps_new(&d, root, 0, &err);
	TAP_CHECK(r == 0 && rf_elfdeps_add_soname(d, "libgcc_fake.so.1", &err) == -EINVAL,
		  "an extra soname before any program: %s", err.msg);
	r = rf_elfdeps_add(d, "/usr/bin/classprog", &err);
	TAP_CHECK(r == 0 && rf_elfdeps_add_soname(d, "libgcc_fake.so.1", &err) == 0, "an extra soname: %s",
		  err.msg);
	TAP_STREQ(listing(d), sorted(INTERP "/usr/bin/classprog\n/usr/lib/libF.so.1\n/usr/lib/libgcc_fake.so.1\n"),
		  "it comes with its own needs, each once");
	TAP_CHECK(rf_elfdeps_add_soname(d, "libnope.so.7", &err) == -ENOENT, "a missing extra soname");
	TAP_STREQ(err.msg, "libnope.so.7: not found", "its message");
	TAP_CHECK(rf_elfdeps_add(d, "/usr/bin/missprog", &err) == -ENOENT, "a failed add");
	rf_elfdeps_entries(d, &n);
	TAP_CHECK(n == 7, "leaves the result as it was (%zu entries)", n);
	rf_elfdeps_clear(d);
	rf_elfdeps_entries(d, &n);
	TAP_CHECK(n == 0, "clear empties it");
	TAP_CHECK(rf_elfdeps_add(d, "/usr/bin/escape", &err) == 0 && strstr(listing(d), "libH.so.1.0"),
		  "and the resolver goes on after it");
	rf_elfdeps_free(d);
}

/* One .note.dlopen payload: "soname|soname;R soname" (R: required) or "ERR". */
static const char *notes(const char *json)
{
	static char out[512];
	struct rf_elfobj o = { 0 };
	struct rf_err err = { "" };
	size_t n = 0;
	int r = rf_elfobj_parse_dlopen(&o, json, strlen(json) + 1, "f", &err);

	out[0] = '\0';
	for (size_t i = 0; i < o.ndlopen; i++) {
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", i ? ";" : "", o.dlopen[i].required ? "R " : "");
		for (size_t k = 0; k < o.dlopen[i].sonames.n; k++)
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", k ? "|" : "", o.dlopen[i].sonames.v[k]);
		rf_strv_clear(&o.dlopen[i].sonames);
	}
	free(o.dlopen);
	return r < 0 ? "ERR" : out;
}

static void test_note_json(void)
{
	TAP_STREQ(notes(" [ ] "), "", "an empty note");
	TAP_STREQ(notes("[{\"soname\":[\"liba.so.1\",\"liba.so.0\"]},{\"priority\":\"required\",\"soname\":[\"libb.so.2\"]}]"),
		  "liba.so.1|liba.so.0;R libb.so.2", "alternatives in order; priority after or before soname");
	TAP_STREQ(notes("[{\"feature\":\"x\",\"description\":\"\\\"q\\\" \\u00e9 \\n [ ] { }\",\"extra\":[1,-2.5e3,true,false,"
			"null,{\"a\":[{}]}],\"soname\":[\"lib\\u0063.so.1\"],\"priority\":\"suggested\"}]"),
		  "libc.so.1", "other members skipped whatever they hold; escapes in strings");
	TAP_STREQ(notes("[{\"soname\":[]}]"), "ERR", "a note without a soname");
	TAP_STREQ(notes("[{\"soname\":[\"\"]}]"), "ERR", "an empty soname");
	TAP_STREQ(notes("[{\"soname\":[\"lib\\u00e9.so\"]}]"), "ERR", "a soname that is not ASCII");
	TAP_STREQ(notes("[{\"soname\":[\"a.so\"]}] x"), "ERR", "garbage after the array");
	TAP_STREQ(notes("{\"soname\":[\"a.so\"]}"), "ERR", "an object, not an array");
	TAP_STREQ(notes("[{\"soname\":[\"a.so\"],}]"), "ERR", "a trailing comma");
	TAP_STREQ(notes("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"), "ERR",
		  "nesting is bounded");
}

int main(void)
{
	if (!mkdtemp(top))
		return 1;
	snprintf(root, sizeof(root), "%s/root", top);
	if (chdir(top) != 0)
		return 1;
	make_base();
	test_origin_runpath();
	test_ld_so_conf();
	test_runpath_scope();
	test_expansions();
	test_class();
	test_errors();
	test_escape();
	test_dlopen();
	test_note_json();
	test_limits();
	TAP_CHECK(setup_failed == 0, "the fixtures were built (%d commands failed)", setup_failed);
	sh("rm -rf '%s'", top);
	return tap_done();
}
