// SPDX-License-Identifier: GPL-2.0-or-later
#include "iscsi/crc32c.hpp"

#include <isa-l/crc.h>

namespace iscsi {

// ISA-L's crc32_iscsi takes the running value un-complemented and returns it the same way:
// the iSCSI seed is ~0 and the digest is the complement of the final value.
std::uint32_t crc32c_extend(std::uint32_t crc, std::span<const std::byte> data) noexcept {
    if (data.empty())
        return crc;
    // ISA-L takes a non-const pointer but does not write through it.
    auto* p = const_cast<unsigned char*>(reinterpret_cast<const unsigned char*>(data.data())); // NOLINT
    return ~crc32_iscsi(p, static_cast<int>(data.size()), ~crc);
}

std::uint32_t crc32c(std::span<const std::byte> data) noexcept {
    return crc32c_extend(0, data);
}

} // namespace iscsi
