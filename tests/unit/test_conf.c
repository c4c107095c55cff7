// SPDX-License-Identifier: MIT
/* ramforge.conf: every syntax rule, every error with its FILE:LINE text, and the precedence
 * defaults < etc/ramforge.conf < etc/ramforge.conf.d/ *.conf in name order. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "tap.h"

static char root[] = "/tmp/rf-conf-XXXXXX";

/* The list as "w1@origin w2@origin". */
static const char *words(const struct rf_conf_list *l)
{
	static char buf[2048];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < l->n; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s@%s", i ? " " : "", l->v[i].word, l->v[i].origin);
	return buf;
}

/* Parse text on top of the defaults; return the result code and keep the message. */
static int parse(struct rf_conf *c, const char *text, struct rf_err *err)
{
	err->msg[0] = '\0';
	if (rf_conf_init(c, err) < 0)
		return -1;
	return rf_conf_parse(c, text, "etc/ramforge.conf", err);
}

static void expect_error(const char *text, const char *msg, const char *what)
{
	struct rf_conf c;
	struct rf_err err;
	int r = parse(&c, text, &err);

	TAP_CHECK(r == -EINVAL, "%s: rejected", what);
	TAP_STREQ(err.msg, msg, "%s: message", what);
	rf_conf_free(&c);
}

static void test_defaults(void)
{
	struct rf_conf c;
	struct rf_err err = { "" };

	TAP_CHECK(rf_conf_init(&c, &err) == 0, "defaults parse: %s", err.msg);
	TAP_STREQ(c.compress, "zstd", "default compress");
	TAP_CHECK(c.compress_level == -1, "default compress_level is -1");
	TAP_CHECK(c.backups == 3, "default backups is 3");
	TAP_STREQ(c.hostonly, "no", "default hostonly");
	TAP_CHECK(c.add_drivers.n == 0 && c.omit_drivers.n == 0 && c.force_drivers.n == 0, "default lists empty");
	rf_conf_free(&c);
}

static void test_syntax(void)
{
	struct rf_conf c;
	struct rf_err err;
	int r = parse(&c,
		      "# comment\n"
		      "\n"
		      "   \t\n"
		      "add_drivers=\"a b\"\n"
		      "  add_drivers+=\" c  d \"   # trailing comment\n"
		      "omit_drivers='x'\n"
		      "force_drivers=single\n"
		      "compress=xz\t\n"
		      "compress_level=\"19\"\n"
		      "backups=0\n"
		      "hostonly='yes'\n",
		      &err);

	TAP_CHECK(r == 0, "valid file parses: %s", err.msg);
	TAP_STREQ(words(&c.add_drivers),
		  "a@etc/ramforge.conf:4 b@etc/ramforge.conf:4 c@etc/ramforge.conf:5 d@etc/ramforge.conf:5",
		  "= then += with per-word origins");
	TAP_STREQ(words(&c.omit_drivers), "x@etc/ramforge.conf:6", "single quotes");
	TAP_STREQ(words(&c.force_drivers), "single@etc/ramforge.conf:7", "unquoted word");
	TAP_STREQ(c.compress, "xz", "compress set");
	TAP_CHECK(c.compress_level == 19, "compress_level 19");
	TAP_CHECK(c.backups == 0, "backups 0");
	TAP_STREQ(c.hostonly, "yes", "hostonly yes");
	rf_conf_free(&c);

	r = parse(&c, "add_drivers=\"a\"\nadd_drivers=\"b\"\ncompress_level=\"\"\nadd_drivers+=\"\"\nomit_drivers=\n", &err);
	TAP_CHECK(r == 0, "replace parses: %s", err.msg);
	TAP_STREQ(words(&c.add_drivers), "b@etc/ramforge.conf:2", "= replaces the list");
	TAP_CHECK(c.compress_level == -1, "compress_level \"\" means default");
	TAP_CHECK(c.omit_drivers.n == 0, "key= empties");
	rf_conf_free(&c);

	r = parse(&c, "add_drivers=\"a\" # note \"quoted\"\r\nadd_drivers+=\"b\"", &err);
	TAP_CHECK(r == 0, "CRLF and no final newline: %s", err.msg);
	TAP_STREQ(words(&c.add_drivers), "a@etc/ramforge.conf:1 b@etc/ramforge.conf:2", "last line without newline read");
	rf_conf_free(&c);
}

static void test_errors(void)
{
	expect_error("\nfoo=\"x\"\n", "etc/ramforge.conf:2: unknown key \"foo\" (known: add_drivers, force_drivers, "
					 "omit_drivers, add_bundles, omit_bundles, install_items, compress, "
					 "compress_level, backups, hostonly, image, require_signed, "
					 "trusted_certs, sign_key, sign_cert, firmware, add_firmware, "
					 "early_microcode, module_compress, module_cache)",
		     "unknown key");
	expect_error("require_signed=\"maybe\"\n", "etc/ramforge.conf:1: require_signed=\"maybe\": "
		     "expected yes, no or auto", "require_signed value");
	expect_error("sign_key=\"key.pem\"\n", "etc/ramforge.conf:1: sign_key=\"key.pem\": expected "
		     "an absolute path", "sign_key relative");
	expect_error("firmware=\"1\"\n", "etc/ramforge.conf:1: firmware=\"1\": expected yes or no",
		     "firmware value");
	expect_error("add_drivers=\"a b\n", "etc/ramforge.conf:1: unterminated quote \"", "unterminated double quote");
	expect_error("#\nadd_drivers='a\n", "etc/ramforge.conf:2: unterminated quote '", "unterminated single quote");
	expect_error("add_drivers=\"a\nb\"\n",
		     "etc/ramforge.conf:1: a value must fit on one line (its closing \" is on line 2)", "value with a newline");
	expect_error("add_drivers=\"$(ls)\"\n",
		     "etc/ramforge.conf:1: command substitution $(...) is not supported: nothing in ramforge's configuration is evaluated",
		     "$(...)");
	expect_error("add_drivers=\"${X}\"\n",
		     "etc/ramforge.conf:1: variable expansion ${...} is not supported: nothing in ramforge's configuration is evaluated",
		     "${...}");
	expect_error("add_drivers+=\" $add_drivers x\"\n",
		     "etc/ramforge.conf:1: variables ($NAME) are not supported: nothing in ramforge's configuration is evaluated",
		     "$VAR");
	expect_error("add_drivers=$X\n",
		     "etc/ramforge.conf:1: variables ($NAME) are not supported: nothing in ramforge's configuration is evaluated",
		     "unquoted $VAR");
	expect_error("add_drivers='`uname`'\n",
		     "etc/ramforge.conf:1: command substitution `...` is not supported: nothing in ramforge's configuration is evaluated",
		     "backticks");
	expect_error("add_drivers\n", "etc/ramforge.conf:1: expected key=\"value\", got \"add_drivers\"", "bare word");
	expect_error("source /etc/x\n", "etc/ramforge.conf:1: expected key=\"value\", got \"source /etc/x\"",
		     "a command");
	expect_error("add_drivers = \"x\"\n", "etc/ramforge.conf:1: no spaces are allowed before '='", "space before =");
	expect_error("add_drivers=\"a\" b\n", "etc/ramforge.conf:1: unexpected text after the value: \"b\"",
		     "text after closing quote");
	expect_error("add_drivers=\"a\"'b'\n", "etc/ramforge.conf:1: unexpected text after the value: \"'b'\"",
		     "two quoted parts");
	expect_error("add_drivers=a b\n", "etc/ramforge.conf:1: unexpected text after the value: \"b\"",
		     "two unquoted words");
	expect_error("add_drivers=a;ls\n",
		     "etc/ramforge.conf:1: ';' is not allowed in an unquoted value (quote the value)", "shell operator");
	expect_error("compress=\"bzip2\"\n",
		     "etc/ramforge.conf:1: compress=\"bzip2\": expected zstd, gzip, xz, lz4 or none", "bad compress");
	expect_error("compress+=\"zstd\"\n", "etc/ramforge.conf:1: compress takes one value: use compress=, not +=",
		     "+= on a single value");
	expect_error("compress_level=23\n",
		     "etc/ramforge.conf:1: compress_level=\"23\": expected \"\" or a number 0..22", "level too high");
	expect_error("compress_level=\"-1\"\n",
		     "etc/ramforge.conf:1: compress_level=\"-1\": expected \"\" or a number 0..22", "negative level");
	expect_error("backups=\"-1\"\n", "etc/ramforge.conf:1: backups=\"-1\": expected a number >= 0",
		     "negative backups");
	expect_error("backups=3x\n", "etc/ramforge.conf:1: backups=\"3x\": expected a number >= 0", "backups not a number");
	expect_error("hostonly=maybe\n", "etc/ramforge.conf:1: hostonly=\"maybe\": expected yes or no", "bad hostonly");
	expect_error("image=boot/x.img\n",
		     "etc/ramforge.conf:1: image=\"boot/x.img\": expected an absolute path (%k stands for the kernel version)",
		     "relative image");
}

static void write_file(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_precedence(void)
{
	struct rf_conf c;
	struct rf_err err = { "" };
	char path[512];
	int r;

	snprintf(path, sizeof(path), "%s/etc/ramforge.conf.d", root);
	mkdir(path, 0755);
	r = rf_conf_load(&c, root, &err);
	TAP_CHECK(r == 0 && c.backups == 3, "no files: the defaults (%s)", err.msg);
	rf_conf_free(&c);

	write_file("etc/ramforge.conf", "add_drivers=\"base\"\ncompress=gzip\nbackups=5\n");
	write_file("etc/ramforge.conf.d/20-b.conf", "add_drivers+=\" b20 \"\ncompress=lz4\n");
	write_file("etc/ramforge.conf.d/10-a.conf", "add_drivers+=\"a10\"\nbackups=1\n");
	write_file("etc/ramforge.conf.d/30-c.conf.disabled", "compress=none\n");
	write_file("etc/ramforge.conf.d/.hidden.conf", "compress=none\n");
	snprintf(path, sizeof(path), "%s/etc/ramforge.conf.d/40-dir.conf", root);
	mkdir(path, 0755);
	r = rf_conf_load(&c, root, &err);
	TAP_CHECK(r == 0, "load with conf.d: %s", err.msg);
	TAP_STREQ(words(&c.add_drivers),
		  "base@etc/ramforge.conf:1 a10@etc/ramforge.conf.d/10-a.conf:1 b20@etc/ramforge.conf.d/20-b.conf:1",
		  "conf.d appended in name order, origins relative to the sysroot");
	TAP_STREQ(c.compress, "lz4", "later conf.d file wins; .disabled, dotfiles and directories skipped");
	TAP_CHECK(c.backups == 1, "10-a.conf overrides etc/ramforge.conf");
	rf_conf_free(&c);

	write_file("etc/ramforge.conf.d/05-bad.conf", "\n\nadd_drivers=$(evil)\n");
	r = rf_conf_load(&c, root, &err);
	TAP_CHECK(r == -EINVAL, "a bad conf.d file fails the load");
	TAP_CHECK(strncmp(err.msg, "etc/ramforge.conf.d/05-bad.conf:3: ", 35) == 0, "named as FILE:LINE: %s", err.msg);
	rf_conf_free(&c);

	snprintf(path, sizeof(path), "%s/etc/ramforge.conf.d/05-bad.conf", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/etc/ramforge.conf.d/07-unreadable.conf", root);
	TAP_CHECK(symlink("/nonexistent-rf", path) == 0, "dangling symlink made");
	r = rf_conf_load(&c, root, &err);
	TAP_CHECK(r == 0, "a dangling symlink in conf.d is skipped (%s)", err.msg);
	rf_conf_free(&c);
	unlink(path);

	if (geteuid() != 0) {
		snprintf(path, sizeof(path), "%s/etc/ramforge.conf", root);
		chmod(path, 0);
		r = rf_conf_load(&c, root, &err);
		TAP_CHECK(r < 0 && strstr(err.msg, "cannot read etc/ramforge.conf"), "unreadable file: %s", err.msg);
		rf_conf_free(&c);
		chmod(path, 0644);
	}
	snprintf(path, sizeof(path), "%s/etc/ramforge.conf", root);
	unlink(path);
	mkdir(path, 0755);
	r = rf_conf_load(&c, root, &err);
	TAP_STREQ(r < 0 ? err.msg : "", "cannot read etc/ramforge.conf: it is a directory", "a directory as the file");
	rf_conf_free(&c);
	rmdir(path);

	{
		FILE *f = fopen(path, "w");

		if (f) {
			fwrite("add_drivers=\"a\0b\"\n", 1, 18, f);
			fclose(f);
		}
	}
	r = rf_conf_load(&c, root, &err);
	TAP_STREQ(r < 0 ? err.msg : "", "etc/ramforge.conf: not a text file (contains a NUL byte)", "a NUL byte");
	rf_conf_free(&c);
}

int main(void)
{
	char cmd[600];

	if (!mkdtemp(root))
		return 1;
	snprintf(cmd, sizeof(cmd), "%s/etc", root);
	mkdir(cmd, 0755);
	test_defaults();
	test_syntax();
	test_errors();
	test_precedence();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return tap_done();
}
