// SPDX-License-Identifier: GPL-2.0-only
/*
 * Building the PDUs we send and acting on the PDUs the target sends (RFC 7143 section 11).
 *
 * Everything here runs in the connection's io_work, which owns the command state while the
 * connection is live. Every field the target controls (lengths, offsets, ITTs, TTTs, sequence
 * numbers) is checked against the command and the negotiated limits before it is used; a
 * violation is a connection error (-EPROTO) and the commands are retried on the next connection.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <asm/unaligned.h>
#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_eh.h>

#include "iscsi_ini.h"

void iscsi_ini_pdu_check_sizes(void)
{
	BUILD_BUG_ON(sizeof(struct iscsi_bhs) != ISCSI_BHS_LEN);
	BUILD_BUG_ON(sizeof(struct iscsi_scsi_cmd_bhs) != ISCSI_BHS_LEN);
	BUILD_BUG_ON(sizeof(struct iscsi_data_out_bhs) != ISCSI_BHS_LEN);
	BUILD_BUG_ON(sizeof(struct iscsi_nop_out_bhs) != ISCSI_BHS_LEN);
	BUILD_BUG_ON(sizeof(struct iscsi_tmf_req_bhs) != ISCSI_BHS_LEN);
	BUILD_BUG_ON(sizeof(struct iscsi_logout_req_bhs) != ISCSI_BHS_LEN);
	BUILD_BUG_ON(sizeof(struct iscsi_data_in_bhs) != ISCSI_BHS_LEN);
	BUILD_BUG_ON(sizeof(struct iscsi_scsi_rsp_bhs) != ISCSI_BHS_LEN);
	BUILD_BUG_ON(sizeof(struct iscsi_r2t_bhs) != ISCSI_BHS_LEN);
	BUILD_BUG_ON(sizeof(struct iscsi_nop_in_bhs) != ISCSI_BHS_LEN);
	BUILD_BUG_ON(sizeof(struct iscsi_tmf_rsp_bhs) != ISCSI_BHS_LEN);
	BUILD_BUG_ON(sizeof(struct iscsi_logout_rsp_bhs) != ISCSI_BHS_LEN);
	BUILD_BUG_ON(sizeof(struct iscsi_async_msg_bhs) != ISCSI_BHS_LEN);
	BUILD_BUG_ON(sizeof(struct iscsi_reject_bhs) != ISCSI_BHS_LEN);
	BUILD_BUG_ON(sizeof(((struct iscsi_ini_ctl *)0)->hdr) != ISCSI_BHS_LEN);
	/* the ITT layout leaves room for every tag below the control range */
	BUILD_BUG_ON(ISCSI_INI_CTL_COUNT + ISCSI_INI_ITT_CTL > 0xffff);
}

/* Prepares conn->tx for a PDU whose BHS is already in tx.hdr: digests, padding, data source. */
static void iscsi_ini_tx_prepare(struct iscsi_ini_conn *conn, struct iscsi_ini_cmd *cmd,
				 const void *buf, u32 off, u32 len)
{
	const struct iscsi_ini_params *p = &conn->sess->p;
	struct iscsi_ini_tx *tx = &conn->tx;
	u32 crc;

	iscsi_ini_hton24(((struct iscsi_bhs *)tx->hdr)->data_seg_len, len);
	tx->hdr_len = ISCSI_BHS_LEN;
	if (p->header_digest) {
		__le32 hd = cpu_to_le32(~iscsi_ini_crc32c(~0U, tx->hdr, ISCSI_BHS_LEN));

		memcpy(tx->hdr + ISCSI_BHS_LEN, &hd, sizeof(hd));
		tx->hdr_len += ISCSI_DIGEST_LEN;
	}
	tx->cmd = cmd;
	tx->buf = buf;
	tx->data_off = off;
	tx->data_len = len;
	tx->pad_len = iscsi_ini_pad(len);
	if (len && p->data_digest) {
		static const u8 zero_pad[ISCSI_PAD];

		crc = cmd ? iscsi_ini_cmd_crc(cmd, off, len, ~0U) : iscsi_ini_crc32c(~0U, buf, len);
		crc = iscsi_ini_crc32c(crc, zero_pad, tx->pad_len);
		tx->ddgst = cpu_to_le32(~crc);
	}
	tx->part = ISCSI_INI_TX_HDR;
	tx->done = 0;
	tx->active = true;
}

void iscsi_ini_cmd_setup(struct iscsi_ini_session *sess, struct iscsi_ini_cmd *cmd)
{
	struct scsi_cmnd *sc = cmd->sc;
	const struct iscsi_ini_params *p = &sess->p;

	cmd->exp_len = scsi_bufflen(sc);
	cmd->write = sc->sc_data_direction == DMA_TO_DEVICE;
	cmd->send_queued = true;
	cmd->rsp_done = false;
	cmd->tx_state = ISCSI_INI_CMD_TX_CMD_PDU;
	cmd->imm_len = 0;
	cmd->unsol_len = 0;
	if (cmd->write) {
		u32 unsol = min(cmd->exp_len, p->first_burst);

		if (p->immediate_data)
			cmd->imm_len = min(unsol, p->max_xmit_dlength);
		cmd->unsol_len = p->initial_r2t ? cmd->imm_len : unsol;
	}
	cmd->exp_r2t_sn = 0;
	cmd->r2t_head = 0;
	cmd->r2t_count = 0;
	cmd->out_for_r2t = false;
	cmd->exp_data_sn = 0;
	cmd->next_rx_offset = 0;
	cmd->rx_bytes = 0;
	cmd->cursor.sg = NULL;
}

static void iscsi_ini_build_scsi_cmd(struct iscsi_ini_conn *conn, struct iscsi_ini_cmd *cmd)
{
	struct iscsi_scsi_cmd_bhs *hdr = (struct iscsi_scsi_cmd_bhs *)conn->tx.hdr;
	struct scsi_cmnd *sc = cmd->sc;

	memset(hdr, 0, sizeof(*hdr));
	hdr->opcode = ISCSI_OP_SCSI_CMD;
	hdr->flags = ISCSI_ATTR_SIMPLE;
	/* F: no unsolicited Data-Out follows this PDU */
	if (cmd->unsol_len == cmd->imm_len)
		hdr->flags |= ISCSI_FLAG_FINAL;
	if (cmd->exp_len) {
		if (cmd->write)
			hdr->flags |= ISCSI_CMD_FLAG_WRITE;
		else if (sc->sc_data_direction == DMA_FROM_DEVICE)
			hdr->flags |= ISCSI_CMD_FLAG_READ;
	}
	int_to_scsilun(sc->device->lun, (struct scsi_lun *)hdr->lun);
	hdr->itt = cpu_to_be32(cmd->itt);
	hdr->exp_data_len = cpu_to_be32(cmd->exp_len);
	hdr->cmd_sn = cpu_to_be32(cmd->cmd_sn);
	hdr->exp_stat_sn = cpu_to_be32(conn->exp_stat_sn);
	memcpy(hdr->cdb, sc->cmnd, min_t(unsigned int, sc->cmd_len, ISCSI_CDB_LEN));
	iscsi_ini_tx_prepare(conn, cmd, NULL, 0, cmd->imm_len);
	conn->tx_cmd_sn = cmd->cmd_sn + 1;
	atomic64_inc(&conn->sess->stats.cmds);
	atomic64_add(cmd->imm_len, &conn->sess->stats.write_bytes);
	atomic64_inc(&conn->stats.cmds);
	atomic64_add(cmd->imm_len, &conn->stats.write_bytes);
}

/* The next Data-Out PDU of the current sequence: at most MaxRecvDataSegmentLength of the target. */
static void iscsi_ini_build_data_out(struct iscsi_ini_conn *conn, struct iscsi_ini_cmd *cmd)
{
	struct iscsi_data_out_bhs *hdr = (struct iscsi_data_out_bhs *)conn->tx.hdr;
	u32 len = min(cmd->out_end - cmd->out_offset, conn->sess->p.max_xmit_dlength);

	memset(hdr, 0, sizeof(*hdr));
	hdr->opcode = ISCSI_OP_DATA_OUT;
	if (cmd->out_offset + len == cmd->out_end)
		hdr->flags = ISCSI_FLAG_FINAL;
	int_to_scsilun(cmd->sc->device->lun, (struct scsi_lun *)hdr->lun);
	hdr->itt = cpu_to_be32(cmd->itt);
	hdr->ttt = cpu_to_be32(cmd->out_ttt);
	hdr->exp_stat_sn = cpu_to_be32(conn->exp_stat_sn);
	hdr->data_sn = cpu_to_be32(cmd->out_data_sn++);
	hdr->buffer_offset = cpu_to_be32(cmd->out_offset);
	iscsi_ini_tx_prepare(conn, cmd, NULL, cmd->out_offset, len);
	cmd->out_offset += len;
	atomic64_add(len, &conn->sess->stats.write_bytes);
	atomic64_add(len, &conn->stats.write_bytes);
}

/* Prepares the command's next PDU in conn->tx; false when it has nothing to send now. */
bool iscsi_ini_cmd_next_pdu(struct iscsi_ini_conn *conn, struct iscsi_ini_cmd *cmd)
{
	struct iscsi_ini_r2t *r2t;

	/* once the status is in, the target wants no more data for it */
	if (cmd->rsp_done)
		return false;

	switch (cmd->tx_state) {
	case ISCSI_INI_CMD_TX_CMD_PDU:
		iscsi_ini_build_scsi_cmd(conn, cmd);
		if (cmd->unsol_len > cmd->imm_len) {
			cmd->out_offset = cmd->imm_len;
			cmd->out_end = cmd->unsol_len;
			cmd->out_ttt = ISCSI_RESERVED_TAG;
			cmd->out_data_sn = 0;
			cmd->out_for_r2t = false;
			cmd->tx_state = ISCSI_INI_CMD_TX_DATA_OUT;
		} else {
			cmd->tx_state = ISCSI_INI_CMD_TX_WAIT_R2T;
		}
		return true;
	case ISCSI_INI_CMD_TX_DATA_OUT:
		iscsi_ini_build_data_out(conn, cmd);
		if (cmd->out_offset == cmd->out_end) {
			cmd->out_for_r2t = false;
			cmd->tx_state = ISCSI_INI_CMD_TX_WAIT_R2T;
		}
		return true;
	case ISCSI_INI_CMD_TX_WAIT_R2T:
		if (!cmd->r2t_count)
			return false;
		r2t = &cmd->r2t[cmd->r2t_head];
		cmd->r2t_head = (cmd->r2t_head + 1) % ISCSI_INI_MAX_R2T;
		cmd->r2t_count--;
		cmd->out_offset = r2t->offset;
		cmd->out_end = r2t->offset + r2t->length;
		cmd->out_ttt = r2t->ttt;
		cmd->out_data_sn = 0;
		cmd->out_for_r2t = true;
		cmd->tx_state = ISCSI_INI_CMD_TX_DATA_OUT;
		return iscsi_ini_cmd_next_pdu(conn, cmd);
	}
	return false;
}

/* Immediate PDUs carry the CmdSN of the next command without consuming it (RFC 7143 3.2.2.1). */
bool iscsi_ini_ctl_next_pdu(struct iscsi_ini_conn *conn, struct iscsi_ini_ctl *ctl)
{
	struct iscsi_nop_out_bhs *hdr = (struct iscsi_nop_out_bhs *)conn->tx.hdr;

	if (ctl->sent)
		return false;
	memcpy(hdr, &ctl->hdr, ISCSI_BHS_LEN);
	/* NOP-Out, TMF and Logout requests keep CmdSN and ExpStatSN at the same offsets */
	hdr->cmd_sn = cpu_to_be32(conn->tx_cmd_sn);
	hdr->exp_stat_sn = cpu_to_be32(conn->exp_stat_sn);
	iscsi_ini_tx_prepare(conn, NULL, ctl->data, 0, ctl->data_len);
	ctl->sent = true;
	return true;
}

u32 iscsi_ini_ctl_itt(struct iscsi_ini_conn *conn, enum iscsi_ini_ctl_kind kind)
{
	u16 gen = ++conn->ctl[kind].gen;

	return (u32)gen << 16 | (ISCSI_INI_ITT_CTL + kind);
}

void iscsi_ini_prep_nop_ping(struct iscsi_ini_conn *conn, struct iscsi_ini_ctl *ctl)
{
	struct iscsi_nop_out_bhs *hdr = &ctl->hdr.nop;

	memset(hdr, 0, sizeof(*hdr));
	hdr->opcode = ISCSI_OP_NOP_OUT | ISCSI_OP_IMMEDIATE;
	hdr->flags = ISCSI_FLAG_FINAL;
	ctl->itt = iscsi_ini_ctl_itt(conn, ISCSI_INI_CTL_NOP_PING);
	hdr->itt = cpu_to_be32(ctl->itt);
	hdr->ttt = cpu_to_be32(ISCSI_RESERVED_TAG);
	ctl->data = NULL;
	ctl->data_len = 0;
}

void iscsi_ini_prep_tmf(struct iscsi_ini_conn *conn, struct iscsi_ini_ctl *ctl, u8 function, u64 lun,
			struct iscsi_ini_cmd *cmd)
{
	struct iscsi_tmf_req_bhs *hdr = &ctl->hdr.tmf;

	memset(hdr, 0, sizeof(*hdr));
	hdr->opcode = ISCSI_OP_TMF_REQ | ISCSI_OP_IMMEDIATE;
	hdr->flags = ISCSI_FLAG_FINAL | function;
	int_to_scsilun(lun, (struct scsi_lun *)hdr->lun);
	ctl->itt = iscsi_ini_ctl_itt(conn, ISCSI_INI_CTL_TMF);
	hdr->itt = cpu_to_be32(ctl->itt);
	hdr->ref_task_tag = cpu_to_be32(cmd ? cmd->itt : ISCSI_RESERVED_TAG);
	if (cmd)
		hdr->ref_cmd_sn = cpu_to_be32(cmd->cmd_sn);
	ctl->ref_cmd = cmd;
	ctl->data = NULL;
	ctl->data_len = 0;
}

void iscsi_ini_prep_logout(struct iscsi_ini_conn *conn, struct iscsi_ini_ctl *ctl)
{
	struct iscsi_logout_req_bhs *hdr = &ctl->hdr.logout;

	memset(hdr, 0, sizeof(*hdr));
	hdr->opcode = ISCSI_OP_LOGOUT_REQ | ISCSI_OP_IMMEDIATE;
	hdr->flags = ISCSI_FLAG_FINAL | ISCSI_LOGOUT_CLOSE_SESSION;
	ctl->itt = iscsi_ini_ctl_itt(conn, ISCSI_INI_CTL_LOGOUT);
	hdr->itt = cpu_to_be32(ctl->itt);
	hdr->cid = cpu_to_be16(conn->cid);
	ctl->data = NULL;
	ctl->data_len = 0;
}

/* The command leaves the ITT map; with done it goes back to the midlayer with sc->result set. */
void iscsi_ini_cmd_retire(struct iscsi_ini_conn *conn, struct iscsi_ini_cmd *cmd, bool done)
{
	struct iscsi_ini_session *sess = conn->sess;

	WRITE_ONCE(sess->itt_map[ISCSI_INI_ITT_TAG(cmd->itt)], NULL);
	WRITE_ONCE(cmd->active, false);
	if (done)
		scsi_done(cmd->sc);
	if (wq_has_sleeper(&sess->cmd_wait))
		wake_up_all(&sess->cmd_wait);
}

/* The status is in: complete now, or when the send side lets go of the command. */
static void iscsi_ini_cmd_finish(struct iscsi_ini_conn *conn, struct iscsi_ini_cmd *cmd)
{
	cmd->rsp_done = true;
	if (!cmd->send_queued)
		iscsi_ini_cmd_retire(conn, cmd, true);
}

void iscsi_ini_cmd_send_dropped(struct iscsi_ini_conn *conn, struct iscsi_ini_cmd *cmd)
{
	cmd->send_queued = false;
	if (cmd->rsp_done)
		iscsi_ini_cmd_retire(conn, cmd, true);
}

static struct iscsi_ini_cmd *iscsi_ini_find_cmd(struct iscsi_ini_conn *conn, u32 itt)
{
	struct iscsi_ini_session *sess = conn->sess;
	u32 tag = ISCSI_INI_ITT_TAG(itt);
	struct iscsi_ini_cmd *cmd;

	if (tag >= sess->p.cmds_max)
		return NULL;
	cmd = READ_ONCE(sess->itt_map[tag]);
	/*
	 * Connection allegiance (RFC 7143 section 3.2.4.1): a PDU for a command that went out on
	 * another connection is refused like one for no command; its state belongs to the other
	 * connection's I/O owner.
	 */
	if (!cmd || cmd->itt != itt || cmd->rsp_done || cmd->conn != conn)
		return NULL;
	return cmd;
}

static int iscsi_ini_proto_err(struct iscsi_ini_conn *conn, const char *what, u32 itt)
{
	pr_err("session %u: protocol error from the target: %s (ITT 0x%08x)\n", conn->sess->id, what, itt);
	return -EPROTO;
}

/*
 * StatSN of a status-bearing PDU: the next one we expect is the one after it. Statuses come in
 * order on one connection, so StatSN should equal ExpStatSN; a gap wider than every exchange we
 * could have open means the numbers are garbage, and acknowledging them would confuse the target.
 */
static int iscsi_ini_update_stat_sn(struct iscsi_ini_conn *conn, __be32 stat_sn)
{
	u32 sn = be32_to_cpu(stat_sn);

	if (iscsi_ini_sn_lt(sn, conn->exp_stat_sn))
		return 0;
	if (sn - conn->exp_stat_sn > conn->sess->p.cmds_max + ISCSI_INI_CTL_COUNT)
		return iscsi_ini_proto_err(conn, "StatSN far beyond ExpStatSN", ISCSI_RESERVED_TAG);
	conn->exp_stat_sn = sn + 1;
	return 0;
}

static int iscsi_ini_update_window(struct iscsi_ini_conn *conn, __be32 exp, __be32 max)
{
	bool bad = false;

	iscsi_ini_session_update_window(conn->sess, be32_to_cpu(exp), be32_to_cpu(max), &bad);
	return bad ? iscsi_ini_proto_err(conn, "ExpCmdSN beyond the commands sent", ISCSI_RESERVED_TAG) : 0;
}

static int iscsi_ini_rx_data_in_hdr(struct iscsi_ini_conn *conn)
{
	const struct iscsi_data_in_bhs *hdr = (void *)conn->rx.hdr;
	u32 itt = be32_to_cpu(hdr->itt);
	u32 off = be32_to_cpu(hdr->buffer_offset);
	u32 dlen = conn->rx.dlen;
	struct iscsi_ini_cmd *cmd;

	cmd = iscsi_ini_find_cmd(conn, itt);
	if (!cmd || cmd->write || cmd->sc->sc_data_direction != DMA_FROM_DEVICE)
		return iscsi_ini_proto_err(conn, "Data-In for no read command", itt);
	if (be32_to_cpu(hdr->data_sn) != cmd->exp_data_sn)
		return iscsi_ini_proto_err(conn, "Data-In DataSN out of order", itt);
	if (off > cmd->exp_len || dlen > cmd->exp_len - off)
		return iscsi_ini_proto_err(conn, "Data-In beyond the command's buffer", itt);
	if (conn->sess->p.data_pdu_in_order && off != cmd->next_rx_offset)
		return iscsi_ini_proto_err(conn, "Data-In Buffer Offset out of order", itt);
	if ((hdr->flags & ISCSI_DATA_FLAG_STATUS) && !(hdr->flags & ISCSI_FLAG_FINAL))
		return iscsi_ini_proto_err(conn, "Data-In with status but without F", itt);
	if (cmd->rx_bytes + dlen > cmd->exp_len)
		return iscsi_ini_proto_err(conn, "more Data-In than the command expects", itt);
	cmd->exp_data_sn++;
	cmd->next_rx_offset = off + dlen;
	cmd->rx_bytes += dlen;
	conn->rx.cmd = cmd;
	conn->rx.cmd_off = off;
	return 0;
}

static int iscsi_ini_rx_r2t(struct iscsi_ini_conn *conn)
{
	const struct iscsi_r2t_bhs *hdr = (void *)conn->rx.hdr;
	const struct iscsi_ini_params *p = &conn->sess->p;
	u32 itt = be32_to_cpu(hdr->itt);
	u32 off = be32_to_cpu(hdr->buffer_offset);
	u32 len = be32_to_cpu(hdr->desired_data_len);
	struct iscsi_ini_cmd *cmd;
	struct iscsi_ini_r2t *r2t;
	int ret;

	ret = iscsi_ini_update_window(conn, hdr->exp_cmd_sn, hdr->max_cmd_sn);
	if (ret)
		return ret;
	cmd = iscsi_ini_find_cmd(conn, itt);
	if (!cmd || !cmd->write)
		return iscsi_ini_proto_err(conn, "R2T for no write command", itt);
	if (be32_to_cpu(hdr->ttt) == ISCSI_RESERVED_TAG)
		return iscsi_ini_proto_err(conn, "R2T with the reserved TTT", itt);
	if (be32_to_cpu(hdr->r2t_sn) != cmd->exp_r2t_sn)
		return iscsi_ini_proto_err(conn, "R2TSN out of order", itt);
	if (!len || len > p->max_burst || off > cmd->exp_len || len > cmd->exp_len - off)
		return iscsi_ini_proto_err(conn, "R2T outside the command's buffer or MaxBurstLength", itt);
	if (cmd->r2t_count + cmd->out_for_r2t >= p->max_r2t)
		return iscsi_ini_proto_err(conn, "more R2Ts outstanding than MaxOutstandingR2T", itt);
	cmd->exp_r2t_sn++;
	r2t = &cmd->r2t[(cmd->r2t_head + cmd->r2t_count) % ISCSI_INI_MAX_R2T];
	r2t->ttt = be32_to_cpu(hdr->ttt);
	r2t->offset = off;
	r2t->length = len;
	cmd->r2t_count++;
	if (!cmd->send_queued) {
		cmd->send_queued = true;
		list_add_tail(&cmd->task.entry, &conn->send_list);
	}
	return 0;
}

static int iscsi_ini_set_residual(struct iscsi_ini_conn *conn, struct iscsi_ini_cmd *cmd, u8 flags,
				  __be32 residual, u8 status)
{
	u32 resid = be32_to_cpu(residual);
	u32 expected = cmd->exp_len;

	if ((flags & ISCSI_RSP_FLAG_UNDERFLOW) && (flags & ISCSI_RSP_FLAG_OVERFLOW))
		return iscsi_ini_proto_err(conn, "residual both under- and overflow", cmd->itt);
	if (flags & ISCSI_RSP_FLAG_UNDERFLOW) {
		if (resid > cmd->exp_len)
			return iscsi_ini_proto_err(conn, "underflow larger than the buffer", cmd->itt);
		scsi_set_resid(cmd->sc, resid);
		expected -= resid;
	}
	/* a read that claims success must have filled exactly what it says it did */
	if (!cmd->write && status == SAM_STAT_GOOD && cmd->rx_bytes != expected &&
	    cmd->sc->sc_data_direction == DMA_FROM_DEVICE)
		return iscsi_ini_proto_err(conn, "read completed with data missing", cmd->itt);
	return 0;
}

static int iscsi_ini_rx_data_in_done(struct iscsi_ini_conn *conn)
{
	const struct iscsi_data_in_bhs *hdr = (void *)conn->rx.hdr;
	struct iscsi_ini_cmd *cmd = conn->rx.cmd;
	int ret;

	atomic64_add(conn->rx.dlen, &conn->sess->stats.read_bytes);
	atomic64_add(conn->rx.dlen, &conn->stats.read_bytes);
	if (!(hdr->flags & ISCSI_DATA_FLAG_STATUS))
		return 0;
	ret = iscsi_ini_update_stat_sn(conn, hdr->stat_sn);
	if (!ret)
		ret = iscsi_ini_update_window(conn, hdr->exp_cmd_sn, hdr->max_cmd_sn);
	if (ret)
		return ret;
	ret = iscsi_ini_set_residual(conn, cmd, hdr->flags, hdr->residual_count, hdr->status);
	if (ret)
		return ret;
	cmd->sc->result = hdr->status;
	iscsi_ini_cmd_finish(conn, cmd);
	return 0;
}

static int iscsi_ini_rx_scsi_rsp(struct iscsi_ini_conn *conn)
{
	const struct iscsi_scsi_rsp_bhs *hdr = (void *)conn->rx.hdr;
	u32 itt = be32_to_cpu(hdr->itt);
	struct iscsi_ini_cmd *cmd;
	struct scsi_cmnd *sc;
	int ret;

	ret = iscsi_ini_update_stat_sn(conn, hdr->stat_sn);
	if (!ret)
		ret = iscsi_ini_update_window(conn, hdr->exp_cmd_sn, hdr->max_cmd_sn);
	if (ret)
		return ret;
	cmd = iscsi_ini_find_cmd(conn, itt);
	if (!cmd)
		return iscsi_ini_proto_err(conn, "SCSI Response for no command", itt);
	sc = cmd->sc;
	if (hdr->response != ISCSI_RESPONSE_COMPLETED) {
		sc->result = DID_ERROR << 16;
		iscsi_ini_cmd_finish(conn, cmd);
		return 0;
	}
	sc->result = hdr->status;
	if (conn->rx.dlen) {
		u32 sense_len;

		if (conn->rx.dlen < 2)
			return iscsi_ini_proto_err(conn, "SCSI Response data without SenseLength", itt);
		sense_len = get_unaligned_be16(conn->rx.buf);
		if (sense_len > conn->rx.dlen - 2)
			return iscsi_ini_proto_err(conn, "SenseLength beyond the data segment", itt);
		memcpy(sc->sense_buffer, conn->rx.buf + 2, min_t(u32, sense_len, SCSI_SENSE_BUFFERSIZE));
	}
	if (cmd->exp_len) {
		ret = iscsi_ini_set_residual(conn, cmd, hdr->flags, hdr->residual_count, hdr->status);
		if (ret)
			return ret;
	}
	iscsi_ini_cmd_finish(conn, cmd);
	return 0;
}

static int iscsi_ini_rx_nop_in(struct iscsi_ini_conn *conn)
{
	const struct iscsi_nop_in_bhs *hdr = (void *)conn->rx.hdr;
	struct iscsi_ini_ctl *reply = &conn->ctl[ISCSI_INI_CTL_NOP_REPLY];
	struct iscsi_ini_ctl *ping = &conn->ctl[ISCSI_INI_CTL_NOP_PING];
	u32 itt = be32_to_cpu(hdr->itt);
	u32 ttt = be32_to_cpu(hdr->ttt);
	int ret;

	ret = iscsi_ini_update_window(conn, hdr->exp_cmd_sn, hdr->max_cmd_sn);
	if (ret)
		return ret;
	if (itt != ISCSI_RESERVED_TAG) {
		/* the answer to our ping */
		if (!conn->ping_outstanding || itt != ping->itt || ttt != ISCSI_RESERVED_TAG)
			return iscsi_ini_proto_err(conn, "NOP-In answering no ping of ours", itt);
		WRITE_ONCE(conn->ping_outstanding, false);
		return iscsi_ini_update_stat_sn(conn, hdr->stat_sn);
	}
	if (ttt == ISCSI_RESERVED_TAG)
		return 0;	/* only a window update */
	/* the target pings: answer with its TTT, LUN and data; it waits for one answer at a time */
	if (reply->queued) {
		pr_warn_ratelimited("session %u: target pinged again before our answer went out\n",
				    conn->sess->id);
		return 0;
	}
	memset(&reply->hdr, 0, sizeof(reply->hdr));
	reply->hdr.nop.opcode = ISCSI_OP_NOP_OUT | ISCSI_OP_IMMEDIATE;
	reply->hdr.nop.flags = ISCSI_FLAG_FINAL;
	memcpy(reply->hdr.nop.lun, hdr->lun, sizeof(hdr->lun));
	reply->hdr.nop.itt = cpu_to_be32(ISCSI_RESERVED_TAG);
	reply->hdr.nop.ttt = hdr->ttt;
	reply->data_len = min(conn->rx.dlen, conn->sess->p.max_xmit_dlength);
	memcpy(conn->nop_data, conn->rx.buf, reply->data_len);
	reply->data = conn->nop_data;
	reply->sent = false;
	reply->queued = true;
	iscsi_ini_conn_queue(conn, &reply->task);
	return 0;
}

/*
 * Ends the commands of this connection that a reset ended at the target. The caller owns the
 * connection's I/O: its receive path, or the TMF waiter for the other connections.
 */
void iscsi_ini_reset_cmds(struct iscsi_ini_conn *conn, bool one_lun, u64 lun)
{
	struct iscsi_ini_session *sess = conn->sess;
	unsigned int tag;

	for (tag = 0; tag < sess->p.cmds_max; tag++) {
		struct iscsi_ini_cmd *cmd = READ_ONCE(sess->itt_map[tag]);

		if (!cmd || cmd->conn != conn || cmd->rsp_done ||
		    (one_lun && cmd->sc->device->lun != lun))
			continue;
		cmd->sc->result = DID_RESET << 16;
		iscsi_ini_cmd_finish(conn, cmd);
	}
}

static int iscsi_ini_rx_tmf_rsp(struct iscsi_ini_conn *conn)
{
	const struct iscsi_tmf_rsp_bhs *hdr = (void *)conn->rx.hdr;
	struct iscsi_ini_ctl *tmf = &conn->ctl[ISCSI_INI_CTL_TMF];
	u32 itt = be32_to_cpu(hdr->itt);
	u8 function;
	int ret;

	ret = iscsi_ini_update_stat_sn(conn, hdr->stat_sn);
	if (!ret)
		ret = iscsi_ini_update_window(conn, hdr->exp_cmd_sn, hdr->max_cmd_sn);
	if (ret)
		return ret;
	if (!tmf->sent || tmf->done || itt != tmf->itt)
		return iscsi_ini_proto_err(conn, "TMF response to no request", itt);
	function = tmf->hdr.tmf.flags & ISCSI_TMF_FUNCTION_MASK;
	/*
	 * After a successful function the target sends nothing more for the tasks it ended
	 * (RFC 7143 section 4.2.3.4), so they leave the ITT map here, in order with their PDUs.
	 */
	if (hdr->response == ISCSI_TMF_RSP_COMPLETE || hdr->response == ISCSI_TMF_RSP_NO_TASK) {
		struct iscsi_ini_cmd *cmd = tmf->ref_cmd;

		if (function == ISCSI_TMF_ABORT_TASK) {
			if (cmd && READ_ONCE(cmd->active) && !cmd->rsp_done && cmd->conn == conn &&
			    cmd->itt == be32_to_cpu(tmf->hdr.tmf.ref_task_tag)) {
				cmd->sc->result = DID_ABORT << 16;
				iscsi_ini_cmd_finish(conn, cmd);
			}
		} else if (function == ISCSI_TMF_LOGICAL_UNIT_RESET) {
			iscsi_ini_reset_cmds(conn, true, scsilun_to_int((struct scsi_lun *)tmf->hdr.tmf.lun));
		} else {
			iscsi_ini_reset_cmds(conn, false, 0);
		}
	}
	tmf->response = hdr->response;
	WRITE_ONCE(tmf->done, true);
	wake_up_all(&conn->wait);
	return 0;
}

static int iscsi_ini_rx_logout_rsp(struct iscsi_ini_conn *conn)
{
	const struct iscsi_logout_rsp_bhs *hdr = (void *)conn->rx.hdr;
	struct iscsi_ini_ctl *logout = &conn->ctl[ISCSI_INI_CTL_LOGOUT];
	u32 itt = be32_to_cpu(hdr->itt);

	if (iscsi_ini_update_stat_sn(conn, hdr->stat_sn))
		return -EPROTO;
	if (!logout->sent || logout->done || itt != logout->itt)
		return iscsi_ini_proto_err(conn, "Logout response to no request", itt);
	logout->response = hdr->response;
	WRITE_ONCE(logout->done, true);
	wake_up_all(&conn->wait);
	return 0;
}

static int iscsi_ini_rx_async(struct iscsi_ini_conn *conn)
{
	const struct iscsi_async_msg_bhs *hdr = (void *)conn->rx.hdr;
	struct iscsi_ini_session *sess = conn->sess;
	u32 sense_len = 0;
	int ret;

	ret = iscsi_ini_update_stat_sn(conn, hdr->stat_sn);
	if (!ret)
		ret = iscsi_ini_update_window(conn, hdr->exp_cmd_sn, hdr->max_cmd_sn);
	if (ret)
		return ret;
	if (be32_to_cpu(hdr->itt) != ISCSI_RESERVED_TAG)
		return iscsi_ini_proto_err(conn, "Async Message with an ITT", be32_to_cpu(hdr->itt));
	if (conn->rx.dlen >= 2) {
		sense_len = get_unaligned_be16(conn->rx.buf);
		if (sense_len > conn->rx.dlen - 2)
			return iscsi_ini_proto_err(conn, "Async SenseLength beyond the data", ISCSI_RESERVED_TAG);
	}
	iscsi_ini_nl_notify_async(sess, hdr, conn->rx.buf + 2, sense_len);
	switch (hdr->async_event) {
	case ISCSI_ASYNC_LOGOUT_REQUEST:
		pr_info_ratelimited("session %u: target requests logout\n", sess->id);
		iscsi_ini_session_request_logout(sess);
		break;
	case ISCSI_ASYNC_DROP_CONNECTION:
	case ISCSI_ASYNC_DROP_ALL_CONNECTIONS:
		pr_info("session %u: target drops the connection\n", sess->id);
		return -ECONNRESET;
	default:
		break;
	}
	return 0;
}

static int iscsi_ini_rx_reject(struct iscsi_ini_conn *conn)
{
	const struct iscsi_reject_bhs *hdr = (void *)conn->rx.hdr;
	const struct iscsi_bhs *bad = (const void *)conn->rx.buf;
	u8 op;

	if (iscsi_ini_update_stat_sn(conn, hdr->stat_sn))
		return -EPROTO;
	if (conn->rx.dlen < ISCSI_BHS_LEN)
		return iscsi_ini_proto_err(conn, "Reject without the rejected header", ISCSI_RESERVED_TAG);
	op = bad->opcode & ISCSI_OPCODE_MASK;
	pr_warn_ratelimited("session %u: target rejected a PDU (opcode 0x%02x, reason 0x%02x)\n",
			    conn->sess->id, op, hdr->reason);
	/* a rejected ping or TMF only fails that exchange; anything else breaks the session state */
	if (op == ISCSI_OP_NOP_OUT)
		return 0;
	if (op == ISCSI_OP_TMF_REQ || op == ISCSI_OP_LOGOUT_REQ) {
		struct iscsi_ini_ctl *ctl = &conn->ctl[op == ISCSI_OP_TMF_REQ ? ISCSI_INI_CTL_TMF :
							ISCSI_INI_CTL_LOGOUT];

		if (ctl->sent && !ctl->done && be32_to_cpu(bad->itt) == ctl->itt) {
			ctl->response = ISCSI_TMF_RSP_REJECTED;
			WRITE_ONCE(ctl->done, true);
			wake_up_all(&conn->wait);
		}
		return 0;
	}
	return -EPROTO;
}

/*
 * The header (with AHS and digest) is in: check it and decide where its data segment goes.
 * Data-In goes straight to the command's buffer; other data segments to conn->rx.buf.
 */
int iscsi_ini_rx_hdr(struct iscsi_ini_conn *conn)
{
	const struct iscsi_bhs *hdr = (void *)conn->rx.hdr;
	u8 op = hdr->opcode & ISCSI_OPCODE_MASK;

	conn->rx.cmd = NULL;
	if (conn->rx.dlen > conn->sess->p.max_recv_dlength)
		return iscsi_ini_proto_err(conn, "data segment above MaxRecvDataSegmentLength",
					   be32_to_cpu(hdr->itt));
	switch (op) {
	case ISCSI_OP_DATA_IN:
		return iscsi_ini_rx_data_in_hdr(conn);
	case ISCSI_OP_R2T:
		if (conn->rx.dlen)
			return iscsi_ini_proto_err(conn, "R2T with data", be32_to_cpu(hdr->itt));
		return 0;
	case ISCSI_OP_SCSI_RSP:
	case ISCSI_OP_NOP_IN:
	case ISCSI_OP_ASYNC_MSG:
	case ISCSI_OP_REJECT:
	case ISCSI_OP_TMF_RSP:
	case ISCSI_OP_LOGOUT_RSP:
		if (conn->rx.dlen > ISCSI_INI_RX_BUF_LEN)
			return iscsi_ini_proto_err(conn, "data segment too long for its PDU",
						   be32_to_cpu(hdr->itt));
		return 0;
	default:
		pr_err("session %u: unexpected opcode 0x%02x from the target\n", conn->sess->id, op);
		return -EPROTO;
	}
}

/* The whole PDU is in and its digests match: act on it. */
int iscsi_ini_rx_pdu(struct iscsi_ini_conn *conn)
{
	const struct iscsi_bhs *hdr = (void *)conn->rx.hdr;

	switch (hdr->opcode & ISCSI_OPCODE_MASK) {
	case ISCSI_OP_DATA_IN:
		return iscsi_ini_rx_data_in_done(conn);
	case ISCSI_OP_R2T:
		return iscsi_ini_rx_r2t(conn);
	case ISCSI_OP_SCSI_RSP:
		return iscsi_ini_rx_scsi_rsp(conn);
	case ISCSI_OP_NOP_IN:
		return iscsi_ini_rx_nop_in(conn);
	case ISCSI_OP_TMF_RSP:
		return iscsi_ini_rx_tmf_rsp(conn);
	case ISCSI_OP_LOGOUT_RSP:
		return iscsi_ini_rx_logout_rsp(conn);
	case ISCSI_OP_ASYNC_MSG:
		return iscsi_ini_rx_async(conn);
	case ISCSI_OP_REJECT:
		return iscsi_ini_rx_reject(conn);
	}
	return -EPROTO;
}
