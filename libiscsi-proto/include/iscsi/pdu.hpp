// SPDX-License-Identifier: GPL-2.0-or-later
// iSCSI PDUs (RFC 7143 sections 11.1-11.19): a raw PDU value (BHS, AHS, data segment), its wire
// encoding with padding and optional CRC32C digests, a two-step parser for socket readers that never
// trusts a length field, and typed views of every PDU for building and reading them.
//
// Reading from a socket:
//   read 48 bytes into bhs; n = remaining_length(bhs, limits); read n bytes into rest;
//   p = parse_pdu(bhs, rest, limits); then decode(p) or e.g. login_response_pdu::from_pdu(p).
#pragma once

#include "iscsi/result.hpp"
#include "iscsi/wire.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

namespace iscsi {

inline constexpr std::size_t bhs_size = ISCSI_BHS_LEN;
inline constexpr std::size_t digest_size = ISCSI_DIGEST_LEN;
inline constexpr std::size_t max_ahs_size = ISCSI_MAX_AHS_LEN;
inline constexpr std::uint32_t max_data_segment_size = ISCSI_MAX_DATA_SEG_LEN;
inline constexpr std::uint32_t reserved_tag = ISCSI_RESERVED_TAG;
// MaxRecvDataSegmentLength until negotiated otherwise (RFC 7143 section 13.12).
inline constexpr std::uint32_t default_max_data_segment_length = 8192;

using bhs_bytes = std::array<std::byte, bhs_size>;
using isid_bytes = std::array<std::uint8_t, ISCSI_ISID_LEN>;

// Big-endian fields at a byte offset, e.g. load_be32(p.bhs, offsetof(iscsi_r2t_bhs, r2t_sn)).
// The field must lie inside `bytes` (asserted).
std::uint16_t load_be16(std::span<const std::byte> bytes, std::size_t offset) noexcept;
std::uint32_t load_be24(std::span<const std::byte> bytes, std::size_t offset) noexcept;
std::uint32_t load_be32(std::span<const std::byte> bytes, std::size_t offset) noexcept;
std::uint64_t load_be64(std::span<const std::byte> bytes, std::size_t offset) noexcept;
void store_be16(std::span<std::byte> bytes, std::size_t offset, std::uint16_t value) noexcept;
void store_be24(std::span<std::byte> bytes, std::size_t offset, std::uint32_t value) noexcept;
void store_be32(std::span<std::byte> bytes, std::size_t offset, std::uint32_t value) noexcept;
void store_be64(std::span<std::byte> bytes, std::size_t offset, std::uint64_t value) noexcept;

// Which end of a connection sends a PDU.
enum class role : std::uint8_t { initiator, target };

// The sender of an opcode RFC 7143 defines; nullopt for undefined and vendor-specific opcodes.
std::optional<role> opcode_sender(std::uint8_t opcode) noexcept;

struct digest_settings {
    bool header = false; // HeaderDigest=CRC32C
    bool data = false;   // DataDigest=CRC32C
    bool operator==(const digest_settings&) const = default;
};

// What a receiver accepts. Digests are off during login and follow the negotiation afterwards.
struct receive_limits {
    role sender = role::target; // who sends the PDUs parsed; the other side's opcodes are refused
    std::uint32_t max_data_segment_length = default_max_data_segment_length; // our declared limit
    digest_settings digests;
};

// One PDU as carried on the wire, without padding and digests.
// serialize() writes TotalAHSLength and DataSegmentLength from `ahs` and `data`; parse_pdu() and
// the to_pdu() builders leave the BHS consistent with them.
struct pdu {
    bhs_bytes bhs{};
    std::vector<std::byte> ahs{};  // every AHS with its padding, TotalAHSLength * 4 bytes
    std::vector<std::byte> data{}; // the data segment, padding excluded

    iscsi_opcode opcode() const noexcept;
    bool immediate() const noexcept; // I bit (initiator PDUs)
    std::uint32_t itt() const noexcept;
    bool operator==(const pdu&) const = default;
};

// The bytes to send: BHS, AHS, header digest, data segment, padding, data digest.
// Fails with bad_length when `ahs` is not whole 4-byte words or longer than max_ahs_size, or
// `data` is longer than max_data_segment_size.
result<std::vector<std::byte>> serialize(const pdu& p, digest_settings digests);

// Step 1: from the BHS alone, how many bytes follow it (AHS, header digest, padded data segment,
// data digest). Fails with bad_opcode for an undefined opcode or one the expected sender does not
// send, and bad_length for a DataSegmentLength above limits.max_data_segment_length.
result<std::size_t> remaining_length(std::span<const std::byte, bhs_size> bhs, const receive_limits& limits);

// Step 2: the whole PDU from its BHS and the remaining_length() bytes after it. Also fails with
// truncated when `rest` is short, bad_length when it is longer or an AHS runs past TotalAHSLength,
// and bad_digest when a digest does not match. Padding bytes are not checked.
result<pdu> parse_pdu(std::span<const std::byte, bhs_size> bhs, std::span<const std::byte> rest,
                      const receive_limits& limits);

// Both steps on a buffer that starts with a PDU: the PDU and how many bytes it took.
// Fails with truncated while the buffer does not yet hold the whole PDU.
struct parsed_pdu {
    pdu value;
    std::size_t size = 0;
};
result<parsed_pdu> parse_next_pdu(std::span<const std::byte> buffer, const receive_limits& limits);

// One Additional Header Segment (RFC 7143 section 11.2.2).
struct ahs_entry {
    std::uint8_t type = 0;               // AHSType, see enum iscsi_ahs_type
    std::span<const std::byte> specific; // the AHSLength bytes after AHSType
};

// Splits the AHS area of a PDU; bad_length when an AHS claims more bytes than are left.
result<std::vector<ahs_entry>> split_ahs(std::span<const std::byte> ahs);

// Appends one AHS (header, `specific`, padding) to an AHS area. An AHS area past max_ahs_size,
// which any `specific` over 1017 bytes makes, is refused by serialize().
void append_ahs(std::vector<std::byte>& ahs, std::uint8_t type, std::span<const std::byte> specific);

// Typed PDUs. Each builds a pdu with to_pdu() and reads one with from_pdu(), which fails with
// bad_opcode for another opcode and bad_format for field combinations RFC 7143 forbids.
// LUN fields hold the 8 LUN bytes as a big-endian number (SAM encoding: LUN 1 is 0x0001000000000000).
// Reserved fields are written as zero and ignored when read.

enum class login_stage : std::uint8_t {
    security = ISCSI_STAGE_SECURITY,
    operational = ISCSI_STAGE_OPERATIONAL,
    full_feature = ISCSI_STAGE_FULL_FEATURE,
};

// Initiator PDUs.

struct nop_out_pdu {
    bool immediate = false;
    std::uint64_t lun = 0;
    std::uint32_t itt = reserved_tag; // reserved_tag when answering a NOP-In
    std::uint32_t ttt = reserved_tag; // the NOP-In's TTT when answering it
    std::uint32_t cmd_sn = 0;
    std::uint32_t exp_stat_sn = 0;
    std::vector<std::byte> data{}; // ping data
    static result<nop_out_pdu> from_pdu(const pdu& p);
    pdu to_pdu() const;
    bool operator==(const nop_out_pdu&) const = default;
};

struct scsi_command_pdu {
    bool immediate = false;
    bool final = true;
    bool read = false;
    bool write = false;
    std::uint8_t attribute = ISCSI_ATTR_SIMPLE; // enum iscsi_task_attr
    std::uint64_t lun = 0;
    std::uint32_t itt = 0;
    std::uint32_t expected_data_length = 0;
    std::uint32_t cmd_sn = 0;
    std::uint32_t exp_stat_sn = 0;
    // The CDB. to_pdu() pads it to 16 bytes and carries bytes past 16 in an Extended CDB AHS;
    // from_pdu() returns the 16 BHS bytes followed by that AHS.
    std::vector<std::byte> cdb{};
    std::optional<std::uint32_t> bidi_expected_read_length{}; // Bidirectional Read AHS
    std::vector<std::byte> data{};                            // immediate data
    static result<scsi_command_pdu> from_pdu(const pdu& p);
    pdu to_pdu() const;
    bool operator==(const scsi_command_pdu&) const = default;
};

struct tmf_request_pdu {
    bool immediate = true;
    std::uint8_t function = ISCSI_TMF_ABORT_TASK; // enum iscsi_tmf_function
    std::uint64_t lun = 0;
    std::uint32_t itt = 0;
    std::uint32_t referenced_task_tag = reserved_tag;
    std::uint32_t cmd_sn = 0;
    std::uint32_t exp_stat_sn = 0;
    std::uint32_t ref_cmd_sn = 0;
    std::uint32_t exp_data_sn = 0;
    static result<tmf_request_pdu> from_pdu(const pdu& p);
    pdu to_pdu() const;
    bool operator==(const tmf_request_pdu&) const = default;
};

struct login_request_pdu {
    bool transit = false;       // T
    bool continue_text = false; // C
    login_stage current_stage = login_stage::security;
    login_stage next_stage = login_stage::security; // meaningful with transit only
    std::uint8_t version_max = ISCSI_VERSION;
    std::uint8_t version_min = ISCSI_VERSION;
    isid_bytes isid{};
    std::uint16_t tsih = 0;
    std::uint32_t itt = 0;
    std::uint16_t cid = 0;
    std::uint32_t cmd_sn = 0;
    std::uint32_t exp_stat_sn = 0;
    std::vector<std::byte> data{}; // text keys
    static result<login_request_pdu> from_pdu(const pdu& p);
    pdu to_pdu() const; // sets the I bit, which a Login Request always carries
    bool operator==(const login_request_pdu&) const = default;
};

struct text_request_pdu {
    bool immediate = false;
    bool final = true;
    bool continue_text = false; // C
    std::uint64_t lun = 0;
    std::uint32_t itt = 0;
    std::uint32_t ttt = reserved_tag;
    std::uint32_t cmd_sn = 0;
    std::uint32_t exp_stat_sn = 0;
    std::vector<std::byte> data{};
    static result<text_request_pdu> from_pdu(const pdu& p);
    pdu to_pdu() const;
    bool operator==(const text_request_pdu&) const = default;
};

struct data_out_pdu {
    bool final = false;
    std::uint64_t lun = 0;
    std::uint32_t itt = 0;
    std::uint32_t ttt = reserved_tag; // the R2T's TTT, reserved_tag for unsolicited data
    std::uint32_t exp_stat_sn = 0;
    std::uint32_t data_sn = 0;
    std::uint32_t buffer_offset = 0;
    std::vector<std::byte> data{};
    static result<data_out_pdu> from_pdu(const pdu& p);
    pdu to_pdu() const;
    bool operator==(const data_out_pdu&) const = default;
};

struct logout_request_pdu {
    bool immediate = true;
    std::uint8_t reason = ISCSI_LOGOUT_CLOSE_SESSION; // enum iscsi_logout_reason
    std::uint32_t itt = 0;
    std::uint16_t cid = 0;
    std::uint32_t cmd_sn = 0;
    std::uint32_t exp_stat_sn = 0;
    static result<logout_request_pdu> from_pdu(const pdu& p);
    pdu to_pdu() const;
    bool operator==(const logout_request_pdu&) const = default;
};

struct snack_request_pdu {
    std::uint8_t type = ISCSI_SNACK_DATA_R2T; // enum iscsi_snack_type
    std::uint64_t lun = 0;
    std::uint32_t itt = reserved_tag;
    std::uint32_t ttt_or_snack_tag = reserved_tag;
    std::uint32_t exp_stat_sn = 0;
    std::uint32_t beg_run = 0;
    std::uint32_t run_length = 0;
    static result<snack_request_pdu> from_pdu(const pdu& p);
    pdu to_pdu() const;
    bool operator==(const snack_request_pdu&) const = default;
};

// Target PDUs.

struct nop_in_pdu {
    std::uint64_t lun = 0;
    std::uint32_t itt = reserved_tag; // the NOP-Out's ITT when answering it
    std::uint32_t ttt = reserved_tag; // not reserved_tag when the target wants an answer
    std::uint32_t stat_sn = 0;
    std::uint32_t exp_cmd_sn = 0;
    std::uint32_t max_cmd_sn = 0;
    std::vector<std::byte> data{};
    static result<nop_in_pdu> from_pdu(const pdu& p);
    pdu to_pdu() const;
    bool operator==(const nop_in_pdu&) const = default;
};

struct scsi_response_pdu {
    bool bidi_overflow = false;                       // o
    bool bidi_underflow = false;                      // u
    bool overflow = false;                            // O
    bool underflow = false;                           // U
    std::uint8_t response = ISCSI_RESPONSE_COMPLETED; // enum iscsi_scsi_response
    std::uint8_t status = ISCSI_STATUS_GOOD;          // enum iscsi_scsi_status
    std::uint32_t itt = 0;
    std::uint32_t snack_tag = 0;
    std::uint32_t stat_sn = 0;
    std::uint32_t exp_cmd_sn = 0;
    std::uint32_t max_cmd_sn = 0;
    std::uint32_t exp_data_sn = 0;
    std::uint32_t bidi_residual_count = 0;
    std::uint32_t residual_count = 0;
    std::vector<std::byte> data{};                           // SenseLength, sense data, response data
    static result<scsi_response_pdu> from_pdu(const pdu& p); // bad_format when O+U or o+u
    pdu to_pdu() const;
    bool operator==(const scsi_response_pdu&) const = default;
};

struct tmf_response_pdu {
    std::uint8_t response = ISCSI_TMF_RSP_COMPLETE; // enum iscsi_tmf_response
    std::uint32_t itt = 0;
    std::uint32_t stat_sn = 0;
    std::uint32_t exp_cmd_sn = 0;
    std::uint32_t max_cmd_sn = 0;
    static result<tmf_response_pdu> from_pdu(const pdu& p);
    pdu to_pdu() const;
    bool operator==(const tmf_response_pdu&) const = default;
};

struct login_response_pdu {
    bool transit = false;       // T
    bool continue_text = false; // C
    login_stage current_stage = login_stage::security;
    login_stage next_stage = login_stage::security; // meaningful with transit only
    std::uint8_t version_max = ISCSI_VERSION;
    std::uint8_t version_active = ISCSI_VERSION;
    isid_bytes isid{};
    std::uint16_t tsih = 0;
    std::uint32_t itt = 0;
    std::uint32_t stat_sn = 0;
    std::uint32_t exp_cmd_sn = 0;
    std::uint32_t max_cmd_sn = 0;
    std::uint8_t status_class = ISCSI_LOGIN_CLASS_SUCCESS;
    std::uint8_t status_detail = 0;
    std::vector<std::byte> data{}; // text keys
    // Class and detail as RFC 7143 tabulates them, comparable with enum iscsi_login_status.
    std::uint16_t status() const noexcept {
        return static_cast<std::uint16_t>((status_class << 8) | status_detail);
    }
    // bad_format also for T+C, or the reserved stage 2 in CSG (or in NSG with T).
    static result<login_response_pdu> from_pdu(const pdu& p);
    pdu to_pdu() const;
    bool operator==(const login_response_pdu&) const = default;
};

struct text_response_pdu {
    bool final = true;
    bool continue_text = false; // C
    std::uint64_t lun = 0;
    std::uint32_t itt = 0;
    std::uint32_t ttt = reserved_tag; // not reserved_tag when more text follows
    std::uint32_t stat_sn = 0;
    std::uint32_t exp_cmd_sn = 0;
    std::uint32_t max_cmd_sn = 0;
    std::vector<std::byte> data{};
    static result<text_response_pdu> from_pdu(const pdu& p); // bad_format when F+C
    pdu to_pdu() const;
    bool operator==(const text_response_pdu&) const = default;
};

struct data_in_pdu {
    bool final = false;
    bool acknowledge = false;                // A
    bool overflow = false;                   // O
    bool underflow = false;                  // U
    bool has_status = false;                 // S
    std::uint8_t status = ISCSI_STATUS_GOOD; // meaningful with has_status only
    std::uint64_t lun = 0;
    std::uint32_t itt = 0;
    std::uint32_t ttt = reserved_tag;
    std::uint32_t stat_sn = 0;
    std::uint32_t exp_cmd_sn = 0;
    std::uint32_t max_cmd_sn = 0;
    std::uint32_t data_sn = 0;
    std::uint32_t buffer_offset = 0;
    std::uint32_t residual_count = 0;
    std::vector<std::byte> data{};
    static result<data_in_pdu> from_pdu(const pdu& p); // bad_format when S without F, or O+U
    pdu to_pdu() const;
    bool operator==(const data_in_pdu&) const = default;
};

struct logout_response_pdu {
    std::uint8_t response = ISCSI_LOGOUT_RSP_CLOSED; // enum iscsi_logout_response
    std::uint32_t itt = 0;
    std::uint32_t stat_sn = 0;
    std::uint32_t exp_cmd_sn = 0;
    std::uint32_t max_cmd_sn = 0;
    std::uint16_t time2wait = 0;
    std::uint16_t time2retain = 0;
    static result<logout_response_pdu> from_pdu(const pdu& p);
    pdu to_pdu() const;
    bool operator==(const logout_response_pdu&) const = default;
};

struct r2t_pdu {
    std::uint64_t lun = 0;
    std::uint32_t itt = 0;
    std::uint32_t ttt = 0;
    std::uint32_t stat_sn = 0;
    std::uint32_t exp_cmd_sn = 0;
    std::uint32_t max_cmd_sn = 0;
    std::uint32_t r2t_sn = 0;
    std::uint32_t buffer_offset = 0;
    std::uint32_t desired_data_length = 0;
    static result<r2t_pdu> from_pdu(const pdu& p);
    pdu to_pdu() const;
    bool operator==(const r2t_pdu&) const = default;
};

struct async_message_pdu {
    std::uint64_t lun = 0;
    std::uint32_t stat_sn = 0;
    std::uint32_t exp_cmd_sn = 0;
    std::uint32_t max_cmd_sn = 0;
    std::uint8_t event = ISCSI_ASYNC_SCSI_EVENT; // enum iscsi_async_event
    std::uint8_t vendor_code = 0;                // AsyncVCode
    std::uint16_t parameter1 = 0;
    std::uint16_t parameter2 = 0;
    std::uint16_t parameter3 = 0;
    std::vector<std::byte> data{}; // sense data or iSCSI event data
    static result<async_message_pdu> from_pdu(const pdu& p);
    pdu to_pdu() const; // ITT reserved_tag
    bool operator==(const async_message_pdu&) const = default;
};

struct reject_pdu {
    std::uint8_t reason = ISCSI_REJECT_PROTOCOL_ERROR; // enum iscsi_reject_reason
    std::uint32_t stat_sn = 0;
    std::uint32_t exp_cmd_sn = 0;
    std::uint32_t max_cmd_sn = 0;
    std::uint32_t data_sn_or_r2t_sn = 0;
    std::vector<std::byte> data{}; // the rejected PDU's BHS, then vendor data
    static result<reject_pdu> from_pdu(const pdu& p);
    pdu to_pdu() const; // ITT reserved_tag
    bool operator==(const reject_pdu&) const = default;
};

// Any PDU, typed.
using message =
    std::variant<nop_out_pdu, scsi_command_pdu, tmf_request_pdu, login_request_pdu, text_request_pdu,
                 data_out_pdu, logout_request_pdu, snack_request_pdu, nop_in_pdu, scsi_response_pdu,
                 tmf_response_pdu, login_response_pdu, text_response_pdu, data_in_pdu, logout_response_pdu,
                 r2t_pdu, async_message_pdu, reject_pdu>;

// The typed view matching the PDU's opcode; bad_opcode for an undefined opcode.
result<message> decode(const pdu& p);

// The PDU of a typed view.
pdu encode(const message& m);

} // namespace iscsi
