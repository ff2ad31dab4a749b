/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iSCSI wire format (RFC 7143 section 11), shared by the kernel module and the C++ library.
 * Plain C with fixed-width types: no libc in the kernel build. Multi-byte fields are big-endian
 * on the wire and kept so in these structs (iscsi_be16/32/64); convert at the point of use.
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
#define ISCSI_OP_IMMEDIATE 0x40 /* I bit, initiator PDUs only */
#define ISCSI_FLAG_FINAL 0x80   /* F bit */

/* The layout common to every Basic Header Segment (RFC 7143 section 11.2.1). */
struct iscsi_bhs {
	uint8_t opcode;
	uint8_t flags;
	uint8_t opcode_specific[2];
	uint8_t total_ahs_len;  /* in 4-byte words */
	uint8_t data_seg_len[3]; /* bytes, big-endian 24 bit, padding excluded */
	uint8_t lun[8];
	iscsi_be32 itt;
	uint8_t opcode_specific2[28];
};
ISCSI_WIRE_SIZE(struct iscsi_bhs, ISCSI_BHS_LEN);

#endif /* ISCSI_WIRE_H */
