// SPDX-License-Identifier: MIT
/* `ramforge ls`: list an initramfs image like lsinitrd, or the kernel modules or the programs
 * and libraries in it. */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "decompress.h"
#include "elfobj.h"
#include "input.h"
#include "imgindex.h"
#include "inspect.h"
#include "log.h"
#include "ls_extract.h"
#include "modsig.h"
#include "opts.h"
#include "print_sig.h"
#include "sigtrust.h"

static const char help[] =
	"Usage: ramforge ls [--modules|--binaries|--signatures [--trusted-cert FILE]...] IMAGE\n"
	"       ramforge ls -f FILE IMAGE\n"
	"       ramforge ls --unpack DIR [--devices] IMAGE\n"
	"\n"
	"List the contents of an initramfs image (ramforge's, dracut's or any newc cpio), with\n"
	"its compression found by magic: zstd, gzip, xz, lz4 (legacy), none; also bzip2, lzma\n"
	"and lz4's frame format (which the kernel cannot unpack). Every segment the kernel\n"
	"would unpack is listed: uncompressed cpio archives (as dracut's early microcode cpio)\n"
	"and compressed streams one after another, with zero padding between; bytes the kernel\n"
	"would stop at are an error.\n"
	"\n"
	"Output: a first line\n"
	"  Image: IMAGE: SIZE bytes, COMPRESSION at OFFSET[ + COMPRESSION at OFFSET...]\n"
	"  (dracut layout: \"early cpio (none) at 0 + zstd at 11776\")\n"
	"then, for an image of several segments, a line before each segment's entries\n"
	"  segment N of M: COMPRESSION at OFFSET, LENGTH bytes[ (SIZE unpacked)], A archives, E entries\n"
	"and one line per entry, like `ls -l` (times in UTC):\n"
	"  MODE NLINK OWNER GROUP SIZE YYYY-MM-DD HH:MM PATH[ -> TARGET]\n"
	"  drwxr-xr-x   2 root     root            0 2024-01-01 00:00 lib/modules\n"
	"Devices show MAJOR, MINOR in place of SIZE.\n"
	"\n"
	"Options:\n"
	"      --modules   list only kernel modules (lib/modules/KVER/...ko*), one a line:\n"
	"                  KVER NAME PATH  (NAME kmod-normalised, '-' as '_')\n"
	"      --binaries  list only ELF programs and shared libraries (by content), one a line:\n"
	"                  KIND PATH INTERPRETER NEEDED\n"
	"                  KIND: program or library; INTERPRETER: its PT_INTERP (the loader),\n"
	"                  \"-\" for none (a static program, a library); NEEDED: its DT_NEEDED\n"
	"                  sonames, comma-separated, \"-\" for none\n"
	"                  program usr/sbin/lvm /lib64/ld-linux-x86-64.so.2 libudev.so.1,libc.so.6\n"
	"      --signatures  the signature of every kernel module, one a line:\n"
	"                  NAME signer=\"CN\" sig_key=SERIAL sig_hashalgo=HASH trust=TRUST\n"
	"                  (the fields `modinfo -F` prints, empty when unsigned); TRUST is\n"
	"                  cert:FILE  signed by a --trusted-cert's key, and it verifies\n"
	"                  in-tree    signed by the key most of the image's in-tree modules\n"
	"                             (lib/modules/KVER/kernel/) share: the kernel's build key\n"
	"                             (a consistency check; its certificate is not checked)\n"
	"                  untrusted  signed by another key, or it does not verify (why)\n"
	"                  unsigned   no signature\n"
	"                  malformed (WHY)  a signature trailer the kernel would reject\n"
	"      --trusted-cert FILE  a certificate (DER or PEM, repeatable) for cert:FILE\n"
	"  -f, --file FILE print FILE of the image to stdout (as lsinitrd -f); symlinks are\n"
	"                  followed inside the image; a FILE not in it: exit 1, one line\n"
	"      --unpack DIR  extract the image into DIR (new, or empty): no entry is written\n"
	"                  outside DIR (a name or symlink leading out is an error); modes and\n"
	"                  times kept, owners only as root; device nodes and sockets skipped\n"
	"                  (one warning) unless --devices (root only) is given\n"
	"  -h, --help      this text\n"
	"\n"
	"Images are read as untrusted input: a malformed, truncated or oversized one (more than\n"
	"4 GiB unpacked, or a decompression bomb) is an error. Nothing is written to disk,\n"
	"except into --unpack's DIR.\n"
	"\n"
	"Exit status: 0 on success; 1 when the image cannot be read (one line on stderr:\n"
	"`ramforge: error: IMAGE: why`); 2 on a usage error.\n";

static void mode_string(uint32_t mode, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	char type;

	switch (mode & S_IFMT) {
	case S_IFDIR: type = 'd'; break;
	case S_IFLNK: type = 'l'; break;
	case S_IFCHR: type = 'c'; break;
	case S_IFBLK: type = 'b'; break;
	case S_IFIFO: type = 'p'; break;
	case S_IFSOCK: type = 's'; break;
	default: type = '-'; break;
	}
	out[0] = type;
	for (int i = 0; i < 9; i++)
		out[i + 1] = mode & (0400u >> i) ? rwx[i] : '-';
	if (mode & S_ISUID)
		out[3] = out[3] == 'x' ? 's' : 'S';
	if (mode & S_ISGID)
		out[6] = out[6] == 'x' ? 's' : 'S';
	if (mode & S_ISVTX)
		out[9] = out[9] == 'x' ? 't' : 'T';
	out[10] = '\0';
}

static void id_string(uint32_t id, char out[16])
{
	if (id == 0)
		snprintf(out, 16, "root");
	else
		snprintf(out, 16, "%u", id);
}

/* What the entry printers share: the image, and how many segment headers are printed. */
struct listing {
	const struct rf_inspect *img;
	size_t headers;
	struct rf_err *err;
};

static void print_segment(const struct rf_inspect *img, size_t i)
{
	const struct rf_inspect_segment *s = rf_inspect_segment(img, i);

	printf("segment %zu of %zu: %s at %llu, %llu bytes", i + 1, rf_inspect_nsegments(img),
	       rf_inspect_compress_name(s->compress), (unsigned long long)s->offset,
	       (unsigned long long)s->length);
	if (s->compress != RF_INSPECT_NONE)
		printf(" (%llu unpacked)", (unsigned long long)s->unpacked);
	printf(", %u archive%s, %llu entr%s%s\n", s->archives, s->archives == 1 ? "" : "s",
	       (unsigned long long)s->entries, s->entries == 1 ? "y" : "ies",
	       s->compress == RF_INSPECT_LZ4_FRAME ? " (the kernel cannot unpack this)" : "");
}

/* The header lines of the segments up to `upto` (exclusive), for images of several. */
static void print_headers(struct listing *l, size_t upto)
{
	if (rf_inspect_nsegments(l->img) < 2)
		return;
	for (; l->headers < upto; l->headers++)
		print_segment(l->img, l->headers);
}

static int print_entry(const struct rf_inspect_entry *e, void *data)
{
	char mode[11], uid[16], gid[16], size[32], when[32];
	time_t t = (time_t)e->mtime;
	struct tm tm;

	print_headers(data, e->segment + 1);
	mode_string(e->mode, mode);
	id_string(e->uid, uid);
	id_string(e->gid, gid);
	if (S_ISCHR(e->mode) || S_ISBLK(e->mode))
		snprintf(size, sizeof(size), "%u, %u", e->rdev_major, e->rdev_minor);
	else
		snprintf(size, sizeof(size), "%llu", (unsigned long long)e->size);
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	else
		snprintf(when, sizeof(when), "%llu", (unsigned long long)e->mtime);
	printf("%s %3u %-8s %-8s %8s %s %s%s%s\n", mode, e->nlink, uid, gid, size, when, e->path,
	       e->link ? " -> " : "", e->link ? e->link : "");
	return 0;
}

/* "lib/modules/KVER/<dirs>/NAME.ko[.xz|.zst|.gz]" (also under usr/) -> KVER NAME PATH. */
static int print_module(const struct rf_inspect_entry *e, void *data)
{
	struct listing *l = data;
	char *name = NULL, *kver = NULL;
	int r = S_ISREG(e->mode) ? rf_imgindex_module_path(e->path, &name, &kver) : 0;

	if (r < 0)
		return rf_fail(l->err, r, "listing modules: %s", strerror(-r));
	if (r > 0)
		printf("%s %s %s\n", kver, name, e->path);
	free(name);
	free(kver);
	return 0;
}

#define BINARY_MAX ((uint64_t)256 << 20) /* larger files are not read for --binaries */

static const char *binary_kind(const struct rf_elfobj *o)
{
	if (o->type == ET_EXEC)
		return "program";
	if (o->type != ET_DYN)
		return NULL; /* kernel modules (ET_REL), core files */
	if (o->soname)
		return "library"; /* libc.so.6 has a PT_INTERP, yet it is a library */
	return o->interp || o->pie ? "program" : "library";
}

/* An ELF program or library: KIND PATH INTERPRETER NEEDED. */
static int print_binary(const struct rf_inspect_entry *e, void *data)
{
	struct listing *l = data;
	struct rf_err why = { "" };
	struct rf_elfobj *o = NULL;
	const char *kind;

	if (!e->data || e->size < 4 || memcmp(e->data, "\177ELF", 4) != 0)
		return 0;
	if (rf_elfobj_read_mem(e->data, e->size, e->path, RF_ELFOBJ_NO_NOTES, &o, &why) < 0) {
		if (why.msg[0] && strstr(why.msg, "out of memory"))
			return rf_fail(l->err, -ENOMEM, "%s", why.msg);
		rf_warn("%s", why.msg); /* a broken ELF file is listed nowhere; the rest is */
		return 0;
	}
	kind = binary_kind(o);
	if (kind) {
		printf("%s %s %s ", kind, e->path, o->interp ? o->interp : "-");
		for (size_t i = 0; i < o->needed.n; i++)
			printf("%s%s", i ? "," : "", o->needed.v[i]);
		puts(o->needed.n ? "" : "-");
	}
	rf_elfobj_free(o);
	return 0;
}

#define MODULE_DATA_MAX ((uint64_t)1 << 30) /* as the module decompressor's limit */

/* One module of the image, kept until the build key is known. */
struct sigrec {
	char *name;
	struct rf_modsig sig;
	int cert;        /* rf_sigtrust_cert's result */
	const char *file; /* the certificate that verified it */
	char *why;       /* cert < 0: why it did not verify */
};

struct siglist {
	struct sigrec *v;
	size_t n, cap;
	struct rf_sigtrust keys;
	const struct rf_certs *certs;
	struct rf_err *err;
};

/* "lib/modules/KVER/REL" (also under usr/) with a module suffix: 1 with its NAME (malloc'd,
 * kmod-normalised) and REL; 0 for any other path; -ENOMEM. */
static int module_name(const char *path, char **name, const char **rel)
{
	char *kver = NULL;
	int r = rf_imgindex_module_path(path, name, &kver);

	if (r > 0) /* [usr/]lib/modules/KVER/REL */
		*rel = path + (strncmp(path, "usr/", 4) == 0 ? 4 : 0) + strlen("lib/modules/") +
		       strlen(kver) + 1;
	free(kver);
	return r;
}

/* The module's bytes as the kernel sees them: decompressed when its name says so. */
static int module_bytes(const struct rf_inspect_entry *e, unsigned char **buf, const unsigned char **p,
			size_t *n)
{
	enum rf_comp c = rf_comp_of(e->path);

	*buf = NULL;
	*p = e->data;
	*n = (size_t)e->size;
	if (c == RF_COMP_NONE)
		return 0;
	if (rf_decompress_mem(e->data, (size_t)e->size, c, (void **)buf, n) < 0)
		return -EBADMSG;
	*p = *buf;
	return 0;
}

static int collect_signature(const struct rf_inspect_entry *e, void *data)
{
	struct siglist *l = data;
	struct rf_err why = { "" };
	const unsigned char *p;
	unsigned char *buf;
	struct sigrec *s;
	const char *rel;
	char *name;
	size_t n;
	int r;

	if (!S_ISREG(e->mode) || (r = module_name(e->path, &name, &rel)) == 0)
		return 0;
	if (r < 0 || rf_grow(&l->v, &l->cap, l->n, sizeof(*l->v), 64) < 0) {
		if (r > 0)
			free(name);
		return rf_fail(l->err, -ENOMEM, "listing signatures: %s", strerror(ENOMEM));
	}
	s = &l->v[l->n++];
	memset(s, 0, sizeof(*s));
	s->name = name;
	if (!e->data || module_bytes(e, &buf, &p, &n) < 0) {
		s->sig.state = RF_MODSIG_MALFORMED;
		s->sig.why = e->data ? "does not decompress as its name says" : "larger than 1 GiB";
		return 0;
	}
	r = rf_modsig_parse(p, n, &s->sig);
	if (r >= 0 && rf_sigtrust_intree_path(rel))
		r = rf_sigtrust_count(&l->keys, &s->sig);
	if (r >= 0) {
		s->cert = rf_sigtrust_cert(p, n, &s->sig, l->certs, &s->file, &why);
		if (s->cert == -EKEYREJECTED && !(s->why = strdup(why.msg)))
			r = -ENOMEM;
		else if (s->cert < 0 && s->cert != -EKEYREJECTED)
			r = s->cert;
	}
	free(buf);
	return r < 0 ? rf_fail(l->err, r, "listing signatures: %s", strerror(-r)) : 0;
}

static void print_signature(const struct sigrec *s, const struct rf_modsig *intree)
{
	enum rf_trust t = rf_sigtrust_decide(&s->sig, s->cert, intree);
	char cert[4096];

	snprintf(cert, sizeof(cert), "cert:%s", s->file ? s->file : "");
	printf("%s", s->name);
	rf_print_signature(&s->sig, t == RF_TRUST_CERT ? cert : rf_trust_name(t),
			   t == RF_TRUST_MALFORMED ? s->sig.why
			   : t == RF_TRUST_UNTRUSTED ? s->why : NULL);
	putchar('\n');
}

static int list_signatures(struct rf_inspect *img, const struct rf_strv *cert_files,
			   struct rf_err *err)
{
	struct siglist l = { .err = err };
	struct rf_certs *certs = NULL;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < cert_files->n; i++)
		r = rf_certs_load(&certs, cert_files->v[i], err);
	l.certs = certs;
	if (r >= 0)
		r = rf_inspect_foreach_data(img, MODULE_DATA_MAX, collect_signature, &l, err);
	for (size_t i = 0; r >= 0 && i < l.n; i++)
		print_signature(&l.v[i], rf_sigtrust_intree(&l.keys));
	for (size_t i = 0; i < l.n; i++) {
		free(l.v[i].name);
		free(l.v[i].why);
		rf_modsig_free(&l.v[i].sig);
	}
	free(l.v);
	rf_sigtrust_free(&l.keys);
	rf_certs_free(certs);
	return r;
}

static void print_summary(const struct rf_inspect *img, const char *path)
{
	struct stat st;

	printf("Image: %s: %lld bytes, ", path, stat(path, &st) == 0 ? (long long)st.st_size : 0LL);
	for (size_t i = 0; i < rf_inspect_nsegments(img); i++) {
		const struct rf_inspect_segment *s = rf_inspect_segment(img, i);
		bool early = s->compress == RF_INSPECT_NONE && i + 1 < rf_inspect_nsegments(img);

		printf("%s%s%s%s at %llu", i ? " + " : "", early ? "early cpio (" : "",
		       rf_inspect_compress_name(s->compress), early ? ")" : "",
		       (unsigned long long)s->offset);
		if (s->compress == RF_INSPECT_LZ4_FRAME)
			printf(" (the kernel cannot unpack this)");
	}
	putchar('\n');
}

int rf_cmd_ls(int argc, char **argv)
{
	struct rf_opts o = { 0 };
	struct rf_err err = { "" };
	struct rf_inspect *img = NULL;
	int fd = -1, r = rf_opts_parse(&o, argc, argv, RF_OPT_LS, &err);
	bool usage = r < 0;

	if (r >= 0 && o.help) {
		fputs(help, stdout);
		goto out;
	}
	if (r >= 0 && o.modules + o.binaries + o.signatures > 1) {
		r = rf_fail(&err, -EINVAL, "ls: %s and %s do not go together",
			    o.modules ? "--modules" : "--binaries", o.signatures ? "--signatures" : "--binaries");
		usage = true;
	}
	if (r >= 0 && o.trusted_certs.n && !o.signatures) {
		r = rf_fail(&err, -EINVAL, "ls: --trusted-cert goes with --signatures");
		usage = true;
	}
	if (r >= 0 && o.args.n != 1) {
		r = rf_fail(&err, -EINVAL, "ls takes one IMAGE (see `ramforge ls --help`)");
		usage = true;
	}
	if (r >= 0 && (r = rf_ls_extract_check(&o, &err)) < 0)
		usage = true;
	rf_opts_apply_verbosity(&o);
	if (r >= 0)
		r = fd = rf_input_open(NULL, o.args.v[0], NULL, 0, &err); /* a FIFO must not hang */
	if (r >= 0)
		r = rf_inspect_open_fd(&img, fd, o.args.v[0], NULL, &err);
	if (r >= 0 && (o.file || o.unpack)) {
		r = o.file ? rf_ls_file(img, o.args.v[0], o.file, &err)
			   : rf_ls_unpack(img, o.args.v[0], o.unpack, o.devices, &err);
		goto done;
	}
	if (r >= 0 && !o.modules && !o.binaries && !o.signatures)
		print_summary(img, o.args.v[0]);
	if (r >= 0 && o.signatures) {
		r = list_signatures(img, &o.trusted_certs, &err);
	} else if (r >= 0 && o.binaries) {
		struct listing l = { .img = img, .err = &err };

		r = rf_inspect_foreach_data(img, BINARY_MAX, print_binary, &l, &err);
	} else if (r >= 0) {
		struct listing l = { .img = img, .err = &err };

		r = rf_inspect_foreach(img, o.modules ? print_module : print_entry, &l, &err);
		if (r >= 0 && !o.modules)
			print_headers(&l, rf_inspect_nsegments(img));
	}
done:
	if (r < 0)
		rf_error("%s", err.msg);
out:
	rf_inspect_free(img);
	if (fd >= 0)
		close(fd);
	rf_opts_free(&o);
	return r < 0 ? (usage ? 2 : 1) : 0;
}
