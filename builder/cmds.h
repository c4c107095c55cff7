/* SPDX-License-Identifier: MIT */
/* The subcommands: each takes argv with argv[0] = its name and returns the exit status. */
#pragma once

int rf_cmd_deps(int argc, char **argv);
int rf_cmd_build(int argc, char **argv);
int rf_cmd_ls(int argc, char **argv);
int rf_cmd_bundles(int argc, char **argv);
int rf_cmd_diff(int argc, char **argv);
int rf_cmd_sign(int argc, char **argv);
int rf_cmd_status(int argc, char **argv);
