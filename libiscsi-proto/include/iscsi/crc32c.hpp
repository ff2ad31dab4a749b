// SPDX-License-Identifier: GPL-2.0-or-later
// CRC32C (Castagnoli), the iSCSI header and data digest (RFC 7143 section 13.1, RFC 3720 appendix B.4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace iscsi {

// CRC32C of `data`, as placed in a digest field (the final complement applied; little-endian on the wire).
std::uint32_t crc32c(std::span<const std::byte> data) noexcept;

// Continues a CRC32C over several pieces: crc32c_extend(crc32c(a), b) == crc32c(a + b).
std::uint32_t crc32c_extend(std::uint32_t crc, std::span<const std::byte> data) noexcept;

} // namespace iscsi
