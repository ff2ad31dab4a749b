// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test helper for the VM harness: loading this module prints a genuine kernel WARNING
 * (with its backtrace), then the load fails so nothing stays behind.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/bug.h>

static int __init iscsi_ini_test_warn_init(void)
{
	WARN(1, "deliberate warning for the VM harness self-test\n");
	return -EAGAIN;
}

module_init(iscsi_ini_test_warn_init);

MODULE_DESCRIPTION("VM harness self-test: emits one kernel WARNING on load");
MODULE_LICENSE("GPL");
