// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's generic netlink link to the kernel module (family "iscsi_ini", libnl-3 genl).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <system_error>

struct nl_msg;
struct nl_sock;

namespace iscsid {

struct kernel_version {
    std::uint32_t interface = 0; // ISCSI_INI_A_VERSION: the netlink interface version
    std::string module;          // ISCSI_INI_A_MODULE_VERSION: the module's release
};

// Decodes a VERSION_GET reply. Fails with EPROTO when a required attribute is missing or malformed.
std::error_code parse_version_reply(nl_msg* msg, kernel_version& out);

class kernel_link {
public:
    // Connects to generic netlink and resolves the family. ENOENT: the module is not loaded.
    static std::error_code open(kernel_link& link);

    std::error_code query_version(kernel_version& out);

private:
    struct sock_deleter {
        void operator()(nl_sock* s) const noexcept;
    };
    std::unique_ptr<nl_sock, sock_deleter> sock_;
    int family_ = -1;
};

} // namespace iscsid
