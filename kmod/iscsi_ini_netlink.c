// SPDX-License-Identifier: GPL-2.0-only
/*
 * The generic netlink family "iscsi_ini": the daemon's way into the module.
 *
 * Operation and policy tables are generated from docs/netlink/iscsi_ini.yaml
 * (iscsi_ini_nl.c); this file holds the handlers.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/genetlink.h>

#include "iscsi_ini.h"
#include "iscsi_ini_nl.h"

static struct genl_family iscsi_ini_genl_family __ro_after_init = {
	.name		= ISCSI_INI_FAMILY_NAME,
	.version	= ISCSI_INI_FAMILY_VERSION,
	.maxattr	= ISCSI_INI_A_MAX,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.ops		= iscsi_ini_nl_ops,
	.n_ops		= ARRAY_SIZE(iscsi_ini_nl_ops),
	/* Every operation of this new family gets strict attribute validation. */
	.resv_start_op	= ISCSI_INI_CMD_MAX + 1,
	.mcgrps		= iscsi_ini_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(iscsi_ini_nl_mcgrps),
};

int iscsi_ini_nl_version_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *reply;
	void *hdr;

	reply = genlmsg_new(nla_total_size(sizeof(u32)) +
			    nla_total_size(sizeof(ISCSI_INI_MODULE_VERSION)),
			    GFP_KERNEL);
	if (!reply)
		return -ENOMEM;

	hdr = genlmsg_put_reply(reply, info, &iscsi_ini_genl_family, 0,
				ISCSI_INI_CMD_VERSION_GET);
	if (!hdr)
		goto err_free_reply;
	if (nla_put_u32(reply, ISCSI_INI_A_VERSION, ISCSI_INI_FAMILY_VERSION) ||
	    nla_put_string(reply, ISCSI_INI_A_MODULE_VERSION, ISCSI_INI_MODULE_VERSION))
		goto err_cancel_msg;
	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);

err_cancel_msg:
	genlmsg_cancel(reply, hdr);
err_free_reply:
	nlmsg_free(reply);
	return -EMSGSIZE;
}

int __init iscsi_ini_netlink_init(void)
{
	return genl_register_family(&iscsi_ini_genl_family);
}

void iscsi_ini_netlink_exit(void)
{
	genl_unregister_family(&iscsi_ini_genl_family);
}

/* Lets a request for the family load the module on demand. */
MODULE_ALIAS_GENL_FAMILY(ISCSI_INI_FAMILY_NAME);
