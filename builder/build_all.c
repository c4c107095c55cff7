// SPDX-License-Identifier: MIT
/* Every kernel of a sysroot, built in parallel: see build_all.h. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build_all.h"
#include "log.h"

#define PARALLEL_MAX 64
#define RESULT_MAX 2048

struct job {
	char *kver;
	pid_t pid;
	int fd;                  /* the read end of its result pipe */
	char result[RESULT_MAX]; /* its line after "KVER: " */
	size_t len;
};

static int parallel_of(const char *arg, int *n, struct rf_err *err)
{
	char *end;
	long v;

	if (!arg) {
		v = sysconf(_SC_NPROCESSORS_ONLN);
		*n = v < 1 ? 1 : v > PARALLEL_MAX ? PARALLEL_MAX : (int)v;
		return 0;
	}
	errno = 0;
	v = strtol(arg, &end, 10);
	if (!isdigit((unsigned char)arg[0]) || errno || *end || v < 1 || v > PARALLEL_MAX)
		return rf_fail(err, -EINVAL, "--parallel '%s' is not a number from 1 to %d", arg,
			       PARALLEL_MAX);
	*n = (int)v;
	return 0;
}

static bool exists_at(int dfd, const char *path)
{
	struct stat st;

	return fstatat(dfd, path, &st, 0) == 0 && S_ISREG(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The kernels of the sysroot, sorted. */
static int find_kernels(const char *sysroot, struct rf_strv *out, struct rf_err *err)
{
	char *mods = rf_path_join(sysroot, "lib/modules"), *boot = rf_path_join(sysroot, "boot");
	int bfd = boot ? open(boot, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1, r = 0;
	DIR *d = mods ? opendir(mods) : NULL;
	struct dirent *de;

	if (!mods || !boot)
		r = rf_fail(err, -ENOMEM, "%s", strerror(ENOMEM));
	else if (!d && errno != ENOENT)
		r = rf_fail(err, -errno, "%s: %s", mods, strerror(errno));
	else if (!d)
		rf_warn("%s: no such directory: no image built", mods);
	while (r >= 0 && d && (de = readdir(d))) {
		char dep[NAME_MAX + 16], kernel[NAME_MAX + 16];

		if (de->d_name[0] == '.')
			continue;
		snprintf(dep, sizeof(dep), "%s/modules.dep", de->d_name);
		snprintf(kernel, sizeof(kernel), "vmlinuz-%s", de->d_name);
		if (exists_at(dirfd(d), dep) && bfd >= 0 && exists_at(bfd, kernel))
			r = rf_strv_push(out, de->d_name);
	}
	if (r == -ENOMEM)
		rf_fail(err, r, "%s", strerror(ENOMEM));
	if (r >= 0 && !out->n) /* a chroot without kernels yet: nothing to do */
		rf_warn("%s: no kernel with modules.dep there and a boot/vmlinuz-KVER: no image built",
			mods);
	if (r >= 0)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	if (d)
		closedir(d);
	if (bfd >= 0)
		close(bfd);
	free(mods);
	free(boot);
	return r;
}

/* In the child: build one kernel, write its line to fd, and exit. */
static void run_child(const struct rf_opts *o, int lock_secs, const char *kver, int fd)
{
	struct rf_opts mine = *o;
	struct rf_err err = { "" };
	char *image = NULL;
	bool fresh = false;
	int r;

	mine.kver = kver;
	r = rf_build_kernel(&mine, lock_secs, &image, &fresh, &err);
	if (r < 0)
		dprintf(fd, "error: %s", err.msg);
	else
		dprintf(fd, fresh ? "up to date" : "wrote %s", image);
	_exit(r < 0 ? 1 : 0);
}

static int start(struct job *j, const struct rf_opts *o, int lock_secs, struct rf_err *err)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return rf_fail(err, -errno, "pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	j->pid = fork();
	if (j->pid < 0) {
		close(p[0]);
		close(p[1]);
		return rf_fail(err, -errno, "fork: %s", strerror(errno));
	}
	if (j->pid == 0) {
		close(p[0]);
		run_child(o, lock_secs, j->kver, p[1]);
	}
	close(p[1]);
	j->fd = p[0];
	return 0;
}

/* Wait for any child, then take its line (it wrote it before it exited). */
static int reap(struct job *jobs, size_t n, int *failed)
{
	int ws;
	pid_t pid = waitpid(-1, &ws, 0);

	if (pid < 0)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		ssize_t got;

		if (j->pid != pid)
			continue;
		while ((got = read(j->fd, j->result + j->len, sizeof(j->result) - 1 - j->len)) > 0)
			j->len += (size_t)got;
		j->result[j->len] = '\0';
		close(j->fd);
		j->fd = -1;
		if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
			*failed = 1;
			if (!j->len)
				snprintf(j->result, sizeof(j->result), "error: the build %s %d",
					 WIFSIGNALED(ws) ? "was killed by signal" : "exited with",
					 WIFSIGNALED(ws) ? WTERMSIG(ws) : WEXITSTATUS(ws));
		}
	}
	return 0;
}

int rf_build_all(const struct rf_opts *o, int lock_secs, struct rf_err *err)
{
	struct rf_strv kvers = { 0 };
	struct job *jobs = NULL;
	int par = 0, failed = 0, r = parallel_of(o->parallel, &par, err);
	size_t running = 0, next = 0;

	if (r >= 0 && (o->kver || o->kmoddir || o->args.n))
		r = rf_fail(err, -EINVAL, "--regenerate-all builds every kernel at its default image: "
			    "no -k, --kmoddir or IMAGE");
	if (r >= 0)
		r = find_kernels(o->sysroot ? o->sysroot : "/", &kvers, err);
	jobs = r >= 0 ? calloc(kvers.n, sizeof(*jobs)) : NULL;
	if (r >= 0 && !jobs)
		r = rf_fail(err, -ENOMEM, "%s", strerror(ENOMEM));
	for (size_t i = 0; r >= 0 && i < kvers.n; i++)
		jobs[i] = (struct job){ .kver = kvers.v[i], .fd = -1 };
	while (r >= 0 && (next < kvers.n || running)) {
		if (next < kvers.n && running < (size_t)par) {
			r = start(&jobs[next++], o, lock_secs, err);
			running += r >= 0;
			continue;
		}
		if (reap(jobs, next, &failed) == 0)
			running--;
		else
			break;
	}
	while (running && reap(jobs, next, &failed) == 0) /* after a failed fork */
		running--;
	for (size_t i = 0; i < next; i++)
		printf("%s: %s\n", jobs[i].kver, jobs[i].result);
	free(jobs);
	rf_strv_clear(&kvers);
	return r < 0 ? r : failed;
}
