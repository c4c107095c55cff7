// SPDX-License-Identifier: MIT
/* The input record's format (lib/record.c): written sorted and unique, read back the same,
 * escapes for any byte, and every malformed line refused with its number. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"
#include "tap.h"

#define D1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define D2 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static char *format(const struct rf_record *r)
{
	char *text = NULL;
	size_t len = 0;

	if (rf_record_format(r, &text, &len) < 0 || strlen(text) != len)
		return NULL;
	return text;
}

static void test_write_sorted(void)
{
	struct rf_record r = { 0 };
	char *text;

	TAP_CHECK(rf_record_add(&r, RF_REC_KERNEL, "6.1.0-9-amd64", NULL) == 0, "kernel line");
	TAP_CHECK(rf_record_add(&r, RF_REC_FILE, D1, "etc/modprobe.d/b.conf") == 0, "file line");
	TAP_CHECK(rf_record_add(&r, RF_REC_FILE, D2, "etc/modprobe.d/a.conf") == 0, "file line");
	TAP_CHECK(rf_record_add(&r, RF_REC_FILE, D2, "etc/modprobe.d/a.conf") == 0, "twice");
	TAP_CHECK(rf_record_add(&r, RF_REC_RAMFORGE, "0.1.0", NULL) == 0, "version line");
	TAP_CHECK(rf_record_add(&r, RF_REC_DIR, ".conf,.alias", "etc/modprobe.d") == 0, "dir line");
	TAP_CHECK(rf_record_add(&r, RF_REC_ABSENT, NULL, "etc/ramforge.conf") == 0, "absent line");
	TAP_CHECK(rf_record_add(&r, RF_REC_OPTION, "add-drivers=ext4 virtio_blk", NULL) == 0, "option");
	text = format(&r);
	TAP_STREQ(text, "ramforge-inputs 1\n"
		  "absent etc/ramforge.conf\n"
		  "dir .conf,.alias etc/modprobe.d\n"
		  "file " D1 " etc/modprobe.d/b.conf\n"
		  "file " D2 " etc/modprobe.d/a.conf\n"
		  "kernel 6.1.0-9-amd64\n"
		  "option add-drivers=ext4\\x20virtio_blk\n"
		  "ramforge 0.1.0\n", "sorted, unique, escaped");
	free(text);
	rf_record_free(&r);
}

static void test_round_trip(void)
{
	struct rf_record r = { 0 }, back = { 0 };
	struct rf_err err = { "" };
	const char *odd = "etc/modprobe.d/a b\\c\nd\t\xc3\xa9.conf";
	char *text, *again;

	rf_record_add(&r, RF_REC_FILE, D1, odd);
	rf_record_add(&r, RF_REC_ENTRY, NULL, odd);
	rf_record_add(&r, RF_REC_TREE, D2, NULL);
	rf_record_add(&r, RF_REC_FILE, D2, "/usr/lib/ramforge/ramforge-init");
	text = format(&r);
	TAP_CHECK(text && !strchr(strchr(text, '\n') + 1, '\t'), "no raw tab or newline in a line");
	TAP_CHECK(rf_record_parse(text, strlen(text), &back, &err) == 0, "parses: %s", err.msg);
	TAP_CHECK(back.n == 4, "4 lines back (%zu)", back.n);
	again = format(&back);
	TAP_STREQ(again, text, "the same text again");
	for (size_t i = 0; i < back.n; i++)
		if (back.v[i].kind == RF_REC_ENTRY)
			TAP_STREQ(back.v[i].path, odd, "odd bytes of a path back");
	TAP_STREQ(rf_record_find(&back, RF_REC_TREE)->value, D2, "tree found");
	free(text);
	free(again);
	rf_record_free(&r);
	rf_record_free(&back);
}

static void test_add_refuses(void)
{
	struct rf_record r = { 0 };

	TAP_CHECK(rf_record_add(&r, RF_REC_FILE, "abc", "x") == -EINVAL, "short digest");
	TAP_CHECK(rf_record_add(&r, RF_REC_FILE, D1, NULL) == -EINVAL, "file without path");
	TAP_CHECK(rf_record_add(&r, RF_REC_ENTRY, "v", "x") == -EINVAL, "entry with a value");
	TAP_CHECK(rf_record_add(&r, RF_REC_ABSENT, NULL, "") == -EINVAL, "empty path");
	TAP_CHECK(r.n == 0, "nothing added");
}

static void expect_bad(const char *text, const char *msg, const char *what)
{
	struct rf_record r = { 0 };
	struct rf_err err = { "" };
	int ret = rf_record_parse(text, strlen(text), &r, &err);

	TAP_CHECK(ret < 0, "%s: refused", what);
	TAP_STREQ(err.msg, msg, "%s: message", what);
	rf_record_free(&r);
}

static void test_parse_errors(void)
{
	expect_bad("", "line 1: not 'ramforge-inputs 1' (another format or version)", "empty");
	expect_bad("ramforge-inputs 2\n", "line 1: not 'ramforge-inputs 1' (another format or version)",
		   "another version");
	expect_bad("ramforge-inputs 1\nkernel x", "line 2: no newline at the end", "no newline");
	expect_bad("ramforge-inputs 1\nkernel\n", "line 2: no field after the kind", "no field");
	expect_bad("ramforge-inputs 1\nkernel 1\nbogus x\n", "line 3: unknown kind of line", "kind");
	expect_bad("ramforge-inputs 1\nfile " D1 "\n", "line 2: a field is missing", "no path");
	expect_bad("ramforge-inputs 1\nfile abc x\n",
		   "line 2: an empty field or a malformed digest", "bad digest");
	expect_bad("ramforge-inputs 1\nfile " D1 " a b\n", "line 2: a field too many", "extra field");
	expect_bad("ramforge-inputs 1\nentry a\\x2\n", "line 2: a bad escape or an empty field",
		   "short escape");
	expect_bad("ramforge-inputs 1\nentry a\\x00\n", "line 2: a bad escape or an empty field",
		   "escaped NUL");
	expect_bad("ramforge-inputs 1\nentry a\\q00\n", "line 2: a bad escape or an empty field",
		   "unknown escape");
	expect_bad("ramforge-inputs 1\nkernel \n", "line 2: an empty field or a malformed digest",
		   "empty value");
	expect_bad("ramforge-inputs 1\nentry x\x01y\n", "line 2: a bad escape or an empty field",
		   "raw control byte");
	{
		struct rf_record r = { 0 };
		struct rf_err err = { "" };
		const char nul[] = "ramforge-inputs 1\nentry a\0b\n";

		TAP_CHECK(rf_record_parse(nul, sizeof(nul) - 1, &r, &err) == -EBADMSG &&
			  strcmp(err.msg, "line 2: a NUL byte") == 0, "NUL byte: %s", err.msg);
		rf_record_free(&r);
	}
}

static void test_digest(void)
{
	char path[] = "/tmp/rf-record-XXXXXX", hex[RF_DIGEST_HEX + 1];
	int fd = mkstemp(path);

	TAP_CHECK(fd >= 0 && rf_digest_fd(fd, hex) == 0, "digest of an empty file");
	TAP_STREQ(hex, D2, "sha256 of nothing");
	if (fd >= 0 && write(fd, "abc", 3) == 3 && lseek(fd, 0, SEEK_SET) == 0)
		TAP_CHECK(rf_digest_fd(fd, hex) == 0, "digest of abc");
	TAP_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 of abc");
	if (fd >= 0)
		close(fd);
	unlink(path);
}

int main(void)
{
	test_write_sorted();
	test_round_trip();
	test_add_refuses();
	test_parse_errors();
	test_digest();
	return tap_done();
}
