// SPDX-License-Identifier: GPL-2.0-or-later
#include "iscsi/pdu.hpp"

#include "iscsi/crc32c.hpp"

#include <algorithm>
#include <cassert>
#include <cstddef>
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

template <class Message>
result<Message> expect_opcode(const pdu& p, iscsi_opcode opcode) {
    if (p.opcode() != opcode)
        return errc::bad_opcode;
    return Message{};
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

// Initiator PDUs.

result<nop_out_pdu> nop_out_pdu::from_pdu(const pdu& p) {
    using W = iscsi_nop_out_bhs;
    auto m = expect_opcode<nop_out_pdu>(p, ISCSI_OP_NOP_OUT);
    if (!m)
        return m;
    m->immediate = p.immediate();
    m->lun = load_be64(p.bhs, offsetof(W, lun));
    m->itt = p.itt();
    m->ttt = load_be32(p.bhs, offsetof(W, ttt));
    m->cmd_sn = load_be32(p.bhs, offsetof(W, cmd_sn));
    m->exp_stat_sn = load_be32(p.bhs, offsetof(W, exp_stat_sn));
    m->data = p.data;
    return m;
}

pdu nop_out_pdu::to_pdu() const {
    using W = iscsi_nop_out_bhs;
    pdu p = start_pdu(ISCSI_OP_NOP_OUT, immediate, ISCSI_FLAG_FINAL);
    store_be64(p.bhs, offsetof(W, lun), lun);
    store_be32(p.bhs, offsetof(W, itt), itt);
    store_be32(p.bhs, offsetof(W, ttt), ttt);
    store_be32(p.bhs, offsetof(W, cmd_sn), cmd_sn);
    store_be32(p.bhs, offsetof(W, exp_stat_sn), exp_stat_sn);
    return finish(std::move(p), data);
}

result<scsi_command_pdu> scsi_command_pdu::from_pdu(const pdu& p) {
    using W = iscsi_scsi_cmd_bhs;
    auto m = expect_opcode<scsi_command_pdu>(p, ISCSI_OP_SCSI_CMD);
    if (!m)
        return m;
    m->immediate = p.immediate();
    m->final = has_flag(p, ISCSI_FLAG_FINAL);
    m->read = has_flag(p, ISCSI_CMD_FLAG_READ);
    m->write = has_flag(p, ISCSI_CMD_FLAG_WRITE);
    m->attribute = byte_at(p, flags_offset) & ISCSI_CMD_ATTR_MASK;
    m->lun = load_be64(p.bhs, offsetof(W, lun));
    m->itt = p.itt();
    m->expected_data_length = load_be32(p.bhs, offsetof(W, exp_data_len));
    m->cmd_sn = load_be32(p.bhs, offsetof(W, cmd_sn));
    m->exp_stat_sn = load_be32(p.bhs, offsetof(W, exp_stat_sn));
    const auto cdb = std::span(p.bhs).subspan(offsetof(W, cdb), ISCSI_CDB_LEN);
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
    m->data = p.data;
    return m;
}

pdu scsi_command_pdu::to_pdu() const {
    using W = iscsi_scsi_cmd_bhs;
    pdu p = start_pdu(ISCSI_OP_SCSI_CMD, immediate,
                      flag_if(final, ISCSI_FLAG_FINAL) | flag_if(read, ISCSI_CMD_FLAG_READ) |
                          flag_if(write, ISCSI_CMD_FLAG_WRITE) | (attribute & ISCSI_CMD_ATTR_MASK));
    store_be64(p.bhs, offsetof(W, lun), lun);
    store_be32(p.bhs, offsetof(W, itt), itt);
    store_be32(p.bhs, offsetof(W, exp_data_len), expected_data_length);
    store_be32(p.bhs, offsetof(W, cmd_sn), cmd_sn);
    store_be32(p.bhs, offsetof(W, exp_stat_sn), exp_stat_sn);
    const auto in_bhs = std::span(cdb).first(std::min<std::size_t>(cdb.size(), ISCSI_CDB_LEN));
    std::copy(in_bhs.begin(), in_bhs.end(), p.bhs.begin() + offsetof(W, cdb));
    if (cdb.size() > ISCSI_CDB_LEN) {
        std::vector<std::byte> specific{std::byte{0}};
        specific.insert(specific.end(), cdb.begin() + ISCSI_CDB_LEN, cdb.end());
        append_ahs(p.ahs, ISCSI_AHS_EXTENDED_CDB, specific);
    }
    if (bidi_expected_read_length) {
        std::array<std::byte, bidi_specific_size> specific{};
        store_be32(specific, bidi_length_offset, *bidi_expected_read_length);
        append_ahs(p.ahs, ISCSI_AHS_BIDI_READ_LENGTH, specific);
    }
    return finish(std::move(p), data);
}

result<tmf_request_pdu> tmf_request_pdu::from_pdu(const pdu& p) {
    using W = iscsi_tmf_req_bhs;
    auto m = expect_opcode<tmf_request_pdu>(p, ISCSI_OP_TMF_REQ);
    if (!m)
        return m;
    m->immediate = p.immediate();
    m->function = byte_at(p, flags_offset) & ISCSI_TMF_FUNCTION_MASK;
    m->lun = load_be64(p.bhs, offsetof(W, lun));
    m->itt = p.itt();
    m->referenced_task_tag = load_be32(p.bhs, offsetof(W, ref_task_tag));
    m->cmd_sn = load_be32(p.bhs, offsetof(W, cmd_sn));
    m->exp_stat_sn = load_be32(p.bhs, offsetof(W, exp_stat_sn));
    m->ref_cmd_sn = load_be32(p.bhs, offsetof(W, ref_cmd_sn));
    m->exp_data_sn = load_be32(p.bhs, offsetof(W, exp_data_sn));
    return m;
}

pdu tmf_request_pdu::to_pdu() const {
    using W = iscsi_tmf_req_bhs;
    pdu p = start_pdu(ISCSI_OP_TMF_REQ, immediate, ISCSI_FLAG_FINAL | (function & ISCSI_TMF_FUNCTION_MASK));
    store_be64(p.bhs, offsetof(W, lun), lun);
    store_be32(p.bhs, offsetof(W, itt), itt);
    store_be32(p.bhs, offsetof(W, ref_task_tag), referenced_task_tag);
    store_be32(p.bhs, offsetof(W, cmd_sn), cmd_sn);
    store_be32(p.bhs, offsetof(W, exp_stat_sn), exp_stat_sn);
    store_be32(p.bhs, offsetof(W, ref_cmd_sn), ref_cmd_sn);
    store_be32(p.bhs, offsetof(W, exp_data_sn), exp_data_sn);
    return finish(std::move(p));
}

result<login_request_pdu> login_request_pdu::from_pdu(const pdu& p) {
    using W = iscsi_login_req_bhs;
    auto m = expect_opcode<login_request_pdu>(p, ISCSI_OP_LOGIN_REQ);
    if (!m)
        return m;
    const auto flags = decode_login_flags(p);
    if (!flags)
        return flags.error();
    m->transit = flags->transit;
    m->continue_text = flags->continue_text;
    m->current_stage = flags->current_stage;
    m->next_stage = flags->next_stage;
    m->version_max = byte_at(p, offsetof(W, version_max));
    m->version_min = byte_at(p, offsetof(W, version_min));
    m->isid = load_isid(p, offsetof(W, isid));
    m->tsih = load_be16(p.bhs, offsetof(W, tsih));
    m->itt = p.itt();
    m->cid = load_be16(p.bhs, offsetof(W, cid));
    m->cmd_sn = load_be32(p.bhs, offsetof(W, cmd_sn));
    m->exp_stat_sn = load_be32(p.bhs, offsetof(W, exp_stat_sn));
    m->data = p.data;
    return m;
}

pdu login_request_pdu::to_pdu() const {
    using W = iscsi_login_req_bhs;
    pdu p = start_pdu(ISCSI_OP_LOGIN_REQ, true,
                      encode_login_flags({transit, continue_text, current_stage, next_stage}));
    set_byte(p, offsetof(W, version_max), version_max);
    set_byte(p, offsetof(W, version_min), version_min);
    store_isid(p, offsetof(W, isid), isid);
    store_be16(p.bhs, offsetof(W, tsih), tsih);
    store_be32(p.bhs, offsetof(W, itt), itt);
    store_be16(p.bhs, offsetof(W, cid), cid);
    store_be32(p.bhs, offsetof(W, cmd_sn), cmd_sn);
    store_be32(p.bhs, offsetof(W, exp_stat_sn), exp_stat_sn);
    return finish(std::move(p), data);
}

result<text_request_pdu> text_request_pdu::from_pdu(const pdu& p) {
    using W = iscsi_text_req_bhs;
    auto m = expect_opcode<text_request_pdu>(p, ISCSI_OP_TEXT_REQ);
    if (!m)
        return m;
    m->immediate = p.immediate();
    m->final = has_flag(p, ISCSI_FLAG_FINAL);
    m->continue_text = has_flag(p, ISCSI_TEXT_FLAG_CONTINUE);
    if (m->final && m->continue_text) // RFC 7143 section 11.10.2
        return errc::bad_format;
    m->lun = load_be64(p.bhs, offsetof(W, lun));
    m->itt = p.itt();
    m->ttt = load_be32(p.bhs, offsetof(W, ttt));
    m->cmd_sn = load_be32(p.bhs, offsetof(W, cmd_sn));
    m->exp_stat_sn = load_be32(p.bhs, offsetof(W, exp_stat_sn));
    m->data = p.data;
    return m;
}

pdu text_request_pdu::to_pdu() const {
    using W = iscsi_text_req_bhs;
    pdu p = start_pdu(ISCSI_OP_TEXT_REQ, immediate,
                      flag_if(final, ISCSI_FLAG_FINAL) | flag_if(continue_text, ISCSI_TEXT_FLAG_CONTINUE));
    store_be64(p.bhs, offsetof(W, lun), lun);
    store_be32(p.bhs, offsetof(W, itt), itt);
    store_be32(p.bhs, offsetof(W, ttt), ttt);
    store_be32(p.bhs, offsetof(W, cmd_sn), cmd_sn);
    store_be32(p.bhs, offsetof(W, exp_stat_sn), exp_stat_sn);
    return finish(std::move(p), data);
}

result<data_out_pdu> data_out_pdu::from_pdu(const pdu& p) {
    using W = iscsi_data_out_bhs;
    auto m = expect_opcode<data_out_pdu>(p, ISCSI_OP_DATA_OUT);
    if (!m)
        return m;
    m->final = has_flag(p, ISCSI_FLAG_FINAL);
    m->lun = load_be64(p.bhs, offsetof(W, lun));
    m->itt = p.itt();
    m->ttt = load_be32(p.bhs, offsetof(W, ttt));
    m->exp_stat_sn = load_be32(p.bhs, offsetof(W, exp_stat_sn));
    m->data_sn = load_be32(p.bhs, offsetof(W, data_sn));
    m->buffer_offset = load_be32(p.bhs, offsetof(W, buffer_offset));
    m->data = p.data;
    return m;
}

pdu data_out_pdu::to_pdu() const {
    using W = iscsi_data_out_bhs;
    pdu p = start_pdu(ISCSI_OP_DATA_OUT, false, flag_if(final, ISCSI_FLAG_FINAL));
    store_be64(p.bhs, offsetof(W, lun), lun);
    store_be32(p.bhs, offsetof(W, itt), itt);
    store_be32(p.bhs, offsetof(W, ttt), ttt);
    store_be32(p.bhs, offsetof(W, exp_stat_sn), exp_stat_sn);
    store_be32(p.bhs, offsetof(W, data_sn), data_sn);
    store_be32(p.bhs, offsetof(W, buffer_offset), buffer_offset);
    return finish(std::move(p), data);
}

result<logout_request_pdu> logout_request_pdu::from_pdu(const pdu& p) {
    using W = iscsi_logout_req_bhs;
    auto m = expect_opcode<logout_request_pdu>(p, ISCSI_OP_LOGOUT_REQ);
    if (!m)
        return m;
    m->immediate = p.immediate();
    m->reason = byte_at(p, flags_offset) & ISCSI_LOGOUT_REASON_MASK;
    m->itt = p.itt();
    m->cid = load_be16(p.bhs, offsetof(W, cid));
    m->cmd_sn = load_be32(p.bhs, offsetof(W, cmd_sn));
    m->exp_stat_sn = load_be32(p.bhs, offsetof(W, exp_stat_sn));
    return m;
}

pdu logout_request_pdu::to_pdu() const {
    using W = iscsi_logout_req_bhs;
    pdu p = start_pdu(ISCSI_OP_LOGOUT_REQ, immediate, ISCSI_FLAG_FINAL | (reason & ISCSI_LOGOUT_REASON_MASK));
    store_be32(p.bhs, offsetof(W, itt), itt);
    store_be16(p.bhs, offsetof(W, cid), cid);
    store_be32(p.bhs, offsetof(W, cmd_sn), cmd_sn);
    store_be32(p.bhs, offsetof(W, exp_stat_sn), exp_stat_sn);
    return finish(std::move(p));
}

result<snack_request_pdu> snack_request_pdu::from_pdu(const pdu& p) {
    using W = iscsi_snack_req_bhs;
    auto m = expect_opcode<snack_request_pdu>(p, ISCSI_OP_SNACK_REQ);
    if (!m)
        return m;
    m->type = byte_at(p, flags_offset) & ISCSI_SNACK_TYPE_MASK;
    m->lun = load_be64(p.bhs, offsetof(W, lun));
    m->itt = p.itt();
    m->ttt_or_snack_tag = load_be32(p.bhs, offsetof(W, ttt_or_snack_tag));
    m->exp_stat_sn = load_be32(p.bhs, offsetof(W, exp_stat_sn));
    m->beg_run = load_be32(p.bhs, offsetof(W, beg_run));
    m->run_length = load_be32(p.bhs, offsetof(W, run_length));
    return m;
}

pdu snack_request_pdu::to_pdu() const {
    using W = iscsi_snack_req_bhs;
    pdu p = start_pdu(ISCSI_OP_SNACK_REQ, false, ISCSI_FLAG_FINAL | (type & ISCSI_SNACK_TYPE_MASK));
    store_be64(p.bhs, offsetof(W, lun), lun);
    store_be32(p.bhs, offsetof(W, itt), itt);
    store_be32(p.bhs, offsetof(W, ttt_or_snack_tag), ttt_or_snack_tag);
    store_be32(p.bhs, offsetof(W, exp_stat_sn), exp_stat_sn);
    store_be32(p.bhs, offsetof(W, beg_run), beg_run);
    store_be32(p.bhs, offsetof(W, run_length), run_length);
    return finish(std::move(p));
}

// Target PDUs.

result<nop_in_pdu> nop_in_pdu::from_pdu(const pdu& p) {
    using W = iscsi_nop_in_bhs;
    auto m = expect_opcode<nop_in_pdu>(p, ISCSI_OP_NOP_IN);
    if (!m)
        return m;
    m->lun = load_be64(p.bhs, offsetof(W, lun));
    m->itt = p.itt();
    m->ttt = load_be32(p.bhs, offsetof(W, ttt));
    m->stat_sn = load_be32(p.bhs, offsetof(W, stat_sn));
    m->exp_cmd_sn = load_be32(p.bhs, offsetof(W, exp_cmd_sn));
    m->max_cmd_sn = load_be32(p.bhs, offsetof(W, max_cmd_sn));
    m->data = p.data;
    return m;
}

pdu nop_in_pdu::to_pdu() const {
    using W = iscsi_nop_in_bhs;
    pdu p = start_pdu(ISCSI_OP_NOP_IN, false, ISCSI_FLAG_FINAL);
    store_be64(p.bhs, offsetof(W, lun), lun);
    store_be32(p.bhs, offsetof(W, itt), itt);
    store_be32(p.bhs, offsetof(W, ttt), ttt);
    store_be32(p.bhs, offsetof(W, stat_sn), stat_sn);
    store_be32(p.bhs, offsetof(W, exp_cmd_sn), exp_cmd_sn);
    store_be32(p.bhs, offsetof(W, max_cmd_sn), max_cmd_sn);
    return finish(std::move(p), data);
}

result<scsi_response_pdu> scsi_response_pdu::from_pdu(const pdu& p) {
    using W = iscsi_scsi_rsp_bhs;
    auto m = expect_opcode<scsi_response_pdu>(p, ISCSI_OP_SCSI_RSP);
    if (!m)
        return m;
    m->bidi_overflow = has_flag(p, ISCSI_RSP_FLAG_BIDI_OVERFLOW);
    m->bidi_underflow = has_flag(p, ISCSI_RSP_FLAG_BIDI_UNDERFLOW);
    m->overflow = has_flag(p, ISCSI_RSP_FLAG_OVERFLOW);
    m->underflow = has_flag(p, ISCSI_RSP_FLAG_UNDERFLOW);
    // RFC 7143 section 11.4.1: overflow and underflow exclude each other.
    if ((m->bidi_overflow && m->bidi_underflow) || (m->overflow && m->underflow))
        return errc::bad_format;
    m->response = byte_at(p, offsetof(W, response));
    m->status = byte_at(p, offsetof(W, status));
    m->itt = p.itt();
    m->snack_tag = load_be32(p.bhs, offsetof(W, snack_tag));
    m->stat_sn = load_be32(p.bhs, offsetof(W, stat_sn));
    m->exp_cmd_sn = load_be32(p.bhs, offsetof(W, exp_cmd_sn));
    m->max_cmd_sn = load_be32(p.bhs, offsetof(W, max_cmd_sn));
    m->exp_data_sn = load_be32(p.bhs, offsetof(W, exp_data_sn));
    m->bidi_residual_count = load_be32(p.bhs, offsetof(W, bidi_residual_count));
    m->residual_count = load_be32(p.bhs, offsetof(W, residual_count));
    m->data = p.data;
    return m;
}

pdu scsi_response_pdu::to_pdu() const {
    using W = iscsi_scsi_rsp_bhs;
    pdu p = start_pdu(ISCSI_OP_SCSI_RSP, false,
                      ISCSI_FLAG_FINAL | flag_if(bidi_overflow, ISCSI_RSP_FLAG_BIDI_OVERFLOW) |
                          flag_if(bidi_underflow, ISCSI_RSP_FLAG_BIDI_UNDERFLOW) |
                          flag_if(overflow, ISCSI_RSP_FLAG_OVERFLOW) |
                          flag_if(underflow, ISCSI_RSP_FLAG_UNDERFLOW));
    set_byte(p, offsetof(W, response), response);
    set_byte(p, offsetof(W, status), status);
    store_be32(p.bhs, offsetof(W, itt), itt);
    store_be32(p.bhs, offsetof(W, snack_tag), snack_tag);
    store_be32(p.bhs, offsetof(W, stat_sn), stat_sn);
    store_be32(p.bhs, offsetof(W, exp_cmd_sn), exp_cmd_sn);
    store_be32(p.bhs, offsetof(W, max_cmd_sn), max_cmd_sn);
    store_be32(p.bhs, offsetof(W, exp_data_sn), exp_data_sn);
    store_be32(p.bhs, offsetof(W, bidi_residual_count), bidi_residual_count);
    store_be32(p.bhs, offsetof(W, residual_count), residual_count);
    return finish(std::move(p), data);
}

result<tmf_response_pdu> tmf_response_pdu::from_pdu(const pdu& p) {
    using W = iscsi_tmf_rsp_bhs;
    auto m = expect_opcode<tmf_response_pdu>(p, ISCSI_OP_TMF_RSP);
    if (!m)
        return m;
    m->response = byte_at(p, offsetof(W, response));
    m->itt = p.itt();
    m->stat_sn = load_be32(p.bhs, offsetof(W, stat_sn));
    m->exp_cmd_sn = load_be32(p.bhs, offsetof(W, exp_cmd_sn));
    m->max_cmd_sn = load_be32(p.bhs, offsetof(W, max_cmd_sn));
    return m;
}

pdu tmf_response_pdu::to_pdu() const {
    using W = iscsi_tmf_rsp_bhs;
    pdu p = start_pdu(ISCSI_OP_TMF_RSP, false, ISCSI_FLAG_FINAL);
    set_byte(p, offsetof(W, response), response);
    store_be32(p.bhs, offsetof(W, itt), itt);
    store_be32(p.bhs, offsetof(W, stat_sn), stat_sn);
    store_be32(p.bhs, offsetof(W, exp_cmd_sn), exp_cmd_sn);
    store_be32(p.bhs, offsetof(W, max_cmd_sn), max_cmd_sn);
    return finish(std::move(p));
}

result<login_response_pdu> login_response_pdu::from_pdu(const pdu& p) {
    using W = iscsi_login_rsp_bhs;
    auto m = expect_opcode<login_response_pdu>(p, ISCSI_OP_LOGIN_RSP);
    if (!m)
        return m;
    const auto flags = decode_login_flags(p);
    if (!flags)
        return flags.error();
    m->transit = flags->transit;
    m->continue_text = flags->continue_text;
    m->current_stage = flags->current_stage;
    m->next_stage = flags->next_stage;
    m->version_max = byte_at(p, offsetof(W, version_max));
    m->version_active = byte_at(p, offsetof(W, version_active));
    m->isid = load_isid(p, offsetof(W, isid));
    m->tsih = load_be16(p.bhs, offsetof(W, tsih));
    m->itt = p.itt();
    m->stat_sn = load_be32(p.bhs, offsetof(W, stat_sn));
    m->exp_cmd_sn = load_be32(p.bhs, offsetof(W, exp_cmd_sn));
    m->max_cmd_sn = load_be32(p.bhs, offsetof(W, max_cmd_sn));
    m->status_class = byte_at(p, offsetof(W, status_class));
    m->status_detail = byte_at(p, offsetof(W, status_detail));
    m->data = p.data;
    return m;
}

pdu login_response_pdu::to_pdu() const {
    using W = iscsi_login_rsp_bhs;
    pdu p = start_pdu(ISCSI_OP_LOGIN_RSP, false,
                      encode_login_flags({transit, continue_text, current_stage, next_stage}));
    set_byte(p, offsetof(W, version_max), version_max);
    set_byte(p, offsetof(W, version_active), version_active);
    store_isid(p, offsetof(W, isid), isid);
    store_be16(p.bhs, offsetof(W, tsih), tsih);
    store_be32(p.bhs, offsetof(W, itt), itt);
    store_be32(p.bhs, offsetof(W, stat_sn), stat_sn);
    store_be32(p.bhs, offsetof(W, exp_cmd_sn), exp_cmd_sn);
    store_be32(p.bhs, offsetof(W, max_cmd_sn), max_cmd_sn);
    set_byte(p, offsetof(W, status_class), status_class);
    set_byte(p, offsetof(W, status_detail), status_detail);
    return finish(std::move(p), data);
}

result<text_response_pdu> text_response_pdu::from_pdu(const pdu& p) {
    using W = iscsi_text_rsp_bhs;
    auto m = expect_opcode<text_response_pdu>(p, ISCSI_OP_TEXT_RSP);
    if (!m)
        return m;
    m->final = has_flag(p, ISCSI_FLAG_FINAL);
    m->continue_text = has_flag(p, ISCSI_TEXT_FLAG_CONTINUE);
    if (m->final && m->continue_text) // RFC 7143 section 11.11.2
        return errc::bad_format;
    m->lun = load_be64(p.bhs, offsetof(W, lun));
    m->itt = p.itt();
    m->ttt = load_be32(p.bhs, offsetof(W, ttt));
    m->stat_sn = load_be32(p.bhs, offsetof(W, stat_sn));
    m->exp_cmd_sn = load_be32(p.bhs, offsetof(W, exp_cmd_sn));
    m->max_cmd_sn = load_be32(p.bhs, offsetof(W, max_cmd_sn));
    m->data = p.data;
    return m;
}

pdu text_response_pdu::to_pdu() const {
    using W = iscsi_text_rsp_bhs;
    pdu p = start_pdu(ISCSI_OP_TEXT_RSP, false,
                      flag_if(final, ISCSI_FLAG_FINAL) | flag_if(continue_text, ISCSI_TEXT_FLAG_CONTINUE));
    store_be64(p.bhs, offsetof(W, lun), lun);
    store_be32(p.bhs, offsetof(W, itt), itt);
    store_be32(p.bhs, offsetof(W, ttt), ttt);
    store_be32(p.bhs, offsetof(W, stat_sn), stat_sn);
    store_be32(p.bhs, offsetof(W, exp_cmd_sn), exp_cmd_sn);
    store_be32(p.bhs, offsetof(W, max_cmd_sn), max_cmd_sn);
    return finish(std::move(p), data);
}

result<data_in_pdu> data_in_pdu::from_pdu(const pdu& p) {
    using W = iscsi_data_in_bhs;
    auto m = expect_opcode<data_in_pdu>(p, ISCSI_OP_DATA_IN);
    if (!m)
        return m;
    m->final = has_flag(p, ISCSI_FLAG_FINAL);
    m->acknowledge = has_flag(p, ISCSI_DATA_FLAG_ACK);
    m->overflow = has_flag(p, ISCSI_RSP_FLAG_OVERFLOW);
    m->underflow = has_flag(p, ISCSI_RSP_FLAG_UNDERFLOW);
    m->has_status = has_flag(p, ISCSI_DATA_FLAG_STATUS);
    // RFC 7143 section 11.7.1: status comes with the last PDU of a sequence only.
    if ((m->has_status && !m->final) || (m->overflow && m->underflow))
        return errc::bad_format;
    m->status = byte_at(p, offsetof(W, status));
    m->lun = load_be64(p.bhs, offsetof(W, lun));
    m->itt = p.itt();
    m->ttt = load_be32(p.bhs, offsetof(W, ttt));
    m->stat_sn = load_be32(p.bhs, offsetof(W, stat_sn));
    m->exp_cmd_sn = load_be32(p.bhs, offsetof(W, exp_cmd_sn));
    m->max_cmd_sn = load_be32(p.bhs, offsetof(W, max_cmd_sn));
    m->data_sn = load_be32(p.bhs, offsetof(W, data_sn));
    m->buffer_offset = load_be32(p.bhs, offsetof(W, buffer_offset));
    m->residual_count = load_be32(p.bhs, offsetof(W, residual_count));
    m->data = p.data;
    return m;
}

pdu data_in_pdu::to_pdu() const {
    using W = iscsi_data_in_bhs;
    pdu p = start_pdu(ISCSI_OP_DATA_IN, false,
                      flag_if(final, ISCSI_FLAG_FINAL) | flag_if(acknowledge, ISCSI_DATA_FLAG_ACK) |
                          flag_if(overflow, ISCSI_RSP_FLAG_OVERFLOW) |
                          flag_if(underflow, ISCSI_RSP_FLAG_UNDERFLOW) |
                          flag_if(has_status, ISCSI_DATA_FLAG_STATUS));
    set_byte(p, offsetof(W, status), status);
    store_be64(p.bhs, offsetof(W, lun), lun);
    store_be32(p.bhs, offsetof(W, itt), itt);
    store_be32(p.bhs, offsetof(W, ttt), ttt);
    store_be32(p.bhs, offsetof(W, stat_sn), stat_sn);
    store_be32(p.bhs, offsetof(W, exp_cmd_sn), exp_cmd_sn);
    store_be32(p.bhs, offsetof(W, max_cmd_sn), max_cmd_sn);
    store_be32(p.bhs, offsetof(W, data_sn), data_sn);
    store_be32(p.bhs, offsetof(W, buffer_offset), buffer_offset);
    store_be32(p.bhs, offsetof(W, residual_count), residual_count);
    return finish(std::move(p), data);
}

result<logout_response_pdu> logout_response_pdu::from_pdu(const pdu& p) {
    using W = iscsi_logout_rsp_bhs;
    auto m = expect_opcode<logout_response_pdu>(p, ISCSI_OP_LOGOUT_RSP);
    if (!m)
        return m;
    m->response = byte_at(p, offsetof(W, response));
    m->itt = p.itt();
    m->stat_sn = load_be32(p.bhs, offsetof(W, stat_sn));
    m->exp_cmd_sn = load_be32(p.bhs, offsetof(W, exp_cmd_sn));
    m->max_cmd_sn = load_be32(p.bhs, offsetof(W, max_cmd_sn));
    m->time2wait = load_be16(p.bhs, offsetof(W, time2wait));
    m->time2retain = load_be16(p.bhs, offsetof(W, time2retain));
    return m;
}

pdu logout_response_pdu::to_pdu() const {
    using W = iscsi_logout_rsp_bhs;
    pdu p = start_pdu(ISCSI_OP_LOGOUT_RSP, false, ISCSI_FLAG_FINAL);
    set_byte(p, offsetof(W, response), response);
    store_be32(p.bhs, offsetof(W, itt), itt);
    store_be32(p.bhs, offsetof(W, stat_sn), stat_sn);
    store_be32(p.bhs, offsetof(W, exp_cmd_sn), exp_cmd_sn);
    store_be32(p.bhs, offsetof(W, max_cmd_sn), max_cmd_sn);
    store_be16(p.bhs, offsetof(W, time2wait), time2wait);
    store_be16(p.bhs, offsetof(W, time2retain), time2retain);
    return finish(std::move(p));
}

result<r2t_pdu> r2t_pdu::from_pdu(const pdu& p) {
    using W = iscsi_r2t_bhs;
    auto m = expect_opcode<r2t_pdu>(p, ISCSI_OP_R2T);
    if (!m)
        return m;
    m->lun = load_be64(p.bhs, offsetof(W, lun));
    m->itt = p.itt();
    m->ttt = load_be32(p.bhs, offsetof(W, ttt));
    m->stat_sn = load_be32(p.bhs, offsetof(W, stat_sn));
    m->exp_cmd_sn = load_be32(p.bhs, offsetof(W, exp_cmd_sn));
    m->max_cmd_sn = load_be32(p.bhs, offsetof(W, max_cmd_sn));
    m->r2t_sn = load_be32(p.bhs, offsetof(W, r2t_sn));
    m->buffer_offset = load_be32(p.bhs, offsetof(W, buffer_offset));
    m->desired_data_length = load_be32(p.bhs, offsetof(W, desired_data_len));
    return m;
}

pdu r2t_pdu::to_pdu() const {
    using W = iscsi_r2t_bhs;
    pdu p = start_pdu(ISCSI_OP_R2T, false, ISCSI_FLAG_FINAL);
    store_be64(p.bhs, offsetof(W, lun), lun);
    store_be32(p.bhs, offsetof(W, itt), itt);
    store_be32(p.bhs, offsetof(W, ttt), ttt);
    store_be32(p.bhs, offsetof(W, stat_sn), stat_sn);
    store_be32(p.bhs, offsetof(W, exp_cmd_sn), exp_cmd_sn);
    store_be32(p.bhs, offsetof(W, max_cmd_sn), max_cmd_sn);
    store_be32(p.bhs, offsetof(W, r2t_sn), r2t_sn);
    store_be32(p.bhs, offsetof(W, buffer_offset), buffer_offset);
    store_be32(p.bhs, offsetof(W, desired_data_len), desired_data_length);
    return finish(std::move(p));
}

result<async_message_pdu> async_message_pdu::from_pdu(const pdu& p) {
    using W = iscsi_async_msg_bhs;
    auto m = expect_opcode<async_message_pdu>(p, ISCSI_OP_ASYNC_MSG);
    if (!m)
        return m;
    m->lun = load_be64(p.bhs, offsetof(W, lun));
    m->stat_sn = load_be32(p.bhs, offsetof(W, stat_sn));
    m->exp_cmd_sn = load_be32(p.bhs, offsetof(W, exp_cmd_sn));
    m->max_cmd_sn = load_be32(p.bhs, offsetof(W, max_cmd_sn));
    m->event = byte_at(p, offsetof(W, async_event));
    m->vendor_code = byte_at(p, offsetof(W, async_vcode));
    m->parameter1 = load_be16(p.bhs, offsetof(W, parameter1));
    m->parameter2 = load_be16(p.bhs, offsetof(W, parameter2));
    m->parameter3 = load_be16(p.bhs, offsetof(W, parameter3));
    m->data = p.data;
    return m;
}

pdu async_message_pdu::to_pdu() const {
    using W = iscsi_async_msg_bhs;
    pdu p = start_pdu(ISCSI_OP_ASYNC_MSG, false, ISCSI_FLAG_FINAL);
    store_be64(p.bhs, offsetof(W, lun), lun);
    store_be32(p.bhs, offsetof(W, itt), reserved_tag);
    store_be32(p.bhs, offsetof(W, stat_sn), stat_sn);
    store_be32(p.bhs, offsetof(W, exp_cmd_sn), exp_cmd_sn);
    store_be32(p.bhs, offsetof(W, max_cmd_sn), max_cmd_sn);
    set_byte(p, offsetof(W, async_event), event);
    set_byte(p, offsetof(W, async_vcode), vendor_code);
    store_be16(p.bhs, offsetof(W, parameter1), parameter1);
    store_be16(p.bhs, offsetof(W, parameter2), parameter2);
    store_be16(p.bhs, offsetof(W, parameter3), parameter3);
    return finish(std::move(p), data);
}

result<reject_pdu> reject_pdu::from_pdu(const pdu& p) {
    using W = iscsi_reject_bhs;
    auto m = expect_opcode<reject_pdu>(p, ISCSI_OP_REJECT);
    if (!m)
        return m;
    m->reason = byte_at(p, offsetof(W, reason));
    m->stat_sn = load_be32(p.bhs, offsetof(W, stat_sn));
    m->exp_cmd_sn = load_be32(p.bhs, offsetof(W, exp_cmd_sn));
    m->max_cmd_sn = load_be32(p.bhs, offsetof(W, max_cmd_sn));
    m->data_sn_or_r2t_sn = load_be32(p.bhs, offsetof(W, data_sn_or_r2t_sn));
    m->data = p.data;
    return m;
}

pdu reject_pdu::to_pdu() const {
    using W = iscsi_reject_bhs;
    pdu p = start_pdu(ISCSI_OP_REJECT, false, ISCSI_FLAG_FINAL);
    set_byte(p, offsetof(W, reason), reason);
    store_be32(p.bhs, offsetof(W, itt), reserved_tag);
    store_be32(p.bhs, offsetof(W, stat_sn), stat_sn);
    store_be32(p.bhs, offsetof(W, exp_cmd_sn), exp_cmd_sn);
    store_be32(p.bhs, offsetof(W, max_cmd_sn), max_cmd_sn);
    store_be32(p.bhs, offsetof(W, data_sn_or_r2t_sn), data_sn_or_r2t_sn);
    return finish(std::move(p), data);
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
