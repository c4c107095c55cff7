// SPDX-License-Identifier: MIT
/* The init's coldplug lookup (init/aliasindex.c): which aliases match a modalias must be exactly
 * what fnmatch over every alias gives (modprobe's rule), in modules.alias order, on generated
 * patterns and on the whole of Debian's full kernel. Plain libc, compiled in directly. */
#include "../../init/aliasindex.c"

#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "modname.h"
#include "tap.h"

/* The indices (into v) of what matched, in the order reported. */
struct found {
	size_t at[4096];
	size_t n;
	const struct rf_alias *base;
};

static void collect(void *ctx, const struct rf_alias *a)
{
	struct found *f = ctx;

	if (f->n < sizeof(f->at) / sizeof(f->at[0]))
		f->at[f->n] = (size_t)(a - f->base);
	f->n++;
}

/* The reference: fnmatch over every alias, in order. */
static void naive(const struct rf_aliasindex *x, const char *key, struct found *f)
{
	f->n = 0;
	f->base = x->v;
	for (size_t i = 0; i < x->n; i++)
		if (fnmatch(x->v[i].pattern, key, 0) == 0)
			collect(f, &x->v[i]);
}

static void indexed(struct rf_aliasindex *x, const char *key, struct found *f)
{
	size_t n;

	f->n = 0;
	f->base = x->v;
	n = rf_aliasindex_match(x, key, collect, f);
	if (n != f->n)
		f->n = (size_t)-1; /* the count returned disagrees with the calls */
}

static bool same(const struct found *a, const struct found *b)
{
	return a->n == b->n && a->n <= 4096 && memcmp(a->at, b->at, a->n * sizeof(a->at[0])) == 0;
}

static unsigned long rnd_state = 12345;

static unsigned rnd(unsigned below)
{
	rnd_state = rnd_state * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)(rnd_state >> 33) % below;
}

/* A few letters, so that prefixes collide often. */
static const char letters[] = "ab:c0_";

static void gen_pattern(char *out, size_t max)
{
	size_t len = 0, parts = rnd(10);

	if (rnd(12) == 0)
		out[len++] = '*'; /* no literal start at all */
	for (size_t i = 0; i < parts && len + 8 < max; i++) {
		switch (rnd(10)) {
		case 0:
			out[len++] = '*';
			break;
		case 1:
			out[len++] = '?';
			break;
		case 2:
			len += (size_t)snprintf(out + len, max - len, "%s",
						rnd(2) ? "[a-c]" : "[!b0]");
			break;
		case 3:
			len += (size_t)snprintf(out + len, max - len, "\\%c", letters[rnd(6)]);
			break;
		default:
			out[len++] = letters[rnd(6)];
		}
	}
	out[len] = '\0';
}

/* A string a pattern matches (wildcards filled in), cut short or changed at times. */
static void gen_key(const char *pat, char *out, size_t max)
{
	size_t len = 0;

	for (const char *p = pat; *p && len + 4 < max; p++) {
		if (*p == '*')
			for (unsigned k = rnd(3); k; k--)
				out[len++] = letters[rnd(6)];
		else if (*p == '?')
			out[len++] = letters[rnd(6)];
		else if (*p == '[' && strchr(p, ']')) {
			out[len++] = "ac:_"[rnd(4)]; /* in [a-c] or [!b0], or not */
			p = strchr(p, ']');
		} else if (*p == '\\' && p[1])
			out[len++] = *++p;
		else
			out[len++] = *p;
	}
	out[len] = '\0';
	if (rnd(4) == 0 && len)
		out[rnd((unsigned)len)] = '\0'; /* shorter than the pattern's literal start */
	else if (rnd(4) == 0 && len)
		out[rnd((unsigned)len)] = letters[rnd(6)];
}

static void test_generated(void)
{
	static char pats[3000][48];
	struct rf_aliasindex x = { 0 };
	struct found want, got;
	size_t bad = 0, keys = 0, hits = 0, added = 0;
	char key[64];

	for (size_t i = 0; i < 3000; i++) {
		if (i % 10 == 9)
			strcpy(pats[i], pats[rnd((unsigned)i)]); /* the same, another module */
		else
			gen_pattern(pats[i], sizeof(pats[i]));
		added += rf_aliasindex_add(&x, pats[i], i / 3) == 0;
	}
	TAP_CHECK(rf_aliasindex_build(&x) == 0 && added == 3000 && x.n == 3000,
		  "3000 generated patterns indexed (%zu literal starts of %zu lengths)", x.ngroups,
		  x.nlens);
	for (size_t i = 0; i < 6000; i++, keys++) {
		if (i % 7 == 0)
			gen_pattern(key, sizeof(key)); /* a pattern's own text, taken literally */
		else
			gen_key(pats[rnd(3000)], key, sizeof(key));
		naive(&x, key, &want);
		indexed(&x, key, &got);
		hits += want.n;
		if (!same(&want, &got) && bad++ < 3)
			printf("# key \"%s\": %zu matches, the index %zd\n", key, want.n,
			       (ssize_t)got.n);
	}
	TAP_CHECK(bad == 0, "%zu generated keys (%zu matches): the index gives fnmatch's aliases, "
		  "in order", keys, hits);
	TAP_CHECK(hits > keys, "the keys do match (%zu matches)", hits);
	rf_aliasindex_free(&x);
}

/* Hand-written cases a reader can check. */
static void test_cases(void)
{
	struct rf_aliasindex x = { 0 };
	struct found got;
	static const char *const pats[] = {
		"pci:v00008086d0000100Esv*sd*bc*sc*i*", /* 0 */
		"pci:v*d*sv*sd*bc01sc08i02*",           /* 1 */
		"pci:v00008086d0000100Esv*sd*bc*sc*i*", /* 2: the same, another module */
		"*",                                    /* 3 */
		"fs-ext4",                              /* 4 */
		"fs-ext4x",                             /* 5 */
		"usb:v?p[0-9]*",                        /* 6 */
		"pci:v00008086d0000100Esv00001AF4*",    /* 7 */
	};

	for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++)
		rf_aliasindex_add(&x, pats[i], 10 + i);
	rf_aliasindex_build(&x);
#define LOOKUP(key) (indexed(&x, key, &got), got)
	got = LOOKUP("pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00");
	TAP_CHECK(got.n == 4 && got.at[0] == 0 && got.at[1] == 2 && got.at[2] == 3 &&
			  got.at[3] == 7,
		  "a PCI device: its ID patterns (both modules), the catch-all, in file order");
	got = LOOKUP("pci:v00001B36d00000010sv00001AF4sd00001100bc01sc08i02");
	TAP_CHECK(got.n == 2 && got.at[0] == 1 && got.at[1] == 3, "a class pattern");
	got = LOOKUP("fs-ext4");
	TAP_CHECK(got.n == 2 && got.at[0] == 3 && got.at[1] == 4,
		  "a literal matches itself only, not its longer neighbour");
	got = LOOKUP("pci:v0000");
	TAP_CHECK(got.n == 1 && got.at[0] == 3, "a key shorter than the literal starts");
	got = LOOKUP("usb:vXp5");
	TAP_CHECK(got.n == 2 && got.at[0] == 3 && got.at[1] == 6, "? and a class");
	got = LOOKUP("");
	TAP_CHECK(got.n == 1 && got.at[0] == 3, "the empty string: only *");
	rf_aliasindex_add(&x, "fs-*", 99);
	got = LOOKUP("fs-ext4");
	TAP_CHECK(got.n == 3 && got.at[2] == 8, "added after the build: scanned until rebuilt");
	rf_aliasindex_build(&x);
	got = LOOKUP("fs-ext4");
	TAP_CHECK(got.n == 3 && got.at[2] == 8, "and the same once rebuilt");
#undef LOOKUP
	rf_aliasindex_free(&x);
	TAP_CHECK(x.v == NULL && x.table == NULL && x.n == 0, "rf_aliasindex_free releases it");
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (text = malloc((size_t)len + 1))) {
		text[fread(text, 1, (size_t)len, f)] = '\0';
	}
	fclose(f);
	return text;
}

/* A device's modalias from a pattern: each wildcard filled with something a device has. */
static void fill(const char *pat, char *out, size_t max, size_t seed)
{
	static const char *const stars[] = { "", "00001AF4", "01", "0000", "AB41-e0,1,4,k71" };
	size_t len = 0;

	for (const char *p = pat; *p && len + 20 < max; p++) {
		if (*p == '*')
			len += (size_t)snprintf(out + len, max - len, "%s", stars[seed++ % 5]);
		else if (*p == '?')
			out[len++] = '0';
		else if (*p == '[' && strchr(p, ']')) {
			out[len++] = p[1] == '!' ? 'Z' : p[1]; /* the class's first member */
			p = strchr(p, ']');
		} else
			out[len++] = *p;
	}
	out[len] = '\0';
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* What a QEMU guest's devices say, normalised ('-' is '_') as the init does. */
static const char *const qemu_devices[] = {
	"pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00",
	"pci:v00008086d00007010sv00001AF4sd00001100bc01sc01i80",
	"pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00",
	"virtio:d00000002v00001AF4",
	"acpi:PNP0A03:",
	"acpi:QEMU0002:",
	"cpu:type:x86,ven0000fam0006mod003F:feature:,0000,0001,0002,0003,0004,0005,0006,0008,"
	"0009,000B,000C,000D,000F,0010,0013,0017,0018,0019,001A,001B,001C,002B,0034,003A,003B,"
	"003D,0068,006F,0070,0072,0074,0075,0076,0080,0081,0089,008C,008D,0091,0093,0094,0095,"
	"0096,0097,0098,0099,009A,009B,009C,009D,009E,00C0,00C5,00E1,00E3,00E4,00E6,00E7,00EB",
	"dmi:bvnSeaBIOS:bvr1.16.2_debian_1.16.2_1:bd04/01/2014:br0.0:svnQEMU:"
	"pnStandardPC(i440FX+PIIX,1996):pvrpc_i440fx_8.0:cvnQEMU:ct1:cvrpc_i440fx_8.0:sku:",
	"input:b0011v0001p0001eAB41_e0,1,4,11,14,k71,72,73,74,75,76,77,79,7A,7B,7C,7D,7E,7F,80,"
	"8C,8E,8F,9B,9C,9D,9E,9F,A3,A4,A5,A6,AC,AD,B7,B8,B9,D9,E2,ram4,l0,1,2,sfw",
	"serio:ty01pr00id00ex00",
	"platform:i8042",
	"scsi:t_0x00",
	"usb:v1D6Bp0002d0601dc09dsc00dp00ic09isc00ip00in00",
	"fs_ext4",
};

/* Every alias of Debian's full kernel, as the init reads them. */
static void test_full_kernel(void)
{
	const char *root = getenv("RF_FULL_ROOT"), *kver = getenv("RF_FULL_KVER"),
		   *cache = getenv("RF_CACHE");
	static char keys[520][512];
	struct rf_aliasindex x = { 0 };
	struct found want, got;
	char path[4200], *text, *line, *next, *save;
	size_t nkeys = 0, bad = 0, hits = 0, lines = 0;
	double t_naive = 0, t_index = 0, t;

	if (root && *root && kver)
		snprintf(path, sizeof(path), "%s/lib/modules/%s/modules.alias", root, kver);
	else
		snprintf(path, sizeof(path), "%s/kernels/linux-image-6.1.0-57-amd64_6.1.192-3/lib/"
			 "modules/6.1.0-57-amd64/modules.alias", cache ? cache : "");
	text = slurp(path);
	if (!text) {
		TAP_CHECK(1, "# skip no full kernel's modules.alias (%s)", path);
		return;
	}
	for (line = text; line; line = next) {
		char *kw, *pat, *mod;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		kw = strtok_r(line, " \t", &save);
		pat = kw ? strtok_r(NULL, " \t", &save) : NULL;
		mod = pat ? strtok_r(NULL, " \t", &save) : NULL;
		if (!mod || strcmp(kw, "alias") != 0 || rf_kmod_normalize(pat, pat) < 0)
			continue;
		rf_aliasindex_add(&x, pat, lines);
		/* a sample of devices: about one pattern in 50 */
		if (lines++ % 50 == 7 && nkeys < 500) {
			fill(pat, keys[nkeys], sizeof(keys[0]), lines);
			rf_kmod_normalize(keys[nkeys], keys[nkeys]);
			nkeys++;
		}
	}
	for (size_t i = 0; i < sizeof(qemu_devices) / sizeof(qemu_devices[0]); i++)
		snprintf(keys[nkeys++], sizeof(keys[0]), "%s", qemu_devices[i]);
	TAP_CHECK(rf_aliasindex_build(&x) == 0 && x.n > 20000,
		  "%zu aliases of the full kernel: %zu literal starts of %zu lengths", x.n,
		  x.ngroups, x.nlens);
	for (size_t i = 0; i < nkeys; i++) {
		t = now();
		naive(&x, keys[i], &want);
		t_naive += now() - t;
		t = now();
		indexed(&x, keys[i], &got);
		t_index += now() - t;
		hits += want.n;
		if (!same(&want, &got) && bad++ < 3)
			printf("# key \"%s\": %zu matches, the index %zd\n", keys[i], want.n,
			       (ssize_t)got.n);
	}
	TAP_CHECK(bad == 0 && nkeys > 300,
		  "%zu modaliases made from its patterns (%zu matches): the same aliases, in order",
		  nkeys, hits);
	printf("# every alias: %.1f ms, the index: %.1f ms for %zu lookups\n", t_naive * 1000,
	       t_index * 1000, nkeys);
	rf_aliasindex_free(&x);
	free(text);
}

int main(void)
{
	test_cases();
	test_generated();
	test_full_kernel();
	return tap_done();
}
