// SPDX-License-Identifier: MIT
/* `ramforge ls -f FILE` (one file to stdout) and `ramforge ls --unpack DIR`; see ls_extract.h. */
#include "ls_extract.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "imgfile.h"
#include "log.h"
#include "unpack.h"

int rf_ls_extract_check(const struct rf_opts *o, struct rf_err *err)
{
	bool listing = o->modules || o->binaries || o->signatures;

	if (o->file && (o->unpack || listing))
		return rf_fail(err, -EINVAL, "ls: -f does not go with --unpack, --modules, --binaries "
			       "or --signatures");
	if (o->unpack && listing)
		return rf_fail(err, -EINVAL, "ls: --unpack does not go with --modules, --binaries or "
			       "--signatures");
	if (o->devices && !o->unpack)
		return rf_fail(err, -EINVAL, "ls: --devices goes with --unpack DIR");
	return 0;
}

static int to_stdout(const void *p, size_t n, void *data)
{
	struct rf_err *err = data;

	if (fwrite(p, 1, n, stdout) != n)
		return rf_fail(err, -EIO, "writing to stdout: %s", strerror(errno));
	return 0;
}

int rf_ls_file(struct rf_inspect *img, const char *image, const char *file, struct rf_err *err)
{
	return rf_imgfile_read(img, image, file, to_stdout, err, err);
}

int rf_ls_unpack(struct rf_inspect *img, const char *image, const char *dir, bool devices,
		 struct rf_err *err)
{
	struct rf_unpack_opts o = { .devices = devices, .owners = geteuid() == 0 };
	struct rf_unpack_stats st;
	int r;

	if (devices && geteuid() != 0)
		return rf_fail(err, -EPERM, "ls: --devices: device nodes can be made only by root");
	r = rf_unpack(img, dir, &o, &st, err);
	if (r < 0) {
		char msg[RF_ERR_MAX];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		return rf_fail(err, r, "%s: unpacking into %s: %s", image, dir, msg);
	}
	if (st.skipped)
		rf_warn("%s: %llu device node%s or socket%s not made (%s%s): --devices makes them, "
			"as root", dir, (unsigned long long)st.skipped, st.skipped == 1 ? "" : "s",
			st.skipped == 1 ? "" : "s", st.first_skipped, st.skipped > 1 ? ", ..." : "");
	rf_info("%s: %llu files, %llu directories, %llu symlinks", dir,
		(unsigned long long)st.files, (unsigned long long)st.dirs,
		(unsigned long long)st.symlinks);
	return 0;
}
