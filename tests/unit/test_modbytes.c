// SPDX-License-Identifier: MIT
/* Module bytes in memory: compressed again in each module format and read back as the init
 * and the kernel would (the same bytes), the same output twice; unreadable files are errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decompress.h"
#include "modbytes.h"
#include "tap.h"

static char tmp[] = "/tmp/rf-modbytes-XXXXXX";

static void roundtrip(enum rf_comp c, const unsigned char *p, size_t n)
{
	unsigned char *a = NULL, *b = NULL, *back = NULL;
	size_t alen = 0, blen = 0, backlen = 0;
	struct rf_err err = { "" };
	char path[300];
	FILE *f;
	int r = rf_modbytes_compress(c, p, n, &a, &alen, &err);

	TAP_CHECK(r == 0, "%s: compressed (%s)", rf_comp_name(c), err.msg);
	r = rf_modbytes_compress(c, p, n, &b, &blen, &err);
	TAP_CHECK(r == 0 && alen == blen && memcmp(a, b, alen) == 0, "%s: the same bytes twice",
		  rf_comp_name(c));
	snprintf(path, sizeof(path), "%s/m.ko%s", tmp,
		 c == RF_COMP_ZSTD ? ".zst" : c == RF_COMP_XZ ? ".xz" : c == RF_COMP_GZIP ? ".gz" : "");
	f = fopen(path, "w");
	if (f) {
		fwrite(a, 1, alen, f);
		fclose(f);
	}
	r = rf_modbytes_read(path, &back, &backlen, &err);
	TAP_CHECK(r == 0 && backlen == n && memcmp(back, p, n) == 0, "%s: read back as they were (%s)",
		  rf_comp_name(c), err.msg);
	free(a);
	free(b);
	free(back);
}

int main(void)
{
	static unsigned char mod[200000];
	struct rf_err err = { "" };
	unsigned char *p = NULL;
	size_t n = 0;
	char path[300], cmd[400];
	FILE *f;
	int r;

	if (!mkdtemp(tmp)) {
		TAP_CHECK(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	for (size_t i = 0; i < sizeof(mod); i++)
		mod[i] = (unsigned char)(i % 251 < 100 ? 0 : i * 7);
	roundtrip(RF_COMP_NONE, mod, sizeof(mod));
	roundtrip(RF_COMP_ZSTD, mod, sizeof(mod));
	roundtrip(RF_COMP_XZ, mod, sizeof(mod));
	roundtrip(RF_COMP_GZIP, mod, sizeof(mod));

	snprintf(path, sizeof(path), "%s/bad.ko.xz", tmp);
	f = fopen(path, "w");
	if (f) {
		fputs("not xz at all", f);
		fclose(f);
	}
	r = rf_modbytes_read(path, &p, &n, &err);
	TAP_CHECK(r == -EBADMSG && strstr(err.msg, "bad.ko.xz: does not decompress as xz"),
		  "corrupt data: %s", err.msg);
	r = rf_modbytes_read(tmp, &p, &n, &err);
	TAP_CHECK(r == -EINVAL && strstr(err.msg, "not a regular file"), "a directory: %s", err.msg);
	snprintf(path, sizeof(path), "%s/missing.ko", tmp);
	r = rf_modbytes_read(path, &p, &n, &err);
	TAP_CHECK(r == -ENOENT && strstr(err.msg, "missing.ko"), "a missing file: %s", err.msg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", tmp);
	return tap_done();
}
