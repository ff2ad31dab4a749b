// SPDX-License-Identifier: GPL-2.0-or-later
// The PDU codec against hand-assembled RFC 7143 section 11 layouts. Every golden byte string below
// was written from the RFC diagrams; CRC32C digests come from RFC 3720 appendix B.4 or from an
// independent bitwise CRC32C in Python, never from the code under test.
#include "iscsi/pdu.hpp"

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <gtest/gtest.h>
#include <string>
#include <string_view>
#include <vector>

namespace iscsi {
namespace {

std::vector<std::byte> bytes(std::string_view hex) {
    std::vector<std::byte> out;
    std::string digits;
    for (char c : hex)
        if (std::isxdigit(static_cast<unsigned char>(c)))
            digits += c;
    for (std::size_t i = 0; i + 1 < digits.size(); i += 2)
        out.push_back(static_cast<std::byte>(std::stoi(digits.substr(i, 2), nullptr, 16)));
    return out;
}

std::vector<std::byte> text(std::string_view s) {
    std::vector<std::byte> out;
    for (char c : s)
        out.push_back(static_cast<std::byte>(c));
    return out;
}

std::string hex(std::span<const std::byte> data) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < data.size(); ++i) {
        const auto b = std::to_integer<unsigned>(data[i]);
        out += digits[b >> 4];
        out += digits[b & 0xf];
        out += (i % 4 == 3) ? "\n" : " ";
    }
    return out;
}

std::vector<std::byte> concat(std::vector<std::byte> a, std::span<const std::byte> b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

std::vector<std::byte> wire(const pdu& p, digest_settings digests = {}) {
    auto out = serialize(p, digests);
    EXPECT_TRUE(out) << out.error().message();
    return out ? *out : std::vector<std::byte>{};
}

receive_limits from(role sender, digest_settings digests = {}) {
    return {.sender = sender, .max_data_segment_length = default_max_data_segment_length, .digests = digests};
}

result<pdu> parse_all(std::span<const std::byte> buffer, const receive_limits& limits) {
    auto parsed = parse_next_pdu(buffer, limits);
    if (!parsed)
        return parsed.error();
    EXPECT_EQ(parsed->size, buffer.size());
    return std::move(parsed->value);
}

std::span<const std::byte, bhs_size> bhs_of(std::span<const std::byte> buffer) {
    return buffer.first<bhs_size>();
}

// Golden PDUs: one per opcode, fields chosen so that each lands in distinct bytes.

const std::vector<std::byte> nop_out_wire = bytes(R"(
    40 80 00 00  00 00 00 04  00 01 00 00  00 00 00 00
    11 22 33 44  ff ff ff ff  01 02 03 04  05 06 07 08
    00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00
    70 69 6e 67)");

nop_out_pdu nop_out_message() {
    return {.immediate = true,
            .lun = 0x0001000000000000,
            .itt = 0x11223344,
            .ttt = reserved_tag,
            .cmd_sn = 0x01020304,
            .exp_stat_sn = 0x05060708,
            .data = text("ping")};
}

// RFC 3720 appendix B.4, "iSCSI - SCSI Read (10) Command PDU", with its header CRC.
const std::vector<std::byte> read_command_wire = bytes(R"(
    01 c0 00 00  00 00 00 00  00 00 00 00  00 00 00 00
    14 00 00 00  00 00 04 00  00 00 00 14  00 00 00 18
    28 00 00 00  00 00 00 00  02 00 00 00  00 00 00 00)");
const std::vector<std::byte> read_command_header_digest = bytes("56 3a 96 d9");

scsi_command_pdu read_command_message() {
    return {.final = true,
            .read = true,
            .attribute = ISCSI_ATTR_UNTAGGED,
            .itt = 0x14000000,
            .expected_data_length = 0x400,
            .cmd_sn = 0x14,
            .exp_stat_sn = 0x18,
            .cdb = bytes("28 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00")};
}

const std::vector<std::byte> tmf_request_wire = bytes(R"(
    42 81 00 00  00 00 00 00  00 02 00 00  00 00 00 00
    0a 0b 0c 0d  00 00 00 42  00 00 01 00  00 00 02 00
    00 00 00 ff  00 00 00 03  00 00 00 00  00 00 00 00)");

tmf_request_pdu tmf_request_message() {
    return {.immediate = true,
            .function = ISCSI_TMF_ABORT_TASK,
            .lun = 0x0002000000000000,
            .itt = 0x0a0b0c0d,
            .referenced_task_tag = 0x42,
            .cmd_sn = 0x100,
            .exp_stat_sn = 0x200,
            .ref_cmd_sn = 0xff,
            .exp_data_sn = 3};
}

// T, CSG operational, NSG full feature; ISID of the random type; 5 data bytes and 3 of padding.
const std::vector<std::byte> login_request_wire = bytes(R"(
    43 87 00 00  00 00 00 05  80 12 34 56  00 01 00 00
    00 00 00 00  00 01 00 00  00 00 00 01  00 00 00 22
    00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00
    61 62 3d 63  00 00 00 00)");

login_request_pdu login_request_message() {
    return {.transit = true,
            .current_stage = login_stage::operational,
            .next_stage = login_stage::full_feature,
            .isid = {0x80, 0x12, 0x34, 0x56, 0x00, 0x01},
            .itt = 0,
            .cid = 1,
            .cmd_sn = 1,
            .exp_stat_sn = 0x22,
            .data = bytes("61 62 3d 63 00")};
}

const std::vector<std::byte> text_request_wire = bytes(R"(
    04 80 00 00  00 00 00 10  00 00 00 00  00 00 00 00
    00 00 00 10  ff ff ff ff  00 00 00 05  00 00 00 06
    00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00
    53 65 6e 64  54 61 72 67  65 74 73 3d  41 6c 6c 00)");

text_request_pdu text_request_message() {
    return {.final = true,
            .itt = 0x10,
            .ttt = reserved_tag,
            .cmd_sn = 5,
            .exp_stat_sn = 6,
            .data = text(std::string_view("SendTargets=All\0", 16))};
}

const std::vector<std::byte> data_out_wire = bytes(R"(
    05 80 00 00  00 00 00 06  00 01 00 00  00 00 00 00
    00 00 00 77  00 00 12 34  00 00 00 00  00 00 00 09
    00 00 00 00  00 00 00 02  00 00 20 00  00 00 00 00
    01 02 03 04  05 06 00 00)");

data_out_pdu data_out_message() {
    return {.final = true,
            .lun = 0x0001000000000000,
            .itt = 0x77,
            .ttt = 0x1234,
            .exp_stat_sn = 9,
            .data_sn = 2,
            .buffer_offset = 0x2000,
            .data = bytes("01 02 03 04 05 06")};
}

const std::vector<std::byte> logout_request_wire = bytes(R"(
    46 81 00 00  00 00 00 00  00 00 00 00  00 00 00 00
    00 00 00 99  00 02 00 00  00 00 00 30  00 00 00 31
    00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00)");

logout_request_pdu logout_request_message() {
    return {.immediate = true,
            .reason = ISCSI_LOGOUT_CLOSE_CONNECTION,
            .itt = 0x99,
            .cid = 2,
            .cmd_sn = 0x30,
            .exp_stat_sn = 0x31};
}

const std::vector<std::byte> snack_request_wire = bytes(R"(
    10 83 00 00  00 00 00 00  00 03 00 00  00 00 00 00
    00 00 00 55  00 00 00 66  00 00 00 00  00 00 00 40
    00 00 00 00  00 00 00 00  00 00 00 07  00 00 00 02)");

snack_request_pdu snack_request_message() {
    return {.type = ISCSI_SNACK_RDATA,
            .lun = 0x0003000000000000,
            .itt = 0x55,
            .ttt_or_snack_tag = 0x66,
            .exp_stat_sn = 0x40,
            .beg_run = 7,
            .run_length = 2};
}

const std::vector<std::byte> nop_in_wire = bytes(R"(
    20 80 00 00  00 00 00 00  00 00 00 00  00 00 00 00
    ff ff ff ff  00 00 0a bc  00 00 00 10  00 00 00 11
    00 00 00 20  00 00 00 00  00 00 00 00  00 00 00 00)");

nop_in_pdu nop_in_message() {
    return {.itt = reserved_tag, .ttt = 0xabc, .stat_sn = 0x10, .exp_cmd_sn = 0x11, .max_cmd_sn = 0x20};
}

// U, CHECK CONDITION, SenseLength 18 and fixed-format sense (ILLEGAL REQUEST, ASC 0x24).
const std::vector<std::byte> scsi_response_wire = bytes(R"(
    21 82 00 02  00 00 00 14  00 00 00 00  00 00 00 00
    14 00 00 00  00 00 00 00  00 00 00 18  00 00 00 15
    00 00 00 34  00 00 00 01  00 00 00 00  00 00 02 00
    00 12 70 00  05 00 00 00  00 0a 00 00  00 00 24 00
    00 00 00 00)");

scsi_response_pdu scsi_response_message() {
    return {.underflow = true,
            .response = ISCSI_RESPONSE_COMPLETED,
            .status = ISCSI_STATUS_CHECK_CONDITION,
            .itt = 0x14000000,
            .stat_sn = 0x18,
            .exp_cmd_sn = 0x15,
            .max_cmd_sn = 0x34,
            .exp_data_sn = 1,
            .residual_count = 0x200,
            .data = bytes("00 12 70 00 05 00 00 00 00 0a 00 00 00 00 24 00 00 00 00 00")};
}

const std::vector<std::byte> tmf_response_wire = bytes(R"(
    22 80 01 00  00 00 00 00  00 00 00 00  00 00 00 00
    0a 0b 0c 0d  00 00 00 00  00 00 00 50  00 00 01 01
    00 00 01 40  00 00 00 00  00 00 00 00  00 00 00 00)");

tmf_response_pdu tmf_response_message() {
    return {.response = ISCSI_TMF_RSP_NO_TASK,
            .itt = 0x0a0b0c0d,
            .stat_sn = 0x50,
            .exp_cmd_sn = 0x101,
            .max_cmd_sn = 0x140};
}

// Success: T, operational to full feature, TSIH 0x0102, "TargetPortalGroupTag=1" and one pad byte.
const std::vector<std::byte> login_response_wire = bytes(R"(
    23 87 00 00  00 00 00 17  80 12 34 56  00 01 01 02
    00 00 00 00  00 00 00 00  00 00 00 0a  00 00 00 01
    00 00 00 21  00 00 00 00  00 00 00 00  00 00 00 00
    54 61 72 67  65 74 50 6f  72 74 61 6c  47 72 6f 75
    70 54 61 67  3d 31 00 00)");

login_response_pdu login_response_message() {
    return {.transit = true,
            .current_stage = login_stage::operational,
            .next_stage = login_stage::full_feature,
            .isid = {0x80, 0x12, 0x34, 0x56, 0x00, 0x01},
            .tsih = 0x0102,
            .itt = 0,
            .stat_sn = 0x0a,
            .exp_cmd_sn = 1,
            .max_cmd_sn = 0x21,
            .data = text(std::string_view("TargetPortalGroupTag=1\0", 23))};
}

// Failure in the security stage: Status-Class 2, Status-Detail 1 (authentication failure).
const std::vector<std::byte> login_failure_wire = bytes(R"(
    23 00 00 00  00 00 00 00  40 00 01 37  00 2a 00 00
    00 00 00 07  00 00 00 00  00 00 00 00  00 00 00 00
    00 00 00 00  02 01 00 00  00 00 00 00  00 00 00 00)");

login_response_pdu login_failure_message() {
    return {.isid = {0x40, 0x00, 0x01, 0x37, 0x00, 0x2a},
            .itt = 7,
            .status_class = ISCSI_LOGIN_CLASS_INITIATOR_ERR,
            .status_detail = 0x01};
}

const std::vector<std::byte> text_response_wire = bytes(R"(
    24 40 00 00  00 00 00 0d  00 00 00 00  00 00 00 00
    00 00 00 10  00 00 00 07  00 00 00 03  00 00 00 06
    00 00 00 26  00 00 00 00  00 00 00 00  00 00 00 00
    54 61 72 67  65 74 4e 61  6d 65 3d 74  00 00 00 00)");

text_response_pdu text_response_message() {
    return {.final = false,
            .continue_text = true,
            .itt = 0x10,
            .ttt = 7,
            .stat_sn = 3,
            .exp_cmd_sn = 6,
            .max_cmd_sn = 0x26,
            .data = text(std::string_view("TargetName=t\0", 13))};
}

// F, U and S: the last Data-In of a read, with status.
const std::vector<std::byte> data_in_wire = bytes(R"(
    25 83 00 00  00 00 00 08  00 01 00 00  00 00 00 00
    14 00 00 00  ff ff ff ff  00 00 00 18  00 00 00 15
    00 00 00 34  00 00 00 05  00 00 10 00  00 00 01 00
    de ad be ef  01 02 03 04)");

data_in_pdu data_in_message() {
    return {.final = true,
            .underflow = true,
            .has_status = true,
            .status = ISCSI_STATUS_GOOD,
            .lun = 0x0001000000000000,
            .itt = 0x14000000,
            .ttt = reserved_tag,
            .stat_sn = 0x18,
            .exp_cmd_sn = 0x15,
            .max_cmd_sn = 0x34,
            .data_sn = 5,
            .buffer_offset = 0x1000,
            .residual_count = 0x100,
            .data = bytes("de ad be ef 01 02 03 04")};
}

const std::vector<std::byte> logout_response_wire = bytes(R"(
    26 80 01 00  00 00 00 00  00 00 00 00  00 00 00 00
    00 00 00 99  00 00 00 00  00 00 00 60  00 00 00 31
    00 00 00 70  00 00 00 00  00 02 00 14  00 00 00 00)");

logout_response_pdu logout_response_message() {
    return {.response = ISCSI_LOGOUT_RSP_CID_NOT_FOUND,
            .itt = 0x99,
            .stat_sn = 0x60,
            .exp_cmd_sn = 0x31,
            .max_cmd_sn = 0x70,
            .time2wait = 2,
            .time2retain = 20};
}

const std::vector<std::byte> r2t_wire = bytes(R"(
    31 80 00 00  00 00 00 00  00 01 00 00  00 00 00 00
    00 00 00 77  00 00 12 34  00 00 00 18  00 00 00 16
    00 00 00 35  00 00 00 01  00 01 00 00  00 04 00 00)");

r2t_pdu r2t_message() {
    return {.lun = 0x0001000000000000,
            .itt = 0x77,
            .ttt = 0x1234,
            .stat_sn = 0x18,
            .exp_cmd_sn = 0x16,
            .max_cmd_sn = 0x35,
            .r2t_sn = 1,
            .buffer_offset = 0x10000,
            .desired_data_length = 0x40000};
}

// The target will drop connection CID 1: Time2Wait 2, Time2Retain 20.
const std::vector<std::byte> async_message_wire = bytes(R"(
    32 80 00 00  00 00 00 00  00 00 00 00  00 00 00 00
    ff ff ff ff  00 00 00 00  00 00 00 19  00 00 00 16
    00 00 00 35  02 00 00 01  00 02 00 14  00 00 00 00)");

async_message_pdu async_message_message() {
    return {.stat_sn = 0x19,
            .exp_cmd_sn = 0x16,
            .max_cmd_sn = 0x35,
            .event = ISCSI_ASYNC_DROP_CONNECTION,
            .parameter1 = 1,
            .parameter2 = 2,
            .parameter3 = 20};
}

// Invalid PDU field; the data segment is the rejected NOP-Out's BHS.
const std::vector<std::byte> reject_wire = concat(bytes(R"(
    3f 80 09 00  00 00 00 30  00 00 00 00  00 00 00 00
    ff ff ff ff  00 00 00 00  00 00 00 1a  00 00 00 16
    00 00 00 35  00 00 00 00  00 00 00 00  00 00 00 00)"),
                                                  bhs_of(nop_out_wire));

reject_pdu reject_message() {
    const auto rejected = bhs_of(nop_out_wire);
    return {.reason = ISCSI_REJECT_INVALID_PDU_FIELD,
            .stat_sn = 0x1a,
            .exp_cmd_sn = 0x16,
            .max_cmd_sn = 0x35,
            .data = {rejected.begin(), rejected.end()}};
}

// An 18-byte CDB (2 bytes in an Extended CDB AHS, padded) and a Bidirectional Read Length AHS.
const std::vector<std::byte> bidi_command_wire = bytes(R"(
    01 e1 00 00  04 00 00 04  00 00 00 00  00 00 00 00
    00 00 00 21  00 00 02 00  00 00 00 30  00 00 00 40
    a0 a1 a2 a3  a4 a5 a6 a7  a8 a9 aa ab  ac ad ae af
    00 03 01 00  b0 b1 00 00  00 05 02 00  00 00 10 00
    d0 d1 d2 d3)");

scsi_command_pdu bidi_command_message() {
    return {.final = true,
            .read = true,
            .write = true,
            .attribute = ISCSI_ATTR_SIMPLE,
            .itt = 0x21,
            .expected_data_length = 0x200,
            .cmd_sn = 0x30,
            .exp_stat_sn = 0x40,
            .cdb = bytes("a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa ab ac ad ae af b0 b1"),
            .bidi_expected_read_length = 0x1000,
            .data = bytes("d0 d1 d2 d3")};
}

struct golden {
    std::string name;
    message typed;
    std::vector<std::byte> bytes;
};

void PrintTo(const golden& g, std::ostream* os) {
    *os << g.name;
}

std::vector<golden> goldens() {
    return {
        {"nop_out", nop_out_message(), nop_out_wire},
        {"scsi_command", read_command_message(), read_command_wire},
        {"scsi_command_ahs", bidi_command_message(), bidi_command_wire},
        {"tmf_request", tmf_request_message(), tmf_request_wire},
        {"login_request", login_request_message(), login_request_wire},
        {"text_request", text_request_message(), text_request_wire},
        {"data_out", data_out_message(), data_out_wire},
        {"logout_request", logout_request_message(), logout_request_wire},
        {"snack_request", snack_request_message(), snack_request_wire},
        {"nop_in", nop_in_message(), nop_in_wire},
        {"scsi_response", scsi_response_message(), scsi_response_wire},
        {"tmf_response", tmf_response_message(), tmf_response_wire},
        {"login_response", login_response_message(), login_response_wire},
        {"login_response_failure", login_failure_message(), login_failure_wire},
        {"text_response", text_response_message(), text_response_wire},
        {"data_in", data_in_message(), data_in_wire},
        {"logout_response", logout_response_message(), logout_response_wire},
        {"r2t", r2t_message(), r2t_wire},
        {"async_message", async_message_message(), async_message_wire},
        {"reject", reject_message(), reject_wire},
    };
}

role sender_of(const golden& g) {
    return *opcode_sender(std::to_integer<std::uint8_t>(g.bytes[0]) & ISCSI_OPCODE_MASK);
}

class golden_pdu : public testing::TestWithParam<golden> {};

TEST_P(golden_pdu, encodes_to_the_rfc_layout) {
    EXPECT_EQ(hex(wire(encode(GetParam().typed))), hex(GetParam().bytes));
}

TEST_P(golden_pdu, decodes_from_the_rfc_layout) {
    const auto& g = GetParam();
    auto p = parse_all(g.bytes, from(sender_of(g)));
    ASSERT_TRUE(p) << p.error().message();
    auto typed = decode(*p);
    ASSERT_TRUE(typed) << typed.error().message();
    EXPECT_TRUE(*typed == g.typed);
}

TEST_P(golden_pdu, round_trips_with_every_digest_setting) {
    const auto& g = GetParam();
    for (const bool header : {false, true}) {
        for (const bool data : {false, true}) {
            const digest_settings digests{.header = header, .data = data};
            const auto out = wire(encode(g.typed), digests);
            // A data digest follows a data segment only.
            const bool has_data = !encode(g.typed).data.empty();
            EXPECT_EQ(out.size(),
                      g.bytes.size() + (header ? digest_size : 0) + (data && has_data ? digest_size : 0));
            auto p = parse_all(out, from(sender_of(g), digests));
            ASSERT_TRUE(p) << p.error().message();
            EXPECT_EQ(*p, encode(g.typed));
            auto typed = decode(*p);
            ASSERT_TRUE(typed) << typed.error().message();
            EXPECT_TRUE(*typed == g.typed);
        }
    }
}

TEST_P(golden_pdu, is_refused_by_the_other_side) {
    const auto& g = GetParam();
    const role other = sender_of(g) == role::initiator ? role::target : role::initiator;
    EXPECT_EQ(remaining_length(bhs_of(g.bytes), from(other)).error(), errc::bad_opcode);
    EXPECT_EQ(parse_next_pdu(g.bytes, from(other)).error(), errc::bad_opcode);
}

TEST_P(golden_pdu, every_shorter_prefix_is_truncated) {
    const auto& g = GetParam();
    for (std::size_t size = 0; size < g.bytes.size(); ++size)
        EXPECT_EQ(parse_next_pdu(std::span(g.bytes).first(size), from(sender_of(g))).error(), errc::truncated)
            << size << " bytes";
}

INSTANTIATE_TEST_SUITE_P(rfc7143, golden_pdu, testing::ValuesIn(goldens()),
                         [](const testing::TestParamInfo<golden>& info) { return info.param.name; });

TEST(pdu_digest, rfc3720_read_command_header_digest) {
    const auto expected = concat(read_command_wire, read_command_header_digest);
    EXPECT_EQ(hex(wire(read_command_message().to_pdu(), {.header = true})), hex(expected));
    auto p = parse_all(expected, from(role::initiator, {.header = true}));
    ASSERT_TRUE(p) << p.error().message();
    EXPECT_EQ(scsi_command_pdu::from_pdu(*p).value(), read_command_message());
}

TEST(pdu_digest, header_and_data_digests_follow_their_segments) {
    // NOP-Out BHS, its header digest, "ping", its data digest.
    const auto expected =
        concat(concat(concat(std::vector<std::byte>(nop_out_wire.begin(), nop_out_wire.begin() + 48),
                             bytes("79 6b 4c eb")),
                      text("ping")),
               bytes("e5 26 fa a7"));
    const digest_settings both{.header = true, .data = true};
    EXPECT_EQ(hex(wire(nop_out_message().to_pdu(), both)), hex(expected));
    EXPECT_EQ(remaining_length(bhs_of(expected), from(role::initiator, both)).value(),
              expected.size() - bhs_size);
    auto p = parse_all(expected, from(role::initiator, both));
    ASSERT_TRUE(p) << p.error().message();
    EXPECT_EQ(nop_out_pdu::from_pdu(*p).value(), nop_out_message());
}

TEST(pdu_digest, data_digest_covers_the_padding) {
    // Data-Out with 6 data bytes: the digest is over the data and its 2 zero pad bytes.
    const auto expected = concat(data_out_wire, bytes("0b 8e 3d b6"));
    EXPECT_EQ(hex(wire(data_out_message().to_pdu(), {.data = true})), hex(expected));
    EXPECT_TRUE(parse_all(expected, from(role::initiator, {.data = true})));
}

TEST(pdu_digest, no_data_digest_without_a_data_segment) {
    const digest_settings both{.header = true, .data = true};
    EXPECT_EQ(remaining_length(bhs_of(r2t_wire), from(role::target, both)).value(), digest_size);
    EXPECT_EQ(wire(r2t_message().to_pdu(), both).size(), bhs_size + digest_size);
}

TEST(pdu_digest, every_corrupted_byte_is_a_bad_digest) {
    const auto good = wire(nop_out_message().to_pdu(), {.header = true, .data = true});
    // Every byte but TotalAHSLength and DataSegmentLength (4 to 7), which change the framing instead.
    for (std::size_t i = 0; i < good.size(); ++i) {
        if (i >= 4 && i < 8)
            continue;
        auto bad = good;
        bad[i] ^= std::byte{0x01};
        EXPECT_EQ(parse_next_pdu(bad, from(role::initiator, {.header = true, .data = true})).error(),
                  errc::bad_digest)
            << "byte " << i;
    }
}

TEST(pdu_digest, digests_are_not_expected_when_off) {
    // The same bytes read with digests on lack 8 bytes.
    EXPECT_EQ(parse_next_pdu(nop_out_wire, from(role::initiator, {.header = true, .data = true})).error(),
              errc::truncated);
}

TEST(pdu_parse, two_step_reading_as_from_a_socket) {
    const auto& w = login_response_wire;
    const auto limits = from(role::target);
    const auto rest_size = remaining_length(bhs_of(w), limits);
    ASSERT_TRUE(rest_size);
    EXPECT_EQ(*rest_size, 24u); // 23 data bytes, 1 pad byte
    const auto rest = std::span(w).subspan(bhs_size);
    auto p = parse_pdu(bhs_of(w), rest, limits);
    ASSERT_TRUE(p) << p.error().message();
    EXPECT_EQ(p->opcode(), ISCSI_OP_LOGIN_RSP);
    EXPECT_EQ(p->data.size(), 23u);
    EXPECT_EQ(parse_pdu(bhs_of(w), rest.first(rest.size() - 1), limits).error(), errc::truncated);
    const auto longer = concat({rest.begin(), rest.end()}, bytes("00 00 00 00"));
    EXPECT_EQ(parse_pdu(bhs_of(w), longer, limits).error(), errc::bad_length);
}

TEST(pdu_parse, consecutive_pdus_in_one_buffer) {
    const auto buffer = concat(concat(nop_in_wire, data_in_wire), r2t_wire);
    std::span<const std::byte> rest = buffer;
    std::vector<iscsi_opcode> opcodes;
    while (!rest.empty()) {
        auto parsed = parse_next_pdu(rest, from(role::target));
        ASSERT_TRUE(parsed) << parsed.error().message();
        opcodes.push_back(parsed->value.opcode());
        rest = rest.subspan(parsed->size);
    }
    EXPECT_EQ(opcodes, (std::vector<iscsi_opcode>{ISCSI_OP_NOP_IN, ISCSI_OP_DATA_IN, ISCSI_OP_R2T}));
}

TEST(pdu_parse, padding_is_removed_and_added_back_as_zeros) {
    auto w = login_request_wire;
    w[bhs_size + 5] = std::byte{0xee}; // a non-zero pad byte is tolerated
    auto p = parse_all(w, from(role::initiator));
    ASSERT_TRUE(p) << p.error().message();
    EXPECT_EQ(p->data, bytes("61 62 3d 63 00"));
    EXPECT_EQ(hex(wire(*p)), hex(login_request_wire));
}

std::vector<std::byte> with_data_length(std::vector<std::byte> w, std::uint32_t length) {
    store_be24(w, 5, length);
    return w;
}

TEST(pdu_parse, data_segment_length_is_checked_against_the_limit) {
    receive_limits limits = from(role::target);
    limits.max_data_segment_length = 4096;
    const auto at_limit = with_data_length(bytes(R"(
        20 80 00 00  00 00 00 00  00 00 00 00  00 00 00 00
        ff ff ff ff  ff ff ff ff  00 00 00 00  00 00 00 00
        00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00)"),
                                           4096);
    EXPECT_EQ(remaining_length(bhs_of(at_limit), limits).value(), 4096u);
    for (const std::uint32_t length : {4097u, 0x10000u, 0xffffffu})
        EXPECT_EQ(remaining_length(bhs_of(with_data_length(at_limit, length)), limits).error(),
                  errc::bad_length)
            << length;
}

TEST(pdu_parse, total_ahs_length_is_bounded_by_its_byte) {
    auto w = read_command_wire;
    w[4] = std::byte{0xff};
    EXPECT_EQ(remaining_length(bhs_of(w), from(role::initiator)).value(), max_ahs_size);
}

TEST(pdu_parse, undefined_opcodes_are_refused_by_both_sides) {
    for (const std::uint8_t opcode : {0x07, 0x0f, 0x1c, 0x1e, 0x1f, 0x27, 0x30, 0x3c, 0x3e}) {
        auto w = nop_out_wire;
        w[0] = static_cast<std::byte>(opcode);
        for (const role sender : {role::initiator, role::target})
            EXPECT_EQ(remaining_length(bhs_of(w), from(sender)).error(), errc::bad_opcode) << int{opcode};
    }
}

TEST(pdu_parse, opcode_senders_follow_rfc7143) {
    for (unsigned opcode = 0; opcode <= ISCSI_OPCODE_MASK; ++opcode) {
        const auto sender = opcode_sender(static_cast<std::uint8_t>(opcode));
        const bool initiator = opcode <= 0x06 || opcode == 0x10;
        const bool target =
            (opcode >= 0x20 && opcode <= 0x26) || opcode == 0x31 || opcode == 0x32 || opcode == 0x3f;
        if (initiator)
            EXPECT_EQ(sender, role::initiator) << opcode;
        else if (target)
            EXPECT_EQ(sender, role::target) << opcode;
        else
            EXPECT_FALSE(sender) << opcode;
    }
}

// A Text Request without data whose AHS area is `ahs_hex`.
std::vector<std::byte> with_ahs(std::string_view ahs_hex) {
    const auto ahs = bytes(ahs_hex);
    auto w = bhs_of(text_request_wire);
    std::vector<std::byte> out(w.begin(), w.end());
    out[4] = static_cast<std::byte>(ahs.size() / 4);
    store_be24(out, 5, 0);
    return concat(out, ahs);
}

TEST(pdu_parse, ahs_running_past_total_ahs_length_is_refused) {
    const auto limits = from(role::initiator);
    EXPECT_TRUE(parse_all(with_ahs("00 01 7f 00"), limits));
    EXPECT_TRUE(parse_all(with_ahs("00 05 7f 00 00 00 00 00"), limits));
    EXPECT_TRUE(parse_all(with_ahs("00 00 7f 00 00 01 7f 00"), limits));
    EXPECT_EQ(parse_all(with_ahs("00 02 7f 00"), limits).error(), errc::bad_length);
    EXPECT_EQ(parse_all(with_ahs("00 06 7f 00 00 00 00 00"), limits).error(), errc::bad_length);
    EXPECT_EQ(parse_all(with_ahs("ff ff 7f 00"), limits).error(), errc::bad_length);
    EXPECT_EQ(parse_all(with_ahs("00 01 7f 00 00 02 7f 00"), limits).error(), errc::bad_length);
}

TEST(pdu_ahs, split_and_append_agree) {
    std::vector<std::byte> ahs;
    append_ahs(ahs, ISCSI_AHS_EXTENDED_CDB, bytes("00 b0 b1"));
    append_ahs(ahs, ISCSI_AHS_BIDI_READ_LENGTH, bytes("00 00 00 10 00"));
    EXPECT_EQ(hex(ahs), hex(bytes("00 03 01 00 b0 b1 00 00 00 05 02 00 00 00 10 00")));
    auto entries = split_ahs(ahs);
    ASSERT_TRUE(entries);
    ASSERT_EQ(entries->size(), 2u);
    EXPECT_EQ((*entries)[0].type, ISCSI_AHS_EXTENDED_CDB);
    EXPECT_EQ(hex((*entries)[0].specific), hex(bytes("00 b0 b1")));
    EXPECT_EQ((*entries)[1].type, ISCSI_AHS_BIDI_READ_LENGTH);
    EXPECT_EQ(hex((*entries)[1].specific), hex(bytes("00 00 00 10 00")));
}

TEST(pdu_ahs, a_32_byte_cdb_travels_in_an_extended_cdb_ahs) {
    scsi_command_pdu cmd = read_command_message();
    cmd.cdb.resize(32, std::byte{0x5a});
    const pdu p = cmd.to_pdu();
    EXPECT_EQ(p.ahs.size(), 20u); // AHSLength 17: reserved byte and 16 CDB bytes, no padding
    EXPECT_EQ(hex(std::span(p.ahs).first(4)), hex(bytes("00 11 01 00")));
    EXPECT_EQ(scsi_command_pdu::from_pdu(p).value(), cmd);
}

TEST(pdu_ahs, a_short_cdb_is_padded_to_16_bytes) {
    scsi_command_pdu cmd = read_command_message();
    cmd.cdb = bytes("00 00 00 00 00 00"); // TEST UNIT READY
    EXPECT_TRUE(cmd.to_pdu().ahs.empty());
    EXPECT_EQ(scsi_command_pdu::from_pdu(cmd.to_pdu()).value().cdb, std::vector<std::byte>(16));
}

TEST(pdu_ahs, command_ahs_that_cannot_be_understood_is_bad_format) {
    for (const auto* ahs : {
             "00 01 03 00",                                     // unknown type
             "00 01 41 00",                                     // extended CDB type with a reserved bit
             "00 01 01 00",                                     // extended CDB without CDB bytes
             "00 02 01 00 aa 00 00 00 00 02 01 00 bb 00 00 00", // two extended CDBs
             "00 04 02 00 00 00 10 00",                         // bidirectional length too short
             "00 05 02 00 00 00 10 00 00 05 02 00 00 00 10 00", // two bidirectional lengths
         }) {
        pdu p = read_command_message().to_pdu();
        p.ahs = bytes(ahs);
        EXPECT_EQ(scsi_command_pdu::from_pdu(p).error(), errc::bad_format) << ahs;
    }
}

TEST(pdu_serialize, lengths_beyond_their_fields_are_refused) {
    pdu p = nop_in_message().to_pdu();
    p.ahs = bytes("00 00 00");
    EXPECT_EQ(serialize(p, {}).error(), errc::bad_length);
    p.ahs.assign(max_ahs_size + 4, std::byte{0});
    EXPECT_EQ(serialize(p, {}).error(), errc::bad_length);
    p.ahs.clear();
    p.data.assign(max_data_segment_size + 1, std::byte{0});
    EXPECT_EQ(serialize(p, {}).error(), errc::bad_length);
    p.data.resize(max_data_segment_size);
    EXPECT_EQ(serialize(p, {}).value().size(), bhs_size + max_data_segment_size + 1);
}

TEST(pdu_serialize, length_fields_come_from_the_segments) {
    pdu p = nop_out_message().to_pdu();
    p.data = text("hello");
    const auto out = wire(p);
    EXPECT_EQ(load_be24(out, 5), 5u);
    EXPECT_EQ(out.size(), bhs_size + 8);
}

TEST(pdu_decode, wrong_opcode_for_the_view) {
    const pdu p = nop_in_message().to_pdu();
    EXPECT_EQ(login_response_pdu::from_pdu(p).error(), errc::bad_opcode);
    EXPECT_EQ(r2t_pdu::from_pdu(p).error(), errc::bad_opcode);
    pdu unknown = p;
    unknown.bhs[0] = std::byte{0x3c};
    EXPECT_EQ(decode(unknown).error(), errc::bad_opcode);
}

pdu with_flags(pdu p, std::uint8_t flags) {
    p.bhs[1] = static_cast<std::byte>(flags);
    return p;
}

TEST(pdu_decode, forbidden_flag_combinations_are_bad_format) {
    const pdu login_rsp = login_response_message().to_pdu();
    EXPECT_EQ(login_response_pdu::from_pdu(with_flags(login_rsp, 0xc7)).error(), errc::bad_format); // T and C
    EXPECT_EQ(login_response_pdu::from_pdu(with_flags(login_rsp, 0x08)).error(), errc::bad_format); // CSG 2
    EXPECT_EQ(login_response_pdu::from_pdu(with_flags(login_rsp, 0x86)).error(),
              errc::bad_format);                                            // T, NSG 2
    EXPECT_TRUE(login_response_pdu::from_pdu(with_flags(login_rsp, 0x42))); // NSG unused
    const pdu login_req = login_request_message().to_pdu();
    EXPECT_EQ(login_request_pdu::from_pdu(with_flags(login_req, 0xc7)).error(), errc::bad_format);
    EXPECT_EQ(text_response_pdu::from_pdu(with_flags(text_response_message().to_pdu(), 0xc0)).error(),
              errc::bad_format);
    EXPECT_EQ(text_request_pdu::from_pdu(with_flags(text_request_message().to_pdu(), 0xc0)).error(),
              errc::bad_format);
    const pdu data_in = data_in_message().to_pdu();
    EXPECT_EQ(data_in_pdu::from_pdu(with_flags(data_in, 0x01)).error(), errc::bad_format); // S without F
    EXPECT_EQ(data_in_pdu::from_pdu(with_flags(data_in, 0x86)).error(), errc::bad_format); // O and U
    const pdu rsp = scsi_response_message().to_pdu();
    EXPECT_EQ(scsi_response_pdu::from_pdu(with_flags(rsp, 0x86)).error(), errc::bad_format); // O and U
    EXPECT_EQ(scsi_response_pdu::from_pdu(with_flags(rsp, 0x98)).error(), errc::bad_format); // o and u
}

TEST(pdu_decode, login_status_matches_the_rfc_table) {
    auto rsp = login_response_pdu::from_pdu(parse_all(login_failure_wire, from(role::target)).value());
    ASSERT_TRUE(rsp);
    EXPECT_EQ(rsp->status(), ISCSI_LOGIN_STATUS_AUTH_FAILED);
    EXPECT_EQ(rsp->isid[0] & ISCSI_ISID_TYPE_MASK, ISCSI_ISID_TYPE_EN);
}

TEST(pdu_fields, big_endian_helpers) {
    std::vector<std::byte> b(8);
    store_be64(b, 0, 0x0102030405060708);
    EXPECT_EQ(hex(b), hex(bytes("01 02 03 04 05 06 07 08")));
    EXPECT_EQ(load_be16(b, 1), 0x0203);
    EXPECT_EQ(load_be24(b, 5), 0x060708u);
    EXPECT_EQ(load_be32(b, 4), 0x05060708u);
    store_be24(b, 0, 0xabcdef);
    store_be16(b, 3, 0x1234);
    store_be32(b, 4, 0xfffefdfc);
    EXPECT_EQ(hex(b), hex(bytes("ab cd ef 12 ff fe fd fc")));
    EXPECT_EQ(load_be64(b, 0), 0xabcdef12fffefdfcu);
}

} // namespace
} // namespace iscsi
