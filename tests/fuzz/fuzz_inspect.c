// SPDX-License-Identifier: MIT
/* libFuzzer target: the image reader of `ramforge ls` (lib/inspect.c) on arbitrary bytes,
 * through a memory file. Malformed images must give an error, never a crash; every entry it
 * reports must be well-formed, and a file's data read in pieces (as `ls -f`, `--unpack` and
 * `diff` read it) must add up to its size. Limits are lower than ramforge's so bombs are cut
 * short. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "inspect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct rf_inspect_limits lim = {
	.max_total = 32 << 20,
	.max_entry_size = 1 << 20,
	.max_entries = 10000,
};

static int check_entry(const struct rf_inspect_entry *e, void *data)
{
	const struct rf_inspect *img = data;

	if (!e->path || strlen(e->path) > RF_INSPECT_NAME_MAX || e->segment >= rf_inspect_nsegments(img))
		__builtin_trap();
	if (e->link && strlen(e->link) > e->size)
		__builtin_trap();
	return 0;
}

static int read_stream(const struct rf_inspect_entry *e, void *data)
{
	const void *p;
	size_t n;
	uint64_t got = 0;
	int r;

	(void)data;
	if (e->stream && (e->mode & 0170000) != 0100000)
		__builtin_trap();
	while (e->stream && (r = rf_inspect_chunk(e->stream, &p, &n)) > 0) {
		if (!n || !p)
			__builtin_trap();
		got += n;
	}
	if (e->stream && r == 0 && got != e->size)
		__builtin_trap();
	return e->stream ? r : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct rf_inspect *img = NULL;
	struct rf_err err = { "" };

	if (fd < 0 && (fd = memfd_create("image", MFD_CLOEXEC)) < 0)
		__builtin_trap();
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		__builtin_trap();
	if (rf_inspect_open_fd(&img, fd, "fuzz.img", &lim, &err) < 0) {
		if (!err.msg[0])
			__builtin_trap(); /* every error says why */
		return 0;
	}
	if (rf_inspect_foreach(img, check_entry, img, &err) < 0 && !err.msg[0])
		__builtin_trap();
	err.msg[0] = '\0';
	if (rf_inspect_foreach_stream(img, read_stream, NULL, &err) < 0 && !err.msg[0])
		__builtin_trap();
	rf_inspect_free(img);
	return 0;
}
