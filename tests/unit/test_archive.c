// SPDX-License-Identifier: MIT
/* The archive writer, checked with tools nobody here wrote: zstd/gzip/xz/lz4 -d and cpio -i. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "archive.h"
#include "manifest.h"
#include "tap.h"

static char dir[64];
static char path_a[128], path_big[128], path_empty[128];

static void write_file(const char *path, size_t size, unsigned seed)
{
	FILE *f = fopen(path, "w");

	for (size_t i = 0; f && i < size; i++)
		fputc((int)((i * seed + i / 7) & 0xff), f);
	if (f)
		fclose(f);
}

/* Run a shell command; its stdout (first 64 KiB) into out. Returns the exit status. */
static int sh(char *out, size_t outsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int sh(char *out, size_t outsz, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	FILE *p;
	size_t n = 0;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (out) {
		n = fread(out, 1, outsz - 1, p);
		out[n] = '\0';
	} else {
		char sink[4096];
		while (fread(sink, 1, sizeof(sink), p) > 0)
			;
	}
	return pclose(p);
}

static void build_manifest(struct rf_manifest *m)
{
	static const char conf[] = "options foo bar=1\n";
	struct rf_err err = { { 0 } };

	rf_manifest_add_file(m, "init", path_a, 0755, &err);
	rf_manifest_add_file(m, "lib/modules/6.1.0-test/kernel/fs/big.ko", path_big, 0644, &err);
	rf_manifest_add_file(m, "lib/modules/6.1.0-test/empty.ko", path_empty, 0644, &err);
	rf_manifest_add_bytes(m, "etc/modprobe.d/x.conf", conf, sizeof(conf) - 1, 0644);
	rf_manifest_add_dir(m, "sysroot", 0700);
	rf_manifest_add_symlink(m, "bin", "usr/bin");
	rf_manifest_add_node(m, "dev/console", S_IFCHR | 0600, makedev(5, 1));
	rf_manifest_add_node(m, "dev/null", S_IFCHR | 0666, makedev(1, 3));
	rf_manifest_sort(m);
}

static const char *const expect_list =
	"bin\ndev\ndev/console\ndev/null\netc\netc/modprobe.d\netc/modprobe.d/x.conf\ninit\nlib\n"
	"lib/modules\nlib/modules/6.1.0-test\nlib/modules/6.1.0-test/empty.ko\n"
	"lib/modules/6.1.0-test/kernel\nlib/modules/6.1.0-test/kernel/fs\n"
	"lib/modules/6.1.0-test/kernel/fs/big.ko\nsysroot\n";

static int64_t write_image(const struct rf_manifest *m, const char *out, enum rf_compress c,
			   int threads, struct rf_err *err)
{
	struct rf_archive_opts o = { .compress = c, .level = -1, .threads = threads,
				     .mtime = 1700000000 };
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int64_t n;

	if (fd < 0)
		return -errno;
	n = rf_archive_write(m, fd, &o, err);
	close(fd);
	return n;
}

static const char *decompressor(enum rf_compress c)
{
	static const char *const d[] = { "zstd -dc", "gzip -dc", "xz -dc", "lz4 -dc", "cat" };
	return d[c];
}

static void check_one(const struct rf_manifest *m, enum rf_compress c)
{
	const char *name = rf_compress_name(c), *dec = decompressor(c);
	char img[256], img2[256], out[65536];
	struct rf_err err = { { 0 } };
	struct stat st;
	int64_t n;

	snprintf(img, sizeof(img), "%s/img.%s", dir, name);
	snprintf(img2, sizeof(img2), "%s/img2.%s", dir, name);
	n = write_image(m, img, c, 0, &err);
	TAP_CHECK(n > 0 && stat(img, &st) == 0 && st.st_size == n,
		  "%s: returns the bytes written (%lld) %s", name, (long long)n, err.msg);
	TAP_CHECK(sh(out, sizeof(out), "%s < %s | cpio -it --quiet", dec, img) == 0,
		  "%s: %s | cpio -it succeeds", name, dec);
	TAP_STREQ(out, expect_list, "%s: cpio lists every entry, sorted, parents first", name);
	sh(out, sizeof(out), "%s < %s | TZ=UTC cpio -itv --quiet | awk '{print $1,$3,$4}' | sort -u",
	   dec, img);
	TAP_STREQ(out,
		  "-rw-r--r-- root root\n-rwxr-xr-x root root\ncrw------- root root\n"
		  "crw-rw-rw- root root\ndrwx------ root root\ndrwxr-xr-x root root\n"
		  "lrwxrwxrwx root root\n",
		  "%s: cpio -itv shows the modes, owner root:root", name);
	sh(NULL, 0, "rm -rf %s/x && mkdir %s/x && cd %s/x && %s < ../img.%s | cpio -idm --quiet -f 'dev/*'",
	   dir, dir, dir, dec, name);
	TAP_CHECK(sh(NULL, 0, "cmp -s %s %s/x/init && cmp -s %s %s/x/lib/modules/6.1.0-test/kernel/fs/big.ko"
			      " && test -s %s/x/etc/modprobe.d/x.conf -a ! -s %s/x/lib/modules/6.1.0-test/empty.ko"
			      " && test \"$(readlink %s/x/bin)\" = usr/bin",
			      path_a, dir, path_big, dir, dir, dir, dir) == 0,
		  "%s: cpio -id unpacks identical file contents and the symlink", name);
	n = write_image(m, img2, c, 1, &err);
	TAP_CHECK(n > 0 && sh(NULL, 0, "cmp -s %s %s", img, img2) == 0,
		  "%s: byte-identical on a second write (1 thread vs one per CPU)", name);
}

static uint32_t hex8(const char *p)
{
	char buf[9];

	memcpy(buf, p, 8);
	buf[8] = '\0';
	return (uint32_t)strtoul(buf, NULL, 16);
}

/* Walk the uncompressed image's newc headers: inode numbers in order, uid/gid 0, one mtime. */
static void check_headers(void)
{
	char path[256], *buf;
	size_t len, off = 0, i = 0;
	int ok = 1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/img.none", dir);
	f = fopen(path, "r");
	buf = malloc(4 << 20);
	len = f ? fread(buf, 1, 4 << 20, f) : 0;
	while (off + 110 <= len && memcmp(buf + off, "070701", 6) == 0) {
		uint32_t namesz = hex8(buf + off + 94), filesz = hex8(buf + off + 54);
		const char *name = buf + off + 110;

		if (strcmp(name, "TRAILER!!!") == 0)
			break;
		i++;
		ok &= hex8(buf + off + 6) == i && hex8(buf + off + 22) == 0 && hex8(buf + off + 30) == 0;
		ok &= hex8(buf + off + 46) == 1700000000 && hex8(buf + off + 62) == 0;
		off = (off + 110 + namesz + 3) & ~(size_t)3;
		off = (off + filesz + 3) & ~(size_t)3;
	}
	TAP_CHECK(ok && i == 16, "none: %zu headers with inode 1..n, uid/gid 0, dev 0, fixed mtime", i);
	TAP_CHECK(off + 110 < len && strcmp(buf + off + 110, "TRAILER!!!") == 0,
		  "none: ends with the TRAILER!!! entry");
	free(buf);
	if (f)
		fclose(f);
}

static void check_variants(void)
{
	char out[4096];

	sh(out, sizeof(out), "xz --robot --list %s/img.xz | awk '$1==\"file\"{print $7}'", dir);
	TAP_STREQ(out, "CRC32\n", "xz: the stream uses a CRC32 check (the kernel rejects CRC64)");
	sh(out, sizeof(out), "od -An -tx1 -N4 %s/img.lz4 | tr -d ' '", dir);
	TAP_STREQ(out, "02214c18\n", "lz4: the legacy format magic (the kernel rejects the frame format)");
	sh(out, sizeof(out), "od -An -tx1 -N4 %s/img.zstd | tr -d ' '", dir);
	TAP_STREQ(out, "28b52ffd\n", "zstd: the zstd frame magic");
}

static void check_errors(void)
{
	struct rf_manifest m = { 0 };
	struct rf_archive_opts o = { .compress = RF_COMPRESS_ZSTD, .level = 42 };
	struct rf_err err = { { 0 } };
	char gone[256], out[256];
	int fd;

	snprintf(out, sizeof(out), "%s/err.img", dir);
	snprintf(gone, sizeof(gone), "%s/gone.ko", dir);
	write_file(gone, 100, 3);
	rf_manifest_add_file(&m, "gone.ko", gone, 0644, &err);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	TAP_CHECK(rf_archive_write(&m, fd, &o, &err) == -EINVAL && strstr(err.msg, "42"),
		  "a level out of range is refused: %s", err.msg);
	o.level = -1;
	write_file(gone, 200, 3);
	TAP_CHECK(rf_archive_write(&m, fd, &o, &err) < 0 && strstr(err.msg, gone) &&
			  strstr(err.msg, "changed size"),
		  "a source that changed size is an error naming it: %s", err.msg);
	unlink(gone);
	TAP_CHECK(rf_archive_write(&m, fd, &o, &err) == -ENOENT && strstr(err.msg, gone),
		  "a source that vanished is an error naming it: %s", err.msg);
	close(fd);
	fd = open("/dev/full", O_WRONLY);
	rf_manifest_free(&m);
	rf_manifest_add_bytes(&m, "a", "x", 1, 0644);
	TAP_CHECK(fd >= 0 && rf_archive_write(&m, fd, &o, &err) == -ENOSPC &&
			  strstr(err.msg, "No space"),
		  "a full disk is reported as such: %s", err.msg);
	if (fd >= 0)
		close(fd);
	rf_manifest_free(&m);
}

static void check_parse(void)
{
	enum rf_compress c;

	TAP_CHECK(rf_compress_parse("xz", &c) == 0 && c == RF_COMPRESS_XZ, "parse xz");
	TAP_CHECK(rf_compress_parse("bzip2", &c) == -EINVAL, "parse refuses bzip2");
	TAP_STREQ(rf_compress_name(RF_COMPRESS_LZ4), "lz4", "name of lz4");
}

int main(void)
{
	struct rf_manifest m = { 0 };

	snprintf(dir, sizeof(dir), "/tmp/rf-test-archive.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(path_a, sizeof(path_a), "%s/init.src", dir);
	snprintf(path_big, sizeof(path_big), "%s/big.src", dir);
	snprintf(path_empty, sizeof(path_empty), "%s/empty.src", dir);
	write_file(path_a, 5000, 13);
	write_file(path_big, 3 << 20, 7);
	write_file(path_empty, 0, 1);
	build_manifest(&m);
	for (int c = RF_COMPRESS_ZSTD; c <= RF_COMPRESS_NONE; c++)
		check_one(&m, (enum rf_compress)c);
	check_headers();
	check_variants();
	check_errors();
	check_parse();
	rf_manifest_free(&m);
	sh(NULL, 0, "rm -rf %s", dir);
	return tap_done();
}
