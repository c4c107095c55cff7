// SPDX-License-Identifier: MIT
/* The module file check (lib/modfile.c): what the kernel's first ELF checks would refuse. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modfile.h"
#include "tap.h"

/* A minimal relocatable: header, one section of 16 bytes, the section table (null + that one). */
struct tiny {
	Elf64_Ehdr eh;
	unsigned char body[16];
	Elf64_Shdr sh[2];
};

static void tiny_init(struct tiny *t)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->eh.e_ident, ELFMAG, SELFMAG);
	t->eh.e_ident[EI_CLASS] = ELFCLASS64;
	t->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	t->eh.e_ident[EI_VERSION] = EV_CURRENT;
	t->eh.e_type = ET_REL;
	t->eh.e_machine = EM_X86_64;
	t->eh.e_shoff = offsetof(struct tiny, sh);
	t->eh.e_shentsize = sizeof(Elf64_Shdr);
	t->eh.e_shnum = 2;
	t->eh.e_shstrndx = 1;
	t->sh[1].sh_type = SHT_PROGBITS;
	t->sh[1].sh_offset = offsetof(struct tiny, body);
	t->sh[1].sh_size = sizeof(t->body);
}

static int check(const struct tiny *t, size_t n, const char **why)
{
	int r = rf_modfile_check_elf((const unsigned char *)t, n, why);

	if (!*why)
		*why = "(no reason)";
	return r;
}

/* rf_modfile_read on a gcc-built relocatable with a .modinfo section, plain and as .ko.xz:
 * the firmware= values in order, nothing else taken for one. */
static void test_read_firmware(void)
{
	char dir[] = "/tmp/rf-modfile-XXXXXX", cmd[1024], path[512];
	static const char src[] =
		"#define MI(n, s) static const char n[] __attribute__((section(\".modinfo\"), used, "
		"aligned(1))) = s\n"
		"MI(a, \"license=GPL\");\nMI(b, \"firmware=qlogic/2500.bin\");\n"
		"MI(c, \"alias=pci:v1077*\");\nMI(d, \"firmware=ql2600_fw.bin\");\n"
		"MI(e, \"firmware=\");\nMI(f, \"myfirmware=not-this.bin\");\n";
	FILE *f;

	if (!mkdtemp(dir)) {
		TAP_CHECK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/m.c", dir);
	f = fopen(path, "w");
	if (f)
		fputs(src, f), fclose(f);
	snprintf(cmd, sizeof(cmd), "cd '%s' && gcc -c -o m.ko m.c && xz --check=crc32 -k -c m.ko > x.ko.xz",
		 dir);
	TAP_CHECK(system(cmd) == 0, "gcc builds a module with .modinfo");
	for (int i = 0; i < 2; i++) {
		struct rf_modinfo info = { 0 };
		struct rf_err err = { "" };

		snprintf(path, sizeof(path), "%s/%s", dir, i ? "x.ko.xz" : "m.ko");
		TAP_CHECK(rf_modfile_read(path, &info, &err) == 0, "%s reads: %s", path + strlen(dir), err.msg);
		TAP_CHECK(info.firmware.n == 2 && strcmp(info.firmware.v[0], "qlogic/2500.bin") == 0 &&
			  strcmp(info.firmware.v[1], "ql2600_fw.bin") == 0,
			  "%s: its two firmware names, in order (%zu found)", path + strlen(dir),
			  info.firmware.n);
		TAP_CHECK(info.sig.state == RF_MODSIG_UNSIGNED, "%s: unsigned", path + strlen(dir));
		rf_modinfo_free(&info);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

int main(void)
{
	struct tiny t;
	const char *why;

	tiny_init(&t);
	TAP_CHECK(check(&t, sizeof(t), &why) == 0, "a well-formed relocatable passes");
	TAP_CHECK(check(&t, 0, &why) == -ENOEXEC && strstr(why, "empty"), "an empty file: %s", why);
	TAP_CHECK(check(&t, sizeof(t) - 1, &why) == -ENOEXEC && strstr(why, "truncated"),
	       "one byte short: %s", why);
	TAP_CHECK(check(&t, 40, &why) == -ENOEXEC && strstr(why, "ELF header"), "cut inside the header: %s", why);
	t.eh.e_type = ET_EXEC;
	TAP_CHECK(check(&t, sizeof(t), &why) == -ENOEXEC && strstr(why, "relocatable"), "an executable: %s", why);
	tiny_init(&t);
	t.eh.e_ident[EI_MAG1] = 'X';
	TAP_CHECK(check(&t, sizeof(t), &why) == -ENOEXEC && strstr(why, "not an ELF"), "bad magic: %s", why);
	tiny_init(&t);
	t.sh[1].sh_size = 1u << 30;
	TAP_CHECK(check(&t, sizeof(t), &why) == -ENOEXEC && strstr(why, "section"), "a section past the end: %s", why);
	tiny_init(&t);
	t.sh[1].sh_type = SHT_NOBITS;
	t.sh[1].sh_size = 1u << 30;
	TAP_CHECK(check(&t, sizeof(t), &why) == 0, "a NOBITS section (.bss) takes no file space");
	tiny_init(&t);
	t.eh.e_shoff = UINT64_MAX - 8;
	TAP_CHECK(check(&t, sizeof(t), &why) == -ENOEXEC, "a section table offset that would overflow: %s", why);
	tiny_init(&t);
	t.eh.e_shstrndx = 7;
	TAP_CHECK(check(&t, sizeof(t), &why) == -ENOEXEC, "a section name index out of range: %s", why);
	test_read_firmware();
	return tap_done();
}
