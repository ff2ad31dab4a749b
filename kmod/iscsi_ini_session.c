// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sessions: one Scsi_Host each, its queuecommand, the SCSI error handler, sysfs attributes,
 * and the life cycle (create, bind connections, recover from a failed one, log out, remove).
 *
 * With several connections (MC/S) the host has one hardware queue per connection slot, and
 * blk-mq's CPU mapping spreads the CPUs over them: one CPU's I/O stays on one connection, its
 * socket and its io_work. CmdSN, the command window and the ITT map stay session-wide, under
 * the session lock; the target orders commands across connections by CmdSN. At
 * ErrorRecoveryLevel 0 one connection's failure fails them all: every connection is stopped
 * and the daemon reinstates the session with all of them.
 *
 * A failed connection does not take the disks with it: the host is blocked, the commands in
 * flight go back to the midlayer for a retry, and the session waits replacement_timeout for the
 * daemon to bind a new connection; after that queued I/O fails (DID_TRANSPORT_FAILFAST) but the
 * session stays, so a later connection still brings the same disks back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>
#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>

#include "iscsi_ini.h"

/* REPORT LUNS decides which LUNs exist; this only bounds what the midlayer accepts */
#define ISCSI_INI_MAX_LUN 16383

static DEFINE_XARRAY_ALLOC1(iscsi_ini_sessions);
static u32 iscsi_ini_next_id;

static const char *const iscsi_ini_state_names[] = {
	[ISCSI_INI_SESSION_STATE_NEW]		= "new",
	[ISCSI_INI_SESSION_STATE_LOGGED_IN]	= "logged-in",
	[ISCSI_INI_SESSION_STATE_RECOVERING]	= "recovering",
	[ISCSI_INI_SESSION_STATE_FAILED]	= "failed",
	[ISCSI_INI_SESSION_STATE_LOGGING_OUT]	= "logging-out",
	[ISCSI_INI_SESSION_STATE_REMOVED]	= "removed",
};

const char *iscsi_ini_state_name(enum iscsi_ini_session_state state)
{
	if (state >= ARRAY_SIZE(iscsi_ini_state_names))
		return "unknown";
	return iscsi_ini_state_names[state];
}

static void iscsi_ini_set_state(struct iscsi_ini_session *sess, enum iscsi_ini_session_state state)
{
	unsigned long flags;

	spin_lock_irqsave(&sess->lock, flags);
	sess->state = state;
	spin_unlock_irqrestore(&sess->lock, flags);
	wake_up_all(&sess->state_wait);
	iscsi_ini_nl_notify_state(sess);
}

/* Holding and releasing new I/O; session mutex held, so the two always pair up. */
static void iscsi_ini_session_block(struct iscsi_ini_session *sess)
{
	if (!sess->blocked) {
		sess->blocked = true;
		scsi_block_requests(sess->shost);
	}
}

static void iscsi_ini_session_unblock(struct iscsi_ini_session *sess)
{
	if (sess->blocked) {
		sess->blocked = false;
		scsi_unblock_requests(sess->shost);
	}
}

static void iscsi_ini_run_queues(struct iscsi_ini_session *sess)
{
	struct scsi_device *sdev;

	shost_for_each_device(sdev, sess->shost)
		blk_mq_run_hw_queues(sdev->request_queue, true);
}

void iscsi_ini_session_update_window(struct iscsi_ini_session *sess, u32 exp_cmd_sn, u32 max_cmd_sn,
				     bool *protocol_error)
{
	bool reopened = false;
	unsigned long flags;

	spin_lock_irqsave(&sess->lock, flags);
	/* RFC 7143 section 4.2.2.1: such a pair is ignored */
	if (iscsi_ini_sn_lt(max_cmd_sn, exp_cmd_sn - 1))
		goto unlock;
	if (iscsi_ini_sn_lt(sess->cmd_sn, exp_cmd_sn)) {
		*protocol_error = true;
		goto unlock;
	}
	if (iscsi_ini_sn_lt(sess->exp_cmd_sn, exp_cmd_sn))
		sess->exp_cmd_sn = exp_cmd_sn;
	if (iscsi_ini_sn_lt(sess->max_cmd_sn, max_cmd_sn)) {
		sess->max_cmd_sn = max_cmd_sn;
		reopened = sess->window_closed;
		sess->window_closed = false;
	}
unlock:
	spin_unlock_irqrestore(&sess->lock, flags);
	if (reopened)
		iscsi_ini_run_queues(sess);
}

/*
 * The connection of a hardware queue: the slot of the same number when it is bound, else the
 * leading connection (while the others log in, or when the target allowed fewer). Either may
 * fail meanwhile; queuecommand checks liveness under the session lock.
 */
static struct iscsi_ini_conn *iscsi_ini_hwq_conn(struct iscsi_ini_session *sess, u16 hwq)
{
	struct iscsi_ini_conn *conn;

	if (hwq < sess->p.max_conns) {
		conn = sess->conns[hwq];
		if (iscsi_ini_conn_live(conn))
			return conn;
	}
	return sess->conns[0];
}

static int iscsi_ini_queuecommand(struct Scsi_Host *shost, struct scsi_cmnd *sc)
{
	struct iscsi_ini_session *sess = shost_priv(shost);
	struct iscsi_ini_cmd *cmd = scsi_cmd_priv(sc);
	struct request *rq = scsi_cmd_to_rq(sc);
	struct iscsi_ini_conn *conn;
	u32 tag = rq->tag;
	unsigned long flags;
	int host_byte = 0;

	conn = iscsi_ini_hwq_conn(sess, blk_mq_unique_tag_to_hwq(blk_mq_unique_tag(rq)));

	spin_lock_irqsave(&sess->lock, flags);
	switch (sess->state) {
	case ISCSI_INI_SESSION_STATE_LOGGED_IN:
		break;
	case ISCSI_INI_SESSION_STATE_FAILED:
		host_byte = DID_TRANSPORT_FAILFAST;
		goto fail_cmd;
	case ISCSI_INI_SESSION_STATE_REMOVED:
		host_byte = DID_NO_CONNECT;
		goto fail_cmd;
	default:
		goto busy;
	}
	if (!iscsi_ini_conn_live(conn))
		goto busy;
	if (tag >= sess->p.cmds_max) {
		host_byte = DID_ERROR;
		goto fail_cmd;
	}
	/* never beyond MaxCmdSN: the window reopens with a response, which reruns the queue */
	if (iscsi_ini_sn_lt(sess->max_cmd_sn, sess->cmd_sn)) {
		sess->window_closed = true;
		goto busy;
	}
	cmd->sc = sc;
	cmd->conn = conn;
	cmd->task.kind = ISCSI_INI_TASK_CMD;
	sess->itt_gen[tag]++;
	cmd->itt = (u32)sess->itt_gen[tag] << 16 | tag;
	cmd->cmd_sn = sess->cmd_sn++;
	iscsi_ini_cmd_setup(sess, cmd);
	cmd->active = true;
	WRITE_ONCE(sess->itt_map[tag], cmd);
	/* added under the lock that hands out CmdSNs, so the list holds them in order */
	llist_add(&cmd->task.lentry, &conn->req_list);
	spin_unlock_irqrestore(&sess->lock, flags);
	/* the last command of a batch sends it; blk-mq calls commit_rqs when a batch ends early */
	if (sc->flags & SCMD_LAST)
		iscsi_ini_conn_push(conn);
	return 0;

busy:
	spin_unlock_irqrestore(&sess->lock, flags);
	return SCSI_MLQUEUE_HOST_BUSY;
fail_cmd:
	spin_unlock_irqrestore(&sess->lock, flags);
	sc->result = host_byte << 16;
	scsi_done(sc);
	return 0;
}

static void iscsi_ini_commit_rqs(struct Scsi_Host *shost, u16 hwq)
{
	struct iscsi_ini_session *sess = shost_priv(shost);

	iscsi_ini_conn_push(iscsi_ini_hwq_conn(sess, hwq));
}

/* One hardware queue per connection slot; blk-mq spreads the CPUs over them. */
static void iscsi_ini_map_queues(struct Scsi_Host *shost)
{
	blk_mq_map_queues(&shost->tag_set.map[HCTX_TYPE_DEFAULT]);
}

/* Every connection slot of the session, bound or not. */
#define iscsi_ini_for_each_conn(sess, i, conn) \
	for ((i) = 0; (i) < (sess)->p.max_conns && ((conn) = (sess)->conns[i]); (i)++)

static bool iscsi_ini_all_live(struct iscsi_ini_session *sess)
{
	struct iscsi_ini_conn *conn;
	int i;

	iscsi_ini_for_each_conn(sess, i, conn)
		if (conn->sock && !iscsi_ini_conn_live(conn))
			return false;
	return iscsi_ini_conn_live(sess->conns[0]);
}

/* SCSI error handling */

static enum blk_eh_timer_return iscsi_ini_eh_timed_out(struct scsi_cmnd *sc)
{
	struct iscsi_ini_session *sess = shost_priv(sc->device->host);
	struct iscsi_ini_cmd *cmd = scsi_cmd_priv(sc);

	/* the command waits for the new connection, not for the target */
	if (READ_ONCE(sess->state) == ISCSI_INI_SESSION_STATE_RECOVERING || !iscsi_ini_all_live(sess) ||
	    (READ_ONCE(cmd->active) && !iscsi_ini_conn_live(READ_ONCE(cmd->conn))))
		return BLK_EH_RESET_TIMER;
	return BLK_EH_DONE;
}

static bool iscsi_ini_tmf_settled(struct iscsi_ini_session *sess, u8 function, u64 lun,
				  struct iscsi_ini_cmd *cmd)
{
	unsigned int tag;

	if (function == ISCSI_TMF_ABORT_TASK)
		return !READ_ONCE(cmd->active);
	for (tag = 0; tag < sess->p.cmds_max; tag++) {
		struct iscsi_ini_cmd *c = READ_ONCE(sess->itt_map[tag]);

		if (c && READ_ONCE(c->rsp_done) &&
		    (function != ISCSI_TMF_LOGICAL_UNIT_RESET || c->sc->device->lun == lun))
			return false;
	}
	return true;
}

/*
 * Sends a task management function and waits until the commands it ended have left the
 * driver (they may still be on the send path). SUCCESS or FAILED, for the midlayer.
 */
static int iscsi_ini_tmf(struct iscsi_ini_session *sess, u8 function, u64 lun, struct iscsi_ini_cmd *cmd)
{
	/* ABORT TASK goes on the connection the task is allegiant to, resets on the leading one */
	struct iscsi_ini_conn *conn = cmd ? READ_ONCE(cmd->conn) : sess->conns[0];
	struct iscsi_ini_ctl *ctl = &conn->ctl[ISCSI_INI_CTL_TMF];
	struct iscsi_ini_conn *other;
	int ret, i;

	if (!iscsi_ini_conn_live(conn))
		return FAILED;
	iscsi_ini_prep_tmf(conn, ctl, function, lun, cmd);
	ret = iscsi_ini_conn_ctl_send(conn, ctl, ISCSI_INI_TMF_TIMEOUT);
	if (ret == -ETIMEDOUT && READ_ONCE(ctl->queued)) {
		/* the request never left: the socket is stuck and the connection is of no use */
		pr_err("session %u: task management function %u could not be sent\n", sess->id, function);
		iscsi_ini_conn_error(conn, -ETIMEDOUT);
		return FAILED;
	}
	if (ret == -ETIMEDOUT) {
		/*
		 * The target has the request and ignores it: only this step fails, and the midlayer
		 * escalates (abort, LUN reset, target reset, then host reset, which drops the
		 * connection). A late answer carries an ITT we no longer wait for: a protocol error.
		 */
		if (function == ISCSI_TMF_ABORT_TASK)
			pr_warn("session %u: abort of ITT 0x%08x timed out, escalating\n", sess->id, cmd->itt);
		else
			pr_warn("session %u: %s timed out, escalating\n", sess->id,
				function == ISCSI_TMF_LOGICAL_UNIT_RESET ? "logical unit reset" : "target reset");
		return FAILED;
	}
	if (ret < 0)
		return FAILED;
	if (ret != ISCSI_TMF_RSP_COMPLETE &&
	    !(function == ISCSI_TMF_ABORT_TASK && ret == ISCSI_TMF_RSP_NO_TASK)) {
		pr_warn("session %u: task management function %u answered %d\n", sess->id, function, ret);
		return FAILED;
	}
	/*
	 * A reset also ended the tasks of the other connections, which will see no more PDUs for
	 * them: end them as each connection's I/O owner, the owner of their state.
	 */
	if (function != ISCSI_TMF_ABORT_TASK) {
		iscsi_ini_for_each_conn(sess, i, other) {
			if (other == conn)
				continue;
			iscsi_ini_conn_io_lock(other);
			if (iscsi_ini_conn_live(other))
				iscsi_ini_reset_cmds(other, function == ISCSI_TMF_LOGICAL_UNIT_RESET, lun);
			iscsi_ini_conn_io_unlock(other);
		}
	}
	wait_event_timeout(sess->cmd_wait, iscsi_ini_tmf_settled(sess, function, lun, cmd) ||
			   !iscsi_ini_all_live(sess), ISCSI_INI_TMF_TIMEOUT);
	if (!iscsi_ini_all_live(sess) || !iscsi_ini_tmf_settled(sess, function, lun, cmd))
		return FAILED;
	return SUCCESS;
}

static int iscsi_ini_eh_abort(struct scsi_cmnd *sc)
{
	struct iscsi_ini_session *sess = shost_priv(sc->device->host);
	struct iscsi_ini_cmd *cmd = scsi_cmd_priv(sc);
	int ret = SUCCESS;

	mutex_lock(&sess->tmf_mutex);
	if (READ_ONCE(cmd->active)) {
		atomic64_inc(&sess->stats.aborts);
		sdev_printk(KERN_INFO, sc->device, "aborting command ITT 0x%08x\n", cmd->itt);
		ret = iscsi_ini_tmf(sess, ISCSI_TMF_ABORT_TASK, sc->device->lun, cmd);
	}
	mutex_unlock(&sess->tmf_mutex);
	return ret;
}

static int iscsi_ini_eh_device_reset(struct scsi_cmnd *sc)
{
	struct iscsi_ini_session *sess = shost_priv(sc->device->host);
	int ret;

	atomic64_inc(&sess->stats.resets);
	sdev_printk(KERN_INFO, sc->device, "logical unit reset\n");
	mutex_lock(&sess->tmf_mutex);
	ret = iscsi_ini_tmf(sess, ISCSI_TMF_LOGICAL_UNIT_RESET, sc->device->lun, NULL);
	mutex_unlock(&sess->tmf_mutex);
	return ret;
}

static int iscsi_ini_eh_target_reset(struct scsi_cmnd *sc)
{
	struct iscsi_ini_session *sess = shost_priv(sc->device->host);
	int ret;

	atomic64_inc(&sess->stats.resets);
	shost_printk(KERN_INFO, sess->shost, "target warm reset\n");
	mutex_lock(&sess->tmf_mutex);
	ret = iscsi_ini_tmf(sess, ISCSI_TMF_TARGET_WARM_RESET, 0, NULL);
	mutex_unlock(&sess->tmf_mutex);
	return ret;
}

static bool iscsi_ini_session_settled(struct iscsi_ini_session *sess)
{
	enum iscsi_ini_session_state state = READ_ONCE(sess->state);

	return (state == ISCSI_INI_SESSION_STATE_LOGGED_IN && iscsi_ini_all_live(sess)) ||
	       state == ISCSI_INI_SESSION_STATE_FAILED || state == ISCSI_INI_SESSION_STATE_REMOVED;
}

/* Host reset drops the connection and waits for the daemon's new one (or replacement_timeout). */
static int iscsi_ini_eh_host_reset(struct scsi_cmnd *sc)
{
	struct iscsi_ini_session *sess = shost_priv(sc->device->host);
	unsigned long timeout = (READ_ONCE(sess->p.replacement_timeout) + 10) * HZ;

	shost_printk(KERN_INFO, sess->shost, "host reset: dropping the connections\n");
	/* one failed connection takes the others down with it (err_work) */
	iscsi_ini_conn_error(sess->conns[0], -ECONNABORTED);
	wait_event_timeout(sess->state_wait, iscsi_ini_session_settled(sess), timeout);
	switch (READ_ONCE(sess->state)) {
	case ISCSI_INI_SESSION_STATE_LOGGED_IN:
	case ISCSI_INI_SESSION_STATE_FAILED:
		/* failed sessions stay: their I/O fails fast instead of the devices going offline */
		return SUCCESS;
	default:
		return FAILED;
	}
}

/*
 * sysfs: /sys/class/scsi_host/hostN/{target_name,initiator_name,portal,tpgt,session_state,session_id},
 * for udev rules that name disks after their target.
 */

static struct iscsi_ini_session *iscsi_ini_dev_session(struct device *dev)
{
	return shost_priv(class_to_shost(dev));
}

static ssize_t target_name_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", iscsi_ini_dev_session(dev)->ident.target_name);
}
static DEVICE_ATTR_RO(target_name);

static ssize_t initiator_name_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", iscsi_ini_dev_session(dev)->ident.initiator_name);
}
static DEVICE_ATTR_RO(initiator_name);

static ssize_t portal_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", iscsi_ini_dev_session(dev)->ident.portal);
}
static DEVICE_ATTR_RO(portal);

static ssize_t tpgt_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", iscsi_ini_dev_session(dev)->ident.tpgt);
}
static DEVICE_ATTR_RO(tpgt);

/* "state" is taken: the midlayer's own host state */
static ssize_t session_state_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", iscsi_ini_state_name(READ_ONCE(iscsi_ini_dev_session(dev)->state)));
}
static DEVICE_ATTR_RO(session_state);

static ssize_t session_id_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", iscsi_ini_dev_session(dev)->id);
}
static DEVICE_ATTR_RO(session_id);

static struct attribute *iscsi_ini_host_attrs[] = {
	&dev_attr_target_name.attr,
	&dev_attr_initiator_name.attr,
	&dev_attr_portal.attr,
	&dev_attr_tpgt.attr,
	&dev_attr_session_state.attr,
	&dev_attr_session_id.attr,
	NULL,
};
ATTRIBUTE_GROUPS(iscsi_ini_host);

static struct scsi_host_template iscsi_ini_sht = {
	.module			= THIS_MODULE,
	.name			= "iSCSI initiator (iscsi_ini)",
	.proc_name		= "iscsi_ini",
	.queuecommand		= iscsi_ini_queuecommand,
	.commit_rqs		= iscsi_ini_commit_rqs,
	.map_queues		= iscsi_ini_map_queues,
	.eh_timed_out		= iscsi_ini_eh_timed_out,
	.eh_abort_handler	= iscsi_ini_eh_abort,
	.eh_device_reset_handler = iscsi_ini_eh_device_reset,
	.eh_target_reset_handler = iscsi_ini_eh_target_reset,
	.eh_host_reset_handler	= iscsi_ini_eh_host_reset,
	.change_queue_depth	= scsi_change_queue_depth,
	.can_queue		= ISCSI_INI_DEF_CMDS_MAX,
	.this_id		= -1,
	.sg_tablesize		= SG_ALL,
	.max_sectors		= 2048,
	.cmd_size		= sizeof(struct iscsi_ini_cmd),
	.shost_groups		= iscsi_ini_host_groups,
};

/*
 * MC/S at ErrorRecoveryLevel 0: when one connection fails, the target (LIO) keeps the session on
 * the others, and LIO 6.1 crashes when a session reinstatement meets a session whose connections
 * are still closing (iscsit_stop_session walks the connection list while they leave it). A Logout
 * that closes the session, on a connection that still works, ends it cleanly first: the target
 * then skips it when the daemon reinstates the session. Session mutex held; bounded wait.
 */
static void iscsi_ini_close_survivors(struct iscsi_ini_session *sess, struct iscsi_ini_conn *failed)
{
	struct iscsi_ini_conn *conn;
	struct iscsi_ini_ctl *ctl;
	int i, ret;

	iscsi_ini_for_each_conn(sess, i, conn) {
		if (conn == failed || !iscsi_ini_conn_live(conn))
			continue;
		ctl = &conn->ctl[ISCSI_INI_CTL_LOGOUT];
		iscsi_ini_prep_logout(conn, ctl);
		ret = iscsi_ini_conn_ctl_send(conn, ctl, ISCSI_INI_MCS_CLOSE_TIMEOUT);
		if (ret != ISCSI_LOGOUT_RSP_CLOSED)
			pr_warn("session %u: closing the session on connection %u answered %d\n", sess->id,
				conn->cid, ret);
		return;
	}
}

/* Connection failure: runs once per failed connection, after io_work has let go. */
static void iscsi_ini_err_work(struct work_struct *work)
{
	struct iscsi_ini_conn *conn = container_of(work, struct iscsi_ini_conn, err_work);
	struct iscsi_ini_session *sess = conn->sess;
	struct iscsi_ini_conn *c;
	bool closed;
	int err, i;

	mutex_lock(&sess->mutex);
	if (sess->removing || READ_ONCE(conn->state) != ISCSI_INI_CONN_FAILED)
		goto unlock;
	err = conn->error;
	/* after a Logout the target asked for, the session is closed already */
	closed = sess->state == ISCSI_INI_SESSION_STATE_LOGGING_OUT;
	iscsi_ini_session_block(sess);
	/* no command goes to the connections still live from here on */
	iscsi_ini_set_state(sess, ISCSI_INI_SESSION_STATE_RECOVERING);
	if (!closed)
		iscsi_ini_close_survivors(sess, conn);
	/*
	 * ErrorRecoveryLevel 0: the session fails with any of its connections. The target drops
	 * the others when the daemon reinstates the session; stopping them here puts all commands
	 * back to the midlayer at once, and their err_work finds nothing left to do.
	 */
	iscsi_ini_for_each_conn(sess, i, c)
		iscsi_ini_conn_stop(c);
	iscsi_ini_nl_notify_conn_error(sess, conn->cid, err);
	queue_delayed_work(iscsi_ini_recovery_wq, &sess->replacement_work,
			   READ_ONCE(sess->p.replacement_timeout) * HZ);
unlock:
	mutex_unlock(&sess->mutex);
}

static void iscsi_ini_replacement_work(struct work_struct *work)
{
	struct iscsi_ini_session *sess = container_of(to_delayed_work(work), struct iscsi_ini_session,
						      replacement_work);

	mutex_lock(&sess->mutex);
	if (!sess->removing && sess->state == ISCSI_INI_SESSION_STATE_RECOVERING) {
		pr_warn("session %u: no new connection within %u s: failing I/O until one comes\n",
			sess->id, sess->p.replacement_timeout);
		iscsi_ini_set_state(sess, ISCSI_INI_SESSION_STATE_FAILED);
		iscsi_ini_session_unblock(sess);
	}
	mutex_unlock(&sess->mutex);
}

/*
 * Numbers the request (scan-gen) and queues the scan. A request made while scan_work runs
 * queues it again, and each run reads the count before it scans: a run covers every request
 * counted before it began, and its scan-done says up to which one.
 */
static u32 iscsi_ini_session_request_scan(struct iscsi_ini_session *sess)
{
	u32 gen = atomic_inc_return(&sess->scan_requested);

	queue_work(system_long_wq, &sess->scan_work);
	return gen;
}

static void iscsi_ini_scan_work(struct work_struct *work)
{
	struct iscsi_ini_session *sess = container_of(work, struct iscsi_ini_session, scan_work);
	u32 gen = atomic_read(&sess->scan_requested);
	struct scsi_device *sdev;

	/*
	 * The LUNs already known first: their capacity and identity are read again, so a LUN grown
	 * on the target shows its new size (the first scan has none yet).
	 */
	shost_for_each_device(sdev, sess->shost)
		scsi_rescan_device(sdev);
	/*
	 * Then the target's one SCSI target, in this thread: unlike scsi_scan_host, which hands the
	 * scan to another thread when scanning is asynchronous, so the event below would come too
	 * early. The daemon's login answers once this event came and the LUNs' disks are there.
	 */
	scsi_scan_target(&sess->shost->shost_gendev, 0, 0, SCAN_WILD_CARD, SCSI_SCAN_INITIAL);
	iscsi_ini_nl_notify_scan_done(sess, gen);
}

static bool iscsi_ini_cmds_in_flight(struct iscsi_ini_session *sess)
{
	unsigned int tag;

	for (tag = 0; tag < sess->p.cmds_max; tag++)
		if (READ_ONCE(sess->itt_map[tag]))
			return true;
	return false;
}

/* Holds new I/O, lets the commands in flight finish, and exchanges Logout. Session mutex held. */
static void iscsi_ini_session_logout(struct iscsi_ini_session *sess)
{
	/* "close the session" on the leading connection closes every connection of the session */
	struct iscsi_ini_conn *conn = sess->conns[0];
	struct iscsi_ini_ctl *ctl = &conn->ctl[ISCSI_INI_CTL_LOGOUT];
	int ret;

	iscsi_ini_set_state(sess, ISCSI_INI_SESSION_STATE_LOGGING_OUT);
	iscsi_ini_session_block(sess);
	wait_event_timeout(sess->cmd_wait, !iscsi_ini_cmds_in_flight(sess) || !iscsi_ini_all_live(sess),
			   ISCSI_INI_LOGOUT_TIMEOUT);
	iscsi_ini_prep_logout(conn, ctl);
	ret = iscsi_ini_conn_ctl_send(conn, ctl, ISCSI_INI_LOGOUT_TIMEOUT);
	if (ret != ISCSI_LOGOUT_RSP_CLOSED)
		pr_warn("session %u: logout answered %d\n", sess->id, ret);
	else
		pr_info("session %u: logged out\n", sess->id);
}

/* The target asked for a logout (Async Message): log out, then recover like after a failure. */
static void iscsi_ini_logout_req_work(struct work_struct *work)
{
	struct iscsi_ini_session *sess = container_of(work, struct iscsi_ini_session, logout_req_work);

	mutex_lock(&sess->mutex);
	if (!sess->removing && sess->state == ISCSI_INI_SESSION_STATE_LOGGED_IN &&
	    iscsi_ini_conn_live(sess->conns[0])) {
		iscsi_ini_session_logout(sess);
		iscsi_ini_conn_error(sess->conns[0], -ECONNABORTED);
	}
	mutex_unlock(&sess->mutex);
}

void iscsi_ini_session_request_logout(struct iscsi_ini_session *sess)
{
	queue_work(iscsi_ini_recovery_wq, &sess->logout_req_work);
}

struct iscsi_ini_session *iscsi_ini_session_create(const struct iscsi_ini_ident *ident,
						   const struct iscsi_ini_params *p, struct net *net)
{
	struct iscsi_ini_session *sess;
	struct Scsi_Host *shost;
	int ret, i;

	/* every session pins the module: rmmod with sessions is refused */
	if (!try_module_get(THIS_MODULE))
		return ERR_PTR(-ENODEV);
	shost = scsi_host_alloc(&iscsi_ini_sht, sizeof(*sess));
	if (!shost) {
		ret = -ENOMEM;
		goto err_put_module;
	}
	sess = shost_priv(shost);
	sess->shost = shost;
	sess->ident = *ident;
	sess->p = *p;
	sess->queue_depth = p->cmds_max;
	sess->state = ISCSI_INI_SESSION_STATE_NEW;
	spin_lock_init(&sess->lock);
	mutex_init(&sess->mutex);
	mutex_init(&sess->tmf_mutex);
	init_waitqueue_head(&sess->state_wait);
	INIT_DELAYED_WORK(&sess->replacement_work, iscsi_ini_replacement_work);
	INIT_WORK(&sess->scan_work, iscsi_ini_scan_work);
	INIT_WORK(&sess->logout_req_work, iscsi_ini_logout_req_work);
	init_waitqueue_head(&sess->cmd_wait);

	ret = -ENOMEM;
	sess->itt_map = kcalloc(p->cmds_max, sizeof(*sess->itt_map), GFP_KERNEL);
	sess->itt_gen = kcalloc(p->cmds_max, sizeof(*sess->itt_gen), GFP_KERNEL);
	if (!sess->itt_map || !sess->itt_gen)
		goto err_free_buffers;
	for (i = 0; i < p->max_conns; i++) {
		sess->conns[i] = iscsi_ini_conn_alloc(sess, i);
		if (!sess->conns[i])
			goto err_free_buffers;
		INIT_WORK(&sess->conns[i]->err_work, iscsi_ini_err_work);
	}

	shost->can_queue = p->cmds_max;
	shost->cmd_per_lun = p->cmds_max;
	shost->max_id = 1;
	shost->max_channel = 0;
	shost->max_lun = ISCSI_INI_MAX_LUN;
	shost->max_cmd_len = ISCSI_CDB_LEN;
	/* one queue per connection; tags stay session-wide, they are the ITTs' low halves */
	shost->nr_hw_queues = p->max_conns;
	shost->host_tagset = 1;
	/* a closed CmdSN window makes queuecommand busy; retry at the next chance, no back-off */
	shost->max_host_blocked = 1;

	ret = xa_alloc_cyclic(&iscsi_ini_sessions, &sess->id, sess, XA_LIMIT(1, INT_MAX),
			      &iscsi_ini_next_id, GFP_KERNEL);
	if (ret < 0)
		goto err_free_buffers;
	sess->net = get_net(net);
	ret = scsi_add_host(shost, NULL);
	if (ret)
		goto err_erase_id;
	/*
	 * queuecommand may sleep, so it can send on the socket itself (6.1 has no
	 * queuecommand_may_block: the flag goes on the tag set before any LUN's queue is made from
	 * it, at scan time). No elevator by default: the target orders the I/O, and for blocking
	 * queues an elevator's dispatch runs in kblockd, away from the submitter.
	 */
	shost->tag_set.flags |= BLK_MQ_F_BLOCKING | BLK_MQ_F_NO_SCHED_BY_DEFAULT;
	for (i = 0; i < p->max_conns; i++)
		sess->conns[i]->inline_send = true;
	pr_info("session %u: host%u for %s at %s, up to %u connection(s)\n", sess->id, shost->host_no,
		ident->target_name, ident->portal, p->max_conns);
	return sess;

err_erase_id:
	put_net(sess->net);
	xa_erase(&iscsi_ini_sessions, sess->id);
err_free_buffers:
	for (i = 0; i < p->max_conns; i++)
		iscsi_ini_conn_free(sess->conns[i]);
	kfree(sess->itt_gen);
	kfree(sess->itt_map);
	scsi_host_put(shost);
err_put_module:
	module_put(THIS_MODULE);
	return ERR_PTR(ret);
}

/* Callers hold the genl mutex, which also serialises removal: the session stays valid. */
struct iscsi_ini_session *iscsi_ini_session_lookup(struct net *net, u32 id)
{
	struct iscsi_ini_session *sess = xa_load(&iscsi_ini_sessions, id);

	return sess && net_eq(sess->net, net) ? sess : NULL;
}

struct iscsi_ini_session *iscsi_ini_session_next(struct net *net, unsigned long *index)
{
	struct iscsi_ini_session *sess;

	xa_for_each_start(&iscsi_ini_sessions, *index, sess, *index) {
		if (net_eq(sess->net, net))
			return sess;
	}
	return NULL;
}

static void iscsi_ini_start_failed(int ret, struct netlink_ext_ack *extack)
{
	if (ret == -EBUSY)
		NL_SET_ERR_MSG(extack, "socket already in use by the kernel");
	else if (ret == -ENOTCONN)
		NL_SET_ERR_MSG(extack, "socket is not connected");
	else
		NL_SET_ERR_MSG(extack, "not a TCP socket");
}

/* A further connection (CID 1 and up) joins a session that is logged in on its leading one. */
static int iscsi_ini_session_add_conn(struct iscsi_ini_session *sess, struct socket *sock, u16 cid,
				      u32 exp_stat_sn, u32 exp_cmd_sn, u32 max_cmd_sn,
				      struct netlink_ext_ack *extack)
{
	struct iscsi_ini_conn *conn;
	bool stale = false;
	u32 cmd_sn;
	int ret;

	if (cid >= sess->p.max_conns) {
		NL_SET_ERR_MSG(extack, "CID not below the session's max-connections");
		return -EINVAL;
	}
	if (sess->state != ISCSI_INI_SESSION_STATE_LOGGED_IN || !iscsi_ini_conn_live(sess->conns[0])) {
		NL_SET_ERR_MSG(extack, "session is not logged in on its leading connection (CID 0)");
		return -ENOTCONN;
	}
	conn = sess->conns[cid];
	if (conn->sock) {
		NL_SET_ERR_MSG(extack, "session already has a connection with this CID");
		return -EBUSY;
	}
	/*
	 * The login's window may be older than what the leading connection has seen since: only a
	 * newer one counts, and an inconsistent one is refused like a leading connection's.
	 */
	if (iscsi_ini_sn_lt(max_cmd_sn, exp_cmd_sn - 1)) {
		NL_SET_ERR_MSG(extack, "inconsistent ExpCmdSN and MaxCmdSN");
		return -EINVAL;
	}
	iscsi_ini_session_update_window(sess, exp_cmd_sn, max_cmd_sn, &stale);
	if (stale) {
		NL_SET_ERR_MSG(extack, "ExpCmdSN beyond the session's CmdSN");
		return -EINVAL;
	}
	spin_lock_irq(&sess->lock);
	cmd_sn = sess->cmd_sn;
	spin_unlock_irq(&sess->lock);
	ret = iscsi_ini_conn_start(conn, sock, cid, exp_stat_sn, cmd_sn);
	if (ret) {
		iscsi_ini_start_failed(ret, extack);
		return ret;
	}
	atomic64_inc(&sess->stats.binds);
	pr_info("session %u: connection %u added\n", sess->id, cid);
	return 0;
}

int iscsi_ini_session_bind(struct iscsi_ini_session *sess, struct socket *sock, u16 cid,
			   u32 exp_stat_sn, u32 cmd_sn, u32 exp_cmd_sn, u32 max_cmd_sn,
			   struct netlink_ext_ack *extack)
{
	struct iscsi_ini_conn *conn;
	bool first;
	int ret, i;

	mutex_lock(&sess->mutex);
	ret = -EBUSY;
	if (sess->removing || sess->state == ISCSI_INI_SESSION_STATE_LOGGING_OUT) {
		NL_SET_ERR_MSG(extack, "session is going away");
		goto unlock;
	}
	if (cid) {
		ret = iscsi_ini_session_add_conn(sess, sock, cid, exp_stat_sn, exp_cmd_sn, max_cmd_sn, extack);
		goto unlock;
	}
	if (sess->state == ISCSI_INI_SESSION_STATE_LOGGED_IN) {
		NL_SET_ERR_MSG(extack, "session already has a connection (or is going away)");
		goto unlock;
	}
	/* a leading connection starts the session over: no connection of the last one is left */
	iscsi_ini_for_each_conn(sess, i, conn) {
		if (conn->sock) {
			NL_SET_ERR_MSG(extack, "session already has a connection (or is going away)");
			goto unlock;
		}
	}
	ret = -EINVAL;
	if (iscsi_ini_sn_lt(max_cmd_sn, exp_cmd_sn - 1) || iscsi_ini_sn_lt(cmd_sn, exp_cmd_sn)) {
		NL_SET_ERR_MSG(extack, "inconsistent CmdSN, ExpCmdSN and MaxCmdSN");
		goto unlock;
	}
	spin_lock_irq(&sess->lock);
	sess->cmd_sn = cmd_sn;
	sess->exp_cmd_sn = exp_cmd_sn;
	sess->max_cmd_sn = max_cmd_sn;
	sess->window_closed = false;
	spin_unlock_irq(&sess->lock);
	ret = iscsi_ini_conn_start(sess->conns[0], sock, cid, exp_stat_sn, cmd_sn);
	if (ret) {
		iscsi_ini_start_failed(ret, extack);
		goto unlock;
	}
	cancel_delayed_work(&sess->replacement_work);
	first = sess->state == ISCSI_INI_SESSION_STATE_NEW;
	atomic64_inc(&sess->stats.binds);
	iscsi_ini_set_state(sess, ISCSI_INI_SESSION_STATE_LOGGED_IN);
	iscsi_ini_session_unblock(sess);
	pr_info("session %u: connection %u bound%s\n", sess->id, cid, first ? "" : ", I/O resumes");
	if (first)
		iscsi_ini_session_request_scan(sess);
unlock:
	mutex_unlock(&sess->mutex);
	return ret;
}

void iscsi_ini_session_remove(struct iscsi_ini_session *sess, bool logout)
{
	struct iscsi_ini_conn *conn;
	int i;

	mutex_lock(&sess->mutex);
	if (logout && sess->state == ISCSI_INI_SESSION_STATE_LOGGED_IN && iscsi_ini_conn_live(sess->conns[0]))
		iscsi_ini_session_logout(sess);
	sess->removing = true;
	iscsi_ini_session_block(sess);
	iscsi_ini_for_each_conn(sess, i, conn)
		iscsi_ini_conn_stop(conn);
	/* what is still queued now fails with DID_NO_CONNECT */
	iscsi_ini_set_state(sess, ISCSI_INI_SESSION_STATE_REMOVED);
	iscsi_ini_session_unblock(sess);
	mutex_unlock(&sess->mutex);

	iscsi_ini_for_each_conn(sess, i, conn)
		cancel_work_sync(&conn->err_work);
	cancel_delayed_work_sync(&sess->replacement_work);
	cancel_work_sync(&sess->logout_req_work);
	cancel_work_sync(&sess->scan_work);
	scsi_remove_host(sess->shost);
	xa_erase(&iscsi_ini_sessions, sess->id);
	pr_info("session %u: removed\n", sess->id);

	put_net(sess->net);
	iscsi_ini_for_each_conn(sess, i, conn)
		iscsi_ini_conn_free(conn);
	kfree(sess->itt_gen);
	kfree(sess->itt_map);
	scsi_host_put(sess->shost);
	module_put(THIS_MODULE);
}

void iscsi_ini_session_set(struct iscsi_ini_session *sess, const u32 *replacement_timeout,
			   const u32 *noop_interval, const u32 *noop_timeout, const u16 *queue_depth)
{
	struct scsi_device *sdev;

	mutex_lock(&sess->mutex);
	if (replacement_timeout) {
		WRITE_ONCE(sess->p.replacement_timeout, *replacement_timeout);
		if (sess->state == ISCSI_INI_SESSION_STATE_RECOVERING)
			mod_delayed_work(iscsi_ini_recovery_wq, &sess->replacement_work,
					 *replacement_timeout * HZ);
	}
	if (noop_interval)
		WRITE_ONCE(sess->p.noop_interval, *noop_interval);
	if (noop_timeout)
		WRITE_ONCE(sess->p.noop_timeout, *noop_timeout);
	if (noop_interval || noop_timeout) {
		struct iscsi_ini_conn *conn;
		int i;

		iscsi_ini_for_each_conn(sess, i, conn)
			iscsi_ini_conn_reschedule_nop(conn);
	}
	if (queue_depth) {
		sess->queue_depth = min(*queue_depth, sess->p.cmds_max);
		shost_for_each_device(sdev, sess->shost)
			scsi_change_queue_depth(sdev, sess->queue_depth);
	}
	mutex_unlock(&sess->mutex);
}

int iscsi_ini_session_rescan(struct iscsi_ini_session *sess, u32 *gen)
{
	if (READ_ONCE(sess->state) != ISCSI_INI_SESSION_STATE_LOGGED_IN)
		return -ENOTCONN;
	*gen = iscsi_ini_session_request_scan(sess);
	return 0;
}
