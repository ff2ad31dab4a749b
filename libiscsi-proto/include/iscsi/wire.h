/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iSCSI wire format (RFC 7143 section 11), shared by the kernel module and the C++ library.
 * Plain C with fixed-width types: no libc in the kernel build. Multi-byte fields are big-endian
 * on the wire and kept so in these structs (iscsi_be16/32/64); convert at the point of use.
 * Every field sits at its natural alignment, so no struct needs packing.
 */
#ifndef ISCSI_WIRE_H
#define ISCSI_WIRE_H

#ifdef __KERNEL__
#include <linux/types.h>
typedef __be16 iscsi_be16;
typedef __be32 iscsi_be32;
typedef __be64 iscsi_be64;
#else
#include <stdint.h>
typedef uint16_t iscsi_be16;
typedef uint32_t iscsi_be32;
typedef uint64_t iscsi_be64;
#endif

#ifdef __cplusplus
#define ISCSI_WIRE_SIZE(type, size) static_assert(sizeof(type) == (size), #type " has the wrong size")
#else
#define ISCSI_WIRE_SIZE(type, size) _Static_assert(sizeof(type) == (size), #type " has the wrong size")
#endif

#define ISCSI_BHS_LEN 48
#define ISCSI_DIGEST_LEN 4
#define ISCSI_PAD 4 /* data segments and AHS are padded to a multiple of 4 bytes */
#define ISCSI_MAX_DATA_SEG_LEN 0xffffff /* DataSegmentLength is a 24-bit field */
#define ISCSI_MAX_AHS_LEN (255 * 4) /* TotalAHSLength counts 4-byte words in one byte */
#define ISCSI_CDB_LEN 16 /* CDB bytes in the SCSI Command BHS; longer CDBs continue in an AHS */

/* The one Version-max/min/active value defined (RFC 7143 section 11.12.4) */
#define ISCSI_VERSION 0x00

/* An ITT or TTT value that refers to no task (RFC 7143 sections 11.18, 11.19) */
#define ISCSI_RESERVED_TAG 0xffffffffU

/* Opcodes (byte 0, low 6 bits). Initiator opcodes 0x00-0x1f, target opcodes 0x20-0x3f. */
enum iscsi_opcode {
	ISCSI_OP_NOP_OUT = 0x00,
	ISCSI_OP_SCSI_CMD = 0x01,
	ISCSI_OP_TMF_REQ = 0x02,
	ISCSI_OP_LOGIN_REQ = 0x03,
	ISCSI_OP_TEXT_REQ = 0x04,
	ISCSI_OP_DATA_OUT = 0x05,
	ISCSI_OP_LOGOUT_REQ = 0x06,
	ISCSI_OP_SNACK_REQ = 0x10,
	ISCSI_OP_NOP_IN = 0x20,
	ISCSI_OP_SCSI_RSP = 0x21,
	ISCSI_OP_TMF_RSP = 0x22,
	ISCSI_OP_LOGIN_RSP = 0x23,
	ISCSI_OP_TEXT_RSP = 0x24,
	ISCSI_OP_DATA_IN = 0x25,
	ISCSI_OP_LOGOUT_RSP = 0x26,
	ISCSI_OP_R2T = 0x31,
	ISCSI_OP_ASYNC_MSG = 0x32,
	ISCSI_OP_REJECT = 0x3f,
};

#define ISCSI_OPCODE_MASK 0x3f
#define ISCSI_OP_TARGET 0x20 /* set in every target opcode, clear in every initiator opcode */
#define ISCSI_OP_IMMEDIATE 0x40 /* I bit, initiator PDUs only */
#define ISCSI_FLAG_FINAL 0x80 /* F bit; always set where a PDU has no other use for it */

/* Byte 1 of the SCSI Command BHS (RFC 7143 section 11.3) */
#define ISCSI_CMD_FLAG_READ 0x40 /* R */
#define ISCSI_CMD_FLAG_WRITE 0x20 /* W */
#define ISCSI_CMD_ATTR_MASK 0x07 /* ATTR, one of enum iscsi_task_attr */

enum iscsi_task_attr {
	ISCSI_ATTR_UNTAGGED = 0,
	ISCSI_ATTR_SIMPLE = 1,
	ISCSI_ATTR_ORDERED = 2,
	ISCSI_ATTR_HEAD_OF_QUEUE = 3,
	ISCSI_ATTR_ACA = 4,
};

/* Byte 1 of the SCSI Response BHS (RFC 7143 section 11.4) */
#define ISCSI_RSP_FLAG_BIDI_OVERFLOW 0x10 /* o: bidirectional read residual overflow */
#define ISCSI_RSP_FLAG_BIDI_UNDERFLOW 0x08 /* u: bidirectional read residual underflow */
#define ISCSI_RSP_FLAG_OVERFLOW 0x04 /* O: residual overflow */
#define ISCSI_RSP_FLAG_UNDERFLOW 0x02 /* U: residual underflow */

/* SCSI Response, Response field (RFC 7143 section 11.4.3); 0x80-0xff are vendor specific */
enum iscsi_scsi_response {
	ISCSI_RESPONSE_COMPLETED = 0x00,
	ISCSI_RESPONSE_TARGET_FAILURE = 0x01,
};

/* SCSI status (RFC 7143 section 11.4.2, SAM) */
enum iscsi_scsi_status {
	ISCSI_STATUS_GOOD = 0x00,
	ISCSI_STATUS_CHECK_CONDITION = 0x02,
	ISCSI_STATUS_BUSY = 0x08,
	ISCSI_STATUS_RESERVATION_CONFLICT = 0x18,
	ISCSI_STATUS_TASK_SET_FULL = 0x28,
	ISCSI_STATUS_ACA_ACTIVE = 0x30,
	ISCSI_STATUS_TASK_ABORTED = 0x40,
};

/* Byte 1 of the SCSI Data-In BHS (RFC 7143 section 11.7); O and U as in the SCSI Response */
#define ISCSI_DATA_FLAG_ACK 0x40 /* A: the target asks for a DataACK SNACK */
#define ISCSI_DATA_FLAG_STATUS 0x01 /* S: the PDU carries the command's status */

/* Task Management Function Request, byte 1 without the F bit (RFC 7143 section 11.5.1) */
#define ISCSI_TMF_FUNCTION_MASK 0x7f

enum iscsi_tmf_function {
	ISCSI_TMF_ABORT_TASK = 1,
	ISCSI_TMF_ABORT_TASK_SET = 2,
	ISCSI_TMF_CLEAR_ACA = 3,
	ISCSI_TMF_CLEAR_TASK_SET = 4,
	ISCSI_TMF_LOGICAL_UNIT_RESET = 5,
	ISCSI_TMF_TARGET_WARM_RESET = 6,
	ISCSI_TMF_TARGET_COLD_RESET = 7,
	ISCSI_TMF_TASK_REASSIGN = 8,
};

/* Task Management Function Response, Response field (RFC 7143 section 11.6.1) */
enum iscsi_tmf_response {
	ISCSI_TMF_RSP_COMPLETE = 0,
	ISCSI_TMF_RSP_NO_TASK = 1,
	ISCSI_TMF_RSP_NO_LUN = 2,
	ISCSI_TMF_RSP_TASK_ALLEGIANT = 3,
	ISCSI_TMF_RSP_NO_REASSIGN = 4,
	ISCSI_TMF_RSP_NOT_SUPPORTED = 5,
	ISCSI_TMF_RSP_AUTH_FAILED = 6,
	ISCSI_TMF_RSP_REJECTED = 255,
};

/* Byte 1 of the Login Request and Response BHS (RFC 7143 sections 11.12, 11.13) */
#define ISCSI_LOGIN_FLAG_TRANSIT 0x80 /* T */
#define ISCSI_LOGIN_FLAG_CONTINUE 0x40 /* C */
#define ISCSI_LOGIN_CSG_MASK 0x0c
#define ISCSI_LOGIN_CSG_SHIFT 2
#define ISCSI_LOGIN_NSG_MASK 0x03

/* Login stages in CSG and NSG; 2 is reserved */
enum iscsi_login_stage {
	ISCSI_STAGE_SECURITY = 0,
	ISCSI_STAGE_OPERATIONAL = 1,
	ISCSI_STAGE_FULL_FEATURE = 3,
};

/* Login Response Status-Class (RFC 7143 section 11.13.5) */
enum iscsi_login_status_class {
	ISCSI_LOGIN_CLASS_SUCCESS = 0,
	ISCSI_LOGIN_CLASS_REDIRECT = 1,
	ISCSI_LOGIN_CLASS_INITIATOR_ERR = 2,
	ISCSI_LOGIN_CLASS_TARGET_ERR = 3,
};

/* Status-Class (high byte) and Status-Detail (low byte) as RFC 7143 section 11.13.5 tabulates them */
enum iscsi_login_status {
	ISCSI_LOGIN_STATUS_SUCCESS = 0x0000,
	ISCSI_LOGIN_STATUS_TARGET_MOVED_TEMP = 0x0101,
	ISCSI_LOGIN_STATUS_TARGET_MOVED_PERM = 0x0102,
	ISCSI_LOGIN_STATUS_INITIATOR_ERR = 0x0200,
	ISCSI_LOGIN_STATUS_AUTH_FAILED = 0x0201,
	ISCSI_LOGIN_STATUS_FORBIDDEN = 0x0202,
	ISCSI_LOGIN_STATUS_NOT_FOUND = 0x0203,
	ISCSI_LOGIN_STATUS_TARGET_REMOVED = 0x0204,
	ISCSI_LOGIN_STATUS_UNSUPPORTED_VERSION = 0x0205,
	ISCSI_LOGIN_STATUS_TOO_MANY_CONNECTIONS = 0x0206,
	ISCSI_LOGIN_STATUS_MISSING_PARAMETER = 0x0207,
	ISCSI_LOGIN_STATUS_CANT_INCLUDE_IN_SESSION = 0x0208,
	ISCSI_LOGIN_STATUS_SESSION_TYPE_UNSUPPORTED = 0x0209,
	ISCSI_LOGIN_STATUS_SESSION_DOES_NOT_EXIST = 0x020a,
	ISCSI_LOGIN_STATUS_INVALID_DURING_LOGIN = 0x020b,
	ISCSI_LOGIN_STATUS_TARGET_ERR = 0x0300,
	ISCSI_LOGIN_STATUS_SERVICE_UNAVAILABLE = 0x0301,
	ISCSI_LOGIN_STATUS_OUT_OF_RESOURCES = 0x0302,
};

/* ISID byte 0: type in the top two bits (RFC 7143 section 11.12.5) */
#define ISCSI_ISID_LEN 6
#define ISCSI_ISID_TYPE_MASK 0xc0
#define ISCSI_ISID_TYPE_OUI 0x00 /* A reserved, B and C an IEEE OUI, D a qualifier */
#define ISCSI_ISID_TYPE_EN 0x40 /* A reserved, B and C an IANA enterprise number, D a qualifier */
#define ISCSI_ISID_TYPE_RANDOM 0x80 /* A reserved, B and C random, D a qualifier */

/* Byte 1 of the Text Request and Response BHS (RFC 7143 sections 11.10, 11.11) */
#define ISCSI_TEXT_FLAG_CONTINUE 0x40 /* C; F is ISCSI_FLAG_FINAL */

/* Logout Request, byte 1 without the F bit (RFC 7143 section 11.14.1) */
#define ISCSI_LOGOUT_REASON_MASK 0x7f

enum iscsi_logout_reason {
	ISCSI_LOGOUT_CLOSE_SESSION = 0,
	ISCSI_LOGOUT_CLOSE_CONNECTION = 1,
	ISCSI_LOGOUT_REMOVE_FOR_RECOVERY = 2,
};

/* Logout Response, Response field (RFC 7143 section 11.15.1) */
enum iscsi_logout_response {
	ISCSI_LOGOUT_RSP_CLOSED = 0,
	ISCSI_LOGOUT_RSP_CID_NOT_FOUND = 1,
	ISCSI_LOGOUT_RSP_RECOVERY_UNSUPPORTED = 2,
	ISCSI_LOGOUT_RSP_CLEANUP_FAILED = 3,
};

/* SNACK Request, byte 1 without the F bit (RFC 7143 section 11.16.1) */
#define ISCSI_SNACK_TYPE_MASK 0x0f

enum iscsi_snack_type {
	ISCSI_SNACK_DATA_R2T = 0,
	ISCSI_SNACK_STATUS = 1,
	ISCSI_SNACK_DATA_ACK = 2,
	ISCSI_SNACK_RDATA = 3,
};

/* Asynchronous Message, AsyncEvent field (RFC 7143 section 11.9.1) */
enum iscsi_async_event {
	ISCSI_ASYNC_SCSI_EVENT = 0,
	ISCSI_ASYNC_LOGOUT_REQUEST = 1,
	ISCSI_ASYNC_DROP_CONNECTION = 2,
	ISCSI_ASYNC_DROP_ALL_CONNECTIONS = 3,
	ISCSI_ASYNC_NEGOTIATE = 4,
	ISCSI_ASYNC_VENDOR = 255,
};

/* Reject, Reason field (RFC 7143 section 11.17.1) */
enum iscsi_reject_reason {
	ISCSI_REJECT_DATA_DIGEST = 0x02,
	ISCSI_REJECT_SNACK = 0x03,
	ISCSI_REJECT_PROTOCOL_ERROR = 0x04,
	ISCSI_REJECT_CMD_NOT_SUPPORTED = 0x05,
	ISCSI_REJECT_IMMEDIATE_CMD = 0x06,
	ISCSI_REJECT_TASK_IN_PROGRESS = 0x07,
	ISCSI_REJECT_INVALID_DATA_ACK = 0x08,
	ISCSI_REJECT_INVALID_PDU_FIELD = 0x09,
	ISCSI_REJECT_LONG_OP = 0x0a,
	ISCSI_REJECT_DEPRECATED = 0x0b,
	ISCSI_REJECT_WAITING_FOR_LOGOUT = 0x0c,
};

/* AHSType (RFC 7143 section 11.2.2.2); the top two bits are reserved */
#define ISCSI_AHS_TYPE_MASK 0x3f

enum iscsi_ahs_type {
	ISCSI_AHS_EXTENDED_CDB = 1,
	ISCSI_AHS_BIDI_READ_LENGTH = 2,
};

/*
 * The start of every AHS. ahs_len counts the bytes after ahs_type (ahs_specific included),
 * padding excluded; each AHS is padded to a multiple of 4 bytes.
 */
struct iscsi_ahs_hdr {
	iscsi_be16 ahs_len;
	uint8_t ahs_type;
	uint8_t ahs_specific;
};
ISCSI_WIRE_SIZE(struct iscsi_ahs_hdr, 4);

/* ahs_len is 5 */
struct iscsi_ahs_bidi_read_length {
	iscsi_be16 ahs_len;
	uint8_t ahs_type;
	uint8_t reserved;
	iscsi_be32 read_length;
};
ISCSI_WIRE_SIZE(struct iscsi_ahs_bidi_read_length, 8);

/* The layout common to every Basic Header Segment (RFC 7143 section 11.2.1). */
struct iscsi_bhs {
	uint8_t opcode;
	uint8_t flags;
	uint8_t opcode_specific[2];
	uint8_t total_ahs_len; /* in 4-byte words */
	uint8_t data_seg_len[3]; /* bytes, big-endian 24 bit, padding excluded */
	uint8_t lun[8];
	iscsi_be32 itt;
	uint8_t opcode_specific2[28];
};
ISCSI_WIRE_SIZE(struct iscsi_bhs, ISCSI_BHS_LEN);

/* Initiator PDUs */

/* NOP-Out (RFC 7143 section 11.18) */
struct iscsi_nop_out_bhs {
	uint8_t opcode;
	uint8_t flags;
	uint8_t reserved1[2];
	uint8_t total_ahs_len;
	uint8_t data_seg_len[3];
	uint8_t lun[8];
	iscsi_be32 itt;
	iscsi_be32 ttt;
	iscsi_be32 cmd_sn;
	iscsi_be32 exp_stat_sn;
	uint8_t reserved2[16];
};
ISCSI_WIRE_SIZE(struct iscsi_nop_out_bhs, ISCSI_BHS_LEN);

/* SCSI Command (RFC 7143 section 11.3) */
struct iscsi_scsi_cmd_bhs {
	uint8_t opcode;
	uint8_t flags;
	uint8_t reserved[2];
	uint8_t total_ahs_len;
	uint8_t data_seg_len[3];
	uint8_t lun[8];
	iscsi_be32 itt;
	iscsi_be32 exp_data_len;
	iscsi_be32 cmd_sn;
	iscsi_be32 exp_stat_sn;
	uint8_t cdb[ISCSI_CDB_LEN];
};
ISCSI_WIRE_SIZE(struct iscsi_scsi_cmd_bhs, ISCSI_BHS_LEN);

/* Task Management Function Request (RFC 7143 section 11.5) */
struct iscsi_tmf_req_bhs {
	uint8_t opcode;
	uint8_t flags; /* F and the function */
	uint8_t reserved1[2];
	uint8_t total_ahs_len;
	uint8_t data_seg_len[3];
	uint8_t lun[8];
	iscsi_be32 itt;
	iscsi_be32 ref_task_tag;
	iscsi_be32 cmd_sn;
	iscsi_be32 exp_stat_sn;
	iscsi_be32 ref_cmd_sn;
	iscsi_be32 exp_data_sn;
	uint8_t reserved2[8];
};
ISCSI_WIRE_SIZE(struct iscsi_tmf_req_bhs, ISCSI_BHS_LEN);

/* Login Request (RFC 7143 section 11.12) */
struct iscsi_login_req_bhs {
	uint8_t opcode;
	uint8_t flags; /* T, C, CSG, NSG */
	uint8_t version_max;
	uint8_t version_min;
	uint8_t total_ahs_len;
	uint8_t data_seg_len[3];
	uint8_t isid[ISCSI_ISID_LEN];
	iscsi_be16 tsih;
	iscsi_be32 itt;
	iscsi_be16 cid;
	uint8_t reserved1[2];
	iscsi_be32 cmd_sn;
	iscsi_be32 exp_stat_sn;
	uint8_t reserved2[16];
};
ISCSI_WIRE_SIZE(struct iscsi_login_req_bhs, ISCSI_BHS_LEN);

/* Text Request (RFC 7143 section 11.10) */
struct iscsi_text_req_bhs {
	uint8_t opcode;
	uint8_t flags; /* F, C */
	uint8_t reserved1[2];
	uint8_t total_ahs_len;
	uint8_t data_seg_len[3];
	uint8_t lun[8];
	iscsi_be32 itt;
	iscsi_be32 ttt;
	iscsi_be32 cmd_sn;
	iscsi_be32 exp_stat_sn;
	uint8_t reserved2[16];
};
ISCSI_WIRE_SIZE(struct iscsi_text_req_bhs, ISCSI_BHS_LEN);

/* SCSI Data-Out (RFC 7143 section 11.7) */
struct iscsi_data_out_bhs {
	uint8_t opcode;
	uint8_t flags; /* F */
	uint8_t reserved1[2];
	uint8_t total_ahs_len;
	uint8_t data_seg_len[3];
	uint8_t lun[8];
	iscsi_be32 itt;
	iscsi_be32 ttt;
	uint8_t reserved2[4];
	iscsi_be32 exp_stat_sn;
	uint8_t reserved3[4];
	iscsi_be32 data_sn;
	iscsi_be32 buffer_offset;
	uint8_t reserved4[4];
};
ISCSI_WIRE_SIZE(struct iscsi_data_out_bhs, ISCSI_BHS_LEN);

/* Logout Request (RFC 7143 section 11.14) */
struct iscsi_logout_req_bhs {
	uint8_t opcode;
	uint8_t flags; /* F and the reason code */
	uint8_t reserved1[2];
	uint8_t total_ahs_len;
	uint8_t data_seg_len[3];
	uint8_t reserved2[8];
	iscsi_be32 itt;
	iscsi_be16 cid;
	uint8_t reserved3[2];
	iscsi_be32 cmd_sn;
	iscsi_be32 exp_stat_sn;
	uint8_t reserved4[16];
};
ISCSI_WIRE_SIZE(struct iscsi_logout_req_bhs, ISCSI_BHS_LEN);

/* SNACK Request (RFC 7143 section 11.16) */
struct iscsi_snack_req_bhs {
	uint8_t opcode;
	uint8_t flags; /* F and the type */
	uint8_t reserved1[2];
	uint8_t total_ahs_len;
	uint8_t data_seg_len[3];
	uint8_t lun[8];
	iscsi_be32 itt;
	iscsi_be32 ttt_or_snack_tag;
	uint8_t reserved2[4];
	iscsi_be32 exp_stat_sn;
	uint8_t reserved3[8];
	iscsi_be32 beg_run;
	iscsi_be32 run_length;
};
ISCSI_WIRE_SIZE(struct iscsi_snack_req_bhs, ISCSI_BHS_LEN);

/* Target PDUs */

/* NOP-In (RFC 7143 section 11.19) */
struct iscsi_nop_in_bhs {
	uint8_t opcode;
	uint8_t flags;
	uint8_t reserved1[2];
	uint8_t total_ahs_len;
	uint8_t data_seg_len[3];
	uint8_t lun[8];
	iscsi_be32 itt;
	iscsi_be32 ttt;
	iscsi_be32 stat_sn;
	iscsi_be32 exp_cmd_sn;
	iscsi_be32 max_cmd_sn;
	uint8_t reserved2[12];
};
ISCSI_WIRE_SIZE(struct iscsi_nop_in_bhs, ISCSI_BHS_LEN);

/* SCSI Response (RFC 7143 section 11.4) */
struct iscsi_scsi_rsp_bhs {
	uint8_t opcode;
	uint8_t flags; /* o, u, O, U */
	uint8_t response;
	uint8_t status;
	uint8_t total_ahs_len;
	uint8_t data_seg_len[3];
	uint8_t reserved[8];
	iscsi_be32 itt;
	iscsi_be32 snack_tag;
	iscsi_be32 stat_sn;
	iscsi_be32 exp_cmd_sn;
	iscsi_be32 max_cmd_sn;
	iscsi_be32 exp_data_sn;
	iscsi_be32 bidi_residual_count;
	iscsi_be32 residual_count;
};
ISCSI_WIRE_SIZE(struct iscsi_scsi_rsp_bhs, ISCSI_BHS_LEN);

/* Task Management Function Response (RFC 7143 section 11.6) */
struct iscsi_tmf_rsp_bhs {
	uint8_t opcode;
	uint8_t flags;
	uint8_t response;
	uint8_t reserved1;
	uint8_t total_ahs_len;
	uint8_t data_seg_len[3];
	uint8_t reserved2[8];
	iscsi_be32 itt;
	uint8_t reserved3[4];
	iscsi_be32 stat_sn;
	iscsi_be32 exp_cmd_sn;
	iscsi_be32 max_cmd_sn;
	uint8_t reserved4[12];
};
ISCSI_WIRE_SIZE(struct iscsi_tmf_rsp_bhs, ISCSI_BHS_LEN);

/* Login Response (RFC 7143 section 11.13) */
struct iscsi_login_rsp_bhs {
	uint8_t opcode;
	uint8_t flags; /* T, C, CSG, NSG */
	uint8_t version_max;
	uint8_t version_active;
	uint8_t total_ahs_len;
	uint8_t data_seg_len[3];
	uint8_t isid[ISCSI_ISID_LEN];
	iscsi_be16 tsih;
	iscsi_be32 itt;
	uint8_t reserved1[4];
	iscsi_be32 stat_sn;
	iscsi_be32 exp_cmd_sn;
	iscsi_be32 max_cmd_sn;
	uint8_t status_class;
	uint8_t status_detail;
	uint8_t reserved2[10];
};
ISCSI_WIRE_SIZE(struct iscsi_login_rsp_bhs, ISCSI_BHS_LEN);

/* Text Response (RFC 7143 section 11.11) */
struct iscsi_text_rsp_bhs {
	uint8_t opcode;
	uint8_t flags; /* F, C */
	uint8_t reserved1[2];
	uint8_t total_ahs_len;
	uint8_t data_seg_len[3];
	uint8_t lun[8];
	iscsi_be32 itt;
	iscsi_be32 ttt;
	iscsi_be32 stat_sn;
	iscsi_be32 exp_cmd_sn;
	iscsi_be32 max_cmd_sn;
	uint8_t reserved2[12];
};
ISCSI_WIRE_SIZE(struct iscsi_text_rsp_bhs, ISCSI_BHS_LEN);

/* SCSI Data-In (RFC 7143 section 11.7) */
struct iscsi_data_in_bhs {
	uint8_t opcode;
	uint8_t flags; /* F, A, O, U, S */
	uint8_t reserved1;
	uint8_t status; /* valid with S only */
	uint8_t total_ahs_len;
	uint8_t data_seg_len[3];
	uint8_t lun[8];
	iscsi_be32 itt;
	iscsi_be32 ttt;
	iscsi_be32 stat_sn;
	iscsi_be32 exp_cmd_sn;
	iscsi_be32 max_cmd_sn;
	iscsi_be32 data_sn;
	iscsi_be32 buffer_offset;
	iscsi_be32 residual_count;
};
ISCSI_WIRE_SIZE(struct iscsi_data_in_bhs, ISCSI_BHS_LEN);

/* Logout Response (RFC 7143 section 11.15) */
struct iscsi_logout_rsp_bhs {
	uint8_t opcode;
	uint8_t flags;
	uint8_t response;
	uint8_t reserved1;
	uint8_t total_ahs_len;
	uint8_t data_seg_len[3];
	uint8_t reserved2[8];
	iscsi_be32 itt;
	uint8_t reserved3[4];
	iscsi_be32 stat_sn;
	iscsi_be32 exp_cmd_sn;
	iscsi_be32 max_cmd_sn;
	uint8_t reserved4[4];
	iscsi_be16 time2wait;
	iscsi_be16 time2retain;
	uint8_t reserved5[4];
};
ISCSI_WIRE_SIZE(struct iscsi_logout_rsp_bhs, ISCSI_BHS_LEN);

/* Ready To Transfer (RFC 7143 section 11.8) */
struct iscsi_r2t_bhs {
	uint8_t opcode;
	uint8_t flags;
	uint8_t reserved1[2];
	uint8_t total_ahs_len;
	uint8_t data_seg_len[3];
	uint8_t lun[8];
	iscsi_be32 itt;
	iscsi_be32 ttt;
	iscsi_be32 stat_sn;
	iscsi_be32 exp_cmd_sn;
	iscsi_be32 max_cmd_sn;
	iscsi_be32 r2t_sn;
	iscsi_be32 buffer_offset;
	iscsi_be32 desired_data_len;
};
ISCSI_WIRE_SIZE(struct iscsi_r2t_bhs, ISCSI_BHS_LEN);

/* Asynchronous Message (RFC 7143 section 11.9); itt is ISCSI_RESERVED_TAG */
struct iscsi_async_msg_bhs {
	uint8_t opcode;
	uint8_t flags;
	uint8_t reserved1[2];
	uint8_t total_ahs_len;
	uint8_t data_seg_len[3];
	uint8_t lun[8];
	iscsi_be32 itt;
	uint8_t reserved2[4];
	iscsi_be32 stat_sn;
	iscsi_be32 exp_cmd_sn;
	iscsi_be32 max_cmd_sn;
	uint8_t async_event;
	uint8_t async_vcode;
	iscsi_be16 parameter1;
	iscsi_be16 parameter2;
	iscsi_be16 parameter3;
	uint8_t reserved3[4];
};
ISCSI_WIRE_SIZE(struct iscsi_async_msg_bhs, ISCSI_BHS_LEN);

/* Reject (RFC 7143 section 11.17); itt is ISCSI_RESERVED_TAG, the data segment the rejected BHS */
struct iscsi_reject_bhs {
	uint8_t opcode;
	uint8_t flags;
	uint8_t reason;
	uint8_t reserved1;
	uint8_t total_ahs_len;
	uint8_t data_seg_len[3];
	uint8_t reserved2[8];
	iscsi_be32 itt;
	uint8_t reserved3[4];
	iscsi_be32 stat_sn;
	iscsi_be32 exp_cmd_sn;
	iscsi_be32 max_cmd_sn;
	iscsi_be32 data_sn_or_r2t_sn;
	uint8_t reserved4[8];
};
ISCSI_WIRE_SIZE(struct iscsi_reject_bhs, ISCSI_BHS_LEN);

#endif /* ISCSI_WIRE_H */
