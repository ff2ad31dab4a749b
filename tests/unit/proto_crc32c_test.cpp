// SPDX-License-Identifier: GPL-2.0-or-later
// CRC32C against the iSCSI test vectors of RFC 3720 appendix B.4.
#include "iscsi/crc32c.hpp"

#include <array>
#include <cstdint>
#include <gtest/gtest.h>
#include <numeric>
#include <vector>

namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
    std::vector<std::byte> out;
    for (int b : v)
        out.push_back(static_cast<std::byte>(b));
    return out;
}

std::vector<std::byte> filled(std::size_t n, int value) {
    return std::vector<std::byte>(n, static_cast<std::byte>(value));
}

// The RFC lists the digest as the bytes sent on the wire, least significant first.
std::uint32_t le(std::array<int, 4> b) {
    return static_cast<std::uint32_t>(b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24);
}

TEST(Crc32c, Rfc3720ThirtyTwoZeros) {
    EXPECT_EQ(iscsi::crc32c(filled(32, 0)), le({0xaa, 0x36, 0x91, 0x8a}));
}

TEST(Crc32c, Rfc3720ThirtyTwoOnes) {
    EXPECT_EQ(iscsi::crc32c(filled(32, 0xff)), le({0x43, 0xab, 0xa8, 0x62}));
}

TEST(Crc32c, Rfc3720Incrementing) {
    std::vector<std::byte> v(32);
    for (std::size_t i = 0; i < v.size(); ++i)
        v[i] = static_cast<std::byte>(i);
    EXPECT_EQ(iscsi::crc32c(v), le({0x4e, 0x79, 0xdd, 0x46}));
}

TEST(Crc32c, Rfc3720Decrementing) {
    std::vector<std::byte> v(32);
    for (std::size_t i = 0; i < v.size(); ++i)
        v[i] = static_cast<std::byte>(31 - i);
    EXPECT_EQ(iscsi::crc32c(v), le({0x5c, 0xdb, 0x3f, 0x11}));
}

TEST(Crc32c, Rfc3720ReadCommandPdu) {
    auto pdu = bytes({0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                      0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
                      0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
                      0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
    EXPECT_EQ(iscsi::crc32c(pdu), le({0x56, 0x3a, 0x96, 0xd9}));
}

TEST(Crc32c, ExtendEqualsWhole) {
    std::vector<std::byte> v(1000);
    for (std::size_t i = 0; i < v.size(); ++i)
        v[i] = static_cast<std::byte>(i * 7 + 3);
    std::span<const std::byte> all(v);
    for (std::size_t cut : {0UL, 1UL, 3UL, 499UL, 1000UL})
        EXPECT_EQ(iscsi::crc32c_extend(iscsi::crc32c(all.first(cut)), all.subspan(cut)), iscsi::crc32c(all))
            << "cut at " << cut;
}

TEST(Crc32c, EmptyInput) {
    EXPECT_EQ(iscsi::crc32c({}), 0u);
}

} // namespace
