// SPDX-License-Identifier: MIT
/*
 * The emergency path. As process 1 the init must never exit (the kernel would panic), so every
 * end is a shell, a reboot, or an endless wait if even reboot fails.
 */
#include "emergency.h"

#include <errno.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "rootdev.h"

void rf_emergency_report(const char *reason, const struct rf_cmdline *cmd,
			 struct rf_loader *loader, const struct rf_stepper *steps)
{
	rf_error("==== cannot continue: %s ====", reason);
	rf_error("asked for: root=%s rootfstype=%s rootflags=%s %s%s%s init=%s",
		 cmd->root ? cmd->root : "(none)", cmd->rootfstype ? cmd->rootfstype : "(probe)",
		 cmd->rootflags ? cmd->rootflags : "(none)", cmd->rw ? "rw" : "ro",
		 cmd->rootwait ? " rootwait" : "", cmd->nblacklist ? " (modules denied)" : "",
		 cmd->init ? cmd->init : "(default)");
	rf_error("block devices:");
	rf_rootdev_list(RF_LOG_ERR);
	if (loader)
		rf_loader_report(loader, RF_LOG_ERR);
	else
		rf_error("modules: none loaded yet");
	rf_steps_report(steps, RF_LOG_ERR);
	rf_error("==== end of report ====");
}

static bool run_shell(bool fatal)
{
	pid_t pid;
	int status;

	if (access("/bin/sh", X_OK) != 0)
		return false;
	rf_error("starting /bin/sh; leave it to %s", fatal ? "reboot" : "go on booting");
	pid = fork();
	if (pid == 0) {
		setsid();
		execl("/bin/sh", "sh", "-i", (char *)NULL);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return pid > 0;
}

static void __attribute__((noreturn)) reboot_now(void)
{
	sync();
	if (getpid() == 1)
		reboot(RB_AUTOBOOT);
	else
		_exit(1); /* run by hand for a test: just stop */
	for (;;)
		pause();
}

void rf_emergency(bool fatal, int wait)
{
	bool shell = run_shell(fatal);

	if (shell && !fatal)
		return;
	if (!shell) {
		rf_error("no /bin/sh in the image: rebooting in %d s", wait);
		sleep((unsigned)wait);
	}
	reboot_now();
}
