// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test helper for the VM harness: loading this module makes the kernel report one genuine fault,
 * chosen by the "fault" parameter, then the load fails so nothing stays behind. The harness's own
 * test proves with it that each kind of report fails a run whose script succeeded:
 *   warn          a WARNING with its backtrace (any kernel)
 *   leak          an unreferenced allocation, for kmemleak (debug kernel)
 *   oob           a read past the end of an allocation, for KASAN (debug kernel)
 *   atomic-sleep  a sleep under a spinlock, for DEBUG_ATOMIC_SLEEP (debug kernel)
 *   lock-order    two mutexes taken in both orders, for lockdep (debug kernel; no deadlock, since
 *                 the orders are taken one after the other)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

static char *fault = "warn";
module_param(fault, charp, 0444);
MODULE_PARM_DESC(fault, "the fault to report: warn, leak, oob, atomic-sleep, lock-order");

/* Where the leaked pointer goes, so the allocation is not optimised away; cleared at once. */
static void *iscsi_ini_test_sink;

static void iscsi_ini_test_leak(void)
{
	WRITE_ONCE(iscsi_ini_test_sink, kmalloc(96, GFP_KERNEL));
	WRITE_ONCE(iscsi_ini_test_sink, NULL);
}

static void iscsi_ini_test_oob(void)
{
	char *buf = kmalloc(16, GFP_KERNEL);

	if (!buf)
		return;
	pr_info("byte past the end: %d\n", READ_ONCE(buf[16]));
	kfree(buf);
}

/* mutex_lock may sleep, so it checks that it was not called in atomic context */
static void iscsi_ini_test_atomic_sleep(void)
{
	static DEFINE_SPINLOCK(lock);
	static DEFINE_MUTEX(mutex);

	spin_lock(&lock);
	mutex_lock(&mutex);
	mutex_unlock(&mutex);
	spin_unlock(&lock);
}

static void iscsi_ini_test_lock_order(void)
{
	static DEFINE_MUTEX(first);
	static DEFINE_MUTEX(second);

	mutex_lock(&first);
	mutex_lock(&second);
	mutex_unlock(&second);
	mutex_unlock(&first);

	mutex_lock(&second);
	mutex_lock(&first);
	mutex_unlock(&first);
	mutex_unlock(&second);
}

static int __init iscsi_ini_test_warn_init(void)
{
	if (!strcmp(fault, "warn"))
		WARN(1, "deliberate warning for the VM harness self-test\n");
	else if (!strcmp(fault, "leak"))
		iscsi_ini_test_leak();
	else if (!strcmp(fault, "oob"))
		iscsi_ini_test_oob();
	else if (!strcmp(fault, "atomic-sleep"))
		iscsi_ini_test_atomic_sleep();
	else if (!strcmp(fault, "lock-order"))
		iscsi_ini_test_lock_order();
	else
		return -EINVAL;
	return -EAGAIN;
}

module_init(iscsi_ini_test_warn_init);

MODULE_DESCRIPTION("VM harness self-test: makes the kernel report one chosen fault on load");
MODULE_LICENSE("GPL");
