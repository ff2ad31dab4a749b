// SPDX-License-Identifier: GPL-2.0-only
/*
 * The generic netlink family "iscsi_ini": the daemon's way into the module.
 *
 * Operation and policy tables are generated from docs/netlink/iscsi_ini.yaml
 * (iscsi_ini_nl.c); this file holds the handlers and the events. The handlers run under the
 * genl mutex (no parallel_ops), which also keeps a looked-up session alive until they return.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/module.h>
#include <linux/net.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include <scsi/scsi_device.h>

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

static u32 iscsi_ini_attr_u32(struct genl_info *info, int type, u32 def)
{
	return info->attrs[type] ? nla_get_u32(info->attrs[type]) : def;
}

static u8 iscsi_ini_attr_u8(struct genl_info *info, int type, u8 def)
{
	return info->attrs[type] ? nla_get_u8(info->attrs[type]) : def;
}

static u16 iscsi_ini_attr_u16(struct genl_info *info, int type, u16 def)
{
	return info->attrs[type] ? nla_get_u16(info->attrs[type]) : def;
}

/* Parameters not given take the RFC 7143 defaults (section 13). */
static int iscsi_ini_parse_params(struct genl_info *info, struct iscsi_ini_params *p)
{
	p->max_recv_dlength = iscsi_ini_attr_u32(info, ISCSI_INI_A_MAX_RECV_DLENGTH, 8192);
	p->max_xmit_dlength = iscsi_ini_attr_u32(info, ISCSI_INI_A_MAX_XMIT_DLENGTH, 8192);
	p->first_burst = iscsi_ini_attr_u32(info, ISCSI_INI_A_FIRST_BURST_LENGTH, 65536);
	p->max_burst = iscsi_ini_attr_u32(info, ISCSI_INI_A_MAX_BURST_LENGTH, 262144);
	p->initial_r2t = iscsi_ini_attr_u8(info, ISCSI_INI_A_INITIAL_R2T, 1);
	p->immediate_data = iscsi_ini_attr_u8(info, ISCSI_INI_A_IMMEDIATE_DATA, 1);
	p->max_r2t = iscsi_ini_attr_u16(info, ISCSI_INI_A_MAX_OUTSTANDING_R2T, 1);
	p->header_digest = iscsi_ini_attr_u8(info, ISCSI_INI_A_HEADER_DIGEST, ISCSI_INI_DIGEST_NONE);
	p->data_digest = iscsi_ini_attr_u8(info, ISCSI_INI_A_DATA_DIGEST, ISCSI_INI_DIGEST_NONE);
	p->data_pdu_in_order = iscsi_ini_attr_u8(info, ISCSI_INI_A_DATA_PDU_IN_ORDER, 1);
	p->data_seq_in_order = iscsi_ini_attr_u8(info, ISCSI_INI_A_DATA_SEQUENCE_IN_ORDER, 1);
	p->erl = iscsi_ini_attr_u8(info, ISCSI_INI_A_ERL, 0);
	p->cmds_max = iscsi_ini_attr_u16(info, ISCSI_INI_A_CMDS_MAX, ISCSI_INI_DEF_CMDS_MAX);
	/* the policy keeps it within 1..ISCSI_INI_MAX_CONNS */
	p->max_conns = iscsi_ini_attr_u16(info, ISCSI_INI_A_MAX_CONNECTIONS, 1);
	p->replacement_timeout = iscsi_ini_attr_u32(info, ISCSI_INI_A_REPLACEMENT_TIMEOUT,
						    ISCSI_INI_DEF_REPLACEMENT_TIMEOUT);
	p->noop_interval = iscsi_ini_attr_u32(info, ISCSI_INI_A_NOOP_INTERVAL, ISCSI_INI_DEF_NOOP_INTERVAL);
	p->noop_timeout = iscsi_ini_attr_u32(info, ISCSI_INI_A_NOOP_TIMEOUT, ISCSI_INI_DEF_NOOP_TIMEOUT);

	if (p->erl) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[ISCSI_INI_A_ERL],
				    "only ErrorRecoveryLevel 0 is implemented");
		return -EOPNOTSUPP;
	}
	if (p->first_burst > p->max_burst) {
		NL_SET_ERR_MSG(info->extack, "FirstBurstLength exceeds MaxBurstLength");
		return -EINVAL;
	}
	return 0;
}

int iscsi_ini_nl_session_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct iscsi_ini_session *sess;
	struct iscsi_ini_params p;
	struct iscsi_ini_ident *ident;
	struct sk_buff *reply;
	void *hdr;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, ISCSI_INI_A_TARGET_NAME) ||
	    GENL_REQ_ATTR_CHECK(info, ISCSI_INI_A_INITIATOR_NAME) ||
	    GENL_REQ_ATTR_CHECK(info, ISCSI_INI_A_ISID) ||
	    GENL_REQ_ATTR_CHECK(info, ISCSI_INI_A_TSIH))
		return -EINVAL;
	ret = iscsi_ini_parse_params(info, &p);
	if (ret)
		return ret;

	ident = kzalloc(sizeof(*ident), GFP_KERNEL);
	if (!ident)
		return -ENOMEM;
	nla_strscpy(ident->target_name, info->attrs[ISCSI_INI_A_TARGET_NAME], sizeof(ident->target_name));
	nla_strscpy(ident->initiator_name, info->attrs[ISCSI_INI_A_INITIATOR_NAME],
		    sizeof(ident->initiator_name));
	if (info->attrs[ISCSI_INI_A_PORTAL])
		nla_strscpy(ident->portal, info->attrs[ISCSI_INI_A_PORTAL], sizeof(ident->portal));
	nla_memcpy(ident->isid, info->attrs[ISCSI_INI_A_ISID], sizeof(ident->isid));
	ident->tsih = nla_get_u16(info->attrs[ISCSI_INI_A_TSIH]);
	ident->tpgt = iscsi_ini_attr_u16(info, ISCSI_INI_A_TPGT, 1);

	reply = genlmsg_new(2 * nla_total_size(sizeof(u32)), GFP_KERNEL);
	if (!reply) {
		ret = -ENOMEM;
		goto free_ident;
	}
	sess = iscsi_ini_session_create(ident, &p, genl_info_net(info));
	if (IS_ERR(sess)) {
		ret = PTR_ERR(sess);
		NL_SET_ERR_MSG(info->extack, "cannot create the SCSI host");
		goto free_reply;
	}
	hdr = genlmsg_put_reply(reply, info, &iscsi_ini_genl_family, 0, ISCSI_INI_CMD_SESSION_NEW);
	if (!hdr || nla_put_u32(reply, ISCSI_INI_A_SESSION_ID, sess->id) ||
	    nla_put_u32(reply, ISCSI_INI_A_HOST_NO, sess->shost->host_no)) {
		/* cannot happen with the size reserved above; do not leave a session nobody knows */
		iscsi_ini_session_remove(sess, false);
		ret = -EMSGSIZE;
		goto free_reply;
	}
	genlmsg_end(reply, hdr);
	kfree(ident);
	return genlmsg_reply(reply, info);

free_reply:
	nlmsg_free(reply);
free_ident:
	kfree(ident);
	return ret;
}

/*
 * The session a request names: ERR_PTR(-EINVAL) when it names none (a malformed request),
 * ERR_PTR(-ENOENT) when no such session exists (it may have gone since the caller looked:
 * the daemon stops recovering a session on ENOENT).
 */
static struct iscsi_ini_session *iscsi_ini_nl_session(struct genl_info *info)
{
	struct iscsi_ini_session *sess;

	if (GENL_REQ_ATTR_CHECK(info, ISCSI_INI_A_SESSION_ID))
		return ERR_PTR(-EINVAL);
	sess = iscsi_ini_session_lookup(genl_info_net(info), nla_get_u32(info->attrs[ISCSI_INI_A_SESSION_ID]));
	if (!sess) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[ISCSI_INI_A_SESSION_ID], "no such session");
		return ERR_PTR(-ENOENT);
	}
	return sess;
}

int iscsi_ini_nl_conn_bind_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct iscsi_ini_session *sess;
	struct socket *sock;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, ISCSI_INI_A_SOCK_FD) ||
	    GENL_REQ_ATTR_CHECK(info, ISCSI_INI_A_EXP_STAT_SN) ||
	    GENL_REQ_ATTR_CHECK(info, ISCSI_INI_A_CMD_SN) ||
	    GENL_REQ_ATTR_CHECK(info, ISCSI_INI_A_EXP_CMD_SN) ||
	    GENL_REQ_ATTR_CHECK(info, ISCSI_INI_A_MAX_CMD_SN))
		return -EINVAL;
	sess = iscsi_ini_nl_session(info);
	if (IS_ERR(sess))
		return PTR_ERR(sess);
	/* the handler runs in the caller's context, so the fd is the caller's */
	sock = sockfd_lookup(nla_get_s32(info->attrs[ISCSI_INI_A_SOCK_FD]), &ret);
	if (!sock) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[ISCSI_INI_A_SOCK_FD], "not a socket");
		return ret;
	}
	ret = iscsi_ini_session_bind(sess, sock, iscsi_ini_attr_u16(info, ISCSI_INI_A_CID, 0),
				     nla_get_u32(info->attrs[ISCSI_INI_A_EXP_STAT_SN]),
				     nla_get_u32(info->attrs[ISCSI_INI_A_CMD_SN]),
				     nla_get_u32(info->attrs[ISCSI_INI_A_EXP_CMD_SN]),
				     nla_get_u32(info->attrs[ISCSI_INI_A_MAX_CMD_SN]), info->extack);
	if (ret)
		sockfd_put(sock);
	return ret;
}

int iscsi_ini_nl_session_logout_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct iscsi_ini_session *sess = iscsi_ini_nl_session(info);

	if (IS_ERR(sess))
		return PTR_ERR(sess);
	iscsi_ini_session_remove(sess, true);
	return 0;
}

int iscsi_ini_nl_session_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct iscsi_ini_session *sess = iscsi_ini_nl_session(info);

	if (IS_ERR(sess))
		return PTR_ERR(sess);
	iscsi_ini_session_remove(sess, false);
	return 0;
}

int iscsi_ini_nl_session_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct iscsi_ini_session *sess = iscsi_ini_nl_session(info);
	u32 replacement, interval, timeout;
	u16 depth;

	if (IS_ERR(sess))
		return PTR_ERR(sess);
	if (info->attrs[ISCSI_INI_A_REPLACEMENT_TIMEOUT])
		replacement = nla_get_u32(info->attrs[ISCSI_INI_A_REPLACEMENT_TIMEOUT]);
	if (info->attrs[ISCSI_INI_A_NOOP_INTERVAL])
		interval = nla_get_u32(info->attrs[ISCSI_INI_A_NOOP_INTERVAL]);
	if (info->attrs[ISCSI_INI_A_NOOP_TIMEOUT])
		timeout = nla_get_u32(info->attrs[ISCSI_INI_A_NOOP_TIMEOUT]);
	if (info->attrs[ISCSI_INI_A_CMDS_MAX])
		depth = nla_get_u16(info->attrs[ISCSI_INI_A_CMDS_MAX]);
	iscsi_ini_session_set(sess,
			      info->attrs[ISCSI_INI_A_REPLACEMENT_TIMEOUT] ? &replacement : NULL,
			      info->attrs[ISCSI_INI_A_NOOP_INTERVAL] ? &interval : NULL,
			      info->attrs[ISCSI_INI_A_NOOP_TIMEOUT] ? &timeout : NULL,
			      info->attrs[ISCSI_INI_A_CMDS_MAX] ? &depth : NULL);
	return 0;
}

/* Answers with the request's scan-gen: the scan-done that reaches it ended a scan covering it. */
int iscsi_ini_nl_session_rescan_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct iscsi_ini_session *sess = iscsi_ini_nl_session(info);
	struct sk_buff *reply;
	void *hdr;
	u32 gen;
	int ret;

	if (IS_ERR(sess))
		return PTR_ERR(sess);
	reply = genlmsg_new(2 * nla_total_size(sizeof(u32)), GFP_KERNEL);
	if (!reply)
		return -ENOMEM;
	hdr = genlmsg_put_reply(reply, info, &iscsi_ini_genl_family, 0, ISCSI_INI_CMD_SESSION_RESCAN);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto free_reply;
	}
	ret = iscsi_ini_session_rescan(sess, &gen);
	if (ret) {
		NL_SET_ERR_MSG(info->extack, "session has no live connection");
		goto free_reply;
	}
	if (nla_put_u32(reply, ISCSI_INI_A_SESSION_ID, sess->id) ||
	    nla_put_u32(reply, ISCSI_INI_A_SCAN_GEN, gen)) {
		ret = -EMSGSIZE;
		goto free_reply;
	}
	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);

free_reply:
	nlmsg_free(reply);
	return ret;
}

static int iscsi_ini_nl_put_stats(struct sk_buff *skb, struct iscsi_ini_stats *st)
{
	struct nlattr *nest = nla_nest_start(skb, ISCSI_INI_A_STATS);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, ISCSI_INI_A_STATS_CMDS, atomic64_read(&st->cmds), ISCSI_INI_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, ISCSI_INI_A_STATS_READ_BYTES, atomic64_read(&st->read_bytes),
			      ISCSI_INI_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, ISCSI_INI_A_STATS_WRITE_BYTES, atomic64_read(&st->write_bytes),
			      ISCSI_INI_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, ISCSI_INI_A_STATS_CONN_ERRORS, atomic64_read(&st->conn_errors),
			      ISCSI_INI_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, ISCSI_INI_A_STATS_DIGEST_ERRORS, atomic64_read(&st->digest_errors),
			      ISCSI_INI_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, ISCSI_INI_A_STATS_NOP_TIMEOUTS, atomic64_read(&st->nop_timeouts),
			      ISCSI_INI_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, ISCSI_INI_A_STATS_ABORTS, atomic64_read(&st->aborts), ISCSI_INI_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, ISCSI_INI_A_STATS_RESETS, atomic64_read(&st->resets), ISCSI_INI_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, ISCSI_INI_A_STATS_BINDS, atomic64_read(&st->binds), ISCSI_INI_A_STATS_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* One nest per connection that is bound (or failed and not yet torn down). */
static int iscsi_ini_nl_put_conns(struct sk_buff *skb, struct iscsi_ini_session *sess)
{
	int i;

	for (i = 0; i < sess->p.max_conns; i++) {
		struct iscsi_ini_conn *conn = sess->conns[i];
		struct nlattr *nest;

		if (READ_ONCE(conn->state) == ISCSI_INI_CONN_UNBOUND)
			continue;
		nest = nla_nest_start(skb, ISCSI_INI_A_CONN);
		if (!nest)
			return -EMSGSIZE;
		if (nla_put_u16(skb, ISCSI_INI_A_CONN_CID, conn->cid) ||
		    nla_put_u32(skb, ISCSI_INI_A_CONN_EXP_STAT_SN, READ_ONCE(conn->exp_stat_sn)) ||
		    nla_put_u64_64bit(skb, ISCSI_INI_A_CONN_CMDS, atomic64_read(&conn->stats.cmds),
				      ISCSI_INI_A_CONN_PAD) ||
		    nla_put_u64_64bit(skb, ISCSI_INI_A_CONN_READ_BYTES, atomic64_read(&conn->stats.read_bytes),
				      ISCSI_INI_A_CONN_PAD) ||
		    nla_put_u64_64bit(skb, ISCSI_INI_A_CONN_WRITE_BYTES, atomic64_read(&conn->stats.write_bytes),
				      ISCSI_INI_A_CONN_PAD)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
		nla_nest_end(skb, nest);
	}
	return 0;
}

static int iscsi_ini_nl_fill_session(struct sk_buff *skb, struct iscsi_ini_session *sess, u32 portid,
				     u32 seq, int flags)
{
	const struct iscsi_ini_params *p = &sess->p;
	u32 cmd_sn, exp_cmd_sn, max_cmd_sn;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &iscsi_ini_genl_family, flags, ISCSI_INI_CMD_SESSION_GET);
	if (!hdr)
		return -EMSGSIZE;
	spin_lock_irq(&sess->lock);
	cmd_sn = sess->cmd_sn;
	exp_cmd_sn = sess->exp_cmd_sn;
	max_cmd_sn = sess->max_cmd_sn;
	spin_unlock_irq(&sess->lock);
	if (nla_put_u32(skb, ISCSI_INI_A_SESSION_ID, sess->id) ||
	    nla_put_u32(skb, ISCSI_INI_A_HOST_NO, sess->shost->host_no) ||
	    nla_put_u32(skb, ISCSI_INI_A_STATE, READ_ONCE(sess->state)) ||
	    nla_put_string(skb, ISCSI_INI_A_TARGET_NAME, sess->ident.target_name) ||
	    nla_put_string(skb, ISCSI_INI_A_INITIATOR_NAME, sess->ident.initiator_name) ||
	    nla_put(skb, ISCSI_INI_A_ISID, sizeof(sess->ident.isid), sess->ident.isid) ||
	    nla_put_u16(skb, ISCSI_INI_A_TSIH, sess->ident.tsih) ||
	    nla_put_string(skb, ISCSI_INI_A_PORTAL, sess->ident.portal) ||
	    nla_put_u16(skb, ISCSI_INI_A_TPGT, sess->ident.tpgt) ||
	    nla_put_u32(skb, ISCSI_INI_A_MAX_RECV_DLENGTH, p->max_recv_dlength) ||
	    nla_put_u32(skb, ISCSI_INI_A_MAX_XMIT_DLENGTH, p->max_xmit_dlength) ||
	    nla_put_u32(skb, ISCSI_INI_A_FIRST_BURST_LENGTH, p->first_burst) ||
	    nla_put_u32(skb, ISCSI_INI_A_MAX_BURST_LENGTH, p->max_burst) ||
	    nla_put_u8(skb, ISCSI_INI_A_INITIAL_R2T, p->initial_r2t) ||
	    nla_put_u8(skb, ISCSI_INI_A_IMMEDIATE_DATA, p->immediate_data) ||
	    nla_put_u16(skb, ISCSI_INI_A_MAX_OUTSTANDING_R2T, p->max_r2t) ||
	    nla_put_u8(skb, ISCSI_INI_A_HEADER_DIGEST, p->header_digest) ||
	    nla_put_u8(skb, ISCSI_INI_A_DATA_DIGEST, p->data_digest) ||
	    nla_put_u8(skb, ISCSI_INI_A_DATA_PDU_IN_ORDER, p->data_pdu_in_order) ||
	    nla_put_u8(skb, ISCSI_INI_A_DATA_SEQUENCE_IN_ORDER, p->data_seq_in_order) ||
	    nla_put_u8(skb, ISCSI_INI_A_ERL, p->erl) ||
	    nla_put_u16(skb, ISCSI_INI_A_CMDS_MAX, sess->queue_depth) ||
	    nla_put_u32(skb, ISCSI_INI_A_REPLACEMENT_TIMEOUT, READ_ONCE(p->replacement_timeout)) ||
	    nla_put_u32(skb, ISCSI_INI_A_NOOP_INTERVAL, READ_ONCE(p->noop_interval)) ||
	    nla_put_u32(skb, ISCSI_INI_A_NOOP_TIMEOUT, READ_ONCE(p->noop_timeout)) ||
	    nla_put_u16(skb, ISCSI_INI_A_CID, sess->conns[0]->cid) ||
	    nla_put_u32(skb, ISCSI_INI_A_EXP_STAT_SN, READ_ONCE(sess->conns[0]->exp_stat_sn)) ||
	    nla_put_u32(skb, ISCSI_INI_A_CMD_SN, cmd_sn) ||
	    nla_put_u32(skb, ISCSI_INI_A_EXP_CMD_SN, exp_cmd_sn) ||
	    nla_put_u32(skb, ISCSI_INI_A_MAX_CMD_SN, max_cmd_sn) ||
	    iscsi_ini_nl_put_stats(skb, &sess->stats) ||
	    nla_put_u16(skb, ISCSI_INI_A_MAX_CONNECTIONS, p->max_conns) ||
	    iscsi_ini_nl_put_conns(skb, sess)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

int iscsi_ini_nl_session_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct iscsi_ini_session *sess = iscsi_ini_nl_session(info);
	struct sk_buff *reply;
	int ret;

	if (IS_ERR(sess))
		return PTR_ERR(sess);
	reply = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!reply)
		return -ENOMEM;
	ret = iscsi_ini_nl_fill_session(reply, sess, info->snd_portid, info->snd_seq, 0);
	if (ret) {
		nlmsg_free(reply);
		return ret;
	}
	return genlmsg_reply(reply, info);
}

int iscsi_ini_nl_session_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct net *net = sock_net(skb->sk);
	unsigned long index = cb->args[0];
	struct iscsi_ini_session *sess;

	while ((sess = iscsi_ini_session_next(net, &index))) {
		if (iscsi_ini_nl_fill_session(skb, sess, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
					      NLM_F_MULTI))
			break;
		index++;
	}
	cb->args[0] = index;
	return skb->len;
}

/*
 * Events. GFP_NOIO: they come from the datapath, which must not wait for its own I/O; GFP_ATOMIC
 * for what the receive path sends, which may run in softirq context.
 */

static void *iscsi_ini_nl_event_start(struct sk_buff **skb, u8 cmd, gfp_t gfp)
{
	void *hdr;

	*skb = genlmsg_new(NLMSG_GOODSIZE, gfp);
	if (!*skb)
		return NULL;
	hdr = genlmsg_put(*skb, 0, 0, &iscsi_ini_genl_family, 0, cmd);
	if (!hdr)
		nlmsg_free(*skb);
	return hdr;
}

static void iscsi_ini_nl_event_send(struct iscsi_ini_session *sess, struct sk_buff *skb, void *hdr,
				    gfp_t gfp)
{
	genlmsg_end(skb, hdr);
	/* no listener (-ESRCH) is normal before the daemon runs */
	genlmsg_multicast_netns(&iscsi_ini_genl_family, sess->net, skb, 0, ISCSI_INI_NLGRP_EVENTS, gfp);
}

void iscsi_ini_nl_notify_conn_error(struct iscsi_ini_session *sess, u16 cid, int err)
{
	struct sk_buff *skb;
	void *hdr = iscsi_ini_nl_event_start(&skb, ISCSI_INI_CMD_CONN_ERROR, GFP_NOIO);

	if (!hdr)
		return;
	if (nla_put_u32(skb, ISCSI_INI_A_SESSION_ID, sess->id) || nla_put_u16(skb, ISCSI_INI_A_CID, cid) ||
	    nla_put_u32(skb, ISCSI_INI_A_REASON, -err)) {
		nlmsg_free(skb);
		return;
	}
	iscsi_ini_nl_event_send(sess, skb, hdr, GFP_NOIO);
}

void iscsi_ini_nl_notify_state(struct iscsi_ini_session *sess)
{
	struct sk_buff *skb;
	void *hdr = iscsi_ini_nl_event_start(&skb, ISCSI_INI_CMD_SESSION_STATE, GFP_NOIO);

	if (!hdr)
		return;
	if (nla_put_u32(skb, ISCSI_INI_A_SESSION_ID, sess->id) ||
	    nla_put_u32(skb, ISCSI_INI_A_HOST_NO, sess->shost->host_no) ||
	    nla_put_u32(skb, ISCSI_INI_A_STATE, READ_ONCE(sess->state))) {
		nlmsg_free(skb);
		return;
	}
	iscsi_ini_nl_event_send(sess, skb, hdr, GFP_NOIO);
}

void iscsi_ini_nl_notify_async(struct iscsi_ini_session *sess, const struct iscsi_async_msg_bhs *msg,
			       const void *sense, u32 sense_len)
{
	struct sk_buff *skb;
	void *hdr = iscsi_ini_nl_event_start(&skb, ISCSI_INI_CMD_ASYNC_EVENT, GFP_ATOMIC);

	if (!hdr)
		return;
	if (nla_put_u32(skb, ISCSI_INI_A_SESSION_ID, sess->id) ||
	    nla_put_u8(skb, ISCSI_INI_A_ASYNC_EVENT, msg->async_event) ||
	    nla_put_u8(skb, ISCSI_INI_A_ASYNC_VCODE, msg->async_vcode) ||
	    nla_put_u64_64bit(skb, ISCSI_INI_A_LUN, scsilun_to_int((struct scsi_lun *)msg->lun), ISCSI_INI_A_PAD) ||
	    (sense_len && nla_put(skb, ISCSI_INI_A_SENSE, sense_len, sense))) {
		nlmsg_free(skb);
		return;
	}
	iscsi_ini_nl_event_send(sess, skb, hdr, GFP_ATOMIC);
}

void iscsi_ini_nl_notify_scan_done(struct iscsi_ini_session *sess, u32 gen)
{
	struct sk_buff *skb;
	void *hdr = iscsi_ini_nl_event_start(&skb, ISCSI_INI_CMD_SCAN_DONE, GFP_NOIO);

	if (!hdr)
		return;
	if (nla_put_u32(skb, ISCSI_INI_A_SESSION_ID, sess->id) ||
	    nla_put_u32(skb, ISCSI_INI_A_HOST_NO, sess->shost->host_no) ||
	    nla_put_u32(skb, ISCSI_INI_A_SCAN_GEN, gen)) {
		nlmsg_free(skb);
		return;
	}
	iscsi_ini_nl_event_send(sess, skb, hdr, GFP_NOIO);
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
