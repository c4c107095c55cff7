// SPDX-License-Identifier: MIT
/* The module compression cache (lib/zcache.c): the same bytes cold, warm, without a cache and
 * on any number of threads; outputs that zstd/xz and the init's decompressor read; corrupt,
 * unwritable, foreign, full and shared cache directories never change the output nor fail the
 * build; the bound keeps the most recently used entries. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <lzma.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "log.h"
#include "tap.h"
#include "zcache.h"
#include "zcache_entry.h"

#define NJOBS 12

static const size_t sizes[NJOBS] = { 0, 1, 100, 777, 4096, 9000, 20000, 33333, 50000, 65536,
				     80000, 100000 };
static unsigned char *inputs[NJOBS];
static struct rf_zjob ref_zstd[NJOBS], ref_xz[NJOBS]; /* no cache, one thread */
static char base[] = "/tmp/test_zcache.XXXXXX";
static int dirs;

/* Warnings, collected from any thread. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rf_strv warnings;

static void collect(void *data, enum rf_log_level level, const char *msg)
{
	(void)data;
	if (level > RF_LOG_WARN)
		return;
	pthread_mutex_lock(&log_lock);
	rf_strv_push(&warnings, msg);
	pthread_mutex_unlock(&log_lock);
}

static const char *last_warning(void)
{
	return warnings.n ? warnings.v[warnings.n - 1] : "";
}

/* Module-like bytes: symbol names, small numbers and some noise, compressible like code. */
static void make_inputs(void)
{
	static const char *const words[] = { "module_init", "kmalloc", "__this_module", "pci_",
					     "usb_register", "\x48\x89\xe5", "\0\0\0\0", "irq" };
	uint32_t x = 2463534242u;

	for (int i = 0; i < NJOBS; i++) {
		unsigned char *p = malloc(sizes[i] + 1);

		for (size_t at = 0; at < sizes[i];) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			if (x % 5 == 0) {
				p[at++] = (unsigned char)(x >> 8);
				continue;
			}
			for (const char *w = words[x % 8]; *w && at < sizes[i]; w++)
				p[at++] = (unsigned char)*w;
		}
		inputs[i] = p;
	}
}

static void init_jobs(struct rf_zjob *jobs)
{
	static char names[NJOBS][16];

	for (int i = 0; i < NJOBS; i++) {
		snprintf(names[i], sizeof(names[i]), "mod%d", i);
		jobs[i] = (struct rf_zjob){ .name = names[i], .in = sizes[i] ? inputs[i] : NULL,
					    .inlen = sizes[i] };
	}
}

static void free_jobs(struct rf_zjob *jobs)
{
	for (int i = 0; i < NJOBS; i++)
		rf_freep(&jobs[i].out);
}

/* Compress the test's inputs: the result of rf_zcache_compress. */
static int run(struct rf_zcache *zc, enum rf_comp c, int threads, struct rf_zjob *jobs,
	       struct rf_zcache_report *rep)
{
	struct rf_err err = { "" };

	init_jobs(jobs);
	return rf_zcache_compress(zc, c, -1, jobs, NJOBS, threads, rep, &err);
}

static bool same(const struct rf_zjob *a, const struct rf_zjob *b)
{
	for (int i = 0; i < NJOBS; i++)
		if (!a[i].out || !b[i].out || a[i].outlen != b[i].outlen ||
		    memcmp(a[i].out, b[i].out, a[i].outlen) != 0)
			return false;
	return true;
}

static int count_hits(const struct rf_zjob *jobs)
{
	int k = 0;

	for (int i = 0; i < NJOBS; i++)
		k += jobs[i].hit;
	return k;
}

/* A fresh cache directory's path (not created). */
static char *fresh_dir(void)
{
	return rf_strdupf("%s/c%d", base, dirs++);
}

/* The path of job i's entry under dir. */
static char *entry_path(const char *dir, enum rf_comp c, int i)
{
	unsigned char key[RF_ZENTRY_KEY_LEN];
	char hex[2 * RF_ZENTRY_KEY_LEN + 1];
	int level = c == RF_COMP_XZ ? RF_MODPACK_XZ_LEVEL : RF_MODPACK_ZSTD_LEVEL;

	if (rf_zentry_key(c, level, inputs[i], sizes[i], key) < 0)
		abort();
	for (int k = 0; k < RF_ZENTRY_KEY_LEN; k++)
		snprintf(hex + 2 * k, 3, "%02x", key[k]);
	return rf_strdupf("%s/%.2s/%s%s", dir, hex, hex + 2, RF_ZENTRY_SUFFIX);
}

/* What lies in DIR/XX/: entries, temporary files, their total size. */
struct census {
	int entries, tmps, others;
	uint64_t bytes;
};

static struct census census(const char *dir)
{
	struct census c = { 0 };
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *sub = rf_path_join(dir, de->d_name);
		DIR *s = rf_zentry_is_subdir_name(de->d_name) ? opendir(sub) : NULL;
		struct dirent *e;

		while (s && (e = readdir(s))) {
			char *p = rf_path_join(sub, e->d_name);
			struct stat st;

			if (lstat(p, &st) == 0 && S_ISREG(st.st_mode)) {
				if (rf_zentry_is_entry_name(e->d_name))
					c.entries++, c.bytes += (uint64_t)st.st_size;
				else if (rf_zentry_is_tmp_name(e->d_name))
					c.tmps++;
				else
					c.others++;
			}
			free(p);
		}
		if (s)
			closedir(s);
		free(sub);
	}
	if (d)
		closedir(d);
	return c;
}

static void test_round_trip(void)
{
	bool zok = true, xok = true, crc32 = true, dict = true, zflags = true;

	TAP_CHECK(run(NULL, RF_COMP_ZSTD, 1, ref_zstd, NULL) == 0 &&
		  run(NULL, RF_COMP_XZ, 1, ref_xz, NULL) == 0, "both formats compress, no cache");
	for (int i = 0; i < NJOBS; i++) {
		void *out = NULL;
		size_t len = 0;
		lzma_stream s = LZMA_STREAM_INIT;
		unsigned char buf[4096];

		zok &= rf_decompress_mem(ref_zstd[i].out, ref_zstd[i].outlen, RF_COMP_ZSTD, &out,
					 &len) == 0 && len == sizes[i] &&
		       (len == 0 || memcmp(out, inputs[i], len) == 0);
		rf_freep(&out);
		xok &= rf_decompress_mem(ref_xz[i].out, ref_xz[i].outlen, RF_COMP_XZ, &out, &len) == 0 &&
		       len == sizes[i] && (len == 0 || memcmp(out, inputs[i], len) == 0);
		rf_freep(&out);
		/* bit 2 of the frame header descriptor: a content checksum follows the frame */
		zflags &= ref_zstd[i].outlen > 5 && (ref_zstd[i].out[4] & 0x04) &&
			  ZSTD_getFrameContentSize(ref_zstd[i].out, ref_zstd[i].outlen) == sizes[i];
		/* byte 7 of the stream header is the check: 1 is CRC32 */
		crc32 &= ref_xz[i].outlen > 12 && ref_xz[i].out[7] == 0x01;
		/* a 1 MiB dictionary decodes within 2 MiB; xz -9's 64 MiB one would not */
		if (lzma_stream_decoder(&s, 2 << 20, 0) != LZMA_OK)
			abort();
		s.next_in = ref_xz[i].out;
		s.avail_in = ref_xz[i].outlen;
		for (lzma_ret r = LZMA_OK; r == LZMA_OK;) {
			s.next_out = buf;
			s.avail_out = sizeof(buf);
			r = lzma_code(&s, LZMA_FINISH);
			dict &= r == LZMA_OK || r == LZMA_STREAM_END;
		}
		lzma_end(&s);
	}
	TAP_CHECK(zok, "zstd: each output decompresses (rf_decompress_mem) to its input, the "
		       "empty one too");
	TAP_CHECK(xok, "xz: each output decompresses (rf_decompress_mem) to its input");
	TAP_CHECK(zflags, "zstd frames carry a content checksum and the content size");
	TAP_CHECK(crc32, "xz streams have a CRC32 check, as kbuild's");
	TAP_CHECK(dict, "xz streams decode within a 2 MiB memory limit (1 MiB dictionary)");
	TAP_CHECK(ref_xz[NJOBS - 1].outlen < sizes[NJOBS - 1] / 2 &&
		  ref_zstd[NJOBS - 1].outlen < sizes[NJOBS - 1] / 2,
		  "the outputs are smaller than the inputs (zstd %zu, xz %zu of %zu)",
		  ref_zstd[NJOBS - 1].outlen, ref_xz[NJOBS - 1].outlen, sizes[NJOBS - 1]);
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "w");

	fwrite(p, 1, n, f);
	fclose(f);
}

/* The command line tools read the outputs too. */
static void test_tools(void)
{
	char *path = rf_strdupf("%s/out", base);
	bool ok = true;

	if (system("zstd --version >/dev/null 2>&1 && xz --version >/dev/null 2>&1") != 0) {
		TAP_CHECK(1, "# skip zstd or xz is not installed");
		free(path);
		return;
	}
	for (int f = 0; f < 2; f++) {
		const struct rf_zjob *j = f ? &ref_xz[NJOBS - 1] : &ref_zstd[NJOBS - 1];
		char *cmd = rf_strdupf("%s -dc < %s | cmp -s - %s.in", f ? "xz" : "zstd", path, path);
		char *in = rf_strdupf("%s.in", path);

		write_file(path, j->out, j->outlen);
		write_file(in, inputs[NJOBS - 1], sizes[NJOBS - 1]);
		ok &= system(cmd) == 0;
		free(cmd);
		free(in);
	}
	TAP_CHECK(ok, "zstd -d and xz -d give back the input");
	free(path);
}

static void test_threads(void)
{
	struct rf_zjob a[NJOBS], b[NJOBS];

	TAP_CHECK(run(NULL, RF_COMP_ZSTD, 4, a, NULL) == 0 && same(a, ref_zstd) &&
		  run(NULL, RF_COMP_ZSTD, 0, b, NULL) == 0 && same(b, ref_zstd),
		  "zstd: 4 threads and one per CPU give the bytes of one thread");
	free_jobs(a);
	free_jobs(b);
	TAP_CHECK(run(NULL, RF_COMP_XZ, 4, a, NULL) == 0 && same(a, ref_xz),
		  "xz: 4 threads give the bytes of one thread");
	free_jobs(a);
}

static void test_cold_warm(void)
{
	char *dir = fresh_dir();
	struct rf_zjob a[NJOBS], b[NJOBS], x[NJOBS];
	struct rf_zcache_report cold, warm, xr;
	struct rf_zcache *zc = rf_zcache_open(dir, 0);
	struct stat st;

	TAP_CHECK(zc && stat(dir, &st) == 0 && (st.st_mode & 07777) == 0700,
		  "a missing cache directory is created, mode 0700");
	TAP_CHECK(run(zc, RF_COMP_ZSTD, 2, a, &cold) == 0 && same(a, ref_zstd) && !count_hits(a),
		  "cold: the bytes of no cache");
	TAP_CHECK(cold.hits == 0 && cold.misses == NJOBS && cold.stored == NJOBS && !cold.corrupt,
		  "cold: %zu hits, %zu misses, %zu stored, %zu corrupt", cold.hits, cold.misses,
		  cold.stored, cold.corrupt);
	rf_zcache_close(zc);
	TAP_CHECK(census(dir).entries == NJOBS && census(dir).tmps == 0,
		  "one entry a job, no temporary file left");
	zc = rf_zcache_open(dir, 0);
	TAP_CHECK(run(zc, RF_COMP_ZSTD, 2, b, &warm) == 0 && same(b, ref_zstd) &&
		  count_hits(b) == NJOBS, "warm: the same bytes, every job a hit");
	TAP_CHECK(warm.hits == NJOBS && warm.misses == 0 && warm.stored == 0 && !warm.corrupt,
		  "warm: %zu hits, %zu misses, %zu stored", warm.hits, warm.misses, warm.stored);
	TAP_CHECK(warm.in_bytes == cold.in_bytes && warm.out_bytes == cold.out_bytes &&
		  warm.seconds >= 0 && warm.seconds < cold.seconds,
		  "the report's bytes (%llu in, %llu out) and seconds (%.3f cold, %.3f warm)",
		  (unsigned long long)warm.in_bytes, (unsigned long long)warm.out_bytes,
		  cold.seconds, warm.seconds);
	TAP_CHECK(run(zc, RF_COMP_XZ, 2, x, &xr) == 0 && same(x, ref_xz) && xr.misses == NJOBS,
		  "xz: the zstd entries are not taken for it");
	free_jobs(x);
	TAP_CHECK(run(zc, RF_COMP_XZ, 2, x, &xr) == 0 && same(x, ref_xz) && xr.hits == NJOBS,
		  "xz: warm, the same bytes");
	rf_zcache_close(zc);
	free_jobs(a);
	free_jobs(b);
	free_jobs(x);
	free(dir);
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char *p = malloc(1 << 20);

	*n = fread(p, 1, 1 << 20, f);
	fclose(f);
	return p;
}

static void test_corrupt(void)
{
	char *dir = fresh_dir(), *p[7], *outside;
	struct rf_zjob a[NJOBS];
	struct rf_zcache_report rep;
	struct rf_zcache *zc = rf_zcache_open(dir, 0);
	size_t n;
	char *bytes;

	run(zc, RF_COMP_ZSTD, 2, a, NULL);
	free_jobs(a);
	for (int i = 0; i < 7; i++)
		p[i] = entry_path(dir, RF_COMP_ZSTD, i + 4);
	bytes = slurp(p[0], &n); /* a flipped byte in the payload */
	bytes[n - 3] ^= 0x20;
	write_file(p[0], bytes, n);
	free(bytes);
	truncate(p[1], 100); /* cut short */
	outside = rf_strdupf("%s/outside", base); /* a symlink to a valid copy of the entry */
	rename(p[2], outside);
	symlink(outside, p[2]);
	bytes = slurp(p[6], &n); /* a valid entry of another input */
	write_file(p[3], bytes, n);
	free(bytes);
	unlink(p[4]); /* not a regular file: neither may hang nor be read */
	mkfifo(p[4], 0600);
	unlink(p[5]);
	mkdir(p[5], 0700);
	rf_strv_clear(&warnings);
	TAP_CHECK(run(zc, RF_COMP_ZSTD, 2, a, &rep) == 0 && same(a, ref_zstd),
		  "corrupt entries: the bytes of no cache");
	TAP_CHECK(rep.corrupt == 6 && rep.hits == NJOBS - 6 && rep.misses == 6 && rep.stored == 6,
		  "flipped, truncated, symlink, another key's, FIFO, directory: %zu corrupt, %zu "
		  "hits, %zu stored", rep.corrupt, rep.hits, rep.stored);
	TAP_CHECK(warnings.n == 0, "corrupt entries are replaced without a warning");
	free_jobs(a);
	TAP_CHECK(run(zc, RF_COMP_ZSTD, 2, a, &rep) == 0 && same(a, ref_zstd) &&
		  rep.hits == NJOBS && rep.corrupt == 0, "replaced: every job a hit again");
	rf_zcache_close(zc);
	TAP_CHECK(census(dir).entries == NJOBS, "every entry a regular file again");
	free_jobs(a);
	for (int i = 0; i < 7; i++)
		free(p[i]);
	free(outside);
	free(dir);
}

/* The directory refuses new files: every XX subdirectory a regular file (works as root). */
static void test_unwritable_subdirs(void)
{
	char *dir = fresh_dir(), *warn;
	struct rf_zjob a[NJOBS];
	struct rf_zcache_report rep;
	struct rf_zcache *zc = rf_zcache_open(dir, 0);

	for (int i = 0; i < 256; i++) {
		char *p = rf_strdupf("%s/%02x", dir, i);
		write_file(p, "", 0);
		free(p);
	}
	rf_strv_clear(&warnings);
	TAP_CHECK(run(zc, RF_COMP_ZSTD, 2, a, &rep) == 0 && same(a, ref_zstd) && rep.stored == 0,
		  "entries cannot be stored: the bytes of no cache, none stored");
	warn = rf_strdupf("module cache %s: cannot store entries (Not a directory): building "
			  "without storing", dir);
	TAP_CHECK(warnings.n == 1, "one warning (%zu)", warnings.n);
	TAP_STREQ(last_warning(), warn, "it says which directory and why");
	free_jobs(a);
	TAP_CHECK(run(zc, RF_COMP_ZSTD, 2, a, &rep) == 0 && same(a, ref_zstd) && warnings.n == 1,
		  "a second call: no second warning");
	rf_zcache_close(zc);
	free_jobs(a);
	free(warn);
	free(dir);
}

/* As root, chmod does not stop writes: drop the capabilities that bypass it. */
static int drop_dac_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uint32_t drop = 1u << CAP_DAC_OVERRIDE | 1u << CAP_DAC_READ_SEARCH | 1u << CAP_FOWNER;

	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	d[0].effective &= ~drop;
	d[0].permitted &= ~drop;
	return (int)syscall(SYS_capset, &h, d);
}

static void chmod_tree(const char *dir, mode_t mode)
{
	char *cmd = rf_strdupf("chmod %o %s %s/??", (unsigned)mode, dir, dir);

	if (system(cmd) != 0)
		abort();
	free(cmd);
}

/* The child's half of test_read_only: bit k of the exit status set when check k failed. */
static int read_only_child(const char *dir)
{
	struct rf_zjob a[NJOBS];
	struct rf_zcache_report rep;
	struct rf_zcache *zc;
	char *warn;
	int bad = 0;

	if (drop_dac_caps() < 0)
		return 0x80;
	zc = rf_zcache_open(dir, 0);
	rf_strv_clear(&warnings);
	bad |= !zc << 0;
	bad |= !(run(zc, RF_COMP_ZSTD, 2, a, &rep) == 0 && same(a, ref_zstd)) << 1;
	bad |= !(rep.hits == NJOBS / 2 && rep.misses == NJOBS / 2 && rep.stored == 0) << 2;
	warn = rf_strdupf("module cache %s: cannot store entries (Permission denied): building "
			  "without storing", dir);
	bad |= !(warnings.n == 1 && strcmp(last_warning(), warn) == 0) << 3;
	rf_zcache_close(zc);
	return bad;
}

static void test_read_only(void)
{
	char *dir = fresh_dir();
	struct rf_zjob a[NJOBS];
	struct rf_zcache *zc = rf_zcache_open(dir, 0);
	pid_t pid;
	int st;

	run(zc, RF_COMP_ZSTD, 1, a, NULL);
	rf_zcache_close(zc);
	free_jobs(a);
	for (int i = 0; i < NJOBS; i += 2) {
		char *p = entry_path(dir, RF_COMP_ZSTD, i);
		unlink(p);
		free(p);
	}
	chmod_tree(dir, 0500);
	fflush(stdout);
	if ((pid = fork()) == 0)
		_exit(read_only_child(dir));
	waitpid(pid, &st, 0);
	chmod_tree(dir, 0700);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0x80) {
		TAP_CHECK(1, "# skip the capabilities that bypass file modes cannot be dropped");
		free(dir);
		return;
	}
	TAP_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "a read-only directory (mode 0500): it opens, half the jobs hits, the others "
		  "compressed, the bytes of no cache, one warning (failed checks: %#x)",
		  WIFEXITED(st) ? WEXITSTATUS(st) : 0xffff);
	TAP_CHECK(census(dir).entries == NJOBS / 2 && census(dir).tmps == 0,
		  "nothing was added to it");
	free(dir);
}

static void test_refused(void)
{
	char *dir = fresh_dir(), *file = fresh_dir(), *nested, *want;
	struct rf_zjob a[NJOBS];
	struct rf_zcache *zc;
	struct stat st;

	mkdir(dir, 0777);
	chmod(dir, 0777);
	rf_strv_clear(&warnings);
	zc = rf_zcache_open(dir, 0);
	want = rf_strdupf("module cache %s: writable by others (mode 0777): building without the "
			  "cache", dir);
	TAP_CHECK(!zc && warnings.n == 1, "a directory of mode 0777 is refused, one warning");
	TAP_STREQ(last_warning(), want, "it says which directory and why");
	TAP_CHECK(run(zc, RF_COMP_ZSTD, 2, a, NULL) == 0 && same(a, ref_zstd),
		  "the build goes on without the cache");
	free_jobs(a);
	free(want);
	if (geteuid() == 0) {
		chmod(dir, 0700);
		chown(dir, 12345, (gid_t)-1);
		zc = rf_zcache_open(dir, 0);
		TAP_CHECK(!zc && strstr(last_warning(), "owned by uid 12345, not by this user"),
			  "a directory owned by another user is refused: %s", last_warning());
	} else {
		TAP_CHECK(1, "# skip chown needs root");
	}
	write_file(file, "", 0);
	zc = rf_zcache_open(file, 0);
	TAP_CHECK(!zc && strstr(last_warning(), "cannot open it (Not a directory)"),
		  "a regular file is refused: %s", last_warning());
	nested = rf_strdupf("%s/x/y/z", file);
	zc = rf_zcache_open(nested, 0);
	TAP_CHECK(!zc && strstr(last_warning(), "cannot create it (Not a directory)"),
		  "a path through a file is refused: %s", last_warning());
	free(nested);
	nested = rf_strdupf("%s/x/y/z/", dir);
	chown(dir, geteuid(), (gid_t)-1);
	zc = rf_zcache_open(nested, 0);
	nested[strlen(nested) - 3] = '\0';
	TAP_CHECK(zc && stat(nested, &st) == 0 && (st.st_mode & 07777) == 0700,
		  "missing parents are created, mode 0700");
	rf_zcache_close(zc);
	free(nested);
	free(dir);
	free(file);
}

static void set_mtime(const char *path, time_t t)
{
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };

	utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

static void test_bound(void)
{
	char *dir = fresh_dir(), *p[NJOBS], *oldtmp, *newtmp, *foreign;
	struct rf_zjob a[NJOBS];
	struct rf_zcache *zc = rf_zcache_open(dir, 0);
	time_t now = time(NULL);
	uint64_t total, max;
	struct census c;
	bool suffix = true, seen_gap = false;
	int kept = 0;

	run(zc, RF_COMP_ZSTD, 2, a, NULL);
	rf_zcache_close(zc);
	free_jobs(a);
	total = census(dir).bytes;
	for (int i = 0; i < NJOBS; i++) { /* job i + 1 older than job i; the largest the oldest */
		p[i] = entry_path(dir, RF_COMP_ZSTD, i);
		set_mtime(p[i], now - 1000 - i);
	}
	zc = rf_zcache_open(dir, total);
	rf_zcache_close(zc);
	TAP_CHECK(census(dir).entries == NJOBS, "within its bound: nothing removed");

	/* the oldest but one is used again: the most recent now */
	{
		struct rf_zjob one = { .name = "again", .in = inputs[NJOBS - 2],
				       .inlen = sizes[NJOBS - 2] };
		struct rf_err err;

		zc = rf_zcache_open(dir, 0);
		rf_zcache_compress(zc, RF_COMP_ZSTD, -1, &one, 1, 1, NULL, &err);
		TAP_CHECK(one.hit, "a hit");
		free(one.out);
		rf_zcache_close(zc);
	}
	oldtmp = rf_strdupf("%s/00/.tmp-old", dir);
	newtmp = rf_strdupf("%s/00/.tmp-new", dir);
	foreign = rf_strdupf("%s/00/notes.txt", dir);
	foreign[strlen(foreign) - strlen("/notes.txt")] = '\0';
	mkdir(foreign, 0700);
	strcat(foreign, "/notes.txt");
	write_file(oldtmp, "x", 1);
	write_file(newtmp, "x", 1);
	write_file(foreign, "x", 1);
	set_mtime(oldtmp, now - 7200);
	max = total / 2;
	zc = rf_zcache_open(dir, max);
	rf_zcache_close(zc);
	c = census(dir);
	TAP_CHECK(c.bytes <= max - max / 10 && c.entries > 0,
		  "over its bound: trimmed to %llu bytes, <= 90%% of %llu (%d entries)",
		  (unsigned long long)c.bytes, (unsigned long long)max, c.entries);
	for (int i = 0; i < NJOBS - 2; i++) { /* the survivors: the most recently used */
		bool here = access(p[i], F_OK) == 0;

		kept += here;
		suffix &= !(here && seen_gap);
		seen_gap |= !here;
	}
	TAP_CHECK(suffix && kept >= 3 && kept < NJOBS - 2,
		  "the least recently used went first, the %d most recent kept", kept);
	TAP_CHECK(access(p[NJOBS - 2], F_OK) == 0 && access(p[NJOBS - 1], F_OK) != 0,
		  "the entry just hit kept, the oldest gone");
	TAP_CHECK(access(oldtmp, F_OK) != 0 && access(newtmp, F_OK) == 0,
		  "a temporary file of two hours ago removed, a fresh one kept");
	TAP_CHECK(access(foreign, F_OK) == 0, "other files left alone");
	for (int i = 0; i < NJOBS; i++)
		free(p[i]);
	free(oldtmp);
	free(newtmp);
	free(foreign);
	free(dir);
}

static void test_edges(void)
{
	struct rf_zcache_report rep = { .hits = 9 };
	struct rf_err err = { "" };
	struct rf_zjob j = { .name = "m", .in = inputs[3], .inlen = sizes[3] };
	char *dir = fresh_dir();
	struct rf_zcache *zc = rf_zcache_open(dir, 0);

	TAP_CHECK(rf_zcache_compress(zc, RF_COMP_ZSTD, -1, NULL, 0, 0, &rep, &err) == 0 &&
		  rep.hits == 0 && rep.misses == 0 && rep.in_bytes == 0,
		  "no jobs: nothing done, a zero report");
	TAP_CHECK(rf_zcache_compress(zc, RF_COMP_GZIP, -1, &j, 1, 1, NULL, &err) == -EINVAL &&
		  !j.out, "gzip is not offered: %s", err.msg);
	TAP_CHECK(rf_zcache_compress(zc, RF_COMP_ZSTD, 42, &j, 1, 1, NULL, &err) == -EINVAL,
		  "a level out of range: %s", err.msg);
	TAP_CHECK(rf_zcache_compress(zc, RF_COMP_ZSTD, 3, &j, 1, 1, &rep, &err) == 0 &&
		  rep.misses == 1 && j.outlen != ref_zstd[3].outlen,
		  "another level: another entry (%zu bytes, not %zu)", j.outlen, ref_zstd[3].outlen);
	free(j.out);
	rf_zcache_close(zc);
	rf_zcache_close(NULL);
	free(dir);
}

/* One of test_concurrent's builds: bit k of the exit status set when check k failed. */
static int concurrent_child(const char *dir, int go)
{
	struct rf_zjob a[NJOBS];
	struct rf_zcache_report rep;
	struct rf_zcache *zc;
	char c;
	int bad = 0;

	if (read(go, &c, 1) < 0) /* both start together */
		return 0x40;
	zc = rf_zcache_open(dir, 0);
	bad |= !zc << 0;
	bad |= !(run(zc, RF_COMP_XZ, 2, a, &rep) == 0 && same(a, ref_xz)) << 1;
	bad |= (rep.corrupt != 0) << 2;
	rf_zcache_close(zc);
	return bad;
}

static void test_concurrent(void)
{
	char *dir = fresh_dir();
	struct rf_zjob a[NJOBS];
	struct rf_zcache_report rep;
	struct rf_zcache *zc;
	int go[2], st[2];
	pid_t pid[2];
	struct census c;

	if (pipe(go) < 0)
		abort();
	fflush(stdout);
	for (int i = 0; i < 2; i++)
		if ((pid[i] = fork()) == 0) {
			close(go[1]);
			_exit(concurrent_child(dir, go[0]));
		}
	close(go[0]);
	close(go[1]);
	for (int i = 0; i < 2; i++)
		waitpid(pid[i], &st[i], 0);
	TAP_CHECK(WIFEXITED(st[0]) && !WEXITSTATUS(st[0]) && WIFEXITED(st[1]) && !WEXITSTATUS(st[1]),
		  "two builds at once into one new cache: both the bytes of no cache, neither saw a "
		  "corrupt entry (failed checks: %#x, %#x)", WEXITSTATUS(st[0]), WEXITSTATUS(st[1]));
	c = census(dir);
	TAP_CHECK(c.entries == NJOBS && c.tmps == 0 && c.others == 0,
		  "afterwards: one entry a job (%d), no temporary file (%d)", c.entries, c.tmps);
	zc = rf_zcache_open(dir, 0);
	TAP_CHECK(run(zc, RF_COMP_XZ, 2, a, &rep) == 0 && same(a, ref_xz) && rep.hits == NJOBS &&
		  rep.corrupt == 0, "every entry valid: %zu hits, %zu corrupt", rep.hits, rep.corrupt);
	rf_zcache_close(zc);
	free_jobs(a);
	free(dir);
}

/* test_full's build, with files limited to 64 bytes: bit k of the exit status for check k. */
static int full_child(const char *dir)
{
	struct rlimit lim = { 64, 64 };
	struct rf_zjob a[NJOBS];
	struct rf_zcache_report rep;
	struct rf_zcache *zc;
	char *warn;
	int bad = 0;

	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &lim) < 0)
		return 0x80;
	rf_strv_clear(&warnings);
	zc = rf_zcache_open(dir, 0);
	bad |= !zc << 0;
	bad |= !(run(zc, RF_COMP_ZSTD, 2, a, &rep) == 0 && same(a, ref_zstd)) << 1;
	bad |= !(rep.stored == 0 && rep.misses == NJOBS) << 2;
	warn = rf_strdupf("module cache %s: cannot store entries (File too large): building "
			  "without storing", dir);
	bad |= !(warnings.n == 1 && strcmp(last_warning(), warn) == 0) << 3;
	free_jobs(a);
	bad |= !(run(zc, RF_COMP_ZSTD, 2, a, &rep) == 0 && same(a, ref_zstd) && warnings.n == 1)
	       << 4;
	rf_zcache_close(zc);
	return bad;
}

static void test_full(void)
{
	char *dir = fresh_dir();
	struct census c;
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) == 0)
		_exit(full_child(dir));
	waitpid(pid, &st, 0);
	TAP_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "writes failing (RLIMIT_FSIZE, EFBIG as a full disk): the bytes of no cache, none "
		  "stored, one warning, the build goes on (failed checks: %#x)",
		  WIFEXITED(st) ? WEXITSTATUS(st) : 0xffff);
	c = census(dir);
	TAP_CHECK(c.entries == 0 && c.tmps == 0, "no entry, no temporary file left (%d, %d)",
		  c.entries, c.tmps);
	free(dir);
}

int main(void)
{
	alarm(600); /* a hang (a FIFO opened blocking, a lost wakeup) fails instead */
	if (!mkdtemp(base))
		return 1;
	rf_log_set_fn(collect, NULL);
	make_inputs();
	test_round_trip();
	test_tools();
	test_threads();
	test_cold_warm();
	test_corrupt();
	test_unwritable_subdirs();
	test_read_only();
	test_refused();
	test_bound();
	test_edges();
	test_concurrent();
	test_full();
	free_jobs(ref_zstd);
	free_jobs(ref_xz);
	for (int i = 0; i < NJOBS; i++)
		free(inputs[i]);
	rf_strv_clear(&warnings);
	{
		char *cmd = rf_strdupf("rm -rf %s", base);
		if (system(cmd) != 0)
			return 1;
		free(cmd);
	}
	return tap_done();
}
