// SPDX-License-Identifier: MIT
/* Module file checks; see modfile.h. */
#include "modfile.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decompress.h"

/* Fields read in the file's own byte order, so a tree for another architecture checks too. */
struct elfview {
	const unsigned char *p;
	size_t n;
	bool be, is64;
};

static uint64_t get(const struct elfview *e, size_t off, size_t width)
{
	uint64_t v = 0;

	for (size_t i = 0; i < width; i++)
		v |= (uint64_t)e->p[off + (e->be ? width - 1 - i : i)] << (8 * i);
	return v;
}

/* Offsets of the fields used here, per ELF class (see <elf.h>). */
#define F(field) (e->is64 ? offsetof(Elf64_Ehdr, field) : offsetof(Elf32_Ehdr, field))
#define S(field) (e->is64 ? offsetof(Elf64_Shdr, field) : offsetof(Elf32_Shdr, field))
#define W(type, field) (e->is64 ? sizeof(((Elf64_##type *)0)->field) : sizeof(((Elf32_##type *)0)->field))

static const char *check_sections(const struct elfview *e, uint64_t shoff, uint64_t shnum)
{
	size_t shsize = e->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);

	for (uint64_t i = 1; i < shnum; i++) {
		size_t at = (size_t)(shoff + i * shsize);
		uint64_t type = get(e, at + S(sh_type), W(Shdr, sh_type));
		uint64_t off = get(e, at + S(sh_offset), W(Shdr, sh_offset));
		uint64_t size = get(e, at + S(sh_size), W(Shdr, sh_size));

		if (type != SHT_NOBITS && (off > e->n || size > e->n - off))
			return "truncated or corrupt: a section lies past the end of the file";
	}
	return NULL;
}

static const char *check_header(const struct elfview *e)
{
	size_t ehsize = e->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t shsize = e->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	uint64_t shoff, shnum;

	if (e->n < ehsize)
		return "truncated: shorter than an ELF header";
	if (get(e, F(e_type), W(Ehdr, e_type)) != ET_REL)
		return "not a kernel module (not an ELF relocatable object)";
	if (get(e, F(e_shentsize), W(Ehdr, e_shentsize)) != shsize)
		return "corrupt ELF header (section header size)";
	shoff = get(e, F(e_shoff), W(Ehdr, e_shoff));
	shnum = get(e, F(e_shnum), W(Ehdr, e_shnum));
	if (shnum == 0 || get(e, F(e_shstrndx), W(Ehdr, e_shstrndx)) >= shnum)
		return "corrupt ELF header (section count)";
	if (shoff > e->n || shnum > (e->n - shoff) / shsize)
		return "truncated: the section table lies past the end of the file";
	return check_sections(e, shoff, shnum);
}

int rf_modfile_check_elf(const unsigned char *p, size_t n, const char **why)
{
	struct elfview e = { .p = p, .n = n };

	*why = NULL;
	if (n == 0)
		*why = "empty file";
	else if (n < EI_NIDENT || memcmp(p, ELFMAG, SELFMAG) != 0)
		*why = "not an ELF object";
	else if ((p[EI_CLASS] != ELFCLASS32 && p[EI_CLASS] != ELFCLASS64) ||
		 (p[EI_DATA] != ELFDATA2LSB && p[EI_DATA] != ELFDATA2MSB))
		*why = "corrupt ELF header (class or byte order)";
	if (!*why) {
		e.is64 = p[EI_CLASS] == ELFCLASS64;
		e.be = p[EI_DATA] == ELFDATA2MSB;
		*why = check_header(&e);
	}
	return *why ? -ENOEXEC : 0;
}

/* The .modinfo section's firmware= values, through libelf. The bytes were checked as an ELF
 * relocatable already; what libelf cannot read leaves the list empty. */
static int read_firmware(unsigned char *p, size_t n, struct rf_strv *out)
{
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int r = 0;

	if (elf_version(EV_CURRENT) == EV_NONE || !(elf = elf_memory((char *)p, n)))
		return 0;
	if (elf_getshdrstrndx(elf, &shstrndx) < 0)
		goto out;
	while (r == 0 && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(name = elf_strptr(elf, shstrndx, sh.sh_name)) || strcmp(name, ".modinfo") != 0)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t at = 0; d && d->d_buf && r == 0 && at < d->d_size;) {
			const char *rec = (const char *)d->d_buf + at;
			size_t len = strnlen(rec, d->d_size - at);

			if (len > 9 && strncmp(rec, "firmware=", 9) == 0)
				r = rf_strv_pushf(out, "%.*s", (int)(len - 9), rec + 9);
			at += len + 1;
		}
		break;
	}
out:
	elf_end(elf);
	return r;
}

/* The module's bytes, decompressed, in a writable buffer (libelf may convert a foreign byte
 * order in place): malloc'd, or a private mapping (*mapped set). */
static int load_bytes(int fd, const char *path, unsigned char **data, size_t *size, bool *mapped,
		      struct rf_err *err)
{
	enum rf_comp comp = rf_comp_of(path);
	struct stat st;
	void *p;
	int r;

	*mapped = false;
	if (fstat(fd, &st) < 0)
		return rf_fail(err, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return rf_fail(err, -EINVAL, "%s: not a regular file", path);
	if (st.st_size == 0)
		return rf_fail(err, -ENOEXEC, "%s: empty file", path);
	if (comp != RF_COMP_NONE) {
		r = rf_decompress_fd(fd, comp, &p, size);
		if (r < 0)
			return rf_fail(err, r, "%s: does not decompress as %s: %s", path,
				       rf_comp_name(comp),
				       r == -EBADMSG ? "corrupt, truncated or another format" : strerror(-r));
		*data = p;
		return 0;
	}
	*size = (size_t)st.st_size;
	p = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return rf_fail(err, -errno, "%s: %s", path, strerror(errno));
	*data = p;
	*mapped = true;
	return 0;
}

static int read_fd(int fd, const char *path, struct rf_modinfo *info, struct rf_err *err)
{
	unsigned char *data = NULL;
	const char *why;
	size_t size = 0;
	bool mapped = false;
	int r = load_bytes(fd, path, &data, &size, &mapped, err);

	if (r < 0)
		return r;
	r = rf_modfile_check_elf(data, size, &why);
	if (r < 0)
		rf_fail(err, r, "%s: %s", path, why);
	/* The trailer first: libelf may rewrite headers in place for a foreign byte order. */
	if (r >= 0 && info && (r = rf_modsig_parse(data, size, &info->sig)) < 0)
		rf_fail(err, r, "%s: %s", path, strerror(-r));
	if (r >= 0 && info && (r = read_firmware(data, size, &info->firmware)) < 0)
		rf_fail(err, r, "%s: %s", path, strerror(-r));
	if (mapped)
		munmap(data, size);
	else
		free(data);
	return r;
}

static int open_module(const char *path, struct rf_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0)
		return rf_fail(err, -errno, "%s: %s", path,
			       errno == ENOENT ? "missing from the module tree" : strerror(errno));
	return fd;
}

int rf_modfile_check(const char *path, struct rf_err *err)
{
	int fd = open_module(path, err), r;

	if (fd < 0)
		return fd;
	r = read_fd(fd, path, NULL, err);
	close(fd);
	return r;
}

int rf_modfile_read(const char *path, struct rf_modinfo *info, struct rf_err *err)
{
	int fd = open_module(path, err), r;

	if (fd < 0)
		return fd;
	r = read_fd(fd, path, info, err);
	close(fd);
	return r;
}

void rf_modinfo_free(struct rf_modinfo *info)
{
	rf_strv_clear(&info->firmware);
	rf_modsig_free(&info->sig);
}
