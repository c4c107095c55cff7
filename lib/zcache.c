// SPDX-License-Identifier: MIT
/* Modules compressed one by one on a pool of threads, through a cache directory of earlier
 * results (entries: zcache_entry.h); see zcache.h. */
#include "zcache.h"

#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "log.h"
#include "zcache_entry.h"

#define XZ_DICT (1u << 20) /* kbuild's `xz --lzma2=dict=1MiB`: the kernel's decoder limit */
#define MAX_THREADS 64
/* threads 0: one per CPU, at most this many: a zstd -19 context that compressed a 4 MB module
 * holds about 90 MB, so a big machine must not run one per CPU. */
#define DEFAULT_THREADS_MAX 8

struct rf_zcache {
	int dirfd;
	char *dir;           /* for messages */
	uint64_t max;        /* bytes */
	atomic_bool nostore; /* a store failed: the warning is given, no more tries */
};

/* Each parent of dir and dir itself, made 0700 when missing. */
static int mkdir_parents(const char *dir)
{
	char *p = strdup(dir);
	int r = 0;

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; r == 0; s++) {
		bool end = *s == '\0';

		if (*s != '/' && !end)
			continue;
		*s = '\0';
		if (s[-1] != '/' && mkdir(p, 0700) < 0 && errno != EEXIST)
			r = -errno;
		if (end)
			break;
		*s = '/';
	}
	free(p);
	return r;
}

/* Why the open directory st cannot be used as the cache: NULL when it can. */
static const char *unusable(const struct stat *st, char *buf, size_t size)
{
	if (st->st_uid != geteuid())
		snprintf(buf, size, "owned by uid %u, not by this user (uid %u)",
			 (unsigned)st->st_uid, (unsigned)geteuid());
	else if (st->st_mode & (S_IWGRP | S_IWOTH))
		snprintf(buf, size, "writable by others (mode %04o)", (unsigned)(st->st_mode & 07777));
	else
		return NULL;
	return buf;
}

/* The open directory fd as the cache: NULL (why in buf) when it cannot be. */
static struct rf_zcache *use_dir(int fd, const char *dir, uint64_t max_bytes, char *why,
				 size_t size)
{
	struct rf_zcache *zc;
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(why, size, "%s", strerror(errno));
		return NULL;
	}
	if (unusable(&st, why, size))
		return NULL;
	zc = calloc(1, sizeof(*zc));
	if (!zc || !(zc->dir = strdup(dir))) {
		free(zc);
		snprintf(why, size, "%s", strerror(ENOMEM));
		return NULL;
	}
	zc->dirfd = fd;
	zc->max = max_bytes ? max_bytes : RF_ZCACHE_MAX_DEFAULT;
	return zc;
}

struct rf_zcache *rf_zcache_open(const char *dir, uint64_t max_bytes)
{
	struct rf_zcache *zc;
	char why[160];
	int fd, r;

	if (!*dir) {
		rf_warn("module cache: an empty directory name: building without the cache");
		return NULL;
	}
	if ((r = mkdir_parents(dir)) < 0) {
		rf_warn("module cache %s: cannot create it (%s): building without the cache", dir,
			strerror(-r));
		return NULL;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rf_warn("module cache %s: cannot open it (%s): building without the cache", dir,
			strerror(errno));
		return NULL;
	}
	zc = use_dir(fd, dir, max_bytes, why, sizeof(why));
	if (!zc) {
		rf_warn("module cache %s: %s: building without the cache", dir, why);
		close(fd);
	}
	return zc;
}

/* The most bytes a compressed n can take: larger entries are not believed. */
static size_t out_bound(enum rf_comp c, size_t n)
{
	return c == RF_COMP_XZ ? lzma_stream_buffer_bound(n) : ZSTD_compressBound(n);
}

/* Give back the unused end of a compressed buffer. */
static unsigned char *shrink(unsigned char *p, size_t n)
{
	unsigned char *q = realloc(p, n ? n : 1);

	return q ? q : p;
}

static int zstd_one(ZSTD_CCtx **cctx, int level, const struct rf_zjob *j, unsigned char **out,
		    size_t *outlen)
{
	size_t cap = ZSTD_compressBound(j->inlen), k;
	ZSTD_CCtx *z = *cctx ? *cctx : (*cctx = ZSTD_createCCtx());
	unsigned char *p;

	if (!z)
		return -ENOMEM;
	ZSTD_CCtx_reset(z, ZSTD_reset_session_and_parameters);
	if (ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_contentSizeFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_nbWorkers, 0)))
		return -EINVAL;
	if (!(p = malloc(cap)))
		return -ENOMEM;
	k = ZSTD_compress2(z, p, cap, j->in, j->inlen);
	if (ZSTD_isError(k)) {
		free(p);
		return ZSTD_getErrorCode(k) == ZSTD_error_memory_allocation ? -ENOMEM : -EIO;
	}
	*out = shrink(p, k);
	*outlen = k;
	return 0;
}

static int xz_code(lzma_stream *s, unsigned char **p, size_t *cap)
{
	for (;;) {
		lzma_ret r = lzma_code(s, LZMA_FINISH);
		unsigned char *q;

		if (r == LZMA_STREAM_END)
			return 0;
		if (r != LZMA_OK)
			return r == LZMA_MEM_ERROR ? -ENOMEM : -EIO;
		if (s->avail_out)
			continue;
		if (!(q = realloc(*p, *cap * 2))) /* past the bound: not expected, but allowed */
			return -ENOMEM;
		*p = q;
		s->next_out = q + *cap;
		s->avail_out = *cap;
		*cap *= 2;
	}
}

static int xz_one(int level, const struct rf_zjob *j, unsigned char **out, size_t *outlen)
{
	lzma_options_lzma opt;
	lzma_filter filters[2] = { { LZMA_FILTER_LZMA2, &opt }, { LZMA_VLI_UNKNOWN, NULL } };
	lzma_stream s = LZMA_STREAM_INIT;
	size_t cap = lzma_stream_buffer_bound(j->inlen);
	unsigned char *p;
	int r;

	if (lzma_lzma_preset(&opt, (uint32_t)level | LZMA_PRESET_EXTREME))
		return -EINVAL;
	opt.dict_size = XZ_DICT;
	if (!(p = malloc(cap)))
		return -ENOMEM;
	if (lzma_stream_encoder(&s, filters, LZMA_CHECK_CRC32) != LZMA_OK) {
		free(p);
		return -ENOMEM;
	}
	s.next_in = j->in;
	s.avail_in = j->inlen;
	s.next_out = p;
	s.avail_out = cap;
	r = xz_code(&s, &p, &cap);
	if (r < 0) {
		free(p);
	} else {
		*outlen = (size_t)s.total_out;
		*out = shrink(p, *outlen);
	}
	lzma_end(&s);
	return r;
}

/* One call of rf_zcache_compress, shared by its threads. */
struct run {
	struct rf_zcache *zc;
	enum rf_comp c;
	int level;
	struct rf_zjob *jobs;
	size_t n;
	size_t *order; /* the largest first, so that no big job starts last; NULL: as given */
	atomic_size_t next, hits, misses, stored, corrupt;
	atomic_bool failed;
	pthread_mutex_t lock;
	int err; /* the first failure, of the job `failed_job` */
	const struct rf_zjob *failed_job;
};

static void store(struct run *run, const unsigned char *key, const struct rf_zjob *j)
{
	struct rf_zcache *zc = run->zc;
	int r;

	if (atomic_load(&zc->nostore) || j->outlen > out_bound(run->c, j->inlen))
		return; /* an entry past the bound would never be read back */
	r = rf_zentry_write(zc->dirfd, key, j->out, j->outlen);
	if (r == 0)
		atomic_fetch_add(&run->stored, 1);
	else if (!atomic_exchange(&zc->nostore, true))
		rf_warn("module cache %s: cannot store entries (%s): building without storing",
			zc->dir, strerror(-r));
}

static int do_job(struct run *run, struct rf_zjob *j, ZSTD_CCtx **cctx)
{
	unsigned char key[RF_ZENTRY_KEY_LEN];
	bool cached = run->zc && rf_zentry_key(run->c, run->level, j->in, j->inlen, key) == 0;
	int r;

	if (cached) {
		switch (rf_zentry_read(run->zc->dirfd, key, out_bound(run->c, j->inlen), &j->out,
				       &j->outlen)) {
		case RF_ZENTRY_HIT:
			j->hit = true;
			atomic_fetch_add(&run->hits, 1);
			return 0;
		case RF_ZENTRY_CORRUPT:
			atomic_fetch_add(&run->corrupt, 1);
			break;
		case RF_ZENTRY_MISSING:
			break;
		}
	}
	atomic_fetch_add(&run->misses, 1);
	r = run->c == RF_COMP_XZ ? xz_one(run->level, j, &j->out, &j->outlen)
				 : zstd_one(cctx, run->level, j, &j->out, &j->outlen);
	if (r == 0 && cached)
		store(run, key, j);
	return r;
}

static void *worker(void *arg)
{
	struct run *run = arg;
	ZSTD_CCtx *cctx = NULL; /* reused from job to job: the same bytes as a fresh one */
	size_t i;

	while (!atomic_load(&run->failed) && (i = atomic_fetch_add(&run->next, 1)) < run->n) {
		struct rf_zjob *j = &run->jobs[run->order ? run->order[i] : i];
		int r = do_job(run, j, &cctx);

		if (r < 0) {
			pthread_mutex_lock(&run->lock);
			if (!run->err) {
				run->err = r;
				run->failed_job = j;
			}
			pthread_mutex_unlock(&run->lock);
			atomic_store(&run->failed, true);
		}
	}
	ZSTD_freeCCtx(cctx);
	return NULL;
}

/* qsort_r: larger inputs first, then in the given order. */
static int by_size(const void *a, const void *b, void *jobs)
{
	size_t i = *(const size_t *)a, k = *(const size_t *)b;
	size_t x = ((struct rf_zjob *)jobs)[i].inlen, y = ((struct rf_zjob *)jobs)[k].inlen;

	if (x != y)
		return x < y ? 1 : -1;
	return i < k ? -1 : 1;
}

/* The jobs on `threads` threads (0: one per CPU, at most 8); the caller's thread is one of
 * them. */
static void run_pool(struct run *run, int threads)
{
	pthread_t tid[MAX_THREADS];
	size_t want = threads > 0 ? (size_t)threads : (size_t)sysconf(_SC_NPROCESSORS_ONLN), started;

	if (threads <= 0 && want > DEFAULT_THREADS_MAX)
		want = DEFAULT_THREADS_MAX;
	if (want > run->n)
		want = run->n;
	if (want > MAX_THREADS)
		want = MAX_THREADS;
	for (started = 0; started + 1 < want; started++)
		if (pthread_create(&tid[started], NULL, worker, run) != 0)
			break; /* fewer threads: slower, the same bytes */
	worker(run);
	for (size_t i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
}

/* -1: the default level; -EINVAL for a level or format not offered. */
static int check_level(enum rf_comp c, int *level, struct rf_err *err)
{
	int lo = c == RF_COMP_XZ ? 0 : 1, hi = c == RF_COMP_XZ ? 9 : ZSTD_maxCLevel();

	if (c != RF_COMP_ZSTD && c != RF_COMP_XZ)
		return rf_fail(err, -EINVAL, "compressing modules as %s: only zstd or xz",
			       rf_comp_name(c));
	if (*level == -1)
		*level = c == RF_COMP_XZ ? RF_MODPACK_XZ_LEVEL : RF_MODPACK_ZSTD_LEVEL;
	if (*level < lo || *level > hi)
		return rf_fail(err, -EINVAL, "compressing modules as %s: level %d is not in %d..%d",
			       rf_comp_name(c), *level, lo, hi);
	return 0;
}

static void report(const struct run *run, double t0, struct rf_zcache_report *rep)
{
	*rep = (struct rf_zcache_report){
		.hits = run->hits, .misses = run->misses, .stored = run->stored,
		.corrupt = run->corrupt, .seconds = rf_now() - t0,
	};
	for (size_t i = 0; i < run->n; i++) {
		rep->in_bytes += run->jobs[i].inlen;
		rep->out_bytes += run->jobs[i].outlen;
	}
}

int rf_zcache_compress(struct rf_zcache *zc, enum rf_comp c, int level, struct rf_zjob *jobs,
		       size_t n, int threads, struct rf_zcache_report *rep, struct rf_err *err)
{
	struct run run = { .zc = zc, .c = c, .jobs = jobs, .n = n };
	double t0 = rf_now();
	int r = check_level(c, &level, err);

	if (r < 0)
		return r;
	run.level = level;
	for (size_t i = 0; i < n; i++) {
		jobs[i].out = NULL;
		jobs[i].outlen = 0;
		jobs[i].hit = false;
	}
	if (n > 1 && (run.order = malloc(n * sizeof(*run.order)))) { /* else: as given */
		for (size_t i = 0; i < n; i++)
			run.order[i] = i;
		qsort_r(run.order, n, sizeof(*run.order), by_size, jobs);
	}
	pthread_mutex_init(&run.lock, NULL);
	if (n)
		run_pool(&run, threads);
	pthread_mutex_destroy(&run.lock);
	free(run.order);
	if (run.err) {
		struct rf_quoted q;

		for (size_t i = 0; i < n; i++) { /* all or nothing */
			rf_freep(&jobs[i].out);
			jobs[i].outlen = 0;
		}
		r = rf_fail(err, run.err, "compressing module %s as %s: %s",
			    rf_quote_prefix(&q, run.failed_job->name ? run.failed_job->name : "?"),
			    rf_comp_name(c), strerror(-run.err));
	}
	if (rep)
		report(&run, t0, rep);
	return r;
}

void rf_zcache_close(struct rf_zcache *zc)
{
	if (!zc)
		return;
	rf_zentry_trim(zc->dirfd, zc->max);
	close(zc->dirfd);
	free(zc->dir);
	free(zc);
}
