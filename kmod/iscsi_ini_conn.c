// SPDX-License-Identifier: GPL-2.0-only
/*
 * The connection: the socket the daemon handed over, its callbacks, and io_work, which sends
 * and receives whatever nobody else could.
 *
 * Producers (queuecommand, the NOP timer, the error handler) push tasks onto req_list and
 * schedule io_work. io_work sends and receives under a small time budget and requeues itself
 * while there is work, so one busy connection cannot monopolise a CPU. Two shortcuts save its
 * wake-up when nobody owns the connection's I/O: queuecommand, which may sleep (the host's
 * queues are blocking), sends its batch itself (iscsi_ini_conn_push); and the receive softirq
 * reads the responses itself and completes their commands (iscsi_ini_data_ready), as the
 * socket's own readers do.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/crc32.h>
#include <linux/crc32c.h>
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/net.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "iscsi_ini.h"

u32 iscsi_ini_crc32c(u32 crc, const void *p, size_t len)
{
	return crc32c(crc, p, len);
}

/* CRC32C over socket buffers, for data digests computed while the data is copied out. */
static __wsum iscsi_ini_csum_update(const void *buf, int len, __wsum sum)
{
	return (__force __wsum)crc32c((__force u32)sum, buf, len);
}

static __wsum iscsi_ini_csum_combine(__wsum csum, __wsum csum2, int offset, int len)
{
	return (__force __wsum)__crc32c_le_combine((__force u32)csum, (__force u32)csum2, len);
}

static const struct skb_checksum_ops iscsi_ini_crc_ops = {
	.update		= iscsi_ini_csum_update,
	.combine	= iscsi_ini_csum_combine,
};

/* Moves the cursor to byte pos of the command's buffer: forward from where it is, or from the start. */
static void iscsi_ini_cursor_seek(struct iscsi_ini_cursor *c, struct scsi_cmnd *sc, u32 pos)
{
	u32 skip;

	if (!c->sg || pos < c->pos) {
		c->sg = scsi_sglist(sc);
		c->sg_off = 0;
		c->pos = 0;
	}
	skip = pos - c->pos;
	while (c->sg && skip >= c->sg->length - c->sg_off) {
		skip -= c->sg->length - c->sg_off;
		c->pos += c->sg->length - c->sg_off;
		c->sg = sg_next(c->sg);
		c->sg_off = 0;
	}
	c->sg_off += skip;
	c->pos += skip;
}

/* The part of [pos, pos + len) that lies in one page; 0 past the end of the buffer. */
static u32 iscsi_ini_cursor_piece(struct iscsi_ini_cursor *c, struct scsi_cmnd *sc, u32 pos, u32 len,
				  struct page **page, u32 *pgoff)
{
	u32 off;

	iscsi_ini_cursor_seek(c, sc, pos);
	if (!c->sg)
		return 0;
	off = c->sg->offset + c->sg_off;
	*page = nth_page(sg_page(c->sg), off >> PAGE_SHIFT);
	*pgoff = offset_in_page(off);
	return min3(len, c->sg->length - c->sg_off, (u32)PAGE_SIZE - *pgoff);
}

u32 iscsi_ini_cmd_crc(struct iscsi_ini_cmd *cmd, u32 off, u32 len, u32 crc)
{
	struct iscsi_ini_cursor c = {};

	while (len) {
		struct page *page;
		u32 pgoff, n;
		void *addr;

		n = iscsi_ini_cursor_piece(&c, cmd->sc, off, len, &page, &pgoff);
		if (!n)
			break;
		addr = kmap_local_page(page);
		crc = crc32c(crc, addr + pgoff, n);
		kunmap_local(addr);
		off += n;
		len -= n;
	}
	return crc;
}

static int iscsi_ini_copy_to_cmd(struct iscsi_ini_cmd *cmd, u32 pos, const struct sk_buff *skb,
				 unsigned int off, u32 len)
{
	while (len) {
		struct page *page;
		u32 pgoff, n;
		void *addr;
		int ret;

		n = iscsi_ini_cursor_piece(&cmd->cursor, cmd->sc, pos, len, &page, &pgoff);
		if (!n)
			return -EPROTO;
		addr = kmap_local_page(page);
		ret = skb_copy_bits(skb, off, addr + pgoff, n);
		kunmap_local(addr);
		flush_dcache_page(page);
		if (ret)
			return ret;
		pos += n;
		off += n;
		len -= n;
	}
	return 0;
}

bool iscsi_ini_conn_live(struct iscsi_ini_conn *conn)
{
	return READ_ONCE(conn->state) == ISCSI_INI_CONN_LIVE;
}

void iscsi_ini_conn_queue(struct iscsi_ini_conn *conn, struct iscsi_ini_task *task)
{
	llist_add(&task->lentry, &conn->req_list);
	queue_work(iscsi_ini_io_wq, &conn->io_work);
}

/*
 * The connection's I/O owner. io_work waits for it; the others only try, and schedule io_work
 * when they fail, so whatever they came for is done by the owner's successor.
 */
static bool iscsi_ini_conn_io_trylock(struct iscsi_ini_conn *conn)
{
	return !test_and_set_bit_lock(ISCSI_INI_IO_OWNED, &conn->io_flags);
}

void iscsi_ini_conn_io_lock(struct iscsi_ini_conn *conn)
{
	wait_on_bit_lock(&conn->io_flags, ISCSI_INI_IO_OWNED, TASK_UNINTERRUPTIBLE);
}

/*
 * Lets go. Bytes that came while the caller owned the I/O and that it did not read (see
 * iscsi_ini_data_ready) go to io_work: data_ready sets RX_PENDING before it tries the owner bit
 * again and this tests it after clearing the bit, so one of the two reads them.
 */
void iscsi_ini_conn_io_unlock(struct iscsi_ini_conn *conn)
{
	clear_bit_unlock(ISCSI_INI_IO_OWNED, &conn->io_flags);
	/* the cleared bit must be visible before wake_up_bit looks for waiters */
	smp_mb__after_atomic();
	wake_up_bit(&conn->io_flags, ISCSI_INI_IO_OWNED);
	if (test_bit(ISCSI_INI_RX_PENDING, &conn->io_flags) && iscsi_ini_conn_live(conn))
		queue_work(iscsi_ini_io_wq, &conn->io_work);
}

/* Anything left to send once try_send stopped: io_work carries on with it. */
static bool iscsi_ini_tx_pending(struct iscsi_ini_conn *conn)
{
	return conn->tx.active || conn->cur_task || !list_empty(&conn->send_list) ||
	       !llist_empty(&conn->req_list);
}

static int iscsi_ini_try_send(struct iscsi_ini_conn *conn);
static int iscsi_ini_try_recv(struct iscsi_ini_conn *conn);

/*
 * Ends the turn of an owner that is not io_work (the inline sender, the receive softirq): its
 * failure fails the connection, and what is left to send goes to io_work.
 */
static void iscsi_ini_conn_io_release(struct iscsi_ini_conn *conn, int ret)
{
	if (ret < 0)
		iscsi_ini_conn_error(conn, ret);
	else if (iscsi_ini_tx_pending(conn))
		queue_work(iscsi_ini_io_wq, &conn->io_work);
	iscsi_ini_conn_io_unlock(conn);
}

/*
 * Sends what producers queued, from the caller, when the caller may sleep and nobody else holds
 * the connection; otherwise io_work sends it. Whoever failed to own the I/O scheduled io_work,
 * so nothing queued is left behind.
 */
void iscsi_ini_conn_push(struct iscsi_ini_conn *conn)
{
	int ret = 0;

	if (!conn->inline_send || !iscsi_ini_conn_io_trylock(conn)) {
		queue_work(iscsi_ini_io_wq, &conn->io_work);
		return;
	}
	if (iscsi_ini_conn_live(conn))
		ret = iscsi_ini_try_send(conn);
	/*
	 * Responses that came while sending (the softirq found the I/O owned, or they waited in
	 * the socket's backlog until the send released it): read them here rather than wake
	 * io_work for them, a context switch per burst saved.
	 */
	if (ret >= 0 && test_bit(ISCSI_INI_RX_PENDING, &conn->io_flags))
		ret = iscsi_ini_try_recv(conn);
	iscsi_ini_conn_io_release(conn, ret);
}

/* Any context, the socket callbacks included: the teardown itself runs in err_work. */
void iscsi_ini_conn_error(struct iscsi_ini_conn *conn, int err)
{
	if (cmpxchg(&conn->state, ISCSI_INI_CONN_LIVE, ISCSI_INI_CONN_FAILED) != ISCSI_INI_CONN_LIVE)
		return;
	conn->error = err;
	atomic64_inc(&conn->sess->stats.conn_errors);
	pr_warn("session %u: connection %u failed: %d\n", conn->sess->id, conn->cid, err);
	queue_work(iscsi_ini_recovery_wq, &conn->err_work);
	wake_up_all(&conn->wait);
	wake_up_all(&conn->sess->cmd_wait);
}

/* Sending */

static int iscsi_ini_send_buf(struct iscsi_ini_conn *conn, const void *buf, u32 len, bool more)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL | (more ? MSG_MORE : 0) };
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };

	return kernel_sendmsg(conn->sock, &msg, &iov, 1, len);
}

#define ISCSI_INI_TX_BVECS 16

/* Sends from the command's buffer, several pages per call; the cursor follows what was taken. */
static int iscsi_ini_send_cmd_data(struct iscsi_ini_conn *conn, struct iscsi_ini_cmd *cmd, u32 pos,
				   u32 len, bool more)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct bio_vec bv[ISCSI_INI_TX_BVECS];
	struct iscsi_ini_cursor c = cmd->cursor;
	u32 total = 0;
	int n = 0;
	int ret;

	while (n < ISCSI_INI_TX_BVECS && total < len) {
		struct page *page;
		u32 pgoff, piece;

		piece = iscsi_ini_cursor_piece(&c, cmd->sc, pos + total, len - total, &page, &pgoff);
		if (!piece)
			return -EIO;
		bv[n].bv_page = page;
		bv[n].bv_offset = pgoff;
		bv[n].bv_len = piece;
		total += piece;
		n++;
	}
	if (more || total < len)
		msg.msg_flags |= MSG_MORE;
	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, bv, n, total);
	ret = sock_sendmsg(conn->sock, &msg);
	if (ret > 0)
		iscsi_ini_cursor_seek(&cmd->cursor, cmd->sc, pos + ret);
	return ret;
}

/*
 * Zero-copy send of write data: TCP takes references on the command's pages and sends from them,
 * no copy into socket buffers. The pages outlive the send: the command completes only on the
 * target's response, which comes after the target has received the data. Not with a data digest
 * (a page written to while in flight would no longer match the digest) and not for slab pages,
 * which sendpage must not take: those go through the copying path.
 */
static int iscsi_ini_sendpage_cmd_data(struct iscsi_ini_conn *conn, struct iscsi_ini_cmd *cmd, u32 pos,
				       u32 len, bool more)
{
	struct iscsi_ini_cursor c = cmd->cursor;
	u32 total = 0;
	int ret = 0;

	while (total < len) {
		int flags = MSG_DONTWAIT | MSG_NOSIGNAL;
		struct page *page;
		u32 pgoff, piece;

		piece = iscsi_ini_cursor_piece(&c, cmd->sc, pos + total, len - total, &page, &pgoff);
		if (!piece) {
			ret = -EIO;
			break;
		}
		if (!sendpage_ok(page)) {
			if (total)
				break;
			return iscsi_ini_send_cmd_data(conn, cmd, pos, len, more);
		}
		if (more || total + piece < len)
			flags |= MSG_MORE | MSG_SENDPAGE_NOTLAST;
		ret = kernel_sendpage(conn->sock, page, pgoff, piece, flags);
		if (ret <= 0)
			break;
		total += ret;
		if (ret < piece)
			break;
	}
	if (!total)
		return ret;
	iscsi_ini_cursor_seek(&cmd->cursor, cmd->sc, pos + total);
	return total;
}

/* More PDUs follow this one at once: let TCP fill segments instead of pushing each PDU. */
static bool iscsi_ini_more_to_send(struct iscsi_ini_conn *conn)
{
	struct iscsi_ini_task *task = conn->cur_task;

	if (!list_empty(&conn->send_list) || !llist_empty(&conn->req_list))
		return true;
	return task && task->kind == ISCSI_INI_TASK_CMD &&
	       container_of(task, struct iscsi_ini_cmd, task)->tx_state == ISCSI_INI_CMD_TX_DATA_OUT;
}

/* Pushes the current PDU; 1 when all of it is on the socket, -EAGAIN when the socket is full. */
static int iscsi_ini_tx_pdu(struct iscsi_ini_conn *conn)
{
	static const u8 zero_pad[ISCSI_PAD];
	struct iscsi_ini_tx *tx = &conn->tx;
	bool ddgst = conn->sess->p.data_digest && tx->data_len;
	bool more_pdus = iscsi_ini_more_to_send(conn);
	bool more;
	u32 want;
	int ret;

	while (tx->part != ISCSI_INI_TX_DONE) {
		switch (tx->part) {
		case ISCSI_INI_TX_HDR:
			want = tx->hdr_len;
			more = tx->data_len || more_pdus;
			ret = iscsi_ini_send_buf(conn, tx->hdr + tx->done, want - tx->done, more);
			break;
		case ISCSI_INI_TX_DATA:
			want = tx->data_len;
			more = tx->pad_len || ddgst || more_pdus;
			if (tx->cmd && !ddgst)
				ret = iscsi_ini_sendpage_cmd_data(conn, tx->cmd, tx->data_off + tx->done,
								  want - tx->done, more);
			else if (tx->cmd)
				ret = iscsi_ini_send_cmd_data(conn, tx->cmd, tx->data_off + tx->done,
							      want - tx->done, more);
			else
				ret = iscsi_ini_send_buf(conn, (const u8 *)tx->buf + tx->done, want - tx->done,
							 more);
			break;
		case ISCSI_INI_TX_PAD:
			want = tx->pad_len;
			more = ddgst || more_pdus;
			ret = iscsi_ini_send_buf(conn, zero_pad + tx->done, want - tx->done, more);
			break;
		case ISCSI_INI_TX_DDGST:
		default:
			want = ISCSI_DIGEST_LEN;
			more = more_pdus;
			ret = iscsi_ini_send_buf(conn, (u8 *)&tx->ddgst + tx->done, want - tx->done, more);
			break;
		}
		if (ret <= 0)
			return ret ? ret : -EAGAIN;
		conn->tx_corked = more;
		tx->done += ret;
		if (tx->done < want)
			continue;
		tx->done = 0;
		if (tx->part == ISCSI_INI_TX_HDR)
			tx->part = tx->data_len ? ISCSI_INI_TX_DATA : ISCSI_INI_TX_DONE;
		else if (tx->part == ISCSI_INI_TX_DATA)
			tx->part = tx->pad_len ? ISCSI_INI_TX_PAD :
				   ddgst ? ISCSI_INI_TX_DDGST : ISCSI_INI_TX_DONE;
		else if (tx->part == ISCSI_INI_TX_PAD)
			tx->part = ddgst ? ISCSI_INI_TX_DDGST : ISCSI_INI_TX_DONE;
		else
			tx->part = ISCSI_INI_TX_DONE;
	}
	tx->active = false;
	return 1;
}

static struct iscsi_ini_task *iscsi_ini_fetch_task(struct iscsi_ini_conn *conn)
{
	struct iscsi_ini_task *task, *next;
	struct llist_node *node;

	if (list_empty(&conn->send_list)) {
		node = llist_del_all(&conn->req_list);
		if (!node)
			return NULL;
		/* the list is LIFO; commands must go out in CmdSN order */
		node = llist_reverse_order(node);
		llist_for_each_entry_safe(task, next, node, lentry)
			list_add_tail(&task->entry, &conn->send_list);
	}
	task = list_first_entry(&conn->send_list, struct iscsi_ini_task, entry);
	list_del(&task->entry);
	return task;
}

/* Fills conn->tx with the next PDU of the current task, moving on to the next task as needed. */
static bool iscsi_ini_tx_next(struct iscsi_ini_conn *conn)
{
	for (;;) {
		struct iscsi_ini_task *task = conn->cur_task;

		if (!task) {
			task = iscsi_ini_fetch_task(conn);
			if (!task)
				return false;
			conn->cur_task = task;
		}
		if (task->kind == ISCSI_INI_TASK_CMD) {
			struct iscsi_ini_cmd *cmd = container_of(task, struct iscsi_ini_cmd, task);

			if (iscsi_ini_cmd_next_pdu(conn, cmd))
				return true;
			conn->cur_task = NULL;
			iscsi_ini_cmd_send_dropped(conn, cmd);
		} else {
			struct iscsi_ini_ctl *ctl = container_of(task, struct iscsi_ini_ctl, task);

			if (iscsi_ini_ctl_next_pdu(conn, ctl))
				return true;
			conn->cur_task = NULL;
		}
	}
}

/* Sends PDUs until the socket is full or nothing is left; > 0 when something went out. */
static int iscsi_ini_try_send(struct iscsi_ini_conn *conn)
{
	int sent = 0;
	int ret;

	while (sent < 16) {
		if (!conn->tx.active && !iscsi_ini_tx_next(conn)) {
			/* expected more and got none (a command waiting for R2T): push what is held */
			if (conn->tx_corked) {
				tcp_sock_set_cork(conn->sock->sk, false);
				conn->tx_corked = false;
			}
			break;
		}
		ret = iscsi_ini_tx_pdu(conn);
		if (ret == -EAGAIN)
			break;
		if (ret < 0)
			return ret;
		/* a control exchange is one PDU: let go of it at once, so it can be reused */
		if (conn->cur_task && conn->cur_task->kind == ISCSI_INI_TASK_CTL) {
			struct iscsi_ini_ctl *ctl = container_of(conn->cur_task, struct iscsi_ini_ctl, task);

			conn->cur_task = NULL;
			WRITE_ONCE(ctl->queued, false);
		}
		sent++;
	}
	return sent;
}

/* Receiving */

static void iscsi_ini_rx_reset(struct iscsi_ini_rx *rx)
{
	rx->part = ISCSI_INI_RX_HDR;
	rx->hdr_got = 0;
	rx->hdr_len = ISCSI_BHS_LEN;
	rx->cmd = NULL;
}

static int iscsi_ini_rx_done(struct iscsi_ini_conn *conn)
{
	int ret = iscsi_ini_rx_pdu(conn);

	iscsi_ini_rx_reset(&conn->rx);
	return ret;
}

static int iscsi_ini_recv_hdr(struct iscsi_ini_conn *conn, struct sk_buff *skb, unsigned int *off,
			      size_t *len)
{
	struct iscsi_ini_rx *rx = &conn->rx;
	const struct iscsi_bhs *bhs = (void *)rx->hdr;
	bool hdgst = conn->sess->p.header_digest;
	u32 n = min_t(size_t, rx->hdr_len - rx->hdr_got, *len);
	int ret;

	ret = skb_copy_bits(skb, *off, rx->hdr + rx->hdr_got, n);
	if (ret)
		return ret;
	rx->hdr_got += n;
	*off += n;
	*len -= n;
	if (rx->hdr_got == ISCSI_BHS_LEN && rx->hdr_len == ISCSI_BHS_LEN) {
		/* the BHS tells how much header follows */
		rx->hdr_len += bhs->total_ahs_len * 4 + (hdgst ? ISCSI_DIGEST_LEN : 0);
		rx->dlen = iscsi_ini_ntoh24(bhs->data_seg_len);
	}
	if (rx->hdr_got < rx->hdr_len)
		return 0;
	if (hdgst) {
		u32 body = rx->hdr_len - ISCSI_DIGEST_LEN;
		__le32 want = cpu_to_le32(~crc32c(~0U, rx->hdr, body));

		if (memcmp(&want, rx->hdr + body, ISCSI_DIGEST_LEN)) {
			atomic64_inc(&conn->sess->stats.digest_errors);
			pr_err("session %u: header digest error\n", conn->sess->id);
			return -EBADMSG;
		}
	}
	ret = iscsi_ini_rx_hdr(conn);
	if (ret)
		return ret;
	if (!rx->dlen)
		return iscsi_ini_rx_done(conn);
	rx->part = ISCSI_INI_RX_DATA;
	rx->data_got = 0;
	rx->crc = ~0U;
	return 0;
}

static int iscsi_ini_recv_data(struct iscsi_ini_conn *conn, struct sk_buff *skb, unsigned int *off,
			       size_t *len)
{
	struct iscsi_ini_rx *rx = &conn->rx;
	u32 total = rx->dlen + iscsi_ini_pad(rx->dlen);
	u32 n = min_t(size_t, total - rx->data_got, *len);
	u32 payload = rx->data_got < rx->dlen ? min(n, rx->dlen - rx->data_got) : 0;
	int ret = 0;

	if (conn->sess->p.data_digest)
		rx->crc = (__force u32)__skb_checksum(skb, *off, n, (__force __wsum)rx->crc,
						      &iscsi_ini_crc_ops);
	if (payload) {
		if (rx->cmd)
			ret = iscsi_ini_copy_to_cmd(rx->cmd, rx->cmd_off + rx->data_got, skb, *off, payload);
		else
			ret = skb_copy_bits(skb, *off, rx->buf + rx->data_got, payload);
		if (ret)
			return ret;
	}
	rx->data_got += n;
	*off += n;
	*len -= n;
	if (rx->data_got < total)
		return 0;
	if (conn->sess->p.data_digest) {
		rx->part = ISCSI_INI_RX_DDGST;
		rx->ddgst_got = 0;
		return 0;
	}
	return iscsi_ini_rx_done(conn);
}

static int iscsi_ini_recv_ddgst(struct iscsi_ini_conn *conn, struct sk_buff *skb, unsigned int *off,
				size_t *len)
{
	struct iscsi_ini_rx *rx = &conn->rx;
	u32 n = min_t(size_t, ISCSI_DIGEST_LEN - rx->ddgst_got, *len);
	__le32 want;
	int ret;

	ret = skb_copy_bits(skb, *off, rx->ddgst + rx->ddgst_got, n);
	if (ret)
		return ret;
	rx->ddgst_got += n;
	*off += n;
	*len -= n;
	if (rx->ddgst_got < ISCSI_DIGEST_LEN)
		return 0;
	want = cpu_to_le32(~rx->crc);
	if (memcmp(&want, rx->ddgst, ISCSI_DIGEST_LEN)) {
		atomic64_inc(&conn->sess->stats.digest_errors);
		pr_err("session %u: data digest error\n", conn->sess->id);
		return -EBADMSG;
	}
	return iscsi_ini_rx_done(conn);
}

static int iscsi_ini_recv_skb(read_descriptor_t *desc, struct sk_buff *skb, unsigned int offset,
			      size_t len)
{
	struct iscsi_ini_conn *conn = desc->arg.data;
	size_t consumed = len;
	int ret;

	WRITE_ONCE(conn->last_rx, jiffies);
	while (len) {
		switch (conn->rx.part) {
		case ISCSI_INI_RX_HDR:
			ret = iscsi_ini_recv_hdr(conn, skb, &offset, &len);
			break;
		case ISCSI_INI_RX_DATA:
			ret = iscsi_ini_recv_data(conn, skb, &offset, &len);
			break;
		case ISCSI_INI_RX_DDGST:
		default:
			ret = iscsi_ini_recv_ddgst(conn, skb, &offset, &len);
			break;
		}
		if (ret) {
			conn->rx_error = ret;
			desc->count = 0;
			return ret;
		}
	}
	return consumed;
}

/* Reads what the socket holds; the caller holds the socket's lock. */
static int iscsi_ini_read_sock(struct iscsi_ini_conn *conn)
{
	read_descriptor_t desc = { .arg.data = conn, .count = 1 };
	int ret;

	clear_bit(ISCSI_INI_RX_PENDING, &conn->io_flags);
	conn->rx_error = 0;
	ret = conn->sock->ops->read_sock(conn->sock->sk, &desc, iscsi_ini_recv_skb);
	return conn->rx_error ? conn->rx_error : ret;
}

static int iscsi_ini_try_recv(struct iscsi_ini_conn *conn)
{
	struct sock *sk = conn->sock->sk;
	int ret;

	lock_sock(sk);
	ret = iscsi_ini_read_sock(conn);
	release_sock(sk);
	return ret;
}

static void iscsi_ini_io_work(struct work_struct *work)
{
	struct iscsi_ini_conn *conn = container_of(work, struct iscsi_ini_conn, io_work);
	unsigned long deadline = jiffies + msecs_to_jiffies(1);
	bool pending;
	int ret;

	iscsi_ini_conn_io_lock(conn);
	do {
		if (!iscsi_ini_conn_live(conn))
			goto unlock;
		pending = false;
		ret = iscsi_ini_try_send(conn);
		if (ret < 0)
			goto fail_conn;
		pending |= ret > 0;
		ret = iscsi_ini_try_recv(conn);
		if (ret < 0)
			goto fail_conn;
		pending |= ret > 0 || test_bit(ISCSI_INI_RX_PENDING, &conn->io_flags);
		if (!pending)
			goto unlock;
	} while (!time_after(jiffies, deadline));
	queue_work(iscsi_ini_io_wq, &conn->io_work);
	goto unlock;

fail_conn:
	iscsi_ini_conn_error(conn, ret);
unlock:
	iscsi_ini_conn_io_unlock(conn);
}

/*
 * Socket callbacks, run in softirq context (or by a process releasing the socket), always with
 * the socket locked: the sending side's callbacks only schedule io_work or err_work.
 */

/*
 * New bytes: read them here, as TCP's own readers do, and complete their commands without
 * waking io_work, unless someone owns the connection's I/O (io_work or an inline sender; also
 * when this runs inside their own socket call): then the owner reads them before it lets go
 * (ISCSI_INI_RX_PENDING). What the reading queued to send (Data-Out for an R2T, answers to
 * pings) goes to io_work, which may sleep.
 */
static void iscsi_ini_data_ready(struct sock *sk)
{
	struct iscsi_ini_conn *conn;

	read_lock_bh(&sk->sk_callback_lock);
	conn = sk->sk_user_data;
	if (!conn || !iscsi_ini_conn_live(conn))
		goto unlock;
	if (!iscsi_ini_conn_io_trylock(conn)) {
		/* tell the owner, then try once more: it may have let go before it could see */
		set_bit(ISCSI_INI_RX_PENDING, &conn->io_flags);
		/* pairs with the barrier in iscsi_ini_conn_io_unlock: one of us sees the other */
		smp_mb__after_atomic();
		if (!iscsi_ini_conn_io_trylock(conn))
			goto unlock;
	}
	iscsi_ini_conn_io_release(conn, iscsi_ini_read_sock(conn));
unlock:
	read_unlock_bh(&sk->sk_callback_lock);
}

static void iscsi_ini_write_space(struct sock *sk)
{
	struct iscsi_ini_conn *conn;

	read_lock_bh(&sk->sk_callback_lock);
	conn = sk->sk_user_data;
	if (conn && sk_stream_is_writeable(sk)) {
		clear_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		queue_work(iscsi_ini_io_wq, &conn->io_work);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

static void iscsi_ini_state_change(struct sock *sk)
{
	struct iscsi_ini_conn *conn;

	read_lock_bh(&sk->sk_callback_lock);
	conn = sk->sk_user_data;
	if (!conn)
		goto unlock;
	switch (sk->sk_state) {
	case TCP_CLOSE:
	case TCP_CLOSE_WAIT:
	case TCP_LAST_ACK:
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
		iscsi_ini_conn_error(conn, -ECONNRESET);
		break;
	default:
		break;
	}
	conn->orig_state_change(sk);
unlock:
	read_unlock_bh(&sk->sk_callback_lock);
}

/*
 * True when the socket has held bytes the target did not acknowledge, with no acknowledgement
 * moving forward, since conn->tx_stuck_since. A target that stops reading (TCP window zero) but
 * keeps sending (its own pings, late Data-In) never looks idle to the ping below, and a ping
 * stuck behind the unsent bytes would never reach it: the send side needs its own deadline.
 * Sampled by nop_work only, so no lock: a torn view costs one sample.
 */
static bool iscsi_ini_tx_stuck(struct iscsi_ini_conn *conn)
{
	const struct tcp_sock *tp = tcp_sk(conn->sock->sk);
	u32 una = READ_ONCE(tp->snd_una);

	if (una == READ_ONCE(tp->write_seq) || una != conn->tx_una || !conn->tx_stuck) {
		conn->tx_una = una;
		conn->tx_stuck = una != READ_ONCE(tp->write_seq);
		conn->tx_stuck_since = jiffies;
	}
	return conn->tx_stuck;
}

/*
 * Keep-alive: ping after noop_interval of silence, fail the connection after noop_timeout; and
 * fail it when the target has taken no byte of what we sent for noop_timeout (seen within a
 * noop_interval), since a ping could not get through either.
 */
static void iscsi_ini_nop_work(struct work_struct *work)
{
	struct iscsi_ini_conn *conn = container_of(to_delayed_work(work), struct iscsi_ini_conn, nop_work);
	struct iscsi_ini_session *sess = conn->sess;
	unsigned long interval = READ_ONCE(sess->p.noop_interval) * HZ;
	unsigned long timeout = READ_ONCE(sess->p.noop_timeout) * HZ;
	struct iscsi_ini_ctl *ping = &conn->ctl[ISCSI_INI_CTL_NOP_PING];
	unsigned long idle_since, next;

	if (!iscsi_ini_conn_live(conn) || !interval)
		return;
	if (iscsi_ini_tx_stuck(conn)) {
		if (time_after_eq(jiffies, conn->tx_stuck_since + timeout)) {
			atomic64_inc(&sess->stats.nop_timeouts);
			pr_err("session %u: the target took none of our data for %lu s\n", sess->id,
			       (jiffies - conn->tx_stuck_since) / HZ);
			iscsi_ini_conn_error(conn, -ETIMEDOUT);
			return;
		}
	}
	if (READ_ONCE(conn->ping_outstanding)) {
		if (time_after_eq(jiffies, conn->ping_sent + timeout)) {
			atomic64_inc(&sess->stats.nop_timeouts);
			pr_err("session %u: no answer to a ping within %lu s\n", sess->id, timeout / HZ);
			iscsi_ini_conn_error(conn, -ETIMEDOUT);
			return;
		}
		queue_delayed_work(system_wq, &conn->nop_work, conn->ping_sent + timeout - jiffies);
		return;
	}
	idle_since = READ_ONCE(conn->last_rx);
	if (time_before(jiffies, idle_since + interval)) {
		next = idle_since + interval;
		/* a send side stuck since the last sample: look again when its deadline is due */
		if (conn->tx_stuck && time_before(conn->tx_stuck_since + timeout, next))
			next = conn->tx_stuck_since + timeout;
		queue_delayed_work(system_wq, &conn->nop_work, next - jiffies);
		return;
	}
	if (READ_ONCE(ping->queued)) {
		/*
		 * The last ping has not left yet (the socket is full) but the target acknowledges
		 * data: busy, not dead. Without acknowledgements the check above fails it.
		 */
		queue_delayed_work(system_wq, &conn->nop_work,
				   conn->tx_stuck ? conn->tx_stuck_since + timeout - jiffies : interval);
		return;
	}
	iscsi_ini_prep_nop_ping(conn, ping);
	ping->sent = false;
	ping->done = false;
	ping->queued = true;
	conn->ping_sent = jiffies;
	WRITE_ONCE(conn->ping_outstanding, true);
	iscsi_ini_conn_queue(conn, &ping->task);
	queue_delayed_work(system_wq, &conn->nop_work, timeout);
}

void iscsi_ini_conn_reschedule_nop(struct iscsi_ini_conn *conn)
{
	if (iscsi_ini_conn_live(conn))
		mod_delayed_work(system_wq, &conn->nop_work, 0);
}

/*
 * Sends a control PDU and waits for the target's answer: its response code, -ENOTCONN when the
 * connection failed meanwhile, -ETIMEDOUT when the target stayed silent.
 */
int iscsi_ini_conn_ctl_send(struct iscsi_ini_conn *conn, struct iscsi_ini_ctl *ctl, unsigned long timeout)
{
	if (!iscsi_ini_conn_live(conn))
		return -ENOTCONN;
	ctl->sent = false;
	ctl->done = false;
	ctl->queued = true;
	iscsi_ini_conn_queue(conn, &ctl->task);
	wait_event_timeout(conn->wait, READ_ONCE(ctl->done) || !iscsi_ini_conn_live(conn), timeout);
	if (READ_ONCE(ctl->done))
		return ctl->response;
	return iscsi_ini_conn_live(conn) ? -ETIMEDOUT : -ENOTCONN;
}

struct iscsi_ini_conn *iscsi_ini_conn_alloc(struct iscsi_ini_session *sess, u16 cid)
{
	struct iscsi_ini_conn *conn;
	int i;

	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (!conn)
		return NULL;
	conn->rx.buf = kmalloc(ISCSI_INI_RX_BUF_LEN, GFP_KERNEL);
	conn->nop_data = kmalloc(ISCSI_INI_RX_BUF_LEN, GFP_KERNEL);
	if (!conn->rx.buf || !conn->nop_data) {
		iscsi_ini_conn_free(conn);
		return NULL;
	}
	conn->sess = sess;
	conn->cid = cid;
	conn->state = ISCSI_INI_CONN_UNBOUND;
	INIT_WORK(&conn->io_work, iscsi_ini_io_work);
	INIT_DELAYED_WORK(&conn->nop_work, iscsi_ini_nop_work);
	init_llist_head(&conn->req_list);
	INIT_LIST_HEAD(&conn->send_list);
	init_waitqueue_head(&conn->wait);
	for (i = 0; i < ISCSI_INI_CTL_COUNT; i++) {
		conn->ctl[i].kind = i;
		conn->ctl[i].task.kind = ISCSI_INI_TASK_CTL;
	}
	return conn;
}

void iscsi_ini_conn_free(struct iscsi_ini_conn *conn)
{
	if (!conn)
		return;
	kfree(conn->nop_data);
	kfree(conn->rx.buf);
	kfree(conn);
}

/* Takes over a logged-in socket; the caller holds a file reference that the connection keeps. */
int iscsi_ini_conn_start(struct iscsi_ini_conn *conn, struct socket *sock, u16 cid, u32 exp_stat_sn,
			 u32 cmd_sn)
{
	struct sock *sk = sock->sk;
	int i;

	if ((sk->sk_family != AF_INET && sk->sk_family != AF_INET6) || sk->sk_type != SOCK_STREAM ||
	    sk->sk_protocol != IPPROTO_TCP)
		return -EPROTOTYPE;
	if (sk->sk_state != TCP_ESTABLISHED)
		return -ENOTCONN;

	conn->sock = sock;
	conn->cid = cid;
	conn->exp_stat_sn = exp_stat_sn;
	conn->tx_cmd_sn = cmd_sn;
	conn->error = 0;
	conn->cur_task = NULL;
	conn->tx.active = false;
	conn->tx_corked = false;
	iscsi_ini_rx_reset(&conn->rx);
	for (i = 0; i < ISCSI_INI_CTL_COUNT; i++) {
		conn->ctl[i].queued = false;
		conn->ctl[i].sent = false;
		conn->ctl[i].done = false;
	}
	conn->ping_outstanding = false;
	conn->last_rx = jiffies;
	conn->tx_stuck = false;
	atomic64_set(&conn->stats.cmds, 0);
	atomic64_set(&conn->stats.read_bytes, 0);
	atomic64_set(&conn->stats.write_bytes, 0);

	/* the datapath must not recurse into block I/O while it allocates */
	sk->sk_allocation = GFP_NOIO;
	sk->sk_use_task_frag = false;
	tcp_sock_set_nodelay(sk);

	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_user_data) {
		write_unlock_bh(&sk->sk_callback_lock);
		conn->sock = NULL;
		return -EBUSY;
	}
	sk->sk_user_data = conn;
	conn->orig_data_ready = sk->sk_data_ready;
	conn->orig_write_space = sk->sk_write_space;
	conn->orig_state_change = sk->sk_state_change;
	sk->sk_data_ready = iscsi_ini_data_ready;
	sk->sk_write_space = iscsi_ini_write_space;
	sk->sk_state_change = iscsi_ini_state_change;
	WRITE_ONCE(conn->state, ISCSI_INI_CONN_LIVE);
	write_unlock_bh(&sk->sk_callback_lock);

	/* the target may have spoken already, or hung up between login and now */
	if (sk->sk_state != TCP_ESTABLISHED)
		iscsi_ini_conn_error(conn, -ECONNRESET);
	queue_work(iscsi_ini_io_wq, &conn->io_work);
	iscsi_ini_conn_reschedule_nop(conn);
	return 0;
}

/*
 * Stops the connection and gives its socket back. Commands in flight go back to the midlayer for
 * a retry (DID_IMM_RETRY); the caller has held new I/O. Session mutex held.
 */
void iscsi_ini_conn_stop(struct iscsi_ini_conn *conn)
{
	struct iscsi_ini_session *sess = conn->sess;
	struct socket *sock = conn->sock;
	unsigned long flags;
	unsigned int tag;
	int i;

	if (!sock)
		return;
	cmpxchg(&conn->state, ISCSI_INI_CONN_LIVE, ISCSI_INI_CONN_FAILED);
	/* queuecommand adds under the session lock: after this no command arrives any more */
	spin_lock_irqsave(&sess->lock, flags);
	spin_unlock_irqrestore(&sess->lock, flags);

	write_lock_bh(&sock->sk->sk_callback_lock);
	sock->sk->sk_user_data = NULL;
	sock->sk->sk_data_ready = conn->orig_data_ready;
	sock->sk->sk_write_space = conn->orig_write_space;
	sock->sk->sk_state_change = conn->orig_state_change;
	write_unlock_bh(&sock->sk->sk_callback_lock);
	kernel_sock_shutdown(sock, SHUT_RDWR);
	/*
	 * An inline sender or io_work past its liveness check finishes; later ones see the failed
	 * state. The receive softirq ended with the callbacks above.
	 */
	iscsi_ini_conn_io_lock(conn);
	iscsi_ini_conn_io_unlock(conn);
	cancel_work_sync(&conn->io_work);
	cancel_delayed_work_sync(&conn->nop_work);

	llist_del_all(&conn->req_list);
	INIT_LIST_HEAD(&conn->send_list);
	conn->cur_task = NULL;
	conn->tx.active = false;
	for (tag = 0; tag < sess->p.cmds_max; tag++) {
		struct iscsi_ini_cmd *cmd = sess->itt_map[tag];

		/* the other connections' commands are theirs to give back */
		if (!cmd || cmd->conn != conn)
			continue;
		cmd->send_queued = false;
		cmd->rsp_done = true;
		cmd->sc->result = DID_IMM_RETRY << 16;
		iscsi_ini_cmd_retire(conn, cmd, true);
	}
	for (i = 0; i < ISCSI_INI_CTL_COUNT; i++)
		conn->ctl[i].queued = false;
	wake_up_all(&conn->wait);
	wake_up_all(&sess->cmd_wait);

	sockfd_put(sock);
	conn->sock = NULL;
	WRITE_ONCE(conn->state, ISCSI_INI_CONN_UNBOUND);
}
