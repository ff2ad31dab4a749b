// SPDX-License-Identifier: GPL-2.0-or-later
#include "iscsi/pdu.hpp"

#include "iscsi/crc32c.hpp"

#include <algorithm>
#include <cassert>
#include <concepts>
#include <cstddef>
#include <type_traits>
#include <utility>

namespace iscsi {
namespace {

constexpr std::size_t padded(std::size_t n) noexcept {
    return (n + ISCSI_PAD - 1) / ISCSI_PAD * ISCSI_PAD;
}

// Offsets of the fields every BHS shares (RFC 7143 section 11.2.1).
constexpr std::size_t opcode_offset = offsetof(iscsi_bhs, opcode);
constexpr std::size_t flags_offset = offsetof(iscsi_bhs, flags);
constexpr std::size_t total_ahs_offset = offsetof(iscsi_bhs, total_ahs_len);
constexpr std::size_t data_length_offset = offsetof(iscsi_bhs, data_seg_len);

// The length of an AHS header before its AHS-specific byte: AHSLength and AHSType.
constexpr std::size_t ahs_header_size = offsetof(iscsi_ahs_hdr, ahs_specific);
// The AHS-specific bytes of a Bidirectional Read Expected Data Transfer Length AHS: AHSLength 5.
constexpr std::size_t bidi_specific_size = sizeof(iscsi_ahs_bidi_read_length) - ahs_header_size;
constexpr std::size_t bidi_length_offset =
    offsetof(iscsi_ahs_bidi_read_length, read_length) - ahs_header_size;

template <std::size_t N>
std::uint64_t load_be(std::span<const std::byte> bytes, std::size_t offset) noexcept {
    assert(offset <= bytes.size() && N <= bytes.size() - offset);
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < N; ++i)
        value = value << 8 | std::to_integer<std::uint64_t>(bytes[offset + i]);
    return value;
}

template <std::size_t N>
void store_be(std::span<std::byte> bytes, std::size_t offset, std::uint64_t value) noexcept {
    assert(offset <= bytes.size() && N <= bytes.size() - offset);
    for (std::size_t i = 0; i < N; ++i)
        bytes[offset + N - 1 - i] = static_cast<std::byte>(value >> (8 * i));
}

// Digests travel least significant byte first (RFC 7143 section 13.1, RFC 3720 appendix B.4).
std::uint32_t load_digest(std::span<const std::byte> bytes, std::size_t offset) noexcept {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < digest_size; ++i)
        value |= std::to_integer<std::uint32_t>(bytes[offset + i]) << (8 * i);
    return value;
}

void append_digest(std::vector<std::byte>& out, std::uint32_t digest) {
    for (std::size_t i = 0; i < digest_size; ++i)
        out.push_back(static_cast<std::byte>(digest >> (8 * i)));
}

std::uint8_t byte_at(const pdu& p, std::size_t offset) noexcept {
    return std::to_integer<std::uint8_t>(p.bhs[offset]);
}

void set_byte(pdu& p, std::size_t offset, std::uint8_t value) noexcept {
    p.bhs[offset] = static_cast<std::byte>(value);
}

bool has_flag(const pdu& p, unsigned mask) noexcept {
    return (byte_at(p, flags_offset) & mask) != 0;
}

std::uint8_t flag_if(bool set, unsigned mask) noexcept {
    return set ? static_cast<std::uint8_t>(mask) : 0;
}

// A PDU with its opcode byte (the I bit for immediate initiator PDUs) and flags byte.
pdu start_pdu(iscsi_opcode opcode, bool immediate, unsigned flags) {
    pdu p;
    set_byte(p, opcode_offset, static_cast<std::uint8_t>(opcode | flag_if(immediate, ISCSI_OP_IMMEDIATE)));
    set_byte(p, flags_offset, static_cast<std::uint8_t>(flags));
    return p;
}

// TotalAHSLength and DataSegmentLength in a BHS; the caller has checked both against their fields.
void store_lengths(std::span<std::byte> bhs, std::size_t ahs_size, std::size_t data_size) noexcept {
    bhs[total_ahs_offset] = static_cast<std::byte>(ahs_size / ISCSI_PAD);
    store_be<3>(bhs, data_length_offset, data_size);
}

// The last step of every builder: the length fields agree with the segments it filled in.
pdu finish(pdu p, std::vector<std::byte> data = {}) {
    p.data = std::move(data);
    store_lengths(p.bhs, std::min(p.ahs.size(), max_ahs_size),
                  std::min<std::size_t>(p.data.size(), max_data_segment_size));
    return p;
}

// Byte 1 of Login Request and Response.
struct login_flags {
    bool transit = false;
    bool continue_text = false;
    login_stage current_stage = login_stage::security;
    login_stage next_stage = login_stage::security;
};

unsigned encode_login_flags(const login_flags& f) noexcept {
    return flag_if(f.transit, ISCSI_LOGIN_FLAG_TRANSIT) |
           flag_if(f.continue_text, ISCSI_LOGIN_FLAG_CONTINUE) |
           ((static_cast<unsigned>(f.current_stage) << ISCSI_LOGIN_CSG_SHIFT) & ISCSI_LOGIN_CSG_MASK) |
           (static_cast<unsigned>(f.next_stage) & ISCSI_LOGIN_NSG_MASK);
}

bool valid_stage(login_stage stage) noexcept {
    return stage == login_stage::security || stage == login_stage::operational ||
           stage == login_stage::full_feature;
}

result<login_flags> decode_login_flags(const pdu& p) {
    const unsigned flags = byte_at(p, flags_offset);
    login_flags f;
    f.transit = (flags & ISCSI_LOGIN_FLAG_TRANSIT) != 0;
    f.continue_text = (flags & ISCSI_LOGIN_FLAG_CONTINUE) != 0;
    f.current_stage = static_cast<login_stage>((flags & ISCSI_LOGIN_CSG_MASK) >> ISCSI_LOGIN_CSG_SHIFT);
    f.next_stage = static_cast<login_stage>(flags & ISCSI_LOGIN_NSG_MASK);
    // RFC 7143 section 11.12.2: a PDU that continues its text cannot also make the transit.
    if ((f.transit && f.continue_text) || !valid_stage(f.current_stage) ||
        (f.transit && !valid_stage(f.next_stage)))
        return errc::bad_format;
    return f;
}

isid_bytes load_isid(const pdu& p, std::size_t offset) noexcept {
    isid_bytes isid;
    for (std::size_t i = 0; i < isid.size(); ++i)
        isid[i] = byte_at(p, offset + i);
    return isid;
}

void store_isid(pdu& p, std::size_t offset, const isid_bytes& isid) noexcept {
    for (std::size_t i = 0; i < isid.size(); ++i)
        set_byte(p, offset + i, isid[i]);
}

template <class Message>
result<message> as_message(result<Message> r) {
    if (!r)
        return r.error();
    return message{std::move(*r)};
}

} // namespace

std::uint16_t load_be16(std::span<const std::byte> bytes, std::size_t offset) noexcept {
    return static_cast<std::uint16_t>(load_be<2>(bytes, offset));
}
std::uint32_t load_be24(std::span<const std::byte> bytes, std::size_t offset) noexcept {
    return static_cast<std::uint32_t>(load_be<3>(bytes, offset));
}
std::uint32_t load_be32(std::span<const std::byte> bytes, std::size_t offset) noexcept {
    return static_cast<std::uint32_t>(load_be<4>(bytes, offset));
}
std::uint64_t load_be64(std::span<const std::byte> bytes, std::size_t offset) noexcept {
    return load_be<8>(bytes, offset);
}
void store_be16(std::span<std::byte> bytes, std::size_t offset, std::uint16_t value) noexcept {
    store_be<2>(bytes, offset, value);
}
void store_be24(std::span<std::byte> bytes, std::size_t offset, std::uint32_t value) noexcept {
    store_be<3>(bytes, offset, value);
}
void store_be32(std::span<std::byte> bytes, std::size_t offset, std::uint32_t value) noexcept {
    store_be<4>(bytes, offset, value);
}
void store_be64(std::span<std::byte> bytes, std::size_t offset, std::uint64_t value) noexcept {
    store_be<8>(bytes, offset, value);
}

std::optional<role> opcode_sender(std::uint8_t opcode) noexcept {
    switch (opcode) {
    case ISCSI_OP_NOP_OUT:
    case ISCSI_OP_SCSI_CMD:
    case ISCSI_OP_TMF_REQ:
    case ISCSI_OP_LOGIN_REQ:
    case ISCSI_OP_TEXT_REQ:
    case ISCSI_OP_DATA_OUT:
    case ISCSI_OP_LOGOUT_REQ:
    case ISCSI_OP_SNACK_REQ:
        return role::initiator;
    case ISCSI_OP_NOP_IN:
    case ISCSI_OP_SCSI_RSP:
    case ISCSI_OP_TMF_RSP:
    case ISCSI_OP_LOGIN_RSP:
    case ISCSI_OP_TEXT_RSP:
    case ISCSI_OP_DATA_IN:
    case ISCSI_OP_LOGOUT_RSP:
    case ISCSI_OP_R2T:
    case ISCSI_OP_ASYNC_MSG:
    case ISCSI_OP_REJECT:
        return role::target;
    default:
        return std::nullopt;
    }
}

iscsi_opcode pdu::opcode() const noexcept {
    return static_cast<iscsi_opcode>(std::to_integer<unsigned>(bhs[opcode_offset]) & ISCSI_OPCODE_MASK);
}

bool pdu::immediate() const noexcept {
    return (std::to_integer<unsigned>(bhs[opcode_offset]) & ISCSI_OP_IMMEDIATE) != 0;
}

std::uint32_t pdu::itt() const noexcept {
    return load_be32(bhs, offsetof(iscsi_bhs, itt));
}

result<std::vector<std::byte>> serialize(const pdu& p, digest_settings digests) {
    if (p.ahs.size() % ISCSI_PAD != 0 || p.ahs.size() > max_ahs_size || p.data.size() > max_data_segment_size)
        return errc::bad_length;
    const std::size_t header_size = bhs_size + p.ahs.size();
    std::vector<std::byte> out;
    out.reserve(header_size + 2 * digest_size + padded(p.data.size()));
    out.insert(out.end(), p.bhs.begin(), p.bhs.end());
    store_lengths(out, p.ahs.size(), p.data.size());
    out.insert(out.end(), p.ahs.begin(), p.ahs.end());
    if (digests.header)
        append_digest(out, crc32c(out));
    if (!p.data.empty()) {
        const std::size_t data_start = out.size();
        out.insert(out.end(), p.data.begin(), p.data.end());
        out.resize(data_start + padded(p.data.size()));
        if (digests.data)
            append_digest(out, crc32c(std::span(out).subspan(data_start)));
    }
    return out;
}

result<std::size_t> remaining_length(std::span<const std::byte, bhs_size> bhs, const receive_limits& limits) {
    const auto opcode =
        static_cast<std::uint8_t>(std::to_integer<unsigned>(bhs[opcode_offset]) & ISCSI_OPCODE_MASK);
    if (opcode_sender(opcode) != limits.sender)
        return errc::bad_opcode;
    const std::uint32_t data_size = load_be24(bhs, data_length_offset);
    if (data_size > limits.max_data_segment_length)
        return errc::bad_length;
    std::size_t size = std::to_integer<std::size_t>(bhs[total_ahs_offset]) * ISCSI_PAD;
    if (limits.digests.header)
        size += digest_size;
    if (data_size != 0)
        size += padded(data_size) + (limits.digests.data ? digest_size : 0);
    return size;
}

result<pdu> parse_pdu(std::span<const std::byte, bhs_size> bhs, std::span<const std::byte> rest,
                      const receive_limits& limits) {
    const auto expected = remaining_length(bhs, limits);
    if (!expected)
        return expected.error();
    if (rest.size() < *expected)
        return errc::truncated;
    if (rest.size() > *expected)
        return errc::bad_length;

    const auto ahs = rest.first(std::to_integer<std::size_t>(bhs[total_ahs_offset]) * ISCSI_PAD);
    std::size_t offset = ahs.size();
    if (limits.digests.header) {
        if (crc32c_extend(crc32c(bhs), ahs) != load_digest(rest, offset))
            return errc::bad_digest;
        offset += digest_size;
    }
    if (auto entries = split_ahs(ahs); !entries)
        return entries.error();

    pdu p;
    std::copy(bhs.begin(), bhs.end(), p.bhs.begin());
    p.ahs.assign(ahs.begin(), ahs.end());
    const std::size_t data_size = load_be24(bhs, data_length_offset);
    if (data_size != 0) {
        const auto segment = rest.subspan(offset, padded(data_size));
        if (limits.digests.data && crc32c(segment) != load_digest(rest, offset + segment.size()))
            return errc::bad_digest;
        p.data.assign(segment.begin(), segment.begin() + static_cast<std::ptrdiff_t>(data_size));
    }
    return p;
}

result<parsed_pdu> parse_next_pdu(std::span<const std::byte> buffer, const receive_limits& limits) {
    if (buffer.size() < bhs_size)
        return errc::truncated;
    const auto bhs = buffer.first<bhs_size>();
    const auto rest_size = remaining_length(bhs, limits);
    if (!rest_size)
        return rest_size.error();
    if (buffer.size() - bhs_size < *rest_size)
        return errc::truncated;
    auto p = parse_pdu(bhs, buffer.subspan(bhs_size, *rest_size), limits);
    if (!p)
        return p.error();
    return parsed_pdu{std::move(*p), bhs_size + *rest_size};
}

result<std::vector<ahs_entry>> split_ahs(std::span<const std::byte> ahs) {
    std::vector<ahs_entry> entries;
    while (!ahs.empty()) {
        if (ahs.size() < ahs_header_size)
            return errc::bad_length;
        const std::size_t length = load_be16(ahs, offsetof(iscsi_ahs_hdr, ahs_len));
        if (length > ahs.size() - ahs_header_size)
            return errc::bad_length;
        entries.push_back({std::to_integer<std::uint8_t>(ahs[offsetof(iscsi_ahs_hdr, ahs_type)]),
                           ahs.subspan(ahs_header_size, length)});
        ahs = ahs.subspan(std::min(ahs.size(), padded(ahs_header_size + length)));
    }
    return entries;
}

void append_ahs(std::vector<std::byte>& ahs, std::uint8_t type, std::span<const std::byte> specific) {
    const std::size_t start = ahs.size();
    ahs.resize(start + ahs_header_size);
    store_be16(ahs, start + offsetof(iscsi_ahs_hdr, ahs_len), static_cast<std::uint16_t>(specific.size()));
    ahs[start + offsetof(iscsi_ahs_hdr, ahs_type)] = static_cast<std::byte>(type);
    ahs.insert(ahs.end(), specific.begin(), specific.end());
    ahs.resize(start + padded(ahs_header_size + specific.size()));
}

// Typed PDUs. Each message names its BHS fields once, in bhs_fields(); the same list decodes the
// message (bhs_reader) and encodes it (bhs_writer), so the two directions cannot disagree.

namespace {

// A reference to Message or to const Message: one field list serves decoding and encoding.
template <class M, class Message>
concept message_ref = std::same_as<std::remove_const_t<M>, Message>;

// Fills a message's fields from a BHS.
struct bhs_reader {
    const pdu& p;
    void field(std::uint8_t& v, std::size_t offset) const { v = byte_at(p, offset); }
    void field(std::uint16_t& v, std::size_t offset) const { v = load_be16(p.bhs, offset); }
    void field(std::uint32_t& v, std::size_t offset) const { v = load_be32(p.bhs, offset); }
    void field(std::uint64_t& v, std::size_t offset) const { v = load_be64(p.bhs, offset); }
    void field(isid_bytes& v, std::size_t offset) const { v = load_isid(p, offset); }
    void flag(bool& v, unsigned mask) const { v = has_flag(p, mask); }
    // A field packed in the flags byte, e.g. the task attribute.
    void bits(std::uint8_t& v, unsigned mask) const {
        v = static_cast<std::uint8_t>(byte_at(p, flags_offset) & mask);
    }
    void immediate(bool& v) const { v = p.immediate(); }
    void reserved_tag_at(std::size_t) const {} // a reserved ITT carries nothing to read
};

// Writes a message's fields into a BHS started by start_pdu().
struct bhs_writer {
    pdu& p;
    void field(std::uint8_t v, std::size_t offset) const { set_byte(p, offset, v); }
    void field(std::uint16_t v, std::size_t offset) const { store_be16(p.bhs, offset, v); }
    void field(std::uint32_t v, std::size_t offset) const { store_be32(p.bhs, offset, v); }
    void field(std::uint64_t v, std::size_t offset) const { store_be64(p.bhs, offset, v); }
    void field(const isid_bytes& v, std::size_t offset) const { store_isid(p, offset, v); }
    void flag(bool v, unsigned mask) const { bits(flag_if(v, mask), mask); }
    void bits(std::uint8_t v, unsigned mask) const {
        set_byte(p, flags_offset, static_cast<std::uint8_t>(byte_at(p, flags_offset) | (v & mask)));
    }
    void immediate(bool v) const {
        set_byte(p, opcode_offset,
                 static_cast<std::uint8_t>(byte_at(p, opcode_offset) | flag_if(v, ISCSI_OP_IMMEDIATE)));
    }
    void reserved_tag_at(std::size_t offset) const { store_be32(p.bhs, offset, reserved_tag); }
};

// Initiator PDUs.

void bhs_fields(message_ref<nop_out_pdu> auto& m, const auto& op) {
    using W = iscsi_nop_out_bhs;
    op.immediate(m.immediate);
    op.field(m.lun, offsetof(W, lun));
    op.field(m.itt, offsetof(W, itt));
    op.field(m.ttt, offsetof(W, ttt));
    op.field(m.cmd_sn, offsetof(W, cmd_sn));
    op.field(m.exp_stat_sn, offsetof(W, exp_stat_sn));
}

void bhs_fields(message_ref<scsi_command_pdu> auto& m, const auto& op) {
    using W = iscsi_scsi_cmd_bhs;
    op.immediate(m.immediate);
    op.flag(m.final, ISCSI_FLAG_FINAL);
    op.flag(m.read, ISCSI_CMD_FLAG_READ);
    op.flag(m.write, ISCSI_CMD_FLAG_WRITE);
    op.bits(m.attribute, ISCSI_CMD_ATTR_MASK);
    op.field(m.lun, offsetof(W, lun));
    op.field(m.itt, offsetof(W, itt));
    op.field(m.expected_data_length, offsetof(W, exp_data_len));
    op.field(m.cmd_sn, offsetof(W, cmd_sn));
    op.field(m.exp_stat_sn, offsetof(W, exp_stat_sn));
}

void bhs_fields(message_ref<tmf_request_pdu> auto& m, const auto& op) {
    using W = iscsi_tmf_req_bhs;
    op.immediate(m.immediate);
    op.bits(m.function, ISCSI_TMF_FUNCTION_MASK);
    op.field(m.lun, offsetof(W, lun));
    op.field(m.itt, offsetof(W, itt));
    op.field(m.referenced_task_tag, offsetof(W, ref_task_tag));
    op.field(m.cmd_sn, offsetof(W, cmd_sn));
    op.field(m.exp_stat_sn, offsetof(W, exp_stat_sn));
    op.field(m.ref_cmd_sn, offsetof(W, ref_cmd_sn));
    op.field(m.exp_data_sn, offsetof(W, exp_data_sn));
}

// The login flags (T, C, stages) are checked on decoding and so are not in the list.
void bhs_fields(message_ref<login_request_pdu> auto& m, const auto& op) {
    using W = iscsi_login_req_bhs;
    op.field(m.version_max, offsetof(W, version_max));
    op.field(m.version_min, offsetof(W, version_min));
    op.field(m.isid, offsetof(W, isid));
    op.field(m.tsih, offsetof(W, tsih));
    op.field(m.itt, offsetof(W, itt));
    op.field(m.cid, offsetof(W, cid));
    op.field(m.cmd_sn, offsetof(W, cmd_sn));
    op.field(m.exp_stat_sn, offsetof(W, exp_stat_sn));
}

void bhs_fields(message_ref<text_request_pdu> auto& m, const auto& op) {
    using W = iscsi_text_req_bhs;
    op.immediate(m.immediate);
    op.flag(m.final, ISCSI_FLAG_FINAL);
    op.flag(m.continue_text, ISCSI_TEXT_FLAG_CONTINUE);
    op.field(m.lun, offsetof(W, lun));
    op.field(m.itt, offsetof(W, itt));
    op.field(m.ttt, offsetof(W, ttt));
    op.field(m.cmd_sn, offsetof(W, cmd_sn));
    op.field(m.exp_stat_sn, offsetof(W, exp_stat_sn));
}

void bhs_fields(message_ref<data_out_pdu> auto& m, const auto& op) {
    using W = iscsi_data_out_bhs;
    op.flag(m.final, ISCSI_FLAG_FINAL);
    op.field(m.lun, offsetof(W, lun));
    op.field(m.itt, offsetof(W, itt));
    op.field(m.ttt, offsetof(W, ttt));
    op.field(m.exp_stat_sn, offsetof(W, exp_stat_sn));
    op.field(m.data_sn, offsetof(W, data_sn));
    op.field(m.buffer_offset, offsetof(W, buffer_offset));
}

void bhs_fields(message_ref<logout_request_pdu> auto& m, const auto& op) {
    using W = iscsi_logout_req_bhs;
    op.immediate(m.immediate);
    op.bits(m.reason, ISCSI_LOGOUT_REASON_MASK);
    op.field(m.itt, offsetof(W, itt));
    op.field(m.cid, offsetof(W, cid));
    op.field(m.cmd_sn, offsetof(W, cmd_sn));
    op.field(m.exp_stat_sn, offsetof(W, exp_stat_sn));
}

void bhs_fields(message_ref<snack_request_pdu> auto& m, const auto& op) {
    using W = iscsi_snack_req_bhs;
    op.bits(m.type, ISCSI_SNACK_TYPE_MASK);
    op.field(m.lun, offsetof(W, lun));
    op.field(m.itt, offsetof(W, itt));
    op.field(m.ttt_or_snack_tag, offsetof(W, ttt_or_snack_tag));
    op.field(m.exp_stat_sn, offsetof(W, exp_stat_sn));
    op.field(m.beg_run, offsetof(W, beg_run));
    op.field(m.run_length, offsetof(W, run_length));
}

// Target PDUs.

// StatSN, ExpCmdSN and MaxCmdSN: the same three fields in every target PDU that carries them (W is
// the PDU's BHS layout, whose offsets are used, so a layout that moved them would still be read right).
template <class W>
void target_sequence_numbers(auto& m, const auto& op) {
    op.field(m.stat_sn, offsetof(W, stat_sn));
    op.field(m.exp_cmd_sn, offsetof(W, exp_cmd_sn));
    op.field(m.max_cmd_sn, offsetof(W, max_cmd_sn));
}

void bhs_fields(message_ref<nop_in_pdu> auto& m, const auto& op) {
    using W = iscsi_nop_in_bhs;
    op.field(m.lun, offsetof(W, lun));
    op.field(m.itt, offsetof(W, itt));
    op.field(m.ttt, offsetof(W, ttt));
    target_sequence_numbers<W>(m, op);
}

void bhs_fields(message_ref<scsi_response_pdu> auto& m, const auto& op) {
    using W = iscsi_scsi_rsp_bhs;
    op.flag(m.bidi_overflow, ISCSI_RSP_FLAG_BIDI_OVERFLOW);
    op.flag(m.bidi_underflow, ISCSI_RSP_FLAG_BIDI_UNDERFLOW);
    op.flag(m.overflow, ISCSI_RSP_FLAG_OVERFLOW);
    op.flag(m.underflow, ISCSI_RSP_FLAG_UNDERFLOW);
    op.field(m.response, offsetof(W, response));
    op.field(m.status, offsetof(W, status));
    op.field(m.itt, offsetof(W, itt));
    op.field(m.snack_tag, offsetof(W, snack_tag));
    target_sequence_numbers<W>(m, op);
    op.field(m.exp_data_sn, offsetof(W, exp_data_sn));
    op.field(m.bidi_residual_count, offsetof(W, bidi_residual_count));
    op.field(m.residual_count, offsetof(W, residual_count));
}

void bhs_fields(message_ref<tmf_response_pdu> auto& m, const auto& op) {
    using W = iscsi_tmf_rsp_bhs;
    op.field(m.response, offsetof(W, response));
    op.field(m.itt, offsetof(W, itt));
    target_sequence_numbers<W>(m, op);
}

void bhs_fields(message_ref<login_response_pdu> auto& m, const auto& op) {
    using W = iscsi_login_rsp_bhs;
    op.field(m.version_max, offsetof(W, version_max));
    op.field(m.version_active, offsetof(W, version_active));
    op.field(m.isid, offsetof(W, isid));
    op.field(m.tsih, offsetof(W, tsih));
    op.field(m.itt, offsetof(W, itt));
    target_sequence_numbers<W>(m, op);
    op.field(m.status_class, offsetof(W, status_class));
    op.field(m.status_detail, offsetof(W, status_detail));
}

void bhs_fields(message_ref<text_response_pdu> auto& m, const auto& op) {
    using W = iscsi_text_rsp_bhs;
    op.flag(m.final, ISCSI_FLAG_FINAL);
    op.flag(m.continue_text, ISCSI_TEXT_FLAG_CONTINUE);
    op.field(m.lun, offsetof(W, lun));
    op.field(m.itt, offsetof(W, itt));
    op.field(m.ttt, offsetof(W, ttt));
    target_sequence_numbers<W>(m, op);
}

void bhs_fields(message_ref<data_in_pdu> auto& m, const auto& op) {
    using W = iscsi_data_in_bhs;
    op.flag(m.final, ISCSI_FLAG_FINAL);
    op.flag(m.acknowledge, ISCSI_DATA_FLAG_ACK);
    op.flag(m.overflow, ISCSI_RSP_FLAG_OVERFLOW);
    op.flag(m.underflow, ISCSI_RSP_FLAG_UNDERFLOW);
    op.flag(m.has_status, ISCSI_DATA_FLAG_STATUS);
    op.field(m.status, offsetof(W, status));
    op.field(m.lun, offsetof(W, lun));
    op.field(m.itt, offsetof(W, itt));
    op.field(m.ttt, offsetof(W, ttt));
    target_sequence_numbers<W>(m, op);
    op.field(m.data_sn, offsetof(W, data_sn));
    op.field(m.buffer_offset, offsetof(W, buffer_offset));
    op.field(m.residual_count, offsetof(W, residual_count));
}

void bhs_fields(message_ref<logout_response_pdu> auto& m, const auto& op) {
    using W = iscsi_logout_rsp_bhs;
    op.field(m.response, offsetof(W, response));
    op.field(m.itt, offsetof(W, itt));
    target_sequence_numbers<W>(m, op);
    op.field(m.time2wait, offsetof(W, time2wait));
    op.field(m.time2retain, offsetof(W, time2retain));
}

void bhs_fields(message_ref<r2t_pdu> auto& m, const auto& op) {
    using W = iscsi_r2t_bhs;
    op.field(m.lun, offsetof(W, lun));
    op.field(m.itt, offsetof(W, itt));
    op.field(m.ttt, offsetof(W, ttt));
    target_sequence_numbers<W>(m, op);
    op.field(m.r2t_sn, offsetof(W, r2t_sn));
    op.field(m.buffer_offset, offsetof(W, buffer_offset));
    op.field(m.desired_data_length, offsetof(W, desired_data_len));
}

void bhs_fields(message_ref<async_message_pdu> auto& m, const auto& op) {
    using W = iscsi_async_msg_bhs;
    op.field(m.lun, offsetof(W, lun));
    op.reserved_tag_at(offsetof(W, itt));
    target_sequence_numbers<W>(m, op);
    op.field(m.event, offsetof(W, async_event));
    op.field(m.vendor_code, offsetof(W, async_vcode));
    op.field(m.parameter1, offsetof(W, parameter1));
    op.field(m.parameter2, offsetof(W, parameter2));
    op.field(m.parameter3, offsetof(W, parameter3));
}

void bhs_fields(message_ref<reject_pdu> auto& m, const auto& op) {
    using W = iscsi_reject_bhs;
    op.field(m.reason, offsetof(W, reason));
    op.reserved_tag_at(offsetof(W, itt));
    target_sequence_numbers<W>(m, op);
    op.field(m.data_sn_or_r2t_sn, offsetof(W, data_sn_or_r2t_sn));
}

// Decodes a message of the given opcode: its BHS fields and its data segment, if it has one.
template <class Message>
result<Message> read_message(const pdu& p, iscsi_opcode opcode) {
    if (p.opcode() != opcode)
        return errc::bad_opcode;
    Message m;
    bhs_fields(m, bhs_reader{p});
    if constexpr (requires { m.data; })
        m.data = p.data;
    return m;
}

// Encodes a message; `flags` are the flag bits its field list does not carry (F, login flags).
template <class Message>
pdu write_message(const Message& m, iscsi_opcode opcode, bool immediate, unsigned flags,
                  std::vector<std::byte> ahs = {}) {
    pdu p = start_pdu(opcode, immediate, flags);
    bhs_fields(m, bhs_writer{p});
    p.ahs = std::move(ahs);
    if constexpr (requires { m.data; })
        return finish(std::move(p), m.data);
    else
        return finish(std::move(p));
}

} // namespace

result<nop_out_pdu> nop_out_pdu::from_pdu(const pdu& p) {
    return read_message<nop_out_pdu>(p, ISCSI_OP_NOP_OUT);
}

pdu nop_out_pdu::to_pdu() const {
    return write_message(*this, ISCSI_OP_NOP_OUT, false, ISCSI_FLAG_FINAL);
}

result<scsi_command_pdu> scsi_command_pdu::from_pdu(const pdu& p) {
    auto m = read_message<scsi_command_pdu>(p, ISCSI_OP_SCSI_CMD);
    if (!m)
        return m;
    const auto cdb = std::span(p.bhs).subspan(offsetof(iscsi_scsi_cmd_bhs, cdb), ISCSI_CDB_LEN);
    m->cdb.assign(cdb.begin(), cdb.end());

    const auto entries = split_ahs(p.ahs);
    if (!entries)
        return entries.error();
    bool extended_cdb = false;
    // The first AHS-specific byte is reserved in both AHS types (RFC 7143 sections 11.2.2.3, 11.2.2.4).
    for (const auto& [type, specific] : *entries) {
        if (type == ISCSI_AHS_EXTENDED_CDB && !extended_cdb && specific.size() > 1) {
            extended_cdb = true;
            m->cdb.insert(m->cdb.end(), specific.begin() + 1, specific.end());
        } else if (type == ISCSI_AHS_BIDI_READ_LENGTH && !m->bidi_expected_read_length &&
                   specific.size() == bidi_specific_size) {
            m->bidi_expected_read_length = load_be32(specific, bidi_length_offset);
        } else {
            return errc::bad_format;
        }
    }
    return m;
}

pdu scsi_command_pdu::to_pdu() const {
    std::vector<std::byte> ahs;
    if (cdb.size() > ISCSI_CDB_LEN) {
        std::vector<std::byte> specific{std::byte{0}};
        specific.insert(specific.end(), cdb.begin() + ISCSI_CDB_LEN, cdb.end());
        append_ahs(ahs, ISCSI_AHS_EXTENDED_CDB, specific);
    }
    if (bidi_expected_read_length) {
        std::array<std::byte, bidi_specific_size> specific{};
        store_be32(specific, bidi_length_offset, *bidi_expected_read_length);
        append_ahs(ahs, ISCSI_AHS_BIDI_READ_LENGTH, specific);
    }
    pdu p = write_message(*this, ISCSI_OP_SCSI_CMD, false, 0, std::move(ahs));
    const auto in_bhs = std::span(cdb).first(std::min<std::size_t>(cdb.size(), ISCSI_CDB_LEN));
    std::copy(in_bhs.begin(), in_bhs.end(), p.bhs.begin() + offsetof(iscsi_scsi_cmd_bhs, cdb));
    return p;
}

result<tmf_request_pdu> tmf_request_pdu::from_pdu(const pdu& p) {
    return read_message<tmf_request_pdu>(p, ISCSI_OP_TMF_REQ);
}

pdu tmf_request_pdu::to_pdu() const {
    return write_message(*this, ISCSI_OP_TMF_REQ, false, ISCSI_FLAG_FINAL);
}

result<login_request_pdu> login_request_pdu::from_pdu(const pdu& p) {
    auto m = read_message<login_request_pdu>(p, ISCSI_OP_LOGIN_REQ);
    if (!m)
        return m;
    const auto flags = decode_login_flags(p);
    if (!flags)
        return flags.error();
    m->transit = flags->transit;
    m->continue_text = flags->continue_text;
    m->current_stage = flags->current_stage;
    m->next_stage = flags->next_stage;
    return m;
}

pdu login_request_pdu::to_pdu() const {
    return write_message(*this, ISCSI_OP_LOGIN_REQ, true,
                         encode_login_flags({transit, continue_text, current_stage, next_stage}));
}

result<text_request_pdu> text_request_pdu::from_pdu(const pdu& p) {
    auto m = read_message<text_request_pdu>(p, ISCSI_OP_TEXT_REQ);
    if (m && m->final && m->continue_text) // RFC 7143 section 11.10.2
        return errc::bad_format;
    return m;
}

pdu text_request_pdu::to_pdu() const {
    return write_message(*this, ISCSI_OP_TEXT_REQ, false, 0);
}

result<data_out_pdu> data_out_pdu::from_pdu(const pdu& p) {
    return read_message<data_out_pdu>(p, ISCSI_OP_DATA_OUT);
}

pdu data_out_pdu::to_pdu() const {
    return write_message(*this, ISCSI_OP_DATA_OUT, false, 0);
}

result<logout_request_pdu> logout_request_pdu::from_pdu(const pdu& p) {
    return read_message<logout_request_pdu>(p, ISCSI_OP_LOGOUT_REQ);
}

pdu logout_request_pdu::to_pdu() const {
    return write_message(*this, ISCSI_OP_LOGOUT_REQ, false, ISCSI_FLAG_FINAL);
}

result<snack_request_pdu> snack_request_pdu::from_pdu(const pdu& p) {
    return read_message<snack_request_pdu>(p, ISCSI_OP_SNACK_REQ);
}

pdu snack_request_pdu::to_pdu() const {
    return write_message(*this, ISCSI_OP_SNACK_REQ, false, ISCSI_FLAG_FINAL);
}

result<nop_in_pdu> nop_in_pdu::from_pdu(const pdu& p) {
    return read_message<nop_in_pdu>(p, ISCSI_OP_NOP_IN);
}

pdu nop_in_pdu::to_pdu() const {
    return write_message(*this, ISCSI_OP_NOP_IN, false, ISCSI_FLAG_FINAL);
}

result<scsi_response_pdu> scsi_response_pdu::from_pdu(const pdu& p) {
    auto m = read_message<scsi_response_pdu>(p, ISCSI_OP_SCSI_RSP);
    // RFC 7143 section 11.4.1: overflow and underflow exclude each other.
    if (m && ((m->bidi_overflow && m->bidi_underflow) || (m->overflow && m->underflow)))
        return errc::bad_format;
    return m;
}

pdu scsi_response_pdu::to_pdu() const {
    return write_message(*this, ISCSI_OP_SCSI_RSP, false, ISCSI_FLAG_FINAL);
}

result<tmf_response_pdu> tmf_response_pdu::from_pdu(const pdu& p) {
    return read_message<tmf_response_pdu>(p, ISCSI_OP_TMF_RSP);
}

pdu tmf_response_pdu::to_pdu() const {
    return write_message(*this, ISCSI_OP_TMF_RSP, false, ISCSI_FLAG_FINAL);
}

result<login_response_pdu> login_response_pdu::from_pdu(const pdu& p) {
    auto m = read_message<login_response_pdu>(p, ISCSI_OP_LOGIN_RSP);
    if (!m)
        return m;
    const auto flags = decode_login_flags(p);
    if (!flags)
        return flags.error();
    m->transit = flags->transit;
    m->continue_text = flags->continue_text;
    m->current_stage = flags->current_stage;
    m->next_stage = flags->next_stage;
    return m;
}

pdu login_response_pdu::to_pdu() const {
    return write_message(*this, ISCSI_OP_LOGIN_RSP, false,
                         encode_login_flags({transit, continue_text, current_stage, next_stage}));
}

result<text_response_pdu> text_response_pdu::from_pdu(const pdu& p) {
    auto m = read_message<text_response_pdu>(p, ISCSI_OP_TEXT_RSP);
    if (m && m->final && m->continue_text) // RFC 7143 section 11.11.2
        return errc::bad_format;
    return m;
}

pdu text_response_pdu::to_pdu() const {
    return write_message(*this, ISCSI_OP_TEXT_RSP, false, 0);
}

result<data_in_pdu> data_in_pdu::from_pdu(const pdu& p) {
    auto m = read_message<data_in_pdu>(p, ISCSI_OP_DATA_IN);
    // RFC 7143 section 11.7.1: status comes with the last PDU of a sequence only.
    if (m && ((m->has_status && !m->final) || (m->overflow && m->underflow)))
        return errc::bad_format;
    return m;
}

pdu data_in_pdu::to_pdu() const {
    return write_message(*this, ISCSI_OP_DATA_IN, false, 0);
}

result<logout_response_pdu> logout_response_pdu::from_pdu(const pdu& p) {
    return read_message<logout_response_pdu>(p, ISCSI_OP_LOGOUT_RSP);
}

pdu logout_response_pdu::to_pdu() const {
    return write_message(*this, ISCSI_OP_LOGOUT_RSP, false, ISCSI_FLAG_FINAL);
}

result<r2t_pdu> r2t_pdu::from_pdu(const pdu& p) {
    return read_message<r2t_pdu>(p, ISCSI_OP_R2T);
}

pdu r2t_pdu::to_pdu() const {
    return write_message(*this, ISCSI_OP_R2T, false, ISCSI_FLAG_FINAL);
}

result<async_message_pdu> async_message_pdu::from_pdu(const pdu& p) {
    return read_message<async_message_pdu>(p, ISCSI_OP_ASYNC_MSG);
}

pdu async_message_pdu::to_pdu() const {
    return write_message(*this, ISCSI_OP_ASYNC_MSG, false, ISCSI_FLAG_FINAL);
}

result<reject_pdu> reject_pdu::from_pdu(const pdu& p) {
    return read_message<reject_pdu>(p, ISCSI_OP_REJECT);
}

pdu reject_pdu::to_pdu() const {
    return write_message(*this, ISCSI_OP_REJECT, false, ISCSI_FLAG_FINAL);
}

result<message> decode(const pdu& p) {
    switch (p.opcode()) {
    case ISCSI_OP_NOP_OUT:
        return as_message(nop_out_pdu::from_pdu(p));
    case ISCSI_OP_SCSI_CMD:
        return as_message(scsi_command_pdu::from_pdu(p));
    case ISCSI_OP_TMF_REQ:
        return as_message(tmf_request_pdu::from_pdu(p));
    case ISCSI_OP_LOGIN_REQ:
        return as_message(login_request_pdu::from_pdu(p));
    case ISCSI_OP_TEXT_REQ:
        return as_message(text_request_pdu::from_pdu(p));
    case ISCSI_OP_DATA_OUT:
        return as_message(data_out_pdu::from_pdu(p));
    case ISCSI_OP_LOGOUT_REQ:
        return as_message(logout_request_pdu::from_pdu(p));
    case ISCSI_OP_SNACK_REQ:
        return as_message(snack_request_pdu::from_pdu(p));
    case ISCSI_OP_NOP_IN:
        return as_message(nop_in_pdu::from_pdu(p));
    case ISCSI_OP_SCSI_RSP:
        return as_message(scsi_response_pdu::from_pdu(p));
    case ISCSI_OP_TMF_RSP:
        return as_message(tmf_response_pdu::from_pdu(p));
    case ISCSI_OP_LOGIN_RSP:
        return as_message(login_response_pdu::from_pdu(p));
    case ISCSI_OP_TEXT_RSP:
        return as_message(text_response_pdu::from_pdu(p));
    case ISCSI_OP_DATA_IN:
        return as_message(data_in_pdu::from_pdu(p));
    case ISCSI_OP_LOGOUT_RSP:
        return as_message(logout_response_pdu::from_pdu(p));
    case ISCSI_OP_R2T:
        return as_message(r2t_pdu::from_pdu(p));
    case ISCSI_OP_ASYNC_MSG:
        return as_message(async_message_pdu::from_pdu(p));
    case ISCSI_OP_REJECT:
        return as_message(reject_pdu::from_pdu(p));
    }
    return errc::bad_opcode;
}

pdu encode(const message& m) {
    return std::visit([](const auto& typed) { return typed.to_pdu(); }, m);
}

} // namespace iscsi
