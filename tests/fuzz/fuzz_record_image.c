// SPDX-License-Identifier: MIT
/* libFuzzer target: finding and reading the input record of an image (lib/record_image.c),
 * the fast walk over the first segments and the fallback through inspect.h, on arbitrary
 * bytes as `ramforge status` reads an untrusted image. An error must come with a message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "record_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rf_record rec = { 0 };
	struct rf_err err = { "" };
	enum rf_inspect_compress c;
	char path[64];
	int fd = memfd_create("image", MFD_CLOEXEC), r;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = rf_record_read_image(path, &rec, &c, &err);
	if (r < 0 && !err.msg[0])
		__builtin_trap();
	rf_record_free(&rec);
	close(fd);
	return 0;
}
