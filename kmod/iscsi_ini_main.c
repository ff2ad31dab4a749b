// SPDX-License-Identifier: GPL-2.0-only
/*
 * iscsi_ini: an iSCSI initiator datapath for Linux.
 *
 * Login and negotiation run in user space (iscsid); the daemon hands each logged-in
 * socket to this module over the generic netlink family "iscsi_ini".
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/workqueue.h>

#include "iscsi_ini.h"

/* io_work of every connection; WQ_MEM_RECLAIM: writeback may depend on it */
struct workqueue_struct *iscsi_ini_io_wq;

/*
 * io_work runs where the socket's softirq saw the data (bound, as nvme-tcp does): on a real
 * network that is the NIC's interrupt CPU, and the data is read cache-hot. On loopback the
 * softirq runs on the target's sending CPU, so our receive copy queues behind the target's own;
 * unbound, the scheduler may move io_work to an idle CPU (docs/performance.md has the figures).
 */
static bool io_unbound;
module_param(io_unbound, bool, 0444);
MODULE_PARM_DESC(io_unbound, "run connection I/O work on any CPU, not the one that received the data");

/* connection teardown, replacement timeouts, target-requested logouts */
struct workqueue_struct *iscsi_ini_recovery_wq;

static int __init iscsi_ini_init(void)
{
	int ret;

	iscsi_ini_pdu_check_sizes();
	/* WQ_SYSFS: /sys/devices/virtual/workqueue/iscsi_ini_io shows which, and its CPU mask */
	iscsi_ini_io_wq = alloc_workqueue("iscsi_ini_io", WQ_MEM_RECLAIM | WQ_HIGHPRI | WQ_SYSFS |
					  (io_unbound ? WQ_UNBOUND : 0), 0);
	if (!iscsi_ini_io_wq)
		return -ENOMEM;
	iscsi_ini_recovery_wq = alloc_workqueue("iscsi_ini_recovery", WQ_MEM_RECLAIM, 0);
	if (!iscsi_ini_recovery_wq) {
		ret = -ENOMEM;
		goto err_destroy_io_wq;
	}
	ret = iscsi_ini_netlink_init();
	if (ret) {
		pr_err("cannot register the generic netlink family: %d\n", ret);
		goto err_destroy_recovery_wq;
	}
	pr_info("version %s loaded\n", ISCSI_INI_MODULE_VERSION);
	return 0;

err_destroy_recovery_wq:
	destroy_workqueue(iscsi_ini_recovery_wq);
err_destroy_io_wq:
	destroy_workqueue(iscsi_ini_io_wq);
	return ret;
}

/* Sessions pin the module, so none is left here. */
static void __exit iscsi_ini_exit(void)
{
	iscsi_ini_netlink_exit();
	destroy_workqueue(iscsi_ini_recovery_wq);
	destroy_workqueue(iscsi_ini_io_wq);
	pr_info("unloaded\n");
}

module_init(iscsi_ini_init);
module_exit(iscsi_ini_exit);

MODULE_AUTHOR("iscsi_ini developers");
MODULE_DESCRIPTION("iSCSI initiator datapath (login in user space, feature phase in kernel)");
MODULE_LICENSE("GPL");
MODULE_VERSION(ISCSI_INI_MODULE_VERSION);
