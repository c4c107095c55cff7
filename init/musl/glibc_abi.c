// SPDX-License-Identifier: MIT
/*
 * When ramforge-init is linked with musl (to stay small: glibc's static libc alone is ~800 KB),
 * the static libraries it uses (libblkid, libzstd, liblzma, zlib from Debian's -dev packages)
 * were compiled against glibc with _FORTIFY_SOURCE and call glibc's checked entry points. No
 * library provides those for musl, so these forward each to the plain function (the checks
 * only abort on overflow; the plain calls behave identically otherwise).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int __fprintf_chk(FILE *f, int flag, const char *fmt, ...);
int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap);
int __sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...);
int __snprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, ...);
int __vsnprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, va_list ap);
int __asprintf_chk(char **s, int flag, const char *fmt, ...);
int __vasprintf_chk(char **s, int flag, const char *fmt, va_list ap);
int __open_2(const char *path, int flags);
int __openat_2(int dfd, const char *path, int flags);
void __explicit_bzero_chk(void *p, size_t len, size_t destlen);
cpu_set_t *__sched_cpualloc(size_t count);
void __sched_cpufree(cpu_set_t *set);
int __sched_cpucount(size_t setsize, const cpu_set_t *set);

#pragma GCC diagnostic ignored "-Wformat-nonliteral"

int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	return vfprintf(f, fmt, ap);
}

int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = __vfprintf_chk(f, flag, fmt, ap);
	va_end(ap);
	return r;
}

int __vsnprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, va_list ap)
{
	(void)flag;
	if (n > slen)
		abort(); /* what glibc's check does */
	return vsnprintf(s, n, fmt, ap);
}

int __snprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = __vsnprintf_chk(s, n, flag, slen, fmt, ap);
	va_end(ap);
	return r;
}

int __sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = __vsnprintf_chk(s, slen, flag, slen, fmt, ap);
	va_end(ap);
	return r;
}

int __vasprintf_chk(char **s, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	return vasprintf(s, fmt, ap);
}

int __asprintf_chk(char **s, int flag, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = __vasprintf_chk(s, flag, fmt, ap);
	va_end(ap);
	return r;
}

int __open_2(const char *path, int flags)
{
	return open(path, flags);
}

int __openat_2(int dfd, const char *path, int flags)
{
	return openat(dfd, path, flags);
}

void __explicit_bzero_chk(void *p, size_t len, size_t destlen)
{
	(void)destlen;
	explicit_bzero(p, len);
}

cpu_set_t *__sched_cpualloc(size_t count)
{
	return calloc(1, CPU_ALLOC_SIZE(count));
}

void __sched_cpufree(cpu_set_t *set)
{
	free(set);
}

int __sched_cpucount(size_t setsize, const cpu_set_t *set)
{
	int n = 0;

	for (size_t i = 0; i < setsize; i++)
		n += __builtin_popcount(((const unsigned char *)set)[i]);
	return n;
}
