// SPDX-License-Identifier: MIT
/* Module file checks; see modfile.h. */
#include "modfile.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
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

static int check_fd(int fd, const char *path, struct rf_err *err)
{
	enum rf_comp comp = rf_comp_of(path);
	struct stat st;
	const char *why;
	void *data = NULL;
	size_t size = 0;
	int r;

	if (fstat(fd, &st) < 0)
		return rf_fail(err, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return rf_fail(err, -EINVAL, "%s: not a regular file", path);
	if (st.st_size == 0)
		return rf_fail(err, -ENOEXEC, "%s: empty file", path);
	if (comp != RF_COMP_NONE) {
		r = rf_decompress_fd(fd, comp, &data, &size);
		if (r < 0)
			return rf_fail(err, r, "%s: does not decompress as %s: %s", path,
				       rf_comp_name(comp),
				       r == -EBADMSG ? "corrupt, truncated or another format" : strerror(-r));
	} else {
		size = (size_t)st.st_size;
		data = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (data == MAP_FAILED)
			return rf_fail(err, -errno, "%s: %s", path, strerror(errno));
	}
	r = rf_modfile_check_elf(data, size, &why);
	if (comp != RF_COMP_NONE)
		free(data);
	else
		munmap(data, size);
	return r < 0 ? rf_fail(err, r, "%s: %s", path, why) : 0;
}

int rf_modfile_check(const char *path, struct rf_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	int r;

	if (fd < 0)
		return rf_fail(err, -errno, "%s: %s", path,
			       errno == ENOENT ? "missing from the module tree" : strerror(errno));
	r = check_fd(fd, path, err);
	close(fd);
	return r;
}
