// SPDX-License-Identifier: GPL-2.0-or-later
#include "iscsi/result.hpp"

namespace iscsi {
namespace {

class iscsi_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "iscsi"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::truncated:
            return "PDU or text truncated";
        case errc::bad_length:
            return "length field out of range";
        case errc::bad_opcode:
            return "unknown or unexpected opcode";
        case errc::bad_digest:
            return "digest mismatch";
        case errc::bad_format:
            return "malformed field or value";
        case errc::protocol_violation:
            return "iSCSI protocol violation";
        case errc::negotiation_failed:
            return "parameter negotiation failed";
        case errc::authentication_failed:
            return "authentication failed";
        case errc::login_rejected:
            return "login rejected by the target";
        case errc::target_moved:
            return "target moved";
        case errc::timed_out:
            return "timed out";
        case errc::unsupported:
            return "not supported by this initiator";
        }
        return "unknown iscsi error";
    }
};

} // namespace

const std::error_category& category() noexcept {
    static const iscsi_category cat;
    return cat;
}

} // namespace iscsi
