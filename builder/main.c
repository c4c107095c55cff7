// SPDX-License-Identifier: MIT
/* ramforge: build initramfs images. main only picks the subcommand. */
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "print.h"
#include "log.h"
#include "util.h"

static const char usage[] =
	"Usage: ramforge COMMAND [OPTIONS]\n"
	"\n"
	"Build initramfs images that hold exactly the kernel modules a machine needs,\n"
	"chosen by kmod's own rules (blacklist and install overrides honoured).\n"
	"\n"
	"Commands:\n"
	"  build [SELECTION] [-f] [--no-backup] [--compress C] [IMAGE]\n"
	"                      write an image (default: the one the boot loader loads for KVER)\n"
	"  deps  [SELECTION] [--explain] [NAME...]\n"
	"                      print the modules an image would hold, in load order\n"
	"  ls    [--modules|--binaries|--signatures] IMAGE\n"
	"                      list the contents of an image\n"
	"  diff  OLD NEW\n"
	"                      what changed between two images (modules, files, modprobe.d)\n"
	"  bundles [SELECTION]\n"
	"                      which bundles (lvm, crypt, mdraid) an image would hold, and why\n"
	"  build --regenerate-all [--parallel N] [--if-stale] [SELECTION] [-f]\n"
	"                      every installed kernel's image, one line per kernel\n"
	"  status [SELECTION] [IMAGE]\n"
	"                      is an image still what a build would make now? (exit 0, 1, 2)\n"
	"  sign  [--hash ALGO] --key KEY --cert CERT [-f] MODULE...\n"
	"                      sign module files as the kernel's scripts/sign-file does\n"
	"\n"
	"Run `ramforge COMMAND --help` for a command's options; `man ramforge` for the rest.\n";

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "build", rf_cmd_build },
	{ "deps", rf_cmd_deps },
	{ "ls", rf_cmd_ls },
	{ "bundles", rf_cmd_bundles },
	{ "diff", rf_cmd_diff },
	{ "sign", rf_cmd_sign },
	{ "status", rf_cmd_status },
};

/* The exit status: the command's, or 1 when its output could not be written. */
static int finish(int status)
{
	struct rf_err err = { "" };

	if (rf_stdout_close(&err) < 0 && status == 0) {
		rf_error("%s", err.msg);
		return 1;
	}
	return status;
}

int main(int argc, char **argv)
{
	rf_print_attach();
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage, stdout);
		return finish(0);
	}
	if (strcmp(argv[1], "--version") == 0) {
		puts("ramforge " RF_VERSION);
		return finish(0);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return finish(commands[i].run(argc - 1, argv + 1));
	rf_error("unknown command '%s' (commands: build, deps, ls, bundles, diff, sign, status; see `ramforge --help`)", argv[1]);
	return 2;
}
