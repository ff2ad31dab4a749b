/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iscsi_ini: an iSCSI initiator datapath for Linux.
 * Declarations shared by the module's files.
 *
 * One session is one Scsi_Host (the session lives in its hostdata) with up to max_conns
 * connections (MC/S), slot k holding CID k; the host has one blk-mq hardware queue per slot and
 * a command goes out, and stays for all its PDUs, on the connection of its hardware queue (the
 * leading connection, CID 0, when that one is not bound). Socket I/O of a connection runs by its
 * I/O owner (a bit lock, see struct iscsi_ini_conn): io_work; queuecommand sending inline when
 * the connection is idle (the host's queues are BLK_MQ_F_BLOCKING); the socket's receive softirq
 * reading when nobody else owns it. The R2T handler, the NOP timer and the error handler only
 * push tasks onto a list and schedule io_work. Connection failures run in err_work under the session
 * mutex and, at ErrorRecoveryLevel 0, take every connection of the session down.
 */
#ifndef _ISCSI_INI_H
#define _ISCSI_INI_H

#include <linux/atomic.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/netlink.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_host.h>

#include <iscsi/wire.h>

#include "uapi/iscsi_ini.h"

#define ISCSI_INI_MODULE_VERSION "0.2.0"

/* Default timeouts in seconds, when session-new leaves them out. */
#define ISCSI_INI_DEF_REPLACEMENT_TIMEOUT 120
#define ISCSI_INI_DEF_NOOP_INTERVAL 5
#define ISCSI_INI_DEF_NOOP_TIMEOUT 5
#define ISCSI_INI_DEF_CMDS_MAX 128
/* How long a TMF, a Logout or the drain before a Logout may take. */
#define ISCSI_INI_TMF_TIMEOUT (10 * HZ)
#define ISCSI_INI_LOGOUT_TIMEOUT (15 * HZ)
/* How long a failed MC/S session waits for the Logout that closes it on a surviving connection. */
#define ISCSI_INI_MCS_CLOSE_TIMEOUT (5 * HZ)

/*
 * Data segments of target PDUs other than Data-In (sense data, ping data, rejected headers,
 * async events) land in a buffer of this size; a longer one is refused as a protocol error.
 */
#define ISCSI_INI_RX_BUF_LEN 8192

/*
 * ITTs: a SCSI command's is its blk-mq tag (below cmds_max) in the low 16 bits and a per-tag
 * generation in the high 16 bits, so a late PDU for an earlier use of the tag is recognised. The
 * connection's own exchanges use low halves from ISCSI_INI_ITT_CTL up.
 */
#define ISCSI_INI_ITT_TAG(itt) ((itt) & 0xffff)
#define ISCSI_INI_ITT_CTL 0xfff0

enum iscsi_ini_ctl_kind {
	ISCSI_INI_CTL_NOP_PING,		/* our keep-alive NOP-Out */
	ISCSI_INI_CTL_NOP_REPLY,	/* NOP-Out answering the target's ping */
	ISCSI_INI_CTL_TMF,		/* task management from the SCSI error handler */
	ISCSI_INI_CTL_LOGOUT,
	ISCSI_INI_CTL_COUNT,
};

enum iscsi_ini_task_kind {
	ISCSI_INI_TASK_CMD,
	ISCSI_INI_TASK_CTL,
};

/* Something that puts PDUs on the wire: a SCSI command or one of the connection's exchanges. */
struct iscsi_ini_task {
	struct llist_node	lentry;	/* producers push here (any context) */
	struct list_head	entry;	/* io_work's own FIFO */
	enum iscsi_ini_task_kind kind;
};

/* Where a command's data buffer stands: scatterlist entry and offset, for in-order walks. */
struct iscsi_ini_cursor {
	struct scatterlist	*sg;
	u32			sg_off;
	u32			pos;
};

struct iscsi_ini_r2t {
	u32 ttt;
	u32 offset;
	u32 length;
};

/* What a command sends next; the state after the SCSI Command PDU depends on the parameters. */
enum iscsi_ini_cmd_tx_state {
	ISCSI_INI_CMD_TX_CMD_PDU,	/* the SCSI Command PDU, with immediate data */
	ISCSI_INI_CMD_TX_DATA_OUT,	/* a Data-Out sequence (unsolicited or for an R2T) */
	ISCSI_INI_CMD_TX_WAIT_R2T,	/* nothing until an R2T arrives */
};

struct iscsi_ini_conn;

/* Per-command state, the SCSI command's private data. */
struct iscsi_ini_cmd {
	struct iscsi_ini_task	task;
	struct scsi_cmnd	*sc;
	/* connection allegiance: every PDU of the command goes and comes on this one */
	struct iscsi_ini_conn	*conn;
	u32			itt;
	u32			cmd_sn;
	u32			exp_len;	/* ExpectedDataTransferLength */
	bool			write;
	/*
	 * The send side (send_queued: the command is on the send path) and the receive side
	 * (rsp_done: its status arrived) both must let go before the command completes;
	 * active: the ITT is live in the session's map. Only the connection's I/O owner
	 * changes them while the connection runs; the error handler reads them.
	 */
	bool			active;
	bool			send_queued;
	bool			rsp_done;
	enum iscsi_ini_cmd_tx_state tx_state;
	/* write side */
	u32			imm_len;	/* immediate data in the command PDU */
	u32			unsol_len;	/* immediate plus unsolicited Data-Out */
	u32			out_offset;	/* next byte of the current Data-Out sequence */
	u32			out_end;	/* end of the current sequence */
	u32			out_ttt;
	u32			out_data_sn;
	bool			out_for_r2t;	/* the current sequence answers an R2T */
	u32			exp_r2t_sn;
	u8			r2t_head;
	u8			r2t_count;
	struct iscsi_ini_r2t	r2t[ISCSI_INI_MAX_R2T];
	/* read side */
	u32			exp_data_sn;
	u32			next_rx_offset;
	u32			rx_bytes;
	struct iscsi_ini_cursor	cursor;
};

/* A control exchange of the connection (NOP, TMF, Logout): one prepared BHS, maybe data. */
struct iscsi_ini_ctl {
	struct iscsi_ini_task	task;
	enum iscsi_ini_ctl_kind	kind;
	bool			queued;
	bool			sent;
	bool			done;		/* the target answered */
	u8			response;
	u32			itt;
	u16			gen;		/* high half of the next ITT */
	union {
		struct iscsi_bhs		bhs;
		struct iscsi_nop_out_bhs	nop;
		struct iscsi_tmf_req_bhs	tmf;
		struct iscsi_logout_req_bhs	logout;
	} hdr;
	void			*data;
	u32			data_len;
	struct iscsi_ini_cmd	*ref_cmd;	/* ABORT TASK: the command */
};

/* The PDU being sent: header (with digest), then data from a command or a buffer. */
enum iscsi_ini_tx_part {
	ISCSI_INI_TX_HDR,
	ISCSI_INI_TX_DATA,
	ISCSI_INI_TX_PAD,
	ISCSI_INI_TX_DDGST,
	ISCSI_INI_TX_DONE,
};

struct iscsi_ini_tx {
	bool			active;
	enum iscsi_ini_tx_part	part;
	u32			done;		/* bytes of the current part already sent */
	u8			hdr[ISCSI_BHS_LEN + ISCSI_DIGEST_LEN];
	u32			hdr_len;
	struct iscsi_ini_cmd	*cmd;		/* data source, or buf */
	const void		*buf;
	u32			data_off;	/* offset in the command's buffer */
	u32			data_len;
	u32			pad_len;
	__le32			ddgst;
};

enum iscsi_ini_rx_part {
	ISCSI_INI_RX_HDR,
	ISCSI_INI_RX_DATA,
	ISCSI_INI_RX_DDGST,
};

struct iscsi_ini_rx {
	enum iscsi_ini_rx_part	part;
	u8			hdr[ISCSI_BHS_LEN + ISCSI_MAX_AHS_LEN + ISCSI_DIGEST_LEN];
	u32			hdr_got;
	u32			hdr_len;
	u32			dlen;		/* data segment length, padding excluded */
	u32			data_got;	/* data and padding bytes received */
	u8			ddgst[ISCSI_DIGEST_LEN];
	u32			ddgst_got;
	u32			crc;
	struct iscsi_ini_cmd	*cmd;		/* Data-In goes to this command's buffer... */
	u32			cmd_off;
	u8			*buf;		/* ...other data segments here */
};

enum iscsi_ini_conn_state {
	ISCSI_INI_CONN_UNBOUND,
	ISCSI_INI_CONN_LIVE,
	ISCSI_INI_CONN_FAILED,	/* error seen; err_work tears it down */
};

/* Bits of iscsi_ini_conn.io_flags. */
enum iscsi_ini_conn_io_bit {
	ISCSI_INI_IO_OWNED,	/* someone sends or receives on the connection */
	ISCSI_INI_RX_PENDING,	/* bytes came while it was owned: the owner reads them */
};

struct iscsi_ini_session;

/* Counters of one connection since it was bound. */
struct iscsi_ini_conn_stats {
	atomic64_t cmds;
	atomic64_t read_bytes;
	atomic64_t write_bytes;
};

struct iscsi_ini_conn {
	struct iscsi_ini_session *sess;
	enum iscsi_ini_conn_state state;	/* changed with cmpxchg: the socket callbacks race */
	int			error;		/* why it failed (negative errno) */
	u16			cid;
	struct socket		*sock;
	void			(*orig_data_ready)(struct sock *sk);
	void			(*orig_write_space)(struct sock *sk);
	void			(*orig_state_change)(struct sock *sk);

	/*
	 * Whoever sends or receives owns the connection's I/O (ISCSI_INI_IO_OWNED in io_flags):
	 * io_work, which waits for it; queuecommand sending inline and the receive softirq, which
	 * only try and leave the work to io_work when they fail. So the send and receive state
	 * below, and the commands' send_queued and rsp_done, have one owner at a time. A bit lock,
	 * not a mutex, because the softirq takes it.
	 */
	unsigned long		io_flags;
	bool			inline_send;	/* queuecommand may sleep: send from there */
	struct work_struct	io_work;
	struct work_struct	err_work;
	struct delayed_work	nop_work;
	struct llist_head	req_list;
	struct list_head	send_list;
	struct iscsi_ini_task	*cur_task;
	struct iscsi_ini_tx	tx;
	bool			tx_corked;	/* the last bytes went out with MSG_MORE */
	struct iscsi_ini_rx	rx;
	int			rx_error;

	u32			tx_cmd_sn;	/* CmdSN of the next command on the wire */
	u32			exp_stat_sn;

	unsigned long		last_rx;	/* jiffies of the last bytes from the target */
	unsigned long		ping_sent;
	bool			ping_outstanding;
	/* nop_work's view of the send side: unacknowledged bytes and no progress since */
	bool			tx_stuck;
	u32			tx_una;
	unsigned long		tx_stuck_since;

	struct iscsi_ini_ctl	ctl[ISCSI_INI_CTL_COUNT];
	u8			*nop_data;	/* ping data we echo */
	wait_queue_head_t	wait;		/* TMF and Logout waiters */
	struct iscsi_ini_conn_stats stats;
};

struct iscsi_ini_params {
	u32	max_recv_dlength;
	u32	max_xmit_dlength;
	u32	first_burst;
	u32	max_burst;
	u16	max_r2t;
	u16	cmds_max;
	u16	max_conns;
	bool	initial_r2t;
	bool	immediate_data;
	bool	header_digest;
	bool	data_digest;
	bool	data_pdu_in_order;
	bool	data_seq_in_order;
	u8	erl;
	u32	replacement_timeout;
	u32	noop_interval;
	u32	noop_timeout;
};

struct iscsi_ini_stats {
	atomic64_t cmds;
	atomic64_t read_bytes;
	atomic64_t write_bytes;
	atomic64_t conn_errors;
	atomic64_t digest_errors;
	atomic64_t nop_timeouts;
	atomic64_t aborts;
	atomic64_t resets;
	atomic64_t binds;
};

/* Who the session connects, as the login established it. */
struct iscsi_ini_ident {
	char	target_name[ISCSI_INI_NAME_LEN + 1];
	char	initiator_name[ISCSI_INI_NAME_LEN + 1];
	char	portal[128];
	u8	isid[ISCSI_ISID_LEN];
	u16	tsih;
	u16	tpgt;
};

struct iscsi_ini_session {
	u32			id;
	struct Scsi_Host	*shost;
	struct net		*net;
	struct iscsi_ini_ident	ident;
	struct iscsi_ini_params	p;
	u16			queue_depth;	/* per LUN, session-set */

	/* lock guards state and the CmdSN window; taken by queuecommand */
	spinlock_t		lock;
	enum iscsi_ini_session_state state;
	u32			cmd_sn;		/* next CmdSN to hand out */
	u32			exp_cmd_sn;
	u32			max_cmd_sn;
	bool			window_closed;

	/* mutex serialises binding, teardown, logout, removal and timeouts */
	struct mutex		mutex;
	struct mutex		tmf_mutex;
	bool			removing;
	bool			blocked;
	bool			scanned;
	wait_queue_head_t	state_wait;
	struct delayed_work	replacement_work;
	struct work_struct	scan_work;
	atomic_t		scan_requested;	/* scan-gen of the last request for scan_work */
	struct work_struct	logout_req_work;

	struct iscsi_ini_cmd	**itt_map;	/* tag -> command in flight */
	u16			*itt_gen;
	wait_queue_head_t	cmd_wait;	/* commands leaving the map (TMF, logout drains) */
	/* slot k is CID k; all allocated at creation, bound or not */
	struct iscsi_ini_conn	*conns[ISCSI_INI_MAX_CONNS];
	struct iscsi_ini_stats	stats;
};

extern struct workqueue_struct *iscsi_ini_io_wq;
extern struct workqueue_struct *iscsi_ini_recovery_wq;

/* Serial number arithmetic (RFC 1982), for CmdSN, StatSN, DataSN, R2TSN. */
static inline bool iscsi_ini_sn_lt(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

static inline u32 iscsi_ini_ntoh24(const u8 b[3])
{
	return (b[0] << 16) | (b[1] << 8) | b[2];
}

static inline void iscsi_ini_hton24(u8 b[3], u32 v)
{
	b[0] = v >> 16;
	b[1] = v >> 8;
	b[2] = v;
}

static inline u32 iscsi_ini_pad(u32 len)
{
	return -len & (ISCSI_PAD - 1);
}

/* iscsi_ini_netlink.c */
int iscsi_ini_netlink_init(void);
void iscsi_ini_netlink_exit(void);
void iscsi_ini_nl_notify_conn_error(struct iscsi_ini_session *sess, u16 cid, int err);
void iscsi_ini_nl_notify_state(struct iscsi_ini_session *sess);
void iscsi_ini_nl_notify_scan_done(struct iscsi_ini_session *sess, u32 gen);
void iscsi_ini_nl_notify_async(struct iscsi_ini_session *sess, const struct iscsi_async_msg_bhs *hdr,
			       const void *sense, u32 sense_len);

/* iscsi_ini_session.c */
struct iscsi_ini_session *iscsi_ini_session_create(const struct iscsi_ini_ident *ident,
						   const struct iscsi_ini_params *p, struct net *net);
struct iscsi_ini_session *iscsi_ini_session_lookup(struct net *net, u32 id);
struct iscsi_ini_session *iscsi_ini_session_next(struct net *net, unsigned long *index);
void iscsi_ini_session_remove(struct iscsi_ini_session *sess, bool logout);
int iscsi_ini_session_bind(struct iscsi_ini_session *sess, struct socket *sock, u16 cid,
			   u32 exp_stat_sn, u32 cmd_sn, u32 exp_cmd_sn, u32 max_cmd_sn,
			   struct netlink_ext_ack *extack);
void iscsi_ini_session_set(struct iscsi_ini_session *sess, const u32 *replacement_timeout,
			   const u32 *noop_interval, const u32 *noop_timeout, const u16 *queue_depth);
int iscsi_ini_session_rescan(struct iscsi_ini_session *sess, u32 *gen);
void iscsi_ini_session_update_window(struct iscsi_ini_session *sess, u32 exp_cmd_sn, u32 max_cmd_sn,
				     bool *protocol_error);
const char *iscsi_ini_state_name(enum iscsi_ini_session_state state);
void iscsi_ini_session_request_logout(struct iscsi_ini_session *sess);

/* iscsi_ini_conn.c */
struct iscsi_ini_conn *iscsi_ini_conn_alloc(struct iscsi_ini_session *sess, u16 cid);
void iscsi_ini_conn_free(struct iscsi_ini_conn *conn);
int iscsi_ini_conn_start(struct iscsi_ini_conn *conn, struct socket *sock, u16 cid, u32 exp_stat_sn,
			 u32 cmd_sn);
void iscsi_ini_conn_stop(struct iscsi_ini_conn *conn);
void iscsi_ini_conn_error(struct iscsi_ini_conn *conn, int err);
void iscsi_ini_conn_queue(struct iscsi_ini_conn *conn, struct iscsi_ini_task *task);
void iscsi_ini_conn_push(struct iscsi_ini_conn *conn);
void iscsi_ini_conn_io_lock(struct iscsi_ini_conn *conn);
void iscsi_ini_conn_io_unlock(struct iscsi_ini_conn *conn);
int iscsi_ini_conn_ctl_send(struct iscsi_ini_conn *conn, struct iscsi_ini_ctl *ctl, unsigned long timeout);
void iscsi_ini_conn_reschedule_nop(struct iscsi_ini_conn *conn);
bool iscsi_ini_conn_live(struct iscsi_ini_conn *conn);

/* iscsi_ini_pdu.c */
void iscsi_ini_pdu_check_sizes(void);
void iscsi_ini_cmd_setup(struct iscsi_ini_session *sess, struct iscsi_ini_cmd *cmd);
bool iscsi_ini_cmd_next_pdu(struct iscsi_ini_conn *conn, struct iscsi_ini_cmd *cmd);
bool iscsi_ini_ctl_next_pdu(struct iscsi_ini_conn *conn, struct iscsi_ini_ctl *ctl);
void iscsi_ini_cmd_send_dropped(struct iscsi_ini_conn *conn, struct iscsi_ini_cmd *cmd);
void iscsi_ini_cmd_retire(struct iscsi_ini_conn *conn, struct iscsi_ini_cmd *cmd, bool done);
int iscsi_ini_rx_hdr(struct iscsi_ini_conn *conn);
int iscsi_ini_rx_pdu(struct iscsi_ini_conn *conn);
void iscsi_ini_reset_cmds(struct iscsi_ini_conn *conn, bool one_lun, u64 lun);
void iscsi_ini_prep_tmf(struct iscsi_ini_conn *conn, struct iscsi_ini_ctl *ctl, u8 function, u64 lun,
			struct iscsi_ini_cmd *cmd);
void iscsi_ini_prep_logout(struct iscsi_ini_conn *conn, struct iscsi_ini_ctl *ctl);
void iscsi_ini_prep_nop_ping(struct iscsi_ini_conn *conn, struct iscsi_ini_ctl *ctl);
u32 iscsi_ini_ctl_itt(struct iscsi_ini_conn *conn, enum iscsi_ini_ctl_kind kind);

/* data movement helpers (iscsi_ini_conn.c) */
u32 iscsi_ini_crc32c(u32 crc, const void *p, size_t len);
u32 iscsi_ini_cmd_crc(struct iscsi_ini_cmd *cmd, u32 off, u32 len, u32 crc);

#endif /* _ISCSI_INI_H */
