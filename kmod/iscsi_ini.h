/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iscsi_ini: an iSCSI initiator datapath for Linux.
 * Declarations shared by the module's files.
 */
#ifndef _ISCSI_INI_H
#define _ISCSI_INI_H

#define ISCSI_INI_MODULE_VERSION "0.1.0"

int iscsi_ini_netlink_init(void);
void iscsi_ini_netlink_exit(void);

#endif /* _ISCSI_INI_H */
