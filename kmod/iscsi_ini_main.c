// SPDX-License-Identifier: GPL-2.0-only
/*
 * iscsi_ini: an iSCSI initiator datapath for Linux.
 *
 * Login and negotiation run in user space (iscsid); the daemon hands each logged-in
 * socket to this module over the generic netlink family "iscsi_ini".
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "iscsi_ini.h"

static int __init iscsi_ini_init(void)
{
	int ret;

	ret = iscsi_ini_netlink_init();
	if (ret) {
		pr_err("cannot register the generic netlink family: %d\n", ret);
		return ret;
	}
	pr_info("version %s loaded\n", ISCSI_INI_MODULE_VERSION);
	return 0;
}

static void __exit iscsi_ini_exit(void)
{
	iscsi_ini_netlink_exit();
	pr_info("unloaded\n");
}

module_init(iscsi_ini_init);
module_exit(iscsi_ini_exit);

MODULE_AUTHOR("iscsi_ini developers");
MODULE_DESCRIPTION("iSCSI initiator datapath (login in user space, feature phase in kernel)");
MODULE_LICENSE("GPL");
MODULE_VERSION(ISCSI_INI_MODULE_VERSION);
