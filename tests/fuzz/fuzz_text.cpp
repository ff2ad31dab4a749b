// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzzes the key=value text parser: any input is parsed or refused, and what parses re-encodes to
// text that parses to the same pairs.
#include "iscsi/text.hpp"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto r = iscsi::parse_text(std::as_bytes(std::span(data, size)));
    if (!r)
        return 0;
    auto again = iscsi::parse_text(iscsi::encode_text(*r));
    if (!again || *again != *r)
        std::abort();
    return 0;
}
